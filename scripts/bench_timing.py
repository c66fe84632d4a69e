"""What the benchmark peers share: how a body is timed and where the results go."""
import json
import time


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
