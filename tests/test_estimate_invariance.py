"""Units do not change estimates: every statistic of the IV kernels is invariant to the units of
an instrument, a regressor or the outcome (issue: a positive-definiteness test on the unscaled
moment covariance made results depend on the units of an instrument)."""

import warnings

import numpy as np
import pytest

from spatialocc.estimate import iv
from spatialocc.estimate.errors import EstimationWarning

METHODS = ("ols", "2sls", "liml", "gmm", "cue")
SCALES = (1e-6, 1e-3, 1e3, 1e6)


def _design(seed: int = 0, n: int = 600, q: int = 3):
    """Two endogenous regressors, ``q`` instruments, errors correlated within two crossed
    cluster dimensions (city x industry), as in the externality regressions."""
    rng = np.random.default_rng(seed)
    city, industry = rng.integers(0, 60, n), rng.integers(0, 12, n)
    Z = rng.standard_normal((n, q))
    u = (
        rng.standard_normal(n)
        + 0.7 * rng.standard_normal(60)[city]
        + 0.5 * rng.standard_normal(12)[industry]
    )
    pi = rng.uniform(-1, 1, size=(q, 2)) + np.eye(q, 2)
    X = Z @ pi + 0.5 * u[:, None] + rng.standard_normal((n, 2))
    y = X @ [1.0, 0.5] + u
    return y, X, Z, iv.make_clusters([city, industry])


def _statistics(y, X, Z, clusters, method):
    fit = iv.ESTIMATORS[method](y, X, Z, clusters)
    return {
        "params": fit.params,
        "se": np.sqrt(np.diag(fit.cov)),
        "j": np.array([fit.j_stat]),
        "kp_f": np.array([iv.kleibergen_paap_f(X, Z, clusters, absorbed=0)]),
        "sw_f": iv.sanderson_windmeijer_f(X, Z, clusters, absorbed=0),
        "partial_r2": iv.partial_r2(X, Z),
        "notes": fit.notes,
    }


def _assert_same(a, b, *, params_factor=1.0, what=""):
    assert a["notes"] == b["notes"], what
    # 1e-8 relative: the requirement; the kernels lose a few digits to conditioning
    np.testing.assert_allclose(b["params"], a["params"] * params_factor, rtol=1e-8, err_msg=what)
    np.testing.assert_allclose(b["se"], a["se"] * np.abs(params_factor), rtol=1e-8, err_msg=what)
    for key in ("j", "kp_f", "sw_f", "partial_r2"):
        np.testing.assert_allclose(b[key], a[key], rtol=1e-8, err_msg=f"{what} {key}")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scale", SCALES)
def test_rescaling_an_instrument_changes_nothing(method, scale) -> None:
    y, X, Z, clusters = _design()
    base = _statistics(y, X, Z, clusters, method)
    Z2 = Z.copy()
    Z2[:, 0] *= scale
    _assert_same(base, _statistics(y, X, Z2, clusters, method), what=f"{method} x{scale:g}")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scale", SCALES)
def test_rescaling_a_regressor_rescales_its_coefficient_only(method, scale) -> None:
    y, X, Z, clusters = _design()
    base = _statistics(y, X, Z, clusters, method)
    X2 = X.copy()
    X2[:, 1] *= scale
    other = _statistics(y, X2, Z, clusters, method)
    factor = np.array([1.0, 1.0 / scale])
    _assert_same(base, other, params_factor=factor, what=f"{method} x{scale:g}")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scale", SCALES)
def test_rescaling_the_outcome_rescales_the_coefficients(method, scale) -> None:
    y, X, Z, clusters = _design()
    base = _statistics(y, X, Z, clusters, method)
    _assert_same(base, _statistics(y * scale, X, Z, clusters, method), params_factor=scale)


