"""Eaton-Kortum trade kernels on plain arrays (axes: industry, city, origin).

``phi[j,n] = x[j,n]**(-theta)`` is the "cost competitiveness" of city n in industry j; cities
that do not produce have ``phi = 0`` (``x = +inf``). With ``K[j,n,n'] = kappa[j,n,n']**(-theta)``
the price index is ``P[j,n] = (sum_n' K[j,n,n'] phi[j,n'])**(-1/theta)`` and the share of n's
spending bought from n' is ``pi[j,n,n'] = K[j,n,n'] phi[j,n'] / Phi[j,n]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def trade_kernel(distance: np.ndarray, theta: float, elasticity: np.ndarray) -> np.ndarray:
    """``K[j,n,n'] = d[n,n']**(-theta * t[j])`` for the given (tradable) industries."""
    log_d = np.log(distance)
    K = np.empty((elasticity.size, *log_d.shape))
    for j, t in enumerate(elasticity):  # one industry at a time: no J x N x N temporaries
        np.multiply(log_d, -theta * t, out=K[j])
        np.exp(K[j], out=K[j])
    return K


def market_access(K: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """``Phi[j,n] = sum_n' K[j,n,n'] phi[j,n']``."""
    return np.matmul(K, phi[:, :, None])[:, :, 0]


def sales(
    K: np.ndarray, phi: np.ndarray, expenditure: np.ndarray, access: np.ndarray | None = None
) -> np.ndarray:
    """Sales of each origin, ``sum_n pi[j,n,n'] X[j,n]`` (goods-market demand for n');
    ``access`` is ``market_access(K, phi)`` when the caller has it already."""
    Phi = market_access(K, phi) if access is None else access
    return phi * np.matmul((expenditure / Phi)[:, None, :], K)[:, 0, :]


@dataclass(frozen=True)
class TradeInversion:
    phi: np.ndarray
    iterations: int
    converged: bool
    max_error: float


def invert_trade(
    K: np.ndarray,
    expenditure: np.ndarray,
    output: np.ndarray,
    *,
    tol: float = 1e-12,
    max_iter: int = 10_000,
) -> TradeInversion:
    """Find ``phi`` such that every producing city sells exactly its output.

    Solves ``output[j,n'] = sum_n pi[j,n,n'] expenditure[j,n]`` for ``phi`` (unique up to one
    scale per industry) where ``output > 0``; ``phi = 0`` where ``output == 0``. This is a
    matrix-balancing problem; it is solved by Sinkhorn-type fixed-point iterations accelerated
    by extrapolation in logs (SQUAREM), stopping when the largest relative sales error is below
    ``tol``. National balance, ``sum(output) == sum(expenditure)`` per industry, is required.
    """
    support = output > 0
    n_support = support.sum(axis=1, keepdims=True)
    scale = output.sum(axis=1, keepdims=True)
    log_Y = np.log(np.where(support, output / scale, 1.0))
    X = expenditure / scale

    def demand_per_phi(log_phi: np.ndarray) -> np.ndarray:
        phi = np.where(support, np.exp(log_phi), 0.0)
        return np.matmul((X / market_access(K, phi))[:, None, :], K)[:, 0, :]

    def step(log_phi: np.ndarray) -> np.ndarray:
        new = np.where(support, log_Y - np.log(demand_per_phi(log_phi)), 0.0)
        mean = new.sum(axis=1, keepdims=True) / n_support  # one scale per industry
        return np.where(support, new - mean, 0.0)

    def error(log_phi: np.ndarray) -> float:
        log_sales = log_phi + np.log(demand_per_phi(log_phi))
        return float(np.max(np.abs(np.where(support, np.expm1(log_sales - log_Y), 0.0))))

    u = step(np.zeros_like(log_Y))
    iterations = 1
    err = error(u)
    while err > tol and iterations < max_iter:
        # SQUAREM (Varadhan and Roland 2008), scheme S3, falling back to plain steps.
        u1 = step(u)
        u2 = step(u1)
        r = u1 - u
        v = u2 - u1 - r
        norm_v = float(np.sqrt((v * v).sum()))
        alpha = min(-float(np.sqrt((r * r).sum())) / norm_v, -1.0) if norm_v > 0 else -1.0
        candidate = step(u - 2 * alpha * r + alpha * alpha * v)
        iterations += 3
        cand_err = error(candidate)
        if np.isfinite(cand_err) and cand_err < err:
            u, err = candidate, cand_err
        else:
            u, err = u2, error(u2)
    phi = np.where(support, np.exp(u), 0.0)
    return TradeInversion(phi=phi, iterations=iterations, converged=err <= tol, max_error=err)
