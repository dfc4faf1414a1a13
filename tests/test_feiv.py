"""feiv: the public fixed-effect IV regression, against pyfixest and linearmodels where they
overlap, the degrees-of-freedom conventions, invariances and bad input.

Stata's own output is compared in tests/test_stata.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from spatialocc.estimate import EstimationError, EstimationWarning, feiv, regression

pyfixest = pytest.importorskip("pyfixest")
linearmodels_iv = pytest.importorskip("linearmodels.iv")

RTOL = 1e-8
#: pyfixest demeans to an absolute tolerance of 1e-8 by default, which leaves its standard
#: errors about 4e-8 apart from exact (and varying between runs); ask it for more.
PYFIXEST_TOL = 1e-13


def panel(seed: int = 0, n: int = 1_200) -> pd.DataFrame:
    """Firms within states (firm effects nested in state clusters), years, two endogenous
    regressors, three instruments, an exogenous control and weights."""
    rng = np.random.default_rng(seed)
    firm = rng.integers(0, 120, n)
    state = firm % 15
    year = rng.integers(0, 10, n)
    z = rng.standard_normal((n, 3))
    u = rng.standard_normal(n) + 0.7 * rng.standard_normal(15)[state]
    w = rng.standard_normal(n)
    fe = rng.standard_normal(120)[firm] + 0.3 * rng.standard_normal(10)[year]
    x1 = z @ [1.0, 0.4, 0.2] + 0.6 * u + fe + rng.standard_normal(n)
    x2 = z @ [0.1, -0.7, 0.5] - 0.4 * u + rng.standard_normal(n)
    y = 1.5 * x1 - 0.5 * x2 + 0.3 * w + 2 * fe + u
    return pd.DataFrame(
        {
            "y": y,
            "x1": x1,
            "x2": x2,
            "w": w,
            "z1": z[:, 0],
            "z2": z[:, 1],
            "z3": z[:, 2],
            "firm": firm,
            "state": state,
            "year": year,
            "weight": rng.uniform(0.5, 2.0, n),
        }
    )


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return panel()


def close(actual, expected, rtol: float = RTOL) -> None:
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=0)


# -- against pyfixest ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vcov", "k_fixef", "fe_dof"),
    [
        ({"CRV1": "state"}, "nonnested", "nested"),  # firm effects nested in state clusters
        ({"CRV1": "state"}, "full", "all"),
        ({"CRV1": "firm"}, "nonnested", "nested"),
        ("hetero", "nonnested", "nested"),
        ("iid", "nonnested", "nested"),
    ],
)
def test_ols_with_fixed_effects_matches_pyfixest(data, vcov, k_fixef, fe_dof):
    fml = "y ~ x1 + x2 + w | firm + year"
    ours = feiv(fml, data, vcov=vcov, fe_dof=fe_dof)
    theirs = pyfixest.feols(
        fml, data, vcov=vcov, ssc=pyfixest.ssc(k_fixef=k_fixef), fixef_tol=PYFIXEST_TOL
    )
    close(ours.coef(), theirs.coef()[list(ours.names)])
    close(ours.se(), theirs.se()[list(ours.names)])
    assert ours.nobs == theirs._N


def test_weighted_iv_with_fixed_effects_matches_pyfixest(data):
    fml = "y ~ w | firm + year | x1 ~ z1 + z2"
    ours = feiv(fml, data, vcov={"CRV1": "state"}, weights="weight")
    theirs = pyfixest.feols(
        fml, data, vcov={"CRV1": "state"}, weights="weight", fixef_tol=PYFIXEST_TOL
    )
    close(ours.coef(), theirs.coef()[list(ours.names)])
    close(ours.se(), theirs.se()[list(ours.names)])


def test_nested_fixed_effects_are_not_counted(data):
    """reghdfe's convention: firm effects nested in the state clusters do not count in k,
    the intercept they contain counts once; ``fe_dof="all"`` counts every dummy. The
    covariances of 2SLS then differ by exactly (n - k_all) / (n - k_nested)."""
    fml = "y ~ w | firm + year | x1 + x2 ~ z1 + z2 + z3"
    nested = feiv(fml, data, vcov={"CRV1": "state"})
    full = feiv(fml, data, vcov={"CRV1": "state"}, fe_dof="all")
    n_firms, n_years = data["firm"].nunique(), data["year"].nunique()
    assert full.absorbed == n_firms + n_years - 1
    assert nested.absorbed == n_years  # year effects, with the intercept
    n, p = nested.nobs, 3
    ratio = (n - p - full.absorbed) / (n - p - nested.absorbed)
    close(nested.cov, full.cov * ratio, rtol=1e-12)
    close(nested.coef(), full.coef(), rtol=1e-12)
    # without clusters nothing is nested: both count every dummy
    close(feiv(fml, data, vcov="hetero").cov, feiv(fml, data, vcov="hetero", fe_dof="all").cov)


def test_absorbed_dof_helpers():
    firm = np.repeat(np.arange(6), 4)
    state = firm // 2
    year = np.tile(np.arange(4), 6)
    assert regression.nested_terms([firm, year], [state]) == [True, False]
    assert regression.absorbed_dof([firm, year], [state], "nested") == 4
    assert regression.absorbed_dof([firm, year], [state], "all") == 6 + 4 - 1
    assert regression.absorbed_dof([firm, year], [year], "nested") == 6 + 4 - 1 - 4 + 1


# -- against linearmodels (no fixed effects, several endogenous regressors) ---------------------


@pytest.mark.parametrize(
    ("method", "reference"),
    [("2sls", "IV2SLS"), ("liml", "IVLIML"), ("gmm", "IVGMM")],
)
def test_several_endogenous_regressors_match_linearmodels(data, method, reference):
    ours = feiv("y ~ w | x1 + x2 ~ z1 + z2 + z3", data, method=method, vcov="hetero", small=False)
    model = getattr(linearmodels_iv, reference)(
        data["y"],
        data[["w"]].assign(Intercept=1.0),
        data[["x1", "x2"]],
        data[["z1", "z2", "z3"]],
    )
    theirs = model.fit(cov_type="robust", debiased=False)
    names = ["x1", "x2", "w", "Intercept"]
    close(ours.coef()[names], theirs.params[names])
    close(ours.se()[names], theirs.std_errors[names])
    if method == "gmm":
        close(ours.j_stat, theirs.j_stat.stat)


def test_cue_matches_linearmodels(data):
    ours = feiv("y ~ w | x1 + x2 ~ z1 + z2 + z3", data, method="cue", vcov="hetero", small=False)
    theirs = linearmodels_iv.IVGMMCUE(
        data["y"],
        data[["w"]].assign(Intercept=1.0),
        data[["x1", "x2"]],
        data[["z1", "z2", "z3"]],
        weight_type="robust",
    ).fit(cov_type="robust")
    names = ["x1", "x2", "w", "Intercept"]
    close(ours.coef()[names], theirs.params[names], rtol=1e-6)
    # (linearmodels' J of CUE is not the minimized objective, 0.09% apart here; ours is,
    # which the next test checks)


def test_clustered_cue_is_the_minimum_of_its_objective(data):
    """CUE minimizes n g(b)' S(b)^-1 g(b) with S clustered: no nearby point is lower."""
    from spatialocc.estimate import iv

    fit = feiv("y ~ w | x1 + x2 ~ z1 + z2 + z3", data, method="cue", vcov={"CRV1": "state"})
    y = data["y"].to_numpy()
    X = np.column_stack([data.x1, data.x2, data.w, np.ones(len(data))])
    Z = np.column_stack([data.z1, data.z2, data.z3, data.w, np.ones(len(data))])
    objective = iv.CUEObjective(y, X, Z, iv.make_clusters([data["state"].to_numpy()]), False)
    best = fit.coef()[["x1", "x2", "w", "Intercept"]].to_numpy()
    value = objective(best)[0]
    close(value, fit.j_stat, rtol=1e-10)
    rng = np.random.default_rng(1)
    for step in rng.standard_normal((50, 4)) * 1e-3:
        assert objective(best + step)[0] >= value - 1e-12


