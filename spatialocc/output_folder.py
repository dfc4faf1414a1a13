"""The output folder of ``spatialocc``: one writer at a time, results swapped in whole.

Layout of a folder ``DIR``::

    DIR/model.nc, DIR/table1.md, DIR/figures/figure01.png, ...
                                   what users read: symbolic links to the same path below
                                   .spatialocc/current
    DIR/.spatialocc/current        a symbolic link to one version, replaced in one rename
    DIR/.spatialocc/versions/ID/   a complete set of results and its manifest.json: for
                                   every file its SHA-256 and stage, for every stage the run
                                   and command that wrote it and the model it was computed from
    DIR/.spatialocc.lock           the lock (``fcntl.flock``), holding the writer's pid and
                                   command

A commit builds the next version beside the current one (the new files, plus hard links to the
files it keeps), creates the links of new names, and then renames a link to it over
``current``. That rename is the commit: at every instant, a ``kill -9`` or a power cut
included, every path in ``DIR`` shows the files of one version, the old one or the new one.
Plain tools (``ncdump``, xarray, an image viewer) read ``DIR/model.nc`` as before. A manifest
that readers check would have left a mixed folder to every reader that does not read it, and
moving files in one at a time cannot be made atomic.

Files that a stage of an earlier version of spatialocc (or a person) put into the folder as
plain files are adopted into a version at the first commit, with the same content; files whose
names no stage writes are never touched.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import fnmatch
import hashlib
import json
import os
import secrets
import shutil
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from spatialocc.dims.io import atomic_path

#: The lock file, in the output folder.
LOCK = ".spatialocc.lock"
#: The folder of the versions, in the output folder.
STATE = ".spatialocc"
#: The manifest of a version, in the version's folder.
MANIFEST = "manifest.json"
#: Staging folders of spatialocc 0.1.0, which moved files in one at a time.
OLD_STAGING = ".spatialocc-*"


class OutputFolderError(RuntimeError):
    """The output folder cannot be written, or another process is writing it."""


@dataclass(frozen=True)
class Commit:
    """What one commit changed: the files it wrote and the stages it removed."""

    written: tuple[Path, ...]
    #: Stages whose results were computed from another model and were removed.
    dropped: tuple[str, ...]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block has finished, then take effect as usual.

    A commit is a few renames that must all happen or none; an interruption in the middle
    would leave the caller unable to say what it changed.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers run in the main thread only: nothing can interrupt here
        return
    received: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, frame: received.append(signum)) for s in held}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if received:
            signal.raise_signal(received[0])


class OutputFolder:
    """An output folder locked by this process, and its commits.

    Parameters
    ----------
    out
        The folder (created if needed).
    command
        What this process is, for the lock record and the manifest.
    patterns
        Stage name to the glob patterns (relative paths) of the files it writes: plain files
        of these names are adopted, all others left alone.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp()) / "results"
    >>> with OutputFolder(out, command="demo", patterns={"count": ("n.txt",)}) as folder:
    ...     staging = folder.new_version()
    ...     _ = (staging / "n.txt").write_text("1")
    ...     [p.name for p in folder.commit(staging, "count").written]
    ['n.txt']
    >>> (out / "n.txt").read_text(), (out / "n.txt").is_symlink()
    ('1', True)
    """

    def __init__(
        self,
        out: str | os.PathLike[str],
        *,
        command: str,
        patterns: Mapping[str, Sequence[str]],
    ) -> None:
        self.out = Path(out)
        self.state = self.out / STATE
        self.versions = self.state / "versions"
        self.current = self.state / "current"
        self.command = command
        self.patterns = {stage: tuple(globs) for stage, globs in patterns.items()}
        self.run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{secrets.token_hex(3)}"
        self._commits = 0
        self._lock: int | None = None
        #: What :meth:`recover` removed when the folder was locked.
        self.recovered: list[str] = []

    # -- the lock ------------------------------------------------------------------------------

    def __enter__(self) -> OutputFolder:
        self.lock()
        try:
            self.recovered = self.recover()
        except BaseException:
            self.unlock()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.unlock()

    def lock(self) -> None:
        """Take the folder's lock or raise :class:`OutputFolderError` naming its holder."""
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.out / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise OutputFolderError(
                f"cannot write to the output folder {str(self.out)!r}: "
                f"{exc.strerror or exc}; choose another folder with --out"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 4096, 0).decode(errors="replace")
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise OutputFolderError(
                f"the output folder {str(self.out)!r} is in use by {_describe(holder)}; wait "
                f"for it to finish, or choose another folder with --out"
            ) from None
        record = f"{os.getpid()}\n{time.strftime('%Y-%m-%d %H:%M:%S')}\n{self.command}\n"
        os.ftruncate(fd, 0)
        os.pwrite(fd, record.encode(), 0)
        self._lock = fd

    def unlock(self) -> None:
        if self._lock is not None:
            # unlocked explicitly: a forked child holding the descriptor would keep the lock
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            os.close(self._lock)
            self._lock = None

    # -- reading the visible set ----------------------------------------------------------------

    def manifest(self) -> dict:
        """The manifest of the current version (empty before the first commit)."""
        try:
            return json.loads((self.current / MANIFEST).read_text())
        except FileNotFoundError:
            return {"stages": {}, "files": {}}

    def stages_of_this_run(self, order: Sequence[str]) -> list[str]:
        """The stages, in ``order``, whose results from this process are in the folder."""
        stages = self.manifest()["stages"]
        return [s for s in order if stages.get(s, {}).get("run") == self.run_id]

    def _link_target(self, name: str) -> str:
        link = self.out / name
        return os.path.relpath(self.current / name, link.parent)

    def _is_ours(self, path: Path, name: str) -> bool:
        return path.is_symlink() and os.readlink(path) == self._link_target(name)

    def _owner(self, name: str) -> str | None:
        for stage, globs in self.patterns.items():
            if any(fnmatch.fnmatchcase(name, g) for g in globs):
                return stage
        return None

    def _candidates(self) -> Iterator[tuple[str, Path]]:
        """Every entry of the folder that is or could be a result: the top level and the
        subfolders that results live in."""
        folders = {""} | {os.path.dirname(g) for globs in self.patterns.values() for g in globs}
        folders |= {os.path.dirname(n) for n in self.manifest()["files"]}
        for folder in sorted(folders):
            base = self.out / folder
            if not base.is_dir() or base.is_symlink():
                continue
            for path in sorted(base.iterdir()):
                name = path.relative_to(self.out).as_posix()
                if not name.startswith(STATE):
                    yield name, path

    # -- recovery --------------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """Remove what an interrupted or killed writer left: staging versions, a half-made
        link, links to files no version holds. Returns what was removed."""
        removed = []
        for version in sorted(self.versions.glob("*")) if self.versions.is_dir() else []:
            if not self._is_current(version):
                shutil.rmtree(version, ignore_errors=True)
                removed.append(f"the staging folder {version.relative_to(self.out)}")
        for leftover in self.state.glob("*.tmp"):
            leftover.unlink()
        for old in self.out.glob(OLD_STAGING):
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
                removed.append(f"the staging folder {old.name}")
        for name, path in list(self._candidates()):
            if self._is_ours(path, name) and not path.exists():
                path.unlink()
                removed.append(f"the link {name} to a file no version holds")
            elif path.is_symlink() and fnmatch.fnmatchcase(path.name, ".*.tmp"):
                path.unlink()  # a link being renamed over a plain file when the writer died
        return removed

    # -- commits ---------------------------------------------------------------------------------

    def new_version(self) -> Path:
        """An empty folder for the files of the next commit."""
        self._commits += 1
        self.versions.mkdir(parents=True, exist_ok=True)
        version = self.versions / f"{self.run_id}-{self._commits}"
        version.mkdir()
        return version

    def discard(self, version: Path) -> None:
        """Remove ``version``, unless a commit made it the current one."""
        if not self._is_current(version):
            shutil.rmtree(version, ignore_errors=True)

    def _is_current(self, version: Path) -> bool:
        return self.current.is_symlink() and os.readlink(self.current) == os.path.join(
            "versions", version.name
        )

    def commit(self, version: Path, stage: str, *, model: str = "model.nc") -> Commit:
        """Make ``version`` (the files ``stage`` wrote) the folder's results, in one rename.

        The new set is the current one with ``stage``'s files replaced by those in
        ``version``; when ``version`` holds a new ``model`` file, the stages computed from the
        previous one are removed from the set (they would not match it).
        """
        with signals_held():
            self._adopt_plain_files(model)
            manifest = self.manifest()
            written = sorted(
                p.relative_to(version).as_posix() for p in version.rglob("*") if p.is_file()
            )
            files = {name: {"sha256": sha256(version / name), "stage": stage} for name in written}
            if model in files:
                model_digest = files[model]["sha256"]
            else:
                model_digest = manifest["files"].get(model, {}).get("sha256")
            stages = {
                s: record
                for s, record in manifest["stages"].items()
                if s != stage and record.get("model") == model_digest
            }
            dropped = tuple(s for s in manifest["stages"] if s != stage and s not in stages)
            stages[stage] = self._record(model_digest)
            visible = self._visible(manifest)
            for name in visible:
                entry = manifest["files"][name]
                if entry["stage"] in stages and name not in files:
                    _link_or_copy(self.current / name, version / name)
                    files[name] = entry
            self._publish(version, {"stages": stages, "files": files})
        return Commit(tuple(self.out / name for name in written), dropped)

    def _record(self, model_digest: str | None) -> dict:
        return {
            "run": self.run_id,
            "command": self.command,
            "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
            "model": model_digest,
        }

    def _visible(self, manifest: dict) -> list[str]:
        """The current version's files that users see (a link deleted by hand stays
        deleted)."""
        return [
            name
            for name, path in self._candidates()
            if name in manifest["files"] and self._is_ours(path, name) and path.exists()
        ]

    def _adopt_plain_files(self, model: str) -> None:
        """Put plain files with the names of results into a version of their own, unchanged,
        and replace each by its link: the commit that follows then only swaps versions."""
        manifest = self.manifest()
        plain = {
            name: path
            for name, path in self._candidates()
            if not self._is_ours(path, name) and path.is_file() and self._owner(name)
        }
        if not plain:
            return
        version = self.new_version()
        files = {}
        for name in self._visible(manifest):
            _link_or_copy(self.current / name, version / name)
            files[name] = manifest["files"][name]
        for name, path in plain.items():
            _link_or_copy(path, version / name)
            files[name] = {"sha256": sha256(version / name), "stage": self._owner(name)}
        model_digest = files.get(model, {}).get("sha256")
        stages = {s: r for s, r in manifest["stages"].items()}
        for name in plain:
            stage = files[name]["stage"]
            stages[stage] = {
                "run": None,
                "command": "found in the folder",
                "finished": None,
                "model": model_digest,
            }
        self._publish(version, {"stages": stages, "files": files})

    def _publish(self, version: Path, manifest: dict) -> None:
        manifest = {"format": 1, "version": version.name, **manifest}
        with atomic_path(version / MANIFEST) as tmp:
            tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        before = self._visible(self.manifest())
        for name in manifest["files"]:  # new names: dangling (absent) until the swap
            link = self.out / name
            if not os.path.lexists(link):
                link.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(self._link_target(name), link)
        self._swap(version)
        self._tidy(manifest, before)

    def _swap(self, version: Path) -> None:
        tmp = self.state / f"current.{secrets.token_hex(4)}.tmp"
        os.symlink(os.path.join("versions", version.name), tmp)
        os.replace(tmp, self.current)
        fd = os.open(self.state, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _tidy(self, manifest: dict, before: Sequence[str]) -> None:
        """After a swap: links for plain files that were adopted, no links to removed
        files, no other version."""
        for name in manifest["files"]:
            link = self.out / name
            if not self._is_ours(link, name):
                tmp = link.parent / f".{link.name}.{secrets.token_hex(4)}.tmp"
                os.symlink(self._link_target(name), tmp)
                os.replace(tmp, link)
        for name in before:
            if name not in manifest["files"]:
                (self.out / name).unlink(missing_ok=True)
        for version in self.versions.iterdir():
            # committed ones only: a version without a manifest is being built
            if not self._is_current(version) and (version / MANIFEST).exists():
                shutil.rmtree(version, ignore_errors=True)


def _link_or_copy(source: Path, target: Path) -> None:
    """``target`` with the content of ``source``: a hard link (free), else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _describe(record: str) -> str:
    """The lock holder from its record: ``process 42 (spatialocc run ..., since ...)``."""
    pid, _, rest = record.partition("\n")
    started, _, command = rest.partition("\n")
    if not pid.strip().isdigit():
        return "another process"
    return f"process {pid.strip()} ({command.strip()}, running since {started.strip()})"
