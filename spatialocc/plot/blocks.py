"""Drawing blocks of the figures: a standard figure, a city map, a sized scatter with its fit,
grouped histogram bars, colour scales, and an atomic PNG writer.

Every block returns a :class:`matplotlib.figure.Figure` built directly on the Agg canvas,
never through ``pyplot``: drawing changes no global matplotlib state, opens no window and works
the same in scripts, notebooks and headless CI. A standard figure is ``FIGSIZE`` = 8 x 5.5
inches at ``DPI`` = 100 dots per inch, so :func:`save` writes an 800 x 550 pixel PNG. A block
can also draw into given axes (``ax=``), to combine several in one figure.

Examples
--------
>>> import xarray as xr
>>> from spatialocc.plot import save, scatter
>>> fig = scatter(xr.DataArray([1.0, 2.0, 3.0]), xr.DataArray([1.0, 3.0, 2.0]))
>>> fig.get_size_inches().tolist(), fig.dpi
([8.0, 5.5], 100)
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from spatialocc.dims.errors import (
    CoordinateMismatchError,
    DimensionError,
    MissingVariableError,
    format_labels,
)
from spatialocc.dims.io import atomic_path
from spatialocc.plot.borders import NaturalEarth, _draw_borders
from spatialocc.plot.region import (
    _INSTALL_HINT,
    Extent,
    _attribute_extent,
    _cartopy,
    _checked_extent,
    _extent_around,
    _region,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

#: Size of a standard figure in inches (width, height); with ``DPI`` it is 800 x 550 pixels.
FIGSIZE: tuple[float, float] = (8.0, 5.5)
#: Resolution of a standard figure and of :func:`save`, in dots per inch.
DPI: int = 100
#: Largest marker area in points squared; marker areas are proportional to the size variable.
MAX_MARKER_AREA = 320.0

_BASELINE_COLOR = "0.6"
_VARIANT_COLOR = "C0"


def _new_figure(nrows: int = 1, ncols: int = 1, **subplot_kw: Any) -> tuple[Figure, Any]:
    """A standard-size Figure on the Agg canvas (no pyplot) and its axes."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(f"spatialocc.plot needs matplotlib; {_INSTALL_HINT}") from err
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=True, subplot_kw=subplot_kw or None)
    return fig, axes


# -- inputs ----------------------------------------------------------------------------------


def _as_vector(obj: Any, name: str, dim: Hashable | None = None) -> xr.DataArray:
    """A one-dimensional DataArray (array-likes get ``dim``)."""
    if not isinstance(obj, xr.DataArray):
        array = np.asarray(obj, dtype=float)
        if array.ndim != 1:
            raise DimensionError(f"{name} must be one-dimensional, got shape {array.shape}")
        return xr.DataArray(array, dims=(dim or "point",), name=name)
    if obj.ndim != 1:
        extra = [d for d in obj.dims if d != (dim or "city")]
        hint = ", ".join(f"{d}=..." for d in extra)
        raise DimensionError(
            f"{name} must have one dimension, got {obj.dims}; select a slice first, e.g. "
            f"{name}.sel({hint}) or .isel({hint})"
        )
    return obj


def _city_vector(obj: xr.DataArray, name: str) -> xr.DataArray:
    if not isinstance(obj, xr.DataArray):
        raise TypeError(f"{name} must be an xarray.DataArray on 'city', got {type(obj).__name__}")
    if "city" not in obj.dims:
        raise DimensionError(f"{name} must have the dimension 'city'; it has {obj.dims}")
    return _as_vector(obj, name, "city")


def _label(da: xr.DataArray, default: str = "") -> str:
    """``long_name (units)`` from a DataArray's attributes."""
    name = str(da.attrs.get("long_name") or da.name or default)
    units = str(da.attrs.get("units", "")).strip()
    return f"{name} ({units})" if units and units != "1" else name


def _marker_areas(size: np.ndarray, reference: float | None = None) -> np.ndarray:
    """Marker areas (points squared) proportional to ``size``; the largest gets MAX_MARKER_AREA."""
    size = np.where(np.isfinite(size) & (size > 0), size, 0.0)
    top = float(reference if reference is not None else size.max(initial=0.0))
    if top <= 0:
        return np.full(size.shape, 20.0)
    return np.maximum(MAX_MARKER_AREA * size / top, 3.0)


