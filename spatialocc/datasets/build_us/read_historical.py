"""Readers of the files behind 1980 city sizes and the instruments (``historical/`` and
``land_grant/`` under the raw folder).

The Census county population 1900-1990 (NBER ``cencounts``), the TIGER/Line county
attributes (internal points), and the points of the 1862 Morrill Act land-grant universities
(a dBase file, read with ``dbfread``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spatialocc.datasets.build_us.crosswalks import COUNTY_SUCCESSORS
from spatialocc.datasets.build_us.raw_files import _raw_path, _reader


@_reader("county_population_historical")
def _read_cencounts(raw: Path) -> pd.DataFrame:
    table = pd.read_csv(_raw_path(raw, "county_population_historical"), dtype=str)
    table = table[~table["fips"].str.contains(".", regex=False)]
    code = table["fips"].astype(int)
    table = table[code % 1000 != 0].copy()  # drop the US and state rows
    table["county"] = table["fips"].astype(int).map(lambda x: f"{x:05d}")
    table["county"] = table["county"].replace(COUNTY_SUCCESSORS)
    columns = ["pop1900", "pop1920", "pop1980"]
    for col in columns:
        table[col] = pd.to_numeric(table[col], errors="coerce")
    return table.groupby("county")[columns].sum(min_count=1)


@_reader("county_population_historical")
def _read_county_names(raw: Path) -> pd.Series:
    """County names ("VA Albemarle County") by FIPS code as in the file (not mapped to 2015
    successors)."""
    table = pd.read_csv(_raw_path(raw, "county_population_historical"), dtype=str)
    table = table[~table["fips"].str.contains(".", regex=False)]
    code = table["fips"].astype(int)
    table = table[code % 1000 != 0]
    return pd.Series(
        table["name"].str.strip().to_numpy(),
        index=table["fips"].astype(int).map(lambda x: f"{x:05d}").to_numpy(),
    )


@_reader("county_attributes")
def _read_county_points(raw: Path) -> pd.DataFrame:
    info = pd.read_csv(_raw_path(raw, "county_attributes"), dtype=str)
    return pd.DataFrame(
        {
            "county": info["GEOID"].str.zfill(5),
            "state": info["STATEFP"].str.zfill(2),
            "lat": info["INTPTLAT"].astype(float),
            "lon": info["INTPTLON"].astype(float),
        }
    )


@_reader("land_grant_points")
def _read_land_grant(raw: Path) -> pd.DataFrame:
    from dbfread import DBF

    records = list(DBF(str(_raw_path(raw, "land_grant_points")), load=True))
    return pd.DataFrame(
        {
            "university": [r["Uni_Name"] for r in records],
            "lat": [float(r["Lat"]) for r in records],
            "lon": [float(r["Long_"]) for r in records],
        }
    )
