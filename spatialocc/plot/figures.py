"""The paper's figures, one function each: ``figure1`` ... ``figure18``, the scatterplots beside
the maps of Figures 6 and 16 (``figure6_scatter``, ``figure16_scatter``) and the appendix's
Figures A8 and A22 (``figureA8``, ``figureA22``); Figures 14, 15, 19 and 20 are in
:mod:`spatialocc.plot.technology`.

Each takes one economy (select one year first) as what the solvers return: the model at the
data equilibrium (:func:`spatialocc.with_externalities`), a counterfactual equilibrium
(:func:`spatialocc.solve_equilibrium`) or an optimum (:func:`spatialocc.solve_optimal`), and
returns a standard-size Figure drawn with the blocks of :mod:`spatialocc.plot.blocks`. The two
occupations compared and the map extent come from the data
(:func:`spatialocc.plot.compared_occupations`, :func:`spatialocc.plot.map_extent`); maps
take ``extent=`` to override the latter.

Examples
--------
>>> import spatialocc
>>> from spatialocc.plot import figure1
>>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
>>> figure1(data.sel(year=2015)).axes[0].get_xlabel()
'CNR share of city employment'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import xarray as xr

from spatialocc.dims.errors import MissingVariableError
from spatialocc.plot.blocks import (
    _BASELINE_COLOR,
    _VARIANT_COLOR,
    _diverging_center,
    _finish_axes,
    _new_figure,
    _scatter_into,
    histogram,
    scatter,
    us_map,
)
from spatialocc.plot.borders import NaturalEarth
from spatialocc.plot.economy import (
    _gini_change,
    _log,
    _percent_change,
    _premium,
    _residents,
    _share,
    _single_economy,
    _size,
    _wedge_difference,
    compared_occupations,
)
from spatialocc.plot.region import Extent, map_extent

if TYPE_CHECKING:
    from matplotlib.figure import Figure

GiniAxis = Literal["cnr_share", "log_size"]

# How the paper's titles write an occupation label in prose ("transfers to non-CNR workers").
_WRITTEN = {"nonCNR": "non-CNR"}


def _indexed(symbol: str, text: str, *labels: str) -> str:
    """A quantity indexed by occupation and city n: ``$L^{CNR}_n$``, or one formula
    ``$\\Delta^{CNR}_n - \\Delta^{nonCNR}_n$`` for two labels; written out as ``L[k,n]`` when a
    label is not alphanumeric, since mathtext cannot take every label."""
    if all(label.isalnum() for label in labels):
        return "$" + " - ".join(f"{symbol}^{{{label}}}_n" for label in labels) + "$"
    return " - ".join(f"{text}[{label},n]" for label in labels)


def _extent(allocation: xr.Dataset, extent: Extent | None) -> Extent:
    return map_extent(allocation) if extent is None else extent


def _figure1_series(allocation: xr.Dataset, figure: str, argument: str) -> tuple[Any, ...]:
    allocation = _single_economy(allocation, figure, argument)
    if "wage" not in allocation:
        raise MissingVariableError(f"{figure} needs 'wage' in {argument}")
    a, b = compared_occupations(allocation)
    return _share(allocation, a), _premium(allocation, a, b), _size(allocation)


def _figure2_series(allocation: xr.Dataset, figure: str, argument: str) -> tuple[Any, ...]:
    from spatialocc.estimate.tables import figure2_prediction

    allocation = _single_economy(allocation, figure, argument)
    if "wage" not in allocation:
        raise MissingVariableError(f"{figure} needs 'wage' in {argument}")
    a, _ = compared_occupations(allocation)
    prediction = figure2_prediction(allocation).sel(occupation=a, drop=True)
    return (
        prediction["predicted_wage_bill_share"],
        prediction["wage_bill_share"],
        _size(allocation),
    )


def _figure1_labels(a: str) -> dict[str, str]:
    return {
        "xlabel": f"{a} share of city employment",
        "ylabel": f"log {a} wage premium\n(deviation from employment-weighted mean, log points)",
    }


def _figure2_labels(a: str) -> dict[str, str]:
    return {
        "xlabel": f"{a} wage-bill share predicted by industry composition",
        "ylabel": f"{a} wage-bill share",
    }


def _two_series(
    series: Callable[[xr.Dataset, str, str], tuple[Any, ...]],
    labels: Callable[[str], dict[str, str]],
    main: xr.Dataset,
    main_name: str | None,
    reference: xr.Dataset | None,
    figure: str,
    argument: str,
    *,
    title: str,
    diagonal: bool,
) -> Figure:
    fig, ax = _new_figure()
    x, y, size = series(main, figure, argument)
    a, _ = compared_occupations(main)
    top = float(size.max())
    if reference is not None:
        rx, ry, rsize = series(reference, figure, "reference")
        top = max(top, float(rsize.max()))
        _scatter_into(
            ax,
            rx,
            ry,
            size=rsize,
            size_reference=top,
            color=_BASELINE_COLOR,
            name="equilibrium",
        )
    _scatter_into(
        ax,
        x,
        y,
        size=size,
        size_reference=top,
        diagonal=diagonal,
        color=_VARIANT_COLOR if reference is not None else None,
        name=main_name if reference is not None else None,
    )
    _finish_axes(ax, **labels(a), title=title, legend=True)
    return fig


def figure1(allocation: xr.Dataset) -> Figure:
    """Figure 1: CNR share of employment and the log CNR wage premium across cities.

    Markers are cities, sized by total employment; the premium log(w[CNR,n]/w[nonCNR,n]) is a
    deviation from its employment-weighted mean; the line is the employment-weighted linear
    fit, with its slope in the legend.

    Parameters
    ----------
    allocation
        One economy with ``wage`` and ``employment`` (the data, a model or a solution).

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure1
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> fig = figure1(data.sel(year=2015))
    >>> "slope" in fig.axes[0].get_legend().get_texts()[0].get_text()
    True
    """
    return _two_series(
        _figure1_series,
        _figure1_labels,
        allocation,
        None,
        None,
        "figure1",
        "allocation",
        title="Figure 1: Occupational employment share and wage premium",
        diagonal=False,
    )


def figure2(allocation: xr.Dataset) -> Figure:
    """Figure 2: CNR wage-bill share against the one predicted by industry composition.

    The prediction is ``sum_j δ[CNR,j] σ[j,n]``
    (:func:`spatialocc.estimate.figure2_prediction`); the dashed line is the 45-degree line and
    the solid one the employment-weighted linear fit.

    Parameters
    ----------
    allocation
        One economy with ``wage`` and ``employment``.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure2
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> [line.get_gid() for line in figure2(data.sel(year=2015)).axes[0].get_lines()]
    ['fit', 'diagonal']
    """
    return _two_series(
        _figure2_series,
        _figure2_labels,
        allocation,
        None,
        None,
        "figure2",
        "allocation",
        title="Figure 2: Occupational wage bill share: predicted vs actual",
        diagonal=True,
    )


def figure3(counterfactual: xr.Dataset, *, reference: xr.Dataset | None = None) -> Figure:
    """Figure 3: Figure 1 for the equilibrium without externalities (τR = τL = 0).

    Parameters
    ----------
    counterfactual
        The no-externalities solution,
        ``spatialocc.solve_equilibrium(spatialocc.counterfactuals.no_externalities(model))``.
    reference
        Optionally the equilibrium of Figure 1 (the model), drawn in grey.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure3
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> solution = spatialocc.solve_equilibrium(spatialocc.counterfactuals.no_externalities(model))
    >>> len(figure3(solution, reference=model).axes[0].get_legend().get_texts())
    4
    """
    return _two_series(
        _figure1_series,
        _figure1_labels,
        counterfactual,
        "no externalities",
        reference,
        "figure3",
        "counterfactual",
        title="Figure 3: Occupational share and wage premium - no externalities",
        diagonal=False,
    )


def figure4(counterfactual: xr.Dataset, *, reference: xr.Dataset | None = None) -> Figure:
    """Figure 4: Figure 2 for the equilibrium without externalities (τR = τL = 0).

    Parameters
    ----------
    counterfactual
        The no-externalities solution.
    reference
        Optionally the equilibrium of Figure 2 (the model), drawn in grey.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure4
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> solution = spatialocc.solve_equilibrium(spatialocc.counterfactuals.no_externalities(model))
    >>> figure4(solution).axes[0].get_xlabel()
    'CNR wage-bill share predicted by industry composition'
    """
    return _two_series(
        _figure2_series,
        _figure2_labels,
        counterfactual,
        "no externalities",
        reference,
        "figure4",
        "counterfactual",
        title="Figure 4: Occupational wage bill share: predicted vs equilibrium - no externalities",
        diagonal=True,
    )


def figure5(
    allocation: xr.Dataset, *, natural_earth: NaturalEarth = None, extent: Extent | None = None
) -> Figure:
    """Figure 5: map of Δ[CNR,n] - Δ[nonCNR,n], the difference in wedges between the social
    and private marginal value of a CNR and a nonCNR worker (Lemma 2), dollars per worker.

    Parameters
    ----------
    allocation
        The equilibrium with externalities (the paper's "equilibrium values": the model from
        :func:`spatialocc.with_externalities`, the wedge computed from its wages and
        employment), or an allocation carrying ``wedge`` (e.g. the optimum, for the wedges at
        the optimal allocation). Markers are sized by its total employment.
    natural_earth
        See :func:`border_geometries`.
    extent
        The map's (lon_min, lon_max, lat_min, lat_max) in degrees; by default
        :func:`map_extent` of the data (the continental US for the US data).

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure5
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> figure5(model, natural_earth=False).axes[1].get_ylabel()
    'dollars per worker'
    """
    allocation = _single_economy(allocation, "figure5", "allocation")
    difference = _wedge_difference(allocation, "figure5", "allocation")
    symbol = _indexed(r"\Delta", "Δ", *compared_occupations(allocation))
    return us_map(
        difference,
        size=_size(allocation),
        title=f"Figure 5: {symbol} (equilibrium values)",
        label="dollars per worker",
        center=_diverging_center(difference),
        natural_earth=natural_earth,
        extent=_extent(allocation, extent),
    )


def _employment_change_map(
    reference: xr.Dataset,
    optimum: xr.Dataset,
    which: Literal[0, 1],
    *,
    figure: str,
    title: str,
    natural_earth: NaturalEarth,
    extent: Extent | None,
) -> Figure:
    """Map of the change in employment of the ``which``-th compared occupation; ``title`` is
    a template of the occupation's ``{symbol}``."""
    reference = _single_economy(reference, figure, "reference")
    optimum = _single_economy(optimum, figure, "optimum")
    occupation = compared_occupations(reference)[which]
    change = _percent_change(
        _residents(optimum).sel(occupation=occupation, drop=True),
        _residents(reference).sel(occupation=occupation, drop=True),
    )
    return us_map(
        change.assign_attrs(long_name=f"change in {occupation} employment", units="percent"),
        size=_size(reference),
        title=title.format(symbol=_indexed("L", "L", occupation)),
        label=f"change in {occupation} employment (percent)",
        center=0.0,
        natural_earth=natural_earth,
        extent=_extent(reference, extent),
    )


