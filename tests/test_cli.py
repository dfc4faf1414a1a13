"""The ``spatialocc`` command: the whole pipeline end to end, stages alone, bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import spatialocc
from spatialocc import pipeline
from spatialocc.__main__ import main

NATURAL_EARTH = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw" / "natural_earth"

NETCDF = [
    "data.nc",
    "model.nc",
    "estimates.nc",
    "no_externalities.nc",
    "optimum.nc",
    "policy_summary.nc",
    "decomposition.nc",
    "figure18.nc",
    *(f"{kind}_{v}.nc" for v in pipeline.VARIANTS for kind in ("equilibrium", "optimum")),
]
TABLES = ["table1", "table2", "table3", "policy_summary"]


def digest(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (hidden ones included) with the hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = spatialocc.datasets.synthetic(n_cities=12, n_industries=6, seed=3)
    return spatialocc.to_netcdf(data, tmp_path_factory.mktemp("data") / "small.nc")


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory, data_file: Path) -> Path:
    if not NATURAL_EARTH.is_dir():
        pytest.skip(f"Natural Earth GeoJSON folder {NATURAL_EARTH} is absent (../shared/data)")
    out = tmp_path_factory.mktemp("run") / "results"
    code = main(
        ["run", str(data_file), "--out", str(out), "--quiet", "--natural-earth", str(NATURAL_EARTH)]
    )
    assert code == 0
    return out


def test_every_promised_file_is_written_and_valid(finished: Path) -> None:
    for name in NETCDF:
        kind = {"data.nc": "data", "model.nc": "model"}.get(name)
        spatialocc.open_dataset(finished / name, kind=kind)  # validates against the schema
    assert not list(finished.glob(".spatialocc-*")), "the staging folder was left behind"


def test_tables_have_the_expected_rows_and_columns(finished: Path) -> None:
    for name in TABLES:
        assert (finished / f"{name}.md").read_text().count("|") > 10
    table3 = pd.read_csv(finished / "table3.csv", index_col=[0, 1, 2])
    assert list(table3.columns) == ["CNR", "nonCNR", "ratio"]
    assert table3.index.get_level_values("row").tolist() == list(range(1, 23))
    table1 = pd.read_csv(finished / "table1.csv", index_col=0)
    assert len(table1) >= 3
    table2 = pd.read_csv(finished / "table2.csv", header=[0, 1], index_col=[0, 1])
    methods = {m for m, _ in table2.columns}
    assert {"OLS", "2SLS"} <= methods and len(methods) == 3
    summary = pd.read_csv(finished / "policy_summary.csv", index_col=0)
    assert "welfare_gain" in summary.index


def test_figures_are_nonblank_images_of_the_expected_size(finished: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib.image")
    from spatialocc import plot

    figures = sorted((finished / "figures").glob("*.png"))
    expected = {f"{name}.png" for name in plot.FIGURES}
    assert {p.name for p in figures} == expected
    for path in figures:
        image = matplotlib.imread(path)
        height, width = image.shape[:2]
        assert (width, height) == (plot.FIGSIZE[0] * plot.DPI, plot.FIGSIZE[1] * plot.DPI), (
            path.name
        )
        assert image[..., :3].std() > 0.01, f"{path.name} is blank"


def test_stages_rerun_alone(finished: Path, tmp_path: Path) -> None:
    before = digest(finished)
    assert main(["solve", "--out", str(finished), "--quiet"]) == 0
    after = digest(finished)
    assert set(after) == set(before)
    solution = spatialocc.open_dataset(finished / "no_externalities.nc")
    assert bool(solution["converged"]) and float(solution["tau_share"].max()) == 0.0
    # the externalities of the solves can come from this run's estimates
    ws = pipeline.Workspace(finished)
    try:
        model = ws.read("model.nc", stage="invert").sel(year=2015)
        chosen = pipeline.externalities(model, ws, pipeline.Options(tau="ols"))
    finally:
        ws.discard()
    estimates = xr.open_dataset(finished / "estimates.nc")
    np.testing.assert_array_equal(
        chosen["tau_share"], estimates["estimate"].sel(estimator="ols", coefficient="tau_share")
    )


def test_a_stage_without_its_inputs_says_what_to_run(tmp_path: Path, capsys) -> None:
    assert main(["optimal", "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "model.nc does not exist" in err and "spatialocc invert" in err


def _bad_inputs(tmp_path: Path, data_file: Path) -> dict[str, tuple[list[str], str]]:
    not_netcdf = tmp_path / "notes.nc"
    not_netcdf.write_text("wage,employment\n1,2\n")
    missing_var = tmp_path / "missing.nc"
    data = spatialocc.open_dataset(data_file)
    data.drop_vars("wage").to_netcdf(missing_var)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    return {
        "missing file": (["run", str(tmp_path / "nowhere.nc")], "no such file"),
        "not NetCDF": (["run", str(not_netcdf)], "NetCDF"),
        "missing variable": (["run", str(missing_var)], "wage"),
        "unknown name": (["run", "atlantis"], "unknown dataset 'atlantis'"),
        "unwritable folder": (
            ["run", str(data_file), "--out", str(blocker / "out")],
            "cannot write to the output folder",
        ),
    }


@pytest.mark.parametrize(
    "case", ["missing file", "not NetCDF", "missing variable", "unknown name", "unwritable folder"]
)
def test_bad_input_is_one_line_and_changes_nothing(
    case: str, tmp_path: Path, data_file: Path, capsys
) -> None:
    out = tmp_path / "results"
    out.mkdir()
    (out / "model.nc").write_bytes(b"earlier results")
    argv, expected = _bad_inputs(tmp_path, data_file)[case]
    if "--out" not in argv:
        argv = [*argv, "--out", str(out)]
    before = digest(out)
    assert main([*argv, "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("spatialocc: error:") and expected in err, err
    assert "Traceback" not in err
    assert digest(out) == before


def test_a_failure_mid_run_leaves_earlier_results_untouched(
    tmp_path: Path, data_file: Path, monkeypatch, capsys
) -> None:
    out = tmp_path / "results"
    out.mkdir()
    (out / "model.nc").write_bytes(b"earlier results")
    (out / "table1.md").write_text("earlier table")
    before = digest(out)

    def broken(*args, **kwargs):
        raise RuntimeError("the solver exploded")

    monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, "solve", broken)
    assert main(["run", str(data_file), "--out", str(out), "--quiet", "--variants", ""]) == 2
    assert "the solver exploded" in capsys.readouterr().err
    assert digest(out) == before  # invert and estimate ran, but nothing was moved in


def test_traceback_on_request(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="unknown dataset"):
        main(["run", "atlantis", "--out", str(tmp_path), "--traceback", "--quiet"])


def test_unconverged_results_are_reported(tmp_path: Path, capsys) -> None:
    ws = pipeline.Workspace(tmp_path)
    try:
        flagged = xr.Dataset(
            {"converged": False, "residual_goods_market": 0.3, "welfare": ("occupation", [1.0])},
            coords={"occupation": ["CNR"]},
        )
        ws.write(flagged, "optimum_test.nc")
        ws.write(flagged.assign(converged=True), "fine.nc")
    finally:
        ws.discard()
    assert ws.unconverged == ["optimum_test.nc (largest residual 0.3)"]
