"""Monte Carlo of the externality estimators (issue 4; the paper's Table A8 exercise).

Economies are simulated by the equilibrium solver at the paper's GMM-CUE elasticities
(τR = 1.304 / 0.835, τL = 0.349 / 0.357 for CNR / nonCNR) with sorting (exogenous
productivity negatively correlated with amenities) and three city-level instruments that move
amenities only; see ``spatialocc.estimate.montecarlo`` for the design. Each economy is
estimated by OLS, 2SLS, LIML and GMM-CUE with division x industry fixed effects and γ²
weights, with two-way (city, industry) and one-way (city) clustered standard errors.

    python benchmarks/monte_carlo_externalities.py [--replications 200] [--workers 2]
        [--cities 200] [--industries 8] [--seed 12345] [--csv results.csv]

Prints the bias and coverage table (markdown) with the number of replications and the run
time; ``--csv`` also saves every estimate.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import pandas as pd


def _run(args: tuple[list[int], int, int, int, int]) -> pd.DataFrame:
    indices, n_cities, n_industries, base_seed, seed = args
    from spatialocc.estimate import montecarlo

    base = montecarlo.base_model(n_cities=n_cities, n_industries=n_industries, seed=base_seed)
    result = montecarlo.monte_carlo(base, replications=indices, seed=seed)
    result["skipped"] = result.attrs.get("skipped", 0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cities", type=int, default=200)
    parser.add_argument("--industries", type=int, default=8)
    parser.add_argument("--base-seed", type=int, default=0)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--csv", default=None)
    args = parser.parse_args()

    from spatialocc.estimate import montecarlo

    start = time.perf_counter()
    chunks = [list(range(args.replications))[w :: args.workers] for w in range(args.workers)]
    jobs = [(c, args.cities, args.industries, args.base_seed, args.seed) for c in chunks if c]
    with ProcessPoolExecutor(max_workers=len(jobs)) as pool:
        parts = list(pool.map(_run, jobs))
    results = pd.concat(parts, ignore_index=True)
    seconds = time.perf_counter() - start
    if args.csv:
        results.to_csv(args.csv, index=False)
    table = montecarlo.summarize(results).round(3)
    done = results["replication"].nunique()
    print(
        f"Monte Carlo: {done} replications ({args.replications} drawn), {args.cities} cities, "
        f"{args.industries} industries, seed {args.seed}; {seconds:.0f} s with "
        f"{len(jobs)} workers\n"
    )
    try:
        print(table.reset_index().to_markdown(index=False))
    except ImportError:  # to_markdown needs tabulate
        print(table.to_string())


if __name__ == "__main__":
    main()
