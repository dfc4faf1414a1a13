"""Table 3 and Figure 18: the decomposition of the change from 1980 to 2015 on the bundled US
data, with the paper's CUE externalities, run in parallel with dask.

    python examples/table3_decomposition.py

Figure 18 is written to the current folder. From Python, ``main(data, out)`` does the same for
any dataset of kind "data" with the years 1980 and 2015 (default: the bundled US data), e.g.
``main(spatialocc.datasets.synthetic(n_cities=12), out="figures")``; it returns Table 3.
"""

from pathlib import Path

import pandas as pd
import xarray as xr

import spatialocc
import spatialocc.plot
from spatialocc import paper

CUE = paper.TAU  # the paper's CUE estimates (Table 2)


def main(data: xr.Dataset | None = None, out: str | Path = ".") -> pd.DataFrame:
    if data is None:
        data = spatialocc.datasets.load("us")
    model = spatialocc.with_externalities(spatialocc.invert(data.sel(year=[1980, 2015])), **CUE)
    result = spatialocc.decompose(model, start=1980, end=2015)  # 22 solves, 4 of them optima
    table = spatialocc.decomposition_table(result)
    print(table.round(3).to_string())
    print("CNR/nonCNR welfare ratio in the Baseline:", table.attrs["baseline_ratio"])
    histogram = spatialocc.cnr_share_distribution(result)  # Baseline 1980, 2015, optimum
    spatialocc.plot.save(spatialocc.plot.figure18(histogram), Path(out, "figure18.png"))
    return table


if __name__ == "__main__":
    main()
