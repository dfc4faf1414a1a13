"""Solvers: inversion, equilibrium, counterfactuals, optimal policy, decomposition."""

from spatialocc.solvers import counterfactuals
from spatialocc.solvers.decomposition import (
    cnr_share_distribution,
    decompose,
    decomposition_table,
)
from spatialocc.solvers.equilibrium import (
    POLICIES,
    PolicyInput,
    check_equilibrium,
    solve_equilibrium,
    with_externalities,
)
from spatialocc.solvers.inversion import ConvergenceWarning, invert
from spatialocc.solvers.optimal import (
    check_optimum,
    policy_summary,
    policy_table,
    solve_optimal,
    wedge,
)

__all__ = [
    "POLICIES",
    "ConvergenceWarning",
    "PolicyInput",
    "check_equilibrium",
    "check_optimum",
    "cnr_share_distribution",
    "counterfactuals",
    "decompose",
    "decomposition_table",
    "invert",
    "policy_summary",
    "policy_table",
    "solve_equilibrium",
    "solve_optimal",
    "wedge",
    "with_externalities",
]
