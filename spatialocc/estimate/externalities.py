"""Fixed-effect IV estimation of the externality elasticities (MODEL.md section 3b, Table 2).

The regression, one per occupation k, on every (j, n) with L[k,j,n] > 0, is equation (6):

    log λ[k,j,n] = τR[k] log(L[k,n]/L[n]) + τL[k] log L[n] + controls + fixed effects + u,

weighted by γ[j,n]² (footnote 15 multiplies both sides by γ[j,n]). The fixed effects are
absorbed with pyfixest's weighted alternating-projection demeaning (Frisch-Waugh-Lovell),
the controls are partialled out after them, and the IV estimators of
:mod:`spatialocc.estimate.iv` run on the partialled data; the number of absorbed parameters
enters every small-sample correction.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import pandas as pd
import scipy.sparse
import scipy.sparse.csgraph
import scipy.special
import xarray as xr

from spatialocc.dims.errors import DimensionError, MissingVariableError, format_labels
from spatialocc.estimate import iv
from spatialocc.estimate.iv import METHOD_NAMES, Method

#: The paper's instruments (section 4.6): population a century ago (in logs), the land-grant
#: college indicator and the immigrant-enclave shift-share.
DEFAULT_INSTRUMENTS: tuple[str, ...] = (
    "log(historical_population)",
    "land_grant_college",
    "immigrant_enclave",
)
#: Instrument token for the model-implied instruments of section 4.6 (MODEL.md section 5).
MODEL_IMPLIED = "model_implied"
#: Coefficient names, in the order of the endogenous regressors.
COEFFICIENTS: tuple[str, ...] = ("tau_share", "tau_size")
#: How the regressors are printed.
REGRESSOR_LABELS: dict[str, str] = {
    "tau_share": "log(L[k,n]/L[n])",
    "tau_size": "log(L[n])",
}
#: Weighting of footnote 15.
VALUE_ADDED_SHARE_SQUARED = "value_added_share_squared"
#: Order of the methods in tables.
METHOD_ORDER: tuple[str, ...] = ("ols", "2sls", "liml", "gmm", "cue")

Missing = Literal["raise", "drop"]
CELL_DIMS = ("occupation", "industry", "city")
INSTALL_HINT = (
    'spatialocc.estimate needs pyfixest (pip install "spatialocc[estimate]", which also '
    "installs linearmodels for the cross-checks)"
)


class EstimationError(ValueError):
    """Input that the externality regression cannot use (the message says how to fix it)."""


class EstimationWarning(UserWarning):
    """Input that the regression can use but that deserves attention."""


def _check_option(name: str, value: object, allowed: Sequence[object]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")


def _demean_function():
    try:  # the kernel module alone imports in a fraction of pyfixest's import time
        from pyfixest.core.demean import demean
    except ImportError:
        try:
            from pyfixest.estimation import demean
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError(INSTALL_HINT) from err
    return demean


# -- resolving names into cell arrays ----------------------------------------------------------

_LOG = re.compile(r"^\s*log\((.+)\)\s*$")


@dataclass(frozen=True)
class Term:
    """A named quantity on (a subset of) occupation, industry and city."""

    name: str
    values: xr.DataArray


def _lookup(model: xr.Dataset, name: str, what: str) -> xr.DataArray:
    if name in model.variables:
        da = model[name]
    else:
        available = sorted(
            str(v)
            for v in model.variables
            if set(model[v].dims) <= set(CELL_DIMS) and v not in ("occupation",)
        )
        raise MissingVariableError(
            f"{what} {name!r} is not a variable or coordinate of the model; expected one of "
            f"{available}. Add it to the Dataset (e.g. model.assign({name}=...)) or pass a "
            f"DataArray."
        )
    extra = [d for d in da.dims if d not in CELL_DIMS]
    if extra:
        raise DimensionError(
            f"{what} {name!r} has dimensions {da.dims}; only {CELL_DIMS} are allowed (found "
            f"{extra}). Select or aggregate them first, e.g. model[{name!r}].sel(...)."
        )
    return da


def _numeric(model: xr.Dataset, spec: str | xr.DataArray, what: str) -> Term:
    if isinstance(spec, xr.DataArray):
        if spec.name is None:
            raise ValueError(f"a DataArray given as {what} needs a name (da.rename('...'))")
        extra = [d for d in spec.dims if d not in CELL_DIMS]
        if extra:
            raise DimensionError(
                f"{what} {spec.name!r} has dimensions {spec.dims}; only {CELL_DIMS} are "
                f"allowed (found {extra})."
            )
        return Term(str(spec.name), spec.astype(float))
    if not isinstance(spec, str):
        raise TypeError(f"{what} must be a variable name or a DataArray, got {spec!r}")
    match = _LOG.match(spec)
    name = match.group(1).strip() if match else spec
    da = _lookup(model, name, what).astype(float)
    if match:
        finite = da.where(np.isfinite(da))
        if bool((finite <= 0).any()):
            raise EstimationError(
                f"{what} {spec!r} takes the log of {name!r}, which has values <= 0 (minimum "
                f"{float(finite.min()):g}); expected positive values. Use {name!r} without "
                f"log(...) or transform it first."
            )
        da = np.log(da.where(da > 0))
    return Term(spec, da.reset_coords(drop=True))


def _labels(model: xr.Dataset, name: str, what: str) -> xr.DataArray:
    return _lookup(model, name.strip(), what)


def _cells(da: xr.DataArray, occupation: object, grid: xr.DataArray) -> np.ndarray:
    """Values on the (industry, city) grid of one occupation."""
    if "occupation" in da.dims:
        da = da.sel(occupation=occupation)
    da = da.reset_coords(drop=True) if isinstance(da, xr.DataArray) else da
    return da.broadcast_like(grid).transpose("industry", "city").values


def _single_economy(model: xr.Dataset) -> xr.Dataset:
    for dim in list(model.dims):
        if dim in (*CELL_DIMS, "origin", "input"):
            continue
        if model.sizes[dim] == 1:
            model = model.squeeze(dim, drop=True)
        else:
            labels = model[dim].values.tolist() if dim in model.coords else model.sizes[dim]
            raise DimensionError(
                f"externalities estimates one economy at a time, but the model has dimension "
                f"{dim!r} of size {model.sizes[dim]} ({labels}); select one, e.g. "
                f"model.sel({dim}=...)."
            )
    return model


def _model_implied(model: xr.Dataset, solve_options: Mapping[str, object]) -> list[Term]:
    from spatialocc.solvers.counterfactuals import model_implied_instruments
    from spatialocc.solvers.equilibrium import solve_equilibrium

    solution = solve_equilibrium(model_implied_instruments(model), **solve_options)
    if not bool(solution["converged"].all()):
        warnings.warn(
            "the equilibrium with productivity at its cross-city means (model-implied "
            "instruments) did not converge; the instruments may be inaccurate",
            EstimationWarning,
            stacklevel=4,
        )
    residents = solution["employment"].sum("industry")
    total = residents.sum("occupation")
    share = np.log((residents / total).where(residents > 0))
    return [
        Term("model_implied_share", share.reset_coords(drop=True)),
        Term("model_implied_size", np.log(total).reset_coords(drop=True)),
    ]


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


# -- the sample of one occupation --------------------------------------------------------------


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


@dataclass
class Sample:
    """Cell arrays of one occupation's regression before partialling."""

    occupation: object
    industry: np.ndarray
    city: np.ndarray
    y: np.ndarray
    X: np.ndarray
    Z: np.ndarray
    C: np.ndarray
    weights: np.ndarray
    fe: list[np.ndarray]
    clusters: list[np.ndarray]
    names: dict[str, list[str]] = field(default_factory=dict)

    def subset(self, keep: np.ndarray) -> Sample:
        return Sample(
            self.occupation,
            self.industry[keep],
            self.city[keep],
            self.y[keep],
            self.X[keep],
            self.Z[keep],
            self.C[keep],
            self.weights[keep],
            [f[keep] for f in self.fe],
            [c[keep] for c in self.clusters],
            self.names,
        )

    def where(self, bad: np.ndarray) -> str:
        cells = [
            f"(industry={_plain(j)!r}, city={_plain(n)!r})"
            for j, n in zip(self.industry[bad][:5], self.city[bad][:5], strict=True)
        ]
        more = int(bad.sum()) - len(cells)
        return ", ".join(cells) + (f" (and {more} more)" if more > 0 else "")


