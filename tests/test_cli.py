"""The ``spatialocc`` command: the whole pipeline end to end, stages alone, bad input."""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
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
    "technology_change.nc",
    *(f"{kind}_{v}.nc" for v in pipeline.VARIANTS for kind in ("equilibrium", "optimum")),
    "tableA8.nc",
    "tableA9.nc",
    "variants.nc",
    "pandemic_payments.nc",
    "equilibrium_pandemic_payments.nc",
]
TABLES = [
    "table1",
    "table2",
    "table3",
    "policy_summary",
    "tableA8",
    "tableA9",
    "variants",
    "pandemic_payments",
    "paper_comparison",
]
TABLE_FILES = [f"{name}.{ext}" for name in TABLES for ext in ("csv", "md")]

#: The paper's CUE estimates (Table 2, column 3), written here from the paper.
PAPER_TAU_SHARE = {"CNR": 1.304, "nonCNR": 0.835}
PAPER_TAU_SIZE = {"CNR": 0.349, "nonCNR": 0.357}


def digest(folder: Path) -> dict[str, str]:
    """Every file users see below ``folder`` (hidden ones included, links followed) with the
    hash of its bytes; the folder's lock and versions (``.spatialocc*``) are left out."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.relative_to(folder).parts[0].startswith(".spatialocc")
    }


def leftovers(folder: Path) -> list[str]:
    """What writers left in ``folder`` besides the current version and the links to it."""
    state = folder / ".spatialocc"
    current = Path(os.readlink(state / "current")).name
    found = [p.name for p in folder.glob(".spatialocc-*")]
    found += [p.name for p in state.iterdir() if p.name not in ("current", "versions")]
    found += [v.name for v in (state / "versions").iterdir() if v.name != current]
    found += [str(p) for p in folder.rglob("*") if p.is_symlink() and not p.exists()]
    return found + [str(p) for p in folder.rglob("*.tmp")]


def exogenous_productivity(model: xr.Dataset, tau_share, tau_size) -> xr.DataArray:
    """λ̂ = λ / ((L[k,n]/L[n])^τR[k] L[n]^τL[k]) (MODEL.md section 3, step 8) for one year."""
    residents = model["employment"].sum("industry")
    size = residents.sum("occupation")
    occupation = model["occupation"].values.tolist()
    share = xr.DataArray([tau_share[k] for k in occupation], coords={"occupation": occupation})
    size_ = xr.DataArray([tau_size[k] for k in occupation], coords={"occupation": occupation})
    return model["productivity"] / ((residents / size) ** share * size**size_)


def assert_exogenous_productivity(actual: xr.DataArray, expected: xr.DataArray) -> None:
    # the same formula evaluated in another order: rounding only (λ up to ~1e5)
    xr.testing.assert_allclose(
        actual.reset_coords(drop=True), expected.reset_coords(drop=True), rtol=1e-12, atol=0
    )


def every_end_step(steps: xr.Dataset) -> str:
    """The first decomposition step with all seven components at their end values."""
    components = [str(c).split(", ") for c in steps["end_components"].values]
    return str(steps["step"].values[[len(c) for c in components].index(7)])


def stage_folder(finished: Path, tmp_path: Path, *names: str) -> Path:
    """A fresh output folder holding copies of ``names`` from the finished run."""
    out = tmp_path / "results"
    out.mkdir(parents=True)
    for name in names:
        shutil.copy(finished / name, out / name)
    return out


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
        [
            "run",
            str(data_file),
            "--out",
            str(out),
            "--quiet",
            "--natural-earth",
            str(NATURAL_EARTH),
            "--a8-replications",
            "1",
        ]
    )
    assert code == 0
    return out


def test_every_promised_file_is_written_and_valid(finished: Path) -> None:
    for name in NETCDF:
        kind = {"data.nc": "data", "model.nc": "model"}.get(name)
        spatialocc.open_dataset(finished / name, kind=kind)  # validates against the schema
    assert leftovers(finished) == []


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


def test_stages_rerun_alone(finished: Path) -> None:
    """Rerunning ``solve`` rewrites only no_externalities.nc, with the same content: every
    other file keeps its bytes. The rewritten file's bytes differ from those written by ``run``
    only in the encoding (``run`` solves on the model it inverted in memory, ``solve`` on
    model.nc read back, so the scalar ``year`` coordinate is listed in the CF ``coordinates``
    attributes differently); decoded, values, coordinates and attributes are identical, and a
    second rerun gives the same bytes as the first."""
    before = digest(finished)
    original = xr.load_dataset(finished / "no_externalities.nc")
    assert main(["solve", "--out", str(finished), "--quiet"]) == 0
    after = digest(finished)
    assert set(after) == set(before)
    assert {name for name in after if after[name] != before[name]} <= {"no_externalities.nc"}
    rerun = xr.load_dataset(finished / "no_externalities.nc")
    xr.testing.assert_identical(rerun, original)
    assert bool(rerun["converged"]) and float(abs(rerun["tau_share"]).max()) == 0.0
    assert main(["solve", "--out", str(finished), "--quiet"]) == 0
    assert digest(finished) == after


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


def test_a_failure_in_a_late_stage_keeps_the_finished_ones(
    tmp_path: Path, data_file: Path, monkeypatch, capsys
) -> None:
    """invert and estimate finished before solve failed: their results are in the folder, and
    the commands the message gives (the failed stage and the later ones, with the run's
    options) finish the study."""
    out = tmp_path / "results"
    solve = pipeline.STAGE_FUNCTIONS["solve"]
    monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, "solve", exploded)
    argv = ["run", str(data_file), "--out", str(out), "--variants", "", "--tau", "cue"]
    assert main([*argv, "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    rest = f"--out {out} --tau cue --variants ''"
    assert err == (
        f"spatialocc: error: the solver exploded; the results of invert, estimate from this "
        f"run are in {out}; after fixing this, finish with: spatialocc solve {rest} && "
        f"spatialocc optimal {rest} && spatialocc decompose {rest} && spatialocc plot {rest} "
        f"&& spatialocc compare {rest}"
    )
    tables_a = [f"table{t}.{ext}" for t in ("A8", "A9") for ext in ("nc", "csv", "md")]
    assert set(digest(out)) == {
        "data.nc",
        "model.nc",
        "estimates.nc",
        *TABLE_FILES[:4],
        *tables_a,
    }
    monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, "solve", solve)
    for stage in ("decompose", "plot"):  # the slow ones: the mechanism only
        monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, stage, fake_stage(stage))
    for command in err.split("finish with: ")[1].split(" && "):
        assert main([*shlex.split(command)[1:], "--quiet"]) == 0
    assert set(digest(out)) >= {"no_externalities.nc", "optimum.nc", "decompose.txt", "plot.txt"}
    assert leftovers(out) == []


def exploded(*args, **kwargs):
    """A stage that fails."""
    raise RuntimeError("the solver exploded")


def one_line_error(capsys) -> str:
    """The error message printed, checked to be one line."""
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("spatialocc: error: "), err
    return err.removeprefix("spatialocc: error: ")


def fake_stage(stage: str):
    """A stage that writes ``<stage>.txt``."""

    def fake(model: xr.Dataset, ws: pipeline.Workspace, options: pipeline.Options) -> None:
        pipeline.write_text(ws.path(f"{stage}.txt"), stage)

    return fake


def test_traceback_on_request(tmp_path: Path) -> None:
    with pytest.raises(pipeline.PipelineError, match="unknown dataset 'atlantis'"):
        main(["run", "atlantis", "--out", str(tmp_path), "--traceback", "--quiet"])


def test_unconverged_results_are_reported(tmp_path: Path, capsys) -> None:
    with pipeline.workspace(tmp_path) as ws:
        flagged = xr.Dataset(
            {"converged": False, "residual_goods_market": 0.3, "welfare": ("occupation", [1.0])},
            coords={"occupation": ["CNR"]},
        )
        ws.write(flagged, "optimum_test.nc")
        ws.write(flagged.assign(converged=True), "fine.nc")
    assert ws.unconverged == ["optimum_test.nc (largest residual 0.3)"]


# -- options: --tau, --year, --start-year, --scheduler, the additive variant -------------------


def test_tau_paper_is_the_papers_cue_estimates(finished: Path) -> None:
    """The default ``--tau paper`` solves with Table 2's CUE estimates: the files that store τ
    hold them, and the exogenous productivity of the solves is λ / ((L[k,n]/L[n])^τR L[n]^τL)
    with them, in the end year (2015, the default --year) and, in the decomposition, in the
    start year (1980, the default --start-year) too."""
    for name in [
        "optimum.nc",
        *(f"{k}_{v}.nc" for v in pipeline.VARIANTS for k in ("equilibrium", "optimum")),
    ]:
        result = xr.open_dataset(finished / name)
        for k in ("CNR", "nonCNR"):
            assert float(result["tau_share"].sel(occupation=k)) == PAPER_TAU_SHARE[k], name
            assert float(result["tau_size"].sel(occupation=k)) == PAPER_TAU_SIZE[k], name
        assert int(result["year"]) == 2015
    model = xr.open_dataset(finished / "model.nc")
    paper = {"tau_share": PAPER_TAU_SHARE, "tau_size": PAPER_TAU_SIZE}
    solution = xr.open_dataset(finished / "no_externalities.nc")
    assert int(solution["year"]) == 2015
    assert_exogenous_productivity(
        solution["productivity_exogenous"], exogenous_productivity(model.sel(year=2015), **paper)
    )
    result = xr.open_dataset(finished / "decomposition.nc").sel(panel="full_model")
    assert (result.attrs["start_year"], result.attrs["end_year"]) == (1980, 2015)
    for step, year in ((result["step"].values[0], 1980), (every_end_step(result), 2015)):
        assert_exogenous_productivity(
            result["productivity_exogenous"].sel(step=step),
            exogenous_productivity(model.sel(year=year), **paper),
        )


@pytest.mark.parametrize("estimator", ["ols", "2sls", "cue"])
def test_tau_estimator_uses_this_runs_estimates(
    finished: Path, tmp_path: Path, estimator: str
) -> None:
    out = stage_folder(finished, tmp_path, "model.nc", "estimates.nc")
    assert main(["solve", "--tau", estimator, "--out", str(out), "--quiet"]) == 0
    estimates = xr.open_dataset(out / "estimates.nc")["estimate"].sel(estimator=estimator)
    tau = {c: estimates.sel(coefficient=c).to_series().to_dict() for c in ("tau_share", "tau_size")}
    assert tau["tau_share"] != PAPER_TAU_SHARE
    solution = xr.open_dataset(out / "no_externalities.nc")
    model = xr.open_dataset(out / "model.nc").sel(year=2015)
    assert_exogenous_productivity(
        solution["productivity_exogenous"], exogenous_productivity(model, **tau)
    )


def _table1_slope(table: Path) -> float:
    """Table 1's slope of log w[CNR] on log L[n] as written."""
    frame = pd.read_csv(table, header=[0, 1], index_col=0)
    return float(frame.loc["log w[CNR]", ("log L[n]", "estimate")])


