"""Check a Dataset against the schema (``spatialocc.validate``)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Mapping
from typing import Literal

import dask
import numpy as np
import xarray as xr
from dask.graph_manipulation import bind

from spatialocc.dims.errors import (
    MAX_LABELS,
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

#: The largest magnitude of a "bounded" variable (wages, employment, prices, distances). The
#: kernels multiply and sum such values (wage bills w*L over every cell, incomes, spending);
#: products of two values up to 1e100, summed over any number of cells, stay far below the
#: double-precision overflow at 1.8e308, and no currency or count comes near the bound.
MAX_MAGNITUDE = 1e100


def validate(ds: xr.Dataset, kind: Kind | None = None) -> xr.Dataset:
    """Check ``ds`` against the spatialocc schema and return it unchanged.

    Parameters
    ----------
    ds
        The Dataset to check.
    kind
        ``"data"``: the input of :func:`spatialocc.invert` (observed data and parameters);
        ``"model"``: a calibrated model as returned by ``invert``; ``None``: check only the
        variables present. Both kinds describe an economy: no core dimension may be empty.

    Raises
    ------
    SchemaError
        A subclass naming the variable, the offending labels and the fix:
        :class:`MissingVariableError`, :class:`DimensionError`,
        :class:`CoordinateMismatchError`, :class:`DuplicateLabelError`,
        :class:`NonFiniteValueError`, :class:`NegativeValueError`, :class:`ShareError`,
        :class:`DistanceMatrixError`; :class:`SchemaError` itself for a parameter outside
        its range (ν <= 1, ε = 1), a wage, employment, price or distance beyond
        :data:`MAX_MAGNITUDE` (1e100, near overflow), a coordinate out of its range
        (``lat``, ``lon``, ``division``) and a variable or coordinate of the wrong type.
    ValueError
        ``kind`` is not one of the accepted values.
    TypeError
        ``ds`` is not an ``xarray.Dataset``.

    Notes
    -----
    Value checks run on in-memory arrays; for dask-backed variables only the structure is
    checked here (no computation is triggered). In-memory variables whose checks need a
    dask-backed ``tradable`` coordinate are skipped for the same reason. :func:`spatialocc.invert`
    and the solvers check the values of dask-backed input when their result is computed,
    with the errors that in-memory input gets (:func:`checked_values`).

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=5, n_industries=4, years=(2015,))
    >>> spatialocc.validate(data, kind="data") is data
    True
    """
    check_structure(ds, kind)
    return check_values(ds, kind)


def check_structure(ds: xr.Dataset, kind: Kind | None = None, *, require: bool = True) -> None:
    """The structural half of :func:`validate`: dimensions, labels, no empty core dimension
    and the required variables of a ``kind`` (unless ``require`` is False: a solver names the
    variables it reads itself), dimensions of each variable and coordinate. Reads no values
    of dask-backed variables."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} or None, got {kind!r}")
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"expected an xarray.Dataset, got {type(ds).__name__}")
    _check_dimension_names(ds)
    _check_labels(ds)
    if kind is not None:
        _check_not_empty(ds, kind)
    if require:
        _check_required(ds, kind)
    for name in ds.variables:
        if name in VARIABLES:
            _check_variable_dims(ds, VARIABLES[name])
        elif name in COORDINATES:
            _check_coordinate(ds, name)


def check_values(ds: xr.Dataset, kind: Kind | None = None) -> xr.Dataset:
    """The value half of :func:`validate` on the in-memory variables; returns ``ds``."""
    lazy_tradable = "tradable" in ds.coords and _is_lazy(ds["tradable"])
    for name in ds.data_vars:
        if name not in VARIABLES or _is_lazy(ds[name]):
            continue
        if lazy_tradable and _uses_tradable(VARIABLES[name], ds[name]):
            continue  # checking it would compute the dask-backed 'tradable' mask
        _check_values(ds, VARIABLES[name], kind)
    if "value_added_share" in ds and "input_share" in ds:
        _check_cost_shares(ds)
    return ds


