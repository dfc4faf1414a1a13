"""Maps and charts of the paper's figures: building blocks and one function per figure.

One module per idea:

- :mod:`~spatialocc.plot.region`: where a map looks, its extent, projection and frame;
- :mod:`~spatialocc.plot.borders`: the Natural Earth borders drawn on the maps;
- :mod:`~spatialocc.plot.blocks`: drawing blocks (city map, sized scatter with its fit,
  histogram, colour scales, :func:`save`);
- :mod:`~spatialocc.plot.economy`: what the figures read off an economy (the two occupations
  compared, city sizes and shares, the wedge difference);
- :mod:`~spatialocc.plot.figures`: the paper's figures, ``figure1`` ... ``figure18``, the
  scatterplots beside the maps of Figures 6 and 16, the appendix's Figures A8 and A22;
- :mod:`~spatialocc.plot.technology`: Figures 14, 15, 19 and 20 (technology and linkages);
- :mod:`~spatialocc.plot.registry`: ``FIGURES`` and :func:`draw_all`.

Every function returns a :class:`matplotlib.figure.Figure` built directly on the Agg canvas,
never through ``pyplot``: drawing changes no global matplotlib state, opens no window and works
the same in scripts, notebooks and headless CI. A standard figure is ``FIGSIZE`` = 8 x 5.5
inches at ``DPI`` = 100 dots per inch, so :func:`save` writes an 800 x 550 pixel PNG.

Inputs
------
The figures take one economy each (select one year first), under the names of ``INPUTS``
when drawn by :func:`draw_all`. They read:

- the variables ``employment`` and ``wage`` (and ``wedge`` or ``tau_share``/``tau_size``,
  ``transfer``, ``productivity_exogenous`` (Figure 14), ``gross_output`` and the shares
  (Figure 15) where a figure says so);
- Figures 19-20: what :func:`spatialocc.reports.technology_change` returns for both
  calibrations (input ``technology_change``);
- the coordinate ``occupation``: the two occupations compared are ``OCCUPATIONS`` = CNR and
  nonCNR when present, else the first two labels (:func:`compared_occupations`);
- for maps, the city coordinates ``lon`` and ``lat`` (degrees) and the optional global
  attribute ``map_extent`` = [lon_min, lon_max, lat_min, lat_max] (degrees), the region of
  the maps. Without it the region comes from the cities (:func:`map_extent`): ``US_EXTENT``,
  the continental US, when they lie in the contiguous US (the bundled US data, drawn in an
  Albers projection as in the paper); else their bounding box with a margin, in a Lambert
  azimuthal equal-area projection centred on it. Every map function also takes ``extent=``.

Maps draw state borders, country borders and coastlines from Natural Earth. Cartopy downloads
those files on first use when online. Offline, point the ``natural_earth=`` argument or the
``SPATIALOCC_NATURAL_EARTH`` environment variable to a folder holding the GeoJSON files
listed in ``NATURAL_EARTH_FILES``; without a folder and without network the maps are drawn
without borders and a :class:`NaturalEarthWarning` says so once per process.

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

# Before it became a package, spatialocc.plot was one module, and every name it imported could
# be reached through it (spatialocc.plot.np, spatialocc.plot.DimensionError, ...). Those marked
# F401 stay reachable for code that used them; they are not the plotting API (see __all__).
import http.client  # noqa: F401
import json  # noqa: F401
import logging
import os  # noqa: F401
import sys  # noqa: F401
import warnings  # noqa: F401
import zipfile  # noqa: F401
from collections.abc import Callable, Hashable, Mapping, Sequence  # noqa: F401
from dataclasses import dataclass, field  # noqa: F401
from functools import lru_cache  # noqa: F401
from pathlib import Path  # noqa: F401
from typing import TYPE_CHECKING, Any, Literal, get_args  # noqa: F401

import numpy as np  # noqa: F401
import xarray as xr  # noqa: F401

from spatialocc.dims.errors import (  # noqa: F401
    CoordinateMismatchError,
    DimensionError,
    MissingVariableError,
    format_labels,
)
from spatialocc.dims.io import atomic_path  # noqa: F401
from spatialocc.plot.blocks import (
    DPI,
    FIGSIZE,
    MAX_MARKER_AREA,
    histogram,
    save,
    scatter,
    us_map,
)
from spatialocc.plot.borders import (
    NATURAL_EARTH_ENV,
    NATURAL_EARTH_FILES,
    NaturalEarth,
    NaturalEarthError,
    NaturalEarthWarning,
    _BorderState,
    border_geometries,
)
from spatialocc.plot.economy import OCCUPATIONS, compared_occupations
from spatialocc.plot.figures import (
    GiniAxis,
    figure1,
    figure2,
    figure3,
    figure4,
    figure5,
    figure6,
    figure6_scatter,
    figure7,
    figure8,
    figure9,
    figure10,
    figure11,
    figure12,
    figure13,
    figure16,
    figure16_scatter,
    figure17,
    figure18,
    figureA8,
    figureA22,
)
from spatialocc.plot.region import (
    MAP_EXTENT_ATTR,
    US_EXTENT,
    Extent,
    map_extent,
    map_projection,
    us_projection,
)
from spatialocc.plot.registry import FIGURES, INPUTS, FigureSpec, draw_all
from spatialocc.plot.technology import (
    FIGURE14_INDUSTRIES,
    figure14,
    figure15,
    figure19,
    figure20,
)
from spatialocc.reports import cnr_share_distribution  # Figure 18's input

logger = logging.getLogger(__name__)

#: What this process knows about cartopy's Natural Earth data (downloaded once, warned once).
#: It lives here, not in ``borders``, so that replacing ``spatialocc.plot._BORDERS`` (as a test
#: does to start afresh) is what the borders code sees: it looks the state up here each time.
_BORDERS = _BorderState()

__all__ = [
    "DPI",
    "FIGSIZE",
    "FIGURE14_INDUSTRIES",
    "FIGURES",
    "INPUTS",
    "MAP_EXTENT_ATTR",
    "MAX_MARKER_AREA",
    "NATURAL_EARTH_ENV",
    "NATURAL_EARTH_FILES",
    "OCCUPATIONS",
    "US_EXTENT",
    "Extent",
    "FigureSpec",
    "GiniAxis",
    "NaturalEarth",
    "NaturalEarthError",
    "NaturalEarthWarning",
    "border_geometries",
    "cnr_share_distribution",
    "compared_occupations",
    "draw_all",
    "figure1",
    "figure2",
    "figure3",
    "figure4",
    "figure5",
    "figure6",
    "figure6_scatter",
    "figure7",
    "figure8",
    "figure9",
    "figure10",
    "figure11",
    "figure12",
    "figure13",
    "figure14",
    "figure15",
    "figure16",
    "figure16_scatter",
    "figure17",
    "figure18",
    "figure19",
    "figure20",
    "figureA8",
    "figureA22",
    "histogram",
    "map_extent",
    "map_projection",
    "save",
    "scatter",
    "us_map",
    "us_projection",
]
