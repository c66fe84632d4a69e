#!/usr/bin/env python3
"""Faults while training, against a release server on 127.0.0.1 (`make test` runs it). Standard
library only; bounded in time (TOTAL_TIME_LIMIT) and in count.

- kill -9: a style is learned and ready; then new styles train while the server is killed with
  SIGKILL, KILLS times: at random moments, and the instant a checkpoint's temporary file appears
  (written, not yet renamed; checkpoints come every second). After each restart the ready styles are
  byte-identical (their files, their image, a stylization with them), every interrupted job is
  listed failed with a reason, and its style trains on under a new job, from its checkpoint; at
  the end every style is ready.
- full disk: the data folder on a small tmpfs, filled until a training checkpoint cannot fit. The
  job fails with a reason naming the disk, the server stays healthy, and after a restart on the
  same folder the ready style is byte-identical. Mounting needs root: without it the case says
  SKIPPED (and the run does not pass it silently: the summary names it).

    scripts/test_training_faults.py [BINARY [MODELS]] [--seed N]
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts", "testing"))
from cases import CaseFailed, check  # noqa: E402
from live_server import LiveServer  # noqa: E402
from synthetic_png import gradient_png, noise_png  # noqa: E402

KILLS = 10
TOTAL_TIME_LIMIT = 900
ENV = {"ATELIER_CHECKPOINT_SECONDS": "1", "ATELIER_TRAINING_THREADS": "1", "ATELIER_THREADS": "2"}


def request(server, method, path, body=None, headers=None, timeout=60):
    req = urllib.request.Request(server.url + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n'.encode() for n, v in fields]
    parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"; filename="{n}.png"\r\n'
              f'Content-Type: image/png\r\n\r\n'.encode() + data + b"\r\n" for n, data in files]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def learn_style(server, seed, iterations):
    """POST /styles: a 128² training of `iterations` steps; returns (style id, job id)."""
    body, headers = multipart([("preset", "quick"), ("iterations", str(iterations)), ("size", "128"), ("seconds", "600")],
                              [("image", noise_png(128, 128, seed=seed))])
    status, answer = request(server, "POST", "/styles", body, headers)
    check(status == 202, f"POST /styles answered {status}: {answer[:300]!r}")
    created = json.loads(answer)
    return created["style"]["id"], created["job"]["id"]


def style(server, style_id):
    status, body = request(server, "GET", f"/styles/{style_id}")
    check(status == 200, f"GET /styles/{style_id} answered {status}: {body[:200]!r}")
    return json.loads(body)["style"]


def job(server, job_id):
    status, body = request(server, "GET", f"/jobs/{job_id}")
    check(status == 200, f"GET /jobs/{job_id} answered {status}: {body[:200]!r}")
    return json.loads(body)


def wait_ready(server, style_id, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = style(server, style_id)
        check(s["status"] != "failed", f"style {style_id} failed: {s.get('error')}")
        if s["status"] == "ready":
            return
        time.sleep(0.5)
    raise CaseFailed(f"style {style_id} was not ready after {timeout} s")


def kill_during_write(server, prefix, timeout=30):
    """SIGKILL the moment a temporary file whose name starts with `prefix` shows in the styles
    folder (an atomic write in progress: written, not yet renamed). Returns how it went."""
    styles = os.path.join(server.data, "styles")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(n.startswith(prefix) and n.endswith(".tmp") for n in os.listdir(styles)):
            server.kill9()
            return f"during a write of {prefix.lstrip('.')}"
    server.kill9()
    return f"after {timeout} s without seeing a write of {prefix.lstrip('.')}"


def first_iteration(server, job_id, timeout=20):
    """The first iteration a restarted job reports once running (None if it finished first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        j = job(server, job_id)
        if j["status"] == "running" and j["iteration"] > 0:
            return j["iteration"]
        if j["status"] in ("succeeded", "failed", "cancelled"):
            return None
        time.sleep(0.05)
    raise CaseFailed(f"job {job_id} did not start in {timeout} s")


def fingerprint(server, style_id):
    """Everything a ready style is made of, as hashes: its files in the data folder, its stored
    image and a stylization with it (the same bytes every time: the network is deterministic)."""
    files = {}
    for folder, _, names in os.walk(server.data):
        for name in names:
            if str(style_id) in name and not name.startswith("."):
                path = os.path.join(folder, name)
                with open(path, "rb") as f:
                    files[os.path.relpath(path, server.data)] = hashlib.sha256(f.read()).hexdigest()
    status, image = request(server, "GET", f"/styles/{style_id}/image")
    check(status == 200, f"GET /styles/{style_id}/image answered {status}")
    status, out = request(server, "POST", f"/stylize?style={style_id}&format=png&max_size=96",
                          gradient_png(96, 64, seed=7), {"Content-Type": "image/png"})
    check(status == 200, f"stylizing with style {style_id} answered {status}: {out[:200]!r}")
    check(files, f"no files of style {style_id} in the data folder")
    return {"files": files, "image": hashlib.sha256(image).hexdigest(), "stylized": hashlib.sha256(out).hexdigest()}


def case_kill9(binary, models, rng):
    folder = tempfile.mkdtemp(prefix="atelier-faults-")
    server = LiveServer(binary, models, env=ENV, training_photos=4, folder=folder)
    try:
        server.start()
        ready_id, _ = learn_style(server, seed=1, iterations=20)
        wait_ready(server, ready_id, timeout=180)
        ready = {ready_id: fingerprint(server, ready_id)}
        training_id, job_id = learn_style(server, seed=2, iterations=60)
        resumed_from_checkpoint, kills = 0, 0
        while kills < KILLS:
            s = style(server, training_id)
            if s["status"] == "ready":   # trained through the kills so far: it joins the ready ones, and another starts
                ready[training_id] = fingerprint(server, training_id)
                training_id, job_id = learn_style(server, seed=10 + kills, iterations=60)
            # Kills 1–6 at a random moment; 7–10 the instant a checkpoint's temporary file
            # appears, i.e. while it is written and before its rename.
            if kills < KILLS - 4:
                delay = rng.uniform(0.3, 4.0)
                time.sleep(delay)
                before = job(server, job_id)["iteration"]
                server.kill9()
                moment = f"after {delay:.1f} s"
            else:
                before = job(server, job_id)["iteration"]
                moment = kill_during_write(server, f".{training_id}.checkpoint.safetensors")
            kills += 1
            leftovers = [n for _, _, names in os.walk(server.data) for n in names if ".tmp" in n or n.startswith(".")]
            server.start()
            # A write's temporary file is named .<name>.<pid>.tmp; the restarted server may be
            # writing one of its own (jobs.json on a state change) as we look, so only files of
            # other processes (the killed one) count as left behind.
            own = f".{server.process.pid}.tmp"
            stale = [n for _, _, names in os.walk(server.data) for n in names
                     if n.endswith(".tmp") and not n.endswith(own)]
            check(not stale, f"kill {kills}: the restarted server left the cut-short writes' files: {stale}")
            for sid, expected in ready.items():
                check(style(server, sid)["status"] == "ready", f"kill {kills}: ready style {sid} is no longer ready")
                check(fingerprint(server, sid) == expected, f"kill {kills}: ready style {sid} changed")
            old = job(server, job_id)
            s = style(server, training_id)
            if s["status"] == "ready":
                continue
            check(s["status"] == "training", f"kill {kills}: style {training_id} is {s['status']} ({s.get('error')})")
            if old["status"] in ("queued", "running"):
                raise CaseFailed(f"kill {kills}: the killed job {job_id} is still listed {old['status']}")
            if old["status"] == "failed":
                check(old.get("error"), f"kill {kills}: job {job_id} failed without a reason")
                check(s.get("job_id") and s["job_id"] != job_id, f"kill {kills}: style {training_id} has no new job")
                job_id = s["job_id"]
                first = first_iteration(server, job_id)
                # Checkpoints come every second: a job well under way goes on from about where it was.
                if before >= 8:
                    check(first is None or first >= before // 2,
                          f"kill {kills}: the job was at iteration {before}, its successor started at {first}")
                    resumed_from_checkpoint += first is not None
            print(f"  kill {kills} {moment} (job at iteration {before}, "
                  f"{len(leftovers)} temporary files left, removed at the restart): {len(ready)} ready styles unchanged", flush=True)
        wait_ready(server, training_id, timeout=300)
        final = style(server, training_id)
        print(f"  {kills} kills; the last style trained to ready; {len(ready)} ready styles byte-identical throughout; "
              f"jobs killed past iteration 8 went on from their checkpoint {resumed_from_checkpoint} times", flush=True)
        check(resumed_from_checkpoint > 0, "no interrupted job was ever resumed from its checkpoint")
        return final
    except (CaseFailed, RuntimeError):   # RuntimeError: a restart that did not come up (LiveServer)
        print(server.log_tail(), flush=True)
        raise
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def case_full_disk(binary, models):
    folder = tempfile.mkdtemp(prefix="atelier-fulldisk-")
    server = LiveServer(binary, models, env=ENV, training_photos=4, folder=folder)
    os.makedirs(server.data)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", server.data], capture_output=True).returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        return "SKIPPED (cannot mount a tmpfs: needs root)"
    try:
        server.start()
        ready_id, _ = learn_style(server, seed=3, iterations=20)
        wait_ready(server, ready_id, timeout=180)
        expected = fingerprint(server, ready_id)
        # Fill the disk, leaving room for a request's upload but not for a training checkpoint.
        filler = os.path.join(server.data, "filler")
        free = shutil.disk_usage(server.data).free
        with open(filler, "wb") as f:
            f.write(b"\0" * max(0, free - 96 * 1024))
        body, headers = multipart([("preset", "quick"), ("iterations", "200"), ("size", "128")], [("image", noise_png(96, 96, seed=4))])
        status, answer = request(server, "POST", "/styles", body, headers)
        if status == 202:
            created = json.loads(answer)
            sid, jid = created["style"]["id"], created["job"]["id"]
            deadline = time.monotonic() + 180
            while style(server, sid)["status"] == "training":
                check(time.monotonic() < deadline, "the job on a full disk neither failed nor finished in 180 s")
                time.sleep(0.5)
            s, j = style(server, sid), job(server, jid)
            check(s["status"] == "failed" and j["status"] == "failed", f"on a full disk the style is {s['status']}, its job {j['status']}")
            reason = j.get("error", "")
            check("space" in reason.lower() or "disk" in reason.lower(), f"the job's reason does not name the disk: {reason!r}")
            outcome = f"the job failed: {reason}"
        else:
            code = json.loads(answer).get("error", {}).get("code")
            check(status in (503, 507) and code, f"POST /styles on a full disk answered {status} {answer[:200]!r}")
            outcome = f"POST /styles answered {status} {code}"
        check(request(server, "GET", "/healthz")[0] == 200, "the server is not healthy on a full disk")
        check(fingerprint(server, ready_id) == expected, "the ready style changed on a full disk")
        os.remove(filler)
        server.kill9()
        server.start()
        check(fingerprint(server, ready_id) == expected, "after a restart the ready style is not byte-identical")
        print(f"  full disk: {outcome}; healthy; the ready style byte-identical before and after a restart", flush=True)
        return "passed"
    except (CaseFailed, RuntimeError):   # RuntimeError: a restart that did not come up (LiveServer)
        print(server.log_tail(), flush=True)
        raise
    finally:
        server.stop()
        subprocess.run(["umount", server.data], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def over_time(signum, frame):
    raise CaseFailed(f"the run went over its {TOTAL_TIME_LIMIT} s limit")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.path.join(ROOT, ".build", "release", "atelier"))
    ap.add_argument("models", nargs="?", default=os.path.join(ROOT, "data", "models"))
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    args = ap.parse_args()
    signal.signal(signal.SIGALRM, over_time)
    signal.alarm(TOTAL_TIME_LIMIT)
    print(f"training faults: kill -9 ×{KILLS} at random moments (--seed {args.seed}), then a full disk", flush=True)
    failures, notes = [], []
    for name, run in [("kill -9", lambda: case_kill9(args.binary, args.models, random.Random(args.seed))),
                      ("full disk", lambda: case_full_disk(args.binary, args.models))]:
        started = time.monotonic()
        try:
            result = run()
            if isinstance(result, str) and result.startswith("SKIPPED"):
                notes.append(f"{name} {result}")
                print(f"  {name}: {result}", flush=True)
            else:
                print(f"  {name}: passed in {time.monotonic() - started:.0f} s", flush=True)
        except (CaseFailed, RuntimeError) as failure:
            print(f"  {name}: FAILED: {failure}", flush=True)
            failures.append(name)
    signal.alarm(0)
    print("training faults: " + ("FAILED: " + ", ".join(failures) if failures else "passed") + "".join(f"; {n}" for n in notes))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
