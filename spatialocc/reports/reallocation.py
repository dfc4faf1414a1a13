"""How a policy or a counterfactual moves workers across cities, and what it does to welfare:
the statistics of the paper's policy benchmark (section 6, the pandemic payments against the
optimal policy) and of its robustness exercises (section 7, e.g. the housing shares of 7.4).

:func:`reallocation_summary` compares one allocation with its reference equilibrium;
:func:`reallocation_table` sets several such comparisons side by side.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from spatialocc.reports.policy import _weighted_corr
from spatialocc.solvers.optimal import welfare_gain

#: The scalar statistics of :func:`reallocation_summary`, in the order of the tables.
SCALARS: tuple[str, ...] = (
    "corr_share_change_log_size",
    "corr_share_change_log_size_weighted",
    "corr_employment_change_log_size",
    "corr_employment_change_log_size_weighted",
    "corr_share_change_contrast",
    "corr_share_change_contrast_weighted",
)


def reallocation_summary(
    reference: xr.Dataset,
    allocation: xr.Dataset,
    *,
    occupation: str | None = None,
    contrast: xr.Dataset | None = None,
) -> xr.Dataset:
    """Welfare gains and the shift of one occupation across cities, from ``reference`` (an
    equilibrium) to ``allocation`` (a policy's equilibrium, an optimum, ...).

    With ``a`` the focal occupation (default ``"CNR"`` when present, else the first),
    ``L[k,n]`` residents, ``L[n]`` city size and ``s[n] = L[a,n]/L[n]`` the share of ``a``:

    - ``welfare_change`` (occupation): ``v/v_ref - 1`` (additive amenities:
      ``(v - v_ref)/C̄_ref``, as :func:`spatialocc.solvers.optimal.welfare_gain`);
    - ``mean_transfer`` (occupation): the net transfer ``T = e - w - χ`` at ``allocation``
      averaged over cities with weights ``L[k,n]`` at ``allocation`` (0 in a decentralized
      equilibrium);
    - ``share_change`` (city): ``s[n]`` at ``allocation`` minus ``s[n]`` at ``reference``;
    - ``employment_change`` (city): ``L[a,n]/L_ref[a,n] - 1``;
    - ``corr_share_change_log_size`` and ``corr_employment_change_log_size``: the Pearson
      correlations of these changes with ``log L_ref[n]`` across cities, unweighted and
      (``..._weighted``) weighted by ``L_ref[n]`` (positive: ``a`` moves toward large
      cities);
    - ``corr_share_change_contrast`` (and ``..._weighted``): with ``contrast`` (another result
      of this function), the correlation across cities of this ``share_change`` with the
      contrast's (negative: the two move ``a`` in opposite directions); NaN without it.

    Parameters
    ----------
    reference, allocation
        Solutions of one economy on the same cities (``employment``, ``welfare``; ``allocation``
        also ``consumption``, ``wage``, ``land_income_per_worker``), without batch dimensions.
    occupation
        The focal occupation ``a``.
    contrast
        A result of this function to correlate the share changes with.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.reports import reallocation_summary
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> payments = spatialocc.solve_equilibrium(model, policy="pandemic_payments")
    >>> summary = reallocation_summary(model, payments)
    >>> sorted(summary["welfare_change"].dims), summary.attrs["occupation"]
    (['occupation'], 'CNR')
    """
    for name, ds in (("reference", reference), ("allocation", allocation)):
        batch = [d for d in ds["welfare"].dims if d != "occupation"]
        if batch:
            raise ValueError(
                f"reallocation_summary compares one economy; {name} has the batch dimensions "
                f"{batch}: select one first (.sel(...) or .isel(...))"
            )
    labels = [str(k) for k in allocation["occupation"].values]
    if occupation is None:
        occupation = "CNR" if "CNR" in labels else labels[0]
    if occupation not in labels:
        raise KeyError(f"occupation {occupation!r} is not one of {labels}")
    ref_res = reference["employment"].sum("industry").transpose("occupation", "city")
    res = allocation["employment"].sum("industry").transpose("occupation", "city")
    size_ref = ref_res.sum("occupation").values
    share_ref = ref_res.sel(occupation=occupation).values / size_ref
    share = res.sel(occupation=occupation).values / res.sum("occupation").values
    share_change = share - share_ref
    employment_change = (
        res.sel(occupation=occupation).values / ref_res.sel(occupation=occupation).values - 1.0
    )
    log_size = np.log(size_ref)
    transfer = (
        allocation["consumption"] - allocation["wage"] - allocation["land_income_per_worker"]
    ).transpose("occupation", "city")
    mean_transfer = (transfer * res).sum("city") / res.sum("city")
    out = xr.Dataset(
        {
            "welfare_change": welfare_gain(reference, allocation).transpose("occupation") - 1.0,
            "mean_transfer": mean_transfer.reset_coords(drop=True),
            "share_change": ("city", share_change),
            "employment_change": ("city", employment_change),
            "corr_share_change_log_size": _weighted_corr(share_change, log_size),
            "corr_share_change_log_size_weighted": _weighted_corr(share_change, log_size, size_ref),
            "corr_employment_change_log_size": _weighted_corr(employment_change, log_size),
            "corr_employment_change_log_size_weighted": _weighted_corr(
                employment_change, log_size, size_ref
            ),
        },
        coords={"city": allocation["city"].values, "occupation": labels},
    )
    nan = float("nan")
    if contrast is not None:
        other = contrast["share_change"].sel(city=out["city"]).values
        out["corr_share_change_contrast"] = _weighted_corr(share_change, other)
        out["corr_share_change_contrast_weighted"] = _weighted_corr(share_change, other, size_ref)
    else:
        out["corr_share_change_contrast"] = nan
        out["corr_share_change_contrast_weighted"] = nan
    out["share_change"].attrs = {"long_name": f"change in the share of {occupation} workers"}
    out["employment_change"].attrs = {
        "long_name": f"proportional change in {occupation} employment"
    }
    out.attrs = {"occupation": occupation}
    return out


def reallocation_table(summaries: Mapping[str, xr.Dataset]) -> pd.DataFrame:
    """:func:`reallocation_summary` results side by side: one column per name, one row per
    statistic (``welfare_change <k>`` and ``mean_transfer <k>`` for each occupation, then the
    correlations of :data:`SCALARS`; rows that are NaN in every column are left out).

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.reports import reallocation_summary, reallocation_table
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> payments = spatialocc.solve_equilibrium(model, policy="pandemic_payments")
    >>> table = reallocation_table({"payments": reallocation_summary(model, payments)})
    >>> table.loc["welfare_change CNR"].index.tolist()
    ['payments']
    """
    columns = {}
    for name, summary in summaries.items():
        rows: dict[str, float] = {}
        for variable in ("welfare_change", "mean_transfer"):
            for k, value in zip(
                summary["occupation"].values, summary[variable].values, strict=True
            ):
                rows[f"{variable} {k}"] = float(value)
        for variable in SCALARS:
            rows[variable] = float(summary[variable])
        columns[name] = rows
    table = pd.DataFrame(columns)
    table = table.loc[~table.isna().all(axis=1)]
    occupations = {s.attrs.get("occupation") for s in summaries.values()}
    focal = occupations.pop() if len(occupations) == 1 else None
    table.index.name = "statistic" + (f" (shifts of {focal} workers)" if focal else "")
    return table