def checked_values(
    ds: xr.Dataset, kind: Kind | None, *, names: Collection[str] | None = None
) -> xr.Dataset:
    """:func:`check_values` of ``ds`` (its variables ``names``, default all): now for what is
    in memory and, for dask-backed input, as part of the computation.

    Returns ``ds`` with every dask-backed variable and coordinate bound to one task that
    checks the values of the whole Dataset, so that nothing computed from them exists before
    the check has passed and a fault raises exactly the error (class and message) that the
    same Dataset in memory raises. Building the result computes nothing. The check sees every
    chunk at once, as an in-memory check would; it holds the checked variables in memory once.
    """
    subset = ds if names is None else ds[[n for n in names if n in ds.data_vars]]
    check_values(subset, kind)
    if not any(_is_lazy(v) for v in subset.variables.values()):
        return ds
    verdict = dask.delayed(_checked_in_memory, pure=True)(subset, kind)
    return bind(ds, verdict)


def _checked_in_memory(ds: xr.Dataset, kind: Kind | None) -> bool:
    check_values(ds, kind)
    return True


# -- structure ---------------------------------------------------------------------------------


def _check_dimension_names(ds: xr.Dataset) -> None:
    known = sorted(DIMENSIONS)
    for dim in ds.dims:
        if dim in DIMENSIONS:
            continue
        match = _guess_dimension(str(dim))
        if match:
            raise DimensionError(
                f"dimension {dim!r} is not a spatialocc dimension; it looks like a misnamed "
                f"{match!r}. Rename it: ds.rename({{{dim!r}: {match!r}}}). "
                f"Known dimensions: {known}; any other name is treated as a batch dimension."
            )


def _guess_dimension(dim: str) -> str | None:
    """The schema dimension that ``dim`` is probably a misspelling or plural of, if any."""
    name = dim.lower()
    candidates = [name]
    if name.endswith("ies"):
        candidates.append(name[:-3] + "y")  # cities -> city, industries -> industry
    if name.endswith("s"):
        candidates.append(name[:-1])  # years -> year, origins -> origin
    for candidate in candidates:
        if candidate in DIMENSIONS:
            return candidate
    for candidate in candidates:
        match = difflib.get_close_matches(candidate, sorted(DIMENSIONS), n=1, cutoff=0.75)
        if match:
            return match[0]
    return None


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
        if expected == "str":
            ok = kind in "US" or (kind == "O" and all(isinstance(x, str) for x in index))
        else:
            ok = kind in "iu"
        if not ok:
            raise DimensionError(
                f"coordinate {dim!r} should hold {expected} labels but has dtype "
                f"{ds[dim].dtype} (labels {format_labels(index[:MAX_LABELS], len(index))}); "
                f"convert it, e.g. ds.assign_coords({dim}=ds[{dim!r}].astype({expected!r}))"
                + (
                    f" and the same for {format_labels(_partners(dim))}"
                    if _partners(dim) and all(p in ds.dims for p in _partners(dim))
                    else ""
                )
                + "."
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
                    f"labels only in {partner!r}: {format_labels(only_a) or 'none'}; "
                    f"labels only in {dim!r}: {format_labels(only_b) or 'none'}"
                )
                fix = (
                    f"Keep the common labels (ds.sel({partner}=common, {dim}=common)) or, if "
                    f"the labels only differ in spelling and the order is the same, relabel: "
                    f"ds.assign_coords({dim}=ds[{partner!r}].values)."
                )
            else:
                first = next(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)
                detail = (
                    f"same labels in a different order; position {first} is "
                    f"{format_labels([a[first]])} in {partner!r} but "
                    f"{format_labels([b[first]])} in {dim!r}"
                )
                fix = f"Reorder it: ds.reindex({dim}=ds[{partner!r}].values)."
            raise CoordinateMismatchError(
                f"coordinates {partner!r} and {dim!r} must hold the same labels in the same "
                f"order ({detail}). {fix}"
            )


def _check_not_empty(ds: xr.Dataset, kind: str) -> None:
    """A 'data' or 'model' Dataset describes an economy: no core dimension may be empty."""
    for dim in ds.dims:
        if dim in CORE_DIMS and ds.sizes[dim] == 0:
            raise DimensionError(
                f"dimension {dim!r} is empty (length 0), but a {kind!r} Dataset describes an "
                f"economy and needs at least one {DIMENSIONS[dim].long_name}. Check the "
                f"selection that built it (labels passed to ds.sel that are not in {dim!r} "
                f"select nothing)."
            )


