"""Mutation testing of the core (``spatialocc/solvers``, ``estimate`` and ``reports``), on demand.

Uses mutmut (``pip install ".[mutation]"``; configuration in ``pyproject.toml`` under
``[tool.mutmut]``). A full run mutates every function of the core (about ten thousand mutants)
and, for every mutant, runs the tests that call the mutated function until one fails; on two
cores that takes days, so the default is a stratified random sample of mutants, which
estimates the score of each module with a confidence interval. See ``benchmarks/README.md``.

Run from the repository root::

    python benchmarks/mutation.py --sample 400 --seed 0      # a sample (hours on 2 cores)
    python benchmarks/mutation.py --all                       # every mutant (days)
    python benchmarks/mutation.py --report-only --seed 0      # re-read the last results

``mutmut show <name>`` prints the diff of one mutant, ``mutmut results`` the survivors.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

KILLED = {1, 3}  # a test failed
TIMEOUT = {-24, 24, 36, 152, 255}  # the mutant made the tests run too long: counted as killed
SURVIVED = {0}
NO_TESTS = {5, 33}  # no test calls the mutated function


def all_mutants(root: Path) -> dict[str, int | None]:
    """Every mutant name with its last exit code (None: not yet run), from mutmut's files."""
    out: dict[str, int | None] = {}
    for meta in sorted((root / "mutants").rglob("*.py.meta")):
        out.update(json.loads(meta.read_text())["exit_code_by_key"])
    return out


def module_of(name: str) -> str:
    """``spatialocc.solvers.trade.x_sales__mutmut_3`` -> ``spatialocc.solvers.trade``."""
    head = name.split("__mutmut_")[0]
    return ".".join(part for part in head.split(".") if not part.startswith(("x_", "xǁ")))


def stratified_sample(names: list[str], size: int, seed: int) -> list[str]:
    """``size`` mutants drawn without replacement, allocated to modules in proportion to their
    number of mutants (at least 10 per module, or all of a smaller module)."""
    by_module: dict[str, list[str]] = defaultdict(list)
    for name in sorted(names):
        by_module[module_of(name)].append(name)
    rng = random.Random(seed)
    chosen: list[str] = []
    for _module, members in sorted(by_module.items()):
        k = max(10, round(size * len(members) / len(names)))
        chosen += rng.sample(members, min(k, len(members)))
    return sorted(chosen)


def wilson(killed: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion (95% by default)."""
    if n == 0:
        return (math.nan, math.nan)
    p = killed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half, centre + half)


def report(results: dict[str, int | None], names: list[str]) -> str:
    """A Markdown table of the score by module and the list of surviving mutants."""
    # killed (by a failure or a timeout), of which timeouts, survived, no test, not run
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    survivors: list[str] = []
    for name in names:
        code = results.get(name)
        counts = rows[module_of(name)]
        if code is None:
            counts[4] += 1
        elif code in KILLED | TIMEOUT:
            counts[0] += 1
            counts[1] += code in TIMEOUT
        elif code in NO_TESTS:
            counts[3] += 1
            survivors.append(f"{name} (no test calls it)")
        else:
            counts[2] += 1
            survivors.append(name if code in SURVIVED else f"{name} (exit code {code})")
    lines = [
        "| module | mutants | killed | (timeouts) | survived | no test | not run | score "
        "| 95% interval |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    total = [0, 0, 0, 0, 0]
    for module, counts in sorted(rows.items()):
        total = [a + b for a, b in zip(total, counts, strict=True)]
        lines.append(_row(module, counts))
    lines.append(_row("**core**", total))
    lines += ["", f"Surviving mutants ({len(survivors)}):", ""]
    lines += [f"- `{s}`" for s in survivors]
    return "\n".join(lines)


def _row(label: str, counts: list[int]) -> str:
    killed, timeouts, survived, none, todo = counts
    done = killed + survived + none
    score = killed / done if done else math.nan
    low, high = wilson(killed, done)
    return (
        f"| {label} | {done + todo} | {killed} | {timeouts} | {survived} | {none} | {todo} | "
        f"{score:.1%} | {low:.1%} - {high:.1%} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--sample", type=int, default=400, help="mutants in the sample")
    which.add_argument("--all", action="store_true", help="run every mutant")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-children", type=int, default=2, help="parallel test processes")
    parser.add_argument("--report-only", action="store_true", help="only summarize results")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    root = Path.cwd()
    if not (root / "mutants").exists():
        # Generating mutants and recording which tests call which function is part of every
        # mutmut run; run it on one mutant to get the list of all of them.
        first = subprocess.run(["mutmut", "run", "--max-children", "1", "*trade.x_sales__mutmut_1"])
        if first.returncode != 0 or not (root / "mutants").exists():
            print(
                "mutmut could not generate the mutants or run the tests; see above", file=sys.stderr
            )
            return 1
    results = all_mutants(root)
    names = (
        sorted(results) if args.all else stratified_sample(list(results), args.sample, args.seed)
    )
    if not args.report_only:
        # mutmut reruns every mutant it is given: give it only those without a result, so that
        # an interrupted run resumes where it stopped
        todo = [name for name in names if results.get(name) is None]
        command = ["mutmut", "run", "--max-children", str(args.max_children), *todo]
        run = subprocess.run(command) if todo else subprocess.CompletedProcess(command, 0)
        results = all_mutants(root)
        if run.returncode != 0 or all(results.get(name) is None for name in names):
            # e.g. "failed to collect stats": the unmutated tests must pass first
            print("mutmut did not run the sample; see its output above", file=sys.stderr)
            return 1
    text = report(results, names)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
