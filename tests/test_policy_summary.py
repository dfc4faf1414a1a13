"""Every statistic of :func:`spatialocc.policy_summary` (MODEL.md section 4, "Summary
statistics the paper reports") recomputed here with plain numpy from the model (the reference
equilibrium) and the optimum, and :func:`spatialocc.policy_table` checked cell by cell.

The definitions, as the docstring of ``policy_summary`` states them, for the compared
occupations ``a`` and ``b``:

- ``social_private_ratio_{reference,optimum}[k] = sum_n (w+Δ)L / sum_n wL`` at that allocation;
- the wedge difference ``d[n] = Δ[a,n] - Δ[b,n]`` at the reference; its mean weighted by city
  employment ``L[n]`` at the reference; its Pearson correlations with the share of ``a``,
  ``L[a,n]/L[n]``, and with ``log L[n]``, unweighted and weighted by ``L[n]``;
- transfers ``T = e - w - χ`` at the optimum: by occupation, the mean weighted by the
  occupation's own employment at the optimum ``L[k,n]``, the plain mean across cities, and the
  10th/90th percentiles across cities, unweighted and weighted by ``L[k,n]`` at the optimum;
- the share of cities where ``a`` workers are net payers, ``T[a,n] < 0``;
- the welfare gain ``v/v_ref - 1``; the change in each city's industrial Gini.

The economy (12 cities, seed 1, the paper's CUE elasticities) is chosen so that every
statistic is distinguishable from the mistakes it could hide (wrong occupation, sign, weights,
percentile, allocation); each test asserts that first, so none can pass vacuously.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc.solvers import optimal as op
from tests.conftest import wedge_by_definition

CUE = {
    "tau_share": {"CNR": 1.304, "nonCNR": 0.835},
    "tau_size": {"CNR": 0.349, "nonCNR": 0.357},
}
# Same float64 inputs, summed in another order: only rounding separates the two computations.
RTOL = 1e-10
# Statistics that must differ for a test to discriminate differ by far more than this.
DISTINCT = 1e-6

#: Every variable of the summary and its dimensions for one economy: the tests below check
#: each of them, and ``test_the_summary_has_exactly_these_variables`` fails if one is added.
VARIABLES = {
    "social_private_ratio_reference": ("occupation",),
    "social_private_ratio_optimum": ("occupation",),
    "mean_wedge_difference": (),
    "corr_wedge_difference_share": (),
    "corr_wedge_difference_log_size": (),
    "corr_wedge_difference_share_weighted": (),
    "corr_wedge_difference_log_size_weighted": (),
    "mean_transfer": ("occupation",),
    "mean_transfer_unweighted": ("occupation",),
    "transfer_p10": ("occupation",),
    "transfer_p90": ("occupation",),
    "transfer_p10_weighted": ("occupation",),
    "transfer_p90_weighted": ("occupation",),
    "transfer_median": ("occupation",),
    "transfer_median_weighted": ("occupation",),
    "lump_sum": ("occupation",),
    "share_cities_net_payer": (),
    "welfare_gain": ("occupation",),
    "industrial_gini_change": ("city",),
}


@pytest.fixture(scope="module")
def batch_model() -> xr.Dataset:
    data = spatialocc.datasets.synthetic(n_cities=12, n_industries=6, seed=1)
    return spatialocc.with_externalities(spatialocc.invert(data), **CUE)


@pytest.fixture(scope="module")
def batch_optimum(batch_model) -> xr.Dataset:
    optimum = spatialocc.solve_optimal(batch_model)
    assert bool(optimum.converged.all())
    return optimum


@pytest.fixture(scope="module")
def model(batch_model) -> xr.Dataset:
    return batch_model.sel(year=2015)


@pytest.fixture(scope="module")
def optimum(batch_optimum) -> xr.Dataset:
    return batch_optimum.sel(year=2015)


@pytest.fixture(scope="module")
def summary(model, optimum) -> xr.Dataset:
    return spatialocc.policy_summary(model, optimum)


# -- independent implementations --------------------------------------------------------------


def weighted_quantile_by_hand(x: np.ndarray, q: float, w: np.ndarray) -> float:
    """The midpoint rule, walked through by hand: sorted by value, observation i sits at the
    cumulative weight share (W_i - w_i/2)/W; linear between these points, flat beyond them;
    observations of zero weight do not count."""
    pairs = sorted((float(xi), float(wi)) for xi, wi in zip(x, w, strict=True) if wi > 0)
    total = sum(wi for _, wi in pairs)
    positions, running = [], 0.0
    for _, wi in pairs:
        positions.append((running + wi / 2) / total)
        running += wi
    values = [xi for xi, _ in pairs]
    if q <= positions[0]:
        return values[0]
    if q >= positions[-1]:
        return values[-1]
    for i in range(len(values) - 1):
        if positions[i] <= q <= positions[i + 1]:
            slope = (values[i + 1] - values[i]) / (positions[i + 1] - positions[i])
            return values[i] + slope * (q - positions[i])
    raise AssertionError("unreachable")


def weighted_corr_numpy(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    c = np.cov(np.vstack([x, y]), aweights=w)
    return float(c[0, 1] / np.sqrt(c[0, 0] * c[1, 1]))


def lorenz_gini(shares: np.ndarray) -> float:
    """Twice the area between the diagonal and the Lorenz curve of ``shares`` (sum to one)."""
    lorenz = np.concatenate([[0.0], np.cumsum(np.sort(shares))])
    return float(1.0 - np.sum(lorenz[1:] + lorenz[:-1]) / shares.size)


def by_occupation(da: xr.DataArray) -> dict[str, np.ndarray]:
    da = da.transpose("occupation", ...)
    return {str(k): da.sel(occupation=k).values for k in da.occupation.values}


def by_definition(ref: xr.Dataset, opt: xr.Dataset, a: str, b: str) -> dict[str, object]:
    """Every statistic of the summary from MODEL.md's definitions, with plain numpy.

    Wedges by the loop of ``tests.conftest.wedge_by_definition`` with the model's τ (the
    reference's), transfers as e - w - χ (not the optimum's ``transfer``), welfare gains as
    v / v_ref - 1, Gini indices from Lorenz curves."""
    occupations = [str(k) for k in opt.occupation.values]
    res_ref = by_occupation(ref.employment.sum("industry"))
    res_opt = by_occupation(opt.employment.sum("industry"))
    wage_ref, wage_opt = by_occupation(ref.wage), by_occupation(opt.wage)
    delta_ref = by_occupation(wedge_by_definition(ref, ref))
    delta_opt_da = wedge_by_definition(ref, opt)
    delta_opt = by_occupation(delta_opt_da)

    def ratio(wage, delta, res) -> np.ndarray:
        return np.array(
            [np.sum((wage[k] + delta[k]) * res[k]) / np.sum(wage[k] * res[k]) for k in occupations]
        )

    size = sum(res_ref[k] for k in occupations)  # L[n] at the reference
    diff = delta_ref[a] - delta_ref[b]
    share_a = res_ref[a] / size
    log_size = np.log(size)
    chi = opt.land_income_per_worker
    transfer = by_occupation(opt.consumption - opt.wage - chi)
    out: dict[str, object] = {
        "social_private_ratio_reference": ratio(wage_ref, delta_ref, res_ref),
        "social_private_ratio_optimum": ratio(wage_opt, delta_opt, res_opt),
        "mean_wedge_difference": np.average(diff, weights=size),
        "corr_wedge_difference_share": np.corrcoef(diff, share_a)[0, 1],
        "corr_wedge_difference_log_size": np.corrcoef(diff, log_size)[0, 1],
        "corr_wedge_difference_share_weighted": weighted_corr_numpy(diff, share_a, size),
        "corr_wedge_difference_log_size_weighted": weighted_corr_numpy(diff, log_size, size),
        "share_cities_net_payer": np.mean(transfer[a] < 0),
        "welfare_gain": (opt.welfare / ref.welfare - 1.0).sel(occupation=occupations).values,
    }
    for name, stat in {
        "mean_transfer": lambda k: np.average(transfer[k], weights=res_opt[k]),
        "mean_transfer_unweighted": lambda k: np.mean(transfer[k]),
        "transfer_p10": lambda k: np.quantile(transfer[k], 0.1, method="hazen"),
        "transfer_p90": lambda k: np.quantile(transfer[k], 0.9, method="hazen"),
        "transfer_p10_weighted": lambda k: weighted_quantile_by_hand(transfer[k], 0.1, res_opt[k]),
        "transfer_p90_weighted": lambda k: weighted_quantile_by_hand(transfer[k], 0.9, res_opt[k]),
        "transfer_median": lambda k: np.quantile(transfer[k], 0.5, method="hazen"),
        "transfer_median_weighted": lambda k: weighted_quantile_by_hand(
            transfer[k], 0.5, res_opt[k]
        ),
    }.items():
        out[name] = np.array([stat(k) for k in occupations])

    def gini(ds: xr.Dataset) -> np.ndarray:
        bill = (ds.wage * ds.employment).sum("occupation").transpose("city", "industry").values
        return np.array([lorenz_gini(row / row.sum()) for row in bill])

    out["industrial_gini_change"] = gini(opt) - gini(ref)
    # Proposition 1: e = (1 - t_L)(w + Δ) + χ + R[k], so R is what is left of e, in any city
    t_l = 1 / (1 + float(ref.nu))
    rest = by_occupation(opt.consumption - (1 - t_l) * (opt.wage + delta_opt_da) - chi)
    out["lump_sum"] = np.array([rest[k].mean() for k in occupations])
    # What the statistics must be told apart from (used by the guards below).
    out["_transfer"], out["_res_ref"], out["_res_opt"] = transfer, res_ref, res_opt
    out["_diff"], out["_size"] = diff, size
    out["_share_b"] = np.mean(transfer[b] < 0)
    return out


def check(summary: xr.Dataset, expected: dict[str, object], names: list[str]) -> None:
    for name in names:
        np.testing.assert_allclose(summary[name].values, expected[name], rtol=RTOL, err_msg=name)


def distinct(x: float, y: float) -> bool:
    return abs(x - y) > DISTINCT * max(abs(x), abs(y))


# -- the statistics -----------------------------------------------------------------------------


def test_the_summary_has_exactly_these_variables(model, optimum, summary) -> None:
    assert {name: summary[name].dims for name in summary.data_vars} == VARIABLES
    assert summary.occupation.values.tolist() == ["CNR", "nonCNR"]
    xr.testing.assert_equal(summary.city, optimum.city)
    assert summary.attrs["compared_occupations"] == "CNR vs nonCNR"


def test_social_private_value_ratios(model, optimum, summary) -> None:
    """sum_n (w+Δ)L / sum_n wL per occupation, at the reference and at the optimum."""
    expected = by_definition(model, optimum, "CNR", "nonCNR")
    ref, opt = expected["social_private_ratio_reference"], expected["social_private_ratio_optimum"]
    # Guards: occupations differ, and the two allocations differ.
    assert distinct(ref[0], ref[1]) and distinct(opt[0], opt[1])
    assert distinct(ref[0], opt[0]) and distinct(ref[1], opt[1])
    check(summary, expected, ["social_private_ratio_reference", "social_private_ratio_optimum"])
    # The optimum's own Δ is the same wedge.
    np.testing.assert_allclose(
        optimum.wedge.transpose("occupation", "city"),
        wedge_by_definition(model, optimum).transpose("occupation", "city"),
        rtol=RTOL,
    )


def test_wedge_difference_mean_and_correlations(model, optimum, summary) -> None:
    """Δ[CNR,n] - Δ[nonCNR,n] at the reference: its L[n]-weighted mean, and its correlations
    with the CNR share and log size, unweighted and L[n]-weighted (numpy.cov aweights)."""
    expected = by_definition(model, optimum, "CNR", "nonCNR")
    diff, size = expected["_diff"], expected["_size"]
    mean = expected["mean_wedge_difference"]
    # Guards: the sign matters, and so do the weights and which variable is correlated.
    assert mean > 0 and distinct(mean, diff.mean())
    assert distinct(mean, np.average(diff, weights=expected["_res_ref"]["CNR"]))
    corr = {k: expected[k] for k in VARIABLES if k.startswith("corr_")}
    assert len(set(np.round(list(corr.values()), 6))) == 4
    assert all(0 < abs(c) < 1 for c in corr.values())
    check(summary, expected, ["mean_wedge_difference", *corr])
    # The unweighted correlation is numpy.cov with equal weights.
    share = expected["_res_ref"]["CNR"] / size
    np.testing.assert_allclose(
        summary.corr_wedge_difference_share,
        weighted_corr_numpy(diff, share, np.ones_like(size)),
        rtol=RTOL,
    )


def test_mean_transfers_and_their_percentiles(model, optimum, summary) -> None:
    """T = e - w - χ at the optimum: means weighted by the occupation's employment at the
    optimum and unweighted; 10th/90th percentiles across cities (midpoint rule: numpy's
    "hazen" unweighted, by hand weighted by that employment)."""
    expected = by_definition(model, optimum, "CNR", "nonCNR")
    transfer, res_opt, res_ref = expected["_transfer"], expected["_res_opt"], expected["_res_ref"]
    names = [k for k in VARIABLES if "transfer" in k]
    for i, k in enumerate(["CNR", "nonCNR"]):
        stats = {name: expected[name][i] for name in names}
        # Guards: p10 < median < p90, weighted != unweighted, optimum employment != reference's.
        assert stats["transfer_p10"] < stats["transfer_median"] < stats["transfer_p90"]
        assert distinct(stats["transfer_median"], stats["transfer_median_weighted"])
        assert stats["transfer_p10_weighted"] < stats["transfer_p90_weighted"]
        assert distinct(stats["mean_transfer"], stats["mean_transfer_unweighted"])
        assert distinct(stats["transfer_p10"], stats["transfer_p10_weighted"])
        assert distinct(stats["transfer_p90"], stats["transfer_p90_weighted"])
        assert distinct(stats["mean_transfer"], np.average(transfer[k], weights=res_ref[k]))
        for q in (0.1, 0.9):
            assert distinct(
                weighted_quantile_by_hand(transfer[k], q, res_opt[k]),
                weighted_quantile_by_hand(transfer[k], q, res_ref[k]),
            )
    for name in names:  # the occupations differ in every statistic
        assert distinct(*expected[name])
    # CNR pays on average, nonCNR receives, and the budget balances at the optimum.
    assert expected["mean_transfer"][0] < 0 < expected["mean_transfer"][1]
    budget = sum(np.sum(transfer[k] * res_opt[k]) for k in transfer)
    bill = float((optimum.wage * optimum.employment.sum("industry")).sum())
    assert abs(budget) < 1e-9 * bill  # solver tol 1e-10 on relative residuals
    check(summary, expected, names)


def test_lump_sums_close_the_rule(model, optimum, summary) -> None:
    """R[k] in the summary is the lump sum of Proposition 1's rule: e - (1 - t_L)(w + Δ) - χ,
    recomputed here from the optimum with the wedge by definition, the same in every city."""
    t_l = 1 / (1 + float(model.nu))
    delta = wedge_by_definition(model, optimum)
    rest = optimum.consumption - (1 - t_l) * (optimum.wage + delta) - optimum.land_income_per_worker
    for k in ("CNR", "nonCNR"):
        r = rest.sel(occupation=k).values
        assert np.ptp(r) < 1e-8 * np.abs(r).max()
        np.testing.assert_allclose(summary["lump_sum"].sel(occupation=k), r.mean(), rtol=1e-8)


def test_share_of_cities_where_the_first_occupation_pays(model, optimum, summary) -> None:
    """The share of cities with T[CNR,n] < 0 at the optimum."""
    expected = by_definition(model, optimum, "CNR", "nonCNR")
    share, share_b = expected["share_cities_net_payer"], expected["_share_b"]
    # Guards: strictly inside (0, 1), not 1/2 (a flipped inequality would give 1 - share),
    # and different for the other occupation (and from 1 - its share).
    assert 0 < share < 1 and share != 0.5
    assert share_b not in (share, 1 - share)
    assert float(summary.share_cities_net_payer) == share  # counts of 12 cities: exact


def test_welfare_gain_and_industrial_gini_change(model, optimum, summary) -> None:
    """v/v_ref - 1, and Gini(optimum) - Gini(reference) per city from Lorenz curves."""
    expected = by_definition(model, optimum, "CNR", "nonCNR")
    gain, gini = expected["welfare_gain"], expected["industrial_gini_change"]
    assert np.all(gain > DISTINCT)  # a gain, not the ratio v/v_ref
    assert np.ptp(gini) > 1e-3 and np.all(gini != 0)  # varies across cities
    check(summary, expected, ["welfare_gain", "industrial_gini_change"])
    np.testing.assert_array_equal(summary.industrial_gini_change.city, optimum.city)


def test_the_compared_occupations_can_be_swapped(model, optimum) -> None:
    """occupations=("nonCNR", "CNR"): differences reverse, the payer share is nonCNR's."""
    swapped = spatialocc.policy_summary(model, optimum, occupations=("nonCNR", "CNR"))
    expected = by_definition(model, optimum, "nonCNR", "CNR")
    assert expected["share_cities_net_payer"] != expected["_share_b"]
    check(swapped, expected, list(VARIABLES))
    assert swapped.attrs["compared_occupations"] == "nonCNR vs CNR"


