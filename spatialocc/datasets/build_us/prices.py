"""Non-tradable price indices: BEA Regional Price Parities (read through :mod:`.read_bea`)
matched to the 2015 CBSAs, imputed where no RPP area matches, and moved along the size
gradient for 1980.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spatialocc.datasets.build_us.crosswalks import INDUSTRIES
from spatialocc.datasets.build_us.parameters import RPP_LINES, RPP_YEARS
from spatialocc.datasets.build_us.read_bea import _read_rpp


def _title_places(title: str) -> tuple[set[str], set[str]]:
    places, _, states = title.partition(", ")
    states = states.split(" (")[0]
    return {p.strip() for p in places.split("-")}, {s.strip() for s in states.split("-")}


def _rpp_crosswalk(cities: pd.DataFrame, rpp: pd.DataFrame) -> dict[str, str]:
    """2015 CBSA code -> RPP area code (:func:`_area_crosswalk`)."""
    names = (
        rpp[rpp["LineCode"] == "1"].set_index("GeoFIPS")["GeoName"].str.replace(" *", "").to_dict()
    )
    return _area_crosswalk(cities, names)


def _area_crosswalk(cities: pd.DataFrame, names: dict[str, str]) -> dict[str, str]:
    """2015 CBSA code -> area code of a later delineation (``names``: code -> "Places, ST"):
    same code, else the one renamed area sharing a principal city and a state (codes changed
    in the 2018 and 2023 delineations)."""
    out = {c: c for c in cities.index if c in names}
    taken = set(out.values())
    for code in cities.index.difference(list(out)):
        places, states = _title_places(cities.loc[code, "name"])
        matches = []
        for area, title in names.items():
            if area in taken or area in cities.index:
                continue
            area_places, area_states = _title_places(title)
            if places & area_places and states & area_states:
                matches.append(area)
        if len(matches) == 1:
            out[code] = matches[0]
            taken.add(matches[0])
    return out


@dataclass(frozen=True)
class PriceIndices:
    """2015 non-tradable price indices and how each CBSA got its value."""

    prices: pd.DataFrame  # city x industry, RPP / 100
    match: dict[str, str]  # 2015 CBSA -> RPP area
    imputed: list[str]  # CBSAs without an RPP area
    short_series: list[str]  # matched CBSAs whose RPP series starts after 2011
    size_elasticity: dict[str, float]  # d log index / d log population (division effects)


def _price_indices(cities: pd.DataFrame, raw: Path) -> PriceIndices:
    """2015 non-tradable price indices: RPP / 100, mean of the available years of 2011-2015;
    CBSAs without an RPP area get the fitted value of an OLS of the log index on log 2015
    population and census-division dummies."""
    rpp = _read_rpp(raw)
    match = _rpp_crosswalk(cities, rpp)
    log_pop = np.log(cities[2015].to_numpy())
    dummies = pd.get_dummies(cities["division"]).to_numpy(dtype=float)
    design = np.column_stack([log_pop, dummies])
    prices = pd.DataFrame(index=cities.index, columns=list(RPP_LINES), dtype=float)
    slopes: dict[str, float] = {}
    short: set[str] = set()
    for industry, line in RPP_LINES.items():
        table = rpp[rpp["LineCode"] == line].set_index("GeoFIPS")[list(RPP_YEARS)]
        table = table.apply(pd.to_numeric, errors="coerce")  # "(NA)" before an area existed
        rows = table.reindex([match.get(c, "") for c in cities.index])
        available = rows.notna().sum(axis=1).to_numpy()
        short |= set(cities.index[(available > 0) & (available < len(RPP_YEARS))])
        observed = available > 0
        values = rows.where(rows.notna(), 0.0).sum(axis=1).to_numpy() / np.maximum(available, 1)
        y = np.log(np.where(observed, values, 100.0) / 100.0)
        coef, *_ = np.linalg.lstsq(design[observed], y[observed], rcond=None)
        prices[industry] = np.exp(np.where(observed, y, design @ coef))
        slopes[industry] = float(coef[0])
    imputed = [c for c in cities.index if c not in match]
    return PriceIndices(prices, match, imputed, sorted(short), slopes)


def _nontradable_prices(rpp: PriceIndices, size80: np.ndarray, L15_jn: np.ndarray) -> np.ndarray:
    """Prices by year (1980, 2015), industry and city: the 2015 indices, and for 1980 the
    2015 index shifted by the size elasticity times the city's log employment change from
    2015 to 1980 relative to the mean change; NaN for tradables."""
    J, N = len(INDUSTRIES), len(size80)
    growth = np.log(size80) - np.log(L15_jn.sum(axis=0))
    price = np.full((2, J, N), np.nan)
    for industry in RPP_LINES:
        j = INDUSTRIES.index(industry)
        log_p15 = np.log(rpp.prices[industry].to_numpy())
        price[1, j] = np.exp(log_p15)
        shift = rpp.size_elasticity[industry] * (growth - growth.mean())
        price[0, j] = np.exp(log_p15 + shift)
    return price
