"""Newton-Krylov solution of a residual system ``F(x) = 0``, globalized by a line search.

The Jacobian is never formed: each GMRES iteration needs one product ``J v``, approximated by
a forward difference ``(F(x + h v) - F(x)) / h`` (one evaluation of the equations). The
inner tolerance follows Eisenstat and Walker (1996, choice 2), so that early steps are cheap
and the last ones converge quadratically. A step is accepted when it lowers ``||F||`` by the
Armijo condition; when backtracking fails (far from the solution, where the linearization is
poor) the solver hands over to ``fallback`` for a few steps (the damped, Anderson-accelerated
map of the same equations) and resumes Newton from there. The fallback only moves the
iterate; the solution is still a root of the same ``F``.

References: Kelley, *Solving Nonlinear Equations with Newton's Method* (SIAM, 2003),
chapters 2-3; Knoll and Keyes, "Jacobian-free Newton-Krylov methods", J. Comput. Phys. 193
(2004).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse.linalg as sla

#: Relative size of the finite-difference step of a Jacobian-vector product (about the square
#: root of double-precision rounding, times the typical size of the unknowns).
DIFFERENCE_STEP = 1e-7
#: Armijo sufficient-decrease constant and the smallest step length tried.
ARMIJO = 1e-4
MIN_STEP_LENGTH = 1.0 / 64
#: GMRES restart length and the largest number of products per linear solve.
RESTART = 40
MAX_PRODUCTS = 240


@dataclass(frozen=True)
class NewtonResult:
    """``x`` the last iterate; ``evaluations`` every evaluation of ``F`` (products
    included, fallback steps included); ``newton_steps`` and ``products`` (Jacobian-vector
    products) the Newton part; ``fallback_steps`` the evaluations spent in the fallback."""

    x: np.ndarray
    converged: bool
    error: float
    evaluations: int
    newton_steps: int
    products: int
    fallback_steps: int


class _Budget(Exception):
    """The evaluation budget is spent."""


def newton_krylov(
    F: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    *,
    tol: float,
    max_evaluations: int,
    fallback: Callable[[np.ndarray, int], tuple[np.ndarray, int]] | None = None,
    fallback_steps: int = 30,
    max_newton: int = 100,
    max_ratio: float | None = None,
) -> NewtonResult:
    """Solve ``F(x) = 0`` to ``max |F(x)| <= tol``.

    ``fallback(x, budget)`` returns a new iterate and the evaluations it used (at most
    ``budget``); it is called with ``fallback_steps`` when a Newton step finds no decrease.
    At most ``max_evaluations`` evaluations of ``F`` (products and fallback included) and
    ``max_newton`` Newton steps are spent. ``F`` may return non-finite values where the
    equations are not defined; such a trial point is rejected by the line search. With
    ``max_ratio``, the solve gives up as soon as a Newton step after the first reduces
    ``||F||`` by less than that factor (or any step needs the fallback): from a good starting
    point (a continuation's predictor) Newton contracts fast, so a slow step announces a
    failure that would otherwise spend the whole budget.
    """
    count = {"F": 0, "products": 0, "fallback": 0}

    def evaluate(x: np.ndarray) -> np.ndarray:
        if count["F"] >= max_evaluations:
            raise _Budget
        count["F"] += 1
        with np.errstate(all="ignore"):
            return F(x)

    x = np.array(x0, dtype=float)
    f = evaluate(x)
    if not np.all(np.isfinite(f)):
        raise FloatingPointError("the residual is not finite at the starting point")
    err = float(np.max(np.abs(f))) if f.size else 0.0
    best = (err, x, f)
    steps = 0
    eta, previous_norm = 0.1, None
    try:
        while err > tol and steps < max_newton:
            steps += 1
            norm = float(np.linalg.norm(f))
            scale = max(1.0, float(np.linalg.norm(x)) / np.sqrt(x.size))
            base_x, base_f = x, f

            def product(v: np.ndarray, base_x=base_x, base_f=base_f, scale=scale) -> np.ndarray:
                size = float(np.linalg.norm(v))
                if size == 0.0:
                    return np.zeros_like(v)
                h = DIFFERENCE_STEP * scale / size
                count["products"] += 1
                out = (evaluate(base_x + h * v) - base_f) / h
                return np.where(np.isfinite(out), out, 0.0)

            operator = sla.LinearOperator((x.size, x.size), matvec=product, dtype=float)
            direction, _info = sla.gmres(
                operator,
                -f,
                rtol=eta,
                atol=0.0,
                restart=RESTART,
                maxiter=max(1, MAX_PRODUCTS // RESTART),
            )
            length, accepted = 1.0, None
            while length >= MIN_STEP_LENGTH:
                trial = x + length * direction
                f_trial = evaluate(trial)
                trial_norm = float(np.linalg.norm(f_trial))
                if np.isfinite(trial_norm) and trial_norm <= (1 - ARMIJO * length) * norm:
                    accepted = (trial, f_trial, trial_norm)
                    break
                length /= 2
            if accepted is None:
                if fallback is None or max_ratio is not None:
                    break
                budget = min(fallback_steps, max_evaluations - count["F"])
                if budget <= 0:
                    raise _Budget
                trial, used = fallback(x, budget)
                count["F"] += used
                count["fallback"] += used
                f_trial = evaluate(trial)
                trial_norm = float(np.linalg.norm(f_trial))
                if not np.isfinite(trial_norm):
                    break
                accepted = (trial, f_trial, trial_norm)
                eta = 0.1
            else:
                # Eisenstat-Walker choice 2, safeguarded
                ratio = accepted[2] / norm
                new_eta = 0.9 * ratio**2
                if previous_norm is not None and 0.9 * eta**2 > 0.1:
                    new_eta = max(new_eta, 0.9 * eta**2)
                # no need to solve the linear system beyond what the tolerance asks
                floor = 0.5 * tol / max(float(np.max(np.abs(accepted[1]))), tol)
                eta = min(0.1, max(new_eta, floor))
            previous_norm = norm
            x, f, _ = accepted
            err = float(np.max(np.abs(f)))
            if err < best[0]:
                best = (err, x, f)
            if max_ratio is not None and steps > 1 and err > tol and accepted[2] > max_ratio * norm:
                break
    except _Budget:
        pass
    err, x, _ = best
    return NewtonResult(
        x=x,
        converged=err <= tol,
        error=err,
        evaluations=count["F"],
        newton_steps=steps,
        products=count["products"],
        fallback_steps=count["fallback"],
    )
