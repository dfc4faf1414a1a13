"""Where a map looks: its longitude/latitude extent, its projection and its frame.

The region of a map is a parameter, ``extent = (lon_min, lon_max, lat_min, lat_max)`` in
degrees, so a new country's maps need no code change. By default :func:`map_extent` derives it
from the data:

1. the global attribute ``map_extent`` (``MAP_EXTENT_ATTR``) of the Dataset, four numbers
   ``[lon_min, lon_max, lat_min, lat_max]``, when present (it survives NetCDF files and
   ``invert``/``solve_*``, which keep the data's attributes);
2. ``US_EXTENT``, the continental US, when at least half of the cities lie inside the
   contiguous US outline: the bundled US data (Alaska, Hawaii and Puerto Rico are then left
   off the map) and the synthetic US-like economies;
3. otherwise the bounding box of the cities' ``lon``/``lat`` with a margin of 5 percent of
   its larger side (at least half a degree).

The continental US is drawn as in the paper: an Albers equal-area projection
(:func:`us_projection`) framed by the contiguous US outline with a margin. Any other extent
gets a Lambert azimuthal equal-area projection centred on it (the projection of Europe's
ETRS89-LAEA grid) framed by the projected extent: both are equal-area, so marker density reads
the same everywhere on the map.

Examples
--------
>>> import spatialocc
>>> from spatialocc.plot import US_EXTENT, map_extent
>>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
>>> map_extent(data) == US_EXTENT
True
>>> map_extent(data.assign_attrs(map_extent=[5.0, 15.0, 47.0, 55.0]))
(5.0, 15.0, 47.0, 55.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from spatialocc.datasets.geography import LOWER_48, inside
from spatialocc.dims.errors import MissingVariableError, format_labels

#: A map's region (lon_min, lon_max, lat_min, lat_max) in degrees.
Extent = tuple[float, float, float, float]
#: Continental US (lon_min, lon_max, lat_min, lat_max) in degrees: cities outside (Alaska,
#: Hawaii, Puerto Rico) are not drawn. The frame is the contiguous US outline with a margin.
US_EXTENT: Extent = (-125.0, -66.0, 24.0, 50.0)
#: Global attribute of a Dataset giving its map extent, [lon_min, lon_max, lat_min, lat_max].
MAP_EXTENT_ATTR = "map_extent"
# Region (lon_min, lat_min, lon_max, lat_max) of the border geometries kept for the US maps.
_REGION = (-140.0, 10.0, -50.0, 65.0)
# Other extents keep the borders this many degrees around them (as _REGION does for the US):
# a projected frame reaches beyond the lon/lat box at its corners.
_BORDER_MARGIN = 15.0
# Margin of an extent computed around the cities: a share of its larger side, in degrees.
_MARGIN_SHARE = 0.05
_MIN_MARGIN = 0.5
# Share of its cities inside the contiguous US outline from which an economy is mapped as the
# continental US (the US data: 373 of 382 cities; a synthetic economy: all).
_US_MAJORITY = 0.5

_INSTALL_HINT = 'install the plotting extra: pip install "spatialocc[plot]"'


def _cartopy() -> tuple[Any, Any]:
    try:
        import cartopy.crs as ccrs
        import cartopy.feature as cfeature
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(f"maps need cartopy; {_INSTALL_HINT}") from err
    return ccrs, cfeature


def us_projection() -> Any:
    """The equal-area projection of the US maps: Albers, standard parallels 29.5 and 45.5 N.

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


def _frame(projection: Any) -> tuple[float, float, float, float]:
    """Map frame (x0, x1, y0, y1) in projected coordinates: the contiguous US outline's bounding
    box with a margin, tighter than the projected lon/lat box of ``US_EXTENT``."""
    ccrs, _ = _cartopy()
    points = projection.transform_points(ccrs.PlateCarree(), LOWER_48[:, 0], LOWER_48[:, 1])
    x0, x1 = float(points[:, 0].min()), float(points[:, 0].max())
    y0, y1 = float(points[:, 1].min()), float(points[:, 1].max())
    margin = 0.03 * max(x1 - x0, y1 - y0)
    return (x0 - margin, x1 + margin, y0 - margin, y1 + margin)


@dataclass(frozen=True)
class _Region:
    """A map's region: the extent, and from it the projection, the frame and the border box."""

    extent: Extent

    @property
    def description(self) -> str:
        return "the map"

    @property
    def border_box(self) -> tuple[float, float, float, float]:
        """(lon_min, lat_min, lon_max, lat_max) of the border geometries kept for the map."""
        lon_min, lon_max, lat_min, lat_max = self.extent
        return (
            max(lon_min - _BORDER_MARGIN, -180.0),
            max(lat_min - _BORDER_MARGIN, -90.0),
            min(lon_max + _BORDER_MARGIN, 180.0),
            min(lat_max + _BORDER_MARGIN, 90.0),
        )

    def projection(self) -> Any:
        ccrs, _ = _cartopy()
        lon_min, lon_max, lat_min, lat_max = self.extent
        return ccrs.LambertAzimuthalEqualArea(
            central_longitude=(lon_min + lon_max) / 2, central_latitude=(lat_min + lat_max) / 2
        )

    def frame(self, projection: Any) -> tuple[float, float, float, float]:
        """(x0, x1, y0, y1) in projected coordinates: the bounding box of the projected extent
        (its edges are curves in most projections, hence the points along them)."""
        ccrs, _ = _cartopy()
        lon_min, lon_max, lat_min, lat_max = self.extent
        along = np.linspace(0.0, 1.0, 65)
        lon_edge = lon_min + (lon_max - lon_min) * along
        lat_edge = lat_min + (lat_max - lat_min) * along
        lon = np.concatenate([lon_edge, lon_edge, np.full(65, lon_min), np.full(65, lon_max)])
        lat = np.concatenate([np.full(65, lat_min), np.full(65, lat_max), lat_edge, lat_edge])
        points = projection.transform_points(ccrs.PlateCarree(), lon, lat)
        x, y = points[:, 0], points[:, 1]
        return (float(x.min()), float(x.max()), float(y.min()), float(y.max()))


