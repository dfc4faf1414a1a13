"""The estimates' sampling error carried into the counterfactuals and the optimal policy.

The externality elasticities τR[k] (``tau_share``) and τL[k] (``tau_size``) are estimated
with large standard errors (Table 2), and every counterfactual and policy number depends on
them twice: through the elasticities themselves and through the exogenous productivity
λ̂[k,j,n] = λ[k,j,n] / ((L[k,n]/L[n])^τR[k] L[n]^τL[k]) that the inversion infers from them.
:func:`propagate` draws (τR, τL) of every occupation jointly from the estimates' sampling
distribution, recomputes λ̂ for each draw (:func:`spatialocc.with_externalities`), solves the
requested outputs for each draw and returns them on a ``draw`` dimension;
:func:`summarize` gives their mean, median and 5% / 95% quantiles.

Draw ``i`` depends only on ``seed`` and ``i``: its standard normals come from
``numpy.random.default_rng(numpy.random.SeedSequence(seed).spawn(i + 1)[i])``, so the
results do not depend on how draws are grouped into tasks, on the dask scheduler, or on the
number of draws asked for (the first 100 of 500 draws are the 100 draws of a sweep of 100).

Chunks of draws are independent dask tasks, run on dask's threads by default, on processes,
or on the workers of an existing ``dask.distributed`` client (as
:func:`spatialocc.decompose`). With ``store=`` a folder, every finished chunk is written
there as its own Zarr group, committed by one rename (a stopped sweep leaves whole chunks
only), and a sweep restarted with the same arguments solves only the draws not yet stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import dask
import numpy as np
import xarray as xr
from dask.base import tokenize

from spatialocc.dims.errors import DimensionError, MissingVariableError
from spatialocc.solvers import counterfactuals
from spatialocc.solvers.equilibrium import solve_equilibrium, with_externalities
from spatialocc.solvers.optimal import solve_optimal

#: The coefficients drawn for every occupation, in this order.
COEFFICIENTS: tuple[str, str] = ("tau_share", "tau_size")

#: Variables kept for each draw of an equilibrium output and (besides them) of an optimum.
EQUILIBRIUM_VARIABLES: tuple[str, ...] = (
    "welfare",
    "wage",
    "consumption",
    "price_index",
    "rent_rate",
    "employment",
    "converged",
    "iterations",
)
OPTIMUM_VARIABLES: tuple[str, ...] = (
    *EQUILIBRIUM_VARIABLES,
    "welfare_gain",
    "transfer",
    "wedge",
    "lump_sum",
    "labor_tax",
)

#: Separator between an output's name and its variable's in the result: ``optimum.transfer``.
SEP = "."

#: Quantiles of :func:`summarize`, as labels of its ``statistic`` dimension.
QUANTILES: dict[str, float] = {"q05": 0.05, "median": 0.5, "q95": 0.95}

#: The draws of each chunk task by default.
CHUNK_SIZE = 4


class PropagationError(ValueError):
    """Bad input to :func:`propagate` (estimates, covariance, outputs, store)."""


# -- the sampling distribution --------------------------------------------------------------


def _sampling_distribution(
    estimates: Any, occupations: Sequence[str], method: str | None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Mean (2K,) and covariance (2K, 2K) of (τR[k], τL[k]) stacked by occupation, and what
    they are (for the result's attributes)."""
    if hasattr(estimates, "to_dataset") and not isinstance(estimates, xr.Dataset):
        estimates = estimates.to_dataset()
    if not isinstance(estimates, xr.Dataset):
        raise PropagationError(
            "estimates must be an ExternalityEstimates (what spatialocc.estimate.externalities "
            f"returns) or a Dataset shaped like its to_dataset(), got {type(estimates).__name__}"
        )
    missing = [v for v in ("estimate", "covariance") if v not in estimates]
    if missing:
        raise MissingVariableError(
            f"the estimates Dataset needs {missing}: 'estimate' on (occupation, coefficient) "
            "and 'covariance' on (occupation, coefficient, coefficient_2), or on (occupation, "
            "coefficient, occupation_2, coefficient_2) for a joint covariance"
        )
    source = "given mean and covariance"
    if "estimator" in estimates.dims:
        chosen = method or estimates.attrs.get("method")
        available = [str(m) for m in estimates["estimator"].values]
        if chosen not in available:
            raise PropagationError(
                f"method {chosen!r} is not among the estimators {available}; pass method=..."
            )
        estimates = estimates.sel(estimator=chosen, drop=True)
        source = f"{chosen} estimates"
    elif method is not None:
        raise PropagationError("method= selects an estimator, but the estimates have none")
    mean_da = estimates["estimate"]
    if set(mean_da.dims) != {"occupation", "coefficient"}:
        raise DimensionError(f"'estimate' must be on (occupation, coefficient), got {mean_da.dims}")
    have = [str(k) for k in mean_da["occupation"].values]
    absent = [k for k in occupations if k not in have]
    if absent:
        raise PropagationError(
            f"the model has occupations {absent} that the estimates lack (estimated: {have})"
        )
    coefficients = [str(c) for c in mean_da["coefficient"].values]
    if sorted(coefficients) != sorted(COEFFICIENTS):
        raise PropagationError(f"'coefficient' must hold {list(COEFFICIENTS)}, got {coefficients}")
    occ = list(occupations)
    K = len(occ)
    mean = mean_da.sel(occupation=occ, coefficient=list(COEFFICIENTS))
    mean = np.asarray(mean.transpose("occupation", "coefficient").values, float).ravel()
    cov_da = estimates["covariance"]
    # a second axis without labels is taken in the order of the first one
    for second, first in (("coefficient_2", "coefficient"), ("occupation_2", "occupation")):
        if second in cov_da.dims and second not in cov_da.coords and first in cov_da.coords:
            if cov_da.sizes[second] != cov_da.sizes[first]:
                raise DimensionError(
                    f"'covariance' has {cov_da.sizes[first]} {first} and "
                    f"{cov_da.sizes[second]} {second}; it must be square"
                )
            cov_da = cov_da.assign_coords({second: cov_da[first].values})
    block = {"occupation", "coefficient", "coefficient_2"}
    joint = {"occupation", "coefficient", "occupation_2", "coefficient_2"}
    if set(cov_da.dims) == block:
        blocks = cov_da.sel(
            occupation=occ, coefficient=list(COEFFICIENTS), coefficient_2=list(COEFFICIENTS)
        ).transpose("occupation", "coefficient", "coefficient_2")
        cov = np.zeros((2 * K, 2 * K))
        for i in range(K):
            cov[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = blocks.values[i]
    elif set(cov_da.dims) == joint:
        full = cov_da.sel(
            occupation=occ,
            occupation_2=occ,
            coefficient=list(COEFFICIENTS),
            coefficient_2=list(COEFFICIENTS),
        ).transpose("occupation", "coefficient", "occupation_2", "coefficient_2")
        cov = np.asarray(full.values, float).reshape(2 * K, 2 * K)
    else:
        raise DimensionError(
            f"'covariance' must be on (occupation, coefficient, coefficient_2) (one 2x2 block "
            f"per occupation) or (occupation, coefficient, occupation_2, coefficient_2), got "
            f"{cov_da.dims} with shape {cov_da.shape}"
        )
    _check_covariance(mean, cov)
    return mean, cov, source


def _check_covariance(mean: np.ndarray, cov: np.ndarray) -> None:
    if not (np.isfinite(mean).all() and np.isfinite(cov).all()):
        raise PropagationError(f"the mean and covariance must be finite, got {mean} and {cov}")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-14):
        raise PropagationError(f"the covariance must be symmetric, got\n{cov}")
    eigenvalues = np.linalg.eigvalsh(cov)
    scale = max(float(np.abs(eigenvalues).max()), np.finfo(float).tiny)
    if eigenvalues.min() < -1e-10 * scale:
        raise PropagationError(
            f"the covariance is not positive semi-definite (smallest eigenvalue "
            f"{eigenvalues.min():.3g}); give a covariance matrix, e.g. V = S @ S.T"
        )


