"""The registry of the paper's figures, ``FIGURES``, and :func:`draw_all`, which draws every
figure whose inputs are given (``spatialocc plot`` and ``spatialocc run`` call it).

Each figure is a :class:`FigureSpec`: its file name (``figureNN``; ``figureNN_scatter`` for the
scatterplots beside a map, ``figureANN`` for the appendix's figures), its function, the named
inputs (``INPUTS``) it is drawn from, its title and whether it is a map.

Examples
--------
>>> from spatialocc.plot import FIGURES
>>> FIGURES["figure05"].inputs, FIGURES["figure05"].is_map
(('model',), True)
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xarray as xr

from spatialocc.dims.errors import MissingVariableError, format_labels
from spatialocc.plot.blocks import DPI, save
from spatialocc.plot.borders import NaturalEarth
from spatialocc.plot.figures import (
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
from spatialocc.plot.region import Extent
from spatialocc.plot.technology import figure14, figure15, figure19, figure20

if TYPE_CHECKING:
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

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
    "technology_change": "reports.technology_change(model with both years) for Figures 19-20",
}


@dataclass(frozen=True)
class FigureSpec:
    """One of the paper's figures: how to draw it from named inputs.

    ``inputs`` are passed positionally in order and must all be present; ``optional`` maps a
    keyword argument of ``function`` to the input passed when present. Maps also receive
    ``natural_earth`` and ``extent``.
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

    def draw(
        self,
        inputs: Mapping[str, Any],
        *,
        natural_earth: NaturalEarth = None,
        extent: Extent | None = None,
    ) -> Figure:
        """Draw the figure from ``inputs`` (a mapping of input name to Dataset/DataArray); a
        map's region is ``extent``, by default derived from its data (:func:`map_extent`)."""
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
            kwargs["extent"] = extent
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


#: The paper's figures by file name, in order.
FIGURES: dict[str, FigureSpec] = {
    spec.name: spec
    for spec in (
        _spec("figure01", figure1, ("model",)),
        _spec("figure02", figure2, ("model",)),
        _spec("figure03", figure3, ("no_externalities",), optional={"reference": "model"}),
        _spec("figure04", figure4, ("no_externalities",), optional={"reference": "model"}),
        _spec("figure05", figure5, ("model",), is_map=True),
        _spec("figure06", figure6, ("model", "optimum"), is_map=True),
        _spec("figure06_scatter", figure6_scatter, ("model", "optimum")),
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
        _spec("figure14", figure14, ("model",)),
        _spec("figure15", figure15, ("model",)),
        _spec(
            "figure16",
            figure16,
            ("equilibrium_no_trade_costs", "optimum_no_trade_costs"),
            is_map=True,
        ),
        _spec(
            "figure16_scatter",
            figure16_scatter,
            ("equilibrium_no_trade_costs", "optimum_no_trade_costs"),
        ),
        _spec(
            "figure17",
            figure17,
            ("model", "optimum", "optimum_additive_amenities"),
            optional={"variant_reference": "equilibrium_additive_amenities"},
        ),
        _spec("figure18", figure18, ("population_share",)),
        _spec("figure19", figure19, ("technology_change",)),
        _spec("figure20", figure20, ("technology_change",)),
        _spec(
            "figureA08",
            figureA8,
            ("model", "optimum", "optimum_no_trade_costs"),
            optional={"variant_reference": "equilibrium_no_trade_costs"},
        ),
        _spec("figureA22", figureA22, ("model", "optimum")),
    )
}


def draw_all(
    inputs: Mapping[str, xr.Dataset | xr.DataArray],
    out_dir: str | os.PathLike[str],
    *,
    natural_earth: NaturalEarth = None,
    extent: Extent | None = None,
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
    extent
        The maps' (lon_min, lon_max, lat_min, lat_max) in degrees; by default derived from
        the data (the attribute ``map_extent``, else the cities' coordinates; see
        :func:`map_extent`).
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
        fig = spec.draw(inputs, natural_earth=natural_earth, extent=extent)
        written.append(save(fig, out / f"{spec.name}.png", dpi=dpi))
    return written
