"""Readers of the IPUMS NHGIS county tables (``census_county/`` under the raw folder).

The ``.dat`` files are fixed-width ASCII, one row per county, laid out by their
``<stem>_layout.csv`` (variable, type, 1-based start and end column, NHGIS label). County
codes that changed by 2015 are mapped to their successor (``COUNTY_SUCCESSORS``) and summed.

Source: Minnesota Population Center, National Historical Geographic Information System:
Version 11.0 [dataset], Minneapolis, MN: University of Minnesota, 2016,
https://doi.org/10.18128/D050.V11.0 (the citation of the file's ``README.nhgis.txt``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from spatialocc.datasets.build_us.crosswalks import COUNTY_SUCCESSORS
from spatialocc.datasets.build_us.raw_files import _raw_path, _reader

NHGIS_CITATION = (
    "Minnesota Population Center. National Historical Geographic Information System: "
    "Version 11.0 [dataset]. Minneapolis, MN: University of Minnesota, 2016. "
    "https://doi.org/10.18128/D050.V11.0"
)


def _read_fixed_width(raw: Path, key: str, variables: Sequence[str]) -> pd.DataFrame:
    layout = pd.read_csv(_raw_path(raw, f"{key}_layout"), dtype={"start": int, "end": int})
    layout = layout.set_index("variable")
    names = ["statea", "countya", *variables]
    missing = [v for v in names if v not in layout.index]
    if missing:
        raise ValueError(f"the layout has no variables {missing}")
    specs = [(int(layout.loc[v, "start"]) - 1, int(layout.loc[v, "end"])) for v in names]
    table = pd.read_fwf(
        _raw_path(raw, key), colspecs=specs, names=names, dtype=str, encoding="latin-1"
    )
    if table.empty:
        raise ValueError("no county rows")
    county = table["statea"].str.zfill(2) + table["countya"].str.zfill(3)
    values = table[list(variables)].apply(pd.to_numeric, errors="raise").astype(float)
    values.index = county.replace(COUNTY_SUCCESSORS).rename("county")
    return values.groupby(level="county").sum()


@_reader("nhgis_1970")
def _read_nhgis_1970(raw: Path) -> pd.DataFrame:
    """1970 county nativity: ``native`` (c0z001) and ``foreign_born`` (c0z002) persons."""
    table = _read_fixed_width(raw, "nhgis_1970", ("c0z001", "c0z002"))
    return table.rename(columns={"c0z001": "native", "c0z002": "foreign_born"})


#: The 15 industry groups of the 1980 table (dia001-015, 1980 census industry codes).
INDUSTRY_GROUPS_1980 = tuple(f"dia{i:03d}" for i in range(1, 16))
#: Persons 25 and over by years of school completed (dhm001-005; dhm005: college, 4+ years).
EDUCATION_1980 = tuple(f"dhm{i:03d}" for i in range(1, 6))


#: Armed forces, male and female (dhx001, dhx005).
ARMED_FORCES_1980 = ("dhx001", "dhx005")


@_reader("nhgis_1980")
def _read_nhgis_1980(raw: Path) -> pd.DataFrame:
    """1980 county employed persons 16+ by industry group (dia001-015), persons 25+ by
    education (dhm001-005) and armed forces (dhx001, dhx005)."""
    return _read_fixed_width(
        raw, "nhgis_1980", INDUSTRY_GROUPS_1980 + EDUCATION_1980 + ARMED_FORCES_1980
    )


@_reader("nhgis_1980")
def _read_nhgis_1980_smsa(raw: Path) -> pd.Series:
    """The 1980 SMSA code (``smsaa``, 4 digits) of each county that lies in one, by county
    code as :func:`_read_nhgis_1980` gives it (successor codes)."""
    layout = pd.read_csv(_raw_path(raw, "nhgis_1980_layout"), dtype={"start": int, "end": int})
    layout = layout.set_index("variable")
    names = ["statea", "countya", "smsaa"]
    specs = [(int(layout.loc[v, "start"]) - 1, int(layout.loc[v, "end"])) for v in names]
    table = pd.read_fwf(
        _raw_path(raw, "nhgis_1980"), colspecs=specs, names=names, dtype=str, encoding="latin-1"
    )
    county = (table["statea"].str.zfill(2) + table["countya"].str.zfill(3)).replace(
        COUNTY_SUCCESSORS
    )
    smsa = table["smsaa"].str.strip()
    keep = smsa.notna() & (smsa != "")
    return pd.Series(smsa[keep].str.zfill(4).to_numpy(), index=county[keep].to_numpy())
