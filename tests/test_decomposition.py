"""The 1980 -> 2015 decomposition of Table 3 (MODEL.md section 5)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc.solvers.counterfactuals import no_externalities
from spatialocc.solvers.decomposition import (
    COMPONENTS,
    cnr_share_distribution,
    decompose,
    decomposition_table,
    paper_steps,
    productivity_components,
)

TAU = {"tau_share": {"CNR": 1.304, "nonCNR": 0.835}, "tau_size": {"CNR": 0.349, "nonCNR": 0.357}}


@pytest.fixture(scope="module")
def model() -> xr.Dataset:
    data = spatialocc.datasets.synthetic(n_cities=12, n_industries=6, seed=3)
    return spatialocc.with_externalities(spatialocc.invert(data), **TAU)


@pytest.fixture(scope="module")
def tiny() -> xr.Dataset:
    data = spatialocc.datasets.synthetic(n_cities=7, n_industries=4, seed=5)
    return spatialocc.with_externalities(spatialocc.invert(data), **TAU)


@pytest.fixture(scope="module")
def result(model: xr.Dataset) -> xr.Dataset:
    return decompose(model, scheduler="synchronous")


def relative_error(a: xr.DataArray, b: xr.DataArray) -> float:
    a, b = xr.align(a, b, join="exact")
    return float((abs(a - b) / abs(b).max()).max())


def test_paper_steps_follow_table_3() -> None:
    steps = paper_steps(1980, 2015)
    assert len(steps) == 11
    assert steps[3].label.endswith("(Baseline 1980)")
    assert steps[7].label.endswith("(2015 parameters)")
    assert steps[7].components == frozenset(COMPONENTS)
    assert steps[8].optimum and steps[8].components == frozenset(COMPONENTS)
    assert "real_estate_technology" not in steps[9].components
    assert steps[10].label.endswith("(10)") and steps[10].optimum
    # every step adds exactly one component to the previous one (rows 1-8)
    for before, after in itertools.pairwise(steps[:8]):
        assert len(after.components - before.components) == 1
    with pytest.raises(ValueError, match="distinct names"):
        paper_steps(1980, 2015, ["shares", "technology"])
    with pytest.raises(ValueError, match="distinct names"):
        paper_steps(1980, 2015, ["shares", "shares"])


def test_components_are_weighted_means_and_recompose(model: xr.Dataset) -> None:
    one = model.sel(year=1980)
    parts = productivity_components(one)
    lam = one["productivity_exogenous"]
    weights = one["employment"].where(lam > 0)
    log_lam = np.log(lam.where(lam > 0))
    # m[j] is the employment-weighted mean of log λ̂ over (k, n) ...
    m = (weights * log_lam).sum(["occupation", "city"]) / weights.sum(["occupation", "city"])
    np.testing.assert_allclose(parts["national"], m, rtol=1e-13)
    # ... b[k] makes the local remainder average to zero over (j, n) for each occupation ...
    local_mean = (weights * parts["local"]).sum(["industry", "city"])
    np.testing.assert_allclose(local_mean, 0.0, atol=1e-8 * float(weights.sum()))
    # ... and the three parts recompose λ̂, zero cells included.
    back = np.exp(parts["national"] + parts["skill"] + parts["local"]).fillna(0.0)
    np.testing.assert_allclose(back.transpose(*lam.dims), lam, rtol=1e-12)
    land = np.exp(parts["land_national"] + parts["land_local"])
    np.testing.assert_allclose(land, one["land"], rtol=1e-12)


def test_end_points_reproduce_the_data(model: xr.Dataset, result: xr.Dataset) -> None:
    full = result.sel(panel="full_model")
    first = full.isel(step=0)
    assert str(first["step"].values) == "1980 parameters"
    data_1980 = model.sel(year=1980)
    assert relative_error(first["wage"], data_1980["wage"]) < 1e-8
    assert relative_error(first["employment"], data_1980["employment"]) < 1e-8
    last = full.sel(step=full["step"].values[7])
    data_2015 = model.sel(year=2015)
    assert relative_error(last["wage"], data_2015["wage"]) < 1e-8
    assert relative_error(last["employment"], data_2015["employment"]) < 1e-8


def test_tau_zero_panel_ends_are_the_no_externalities_counterfactual(
    model: xr.Dataset, result: xr.Dataset
) -> None:
    """The lower panel is the paper's world without externalities ("where we set the
    externality elasticity parameters to zero"): each year's exogenous productivity λ̂ is
    kept and τ = 0, so its ends are each year's no-externalities counterfactual, solved here
    through ``counterfactuals.no_externalities``, not the data."""
    none = result.sel(panel="no_externalities")
    for year, step in ((1980, 0), (2015, 7)):
        expected = spatialocc.solve_equilibrium(
            no_externalities(model.sel(year=year, drop=True)), tol=1e-10
        )
        assert bool(expected["converged"])
        row = none.isel(step=step)
        assert relative_error(row["welfare"], expected["welfare"]) < 1e-8, year
        assert relative_error(row["employment"], expected["employment"]) < 1e-8, year
        assert relative_error(row["wage"], expected["wage"]) < 1e-8, year
        # ... which is not the data: without the externalities, workers move
        data = model.sel(year=year, drop=True)
        assert relative_error(row["employment"], data["employment"]) > 1e-3, year


def test_every_step_is_an_equilibrium(result: xr.Dataset) -> None:
    assert bool(result["converged"].all())
    assert float(result["max_residual"].max()) < 1e-8
    # national employment of each step: 1980 total before national trends, 2015 after
    totals = result["employment"].sum(["occupation", "industry", "city"])
    emp = result["employment"].sum(["industry", "city"])
    assert result.sizes["step"] == 11 and result.sizes["panel"] == 2
    np.testing.assert_allclose(totals.isel(step=2), totals.isel(step=7), rtol=1e-9)
    assert abs(float(totals.isel(step=1, panel=0) / totals.isel(step=2, panel=0)) - 1) > 1e-3
    # occupation composition: 1980 in rows 3-4, 2015 from row 5 on
    share = emp / emp.sum("occupation")
    np.testing.assert_allclose(share.isel(step=3), share.isel(step=0), rtol=1e-9)
    np.testing.assert_allclose(share.isel(step=4), share.isel(step=7), rtol=1e-9)


def test_table_3_layout(result: xr.Dataset) -> None:
    table = decomposition_table(result)
    assert list(table.columns) == ["CNR", "nonCNR", "ratio"]
    assert table.index.get_level_values("row").tolist() == list(range(1, 23))
    baseline = table.xs(4, level="row")
    np.testing.assert_allclose(baseline[["CNR", "nonCNR", "ratio"]].to_numpy(), 1.0, rtol=1e-14)
    assert table.xs(15, level="row")[["CNR", "nonCNR"]].to_numpy() == pytest.approx(1.0)
    np.testing.assert_allclose(table["ratio"], table["CNR"] / table["nonCNR"], rtol=1e-14)
    full = result["welfare"].sel(panel="full_model")
    expected = float(full.isel(step=3).sel(occupation="CNR") / full.isel(step=3)[1])
    assert table.attrs["baseline_ratio"]["Full model"] == pytest.approx(expected, rel=1e-14)


def test_optimum_rows_gain_equally(result: xr.Dataset) -> None:
    """Rows 9 and 11 are optima with equal proportional gains over rows 8 and 10: every
    occupation gains and the CNR/nonCNR ratio of relative welfare is unchanged."""
    table = decomposition_table(result)
    for optimum, equilibrium in ((9, 8), (11, 10), (20, 19), (22, 21)):
        opt = table.xs(optimum, level="row").iloc[0]
        eq = table.xs(equilibrium, level="row").iloc[0]
        assert opt["CNR"] >= eq["CNR"] * (1 - 1e-12)
        assert opt["nonCNR"] >= eq["nonCNR"] * (1 - 1e-12)
        assert opt["ratio"] == pytest.approx(eq["ratio"], rel=1e-9)
    gains = result["welfare_gain"].sel(step=result["optimum"])
    np.testing.assert_allclose(gains.isel(occupation=0), gains.isel(occupation=1), rtol=1e-9)


def test_identical_years_change_nothing(tiny: xr.Dataset) -> None:
    """If the end calibration is the start one, every equilibrium step is the start data."""
    same = tiny.sel(year=[1980, 1980]).assign_coords(year=[1980, 2015])
    result = decompose(same, with_optimum=False, no_externalities=False, scheduler="sync")
    for label in result["step"].values:
        step = result.sel(panel="full_model", step=label)
        assert relative_error(step["wage"], tiny.sel(year=1980)["wage"]) < 1e-8
    table = decomposition_table(result)
    np.testing.assert_allclose(table[["CNR", "nonCNR"]].to_numpy(), 1.0, rtol=1e-8)


def test_user_order_keeps_the_end_points(tiny: xr.Dataset) -> None:
    order = list(reversed(list(COMPONENTS)))
    result = decompose(tiny, steps=order, with_optimum=False, scheduler="synchronous")
    # the seven swaps, then (all seven components used) the end year without real-estate change
    assert result.sizes["step"] == len(order) + 2
    assert str(result["step"].values[1]) == "(1) + change in amenities"
    last = result.sel(panel="full_model").isel(step=len(order))
    assert relative_error(last["wage"], tiny.sel(year=2015)["wage"]) < 1e-8
    # no Baseline row in this order: the table is relative to the first row
    table = decomposition_table(result)
    assert table.xs(1, level="row")[["CNR", "nonCNR"]].to_numpy() == pytest.approx(1.0)


@pytest.fixture(scope="module")
def reference(tiny: xr.Dataset) -> xr.Dataset:
    return decompose(tiny, scheduler="synchronous")


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_schedulers_give_identical_numbers(
    tiny: xr.Dataset, reference: xr.Dataset, scheduler: str
) -> None:
    other = decompose(tiny, scheduler=scheduler)
    xr.testing.assert_identical(other, reference)


def test_local_cluster_gives_identical_numbers(tiny: xr.Dataset, reference: xr.Dataset) -> None:
    distributed = pytest.importorskip("dask.distributed", reason="needs spatialocc[distributed]")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        other = decompose(tiny)  # the active client is dask's default scheduler
    xr.testing.assert_identical(other, reference)


def test_cnr_share_distribution(model: xr.Dataset, result: xr.Dataset) -> None:
    dist = cnr_share_distribution(result)
    assert dist["distribution"].values.tolist() == ["Baseline 1980", "2015 data", "2015 optimum"]
    np.testing.assert_allclose(dist.sum("bin"), 1.0, rtol=1e-12)
    # the 2015 data row, recomputed directly from the data
    residents = model.sel(year=2015)["employment"].sum("industry")
    population = residents.sum("occupation").values
    share = (residents.sel(occupation="CNR") / residents.sum("occupation")).values
    deviation = 100 * (share - np.average(share, weights=population))
    edges = np.arange(-12.0, 12.1, 2.0)
    expected = [
        population[(deviation >= lo) & (deviation < hi)].sum() / population.sum()
        for lo, hi in zip(np.r_[-np.inf, edges[1:-1]], np.r_[edges[1:-1], np.inf], strict=True)
    ]
    np.testing.assert_allclose(dist.sel(distribution="2015 data"), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="increasing"):
        cnr_share_distribution(result, bins=[1.0, 0.0])


# -- the middle rows, rebuilt from MODEL.md section 5 ------------------------------------------

#: The components at 2015 values in each row of a panel, spelled out from MODEL.md section 5
#: (not taken from ``paper_steps``); the τ = 0 panel's row r + 11 has the components of row r.
ROW_COMPONENTS: dict[int, frozenset[str]] = {
    1: frozenset(),
    2: frozenset({"shares"}),
    3: frozenset({"shares", "national_technology"}),
    4: frozenset({"shares", "national_technology", "skill_bias"}),
    5: frozenset({"shares", "national_technology", "skill_bias", "occupation_shares"}),
    6: frozenset(
        {"shares", "national_technology", "skill_bias", "occupation_shares", "local_technology"}
    ),
    7: frozenset(
        {
            "shares",
            "national_technology",
            "skill_bias",
            "occupation_shares",
            "local_technology",
            "real_estate_technology",
        }
    ),
}
ROW_COMPONENTS[8] = ROW_COMPONENTS[7] | {"amenities"}
ROW_COMPONENTS[10] = ROW_COMPONENTS[8] - {"real_estate_technology"}

#: What the "shares" component swaps: MODEL.md names the input and consumption shares; the
#: module (its SHARE_PARAMETERS) swaps the value-added and land shares with them [choice].
SHARES = ("input_share", "value_added_share", "land_share", "consumption_share")

CELL = ("occupation", "industry", "city")


def split_by_definition(one_year: xr.Dataset) -> dict[str, np.ndarray]:
    """m[j], b[k], l[k,j,n] of log λ̂ (MODEL.md section 5) and the land split of the module's
    docstring (log H = h + h_local[n], h the resident-weighted mean), in plain numpy."""
    lam = one_year["productivity_exogenous"].transpose(*CELL).to_numpy()
    employment = one_year["employment"].transpose(*CELL).to_numpy()
    alive = lam > 0  # λ̂ = 0: the cell has no technology and no weight
    log_lam = np.log(np.where(alive, lam, 1.0))
    weight = np.where(alive, employment, 0.0)
    m = (weight * log_lam).sum(axis=(0, 2)) / weight.sum(axis=(0, 2))  # over (k, n)
    rest = log_lam - m[None, :, None]
    b = (weight * rest).sum(axis=(1, 2)) / weight.sum(axis=(1, 2))  # over (j, n)
    local = np.where(alive, rest - b[:, None, None], np.nan)
    residents = employment.sum(axis=(0, 1))
    log_land = np.log(one_year["land"].transpose("city").to_numpy())
    h = (residents * log_land).sum() / residents.sum()
    return {"m": m, "b": b, "l": local, "h": h, "h_local": log_land - h}


def row_economy(model: xr.Dataset, components: frozenset[str], *, tau_zero: bool) -> xr.Dataset:
    """The economy of one row of Table 3 built from its definition: ``components`` at their
    2015 values, everything else at 1980 values."""
    if tau_zero:
        # the paper's world without externalities (MODEL.md section 5): τ = 0 and each
        # year's λ̂, inverted with the model's τ, kept
        zero = xr.zeros_like(model["tau_share"])
        model = model.assign(tau_share=zero, tau_size=zero)
    years = {"start": model.sel(year=1980, drop=True), "end": model.sel(year=2015, drop=True)}
    parts = {y: split_by_definition(m) for y, m in years.items()}

    def at(component: str) -> str:
        return "end" if component in components else "start"

    m = parts[at("national_technology")]["m"]
    b = parts[at("skill_bias")]["b"]
    local = parts[at("local_technology")]["l"].copy()
    real_estate = list(model["industry"].values).index(model.attrs["real_estate"])
    local[:, real_estate, :] = parts[at("real_estate_technology")]["l"][:, real_estate, :]
    lam = np.nan_to_num(np.exp(m[None, :, None] + b[:, None, None] + local), nan=0.0)
    # land: the national level moves with national technology, the local part with
    # real-estate technology (the module's docstring) [choice]
    land = np.exp(
        parts[at("national_technology")]["h"] + parts[at("real_estate_technology")]["h_local"]
    )

    # the base calibration (starting allocation, spread of employment over industries and
    # cities, numeraire) is 2015 once amenities are at 2015 values (the module's docstring)
    base = years["end"] if "amenities" in components else years["start"]
    by_occupation = {
        y: d["employment"].sum(["industry", "city"]).to_numpy() for y, d in years.items()
    }
    total = by_occupation[at("national_technology")].sum()
    composition = (
        by_occupation[at("occupation_shares")] / by_occupation[at("occupation_shares")].sum()
    )
    employment = base["employment"].transpose(*CELL).to_numpy()
    employment = employment * (total * composition / employment.sum(axis=(1, 2)))[:, None, None]
    return base.assign(
        employment=(CELL, employment),
        productivity_exogenous=(CELL, lam),
        land=("city", land),
        amenity=years[at("amenities")]["amenity"],
        **{name: years[at("shares")][name] for name in SHARES},
    )


def table_row(result: xr.Dataset, number: int) -> xr.Dataset:
    panel, step = np.argwhere(result["row"].to_numpy() == number)[0]
    return result.isel(panel=panel, step=step)


@pytest.mark.parametrize("number", [2, 3, 4, 5, 6, 7, 10, 14, 15, 17, 18])
def test_middle_rows_are_their_economies(
    model: xr.Dataset, result: xr.Dataset, number: int
) -> None:
    """Rows of both panels equal the equilibrium of the economy that MODEL.md section 5
    defines for them, built here from the two calibrations and solved on its own."""
    tau_zero = number > 11
    economy = row_economy(model, ROW_COMPONENTS[number - 11 * tau_zero], tau_zero=tau_zero)
    row = table_row(result, number)
    # the fundamentals the row used: exact up to exp/log round-off
    np.testing.assert_allclose(
        row["productivity_exogenous"].transpose(*CELL),
        economy["productivity_exogenous"],
        rtol=1e-12,
    )
    np.testing.assert_allclose(row["land"], economy["land"], rtol=1e-12)
    # amenities are copied from one year, not computed: exact
    np.testing.assert_allclose(
        row["amenity"].transpose(*economy["amenity"].dims), economy["amenity"], rtol=0
    )
    solved = spatialocc.solve_equilibrium(economy, tol=1e-10)
    assert bool(solved["converged"].all())
    # solver tol 1e-10 on relative residuals: two converged solves agree to ~1e-9
    np.testing.assert_allclose(
        row["welfare"], solved["welfare"].transpose(*row["welfare"].dims), rtol=1e-8
    )
    by_city = row["employment"].sum(["occupation", "industry"])
    np.testing.assert_allclose(
        by_city, solved["employment"].sum(["occupation", "industry"]), rtol=1e-8
    )
    # nominal wages are in the numeraire of the base year: they check the base choice, which
    # real welfare and the allocation do not depend on
    np.testing.assert_allclose(row["wage"], solved["wage"].transpose(*row["wage"].dims), rtol=1e-8)


def test_bad_input(model: xr.Dataset) -> None:
    with pytest.raises(spatialocc.DimensionError, match="'year' dimension"):
        decompose(model.sel(year=2015))
    with pytest.raises(KeyError, match="missing \\[1990\\]"):
        decompose(model, start=1990)
    with pytest.raises(spatialocc.MissingVariableError, match="with_externalities"):
        decompose(model.drop_vars(["tau_share", "tau_size", "productivity_exogenous"]))
    with pytest.raises(ValueError, match="distinct names"):
        decompose(model, steps=["shares", "weather"])
    with pytest.raises(ValueError, match="'paper'"):
        decompose(model, steps="reverse")
    additive = model.assign(additive_amenities=xr.DataArray(True))
    with pytest.raises(NotImplementedError, match="multiplicative amenities"):
        decompose(additive)


# -- currency units: both years in one year's dollars ------------------------------------------

#: CPI-U annual averages (BLS series CUUR0000SA0), typed from the BLS tables.
CPI_U = {1980: 82.4, 2015: 237.017}

COLUMNS = ["CNR", "nonCNR", "ratio"]


def dollar_variables(data: xr.Dataset) -> list[str]:
    """The variables of ``data`` in dollars of their year, by the schema's units."""
    from spatialocc.dims.schema import VARIABLES

    return [
        name
        for name in data.data_vars
        if "year" in data[name].dims and name in VARIABLES and VARIABLES[name].units == "dollars"
    ]


