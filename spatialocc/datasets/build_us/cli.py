"""Writing the built US dataset, and the command line
``python -m spatialocc.datasets.build_us --raw DIR [--out FILE]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import xarray as xr

from spatialocc.datasets.build_us.build import build_us
from spatialocc.datasets.build_us.parameters import PACKAGED_PATH
from spatialocc.datasets.build_us.raw_files import RawDataMissingError


def write_us(ds: xr.Dataset, path: str | Path = PACKAGED_PATH) -> Path:
    """Write the US dataset as NetCDF (atomically, through :func:`spatialocc.to_netcdf`).

    Parameters
    ----------
    ds
        The Dataset returned by :func:`build_us`.
    path
        Destination; default the packaged ``spatialocc/datasets/data/us.nc``. Its folder is
        created if needed.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from spatialocc.dims.io import to_netcdf
    from spatialocc.dims.validation import validate

    validate(ds, kind="data")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return to_netcdf(ds, path)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m spatialocc.datasets.build_us --raw DIR [--out FILE]``.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 when a raw file is missing (the message goes to stderr).
    """
    parser = argparse.ArgumentParser(
        prog="python -m spatialocc.datasets.build_us",
        description="Build the spatialocc US dataset from the raw public files.",
    )
    parser.add_argument("--raw", required=True, help="raw-data folder (../shared/data/raw)")
    parser.add_argument(
        "--out",
        default=str(PACKAGED_PATH),
        help="output NetCDF file (default: the packaged spatialocc/datasets/data/us.nc)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        ds = build_us(args.raw)
    except RawDataMissingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path = write_us(ds, args.out)
    print(
        f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB; {ds.sizes['city']} cities, "
        f"{ds.sizes['industry']} industries, years {ds['year'].values.tolist()}) in "
        f"{time.perf_counter() - start:.1f} s"
    )
    return 0
