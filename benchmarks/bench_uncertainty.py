"""Benchmark: draws of the optimal policy under the estimates' sampling error on the US data.

Runs ``spatialocc.propagate`` (output ``optimum``: the optimal policy of each draw of τ from
the paper's CUE estimates and standard errors, Table 2) on a ``dask.distributed.LocalCluster``
with one and then two single-threaded worker processes, one draw per task, and reports wall
time, time per draw, each worker's peak resident memory, the speed-up, the time 200 draws
would take at that rate, and whether the two runs gave identical Datasets.

    python benchmarks/bench_uncertainty.py [--draws 200] [--workers 1 2] [--dataset us]
        [--out draws.nc]

Needs the ``distributed`` extra (``pip install ".[distributed]"``).
"""

from __future__ import annotations

import argparse
import resource
import time

import xarray as xr

import spatialocc
from spatialocc import paper


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def paper_estimates() -> xr.Dataset:
    """The paper's CUE estimates with their standard errors (no covariances: diagonal)."""
    occupations, coefficients = list(paper.OCCUPATIONS), ["tau_share", "tau_size"]
    cue = paper.TABLE2["cue"]
    mean = [[cue[c][k][0] for c in coefficients] for k in occupations]
    cov = [[[cue["tau_share"][k][1] ** 2, 0], [0, cue["tau_size"][k][1] ** 2]] for k in occupations]
    return xr.Dataset(
        {
            "estimate": (("occupation", "coefficient"), mean),
            "covariance": (("occupation", "coefficient", "coefficient_2"), cov),
        },
        coords={"occupation": occupations, "coefficient": coefficients},
    )


def main() -> None:
    from dask.distributed import Client, LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="us", choices=["us", "synthetic"])
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-iter", type=int, default=6000)
    parser.add_argument("--out", default=None, help="write the draws (first run) to this NetCDF")
    args = parser.parse_args()

    data = spatialocc.datasets.load(args.dataset)
    model = spatialocc.invert(data).isel(year=-1)
    print(
        f"economy: {model.sizes['city']} cities x {model.sizes['industry']} industries; "
        f"{args.draws} draws of the optimum, one per task"
    )
    print("workers  wall (s)  s/draw  peak MB/worker  speed-up  200 draws (min)  unconverged")
    results, first = {}, None
    for n in args.workers:
        with (
            LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            start = time.perf_counter()
            draws = spatialocc.propagate(
                model,
                paper_estimates(),
                n_draws=args.draws,
                seed=args.seed,
                outputs=["optimum"],
                chunk_size=1,
                max_iter=args.max_iter,
            )
            wall = time.perf_counter() - start
            peaks = client.run(peak_rss_mb)
        first = first or wall
        results[n] = draws
        unconverged = int((~draws["optimum.converged"]).sum())
        print(
            f"{n:7d}  {wall:8.1f}  {wall / args.draws:6.1f}  "
            f"{max(peaks.values()):14.0f}  {first / wall:8.2f}  "
            f"{200 * wall / args.draws / 60:15.1f}  {unconverged:11d}"
        )
    runs = list(results.values())
    if args.out:
        runs[0].to_netcdf(args.out)
    same = all(r.drop_attrs().identical(runs[0].drop_attrs()) for r in runs[1:])
    print(f"identical Datasets across worker counts: {same}")


if __name__ == "__main__":
    main()
