"""The labeled schema: names, units, validation and NetCDF exchange."""

from spatialocc.dims.errors import (
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
)
from spatialocc.dims.io import open_dataset, to_netcdf
from spatialocc.dims.schema import (
    COORDINATES,
    CORE_DIMS,
    DIMENSIONS,
    REAL_ESTATE,
    VARIABLES,
    annotate,
    variables,
)
from spatialocc.dims.validation import validate

__all__ = [
    "COORDINATES",
    "CORE_DIMS",
    "DIMENSIONS",
    "REAL_ESTATE",
    "VARIABLES",
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
    "annotate",
    "open_dataset",
    "to_netcdf",
    "validate",
    "variables",
]