def draw_parameters(
    estimates: Any,
    occupations: Sequence[str],
    draws: Sequence[int] | int,
    *,
    seed: int = 0,
    method: str | None = None,
) -> xr.Dataset:
    """(τR[k], τL[k]) of the given draws from the estimates' normal sampling distribution.

    Draw ``i`` is ``numpy.random.default_rng(SeedSequence(seed).spawn(i + 1)[i])
    .multivariate_normal(mean, cov, method="eigh")`` with ``mean`` and ``cov`` the estimates
    and their covariance stacked as (occupation, coefficient): it depends on ``seed`` and
    ``i`` only. With a zero covariance every draw is the mean exactly.

    Examples
    --------
    >>> import xarray as xr
    >>> from spatialocc.solvers.uncertainty import draw_parameters
    >>> est = xr.Dataset(
    ...     {
    ...         "estimate": (("occupation", "coefficient"), [[1.3, 0.35], [0.8, 0.36]]),
    ...         "covariance": (
    ...             ("occupation", "coefficient", "coefficient_2"),
    ...             [[[0.14, 0], [0, 0.004]], [[0.26, 0], [0, 0.002]]],
    ...         ),
    ...     },
    ...     coords={"occupation": ["CNR", "nonCNR"], "coefficient": ["tau_share", "tau_size"]},
    ... )
    >>> draw_parameters(est, ["CNR", "nonCNR"], 3)["tau_share"].sizes
    Frozen({'draw': 3, 'occupation': 2})
    """
    mean, cov, source = _sampling_distribution(estimates, occupations, method)
    index = list(range(draws)) if isinstance(draws, int) else [int(i) for i in draws]
    values = np.array([_one_draw(mean, cov, seed, i) for i in index]).reshape(len(index), -1, 2)
    coords = {"draw": index, "occupation": list(occupations)}
    return xr.Dataset(
        {
            "tau_share": (("draw", "occupation"), values[:, :, 0]),
            "tau_size": (("draw", "occupation"), values[:, :, 1]),
        },
        coords=coords,
        attrs={"source": source},
    )


