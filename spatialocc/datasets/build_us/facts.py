"""The paper's section-2 moments across cities: size correlations of the CNR share and the
CNR premium, Table 1's univariate slopes, and Figure 2's actual against industry-predicted
CNR wage-bill shares.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from spatialocc.datasets.build_us.parameters import OCCUPATIONS
from spatialocc.datasets.build_us.wages import _ols_slope


def _figure2(wage: np.ndarray, L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Actual CNR wage-bill share of each city and the one predicted by its industry mix."""
    bill = wage[:, None, :] * L  # (k, j, n)
    delta = bill[0].sum(axis=1) / bill.sum(axis=(0, 2))  # national CNR share of j's wage bill
    sigma = bill.sum(axis=0) / bill.sum(axis=(0, 1))[None, :]  # j's share of n's wage bill
    actual = bill[0].sum(axis=0) / bill.sum(axis=(0, 1))
    return actual, (delta[:, None] * sigma).sum(axis=0)


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation; NaN when either series is constant up to rounding (e.g. the 1980
    premium, the same in every city)."""
    for z in (x, y):
        if np.ptp(z) <= 1e-12 * max(1.0, float(np.abs(z).max())):
            return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def stylized_facts(wage: xr.DataArray, employment: xr.DataArray) -> dict[str, float]:
    """The paper's section-2 moments across cities for one year.

    Parameters
    ----------
    wage, employment
        ``wage`` on (occupation, city) and ``employment`` on (occupation, industry, city),
        with occupations ``CNR`` and ``nonCNR`` (for instance one year of the US dataset, or
        of the model returned by :func:`spatialocc.invert`).

    Returns
    -------
    dict
        ``corr_size_share`` (paper 0.57), ``corr_size_premium`` (0.4), ``slope_share_on_size``,
        ``slope_premium_on_size``, Table 1's univariate slopes ``table1_<dep>_<regressor>``,
        ``figure2_slope`` (OLS slope of the actual CNR wage-bill share on the industry-predicted
        one; above 1 in the paper) and ``figure2_corr``. Correlations with a series constant
        across cities are NaN.
    """
    w = wage.transpose("occupation", "city").sel(occupation=list(OCCUPATIONS)).to_numpy()
    L = (
        employment.transpose("occupation", "industry", "city")
        .sel(occupation=list(OCCUPATIONS))
        .to_numpy()
    )
    L_kn = L.sum(axis=1)
    size = L_kn.sum(axis=0)
    log_size, share = np.log(size), L_kn[0] / size
    log_ratio = np.log(L_kn[0] / L_kn[1])
    log_w = np.log(w)
    premium = log_w[0] - log_w[1]
    actual, predicted = _figure2(w, L)
    out = {
        "corr_size_share": _corr(log_size, share),
        "corr_size_premium": _corr(log_size, premium),
        "corr_share_premium": _corr(share, premium),
        "slope_share_on_size": _ols_slope(share, log_size),
        "slope_premium_on_size": _ols_slope(premium, log_size),
        "figure2_slope": _ols_slope(actual, predicted),
        "figure2_corr": _corr(actual, predicted),
        "share_p76": float(np.quantile(share, 0.76)),
        "share_p95": float(np.quantile(share, 0.95)),
    }
    regressors = {"log_size": log_size, "log_cnr_ratio": log_ratio, "cnr_share": share}
    deps = {"CNR": log_w[0], "nonCNR": log_w[1], "premium": premium}
    for dep, y in deps.items():
        for reg, x in regressors.items():
            out[f"table1_{dep}_{reg}"] = _ols_slope(y, x)
    return out
