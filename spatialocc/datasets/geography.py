"""Continental-US geography for synthetic economies: outline, divisions, distances."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_MILES = 3958.8
WITHIN_CITY_DISTANCE = 20.0

#: A coarse outline of the contiguous United States (lon, lat), clockwise from Puget Sound.
LOWER_48 = np.array(
    [
        (-124.7, 48.4), (-122.8, 49.0), (-95.2, 49.0), (-89.5, 48.0), (-84.5, 46.5),
        (-82.5, 45.3), (-82.4, 43.0), (-79.0, 43.3), (-76.0, 44.0), (-74.7, 45.0),
        (-71.5, 45.0), (-70.0, 46.5), (-69.0, 47.4), (-67.8, 47.1), (-67.0, 44.8),
        (-70.5, 43.0), (-70.0, 41.8), (-71.5, 41.3), (-74.0, 40.5), (-74.2, 39.5),
        (-75.5, 38.5), (-76.0, 37.0), (-75.6, 35.3), (-77.0, 34.5), (-79.0, 33.2),
        (-81.0, 31.5), (-81.2, 29.5), (-80.1, 26.8), (-80.4, 25.2), (-81.1, 25.2),
        (-82.5, 27.5), (-82.8, 29.0), (-84.0, 30.0), (-86.0, 30.3), (-88.0, 30.4),
        (-90.0, 29.2), (-92.0, 29.6), (-94.0, 29.6), (-95.0, 29.0), (-97.2, 27.6),
        (-97.2, 26.0), (-99.2, 26.5), (-101.4, 29.8), (-103.0, 29.0), (-104.5, 29.6),
        (-106.5, 31.8), (-108.2, 31.3), (-111.1, 31.3), (-114.8, 32.5), (-117.1, 32.5),
        (-118.5, 34.0), (-120.6, 34.6), (-121.9, 36.6), (-122.5, 37.8), (-124.2, 40.4),
        (-124.5, 42.8), (-124.0, 46.3),
    ]
)  # fmt: skip


def inside(lon: np.ndarray, lat: np.ndarray, polygon: np.ndarray = LOWER_48) -> np.ndarray:
    """Ray-casting point-in-polygon test, vectorized over points."""
    x, y = np.asarray(lon)[:, None], np.asarray(lat)[:, None]
    x0, y0 = polygon[:, 0], polygon[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    crosses = (y0 > y) != (y1 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    return ((crosses & (x < x_cross)).sum(axis=1) % 2) == 1


def great_circle_miles(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Haversine distances between all pairs of points, in miles."""
    phi, lam = np.radians(lat), np.radians(lon)
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    h = np.sin(dphi / 2) ** 2 + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _miles_from(lat0: float, lon0: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi0, phi = np.radians(lat0), np.radians(lat)
    h = (
        np.sin((phi - phi0) / 2) ** 2
        + np.cos(phi0) * np.cos(phi) * np.sin(np.radians(lon - lon0) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def distance_matrix(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Great-circle miles between cities with the within-city distance on the diagonal."""
    d = great_circle_miles(lat, lon)
    d = (d + d.T) / 2
    np.fill_diagonal(d, WITHIN_CITY_DISTANCE)
    return d


def census_division(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Approximate census division (1-9) of a point from coarse longitude/latitude bands."""
    lat, lon = np.asarray(lat), np.asarray(lon)
    div = np.full(lat.shape, 5)  # South Atlantic
    div[lon < -114.5] = 9  # Pacific
    div[(lon >= -114.5) & (lon < -102)] = 8  # Mountain
    plains = (lon >= -102) & (lon < -89.5)
    div[plains & (lat >= 36.5)] = 4  # West North Central
    div[plains & (lat < 36.5)] = 7  # West South Central
    midwest = (lon >= -89.5) & (lon < -80.5)
    div[midwest & (lat >= 38.5)] = 3  # East North Central
    div[(lon >= -89.5) & (lon < -82.5) & (lat < 38.5)] = 6  # East South Central
    div[(lon >= -80.5) & (lon < -73.5) & (lat >= 39.7)] = 2  # Middle Atlantic
    div[(lon >= -73.5) & (lat >= 41.0)] = 1  # New England
    return div


def sample_locations(
    n: int, rng: np.random.Generator, *, min_separation: float = 25.0
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` points inside the contiguous US, denser in the east, at least
    ``min_separation`` miles apart."""
    lats: list[float] = []
    lons: list[float] = []
    while len(lats) < n:
        lon = rng.uniform(-124.7, -67.0, 4096)
        lat = rng.uniform(25.0, 49.0, 4096)
        keep = inside(lon, lat) & (rng.uniform(size=lon.size) < np.where(lon > -100, 1.0, 0.4))
        for x, y in zip(lon[keep], lat[keep], strict=True):
            if lats and _miles_from(y, x, np.array(lats), np.array(lons)).min() < min_separation:
                continue
            lats.append(float(y))
            lons.append(float(x))
            if len(lats) == n:
                break
    return np.array(lats), np.array(lons)
