"""Estimation of the externalities (MODEL.md section 3b), Table 1 and the Figure 2 prediction.

Every number is checked against something computed independently: linearmodels on the same
data with explicit fixed-effect dummies (2SLS, LIML, OLS, KP F, partial R²), linearmodels on
the partialled data (two-step GMM and CUE, one-way clustering), and, for two-way clustering,
CUE, Kleibergen-Paap and Sanderson-Windmeijer statistics written out from their formulas in
this file, on arrays partialled here with explicit dummies.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
import scipy.optimize
import scipy.stats
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spatialocc
from spatialocc.estimate import EstimationError, EstimationWarning, iv
from spatialocc.estimate.externalities import (
    VALUE_ADDED_SHARE_SQUARED,
    design_matrices,
    fixed_effect_rank,
)

linearmodels = pytest.importorskip("linearmodels")
from linearmodels import IV2SLS, IVGMM, IVGMMCUE, IVLIML  # noqa: E402
from linearmodels.iv import kleibergen_paap_f as lm_kleibergen_paap_f  # noqa: E402

INSTRUMENTS = ["log(historical_population)", "immigrant_enclave", "instrument_c"]
RTOL = 1e-6


def regression_model(
    seed: int = 0,
    n_cities: int = 48,
    n_industries: int = 8,
    n_divisions: int = 4,
    zero_share: float = 0.15,
) -> xr.Dataset:
    """A model-like Dataset for the regression alone (not an equilibrium): employment driven
    by three city-level instruments and an unobserved city shock that also enters log λ
    (endogeneity), an industry-specific loading on the first instrument in the error
    (dependence within industries, so that two-way clustering matters), and γ-scaled noise
    (footnote 15's heteroskedasticity). Every division x industry group has at least two
    cells, so no observation is a singleton."""
    rng = np.random.default_rng(seed)
    N, J, D = n_cities, n_industries, n_divisions
    division = np.arange(N) % D + 1
    z = rng.standard_normal((3, N))
    city_shock = rng.standard_normal(N)
    log_size = 11 + 0.7 * z[0] + 0.3 * z[2] + 0.4 * city_shock + 0.3 * rng.standard_normal(N)
    index = -0.6 + 0.5 * z[1] - 0.3 * z[2] + 0.3 * city_shock + 0.2 * rng.standard_normal(N)
    cnr = 1 / (1 + np.exp(-index))
    mix = rng.dirichlet(np.full(J, 3.0), size=(2, N)).transpose(0, 2, 1)
    L = (np.exp(log_size) * np.stack([cnr, 1 - cnr]))[:, None, :] * mix
    empty = rng.uniform(size=(J, N)) < zero_share
    empty[:, : 2 * D] = False
    L = np.where(empty[None], 0.0, L)
    residents = L.sum(axis=1)
    total = residents.sum(axis=0)
    gamma = rng.uniform(0.3, 0.8, size=(J, N))
    tau_share, tau_size = np.array([1.2, 0.8]), np.array([0.35, 0.35])
    effects = rng.normal(size=(2, J, D))[:, :, division - 1]
    error = (
        0.3 * city_shock[None, None, :]
        + 0.4 * rng.normal(size=(2, J))[:, :, None] * z[0][None, None, :]
        + 0.3 * rng.standard_normal((2, J, N)) / gamma[None]
    )
    log_lam = (
        tau_share[:, None, None] * np.log(residents / total)[:, None, :]
        + tau_size[:, None, None] * np.log(total)[None, None, :]
        + effects
        + error
    )
    return xr.Dataset(
        {
            "employment": (("occupation", "industry", "city"), L),
            "productivity": (
                ("occupation", "industry", "city"),
                np.where(L > 0, np.exp(log_lam), 0.0),
            ),
            "value_added_share": (("industry", "city"), gamma),
            "historical_population": ("city", np.exp(12 + z[0])),
            "immigrant_enclave": ("city", z[1]),
            "land_grant_college": ("city", z[2] > 0.5),
            "instrument_c": ("city", z[2]),
            "cell_group": (("industry", "city"), rng.integers(0, 5, size=(J, N))),
        },
        coords={
            "occupation": ["CNR", "nonCNR"],
            "industry": [f"Industry {j}" for j in range(J)],
            "city": [f"C{n:03d}" for n in range(N)],
            "division": ("city", division),
        },
    )


@pytest.fixture(scope="module")
def model() -> xr.Dataset:
    return regression_model(0)


def cells(model: xr.Dataset, occupation: str) -> pd.DataFrame:
    """The regression sample of one occupation, built without spatialocc's estimation code."""
    emp = model["employment"].sel(occupation=occupation)
    residents = model["employment"].sum("industry")
    total = residents.sum("occupation")
    lam = model["productivity"].sel(occupation=occupation)
    frame = (
        xr.Dataset(
            {
                "employment": emp,
                "y": np.log(lam.where(lam > 0)),
                "share": np.log(residents.sel(occupation=occupation) / total),
                "size": np.log(total),
                "gamma": model["value_added_share"],
                "z0": np.log(model["historical_population"]),
                "z1": model["immigrant_enclave"],
                "z2": model["instrument_c"],
                "cell_group": model["cell_group"],
            }
        )
        .to_dataframe()
        .reset_index()
    )
    frame = frame[frame["employment"] > 0].reset_index(drop=True)
    frame["weight"] = frame["gamma"] ** 2
    frame["group"] = frame["division"].astype(str) + "|" + frame["industry"]
    frame["city_code"] = pd.factorize(frame["city"])[0]
    frame["industry_code"] = pd.factorize(frame["industry"])[0]
    return frame


def dummies(frame: pd.DataFrame, *columns: str, drop_first: bool = False) -> pd.DataFrame:
    parts = [pd.get_dummies(frame[columns[0]], prefix="fe0", dtype=float)]
    parts += [
        pd.get_dummies(frame[c], prefix=f"fe{i}", dtype=float, drop_first=drop_first)
        for i, c in enumerate(columns[1:], start=1)
    ]
    return pd.concat(parts, axis=1)


def clusters_of(frame: pd.DataFrame, cluster) -> np.ndarray:
    if cluster == "city":
        return frame["city_code"].to_numpy()
    return frame[["city_code", "industry_code"]].to_numpy()


def assert_close(actual, expected, rtol: float = RTOL) -> None:
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=0)


