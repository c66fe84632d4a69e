#!/usr/bin/env python3
"""Chaos and load against a live release server on 127.0.0.1 (`make test` runs it). Standard
library only; every case is bounded in time and in connections, and prints its figures.

- saturation: more /stylize clients than workers + queue, and than the per-client bound, for a
  fixed time. Only 200, 503 queue_full and 429 too_many_requests (both with Retry-After) may come
  back, and all three must; the server's peak RSS stays under a bound (CHAOS_MAX_RSS_MIB, default
  1024); it is healthy and stylizes again afterwards.
- slow head, slow body: a request trickled at one byte a second is cut with 408 at the header
  and body timeouts.
- idle connections: 300 connections that send nothing; past the connection limit clients are
  turned away (503 too_many_connections, or closed unanswered past the server's bounded backlog
  of rejections), and the server serves again once they close.
- unread response: a client asks for a large image and never reads it; another client is still
  served meanwhile (no worker is held), and the connection is dropped at the send timeout.

    scripts/test_chaos.py [BINARY [MODELS]]    # defaults: .build/release/atelier data/models

Each case gets its own server, with small limits so it reaches them quickly (LIMITS, and the
case's own changes to them in CASES).
"""

import http.client
import json
import os
import select
import signal
import socket
import sys
import threading
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts", "testing"))
from cases import CaseFailed, check  # noqa: E402
from live_server import LiveServer  # noqa: E402
from synthetic_png import gradient_png, noise_png  # noqa: E402

LIMITS = {
    "ATELIER_WORKERS": "1",
    "ATELIER_QUEUE": "2",
    "ATELIER_MAX_REQUESTS_PER_CLIENT": "4",   # every client here is 127.0.0.1: one over worker + queue
    "ATELIER_MAX_CONNECTIONS": "64",
    "ATELIER_HEADER_TIMEOUT": "4",
    "ATELIER_BODY_TIMEOUT": "3",
    "ATELIER_IDLE_TIMEOUT": "30",
    "ATELIER_SEND_TIMEOUT": "3",
}
SATURATION_CLIENTS = 16          # > 1 worker + 2 queued, and > 4 requests in flight per client
SATURATION_SECONDS = 20
IDLE_CONNECTIONS = 300
MAX_PEAK_RSS_MIB = int(os.environ.get("CHAOS_MAX_RSS_MIB", "1024"))
TOTAL_TIME_LIMIT = 240           # the whole script; SIGALRM ends a hung case


def request(server, method, path, body=None, headers=None, timeout=60):
    """(status, headers, body) of one request on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def error_code(body):
    try:
        return json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def stylize(server, photo, query="style=3&max_size=256&format=png", timeout=60):
    return request(server, "POST", "/stylize?" + query, photo, {"Content-Type": "image/png"}, timeout)


def raw_connection(server, timeout=10):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    s.settimeout(timeout)
    return s


def read_status(sock):
    """The status of the first response on `sock`, or None if it closed (or reset) first."""
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None


def read_response(sock):
    """(status, body) of one response read off a raw socket (Content-Length framing)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(head.split(b" ")[1]), body


def open_descriptors(server):
    return len(os.listdir(f"/proc/{server.pid}/fd"))


