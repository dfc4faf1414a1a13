"""The trade kernel stored once per distinct trade-cost elasticity, against the dense
(J, N, N) array written out here."""

from __future__ import annotations

import numpy as np
import pytest

from spatialocc.solvers.trade import TradeKernel, invert_trade, market_access, sales, trade_kernel


@pytest.fixture
def setup():
    rng = np.random.default_rng(3)
    n = 40
    points = rng.uniform(0, 10, (n, 2))
    distance = np.sqrt(((points[:, None] - points[None]) ** 2).sum(-1)) + 1.0
    elasticity = np.array([0.12, 0.06, 0.12, 0.12, 0.06, 0.09])  # three distinct values
    dense = np.stack([distance ** (-4.0 * t) for t in elasticity])
    phi = rng.uniform(0.1, 2.0, (elasticity.size, n))
    phi[1, :5] = 0.0  # cities that do not produce
    return distance, elasticity, dense, phi, rng


def test_one_kernel_per_distinct_elasticity(setup):
    distance, elasticity, dense, _, _ = setup
    K = trade_kernel(distance, 4.0, elasticity)
    assert isinstance(K, TradeKernel) and len(K.kernels) == 3
    assert K.shape == dense.shape
    np.testing.assert_allclose(K.dense(), dense, rtol=1e-14)


def test_products_equal_the_dense_ones(setup):
    distance, elasticity, dense, phi, rng = setup
    K = trade_kernel(distance, 4.0, elasticity)
    expected = np.einsum("jnm,jm->jn", dense, phi)
    np.testing.assert_allclose(market_access(K, phi), expected, rtol=1e-13)
    np.testing.assert_allclose(market_access(dense, phi), expected, rtol=1e-13)
    spending = rng.uniform(1.0, 5.0, phi.shape)
    expected = phi * np.einsum("jn,jnm->jm", spending / expected, dense)
    np.testing.assert_allclose(sales(K, phi, spending), expected, rtol=1e-13)


def test_trade_inversion_is_the_same_with_either_form(setup):
    distance, elasticity, dense, _, rng = setup
    output = rng.uniform(1.0, 3.0, (elasticity.size, distance.shape[0]))
    spending = output.sum(axis=1, keepdims=True) * rng.dirichlet(np.ones(output.shape[1]), 6)
    grouped = invert_trade(trade_kernel(distance, 4.0, elasticity), spending, output)
    full = invert_trade(dense, spending, output)
    assert grouped.converged and full.converged
    np.testing.assert_allclose(grouped.phi, full.phi, rtol=1e-9)
    np.testing.assert_allclose(sales(dense, grouped.phi, spending), output, rtol=1e-10)
