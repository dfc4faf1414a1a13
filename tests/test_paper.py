"""The paper's values in ``spatialocc.paper`` against the paper's own text."""

import re
from pathlib import Path

import pytest

from spatialocc import paper

PAPER_TEXT = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "cognitive_hubs_paper.txt"


@pytest.fixture(scope="module")
def table2_lines() -> list[str]:
    if not PAPER_TEXT.is_file():
        pytest.skip(f"the paper's text {PAPER_TEXT} is absent (../shared/seeds)")
    text = PAPER_TEXT.read_text(encoding="utf-8")
    start = text.index("Table 2: Instrumental Variables Estimate")
    return text[start : text.index("Regressions estimate equation (6)", start)].splitlines()


def _numbers(line: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"\d+\.\d+", line)]


def test_table2_matches_the_paper_text(table2_lines) -> None:
    """Row by row: the estimates of ln(L[k,n]/L[n]) and ln L[n] with their standard errors,
    in the column order OLS, 2SLS, CUE and CNR, non-CNR within each."""
    share = next(i for i, line in enumerate(table2_lines) if line.startswith(") 0."))
    size = next(i for i, line in enumerate(table2_lines) if line.startswith("ln(Ln)"))
    rows = {
        "tau_share": (_numbers(table2_lines[share]), _numbers(table2_lines[share + 2])),
        "tau_size": (_numbers(table2_lines[size]), _numbers(table2_lines[size + 2])),
    }
    for coefficient, (estimates, errors) in rows.items():
        assert len(estimates) == len(errors) == 6
        column = 0
        for estimator in ("ols", "2sls", "cue"):
            for occupation in paper.OCCUPATIONS:
                expected = (estimates[column], errors[column])
                assert paper.TABLE2[estimator][coefficient][occupation] == expected
                column += 1


def test_first_stage_statistics_match_the_paper_text(table2_lines) -> None:
    def row(prefix: str) -> list[float]:
        return _numbers(next(line for line in table2_lines if line.startswith(prefix)))

    stats = paper.TABLE2_FIRST_STAGE
    for key, prefix in (
        ("kp_f", "K.P. F"),
        ("sw_f_tau_share", "S.W.F. Lkn"),
        ("sw_f_tau_size", "S.W.F. Ln"),
    ):
        values = row(prefix)
        assert values == [stats[key]["CNR"], stats[key]["nonCNR"]] * 2  # 2SLS and CUE columns


def test_default_tau_is_the_cue_column() -> None:
    assert paper.tau("cue") == paper.TAU
    assert paper.TAU["tau_share"] == {"CNR": 1.304, "nonCNR": 0.835}
    with pytest.raises(ValueError, match="columns"):
        paper.tau("liml")
