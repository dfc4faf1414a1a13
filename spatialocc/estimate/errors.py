"""The errors of the externality regression and the check of its options."""

from __future__ import annotations

from collections.abc import Sequence


class EstimationError(ValueError):
    """Input that the externality regression cannot use (the message says how to fix it)."""


class EstimationWarning(UserWarning):
    """Input that the regression can use but that deserves attention."""


def _check_option(name: str, value: object, allowed: Sequence[object]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")
