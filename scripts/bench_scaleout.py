#!/usr/bin/env python3
"""Scale-out figure: requests/s of one API process against two, each pinned to one core
(`taskset -c`, `ATELIER_THREADS=1`), on the same PostgreSQL database, with the client sending
each request to the next API in turn (round robin on the client side). Two workloads:

  * store read: `GET /styles/{id}` of a stored style: one row read from the database, answered
    in JSON (no image work);
  * stylize: `POST /stylize?style=3&max_size=256` of a JPEG: CPU-bound inference.

For each workload and each set-up, client threads, each with one keep-alive connection per API,
send requests for `--seconds` (after one second of warm-up); the figure is requests/s with
p50/p99 latency and the errors. The set-ups alternate for `--rounds` rounds (both processes run
throughout; with one API the second gets no requests), and each keeps its best round. Also measured while it runs: how busy the machine's cores were,
and how much of that the API processes took, since other work on the machine skews the figure.

Run it beside a database and write the section into BENCHMARKS.md (or keep the raw results with
--out and write the section from them later, with notes on what else ran: --from FILE --write):

    scripts/with_postgres.sh scripts/bench_scaleout.py --binary .build/release/atelier \\
        --models data/models --image data/test-photos/chelsea.png --out scaleout.json --write BENCHMARKS.md

It needs two cores at least. Bounded: each run lasts --seconds; the servers are stopped at the end.
"""
import argparse
import http.client
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone

from bench_timing import free_port, percentile

BEGIN = "<!-- scale-out: written by scripts/bench_scaleout.py; make bench keeps it -->"
END = "<!-- /scale-out -->"




def cpu_ticks():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def process_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])   # utime + stime


class API:
    """`atelier serve --role api` on one core."""

    def __init__(self, binary, models, store, core, workdir):
        self.port = free_port()
        self.log_path = os.path.join(workdir, f"api-{core}.log")
        log = open(self.log_path, "w")
        env = dict(os.environ, ATELIER_THREADS="1")
        self.proc = subprocess.Popen(["taskset", "-c", str(core), binary, "serve", "--role", "api", "--store", store,
                                      "--host", "127.0.0.1", "--port", str(self.port),
                                      "--data", os.path.join(workdir, f"data-{core}"), "--models", models],
                                     stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"bench_scaleout: the API on core {core} exited:\n{open(self.log_path).read()}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        sys.exit(f"bench_scaleout: the API on core {core} did not become ready")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def register_style(port, painting):
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nadain\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nbench\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="p.png"\r\n'
            f'Content-Type: application/octet-stream\r\n\r\n').encode() + painting + f"\r\n--{boundary}--\r\n".encode()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("POST", "/styles", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    r = c.getresponse()
    answer = r.read()
    if r.status != 201:
        sys.exit(f"bench_scaleout: registering a style: {r.status} {answer[:200]!r}")
    return json.loads(answer)["style"]["id"]


def load(apis, request, clients, seconds, warmup=1.0):
    """`clients` threads send `request` round robin over `apis` for warm-up + `seconds`; the
    measured latencies, errors, wall time and CPU use."""
    latencies, errors, lock = [], [], threading.Lock()
    start_at = time.monotonic() + warmup
    stop_at = start_at + seconds

    def client(offset):
        connections = [http.client.HTTPConnection("127.0.0.1", a.port, timeout=60) for a in apis]
        i = offset
        mine, failed = [], []
        while True:
            now = time.monotonic()
            if now >= stop_at:
                break
            c = connections[i % len(connections)]
            i += 1
            began = time.monotonic()
            try:
                method, path, body, headers = request
                c.request(method, path, body, headers)
                r = c.getresponse()
                r.read()
                ok = r.status == 200
            except (OSError, http.client.HTTPException) as e:
                ok = False
                c.close()
            ended = time.monotonic()
            if began >= start_at and ended <= stop_at:
                (mine if ok else failed).append(ended - began)
        with lock:
            latencies.extend(mine)
            errors.extend(failed)
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    time.sleep(max(0, start_at - time.monotonic()))
    busy0, total0 = cpu_ticks()
    api0 = sum(process_ticks(a.proc.pid) for a in apis)
    load_before = os.getloadavg()[0]
    time.sleep(max(0, stop_at - time.monotonic()))
    busy1, total1 = cpu_ticks()
    api1 = sum(process_ticks(a.proc.pid) for a in apis)
    for t in threads:
        t.join()
    cores = os.cpu_count()
    return {
        "requests": len(latencies), "errors": len(errors), "seconds": seconds,
        "per_second": len(latencies) / seconds,
        "p50_ms": 1000 * percentile(latencies, 50) if latencies else None,
        "p99_ms": 1000 * percentile(latencies, 99) if latencies else None,
        # Of the machine's capacity (all cores = 100 %): how busy, and how much went to the APIs.
        "machine_busy": (busy1 - busy0) / max(1, total1 - total0),
        "api_share": (api1 - api0) / max(1, total1 - total0),
        "cores": cores, "load_before": load_before,
    }


def busy_processes(exclude, seconds=2.0, at_least=0.2):
    """Other processes' CPU use over `seconds` (in cores), the busiest first: what else ran."""
    def sample():
        ticks = {}
        for pid in os.listdir("/proc"):
            if pid.isdigit() and int(pid) not in exclude:
                try:
                    with open(f"/proc/{pid}/comm") as f:
                        name = f.read().strip()
                    ticks[pid] = (name, process_ticks(int(pid)))
                except OSError:
                    pass
        return ticks
    hz = os.sysconf("SC_CLK_TCK")
    before = sample()
    time.sleep(seconds)
    after = sample()
    used = [(name, (t - before[pid][1]) / hz / seconds) for pid, (name, t) in after.items() if pid in before]
    return sorted(((n, round(c, 2)) for n, c in used if c >= at_least), key=lambda x: -x[1])


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    postgres = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "os": platform.platform(), "commit": commit, "postgres": postgres}