def table_3(data: xr.Dataset) -> object:
    model = spatialocc.with_externalities(spatialocc.invert(data), **TAU)
    return decomposition_table(decompose(model, scheduler="synchronous"))


@pytest.fixture(scope="module")
def priced() -> xr.Dataset:
    """A small economy whose years carry the CPI-U as their price levels."""
    data = spatialocc.datasets.synthetic(n_cities=7, n_industries=4, seed=5)
    return data.assign(price_level=("year", [CPI_U[int(y)] for y in data["year"].values]))


@pytest.fixture(scope="module")
def priced_table(priced: xr.Dataset) -> object:
    return table_3(priced)


def rescaled(data: xr.Dataset, year: int, c: float, names: list[str]) -> xr.Dataset:
    factor = xr.where(data["year"] == year, c, 1.0)
    return data.assign({name: data[name] * factor for name in names})


@pytest.mark.parametrize(("year", "c"), [(1980, 3.7), (2015, 0.21)])
def test_table_3_does_not_depend_on_the_currency_unit(
    priced: xr.Dataset, priced_table: object, year: int, c: float
) -> None:
    """Measuring one year's nominal data (every variable in dollars) in another currency
    unit, its price level with them, changes no row of Table 3. Rescaling the end year
    rescales the common unit of both years, which the model's homogeneity of degree zero in
    nominal values absorbs; rescaling the start year is undone by the price levels."""
    names = dollar_variables(priced)
    assert "wage" in names
    table = table_3(rescaled(priced, year, c, [*names, "price_level"]))
    np.testing.assert_allclose(table[COLUMNS], priced_table[COLUMNS], rtol=1e-8)
    for panel, ratio in priced_table.attrs["baseline_ratio"].items():
        assert table.attrs["baseline_ratio"][panel] == pytest.approx(ratio, rel=1e-8)


