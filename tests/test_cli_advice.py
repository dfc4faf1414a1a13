"""Advice the command line gives names options it has, and following it works.

Three cases gave advice that could not be followed: three-occupation data (Table 1 and the
paper's τ assume an occupation called CNR, and the message sent to --tau cue, which failed at
Table 1), an industry called "Housing" (the message said ``real_estate=<label>``) and
instruments collinear with the fixed effects on a small economy (the message said "use coarser
fixed effects or drop the instrument").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
from test_cli import digest, exploded, one_line_error

import spatialocc
from spatialocc import pipeline
from spatialocc.__main__ import main
from spatialocc.solvers import decomposition


def data_file(folder: Path, name: str, data: xr.Dataset) -> str:
    return str(spatialocc.to_netcdf(data, folder / f"{name}.nc"))


# -- three occupations ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data of a three-occupation economy."""
    data = spatialocc.datasets.synthetic(n_cities=12, n_industries=6, n_occupations=3, seed=3)
    return Path(data_file(tmp_path_factory.mktemp("three"), "three", data))


def test_the_papers_tau_on_other_occupations_points_to_this_runs(
    three: Path, tmp_path: Path, capsys
) -> None:
    assert main(["run", str(three), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert one_line_error(capsys) == (
        "--tau paper: the paper's τ are for the occupations CNR and nonCNR, the occupations "
        "of the data are occupation_1, occupation_2, occupation_3; use --tau cue, 2sls or "
        "ols to solve with this run's estimates (Table 2)"
    )
    assert not (tmp_path / "out").exists()


def test_three_occupations_run_with_this_runs_tau(three: Path, tmp_path: Path) -> None:
    """Table 1 compares the first occupation with the others (or the one --occupations names
    first), Table 2 estimates τ for every occupation, and --tau cue solves with them."""
    out = str(tmp_path / "out")
    assert main(["invert", str(three), "--out", out, "--quiet"]) == 0
    assert main(["estimate", "--out", out, "--quiet"]) == 0
    rows = pd.read_csv(Path(out) / "table1.csv", header=[0, 1], index_col=0).index
    assert rows[0] == "log w[occupation_1]"
    estimates = xr.open_dataset(Path(out) / "estimates.nc")
    assert estimates["occupation"].values.tolist() == [
        "occupation_1",
        "occupation_2",
        "occupation_3",
    ]
    assert main(["solve", "--tau", "cue", "--out", out, "--quiet"]) == 0
    solution = xr.open_dataset(Path(out) / "no_externalities.nc")
    assert solution.sizes["occupation"] == 3 and bool(solution["converged"])
    argv = ["estimate", "--occupations", "occupation_3,occupation_1", "--out", out, "--quiet"]
    assert main(argv) == 0
    rows = pd.read_csv(Path(out) / "table1.csv", header=[0, 1], index_col=0).index
    assert rows[0] == "log w[occupation_3]"


def test_occupations_not_in_the_data_are_refused(three: Path, tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "out")
    for value, found in (("occupation_1,CNR", "'CNR' is not"), ("occupation_1", "got 1")):
        argv = ["run", str(three), "--tau", "cue", "--occupations", value, "--out", out]
        assert main([*argv, "--quiet"]) == 2
        message = one_line_error(capsys)
        assert message.startswith("--occupations: ") and found in message, message
        assert "occupation_1, occupation_2, occupation_3" in message
        assert message.endswith("e.g. --occupations occupation_1,occupation_2"), message


# -- the real-estate industry -----------------------------------------------------------------


@pytest.fixture(scope="module")
def housing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data of a small economy whose real-estate industry is called Housing."""
    data = spatialocc.datasets.synthetic(n_cities=12, n_industries=6, seed=3)
    labels = ["Housing" if i == "Real Estate" else i for i in data["industry"].values.tolist()]
    data = data.assign_coords(industry=labels, input=labels)
    return Path(data_file(tmp_path_factory.mktemp("housing"), "housing", data))


def test_a_real_estate_industry_under_another_name(
    housing: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    out = tmp_path / "out"
    assert main(["run", str(housing), "--out", str(out), "--quiet"]) == 2
    assert one_line_error(capsys) == (
        "no industry of the data is labeled 'Real Estate', the land-using industry; the "
        "non-tradable ones are 'Retail, Construction, and Utilities', 'Housing': name it with "
        "--real-estate LABEL"
    )
    assert main(["invert", str(housing), "--real-estate", "Housing", "--out", str(out)]) == 0
    assert xr.open_dataset(out / "model.nc").attrs["real_estate"] == "Housing"
    # the later stages take the label from model.nc
    argv = ["optimal", "--variants", "homogeneous_linkages", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    assert bool(xr.open_dataset(out / "equilibrium_homogeneous_linkages.nc")["converged"])
    labels = []
    full = decomposition.decompose

    def fast(model: xr.Dataset, **kwargs) -> xr.Dataset:
        labels.append(kwargs["real_estate"])
        return full(model, **kwargs, with_optimum=False, no_externalities=False)

    monkeypatch.setattr(decomposition, "decompose", fast)
    assert main(["decompose", "--out", str(out), "--quiet"]) == 0
    assert labels == ["Housing"]


def test_a_real_estate_label_not_in_the_data(housing: Path, tmp_path: Path, capsys) -> None:
    argv = ["invert", str(housing), "--real-estate", "Land", "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    assert one_line_error(capsys) == (
        "--real-estate 'Land' is not an industry of the data; the non-tradable ones are "
        "'Retail, Construction, and Utilities', 'Housing': name the land-using one"
    )


# -- instruments and fixed effects ------------------------------------------------------------


@pytest.fixture(scope="module")
def collinear(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder with the model of a small economy whose land-grant colleges are in
    every city of one division and nowhere else: the division x industry fixed effects leave
    nothing of that instrument (as a small economy's few cities per division can)."""
    data = spatialocc.datasets.synthetic(n_cities=12, n_industries=6, seed=3)
    data["land_grant_college"] = data["division"] == data["division"].values[0]
    folder = tmp_path_factory.mktemp("collinear")
    out = folder / "out"
    assert main(["invert", data_file(folder, "collinear", data), "--out", str(out), "--quiet"]) == 0
    return out


def test_collinear_instruments_advise_the_options_that_fix_them(collinear: Path, capsys) -> None:
    before = digest(collinear)
    assert main(["estimate", "--out", str(collinear), "--quiet"]) == 2
    message = one_line_error(capsys)
    assert "'land_grant_college' are perfectly collinear with the fixed effects" in message
    assert message.endswith(
        "On the command line: --instruments NAME,NAME,... (this run: "
        "log(historical_population),land_grant_college,immigrant_enclave; or model_implied), "
        "--fixed-effects SPEC (this run: division^industry; coarser: e.g. industry, or none), "
        "--cluster NAME,NAME (this run: city,industry; or none)"
    ), message
    assert digest(collinear) == before
    assert main(["estimate", "--fixed-effects", "industry", "--out", str(collinear)]) == 0
    table2 = (collinear / "table2.md").read_text()
    assert "fixed effects: industry" in table2


def test_the_estimation_options_reach_the_estimation(
    collinear: Path, tmp_path: Path, monkeypatch
) -> None:
    calls = []
    from spatialocc.estimate import externalities as real

    def spy(model, **kwargs):
        calls.append({k: kwargs[k] for k in ("instruments", "fixed_effects", "cluster")})
        return real(model, **kwargs)

    monkeypatch.setattr(spatialocc.estimate, "externalities", spy)
    argv = ["estimate", "--out", str(collinear), "--quiet", "--fixed-effects", "none"]
    argv += ["--instruments", "log(historical_population),land_grant_college"]
    assert main([*argv, "--cluster", "city"]) == 0
    assert calls == [
        {
            "instruments": ["log(historical_population)", "land_grant_college"],
            "fixed_effects": None,
            "cluster": ("city",),
        },
        # Table A9: the same regressions with the model-implied instruments
        {"instruments": ["model_implied"], "fixed_effects": None, "cluster": ("city",)},
    ]


@pytest.mark.parametrize(
    ("option", "value", "start", "end"),
    [
        (
            "--instruments",
            "log(rainfall),land_grant_college",
            "--instruments: 'rainfall' is not a variable of model.nc; expected variable names "
            "(log(NAME) for the log of one) or model_implied, as in the default ",
            "log(historical_population),land_grant_college,immigrant_enclave",
        ),
        (
            "--instruments",
            "land_grant_college",
            "--instruments: the IV estimators of Table 2 need at least two instruments, got "
            "land_grant_college; ",
            "add one (e.g. model_implied)",
        ),
        (
            "--fixed-effects",
            "region^industry",
            "--fixed-effects: 'region' is not a coordinate or variable of model.nc; it has the "
            "coordinates ",
            "(e.g. --fixed-effects industry, or none)",
        ),
        (
            "--cluster",
            "state",
            "--cluster: 'state' is not a coordinate or variable of model.nc; it has the "
            "coordinates ",
            "(e.g. --cluster city, or none)",
        ),
    ],
    ids=["unknown instrument", "one instrument", "unknown fixed effect", "unknown cluster"],
)
def test_estimation_options_not_in_the_model_are_refused(
    option: str, value: str, start: str, end: str, collinear: Path, capsys
) -> None:
    before = digest(collinear)
    assert main(["estimate", option, value, "--out", str(collinear), "--quiet"]) == 2
    message = one_line_error(capsys)
    assert message.startswith(start) and message.endswith(end), message
    assert "division" in message or option == "--instruments", message
    assert digest(collinear) == before


def test_the_options_are_repeated_in_the_advice_after_a_failure(
    tmp_path: Path, housing: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, "plot", exploded)
    for stage in ("solve", "optimal", "decompose"):
        monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, stage, lambda *args: None)
    out = tmp_path / "out"
    argv = ["run", str(housing), "--real-estate", "Housing", "--out", str(out), "--quiet"]
    argv += ["--fixed-effects", "industry", "--occupations", "nonCNR,CNR"]
    assert main(argv) == 2
    rest = f"--out {out} --fixed-effects industry --occupations nonCNR,CNR"
    assert one_line_error(capsys).endswith(
        f"finish with: spatialocc plot {rest} && spatialocc compare {rest}"
    )
