"""Economies simulated by the model at known externalities, for Monte Carlo checks of the
estimators (MODEL.md section 6: "estimation recovers known τ ... and OLS is biased the way
Table A8 of the paper describes when sorting is present").

Design of one draw, on a base model (an inverted synthetic economy):

* exogenous productivity ``log λ̂[k,j,n] = m[k,j] + u[k,n] + e[k,j,n]``, with ``m[k,j]`` the
  base model's cross-city mean of log λ̂ (so industries keep their national technology), a
  city-occupation productivity shock ``u ~ N(0, productivity_shock²)`` and an idiosyncratic
  ``e ~ N(0, idiosyncratic_shock²)``;
* amenities ``log A[k,n] = log A_base[k,n] + π[k]·z[n] + sorting u[k,n] + ξ[k,n]``, with
  ``ξ ~ N(0, amenity_shock²)``: with ``sorting < 0`` workers crowd into pleasant but less
  productive cities (compensating differentials), the sorting that biases OLS;
* three city-level instruments ``z[n] ~ N(0, 1)``, independent of λ̂, that shift amenities
  only: ``instrument_size`` moves every occupation (size), ``instrument_composition`` moves
  the first occupation up and the others down (composition), ``instrument_first`` moves the
  first occupation only (over-identification), with loadings ``instrument_strength`` (in
  that order);
* the equilibrium at the true τ is solved with :func:`spatialocc.solve_equilibrium`; its
  ``productivity`` λ = λ̂ (L[k,n]/L[n])^τR L[n]^τL is the dependent variable. (Inverting the
  simulated data instead recovers λ up to one constant per industry, which the industry
  fixed effects absorb, for tradable industries; for non-tradables, whose input shares
  differ across cities, the per-industry normalization of tradable prices leaves a
  city-specific factor, so the simulation uses the model's own λ. ``tests/test_estimate.py``
  checks both statements once.)
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from spatialocc import paper
from spatialocc.estimate.externalities import COEFFICIENTS, externalities
from spatialocc.estimate.iv import METHODS

#: The paper's GMM-CUE estimates (Table 2, column 3), the default truth.
PAPER_CUE: dict[str, dict[str, float]] = paper.TAU
INSTRUMENTS: tuple[str, ...] = (
    "instrument_size",
    "instrument_composition",
    "instrument_first",
)
#: The estimators compared by default: every one but two-step GMM, in the order of the
#: tables, the last (GMM-CUE) the headline.
DEFAULT_METHODS: tuple[str, ...] = tuple(m for m in METHODS if m != "gmm")


def base_model(
    n_cities: int = 200, n_industries: int = 8, seed: int = 0, tau: Mapping = PAPER_CUE
) -> xr.Dataset:
    """An inverted synthetic economy (one year) with ``tau``, the base of the simulations.

    Examples
    --------
    >>> from spatialocc.estimate.montecarlo import base_model
    >>> base = base_model(n_cities=10, n_industries=4)
    >>> float(base["tau_share"].sel(occupation="CNR"))
    1.304
    """
    import spatialocc

    data = spatialocc.datasets.synthetic(
        n_cities=n_cities, n_industries=n_industries, years=(2015,), seed=seed
    )
    model = spatialocc.invert(data).squeeze("year", drop=True)
    return spatialocc.with_externalities(model, **tau)


def simulate_economy(
    base: xr.Dataset,
    *,
    seed: int | np.random.Generator,
    productivity_shock: float = 0.1,
    idiosyncratic_shock: float = 0.1,
    amenity_shock: float = 0.05,
    sorting: float = -1.5,
    instrument_strength: tuple[float, float, float] = (0.8, 0.15, 0.15),
    solve_options: Mapping[str, object] | None = None,
) -> xr.Dataset:
    """One economy drawn as the module docstring describes, solved at the base's τ.

    Returns the equilibrium Dataset (a model: ``productivity``, ``employment``, ...) with
    the instruments ``instrument_size``, ``instrument_composition``, ``instrument_first``
    (city) and the true shocks ``productivity_shock`` u[k,n] added.

    Examples
    --------
    >>> from spatialocc.estimate.montecarlo import base_model, simulate_economy
    >>> economy = simulate_economy(base_model(n_cities=10, n_industries=4), seed=1)
    >>> bool(economy["converged"])
    True
    """
    from spatialocc.solvers.equilibrium import solve_equilibrium

    rng = np.random.default_rng(seed)
    occupations = base["occupation"].values
    K, N = base.sizes["occupation"], base.sizes["city"]
    lam_hat = base["productivity_exogenous"].transpose("occupation", "industry", "city")
    positive = lam_hat.values > 0
    with np.errstate(divide="ignore"):
        log_lam = np.where(positive, np.log(np.where(positive, lam_hat.values, 1.0)), np.nan)
    national = np.nanmean(log_lam, axis=2)
    z = rng.standard_normal((3, N))
    u = productivity_shock * rng.standard_normal((K, N))
    e = idiosyncratic_shock * rng.standard_normal(lam_hat.shape)
    xi = amenity_shock * rng.standard_normal((K, N))
    first = np.arange(K) == 0
    loadings = np.column_stack(
        [np.ones(K), np.where(first, 1.0, -1.0), first.astype(float)]
    ) * np.asarray(instrument_strength, dtype=float)
    new_log_lam = national[:, :, None] + u[:, None, :] + e
    amenity = base["amenity"].transpose("occupation", "city")
    log_amenity = np.log(amenity.values) + loadings @ z + sorting * u + xi
    model = base.assign(
        productivity_exogenous=(
            lam_hat.dims,
            np.where(positive, np.exp(np.where(positive, new_log_lam, 0.0)), 0.0),
        ),
        amenity=(amenity.dims, np.exp(log_amenity)),
    )
    solution = solve_equilibrium(model, **dict(solve_options or {}))
    return solution.assign(
        {name: ("city", z[i]) for i, name in enumerate(INSTRUMENTS)}
        | {"productivity_shock": (("occupation", "city"), u)}
    ).assign_coords(occupation=occupations)


def replication_rng(seed: int, replication: int) -> np.random.Generator:
    """The random generator of one replication: independent streams that do not depend on
    which other replications are run, so that work can be split across processes."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication,)))


