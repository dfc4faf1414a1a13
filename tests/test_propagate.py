"""spatialocc.propagate: the estimates' sampling error carried into counterfactuals and the
optimum, checked against independent computations (the point solution, a Monte Carlo loop
written by hand), across dask schedulers, and through an interrupted, resumed sweep."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc.solvers import counterfactuals as cf
from spatialocc.solvers.uncertainty import PropagationError, output, summarize

OUTPUTS = ("no_externalities", "optimum")
N_DRAWS = 4
SEED = 7
MEAN = [[1.0, 0.3], [0.8, 0.3]]
BLOCKS = [[[0.04, 0.002], [0.002, 0.001]], [[0.09, -0.001], [-0.001, 0.0015]]]


def _estimates(mean=MEAN, blocks=BLOCKS) -> xr.Dataset:
    return xr.Dataset(
        {
            "estimate": (("occupation", "coefficient"), np.array(mean, float)),
            "covariance": (
                ("occupation", "coefficient", "coefficient_2"),
                np.array(blocks, float),
            ),
        },
        coords={
            "occupation": ["CNR", "nonCNR"],
            "coefficient": ["tau_share", "tau_size"],
            "coefficient_2": ["tau_share", "tau_size"],
        },
    )


def _economy() -> xr.Dataset:
    data = spatialocc.datasets.synthetic(n_cities=12, n_industries=4, years=(2015,), seed=3)
    return spatialocc.invert(data).sel(year=2015)


@pytest.fixture(scope="module")
def model() -> xr.Dataset:
    return _economy()


@pytest.fixture(scope="module")
def reference(model) -> xr.Dataset:
    """The sweep solved one draw after the other, in chunks of 3."""
    return spatialocc.propagate(
        model,
        _estimates(),
        n_draws=N_DRAWS,
        seed=SEED,
        outputs=OUTPUTS,
        chunk_size=3,
        scheduler="synchronous",
    )


def test_zero_covariance_gives_the_point_solution_exactly(model):
    est = _estimates(blocks=np.zeros((2, 2, 2)))
    draws = spatialocc.propagate(model, est, n_draws=2, outputs=OUTPUTS, scheduler="synchronous")
    point = spatialocc.with_externalities(
        model,
        tau_share={"CNR": 1.0, "nonCNR": 0.8},
        tau_size={"CNR": 0.3, "nonCNR": 0.3},
    )
    no_ext = spatialocc.solve_equilibrium(cf.no_externalities(point))
    optimum = spatialocc.solve_optimal(point)
    for i in range(2):
        one = draws.isel(draw=i)
        np.testing.assert_array_equal(one["tau_share"].values, [1.0, 0.8])
        np.testing.assert_array_equal(one["tau_size"].values, [0.3, 0.3])
        for var in ("welfare", "wage", "consumption", "rent_rate"):
            np.testing.assert_array_equal(
                one[f"no_externalities.{var}"].values,
                no_ext[var].transpose(*one[f"no_externalities.{var}"].dims).values,
            )
        for var in ("welfare_gain", "transfer", "wedge", "lump_sum", "welfare"):
            ours = one[f"optimum.{var}"]
            np.testing.assert_array_equal(ours.values, optimum[var].transpose(*ours.dims).values)
    summary = summarize(draws)
    np.testing.assert_array_equal(
        summary["optimum.welfare_gain"].sel(statistic="q05").values,
        summary["optimum.welfare_gain"].sel(statistic="q95").values,
    )


def test_a_monte_carlo_loop_by_hand_gives_the_same_numbers(model, reference):
    mean = np.array(MEAN).ravel()
    cov = np.zeros((4, 4))
    cov[:2, :2], cov[2:, 2:] = BLOCKS[0], BLOCKS[1]
    children = np.random.SeedSequence(SEED).spawn(N_DRAWS)
    for i in range(N_DRAWS):
        x = np.random.default_rng(children[i]).multivariate_normal(mean, cov, method="eigh")
        tau_share = {"CNR": x[0], "nonCNR": x[2]}
        tau_size = {"CNR": x[1], "nonCNR": x[3]}
        economy = spatialocc.with_externalities(model, tau_share=tau_share, tau_size=tau_size)
        no_ext = spatialocc.solve_equilibrium(cf.no_externalities(economy))
        optimum = spatialocc.solve_optimal(economy)
        one = reference.sel(draw=i)
        np.testing.assert_array_equal(one["tau_share"].values, [x[0], x[2]])
        np.testing.assert_array_equal(one["tau_size"].values, [x[1], x[3]])
        np.testing.assert_array_equal(
            one["no_externalities.welfare"].values, no_ext["welfare"].values
        )
        for var in ("transfer", "welfare_gain", "lump_sum"):
            ours = one[f"optimum.{var}"]
            np.testing.assert_array_equal(ours.values, optimum[var].transpose(*ours.dims).values)
        summary = spatialocc.policy_summary(economy, optimum)
        np.testing.assert_array_equal(
            one["optimum.summary_share_cities_net_payer"].values,
            summary["share_cities_net_payer"].values,
        )
    assert bool(reference["optimum.converged"].all())
    # the draws differ: the covariance is not zero
    assert reference["tau_share"].std("draw").min() > 0


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_local_schedulers_give_identical_datasets(model, reference, scheduler):
    draws = spatialocc.propagate(
        model,
        _estimates(),
        n_draws=N_DRAWS,
        seed=SEED,
        outputs=OUTPUTS,
        chunk_size=1,
        scheduler=scheduler,
    )
    xr.testing.assert_identical(draws, reference)


def test_a_two_worker_local_cluster_gives_an_identical_dataset(model, reference):
    distributed = pytest.importorskip("dask.distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        draws = spatialocc.propagate(
            model, _estimates(), n_draws=N_DRAWS, seed=SEED, outputs=OUTPUTS, chunk_size=2
        )
    xr.testing.assert_identical(draws, reference)


def test_fewer_draws_are_the_first_draws_of_more(model, reference):
    first = spatialocc.propagate(
        model, _estimates(), n_draws=2, seed=SEED, outputs=OUTPUTS, scheduler="synchronous"
    )
    xr.testing.assert_identical(first.drop_attrs(), reference.isel(draw=slice(0, 2)).drop_attrs())


_INTERRUPTED = """
import sys, time
from pathlib import Path
import spatialocc
import spatialocc.solvers.uncertainty as p
sys.path.insert(0, {tests!r})
from test_propagate import SEED, _economy, _estimates

