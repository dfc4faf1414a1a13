"""The whole study, stage by stage: what ``spatialocc run`` does.

Stages and the files they write in the output folder (NetCDF in the canonical schema, tables
as CSV and Markdown, figures as PNG)::

    invert     data.nc, model.nc                    both calibrations (Lemma 1), in the latest
                                                    year's dollars (the data's price_level)
    estimate   estimates.nc, table1.*, table2.*     Tables 1-2: OLS, 2SLS and CUE
               tableA8.nc, tableA8.*                Table A8: the estimators on the allocation
                                                    without externalities (true τ = 0), and
                                                    --a8-replications Monte Carlo draws
               tableA9.nc, tableA9.*                Table A9: the model-implied instruments
    solve      no_externalities.nc                  section 4.7 counterfactual (end year)
    optimal    optimum.nc, policy_summary.*,        Proposition 1 (end year) and the
               equilibrium_<variant>.nc,            optimum of each variant: no trade costs,
               optimum_<variant>.nc,                homogeneous linkages, additive amenities
                                                    (one Gumbel scale per occupation,
                                                    attribute gumbel_scale), the
                                                    housing shares of section 7.4
                                                    (housing_shares, housing_shares_wide)
               variants.nc, variants.*              each variant's optimum against its own
                                                    equilibrium, beside the baseline's
               equilibrium_pandemic_payments.nc,    section 6: the pandemic payments
               pandemic_payments.nc,                (budget closed by a flat tax) against
               pandemic_payments.*                  the equilibrium, beside the optimum
    decompose  decomposition.nc, table3.*,          Table 3, the Figure 18 histogram and the
               figure18.nc, technology_change.nc    change of exogenous technology relative to
                                                    the Baseline (Figures 19-20)
    plot       figures/figureNN.png                 the paper's maps, scatters, histogram:
                                                    Figures 1-20 (figure06_scatter.png and
                                                    figure16_scatter.png: the scatterplots
                                                    beside the maps of Figures 6 and 16) and
                                                    the appendix's figureA08.png, figureA22.png
    compare    paper_comparison.*                   every number of the paper's main text
                                                    that the run computes, beside the
                                                    paper's (spatialocc.paper.REPORTED)
    uncertainty                                     only when asked (spatialocc uncertainty,
               uncertainty.nc,                      or run --draws N): the draws of tau from
               uncertainty_summary.nc,              the estimates' sampling distribution and
               policy_summary_intervals.*,          the no-externalities counterfactual and
               paper_comparison_intervals.*,        optimum of each, their summary, the policy
               uncertainty/*.png                    table and paper comparison with 90%
                                                    intervals, and three figures

Each stage reads what earlier stages wrote, so it can be rerun alone. One process at a time
writes a folder, and each finished stage is committed in one rename
(:mod:`spatialocc.output_folder`): whatever stops a run, the folder holds the results of whole
stages, all computed from the one model.nc it holds, and a failed ``run`` keeps the stages it
finished.
"""

from __future__ import annotations

import functools
import inspect
import os
import shlex
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr

from spatialocc import paper
from spatialocc.dims.errors import MissingVariableError
from spatialocc.dims.io import open_dataset, to_netcdf
from spatialocc.dims.schema import REAL_ESTATE, RESIDUAL_PREFIX
from spatialocc.estimate.iv import METHODS
from spatialocc.output_folder import OutputFolder
from spatialocc.reports.tables import write_table, write_text  # noqa: F401 (their former home)

#: The stages, in order.
STAGES = ("invert", "estimate", "solve", "optimal", "decompose", "plot", "compare")

#: The paper's CUE estimates (Table 2, column 3), the default externalities of the solves.
PAPER_TAU = paper.TAU

#: This run's estimators, the columns of the paper's Table 2, the headline first: GMM-CUE,
#: then 2SLS and OLS (the order of the tables, reversed).
TABLE2_METHODS = tuple(m for m in reversed(METHODS) if m in paper.TABLE2)

#: Sources of τ for the solves: the paper's estimates, or one of this run's estimators.
TAU_SOURCES = ("paper", *TABLE2_METHODS)

#: The occupations of the paper, which its τ and tables compare.
PAPER_OCCUPATIONS: tuple[str, str] = tuple(PAPER_TAU["tau_share"])

#: Stages run only when asked: ``spatialocc uncertainty``, or ``run --draws N``.
OPTIONAL_STAGES = ("uncertainty",)

#: Every stage, in the order they run.
ALL_STAGES = (*STAGES, *OPTIONAL_STAGES)

#: Draws of ``spatialocc uncertainty`` by default. ``run`` leaves the stage out unless
#: ``--draws N`` is given: each draw solves the no-externalities counterfactual and the optimum
#: of the US economy (about 5-10 s a draw per core), so 200 draws add minutes to a run.
UNCERTAINTY_DRAWS = 200

#: Iteration budget of each draw's solves: the optimum of the US data takes 271 evaluations at
#: the paper's estimates and the draws that converge take at most about 5,000 (the 200-draw
#: sweep of benchmarks/README.md), so that a draw far in the tails that does not converge
#: (kept, flagged) costs about 20 s, not the default budget's two minutes.
UNCERTAINTY_BUDGET = 6000

#: The resumable store of the draws, in the output folder (not a stage's file: it outlives
#: interrupted runs, and a restarted stage solves only the draws it lacks).
UNCERTAINTY_STORE = "uncertainty_draws.zarr"

#: dask schedulers by name; anything with "://" is the address of a dask.distributed scheduler.
SCHEDULERS = ("threads", "processes", "synchronous")

#: Stages that solve the model with τ.
SOLVING = ("solve", "optimal", "decompose", "plot")

#: Counterfactual economies whose optimum is compared with the baseline optimum: those of
#: Figures 12-13, 16 and 17, then the two housing-share variants of section 7.4.
FIGURE_VARIANTS = ("no_trade_costs", "homogeneous_linkages", "additive_amenities")
HOUSING_VARIANTS = ("housing_shares", "housing_shares_wide")
VARIANTS = (*FIGURE_VARIANTS, *HOUSING_VARIANTS)

#: Monte Carlo draws of Table A8 by default. Each draw is one equilibrium solve and one
#: estimation, about 15 s on the bundled US data (one core of a shared machine: Table A8
#: took 102 s with 6 draws, the paper's single counterfactual included), so 6 keep
#: ``spatialocc run`` there within two minutes of the run without them, enough to see the
#: sign of the OLS bias (its Monte Carlo standard error is the draws' sd / sqrt(6)); 0 keeps
#: only the paper's exercise (one counterfactual solve and one estimation).
A8_REPLICATIONS = 6


