"""The estimates of the externality elasticities (:class:`ExternalityEstimates`): the
headline and compared estimators, the first-stage diagnostics, the one-sided test of
τR > τL, Table 2 of the paper (:meth:`ExternalityEstimates.summary`) and the NetCDF form.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.special
import xarray as xr

from spatialocc.estimate import iv
from spatialocc.estimate.design import COEFFICIENTS, REGRESSOR_LABELS
from spatialocc.estimate.iv import METHOD_NAMES


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
            instrumented = iv.REGISTRY[method].instrumented
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
                    {
                        "long_name": "parameters counted in k besides the regressors: fixed "
                        "effects (as fe_dof counts them), controls and the intercept"
                    },
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


@dataclass(frozen=True, eq=False)
class FEIVResults:
    """The result of :func:`spatialocc.estimate.feiv`, immutable, with pyfixest's accessors.

    Coefficients are named as the formula's columns (endogenous regressors first, then the
    exogenous ones); ``df_t`` is the degrees of freedom of the t and F distributions
    (``inf``: normal and chi², without ``small``).
    """

    formula: str
    method: str
    names: tuple[str, ...]
    params: np.ndarray
    cov: np.ndarray
    vcov_type: str
    nobs: int
    df_resid: int
    df_t: float
    absorbed: int
    n_clusters: tuple[int, ...]
    j_stat: float
    j_df: int
    kp_f: float
    first_stage: pd.DataFrame
    kappa: float
    converged: bool
    resid: np.ndarray
    fixed_effects: tuple[str, ...]
    small: bool
    n_dropped: int
    notes: tuple[str, ...]

    def __post_init__(self) -> None:
        for name in ("params", "cov", "resid"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "first_stage", self.first_stage.copy())

    def _series(self, values: np.ndarray, name: str) -> pd.Series:
        return pd.Series(values, index=pd.Index(self.names, name="Coefficient"), name=name)

    def coef(self) -> pd.Series:
        """The estimates."""
        return self._series(self.params, "Estimate")

    def se(self) -> pd.Series:
        """Standard errors."""
        return self._series(np.sqrt(np.diagonal(self.cov)), "Std. Error")

    def tstat(self) -> pd.Series:
        """t (or z, without ``small``) statistics."""
        return self._series(self.params / np.sqrt(np.diagonal(self.cov)), "t value")

    def _dist(self):
        import scipy.stats

        return scipy.stats.norm if not np.isfinite(self.df_t) else scipy.stats.t(self.df_t)

    def pvalue(self) -> pd.Series:
        """Two-sided p-values (t with ``df_t`` degrees of freedom, or normal)."""
        return self._series(2 * self._dist().sf(np.abs(self.tstat().to_numpy())), "Pr(>|t|)")

    def confint(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals of level ``1 - alpha``."""
        half = self._dist().ppf(1 - alpha / 2) * self.se().to_numpy()
        lo, hi = f"{100 * alpha / 2:g}%", f"{100 * (1 - alpha / 2):g}%"
        return pd.DataFrame(
            {lo: self.params - half, hi: self.params + half},
            index=pd.Index(self.names, name="Coefficient"),
        )

    @property
    def vcov(self) -> pd.DataFrame:
        """The covariance of the estimates."""
        return pd.DataFrame(np.array(self.cov), index=list(self.names), columns=list(self.names))

    @property
    def sw_f(self) -> pd.Series:
        """Sanderson-Windmeijer conditional first-stage F of each endogenous regressor."""
        return self.first_stage["sw_f"].copy() if "sw_f" in self.first_stage else pd.Series()

    @property
    def partial_r2(self) -> pd.Series:
        """First-stage partial R² of each endogenous regressor."""
        return (
            self.first_stage["partial_r2"].copy()
            if "partial_r2" in self.first_stage
            else pd.Series()
        )

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """Estimate, standard error, t, p-value and confidence interval per coefficient."""
        return pd.concat(
            [self.coef(), self.se(), self.tstat(), self.pvalue(), self.confint(alpha)], axis=1
        )

    def summary(self) -> str:
        """A plain-text table of the estimates and the diagnostics."""
        lines = [
            f"{METHOD_NAMES[self.method]}: {self.formula}",
            f"Observations: {self.nobs}   Inference: {self.vcov_type}"
            + (f"   Clusters: {', '.join(map(str, self.n_clusters))}" if self.n_clusters else "")
            + f"   Fixed effects: {' + '.join(self.fixed_effects) or 'none'}",
            "",
            self.tidy().to_string(float_format=lambda v: f"{v:.4f}"),
        ]
        if np.isfinite(self.kp_f):
            lines += ["", f"Kleibergen-Paap rk Wald F: {self.kp_f:.3f}"]
        if np.isfinite(self.j_stat):
            p = scipy.special.chdtrc(self.j_df, self.j_stat)
            lines.append(f"Hansen J: {self.j_stat:.3f} (df {self.j_df}, p = {p:.3f})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()
