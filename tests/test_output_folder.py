"""The output folder: one writer at a time, results swapped in whole, whatever kills a run.

Kills and interruptions run ``spatialocc`` in a subprocess that pauses at a chosen point (a
step of the commit or a stage) until the test has sent its signal.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr
from test_cli import digest, leftovers

import spatialocc
from spatialocc.__main__ import main
from spatialocc.output_folder import OutputFolder

#: ``python -c PAUSED WHERE ARGV...``: the command line, paused at WHERE until a line arrives on
#: stdin. WHERE is ``commit:<method of OutputFolder>`` or ``stage:<stage>``.
PAUSED = """
import sys
from spatialocc import output_folder, pipeline
from spatialocc.__main__ import main

where, argv = sys.argv[1], sys.argv[2:]
kind, _, name = where.partition(":")
original = getattr(output_folder.OutputFolder, name) if kind == "commit" else None


def paused(*args, **kwargs):
    print("paused", flush=True)
    sys.stdin.readline()
    return original(*args, **kwargs) if original else None


if kind == "commit":
    setattr(output_folder.OutputFolder, name, paused)
else:
    pipeline.STAGE_FUNCTIONS[name] = paused
sys.exit(main(argv))
"""


def start(where: str, *argv: str | Path) -> subprocess.Popen:
    """``spatialocc ARGV --quiet`` in a subprocess, returned once it is paused at ``where``."""
    process = subprocess.Popen(
        [sys.executable, "-c", PAUSED, where, *map(str, argv), "--quiet"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if line != "paused\n":
        out, err = process.communicate(timeout=60)
        raise AssertionError(f"the subprocess did not pause: {line}{out}{err}")
    return process


def cities(out: Path) -> set[int]:
    """The numbers of cities of the NetCDF files users see in ``out`` (those with cities)."""
    sizes = set()
    for name in digest(out):
        if name.endswith(".nc"):
            with xr.open_dataset(out / name) as ds:
                sizes |= {ds.sizes["city"]} if "city" in ds.sizes else set()
    return sizes


@pytest.fixture(scope="module")
def economies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two small economies, of 12 and 14 cities."""
    folder = tmp_path_factory.mktemp("economies")
    return tuple(
        spatialocc.to_netcdf(
            spatialocc.datasets.synthetic(n_cities=n, n_industries=6, seed=seed),
            folder / f"cities{n}.nc",
        )
        for n, seed in ((12, 3), (14, 4))
    )