class PipelineError(RuntimeError):
    """A stage cannot run (a missing input file, an unwritable folder, ...)."""


@dataclass
class Options:
    """Choices of a run; the command line sets them."""

    tau: str = "paper"
    year: int | None = None
    start_year: int | None = None
    variants: tuple[str, ...] = VARIANTS
    scheduler: str | None = None
    natural_earth: str | None = None
    #: Label of the land-using industry in the data (``invert``; later stages read it from
    #: model.nc); None: ``"Real Estate"``.
    real_estate: str | None = None
    #: Table 2's excluded instruments; None: the paper's three when present, else
    #: ``model_implied``.
    instruments: tuple[str, ...] | None = None
    #: Table 2's fixed effects (pyfixest notation; None: an intercept only) and clusters.
    fixed_effects: str | None = "division^industry"
    cluster: tuple[str, ...] = ("city", "industry")
    #: The two occupations the tables compare; None: CNR and nonCNR, else the first two.
    occupations: tuple[str, ...] | None = None
    #: Monte Carlo draws of Table A8 (0: the paper's single counterfactual only).
    a8_replications: int = A8_REPLICATIONS
    #: Draws of the uncertainty stage, and its seed.
    draws: int = UNCERTAINTY_DRAWS
    draw_seed: int = 0
    quiet: bool = False
    #: What runs, for the output folder's lock and manifest.
    command: str = field(default_factory=lambda: shlex.join(sys.argv))
    timings: dict[str, float] = field(default_factory=dict)
    unconverged: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    #: The stage running, while it runs (after a failure: the one that failed).
    stage: str | None = None
    #: The stages whose results this run committed to the output folder.
    kept: tuple[str, ...] = ()

    def say(self, message: str) -> None:
        if not self.quiet:
            print(f"spatialocc: {message}", file=sys.stderr, flush=True)


#: The files each stage writes, as glob patterns relative to the output folder.
STAGE_FILES: dict[str, tuple[str, ...]] = {
    "invert": ("data.nc", "model.nc"),
    "estimate": (
        "estimates.nc",
        "table1.csv",
        "table1.md",
        "table2.csv",
        "table2.md",
        "tableA8.nc",
        "tableA8.csv",
        "tableA8.md",
        "tableA9.nc",
        "tableA9.csv",
        "tableA9.md",
    ),
    "solve": ("no_externalities.nc",),
    "optimal": (
        "optimum.nc",
        "policy_summary.nc",
        "policy_summary.csv",
        "policy_summary.md",
        "equilibrium_*.nc",
        "optimum_*.nc",
        "variants.nc",
        "variants.csv",
        "variants.md",
        "pandemic_payments.nc",
        "pandemic_payments.csv",
        "pandemic_payments.md",
    ),
    "decompose": (
        "decomposition.nc",
        "table3.csv",
        "table3.md",
        "figure18.nc",
        "technology_change.nc",
    ),
    "plot": ("figures/*.png",),
    "uncertainty": (
        "uncertainty.nc",
        "uncertainty_summary.nc",
        "policy_summary_intervals.csv",
        "policy_summary_intervals.md",
        "paper_comparison_intervals.csv",
        "paper_comparison_intervals.md",
        "uncertainty/*.png",
    ),
}


class Workspace:
    """The locked output folder of a run and a staging folder for the stage running.

    Inputs are read from the staging folder when the running stage wrote them, else from the
    output folder; outputs go to the staging folder, and :meth:`commit` makes them the
    folder's results beside those of the other stages.
    """

    def __init__(self, folder: OutputFolder) -> None:
        self.folder = folder
        self.out = folder.out
        self.staging = folder.new_version()
        #: Results written with ``converged=False`` (reported at the end, never hidden).
        self.unconverged: list[str] = []
        #: The files committed, and the stages removed because they came from another model.
        self.written: list[Path] = []
        self.dropped: list[str] = []

    def path(self, name: str) -> Path:
        return self.staging / name

    def locate(self, name: str) -> Path | None:
        """``name`` as written by this stage (staging) or before (output), else None."""
        for folder in (self.staging, self.out):
            if (folder / name).exists():
                return folder / name
        return None

    def find(self, name: str, *, stage: str) -> Path:
        path = self.locate(name)
        if path is not None:
            return path
        raise PipelineError(
            f"{self.out / name} does not exist; run 'spatialocc {stage} --out {self.out}' "
            f"first (or 'spatialocc run')"
        )

    def read(self, name: str, *, stage: str, kind: str | None = None) -> xr.Dataset:
        return open_dataset(self.find(name, stage=stage), kind=kind).load()

    def write(self, ds: xr.Dataset, name: str) -> Path:
        path = to_netcdf(ds, self.path(name))
        if "converged" in ds and not bool(ds["converged"].all()):
            residuals = [ds[v] for v in ds.data_vars if str(v).startswith(RESIDUAL_PREFIX)]
            worst = max((float(r.max()) for r in residuals), default=float("nan"))
            self.unconverged.append(f"{name} (largest residual {worst:.2g})")
        return path

    def commit(self, stage: str) -> None:
        """Make the staged files ``stage``'s results in the output folder, in one rename."""
        staging, self.staging = self.staging, self.folder.new_version()
        try:
            done = self.folder.commit(staging, stage)
        except BaseException:
            self.folder.discard(staging)  # kept if the interruption came after the rename
            raise
        self.written.extend(done.written)
        self.dropped.extend(done.dropped)

    def discard(self) -> None:
        self.folder.discard(self.staging)


@contextmanager
def workspace(out: str | os.PathLike[str], options: Options | None = None) -> Iterator[Workspace]:
    """A :class:`Workspace` on ``out``, locked for the block; what it staged and did not
    commit is removed at the end."""
    options = options or Options()
    with OutputFolder(out, command=options.command, patterns=STAGE_FILES) as folder:
        for what in folder.recovered:
            options.say(f"removed {what}, left by a run that was stopped")
        ws = Workspace(folder)
        try:
            yield ws
        finally:
            ws.discard()


@contextmanager
def _timed(options: Options, stage: str, what: str) -> Iterator[None]:
    options.say(f"{stage}: {what} ...")
    start = time.perf_counter()
    yield
    options.timings[stage] = time.perf_counter() - start
    options.say(f"{stage}: done in {options.timings[stage]:.1f} s")


