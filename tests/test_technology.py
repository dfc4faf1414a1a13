"""Figures 14, 15, 19 and 20 as data: each quantity against a by-hand numpy computation on the
12-city, 6-industry synthetic economy of conftest (with holes cut into it: cells without
employment or technology), and the change of technology against the decomposition's Baseline
economy."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc.dims.errors import DimensionError, MissingVariableError
from spatialocc.reports import sector_technology, supplier_intensity, technology_change
from spatialocc.solvers.decomposition import step_model

TAU = {"tau_share": {"CNR": 1.304, "nonCNR": 0.835}, "tau_size": {"CNR": 0.349, "nonCNR": 0.357}}
ORDER = ("occupation", "industry", "city")


@pytest.fixture(scope="module")
def model(small_model) -> xr.Dataset:
    """Both years with τ, and holes: in 1980 one occupation-industry-city cell and one whole
    industry-city without employment (and technology); in 2015 one cell without technology.
    The functions read arrays only, so no inversion is needed after cutting them."""
    model = spatialocc.with_externalities(small_model, **TAU)
    employment = model["employment"].copy()
    lam = model["productivity_exogenous"].copy()
    city = model["city"].values
    for cell in (
        {"year": 1980, "occupation": "nonCNR", "industry": "Industry 02", "city": city[1]},
        {"year": 1980, "industry": "Industry 03", "city": city[2]},
    ):
        employment.loc[cell] = 0.0
        lam.loc[cell] = 0.0
    lam.loc[{"year": 2015, "occupation": "CNR", "industry": "Industry 01", "city": city[0]}] = 0.0
    return model.assign(employment=employment, productivity_exogenous=lam)


def _arrays(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """Plain arrays in the kernel order (k, j, n)."""
    return {
        "lam": ds["productivity_exogenous"].transpose(*ORDER).values,
        "L": ds["employment"].transpose(*ORDER).values,
        "w": ds["wage"].transpose("occupation", "city").values,
        "H": ds["land"].transpose("city").values,
        "beta": ds["land_share"].transpose("industry", "city").values,
        "gamma": ds["value_added_share"].transpose("industry", "city").values,
        "Y": ds["gross_output"].transpose("industry", "city").values,
    }


def _shares(a: dict[str, np.ndarray]) -> np.ndarray:
    bill = a["w"][:, None, :] * a["L"]
    total = bill.sum(0)
    out = np.full(bill.shape, np.nan)
    for j, n in np.ndindex(total.shape):
        if total[j, n] > 0:
            out[:, j, n] = bill[:, j, n] / total[j, n]
    return out


def _local(a: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """l[k,j,n] and the local remainder of log H, by loops."""
    K, J, N = a["L"].shape
    log_lam = np.full((K, J, N), np.nan)
    ok = a["lam"] > 0
    log_lam[ok] = np.log(a["lam"][ok])
    m = np.zeros(J)
    for j in range(J):
        num = den = 0.0
        for k in range(K):
            for n in range(N):
                if ok[k, j, n]:
                    num += a["L"][k, j, n] * log_lam[k, j, n]
                    den += a["L"][k, j, n]
        m[j] = num / den
    b = np.zeros(K)
    for k in range(K):
        num = den = 0.0
        for j in range(J):
            for n in range(N):
                if ok[k, j, n]:
                    num += a["L"][k, j, n] * (log_lam[k, j, n] - m[j])
                    den += a["L"][k, j, n]
        b[k] = num / den
    local = log_lam - m[None, :, None] - b[:, None, None]
    size = a["L"].sum((0, 1))
    log_h = np.log(a["H"])
    return local, log_h - (size * log_h).sum() / size.sum()


def _weighted(values: np.ndarray, shares: np.ndarray, beta: np.ndarray, land: np.ndarray):
    K, J, N = values.shape
    out = np.full((J, N), np.nan)
    for j in range(J):
        for n in range(N):
            used = [k for k in range(K) if shares[k, j, n] > 0 and np.isfinite(values[k, j, n])]
            if not used:
                continue
            s = np.array([shares[k, j, n] for k in used])
            labor = (s * values[used, j, n]).sum() / s.sum()
            out[j, n] = (1 - beta[j, n]) * labor + beta[j, n] * land[n]
    return out


def test_the_fixture_has_holes(model) -> None:
    assert int((model["employment"] == 0).sum()) == 3
    assert int((model["productivity_exogenous"] == 0).sum()) == 4


def test_sector_technology_by_hand(model) -> None:
    one = model.sel(year=2015)
    a = _arrays(one)
    log_lam = np.where(a["lam"] > 0, np.log(np.where(a["lam"] > 0, a["lam"], 1.0)), np.nan)
    expected = _weighted(log_lam, _shares(a), a["beta"], np.log(a["H"]))
    got = sector_technology(one).transpose("industry", "city").values
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    # outside real estate (β = 0) it is the wage-bill-weighted mean of log λ̂
    assert np.isnan(got).sum() == np.isnan(expected).sum()
    with pytest.raises(MissingVariableError, match="with_externalities"):
        sector_technology(one.drop_vars("productivity_exogenous"))
    with pytest.raises(DimensionError, match=r"sel\(year=...\)"):
        sector_technology(model)


def test_sector_technology_does_not_depend_on_the_unit_of_land(small_data) -> None:
    """Real estate's technology weighs land and labor by their cost shares, so the unit of
    land (the inversion's normalization) changes nothing, while λ̂ of real estate alone
    moves by -β/(1-β) times the log change of unit."""
    models = {
        units: spatialocc.with_externalities(
            spatialocc.invert(small_data, land_units=units), **TAU
        ).sel(year=2015)
        for units in ("rent_index", "one")
    }
    first, second = (sector_technology(m) for m in models.values())
    xr.testing.assert_allclose(first, second, rtol=0, atol=1e-10)
    lam = [m["productivity_exogenous"].sel(industry="Real Estate") for m in models.values()]
    assert float(abs(np.log(lam[0] / lam[1])).max()) > 1.0


def test_technology_change_by_hand(model) -> None:
    start, end = model.sel(year=1980), model.sel(year=2015)
    a, z = _arrays(start), _arrays(end)
    l_start, h_start = _local(a)
    l_end, h_end = _local(z)
    expected = _weighted(l_end - l_start, _shares(a), a["beta"], h_end - h_start)
    result = technology_change(model, start=1980, end=2015)
    got = result["technology_change"].transpose("industry", "city").values
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)

    industries = [str(j) for j in model["industry"].values]
    re = industries.index("Real Estate")
    va = a["gamma"] * a["Y"]
    mean = np.empty(expected.shape[1])
    for n in range(expected.shape[1]):
        keep = [j for j in range(len(industries)) if j != re and np.isfinite(expected[j, n])]
        mean[n] = (va[keep, n] * expected[keep, n]).sum() / va[keep, n].sum()
    np.testing.assert_allclose(result["non_real_estate"].values, mean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result["real_estate"].values, expected[re], rtol=1e-10)
    assert np.isnan(got).sum() == 1  # the industry-city without employment in 1980
    xr.testing.assert_equal(
        result["employment"], start["employment"].transpose(*ORDER).drop_vars("year")
    )
    assert result.attrs == {"start": 1980, "end": 2015, "real_estate": "Real Estate"}


def test_technology_change_is_relative_to_the_decomposition_baseline(model) -> None:
    """log λ̂ (and log H) of the end year minus those of the decomposition's Baseline economy
    are the local changes the figures average."""
    start, end = model.sel(year=1980), model.sel(year=2015)
    baseline = step_model(
        start, end, {"shares", "national_technology", "skill_bias", "occupation_shares"}
    )
    a, z, base = _arrays(start), _arrays(end), _arrays(baseline)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_change = np.log(z["lam"]) - np.log(base["lam"])
    log_change[~np.isfinite(log_change)] = np.nan
    expected = _weighted(log_change, _shares(a), a["beta"], np.log(z["H"] / base["H"]))
    got = technology_change(model)["technology_change"].transpose("industry", "city").values
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-10)


def test_national_changes_leave_no_local_change(model) -> None:
    """Scaling λ̂ by an industry factor, and land by one number, changes national technology
    and the land level only: no local change. (An occupation factor is not fully absorbed:
    the decomposition's one-pass split leaves its industry-composition part in l.)"""
    start = model.sel(year=1980)
    rng = np.random.default_rng(0)
    by_industry = xr.DataArray(rng.uniform(0.5, 2, start.sizes["industry"]), dims="industry")
    later = start.assign(
        productivity_exogenous=start["productivity_exogenous"] * by_industry,
        land=start["land"] * 3.0,
    )
    both = xr.concat([start, later], dim=xr.DataArray([1980, 2015], dims="year", name="year"))
    result = technology_change(both)
    finite = np.isfinite(result["technology_change"])
    assert int(finite.sum()) > 0
    np.testing.assert_allclose(result["technology_change"].values[finite.values], 0, atol=1e-12)
    np.testing.assert_allclose(result["non_real_estate"], 0, atol=1e-12)


def test_technology_change_errors(model) -> None:
    with pytest.raises(DimensionError, match="'year'"):
        technology_change(model.sel(year=2015))
    with pytest.raises(KeyError, match="missing"):
        technology_change(model, start=1990)
    with pytest.raises(KeyError, match="real_estate="):
        technology_change(model, real_estate="Housing")


def test_supplier_intensity_by_hand(model) -> None:
    one = model.sel(year=2015)
    a = _arrays(one)
    gamma_in = one["input_share"].transpose("input", "industry", "city").values
    assert np.ptp(a["gamma"], axis=1).max() > 0  # value-added shares vary across cities
    bill = a["w"][:, None, :] * a["L"]
    J = bill.shape[1]
    sigma = np.array([bill[0, j].sum() / bill[:, j].sum() for j in range(J)])
    expected = np.empty(J)
    for j in range(J):
        output = a["Y"][j].sum()
        va = (a["gamma"][j] * a["Y"][j]).sum() / output
        bought = [(gamma_in[i, j] * a["Y"][j]).sum() / output for i in range(J)]
        assert sum(bought) == pytest.approx(1 - va)
        expected[j] = sum(bought[i] * sigma[i] for i in range(J)) / (1 - va)
    result = supplier_intensity(one)
    np.testing.assert_allclose(result["wage_bill_share"].values, sigma, rtol=1e-12)
    np.testing.assert_allclose(result["supplier_share"].values, expected, rtol=1e-12)
    np.testing.assert_allclose(result["employment"].values, a["L"].sum((0, 2)))
    other = supplier_intensity(one, occupation="nonCNR")
    np.testing.assert_allclose(other["wage_bill_share"] + result["wage_bill_share"], 1.0)
    with pytest.raises(KeyError, match="occupation 'X'"):
        supplier_intensity(one, occupation="X")
