"""The optimal spatial policy (MODEL.md section 4; the paper's Lemma 2 and Proposition 1)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

import numpy as np
import xarray as xr

from spatialocc._aliases import lazy_aliases
from spatialocc.dims.errors import MissingVariableError
from spatialocc.dims.schema import annotate, kernel_dims
from spatialocc.solvers import equilibrium as eq
from spatialocc.solvers.inversion import AmenityForm
from spatialocc.solvers.newton import newton_krylov
from spatialocc.solvers.policies import pandemic_payments  # noqa: F401 (its former home)
from spatialocc.solvers.preferences import (  # noqa: F401 (the implied weights' former home)
    Frechet,
    Gumbel,
    Preferences,
    implied_pareto_weights,
    implied_pareto_weights_additive,
)

logger = logging.getLogger(__name__)

Weights = Literal["equal_gains"] | Mapping[str, float]

# The summary statistics moved to spatialocc.reports.policy (reports import the solvers, so
# their old names here resolve lazily).
__getattr__, __dir__ = lazy_aliases(
    __name__,
    "spatialocc.reports.policy",
    (
        "_weighted_corr",
        "_weighted_quantile",
        "industrial_gini",
        "policy_summary",
        "_summary_one",
        "policy_table",
    ),
)


# -- kernels -----------------------------------------------------------------------------------


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.setflags(write=False)
    return a


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


class OptimalRule(eq.StatefulPolicy):
    """The optimal consumption rule under the economy's ``preferences``
    (:meth:`~spatialocc.solvers.preferences.Frechet.consumption_rule`): Proposition 1,
    e = (1 - t_L)(w + Δ) + χ + R[k] with t_L = 1/(1+ν), or with additive amenities rule (11),
    e = w + Δ - P[n]/ν_add[k] + χ + R[k]; Δ at the allocation. The former arguments ``nu``
    and ``additive`` (``nu`` is then ν_add, one number or one per occupation) still work in
    place of ``preferences``.

    The lump sums are R[k] = r[k] + R0 with R0 closing the budget exactly and r (the
    unknowns) moved toward the planner's goal: equal welfare gains relative to
    ``reference_welfare`` (``goal="equal_gains"``: equal proportional gains v/v_ref, or with
    additive amenities equal absolute gains v - v_ref), given Pareto weights of the criterion
    sum φ log v (``goal="pareto"``, multiplicative amenities only), or given welfare levels
    for some occupations (``goal="fixed"``, used to test optimality; with ``fixed`` empty the
    unknowns r keep their values). ``extra`` is added to e before the budget is closed (a
    perturbation of the schedule). ``strength`` moves the rule from the decentralized one (0)
    to the optimal one (1), the continuation of :func:`solve_optimal`.

    The rule is immutable: the unknowns r live in the solver's state (starting at ``start``,
    zero by default; :attr:`State.unknowns` after a solve), and :meth:`replace` gives a rule
    with other settings.
    """

    def __init__(
        self,
        *,
        reference_welfare: np.ndarray,
        preferences: Preferences | None = None,
        nu: float | np.ndarray | None = None,
        goal: str = "equal_gains",
        pareto: np.ndarray | None = None,
        fixed: Mapping[int, float] | None = None,
        extra: np.ndarray | None = None,
        additive: bool = False,
        scale: float = 1.0,
        strength: float = 1.0,
        start: np.ndarray | None = None,
    ) -> None:
        if preferences is None:  # the former signature
            preferences = Gumbel(nu_additive=nu) if additive else Frechet(nu=nu)
        reference = _read_only(np.asarray(reference_welfare, dtype=float))
        settings = {
            "preferences": preferences,
            "labor_tax": preferences.labor_tax,
            "reference": reference,
            "goal": goal,
            "pareto": None
            if pareto is None
            else _read_only(np.asarray(pareto, float) / np.sum(pareto)),
            "fixed": MappingProxyType(dict(fixed or {})),
            "extra": None if extra is None else _read_only(np.asarray(extra, dtype=float)),
            "scale": scale,
            "step": 1.0,
            "strength": float(strength),
            "start": _read_only(
                np.zeros(reference.size) if start is None else np.asarray(start, dtype=float)
            ),
        }
        for name, value in settings.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(
            f"OptimalRule is immutable (cannot set {name!r}); use rule.replace({name}=...)"
        )

    def replace(self, **changes: object) -> OptimalRule:
        """A copy with other settings (``strength``, ``start``, ``extra``, ...)."""
        pareto = None if self.pareto is None else np.array(self.pareto)
        settings = {
            "reference_welfare": self.reference,
            "preferences": self.preferences,
            "goal": self.goal,
            "pareto": pareto,
            "fixed": dict(self.fixed),
            "extra": self.extra,
            "scale": self.scale,
            "strength": self.strength,
            "start": self.start,
        }
        unknown = set(changes) - set(settings)
        if unknown:
            raise TypeError(f"OptimalRule.replace got unknown settings {sorted(unknown)}")
        return OptimalRule(**{**settings, **changes})

    def schedule(
        self, state: eq.PolicyInput, values: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, float]:
        delta = wedge_arrays(state.wage, state.residents, state.tau_share, state.tau_size)
        chi = state.land_income_per_worker[:, None]
        base = self.preferences.consumption_rule(
            state.wage, delta, chi, state.price_index, self.strength
        )
        if self.extra is not None:
            base = base + self.extra
        e = base + values[:, None]
        r0 = -((e - state.wage - chi) * state.residents).sum() / state.residents.sum()
        return e + r0, delta, r0

    def rule(self, state: eq.PolicyInput, values: np.ndarray) -> np.ndarray:
        return self.schedule(state, values)[0]

    def lump_sum(self, eco: eq.Economy, st: eq.State) -> np.ndarray:
        """R[k] = r[k] + R0 at a solved state (its :attr:`~State.unknowns`)."""
        state = eq.PolicyInput(
            st.wage,
            st.residents,
            st.land_income_per_worker,
            st.price_index,
            st.productivity,
            eco.tau_share,
            eco.tau_size,
        )
        return st.unknowns + self.schedule(state, st.unknowns)[2]

    def target(self, eco: eq.Economy, st: eq.State, values: np.ndarray) -> np.ndarray:
        prefs = self.preferences
        residents = st.residents
        r = values
        weights = residents.sum(axis=1) / residents.sum()
        # The planner compares welfare in ``comparable`` units (log v: proportional gains;
        # v: absolute gains), ``per_unit`` dollars of lump sum buying one unit of it.
        per_unit = prefs.lump_sum_per_welfare(st.consumption, st.price_index, residents)
        comparable = prefs.comparable_welfare(eco.welfare(st.consumption / st.price_index))
        if self.goal == "equal_gains":
            gain = comparable - prefs.comparable_welfare(self.reference)
            new = r + per_unit * ((weights * gain).sum() - gain)
        elif self.goal == "pareto":
            if not prefs.accepts_pareto_weights:
                raise ValueError(
                    "with additive amenities the planner's goal must be 'equal_gains' or 'fixed'"
                )
            implied = prefs.implied_pareto_weights(st.consumption, st.price_index, residents)
            new = r + per_unit * (
                prefs.comparable_welfare(self.pareto) - prefs.comparable_welfare(implied)
            )
        else:
            new = r.copy()
            for k, level in self.fixed.items():
                new[k] = r[k] + per_unit[k] * (prefs.comparable_welfare(level) - comparable[k])
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
    name: kernel_dims(name) for name in ("wedge", "lump_sum", "pareto_weight")
}


def solve_optimal(
    model: xr.Dataset,
    *,
    weights: Weights = "equal_gains",
    reference: xr.Dataset | None = None,
    amenities: AmenityForm | None = None,
    tol: float = 1e-10,
    max_iter: int = 40_000,
    method: Literal["newton", "anderson"] = "newton",
    start: xr.Dataset | None = None,
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

    Additive amenities (section 7.3; the model's ``additive_amenities``): rule (11),
    ``e[k,n] = w[k,n] + Δ[k,n] - P[n]/ν_add[k] + χ[k] + R[k]``, with no labor tax
    (``labor_tax = 0``). Welfare is then in units of real consumption and its level depends
    on the normalization of the amenities (one constant per occupation), so a ratio
    v/v_ref has no meaning; "equal gains" are **[choice]** equal absolute gains
    ``v[k] - v_ref[k]``, the same consumption-equivalent amount for every worker (the
    utilitarian analogue: with utility linear in real consumption, a unit of welfare is a
    unit of real consumption for everyone). ``welfare_gain`` is reported as
    ``1 + (v[k] - v_ref[k]) / C̄_ref``, the common gain as a fraction of the
    employment-weighted mean real consumption of the reference, so that it is equal across
    occupations as in the multiplicative case and comparable with it. ``pareto_weight`` is
    the φ of a utilitarian planner maximizing ``sum φ[k] L[k] v[k]`` for which the solution
    is optimal, ``φ[k] ∝ sum_n L[k,n] P[k,n] / L[k]``; given Pareto weights are not
    accepted (with linear utility a planner with fixed weights gives everything to one
    occupation).

    Parameters
    ----------
    model
        A model Dataset; batch dimensions are solved independently.
    weights
        ``"equal_gains"`` or a mapping from occupation to Pareto weight (multiplicative only).
    reference
        The reference equilibrium (with ``welfare``; with additive amenities also
        ``employment``, ``consumption`` and ``price_index``), under the same amenity form.
    amenities
        ``None`` (default): the model's own form. ``"additive"`` for a model with
        multiplicative amenities re-inverts them under the additive form at the model's
        allocation (:func:`spatialocc.counterfactuals.additive_amenities`);
        ``"multiplicative"`` for an additive model uses its Fréchet ``amenity``.
    tol, max_iter
        Tolerance and budget (evaluations of the equations) of the solver. Most optima take a
        few hundred to a few thousand evaluations; the budget is large because where the
        path of solutions winds (strong externalities), it may take most of it, and it is
        only spent in full by a solve that fails.
    method
        ``"newton"`` (default): Newton-Krylov on the residual system, continued along the
        rule's strength from the decentralized equilibrium (``_newton_continuation``);
        ``"anderson"``: the Anderson-accelerated map along the same path. Recorded in the
        result's ``solver_method`` attribute.
    start
        Optional warm start: the optimum of a nearby economy on the same cities, industries
        and occupations (what this function returned, e.g. for other externality
        elasticities). Newton then starts at full strength from its allocation and lump sums
        (continuation in a parameter, step by step along a sweep); where that does not
        converge, the solve falls back to the path from ``reference``. Any root found is a
        root of the same conditions. Near a fold of the solutions in the parameter (two
        optima merging), a warm start is what can still follow the branch: see
        ``benchmarks/optimum_fold.py``.

    Returns
    -------
    xarray.Dataset
        The allocation in canonical names (as :func:`spatialocc.solve_equilibrium`) plus
        ``wedge`` Δ, ``transfer`` T = e - w - χ, ``lump_sum`` R, ``labor_tax`` t_L (0 with
        additive amenities), ``welfare_gain`` v/v_ref (additive: 1 + (v - v_ref)/C̄_ref),
        ``pareto_weight`` (implied φ, normalized to sum to one: φ[k] ∝ L[k]² / sum_n
        L[k,n]/e[k,n]; additive: φ[k] ∝ sum_n L[k,n] P[k,n] / L[k]), and the solver
        diagnostics; ``residual_consumption`` measures the optimal rule, and
        ``residual_budget``, ``residual_equal_gains`` (with ``weights="equal_gains"``) and
        ``residual_rule`` are the optimum conditions of :func:`check_optimum`.
        ``converged`` requires every residual, of the equilibrium and of the optimum, to be
        within ``100 * tol`` (see :func:`spatialocc.solve_equilibrium`).

    Raises
    ------
    SchemaError
        The model does not follow the schema of a ``"model"`` Dataset, as in
        :func:`spatialocc.solve_equilibrium`.

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(spatialocc.invert(data), tau_share=1.0, tau_size=0.3)
    >>> optimum = spatialocc.solve_optimal(model)
    >>> gain = optimum["welfare_gain"].squeeze()
    >>> bool(abs(gain[0] - gain[1]) < 1e-9)
    True
    >>> additive = spatialocc.solve_optimal(model, amenities="additive")
    >>> float(additive["labor_tax"].max())
    0.0
    """
    if method not in ("newton", "anderson"):
        raise ValueError(f"method must be 'newton' or 'anderson', got {method!r}")
    model = eq.validated_model(model)
    model = _with_amenity_form(model, amenities)
    additive = model.get("additive_amenities", xr.DataArray(False)).astype(bool)
    any_additive = bool(additive.any())
    if reference is None:
        # The decentralized equilibrium of this very model: for an inverted model it is the
        # data allocation (found in one step); for a transformed model the stored welfare
        # would be that of another economy.
        reference = eq.solve_equilibrium(model, tol=tol, max_iter=max_iter, method=method)
    if "welfare" not in reference:
        raise MissingVariableError("the reference Dataset needs 'welfare' (what a solve returns)")
    ref_additive = reference.get("additive_amenities", xr.DataArray(False)).astype(bool)
    if bool((ref_additive != additive).any()):
        raise ValueError(
            "the reference equilibrium and the model use different amenity forms (additive "
            "in one, multiplicative in the other), so their welfare is not comparable; solve "
            "the reference from the same model (reference=None) or pass amenities=... to "
            "match it."
        )
    if isinstance(weights, str):
        if weights != "equal_gains":
            raise ValueError(f"weights must be 'equal_gains' or a mapping, got {weights!r}")
        goal, pareto = "equal_gains", None
    else:
        occupations = model["occupation"].values.tolist()
        if any_additive:
            raise ValueError(
                "given Pareto weights are not supported with additive amenities: utility is "
                "linear in consumption, so a planner with fixed weights gives everything to "
                "one occupation. Use weights='equal_gains' (equal absolute welfare gains)."
            )
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
            preferences=eco.preferences,
            reference_welfare=reference_welfare,
            goal=goal,
            pareto=pareto,
            scale=eco.income / eco.national.sum(),
        )

    optimum = _solve_with_rule(
        model,
        reference["welfare"],
        make_rule,
        tol=tol,
        max_iter=max_iter,
        start=_starting_allocation(model, reference),
        method=method,
        warm=None if start is None else _warm_start(model, start),
    )
    optimum["welfare_gain"] = welfare_gain(reference, optimum)
    # Converged means an optimum: the conditions of section 4 hold as well (equal gains only
    # when they are the goal).
    conditions = OPTIMUM_CONDITIONS if goal == "equal_gains" else ("budget", "rule")
    residuals = check_optimum(model, optimum, reference=reference)
    optimum = optimum.assign({f"residual_{c}": residuals[f"residual_{c}"] for c in conditions})
    optimum["converged"] = eq.require_residuals(
        optimum["converged"], {c: optimum[f"residual_{c}"] for c in conditions}, tol
    )
    return annotate(optimum)


