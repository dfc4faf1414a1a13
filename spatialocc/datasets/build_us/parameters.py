"""Fixed inputs of the US build; nothing here reads a file.

The seed of the imputation draws, the years and occupations; where the built file goes and
the command that rebuilds it; the parameters and calibration targets taken from the paper;
the [choices] that stand in for the missing 1980 data; and the years of the BEA tables
that are averaged.
"""

from __future__ import annotations

from pathlib import Path

from spatialocc.datasets.industries import COMPOSITE
from spatialocc.dims.schema import REAL_ESTATE

#: Seed of the random generator of the imputation model.
SEED = 20150
YEARS = (1980, 2015)
OCCUPATIONS = ("CNR", "nonCNR")
#: Default destination of the built file: inside the package, so that it ships with it.
PACKAGED_PATH = Path(__file__).resolve().parent.parent / "data" / "us.nc"
BUILD_COMMAND = "python -m spatialocc.datasets.build_us --raw ../shared/data/raw"

# -- parameters and calibration targets taken from the paper -------------------------------------
THETA, NU, EPSILON = 10.0, 2.02, 2.0
PAPER = "Cognitive Hubs paper"
#: Real estate's consumption share: the paper's "close to 20 percent" (section 4.2).
ALPHA_REAL_ESTATE = 0.20
#: Correlations across CBSAs (section 2): log size with the CNR share, and with the premium.
CORR_SIZE_SHARE = 0.57
CORR_SIZE_PREMIUM = 0.40
#: CNR shares at the 76th and 95th percentiles across CBSAs (section 4.7: Winston-Salem, Austin).
SHARE_P76, SHARE_P95 = 0.36, 0.42
#: Table 1: univariate OLS slopes of log wages on log size, log CNR ratio and CNR share.
TABLE1 = {
    "CNR": {"log_size": 0.059, "log_cnr_ratio": 0.338, "cnr_share": 1.499},
    "nonCNR": {"log_size": 0.050, "log_cnr_ratio": 0.223, "cnr_share": 0.993},
    "premium": {"log_size": 0.022, "log_cnr_ratio": 0.115, "cnr_share": 0.506},
}
#: Slopes the imputed wages reproduce exactly. The CNR-share column of Table 1 is consistent
#: (1.499 - 0.993 = 0.506) and is kept; the log-size column is not (0.059 - 0.050 = 0.009, not
#: the premium's 0.022), so the premium's 0.022 is kept and split evenly around the mean of the
#: two occupations' slopes (0.0545): 0.0655 for CNR and 0.0435 for nonCNR [choice].
_SIZE_MEAN = (TABLE1["CNR"]["log_size"] + TABLE1["nonCNR"]["log_size"]) / 2
WAGE_SLOPES = {
    "CNR": {
        "log_size": _SIZE_MEAN + TABLE1["premium"]["log_size"] / 2,
        "cnr_share": TABLE1["CNR"]["cnr_share"],
    },
    "nonCNR": {
        "log_size": _SIZE_MEAN - TABLE1["premium"]["log_size"] / 2,
        "cnr_share": TABLE1["nonCNR"]["cnr_share"],
    },
}

# -- 1980 stand-ins [choices] ----------------------------------------------------------------
#: National CNR share of employment in 1980 [choice]: about 0.26, the 1980 Census share of
#: "managerial and professional specialty" plus "technicians" occupations (roughly SOC 11-29).
CNR_SHARE_1980 = 0.26
#: Log-shrinkage of 1980 non-tradable employment shares towards the national share, in the
#: cities of ``LOCAL_DEMAND_REPAIR_1980`` only [choice].
NONTRADABLE_SHRINK_1980 = 0.5
#: CBSAs whose measured 1980 non-tradable employment exceeds local demand in the model, so
#: that the 1980 inversion fails with the measured mix (found by building without repair and
#: inverting): Farmington, NM (22140), where construction and utilities are 34% of employed
#: persons in 1980 (the Four Corners and San Juan power plants) [choice].
LOCAL_DEMAND_REPAIR_1980 = ("22140",)
#: Social Security national average wage index, 1980 and 2015 (dollars) [choice: nominal scale].
AWI_1980, AWI_2015 = 12_513.46, 48_098.63
#: 1980 log CNR premium as a fraction of the 2015 one [choice]: the college wage premium rose
#: from about 0.4 to about 0.65 log points between 1980 and the 2010s.
PREMIUM_RATIO_1980 = 0.6
#: Years of BEA Use tables averaged for 2015 (the paper) and the 1980 stand-in.
USE_YEARS = {2015: (2011, 2012, 2013, 2014, 2015), 1980: (1997,)}
#: Years of Regional Price Parities averaged for 2015 (the 2011-2015 window).
RPP_YEARS = ("2011", "2012", "2013", "2014", "2015")
RPP_LINES = {REAL_ESTATE: "3", COMPOSITE: "5"}

# -- 2015 measured occupation mix --------------------------------------------------------------
#: Raking of 2015 employment to its three margins: stop when every margin holds to this
#: relative error; fail after this many iterations.
IPF_TOLERANCE = 1e-12
IPF_MAX_ITERATIONS = 10_000