# -- inputs -----------------------------------------------------------------------------------


def load_data(dataset: str, *, seed: int = 0) -> xr.Dataset:
    """A registered dataset by name (``"us"``, ``"synthetic"``, any registered with
    :func:`spatialocc.datasets.register`) or a NetCDF file of kind data."""
    from spatialocc import datasets

    registered = datasets.loaders.REGISTRY
    if dataset in registered:
        return datasets.load(
            dataset, **({"seed": seed} if registered[dataset].accepts("seed") else {})
        )
    path = Path(dataset)
    if not path.exists():
        names = ", ".join(datasets.loaders.REGISTRY)
        if path.suffix or os.sep in dataset:
            raise PipelineError(f"no such file: {dataset!r}")
        raise PipelineError(
            f"unknown dataset {dataset!r}: not a file and not a bundled dataset ({names})"
        )
    if path.is_dir():
        raise PipelineError(f"{dataset!r} is a folder; give a NetCDF file")
    return open_dataset(path, kind="data").load()


def with_tau(model: xr.Dataset, ws: Workspace, options: Options) -> xr.Dataset:
    """``model`` with τ set from ``options.tau``: the paper's CUE estimates or this run's."""
    from spatialocc.solvers.equilibrium import with_externalities

    if options.tau not in TAU_SOURCES:
        raise ValueError(f"--tau must be one of {list(TAU_SOURCES)}, got {options.tau!r}")
    if options.tau == "paper":
        _check_paper_tau(_occupations(model), "the model")
        return with_externalities(model, **PAPER_TAU)
    estimates = ws.read("estimates.nc", stage="estimate")
    chosen = estimates.sel(estimator=options.tau)
    return with_externalities(
        model,
        tau_share=chosen["estimate"].sel(coefficient="tau_share", drop=True),
        tau_size=chosen["estimate"].sel(coefficient="tau_size", drop=True),
    )


def _years(economy: xr.Dataset) -> list[int]:
    return sorted(int(y) for y in economy["year"].values) if "year" in economy.dims else []


def _year(
    model: xr.Dataset, year: int | None, which: str = "end", *, source: str = "model.nc"
) -> int:
    years = _years(model)
    if not years:
        raise MissingVariableError(f"{source} has no 'year' dimension")
    if year is None:
        return years[-1] if which == "end" else years[0]
    if year not in years:
        option = "--year" if which == "end" else "--start-year"
        raise ValueError(
            f"{option} {year} is not a year of {source}; choose one of {_listed(years)}"
        )
    return year


def _listed(labels: Iterable[object]) -> str:
    return ", ".join(map(str, labels))


# -- checks before any computing --------------------------------------------------------------


def check_options(options: Options, stages: tuple[str, ...]) -> None:
    """Refuse options that would fail a stage, before any data are read."""
    if "optimal" in stages:
        from spatialocc.solvers.counterfactuals import TRANSFORMATIONS

        unknown = [v for v in options.variants if v not in TRANSFORMATIONS]
        if unknown:
            raise ValueError(
                f"--variants: unknown variant{'s' if len(unknown) > 1 else ''} "
                f"{_listed(map(repr, unknown))}; expected names from "
                f"{_listed(sorted(TRANSFORMATIONS))}, separated by commas ('' for none)"
            )
    if "plot" in stages or "uncertainty" in stages:
        _check_natural_earth(options.natural_earth)
    scheduler = options.scheduler
    if scheduler is not None and scheduler not in SCHEDULERS and "://" not in scheduler:
        raise ValueError(
            f"--scheduler must be one of {_listed(SCHEDULERS)} or the address of a "
            f"dask.distributed scheduler (tcp://host:8786), got {options.scheduler!r}"
        )
    if "uncertainty" in stages and options.draws < 1:
        raise ValueError(f"--draws must be 1 or more, got {options.draws}")


def _check_natural_earth(folder: str | None) -> None:
    from spatialocc.plot.borders import NATURAL_EARTH_ENV, NATURAL_EARTH_FILES

    if folder is not None:
        origin, alternative = "--natural-earth", "leave --natural-earth out"
    elif os.environ.get(NATURAL_EARTH_ENV, "").strip():
        folder = os.environ[NATURAL_EARTH_ENV].strip()
        origin, alternative = f"the {NATURAL_EARTH_ENV} environment variable", "unset it"
    else:
        return
    path = Path(folder).expanduser()
    if path.is_dir():
        missing = [name for name in NATURAL_EARTH_FILES if not (path / name).is_file()]
        if not missing:
            return
        found = f"lacks {_listed(missing)}"
    else:
        found = "is not a folder" if path.exists() else "does not exist"
    raise PipelineError(
        f"{origin} names {folder!r}, which {found}; expected a folder holding the Natural Earth "
        f"GeoJSON files {_listed(NATURAL_EARTH_FILES)}: correct it, or {alternative} to let "
        f"cartopy download them"
    )


def check_economy(
    economy: xr.Dataset, options: Options, stages: tuple[str, ...], *, source: str
) -> None:
    """Refuse options that do not fit the data or model (``source`` names it), before any
    computing."""
    if set(stages) - {"invert"}:
        end = _year(economy, options.year, source=source)
    labels = _occupations(economy)
    if options.occupations is not None:
        _check_occupations(options.occupations, labels, source)
    if options.tau == "paper" and set(stages) & set(SOLVING):
        _check_paper_tau(labels, source)
    if "invert" in stages:
        _check_real_estate(economy, options.real_estate, source)
    if "estimate" in stages:
        _check_estimation(economy, options, source)
    if "decompose" in stages:
        start = _year(economy, options.start_year, "start", source=source)
        years = _years(economy)
        if len(years) < 2:
            raise PipelineError(
                f"the decomposition (Table 3) compares two years, but the only year of "
                f"{source} is {years[0]}; give data with a start and an end year, or run the "
                f"other stages one by one ('spatialocc invert', then estimate, solve, optimal "
                f"and plot)"
            )
        if start == end:
            default = " (--year, by default the latest)" if options.year is None else ""
            raise PipelineError(
                f"--start-year {start} is also the end year{default}; the decomposition "
                f"(Table 3) compares two different years: choose them from the years of "
                f"{source}, {_listed(years)}"
            )


