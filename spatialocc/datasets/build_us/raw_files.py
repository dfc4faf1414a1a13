"""The raw input files of the US build, and the errors a missing or malformed one raises.

:data:`RAW_FILES` lists every file: its path under the raw folder (``../shared/data/raw``,
described in its ``SOURCES.md``), what it is, and where to obtain it. :func:`check_raw` checks
that they all exist (:class:`RawDataMissingError` otherwise); the readers of the ``read_*``
modules are wrapped by :func:`_reader`, which turns a layout surprise into a
:class:`RawDataFormatError` naming the file and its source.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class RawDataMissingError(FileNotFoundError):
    """A raw input file of the US build is missing."""


@dataclass(frozen=True)
class RawFile:
    """One raw input: its path under the raw folder, what it is and where to get it."""

    path: str
    description: str
    url: str


RAW_FILES: dict[str, RawFile] = {
    "gazetteer": RawFile(
        "cbsa/2015_Gaz_cbsa_national.txt",
        "Census 2015 Gazetteer file of CBSAs",
        "https://www2.census.gov/geo/docs/maps-data/data/gazetteer/2015_Gazetteer/"
        "2015_Gaz_cbsa_national.zip",
    ),
    "delineation": RawFile(
        "cbsa/jul_2015_cbsa.csv",
        "OMB/Census CBSA delineation, List 1, July 2015 (CBSA to county)",
        "https://www.census.gov/geographies/reference-files/time-series/demo/metro-micro/"
        "delineation-files.html (July 2015, list1.xls)",
    ),
    "population": RawFile(
        "cbsa/PEP_2017_PEPANNRES_with_ann.csv",
        "Census population estimates by CBSA, vintage 2017 (PEPANNRES), 2010-2017",
        "https://www.census.gov/data/tables/time-series/demo/popest/"
        "2010s-total-metro-and-micro-statistical-areas.html",
    ),
    "county_population_2010": RawFile(
        "cbsa/2000-2010_pop_estimates.csv",
        "Census intercensal county population estimates 2000-2010 (CO-EST00INT-TOT)",
        "https://www.census.gov/data/tables/time-series/demo/popest/"
        "intercensal-2000-2010-counties.html",
    ),
    "cbp": RawFile(
        "employment/cbp_cbsa_naics_emp.rda",
        "County Business Patterns 2019, employment by CBSA and NAICS (R data file)",
        "https://www.census.gov/data/datasets/2019/econ/cbp/2019-cbp.html (or the API "
        "https://api.census.gov/data/2019/cbp); this copy: github.com/fansi-sifan/metro-datasets",
    ),
    "acs_industry_occupation": RawFile(
        "occupation/acs-acs1-2015-GROUP_B24050_DATA.csv",
        "ACS 2015 1-year, table B24050 (industry by occupation), United States",
        "https://data.census.gov/table/ACSDT1Y2015.B24050 (or "
        "https://api.census.gov/data/2015/acs/acs1?get=group(B24050)&for=us:1)",
    ),
    "acs_industry_occupation_legend": RawFile(
        "occupation/acs-acs1-2015-GROUP_B24050_LEGEND.csv",
        "ACS 2015 table B24050 variable labels",
        "https://api.census.gov/data/2015/acs/acs1/groups/B24050.html",
    ),
    "acs_earnings": RawFile(
        "occupation/acs-acs1-2015-GROUP_B24011_DATA.csv",
        "ACS 2015 1-year, table B24011 (median earnings by occupation), United States",
        "https://data.census.gov/table/ACSDT1Y2015.B24011 (or "
        "https://api.census.gov/data/2015/acs/acs1?get=group(B24011)&for=us:1)",
    ),
    "acs_earnings_legend": RawFile(
        "occupation/acs-acs1-2015-GROUP_B24011_LEGEND.csv",
        "ACS 2015 table B24011 variable labels",
        "https://api.census.gov/data/2015/acs/acs1/groups/B24011.html",
    ),
    "oews": RawFile(
        "occupation/oews_may2025_metro_nonmetro_by_occ.csv.gz",
        "BLS Occupational Employment and Wage Statistics, May 2025, metropolitan and "
        "nonmetropolitan areas by occupation (employment, mean annual wage)",
        "https://www.bls.gov/oes/tables.htm (May 2025, metropolitan and nonmetropolitan "
        "area, all data; or the oe.* flat files at https://download.bls.gov/pub/time.series/oe/)",
    ),
    "nhgis_1970": RawFile(
        "census_county/nhgis0008_ds98_1970_county.dat",
        "IPUMS NHGIS 1970 census county table (ds98): nativity (c0z), education, industry; "
        "fixed-width",
        "https://www.nhgis.org (1970 Census, Count 4Pa sample-based, county; cite NHGIS, "
        "doi:10.18128/D050.V11.0); this copy: github.com/larsvilhuber/MobZ raw/nhgis/",
    ),
    "nhgis_1970_layout": RawFile(
        "census_county/nhgis0008_ds98_1970_county_layout.csv",
        "column layout of the NHGIS 1970 county table (variable, start, end, label)",
        "https://www.nhgis.org (the extract's codebook); this copy: transcribed from "
        "github.com/larsvilhuber/MobZ raw/nhgis/ Stata infix files",
    ),
    "nhgis_1980": RawFile(
        "census_county/nhgis0012_ds107_1980_county.dat",
        "IPUMS NHGIS 1980 census STF 3 county table (ds107): nativity, education, labour "
        "force, employed persons by 15 industry groups; fixed-width",
        "https://www.nhgis.org (1980 Census, STF 3, county; cite NHGIS, "
        "doi:10.18128/D050.V11.0); this copy: github.com/larsvilhuber/MobZ raw/nhgis/",
    ),
    "nhgis_1980_layout": RawFile(
        "census_county/nhgis0012_ds107_1980_county_layout.csv",
        "column layout of the NHGIS 1980 county table (variable, start, end, label)",
        "https://www.nhgis.org (the extract's codebook); this copy: transcribed from "
        "github.com/larsvilhuber/MobZ raw/nhgis/ Stata infix files",
    ),
    "foreign_born_1900_cities": RawFile(
        "immigration/1900-census-immigrant-pop-metro.csv",
        "1900 census, Vol. 1, Table 35: foreign-born population of the 161 cities of 25,000 "
        "or more (transcription)",
        "https://www.census.gov/library/publications/1901/dec/vol-01-population.html "
        "(Table 35); this copy: github.com/stacker-media/data 1900-census-immigrant-city/",
    ),
    "use_tables": RawFile(
        "bea/IOUse_Before_Redefinitions_PRO_1997-2016_Summary.xlsx",
        "BEA summary Use tables before redefinitions, producers' prices, 1997-2016",
        "https://www.bea.gov/industry/input-output-accounts-data (Use tables, summary, "
        "before redefinitions, 1997-2016 release of November 2017)",
    ),
    "bea_county_wages": RawFile(
        "bea/CAINC4_counties_1969_2023.csv.gz",
        "BEA CAINC4 personal income by major component, counties, 1969-2023 (line 50: wages "
        "and salaries by place of work); the per-state files concatenated",
        "https://apps.bea.gov/regional/downloadzip.htm (CAINC4, release of Nov 2024)",
    ),
    "rpp": RawFile(
        "bea/MARPP_MSA_2008_2024.csv",
        "BEA Regional Price Parities by MSA (MARPP), 2008-2024",
        "https://apps.bea.gov/regional/downloadzip.htm (table MARPP)",
    ),
    "county_population_historical": RawFile(
        "historical/cencounts.csv",
        "Census county population 1900-1990 (NBER copy)",
        "https://www.nber.org/research/data/census-us-decennial-county-population-data-1900-1990",
    ),
    "county_attributes": RawFile(
        "historical/CountyInfo.csv",
        "TIGER/Line county attributes (internal points)",
        "https://www.census.gov/geographies/mapping-files/time-series/geo/tiger-line-file.html",
    ),
    "land_grant_points": RawFile(
        "land_grant/University_Points.dbf",
        "1862 Morrill Act land-grant universities, points (High Country News)",
        "https://github.com/HCN-Digital-Projects/landgrabu-data (Morrill_Act_of_1862_"
        "Indigenous_Land_Parcels_Database/Shapefiles/University_Points.dbf)",
    ),
}


def _raw_path(raw_dir: Path, key: str) -> Path:
    return raw_dir / RAW_FILES[key].path


def check_raw(raw_dir: str | Path) -> Path:
    """Check that every raw input file exists under ``raw_dir``.

    Parameters
    ----------
    raw_dir
        Folder laid out as ``../shared/data/raw`` (see its ``SOURCES.md``).

    Returns
    -------
    pathlib.Path
        ``raw_dir`` as a path.

    Raises
    ------
    RawDataMissingError
        Naming the first missing file, what it is, and the official place to obtain it.
    """
    raw = Path(raw_dir)
    if not raw.is_dir():
        raise RawDataMissingError(
            f"the raw-data folder {raw} does not exist; it must hold the files listed in "
            f"spatialocc.datasets.build_us.RAW_FILES (see ../shared/data/raw/SOURCES.md)."
        )
    for spec in RAW_FILES.values():
        path = raw / spec.path
        if not path.is_file():
            raise RawDataMissingError(
                f"missing raw file {path} ({spec.description}). Obtain it from {spec.url} and "
                f"save it as {spec.path} under {raw}; the US build stops here."
            )
    return raw


class RawDataFormatError(ValueError):
    """A raw input file does not have the layout described in SOURCES.md."""


def _reader(key: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Turn layout surprises in a reader of raw file ``key`` into :class:`RawDataFormatError`."""

    def wrap(func: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(func)
        def read(raw: Path, *args: object) -> T:
            try:
                return func(raw, *args)
            except (KeyError, IndexError, TypeError, ValueError) as exc:
                if isinstance(exc, RawDataFormatError):
                    raise
                raise RawDataFormatError(
                    f"{_raw_path(raw, key)} ({RAW_FILES[key].description}) does not have the "
                    f"expected layout: {type(exc).__name__}: {exc}. Compare it with "
                    f"../shared/data/raw/SOURCES.md or obtain it again from "
                    f"{RAW_FILES[key].url}."
                ) from exc

        return read

    return wrap