def quiet_fit(model: xr.Dataset, **options) -> spatialocc.estimate.ExternalityEstimates:
    """externalities() that fails on any warning (a fallback would void the comparison).
    The references include the fixed effects as dummies, so every dummy counts in k
    (``fe_dof="all"``) unless a test says otherwise."""
    options.setdefault("fe_dof", "all")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return spatialocc.estimate.externalities(model, instruments=INSTRUMENTS, **options)


# -- against linearmodels with explicit dummies ------------------------------------------------


@pytest.mark.parametrize("small_sample", [True, False])
@pytest.mark.parametrize("cluster", ["city", ("city", "industry")])
@pytest.mark.parametrize(("method", "reference"), [("2sls", IV2SLS), ("liml", IVLIML)])
def test_2sls_and_liml_match_linearmodels(model, method, reference, cluster, small_sample):
    fit = quiet_fit(model, method=method, compare=(), cluster=cluster, small_sample=small_sample)
    for k, occupation in enumerate(fit.occupations):
        frame = cells(model, occupation)
        res = reference(
            frame["y"],
            dummies(frame, "group"),
            frame[["share", "size"]],
            frame[["z0", "z1", "z2"]],
            weights=frame["weight"],
        ).fit(
            cov_type="clustered",
            clusters=clusters_of(frame, cluster),
            debiased=small_sample,
        )
        assert fit.nobs[k] == res.nobs
        assert_close(fit.estimates[0, k], res.params[["share", "size"]])
        se = np.sqrt(np.diagonal(fit.covariance[0, k]))
        assert_close(se, res.std_errors[["share", "size"]])
        assert_close(fit.covariance[0, k], res.cov.loc[["share", "size"], ["share", "size"]])


def test_ols_matches_linearmodels_with_two_fixed_effects(model):
    """Two fixed-effect terms (iterated demeaning) against explicit dummies; the absorbed
    count (levels minus connected components) enters the small-sample factor."""
    fit = spatialocc.estimate.externalities(
        model,
        method="ols",
        compare=(),
        instruments=(),
        fixed_effects="division^industry + cell_group",
        cluster="industry",
        fe_dof="all",
    )
    for k, occupation in enumerate(fit.occupations):
        frame = cells(model, occupation)
        D = dummies(frame, "group", "cell_group", drop_first=True)
        assert np.linalg.matrix_rank(D.to_numpy()) == D.shape[1]
        assert fit.absorbed[k] == D.shape[1]
        codes = [frame["group"].to_numpy(), frame["cell_group"].to_numpy()]
        assert fixed_effect_rank(codes) == D.shape[1]
        exog = pd.concat([D, frame[["share", "size"]]], axis=1)
        res = IV2SLS(frame["y"], exog, None, None, weights=frame["weight"]).fit(
            cov_type="clustered", clusters=frame["industry_code"], debiased=True
        )
        assert_close(fit.estimates[0, k], res.params[["share", "size"]])
        assert_close(np.sqrt(np.diagonal(fit.covariance[0, k])), res.std_errors[["share", "size"]])


