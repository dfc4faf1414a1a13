"""Tables and distributions of the decomposition of changes between two calibrations
(MODEL.md section 5): Table 3 and the Figure 18 histogram.

The decomposition itself is solved by :func:`spatialocc.decompose`
(:mod:`spatialocc.solvers.decomposition`); this module only reads what it returns, or, for
the histogram, any allocations.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from spatialocc.dims.errors import DimensionError, MissingVariableError
from spatialocc.dims.schema import CORE_DIMS
from spatialocc.solvers.decomposition import COMPONENTS, PANELS, _names


def decomposition_table(result: xr.Dataset) -> pd.DataFrame:
    """Table 3: each occupation's welfare relative to the Baseline row of its panel and the
    ratio of the first occupation's relative welfare to the second's.

    Returns a DataFrame indexed by (panel, row, step) with one column per occupation and
    ``ratio``; ``attrs["baseline_ratio"]`` holds each panel's welfare ratio at the Baseline
    (the paper's "ratio of CNR to non-CNR welfare in Baseline").
    """
    if "welfare" not in result or "step" not in result.dims:
        raise MissingVariableError("decomposition_table needs what spatialocc.decompose returns")
    batch = [d for d in result["welfare"].dims if d not in {"panel", "step", *CORE_DIMS}]
    if batch:
        raise DimensionError(
            f"decomposition_table lays out one decomposition, but the result has batch "
            f"dimensions {batch}; select one first, e.g. result.sel({batch[0]}=...)"
        )
    baseline = result.attrs.get("baseline", str(result["step"].values[0]))
    welfare = result["welfare"]
    relative = welfare / welfare.sel(step=baseline)
    occupations = [str(k) for k in result["occupation"].values]
    frames = []
    baseline_ratio = {}
    for panel in result["panel"].values:
        rel = relative.sel(panel=panel)
        frame = pd.DataFrame(
            {k: rel.sel(occupation=k).values for k in occupations},
            index=pd.MultiIndex.from_arrays(
                [
                    [PANELS.get(str(panel), str(panel))] * rel.sizes["step"],
                    result["row"].sel(panel=panel).values,
                    result["step"].values,
                ],
                names=["panel", "row", "step"],
            ),
        )
        if len(occupations) >= 2:
            frame["ratio"] = frame[occupations[0]] / frame[occupations[1]]
            base = welfare.sel(panel=panel, step=baseline)
            baseline_ratio[PANELS.get(str(panel), str(panel))] = float(
                base.sel(occupation=occupations[0]) / base.sel(occupation=occupations[1])
            )
        frames.append(frame)
    table = pd.concat(frames)
    table.attrs["baseline"] = baseline
    table.attrs["baseline_ratio"] = baseline_ratio
    return table


def cnr_share_distribution(
    result: xr.Dataset | Mapping[str, xr.Dataset],
    *,
    occupation: str | None = None,
    bins: Sequence[float] | None = None,
    rows: Mapping[str, str] | None = None,
    edges: Sequence[float] | None = None,
) -> xr.DataArray:
    """Figure 18: the share of population in cities by the city's CNR share of employment,
    as a deviation (percentage points) from the population-weighted average.

    For each allocation, each city's CNR share of employment is taken as a deviation from the
    population-weighted mean share, in percentage points, and the share of total employment in
    each bin is computed (by :func:`share_distribution`). Deviations beyond the outer edges
    count in the outer bins.

    Parameters
    ----------
    result
        What :func:`spatialocc.decompose` returns (a Dataset with a ``step`` dimension): one
        distribution for each of ``rows``. Or a mapping from a label (e.g. ``"2015 data"``)
        to an allocation with ``employment`` (one economy each): one distribution for each.
    occupation
        The occupation whose share is binned; by default the first.
    bins
        Bin edges in percentage points; by default 2-point bins from -12 to 12. The outer
        bins are open: their ``bin_lower`` / ``bin_upper`` are -inf / inf.
    rows
        Only with a decomposition result: maps a distribution name to a step label of the
        full-model panel; by default the Baseline, the end-year data (the row with every
        component at end values) and the optimal allocation.
    edges
        Deprecated alias of ``bins`` (the keyword of the former
        ``spatialocc.plot.cnr_share_distribution``); it warns with a ``DeprecationWarning``.

    Returns
    -------
    xarray.DataArray
        ``population_share`` on (``distribution``, ``bin``) with ``bin`` the bin centres and
        the coordinates ``bin_lower`` and ``bin_upper``; each distribution sums to one.

    Raises
    ------
    TypeError
        When both ``bins`` and ``edges`` are given.
    ValueError
        When ``rows`` is given with a mapping of allocations.

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=20, n_industries=4)
    >>> share = cnr_share_distribution(
    ...     {"1980": data.sel(year=1980), "2015": data.sel(year=2015)}
    ... )
    >>> share.sum("bin").values.round(12).tolist()
    [1.0, 1.0]
    """
    if edges is not None:
        if bins is not None:
            raise TypeError("give the bin edges once: bins=... (edges= is its deprecated alias)")
        warnings.warn(
            "cnr_share_distribution(edges=...) is deprecated; use bins=...",
            DeprecationWarning,
            stacklevel=2,
        )
        bins = edges
    if isinstance(result, xr.Dataset):  # a Dataset is a Mapping too: test it first
        if "step" not in result.dims:
            raise DimensionError(
                "cnr_share_distribution takes what spatialocc.decompose returns (a Dataset "
                "with a 'step' dimension) or a mapping of label to allocation; for one "
                "allocation pass {'label': allocation}"
            )
        return _decomposition_shares(result, occupation=occupation, bins=bins, rows=rows)
    if not isinstance(result, Mapping):
        raise TypeError(
            "cnr_share_distribution takes a decomposition result (xarray.Dataset) or a mapping "
            f"of label to allocation, got {type(result).__name__}"
        )
    if rows is not None:
        raise ValueError(
            "rows= picks steps of a decomposition result; with a mapping of allocations the "
            "distributions are its items"
        )
    return share_distribution(result, occupation=occupation, bins=bins)


def _decomposition_shares(
    result: xr.Dataset,
    *,
    occupation: str | None,
    bins: Sequence[float] | None,
    rows: Mapping[str, str] | None,
) -> xr.DataArray:
    """:func:`cnr_share_distribution` of the ``rows`` of a decomposition result."""
    occupation = occupation or str(result["occupation"].values[0])
    full = result.sel(panel="full_model") if "panel" in result.dims else result
    if rows is None:
        everything = _names(frozenset(COMPONENTS))
        first = {}
        for label, comps, opt in zip(
            full["step"].values, full["end_components"].values, full["optimum"].values, strict=True
        ):
            if comps == everything:
                first.setdefault(bool(opt), str(label))
        rows = {f"Baseline {result.attrs['start_year']}": result.attrs["baseline"]}
        if False in first:
            rows[f"{result.attrs['end_year']} data"] = first[False]
        if True in first:
            rows[f"{result.attrs['end_year']} optimum"] = first[True]
    allocations = {name: full.sel(step=label) for name, label in rows.items()}
    return share_distribution(allocations, occupation=occupation, bins=bins)


def share_distribution(
    allocations: Mapping[str, xr.Dataset],
    *,
    occupation: str | None = None,
    bins: Sequence[float] | None = None,
) -> xr.DataArray:
    """Share of population in cities by the city's share of ``occupation`` (default: the
    first) in employment, as a deviation in percentage points from the population-weighted
    mean, for each allocation (name -> Dataset with ``employment`` of one economy).

    ``bins`` are edges (default -12 to 12 in steps of 2); the outer bins are open.

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=20, n_industries=4)
    >>> share = share_distribution({str(y): data.sel(year=y) for y in (1980, 2015)})
    >>> share.sum("bin").values.round(12).tolist()
    [1.0, 1.0]
    """
    edges = np.asarray(np.arange(-12.0, 12.1, 2.0) if bins is None else bins, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"bins must be at least two increasing edges, got {edges}")
    if not allocations:
        raise ValueError("give at least one allocation")
    shares = []
    for name, allocation in allocations.items():
        extra = [d for d in allocation["employment"].dims if d not in CORE_DIMS]
        if extra:
            raise DimensionError(
                f"allocation {name!r} must hold one economy; select one along {extra} first "
                f"(e.g. .sel({extra[0]}=...))"
            )
        occupation = occupation or str(allocation["occupation"].values[0])
        residents = allocation["employment"].sum("industry")
        population = residents.sum("occupation")
        keep = population.values > 0
        share = residents.sel(occupation=occupation).values[keep] / population.values[keep]
        weight = population.values[keep]
        deviation = 100.0 * (share - np.average(share, weights=weight))
        index = np.clip(np.searchsorted(edges, deviation, side="right") - 1, 0, edges.size - 2)
        counts = np.bincount(index, weights=weight, minlength=edges.size - 1)
        shares.append(counts / counts.sum())
    centers = 0.5 * (edges[:-1] + edges[1:])
    return xr.DataArray(
        np.array(shares),
        dims=("distribution", "bin"),
        coords={
            "distribution": list(allocations),
            "bin": centers,
            "bin_lower": ("bin", np.r_[-np.inf, edges[1:-1]]),
            "bin_upper": ("bin", np.r_[edges[1:-1], np.inf]),
        },
        name="population_share",
        attrs={
            "long_name": f"share of population in cities by {occupation} share of employment",
            "units": "1",
            "bin_units": "percentage points from the population-weighted mean",
        },
    )
