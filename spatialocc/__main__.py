"""The ``spatialocc`` command: the whole study (``run``) or one stage of it.

    spatialocc run [DATASET] --out DIR        every stage, each committed to DIR when it finishes
    spatialocc invert [DATASET] --out DIR     data.nc, model.nc
    spatialocc estimate --out DIR             estimates.nc, table1.*, table2.*, tableA8.*,
                                              tableA9.*
    spatialocc solve --out DIR                no_externalities.nc
    spatialocc optimal --out DIR              optimum.nc, policy_summary.*, variants, the
                                              pandemic payments
    spatialocc decompose --out DIR            decomposition.nc, table3.*, figure18.nc,
                                              technology_change.nc
    spatialocc plot --out DIR                 figures/*.png
    spatialocc compare --out DIR              paper_comparison.*
    spatialocc uncertainty --draws N --out DIR
                                              uncertainty.nc, uncertainty_summary.nc,
                                              policy_summary_intervals.*,
                                              paper_comparison_intervals.*, uncertainty/*.png
                                              (run includes it only with --draws N)
    spatialocc build-ipums X.xml --out D.nc   a dataset from IPUMS USA extracts

DATASET is a NetCDF file of kind "data" or a registered dataset
(``spatialocc.datasets.register``; "us", the default, and "synthetic" are bundled). Stages after
``invert`` read the files earlier stages wrote in DIR. Errors are one line on stderr with exit
status 2 (``--traceback`` shows the full traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

from spatialocc import datasets, pipeline

DESCRIPTIONS = {
    "run": "the whole study: invert, estimate, solve, optimal, decompose, plot, compare",
    "invert": "validate the data and invert both years (writes data.nc, model.nc)",
    "estimate": "estimate the externalities, Tables 1 and 2 (reads model.nc)",
    "solve": "the no-externalities counterfactual (reads model.nc)",
    "optimal": "the optimal policy, its summary and the variants' optima (reads model.nc)",
    "decompose": "the decomposition of Table 3, Figure 18's histogram and Figures 19-20's "
    "technology change (reads model.nc)",
    "plot": "draw the figures from the results in the output folder",
    "compare": "the paper's numbers beside this run's (writes paper_comparison.csv/.md)",
    "uncertainty": "the estimates' sampling error carried into the counterfactual and the "
    "optimum: --draws N draws of tau, intervals, figures (reads model.nc; estimates.nc with "
    "--tau other than paper)",
}


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line too (argparse prints the whole usage first); the subcommands'
    parsers are of the same class."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _alternatives(names: tuple[str, ...]) -> str:
    """``'a', 'b' or 'c'``."""
    *first, last = map(repr, names)
    return f"{', '.join(first)} or {last}" if first else last


def _stage_options() -> argparse.ArgumentParser:
    """The options of every stage: a run's choices, repeated when a stage is rerun alone."""
    solves = argparse.ArgumentParser(add_help=False)
    solves.add_argument(
        "--tau",
        default="paper",
        choices=pipeline.TAU_SOURCES,
        help="externalities of the solves: 'paper' (the paper's CUE estimates, default) or "
        f"this run's {_alternatives(pipeline.TABLE2_METHODS)} estimates (estimates.nc)",
    )
    solves.add_argument("--year", type=int, help="year of the solves (default: the latest)")
    solves.add_argument(
        "--start-year", type=int, help="first year of the decomposition (default: the earliest)"
    )
    solves.add_argument(
        "--variants",
        default=",".join(pipeline.VARIANTS),
        help="comma-separated counterfactuals whose optimum is computed (default: "
        f"{','.join(pipeline.VARIANTS)}; '' for none)",
    )
    solves.add_argument(
        "--scheduler",
        metavar="NAME|ADDRESS",
        type=_scheduler,
        help="dask scheduler of the decomposition and the draws: threads (default), "
        "processes, synchronous, or the address of a dask.distributed scheduler "
        "(tcp://host:8786) to run them on its cluster",
    )
    solves.add_argument(
        "--draws",
        metavar="N",
        type=_count,
        help="draws of tau of the uncertainty stage (default for 'spatialocc uncertainty': "
        f"{pipeline.UNCERTAINTY_DRAWS}; 'run' adds the stage only when N is given and above 0)",
    )
    solves.add_argument(
        "--draw-seed", type=int, default=0, help="seed of the draws of tau (default: 0)"
    )
    solves.add_argument(
        "--natural-earth",
        help="folder of Natural Earth GeoJSON files for map borders (default: the "
        "SPATIALOCC_NATURAL_EARTH environment variable, else cartopy's download)",
    )
    solves.add_argument(
        "--instruments",
        metavar="NAME,NAME,...",
        help="excluded instruments of Table 2: variables of the model, log(NAME) for the log "
        "of one, or model_implied (default: log(historical_population),land_grant_college,"
        "immigrant_enclave when the data have them, else model_implied)",
    )
    solves.add_argument(
        "--fixed-effects",
        metavar="SPEC",
        default="division^industry",
        help="fixed effects of Table 2, '+' between terms and '^' for interactions "
        "(default: division^industry; e.g. industry; 'none' for an intercept only)",
    )
    solves.add_argument(
        "--cluster",
        metavar="NAME,NAME",
        default="city,industry",
        help="cluster variables of Table 2's standard errors (default: city,industry; 'none' "
        "for heteroskedasticity-robust ones)",
    )
    solves.add_argument(
        "--a8-replications",
        metavar="N",
        type=_count,
        default=pipeline.A8_REPLICATIONS,
        help="Monte Carlo draws of Table A8 on the end-year economy without externalities "
        f"(default: {pipeline.A8_REPLICATIONS}, about 15 s each on the US data; 0 for the "
        "paper's single counterfactual only)",
    )
    solves.add_argument(
        "--occupations",
        metavar="A,B",
        help="the two occupations the tables compare: Table 1 (A against the others), the "
        "policy summary, Table 3's ratio A/B, Figure 18 (default: CNR,nonCNR when present, "
        "else the first two; the figures compare the same two unless the data have CNR and "
        "nonCNR)",
    )
    return solves


