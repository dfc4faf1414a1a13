"""The optimal spatial policy (MODEL.md section 4): wedges, Proposition 1, statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc.solvers import equilibrium as eq
from spatialocc.solvers import optimal as op
from spatialocc.solvers.equilibrium import CONDITIONS
from tests.conftest import wedge_by_definition

CUE = {
    "tau_share": {"CNR": 1.304, "nonCNR": 0.835},
    "tau_size": {"CNR": 0.349, "nonCNR": 0.357},
}
OTHER_RESIDUALS = [f"residual_{c}" for c in CONDITIONS if c != "consumption"]


@pytest.fixture(scope="module")
def model() -> xr.Dataset:
    data = spatialocc.datasets.synthetic(n_cities=10, n_industries=5, years=(2015,), seed=4)
    return spatialocc.with_externalities(spatialocc.invert(data), **CUE).isel(year=0)


@pytest.fixture(scope="module")
def optimum(model) -> xr.Dataset:
    return spatialocc.solve_optimal(model)


def test_optimum_conditions(model, optimum) -> None:
    assert bool(optimum.converged)
    residents = optimum.employment.sum("industry")
    gdp = float((optimum.wage * residents).sum() + (optimum.rent_rate * optimum.land).sum())
    budget = float((optimum.transfer * residents).sum())
    assert abs(budget) < 1e-10 * gdp
    gains = optimum.welfare_gain.values
    assert np.ptp(gains) < 1e-10
    assert (optimum.welfare >= model.welfare).all()
    np.testing.assert_allclose(optimum.labor_tax, 1 / (1 + float(model.nu)), rtol=1e-15)
    for name in OTHER_RESIDUALS:
        assert float(optimum[name]) < 1e-8, name
    assert float(optimum.residual_consumption) < 1e-8
    np.testing.assert_allclose(optimum.pareto_weight.sum(), 1.0)


def test_optimum_returns_its_own_residuals(model, optimum) -> None:
    expected = spatialocc.check_optimum(model, optimum)
    for name in expected.data_vars:
        np.testing.assert_allclose(optimum[name], expected[name], rtol=1e-6, atol=1e-15)
        assert float(optimum[name]) <= eq.residual_tolerance(1e-10)


def test_optimum_that_misses_equal_gains_is_not_converged(model, monkeypatch) -> None:
    """Lump sums that never move toward equal gains still give a small last step: the
    optimum conditions decide, and the warning names the one that fails."""
    monkeypatch.setattr(op.OptimalRule, "target", lambda self, eco, st, values: values.copy())
    with pytest.warns(spatialocc.ConvergenceWarning, match="'equal_gains'"):
        optimum = spatialocc.solve_optimal(model)
    assert not bool(optimum.converged)
    assert float(optimum.residual_equal_gains) > 1e-6


def test_consumption_follows_proposition_1(model, optimum) -> None:
    """e = (1 - t_L)(w + Δ) + χ + R with Δ recomputed here from its definition."""
    w = optimum.wage
    delta = wedge_by_definition(model, optimum)
    xr.testing.assert_allclose(optimum.wedge, delta, rtol=1e-10)
    t_l = 1 / (1 + float(model.nu))
    rule = (1 - t_l) * (w + delta) + optimum.land_income_per_worker + optimum.lump_sum
    xr.testing.assert_allclose(optimum.consumption, rule.transpose(*optimum.consumption.dims))


def test_two_occupation_wedge_matches_the_paper() -> None:
    """For K = 2, equations (7), (8) and (10):
    Δ[C] = w_C (τR_C (1 - s_C) + τL_C s_C) + w_N s_N (τL_N - τR_N)."""
    wage = np.array([[90.0, 70.0], [40.0, 35.0]])
    residents = np.array([[30.0, 10.0], [70.0, 90.0]])
    tau_r, tau_l = np.array([1.3, 0.8]), np.array([0.35, 0.36])
    s = residents / residents.sum(axis=0)
    expected_c = wage[0] * (tau_r[0] * (1 - s[0]) + tau_l[0] * s[0]) + wage[1] * s[1] * (
        tau_l[1] - tau_r[1]
    )
    expected_n = wage[1] * (tau_r[1] * (1 - s[1]) + tau_l[1] * s[1]) + wage[0] * s[0] * (
        tau_l[0] - tau_r[0]
    )
    delta = op.wedge_arrays(wage, residents, tau_r, tau_l)
    np.testing.assert_allclose(delta, np.stack([expected_c, expected_n]), rtol=1e-13)


def test_wedge_is_the_derivative_of_the_productivity_effect() -> None:
    """Any K: Δ[k,n] = sum_k' w L[k'] ∂ log λ[k'] / ∂ L[k], by finite differences."""
    rng = np.random.default_rng(0)
    K, N = 3, 4
    wage = rng.uniform(20, 90, (K, N))
    residents = rng.uniform(5, 50, (K, N))
    tau_r, tau_l = rng.uniform(0, 1.5, K), rng.uniform(0, 0.4, K)

    def log_lambda(L):
        total = L.sum(axis=0)
        return tau_r[:, None] * np.log(L / total) + tau_l[:, None] * np.log(total)

    h = 1e-6
    fd = np.zeros((K, N))
    for k in range(K):
        up, down = residents.copy(), residents.copy()
        up[k] *= 1 + h
        down[k] *= 1 - h
        dlog = (log_lambda(up) - log_lambda(down)) / (2 * h * residents[k])
        fd[k] = (wage * residents * dlog).sum(axis=0)
    np.testing.assert_allclose(op.wedge_arrays(wage, residents, tau_r, tau_l), fd, rtol=1e-7)


def test_without_externalities_the_rule_is_fajgelbaum_gaubert(model) -> None:
    """τ = 0: Δ = 0 and the rule is e = ν/(1+ν) w + χ + R, i.e. T = -w/(1+ν) + R."""
    cf = spatialocc.counterfactuals.no_externalities(model)
    optimum = spatialocc.solve_optimal(cf)
    assert bool(optimum.converged)
    assert float(np.abs(optimum.wedge).max()) == 0.0
    nu = float(model.nu)
    expected = -optimum.wage / (1 + nu) + optimum.lump_sum
    xr.testing.assert_allclose(optimum.transfer, expected.transpose(*optimum.transfer.dims))
    assert (optimum.welfare_gain >= 1 - 1e-12).all()


def _kernel_setup(model: xr.Dataset, optimum: xr.Dataset):
    arrays = {
        name: da.transpose(*[d for d in eq.ECONOMY_INPUTS[name] if d in da.dims]).values
        for name, da in eq.economy_inputs(model).items()
    }
    eco = eq._economy(arrays, model.tradable.values)
    emp = optimum.employment.transpose("occupation", "industry", "city").values
    wage = optimum.wage.transpose("occupation", "city").values
    residents = emp.sum(axis=1)
    start = eq.initial_guess(eco, wage, residents, emp)
    return eco, (wage, residents, *start)


def _welfare_under(eco, start, rule) -> np.ndarray:
    st, _, converged = eq.solve_arrays(eco, *start, policy=rule, tol=1e-12, max_iter=20_000)
    assert converged
    C = st.consumption / st.price_index
    log_pull = eco.nu * np.log(np.where(eco.lives, eco.amenity * C, 1.0))
    return eq.welfare_index(eco.nu, log_pull, eco.lives)


def test_no_feasible_perturbation_raises_welfare() -> None:
    """Optimality without the first-order conditions: perturb the consumption schedule across
    cities (moving workers), keep the budget balanced and the other occupation's welfare at
    its optimal level, and the first occupation's welfare does not rise. The same check at the
    decentralized equilibrium finds an improving direction, so the test has power."""
    data = spatialocc.datasets.synthetic(n_cities=6, n_industries=3, years=(2015,), seed=1)
    model = spatialocc.with_externalities(
        spatialocc.invert(data), tau_share=0.6, tau_size=0.1
    ).isel(year=0)
    optimum = spatialocc.solve_optimal(model)
    eco, start = _kernel_setup(model, optimum)
    v_opt = optimum.welfare.values
    scale = float(optimum.consumption.mean())
    rng = np.random.default_rng(0)
    derivative_at_optimum, derivative_at_equilibrium = [], []
    for _ in range(4):
        direction = rng.standard_normal((2, 6)) * 0.01 * scale
        results = {}
        for strength, label in ((1.0, "optimum"), (0.0, "equilibrium")):
            base_v = v_opt if label == "optimum" else model.welfare.values
            values = {}
            for eps in (-1.0, 0.0, 1.0):
                rule = op.OptimalRule(
                    nu=eco.nu,
                    reference_welfare=base_v,
                    goal="fixed",
                    fixed={1: float(base_v[1])},
                    extra=eps * direction,
                    scale=scale,
                    strength=strength,
                )
                values[eps] = _welfare_under(eco, start, rule)[0]
            results[label] = values
        opt = results["optimum"]
        assert opt[1.0] <= opt[0.0] * (1 + 1e-9)
        assert opt[-1.0] <= opt[0.0] * (1 + 1e-9)
        derivative_at_optimum.append(abs(opt[1.0] - opt[-1.0]) / 2 / opt[0.0])
        eqm = results["equilibrium"]
        derivative_at_equilibrium.append(abs(eqm[1.0] - eqm[-1.0]) / 2 / eqm[0.0])
    assert max(derivative_at_optimum) < 0.05 * max(derivative_at_equilibrium)


def test_pareto_weights_round_trip(model, optimum) -> None:
    """The implied Pareto weights, given back to the planner, give the same optimum."""
    weights = dict(
        zip(optimum.occupation.values.tolist(), optimum.pareto_weight.values, strict=True)
    )
    again = spatialocc.solve_optimal(model, weights=weights)
    assert bool(again.converged)
    xr.testing.assert_allclose(again.welfare, optimum.welfare, rtol=1e-8)
    xr.testing.assert_allclose(again.lump_sum, optimum.lump_sum, rtol=1e-6, atol=1e-3)


def test_policy_summary(model, optimum) -> None:
    """Invariants of the summary on this economy; every statistic of the summary and every
    cell of ``policy_table`` is recomputed from its definition in tests/test_policy_summary.py."""
    summary = spatialocc.policy_summary(model, optimum)
    residents = optimum.employment.sum("industry").sum("city")
    # Budget: employment-weighted mean transfers offset each other across occupations.
    assert abs(float((summary.mean_transfer * residents).sum())) < 1e-6 * float(
        (optimum.wage * optimum.employment.sum("industry")).sum()
    )
    np.testing.assert_allclose(summary.welfare_gain, optimum.welfare_gain - 1)
    ratio = summary.social_private_ratio_reference
    delta = spatialocc.wedge(model)
    res = model.employment.sum("industry")
    expected = ((model.wage + delta) * res).sum("city") / (model.wage * res).sum("city")
    np.testing.assert_allclose(ratio, expected)
    # Gini of wage-bill shares across industries, against a Lorenz-curve computation.
    city = model.city.values[0]
    bill = (model.wage * model.employment).sum("occupation").sel(city=city).values
    shares = np.sort(bill / bill.sum())
    lorenz = np.concatenate([[0], np.cumsum(shares)])
    J = shares.size
    gini = 1 - np.sum(lorenz[1:] + lorenz[:-1]) / J
    np.testing.assert_allclose(op.industrial_gini(model).sel(city=city), gini, rtol=1e-12)


def test_pandemic_payments_policy(model) -> None:
    solution = spatialocc.solve_equilibrium(model, policy="pandemic_payments")
    assert bool(solution.converged)
    residents = solution.employment.sum("industry")
    net = float(
        (
            solution.transfer
            if "transfer" in solution
            else (solution.consumption - solution.wage - solution.land_income_per_worker)
            * residents
        ).sum()
    )
    assert abs(net) < 1e-8 * float((solution.wage * residents).sum())
    payment = op.pandemic_payments(
        eq.PolicyInput(
            np.array([[50_000.0, 100_000.0, 300_000.0]]),
            np.ones((1, 3)),
            np.zeros(1),
            np.ones(3),
            np.ones((1, 1, 3)),
            np.zeros(1),
            np.zeros(1),
        )
    ) - np.array([[50_000.0, 100_000.0, 300_000.0]])
    np.testing.assert_allclose(payment, [[6200.0, 6200.0 - 0.05 * 25_000, 0.0]])
    assert math.isclose(float(solution.residual_consumption), 0.0, abs_tol=1e-8)


def test_bad_weights(model) -> None:
    with pytest.raises(KeyError, match="exactly the occupations"):
        spatialocc.solve_optimal(model, weights={"CNR": 1.0})
    with pytest.raises(ValueError, match="positive"):
        spatialocc.solve_optimal(model, weights={"CNR": 1.0, "nonCNR": -1.0})


def test_optimum_with_occupation_specific_housing_shares() -> None:
    """Section 7.4 (19.2% / 20.8%): price indices by occupation in the optimum too."""
    data = spatialocc.datasets.synthetic(n_cities=10, n_industries=5, years=(2015,), seed=4)
    alpha = data.consumption_share.expand_dims(occupation=data.occupation).copy()
    alpha.loc[{"industry": "Real Estate"}] = xr.DataArray(
        [0.192, 0.208], coords={"occupation": ["CNR", "nonCNR"]}
    )
    model = spatialocc.invert(data.assign(consumption_share=alpha))
    model = spatialocc.with_externalities(model, **CUE).isel(year=0)
    optimum = spatialocc.solve_optimal(model)
    assert bool(optimum.converged)
    assert optimum.price_index.dims == ("occupation", "city")
    assert np.ptp(optimum.welfare_gain.values) < 1e-10
    for name in [*OTHER_RESIDUALS, "residual_consumption"]:
        assert float(optimum[name]) < 1e-8, name


def test_transformed_economy_starts_from_its_reference(model) -> None:
    """The optimum of a counterfactual economy starts from that economy's equilibrium (the
    reference), not from the data allocation, and converges to the same conditions."""
    from spatialocc.solvers import counterfactuals as cf

    changed = cf.no_trade_costs(model)
    reference = spatialocc.solve_equilibrium(changed)
    start = op._starting_allocation(changed, reference)
    xr.testing.assert_identical(start["wage"], reference["wage"])
    # a reference of another economy (different cities) is not used as a start
    other = reference.isel(city=slice(1, None))
    xr.testing.assert_identical(op._starting_allocation(changed, other)["wage"], changed["wage"])
    optimum = spatialocc.solve_optimal(changed, reference=reference)
    assert bool(optimum["converged"])
    worst = max(float(optimum[f"residual_{c}"]) for c in CONDITIONS)
    assert worst < 1e-8
    gain = optimum["welfare_gain"].values
    assert gain.min() >= 1 - 1e-12 and np.ptp(gain) < 1e-10
    assert optimum["transfer"].attrs["long_name"] == "net transfer per worker"
