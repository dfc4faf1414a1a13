"""Exceptions raised when a Dataset does not follow the schema.

All derive from :class:`SchemaError`, itself a :class:`ValueError`, so that generic handlers
catch them. Messages name the variable, the offending labels (the first few) and the fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

MAX_LABELS = 5


class SchemaError(ValueError):
    """A Dataset does not follow the spatialocc schema."""


class MissingVariableError(SchemaError, KeyError):
    """A required variable, coordinate or dimension is absent."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class DimensionError(SchemaError):
    """A variable has missing, misnamed or unexpected dimensions, or bad chunks."""


class CoordinateMismatchError(SchemaError):
    """Coordinates that must agree (``city``/``origin``, ``industry``/``input``) do not."""


class DuplicateLabelError(SchemaError):
    """A coordinate repeats a label."""


class NonFiniteValueError(SchemaError):
    """NaN or infinite values where the schema does not allow them (or values where it
    requires NaN, e.g. a trade-cost elasticity for a non-tradable industry)."""


class NegativeValueError(SchemaError):
    """Negative (or zero, where positivity is required) values."""


class ShareError(SchemaError):
    """Shares outside their interval or not summing to one."""


class DistanceMatrixError(SchemaError):
    """A distance matrix that is not symmetric or not positive."""


class InconsistentDataError(SchemaError):
    """Data that follow the schema but that the model cannot rationalize."""


def format_labels(labels: Iterable[object], total: int | None = None) -> str:
    """``'a', 'b', 'c' (and 7 more)`` for the first few of ``labels``."""
    labels = [x.item() if hasattr(x, "item") else x for x in labels]
    total = len(labels) if total is None else total
    shown = ", ".join(repr(x) for x in labels[:MAX_LABELS])
    more = total - min(len(labels), MAX_LABELS)
    return shown + (f" (and {more} more)" if more > 0 else "")


def format_cells(dims: Sequence[str], cells: Sequence[Sequence[object]], total: int) -> str:
    """``(occupation='CNR', city='A'), ...`` for the first few offending cells."""
    shown = [
        "(" + ", ".join(f"{d}={v!r}" for d, v in zip(dims, cell, strict=True)) + ")"
        for cell in cells[:MAX_LABELS]
    ]
    more = total - len(shown)
    return ", ".join(shown) + (f" (and {more} more)" if more > 0 else "")


class FileFormatError(ValueError):
    """A file that is not a NetCDF file the toolkit can read."""
