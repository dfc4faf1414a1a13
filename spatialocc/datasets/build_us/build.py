"""The US build, step by step: :func:`build_us` reads the cities, computes 2015 from the
measured statistics (CBP, OEWS, ACS; the imputation kept for metros without OEWS data),
1980 from the NHGIS and BEA county tables, the instruments, and assembles the Dataset with
its provenance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from spatialocc.datasets.build_us.cities import _cities
from spatialocc.datasets.build_us.early_immigration import _early_immigration
from spatialocc.datasets.build_us.employment import _employment_2015
from spatialocc.datasets.build_us.facts import stylized_facts
from spatialocc.datasets.build_us.impute_1980 import _bill_target_1980, _national_wage_1980
from spatialocc.datasets.build_us.input_output import _consumption_shares, _input_output_average
from spatialocc.datasets.build_us.instruments import _historical, _land_grant, _population_1920
from spatialocc.datasets.build_us.measured_1980 import _measured_1980
from spatialocc.datasets.build_us.measured_2015 import _measured_2015
from spatialocc.datasets.build_us.metadata import _coordinates, _global_attributes
from spatialocc.datasets.build_us.occupations import (
    SortingFit,
    _acs_national,
    _calibrate_sorting,
    _city_share,
)
from spatialocc.datasets.build_us.parameters import OCCUPATIONS, SEED, USE_YEARS
from spatialocc.datasets.build_us.prices import _nontradable_prices, _price_indices
from spatialocc.datasets.build_us.raw_files import check_raw
from spatialocc.datasets.build_us.read_historical import _read_cencounts, _read_county_names
from spatialocc.datasets.build_us.read_oews import _read_oews
from spatialocc.datasets.build_us.variables import (
    _employment_variable,
    _geography_and_parameters,
    _immigration_variable,
    _instrument_variables,
    _price_variables,
    _provenance_variables,
    _technology_variables,
    _wage_variable,
)
from spatialocc.datasets.build_us.wages import WageFit, _wages
from spatialocc.dims.schema import annotate


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
    N = len(codes)

    # Employment by industry: CBP 2019 scaled to 2015 by population growth.
    L15_jn = _employment_2015(raw, cities, codes)

    # National occupation mix and wages (ACS 2015).
    national_share, national_wage, acs_overall, acs_private = _acs_national(raw)

    # Seeded draws: city sorting noise u and premium noise v.
    u = rng.standard_normal(N)
    v = rng.standard_normal(N)
    fit, _, wages15_imputed = _sorting_and_wages_2015(L15_jn, national_share, national_wage, u, v)

    # Measured 2015: OEWS metro occupation totals and wages, raked with the CBP and ACS margins;
    # metros without OEWS data keep the imputation above.
    m15 = _measured_2015(
        cities,
        _read_oews(raw),
        L15_jn,
        national_share,
        _city_share(fit.shares, L15_jn),
        wages15_imputed.log_wage,
        national_wage,
    )
    L15 = m15.employment
    wages15 = WageFit(m15.log_wage, wages15_imputed.coefficients, wages15_imputed.premium_noise)

    # Input-output shares (BEA Use tables).
    io15 = _input_output_average(raw, USE_YEARS[2015])
    io80 = _input_output_average(raw, USE_YEARS[1980])
    alpha = _consumption_shares(io80, io15)

    # 1980: industry mix and college-anchored occupations from the NHGIS 1980 county table,
    # national level from 1980 population; average wages from BEA over NHGIS employed.
    cencounts = _read_cencounts(raw)
    pop1980 = _historical(counties, cencounts, "pop1980").reindex(codes).to_numpy()
    national_wage80 = _national_wage_1980(national_wage)
    m80 = _measured_1980(
        raw,
        counties,
        codes,
        pop1980 * L15_jn.sum() / cities[2015].sum(),
        national_share,
        _bill_target_1980(wages15, L15, io15, io80),
        national_wage80,
        _read_county_names(raw),
    )
    size80 = m80.employment.sum(axis=(0, 1))

    # Non-tradable prices: RPP 2011-2015 (2015); 1980 shifted along the size gradient.
    rpp = _price_indices(cities, raw)
    price = _nontradable_prices(rpp, size80, L15_jn)

    # Instruments.
    pop1920, missing1920 = _population_1920(
        _historical(counties, cencounts, "pop1920").reindex(codes).to_numpy(), pop1980
    )
    land_grant, hosts = _land_grant(cities, counties, raw)
    immigration = _early_immigration(cities, counties, raw, cencounts)

    occupation = {"occupation": list(OCCUPATIONS)}
    facts15 = stylized_facts(
        xr.DataArray(np.exp(wages15.log_wage), dims=("occupation", "city"), coords=occupation),
        xr.DataArray(L15, dims=("occupation", "industry", "city"), coords=occupation),
    )

    ds = xr.Dataset(
        {
            **_wage_variable(wages15, m80, national_wage, national_wage80, m15),
            **_employment_variable(L15, m80, fit, m15),
            **_provenance_variables(m15, m80, L15.shape),
            **_price_variables(price, rpp, cities),
            **_geography_and_parameters(cities),
            **_technology_variables(alpha, io15, io80),
            **_instrument_variables(cities, codes, pop1920, missing1920, land_grant, hosts),
            **_immigration_variable(cities, immigration),
        },
        coords=_coordinates(cities, codes),
    )
    ds["city"].attrs["source"] = (
        "metropolitan CBSAs of the 50 states and DC, OMB July 2015 delineation"
    )
    ds.attrs = _global_attributes(
        len(rpp.match), int(m15.measured.sum()), N, facts15, acs_overall, acs_private
    )
    return annotate(ds)


def _sorting_and_wages_2015(
    L15_jn: np.ndarray,
    national_share: np.ndarray,
    national_wage: dict[str, float],
    u: np.ndarray,
    v: np.ndarray,
) -> tuple[SortingFit, np.ndarray, WageFit]:
    """The 2015 occupation split of every city-industry, its CNR shares calibrated to the
    paper's sorting moments, and the wages by occupation and city it implies."""
    log_size15 = np.log(L15_jn.sum(axis=0))
    z15 = (log_size15 - log_size15.mean()) / log_size15.std()
    fit = _calibrate_sorting(L15_jn, national_share, z15, u)
    L15 = np.stack([fit.shares * L15_jn, (1 - fit.shares) * L15_jn])
    wages15 = _wages(L15.sum(axis=1), national_wage, v, None)
    return fit, L15, wages15
