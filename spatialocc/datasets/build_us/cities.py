"""The cities of the US dataset and their counties.

The 382 metropolitan CBSAs of the 50 states and DC in the July 2015 delineation, with their
Gazetteer names and internal points, the census division of their most populous county's
state, and their population estimates 2010-2017; read through :mod:`.read_cbsa`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spatialocc.datasets.build_us.raw_files import RAW_FILES, RawDataFormatError
from spatialocc.datasets.build_us.read_cbsa import (
    _read_county_2010,
    _read_delineation,
    _read_gazetteer,
    _read_population,
    gazetteer_name,
)


def _cities(raw: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Metropolitan CBSAs of the 50 states and DC (July 2015 delineation) and their counties."""
    delineation = _read_delineation(raw)
    metro = delineation[delineation["metro"] & (delineation["state"] != "72")]
    gaz = _read_gazetteer(raw)
    codes = sorted(metro["cbsa"].unique())
    missing = [c for c in codes if c not in gaz.index]
    if missing:
        raise RawDataFormatError(
            f"CBSAs {missing} of the July 2015 delineation are not in the 2015 Gazetteer"
        )
    pop2010, division_of_state = _read_county_2010(raw)
    counties = metro.assign(pop2010=metro["county"].map(pop2010).fillna(0.0))
    # census division of the state of the CBSA's most populous county (2010 census)
    largest = counties.sort_values(["cbsa", "pop2010"], ascending=[True, False]).groupby("cbsa")
    state = largest["state"].first()
    cities = pd.DataFrame(
        {
            "name": [gazetteer_name(gaz.loc[c, "NAME"]) for c in codes],
            "lat": gaz.loc[codes, "INTPTLAT"].astype(float).values,
            "lon": gaz.loc[codes, "INTPTLONG"].astype(float).values,
            "state": state.loc[codes].values,
            "division": division_of_state.loc[state.loc[codes].values].values.astype(np.int64),
        },
        index=pd.Index(codes, name="city"),
    )
    population = _read_population(raw)
    cities = cities.join(population.reindex(codes))
    if cities[[2015, 2017]].isna().any().any():
        raise RawDataFormatError(
            "some metropolitan CBSAs have no 2015/2017 population estimate in "
            f"{RAW_FILES['population'].path}"
        )
    return cities, counties[["cbsa", "county", "state"]]