def _occupations(economy: xr.Dataset) -> list[str]:
    return [str(k) for k in economy["occupation"].values]


def _check_occupations(pair: tuple[str, ...], labels: list[str], source: str) -> None:
    found = f"the occupations of {source} are {_listed(labels)}: e.g. --occupations "
    found += ",".join(labels[:2])
    unknown = [k for k in pair if k not in labels]
    if unknown:
        raise ValueError(f"--occupations: {unknown[0]!r} is not an occupation of {source}; {found}")
    if len(pair) != 2 or pair[0] == pair[1]:
        raise ValueError(
            f"--occupations: expected two different occupations separated by a comma, got "
            f"{len(pair)} ({','.join(pair)}); {found}"
        )


def _check_paper_tau(labels: list[str], source: str) -> None:
    if set(labels) != set(PAPER_OCCUPATIONS):
        *first, last = TABLE2_METHODS
        raise ValueError(
            f"--tau paper: the paper's τ are for the occupations {' and '.join(PAPER_OCCUPATIONS)}"
            f", the occupations of {source} are {_listed(labels)}; use --tau {', '.join(first)} "
            f"or {last} to solve with this run's estimates (Table 2)"
        )


def _check_real_estate(data: xr.Dataset, label: str | None, source: str) -> None:
    industries = [str(j) for j in data["industry"].values]
    if (label or REAL_ESTATE) in industries:
        return
    tradable = (
        data["tradable"].values if "tradable" in data.variables else [False] * len(industries)
    )
    others = _listed(repr(j) for j, t in zip(industries, tradable, strict=True) if not t)
    if label is None:
        raise PipelineError(
            f"no industry of {source} is labeled {REAL_ESTATE!r}, the land-using industry; the "
            f"non-tradable ones are {others}: name it with --real-estate LABEL"
        )
    raise PipelineError(
        f"--real-estate {label!r} is not an industry of {source}; the non-tradable ones are "
        f"{others}: name the land-using one"
    )


def _check_estimation(economy: xr.Dataset, options: Options, source: str) -> None:
    from spatialocc.estimate.externalities import (
        DEFAULT_INSTRUMENTS,
        MODEL_IMPLIED,
        parse_fixed_effects,
    )

    names = {str(name) for name in economy.variables}
    if options.instruments is not None:
        for spec in options.instruments:
            if spec != MODEL_IMPLIED and _variable(spec) not in names:
                raise ValueError(
                    f"--instruments: {_variable(spec)!r} is not a variable of {source}; expected "
                    f"variable names (log(NAME) for the log of one) or {MODEL_IMPLIED}, as in the "
                    f"default {','.join(DEFAULT_INSTRUMENTS)}"
                )
        # model_implied is two instruments, one for each regressor
        if sum(2 if s == MODEL_IMPLIED else 1 for s in options.instruments) < 2:
            raise ValueError(
                f"--instruments: the IV estimators of Table 2 need at least two instruments, got "
                f"{','.join(options.instruments) or 'none'}; add one (e.g. {MODEL_IMPLIED})"
            )
    try:
        terms = parse_fixed_effects(options.fixed_effects)
    except ValueError as exc:
        raise ValueError(f"--fixed-effects: {exc}") from None
    factors = [factor for term in terms for factor in term]
    for option, given, example in (
        ("--fixed-effects", factors, "industry"),
        ("--cluster", options.cluster, "city"),
    ):
        for name in given:
            if name not in names:
                raise ValueError(
                    f"{option}: {name!r} is not a coordinate or variable of {source}; it has the "
                    f"coordinates {_listed(economy.coords)} (e.g. {option} {example}, or none)"
                )


def _variable(instrument: str) -> str:
    """The variable an instrument is made of: ``log(name)`` -> ``name``."""
    if instrument.startswith("log(") and instrument.endswith(")"):
        return instrument[4:-1]
    return instrument


def _compared(economy: xr.Dataset, options: Options) -> tuple[str, str]:
    """The two occupations the tables compare: ``--occupations``, else the paper's when
    present, else the first two (as the figures choose them)."""
    if options.occupations is not None:
        return options.occupations
    labels = _occupations(economy)
    return PAPER_OCCUPATIONS if set(PAPER_OCCUPATIONS) <= set(labels) else tuple(labels[:2])


def _compared_first(ds: xr.Dataset, pair: tuple[str, str]) -> xr.Dataset:
    """``ds`` with the compared occupations first on ``occupation`` (where the figures and
    Table 3 look for them)."""
    if "occupation" not in ds.dims:
        return ds
    return ds.sel(occupation=[*pair, *(k for k in _occupations(ds) if k not in pair)])


def _real_estate(model: xr.Dataset) -> str:
    """The land-using industry, as ``invert`` recorded it."""
    return str(model.attrs.get("real_estate", REAL_ESTATE))


# -- stages -----------------------------------------------------------------------------------


def stage_invert(data: xr.Dataset, ws: Workspace, options: Options) -> xr.Dataset:
    from spatialocc.dims.validation import validate
    from spatialocc.solvers.inversion import invert

    with _timed(options, "invert", "validating the data and inverting every year"):
        validate(data, kind="data")
        model = invert(data, real_estate=options.real_estate or REAL_ESTATE)
        ws.write(data, "data.nc")
        ws.write(model, "model.nc")
    return model


def _instruments(model: xr.Dataset) -> list[str]:
    from spatialocc.estimate.externalities import DEFAULT_INSTRUMENTS

    present = [spec for spec in DEFAULT_INSTRUMENTS if _variable(spec) in model.variables]
    return present if len(present) >= 2 else ["model_implied"]


