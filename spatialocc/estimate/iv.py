"""Linear IV estimators on partialled data: numpy kernels (STYLE.md point 1).

Every function here takes plain arrays from which the fixed effects have already been
partialled out (Frisch-Waugh-Lovell) and which have already been multiplied by the square root
of the regression weights: ``y`` (n,), ``X`` (n, p) regressors, ``Z`` (n, q) instruments.
Exogenous regressors, if any, are the last ``exog`` columns of both ``X`` and ``Z`` (the full
design, as Stata's ``ivregress``). What the partialling removed is carried by ``absorbed``,
the number of parameters it stands for, so that small-sample corrections count them; the
weights themselves are passed only to center moments.

Conventions (checked against Stata's ``ivregress`` in ``tests/test_stata.py`` and against
linearmodels 7.1 in ``tests/test_estimate.py``):

* Homoskedastic ("iid", Stata's ``unadjusted``) inference, :data:`IID`: the moment
  covariance is ``s² Z'Z/n`` (``(E'E/n) ⊗ (Z'Z/n)`` for several residuals); the k-class
  covariance is ``s² (X'(I - κ M_Z)X)^{-1}`` with ``s² = e'e/(n-k)`` under
  ``small_sample`` and ``e'e/n`` otherwise.
* Cluster-robust covariances combine one or several cluster dimensions by inclusion-exclusion
  (Cameron, Gelbach and Miller 2011): with two, ``V = V_a + V_b - V_{a∩b}``. With
  ``small_sample=True`` each term is multiplied by ``G/(G-1) (n-1)/(n-k)`` with its own
  number of clusters ``G`` (``k`` counts the regressors and ``absorbed``); without clusters
  the heteroskedasticity-robust covariance is multiplied by ``n/(n-k)``.
* 2SLS, LIML and OLS are k-class estimators; their sandwich uses the bread
  ``X'(I - κ M_Z)X`` and scores ``(P_Z X)_i e_i``. LIML's κ is the smallest root of
  ``det(W'M_1 W - κ W'M_Z W)`` with the exogenous regressors partialled (``M_1``).
* Two-step GMM starts from 2SLS; CUE minimizes ``n ḡ(β)' S(β)^{-1} ḡ(β)``. Their weight
  matrices are of the covariance's type (``wmatrix()`` = ``vce()``) and never carry
  small-sample factors (a common factor does not move the estimates); under iid the weight
  matrix takes σ² about the residuals' mean, as Stata's ``wmatrix(unadjusted)``. Their
  covariance is the GMM sandwich with ``S`` at the final residuals, which does carry them.
* ``center`` (Stata's): the weight matrix centers the moments ``w_i z_i e_i`` by their
  weighted mean ``Σ s_i / Σ w_i``, the final covariance by the unweighted mean of
  ``z_i e_i`` (:func:`center_scores`); without weights both are the plain mean.
* Positive definiteness of a moment covariance is decided on its correlation form
  (:func:`is_positive_definite`), so that no decision depends on the units of an
  instrument. A multiway combination need not be positive definite; when one is not, its
  intersection terms are dropped (``V_a + V_b``, positive semi-definite and asymptotically
  equivalent, MacKinnon, Nielsen and Webb 2021) and the fit records
  :data:`DROPPED_INTERSECTIONS` **[choice]**.
* The Kleibergen-Paap rk Wald F and the Sanderson-Windmeijer F are scaled as Stata's
  ``ivreg2`` does: ``W/(n-1) (n-q-c)/q (M-1)/M`` under clustering (``M`` the smallest number
  of clusters), ``W/n (n-q-c)/q`` otherwise, with ``c = absorbed`` (callers pass the
  counted fixed effects plus the partialled exogenous regressors).

Examples
--------
>>> import numpy as np
>>> from spatialocc.estimate import iv
>>> rng = np.random.default_rng(0)
>>> n, city = 400, rng.integers(0, 40, 400)
>>> Z = rng.standard_normal((n, 3))
>>> u = rng.standard_normal(n) + rng.standard_normal(40)[city]
>>> X = Z @ [[1.0, 0.2], [0.3, -0.8], [0.2, 0.4]] + 0.5 * u[:, None] + rng.standard_normal((n, 2))
>>> y = X @ [1.0, 0.5] + u
>>> clusters = iv.make_clusters([city])
>>> fits = {m: iv.ESTIMATORS[m](y, X, Z, clusters) for m in ("2sls", "liml", "cue")}
>>> close = [np.abs(f.params - [1.0, 0.5]) < 3 * np.sqrt(np.diag(f.cov)) for f in fits.values()]
>>> bool(np.all(close))
True
>>> bool(iv.kleibergen_paap_f(X, Z, clusters, absorbed=0) > 10)
True
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse
import scipy.special

from spatialocc.estimate.errors import EstimationWarning

# -- clusters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterTerm:
    """One term of the inclusion-exclusion sum: the clusters of an intersection of cluster
    dimensions, the sign of the term, and the sparse (G x n) group-membership matrix."""

    sign: int
    n_groups: int
    members: scipy.sparse.csr_matrix

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Sums of ``values`` (n, ...) within each cluster: (G, ...)."""
        flat = values.reshape(values.shape[0], -1)
        return np.asarray(self.members @ flat).reshape((self.n_groups, *values.shape[1:]))