def _round_sizes(size: np.ndarray) -> list[float]:
    """Two or three round numbers spanning the sizes, for a marker-size legend."""
    top = float(np.nanmax(size))
    candidates = [top, np.sqrt(top * float(np.nanmedian(size))), float(np.nanmedian(size))]
    out: list[float] = []
    for value in candidates:
        exponent = np.floor(np.log10(value))
        rounded = float(np.round(value / 10**exponent) * 10**exponent)
        if rounded > 0 and all(abs(rounded - o) > 0.2 * o for o in out):
            out.append(rounded)
    return out


def _diverging_center(values: xr.DataArray) -> float | None:
    """0 when ``values`` take both signs (a diverging colour scale centred there), else None."""
    finite = np.asarray(values.values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return 0.0 if finite.size and finite.min() < 0 < finite.max() else None


def _format_count(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:g} million"
    if value >= 1e3:
        return f"{value / 1e3:g} thousand"
    return f"{value:g}"


# -- building blocks -------------------------------------------------------------------------


def us_map(
    values: xr.DataArray,
    *,
    size: xr.DataArray,
    ax: Axes | None = None,
    title: str | None = None,
    label: str | None = None,
    cmap: str | None = None,
    center: float | None = None,
    natural_earth: NaturalEarth = None,
    extent: Extent | None = None,
) -> Figure:
    """A map of the cities (by default of the continental US) with one marker per city, sized
    by ``size``, colored by ``values``.

    Parameters
    ----------
    values
        The colored quantity on the dimension ``city``, with coordinates ``lat`` and ``lon``
        (degrees). Cities with NaN values, or outside the extent (for the US data: Alaska,
        Hawaii, Puerto Rico), are not drawn.
    size
        Marker size on ``city`` (employment): marker areas are proportional to it.
    ax
        A cartopy GeoAxes to draw into, e.g.
        ``fig.add_subplot(projection=map_projection(extent))``; by default a new standard-size
        Figure in the projection of the extent.
    title
        Axes title.
    label
        Colorbar label; by default ``long_name (units)`` of ``values``.
    cmap
        Colormap name; by default ``"viridis"``, or ``"RdBu_r"`` when ``center`` is given.
    center
        Center a diverging colormap at this value (e.g. 0) with limits symmetric around it.
    natural_earth
        Folder of Natural Earth GeoJSON files for the borders; see :func:`border_geometries`.
    extent
        The map's (lon_min, lon_max, lat_min, lat_max) in degrees; by default the attribute
        ``map_extent`` of ``values`` or ``size``, else derived from the cities' coordinates as
        :func:`map_extent` does (``US_EXTENT`` for cities in the continental US).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import us_map
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> data = data.sel(year=2015)
    >>> size = data["employment"].sum(["occupation", "industry"])
    >>> fig = us_map(data["wage"].sel(occupation="CNR"), size=size, natural_earth=False)
    >>> len(fig.axes)  # the map and its colorbar
    2
    """
    ccrs, _ = _cartopy()
    from matplotlib.colors import CenteredNorm, Normalize
    from matplotlib.lines import Line2D

    values = _city_vector(values, "values")
    size = _city_vector(size, "size")
    try:
        values_aligned, size_aligned = xr.align(values, size, join="exact")
    except ValueError as err:
        raise CoordinateMismatchError(
            "values and size must have the same 'city' labels in the same order; align them "
            f"first, e.g. size.sel(city=values.city) ({err})"
        ) from err
    coords = values.coords if {"lat", "lon"} <= set(values.coords) else size.coords
    if not {"lat", "lon"} <= set(coords):
        raise MissingVariableError(
            "us_map needs the city coordinates 'lat' and 'lon' (degrees) on values or size; "
            f"values has the coordinates {format_labels(list(values.coords))}"
        )
    lat = np.asarray(coords["lat"].values, dtype=float)
    lon = np.asarray(coords["lon"].values, dtype=float)
    vals = np.asarray(values_aligned.values, dtype=float)
    sizes = np.asarray(size_aligned.values, dtype=float)
    if extent is None:
        given = _attribute_extent(values) or _attribute_extent(size)
        extent = given or _extent_around(lon, lat)
    region = _region(_checked_extent(extent, "extent"))

    projection = region.projection() if ax is None else getattr(ax, "projection", None)
    if projection is None:
        raise TypeError(
            "ax must be a cartopy GeoAxes; create it with "
            "fig.add_subplot(projection=spatialocc.plot.map_projection(extent))"
        )
    frame = region.frame(projection)
    lon_min, lon_max, lat_min, lat_max = region.extent
    points = projection.transform_points(ccrs.PlateCarree(), lon, lat)
    on_map = (
        (lon >= lon_min)
        & (lon <= lon_max)
        & (lat >= lat_min)
        & (lat <= lat_max)
        & (points[:, 0] >= frame[0])
        & (points[:, 0] <= frame[1])
        & (points[:, 1] >= frame[2])
        & (points[:, 1] <= frame[3])
    )
    keep = on_map & np.isfinite(vals)
    if (~on_map).any():
        outside = values["city"].values[~on_map]
        logger.info(
            "us_map: %d cities outside %s not drawn: %s",
            outside.size,
            region.description,
            format_labels(outside),
        )
    if not keep.any():
        raise ValueError(
            f"no city to draw: every city is outside {region.description} extent {region.extent} "
            "(lon_min, lon_max, lat_min, lat_max) or has a NaN value"
        )

    if ax is None:
        fig, ax = _new_figure(projection=projection)
    else:
        fig = ax.figure
    _draw_borders(ax, natural_earth, region)

    if center is not None:
        spread = float(np.max(np.abs(vals[keep] - center)))
        norm = CenteredNorm(vcenter=center, halfrange=spread if spread > 0 else 1.0)
        cmap = cmap or "RdBu_r"
    else:
        norm = Normalize(vmin=float(vals[keep].min()), vmax=float(vals[keep].max()))
        cmap = cmap or "viridis"
    areas = _marker_areas(sizes[keep])
    order = np.argsort(-areas, kind="stable")  # small cities drawn on top of large ones
    markers = ax.scatter(
        lon[keep][order],
        lat[keep][order],
        s=areas[order],
        c=vals[keep][order],
        cmap=cmap,
        norm=norm,
        edgecolors="0.15",
        linewidths=0.3,
        alpha=0.9,
        transform=ccrs.PlateCarree(),
        zorder=3,
    )
    markers.set_gid("cities")
    ax.set_extent(frame, crs=projection)
    colorbar = fig.colorbar(markers, ax=ax, shrink=0.7, pad=0.02)
    colorbar.set_label(label if label is not None else _label(values))

    top = float(sizes[keep].max())
    handles = [
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markerfacecolor="none",
            markeredgecolor="0.3",
            markersize=float(np.sqrt(MAX_MARKER_AREA * s / top)),
            label=_format_count(s),
        )
        for s in _round_sizes(sizes[keep])
    ]
    size_units = str(size.attrs.get("units", "")).strip()
    size_name = str(size.attrs.get("long_name") or size.name or "size")
    legend_title = f"{size_name} ({size_units})" if size_units not in ("", "1") else size_name
    ax.legend(
        handles=handles,
        title=legend_title,
        loc="lower left",
        fontsize=7,
        title_fontsize=7,
        frameon=False,
        labelspacing=1.5,
        handletextpad=1.2,
        borderpad=0.8,
    )
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def _weighted_polyfit(x: np.ndarray, y: np.ndarray, w: np.ndarray, degree: int) -> np.ndarray:
    """Coefficients (highest power first) of the least-squares fit minimizing sum w (y - p(x))²."""
    if degree == 1:
        w = w / w.sum()
        x_bar, y_bar = (w * x).sum(), (w * y).sum()
        slope = (w * (x - x_bar) * (y - y_bar)).sum() / (w * (x - x_bar) ** 2).sum()
        return np.array([slope, y_bar - slope * x_bar])
    root = np.sqrt(w)
    design = np.vander(x, degree + 1) * root[:, None]
    coefficients, *_ = np.linalg.lstsq(design, y * root, rcond=None)
    return coefficients


