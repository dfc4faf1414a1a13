"""Monte Carlo (issue 4, the paper's Table A8 exercise): economies simulated by the solver at
the paper's CUE elasticities, with sorting on amenities and valid instruments.

IV (2SLS, LIML, GMM-CUE) must recover τ, with mean bias well inside one standard deviation
of the estimates, while OLS on the share term is biased downward (as Table A8 describes) and
OLS on the size term shows little bias. The full table (200 replications, two-way and one-way
clustering, coverage) comes from ``benchmarks/monte_carlo_externalities.py``.
"""

from __future__ import annotations

import pytest

from spatialocc.estimate import montecarlo

IV_METHODS = ("2sls", "liml", "cue")


@pytest.mark.slow
def test_iv_recovers_tau_and_ols_share_term_is_biased():
    base = montecarlo.base_model(n_cities=200, n_industries=8, seed=0)
    results = montecarlo.monte_carlo(base, replications=16, seed=12345, clusters={"city": "city"})
    assert results.attrs["skipped"] == 0
    table = montecarlo.summarize(results).loc["city"]
    assert (table["replications"] == 16).all()
    for method in IV_METHODS:
        iv = table.loc[method]
        assert (iv["bias"].abs() < 0.5 * iv["sd"]).all(), iv
        assert (iv["bias"].abs() < iv["mean_se"]).all(), iv
        assert (iv["median_kp_f"] > 10).all()
    ols = table.loc["ols"]
    for occupation in ("CNR", "nonCNR"):
        share = ols.loc[(occupation, "tau_share")]
        assert share["bias"] < -1.5 * share["sd"], share
        for method in IV_METHODS:
            iv_share = table.loc[(method, occupation, "tau_share")]
            assert abs(share["bias"]) > 4 * abs(iv_share["bias"])
        size = ols.loc[(occupation, "tau_size")]
        assert abs(size["bias"]) < 0.05 * size["truth"], size
