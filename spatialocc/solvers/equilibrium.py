"""The general equilibrium of MODEL.md section 2: the fixed point and its xarray layer.

The equations are in :mod:`spatialocc.solvers.model`, the location preferences in
:mod:`spatialocc.solvers.preferences` and the residual of each condition in
:mod:`spatialocc.solvers.residuals`; this module iterates the equations to their fixed point
(:func:`solve_arrays`) and maps that over labeled Datasets (:func:`solve_equilibrium`,
:func:`run_solver`, :func:`check_equilibrium`, :func:`with_externalities`).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import xarray as xr

from spatialocc.dims.errors import DimensionError, MissingVariableError
from spatialocc.dims.schema import VARIABLES, annotate, double_precision, kernel_dims
from spatialocc.dims.validation import (
    check_core_chunks,
    check_structure,
    checked_values,
    validate,
)
from spatialocc.solvers.anderson import anderson
from spatialocc.solvers.inversion import ConvergenceWarning
from spatialocc.solvers.model import (
    EQUILIBRIUM_VARIABLES,
    Economy,
    State,
    consumer_price_index,
    evaluate,
    externalities,
    labor_compensation,
    labor_cost,
    land_income,
    log_unit_cost,
    portfolio_return,
    prices,
)
from spatialocc.solvers.newton import NewtonResult, newton_krylov
from spatialocc.solvers.policies import POLICIES, PolicyInput, PolicyRule, decentralized
from spatialocc.solvers.preferences import (  # noqa: F401 (the others' former home)
    additive_welfare,
    location_shares,
    log_sum_exp,
    preferences_from_arrays,
    welfare_index,
)
from spatialocc.solvers.residuals import (  # noqa: F401 (equilibrium_residuals' former home)
    CONDITIONS,
    equilibrium_residuals,
    residuals_at,
)

# -- the fixed point ---------------------------------------------------------------------------

#: A solve is ``converged`` when its last step is below ``tol`` *and* every relative residual
#: of the returned allocation is at most ``RESIDUAL_FACTOR * tol`` (not below
#: ``RESIDUAL_FLOOR``). ``tol`` bounds the undamped change of log variables; a residual is
#: that change carried through one equation, whose elasticities reach θ (10 in the paper) in
#: prices and trade shares times ν (2) in the location choice, so 100 leaves a margin of about
#: five; at the default tol = 1e-10 it is MODEL.md section 6's 1e-8. The floor is the
#: rounding of double-precision sums over N x J cells, which no tolerance can undercut.
RESIDUAL_FACTOR = 100.0
RESIDUAL_FLOOR = 1e-12

WAGE_STEP = 0.5  # step of log wages toward labor income per worker, per unit of 1/(1+θ γ)
LOCATION_STEP = 1.0  # step of log residents toward the location choice, per unit of 1/ν


@dataclass
class _Layout:
    """Packing of (log w, log L[k,n], log r, log P, log Y) into one vector."""

    lives: np.ndarray
    producing: np.ndarray
    has_land: np.ndarray
    N: int
    J: int

    def pack(self, w, L, r, P, Y) -> np.ndarray:
        return self.pack_logs(np.log(w[self.lives]), np.log(L[self.lives]), r, P, Y)

    def pack_logs(self, log_w, log_L, r, P, Y) -> np.ndarray:
        """Like :meth:`pack` with wages and residents (on ``lives``) already in logs."""
        return np.concatenate(
            [
                log_w,
                log_L,
                np.log(r[self.has_land]),
                np.log(P).ravel(),
                np.log(Y[self.producing]),
            ]
        )

    def unpack(self, z: np.ndarray):
        sizes = [
            self.lives.sum(),
            self.lives.sum(),
            self.has_land.sum(),
            self.J * self.N,
            self.producing.sum(),
        ]
        parts = np.split(z, np.cumsum(sizes)[:-1])
        w = np.zeros(self.lives.shape)
        w[self.lives] = np.exp(parts[0])
        L = np.zeros(self.lives.shape)
        L[self.lives] = np.exp(parts[1])
        r = np.zeros(self.N)
        r[self.has_land] = np.exp(parts[2])
        P = np.exp(parts[3]).reshape(self.J, self.N)
        Y = np.zeros((self.J, self.N))
        Y[self.producing] = np.exp(parts[4])
        return w, L, r, P, Y


def _updated(eco: Economy, st: State):
    """New (log w, log L on ``lives``, r, P, Y) from a State, before damping, normalized to
    the numeraire."""
    Y = st.gross_output
    lives = eco.lives
    rent = land_income(eco, Y) / eco.land
    labor_income = np.einsum("kjn,jn->kn", st.labor_share, labor_compensation(eco, Y))
    scale = eco.income / (labor_income.sum() + (rent * eco.land).sum())
    log_w = np.log(labor_income[lives] * scale) - np.log(st.residents[lives])
    log_pull = eco.log_pull(st.consumption / st.price_index)
    log_L = np.log(eco.national)[:, None] + log_pull - log_sum_exp(log_pull, keepdims=True)
    return log_w, log_L[lives], rent * scale, st.price * scale, Y * scale


class StatefulPolicy:
    """A policy whose rule depends on unknowns solved jointly with the equilibrium.

    The policy itself is immutable: the unknowns live in the solver's state (appended to the
    iterated vector, returned as :attr:`State.unknowns`). ``start`` holds their starting
    values; ``rule(state, values)`` is the consumption rule at given unknowns and
    ``target(eco, st, values)`` where the unknowns move next (the solver moves them by
    ``step``, a fraction per component, at each iteration). ``scale`` is their typical size,
    for the convergence test.
    """

    start: np.ndarray
    step: np.ndarray | float = 1.0
    scale: np.ndarray | float = 1.0

    def rule(self, state: PolicyInput, values: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def target(  # pragma: no cover - interface
        self, eco: Economy, st: State, values: np.ndarray
    ) -> np.ndarray:
        raise NotImplementedError

    def bound(self, values: np.ndarray) -> PolicyRule:
        """The consumption rule at fixed unknowns, a plain :data:`PolicyRule`."""
        return lambda state: self.rule(state, values)


@dataclass(frozen=True)
class FixedPointProblem:
    """The equilibrium of one economy as a fixed point ``z = G(z)`` in log variables.

    ``z`` packs (log w, log L[k,n], log r, log P, log Y) and, under a
    :class:`StatefulPolicy`, the policy's unknowns divided by their typical size. ``G`` moves
    each block a fraction ``step`` of the way to what the allocation implies (the damped map);
    ``residual(z)`` is the undamped update ``(G(z) - z) / step``, zero exactly at an
    equilibrium: the residual system that Newton's method solves. ``state_at(z)`` is the
    State of an iterate.
    """

    z0: np.ndarray
    step: np.ndarray
    G: Callable[[np.ndarray], np.ndarray]
    state_at: Callable[[np.ndarray], State]

    def residual(self, z: np.ndarray) -> np.ndarray:
        return (self.G(z) - z) / self.step

    def error(self, z: np.ndarray, gz: np.ndarray) -> float:
        """The largest undamped change in logs (relative precision everywhere)."""
        return float(np.max(np.abs(gz - z) / self.step))


def fixed_point_problem(
    eco: Economy,
    wage0: np.ndarray,
    residents0: np.ndarray,
    rent0: np.ndarray,
    price0: np.ndarray,
    output0: np.ndarray,
    *,
    policy: PolicyRule = decentralized,
) -> FixedPointProblem:
    """The :class:`FixedPointProblem` of one economy from a starting allocation."""
    lives = eco.lives
    producing = ((eco.lam_hat > 0) & lives[:, None, :]).any(axis=0)
    has_land = (eco.beta > 0).any(axis=0)
    layout = _Layout(lives, producing, has_land, eco.land.size, eco.alpha_k.shape[1])
    gamma_va = float(np.max(eco.gamma * (1 - eco.beta)))
    wage_step = WAGE_STEP / (1.0 + eco.theta * gamma_va)
    # The location map's slope is the elasticity of residents with respect to log
    # consumption: ν with Fréchet amenities, ν_add C[k,n] with additive ones (at the start).
    chi0 = portfolio_return(eco, wage0, residents0, rent0)
    elasticity = eco.location_elasticity(
        (wage0 + chi0[:, None]) / consumer_price_index(eco.alpha_k, price0)
    )
    location_step = min(0.5, LOCATION_STEP / elasticity)
    n_lives = int(lives.sum())
    stateful = isinstance(policy, StatefulPolicy)
    n_extra = policy.start.size if stateful else 0
    output0 = np.where(producing, np.where(output0 > 0, output0, 1e-12 * eco.income), 0.0)
    z0 = layout.pack(
        np.where(lives, wage0, 1.0),
        np.where(lives, residents0, 1.0),
        np.where(has_land, rent0, 0.0),
        price0,
        output0,
    )
    step = np.ones(z0.size + n_extra)
    step[:n_lives] = wage_step
    step[n_lives : 2 * n_lives] = location_step
    # The policy's unknowns enter the iterated vector divided by their typical size, so that
    # every component is a relative quantity (Anderson's least squares mixes them).
    scale = policy.scale if stateful else 1.0
    if stateful:
        step[z0.size :] = policy.step
        z0 = np.concatenate([z0, policy.start / scale])

    def state_at(z: np.ndarray) -> State:
        if not stateful:
            return evaluate(eco, *layout.unpack(z), policy)
        values = z[z.size - n_extra :] * scale
        st = evaluate(eco, *layout.unpack(z[: z.size - n_extra]), policy.bound(values))
        return dataclasses.replace(st, unknowns=values)

    def G(z: np.ndarray) -> np.ndarray:
        st = state_at(z)
        target = layout.pack_logs(*_updated(eco, st))
        if stateful:
            target = np.concatenate([target, policy.target(eco, st, st.unknowns) / scale])
        return z + step * (target - z)

    return FixedPointProblem(z0=z0, step=step, G=G, state_at=state_at)


def solve_arrays(
    eco: Economy,
    wage0: np.ndarray,
    residents0: np.ndarray,
    rent0: np.ndarray,
    price0: np.ndarray,
    output0: np.ndarray,
    *,
    policy: PolicyRule = decentralized,
    tol: float = 1e-10,
    max_iter: int = 5000,
    memory: int = 10,
    growth: float = 10.0,
    method: str = "anderson",
) -> tuple[State, int, bool]:
    """Find the equilibrium of one economy from a starting allocation.

    With a :class:`StatefulPolicy`, the policy's unknowns are appended to the iterated vector
    and solved jointly (their convergence is measured relative to ``policy.scale``).
    ``method`` is ``"newton"`` (:func:`solve_problem`), ``"anderson"`` (memory ``memory``)
    or ``"fixed_point"``; the returned count is the number of evaluations of the equations.
    """
    problem = fixed_point_problem(eco, wage0, residents0, rent0, price0, output0, policy=policy)
    z, evaluations, converged = solve_problem(
        problem, tol=tol, max_iter=max_iter, method=method, memory=memory, growth=growth
    )
    return problem.state_at(z), evaluations, converged


def solve_problem(
    problem: FixedPointProblem,
    *,
    tol: float,
    max_iter: int,
    method: str = "newton",
    memory: int = 10,
    growth: float = 10.0,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, int, bool]:
    """Solve a :class:`FixedPointProblem` from ``start`` (default ``problem.z0``): the
    solution (or the last iterate), the evaluations of the equations used (at most
    ``max_iter``) and whether the largest undamped change is within ``tol``.

    ``"newton"``: Newton-Krylov on ``problem.residual`` (:func:`newton_krylov`), with the
    Anderson-accelerated map as globalization where a Newton step finds no decrease.
    ``"anderson"`` (``memory`` > 0) and ``"fixed_point"`` iterate the damped map.
    """
    z0 = problem.z0 if start is None else start
    if method == "newton":
        result = newton_problem(problem, z0, tol=tol, max_iter=max_iter)
        return result.x, result.evaluations, result.converged
    result = anderson(
        problem.G,
        z0,
        tol=tol,
        max_iter=max_iter,
        memory=0 if method == "fixed_point" else memory,
        error=problem.error,
        growth=growth,
    )
    return result.x, result.iterations, result.converged


def newton_problem(
    problem: FixedPointProblem,
    z0: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    max_newton: int = 100,
    max_ratio: float | None = None,
) -> NewtonResult:
    """:func:`newton_krylov` on the residual system of ``problem`` (the full result, with
    the counts of Newton steps and Jacobian-vector products); ``max_ratio`` as there."""

    def fallback(z: np.ndarray, budget: int) -> tuple[np.ndarray, int]:
        try:
            result = anderson(problem.G, z, tol=tol, max_iter=budget, error=problem.error)
        except FloatingPointError:
            return z, 1
        return result.x, result.iterations

    return newton_krylov(
        problem.residual,
        z0,
        tol=tol,
        max_evaluations=max_iter,
        fallback=fallback,
        max_newton=max_newton,
        max_ratio=max_ratio,
    )


# -- starting values -----------------------------------------------------------------------------


def initial_guess(
    eco: Economy, wage: np.ndarray, residents: np.ndarray, employment: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rents, prices and output consistent with a wage and employment guess.

    Output is the labor bill over the labor share of value added (where an industry-level
    allocation is given, otherwise shared by productivity), rents follow from output, and
    prices from a few passes of the price system.
    """
    lam = externalities(eco, residents)
    log_W, _share, producing = labor_cost(eco, wage, lam)
    if employment is None:
        weight = np.where(lam > 0, lam, 0.0)
        weight = weight / np.maximum(weight.sum(axis=1, keepdims=True), 1e-300)
        employment = weight * residents[:, None, :]
    bill = (wage[:, None, :] * employment).sum(axis=0)
    Y = np.where(producing, bill / ((1 - eco.beta) * eco.gamma), 0.0)
    Y = np.where(producing & (Y <= 0), 1e-9 * max(Y.max(), 1.0), Y)
    rent = land_income(eco, Y) / eco.land
    log_P = np.zeros_like(Y)
    log_r = np.log(np.where(rent > 0, rent, 1.0))  # only used where beta > 0
    for _ in range(60):
        log_x = log_unit_cost(eco, log_r, log_W, log_P)
        P, _, _ = prices(eco, log_x, producing)
        log_P = np.log(P)
    return rent, np.exp(log_P), Y


