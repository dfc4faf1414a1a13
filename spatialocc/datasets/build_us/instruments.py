"""Historical city populations and the instruments: CBSA sums of the 1920 and 1980 county
populations, 1920 imputed where no county has a count, and the land-grant college flag
(read through :mod:`.read_historical`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spatialocc.datasets.build_us.crosswalks import LAND_GRANT_COUNTY_FIXES
from spatialocc.datasets.build_us.read_historical import _read_county_points, _read_land_grant
from spatialocc.datasets.geography import EARTH_RADIUS_MILES


def _historical(counties: pd.DataFrame, cencounts: pd.DataFrame, column: str) -> pd.Series:
    values = counties.assign(pop=counties["county"].map(cencounts[column]))
    return values.groupby("cbsa")["pop"].sum(min_count=1).fillna(0.0)


def _population_1920(pop1920: np.ndarray, pop1980: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fill CBSAs none of whose counties has a 1920 count (Alaska reported by judicial
    division; Florida counties split off after 1920) with the fitted value of an OLS of log
    1920 on log 1980 population over the other CBSAs; returns the values and the mask."""
    missing = ~(pop1920 > 0)
    x, y = np.log(pop1980), np.log(np.where(missing, 1.0, pop1920))
    design = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(design[~missing], y[~missing], rcond=None)
    return np.where(missing, np.exp(design @ coef), pop1920), missing


def _land_grant(
    cities: pd.DataFrame, counties: pd.DataFrame, raw: Path
) -> tuple[pd.Series, dict[str, str]]:
    """CBSAs holding an 1862 land-grant university: each university point is placed in the
    county whose TIGER internal point is nearest (``LAND_GRANT_COUNTY_FIXES`` corrects three
    known misplacements), and the county's 2015 CBSA gets the flag."""
    points = _read_land_grant(raw)
    county_points = _read_county_points(raw)
    lat0, lon0 = np.radians(points["lat"].to_numpy()), np.radians(points["lon"].to_numpy())
    lat1, lon1 = np.radians(county_points["lat"].to_numpy()), np.radians(county_points["lon"])
    h = (
        np.sin((lat1[None, :] - lat0[:, None]) / 2) ** 2
        + np.cos(lat0)[:, None]
        * np.cos(lat1)[None, :]
        * np.sin((np.asarray(lon1)[None, :] - lon0[:, None]) / 2) ** 2
    )
    miles = 2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    nearest = county_points["county"].to_numpy()[np.argmin(miles, axis=1)]
    county_of = dict(zip(points["university"], nearest, strict=True))
    county_of.update({u: c for u, c in LAND_GRANT_COUNTY_FIXES.items() if u in county_of})
    cbsa_of_county = dict(zip(counties["county"], counties["cbsa"], strict=True))
    hosts = {u: cbsa_of_county[c] for u, c in county_of.items() if c in cbsa_of_county}
    flag = pd.Series(cities.index.isin(list(hosts.values())), index=cities.index)
    return flag, dict(sorted(hosts.items()))
