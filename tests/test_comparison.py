"""The run beside the paper: section 4.7's city pairs by hand, and the lookups of
paper_comparison against the results they read."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc import paper
from spatialocc.reports import city_pair_productivity, paper_comparison


@pytest.fixture(scope="module")
def model() -> xr.Dataset:
    data = spatialocc.datasets.synthetic(n_cities=10, n_industries=4, years=(2015,), seed=2)
    model = spatialocc.with_externalities(spatialocc.invert(data), **paper.TAU).isel(year=0)
    names = [f"Town {i}" for i in range(model.sizes["city"])]
    return model.assign_coords(city_name=("city", names))


def test_city_pair_productivity_by_hand(model):
    L = model["employment"].sum("industry").transpose("occupation", "city").values
    share, size = L / L.sum(axis=0), L.sum(axis=0)
    tau_r = np.array([paper.TAU["tau_share"][k] for k in model["occupation"].values])
    tau_l = np.array([paper.TAU["tau_size"][k] for k in model["occupation"].values])
    a, b = 2, 7
    composition = city_pair_productivity(model, "Town 2", "Town 7", channel="composition")
    expected = 100 * (np.exp(tau_r * np.log(share[:, b] / share[:, a])) - 1)
    np.testing.assert_allclose(composition.values, expected, rtol=1e-12)
    size_effect = city_pair_productivity(model, "Town 2", "Town 7", channel="size")
    expected = 100 * (np.exp(tau_l * np.log(size[b] / size[a])) - 1)
    np.testing.assert_allclose(size_effect.values, expected, rtol=1e-12)
    # moving back undoes the change
    back = city_pair_productivity(model, "Town 7", "Town 2", channel="size")
    np.testing.assert_allclose((1 + back / 100) * (1 + size_effect / 100), 1.0, rtol=1e-12)


def test_city_pair_errors(model):
    with pytest.raises(LookupError, match="'Nowhere' is not in the data"):
        city_pair_productivity(model, "Nowhere", "Town 1", channel="size")
    with pytest.raises(ValueError, match="channel must be"):
        city_pair_productivity(model, "Town 1", "Town 2", channel="amenities")
    with pytest.raises(spatialocc.MissingVariableError, match="tau_share"):
        city_pair_productivity(model.drop_vars("tau_share"), "Town 1", "Town 2", channel="size")


def test_city_statistics_and_missing_inputs(model):
    renamed = model.assign_coords(
        city_name=("city", ["San Jose-Sunnyvale-Santa Clara, CA", *model.city_name.values[1:]])
    )
    table = paper_comparison({"model": renamed})
    row = table[(table.statistic == "city_share") & (table.occupation.str.startswith("San"))]
    residents = model["employment"].sum("industry").isel(city=0)
    expected = float(residents.sel(occupation="CNR") / residents.sum())
    assert float(row["this_run"].iloc[0]) == pytest.approx(expected, rel=1e-12)
    assert float(row["difference"].iloc[0]) == pytest.approx(expected - 0.514, rel=1e-12)
    # inputs the run did not produce are named, every paper number has a row
    assert len(table) == len(paper.REPORTED)
    notes = table.set_index("statistic")["note"]
    assert notes["mean_transfer"].iloc[0] == "not computed in this run (no summary)"
    assert notes["table3:welfare:1"].iloc[0] == "not computed in this run (no decomposition)"
    with pytest.raises(ValueError, match="paper_comparison takes"):
        paper_comparison({"model": model, "optimal": model})


def test_reported_values_have_sources_and_the_tables_their_shape():
    assert len(paper.TABLE3) == 22
    assert all(r.source for r in paper.REPORTED)
    keys = [(r.statistic, r.occupation) for r in paper.REPORTED]
    assert len(keys) == len(set(keys))
    # Table 3's rows 4 and 15 are the Baselines
    assert paper.TABLE3[4] == paper.TABLE3[15] == (1.0, 1.0, 1.0)
