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
from pathlib import Path

import numpy as np
import xarray as xr
from scipy import special

from spatialocc.datasets.build_us.cities import _cities
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
from spatialocc.datasets.build_us.employment import (
    _cbp_by_industry,
    employment_scale_2015,
    naics_codes_used,
)
from spatialocc.datasets.build_us.facts import stylized_facts
from spatialocc.datasets.build_us.impute_1980 import Imputed1980, _impute_1980, _share_ratio
from spatialocc.datasets.build_us.input_output import InputOutput, _input_output_average
from spatialocc.datasets.build_us.instruments import _historical, _land_grant, _population_1920
from spatialocc.datasets.build_us.occupations import SortingFit, _acs_national, _calibrate_sorting
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
from spatialocc.datasets.build_us.prices import PriceIndices, _price_indices
from spatialocc.datasets.build_us.raw_files import (
    RAW_FILES,
    RawDataFormatError,
    RawDataMissingError,
    RawFile,
    check_raw,
)
from spatialocc.datasets.build_us.read_cbp_acs import _read_cbp
from spatialocc.datasets.build_us.read_cbsa import gazetteer_name
from spatialocc.datasets.build_us.read_historical import _read_cencounts
from spatialocc.datasets.build_us.wages import WageFit, _wages
from spatialocc.datasets.geography import distance_matrix
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


# -- provenance helpers ----------------------------------------------------------------------


def _prov(
    source: str, observed: str, imputation: str | None = None, **extra: str
) -> dict[str, str]:
    attrs = {"source": source, "observed": observed}
    if imputation is not None:
        attrs["imputation"] = imputation
    attrs.update(extra)
    return attrs


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