def _drop_singletons(sample: Sample, fe_names: Sequence[str]) -> Sample:
    if not sample.fe:
        return sample
    keep = np.ones(sample.y.shape[0], dtype=bool)
    while True:
        single = np.zeros_like(keep)
        for codes in sample.fe:
            counts = pd.Series(codes[keep]).value_counts()
            lone = counts.index[counts.to_numpy() == 1]
            single[keep] |= np.isin(codes[keep], lone)
        if not single.any():
            break
        keep &= ~single
    dropped = int((~keep).sum())
    if dropped:
        warnings.warn(
            f"occupation {sample.occupation!r}: {dropped} observation(s) are alone in their "
            f"fixed-effect group ({' + '.join(fe_names)}) and were dropped (they are fitted "
            f"exactly and carry no information; keeping them would only inflate the degrees "
            f"of freedom), e.g. {sample.where(~keep)}",
            EstimationWarning,
            stacklevel=4,
        )
    return sample.subset(keep)


def _check_missing(sample: Sample, missing: Missing) -> Sample:
    checks: list[tuple[str, np.ndarray]] = [
        ("log productivity (log λ[k,j,n])", ~np.isfinite(sample.y))
    ]
    checks += [(n, ~np.isfinite(sample.X[:, i])) for i, n in enumerate(sample.names["X"])]
    checks += [(n, ~np.isfinite(sample.Z[:, i])) for i, n in enumerate(sample.names["Z"])]
    checks += [(n, ~np.isfinite(sample.C[:, i])) for i, n in enumerate(sample.names["C"])]
    checks.append(("weights", ~np.isfinite(sample.weights)))
    checks += [
        (f"fixed effect {n}", pd.isna(c))
        for n, c in zip(sample.names["fe"], sample.fe, strict=True)
    ]
    checks += [
        (f"cluster {n}", pd.isna(c))
        for n, c in zip(sample.names["clusters"], sample.clusters, strict=True)
    ]
    bad = np.zeros(sample.y.shape[0], dtype=bool)
    for name, mask in checks:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            if missing == "raise":
                raise EstimationError(
                    f"occupation {sample.occupation!r}: {name} is missing or not finite in "
                    f"{int(mask.sum())} of the {mask.size} cells with employment, "
                    f"{sample.where(mask)}; expected finite values everywhere L[k,j,n] > 0. "
                    f"Fill them, or pass missing='drop' to drop those cells."
                )
            bad |= mask
    if bad.any():
        warnings.warn(
            f"occupation {sample.occupation!r}: dropped {int(bad.sum())} cells with missing "
            f"values, e.g. {sample.where(bad)}",
            EstimationWarning,
            stacklevel=4,
        )
        sample = sample.subset(~bad)
    nonpositive = sample.weights <= 0
    if nonpositive.any():
        raise EstimationError(
            f"occupation {sample.occupation!r}: weights must be positive, found "
            f"{int(nonpositive.sum())} cells with weight <= 0, {sample.where(nonpositive)}."
        )
    return sample


# -- partialling -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Partialled:
    """Arrays after the fixed effects and controls are partialled out, times √weight."""

    y: np.ndarray
    X: np.ndarray
    Z: np.ndarray
    absorbed: int
    clusters: iv.Clusters
    nobs: int
    n_clusters: tuple[int, ...]


