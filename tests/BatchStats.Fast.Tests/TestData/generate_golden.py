"""Regenerates numpy_golden.json: numpy.percentile (default linear method) and exact means of fixed histories.

Run with Debian's python3-numpy: /usr/bin/python3 generate_golden.py > numpy_golden.json
The tests read the committed JSON and never need Python.
"""
import json
import math
import sys

import numpy as np

rng = np.random.default_rng(20261128)
PERCENTILES = [0.0, 1.0, 12.5, 25.0, 33.3, 50.0, 66.7, 75.0, 90.0, 95.0, 99.0, 99.9, 100.0]


def series(kind, n):
    if kind == "uniform":
        return rng.uniform(0.0, 1.0, n)
    if kind == "lognormal":
        return rng.lognormal(-4.0, 1.5, n)
    if kind == "span":  # values spanning 1e-9 .. 1e9
        return 10.0 ** rng.uniform(-9.0, 9.0, n)
    if kind == "duplicates":
        return rng.choice([0.001, 0.002, 0.25, 7.0], n)
    if kind == "zeros":
        x = rng.uniform(0.0, 2.0, n)
        x[rng.random(n) < 0.5] = 0.0
        return x
    if kind == "integers":
        return rng.integers(0, 50, n).astype(np.float64)
    if kind == "tiny":
        return rng.uniform(0.0, 1e-6, n)
    raise ValueError(kind)


cases = []
kinds = ["uniform", "lognormal", "span", "duplicates", "zeros", "integers", "tiny"]
for kind in kinds:
    for n in [1, 2, 3, 4, 5, 7, 10, 16, 17, 20, 33, 64, 100, 101, 257, 1000, 1001, 4099]:
        x = series(kind, n)
        cases.append({
            "name": f"{kind}-{n}",
            "values": [float(v) for v in x],
            "percentiles": PERCENTILES,
            "expected": [float(np.percentile(x, p)) for p in PERCENTILES],
            "exact_mean": math.fsum(float(v) for v in x) / n,
        })

# Histories: one writer records `length` samples into a window of `window`; the figures cover the last `window`.
histories = []
for i, (window, length) in enumerate([(1, 5), (10, 10), (10, 11), (100, 1000), (1000, 999), (1000, 3500), (64, 10000), (4096, 9000)]):
    kind = kinds[i % len(kinds)]
    processing = series(kind, length)
    latency = processing + rng.uniform(0.0, 0.05, length)
    batch = rng.integers(1, 128, length)
    w_p = processing[-window:]
    w_l = latency[-window:]
    w_b = batch[-window:]
    histories.append({
        "name": f"history-{kind}-{window}-{length}",
        "window": window,
        "processing_times": [float(v) for v in processing],
        "latencies": [float(v) for v in latency],
        "batch_sizes": [int(v) for v in batch],
        "expected": {
            "median_processing_time": float(np.percentile(w_p, 50)),
            "p95_processing_time": float(np.percentile(w_p, 95)),
            "p99_processing_time": float(np.percentile(w_p, 99)),
            "min_processing_time": float(np.min(w_p)),
            "max_processing_time": float(np.max(w_p)),
            "avg_processing_time": math.fsum(float(v) for v in w_p) / len(w_p),
            "p95_latency": float(np.percentile(w_l, 95)),
            "p99_latency": float(np.percentile(w_l, 99)),
            "avg_latency": math.fsum(float(v) for v in w_l) / len(w_l),
            "avg_batch_size": float(int(np.sum(w_b)) / len(w_b)),
            "throughput": float(int(np.sum(w_b)) / math.fsum(float(v) for v in w_p)),
            "total_processed": int(np.sum(batch)),
        },
    })

json.dump({"numpy_version": np.__version__, "cases": cases, "histories": histories}, sys.stdout)
