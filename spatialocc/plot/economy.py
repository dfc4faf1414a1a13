"""What the figures read off one economy: the compared occupations and city-level quantities.

The paper's figures compare two occupations, ``a`` and ``b``: CNR and nonCNR. They come from
the data's ``occupation`` coordinate (:func:`compared_occupations`): ``("CNR", "nonCNR")`` when
both are present (the paper's data and the synthetic economies), else the first two labels, as
:func:`spatialocc.policy_summary` chooses them.

Examples
--------
>>> import spatialocc
>>> from spatialocc.plot import compared_occupations
>>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
>>> compared_occupations(data)
('CNR', 'nonCNR')
>>> compared_occupations(data.assign_coords(occupation=["cognitive", "other"]))
('cognitive', 'other')
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from spatialocc.dims.errors import DimensionError, MissingVariableError, format_labels

#: The two occupations the paper's figures compare, when the data have them.
OCCUPATIONS: tuple[str, str] = ("CNR", "nonCNR")


def compared_occupations(allocation: xr.Dataset) -> tuple[str, str]:
    """The two occupations the figures compare: ``OCCUPATIONS`` if present, else the first two.

    Raises
    ------
    MissingVariableError
        Fewer than two occupations.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import compared_occupations
    >>> compared_occupations(spatialocc.datasets.synthetic(n_cities=8, n_occupations=3))
    ('occupation_1', 'occupation_2')
    """
    labels = [str(label) for label in allocation["occupation"].values]
    if set(OCCUPATIONS) <= set(labels):
        return OCCUPATIONS
    if len(labels) < 2:
        raise MissingVariableError(
            f"the figures compare two occupations (by default {list(OCCUPATIONS)}); the data "
            f"have only {format_labels(labels)} on 'occupation'"
        )
    return labels[0], labels[1]


def _single_economy(ds: xr.Dataset, figure: str, argument: str) -> xr.Dataset:
    """Check that an allocation holds one economy (no year, scenario, ... dimension)."""
    if "employment" not in ds:
        raise MissingVariableError(
            f"{figure} needs 'employment' in {argument}; it has {format_labels(list(ds.data_vars))}"
        )
    extra = [d for d in ds["employment"].dims if d not in {"occupation", "industry", "city"}]
    if extra:
        selection = ", ".join(
            f"{d}={ds[d].values[-1].item()!r}" if d in ds.coords else f"{d}=0" for d in extra
        )
        method = "sel" if all(d in ds.coords for d in extra) else "isel"
        raise DimensionError(
            f"{figure} draws one economy, but {argument} has the batch dimensions {extra}; "
            f"select one first, e.g. {argument}.{method}({selection})"
        )
    if ds.sizes.get("occupation", 0) < 2:
        labels = ds["occupation"].values if "occupation" in ds.coords else []
        raise MissingVariableError(
            f"{figure} compares two occupations (by default {list(OCCUPATIONS)}); {argument} "
            f"has only {format_labels(labels) or 'no labels'} on 'occupation'"
        )
    return ds


def _residents(ds: xr.Dataset) -> xr.DataArray:
    """L[k,n]: workers of each occupation employed in each city."""
    return ds["employment"].sum("industry")


def _size(ds: xr.Dataset) -> xr.DataArray:
    """L[n]: total employment of each city."""
    return (
        ds["employment"]
        .sum(["occupation", "industry"])
        .assign_attrs(long_name="employment", units="workers")
    )


def _share(ds: xr.Dataset, occupation: str) -> xr.DataArray:
    """L[k,n]/L[n]: the share of ``occupation`` in each city's employment."""
    residents = _residents(ds)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = residents.sel(occupation=occupation, drop=True) / residents.sum("occupation")
    return share.assign_attrs(long_name=f"{occupation} share of city employment", units="1")


def _percent_change(new: xr.DataArray, old: xr.DataArray) -> xr.DataArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * (new / old - 1.0)


def _log(da: xr.DataArray) -> xr.DataArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(da.where(da > 0))


def _premium(allocation: xr.Dataset, a: str, b: str) -> xr.DataArray:
    """Log wage premium log(w[a,n]/w[b,n]) as a deviation from its employment-weighted mean."""
    wage = allocation["wage"]
    with np.errstate(divide="ignore", invalid="ignore"):
        premium = np.log(wage.sel(occupation=a, drop=True) / wage.sel(occupation=b, drop=True))
    size = _size(allocation)
    ok = np.isfinite(premium) & (size > 0)
    mean = float((premium * size).where(ok).sum() / size.where(ok).sum())
    return (premium - mean).assign_attrs(
        long_name=f"log {a} wage premium, deviation from employment-weighted mean",
        units="log points",
    )


def _wedge_difference(allocation: xr.Dataset, figure: str, argument: str) -> xr.DataArray:
    """Δ[a,n] - Δ[b,n] in dollars per worker."""
    from spatialocc.solvers.optimal import wedge

    if "wedge" in allocation:
        delta = allocation["wedge"]
    elif "tau_share" in allocation or "tau_size" in allocation:
        delta = wedge(allocation)
    else:
        raise MissingVariableError(
            f"{figure} needs the wedge Δ: {argument} has neither 'wedge' nor the externality "
            "elasticities 'tau_share'/'tau_size'; use spatialocc.with_externalities(model, "
            "tau_share=..., tau_size=...) or pass the result of spatialocc.solve_optimal"
        )
    a, b = compared_occupations(allocation)
    difference = delta.sel(occupation=a, drop=True) - delta.sel(occupation=b, drop=True)
    return difference.assign_attrs(long_name=f"Δ[{a},n] - Δ[{b},n]", units="dollars per worker")


def _gini_change(reference: xr.Dataset, optimum: xr.Dataset) -> xr.DataArray:
    from spatialocc.reports.policy import industrial_gini

    for ds, argument in ((reference, "reference"), (optimum, "optimum")):
        if "wage" not in ds:
            raise MissingVariableError(f"the industrial Gini needs 'wage' in {argument}")
    with np.errstate(divide="ignore", invalid="ignore"):
        return industrial_gini(optimum) - industrial_gini(reference)