def figure6(
    reference: xr.Dataset,
    optimum: xr.Dataset,
    *,
    natural_earth: NaturalEarth = None,
    extent: Extent | None = None,
) -> Figure:
    """Figure 6: map of the percentage change in CNR employment L[CNR,n] from the equilibrium
    to the optimal allocation, markers sized by equilibrium employment.

    Parameters
    ----------
    reference
        The equilibrium (the model at the data).
    optimum
        The optimal allocation, :func:`spatialocc.solve_optimal`.
    natural_earth
        See :func:`border_geometries`.
    extent
        The map's (lon_min, lon_max, lat_min, lat_max) in degrees; by default
        :func:`map_extent` of the data (the continental US for the US data).

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure6
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> fig = figure6(model, spatialocc.solve_optimal(model), natural_earth=False)
    >>> fig.axes[1].get_ylabel()
    'change in CNR employment (percent)'
    """
    return _employment_change_map(
        reference,
        optimum,
        0,
        figure="figure6",
        title="Figure 6: {symbol} (percentage change from data equilibrium)",
        natural_earth=natural_earth,
        extent=extent,
    )


def figure7(
    reference: xr.Dataset,
    optimum: xr.Dataset,
    *,
    natural_earth: NaturalEarth = None,
    extent: Extent | None = None,
) -> Figure:
    """Figure 7: map of the percentage change in nonCNR employment L[nonCNR,n] from the
    equilibrium to the optimal allocation, markers sized by equilibrium employment.

    Parameters are those of :func:`figure6`.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure7
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> fig = figure7(model, spatialocc.solve_optimal(model), natural_earth=False)
    >>> fig.axes[1].get_ylabel()
    'change in nonCNR employment (percent)'
    """
    return _employment_change_map(
        reference,
        optimum,
        1,
        figure="figure7",
        title="Figure 7: {symbol} (percentage change from data equilibrium)",
        natural_earth=natural_earth,
        extent=extent,
    )