# -- what neither offers: several endogenous regressors, absorbed effects, two-way CUE ----------


def test_two_way_clustered_cue_with_absorbed_effects_runs_and_is_consistent(data):
    fit = feiv(
        "y ~ w | firm | x1 + x2 ~ z1 + z2 + z3",
        data,
        method="cue",
        vcov={"CRV1": "state+year"},
    )
    assert fit.converged
    assert fit.n_clusters == (15, 10)
    assert np.all(np.abs(fit.coef()[["x1", "x2"]] - [1.5, -0.5]) < 4 * fit.se()[["x1", "x2"]])
    assert fit.kp_f > 10 and fit.j_df == 1
    assert list(fit.first_stage.index) == ["x1", "x2"]


# -- invariances (issue: every statistic invariant to units) -----------------------------------


@pytest.mark.parametrize("method", ["2sls", "liml", "gmm", "cue"])
def test_statistics_do_not_depend_on_units(data, method):
    fml = "y ~ w | firm | x1 + x2 ~ z1 + z2 + z3"
    options = {"method": method, "vcov": {"CRV1": "state+year"}}
    base = feiv(fml, data, **options)
    changed = data.assign(z1=data.z1 * 1e6 + 3e5, w=data.w * 1e-6, y=data.y * 1e6)
    other = feiv(fml, changed, **options)
    scale = pd.Series({"x1": 1e6, "x2": 1e6, "w": 1e12})
    close(other.coef() / scale, base.coef(), rtol=1e-7)
    close(other.se() / scale, base.se(), rtol=1e-7)
    for name in ("j_stat", "kp_f"):
        close(getattr(other, name), getattr(base, name), rtol=1e-7)
    close(other.sw_f, base.sw_f, rtol=1e-7)
    close(other.partial_r2, base.partial_r2, rtol=1e-7)