_FIT_NAMES = {1: "linear", 2: "quadratic", 3: "cubic"}


def _scatter_into(
    ax: Axes,
    x: Any,
    y: Any,
    *,
    size: Any = None,
    size_reference: float | None = None,
    fit: bool | int = True,
    diagonal: bool = False,
    labels: int | Sequence[Hashable] | None = None,
    color: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Draw one series of sized markers (and its fit) into ``ax``; return what was drawn."""
    x = _as_vector(x, "x")
    dim = x.dims[0]
    y = _as_vector(y, "y", dim)
    arrays = [x, y] if size is None else [x, y, _as_vector(size, "size", dim)]
    if len({a.dims for a in arrays}) != 1:
        raise DimensionError(
            f"x, y and size must share one dimension; got {[a.dims for a in arrays]}"
        )
    try:
        arrays = list(xr.align(*arrays, join="exact"))
    except ValueError as err:
        raise CoordinateMismatchError(
            f"x, y and size must have the same labels along {dim!r} ({err})"
        ) from err
    xv = np.asarray(arrays[0].values, dtype=float)
    yv = np.asarray(arrays[1].values, dtype=float)
    wv = np.ones_like(xv) if size is None else np.asarray(arrays[2].values, dtype=float)
    keep = np.isfinite(xv) & np.isfinite(yv) & np.isfinite(wv) & (wv > 0)
    xv, yv, wv = xv[keep], yv[keep], wv[keep]
    color = color or "C0"

    areas = np.full(xv.shape, 25.0) if size is None else _marker_areas(wv, size_reference)
    order = np.argsort(-areas, kind="stable")
    ax.scatter(
        xv[order],
        yv[order],
        s=areas[order],
        color=color,
        alpha=0.7,
        edgecolors="white",
        linewidths=0.4,
        label=name if name else "_nolegend_",
        zorder=2,
    )

    drawn: dict[str, Any] = {"n": int(xv.size)}
    degree = int(fit)
    if degree >= 1 and xv.size > degree and np.ptp(xv) > 0:
        coefficients = _weighted_polyfit(xv, yv, wv, degree)
        grid = np.linspace(xv.min(), xv.max(), 2 if degree == 1 else 100)
        kind = _FIT_NAMES.get(degree, f"degree-{degree}")
        weighting = "weighted " if size is not None else ""
        text = f"{weighting}{kind} fit"
        if degree == 1:
            text += f", slope = {coefficients[0]:.3g}"
        if name:
            text = f"{name}: {text}"
        (line,) = ax.plot(
            grid,
            np.polyval(coefficients, grid),
            color="black" if name is None else color,
            linewidth=1.3,
            label=text,
            zorder=3,
        )
        line.set_gid("fit")
        drawn["coefficients"] = coefficients
    if diagonal:
        low = float(min(xv.min(), yv.min()))
        high = float(max(xv.max(), yv.max()))
        (line,) = ax.plot(
            [low, high],
            [low, high],
            color="black",
            linestyle="--",
            linewidth=0.9,
            label="45-degree line",
            zorder=1,
        )
        line.set_gid("diagonal")
    if labels is not None:
        labelled = arrays[0].isel({dim: np.flatnonzero(keep)})
        if isinstance(labels, int):
            chosen = np.argsort(-wv, kind="stable")[:labels]
        else:
            index = labelled.indexes.get(dim)
            if index is None:
                raise MissingVariableError(f"labels by name need a coordinate on {dim!r}")
            chosen = [int(index.get_loc(label)) for label in labels if label in index]
        names = (
            labelled["city_name"].values
            if "city_name" in labelled.coords
            else (labelled[dim].values if dim in labelled.coords else np.arange(labelled.size))
        )
        for i in chosen:
            ax.annotate(
                str(names[i]),
                (xv[i], yv[i]),
                xytext=(3, 3),
                textcoords="offset points",
                fontsize=7,
                color="0.2",
            )
    return drawn


def _finish_axes(ax: Axes, *, xlabel: str, ylabel: str, title: str | None, legend: bool) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, linewidth=0.3, color="0.85")
    ax.set_axisbelow(True)
    if legend:
        handles, _ = ax.get_legend_handles_labels()
        if handles:
            ax.legend(fontsize=8, loc="best", frameon=False)


def scatter(
    x: xr.DataArray,
    y: xr.DataArray,
    *,
    size: xr.DataArray | None = None,
    ax: Axes | None = None,
    fit: bool | int = True,
    diagonal: bool = False,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    labels: int | Sequence[Hashable] | None = None,
    color: str | None = None,
    name: str | None = None,
) -> Figure:
    """Sized markers of ``y`` against ``x`` with a weighted least-squares fit.

    Parameters
    ----------
    x, y
        One-dimensional DataArrays on the same dimension and labels (usually ``city``).
        Points where x, y or size is not finite, or size is not positive, are left out.
    size
        Marker sizes (employment): areas are proportional to it, and it weighs the fit.
        ``None`` draws equal markers and fits with equal weights.
    ax
        Matplotlib axes to draw into (another series can be added to the same axes); by
        default a new standard-size Figure.
    fit
        ``True`` (or 1) draws the weighted linear fit, minimizing sum size·(y - a - b x)², with
        its slope b in the legend; 2 or 3 a quadratic or cubic fit; ``False`` none.
    diagonal
        Draw the 45-degree line y = x.
    xlabel, ylabel
        Axis labels; by default ``long_name (units)`` of x and y.
    title
        Axes title.
    labels
        Annotate points with ``city_name`` (or their labels): an integer n labels the n largest
        by size, a sequence labels those cities.
    color
        Marker color; the fit is drawn in black unless ``name`` is given, then in this color.
    name
        Legend entry of the markers (and prefix of the fit's entry) when several series share
        the axes.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import xarray as xr
    >>> from spatialocc.plot import scatter
    >>> x = xr.DataArray([1.0, 2.0, 3.0, 4.0], dims="city")
    >>> fig = scatter(x, 2 * x + 1, size=xr.DataArray([1.0, 2.0, 3.0, 4.0], dims="city"))
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'weighted linear fit, slope = 2'
    """
    if ax is None:
        fig, ax = _new_figure()
    else:
        fig = ax.figure
    _scatter_into(
        ax, x, y, size=size, fit=fit, diagonal=diagonal, labels=labels, color=color, name=name
    )
    _finish_axes(
        ax,
        xlabel=xlabel if xlabel is not None else _label(_as_vector(x, "x"), "x"),
        ylabel=ylabel if ylabel is not None else _label(_as_vector(y, "y"), "y"),
        title=title,
        legend=True,
    )
    return fig


def histogram(
    population_share: xr.DataArray | xr.Dataset,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Figure:
    """Grouped bars of a population share by bin, one group member per distribution (Figure 18).

    Parameters
    ----------
    population_share
        A DataArray on (``distribution``, ``bin``): the share of population in each bin for
        each distribution (e.g. "Baseline 1980", "2015 data", "2015 optimum"). ``bin`` holds
        the bin centres; the coordinates ``bin_lower`` and ``bin_upper`` on ``bin`` its edges
        (inferred from the centres when absent; infinite bounds mark open outer bins). Shares
        are fractions, drawn in percent, unless the ``units`` attribute is ``"percent"``. A
        Dataset holding the variable ``population_share`` is accepted too. See
        :func:`cnr_share_distribution`.
    ax
        Matplotlib axes to draw into; by default a new standard-size Figure.
    title, xlabel, ylabel
        Texts; the axis labels default to the CNR-share deviation and the population share.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import xarray as xr
    >>> from spatialocc.plot import histogram
    >>> share = xr.DataArray(
    ...     [[0.2, 0.6, 0.2], [0.3, 0.4, 0.3]],
    ...     dims=("distribution", "bin"),
    ...     coords={"distribution": ["Baseline 1980", "2015 data"], "bin": [-5.0, 0.0, 5.0]},
    ...     name="population_share",
    ... )
    >>> len(histogram(share).axes[0].patches)
    6
    """
    if isinstance(population_share, xr.Dataset):
        if "population_share" not in population_share:
            raise MissingVariableError(
                "histogram needs the variable 'population_share'; the Dataset has "
                f"{format_labels(list(population_share.data_vars))}"
            )
        population_share = population_share["population_share"]
    if not isinstance(population_share, xr.DataArray):
        raise TypeError(
            f"population_share must be an xarray.DataArray, got {type(population_share).__name__}"
        )
    if set(population_share.dims) != {"distribution", "bin"}:
        raise DimensionError(
            "population_share must have exactly the dimensions ('distribution', 'bin'); it has "
            f"{population_share.dims}"
        )
    share = population_share.transpose("distribution", "bin")
    centres = np.asarray(share["bin"].values, dtype=float)
    if {"bin_lower", "bin_upper"} <= set(share.coords):
        lower = np.asarray(share["bin_lower"].values, dtype=float)
        upper = np.asarray(share["bin_upper"].values, dtype=float)
    else:
        step = np.diff(centres).min() if centres.size > 1 else 1.0
        lower, upper = centres - step / 2, centres + step / 2
    # Open outer bins (infinite bounds) are drawn as wide as the typical closed bin.
    finite = (upper - lower)[np.isfinite(upper - lower)]
    if finite.size:
        typical = float(np.median(finite))
    else:
        typical = float(np.diff(centres).min()) if centres.size > 1 else 1.0
    width = np.full(centres.shape, typical)
    units = str(share.attrs.get("units", "1")).strip().lower()
    percent = share.values * (1.0 if units in ("percent", "%") else 100.0)

    if ax is None:
        fig, ax = _new_figure()
    else:
        fig = ax.figure
    n = share.sizes["distribution"]
    palette = [_BASELINE_COLOR, "C0", "C3", "C2", "C1", "C4"]
    for i, distribution in enumerate(share["distribution"].values):
        offset = (i - (n - 1) / 2) * width / n
        ax.bar(
            centres + offset,
            percent[i],
            width=0.9 * width / n,
            color=palette[i % len(palette)],
            label=str(distribution),
            edgecolor="white",
            linewidth=0.4,
        )
    edges = np.unique(np.concatenate([lower, upper]))
    ticks = {float(e): f"{e:g}" for e in edges[np.isfinite(edges)]}
    for centre, low, high in zip(centres, lower, upper, strict=True):
        # An open bin is labelled at its centre ("< -10"), replacing its finite edge's tick.
        if np.isneginf(low):
            ticks.pop(float(high), None)
            ticks[float(centre)] = f"< {high:g}"
        if np.isposinf(high):
            ticks.pop(float(low), None)
            ticks[float(centre)] = f"> {low:g}"
    ax.set_xticks(sorted(ticks))
    ax.set_xticklabels([ticks[t] for t in sorted(ticks)], fontsize=8)
    _finish_axes(
        ax,
        xlabel=xlabel
        or "CNR share of city employment minus population-weighted mean (percentage points)",
        ylabel=ylabel or "share of population (percent)",
        title=title,
        legend=True,
    )
    ax.grid(False, axis="x")
    return fig


def save(fig: Figure, path: str | os.PathLike[str], *, dpi: float = DPI) -> Path:
    """Write ``fig`` as a PNG atomically and close it.

    The image goes to a temporary file in the target folder, then replaces ``path`` in one
    step: a failed write leaves no partial file and never clobbers an existing one. At the
    default ``dpi`` a standard figure is 800 x 550 pixels. Missing parent folders are created.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import xarray as xr
    >>> from spatialocc.plot import save, scatter
    >>> fig = scatter(xr.DataArray([1.0, 2.0, 3.0]), xr.DataArray([1.0, 3.0, 2.0]))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save(fig, pathlib.Path(folder) / "fit.png")
    ...     path.stat().st_size > 0
    True
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            fig.savefig(handle, format="png", dpi=dpi)
    finally:
        _close(fig)
    return path


def _close(fig: Figure) -> None:
    # Figures made here are unknown to pyplot; one a user made with pyplot is released there.
    # pyplot is never imported for this: importing it would select a GUI backend.
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