def figure16(
    reference: xr.Dataset,
    optimum: xr.Dataset,
    *,
    natural_earth: NaturalEarth = None,
    extent: Extent | None = None,
) -> Figure:
    """Figure 16: map of the percentage change in CNR employment from the equilibrium without
    trade costs to its optimal allocation.

    Parameters
    ----------
    reference
        The counterfactual equilibrium, e.g.
        ``spatialocc.solve_equilibrium(spatialocc.counterfactuals.no_trade_costs(model))``.
    optimum
        The optimum of the same counterfactual economy,
        ``spatialocc.solve_optimal(spatialocc.counterfactuals.no_trade_costs(model))``.
    natural_earth
        See :func:`border_geometries`.
    extent
        The map's (lon_min, lon_max, lat_min, lat_max) in degrees; by default
        :func:`map_extent` of the data (the continental US for the US data).

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure16
    >>> from spatialocc.solvers.counterfactuals import no_trade_costs
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = no_trade_costs(spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... ))
    >>> fig = figure16(
    ...     spatialocc.solve_equilibrium(model), spatialocc.solve_optimal(model),
    ...     natural_earth=False,
    ... )
    >>> fig.axes[0].get_title().startswith("Figure 16")
    True
    """
    return _employment_change_map(
        reference,
        optimum,
        0,
        figure="figure16",
        title="Figure 16: Change in {symbol} from no trade costs equilibrium to optimal allocation",
        natural_earth=natural_earth,
        extent=extent,
    )


