"""Maps and charts of the paper's figures: building blocks and one function per figure.

Every function returns a :class:`matplotlib.figure.Figure` built directly on the Agg canvas,
never through ``pyplot``: drawing changes no global matplotlib state, opens no window and works
the same in scripts, notebooks and headless CI. A standard figure is ``FIGSIZE`` = 8 x 5.5
inches at ``DPI`` = 100 dots per inch, so :func:`save` writes an 800 x 550 pixel PNG.

Maps show the continental US in an Albers equal-area projection (:func:`us_projection`) with
state borders, country borders and coastlines from Natural Earth. Cartopy downloads those
files on first use when online. Offline, point the ``natural_earth=`` argument or the
``SPATIALOCC_NATURAL_EARTH`` environment variable to a folder holding the GeoJSON files
listed in ``NATURAL_EARTH_FILES``; without a folder and without network the maps are drawn
without borders and a :class:`NaturalEarthWarning` says so once per process.

The paper's figures are registered in ``FIGURES`` (name, function, named inputs, title, map
or not) and :func:`draw_all` draws every figure whose inputs are given.

matplotlib and cartopy are optional dependencies, imported when a figure is drawn; install
them with ``pip install "spatialocc[plot]"``.

Examples
--------
>>> import spatialocc
>>> import spatialocc.plot
>>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
>>> fig = spatialocc.plot.figure1(data.sel(year=2015))
>>> fig.get_size_inches().tolist(), fig.dpi
([8.0, 5.5], 100)
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import sys
import warnings
import zipfile
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import xarray as xr

from spatialocc.dims.errors import (
    CoordinateMismatchError,
    DimensionError,
    MissingVariableError,
    format_labels,
)
from spatialocc.dims.io import atomic_path
from spatialocc.reports import cnr_share_distribution  # noqa: F401 (Figure 18's input)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

#: Size of a standard figure in inches (width, height); with ``DPI`` it is 800 x 550 pixels.
FIGSIZE: tuple[float, float] = (8.0, 5.5)
#: Resolution of a standard figure and of :func:`save`, in dots per inch.
DPI: int = 100
#: Continental US (lon_min, lon_max, lat_min, lat_max) in degrees: cities outside (Alaska,
#: Hawaii, Puerto Rico) are not drawn. The frame is the contiguous US outline with a margin.
US_EXTENT: tuple[float, float, float, float] = (-125.0, -66.0, 24.0, 50.0)
# Region (lon_min, lat_min, lon_max, lat_max) of the border geometries kept for the maps.
_REGION = (-140.0, 10.0, -50.0, 65.0)
#: Environment variable naming a local folder of Natural Earth GeoJSON files.
NATURAL_EARTH_ENV = "SPATIALOCC_NATURAL_EARTH"
#: Largest marker area in points squared; marker areas are proportional to the size variable.
MAX_MARKER_AREA = 320.0
#: The two occupations the paper's figures compare.
OCCUPATIONS: tuple[str, str] = ("CNR", "nonCNR")

_INSTALL_HINT = 'install the plotting extra: pip install "spatialocc[plot]"'
_BASELINE_COLOR = "0.6"
_VARIANT_COLOR = "C0"

NaturalEarth = str | os.PathLike[str] | Literal[False] | None
GiniAxis = Literal["cnr_share", "log_size"]


# -- optional dependencies -------------------------------------------------------------------


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


def _cartopy() -> tuple[Any, Any]:
    try:
        import cartopy.crs as ccrs
        import cartopy.feature as cfeature
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(f"maps need cartopy; {_INSTALL_HINT}") from err
    return ccrs, cfeature


def us_projection() -> Any:
    """The equal-area projection of the maps: Albers, standard parallels 29.5 and 45.5 N.

    Examples
    --------
    >>> from spatialocc.plot import us_projection
    >>> us_projection().proj4_params["proj"]
    'aea'
    """
    ccrs, _ = _cartopy()
    return ccrs.AlbersEqualArea(
        central_longitude=-96.0, central_latitude=37.5, standard_parallels=(29.5, 45.5)
    )


# -- Natural Earth borders -------------------------------------------------------------------


class NaturalEarthError(FileNotFoundError, ValueError):
    """A configured Natural Earth folder is missing or lacks the GeoJSON files of the maps."""


class NaturalEarthWarning(UserWarning):
    """Maps are drawn without borders because no Natural Earth data could be found."""


@dataclass(frozen=True)
class _Layer:
    name: str  # Natural Earth layer name, as cartopy spells it
    category: Literal["physical", "cultural"]
    required: bool  # a configured folder must hold it
    style: Mapping[str, Any]

    @property
    def filename(self) -> str:
        return f"ne_110m_{self.name}.json"


_LAYERS: tuple[_Layer, ...] = (
    _Layer("land", "physical", False, {"facecolor": "#efefea", "edgecolor": "none", "zorder": 0}),
    _Layer("lakes", "physical", False, {"facecolor": "white", "edgecolor": "none", "zorder": 0.5}),
    _Layer(
        "admin_1_states_provinces_lines",
        "cultural",
        True,
        {"facecolor": "none", "edgecolor": "#8c8c8c", "linewidth": 0.4, "zorder": 1},
    ),
    _Layer(
        "admin_0_boundary_lines_land",
        "cultural",
        True,
        {"facecolor": "none", "edgecolor": "#4d4d4d", "linewidth": 0.7, "zorder": 1},
    ),
    _Layer(
        "coastline",
        "physical",
        True,
        {"facecolor": "none", "edgecolor": "#4d4d4d", "linewidth": 0.7, "zorder": 1},
    ),
)

#: GeoJSON files a configured Natural Earth folder must hold (optional: land and lakes fills).
NATURAL_EARTH_FILES: tuple[str, ...] = tuple(layer.filename for layer in _LAYERS if layer.required)
_OPTIONAL_FILES = tuple(layer.filename for layer in _LAYERS if not layer.required)

# Errors of a failed Natural Earth download (URLError and timeouts are OSErrors).
_DOWNLOAD_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    http.client.HTTPException,
    zipfile.BadZipFile,
)


@dataclass
class _BorderState:
    """What this process knows about cartopy's own Natural Earth data."""

    cartopy_layers: dict[str, tuple[Any, ...]] | None = None
    cartopy_error: str | None = None
    warned: bool = False