# -- xarray layer --------------------------------------------------------------------------------

Method = Literal["newton", "anderson", "fixed_point"]
#: The solution methods and, for the damped map, its Anderson memory (0: plain iteration).
METHODS: dict[str, int] = {"newton": 10, "anderson": 10, "fixed_point": 0}

#: Outputs of the solver kernel, in order, with their core dimensions.
SOLUTION: dict[str, tuple[str, ...]] = {
    **{
        name: kernel_dims(name)
        for name in (
            "wage",
            "employment",
            "productivity",
            *EQUILIBRIUM_VARIABLES,
            "converged",
            "iterations",
        )
    },
    **{f"residual_{c}": () for c in CONDITIONS},
}

#: Model inputs of the kernel: name -> core dimensions, the schema's full layout (optional
#: dimensions included: the kernel broadcasts what a model leaves out). Two inputs exist only
#: for the kernel and are not in the schema: national employment by occupation and the
#: numeraire (total nominal income), both computed by :func:`economy_inputs`.
ECONOMY_INPUTS: dict[str, tuple[str, ...]] = {
    **{
        name: VARIABLES[name].dims
        for name in (
            "productivity_exogenous",
            "tau_share",
            "tau_size",
            "amenity",
            "land",
            "distance",
            "trade_cost_elasticity",
            "consumption_share",
            "value_added_share",
            "input_share",
            "land_share",
        )
    },
    "national_employment": ("occupation",),
    "nominal_income": (),
    **{
        name: VARIABLES[name].dims
        for name in (
            "theta",
            "nu",
            "epsilon",
            "additive_amenities",
            "amenity_additive",
            "nu_additive",
        )
    },
}
START_INPUTS: dict[str, tuple[str, ...]] = {
    name: VARIABLES[name].dims for name in ("wage", "employment")
}