def _one_draw(mean: np.ndarray, cov: np.ndarray, seed: int, i: int) -> np.ndarray:
    child = np.random.SeedSequence(seed, spawn_key=(i,))  # = SeedSequence(seed).spawn(i+1)[i]
    return np.random.default_rng(child).multivariate_normal(mean, cov, method="eigh")


# -- the outputs ------------------------------------------------------------------------------

Solver = Callable[[xr.Dataset, float, dict], xr.Dataset]


def _kept(solution: xr.Dataset, names: Sequence[str]) -> xr.Dataset:
    return solution[[v for v in names if v in solution]].reset_coords(drop=True)


def _equilibrium_of(transform: Callable[[xr.Dataset], xr.Dataset] | None) -> Solver:
    def solve(economy: xr.Dataset, tol: float, budget: dict) -> xr.Dataset:
        changed = transform(economy) if transform is not None else economy
        return _kept(solve_equilibrium(changed, tol=tol, **budget), EQUILIBRIUM_VARIABLES)

    return solve


def _optimum_of(transform: Callable[[xr.Dataset], xr.Dataset] | None) -> Solver:
    def solve(economy: xr.Dataset, tol: float, budget: dict) -> xr.Dataset:
        from spatialocc.reports.policy import policy_summary

        changed = transform(economy) if transform is not None else economy
        reference = solve_equilibrium(changed, tol=tol, **budget) if transform is not None else None
        optimum = solve_optimal(changed, reference=reference, tol=tol, **budget)
        kept = _kept(optimum, OPTIMUM_VARIABLES)
        summary = policy_summary(changed if reference is None else reference, optimum)
        for name, da in summary.data_vars.items():
            kept[f"summary_{name}"] = da.reset_coords(drop=True)
        kept["net_payer"] = (optimum["transfer"] < 0).astype(np.int8)
        return kept

    return solve


