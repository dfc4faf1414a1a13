"""Inputs that used to give a wrong answer or an unhelpful message (issue #13): every entry
point refuses them with the error that names the real fault."""

from __future__ import annotations

import re

import pytest
import xarray as xr

import spatialocc
from spatialocc import ShareError

TAU = {"tau_share": {"CNR": 1.304, "nonCNR": 0.835}, "tau_size": {"CNR": 0.349, "nonCNR": 0.357}}


@pytest.fixture(scope="module")
def both_years() -> xr.Dataset:
    data = spatialocc.datasets.synthetic(n_cities=12, n_industries=6, seed=3)
    return spatialocc.with_externalities(spatialocc.invert(data), **TAU)


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