def case_saturation(server):
    photo = gradient_png(256, 256)
    counts, bad, latencies = Counter(), [], []
    lock = threading.Lock()
    stop_at = time.monotonic() + SATURATION_SECONDS

    def client():
        while time.monotonic() < stop_at:
            started = time.monotonic()
            try:
                status, headers, body = stylize(server, photo, timeout=30)
            except OSError as error:
                with lock:
                    bad.append(f"transport error {error!r}")
                continue
            code = error_code(body) if status != 200 else None
            with lock:
                counts[(status, code)] += 1
                latencies.append(time.monotonic() - started)
                if status == 200:
                    if not body.startswith(b"\x89PNG"):
                        bad.append("200 without a PNG body")
                elif (status, code) in ((503, "queue_full"), (429, "too_many_requests")):
                    if not headers.get("Retry-After", "").isdigit():
                        bad.append(f"{status} {code} without Retry-After")
                else:
                    bad.append(f"{status} {code}: {body[:200]!r}")
            if status != 200:
                time.sleep(0.05)   # a client that honoured Retry-After would wait longer; this keeps the pressure on

    threads = [threading.Thread(target=client) for _ in range(SATURATION_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SATURATION_SECONDS + 60)
    check(not any(t.is_alive() for t in threads), "a client never got an answer")
    peak = server.peak_rss_kib() / 1024
    latencies.sort()
    summary = ", ".join(f"{s}{' ' + c if c else ''}×{n}" for (s, c), n in sorted(counts.items(), key=lambda kv: kv[0][0]))
    print(f"  {SATURATION_CLIENTS} clients for {SATURATION_SECONDS} s against 1 worker + 2 queued, 4 per client: {summary}; "
          f"p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms; server peak RSS {peak:.0f} MiB")
    check(not bad, f"{len(bad)} unexpected answers, first: {bad[:3]}")
    check(counts[(200, None)] > 0, "no stylization succeeded")
    check(counts[(503, "queue_full")] > 0, "the queue never filled: the case did not saturate")
    check(counts[(429, "too_many_requests")] > 0, "the per-client bound was never reached")
    check(peak <= MAX_PEAK_RSS_MIB, f"peak RSS {peak:.0f} MiB is over the {MAX_PEAK_RSS_MIB} MiB bound")
    check(server.healthy(), "/healthz does not answer after the load")
    status, _, _ = stylize(server, photo)
    check(status == 200, f"a stylization after the load answered {status}")


def trickle(server, first, rest, expected_timeout):
    """Sends `first` at once, then `rest` one byte a second until the server answers; returns
    (status, code, seconds until the answer arrived)."""
    sock = raw_connection(server, timeout=expected_timeout + 10)
    started = time.monotonic()
    try:
        sock.sendall(first)
        for byte in rest:
            if select.select([sock], [], [], 1)[0]:
                break   # an answer (or a close) is waiting
            if time.monotonic() - started > expected_timeout + 5:
                break
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break   # the server answered and closed
        select.select([sock], [], [], expected_timeout + 5)
        answered = time.monotonic() - started
        status, body = read_response(sock)
        return status, error_code(body), answered
    finally:
        sock.close()


def case_slow_head_and_body(server):
    head_timeout = float(server.env["ATELIER_HEADER_TIMEOUT"])
    body_timeout = float(server.env["ATELIER_BODY_TIMEOUT"])
    status, code, seconds = trickle(server, b"", b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", head_timeout)
    print(f"  head at 1 byte/s: {status} {code} after {seconds:.1f} s (header timeout {head_timeout:.0f} s)")
    check((status, code) == (408, "request_timeout"), f"a trickled head got {status} {code}")
    check(head_timeout - 0.5 <= seconds <= head_timeout + 2.5, f"a trickled head was cut after {seconds:.1f} s")

    head = b"POST /stylize HTTP/1.1\r\nHost: t\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n"
    status, code, seconds = trickle(server, head, gradient_png(32, 32)[:1000], body_timeout)
    print(f"  body at 1 byte/s: {status} {code} after {seconds:.1f} s (body timeout {body_timeout:.0f} s)")
    check((status, code) == (408, "request_timeout"), f"a trickled body got {status} {code}")
    check(body_timeout - 0.5 <= seconds <= body_timeout + 2.5, f"a trickled body was cut after {seconds:.1f} s")
    check(server.healthy(), "/healthz does not answer after the slow clients")


def case_idle_connections(server):
    limit = int(server.env["ATELIER_MAX_CONNECTIONS"])
    baseline = open_descriptors(server)
    sockets = []
    try:
        for _ in range(IDLE_CONNECTIONS):
            # A generous connect timeout: on a busy machine the listen backlog can fill, and a
            # dropped SYN is only resent after a second.
            sockets.append(raw_connection(server, timeout=10))
        # Wait until all but `limit` have their answer (or close) waiting, for at most 3 s.
        answered, deadline = set(), time.monotonic() + 3
        while len(sockets) - len(answered) > limit and time.monotonic() < deadline:
            answered |= set(select.select([s for s in sockets if s not in answered], [], [], 0.2)[0])
        time.sleep(0.2)   # then a moment more, in case more than `limit` are still being served
        answered |= set(select.select([s for s in sockets if s not in answered], [], [], 0)[0])
        outcomes = Counter()
        for s in sockets:
            if s not in answered:
                outcomes["held open"] += 1
                continue
            try:
                data = s.recv(4096)
                outcomes["503" if b" 503 " in data.split(b"\r\n")[0] else ("closed" if not data else "other")] += 1
            except ConnectionResetError:
                outcomes["closed"] += 1
            s.close()   # lets the server drop its rejection at once (it lingers for the close)
        sockets = [s for s in sockets if s not in answered]
        time.sleep(0.3)
        try:
            status, headers, body = request(server, "GET", "/healthz", timeout=5)
        except ConnectionResetError:
            status, headers, body = None, {}, b""
        print(f"  {IDLE_CONNECTIONS} idle connections, limit {limit}: {dict(outcomes)}; "
              f"a new client meanwhile: {status} {error_code(body)} Retry-After {headers.get('Retry-After')}")
        check(outcomes["held open"] == limit, f"{outcomes['held open']} connections held open, not the limit {limit}")
        check(outcomes["503"] > 0, "no client past the limit got 503 too_many_connections")
        check(outcomes["other"] == 0, "a client got something else than 503 or a close")
        check((status, error_code(body), headers.get("Retry-After")) == (503, "too_many_connections", "1"),
              f"a new client at the limit got {status} {error_code(body)}")
    finally:
        for s in sockets:
            s.close()
    deadline = time.monotonic() + 5
    while not server.healthy(timeout=1) and time.monotonic() < deadline:
        time.sleep(0.1)
    recovered = server.healthy()
    while open_descriptors(server) > baseline and time.monotonic() < deadline:
        time.sleep(0.1)
    descriptors = open_descriptors(server)
    print(f"  after they closed: healthy {recovered}; server descriptors {descriptors} (before {baseline})")
    check(recovered, "the server did not serve again once the idle connections closed")
    check(descriptors <= baseline, f"{descriptors - baseline} descriptors still open after every client closed")


def case_unread_response(server):
    send_timeout = float(server.env["ATELIER_SEND_TIMEOUT"])
    # Noise barely compresses: the PNG answer is several times the kernel's socket buffers (up
    # to 4 MiB on Linux), so most of it has to wait in the server for the client to read.
    noise = noise_png(2048, 2048)
    baseline = open_descriptors(server)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # before connecting: a small window
    sock.connect(("127.0.0.1", server.port))
    try:
        head = (f"POST /stylize?model=multistyle26&style=3&max_size=2048&format=png HTTP/1.1\r\nHost: t\r\n"
                f"Content-Type: image/png\r\nContent-Length: {len(noise)}\r\nConnection: close\r\n\r\n").encode()
        sock.sendall(head + noise)
        started = time.monotonic()
        # Served meanwhile: the only worker is free again once the unread answer is handed over.
        photo = gradient_png(128, 128)
        status = None
        while time.monotonic() - started < 60:
            status, _, _ = stylize(server, photo, timeout=60)
            if status == 200:
                break
            time.sleep(0.5)   # 503 while the big one still runs
        served_after = time.monotonic() - started
        check(status == 200, f"another client was not served while a response stayed unread ({status})")
        held = open_descriptors(server) - baseline
        deadline = time.monotonic() + send_timeout + 30
        while open_descriptors(server) > baseline and time.monotonic() < deadline:
            time.sleep(0.25)
        released_after = time.monotonic() - started
        dropped = open_descriptors(server) <= baseline
        sock.settimeout(2)
        received = b""
        try:
            while True:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    break
                received += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        head_end = received.find(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in received[:head_end].split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        got = len(received) - head_end - 4 if head_end >= 0 else 0
        print(f"  the answer to a {len(noise) >> 20} MiB upload left unread: another client served after {served_after:.1f} s; "
              f"{held} descriptor(s) held, released after {released_after:.1f} s (send timeout {send_timeout:.0f} s): {dropped}; "
              f"the client could still read {got >> 10} of its {length >> 10} KiB")
        check(dropped, f"the unread response still holds its connection {released_after:.0f} s later")
        check(0 < length and got < length, "the whole answer fitted in the socket buffers: the case tested nothing")
    finally:
        sock.close()
    check(server.healthy(), "/healthz does not answer after the unread response")


CASES = [
    ("saturation", case_saturation, {}),
    ("slow head and body", case_slow_head_and_body, {}),
    # Idle connections are closed at the header timeout; here they must stay while being counted.
    ("idle connections", case_idle_connections, {"ATELIER_HEADER_TIMEOUT": "60"}),
    ("unread response", case_unread_response, {}),
]


def over_time(signum, frame):
    raise CaseFailed(f"the run went over its {TOTAL_TIME_LIMIT} s limit")


def main() -> int:
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "atelier")
    models = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "data", "models")
    signal.signal(signal.SIGALRM, over_time)
    signal.alarm(TOTAL_TIME_LIMIT)
    failures = []
    print(f"chaos: servers on 127.0.0.1 with {', '.join(f'{k}={v}' for k, v in LIMITS.items())}", flush=True)
    for name, case, changes in CASES:
        print(f"chaos: {name}" + "".join(f", {k}={v}" for k, v in changes.items()), flush=True)
        with LiveServer(binary, models, env={**LIMITS, **changes}) as server:
            started = time.monotonic()
            try:
                case(server)
                print(f"  passed in {time.monotonic() - started:.1f} s; server peak RSS {server.peak_rss_kib() / 1024:.0f} MiB", flush=True)
            except CaseFailed as failure:
                print(f"  FAILED: {failure}", flush=True)
                failures.append(name)
    signal.alarm(0)
    print("chaos: " + ("passed" if not failures else f"FAILED: {', '.join(failures)}"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
