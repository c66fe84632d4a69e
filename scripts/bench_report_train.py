#!/usr/bin/env python3
"""The training part of the benchmark report: StyleBank's training steps, ours beside PyTorch's,
from what scripts/bench_train.sh left in DIR (profile-train-R.txt, profile-learn-R.txt,
train-peer-R.json for each round R). scripts/bench_report.py includes it in BENCHMARKS.md; alone it
prints the section:

    python3 scripts/bench_report_train.py [--dir .cache/bench]

Per side the best round is kept, as for the networks. Ours is `atelier profile`'s mean of its
consecutive steps after a warm-up cycle; PyTorch's the median of its steps after one warm-up.
The phase tables are per run of a phase (ours: the profile's per-step share times its steps over
the phase's runs), from each side's best round.
"""
import argparse
import glob
import json
import os
import re

PHASE = re.compile(r"^(.+?)\s+×(\d+)\s+([\d.]+) ms")
# PyTorch's autograd runs VGG's and TV's backward as one; ours has them apart.
JOINED = {"vgg ∂x + tv ∂x": ["vgg ∂x", "tv"]}


def parse_profile(path):
    """{'whole_s', 'stylizing_s', 'identity_s', 'phases': [(name, seconds per run)], 'title'}."""
    text = open(path).read()
    lines = text.splitlines()
    header = next(i for i, l in enumerate(lines) if " steps at " in l and "per step" in l)
    steps = int(re.search(r"mean of (\d+) consecutive steps", lines[header]).group(1))
    phases = []
    for line in lines[header + 1:]:
        m = PHASE.match(line)
        if not m:
            break
        name, runs, ms = m.group(1).strip(), int(m.group(2)), float(m.group(3))
        phases.append((name, ms / 1000 * steps / runs))
    out = {"title": lines[header], "phases": phases,
           "whole_s": float(re.search(r"whole step: ([\d.]+) ms", text).group(1)) / 1000}
    kinds = re.search(r"stylizing step: ([\d.]+) ms; auto-encoder step: ([\d.]+) ms", text)
    if kinds:
        out["stylizing_s"], out["identity_s"] = float(kinds.group(1)) / 1000, float(kinds.group(2)) / 1000
    return out


def load(directory):
    rounds = sorted(glob.glob(os.path.join(directory, "train-peer-*.json")))
    if not rounds:
        return None
    result = {"peer": [json.load(open(p)) for p in rounds], "train": [], "learn": []}
    for kind in ("train", "learn"):
        for path in sorted(glob.glob(os.path.join(directory, f"profile-{kind}-*.txt"))):
            result[kind].append(parse_profile(path))
    return result


ROWS = [("training, cycle mean (2 stylizing + 1 auto-encoder step)", "train", "whole_s", "step_s"),
        ("stylizing step (whole network: forward, backward, Adam)", "train", "stylizing_s", "stylizing_s"),
        ("auto-encoder step (identity loss)", "train", "identity_s", "identity_s"),
        ("new-style step (bank only, auto-encoder fixed)", "learn", "whole_s", "step_s")]


def step_times(r):
    """[(label, ours' best rounds, PyTorch's best rounds)] for the rows both sides measured."""
    out = []
    for label, kind, ours_key, peer_key in ROWS:
        o = [p[ours_key] for p in r[kind] if ours_key in p]
        q = [p[kind][peer_key] for p in r["peer"] if peer_key in p.get(kind, {})]
        if o and q:
            out.append((label, o, q))
    return out


def ratios(directory):
    """[(step, ours / PyTorch of the best rounds)], [] without training rounds (the regression check's figures)."""
    r = load(directory)
    if not r or not r["train"] or not r["learn"]:
        return []
    return [(label.split(" (")[0], min(o) / min(q)) for label, o, q in step_times(r)]


def ms(seconds):
    return f"{seconds * 1000:.0f}"


def section(directory, number="2b"):
    """Markdown lines of the training table, or [] when DIR holds no training rounds."""
    r = load(directory)
    if not r or not r["train"] or not r["learn"]:
        return []
    peer, meta = r["peer"], r["peer"][0]["meta"]
    size = peer[0]["train"]["size"]
    t = [f"\n### {number}. StyleBank training steps vs PyTorch ({size}² crop, batch 1, loss weights "
         f"`{peer[0]['train']['loss_weights']}`; best of {len(peer)} alternating rounds; ratio below 1: ours is faster)\n"]
    t.append(f"Ours: `atelier profile`, mean of its steps after a warm-up cycle. PyTorch {meta['torch']} on the CPU, "
             f"{meta['threads']} threads, OMP_WAIT_POLICY {meta.get('omp_wait_policy', 'unset')} (scripts/bench_train_peer.py), median of {meta['repeats']} after {meta['warmup']} warm-up, "
             f"after checking that its losses on our weights and input match ours.\n")
    t.append("| step | ours (ms) | PyTorch (ms) | ours / PyTorch | rounds, ours · PyTorch (ms) |")
    t.append("|---|---:|---:|---:|---|")
    for label, o, q in step_times(r):
        t.append(f"| {label} | {ms(min(o))} | {ms(min(q))} | {min(o) / min(q):.2f} | "
                 f"{' '.join(ms(v) for v in o)} · {' '.join(ms(v) for v in q)} |")
    t.append("\nThe check before timing (first round; relative differences, ours vs PyTorch on the same weights and input):\n")
    t.append("| step | content | style | tv | total | identity | gradient norm | all gradients |")
    t.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind in ("train", "learn"):
        rel = {row["name"].split(" ")[0]: row["relative"] for row in peer[0][kind]["check"]["rows"]}
        cells = [f"{rel[k]:.1e}" if k in rel else "–" for k in ("content", "style", "tv", "total", "identity", "grad_norm", "gradients")]
        t.append(f"| {kind} | " + " | ".join(cells) + " |")
    for kind, title in (("train", "training cycle"), ("learn", "new-style step")):
        best_ours = min(r[kind], key=lambda p: p["whole_s"])
        best_peer = min(peer, key=lambda p: p[kind]["step_s"])[kind]
        t.append(f"\nPhases of the {title}, ms per run of the phase (each side's best round):\n")
        t.append("| phase | ours | PyTorch |")
        t.append("|---|---:|---:|")
        ours_phases = dict(best_ours["phases"])
        peer_phases = dict(best_peer["phases"])
        shown = set()
        for name, s in best_ours["phases"]:
            joined = next((j for j, parts in JOINED.items() if name in parts), None)
            if joined and joined in peer_phases:
                if joined in shown:
                    continue
                shown.add(joined)
                mine = sum(ours_phases.get(part, 0) for part in JOINED[joined])
                t.append(f"| {joined} | {mine * 1000:.1f} | {peer_phases[joined] * 1000:.1f} |")
                continue
            other = f"{peer_phases[name] * 1000:.1f}" if name in peer_phases else "–"
            t.append(f"| {name} | {s * 1000:.1f} | {other} |")
            shown.add(name)
        for name, s in best_peer["phases"]:
            if name not in shown:
                t.append(f"| {name} | – | {s * 1000:.1f} |")
    return t


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", default=".cache/bench")
    args = p.parse_args()
    lines = section(args.dir)
    if not lines:
        raise SystemExit(f"bench_report_train: no training rounds in {args.dir} (scripts/bench_train.sh)")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
