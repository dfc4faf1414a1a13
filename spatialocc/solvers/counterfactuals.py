"""Counterfactual transformations of a model (MODEL.md section 5).

Each returns a new model Dataset (the input is never modified) to be solved with
:func:`spatialocc.solve_equilibrium`; :func:`scenarios` stacks several along a ``scenario``
dimension so that one call solves them all (in parallel when chunked along ``scenario``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import xarray as xr

from spatialocc.dims.errors import MissingVariableError
from spatialocc.dims.schema import REAL_ESTATE
from spatialocc.solvers.inversion import additive_inversion

Transformation = Callable[[xr.Dataset], xr.Dataset]


def _exogenous(model: xr.Dataset) -> xr.Dataset:
    if "productivity_exogenous" in model:
        return model
    if "tau_share" in model or "tau_size" in model:
        raise MissingVariableError(
            "the model has tau but no productivity_exogenous; use "
            "spatialocc.with_externalities(model, tau_share=..., tau_size=...)"
        )
    return model.assign(productivity_exogenous=model["productivity"])


def no_externalities(model: xr.Dataset) -> xr.Dataset:
    """τR = τL = 0 with the exogenous productivity λ̂ held (section 4.7, Figures 3-4).

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.solvers.counterfactuals import no_externalities
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(spatialocc.invert(data), tau_share=0.5, tau_size=0.1)
    >>> float(no_externalities(model)["tau_share"].max())
    0.0
    """
    model = _exogenous(model)
    zero = xr.zeros_like(model["productivity_exogenous"].isel(industry=0, city=0, drop=True))
    return model.assign(tau_share=zero, tau_size=zero.copy())


def no_trade_costs(model: xr.Dataset) -> xr.Dataset:
    """κ = 1 for every pair of cities in tradable industries (section 7.2): t[j] = 0.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.solvers.counterfactuals import no_trade_costs
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> float(no_trade_costs(spatialocc.invert(data))["trade_cost_elasticity"].max())
    0.0
    """
    t = model["trade_cost_elasticity"]
    return model.assign(trade_cost_elasticity=xr.where(model["tradable"], 0.0, t).astype(float))


def homogeneous_linkages(model: xr.Dataset, *, real_estate: str = REAL_ESTATE) -> xr.Dataset:
    """Identical production structure across industries within each city (section 7.1).

    For every city, the value-added share γ[j,n] of each industry other than real estate is set
    to the value-added-weighted mean of those industries' γ[·,n] **[choice: real estate is
    excluded from the mean, and its own shares are kept]**, purchases from real estate
    γ[RE,j,n] are kept, and the remaining input share is spread equally over the J - 1 other
    industries: γ[j',j,n] = (1 - γ[j,n] - γ[RE,j,n]) / (J - 1).

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.solvers.counterfactuals import homogeneous_linkages
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> cf = homogeneous_linkages(spatialocc.invert(data))
    >>> gamma = cf["value_added_share"].sel(year=2015).drop_sel(industry="Real Estate")
    >>> bool((gamma.std("industry") < 1e-12).all())
    True
    """
    grid = model["distance"].isel(origin=0, drop=True)
    gamma = model["value_added_share"].broadcast_like(grid)
    io = model["input_share"].broadcast_like(grid)
    if real_estate not in model.indexes["industry"]:
        raise MissingVariableError(f"no industry labeled {real_estate!r}; pass real_estate=...")
    others = model["industry"] != real_estate
    value_added = (gamma * model["gross_output"]).where(others)
    mean = (gamma.where(others) * value_added).sum("industry") / value_added.sum("industry")
    new_gamma = xr.where(others, mean, gamma)
    from_re = io.sel(input=real_estate, drop=True)
    J = model.sizes["industry"]
    spread = (1 - new_gamma - from_re) / (J - 1)
    is_re_input = io["input"] == real_estate
    new_io = xr.where(is_re_input, io, spread)
    new_io = xr.where(others, new_io, io)  # the real-estate column is kept
    return model.assign(
        value_added_share=new_gamma.transpose(*gamma.dims),
        input_share=new_io.transpose(*io.dims),
    )


def model_implied_instruments(model: xr.Dataset) -> xr.Dataset:
    """The economy whose solve gives the model-implied instruments (section 4.6).

    λ̂[k,j,n] is set to its cross-city mean for each occupation and industry, taken over the
    cities where it is positive; cells with λ̂ = 0 stay 0 **[choice]**. Solving this economy and
    taking log(L[k,n]/L[n]) and log L[n] gives instruments free of local productivity.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.solvers.counterfactuals import model_implied_instruments
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> cf = model_implied_instruments(spatialocc.invert(data))
    >>> lam = cf["productivity_exogenous"].where(cf["productivity_exogenous"] > 0)
    >>> bool((lam.std("city") < 1e-9 * lam.mean("city")).all())
    True
    """
    model = _exogenous(model)
    lam = model["productivity_exogenous"]
    positive = lam > 0
    mean = lam.where(positive).mean("city")
    return model.assign(productivity_exogenous=xr.where(positive, mean, 0.0).transpose(*lam.dims))


def additive_amenities(
    model: xr.Dataset, *, nu_additive: float | xr.DataArray | None = None
) -> xr.Dataset:
    """Additive (Gumbel) amenities, section 7.3: re-invert the amenities under the additive
    form at the model's allocation.

    Utility becomes ``a[n] + A[k,n] + C[k,n]`` with Gumbel draws of scale 1/ν_add[k], and
    ``amenity_additive`` A[k,n] = log(L[k,n]) / ν_add[k] - C[k,n] (plus a constant per occupation
    that makes its employment-weighted mean over cities 0) rationalizes the stored
    residents L[k,n] and real consumption C[k,n] = consumption / price_index; for an inverted
    model that is the data, for a transformed model (whose stored allocation is still the
    data) it commutes with the other transformations. Sets ``additive_amenities = True``,
    ``nu_additive`` (given, else the model's own, else ν / C̄[k] as in
    :func:`spatialocc.invert`) and the additive ``welfare``; productivity, τ and every
    parameter are kept. Solve the result with :func:`spatialocc.solve_equilibrium` or
    :func:`spatialocc.solve_optimal`.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.solvers.counterfactuals import additive_amenities
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> cf = additive_amenities(spatialocc.invert(data))
    >>> bool(cf["additive_amenities"]), cf["amenity_additive"].dims
    (True, ('year', 'occupation', 'city'))
    """
    return additive_inversion(model, nu_additive=nu_additive)


def _complete_amenity_forms(models: list[xr.Dataset]) -> list[xr.Dataset]:
    """When some scenarios use additive amenities and others do not, give the others the
    additive variables too (re-inverted at their allocation) with ``additive_amenities =
    False``, so that the stacked Dataset keeps each scenario's form."""
    flagged = ["additive_amenities" in m for m in models]
    if not any(flagged) or all(flagged):
        return models
    nu_additive = next(m["nu_additive"] for m, f in zip(models, flagged, strict=True) if f)
    out = []
    for m, f in zip(models, flagged, strict=True):
        if not f:
            welfare = m["welfare"]
            m = additive_inversion(m, nu_additive=nu_additive).assign(
                additive_amenities=xr.DataArray(False), welfare=welfare
            )
        out.append(m)
    return out


def scenarios(
    model: xr.Dataset, transformations: Mapping[str, Transformation | None]
) -> xr.Dataset:
    """Stack transformed copies of ``model`` along a new ``scenario`` dimension.

    ``None`` keeps the model as it is (a baseline). Each transformation must return a model
    with the same variables as the others. Scenarios may mix amenity forms (for example a
    baseline and :func:`additive_amenities`): the multiplicative ones then carry the additive
    variables with ``additive_amenities = False``, and each scenario is solved under its own
    form.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.solvers import counterfactuals as cf
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> stacked = cf.scenarios(
    ...     spatialocc.invert(data), {"baseline": None, "no_trade_costs": cf.no_trade_costs}
    ... )
    >>> stacked.sizes["scenario"]
    2
    """
    if not transformations:
        raise ValueError("give at least one scenario")
    models = [(f(model) if f is not None else model) for f in transformations.values()]
    models = _complete_amenity_forms(models)
    names = [set(m.data_vars) for m in models]
    if any(n != names[0] for n in names):
        common = set.intersection(*names)
        models = [m[sorted(common, key=list(m.data_vars).index)] for m in models]
    stacked = xr.concat(
        models, dim="scenario", data_vars="different", coords="minimal", compat="equals"
    )
    return stacked.assign_coords(scenario=np.array(list(transformations), dtype=object))


TRANSFORMATIONS: dict[str, Transformation] = {
    "no_externalities": no_externalities,
    "no_trade_costs": no_trade_costs,
    "homogeneous_linkages": homogeneous_linkages,
    "model_implied_instruments": model_implied_instruments,
    "additive_amenities": additive_amenities,
}
