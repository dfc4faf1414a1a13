"""Newton-Krylov solves: the kernel against closed forms, and the equilibrium and the optimum
over many synthetic economies, checked by the residuals of MODEL.md sections 2 and 4 and
against the Anderson solver."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc import paper
from spatialocc.solvers import counterfactuals as cf
from spatialocc.solvers.anderson import anderson
from spatialocc.solvers.newton import newton_krylov

# -- the kernel ----------------------------------------------------------------------------------


def test_newton_krylov_solves_a_nonlinear_system_with_a_closed_form() -> None:
    """F(x) = M x + exp(x) - b with b built from a known root x*: Newton finds x* to 1e-12."""
    rng = np.random.default_rng(0)
    n = 60
    M = np.eye(n) * 3 + rng.normal(scale=0.2, size=(n, n))  # not symmetric
    root = rng.normal(size=n)
    b = M @ root + np.exp(root)
    result = newton_krylov(
        lambda x: M @ x + np.exp(x) - b, np.zeros(n), tol=1e-12, max_evaluations=5000
    )
    assert result.converged
    np.testing.assert_allclose(result.x, root, rtol=0, atol=1e-11)
    assert result.products > 0 and result.newton_steps < 15
    assert result.evaluations >= result.products + result.newton_steps


def test_an_expansive_map_anderson_cannot_iterate_newton_solves() -> None:
    """x = G(x) with G(x) = 1 + 3 (x - 1) + 0.1 sin(x - 1): the map expands by about 3 around
    its fixed point x = 1, so plain iteration runs away; Newton on F(x) = G(x) - x does not
    need a contraction."""

    def G(x: np.ndarray) -> np.ndarray:
        return 1 + 3 * (x - 1) + 0.1 * np.sin(x - 1)

    x0 = np.full(5, 1.2)
    plain = anderson(G, x0, tol=1e-12, max_iter=200, memory=0)
    assert not plain.converged
    result = newton_krylov(lambda x: G(x) - x, x0, tol=1e-12, max_evaluations=500)
    assert result.converged
    np.testing.assert_allclose(result.x, 1.0, atol=1e-12)


def test_a_step_without_decrease_hands_over_to_the_fallback() -> None:
    """F(x) = x² - 1 from x = 0, where the Jacobian vanishes: no Newton step decreases |F|, the
    fallback moves the iterate (one evaluation, counted), and Newton converges from there."""
    calls = []

    def fallback(x: np.ndarray, budget: int) -> tuple[np.ndarray, int]:
        calls.append(budget)
        return x + 0.5, 1

    result = newton_krylov(
        lambda x: x**2 - 1, np.zeros(3), tol=1e-12, max_evaluations=500, fallback=fallback
    )
    assert result.converged and calls
    np.testing.assert_allclose(result.x, 1.0, atol=1e-12)
    assert result.fallback_steps == len(calls)


def test_the_budget_is_respected_and_non_convergence_reported() -> None:
    result = newton_krylov(lambda x: x**2 + 1, np.ones(4), tol=1e-12, max_evaluations=25)
    assert not result.converged
    assert result.evaluations <= 25


def test_a_slowly_contracting_solve_gives_up_early_with_max_ratio() -> None:
    """F(x) = x³ has a triple root: each Newton step multiplies x by 2/3 and ||F|| by 8/27.
    Without ``max_ratio`` Newton gets there (linearly); with ``max_ratio=0.2`` it stops after
    the second step, reporting no convergence, instead of spending its budget."""
    slow = newton_krylov(lambda x: x**3, np.ones(2), tol=1e-12, max_evaluations=2000)
    assert slow.converged and slow.newton_steps > 20
    quick = newton_krylov(
        lambda x: x**3, np.ones(2), tol=1e-12, max_evaluations=2000, max_ratio=0.2
    )
    assert not quick.converged and quick.newton_steps == 2
    np.testing.assert_allclose(quick.x, 4 / 9, rtol=1e-5)
    relaxed = newton_krylov(
        lambda x: x**3, np.ones(2), tol=1e-12, max_evaluations=2000, max_ratio=0.5
    )
    assert relaxed.converged


def test_log_sum_exp_agrees_with_scipy() -> None:
    from scipy.special import logsumexp

    from spatialocc.solvers.preferences import log_sum_exp

    rng = np.random.default_rng(4)
    a = rng.normal(scale=300.0, size=(3, 50))  # exp overflows without the shift
    a[1, :10] = -np.inf
    np.testing.assert_allclose(log_sum_exp(a), logsumexp(a, axis=1), rtol=1e-14)
    np.testing.assert_allclose(
        log_sum_exp(a, keepdims=True), logsumexp(a, axis=1, keepdims=True), rtol=1e-14
    )
    assert log_sum_exp(np.full((2, 3), -np.inf)).tolist() == [-np.inf, -np.inf]


def test_a_non_finite_start_is_an_error() -> None:
    with pytest.raises(FloatingPointError, match="not finite at the starting point"):
        newton_krylov(lambda x: np.log(x), -np.ones(2), tol=1e-10, max_evaluations=10)


# -- the equilibrium and the optimum over seeds ------------------------------------------------

#: 20 synthetic economies of 12 to 60 cities, with the paper's externalities (the strongest
#: estimates of Table 2: the optimum moves far from the data).
SEEDS = [(seed, (12, 20, 30, 45, 60)[seed % 5]) for seed in range(20)]


def economy(seed: int, n_cities: int) -> xr.Dataset:
    data = spatialocc.datasets.synthetic(
        n_cities=n_cities, n_industries=6, years=(2015,), seed=seed
    )
    return spatialocc.with_externalities(spatialocc.invert(data), **paper.TAU).isel(year=0)


def assert_equilibrium(model: xr.Dataset, solution: xr.Dataset, policy=None) -> None:
    assert bool(solution["converged"])
    assert solution.attrs["solver_method"] == "newton"
    residuals = spatialocc.check_equilibrium(solution, reference=model, policy=policy)
    assert float(residuals.to_array().max()) < 1e-8


@pytest.mark.parametrize(("seed", "n_cities"), SEEDS)
def test_every_solve_converges_from_the_data(seed: int, n_cities: int) -> None:
    """From the data allocation, the no-externalities equilibrium and the optimum converge;
    the conditions of MODEL.md sections 2 and 4 hold to 1e-8 (recomputed independently of the
    solver), and the optimum raises every occupation's welfare by the same proportion."""
    model = economy(seed, n_cities)
    target = cf.no_externalities(model)
    assert_equilibrium(target, spatialocc.solve_equilibrium(target))
    optimum = spatialocc.solve_optimal(model)
    assert bool(optimum["converged"]), (seed, n_cities, int(optimum["iterations"]))
    assert optimum.attrs["solver_method"] == "newton"
    conditions = spatialocc.check_optimum(model, optimum)
    assert float(conditions.to_array().max()) < 1e-8
    gain = optimum["welfare_gain"]
    assert float(gain.min()) >= 1 - 1e-10
    assert float(gain.max() - gain.min()) < 1e-8