def _table3(economy: xr.Dataset, tol: float, budget: dict) -> xr.Dataset:
    from spatialocc.solvers.decomposition import decompose

    years = [int(y) for y in economy["year"].values]
    result = decompose(economy, start=years[0], end=years[-1], scheduler="synchronous", tol=tol)
    out = result[["welfare", "welfare_gain", "converged"]]
    baseline = out["welfare"].sel(step=result.attrs["baseline"], drop=True)
    out["welfare_relative"] = out["welfare"] / baseline
    out["converged"] = out["converged"].all([d for d in out["converged"].dims])
    return out.reset_coords(drop=True)


def _registry() -> dict[str, Solver]:
    outputs: dict[str, Solver] = {
        "no_externalities": _equilibrium_of(counterfactuals.no_externalities),
        "equilibrium": _equilibrium_of(None),
        "optimum": _optimum_of(None),
        "table3": _table3,
    }
    for name, transform in counterfactuals.TRANSFORMATIONS.items():
        outputs.setdefault(f"equilibrium_{name}", _equilibrium_of(transform))
        outputs.setdefault(f"optimum_{name}", _optimum_of(transform))
    return outputs


#: What :func:`propagate` can solve for each draw: ``no_externalities`` (section 4.7),
#: ``equilibrium`` (the model's own equilibrium), ``optimum`` (Proposition 1, with its policy
#: summary), ``equilibrium_<name>`` and ``optimum_<name>`` for every counterfactual of
#: :data:`spatialocc.solvers.counterfactuals.TRANSFORMATIONS`, and ``table3`` (the
#: decomposition of :func:`spatialocc.decompose`; needs both years).
OUTPUTS: dict[str, Solver] = _registry()


def _solve_chunk(
    economy: xr.Dataset,
    parameters: xr.Dataset,
    outputs: tuple[str, ...],
    tol: float,
    budget: dict,
    year: int | None,
    store: str | None,
) -> xr.Dataset:
    """Solve every output for each draw of ``parameters``; write the chunk to ``store``."""
    draws = []
    for i in range(parameters.sizes["draw"]):
        tau = parameters.isel(draw=i, drop=True)
        model = with_externalities(economy, tau_share=tau["tau_share"], tau_size=tau["tau_size"])
        one = model if year is None else model.sel(year=year, drop=True)
        solved = {}
        for name in outputs:
            result = OUTPUTS[name](model if name == "table3" else one, tol, budget)
            for var, da in result.data_vars.items():
                solved[f"{name}{SEP}{var}"] = da
        draws.append(xr.Dataset(solved))
    chunk = xr.concat(draws, "draw", coords="minimal", compat="override", join="exact")
    chunk = chunk.assign_coords(draw=parameters["draw"].values)
    chunk = chunk.assign(tau_share=parameters["tau_share"], tau_size=parameters["tau_size"])
    for name in outputs:
        flag = chunk[f"{name}{SEP}converged"]
        chunk[f"{name}{SEP}converged"] = flag.astype(bool)
    if store is not None:
        _write_chunk(chunk, Path(store))
    return chunk


# -- the store --------------------------------------------------------------------------------

_CHUNKS = "chunks"
_SWEEP = "sweep.json"


def _chunk_name(draws: np.ndarray) -> str:
    return f"draws_{int(draws[0]):06d}-{int(draws[-1]):06d}.zarr"


def _write_chunk(chunk: xr.Dataset, store: Path) -> Path:
    """Write one chunk as a Zarr group next to its final name, then rename it into place:
    readers (and a restarted sweep) see the whole chunk or nothing."""
    folder = store / _CHUNKS
    final = folder / _chunk_name(chunk["draw"].values)
    tmp = folder / f".tmp-{uuid.uuid4().hex}-{final.name}"
    encoded = chunk.copy()
    for name, da in encoded.data_vars.items():
        if da.dtype == bool:
            encoded[name] = da.astype(np.int8).assign_attrs(boolean=1)
    for name, c in encoded.variables.items():
        if c.dtype.kind == "U":  # Zarr 3 specifies variable-length strings, not fixed ones
            encoded[name] = c.astype(object)
    encoded.attrs["solves"] = int(chunk.sizes["draw"])
    encoded.to_zarr(tmp, mode="w-", consolidated=False, zarr_format=3)
    os.replace(tmp, final)
    return final