def test_the_first_two_occupations_are_compared_by_default(model, optimum) -> None:
    names = {"CNR": "hi", "nonCNR": "lo"}
    relabeled = [
        ds.assign_coords(occupation=[names[k] for k in ds.occupation.values])
        for ds in (model, optimum)
    ]
    summary = spatialocc.policy_summary(*relabeled)
    check(summary, by_definition(*relabeled, "hi", "lo"), list(VARIABLES))


def test_policy_summary_over_a_batch_dimension(batch_model, batch_optimum) -> None:
    """Each year's statistics are those of that year's economy, recomputed here."""
    summary = spatialocc.policy_summary(batch_model, batch_optimum)
    assert summary.year.values.tolist() == batch_model.year.values.tolist()
    for year in summary.year.values:
        one = summary.sel(year=year)
        ref, opt = batch_model.sel(year=year), batch_optimum.sel(year=year)
        assert {name: one[name].dims for name in one.data_vars}.keys() == VARIABLES.keys()
        check(one, by_definition(ref, opt, "CNR", "nonCNR"), list(VARIABLES))
    # The two years differ, so a mix-up between them would show.
    first, last = (summary.sel(year=y) for y in summary.year.values[[0, -1]])
    assert distinct(float(first.mean_wedge_difference), float(last.mean_wedge_difference))


