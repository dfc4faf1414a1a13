"""The convergence sweep at large sizes: every synthetic economy's no-externalities equilibrium
and optimum, over seeds, from 100 to 3,000 cities (22 industries, the paper's externalities).

    python benchmarks/bench_seed_sweep.py [--sizes 100 300 1000 3000] [--seeds 20]
        [--out sweep.jsonl]

The test suite runs the same check on 20 seeds of 12-60 cities (tests/test_newton.py); this
is its large-size half. Each solve is checked independently of the solver: the equilibrium
conditions (:func:`spatialocc.check_equilibrium`) and those of the optimum
(:func:`spatialocc.check_optimum`) must hold to 1e-8. One line of JSON per (size, seed) is
appended to ``--out`` as it finishes; a rerun skips the pairs already there, so an
interrupted sweep resumes. The table at the end summarizes every line of the file.
OpenBLAS runs on one thread (set before numpy loads).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import warnings
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

#: The conditions must hold to this, recomputed from the solution.
CHECK_TOLERANCE = 1e-8


def run_one(n_cities: int, seed: int) -> dict[str, object]:
    import spatialocc
    from spatialocc import paper
    from spatialocc.solvers import counterfactuals as cf

    data = spatialocc.datasets.synthetic(
        n_cities=n_cities, n_industries=22, years=(2015,), seed=seed
    )
    model = spatialocc.with_externalities(spatialocc.invert(data), **paper.TAU).isel(year=0)
    target = cf.no_externalities(model)
    record: dict[str, object] = {"cities": n_cities, "seed": seed}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # non-convergence is recorded below
        tick = time.perf_counter()
        equilibrium = spatialocc.solve_equilibrium(target)
        record["equilibrium_seconds"] = time.perf_counter() - tick
        tick = time.perf_counter()
        optimum = spatialocc.solve_optimal(model)
        record["optimum_seconds"] = time.perf_counter() - tick
    check_eq = spatialocc.check_equilibrium(equilibrium, reference=target)
    check_opt = spatialocc.check_optimum(model, optimum)
    record.update(
        equilibrium_converged=bool(equilibrium["converged"]),
        equilibrium_evaluations=int(equilibrium["iterations"]),
        equilibrium_check=float(check_eq.to_array().max()),
        optimum_converged=bool(optimum["converged"]),
        optimum_evaluations=int(optimum["iterations"]),
        optimum_check=float(check_opt.to_array().max()),
        welfare_gain=float(optimum["welfare_gain"].mean()),
    )
    return record


def table(records: list[dict[str, object]]) -> str:
    lines = [
        "| cities | seeds | equilibrium converged | evaluations (median, max) | time (median, max) "
        "| optimum converged | evaluations (median, max) | time (median, max) "
        "| largest check residual |",
        "|---:|---:|---|---|---|---|---|---|---:|",
    ]
    for n in sorted({r["cities"] for r in records}):
        rows = [r for r in records if r["cities"] == n]

        def ok(stage: str, rows=rows) -> str:
            good = sum(
                bool(r[f"{stage}_converged"]) and r[f"{stage}_check"] < CHECK_TOLERANCE
                for r in rows
            )
            return f"{good} / {len(rows)}"

        def spread(key: str, unit: str = "", rows=rows) -> str:
            values = [float(r[key]) for r in rows]
            fmt = "{:.1f}" if unit else "{:.0f}"
            return f"{fmt.format(statistics.median(values))}, {fmt.format(max(values))}{unit}"

        largest = max(max(r["equilibrium_check"], r["optimum_check"]) for r in rows)
        lines.append(
            f"| {n:,} | {len(rows)} | {ok('equilibrium')} | "
            f"{spread('equilibrium_evaluations')} | {spread('equilibrium_seconds', ' s')} | "
            f"{ok('optimum')} | {spread('optimum_evaluations')} | "
            f"{spread('optimum_seconds', ' s')} | {largest:.1e} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000, 3000])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--out", default="seed_sweep.jsonl")
    args = parser.parse_args(argv)
    out = Path(args.out)
    records = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    done = {(r["cities"], r["seed"]) for r in records}
    for n in args.sizes:
        for seed in range(args.seeds):
            if (n, seed) in done:
                continue
            record = run_one(n, seed)
            records.append(record)
            with out.open("a") as f:
                f.write(json.dumps(record) + "\n")
            print(
                f"{n} cities, seed {seed}: equilibrium {record['equilibrium_converged']} "
                f"({record['equilibrium_evaluations']} ev., {record['equilibrium_seconds']:.1f} s)"
                f", optimum {record['optimum_converged']} ({record['optimum_evaluations']} ev., "
                f"{record['optimum_seconds']:.1f} s)",
                flush=True,
            )
    print(table(records))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