def _partners(dim: str) -> list[str]:
    """Dimensions that must carry the same labels as ``dim`` (``city`` <-> ``origin``)."""
    own = DIMENSIONS[dim].same_labels_as if dim in DIMENSIONS else None
    return [
        name
        for name, d in DIMENSIONS.items()
        if name != dim and (name == own or d.same_labels_as == dim)
    ]


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
        industries = (
            f" {format_labels(ds.indexes['industry'], len(ds.indexes['industry']))}"
            if "industry" in ds.indexes
            else ""
        )
        raise MissingVariableError(
            f"a {kind!r} Dataset needs the coordinates {format_labels(missing_coords)}, which "
            f"are missing; e.g. ds.assign_coords(tradable=('industry', [True, ..., False])) "
            f"with one bool per industry{industries}."
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
                f"coordinate {name!r} ({coord.long_name}) must lie in [{lo}, {hi}] "
                f"({coord.units}), but is out of range at {_cells(da, bad)}. "
                + _RANGE_HINTS.get(name, "Check the input.")
            )


_RANGE_HINTS = {
    "lat": "Check that latitude and longitude are not swapped and are in decimal degrees.",
    "lon": "Check that latitude and longitude are not swapped and are in decimal degrees "
    "(west of Greenwich is negative, not 180-360).",
    "division": "Census divisions are numbered 1 (New England) to 9 (Pacific); see "
    "spatialocc.datasets.geography.census_division.",
}


# -- chunks ------------------------------------------------------------------------------------


