"""The early-immigration instrument ``immigrant_enclave`` (the paper's third instrument,
after Card 2001): the foreign-born share of each CBSA's population in an early census.

- Where a city of 25,000 or more in 1900 lies in the CBSA (1900 census Table 35, read through
  :mod:`.read_immigration`): the foreign born of those cities over the 1900 population of the
  CBSA's July 2015 counties (NBER ``cencounts``). Cities are placed by name and state in the
  principal cities of the CBSA titles, or by ``FOREIGN_BORN_1900_CBSA``.
- Elsewhere: the 1970 foreign-born share, foreign born (c0z002) over native plus foreign born
  of the CBSA's counties in the NHGIS 1970 county table (:mod:`.read_nhgis`).

Limits: the 1900 numerator counts only the immigrants living in the large cities, the
denominator everyone in the 2015 counties, so the 1900 share understates the metro's, more
where the 1900 city was a small part of today's metro; and the two years are different
measures (1900: the age of mass European immigration; 1970: a low point between the 1924
quotas and the post-1965 inflow), so the instrument's level differs between the two groups
of CBSAs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spatialocc.datasets.build_us.crosswalks import FOREIGN_BORN_1900_CBSA, STATE_POSTAL
from spatialocc.datasets.build_us.prices import _title_places
from spatialocc.datasets.build_us.raw_files import RawDataFormatError
from spatialocc.datasets.build_us.read_cbsa import _read_delineation
from spatialocc.datasets.build_us.read_immigration import _read_foreign_born_1900
from spatialocc.datasets.build_us.read_nhgis import _read_nhgis_1970


@dataclass(frozen=True)
class EarlyImmigration:
    share: np.ndarray  # (N,) the instrument
    from_1900: np.ndarray  # (N,) bool: the 1900 share
    share_1970: np.ndarray  # (N,) the 1970 share of every CBSA
    cities_1900: dict[str, list[str]]  # CBSA -> 1900 cities placed in it


def _cbsa_of_1900_city(city: str, state: str, titles: pd.Series) -> str | None:
    if (city, state) in FOREIGN_BORN_1900_CBSA:
        return FOREIGN_BORN_1900_CBSA[(city, state)]
    postal = STATE_POSTAL[state]
    found = [
        code
        for code, title in titles.items()
        if city in _title_places(title)[0] and postal in _title_places(title)[1]
    ]
    if len(found) != 1:
        raise RawDataFormatError(
            f"the 1900 city {city}, {state} matches {len(found)} CBSA titles; add it to "
            "FOREIGN_BORN_1900_CBSA"
        )
    return found[0]


def _early_immigration(
    cities: pd.DataFrame, counties: pd.DataFrame, raw: Path, cencounts: pd.DataFrame
) -> EarlyImmigration:
    codes = list(cities.index)
    nhgis = _read_nhgis_1970(raw)
    c70 = counties.join(nhgis, on="county").groupby("cbsa")[["native", "foreign_born"]]
    c70 = c70.sum(min_count=1).reindex(codes)
    if c70.isna().any().any():
        raise RawDataFormatError(
            "CBSAs without any county in the NHGIS 1970 table: "
            + ", ".join(c70.index[c70.isna().any(axis=1)])
        )
    share70 = (c70["foreign_born"] / (c70["native"] + c70["foreign_born"])).to_numpy()

    delineation = _read_delineation(raw)
    titles = delineation[delineation["cbsa"].isin(codes)].drop_duplicates("cbsa")
    titles = titles.set_index("cbsa")["title"]
    born = _read_foreign_born_1900(raw)
    born["cbsa"] = [
        _cbsa_of_1900_city(c, s, titles) for c, s in zip(born.city, born.state, strict=True)
    ]
    born = born.dropna(subset=["cbsa"])
    unknown = sorted(set(born["cbsa"]) - set(codes))
    if unknown:
        raise RawDataFormatError(f"1900 cities placed in unknown CBSAs {unknown}")
    pop1900 = counties.assign(pop=counties["county"].map(cencounts["pop1900"]))
    pop1900 = pop1900.groupby("cbsa")["pop"].sum(min_count=1).reindex(codes)
    foreign1900 = born.groupby("cbsa")["foreign_born"].sum().reindex(codes)
    from_1900 = foreign1900.notna().to_numpy()
    share1900 = (foreign1900 / pop1900).to_numpy()
    if not np.all(np.isfinite(share1900[from_1900]) & (share1900[from_1900] < 1)):
        raise RawDataFormatError("a 1900 foreign-born share is not a share")
    share = np.where(from_1900, share1900, share70)
    placed = born.sort_values(["cbsa", "city"]).groupby("cbsa")["city"].apply(list).to_dict()
    return EarlyImmigration(share, from_1900, share70, placed)