def stage_estimate(model: xr.Dataset, ws: Workspace, options: Options) -> None:
    from spatialocc import estimate
    from spatialocc.estimate.errors import EstimationError
    from spatialocc.reports import table1

    year = _year(model, options.year)
    one = model.sel(year=year)
    instruments = list(options.instruments or _instruments(one))
    fixed_effects = options.fixed_effects or "none"
    with _timed(options, "estimate", f"Tables 1-2 on {year} (instruments: {instruments})"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the summary table reports what matters
            try:
                result = estimate.externalities(
                    one,
                    method=TABLE2_METHODS[0],
                    instruments=instruments,
                    fixed_effects=options.fixed_effects,
                    cluster=options.cluster or None,
                    compare=TABLE2_METHODS[1:],
                )
            except EstimationError as exc:  # its advice is in the arguments' terms
                raise EstimationError(
                    f"{exc} On the command line: --instruments NAME,NAME,... (this run: "
                    f"{','.join(instruments)}; or model_implied), --fixed-effects SPEC (this "
                    f"run: {fixed_effects}; coarser: e.g. industry, or none), --cluster "
                    f"NAME,NAME (this run: {','.join(options.cluster) or 'none'}; or none)"
                ) from exc
        ws.write(result.to_dataset(), "estimates.nc")
        focal = _compared(one, options)[0]
        table = table1(one, occupation=focal)
        n_cities = int(table[(table.columns[0][0], "nobs")].max())
        write_table(
            table,
            ws.staging,
            "table1",
            title=f"Table 1 ({year}): univariate OLS across {n_cities} cities, one observation "
            f"per city (the data have wages by city and occupation, not by industry), "
            f"heteroskedasticity-robust (HC1) standard errors. The paper's note clusters two "
            f"ways by city and industry, which implies a city x industry sample",
        )
        write_table(
            result.summary(),
            ws.staging,
            "table2",
            title=f"Table 2 ({year}; instruments: {', '.join(instruments)}; fixed effects: "
            f"{fixed_effects})",
        )
    with _timed(options, "estimate:A9", f"Table A9 on {year} (model-implied instruments)"):
        _table_a9(one, ws, options, year)
    replications = options.a8_replications
    with _timed(
        options, "estimate:A8", f"Table A8 on {year} (no externalities, {replications} draws)"
    ):
        _table_a8(one, result, ws, options, year, instruments)


def _table_a9(one: xr.Dataset, ws: Workspace, options: Options, year: int) -> None:
    """Table A9: Table 2's regressions with the model-implied instruments of section 4.6."""
    from spatialocc import estimate
    from spatialocc.estimate.design import MODEL_IMPLIED
    from spatialocc.estimate.errors import EstimationError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = estimate.externalities(
                one,
                method=TABLE2_METHODS[0],
                instruments=[MODEL_IMPLIED],
                fixed_effects=options.fixed_effects,
                cluster=options.cluster or None,
                compare=TABLE2_METHODS[1:],
            )
        except EstimationError as exc:
            options.notices.append(f"Table A9 was not written: {exc}")
            return
    ws.write(result.to_dataset(), "tableA9.nc")
    write_table(
        result.summary(),
        ws.staging,
        "tableA9",
        title=f"Table A9 ({year}; model-implied instruments; fixed effects: "
        f"{options.fixed_effects or 'none'})",
    )


def _table_a8(
    one: xr.Dataset, result, ws: Workspace, options: Options, year: int, instruments: list[str]
) -> None:
    """Table A8: Table 2's regressions on the allocation without externalities (true τ = 0),
    λ̂ taken at the τ of the solves (``--tau``; this run's headline estimates when the paper's
    do not fit the occupations), and the Monte Carlo draws of ``--a8-replications``."""
    from spatialocc.estimate.errors import EstimationError
    from spatialocc.estimate.iv import METHOD_NAMES
    from spatialocc.estimate.montecarlo import table_a8
    from spatialocc.solvers.equilibrium import with_externalities

    if options.tau == "paper" and set(_occupations(one)) == set(PAPER_OCCUPATIONS):
        economy, source = with_externalities(one, **PAPER_TAU), "the paper's CUE"
    else:
        method = options.tau if options.tau != "paper" else TABLE2_METHODS[0]
        chosen = result.to_dataset()["estimate"].sel(estimator=method)
        economy = with_externalities(
            one,
            tau_share=chosen.sel(coefficient="tau_share", drop=True),
            tau_size=chosen.sel(coefficient="tau_size", drop=True),
        )
        source = f"this run's {METHOD_NAMES[method]}"
    try:
        table = table_a8(
            economy,
            instruments=instruments,
            methods=tuple(reversed(TABLE2_METHODS)),
            fixed_effects=options.fixed_effects,
            cluster=options.cluster or None,
            replications=options.a8_replications,
        )
    except EstimationError as exc:
        options.notices.append(f"Table A8 was not written: {exc}")
        return
    if not table.attrs["converged"]:
        ws.unconverged.append("tableA8 (the allocation without externalities)")
    table = table.rename(index=METHOD_NAMES, level="method")
    dataset = xr.Dataset.from_dataframe(table.rename_axis(index={"method": "estimator"}))
    dataset.attrs = {
        "truth": "tau_share = tau_size = 0",
        "exogenous_productivity_from": f"{source} tau",
        "instruments": ", ".join(instruments),
        "mc_replications_requested": options.a8_replications,
    }
    ws.write(dataset, "tableA8.nc")
    draws = f"; {options.a8_replications} Monte Carlo draws" if options.a8_replications else ""
    write_table(
        table,
        ws.staging,
        "tableA8",
        title=f"Table A8 ({year}; data without externalities, true tau = 0; λ̂ at {source} "
        f"tau; instruments: {', '.join(instruments)}{draws})",
    )


def stage_solve(model: xr.Dataset, ws: Workspace, options: Options) -> xr.Dataset:
    from spatialocc.solvers import counterfactuals
    from spatialocc.solvers.equilibrium import solve_equilibrium

    year = _year(model, options.year)
    economy = with_tau(model.sel(year=year), ws, options)
    with _timed(options, "solve", f"the no-externalities counterfactual ({year})"):
        solution = solve_equilibrium(counterfactuals.no_externalities(economy))
        ws.write(solution, "no_externalities.nc")
    return solution


def stage_optimal(model: xr.Dataset, ws: Workspace, options: Options) -> xr.Dataset:
    from spatialocc.reports import policy_summary, reallocation_summary
    from spatialocc.solvers.optimal import solve_optimal

    year = _year(model, options.year)
    economy = with_tau(model.sel(year=year), ws, options)
    focal = _compared(economy, options)[0]
    with _timed(options, "optimal", f"the optimal policy ({year})"):
        optimum = solve_optimal(economy)
        ws.write(optimum, "optimum.nc")
        summary = policy_summary(economy, optimum, occupations=_compared(economy, options))
        baseline = reallocation_summary(economy, optimum, occupation=focal)
    with _timed(options, "optimal:pandemic_payments", "the pandemic payments (section 6)"):
        _pandemic_payments(economy, baseline, ws, year, focal)
    shifts = {
        "baseline": reallocation_summary(economy, optimum, occupation=focal, contrast=baseline)
    }
    shares = {"baseline": _housing_share(economy)}
    gumbel: dict[str, object] = {}
    for variant in _variants(economy, options):
        with _timed(options, f"optimal:{variant}", f"equilibrium and optimum, {variant}"):
            changed, reference, variant_optimum = _solve_variant(economy, variant)
            column = variant
            if variant == "additive_amenities":
                gumbel = _mark_gumbel_scale(changed, reference, variant_optimum)
                column = f"{variant} ({gumbel['scale']} Gumbel scale)"
            ws.write(reference, f"equilibrium_{variant}.nc")
            ws.write(variant_optimum, f"optimum_{variant}.nc")
            shifts[column] = reallocation_summary(
                reference, variant_optimum, occupation=focal, contrast=baseline
            )
            shares[column] = _housing_share(changed)
    _write_variants(shifts, shares, ws, year)
    _write_policy_summary(summary, gumbel, ws)
    return optimum


def _variants(economy: xr.Dataset, options: Options) -> list[str]:
    """``options.variants`` without the housing-share variants when the occupations are not
    the paper's (their shares are the paper's CNR and nonCNR ones), with a notice."""
    if set(_occupations(economy)) == set(PAPER_OCCUPATIONS):
        return list(options.variants)
    skipped = [v for v in options.variants if v in HOUSING_VARIANTS]
    if skipped:
        options.notices.append(
            f"the variants {_listed(skipped)} set the paper's housing shares of "
            f"{' and '.join(PAPER_OCCUPATIONS)} workers (section 7.4), and the occupations here "
            f"are {_listed(_occupations(economy))}: skipped (for other shares call "
            f"spatialocc.solvers.counterfactuals.housing_shares(model, shares))"
        )
    return [v for v in options.variants if v not in skipped]


def _solve_variant(economy: xr.Dataset, variant: str) -> tuple[xr.Dataset, xr.Dataset, xr.Dataset]:
    """The variant's economy, its equilibrium and its optimum (each converged or flagged
    ``converged=False``, which :meth:`Workspace.write` reports)."""
    from spatialocc.solvers import counterfactuals
    from spatialocc.solvers.equilibrium import solve_equilibrium
    from spatialocc.solvers.optimal import solve_optimal

    transform = counterfactuals.TRANSFORMATIONS[variant]  # names checked by check_options
    if "real_estate" in inspect.signature(transform).parameters:
        transform = functools.partial(transform, real_estate=_real_estate(economy))
    changed = transform(economy)
    reference = solve_equilibrium(changed)
    return changed, reference, solve_optimal(changed, reference=reference)


def _housing_share(economy: xr.Dataset) -> xr.DataArray:
    """α[k,RE] by occupation."""
    alpha = economy["consumption_share"].sel(industry=_real_estate(economy), drop=True)
    return alpha.broadcast_like(economy["occupation"]).reset_coords(drop=True)


#: The attribute of equilibrium_additive_amenities.nc and optimum_additive_amenities.nc that
#: says which Gumbel scale the additive-amenity variant uses: "per occupation" (ν / C̄[k]).
GUMBEL_SCALE_ATTR = "gumbel_scale"


def _mark_gumbel_scale(changed: xr.Dataset, *solutions: xr.Dataset) -> dict[str, object]:
    """Record in ``solutions`` (in place: they are this stage's own results) the Gumbel scale
    of the additive-amenity variant; return it with ν_add by occupation."""
    nu_additive = changed["nu_additive"]
    scale = "per occupation"
    for solution in solutions:
        solution.attrs[GUMBEL_SCALE_ATTR] = scale
        solution.attrs["gumbel_scale_note"] = (
            "nu_additive = nu / mean real consumption of each occupation (the default)"
        )
    return {"scale": scale, "nu_additive": nu_additive.broadcast_like(changed["occupation"])}


def _write_variants(
    shifts: dict[str, xr.Dataset], shares: dict[str, xr.DataArray], ws: Workspace, year: int
) -> None:
    """variants.nc and variants.csv/md: each optimum against its own equilibrium."""
    import pandas as pd

    from spatialocc.reports import reallocation_table

    table = reallocation_table(shifts)
    housing = pd.DataFrame(
        {
            name: {f"housing_share {k}": float(v) for k, v in share.to_series().items()}
            for name, share in shares.items()
        }
    )
    table = pd.concat([housing, table]).rename_axis(table.index.name)
    names = list(shifts)
    dataset = xr.concat(
        list(shifts.values()),
        dim=xr.DataArray(names, dims="scenario", name="scenario"),
    )
    dataset["housing_share"] = xr.concat(list(shares.values()), dim=dataset["scenario"])
    dataset.attrs = {
        "contents": "each scenario's optimum against its own decentralized equilibrium; "
        "corr_share_change_contrast correlates its change in the focal share with the "
        "baseline optimum's",
        **{k: str(v) for k, v in next(iter(shifts.values())).attrs.items()},
    }
    ws.write(dataset, "variants.nc")
    write_table(
        table,
        ws.staging,
        "variants",
        title=f"Optimum of each variant against its own equilibrium ({year}); "
        f"corr_share_change_contrast: with the baseline optimum's change",
    )


def _pandemic_payments(
    economy: xr.Dataset, optimal: xr.Dataset, ws: Workspace, year: int, focal: str
) -> None:
    """Section 6: the pandemic payments against the decentralized equilibrium (the model at
    the data), beside the optimum (``optimal``, its :func:`reallocation_summary`)."""
    from spatialocc.reports import reallocation_summary, reallocation_table
    from spatialocc.solvers.equilibrium import solve_equilibrium

    payments = solve_equilibrium(economy, policy="pandemic_payments")
    ws.write(payments, "equilibrium_pandemic_payments.nc")
    shift = reallocation_summary(economy, payments, occupation=focal, contrast=optimal)
    shifts = {"pandemic_payments": shift, "optimum": optimal}
    dataset = xr.concat(
        list(shifts.values()), dim=xr.DataArray(list(shifts), dims="scenario", name="scenario")
    )
    dataset.attrs = {
        "reference": "the decentralized equilibrium (the model at the data)",
        "policy": "pandemic_payments: $6,200 per worker, phased out at 5% of wages above "
        "$75,000, budget closed by a flat income tax; the amounts are applied as they are to "
        "the model's dollars (those of its price_level year, the end year of the bundled data)",
        **shift.attrs,
    }
    ws.write(dataset, "pandemic_payments.nc")
    write_table(
        reallocation_table(shifts),
        ws.staging,
        "pandemic_payments",
        title=f"Pandemic payments against the equilibrium, beside the optimum ({year}); "
        f"corr_share_change_contrast: with the optimum's change",
    )


def _write_policy_summary(summary: xr.Dataset, gumbel: dict[str, object], ws: Workspace) -> None:
    """policy_summary.nc and .csv/md, with the Gumbel scale of the additive-amenity variant
    (an attribute and a row of ν_add by occupation)."""
    import pandas as pd

    from spatialocc.reports import policy_table

    table = policy_table(summary)
    if gumbel:
        summary = summary.assign_attrs(additive_amenities_gumbel_scale=gumbel["scale"])
        nu = gumbel["nu_additive"]
        rows = pd.DataFrame(
            {
                "additive_amenities_nu_additive": {
                    str(k): float(v) for k, v in nu.to_series().items()
                }
            }
        ).T
        table = pd.concat([table, rows]).rename_axis(table.index.name)
    ws.write(summary, "policy_summary.nc")
    write_table(table, ws.staging, "policy_summary", title="Optimal policy")


def stage_decompose(model: xr.Dataset, ws: Workspace, options: Options) -> xr.Dataset:
    from spatialocc.reports import cnr_share_distribution, decomposition_table, technology_change
    from spatialocc.solvers.decomposition import decompose

    start, end = _year(model, options.start_year, "start"), _year(model, options.year)
    economy = with_tau(model.sel(year=[start, end]), ws, options)
    with _timed(options, "decompose", f"Table 3, {start} to {end} (22 solves incl. 4 optima)"):
        with _dask(options) as scheduler:
            result = decompose(
                economy,
                start=start,
                end=end,
                scheduler=scheduler,
                real_estate=_real_estate(economy),
            )
        ws.write(result, "decomposition.nc")
        first, second = pair = _compared(economy, options)
        table = decomposition_table(_compared_first(result, pair))
        ratios = "; ".join(f"{p}: {r:.3f}" for p, r in table.attrs["baseline_ratio"].items())
        write_table(
            table,
            ws.staging,
            "table3",
            title=f"Table 3: welfare relative to the Baseline {start} row ({first}/{second} "
            f"welfare ratio in the Baseline: {ratios})",
        )
        histogram = cnr_share_distribution(result, occupation=first)
        ws.write(histogram.to_dataset(), "figure18.nc")
        change = technology_change(economy, start=start, end=end, real_estate=_real_estate(economy))
        ws.write(_compared_first(change, pair), "technology_change.nc")
    return result


@contextmanager
def _progress_bar(options: Options) -> Iterator[None]:
    if options.quiet:
        yield
        return
    from dask.diagnostics import ProgressBar

    with ProgressBar(dt=1.0, out=sys.stderr):
        yield


@contextmanager
def _dask(options: Options) -> Iterator[str | None]:
    """The scheduler to pass to dask, with a progress bar: dask's on the local schedulers;
    with an address (``--scheduler tcp://host:8786``) a ``dask.distributed`` client
    connected to it for the block, and the link of its dashboard, where the tasks show."""
    if options.scheduler is None or "://" not in options.scheduler:
        with _progress_bar(options):
            yield options.scheduler
        return
    try:
        from dask.distributed import Client
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"--scheduler {options.scheduler} needs dask.distributed: "
            'pip install "spatialocc[distributed]"'
        ) from err
    with Client(options.scheduler) as client:
        options.say(
            f"on the dask.distributed scheduler {options.scheduler}; progress: "
            f"{client.dashboard_link}"
        )
        yield None