def test_definiteness_is_decided_on_the_correlation_form() -> None:
    rng = np.random.default_rng(1)
    A = rng.standard_normal((200, 3))
    S = A.T @ A
    for scale in (1e-8, 1e8):
        D = np.diag([scale, 1.0, 1.0])
        assert iv.is_positive_definite(D @ S @ D)  # condition number ~1e16, yet well posed
    singular = S.copy()
    singular[2] = singular[:, 2] = S[:, 0] + S[:, 1]  # third moment = sum of the first two
    singular[2, 2] = S[0, 0] + 2 * S[0, 1] + S[1, 1]
    assert not iv.is_positive_definite(singular)
    assert not iv.is_positive_definite(-S)
    assert not iv.is_positive_definite(np.diag([1.0, 0.0, 1.0]))


def test_a_singular_j_covariance_leaves_2sls_and_liml_standing() -> None:
    """2SLS and LIML need no weight matrix: when the covariance of the moments (for Hansen's J
    only) is singular, they return their estimates with J = NaN and a warning saying why."""
    y, X, Z, _ = _design(q=4)
    # 3 clusters: the moment covariance, a sum of 3 outer products, has rank 3 < 4 moments
    clusters = iv.make_clusters([np.repeat(np.arange(3), len(y) // 3)])
    for method in ("2sls", "liml"):
        with pytest.warns(EstimationWarning, match="Hansen J is not defined"):
            fit = iv.ESTIMATORS[method](y, X, Z, clusters)
        assert np.isnan(fit.j_stat)
        assert np.all(np.isfinite(fit.params))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            same = iv.ESTIMATORS[method](y, X, Z[:, :3], clusters)  # 3 moments, rank 3
        assert np.isfinite(same.j_stat)
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        iv.ESTIMATORS["gmm"](y, X, Z, clusters)  # GMM needs the weight matrix


# -- end to end: the externality regression with absorbed fixed effects -------------------------


@pytest.fixture(scope="module")
def regression_model():
    from tests.test_estimate import regression_model

    return regression_model(0)


def _fit(model, instruments, **options):
    """The estimates as a Dataset, with the warnings given on the way: never a spurious
    "did not converge"; other warnings (a fallback of the covariance) must not depend on
    units either, so the callers compare them."""
    import spatialocc

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = spatialocc.estimate.externalities(
            model, instruments=instruments, method="2sls", compare=("ols",), **options
        ).to_dataset()
    messages = sorted({str(w.message) for w in caught})
    assert not [m for m in messages if "did not converge" in m], messages
    return result, messages


def _assert_same_estimates(base, other) -> None:
    (a, a_messages), (b, b_messages) = base, other
    assert a_messages == b_messages
    for name, da in a.data_vars.items():
        if np.issubdtype(da.dtype, np.floating):
            np.testing.assert_allclose(b[name], da, rtol=1e-8, err_msg=name)


@pytest.mark.parametrize("fixed_effects", ["division^industry", "industry + division"])
@pytest.mark.parametrize("scale", [1e-6, 1e6])
def test_instrument_units_do_not_matter_with_absorbed_fixed_effects(
    regression_model, fixed_effects, scale
) -> None:
    """historical population in levels, in persons (x1e6) or millions (x1e-6): the absorbed
    fixed effects converge and every statistic is the same (before: with one fixed-effect
    term, 100,000 sweeps and a warning that the demeaning did not converge)."""
    instruments = ["historical_population", "immigrant_enclave", "instrument_c"]
    base = _fit(regression_model, instruments, fixed_effects=fixed_effects)
    scaled = regression_model.assign(
        historical_population=regression_model["historical_population"] * scale
    )
    _assert_same_estimates(base, _fit(scaled, instruments, fixed_effects=fixed_effects))


def test_a_constant_added_to_an_instrument_is_absorbed(regression_model) -> None:
    instruments = ["instrument_c", "immigrant_enclave", "log(historical_population)"]
    base = _fit(regression_model, instruments)
    shifted = regression_model.assign(instrument_c=regression_model["instrument_c"] + 1e4)
    _assert_same_estimates(base, _fit(shifted, instruments))
