"""Batch dimensions (``year``, ``scenario``, anything else): functions that solve batches give,
label by label, what separate runs give; functions that take one economy say how to pick one."""

from __future__ import annotations

import re

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc.solvers import counterfactuals as cf
from spatialocc.solvers.decomposition import (
    cnr_share_distribution,
    decompose,
    decomposition_table,
)
from tests.conftest import raise_if_dask_computes

TAU = {"tau_share": {"CNR": 1.304, "nonCNR": 0.835}, "tau_size": {"CNR": 0.349, "nonCNR": 0.357}}

#: Variables of an optimum compared between the batched and the separate solves.
OPTIMUM_VARIABLES = ("welfare", "welfare_gain", "employment", "wage", "lump_sum", "transfer")


@pytest.fixture(scope="module")
def inverted() -> xr.Dataset:
    """A 7-city economy inverted for both years, without externalities."""
    return spatialocc.invert(spatialocc.datasets.synthetic(n_cities=7, n_industries=4, seed=5))


@pytest.fixture(scope="module")
def one_year(inverted: xr.Dataset) -> xr.Dataset:
    return spatialocc.with_externalities(inverted.sel(year=2015), **TAU)


@pytest.fixture(scope="module")
def optimum_stack(one_year: xr.Dataset) -> tuple[xr.Dataset, xr.Dataset, dict[str, xr.Dataset]]:
    """The model stacked along ``scenario``, its in-memory optimum, and each scenario's
    optimum solved on its own from the untransformed model."""
    stacked = cf.scenarios(one_year, {"baseline": None, "no_trade_costs": cf.no_trade_costs})
    separate = {
        "baseline": spatialocc.solve_optimal(one_year),
        "no_trade_costs": spatialocc.solve_optimal(cf.no_trade_costs(one_year)),
    }
    return stacked, spatialocc.solve_optimal(stacked), separate


@pytest.mark.parametrize("chunked", [False, True], ids=["in_memory", "dask"])
def test_solve_optimal_solves_each_scenario_on_its_own(
    optimum_stack: tuple[xr.Dataset, xr.Dataset, dict[str, xr.Dataset]], chunked: bool
) -> None:
    stacked, eager, separate = optimum_stack
    if chunked:
        with raise_if_dask_computes():
            lazy = spatialocc.solve_optimal(stacked.chunk({"scenario": 1}))
        # one task per scenario: the batch is solved in parallel, not gathered into one chunk
        assert lazy["welfare"].chunksizes["scenario"] == (1, 1)
        batched = lazy.compute()
    else:
        batched = eager
    assert batched["scenario"].values.tolist() == ["baseline", "no_trade_costs"]
    for name, alone in separate.items():
        one = batched.sel(scenario=name, drop=True)
        assert bool(one["converged"].all())
        for var in OPTIMUM_VARIABLES:
            # solver tol 1e-10 on relative residuals; the same arithmetic per slice agrees far
            # closer (observed < 1e-13)
            xr.testing.assert_allclose(one[var], alone[var].transpose(*one[var].dims), rtol=1e-10)
    # the scenarios differ, so a mix-up of slices cannot pass unnoticed
    gap = separate["baseline"]["welfare"] / separate["no_trade_costs"]["welfare"]
    assert float(abs(gap - 1).max()) > 1e-3


def test_check_optimum_checks_each_scenario_on_its_own(
    optimum_stack: tuple[xr.Dataset, xr.Dataset, dict[str, xr.Dataset]],
) -> None:
    """The residuals of a batched optimum are those of each slice checked alone; one slice
    violates the budget (consumption +1% in one scenario), so sums taken across scenarios
    (land income or wage bills of the whole batch) would show in the other slice."""
    stacked, eager, _ = optimum_stack
    bumped = eager["consumption"].where(
        eager["scenario"] != "no_trade_costs", eager["consumption"] * 1.01
    )
    perturbed = eager.assign(consumption=bumped)
    batched = spatialocc.check_optimum(stacked, perturbed)
    for name in ("baseline", "no_trade_costs"):
        alone = spatialocc.check_optimum(
            stacked.sel(scenario=name, drop=True), perturbed.sel(scenario=name, drop=True)
        )
        for var in alone.data_vars:
            # the same arithmetic on the same slice; 1e-9 leaves room for summation order
            np.testing.assert_allclose(
                batched[var].sel(scenario=name), alone[var], rtol=1e-9, atol=1e-12, err_msg=var
            )
    assert float(batched["residual_budget"].sel(scenario="baseline")) < 1e-8
    assert float(batched["residual_budget"].sel(scenario="no_trade_costs")) > 1e-3