def _sampling_distribution(economy: xr.Dataset, ws: Workspace, options: Options) -> xr.Dataset:
    """The mean and covariance of τ that the uncertainty stage draws from: with ``--tau
    paper`` the paper's CUE estimates and standard errors (Table 2; it reports no
    covariances, so the covariance is diagonal), else this run's estimator and its two-way
    clustered covariance (estimates.nc)."""
    if options.tau != "paper":
        estimates = ws.read("estimates.nc", stage="estimate")
        return estimates.sel(estimator=options.tau).assign_attrs(
            source=f"this run's {options.tau} estimates and their clustered covariance"
        )
    _check_paper_tau(_occupations(economy), "the model")
    table = paper.TABLE2["cue"]
    occupations = list(PAPER_OCCUPATIONS)
    coefficients = ["tau_share", "tau_size"]
    mean = [[table[c][k][0] for c in coefficients] for k in occupations]
    variance = [[table[c][k][1] ** 2 for c in coefficients] for k in occupations]
    covariance = [[[v[0], 0.0], [0.0, v[1]]] for v in variance]
    return xr.Dataset(
        {
            "estimate": (("occupation", "coefficient"), mean),
            "covariance": (("occupation", "coefficient", "coefficient_2"), covariance),
        },
        coords={
            "occupation": occupations,
            "coefficient": coefficients,
            "coefficient_2": coefficients,
        },
        attrs={"source": "the paper's CUE estimates and standard errors (Table 2), diagonal"},
    )


