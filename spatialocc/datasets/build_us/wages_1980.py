"""1980 average wages by city: BEA CAINC4 1980 wages and salaries by place of work (read
through :mod:`.read_bea`) over NHGIS 1980 employed persons (civilians of the 15 industry
groups plus the armed forces), both summed over the CBSA's July 2015 counties.

BEA combines some counties into one unit (Virginia counties with the independent cities
inside them, ``51901``-``51958``; Maui and Kalawao, ``15901``): a unit's wages go to the
CBSAs of its component counties in proportion to their NHGIS employed persons. Counties
whose 1980 wages BEA does not report ("(NA)": Broomfield, CO, created in 2001) contribute
nothing; their area's wages are in their 1980 parent counties.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spatialocc.datasets.build_us.raw_files import RawDataFormatError
from spatialocc.datasets.build_us.read_bea import _read_county_wages

#: BEA combination units outside Virginia -> their county FIPS codes.
BEA_COMBINATIONS = {"15901": ("15005", "15009")}  # Maui + Kalawao, HI


def _virginia_components(name: str, va_names: dict[str, str]) -> list[str]:
    """County FIPS of a Virginia combination unit named "County, City + City, VA*": the first
    name is a county, the others independent cities."""
    places = name.split(", VA")[0].replace(" + ", ", ").split(", ")
    wanted = [f"{places[0]} County"] + [
        f"{p.removesuffix(' City').removesuffix(' city')} city" for p in places[1:]
    ]
    missing = [w for w in wanted if w not in va_names]
    if missing:
        raise RawDataFormatError(f"BEA unit {name!r}: no Virginia county named {missing}")
    return [va_names[w] for w in wanted]


def _average_wage_1980(
    raw: Path,
    counties: pd.DataFrame,
    codes: list[str],
    employed: pd.Series,
    county_names: pd.Series,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Wage bill, employed persons and average wage (dollars of 1980) of every CBSA.

    ``employed``: NHGIS 1980 employed persons by county (2015 codes); ``county_names``:
    names of the 1980 counties ("VA Albemarle County", as in ``cencounts``)."""
    wages = _read_county_wages(raw, "1980")
    va = county_names[county_names.str.startswith("VA ")]
    va_names = {n.removeprefix("VA "): f for f, n in va.items()}
    cbsa_of = dict(zip(counties["county"], counties["cbsa"], strict=True))
    bill = pd.Series(0.0, index=codes)
    for unit, row in wages.iterrows():
        if unit.endswith("000") or not np.isfinite(row["wages"]):
            continue  # state totals; units without 1980 wages
        if unit in BEA_COMBINATIONS:
            parts = list(BEA_COMBINATIONS[unit])
        elif unit.startswith("519"):
            parts = _virginia_components(row["name"], va_names)
        else:
            parts = [unit]
        in_metro = [p for p in parts if p in cbsa_of]
        if not in_metro:
            continue
        weight = employed.reindex(parts).fillna(0.0)
        if weight.sum() <= 0:
            weight = pd.Series(1.0, index=parts)
        for part in in_metro:
            bill[cbsa_of[part]] += row["wages"] * weight[part] / weight.sum()
    persons = counties.assign(e=counties["county"].map(employed)).groupby("cbsa")["e"].sum()
    persons = persons.reindex(codes).to_numpy()
    bill = bill.to_numpy()
    if not np.all(bill > 0):
        raise RawDataFormatError(
            "CBSAs without 1980 BEA wages: " + ", ".join(np.array(codes)[~(bill > 0)])
        )
    return bill, persons, bill / persons
