"""Time and peak memory of the no-externalities counterfactual (solve_equilibrium from the
data allocation) on synthetic economies with J = 22, for several numbers of cities, and of the
same solve when the goods market is solved as a dense NJ x NJ linear system at every step.

    python benchmarks/bench_equilibrium.py [--cities 100 382 1000 3000] [--dense 100 382]

Each measurement runs in a fresh process; peak memory is the process's max RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _model(n_cities: int):
    import spatialocc
    from spatialocc import paper
    from spatialocc.solvers import counterfactuals as cf

    data = spatialocc.datasets.synthetic(n_cities=n_cities, years=(2015,), seed=0)
    model = spatialocc.with_externalities(spatialocc.invert(data), **paper.TAU)
    return cf.no_externalities(model).squeeze("year")


def run_sparse(n_cities: int) -> dict[str, float]:
    import spatialocc

    model = _model(n_cities)
    before = _rss_mb()
    tracemalloc.start()
    start = time.perf_counter()
    solution = spatialocc.solve_equilibrium(model)
    seconds = time.perf_counter() - start
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    residual = max(float(solution[v]) for v in solution.data_vars if v.startswith("residual_"))
    return {
        "seconds": seconds,
        "iterations": int(solution["iterations"]),
        "converged": bool(solution["converged"]),
        "max_residual": residual,
        "rss_before_mb": before,
        "peak_rss_mb": _rss_mb(),
        "solve_peak_mb": traced_peak,
    }


def run_dense(n_cities: int) -> dict[str, float]:
    """The same fixed point on (w, L, r, P), with output solved exactly each step from the
    dense NJ x NJ system (I - A G) Y = A b, A = block-diagonal trade shares, G = input shares."""
    import numpy as np

    from spatialocc.solvers import equilibrium as eq
    from spatialocc.solvers.anderson import anderson

    model = _model(n_cities)
    arrays = {
        name: da.transpose(*[d for d in eq.ECONOMY_INPUTS[name] if d in da.dims]).values
        for name, da in eq.economy_inputs(model).items()
    }
    eco = eq._economy(arrays, model["tradable"].values)
    w0 = model["wage"].transpose("occupation", "city").values
    emp0 = model["employment"].transpose("occupation", "industry", "city").values
    L0 = emp0.sum(axis=1)
    r0, P0, Y0 = eq.initial_guess(eco, w0, L0, emp0)
    J, N = Y0.shape
    T = eco.tradable
    policy = eq.decentralized
    lives = eco.lives
    n_lives = int(lives.sum())
    timings = []

    def exact_output(w, L, r, P):
        st = eq.evaluate(eco, w, L, r, P, np.zeros((J, N)), policy)
        start = time.perf_counter()
        A = np.zeros((J, N, J, N))  # A[j, m, j, n] = pi[j, n, m] (sales of m to n)
        pi = eco.K_trade.dense() * st.phi[:, None, :] / st.market_access[:, :, None]
        for b, j in enumerate(np.flatnonzero(T)):
            A[j, :, j, :] = pi[b].T
        for j in np.flatnonzero(~T):
            A[j, :, j, :] = np.eye(N)
        A = A.reshape(J * N, J * N)
        G = np.zeros((J, N, J, N))
        idx = np.arange(N)
        for i in range(J):
            for j in range(J):
                G[i, idx, j, idx] = eco.gamma_io[i, j]
        G = G.reshape(J * N, J * N)
        b = (eco.alpha[:, None] * (st.consumption * L).sum(axis=0)[None, :]).ravel()
        Y = np.linalg.solve(np.eye(J * N) - A @ G, A @ b).reshape(J, N)
        timings.append(time.perf_counter() - start)
        return np.where(Y > 0, Y, 0.0)

    def unpack(z):
        w = np.zeros(lives.shape)
        L = np.zeros(lives.shape)
        w[lives] = np.exp(z[:n_lives])
        L[lives] = np.exp(z[n_lives : 2 * n_lives])
        r = np.exp(z[2 * n_lives : 2 * n_lives + N])
        P = np.exp(z[2 * n_lives + N :]).reshape(J, N)
        return w, L, r, P

    wage_step = eq.WAGE_STEP / (1.0 + eco.theta * float(np.max(eco.gamma * (1 - eco.beta))))
    loc_step = min(0.5, eq.LOCATION_STEP / eco.nu)
    step = np.ones(2 * n_lives + N + J * N)
    step[:n_lives] = wage_step
    step[n_lives : 2 * n_lives] = loc_step

    def G_map(z):
        w, L, r, P = unpack(z)
        Y = exact_output(w, L, r, P)
        st = eq.evaluate(eco, w, L, r, P, Y, policy)
        log_w, log_L, r1, P1, _ = eq._updated(eco, st)
        target = np.concatenate([log_w, log_L, np.log(r1), np.log(P1).ravel()])
        return z + step * (target - z)

    z0 = np.concatenate([np.log(w0[lives]), np.log(L0[lives]), np.log(r0), np.log(P0).ravel()])
    before = _rss_mb()
    start = time.perf_counter()
    result = anderson(
        G_map,
        z0,
        tol=1e-10,
        max_iter=2000,
        memory=10,
        error=lambda z, gz: float(np.max(np.abs(gz - z) / step)),
    )
    return {
        "seconds": time.perf_counter() - start,
        "iterations": result.iterations,
        "converged": result.converged,
        "dense_solve_seconds": float(np.mean(timings)),
        "rss_before_mb": before,
        "peak_rss_mb": _rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cities", type=int, nargs="*", default=[100, 382, 1000, 3000])
    parser.add_argument("--dense", type=int, nargs="*", default=[100])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, n = args.child
        fn = run_sparse if kind == "sparse" else run_dense
        print(json.dumps(fn(int(n))))
        return
    for kind, sizes in (("sparse", args.cities), ("dense", args.dense)):
        for n in sizes:
            cmd = [sys.executable, __file__, "--child", kind, str(n)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            extra = (
                f", max residual {r['max_residual']:.1e}, solve's own peak allocation "
                f"{r['solve_peak_mb']:.0f} MB"
                if "max_residual" in r
                else f", one dense NJ x NJ solve {r['dense_solve_seconds']:.2f} s"
            )
            print(
                f"{kind:>6} N={n:5d} (NJ={22 * n}): {r['seconds']:8.2f} s, "
                f"{r['iterations']} iterations, converged={r['converged']}{extra}; peak RSS "
                f"{r['peak_rss_mb']:.0f} MB ({r['rss_before_mb']:.0f} MB before the solve)",
                flush=True,
            )


if __name__ == "__main__":
    main()
