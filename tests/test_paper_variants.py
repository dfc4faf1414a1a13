"""The paper's variants of sections 6 and 7.4: occupation-specific housing shares (re-inverted)
and the statistics of a reallocation (the pandemic payments against the optimum), each
checked against a computation by hand."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc.dims.errors import ShareError
from spatialocc.reports import reallocation_summary, reallocation_table
from spatialocc.solvers.counterfactuals import TRANSFORMATIONS, housing_shares

RE = "Real Estate"


@pytest.fixture(scope="module")
def economy(small_model: xr.Dataset) -> xr.Dataset:
    """The small economy's end year with externalities."""
    return spatialocc.with_externalities(
        small_model.sel(year=2015),
        tau_share={"CNR": 1.304, "nonCNR": 0.835},
        tau_size={"CNR": 0.349, "nonCNR": 0.357},
    )


# -- housing shares (section 7.4) ---------------------------------------------------------------


def test_housing_shares_set_real_estate_and_scale_the_rest(economy: xr.Dataset) -> None:
    cf = housing_shares(economy, {"CNR": 0.185, "nonCNR": 0.26})
    alpha = cf["consumption_share"].transpose("occupation", "industry")
    old = economy["consumption_share"]  # national shares, on industry
    assert alpha.sel(industry=RE).values.tolist() == [0.185, 0.26]
    np.testing.assert_allclose(alpha.sum("industry").values, 1.0, rtol=0, atol=1e-12)
    tradable = economy["tradable"].values
    others = ~tradable & (economy["industry"].values != RE)
    assert others.any()
    old_re = float(old.sel(industry=RE))
    for k, share in (("CNR", 0.185), ("nonCNR", 0.26)):
        expected = old.values[others] * (1 - share) / (1 - old_re)
        np.testing.assert_allclose(alpha.sel(occupation=k).values[others], expected, rtol=1e-12)
    # the tradable basket has one composition: CNR / nonCNR is one ratio across tradables
    ratio = (
        alpha.sel(occupation="CNR").values[tradable]
        / alpha.sel(occupation="nonCNR").values[tradable]
    )
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)
    assert cf["price_index"].dims == ("occupation", "city")
    # τ is kept and λ̂ is the new productivity net of the externalities
    xr.testing.assert_equal(cf["tau_share"], economy["tau_share"])
    residents = cf["employment"].sum("industry")
    size = residents.sum("occupation")
    by_hand = cf["productivity"] / ((residents / size) ** cf["tau_share"] * size ** cf["tau_size"])
    xr.testing.assert_allclose(cf["productivity_exogenous"], by_hand.fillna(0.0), rtol=1e-12)


def test_housing_shares_are_re_inverted_so_the_equilibrium_is_the_data(
    economy: xr.Dataset,
) -> None:
    cf = TRANSFORMATIONS["housing_shares"](economy)
    solution = spatialocc.solve_equilibrium(cf)
    assert bool(solution["converged"])
    for name in ("wage", "employment"):
        np.testing.assert_allclose(solution[name].values, economy[name].values, rtol=1e-8)
    assert not np.allclose(cf["productivity"].values, economy["productivity"].values)


def test_the_models_own_housing_share_changes_nothing(economy: xr.Dataset) -> None:
    same = housing_shares(economy, {"CNR": 0.2, "nonCNR": 0.2})
    for name in ("productivity", "productivity_exogenous", "amenity", "price", "welfare"):
        np.testing.assert_allclose(same[name].values, economy[name].values, rtol=1e-10)


@pytest.mark.parametrize(
    ("shares", "match"),
    [
        ({"CNR": 19.2, "nonCNR": 20.8}, "strictly between 0 and 1"),
        ({"CNR": 0.0, "nonCNR": 0.2}, "strictly between 0 and 1"),
        ({"CNR": float("nan"), "nonCNR": 0.2}, "strictly between 0 and 1"),
        ({"CNR": 0.2}, r"missing \['nonCNR'\]"),
        ({"CNR": 0.2, "nonCNR": 0.2, "other": 0.3}, r"unknown \['other'\]"),
    ],
)
def test_bad_housing_shares_are_refused(economy: xr.Dataset, shares, match: str) -> None:
    with pytest.raises(ShareError, match=match):
        housing_shares(economy, shares)


