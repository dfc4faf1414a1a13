"""Fixed-effect IV regression from a formula: :func:`feiv`.

Several endogenous regressors, high-dimensional fixed effects absorbed by pyfixest's
demeaning, multiway clustering, and 2SLS, LIML, two-step GMM and GMM-CUE with Stata's
conventions (``ivregress``, ``ivreg2``, ``reghdfe``), on a pandas DataFrame or an xarray
Dataset. The formula is pyfixest's::

    "y ~ exog | fe1^fe2 + fe3 | endog1 + endog2 ~ z1 + z2 + z3"

The regression goes through :func:`spatialocc.estimate.regression.prepare` and the kernels of
:mod:`spatialocc.estimate.iv`, the same code as the externality regression.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from spatialocc.estimate import iv, regression
from spatialocc.estimate.errors import EstimationError, EstimationWarning, _check_option
from spatialocc.estimate.regression import FE_DOF, FixedEffectDof
from spatialocc.estimate.results import FEIVResults

__all__ = ["FirstStage", "feiv", "first_stage", "fit_arrays", "parse_formula"]

#: The vcov spellings for heteroskedasticity-robust inference (pyfixest's and Stata's).
HETERO_NAMES = ("hetero", "HC1", "robust")


@dataclass(frozen=True)
class Formula:
    """The parts of a pyfixest formula."""

    depvar: str
    exog: str
    fixed_effects: tuple[tuple[str, ...], ...]
    endog: str | None
    instruments: str | None

    @property
    def fe_label(self) -> str:
        return " + ".join("^".join(t) for t in self.fixed_effects)


def parse_formula(fml: str) -> Formula:
    """Split ``"y ~ exog | fe | endog ~ z"`` into its parts; the fixed-effect and IV parts
    are optional (an IV part is the one that contains ``~``)."""
    if not isinstance(fml, str) or fml.count("~") not in (1, 2):
        raise ValueError(
            f"formula {fml!r}: expected pyfixest's syntax 'y ~ exog | fe1^fe2 + fe3 | "
            f"endog ~ instruments' (the fixed-effect and IV parts optional)"
        )
    parts = [p.strip() for p in fml.split("|")]
    if len(parts) > 3 or "~" not in parts[0]:
        raise ValueError(
            f"formula {fml!r}: expected at most three parts separated by '|', the first "
            f"'y ~ exog', e.g. 'y ~ x | fe | endog ~ z'"
        )
    depvar, exog = (s.strip() for s in parts[0].split("~"))
    fe, endog, instruments = "", None, None
    for part in parts[1:]:
        if "~" in part:
            endog, instruments = (s.strip() for s in part.split("~"))
            if not endog or not instruments:
                raise ValueError(f"formula {fml!r}: the IV part needs 'endog ~ instruments'")
        elif endog is None and not fe:
            fe = part
        else:
            raise ValueError(
                f"formula {fml!r}: the fixed effects come before the IV part, each once"
            )
    if not depvar:
        raise ValueError(f"formula {fml!r}: no dependent variable before '~'")
    return Formula(
        depvar, exog or "1", regression.parse_fixed_effects(fe or None), endog, instruments
    )


def _columns(formula: str, data: pd.DataFrame, what: str) -> pd.DataFrame:
    from formulaic import model_matrix

    try:
        return pd.DataFrame(model_matrix(formula, data, na_action="ignore"))
    except Exception as err:  # formulaic raises several types for unknown names
        raise EstimationError(
            f"cannot build the {what} from {formula!r}: {err}. Available columns: "
            f"{sorted(map(str, data.columns))}"
        ) from err


def _frame(data: pd.DataFrame | xr.Dataset) -> pd.DataFrame:
    if isinstance(data, xr.Dataset):
        return data.to_dataframe().reset_index()
    if isinstance(data, xr.DataArray):
        return data.to_dataframe().reset_index()
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame or an xarray Dataset, got {type(data)}")
    return data.reset_index(drop=True)


def _vcov(vcov: str | Mapping[str, str] | None, formula: Formula) -> tuple[str, tuple[str, ...]]:
    """The covariance type ("iid", "hetero", "CRV1") and the cluster variables."""
    if vcov is None:  # pyfixest's default
        if formula.fixed_effects:
            return "CRV1", ("^".join(formula.fixed_effects[0]),)
        return "iid", ()
    if isinstance(vcov, str):
        if vcov == "iid":
            return "iid", ()
        if vcov in HETERO_NAMES:
            return "hetero", ()
    elif isinstance(vcov, Mapping) and len(vcov) == 1 and "CRV1" in vcov:
        names = tuple(c.strip() for c in str(vcov["CRV1"]).split("+"))
        if all(names):
            return "CRV1", names
    raise ValueError(
        f"vcov {vcov!r}: expected 'iid', 'hetero' (or 'HC1', 'robust') or "
        f"{{'CRV1': 'a'}} / {{'CRV1': 'a+b'}} for one- or multiway clustering"
    )


@dataclass(frozen=True)
class FirstStage:
    """First-stage diagnostics of one regression (they do not depend on the IV estimator):
    the Kleibergen-Paap rk Wald F, the Sanderson-Windmeijer F and the partial R² of each
    endogenous regressor, and the coefficients of the excluded instruments (q, p)."""

    kp_f: float
    sw_f: np.ndarray
    partial_r2: np.ndarray
    coefficients: np.ndarray


def fit_arrays(
    arrays: regression.Arrays, method: str, *, small: bool, center: bool, context: str = ""
) -> iv.IVFit:
    """Run the estimator ``method`` on prepared arrays: the one route from a design to
    estimates, for :func:`feiv` and the externality regression."""
    try:
        return iv.ESTIMATORS[method](
            arrays.y,
            arrays.X,
            arrays.Z,
            arrays.clusters,
            small_sample=small,
            absorbed=arrays.absorbed,
            center=center,
            weights=arrays.weights,
            exog=arrays.exog,
        )
    except np.linalg.LinAlgError as err:
        raise EstimationError(
            f"{context}method {method!r}: {err}. This happens with fewer clusters than "
            f"moment conditions or collinear instruments; use fewer instruments or another "
            f"cluster variable."
        ) from err


def first_stage(arrays: regression.Arrays, notes: set[str] | None = None) -> FirstStage:
    """The first-stage diagnostics of prepared arrays, with the exogenous regressors
    partialled out and ``ivreg2``'s scale."""
    X1, Z1, c = arrays.first_stage()
    coefficients = np.linalg.lstsq(arrays.Z, arrays.X[:, : arrays.n_endog], rcond=None)[0]
    return FirstStage(
        kp_f=float(iv.kleibergen_paap_f(X1, Z1, arrays.clusters, c, notes)),
        sw_f=iv.sanderson_windmeijer_f(X1, Z1, arrays.clusters, c, notes),
        partial_r2=iv.partial_r2(X1, Z1),
        coefficients=coefficients[: Z1.shape[1]],
    )


