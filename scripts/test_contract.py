#!/usr/bin/env python3
"""Fuzzes the live release server against openapi.yaml with Schemathesis (`make test` runs it).

Every operation, every Schemathesis check (status codes, content types, response schemas and
headers, no 5xx, ...; the two exceptions are explained in scripts/testing/schemathesis.toml),
in its four phases (examples, coverage, fuzzing, stateful). The run is repeatable (fixed seed,
deterministic generation, no state kept between runs: the first three phases send the same cases
every time; the stateful one follows the server's answers, whose job ids are random, so its
scenario count varies) and bounded: CONTRACT_MAX_EXAMPLES cases per operation and phase (default
100), and a wall-clock limit of CONTRACT_TIME_LIMIT seconds (default 240) after which it fails.

The server gets a throw-away data folder and two small synthetic training photos, so
POST /styles really queues training jobs (202, Job schema, GET/DELETE /jobs/{id} on real ids);
the hooks cancel each job at once, and the run fails if any job is still queued or running
when it ends.

    scripts/test_contract.py [BINARY [MODELS]]    # defaults: .build/release/atelier data/models

Installs Schemathesis (pinned) into .cache/contract-venv on first use.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTING = os.path.join(ROOT, "scripts", "testing")
sys.path.insert(0, TESTING)
from live_server import LiveServer  # noqa: E402

SCHEMATHESIS = "schemathesis==4.32.5"
VENV = os.path.join(ROOT, ".cache", "contract-venv")
SEED = 20250501


def schemathesis_command() -> str:
    """The pinned Schemathesis CLI, installed into its own venv when missing or another version."""
    executable = os.path.join(VENV, "bin", "schemathesis")
    version = SCHEMATHESIS.split("==")[1]
    if os.path.exists(executable):
        found = subprocess.run([executable, "--version"], capture_output=True, text=True).stdout
        if version in found:
            return executable
    print(f"contract: installing {SCHEMATHESIS} into {os.path.relpath(VENV, ROOT)}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", VENV], check=True)
    subprocess.run([os.path.join(VENV, "bin", "python"), "-m", "pip", "install", "--quiet", SCHEMATHESIS], check=True)
    return executable


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def unfinished_jobs(server) -> list:
    return [j for j in get_json(server.url + "/jobs")["jobs"] if j["status"] in ("queued", "running")]


def stop_leftover_jobs(server, timeout=120) -> list:
    """Cancels what is still queued or running and waits for it to stop; returns what never did."""
    for job in unfinished_jobs(server):
        request = urllib.request.Request(f"{server.url}/jobs/{job['id']}", method="DELETE")
        try:
            urllib.request.urlopen(request, timeout=30).read()
        except urllib.error.HTTPError as error:
            if error.code != 409:   # finished meanwhile
                raise
    deadline = time.monotonic() + timeout
    while unfinished_jobs(server) and time.monotonic() < deadline:
        time.sleep(0.5)
    return unfinished_jobs(server)


def answers_by_route(server) -> str:
    """`route status×count` from the server's own request counter."""
    counts = Counter()
    with urllib.request.urlopen(server.url + "/metrics", timeout=30) as response:
        for line in response.read().decode().splitlines():
            m = re.match(r'atelier_http_requests_total\{route="([^"]*)",status="(\d+)"\} (\d+)', line)
            if m:
                counts[(m.group(1), m.group(2))] += int(m.group(3))
    routes = sorted({route for route, _ in counts})
    return "\n".join(f"  {route:20} " + " ".join(f"{status}×{n}" for (r, status), n in sorted(counts.items()) if r == route)
                     for route in routes)


def main() -> int:
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "atelier")
    models = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "data", "models")
    max_examples = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "100"))
    time_limit = float(os.environ.get("CONTRACT_TIME_LIMIT", "240"))
    cli = schemathesis_command()

    with LiveServer(binary, models, training_photos=2) as server:
        command = [cli, "--config-file", os.path.join(TESTING, "schemathesis.toml"), "run", os.path.join(ROOT, "openapi.yaml"),
                   "--url", server.url, "--seed", str(SEED), "--max-examples", str(max_examples),
                   "--workers", "1", "--no-color", "--output-truncate", "true"]
        env = {**os.environ, "SCHEMATHESIS_HOOKS": os.path.join(TESTING, "contract_hooks.py")}
        print(f"contract: {server.url}, {max_examples} examples per operation and phase, seed {SEED}, limit {time_limit:.0f} s", flush=True)
        started = time.monotonic()
        try:
            # A scratch working directory: Schemathesis writes its reports there.
            run = subprocess.run(command, env=env, cwd=server.folder, timeout=time_limit,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            output, status = run.stdout, run.returncode
        except subprocess.TimeoutExpired as expired:
            partial = expired.stdout or b""   # bytes even with text=True
            output = partial.decode(errors="replace") if isinstance(partial, bytes) else partial
            output += f"\ncontract: FAILED: Schemathesis did not finish within {time_limit:.0f} s"
            status = 1
        seconds = time.monotonic() - started
        print(output)

        leftovers = stop_leftover_jobs(server)
        healthy = server.healthy()
        cases = re.search(r"(\d+) generated", output)
        jobs = Counter(j["status"] for j in get_json(server.url + "/jobs")["jobs"])
        print(f"contract: {cases.group(1) if cases else '?'} cases in {seconds:.0f} s; "
              f"training jobs {dict(jobs)}; server peak RSS {server.peak_rss_kib() / 1024:.0f} MiB; "
              f"healthy after: {healthy}")
        print("contract: answers by route\n" + answers_by_route(server))
        if leftovers:
            print(f"contract: FAILED: {len(leftovers)} training jobs still running after cancellation: {[j['id'] for j in leftovers]}")
            status = status or 1
        if not healthy:
            print("contract: FAILED: /healthz does not answer after the run\n" + server.log_tail())
            status = status or 1
    print("contract: " + ("passed" if status == 0 else "FAILED"))
    return status


if __name__ == "__main__":
    sys.exit(main())
