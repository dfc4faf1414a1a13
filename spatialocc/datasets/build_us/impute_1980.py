"""The 1980 allocation, imputed from 2015 and the 1980 city sizes: the industry mix raked to
those sizes and to wage-bill targets moved like BEA compensation shares, CNR shares with less
sorting, and wages at 1980 national levels (the [choices] of :mod:`.parameters`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from spatialocc.datasets.build_us.crosswalks import TRADABLE
from spatialocc.datasets.build_us.input_output import InputOutput
from spatialocc.datasets.build_us.occupations import SortingFit
from spatialocc.datasets.build_us.parameters import (
    AWI_1980,
    AWI_2015,
    CNR_SHARE_1980,
    NONTRADABLE_SHRINK_1980,
    PREMIUM_RATIO_1980,
    SORTING_1980,
)
from spatialocc.datasets.build_us.wages import WageFit, _wages


def _rake(seed: np.ndarray, rows: np.ndarray, cols: np.ndarray, tol: float = 1e-13) -> np.ndarray:
    """Iterative proportional fitting of a nonnegative matrix to row and column totals."""
    m = seed.astype(float).copy()
    for _ in range(10_000):
        m *= (rows / m.sum(axis=1))[:, None]
        m *= (cols / m.sum(axis=0))[None, :]
        if np.max(np.abs(m.sum(axis=1) / rows - 1.0)) < tol:
            break
    else:  # pragma: no cover - raking of strictly positive margins converges
        raise ValueError("raking of the 1980 employment matrix did not converge")
    return m


def _share_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a / a.sum()) / (b / b.sum())


@dataclass(frozen=True)
class Imputed1980:
    employment: np.ndarray  # L[k, j, n]
    wages: WageFit
    shift: float  # common logit shift of CNR shares
    iterations: int


def _impute_1980(
    L15_jn: np.ndarray,
    size80: np.ndarray,
    bill_target: np.ndarray,
    base_logit: np.ndarray,
    fit: SortingFit,
    u: np.ndarray,
    v: np.ndarray,
    premium_noise: float,
    national_wage80: dict[str, float],
) -> Imputed1980:
    """The 1980 allocation: the 2015 city-industry pattern (non-tradable shares shrunk halfway
    towards the national share) raked to 1980 city sizes and to
    industry totals chosen so that each industry's share of the national wage bill moves from
    2015 like its share of BEA compensation from 2011-2015 to 1997 (``bill_target``, a fixed
    point, since wages depend on the allocation); CNR shares with ``SORTING_1980`` times the
    2015 city deviation and a common shift giving the national share ``CNR_SHARE_1980``; wages
    from :func:`_wages` with the 1980 national levels."""
    log_size = np.log(size80)
    z = (log_size - log_size.mean()) / log_size.std()
    deviation = SORTING_1980 * (fit.loading * z + fit.spread * u)
    target = bill_target / bill_target.sum()
    industry = L15_jn.sum(axis=1) * target / (L15_jn.sum(axis=1) / L15_jn.sum())
    # Non-tradables serve local demand: their 2015 shares of city employment, whose outliers
    # (retirement and military towns) mostly grew after 1980, are shrunk halfway (in logs)
    # towards the national share before raking [choice].
    seed = L15_jn.copy()
    city = L15_jn.sum(axis=0)
    national = L15_jn[~TRADABLE].sum(axis=1, keepdims=True) / L15_jn.sum()
    local = L15_jn[~TRADABLE] / city
    shrink = NONTRADABLE_SHRINK_1980
    seed[~TRADABLE] = np.exp((1 - shrink) * np.log(local) + shrink * np.log(national)) * city
    for _iteration in range(1, 501):
        industry *= size80.sum() / industry.sum()
        L_jn = _rake(seed, industry, size80)

        def gap(shift: float, L_jn: np.ndarray = L_jn) -> float:
            s = special.expit(base_logit[:, None] + shift + deviation[None, :])
            return float((s * L_jn).sum() / L_jn.sum() - CNR_SHARE_1980)

        shift = optimize.brentq(gap, -5.0, 5.0, xtol=1e-14)
        s = special.expit(base_logit[:, None] + shift + deviation[None, :])
        L = np.stack([s * L_jn, (1 - s) * L_jn])
        wages = _wages(L.sum(axis=1), national_wage80, v, premium_noise)
        bill = np.einsum("kn,kjn->j", np.exp(wages.log_wage), L)
        ratio = target / (bill / bill.sum())
        if np.max(np.abs(ratio - 1.0)) < 1e-10:
            break
        industry *= ratio
    else:  # pragma: no cover - the fixed point is a contraction in practice
        raise ValueError("the 1980 industry-mix fixed point did not converge")
    return Imputed1980(L, wages, float(shift), _iteration)


def _national_wage_1980(national_wage: dict[str, float]) -> dict[str, float]:
    """1980 national wage levels: nonCNR = the 2015 level times the SSA average wage index
    ratio 1980/2015; CNR = nonCNR times the 2015 premium to the power
    ``PREMIUM_RATIO_1980``."""
    premium15 = national_wage["CNR"] / national_wage["nonCNR"]
    noncnr80 = national_wage["nonCNR"] * AWI_1980 / AWI_2015
    return {"nonCNR": noncnr80, "CNR": noncnr80 * premium15**PREMIUM_RATIO_1980}


def _bill_target_1980(
    wages15: WageFit, L15: np.ndarray, io15: InputOutput, io80: InputOutput
) -> np.ndarray:
    """Each industry's target share of the 1980 wage bill: its 2015 share, moved like its
    share of BEA compensation from 2011-2015 to 1997."""
    bill15 = np.einsum("kn,kjn->j", np.exp(wages15.log_wage), L15)
    return bill15 / bill15.sum() * _share_ratio(io80.compensation, io15.compensation)
