"""NetCDF exchange (``spatialocc.to_netcdf``, ``spatialocc.open_dataset``) and the one
atomic write (:func:`atomic_path`) that every file the package writes goes through."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from spatialocc.dims.errors import FileFormatError
from spatialocc.dims.schema import annotate
from spatialocc.dims.validation import Kind, validate

ENGINE = "netcdf4"
VERSION_ATTR = "spatialocc_version"
#: Global attribute listing, as a JSON list of ``[variable, attribute]`` pairs (``variable`` is
#: ``null`` for a global attribute), the attributes stored as int8 because NetCDF has no
#: boolean attribute type.
BOOL_ATTRS = "spatialocc_bool_attributes"
#: Free space (bytes) below which a failed write is taken for a full disk: the NetCDF library
#: reports a failed write on a full disk as "NetCDF: HDF error", without the errno.
FULL_DISK_FREE = 1 << 20


def _version() -> str:
    from spatialocc import __version__

    return __version__


def prepare(ds: xr.Dataset) -> xr.Dataset:
    """The Dataset as :func:`to_netcdf` writes it: schema attributes and the package version.

    Examples
    --------
    >>> import xarray as xr
    >>> from spatialocc.dims.io import prepare
    >>> "spatialocc_version" in prepare(xr.Dataset()).attrs
    True
    """
    # a file read with plain xarray still carries BOOL_ATTRS: restore its bools, drop the entry
    out = _decode_bool_attrs(annotate(ds))
    out.attrs = {**out.attrs, VERSION_ATTR: _version()}
    return out


def _nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def _encode_bool_attrs(ds: xr.Dataset) -> xr.Dataset:
    flagged: list[list[str | None]] = []
    out = ds.copy(deep=False)
    targets: list[tuple[str | None, dict[str, Any]]] = [(None, out.attrs)]
    targets += [(str(name), out.variables[name].attrs) for name in out.variables]
    for owner, attrs in targets:
        for key, value in list(attrs.items()):
            if isinstance(value, bool | np.bool_):
                attrs[key] = np.int8(value)
                # NetCDF-C stores names in Unicode NFC: record them as they will be read back
                flagged.append([owner and _nfc(owner), _nfc(key)])
    if flagged:
        out.attrs[BOOL_ATTRS] = json.dumps(flagged, ensure_ascii=False)
    return out


def _decode_bool_attrs(ds: xr.Dataset) -> xr.Dataset:
    """Restore the attributes listed in ``BOOL_ATTRS`` (in place); ignore entries that do not
    name an integer attribute."""
    text = str(ds.attrs.pop(BOOL_ATTRS, ""))
    try:
        if text.startswith("["):
            pairs = [(owner, key) for owner, key in json.loads(text)]
        else:  # "variable:attribute;..." with "__dataset__" for globals, written by 0.1.0
            pairs = [tuple(item.split(":", 1)) for item in text.split(";") if item]
            pairs = [(None if owner == "__dataset__" else owner, key) for owner, key in pairs]
    except (ValueError, TypeError):
        return ds
    for owner, key in pairs:
        attrs = ds.attrs if owner is None else getattr(ds.variables.get(owner), "attrs", {})
        if isinstance(attrs.get(key), int | np.integer):
            attrs[key] = bool(attrs[key])
    return ds


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; it replaces ``path`` when the block ends.

    The file is flushed to disk and renamed over ``path`` in one step only when the ``with``
    block finishes without an error, so a failure or a crash mid-write leaves no partial file
    and never destroys an existing one; on an error the temporary file is removed. A write
    that fails on a full disk raises ``OSError`` with ``errno.ENOSPC`` and the message "no
    space left on device while writing <path>" (whatever the writer's own error was). The
    temporary file is created with mode ``0o666`` less the umask, as ``open`` would create
    ``path`` (not ``tempfile.mkstemp``'s ``0o600``, which the result would keep), so every file
    type ends with the same permissions. The folder of ``path`` must exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from spatialocc.dims.io import atomic_path
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "table.md"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("| a |\\n")
    >>> target.read_text()
    '| a |\\n'
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {path.parent} does not exist")
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        free = _free_space(path.parent)  # measured before the partial file is removed
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        if _disk_full(exc, free):
            raise OSError(
                errno.ENOSPC,
                f"no space left on device while writing {path} ("
                + ("" if free is None else f"{free:,} bytes free in {path.parent}; ")
                + f"the writer reported: {exc}). Free space or write elsewhere; no partial "
                f"file was left and an earlier file at that path is untouched.",
            ) from exc
        raise


def _free_space(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _disk_full(exc: BaseException, free: int | None) -> bool:
    """Whether the failed write ``exc`` is a full disk: ENOSPC anywhere in its chain, or an
    I/O error of the NetCDF/HDF5 library (which drops the errno) with almost no space left."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        seen = seen.__cause__ or seen.__context__
    return isinstance(exc, OSError | RuntimeError) and free is not None and free < FULL_DISK_FREE


