"""Tables 1 and 2: wages against city size and composition, and the externality elasticities
by OLS, 2SLS and GMM-CUE, on the 2015 synthetic economy (which has all three instruments).

    python examples/table2_externalities.py
"""

import spatialocc


def main() -> None:
    data = spatialocc.datasets.synthetic(years=(2015,), seed=0)
    model = spatialocc.invert(data).squeeze("year")
    print(spatialocc.estimate.table1(model).round(3).to_string())
    estimates = spatialocc.estimate.externalities(model, method="cue", compare=("ols", "2sls"))
    print(estimates.summary().to_string())
    # the estimates set the externalities of every later solve
    model = estimates.apply(model)
    print(model["tau_share"].values, model["tau_size"].values)


if __name__ == "__main__":
    main()