@dataclass(frozen=True)
class _ContinentalUS(_Region):
    """The paper's maps: Albers equal-area, framed by the contiguous US outline."""

    @property
    def description(self) -> str:
        return "the continental US"

    @property
    def border_box(self) -> tuple[float, float, float, float]:
        return _REGION

    def projection(self) -> Any:
        return us_projection()

    def frame(self, projection: Any) -> tuple[float, float, float, float]:
        return _frame(projection)


_CONTINENTAL_US = _ContinentalUS(US_EXTENT)


def _checked_extent(value: Any, origin: str) -> Extent:
    """``value`` as an extent, or a ValueError saying what an extent is."""
    expected = (
        f"{origin} must be four numbers [lon_min, lon_max, lat_min, lat_max] in degrees with "
        "-180 <= lon_min < lon_max <= 180 and -90 <= lat_min < lat_max <= 90, e.g. "
        f"{list(US_EXTENT)} for the continental US"
    )
    try:
        numbers = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{expected}; got {value!r}") from err
    if numbers.shape != (4,) or not np.isfinite(numbers).all():
        raise ValueError(f"{expected}; got {value!r}")
    lon_min, lon_max, lat_min, lat_max = (float(v) for v in numbers)
    if not (-180.0 <= lon_min < lon_max <= 180.0 and -90.0 <= lat_min < lat_max <= 90.0):
        raise ValueError(f"{expected}; got {value!r}")
    return (lon_min, lon_max, lat_min, lat_max)


def _extent_around(lon: np.ndarray, lat: np.ndarray) -> Extent:
    """``US_EXTENT`` for cities mostly in the contiguous US, else their box with a margin."""
    finite = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[finite], lat[finite]
    if not lon.size:
        raise ValueError(
            "cannot place the map: no city has finite 'lon' and 'lat'; give the coordinates, "
            "or the extent (extent=... or the Dataset attribute "
            f"{MAP_EXTENT_ATTR!r} = [lon_min, lon_max, lat_min, lat_max])"
        )
    if inside(lon, lat).mean() >= _US_MAJORITY:
        return US_EXTENT
    margin = max(_MARGIN_SHARE * float(max(np.ptp(lon), np.ptp(lat))), _MIN_MARGIN)
    return (
        max(float(lon.min()) - margin, -180.0),
        min(float(lon.max()) + margin, 180.0),
        max(float(lat.min()) - margin, -90.0),
        min(float(lat.max()) + margin, 90.0),
    )


def _attribute_extent(data: xr.Dataset | xr.DataArray) -> Extent | None:
    if MAP_EXTENT_ATTR not in data.attrs:
        return None
    return _checked_extent(data.attrs[MAP_EXTENT_ATTR], f"the attribute {MAP_EXTENT_ATTR!r}")


def map_extent(data: xr.Dataset | xr.DataArray) -> Extent:
    """The extent (lon_min, lon_max, lat_min, lat_max) in degrees of the maps of ``data``.

    The attribute ``map_extent`` when present; else ``US_EXTENT`` when at least half of the
    cities lie inside the contiguous US outline; else the cities' bounding box with a margin
    of 5 percent of its larger side (at least half a degree).

    Parameters
    ----------
    data
        An economy (or a DataArray on ``city``) with the city coordinates ``lon`` and ``lat``
        in degrees, or with the attribute ``map_extent``.

    Returns
    -------
    tuple of float

    Raises
    ------
    ValueError
        The attribute is not four numbers of a longitude/latitude box.
    MissingVariableError
        Neither the attribute nor the coordinates ``lon`` and ``lat``.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.plot import map_extent
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> map_extent(data)
    (-125.0, -66.0, 24.0, 50.0)
    >>> europe = data.assign_coords(lon=data["lon"] + 110.0, lat=data["lat"] + 10.0)
    >>> west, east, south, north = map_extent(europe)
    >>> bool(west < float(europe["lon"].min()) and north > float(europe["lat"].max()))
    True
    """
    given = _attribute_extent(data)
    if given is not None:
        return given
    if not {"lon", "lat"} <= set(data.coords):
        raise MissingVariableError(
            "the map extent comes from the city coordinates 'lon' and 'lat' (degrees) or the "
            f"attribute {MAP_EXTENT_ATTR!r}; the data have the coordinates "
            f"{format_labels(list(data.coords))} and no such attribute"
        )
    lon = np.asarray(data["lon"].values, dtype=float).ravel()
    lat = np.asarray(data["lat"].values, dtype=float).ravel()
    return _extent_around(lon, lat)


def _region(extent: Extent) -> _Region:
    """The region of a checked extent: the paper's US maps for ``US_EXTENT``."""
    return _CONTINENTAL_US if extent == US_EXTENT else _Region(extent)


def map_projection(extent: Any = US_EXTENT) -> Any:
    """The equal-area projection of the maps of ``extent``, for axes to draw maps into.

    :func:`us_projection` for ``US_EXTENT``; a Lambert azimuthal equal-area projection centred
    on the extent otherwise.

    Examples
    --------
    >>> from spatialocc.plot import map_projection
    >>> map_projection().proj4_params["proj"]
    'aea'
    >>> map_projection((5.0, 15.0, 47.0, 55.0)).proj4_params["proj"]
    'laea'
    """
    return _region(_checked_extent(extent, "extent")).projection()
