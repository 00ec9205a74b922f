"""Bridge benchmark: tiny-call round trip, and transfer of a 1,000,000 x 32 float32 matrix each way.

    .venv/bin/python packages/python/benchmarks/bench_bridge.py [--rows 1000000] [--repeats 5]

Also measures the raw transports for that matrix: bytes through a pipe into Node
versus a file in /dev/shm that Node reads (the bridge uses files).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np

from knnkit import _arrow
from knnkit._bridge import client


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    c = client()
    c.call("ping")
    pings = []
    for _ in range(300):
        t = time.perf_counter()
        c.call("ping")
        pings.append(time.perf_counter() - t)
    print(f"tiny call round trip: median {statistics.median(pings) * 1e3:.3f} ms, p90 {np.percentile(pings, 90) * 1e3:.3f} ms (300 calls)")

    X = np.random.default_rng(0).random((args.rows, args.cols), dtype=np.float32)
    mb = X.nbytes / 1e6
    result = {}

    to_node, to_python = [], []

    def echo():
        start = time.time()
        r, arrays = c.call("echo", {"X": X})
        back = np.asarray(arrays["X"])
        end = time.time()
        result.update(r)
        assert back.dtype == np.float32 and back.shape == X.shape
        # both processes read the same wall clock: the view's moment splits the trip
        to_node.append(r["viewAtMs"] / 1e3 - start)
        to_python.append(end - r["viewAtMs"] / 1e3)

    echo()
    to_node.clear()
    to_python.clear()
    t = median_time(echo, args.repeats)
    there, back = statistics.median(to_node), statistics.median(to_python)
    print(f"echo {args.rows:,} x {args.cols} float32 ({mb:.0f} MB) there and back: median {t * 1e3:.0f} ms = {2 * mb / 1e3 / t:.2f} GB/s moved ({mb / 1e3 / t:.2f} GB/s per full round trip)")
    print(f"  Python array -> Node view: median {there * 1e3:.0f} ms = {mb / 1e3 / there:.2f} GB/s")
    print(f"  Node -> Python array: median {back * 1e3:.0f} ms = {mb / 1e3 / back:.2f} GB/s")
    print(f"  inside Node, reading the matrix as a view took {result['readMs']:.2f} ms")

    # raw transports
    reader = "let n=0;process.stdin.on('data',c=>n+=c.length);process.stdin.on('end',()=>console.log(n))"
    payload = X.tobytes()

    def pipe():
        p = subprocess.run(["node", "-e", reader], input=payload, capture_output=True, check=True)
        assert int(p.stdout) == len(payload)

    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=base) as d:
        path = os.path.join(d, "m.arrow")
        file_reader = f"const b=require('fs').readFileSync({path!r});console.log(b.length)"

        def via_file():
            _arrow.write_matrix(path, X)
            subprocess.run(["node", "-e", file_reader], capture_output=True, check=True)

        start = median_time(lambda: subprocess.run(["node", "-e", "0"], check=True), args.repeats)
        tp = median_time(pipe, args.repeats) - start
        tf = median_time(via_file, args.repeats) - start
    print(f"raw transport of {mb:.0f} MB into a fresh Node (start-up of {start * 1e3:.0f} ms subtracted): pipe {tp * 1e3:.0f} ms ({mb / 1e3 / tp:.2f} GB/s), /dev/shm file {tf * 1e3:.0f} ms ({mb / 1e3 / tf:.2f} GB/s)")


if __name__ == "__main__":
    main()