# -- the interface -------------------------------------------------------------------------------


def test_accessors_and_immutability(data):
    fit = feiv("y ~ w | firm | x1 + x2 ~ z1 + z2 + z3", data, vcov={"CRV1": "state"})
    tidy = fit.tidy()
    assert list(tidy.columns) == ["Estimate", "Std. Error", "t value", "Pr(>|t|)", "2.5%", "97.5%"]
    assert list(tidy.index) == ["x1", "x2", "w"]
    assert fit.df_t == 15 - 1
    t = fit.tstat()
    import scipy.stats

    close(fit.pvalue(), 2 * scipy.stats.t(14).sf(np.abs(t)), rtol=1e-12)
    half = scipy.stats.t(14).ppf(0.975) * fit.se()
    close(fit.confint()["97.5%"], fit.coef() + half, rtol=1e-12)
    close(fit.vcov.to_numpy(), fit.cov, rtol=0)
    with pytest.raises(ValueError, match="read-only"):
        fit.params[0] = 0.0
    with pytest.raises(AttributeError):
        fit.method = "ols"
    assert "Kleibergen-Paap" in fit.summary() and "x1" in fit.summary()
    # pyfixest's default vcov: clustered by the first fixed effect
    assert feiv("y ~ w | firm | x1 ~ z1", data).vcov_type == "CRV1 (firm)"
    assert feiv("y ~ x1 + w", data).method == "ols"


def test_xarray_dataset_is_flattened(data):
    frame = data.iloc[:200].copy()
    frame["obs"] = np.arange(200)
    ds = xr.Dataset.from_dataframe(frame.set_index("obs"))
    close(
        feiv("y ~ w | x1 ~ z1 + z2", ds).coef(),
        feiv("y ~ w | x1 ~ z1 + z2", frame).coef(),
        rtol=1e-12,
    )


def test_missing_rows_are_dropped_with_a_warning(data):
    frame = data.copy()
    frame.loc[[3, 7], "z2"] = np.nan
    with pytest.warns(EstimationWarning, match="dropped 2 of 1200 rows with missing values"):
        fit = feiv("y ~ w | x1 ~ z1 + z2", frame)
    assert fit.nobs == 1198
    close(fit.coef(), feiv("y ~ w | x1 ~ z1 + z2", frame.drop(index=[3, 7])).coef(), rtol=1e-12)


def test_singletons_are_dropped(data):
    frame = pd.concat([data, data.iloc[[0]].assign(firm=999)], ignore_index=True)
    with pytest.warns(EstimationWarning, match="1 observation"):
        fit = feiv("y ~ w | firm | x1 ~ z1", frame, vcov="hetero")
    assert fit.nobs == len(data)


@pytest.mark.parametrize(
    ("fml", "options", "error", "match"),
    [
        ("y ~ w | x1 + x2 ~ z1", {}, EstimationError, "need at least as many excluded"),
        ("y ~ w | nope | x1 ~ z1", {}, EstimationError, r"\['nope'\] is not a column"),
        ("y ~ w + nope", {}, EstimationError, "cannot build the exogenous regressors"),
        ("y ~ w | x1 ~ z1", {"vcov": "HC3"}, ValueError, "expected 'iid', 'hetero'"),
        ("y ~ w", {"method": "2sls"}, EstimationError, "needs an IV part"),
        ("y = w", {}, ValueError, "pyfixest's syntax"),
        ("y ~ w | x1 ~ z1", {"method": "tsls"}, ValueError, "method must be one of"),
        ("y ~ w | firm | x1 ~ state", {"vcov": "iid"}, EstimationError, "perfectly collinear"),
        ("y ~ w | x1 ~ z1 + z2", {"weights": "w"}, EstimationError, "weights must be positive"),
    ],
)
def test_bad_input_is_refused(data, fml, options, error, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        with pytest.raises(error, match=match):
            feiv(fml, data, **options)


def test_collinear_exogenous_regressor_is_dropped(data):
    frame = data.assign(firm_mean=data.groupby("firm")["w"].transform("mean"))
    with pytest.warns(EstimationWarning, match="'firm_mean'.* collinear with the fixed effects"):
        fit = feiv("y ~ w + firm_mean | firm | x1 ~ z1", frame, vcov="hetero")
    assert "firm_mean" not in fit.names
