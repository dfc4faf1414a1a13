"""Synthetic economies: plausible, valid, reproducible."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc.datasets import PAPER_INDUSTRIES
from spatialocc.datasets.geography import LOWER_48, great_circle_miles, inside


@pytest.fixture(scope="module")
def full() -> xr.Dataset:
    return spatialocc.datasets.synthetic()


def test_full_size_layout(full) -> None:
    assert dict(full.sizes) == {
        "year": 2,
        "occupation": 2,
        "industry": 22,
        "input": 22,
        "city": 382,
        "origin": 382,
    }
    assert full.year.values.tolist() == [1980, 2015]
    assert full.occupation.values.tolist() == ["CNR", "nonCNR"]
    assert full.industry.values.tolist() == [s.name for s in PAPER_INDUSTRIES]
    nontradables = full.industry.where(~full.tradable, drop=True).values.tolist()
    assert nontradables == ["Retail, Construction, and Utilities", "Real Estate"]
    spatialocc.validate(full, kind="data")


def test_zipf_city_sizes(full) -> None:
    size = full.employment.sel(year=2015).sum(["occupation", "industry"]).values
    assert 3e4 < size.min() < 8e4
    assert 7e6 < size.max() < 1.2e7
    # Rank-size regression: log size on log rank has a slope near -1 (Zipf).
    ranked = np.sort(size)[::-1]
    slope = np.polyfit(np.log(np.arange(1, size.size + 1)), np.log(ranked), 1)[0]
    assert -1.1 < slope < -0.75


def test_geography(full) -> None:
    lat, lon = full.lat.values, full.lon.values
    assert inside(lon, lat).all()
    assert ((lat > 24) & (lat < 50) & (lon > -125) & (lon < -66)).all()
    d = full.distance.values
    np.testing.assert_array_equal(np.diag(d), 20.0)
    off = d[~np.eye(d.shape[0], dtype=bool)]
    assert off.min() >= 25.0 and off.max() < 2900.0
    assert set(np.unique(full.division.values)) <= set(range(1, 10))
    assert len(np.unique(full.division.values)) >= 7


def test_great_circle_against_known_distance() -> None:
    """New York to Los Angeles is about 2,445 miles on the great circle."""
    d = great_circle_miles(np.array([40.7128, 34.0522]), np.array([-74.0060, -118.2437]))
    assert d[0, 1] == pytest.approx(2445, rel=0.01)
    assert inside(np.array([-98.0, -87.0, -60.0]), np.array([39.0, 26.0, 40.0])).tolist() == [
        True,
        False,
        False,
    ]
    assert LOWER_48.shape[1] == 2


def _cnr_share(ds: xr.Dataset, year: int) -> tuple[np.ndarray, np.ndarray]:
    L = ds.employment.sel(year=year).sum("industry")
    return (L.sel(occupation="CNR") / L.sum("occupation")).values, np.log(L.sum("occupation"))


def test_cnr_share_rises_with_size_and_over_time(full) -> None:
    share15, size15 = _cnr_share(full, 2015)
    share80, _ = _cnr_share(full, 1980)
    corr = np.corrcoef(share15, size15)[0, 1]
    assert 0.45 < corr < 0.7
    assert share80.mean() < share15.mean()
    assert share80.std() < share15.std()


def test_cnr_premium_rises_with_cnr_share(full) -> None:
    share, _ = _cnr_share(full, 2015)
    w = full.wage.sel(year=2015)
    premium = np.log(w.sel(occupation="CNR") / w.sel(occupation="nonCNR")).values
    assert np.corrcoef(premium, share)[0, 1] > 0.4
    assert 1.5 < np.exp(premium.mean()) < 2.6


def test_table_1_slopes(full) -> None:
    """Univariate slopes of log wages on log size and CNR share near the paper's Table 1
    (CNR 0.059 / 1.499, nonCNR 0.050 / 0.993, premium 0.022 / 0.506)."""
    share, log_size = _cnr_share(full, 2015)
    w = np.log(full.wage.sel(year=2015))
    premium = (w.sel(occupation="CNR") - w.sel(occupation="nonCNR")).values
    slope = lambda y, x: np.polyfit(x, y, 1)[0]  # noqa: E731
    assert slope(w.sel(occupation="CNR").values, log_size) == pytest.approx(0.059, abs=0.02)
    assert slope(w.sel(occupation="nonCNR").values, log_size) == pytest.approx(0.050, abs=0.02)
    assert slope(premium, share) == pytest.approx(0.506, abs=0.1)
    assert slope(w.sel(occupation="CNR").values, share) == pytest.approx(1.499, abs=0.3)
    assert slope(w.sel(occupation="nonCNR").values, share) == pytest.approx(0.993, abs=0.3)


def test_cnr_intensive_industries_buy_from_cnr_intensive(full) -> None:
    L = full.employment.sel(year=2015).sum("city")
    intensity = (L.sel(occupation="CNR") / L.sum("occupation")).values
    io = full.input_share.sel(year=2015).drop_sel(input="Real Estate", industry="Real Estate")
    keep = [n != "Real Estate" for n in full.industry.values]
    weights = io.values / io.values.sum(axis=0, keepdims=True)
    supplier_intensity = weights.T @ intensity[keep]
    assert np.corrcoef(supplier_intensity, intensity[keep])[0, 1] > 0.5


def test_zero_cells_and_instruments(full) -> None:
    empty = full.employment.sel(year=2015).sum("occupation") == 0
    assert 0 < int(empty.sum()) < 0.2 * empty.size
    assert not bool(empty.sel(industry=~full.tradable).any())
    assert full.historical_population.min() > 0
    assert full.land_grant_college.dtype == bool and 0 < full.land_grant_college.sum() < 100
    size = np.log(full.employment.sel(year=2015).sum(["occupation", "industry"]))
    assert np.corrcoef(np.log(full.historical_population), size)[0, 1] > 0.5
    assert np.isfinite(full.immigrant_enclave).all()


def test_generic_names_and_reproducibility() -> None:
    a = spatialocc.datasets.synthetic(n_cities=7, n_industries=5, n_occupations=3, seed=11)
    b = spatialocc.datasets.synthetic(n_cities=7, n_industries=5, n_occupations=3, seed=11)
    xr.testing.assert_identical(a, b)
    assert a.industry.values.tolist()[:3] == ["Industry 01", "Industry 02", "Industry 03"]
    assert a.occupation.values.tolist() == ["occupation_1", "occupation_2", "occupation_3"]
    c = spatialocc.datasets.synthetic(n_cities=7, n_industries=5, n_occupations=3, seed=12)
    assert not np.allclose(a.wage, c.wage)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_industries": 2}, "n_industries must be at least 3"),
        ({"n_cities": 1}, "n_cities must be at least 2"),
        ({"years": (2015, 2015)}, "years must be distinct"),
    ],
)
def test_bad_arguments(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        spatialocc.datasets.synthetic(**kwargs)


def test_full_size_inverts(full) -> None:
    model = spatialocc.invert(full)
    spatialocc.validate(model, kind="model")
    assert bool(model.converged.all())
    beta = model.land_share.sel(industry="Real Estate")
    assert float(beta.min()) > 0.5 and float(beta.max()) < 0.99