def stage_uncertainty(model: xr.Dataset, ws: Workspace, options: Options) -> xr.Dataset:
    import shutil

    from spatialocc.reports.uncertainty import comparison_intervals, policy_intervals
    from spatialocc.solvers.uncertainty import PropagationError, propagate, summarize

    year = _year(model, options.year)
    economy = model.sel(year=year)
    pair = _compared(economy, options)
    estimates = _sampling_distribution(economy, ws, options)
    store = ws.out / UNCERTAINTY_STORE
    what = f"{options.draws} draws of tau ({estimates.attrs['source']}), {year}"

    def sweep() -> xr.Dataset:
        with _dask(options) as scheduler:
            return propagate(
                economy,
                estimates,
                n_draws=options.draws,
                seed=options.draw_seed,
                outputs=("no_externalities", "optimum"),
                store=store,
                # one draw per task: the progress bar counts draws, and a stopped stage
                # loses at most the draws in progress
                chunk_size=1,
                scheduler=scheduler,
                max_iter=UNCERTAINTY_BUDGET,
            )

    with _timed(options, "uncertainty", what):
        try:
            draws = sweep()
        except PropagationError as err:
            if "another sweep" not in str(err):
                raise
            options.say(
                f"uncertainty: {store.name} held the draws of another model or "
                f"other options; starting again"
            )
            shutil.rmtree(store)
            draws = sweep()
        reused = options.draws - int(draws.attrs["draws_solved"])
        if reused:
            options.say(f"uncertainty: {reused} of {options.draws} draws read from {store}")
        draws.attrs["source"] = estimates.attrs["source"]
        summary = summarize(draws)
        ws.write(draws, "uncertainty.nc")
        ws.write(summary, "uncertainty_summary.nc")
        unconverged = int(summary["optimum.n_unconverged"])
        if unconverged:
            ws.unconverged.append(f"uncertainty.nc ({unconverged} draws of the optimum)")
        note = f"{options.draws} draws of tau from {estimates.attrs['source']}"
        point = ws.locate("policy_summary.nc")
        write_table(
            policy_intervals(draws, open_dataset(point).load() if point else None, pair),
            ws.staging,
            "policy_summary_intervals",
            title=f"Policy summary ({year}) with 90% intervals over {note}",
        )
        results: dict[str, xr.Dataset] = {"model": with_tau(economy, ws, options)}
        for key, name in COMPARISON_INPUTS.items():
            path = ws.locate(name)
            if path is not None:
                results[key] = open_dataset(path).load()
        write_table(
            comparison_intervals(results, draws, pair).set_index(
                ["source", "statistic", "occupation"]
            ),
            ws.staging,
            "paper_comparison_intervals",
            title=f"The paper's numbers beside this run's, with 90% intervals over {note} "
            f"(empty: not computed or not a policy statistic)",
        )
        try:
            from spatialocc.plot.uncertainty import draw_uncertainty

            draw_uncertainty(
                _compared_first(draws, pair),
                ws.staging / "uncertainty",
                occupation=pair[0],
                natural_earth=options.natural_earth,
            )
        except ImportError as err:  # pragma: no cover - depends on the environment
            options.notices.append(f"uncertainty figures not drawn: {err}")
    return draws