def _size_slope(data: xr.Dataset) -> float:
    """The same slope by numpy: OLS of log w[CNR,n] on log L[n] with an intercept."""
    size = data["employment"].sum(["occupation", "industry"])
    return float(np.polyfit(np.log(size), np.log(data["wage"].sel(occupation="CNR")), 1)[0])


def test_year_chooses_the_year_of_the_solves_and_tables(finished: Path, tmp_path: Path) -> None:
    model = xr.open_dataset(finished / "model.nc")
    # default: the latest year (rel 1e-10: the same least squares by two libraries)
    assert "# Table 1 (2015)" in (finished / "table1.md").read_text()
    assert _table1_slope(finished / "table1.csv") == pytest.approx(
        _size_slope(model.sel(year=2015)), rel=1e-10
    )
    out = stage_folder(finished, tmp_path, "model.nc")
    assert main(["estimate", "--year", "1980", "--out", str(out), "--quiet"]) == 0
    assert main(["solve", "--year", "1980", "--out", str(out), "--quiet"]) == 0
    assert "# Table 1 (1980)" in (out / "table1.md").read_text()
    assert _table1_slope(out / "table1.csv") == pytest.approx(
        _size_slope(model.sel(year=1980)), rel=1e-10
    )
    assert _size_slope(model.sel(year=1980)) != pytest.approx(_size_slope(model.sel(year=2015)))
    solution = xr.open_dataset(out / "no_externalities.nc")
    assert int(solution["year"]) == 1980
    paper = {"tau_share": PAPER_TAU_SHARE, "tau_size": PAPER_TAU_SIZE}
    assert_exogenous_productivity(
        solution["productivity_exogenous"], exogenous_productivity(model.sel(year=1980), **paper)
    )
    xr.testing.assert_equal(solution["land"], model["land"].sel(year=1980))


