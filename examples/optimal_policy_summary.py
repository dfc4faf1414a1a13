"""The optimal spatial policy on the 2015 synthetic economy with the paper's CUE externalities,
and the statistics of the paper's sections 5-6 beside the paper's own numbers.

    python examples/optimal_policy_summary.py

From Python, ``main(data)`` does the same for any dataset of kind "data" with the year 2015
(default: the 382-city synthetic economy), e.g.
``main(spatialocc.datasets.synthetic(n_cities=12, years=(2015,)))``; it returns the table.
"""

import time

import pandas as pd
import xarray as xr

import spatialocc
from spatialocc import paper

CUE = paper.TAU  # the paper's CUE estimates (Table 2)
PAPER = {
    ("social_private_ratio_reference", "CNR"): 1.79,
    ("mean_wedge_difference", "all"): 63_135,
    ("corr_wedge_difference_share", "all"): 0.48,
    ("corr_wedge_difference_log_size", "all"): 0.62,
    ("corr_wedge_difference_share_weighted", "all"): 0.67,
    ("corr_wedge_difference_log_size_weighted", "all"): 0.76,
    ("mean_transfer", "CNR"): -3_316,
    ("mean_transfer", "nonCNR"): 2_020,
    ("welfare_gain", "CNR"): 0.0059,
    ("welfare_gain", "nonCNR"): 0.0059,
}


def main(data: xr.Dataset | None = None) -> pd.DataFrame:
    if data is None:
        data = spatialocc.datasets.synthetic(years=(2015,), seed=0)
    model = spatialocc.invert(data.sel(year=[2015])).squeeze("year")
    model = spatialocc.with_externalities(model, **CUE)
    start = time.perf_counter()
    optimum = spatialocc.solve_optimal(model)
    seconds = time.perf_counter() - start
    summary = spatialocc.policy_summary(model, optimum)
    table = spatialocc.policy_table(summary)
    rows = []
    for name, row in table.iterrows():
        for column, value in row.dropna().items():
            rows.append((f"{name} [{column}]", value, PAPER.get((name, column))))
    frame = pd.DataFrame(rows, columns=["statistic", "synthetic", "paper"])
    print(frame.to_string(index=False))
    print(f"solve_optimal: {seconds:.1f} s, {int(optimum['iterations'])} iterations")
    return frame


if __name__ == "__main__":
    main()
