"""Anderson acceleration of a fixed-point map (type II, Walker and Ni 2011), safeguarded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: An accelerated step may raise the error by at most this factor before it is rejected.
GROWTH = 10.0


@dataclass(frozen=True)
class FixedPointResult:
    x: np.ndarray
    iterations: int
    converged: bool
    error: float


def anderson(
    G: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    memory: int = 8,
    error: Callable[[np.ndarray, np.ndarray], float] | None = None,
    growth: float = GROWTH,
) -> FixedPointResult:
    """Solve ``x = G(x)`` by Anderson acceleration.

    ``error(x, G(x))`` measures the distance to the fixed point (default: the largest absolute
    component of ``G(x) - x``); iteration stops once it is at most ``tol``. An accelerated
    step whose image is not finite, or whose error exceeds ``growth`` times the current one, is
    replaced by the plain step ``G(x)`` and the history is dropped (safeguarding), so the
    method never does worse than a restart of the plain iteration. ``memory=0`` is the plain
    iteration. ``iterations`` counts evaluations of ``G``.
    """
    measure = error or (lambda x, gx: float(np.max(np.abs(gx - x))))

    def evaluate(x: np.ndarray) -> tuple[np.ndarray, float]:
        with np.errstate(all="ignore"):
            gx = G(x)
        if not np.all(np.isfinite(gx)):
            return gx, np.inf
        return gx, measure(x, gx)

    x = np.asarray(x0, dtype=float)
    gx, err = evaluate(x)
    if not np.isfinite(err):
        raise FloatingPointError("the fixed-point map is not finite at the starting point")
    evaluations = 1
    dF: list[np.ndarray] = []
    dG: list[np.ndarray] = []
    while err > tol and evaluations < max_iter:
        f = gx - x
        x_new = gx
        if dF and memory > 0:
            Fm = np.stack(dF, axis=1)
            coef, *_ = np.linalg.lstsq(Fm, f, rcond=None)
            x_new = gx - np.stack(dG, axis=1) @ coef
        g_new, err_new = evaluate(x_new)
        evaluations += 1
        if x_new is not gx and not err_new <= growth * err:
            dF.clear()
            dG.clear()
            x_new = gx
            g_new, err_new = evaluate(x_new)
            evaluations += 1
        if not np.isfinite(err_new):
            break
        if memory > 0:
            dF.append((g_new - x_new) - f)
            dG.append(g_new - gx)
            if len(dF) > memory:
                dF.pop(0)
                dG.pop(0)
        x, gx, err = x_new, g_new, err_new
    return FixedPointResult(gx if err <= tol else x, evaluations, err <= tol, err)