@dataclass(frozen=True)
class Clusters:
    """Cluster structure of a sample: ``terms`` is empty for heteroskedasticity-robust
    (observation-level) inference; ``iid`` marks homoskedastic ("unadjusted") inference,
    where the moment covariance is ``s² Z'Z/n`` (see :func:`moment_covariance`)."""

    terms: tuple[ClusterTerm, ...]
    n_clusters: tuple[int, ...]
    iid: bool = False

    @property
    def clustered(self) -> bool:
        return bool(self.terms)

    @property
    def min_clusters(self) -> int:
        return min(self.n_clusters)


#: Homoskedastic ("iid", Stata's ``vce(unadjusted)``) inference.
IID = Clusters((), (), iid=True)
#: Heteroskedasticity-robust inference without clusters.
HETERO = Clusters((), ())


def make_clusters(codes: Sequence[np.ndarray]) -> Clusters:
    """Cluster terms for one or several cluster dimensions given as integer codes (n,).

    With ``d`` dimensions there are ``2**d - 1`` terms: each nonempty subset of dimensions
    contributes the clusters of its intersection with sign ``(-1)**(|subset| + 1)``. No
    codes: heteroskedasticity-robust inference (:data:`HETERO`).
    """
    codes = [np.asarray(c) for c in codes]
    if not codes:
        return HETERO
    n = codes[0].shape[0]
    terms = []
    for size in range(1, len(codes) + 1):
        for subset in itertools.combinations(range(len(codes)), size):
            if size == 1:
                group = pd.factorize(codes[subset[0]])[0]
            else:
                frame = pd.DataFrame({i: codes[i] for i in subset})
                group = frame.groupby(list(subset), sort=False).ngroup().to_numpy()
            n_groups = int(group.max()) + 1
            members = scipy.sparse.csr_matrix(
                (np.ones(n), (group, np.arange(n))), shape=(n_groups, n)
            )
            terms.append(ClusterTerm((-1) ** (size + 1), n_groups, members))
    n_clusters = tuple(t.n_groups for t in terms[: len(codes)])
    return Clusters(tuple(terms), n_clusters)


def score_covariance(
    scores: np.ndarray,
    clusters: Clusters,
    *,
    center: bool = False,
    small_sample: bool = False,
    n_params: int = 0,
    intersections: bool = True,
) -> np.ndarray:
    """Covariance of the scores: ``(1/n) Σ_terms sign c Σ_g h_g h_g'`` with cluster sums
    ``h_g`` (or observation scores without clusters); ``c`` is the small-sample factor.
    ``intersections=False`` keeps only the one-dimension terms (``V_a + V_b``)."""
    n = scores.shape[0]
    if center:
        scores = scores - scores.mean(axis=0)
    if not clusters.clustered:
        factor = n / (n - n_params) if small_sample else 1.0
        return factor * (scores.T @ scores) / n
    total = np.zeros((scores.shape[1], scores.shape[1]))
    for term in clusters.terms if intersections else clusters.terms[: len(clusters.n_clusters)]:
        h = term.sums(scores)
        factor = 1.0
        if small_sample:
            G = term.n_groups
            factor = G / (G - 1) * (n - 1) / (n - n_params)
        total += term.sign * factor * (h.T @ h)
    return total / n


#: Note attached to results whose multiway covariance fell back to the one-way terms.
DROPPED_INTERSECTIONS = (
    "the multiway cluster-robust covariance V_a + V_b - V_(a∩b) was not positive definite; "
    "the intersection terms were dropped (V_a + V_b, asymptotically equivalent and positive "
    "semi-definite; MacKinnon, Nielsen and Webb 2021)"
)