# -- the helpers --------------------------------------------------------------------------------


def test_weighted_quantile_definition() -> None:
    """Midpoint rule: sorted x_i at cumulative weight share (W_i - w_i/2)/W, linear between,
    flat beyond; with equal weights numpy's method="hazen" (Hyndman-Fan type 5)."""
    # By hand: x = 10, 20, 30 with weights 1, 2, 1 sit at 1/8, 1/2, 7/8.
    x, w = np.array([30.0, 10.0, 20.0]), np.array([1.0, 1.0, 2.0])
    for q, value in [(0.05, 10.0), (0.125, 10.0), (0.3125, 15.0), (0.5, 20.0), (0.95, 30.0)]:
        assert op._weighted_quantile(x, q, w) == pytest.approx(value, rel=1e-15)
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=15), rng.uniform(0.1, 3.0, size=15)
    for q in (0.0, 0.03, 0.1, 0.37, 0.5, 0.9, 0.99, 1.0):
        # interpolation of the same points in another order of operations: rounding only
        assert op._weighted_quantile(x, q, w) == pytest.approx(
            weighted_quantile_by_hand(x, q, w), rel=1e-12, abs=1e-15
        )
        hazen = np.quantile(x, q, method="hazen")
        assert op._weighted_quantile(x, q, np.full(15, 2.5)) == pytest.approx(hazen, rel=1e-12)
        # the unweighted percentile is the same rule with equal weights
        assert op._weighted_quantile(x, q) == pytest.approx(hazen, rel=1e-12)
    # Guard: these weights matter, and "hazen" differs from numpy's default "linear".
    assert distinct(op._weighted_quantile(x, 0.1, w), np.quantile(x, 0.1, method="hazen"))
    assert distinct(np.quantile(x, 0.1, method="hazen"), np.quantile(x, 0.1))


