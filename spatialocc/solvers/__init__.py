"""Solvers: the model inversion (and, as they land, equilibrium, counterfactuals, policy)."""

from spatialocc.solvers.inversion import ConvergenceWarning, invert

__all__ = ["ConvergenceWarning", "invert"]