@pytest.fixture(scope="module")
def three_years(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """model.nc of a small economy with three years, for --start-year."""
    data = spatialocc.datasets.synthetic(
        n_cities=12, n_industries=6, years=(1980, 2000, 2015), seed=3
    )
    path = spatialocc.to_netcdf(data, tmp_path_factory.mktemp("data") / "three.nc")
    out = tmp_path_factory.mktemp("three") / "results"
    assert main(["invert", str(path), "--out", str(out), "--quiet"]) == 0
    return out


def test_start_year_and_schedulers(three_years: Path, tmp_path: Path, monkeypatch) -> None:
    """``--start-year 2000`` decomposes from 2000 to 2015, and every accepted ``--scheduler``
    reaches the decomposition and gives identical numbers. To stay fast the decomposition is
    cut to the full-model panel without its optima (the full one ran in ``finished``)."""
    from spatialocc.solvers import decomposition

    full = decomposition.decompose
    schedulers = []

    def fast(model: xr.Dataset, **kwargs) -> xr.Dataset:
        schedulers.append(kwargs["scheduler"])
        return full(model, **kwargs, with_optimum=False, no_externalities=False)

    monkeypatch.setattr(decomposition, "decompose", fast)
    results = {}
    for scheduler in ("synchronous", "threads", "processes"):
        out = stage_folder(three_years, tmp_path / scheduler, "model.nc")
        argv = ["decompose", "--start-year", "2000", "--scheduler", scheduler]
        assert main([*argv, "--out", str(out), "--quiet"]) == 0
        results[scheduler] = xr.load_dataset(out / "decomposition.nc")
    assert schedulers == ["synchronous", "threads", "processes"]
    reference = results["synchronous"]
    for scheduler in ("threads", "processes"):
        xr.testing.assert_identical(results[scheduler], reference)
    assert (reference.attrs["start_year"], reference.attrs["end_year"]) == (2000, 2015)
    # the first step has every 2000 fundamental, the step with every end component every 2015
    # one: each reproduces that year's data (inversion round trip; solver tol 1e-10, relative
    # differences of a converged solve are < 1e-8)
    model = xr.open_dataset(three_years / "model.nc")
    steps = reference.sel(panel="full_model")
    for step, year in ((steps["step"].values[0], 2000), (every_end_step(steps), 2015)):
        for name in ("employment", "wage"):
            xr.testing.assert_allclose(
                steps[name].sel(step=step).reset_coords(drop=True),
                model[name].sel(year=year).reset_coords(drop=True),
                rtol=1e-8,
            )


def test_a_bad_scheduler_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["decompose", "--scheduler", "fast", "--out", str(tmp_path)])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("spatialocc decompose: error: argument --scheduler: invalid choice")
    assert "'fast'" in err and "'synchronous'" in err
    assert list(tmp_path.iterdir()) == []


