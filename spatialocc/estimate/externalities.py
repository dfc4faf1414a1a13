"""Fixed-effect IV estimation of the externality elasticities (MODEL.md section 3b, Table 2).

The regression, one per occupation k, on every (j, n) with L[k,j,n] > 0, is equation (6):

    log λ[k,j,n] = τR[k] log(L[k,n]/L[n]) + τL[k] log L[n] + controls + fixed effects + u,

weighted by γ[j,n]² (footnote 15 multiplies both sides by γ[j,n]). The fixed effects are
absorbed with pyfixest's weighted alternating-projection demeaning (Frisch-Waugh-Lovell),
the controls are partialled out after them, and the IV estimators of
:mod:`spatialocc.estimate.iv` run on the partialled data; the number of absorbed parameters
enters every small-sample correction.

This module is the public entry point, :func:`externalities`; the design of the regression
is in :mod:`spatialocc.estimate.design`, the estimates in :mod:`spatialocc.estimate.results`
and the estimators in :mod:`spatialocc.estimate.iv`. The names they define are importable
from here too.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import get_args

import numpy as np
import xarray as xr

from spatialocc.estimate.design import (
    CELL_DIMS,
    COEFFICIENTS,
    DEFAULT_INSTRUMENTS,
    MODEL_IMPLIED,
    REGRESSOR_LABELS,
    VALUE_ADDED_SHARE_SQUARED,
    FixedEffectDof,
    Missing,
    Partialled,
    Sample,
    Term,
    _design,
    _resolve,
    _single_economy,  # noqa: F401 (spatialocc.reports.tables imports it from here)
    design_matrices,
)
from spatialocc.estimate.errors import EstimationError, EstimationWarning, _check_option
from spatialocc.estimate.feiv import first_stage, fit_arrays
from spatialocc.estimate.iv import METHOD_NAMES, METHODS, REGISTRY, Method
from spatialocc.estimate.regression import (
    FE_DOF,
    INSTALL_HINT,
    fixed_effect_rank,
    parse_fixed_effects,
)
from spatialocc.estimate.results import ExternalityEstimates

__all__ = [
    "CELL_DIMS",
    "COEFFICIENTS",
    "DEFAULT_INSTRUMENTS",
    "INSTALL_HINT",
    "METHOD_NAMES",
    "METHOD_ORDER",
    "MODEL_IMPLIED",
    "REGRESSOR_LABELS",
    "VALUE_ADDED_SHARE_SQUARED",
    "EstimationError",
    "EstimationWarning",
    "ExternalityEstimates",
    "Method",
    "Missing",
    "Partialled",
    "Sample",
    "Term",
    "design_matrices",
    "externalities",
    "fixed_effect_rank",
    "parse_fixed_effects",
]

#: Order of the methods in tables (the order of :data:`spatialocc.estimate.iv.REGISTRY`).
METHOD_ORDER: tuple[str, ...] = METHODS


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
    fe_dof: FixedEffectDof = "nested",
) -> ExternalityEstimates:
    """Estimate the externality elasticities τR[k] and τL[k] of equation (6) (Table 2).

    One regression per occupation k on every (industry j, city n) with L[k,j,n] > 0: the
    dependent variable is log λ[k,j,n] (``productivity``, from :func:`spatialocc.invert`), the
    endogenous regressors log(L[k,n]/L[n]) and log L[n] (from ``employment``), the fixed
    effects census division × industry by default. The fixed effects are absorbed with
    pyfixest's weighted demeaning (Frisch-Waugh-Lovell); the controls (and the intercept
    without fixed effects) are exogenous regressors of the full design. 2SLS, LIML and
    two-step GMM are then exactly the estimators with the dummies included; GMM-CUE
    minimizes the CUE objective of the moments with the fixed effects partialled (as
    ``ivreg2``'s ``partial()`` and ``ivreghdfe`` do) **[choice]**. This is the same code
    as the generic :func:`spatialocc.estimate.feiv`.

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
        Exogenous regressors, given like ``instruments``; they stay in the design as their
        own instruments (``ivregress``'s full design), the fixed effects are partialled.
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
        robust ones by ``n/(n-k)``), ``k`` counting the regressors, the controls, the
        intercept and the absorbed fixed effects as ``fe_dof`` says. The KP and SW F
        statistics are always scaled as ``ivreg2`` scales them.
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
    fe_dof
        How absorbed fixed effects count in ``k``: ``"nested"`` (default, ``reghdfe``'s
        convention: terms nested in a cluster variable, such as division × industry within
        industry clusters, are not counted, the intercept they contain once) or ``"all"``
        (the rank of all their dummies, as if they were included).

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
    _check_option("method", method, METHODS)
    for m in compare:
        _check_option("compare", m, METHODS)
    _check_option("missing", missing, get_args(Missing))
    _check_option("fe_dof", fe_dof, FE_DOF)
    methods = tuple(m for m in METHODS if m == method or m in compare)
    iv_methods = [m for m in methods if REGISTRY[m].instrumented]
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
            gmm=any(REGISTRY[m].weight_matrix for m in methods),
            fe_dof=fe_dof,
        )
        fits = {}
        for m in methods:
            fits[m] = fit_arrays(
                data, m, small=small_sample, center=center, context=f"occupation {occ_name!r}, "
            )
            if not fits[m].converged:
                warnings.warn(
                    f"occupation {occ_name!r}: the {METHOD_NAMES[m]} optimizer did not "
                    f"converge; the estimate may not be the minimum",
                    EstimationWarning,
                    stacklevel=2,
                )
        notes = {note for fit in fits.values() for note in fit.notes}
        if iv_methods:
            diagnostics = first_stage(data, notes)
            kp, sw, r2 = diagnostics.kp_f, diagnostics.sw_f, diagnostics.partial_r2
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
        estimates=stack(lambda f: f.params[:n_endog]),
        covariance=stack(lambda f: f.cov[:n_endog, :n_endog]),
        hansen_j=stack(lambda f: f.j_stat if REGISTRY[f.method].instrumented else np.nan),
        hansen_j_df=max(n_instruments - n_endog, 0) if iv_methods else 0,
        converged=stack(lambda f: f.converged),
        kappa=stack(lambda f: f.kappa),
        nobs=np.array([r[1].nobs for r in results]),
        absorbed=np.array([r[1].absorbed + r[1].exog for r in results]),
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
