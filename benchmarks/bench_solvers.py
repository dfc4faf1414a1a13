"""Newton-Krylov against Anderson: iterations, Jacobian-vector products, time and peak memory of
the equilibrium and optimum solves, at US size (the bundled data, 382 x 22) and county size
(datasets.synthetic(n_cities=3100, n_industries=22)).

    python benchmarks/bench_solvers.py [--runs 5] [--cases us_equilibrium us_optimum ...]
        [--methods newton anderson] [--out results.json]

Each (case, method) runs ``--runs`` times, each time in a fresh process (peak memory is that
process's max RSS); the table reports the median time. OpenBLAS runs on one thread in the
children (OPENBLAS_NUM_THREADS=1): on a shared two-core machine its threads contend with the
other process and made the same solves several times slower.

Cases (all with the paper's CUE externalities, 2015):

- ``us_data``: the equilibrium from the data allocation (an equilibrium by construction);
- ``us_equilibrium``: the no-externalities counterfactual from the data allocation;
- ``us_optimum``: the optimal policy (Proposition 1);
- ``us_no_trade_costs``: the optimum without trade costs (against its own equilibrium);
- ``us_additive``: the optimum with additive amenities, one Gumbel scale per occupation;
- ``county_equilibrium``, ``county_optimum``: the no-externalities equilibrium and the
  optimum of the 3,100-city synthetic economy.

"evaluations" counts evaluations of the equations (iterations of the map, or residuals in a
Jacobian-vector product); "products" and "newton steps" are those of the Newton solves;
"floor" is the time of one pass over the trade kernel (one matrix-vector product per
tradable industry), the least one evaluation can cost (an evaluation makes two).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

CASES = (
    "us_data",
    "us_equilibrium",
    "us_optimum",
    "us_no_trade_costs",
    "us_additive",
    "county_equilibrium",
    "county_optimum",
)


def _economy(case: str):
    import spatialocc
    from spatialocc import paper

    if case.startswith("us"):
        data = spatialocc.datasets.load("us").sel(year=[2015])
    else:
        data = spatialocc.datasets.synthetic(n_cities=3100, n_industries=22, years=(2015,))
    return spatialocc.with_externalities(spatialocc.invert(data), **paper.TAU).isel(year=0)


def run_case(case: str, method: str) -> dict[str, object]:
    """One measurement, in this process."""
    import numpy as np

    import spatialocc
    from spatialocc.solvers import counterfactuals as cf
    from spatialocc.solvers import equilibrium, newton, optimal

    counts = {"newton_steps": 0, "products": 0}
    original = newton.newton_krylov

    def counted(*args, **kwargs):
        result = original(*args, **kwargs)
        counts["newton_steps"] += result.newton_steps
        counts["products"] += result.products
        return result

    equilibrium.newton_krylov = counted
    optimal.newton_krylov = counted

    model = _economy(case)
    if case in ("us_equilibrium", "county_equilibrium"):
        model = cf.no_externalities(model)
    elif case == "us_no_trade_costs":
        model = cf.no_trade_costs(model)
    elif case == "us_additive":
        model = cf.additive_amenities(model)
    reference = None
    if case in ("us_no_trade_costs", "us_additive"):
        reference = spatialocc.solve_equilibrium(model, method=method)
    counts.update(newton_steps=0, products=0)  # those of the timed solve only
    start = time.perf_counter()
    if case in ("us_data", "us_equilibrium", "county_equilibrium"):
        solution = spatialocc.solve_equilibrium(model, method=method)
    else:
        solution = spatialocc.solve_optimal(model, reference=reference, method=method)
    seconds = time.perf_counter() - start
    residual = max(float(solution[v]) for v in solution.data_vars if v.startswith("residual_"))

    from spatialocc.solvers.trade import trade_kernel

    tradable = model["tradable"].values
    kernel = trade_kernel(
        model["distance"].values,
        float(model["theta"]),
        model["trade_cost_elasticity"].values[tradable],
    )
    v = np.ones((int(tradable.sum()), model.sizes["city"]))
    repeats = 20
    tick = time.perf_counter()
    for _ in range(repeats):
        kernel.right(v)
    floor = (time.perf_counter() - tick) / repeats
    evaluations = int(solution["iterations"])
    return {
        "case": case,
        "method": method,
        "cities": model.sizes["city"],
        "industries": model.sizes["industry"],
        "seconds": seconds,
        "evaluations": evaluations,
        **counts,
        "seconds_per_evaluation": seconds / max(evaluations, 1),
        "floor_seconds": floor,
        "converged": bool(solution["converged"]),
        "max_residual": residual,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    parser.add_argument("--methods", nargs="+", default=["newton", "anderson"])
    parser.add_argument("--out", default=None)
    parser.add_argument("--child", nargs=2, metavar=("CASE", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_case(*args.child)))
        return 0
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    rows = []
    for case in args.cases:
        for method in args.methods:
            runs = []
            for _ in range(args.runs):
                out = subprocess.run(
                    [sys.executable, __file__, "--child", case, method],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=True,
                )
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            row = dict(runs[0])
            row["seconds"] = statistics.median(r["seconds"] for r in runs)
            row["seconds_per_evaluation"] = row["seconds"] / max(row["evaluations"], 1)
            row["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
            row["floor_seconds"] = statistics.median(r["floor_seconds"] for r in runs)
            row["runs"] = [r["seconds"] for r in runs]
            rows.append(row)
            print(
                f"{case:20s} {method:8s} {row['cities']:5d} x {row['industries']:2d}  "
                f"evaluations {row['evaluations']:6d}  newton {row['newton_steps']:4d}  "
                f"products {row['products']:6d}  median {row['seconds']:8.2f} s  "
                f"per evaluation {1e3 * row['seconds_per_evaluation']:7.2f} ms  "
                f"floor {1e3 * row['floor_seconds']:6.2f} ms  "
                f"converged {row['converged']}  residual {row['max_residual']:.1e}  "
                f"peak {row['peak_rss_mb']:7.0f} MB",
                flush=True,
            )
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(rows, handle, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