# -- reallocation statistics (section 6) ---------------------------------------------------------


def _weighted_corr_by_hand(x: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> float:
    return float(np.corrcoef(x, y)[0, 1] if w is None else _cov_corr(x, y, w))


def _cov_corr(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    c = np.cov(np.vstack([x, y]), aweights=w)
    return c[0, 1] / np.sqrt(c[0, 0] * c[1, 1])


def test_reallocation_summary_by_hand(economy: xr.Dataset) -> None:
    payments = spatialocc.solve_equilibrium(economy, policy="pandemic_payments")
    optimum = spatialocc.solve_optimal(economy)
    contrast = reallocation_summary(economy, optimum)
    summary = reallocation_summary(economy, payments, contrast=contrast)

    L0 = economy["employment"].sum("industry").transpose("occupation", "city").values
    L1 = payments["employment"].sum("industry").transpose("occupation", "city").values
    Lopt = optimum["employment"].sum("industry").transpose("occupation", "city").values
    cnr = list(economy["occupation"].values).index("CNR")
    size = L0.sum(axis=0)
    log_size = np.log(size)
    d_share = L1[cnr] / L1.sum(axis=0) - L0[cnr] / size
    d_share_opt = Lopt[cnr] / Lopt.sum(axis=0) - L0[cnr] / size
    d_emp = L1[cnr] / L0[cnr] - 1
    np.testing.assert_allclose(summary["share_change"].values, d_share, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(summary["employment_change"].values, d_emp, rtol=1e-12)
    expected = {
        "corr_share_change_log_size": (d_share, log_size, None),
        "corr_share_change_log_size_weighted": (d_share, log_size, size),
        "corr_employment_change_log_size": (d_emp, log_size, None),
        "corr_employment_change_log_size_weighted": (d_emp, log_size, size),
        "corr_share_change_contrast": (d_share, d_share_opt, None),
        "corr_share_change_contrast_weighted": (d_share, d_share_opt, size),
    }
    for name, (x, y, w) in expected.items():
        assert float(summary[name]) == pytest.approx(_weighted_corr_by_hand(x, y, w), abs=1e-12)

    v0 = economy["welfare"].values
    v1 = payments["welfare"].transpose("occupation").values
    np.testing.assert_allclose(summary["welfare_change"].values, v1 / v0 - 1, rtol=1e-10)
    e = payments["consumption"].transpose("occupation", "city").values
    w = payments["wage"].transpose("occupation", "city").values
    chi = payments["land_income_per_worker"].transpose("occupation").values
    transfer = e - w - chi[:, None]
    np.testing.assert_allclose(
        summary["mean_transfer"].values, (transfer * L1).sum(axis=1) / L1.sum(axis=1), rtol=1e-10
    )
    # the flat tax closes the budget: transfers net out over all workers
    assert abs((transfer * L1).sum()) < 1e-8 * (w * L1).sum()
    # the optimum against itself
    assert float(
        reallocation_summary(economy, optimum, contrast=contrast)["corr_share_change_contrast"]
    ) == pytest.approx(1.0)

    table = reallocation_table({"pandemic_payments": summary, "optimum": contrast})
    assert table.loc["welfare_change CNR", "pandemic_payments"] == pytest.approx(
        v1[cnr] / v0[cnr] - 1, rel=1e-10
    )
    assert np.isnan(table.loc["corr_share_change_contrast", "optimum"])
    assert "CNR" in table.index.name


def test_reallocation_summary_refuses_batches(small_model: xr.Dataset) -> None:
    with pytest.raises(ValueError, match="batch dimensions"):
        reallocation_summary(small_model, small_model)


def test_figure17_title_says_when_one_national_gumbel_scale_was_used(
    economy: xr.Dataset,
) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from spatialocc.plot import figure17

    optimum = spatialocc.solve_optimal(economy)
    plain = figure17(economy, optimum, optimum.assign_attrs(gumbel_scale="per occupation"))
    flagged = figure17(economy, optimum, optimum.assign_attrs(gumbel_scale="national"))
    assert plain.get_suptitle() == "Figure 17: Additive amenities"
    assert flagged.get_suptitle() == ("Figure 17: Additive amenities (one national Gumbel scale)")
    plt.close("all")