def _with_amenity_form(model: xr.Dataset, amenities: AmenityForm | None) -> xr.Dataset:
    """The model with the amenity form asked for (see :func:`solve_optimal`)."""
    if amenities is None:
        return model
    if amenities not in ("multiplicative", "additive"):
        raise ValueError(
            f"amenities must be None, 'multiplicative' or 'additive', got {amenities!r}"
        )
    flag = model.get("additive_amenities")
    if amenities == "multiplicative":
        if flag is None:
            return model
        return model.assign(additive_amenities=xr.zeros_like(flag, dtype=bool))
    if flag is not None and bool(flag.all()):
        return model
    if flag is not None and bool(flag.any()):
        raise ValueError(
            "the model mixes additive and multiplicative amenities along a batch dimension; "
            "pass amenities=None to solve each element under its own form."
        )
    from spatialocc.solvers.counterfactuals import additive_amenities

    return additive_amenities(model)


def mean_real_consumption(ds: xr.Dataset) -> xr.DataArray:
    """C̄: the employment-weighted mean real consumption over occupations and cities."""
    missing = [v for v in ("employment", "consumption", "price_index") if v not in ds]
    if missing:
        raise MissingVariableError(
            f"with additive amenities the reference needs {missing} to express welfare gains "
            f"relative to its mean real consumption; pass what a solve returns."
        )
    residents = ds["employment"].sum("industry")
    real = ds["consumption"] / ds["price_index"]
    return (real * residents).sum(["occupation", "city"]) / residents.sum(["occupation", "city"])


