"""Tables of the paper's evidence and how tables are written: Table 1 (section 2), and
every table of a run as CSV and Markdown.

The Figure 2 prediction, a model prediction rather than a table, stays in
:mod:`spatialocc.estimate.tables`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd
import xarray as xr

from spatialocc.dims.errors import MissingVariableError
from spatialocc.dims.io import atomic_path
from spatialocc.estimate.design import _single_economy
from spatialocc.estimate.errors import _check_option

Table1Weights = Literal["none", "employment"]
Table1Covariance = Literal["robust", "classical"]


def _univariate(
    y: np.ndarray, x: np.ndarray, w: np.ndarray, cov_type: str
) -> tuple[float, float, int]:
    """Slope and standard error of the weighted OLS of y on (1, x): HC1 or classical."""
    keep = np.isfinite(y) & np.isfinite(x) & np.isfinite(w)
    y, x, w = y[keep], x[keep], w[keep]
    n = y.size
    if n < 3:
        return np.nan, np.nan, n
    root = np.sqrt(w)
    X = np.column_stack([np.ones(n), x]) * root[:, None]
    Y = y * root
    XtX_inv = np.linalg.inv(X.T @ X)
    beta = XtX_inv @ (X.T @ Y)
    e = Y - X @ beta
    if cov_type == "robust":
        meat = (X * e[:, None]).T @ (X * e[:, None])
        cov = XtX_inv @ meat @ XtX_inv * n / (n - 2)
    else:
        cov = XtX_inv * (e @ e) / (n - 2)
    return float(beta[1]), float(np.sqrt(cov[1, 1])), n


def table1(
    model: xr.Dataset,
    *,
    occupation: str = "CNR",
    weights: Table1Weights = "none",
    cov_type: Table1Covariance = "robust",
) -> pd.DataFrame:
    """Table 1: univariate city-level regressions of wages on city size and composition.

    Dependent variables: log w[k,n] of the focal occupation k (``occupation``), log wage of
    the other occupations (their employment-weighted mean wage; with two occupations, the
    other one's wage) and the log wage premium. Regressors, one at a time with an
    intercept: log L[n], log(L[k,n]/L[others,n]) and the share L[k,n]/L[n]. Cities where a
    variable is not finite (e.g. no workers of one group) are left out of that regression.

    Standard errors are heteroskedasticity-robust (HC1) by default. The paper's note says
    "clustered two-ways by city and by industry"; in a city-level regression every city is
    its own cluster and industries do not appear, so that clustering reduces to the robust
    one **[choice]**.

    Parameters
    ----------
    model
        A Dataset with ``wage`` and ``employment`` (data or model); one economy (batch
        dimensions of size 1 are dropped).
    occupation
        The focal (cognitive non-routine) occupation.
    weights
        ``"none"`` or ``"employment"`` (weighted by L[n], like Figure 1's marker sizes).
    cov_type
        ``"robust"`` (HC1) or ``"classical"``.

    Returns
    -------
    pandas.DataFrame
        Rows: dependent variables; columns: (regressor, ``estimate`` / ``std_error`` /
        ``nobs``).

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=30, n_industries=5, years=(2015,))
    >>> table = spatialocc.reports.table1(data)
    >>> table.shape
    (3, 9)
    >>> bool(table.loc["log(w[CNR]/w[nonCNR])", ("L[CNR,n]/L[n]", "estimate")] > 0)
    True
    """
    _check_option("weights", weights, get_args(Table1Weights))
    _check_option("cov_type", cov_type, get_args(Table1Covariance))
    model = _single_economy(model)
    for name in ("wage", "employment"):
        if name not in model:
            raise MissingVariableError(f"table1 needs {name!r}, which the Dataset lacks")
    labels = [str(o) for o in model["occupation"].values]
    if occupation not in labels:
        raise MissingVariableError(
            f"occupation {occupation!r} is not in the Dataset; expected one of {labels}"
        )
    if len(labels) < 2:
        raise ValueError("table1 compares occupations; the Dataset has only one")
    focal = model["occupation"] == model["occupation"].values[labels.index(occupation)]
    other = labels[1 - labels.index(occupation)] if len(labels) == 2 else "others"
    residents = model["employment"].sum("industry")
    L_k = residents.where(focal).sum("occupation")
    L_o = residents.where(~focal).sum("occupation")
    L = L_k + L_o
    wage = model["wage"]
    w_k = (wage * residents).where(focal).sum("occupation") / L_k
    w_o = (wage * residents).where(~focal).sum("occupation") / L_o
    with np.errstate(divide="ignore", invalid="ignore"):
        dependents = {
            f"log w[{occupation}]": np.log(w_k.values),
            f"log w[{other}]": np.log(w_o.values),
            f"log(w[{occupation}]/w[{other}])": np.log((w_k / w_o).values),
        }
        regressors = {
            "log L[n]": np.log(L.values),
            f"log(L[{occupation},n]/L[{other},n])": np.log((L_k / L_o).values),
            f"L[{occupation},n]/L[n]": (L_k / L).values,
        }
    w = L.values if weights == "employment" else np.ones(L.shape)
    columns = pd.MultiIndex.from_product(
        [list(regressors), ["estimate", "std_error", "nobs"]], names=["regressor", "statistic"]
    )
    table = pd.DataFrame(index=pd.Index(list(dependents), name="dependent"), columns=columns)
    for dep, y in dependents.items():
        for reg, x in regressors.items():
            beta, se, n = _univariate(y, x, w, cov_type)
            table.loc[dep, (reg, "estimate")] = beta
            table.loc[dep, (reg, "std_error")] = se
            table.loc[dep, (reg, "nobs")] = n
    return table.astype(float)


# -- writing ----------------------------------------------------------------------------------


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (a temporary file in the same folder, renamed)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_table(frame: pd.DataFrame, folder: Path, name: str, *, title: str = "") -> list[Path]:
    """``name.csv`` and ``name.md`` (a Markdown table with ``title`` above it)."""
    csv = write_text(folder / f"{name}.csv", frame.to_csv())
    shown = frame.reset_index() if isinstance(frame.index, pd.MultiIndex) else frame.copy()
    if isinstance(shown.columns, pd.MultiIndex):
        shown.columns = [" ".join(str(c) for c in col if str(c)) for col in shown.columns]
    markdown = shown.to_markdown(floatfmt=".4g", index=not isinstance(frame.index, pd.MultiIndex))
    md = write_text(folder / f"{name}.md", (f"# {title}\n\n" if title else "") + markdown + "\n")
    return [csv, md]