def _read_chunks(store: Path) -> list[xr.Dataset]:
    folder = store / _CHUNKS
    if not folder.exists():
        return []
    chunks = []
    for path in sorted(folder.glob("draws_*.zarr")):
        ds = xr.open_zarr(path, consolidated=False, chunks=None).load()  # no dask: no progress bar
        for name, da in ds.data_vars.items():
            if da.attrs.get("boolean"):
                attrs = {k: v for k, v in da.attrs.items() if k != "boolean"}
                ds[name] = da.astype(bool).assign_attrs(attrs)
        strings = {  # Zarr's variable-length strings, back to numpy's
            name: (c.dims, np.array([str(x) for x in c.values.ravel()]).reshape(c.shape), c.attrs)
            for name, c in ds.coords.items()
            if c.dtype.kind in "OT"
        }
        ds = ds.assign_coords(strings)
        ds.attrs.pop("solves", None)
        chunks.append(ds)
    return chunks


def _clean_partial(store: Path) -> None:
    """Remove what a stopped sweep left half-written (never a committed chunk)."""
    folder = store / _CHUNKS
    if folder.exists():
        for path in folder.glob(".tmp-*"):
            shutil.rmtree(path, ignore_errors=True)


def _fingerprint(economy: xr.Dataset, settings: Mapping[str, object]) -> str:
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for name in sorted(map(str, economy.variables)):
        values = np.asarray(economy[name].values)
        digest.update(name.encode())
        if values.dtype.kind in "OUS":
            digest.update(repr(values.tolist()).encode())
        else:
            digest.update(np.ascontiguousarray(values).tobytes())
    return digest.hexdigest()


def _open_store(store: Path, fingerprint: str, settings: Mapping[str, object]) -> None:
    store.mkdir(parents=True, exist_ok=True)
    (store / _CHUNKS).mkdir(exist_ok=True)
    sweep = store / _SWEEP
    if sweep.exists():
        recorded = json.loads(sweep.read_text())
        if recorded.get("fingerprint") != fingerprint:
            raise PropagationError(
                f"the store {store} holds draws of another sweep (another model, estimates, "
                f"seed, outputs or tolerance: recorded {recorded.get('settings')}); use another "
                f"store or remove this one"
            )
        return
    tmp = store / f".tmp-{uuid.uuid4().hex}-{_SWEEP}"
    tmp.write_text(json.dumps({"fingerprint": fingerprint, "settings": settings}, indent=1))
    os.replace(tmp, sweep)


# -- the sweep --------------------------------------------------------------------------------


