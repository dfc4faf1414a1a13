"""The optimal spatial policy (MODEL.md section 4; the paper's Lemma 2 and Proposition 1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import xarray as xr

from spatialocc.dims.errors import MissingVariableError
from spatialocc.dims.schema import annotate
from spatialocc.solvers import equilibrium as eq

Weights = Literal["equal_gains"] | Mapping[str, float]


# -- kernels -----------------------------------------------------------------------------------


def wedge_arrays(
    wage: np.ndarray, residents: np.ndarray, tau_share: np.ndarray, tau_size: np.ndarray
) -> np.ndarray:
    """Δ[k,n] = sum_k' w[k',n] L[k',n] / L[k,n] * dlogλ[k',n]/dlogL[k,n] (Lemma 2, any K),
    with dlogλ[k',n]/dlogL[k,n] = τR[k'] (1{k'=k} - L[k,n]/L[n]) + τL[k'] L[k,n]/L[n]."""
    total = residents.sum(axis=0)
    share = residents / total  # s[k,n]
    K = residents.shape[0]
    eye = np.eye(K)[:, :, None]  # [k', k, 1]
    elasticity = (
        tau_share[:, None, None] * (eye - share[None, :, :])
        + tau_size[:, None, None] * share[None, :, :]
    )  # [k', k, n]
    bill = wage * residents  # [k', n]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_worker = np.einsum("an,akn->kn", bill, elasticity) / residents
    return np.where(residents > 0, per_worker, 0.0)


def implied_pareto_weights(consumption: np.ndarray, residents: np.ndarray) -> np.ndarray:
    """φ[k] ∝ L[k]^2 / sum_n (L[k,n] / e[k,n]), normalized to sum to one: the weights of a
    planner maximizing sum_k φ[k] log v[k] for which the lump sums are optimal."""
    L_k = residents.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = np.where(residents > 0, residents / consumption, 0.0).sum(axis=1)
    phi = L_k**2 / inverse
    return phi / phi.sum()


class OptimalRule(eq.StatefulPolicy):
    """Proposition 1: e = (1 - t_L)(w + Δ) + χ + R[k], t_L = 1/(1+ν), Δ at the allocation.

    The lump sums are R[k] = r[k] + R0 with R0 closing the budget exactly and r (the
    unknowns) moved toward the planner's goal: equal proportional welfare gains relative to
    ``reference_welfare`` (``goal="equal_gains"``), given Pareto weights of the criterion
    sum φ log v (``goal="pareto"``), or given welfare levels for some occupations
    (``goal="fixed"``, used to test optimality). ``extra`` is added to e before the budget is
    closed (a perturbation of the schedule).
    """

    def __init__(
        self,
        *,
        nu: float,
        reference_welfare: np.ndarray,
        goal: str = "equal_gains",
        pareto: np.ndarray | None = None,
        fixed: Mapping[int, float] | None = None,
        extra: np.ndarray | None = None,
        additive: bool = False,
        scale: float = 1.0,
    ) -> None:
        self.nu = nu
        self.labor_tax = 0.0 if additive else 1.0 / (1.0 + nu)
        self.additive = additive
        self.reference = np.asarray(reference_welfare, dtype=float)
        self.goal = goal
        self.pareto = None if pareto is None else np.asarray(pareto, float) / np.sum(pareto)
        self.fixed = dict(fixed or {})
        self.extra = extra
        K = self.reference.size
        self.values = np.zeros(K)
        self.strength = 1.0  # homotopy from the decentralized rule (0) to the optimal one (1)
        self.step = 1.0
        self.scale = scale
        self.last: dict[str, np.ndarray] = {}

    def schedule(self, state: eq.PolicyInput) -> tuple[np.ndarray, np.ndarray, float]:
        delta = wedge_arrays(state.wage, state.residents, state.tau_share, state.tau_size)
        chi = state.land_income_per_worker[:, None]
        s = self.strength
        if self.additive:
            base = state.wage + s * (delta - state.price_index / self.nu) + chi
        else:
            base = (1.0 - s * self.labor_tax) * (state.wage + s * delta) + chi
        if self.extra is not None:
            base = base + self.extra
        e = base + self.values[:, None]
        r0 = -((e - state.wage - chi) * state.residents).sum() / state.residents.sum()
        return e + r0, delta, r0

    def __call__(self, state: eq.PolicyInput) -> np.ndarray:
        e, delta, r0 = self.schedule(state)
        self.last = {"wedge": delta, "lump_sum": self.values + r0}
        return e

    def target(self, eco: eq.Economy, st: eq.State) -> np.ndarray:
        residents = st.residents
        mean_e = (st.consumption * residents).sum(axis=1) / residents.sum(axis=1)
        C = st.consumption / st.price_index
        log_pull = eco.nu * np.log(np.where(eco.lives, eco.amenity * C, 1.0))
        log_v = np.log(eq.welfare_index(eco.nu, log_pull, eco.lives))
        r = self.values
        weights = residents.sum(axis=1) / residents.sum()
        if self.goal == "equal_gains":
            log_gain = log_v - np.log(self.reference)
            new = r + mean_e * ((weights * log_gain).sum() - log_gain)
        elif self.goal == "pareto":
            implied = implied_pareto_weights(st.consumption, residents)
            new = r + mean_e * (np.log(self.pareto) - np.log(implied))
        else:
            new = r.copy()
            for k, level in self.fixed.items():
                new[k] = r[k] + mean_e[k] * (np.log(level) - log_v[k])
            return new
        # R0 closes the budget, so only differences between the r[k] matter: pin their
        # employment-weighted mean to zero so that the unknowns are identified.
        return new - (weights * new).sum()


# -- xarray layer --------------------------------------------------------------------------------


def wedge(solution: xr.Dataset) -> xr.DataArray:
    """Δ[k,n], the social minus private marginal value of a worker (Lemma 2), for any K.

    Computed from ``wage``, ``employment`` and ``tau_share``/``tau_size`` (τ = 0 when absent,
    and then Δ = 0).

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(spatialocc.invert(data), tau_share=1.0, tau_size=0.3)
    >>> spatialocc.wedge(model).dims
    ('year', 'occupation', 'city')
    """
    residents = solution["employment"].sum("industry")
    zeros = xr.zeros_like(residents.isel(city=0, drop=True))
    tau_r = solution.get("tau_share", zeros)
    tau_l = solution.get("tau_size", zeros)
    out = xr.apply_ufunc(
        wedge_arrays,
        solution["wage"],
        residents,
        tau_r,
        tau_l,
        input_core_dims=[
            ["occupation", "city"],
            ["occupation", "city"],
            ["occupation"],
            ["occupation"],
        ],
        output_core_dims=[["occupation", "city"]],
        vectorize=True,
        dask="parallelized",
        output_dtypes=[float],
    )
    return annotate(xr.Dataset({"wedge": out.transpose(..., "occupation", "city")}))["wedge"]


OPTIMUM_EXTRA: dict[str, tuple[str, ...]] = {
    "wedge": ("occupation", "city"),
    "lump_sum": ("occupation",),
    "pareto_weight": ("occupation",),
}


def solve_optimal(
    model: xr.Dataset,
    *,
    weights: Weights = "equal_gains",
    reference: xr.Dataset | None = None,
    amenities: Literal["multiplicative"] = "multiplicative",
    tol: float = 1e-10,
    max_iter: int = 20_000,
) -> xr.Dataset:
    """The optimal spatial allocation (Proposition 1) as an equilibrium under the optimal rule.

    Consumption follows ``e[k,n] = (1 - t_L)(w[k,n] + Δ[k,n]) + χ[k] + R[k]`` with
    ``t_L = 1/(1+ν)`` and the wedge Δ of Lemma 2 evaluated at the allocation itself (a fixed
    point solved jointly with the equilibrium). The lump sums R[k] balance the budget,
    ``sum (e - w - χ) L = 0``, and deliver equal proportional welfare gains
    ``v[k]/v_ref[k]`` for every occupation relative to ``reference`` (default: the
    decentralized equilibrium of ``model``; for an inverted model, the data allocation). With
    ``weights`` a mapping from occupation to Pareto weight φ[k], the lump sums are instead
    those of a planner maximizing
    ``sum φ[k] log v[k]`` **[choice: with multiplicative Fréchet amenities v is homogeneous of
    degree one in consumption, so a planner linear in v with fixed weights picks a corner]**.

    Returns
    -------
    xarray.Dataset
        The allocation in canonical names (as :func:`spatialocc.solve_equilibrium`) plus
        ``wedge`` Δ, ``transfer`` T = e - w - χ, ``lump_sum`` R, ``labor_tax`` t_L,
        ``welfare_gain`` v/v_ref, ``pareto_weight`` (implied φ, normalized to sum to one:
        φ[k] ∝ L[k]² / sum_n L[k,n]/e[k,n]), and the solver diagnostics; ``residual_consumption``
        measures the optimal rule.

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(spatialocc.invert(data), tau_share=1.0, tau_size=0.3)
    >>> optimum = spatialocc.solve_optimal(model)
    >>> gain = optimum["welfare_gain"].squeeze()
    >>> bool(abs(gain[0] - gain[1]) < 1e-9)
    True
    """
    if amenities != "multiplicative":
        raise NotImplementedError(
            "only multiplicative (Fréchet) amenities are implemented for the optimum so far"
        )
    if reference is None:
        # The decentralized equilibrium of this very model: for an inverted model it is the
        # data allocation (found in one step); for a transformed model the stored welfare
        # would be that of another economy.
        reference = eq.solve_equilibrium(model, tol=tol, max_iter=max_iter)
    if "welfare" not in reference:
        raise MissingVariableError("the reference Dataset needs 'welfare' (what a solve returns)")
    if isinstance(weights, str):
        if weights != "equal_gains":
            raise ValueError(f"weights must be 'equal_gains' or a mapping, got {weights!r}")
        goal, pareto = "equal_gains", None
    else:
        occupations = model["occupation"].values.tolist()
        if set(weights) != set(occupations):
            raise KeyError(
                f"Pareto weights must be given for exactly the occupations {occupations}, got "
                f"{sorted(weights)}"
            )
        goal = "pareto"
        pareto = np.array([float(weights[k]) for k in occupations])
        if np.any(pareto <= 0):
            raise ValueError(f"Pareto weights must be positive, got {dict(weights)}")

    def make_rule(eco: eq.Economy, reference_welfare: np.ndarray) -> OptimalRule:
        return OptimalRule(
            nu=eco.nu,
            reference_welfare=reference_welfare,
            goal=goal,
            pareto=pareto,
            scale=eco.income / eco.national.sum(),
        )

    return _solve_with_rule(model, reference["welfare"], make_rule, tol=tol, max_iter=max_iter)


def _solve_with_rule(model, reference_welfare, make_rule, *, tol, max_iter) -> xr.Dataset:
    economy = eq.economy_inputs(model)
    start = {"wage": model["wage"], "employment": model["employment"]}

    def solve_one(eco: eq.Economy, arr, start_values):
        rule = make_rule(eco, arr["reference_welfare"])
        st, iterations, converged = _continuation(eco, rule, start_values, tol, max_iter)
        lump_sum = rule.last["lump_sum"]

        def extras(sol: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            residents = sol["employment"].sum(axis=1)
            return {
                "wedge": wedge_arrays(sol["wage"], residents, eco.tau_share, eco.tau_size),
                "lump_sum": lump_sum,
                "pareto_weight": implied_pareto_weights(sol["consumption"], residents),
            }

        return st, iterations, converged, rule, extras

    optimum = eq.run_solver(
        model,
        economy,
        start,
        solve_one,
        extra_inputs={"reference_welfare": (reference_welfare, ("occupation",))},
        extra_outputs=OPTIMUM_EXTRA,
        attrs={"solver": "spatialocc.solve_optimal (Proposition 1)", "solver_tolerance": tol},
    )
    optimum["transfer"] = (
        optimum["consumption"] - optimum["wage"] - optimum["land_income_per_worker"]
    )
    optimum["labor_tax"] = (1.0 / (1.0 + optimum["nu"])) * xr.ones_like(optimum["lump_sum"])
    optimum["welfare_gain"] = optimum["welfare"] / reference_welfare
    return annotate(optimum)


#: Safeguards tried in turn on a stage that fails: how much an accelerated step may raise the
#: fixed-point error before it is rejected (see spatialocc.solvers.anderson).
GROWTH_SCHEDULE = (1.0, 10.0)
STAGE_BUDGET = 1500


def _continuation(eco, rule, start, tol, max_iter):
    """Solve under the optimal rule by continuation from the decentralized equilibrium.

    The rule's strength (labor tax and wedge) rises from 0 to 1; each stage starts from the
    previous stage's solution. A stage that fails is retried with the other Anderson
    safeguard, then with half the step. Strong externalities make the location map expansive
    far from the solution, so a direct solve from the data allocation can diverge where every
    stage of the path converges.
    """
    total = 0
    strength, step = 0.0, 0.5
    values = rule.values.copy()
    st = None
    attempt = 0
    while True:
        target = min(1.0, strength + step) if st is not None else 0.0
        rule.strength = target
        rule.values = values.copy()
        budget = max(min(max_iter - total, STAGE_BUDGET), 1)
        try:
            candidate, iterations, converged = eq.solve_arrays(
                eco,
                *start,
                policy=rule,
                tol=tol,
                max_iter=budget,
                growth=GROWTH_SCHEDULE[attempt % len(GROWTH_SCHEDULE)],
            )
        except FloatingPointError:
            candidate, iterations, converged = None, 1, False
        total += iterations
        if converged:
            st, strength, values = candidate, target, rule.values.copy()
            start = (st.wage, st.residents, st.rent, st.price, st.gross_output)
            attempt = 0
            if strength >= 1.0:
                return st, total, True
            step = min(2 * step, 1.0 - strength)
            continue
        attempt += 1
        if attempt % len(GROWTH_SCHEDULE) == 0:
            step /= 2
        if st is None or step < 1e-3 or total >= max_iter:
            rule.values = values
            final = candidate if candidate is not None else st
            return final, total, False


# -- summary statistics ------------------------------------------------------------------------


def _weighted_corr(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> float:
    w = np.ones_like(x) if w is None else w
    w = w / w.sum()
    mx, my = (w * x).sum(), (w * y).sum()
    cov = (w * (x - mx) * (y - my)).sum()
    return float(cov / np.sqrt((w * (x - mx) ** 2).sum() * (w * (y - my) ** 2).sum()))


def _weighted_quantile(x: np.ndarray, q: float, w: np.ndarray | None = None) -> float:
    if w is None:
        return float(np.quantile(x, q))
    order = np.argsort(x)
    cum = np.cumsum(w[order]) / w.sum()
    return float(np.interp(q, cum - w[order] / (2 * w.sum()), x[order]))


def industrial_gini(allocation: xr.Dataset) -> xr.DataArray:
    """Gini coefficient of each city's wage-bill shares across industries (Figure 9):
    ``sum_ij |s_i - s_j| / (2 J)``, twice the area between the Lorenz curve over industries
    ranked by share and the diagonal."""
    bill = (allocation["wage"] * allocation["employment"]).sum("occupation")
    share = bill / bill.sum("industry")
    J = allocation.sizes["industry"]
    diff = np.abs(share - share.rename(industry="input")).sum(["industry", "input"])
    return diff / (2 * J)


def policy_summary(
    reference: xr.Dataset, optimum: xr.Dataset, *, occupations: tuple[str, str] | None = None
) -> xr.Dataset:
    """The statistics of the paper's sections 5-6 for a reference equilibrium and its optimum.

    For the two occupations compared (default ``("CNR", "nonCNR")`` when present, else the
    first two): the social-to-private value ratio ``sum_n (w+Δ)L / sum_n wL`` per occupation
    at the reference and at the optimum; the employment-weighted mean of
    ``Δ[a,n] - Δ[b,n]`` and its correlations with the share of ``a`` and with log city size,
    unweighted and weighted by employment (at the reference); mean net transfers ``T`` by
    occupation with their 10th and 90th percentiles across cities, unweighted and
    employment-weighted; the share of cities where ``a`` workers are net payers; the welfare
    gain; and the change in each city's industrial Gini of wage-bill shares (Figure 9).

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(spatialocc.invert(data), tau_share=1.0, tau_size=0.3)
    >>> summary = spatialocc.policy_summary(model, spatialocc.solve_optimal(model))
    >>> "welfare_gain" in summary
    True
    """
    labels = optimum["occupation"].values.tolist()
    if occupations is None:
        occupations = ("CNR", "nonCNR") if {"CNR", "nonCNR"} <= set(labels) else tuple(labels[:2])
    a, b = occupations
    batch = [d for d in optimum["welfare"].dims if d != "occupation"]
    stacked_ref = reference.stack(_batch=batch) if batch else reference.expand_dims(_batch=[0])
    stacked_opt = optimum.stack(_batch=batch) if batch else optimum.expand_dims(_batch=[0])
    rows = []
    for i in range(stacked_opt.sizes["_batch"]):
        ref = stacked_ref.isel(_batch=i)
        opt = stacked_opt.isel(_batch=i)
        rows.append(_summary_one(ref, opt, a, b))
    names = list(rows[0])
    data = {}
    for name in names:
        values = np.array([r[name] for r in rows])
        dims = ("_batch", "occupation") if values.ndim == 2 else ("_batch",)
        data[name] = (dims, values)
    out = xr.Dataset(data, coords={"occupation": labels, "_batch": stacked_opt["_batch"]})
    out = out.unstack("_batch") if batch else out.isel(_batch=0, drop=True)
    gini_change = industrial_gini(optimum) - industrial_gini(reference)
    out["industrial_gini_change"] = gini_change
    out.attrs = {"compared_occupations": f"{a} vs {b}"}
    return out


def _summary_one(ref: xr.Dataset, opt: xr.Dataset, a: str, b: str) -> dict[str, object]:
    def ratio(ds: xr.Dataset) -> np.ndarray:
        residents = ds["employment"].sum("industry")
        delta = wedge(ds.assign(employment=ds["employment"]))
        social = ((ds["wage"] + delta) * residents).sum("city")
        return (social / (ds["wage"] * residents).sum("city")).values

    residents = ref["employment"].sum("industry")
    size = residents.sum("occupation").values
    delta = wedge(ref)
    diff = (delta.sel(occupation=a) - delta.sel(occupation=b)).values
    share_a = (residents.sel(occupation=a) / residents.sum("occupation")).values
    log_size = np.log(size)
    opt_res = opt["employment"].sum("industry")
    transfer = opt["transfer"]
    out: dict[str, object] = {
        "social_private_ratio_reference": ratio(ref),
        "social_private_ratio_optimum": ratio(opt),
        "mean_wedge_difference": float((diff * size).sum() / size.sum()),
        "corr_wedge_difference_share": _weighted_corr(diff, share_a),
        "corr_wedge_difference_log_size": _weighted_corr(diff, log_size),
        "corr_wedge_difference_share_weighted": _weighted_corr(diff, share_a, size),
        "corr_wedge_difference_log_size_weighted": _weighted_corr(diff, log_size, size),
    }
    means, p10, p90, p10w, p90w, unweighted = [], [], [], [], [], []
    for k in opt["occupation"].values:
        t = transfer.sel(occupation=k).values
        w = opt_res.sel(occupation=k).values
        means.append(float((t * w).sum() / w.sum()))
        unweighted.append(float(t.mean()))
        p10.append(_weighted_quantile(t, 0.1))
        p90.append(_weighted_quantile(t, 0.9))
        p10w.append(_weighted_quantile(t, 0.1, w))
        p90w.append(_weighted_quantile(t, 0.9, w))
    out.update(
        {
            "mean_transfer": np.array(means),
            "mean_transfer_unweighted": np.array(unweighted),
            "transfer_p10": np.array(p10),
            "transfer_p90": np.array(p90),
            "transfer_p10_weighted": np.array(p10w),
            "transfer_p90_weighted": np.array(p90w),
            "share_cities_net_payer": float((transfer.sel(occupation=a).values < 0).mean()),
            "welfare_gain": (opt["welfare"] / ref["welfare"]).values - 1.0,
        }
    )
    return out


def policy_table(summary: xr.Dataset) -> pd.DataFrame:  # noqa: F821
    """A printable table (pandas DataFrame) of :func:`policy_summary` for one economy."""
    import pandas as pd

    rows = {}
    for name, da in summary.data_vars.items():
        if name == "industrial_gini_change":
            rows["industrial_gini_change_mean"] = {"all": float(da.mean())}
            continue
        if "occupation" in da.dims:
            rows[name] = {
                str(k): float(v) for k, v in zip(da["occupation"].values, da.values, strict=True)
            }
        else:
            rows[name] = {"all": float(da)}
    return pd.DataFrame(rows).T


def pandemic_payments(state: eq.PolicyInput) -> np.ndarray:
    """The 2020-21 pandemic payments (the paper's appendix): $6,200 per adult, reduced by 5% of
    wage income above $75,000 (the CARES Act phase-out rate) **[choice]**, on top of
    decentralized consumption; the solver closes the budget with a flat income tax. Amounts
    are in the data year's dollars."""
    payment = np.maximum(0.0, 6200.0 - 0.05 * np.maximum(0.0, state.wage - 75_000.0))
    return state.wage + state.land_income_per_worker[:, None] + payment


eq.POLICIES["pandemic_payments"] = pandemic_payments
