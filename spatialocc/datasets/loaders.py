"""Named datasets: :func:`load`."""

from __future__ import annotations

from contextlib import ExitStack
from importlib import resources
from typing import Any

import xarray as xr

from spatialocc.datasets.synthetic import synthetic

#: Names accepted by :func:`load`, with a one-line description.
DATASETS: dict[str, str] = {
    "us": "382 US metropolitan CBSAs, 22 industries, CNR/nonCNR, 1980 and 2015, built from "
    "public statistics (spatialocc/datasets/data/us.nc; see datasets/README.md)",
    "synthetic": "a synthetic US-like economy generated in code (spatialocc.datasets.synthetic)",
}
US_FILE = "data/us.nc"


def load(name: str = "us", **kwargs: Any) -> xr.Dataset:
    """Load a named dataset of kind ``"data"``, ready for :func:`spatialocc.invert`.

    Parameters
    ----------
    name
        ``"us"`` (default): the bundled US dataset, read from the NetCDF file shipped with the
        package and checked against the schema; ``"synthetic"``: a synthetic economy.
    **kwargs
        For ``"us"``, passed to :func:`spatialocc.open_dataset` (e.g. ``chunks={"year": 1}``);
        for ``"synthetic"``, passed to :func:`spatialocc.datasets.synthetic` (e.g.
        ``n_cities=40``).

    Returns
    -------
    xarray.Dataset
        The dataset. Every variable of the US dataset carries ``source`` and ``observed``
        attributes (and ``imputation`` where it is not observed).

    Raises
    ------
    ValueError
        Unknown ``name``.
    FileNotFoundError
        The bundled US file is missing (a source tree where it was not built).

    Examples
    --------
    >>> import spatialocc
    >>> spatialocc.datasets.load("synthetic", n_cities=5, n_industries=3).sizes["city"]
    5
    """
    if name == "synthetic":
        return synthetic(**kwargs)
    if name != "us":
        known = ", ".join(repr(n) for n in DATASETS)
        raise ValueError(f"unknown dataset {name!r}; available datasets: {known}")
    from spatialocc.dims.io import open_dataset

    kwargs.setdefault("kind", "data")
    resource = resources.files("spatialocc.datasets").joinpath(US_FILE)
    with ExitStack() as stack:
        path = stack.enter_context(resources.as_file(resource))
        if not path.is_file():
            raise FileNotFoundError(
                f"the bundled US dataset {path} is missing. Build it with `python -m "
                f"spatialocc.datasets.build_us --raw ../shared/data/raw` (raw files described "
                f"in ../shared/data/raw/SOURCES.md)."
            )
        if kwargs.get("chunks") is not None:
            # lazily opened: keep the file where it is (as_file only copies zipped packages)
            stack.pop_all()
        return open_dataset(path, **kwargs)