def propagate(
    model: xr.Dataset,
    estimates: Any,
    *,
    n_draws: int = 500,
    seed: int = 0,
    outputs: Sequence[str] = ("no_externalities", "optimum"),
    store: str | os.PathLike[str] | None = None,
    method: str | None = None,
    year: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    scheduler: str | None = None,
    tol: float = 1e-10,
    max_iter: int | None = None,
) -> xr.Dataset:
    """Carry the sampling error of the estimated τ into counterfactuals and the optimum.

    For each of ``n_draws`` draws of (τR[k], τL[k]) for all occupations jointly from the
    estimates' normal sampling distribution (:func:`draw_parameters`), the exogenous
    productivity λ̂ is recomputed from the model's productivity λ and employment
    (:func:`spatialocc.with_externalities`) and each output is solved.

    Parameters
    ----------
    model
        An inverted model (what :func:`spatialocc.invert` returns; τ, if set, is replaced by
        each draw's). With a ``year`` dimension the outputs other than ``table3`` are solved
        for ``year`` (default: the latest), and ``table3`` decomposes the first year to the
        last.
    estimates
        An :class:`~spatialocc.estimate.ExternalityEstimates` (its headline ``method``, or
        ``method=``), or a Dataset shaped like its ``to_dataset()``: ``estimate`` on
        (occupation, coefficient) and ``covariance`` on (occupation, coefficient,
        coefficient_2), optionally on ``estimator``; or ``covariance`` on (occupation,
        coefficient, occupation_2, coefficient_2) for a joint covariance across occupations.
        The estimates' covariance is the two-way clustered one of the estimator; occupations
        estimated separately are drawn independently (their blocks).
    n_draws, seed
        Number of draws and the seed; draw ``i`` depends only on ``seed`` and ``i``.
    outputs
        Names from :data:`OUTPUTS`: ``"no_externalities"``, ``"equilibrium"``,
        ``"optimum"``, ``"equilibrium_<counterfactual>"``, ``"optimum_<counterfactual>"``,
        ``"table3"``.
    store
        A folder for a resumable sweep: each finished chunk of draws is written there as a
        Zarr group (committed by one rename), and a restart with the same arguments solves
        only the draws it lacks (a larger ``n_draws`` reuses the stored ones). A store of
        another sweep is refused. On a cluster the folder must be visible to every worker.
    method
        The estimator whose estimates are drawn when ``estimates`` holds several.
    chunk_size
        Draws per dask task (and per stored chunk).
    scheduler
        Passed to ``dask.compute``: ``None`` (threads, or the active ``dask.distributed``
        client), ``"threads"``, ``"processes"``, ``"synchronous"``. Results are identical
        whatever the scheduler. For a progress bar over the chunks, call inside
        ``dask.diagnostics.ProgressBar()`` (local schedulers) or watch the client's
        dashboard.
    tol, max_iter
        Tolerance and iteration budget of every solve (``None``: the solvers' defaults). A
        draw that exhausts its budget is kept, flagged ``converged = False``; a budget bounds
        the time such draws take.

    Returns
    -------
    xarray.Dataset
        On ``draw`` (0, ..., n_draws - 1): ``tau_share`` and ``tau_size`` (draw,
        occupation), and for each output ``<output>.<variable>``: for equilibria
        ``welfare``, ``wage``, ``consumption``, ``price_index``, ``rent_rate``,
        ``employment`` (L[k,j,n]), ``converged``, ``iterations``; for optima also
        ``welfare_gain``, ``transfer``, ``wedge``, ``lump_sum``, ``labor_tax``,
        ``net_payer`` (1 where T[k,n] < 0) and ``summary_<statistic>`` (the statistics of
        :func:`spatialocc.policy_summary`); for ``table3`` the decomposition's
        ``welfare``, ``welfare_relative`` (to the Baseline row), ``welfare_gain`` and
        ``converged``. Draws whose solve did not converge are kept, with
        ``<output>.converged`` False; the attribute ``draws_solved`` counts the draws
        solved by this call (the others came from ``store``).

    Raises
    ------
    PropagationError
        Unknown outputs, a covariance that is not symmetric positive semi-definite, missing
        occupations, a store of another sweep.

    Examples
    --------
    >>> import spatialocc, xarray as xr
    >>> data = spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(2015,))
    >>> model = spatialocc.invert(data).sel(year=2015)
    >>> est = xr.Dataset(
    ...     {
    ...         "estimate": (("occupation", "coefficient"), [[1.0, 0.3], [0.8, 0.3]]),
    ...         "covariance": (
    ...             ("occupation", "coefficient", "coefficient_2"),
    ...             [[[0.01, 0], [0, 0.001]], [[0.01, 0], [0, 0.001]]],
    ...         ),
    ...     },
    ...     coords={"occupation": ["CNR", "nonCNR"], "coefficient": ["tau_share", "tau_size"]},
    ... )
    >>> draws = spatialocc.propagate(model, est, n_draws=2, outputs=["no_externalities"])
    >>> draws["no_externalities.welfare"].sizes
    Frozen({'draw': 2, 'occupation': 2})
    >>> summary = spatialocc.summarize(draws)
    >>> summary["statistic"].values.tolist()
    ['mean', 'q05', 'median', 'q95']
    """
    outputs = tuple(outputs)
    unknown = [o for o in outputs if o not in OUTPUTS]
    if unknown or not outputs:
        raise PropagationError(
            f"unknown outputs {unknown}; choose from {sorted(OUTPUTS)}"
            if unknown
            else "give at least one output"
        )
    if len(set(outputs)) != len(outputs):
        raise PropagationError(f"outputs repeated: {list(outputs)}")
    if not isinstance(n_draws, int | np.integer) or n_draws < 1:
        raise PropagationError(f"n_draws must be a positive integer, got {n_draws!r}")
    if not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
        raise PropagationError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if "productivity" not in model or "employment" not in model:
        raise MissingVariableError(
            "propagate needs an inverted model with 'productivity' and 'employment' "
            "(spatialocc.invert(data))"
        )
    economy = model.drop_vars(
        [v for v in ("tau_share", "tau_size", "productivity_exogenous") if v in model]
    )
    if "year" in economy.dims:
        years = sorted(int(y) for y in economy["year"].values)
        if year is None:
            year = years[-1]
        elif year not in years:
            raise PropagationError(f"year {year} is not a year of the model: {years}")
        if "table3" in outputs and len(years) < 2:
            raise PropagationError("table3 needs a model with two years (start and end)")
        if "table3" not in outputs:
            economy = economy.sel(year=[year])
    elif "table3" in outputs:
        raise PropagationError("table3 needs a model with a 'year' dimension holding two years")
    else:
        year = None
    occupations = [str(k) for k in economy["occupation"].values]
    # drawn once, so that bad estimates fail before anything is solved
    mean, cov, source = _sampling_distribution(estimates, occupations, method)
    parameters = draw_parameters(estimates, occupations, n_draws, seed=seed, method=method)

    stored: list[xr.Dataset] = []
    if store is not None:
        settings = {
            "seed": int(seed),
            "outputs": list(outputs),
            "tol": float(tol),
            "max_iter": max_iter,
            "year": year,
            "mean": mean.tolist(),
            "covariance": cov.tolist(),
            "occupations": occupations,
        }
        store = Path(store)
        _open_store(store, _fingerprint(economy, settings), settings)
        _clean_partial(store)
        stored = _read_chunks(store)
    have = {int(d) for ds in stored for d in ds["draw"].values}
    todo = [i for i in range(n_draws) if i not in have]

    shared = dask.delayed(economy, pure=True)
    budget = {} if max_iter is None else {"max_iter": int(max_iter)}
    where = None if store is None else str(store)
    token = tokenize(shared.key, outputs, tol, budget, year, where)
    tasks = []
    for s in range(0, len(todo), chunk_size):
        chunk = parameters.sel(draw=todo[s : s + chunk_size])
        # keys that sort in reverse draw order: dask's local schedulers then start the
        # chunks in draw order, so a sweep stopped early holds the first draws (0, 1, ...),
        # not a scattered set (the values do not depend on the keys)
        key = f"propagate-{10**9 - todo[s]:010d}-{tokenize(token, chunk)}"
        tasks.append(
            dask.delayed(_solve_chunk)(
                shared, chunk, outputs, tol, budget, year, where, dask_key_name=key
            )
        )
    computed = list(dask.compute(*tasks, scheduler=scheduler)) if tasks else []
    parts = [ds.sel(draw=[d for d in ds["draw"].values if d < n_draws]) for ds in stored]
    parts = [p for p in parts if p.sizes["draw"]] + computed
    result = xr.concat(parts, "draw", coords="minimal", compat="override", join="exact")
    result = result.sortby("draw")
    _, first = np.unique(result["draw"].values, return_index=True)
    result = result.isel(draw=first)
    order = ["tau_share", "tau_size"] + [v for v in result.data_vars if SEP in str(v)]
    result = result[order]
    extra = {
        name: c
        for name, c in economy.coords.items()
        if name not in result.coords and c.dims and set(c.dims) <= set(result.dims)
    }
    result = result.assign_coords(extra)
    result.attrs = {
        "title": "spatialocc: the estimates' sampling error propagated (draws of tau)",
        "source": source,
        "seed": int(seed),
        "n_draws": int(n_draws),
        "outputs": ", ".join(outputs),
        "tolerance": float(tol),
        **({"max_iter": int(max_iter)} if max_iter is not None else {}),
        "draws_solved": len(todo),
        **({"year": int(year)} if year is not None else {}),
    }
    return result


