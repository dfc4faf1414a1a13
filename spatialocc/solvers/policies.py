"""Consumption rules: how a policy maps the allocation to nominal consumption.

A rule is a pure function of the state (:class:`PolicyInput`, numpy arrays) returning
``e[k,n]`` before the solver closes the budget with a flat income tax. :data:`POLICIES` is the
one registry of the rules that ``solve_equilibrium(..., policy="name")`` knows; a user passes
any other rule as a callable. (The optimal policy's rule, Proposition 1, depends on the
optimum's Lagrange multipliers and lives with :func:`spatialocc.solve_optimal`.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: A policy maps the allocation to nominal consumption before the budget is closed.
PolicyRule = Callable[["PolicyInput"], np.ndarray]


@dataclass(frozen=True)
class PolicyInput:
    """What a policy rule sees (numpy arrays, axes occupation then city).

    ``wage`` w[k,n], ``residents`` L[k,n], ``land_income_per_worker`` χ[k],
    ``price_index`` P[k,n] (one row per occupation), ``productivity`` λ[k,j,n] and
    ``tau_share``/``tau_size``.
    """

    wage: np.ndarray
    residents: np.ndarray
    land_income_per_worker: np.ndarray
    price_index: np.ndarray
    productivity: np.ndarray
    tau_share: np.ndarray
    tau_size: np.ndarray


def decentralized(state: PolicyInput) -> np.ndarray:
    """No policy: ``e[k,n] = w[k,n] + χ[k]``."""
    return state.wage + state.land_income_per_worker[:, None]


def pandemic_payments(state: PolicyInput) -> np.ndarray:
    """The 2020-21 pandemic payments (the paper's appendix): $6,200 per adult, reduced by 5% of
    wage income above $75,000 (the CARES Act phase-out rate) **[choice]**, on top of
    decentralized consumption; the solver closes the budget with a flat income tax. Amounts
    are in the data year's dollars."""
    payment = np.maximum(0.0, 6200.0 - 0.05 * np.maximum(0.0, state.wage - 75_000.0))
    return state.wage + state.land_income_per_worker[:, None] + payment


#: The registered consumption rules, by name.
POLICIES: dict[str, PolicyRule] = {
    "decentralized": decentralized,
    "pandemic_payments": pandemic_payments,
}