def test_weighted_quantile_ignores_zero_weights() -> None:
    """A city without workers of an occupation carries no weight in its percentiles."""
    x, w = np.array([1.0, 2.0, 10.0]), np.array([1.0, 0.0, 1.0])
    assert op._weighted_quantile(x, 0.5, w) == pytest.approx(5.5, rel=1e-15)  # (1 + 10) / 2
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=9), rng.uniform(0.1, 3.0, size=9)
    w[[2, 5]] = 0.0
    for q in (0.1, 0.5, 0.9):
        assert op._weighted_quantile(x, q, w) == pytest.approx(
            op._weighted_quantile(x[w > 0], q, w[w > 0]), rel=1e-15
        )


def test_weighted_corr_matches_numpy_cov_with_aweights() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=20)
    y = 0.5 * x + rng.normal(size=20)
    w = rng.uniform(0.1, 5.0, size=20)
    weighted = op._weighted_corr(x, y, w)
    # moments of the same data in another order of summation: rounding only
    assert weighted == pytest.approx(weighted_corr_numpy(x, y, w), rel=1e-12)
    assert op._weighted_corr(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1], rel=1e-12)
    assert distinct(weighted, np.corrcoef(x, y)[0, 1])  # guard: the weights matter


# -- the table ----------------------------------------------------------------------------------