# -- decompose: batch dimensions other than year ------------------------------------------------

#: A short order of components: three steps per economy keeps the batch test fast.
SHORT = ["national_technology", "real_estate_technology"]
TAU_SHARE = {"paper": TAU["tau_share"], "weak": {"CNR": 0.6, "nonCNR": 0.4}}
TAU_SIZE = {"paper": TAU["tau_size"], "small": {"CNR": 0.1, "nonCNR": 0.2}, "none": 0.0}


@pytest.fixture(scope="module")
def tau_grid(inverted: xr.Dataset) -> dict[tuple[str, str], xr.Dataset]:
    return {
        (a, b): spatialocc.with_externalities(inverted, tau_share=share, tau_size=size)
        for a, share in TAU_SHARE.items()
        for b, size in TAU_SIZE.items()
    }


def test_decompose_decomposes_each_label_on_its_own(
    tau_grid: dict[tuple[str, str], xr.Dataset],
) -> None:
    """Two batch dimensions of unequal sizes (2 x 3): each label equals its separate run."""
    stacked = xr.concat(
        [
            xr.concat([tau_grid[a, b] for b in TAU_SIZE], "size_case", coords="minimal")
            for a in TAU_SHARE
        ],
        "share_case",
        coords="minimal",
    ).assign_coords(share_case=list(TAU_SHARE), size_case=list(TAU_SIZE))
    options = {"steps": SHORT, "no_externalities": False, "scheduler": "synchronous"}
    batched = decompose(stacked, **options)
    assert batched["welfare"].dims[:2] == ("share_case", "size_case")
    assert batched["share_case"].values.tolist() == list(TAU_SHARE)
    assert batched["size_case"].values.tolist() == list(TAU_SIZE)
    for (a, b), model in tau_grid.items():
        alone = decompose(model, **options)
        # the same solves of the same economy: identical numbers, coordinates and attributes
        xr.testing.assert_identical(batched.sel(share_case=a, size_case=b, drop=True), alone)
    # the labels differ, so a mix-up of slices cannot pass unnoticed
    welfare = batched["welfare"].isel(step=-1)
    assert float(abs(welfare / welfare.isel(share_case=0, size_case=0) - 1).max()) > 1e-3
    # Table 3 lays out one decomposition: say how to select one
    with pytest.raises(spatialocc.DimensionError, match=r"result\.sel\(share_case=\.\.\.\)"):
        decomposition_table(batched)
    decomposition_table(batched.sel(share_case="weak", size_case="none"))
    with pytest.raises(spatialocc.DimensionError, match=r"e\.g\. \.sel\(share_case=\.\.\.\)"):
        cnr_share_distribution(batched)


# -- estimate.externalities: one economy per estimate -------------------------------------------


def test_externalities_names_the_batch_dimension_and_the_fix(
    inverted: xr.Dataset, one_year: xr.Dataset
) -> None:
    stacked = cf.scenarios(one_year, {"baseline": None, "no_trade_costs": cf.no_trade_costs})
    message = (
        "externalities estimates one economy at a time, but the model has dimension "
        "'scenario' of size 2 (['baseline', 'no_trade_costs']); select one, e.g. "
        "model.sel(scenario=...)."
    )
    with pytest.raises(spatialocc.DimensionError, match=f"^{re.escape(message)}$"):
        spatialocc.estimate.externalities(stacked)
    with pytest.raises(
        spatialocc.DimensionError,
        match=re.escape("dimension 'year' of size 2 ([1980, 2015]); select one, e.g. ")
        + re.escape("model.sel(year=...)."),
    ):
        spatialocc.estimate.externalities(inverted)
    # a batch dimension of size 1 is one economy: it is dropped and the estimate runs
    single = stacked.sel(scenario=["baseline"])
    fit = spatialocc.estimate.externalities(
        single, method="ols", compare=(), fixed_effects="industry", cluster="city"
    )
    assert fit.tau_share.dims == ("occupation",)
    assert np.all(np.isfinite(fit.tau_share.values))
