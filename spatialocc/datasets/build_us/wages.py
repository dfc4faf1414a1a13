"""Wages by occupation and city: national levels shifted across cities by the elasticities
of the paper's Table 1, with the premium noise calibrated to the size correlation of the
premium.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from spatialocc.datasets.build_us.parameters import CORR_SIZE_PREMIUM, WAGE_SLOPES


def _ols_slope(y: np.ndarray, x: np.ndarray) -> float:
    xc = x - x.mean()
    return float((xc * (y - y.mean())).sum() / (xc * xc).sum())


def _wage_coefficients(
    log_size: np.ndarray, share: np.ndarray, noise: np.ndarray, table1: dict[str, float]
) -> tuple[float, float]:
    """(b_size, b_share) of ``b_size * log_size + b_share * share + noise`` whose univariate
    OLS slopes on log size and on the CNR share equal Table 1's."""
    x1, x2 = log_size - log_size.mean(), share - share.mean()
    v1, v2, c12 = (x1 * x1).mean(), (x2 * x2).mean(), (x1 * x2).mean()
    a = np.array([[1.0, c12 / v1], [c12 / v2, 1.0]])
    rhs = np.array(
        [
            table1["log_size"] - (x1 * noise).mean() / v1,
            table1["cnr_share"] - (x2 * noise).mean() / v2,
        ]
    )
    b = np.linalg.solve(a, rhs)
    return float(b[0]), float(b[1])


@dataclass(frozen=True)
class WageFit:
    log_wage: np.ndarray  # (2, N)
    coefficients: dict[str, tuple[float, float]]
    premium_noise: float


def _wages(
    L_kn: np.ndarray,
    national: dict[str, float],
    v: np.ndarray,
    premium_noise: float | None,
) -> WageFit:
    """Log wages by occupation and city: national levels shifted by Table 1's elasticities.

    ``log w[k,n] = a[k] + b1[k] log L[n] + b2[k] S[n] +/- sigma v[n] / 2`` with (b1, b2)
    reproducing the univariate slopes of ``WAGE_SLOPES`` exactly, ``sigma`` calibrated so
    that corr(log size, log premium) = 0.4 when ``premium_noise`` is None, and a[k] setting
    the employment-weighted mean of log w[k,n] to log ``national[k]``.
    """
    size = L_kn.sum(axis=0)
    log_size, share = np.log(size), L_kn[0] / size

    def build(sigma: float) -> tuple[np.ndarray, dict[str, tuple[float, float]]]:
        out, coef = np.empty((2, size.size)), {}
        for k, (occ, sign) in enumerate((("CNR", 0.5), ("nonCNR", -0.5))):
            noise = sign * sigma * v
            b1, b2 = _wage_coefficients(log_size, share, noise, WAGE_SLOPES[occ])
            y = b1 * log_size + b2 * share + noise
            out[k] = y - (y * L_kn[k]).sum() / L_kn[k].sum() + np.log(national[occ])
            coef[occ] = (b1, b2)
        return out, coef

    if premium_noise is None:

        def gap(sigma: float) -> float:
            w, _ = build(sigma)
            return float(np.corrcoef(log_size, w[0] - w[1])[0, 1] - CORR_SIZE_PREMIUM)

        premium_noise = 0.0 if gap(0.0) <= 0 else optimize.brentq(gap, 0.0, 2.0, xtol=1e-14)
    log_wage, coef = build(premium_noise)
    return WageFit(log_wage, coef, float(premium_noise))