#: Every variable of a model that a solve reads (its fundamentals, parameters and start).
SOLVER_READS: tuple[str, ...] = (*ECONOMY_INPUTS, *START_INPUTS, "productivity", "rent_rate")

REQUIRED_FOR_SOLVE = (
    "wage",
    "employment",
    "amenity",
    "land",
    "distance",
    "trade_cost_elasticity",
    "consumption_share",
    "value_added_share",
    "input_share",
    "land_share",
    "theta",
    "nu",
    "epsilon",
)


def residual_tolerance(tol: float) -> float:
    """The largest relative residual of a converged solve with step tolerance ``tol``."""
    return max(RESIDUAL_FACTOR * tol, RESIDUAL_FLOOR)


def require_residuals(
    converged: xr.DataArray, residuals: Mapping[str, xr.DataArray], tol: float
) -> xr.DataArray:
    """``converged`` where every residual (condition name -> its largest relative residual) is
    within :func:`residual_tolerance`; each batch element whose last step was small but whose
    worst residual is not gets ``False`` and a :class:`ConvergenceWarning` naming the
    condition and its size (when computed, for dask-backed results)."""
    limit = residual_tolerance(tol)
    names = list(residuals)

    def flag(ok: np.ndarray, *values: np.ndarray) -> np.ndarray:
        sizes = [math.inf if math.isnan(v) else float(v) for v in values]
        worst = int(np.argmax(sizes))
        if bool(ok) and sizes[worst] > limit:
            warnings.warn(
                f"the solver's last step was below its tolerance ({tol:g}) but the allocation "
                f"is not a solution: the worst condition, {names[worst]!r}, has a relative "
                f"residual of {float(values[worst]):.3g} (tolerance {limit:g} = "
                f"{RESIDUAL_FACTOR:g} x tol); the result is flagged converged=False. Check the "
                f"model's inputs with spatialocc.validate(model, kind='model').",
                ConvergenceWarning,
                stacklevel=2,
            )
            return np.asarray(False)
        return np.asarray(bool(ok))

    return xr.apply_ufunc(
        flag,
        converged,
        *residuals.values(),
        vectorize=True,
        dask="parallelized",
        output_dtypes=[bool],
        keep_attrs="drop",
    )


