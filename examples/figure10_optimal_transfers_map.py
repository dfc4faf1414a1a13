"""Figures 5 and 10: the CNR wedge at the 2015 equilibrium and the optimal transfers to CNR
workers, as maps of US cities (marker size: employment).

    python examples/figure10_optimal_transfers_map.py [NATURAL_EARTH_FOLDER]

Without a folder of Natural Earth GeoJSON files, cartopy downloads the borders when online.
The figures are written to the current folder. From Python, ``main(data, natural_earth, out)``
draws them for any dataset of kind "data" with the year 2015 (default: the bundled US data),
for instance ``main(spatialocc.datasets.synthetic(n_cities=12, seed=0), out="figures")``.
"""

import sys
from pathlib import Path

import xarray as xr

import spatialocc
import spatialocc.plot
from spatialocc import paper

CUE = paper.TAU  # the paper's CUE estimates (Table 2)


def main(
    data: xr.Dataset | None = None, natural_earth: str | None = None, out: str | Path = "."
) -> list[Path]:
    if data is None:
        data = spatialocc.datasets.load("us")
    data = data.sel(year=[2015])
    model = spatialocc.with_externalities(spatialocc.invert(data).squeeze("year"), **CUE)
    optimum = spatialocc.solve_optimal(model)
    plot = spatialocc.plot
    written = [
        plot.save(plot.figure5(model, natural_earth=natural_earth), Path(out, "figure05.png")),
        plot.save(
            plot.figure10(optimum, reference=model, natural_earth=natural_earth),
            Path(out, "figure10.png"),
        ),
    ]
    print(f"wrote {' and '.join(str(p) for p in written)}")
    return written


if __name__ == "__main__":
    main(natural_earth=sys.argv[1] if len(sys.argv) > 1 else None)
