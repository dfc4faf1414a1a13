"""The example scripts run: each has a docstring saying what it reproduces and how to run it,
and a ``main`` that takes the data (default: the full-size data of the paper), run here on a
small synthetic economy into a temporary folder."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import spatialocc

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))
NATURAL_EARTH = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw" / "natural_earth"


def load(name: str) -> ModuleType:
    path = next(p for p in EXAMPLES if p.stem == name)
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small() -> xr.Dataset:
    """12 cities, 6 industries, both years (the examples select the years they need)."""
    return spatialocc.datasets.synthetic(n_cities=12, n_industries=6, seed=3)


def assert_png(path: Path) -> None:
    image = pytest.importorskip("matplotlib.image").imread(path)
    from spatialocc import plot

    assert image.shape[:2] == (plot.FIGSIZE[1] * plot.DPI, plot.FIGSIZE[0] * plot.DPI), path
    assert image[..., :3].std() > 0.01, f"{path.name} is blank"


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_a_runnable_script(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    doc = ast.get_docstring(tree)
    assert doc and f"python examples/{path.name}" in doc
    mains = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"]
    assert len(mains) == 1
    # the data can be passed in (this is what the tests below use); the default is the paper's
    assert mains[0].args.args[0].arg == "data"
    assert isinstance(mains[0].args.defaults[0], ast.Constant)
    assert mains[0].args.defaults[0].value is None
    compile(tree, str(path), "exec")


def test_every_example_is_run_below() -> None:
    tested = {
        name[len("test_example_") :]
        for name in globals()
        if name.startswith("test_example_") and name != "test_example_is_a_runnable_script"
    }
    assert tested == {p.stem for p in EXAMPLES}


def test_example_figure10_optimal_transfers_map(small: xr.Dataset, tmp_path: Path, capsys) -> None:
    natural_earth = str(NATURAL_EARTH) if NATURAL_EARTH.is_dir() else None
    written = load("figure10_optimal_transfers_map").main(small, natural_earth, out=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure05.png", "figure10.png"]
    assert sorted(written) == sorted(tmp_path.iterdir())
    for path in written:
        assert_png(path)
    assert capsys.readouterr().out.startswith("wrote ")


def test_example_invert_synthetic(small: xr.Dataset, capsys) -> None:
    slope = load("invert_synthetic").main(small)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"elasticity of relative CNR productivity to city size: {slope:.3f}"
    assert np.isfinite(slope)
    # one consumption share per industry, printed to 4 decimals; they sum to one (α sums to 1
    # by the inversion's construction; 6 roundings to 4 decimals move the sum by < 3e-4)
    shares = pd.Series({line[:-6].strip(): float(line[-6:]) for line in lines[2:]})
    assert shares.index.tolist() == small["industry"].values.tolist()
    assert shares.sum() == pytest.approx(1.0, abs=3e-4)


def test_example_no_externalities_figures_3_4(small: xr.Dataset, capsys) -> None:
    example = load("no_externalities_figures_3_4")
    slopes = example.main(small)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "data:" in lines[0] and "no externalities:" in lines[1]
    for label, line in zip(("data", "no externalities"), lines, strict=True):
        printed = [float(x) for x in re.findall(r"[+-]?\d+\.\d{3}", line)]
        np.testing.assert_allclose(  # printed to 3 decimals
            printed,
            [slopes[label]["premium_on_share"], slopes[label]["actual_on_predicted"]],
            atol=5e-4,
        )
    # in the data (the inversion reproduces them exactly) the slopes are the data's
    expected = example.figure_slopes(small.sel(year=2015))
    np.testing.assert_allclose(list(slopes["data"].values()), list(expected.values()), rtol=1e-9)
    # weighted_slope is weighted least squares: numpy's polyfit weights residuals by w, so by
    # sqrt(weights) in the squared loss (rounding only: rtol 1e-10)
    rng = np.random.default_rng(0)
    x, y, w = rng.normal(size=30), rng.normal(size=30), rng.uniform(0.1, 2.0, size=30)
    slope = example.weighted_slope(*(xr.DataArray(a, dims="n") for a in (y, x, w)))
    assert slope == pytest.approx(np.polyfit(x, y, 1, w=np.sqrt(w))[0], rel=1e-10)


def test_example_optimal_policy_summary(small: xr.Dataset, capsys) -> None:
    example = load("optimal_policy_summary")
    frame = example.main(small)
    out = capsys.readouterr().out
    assert list(frame.columns) == ["statistic", "synthetic", "paper"] and len(frame) > 10
    assert bool(np.isfinite(frame["synthetic"].astype(float)).all())
    # the paper's column holds the paper's number beside each statistic it reports, NaN elsewhere
    by_statistic = frame.set_index("statistic")
    expected = {f"{name} [{column}]": value for (name, column), value in example.PAPER.items()}
    assert by_statistic["paper"].dropna().to_dict() == expected
    gains = by_statistic["synthetic"]
    # equal welfare gains for both occupations at the optimum (Proposition 1; solver tol)
    assert gains["welfare_gain [CNR]"] == pytest.approx(gains["welfare_gain [nonCNR]"], rel=1e-8)
    assert "welfare_gain [CNR]" in out and out.rstrip().splitlines()[-1].startswith("solve_opt")


def test_example_table2_externalities(small: xr.Dataset, capsys) -> None:
    with pytest.warns(spatialocc.estimate.EstimationWarning):  # 12 cities: singleton groups
        estimates = load("table2_externalities").main(small)
    out = capsys.readouterr().out
    assert {"OLS", "2SLS", "GMM-CUE"} <= set(out.split())
    result = estimates.to_dataset()
    assert result["estimator"].values.tolist() == ["ols", "2sls", "cue"]
    assert bool(np.isfinite(result["estimate"]).all())
    # the last line prints the CUE estimates it applied
    cue = result["estimate"].sel(estimator="cue")
    printed = [float(x) for x in re.findall(r"-?\d+\.\d+", out.splitlines()[-1])]
    np.testing.assert_allclose(
        printed,
        [*cue.sel(coefficient="tau_share").values, *cue.sel(coefficient="tau_size").values],
        rtol=1e-6,  # numpy prints 8 significant digits
    )


def test_example_table3_decomposition(small: xr.Dataset, tmp_path: Path, capsys) -> None:
    table = load("table3_decomposition").main(small, out=tmp_path)
    out = capsys.readouterr().out
    assert list(table.columns) == ["CNR", "nonCNR", "ratio"]
    assert table.index.get_level_values("row").tolist() == list(range(1, 23))
    # welfare is relative to each panel's Baseline row (4 and 15): 1 there by definition
    baseline = table[table.index.get_level_values("row").isin([4, 15])]
    np.testing.assert_array_equal(baseline.to_numpy(), 1.0)
    assert "CNR/nonCNR welfare ratio in the Baseline" in out
    assert [p.name for p in tmp_path.iterdir()] == ["figure18.png"]
    assert_png(tmp_path / "figure18.png")
