#!/usr/bin/env python3
"""Replicas sharing one PostgreSQL store, as separate processes: two API replicas
(`serve --role api`) and two trainers (`serve --role trainer`).

1. A style posted to the first API is trained by a trainer; the trainer holding the job is
   killed with SIGKILL once the job has a checkpoint; the other trainer takes the job over when
   its lease expires and finishes it; the second API then serves the style.
2. Both APIs take `POST /styles` at once from several clients: every style gets its own id, every
   row is stored, and both APIs list them all.
3. The database is stopped and started again while clients stylize, list styles and follow a
   training job: no process dies; while it is down, `/readyz` and what needs the store answer 503
   with a JSON error (promptly), and stylizing with the built-in styles goes on; an API started
   meanwhile waits for the database; afterwards everything answers again and the job, in flight
   throughout, succeeds. (Needs ATELIER_TEST_POSTGRES_CTL, which scripts/with_postgres.sh sets.)

Run it beside a database:

    scripts/with_postgres.sh scripts/test_replicas.py [--binary .build/release/atelier]
        [--models data/models] [--photos data/test-photos] [--timeout 300]

Everything is bounded by --timeout seconds; the processes are stopped at the end, whatever happens.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
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
        # Line-buffered, so a failure's log shows the last lines of a process still running.
        command = (["stdbuf", "-oL"] if shutil.which("stdbuf") else []) + [os.path.abspath(args.binary), "serve", "--role", role, "--store", database,
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

        concurrent_posts(urls, painting, database, deadline)
        if os.environ.get("ATELIER_TEST_POSTGRES_CTL"):
            database_outage(urls, start, processes, painting, image, photo, database, deadline)
        else:
            print("replicas: ATELIER_TEST_POSTGRES_CTL is unset; the database outage is not tested")
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


def concurrent_posts(urls, painting, database, deadline, per_api=12, clients=6):
    """Registered (AdaIN) styles posted to both APIs at once: unique ids, no row lost."""
    before = int(sql(database, "SELECT count(*) FROM atelier_styles"))
    jobs = [(api, n) for n in range(per_api) for api in urls]

    def post(job):
        api, n = job
        body, headers = multipart([("name", f"concurrent-{api}-{n}"), ("model", "adain"), ("style_size", "256")],
                                  [("image", "painting.png", painting)])
        status, _, answer = request("POST", urls[api] + "/styles", body, headers, timeout=60)
        check(status == 201, f"POST /styles (adain) on {api}: {status} {answer[:300]!r}")
        return json.loads(answer)["style"]["id"]
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        ids = list(pool.map(post, jobs))
    check(len(set(ids)) == len(ids), f"duplicate style ids among {sorted(ids)}")
    after = int(sql(database, "SELECT count(*) FROM atelier_styles"))
    check(after - before == len(ids), f"{len(ids)} styles posted, {after - before} rows stored")
    for api, url in urls.items():
        def listed():
            status, _, answer = request("GET", url + "/styles")
            return status == 200 and set(ids) <= {s["id"] for s in json.loads(answer)["styles"]}
        wait_for(f"{api} to list every posted style", listed, deadline)
    print(f"replicas: {len(ids)} styles posted to both APIs at once ({clients} clients): unique ids, all stored, both list them all")


def database_outage(urls, start, processes, painting, image, photo, database, deadline, outage_seconds=8):
    """Stops the database mid-traffic and starts it again (see the module's docstring, 3)."""
    ctl = os.environ["ATELIER_TEST_POSTGRES_CTL"]
    image_type = "image/png" if photo.endswith(".png") else "image/jpeg"
    body, headers = multipart([("name", "through-the-outage"), ("iterations", "20000"), ("seconds", "30"), ("size", "64")],
                              [("image", "painting.png", painting)])
    status, _, answer = request("POST", urls["api-1"] + "/styles", body, headers)
    check(status == 202, f"POST /styles on api-1: {status} {answer[:300]!r}")
    created = json.loads(answer)
    style, job = created["style"]["id"], created["job"]["id"]
    wait_for("the job to run and checkpoint", lambda: sql(database, f"SELECT status FROM atelier_jobs WHERE id = '{job}'") == "running"
             and sql(database, f"SELECT checkpoint IS NOT NULL FROM atelier_styles WHERE id = {style}") == "t", deadline)

    # Clients: each call is (when, what, status, error code or None, seconds).
    log, stop_traffic = [], threading.Event()
    calls = [("stylize", api, lambda u: request("POST", u + "/stylize?style=3&max_size=96", image, {"Content-Type": image_type}))
             for api in urls] + \
            [("styles", api, lambda u: request("GET", u + "/styles")) for api in urls] + \
            [("job", api, lambda u: request("GET", u + f"/jobs/{job}")) for api in urls]

    def client(offset):
        i = offset
        while not stop_traffic.is_set():
            what, api, call = calls[i % len(calls)]
            i += 1
            began = time.monotonic()
            try:
                status, kind, answer = call(urls[api])
            except OSError as error:
                log.append((began, what, api, f"no answer: {error}", None, time.monotonic() - began))
                continue
            code = None
            if status != 200 or what != "stylize":
                try:
                    code = json.loads(answer).get("error", {}).get("code") if status != 200 else None
                except ValueError:
                    code = "not JSON"
            log.append((began, what, api, status, code, time.monotonic() - began))
            time.sleep(0.05)
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(3)]
    for t in threads:
        t.start()
    time.sleep(2)
    iteration_before = int(json.loads(request("GET", urls["api-2"] + f"/jobs/{job}")[2])["iteration"])
    stopping_at = time.monotonic()
    subprocess.run([ctl, "stop"], check=True, timeout=40)
    stopped_at = time.monotonic()   # the server is down (pg_ctl waited for it)
    print(f"replicas: database stopped mid-traffic (job {job} at iteration {iteration_before})")
    try:
        # An API started while the database is down waits for it instead of exiting.
        late_port = free_port()
        urls_late = f"http://127.0.0.1:{late_port}"
        start("api-3", "api", late_port)
        for api, url in urls.items():
            def unready():
                status, _, answer = request("GET", url + "/readyz", timeout=10)
                return (status, answer) if status == 503 else None
            status, answer = wait_for(f"{api}'s /readyz to fail", unready, time.monotonic() + 5, 0.2)
            check(json.loads(answer)["error"]["code"] == "store_unavailable", f"{api} /readyz while down: {answer[:200]!r}")
            began = time.monotonic()
            status, _, answer = request("GET", url + "/jobs", timeout=20)
            check(status == 503 and json.loads(answer)["error"]["code"] == "store_unavailable",
                  f"GET /jobs on {api} while the database is down: {status} {answer[:200]!r}")
            check(time.monotonic() - began < 5, f"GET /jobs on {api} took {time.monotonic() - began:.1f} s to fail")
            body, headers = multipart([("model", "adain")], [("image", "painting.png", painting)])
            status, _, answer = request("POST", url + "/styles", body, headers, timeout=20)
            check(status == 503 and json.loads(answer)["error"]["code"] == "store_unavailable",
                  f"POST /styles on {api} while the database is down: {status} {answer[:200]!r}")
        time.sleep(max(0, stopped_at + outage_seconds - time.monotonic()))
        check(processes["api-3"].poll() is None, "an API started while the database was down exited instead of waiting")
        check(not _alive(urls_late), "api-3 serves before its database is there")
    finally:
        restarted_at = time.monotonic()
        subprocess.run([ctl, "start"], check=True, timeout=40)
    print(f"replicas: database started again after {restarted_at - stopped_at:.1f} s")
    for api, url in list(urls.items()) + [("api-3", urls_late)]:
        wait_for(f"{api}'s /readyz to pass again", lambda: _ready(url), time.monotonic() + 60, 0.2)
    ready_at = time.monotonic()
    time.sleep(3)
    stop_traffic.set()
    for t in threads:
        t.join(timeout=60)
    dead = {name: p.poll() for name, p in processes.items() if p.poll() is not None}
    check(len(dead) == 1 and next(iter(dead)).startswith("trainer"),
          f"processes other than the trainer killed earlier exited during the database outage: {dead}")

    def during(began, seconds):   # made and answered while the server was down
        return stopped_at < began and began + seconds < restarted_at
    summary = {}
    for began, what, api, status, code, seconds in log:
        summary.setdefault((what, "down" if during(began, seconds) else "after" if began > ready_at else "up"), []).append(status)
        check(status in (200, 503), f"{what} on {api} answered {status} ({code}) {began - stopped_at:+.1f} s from the stop")
        if status == 503:
            check(code == "store_unavailable", f"{what} on {api}: 503 with error code {code!r}")
            check(what == "job", f"{what} on {api} answered 503 ({code}), though it does not need the store")
            check(stopping_at <= began < ready_at, f"{what} on {api}: 503 for a request made {began - stopping_at:+.1f} s from the stop, "
                  f"outside the outage (stopped after {stopped_at - stopping_at:.1f} s, every API ready again after {ready_at - stopping_at:.1f} s)")
            check(seconds < 5, f"{what} on {api} took {seconds:.1f} s to answer 503")
    for what in ("stylize", "styles", "job"):
        check(summary.get((what, "down")), f"no {what} request was made while the database was down")
        check(set(summary.get((what, "after"), [])) == {200}, f"{what} after the restart: {summary.get((what, 'after'))}")
    check(set(summary[("job", "down")]) == {503}, f"GET /jobs/{{id}} while the database was down: {summary[('job', 'down')]}")
    counts = {f"{what} {phase}": f"{len(s)} ({s.count(200)} × 200, {s.count(503)} × 503)" for (what, phase), s in sorted(summary.items())}
    print("replicas: requests around the outage: " + "; ".join(f"{k}: {v}" for k, v in counts.items()))

    def ended():
        status, _, answer = request("GET", urls["api-2"] + f"/jobs/{job}")
        record = json.loads(answer) if status == 200 else None
        return record if record and record["status"] not in ("queued", "running") else None
    done = wait_for("the job in flight to end", ended, deadline, 0.5)
    check(done["status"] == "succeeded", f"the job in flight ended {done['status']}: {done.get('error')}")
    check(done["iteration"] > iteration_before, f"the job ended at iteration {done['iteration']}, not past {iteration_before}")

    def stylized():
        status, kind, _ = request("POST", urls["api-1"] + f"/stylize?model=stylebank&style={style}&max_size=96", image, {"Content-Type": image_type})
        return (status, kind) if status != 409 else None
    status, kind = wait_for("api-1 to serve the style learned through the outage", stylized, deadline)
    check(status == 200 and kind.startswith("image/"), f"/stylize with the style learned through the outage: {status} {kind}")
    status, _, _ = request("GET", urls_late + f"/jobs/{job}")
    check(status == 200, f"api-3, started while the database was down, answers GET /jobs/{{id}} with {status}")
    print(f"replicas: through the outage no process died, the store's requests answered 503 and stylizing went on; "
          f"job {job} went on from iteration {iteration_before} to succeed at {done['iteration']}; api-3 waited and serves")


def _ready(url):
    try:
        return request("GET", url + "/readyz", timeout=5)[0] == 200
    except OSError:
        return False


def _alive(url):
    try:
        return request("GET", url + "/healthz", timeout=2)[0] == 200
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
