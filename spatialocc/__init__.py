"""spatialocc: the Cognitive Hubs model of spatial economics on labeled xarray data.

The public API is re-exported here; see ``__all__``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("spatialocc")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

from spatialocc import datasets
from spatialocc.dims import (
    CoordinateMismatchError,
    DimensionError,
    DistanceMatrixError,
    DuplicateLabelError,
    InconsistentDataError,
    MissingVariableError,
    NegativeValueError,
    NonFiniteValueError,
    SchemaError,
    ShareError,
    open_dataset,
    to_netcdf,
    validate,
)
from spatialocc.solvers import (
    ConvergenceWarning,
    check_equilibrium,
    counterfactuals,
    invert,
    solve_equilibrium,
    with_externalities,
)

__all__ = [
    "ConvergenceWarning",
    "CoordinateMismatchError",
    "DimensionError",
    "DistanceMatrixError",
    "DuplicateLabelError",
    "InconsistentDataError",
    "MissingVariableError",
    "NegativeValueError",
    "NonFiniteValueError",
    "SchemaError",
    "ShareError",
    "__version__",
    "check_equilibrium",
    "counterfactuals",
    "datasets",
    "invert",
    "open_dataset",
    "solve_equilibrium",
    "to_netcdf",
    "validate",
    "with_externalities",
]