def welfare_gain(reference: xr.Dataset, solution: xr.Dataset) -> xr.DataArray:
    """Welfare of ``solution`` relative to ``reference``, by occupation: ``v/v_ref`` with
    multiplicative amenities; ``1 + (v - v_ref) / C̄_ref`` with additive ones (welfare is in
    units of real consumption and defined up to a constant per occupation; C̄_ref is the
    reference's employment-weighted mean real consumption) **[choice]**."""
    v, v_ref = solution["welfare"], reference["welfare"]
    ratio = Frechet.welfare_gain(v_ref, v)
    additive = solution.get("additive_amenities", xr.DataArray(False)).astype(bool)
    if "additive_amenities" not in solution or not bool(additive.any()):
        return ratio
    absolute = Gumbel.welfare_gain(v_ref, v, mean_real_consumption(reference))
    return xr.where(additive, absolute, ratio).transpose(*ratio.dims)


OPTIMUM_CONDITIONS: tuple[str, ...] = ("budget", "equal_gains", "rule")


def _labeled_forms(form: Mapping[str, xr.DataArray], nu: xr.DataArray) -> tuple[Frechet, Gumbel]:
    """Both preference forms on labeled parameters (ν; ``nu_additive`` of
    :func:`~spatialocc.solvers.equilibrium.amenity_form_inputs`), to combine per batch element
    with ``xr.where(additive_amenities, gumbel..., frechet...)``: batch elements may differ in
    their form."""
    return Frechet(nu=nu), Gumbel(nu_additive=form["nu_additive"], nu=nu)