def _employment_change(reference: xr.Dataset, optimum: xr.Dataset, occupation: str):
    """Percentage change in L[k,n] from ``reference`` to ``optimum``."""
    return _percent_change(
        _residents(optimum).sel(occupation=occupation, drop=True),
        _residents(reference).sel(occupation=occupation, drop=True),
    )


def _employment_change_scatter(
    reference: xr.Dataset, optimum: xr.Dataset, *, figure: str, title: str
) -> Figure:
    """Two panels: the percentage change in the first compared occupation's employment from
    ``reference`` to ``optimum`` against log equilibrium employment (left) and against the
    occupation's equilibrium share of city employment (right); weighted linear fits."""
    reference = _single_economy(reference, figure, "reference")
    optimum = _single_economy(optimum, figure, "optimum")
    a, _ = compared_occupations(reference)
    size = _size(reference)
    change = _employment_change(reference, optimum, a)
    fig, axes = _new_figure(1, 2)
    panels = [
        (_log(size), "log employment (equilibrium)"),
        (_share(reference, a), f"{a} share of city employment (equilibrium)"),
    ]
    for ax, (horizontal, xlabel) in zip(axes, panels, strict=True):
        _scatter_into(ax, horizontal, change, size=size)
        _finish_axes(
            ax,
            xlabel=xlabel,
            ylabel=f"change in {a} employment (percent)",
            title=None,
            legend=True,
        )
    fig.suptitle(title, fontsize=10)
    return fig


def figure6_scatter(reference: xr.Dataset, optimum: xr.Dataset) -> Figure:
    """Figure 6 (scatterplots): the percentage change in CNR employment L[CNR,n] from the
    equilibrium to the optimal allocation against log equilibrium employment (left) and the
    equilibrium CNR share of city employment (right).

    The paper's text ("as shown in the scatterplots of Figure 6, the optimal policy creates
    cognitive hubs in larger cities that are already CNR abundant") reads both relations off
    them. Markers are cities sized by equilibrium employment; lines are employment-weighted
    linear fits, with their slopes in the legends.

    Parameters
    ----------
    reference
        The equilibrium (the model at the data).
    optimum
        The optimal allocation, :func:`spatialocc.solve_optimal`.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure6_scatter
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> [ax.get_xlabel() for ax in figure6_scatter(model, spatialocc.solve_optimal(model)).axes]
    ['log employment (equilibrium)', 'CNR share of city employment (equilibrium)']
    """
    return _employment_change_scatter(
        reference,
        optimum,
        figure="figure6_scatter",
        title="Figure 6 (scatterplots): change in CNR employment, data equilibrium to optimum",
    )


def figure16_scatter(reference: xr.Dataset, optimum: xr.Dataset) -> Figure:
    """Figure 16 (scatterplots): the panels of :func:`figure6_scatter` for the economy without
    trade costs, from its equilibrium to its optimal allocation.

    The paper leaves two outliers out of these panels (Atlantic City and Midland); every city
    is drawn here **[choice]**: the data decide which cities are outliers.

    Parameters
    ----------
    reference
        The counterfactual equilibrium,
        ``spatialocc.solve_equilibrium(spatialocc.counterfactuals.no_trade_costs(model))``.
    optimum
        The optimum of the same economy,
        ``spatialocc.solve_optimal(spatialocc.counterfactuals.no_trade_costs(model))``.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure16_scatter
    >>> from spatialocc.solvers.counterfactuals import no_trade_costs
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = no_trade_costs(spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... ))
    >>> fig = figure16_scatter(spatialocc.solve_equilibrium(model), spatialocc.solve_optimal(model))
    >>> len(fig.axes)
    2
    """
    return _employment_change_scatter(
        reference,
        optimum,
        figure="figure16_scatter",
        title="Figure 16 (scatterplots): change in CNR employment, no trade costs equilibrium "
        "to optimum",
    )