def test_weighting_by_gamma_squared_is_multiplying_both_sides_by_gamma(model):
    """Footnote 15: WLS with weights γ² equals unweighted 2SLS on γ y, γ X, γ Z, γ D."""
    for cluster in ("city", ("city", "industry")):
        fit = quiet_fit(model, method="2sls", compare=("ols",), cluster=cluster)
        for k, occupation in enumerate(fit.occupations):
            frame = cells(model, occupation)
            g = frame["gamma"].to_numpy()[:, None]
            D = dummies(frame, "group") * g
            X = frame[["share", "size"]] * g
            Z = frame[["z0", "z1", "z2"]] * g
            y = frame["y"] * g[:, 0]
            clusters = clusters_of(frame, cluster)
            for m, exog, endog, instr in (
                (1, D, X, Z),
                (0, pd.concat([D, X], axis=1), None, None),
            ):
                res = IV2SLS(y, exog, endog, instr).fit(
                    cov_type="clustered", clusters=clusters, debiased=True
                )
                assert_close(fit.estimates[m, k], res.params[["share", "size"]])
                assert_close(
                    np.sqrt(np.diagonal(fit.covariance[m, k])), res.std_errors[["share", "size"]]
                )


def test_kleibergen_paap_f_and_partial_r2_match_linearmodels(model):
    for cluster, cov_type in (("city", "clustered"), (None, "robust")):
        fit = quiet_fit(model, method="2sls", compare=(), cluster=cluster)
        for k, occupation in enumerate(fit.occupations):
            frame = cells(model, occupation)
            root = np.sqrt(frame["weight"].to_numpy())[:, None]
            config = {"clusters": frame["city_code"].to_numpy()} if cluster else None
            expected = lm_kleibergen_paap_f(
                frame[["share", "size"]].to_numpy() * root,
                frame[["z0", "z1", "z2"]].to_numpy() * root,
                dummies(frame, "group").to_numpy() * root,
                cov_type,
                config,
            )
            assert_close(fit.kleibergen_paap_f[k], expected)
            res = IV2SLS(
                frame["y"],
                dummies(frame, "group"),
                frame[["share", "size"]],
                frame[["z0", "z1", "z2"]],
                weights=frame["weight"],
            ).fit(cov_type="robust")
            partial = res.first_stage.diagnostics["partial.rsquared"]
            assert_close(fit.partial_r2[k], partial[["share", "size"]])


# -- GMM and CUE against linearmodels on the partialled data -----------------------------------


@pytest.mark.parametrize("center", [False, True])
def test_gmm_and_cue_match_linearmodels_one_way(model, center):
    # linearmodels centers the moments of the weighted data by their plain mean; with unequal
    # weights spatialocc follows Stata (tests/test_stata.py), so centering is compared here
    # without weights
    weights = None if center else VALUE_ADDED_SHARE_SQUARED
    fit = quiet_fit(
        model,
        method="cue",
        compare=("2sls", "gmm"),
        cluster="city",
        small_sample=False,
        center=center,
        weights=weights,
    )
    for k, occupation in enumerate(fit.occupations):
        arrays = design_matrices(
            model, occupation, instruments=INSTRUMENTS, cluster="city", weights=weights
        )
        clusters = cells(model, occupation)["city_code"].to_numpy()
        gmm = IVGMM(
            arrays.y,
            None,
            arrays.X,
            arrays.Z,
            weight_type="clustered",
            clusters=clusters,
            center=center,
        ).fit(cov_type="clustered", clusters=clusters, center=center)
        cue = IVGMMCUE(
            arrays.y,
            None,
            arrays.X,
            arrays.Z,
            weight_type="clustered",
            clusters=clusters,
            center=center,
        ).fit(
            cov_type="clustered",
            clusters=clusters,
            center=center,
            opt_options={"method": "BFGS", "options": {"gtol": 1e-10}},
        )
        for m, res in ((fit.methods.index("gmm"), gmm), (fit.methods.index("cue"), cue)):
            assert_close(fit.estimates[m, k], res.params)
            assert_close(np.sqrt(np.diagonal(fit.covariance[m, k])), res.std_errors)
            assert_close(fit.hansen_j[m, k], res.j_stat.stat, rtol=1e-5)
        # ivreg2's J for 2SLS is the two-step GMM objective
        assert_close(fit.hansen_j[fit.methods.index("2sls"), k], gmm.j_stat.stat)
        # small-sample factor (n-1)/(n-k) G/(G-1), with k = 2 regressors (nothing absorbed)
        kernel = iv.fit_cue(arrays.y, arrays.X, arrays.Z, arrays.clusters, small_sample=True)
        debiased = IVGMMCUE(
            arrays.y,
            None,
            arrays.X,
            arrays.Z,
            weight_type="clustered",
            clusters=clusters,
            center=False,
        ).fit(cov_type="clustered", clusters=clusters, debiased=True)
        assert_close(np.sqrt(np.diagonal(kernel.cov)), debiased.std_errors, rtol=1e-5)


def test_one_way_cue_kp_with_absorbed_count(model):
    """With small_sample=True the GMM covariance counts the absorbed fixed effects: it is the
    linearmodels (debiased=False) covariance times G/(G-1) (n-1)/(n-2-absorbed)."""
    fit = quiet_fit(model, method="cue", compare=(), cluster="city", small_sample=True)
    plain = quiet_fit(model, method="cue", compare=(), cluster="city", small_sample=False)
    for k in range(len(fit.occupations)):
        n, G, a = fit.nobs[k], fit.n_clusters[k][0], fit.absorbed[k]
        factor = G / (G - 1) * (n - 1) / (n - 2 - a)
        assert_close(fit.estimates[0, k], plain.estimates[0, k], rtol=1e-8)
        assert_close(fit.covariance[0, k], factor * plain.covariance[0, k])