@pytest.mark.parametrize("occupations", [("CNR", "nonCNR"), ("nonCNR", "CNR")])
def test_policy_table_cells_and_labels(model, optimum, occupations) -> None:
    """Each cell is the statistic recomputed here, in its row and column; the net-payer share
    is labeled with the occupation that pays; the wedge differences with their direction."""
    a, b = occupations
    summary = spatialocc.policy_summary(model, optimum, occupations=occupations)
    table = spatialocc.policy_table(summary)
    expected = by_definition(model, optimum, a, b)
    assert table.columns.tolist() == ["CNR", "nonCNR", "all"]
    payer = f"share_cities_{a}_net_payer"
    by_row = {name: name for name in VARIABLES if name not in ("industrial_gini_change",)}
    by_row["share_cities_net_payer"] = payer
    assert sorted(table.index) == sorted([*by_row.values(), "industrial_gini_change_mean"])
    for name, row in by_row.items():
        if VARIABLES[name] == ("occupation",):
            np.testing.assert_allclose(
                table.loc[row, ["CNR", "nonCNR"]].to_numpy(float), expected[name], rtol=RTOL
            )
            assert np.isnan(table.loc[row, "all"]), row
        else:
            np.testing.assert_allclose(table.loc[row, "all"], expected[name], rtol=RTOL)
            assert table.loc[row, ["CNR", "nonCNR"]].isna().all(), row
    np.testing.assert_allclose(
        table.loc["industrial_gini_change_mean", "all"],
        expected["industrial_gini_change"].mean(),
        rtol=RTOL,
    )
    assert f"{a} minus {b}" in table.index.name
    # Guard: the swapped order changes the signed and occupation-specific rows.
    assert expected["share_cities_net_payer"] != expected["_share_b"]


def test_policy_table_rejects_a_batch_of_economies(batch_model, batch_optimum) -> None:
    summary = spatialocc.policy_summary(batch_model, batch_optimum)
    with pytest.raises(ValueError, match=r"one economy.*\['year'\]"):
        spatialocc.policy_table(summary)
