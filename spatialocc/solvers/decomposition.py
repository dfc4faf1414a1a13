"""The decomposition of changes between two calibrations (MODEL.md section 5, Table 3).

Log exogenous productivity of each year is split into three components,
``log λ̂[k,j,n] = m[j] + b[k] + l[k,j,n]``: ``m[j]`` the employment-weighted mean over
occupations and cities (national industry technology), ``b[k]`` the employment-weighted mean
over industries and cities of the rest (national skill bias) and ``l`` the local remainder
**[choice, MODEL.md]**. Land ``H[n]`` (the real-estate fundamental besides λ̂) is split the
same way into a national level, which moves with national technology, and a local remainder,
which moves with real-estate technology **[choice]**. Starting from the start-year economy,
components are set to their end-year values one at a time; every step is an independent
equilibrium (or optimal-policy) solve, so the steps run in parallel as dask tasks.

Each step's economy is solved around a *base* calibration that supplies the starting
allocation, how national employment is spread over industries and cities, and the numeraire:
the end year once amenities are at end-year values, the start year before **[choice]**.

Currency (MODEL.md section 5). Prices are normalized within each year, so the dollars of a
year's wages set the level of its productivity, land and welfare: the two calibrations must be
in one year's dollars. :func:`spatialocc.invert` converts every year of data that carry a
``price_level`` (the bundled US data: the CPI-U) to the latest year's dollars, and
:func:`decompose` refuses a model whose two years have different price levels; a model without
``price_level`` is decomposed with a :class:`~spatialocc.dims.currency.CurrencyWarning` (its
years are taken to be in the same dollars). Welfare (real consumption and amenities) of every
step is then comparable across steps, except for the normalization of amenities within each
year (their geometric mean is 1), which steps that swap amenities carry; Table 3 does not
change when one year's nominal data and its price level are measured in another unit
(tested). Nominal values of a step (wages, rents) are in units where total nominal income is
the base calibration's (the numeraire), not deflated dollars: compare them within a step.

The panel without externalities is the paper's experiment ("where we set the externality
elasticity parameters to zero"): each year's exogenous productivity λ̂, inverted with the
model's τ, is kept and τ = 0, as in :func:`spatialocc.solvers.counterfactuals.no_externalities`.
Its ends are therefore each year's no-externalities counterfactual, not the data; the full
model's ends reproduce the data (all tested).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import dask
import numpy as np
import xarray as xr

from spatialocc._aliases import lazy_aliases
from spatialocc.dims.currency import PRICE_LEVEL, CurrencyWarning
from spatialocc.dims.errors import DimensionError, InconsistentDataError, MissingVariableError
from spatialocc.dims.schema import CORE_DIMS, REAL_ESTATE, RESIDUAL_PREFIX, annotate
from spatialocc.solvers import counterfactuals
from spatialocc.solvers.equilibrium import solve_equilibrium, validated_model
from spatialocc.solvers.optimal import solve_optimal

# Table 3 and the Figure 18 histogram moved to spatialocc.reports.decomposition (reports
# import the solvers, so their old names here resolve lazily).
__getattr__, __dir__ = lazy_aliases(
    __name__,
    "spatialocc.reports.decomposition",
    ("decomposition_table", "cnr_share_distribution", "share_distribution"),
)

#: Components that can be swapped, with the phrase used in row labels (the paper's wording).
COMPONENTS: dict[str, str] = {
    "shares": "current input shares",
    "national_technology": "national trends in technology and population",
    "skill_bias": "national skill biased technical change",
    "occupation_shares": "change in occ. shares in employment",
    "local_technology": "change in local technology (ex real estate)",
    "real_estate_technology": "change in real estate productivity",
    "amenities": "change in amenities",
}

#: The paper's order (Table 3, rows 2-8).
PAPER_ORDER: tuple[str, ...] = tuple(COMPONENTS)

#: Parameters swapped by the ``shares`` component: input-output, value-added, land and
#: consumption shares.
SHARE_PARAMETERS = ("input_share", "value_added_share", "land_share", "consumption_share")

#: The two panels of Table 3: the model with the externalities in the model's τ, and the same
#: economies with τ = 0 and λ̂ kept.
PANELS = {"full_model": "Full model", "no_externalities": "Model without externalities"}

#: Variables of each step kept in the result (the allocation, welfare, the diagnostics).
KEPT = (
    "wage",
    "employment",
    "rent_rate",
    "price_index",
    "consumption",
    "real_consumption",
    "welfare",
    "productivity_exogenous",
    "amenity",
    "land",
    "converged",
    "iterations",
)


@dataclass(frozen=True)
class Step:
    """One row of the decomposition: which components are at end-year values, and whether
    the row is the equilibrium of that economy or its optimal allocation."""

    label: str
    components: frozenset[str]
    optimum: bool = False


def paper_steps(start: int, end: int, components: Sequence[str] = PAPER_ORDER) -> list[Step]:
    """The rows of Table 3 for one panel: the cumulative swaps in ``components`` order, and,
    when all seven paper components are used, the optimum (row 9), the end-year economy with
    start-year real-estate technology (row 10) and its optimum (row 11).

    Examples
    --------
    >>> [s.label for s in paper_steps(1980, 2015)][:2]
    ['1980 parameters', '(1) + current input shares']
    >>> len(paper_steps(1980, 2015))
    11
    """
    unknown = [c for c in components if c not in COMPONENTS]
    if unknown or len(set(components)) != len(components):
        raise ValueError(
            f"components must be distinct names from {list(COMPONENTS)}, got {list(components)}"
        )
    steps = [Step(f"{start} parameters", frozenset())]
    done: set[str] = set()
    for i, name in enumerate(components, start=1):
        done.add(name)
        label = f"({i}) + {COMPONENTS[name]}"
        if name == "skill_bias" and {"shares", "national_technology"} <= done:
            label += f" (Baseline {start})"
        if len(done) == len(COMPONENTS):
            label += f" ({end} parameters)"
        steps.append(Step(label, frozenset(done)))
    if set(components) == set(COMPONENTS):
        all_end = frozenset(COMPONENTS)
        without = all_end - {"real_estate_technology"}
        steps.append(Step("Optimal allocation", all_end, optimum=True))
        steps.append(Step(f"{end} parameters minus change in real estate productivity", without))
        n = len(steps)
        steps.append(Step(f"Optimal allocation with parameters in ({n})", without, optimum=True))
    return steps


def _weighted_mean(x: xr.DataArray, w: xr.DataArray, dims: Sequence[str]) -> xr.DataArray:
    weight = w.where(x.notnull(), 0.0)
    return (x.fillna(0.0) * weight).sum(dims) / weight.sum(dims)


def productivity_components(model: xr.Dataset) -> xr.Dataset:
    """Split ``log λ̂ = m[j] + b[k] + l[k,j,n]`` and ``log H = h + h_local[n]`` of one year.

    ``m`` is the employment-weighted mean of log λ̂ over occupations and cities, ``b`` the
    employment-weighted mean over industries and cities of ``log λ̂ - m``, ``l`` the rest
    (NaN where λ̂ = 0: the cell has no technology); ``h`` is the employment-weighted mean of
    log H over cities.

    Examples
    --------
    >>> import numpy as np, spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> model = spatialocc.invert(data).sel(year=2015)
    >>> parts = productivity_components(model)
    >>> lam = np.exp(parts["national"] + parts["skill"] + parts["local"]).fillna(0.0)
    >>> bool(np.allclose(lam, model["productivity"].transpose(*lam.dims), rtol=1e-13))
    True
    """
    lam = model.get("productivity_exogenous", model.get("productivity"))
    employment = model["employment"]
    log_lam = np.log(lam.where(lam > 0))
    national = _weighted_mean(log_lam, employment, ["occupation", "city"])
    skill = _weighted_mean(log_lam - national, employment, ["industry", "city"])
    residents = employment.sum(["occupation", "industry"])
    log_land = np.log(model["land"])
    land_level = _weighted_mean(log_land, residents, ["city"])
    return xr.Dataset(
        {
            "national": national,
            "skill": skill,
            "local": log_lam - national - skill,
            "land_national": land_level,
            "land_local": log_land - land_level,
        }
    )


def step_model(
    start: xr.Dataset,
    end: xr.Dataset,
    components: frozenset[str] | set[str],
    *,
    real_estate: str = REAL_ESTATE,
) -> xr.Dataset:
    """The economy with ``components`` at their ``end`` values and the rest at ``start``
    values (two single-year models with ``productivity_exogenous`` and τ)."""
    parts = {"start": productivity_components(start), "end": productivity_components(end)}

    def pick(component: str) -> str:
        return "end" if component in components else "start"

    nat, skill = parts[pick("national_technology")], parts[pick("skill_bias")]
    local = parts[pick("local_technology")]["local"]
    local_re = parts[pick("real_estate_technology")]["local"]
    is_re = local["industry"] == real_estate
    local = xr.where(is_re, local_re, local)
    log_lam = nat["national"] + skill["skill"] + local
    lam_hat = np.exp(log_lam.fillna(-np.inf))
    land_local = parts[pick("real_estate_technology")]["land_local"]
    land = np.exp(nat["land_national"] + land_local)

    base = end if "amenities" in components else start
    out = base.copy()
    # National employment: total from the national-trends year, occupation composition from
    # the occupation-shares year, spread over industries and cities like the base allocation.
    total = {y: m["employment"].sum() for y, m in (("start", start), ("end", end))}
    by_occ = {
        y: m["employment"].sum(["industry", "city"]) for y, m in (("start", start), ("end", end))
    }
    target = total[pick("national_technology")] * (
        by_occ[pick("occupation_shares")] / total[pick("occupation_shares")]
    )
    base_by_occ = base["employment"].sum(["industry", "city"])
    out["employment"] = base["employment"] * (target / base_by_occ)
    for name in SHARE_PARAMETERS:
        if name in base:
            out[name] = (end if "shares" in components else start)[name]
    out["productivity_exogenous"] = lam_hat.transpose(*base["productivity_exogenous"].dims)
    out["land"] = land.transpose(*base["land"].dims)
    out["amenity"] = (end if "amenities" in components else start)["amenity"]
    return out


def _check_model(model: xr.Dataset, start: int, end: int) -> None:
    if "year" not in model.dims:
        raise DimensionError(
            "decompose needs a model with a 'year' dimension holding both calibrations "
            "(spatialocc.invert on data with both years)"
        )
    years = model["year"].values.tolist()
    missing = [y for y in (start, end) if y not in years]
    if missing:
        raise KeyError(f"the model has years {years}; missing {missing}")
    if "tau_share" not in model or "productivity_exogenous" not in model:
        raise MissingVariableError(
            "decompose needs the externalities: set them with "
            "spatialocc.with_externalities(model, tau_share=..., tau_size=...)"
        )
    _check_currency(model, start, end)
    if "additive_amenities" in model and bool(model["additive_amenities"].any()):
        raise NotImplementedError(
            "the decomposition is defined for multiplicative amenities (the paper's Table 3): "
            "additive amenities are in real-consumption units of their own year, which the "
            "steps would mix; decompose the multiplicative model"
        )


def _check_currency(model: xr.Dataset, start: int, end: int) -> None:
    """Both years in one year's dollars, or a warning when the model cannot tell."""
    if PRICE_LEVEL not in model:
        warnings.warn(
            f"the model has no {PRICE_LEVEL!r}: the nominal values (wages) of {start} and "
            f"{end} are taken to be in the same dollars. If they are nominal dollars of their "
            f"own year, give the data a price level per year (e.g. the CPI-U annual average: "
            f"data.assign({PRICE_LEVEL}=('year', [...]))) and invert them again; inflation "
            f"would otherwise count as growth in the rows before the Baseline",
            CurrencyWarning,
            stacklevel=3,
        )
        return
    level = model[PRICE_LEVEL]
    if "year" not in level.dims:
        return  # one price level for every year: the same dollars
    first, last = level.sel(year=start, drop=True), level.sel(year=end, drop=True)
    gap = float(abs(last / first - 1.0).max())
    if not gap <= 1e-12:
        raise InconsistentDataError(
            f"the nominal values of {start} and {end} are in different dollars: their "
            f"{PRICE_LEVEL} is {first.values.tolist()} and {last.values.tolist()}. Invert the "
            f"data of both years together with spatialocc.invert (it converts every year to "
            f"one year's dollars with {PRICE_LEVEL}), or convert them first with "
            f"spatialocc.dims.currency.in_dollars_of"
        )