@pytest.mark.parametrize("seed", [0, 3, 7])
def test_newton_and_anderson_agree(seed: int) -> None:
    """Both methods solve the same equations: their equilibria and optima agree to 1e-8."""
    model = economy(seed, 20)
    target = cf.no_externalities(model)
    solved = {
        m: (
            spatialocc.solve_equilibrium(target, method=m),
            spatialocc.solve_optimal(model, method=m),
        )
        for m in ("newton", "anderson")
    }
    for newton, other in zip(solved["newton"], solved["anderson"], strict=True):
        assert bool(newton["converged"]) and bool(other["converged"])
        for name in ("wage", "employment", "welfare", "price"):
            xr.testing.assert_allclose(newton[name], other[name], rtol=1e-8, atol=0)
    assert solved["anderson"][1].attrs["solver_method"] == "anderson"


def test_newton_returns_to_the_data_from_a_perturbed_start_where_anderson_is_slow() -> None:
    """With strong externalities (τR = 4) the damped map is nearly expansive around the data
    allocation, which is an equilibrium by construction (the inversion): Newton comes back to
    it from a perturbed start in a fraction of Anderson's evaluations."""
    data = spatialocc.datasets.synthetic(n_cities=15, n_industries=6, years=(2015,), seed=5)
    model = spatialocc.with_externalities(
        spatialocc.invert(data).isel(year=0), tau_share=4.0, tau_size=0.6
    )
    rng = np.random.default_rng(1)

    def shift(da: xr.DataArray) -> xr.DataArray:
        return da * (1 + rng.uniform(0.01, 0.05, da.shape) * rng.choice([-1.0, 1.0], da.shape))

    start = xr.Dataset({"wage": shift(model.wage), "employment": shift(model.employment)})
    newton = spatialocc.solve_equilibrium(model, initial=start)
    other = spatialocc.solve_equilibrium(model, initial=start, method="anderson")
    assert bool(newton["converged"])
    for name in ("wage", "employment"):
        xr.testing.assert_allclose(newton[name], model[name], rtol=1e-8, atol=1e-6)
    assert int(newton["iterations"]) < int(other["iterations"])