def correlation_form(S: np.ndarray) -> np.ndarray | None:
    """``D^{-1/2} S D^{-1/2}`` with ``D = diag(S)`` (S symmetrized), or None when a diagonal
    entry is not positive (or S is not finite): S with its variables in units where each
    has variance one."""
    S = (S + S.T) / 2
    d = np.diag(S)
    if not (np.all(np.isfinite(S)) and np.all(d > 0)):
        return None
    s = 1.0 / np.sqrt(d)
    return S * s[:, None] * s[None, :]


def is_positive_definite(S: np.ndarray, rtol: float = 1e-12) -> bool:
    """Whether the symmetric matrix ``S`` is numerically positive definite, decided on its
    correlation form (:func:`correlation_form`): every diagonal entry positive and the
    smallest eigenvalue of the correlation form above ``rtol`` times its largest.

    Rescaling variable i (an instrument in persons instead of thousands) multiplies row and
    column i of a moment covariance by the same factor; the correlation form removes it, so
    the answer, and every fallback that depends on it, does not depend on units. (On the
    unscaled matrix, one instrument x1e6 made a well-conditioned covariance look singular.)
    """
    C = correlation_form(S)
    if C is None:
        return False
    values = np.linalg.eigvalsh(C)
    return bool(values.min() > rtol * values.max())


def robust_score_covariance(
    scores: np.ndarray, clusters: Clusters, notes: set[str] | None = None, **options
) -> np.ndarray:
    """:func:`score_covariance`, falling back to the one-dimension terms when a multiway
    combination is not positive definite (recorded in ``notes``)."""
    S = score_covariance(scores, clusters, **options)
    if len(clusters.n_clusters) > 1 and not is_positive_definite(S):
        if notes is not None:
            notes.add(DROPPED_INTERSECTIONS)
        return score_covariance(scores, clusters, intersections=False, **options)
    return S


def center_scores(
    scores: np.ndarray, weights: np.ndarray | None, *, weighted_mean: bool = True
) -> np.ndarray:
    """Scores of weighted data (row i already carries the regression weight w_i, as
    ``(√w z)(√w e) = w z e``) centered as Stata's ``ivregress ..., center`` centers them:
    ``s_i - w_i m`` with ``m`` the weighted mean of the moments ``Σ s_i / Σ w_i``
    (``weighted_mean=True``, the GMM weight matrix) or their unweighted mean
    ``mean(s_i / w_i)`` (``False``, the final covariance). Without weights both are the
    plain mean of the scores."""
    if weights is None:
        return scores - scores.mean(axis=0)
    w = np.asarray(weights, dtype=float)[:, None]
    if weighted_mean:
        m = scores.sum(axis=0) / w.sum()
    else:
        m = np.divide(scores, w, out=np.zeros_like(scores), where=w > 0).mean(axis=0)
    return scores - w * m


def moment_covariance(
    A: np.ndarray,
    E: np.ndarray,
    clusters: Clusters,
    notes: set[str] | None = None,
    *,
    small_sample: bool = False,
    n_params: int = 0,
    center: bool = False,
    weights: np.ndarray | None = None,
    weighted_mean: bool = True,
) -> np.ndarray:
    """Covariance of the moments ``e_i ⊗ a_i`` (``A`` (n, q), residuals ``E`` (n,) or
    (n, m); columns ordered residual-major, as ``column_stack([E[:, j] * A ...])``).

    Homoskedastic (``clusters.iid``): ``(E'E/n) ⊗ (A'A/n)`` times ``n/(n-k)`` with
    ``small_sample``; ``center`` takes the residuals about their weighted mean. Otherwise
    the (cluster-)robust :func:`robust_score_covariance` of the scores, centered by
    :func:`center_scores` when ``center``.
    """
    n = A.shape[0]
    R = E.reshape(n, -1)
    if clusters.iid:
        if center:
            root = np.ones(n) if weights is None else np.sqrt(np.asarray(weights, float))
            R = R - root[:, None] * ((root[:, None] * R).sum(axis=0) / (root**2).sum())
        factor = n / (n - n_params) if small_sample else 1.0
        return factor * np.kron(R.T @ R / n, A.T @ A / n)
    scores = np.column_stack([R[:, [j]] * A for j in range(R.shape[1])])
    if center:
        scores = center_scores(scores, weights, weighted_mean=weighted_mean)
    return robust_score_covariance(
        scores, clusters, notes, small_sample=small_sample, n_params=n_params
    )