def figureA8(
    reference: xr.Dataset,
    optimum: xr.Dataset,
    variant_optimum: xr.Dataset,
    *,
    variant_reference: xr.Dataset | None = None,
    variant_label: str = "no trade costs",
) -> Figure:
    """Figure A8 (appendix): how the optimal change in CNR employment correlates with city
    size, in the baseline (grey) and without trade costs (blue).

    The paper cites it for "eliminating trade costs does not materially affect how the
    optimal allocation correlates with city size" (section 7.2, its footnote 35; the text
    beside Figure 6 refers to that section for how trade costs matter). Each economy's
    percentage change in CNR employment from its equilibrium to its optimum is drawn against
    log equilibrium employment, markers sized by equilibrium employment, with
    employment-weighted linear fits whose slopes are in the legend.

    Parameters
    ----------
    reference, optimum
        The baseline equilibrium and its optimum.
    variant_optimum
        The optimum without trade costs
        (``solve_optimal(counterfactuals.no_trade_costs(model))``), or of any other variant.
    variant_reference
        The variant's equilibrium; by default ``reference``.
    variant_label
        Legend name of the variant.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figureA8
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> optimum = spatialocc.solve_optimal(model)
    >>> len(figureA8(model, optimum, optimum).axes[0].collections)
    2
    """
    variant_reference = reference if variant_reference is None else variant_reference
    economies = [
        ("baseline", _BASELINE_COLOR, reference, optimum),
        (variant_label, _VARIANT_COLOR, variant_reference, variant_optimum),
    ]
    prepared = [
        (
            label,
            color,
            _single_economy(ref, "figureA8", f"{label} reference"),
            _single_economy(opt, "figureA8", f"{label} optimum"),
        )
        for label, color, ref, opt in economies
    ]
    a, _ = compared_occupations(prepared[0][2])
    top = max(float(_size(ref).max()) for _, _, ref, _ in prepared)
    fig, ax = _new_figure()
    for label, color, ref, opt in prepared:
        size = _size(ref)
        _scatter_into(
            ax,
            _log(size),
            _employment_change(ref, opt, a),
            size=size,
            size_reference=top,
            color=color,
            name=label,
        )
    _finish_axes(
        ax,
        xlabel="log employment (equilibrium)",
        ylabel=f"change in {a} employment, equilibrium to optimum (percent)",
        title=f"Figure A8: Change in {a} employment and city size, baseline and {variant_label}",
        legend=True,
    )
    return fig


def _transfer_map(
    optimum: xr.Dataset,
    reference: xr.Dataset | None,
    which: Literal[0, 1],
    *,
    figure: str,
    title: str,
    deviation: bool,
    natural_earth: NaturalEarth,
    extent: Extent | None,
) -> Figure:
    """Map of the net transfer to the ``which``-th compared occupation; ``title`` is a template
    of the occupation as the paper writes it, ``{occupation}``."""
    optimum = _single_economy(optimum, figure, "optimum")
    occupation = compared_occupations(optimum)[which]
    if "transfer" not in optimum:
        raise MissingVariableError(
            f"{figure} needs 'transfer' (net transfer per worker) in optimum; pass the result "
            "of spatialocc.solve_optimal"
        )
    transfer = optimum["transfer"].sel(occupation=occupation, drop=True)
    workers = _residents(optimum).sel(occupation=occupation, drop=True)
    mean = float((transfer * workers).sum() / workers.sum())
    size = _size(
        _single_economy(reference, figure, "reference") if reference is not None else optimum
    )
    if deviation:
        values = transfer - mean
        label = f"dollars per {occupation} worker, deviation from mean (US$ {mean:,.0f})"
    else:
        values, label = transfer, f"dollars per {occupation} worker"
    return us_map(
        values.assign_attrs(long_name=f"net transfer per {occupation} worker", units="dollars"),
        size=size,
        title=title.format(occupation=_WRITTEN.get(occupation, occupation)),
        label=label,
        center=0.0,
        natural_earth=natural_earth,
        extent=_extent(optimum, extent),
    )