# -- two-way clustering against the formulas, written out here ---------------------------------


def partialled_here(model: xr.Dataset, occupation: str):
    """Weighted FWL with explicit dummies (no pyfixest): arrays times √γ²."""
    frame = cells(model, occupation)
    root = frame["gamma"].to_numpy()
    D = dummies(frame, "group").to_numpy() * root[:, None]

    def resid(a):
        a = np.asarray(a, dtype=float) * (root[:, None] if a.ndim == 2 else root)
        return a - D @ np.linalg.lstsq(D, a, rcond=None)[0]

    y = resid(frame["y"].to_numpy())
    X = resid(frame[["share", "size"]].to_numpy())
    Z = resid(frame[["z0", "z1", "z2"]].to_numpy())
    return frame, y, X, Z, D.shape[1]


def cgm(scores: np.ndarray, frame: pd.DataFrame, factors: dict[str, float] | None = None):
    """Cameron-Gelbach-Miller: V_city + V_industry - V_(city∩industry), sums by groupby."""
    factors = factors or {"city": 1.0, "industry": 1.0, "both": 1.0}
    columns = [f"s{i}" for i in range(scores.shape[1])]
    data = pd.DataFrame(scores, columns=columns).assign(
        city=frame["city"].to_numpy(), industry=frame["industry"].to_numpy()
    )
    total = 0.0
    for key, by, sign in (
        ("city", ["city"], 1),
        ("industry", ["industry"], 1),
        ("both", ["city", "industry"], -1),
    ):
        sums = data.groupby(by)[columns].sum().to_numpy()
        total = total + sign * factors[key] * sums.T @ sums
    return total / scores.shape[0]


def n_groups(frame: pd.DataFrame) -> dict[str, int]:
    return {
        "city": frame["city"].nunique(),
        "industry": frame["industry"].nunique(),
        "both": len(frame[["city", "industry"]].drop_duplicates()),
    }


@pytest.mark.parametrize("small_sample", [False, True])
def test_two_way_cue_against_formulas(model, small_sample):
    fit = quiet_fit(model, method="cue", compare=(), small_sample=small_sample)
    for k, occupation in enumerate(fit.occupations):
        frame, y, X, Z, absorbed = partialled_here(model, occupation)
        n = y.shape[0]

        def objective(b, y=y, X=X, Z=Z, frame=frame):
            e = y - X @ b
            g = Z.T @ e / len(e)
            S = cgm(Z * e[:, None], frame)
            return len(e) * g @ np.linalg.solve(S, g)

        start = np.linalg.lstsq(Z @ np.linalg.lstsq(Z, X, rcond=None)[0], y, rcond=None)[0]
        res = scipy.optimize.minimize(
            objective,
            start,
            method="Nelder-Mead",
            options={"xatol": 1e-11, "fatol": 1e-14, "maxiter": 20_000},
        )
        assert_close(fit.estimates[0, k], res.x)
        assert_close(fit.hansen_j[0, k], res.fun)
        e = y - X @ res.x
        S = cgm(Z * e[:, None], frame)
        if small_sample:
            factors = {
                key: G / (G - 1) * (n - 1) / (n - 2 - absorbed)
                for key, G in n_groups(frame).items()
            }
        else:
            factors = None
        S_adj = cgm(Z * e[:, None], frame, factors)
        Q = Z.T @ X / n
        W = np.linalg.inv(S)
        bread = np.linalg.inv(Q.T @ W @ Q)
        V = bread @ Q.T @ W @ S_adj @ W @ Q @ bread / n
        assert_close(fit.covariance[0, k], V)