def _resolve_policy(policy: str | PolicyRule | None) -> PolicyRule:
    if policy is None:
        return decentralized
    if isinstance(policy, str):
        if policy not in POLICIES:
            raise KeyError(
                f"unknown policy {policy!r}; registered policies: {sorted(POLICIES)}. Pass a "
                f"callable taking a PolicyInput and returning e[k,n] instead."
            )
        return POLICIES[policy]
    if callable(policy):
        return policy
    raise TypeError(f"policy must be None, a registered name or a callable, got {policy!r}")


def economy_inputs(model: xr.Dataset) -> dict[str, xr.DataArray]:
    """The model's fundamentals and parameters, completed with their documented defaults.

    ``productivity_exogenous`` λ̂ falls back to ``productivity`` (then ``tau_share`` and
    ``tau_size`` must be absent or zero); absent τ means τ = 0. National employment by
    occupation is that of ``employment``; the numeraire (section 2, item 15) is total nominal
    income ``sum w L + sum r H`` of the model's own allocation.
    """
    missing = [v for v in REQUIRED_FOR_SOLVE if v not in model]
    if "productivity_exogenous" not in model and "productivity" not in model:
        missing.append("productivity_exogenous (or productivity)")
    if missing:
        raise MissingVariableError(
            f"solving the equilibrium needs {missing}, which the model lacks. A model is what "
            f"spatialocc.invert(data) returns (then spatialocc.with_externalities for τ)."
        )
    occ = model["occupation"]
    zeros = xr.zeros_like(occ, dtype=float).drop_vars(occ.name)
    tau_share = model.get("tau_share", zeros)
    tau_size = model.get("tau_size", zeros)
    if "productivity_exogenous" in model:
        lam_hat = model["productivity_exogenous"]
    else:
        nonzero = (tau_share != 0).any() | (tau_size != 0).any()
        if not isinstance(nonzero.data, np.ndarray) or bool(nonzero):
            raise MissingVariableError(
                "the model has tau_share/tau_size but no productivity_exogenous: set them "
                "together with spatialocc.with_externalities(model, tau_share=..., tau_size=...)."
            )
        lam_hat = model["productivity"]
    grid = model["distance"].isel(origin=0, drop=True)
    employment = model["employment"]
    income = (model["wage"] * employment).sum(["occupation", "industry", "city"])
    if "rent_rate" in model:
        income = income + (model["rent_rate"] * model["land"]).sum("city")
    else:
        labor = (model["wage"] * employment).sum("occupation")
        share = model["land_share"]
        income = income + (labor * share / (1 - share)).sum(["industry", "city"])
    return {
        "productivity_exogenous": lam_hat,
        "tau_share": tau_share,
        "tau_size": tau_size,
        "amenity": model["amenity"],
        "land": model["land"],
        "distance": model["distance"],
        "trade_cost_elasticity": model["trade_cost_elasticity"].fillna(0.0),
        "consumption_share": model["consumption_share"],
        "value_added_share": model["value_added_share"].broadcast_like(grid),
        "input_share": model["input_share"].broadcast_like(grid),
        "land_share": model["land_share"].broadcast_like(grid),
        "national_employment": employment.sum(["industry", "city"]),
        "nominal_income": income,
        "theta": model["theta"],
        "nu": model["nu"],
        "epsilon": model["epsilon"],
        **amenity_form_inputs(model),
    }