def _scheduler(value: str) -> str:
    """A dask scheduler by name, or the address of a dask.distributed scheduler."""
    if value in pipeline.SCHEDULERS or "://" in value:
        return value
    names = ", ".join(map(repr, pipeline.SCHEDULERS))
    raise argparse.ArgumentTypeError(
        f"invalid choice: {value!r} (choose from {names}, or the address of a "
        f"dask.distributed scheduler such as tcp://host:8786)"
    )


def _count(value: str) -> int:
    """A number of draws: an integer, 0 or more."""
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number, 0 or more; got {value!r}")
    return number


def _names(value: str) -> tuple[str, ...]:
    """``"a, b"`` -> ``("a", "b")``; ``"none"`` -> ``()``."""
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    return () if names == ("none",) else names


def _finish(args: argparse.Namespace, stages: tuple[str, ...]) -> str:
    """The commands that run ``stages`` alone with the options of this run."""
    options = []
    for action in _stage_options()._actions:
        value = getattr(args, action.dest)
        if value != action.default:
            options += [action.option_strings[0], str(value)]
    return " && ".join(
        shlex.join(["spatialocc", stage, "--out", args.out, *options]) for stage in stages
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="spatialocc",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[1:]),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--out", default="output", help="output folder (default: ./output)")
    common.add_argument("--quiet", action="store_true", help="no progress messages")
    common.add_argument("--traceback", action="store_true", help="show full tracebacks")
    solves = _stage_options()
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument(
        "dataset",
        nargs="?",
        default="us",
        help="a NetCDF file of kind 'data', or a registered dataset (default: us): "
        + "; ".join(f"'{d.name}': {d.description}" for d in datasets.loaders.REGISTRY.values()),
    )
    data.add_argument("--seed", type=int, default=0, help="seed of the synthetic economy")
    data.add_argument(
        "--real-estate",
        metavar="LABEL",
        help="the land-using (real-estate) industry of the data (default: 'Real Estate'); the "
        "later stages read it from model.nc",
    )
    for name in ("run", *pipeline.ALL_STAGES):
        parents = [common, solves] + ([data] if name in ("run", "invert") else [])
        command = sub.add_parser(name, parents=parents, help=DESCRIPTIONS[name])
        command.set_defaults(stages=pipeline.STAGES if name == "run" else (name,))
    ipums = sub.add_parser(
        "build-ipums",
        help="a data NetCDF from IPUMS USA extracts (then: spatialocc run FILE)",
        description="Aggregate IPUMS USA extracts (codebook .xml beside its .dat/.dat.gz, or CSV) "
        "into a data Dataset: employment by occupation, industry and city, wages by occupation "
        "and city; everything else from --base (spatialocc.datasets.from_ipums).",
    )
    ipums.add_argument("extracts", nargs="+", help="codebooks (.xml) or CSV extracts")
    ipums.add_argument("--out", required=True, help="the NetCDF file to write")
    ipums.add_argument("--base", default="us", help="dataset for what microdata lack (us)")
    ipums.add_argument("--wage", choices=["mean", "median"], default="mean")
    ipums.add_argument("--full-time", action="store_true", help="full-time full-year wages")
    ipums.add_argument("--min-records", type=int, default=30, help="flag cells below this")
    ipums.add_argument("--quiet", action="store_true", help="no progress messages")
    ipums.add_argument("--traceback", action="store_true", help="show full tracebacks")
    ipums.set_defaults(command="build-ipums")
    return parser