_BORDERS = _BorderState()


def _configured_folder(natural_earth: NaturalEarth) -> Path | Literal[False] | None:
    """The Natural Earth folder from the argument or the environment, checked."""
    if natural_earth is False:
        return False
    if natural_earth is None:
        value = os.environ.get(NATURAL_EARTH_ENV, "").strip()
        if not value:
            return None
        folder, origin = Path(value), f"the {NATURAL_EARTH_ENV} environment variable"
    else:
        folder, origin = Path(natural_earth), "the natural_earth argument"
    folder = folder.expanduser()
    expected = ", ".join(NATURAL_EARTH_FILES)
    fix = (
        f"Point {origin} to a folder holding the GeoJSON files {expected} (optionally also "
        f"{', '.join(_OPTIONAL_FILES)}), or unset it to let cartopy download Natural Earth."
    )
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise NaturalEarthError(f"Natural Earth folder {str(folder)!r} from {origin} {what}. {fix}")
    missing = [name for name in NATURAL_EARTH_FILES if not (folder / name).is_file()]
    if missing:
        found = sorted(p.name for p in folder.glob("*json"))
        present = f"it holds {format_labels(found)}" if found else "it holds no GeoJSON files"
        raise NaturalEarthError(
            f"Natural Earth folder {str(folder)!r} from {origin} lacks "
            f"{format_labels(missing)}; {present}. {fix}"
        )
    return folder


@lru_cache(maxsize=32)
def _read_geojson(path: str) -> tuple[Any, ...]:
    """Shapely geometries of a GeoJSON file (parsed once per process)."""
    from shapely.geometry import shape

    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise NaturalEarthError(f"cannot read the Natural Earth file {path!r}: {err}") from err
    kind = document.get("type") if isinstance(document, dict) else None
    if kind == "FeatureCollection":
        geometries = [feature.get("geometry") for feature in document.get("features", [])]
    elif kind == "Feature":
        geometries = [document.get("geometry")]
    elif kind in {"Point", "LineString", "Polygon", "MultiLineString", "MultiPolygon"}:
        geometries = [document]
    else:
        raise NaturalEarthError(
            f"the Natural Earth file {path!r} is not GeoJSON (expected a FeatureCollection, "
            f"found type {kind!r})"
        )
    return _around_the_us(shape(g) for g in geometries if g)