def _max_relative(a: xr.DataArray, b: xr.DataArray, dims: list[str]) -> xr.DataArray:
    """Largest |a - b| / max(|a|, |b|) over ``dims``; equal entries (zeros) count 0."""
    scale = np.maximum(np.abs(a), np.abs(b))
    rel = xr.where(a == b, 0.0, np.abs(a - b) / xr.where(scale > 0, scale, 1.0))
    return rel.max(dims)


def check_optimum(
    model: xr.Dataset, optimum: xr.Dataset, *, reference: xr.Dataset | None = None
) -> xr.Dataset:
    """Recompute the residual of each condition of the optimal policy from a Dataset.

    The conditions of MODEL.md section 4 that the equilibrium residuals
    (:func:`spatialocc.check_equilibrium`) do not cover, evaluated from the variables of
    ``optimum`` (``wage``, ``employment``, ``consumption``, ``rent_rate``, ``land``,
    ``welfare``, ``lump_sum``, ``price_index``), independently of the solver:

    - ``residual_budget``: budget balance ``sum_{k,n} (e - w - χ) L = 0``, as
      ``|sum e L - sum (w + χ) L| / max(sum e L, sum (w + χ) L)``, with
      χ[k] = b[k] sum_n r[n] H[n] / L[k] recomputed from the allocation;
    - ``residual_equal_gains``: equal welfare gains for every occupation,
      ``(max_k g[k] - min_k g[k]) / max_k |g[k]|`` with g[k] = v[k]/v_ref[k] (additive amenities:
      g[k] = 1 + (v[k] - v_ref[k]) / C̄_ref, equal absolute gains, as in
      :func:`solve_optimal`);
    - ``residual_rule``: the consumption rule of Proposition 1,
      ``e[k,n] = (1 - t_L)(w[k,n] + Δ[k,n]) + χ[k] + R[k]`` with ``t_L = 1/(1+ν)``, Δ the wedge
      of Lemma 2 at the allocation and R the reported ``lump_sum`` (additive amenities, rule
      (11): ``e = w + Δ - P[n]/ν_add[k] + χ + R``), as the largest relative residual over the
      cities where each occupation lives.

    Each is a relative residual, 0 at an exact optimum. The externality elasticities and ν
    are the model's; the amenity form (and ν_add) is the optimum's. The conditions only
    concern an optimum with ``weights="equal_gains"``.

    Parameters
    ----------
    model
        The model that was solved (what :func:`solve_optimal` received).
    optimum
        What :func:`solve_optimal` returned (or any Dataset with the same variables).
    reference
        The reference equilibrium of the welfare gains (with ``welfare``; with additive
        amenities also ``employment``, ``consumption`` and ``price_index``). Default, as in
        :func:`solve_optimal`: the decentralized equilibrium of ``model`` under the optimum's
        amenity form.

    Returns
    -------
    xarray.Dataset
        ``residual_budget``, ``residual_equal_gains`` and ``residual_rule``, on the batch
        dimensions of ``optimum``.

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(spatialocc.invert(data), tau_share=1.0, tau_size=0.3)
    >>> optimum = spatialocc.solve_optimal(model)
    >>> residuals = spatialocc.check_optimum(model, optimum)
    >>> sorted(residuals.data_vars)
    ['residual_budget', 'residual_equal_gains', 'residual_rule']
    >>> bool((residuals.to_array() < 1e-8).all())
    True
    """
    needed = ("wage", "employment", "consumption", "rent_rate", "land", "welfare", "lump_sum")
    missing = [v for v in (*needed, "price_index") if v not in optimum]
    if missing:
        raise MissingVariableError(
            f"check_optimum needs {missing} in the optimum; pass what solve_optimal returns."
        )
    form = eq.amenity_form_inputs(optimum)
    additive = form["additive_amenities"].astype(bool)
    if reference is None:
        amenities = "additive" if bool(additive.any()) else "multiplicative"
        reference = eq.solve_equilibrium(_with_amenity_form(model, amenities))
    if "welfare" not in reference:
        raise MissingVariableError("the reference Dataset needs 'welfare' (what a solve returns)")
    occ = model["occupation"]
    zeros = xr.zeros_like(occ, dtype=float).drop_vars(occ.name)
    tau_share = model.get("tau_share", zeros)
    tau_size = model.get("tau_size", zeros)
    residents = optimum["employment"].sum("industry")
    w, e = optimum["wage"], optimum["consumption"]
    wage_bill = (w * residents).sum("city")
    land_income = (optimum["rent_rate"] * optimum["land"]).sum("city")
    chi = wage_bill / wage_bill.sum("occupation") * land_income / residents.sum("city")
    cells = ["occupation", "city"]
    # budget balance: spending equals income, sum e L = sum (w + χ) L
    spending = (e * residents).sum(cells)
    income = ((w + chi) * residents).sum(cells)
    residual_budget = _max_relative(spending, income, [])
    # equal welfare gains across occupations
    gain = welfare_gain(reference, optimum)
    spread = gain.max("occupation") - gain.min("occupation")
    residual_equal_gains = spread / np.abs(gain).max("occupation")
    # the consumption rule of Proposition 1 (multiplicative) or (11) (additive)
    delta = wedge(optimum.assign(tau_share=tau_share, tau_size=tau_size))
    frechet, gumbel = _labeled_forms(form, model["nu"])
    args = (w, delta, chi, optimum["price_index"])
    rule = (
        xr.where(additive, gumbel.consumption_rule(*args), frechet.consumption_rule(*args))
        + optimum["lump_sum"]
    )
    lives = residents > 0
    residual_rule = _max_relative(e.where(lives, 0.0), rule.where(lives, 0.0), cells)
    residuals = (residual_budget, residual_equal_gains, residual_rule)
    return xr.Dataset(
        {
            f"residual_{c}": r.drop_attrs()
            for c, r in zip(OPTIMUM_CONDITIONS, residuals, strict=True)
        }
    )


