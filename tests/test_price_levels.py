"""Each year's price level, and the inversion of every year in one year's dollars."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc.datasets.loaders import load
from spatialocc.dims.currency import in_dollars_of, nominal_power, nominal_variables
from spatialocc.dims.schema import VARIABLES

#: CPI-U annual averages, BLS series CUUR0000SA0 (typed from the BLS tables).
CPI_1980, CPI_2015 = 82.4, 237.017


@pytest.fixture(scope="module")
def priced() -> xr.Dataset:
    data = spatialocc.datasets.synthetic(n_cities=8, n_industries=5, seed=2)
    return data.assign(price_level=("year", [CPI_1980, CPI_2015]))


def test_schema_declares_the_price_level() -> None:
    entry = VARIABLES["price_level"]
    assert entry.units == "index" and entry.role == "data"
    assert "price level" in entry.long_name
    assert not entry.required  # data without price levels stay valid


def test_us_data_carry_the_cpi_u() -> None:
    us = load("us")
    level = us["price_level"]
    assert level.dims == ("year",)
    assert level.sel(year=1980).item() == CPI_1980
    assert level.sel(year=2015).item() == CPI_2015
    assert "CUUR0000SA0" in level.attrs["source"] and level.attrs["observed"] == "true"
    assert level.attrs["units"] == "index"
    assert "CUUR0000SA0" in us.attrs["currency"]
    assert "price_level" in us.attrs["observed_variables"]


def test_synthetic_data_are_in_constant_dollars() -> None:
    data = spatialocc.datasets.synthetic(n_cities=4, n_industries=3, years=(1980, 2000, 2015))
    assert data["price_level"].values.tolist() == [1.0, 1.0, 1.0]
    assert data["price_level"].dims == ("year",)


def test_invert_puts_every_year_in_the_latest_dollars(priced: xr.Dataset) -> None:
    model = spatialocc.invert(priced)
    ratio = CPI_2015 / CPI_1980
    np.testing.assert_allclose(
        model["wage"].sel(year=1980), priced["wage"].sel(year=1980) * ratio, rtol=1e-15
    )
    np.testing.assert_array_equal(model["wage"].sel(year=2015), priced["wage"].sel(year=2015))
    np.testing.assert_array_equal(model["price_level"], [CPI_2015, CPI_2015])
    assert model.attrs["dollars_of"] == 2015
    # the 1980 calibration is the one of the 1980 data with wages measured in 2015 dollars
    by_hand = priced.sel(year=[1980]).drop_vars("price_level")
    by_hand = spatialocc.invert(by_hand.assign(wage=by_hand["wage"] * ratio))
    for name in ("productivity", "land", "welfare", "consumption", "amenity", "rent_rate"):
        xr.testing.assert_allclose(model[name].sel(year=[1980]), by_hand[name], rtol=1e-12, atol=0)
    # and the 2015 calibration is untouched
    alone = spatialocc.invert(priced.sel(year=[2015]))
    xr.testing.assert_allclose(model["welfare"].sel(year=[2015]), alone["welfare"], rtol=1e-14)


def test_invert_in_the_dollars_of_another_year(priced: xr.Dataset) -> None:
    model = spatialocc.invert(priced, dollars_of=1980)
    np.testing.assert_allclose(
        model["wage"].sel(year=2015),
        priced["wage"].sel(year=2015) * CPI_1980 / CPI_2015,
        rtol=1e-15,
    )
    np.testing.assert_array_equal(model["wage"].sel(year=1980), priced["wage"].sel(year=1980))
    np.testing.assert_array_equal(model["price_level"], [CPI_1980, CPI_1980])


def test_without_price_levels_each_year_keeps_its_dollars(priced: xr.Dataset) -> None:
    bare = priced.drop_vars("price_level")
    model = spatialocc.invert(bare)
    xr.testing.assert_identical(model["wage"], bare["wage"])
    assert "dollars_of" not in model.attrs


def test_bad_price_levels(priced: xr.Dataset) -> None:
    with pytest.raises(KeyError, match="1990"):
        spatialocc.invert(priced, dollars_of=1990)
    with pytest.raises(spatialocc.MissingVariableError, match="price_level"):
        spatialocc.invert(priced.drop_vars("price_level"), dollars_of=2015)
    with pytest.raises(spatialocc.SchemaError, match="price_level"):
        spatialocc.invert(priced.assign(price_level=("year", [CPI_1980, -1.0])))
    with pytest.raises(spatialocc.SchemaError, match="price_level"):
        spatialocc.invert(priced.assign(price_level=("year", [CPI_1980, np.nan])))
    with pytest.raises(spatialocc.DimensionError, match="'year' dimension"):
        in_dollars_of(priced.sel(year=2015), 2015)


def test_nominal_units() -> None:
    assert nominal_power("dollars") == 1
    assert nominal_power("dollars deflated by the price index") == 1
    assert nominal_power("1/(dollars deflated by the price index)") == -1
    assert nominal_power("index") == 0 and nominal_power("1") == 0


def test_every_nominal_variable_is_converted(priced: xr.Dataset) -> None:
    """Variables in dollars (by their units attribute) scale with the price ratio, those in
    1/dollars against it; variables common to all years are left alone."""
    data = priced.assign(
        income=priced["wage"] * 2.0,
        scale=(("year",), [0.5, 0.25], {"units": "1/(dollars deflated by the price index)"}),
        national=((), 3.0, {"units": "dollars"}),
    )
    data["income"].attrs["units"] = "dollars"
    before = data.copy(deep=True)
    assert nominal_variables(data) == {"wage": 1, "income": 1, "scale": -1, "national": 1}
    out = in_dollars_of(data)
    ratio = CPI_2015 / CPI_1980
    assert out["scale"].values.tolist() == pytest.approx([0.5 / ratio, 0.25], rel=1e-15)
    np.testing.assert_allclose(out["income"], 2.0 * out["wage"], rtol=1e-15)
    assert float(out["national"]) == 3.0
    assert out["income"].attrs["units"] == "dollars"
    xr.testing.assert_identical(data, before)  # the input is not modified