def _partial_out(sample: Sample, fe_label: str, tol: float) -> Partialled:
    n = sample.y.shape[0]
    w = sample.weights
    data = np.column_stack([sample.y, sample.X, sample.Z, sample.C]).astype(float)
    if sample.fe:
        demean = _demean_function()
        flist = np.column_stack([pd.factorize(c)[0] for c in sample.fe]).astype(np.uint64)
        demeaned, converged = demean(
            np.ascontiguousarray(data), flist, w.astype(float), tol=tol, maxiter=100_000
        )
        if not converged:
            warnings.warn(
                f"occupation {sample.occupation!r}: absorbing the fixed effects "
                f"{fe_label} did not converge (tolerance {tol:g}); results may be inaccurate",
                EstimationWarning,
                stacklevel=4,
            )
        absorbed = fixed_effect_rank(sample.fe)
    else:
        demeaned = data - np.average(data, axis=0, weights=w)
        absorbed = 1
    root = np.sqrt(w)[:, None]
    scaled = demeaned * root
    centered = (data - np.average(data, axis=0, weights=w)) * root
    before = np.sqrt((centered**2).sum(axis=0))
    p, q = sample.X.shape[1], sample.Z.shape[1]
    y, X, Z, C = np.split(scaled, np.cumsum([1, p, q]), axis=1)
    y = y[:, 0]

    def norm_ratio(cols: np.ndarray, offset: int) -> np.ndarray:
        """Norm left after partialling relative to the norm about the (weighted) mean."""
        scale = before[offset : offset + cols.shape[1]]
        return np.sqrt((cols**2).sum(axis=0)) / np.where(scale > 0, scale, 1.0)

    names = sample.names
    if C.shape[1]:
        ratio = norm_ratio(C, 1 + p + q)
        redundant = ratio < 1e-8
        if redundant.any():
            warnings.warn(
                f"occupation {sample.occupation!r}: controls "
                f"{format_labels(np.asarray(names['C'])[redundant])} are collinear with the "
                f"fixed effects {fe_label} and were dropped",
                EstimationWarning,
                stacklevel=4,
            )
            C = C[:, ~redundant]
        coef = np.linalg.lstsq(C, np.column_stack([y, X, Z]), rcond=None)[0]
        rank = int(np.linalg.matrix_rank(C))
        resid = np.column_stack([y, X, Z]) - C @ coef
        y, X, Z = resid[:, 0], resid[:, 1 : 1 + p], resid[:, 1 + p :]
        absorbed += rank
    what = f"the fixed effects {fe_label}" + (" and the controls" if C.shape[1] else "")
    for cols, offset, kind in ((X, 1, "X"), (Z, 1 + p, "Z")):
        gone = norm_ratio(cols, offset) < 1e-8
        if gone.any():
            role = "regressor" if kind == "X" else "instrument"
            raise EstimationError(
                f"occupation {sample.occupation!r}: the {role}(s) "
                f"{format_labels(np.asarray(names[kind])[gone])} are perfectly collinear with "
                f"{what}: nothing is left of them once those are absorbed, so they cannot "
                f"identify τ. Expected variation within the fixed-effect groups; use coarser "
                f"fixed effects or drop the {role}."
            )
    if Z.shape[1] and np.linalg.matrix_rank(Z) < Z.shape[1]:
        raise EstimationError(
            f"occupation {sample.occupation!r}: the instruments {names['Z']} are linearly "
            f"dependent once {what} are partialled out (rank "
            f"{np.linalg.matrix_rank(Z)} < {Z.shape[1]}); drop the redundant ones."
        )
    if n - absorbed - p <= 0:
        raise EstimationError(
            f"occupation {sample.occupation!r}: {n} observations cannot identify "
            f"{absorbed} absorbed parameters and {p} coefficients; use fewer fixed effects."
        )
    clusters = iv.make_clusters([pd.factorize(c)[0] for c in sample.clusters])
    return Partialled(y, X, Z, absorbed, clusters, n, clusters.n_clusters)


def _check_clusters(sample: Sample, clusters: iv.Clusters, n_moments: int, gmm: bool) -> None:
    for name, codes, G in zip(
        sample.names["clusters"], sample.clusters, clusters.n_clusters, strict=True
    ):
        if G < 2:
            raise EstimationError(
                f"occupation {sample.occupation!r}: cluster variable {name!r} has {G} "
                f"cluster in the sample; expected at least 2 (many more for reliable "
                f"inference). Cluster on a finer variable or pass cluster=None."
            )
        counts = pd.Series(codes).value_counts()
        singletons = int((counts == 1).sum())
        if singletons:
            lone = counts.index[counts.to_numpy() == 1]
            warnings.warn(
                f"occupation {sample.occupation!r}: {singletons} of the {G} clusters of "
                f"{name!r} have a single observation ({format_labels(lone)}); their terms "
                f"are only heteroskedasticity-robust, and with many singletons clustering on "
                f"{name!r} adds little. Consider a coarser cluster variable.",
                EstimationWarning,
                stacklevel=4,
            )
        if gmm and n_moments >= G:
            raise EstimationError(
                f"occupation {sample.occupation!r}: the GMM weight matrix needs more clusters "
                f"of {name!r} than moment conditions, found {G} clusters for {n_moments} "
                f"instruments; use fewer instruments, another cluster variable or 2SLS/LIML."
            )


# -- the result --------------------------------------------------------------------------------


def _frozen(a: object) -> np.ndarray:
    arr = np.array(a)
    arr.setflags(write=False)
    return arr


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


