"""Shared fixtures: small economies you can check by hand, and dask guards."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import dask
import numpy as np
import pytest
import xarray as xr

import spatialocc

#: The public raw files (../shared/data/raw beside the checkout); tests that read them skip
#: with this reason when they are absent (a user's clone has no ../shared).
RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw"
needs_raw = pytest.mark.skipif(
    not RAW.is_dir(),
    reason=f"the raw public files are not available at {RAW} (see SOURCES.md there); "
    f"only the tests of the bundled file run",
)


@contextlib.contextmanager
def raise_if_dask_computes() -> Iterator[None]:
    """Fail if anything inside the block computes a dask graph."""

    def scheduler(dsk, keys, **kwargs):  # pragma: no cover - only runs on a failure
        raise AssertionError("a dask graph was computed where none should be")

    with dask.config.set(scheduler=scheduler):
        yield


def make_data(
    *,
    wage: np.ndarray,
    employment: np.ndarray,
    price_nontradable: np.ndarray,
    distance: np.ndarray,
    tradable: list[bool],
    value_added_share: np.ndarray,
    input_share: np.ndarray,
    consumption_share: np.ndarray,
    trade_cost_elasticity: np.ndarray,
    industries: list[str],
    cities: list[str],
    occupations: list[str],
    theta: float = 10.0,
    nu: float = 2.02,
    epsilon: float = 2.0,
) -> xr.Dataset:
    """A 'data' Dataset from plain arrays in the kernel axis order."""
    return xr.Dataset(
        {
            "wage": (("occupation", "city"), wage),
            "employment": (("occupation", "industry", "city"), employment),
            "price_nontradable": (("industry", "city"), price_nontradable),
            "distance": (("city", "origin"), distance),
            "theta": theta,
            "nu": nu,
            "epsilon": epsilon,
            "consumption_share": ("industry", consumption_share),
            "value_added_share": ("industry", value_added_share),
            "input_share": (("input", "industry"), input_share),
            "trade_cost_elasticity": ("industry", trade_cost_elasticity),
        },
        coords={
            "occupation": occupations,
            "industry": industries,
            "input": industries,
            "city": cities,
            "origin": cities,
            "tradable": ("industry", tradable),
        },
    )


@pytest.fixture
def two_city() -> xr.Dataset:
    """Two cities, one tradable industry and real estate, two occupations, no inputs.

    The numbers are chosen so that the inversion can be followed with pencil and paper; see
    ``test_inversion.py::test_two_city_economy_by_hand``.
    """
    return make_data(
        wage=np.array([[2.0, 3.0], [1.0, 1.5]]),
        employment=np.array([[[10.0, 20.0], [1.0, 1.0]], [[40.0, 20.0], [2.0, 2.0]]]),
        price_nontradable=np.array([[np.nan, np.nan], [1.2, 0.9]]),
        distance=np.array([[20.0, 100.0], [100.0, 20.0]]),
        tradable=[True, False],
        value_added_share=np.array([1.0, 1.0]),
        input_share=np.zeros((2, 2)),
        consumption_share=np.array([np.nan, 0.25]),
        trade_cost_elasticity=np.array([0.5, np.nan]),
        industries=["Goods", "Real Estate"],
        cities=["A", "B"],
        occupations=["CNR", "nonCNR"],
        theta=4.0,
        nu=2.0,
        epsilon=2.0,
    )


@pytest.fixture(scope="session")
def small_data() -> xr.Dataset:
    """A 12-city, 6-industry synthetic economy with both years."""
    return spatialocc.datasets.synthetic(n_cities=12, n_industries=6, seed=3)


@pytest.fixture(scope="session")
def small_model(small_data: xr.Dataset) -> xr.Dataset:
    return spatialocc.invert(small_data)


@pytest.fixture(scope="session")
def medium_data() -> xr.Dataset:
    """A 40-city economy with the paper's 22 industries, one year."""
    return spatialocc.datasets.synthetic(n_cities=40, years=(2015,), seed=7)


@pytest.fixture(scope="session")
def medium_model(medium_data: xr.Dataset) -> xr.Dataset:
    return spatialocc.invert(medium_data, trade_shares=True)


def wedge_by_definition(model: xr.Dataset, solution: xr.Dataset) -> xr.DataArray:
    """Δ[k,n] = sum_k' w[k',n] L[k',n] / L[k,n] dlogλ[k',n]/dlogL[k,n] (Lemma 2)."""
    residents = solution.employment.sum("industry")
    share = residents / residents.sum("occupation")
    w = solution.wage
    delta = xr.zeros_like(w)
    for k in w.occupation.values:
        total = 0.0
        for kp in w.occupation.values:
            elasticity = float(model.tau_share.sel(occupation=kp)) * (
                (1.0 if kp == k else 0.0) - share.sel(occupation=k)
            ) + float(model.tau_size.sel(occupation=kp)) * share.sel(occupation=k)
            total = total + (w * residents).sel(occupation=kp) * elasticity
        delta.loc[{"occupation": k}] = total / residents.sel(occupation=k)
    return delta