def figure10(
    optimum: xr.Dataset,
    *,
    reference: xr.Dataset | None = None,
    deviation: bool = True,
    natural_earth: NaturalEarth = None,
    extent: Extent | None = None,
) -> Figure:
    """Figure 10: map of the optimal net transfer per CNR worker, T[CNR,n] = P C - w - χ.

    Parameters
    ----------
    optimum
        The optimal allocation with ``transfer`` (:func:`spatialocc.solve_optimal`).
    reference
        The equilibrium whose total employment sizes the markers (the paper's choice);
        by default the optimum's.
    deviation
        Show the deviation from the employment-weighted mean transfer (as the paper does; the
        mean is in the colorbar label) rather than the level.
    natural_earth
        See :func:`border_geometries`.
    extent
        The map's (lon_min, lon_max, lat_min, lat_max) in degrees; by default
        :func:`map_extent` of the data (the continental US for the US data).

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure10
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> fig = figure10(spatialocc.solve_optimal(model), reference=model, natural_earth=False)
    >>> fig.axes[1].get_ylabel().startswith("dollars per CNR worker")
    True
    """
    return _transfer_map(
        optimum,
        reference,
        0,
        figure="figure10",
        title="Figure 10: Optimal transfers to {occupation} workers (per {occupation} worker)",
        deviation=deviation,
        natural_earth=natural_earth,
        extent=extent,
    )


def figure11(
    optimum: xr.Dataset,
    *,
    reference: xr.Dataset | None = None,
    deviation: bool = True,
    natural_earth: NaturalEarth = None,
    extent: Extent | None = None,
) -> Figure:
    """Figure 11: map of the optimal net transfer per nonCNR worker, T[nonCNR,n].

    Parameters are those of :func:`figure10`.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure11
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> fig = figure11(spatialocc.solve_optimal(model), natural_earth=False)
    >>> fig.axes[1].get_ylabel().startswith("dollars per nonCNR worker")
    True
    """
    return _transfer_map(
        optimum,
        reference,
        1,
        figure="figure11",
        title="Figure 11: Optimal transfers to {occupation} workers (per {occupation} worker)",
        deviation=deviation,
        natural_earth=natural_earth,
        extent=extent,
    )


def figure8(reference: xr.Dataset, optimum: xr.Dataset) -> Figure:
    """Figure 8: percentage change in city employment L[n] from the equilibrium to the optimal
    allocation against log equilibrium employment, with the employment-weighted linear fit.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure8
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> figure8(model, spatialocc.solve_optimal(model)).axes[0].get_ylabel()
    'change in employment, equilibrium to optimum (percent)'
    """
    reference = _single_economy(reference, "figure8", "reference")
    optimum = _single_economy(optimum, "figure8", "optimum")
    size = _size(reference)
    return scatter(
        _log(size),
        _percent_change(_size(optimum), size),
        size=size,
        xlabel="log employment (equilibrium)",
        ylabel="change in employment, equilibrium to optimum (percent)",
        title=r"Figure 8: Percentage change in $L_n$ from equilibrium to optimal",
    )


# Horizontal axes of Figure 9; {occupation} is the first compared occupation.
_GINI_AXES: dict[str, str] = {
    "cnr_share": "{occupation} share of city employment (equilibrium)",
    "log_size": "log employment (equilibrium)",
}


def figure9(reference: xr.Dataset, optimum: xr.Dataset, *, x: GiniAxis = "cnr_share") -> Figure:
    """Figure 9: change in each city's industrial Gini coefficient (of wage-bill shares across
    industries, :func:`spatialocc.reports.industrial_gini`) from the equilibrium to the
    optimal allocation, with an employment-weighted cubic fit as in the paper.

    Parameters
    ----------
    reference, optimum
        The equilibrium and the optimal allocation.
    x
        Horizontal axis: ``"cnr_share"`` (the paper's Figure 9) or ``"log_size"`` (log
        equilibrium employment, the paper's appendix Figure A22).

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure9
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> figure9(model, spatialocc.solve_optimal(model)).axes[0].get_xlabel()
    'CNR share of city employment (equilibrium)'
    """
    return _gini_figure(
        reference,
        optimum,
        x,
        figure="figure9",
        title="Figure 9: Changes in the Gini coefficient between the data and optimal allocation",
    )


def _gini_figure(
    reference: xr.Dataset, optimum: xr.Dataset, x: GiniAxis, *, figure: str, title: str
) -> Figure:
    if x not in get_args(GiniAxis):
        raise ValueError(f"x must be one of {get_args(GiniAxis)}, got {x!r}")
    reference = _single_economy(reference, figure, "reference")
    optimum = _single_economy(optimum, figure, "optimum")
    a, _ = compared_occupations(reference)
    horizontal = _share(reference, a) if x == "cnr_share" else _log(_size(reference))
    return scatter(
        horizontal,
        _gini_change(reference, optimum),
        size=_size(reference),
        fit=3,
        xlabel=_GINI_AXES[x].format(occupation=a),
        ylabel="change in industrial Gini coefficient,\nequilibrium to optimum",
        title=title,
    )


