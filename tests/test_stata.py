"""feiv against Stata's ``ivregress`` on published output.

The data and Stata's results are linearmodels' test files (``linearmodels/tests/iv/results``,
Kevin Sheppard, NCSA licence in ``tests/data/stata/LICENSE-linearmodels.md``): a simulated data
set (500 observations, Stata 13: ``ivregress 2sls|liml|gmm`` with one or two endogenous
regressors, with and without exogenous regressors, ``vce()``/``wmatrix()`` unadjusted, robust
and clustered, ``small``, ``noconstant``, ``center``, ``[aweight=weights]``), and Stata's
``hsng`` example (``ivregress ... rent pcturban (hsngval = faminc i.region)``). The results
file holds 12 significant digits; the HAC cases, which feiv does not offer, are skipped.
"""

from __future__ import annotations

import gzip
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialocc.estimate import feiv

HERE = Path(__file__).parent / "data" / "stata"
RTOL = 1e-8


def parse_results(text: str) -> dict[str, dict]:
    """Blocks of ``estout`` output: coefficients (b, t), scalars, and e(V)."""
    blocks: dict[str, dict] = {}
    for chunk in re.split(r"#{10} !", text)[1:]:
        key, body = chunk.split("! ##########", 1)
        estimates, _, rest = body.partition("********* Variance *************")
        variance = rest.split("********* GMM Weight")[0]
        rows = [line.split("\t") for line in estimates.strip().splitlines()]
        params, stats, last = {}, {}, None
        for row in rows[2:]:
            if row[0] == "" and last is not None:
                params[last].append(float(row[1]))
            elif len(row) == 2 and row[1] not in ("", "."):
                try:
                    value = float(row[1])
                except ValueError:
                    continue
                stats[row[0]] = value
                params[row[0]] = [value]
                last = row[0]
        coefficients = {k: v[0] for k, v in params.items() if len(v) == 2}
        scalars = {k: v for k, v in stats.items() if k not in coefficients}
        lines = [line.split("\t") for line in variance.strip().splitlines()]
        names = [c for c in lines[1] if c]
        cells = [line[1 : 1 + len(names)] for line in lines[2:]]
        index = [line[0] for line in lines[2:]]
        cov = pd.DataFrame([[float(v) for v in row] for row in cells], index, names)
        digits = pd.DataFrame([[significant(v) for v in row] for row in cells], index, names)
        rename = {"_cons": "Intercept"}
        blocks[key] = {
            "params": pd.Series(coefficients).rename(index=rename),
            "stats": scalars,
            "cov": cov.rename(index=rename, columns=rename),
            "digits": digits.rename(index=rename, columns=rename),
            "t": pd.Series({k: v[1] for k, v in params.items() if len(v) == 2}).rename(rename),
        }
    return blocks


def significant(text: str) -> int:
    """Significant digits printed in ``text`` (estout prints some small numbers with 7)."""
    mantissa = text.lower().split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    return max(len(mantissa), 1)


def assert_matches(fit, reference: dict, *, j: bool) -> None:
    names = list(reference["params"].index)
    assert sorted(fit.names) == sorted(names)
    np.testing.assert_allclose(fit.coef()[names], reference["params"], rtol=RTOL, atol=0)
    # t statistics carry 11-12 digits: the standard errors to 1e-8
    np.testing.assert_allclose(fit.tstat()[names], reference["t"], rtol=RTOL, atol=0)
    # e(V) to 1e-8 or, where estout printed fewer digits, to the last digit printed
    cov = fit.vcov.loc[names, names].to_numpy()
    expected = reference["cov"].loc[names, names].to_numpy()
    digits = reference["digits"].loc[names, names].to_numpy()
    tolerance = np.maximum(RTOL, 0.5 * 10.0 ** (1 - digits)) * np.abs(expected)
    assert np.all(np.abs(cov - expected) <= tolerance), (cov, expected)
    if j:
        np.testing.assert_allclose(fit.j_stat, reference["stats"]["J"], rtol=1e-7, atol=1e-9)


# -- the simulated data ------------------------------------------------------------------------

SIMULATED = parse_results(
    gzip.decompress((HERE / "stata-iv-simulated-results.txt.gz").read_bytes()).decode()
)
SIM_KEYS = sorted(k for k in SIMULATED if "hac" not in k)
VCOV = {"unadjusted": "iid", "robust": "hetero", "cluster": {"CRV1": "cluster_id"}}
DEPVAR = {"unadjusted": "y_unadjusted", "robust": "y_robust", "cluster": "y_clustered"}


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return pd.read_stata(HERE / "simulated-data.dta")


def sim_call(key: str) -> tuple[str, dict]:
    match = re.fullmatch(
        r"(\w+)-num_endog_(\d)-num_exog_(\d)-num_instr_(\d)-weighted_(\w+)-"
        r"(?:vce|wmatrix)\((\w+)[^)]*\)-(.*)",
        key,
    )
    method, n_endog, n_exog, n_instr, weighted, vce, other = match.groups()
    endog = " + ".join(["x1", "x2"][: int(n_endog)])
    instruments = " + ".join(["z1", "z2"][: int(n_instr)])
    exog = " + ".join(["x3", "x4", "x5"][: 3 if int(n_exog) else 0])
    if "noconstant" in other:
        exog = f"0 + {exog}" if exog else "0"
    formula = f"{DEPVAR[vce]} ~ {exog or '1'} | {endog} ~ {instruments}"
    options = {
        "method": method,
        "vcov": VCOV[vce],
        "weights": "weights" if weighted == "True" else None,
        "small": "small" in other,
        "center": "center" in other,
    }
    return formula, options


def test_the_published_file_has_every_case():
    # 3 methods x 3 covariances x (exog) x (1 or 2 endogenous: 3 combinations) x options x 2
    assert len(SIM_KEYS) == 576
    assert {sim_call(k)[1]["method"] for k in SIM_KEYS} == {"2sls", "liml", "gmm"}


@pytest.mark.parametrize("key", SIM_KEYS)
def test_simulated_data_matches_stata(simulated, key):
    formula, options = sim_call(key)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = feiv(formula, simulated, **options)
    assert fit.nobs == len(simulated)
    overidentified = fit.j_df > 0
    assert_matches(fit, SIMULATED[key], j=options["method"] == "gmm" and overidentified)


# -- Stata's housing example -------------------------------------------------------------------

HOUSING = parse_results((HERE / "stata-iv-housing-results.txt").read_text())
HOUSING_VCOV = {"unadjusted": "iid", "robust": "hetero", "cluster": {"CRV1": "division"}}


@pytest.mark.parametrize("key", sorted(HOUSING))
def test_housing_matches_stata(key):
    method, vce, small = key.split("-")
    data = pd.read_csv(HERE / "housing.csv")
    fit = feiv(
        "rent ~ pcturban | hsngval ~ faminc + C(region)",
        data,
        method=method,
        vcov=HOUSING_VCOV[vce],
        small=small == "small",
    )
    assert fit.nobs == 50
    assert_matches(fit, HOUSING[key], j=method == "gmm")
    if small == "small" and vce == "cluster":
        assert fit.df_t == 9 - 1  # t with G - 1 degrees of freedom, as Stata
