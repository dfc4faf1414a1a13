"""The schema of the NetCDF exchange format, loaded from ``schema.toml``.

Every reader, writer, validator and solver takes names, dimensions, units and value checks
from here; nothing else in the package spells them out again.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

import numpy as np
import xarray as xr

Role = Literal["data", "parameter", "fundamental", "outcome", "instrument", "diagnostic"]

#: Canonical order of the core axes in numpy kernels (STYLE.md, point 1).
CORE_AXIS_ORDER: tuple[str, ...] = ("occupation", "input", "industry", "city", "origin")

#: Label of the land-using non-tradable industry unless a caller names another.
REAL_ESTATE = "Real Estate"


@dataclass(frozen=True)
class Dimension:
    name: str
    long_name: str
    coordinate_dtype: str
    same_labels_as: str | None = None
    batch: bool = False


@dataclass(frozen=True)
class Coordinate:
    name: str
    dims: tuple[str, ...]
    long_name: str
    units: str
    dtype: str
    range: tuple[float, float] | None = None
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class Variable:
    name: str
    dims: tuple[str, ...]
    symbol: str
    long_name: str
    units: str
    role: Role
    optional_dims: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    check: tuple[str, ...] = field(default_factory=tuple)
    dtype: str = "float"

    @property
    def min_dims(self) -> tuple[str, ...]:
        """Core dimensions the variable must carry."""
        return tuple(d for d in self.dims if d not in self.optional_dims)

    @property
    def attrs(self) -> dict[str, str]:
        """CF-style attributes written with the variable."""
        return {"long_name": self.long_name, "units": self.units, "symbol": self.symbol}


def _load() -> tuple[dict[str, Dimension], dict[str, Coordinate], dict[str, Variable]]:
    text = resources.files("spatialocc.dims").joinpath("schema.toml").read_text("utf-8")
    table = tomllib.loads(text)
    dims = {d["name"]: Dimension(**d) for d in table["dimension"]}
    coords = {}
    for c in table["coordinate"]:
        c = dict(c, dims=tuple(c["dims"]), required=tuple(c.get("required", ())))
        if "range" in c:
            c["range"] = tuple(c["range"])
        coords[c["name"]] = Coordinate(**c)
    variables = {}
    for v in table["variable"]:
        v = dict(v)
        for key in ("dims", "optional_dims", "required", "check"):
            v[key] = tuple(v.get(key, ()))
        variables[v["name"]] = Variable(**v)
    return dims, coords, variables


DIMENSIONS, COORDINATES, VARIABLES = _load()

#: Dimensions that kernels treat as core axes; any other dimension is a batch dimension.
CORE_DIMS: frozenset[str] = frozenset(n for n, d in DIMENSIONS.items() if not d.batch)

#: Name pattern of the per-condition solver residuals.
RESIDUAL_PREFIX = "residual_"


def variables(*, role: Role | None = None, required_in: str | None = None) -> dict[str, Variable]:
    """Schema entries filtered by role and/or by the dataset kind that requires them.

    Examples
    --------
    >>> from spatialocc.dims import schema
    >>> sorted(schema.variables(role="fundamental"))
    ['amenity', 'land', 'productivity', 'productivity_exogenous']
    """
    return {
        name: v
        for name, v in VARIABLES.items()
        if (role is None or v.role == role) and (required_in is None or required_in in v.required)
    }


def kernel_dims(name: str) -> tuple[str, ...]:
    """Core dimensions of a variable as the numpy kernels produce it: the schema's layout
    without an optional ``occupation`` axis (shares and price indices are national unless a
    caller asks for them by occupation) but with an optional ``city`` axis (kernels return
    city-specific shares).

    Examples
    --------
    >>> from spatialocc.dims.schema import kernel_dims
    >>> kernel_dims("price_index"), kernel_dims("value_added_share")
    (('city',), ('industry', 'city'))
    """
    var = VARIABLES[name]
    return tuple(d for d in var.dims if not (d == "occupation" and d in var.optional_dims))


def annotate(ds: xr.Dataset) -> xr.Dataset:
    """Return a copy of ``ds`` whose known variables and coordinates carry schema attributes.

    Attributes already present are kept (a user's ``units`` wins over the schema's); missing
    ``long_name``, ``units`` and ``symbol`` are filled in. The input is not modified.

    Examples
    --------
    >>> import xarray as xr
    >>> from spatialocc.dims import annotate
    >>> ds = annotate(xr.Dataset({"theta": 10.0}))
    >>> ds["theta"].attrs["symbol"]
    'θ'
    """
    out = ds.copy(deep=False)
    for name in out.variables:
        entry: Variable | Coordinate | None = VARIABLES.get(name) or COORDINATES.get(name)
        if entry is None and name in DIMENSIONS:
            defaults = {"long_name": DIMENSIONS[name].long_name}
        elif entry is None:
            continue
        elif isinstance(entry, Variable):
            defaults = entry.attrs
        else:
            defaults = {"long_name": entry.long_name, "units": entry.units}
        var = out.variables[name]
        var.attrs = {**defaults, **var.attrs}
    return out


def double_precision(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with every floating-point variable of lower precision (float32, float16) as
    float64, lazily for dask-backed ones; the input is not modified.

    The kernels compute in double precision and check identities to about 1e-9 (Walras' law,
    shares summing to one), which float32 data miss by their rounding, 1e-7.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from spatialocc.dims.schema import double_precision
    >>> double_precision(xr.Dataset({"theta": np.float32(10.0)}))["theta"].dtype
    dtype('float64')
    """
    low = {
        name: var.astype(np.float64)
        for name, var in ds.data_vars.items()
        if var.dtype.kind == "f" and var.dtype.itemsize < 8
    }
    return ds.assign(low) if low else ds