def _around_the_us(geometries: Any) -> tuple[Any, ...]:
    """The parts of world-wide geometries near the continental US (projecting the whole world
    for every map would cost seconds and draw nothing visible)."""
    from shapely import clip_by_rect

    out = []
    for geometry in geometries:
        clipped = clip_by_rect(geometry, *_REGION)
        if not clipped.is_empty:
            out.append(clipped)
    return tuple(out)


def _cartopy_layers() -> dict[str, tuple[Any, ...]]:
    """Cartopy's Natural Earth layers (downloaded once when online), or {} with one warning."""
    state = _BORDERS
    if state.cartopy_layers is not None:
        return state.cartopy_layers
    if state.cartopy_error is None:
        _, cfeature = _cartopy()
        layers: dict[str, tuple[Any, ...]] = {}
        try:
            for layer in _LAYERS:
                feature = cfeature.NaturalEarthFeature(layer.category, layer.name, "110m")
                layers[layer.name] = _around_the_us(feature.geometries())
        except _DOWNLOAD_ERRORS as err:
            # Later maps reuse this outcome: one failed download per process, not one per map.
            state.cartopy_error = f"{type(err).__name__}: {err}"
        else:
            state.cartopy_layers = layers
            return layers
    if not state.warned:
        state.warned = True
        warnings.warn(
            "maps are drawn without state borders or coastlines: no Natural Earth folder is "
            f"configured and cartopy could not fetch the data ({state.cartopy_error}). To draw "
            f"borders offline, set the {NATURAL_EARTH_ENV} environment variable (or pass "
            f"natural_earth=...) to a folder holding {', '.join(NATURAL_EARTH_FILES)}; pass "
            "natural_earth=False to draw without borders silently. (Shown once per process.)",
            NaturalEarthWarning,
            stacklevel=5,
        )
    return {}


def border_geometries(natural_earth: NaturalEarth = None) -> dict[str, tuple[Any, ...]]:
    """The Natural Earth geometries the maps draw, by layer name (lon/lat coordinates).

    Parameters
    ----------
    natural_earth
        A folder of GeoJSON files (``NATURAL_EARTH_FILES``); ``None`` uses the
        ``SPATIALOCC_NATURAL_EARTH`` environment variable and, when that is unset, cartopy's
        own Natural Earth data (downloaded once when online); ``False`` means no borders.

    Returns
    -------
    dict
        Layer name to a tuple of shapely geometries in longitude and latitude, cut to the
        region around the continental US; empty when no data could be found (a
        :class:`NaturalEarthWarning` is then issued once per process).

    Raises
    ------
    NaturalEarthError
        When a configured folder does not exist or lacks the expected files.

    Examples
    --------
    >>> from spatialocc.plot import border_geometries
    >>> border_geometries(False)
    {}
    """
    folder = _configured_folder(natural_earth)
    if folder is False:
        return {}
    if folder is None:
        return _cartopy_layers()
    layers = {}
    for layer in _LAYERS:
        path = folder / layer.filename
        if layer.required or path.is_file():
            layers[layer.name] = _read_geojson(str(path.resolve()))
    return layers


def _draw_borders(ax: Any, natural_earth: NaturalEarth) -> None:
    ccrs, _ = _cartopy()
    layers = border_geometries(natural_earth)
    for layer in _LAYERS:
        geometries = layers.get(layer.name)
        if geometries:
            artist = ax.add_geometries(geometries, crs=ccrs.PlateCarree(), **layer.style)
            artist.set_gid(f"natural_earth:{layer.name}")


