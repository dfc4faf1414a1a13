"""Bad options are refused before any computing, in one line that says how to fix them.

Each was found late before: a Natural Earth folder that does not exist after every stage, an
unknown variant after the baseline optimum, one-year data or --start-year equal to --year at
the decomposition (on the US data, minutes in).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from test_cli import digest, one_line_error

import spatialocc
from spatialocc.__main__ import main
from spatialocc.solvers import inversion

#: The longest a refusal may take (the target of issue #13; in-process, without imports).
PROMPT = 5.0


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Data of a small economy (two years, and its last year alone) and a folder with its
    model."""
    folder = tmp_path_factory.mktemp("checks")
    data = spatialocc.datasets.synthetic(n_cities=12, n_industries=6, seed=3)
    files = {
        "data": spatialocc.to_netcdf(data, folder / "data.nc"),
        "one year": spatialocc.to_netcdf(data.sel(year=[2015]), folder / "one_year.nc"),
        "no files": folder / "empty",
        "inverted": folder / "inverted",
    }
    files["no files"].mkdir()
    assert main(["invert", str(files["data"]), "--out", str(files["inverted"]), "--quiet"]) == 0
    return files


def refused(argv: list[str], out: Path, monkeypatch, capsys) -> str:
    """Run ``argv`` on ``out``, check that it is refused at once, before any inversion or
    stage, and that the results in ``out`` did not change; return the message."""

    def computing(*args, **kwargs):
        raise AssertionError("computed before the options were checked")

    monkeypatch.setattr(inversion, "invert", computing)
    for stage in ("estimate", "solve", "optimal", "decompose", "plot"):
        monkeypatch.setitem(spatialocc.pipeline.STAGE_FUNCTIONS, stage, computing)
    before = digest(out) if out.exists() else None
    began = time.perf_counter()
    assert main([*argv, "--out", str(out), "--quiet"]) == 2
    assert time.perf_counter() - began < PROMPT
    assert (digest(out) if out.exists() else None) == before
    return one_line_error(capsys)


def test_a_natural_earth_folder_that_does_not_exist(
    files, tmp_path: Path, monkeypatch, capsys
) -> None:
    nowhere = tmp_path / "nowhere"
    argv = ["run", str(files["data"]), "--natural-earth", str(nowhere)]
    assert refused(argv, tmp_path / "out", monkeypatch, capsys) == (
        f"--natural-earth names {str(nowhere)!r}, which does not exist; expected a folder "
        f"holding the Natural Earth GeoJSON files ne_110m_admin_1_states_provinces_lines.json, "
        f"ne_110m_admin_0_boundary_lines_land.json, ne_110m_coastline.json: correct it, or "
        f"leave --natural-earth out to let cartopy download them"
    )


def test_a_natural_earth_folder_without_the_files(
    files, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("SPATIALOCC_NATURAL_EARTH", str(files["no files"]))
    message = refused(["plot"], files["inverted"], monkeypatch, capsys)
    assert message.startswith(
        f"the SPATIALOCC_NATURAL_EARTH environment variable names {str(files['no files'])!r}, "
        f"which lacks ne_110m_admin_1_states_provinces_lines.json, "
    )
    assert message.endswith("correct it, or unset it to let cartopy download them")


def test_an_unknown_variant(files, tmp_path: Path, monkeypatch, capsys) -> None:
    argv = ["run", str(files["data"]), "--variants", "no_trade_costs,no_borders"]
    assert refused(argv, tmp_path / "out", monkeypatch, capsys) == (
        "--variants: unknown variant 'no_borders'; expected names from additive_amenities, "
        "homogeneous_linkages, housing_shares, housing_shares_wide, model_implied_instruments, "
        "no_externalities, no_trade_costs, separated by commas ('' for none)"
    )


def test_one_year_of_data(files, tmp_path: Path, monkeypatch, capsys) -> None:
    assert refused(["run", str(files["one year"])], tmp_path / "out", monkeypatch, capsys) == (
        "the decomposition (Table 3) compares two years, but the only year of the data is "
        "2015; give data with a start and an end year, or run the other stages one by one "
        "('spatialocc invert', then estimate, solve, optimal and plot)"
    )


@pytest.mark.parametrize("command", ["run", "decompose"])
def test_a_start_year_equal_to_the_year(
    command: str, files, tmp_path: Path, monkeypatch, capsys
) -> None:
    out = tmp_path / "out"
    shutil.copytree(files["inverted"], out, symlinks=True)
    argv = [command, *([str(files["data"])] if command == "run" else []), "--start-year", "2015"]
    source = "the data" if command == "run" else "model.nc"
    assert refused(argv, out, monkeypatch, capsys) == (
        f"--start-year 2015 is also the end year (--year, by default the latest); the "
        f"decomposition (Table 3) compares two different years: choose them from the years "
        f"of {source}, 1980, 2015"
    )


def test_a_year_not_in_the_data(files, tmp_path: Path, monkeypatch, capsys) -> None:
    argv = ["run", str(files["data"]), "--year", "2000"]
    assert refused(argv, tmp_path / "out", monkeypatch, capsys) == (
        "--year 2000 is not a year of the data; choose one of 1980, 2015"
    )