@dataclass(frozen=True, eq=False)
class ExternalityEstimates:
    """Estimates of τR[k] (``tau_share``) and τL[k] (``tau_size``), immutable.

    Arrays are indexed (method, occupation, coefficient[, coefficient]) with ``methods`` the
    estimators that were run (the headline ``method`` and the ``compare`` ones, in the order
    OLS, 2SLS, LIML, GMM, CUE) and coefficients ``("tau_share", "tau_size")``. First-stage
    diagnostics do not depend on the IV estimator and are indexed (occupation[, coefficient]).
    Use :meth:`with_method` for the same estimates with another headline method.
    """

    method: str
    methods: tuple[str, ...]
    occupations: tuple[str, ...]
    estimates: np.ndarray
    covariance: np.ndarray
    hansen_j: np.ndarray
    hansen_j_df: int
    converged: np.ndarray
    kappa: np.ndarray
    nobs: np.ndarray
    absorbed: np.ndarray
    n_clusters: np.ndarray
    kleibergen_paap_f: np.ndarray
    sanderson_windmeijer_f: np.ndarray
    partial_r2: np.ndarray
    instruments: tuple[str, ...]
    controls: tuple[str, ...]
    fixed_effects: str | None
    cluster: tuple[str, ...]
    weights: str | None
    small_sample: bool
    center: bool

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                object.__setattr__(self, f.name, _frozen(value))
        if self.method not in self.methods:
            raise ValueError(f"method {self.method!r} is not among {self.methods}")

    # -- headline estimates -----------------------------------------------------------------

    @property
    def _index(self) -> int:
        return self.methods.index(self.method)

    def _per_occupation(self, values: np.ndarray, name: str) -> xr.DataArray:
        return xr.DataArray(
            np.array(values), coords={"occupation": list(self.occupations)}, name=name
        )

    @property
    def tau_share(self) -> xr.DataArray:
        """τR[k], the elasticity with respect to the own share L[k,n]/L[n] (headline method)."""
        return self._per_occupation(self.estimates[self._index, :, 0], "tau_share")

    @property
    def tau_size(self) -> xr.DataArray:
        """τL[k], the elasticity with respect to city size L[n] (headline method)."""
        return self._per_occupation(self.estimates[self._index, :, 1], "tau_size")

    @property
    def std_errors(self) -> xr.DataArray:
        """Standard errors of (tau_share, tau_size) by occupation (headline method)."""
        se = np.sqrt(np.diagonal(self.covariance[self._index], axis1=-2, axis2=-1))
        return xr.DataArray(
            se,
            coords={"occupation": list(self.occupations), "coefficient": list(COEFFICIENTS)},
            name="std_error",
        )

    @property
    def cov(self) -> xr.DataArray:
        """Covariance of (tau_share, tau_size) by occupation (headline method)."""
        return xr.DataArray(
            np.array(self.covariance[self._index]),
            coords={
                "occupation": list(self.occupations),
                "coefficient": list(COEFFICIENTS),
                "coefficient_2": list(COEFFICIENTS),
            },
            name="covariance",
        )

    def parameters(self) -> dict[str, xr.DataArray]:
        """``{"tau_share": ..., "tau_size": ...}`` for
        ``spatialocc.with_externalities(model, **estimates.parameters())``."""
        return {"tau_share": self.tau_share, "tau_size": self.tau_size}

    def apply(self, model: xr.Dataset) -> xr.Dataset:
        """The model with these τ and the exogenous productivity they imply
        (:func:`spatialocc.with_externalities`)."""
        from spatialocc.solvers.equilibrium import with_externalities

        missing = sorted(set(map(str, model["occupation"].values)) - set(self.occupations))
        if missing:
            raise ValueError(
                f"the model has occupations {missing} that were not estimated (estimated: "
                f"{list(self.occupations)}); estimate every occupation, or set their τ with "
                f"spatialocc.with_externalities(model, tau_share=..., tau_size=...)"
            )
        return with_externalities(model, **self.parameters())

    def with_method(self, method: str) -> ExternalityEstimates:
        """The same estimates with ``method`` (one of ``methods``) as the headline."""
        if method not in self.methods:
            raise ValueError(
                f"method {method!r} was not estimated; expected one of {list(self.methods)} "
                f"(pass compare=[...] to externalities to run it)"
            )
        return dataclasses.replace(self, method=method)

    # -- tests ------------------------------------------------------------------------------

    def share_exceeds_size(self) -> pd.DataFrame:
        """One-sided z test of H0: τR[k] ≤ τL[k] against τR[k] > τL[k] (the paper's
        footnote 19), for every method and occupation."""
        rows = []
        for m, method in enumerate(self.methods):
            for k, occ in enumerate(self.occupations):
                diff, se, z, p = iv.one_sided_test(self.estimates[m, k], self.covariance[m, k])
                rows.append((method, occ, diff, se, z, p))
        return pd.DataFrame(
            rows, columns=["method", "occupation", "difference", "std_error", "z", "p_value"]
        ).set_index(["method", "occupation"])

    def hansen_j_pvalue(self) -> np.ndarray:
        """p-values of Hansen's J (method, occupation); NaN when exactly identified."""
        if self.hansen_j_df <= 0:
            return np.full(self.hansen_j.shape, np.nan)
        return scipy.special.chdtrc(self.hansen_j_df, self.hansen_j)

    # -- tables -----------------------------------------------------------------------------

    def to_frame(self) -> pd.DataFrame:
        """A tidy table: one row per (method, occupation, coefficient) with the estimate,
        standard error, z statistic and two-sided normal p-value."""
        rows = []
        for m, method in enumerate(self.methods):
            for k, occ in enumerate(self.occupations):
                for c, coef in enumerate(COEFFICIENTS):
                    est = float(self.estimates[m, k, c])
                    se = float(np.sqrt(self.covariance[m, k, c, c]))
                    z = est / se
                    rows.append(
                        (method, occ, coef, est, se, z, float(2 * scipy.special.ndtr(-abs(z))))
                    )
        return pd.DataFrame(
            rows,
            columns=[
                "method",
                "occupation",
                "coefficient",
                "estimate",
                "std_error",
                "z",
                "p_value",
            ],
        ).set_index(["method", "occupation", "coefficient"])

    def summary(self, *, digits: int = 3, stars: bool = True) -> pd.DataFrame:
        """Table 2 of the paper: methods side by side, occupations within each, estimates
        with standard errors in parentheses below, then observations, the Kleibergen-Paap
        rk Wald F, the Sanderson-Windmeijer F of each regressor, Hansen's J p-value (when
        over-identified) and the p-value of the one-sided test τR > τL.

        Significance stars use two-sided normal p-values (*** 1%, ** 5%, * 10%).
        """
        tidy = self.to_frame()
        test = self.share_exceeds_size()
        j_p = self.hansen_j_pvalue()
        columns = pd.MultiIndex.from_tuples(
            [(METHOD_NAMES[m], o) for m in self.methods for o in self.occupations],
            names=["method", "occupation"],
        )
        index = []
        for coef in COEFFICIENTS:
            index += [(REGRESSOR_LABELS[coef], "estimate"), (REGRESSOR_LABELS[coef], "std. error")]
        index += [("Observations", "")]
        index += [("K.P. F", "")]
        index += [(f"S.W. F {REGRESSOR_LABELS[c]}", "") for c in COEFFICIENTS]
        index += [("First-stage partial R2 " + REGRESSOR_LABELS[c], "") for c in COEFFICIENTS]
        if self.hansen_j_df > 0:
            index += [(f"Hansen J p-value (df {self.hansen_j_df})", "")]
        index += [("p-value tau_share > tau_size", "")]
        table = pd.DataFrame(
            "", index=pd.MultiIndex.from_tuples(index, names=["row", "statistic"]), columns=columns
        )
        fmt = f"{{:.{digits}f}}"
        for m, method in enumerate(self.methods):
            instrumented = method != "ols"
            for k, occ in enumerate(self.occupations):
                col = (METHOD_NAMES[method], occ)
                for coef in COEFFICIENTS:
                    row = tidy.loc[(method, occ, coef)]
                    label = REGRESSOR_LABELS[coef]
                    mark = _stars(row["p_value"]) if stars else ""
                    table.loc[(label, "estimate"), col] = fmt.format(row["estimate"]) + mark
                    table.loc[(label, "std. error"), col] = "(" + fmt.format(row["std_error"]) + ")"
                table.loc[("Observations", ""), col] = f"{int(self.nobs[k]):,}"
                if instrumented:
                    table.loc[("K.P. F", ""), col] = fmt.format(self.kleibergen_paap_f[k])
                    for c, coef in enumerate(COEFFICIENTS):
                        table.loc[(f"S.W. F {REGRESSOR_LABELS[coef]}", ""), col] = fmt.format(
                            self.sanderson_windmeijer_f[k, c]
                        )
                        table.loc[("First-stage partial R2 " + REGRESSOR_LABELS[coef], ""), col] = (
                            fmt.format(self.partial_r2[k, c])
                        )
                    if self.hansen_j_df > 0:
                        table.loc[(f"Hansen J p-value (df {self.hansen_j_df})", ""), col] = (
                            fmt.format(j_p[m, k])
                        )
                table.loc[("p-value tau_share > tau_size", ""), col] = fmt.format(
                    test.loc[(method, occ), "p_value"]
                )
        return table

    def to_dataset(self) -> xr.Dataset:
        """Everything as an ``xarray.Dataset`` that can be written to NetCDF as it is.

        Dimensions ``estimator`` (the methods; not ``method``, which ``.sel`` reserves),
        ``occupation``, ``coefficient`` and ``coefficient_2`` (tau_share, tau_size) and
        ``cluster_dimension``; the options are in the attributes.
        """
        coords = {
            "estimator": list(self.methods),
            "occupation": list(self.occupations),
            "coefficient": list(COEFFICIENTS),
            "coefficient_2": list(COEFFICIENTS),
            "cluster_dimension": list(self.cluster) if self.cluster else ["observation"],
        }
        test = self.share_exceeds_size()
        shape = (len(self.methods), len(self.occupations))

        def per_method(column: str) -> np.ndarray:
            return test[column].to_numpy().reshape(shape)

        se = np.sqrt(np.diagonal(self.covariance, axis1=-2, axis2=-1))
        mo = ("estimator", "occupation")
        ds = xr.Dataset(
            {
                "estimate": (
                    (*mo, "coefficient"),
                    np.array(self.estimates),
                    {"long_name": "estimated elasticity"},
                ),
                "std_error": ((*mo, "coefficient"), se, {"long_name": "standard error"}),
                "covariance": (
                    (*mo, "coefficient", "coefficient_2"),
                    np.array(self.covariance),
                    {"long_name": "covariance of the estimates"},
                ),
                "hansen_j": (mo, np.array(self.hansen_j), {"long_name": "Hansen J statistic"}),
                "hansen_j_pvalue": (mo, self.hansen_j_pvalue(), {"long_name": "p-value of J"}),
                "difference": (mo, per_method("difference"), {"long_name": "tau_share - tau_size"}),
                "difference_std_error": (mo, per_method("std_error"), {"long_name": "s.e."}),
                "share_exceeds_size_pvalue": (
                    mo,
                    per_method("p_value"),
                    {"long_name": "one-sided p-value of H0: tau_share <= tau_size"},
                ),
                "estimator_converged": (
                    mo,
                    np.array(self.converged).astype(np.int8),
                    {"long_name": "the estimator converged", "units": "1"},
                ),
                "kappa": (mo, np.array(self.kappa), {"long_name": "k-class kappa"}),
                "nobs": ("occupation", np.array(self.nobs), {"long_name": "observations"}),
                "absorbed": (
                    "occupation",
                    np.array(self.absorbed),
                    {"long_name": "parameters absorbed by fixed effects and controls"},
                ),
                "n_clusters": (
                    ("occupation", "cluster_dimension"),
                    np.array(self.n_clusters).reshape(len(self.occupations), -1),
                    {"long_name": "number of clusters"},
                ),
                "kleibergen_paap_f": (
                    "occupation",
                    np.array(self.kleibergen_paap_f),
                    {"long_name": "Kleibergen-Paap rk Wald F"},
                ),
                "sanderson_windmeijer_f": (
                    ("occupation", "coefficient"),
                    np.array(self.sanderson_windmeijer_f),
                    {"long_name": "Sanderson-Windmeijer conditional first-stage F"},
                ),
                "partial_r2": (
                    ("occupation", "coefficient"),
                    np.array(self.partial_r2),
                    {"long_name": "first-stage partial R2 of the excluded instruments"},
                ),
            },
            coords=coords,
            attrs={
                "title": "spatialocc externality estimates (MODEL.md section 3b)",
                "method": self.method,
                "hansen_j_df": int(self.hansen_j_df),
                "instruments": ", ".join(self.instruments),
                "controls": ", ".join(self.controls),
                "fixed_effects": self.fixed_effects or "",
                "cluster": ", ".join(self.cluster),
                "weights": self.weights or "",
                "small_sample": int(self.small_sample),
                "center": int(self.center),
            },
        )
        return ds

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{o}: τR={r:.3f}, τL={s:.3f}"
            for o, r, s in zip(
                self.occupations, self.tau_share.values, self.tau_size.values, strict=True
            )
        )
        return f"ExternalityEstimates(method={self.method!r}, {parts})"


