"""Build the US dataset (382 metropolitan CBSAs, 22 industries, CNR / nonCNR, 1980 and 2015).

Run ``python -m spatialocc.datasets.build_us --raw ../shared/data/raw`` to rebuild the bundled
file ``spatialocc/datasets/data/us.nc`` from the public statistics described in
``../shared/data/raw/SOURCES.md``; ``datasets/README.md`` documents every step. From Python,
:func:`build_us` returns the Dataset and :func:`write_us` writes it.

The build is deterministic: the few random draws of the imputation model come from a
``numpy`` generator seeded with :data:`SEED`, and every calibration is solved by a
deterministic root finder, so the same raw files always give the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from scipy import optimize, special, stats

from spatialocc.datasets.build_us.crosswalks import (
    CNR_GROUP,
    COUNTY_SUCCESSORS,
    INDUSTRIES,
    LAND_GRANT_COUNTY_FIXES,
    NON_CNR_GROUPS,
    RE,
    TRADABLE,
    TRADE_COST,
)
from spatialocc.datasets.build_us.parameters import (
    ALPHA_REAL_ESTATE,
    AWI_1980,
    AWI_2015,
    BUILD_COMMAND,
    CNR_SHARE_1980,
    CORR_SIZE_PREMIUM,
    CORR_SIZE_SHARE,
    EPSILON,
    NONTRADABLE_SHRINK_1980,
    NU,
    OCCUPATIONS,
    PACKAGED_PATH,
    PAPER,
    PREMIUM_RATIO_1980,
    RPP_LINES,
    RPP_YEARS,
    SEED,
    SHARE_P76,
    SHARE_P95,
    SORTING_1980,
    TABLE1,
    THETA,
    USE_YEARS,
    WAGE_SLOPES,
    YEARS,
)
from spatialocc.datasets.build_us.raw_files import (
    RAW_FILES,
    RawDataFormatError,
    RawDataMissingError,
    RawFile,
    check_raw,
)
from spatialocc.datasets.build_us.read_bea import _read_rpp, _read_use_table
from spatialocc.datasets.build_us.read_cbp_acs import _acs_table, _read_cbp
from spatialocc.datasets.build_us.read_cbsa import (
    _read_county_2010,
    _read_delineation,
    _read_gazetteer,
    _read_population,
    gazetteer_name,
)
from spatialocc.datasets.build_us.read_historical import (
    _read_cencounts,
    _read_county_points,
    _read_land_grant,
)
from spatialocc.datasets.geography import EARTH_RADIUS_MILES, distance_matrix
from spatialocc.datasets.industries import (
    COMPOSITE,
    CROSSWALK,
    TRADE_COST_SOURCE,
)
from spatialocc.datasets.price_levels import CPI_U_SOURCE, cpi_u
from spatialocc.dims.schema import annotate

__all__ = [
    "ALPHA_REAL_ESTATE",
    "AWI_1980",
    "AWI_2015",
    "BUILD_COMMAND",
    "CNR_GROUP",
    "CNR_SHARE_1980",
    "CORR_SIZE_PREMIUM",
    "CORR_SIZE_SHARE",
    "COUNTY_SUCCESSORS",
    "CROSSWALK",
    "EPSILON",
    "GAZ_POINT",
    "INDUSTRIES",
    "LAND_GRANT_COUNTY_FIXES",
    "NONTRADABLE_SHRINK_1980",
    "NON_CNR_GROUPS",
    "NU",
    "OCCUPATIONS",
    "PACKAGED_PATH",
    "PAPER",
    "PREMIUM_RATIO_1980",
    "RAW_FILES",
    "RE",
    "RPP_LINES",
    "RPP_YEARS",
    "SEED",
    "SHARE_P76",
    "SHARE_P95",
    "SORTING_1980",
    "TABLE1",
    "THETA",
    "TRADABLE",
    "TRADE_COST",
    "USE_YEARS",
    "WAGE_SLOPES",
    "YEARS",
    "Imputed1980",
    "InputOutput",
    "PriceIndices",
    "RawDataFormatError",
    "RawDataMissingError",
    "RawFile",
    "SortingFit",
    "WageFit",
    "build_us",
    "check_raw",
    "employment_scale_2015",
    "gazetteer_name",
    "main",
    "naics_codes_used",
    "stylized_facts",
    "write_us",
]


GAZ_POINT = "Census 2015 Gazetteer of CBSAs (INTPTLAT/INTPTLONG internal point)"


# -- cities ----------------------------------------------------------------------------------


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


# -- employment ------------------------------------------------------------------------------


def naics_codes_used(cbp: pd.DataFrame) -> dict[str, list[str]]:
    """The NAICS codes of the CBP file summed into each industry.

    A crosswalk prefix present in the file is used as is; one absent from it (the file has no
    ``31-33``, ``44-45`` or ``48-49`` sector rows) is replaced by its children one digit
    longer, recursively.

    Parameters
    ----------
    cbp
        County Business Patterns rows with a ``naics_code`` column (as read from the raw
        ``cbp_cbsa_naics_emp.rda``).

    Returns
    -------
    dict
        Industry label -> list of NAICS codes, in ``CROSSWALK`` order.

    Raises
    ------
    ValueError
        A crosswalk prefix has neither a row nor children in the file.
    """
    present = set(cbp["naics_code"].unique())

    def expand(prefix: str) -> list[str]:
        if prefix in present:
            return [prefix]
        children = sorted(c for c in present if len(c) == len(prefix) + 1 and c.startswith(prefix))
        if not children:
            raise RawDataFormatError(f"NAICS {prefix} is not in the County Business Patterns file")
        return [x for child in children for x in expand(child)]

    return {cw.label: [x for p in cw.naics for x in expand(p)] for cw in CROSSWALK}


def _cbp_by_industry(cbp: pd.DataFrame, codes: Sequence[str]) -> np.ndarray:
    """CBP employment of each of the 22 industries (rows) in each CBSA (columns)."""
    used = naics_codes_used(cbp)
    rows = []
    for industry in INDUSTRIES:
        sel = cbp[cbp["naics_code"].isin(used[industry])]
        rows.append(sel.groupby("cbsa_code")["EMP"].sum().reindex(codes).fillna(0.0))
    return np.array(rows)


def employment_scale_2015(population: pd.DataFrame) -> pd.Series:
    """Factor taking CBP 2019 employment to 2015: ``(pop2015 / pop2017) ** 2``.

    The supplied population estimates end in 2017, so each CBSA's 2015-2017 growth rate is
    extended log-linearly to 2019 **[choice]**.

    Parameters
    ----------
    population
        Population estimates by CBSA (rows) with integer year columns 2015 and 2017.

    Returns
    -------
    pandas.Series
        The factor by CBSA.
    """
    return (population[2015] / population[2017]) ** 2


def _rake(seed: np.ndarray, rows: np.ndarray, cols: np.ndarray, tol: float = 1e-13) -> np.ndarray:
    """Iterative proportional fitting of a nonnegative matrix to row and column totals."""
    m = seed.astype(float).copy()
    for _ in range(10_000):
        m *= (rows / m.sum(axis=1))[:, None]
        m *= (cols / m.sum(axis=0))[None, :]
        if np.max(np.abs(m.sum(axis=1) / rows - 1.0)) < tol:
            break
    else:  # pragma: no cover - raking of strictly positive margins converges
        raise ValueError("raking of the 1980 employment matrix did not converge")
    return m


# -- BEA input-output ------------------------------------------------------------------------


@dataclass(frozen=True)
class InputOutput:
    """National shares of one year from a BEA Use table (paper's conventions)."""

    value_added: np.ndarray  # gamma[j]
    inputs: np.ndarray  # gamma[j', j]
    compensation: np.ndarray  # compensation of employees by industry (millions)
    pce_share: np.ndarray  # share of domestic personal consumption by industry


def _input_output(table: pd.DataFrame) -> InputOutput:
    """Shares of one Use table.

    Imports are netted out (each commodity's imports are spread over its domestic uses
    other than exports in proportion; purchases of imports leave inputs and gross output);
    government industries and commodities, scrap and noncomparable imports are dropped;
    taxes on production less subsidies are left out (the model has no government); the gross
    operating surplus of every industry other than real estate becomes a purchase from real
    estate and is added to real estate's surplus (paper, section 4.3).
    """
    code_to_j = {code: j for j, cw in enumerate(CROSSWALK) for code in cw.bea}
    used = [c for c in table.index if c in code_to_j]
    cols = [c for c in table.columns if c in code_to_j]
    if len(used) != len(code_to_j) or len(cols) != len(code_to_j):
        raise RawDataFormatError(
            f"the Use table has {len(used)} commodity rows and {len(cols)} industry columns of "
            f"the crosswalk's {len(code_to_j)} BEA codes"
        )
    final = [c for c in table.columns if c.startswith("F") and c not in ("F040", "F050")]
    imports = -table.loc[used, "F050"]
    domestic_use = table.loc[used, "Total Intermediate"] + table.loc[used, final].sum(axis=1)
    import_share = (imports / domestic_use).clip(0.0, 1.0)
    J = len(CROSSWALK)
    agg_rows = np.zeros((J, len(used)))
    agg_rows[[code_to_j[c] for c in used], np.arange(len(used))] = 1.0
    agg_cols = np.zeros((len(cols), J))
    agg_cols[np.arange(len(cols)), [code_to_j[c] for c in cols]] = 1.0
    domestic = table.loc[used, cols].to_numpy() * (1.0 - import_share.to_numpy())[:, None]
    flows = agg_rows @ domestic @ agg_cols
    compensation = table.loc["V001", cols].to_numpy() @ agg_cols
    surplus = table.loc["V003", cols].to_numpy() @ agg_cols
    pce = agg_rows @ (table.loc[used, "F010"].to_numpy() * (1.0 - import_share.to_numpy()))
    # GOS of every non-real-estate industry becomes a purchase from real estate
    flows[RE] += np.where(np.arange(J) == RE, 0.0, surplus)
    value_added = compensation.copy()
    value_added[RE] += surplus.sum()
    output = flows.sum(axis=0) + value_added
    return InputOutput(
        value_added=value_added / output,
        inputs=flows / output[None, :],
        compensation=compensation,
        pce_share=pce / pce.sum(),
    )


def _input_output_average(raw: Path, years: Sequence[int]) -> InputOutput:
    """Average of the yearly shares (each year's shares use that year's gross output)."""
    parts = [_input_output(_read_use_table(raw, y)) for y in years]
    return InputOutput(
        *(np.mean([getattr(p, f) for p in parts], axis=0) for f in InputOutput.__annotations__)
    )


# -- prices ----------------------------------------------------------------------------------


def _title_places(title: str) -> tuple[set[str], set[str]]:
    places, _, states = title.partition(", ")
    states = states.split(" (")[0]
    return {p.strip() for p in places.split("-")}, {s.strip() for s in states.split("-")}


def _rpp_crosswalk(cities: pd.DataFrame, rpp: pd.DataFrame) -> dict[str, str]:
    """2015 CBSA code -> RPP area code: same code, else a renamed area sharing a principal
    city and a state (codes changed in the 2018 and 2023 delineations)."""
    names = (
        rpp[rpp["LineCode"] == "1"].set_index("GeoFIPS")["GeoName"].str.replace(" *", "").to_dict()
    )
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


# -- occupations and wages -------------------------------------------------------------------


def _acs_national(raw: Path) -> tuple[np.ndarray, dict[str, float], float, float]:
    """National CNR share by industry, national medians by occupation, overall CNR share."""
    b24050 = _acs_table(raw, "acs_industry_occupation", "acs_industry_occupation_legend")
    b24011 = _acs_table(raw, "acs_earnings", "acs_earnings_legend")

    groups = (CNR_GROUP, *NON_CNR_GROUPS)
    totals: dict[str, float] = {}
    cnr: dict[str, float] = {}
    for key, value in b24050.items():
        parts = key.split("!!")
        if parts[0] == CNR_GROUP and len(parts) > 1:
            cnr[parts[-1]] = value  # CNR workers of an industry line
        elif key and parts[0] not in groups:
            totals[parts[-1]] = value  # all workers of an industry line
    share = np.empty(len(CROSSWALK))
    for j, cw in enumerate(CROSSWALK):
        missing = [a for a in cw.acs if a not in totals or a not in cnr]
        if missing:
            raise RawDataFormatError(f"ACS B24050 has no industry lines {missing}")
        share[j] = sum(cnr[a] for a in cw.acs) / sum(totals[a] for a in cw.acs)
    counts = np.array([b24050[g] for g in NON_CNR_GROUPS])
    medians = np.array([b24011[g] for g in NON_CNR_GROUPS])
    wages = {
        "CNR": b24011[CNR_GROUP],
        "nonCNR": float(np.exp(np.sum(counts * np.log(medians)) / counts.sum())),
    }
    overall = b24050[CNR_GROUP] / b24050[""]
    private = b24050[CNR_GROUP] - b24050[f"{CNR_GROUP}!!Public administration"]
    overall_private = private / (b24050[""] - b24050["Public administration"])
    return share, wages, overall, overall_private


def _cnr_shares(
    L: np.ndarray, base_logit: np.ndarray, deviation: np.ndarray, targets: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """CNR shares s[j,n] = expit(base[j] + c[j] + deviation[n]), with c[j] solving the
    national share of every industry (``targets``) or, when ``targets`` is None, c = 0."""
    c = np.zeros(L.shape[0])
    if targets is not None:
        for _ in range(100):
            s = special.expit(base_logit[:, None] + c[:, None] + deviation[None, :])
            gap = (s * L).sum(axis=1) / L.sum(axis=1) - targets
            slope = (s * (1 - s) * L).sum(axis=1) / L.sum(axis=1)
            c -= gap / slope
            if np.max(np.abs(gap)) < 1e-15:
                break
    return special.expit(base_logit[:, None] + c[:, None] + deviation[None, :]), c


def _city_share(s: np.ndarray, L: np.ndarray) -> np.ndarray:
    return (s * L).sum(axis=0) / L.sum(axis=0)


@dataclass(frozen=True)
class SortingFit:
    """Calibrated city deviation of CNR shares: ``delta[n] = loading * z[n] + spread * u[n]``."""

    loading: float
    spread: float
    industry_shift: np.ndarray
    shares: np.ndarray  # s[j, n]


def _calibrate_sorting(
    L: np.ndarray, national: np.ndarray, z: np.ndarray, u: np.ndarray
) -> SortingFit:
    """Fit (loading, spread) so that corr(log size, CNR share) = 0.57 and the spread of CNR
    shares across CBSAs matches the paper's 76th-95th percentile gap (normal quantiles)."""
    log_size = np.log(L.sum(axis=0))
    target_sd = (SHARE_P95 - SHARE_P76) / (stats.norm.ppf(0.95) - stats.norm.ppf(0.76))
    base = special.logit(national)

    def moments(p: np.ndarray) -> np.ndarray:
        s, _ = _cnr_shares(L, base, p[0] * z + p[1] * u, national)
        share = _city_share(s, L)
        return np.array(
            [np.corrcoef(log_size, share)[0, 1] - CORR_SIZE_SHARE, share.std() - target_sd]
        )

    solution = optimize.root(moments, x0=np.array([0.1, 0.2]), method="hybr", tol=1e-12)
    if not solution.success or np.max(np.abs(moments(solution.x))) > 1e-8:
        raise ValueError(f"the CNR-share calibration failed: {solution.message}")
    loading, spread = (float(x) for x in solution.x)
    s, c = _cnr_shares(L, base, loading * z + spread * u, national)
    return SortingFit(loading, spread, c, s)


def _ols_slope(y: np.ndarray, x: np.ndarray) -> float:
    xc = x - x.mean()
    return float((xc * (y - y.mean())).sum() / (xc * xc).sum())


def _wage_coefficients(
    log_size: np.ndarray, share: np.ndarray, noise: np.ndarray, table1: dict[str, float]
) -> tuple[float, float]:
    """(b_size, b_share) of ``b_size * log_size + b_share * share + noise`` whose univariate
    OLS slopes on log size and on the CNR share equal Table 1's."""
    x1, x2 = log_size - log_size.mean(), share - share.mean()
    v1, v2, c12 = (x1 * x1).mean(), (x2 * x2).mean(), (x1 * x2).mean()
    a = np.array([[1.0, c12 / v1], [c12 / v2, 1.0]])
    rhs = np.array(
        [
            table1["log_size"] - (x1 * noise).mean() / v1,
            table1["cnr_share"] - (x2 * noise).mean() / v2,
        ]
    )
    b = np.linalg.solve(a, rhs)
    return float(b[0]), float(b[1])


@dataclass(frozen=True)
class WageFit:
    log_wage: np.ndarray  # (2, N)
    coefficients: dict[str, tuple[float, float]]
    premium_noise: float


def _wages(
    L_kn: np.ndarray,
    national: dict[str, float],
    v: np.ndarray,
    premium_noise: float | None,
) -> WageFit:
    """Log wages by occupation and city: national levels shifted by Table 1's elasticities.

    ``log w[k,n] = a[k] + b1[k] log L[n] + b2[k] S[n] +/- sigma v[n] / 2`` with (b1, b2)
    reproducing the univariate slopes of ``WAGE_SLOPES`` exactly, ``sigma`` calibrated so
    that corr(log size, log premium) = 0.4 when ``premium_noise`` is None, and a[k] setting
    the employment-weighted mean of log w[k,n] to log ``national[k]``.
    """
    size = L_kn.sum(axis=0)
    log_size, share = np.log(size), L_kn[0] / size

    def build(sigma: float) -> tuple[np.ndarray, dict[str, tuple[float, float]]]:
        out, coef = np.empty((2, size.size)), {}
        for k, (occ, sign) in enumerate((("CNR", 0.5), ("nonCNR", -0.5))):
            noise = sign * sigma * v
            b1, b2 = _wage_coefficients(log_size, share, noise, WAGE_SLOPES[occ])
            y = b1 * log_size + b2 * share + noise
            out[k] = y - (y * L_kn[k]).sum() / L_kn[k].sum() + np.log(national[occ])
            coef[occ] = (b1, b2)
        return out, coef

    if premium_noise is None:

        def gap(sigma: float) -> float:
            w, _ = build(sigma)
            return float(np.corrcoef(log_size, w[0] - w[1])[0, 1] - CORR_SIZE_PREMIUM)

        premium_noise = 0.0 if gap(0.0) <= 0 else optimize.brentq(gap, 0.0, 2.0, xtol=1e-14)
    log_wage, coef = build(premium_noise)
    return WageFit(log_wage, coef, float(premium_noise))


# -- instruments -----------------------------------------------------------------------------


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


def _share_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a / a.sum()) / (b / b.sum())


@dataclass(frozen=True)
class Imputed1980:
    employment: np.ndarray  # L[k, j, n]
    wages: WageFit
    shift: float  # common logit shift of CNR shares
    iterations: int


def _impute_1980(
    L15_jn: np.ndarray,
    size80: np.ndarray,
    bill_target: np.ndarray,
    base_logit: np.ndarray,
    fit: SortingFit,
    u: np.ndarray,
    v: np.ndarray,
    premium_noise: float,
    national_wage80: dict[str, float],
) -> Imputed1980:
    """The 1980 allocation: the 2015 city-industry pattern (non-tradable shares shrunk halfway
    towards the national share) raked to 1980 city sizes and to
    industry totals chosen so that each industry's share of the national wage bill moves from
    2015 like its share of BEA compensation from 2011-2015 to 1997 (``bill_target``, a fixed
    point, since wages depend on the allocation); CNR shares with ``SORTING_1980`` times the
    2015 city deviation and a common shift giving the national share ``CNR_SHARE_1980``; wages
    from :func:`_wages` with the 1980 national levels."""
    log_size = np.log(size80)
    z = (log_size - log_size.mean()) / log_size.std()
    deviation = SORTING_1980 * (fit.loading * z + fit.spread * u)
    target = bill_target / bill_target.sum()
    industry = L15_jn.sum(axis=1) * target / (L15_jn.sum(axis=1) / L15_jn.sum())
    # Non-tradables serve local demand: their 2015 shares of city employment, whose outliers
    # (retirement and military towns) mostly grew after 1980, are shrunk halfway (in logs)
    # towards the national share before raking [choice].
    seed = L15_jn.copy()
    city = L15_jn.sum(axis=0)
    national = L15_jn[~TRADABLE].sum(axis=1, keepdims=True) / L15_jn.sum()
    local = L15_jn[~TRADABLE] / city
    shrink = NONTRADABLE_SHRINK_1980
    seed[~TRADABLE] = np.exp((1 - shrink) * np.log(local) + shrink * np.log(national)) * city
    for _iteration in range(1, 501):
        industry *= size80.sum() / industry.sum()
        L_jn = _rake(seed, industry, size80)

        def gap(shift: float, L_jn: np.ndarray = L_jn) -> float:
            s = special.expit(base_logit[:, None] + shift + deviation[None, :])
            return float((s * L_jn).sum() / L_jn.sum() - CNR_SHARE_1980)

        shift = optimize.brentq(gap, -5.0, 5.0, xtol=1e-14)
        s = special.expit(base_logit[:, None] + shift + deviation[None, :])
        L = np.stack([s * L_jn, (1 - s) * L_jn])
        wages = _wages(L.sum(axis=1), national_wage80, v, premium_noise)
        bill = np.einsum("kn,kjn->j", np.exp(wages.log_wage), L)
        ratio = target / (bill / bill.sum())
        if np.max(np.abs(ratio - 1.0)) < 1e-10:
            break
        industry *= ratio
    else:  # pragma: no cover - the fixed point is a contraction in practice
        raise ValueError("the 1980 industry-mix fixed point did not converge")
    return Imputed1980(L, wages, float(shift), _iteration)


# -- provenance helpers ----------------------------------------------------------------------


def _prov(
    source: str, observed: str, imputation: str | None = None, **extra: str
) -> dict[str, str]:
    attrs = {"source": source, "observed": observed}
    if imputation is not None:
        attrs["imputation"] = imputation
    attrs.update(extra)
    return attrs


def _figure2(wage: np.ndarray, L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Actual CNR wage-bill share of each city and the one predicted by its industry mix."""
    bill = wage[:, None, :] * L  # (k, j, n)
    delta = bill[0].sum(axis=1) / bill.sum(axis=(0, 2))  # national CNR share of j's wage bill
    sigma = bill.sum(axis=0) / bill.sum(axis=(0, 1))[None, :]  # j's share of n's wage bill
    actual = bill[0].sum(axis=0) / bill.sum(axis=(0, 1))
    return actual, (delta[:, None] * sigma).sum(axis=0)


def stylized_facts(wage: xr.DataArray, employment: xr.DataArray) -> dict[str, float]:
    """The paper's section-2 moments across cities for one year.

    Parameters
    ----------
    wage, employment
        ``wage`` on (occupation, city) and ``employment`` on (occupation, industry, city),
        with occupations ``CNR`` and ``nonCNR`` (for instance one year of the US dataset, or
        of the model returned by :func:`spatialocc.invert`).

    Returns
    -------
    dict
        ``corr_size_share`` (paper 0.57), ``corr_size_premium`` (0.4), ``slope_share_on_size``,
        ``slope_premium_on_size``, Table 1's univariate slopes ``table1_<dep>_<regressor>``,
        ``figure2_slope`` (OLS slope of the actual CNR wage-bill share on the industry-predicted
        one; above 1 in the paper) and ``figure2_corr``.
    """
    w = wage.transpose("occupation", "city").sel(occupation=list(OCCUPATIONS)).to_numpy()
    L = (
        employment.transpose("occupation", "industry", "city")
        .sel(occupation=list(OCCUPATIONS))
        .to_numpy()
    )
    L_kn = L.sum(axis=1)
    size = L_kn.sum(axis=0)
    log_size, share = np.log(size), L_kn[0] / size
    log_ratio = np.log(L_kn[0] / L_kn[1])
    log_w = np.log(w)
    premium = log_w[0] - log_w[1]
    actual, predicted = _figure2(w, L)
    out = {
        "corr_size_share": float(np.corrcoef(log_size, share)[0, 1]),
        "corr_size_premium": float(np.corrcoef(log_size, premium)[0, 1]),
        "corr_share_premium": float(np.corrcoef(share, premium)[0, 1]),
        "slope_share_on_size": _ols_slope(share, log_size),
        "slope_premium_on_size": _ols_slope(premium, log_size),
        "figure2_slope": _ols_slope(actual, predicted),
        "figure2_corr": float(np.corrcoef(actual, predicted)[0, 1]),
        "share_p76": float(np.quantile(share, 0.76)),
        "share_p95": float(np.quantile(share, 0.95)),
    }
    regressors = {"log_size": log_size, "log_cnr_ratio": log_ratio, "cnr_share": share}
    deps = {"CNR": log_w[0], "nonCNR": log_w[1], "premium": premium}
    for dep, y in deps.items():
        for reg, x in regressors.items():
            out[f"table1_{dep}_{reg}"] = _ols_slope(y, x)
    return out


# -- the build -------------------------------------------------------------------------------


def build_us(raw_dir: str | Path) -> xr.Dataset:
    """Build the US dataset from the raw public files.

    Parameters
    ----------
    raw_dir
        The raw-data folder (``../shared/data/raw``), laid out as its ``SOURCES.md`` says.

    Returns
    -------
    xarray.Dataset
        A Dataset of kind ``"data"`` with ``year`` = 1980, 2015: 382 metropolitan CBSAs of
        the 50 states and DC (July 2015 delineation), the paper's 22 industries, occupations
        ``CNR`` and ``nonCNR``; every variable carries ``source``, ``observed`` (``"true"``,
        ``"partial"`` or ``"false"``) and, unless observed, ``imputation`` attributes. See
        ``datasets/README.md`` for the full documentation.

    Raises
    ------
    RawDataMissingError
        A raw file is missing (the message names it and where to obtain it).
    ValueError
        A raw file does not have the expected layout.
    """
    raw = check_raw(raw_dir)
    rng = np.random.default_rng(SEED)
    cities, counties = _cities(raw)
    codes = list(cities.index)
    N, J = len(codes), len(INDUSTRIES)

    # Employment by industry: CBP 2019 scaled to 2015 by population growth.
    cbp = _read_cbp(raw)
    cbp_jn = _cbp_by_industry(cbp, codes)
    scale = employment_scale_2015(cities).to_numpy()
    L15_jn = cbp_jn * scale[None, :]

    # National occupation mix and wages (ACS 2015).
    national_share, national_wage, acs_overall, acs_private = _acs_national(raw)

    # Seeded draws: city sorting noise u and premium noise v.
    u = rng.standard_normal(N)
    v = rng.standard_normal(N)
    log_size15 = np.log(L15_jn.sum(axis=0))
    z15 = (log_size15 - log_size15.mean()) / log_size15.std()
    fit = _calibrate_sorting(L15_jn, national_share, z15, u)
    L15 = np.stack([fit.shares * L15_jn, (1 - fit.shares) * L15_jn])
    wages15 = _wages(L15.sum(axis=1), national_wage, v, None)

    # Input-output shares (BEA Use tables).
    io15 = _input_output_average(raw, USE_YEARS[2015])
    io80 = _input_output_average(raw, USE_YEARS[1980])

    # 1980: city sizes from 1980 county population; industry mix, occupations and wages imputed.
    cencounts = _read_cencounts(raw)
    pop1980 = _historical(counties, cencounts, "pop1980").reindex(codes).to_numpy()
    size80 = pop1980 * L15_jn.sum() / cities[2015].sum()
    bill15 = np.einsum("kn,kjn->j", np.exp(wages15.log_wage), L15)
    premium15 = national_wage["CNR"] / national_wage["nonCNR"]
    noncnr80 = national_wage["nonCNR"] * AWI_1980 / AWI_2015
    national_wage80 = {"nonCNR": noncnr80, "CNR": noncnr80 * premium15**PREMIUM_RATIO_1980}
    y80 = _impute_1980(
        L15_jn,
        size80,
        bill15 / bill15.sum() * _share_ratio(io80.compensation, io15.compensation),
        special.logit(national_share) + fit.industry_shift,
        fit,
        u,
        v,
        wages15.premium_noise,
        national_wage80,
    )
    L80, wages80 = y80.employment, y80.wages

    # Non-tradable prices: RPP 2011-2015 (2015); 1980 shifted along the size gradient.
    rpp = _price_indices(cities, raw)
    growth = np.log(size80) - np.log(L15_jn.sum(axis=0))
    price = np.full((2, J, N), np.nan)
    for industry in RPP_LINES:
        j = INDUSTRIES.index(industry)
        log_p15 = np.log(rpp.prices[industry].to_numpy())
        price[1, j] = np.exp(log_p15)
        shift = rpp.size_elasticity[industry] * (growth - growth.mean())
        price[0, j] = np.exp(log_p15 + shift)

    # Instruments.
    pop1920, missing1920 = _population_1920(
        _historical(counties, cencounts, "pop1920").reindex(codes).to_numpy(), pop1980
    )
    land_grant, hosts = _land_grant(cities, counties, raw)

    alpha = np.full((2, J), np.nan)
    composite = INDUSTRIES.index(COMPOSITE)
    for y, io_y in enumerate((io80, io15)):
        alpha[y, RE] = ALPHA_REAL_ESTATE
        alpha[y, composite] = io_y.pce_share[composite]

    occupation = {"occupation": list(OCCUPATIONS)}
    facts15 = stylized_facts(
        xr.DataArray(np.exp(wages15.log_wage), dims=("occupation", "city"), coords=occupation),
        xr.DataArray(L15, dims=("occupation", "industry", "city"), coords=occupation),
    )
    n_rpp = len(rpp.match)
    renamed = {c: a for c, a in rpp.match.items() if c != a}

    def listing(cbsas: Sequence[str]) -> str:
        return ", ".join(f"{c} {cities.loc[c, 'name']}" for c in cbsas)

    ds = xr.Dataset(
        {
            "wage": (
                ("year", "occupation", "city"),
                np.exp(np.stack([wages80.log_wage, wages15.log_wage])),
                _prov(
                    "ACS 2015 1-year table B24011 (national median earnings of the CNR group "
                    "and of the other four groups) shifted by the elasticities of the paper's "
                    "Table 1",
                    "false",
                    "log w[k,n] = a[k] + b1[k] log L[n] + b2[k] S[n] +/- sigma v[n]/2 (S: "
                    "CNR share) with (b1, b2) making the univariate OLS slopes across CBSAs "
                    "equal Table 1's on S (1.499 CNR, 0.993 nonCNR) and, on log L, the "
                    "premium's 0.022 split around the occupations' mean 0.0545 (0.0655, "
                    "0.0435: Table 1's 0.059 and 0.050 differ by 0.009, not 0.022); sigma so "
                    "corr(log size, log premium) = 0.4 (paper, section 2), v ~ N(0,1) seeded; "
                    "a[k] so the employment-weighted mean of log w equals the ACS 2015 national "
                    "median (nonCNR: employment-weighted geometric mean of the four group "
                    "medians); 1980: same slopes on the 1980 cross-section, levels = 2015 "
                    "medians x SSA average wage index 1980/2015 with the log premium scaled by "
                    f"{PREMIUM_RATIO_1980}",
                    coefficients=json.dumps(
                        {
                            "2015": wages15.coefficients,
                            "1980": wages80.coefficients,
                            "premium_noise_sd": wages15.premium_noise,
                        }
                    ),
                    national_median_2015=json.dumps(national_wage),
                    national_level_1980=json.dumps(national_wage80),
                ),
            ),
            "employment": (
                ("year", "occupation", "industry", "city"),
                np.stack([L80, L15]),
                _prov(
                    "County Business Patterns 2019 (employment by CBSA and NAICS, crosswalk "
                    "in datasets/README.md) scaled to 2015 by CBSA population (Census PEP "
                    "vintage 2017); 1980 city totals from Census 1980 county population; "
                    "occupation split from ACS 2015 B24050 national CNR shares by industry",
                    "partial",
                    "2015: city-industry totals observed (2019, scaled by (pop2015/pop2017)^2); "
                    "CNR shares = expit(logit national[j] + c[j] + delta[n]), delta = "
                    "loading*z(log size) + spread*u, u ~ N(0,1) seeded, calibrated to "
                    "corr(log size, CNR share) = 0.57 and the 76th-95th percentile gap "
                    "0.36-0.42, c[j] keeping ACS national shares by industry; 1980: city "
                    "totals = 1980 population x 2015 employment/population ratio; industry mix "
                    "= 2015 pattern (non-tradable shares shrunk halfway to the national share) "
                    "raked so that industries' wage-bill shares move like their BEA "
                    "compensation shares from 2011-2015 to 1997; CNR shares with half the 2015 "
                    f"city deviation and a national share of {CNR_SHARE_1980}",
                    employment_scale_2015="(pop2015 / pop2017) ** 2 per CBSA, PEP vintage 2017",
                    calibration=json.dumps(
                        {
                            "loading": fit.loading,
                            "spread": fit.spread,
                            "sorting_1980": SORTING_1980,
                            "shift_1980": y80.shift,
                        }
                    ),
                ),
            ),
            "price_nontradable": (
                ("year", "industry", "city"),
                price,
                _prov(
                    "BEA Regional Price Parities by MSA (MARPP, release of Feb 2026), "
                    "2011-2015 mean / 100: line 3 (services: housing, the rent index) for "
                    "Real Estate, line 5 (services: other) for "
                    f"{COMPOSITE}",
                    "partial",
                    f"2015: {n_rpp} of {N} CBSAs matched by code or, for "
                    f"{len(renamed)} CBSAs whose code changed by 2023, by a principal city and "
                    f"state ({', '.join(f'{c}->{a}' for c, a in renamed.items())}); RPP series "
                    f"starting after 2011 averaged over their available years "
                    f"({listing(rpp.short_series)}); the other {N - n_rpp} CBSAs "
                    f"({listing(rpp.imputed)}) get the fitted value of an OLS of the log index "
                    "on log 2015 population and census-division dummies. 1980: the 2015 index "
                    "shifted by that regression's population elasticity times the city's "
                    "log L1980 - log L2015 minus its mean over CBSAs; "
                    "NaN for tradables",
                    size_elasticity=json.dumps(rpp.size_elasticity),
                ),
            ),
            "price_level": (
                ("year",),
                cpi_u(YEARS).to_numpy(),
                _prov(CPI_U_SOURCE, "true"),
            ),
            "distance": (
                ("city", "origin"),
                distance_matrix(cities["lat"].to_numpy(), cities["lon"].to_numpy()),
                _prov(
                    "great-circle miles between Census 2015 Gazetteer internal points; 20 "
                    "miles within a city (paper, section 4.3)",
                    "true",
                ),
            ),
            "theta": ((), THETA, _prov(f"{PAPER}, section 4.3 (theta = 10)", "true")),
            "nu": ((), NU, _prov(f"{PAPER}, section 4.2 (nu = 2.02)", "true")),
            "epsilon": ((), EPSILON, _prov(f"{PAPER}, section 4.3 (epsilon = 2)", "true")),
            "consumption_share": (
                ("year", "industry"),
                alpha,
                _prov(
                    f"Real Estate: {PAPER}, section 4.2 (about 20 percent, the shelter share "
                    f"of PCE); {COMPOSITE}: its share of domestic personal consumption "
                    "expenditures (F010, imports netted out) in the BEA summary Use tables, "
                    "2011-2015 mean (2015) and 1997 (1980 stand-in); NaN for tradables, which "
                    "invert calibrates",
                    "true",
                    composite_pce_share=json.dumps(
                        {"2015": float(alpha[1, composite]), "1980": float(alpha[0, composite])}
                    ),
                    real_estate_pce_share_bea=json.dumps(
                        {"2015": float(io15.pce_share[RE]), "1980": float(io80.pce_share[RE])}
                    ),
                ),
            ),
            "value_added_share": (
                ("year", "industry"),
                np.stack([io80.value_added, io15.value_added]),
                _prov(
                    "BEA summary Use tables before redefinitions (producers' prices): "
                    "compensation of employees over gross output net of imports and net "
                    "taxes, with the gross operating surplus of every industry but real estate "
                    "reassigned to purchases of real estate (paper, section 4.3); mean of the "
                    "2011-2015 tables' shares for 2015, the 1997 table for 1980",
                    "partial",
                    "1980 uses the 1997 Use table, the earliest summary table, as a stand-in",
                ),
            ),
            "input_share": (
                ("year", "input", "industry"),
                np.stack([io80.inputs, io15.inputs]),
                _prov(
                    "BEA summary Use tables before redefinitions (producers' prices): domestic "
                    "purchases from each input industry over gross output net of imports; "
                    "imports netted out commodity by commodity in proportion to domestic use; "
                    "government (GF*, GS*), scrap and noncomparable imports dropped; the gross "
                    "operating surplus of every non-real-estate industry counted as a purchase "
                    "of real estate; mean of 2011-2015 shares (2015), 1997 (1980)",
                    "partial",
                    "1980 uses the 1997 Use table, the earliest summary table, as a stand-in",
                ),
            ),
            "trade_cost_elasticity": (
                ("industry",),
                TRADE_COST,
                _prov(
                    TRADE_COST_SOURCE,
                    "false",
                    "default t = 0.12 for manufacturing and 0.06 for tradable services "
                    "(INDUSTRIES.md); the paper's estimates are not published in its main text",
                ),
            ),
            "historical_population": (
                ("city",),
                pop1920,
                _prov(
                    "Census county population 1920 (NBER cencounts) summed over each CBSA's "
                    "July 2015 counties; renamed or merged counties mapped to their 2015 "
                    "successor; counties created after 1920 contribute nothing",
                    "partial",
                    f"{int(missing1920.sum())} CBSAs without any 1920 county count ("
                    + ", ".join(
                        f"{c} {cities.loc[c, 'name']}" for c in np.array(codes)[missing1920]
                    )
                    + ") get the fitted value of an OLS of log 1920 on log 1980 population",
                ),
            ),
            "land_grant_college": (
                ("city",),
                land_grant.to_numpy(),
                _prov(
                    "1862 Morrill Act universities (High Country News, University_Points): "
                    "each point placed in the county with the nearest TIGER internal point "
                    "(three hand-checked corrections: Clemson -> Pickens SC, Maine -> "
                    "Penobscot ME, Georgia -> Clarke GA), flag on the county's 2015 CBSA",
                    "true",
                    universities=json.dumps(hosts),
                ),
            ),
        },
        coords={
            "year": list(YEARS),
            "occupation": list(OCCUPATIONS),
            "industry": list(INDUSTRIES),
            "input": list(INDUSTRIES),
            "city": codes,
            "origin": codes,
            "city_name": (
                "city",
                cities["name"].tolist(),
                {
                    "source": "Census 2015 Gazetteer of CBSAs (NAME without 'Metro/Micro Area')",
                    "observed": "true",
                },
            ),
            "lat": ("city", cities["lat"].to_numpy(), {"source": GAZ_POINT, "observed": "true"}),
            "lon": ("city", cities["lon"].to_numpy(), {"source": GAZ_POINT, "observed": "true"}),
            "division": (
                "city",
                cities["division"].to_numpy(),
                {
                    "source": "census division of the state (FIPS) of the CBSA's most "
                    "populous county in the 2010 census (Census CO-EST00INT-TOT)",
                    "observed": "true",
                },
            ),
            "tradable": (
                "industry",
                TRADABLE,
                {
                    "source": "paper, section 4.1: real estate and the composite are non-tradable",
                    "observed": "true",
                },
            ),
        },
    )
    ds["city"].attrs["source"] = (
        "metropolitan CBSAs of the 50 states and DC, OMB July 2015 delineation"
    )
    ds.attrs = {
        "title": "spatialocc US dataset: 382 metropolitan CBSAs, 22 industries, CNR/nonCNR, "
        "1980 and 2015",
        "summary": (
            "Closest public-statistics counterpart of the Cognitive Hubs paper's data. "
            "Observed: CBSA list, names, coordinates, distances, census divisions (Census); "
            "city-industry employment totals (CBP 2019 scaled to 2015); national CNR shares by "
            "industry and national median earnings (ACS 2015); input-output and value-added "
            "shares (BEA Use tables 2011-2015); rent and services price indices (BEA RPP, "
            f"{n_rpp} of {N} CBSAs); 1920 population and land-grant colleges (instruments); "
            "parameters from the paper. Imputed (seeded, documented): occupation mixes within "
            "city-industries, wages by occupation and city, prices of the unmatched CBSAs, "
            "every 1980 allocation (city sizes observed from 1980 county population), and "
            "1980 input-output shares (1997 stand-in)."
        ),
        "observed_variables": "price_level, distance, theta, nu, epsilon, consumption_share, "
        "land_grant_college",
        "currency": "wages in nominal dollars of their year (2015: ACS 2015 dollars; 1980: "
        "1980 dollars, the 2015 levels scaled by the SSA average wage index); price_level: "
        + CPI_U_SOURCE,
        "partially_observed_variables": "employment, price_nontradable, value_added_share, "
        "input_share, historical_population",
        "imputed_variables": "wage, trade_cost_elasticity",
        "not_included": "immigrant_enclave: no public CBSA-level source of the shift-share "
        "(1980 foreign-born population by origin country) is in the raw files",
        "years": "2015 denotes the 2011-2015 window (ACS convention): employment from CBP 2019 "
        "scaled to 2015, Use tables averaged over 2011-2015, RPP averaged over 2011-2015; "
        "1980 uses 1980 county population for city sizes and the 1997 Use table as the "
        "input-output stand-in",
        "seed": SEED,
        "calibration_moments_2015": json.dumps({k: round(v, 6) for k, v in facts15.items()}),
        "acs_national_cnr_share": json.dumps(
            {"all_industries": acs_overall, "excluding_public_administration": acs_private}
        ),
        "source": "built by spatialocc.datasets.build_us from the raw files of "
        "../shared/data/raw (SOURCES.md); documentation in datasets/README.md",
        "build_command": BUILD_COMMAND,
        "crosswalk": "INDUSTRIES.md (22 industries; NAICS 2017 for CBP, BEA summary codes, ACS "
        "B24050 industry lines), as spatialocc.datasets.build_us.CROSSWALK",
    }
    return annotate(ds)


def write_us(ds: xr.Dataset, path: str | Path = PACKAGED_PATH) -> Path:
    """Write the US dataset as NetCDF (atomically, through :func:`spatialocc.to_netcdf`).

    Parameters
    ----------
    ds
        The Dataset returned by :func:`build_us`.
    path
        Destination; default the packaged ``spatialocc/datasets/data/us.nc``. Its folder is
        created if needed.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from spatialocc.dims.io import to_netcdf
    from spatialocc.dims.validation import validate

    validate(ds, kind="data")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return to_netcdf(ds, path)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m spatialocc.datasets.build_us --raw DIR [--out FILE]``.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 when a raw file is missing (the message goes to stderr).
    """
    parser = argparse.ArgumentParser(
        prog="python -m spatialocc.datasets.build_us",
        description="Build the spatialocc US dataset from the raw public files.",
    )
    parser.add_argument("--raw", required=True, help="raw-data folder (../shared/data/raw)")
    parser.add_argument(
        "--out",
        default=str(PACKAGED_PATH),
        help="output NetCDF file (default: the packaged spatialocc/datasets/data/us.nc)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        ds = build_us(args.raw)
    except RawDataMissingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path = write_us(ds, args.out)
    print(
        f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB; {ds.sizes['city']} cities, "
        f"{ds.sizes['industry']} industries, years {ds['year'].values.tolist()}) in "
        f"{time.perf_counter() - start:.1f} s"
    )
    return 0