def test_two_way_kleibergen_paap_and_sanderson_windmeijer_against_formulas(model):
    fit = quiet_fit(model, method="2sls", compare=())
    for k, occupation in enumerate(fit.occupations):
        frame, _, X, Z, absorbed = partialled_here(model, occupation)
        n, q, p = Z.shape[0], Z.shape[1], X.shape[1]
        M = min(frame["city"].nunique(), frame["industry"].nunique())
        scale = (n - q - absorbed) / (n - 1) * (M - 1) / M

        # KP rk Wald: symmetric inverse roots (any square roots give the same statistic).
        def inv_sqrt(A):
            w, v = np.linalg.eigh(A)
            return v @ np.diag(w**-0.5) @ v.T

        Fz, Fx = inv_sqrt(Z.T @ Z / n), inv_sqrt(X.T @ X / n)
        theta = Fz @ (Z.T @ X / n) @ Fx
        U, _, Vt = np.linalg.svd(theta)
        resid = X - Z @ np.linalg.solve(Z.T @ Z, Z.T @ X)
        scores = np.hstack([resid[:, [j]] * Z for j in range(p)])
        cov_theta = np.kron(Fx, Fz) @ cgm(scores, frame) @ np.kron(Fx, Fz).T
        A, B = U[:, p - 1 :], Vt.T[:, p - 1 :]
        lam = A.T @ theta @ B
        sel = np.kron(B, A)
        rk = n * lam.ravel() @ np.linalg.solve(sel.T @ cov_theta @ sel, lam.ravel())
        assert_close(fit.kleibergen_paap_f[k], rk * scale / q)

        # SW: 2SLS of x_j on x_-j, then a cluster-robust Wald test of Z in its residual.
        for j in range(p):
            x, other = X[:, j], np.delete(X, j, axis=1)
            other_hat = Z @ np.linalg.lstsq(Z, other, rcond=None)[0]
            delta = np.linalg.lstsq(other_hat, x, rcond=None)[0]
            eps = x - other @ delta
            b = np.linalg.lstsq(Z, eps, rcond=None)[0]
            r = eps - Z @ b
            ZZi = np.linalg.inv(Z.T @ Z)
            cov_b = ZZi @ (n * cgm(Z * r[:, None], frame)) @ ZZi
            chi2 = b @ np.linalg.solve(cov_b, b)
            assert_close(fit.sanderson_windmeijer_f[k, j], chi2 * scale / (q - p + 1))


def test_sanderson_windmeijer_equals_kleibergen_paap_with_one_regressor(model):
    arrays = design_matrices(model, "CNR", instruments=INSTRUMENTS, cluster="city")
    X = arrays.X[:, :1]
    sw = iv.sanderson_windmeijer_f(X, arrays.Z, arrays.clusters, arrays.absorbed)
    kp = iv.kleibergen_paap_f(X, arrays.Z, arrays.clusters, arrays.absorbed)
    assert_close(sw[0], kp, rtol=1e-10)


def test_one_sided_test_and_hansen_pvalue(model):
    fit = quiet_fit(model, compare=("ols", "2sls"))
    test = fit.share_exceeds_size()
    for m, method in enumerate(fit.methods):
        for k, occupation in enumerate(fit.occupations):
            b, V = fit.estimates[m, k], fit.covariance[m, k]
            se = np.sqrt(V[0, 0] + V[1, 1] - 2 * V[0, 1])
            row = test.loc[(method, occupation)]
            assert_close(row["difference"], b[0] - b[1], rtol=1e-12)
            assert_close(row["p_value"], scipy.stats.norm.sf((b[0] - b[1]) / se), rtol=1e-10)
    assert fit.hansen_j_df == 1
    assert_close(fit.hansen_j_pvalue(), scipy.stats.chi2.sf(fit.hansen_j, 1), rtol=1e-12)


# -- the result object -------------------------------------------------------------------------