def _starting_allocation(model: xr.Dataset, reference: xr.Dataset) -> dict[str, xr.DataArray]:
    """Where the continuation starts: the reference equilibrium's allocation when it is one
    of this economy (the rule at zero strength is then solved in one step), else the model's.
    Starting from the data allocation of a transformed economy (no trade costs, homogeneous
    linkages, ...) can leave the first stage far from its solution."""
    start = {"wage": model["wage"], "employment": model["employment"]}
    for name in start:
        candidate = reference.get(name)
        if candidate is None or candidate.dims != model[name].dims:
            return {"wage": model["wage"], "employment": model["employment"]}
        try:
            xr.align(candidate, model[name], join="exact")
        except ValueError:
            return {"wage": model["wage"], "employment": model["employment"]}
        start[name] = candidate
    return start


def _solve_with_rule(
    model, reference_welfare, make_rule, *, tol, max_iter, start=None, method="newton", warm=None
) -> xr.Dataset:
    economy = eq.economy_inputs(model)
    start = start or {"wage": model["wage"], "employment": model["employment"]}
    extra_inputs = {"reference_welfare": (reference_welfare, ("occupation",))}
    if warm is not None:
        extra_inputs.update({f"warm_{n}": (da, WARM_START[n]) for n, da in warm.items()})

    def solve_one(eco: eq.Economy, arr, start_values):
        rule = make_rule(eco, arr["reference_welfare"])
        continuation = _newton_continuation if method == "newton" else _continuation
        used, converged = 0, False
        if warm is not None:
            st, used, converged, stage = _from_warm_start(eco, rule, arr, tol, max_iter)
            iterations = used
        if not converged:
            st, iterations, converged, stage = continuation(
                eco, rule, start_values, tol, max(max_iter - used, 1)
            )
            iterations += used
        lump_sum = stage.lump_sum(eco, st)

        def extras(sol: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            residents = sol["employment"].sum(axis=1)
            return {
                "wedge": wedge_arrays(sol["wage"], residents, eco.tau_share, eco.tau_size),
                "lump_sum": lump_sum,
                "pareto_weight": eco.preferences.implied_pareto_weights(
                    sol["consumption"], sol["price_index"], residents
                ),
            }

        return st, iterations, converged, stage.bound(st.unknowns), extras

    optimum = eq.run_solver(
        model,
        economy,
        start,
        solve_one,
        extra_inputs=extra_inputs,
        extra_outputs=OPTIMUM_EXTRA,
        attrs={
            "solver": f"spatialocc.solve_optimal (Proposition 1; method={method})",
            "solver_method": method,
        },
        tol=tol,
    )
    transfer = optimum["consumption"] - optimum["wage"] - optimum["land_income_per_worker"]
    optimum["transfer"] = transfer.drop_attrs()  # the schema's attributes, not χ's
    frechet, gumbel = _labeled_forms(economy, optimum["nu"])
    labor_tax = xr.where(economy["additive_amenities"], gumbel.labor_tax, frechet.labor_tax)
    optimum["labor_tax"] = (labor_tax * xr.ones_like(optimum["lump_sum"])).transpose(
        *optimum["lump_sum"].dims
    )
    optimum["welfare_gain"] = optimum["welfare"] / reference_welfare
    return annotate(optimum)


#: What a warm start reads from a previous optimum, with its kernel dimensions.
WARM_START: dict[str, tuple[str, ...]] = {
    "wage": ("occupation", "city"),
    "employment": ("occupation", "industry", "city"),
    "lump_sum": ("occupation",),
}


def _warm_start(model: xr.Dataset, start: xr.Dataset) -> dict[str, xr.DataArray]:
    """The variables of ``start`` (a previous optimum) that a warm start needs, checked to
    lie on the model's coordinates."""
    missing = [n for n in WARM_START if n not in start]
    if missing:
        raise MissingVariableError(
            f"a warm start needs {missing}; pass what solve_optimal returned for a nearby economy."
        )
    warm = {}
    for name, core in WARM_START.items():
        da = start[name]
        for dim in core:
            if dim not in da.dims or not np.array_equal(da[dim].values, model[dim].values):
                raise ValueError(
                    f"the warm start's {name!r} must lie on the model's {dim!r} coordinates "
                    f"(same labels, same order); reindex it with start.sel({dim}=model.{dim})."
                )
        warm[name] = da
    return warm


#: The evaluations a warm start may use before the solve falls back to the path from the
#: reference.
WARM_START_BUDGET = 1500


def _from_warm_start(eco, rule, arr, tol, max_iter):
    """Newton at full strength from a previous optimum (``warm_*`` inputs): its allocation
    and, as the rule's unknowns, its lump sums less their employment-weighted mean (the
    unknowns' normalization; the budget-closing R0 is recomputed). Returns what a
    continuation returns: (state, evaluations, converged, rule); the state is None when the
    rule is not defined at the start (the residual is not finite there)."""
    employment = arr["warm_employment"]
    residents = employment.sum(axis=1)
    weights = residents.sum(axis=1) / residents.sum()
    lump_sum = arr["warm_lump_sum"]
    stage = rule.replace(strength=1.0, start=lump_sum - (weights * lump_sum).sum())
    wage = arr["warm_wage"]
    guess = eq.initial_guess(eco, wage, residents, employment)
    problem = eq.fixed_point_problem(eco, wage, residents, *guess, policy=stage)
    try:
        result = eq.newton_problem(
            problem, problem.z0, tol=tol, max_iter=min(max_iter, WARM_START_BUDGET)
        )
    except FloatingPointError:
        return None, 1, False, stage
    return problem.state_at(result.x), result.evaluations, result.converged, stage


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
    stage of the path converges. Returns the state, the iterations, whether the last stage
    converged at full strength, and the stage's rule (whose strength produced the state).
    """
    total = 0
    strength, step = 0.0, 0.5
    values = rule.start
    st = solved = None
    attempt = 0
    while True:
        target = min(1.0, strength + step) if st is not None else 0.0
        stage = rule.replace(strength=target, start=values)
        budget = max(min(max_iter - total, STAGE_BUDGET), 1)
        try:
            candidate, iterations, converged = eq.solve_arrays(
                eco,
                *start,
                policy=stage,
                tol=tol,
                max_iter=budget,
                growth=GROWTH_SCHEDULE[attempt % len(GROWTH_SCHEDULE)],
            )
        except FloatingPointError:
            candidate, iterations, converged = None, 1, False
        total += iterations
        if converged:
            st, strength, values, solved = candidate, target, candidate.unknowns, stage
            start = (st.wage, st.residents, st.rent, st.price, st.gross_output)
            attempt = 0
            if strength >= 1.0:
                return st, total, True, stage
            step = min(2 * step, 1.0 - strength)
            continue
        attempt += 1
        if attempt % len(GROWTH_SCHEDULE) == 0:
            step /= 2
        if st is None or step < 1e-3 or total >= max_iter:
            if candidate is not None:
                return candidate, total, False, stage
            return st, total, False, solved


#: The first step of the Newton continuation in the rule's strength, the smallest step before
#: it turns to arclength continuation, the tolerance of the intermediate stages (only the last
#: one needs ``tol``), and the Newton steps and evaluations allowed per stage.
NEWTON_FIRST_STEP = 0.25
NEWTON_MIN_STEP = 1.0 / 64
STAGE_TOLERANCE = 1e-7
NEWTON_STAGE_STEPS = 12
NEWTON_STAGE_BUDGET = 600
#: A stage predicted by the secant gives up when a Newton step reduces the residual by less
#: than this factor (see ``max_ratio`` of :func:`~spatialocc.solvers.newton.newton_krylov`).
STAGE_RATIO = 0.5
#: Pseudo-arclength continuation: Newton steps per corrector, the number of points it may
#: add, and the smallest step (relative to the first) before it gives up. ARCLENGTH_SHARE
#: of the budget is the most it may spend, so that the Anderson path keeps the rest where
#: the arclength path winds through turn after turn without reaching full strength. On the
#: 300-city synthetic economies the arclength path needs up to about 11,000 evaluations
#: (seed 16, where the Anderson path fails in 40,000) and the Anderson path up to about
#: 7,700 after it (seed 1); the additive-amenities optimum on the bundled data needs about
#: 6,000 on the path.
ARCLENGTH_STEPS = 4
ARCLENGTH_TOLERANCE = 1e-5
ARCLENGTH_BUDGET = 250
ARCLENGTH_POINTS = 200
ARCLENGTH_SHARE = 0.45
#: The path is abandoned when its last ARCLENGTH_WINDOW points span less than
#: ARCLENGTH_STALL in the strength (it runs off toward a boundary instead of toward 1).
ARCLENGTH_WINDOW = 10
ARCLENGTH_STALL = 1e-3
ARCLENGTH_MIN_STEP = 1e-3
#: A corrector gives up when a Newton step reduces the residual by less than this factor.
ARCLENGTH_RATIO = 0.5


def _newton_continuation(eco, rule, start, tol, max_iter):
    """Solve under the optimal rule by Newton-Krylov, globalized by the Anderson path.

    First :func:`_newton_path`; where it fails (its path of solutions can end at a boundary,
    e.g. a city emptying, while another branch reaches full strength), the Anderson
    continuation (:func:`_continuation`) from the same start with the remaining budget, and
    where that stops short of the tolerance at full strength, Newton from its last iterate.
    Each is a solution method for the same equations: which one found the root changes
    nothing in it.
    """
    st, total, converged, newton_stage = _newton_path(eco, rule, start, tol, max_iter)
    if converged or total >= max_iter:
        return st, total, converged, newton_stage
    logger.debug("Newton path failed after %d evaluations: the Anderson path", total)
    candidate, used, converged, stage = _continuation(eco, rule, start, tol, max_iter - total)
    total += used
    if candidate is None or stage is None:
        return st, total, False, newton_stage
    if converged or stage.strength < 1.0:
        return candidate, total, converged, stage
    stage = stage.replace(start=candidate.unknowns)
    problem = eq.fixed_point_problem(
        eco,
        candidate.wage,
        candidate.residents,
        candidate.rent,
        candidate.price,
        candidate.gross_output,
        policy=stage,
    )
    try:
        result = eq.newton_problem(problem, problem.z0, tol=tol, max_iter=max(max_iter - total, 1))
    except FloatingPointError:
        return candidate, total, False, stage
    total += result.evaluations
    return problem.state_at(result.x), total, result.converged, stage


def _newton_path(eco, rule, start, tol, max_iter):
    """Solve under the optimal rule by Newton-Krylov along the rule's strength, 0 to 1.

    Each stage solves the residual system of the equilibrium under the rule at one strength
    (:func:`~spatialocc.solvers.equilibrium.newton_problem`) from a secant prediction through
    the two previous stages; a stage that fails is retried with half the step, a stage that
    succeeds doubles it. Intermediate stages stop at :data:`STAGE_TOLERANCE`, the last at
    ``tol``. Once a step in the strength fails, the path is followed by pseudo-arclength
    continuation (:func:`_arclength`) until it crosses full strength: where the path of
    solutions turns back in the strength (a fold: strong externalities can give several
    solutions at one strength, as with additive amenities on the bundled data), steps in the
    strength alone fail however small. Every stage is a root of the same equations at its
    strength: the path changes how the solution is found, not what it is. Returns the state,
    the evaluations of the equations, whether the rule at full strength converged, and that
    stage's rule.
    """
    total = 0
    n_extra = rule.start.size

    def problem_at(strength: float, z: np.ndarray | None):
        values = rule.start if z is None else z[z.size - n_extra :] * rule.scale
        stage = rule.replace(strength=strength, start=values)
        return stage, eq.fixed_point_problem(eco, *start, policy=stage)

    def solve(strength, z_start, stage_tol, max_ratio=None):
        nonlocal total
        stage, problem = problem_at(strength, z_start)
        budget = max(min(max_iter - total, NEWTON_STAGE_BUDGET), 1)
        try:
            result = eq.newton_problem(
                problem,
                z_start,
                tol=stage_tol,
                max_iter=budget,
                max_newton=NEWTON_STAGE_STEPS,
                max_ratio=max_ratio,
            )
        except FloatingPointError:
            total += 1
            return None
        total += result.evaluations
        return stage, problem, result

    stage, problem = problem_at(0.0, None)
    last = solve(0.0, problem.z0, STAGE_TOLERANCE)
    if last is None:
        return problem.state_at(problem.z0), total, False, stage
    if not last[2].converged:
        return last[1].state_at(last[2].x), total, False, last[0]
    path = [(0.0, last[2].x)]
    strength, step = 0.0, NEWTON_FIRST_STEP
    while True:
        target = min(1.0, strength + step)
        z = path[-1][1]
        if len(path) > 1:
            (s0, z0), (s1, z1) = path[-2], path[-1]
            z = z1 + (target - s1) * (z1 - z0) / (s1 - s0)
        # from the secant prediction Newton contracts fast or not at all
        ratio = STAGE_RATIO if len(path) > 1 else None
        outcome = solve(target, z, tol if target >= 1.0 else STAGE_TOLERANCE, ratio)
        logger.debug(
            "continuation: strength %.4f %s (%d evaluations in all)",
            target,
            "converged" if outcome is not None and outcome[2].converged else "failed",
            total,
        )
        if outcome is not None and outcome[2].converged:
            last = outcome
            strength = target
            path.append((strength, outcome[2].x))
            if strength >= 1.0:
                stage, problem, result = outcome
                return problem.state_at(result.x), total, True, stage
            step = min(2 * step, 1.0 - strength)
            continue
        if outcome is not None:
            last = outcome
        step /= 2
        if total >= max_iter:
            break
        if len(path) > 1:
            z_final, used = _arclength(
                lambda z, s: problem_at(s, z)[1].residual(z),
                path,
                min(max_iter - total, int(ARCLENGTH_SHARE * max_iter)),
            )
            total += used
            if z_final is not None:
                outcome = solve(1.0, z_final, tol)
                if outcome is not None:
                    last = outcome
                    if outcome[2].converged:
                        stage, problem, result = outcome
                        return problem.state_at(result.x), total, True, stage
            break
        if step < NEWTON_MIN_STEP:
            break
    stage, problem, result = last
    return problem.state_at(result.x), total, False, stage


def _arclength(residual, path, budget):
    """Follow the solutions of ``residual(z, s) = 0`` from the last two points of ``path``
    ((s, z) pairs) by pseudo-arclength continuation (Keller 1977): the unknowns are (z, s),
    each corrector solves the residual together with ``t . (y - y_pred) = 0`` (``t`` the
    secant direction, ``y_pred`` the predicted point) by Newton-Krylov. Returns a starting
    point for s = 1 (interpolated between the two points that bracket it) and the
    evaluations used, or None when the path does not reach s = 1 within the budget."""
    used = 0
    points = [np.append(z, s) for s, z in path[-2:]]
    step = 0.5 * float(np.linalg.norm(points[1] - points[0]))
    smallest = ARCLENGTH_MIN_STEP * step
    for _ in range(ARCLENGTH_POINTS):
        if step < smallest or used >= budget:
            return None, used
        y0, y1 = points[-2], points[-1]
        tangent = (y1 - y0) / np.linalg.norm(y1 - y0)
        predicted = y1 + step * tangent

        def augmented(y, tangent=tangent, predicted=predicted):
            return np.append(residual(y[:-1], y[-1]), tangent @ (y - predicted))

        try:
            result = newton_krylov(
                augmented,
                predicted,
                tol=ARCLENGTH_TOLERANCE,
                max_evaluations=min(ARCLENGTH_BUDGET, budget - used),
                max_newton=ARCLENGTH_STEPS,
                max_ratio=ARCLENGTH_RATIO,
            )
        except FloatingPointError:
            used += 1
            step /= 2
            continue
        used += result.evaluations
        logger.debug(
            "arclength: s=%.5f step %.3g, %s in %d Newton steps (%d evaluations)",
            result.x[-1],
            step,
            "converged" if result.converged else "failed",
            result.newton_steps,
            result.evaluations,
        )
        if not result.converged or result.x[-1] < 0.0:
            step /= 2
            continue
        points.append(result.x)
        recent = [p[-1] for p in points[-ARCLENGTH_WINDOW:]]
        if len(points) > ARCLENGTH_WINDOW and max(recent) - min(recent) < ARCLENGTH_STALL:
            return None, used
        if result.x[-1] >= 1.0:
            a, b = points[-2], points[-1]
            weight = (1.0 - a[-1]) / (b[-1] - a[-1])
            return (a + weight * (b - a))[:-1], used
        # lengthen the step when the corrector was easy, shorten it when it was hard
        step *= 2.0 if result.newton_steps <= 2 else 1.3 if result.newton_steps <= 4 else 0.7
    return None, used