def validated_model(model: xr.Dataset) -> xr.Dataset:
    """``model`` checked as a ``"model"`` Dataset, in the order that names the first fault:
    its structure, then the presence of the variables a solve reads, then their values
    (:func:`spatialocc.validate`; for dask-backed variables when the result is computed,
    :func:`~spatialocc.dims.validation.checked_values`). Outcomes that a solve recomputes
    (``welfare``, ``price``, ...) may be absent or stale. Computed in float64 whatever the
    input's precision."""
    check_structure(model, "model", require=False)
    economy_inputs(model)
    return checked_values(double_precision(model), "model", names=SOLVER_READS)


def amenity_form_inputs(model: xr.Dataset) -> dict[str, xr.DataArray]:
    """``additive_amenities``, ``amenity_additive`` and ``nu_additive`` of the model, or, for a
    model with multiplicative amenities (no ``additive_amenities``, or False), placeholders
    that the kernels ignore."""
    if "additive_amenities" not in model:
        return {
            "additive_amenities": xr.DataArray(False),
            "amenity_additive": xr.zeros_like(model["amenity"]),
            "nu_additive": xr.full_like(model["occupation"], math.nan, dtype=float),
        }
    missing = [v for v in ("amenity_additive", "nu_additive") if v not in model]
    if missing:
        raise MissingVariableError(
            f"the model has 'additive_amenities' but not {missing}; set the additive amenities "
            f"with spatialocc.invert(data, amenities='additive') or "
            f"spatialocc.counterfactuals.additive_amenities(model)."
        )
    return {
        "additive_amenities": model["additive_amenities"].astype(bool),
        "amenity_additive": model["amenity_additive"],
        "nu_additive": model["nu_additive"].broadcast_like(model["occupation"]),
    }


def _economy(arrays: Mapping[str, np.ndarray], tradable: np.ndarray) -> Economy:
    return Economy(
        lam_hat=arrays["productivity_exogenous"],
        tau_share=arrays["tau_share"],
        tau_size=arrays["tau_size"],
        amenity=arrays["amenity"],
        land=arrays["land"],
        distance=arrays["distance"],
        trade_cost=arrays["trade_cost_elasticity"],
        alpha=arrays["consumption_share"],
        gamma=arrays["value_added_share"],
        gamma_io=arrays["input_share"],
        beta=arrays["land_share"],
        national=arrays["national_employment"],
        income=float(arrays["nominal_income"]),
        theta=float(arrays["theta"]),
        eps=float(arrays["epsilon"]),
        tradable=tradable,
        preferences=preferences_from_arrays(arrays),
    )


def _solution_arrays(eco: Economy, st: State, policy: PolicyRule) -> dict[str, np.ndarray]:
    w = st.wage
    with np.errstate(divide="ignore", invalid="ignore"):
        employment = np.where(
            w[:, None, :] > 0,
            st.labor_share
            * labor_compensation(eco, st.gross_output)[None]
            / np.where(w > 0, w, 1.0)[:, None, :],
            0.0,
        )
    C = st.consumption / st.price_index
    welfare = eco.welfare(C)
    return {
        "wage": w,
        "employment": employment,
        "productivity": st.productivity,
        "rent_rate": st.rent,
        "unit_cost": st.unit_cost,
        "price": st.price,
        "price_index": st.price_index if eco.by_occupation else st.price_index[0],
        "gross_output": st.gross_output,
        "expenditure": st.expenditure,
        "land_income_per_worker": st.land_income_per_worker,
        "consumption": st.consumption,
        "real_consumption": C,
        "welfare": welfare,
    }


