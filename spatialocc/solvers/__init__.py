"""Solvers: inversion, equilibrium, counterfactuals, optimal policy, decomposition."""

from spatialocc._aliases import lazy_aliases
from spatialocc.solvers import counterfactuals
from spatialocc.solvers.decomposition import decompose
from spatialocc.solvers.equilibrium import (
    POLICIES,
    PolicyInput,
    check_equilibrium,
    solve_equilibrium,
    with_externalities,
)
from spatialocc.solvers.inversion import CalibrationWarning, ConvergenceWarning, invert
from spatialocc.solvers.optimal import check_optimum, solve_optimal, wedge
from spatialocc.solvers.uncertainty import PropagationError, propagate, summarize

# The tables and report statistics moved to spatialocc.reports (reports import the solvers,
# so their old names here resolve lazily).
__getattr__, __dir__ = lazy_aliases(
    __name__,
    "spatialocc.reports",
    ("cnr_share_distribution", "decomposition_table", "policy_summary", "policy_table"),
)

__all__ = [
    "POLICIES",
    "CalibrationWarning",
    "ConvergenceWarning",
    "PolicyInput",
    "PropagationError",
    "check_equilibrium",
    "check_optimum",
    "cnr_share_distribution",
    "counterfactuals",
    "decompose",
    "decomposition_table",
    "invert",
    "policy_summary",
    "policy_table",
    "propagate",
    "solve_equilibrium",
    "solve_optimal",
    "summarize",
    "wedge",
    "with_externalities",
]