# -- estimators --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IVFit:
    """Estimates of one regression: coefficients, covariance, residuals and GMM details.

    ``notes`` records fallbacks taken on the way (e.g. :data:`DROPPED_INTERSECTIONS`)."""

    method: str
    params: np.ndarray
    cov: np.ndarray
    resid: np.ndarray
    kappa: float = 1.0
    j_stat: float = np.nan
    j_df: int = 0
    converged: bool = True
    iterations: int = 0
    notes: tuple[str, ...] = ()


def _project(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """P_Z A by least squares (no explicit inverse)."""
    coef = np.linalg.lstsq(Z, A, rcond=None)[0]
    return Z @ coef


def liml_kappa(y: np.ndarray, X: np.ndarray, Z: np.ndarray, exog: int = 0) -> float:
    """Smallest root κ of ``det(W'M_1 W - κ W'M_Z W) = 0`` with ``W = [y X_endog]`` and
    ``M_1`` the annihilator of the ``exog`` exogenous regressors, the last ``exog`` columns
    of ``X`` (also the last columns of ``Z``); ``M_1 = I`` when there are none."""
    W = np.column_stack([y, X[:, : X.shape[1] - exog]])
    W_res = W - _project(Z, W)
    if exog:
        W = W - _project(X[:, X.shape[1] - exog :], W)
    roots = scipy.linalg.eigh(W.T @ W, W_res.T @ W_res, eigvals_only=True)
    return float(roots.min())


def kclass_params(y: np.ndarray, X: np.ndarray, Z: np.ndarray, kappa: float) -> np.ndarray:
    """k-class coefficients ``(X'(I - κ M_Z)X)^{-1} X'(I - κ M_Z)y`` (κ = 1: 2SLS)."""
    Xhat = _project(Z, X)
    A = (1 - kappa) * (X.T @ X) + kappa * (X.T @ Xhat)
    b = (1 - kappa) * (X.T @ y) + kappa * (Xhat.T @ y)
    return np.linalg.solve(A, b)


def _kclass_fit(
    y: np.ndarray,
    X: np.ndarray,
    Z: np.ndarray,
    kappa: float,
    clusters: Clusters,
    *,
    method: str,
    small_sample: bool,
    absorbed: int,
    center: bool,
    overid: bool,
    weights: np.ndarray | None = None,
) -> IVFit:
    n, p = X.shape
    Xhat = _project(Z, X)
    # X'(I - κ M_Z) = (1-κ) X' + κ X' P_Z
    A = (1 - kappa) * (X.T @ X) + kappa * (X.T @ Xhat)
    b = (1 - kappa) * (X.T @ y) + kappa * (Xhat.T @ y)
    params = np.linalg.solve(A, b)
    resid = y - X @ params
    notes: set[str] = set()
    k = p + absorbed
    bread = np.linalg.inv(A / n)
    if clusters.iid:  # s² (X'(I - κ M_Z)X)^{-1}
        s2 = resid @ resid / (n - k if small_sample else n)
        cov = s2 * bread / n
    else:
        S = moment_covariance(Xhat, resid, clusters, notes, small_sample=small_sample, n_params=k)
        cov = bread @ S @ bread / n
    j, df = (
        hansen_j(y, X, Z, resid, clusters, center=center, notes=notes, weights=weights)
        if overid
        else (np.nan, 0)
    )
    return IVFit(
        method,
        params,
        (cov + cov.T) / 2,
        resid,
        kappa=kappa,
        j_stat=j,
        j_df=df,
        notes=tuple(sorted(notes)),
    )


def fit_ols(
    y, X, Z, clusters, *, small_sample=True, absorbed=0, center=False, weights=None, exog=0
) -> IVFit:
    """Ordinary least squares of ``y`` on ``X`` (``Z`` is ignored)."""
    return _kclass_fit(
        y,
        X,
        X,
        1.0,
        clusters,
        method="ols",
        small_sample=small_sample,
        absorbed=absorbed,
        center=center,
        overid=False,
    )


def fit_2sls(
    y, X, Z, clusters, *, small_sample=True, absorbed=0, center=False, weights=None, exog=0
) -> IVFit:
    """Two-stage least squares; Hansen's J as :func:`hansen_j`."""
    return _kclass_fit(
        y,
        X,
        Z,
        1.0,
        clusters,
        method="2sls",
        small_sample=small_sample,
        absorbed=absorbed,
        center=center,
        overid=True,
        weights=weights,
    )


def fit_liml(
    y, X, Z, clusters, *, small_sample=True, absorbed=0, center=False, weights=None, exog=0
) -> IVFit:
    """Limited-information maximum likelihood (k-class with κ the smallest root); the
    sandwich uses the scores (P_Z X)_i e_i, as linearmodels does."""
    return _kclass_fit(
        y,
        X,
        Z,
        liml_kappa(y, X, Z, exog),
        clusters,
        method="liml",
        small_sample=small_sample,
        absorbed=absorbed,
        center=center,
        overid=True,
        weights=weights,
    )


def _gmm_params(y: np.ndarray, X: np.ndarray, Z: np.ndarray, W: np.ndarray) -> np.ndarray:
    ZX, Zy = Z.T @ X, Z.T @ y
    return np.linalg.solve(ZX.T @ W @ ZX, ZX.T @ W @ Zy)


def _gmm_cov(
    X: np.ndarray,
    Z: np.ndarray,
    resid: np.ndarray,
    W: np.ndarray,
    clusters: Clusters,
    notes: set[str],
    *,
    small_sample: bool,
    absorbed: int,
    center: bool,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    n, p = X.shape
    Q = Z.T @ X / n
    # Stata centers the final covariance's moments by their unweighted mean
    S = moment_covariance(
        Z,
        resid,
        clusters,
        notes,
        center=center,
        small_sample=small_sample,
        n_params=p + absorbed,
        weights=weights,
        weighted_mean=False,
    )
    bread = np.linalg.inv(Q.T @ W @ Q)
    cov = bread @ (Q.T @ W @ S @ W @ Q) @ bread / n
    return (cov + cov.T) / 2


def _inverse_weight(S: np.ndarray, what: str) -> np.ndarray:
    if not is_positive_definite(S):
        C = correlation_form(S)
        values = np.linalg.eigvalsh(C if C is not None else (S + S.T) / 2)
        raise np.linalg.LinAlgError(
            f"the covariance of the moment conditions ({what}) is singular (eigenvalues of its "
            f"correlation form {values.min():.3g} .. {values.max():.3g})"
        )
    return np.linalg.inv(S)


def hansen_j(
    y: np.ndarray,
    X: np.ndarray,
    Z: np.ndarray,
    resid: np.ndarray,
    clusters: Clusters,
    *,
    center: bool = False,
    notes: set[str] | None = None,
    weights: np.ndarray | None = None,
) -> tuple[float, int]:
    """Hansen's J as ``ivreg2`` reports it for 2SLS and LIML: the objective of efficient GMM
    whose weight matrix is formed from ``resid`` (Sargan's statistic under iid). NaN when
    exactly identified."""
    n, p = X.shape
    df = Z.shape[1] - p
    if df <= 0:
        return np.nan, 0
    S = moment_covariance(Z, resid, clusters, notes, center=center, weights=weights)
    try:
        W = _inverse_weight(S, "Hansen J")
    except np.linalg.LinAlgError as err:
        # 2SLS and LIML do not need this matrix: keep their estimates, J is not defined
        warnings.warn(
            f"Hansen J is not defined: {err}; typically fewer clusters than instruments. The "
            f"estimates and standard errors do not use this matrix; J is NaN.",
            EstimationWarning,
            stacklevel=2,
        )
        return np.nan, df
    params = _gmm_params(y, X, Z, W)
    g = Z.T @ (y - X @ params) / n
    return float(n * g @ W @ g), df


def fit_gmm(
    y, X, Z, clusters, *, small_sample=True, absorbed=0, center=False, weights=None, exog=0
) -> IVFit:
    """Two-step efficient GMM: 2SLS, then the weight matrix from its residuals; J and the
    sandwich covariance as Stata's ``ivregress gmm`` (``wmatrix()`` of the same type as the
    covariance)."""
    n, p = X.shape
    notes: set[str] = set()
    # Stata's wmatrix(unadjusted) takes σ² about the residuals' mean, with or without center
    center = center or clusters.iid
    first = kclass_params(y, X, Z, 1.0)
    S = moment_covariance(Z, y - X @ first, clusters, notes, center=center, weights=weights)
    W = _inverse_weight(S, "two-step GMM")
    params = _gmm_params(y, X, Z, W)
    resid = y - X @ params
    cov = _gmm_cov(
        X,
        Z,
        resid,
        W,
        clusters,
        notes,
        small_sample=small_sample,
        absorbed=absorbed,
        center=center,
        weights=weights,
    )
    g = Z.T @ resid / n
    df = Z.shape[1] - p
    j = float(n * g @ W @ g) if df > 0 else np.nan
    return IVFit(
        "gmm",
        params,
        cov,
        resid,
        j_stat=j,
        j_df=max(df, 0),
        iterations=2,
        notes=tuple(sorted(notes)),
    )


class CUEObjective:
    """``J(β) = n ḡ(β)' S(β)^{-1} ḡ(β)`` and its gradient, on cluster sums.

    With ``h_g(β) = a_g - B_g β`` the cluster sums of the moments ``z_i e_i`` (or the
    observations themselves without clusters), ``S(β) = (1/n) Σ_terms sign Σ_g h_g h_g'`` is
    quadratic in β, so each evaluation costs O(G q²) once ``a_g`` and ``B_g`` are stored.
    ``intersections=False`` keeps only the one-dimension cluster terms. Under iid,
    ``S(β) = s²(β) Z'Z/n`` with ``s²(β) = e(β)'e(β)/n`` (about the weighted mean with
    ``center``), and CUE is LIML.
    """

    def __init__(
        self,
        y: np.ndarray,
        X: np.ndarray,
        Z: np.ndarray,
        clusters: Clusters,
        center: bool,
        intersections: bool = True,
        weights: np.ndarray | None = None,
    ) -> None:
        n = y.shape[0]
        self.n = n
        self.a_bar = Z.T @ y / n
        self.B_bar = Z.T @ X / n
        self.iid = clusters.iid
        if self.iid:
            if center:  # residuals about their weighted mean: project out √w
                root = np.ones(n) if weights is None else np.sqrt(np.asarray(weights, float))
                y = y - root * (root @ y) / (root @ root)
                X = X - root[:, None] * (root @ X) / (root @ root)
            self.yy, self.Xy, self.XX = y @ y / n, X.T @ y / n, X.T @ X / n
            self.ZZ = Z.T @ Z / n
            self.parts = []
            return
        zy = Z * y[:, None]
        zx = Z[:, :, None] * X[:, None, :]
        if center:
            zy = center_scores(zy, weights)
            zx = center_scores(zx.reshape(n, -1), weights).reshape(zx.shape)
        if clusters.clustered:
            terms = clusters.terms if intersections else clusters.terms[: len(clusters.n_clusters)]
            self.parts = [(t.sign, t.sums(zy), t.sums(zx)) for t in terms]
        else:
            self.parts = [(1, zy, zx)]

    def _s2(self, params: np.ndarray) -> float:
        return float(self.yy - 2 * params @ self.Xy + params @ self.XX @ params)

    def moment_covariance(self, params: np.ndarray) -> np.ndarray:
        if self.iid:
            return self._s2(params) * self.ZZ
        S = np.zeros((self.a_bar.size, self.a_bar.size))
        for sign, a, B in self.parts:
            h = a - B @ params
            S += sign * (h.T @ h)
        return S / self.n

    def __call__(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        g = self.a_bar - self.B_bar @ params
        S = self.moment_covariance(params)
        try:
            cho = scipy.linalg.cho_factor(S)
        except np.linalg.LinAlgError:
            return np.inf, np.zeros_like(params)
        u = scipy.linalg.cho_solve(cho, g)
        value = self.n * float(g @ u)
        grad = -2 * self.n * (self.B_bar.T @ u)
        if self.iid:  # S = s² ZZ: d(g'S^-1 g) adds -(g'S^-1 g)/s² ds², ds² = 2(XX β - Xy)
            return value, grad - value / self._s2(params) * 2 * (self.XX @ params - self.Xy)
        for sign, a, B in self.parts:
            h = a - B @ params
            grad += 2 * sign * (np.einsum("gqp,q->gp", B, u).T @ (h @ u))
        return value, grad


def fit_cue(
    y,
    X,
    Z,
    clusters,
    *,
    small_sample=True,
    absorbed=0,
    center=False,
    weights=None,
    exog=0,
    starts: Sequence[np.ndarray] = (),
    gtol: float = 1e-10,
) -> IVFit:
    """Continuously updated GMM (Hansen, Heaton and Yaron 1996) with the cluster-robust
    (or heteroskedasticity-robust) moment covariance.

    The objective is minimized by BFGS with its analytic gradient from several starting
    values (2SLS, LIML, two-step GMM and any in ``starts``), the lowest minimum is kept and
    polished by Newton steps. When a multiway moment covariance is not positive definite at
    the 2SLS residuals, the objective uses the one-dimension terms throughout.
    """
    p = X.shape[1]
    notes: set[str] = set()
    center = center or clusters.iid  # as two-step GMM
    candidates = [kclass_params(y, X, Z, 1.0), kclass_params(y, X, Z, liml_kappa(y, X, Z, exog))]
    first_resid = y - X @ candidates[0]
    S0 = moment_covariance(Z, first_resid, clusters, notes, center=center, weights=weights)
    intersections = DROPPED_INTERSECTIONS not in notes
    if is_positive_definite(S0):
        candidates.append(_gmm_params(y, X, Z, np.linalg.inv(S0)))
    candidates.extend(np.asarray(s, dtype=float) for s in starts)
    objective = CUEObjective(y, X, Z, clusters, center, intersections, weights)
    import scipy.optimize  # lazily: only CUE needs it

    best = None
    for start in candidates:
        res = scipy.optimize.minimize(
            objective, start, jac=True, method="BFGS", options={"gtol": gtol, "maxiter": 2000}
        )
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    params = best.x
    # Newton steps on the analytic gradient polish what BFGS's line search leaves.
    for _ in range(3):
        value, grad0 = objective(params)
        step = 1e-6 * np.maximum(1.0, np.abs(params))
        hess = np.empty((p, p))
        for i in range(p):
            e = np.zeros(p)
            e[i] = step[i]
            hess[:, i] = (objective(params + e)[1] - objective(params - e)[1]) / (2 * step[i])
        hess = (hess + hess.T) / 2
        if not is_positive_definite(hess):
            break
        candidate = params - np.linalg.solve(hess, grad0)
        if objective(candidate)[0] > value:
            break
        params = candidate
    value, grad = objective(params)
    W = _inverse_weight(objective.moment_covariance(params), "CUE")
    resid = y - X @ params
    cov = _gmm_cov(
        X,
        Z,
        resid,
        W,
        clusters,
        notes,
        small_sample=small_sample,
        absorbed=absorbed,
        center=center,
        weights=weights,
    )
    df = Z.shape[1] - p
    # Converged: the gradient is negligible against the curvature (a Newton step < 1e-6 s.e.).
    newton = np.linalg.lstsq(hess, grad, rcond=None)[0] if p else np.zeros(0)
    converged = bool(np.isfinite(value)) and bool(
        np.all(np.abs(newton) < 1e-6 * np.sqrt(np.maximum(np.diag(cov), 1e-300)))
    )
    return IVFit(
        "cue",
        params,
        cov,
        resid,
        j_stat=value if df > 0 else np.nan,
        j_df=max(df, 0),
        converged=converged,
        iterations=int(best.nit),
        notes=tuple(sorted(notes)),
    )


Estimator = Callable[..., IVFit]


@dataclass(frozen=True)
class Registered:
    """One estimator of :data:`REGISTRY`."""

    #: How tables and messages name it.
    display: str
    #: ``fit(y, X, Z, clusters, *, small_sample, absorbed, center, weights, exog) -> IVFit``;
    #: ``weights`` (already applied to the data) only center moments, ``exog`` counts the
    #: last columns of ``X`` that are exogenous (and the last of ``Z``).
    fit: Estimator
    #: Uses the excluded instruments (every estimator but OLS).
    instrumented: bool
    #: Has a GMM weight matrix, which needs more clusters than moment conditions.
    weight_matrix: bool


#: Every estimator by name, in the order of the tables (STYLE.md point 6): the one list of
#: estimator names, from which every other one is derived.
REGISTRY: Mapping[str, Registered] = MappingProxyType(
    {
        "ols": Registered("OLS", fit_ols, instrumented=False, weight_matrix=False),
        "2sls": Registered("2SLS", fit_2sls, instrumented=True, weight_matrix=False),
        "liml": Registered("LIML", fit_liml, instrumented=True, weight_matrix=False),
        "gmm": Registered("two-step GMM", fit_gmm, instrumented=True, weight_matrix=True),
        "cue": Registered("GMM-CUE", fit_cue, instrumented=True, weight_matrix=True),
    }
)
#: The estimator names, in the order of the tables.
METHODS: tuple[str, ...] = tuple(REGISTRY)
#: An estimator name, one of :data:`METHODS`.
Method = str
#: The estimators by name.
ESTIMATORS: dict[str, Estimator] = {name: e.fit for name, e in REGISTRY.items()}
#: How tables name the estimators.
METHOD_NAMES: dict[str, str] = {name: e.display for name, e in REGISTRY.items()}


# -- first-stage diagnostics -------------------------------------------------------------------


def _ivreg2_scale(n: int, q: int, absorbed: int, clusters: Clusters, df1: int) -> float:
    if clusters.clustered:
        M = clusters.min_clusters
        return (n - q - absorbed) / (n - 1) * (M - 1) / M / df1
    return (n - q - absorbed) / n / df1


def kleibergen_paap_f(
    X: np.ndarray,
    Z: np.ndarray,
    clusters: Clusters,
    absorbed: int,
    notes: set[str] | None = None,
) -> float:
    """Kleibergen-Paap (2006) rk Wald F statistic for the null rank(Π) = p - 1.

    Θ = Qzz^{-1/2}' Qzx Qxx^{-1/2} (Cholesky roots), Θ = U S V'; with A⊥, B⊥ the singular
    vectors of the smallest singular value, λ = (B⊥ ⊗ A⊥)' vec Θ and
    rk = n λ' [(B⊥ ⊗ A⊥)' V_Θ (B⊥ ⊗ A⊥)]^{-1} λ, where V_Θ is the (cluster-)robust
    covariance of vec Θ from the first-stage scores v_i ⊗ z_i (first-stage residuals v).
    """
    n, p = X.shape
    q = Z.shape[1]
    Qzz, Qxx, Qzx = Z.T @ Z / n, X.T @ X / n, Z.T @ X / n
    irz = scipy.linalg.solve_triangular(scipy.linalg.cholesky(Qzz), np.eye(q))
    irx = scipy.linalg.solve_triangular(scipy.linalg.cholesky(Qxx), np.eye(p))
    theta = irz.T @ Qzx @ irx
    U, _, Vt = np.linalg.svd(theta, full_matrices=True)
    pi = np.linalg.solve(Qzz, Qzx)
    V = X - Z @ pi
    S = moment_covariance(Z, V, clusters, notes)
    transform = np.kron(irx.T, irz.T)
    cov_theta = transform @ S @ transform.T
    select = np.kron(Vt.T[:, p - 1 :].T, U[:, p - 1 :].T)
    lam = select @ theta.ravel(order="F")
    cov_lam = select @ cov_theta @ select.T
    rk = n * _wald(lam, (cov_lam + cov_lam.T) / 2)
    return rk * _ivreg2_scale(n, q, absorbed, clusters, q)


def _wald(v: np.ndarray, cov: np.ndarray) -> float:
    """v' cov^-1 v, or NaN when the covariance is singular (too few clusters for the number
    of instruments): the statistic is then not defined, which the tables show as NaN."""
    try:
        return float(v @ np.linalg.solve(cov, v))
    except np.linalg.LinAlgError:
        return float("nan")


def sanderson_windmeijer_f(
    X: np.ndarray,
    Z: np.ndarray,
    clusters: Clusters,
    absorbed: int,
    notes: set[str] | None = None,
) -> np.ndarray:
    """Sanderson-Windmeijer (2016) conditional first-stage F for each endogenous regressor.

    For regressor j: δ̂ by 2SLS of x_j on the other regressors with instruments Z,
    ε̂ = x_j - X_{-j} δ̂; χ² is the (cluster-)robust Wald statistic that the coefficients of
    ε̂ on Z are zero, and F = χ² scaled as the KP F with q - p + 1 numerator degrees of freedom.
    """
    n, p = X.shape
    q = Z.shape[1]
    ZZ_inv = np.linalg.inv(Z.T @ Z)
    out = np.empty(p)
    for j in range(p):
        x = X[:, j]
        others = np.delete(X, j, axis=1)
        if others.shape[1]:
            delta = _gmm_params(x, others, Z, ZZ_inv)
            eps = x - others @ delta
        else:
            eps = x
        b = ZZ_inv @ (Z.T @ eps)
        r = eps - Z @ b
        S = moment_covariance(Z, r, clusters, notes) * n
        cov_b = ZZ_inv @ S @ ZZ_inv
        chi2 = _wald(b, cov_b)
        out[j] = chi2 * _ivreg2_scale(n, q, absorbed, clusters, q - p + 1)
    return out


def partial_r2(X: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """First-stage partial R² of the excluded instruments, for each regressor."""
    V = X - _project(Z, X)
    return 1 - (V**2).sum(axis=0) / (X**2).sum(axis=0)


def one_sided_test(params: np.ndarray, cov: np.ndarray) -> tuple[float, float, float, float]:
    """z test of H0: τR ≤ τL against τR > τL: (difference, standard error, z, p-value)."""
    diff = float(params[0] - params[1])
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    se = float(np.sqrt(var)) if var > 0 else np.nan
    z = diff / se if se > 0 else np.nan
    return diff, se, z, float(scipy.special.ndtr(-z)) if np.isfinite(z) else np.nan
