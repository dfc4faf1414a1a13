"""Tables 1 and 2: wages against city size and composition, and the externality elasticities
by OLS, 2SLS and GMM-CUE, on the 2015 synthetic economy (which has all three instruments).

    python examples/table2_externalities.py

From Python, ``main(data)`` does the same for any dataset of kind "data" with the year 2015
and the instruments (default: the 382-city synthetic economy), e.g.
``main(spatialocc.datasets.synthetic(n_cities=40, years=(2015,)))``; it returns the estimates.
"""

import xarray as xr

import spatialocc


def main(data: xr.Dataset | None = None) -> spatialocc.estimate.ExternalityEstimates:
    if data is None:
        data = spatialocc.datasets.synthetic(years=(2015,), seed=0)
    model = spatialocc.invert(data.sel(year=[2015])).squeeze("year")
    print(spatialocc.reports.table1(model).round(3).to_string())
    estimates = spatialocc.estimate.externalities(model, method="cue", compare=("ols", "2sls"))
    print(estimates.summary().to_string())
    # the estimates set the externalities of every later solve
    model = estimates.apply(model)
    print(model["tau_share"].values, model["tau_size"].values)
    return estimates


if __name__ == "__main__":
    main()
