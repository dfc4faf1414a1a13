"""Figures 5 and 10: the CNR wedge at the 2015 equilibrium and the optimal transfers to CNR
workers, as maps of US cities (marker size: employment).

    python examples/figure10_optimal_transfers_map.py [NATURAL_EARTH_FOLDER]

Without a folder of Natural Earth GeoJSON files, cartopy downloads the borders when online.
"""

import sys

import spatialocc
import spatialocc.plot

CUE = {
    "tau_share": {"CNR": 1.304, "nonCNR": 0.835},
    "tau_size": {"CNR": 0.349, "nonCNR": 0.357},
}


def main() -> None:
    natural_earth = sys.argv[1] if len(sys.argv) > 1 else None
    data = spatialocc.datasets.load("us").sel(year=[2015])
    model = spatialocc.with_externalities(spatialocc.invert(data).squeeze("year"), **CUE)
    optimum = spatialocc.solve_optimal(model)
    plot = spatialocc.plot
    plot.save(plot.figure5(model, natural_earth=natural_earth), "figure05.png")
    figure = plot.figure10(optimum, reference=model, natural_earth=natural_earth)
    plot.save(figure, "figure10.png")
    print("wrote figure05.png and figure10.png")


if __name__ == "__main__":
    main()
