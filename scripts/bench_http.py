#!/usr/bin/env python3
"""End-to-end HTTP benchmark for `make bench`: starts `atelier serve` on 127.0.0.1 at a free
port, POSTs real JPEGs (and PNGs) to /stylize?style=3, and reports

  * latency: sequential requests at each size; the median wall time per request beside the
    median X-Inference-Seconds header (the network alone), so the difference is what HTTP,
    decoding, resize checks, tensor conversion and encoding (in the input's format) cost on top;
  * throughput: a fixed number of requests at concurrency 1, 2 and 4 (one keep-alive
    connection per client thread), requests/s, p50/p99 latency and the error count;
  * the server's peak RSS (VmHWM) after all of it.

    python3 scripts/bench_http.py --bin .build/release/atelier --models data/models \\
        --image 512=in512.jpg --image 512=in512.png --image 1024=in1024.jpg [--requests 7] [--load-size 512] \\
        [--load-requests 24] [--out http.json]

The server runs with its defaults (no benchmark-only flags or environment); only --host,
--port, --data (a temporary folder) and --models are passed. The load generator is bounded:
every run sends a fixed number of requests to 127.0.0.1 and then stops.
"""
import argparse, http.client, os, signal, statistics, subprocess, sys, tempfile, threading, time
from bench_timing import free_port, percentile, write_results




class Server:
    """`atelier serve` as a child process, bound to loopback, stopped with SIGTERM."""

    def __init__(self, binary, models):
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix="atelier-bench-")
        self.log = open(os.path.join(self.data, "serve.log"), "w+")
        self.proc = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                      "--data", self.data, "--models", models],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                sys.exit(f"bench_http: atelier serve exited: {self.log.read()}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    c.close()
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        sys.exit("bench_http: atelier serve was not ready within 60 s")

    def peak_rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def media_type(body):
    return "image/png" if body[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"


def post(conn, body, max_size):
    """One POST /stylize, answered in the body's own format; returns (status, wall seconds,
    X-Inference-Seconds or None)."""
    start = time.perf_counter()
    conn.request("POST", f"/stylize?style=3&max_size={max_size}", body=body,
                 headers={"Content-Type": media_type(body), "Accept": media_type(body)})
    response = conn.getresponse()
    response.read()
    wall = time.perf_counter() - start
    inference = response.getheader("X-Inference-Seconds")
    return response.status, wall, float(inference) if inference else None


def latency(port, body, size, requests):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    post(conn, body, size)                                  # warm-up, as for the networks
    walls, inferences, errors = [], [], 0
    for _ in range(requests):
        status, wall, inference = post(conn, body, size)
        if status != 200 or inference is None:
            errors += 1
            continue
        walls.append(wall)
        inferences.append(inference)
    conn.close()
    wall, inference = statistics.median(walls), statistics.median(inferences)
    return {"size": size, "format": media_type(body).split("/")[1].upper(), "requests": requests, "errors": errors, "median_latency_s": wall,
            "median_inference_s": inference, "overhead_s": wall - inference,
            "overhead_pct": 100 * (wall - inference) / inference, "bytes_in": len(body)}


def load(port, body, size, concurrency, total):
    """`total` requests shared by `concurrency` client threads, each on its own keep-alive connection."""
    lock = threading.Lock()
    remaining = [total]
    walls, errors = [], [0]

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        while True:
            with lock:
                if remaining[0] == 0:
                    break
                remaining[0] -= 1
            try:
                status, wall, _ = post(conn, body, size)
                ok = status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            with lock:
                if ok:
                    walls.append(wall)
                else:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {"size": size, "concurrency": concurrency, "requests": total, "errors": errors[0],
            "seconds": elapsed, "requests_per_s": len(walls) / elapsed,
            "p50_s": percentile(walls, 50) if walls else None, "p99_s": percentile(walls, 99) if walls else None}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", required=True)
    p.add_argument("--models", required=True)
    p.add_argument("--image", action="append", required=True,
                   help="SIZE=FILE, a SIZE×SIZE JPEG or PNG (answered in the same format); the load uses the JPEG of --load-size")
    p.add_argument("--requests", type=int, default=7, help="sequential requests per size for the latency")
    p.add_argument("--load-size", type=int, default=512)
    p.add_argument("--load-requests", type=int, default=24, help="requests per concurrency level")
    p.add_argument("--concurrency", default="1,2,4")
    p.add_argument("--out")
    args = p.parse_args()

    images = []   # (size, bytes), in the order given
    for item in args.image:
        size, path = item.split("=", 1)
        with open(path, "rb") as f:
            images.append((int(size), f.read()))
    load_body = next(body for size, body in images if size == args.load_size and media_type(body) == "image/jpeg")

    server = Server(args.bin, args.models)
    try:
        results = {"latency": [], "load": []}
        for size, body in images:
            r = latency(server.port, body, size, args.requests)
            results["latency"].append(r)
            print(f"http {size}² {r['format']}: median {r['median_latency_s'] * 1000:.0f} ms, inference {r['median_inference_s'] * 1000:.0f} ms, "
                  f"overhead {r['overhead_pct']:.1f}%, errors {r['errors']}", file=sys.stderr)
        for c in (int(x) for x in args.concurrency.split(",")):
            r = load(server.port, load_body, args.load_size, c, args.load_requests)
            results["load"].append(r)
            print(f"http load {args.load_size}² c={c}: {r['requests_per_s']:.2f} req/s, p50 {r['p50_s'] * 1000:.0f} ms, "
                  f"p99 {r['p99_s'] * 1000:.0f} ms, errors {r['errors']}", file=sys.stderr)
        results["server_peak_rss_kib"] = server.peak_rss_kib()
    finally:
        server.stop()
    write_results(results, args.out)


if __name__ == "__main__":
    main()