def test_result_is_immutable_and_feeds_the_model(model):
    fit = quiet_fit(model, compare=("ols", "2sls"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.method = "ols"  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        fit.estimates[0, 0, 0] = 1.0
    assert fit.tau_share.dims == ("occupation",)
    assert_close(fit.tau_share.values, fit.estimates[fit.methods.index("cue"), :, 0], 1e-15)
    twosls = fit.with_method("2sls")
    assert twosls.method == "2sls" and fit.method == "cue"
    assert_close(twosls.tau_size.values, fit.estimates[1, :, 1], 1e-15)
    with pytest.raises(ValueError, match="was not estimated"):
        fit.with_method("liml")
    assert fit.std_errors.sel(occupation="CNR", coefficient="tau_size") > 0
    assert fit.cov.dims == ("occupation", "coefficient", "coefficient_2")
    # Feeding the estimates to the model: λ̂ = λ / ((L[k,n]/L[n])^τR L[n]^τL).
    fed = spatialocc.with_externalities(model, **fit.parameters())
    assert_close(fed["tau_share"].values, fit.tau_share.values, 1e-15)
    applied = fit.apply(model)
    xr.testing.assert_allclose(applied["productivity_exogenous"], fed["productivity_exogenous"])
    cnr_only = quiet_fit(model, method="2sls", compare=(), occupations=["CNR"])
    assert cnr_only.occupations == ("CNR",)
    with pytest.raises(ValueError, match=r"occupations \['nonCNR'\] that were not estimated"):
        cnr_only.apply(model)


def test_summary_is_laid_out_like_table_2(model):
    fit = quiet_fit(model, compare=("ols", "2sls"))
    table = fit.summary()
    assert list(table.columns) == [
        (m, o) for m in ("OLS", "2SLS", "GMM-CUE") for o in ("CNR", "nonCNR")
    ]
    rows = list(table.index.get_level_values("row").unique())
    assert rows[:3] == ["log(L[k,n]/L[n])", "log(L[n])", "Observations"]
    assert "K.P. F" in rows and "p-value tau_share > tau_size" in rows
    cell = table.loc[("log(L[k,n]/L[n])", "std. error"), ("GMM-CUE", "CNR")]
    assert cell.startswith("(") and cell.endswith(")")
    assert table.loc[("K.P. F", ""), ("OLS", "CNR")] == ""  # no first stage for OLS
    assert table.loc[("Observations", ""), ("2SLS", "nonCNR")] == f"{fit.nobs[1]:,}"
    tidy = fit.to_frame()
    assert tidy.loc[("cue", "CNR", "tau_share"), "estimate"] == pytest.approx(
        float(fit.tau_share.sel(occupation="CNR")), rel=1e-15
    )


def test_to_dataset_round_trips_through_netcdf(model, tmp_path):
    fit = quiet_fit(model, compare=("ols", "2sls"))
    ds = fit.to_dataset()
    path = tmp_path / "estimates.nc"
    ds.to_netcdf(path)
    with xr.open_dataset(path) as back:
        xr.testing.assert_allclose(back.load(), ds)
        assert back.attrs["fixed_effects"] == "division^industry"
        assert back.attrs["instruments"] == ", ".join(INSTRUMENTS)
    assert_close(
        ds["estimate"].sel(estimator="cue", coefficient="tau_share").values,
        fit.tau_share.values,
        1e-15,
    )


# -- model-implied instruments -----------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_model() -> xr.Dataset:
    data = spatialocc.datasets.synthetic(n_cities=24, n_industries=5, years=(2015,), seed=4)
    return spatialocc.invert(data)


def test_model_implied_instruments(synthetic_model):
    from spatialocc.solvers.counterfactuals import model_implied_instruments

    options = {"method": "2sls", "compare": (), "fixed_effects": "industry", "cluster": "city"}
    fit = spatialocc.estimate.externalities(
        synthetic_model, instruments=["model_implied"], **options
    )
    assert fit.instruments == ("model_implied_share", "model_implied_size")
    assert fit.hansen_j_df == 0
    # The same instruments computed here and passed as DataArrays give the same estimates.
    solution = spatialocc.solve_equilibrium(model_implied_instruments(synthetic_model))
    residents = solution["employment"].sum("industry").squeeze("year", drop=True)
    total = residents.sum("occupation")
    share = np.log(residents / total).rename("share_iv")
    size = np.log(total).rename("size_iv")
    by_hand = spatialocc.estimate.externalities(
        synthetic_model, instruments=[share, size], **options
    )
    assert_close(fit.estimates, by_hand.estimates, rtol=1e-10)


# -- bad input ---------------------------------------------------------------------------------


def test_too_few_instruments(model):
    with pytest.raises(EstimationError, match=r"at least 2 excluded instruments.*found 1"):
        spatialocc.estimate.externalities(model, instruments=["immigrant_enclave"])
    # OLS alone needs none
    fit = spatialocc.estimate.externalities(model, method="ols", compare=(), instruments=())
    assert np.isnan(fit.kleibergen_paap_f).all()


def test_constant_instrument(model):
    constant = model.assign(flat=("city", np.full(model.sizes["city"], 3.0)))
    with pytest.raises(EstimationError, match="instrument 'flat' is constant"):
        spatialocc.estimate.externalities(constant, instruments=[*INSTRUMENTS[:2], "flat"])


def test_instrument_collinear_with_fixed_effects(model):
    by_division = model.assign(division_level=model["division"].astype(float) ** 2)
    with pytest.raises(EstimationError, match=r"'division_level'.*perfectly collinear with"):
        spatialocc.estimate.externalities(
            by_division, instruments=[*INSTRUMENTS[:2], "division_level"]
        )


def test_collinear_instruments(model):
    doubled = model.assign(twice=2 * model["immigrant_enclave"])
    with pytest.raises(EstimationError, match="linearly dependent"):
        spatialocc.estimate.externalities(doubled, instruments=[*INSTRUMENTS, "twice"])


def test_singleton_clusters_warn(model):
    lonely = model.copy(deep=True)
    city = lonely["city"].values[-1]
    emp = lonely["employment"].copy()
    emp.loc[{"city": city}] = 0.0
    emp.loc[{"city": city, "industry": lonely["industry"].values[0]}] = 500.0
    lonely["employment"] = emp
    lonely["productivity"] = lonely["productivity"].where(emp > 0, 0.0) + xr.where(
        (lonely["productivity"] == 0) & (emp > 0), 1.0, 0.0
    )
    with pytest.warns(EstimationWarning, match=r"clusters of 'city' have a single observation"):
        spatialocc.estimate.externalities(
            lonely, instruments=INSTRUMENTS, method="2sls", compare=(), cluster="city"
        )


def test_too_few_clusters(model):
    with pytest.raises(EstimationError, match="has 1 cluster"):
        spatialocc.estimate.externalities(
            model.assign_coords(nation=("city", ["US"] * model.sizes["city"])),
            instruments=INSTRUMENTS,
            method="2sls",
            compare=(),
            cluster="nation",
        )


def test_missing_values(model):
    holes = model.copy(deep=True)
    lam = holes["productivity"].copy()
    lam[0, 0, 0] = np.nan
    holes["productivity"] = lam
    with pytest.raises(EstimationError, match=r"log productivity .* missing .* in 1 of"):
        spatialocc.estimate.externalities(holes, instruments=INSTRUMENTS)
    with pytest.warns(EstimationWarning, match="dropped 1 cells with missing values"):
        fit = spatialocc.estimate.externalities(
            holes, instruments=INSTRUMENTS, method="2sls", compare=(), missing="drop"
        )
    assert fit.nobs[0] == (model["employment"].sel(occupation="CNR") > 0).sum() - 1
    gaps = model.assign(immigrant_enclave=model["immigrant_enclave"].where(model.city != "C003"))
    with pytest.raises(EstimationError, match="immigrant_enclave is missing"):
        spatialocc.estimate.externalities(gaps, instruments=INSTRUMENTS)


def test_other_input_errors(model):
    with pytest.raises(ValueError, match="method must be one of"):
        spatialocc.estimate.externalities(model, method="iv")  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="'nonexistent' is not a variable"):
        spatialocc.estimate.externalities(model, instruments=["nonexistent", *INSTRUMENTS])
    with pytest.raises(EstimationError, match="takes the log of 'immigrant_enclave'"):
        spatialocc.estimate.externalities(model, instruments=["log(immigrant_enclave)"])
    two_years = xr.concat([model, model], dim=pd.Index([1980, 2015], name="year"))
    with pytest.raises(ValueError, match=r"select one, e.g. model.sel\(year=...\)"):
        spatialocc.estimate.externalities(two_years, instruments=INSTRUMENTS)
    one_year = two_years.isel(year=[1])
    fit = spatialocc.estimate.externalities(
        one_year, instruments=INSTRUMENTS, method="2sls", compare=()
    )
    assert fit.nobs[0] > 0


def test_singleton_fixed_effect_groups_are_dropped(model):
    extra = model.copy(deep=True)
    division = extra["division"].values.copy()
    division[-1] = 9  # a division with a single city
    extra = extra.assign_coords(division=("city", division))
    with pytest.warns(EstimationWarning, match="alone in their fixed-effect group"):
        fit = spatialocc.estimate.externalities(
            extra, instruments=INSTRUMENTS, method="2sls", compare=(), cluster="city"
        )
    cells_in_city = int((model["employment"].sel(occupation="CNR").isel(city=-1) > 0).sum())
    full = int((model["employment"].sel(occupation="CNR") > 0).sum())
    assert fit.nobs[0] == full - cells_in_city


# -- invariances -------------------------------------------------------------------------------


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    shift=st.floats(-3, 3),
    weight_scale=st.floats(0.1, 10.0),
    seed=st.integers(0, 2**16),
)
def test_invariances(model, shift, weight_scale, seed):
    """Shifting log λ within fixed-effect groups, scaling all weights, and permuting cities
    change nothing."""
    base = spatialocc.estimate.externalities(
        model, instruments=INSTRUMENTS, method="liml", compare=("2sls",), cluster="city"
    )
    rng = np.random.default_rng(seed)
    group_shift = xr.DataArray(
        shift * rng.standard_normal(model.sizes["industry"]), dims="industry"
    )
    changed = model.assign(
        productivity=model["productivity"] * np.exp(group_shift),
        gamma_w=model["value_added_share"] ** 2 * weight_scale,
    ).isel(city=rng.permutation(model.sizes["city"]))
    other = spatialocc.estimate.externalities(
        changed,
        instruments=INSTRUMENTS,
        method="liml",
        compare=("2sls",),
        cluster="city",
        weights="gamma_w",
    )
    assert_close(other.estimates, base.estimates, rtol=1e-8)
    assert_close(other.covariance, base.covariance, rtol=1e-6)


