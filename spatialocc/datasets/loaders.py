"""Named datasets: a registry (:func:`register`) and :func:`load`.

A dataset is a name, a one-line description and a function returning a Dataset of kind
``"data"``. The bundled US dataset and the synthetic economy are registered here; a country's
dataset is one :func:`register` call (its loader may read a NetCDF file with
:func:`spatialocc.open_dataset`), after which ``load(name)``, the pipeline and the command line
(``spatialocc run NAME``) know it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from importlib import resources
from typing import Any

import xarray as xr

from spatialocc.datasets.synthetic import synthetic


@dataclass(frozen=True)
class NamedDataset:
    """A registered dataset: ``loader(**kwargs)`` returns a Dataset of kind ``"data"``."""

    name: str
    description: str
    loader: Callable[..., xr.Dataset]

    def accepts(self, keyword: str) -> bool:
        """Whether the loader names the keyword argument ``keyword`` (e.g. ``seed``) among its
        parameters; a ``**kwargs`` catch-all does not count (it may pass it on to a function
        that does not take it)."""
        parameter = inspect.signature(self.loader).parameters.get(keyword)
        return parameter is not None and parameter.kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        )


#: The registered datasets by name, in the order of registration.
REGISTRY: dict[str, NamedDataset] = {}


def register(
    name: str, loader: Callable[..., xr.Dataset], description: str, *, replace: bool = False
) -> NamedDataset:
    """Make ``load(name)`` (and ``spatialocc run name``) call ``loader``.

    Parameters
    ----------
    name
        The dataset's name; not a file name (no ``.`` or path separator), so that the command
        line can tell a name from a file.
    loader
        Called with :func:`load`'s keyword arguments; returns a Dataset of kind ``"data"``.
    description
        One line, shown where the datasets are listed.
    replace
        Allow replacing a registered dataset of the same name.

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.datasets import loaders
    >>> _ = loaders.register(
    ...     "tiny", lambda: spatialocc.datasets.synthetic(n_cities=4, n_industries=3), "4 cities"
    ... )
    >>> spatialocc.datasets.load("tiny").sizes["city"]
    4
    >>> del loaders.REGISTRY["tiny"]
    """
    if not name or "." in name or "/" in name or "\\" in name:
        raise ValueError(f"a dataset name has no '.', '/' or '\\' (it is not a file), got {name!r}")
    if name in REGISTRY and not replace:
        raise ValueError(
            f"a dataset {name!r} is registered already; pass replace=True to replace it"
        )
    if not callable(loader):
        raise TypeError(f"loader must be callable, got {loader!r}")
    REGISTRY[name] = NamedDataset(name, description, loader)
    return REGISTRY[name]


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
    if name not in REGISTRY:
        known = ", ".join(repr(n) for n in REGISTRY)
        raise ValueError(f"unknown dataset {name!r}; available datasets: {known}")
    return REGISTRY[name].loader(**kwargs)


def load_us(**kwargs: Any) -> xr.Dataset:
    """The bundled US dataset, read from the NetCDF file shipped with the package and checked
    against the schema; ``kwargs`` go to :func:`spatialocc.open_dataset`."""
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


register(
    "us",
    load_us,
    "382 US metropolitan CBSAs, 22 industries, CNR/nonCNR, 1980 and 2015, built from "
    "public statistics (spatialocc/datasets/data/us.nc; see datasets/README.md)",
)
register(
    "synthetic", synthetic, "a synthetic US-like economy generated in code (datasets.synthetic)"
)

#: Names accepted by :func:`load`, with a one-line description (a view of :data:`REGISTRY`
#: when this module was imported; the registry is the source of truth).
DATASETS: dict[str, str] = {n: d.description for n, d in REGISTRY.items()}
