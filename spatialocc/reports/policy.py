"""Report statistics of the optimal policy (the paper's sections 5-6): the summary of an
optimum against its reference equilibrium, its printable table, and the industrial Gini of
Figure 9.

The optimum itself is solved by :mod:`spatialocc.solvers.optimal`; this module only reads
what a solve returns.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from spatialocc.solvers.optimal import wedge, welfare_gain


def _weighted_corr(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> float:
    """Pearson correlation of ``x`` and ``y`` with observation weights ``w`` (equal weights
    when None): ``cov_w(x, y) / sqrt(var_w(x) var_w(y))`` with weighted means and moments, the
    correlation of ``numpy.cov(..., aweights=w)``."""
    w = np.ones_like(x) if w is None else w
    w = w / w.sum()
    mx, my = (w * x).sum(), (w * y).sum()
    cov = (w * (x - mx) * (y - my)).sum()
    return float(cov / np.sqrt((w * (x - mx) ** 2).sum() * (w * (y - my) ** 2).sum()))


def _weighted_quantile(x: np.ndarray, q: float, w: np.ndarray | None = None) -> float:
    """The q-quantile of ``x`` with weights ``w`` by the midpoint rule: sorted by value,
    observation i sits at the cumulative weight share ``(W_i - w_i/2) / W`` (``W_i`` the weight
    of the observations up to and including i, ``W`` the total); the quantile interpolates
    linearly between these points and is flat beyond the first and the last. Observations of
    zero weight are ignored. Without ``w`` the weights are equal, and the rule is numpy's
    ``method="hazen"`` (Hyndman and Fan's type 5): unweighted and weighted percentiles share
    one definition, so they differ only by the weights."""
    w = np.ones(np.shape(x)) if w is None else np.asarray(w, dtype=float)
    x, w = x[w > 0], w[w > 0]
    order = np.argsort(x)
    cum = np.cumsum(w[order]) / w.sum()
    return float(np.interp(q, cum - w[order] / (2 * w.sum()), x[order]))


def industrial_gini(allocation: xr.Dataset) -> xr.DataArray:
    """Gini coefficient of each city's wage-bill shares across industries (Figure 9):
    ``sum_ij |s_i - s_j| / (2 J)``, twice the area between the Lorenz curve over industries
    ranked by share and the diagonal."""
    bill = (allocation["wage"] * allocation["employment"]).sum("occupation")
    share = bill / bill.sum("industry")
    J = allocation.sizes["industry"]
    diff = np.abs(share - share.rename(industry="input")).sum(["industry", "input"])
    return diff / (2 * J)


def policy_summary(
    reference: xr.Dataset, optimum: xr.Dataset, *, occupations: tuple[str, str] | None = None
) -> xr.Dataset:
    """The statistics of the paper's sections 5-6 for a reference equilibrium and its optimum.

    For the two occupations compared (default ``("CNR", "nonCNR")`` when present, else the
    first two), ``a`` and ``b``:

    - ``social_private_ratio_reference``, ``social_private_ratio_optimum``: the
      social-to-private value ratio ``sum_n (w+Δ)L / sum_n wL`` per occupation, at that
      allocation;
    - ``mean_wedge_difference``: the mean of ``Δ[a,n] - Δ[b,n]`` over cities weighted by city
      employment ``L[n]``, and ``corr_wedge_difference_share``, ``..._log_size``: its
      Pearson correlations with the share of ``a``, ``L[a,n]/L[n]``, and with ``log L[n]``,
      unweighted and (``..._weighted``) weighted by ``L[n]``; all at the reference;
    - ``mean_transfer``: the net transfer ``T = e - w - χ`` of each occupation at the optimum,
      averaged over cities with the occupation's employment ``L[k,n]`` at the optimum as
      weights (the budget balances with these), ``mean_transfer_unweighted`` the plain mean
      across cities, and ``transfer_p10``, ``transfer_p90`` the 10th and 90th percentiles
      across cities, unweighted and (``..._weighted``) weighted by the same ``L[k,n]``, both
      by the midpoint rule (numpy's ``method="hazen"`` when unweighted), and the medians
      ``transfer_median`` and ``transfer_median_weighted`` (footnotes 28-29 weight by
      population);
    - ``lump_sum``: the lump sum R[k] of each occupation in the optimal rule (what the
      optimum returns as ``lump_sum``; its budget-closing part included);
    - ``share_cities_net_payer``: the share of cities where ``a`` workers are net payers,
      ``T[a,n] < 0`` at the optimum (the attribute ``net_payer_occupation`` names ``a``);
    - ``welfare_gain``: ``v/v_ref - 1`` (additive amenities: ``(v - v_ref)/C̄_ref``);
    - ``industrial_gini_change``: the change in each city's industrial Gini of wage-bill
      shares from the reference to the optimum (Figure 9).

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(spatialocc.invert(data), tau_share=1.0, tau_size=0.3)
    >>> summary = spatialocc.policy_summary(model, spatialocc.solve_optimal(model))
    >>> "welfare_gain" in summary
    True
    """
    labels = optimum["occupation"].values.tolist()
    if occupations is None:
        occupations = ("CNR", "nonCNR") if {"CNR", "nonCNR"} <= set(labels) else tuple(labels[:2])
    a, b = occupations
    batch = [d for d in optimum["welfare"].dims if d != "occupation"]
    stacked_ref = reference.stack(_batch=batch) if batch else reference.expand_dims(_batch=[0])
    stacked_opt = optimum.stack(_batch=batch) if batch else optimum.expand_dims(_batch=[0])
    rows = []
    for i in range(stacked_opt.sizes["_batch"]):
        ref = stacked_ref.isel(_batch=i)
        opt = stacked_opt.isel(_batch=i)
        rows.append(_summary_one(ref, opt, a, b))
    names = list(rows[0])
    data = {}
    for name in names:
        values = np.array([r[name] for r in rows])
        dims = ("_batch", "occupation") if values.ndim == 2 else ("_batch",)
        data[name] = (dims, values)
    out = xr.Dataset(data, coords={"occupation": labels, "_batch": stacked_opt["_batch"]})
    out = out.unstack("_batch") if batch else out.isel(_batch=0, drop=True)
    gini_change = industrial_gini(optimum) - industrial_gini(reference)
    out["industrial_gini_change"] = gini_change
    out.attrs = {
        "compared_occupations": f"{a} vs {b}",
        "wedge_difference": f"{a} minus {b}",
        "net_payer_occupation": a,
    }
    return out


def _summary_one(ref: xr.Dataset, opt: xr.Dataset, a: str, b: str) -> dict[str, object]:
    def ratio(ds: xr.Dataset) -> np.ndarray:
        residents = ds["employment"].sum("industry")
        delta = wedge(ds.assign(employment=ds["employment"]))
        social = ((ds["wage"] + delta) * residents).sum("city")
        return (social / (ds["wage"] * residents).sum("city")).values

    residents = ref["employment"].sum("industry")
    size = residents.sum("occupation").values
    delta = wedge(ref)
    diff = (delta.sel(occupation=a) - delta.sel(occupation=b)).values
    share_a = (residents.sel(occupation=a) / residents.sum("occupation")).values
    log_size = np.log(size)
    opt_res = opt["employment"].sum("industry")
    transfer = opt["transfer"]
    out: dict[str, object] = {
        "social_private_ratio_reference": ratio(ref),
        "social_private_ratio_optimum": ratio(opt),
        "mean_wedge_difference": float((diff * size).sum() / size.sum()),
        "corr_wedge_difference_share": _weighted_corr(diff, share_a),
        "corr_wedge_difference_log_size": _weighted_corr(diff, log_size),
        "corr_wedge_difference_share_weighted": _weighted_corr(diff, share_a, size),
        "corr_wedge_difference_log_size_weighted": _weighted_corr(diff, log_size, size),
    }
    means, p10, p90, p10w, p90w, unweighted, p50, p50w = ([] for _ in range(8))
    for k in opt["occupation"].values:
        t = transfer.sel(occupation=k).values
        w = opt_res.sel(occupation=k).values
        means.append(float((t * w).sum() / w.sum()))
        unweighted.append(float(t.mean()))
        p10.append(_weighted_quantile(t, 0.1))
        p90.append(_weighted_quantile(t, 0.9))
        p10w.append(_weighted_quantile(t, 0.1, w))
        p90w.append(_weighted_quantile(t, 0.9, w))
        p50.append(_weighted_quantile(t, 0.5))
        p50w.append(_weighted_quantile(t, 0.5, w))
    out.update(
        {
            "mean_transfer": np.array(means),
            "mean_transfer_unweighted": np.array(unweighted),
            "transfer_p10": np.array(p10),
            "transfer_p90": np.array(p90),
            "transfer_p10_weighted": np.array(p10w),
            "transfer_p90_weighted": np.array(p90w),
            "transfer_median": np.array(p50),
            "transfer_median_weighted": np.array(p50w),
            "lump_sum": opt["lump_sum"].transpose("occupation").values,
            "share_cities_net_payer": float((transfer.sel(occupation=a).values < 0).mean()),
            "welfare_gain": welfare_gain(ref, opt).values - 1.0,
        }
    )
    return out


def policy_table(summary: xr.Dataset) -> pd.DataFrame:  # noqa: F821
    """A printable table (pandas DataFrame) of :func:`policy_summary` for one economy.

    One row per statistic: statistics by occupation in one column per occupation, the others
    in the column ``all``. The share of cities where occupation ``a`` pays is the row
    ``share_cities_<a>_net_payer``, the mean over cities of the change in the industrial Gini
    is ``industrial_gini_change_mean``, and the index is named after the direction of the
    wedge differences (``a minus b``)."""
    import pandas as pd

    batch = [d for d in summary.dims if d not in ("occupation", "city")]
    if batch:
        raise ValueError(
            f"policy_table takes the summary of one economy, this one has the batch "
            f"dimensions {batch}; select one economy first (summary.sel(...) or .isel(...))"
        )
    payer = summary.attrs.get("net_payer_occupation")
    rows = {}
    for name, da in summary.data_vars.items():
        if name == "industrial_gini_change":
            rows["industrial_gini_change_mean"] = {"all": float(da.mean())}
            continue
        if name == "share_cities_net_payer" and payer is not None:
            name = f"share_cities_{payer}_net_payer"
        if "occupation" in da.dims:
            rows[name] = {
                str(k): float(v) for k, v in zip(da["occupation"].values, da.values, strict=True)
            }
        else:
            rows[name] = {"all": float(da)}
    table = pd.DataFrame(rows).T
    direction = summary.attrs.get("wedge_difference")
    table.index.name = "statistic" + (f" (wedge differences: {direction})" if direction else "")
    return table
