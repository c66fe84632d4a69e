#!/usr/bin/env python3
"""Summarize a training log (`loss.tsv` from `atelier train stylebank`, `adain` or `munit`;
AdaIN's has no identity column, and its identity curve is left empty; MUNIT's has its own).

    scripts/loss_curve.py LOSS.tsv OUT.tsv [OUT.png] [--window 100]

OUT.tsv: per window of iterations, the mean of each loss (StyleBank and AdaIN: content, style
and identity; MUNIT: discriminator, adversarial, image, style and content). OUT.png (needs
Pillow): the curves on a log scale, one panel each, so a provenance file can show them.
"""
import math
import sys


def generic_windows(path, size):
    """Every column between `iteration` and `seconds`, averaged per window: (names, series)."""
    with open(path) as f:
        names = next(f).rstrip("\n").split("\t")[1:-1]
        rows = {}
        for line in f:
            fields = line.rstrip("\n").split("\t")
            w = (int(fields[0]) - 1) // size
            rows.setdefault(w, []).append([float(x) for x in fields[1:-1]])
    if rows and len(rows[max(rows)]) < size // 2:   # a last window under half full: left out, as below
        del rows[max(rows)]
    series = [((w + 1) * size, *[sum(col) / len(col) for col in zip(*r)]) for w, r in sorted(rows.items())]
    return names, series


def windows(path, size):
    rows = {}
    with open(path) as f:
        header = next(f).rstrip("\n").split("\t")
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if header == ["iteration", "content", "style", "seconds"]:   # atelier train adain
                it, content, style_loss, _ = fields
                style, tv, identity = "0", "0", "0"
            else:
                it, style, content, style_loss, tv, identity, _ = fields
            w = (int(it) - 1) // size
            r = rows.setdefault(w, {"content": [], "style": [], "identity": []})
            if style == "-":
                r["identity"].append(float(identity))
            else:
                r["content"].append(float(content))
                r["style"].append(float(style_loss))
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")
    # A last window holding less than half its iterations (a run stopped just past a boundary)
    # would plot a mean of a few noisy steps as the curve's end: leave it out.
    if rows:
        last = max(rows)
        if sum(len(v) for v in rows[last].values()) < size // 2:
            del rows[last]
    return [((w + 1) * size, mean(r["content"]), mean(r["style"]), mean(r["identity"])) for w, r in sorted(rows.items())]


def plot(series, path, names=("content", "style", "identity")):
    from PIL import Image, ImageDraw
    width, height, pad = 900, 240, 40
    xs = [s[0] for s in series]
    points = lambda k: [(x, math.log10(s[k + 1])) for x, s in zip(xs, series) if s[k + 1] > 0 and not math.isnan(s[k + 1])]
    # Only the losses the run has (an AdaIN run has no identity loss): no empty panels.
    panels = [(k, name) for k, name in enumerate(names) if len(points(k)) >= 2] or list(enumerate(names))[:1]
    img = Image.new("RGB", (width, height * len(panels)), "white")
    d = ImageDraw.Draw(img)
    for row, (k, name) in enumerate(panels):
        ys = points(k)
        top = row * height
        d.rectangle([pad, top + 10, width - 10, top + height - pad], outline="gray")
        if len(ys) < 2:
            continue
        lo, hi = min(y for _, y in ys), max(y for _, y in ys)
        hi = hi if hi > lo else lo + 1
        x0, x1 = xs[0], xs[-1] if xs[-1] > xs[0] else xs[0] + 1
        px = lambda x: pad + (x - x0) / (x1 - x0) * (width - 10 - pad)
        py = lambda y: top + height - pad - (y - lo) / (hi - lo) * (height - pad - 20)
        d.line([(px(x), py(y)) for x, y in ys], fill="navy", width=2)
        d.text((pad + 6, top + 14), f"{name} loss (log10 {lo:.2f} .. {hi:.2f})", fill="black")
        d.text((pad, top + height - pad + 6), f"iteration {x0}", fill="black")
        d.text((width - 120, top + height - pad + 6), f"{x1}", fill="black")
    img.save(path)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    size = int(sys.argv[sys.argv.index("--window") + 1]) if "--window" in sys.argv else 100
    if "--window" in sys.argv:
        args.remove(str(size))
    with open(args[0]) as f:
        header = f.readline().rstrip("\n").split("\t")
    if "discriminator" in header:   # atelier train munit
        names, series = generic_windows(args[0], size)
        with open(args[1], "w") as f:
            f.write("iteration\t" + "\t".join(names) + "\n")
            for row in series:
                f.write(f"{row[0]}\t" + "\t".join(f"{v:.6g}" for v in row[1:]) + "\n")
        if len(args) > 2:
            plot(series, args[2], names)
        return
    series = windows(args[0], size)
    with open(args[1], "w") as f:
        f.write("iteration\tcontent\tstyle\tidentity\n")
        for it, c, s, i in series:
            f.write(f"{it}\t{c:.6g}\t{s:.6g}\t{i:.6g}\n")
    if len(args) > 2:
        plot(series, args[2])


if __name__ == "__main__":
    main()