def _solve_step(
    first: xr.Dataset, last: xr.Dataset, components: frozenset[str], tol: float, real_estate: str
) -> xr.Dataset:
    economy = step_model(first, last, components, real_estate=real_estate)
    return solve_equilibrium(economy, tol=tol)


def _optimum_step(
    first: xr.Dataset,
    last: xr.Dataset,
    components: frozenset[str],
    reference: xr.Dataset,
    tol: float,
    real_estate: str,
) -> xr.Dataset:
    economy = step_model(first, last, components, real_estate=real_estate)
    return solve_optimal(economy, reference=reference, tol=tol)


def _kept(solution: xr.Dataset) -> xr.Dataset:
    out = solution[[v for v in KEPT if v in solution]]
    residuals = [v for v in solution.data_vars if v.startswith(RESIDUAL_PREFIX)]
    out["max_residual"] = xr.concat([solution[v] for v in residuals], "condition").max("condition")
    out["welfare_gain"] = solution.get("welfare_gain", xr.ones_like(solution["welfare"]))
    return out


def decompose(
    model: xr.Dataset,
    *,
    start: int = 1980,
    end: int = 2015,
    steps: str | Sequence[str] = "paper",
    with_optimum: bool = True,
    no_externalities: bool = True,
    scheduler: str | None = None,
    tol: float = 1e-10,
    real_estate: str = REAL_ESTATE,
) -> xr.Dataset:
    """Decompose the change from the ``start`` to the ``end`` calibration (Table 3).

    Parameters
    ----------
    model
        A model with a ``year`` dimension holding both calibrations (``spatialocc.invert`` on
        both years) and the externalities set with :func:`spatialocc.with_externalities`.
        Other batch dimensions (``scenario``, ...) are decomposed label by label, all in one
        task graph, and carried by the result.
    start, end
        The two years.
    steps
        ``"paper"`` (the paper's order, rows 1-11 of Table 3) or an ordered list of component
        names from :data:`COMPONENTS`; a list that uses all seven adds the paper's optimum and
        real-estate rows as well.
    with_optimum
        Solve the optimal-allocation rows (the slow ones); without, they are left out.
    no_externalities
        Add the panel without externalities (rows 12-22): each year's λ̂ kept and τ = 0
        (:func:`spatialocc.solvers.counterfactuals.no_externalities`).
    scheduler
        Passed to ``dask.compute``: ``None`` uses dask's default (threads, or the active
        ``dask.distributed`` client), or ``"synchronous"``, ``"threads"``, ``"processes"``. For
        a cluster, create ``dask.distributed.Client(...)`` first (a ``LocalCluster`` or the
        address of a remote scheduler); the steps then run on its workers.
    tol
        Solver tolerance for every step.

    Returns
    -------
    xarray.Dataset
        On dimensions ``panel`` ("full_model", "no_externalities") and ``step`` (the row
        labels), and the model's batch dimensions other than ``year``: every step's ``wage``,
        ``employment``, ``rent_rate``, ``price_index``, ``consumption``, ``real_consumption``,
        ``welfare``, the fundamentals used (``productivity_exogenous``, ``amenity``,
        ``land``), ``welfare_gain`` (1 for equilibrium rows), ``converged``, ``iterations``
        and ``max_residual``; coordinates ``row`` (the paper's row numbers), ``optimum``
        (bool) and ``end_components``, and the attribute ``baseline`` (the label of
        the Baseline row). :func:`spatialocc.reports.decomposition_table` lays it
        out like Table 3.

    Raises
    ------
    SchemaError
        The model does not follow the schema of a ``"model"`` Dataset, as in
        :func:`spatialocc.solve_equilibrium`; raised before any step is solved.
    InconsistentDataError
        The two years have different ``price_level`` values: their nominal values are in
        different dollars (invert them together with :func:`spatialocc.invert`).

    Warns
    -----
    CurrencyWarning
        The model has no ``price_level``: the two years are taken to be in the same dollars.
    """
    _check_model(model, start, end)
    model = validated_model(model)
    if isinstance(steps, str):
        if steps != "paper":
            raise ValueError(f"steps must be 'paper' or a list of components, got {steps!r}")
        plan = paper_steps(start, end)
    else:
        plan = paper_steps(start, end, list(steps))
    if not with_optimum:
        plan = [s for s in plan if not s.optimum]
    panels = ["full_model", "no_externalities"] if no_externalities else ["full_model"]

    # one decomposition per label of the batch dimensions, all in one task graph
    batch = [d for d in model.dims if d not in {"year", *CORE_DIMS}]
    slices = [
        dict(zip(batch, index, strict=True))
        for index in itertools.product(*(range(model.sizes[d]) for d in batch))
    ]
    tasks = []
    for where in slices:
        economy = model.isel(where, drop=True)
        for panel in panels:
            m = economy if panel == "full_model" else _without_externalities(economy)
            tasks.extend(_panel_tasks(m, plan, start, end, tol, real_estate))
    results = dask.compute(*tasks, scheduler=scheduler)

    per_slice = len(panels) * len(plan)
    out = _combine(
        [
            _assemble(results[i * per_slice : (i + 1) * per_slice], plan, panels)
            for i in range(len(slices))
        ],
        [model.sizes[d] for d in batch],
        batch,
    )
    labels = [s.label for s in plan]
    out = out.assign_coords(
        {name: c for name, c in model.coords.items() if c.dims and set(c.dims) <= set(batch)}
    )
    baseline = [s.label for s in plan if "(Baseline" in s.label]
    out.attrs = {
        "title": f"Decomposition of the change from {start} to {end} (Table 3)",
        "start_year": start,
        "end_year": end,
        "baseline": baseline[0] if baseline else labels[0],
        "components": ", ".join(PAPER_ORDER if isinstance(steps, str) else steps),
    }
    return annotate(out)


