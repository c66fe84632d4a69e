#!/usr/bin/env python3
"""Our StyleBank network for one style, as an ONNX graph, so that onnxruntime can run exactly what
our core runs (the StyleBank rows of `make bench`).

    python3 scripts/export_stylebank_onnx.py WEIGHTS OUT.onnx [--style 3]
    python3 scripts/export_stylebank_onnx.py WEIGHTS OUT.onnx --check-binary .build/release/atelier \
        --models data/models --check-image PHOTO.png

The graph mirrors Sources/Models/Networks/StyleBankNetwork.swift and ConvLayers.swift, layer by
layer: encoder, bank K_style, decoder, clamp to 0…1. A conv block is [nearest upsample ×2] →
reflection pad k//2 → conv (no bias before instance norm) → InstanceNormalization (eps 1e-5,
γ, β) → ReLU or nothing; a residual block is x + B(A(x)); the output block has a bias and no
norm. Input `image` 1×3×H×W in 0…1 (H, W multiples of 4), output `stylized` the same shape.

--check-image runs the graph in onnxruntime and `atelier stylize --model stylebank --style S` on
the same photo (its sides multiples of 4 and within the service's max size, so neither side
resizes), and fails unless the two 8-bit outputs agree to one level on 99.9% of the values and
two everywhere (our kernels sum in another order than onnxruntime's, which moves a few values
across a rounding boundary).
"""
import argparse, json, os, struct, subprocess, sys, tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
DTYPES = {"F32": np.float32, "F16": np.float16}


def read_safetensors(path):
    """{name: float32 array} and the metadata of a safetensors file."""
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(length))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype=DTYPES[info["dtype"]]).astype(np.float32).reshape(info["shape"])
    return tensors, metadata


def residual_count(weights, side):
    n = 0
    while f"{side}.res{n}.0.weight" in weights:
        n += 1
    return n


class GraphBuilder:
    def __init__(self, weights):
        self.weights, self.nodes, self.initializers, self.count = weights, [], [], 0

    def name(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def constant(self, hint, array):
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, hint, **attrs):
        out = self.name(hint)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv_block(self, x, name, kernel, stride=1, upsample=False, normalized=True, relu=True):
        if upsample:
            scales = self.constant("scales", np.array([1, 1, 2, 2], np.float32))
            x = self.node("Resize", [x, "", scales], f"{name}.up", mode="nearest")
        pad = kernel // 2
        if pad:
            pads = self.constant("pads", np.array([0, 0, pad, pad, 0, 0, pad, pad], np.int64))
            x = self.node("Pad", [x, pads], f"{name}.pad", mode="reflect")
        w = self.constant(f"{name}.weight", self.weights[f"{name}.weight"])
        if normalized:
            y = self.node("Conv", [x, w], f"{name}.conv", strides=[stride, stride])
            gamma = self.constant(f"{name}.gamma", self.weights[f"{name}.gamma"])
            beta = self.constant(f"{name}.beta", self.weights[f"{name}.beta"])
            y = self.node("InstanceNormalization", [y, gamma, beta], f"{name}.in", epsilon=1e-5)
        else:
            b = self.constant(f"{name}.bias", self.weights[f"{name}.bias"])
            y = self.node("Conv", [x, w, b], f"{name}.conv", strides=[stride, stride])
        return self.node("Relu", [y], f"{name}.relu") if relu else y

    def residual(self, x, name):
        y = self.conv_block(self.conv_block(x, f"{name}.0", 3), f"{name}.1", 3, relu=False)
        return self.node("Add", [x, y], f"{name}.add")


