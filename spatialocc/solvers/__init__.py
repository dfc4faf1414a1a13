"""Solvers: inversion, equilibrium, counterfactuals."""

from spatialocc.solvers import counterfactuals
from spatialocc.solvers.equilibrium import (
    POLICIES,
    PolicyInput,
    check_equilibrium,
    solve_equilibrium,
    with_externalities,
)
from spatialocc.solvers.inversion import ConvergenceWarning, invert

__all__ = [
    "POLICIES",
    "ConvergenceWarning",
    "PolicyInput",
    "check_equilibrium",
    "counterfactuals",
    "invert",
    "solve_equilibrium",
    "with_externalities",
]