# -- Table 1 and Figure 2 ----------------------------------------------------------------------


def test_table1_matches_statsmodels():
    sm = pytest.importorskip("statsmodels.api")
    data = spatialocc.datasets.synthetic(n_cities=40, n_industries=5, years=(2015,), seed=5)
    table = spatialocc.estimate.table1(data)
    residents = data["employment"].sum("industry").squeeze("year", drop=True)
    wage = data["wage"].squeeze("year", drop=True)
    cnr, non = residents.sel(occupation="CNR"), residents.sel(occupation="nonCNR")
    regressors = {
        "log L[n]": np.log(cnr + non),
        "log(L[CNR,n]/L[nonCNR,n])": np.log(cnr / non),
        "L[CNR,n]/L[n]": cnr / (cnr + non),
    }
    dependents = {
        "log w[CNR]": np.log(wage.sel(occupation="CNR")),
        "log w[nonCNR]": np.log(wage.sel(occupation="nonCNR")),
        "log(w[CNR]/w[nonCNR])": np.log(wage.sel(occupation="CNR") / wage.sel(occupation="nonCNR")),
    }
    for dep, y in dependents.items():
        for reg, x in regressors.items():
            res = sm.OLS(y.values, sm.add_constant(x.values)).fit(cov_type="HC1")
            assert_close(table.loc[dep, (reg, "estimate")], res.params[1], 1e-10)
            assert_close(table.loc[dep, (reg, "std_error")], res.bse[1], 1e-10)
    weighted = spatialocc.estimate.table1(data, weights="employment", cov_type="classical")
    x, y = regressors["log L[n]"].values, dependents["log w[CNR]"].values
    res = sm.WLS(y, sm.add_constant(x), weights=(cnr + non).values).fit()
    assert_close(weighted.loc["log w[CNR]", ("log L[n]", "estimate")], res.params[1], 1e-10)
    assert_close(weighted.loc["log w[CNR]", ("log L[n]", "std_error")], res.bse[1], 1e-10)


