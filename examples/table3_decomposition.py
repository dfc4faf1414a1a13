"""Table 3 and Figure 18: the decomposition of the change from 1980 to 2015 on the bundled US
data, with the paper's CUE externalities, run in parallel with dask.

    python examples/table3_decomposition.py
"""

import spatialocc
import spatialocc.plot

CUE = {
    "tau_share": {"CNR": 1.304, "nonCNR": 0.835},
    "tau_size": {"CNR": 0.349, "nonCNR": 0.357},
}


def main() -> None:
    model = spatialocc.with_externalities(spatialocc.invert(spatialocc.datasets.load("us")), **CUE)
    result = spatialocc.decompose(model, start=1980, end=2015)  # 22 solves, 4 of them optima
    table = spatialocc.decomposition_table(result)
    print(table.round(3).to_string())
    print("CNR/nonCNR welfare ratio in the Baseline:", table.attrs["baseline_ratio"])
    histogram = spatialocc.cnr_share_distribution(result)  # Baseline 1980, 2015, optimum
    spatialocc.plot.save(spatialocc.plot.figure18(histogram), "figure18.png")


if __name__ == "__main__":
    main()