store = Path({store!r})
commit = p._write_chunk
written = []

def write_then_stop(chunk, folder):
    written.append(chunk)
    if len(written) == 1:
        return commit(chunk, folder)
    # the second chunk: half written when the process is killed
    half = folder / "chunks" / ".tmp-killed-draws"
    half.mkdir()
    (half / "zarr.json").write_text('{{"zarr_format": 3, "node_')
    (store / "second-chunk-started").write_text("")
    time.sleep(600)

p._write_chunk = write_then_stop
spatialocc.propagate(
    _economy(), _estimates(), n_draws=6, seed=SEED, outputs=["no_externalities"], store=store,
    chunk_size=2, scheduler="synchronous",
)
"""


def test_a_killed_sweep_restarts_where_it_stopped(model, tmp_path):
    store = tmp_path / "sweep"
    script = _INTERRUPTED.format(tests=str(Path(__file__).parent), store=str(store))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], env=env)
    try:
        deadline = time.monotonic() + 300
        while not (store / "second-chunk-started").exists():
            assert process.poll() is None, "the sweep stopped before its second chunk"
            assert time.monotonic() < deadline, "the sweep did not reach its second chunk"
            time.sleep(0.2)
        process.send_signal(signal.SIGKILL)  # kill -9
    finally:
        process.kill()
        process.wait()
    chunks = sorted(p.name for p in (store / "chunks").iterdir())
    assert len(chunks) == 2 and chunks[0] == ".tmp-killed-draws", chunks  # one chunk committed

    kwargs = dict(n_draws=6, seed=SEED, outputs=["no_externalities"], chunk_size=2)
    resumed = spatialocc.propagate(
        model, _estimates(), store=store, scheduler="synchronous", **kwargs
    )
    assert resumed.attrs["draws_solved"] == 4  # the two stored draws were not solved again
    assert sorted(p.name for p in (store / "chunks").iterdir()) == [
        "draws_000000-000001.zarr",
        "draws_000002-000003.zarr",
        "draws_000004-000005.zarr",
    ]
    fresh = spatialocc.propagate(model, _estimates(), scheduler="threads", **kwargs)
    assert fresh.attrs["draws_solved"] == 6
    xr.testing.assert_identical(resumed.drop_attrs(), fresh.drop_attrs())
    again = spatialocc.propagate(model, _estimates(), store=store, **kwargs)
    assert again.attrs["draws_solved"] == 0
    xr.testing.assert_identical(again.drop_attrs(), resumed.drop_attrs())
    # a store of this sweep refuses another one
    with pytest.raises(PropagationError, match="another sweep"):
        spatialocc.propagate(model, _estimates(), store=store, **{**kwargs, "seed": SEED + 1})


def test_unconverged_draws_are_kept_flagged_and_counted(reference):
    draws = reference.copy()
    flag = draws["optimum.converged"].values.copy()
    flag[1] = False
    draws["optimum.converged"] = ("draw", flag)
    summary = summarize(draws)
    assert int(summary["optimum.n_unconverged"]) == 1
    assert int(summary["optimum.n_draws"]) == N_DRAWS
    assert int(summary["no_externalities.n_unconverged"]) == 0
    kept = draws["optimum.lump_sum"].drop_sel(draw=1).mean("draw")
    xr.testing.assert_allclose(summary["optimum.lump_sum"].sel(statistic="mean", drop=True), kept)
    every = summarize(draws, include_unconverged=True)
    xr.testing.assert_allclose(
        every["optimum.lump_sum"].sel(statistic="mean", drop=True),
        draws["optimum.lump_sum"].mean("draw"),
    )
    assert set(output(draws, "optimum")) >= {"transfer", "welfare_gain", "converged"}


def test_bad_input_is_refused_with_the_fix(model):
    run = dict(n_draws=1, scheduler="synchronous")
    with pytest.raises(PropagationError, match=r"unknown outputs.*optimum_no_trade_costs"):
        spatialocc.propagate(model, _estimates(), outputs=["optimal"], **run)
    with pytest.raises(PropagationError, match="not positive semi-definite"):
        spatialocc.propagate(model, _estimates(blocks=[[[1, 2], [2, 1]], BLOCKS[1]]), **run)
    with pytest.raises(PropagationError, match="symmetric"):
        spatialocc.propagate(model, _estimates(blocks=[[[1, 0.5], [0, 1]], BLOCKS[1]]), **run)
    flat = _estimates().assign(covariance=(("occupation", "coefficient"), np.eye(2)))
    with pytest.raises(spatialocc.DimensionError, match="coefficient_2"):
        spatialocc.propagate(model, flat, **run)
    one = _estimates().isel(occupation=[0])
    with pytest.raises(PropagationError, match=r"occupations \['nonCNR'\] that the estimates lack"):
        spatialocc.propagate(model, one, **run)
    with pytest.raises(PropagationError, match="n_draws"):
        spatialocc.propagate(model, _estimates(), n_draws=0)
    with pytest.raises(PropagationError, match="two years"):
        spatialocc.propagate(model, _estimates(), outputs=["table3"], **run)
    with pytest.raises(PropagationError, match="ExternalityEstimates"):
        spatialocc.propagate(model, {"tau_share": 1.0}, **run)


def test_a_joint_covariance_across_occupations(model):
    cov = np.zeros((2, 2, 2, 2))
    cov[0, :, 0, :], cov[1, :, 1, :] = BLOCKS[0], BLOCKS[1]
    cov[0, 0, 1, 0] = cov[1, 0, 0, 0] = 0.03  # τR of the two occupations correlated
    joint = _estimates().assign(
        covariance=(("occupation", "coefficient", "occupation_2", "coefficient_2"), cov)
    )
    from spatialocc.solvers.uncertainty import draw_parameters

    drawn = draw_parameters(joint, ["CNR", "nonCNR"], 400, seed=1)
    corr = np.corrcoef(drawn["tau_share"].values.T)[0, 1]
    assert corr == pytest.approx(0.03 / np.sqrt(0.04 * 0.09), abs=0.1)


@pytest.mark.filterwarnings("ignore::spatialocc.estimate.errors.EstimationWarning")
def test_estimation_results_are_accepted_as_they_are():
    pytest.importorskip("pyfixest")
    from spatialocc.solvers.uncertainty import draw_parameters

    data = spatialocc.datasets.synthetic(n_cities=30, n_industries=4, years=(2015,), seed=1)
    estimates = spatialocc.estimate.externalities(spatialocc.invert(data))
    drawn = draw_parameters(estimates, ["CNR", "nonCNR"], 2, seed=0)
    again = draw_parameters(estimates.to_dataset(), ["CNR", "nonCNR"], 2, seed=0)
    xr.testing.assert_identical(drawn, again)
    assert drawn.attrs["source"] == f"{estimates.method} estimates"


def test_table3_of_a_draw_with_zero_covariance_is_the_decomposition():
    data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, seed=3)
    model = spatialocc.invert(data)
    est = _estimates(blocks=np.zeros((2, 2, 2)))
    draws = spatialocc.propagate(model, est, n_draws=1, outputs=["table3"], scheduler="synchronous")
    point = spatialocc.with_externalities(
        model, tau_share={"CNR": 1.0, "nonCNR": 0.8}, tau_size={"CNR": 0.3, "nonCNR": 0.3}
    )
    table3 = spatialocc.decompose(point, scheduler="synchronous")
    ours = draws["table3.welfare"].isel(draw=0, drop=True)
    np.testing.assert_array_equal(ours.values, table3["welfare"].transpose(*ours.dims).values)
    baseline = table3["welfare"].sel(step=table3.attrs["baseline"], drop=True)
    relative = draws["table3.welfare_relative"].isel(draw=0, drop=True)
    expected = (table3["welfare"] / baseline).transpose(*relative.dims)
    np.testing.assert_array_equal(relative.values, expected.values)
    assert bool(draws["table3.converged"].all())
