"""What the benchmarks share: how a body is timed, percentiles, a free port for a server under
test, and where the results go."""
import json
import socket
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))   # ceil(n·p/100)
    return ordered[int(rank) - 1]


def median_seconds(repeats, body):
    """One warm-up, then the median of `repeats` wall times (upper median for even counts)."""
    body()
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def write_results(results, out, sort_keys=False):
    """The results as indented JSON, to the file `out` or, without one, to stdout."""
    text = json.dumps(results, sort_keys=sort_keys, indent=1)
    if out:
        with open(out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
