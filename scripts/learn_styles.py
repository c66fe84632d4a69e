#!/usr/bin/env python3
"""Teach a running Atelier service new styles through its API and record what happened.

    scripts/learn_styles.py --url http://127.0.0.1:8080 --out DIR \\
        --style PAINTING.jpg [--style …] --photo PHOTO.jpg [--photo …] [--preset standard] [--iterations N] [--size S]

For each painting: POST /styles, then GET /jobs/{id} every second until the job ends (jobs run
one at a time, so later ones wait in the queue). Writes to DIR:
  jobs.tsv        style, seconds since its job started running, iteration, reported loss
  summary.tsv     style, id, status, queued→done seconds, running seconds, final loss
  learned.png     one row per style: the painting, then each photo before and after
  loss.png        each job's reported loss against iteration (needs Pillow, like learned.png)
Only the standard library and Pillow; the service does all the work.
"""
import argparse
import io
import json
import math
import os
import time
import urllib.request
import uuid


def request(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, path in files:
        data = open(path, "rb").read()
        kind = "image/png" if path.lower().endswith(".png") else "image/jpeg"
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{os.path.basename(path)}"\r\n'
                     f'Content-Type: {kind}\r\n\r\n'.encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--out", required=True)
    ap.add_argument("--style", action="append", required=True)
    ap.add_argument("--photo", action="append", required=True)
    ap.add_argument("--preset", default="standard")
    ap.add_argument("--iterations", help="override the preset's step count")
    ap.add_argument("--size", help="override the preset's crop side")
    ap.add_argument("--max-side", type=int, default=384)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    jobs = []
    for path in a.style:
        name = os.path.splitext(os.path.basename(path))[0]
        fields = [("name", name), ("preset", a.preset)]
        fields += [(k, v) for k, v in (("iterations", a.iterations), ("size", a.size)) if v]
        body, kind = multipart(fields, [("image", path)])
        status, reply = request("POST", a.url + "/styles", body, {"Content-Type": kind})
        if status != 202:
            raise SystemExit(f"POST /styles {name}: {status} {reply[:300]!r}")
        r = json.loads(reply)
        jobs.append({"name": name, "path": path, "id": r["style"]["id"], "job": r["job"]["id"], "posted": time.time(),
                     "started": None, "trace": [], "final": None})
        print(f"{name}: style {r['style']['id']}, job {r['job']['id']}")

    while any(j["final"] is None for j in jobs):
        time.sleep(1)
        for j in jobs:
            if j["final"] is not None:
                continue
            job = json.loads(request("GET", f"{a.url}/jobs/{j['job']}")[1])
            if job["status"] == "running" and j["started"] is None:
                j["started"] = time.time()
            if j["started"] is not None and job.get("loss") is not None:
                j["trace"].append((time.time() - j["started"], job["iteration"], job["loss"]))
            if job["status"] in ("succeeded", "failed", "cancelled"):
                j["final"] = job
                j["done"] = time.time()
                print(f"{j['name']}: {job['status']} after {j['done'] - j['posted']:.0f} s"
                      + (f" ({j['done'] - j['started']:.0f} s running)" if j["started"] else "")
                      + (f", error: {job.get('error')}" if job.get("error") else ""))

    with open(os.path.join(a.out, "jobs.tsv"), "w") as f:
        f.write("style\tseconds\titeration\tloss\n")
        for j in jobs:
            for t, it, loss in j["trace"]:
                f.write(f"{j['name']}\t{t:.1f}\t{it}\t{loss:.6g}\n")
    with open(os.path.join(a.out, "summary.tsv"), "w") as f:
        f.write("style\tid\tstatus\tposted_to_done_s\trunning_s\tfinal_loss\n")
        for j in jobs:
            loss = j["trace"][-1][2] if j["trace"] else float("nan")
            running = j["done"] - j["started"] if j["started"] else float("nan")
            f.write(f"{j['name']}\t{j['id']}\t{j['final']['status']}\t{j['done'] - j['posted']:.0f}\t{running:.0f}\t{loss:.6g}\n")

    from PIL import Image, ImageDraw
    tile = a.max_side // 2
    rows = []
    for j in jobs:
        row = [Image.open(j["path"]).convert("RGB")]
        for photo in a.photo:
            raw = open(photo, "rb").read()
            kind = "image/png" if photo.lower().endswith(".png") else "image/jpeg"
            status, out = request("POST", f"{a.url}/stylize?style={j['id']}&format=png&max_size={a.max_side}", raw, {"Content-Type": kind})
            row.append(Image.open(photo).convert("RGB"))
            row.append(Image.open(io.BytesIO(out)).convert("RGB") if status == 200 else Image.new("RGB", (tile, tile), "red"))
        rows.append(row)
    for row in rows:
        for i, im in enumerate(row):
            im.thumbnail((a.max_side, tile if i == 0 else a.max_side))
    cw = [max(row[i].width for row in rows) for i in range(len(rows[0]))]
    rh = [max(im.height for im in row) for row in rows]
    sheet = Image.new("RGB", (sum(cw) + 6 * (len(cw) + 1), sum(rh) + 6 * (len(rh) + 1)), "white")
    y = 6
    for row, h in zip(rows, rh):
        x = 6
        for im, w in zip(row, cw):
            sheet.paste(im, (x, y))
            x += w + 6
        y += h + 6
    sheet.save(os.path.join(a.out, "learned.png"))

    width, height, pad = 900, 360, 50
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    points = [(it, math.log10(loss)) for j in jobs for _, it, loss in j["trace"] if loss > 0]
    if points:
        x1 = max(p[0] for p in points) or 1
        y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
        y1 = y1 if y1 > y0 else y0 + 1
        colours = ["navy", "darkred", "darkgreen", "purple", "orange", "black"]
        d.rectangle([pad, 10, width - 10, height - pad], outline="gray")
        for k, j in enumerate(jobs):
            xy = [(pad + (width - pad - 10) * it / x1, 10 + (height - pad - 10) * (1 - (math.log10(l) - y0) / (y1 - y0)))
                  for _, it, l in j["trace"] if l > 0]
            if len(xy) > 1:
                d.line(xy, fill=colours[k % len(colours)], width=2)
            d.text((pad + 8, 16 + 14 * k), j["name"], fill=colours[k % len(colours)])
        d.text((pad, height - pad + 8), f"iteration 0 .. {x1}; loss (mean of the last 20 steps) log10 {y0:.2f} .. {y1:.2f}", fill="black")
    img.save(os.path.join(a.out, "loss.png"))
    print(f"wrote {a.out}/jobs.tsv, summary.tsv, learned.png, loss.png")


if __name__ == "__main__":
    main()
