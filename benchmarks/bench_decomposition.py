"""Benchmark: the full Table 3 decomposition (both panels, with optima) on a US-size economy.

Runs ``spatialocc.decompose`` on a ``dask.distributed.LocalCluster`` with one and then two
single-threaded worker processes and reports wall time and each worker's peak resident memory.

    python benchmarks/bench_decomposition.py [--dataset us|synthetic] [--workers 1 2]

Needs the ``distributed`` extra (``pip install ".[distributed]"``).
"""

from __future__ import annotations

import argparse
import resource
import time

import spatialocc
from spatialocc import paper
from spatialocc.reports import decomposition_table
from spatialocc.solvers.decomposition import decompose

TAU = paper.TAU  # the paper's CUE estimates (Table 2)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main() -> None:
    from dask.distributed import Client, LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="us", choices=["us", "synthetic"])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    data = spatialocc.datasets.load(args.dataset)
    model = spatialocc.with_externalities(spatialocc.invert(data), **TAU)
    sizes = dict(model.sizes)
    print(f"economy: {sizes['city']} cities x {sizes['industry']} industries, years 1980/2015")
    for n in args.workers:
        with (
            LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            start = time.perf_counter()
            result = decompose(model)
            wall = time.perf_counter() - start
            memory = client.run(peak_rss_mb)
        steps = result.sizes["step"] * result.sizes["panel"]
        print(
            f"{n} worker(s): {wall:.1f} s for {steps} solves; peak RSS per worker (MB): "
            + ", ".join(f"{m:.0f}" for m in memory.values())
        )
    print(decomposition_table(result).round(3).to_string())


if __name__ == "__main__":
    main()
