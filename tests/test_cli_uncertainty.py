"""``spatialocc uncertainty``: the draws of tau on the command line, resumed from the output
folder's store, the same on a dask.distributed scheduler given by its address, and left out
of ``run`` unless asked for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import spatialocc
from spatialocc import pipeline
from spatialocc.__main__ import main

NATURAL_EARTH = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw" / "natural_earth"


@pytest.fixture(scope="module")
def inverted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = spatialocc.datasets.synthetic(n_cities=12, n_industries=6, seed=3)
    path = spatialocc.to_netcdf(data, tmp_path_factory.mktemp("data") / "small.nc")
    out = tmp_path_factory.mktemp("run") / "results"
    assert main(["invert", str(path), "--out", str(out), "--quiet"]) == 0
    return out


def _borders() -> list[str]:
    return ["--natural-earth", str(NATURAL_EARTH)] if NATURAL_EARTH.is_dir() else []


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_uncertainty_writes_draws_intervals_and_figures_and_resumes(inverted: Path) -> None:
    argv = ["uncertainty", "--out", str(inverted), "--quiet", *_borders()]
    assert main([*argv, "--draws", "1"]) == 0
    assert main([*argv, "--draws", "2"]) == 0
    draws = xr.load_dataset(inverted / "uncertainty.nc")
    assert draws.sizes["draw"] == 2
    assert draws.attrs["draws_solved"] == 1  # the first draw came from the store
    assert draws.attrs["source"].startswith("the paper's CUE estimates")
    # the paper's standard errors: draws of tau around the paper's CUE estimates
    assert not np.allclose(draws["tau_share"].sel(occupation="CNR"), 1.304)
    summary = xr.load_dataset(inverted / "uncertainty_summary.nc")
    assert int(summary["optimum.n_draws"]) == 2
    table = pd.read_csv(inverted / "policy_summary_intervals.csv", index_col=0)
    assert {"CNR q05", "CNR median", "CNR q95"} <= set(table.columns)
    assert np.isfinite(table.loc["mean_transfer", "CNR q95"])
    comparison = pd.read_csv(inverted / "paper_comparison_intervals.csv")
    rows = comparison[comparison["statistic"] == "mean_transfer"]
    assert rows[["q05", "q95"]].notna().all().all()
    assert (rows["q05"] <= rows["q95"]).all()
    for name in ("welfare_gain", "transfer_intervals", "net_payer_probability"):
        assert (inverted / "uncertainty" / f"{name}.png").stat().st_size > 0


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_scheduler_address_runs_the_draws_on_that_cluster(inverted: Path, tmp_path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    results = {}
    for name in ("threads", "cluster"):
        out = tmp_path / name
        out.mkdir()
        (out / "model.nc").symlink_to(inverted / "model.nc")
        argv = ["uncertainty", "--draws", "2", "--out", str(out), "--quiet", *_borders()]
        if name == "cluster":
            with (
                distributed.LocalCluster(
                    n_workers=2, threads_per_worker=1, dashboard_address=None
                ) as cluster,
                distributed.Client(cluster),
            ):
                assert main([*argv, "--scheduler", cluster.scheduler_address]) == 0
        else:
            assert main([*argv, "--scheduler", "threads"]) == 0
        results[name] = xr.load_dataset(out / "uncertainty.nc")
    xr.testing.assert_identical(results["cluster"], results["threads"])


def test_run_leaves_the_draws_out_unless_asked(monkeypatch, tmp_path) -> None:
    calls = []

    def record(dataset, out, options, *, stages: tuple[str, ...], seed: int = 0):
        calls.append((stages, options.draws))
        return []

    monkeypatch.setattr(pipeline, "run", record)
    assert main(["run", "--out", str(tmp_path), "--quiet"]) == 0
    assert main(["run", "--draws", "50", "--out", str(tmp_path), "--quiet"]) == 0
    assert main(["uncertainty", "--out", str(tmp_path), "--quiet"]) == 0
    assert calls[0] == (pipeline.STAGES, pipeline.UNCERTAINTY_DRAWS)
    assert calls[1] == ((*pipeline.STAGES, "uncertainty"), 50)
    assert calls[2] == (("uncertainty",), pipeline.UNCERTAINTY_DRAWS)


def test_bad_draws_and_schedulers_are_refused_in_one_line(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["uncertainty", "--draws", "-3", "--out", str(tmp_path)])
    assert info.value.code == 2
    assert "--draws" in capsys.readouterr().err
    assert main(["uncertainty", "--draws", "0", "--out", str(tmp_path), "--quiet"]) == 2
    assert "--draws must be 1 or more" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["uncertainty", "--scheduler", "fast", "--out", str(tmp_path)])
    assert "tcp://host:8786" in capsys.readouterr().err
