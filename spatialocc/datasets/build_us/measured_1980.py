"""The 1980 allocation from the NHGIS 1980 county table (read through :mod:`.read_nhgis`).

- Industry mix: employed persons 16+ of the 14 private industry groups (dia001-014; public
  administration, dia015, is left out as government is not in the model) summed over each
  CBSA's July 2015 counties. A group covering several of the 22 industries is split in
  proportion to the city's 2015 CBP employment of the NAICS codes of those industries that
  the group covers (``NAICS_GROUP_1980``); where the city has none, in proportion to the
  national 2015 pattern [choice].
- City totals: the NHGIS employed persons of the 14 groups times one national factor that
  keeps the national level of earlier versions, the 1980 population times the 2015 ratio of
  employment to population [choice: a measured cross-city distribution, the 2015 coverage of
  the CBP counts].
- National industry totals (imputed): each industry's cells times one national factor,
  chosen so that each industry's share of the national wage bill moves from 2015 like its
  share of BEA compensation from 2011-2015 to 1997 (a fixed point, as wages depend on the
  allocation) [choice]: 1980 uses the 1997 input-output table, and the measured 1980
  national mix is inconsistent with it (with the measured mix, national intermediate demand
  for professional services exceeds its output and the inversion fails). The cross-city
  distribution of every industry stays the measured one.
- Local demand repair: in the CBSAs of ``LOCAL_DEMAND_REPAIR_1980`` the measured
  non-tradable employment exceeds local demand in the model; their non-tradable shares are
  shrunk halfway (in logs) towards the national shares [choice], and those cells are
  flagged unmeasured.
- Occupations: each city's CNR share is anchored on its 1980 college share (persons 25+ with
  4+ years of college, dhm005 over dhm001-005): logit S[n] = logit college[n] + kappa, one
  national kappa giving the national CNR share ``CNR_SHARE_1980`` [choice]; the industries'
  national CNR shares are the ACS 2015 ones moved by one common logit shift to the same
  national total; L[k,j,n] is raked to the three margins as in 2015.
- Wages: each city's average wage, BEA 1980 wages and salaries over NHGIS employed persons
  (:mod:`.wages_1980`), split between CNR and nonCNR with the national 1980 premium in every
  city [choice: no 1980 source by occupation and city], times one national factor to the
  1980 national levels of :func:`.impute_1980._national_wage_1980`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, special

from spatialocc.datasets.build_us.crosswalks import INDUSTRIES, TRADABLE, group_1980
from spatialocc.datasets.build_us.employment import naics_codes_used
from spatialocc.datasets.build_us.measured_2015 import _rake3
from spatialocc.datasets.build_us.parameters import (
    CNR_SHARE_1980,
    LOCAL_DEMAND_REPAIR_1980,
    NONTRADABLE_SHRINK_1980,
)
from spatialocc.datasets.build_us.raw_files import RawDataFormatError
from spatialocc.datasets.build_us.read_cbp_acs import _read_cbp
from spatialocc.datasets.build_us.read_nhgis import (
    ARMED_FORCES_1980,
    EDUCATION_1980,
    INDUSTRY_GROUPS_1980,
    _read_nhgis_1980,
)
from spatialocc.datasets.build_us.wages import WageFit
from spatialocc.datasets.build_us.wages_1980 import _average_wage_1980

N_GROUPS = 14  # dia001-014


@dataclass(frozen=True)
class Measured1980:
    employment: np.ndarray  # L[k, j, n]
    groups: np.ndarray  # NHGIS employed persons by group and city (14, N)
    college_share: np.ndarray  # (N,)
    measured_mix: np.ndarray  # L[j, n] from NHGIS before the national industry totals
    national_factor: float  # city totals = factor x NHGIS employed of the 14 groups
    logit_shift: float  # kappa
    industry_factor: np.ndarray  # (J,) national factor per industry
    measured: np.ndarray  # (J, N) False where the industry x city cell was repaired
    fallback: list[str]  # "<cbsa> <group>" split by the national pattern
    ipf_iterations: int
    wages: WageFit
    fixed_point_iterations: int
    mean_wage: np.ndarray  # BEA wages / NHGIS employed, dollars of 1980, (N,)
    wage_factor: float  # national factor of the 1980 wages


def _cbp_by_group(raw: Path, codes: list[str]) -> np.ndarray:
    """CBP 2019 employment E[g, j, n] of the NAICS codes of industry j in 1980 group g."""
    cbp = _read_cbp(raw)
    cbp = cbp[cbp["cbsa_code"].isin(codes)]
    used = naics_codes_used(cbp)
    present = set(cbp["naics_code"])
    out = np.zeros((N_GROUPS, len(INDUSTRIES), len(codes)))
    column = {c: i for i, c in enumerate(codes)}
    for j, industry in enumerate(INDUSTRIES):
        for code in used[industry]:
            parts = [code]
            if code == "72":  # hotels and eating places sit in different 1980 groups
                parts = sorted(c for c in present if len(c) == 3 and c.startswith("72"))
            for part in parts:
                rows = cbp[cbp["naics_code"] == part]
                emp = rows.groupby("cbsa_code")["EMP"].sum()
                idx = [column[c] for c in emp.index]
                out[group_1980(part) - 1, j, idx] += emp.to_numpy(dtype=float)
    return out


def _measured_1980(
    raw: Path,
    counties: pd.DataFrame,
    codes: list[str],
    size80_population: np.ndarray,
    national_share: np.ndarray,
    bill_target: np.ndarray,
    national_wage80: dict[str, float],
    county_names: pd.Series,
) -> Measured1980:
    """The 1980 allocation (module docstring); ``size80_population`` is the 1980 population
    times the 2015 employment-to-population ratio (its sum sets the national level);
    ``bill_target`` the industries' target shares of the 1980 wage bill; wages by
    :func:`_wages_1980` around the 1980 national levels; ``county_names`` (as in
    ``cencounts``) place the BEA combination units."""
    nhgis = _read_nhgis_1980(raw)
    by_city = counties.join(nhgis, on="county").groupby("cbsa")
    table = by_city[list(INDUSTRY_GROUPS_1980 + EDUCATION_1980)].sum(min_count=1).reindex(codes)
    if table.isna().any().any():
        raise RawDataFormatError(
            "CBSAs without any county in the NHGIS 1980 table: "
            + ", ".join(table.index[table.isna().any(axis=1)])
        )
    groups = table[list(INDUSTRY_GROUPS_1980[:N_GROUPS])].to_numpy().T  # (14, N)
    employed = nhgis[list(INDUSTRY_GROUPS_1980 + ARMED_FORCES_1980)].sum(axis=1)
    _, _, mean_wage = _average_wage_1980(raw, counties, codes, employed, county_names)
    education = table[list(EDUCATION_1980)].to_numpy()
    college = education[:, -1] / education.sum(axis=1)

    cbp = _cbp_by_group(raw, codes)  # (14, J, N)
    national = cbp.sum(axis=2)  # (14, J)
    fallback = []
    L_jn = np.zeros((len(INDUSTRIES), len(codes)))
    for g in range(N_GROUPS):
        weight = cbp[g]
        total = weight.sum(axis=0)
        empty = total <= 0
        fallback += [f"{codes[n]} {INDUSTRY_GROUPS_1980[g]}" for n in np.flatnonzero(empty)]
        pattern = np.where(empty[None, :], national[g][:, None], weight)
        L_jn += groups[g][None, :] * pattern / pattern.sum(axis=0, keepdims=True)
    factor = float(size80_population.sum() / L_jn.sum())
    measured_mix = L_jn * factor
    repaired = np.isin(np.asarray(codes), LOCAL_DEMAND_REPAIR_1980)
    seed = _repair_local_services(measured_mix, repaired)
    target = bill_target / bill_target.sum()
    industry = seed.sum(axis=1)
    for _iteration in range(1, 501):
        industry *= measured_mix.sum() / industry.sum()
        mix = seed * (industry / seed.sum(axis=1))[:, None]
        L, kappa, ipf = _split_occupations(mix, college, national_share)
        wages, wage_factor = _wages_1980(L, mean_wage, national_wage80)
        bill = np.einsum("kn,kjn->j", np.exp(wages.log_wage), L)
        ratio = target / (bill / bill.sum())
        if np.max(np.abs(ratio - 1.0)) < 1e-10:
            break
        industry *= ratio
    else:  # pragma: no cover - the fixed point is a contraction in practice
        raise ValueError("the 1980 industry-total fixed point did not converge")
    measured = np.ones_like(mix, dtype=bool)
    measured[np.ix_(~TRADABLE, repaired)] = False
    return Measured1980(
        L,
        groups,
        college,
        measured_mix,
        factor,
        kappa,
        industry / seed.sum(axis=1),
        measured,
        fallback,
        ipf,
        wages,
        _iteration,
        mean_wage,
        wage_factor,
    )


def _repair_local_services(mix: np.ndarray, cities: np.ndarray) -> np.ndarray:
    """``mix`` with the non-tradables' shares of employment in ``cities`` shrunk halfway (in
    logs) towards their national shares, the tradable cells unchanged [choice]: the model
    has non-tradables serve local wage income only, and in these cities the measured 1980
    employment of local services exceeds that demand (the 1980 inversion fails there)."""
    out = mix.copy()
    size = mix[:, cities].sum(axis=0)
    national = mix[~TRADABLE].sum(axis=1, keepdims=True) / mix.sum()
    local = mix[np.ix_(~TRADABLE, cities)] / size
    shrink = NONTRADABLE_SHRINK_1980
    out[np.ix_(~TRADABLE, cities)] = (
        np.exp((1 - shrink) * np.log(local) + shrink * np.log(national)) * size
    )
    return out


def _wages_1980(
    L: np.ndarray, mean_wage: np.ndarray, national: dict[str, float]
) -> tuple[WageFit, float]:
    """1980 wages by occupation and city: the city's measured average wage split with the
    national CNR premium in every city [choice], times one national factor setting the
    employment-weighted mean of log w[nonCNR,n] to log ``national["nonCNR"]`` (and so that
    of CNR to log ``national["CNR"]``)."""
    premium = national["CNR"] / national["nonCNR"]
    share = L[0].sum(axis=0) / L.sum(axis=(0, 1))
    log_base = np.log(mean_wage / (share * premium + 1 - share))
    weight = L[1].sum(axis=0)
    a = np.log(national["nonCNR"]) - (weight * log_base).sum() / weight.sum()
    log_wage = np.stack([log_base + a + np.log(premium), log_base + a])
    return WageFit(log_wage, {}, 0.0), float(np.exp(a))


def _split_occupations(
    L_jn: np.ndarray, college: np.ndarray, national_share: np.ndarray
) -> tuple[np.ndarray, float, int]:
    """L[k,j,n]: city CNR shares anchored on the college share, industries' on the ACS 2015
    shares, both moved to the national CNR_SHARE_1980, raked to the three margins."""
    size = L_jn.sum(axis=0)
    industry = L_jn.sum(axis=1)
    target = CNR_SHARE_1980 * size.sum()

    def city_gap(kappa: float) -> float:
        return float((special.expit(special.logit(college) + kappa) * size).sum() - target)

    def industry_gap(shift: float) -> float:
        return float(
            (special.expit(special.logit(national_share) + shift) * industry).sum() - target
        )

    kappa = optimize.brentq(city_gap, -10.0, 10.0, xtol=1e-14)
    shift = optimize.brentq(industry_gap, -10.0, 10.0, xtol=1e-14)
    city_share = special.expit(special.logit(college) + kappa)
    industry_share = special.expit(special.logit(national_share) + shift)
    L, iterations, _ = _rake3(
        L_jn,
        np.stack([city_share * size, (1 - city_share) * size]),
        np.stack([industry_share * industry, (1 - industry_share) * industry]),
    )
    return L, float(kappa), iterations
