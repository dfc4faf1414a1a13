"""Counterfactual transformations of a model (MODEL.md section 5).

Each returns a new model Dataset (the input is never modified) to be solved with
:func:`spatialocc.solve_equilibrium`; :func:`scenarios` stacks several along a ``scenario``
dimension so that one call solves them all (in parallel when chunked along ``scenario``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import numpy as np
import xarray as xr

from spatialocc import paper
from spatialocc.dims.errors import MissingVariableError, ShareError
from spatialocc.dims.schema import REAL_ESTATE
from spatialocc.solvers.inversion import OUTPUTS, additive_inversion, invert

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


def housing_shares(
    model: xr.Dataset,
    shares: Mapping[str, float] | xr.DataArray = paper.HOUSING_SHARES,
    *,
    real_estate: str = REAL_ESTATE,
) -> xr.Dataset:
    """Occupation-specific real-estate consumption shares α[k,RE] (section 7.4), re-inverted.

    ``consumption_share`` becomes α[k,j] on (occupation, industry): α[k,RE] is ``shares[k]``
    and every other share of occupation k is the model's α[k,j] scaled by
    (1 - α[k,RE]) / (1 - α_model[k,RE]), so that each occupation's shares sum to one and the
    basket of everything but housing keeps the model's composition, the same for every
    occupation **[choice]** (only the split between housing and the rest differs). The shares
    of tradables are then calibrated again by :func:`spatialocc.invert` (national demand
    equals national supply, each occupation's tradable budget times a common composition), so
    only the shares of the non-tradables other than real estate are set by this scaling.

    The model is re-inverted at its stored allocation (for an inverted model: the data) with
    these shares: productivity, amenities, land and every equilibrium variable are
    recomputed, ``price_index`` becomes P[k,n] by occupation, and the decentralized
    equilibrium of the result reproduces that allocation. τ, when the model has it, is kept
    and ``productivity_exogenous`` recomputed from the new productivity
    (:func:`spatialocc.with_externalities`); additive amenities, when the model uses them,
    are re-inverted with the model's ``nu_additive``.

    Parameters
    ----------
    model
        A model Dataset (what :func:`spatialocc.invert` returns, optionally with τ).
    shares
        α[k,RE] for every occupation, each in (0, 1): a mapping from occupation label to
        share or a DataArray on ``occupation``. Default: the paper's 19.2% for CNR and 20.8%
        for nonCNR (:data:`spatialocc.paper.HOUSING_SHARES`); the wider spread is
        :data:`spatialocc.paper.HOUSING_SHARES_WIDE` (18.5% / 26.0%).
    real_estate
        Label of the land-using industry.

    Raises
    ------
    ShareError
        A share outside (0, 1), not finite, or missing for an occupation (or given for one the
        model does not have).

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.solvers.counterfactuals import housing_shares
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> cf = housing_shares(spatialocc.invert(data), {"CNR": 0.18, "nonCNR": 0.22})
    >>> cf["consumption_share"].sel(industry="Real Estate").squeeze().values.round(2).tolist()
    [0.18, 0.22]
    >>> cf["consumption_share"].sum("industry").squeeze().values.round(12).tolist()
    [1.0, 1.0]
    """
    if real_estate not in model.indexes["industry"]:
        raise MissingVariableError(f"no industry labeled {real_estate!r}; pass real_estate=...")
    target = _housing_share_array(model, shares)
    alpha = model["consumption_share"]
    if "occupation" not in alpha.dims:
        alpha = alpha.expand_dims(occupation=model["occupation"])
    is_re = alpha["industry"] == real_estate
    old_re = alpha.sel(industry=real_estate, drop=True)
    scaled = alpha * (1 - target) / (1 - old_re)
    new_alpha = xr.where(is_re, target, scaled)
    new_alpha = xr.where(model["tradable"].reset_coords(drop=True), np.nan, new_alpha)
    # The calibrated γ[j,n] and γ[j',j,n] are inputs again: the inversion keeps their input
    # composition and recomputes the city-specific value-added shares of non-tradables.
    kept = {"value_added_share", "input_share", "consumption_share"}
    recomputed = [v for v in OUTPUTS if v not in kept]
    recomputed += ["productivity_exogenous", "amenity_additive", "nu_additive"]
    recomputed += ["additive_amenities", "trade_share"]
    data = model.drop_vars([v for v in recomputed if v in model.data_vars])
    data = data.assign(
        consumption_share=new_alpha.transpose(..., "occupation", "industry").reset_coords(drop=True)
    )
    additive = "additive_amenities" in model and bool(model["additive_amenities"].any())
    inverted = invert(
        data,
        real_estate=real_estate,
        amenities="additive" if additive else "multiplicative",
        nu_additive=model["nu_additive"] if additive else None,
    )
    inverted.attrs = {**model.attrs, **inverted.attrs}
    if "tau_share" in model and "tau_size" in model:
        from spatialocc.solvers.equilibrium import with_externalities

        inverted = with_externalities(
            inverted.drop_vars(["tau_share", "tau_size"]),
            tau_share=model["tau_share"],
            tau_size=model["tau_size"],
        )
    return inverted


def _housing_share_array(
    model: xr.Dataset, shares: Mapping[str, float] | xr.DataArray
) -> xr.DataArray:
    """``shares`` as a DataArray on the model's occupations, checked to lie in (0, 1)."""
    labels = [str(k) for k in model["occupation"].values]
    if isinstance(shares, xr.DataArray):
        if "occupation" not in shares.dims:
            raise ShareError(
                f"housing shares must be on 'occupation', got dimensions {shares.dims}"
            )
        given = [str(k) for k in shares["occupation"].values]
        array = shares
    else:
        given = [str(k) for k in shares]
        array = None
    unknown = sorted(set(given) - set(labels))
    missing = [k for k in labels if k not in given]
    if unknown or missing:
        raise ShareError(
            f"housing shares must give one real-estate share for each occupation {labels}; "
            f"missing {missing}, unknown {unknown}: e.g. "
            f"{dict.fromkeys(labels, 0.2)}"
        )
    if array is None:
        array = xr.DataArray(
            [float(shares[k]) for k in labels], coords={"occupation": model["occupation"]}
        )
    else:
        array = array.astype(float).sel(occupation=model["occupation"].values)
        array = array.assign_coords(occupation=model["occupation"])
    values = np.asarray(array.values, dtype=float)
    bad = ~(np.isfinite(values) & (values > 0) & (values < 1))
    if bad.any():
        first = array.transpose("occupation", ...).values.reshape(len(labels), -1)[:, 0]
        shown = {k: float(v) for k, v in zip(labels, first, strict=True)}
        raise ShareError(
            f"housing shares are consumption shares and must lie strictly between 0 and 1, "
            f"got {shown}: give fractions (0.192 for 19.2%), not percentages"
        )
    return array


#: The wider spread of section 7.4 (18.5% / 26.0%).
housing_shares_wide = functools.partial(housing_shares, shares=paper.HOUSING_SHARES_WIDE)
housing_shares_wide.__doc__ = (
    "The wider spread of section 7.4: :func:`housing_shares` with "
    ":data:`spatialocc.paper.HOUSING_SHARES_WIDE` (18.5% CNR, 26.0% nonCNR)."
)


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
    "housing_shares": housing_shares,
    "housing_shares_wide": housing_shares_wide,
}