def per_core(r):
    """Requests per second of CPU time the API processes used."""
    return r["per_second"] / max(1e-9, r["api_share"] * r["cores"])


def fmt(processes):
    return ", ".join(f"`{name}` {cores:.2f}" for name, cores in processes) if processes else "none"


def section(results, m, command, others):
    rows = []
    for workload, label in (("read", "store read: `GET /styles/{id}`"), ("stylize", "stylize: `POST /stylize?style=3&max_size=256`")):
        one, two = results[workload]["1"], results[workload]["2"]
        for n, r in (("1", one), ("2", two)):
            rows.append(f"| {label} | {n} | {r['per_second']:.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} "
                        f"| {100 * r['machine_busy']:.0f} % / {100 * r['api_share']:.0f} % | {per_core(r):.1f} |")
        rows.append(f"| | **2 vs 1** | **{two['per_second'] / one['per_second']:.2f}×** | | | | | |")
    clients = results["clients"]
    return f"""{BEGIN}
## Scale-out: one API process against two on one database

Measured on {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} (commit {m['commit']}) on {m['cpu']}, {m['cores']} cores,
{m['postgres']}, by:

```
{command}
```

Each API process is `atelier serve --role api` pinned to one core (`taskset -c 0`, and `-c 1` for
the second) with `ATELIER_THREADS=1`; both use the same database (scripts/with_postgres.sh, on
loopback). {clients['read']} client threads (store read) or {clients['stylize']} (stylize), each with a keep-alive connection
to every API, send each request to the next API in turn, for {results['seconds']:g} s after 1 s of warm-up.
Both processes run throughout; with one API the second gets no requests. The set-ups alternate,
{results['rounds']} rounds each, and each keeps its best round (all rounds: `--out` JSON).
"busy / APIs": how busy the machine's cores were during the run, and the part the API processes
took (100 % = all {m['cores']} cores); the last column divides requests/s by the CPU the API
processes got, so it shows what a core's worth of API does whatever else ran beside it.

| workload | API processes | requests/s | p50 ms | p99 ms | errors | busy / APIs | requests per API CPU-second |
|---|---:|---:|---:|---:|---:|---|---:|
{chr(10).join(rows)}

Other processes using at least a fifth of a core, sampled over 2 s before and after the runs
(cores): before {fmt(results.get('others_before'))}; after {fmt(results.get('others_after'))}.

Notes:
{others}
{END}"""


