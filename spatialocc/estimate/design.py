"""From a model Dataset to the arrays the estimators see: the design of equation (6).

One regression per occupation k on every (j, n) with L[k,j,n] > 0 (MODEL.md section 3b):

* the terms: variables and coordinates named by the options (``"log(name)"`` for a log),
  looked up on (a subset of) occupation, industry and city, and the model-implied
  instruments;
* the fixed effects (pyfixest's ``"division^industry + city"`` notation) and the rank of
  their dummies;
* the sample of one occupation: its cells, missing values, singletons;
* the partialling: the fixed effects absorbed by pyfixest's weighted alternating-projection
  demeaning (Frisch-Waugh-Lovell), the controls partialled out after them, every row times
  √weight, with the number of absorbed parameters for the small-sample corrections;
* the checks of the cluster variables.

:func:`design_matrices` returns the arrays of one occupation.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import pandas as pd
import xarray as xr

from spatialocc.dims.errors import DimensionError, MissingVariableError
from spatialocc.estimate import iv, regression
from spatialocc.estimate.errors import EstimationError, EstimationWarning, _check_option
from spatialocc.estimate.regression import (
    FixedEffectDof,
    _codes,
    parse_fixed_effects,
)

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

Missing = Literal["raise", "drop"]
CELL_DIMS = ("occupation", "industry", "city")


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
    lone = regression.singletons([pd.factorize(c)[0] for c in sample.fe])
    if lone.any():
        warnings.warn(
            f"occupation {sample.occupation!r}: {int(lone.sum())} observation(s) are alone in "
            f"their fixed-effect group ({' + '.join(fe_names)}) and were dropped (they are "
            f"fitted exactly and carry no information; keeping them would only inflate the "
            f"degrees of freedom), e.g. {sample.where(lone)}",
            EstimationWarning,
            stacklevel=4,
        )
    return sample.subset(~lone)


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

#: The arrays of one occupation's regression (:class:`spatialocc.estimate.regression.Arrays`).
Partialled = regression.Arrays


def _arrays(sample: Sample, spec: _Spec, *, fe_dof: FixedEffectDof, tol: float, gmm: bool):
    """The regression of one occupation through the generic core that :func:`feiv` uses:
    controls (and the intercept without fixed effects) are exogenous regressors."""
    context = f"occupation {sample.occupation!r}: "
    exog, exog_names = sample.C, list(sample.names["C"])
    if not sample.fe:
        exog, exog_names = np.column_stack([exog, np.ones(len(sample.y))]), [*exog_names, "1"]
    cluster_codes = [pd.factorize(c)[0] for c in sample.clusters]
    arrays = regression.prepare(
        sample.y,
        sample.X,
        exog,
        sample.Z,
        names={"endog": sample.names["X"], "exog": exog_names, "instruments": sample.names["Z"]},
        weights=sample.weights,
        fe=sample.fe,
        clusters=cluster_codes if cluster_codes else iv.HETERO,
        fe_dof=fe_dof,
        fe_label=spec.fe_label,
        context=context,
        tol=tol,
    )
    regression.check_clusters(
        arrays, cluster_codes, sample.names["clusters"], gmm=gmm, context=context
    )
    return arrays


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
    fe_dof: FixedEffectDof = "nested",
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
    return sample, _arrays(sample, spec, fe_dof=fe_dof, tol=tol, gmm=gmm)


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
    fe_dof: FixedEffectDof = "nested",
) -> Partialled:
    """The arrays the estimators of :func:`externalities` see for one occupation.

    ``y`` (log λ), ``X`` (log(L[k,n]/L[n]), log L[n], then the controls and, without fixed
    effects, the intercept) and ``Z`` (the instruments, then the same exogenous columns)
    after the fixed effects are partialled out and every row is multiplied by √weight, with
    ``exog`` (the number of exogenous columns), ``absorbed`` (fixed-effect parameters counted
    in the degrees of freedom), ``clusters`` and ``nobs``: for checks against other
    software and for estimators of your own (:mod:`spatialocc.estimate.iv` takes these
    arrays). Options as for :func:`externalities`.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.estimate.design import design_matrices
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
        spec,
        occupation,
        missing=missing,
        drop_singletons=drop_singletons,
        tol=tol,
        gmm=False,
        fe_dof=fe_dof,
    )[1]
