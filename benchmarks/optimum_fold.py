"""Where the optimum stops existing as the CNR share externality grows: continuation of the US
optimum in ``tau_share[CNR]`` from the paper's CUE estimate, each step warm-started from the
previous optimum (``solve_optimal(..., start=previous)``).

    python benchmarks/optimum_fold.py [--step 0.01] [--smallest 1e-4] [--dataset us]

The other three elasticities stay at the paper's CUE values. A step that does not converge is
halved; the sweep stops when the step falls below ``--smallest`` or tau reaches ``--stop``.
Where the warm start fails, ``solve_optimal`` falls back to the path from the decentralized
equilibrium, which can land on another branch of solutions: the speed column then jumps (the
allocation moved by far more than along the branch) and the evaluations exceed the warm
start's budget (``optimal.WARM_START_BUDGET``). For each converged point it
prints the common welfare gain, the mean transfer to CNR workers, and the speed of the
solution, ``max |d log L[k,n]| / d tau`` over the last step: at a fold (a saddle-node, where
the optimum merges with another solution of the first-order conditions and both disappear)
this speed grows without bound like ``1 / sqrt(tau* - tau)`` while the steps that still
converge shrink toward tau*. Every converged point satisfies the optimum conditions of
MODEL.md section 4 (``check_optimum``) to 1e-8. Also prints, for comparison, whether the cold
solve (the path from the decentralized equilibrium) converges at each point.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    import spatialocc
    from spatialocc import paper

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="us")
    parser.add_argument("--step", type=float, default=0.01)
    parser.add_argument("--smallest", type=float, default=1e-4)
    parser.add_argument("--stop", type=float, default=1.6)
    parser.add_argument("--cold", action="store_true", help="also try the cold solve")
    args = parser.parse_args(argv)

    model = spatialocc.invert(spatialocc.datasets.load(args.dataset)).isel(year=-1)

    def at(tau_share_cnr: float):
        tau = paper.tau("cue")
        tau["tau_share"]["CNR"] = tau_share_cnr
        return spatialocc.with_externalities(model, **tau)

    warnings.simplefilter("ignore")  # non-convergence is reported in the table
    tau = paper.TABLE2["cue"]["tau_share"]["CNR"][0]
    previous = spatialocc.solve_optimal(at(tau))
    assert bool(previous["converged"])
    print(
        "| tau_share[CNR] | step | converged | evaluations | seconds | welfare gain | "
        "mean CNR transfer | speed max dlogL/dtau | check | cold solve |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---|")
    step = args.step
    while step >= args.smallest and tau < args.stop:
        candidate = tau + step
        economy = at(candidate)
        tick = time.perf_counter()
        optimum = spatialocc.solve_optimal(economy, start=previous)
        seconds = time.perf_counter() - tick
        converged = bool(optimum["converged"])
        cold = ""
        if args.cold:
            cold = str(bool(spatialocc.solve_optimal(economy, max_iter=6000)["converged"]))
        if not converged:
            print(
                f"| {candidate:.4f} | {step:.4g} | no | {int(optimum['iterations'])} | "
                f"{seconds:.1f} | | | | | {cold} |",
                flush=True,
            )
            step /= 2
            continue
        check = float(spatialocc.check_optimum(economy, optimum).to_array().max())
        residents = optimum["employment"].sum("industry")
        before = previous["employment"].sum("industry")
        speed = float(np.abs(np.log(residents / before)).max()) / step
        transfer = optimum["transfer"].sel(occupation="CNR")
        weights = residents.sel(occupation="CNR")
        mean_transfer = float((transfer * weights).sum() / weights.sum())
        print(
            f"| {candidate:.4f} | {step:.4g} | yes | {int(optimum['iterations'])} | "
            f"{seconds:.1f} | {float(optimum['welfare_gain'].mean()):.6f} | "
            f"{mean_transfer:,.0f} | {speed:.3g} | {check:.1e} | {cold} |",
            flush=True,
        )
        tau, previous = candidate, optimum
    print(
        f"\nlast converged tau_share[CNR] = {tau:.4f}; no step >= {args.smallest:g} beyond it "
        f"converges from there"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
