"""The paper's figures on technology and input linkages: ``figure14`` (exogenous productivity of
six sectors against city size), ``figure15`` (the CNR intensity of each industry's suppliers),
``figure19`` and ``figure20`` (the change of exogenous technology from the Baseline 1980
economy to 2015, outside real estate and in real estate).

The quantities come from :mod:`spatialocc.reports.technology`, where they are defined and
tested; this module only draws them with the blocks of :mod:`spatialocc.plot.blocks`.

Examples
--------
>>> import spatialocc
>>> from spatialocc.plot import figure15
>>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
>>> figure15(spatialocc.invert(data).sel(year=2015)).axes[0].get_xlabel()
'CNR share of the industry wage bill (national)'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from spatialocc.dims.errors import MissingVariableError, format_labels
from spatialocc.dims.schema import REAL_ESTATE
from spatialocc.plot.blocks import _finish_axes, _new_figure, _scatter_into
from spatialocc.plot.economy import _log, _share, _single_economy, _size, compared_occupations
from spatialocc.reports.technology import sector_technology, supplier_intensity

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Figure 14's sectors. The text names four, "health and education" (productivity falling
#: with city size) and "communications and financial services" (rising steeply); the other
#: two are a **[choice]**: professional services, San Jose's top industry in the text's
#: example of a city turning into a cognitive hub, and accommodation, which the text names
#: among the "non-CNR intensive industries" the new non-CNR centers specialize in.
FIGURE14_INDUSTRIES: tuple[str, ...] = (
    "Health",
    "Education",
    "Communication",
    "Finance and Insurance",
    "Professional Services",
    "Accommodation",
)


def _figure14_industries(allocation: xr.Dataset, industries: Sequence[str] | None) -> list[str]:
    labels = [str(j) for j in allocation["industry"].values]
    if industries is not None:
        unknown = [j for j in industries if j not in labels]
        if unknown or not industries:
            found = format_labels(unknown) if unknown else "none"
            raise KeyError(
                f"figure14: industries must be one or more labels of the data, got {found}; "
                f"the data have {format_labels(labels)}"
            )
        return list(industries)
    chosen = [j for j in FIGURE14_INDUSTRIES if j in labels]
    if chosen:
        return chosen
    real_estate = str(allocation.attrs.get("real_estate", REAL_ESTATE))
    return [j for j in labels if j != real_estate][: len(FIGURE14_INDUSTRIES)]


def figure14(allocation: xr.Dataset, *, industries: Sequence[str] | None = None) -> Figure:
    """Figure 14: the exogenous component of productivity in six selected sectors against city
    size.

    One panel per sector: its log exogenous technology in each city,
    :func:`spatialocc.reports.sector_technology` (the wage-bill-weighted mean over occupations
    of log λ̂[k,j,n] **[choice]**), against log city employment; markers sized by employment,
    lines the employment-weighted linear fits. Cities where the sector employs nobody are left
    out.

    Parameters
    ----------
    allocation
        One economy with the externalities set (``productivity_exogenous``): the model from
        :func:`spatialocc.with_externalities`.
    industries
        The sectors drawn; by default those of ``FIGURE14_INDUSTRIES`` in the data (the
        paper's health, education, communication, finance, and **[choice]** professional
        services and accommodation), else the first six industries other than real estate.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure14
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> [ax.get_title() for ax in figure14(model).axes]
    ['Industry 01', 'Industry 02', 'Retail, Construction, and Utilities']
    """
    allocation = _single_economy(allocation, "figure14", "allocation")
    chosen = _figure14_industries(allocation, industries)
    technology = sector_technology(allocation)
    ncols = min(3, len(chosen))
    nrows = math.ceil(len(chosen) / ncols)
    fig, axes = _new_figure(nrows, ncols)
    axes = np.atleast_1d(axes).ravel()
    size = _size(allocation)
    for i, (ax, industry) in enumerate(zip(axes, chosen, strict=False)):
        _scatter_into(ax, _log(size), technology.sel(industry=industry, drop=True), size=size)
        _finish_axes(
            ax,
            xlabel="log employment" if i // ncols == nrows - 1 else "",
            ylabel="log exogenous productivity" if i % ncols == 0 else "",
            title=industry,
            legend=True,
        )
        ax.title.set_fontsize(9)
        ax.tick_params(labelsize=7)
        ax.get_legend().get_texts()[0].set_fontsize(6)
    for ax in axes[len(chosen) :]:
        ax.remove()
    fig.suptitle("Figure 14: Exogenous productivity by sector and city size", fontsize=10)
    return fig


def figure15(
    allocation: xr.Dataset, *, occupation: str | None = None, tradable_only: bool = True
) -> Figure:
    """Figure 15: Use of CNR-intensive inputs.

    One marker per industry: horizontally its national CNR share of the wage bill σ[j],
    vertically the mean of σ over the industries it buys inputs from,
    ``Σ_j' γ[j',j] σ[j'] / (1 - γ[j])`` (the paper's note; backward linkages,
    :func:`spatialocc.reports.supplier_intensity`). Markers are sized by industry employment
    and labelled; the line is the employment-weighted linear fit.

    Parameters
    ----------
    allocation
        One economy with ``gross_output`` and the shares (the model from
        :func:`spatialocc.invert` or :func:`spatialocc.with_externalities`).
    occupation
        The occupation whose intensity is measured; by default the first compared one (CNR).
    tradable_only
        Draw the tradable industries only, as the paper does (its figure has the 20 tradable
        industries, not real estate nor retail-construction-utilities); all industries still
        count as suppliers.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure15
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=5, years=(2015,))
    >>> ax = figure15(spatialocc.invert(data).sel(year=2015)).axes[0]
    >>> len(ax.collections[0].get_offsets())  # the tradable industries
    3
    """
    allocation = _single_economy(allocation, "figure15", "allocation")
    a = occupation or compared_occupations(allocation)[0]
    intensity = supplier_intensity(allocation, occupation=a)
    if tradable_only:
        if "tradable" not in intensity.coords:
            raise MissingVariableError(
                "figure15 draws the tradable industries: the data need the boolean coordinate "
                "'tradable' on 'industry' (or pass tradable_only=False)"
            )
        intensity = intensity.sel(industry=intensity["tradable"].values)
    fig, ax = _new_figure()
    _scatter_into(
        ax,
        intensity["wage_bill_share"],
        intensity["supplier_share"],
        size=intensity["employment"],
        labels=[str(j) for j in intensity["industry"].values],
    )
    _finish_axes(
        ax,
        xlabel=f"{a} share of the industry wage bill (national)",
        ylabel=f"mean {a} share of the industry's input suppliers",
        title=f"Figure 15: Use of {a}-intensive inputs",
        legend=True,
    )
    return fig


def _technology_change_figure(
    change: xr.Dataset, variable: str, *, figure: str, title: str
) -> Figure:
    """Two panels: ``change[variable]`` by city against the start year's share of the first
    compared occupation (left) and log start-year employment (right)."""
    if not isinstance(change, xr.Dataset) or variable not in change:
        found = list(change.data_vars) if isinstance(change, xr.Dataset) else type(change)
        raise MissingVariableError(
            f"{figure} draws {variable!r} of spatialocc.reports.technology_change(model); got "
            f"{found}"
        )
    change = _single_economy(change, figure, "change")
    a, _ = compared_occupations(change)
    start = change.attrs.get("start", "start year")
    size = _size(change)
    fig, axes = _new_figure(1, 2)
    panels = [
        (_share(change, a), f"{a} share of city employment ({start})"),
        (_log(size), f"log employment ({start})"),
    ]
    ylabel = "change in log exogenous technology,\nrelative to the Baseline"
    for i, (ax, (horizontal, xlabel)) in enumerate(zip(axes, panels, strict=True)):
        _scatter_into(ax, horizontal, change[variable], size=size)
        _finish_axes(
            ax,
            xlabel=xlabel,
            ylabel=ylabel if i == 0 else "",
            title=None,
            legend=True,
        )
    fig.suptitle(title, fontsize=10)
    return fig


def figure19(change: xr.Dataset) -> Figure:
    """Figure 19: Change in the exogenous component of technology (all non-real-estate sectors).

    For each city, the change from the Baseline economy of the decomposition to the end year,
    averaged over the industries other than real estate with value-added weights
    (``non_real_estate`` of :func:`spatialocc.reports.technology_change`, where it is defined),
    against the start year's CNR share of city employment (left, the panel the paper's text
    reads) and **[choice]** log start-year employment (right). Markers are sized by start-year
    employment **[choice]**; lines are employment-weighted linear fits.

    Parameters
    ----------
    change
        What :func:`spatialocc.reports.technology_change` returns (``spatialocc run`` writes
        it as ``technology_change.nc``).

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure19
    >>> from spatialocc.reports import technology_change
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4)
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data), tau_share=1.0, tau_size=0.3
    ... )
    >>> figure19(technology_change(model)).axes[0].get_xlabel()
    'CNR share of city employment (1980)'
    """
    return _technology_change_figure(
        change,
        "non_real_estate",
        figure="figure19",
        title="Figure 19: Change in the exogenous component of technology "
        "(all non-real estate sectors)",
    )


def figure20(change: xr.Dataset) -> Figure:
    """Figure 20: Change in the exogenous component of technology in real estate.

    The panels of :func:`figure19` for real estate (``real_estate`` of
    :func:`spatialocc.reports.technology_change`: the local change of its labor productivity
    and of land, weighted by their cost shares **[choice]**).

    Parameters
    ----------
    change
        What :func:`spatialocc.reports.technology_change` returns.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure20
    >>> from spatialocc.reports import technology_change
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4)
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data), tau_share=1.0, tau_size=0.3
    ... )
    >>> figure20(technology_change(model)).get_suptitle()
    'Figure 20: Change in the exogenous component of technology in real estate'
    """
    return _technology_change_figure(
        change,
        "real_estate",
        figure="figure20",
        title="Figure 20: Change in the exogenous component of technology in real estate",
    )
