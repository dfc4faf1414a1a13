"""Inputs that used to give a wrong answer or an unhelpful message (issue #13): every entry
point refuses them with the error that names the real fault."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc import (
    DimensionError,
    DistanceMatrixError,
    InconsistentDataError,
    NegativeValueError,
    NonFiniteValueError,
    SchemaError,
    ShareError,
)
from spatialocc.paper import TAU
from tests.conftest import raise_if_dask_computes


@pytest.fixture(scope="module")
def both_years(small_model: xr.Dataset) -> xr.Dataset:
    """The 12-city economy of both years with the paper's externalities."""
    return spatialocc.with_externalities(small_model, **TAU)


def _shares_times(model: xr.Dataset, factor: float) -> xr.Dataset:
    return model.assign(consumption_share=model["consumption_share"] * factor)


def _validate_error(model: xr.Dataset) -> str:
    with pytest.raises(ShareError) as info:
        spatialocc.validate(model, kind="model")
    return str(info.value)


# -- every solver validates its input as a model ----------------------------------------------


SOLVERS = {
    "solve_equilibrium": lambda m: spatialocc.solve_equilibrium(m.sel(year=2015)),
    "solve_optimal": lambda m: spatialocc.solve_optimal(m.sel(year=2015)),
    "decompose": lambda m: spatialocc.decompose(m, scheduler="synchronous"),
}


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_solvers_refuse_consumption_shares_that_do_not_sum_to_one(
    both_years: xr.Dataset, solver: str
) -> None:
    """The shares summing to 1.2 once gave converged=True with a labor-market residual of
    0.09: the solvers raise the ShareError that validate raises."""
    broken = _shares_times(both_years, 1.2)
    expected = _validate_error(broken.sel(year=2015) if solver != "decompose" else broken)
    with pytest.raises(ShareError, match=re.escape(expected)):
        SOLVERS[solver](broken)


# -- dask-backed input gets the errors of in-memory input --------------------------------------


def _asymmetric_distance(ds: xr.Dataset) -> xr.Dataset:
    distance = ds["distance"].copy()
    distance[0, 1] = distance[0, 1] * 2
    return ds.assign(distance=distance)


def _nan_wage(ds: xr.Dataset) -> xr.Dataset:
    wage = ds["wage"].copy()
    wage.loc[{"year": 2015}] = wage.sel(year=2015).where(wage["city"] != wage["city"][2])
    return ds.assign(wage=wage)


def _negative_employment(ds: xr.Dataset) -> xr.Dataset:
    employment = ds["employment"].copy()
    employment[-1, 0, 1, 3] = -5.0
    return ds.assign(employment=employment)


def _input_shares_times_one_and_a_half(ds: xr.Dataset) -> xr.Dataset:
    return ds.assign(input_share=ds["input_share"] * 1.5)


FAULTS: dict[str, tuple[Callable[[xr.Dataset], xr.Dataset], type[SchemaError]]] = {
    "asymmetric distance": (_asymmetric_distance, DistanceMatrixError),
    "NaN wage": (_nan_wage, NonFiniteValueError),
    "negative employment": (_negative_employment, NegativeValueError),
    "input shares x1.5": (_input_shares_times_one_and_a_half, ShareError),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_lazy_data_gets_the_errors_of_eager_data(tmp_path: Path, fault: str) -> None:
    """Read with chunks, these faults were inverted without complaint or reported as land
    income or tradable consumption shares: the inversion raises what validate raises on the
    data in memory, exception class and message, when the result is computed."""
    breaker, cls = FAULTS[fault]
    data = breaker(spatialocc.datasets.synthetic(n_cities=6, n_industries=4, seed=0))
    with pytest.raises(SchemaError) as eager:
        spatialocc.invert(data)
    assert eager.type is cls
    path = spatialocc.to_netcdf(data, tmp_path / "data.nc", validate_schema=False)
    with raise_if_dask_computes():
        opened = spatialocc.open_dataset(path, kind="data", chunks={"year": 1})
        lazy = spatialocc.invert(opened)
    with pytest.raises(SchemaError) as computed:
        lazy.compute()
    assert computed.type is cls
    assert str(computed.value) == str(eager.value)


def test_lazy_model_gets_the_errors_of_an_eager_model(both_years: xr.Dataset) -> None:
    broken = _shares_times(both_years, 1.2)
    with pytest.raises(ShareError) as eager:
        spatialocc.solve_equilibrium(broken)
    with raise_if_dask_computes():
        lazy = spatialocc.solve_equilibrium(broken.chunk({"year": 1}))
    with pytest.raises(ShareError) as computed:
        lazy.compute()
    assert str(computed.value) == str(eager.value)


# -- a given tradable consumption share is not discarded silently ------------------------------


def test_a_given_tradable_consumption_share_is_replaced_with_a_warning() -> None:
    """0.275 for each tradable (the shares summing to 1.52) was silently replaced by the
    calibrated values: invert still calibrates them, and says that it discards the input."""
    data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,), seed=0)
    given = data["consumption_share"].where(~data["tradable"], 0.275)
    tradables = data["industry"].values[data["tradable"].values].tolist()
    with pytest.warns(spatialocc.CalibrationWarning) as record:
        model = spatialocc.invert(data.assign(consumption_share=given))
    message = str(record[0].message)
    for fragment in [repr(t) for t in tradables] + ["0.275", "discarded", "NaN"]:
        assert fragment in message, (fragment, message)
    xr.testing.assert_allclose(
        model["consumption_share"], spatialocc.invert(data)["consumption_share"]
    )


