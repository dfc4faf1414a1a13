"""The industry table of ``spatialocc.datasets.industries`` against INDUSTRIES.md."""

from pathlib import Path

import pytest

from spatialocc.datasets import industries

DOC = Path(__file__).resolve().parents[2] / "shared" / "docs" / "INDUSTRIES.md"


def test_matches_the_documented_crosswalk() -> None:
    if not DOC.is_file():
        pytest.skip(f"{DOC} is absent (../shared/docs)")
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("| ") and line[2:3].isdigit()
    ]
    assert [row[1] for row in rows] == list(industries.LABELS)
    for (_, label, tradable, naics, bea), crosswalk in zip(rows, industries.CROSSWALK, strict=True):
        assert industries.tradable(label) is (tradable == "yes"), label
        assert crosswalk.naics == tuple(naics.split(", ")), label
        assert crosswalk.bea == tuple(bea.split(", ")), label


def test_trade_costs_and_errors() -> None:
    assert len(industries.MANUFACTURING) == 11  # Figure 15's list
    assert industries.trade_cost("Metals") == industries.GOODS_TRADE_COST
    assert industries.trade_cost("Wholesale") == industries.SERVICES_TRADE_COST
    assert industries.trade_cost("Real Estate") != industries.trade_cost("Real Estate")  # NaN
    with pytest.raises(ValueError, match="not one of the paper's 22 industries"):
        industries.tradable("Housing")