#: Inputs of :func:`spatialocc.plot.draw_all` and the files they are read from.
PLOT_INPUTS = {
    "no_externalities": "no_externalities.nc",
    "optimum": "optimum.nc",
    "technology_change": "technology_change.nc",
    **{
        f"{kind}_{v}": f"{kind}_{v}.nc"
        for v in FIGURE_VARIANTS
        for kind in ("equilibrium", "optimum")
    },
}


def stage_plot(model: xr.Dataset, ws: Workspace, options: Options) -> list[Path]:
    from spatialocc import plot

    year = _year(model, options.year)
    pair = _compared(model, options)
    inputs: dict[str, xr.Dataset | xr.DataArray] = {
        "model": _compared_first(with_tau(model.sel(year=year), ws, options), pair)
    }
    for key, name in PLOT_INPUTS.items():
        path = ws.locate(name)
        if path is not None:
            inputs[key] = _compared_first(open_dataset(path).load(), pair)
    histogram = ws.locate("figure18.nc")
    if histogram is not None:
        inputs["population_share"] = open_dataset(histogram)["population_share"].load()
    with _timed(options, "plot", f"figures from {len(inputs)} results"):
        return plot.draw_all(inputs, ws.staging / "figures", natural_earth=options.natural_earth)


#: Inputs of :func:`spatialocc.reports.paper_comparison` and the files they are read from.
COMPARISON_INPUTS = {
    "estimates": "estimates.nc",
    "summary": "policy_summary.nc",
    "optimum": "optimum.nc",
    "decomposition": "decomposition.nc",
}


def stage_compare(model: xr.Dataset, ws: Workspace, options: Options) -> None:
    from spatialocc.reports import paper_comparison

    year = _year(model, options.year)
    results: dict[str, xr.Dataset] = {"model": with_tau(model.sel(year=year), ws, options)}
    for key, name in COMPARISON_INPUTS.items():
        path = ws.locate(name)
        if path is not None:
            results[key] = open_dataset(path).load()
    with _timed(options, "compare", "the paper beside this run"):
        table = paper_comparison(results)
        write_table(
            table.set_index(["source", "statistic", "occupation"]),
            ws.staging,
            "paper_comparison",
            title=f"The paper's numbers beside this run ({year}; dollars of {year}; empty: "
            f"not computed, see the note)",
        )


# -- the whole study ----------------------------------------------------------------------------


def run(
    dataset: str | xr.Dataset | None,
    out: str | os.PathLike[str],
    options: Options | None = None,
    *,
    stages: tuple[str, ...] = STAGES,
    seed: int = 0,
) -> list[Path]:
    """Run ``stages`` (default: all) on ``dataset``, committing each one's results to ``out``
    as it finishes.

    Returns the paths written. After a failure ``options.stage`` names the stage that failed
    and ``options.kept`` the stages committed before it.
    """
    options = options or Options()
    unknown = [s for s in stages if s not in ALL_STAGES]
    if unknown:
        raise ValueError(f"unknown stages {unknown}; stages are {list(ALL_STAGES)}")
    check_options(options, stages)
    data = model = None
    if "invert" in stages:
        if dataset is None:
            raise ValueError("the invert stage needs a dataset")
        data = load_data(dataset, seed=seed) if isinstance(dataset, str) else dataset
        check_economy(data, options, stages, source="the data")
    with workspace(out, options) as ws:
        if data is None:  # read under the lock: the model no other process can replace
            model = ws.read("model.nc", stage="invert", kind="model")
            check_economy(model, options, stages, source="model.nc")
        try:
            for stage in stages:
                options.stage = stage
                if stage == "invert":
                    model = stage_invert(data, ws, options)
                else:
                    STAGE_FUNCTIONS[stage](model, ws, options)
                ws.commit(stage)
            options.stage = None
        finally:
            options.kept = tuple(ws.folder.stages_of_this_run(ALL_STAGES))
        options.unconverged.extend(ws.unconverged)
        removed = [s for s in ALL_STAGES if s in ws.dropped and s not in options.kept]
        if removed:
            options.notices.append(
                f"model.nc changed, so the results of {', '.join(removed)}, computed from the "
                f"previous model, were removed; rerun those stages (or 'spatialocc run')"
            )
    return ws.written


STAGE_FUNCTIONS: dict[str, Callable[[xr.Dataset, Workspace, Options], object]] = {
    "estimate": stage_estimate,
    "solve": stage_solve,
    "optimal": stage_optimal,
    "decompose": stage_decompose,
    "plot": stage_plot,
    "compare": stage_compare,
    "uncertainty": stage_uncertainty,
}