def write_section(path, text):
    old = open(path).read() if os.path.exists(path) else ""
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + text + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    with open(path, "w") as f:
        f.write(new)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/atelier")
    parser.add_argument("--models", default="data/models")
    parser.add_argument("--image", default="data/test-photos/chelsea.png", help="the photo stylized (and the painting registered)")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both set-ups, alternating; each keeps its best")
    parser.add_argument("--read-clients", type=int, default=8)
    parser.add_argument("--stylize-clients", type=int, default=4)
    parser.add_argument("--out", help="the raw results as JSON")
    parser.add_argument("--write", help="BENCHMARKS.md: write (or replace) the scale-out section there")
    parser.add_argument("--notes", default="", help="notes on the machine's other work (Markdown list items), added to the section")
    parser.add_argument("--from", dest="saved", help="write the section from a run's --out JSON instead of measuring")
    args = parser.parse_args()
    if args.saved:
        with open(args.saved) as f:
            results = json.load(f)
        write_section(args.write, section(results, results["machine"], results["command"], args.notes or "- (none given)"))
        print(f"scale-out: wrote the section into {args.write} from {args.saved}")
        return 0
    store = os.environ.get("ATELIER_TEST_POSTGRES_URL")
    if not store:
        sys.exit("ATELIER_TEST_POSTGRES_URL is unset: run this under scripts/with_postgres.sh")
    if (os.cpu_count() or 1) < 2 or not shutil.which("taskset"):
        sys.exit("bench_scaleout: needs two cores and taskset (util-linux)")
    binary = os.path.abspath(args.binary)
    with open(args.image, "rb") as f:
        photo = f.read()
    kind = "image/png" if args.image.lower().endswith(".png") else "image/jpeg"
    workdir = tempfile.mkdtemp(prefix="atelier-scaleout-")
    apis = []
    try:
        # Both processes run throughout; "1 API" sends to the first only (the second idles), so
        # the two set-ups alternate round by round and a busy moment on the machine hits both.
        apis = [API(binary, args.models, store, 0, workdir), API(binary, args.models, store, 1, workdir)]
        style = register_style(apis[0].port, photo)
        requests = {"read": ("GET", f"/styles/{style}", None, {}),
                    "stylize": ("POST", "/stylize?style=3&max_size=256", photo, {"Content-Type": kind})}
        clients = {"read": args.read_clients, "stylize": args.stylize_clients}
        results = {"seconds": args.seconds, "rounds": args.rounds, "clients": clients, "read": {}, "stylize": {}, "all_rounds": []}
        ours = {os.getpid()} | {a.proc.pid for a in apis}
        results["others_before"] = busy_processes(ours)
        for round in range(1, args.rounds + 1):
            for count in (1, 2):
                for workload in ("read", "stylize"):
                    r = load(apis[:count], requests[workload], clients[workload], args.seconds)
                    results["all_rounds"].append(dict(r, round=round, apis=count, workload=workload))
                    best = results[workload].get(str(count))
                    if best is None or r["per_second"] > best["per_second"]:
                        results[workload][str(count)] = r
                    print(f"scale-out: round {round} {workload:8} {count} API: {r['per_second']:8.1f} req/s  p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms  "
                          f"errors {r['errors']}  machine busy {100 * r['machine_busy']:.0f} %, APIs {100 * r['api_share']:.0f} % "
                          f"({per_core(r):.1f} requests per API CPU-second)", flush=True)
        results["others_after"] = busy_processes(ours)
        m = machine()
        results["machine"] = m
        results["command"] = (f"scripts/with_postgres.sh scripts/bench_scaleout.py --binary {args.binary} --models {args.models} "
                              f"--image {args.image} --seconds {args.seconds:g} --rounds {args.rounds} --read-clients {args.read_clients} "
                              f"--stylize-clients {args.stylize_clients}" + (f" --out {args.out}" if args.out else ""))
        if args.out:
            with open(args.out, "w") as f:
                json.dump(results, f, indent=1)
        for workload in ("read", "stylize"):
            print(f"scale-out: {workload}: 2 APIs vs 1: {results[workload]['2']['per_second'] / results[workload]['1']['per_second']:.2f}×")
        if args.write:
            write_section(args.write, section(results, m, results["command"], args.notes or "- (none given)"))
            print(f"scale-out: wrote the section into {args.write}")
        return 0
    finally:
        for a in apis:
            a.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