def _frame(projection: Any) -> tuple[float, float, float, float]:
    """Map frame (x0, x1, y0, y1) in projected coordinates: the contiguous US outline's bounding
    box with a margin, tighter than the projected lon/lat box of ``US_EXTENT``."""
    from spatialocc.datasets.geography import LOWER_48

    ccrs, _ = _cartopy()
    points = projection.transform_points(ccrs.PlateCarree(), LOWER_48[:, 0], LOWER_48[:, 1])
    x0, x1 = float(points[:, 0].min()), float(points[:, 0].max())
    y0, y1 = float(points[:, 1].min()), float(points[:, 1].max())
    margin = 0.03 * max(x1 - x0, y1 - y0)
    return (x0 - margin, x1 + margin, y0 - margin, y1 + margin)


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


def _single_economy(ds: xr.Dataset, figure: str, argument: str) -> xr.Dataset:
    """Check that an allocation holds one economy (no year, scenario, ... dimension)."""
    if "employment" not in ds:
        raise MissingVariableError(
            f"{figure} needs 'employment' in {argument}; it has {format_labels(list(ds.data_vars))}"
        )
    extra = [d for d in ds["employment"].dims if d not in {"occupation", "industry", "city"}]
    if extra:
        selection = ", ".join(
            f"{d}={ds[d].values[-1].item()!r}" if d in ds.coords else f"{d}=0" for d in extra
        )
        method = "sel" if all(d in ds.coords for d in extra) else "isel"
        raise DimensionError(
            f"{figure} draws one economy, but {argument} has the batch dimensions {extra}; "
            f"select one first, e.g. {argument}.{method}({selection})"
        )
    missing = [k for k in OCCUPATIONS if k not in ds.indexes["occupation"]]
    if missing:
        raise MissingVariableError(
            f"{figure} compares the occupations {list(OCCUPATIONS)}; {argument} lacks "
            f"{format_labels(missing)} (it has {format_labels(ds['occupation'].values)})"
        )
    return ds


def _residents(ds: xr.Dataset) -> xr.DataArray:
    """L[k,n]: workers of each occupation employed in each city."""
    return ds["employment"].sum("industry")


def _size(ds: xr.Dataset) -> xr.DataArray:
    """L[n]: total employment of each city."""
    return (
        ds["employment"]
        .sum(["occupation", "industry"])
        .assign_attrs(long_name="employment", units="workers")
    )


def _cnr_share(ds: xr.Dataset) -> xr.DataArray:
    residents = _residents(ds)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = residents.sel(occupation="CNR", drop=True) / residents.sum("occupation")
    return share.assign_attrs(long_name="CNR share of city employment", units="1")


def _percent_change(new: xr.DataArray, old: xr.DataArray) -> xr.DataArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * (new / old - 1.0)


