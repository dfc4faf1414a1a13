"""The coordinates of the US dataset with their sources, and its global attributes: what is
observed and what imputed, the currency, the years, the seed, the 2015 moments of section 2,
the ACS national CNR share, and how the file was built.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from spatialocc.datasets.build_us.crosswalks import INDUSTRIES, TRADABLE
from spatialocc.datasets.build_us.parameters import BUILD_COMMAND, OCCUPATIONS, SEED, YEARS
from spatialocc.datasets.build_us.read_nhgis import NHGIS_CITATION
from spatialocc.datasets.price_levels import CPI_U_SOURCE

GAZ_POINT = "Census 2015 Gazetteer of CBSAs (INTPTLAT/INTPTLONG internal point)"


def _coordinates(cities: pd.DataFrame, codes: Sequence[str]) -> dict[str, object]:
    """Years, occupations, industries and inputs, cities and origins, the cities' names,
    internal points and census divisions, and the industries' tradability."""
    return {
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
    }


def _global_attributes(
    n_rpp: int,
    n_oews: int,
    N: int,
    facts15: dict[str, float],
    acs_overall: float,
    acs_private: float,
) -> dict[str, object]:
    """The Dataset's attributes; ``n_rpp`` of the ``N`` cities have an RPP area, ``n_oews``
    OEWS data."""
    return {
        "title": "spatialocc US dataset: 382 metropolitan CBSAs, 22 industries, CNR/nonCNR, "
        "1980 and 2015",
        "summary": (
            "Closest public-statistics counterpart of the Cognitive Hubs paper's data. "
            "Observed: CBSA list, names, coordinates, distances, census divisions (Census); "
            "city-industry employment totals (CBP 2019 scaled to 2015); occupation totals and "
            "mean wages by metro (BLS OEWS May 2025, brought to 2015 by national factors; "
            f"{n_oews} of {N} CBSAs, flagged by measured_employment and measured_wage); "
            "national CNR shares by industry and national median earnings (ACS 2015); "
            "input-output and value-added "
            "shares (BEA Use tables 2011-2015); rent and services price indices (BEA RPP, "
            f"{n_rpp} of {N} CBSAs); 1920 population, land-grant colleges and early immigration "
            "(1900 and 1970 foreign-born shares; instruments); "
            "parameters from the paper. Imputed (seeded, documented): occupation totals and "
            f"wages of the {N - n_oews} CBSAs without OEWS data, prices of the unmatched CBSAs, "
            "the 1980 split of city wages by occupation, national industry totals and national "
            "CNR share (1980 city employment, its industry pattern and college shares from the "
            "NHGIS 1980 county table, city average wages from BEA over NHGIS), and "
            "1980 input-output shares (1997 stand-in)."
        ),
        "observed_variables": "price_level, distance, theta, nu, epsilon, consumption_share, "
        "land_grant_college, immigrant_enclave, measured_employment, measured_wage",
        "currency": "wages in nominal dollars of their year (2015: ACS 2015 dollars; 1980: "
        "1980 dollars, national levels = the 2015 levels scaled by the SSA average wage index); "
        "price_level: " + CPI_U_SOURCE,
        "partially_observed_variables": "employment, wage, price_nontradable, value_added_share, "
        "input_share, historical_population",
        "imputed_variables": "trade_cost_elasticity",
        "nhgis_citation": "derived metro aggregates of IPUMS NHGIS county tables: "
        + NHGIS_CITATION,
        "years": "2015 denotes the 2011-2015 window (ACS convention): employment from CBP 2019 "
        "scaled to 2015, Use tables averaged over 2011-2015, RPP averaged over 2011-2015; "
        "1980 uses the NHGIS 1980 county table (employed persons by industry group, "
        "education) with the national level of 1980 county population, and the 1997 Use "
        "table as the input-output stand-in",
        "seed": SEED,
        "moments_2015": json.dumps({k: round(v, 6) for k, v in facts15.items()}),
        "acs_national_cnr_share": json.dumps(
            {"all_industries": acs_overall, "excluding_public_administration": acs_private}
        ),
        "source": "built by spatialocc.datasets.build_us from the raw files of "
        "../shared/data/raw (SOURCES.md); documentation in datasets/README.md",
        "build_command": BUILD_COMMAND,
        "crosswalk": "INDUSTRIES.md (22 industries; NAICS 2017 for CBP, BEA summary codes, ACS "
        "B24050 industry lines), as spatialocc.datasets.build_us.CROSSWALK",
    }