def test_figure2_prediction_is_exact_when_industries_have_national_mixes():
    """With occupation wages equal across cities and each industry's occupation mix equal to
    its national mix, the prediction Σ_j δ[k,j] σ[j,n] is the observed wage-bill share."""
    rng = np.random.default_rng(0)
    K, J, N = 3, 4, 6
    mix = rng.dirichlet(np.ones(K), size=J).T  # (k, j)
    size = rng.uniform(1, 10, size=(J, N))
    data = xr.Dataset(
        {
            "wage": (("occupation", "city"), np.repeat(rng.uniform(1, 3, (K, 1)), N, axis=1)),
            "employment": (("occupation", "industry", "city"), mix[:, :, None] * size[None]),
        },
        coords={"occupation": ["a", "b", "c"], "industry": list("ABCD"), "city": list("uvwxyz")},
    )
    fig = spatialocc.estimate.figure2_prediction(data)
    xr.testing.assert_allclose(fig["predicted_wage_bill_share"], fig["wage_bill_share"])
    assert_close(fig["slope"].values, np.ones(K), rtol=1e-9)
    # Batch dimensions pass through.
    synthetic = spatialocc.datasets.synthetic(n_cities=10, n_industries=4, seed=1)
    both = spatialocc.estimate.figure2_prediction(synthetic)
    assert set(both["predicted_wage_bill_share"].dims) == {"year", "occupation", "city"}
    assert_close(both["wage_bill_share"].sum("occupation").values, 1.0, 1e-12)


# -- the Monte Carlo design --------------------------------------------------------------------


def test_inverting_simulated_data_recovers_productivity_up_to_industry_constants():
    """The Monte Carlo regresses the solver's λ. Inverting the simulated data gives the same λ
    up to one constant per tradable industry (the normalization of unit costs), which the
    industry fixed effects absorb; for non-tradables, whose input shares vary by city, the
    factor varies by city, which is why the simulation does not re-invert."""
    from spatialocc.estimate import montecarlo

    data = spatialocc.datasets.synthetic(n_cities=16, n_industries=5, years=(2015,), seed=2)
    data = data.squeeze("year", drop=True)
    base = spatialocc.with_externalities(spatialocc.invert(data), **montecarlo.PAPER_CUE)
    economy = montecarlo.simulate_economy(base, seed=3)
    assert bool(economy["converged"])
    simulated = data.assign(
        wage=economy["wage"],
        employment=economy["employment"],
        price_nontradable=economy["price"].where(~economy["tradable"]),
    )
    inverted = spatialocc.invert(simulated)
    positive = economy["employment"] > 0
    ratio = np.log(inverted["productivity"].where(positive) / economy["productivity"])
    spread = ratio.max("city") - ratio.min("city")
    tradable = economy["tradable"]
    assert float(spread.where(tradable).max()) < 1e-8
    assert float(abs(ratio.sel(occupation="CNR") - ratio.sel(occupation="nonCNR")).max()) < 1e-8
    assert float(spread.where(~tradable).max()) > 1e-3


def test_fixed_effects_nested_in_a_cluster_are_not_counted(model):
    """reghdfe's degrees of freedom: division x industry effects lie within industry clusters,
    so they do not count in k (the intercept they contain counts once); fe_dof="all" counts
    every dummy. Both covariances of 2SLS then differ by (n - 2 - k_all) / (n - 2 - 1)."""
    nested = quiet_fit(model, method="2sls", compare=(), fe_dof="nested")
    full = quiet_fit(model, method="2sls", compare=())
    assert list(nested.absorbed) == [1, 1]
    for k, occupation in enumerate(nested.occupations):
        groups = cells(model, occupation)["group"].nunique()
        assert full.absorbed[k] == groups
        n = nested.nobs[k]
        ratio = (n - 2 - groups) / (n - 2 - 1)
        assert_close(nested.covariance[0, k], full.covariance[0, k] * ratio, rtol=1e-12)
    # one-way clusters by city: division x industry is not nested, every dummy counts
    by_city = quiet_fit(model, method="2sls", compare=(), cluster="city", fe_dof="nested")
    assert list(by_city.absorbed) == list(full.absorbed)
