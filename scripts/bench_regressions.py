#!/usr/bin/env python3
"""Points out regressions: each run of `make bench` compares its figures with the last run
committed for the same kind of machine (docs/bench/<kind>.json: CPU model and widest vector
extension), prints every figure more than 10% worse, puts them in BENCHMARKS.md, and then keeps
this run's figures in that file for the next comparison (commit it with BENCHMARKS.md).

Figures, each with which way is better:
- ours / onnxruntime per network and ours / PyTorch per training step: ratios measured in one
  run, so a busy machine moves both sides and the ratio stays comparable between runs;
- OpenBLAS / ours per GEMM shape (the inverse of the GFLOP/s ratio, so lower is better);
- peak RSS of a stylization, which load does not move;
- the times no peer runs (AdaIN and MUNIT by part): absolute, so a loaded machine can make them
  look worse; the report says how busy others kept the CPUs.

    python3 scripts/bench_regressions.py OLD.json NEW.json   # compare two figure files
"""
import json
import os
import re
import sys

THRESHOLD = 0.10
FIGURES_DIR = os.path.join("docs", "bench")
OURS_ONLY = ["adain_512_content_encoding", "adain_512_style_encoding", "adain_512_decoding", "adain_512_cached_style",
             "adain_512_new_style", "munit_512_content_encoding", "munit_256_style_encoding", "munit_512_decoding"]


def machine_kind(machine):
    """A file name for the kind of machine: its CPU model and the widest vector extension it has."""
    isa = "avx512" if machine.get("avx512f") else "avx2" if machine.get("avx2") else "baseline"
    model = re.sub(r"[^a-z0-9]+", "-", machine.get("cpu", "unknown").lower()).strip("-")
    return f"{model}-{isa}"


def figures(results, ours_rounds, training_rows):
    """{name: {"value", "lower_is_better", "unit"}} from bench_report's results."""
    f = {}
    for n in results["networks"]:
        f[f"{n['network']} {n['input']}: ours / onnxruntime"] = {"value": n["ratio"], "lower_is_better": True, "unit": "ratio"}
    for g in results["gemm"]:
        f[f"GEMM {g['m']}×{g['n']}×{g['k']}: OpenBLAS / ours"] = {"value": g["openblas_gflops"] / g["ours_gflops"],
                                                              "lower_is_better": True, "unit": "ratio"}
    for label, ratio in training_rows:
        f[f"training, {label}: ours / PyTorch"] = {"value": ratio, "lower_is_better": True, "unit": "ratio"}
    for size, r in results["peak_rss"].items():
        f[f"peak RSS of a {size}² stylization"] = {"value": r["peak_rss_kib"] / 1024, "lower_is_better": True, "unit": "MiB"}
    for key in OURS_ONLY:
        values = [r[key] for r in ours_rounds if key in r]
        if values:
            f[key.replace("_", " ")] = {"value": min(values) * 1000, "lower_is_better": True, "unit": "ms"}
    return f


def compare(old, new, threshold=THRESHOLD):
    """Lines naming each figure more than `threshold` worse than before, worst first."""
    worse = []
    for name, now in new.items():
        before = old.get(name)
        if not before or before["value"] <= 0:
            continue
        change = now["value"] / before["value"] - 1 if now["lower_is_better"] else before["value"] / now["value"] - 1
        if change > threshold:
            worse.append((change, f"{name}: {before['value']:.3g} → {now['value']:.3g} {now['unit']} ({100 * change:+.0f}%)"))
    return [line for _, line in sorted(worse, reverse=True)]


def check_and_record(machine, results, ours_rounds, training_rows, directory=FIGURES_DIR):
    """Compares with the committed figures of this machine kind, then records this run's.
    Returns (markdown lines for BENCHMARKS.md, what was compared against or None)."""
    path = os.path.join(directory, machine_kind(machine) + ".json")
    current = {"date": results["date"], "commit": machine.get("commit", "?"), "figures": figures(results, ours_rounds, training_rows)}
    previous = json.load(open(path)) if os.path.exists(path) else None
    lines = [f"\n### Regressions (more than {THRESHOLD:.0%} worse than the committed run on this kind of machine)\n"]
    if previous is None:
        lines.append(f"No committed run for `{machine_kind(machine)}` yet: this run's figures are the baseline ({path}).")
    else:
        regressions = compare(previous["figures"], current["figures"])
        lines.append(f"Against {path}: the run of {previous['date']} at commit {previous['commit']}.\n")
        lines.extend([f"- **{line}**" for line in regressions] or ["None."])
        for line in regressions:
            print(f"bench: REGRESSION {line}", file=sys.stderr)
    os.makedirs(directory, exist_ok=True)
    with open(path, "w") as f:
        json.dump(current, f, indent=1, ensure_ascii=False)
    return lines


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    old, new = (json.load(open(p))["figures"] for p in sys.argv[1:3])
    print("\n".join(compare(old, new)) or "no regressions")