def solve_equilibrium(
    model: xr.Dataset,
    *,
    policy: str | PolicyRule | None = None,
    initial: xr.Dataset | None = None,
    tol: float = 1e-10,
    max_iter: int = 5000,
    method: Method = "newton",
) -> xr.Dataset:
    """Solve the spatial equilibrium of MODEL.md section 2 with externalities.

    Fundamentals are ``productivity_exogenous`` λ̂[k,j,n] with the model's ``tau_share`` and
    ``tau_size`` (absent τ means τ = 0 and λ̂ = ``productivity``), ``amenity`` A[k,n] and
    ``land`` H[n]; parameters and shares are the model's (as calibrated by
    :func:`spatialocc.invert`). National employment by occupation is held at the model's, and
    the numeraire keeps total nominal income ``sum w L + sum r H`` at the model's value
    (section 2, item 15).

    The solver iterates on (log w, log L[k,n], log r, log P, log Y) jointly: wages move toward
    labor income per worker, residents toward the location choice, rents, prices and output to
    what the current allocation implies; the goods-market system is never formed as a matrix
    (trade enters through N x N products per industry). By default (``method="newton"``) the
    residual system of that map (what the allocation implies minus the allocation, in logs)
    is solved by Newton-Krylov: GMRES on finite-difference Jacobian-vector products, a line
    search, and Anderson steps of the map where a Newton step finds no decrease, so that
    convergence does not depend on the map being a contraction. ``"anderson"`` accelerates
    the damped map with Anderson mixing; ``"fixed_point"`` iterates it plainly.

    Parameters
    ----------
    model
        A model Dataset (what ``invert`` returns, optionally transformed by a counterfactual).
        Batch dimensions (``year``, ``scenario``, ...) are solved independently, in parallel
        when the Dataset is dask-chunked along them.
    policy
        ``None`` (the decentralized equilibrium, e = w + χ), the name of a registered rule in
        ``spatialocc.solvers.equilibrium.POLICIES``, or a callable taking a
        :class:`PolicyInput` and returning nominal consumption e[k,n]; the budget is closed
        by a flat tax on income, ``e = rule - t (w + χ)``.
    initial
        A Dataset with ``wage`` and/or ``employment`` (by occupation and city, or by
        occupation, industry and city) to start from; by default the model's own values.
    tol
        Convergence tolerance on the largest change of log wages, log residents, log rents,
        log prices and log output (relative changes). ``converged`` also requires every
        ``residual_<condition>`` to be at most ``100 * tol`` (:data:`RESIDUAL_FACTOR`; 1e-8 at
        the default, MODEL.md section 6), so that it means "an equilibrium", not "a small
        last step".
    max_iter
        The largest number of evaluations of the equations (of the map, or of the residual in
        a Jacobian-vector product).
    method
        ``"newton"`` (default), ``"anderson"`` or ``"fixed_point"``; recorded in the
        result's ``solver_method`` attribute.

    Returns
    -------
    xarray.Dataset
        The model with the equilibrium ``wage``, ``employment`` (labor demand by industry),
        ``productivity`` (with externalities), ``rent_rate``, ``unit_cost``, ``price``,
        ``price_index``, ``gross_output``, ``expenditure``, ``land_income_per_worker``,
        ``consumption``, ``real_consumption``, ``welfare``; the diagnostics ``converged``,
        ``iterations`` (evaluations of the equations) and one ``residual_<condition>`` per
        condition (max relative residual, see :func:`check_equilibrium`). Non-convergence (the
        step or a residual above its tolerance) sets ``converged=False`` and warns with
        :class:`ConvergenceWarning`; the attributes ``solver_tolerance`` and
        ``residual_tolerance`` record both tolerances, ``solver_method`` the method.

    Raises
    ------
    SchemaError
        The model does not follow the schema of a ``"model"`` Dataset (the errors of
        :func:`spatialocc.validate` with ``kind="model"``; outcome variables that the solve
        recomputes may be absent), e.g. a :class:`ShareError` for consumption shares that do
        not sum to one.

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.invert(data)
    >>> solution = spatialocc.solve_equilibrium(model)
    >>> bool(solution["converged"].all())
    True
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    rule = _resolve_policy(policy)
    model = validated_model(model)
    economy = economy_inputs(model)
    start = {"wage": model["wage"], "employment": model["employment"]}
    if initial is not None:
        by_city = "employment" in initial and "industry" not in initial["employment"].dims
        validate(initial.drop_vars("employment") if by_city else initial)
        if by_city and not {"occupation", "city"} <= set(initial["employment"].dims):
            raise DimensionError(
                "initial employment must be on ('occupation', 'city') or ('occupation', "
                f"'industry', 'city'), got {initial['employment'].dims}"
            )
        for name in ("wage", "employment"):
            if name in initial:
                start[name] = initial[name]
        if "employment" in initial and "industry" not in initial["employment"].dims:
            start["employment"] = (
                model["employment"] / model["employment"].sum("industry") * initial["employment"]
            ).fillna(0.0)
    memory = METHODS[method]

    def solve_one(eco: Economy, arr: Mapping[str, np.ndarray], start: tuple):
        st, iterations, converged = solve_arrays(
            eco, *start, policy=rule, tol=tol, max_iter=max_iter, memory=memory, method=method
        )
        return st, iterations, converged, rule, {}

    return run_solver(
        model,
        economy,
        start,
        solve_one,
        attrs={
            "solver": f"spatialocc.solve_equilibrium (method={method})",
            "solver_method": method,
            "policy": getattr(rule, "__name__", repr(rule)),
        },
        tol=tol,
    )


#: Signature of the per-economy solve that :func:`run_solver` maps over batch dimensions:
#: (economy, input arrays, (w, L[k,n], r, P, Y) start) ->
#: (state, iterations, converged, rule in force, extra named outputs or a function of the
#: returned allocation that gives them).
SolveOne = Callable[
    [Economy, Mapping[str, np.ndarray], tuple],
    tuple[State, int, bool, PolicyRule, dict[str, np.ndarray]],
]


def run_solver(
    model: xr.Dataset,
    economy: dict[str, xr.DataArray],
    start: dict[str, xr.DataArray],
    solve_one: SolveOne,
    *,
    extra_inputs: Mapping[str, tuple[xr.DataArray, tuple[str, ...]]] | None = None,
    extra_outputs: Mapping[str, tuple[str, ...]] | None = None,
    attrs: Mapping[str, object] | None = None,
    tol: float,
) -> xr.Dataset:
    """The xarray layer shared by the solvers: map ``solve_one`` over batch dimensions
    (in parallel when dask-chunked), recompute every residual at the returned allocation,
    keep ``converged`` only where they are within :func:`residual_tolerance` of the step
    tolerance ``tol``, and assemble the solution Dataset (the model with the equilibrium
    variables replaced)."""
    extra_inputs = dict(extra_inputs or {})
    extra_outputs = dict(extra_outputs or {})
    inputs = {**economy, **start, **{n: da for n, (da, _) in extra_inputs.items()}}
    core = {**ECONOMY_INPUTS, **START_INPUTS, **{n: d for n, (_, d) in extra_inputs.items()}}
    check_core_chunks(inputs, needed_by="the solver")
    names = list(inputs)
    outputs = {**SOLUTION, **extra_outputs}
    if "occupation" in economy["consumption_share"].dims:  # price indices by occupation (7.4)
        outputs["price_index"] = ("occupation", "city")
    allocation = list(SOLUTION)[:13]

    def kernel(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
        *values, flags = arrays
        arr = dict(zip(names, values, strict=True))
        eco = _economy(arr, flags)
        emp0 = arr["employment"]
        residents0 = emp0.sum(axis=1)
        guess = initial_guess(eco, arr["wage"], residents0, emp0)
        st, iterations, converged, rule, extras = solve_one(
            eco, arr, (arr["wage"], residents0, *guess)
        )
        if not converged:
            warnings.warn(
                f"the solver did not converge in {iterations} iterations; the result is "
                f"flagged converged=False",
                ConvergenceWarning,
                stacklevel=2,
            )
        sol = _solution_arrays(eco, st, rule)
        res = residuals_at(eco, sol, rule)
        out = [sol[n] for n in allocation]
        out += [np.asarray(converged), np.asarray(iterations)]
        out += [np.asarray(res[c]) for c in CONDITIONS]
        if callable(extras):  # extras computed from the returned allocation
            extras = extras(sol)
        out += [extras[n] for n in extra_outputs]
        return tuple(out)

    results = xr.apply_ufunc(
        kernel,
        *inputs.values(),
        model["tradable"].reset_coords(drop=True).astype(bool),
        input_core_dims=[[d for d in core[n] if d in inputs[n].dims] for n in names]
        + [["industry"]],
        output_core_dims=list(outputs.values()),
        vectorize=True,
        dask="parallelized",
        output_dtypes=[
            bool if n == "converged" else int if n == "iterations" else float for n in outputs
        ],
        keep_attrs="drop",
    )
    solution = model.copy()
    if "productivity_exogenous" not in model:
        solution["productivity_exogenous"] = economy["productivity_exogenous"]
    for name, array in zip(outputs, results, strict=True):
        solution[name] = array.transpose(..., *outputs[name])
    solution["converged"] = require_residuals(
        solution["converged"], {c: solution[f"residual_{c}"] for c in CONDITIONS}, tol
    )
    solution = annotate(solution)
    solution.attrs = {
        **model.attrs,
        **(attrs or {}),
        "solver_tolerance": tol,
        "residual_tolerance": residual_tolerance(tol),
    }
    return solution


def check_equilibrium(
    solution: xr.Dataset,
    *,
    policy: str | PolicyRule | None = None,
    reference: xr.Dataset | None = None,
) -> xr.Dataset:
    """Recompute the residual of every equilibrium condition from a Dataset.

    The conditions of MODEL.md section 2 are evaluated directly from the variables present
    (``wage``, ``employment``, ``productivity``, ``unit_cost``, ``price``, ``gross_output``,
    ``expenditure``, ``rent_rate``, ``consumption``, ``price_index``, ``welfare`` and the
    fundamentals), independently of the solver's iteration. Each ``residual_<condition>`` is
    the largest relative residual, ``|lhs - rhs| / max(|lhs|, |rhs|)``. National employment and
    the numeraire are compared with ``reference`` (the model that was solved) when given, and
    with the Dataset itself otherwise. ``policy`` is the consumption rule in force (default:
    decentralized).

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> residuals = spatialocc.check_equilibrium(spatialocc.invert(data))
    >>> bool((residuals.to_array() < 1e-8).all())
    True
    """
    rule = _resolve_policy(policy)
    economy = economy_inputs(solution)
    if reference is not None:
        ref = economy_inputs(reference)
        economy["national_employment"] = ref["national_employment"]
        economy["nominal_income"] = ref["nominal_income"]
    fields = {
        "wage": ("occupation", "city"),
        "employment": ("occupation", "industry", "city"),
        "productivity": ("occupation", "industry", "city"),
        "unit_cost": ("industry", "city"),
        "price": ("industry", "city"),
        "gross_output": ("industry", "city"),
        "expenditure": ("industry", "city"),
        "rent_rate": ("city",),
        "consumption": ("occupation", "city"),
        "price_index": ("city",),
        "welfare": ("occupation",),
    }
    if "price_index" in solution and "occupation" in solution["price_index"].dims:
        fields["price_index"] = ("occupation", "city")
    missing = [f for f in fields if f not in solution]
    if missing:
        raise MissingVariableError(
            f"check_equilibrium needs {missing}; pass what solve_equilibrium or invert returns."
        )
    names = list(economy)
    state = [solution[f] for f in fields]

    def kernel(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
        *values, flags = arrays
        eco = _economy(dict(zip(names, values[: len(names)], strict=True)), flags)
        arr = dict(zip(fields, values[len(names) :], strict=True))
        res = residuals_at(eco, arr, rule)
        return tuple(np.asarray(res[c]) for c in CONDITIONS)

    core = [[d for d in ECONOMY_INPUTS[n] if d in economy[n].dims] for n in names]
    core += [list(dims) for dims in fields.values()]
    results = xr.apply_ufunc(
        kernel,
        *economy.values(),
        *state,
        solution["tradable"].reset_coords(drop=True).astype(bool),
        input_core_dims=[*core, ["industry"]],
        output_core_dims=[()] * len(CONDITIONS),
        vectorize=True,
        dask="parallelized",
        output_dtypes=[float] * len(CONDITIONS),
    )
    return xr.Dataset({f"residual_{c}": r for c, r in zip(CONDITIONS, results, strict=True)})


def with_externalities(
    model: xr.Dataset,
    *,
    tau_share: float | Mapping[str, float] | xr.DataArray,
    tau_size: float | Mapping[str, float] | xr.DataArray,
) -> xr.Dataset:
    """Set the externality elasticities and the exogenous productivity they imply.

    ``productivity_exogenous`` λ̂[k,j,n] = λ[k,j,n] / ((L[k,n]/L[n])^τR[k] L[n]^τL[k]), from the
    model's ``productivity`` λ and ``employment`` (MODEL.md section 3, step 8). λ̂ is 0 where
    λ is 0. The input is not modified.

    Parameters
    ----------
    model
        A model Dataset with ``productivity`` and ``employment``.
    tau_share, tau_size
        τR[k] and τL[k]: one number for every occupation, a mapping from occupation label to
        number, or a DataArray on ``occupation`` (possibly with batch dimensions).

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data),
    ...     tau_share={"CNR": 1.304, "nonCNR": 0.835},
    ...     tau_size={"CNR": 0.349, "nonCNR": 0.357},
    ... )
    >>> float(model["tau_share"].sel(occupation="CNR"))
    1.304
    """
    occ = model["occupation"]

    def as_array(value, name: str) -> xr.DataArray:
        if isinstance(value, xr.DataArray):
            da = value
        elif isinstance(value, Mapping):
            unknown = set(value) - set(occ.values.tolist())
            missing = set(occ.values.tolist()) - set(value)
            if unknown or missing:
                raise KeyError(
                    f"{name} must give a value for each occupation {occ.values.tolist()}; "
                    f"unknown {sorted(unknown)}, missing {sorted(missing)}"
                )
            da = xr.DataArray([float(value[k]) for k in occ.values], coords={"occupation": occ})
        else:
            da = xr.full_like(occ, float(value), dtype=float).drop_vars("occupation")
            da = da.assign_coords(occupation=occ)
        if "occupation" not in da.dims:
            raise DimensionError(f"{name} must be on the 'occupation' dimension, got {da.dims}")
        if not bool(np.isfinite(da).all()):
            raise ValueError(f"{name} must be finite, got {da.values}")
        return da.astype(float)

    tau_r, tau_l = as_array(tau_share, "tau_share"), as_array(tau_size, "tau_size")
    residents = model["employment"].sum("industry")
    total = residents.sum("occupation")
    factor = (residents / total) ** tau_r * total**tau_l
    lam = model["productivity"]
    lam_hat = xr.where(lam > 0, lam / factor, 0.0)
    out = model.assign(
        tau_share=tau_r, tau_size=tau_l, productivity_exogenous=lam_hat.transpose(*lam.dims)
    )
    return annotate(out)
