"""Time and peak memory of ``spatialocc.invert`` on the full 382 x 22 x 2 synthetic economy
(both years).

    python benchmarks/bench_invert.py [--repeat 5] [--chunked]

Each measurement runs in a fresh process so that peak memory (max RSS) is the job's own.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time


def one_run(chunked: bool) -> dict[str, float]:
    import spatialocc

    data = spatialocc.datasets.synthetic()
    if chunked:
        data = data.chunk({"year": 1})
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    model = spatialocc.invert(data)
    if chunked:
        model = model.compute()
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert bool(model.converged.all())
    return {"seconds": elapsed, "peak_rss_mb": peak, "rss_before_mb": rss_before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chunked", action="store_true", help="dask-chunk along year")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.chunked)))
        return
    runs = []
    for _ in range(args.repeat):
        cmd = [sys.executable, __file__, "--child"] + (["--chunked"] if args.chunked else [])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    seconds = [r["seconds"] for r in runs]
    print(
        f"invert, 382 cities x 22 industries x 2 occupations x 2 years"
        f"{' (dask, chunked by year)' if args.chunked else ''}: "
        f"median {statistics.median(seconds):.3f} s, min {min(seconds):.3f} s over {len(runs)} "
        f"runs; peak RSS {max(r['peak_rss_mb'] for r in runs):.0f} MB (process total, "
        f"{max(r['rss_before_mb'] for r in runs):.0f} MB before the call)"
    )


if __name__ == "__main__":
    main()