def test_additive_amenities_per_occupation_scale(finished: Path) -> None:
    """The additive variant has one Gumbel scale per occupation, ν / C̄[k] with C̄[k] the
    occupation's resident-weighted mean real consumption, and its optimum converges: the
    pipeline has no other scale to fall back to."""
    model = xr.open_dataset(finished / "model.nc").sel(year=2015)
    residents = model["employment"].sum("industry")
    mean = (model["real_consumption"] * residents).sum("city") / residents.sum("city")
    for kind in ("equilibrium", "optimum"):
        result = xr.open_dataset(finished / f"{kind}_additive_amenities.nc")
        assert bool(result["converged"])
        # rel 1e-12: the same sums in another order
        xr.testing.assert_allclose(result["nu_additive"], model["nu"] / mean, rtol=1e-12)
        assert result.attrs["gumbel_scale"] == "per occupation"
        assert "gumbel_scale_fallback" not in result.attrs
    table = pd.read_csv(finished / "policy_summary.csv", index_col=0)
    assert not any("national" in row for row in table.index)
    np.testing.assert_allclose(
        table.loc["additive_amenities_nu_additive", ["CNR", "nonCNR"]].to_numpy(float),
        (model["nu"] / mean).sel(occupation=["CNR", "nonCNR"]).values,
        rtol=1e-12,
    )
    assert "Gumbel" not in (finished / "policy_summary.md").read_text().splitlines()[0]


# -- the paper's variants: Tables A8-A9, the pandemic payments, the housing shares -------------


def _welfare_change(reference: xr.Dataset, solution: xr.Dataset) -> pd.Series:
    return (solution["welfare"] / reference["welfare"] - 1).to_series()


