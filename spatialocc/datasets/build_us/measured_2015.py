"""The 2015 occupation mix and wages by metro, measured: OEWS May 2025 metro totals (read
through :mod:`.read_oews`) brought to 2011-2015 by national factors only, and the occupation
x industry x city employment made consistent with three margins by iterative proportional
fitting.

- Occupation totals by city: each metro's OEWS CNR share (SOC 11-29 over all major groups)
  moved by one common logit shift so that the CNR total over the 382 CBSAs equals the ACS
  2015 one of the CBP industry mix (the national factor of employment), times the city's CBP
  employment. Metros without OEWS data keep the imputed city share of :mod:`.occupations`.
- Industry totals by city: CBP (:mod:`.employment`); occupation totals by industry: the ACS
  2015 national CNR share of each industry times its CBP national employment.
- The three-way table L[k,j,n] is the raking of a constant seed to the three two-way margins
  (the log-linear model without three-way interaction: logit s[j,n] = a[j] + b[n]).
- Wages: log w[k,n] = log(OEWS May 2025 mean annual wage[k,n]) + a[k], one national factor
  a[k] per occupation setting the employment-weighted mean of log w[k,n] over the 382 CBSAs
  to the log ACS 2015 national median earnings (the level convention of :mod:`.wages`);
  metros without OEWS data keep the imputed wages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from spatialocc.datasets.build_us.parameters import IPF_MAX_ITERATIONS, IPF_TOLERANCE
from spatialocc.datasets.build_us.prices import _area_crosswalk
from spatialocc.datasets.build_us.read_oews import OewsMetros


@dataclass(frozen=True)
class Measured2015:
    """The 2015 allocation with OEWS occupation totals and wages by metro."""

    employment: np.ndarray  # L[k, j, n]
    log_wage: np.ndarray  # (2, N)
    measured: np.ndarray  # (N,) bool: the city has OEWS data
    match: dict[str, str]  # 2015 CBSA -> OEWS area (2023 delineation)
    logit_shift: float  # national factor of the OEWS CNR shares
    wage_factor: dict[str, float]  # national factor of the OEWS mean wages, by occupation
    oews_share: float  # OEWS national CNR share over the matched metros
    ipf_iterations: int
    ipf_max_error: float


def _rake3(
    cells: np.ndarray, occupation_city: np.ndarray, occupation_industry: np.ndarray
) -> tuple[np.ndarray, int, float]:
    """L[k,j,n] >= 0 with sum_k L = ``cells`` (j, n), sum_j L = ``occupation_city`` (k, n) and
    sum_n L = ``occupation_industry`` (k, j), raked from a constant seed (zero where ``cells``
    is zero) until every margin holds to IPF_TOLERANCE (relative)."""
    K = occupation_city.shape[0]
    L = np.broadcast_to(cells / K, (K, *cells.shape)).copy()

    def ratio(target: np.ndarray, got: np.ndarray) -> np.ndarray:
        return np.divide(target, got, out=np.zeros_like(target), where=got > 0)

    def error() -> float:
        gaps = [
            (L.sum(axis=0), cells),
            (L.sum(axis=1), occupation_city),
            (L.sum(axis=2), occupation_industry),
        ]
        return max(float(np.max(np.abs(g - t) / np.maximum(t, 1.0))) for g, t in gaps)

    for iteration in range(1, IPF_MAX_ITERATIONS + 1):
        L *= ratio(occupation_city, L.sum(axis=1))[:, None, :]
        L *= ratio(occupation_industry, L.sum(axis=2))[:, :, None]
        L *= ratio(cells, L.sum(axis=0))[None, :, :]
        err = error()
        if err < IPF_TOLERANCE:
            return L, iteration, err
    raise ValueError(
        f"the raking of 2015 employment to its three margins did not converge in "
        f"{IPF_MAX_ITERATIONS} iterations (largest relative margin error {err:.2e})"
    )


def _measured_2015(
    cities: pd.DataFrame,
    oews: OewsMetros,
    L15_jn: np.ndarray,
    national_share: np.ndarray,
    imputed_city_share: np.ndarray,
    imputed_log_wage: np.ndarray,
    national_wage: dict[str, float],
) -> Measured2015:
    """The 2015 allocation and wages with OEWS metro data (see the module docstring);
    ``imputed_*`` are the imputations kept for metros without OEWS data."""
    names = {c: n for c, n in oews.names.items() if c in oews.employment.index}
    match = _area_crosswalk(cities, names)
    codes = list(cities.index)
    measured = np.array([c in match for c in codes])
    area = [match[c] for c in codes if c in match]
    emp = oews.employment.loc[area]
    oews_share = (emp["CNR"] / emp.sum(axis=1)).to_numpy()
    size = L15_jn.sum(axis=0)
    target = float((national_share * L15_jn.sum(axis=1)).sum())
    fixed = float((imputed_city_share * size)[~measured].sum())

    def gap(shift: float) -> float:
        s = special.expit(special.logit(oews_share) + shift)
        return float((s * size[measured]).sum()) + fixed - target

    shift = optimize.brentq(gap, -5.0, 5.0, xtol=1e-14)
    city_share = imputed_city_share.copy()
    city_share[measured] = special.expit(special.logit(oews_share) + shift)
    occupation_city = np.stack([city_share * size, (1 - city_share) * size])
    industry = L15_jn.sum(axis=1)
    occupation_industry = np.stack([national_share * industry, (1 - national_share) * industry])
    L, iterations, err = _rake3(L15_jn, occupation_city, occupation_industry)

    log_wage = imputed_log_wage.copy()
    log_oews = np.log(oews.wage.loc[area].to_numpy().T)  # (2, measured)
    factor = {}
    for k, occ in enumerate(("CNR", "nonCNR")):
        w = L[k].sum(axis=0)
        rest = (w * imputed_log_wage[k])[~measured].sum()
        a = (np.log(national_wage[occ]) * w.sum() - rest) / w[measured].sum() - (
            (w[measured] * log_oews[k]).sum() / w[measured].sum()
        )
        log_wage[k, measured] = log_oews[k] + a
        factor[occ] = float(np.exp(a))
    overall = float(emp["CNR"].sum() / emp.to_numpy().sum())
    return Measured2015(
        L, log_wage, measured, match, float(shift), factor, overall, iterations, err
    )
