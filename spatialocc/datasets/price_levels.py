"""Price levels of the bundled datasets' years: the ``price_level`` variable on ``year``.

The US dataset's wages are nominal dollars of their year; its ``price_level`` is the CPI-U
annual average (BLS series CUUR0000SA0, all items, U.S. city average, 1982-84 = 100), so that
:func:`spatialocc.invert` can put both years in one year's dollars. The synthetic economy is
generated in constant dollars: its price level is 1 in every year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import xarray as xr

#: CPI-U annual averages by year (BLS series CUUR0000SA0, not seasonally adjusted).
CPI_U: Mapping[int, float] = {1980: 82.4, 2015: 237.017}

#: Where :data:`CPI_U` comes from, as the ``source`` attribute of ``price_level``.
CPI_U_SOURCE = (
    "BLS Consumer Price Index for All Urban Consumers (CPI-U), series CUUR0000SA0 (all items, "
    "U.S. city average, 1982-84=100, not seasonally adjusted), annual averages; 2015 (the "
    "2011-2015 window) uses the 2015 annual average, like the window's dollars"
)


def cpi_u(years: Sequence[int]) -> xr.DataArray:
    """``price_level`` of the US dataset: the CPI-U annual average of each year.

    Examples
    --------
    >>> cpi_u([1980, 2015]).values.tolist()
    [82.4, 237.017]
    """
    missing = [int(y) for y in years if int(y) not in CPI_U]
    if missing:
        raise KeyError(
            f"no CPI-U annual average is recorded for {missing}; the recorded years are "
            f"{sorted(CPI_U)} (add them to spatialocc.datasets.price_levels.CPI_U)"
        )
    return xr.DataArray(
        [CPI_U[int(y)] for y in years],
        dims="year",
        coords={"year": [int(y) for y in years]},
        attrs={"source": CPI_U_SOURCE, "observed": "true"},
    )


def constant(years: Sequence[int]) -> xr.DataArray:
    """``price_level`` of data generated in constant dollars: 1 in every year.

    Examples
    --------
    >>> constant([1980, 2000]).values.tolist()
    [1.0, 1.0]
    """
    return xr.DataArray(
        [1.0] * len(years),
        dims="year",
        coords={"year": [int(y) for y in years]},
        attrs={"source": "constant dollars: the synthetic economy has no inflation"},
    )