def monte_carlo(
    base: xr.Dataset,
    *,
    replications: int | Sequence[int] = 100,
    seed: int = 12345,
    methods: Sequence[str] = DEFAULT_METHODS,
    clusters: Mapping[str, object] | None = None,
    fixed_effects: str = "division^industry",
    simulation: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """Estimates on simulated economies: one row per (replication, covariance, method,
    occupation, coefficient) with the estimate, its standard error, the truth and the
    first-stage KP F.

    ``replications`` is a number or the indices of the replications to run (each has its
    own random stream, :func:`replication_rng`). ``clusters`` maps a label to a ``cluster``
    argument of :func:`~spatialocc.estimate.externalities` (default: two-way city and
    industry, and one-way city). Economies whose solve does not converge are skipped and
    counted in ``attrs["skipped"]``; ``attrs["seconds"]`` is the run time.
    """
    clusters = dict(clusters or {"city+industry": ("city", "industry"), "city": "city"})
    methods = tuple(methods)
    indices = range(replications) if isinstance(replications, int) else replications
    truth = {c: base[c].to_series() for c in COEFFICIENTS}
    rows = []
    skipped = 0
    start = time.perf_counter()
    for rep in indices:
        economy = simulate_economy(base, seed=replication_rng(seed, rep), **dict(simulation or {}))
        if not bool(economy["converged"]):
            skipped += 1
            continue
        for label, cluster in clusters.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = externalities(
                    economy,
                    method=methods[-1],
                    compare=methods,
                    instruments=INSTRUMENTS,
                    fixed_effects=fixed_effects,
                    cluster=cluster,
                )
            frame = fit.to_frame().reset_index()
            frame["replication"] = rep
            frame["covariance"] = label
            frame["kp_f"] = frame["occupation"].map(
                dict(zip(fit.occupations, fit.kleibergen_paap_f, strict=True))
            )
            rows.append(frame)
    result = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if rows:
        result["truth"] = [
            truth[c][o] for c, o in zip(result["coefficient"], result["occupation"], strict=True)
        ]
    result.attrs["skipped"] = skipped
    result.attrs["seconds"] = time.perf_counter() - start
    return result


def summarize(results: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Bias and coverage by (covariance, method, occupation, coefficient): the truth, mean
    estimate, mean bias, its Monte Carlo standard error, the standard deviation of the
    estimates, the median bias, the mean reported standard error, the coverage of the
    nominal ``level`` normal interval, and the median KP F."""
    from scipy.stats import norm

    crit = norm.ppf(0.5 + level / 2)
    r = results.assign(
        bias=results["estimate"] - results["truth"],
        covered=(results["estimate"] - results["truth"]).abs() <= crit * results["std_error"],
    )
    keys = ["covariance", "method", "occupation", "coefficient"]
    grouped = r.groupby(keys, sort=False)
    table = pd.DataFrame(
        {
            "truth": grouped["truth"].first(),
            "mean": grouped["estimate"].mean(),
            "bias": grouped["bias"].mean(),
            "mc_se_bias": grouped["bias"].std() / np.sqrt(grouped.size()),
            "sd": grouped["estimate"].std(),
            "median_bias": grouped["bias"].median(),
            "mean_se": grouped["std_error"].mean(),
            "coverage": grouped["covered"].mean(),
            "median_kp_f": grouped["kp_f"].median(),
            "replications": grouped.size(),
        }
    )
    return table


def table_a8(
    economy: xr.Dataset,
    *,
    instruments: Sequence[str] = ("model_implied",),
    methods: Sequence[str] = ("ols", "2sls", "cue"),
    fixed_effects: str | None = "division^industry",
    cluster: str | Sequence[str] | None = ("city", "industry"),
    replications: int = 0,
    seed: int = 12345,
    simulation: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """Table A8: the externality estimators on data generated without externalities, where
    the true τR and τL are 0.

    ``counterfactual_*`` columns, the paper's exercise (section 4.6): the allocation of
    ``economy`` with τR = τL = 0 and its exogenous productivity λ̂ held
    (:func:`spatialocc.solvers.counterfactuals.no_externalities`, as in section 4.7) is
    solved, and the regressions of Table 2 (``instruments``, ``fixed_effects``, ``cluster``;
    the headline estimator last in ``methods``) are run on it: log λ = log λ̂ on that
    allocation's log(L[k,n]/L[n]) and log L[n]. Sorting of workers toward productive cities
    makes OLS differ from 0; valid instruments should bring the estimates back to 0.

    ``mc_*`` columns, with ``replications > 0``: a Monte Carlo on the same economy at τ = 0
    (:func:`monte_carlo` with that economy as the base; each draw redraws productivity and
    amenity shocks with the module's synthetic amenity-shifting instruments, its own
    design, not the data's instruments): the mean estimate, its standard deviation across
    draws, the coverage of the nominal 95% interval and the number of draws that converged.
    Each draw is one equilibrium solve and one estimation, so the cost grows linearly with
    ``replications`` (0: the counterfactual columns only).

    Returns
    -------
    pandas.DataFrame
        Index (method, occupation, coefficient); columns ``truth`` (0), ``counterfactual_
        estimate``, ``counterfactual_std_error`` and, with replications, ``mc_mean``,
        ``mc_sd``, ``mc_coverage``, ``mc_replications``. ``attrs["converged"]`` says
        whether the counterfactual solve converged.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.estimate.montecarlo import table_a8
    >>> data = spatialocc.datasets.synthetic(n_cities=30, n_industries=5, years=(2015,))
    >>> economy = spatialocc.with_externalities(
    ...     spatialocc.invert(data).sel(year=2015), tau_share=1.0, tau_size=0.3
    ... )
    >>> table = table_a8(economy, fixed_effects="industry", cluster="city")
    >>> float(table["truth"].abs().max())
    0.0
    """
    from spatialocc.solvers.counterfactuals import no_externalities
    from spatialocc.solvers.equilibrium import solve_equilibrium

    if replications < 0:
        raise ValueError(f"replications must be 0 or more, got {replications}")
    methods = tuple(methods)
    base = no_externalities(economy)
    solution = solve_equilibrium(base)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = externalities(
            solution,
            method=methods[-1],
            compare=methods[:-1],
            instruments=list(instruments),
            fixed_effects=fixed_effects,
            cluster=cluster,
        )
    frame = fit.to_frame()[["estimate", "std_error"]].rename(
        columns={"estimate": "counterfactual_estimate", "std_error": "counterfactual_std_error"}
    )
    frame.insert(0, "truth", 0.0)
    if replications:
        draws = monte_carlo(
            base,
            replications=replications,
            seed=seed,
            methods=methods,
            clusters={"table": cluster},
            fixed_effects=fixed_effects,
            simulation=simulation,
        )
        if len(draws):
            summary = summarize(draws).droplevel("covariance")
            frame["mc_mean"] = summary["mean"]
            frame["mc_sd"] = summary["sd"]
            frame["mc_coverage"] = summary["coverage"]
            frame["mc_replications"] = summary["replications"]
    frame.attrs["converged"] = bool(solution["converged"].all())
    return frame
