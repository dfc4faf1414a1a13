"""Check a Dataset against the schema (``spatialocc.validate``)."""

from __future__ import annotations

import difflib
from typing import Literal

import numpy as np
import xarray as xr

from spatialocc.dims.errors import (
    CoordinateMismatchError,
    DimensionError,
    DistanceMatrixError,
    DuplicateLabelError,
    MissingVariableError,
    NegativeValueError,
    NonFiniteValueError,
    SchemaError,
    ShareError,
    format_cells,
    format_labels,
)
from spatialocc.dims.schema import (
    COORDINATES,
    CORE_DIMS,
    DIMENSIONS,
    VARIABLES,
    Variable,
)

Kind = Literal["data", "model"]
KINDS: tuple[str, ...] = ("data", "model")

#: Absolute tolerance for "sums to one" and symmetry checks.
SHARE_TOL = 1e-6


def validate(ds: xr.Dataset, kind: Kind | None = None) -> xr.Dataset:
    """Check ``ds`` against the spatialocc schema and return it unchanged.

    Parameters
    ----------
    ds
        The Dataset to check.
    kind
        ``"data"``: the input of :func:`spatialocc.invert` (observed data and parameters);
        ``"model"``: a calibrated model as returned by ``invert``; ``None``: check only the
        variables present.

    Raises
    ------
    SchemaError
        A subclass naming the variable, the offending labels and the fix:
        :class:`MissingVariableError`, :class:`DimensionError`,
        :class:`CoordinateMismatchError`, :class:`DuplicateLabelError`,
        :class:`NonFiniteValueError`, :class:`NegativeValueError`, :class:`ShareError`,
        :class:`DistanceMatrixError`.

    Notes
    -----
    Value checks run on in-memory arrays; for dask-backed variables only the structure is
    checked here (no computation is triggered) and the solvers check values when they run.

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=5, n_industries=4, years=(2015,))
    >>> spatialocc.validate(data, kind="data") is data
    True
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} or None, got {kind!r}")
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"expected an xarray.Dataset, got {type(ds).__name__}")
    _check_dimension_names(ds)
    _check_labels(ds)
    _check_required(ds, kind)
    for name in ds.variables:
        if name in VARIABLES:
            _check_variable_dims(ds, VARIABLES[name])
        elif name in COORDINATES:
            _check_coordinate(ds, name)
    for name in ds.data_vars:
        if name in VARIABLES and not _is_lazy(ds[name]):
            _check_values(ds, VARIABLES[name], kind)
    if "value_added_share" in ds and "input_share" in ds:
        _check_cost_shares(ds)
    return ds


# -- structure ---------------------------------------------------------------------------------


def _check_dimension_names(ds: xr.Dataset) -> None:
    known = sorted(DIMENSIONS)
    for dim in ds.dims:
        if dim in DIMENSIONS:
            continue
        match = difflib.get_close_matches(str(dim).lower(), known, n=1, cutoff=0.75)
        if match:
            raise DimensionError(
                f"dimension {dim!r} is not a spatialocc dimension; it looks like a misnamed "
                f"{match[0]!r}. Rename it: ds.rename({{{dim!r}: {match[0]!r}}}). "
                f"Known dimensions: {known}; any other name is treated as a batch dimension."
            )


def _check_labels(ds: xr.Dataset) -> None:
    for dim in ds.dims:
        if dim not in DIMENSIONS:
            continue
        if dim not in ds.coords:
            raise MissingVariableError(
                f"dimension {dim!r} has no coordinate labels; assign them with "
                f"ds.assign_coords({dim}=[...]) (one unique label per position)."
            )
        index = ds.indexes[dim]
        if index.has_duplicates:
            dup = index[index.duplicated()].unique().tolist()
            raise DuplicateLabelError(
                f"coordinate {dim!r} repeats the labels {format_labels(dup)}; every label must "
                f"be unique. Aggregate or rename the duplicates before building the Dataset."
            )
        expected = DIMENSIONS[dim].coordinate_dtype
        kind = ds[dim].dtype.kind
        ok = kind in "OUS" if expected == "str" else kind in "iu"
        if not ok:
            raise DimensionError(
                f"coordinate {dim!r} should hold {expected} labels but has dtype "
                f"{ds[dim].dtype}; convert it, e.g. ds.assign_coords({dim}=ds[{dim!r}]"
                f".astype({expected!r}))."
            )
    for dim in ds.dims:
        partner = DIMENSIONS[dim].same_labels_as if dim in DIMENSIONS else None
        if partner is None:
            continue
        if partner not in ds.dims:
            raise MissingVariableError(
                f"dimension {dim!r} is present but {partner!r} is not; {dim!r} is the second "
                f"axis of bilateral arrays and needs the {partner!r} axis beside it."
            )
        a, b = ds.indexes[partner], ds.indexes[dim]
        if not a.equals(b):
            only_a = [x for x in a if x not in set(b)]
            only_b = [x for x in b if x not in set(a)]
            if only_a or only_b:
                detail = (
                    f"labels only in {partner!r}: {format_labels(only_a)}; "
                    f"labels only in {dim!r}: {format_labels(only_b)}"
                )
            else:
                detail = "same labels in a different order"
            raise CoordinateMismatchError(
                f"coordinates {partner!r} and {dim!r} must hold the same labels in the same "
                f"order ({detail}). Fix: ds.assign_coords({dim}=ds[{partner!r}].values) after "
                f"reordering with ds.reindex({dim}=ds[{partner!r}].values)."
            )


def _check_required(ds: xr.Dataset, kind: str | None) -> None:
    if kind is None:
        return
    missing = [n for n, v in VARIABLES.items() if kind in v.required and n not in ds.data_vars]
    if missing:
        raise MissingVariableError(
            f"a {kind!r} Dataset needs the variables {format_labels(missing)}, which are "
            f"missing. Present: {sorted(map(str, ds.data_vars))}. "
            + (
                "Build inputs with spatialocc.datasets.synthetic() as a template."
                if kind == "data"
                else "A 'model' Dataset is what spatialocc.invert(data) returns."
            )
        )
    missing_coords = [n for n, c in COORDINATES.items() if kind in c.required and n not in ds]
    if missing_coords:
        raise MissingVariableError(
            f"a {kind!r} Dataset needs the coordinates {format_labels(missing_coords)}; e.g. "
            f"ds.assign_coords(tradable=('industry', [True, ..., False]))."
        )


def _check_variable_dims(ds: xr.Dataset, var: Variable) -> None:
    dims = set(ds[var.name].dims)
    missing = [d for d in var.min_dims if d not in dims]
    extra = [d for d in dims if d in CORE_DIMS and d not in var.dims]
    if missing or extra:
        raise DimensionError(
            f"variable {var.name!r} ({var.symbol}) should have the dimensions {var.dims}"
            + (f" ({var.optional_dims} optional)" if var.optional_dims else "")
            + f" plus any batch dimensions, but has {tuple(ds[var.name].dims)}"
            + (f"; missing {missing}" if missing else "")
            + (f"; unexpected {extra}" if extra else "")
            + ". Fix the dimension names or transpose/expand the array to the schema's layout."
        )
    if var.dtype == "bool" and ds[var.name].dtype != bool:
        raise SchemaError(
            f"variable {var.name!r} should be boolean but has dtype {ds[var.name].dtype}; "
            f"convert it with ds[{var.name!r}].astype(bool)."
        )


def _check_coordinate(ds: xr.Dataset, name: str) -> None:
    coord = COORDINATES[name]
    da = ds[name]
    if tuple(da.dims) != coord.dims:
        raise DimensionError(
            f"coordinate {name!r} should have the dimensions {coord.dims}, has {da.dims}."
        )
    kinds = {"str": "OUS", "float": "fiu", "int": "iu", "bool": "b"}[coord.dtype]
    if da.dtype.kind not in kinds:
        raise SchemaError(
            f"coordinate {name!r} should be of type {coord.dtype}, found {da.dtype}; "
            f"convert it with ds.assign_coords({name}=ds[{name!r}].astype({coord.dtype!r}))."
        )
    if coord.range is not None and not _is_lazy(da):
        lo, hi = coord.range
        bad = ~((da >= lo) & (da <= hi))
        if bad.any():
            raise SchemaError(
                f"coordinate {name!r} must lie in [{lo}, {hi}] ({coord.units}); out of range at "
                f"{_cells(da, bad)}."
            )


# -- values ------------------------------------------------------------------------------------


def _is_lazy(da: xr.DataArray) -> bool:
    return da.chunks is not None


def _cells(da: xr.DataArray, bad: xr.DataArray) -> str:
    bad = bad.broadcast_like(da).transpose(*da.dims)
    idx = np.argwhere(np.asarray(bad.values))
    if da.ndim == 0:
        return "the scalar value"
    labels = []
    for row in idx[:5]:
        cell = []
        for dim, i in zip(da.dims, row, strict=True):
            cell.append(da[dim].values[i].item() if dim in da.coords else int(i))
        labels.append(cell)
    return format_cells([str(d) for d in da.dims], labels, len(idx))


def _tradable_mask(ds: xr.Dataset, da: xr.DataArray) -> xr.DataArray | None:
    if "industry" not in da.dims:
        return None
    if "tradable" not in ds.coords:
        raise MissingVariableError(
            "coordinate 'tradable' (industry, bool) is needed to check "
            f"{da.name!r}; add it with ds.assign_coords(tradable=('industry', [...]))."
        )
    return ds["tradable"].astype(bool)


def _check_values(ds: xr.Dataset, var: Variable, kind: str | None) -> None:
    da = ds[var.name]
    if var.dtype == "bool":
        return
    checks = set(var.check)
    name = f"{var.name!r} ({var.symbol})"

    # Where may the value be NaN?
    nan_ok = xr.zeros_like(da, dtype=bool)
    nan_required = None
    if "nan_for_tradables" in checks:
        nan_required = _tradable_mask(ds, da)
    if "nan_for_nontradables" in checks:
        mask = _tradable_mask(ds, da)
        nan_required = None if mask is None else ~mask
    if "nan_allowed_for_tradables:data" in checks and kind != "model":
        mask = _tradable_mask(ds, da)
        if mask is not None:
            nan_ok = nan_ok | mask
    if nan_required is not None:
        nan_ok = nan_ok | nan_required
        missing_nan = nan_required & da.notnull()
        if missing_nan.any():
            which = "tradable" if "nan_for_tradables" in checks else "non-tradable"
            raise NonFiniteValueError(
                f"{name} is defined only for the other industries and must be NaN for "
                f"{which} industries, but has values at {_cells(da, missing_nan)}. "
                f"Set them to NaN (ds[{var.name!r}].where(...))."
            )
    nonfinite = ~np.isfinite(da) & ~(da.isnull() & nan_ok)
    if "inf_allowed" in checks:
        nonfinite = nonfinite & ~(np.isposinf(da))
    if nonfinite.any():
        raise NonFiniteValueError(
            f"{name} has NaN or infinite values at {_cells(da, nonfinite)}. Every value must be "
            f"a finite number there; fill or drop the cells (a city-industry with no workers "
            f"has employment 0, not NaN)."
        )
    valid = da.where(da.notnull())
    if "positive" in checks or "greater_than_one" in checks:
        bad = valid <= 0
        if bad.any():
            err = DistanceMatrixError if var.name == "distance" else NegativeValueError
            raise err(
                f"{name} must be strictly positive ({var.units}), but is zero or negative at "
                f"{_cells(da, bad)}."
                + (
                    " The diagonal holds the within-city distance (20 miles in the paper)."
                    if var.name == "distance"
                    else " Check the sign and the units of the input."
                )
            )
    if "nonnegative" in checks:
        bad = valid < 0
        if bad.any():
            raise NegativeValueError(
                f"{name} must be nonnegative ({var.units}), but is negative at "
                f"{_cells(da, bad)}. Check the sign and the units of the input."
            )
    if "greater_than_one" in checks and (valid <= 1).any():
        raise SchemaError(f"{name} must be greater than 1, found {da.values}.")
    if "not_one" in checks and (valid == 1).any():
        raise SchemaError(
            f"{name} = 1 is the Cobb-Douglas limit, which this CES form does not cover; use a "
            f"value such as 1.0001 or 2."
        )
    intervals = {
        "unit_interval": ((valid < 0) | (valid > 1), "[0, 1]"),
        "unit_interval_open": ((valid <= 0) | (valid >= 1), "(0, 1)"),
        "unit_interval_left_open": ((valid <= 0) | (valid > 1), "(0, 1]"),
        "half_open_unit": ((valid < 0) | (valid >= 1), "[0, 1)"),
    }
    for check, (bad, interval) in intervals.items():
        if check in checks and bad.any():
            raise ShareError(
                f"{name} is a share and must lie in {interval}, but lies outside at "
                f"{_cells(da, bad)}. Shares are fractions, not percentages."
            )
    for check in checks:
        if check.startswith("sums_to_one:"):
            _, dim, *only = check.split(":")
            if only and kind not in only:
                continue
            if dim not in da.dims:
                continue
            total = da.sum(dim, skipna=False)
            bad = np.abs(total - 1) > SHARE_TOL
            if bad.any():
                raise ShareError(
                    f"{name} must sum to one over {dim!r}, but sums to "
                    f"{float(total.where(bad).max()):.8g} (largest) at {_cells(total, bad)}. "
                    f"Rescale it: ds[{var.name!r}] / ds[{var.name!r}].sum({dim!r})."
                )
    if "symmetric" in checks:
        transposed = da.rename(city="origin", origin="city").transpose(*da.dims)
        transposed = transposed.assign_coords(city=da["city"], origin=da["origin"])
        scale = float(np.abs(da).max()) if da.size else 1.0
        bad = np.abs(da - transposed.values) > SHARE_TOL * max(scale, 1.0)
        if bad.any():
            raise DistanceMatrixError(
                f"{name} must be symmetric (d[n,n'] = d[n',n]), but differs from its "
                f"transpose at {_cells(da, bad)}. Symmetrize it: "
                f"(d + d.rename(city='origin', origin='city').T) / 2, or recompute it."
            )


def _check_cost_shares(ds: xr.Dataset) -> None:
    va, io = ds["value_added_share"], ds["input_share"]
    if _is_lazy(va) or _is_lazy(io):
        return
    total = va + io.sum("input", skipna=False)
    bad = np.abs(total - 1) > SHARE_TOL
    if bad.any():
        raise ShareError(
            f"'value_added_share' (γ[j,n]) plus the 'input_share' (γ[j',j,n]) summed over "
            f"'input' must equal one for every industry (constant returns), but the sum is "
            f"{float(total.where(bad).max()):.8g} (largest) at {_cells(total, bad)}. "
            f"Rescale the input shares so that each column sums to 1 - value_added_share."
        )
