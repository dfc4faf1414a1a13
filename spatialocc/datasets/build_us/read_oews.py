"""Reader of the BLS OEWS May 2025 file of metropolitan and nonmetropolitan areas by
occupation (``occupation/oews_may2025_metro_nonmetro_by_occ.csv.gz`` under the raw folder).

For every metropolitan area (``area_code`` = ``"00"`` + CBSA code, 2023 delineation) it
returns the employment and the mean annual wage of the CNR occupations (SOC 2018 major
groups 11-29) and of the others (major groups 31-53), from the major-group rows
(``occ_display_level`` 0). BLS does not release some major-group cells (footnote 8, ``"-"``).
A missing major-group employment is replaced by the sum of the group's released detailed
occupations (a lower bound) or, when none is released and it is the area's only missing
group, by the area's total less its other groups. A missing major-group mean wage is
replaced by the employment-weighted mean wage of its released detailed occupations; a group
with no released wage at all is left out of its occupation's mean wage (its employment
still counts). ``filled`` lists those cells; areas whose employment cannot be completed are
left out (``incomplete``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spatialocc.datasets.build_us.raw_files import _raw_path, _reader

#: SOC 2018 major groups of the CNR occupations (management, business, science, and arts:
#: the ACS group of the same name, SOC 11-29).
CNR_MAJOR_GROUPS = tuple(range(11, 30, 2))
COLUMNS = ("area_code", "area_name", "occ_code", "occ_display_level", "tot_emp", "a_mean")


@dataclass(frozen=True)
class OewsMetros:
    """Metro x occupation (CNR, nonCNR) employment and mean annual wage, OEWS May 2025."""

    employment: pd.DataFrame  # index CBSA code (2023 delineation), columns CNR, nonCNR
    wage: pd.DataFrame  # mean annual wage, dollars of May 2025
    names: dict[str, str]  # CBSA code -> OEWS area name
    filled: list[str]  # "<cbsa> <major group> <employment|wage>" cells filled from details
    incomplete: list[str]  # areas left out: a major group's employment cannot be filled


def _number(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column.str.replace(",", "", regex=False), errors="coerce")


@_reader("oews")
def _read_oews(raw: Path) -> OewsMetros:
    try:
        table = pd.read_csv(_raw_path(raw, "oews"), dtype=str, usecols=list(COLUMNS))
    except (OSError, EOFError) as exc:  # not gzip-compressed, or truncated
        raise ValueError(f"not a readable gzip-compressed CSV ({exc})") from exc
    table = table[table["area_code"].str.startswith("00")]  # metros; BLS nonmetro areas out
    if table.empty:
        raise ValueError("no metropolitan area rows (area_code 00 + CBSA code)")
    table = table.assign(
        cbsa=table["area_code"].str[2:],
        group=table["occ_code"].str[:2].astype(int),
        emp=_number(table["tot_emp"]),
        wage=_number(table["a_mean"]),
    )
    major = table[table["occ_code"].str.endswith("-0000") & (table["group"] > 0)]
    total = table[table["occ_code"] == "00-0000"].set_index("cbsa")["emp"]
    detail = table[table["occ_display_level"] == "3"]
    detail_emp = detail.groupby(["cbsa", "group"])["emp"].sum(min_count=1)
    released = detail.dropna(subset=["emp", "wage"])
    detail_bill = (
        (released["emp"] * released["wage"]).groupby([released["cbsa"], released["group"]]).sum()
    )
    detail_wage = detail_bill / released.groupby(["cbsa", "group"])["emp"].sum()
    major = major.set_index(["cbsa", "group"])
    filled: list[str] = []
    for key in major.index[major["emp"].isna()]:
        major.loc[key, "emp"] = detail_emp.get(key, np.nan)
        filled.append(f"{key[0]} {key[1]}-0000 employment")
    # no released detail: the area's total less its other groups, when only this one is missing
    for key in major.index[major["emp"].isna()]:
        others = major.loc[key[0], "emp"].drop(key[1])
        if others.notna().all():
            major.loc[key, "emp"] = max(total.get(key[0], np.nan) - others.sum(), 0.0)
    for key in major.index[major["wage"].isna()]:
        major.loc[key, "wage"] = detail_wage.get(key, np.nan)
        filled.append(f"{key[0]} {key[1]}-0000 wage")
    major = major.reset_index()
    major["occupation"] = np.where(major["group"].isin(CNR_MAJOR_GROUPS), "CNR", "nonCNR")
    incomplete = sorted(major.loc[major["emp"].isna(), "cbsa"].unique())
    major = major[~major["cbsa"].isin(incomplete)]
    paid = major.dropna(subset=["wage"])
    employment = major.pivot_table(index="cbsa", columns="occupation", values="emp", aggfunc="sum")
    bill = (paid["emp"] * paid["wage"]).groupby([paid["cbsa"], paid["occupation"]]).sum()
    wage = (bill / paid.groupby(["cbsa", "occupation"])["emp"].sum()).unstack("occupation")
    names = table.drop_duplicates("cbsa").set_index("cbsa")["area_name"].to_dict()
    cols = ["CNR", "nonCNR"]
    return OewsMetros(
        employment[cols], wage.reindex(employment.index)[cols], names, filled, incomplete
    )
