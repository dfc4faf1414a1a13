"""The residual of each equilibrium condition of MODEL.md section 2, on plain arrays.

Written from the equations (:mod:`spatialocc.solvers.model` and the economy's preferences),
not from the solver's update map, so they also check allocations that come from elsewhere
(an inversion, another solver, a file). :func:`spatialocc.check_equilibrium` maps
:func:`residuals_at` over a Dataset; every solve returns them as ``residual_<condition>``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from spatialocc.solvers.model import (
    Economy,
    closed_rule,
    consumer_price_index,
    goods_demand,
    labor_compensation,
    land_income,
    land_income_per_worker,
    portfolio_return,
    tradable_prices,
)
from spatialocc.solvers.model import expenditure as spending  # `expenditure` is an argument
from spatialocc.solvers.policies import PolicyRule

#: The conditions, in the order of the ``residual_<condition>`` outputs.
CONDITIONS: tuple[str, ...] = (
    "externalities",
    "unit_cost",
    "price",
    "land_income",
    "consumption",
    "spending",
    "goods_market",
    "labor_demand",
    "labor_market",
    "location",
    "welfare",
    "numeraire",
)


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    """Largest elementwise |a - b| / max(|a|, |b|); equal entries (zeros, infinities) count 0."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    same = a == b
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.abs(a - b) / np.maximum(np.abs(a), np.abs(b))
    rel = np.where(same, 0.0, rel)
    if rel.size == 0:
        return 0.0
    return float(np.max(np.where(np.isnan(rel), np.inf, rel)))


def equilibrium_residuals(
    eco: Economy,
    *,
    wage: np.ndarray,
    employment: np.ndarray,
    productivity: np.ndarray,
    unit_cost: np.ndarray,
    price: np.ndarray,
    gross_output: np.ndarray,
    expenditure: np.ndarray,
    rent: np.ndarray,
    consumption: np.ndarray,
    price_index: np.ndarray,
    welfare: np.ndarray,
    consumption_rule: np.ndarray | None = None,
) -> dict[str, float]:
    """Max relative residual of each condition of MODEL.md section 2, from the equations.

    ``consumption_rule`` is e[k,n] under the policy in force (default: decentralized).
    """
    w, L, lam = wage, employment, productivity
    Y, X, x, P, r, e = gross_output, expenditure, unit_cost, price, rent, consumption
    eps = eco.eps
    T = eco.tradable
    L_kn = L.sum(axis=1)
    L_n = L_kn.sum(axis=0)
    out: dict[str, float] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(
            L_kn > 0,
            (L_kn / L_n) ** eco.tau_share[:, None] * L_n ** eco.tau_size[:, None],
            0.0,
        )
    out["externalities"] = _relative(lam, eco.lam_hat * factor[:, None, :])
    employed = L > 0
    producing = Y > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(employed, (w[:, None, :] / np.where(employed, lam, 1.0)) ** (1 - eps), 0)
        W = ratio.sum(axis=0) ** (1 / (1 - eps))
        r_term = np.where(eco.beta > 0, r[None, :] ** eco.beta, 1.0)
        x_rhs = (r_term * W ** (1 - eco.beta)) ** eco.gamma * np.prod(
            P[:, None, :] ** eco.gamma_io, axis=0
        )
        s = ratio / ratio.sum(axis=0)
    out["unit_cost"] = _relative(np.where(producing, x, 0), np.where(producing, x_rhs, 0))
    finite = np.isfinite(x[T])
    P_rhs = x.copy()
    P_rhs[T], phi, Phi = tradable_prices(
        eco.K_trade, eco.theta, np.log(np.where(finite, x[T], 1.0)), finite
    )
    out["price"] = _relative(P, P_rhs)
    land = land_income(eco, Y)
    out["land_income"] = _relative(r * eco.land, land)
    chi = land_income_per_worker(w, L_kn, land.sum(), L_kn.sum(axis=1))
    rule = w + chi[:, None] if consumption_rule is None else consumption_rule
    out["consumption"] = _relative(np.where(L_kn > 0, e, 0), np.where(L_kn > 0, rule, 0))
    out["spending"] = _relative(X, spending(eco, e, L_kn, Y))
    out["goods_market"] = _relative(Y, goods_demand(eco, X, phi, Phi))
    demand = np.where(employed, s, 0) * labor_compensation(eco, Y)[None]
    out["labor_demand"] = _relative(w[:, None, :] * L, demand)
    out["labor_market"] = _relative(L_kn.sum(axis=1), eco.national)
    C = e / price_index
    P_n = consumer_price_index(eco.alpha_k, P)
    price_index = np.broadcast_to(price_index, P_n.shape)
    shares, v = eco.preferences.choice_and_welfare(C, L_kn > 0)
    out["location"] = max(
        _relative(L_kn / L_kn.sum(axis=1, keepdims=True), shares),
        _relative(price_index, P_n),
    )
    out["welfare"] = _relative(welfare, v)
    out["numeraire"] = _relative((w * L_kn).sum(axis=1).sum() + land.sum(), eco.income)
    return out


def residuals_at(
    eco: Economy, arrays: Mapping[str, np.ndarray], rule: PolicyRule
) -> dict[str, float]:
    """:func:`equilibrium_residuals` of an allocation given as arrays named like the Dataset
    variables, with the consumption rule ``rule`` (budget closed by the flat tax) re-evaluated
    at that allocation."""
    residents = arrays["employment"].sum(axis=1)
    chi = portfolio_return(eco, arrays["wage"], residents, arrays["rent_rate"])
    rule_e = closed_rule(
        rule, eco, arrays["wage"], residents, chi, arrays["price_index"], arrays["productivity"]
    )
    return equilibrium_residuals(
        eco,
        wage=arrays["wage"],
        employment=arrays["employment"],
        productivity=arrays["productivity"],
        unit_cost=arrays["unit_cost"],
        price=arrays["price"],
        gross_output=arrays["gross_output"],
        expenditure=arrays["expenditure"],
        rent=arrays["rent_rate"],
        consumption=arrays["consumption"],
        price_index=arrays["price_index"],
        welfare=arrays["welfare"],
        consumption_rule=rule_e,
    )