def test_nan_tradable_consumption_shares_invert_without_a_warning() -> None:
    data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,), seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", spatialocc.CalibrationWarning)
        spatialocc.invert(data)


# -- float32 ------------------------------------------------------------------------------------


def _float32(ds: xr.Dataset) -> xr.Dataset:
    return ds.assign({n: v.astype("float32") for n, v in ds.data_vars.items() if v.dtype == float})


def _float64(ds: xr.Dataset) -> xr.Dataset:
    return ds.assign({n: v.astype(float) for n, v in ds.data_vars.items() if v.dtype == "float32"})


def test_float32_data_are_inverted_in_double_precision() -> None:
    """float32 data failed Walras' law by 1e-7: they are computed in float64."""
    data = _float32(spatialocc.datasets.synthetic(n_cities=12, n_industries=6, seed=3))
    model = spatialocc.invert(data)
    expected = spatialocc.invert(_float64(data))
    assert model["productivity"].dtype == float
    xr.testing.assert_allclose(model, expected, rtol=1e-12)


def test_float32_model_is_solved_in_double_precision(both_years: xr.Dataset) -> None:
    model = _float32(both_years.sel(year=2015))
    solution = spatialocc.solve_equilibrium(model)
    assert bool(solution["converged"]) and solution["wage"].dtype == float
    expected = spatialocc.solve_equilibrium(_float64(model))
    xr.testing.assert_allclose(solution["wage"], expected["wage"], rtol=1e-12)


# -- values near overflow -------------------------------------------------------------------------


def _times(name: str, factor: float) -> Callable[[xr.Dataset], xr.Dataset]:
    return lambda ds: ds.assign({name: ds[name] * factor})


@pytest.mark.parametrize(
    ("name", "first_cell"),
    [
        ("wage", "(year=1980, occupation='CNR', city="),
        ("employment", "(year=1980, occupation='CNR', industry="),
        ("distance", "(city="),
    ],
)
def test_values_near_overflow_are_one_error_naming_the_variable(name: str, first_cell: str) -> None:
    """x1e300 gave overflow RuntimeWarnings and then a real-estate message or NaN
    productivity: one SchemaError names the variable and the first offending cells."""
    data = _times(name, 1e300)(spatialocc.datasets.synthetic(n_cities=6, n_industries=4, seed=0))
    with pytest.raises(SchemaError) as info:
        spatialocc.invert(data)
    assert info.type is SchemaError
    message = str(info.value)
    assert message.startswith(f"'{name}'") and "too large" in message and "1e+100" in message
    assert first_cell in message and "more)" in message


def test_a_single_huge_wage_names_its_city() -> None:
    data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, seed=0)
    wage = data["wage"].copy()
    city = str(wage["city"].values[3])
    wage.loc[{"year": 2015, "occupation": "nonCNR", "city": city}] = 1e300
    with pytest.raises(SchemaError, match="too large") as info:
        spatialocc.invert(data.assign(wage=wage))
    assert f"at (year=2015, occupation='nonCNR', city={city!r}). " in str(info.value)


def test_a_model_with_huge_wages_is_refused_by_the_solvers(both_years: xr.Dataset) -> None:
    model = _times("wage", 1e300)(both_years.sel(year=2015))
    with pytest.raises(SchemaError, match=r"'wage' .* too large"):
        spatialocc.solve_equilibrium(model)


# -- economies the model cannot describe -----------------------------------------------------------


def _no_tradable_industry(ds: xr.Dataset) -> xr.Dataset:
    """Every industry non-tradable, with the prices, elasticities and shares that requires."""
    tradable = ds["tradable"]
    alpha = ds["consumption_share"]
    rest = (1 - alpha.sum("industry")) / int(tradable.sum())
    return ds.assign_coords(tradable=tradable & False).assign(
        price_nontradable=ds["price_nontradable"].fillna(1.0),
        trade_cost_elasticity=ds["trade_cost_elasticity"] * np.nan,
        consumption_share=alpha.where(~tradable, rest),
    )


def test_an_economy_without_a_tradable_industry_is_refused() -> None:
    """It failed with "real-estate value added does not exceed its wage bill", whose advice
    does not help: the model needs a tradable industry."""
    data = _no_tradable_industry(spatialocc.datasets.synthetic(n_cities=6, n_industries=4))
    spatialocc.validate(data, kind="data")
    with pytest.raises(InconsistentDataError, match="at least one tradable industry") as info:
        spatialocc.invert(data)
    assert "assign_coords(tradable=" in str(info.value)


def test_an_economy_without_cities_is_refused() -> None:
    """It failed with a raw IndexError."""
    data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4)
    empty = data.isel(city=[], origin=[])
    with pytest.raises(DimensionError, match="'city' is empty") as info:
        spatialocc.invert(empty)
    assert "at least one" in str(info.value)
    model = spatialocc.invert(data).sel(year=2015)
    with pytest.raises(DimensionError, match="'city' is empty"):
        spatialocc.solve_equilibrium(model.isel(city=[], origin=[]))


def test_a_single_city_is_refused_by_the_inversion() -> None:
    data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4)
    one = data.isel(city=[0], origin=[0])
    city = str(one["city"].values[0])
    with pytest.raises(DimensionError, match="at least two cities") as info:
        spatialocc.invert(one)
    assert repr(city) in str(info.value)
