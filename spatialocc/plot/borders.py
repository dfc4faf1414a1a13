"""Natural Earth borders of the maps: finding, reading and cutting the GeoJSON layers.

Maps draw state borders, country borders and coastlines (and land and lake fills when they are
available) from Natural Earth at 1:110m. Cartopy downloads those files on first use when
online. Offline, point the ``natural_earth=`` argument (``--natural-earth`` on the command
line) or the ``SPATIALOCC_NATURAL_EARTH`` environment variable to a folder holding the GeoJSON
files listed in ``NATURAL_EARTH_FILES``; without a folder and without network the maps are
drawn without borders and a :class:`NaturalEarthWarning` says so once per process.

The layers are world-wide; each map keeps the parts around its region
(:mod:`spatialocc.plot.region`), since projecting the whole world for every map would cost
seconds and draw nothing visible.

Examples
--------
>>> from spatialocc.plot import NATURAL_EARTH_FILES, border_geometries
>>> NATURAL_EARTH_FILES[0]
'ne_110m_admin_1_states_provinces_lines.json'
>>> border_geometries(natural_earth=False)
{}
"""

from __future__ import annotations

import http.client
import json
import os
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from spatialocc.dims.errors import format_labels
from spatialocc.plot.region import US_EXTENT, _cartopy, _checked_extent, _Region, _region

#: Environment variable naming a local folder of Natural Earth GeoJSON files.
NATURAL_EARTH_ENV = "SPATIALOCC_NATURAL_EARTH"

NaturalEarth = str | os.PathLike[str] | Literal[False] | None
# (lon_min, lat_min, lon_max, lat_max) of the geometries kept for a map
_Box = tuple[float, float, float, float]


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

    cartopy_layers: dict[str, tuple[Any, ...]] | None = None  # world-wide, by layer name
    cartopy_error: str | None = None
    warned: bool = False
    around: dict[_Box, dict[str, tuple[Any, ...]]] = field(default_factory=dict)


def _state() -> _BorderState:
    # The process's one state is ``spatialocc.plot._BORDERS``, looked up at each call: whoever
    # replaces it there (a test starting afresh) is heard here.
    from spatialocc import plot

    return plot._BORDERS


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
    """Shapely geometries of a GeoJSON file, world-wide (parsed once per process)."""
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
    return tuple(shape(g) for g in geometries if g)


def _around(geometries: Iterable[Any], box: _Box) -> tuple[Any, ...]:
    """The parts of world-wide geometries inside ``box`` (lon_min, lat_min, lon_max, lat_max)."""
    from shapely import clip_by_rect

    out = []
    for geometry in geometries:
        clipped = clip_by_rect(geometry, *box)
        if not clipped.is_empty:
            out.append(clipped)
    return tuple(out)


@lru_cache(maxsize=64)
def _geojson_around(path: str, box: _Box) -> tuple[Any, ...]:
    """The geometries of a GeoJSON file inside ``box`` (cut once per process and box)."""
    return _around(_read_geojson(path), box)


def _cartopy_layers(box: _Box) -> dict[str, tuple[Any, ...]]:
    """Cartopy's Natural Earth layers inside ``box`` (downloaded once when online), or {} with
    one warning."""
    state = _state()
    if state.cartopy_layers is None and state.cartopy_error is None:
        _, cfeature = _cartopy()
        layers: dict[str, tuple[Any, ...]] = {}
        try:
            for layer in _LAYERS:
                feature = cfeature.NaturalEarthFeature(layer.category, layer.name, "110m")
                layers[layer.name] = tuple(feature.geometries())
        except _DOWNLOAD_ERRORS as err:
            # Later maps reuse this outcome: one failed download per process, not one per map.
            state.cartopy_error = f"{type(err).__name__}: {err}"
        else:
            state.cartopy_layers = layers
    if state.cartopy_layers is not None:
        if box not in state.around:
            state.around[box] = {
                name: _around(geometries, box) for name, geometries in state.cartopy_layers.items()
            }
        return state.around[box]
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


def border_geometries(
    natural_earth: NaturalEarth = None, *, extent: Any = US_EXTENT
) -> dict[str, tuple[Any, ...]]:
    """The Natural Earth geometries the maps draw, by layer name (lon/lat coordinates).

    Parameters
    ----------
    natural_earth
        A folder of GeoJSON files (``NATURAL_EARTH_FILES``); ``None`` uses the
        ``SPATIALOCC_NATURAL_EARTH`` environment variable and, when that is unset, cartopy's
        own Natural Earth data (downloaded once when online); ``False`` means no borders.
    extent
        The map's (lon_min, lon_max, lat_min, lat_max) in degrees; by default the continental
        US, ``US_EXTENT``.

    Returns
    -------
    dict
        Layer name to a tuple of shapely geometries in longitude and latitude, cut to the
        region around ``extent``; empty when no data could be found (a
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
    box = _region(_checked_extent(extent, "extent")).border_box
    folder = _configured_folder(natural_earth)
    if folder is False:
        return {}
    if folder is None:
        return _cartopy_layers(box)
    layers = {}
    for layer in _LAYERS:
        path = folder / layer.filename
        if layer.required or path.is_file():
            layers[layer.name] = _geojson_around(str(path.resolve()), box)
    return layers


def _draw_borders(ax: Any, natural_earth: NaturalEarth, region: _Region) -> None:
    ccrs, _ = _cartopy()
    layers = border_geometries(natural_earth, extent=region.extent)
    for layer in _LAYERS:
        geometries = layers.get(layer.name)
        if geometries:
            artist = ax.add_geometries(geometries, crs=ccrs.PlateCarree(), **layer.style)
            artist.set_gid(f"natural_earth:{layer.name}")