def figureA22(reference: xr.Dataset, optimum: xr.Dataset) -> Figure:
    """Figure A22 (appendix): Figure 9 against log equilibrium employment instead of the CNR
    share, ``figure9(reference, optimum, x="log_size")``.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figureA22
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> figureA22(model, spatialocc.solve_optimal(model)).axes[0].get_xlabel()
    'log employment (equilibrium)'
    """
    return _gini_figure(
        reference,
        optimum,
        "log_size",
        figure="figureA22",
        title="Figure A22: Changes in the Gini coefficient against city size",
    )


def figure12(
    reference: xr.Dataset,
    optimum: xr.Dataset,
    *,
    variant_optimum: xr.Dataset | None = None,
    variant_reference: xr.Dataset | None = None,
    variant_label: str = "homogeneous linkages",
) -> Figure:
    """Figure 12: Δ[CNR,n] - Δ[nonCNR,n] at the equilibrium (horizontal) and at the optimal
    allocation (vertical), with the 45-degree line; a second panel for a variant economy.

    Parameters
    ----------
    reference, optimum
        The baseline equilibrium (with externalities) and its optimum (left panel).
    variant_optimum
        Optionally the optimum of a variant economy (the paper: homogeneous linkages,
        ``spatialocc.counterfactuals.homogeneous_linkages``), drawn in a right panel.
    variant_reference
        The variant's equilibrium; by default ``reference``.
    variant_label
        Name of the variant in the panel title.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure12
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> len(figure12(model, spatialocc.solve_optimal(model)).axes)
    1
    """
    panels = [("baseline", reference, optimum)]
    if variant_optimum is not None:
        variant_reference = reference if variant_reference is None else variant_reference
        panels.append((variant_label, variant_reference, variant_optimum))
    fig, axes = _new_figure(1, len(panels))
    axes = np.atleast_1d(axes)
    for ax, (label, ref, opt) in zip(axes, panels, strict=True):
        ref = _single_economy(ref, "figure12", f"{label} reference")
        opt = _single_economy(opt, "figure12", f"{label} optimum")
        at_reference = _wedge_difference(ref, "figure12", f"{label} reference")
        at_optimum = _wedge_difference(opt, "figure12", f"{label} optimum")
        _scatter_into(ax, at_reference / 1e3, at_optimum / 1e3, size=_size(ref), diagonal=True)
        _finish_axes(
            ax,
            xlabel="equilibrium (thousand dollars per worker)",
            ylabel="optimum (thousand dollars per worker)",
            title=label if len(panels) > 1 else None,
            legend=True,
        )
    symbol = _indexed(r"\Delta", "Δ", *compared_occupations(reference))
    fig.suptitle(f"Figure 12: {symbol} in equilibrium and optimal allocations", fontsize=10)
    return fig


def _comparison(
    reference: xr.Dataset,
    optimum: xr.Dataset,
    variant_optimum: xr.Dataset,
    variant_reference: xr.Dataset | None,
    *,
    figure: str,
    variant_label: str,
    title: str,
) -> Figure:
    """Four panels: baseline (grey) and variant (blue) changes from equilibrium to optimum."""
    from matplotlib.lines import Line2D

    variant_reference = reference if variant_reference is None else variant_reference
    economies = [
        ("baseline", _BASELINE_COLOR, reference, optimum),
        (variant_label, _VARIANT_COLOR, variant_reference, variant_optimum),
    ]
    fig, axes = _new_figure(2, 2)
    top = 0.0
    prepared = []
    for label, color, ref, opt in economies:
        ref = _single_economy(ref, figure, f"{label} reference")
        opt = _single_economy(opt, figure, f"{label} optimum")
        top = max(top, float(_size(ref).max()))
        prepared.append((label, color, ref, opt))
    a, b = compared_occupations(prepared[0][2])
    panels = [
        ("log employment (equilibrium)", f"change in {a}\nemployment (percent)", 2),
        ("log employment (equilibrium)", f"change in {b}\nemployment (percent)", 2),
        ("log employment (equilibrium)", "change in\nemployment (percent)", 1),
        (f"{a} share of city employment (equilibrium)", "change in industrial Gini", 2),
    ]
    for label, color, ref, opt in prepared:
        size = _size(ref)
        log_size = _log(size)
        residents_ref, residents_opt = _residents(ref), _residents(opt)
        series = [
            (
                log_size,
                _percent_change(
                    residents_opt.sel(occupation=a, drop=True),
                    residents_ref.sel(occupation=a, drop=True),
                ),
            ),
            (
                log_size,
                _percent_change(
                    residents_opt.sel(occupation=b, drop=True),
                    residents_ref.sel(occupation=b, drop=True),
                ),
            ),
            (log_size, _percent_change(_size(opt), size)),
            (_share(ref, a), _gini_change(ref, opt)),
        ]
        for ax, (xv, yv), (_, _, degree) in zip(axes.flat, series, panels, strict=True):
            _scatter_into(
                ax, xv, yv, size=size, size_reference=top, fit=degree, color=color, name=label
            )
    for ax, (xlabel, ylabel, _) in zip(axes.flat, panels, strict=True):
        _finish_axes(ax, xlabel=xlabel, ylabel=ylabel, title=None, legend=False)
        ax.xaxis.label.set_fontsize(8)
        ax.yaxis.label.set_fontsize(8)
        ax.tick_params(labelsize=7)
    handles = [
        Line2D([], [], linestyle="none", marker="o", color=color, alpha=0.7, label=label)
        for label, color, _, _ in prepared
    ]
    handles.append(Line2D([], [], color="0.3", label="weighted quadratic / linear fits"))
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    return fig