def test_pandemic_payments_table_against_the_files(finished: Path) -> None:
    """The statistics of the pandemic payments, recomputed by numpy from the NetCDF files."""
    model = xr.open_dataset(finished / "model.nc").sel(year=2015)
    payments = xr.open_dataset(finished / "equilibrium_pandemic_payments.nc")
    optimum = xr.open_dataset(finished / "optimum.nc")
    assert bool(payments["converged"]) and payments.attrs["policy"] == "pandemic_payments"
    table = pd.read_csv(finished / "pandemic_payments.csv", index_col=0)
    assert list(table.columns) == ["pandemic_payments", "optimum"]
    for name, solution in (("pandemic_payments", payments), ("optimum", optimum)):
        for k, value in _welfare_change(model, solution).items():
            assert table.loc[f"welfare_change {k}", name] == pytest.approx(value, rel=1e-10)

    def cnr_share(ds: xr.Dataset) -> np.ndarray:
        residents = ds["employment"].sum("industry")
        return (residents.sel(occupation="CNR") / residents.sum("occupation")).values

    size = model["employment"].sum(["occupation", "industry"]).values
    change = cnr_share(payments) - cnr_share(model)
    change_opt = cnr_share(optimum) - cnr_share(model)
    assert table.loc["corr_share_change_log_size", "pandemic_payments"] == pytest.approx(
        np.corrcoef(change, np.log(size))[0, 1], abs=1e-10
    )
    assert table.loc["corr_share_change_log_size", "optimum"] == pytest.approx(
        np.corrcoef(change_opt, np.log(size))[0, 1], abs=1e-10
    )
    assert table.loc["corr_share_change_contrast", "pandemic_payments"] == pytest.approx(
        np.corrcoef(change, change_opt)[0, 1], abs=1e-10
    )
    assert xr.open_dataset(finished / "pandemic_payments.nc").sizes["scenario"] == 2


def test_variants_table_has_every_variant_and_the_papers_housing_shares(finished: Path) -> None:
    table = pd.read_csv(finished / "variants.csv", index_col=0)
    assert list(table.columns) == [
        "baseline",
        "no_trade_costs",
        "homogeneous_linkages",
        "additive_amenities (per occupation Gumbel scale)",
        "housing_shares",
        "housing_shares_wide",
    ]
    # the paper's section 7.4 shares, typed from the paper
    assert table.loc["housing_share CNR", "housing_shares"] == 0.192
    assert table.loc["housing_share nonCNR", "housing_shares"] == 0.208
    assert table.loc["housing_share CNR", "housing_shares_wide"] == 0.185
    assert table.loc["housing_share nonCNR", "housing_shares_wide"] == 0.26
    for variant in ("housing_shares", "housing_shares_wide"):
        reference = xr.open_dataset(finished / f"equilibrium_{variant}.nc")
        optimum = xr.open_dataset(finished / f"optimum_{variant}.nc")
        assert bool(reference["converged"]) and bool(optimum["converged"])
        for k, value in _welfare_change(reference, optimum).items():
            assert table.loc[f"welfare_change {k}", variant] == pytest.approx(value, rel=1e-10)
        # re-inverted: its equilibrium is the data allocation
        model = xr.open_dataset(finished / "model.nc").sel(year=2015)
        np.testing.assert_allclose(reference["employment"], model["employment"], rtol=1e-8)
    baseline = pd.read_csv(finished / "policy_summary.csv", index_col=0)
    assert table.loc["welfare_change CNR", "baseline"] == pytest.approx(
        baseline.loc["welfare_gain", "CNR"], rel=1e-12
    )