def _panel_tasks(
    model: xr.Dataset, plan: Sequence[Step], start: int, end: int, tol: float, real_estate: str
) -> list[object]:
    """The delayed steps of one panel of one economy."""
    # the two calibrations enter the task graph once; each task builds its step's economy
    first = dask.delayed(model.sel(year=start, drop=True), pure=True)
    last = dask.delayed(model.sel(year=end, drop=True), pure=True)
    equilibria: dict[frozenset[str], object] = {}
    tasks = []
    for step in plan:
        comps = step.components
        if comps not in equilibria:
            equilibria[comps] = dask.delayed(_solve_step, pure=True)(
                first, last, comps, tol, real_estate
            )
        solved = equilibria[comps]
        if step.optimum:
            solved = dask.delayed(_optimum_step, pure=True)(
                first, last, comps, solved, tol, real_estate
            )
        tasks.append(dask.delayed(_kept, pure=True)(solved))
    return tasks


def _assemble(results: Sequence[xr.Dataset], plan: Sequence[Step], panels: list[str]) -> xr.Dataset:
    """The solved steps of one economy on dimensions ``panel`` and ``step``."""
    per_panel = [
        xr.concat(results[i * len(plan) : (i + 1) * len(plan)], "step", coords="minimal")
        for i in range(len(panels))
    ]
    out = xr.concat(per_panel, "panel", coords="minimal")
    rows = [[i * len(plan) + r + 1 for r in range(len(plan))] for i in range(len(panels))]
    return out.assign_coords(
        panel=panels,
        step=[s.label for s in plan],
        row=(("panel", "step"), np.array(rows)),
        optimum=("step", [s.optimum for s in plan]),
        end_components=(
            "step",
            [", ".join(c for c in COMPONENTS if c in s.components) for s in plan],
        ),
    )


def _combine(parts: list[xr.Dataset], sizes: list[int], dims: list[str]) -> xr.Dataset:
    """Stack the decompositions of the batch slices (in ``itertools.product`` order) back
    along their dimensions, the last one first."""
    for size, dim in zip(reversed(sizes), reversed(dims), strict=True):
        parts = [
            xr.concat(
                parts[i : i + size],
                dim,
                data_vars="all",
                coords="different",
                compat="equals",
                join="exact",
            )
            for i in range(0, len(parts), size)
        ]
    return parts[0]


def _names(components: frozenset[str]) -> str:
    return ", ".join(c for c in COMPONENTS if c in components)


def _without_externalities(model: xr.Dataset) -> xr.Dataset:
    """The paper's world without externalities: λ̂ kept, τ = 0 (the module, not the
    ``no_externalities`` flag of :func:`decompose`)."""
    return counterfactuals.no_externalities(model)
