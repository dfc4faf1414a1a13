"""Eaton-Kortum trade kernels on plain arrays (axes: industry, city, origin).

``phi[j,n] = x[j,n]**(-theta)`` is the "cost competitiveness" of city n in industry j; cities
that do not produce have ``phi = 0`` (``x = +inf``). With ``K[j,n,n'] = kappa[j,n,n']**(-theta)``
the price index is ``P[j,n] = (sum_n' K[j,n,n'] phi[j,n'])**(-1/theta)`` and the share of n's
spending bought from n' is ``pi[j,n,n'] = K[j,n,n'] phi[j,n'] / Phi[j,n]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TradeKernel:
    """``K[j,n,n'] = d[n,n']**(-theta t[j])`` for the tradable industries, stored once per
    distinct elasticity ``t``: ``kernels[u]`` (N, N) is shared by the industries
    ``members[u]``. The bundled data have two distinct values among 20 tradables, so the
    kernel takes 2 x N x N numbers instead of J x N x N (1.7 GB at 3,100 cities). The
    products stay one matrix-vector product per industry: one matrix-matrix product per
    distinct value is about twice as fast but rounds differently, and the optimum without
    trade costs on the bundled data (a knife-edge solve) then fails its first stage."""

    kernels: tuple[np.ndarray, ...]
    members: tuple[np.ndarray, ...]
    n_industries: int

    @property
    def shape(self) -> tuple[int, int, int]:
        n = self.kernels[0].shape[0] if self.kernels else 0
        return (self.n_industries, n, n)

    def dense(self) -> np.ndarray:
        """The full (J, N, N) array (for checks and small economies)."""
        out = np.empty(self.shape)
        for K, idx in zip(self.kernels, self.members, strict=True):
            out[idx] = K
        return out

    def right(self, v: np.ndarray) -> np.ndarray:
        """``sum_n' K[j,n,n'] v[j,n']`` (J, N)."""
        out = np.empty(v.shape)
        for K, idx in zip(self.kernels, self.members, strict=True):
            for j in idx:
                out[j] = K @ v[j]
        return out

    def left(self, u: np.ndarray) -> np.ndarray:
        """``sum_n u[j,n] K[j,n,n']`` (J, N)."""
        out = np.empty(u.shape)
        for K, idx in zip(self.kernels, self.members, strict=True):
            for j in idx:
                out[j] = u[j] @ K
        return out


def trade_kernel(distance: np.ndarray, theta: float, elasticity: np.ndarray) -> TradeKernel:
    """``K[j,n,n'] = d[n,n']**(-theta * t[j])`` for the given (tradable) industries, one
    (N, N) array per distinct ``t`` (:class:`TradeKernel`)."""
    log_d = np.log(distance)
    elasticity = np.asarray(elasticity, dtype=float)
    values, inverse = np.unique(elasticity, return_inverse=True)
    kernels = tuple(np.exp(log_d * (-theta * t)) for t in values)
    members = tuple(np.flatnonzero(inverse == u) for u in range(values.size))
    return TradeKernel(kernels, members, int(elasticity.size))


def market_access(K: TradeKernel | np.ndarray, phi: np.ndarray) -> np.ndarray:
    """``Phi[j,n] = sum_n' K[j,n,n'] phi[j,n']``."""
    if isinstance(K, TradeKernel):
        return K.right(phi)
    return np.matmul(K, phi[:, :, None])[:, :, 0]


def _left(K: TradeKernel | np.ndarray, u: np.ndarray) -> np.ndarray:
    """``sum_n u[j,n] K[j,n,n']``."""
    if isinstance(K, TradeKernel):
        return K.left(u)
    return np.matmul(u[:, None, :], K)[:, 0, :]


def sales(
    K: TradeKernel | np.ndarray,
    phi: np.ndarray,
    expenditure: np.ndarray,
    access: np.ndarray | None = None,
) -> np.ndarray:
    """Sales of each origin, ``sum_n pi[j,n,n'] X[j,n]`` (goods-market demand for n');
    ``access`` is ``market_access(K, phi)`` when the caller has it already."""
    Phi = market_access(K, phi) if access is None else access
    return phi * _left(K, expenditure / Phi)


@dataclass(frozen=True)
class TradeInversion:
    phi: np.ndarray
    iterations: int
    converged: bool
    max_error: float


def invert_trade(
    K: TradeKernel | np.ndarray,
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
        return _left(K, X / market_access(K, phi))

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
