"""spatialocc.reports: the tables and report statistics in one package, their former homes
still answering with the very same objects, one ``cnr_share_distribution`` for both call
forms, and no import of the reports from the solvers or estimators (reports depend on them,
never the reverse)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc import reports
from spatialocc.reports.decomposition import share_distribution
from spatialocc.solvers.decomposition import COMPONENTS

PACKAGE = Path(spatialocc.__file__).parent

#: (former home, name, new home) of every moved name.
MOVED = [
    *(
        ("spatialocc", name, "spatialocc.reports")
        for name in ("policy_summary", "policy_table", "decomposition_table")
    ),
    ("spatialocc", "cnr_share_distribution", "spatialocc.reports"),
    *(
        ("spatialocc.solvers", name, "spatialocc.reports")
        for name in (
            "policy_summary",
            "policy_table",
            "decomposition_table",
            "cnr_share_distribution",
        )
    ),
    *(
        ("spatialocc.solvers.optimal", name, "spatialocc.reports.policy")
        for name in (
            "_weighted_corr",
            "_weighted_quantile",
            "industrial_gini",
            "policy_summary",
            "_summary_one",
            "policy_table",
        )
    ),
    *(
        ("spatialocc.solvers.decomposition", name, "spatialocc.reports.decomposition")
        for name in ("decomposition_table", "cnr_share_distribution", "share_distribution")
    ),
    ("spatialocc.estimate", "table1", "spatialocc.reports"),
    *(
        ("spatialocc.estimate.tables", name, "spatialocc.reports.tables")
        for name in ("table1", "_univariate", "Table1Weights", "Table1Covariance")
    ),
    ("spatialocc.pipeline", "write_table", "spatialocc.reports"),
    ("spatialocc.pipeline", "write_text", "spatialocc.reports.tables"),
    ("spatialocc.plot", "cnr_share_distribution", "spatialocc.reports.decomposition"),
]


@pytest.mark.parametrize(("old", "name", "new"), MOVED, ids=lambda x: str(x))
def test_former_homes_give_the_very_same_objects(old: str, name: str, new: str) -> None:
    moved = getattr(importlib.import_module(new), name)
    assert getattr(importlib.import_module(old), name) is moved
    namespace: dict[str, object] = {}
    exec(f"from {old} import {name}", namespace)  # the form users write
    assert namespace[name] is moved
    if not name.startswith("_") and old != "spatialocc.pipeline":
        assert name in dir(importlib.import_module(old))


def test_public_names_and_homes() -> None:
    assert sorted(reports.__all__) == [
        "city_pair_productivity",
        "cnr_share_distribution",
        "decomposition_table",
        "industrial_gini",
        "paper_comparison",
        "policy_summary",
        "policy_table",
        "reallocation_summary",
        "reallocation_table",
        "sector_technology",
        "share_distribution",
        "supplier_intensity",
        "table1",
        "technology_change",
        "write_table",
    ]
    for name in reports.__all__:
        assert getattr(reports, name).__module__.startswith("spatialocc.reports.")
    # the packages that exported the names keep exporting them
    for package in (spatialocc, spatialocc.solvers, spatialocc.estimate):
        for name in package.__all__:
            assert getattr(package, name) is not None


@pytest.mark.parametrize(
    "module", ["spatialocc.solvers", "spatialocc.solvers.optimal", "spatialocc.estimate.tables"]
)
def test_unknown_names_still_raise_attribute_error(module: str) -> None:
    with pytest.raises(AttributeError, match=rf"module '{module}' has no attribute 'nope'"):
        _ = importlib.import_module(module).nope
    assert not hasattr(importlib.import_module(module), "nope")


# -- one cnr_share_distribution ----------------------------------------------------------------


@pytest.fixture(scope="module")
def allocations(small_data: xr.Dataset) -> dict[str, xr.Dataset]:
    return {str(year): small_data.sel(year=year) for year in (1980, 2015)}


def test_a_mapping_gives_what_the_plot_version_gave(allocations) -> None:
    """The former ``spatialocc.plot.cnr_share_distribution(allocations, edges=...)`` was
    ``share_distribution(allocations, bins=edges)``."""
    edges = [-50.0, -5.0, 0.0, 5.0, 50.0]
    xr.testing.assert_identical(
        reports.cnr_share_distribution(allocations), share_distribution(allocations, bins=None)
    )
    given = reports.cnr_share_distribution(allocations, bins=edges)
    xr.testing.assert_identical(given, share_distribution(allocations, bins=edges))
    assert given["bin"].values.tolist() == [-27.5, -2.5, 2.5, 27.5]
    with pytest.warns(DeprecationWarning, match=r"edges=\.\.\.\) is deprecated; use bins="):
        old = spatialocc.plot.cnr_share_distribution(allocations, edges=edges)
    xr.testing.assert_identical(old, given)


def test_bins_and_edges_together_or_rows_with_a_mapping_are_refused(allocations) -> None:
    with pytest.raises(TypeError, match="bins="):
        reports.cnr_share_distribution(allocations, bins=[-1.0, 0.0, 1.0], edges=[-1.0, 1.0])
    with pytest.raises(ValueError, match="rows= picks steps of a decomposition result"):
        reports.cnr_share_distribution(allocations, rows={"2015 data": "2015"})
    with pytest.raises(TypeError, match="got list"):
        reports.cnr_share_distribution([allocations["2015"]])
    with pytest.raises(spatialocc.DimensionError, match="'step' dimension"):
        reports.cnr_share_distribution(allocations["2015"])  # one allocation, not a mapping


def test_a_decomposition_result_gives_its_rows(small_data: xr.Dataset) -> None:
    """The rows of a decomposition result by default: the Baseline, the first step with every
    component at end values, and the first such optimum (a stand-in result, no solves)."""
    employment = small_data["employment"]
    tilt = np.linspace(0.5, 1.5, small_data.sizes["city"])
    optimum = employment.sel(year=2015) * xr.DataArray(tilt, coords={"city": employment.city})
    labels = ["1980 parameters", "2015 parameters", "Optimal allocation", "another optimum"]
    every = ", ".join(COMPONENTS)
    result = xr.Dataset(
        {
            "employment": xr.concat(
                [employment.sel(year=1980), employment.sel(year=2015), optimum, optimum * 2],
                "step",
                coords="minimal",
                compat="override",
            ).drop_vars("year")
        },
        coords={
            "step": labels,
            "end_components": ("step", ["", every, every, every]),
            "optimum": ("step", [False, False, True, True]),
        },
        attrs={"start_year": 1980, "end_year": 2015, "baseline": "1980 parameters"},
    )
    expected = share_distribution(
        {
            "Baseline 1980": result.sel(step="1980 parameters"),
            "2015 data": result.sel(step="2015 parameters"),
            "2015 optimum": result.sel(step="Optimal allocation"),
        }
    )
    xr.testing.assert_identical(reports.cnr_share_distribution(result), expected)
    in_a_panel = result.expand_dims(panel=["full_model", "no_externalities"])
    xr.testing.assert_identical(reports.cnr_share_distribution(in_a_panel), expected)
    chosen = reports.cnr_share_distribution(
        result, rows={"other": "another optimum"}, occupation="nonCNR", bins=[-5.0, 0.0, 5.0]
    )
    xr.testing.assert_identical(
        chosen,
        share_distribution(
            {"other": result.sel(step="another optimum")}, occupation="nonCNR", bins=[-5, 0, 5]
        ),
    )


# -- reports depend on the solvers, never the reverse -------------------------------------------


def _module_level_report_imports(source: str) -> list[int]:
    """Lines of the imports of spatialocc.reports that run when the module is imported: at
    module level, also under ``if``/``try``/``with`` and in class bodies, not in functions."""

    def is_reports(module: str) -> bool:
        return module == "spatialocc.reports" or module.startswith("spatialocc.reports.")

    found = []
    pending = list(ast.parse(source).body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Import) and any(is_reports(a.name) for a in node.names):
            found.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names = {a.name for a in node.names}
            if is_reports(node.module) or (node.module == "spatialocc" and "reports" in names):
                found.append(node.lineno)
        pending.extend(ast.iter_child_nodes(node))
    return sorted(found)


def test_the_check_finds_module_level_imports() -> None:
    source = (
        "import os\n"
        "from spatialocc.reports import policy_table\n"
        "try:\n    import spatialocc.reports.policy\nexcept ImportError:\n    pass\n"
        "class A:\n    from spatialocc import reports\n"
        "def f():\n    from spatialocc.reports import table1\n"
    )
    assert _module_level_report_imports(source) == [2, 4, 8]


@pytest.mark.parametrize("package", ["solvers", "estimate"])
def test_solvers_and_estimators_do_not_import_the_reports(package: str) -> None:
    files = sorted((PACKAGE / package).rglob("*.py"))
    assert files
    offending = {
        str(path.relative_to(PACKAGE)): lines
        for path in files
        if (lines := _module_level_report_imports(path.read_text(encoding="utf-8")))
    }
    assert offending == {}