def _log(da: xr.DataArray) -> xr.DataArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(da.where(da > 0))


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
) -> Figure:
    """A map of the continental US with one marker per city, sized by ``size``, colored by
    ``values``.

    Parameters
    ----------
    values
        The colored quantity on the dimension ``city``, with coordinates ``lat`` and ``lon``
        (degrees). Cities with NaN values, or outside ``US_EXTENT`` (Alaska, Hawaii, Puerto
        Rico), are not drawn.
    size
        Marker size on ``city`` (employment): marker areas are proportional to it.
    ax
        A cartopy GeoAxes to draw into, e.g. ``fig.add_subplot(projection=us_projection())``;
        by default a new standard-size Figure.
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

    projection = us_projection() if ax is None else getattr(ax, "projection", None)
    if projection is None:
        raise TypeError(
            "ax must be a cartopy GeoAxes; create it with "
            "fig.add_subplot(projection=spatialocc.plot.us_projection())"
        )
    frame = _frame(projection)
    lon_min, lon_max, lat_min, lat_max = US_EXTENT
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
            "us_map: %d cities outside the continental US not drawn: %s",
            outside.size,
            format_labels(outside),
        )
    if not keep.any():
        raise ValueError(
            "no city to draw: every city is outside the continental US extent "
            f"{US_EXTENT} (lon_min, lon_max, lat_min, lat_max) or has a NaN value"
        )

    if ax is None:
        fig, ax = _new_figure(projection=projection)
    else:
        fig = ax.figure
    _draw_borders(ax, natural_earth)

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


# -- the paper's figures ---------------------------------------------------------------------


def _premium(allocation: xr.Dataset) -> xr.DataArray:
    """Log CNR wage premium as a deviation from its employment-weighted mean."""
    wage = allocation["wage"]
    with np.errstate(divide="ignore", invalid="ignore"):
        premium = np.log(
            wage.sel(occupation="CNR", drop=True) / wage.sel(occupation="nonCNR", drop=True)
        )
    size = _size(allocation)
    ok = np.isfinite(premium) & (size > 0)
    mean = float((premium * size).where(ok).sum() / size.where(ok).sum())
    return (premium - mean).assign_attrs(
        long_name="log CNR wage premium, deviation from employment-weighted mean",
        units="log points",
    )


def _figure1_series(allocation: xr.Dataset, figure: str, argument: str) -> tuple[Any, ...]:
    allocation = _single_economy(allocation, figure, argument)
    if "wage" not in allocation:
        raise MissingVariableError(f"{figure} needs 'wage' in {argument}")
    return _cnr_share(allocation), _premium(allocation), _size(allocation)


def _figure2_series(allocation: xr.Dataset, figure: str, argument: str) -> tuple[Any, ...]:
    from spatialocc.estimate.tables import figure2_prediction

    allocation = _single_economy(allocation, figure, argument)
    if "wage" not in allocation:
        raise MissingVariableError(f"{figure} needs 'wage' in {argument}")
    prediction = figure2_prediction(allocation).sel(occupation="CNR", drop=True)
    return (
        prediction["predicted_wage_bill_share"],
        prediction["wage_bill_share"],
        _size(allocation),
    )


_FIG1_LABELS = {
    "xlabel": "CNR share of city employment",
    "ylabel": "log CNR wage premium\n(deviation from employment-weighted mean, log points)",
}
_FIG2_LABELS = {
    "xlabel": "CNR wage-bill share predicted by industry composition",
    "ylabel": "CNR wage-bill share",
}


def _two_series(
    series: Callable[[xr.Dataset, str, str], tuple[Any, ...]],
    main: xr.Dataset,
    main_name: str | None,
    reference: xr.Dataset | None,
    figure: str,
    argument: str,
    *,
    title: str,
    diagonal: bool,
    xlabel: str,
    ylabel: str,
) -> Figure:
    fig, ax = _new_figure()
    x, y, size = series(main, figure, argument)
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
    _finish_axes(ax, xlabel=xlabel, ylabel=ylabel, title=title, legend=True)
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
        allocation,
        None,
        None,
        "figure1",
        "allocation",
        title="Figure 1: Occupational employment share and wage premium",
        diagonal=False,
        **_FIG1_LABELS,
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
        allocation,
        None,
        None,
        "figure2",
        "allocation",
        title="Figure 2: Occupational wage bill share: predicted vs actual",
        diagonal=True,
        **_FIG2_LABELS,
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
        counterfactual,
        "no externalities",
        reference,
        "figure3",
        "counterfactual",
        title="Figure 3: Occupational share and wage premium - no externalities",
        diagonal=False,
        **_FIG1_LABELS,
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
        counterfactual,
        "no externalities",
        reference,
        "figure4",
        "counterfactual",
        title="Figure 4: Occupational wage bill share: predicted vs equilibrium - no externalities",
        diagonal=True,
        **_FIG2_LABELS,
    )


def _wedge_difference(allocation: xr.Dataset, figure: str, argument: str) -> xr.DataArray:
    """Δ[CNR,n] - Δ[nonCNR,n] in dollars per worker."""
    from spatialocc.solvers.optimal import wedge

    if "wedge" in allocation:
        delta = allocation["wedge"]
    elif "tau_share" in allocation or "tau_size" in allocation:
        delta = wedge(allocation)
    else:
        raise MissingVariableError(
            f"{figure} needs the wedge Δ: {argument} has neither 'wedge' nor the externality "
            "elasticities 'tau_share'/'tau_size'; use spatialocc.with_externalities(model, "
            "tau_share=..., tau_size=...) or pass the result of spatialocc.solve_optimal"
        )
    difference = delta.sel(occupation="CNR", drop=True) - delta.sel(occupation="nonCNR", drop=True)
    return difference.assign_attrs(long_name="Δ[CNR,n] - Δ[nonCNR,n]", units="dollars per worker")


def _diverging_center(values: xr.DataArray) -> float | None:
    finite = np.asarray(values.values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return 0.0 if finite.size and finite.min() < 0 < finite.max() else None


def figure5(allocation: xr.Dataset, *, natural_earth: NaturalEarth = None) -> Figure:
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
    return us_map(
        difference,
        size=_size(allocation),
        title=r"Figure 5: $\Delta^{CNR}_n - \Delta^{nonCNR}_n$ (equilibrium values)",
        label="dollars per worker",
        center=_diverging_center(difference),
        natural_earth=natural_earth,
    )


def _employment_change_map(
    reference: xr.Dataset,
    optimum: xr.Dataset,
    occupation: str,
    *,
    figure: str,
    title: str,
    natural_earth: NaturalEarth,
) -> Figure:
    reference = _single_economy(reference, figure, "reference")
    optimum = _single_economy(optimum, figure, "optimum")
    change = _percent_change(
        _residents(optimum).sel(occupation=occupation, drop=True),
        _residents(reference).sel(occupation=occupation, drop=True),
    )
    return us_map(
        change.assign_attrs(long_name=f"change in {occupation} employment", units="percent"),
        size=_size(reference),
        title=title,
        label=f"change in {occupation} employment (percent)",
        center=0.0,
        natural_earth=natural_earth,
    )


def figure6(
    reference: xr.Dataset, optimum: xr.Dataset, *, natural_earth: NaturalEarth = None
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
        "CNR",
        figure="figure6",
        title=r"Figure 6: $L^{CNR}_n$ (percentage change from data equilibrium)",
        natural_earth=natural_earth,
    )


def figure7(
    reference: xr.Dataset, optimum: xr.Dataset, *, natural_earth: NaturalEarth = None
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
        "nonCNR",
        figure="figure7",
        title=r"Figure 7: $L^{nonCNR}_n$ (percentage change from data equilibrium)",
        natural_earth=natural_earth,
    )


def figure16(
    reference: xr.Dataset, optimum: xr.Dataset, *, natural_earth: NaturalEarth = None
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
        "CNR",
        figure="figure16",
        title=r"Figure 16: Change in $L^{CNR}_n$ from no trade costs equilibrium to optimal "
        "allocation",
        natural_earth=natural_earth,
    )


def _transfer_map(
    optimum: xr.Dataset,
    reference: xr.Dataset | None,
    occupation: str,
    *,
    figure: str,
    title: str,
    deviation: bool,
    natural_earth: NaturalEarth,
) -> Figure:
    optimum = _single_economy(optimum, figure, "optimum")
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
        title=title,
        label=label,
        center=0.0,
        natural_earth=natural_earth,
    )


def figure10(
    optimum: xr.Dataset,
    *,
    reference: xr.Dataset | None = None,
    deviation: bool = True,
    natural_earth: NaturalEarth = None,
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
        "CNR",
        figure="figure10",
        title="Figure 10: Optimal transfers to CNR workers (per CNR worker)",
        deviation=deviation,
        natural_earth=natural_earth,
    )


def figure11(
    optimum: xr.Dataset,
    *,
    reference: xr.Dataset | None = None,
    deviation: bool = True,
    natural_earth: NaturalEarth = None,
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
        "nonCNR",
        figure="figure11",
        title="Figure 11: Optimal transfers to non-CNR workers (per non-CNR worker)",
        deviation=deviation,
        natural_earth=natural_earth,
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


def _gini_change(reference: xr.Dataset, optimum: xr.Dataset) -> xr.DataArray:
    from spatialocc.reports.policy import industrial_gini

    for ds, argument in ((reference, "reference"), (optimum, "optimum")):
        if "wage" not in ds:
            raise MissingVariableError(f"the industrial Gini needs 'wage' in {argument}")
    with np.errstate(divide="ignore", invalid="ignore"):
        return industrial_gini(optimum) - industrial_gini(reference)


_GINI_AXES: dict[str, str] = {
    "cnr_share": "CNR share of city employment (equilibrium)",
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
    if x not in get_args(GiniAxis):
        raise ValueError(f"x must be one of {get_args(GiniAxis)}, got {x!r}")
    reference = _single_economy(reference, "figure9", "reference")
    optimum = _single_economy(optimum, "figure9", "optimum")
    horizontal = _cnr_share(reference) if x == "cnr_share" else _log(_size(reference))
    return scatter(
        horizontal,
        _gini_change(reference, optimum),
        size=_size(reference),
        fit=3,
        xlabel=_GINI_AXES[x],
        ylabel="change in industrial Gini coefficient,\nequilibrium to optimum",
        title="Figure 9: Changes in the Gini coefficient between the data and optimal allocation",
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
    fig.suptitle(
        r"Figure 12: $\Delta^{CNR}_n - \Delta^{nonCNR}_n$ in equilibrium and optimal allocations",
        fontsize=10,
    )
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
    panels = [
        ("log employment (equilibrium)", "change in CNR\nemployment (percent)", 2),
        ("log employment (equilibrium)", "change in nonCNR\nemployment (percent)", 2),
        ("log employment (equilibrium)", "change in\nemployment (percent)", 1),
        ("CNR share of city employment (equilibrium)", "change in industrial Gini", 2),
    ]
    for label, color, ref, opt in prepared:
        size = _size(ref)
        log_size = _log(size)
        residents_ref, residents_opt = _residents(ref), _residents(opt)
        series = [
            (
                log_size,
                _percent_change(
                    residents_opt.sel(occupation="CNR", drop=True),
                    residents_ref.sel(occupation="CNR", drop=True),
                ),
            ),
            (
                log_size,
                _percent_change(
                    residents_opt.sel(occupation="nonCNR", drop=True),
                    residents_ref.sel(occupation="nonCNR", drop=True),
                ),
            ),
            (log_size, _percent_change(_size(opt), size)),
            (_cnr_share(ref), _gini_change(ref, opt)),
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
        title="Figure 17: Additive amenities",
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


# -- registry --------------------------------------------------------------------------------

#: The named inputs of :func:`draw_all`, each one economy (select one year first).
INPUTS: dict[str, str] = {
    "model": "the model at the data equilibrium with externalities "
    "(spatialocc.with_externalities(invert(data).sel(year=...), ...))",
    "no_externalities": "solve_equilibrium(counterfactuals.no_externalities(model))",
    "optimum": "solve_optimal(model)",
    "equilibrium_no_trade_costs": "solve_equilibrium(counterfactuals.no_trade_costs(model))",
    "optimum_no_trade_costs": "solve_optimal(counterfactuals.no_trade_costs(model))",
    "equilibrium_homogeneous_linkages": "solve_equilibrium("
    "counterfactuals.homogeneous_linkages(model))",
    "optimum_homogeneous_linkages": "solve_optimal(counterfactuals.homogeneous_linkages(model))",
    "equilibrium_additive_amenities": "the equilibrium under additive amenities (optional)",
    "optimum_additive_amenities": "the optimum under additive amenities",
    "population_share": "cnr_share_distribution({...}) for Figure 18",
}


@dataclass(frozen=True)
class FigureSpec:
    """One of the paper's figures: how to draw it from named inputs.

    ``inputs`` are passed positionally in order and must all be present; ``optional`` maps a
    keyword argument of ``function`` to the input passed when present. Maps also receive
    ``natural_earth``.
    """

    name: str
    function: Callable[..., Figure]
    inputs: tuple[str, ...]
    title: str
    is_map: bool = False
    optional: Mapping[str, str] = field(default_factory=dict)

    def missing(self, inputs: Mapping[str, object]) -> list[str]:
        """Required inputs absent from ``inputs``."""
        return [name for name in self.inputs if name not in inputs]

    def draw(self, inputs: Mapping[str, Any], *, natural_earth: NaturalEarth = None) -> Figure:
        """Draw the figure from ``inputs`` (a mapping of input name to Dataset/DataArray)."""
        missing = self.missing(inputs)
        if missing:
            raise MissingVariableError(
                f"{self.name} needs the inputs {list(self.inputs)}; missing "
                f"{format_labels(missing)} (given: {format_labels(list(inputs))})"
            )
        kwargs: dict[str, Any] = {
            keyword: inputs[name] for keyword, name in self.optional.items() if name in inputs
        }
        if self.is_map:
            kwargs["natural_earth"] = natural_earth
        return self.function(*(inputs[name] for name in self.inputs), **kwargs)


def _spec(
    name: str,
    function: Callable[..., Figure],
    inputs: tuple[str, ...],
    *,
    is_map: bool = False,
    optional: Mapping[str, str] | None = None,
) -> FigureSpec:
    doc = (function.__doc__ or name).strip().splitlines()[0]
    return FigureSpec(name, function, inputs, doc, is_map, dict(optional or {}))


#: The paper's figures by file name (``figureNN``), in order.
FIGURES: dict[str, FigureSpec] = {
    spec.name: spec
    for spec in (
        _spec("figure01", figure1, ("model",)),
        _spec("figure02", figure2, ("model",)),
        _spec("figure03", figure3, ("no_externalities",), optional={"reference": "model"}),
        _spec("figure04", figure4, ("no_externalities",), optional={"reference": "model"}),
        _spec("figure05", figure5, ("model",), is_map=True),
        _spec("figure06", figure6, ("model", "optimum"), is_map=True),
        _spec("figure07", figure7, ("model", "optimum"), is_map=True),
        _spec("figure08", figure8, ("model", "optimum")),
        _spec("figure09", figure9, ("model", "optimum")),
        _spec("figure10", figure10, ("optimum",), is_map=True, optional={"reference": "model"}),
        _spec("figure11", figure11, ("optimum",), is_map=True, optional={"reference": "model"}),
        _spec(
            "figure12",
            figure12,
            ("model", "optimum"),
            optional={
                "variant_optimum": "optimum_homogeneous_linkages",
                "variant_reference": "equilibrium_homogeneous_linkages",
            },
        ),
        _spec(
            "figure13",
            figure13,
            ("model", "optimum", "optimum_homogeneous_linkages"),
            optional={"variant_reference": "equilibrium_homogeneous_linkages"},
        ),
        _spec(
            "figure16",
            figure16,
            ("equilibrium_no_trade_costs", "optimum_no_trade_costs"),
            is_map=True,
        ),
        _spec(
            "figure17",
            figure17,
            ("model", "optimum", "optimum_additive_amenities"),
            optional={"variant_reference": "equilibrium_additive_amenities"},
        ),
        _spec("figure18", figure18, ("population_share",)),
    )
}


def draw_all(
    inputs: Mapping[str, xr.Dataset | xr.DataArray],
    out_dir: str | os.PathLike[str],
    *,
    natural_earth: NaturalEarth = None,
    dpi: float = DPI,
) -> list[Path]:
    """Draw every figure of ``FIGURES`` whose inputs are given and save ``figureNN.png``.

    Parameters
    ----------
    inputs
        Input name (see ``INPUTS``) to a Dataset (or, for ``population_share``, a
        DataArray), each holding one economy. Figures whose required inputs are absent are
        skipped (logged at INFO level); unknown names give a warning.
    out_dir
        Folder of the PNG files (created if needed); files are written atomically.
    natural_earth
        Natural Earth folder for the maps; see :func:`border_geometries`.
    dpi
        Resolution; the default gives 800 x 550 pixels.

    Returns
    -------
    list of pathlib.Path
        The files written, in figure order.

    Examples
    --------
    >>> import tempfile
    >>> import spatialocc
    >>> from spatialocc.plot import cnr_share_distribution, draw_all
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4)
    >>> share = cnr_share_distribution({str(y): data.sel(year=y) for y in (1980, 2015)})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [p.name for p in draw_all({"population_share": share}, folder)]
    ['figure18.png']
    """
    unknown = [name for name in inputs if name not in INPUTS]
    if unknown:
        warnings.warn(
            f"draw_all ignores the unknown inputs {format_labels(unknown)}; known inputs are "
            f"{format_labels(list(INPUTS), total=len(INPUTS))}",
            UserWarning,
            stacklevel=2,
        )
    out = Path(out_dir)
    written = []
    for spec in FIGURES.values():
        missing = spec.missing(inputs)
        if missing:
            logger.info("%s skipped: missing inputs %s", spec.name, missing)
            continue
        fig = spec.draw(inputs, natural_earth=natural_earth)
        written.append(save(fig, out / f"{spec.name}.png", dpi=dpi))
    return written