# -- the summary ------------------------------------------------------------------------------


def outputs_of(draws: xr.Dataset) -> list[str]:
    """The outputs held by a :func:`propagate` result, in order."""
    return [o.strip() for o in str(draws.attrs.get("outputs", "")).split(",") if o.strip()]


def output(draws: xr.Dataset, name: str) -> xr.Dataset:
    """The variables of one output of a :func:`propagate` result, under their own names."""
    prefix = f"{name}{SEP}"
    names = [v for v in draws.data_vars if str(v).startswith(prefix)]
    if not names:
        raise PropagationError(f"no output {name!r} in these draws; they hold {outputs_of(draws)}")
    return draws[names].rename({v: str(v)[len(prefix) :] for v in names})


def summarize(draws: xr.Dataset, *, include_unconverged: bool = False) -> xr.Dataset:
    """Mean, median and 5% / 95% quantiles over draws of every variable of a
    :func:`propagate` result, on a ``statistic`` dimension (mean, q05, median, q95).

    Draws of an output whose solve did not converge are left out of that output's
    statistics (``include_unconverged=True`` keeps them); ``<output>.n_draws`` and
    ``<output>.n_unconverged`` say how many there were, and ``<output>.converged`` becomes
    the share of converged draws. Integer 0/1 flags (``net_payer``) become probabilities.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from spatialocc.solvers.uncertainty import summarize
    >>> draws = xr.Dataset(
    ...     {
    ...         "optimum.welfare_gain": ("draw", np.arange(5.0)),
    ...         "optimum.converged": ("draw", [True] * 4 + [False]),
    ...     },
    ...     attrs={"outputs": "optimum"},
    ... )
    >>> s = summarize(draws)
    >>> float(s["optimum.welfare_gain"].sel(statistic="mean")), int(s["optimum.n_unconverged"])
    (1.5, 1)
    """
    out = {}
    outputs = outputs_of(draws)
    for name, da in draws.data_vars.items():
        if "draw" not in da.dims:
            continue
        owner = next((o for o in outputs if str(name).startswith(f"{o}{SEP}")), None)
        flag_name = f"{owner}{SEP}converged"
        if name == flag_name:
            continue
        values = da.astype(float)
        if owner is not None and flag_name in draws and not include_unconverged:
            flag = draws[flag_name]
            if flag.dims != ("draw",):
                flag = flag.all([d for d in flag.dims if d != "draw"])
            values = values.where(flag)
        stats = [values.mean("draw")]
        stats += [values.quantile(q, "draw").drop_vars("quantile") for q in QUANTILES.values()]
        out[name] = xr.concat(stats, "statistic", coords="minimal")
    summary = xr.Dataset(out).assign_coords(statistic=["mean", *QUANTILES])
    for owner in outputs:
        flag = draws[f"{owner}{SEP}converged"]
        if flag.dims != ("draw",):
            flag = flag.all([d for d in flag.dims if d != "draw"])
        summary[f"{owner}{SEP}n_draws"] = xr.DataArray(int(flag.sizes["draw"]))
        summary[f"{owner}{SEP}n_unconverged"] = xr.DataArray(int((~flag).sum()))
        summary[f"{owner}{SEP}converged"] = flag.astype(float).mean("draw")
    summary.attrs = {
        **draws.attrs,
        "summary": "mean, 5% quantile, median and 95% quantile over draws"
        + ("" if include_unconverged else " (unconverged draws left out)"),
    }
    return summary