def stylebank_graph(weights, style):
    if f"bank.{style}.weight" not in weights:
        banks = sorted(int(k.split(".")[1]) for k in weights if k.startswith("bank.") and k.endswith(".weight"))
        sys.exit(f"export_stylebank_onnx: no bank {style} in the weights (banks: {banks})")
    g = GraphBuilder(weights)
    x = "image"
    x = g.conv_block(x, "encoder.0", 9)
    x = g.conv_block(x, "encoder.1", 3, stride=2)
    x = g.conv_block(x, "encoder.2", 3, stride=2)
    for i in range(residual_count(weights, "encoder")):
        x = g.residual(x, f"encoder.res{i}")
    x = g.conv_block(x, f"bank.{style}", 3)
    for i in range(residual_count(weights, "decoder")):
        x = g.residual(x, f"decoder.res{i}")
    x = g.conv_block(x, "decoder.0", 3, upsample=True)
    x = g.conv_block(x, "decoder.1", 3, upsample=True)
    x = g.conv_block(x, "decoder.2", 9, normalized=False, relu=False)
    lo, hi = g.constant("zero", np.array(0, np.float32)), g.constant("one", np.array(1, np.float32))
    g.nodes.append(helper.make_node("Clip", [x, lo, hi], ["stylized"], name="clamp"))
    graph = helper.make_graph(
        g.nodes, f"stylebank_style{style}",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "h", "w"])],
        [helper.make_tensor_value_info("stylized", TensorProto.FLOAT, [1, 3, "h", "w"])],
        g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="atelier")
    onnx.checker.check_model(model)
    return model


def check(model_path, args):
    """Our `atelier stylize` against onnxruntime on one photo, 8-bit outputs compared."""
    import onnxruntime as ort
    from PIL import Image
    photo = np.asarray(Image.open(args.check_image).convert("RGB"))
    h, w = photo.shape[:2]
    if h % 4 or w % 4:
        sys.exit(f"export_stylebank_onnx: {args.check_image} is {w}×{h}; use sides that are multiples of 4")
    x = (photo.astype(np.float32) / 255).transpose(2, 0, 1)[None]
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    theirs = session.run(None, {"image": x})[0][0].transpose(1, 2, 0)
    theirs = np.clip(np.rint(theirs * 255), 0, 255).astype(np.int16)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ours.png")
        subprocess.run([args.check_binary, "stylize", args.check_image, out, "--model", "stylebank",
                        "--style", str(args.style), "--models", args.models], check=True, stdout=subprocess.DEVNULL)
        ours = np.asarray(Image.open(out).convert("RGB")).astype(np.int16)
    if ours.shape != theirs.shape:
        sys.exit(f"export_stylebank_onnx: shapes differ: ours {ours.shape}, onnxruntime {theirs.shape}")
    diff = np.abs(ours - theirs)
    within_one = float(np.mean(diff <= 1))
    print(f"ours vs onnxruntime {ort.__version__} on {os.path.basename(args.check_image)} ({w}×{h}), 8-bit: "
          f"max difference {diff.max()}, mean {diff.mean():.4f}, within one level {within_one:.5%}")
    if diff.max() > 2 or within_one < 0.999:
        sys.exit("export_stylebank_onnx: the exported graph does not compute what our network computes")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("weights", help="stylebank.safetensors")
    p.add_argument("out", help="where to write the ONNX file")
    p.add_argument("--style", type=int, default=3)
    p.add_argument("--check-image", help="a photo to compare both sides on")
    p.add_argument("--check-binary", default=".build/release/atelier")
    p.add_argument("--models", default="data/models")
    args = p.parse_args()
    weights, metadata = read_safetensors(args.weights)
    if metadata.get("architecture") != "stylebank-v2":
        sys.exit(f"export_stylebank_onnx: {args.weights} is {metadata.get('architecture')}, not stylebank-v2")
    onnx.save(stylebank_graph(weights, args.style), args.out)
    print(f"wrote {args.out}: StyleBank style {args.style}, {residual_count(weights, 'encoder')} + "
          f"{residual_count(weights, 'decoder')} residual blocks")
    if args.check_image:
        check(args.out, args)


if __name__ == "__main__":
    main()