def test_tables_a8_and_a9(finished: Path) -> None:
    """Table A8's OLS column by numpy (weighted least squares with the fixed-effect dummies
    on the allocation without externalities of the solve stage), and Table A9's OLS column,
    which no instrument enters, equal to Table 2's."""
    a8 = pd.read_csv(finished / "tableA8.csv", index_col=[0, 1, 2])
    assert (a8["truth"] == 0).all() and (a8["mc_replications"] <= 1).all()
    assert set(a8.index.get_level_values("method")) == {"OLS", "2SLS", "GMM-CUE"}
    world = xr.open_dataset(finished / "no_externalities.nc")  # the paper's τ, as A8's
    residents = world["employment"].sum("industry")
    size = residents.sum("occupation")
    for k in ("CNR", "nonCNR"):
        cells = world["employment"].sel(occupation=k) > 0
        frame = (
            xr.Dataset(
                {
                    "y": np.log(world["productivity"].sel(occupation=k).where(cells)),
                    "share": np.log(residents.sel(occupation=k) / size).broadcast_like(cells),
                    "size": np.log(size).broadcast_like(cells),
                    "weight": (world["value_added_share"] ** 2).broadcast_like(cells),
                }
            )
            .to_dataframe()
            .dropna(subset=["y"])
            .reset_index()
        )
        dummies = pd.get_dummies(
            frame["division"].astype(str) + "^" + frame["industry"].astype(str), dtype=float
        )
        X = np.column_stack([frame[["share", "size"]].to_numpy(), dummies.to_numpy()])
        root = np.sqrt(frame["weight"].to_numpy())
        beta = np.linalg.lstsq(X * root[:, None], frame["y"].to_numpy() * root, rcond=None)[0]
        for c, coefficient in enumerate(("tau_share", "tau_size")):
            assert a8.loc[("OLS", k, coefficient), "counterfactual_estimate"] == pytest.approx(
                beta[c], rel=1e-7, abs=1e-9
            )
    a9 = pd.read_csv(finished / "tableA9.csv", header=[0, 1], index_col=[0, 1])
    table2 = pd.read_csv(finished / "table2.csv", header=[0, 1], index_col=[0, 1])
    coefficients = [row for row in table2.index if row[0].startswith("log")]
    assert len(coefficients) == 4
    assert a9.loc[coefficients, "OLS"].equals(table2.loc[coefficients, "OLS"])
    assert (
        not a9["GMM-CUE"].equals(table2["GMM-CUE"])
        or "model_implied" in (finished / "table2.md").read_text()
    )
    assert "model-implied instruments" in (finished / "tableA9.md").read_text().splitlines()[0]


@pytest.mark.parametrize("value", ["-1", "two"])
def test_a8_replications_must_be_a_count(tmp_path: Path, capsys, value: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(["estimate", "--a8-replications", value, "--out", str(tmp_path)])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "--a8-replications" in err and "expected a whole number, 0 or more" in err
    assert list(tmp_path.iterdir()) == []


def test_paper_comparison_sets_each_number_beside_the_papers(finished: Path) -> None:
    """Every number of spatialocc.paper.REPORTED has a row; those the run computes on the
    synthetic economy have a value equal to the run's own files (read here without the
    comparison code), the rest a note."""
    table = pd.read_csv(finished / "paper_comparison.csv", keep_default_na=False)
    assert len(table) == len(spatialocc.paper.REPORTED)
    keys = zip(table["statistic"], table["occupation"], strict=True)
    value = dict(zip(keys, table["this_run"], strict=True))
    table3 = pd.read_csv(finished / "table3.csv", index_col=[0, 1, 2])
    rows = table3.reset_index().set_index("row")
    for row in (1, 8, 12, 22):
        assert float(value[(f"table3:welfare:{row}", "CNR")]) == pytest.approx(
            rows.loc[row, "CNR"], rel=1e-9
        )
        assert float(value[(f"table3:ratio:{row}", "")]) == pytest.approx(
            rows.loc[row, "ratio"], rel=1e-9
        )
    estimates = spatialocc.open_dataset(finished / "estimates.nc")
    cue = estimates["estimate"].sel(estimator="cue", occupation="nonCNR", coefficient="tau_size")
    assert float(value[("table2:cue:tau_size", "nonCNR")]) == pytest.approx(float(cue), rel=1e-9)
    summary = spatialocc.open_dataset(finished / "policy_summary.nc")
    mean = summary["mean_transfer"].sel(occupation="CNR")
    assert float(value[("mean_transfer", "CNR")]) == pytest.approx(float(mean), rel=1e-9)
    # the synthetic cities are not the paper's: their rows say so instead of a number
    named = table[table["statistic"].isin(["city_share", "gini_change", "city_pair:size"])]
    assert (named["this_run"] == "").all()
    assert named["note"].str.contains("not in the data").all()


def test_table1_states_its_sample_and_standard_errors(finished: Path) -> None:
    title = (finished / "table1.md").read_text().splitlines()[0]
    assert "across 12 cities, one observation per city" in title
    assert "(HC1)" in title and "city x industry sample" in title
