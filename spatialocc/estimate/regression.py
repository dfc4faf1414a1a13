"""One linear (IV) regression from its columns to the arrays the kernels take.

Everything between a sample and the estimators of :mod:`spatialocc.estimate.iv`, shared by
the public :func:`spatialocc.estimate.feiv` and the externality regression
(:mod:`spatialocc.estimate.design`):

* the fixed effects: pyfixest's ``"fe1^fe2 + fe3"`` notation, their group codes, the rank
  of their dummies, observations alone in a group (singletons), and their absorption by
  weighted demeaning (Frisch-Waugh-Lovell);
* the design: every row times √w (analytic weights normalized to mean one, as Stata's
  ``aweight``), exogenous regressors that the fixed effects absorb dropped with a warning,
  endogenous regressors or instruments that nothing is left of rejected with an error;
* the degrees of freedom ``k`` of the small-sample corrections;
* the cluster structure and its checks.

Conventions **[choice]**, documented where users meet them (:func:`feiv`):

* Fixed effects are partialled out (as ``ivreghdfe`` and ``ivreg2``'s ``partial()`` do);
  exogenous regressors, the intercept among them when there are no fixed effects, stay in
  the design as their own instruments (``X = [endog, exog]``, ``Z = [instruments, exog]``),
  as ``ivregress`` does, so that GMM and CUE standard errors are those of the full design.
* Degrees of freedom (``fe_dof``): ``"nested"`` (default, ``reghdfe``'s convention):
  fixed-effect terms nested in a cluster variable (each of their groups lies within one
  cluster) are not counted, since the cluster-robust covariance already allows for them,
  and the intercept they stand for is counted once; ``"all"``: every absorbed dummy counts
  (the rank of the dummies, as if they were included, ``xtivreg``/``areg``'s count).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse
import scipy.sparse.csgraph

from spatialocc.dims.errors import format_labels
from spatialocc.estimate import iv
from spatialocc.estimate.errors import EstimationError, EstimationWarning

INSTALL_HINT = (
    'spatialocc.estimate needs pyfixest (pip install "spatialocc[estimate]", which also '
    "installs linearmodels for the cross-checks)"
)
#: How the absorbed fixed effects enter the degrees of freedom (see the module docstring).
FixedEffectDof = Literal["nested", "all"]
FE_DOF: tuple[str, ...] = ("nested", "all")


# -- fixed effects -----------------------------------------------------------------------------


def parse_fixed_effects(formula: str | None) -> tuple[tuple[str, ...], ...]:
    """``"division^industry + city"`` -> ``(("division", "industry"), ("city",))``.

    Terms are separated by ``+``, interacted factors by ``^`` (pyfixest's notation); ``None``,
    ``""``, ``"0"`` or ``"1"`` mean no fixed effects (an intercept only).
    """
    if formula is None or formula.strip() in ("", "0", "1"):
        return ()
    terms = []
    for term in formula.split("+"):
        factors = tuple(f.strip() for f in term.split("^"))
        if not all(factors):
            raise ValueError(
                f"fixed_effects {formula!r} has an empty term; expected terms such as "
                f"'division^industry' joined by '+'"
            )
        terms.append(factors)
    return tuple(terms)


def _codes(columns: Sequence[np.ndarray]) -> np.ndarray:
    """Group codes of the combinations of ``columns`` (float, NaN where a label is missing)."""
    frame = pd.DataFrame({i: c for i, c in enumerate(columns)})
    codes = frame.groupby(list(frame.columns), sort=True, dropna=False).ngroup()
    return codes.to_numpy(dtype=float, copy=True) * np.where(frame.isna().any(axis=1), np.nan, 1)


def fixed_effect_rank(codes: Sequence[np.ndarray]) -> int:
    """Number of linearly independent dummy columns of the fixed-effect terms.

    Exact for one term (its levels) and two terms (levels minus the connected components of
    the bipartite graph of levels); for more terms the rank of the dummy cross-product.
    """
    codes = [pd.factorize(c)[0] for c in codes]
    if not codes:
        return 0
    levels = [int(c.max()) + 1 for c in codes]
    if len(codes) == 1:
        return levels[0]
    n = codes[0].shape[0]
    if len(codes) == 2:
        graph = scipy.sparse.coo_matrix(
            (np.ones(n), (codes[0], codes[1] + levels[0])), shape=(sum(levels),) * 2
        )
        n_components = scipy.sparse.csgraph.connected_components(graph, directed=False)[0]
        return sum(levels) - n_components
    offsets = np.cumsum([0, *levels[:-1]])
    rows = np.concatenate([np.arange(n)] * len(codes))
    cols = np.concatenate([c + o for c, o in zip(codes, offsets, strict=True)])
    dummies = scipy.sparse.csr_matrix((np.ones(rows.size), (rows, cols)))
    return int(np.linalg.matrix_rank((dummies.T @ dummies).toarray()))


def _demean_function():
    try:  # the kernel module alone imports in a fraction of pyfixest's import time
        from pyfixest.core.demean import demean
    except ImportError:
        try:
            from pyfixest.estimation import demean
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError(INSTALL_HINT) from err
    return demean


def _finest(codes: Sequence[np.ndarray]) -> np.ndarray | None:
    """The codes of a fixed-effect term that every other term is nested in (each of its groups
    lies within one group of every other term), or None: demeaning by it alone is then exact."""
    for candidate in codes:
        n_groups = len(np.unique(candidate))
        if all(
            len(np.unique(np.column_stack([candidate, other]), axis=0)) == n_groups
            for other in codes
        ):
            return candidate
    return None


def _group_demean(data: np.ndarray, codes: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``data`` minus its weighted means within the groups ``codes`` (exact, one pass)."""
    totals = np.bincount(codes, weights=w)
    means = np.column_stack([np.bincount(codes, weights=w * col) / totals for col in data.T])
    return data - means[codes]


def absorb(
    data: np.ndarray,
    codes: Sequence[np.ndarray],
    w: np.ndarray,
    *,
    tol: float = 1e-12,
) -> tuple[np.ndarray, bool]:
    """The columns of ``data`` with the fixed effects ``codes`` (one integer array per term)
    partialled out, by weighted least squares with weights ``w``.

    One term, or terms nested in one of them (e.g. ``division^industry`` with ``industry``),
    is removed exactly by subtracting group means. Otherwise pyfixest's alternating
    projections run on the columns divided by their scale (weighted standard deviation), so
    that ``tol`` is relative to each column's magnitude and a column in persons converges as
    one in millions does (an absolute tolerance of 1e-12 is out of reach for a column of
    magnitude 1e6); the result is scaled back. Returns the result and whether it converged.
    """
    codes = [np.asarray(c, dtype=np.int64) for c in codes]
    finest = _finest(codes)
    if finest is not None:
        return _group_demean(data, finest, w), True
    centred = data - np.average(data, axis=0, weights=w)
    scale = np.sqrt(np.average(centred**2, axis=0, weights=w))
    scale = np.where(scale > 0, scale, 1.0)
    demean = _demean_function()
    flist = np.column_stack(codes).astype(np.uint64)
    demeaned, converged = demean(
        np.ascontiguousarray(data / scale), flist, w.astype(float), tol=tol, maxiter=100_000
    )
    return demeaned * scale, bool(converged)


def nested_terms(fe: Sequence[np.ndarray], clusters: Sequence[np.ndarray]) -> list[bool]:
    """For each fixed-effect term (integer codes), whether it is nested in one of the cluster
    variables: every group of the term lies within a single cluster."""
    out = []
    for codes in fe:
        n_groups = len(np.unique(codes))
        out.append(
            any(len(np.unique(np.column_stack([codes, c]), axis=0)) == n_groups for c in clusters)
        )
    return out


def absorbed_dof(
    fe: Sequence[np.ndarray], clusters: Sequence[np.ndarray], fe_dof: FixedEffectDof
) -> int:
    """Parameters the fixed effects ``fe`` (integer codes per term) stand for in ``k``.

    ``"all"``: the rank of their dummies. ``"nested"``: terms nested in a cluster variable
    (:func:`nested_terms`) are not counted, and the intercept they contain counts once:
    ``rank(all) - rank(nested) + 1`` when any is nested (``reghdfe``).
    """
    if not fe:
        return 0
    total = fixed_effect_rank(fe)
    if fe_dof == "all" or not clusters:
        return total
    nested = [c for c, is_nested in zip(fe, nested_terms(fe, clusters), strict=True) if is_nested]
    return total - fixed_effect_rank(nested) + 1 if nested else total


def singletons(fe: Sequence[np.ndarray]) -> np.ndarray:
    """Mask of the observations alone in a group of some fixed-effect term, found
    iteratively (dropping one singleton can create another), as ``reghdfe`` does."""
    n = fe[0].shape[0] if fe else 0
    keep = np.ones(n, dtype=bool)
    while fe:
        single = np.zeros_like(keep)
        for codes in fe:
            counts = pd.Series(codes[keep]).value_counts()
            lone = counts.index[counts.to_numpy() == 1]
            single[keep] |= np.isin(codes[keep], lone)
        if not single.any():
            break
        keep &= ~single
    return ~keep


# -- the design --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arrays:
    """One regression as the kernels of :mod:`spatialocc.estimate.iv` take it.

    ``X = [endog, exog]`` and ``Z = [instruments, exog]`` (the ``exog`` exogenous columns
    last in both), with the fixed effects partialled out and every row times √w;
    ``absorbed`` counts the fixed-effect parameters in ``k`` (see :func:`absorbed_dof`),
    ``weights`` are the normalized weights (None without), ``names`` the column names.
    """

    y: np.ndarray
    X: np.ndarray
    Z: np.ndarray
    exog: int
    absorbed: int
    clusters: iv.Clusters
    nobs: int
    n_clusters: tuple[int, ...]
    weights: np.ndarray | None
    names: tuple[str, ...]
    instruments: tuple[str, ...]
    fe_rank: int = 0

    @property
    def n_endog(self) -> int:
        return self.X.shape[1] - self.exog

    @property
    def df_resid(self) -> int:
        """``n - k``: observations less coefficients and counted fixed effects."""
        return self.nobs - self.X.shape[1] - self.absorbed

    def first_stage(self) -> tuple[np.ndarray, np.ndarray, int]:
        """Endogenous regressors and excluded instruments with the exogenous regressors
        partialled out, and the number of parameters partialled (fixed effects and
        exogenous regressors), ``ivreg2``'s ``c`` in the scale of the F statistics."""
        p, q = self.n_endog, self.Z.shape[1] - self.exog
        X, Z = self.X[:, :p], self.Z[:, :q]
        if self.exog:
            W = self.X[:, p:]
            coef = np.linalg.lstsq(W, np.column_stack([X, Z]), rcond=None)[0]
            resid = np.column_stack([X, Z]) - W @ coef
            X, Z = resid[:, :p], resid[:, p:]
        return X, Z, self.absorbed + self.exog


def _norms(a: np.ndarray) -> np.ndarray:
    return np.sqrt((a**2).sum(axis=0))


def _independent(cols: np.ndarray, base: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Which columns of ``cols`` keep more than 1e-8 of their ``reference`` norm once
    ``base`` and the columns kept before them are projected out (left to right)."""
    keep = np.zeros(cols.shape[1], dtype=bool)
    for i in range(cols.shape[1]):
        kept = np.column_stack([base, cols[:, keep]]) if base.size or keep.any() else None
        col = cols[:, i]
        if kept is not None and kept.shape[1]:
            col = col - kept @ np.linalg.lstsq(kept, col, rcond=None)[0]
        keep[i] = _norms(col) > 1e-8 * (reference[i] if reference[i] > 0 else 1.0)
    return keep


def prepare(
    y: np.ndarray,
    endog: np.ndarray,
    exog: np.ndarray,
    instruments: np.ndarray,
    *,
    names: dict[str, Sequence[str]],
    weights: np.ndarray | None = None,
    fe: Sequence[np.ndarray] = (),
    clusters: Sequence[np.ndarray] | iv.Clusters = iv.HETERO,
    fe_dof: FixedEffectDof = "nested",
    fe_label: str = "",
    context: str = "",
    tol: float = 1e-12,
) -> Arrays:
    """Absorb the fixed effects, weight, check and count: the :class:`Arrays` of one
    regression.

    ``y`` (n,), ``endog`` (n, p), ``exog`` (n, m) (the intercept among them if the model
    has one and no fixed effects), ``instruments`` (n, q) excluded instruments; ``fe`` one
    integer code array per fixed-effect term (singletons already dropped); ``clusters``
    integer code arrays per cluster variable, or :data:`iv.IID` / :data:`iv.HETERO`;
    ``names`` the column names under ``"endog"``, ``"exog"``, ``"instruments"``.
    ``context`` prefixes every message (e.g. ``"occupation 'CNR': "``).
    """
    n = y.shape[0]
    p, m, q = endog.shape[1], exog.shape[1], instruments.shape[1]
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        bad = ~(weights > 0)
        if bad.any():
            raise EstimationError(
                f"{context}weights must be positive and finite, found {int(bad.sum())} "
                f"observation(s) with weight <= 0 or missing; drop them first."
            )
        weights = weights / weights.mean()
    w = np.ones(n) if weights is None else weights
    data = np.column_stack([y, endog, exog, instruments]).astype(float)
    fe = [pd.factorize(c)[0] for c in fe]
    if fe:
        demeaned, converged = absorb(data, fe, w, tol=tol)
        if not converged:
            warnings.warn(
                f"{context}absorbing the fixed effects {fe_label} did not converge "
                f"(tolerance {tol:g} relative to each column's scale); results may be "
                f"inaccurate",
                EstimationWarning,
                stacklevel=3,
            )
        reference = _norms((data - np.average(data, axis=0, weights=w)) * np.sqrt(w)[:, None])
    else:
        demeaned = data
        reference = _norms(data * np.sqrt(w)[:, None])
    scaled = demeaned * np.sqrt(w)[:, None]
    yy, X1, W, Z1 = np.split(scaled, np.cumsum([1, p, m]), axis=1)
    ref_X, ref_W, ref_Z = np.split(reference[1:], np.cumsum([p, m]))
    what = f"the fixed effects {fe_label}" if fe else "the other regressors"
    exog_names = np.asarray(names.get("exog", ()), dtype=object)
    keep = _independent(W, np.empty((n, 0)), ref_W)
    if not keep.all():
        warnings.warn(
            f"{context}exogenous regressors {format_labels(exog_names[~keep])} are collinear "
            f"with {what}"
            + (" and the regressors before them" if fe else "")
            + " and were dropped",
            EstimationWarning,
            stacklevel=3,
        )
        W, exog_names = W[:, keep], exog_names[keep]
    for cols, ref, kind in ((X1, ref_X, "endog"), (Z1, ref_Z, "instruments")):
        gone = _norms(cols - W @ np.linalg.lstsq(W, cols, rcond=None)[0] if W.shape[1] else cols)
        gone = gone <= 1e-8 * np.where(ref > 0, ref, 1.0)
        if gone.any():
            role = "regressor" if kind == "endog" else "instrument"
            extra = " and the exogenous regressors" if W.shape[1] else ""
            raise EstimationError(
                f"{context}the {role}(s) {format_labels(np.asarray(names[kind])[gone])} are "
                f"perfectly collinear with {what}{extra}: nothing is left of them once those "
                f"are partialled out. Expected variation within the fixed-effect groups; use "
                f"coarser fixed effects or drop the {role}."
            )
    rank = np.linalg.matrix_rank(np.column_stack([Z1, W])) if q else 0
    if q and rank < q + W.shape[1]:
        raise EstimationError(
            f"{context}the instruments {list(names['instruments'])} are linearly dependent "
            f"once {what} and the exogenous regressors are partialled out (rank "
            f"{rank - W.shape[1]} < {q}); drop the redundant ones."
        )
    if not isinstance(clusters, iv.Clusters):
        cluster_codes = [pd.factorize(c)[0] for c in clusters]
        clusters = iv.make_clusters(cluster_codes)
    else:
        cluster_codes = []
    fe_rank = fixed_effect_rank(fe) if fe else 0
    absorbed = absorbed_dof(fe, cluster_codes, fe_dof)
    k = p + W.shape[1] + absorbed
    if n - k <= 0:
        raise EstimationError(
            f"{context}{n} observations cannot identify {k} parameters ({p + W.shape[1]} "
            f"coefficients and {absorbed} absorbed); use fewer fixed effects or regressors."
        )
    return Arrays(
        y=yy[:, 0],
        X=np.column_stack([X1, W]),
        Z=np.column_stack([Z1, W]),
        exog=W.shape[1],
        absorbed=absorbed,
        clusters=clusters,
        nobs=n,
        n_clusters=clusters.n_clusters,
        weights=weights,
        names=(*names["endog"], *exog_names.tolist()),
        instruments=tuple(names.get("instruments", ())),
        fe_rank=fe_rank,
    )


def check_clusters(
    arrays: Arrays,
    codes: Sequence[np.ndarray],
    names: Sequence[str],
    *,
    gmm: bool,
    context: str = "",
    advice: str = "pass cluster=None",
) -> None:
    """Errors for a cluster variable with fewer than two clusters or (for estimators with a
    weight matrix) no more clusters than moment conditions; a warning for clusters of one
    observation."""
    n_moments = arrays.Z.shape[1]
    for name, c, G in zip(names, codes, arrays.n_clusters, strict=True):
        if G < 2:
            raise EstimationError(
                f"{context}cluster variable {name!r} has {G} cluster in the sample; expected "
                f"at least 2 (many more for reliable inference). Cluster on a finer variable "
                f"or {advice}."
            )
        counts = pd.Series(c).value_counts()
        lone = counts.index[counts.to_numpy() == 1]
        if len(lone):
            warnings.warn(
                f"{context}{len(lone)} of the {G} clusters of {name!r} have a single "
                f"observation ({format_labels(lone)}); their terms are only "
                f"heteroskedasticity-robust, and with many singletons clustering on {name!r} "
                f"adds little. Consider a coarser cluster variable.",
                EstimationWarning,
                stacklevel=3,
            )
        if gmm and n_moments >= G:
            raise EstimationError(
                f"{context}the GMM weight matrix needs more clusters of {name!r} than moment "
                f"conditions, found {G} clusters for {n_moments} moment conditions; use fewer "
                f"instruments, another cluster variable or 2SLS/LIML."
            )
