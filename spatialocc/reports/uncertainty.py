"""Tables with the estimates' sampling error: the policy table and the paper comparison with
90% intervals over the draws of :func:`spatialocc.propagate`.

Each statistic is computed for every draw whose optimum converged, exactly as for the point
estimate (:func:`spatialocc.policy_summary`, :func:`spatialocc.reports.paper_comparison`), and
the interval is its 5% and 95% quantiles over draws; the median is given beside them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from spatialocc import paper
from spatialocc.reports.comparison import _value, paper_comparison
from spatialocc.reports.policy import policy_table

_PREFIX = "optimum.summary_"


def _converged(draws: xr.Dataset) -> xr.Dataset:
    if "optimum.converged" not in draws:
        raise KeyError(
            "the draws need the optimum: spatialocc.propagate(..., outputs=['optimum', ...])"
        )
    return draws.isel(draw=np.flatnonzero(draws["optimum.converged"].values))


def draw_summaries(draws: xr.Dataset, pair: tuple[str, str] | None = None) -> list[xr.Dataset]:
    """The policy summary (:func:`spatialocc.policy_summary`) of each converged draw."""
    kept = _converged(draws)
    names = [v for v in kept.data_vars if str(v).startswith(_PREFIX)]
    labels = [str(k) for k in kept["occupation"].values]
    a, b = pair or (("CNR", "nonCNR") if {"CNR", "nonCNR"} <= set(labels) else labels[:2])
    attrs = {"compared_occupations": f"{a} vs {b}", "wedge_difference": f"{a} minus {b}"}
    attrs["net_payer_occupation"] = a
    summaries = []
    for i in range(kept.sizes["draw"]):
        one = kept[names].isel(draw=i, drop=True)
        one = one.rename({v: str(v)[len(_PREFIX) :] for v in names}).reset_coords(drop=True)
        summaries.append(one.assign_attrs(attrs))
    return summaries


def _intervals(values: np.ndarray) -> dict[str, np.ndarray]:
    # cells that are NaN in every draw (a statistic without a value for a column) stay NaN
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
        return {
            "q05": np.nanquantile(values, 0.05, axis=0),
            "median": np.nanquantile(values, 0.5, axis=0),
            "q95": np.nanquantile(values, 0.95, axis=0),
        }


def policy_intervals(
    draws: xr.Dataset, point: xr.Dataset | None = None, pair: tuple[str, str] | None = None
) -> pd.DataFrame:
    """:func:`spatialocc.policy_table` with, for each column, the median and the 5% and 95%
    quantiles over the converged draws (``CNR q05``, ``CNR median``, ``CNR q95``, ...); the
    point estimates (``point``, a policy summary) first when given. The attribute
    ``n_draws`` and the column-free row ``draws`` say how many draws entered.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.reports.uncertainty import policy_intervals
    >>> from spatialocc.solvers.uncertainty import draw_parameters
    >>> import xarray as xr
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> model = spatialocc.invert(data).sel(year=2015)
    >>> est = xr.Dataset(
    ...     {
    ...         "estimate": (("occupation", "coefficient"), [[1.0, 0.3], [0.8, 0.3]]),
    ...         "covariance": (
    ...             ("occupation", "coefficient", "coefficient_2"),
    ...             [[[0.01, 0], [0, 0.001]], [[0.01, 0], [0, 0.001]]],
    ...         ),
    ...     },
    ...     coords={"occupation": ["CNR", "nonCNR"], "coefficient": ["tau_share", "tau_size"]},
    ... )
    >>> draws = spatialocc.propagate(model, est, n_draws=2, outputs=["optimum"])
    >>> table = policy_intervals(draws)
    >>> list(table.columns[:3]), table.attrs["n_draws"]
    (['CNR q05', 'CNR median', 'CNR q95'], 2)
    """
    tables = [policy_table(s) for s in draw_summaries(draws, pair)]
    if not tables:
        raise ValueError("no draw of the optimum converged; there is nothing to summarize")
    first = tables[0]
    stacked = np.stack([t.reindex_like(first).to_numpy(dtype=float) for t in tables])
    parts = []
    if point is not None:
        parts.append(policy_table(point).reindex_like(first).add_suffix(" point"))
    for name, values in _intervals(stacked).items():
        parts.append(
            pd.DataFrame(values, index=first.index, columns=first.columns).add_suffix(f" {name}")
        )
    table = pd.concat(parts, axis=1)
    order = [
        f"{c} {s}"
        for c in first.columns
        for s in ("point", "q05", "median", "q95")
        if f"{c} {s}" in table.columns
    ]
    table = table[order]
    table.attrs["n_draws"] = len(tables)
    return table


def comparison_intervals(
    results: Mapping[str, object], draws: xr.Dataset, pair: tuple[str, str] | None = None
) -> pd.DataFrame:
    """:func:`spatialocc.reports.paper_comparison` of ``results`` with the columns ``q05``,
    ``median`` and ``q95``: the quantiles over the converged draws of each statistic of the
    policy summary and of the optimum (empty for the others: Tables 1-3 and the city pairs do
    not depend on the draws of this sweep, or are not recomputed per draw)."""
    table = paper_comparison(results)
    kept = _converged(draws)
    summaries = draw_summaries(draws, pair)
    per_draw = np.full((len(summaries), len(paper.REPORTED)), np.nan)
    model = results.get("model")
    drawn = ("table1", "table2", "table3", "city_pair", "city_share")
    for i, summary in enumerate(summaries):
        optimum = xr.Dataset({"employment": kept["optimum.employment"].isel(draw=i, drop=True)})
        one = {"summary": summary, "optimum": optimum, **({"model": model} if model else {})}
        for j, entry in enumerate(paper.REPORTED):
            if entry.statistic.partition(":")[0] in drawn:
                continue
            try:
                per_draw[i, j] = _value(entry.statistic, entry.occupation, one, {})
            except (KeyError, LookupError, ValueError):
                continue
    for name, values in _intervals(per_draw).items():
        table[name] = values
    table.attrs["n_draws"] = len(summaries)
    return table