def to_netcdf(
    ds: xr.Dataset, path: str | os.PathLike[str], *, validate_schema: bool = True
) -> Path:
    """Write ``ds`` to ``path`` as NetCDF-4, atomically.

    The file is written beside its destination under a temporary name and moved into place
    only once complete, so an error or a crash mid-write leaves no partial file and never
    destroys an existing file at ``path``. Known variables get CF-style ``long_name``,
    ``units`` and ``symbol`` attributes from the schema, and the file records the package
    version in the global attribute ``spatialocc_version``. Boolean attributes, which NetCDF
    cannot store, are kept as int8 and restored by :func:`open_dataset`.

    Parameters
    ----------
    ds
        The Dataset; dask-backed variables are computed while writing.
    path
        Destination file; its folder must exist.
    validate_schema
        Check ``ds`` with :func:`spatialocc.validate` first (default), so that no file that
        the reader would reject is ever written.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    OSError
        With ``errno.ENOSPC`` and the message "no space left on device while writing
        <path>" when the disk fills up during the write (see :func:`atomic_path`).

    Examples
    --------
    >>> import tempfile, os, xarray as xr, spatialocc
    >>> path = os.path.join(tempfile.mkdtemp(), "params.nc")
    >>> _ = spatialocc.to_netcdf(xr.Dataset({"theta": 10.0}), path)
    >>> float(spatialocc.open_dataset(path)["theta"])
    10.0
    """
    path = Path(path)
    if validate_schema:
        validate(ds)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {path.parent} does not exist")
    encoded = _encode_bool_attrs(prepare(ds))
    with atomic_path(path) as tmp:
        encoded.to_netcdf(tmp, engine=ENGINE, format="NETCDF4")
    return path


def open_dataset(
    path: str | os.PathLike[str],
    *,
    kind: Kind | None = None,
    chunks: dict[str, int] | str | None = None,
) -> xr.Dataset:
    """Read a spatialocc NetCDF file and check it against the schema.

    Parameters
    ----------
    path
        A NetCDF file written by :func:`to_netcdf` or by any tool that follows the schema.
    kind
        Passed to :func:`spatialocc.validate`: ``"data"``, ``"model"`` or ``None`` (check
        only what is present).
    chunks
        ``None`` (default) loads everything into memory and closes the file; otherwise the
        variables stay lazy dask arrays chunked as given (e.g. ``{"year": 1}``).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    FileFormatError
        The file is not NetCDF.
    SchemaError
        The file does not follow the schema (same errors as :func:`spatialocc.validate`).

    Examples
    --------
    >>> import tempfile, os, spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=4, n_industries=3, years=(2015,))
    >>> path = spatialocc.to_netcdf(data, os.path.join(tempfile.mkdtemp(), "d.nc"))
    >>> spatialocc.open_dataset(path, kind="data").sizes["city"]
    4
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}")
    try:
        opened = xr.open_dataset(path, engine=ENGINE, chunks=chunks)
    except (OSError, ValueError) as exc:
        raise FileFormatError(
            f"{path} could not be read as NetCDF ({exc}). spatialocc reads NetCDF-4/HDF5 and "
            f"classic NetCDF files; convert other formats with xarray first."
        ) from exc
    if chunks is None:
        with opened:
            ds = opened.load()
    else:
        ds = opened
    try:
        return validate(_decode_bool_attrs(ds), kind)
    except BaseException:
        ds.close()  # a lazily opened file would otherwise stay open
        raise