def feiv(
    fml: str,
    data: pd.DataFrame | xr.Dataset,
    *,
    method: str | None = None,
    vcov: str | Mapping[str, str] | None = None,
    weights: str | None = None,
    small: bool = True,
    center: bool = False,
    fe_dof: FixedEffectDof = "nested",
    drop_singletons: bool = True,
    tol: float = 1e-12,
) -> FEIVResults:
    """Linear IV (or OLS) regression with absorbed fixed effects from a pyfixest formula.

    Parameters
    ----------
    fml
        ``"y ~ exog | fe1^fe2 + fe3 | endog1 + endog2 ~ z1 + z2"``: the exogenous part is a
        formulaic (patsy-like) expression (``x + C(region) + np.log(w)``; ``0 +`` drops the
        intercept); fixed effects are columns joined by ``+`` (terms) and ``^``
        (interactions); the IV part lists the endogenous regressors and the excluded
        instruments (exogenous regressors are their own instruments). Without an IV part
        the model is OLS.
    data
        A DataFrame, or an xarray Dataset (flattened with ``to_dataframe().reset_index()``,
        so coordinates can be fixed effects or clusters). Rows with a missing value in any
        variable the model uses are dropped, with a warning.
    method
        ``"2sls"`` (default with an IV part), ``"liml"``, ``"gmm"`` (two-step efficient,
        weight matrix of the same type as ``vcov``, as ``ivregress gmm, wmatrix()``),
        ``"cue"`` or ``"ols"`` (default without one).
    vcov
        ``"iid"`` (Stata's ``unadjusted``), ``"hetero"`` (``"HC1"``, ``"robust"``), or
        ``{"CRV1": "a"}`` / ``{"CRV1": "a+b"}`` for one- or multiway clustering (``a^b``
        clusters on an interaction). Default as pyfixest: clustered by the first
        fixed-effect term with fixed effects, ``"iid"`` without.
    weights
        A column of analytic weights (Stata's ``aweight``; normalized to mean one).
    small
        Small-sample corrections (Stata's ``small``): ``n/(n-k)`` for iid and robust,
        ``G/(G-1) (n-1)/(n-k)`` per cluster term, and t and F distributions with ``n - k``
        (``min G - 1`` when clustered) degrees of freedom; otherwise normal and chi².
    center
        Center the moments in the GMM/CUE weight matrix and covariance (Stata's
        ``center``).
    fe_dof
        ``"nested"`` (default, ``reghdfe``): fixed effects nested in a cluster variable do
        not count in ``k``; ``"all"``: every absorbed dummy does.
    drop_singletons
        Drop observations alone in a fixed-effect group (``reghdfe``'s default).
    tol
        Relative tolerance of the iterative demeaning (several crossed fixed effects).

    Returns
    -------
    FEIVResults
        Immutable, with ``coef()``, ``se()``, ``tstat()``, ``pvalue()``, ``confint()``,
        ``vcov``, ``tidy()``, ``summary()``, ``j_stat``, ``kp_f``, ``sw_f``,
        ``first_stage``, ``nobs``, ``df_resid``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from spatialocc.estimate import feiv
    >>> rng = np.random.default_rng(0)
    >>> n = 2_000
    >>> df = pd.DataFrame({"firm": rng.integers(0, 50, n), "year": rng.integers(0, 8, n)})
    >>> df["z1"], df["z2"], df["w"] = rng.standard_normal((3, n))
    >>> u = rng.standard_normal(n)
    >>> df["x"] = df.z1 + 0.5 * df.z2 + 0.8 * u + rng.standard_normal(n)
    >>> df["y"] = 2.0 * df.x + 0.5 * df.w + df.firm % 7 + u
    >>> fit = feiv("y ~ w | firm + year | x ~ z1 + z2", df, vcov={"CRV1": "firm"})
    >>> fit.coef().round(1).to_dict()
    {'x': 2.0, 'w': 0.5}
    >>> bool(fit.kp_f > 100), fit.nobs
    (True, 2000)
    """
    formula = parse_formula(fml)
    kind, cluster_names = _vcov(vcov, formula)
    if method is None:
        method = "2sls" if formula.endog else "ols"
    _check_option("method", method, iv.METHODS)
    _check_option("fe_dof", fe_dof, FE_DOF)
    instrumented = iv.REGISTRY[method].instrumented
    if instrumented and formula.endog is None:
        raise EstimationError(
            f"method {method!r} needs an IV part 'endog ~ instruments' in the formula "
            f"{fml!r}; use method='ols' for a regression without instruments"
        )
    frame = _frame(data)
    lhs = _columns(f"0 + {formula.depvar}", frame, "dependent variable")
    if lhs.shape[1] != 1:
        raise EstimationError(
            f"the dependent variable {formula.depvar!r} gives {lhs.shape[1]} columns; expected one"
        )
    rhs = formula.exog if not formula.fixed_effects else f"{formula.exog} - 1"
    exog = _columns(rhs, frame, "exogenous regressors")
    endog = (
        _columns(f"0 + {formula.endog}", frame, "endogenous regressors") if formula.endog else None
    )
    if endog is None:
        endog = exog.iloc[:, :0]
    if formula.instruments:
        full = _columns(f"1 + {formula.exog} + {formula.instruments}", frame, "instruments")
        instruments = full[[c for c in full.columns if c not in exog.columns and c != "Intercept"]]
    else:
        instruments = exog.iloc[:, :0]
    if not instrumented:  # OLS: the endogenous regressors are regressors, no instruments
        instruments = exog.iloc[:, :0]
    if instrumented and instruments.shape[1] < endog.shape[1]:
        raise EstimationError(
            f"{endog.shape[1]} endogenous regressors {list(endog.columns)} need at least as "
            f"many excluded instruments, found {instruments.shape[1]} "
            f"({list(instruments.columns)})"
        )
    group_names = ["^".join(t) for t in formula.fixed_effects]
    groups = []
    for term in (*formula.fixed_effects, *(tuple(c.split("^")) for c in cluster_names)):
        missing = [f for f in term if f.strip() not in frame.columns]
        if missing:
            raise EstimationError(
                f"fixed effect or cluster variable {missing} is not a column of the data; "
                f"available: {sorted(map(str, frame.columns))}"
            )
        groups.append(regression._codes([frame[f.strip()].to_numpy() for f in term]))
    w = None
    if weights is not None:
        if weights not in frame.columns:
            raise EstimationError(f"weights {weights!r} is not a column of the data")
        w = frame[weights].to_numpy(dtype=float)
    used = [lhs, exog, endog, instruments]
    bad = np.zeros(len(frame), dtype=bool)
    for block in used:
        bad |= ~np.isfinite(block.to_numpy(dtype=float)).all(axis=1)
    for g in groups:
        bad |= np.isnan(g)
    if w is not None:
        bad |= ~np.isfinite(w)
    if bad.any():
        warnings.warn(
            f"dropped {int(bad.sum())} of {len(frame)} rows with missing values",
            EstimationWarning,
            stacklevel=2,
        )
    keep = ~bad
    fe = [g[keep].astype(np.int64) for g in groups[: len(formula.fixed_effects)]]
    cl = [g[keep].astype(np.int64) for g in groups[len(formula.fixed_effects) :]]
    arrays = [b.to_numpy(dtype=float)[keep] for b in used]
    w = None if w is None else w[keep]
    n_singletons = 0
    if drop_singletons and fe:
        lone = regression.singletons(fe)
        n_singletons = int(lone.sum())
        if n_singletons:
            warnings.warn(
                f"{n_singletons} observation(s) alone in their fixed-effect group "
                f"({formula.fe_label}) were dropped (fitted exactly, no information)",
                EstimationWarning,
                stacklevel=2,
            )
            fe, cl = [c[~lone] for c in fe], [c[~lone] for c in cl]
            arrays = [a[~lone] for a in arrays]
            w = None if w is None else w[~lone]
    y, X_exog, X_endog, Z = arrays
    if kind == "CRV1":
        clusters: list[np.ndarray] | iv.Clusters = cl
    else:
        clusters = iv.IID if kind == "iid" else iv.HETERO
    if not instrumented:
        X_endog, X_exog = np.column_stack([X_endog, X_exog]), np.empty((len(y), 0))
    names = {
        "endog": list(endog.columns) + ([] if instrumented else list(exog.columns)),
        "exog": [] if not instrumented else list(exog.columns),
        "instruments": list(instruments.columns),
    }
    prepared = regression.prepare(
        y[:, 0],
        X_endog,
        X_exog,
        Z,
        names=names,
        weights=w,
        fe=fe,
        clusters=clusters,
        fe_dof=fe_dof,
        fe_label=formula.fe_label,
        tol=tol,
    )
    if kind == "CRV1":
        regression.check_clusters(
            prepared,
            cl,
            cluster_names,
            gmm=iv.REGISTRY[method].weight_matrix,
            advice="use vcov='hetero'",
        )
    fit = fit_arrays(prepared, method, small=small, center=center)
    notes = set(fit.notes)
    if instrumented:
        diagnostics = first_stage(prepared, notes)
        kp = diagnostics.kp_f
        first_stage_table = pd.DataFrame(
            diagnostics.coefficients.T,
            index=list(endog.columns),
            columns=list(instruments.columns),
        ).assign(partial_r2=diagnostics.partial_r2, sw_f=diagnostics.sw_f)
    else:
        kp, first_stage_table = np.nan, pd.DataFrame()
    for note in sorted(notes):
        warnings.warn(note, EstimationWarning, stacklevel=2)
    if not fit.converged:
        warnings.warn(
            f"the {iv.METHOD_NAMES[method]} optimizer did not converge; the estimate may not "
            f"be the minimum",
            EstimationWarning,
            stacklevel=2,
        )
    df_t = (
        (min(prepared.n_clusters) - 1 if kind == "CRV1" else prepared.df_resid) if small else np.inf
    )
    return FEIVResults(
        formula=fml,
        method=method,
        names=prepared.names,
        params=fit.params,
        cov=fit.cov,
        vcov_type=kind if kind != "CRV1" else f"CRV1 ({'+'.join(cluster_names)})",
        nobs=prepared.nobs,
        df_resid=prepared.df_resid,
        df_t=df_t,
        absorbed=prepared.absorbed,
        n_clusters=prepared.n_clusters,
        j_stat=fit.j_stat,
        j_df=fit.j_df,
        kp_f=float(kp),
        first_stage=first_stage_table,
        kappa=fit.kappa,
        converged=fit.converged,
        resid=fit.resid,
        fixed_effects=tuple(group_names),
        small=small,
        n_dropped=int(bad.sum()) + n_singletons,
        notes=tuple(sorted(notes)),
    )
