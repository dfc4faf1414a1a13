"""The occupation split of employment: national CNR shares by industry and national median
earnings from the ACS 2015 (read through :mod:`.read_cbp_acs`), and the calibrated sorting of
CNR shares across cities within industries.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import optimize, special, stats

from spatialocc.datasets.build_us.crosswalks import CNR_GROUP, NON_CNR_GROUPS
from spatialocc.datasets.build_us.parameters import CORR_SIZE_SHARE, SHARE_P76, SHARE_P95
from spatialocc.datasets.build_us.raw_files import RawDataFormatError
from spatialocc.datasets.build_us.read_cbp_acs import _acs_table
from spatialocc.datasets.industries import CROSSWALK


def _acs_national(raw: Path) -> tuple[np.ndarray, dict[str, float], float, float]:
    """National CNR share by industry, national medians by occupation, overall CNR share."""
    b24050 = _acs_table(raw, "acs_industry_occupation", "acs_industry_occupation_legend")
    b24011 = _acs_table(raw, "acs_earnings", "acs_earnings_legend")

    groups = (CNR_GROUP, *NON_CNR_GROUPS)
    totals: dict[str, float] = {}
    cnr: dict[str, float] = {}
    for key, value in b24050.items():
        parts = key.split("!!")
        if parts[0] == CNR_GROUP and len(parts) > 1:
            cnr[parts[-1]] = value  # CNR workers of an industry line
        elif key and parts[0] not in groups:
            totals[parts[-1]] = value  # all workers of an industry line
    share = np.empty(len(CROSSWALK))
    for j, cw in enumerate(CROSSWALK):
        missing = [a for a in cw.acs if a not in totals or a not in cnr]
        if missing:
            raise RawDataFormatError(f"ACS B24050 has no industry lines {missing}")
        share[j] = sum(cnr[a] for a in cw.acs) / sum(totals[a] for a in cw.acs)
    counts = np.array([b24050[g] for g in NON_CNR_GROUPS])
    medians = np.array([b24011[g] for g in NON_CNR_GROUPS])
    wages = {
        "CNR": b24011[CNR_GROUP],
        "nonCNR": float(np.exp(np.sum(counts * np.log(medians)) / counts.sum())),
    }
    overall = b24050[CNR_GROUP] / b24050[""]
    private = b24050[CNR_GROUP] - b24050[f"{CNR_GROUP}!!Public administration"]
    overall_private = private / (b24050[""] - b24050["Public administration"])
    return share, wages, overall, overall_private


def _cnr_shares(
    L: np.ndarray, base_logit: np.ndarray, deviation: np.ndarray, targets: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """CNR shares s[j,n] = expit(base[j] + c[j] + deviation[n]), with c[j] solving the
    national share of every industry (``targets``) or, when ``targets`` is None, c = 0."""
    c = np.zeros(L.shape[0])
    if targets is not None:
        for _ in range(100):
            s = special.expit(base_logit[:, None] + c[:, None] + deviation[None, :])
            gap = (s * L).sum(axis=1) / L.sum(axis=1) - targets
            slope = (s * (1 - s) * L).sum(axis=1) / L.sum(axis=1)
            c -= gap / slope
            if np.max(np.abs(gap)) < 1e-15:
                break
    return special.expit(base_logit[:, None] + c[:, None] + deviation[None, :]), c


def _city_share(s: np.ndarray, L: np.ndarray) -> np.ndarray:
    return (s * L).sum(axis=0) / L.sum(axis=0)


@dataclass(frozen=True)
class SortingFit:
    """Calibrated city deviation of CNR shares: ``delta[n] = loading * z[n] + spread * u[n]``."""

    loading: float
    spread: float
    industry_shift: np.ndarray
    shares: np.ndarray  # s[j, n]


def _calibrate_sorting(
    L: np.ndarray, national: np.ndarray, z: np.ndarray, u: np.ndarray
) -> SortingFit:
    """Fit (loading, spread) so that corr(log size, CNR share) = 0.57 and the spread of CNR
    shares across CBSAs matches the paper's 76th-95th percentile gap (normal quantiles)."""
    log_size = np.log(L.sum(axis=0))
    target_sd = (SHARE_P95 - SHARE_P76) / (stats.norm.ppf(0.95) - stats.norm.ppf(0.76))
    base = special.logit(national)

    def moments(p: np.ndarray) -> np.ndarray:
        s, _ = _cnr_shares(L, base, p[0] * z + p[1] * u, national)
        share = _city_share(s, L)
        return np.array(
            [np.corrcoef(log_size, share)[0, 1] - CORR_SIZE_SHARE, share.std() - target_sd]
        )

    solution = optimize.root(moments, x0=np.array([0.1, 0.2]), method="hybr", tol=1e-12)
    if not solution.success or np.max(np.abs(moments(solution.x))) > 1e-8:
        raise ValueError(f"the CNR-share calibration failed: {solution.message}")
    loading, spread = (float(x) for x in solution.x)
    s, c = _cnr_shares(L, base, loading * z + spread * u, national)
    return SortingFit(loading, spread, c, s)
