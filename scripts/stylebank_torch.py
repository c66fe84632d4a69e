"""StyleBank's training step in PyTorch, written to compute what our core computes (the peer of
scripts/bench_train_peer.py). Each piece mirrors one of ours:

  network    Sources/Models/Networks/StyleBankNetwork.swift and ConvLayers.swift: conv blocks
             [nearest upsample x2] -> reflect pad k//2 -> conv (no bias before IN) -> instance norm
             (eps 1e-5, biased variance, affine gamma/beta) -> ReLU or nothing; residual blocks
             x + B(A(x)) with B linear; the output block has a bias, no norm, no activation.
  VGG loss   Sources/Training/PerceptualLoss.swift: RGB 0..1 -> BGR 0..255 minus Caffe's mean,
             zero-padded 3x3 convs + ReLU, 2x2 max pools, features after the ReLU.
  losses     Sources/Tensor/Backward/Losses.swift: content = MSE (mean), style = mean over
             N*C*C of (G - T)^2 with G = F F^T / (C*H*W), TV = squared neighbour differences
             summed over both directions / (N*C*H*W); each weighted as the step file says.
  optimizer  Adam (beta 0.9, 0.999, eps 1e-8, bias-corrected), one per parameter group as
             StyleBankTrainer keeps them: auto-encoder, bank, and the auto-encoder's identity steps.

Tensors come from a safetensors file (`read_safetensors`, no numpy needed).
"""
import json
import struct

import torch
import torch.nn.functional as F

VGG_LAYERS = ["block1_conv1", "block1_conv2", "pool", "block2_conv1", "block2_conv2", "pool",
              "block3_conv1", "block3_conv2", "block3_conv3", "pool",
              "block4_conv1", "block4_conv2", "block4_conv3", "pool",
              "block5_conv1", "block5_conv2", "block5_conv3"]
BGR_MEAN = [103.939, 116.779, 123.68]
DTYPES = {"F32": torch.float32, "F16": torch.float16}


def read_safetensors(path):
    """(tensors as float32, metadata) of a safetensors file."""
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(length))
        data = bytearray(f.read())
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        flat = torch.frombuffer(data, dtype=DTYPES[info["dtype"]], count=(end - start) // DTYPES[info["dtype"]].itemsize,
                                offset=start) if end > start else torch.empty(0, dtype=DTYPES[info["dtype"]])
        tensors[name] = flat.to(torch.float32).reshape(info["shape"]).clone()
    return tensors, metadata


class Block:
    """One conv block: name, kernel, stride, upsample, normalized, relu."""
    def __init__(self, name, kernel, stride=1, upsample=False, normalized=True, relu=True):
        self.name, self.kernel, self.stride = name, kernel, stride
        self.upsample, self.normalized, self.relu = upsample, normalized, relu

    def __call__(self, p, x):
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        pad = self.kernel // 2
        if pad:
            x = F.pad(x, (pad, pad, pad, pad), mode="reflect")
        if self.normalized:
            y = F.conv2d(x, p[self.name + ".weight"], stride=self.stride)
            y = F.instance_norm(y, weight=p[self.name + ".gamma"], bias=p[self.name + ".beta"], eps=1e-5)
        else:
            y = F.conv2d(x, p[self.name + ".weight"], p[self.name + ".bias"], stride=self.stride)
        return F.relu(y) if self.relu else y


class Residual:
    def __init__(self, name):
        self.a, self.b = Block(name + ".0", 3), Block(name + ".1", 3, relu=False)

    def __call__(self, p, x):
        return x + self.b(p, self.a(p, x))


def chain(layers, p, x):
    for layer in layers:
        x = layer(p, x)
    return x


class StyleBank:
    """Encoder, decoder and one bank, their layout read from the parameter names (as
    StyleBankArchitecture(weights:) reads it)."""
    def __init__(self, names, style_id):
        count = lambda side: next(i for i in range(100) if f"{side}.res{i}.0.weight" not in names)
        self.encoder = [Block("encoder.0", 9), Block("encoder.1", 3, stride=2), Block("encoder.2", 3, stride=2)] \
            + [Residual(f"encoder.res{i}") for i in range(count("encoder"))]
        self.decoder = [Residual(f"decoder.res{i}") for i in range(count("decoder"))] \
            + [Block("decoder.0", 3, upsample=True), Block("decoder.1", 3, upsample=True),
               Block("decoder.2", 9, normalized=False, relu=False)]
        self.bank = [Block(f"bank.{style_id}", 3)]
        self.description = f"{count('encoder')} + {count('decoder')} residual blocks"


class VGGLoss:
    """The fixed VGG16 feature network (weights [out, in, 3, 3] with biases)."""
    def __init__(self, weights):
        self.w = {k: v.requires_grad_(False) for k, v in weights.items()}
        self.mean = torch.tensor(BGR_MEAN).view(1, 3, 1, 1)

    def __call__(self, rgb, layers):
        h = rgb.flip(1) * 255 - self.mean
        features = {}
        for name in VGG_LAYERS:
            if len(features) == len(layers):
                break
            if name == "pool":
                h = F.max_pool2d(h, 2)
                continue
            h = F.relu(F.conv2d(h, self.w[name + ".weight"], self.w[name + ".bias"], padding=1))
            if name in layers:
                features[name] = h
        return features


def gram(f):
    n, c, h, w = f.shape
    flat = f.reshape(n, c, h * w)
    return torch.bmm(flat, flat.transpose(1, 2)) / (c * h * w)


def total_variation(y):
    dx = y[:, :, :, 1:] - y[:, :, :, :-1]
    dy = y[:, :, 1:, :] - y[:, :, :-1, :]
    return ((dx * dx).sum() + (dy * dy).sum()) / y.numel()


class Losses:
    """The stylizing branch's perceptual losses with the step file's weights."""
    def __init__(self, vgg, metadata, gram_targets):
        self.vgg = vgg
        self.content_terms = [(k, float(v)) for k, v in (t.split("=") for t in metadata["content_layers"].split(","))]
        self.style_layers = metadata["style_layers"].split(",")
        weights = dict(t.split("=") for t in metadata["loss_weights"].split(","))
        self.style_weight, self.tv_weight = float(weights["style"]), float(weights["tv"])
        self.targets = gram_targets

    def __call__(self, x, y, clock=None):
        """(total, {content, style, tv}) of output y for content x; `clock` times the phases."""
        clock = clock or NoClock()
        content_layers = {k for k, _ in self.content_terms}
        with clock("vgg output"):
            fy = self.vgg(y, set(self.style_layers) | content_layers)
        with clock("vgg target"), torch.no_grad():
            fx = self.vgg(x, content_layers)
        with clock("losses"):
            content = sum(w * F.mse_loss(fy[k], fx[k]) for k, w in self.content_terms)
            style = self.style_weight * sum(((gram(fy[k]) - self.targets[k]) ** 2).mean() for k in self.style_layers)
            tv = self.tv_weight * total_variation(y) if self.tv_weight > 0 else torch.zeros(())
            total = content + style + tv
        return total, {"content": content, "style": style, "tv": tv}


class NoClock:
    def __call__(self, name):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
