"""The data variables of the US dataset, each with its provenance attributes.

Every variable carries ``source`` (table and year), ``observed`` (``"true"``, ``"partial"``
or ``"false"``) and, unless observed, a one-line ``imputation``; further attributes record
the numbers of the calibrations. Each function returns ``{name: (dims, values, attrs)}``
entries, in the order the Dataset lists them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from spatialocc.datasets.build_us.crosswalks import INDUSTRIES, RE, TRADE_COST
from spatialocc.datasets.build_us.early_immigration import EarlyImmigration
from spatialocc.datasets.build_us.input_output import InputOutput
from spatialocc.datasets.build_us.measured_1980 import Measured1980
from spatialocc.datasets.build_us.measured_2015 import Measured2015
from spatialocc.datasets.build_us.occupations import SortingFit
from spatialocc.datasets.build_us.parameters import (
    CNR_SHARE_1980,
    EPSILON,
    IPF_TOLERANCE,
    LOCAL_DEMAND_REPAIR_1980,
    NU,
    PAPER,
    PREMIUM_RATIO_1980,
    THETA,
    YEARS,
)
from spatialocc.datasets.build_us.prices import PriceIndices
from spatialocc.datasets.build_us.read_nhgis import NHGIS_CITATION
from spatialocc.datasets.build_us.wages import WageFit
from spatialocc.datasets.geography import distance_matrix
from spatialocc.datasets.industries import COMPOSITE, TRADE_COST_SOURCE
from spatialocc.datasets.price_levels import CPI_U_SOURCE, cpi_u

OEWS = "BLS OEWS May 2025 (metropolitan areas by occupation, 2023 delineation)"


def _prov(
    source: str, observed: str, imputation: str | None = None, **extra: str
) -> dict[str, str]:
    attrs = {"source": source, "observed": observed}
    if imputation is not None:
        attrs["imputation"] = imputation
    attrs.update(extra)
    return attrs


def _wage_variable(
    wages15: WageFit,
    m80: Measured1980,
    national_wage: dict[str, float],
    national_wage80: dict[str, float],
    m15: Measured2015,
) -> dict[str, tuple]:
    """``wage`` by year, occupation and city: 2015 OEWS metro mean wages brought to the ACS
    2015 national level (measured where the metro has OEWS data, imputed elsewhere); 1980
    BEA wages over NHGIS employed persons, split by a national premium."""
    unmatched = int((~m15.measured).sum())
    return {
        "wage": (
            ("year", "occupation", "city"),
            np.exp(np.stack([m80.wages.log_wage, wages15.log_wage])),
            _prov(
                f"2015: {OEWS} mean annual wage of SOC 11-29 (CNR) and 31-53 (nonCNR), "
                "employment-weighted over major groups, times one national factor per "
                "occupation (ACS 2015 1-year B24011 national median earnings over the "
                "OEWS employment-weighted geometric mean across the CBSAs); cells flagged by "
                "measured_wage. 1980: city average wage = BEA CAINC4 1980 wages and "
                "salaries (line 50, place of work) over NHGIS 1980 employed civilians plus "
                f"armed forces (ds107; {NHGIS_CITATION}), both over the CBSA's counties",
                "partial",
                f"2015, the {unmatched} CBSAs without OEWS data: log w[k,n] = a[k] + b1[k] "
                "log L[n] + b2[k] S[n] +/- sigma v[n]/2 (S: CNR share) with (b1, b2) making "
                "the univariate OLS slopes across CBSAs equal Table 1's on S (1.499 CNR, "
                "0.993 nonCNR) and, on log L, the premium's 0.022 split around the "
                "occupations' mean 0.0545 (0.0655, 0.0435); sigma so corr(log size, log "
                "premium) = 0.4 (paper, section 2), v ~ N(0,1) seeded; a[k] so the "
                "employment-weighted mean of log w equals the ACS 2015 national median "
                "(nonCNR: employment-weighted geometric mean of the four group medians), "
                "fitted on the imputed allocation of all CBSAs. 1980: the measured city "
                "average split between CNR and nonCNR with the same premium in every city, "
                "the 2015 national premium to the power "
                f"{PREMIUM_RATIO_1980}, times one national factor "
                f"({m80.wage_factor:.6f}) setting the national levels to the 2015 medians "
                "x SSA average wage index 1980/2015",
                coefficients=json.dumps(
                    {"2015": wages15.coefficients, "premium_noise_sd": wages15.premium_noise}
                ),
                national_median_2015=json.dumps(national_wage),
                national_level_1980=json.dumps(national_wage80),
                oews_wage_factor_2015=json.dumps(m15.wage_factor),
                bea_wage_factor_1980=json.dumps(m80.wage_factor),
            ),
        ),
    }


def _employment_variable(
    L15: np.ndarray, m80: Measured1980, fit: SortingFit, m15: Measured2015
) -> dict[str, tuple]:
    """``employment`` by year, occupation, industry and city: measured margins raked (2015:
    CBP, OEWS, ACS; 1980: NHGIS industry groups and college shares)."""
    unmatched = int((~m15.measured).sum())
    return {
        "employment": (
            ("year", "occupation", "industry", "city"),
            np.stack([m80.employment, L15]),
            _prov(
                "2015: County Business Patterns 2019 (employment by CBSA and NAICS, crosswalk "
                "in datasets/README.md) scaled to 2015 by CBSA population (Census PEP vintage "
                f"2017); occupation totals by city from {OEWS} (CNR = SOC 11-29); national "
                "CNR shares by industry from ACS 2015 B24050; the three margins combined by "
                "iterative proportional fitting; cells flagged by measured_employment. "
                "1980: employed persons 16+ by 14 industry groups and persons 25+ with 4+ "
                f"years of college, NHGIS 1980 county table (ds107; {NHGIS_CITATION}), summed "
                "over each CBSA's 2015 counties; national level from Census 1980 county "
                "population",
                "partial",
                "2015: each CBSA's OEWS CNR share moved by one national logit shift "
                f"({m15.logit_shift:.6f}) so that the CNR total equals the ACS 2015 one of "
                "the CBP industry mix; L[k,j,n] raked from a constant seed to the CBP "
                "(j,n), city-occupation (k,n) and ACS (k,j) margins (relative tolerance "
                f"{IPF_TOLERANCE:g}, {m15.ipf_iterations} iterations); the {unmatched} "
                "CBSAs without OEWS data keep the imputed city CNR share: mean of "
                "expit(logit national[j] + c[j] + delta[n]) over their industries, delta = "
                "loading*z(log size) + spread*u, u ~ N(0,1) seeded, calibrated to "
                "corr(log size, CNR share) = 0.57 and the 76th-95th percentile gap "
                "0.36-0.42. 1980: a group covering several industries split by the city's "
                "2015 CBP employment of the NAICS codes the group covers (national pattern "
                f"in {len(m80.fallback)} group-city cells without any); one national factor "
                f"({m80.national_factor:.6f}) so that the total is the 1980 population times "
                "the 2015 employment/population ratio, then one national factor per industry "
                "(attribute industry_factor_1980) so that each industry's share of the 1980 "
                "wage bill moves from 2015 like its share of BEA compensation from 2011-2015 "
                "to 1997 (the 1980 input-output stand-in); non-tradable shares of "
                f"{', '.join(LOCAL_DEMAND_REPAIR_1980)} shrunk halfway (in logs) towards the "
                "national share (flag measured_industry_employment); CNR shares: logit "
                "S[n] = logit college[n] + kappa, industries' = ACS 2015 shares moved by one "
                f"logit shift, national share {CNR_SHARE_1980} [choice], raked as in 2015",
                employment_scale_2015="(pop2015 / pop2017) ** 2 per CBSA, PEP vintage 2017",
                calibration=json.dumps(
                    {
                        "loading": fit.loading,
                        "spread": fit.spread,
                        "kappa_1980": m80.logit_shift,
                        "national_factor_1980": m80.national_factor,
                    }
                ),
                oews_logit_shift_2015=json.dumps(m15.logit_shift),
                oews_national_cnr_share=json.dumps(m15.oews_share),
                oews_areas_renamed=json.dumps({c: a for c, a in m15.match.items() if c != a}),
                industry_groups_1980_split_by_national_pattern=json.dumps(m80.fallback),
                industry_factor_1980=json.dumps(
                    dict(zip(INDUSTRIES, np.round(m80.industry_factor, 12).tolist(), strict=True))
                ),
            ),
        ),
    }


def _provenance_variables(
    m15: Measured2015, m80: Measured1980, shape: tuple[int, int, int]
) -> dict[str, tuple]:
    """Per-cell flags: ``measured_employment`` and ``measured_wage`` are True where the cell
    comes from a measured source of that city (2015: the city has OEWS data);
    ``measured_industry_employment`` where the industry x city total does (2015: CBP; 1980:
    the NHGIS group of the city times a national factor per industry)."""
    K, J, N = shape
    industry = np.stack([m80.measured, np.ones((J, N), dtype=bool)])
    wage = np.zeros((2, K, N), dtype=bool)
    wage[1] = m15.measured[None, :]
    employment = np.zeros((2, K, J, N), dtype=bool)
    employment[1] = m15.measured[None, None, :]
    flag = "True where the cell's occupation total by city is measured"
    return {
        "measured_employment": (
            ("year", "occupation", "industry", "city"),
            employment,
            _prov(
                f"{flag}: 2015 CBSAs with {OEWS} data (raked with the measured CBP and ACS "
                "margins); False for the imputed cells (2015 CBSAs without OEWS data, 1980)",
                "true",
            ),
        ),
        "measured_industry_employment": (
            ("year", "industry", "city"),
            industry,
            _prov(
                "True where the industry x city total of employment (summed over occupations) "
                "comes from a measured source for that cell: 2015, County Business Patterns "
                "2019 scaled by the CBSA's population growth; 1980, the city's NHGIS 1980 "
                "employed persons of the industry's group (split across the industries of a "
                "group by the city's 2015 CBP pattern) times one national factor per industry "
                "(attribute industry_factor_1980 of employment). False: the non-tradable cells "
                "of the CBSAs whose local services were shrunk towards the national share "
                f"({', '.join(LOCAL_DEMAND_REPAIR_1980)}; datasets/README.md)",
                "true",
            ),
        ),
        "measured_wage": (
            ("year", "occupation", "city"),
            wage,
            _prov(
                f"True where the wage is a measured metro mean: 2015 CBSAs with {OEWS} "
                "data; False for the imputed cells (2015 CBSAs without OEWS data, 1980)",
                "true",
            ),
        ),
    }


def _price_variables(
    price: np.ndarray, rpp: PriceIndices, cities: pd.DataFrame
) -> dict[str, tuple]:
    """``price_nontradable`` (BEA RPP, partly imputed) and ``price_level`` (CPI-U)."""
    N = len(cities)
    n_rpp = len(rpp.match)
    renamed = {c: a for c, a in rpp.match.items() if c != a}

    def listing(cbsas: Sequence[str]) -> str:
        return ", ".join(f"{c} {cities.loc[c, 'name']}" for c in cbsas)

    return {
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
    }


def _geography_and_parameters(cities: pd.DataFrame) -> dict[str, tuple]:
    """``distance`` between the cities' internal points, and the paper's ``theta``, ``nu`` and
    ``epsilon``."""
    return {
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
    }


def _technology_variables(
    alpha: np.ndarray, io15: InputOutput, io80: InputOutput
) -> dict[str, tuple]:
    """``consumption_share``, ``value_added_share`` and ``input_share`` (BEA Use tables), and
    the default ``trade_cost_elasticity``."""
    composite = INDUSTRIES.index(COMPOSITE)
    return {
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
    }


def _instrument_variables(
    cities: pd.DataFrame,
    codes: Sequence[str],
    pop1920: np.ndarray,
    missing1920: np.ndarray,
    land_grant: pd.Series,
    hosts: dict[str, str],
) -> dict[str, tuple]:
    """The instruments ``historical_population`` (1920) and ``land_grant_college``."""
    return {
        "historical_population": (
            ("city",),
            pop1920,
            _prov(
                "Census county population 1920 (NBER cencounts) summed over each CBSA's "
                "July 2015 counties; renamed or merged counties mapped to their 2015 "
                "successor; counties created after 1920 contribute nothing",
                "partial",
                f"{int(missing1920.sum())} CBSAs without any 1920 county count ("
                + ", ".join(f"{c} {cities.loc[c, 'name']}" for c in np.array(codes)[missing1920])
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
    }


def _immigration_variable(cities: pd.DataFrame, im: EarlyImmigration) -> dict[str, tuple]:
    """The early-immigration instrument ``immigrant_enclave``: the 1900 foreign-born share
    where a large 1900 city lies in the CBSA, the 1970 share elsewhere."""
    codes = np.asarray(cities.index)
    return {
        "immigrant_enclave": (
            ("city",),
            im.share,
            _prov(
                "early-immigration instrument (paper, after Card 2001): foreign-born share "
                "of population. CBSAs holding a city of 25,000+ in 1900: foreign born of "
                "those cities (1900 census, Vol. 1, Table 35) over the 1900 population of "
                "the CBSA's July 2015 counties (NBER cencounts); other CBSAs: 1970 foreign "
                "born over native plus foreign born of the CBSA's counties (NHGIS 1970 "
                f"county table ds98, c0z001-002; {NHGIS_CITATION}). Limits: the 1900 share "
                "counts only the immigrants of the large cities (an understatement), and "
                "the two years measure different immigration eras",
                "true",
                cbsas_from_1900=json.dumps(
                    {str(c): im.cities_1900[c] for c in codes[im.from_1900]}
                ),
                share_1970=json.dumps(
                    {str(c): round(float(x), 12) for c, x in zip(codes, im.share_1970, strict=True)}
                ),
            ),
        ),
    }