def test_price_levels_matter(priced: xr.Dataset, priced_table: object) -> None:
    """The invariance above is not vacuous: rescaling the 1980 wages without their price
    level (inflation the data do not record) moves the rows before the Baseline."""
    table = table_3(rescaled(priced, 1980, 3.7, dollar_variables(priced)))
    first = table.xs(1, level="row")["CNR"].iloc[0]
    assert first == pytest.approx(3.7 * priced_table.xs(1, level="row")["CNR"].iloc[0], rel=1e-7)


def test_years_in_different_dollars_are_refused(priced: xr.Dataset) -> None:
    model = spatialocc.with_externalities(spatialocc.invert(priced), **TAU)
    # every year in 2015 dollars: the model's price level is 2015's in both years
    np.testing.assert_allclose(model["price_level"], CPI_U[2015], rtol=1e-15)
    mixed = model.assign(price_level=priced["price_level"])
    with pytest.raises(spatialocc.InconsistentDataError, match="price_level"):
        decompose(mixed, with_optimum=False, scheduler="synchronous")


def test_data_without_price_levels_warn(tiny: xr.Dataset) -> None:
    bare = tiny.drop_vars("price_level", errors="ignore")
    with pytest.warns(UserWarning, match="same dollars"):
        decompose(bare, with_optimum=False, no_externalities=False, scheduler="synchronous")