def _build_ipums(args: argparse.Namespace) -> int:
    """``spatialocc build-ipums``: write the dataset of the extracts."""
    from spatialocc.datasets.ipums import from_ipums
    from spatialocc.dims.io import to_netcdf

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            data = from_ipums(
                *args.extracts,
                base=args.base,
                wage=args.wage,
                full_time=args.full_time,
                min_records=args.min_records,
                progress=not args.quiet,
            )
        path = to_netcdf(data, args.out)
    except Exception as exc:
        if args.traceback:
            raise
        print(f"spatialocc: error: {_message(exc)}", file=sys.stderr)
        return 2
    print(
        f"Wrote {path} ({data.sizes['city']} cities, years "
        f"{', '.join(str(y) for y in data['year'].values)}); run the study on it with: "
        f"spatialocc run {path}"
    )
    for warning in caught:
        print(f"NOTE: {warning.message}")
    return 0


def _message(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    elif isinstance(exc, OSError) and exc.filename is not None:
        text = f"{exc.strerror or exc}: {exc.filename}"
    else:
        text = str(exc) or type(exc).__name__
    if isinstance(exc, ImportError):
        text += ' (install the optional dependencies: pip install "spatialocc[all]")'
    return " ".join(text.split())


class Terminated(KeyboardInterrupt):
    """SIGTERM, taken like Ctrl-C: what kill, systemd and batch schedulers send to stop."""


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    def terminate(signum: int, frame: object) -> None:
        raise Terminated

    if threading.current_thread() is not threading.main_thread():
        yield  # handlers can be set in the main thread only
        return
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _remaining(args: argparse.Namespace, options: pipeline.Options) -> tuple[str, ...]:
    """The stages of this command after those it committed."""
    if not options.kept:
        return args.stages
    return args.stages[args.stages.index(options.kept[-1]) + 1 :]


def _kept(args: argparse.Namespace, options: pipeline.Options, fix: str = "") -> str:
    """What a stopped run kept in the output folder and how to finish it ("" for nothing)."""
    if not options.kept:
        return ""
    kept = f"; the results of {', '.join(options.kept)} from this run are in {args.out}"
    remaining = _remaining(args, options)
    return f"{kept}; {fix}finish with: {_finish(args, remaining)}" if remaining else kept


def _interrupted(exc: KeyboardInterrupt, args: argparse.Namespace, options) -> str:
    by = "SIGTERM" if isinstance(exc, Terminated) else "SIGINT (Ctrl-C)"
    remaining = _remaining(args, options)
    where = f"during {remaining[0]}" if remaining else "after the last stage"
    kept = _kept(args, options) or f"; the results in {args.out} are as they were before this run"
    return f"spatialocc: interrupted by {by} {where}{kept}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    if getattr(args, "command", None) == "build-ipums":
        return _build_ipums(args)
    if args.command == "run" and args.draws:
        args.stages = (*args.stages, "uncertainty")
    options = pipeline.Options(
        tau=args.tau,
        year=args.year,
        start_year=args.start_year,
        variants=_names(args.variants),
        scheduler=args.scheduler,
        natural_earth=args.natural_earth,
        real_estate=getattr(args, "real_estate", None),
        instruments=None if args.instruments is None else _names(args.instruments),
        fixed_effects=None if args.fixed_effects.strip() in ("none", "") else args.fixed_effects,
        cluster=_names(args.cluster),
        occupations=None if args.occupations is None else _names(args.occupations),
        a8_replications=args.a8_replications,
        draws=pipeline.UNCERTAINTY_DRAWS if args.draws is None else args.draws,
        draw_seed=args.draw_seed,
        quiet=args.quiet,
        command=shlex.join(["spatialocc", *argv]),
    )
    start = time.perf_counter()
    try:
        with _sigterm_interrupts():
            written = pipeline.run(
                getattr(args, "dataset", None),
                args.out,
                options,
                stages=args.stages,
                seed=getattr(args, "seed", 0),
            )
    except KeyboardInterrupt as exc:
        print(_interrupted(exc, args, options), file=sys.stderr)
        return 128 + (signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT)
    except (Exception, SystemExit) as exc:  # one line, unless asked for the traceback
        if args.traceback or isinstance(exc, SystemExit):
            raise
        kept = _kept(args, options, "after fixing this, ")
        print(f"spatialocc: error: {_message(exc)}{kept}", file=sys.stderr)
        return 2
    out = Path(args.out)
    if not args.quiet:
        stages = ", ".join(f"{s} {t:.1f} s" for s, t in options.timings.items())
        print(f"spatialocc: stage times: {stages}", file=sys.stderr)
    tables = sorted(p.name for p in written if p.suffix == ".md")
    figures = [p for p in written if p.suffix == ".png"]
    print(
        f"Wrote {len(written)} files to {out.resolve()} in {time.perf_counter() - start:.0f} s: "
        f"{sum(p.suffix == '.nc' for p in written)} NetCDF, tables {', '.join(tables) or '-'}"
        + (
            f", {len(figures)} figures in {', '.join(sorted({str(p.parent) for p in figures}))}"
            if figures
            else ""
        )
    )
    for notice in options.notices:
        print(f"NOTE: {notice}")
    for name in options.unconverged:
        print(f"WARNING: {name} did not converge; it is flagged converged=False")
    return 0


if __name__ == "__main__":
    sys.exit(main())