def test_an_unknown_method_is_refused() -> None:
    model = economy(0, 12)
    with pytest.raises(ValueError, match="method must be one of"):
        spatialocc.solve_equilibrium(model, method="secant")
    with pytest.raises(ValueError, match="method must be 'newton' or 'anderson'"):
        spatialocc.solve_optimal(model, method="fixed_point")


def test_where_the_newton_path_runs_off_the_anderson_path_takes_over() -> None:
    """With τR = 2 on this economy the path of solutions from the data runs off toward a
    boundary near strength 0.43 (arclength continuation cannot reach full strength on it);
    the solver then takes the Anderson path, and the optimum it returns is Anderson's, a
    solution of the same conditions."""
    data = spatialocc.datasets.synthetic(n_cities=15, n_industries=5, years=(2015,), seed=0)
    model = spatialocc.with_externalities(
        spatialocc.invert(data).isel(year=0), tau_share=2.0, tau_size=0.35
    )
    newton = spatialocc.solve_optimal(model)
    other = spatialocc.solve_optimal(model, method="anderson")
    assert bool(newton["converged"]) and bool(other["converged"])
    assert float(spatialocc.check_optimum(model, newton).to_array().max()) < 1e-8
    for name in ("wage", "employment", "welfare"):
        xr.testing.assert_allclose(newton[name], other[name], rtol=1e-8, atol=0)


# -- warm starts ---------------------------------------------------------------------------------


def test_a_warm_start_from_a_nearby_optimum_finds_the_same_optimum() -> None:
    """Started from the optimum of other externality elasticities, the solve lands on the
    optimum the path from the decentralized equilibrium finds (1e-8), in fewer evaluations,
    and every condition of section 4 holds; started from its own optimum it returns it."""
    data = spatialocc.datasets.synthetic(n_cities=20, n_industries=6, years=(2015,), seed=3)
    inverted = spatialocc.invert(data).isel(year=0)
    near = spatialocc.with_externalities(inverted, tau_share=1.2, tau_size=0.33)
    model = spatialocc.with_externalities(inverted, tau_share=1.3, tau_size=0.35)
    cold = spatialocc.solve_optimal(model)
    warm = spatialocc.solve_optimal(model, start=spatialocc.solve_optimal(near))
    assert bool(cold["converged"]) and bool(warm["converged"])
    assert float(spatialocc.check_optimum(model, warm).to_array().max()) < 1e-8
    for name in ("wage", "employment", "welfare", "lump_sum", "transfer"):
        xr.testing.assert_allclose(warm[name], cold[name], rtol=1e-8, atol=1e-6)
    assert int(warm["iterations"]) < int(cold["iterations"])
    again = spatialocc.solve_optimal(model, start=cold)
    xr.testing.assert_allclose(again["employment"], cold["employment"], rtol=1e-9, atol=0)
    assert int(again["iterations"]) < 20


def test_a_warm_start_that_fails_falls_back_to_the_path() -> None:
    """A start where the optimal rule is not even defined (lump sums that make consumption
    negative) is abandoned: the solve takes the path from the reference and returns its
    optimum."""
    model = economy(1, 20)
    cold = spatialocc.solve_optimal(model)
    wild = cold.assign(lump_sum=cold["lump_sum"] * 1e3)  # lump sums differ by occupation
    warm = spatialocc.solve_optimal(model, start=wild)
    assert bool(warm["converged"])
    # the failed attempt's evaluations come on top of the path's
    assert int(warm["iterations"]) > int(cold["iterations"])
    xr.testing.assert_allclose(warm["employment"], cold["employment"], rtol=1e-8, atol=0)


def test_a_warm_start_on_other_coordinates_is_refused() -> None:
    model = economy(0, 12)
    optimum = spatialocc.solve_optimal(model)
    with pytest.raises(ValueError, match="model's 'city' coordinates"):
        spatialocc.solve_optimal(model, start=optimum.isel(city=slice(None, None, -1)))
    with pytest.raises(spatialocc.MissingVariableError, match="a warm start needs"):
        spatialocc.solve_optimal(model, start=optimum.drop_vars("lump_sum"))
