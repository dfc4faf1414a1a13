"""Every error ``spatialocc.validate`` raises: its class, and a message that names the variable,
the offending labels and the fix (STYLE.md, point 7).

Each test starts from a small valid synthetic Dataset, breaks exactly one thing and checks the
exact exception class plus the message fragments. Labels are read from the Dataset's
coordinates, never hard-coded.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc import (
    CoordinateMismatchError,
    DimensionError,
    DistanceMatrixError,
    DuplicateLabelError,
    MissingVariableError,
    NegativeValueError,
    NonFiniteValueError,
    SchemaError,
    ShareError,
    validate,
)
from spatialocc.dims import VARIABLES
from tests.conftest import raise_if_dask_computes

# -- fixtures and helpers -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data_template() -> xr.Dataset:
    return spatialocc.datasets.synthetic(n_cities=5, n_industries=4, years=(2015,), seed=0)


@pytest.fixture(scope="module")
def model_template(data_template: xr.Dataset) -> xr.Dataset:
    return spatialocc.invert(data_template)


@pytest.fixture
def data(data_template: xr.Dataset) -> xr.Dataset:
    """A valid kind "data" Dataset that a test may modify in place."""
    return data_template.copy(deep=True)


@pytest.fixture
def model(model_template: xr.Dataset) -> xr.Dataset:
    """A valid kind "model" Dataset that a test may modify in place."""
    return model_template.copy(deep=True)


def _all(*fragments: str) -> str:
    """A regex that matches when every fragment occurs in the message, in any order."""
    return "(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments)


def assert_schema_error(
    cls: type[Exception], ds: xr.Dataset, kind: str | None, *fragments: str
) -> Exception:
    """``validate(ds, kind)`` raises exactly ``cls`` with every fragment in its message."""
    with pytest.raises(cls, match=_all(*fragments)) as info:
        validate(ds, kind=kind)
    assert info.type is cls, f"expected exactly {cls.__name__}, got {info.type.__name__}"
    assert isinstance(info.value, ValueError)
    return info.value


def label(ds: xr.Dataset, dim: str, i: int = 0) -> object:
    """The ``i``-th label of ``dim`` as a Python object (for ``repr`` in messages)."""
    value = ds[dim].values[i]
    return value.item() if isinstance(value, np.generic) else value


def tradable(ds: xr.Dataset) -> str:
    return str(ds["industry"].values[ds["tradable"].values][0])


def nontradable(ds: xr.Dataset) -> str:
    return str(ds["industry"].values[~ds["tradable"].values][-1])


# -- the exception hierarchy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls",
    [
        MissingVariableError,
        DimensionError,
        CoordinateMismatchError,
        DuplicateLabelError,
        NonFiniteValueError,
        NegativeValueError,
        ShareError,
        DistanceMatrixError,
        spatialocc.InconsistentDataError,
    ],
)
def test_every_schema_error_is_a_value_error(cls: type[Exception]) -> None:
    assert issubclass(cls, SchemaError)
    assert issubclass(cls, ValueError)


def test_missing_variable_error_is_also_a_key_error_with_an_unquoted_message() -> None:
    err = MissingVariableError("the message")
    assert isinstance(err, KeyError)
    assert isinstance(err, ValueError)
    assert str(err) == "the message"  # a plain KeyError would add quotes


# -- valid datasets -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [None, "data"])
def test_valid_data_passes_and_is_returned_unchanged(data: xr.Dataset, kind: str | None) -> None:
    before = data.copy(deep=True)
    assert validate(data, kind=kind) is data
    xr.testing.assert_identical(data, before)


@pytest.mark.parametrize("kind", [None, "data", "model"])
def test_valid_model_passes_and_is_returned_unchanged(model: xr.Dataset, kind: str | None) -> None:
    before = model.copy(deep=True)
    assert validate(model, kind=kind) is model
    xr.testing.assert_identical(model, before)


def test_optional_core_dimensions_are_accepted(data: xr.Dataset) -> None:
    """``consumption_share`` may vary by occupation; shares may or may not vary by city."""
    data["consumption_share"] = data["consumption_share"].expand_dims(occupation=data["occupation"])
    data["value_added_share"] = data["value_added_share"].expand_dims(city=data["city"])
    assert validate(data, kind="data") is data


# -- arguments ------------------------------------------------------------------------------------


def test_unknown_kind_is_a_plain_value_error(data: xr.Dataset) -> None:
    with pytest.raises(ValueError, match=_all("kind must be one of", "'data'", "'Model'")) as info:
        validate(data, kind="Model")  # type: ignore[arg-type]
    assert info.type is ValueError


def test_not_a_dataset_is_a_type_error(data: xr.Dataset) -> None:
    with pytest.raises(TypeError, match=re.escape("expected an xarray.Dataset, got DataArray")):
        validate(data["wage"])  # type: ignore[arg-type]


# -- required variables and coordinates -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(n for n, v in VARIABLES.items() if "data" in v.required))
def test_missing_required_variable_in_data(data: xr.Dataset, name: str) -> None:
    broken = data.drop_vars(name)
    present = next(n for n in ("wage", "employment") if n != name)
    err = assert_schema_error(
        MissingVariableError,
        broken,
        "data",
        "'data' Dataset",
        repr(name),
        "Present: [",
        repr(present),
        "spatialocc.datasets.synthetic()",
    )
    assert isinstance(err, KeyError)
    present_list = str(err).split("Present: ")[1]
    assert repr(name) not in present_list


@pytest.mark.parametrize("name", ["productivity", "land_share", "amenity", "welfare"])
def test_missing_required_variable_in_model(model: xr.Dataset, name: str) -> None:
    err = assert_schema_error(
        MissingVariableError,
        model.drop_vars(name),
        "model",
        "'model' Dataset",
        repr(name),
        "Present: [",
        "'wage'",
        "spatialocc.invert(data)",
    )
    assert isinstance(err, KeyError)


def test_data_validated_as_model_lists_the_first_missing_variables(data: xr.Dataset) -> None:
    n_missing = sum("model" in v.required and n not in data for n, v in VARIABLES.items())
    assert_schema_error(
        MissingVariableError,
        data,
        "model",
        "'land_share'",
        "'productivity'",
        f"(and {n_missing - 5} more)",
        "Present: [",
        "spatialocc.invert(data)",
    )


@pytest.mark.parametrize("kind", ["data", "model"])
def test_missing_tradable_coordinate(data: xr.Dataset, model: xr.Dataset, kind: str) -> None:
    ds = data if kind == "data" else model
    err = assert_schema_error(
        MissingVariableError,
        ds.drop_vars("tradable"),
        kind,
        "'tradable'",
        repr(tradable(ds)),
        repr(nontradable(ds)),
        "ds.assign_coords(tradable=('industry',",
    )
    assert isinstance(err, KeyError)


def test_missing_tradable_coordinate_without_kind_names_the_variable_that_needs_it(
    data: xr.Dataset,
) -> None:
    assert_schema_error(
        MissingVariableError,
        data.drop_vars("tradable"),
        None,
        "'tradable'",
        "'price_nontradable'",
        "ds.assign_coords(tradable=('industry',",
    )


# -- dimensions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dim", "wrong"),
    [
        ("city", "cities"),
        ("industry", "industries"),
        ("occupation", "Occupation"),
        ("year", "years"),
        ("origin", "orign"),
    ],
)
def test_misnamed_dimension_suggests_the_schema_name(
    data: xr.Dataset, dim: str, wrong: str
) -> None:
    broken = data.rename({dim: wrong})  # dimension and its coordinate
    assert_schema_error(
        DimensionError,
        broken,
        "data",
        f"dimension {wrong!r} is not a spatialocc dimension",
        f"misnamed {dim!r}",
        f"ds.rename({{{wrong!r}: {dim!r}}})",
    )


def test_unexpected_core_dimension(data: xr.Dataset) -> None:
    data["wage"] = data["wage"].expand_dims(industry=data["industry"])
    assert_schema_error(
        DimensionError,
        data,
        "data",
        "variable 'wage'",
        "('occupation', 'city')",
        "unexpected ['industry']",
        "transpose/expand",
    )


def test_missing_core_dimension(data: xr.Dataset) -> None:
    data["wage"] = data["wage"].isel(city=0, drop=True)
    assert_schema_error(
        DimensionError,
        data,
        "data",
        "variable 'wage'",
        "but has ('year', 'occupation')",
        "missing ['city']",
        "transpose/expand",
    )


def test_scalar_parameter_with_a_core_dimension(data: xr.Dataset) -> None:
    data["theta"] = data["theta"].expand_dims(city=data["city"])
    assert_schema_error(DimensionError, data, "data", "variable 'theta'", "unexpected ['city']")


@pytest.mark.parametrize("dim", ["city", "industry", "occupation", "year"])
def test_dimension_without_coordinate_labels(data: xr.Dataset, dim: str) -> None:
    err = assert_schema_error(
        MissingVariableError,
        data.drop_vars(dim),
        "data",
        f"dimension {dim!r} has no coordinate labels",
        f"ds.assign_coords({dim}=[...])",
    )
    assert isinstance(err, KeyError)


def test_second_axis_without_first(data: xr.Dataset) -> None:
    ds = xr.Dataset(coords={"origin": data["origin"].values})
    assert_schema_error(
        MissingVariableError,
        ds,
        None,
        "dimension 'origin' is present but 'city' is not",
        "needs the 'city' axis",
    )


# -- labels ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("dim", "partner"), [("city", "origin"), ("industry", "input")])
def test_duplicate_labels(data: xr.Dataset, dim: str, partner: str) -> None:
    labels = data[dim].values.copy()
    labels[2] = labels[1]
    broken = data.assign_coords({dim: labels, partner: labels})
    assert_schema_error(
        DuplicateLabelError,
        broken,
        "data",
        f"coordinate {dim!r}",
        f"repeats the labels {label(data, dim, 1)!r}",
        "must be unique",
        "Aggregate or rename the duplicates",
    )


def test_city_origin_different_labels(data: xr.Dataset) -> None:
    origin = data["origin"].values.astype(object)
    origin[3] = "99999"
    broken = data.assign_coords(origin=origin)
    assert_schema_error(
        CoordinateMismatchError,
        broken,
        "data",
        "coordinates 'city' and 'origin' must hold the same labels",
        f"labels only in 'city': {label(data, 'city', 3)!r}",
        "labels only in 'origin': '99999'",
        "ds.sel(city=common, origin=common)",
        "ds.assign_coords(origin=ds['city'].values)",
    )


def test_city_origin_same_labels_different_order(data: xr.Dataset) -> None:
    n = data.sizes["origin"]
    broken = data.isel(origin=np.arange(n)[::-1])  # data reordered together with the labels
    assert_schema_error(
        CoordinateMismatchError,
        broken,
        "data",
        "coordinates 'city' and 'origin'",
        "same labels in a different order",
        f"position 0 is {label(data, 'city', 0)!r} in 'city' but "
        f"{label(data, 'city', n - 1)!r} in 'origin'",
        "ds.reindex(origin=ds['city'].values)",
    )
    # The suggested fix works.
    fixed = broken.reindex(origin=broken["city"].values)
    assert validate(fixed, kind="data") is fixed
    xr.testing.assert_identical(fixed, data)


def test_industry_input_mismatch(data: xr.Dataset) -> None:
    inputs = data["input"].values.astype(object)
    inputs[0] = inputs[0].upper()
    broken = data.assign_coords(input=inputs)
    assert_schema_error(
        CoordinateMismatchError,
        broken,
        "data",
        "coordinates 'industry' and 'input'",
        f"labels only in 'industry': {label(data, 'industry', 0)!r}",
        f"labels only in 'input': {inputs[0]!r}",
        "ds.assign_coords(input=ds['industry'].values)",
    )


@pytest.mark.parametrize("dtype", [np.int64, object], ids=["int", "object-int"])
def test_non_string_city_labels(data: xr.Dataset, dtype: type) -> None:
    codes = np.array([int(c) for c in data["city"].values], dtype=dtype)
    broken = data.assign_coords(city=codes, origin=codes)
    assert_schema_error(
        DimensionError,
        broken,
        "data",
        "coordinate 'city' should hold str labels",
        repr(int(codes[0])),
        "ds.assign_coords(city=ds['city'].astype('str'))",
        "the same for 'origin'",
    )


def test_non_integer_year_labels(data: xr.Dataset) -> None:
    broken = data.assign_coords(year=data["year"].astype(float))
    assert_schema_error(
        DimensionError,
        broken,
        "data",
        "coordinate 'year' should hold int labels",
        repr(float(label(data, "year"))),
        "astype('int')",
    )


# -- coordinates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value"), [("lat", 95.0), ("lat", -91.0), ("lon", 250.0)])
def test_lat_lon_out_of_range(data: xr.Dataset, name: str, value: float) -> None:
    city = label(data, "city", 2)
    broken = data.assign_coords({name: data[name].where(data["city"] != city, value)})
    assert_schema_error(
        SchemaError,
        broken,
        "data",
        f"coordinate {name!r}",
        "must lie in [",
        f"(city={city!r})",
        "not swapped",
    )


@pytest.mark.parametrize("value", [0, 10])
def test_division_out_of_range(data: xr.Dataset, value: int) -> None:
    city = label(data, "city", 4)
    broken = data.assign_coords(division=data["division"].where(data["city"] != city, value))
    assert_schema_error(
        SchemaError,
        broken,
        "data",
        "coordinate 'division'",
        "[1, 9]",
        f"(city={city!r})",
        "1 (New England) to 9 (Pacific)",
    )


@pytest.mark.parametrize(
    ("name", "convert", "expected"),
    [("division", float, "int"), ("tradable", int, "bool"), ("lat", str, "float")],
)
def test_coordinate_of_the_wrong_type(
    data: xr.Dataset, name: str, convert: type, expected: str
) -> None:
    broken = data.assign_coords({name: data[name].astype(convert)})
    assert_schema_error(
        SchemaError,
        broken,
        "data",
        f"coordinate {name!r} should be of type {expected}",
        f"ds.assign_coords({name}=ds[{name!r}].astype({expected!r}))",
    )


def test_coordinate_on_the_wrong_dimension(data: xr.Dataset) -> None:
    broken = data.assign_coords(lat=("industry", np.zeros(data.sizes["industry"])))
    assert_schema_error(
        DimensionError,
        broken,
        "data",
        "coordinate 'lat' should have the dimensions ('city',)",
        "('industry',)",
    )


def test_boolean_variable_of_the_wrong_type(data: xr.Dataset) -> None:
    data["land_grant_college"] = data["land_grant_college"].astype(float)
    assert_schema_error(
        SchemaError,
        data,
        "data",
        "variable 'land_grant_college' should be boolean",
        "float64",
        "ds['land_grant_college'].astype(bool)",
    )


# -- non-finite values ----------------------------------------------------------------------------


def test_nan_in_wage(data: xr.Dataset) -> None:
    occ, city = label(data, "occupation", 1), label(data, "city", 3)
    data["wage"].loc[{"occupation": occ, "city": city}] = np.nan
    assert_schema_error(
        NonFiniteValueError,
        data,
        "data",
        "'wage' (w[k,n])",
        "NaN or infinite",
        f"occupation={occ!r}, city={city!r}",
        "must be a finite number",
        "fill or drop the cells",
    )


def test_object_dtype_labels_are_named_in_messages(data: xr.Dataset) -> None:
    """Labels read from NetCDF variable-length strings are object arrays of ``str``."""
    codes = data["city"].values.astype(object)
    data = data.assign_coords(city=codes, origin=codes)
    assert validate(data, kind="data") is data
    city = codes[2]
    data["wage"].loc[{"city": city}] = np.nan
    assert_schema_error(NonFiniteValueError, data, "data", "'wage'", f"city={city!r}")


def test_inf_in_employment(data: xr.Dataset) -> None:
    occ, ind, city = (label(data, d, 1) for d in ("occupation", "industry", "city"))
    data["employment"].loc[{"occupation": occ, "industry": ind, "city": city}] = np.inf
    assert_schema_error(
        NonFiniteValueError,
        data,
        "data",
        "'employment' (L[k,j,n])",
        f"(year={label(data, 'year')!r}, occupation={occ!r}, industry={ind!r}, city={city!r})",
        "employment 0, not NaN",
    )


def test_nan_price_for_a_nontradable(data: xr.Dataset) -> None:
    ind, city = nontradable(data), label(data, "city", 0)
    data["price_nontradable"].loc[{"industry": ind, "city": city}] = np.nan
    assert_schema_error(
        NonFiniteValueError,
        data,
        "data",
        "'price_nontradable'",
        f"industry={ind!r}, city={city!r}",
        "only tradable industries may be NaN",
        "fill or drop the cells",
    )


def test_price_for_a_tradable_must_be_nan(data: xr.Dataset) -> None:
    ind, city = tradable(data), label(data, "city", 1)
    data["price_nontradable"].loc[{"industry": ind, "city": city}] = 1.0
    assert_schema_error(
        NonFiniteValueError,
        data,
        "data",
        "'price_nontradable'",
        "must be NaN for tradable industries",
        f"industry={ind!r}, city={city!r}",
        "ds['price_nontradable'].where(~ds['tradable'])",
    )
    # The suggested fix works.
    data["price_nontradable"] = data["price_nontradable"].where(~data["tradable"])
    assert validate(data, kind="data") is data


def test_trade_cost_elasticity_for_a_nontradable_must_be_nan(data: xr.Dataset) -> None:
    ind = nontradable(data)
    data["trade_cost_elasticity"].loc[{"industry": ind}] = 0.1
    assert_schema_error(
        NonFiniteValueError,
        data,
        "data",
        "'trade_cost_elasticity' (t[j])",
        "must be NaN for non-tradable industries",
        f"(industry={ind!r})",
        "ds['trade_cost_elasticity'].where(ds['tradable'])",
    )


def test_trade_cost_elasticity_nan_for_a_tradable(data: xr.Dataset) -> None:
    ind = tradable(data)
    data["trade_cost_elasticity"].loc[{"industry": ind}] = np.nan
    assert_schema_error(
        NonFiniteValueError,
        data,
        "data",
        "'trade_cost_elasticity'",
        f"(industry={ind!r})",
        "only non-tradable industries may be NaN",
    )


@pytest.mark.parametrize(("value", "ok"), [(np.inf, True), (-np.inf, False), (np.nan, False)])
def test_unit_cost_allows_only_positive_infinity(model: xr.Dataset, value: float, ok: bool) -> None:
    ind, city = tradable(model), label(model, "city", 4)
    model["unit_cost"].loc[{"industry": ind, "city": city}] = value
    if ok:  # a tradable city-industry that does not produce
        assert validate(model, kind="model") is model
    else:
        assert_schema_error(NonFiniteValueError, model, "model", "'unit_cost'", f"city={city!r}")


# -- signs ----------------------------------------------------------------------------------------


def test_negative_employment(data: xr.Dataset) -> None:
    occ, ind, city = (label(data, d, 0) for d in ("occupation", "industry", "city"))
    data["employment"].loc[{"occupation": occ, "industry": ind, "city": city}] = -3.0
    assert_schema_error(
        NegativeValueError,
        data,
        "data",
        "'employment'",
        "must be nonnegative (workers)",
        f"occupation={occ!r}, industry={ind!r}, city={city!r}",
        "Check the sign and the units",
    )


@pytest.mark.parametrize("value", [0.0, -50_000.0])
def test_nonpositive_wage(data: xr.Dataset, value: float) -> None:
    occ, city = label(data, "occupation", 0), label(data, "city", 2)
    data["wage"].loc[{"occupation": occ, "city": city}] = value
    assert_schema_error(
        NegativeValueError,
        data,
        "data",
        "'wage'",
        "must be strictly positive (dollars)",
        f"occupation={occ!r}, city={city!r}",
        "Check the sign and the units",
    )


@pytest.mark.parametrize("value", [0.0, -1.0])
def test_nonpositive_theta(data: xr.Dataset, value: float) -> None:
    data["theta"] = value
    assert_schema_error(
        NegativeValueError, data, "data", "'theta' (θ)", "strictly positive", f"(found {value!r})"
    )


# -- distances ------------------------------------------------------------------------------------


def test_negative_distance(data: xr.Dataset) -> None:
    a, b = label(data, "city", 0), label(data, "city", 1)
    data["distance"].loc[{"city": a, "origin": b}] = -5.0
    data["distance"].loc[{"city": b, "origin": a}] = -5.0  # symmetric, only the sign is wrong
    assert_schema_error(
        DistanceMatrixError,
        data,
        "data",
        "'distance'",
        "strictly positive (miles)",
        f"(city={a!r}, origin={b!r})",
        f"(city={b!r}, origin={a!r})",
        "within-city distance",
    )


def test_zero_within_city_distance(data: xr.Dataset) -> None:
    a = label(data, "city", 2)
    data["distance"].loc[{"city": a, "origin": a}] = 0.0
    assert_schema_error(
        DistanceMatrixError,
        data,
        "data",
        "'distance'",
        f"(city={a!r}, origin={a!r})",
        "within-city distance (20 miles",
    )


def test_asymmetric_distance(data: xr.Dataset) -> None:
    a, b = label(data, "city", 1), label(data, "city", 3)
    data["distance"].loc[{"city": a, "origin": b}] *= 2
    assert_schema_error(
        DistanceMatrixError,
        data,
        "data",
        "'distance'",
        "must be symmetric",
        f"(city={a!r}, origin={b!r})",
        f"(city={b!r}, origin={a!r})",
        "Symmetrize it",
    )
    # The suggested fix works.
    d = data["distance"]
    data["distance"] = (d + d.rename(city="origin", origin="city").T) / 2
    assert validate(data, kind="data") is data


# -- shares ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.0, 1.0, 1.5, -0.1, 20.0])
def test_consumption_share_outside_open_unit_interval(data: xr.Dataset, value: float) -> None:
    ind = nontradable(data)
    data["consumption_share"].loc[{"industry": ind}] = value
    assert_schema_error(
        ShareError,
        data,
        "data",
        "'consumption_share' (α[j])",
        "must lie in (0, 1)",
        f"(industry={ind!r})",
        "fractions, not percentages",
    )


def test_consumption_share_must_sum_to_one_in_a_model(model: xr.Dataset) -> None:
    ind = tradable(model)
    model["consumption_share"].loc[{"industry": ind}] += 0.05
    assert_schema_error(
        ShareError,
        model,
        "model",
        "'consumption_share'",
        "must sum to one over 'industry'",
        f"(year={label(model, 'year')!r})",
        "Rescale it: ds['consumption_share'] / ds['consumption_share'].sum('industry')",
    )


def test_consumption_share_sum_without_batch_dimension_names_no_cell(model: xr.Dataset) -> None:
    model["consumption_share"] = model["consumption_share"].isel(year=0, drop=True) * 1.1
    err = assert_schema_error(
        ShareError, model, "model", "'consumption_share'", "must sum to one", "the sum is 1.1"
    )
    assert " at " not in str(err).split("Rescale")[0]


def test_consumption_share_nan_for_tradables_is_allowed_in_data_only(
    data: xr.Dataset, model: xr.Dataset
) -> None:
    assert data["consumption_share"].sel(industry=tradable(data)).isnull()
    assert validate(data, kind="data") is data
    assert validate(data) is data
    ind = tradable(model)
    model["consumption_share"].loc[{"industry": ind}] = np.nan
    assert_schema_error(
        NonFiniteValueError,
        model,
        "model",
        "'consumption_share'",
        f"industry={ind!r}",
        "a 'model' Dataset needs every value",
    )


def test_consumption_share_nan_for_a_nontradable_in_data(data: xr.Dataset) -> None:
    ind = nontradable(data)
    data["consumption_share"].loc[{"industry": ind}] = np.nan
    assert_schema_error(
        NonFiniteValueError,
        data,
        "data",
        "'consumption_share'",
        f"(industry={ind!r})",
        "NaN is allowed only for tradable industries",
    )


@pytest.mark.parametrize("variable", ["value_added_share", "input_share"])
def test_cost_shares_must_sum_to_one(data: xr.Dataset, variable: str) -> None:
    ind = label(data, "industry", 1)
    if variable == "value_added_share":
        data[variable].loc[{"industry": ind}] += 0.05
    else:
        data[variable].loc[{"industry": ind, "input": label(data, "input", 0)}] += 0.05
    assert_schema_error(
        ShareError,
        data,
        "data",
        "'value_added_share' (γ[j,n])",
        "'input_share'",
        "must equal one",
        f"(year={label(data, 'year')!r}, industry={ind!r})",
        "Rescale the input shares",
    )


def test_value_added_share_must_be_positive(data: xr.Dataset) -> None:
    ind = label(data, "industry", 0)
    data["value_added_share"].loc[{"industry": ind}] = 0.0
    assert_schema_error(
        ShareError,
        data,
        "data",
        "'value_added_share'",
        "must lie in (0, 1]",
        f"industry={ind!r}",
        "fractions, not percentages",
    )


@pytest.mark.parametrize("value", [1.0, 1.3, -0.2])
def test_land_share_in_half_open_unit_interval(model: xr.Dataset, value: float) -> None:
    ind, city = nontradable(model), label(model, "city", 3)
    model["land_share"].loc[{"industry": ind, "city": city}] = value
    assert_schema_error(
        ShareError,
        model,
        "model",
        "'land_share' (β[j,n])",
        "must lie in [0, 1)",
        f"industry={ind!r}, city={city!r}",
        "fractions, not percentages",
    )


def test_trade_share_must_sum_to_one_over_origins(model: xr.Dataset) -> None:
    n = model.sizes["origin"]
    share = xr.full_like(model["distance"], 1.0 / n).expand_dims(industry=model["industry"].values)
    model["trade_share"] = share.transpose("industry", "city", "origin").copy()
    assert validate(model, kind="model") is model
    ind, city = label(model, "industry", 2), label(model, "city", 1)
    model["trade_share"].loc[{"industry": ind, "city": city}] *= 0.5
    assert_schema_error(
        ShareError,
        model,
        "model",
        "'trade_share'",
        "must sum to one over 'origin'",
        f"(industry={ind!r}, city={city!r})",
        "Rescale it",
    )


# -- parameters -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1.0, 0.5, 0.0, -2.0])
def test_nu_must_exceed_one(data: xr.Dataset, value: float) -> None:
    data["nu"] = value
    assert_schema_error(
        SchemaError,
        data,
        "data",
        "'nu' (ν)",
        "must be greater than 1",
        f"(found {value!r})",
        "ν = 2.02",
    )


def test_epsilon_must_not_be_one(data: xr.Dataset) -> None:
    data["epsilon"] = 1.0
    assert_schema_error(
        SchemaError,
        data,
        "data",
        "'epsilon' (ε)",
        "must differ from 1",
        "Cobb-Douglas limit",
        "1.0001 or 2",
    )


# -- batch dimensions -----------------------------------------------------------------------------


def _scenarios(ds: xr.Dataset) -> xr.Dataset:
    return xr.concat([ds, ds], dim="scenario").assign_coords(scenario=["low", "high"])


def test_batch_dimensions_pass(data: xr.Dataset, model: xr.Dataset) -> None:
    batched = _scenarios(data).expand_dims(draw=[0, 1, 2])
    assert validate(batched, kind="data") is batched
    batched = _scenarios(model)
    assert validate(batched, kind="model") is batched
    unlabeled = xr.concat([data, data], dim="step")  # a batch dimension without labels
    assert validate(unlabeled, kind="data") is unlabeled


def test_error_in_a_batch_slice_names_the_scenario(data: xr.Dataset) -> None:
    batched = _scenarios(data)
    occ, city = label(data, "occupation", 0), label(data, "city", 4)
    batched["wage"].loc[{"scenario": "high", "occupation": occ, "city": city}] = np.nan
    err = assert_schema_error(
        NonFiniteValueError,
        batched,
        "data",
        "'wage'",
        f"(scenario='high', year={label(data, 'year')!r}, occupation={occ!r}, city={city!r})",
    )
    assert "'low'" not in str(err)


def test_error_in_an_unlabeled_batch_slice_names_its_position(data: xr.Dataset) -> None:
    batched = xr.concat([data, data, data], dim="step")
    ind = nontradable(data)
    batched["consumption_share"].loc[{"industry": ind}] = xr.DataArray([0.2, 1.2, 0.2], dims="step")
    assert_schema_error(
        ShareError, batched, "data", "'consumption_share'", f"(step=1, industry={ind!r})"
    )


@pytest.mark.parametrize(
    ("name", "values", "cls", "fragment"),
    [
        ("nu", [2.02, 0.9], SchemaError, "must be greater than 1"),
        ("epsilon", [2.0, 1.0], SchemaError, "must differ from 1"),
        ("theta", [10.0, -1.0], NegativeValueError, "strictly positive"),
    ],
)
def test_batched_parameter_errors_name_the_scenario(
    data: xr.Dataset, name: str, values: list[float], cls: type[Exception], fragment: str
) -> None:
    batched = _scenarios(data)
    batched[name] = ("scenario", values)
    assert_schema_error(cls, batched, "data", repr(name), fragment, "(scenario='high')")


def test_distance_asymmetry_in_a_batch_slice(data: xr.Dataset) -> None:
    batched = _scenarios(data)
    a, b = label(data, "city", 0), label(data, "city", 2)
    batched["distance"].loc[{"scenario": "low", "city": a, "origin": b}] += 100.0
    assert_schema_error(
        DistanceMatrixError,
        batched,
        "data",
        "must be symmetric",
        f"(scenario='low', city={a!r}, origin={b!r})",
    )


# -- dask -----------------------------------------------------------------------------------------


def test_the_raising_scheduler_catches_computation(data: xr.Dataset) -> None:
    chunked = data.chunk({"year": 1})
    with raise_if_dask_computes(), pytest.raises(AssertionError):
        chunked["wage"].sum().compute()


@pytest.mark.parametrize("kind", ["data", "model"])
def test_chunked_dataset_passes_without_computing(
    data: xr.Dataset, model: xr.Dataset, kind: str
) -> None:
    chunked = (data if kind == "data" else model).chunk({"year": 1})
    assert chunked["wage"].chunks is not None
    with raise_if_dask_computes():
        assert validate(chunked, kind=kind) is chunked
        batched = _scenarios(chunked)
        assert validate(batched, kind=kind) is batched


def test_partly_chunked_dataset_does_not_compute_the_tradable_mask(data: xr.Dataset) -> None:
    chunked = data.chunk({"year": 1})
    chunked["price_nontradable"] = data["price_nontradable"]  # in memory; 'tradable' is lazy
    assert chunked["tradable"].chunks is not None
    with raise_if_dask_computes():
        assert validate(chunked, kind="data") is chunked


def test_values_of_chunked_variables_are_left_to_the_solvers(data: xr.Dataset) -> None:
    """Documented: value checks run on in-memory arrays only (no computation is triggered)."""
    data["wage"] = -data["wage"]
    chunked = data.chunk({"year": 1})
    with raise_if_dask_computes():
        assert validate(chunked, kind="data") is chunked
    with pytest.raises(NegativeValueError, match="'wage'"):
        validate(chunked.compute(), kind="data")


def _rename_city(ds: xr.Dataset) -> xr.Dataset:
    return ds.rename(city="cities")


def _drop_wage(ds: xr.Dataset) -> xr.Dataset:
    return ds.drop_vars("wage")


def _duplicate_industry(ds: xr.Dataset) -> xr.Dataset:
    labels = ds["industry"].values.copy()
    labels[1] = labels[0]
    return ds.assign_coords(industry=labels, input=labels)


def _reorder_origin(ds: xr.Dataset) -> xr.Dataset:
    return ds.isel(origin=np.arange(ds.sizes["origin"])[::-1])


def _wage_by_industry(ds: xr.Dataset) -> xr.Dataset:
    return ds.assign(wage=ds["wage"].expand_dims(industry=ds["industry"]))


def _no_occupation_labels(ds: xr.Dataset) -> xr.Dataset:
    return ds.drop_vars("occupation")


def _int_city_labels(ds: xr.Dataset) -> xr.Dataset:
    codes = np.array([int(c) for c in ds["city"].values])
    return ds.assign_coords(city=codes, origin=codes)


def _no_tradable(ds: xr.Dataset) -> xr.Dataset:
    return ds.drop_vars("tradable")


STRUCTURAL: dict[str, tuple[Callable[[xr.Dataset], xr.Dataset], type[Exception], str]] = {
    "misnamed dimension": (_rename_city, DimensionError, "misnamed 'city'"),
    "missing variable": (_drop_wage, MissingVariableError, "'wage'"),
    "duplicate labels": (_duplicate_industry, DuplicateLabelError, "'industry' repeats"),
    "label order": (_reorder_origin, CoordinateMismatchError, "different order"),
    "unexpected dimension": (_wage_by_industry, DimensionError, "unexpected ['industry']"),
    "no labels": (_no_occupation_labels, MissingVariableError, "no coordinate labels"),
    "label type": (_int_city_labels, DimensionError, "should hold str labels"),
    "no tradable": (_no_tradable, MissingVariableError, "'tradable'"),
}


@pytest.mark.parametrize("backend", ["numpy", "dask"])
@pytest.mark.parametrize("case", sorted(STRUCTURAL))
def test_structural_errors_are_raised_in_memory_and_for_dask(
    data: xr.Dataset, case: str, backend: str
) -> None:
    breaker, cls, fragment = STRUCTURAL[case]
    ds = data.chunk({"year": 1}) if backend == "dask" else data
    broken = breaker(ds)
    with raise_if_dask_computes():
        assert_schema_error(cls, broken, "data", fragment)