def check_core_chunks(variables: Mapping[str, xr.DataArray], *, needed_by: str) -> None:
    """Refuse dask-chunked core dimensions: a kernel sees each batch element whole.

    Raises :class:`DimensionError` naming the variable and printing the ``.chunk({...: -1})``
    call that fixes it; ``needed_by`` names the computation in the message.
    """
    for name, da in variables.items():
        split = [d for d, c in (da.chunksizes or {}).items() if d in CORE_DIMS and len(c) > 1]
        if split:
            spec = ", ".join(f"{d!r}: -1" for d in split)
            raise DimensionError(
                f"variable {name!r} is chunked along the core dimensions {split}; {needed_by} "
                f"needs each core dimension in one chunk. Rechunk with ds.chunk({{{spec}}}) "
                f"and chunk only batch dimensions such as 'year'."
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
    for row in idx[:MAX_LABELS]:
        cell = []
        for dim, i in zip(da.dims, row, strict=True):
            value = da[dim].values[i] if dim in da.coords else int(i)
            cell.append(value.item() if isinstance(value, np.generic) else value)
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
    return ds["tradable"].reset_coords(drop=True).astype(bool)


def _found(da: xr.DataArray, bad: xr.DataArray) -> str:
    """`` at (dim=label, ...)`` for the offending cells, or `` (found 1.0)`` for a scalar."""
    if da.ndim == 0:
        return f" (found {da.values.item()!r})"
    return f" at {_cells(da, bad)}"


def _uses_tradable(var: Variable, da: xr.DataArray) -> bool:
    """Whether the value checks of ``var`` need the ``tradable`` mask."""
    return "industry" in da.dims and any(c.startswith("nan_") for c in var.check)


_PARAMETER_HINTS = {
    "nu": "The Fréchet shape must exceed 1 for expected utility, Γ((ν-1)/ν) times the "
    "location sum, to be finite; the paper uses ν = 2.02.",
}


#: Interval checks: a function flagging the values outside, and the interval's notation.
_INTERVALS: dict[str, tuple[Callable[[xr.DataArray], xr.DataArray], str]] = {
    "unit_interval": (lambda x: (x < 0) | (x > 1), "[0, 1]"),
    "unit_interval_open": (lambda x: (x <= 0) | (x >= 1), "(0, 1)"),
    "unit_interval_left_open": (lambda x: (x <= 0) | (x > 1), "(0, 1]"),
    "half_open_unit": (lambda x: (x < 0) | (x >= 1), "[0, 1)"),
}


def _check_values(ds: xr.Dataset, var: Variable, kind: str | None) -> None:
    da = ds[var.name].reset_coords(drop=True)  # labels only: faster arithmetic
    if var.dtype == "bool":
        return
    checks = set(var.check)
    name = f"{var.name!r} ({var.symbol})"
    units = f" ({var.units})" if var.units != "1" else ""

    # Where may the value be NaN?
    nan_ok: xr.DataArray | None = None  # where NaN is allowed (None: nowhere)
    nan_required = None
    nan_note = ""
    if "nan_for_tradables" in checks:
        nan_required = _tradable_mask(ds, da)
        nan_note = " (only tradable industries may be NaN)"
    if "nan_for_nontradables" in checks:
        mask = _tradable_mask(ds, da)
        nan_required = None if mask is None else ~mask
        nan_note = " (only non-tradable industries may be NaN)"
    if "nan_allowed_for_tradables:data" in checks:
        mask = _tradable_mask(ds, da)
        if kind != "model" and mask is not None:
            nan_ok = mask
            nan_note = " (NaN is allowed only for tradable industries, which invert calibrates)"
        elif mask is not None:
            nan_note = (
                " (a 'model' Dataset needs every value; NaN for tradable industries is allowed "
                "only in 'data', before invert calibrates them)"
            )
    if nan_required is not None:
        nan_ok = nan_required if nan_ok is None else nan_ok | nan_required
        missing_nan = nan_required & da.notnull()
        if missing_nan.any():
            if "nan_for_tradables" in checks:
                defined, undefined, keep = "non-tradable", "tradable", "~ds['tradable']"
            else:
                defined, undefined, keep = "tradable", "non-tradable", "ds['tradable']"
            raise NonFiniteValueError(
                f"{name} is defined only for {defined} industries and must be NaN for "
                f"{undefined} industries, but has values at {_cells(da, missing_nan)}. "
                f"Set them to NaN: ds[{var.name!r}] = ds[{var.name!r}].where({keep})."
            )
    nonfinite = ~np.isfinite(da)
    if nan_ok is not None:
        nonfinite = nonfinite & ~(da.isnull() & nan_ok)
    if "inf_allowed" in checks:
        nonfinite = nonfinite & ~(np.isposinf(da))
    if nonfinite.any():
        raise NonFiniteValueError(
            f"{name} has NaN or infinite values{_found(da, nonfinite)}{nan_note}. Every value "
            f"there must be a finite number; fill or drop the cells (a city-industry with no "
            f"workers has employment 0, not NaN)."
        )
    valid = da  # comparisons with NaN are False: allowed NaNs never fail the checks below
    if "bounded" in checks:
        bad = np.abs(valid) > MAX_MAGNITUDE
        if bad.any():
            raise SchemaError(
                f"{name} is too large to compute with: its magnitude must be at most "
                f"{MAX_MAGNITUDE:g}{units}, but exceeds it{_found(da, bad)}. Products and sums "
                f"of such values overflow double precision; check the units and the cells "
                f"named (a unit prefix or a scaling applied twice)."
            )
    if "greater_than_one" in checks:
        bad = valid <= 1
        if bad.any():
            raise SchemaError(
                f"{name} must be greater than 1, but is 1 or less{_found(da, bad)}. "
                + _PARAMETER_HINTS.get(var.name, "Check the parameter.")
            )
    if "positive" in checks:
        bad = valid <= 0
        if bad.any():
            err = DistanceMatrixError if var.name == "distance" else NegativeValueError
            raise err(
                f"{name} must be strictly positive{units}, but is zero or negative"
                f"{_found(da, bad)}."
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
                f"{name} must be nonnegative{units}, but is negative{_found(da, bad)}. "
                f"Check the sign and the units of the input."
            )
    if "not_one" in checks:
        bad = valid == 1
        if bad.any():
            raise SchemaError(
                f"{name} must differ from 1, but equals 1{_found(da, bad)}: that is the "
                f"Cobb-Douglas limit, which this CES form does not cover; use a value such as "
                f"1.0001 or 2."
            )
    for check, (outside, interval) in _INTERVALS.items():
        if check not in checks:
            continue
        bad = outside(valid)
        if bad.any():
            raise ShareError(
                f"{name} is a share and must lie in {interval}, but lies outside"
                f"{_found(da, bad)}. Shares are fractions, not percentages."
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
                    f"{name} must sum to one over {dim!r}, but the sum is "
                    f"{_worst_sum(total):.8g}"
                    + (
                        ""
                        if total.ndim == 0
                        else f" (the largest deviation) at {_cells(total, bad)}"
                    )
                    + f". Rescale it: ds[{var.name!r}] / ds[{var.name!r}].sum({dim!r})."
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


def _worst_sum(total: xr.DataArray) -> float:
    """The sum farthest from one."""
    values = np.asarray(total.values, dtype=float).ravel()
    return float(values[np.nanargmax(np.abs(values - 1))])


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