def figure13(
    reference: xr.Dataset,
    optimum: xr.Dataset,
    variant_optimum: xr.Dataset,
    *,
    variant_reference: xr.Dataset | None = None,
    variant_label: str = "homogeneous linkages",
) -> Figure:
    """Figure 13: the move from equilibrium to optimum with homogeneous industry links (blue)
    and in the baseline (grey).

    Four panels against the equilibrium of each economy: the percentage change in CNR,
    nonCNR and total employment against log employment, and the change in the industrial Gini
    against the CNR share; lines are employment-weighted quadratic (linear for total
    employment) fits.

    Parameters
    ----------
    reference, optimum
        The baseline equilibrium and its optimum.
    variant_optimum
        The optimum of the variant economy
        (``solve_optimal(counterfactuals.homogeneous_linkages(model))``); any other variant
        works too.
    variant_reference
        The variant's equilibrium (``solve_equilibrium`` of the same transformed model); by
        default ``reference``.
    variant_label
        Legend name of the variant.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure13
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> optimum = spatialocc.solve_optimal(model)
    >>> len(figure13(model, optimum, optimum).axes)
    4
    """
    return _comparison(
        reference,
        optimum,
        variant_optimum,
        variant_reference,
        figure="figure13",
        variant_label=variant_label,
        title="Figure 13: Homogeneous Industry Links",
    )


def figure17(
    reference: xr.Dataset,
    optimum: xr.Dataset,
    variant_optimum: xr.Dataset,
    *,
    variant_reference: xr.Dataset | None = None,
    variant_label: str = "additive amenities",
) -> Figure:
    """Figure 17: the move from equilibrium to optimum with additive amenities (blue) and in
    the baseline (grey); the panels are those of :func:`figure13`.

    When ``variant_optimum`` says it was solved with one national Gumbel scale (its
    attribute ``gumbel_scale`` is ``"national"``, e.g. a variant computed with
    ``counterfactuals.additive_amenities(model, nu_additive=...)`` and marked so), the title
    says so: that calibration makes the better-paid occupation more mobile than the paper's.

    Parameters
    ----------
    reference, optimum
        The baseline equilibrium and its optimum.
    variant_optimum
        The optimum under additive amenities (or of any other variant economy).
    variant_reference
        The variant's equilibrium; by default ``reference`` (the data allocation, which both
        preference specifications rationalize).
    variant_label
        Legend name of the variant.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import figure17
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> optimum = spatialocc.solve_optimal(model)
    >>> figure17(model, optimum, optimum).get_suptitle()
    'Figure 17: Additive amenities'
    """
    return _comparison(
        reference,
        optimum,
        variant_optimum,
        variant_reference,
        figure="figure17",
        variant_label=variant_label,
        title="Figure 17: Additive amenities"
        + (
            " (one national Gumbel scale)"
            if variant_optimum.attrs.get("gumbel_scale") == "national"
            else ""
        ),
    )


def figure18(population_share: xr.DataArray | xr.Dataset) -> Figure:
    """Figure 18: distribution of population by the CNR share of the city of employment.

    Parameters
    ----------
    population_share
        On (``distribution``, ``bin``), as :func:`cnr_share_distribution` returns it.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import cnr_share_distribution, figure18
    >>> data = spatialocc.datasets.synthetic(n_cities=20, n_industries=4)
    >>> share = cnr_share_distribution({str(y): data.sel(year=y) for y in (1980, 2015)})
    >>> [t.get_text() for t in figure18(share).axes[0].get_legend().get_texts()]
    ['1980', '2015']
    """
    return histogram(
        population_share,
        title="Figure 18: Distribution of population by CNR share in city of employment",
    )
