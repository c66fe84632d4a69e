#!/usr/bin/env python3
"""Replicas sharing one PostgreSQL store, as separate processes: two API replicas
(`serve --role api`) and two trainers (`serve --role trainer`).

A style posted to the first API is trained by a trainer; the trainer holding the job is killed
with SIGKILL once the job has a checkpoint; the other trainer takes the job over when its lease
expires and finishes it; the second API then serves the style. Run it beside a database:

    scripts/with_postgres.sh scripts/test_replicas.py [--binary .build/release/atelier]
        [--models data/models] [--photos data/test-photos] [--timeout 300]

Everything is bounded by --timeout seconds; the processes are stopped at the end, whatever happens.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

LEASE_SECONDS = 4        # a killed trainer's job is taken over after this long
CHECKPOINT_SECONDS = 2


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method, url, body=None, headers=None, timeout=30):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def sql(database, query):
    """One value from the shared database (what the API does not show: who holds a job)."""
    out = subprocess.run(["psql", database, "-Atc", query], check=True, capture_output=True, text=True, timeout=20)
    return out.stdout.strip()


def wait_for(description, condition, deadline, interval=0.25):
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure(f"timed out waiting for {description}")
        time.sleep(interval)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/atelier")
    parser.add_argument("--models", default="data/models")
    parser.add_argument("--photos", default="data/test-photos", help="content photos the trainers train on; one is the painting")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    database = os.environ.get("ATELIER_TEST_POSTGRES_URL")
    if not database:
        sys.exit("ATELIER_TEST_POSTGRES_URL is unset: run this under scripts/with_postgres.sh")
    deadline = time.monotonic() + args.timeout
    photos = sorted(os.path.join(args.photos, f) for f in os.listdir(args.photos) if f.lower().endswith((".png", ".jpg", ".jpeg")))
    check(photos, f"no photos in {args.photos}")
    workdir = tempfile.mkdtemp(prefix="atelier-replicas-")
    processes = {}

    def start(name, role, port=None):
        log = open(os.path.join(workdir, f"{name}.log"), "w")
        command = [os.path.abspath(args.binary), "serve", "--role", role, "--store", database,
                   "--data", os.path.join(workdir, name), "--models", args.models, "--training-photos", args.photos]
        if port:
            command += ["--host", "127.0.0.1", "--port", str(port)]
        env = dict(os.environ, ATELIER_JOB_LEASE_SECONDS=str(LEASE_SECONDS), ATELIER_CHECKPOINT_SECONDS=str(CHECKPOINT_SECONDS),
                   ATELIER_THREADS="1")
        processes[name] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)

    try:
        # The first process migrates the empty database; the others find it done.
        ports = {"api-1": free_port(), "api-2": free_port()}
        for name, port in ports.items():
            start(name, "api", port)
        start("trainer-1", "trainer")
        start("trainer-2", "trainer")
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        for name, url in urls.items():
            wait_for(f"{name} to serve", lambda: _alive(url), deadline)
        for name, p in processes.items():
            check(p.poll() is None, f"{name} exited early with {p.returncode}")

        with open(photos[0], "rb") as f:
            painting = f.read()
        body, headers = multipart([("name", "replicated"), ("iterations", "80"), ("size", "64")], [("image", "painting.png", painting)])
        status, _, answer = request("POST", urls["api-1"] + "/styles", body, headers)
        check(status == 202, f"POST /styles on api-1: {status} {answer[:300]!r}")
        created = json.loads(answer)
        style, job = created["style"]["id"], created["job"]["id"]
        print(f"replicas: style {style} posted to api-1, job {job}")

        def job_record(api):
            status, _, answer = request("GET", urls[api] + f"/jobs/{job}")
            check(status == 200, f"GET /jobs/{job} on {api}: {status}")
            return json.loads(answer)

        # Wait for a trainer to hold the job and checkpoint it, then kill that trainer outright.
        wait_for("the job to run and checkpoint", lambda: job_record("api-2")["status"] == "running"
                 and sql(database, f"SELECT checkpoint IS NOT NULL FROM atelier_styles WHERE id = {style}") == "t", deadline)
        owner = sql(database, f"SELECT lease_owner FROM atelier_jobs WHERE id = '{job}'")
        victim = next(name for name, p in processes.items() if name.startswith("trainer") and f":{p.pid}:" in owner)
        survivor = "trainer-2" if victim == "trainer-1" else "trainer-1"
        at = job_record("api-2")["iteration"]
        processes[victim].send_signal(signal.SIGKILL)
        processes[victim].wait(timeout=10)
        print(f"replicas: killed {victim} (SIGKILL) at iteration {at}; {survivor} should take over after the {LEASE_SECONDS} s lease")

        wait_for(f"{survivor} to take the job over", lambda: f":{processes[survivor].pid}:" in
                 sql(database, f"SELECT coalesce(lease_owner, '') FROM atelier_jobs WHERE id = '{job}'")
                 or job_record("api-2")["status"] != "running", deadline)
        done = wait_for("the job to end", lambda: (lambda r: r if r["status"] not in ("queued", "running") else None)(job_record("api-2")), deadline, 0.5)
        check(done["status"] == "succeeded", f"the job ended {done['status']}: {done.get('error')}")
        attempts = sql(database, f"SELECT attempts FROM atelier_jobs WHERE id = '{job}'")
        check(attempts == "2", f"the job was claimed {attempts} times, expected 2 (the killed trainer, then the other)")

        # The second API picks the learned bank up at its next look at the store.
        photo = photos[-1]
        with open(photo, "rb") as f:
            image = f.read()

        def stylized():
            status, kind, answer = request("POST", urls["api-2"] + f"/stylize?model=stylebank&style={style}&max_size=128", image,
                                           {"Content-Type": "image/png" if photo.endswith(".png") else "image/jpeg"})
            return (status, kind) if status != 409 else None
        status, kind = wait_for("api-2 to serve the style", stylized, deadline)
        check(status == 200 and kind.startswith("image/"), f"/stylize on api-2: {status} {kind}")
        print(f"replicas: {survivor} finished the job after {victim} was killed; api-2 serves style {style}")
        return 0
    except Failure as failure:
        print(f"replicas: FAILED: {failure}", file=sys.stderr)
        for name in processes:
            with open(os.path.join(workdir, f"{name}.log")) as f:
                print(f"--- {name}.log (last lines)\n" + "".join(f.readlines()[-15:]), file=sys.stderr)
        return 1
    finally:
        for p in processes.values():
            if p.poll() is None:
                p.terminate()
        for p in processes.values():
            try:
                p.wait(timeout=35)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def _alive(url):
    try:
        return request("GET", url + "/healthz", timeout=2)[0] == 200
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