@pytest.fixture(scope="module")
def estimated(tmp_path_factory: pytest.TempPathFactory, economies) -> Path:
    """Results of invert and estimate on the 12-city economy."""
    out = tmp_path_factory.mktemp("estimated") / "results"
    assert main(["invert", str(economies[0]), "--out", str(out), "--quiet"]) == 0
    assert main(["estimate", "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture
def out(tmp_path: Path, estimated: Path) -> Path:
    copy = tmp_path / "results"
    shutil.copytree(estimated, copy, symlinks=True)
    return copy


def test_a_second_writer_stops_at_once_naming_the_first(out: Path, economies, capsys) -> None:
    first = start("commit:_swap", "invert", economies[1], "--out", out)
    try:
        began = time.perf_counter()
        assert main(["decompose", "--out", str(out), "--quiet"]) == 2
        assert time.perf_counter() - began < 2
    finally:
        first.kill()
        first.wait(timeout=60)
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert (
        f"spatialocc: error: the output folder {str(out)!r} is in use by process {first.pid} "
        f"(spatialocc invert {economies[1]} --out {out} --quiet, running since "
    ) in err
    assert err.endswith("wait for it to finish, or choose another folder with --out"), err


@pytest.mark.parametrize(
    ("command", "where"),
    [
        ("invert", "commit:_swap"),  # before the rename that commits
        ("invert", "commit:_tidy"),  # after it
        ("solve", "commit:_swap"),  # a new name, linked before the rename
    ],
)
def test_a_kill_at_the_commit_leaves_one_whole_set(
    command: str, where: str, out: Path, economies
) -> None:
    """The measured failure: kill -9 while files were moved in one by one left a 14-city
    data.nc beside 12-city results. Now every file seen is of the old set or every one of the
    new, and the next writer removes what the killed one left."""
    before = digest(out)
    argv = [command, economies[1]] if command == "invert" else [command]
    killed = start(where, *argv, "--out", out)
    killed.kill()
    killed.wait(timeout=60)
    if where == "commit:_tidy":  # committed: the new model, without the old model's estimates
        assert set(digest(out)) == {"data.nc", "model.nc"}
        assert cities(out) == {14}
    else:
        assert digest(out) == before
        assert cities(out) == {12}
    old_style = out / ".spatialocc-k2j4l1"  # the staging folder of spatialocc 0.1.0
    old_style.mkdir()
    (old_style / "model.nc").write_bytes(b"half moved")
    assert leftovers(out)
    assert main(["solve", "--out", str(out), "--quiet"]) == 0
    assert leftovers(out) == []
    assert len(list((out / ".spatialocc" / "versions").iterdir())) == 1


def test_plain_files_are_adopted_unchanged(tmp_path: Path, estimated: Path) -> None:
    """Results written by spatialocc 0.1.0 (or copied in by hand) are plain files: they are
    kept as they are, become links at the first commit, and files that no stage writes are
    left alone."""
    out = tmp_path / "results"
    out.mkdir()
    for name in ("model.nc", "table1.md"):
        shutil.copyfile(estimated / name, out / name)
    (out / "notes.txt").write_text("mine")
    before = digest(out)
    assert main(["solve", "--out", str(out), "--quiet"]) == 0
    after = digest(out)
    assert set(after) == {*before, "no_externalities.nc"}
    assert {name: after[name] for name in before} == before
    assert (out / "model.nc").is_symlink() and not (out / "notes.txt").is_symlink()
    manifest = json.loads((out / ".spatialocc" / "current" / "manifest.json").read_text())
    assert manifest["files"]["table1.md"]["stage"] == "estimate"
    assert manifest["files"]["no_externalities.nc"]["stage"] == "solve"
    assert leftovers(out) == []


def test_a_new_model_removes_the_results_of_the_previous_one(out: Path, economies, capsys) -> None:
    """Inverting other data leaves no result of the old model beside the new one; inverting
    the same data again (the same model.nc) keeps them."""
    before = digest(out)
    assert main(["invert", str(economies[0]), "--out", str(out), "--quiet"]) == 0
    assert digest(out) == before
    assert "NOTE" not in capsys.readouterr().out
    assert main(["invert", str(economies[1]), "--out", str(out), "--quiet"]) == 0
    assert set(digest(out)) == {"data.nc", "model.nc"}
    assert cities(out) == {14}
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("NOTE")]
    assert notes == [
        "NOTE: model.nc changed, so the results of estimate, computed from the previous "
        "model, were removed; rerun those stages (or 'spatialocc run')"
    ]


def test_files_and_folders_follow_the_umask(tmp_path: Path, economies) -> None:
    out = tmp_path / "results"
    previous = os.umask(0o027)
    try:
        assert main(["invert", str(economies[0]), "--out", str(out), "--quiet"]) == 0
    finally:
        os.umask(previous)
    paths = [out, out / ".spatialocc.lock", *(out / ".spatialocc").rglob("*")]
    modes = {
        str(p.relative_to(out)): stat.S_IMODE(p.lstat().st_mode)
        for p in paths
        if not p.is_symlink()
    }
    assert len(modes) >= 7  # the folder, the lock, state, versions, a version, 2 files, manifest
    for name, mode in modes.items():
        assert mode == (0o750 if (out / name).is_dir() else 0o640), name


def test_sigterm_is_an_interruption(tmp_path: Path, economies) -> None:
    """SIGTERM (what kill, systemd and batch schedulers send) stops a run like Ctrl-C: the
    stages finished before are kept, the message says so and how to finish, nothing staged is
    left behind, and the folder is free again."""
    out = tmp_path / "results"
    run = start("stage:estimate", "run", economies[0], "--out", out, "--variants", "")
    run.terminate()
    _, err = run.communicate(timeout=60)
    assert run.returncode == 143
    rest = f"--out {out} --variants ''"
    assert err.strip() == (
        f"spatialocc: interrupted by SIGTERM during estimate; the results of invert from this "
        f"run are in {out}; finish with: spatialocc estimate {rest} && spatialocc solve "
        f"{rest} && spatialocc optimal {rest} && spatialocc decompose {rest} && spatialocc "
        f"plot {rest} && spatialocc compare {rest}"
    )
    assert set(digest(out)) == {"data.nc", "model.nc"}
    assert leftovers(out) == []
    assert main(["solve", "--out", str(out), "--quiet"]) == 0


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_an_interruption_at_the_commit_waits_for_it(signal_name: str, out: Path, economies) -> None:
    """Ctrl-C during the commit said "nothing was changed" after half the files had moved.
    The commit now finishes first, and the message tells what the folder holds."""
    before = digest(out)
    process = start("commit:_swap", "invert", economies[1], "--out", out)
    process.send_signal(getattr(signal, signal_name))
    time.sleep(0.5)  # the signal is held, not acted on
    assert process.poll() is None
    _, err = process.communicate("go\n", timeout=60)
    assert process.returncode == 128 + getattr(signal, signal_name)
    by = "SIGINT (Ctrl-C)" if signal_name == "SIGINT" else "SIGTERM"
    assert err.strip() == (
        f"spatialocc: interrupted by {by} after the last stage; the results of invert from "
        f"this run are in {out}"
    )
    assert digest(out) != before and set(digest(out)) == {"data.nc", "model.nc"}
    assert cities(out) == {14}
    assert leftovers(out) == []


def test_an_interruption_before_any_commit_changes_no_result(out: Path) -> None:
    before = digest(out)
    process = start("stage:solve", "solve", "--out", out)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.strip() == (
        f"spatialocc: interrupted by SIGINT (Ctrl-C) during solve; the results in {out} are "
        f"as they were before this run"
    )
    assert digest(out) == before
    assert leftovers(out) == []


def test_the_lock_is_released_while_a_forked_child_lives_on(tmp_path: Path) -> None:
    """A process pool forked during a run shares the lock's descriptor; the lock must still
    end with the run."""
    out = tmp_path / "results"
    with OutputFolder(out, command="first", patterns={}):
        child = os.fork()
        if child == 0:  # pragma: no cover - the child only waits to be killed
            time.sleep(60)
            os._exit(0)
    try:
        with OutputFolder(out, command="second", patterns={}):
            pass
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