# -- the public function -----------------------------------------------------------------------


def externalities(
    model: xr.Dataset,
    *,
    method: Method = "cue",
    instruments: Sequence[str | xr.DataArray] = DEFAULT_INSTRUMENTS,
    controls: Sequence[str | xr.DataArray] = (),
    fixed_effects: str | None = "division^industry",
    cluster: str | Sequence[str] | None = ("city", "industry"),
    weights: str | xr.DataArray | None = VALUE_ADDED_SHARE_SQUARED,
    occupations: Sequence[str] | None = None,
    compare: Sequence[Method] = ("ols", "2sls"),
    small_sample: bool = True,
    center: bool = False,
    missing: Missing = "raise",
    drop_singletons: bool = True,
    solve_options: Mapping[str, object] | None = None,
    tol: float = 1e-12,
) -> ExternalityEstimates:
    """Estimate the externality elasticities τR[k] and τL[k] of equation (6) (Table 2).

    One regression per occupation k on every (industry j, city n) with L[k,j,n] > 0: the
    dependent variable is log λ[k,j,n] (``productivity``, from :func:`spatialocc.invert`), the
    endogenous regressors log(L[k,n]/L[n]) and log L[n] (from ``employment``), the fixed
    effects census division × industry by default. The fixed effects are absorbed with
    pyfixest's weighted demeaning (Frisch-Waugh-Lovell), the controls partialled out after
    them; 2SLS, LIML and two-step GMM are then exactly the estimators with the dummies and
    controls included, and their number enters the small-sample corrections. GMM-CUE
    minimizes the CUE objective of the partialled moments (as ``ivreg2``'s ``partial()`` and
    ``ivreghdfe`` do) **[choice]**.

    Diagnostics (the first stage is common to the IV methods): the Kleibergen-Paap rk Wald F
    and the Sanderson-Windmeijer conditional F of each regressor under the chosen clustering,
    the first-stage partial R², Hansen's J when over-identified (for 2SLS and LIML the J of
    efficient GMM weighted by their residuals, as ``ivreg2`` reports it; for GMM and CUE
    their own objective) and the one-sided z test of τR[k] > τL[k]
    (:meth:`ExternalityEstimates.share_exceeds_size`). The LIML covariance uses the scores
    (P_Z X)_i e_i with the bread X'(I - κ M_Z)X, linearmodels' convention.

    Parameters
    ----------
    model
        A model Dataset (what ``invert`` returns) with ``productivity``, ``employment`` and
        whatever the other options name. Batch dimensions of size 1 are dropped; select one
        economy (``model.sel(year=2015)``) otherwise.
    method
        Headline estimator: ``"cue"`` (the paper's benchmark, column 3 of Table 2),
        ``"2sls"``, ``"liml"``, ``"gmm"`` (two-step efficient) or ``"ols"``.
    instruments
        Excluded instruments: names of variables or coordinates on (a subset of) occupation,
        industry and city, ``"log(name)"`` for the log of one, named DataArrays, or
        ``"model_implied"`` for log(L[k,n]/L[n]) and log L[n] of the equilibrium in which
        λ̂[k,j,n] is set to its cross-city mean (solved with
        :func:`spatialocc.solve_equilibrium`; ``solve_options`` are passed to it). Default:
        log historical population, the land-grant college indicator and the
        immigrant-enclave instrument. At least two are needed for the IV methods.
    controls
        Exogenous regressors, given like ``instruments``.
    fixed_effects
        Fixed-effect terms in pyfixest's notation, ``+`` between terms and ``^`` for
        interactions of coordinates or variables (``"division^industry"``,
        ``"industry + division"``); ``None`` for an intercept only. City fixed effects would
        absorb both regressors (an error says so). Observations alone in a fixed-effect
        group are dropped with a warning (``drop_singletons``).
    cluster
        Cluster variables: two (the default, city and industry) for Cameron-Gelbach-Miller
        two-way clustering, one for one-way, more for multiway, ``None`` for
        heteroskedasticity-robust inference. The weight matrix of GMM and CUE is clustered
        the same way. A multiway covariance that is not positive definite falls back to the
        sum of its one-way terms, with a warning (see :mod:`spatialocc.estimate.iv`).
    weights
        ``"value_added_share_squared"`` (γ[j,n]², footnote 15: weighted least squares with
        weights γ² is the regression with both sides multiplied by γ), a variable name, a
        DataArray, or ``None`` for none.
    occupations
        The occupations to estimate (default: all).
    compare
        Estimators run alongside ``method`` for :meth:`ExternalityEstimates.summary`; the
        default gives Table 2's OLS, 2SLS and CUE columns.
    small_sample
        Multiply cluster-robust covariances by ``G/(G-1) (n-1)/(n-k)`` term by term (and
        robust ones by ``n/(n-k)``), ``k`` counting the regressors, the controls and every
        absorbed fixed effect (the rank of the dummies, as if they were included; reghdfe
        would not count fixed effects nested in a cluster variable) **[choice]**. The KP and
        SW F statistics are always scaled as ``ivreg2`` scales them.
    center
        Center the moments in the GMM/CUE weight matrix and covariance.
    missing
        ``"raise"`` (default) on non-finite values in any regression variable, ``"drop"`` to
        drop those cells with a warning.
    drop_singletons
        Drop observations alone in a fixed-effect group (they are fitted exactly).
    solve_options
        Keyword arguments for ``solve_equilibrium`` when ``"model_implied"`` is used.
    tol
        Tolerance of the fixed-effect demeaning.

    Returns
    -------
    ExternalityEstimates
        Immutable estimates with ``tau_share``, ``tau_size``, ``std_errors``, ``cov``,
        first-stage diagnostics, ``summary()``, ``to_dataset()`` and ``apply(model)``.

    Raises
    ------
    EstimationError
        Too few instruments, an instrument that is constant or collinear with the fixed
        effects, missing values (with ``missing="raise"``), fewer than two clusters.

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=40, n_industries=6, years=(2015,))
    >>> model = spatialocc.invert(data)
    >>> fit = spatialocc.estimate.externalities(
    ...     model, method="2sls", compare=(), fixed_effects="industry", cluster="city"
    ... )
    >>> fit.tau_share.dims
    ('occupation',)
    >>> calibrated = fit.apply(model)
    >>> sorted(set(calibrated.data_vars) & {"tau_share", "tau_size"})
    ['tau_share', 'tau_size']
    """
    methods_all = get_args(Method)
    _check_option("method", method, methods_all)
    for m in compare:
        _check_option("compare", m, methods_all)
    _check_option("missing", missing, get_args(Missing))
    methods = tuple(m for m in METHOD_ORDER if m == method or m in compare)
    iv_methods = [m for m in methods if m != "ols"]
    spec = _resolve(
        model,
        instruments=instruments,
        controls=controls,
        fixed_effects=fixed_effects,
        cluster=cluster,
        weights=weights,
        occupations=occupations,
        solve_options=solve_options,
        need_instruments=iv_methods,
    )
    n_endog = len(COEFFICIENTS)
    results = []
    for occ_name in spec.occupations:
        _, data = _design(
            spec,
            occ_name,
            missing=missing,
            drop_singletons=drop_singletons,
            tol=tol,
            gmm=bool({"gmm", "cue"} & set(methods)),
        )
        fits = {}
        for m in methods:
            try:
                fits[m] = iv.ESTIMATORS[m](
                    data.y,
                    data.X,
                    data.Z,
                    data.clusters,
                    small_sample=small_sample,
                    absorbed=data.absorbed,
                    center=center,
                )
            except np.linalg.LinAlgError as err:
                raise EstimationError(
                    f"occupation {occ_name!r}, method {m!r}: {err}. This happens with fewer "
                    f"clusters than moment conditions or collinear instruments; use fewer "
                    f"instruments or another cluster variable."
                ) from err
            if not fits[m].converged:
                warnings.warn(
                    f"occupation {occ_name!r}: the {METHOD_NAMES[m]} optimizer did not "
                    f"converge; the estimate may not be the minimum",
                    EstimationWarning,
                    stacklevel=2,
                )
        notes = {note for fit in fits.values() for note in fit.notes}
        if iv_methods:
            kp = iv.kleibergen_paap_f(data.X, data.Z, data.clusters, data.absorbed, notes)
            sw = iv.sanderson_windmeijer_f(data.X, data.Z, data.clusters, data.absorbed, notes)
            r2 = iv.partial_r2(data.X, data.Z)
        else:
            kp, sw, r2 = np.nan, np.full(n_endog, np.nan), np.full(n_endog, np.nan)
        for note in sorted(notes):
            warnings.warn(f"occupation {occ_name!r}: {note}", EstimationWarning, stacklevel=2)
        results.append((fits, data, kp, sw, r2))

    def stack(getter) -> np.ndarray:
        return np.array([[getter(r[0][m]) for r in results] for m in methods])

    n_instruments = len(spec.instruments)
    return ExternalityEstimates(
        method=method,
        methods=methods,
        occupations=tuple(spec.occupations),
        estimates=stack(lambda f: f.params),
        covariance=stack(lambda f: f.cov),
        hansen_j=stack(lambda f: f.j_stat if f.method != "ols" else np.nan),
        hansen_j_df=max(n_instruments - n_endog, 0) if iv_methods else 0,
        converged=stack(lambda f: f.converged),
        kappa=stack(lambda f: f.kappa),
        nobs=np.array([r[1].nobs for r in results]),
        absorbed=np.array([r[1].absorbed for r in results]),
        n_clusters=np.array([r[1].n_clusters or (r[1].nobs,) for r in results]),
        kleibergen_paap_f=np.array([r[2] for r in results]),
        sanderson_windmeijer_f=np.array([r[3] for r in results]),
        partial_r2=np.array([r[4] for r in results]),
        instruments=tuple(t.name for t in spec.instruments),
        controls=tuple(t.name for t in spec.controls),
        fixed_effects=None if not spec.fe_terms else spec.fe_label,
        cluster=spec.cluster_names,
        weights=spec.weight_label,
        small_sample=small_sample,
        center=center,
    )


