"""The no-externalities counterfactual of the paper's section 4.7 (Figures 3 and 4).

Inverts the 2015 synthetic economy, sets the paper's CUE externalities (Table 2, column 3),
removes them holding exogenous productivity fixed, and compares two slopes in the data and
in the counterfactual:

- Figure 3: the employment-weighted slope of the log CNR wage premium on the CNR share;
- Figure 4: the slope of the actual CNR wage-bill share on the one predicted from industry
  composition, sum_j delta[CNR,j] sigma[j,n].

    python examples/no_externalities_figures_3_4.py

From Python, ``main(data)`` does the same for any dataset of kind "data" with the year 2015
(default: the 382-city synthetic economy), e.g.
``main(spatialocc.datasets.synthetic(n_cities=12, years=(2015,)))``; it returns the slopes.
"""

import numpy as np
import xarray as xr

import spatialocc
from spatialocc import paper
from spatialocc.solvers import counterfactuals as cf

CUE = paper.TAU  # the paper's CUE estimates (Table 2)


def weighted_slope(y: xr.DataArray, x: xr.DataArray, weights: xr.DataArray) -> float:
    """Slope of a weighted least-squares regression of y on x (with a constant)."""
    w = weights / weights.sum()
    x_bar, y_bar = float((w * x).sum()), float((w * y).sum())
    return float((w * (x - x_bar) * (y - y_bar)).sum() / (w * (x - x_bar) ** 2).sum())


def figure_slopes(allocation: xr.Dataset) -> dict[str, float]:
    residents = allocation["employment"].sum("industry")
    size = residents.sum("occupation")
    cnr_share = residents.sel(occupation="CNR") / size
    wage = allocation["wage"]
    premium = np.log(wage.sel(occupation="CNR") / wage.sel(occupation="nonCNR"))
    bill = wage * allocation["employment"]  # occupation, industry, city
    national = bill.sum("city")
    delta = national.sel(occupation="CNR") / national.sum("occupation")
    sigma = bill.sum("occupation") / bill.sum(["occupation", "industry"])
    predicted = (delta * sigma).sum("industry")
    actual = bill.sel(occupation="CNR").sum("industry") / bill.sum(["occupation", "industry"])
    return {
        "premium_on_share": weighted_slope(premium, cnr_share, size),
        "actual_on_predicted": weighted_slope(actual, predicted, size),
    }


def main(data: xr.Dataset | None = None) -> dict[str, dict[str, float]]:
    if data is None:
        data = spatialocc.datasets.synthetic(years=(2015,), seed=0)
    model = spatialocc.with_externalities(spatialocc.invert(data.sel(year=[2015])), **CUE)
    counterfactual = spatialocc.solve_equilibrium(cf.no_externalities(model))
    if not bool(counterfactual["converged"].all()):
        raise RuntimeError("the no-externalities counterfactual did not converge")
    result = {}
    for label, allocation in (("data", model), ("no externalities", counterfactual)):
        slopes = result[label] = figure_slopes(allocation.squeeze("year"))
        print(
            f"{label:>17}: Figure 3 slope (log CNR premium on CNR share) "
            f"{slopes['premium_on_share']:+.3f}; Figure 4 slope (actual on predicted CNR "
            f"wage-bill share) {slopes['actual_on_predicted']:.3f}"
        )
    return result


if __name__ == "__main__":
    main()
