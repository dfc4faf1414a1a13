"""Readers of the CBSA files (``cbsa/`` under the raw folder).

The Census 2015 Gazetteer of CBSAs (names, internal points), the OMB/Census July 2015
delineation (CBSA to county), the Census population estimates by CBSA (vintage 2017), and the
intercensal county estimates 2000-2010 (2010 census population by county, census division by
state).
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from spatialocc.datasets.build_us.raw_files import _raw_path, _reader


@_reader("gazetteer")
def _read_gazetteer(raw: Path) -> pd.DataFrame:
    gaz = pd.read_csv(
        _raw_path(raw, "gazetteer"),
        sep="\t",
        encoding="latin-1",
        dtype={"GEOID": str, "CSAFP": str},
    )
    gaz.columns = [c.strip() for c in gaz.columns]
    gaz = gaz.set_index("GEOID")
    return gaz[["NAME", "CBSA_TYPE", "ALAND_SQMI", "INTPTLAT", "INTPTLONG"]]


def gazetteer_name(name: str) -> str:
    """The CBSA title of a Gazetteer name (its " Metro Area" / " Micro Area" suffix dropped).

    Examples
    --------
    >>> gazetteer_name("Enid, OK Micro Area")
    'Enid, OK'
    """
    for suffix in (" Metro Area", " Micro Area"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


@_reader("delineation")
def _read_delineation(raw: Path) -> pd.DataFrame:
    text = _raw_path(raw, "delineation").read_bytes().decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    table = pd.read_csv(io.StringIO(text), skiprows=2, dtype=str)
    table = table.dropna(subset=["FIPS County Code"])
    table["county"] = table["FIPS State Code"].str.zfill(2) + table["FIPS County Code"].str.zfill(3)
    table["state"] = table["FIPS State Code"].str.zfill(2)
    table["metro"] = table["Metropolitan/Micropolitan Statistical Area"].str.startswith("Metro")
    return table.rename(columns={"CBSA Code": "cbsa", "CBSA Title": "title"})[
        ["cbsa", "title", "metro", "state", "county"]
    ]


@_reader("population")
def _read_population(raw: Path) -> pd.DataFrame:
    pep = pd.read_csv(
        _raw_path(raw, "population"), skiprows=[1], dtype={"GEO.id2": str}, encoding="latin-1"
    )
    pep = pep.set_index("GEO.id2")
    cols = {f"respop7{y}": y for y in range(2010, 2018)}
    return pep[list(cols)].rename(columns=cols).astype(float)


@_reader("county_population_2010")
def _read_county_2010(raw: Path) -> tuple[pd.Series, pd.Series]:
    """County population 2010 (census) and the census division of every state."""
    table = pd.read_csv(_raw_path(raw, "county_population_2010"), encoding="latin-1", dtype=str)
    states = table[table["SUMLEV"] == "40"]
    division = pd.Series(
        states["DIVISION"].astype(int).values, index=states["STATE"].str.zfill(2).values
    )
    counties = table[table["SUMLEV"] == "50"]
    fips = counties["STATE"].str.zfill(2) + counties["COUNTY"].str.zfill(3)
    pop = pd.Series(counties["CENSUS2010POP"].astype(float).values, index=fips.values)
    return pop, division