# -- resolving the options into per-occupation designs ---------------------------------------


@dataclass(frozen=True)
class _Spec:
    """The options of a call resolved against one model."""

    instruments: list[Term]
    controls: list[Term]
    fe_terms: tuple[tuple[str, ...], ...]
    fe_label: str
    fe_arrays: list[list[xr.DataArray]]
    cluster_names: tuple[str, ...]
    cluster_arrays: list[xr.DataArray]
    weights: xr.DataArray
    weight_label: str | None
    employment: xr.DataArray
    log_productivity: xr.DataArray
    log_share: xr.DataArray
    log_size: xr.DataArray
    occupations: list[str]
    labels: dict[str, object]
    industries: np.ndarray
    cities: np.ndarray


def _resolve(
    model: xr.Dataset,
    *,
    instruments: Sequence[str | xr.DataArray],
    controls: Sequence[str | xr.DataArray],
    fixed_effects: str | None,
    cluster: str | Sequence[str] | None,
    weights: str | xr.DataArray | None,
    occupations: Sequence[str] | None,
    solve_options: Mapping[str, object] | None,
    need_instruments: Sequence[str],
) -> _Spec:
    if isinstance(instruments, str | xr.DataArray):
        instruments = [instruments]
    if isinstance(controls, str | xr.DataArray):
        controls = [controls]
    cluster_names: tuple[str, ...] = (
        () if cluster is None else (cluster,) if isinstance(cluster, str) else tuple(cluster)
    )
    model = _single_economy(model)
    for name in ("productivity", "employment"):
        if name not in model:
            raise MissingVariableError(
                f"externalities needs {name!r}, which the model lacks; pass what "
                f"spatialocc.invert(data) returns."
            )
    instrument_terms: list[Term] = []
    for spec in instruments:
        if isinstance(spec, str) and spec == MODEL_IMPLIED:
            instrument_terms += _model_implied(model, dict(solve_options or {}))
        else:
            instrument_terms.append(_numeric(model, spec, "instrument"))
    n_endog = len(COEFFICIENTS)
    if need_instruments and len(instrument_terms) < n_endog:
        raise EstimationError(
            f"the IV methods {list(need_instruments)} need at least {n_endog} excluded "
            f"instruments for the {n_endog} endogenous regressors log(L[k,n]/L[n]) and "
            f"log L[n], found {len(instrument_terms)} ({[t.name for t in instrument_terms]}). "
            f"Add instruments (e.g. 'model_implied' or the defaults "
            f"{list(DEFAULT_INSTRUMENTS)}) or use method='ols', compare=()."
        )
    control_terms = [_numeric(model, spec, "control") for spec in controls]
    fe_terms = parse_fixed_effects(fixed_effects)
    if weights is None:
        weight_da, weight_label = xr.DataArray(1.0), None
    elif isinstance(weights, str) and weights == VALUE_ADDED_SHARE_SQUARED:
        if "value_added_share" not in model:
            raise MissingVariableError(
                "weights='value_added_share_squared' needs 'value_added_share' (γ[j,n]); "
                "pass what spatialocc.invert returns or weights=None"
            )
        weight_da = model["value_added_share"].astype(float).reset_coords(drop=True) ** 2
        weight_label = VALUE_ADDED_SHARE_SQUARED
    else:
        term = _numeric(model, weights, "weights")
        weight_da, weight_label = term.values, term.name
    employment = model["employment"].astype(float)
    residents = employment.sum("industry")
    total = residents.sum("occupation")
    all_occupations = [str(o) for o in model["occupation"].values]
    chosen = all_occupations if occupations is None else [str(o) for o in occupations]
    unknown = [o for o in chosen if o not in all_occupations]
    if unknown:
        raise MissingVariableError(
            f"occupations {unknown} are not in the model; expected some of {all_occupations}"
        )
    productivity = model["productivity"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return _Spec(
            instruments=instrument_terms,
            controls=control_terms,
            fe_terms=fe_terms,
            fe_label=" + ".join("^".join(t) for t in fe_terms) or "(intercept)",
            fe_arrays=[[_labels(model, f, "fixed effect") for f in term] for term in fe_terms],
            cluster_names=cluster_names,
            cluster_arrays=[_labels(model, c, "cluster") for c in cluster_names],
            weights=weight_da,
            weight_label=weight_label,
            employment=employment,
            log_productivity=np.log(productivity.where(productivity > 0)),
            log_share=np.log((residents / total).where(residents > 0)),
            log_size=np.log(total.where(total > 0)),
            occupations=chosen,
            labels={str(o): o for o in model["occupation"].values},
            industries=np.asarray(model["industry"].values),
            cities=np.asarray(model["city"].values),
        )


def _design(
    spec: _Spec,
    occupation: str,
    *,
    missing: Missing,
    drop_singletons: bool,
    tol: float,
    gmm: bool,
) -> tuple[Sample, Partialled]:
    _check_option("missing", missing, get_args(Missing))
    occ = spec.labels[occupation]
    grid = spec.employment.sel(occupation=occ).reset_coords(drop=True).transpose("industry", "city")
    mask = grid.values > 0
    jj, nn = np.nonzero(mask)

    def cells(da: xr.DataArray) -> np.ndarray:
        return _cells(da, occ, grid)[mask]

    def columns(terms: Sequence[Term]) -> np.ndarray:
        if not terms:
            return np.empty((int(mask.sum()), 0))
        return np.column_stack([cells(t.values) for t in terms])

    sample = Sample(
        occupation=occupation,
        industry=spec.industries[jj],
        city=spec.cities[nn],
        y=cells(spec.log_productivity),
        X=np.column_stack([cells(spec.log_share), cells(spec.log_size)]),
        Z=columns(spec.instruments),
        C=columns(spec.controls),
        weights=cells(spec.weights),
        fe=[_codes([cells(f) for f in term]) for term in spec.fe_arrays],
        clusters=[cells(c) for c in spec.cluster_arrays],
        names={
            "X": [REGRESSOR_LABELS[c] for c in COEFFICIENTS],
            "Z": [t.name for t in spec.instruments],
            "C": [t.name for t in spec.controls],
            "fe": ["^".join(t) for t in spec.fe_terms],
            "clusters": list(spec.cluster_names),
        },
    )
    sample = _check_missing(sample, missing)
    for i, name in enumerate(sample.names["Z"]):
        column = sample.Z[:, i]
        if column.size and np.ptp(column) == 0:
            raise EstimationError(
                f"occupation {occupation!r}: instrument {name!r} is constant (every cell "
                f"equals {column[0]:g}); a constant cannot move city size or composition. "
                f"Expected variation across cities; drop it."
            )
    if drop_singletons:
        sample = _drop_singletons(sample, sample.names["fe"])
    data = _partial_out(sample, spec.fe_label, tol)
    _check_clusters(sample, data.clusters, data.Z.shape[1], gmm=gmm)
    return sample, data


def design_matrices(
    model: xr.Dataset,
    occupation: str,
    *,
    instruments: Sequence[str | xr.DataArray] = DEFAULT_INSTRUMENTS,
    controls: Sequence[str | xr.DataArray] = (),
    fixed_effects: str | None = "division^industry",
    cluster: str | Sequence[str] | None = ("city", "industry"),
    weights: str | xr.DataArray | None = VALUE_ADDED_SHARE_SQUARED,
    missing: Missing = "raise",
    drop_singletons: bool = True,
    solve_options: Mapping[str, object] | None = None,
    tol: float = 1e-12,
) -> Partialled:
    """The arrays the estimators of :func:`externalities` see for one occupation.

    ``y`` (log λ), ``X`` (log(L[k,n]/L[n]), log L[n]) and ``Z`` (the instruments) after the
    fixed effects and controls are partialled out and every row is multiplied by
    √weight, with ``absorbed`` (parameters partialled out), ``clusters`` and ``nobs``: for
    checks against other software and for estimators of your own
    (:mod:`spatialocc.estimate.iv` takes these arrays). Options as for
    :func:`externalities`.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.estimate.externalities import design_matrices
    >>> data = spatialocc.datasets.synthetic(n_cities=30, n_industries=5, years=(2015,))
    >>> arrays = design_matrices(
    ...     spatialocc.invert(data), "CNR", fixed_effects="industry", cluster="city"
    ... )
    >>> arrays.X.shape[1], arrays.Z.shape[1]
    (2, 3)
    """
    spec = _resolve(
        model,
        instruments=instruments,
        controls=controls,
        fixed_effects=fixed_effects,
        cluster=cluster,
        weights=weights,
        occupations=[occupation],
        solve_options=solve_options,
        need_instruments=(),
    )
    return _design(
        spec, occupation, missing=missing, drop_singletons=drop_singletons, tol=tol, gmm=False
    )[1]
