"""Exogenous technology by sector and city, and its change between two calibrations
(Figures 14, 19 and 20), and the CNR intensity of each industry's suppliers (Figure 15).

Notation (MODEL.md sections 1-3): λ̂[k,j,n] is the exogenous productivity of occupation k in
industry j and city n (``productivity_exogenous``), H[n] the land of city n (``land``),
β[j,n] the land share of value added (``land_share``), γ[j,n] the value-added share
(``value_added_share``), γ[j',j,n] the share of inputs from j' in j's gross output
(``input_share``), Y[j,n] gross output and s[k,j,n] = w[k,n] L[k,j,n] / Σ_k' w[k',n] L[k',j,n]
occupation k's share of the wage bill of industry j in city n.

The paper draws these figures from its inversion without writing out how the
occupation-specific λ̂ is summed up into one number per sector; the definitions below are
this package's **[choice]**:

- a sector's exogenous technology is the log of its exogenous value-added productivity to
  first order, ``T[j,n] = (1-β[j,n]) Σ_k s[k,j,n] log λ̂[k,j,n] + β[j,n] log H[n]``: each
  factor's exogenous efficiency weighted by its cost share in value added (unit cost (5) and
  the labor cost index W of MODEL.md section 2: ``d log W[j,n] = -Σ_k s[k,j,n] d log λ[k,j,n]``).
  Outside real estate β = 0, so T is the wage-bill-weighted mean of log λ̂ over occupations.
  In real estate the land term is what makes T a property of the economy rather than of the
  unit land is measured in (``invert(..., land_units=...)``): measuring H in units c[n] times
  larger moves log λ̂[k,RE,n] by -β/(1-β) log c[n] (the unit cost is observed), which the land
  term offsets exactly; λ̂[k,RE,n] alone does not have this property (tested);
- its change "relative to the baseline counterfactual" (Figures 19-20) is the same sum over the
  change of the *local* components of the decomposition (MODEL.md section 5,
  :func:`spatialocc.solvers.decomposition.productivity_components`), with the start year's
  weights: the Baseline economy has the end year's national technology m[j] and skill bias
  b[k] and the start year's local technology l[k,j,n] and local land, so the change from the
  Baseline to the end year is exactly the change of l and of log H's local remainder.

Examples
--------
>>> import spatialocc
>>> from spatialocc.reports import technology_change
>>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4)
>>> model = spatialocc.with_externalities(spatialocc.invert(data), tau_share=1.0, tau_size=0.3)
>>> change = technology_change(model, start=1980, end=2015)
>>> sorted(change.data_vars)
['employment', 'non_real_estate', 'real_estate', 'technology_change', 'value_added']
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from spatialocc.dims.errors import DimensionError, MissingVariableError, format_labels
from spatialocc.dims.schema import REAL_ESTATE
from spatialocc.solvers.decomposition import productivity_components

_CORE = {"occupation", "industry", "city", "input"}


def _require(ds: xr.Dataset, names: tuple[str, ...], what: str, fix: str) -> None:
    missing = [name for name in names if name not in ds]
    if missing:
        raise MissingVariableError(
            f"{what} needs {format_labels(missing)}; the Dataset has "
            f"{format_labels(list(ds.data_vars))}. {fix}"
        )


def _one_economy(ds: xr.Dataset, what: str, allowed: set[str] = _CORE) -> None:
    extra = sorted({str(d) for d in ds["employment"].dims} - allowed)
    if extra:
        raise DimensionError(
            f"{what} takes one economy, but the Dataset has the batch dimensions {extra}; "
            f"select one first, e.g. ds.sel({extra[0]}=...)"
        )


def _wage_bill_shares(ds: xr.Dataset) -> xr.DataArray:
    """s[k,j,n] = w[k,n] L[k,j,n] / Σ_k' w[k',n] L[k',j,n]; NaN where industry j employs
    nobody in city n."""
    bill = ds["wage"] * ds["employment"]
    total = bill.sum("occupation")
    return bill / total.where(total > 0)


def _cost_weighted(
    log_labor: xr.DataArray, log_land: xr.DataArray, share: xr.DataArray, beta: xr.DataArray
) -> xr.DataArray:
    """``(1-β) Σ_k s log_labor + β log_land`` over the occupations with s > 0 and a finite
    ``log_labor`` (their shares renormalized); NaN where there is none."""
    usable = (share > 0) & np.isfinite(log_labor)
    weight = share.where(usable, 0.0)
    total = weight.sum("occupation")
    labor = (weight * log_labor.where(usable, 0.0)).sum("occupation") / total.where(total > 0)
    land_term = xr.where(beta > 0, beta * log_land, 0.0)
    return (1.0 - beta) * labor + land_term


def sector_technology(model: xr.Dataset) -> xr.DataArray:
    """Figure 14's quantity: the log exogenous value-added technology of each industry in each
    city, ``T[j,n] = (1-β[j,n]) Σ_k s[k,j,n] log λ̂[k,j,n] + β[j,n] log H[n]`` **[choice]**
    (see the module docstring).

    Occupations that industry j does not employ in city n (s = 0) do not count; T is NaN where
    j employs nobody in n.

    Parameters
    ----------
    model
        One economy with ``wage``, ``employment``, ``productivity_exogenous`` (from
        :func:`spatialocc.with_externalities`) and, for land-using industries, ``land`` and
        ``land_share``.

    Returns
    -------
    xarray.DataArray
        On (industry, city), in log points.

    Examples
    --------
    >>> import numpy as np, spatialocc
    >>> from spatialocc.reports import sector_technology
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> sector_technology(model).dims
    ('industry', 'city')
    """
    _require(
        model,
        ("wage", "employment", "productivity_exogenous"),
        "sector_technology",
        "Set the externalities first: spatialocc.with_externalities(model, tau_share=..., "
        "tau_size=...).",
    )
    _one_economy(model, "sector_technology")
    lam = model["productivity_exogenous"]
    no_land = xr.zeros_like(lam.sum("occupation"))  # β = 0: no industry uses land
    beta = model.get("land_share", no_land)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lam = np.log(lam.where(lam > 0))
        log_land = np.log(model["land"]) if "land" in model else no_land
    out = _cost_weighted(log_lam, log_land, _wage_bill_shares(model), beta)
    return out.transpose("industry", "city").assign_attrs(
        long_name="log exogenous technology", units="log points"
    )


def technology_change(
    model: xr.Dataset,
    *,
    start: int = 1980,
    end: int = 2015,
    real_estate: str | None = None,
) -> xr.Dataset:
    """Figures 19-20: the change in the exogenous component of technology from the Baseline
    ``start`` economy of the decomposition to ``end``, by city.

    With ``log λ̂ = m[j] + b[k] + l[k,j,n]`` and ``log H = h + h_local[n]`` split in each year
    as the decomposition splits them
    (:func:`spatialocc.solvers.decomposition.productivity_components`), the Baseline economy
    carries the end year's m and b and the start year's l and h_local, so the change relative
    to it is, for industry j and city n **[choice]** (the module docstring explains the
    weights),

    ``technology_change[j,n] = (1-β[j,n]) Σ_k s[k,j,n] (l_end - l_start)[k,j,n]
    + β[j,n] (h_local,end - h_local,start)[n]``

    with the start year's wage-bill shares s and land shares β; occupations absent from j in n
    in either year are left out (the others' shares renormalized). Then, by city,

    - ``non_real_estate[n]``: the mean of ``technology_change[j,n]`` over the industries other
      than real estate, weighted by the start year's value added ``γ[j,n] Y[j,n]`` (the
      paper: "averaged across all sectors except real estate ... with value added weights");
    - ``real_estate[n]``: ``technology_change[RE,n]`` (Figure 20).

    Parameters
    ----------
    model
        Both calibrations on ``year`` with the externalities set
        (``spatialocc.with_externalities(spatialocc.invert(data), ...)``), as
        :func:`spatialocc.decompose` takes them.
    start, end
        The years compared (Table 3's start year and end year).
    real_estate
        The land-using industry; by default the model's ``real_estate`` attribute, else
        ``"Real Estate"``.

    Returns
    -------
    xarray.Dataset
        ``technology_change`` (industry, city), ``non_real_estate`` and ``real_estate`` (city),
        all in log points, and the start year's ``employment`` (occupation, industry, city) and
        ``value_added`` (industry, city), which size and place the figures' markers; the
        attributes ``start``, ``end`` and ``real_estate``.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.reports import technology_change
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4)
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data), tau_share=1.0, tau_size=0.3
    ... )
    >>> technology_change(model)["non_real_estate"].dims
    ('city',)
    """
    _require(
        model,
        (
            "wage",
            "employment",
            "productivity_exogenous",
            "land",
            "gross_output",
            "value_added_share",
        ),
        "technology_change",
        "Pass the inverted model of both years with the externalities set: "
        "spatialocc.with_externalities(spatialocc.invert(data), tau_share=..., tau_size=...).",
    )
    if "year" not in model.dims:
        raise DimensionError(
            "technology_change compares two calibrations: it needs a model with a 'year' "
            "dimension (spatialocc.invert on data with both years)"
        )
    years = [int(y) for y in model["year"].values]
    missing = [y for y in (start, end) if y not in years]
    if missing:
        raise KeyError(f"the model has the years {years}; missing {missing}")
    _one_economy(model, "technology_change", _CORE | {"year"})
    real_estate = real_estate or str(model.attrs.get("real_estate", REAL_ESTATE))
    if real_estate not in model["industry"].values:
        raise KeyError(
            f"the real-estate industry {real_estate!r} is not an industry of the model "
            f"({format_labels(model['industry'].values)}); pass real_estate=..."
        )
    first, last = model.sel(year=start, drop=True), model.sel(year=end, drop=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        parts = {"start": productivity_components(first), "end": productivity_components(last)}
    local = parts["end"]["local"] - parts["start"]["local"]
    land = parts["end"]["land_local"] - parts["start"]["land_local"]
    beta = first["land_share"] if "land_share" in first else xr.zeros_like(land)
    change = _cost_weighted(local, land, _wage_bill_shares(first), beta)
    change = change.transpose("industry", "city")
    value_added = (first["value_added_share"] * first["gross_output"]).transpose("industry", "city")
    others = change["industry"] != real_estate
    weight = value_added.where(others & np.isfinite(change) & (value_added > 0), 0.0)
    total = weight.sum("industry")
    mean = (weight * change.where(weight > 0, 0.0)).sum("industry") / total.where(total > 0)
    units = {"units": "log points"}
    return xr.Dataset(
        {
            "technology_change": change.assign_attrs(
                long_name="change in exogenous technology relative to the Baseline", **units
            ),
            "non_real_estate": mean.assign_attrs(
                long_name="change in exogenous technology, value-added-weighted mean over "
                "industries other than real estate",
                **units,
            ),
            "real_estate": change.sel(industry=real_estate, drop=True).assign_attrs(
                long_name="change in exogenous technology of real estate", **units
            ),
            "employment": first["employment"].transpose("occupation", "industry", "city"),
            "value_added": value_added.assign_attrs(long_name="value added", units="dollars"),
        },
        attrs={"start": start, "end": end, "real_estate": real_estate},
    )


def supplier_intensity(model: xr.Dataset, *, occupation: str | None = None) -> xr.Dataset:
    """Figure 15: each industry's national wage-bill share of ``occupation`` and the average
    share among the industries it buys inputs from (backward linkages).

    - ``wage_bill_share[j] = σ[j] = Σ_n w[k,n] L[k,j,n] / Σ_n Σ_k' w[k',n] L[k',j,n]``;
    - ``supplier_share[j] = Σ_j' γ[j',j] σ[j'] / (1 - γ[j])`` (the paper's note to Figure
      15), with the national shares ``γ[j',j] = Σ_n γ[j',j,n] Y[j,n] / Σ_n Y[j,n]`` and
      ``γ[j] = Σ_n γ[j,n] Y[j,n] / Σ_n Y[j,n]``: national purchases from j' and national value
      added over national gross output (the shares themselves when they do not vary across
      cities). As ``Σ_j' γ[j',j] = 1 - γ[j]``, it is the mean of σ over j's suppliers weighted
      by what j buys from each;
    - ``employment[j]``: national employment of industry j (the markers' sizes).

    Parameters
    ----------
    model
        One economy with ``wage``, ``employment``, ``gross_output``, ``value_added_share`` and
        ``input_share`` (the model from :func:`spatialocc.invert`, or a solution).
    occupation
        The occupation whose intensity is measured; by default CNR when present, else the first.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.reports import supplier_intensity
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> intensity = supplier_intensity(spatialocc.invert(data).sel(year=2015))
    >>> sorted(intensity.data_vars)
    ['employment', 'supplier_share', 'wage_bill_share']
    """
    _require(
        model,
        ("wage", "employment", "gross_output", "value_added_share", "input_share"),
        "supplier_intensity",
        "Pass the inverted model (spatialocc.invert) or a solution.",
    )
    _one_economy(model, "supplier_intensity")
    labels = [str(k) for k in model["occupation"].values]
    if occupation is None:
        occupation = "CNR" if "CNR" in labels else labels[0]
    if occupation not in labels:
        raise KeyError(f"occupation {occupation!r} is not one of {format_labels(labels)}")
    bill = (model["wage"] * model["employment"]).sum("city")
    sigma = bill.sel(occupation=occupation, drop=True) / bill.sum("occupation")
    output = model["gross_output"]
    national = output.sum("city")
    gamma_in = (model["input_share"] * output).sum("city") / national
    gamma_va = (model["value_added_share"] * output).sum("city") / national
    supplied = (gamma_in * sigma.rename(industry="input")).sum("input")
    return xr.Dataset(
        {
            "wage_bill_share": sigma.assign_attrs(
                long_name=f"{occupation} share of the industry's wage bill", units="1"
            ),
            "supplier_share": (supplied / (1.0 - gamma_va)).assign_attrs(
                long_name=f"mean {occupation} share of the industry's input suppliers", units="1"
            ),
            "employment": model["employment"]
            .sum(["occupation", "city"])
            .assign_attrs(long_name="employment", units="workers"),
        },
        attrs={"occupation": occupation},
    )
