"""Build the US dataset (382 metropolitan CBSAs, 22 industries, CNR / nonCNR, 1980 and 2015).

Run ``python -m spatialocc.datasets.build_us --raw ../shared/data/raw`` to rebuild the bundled
file ``spatialocc/datasets/data/us.nc`` from the public statistics described in
``../shared/data/raw/SOURCES.md``; ``datasets/README.md`` documents every step. From Python,
:func:`build_us` returns the Dataset and :func:`write_us` writes it.

The build is deterministic: the few random draws of the imputation model come from a
``numpy`` generator seeded with :data:`SEED`, and every calibration is solved by a
deterministic root finder, so the same raw files always give the same file.

Modules, in the order of the build: ``parameters`` (the seed, the paper's parameters and
targets, the 1980 choices) and ``crosswalks`` (industry order and code mappings) read no
file; ``raw_files`` lists the raw files and their errors, and ``read_cbsa``,
``read_cbp_acs``, ``read_oews``, ``read_bea``, ``read_nhgis``, ``read_immigration`` and
``read_historical`` read them, one raw source each; ``cities``, ``employment``,
``occupations``, ``wages``, ``measured_2015``, ``input_output``, ``impute_1980``,
``wages_1980``, ``measured_1980``, ``prices``, ``instruments`` and ``early_immigration``
compute the pieces; ``facts`` measures the paper's
section-2 moments; ``variables`` and ``metadata`` describe the Dataset; ``build`` runs the
steps (:func:`build_us`) and ``cli`` writes the file (:func:`write_us`, :func:`main`).
"""

from __future__ import annotations

from spatialocc.datasets.build_us.build import build_us
from spatialocc.datasets.build_us.cli import main, write_us
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
from spatialocc.datasets.build_us.employment import employment_scale_2015, naics_codes_used
from spatialocc.datasets.build_us.facts import stylized_facts
from spatialocc.datasets.build_us.input_output import InputOutput
from spatialocc.datasets.build_us.measured_1980 import Measured1980
from spatialocc.datasets.build_us.metadata import GAZ_POINT
from spatialocc.datasets.build_us.occupations import SortingFit
from spatialocc.datasets.build_us.parameters import (
    ALPHA_REAL_ESTATE,
    AWI_1980,
    AWI_2015,
    BUILD_COMMAND,
    CNR_SHARE_1980,
    CORR_SIZE_PREMIUM,
    CORR_SIZE_SHARE,
    EPSILON,
    LOCAL_DEMAND_REPAIR_1980,
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
    TABLE1,
    THETA,
    USE_YEARS,
    WAGE_SLOPES,
    YEARS,
)
from spatialocc.datasets.build_us.prices import PriceIndices
from spatialocc.datasets.build_us.raw_files import (
    RAW_FILES,
    RawDataFormatError,
    RawDataMissingError,
    RawFile,
    check_raw,
)
from spatialocc.datasets.build_us.read_cbsa import gazetteer_name
from spatialocc.datasets.build_us.wages import WageFit
from spatialocc.datasets.industries import CROSSWALK

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
    "LOCAL_DEMAND_REPAIR_1980",
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
    "TABLE1",
    "THETA",
    "TRADABLE",
    "TRADE_COST",
    "USE_YEARS",
    "WAGE_SLOPES",
    "YEARS",
    "InputOutput",
    "Measured1980",
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
