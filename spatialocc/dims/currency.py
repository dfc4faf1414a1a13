"""Currency units across years: every year's nominal values in one year's dollars.

Each year of a Dataset may carry its ``price_level`` P̄[t] (on the batch dimension ``year``;
the bundled US data carry the CPI-U annual averages). A variable is nominal when its units
(its own ``units`` attribute, else the schema's) are dollars: ``"dollars"`` or ``"dollars
deflated by the price index"`` (values of the year's dollars divided by the model's price
index, which is normalized within each year) scale with the currency unit, ``"1/(dollars
...)"`` scale with its inverse. :func:`in_dollars_of` multiplies the nominal variables of year
t by ``(P̄[ref] / P̄[t])`` to that power, so that all years are measured in the dollars of the
year ``ref``, and sets ``price_level`` to ``P̄[ref]`` in every year: after the conversion,
``price_level`` is still the price level of the dollars each year's values are in.
"""

from __future__ import annotations

import xarray as xr

from spatialocc.dims.errors import DimensionError, MissingVariableError, format_labels
from spatialocc.dims.schema import VARIABLES

#: The variable that carries each year's price level.
PRICE_LEVEL = "price_level"


class CurrencyWarning(UserWarning):
    """Years are compared without price levels: taken to be in the same dollars."""


def nominal_power(units: str) -> int:
    """How a quantity in ``units`` scales with the currency unit: 1 for dollars, -1 for
    1/dollars, 0 for anything else.

    Examples
    --------
    >>> nominal_power("dollars"), nominal_power("1/(dollars deflated by the price index)")
    (1, -1)
    >>> nominal_power("index"), nominal_power("workers")
    (0, 0)
    """
    text = units.strip()
    if text.startswith("dollars"):
        return 1
    if text.startswith("1/(dollars") or text.startswith("1/dollars"):
        return -1
    return 0


def nominal_variables(ds: xr.Dataset) -> dict[str, int]:
    """The data variables of ``ds`` measured in a currency, with their :func:`nominal_power`,
    from each variable's ``units`` attribute or, without one, the schema's units.

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=4, n_industries=3)
    >>> nominal_variables(data)
    {'wage': 1}
    """
    out = {}
    for name, da in ds.data_vars.items():
        units = da.attrs.get("units")
        if units is None and name in VARIABLES:
            units = VARIABLES[name].units
        power = nominal_power(str(units)) if units is not None else 0
        if power:
            out[str(name)] = power
    return out


def in_dollars_of(ds: xr.Dataset, year: int | None = None) -> xr.Dataset:
    """``ds`` with the nominal values of every year converted to the dollars of ``year``.

    Each nominal variable (see :func:`nominal_variables`) that has a ``year`` dimension is
    multiplied, year t by year t, by ``(P̄[year] / P̄[t]) ** power``, P̄ the ``price_level``;
    ``price_level`` becomes ``P̄[year]`` in every year (the price level of the dollars the
    values are now in). Nominal variables without a ``year`` dimension are common to all
    years and left as they are. The input is not modified.

    Parameters
    ----------
    ds
        A Dataset with a ``year`` dimension and a positive ``price_level`` on it.
    year
        The year whose dollars every year is expressed in; ``None``: the latest year.

    Returns
    -------
    xarray.Dataset
        The converted Dataset; its attribute ``dollars_of`` names ``year``.

    Raises
    ------
    MissingVariableError
        No ``price_level``.
    DimensionError
        No ``year`` dimension.
    KeyError
        ``year`` is not one of the Dataset's years.

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=4, n_industries=3)
    >>> data = data.assign(price_level=("year", [82.4, 237.017]))
    >>> converted = in_dollars_of(data)
    >>> ratio = converted["wage"] / data["wage"]
    >>> [round(float(r), 4) for r in ratio.isel(occupation=0, city=0)]
    [2.8764, 1.0]
    >>> converted["price_level"].values.tolist()
    [237.017, 237.017]
    """
    if PRICE_LEVEL not in ds:
        raise MissingVariableError(
            f"converting every year to one year's dollars needs a {PRICE_LEVEL!r} variable on "
            f"'year' (the price level of each year's dollars, e.g. the CPI-U annual average): "
            f"ds.assign({PRICE_LEVEL}=('year', [...]))"
        )
    if "year" not in ds.dims:
        raise DimensionError(
            f"converting to one year's dollars needs a 'year' dimension; the dimensions are "
            f"{format_labels(list(ds.dims))}"
        )
    years = ds.indexes["year"]
    if year is None:
        year = years.max()
    elif year not in years:
        raise KeyError(
            f"dollars of {year!r} were asked for, but the years are {format_labels(list(years))}"
        )
    level = ds[PRICE_LEVEL]
    reference = level.sel(year=year, drop=True)
    ratio = reference / level
    converted = {}
    for name, power in nominal_variables(ds).items():
        if name != PRICE_LEVEL and "year" in ds[name].dims:
            da = ds[name] * ratio**power
            converted[name] = da.transpose(*ds[name].dims).assign_attrs(ds[name].attrs)
    new_level = (xr.ones_like(level) * reference).transpose(*level.dims)
    converted[PRICE_LEVEL] = new_level.assign_attrs(
        {
            **level.attrs,
            "dollars_of": str(year),
            "note": f"every year's nominal values are in {year} dollars (converted with the "
            f"price levels of the data); price_level is the price level of {year} in every year",
        }
    )
    out = ds.assign(converted)
    out.attrs = {**ds.attrs, "dollars_of": int(year)}
    return out
