"""spatialocc: the Cognitive Hubs model of spatial economics on labeled xarray data.

The public API is re-exported here; see ``__all__``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("spatialocc")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

from spatialocc import datasets, estimate, reports
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
from spatialocc.reports import (
    cnr_share_distribution,
    decomposition_table,
    policy_summary,
    policy_table,
    reallocation_summary,
    reallocation_table,
)
from spatialocc.solvers import (
    CalibrationWarning,
    ConvergenceWarning,
    PropagationError,
    check_equilibrium,
    check_optimum,
    counterfactuals,
    decompose,
    invert,
    propagate,
    solve_equilibrium,
    solve_optimal,
    summarize,
    wedge,
    with_externalities,
)

__all__ = [
    "CalibrationWarning",
    "ConvergenceWarning",
    "CoordinateMismatchError",
    "DimensionError",
    "DistanceMatrixError",
    "DuplicateLabelError",
    "InconsistentDataError",
    "MissingVariableError",
    "NegativeValueError",
    "NonFiniteValueError",
    "PropagationError",
    "SchemaError",
    "ShareError",
    "__version__",
    "check_equilibrium",
    "check_optimum",
    "cnr_share_distribution",
    "counterfactuals",
    "datasets",
    "decompose",
    "decomposition_table",
    "estimate",
    "invert",
    "open_dataset",
    "policy_summary",
    "policy_table",
    "propagate",
    "reallocation_summary",
    "reallocation_table",
    "reports",
    "solve_equilibrium",
    "solve_optimal",
    "summarize",
    "to_netcdf",
    "validate",
    "wedge",
    "with_externalities",
]
