"""Additive (Gumbel) amenities, section 7.3 of the paper: the inversion, the equilibrium, the
optimal policy of equation (11) and the counterfactual, checked against formulas recomputed
here."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import xarray as xr
from scipy.optimize import brentq

import spatialocc
from spatialocc.solvers import counterfactuals as cf
from spatialocc.solvers import equilibrium as eq
from spatialocc.solvers import optimal as op
from spatialocc.solvers.equilibrium import CONDITIONS
from tests.conftest import raise_if_dask_computes, wedge_by_definition

CUE = {
    "tau_share": {"CNR": 1.304, "nonCNR": 0.835},
    "tau_size": {"CNR": 0.349, "nonCNR": 0.357},
}
RESIDUALS = [f"residual_{c}" for c in CONDITIONS]
FLAGS = ("additive_amenities", "amenity_additive", "nu_additive")


def max_residual(solution: xr.Dataset) -> float:
    return max(float(solution[r].max()) for r in RESIDUALS)


def relative_error(a: xr.DataArray, b: xr.DataArray) -> float:
    scale = np.maximum(np.abs(a), np.abs(b))
    return float((np.abs(a - b) / scale.where(scale > 0)).max())


def perturbed_start(model: xr.Dataset, seed: int) -> xr.Dataset:
    """Wages and employment shifted up or down by 10-30%."""
    rng = np.random.default_rng(seed)

    def shift(da: xr.DataArray) -> xr.DataArray:
        size = rng.uniform(0.1, 0.3, da.shape) * rng.choice([-1.0, 1.0], da.shape)
        return da * (1 + size)

    return xr.Dataset({"wage": shift(model.wage), "employment": shift(model.employment)})


def mean_real_consumption(ds: xr.Dataset) -> xr.DataArray:
    residents = ds.employment.sum("industry")
    real = ds.consumption / ds.price_index
    return (real * residents).sum(["occupation", "city"]) / residents.sum(["occupation", "city"])


# -- inversion -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def additive_small(small_data) -> xr.Dataset:
    return spatialocc.invert(small_data, amenities="additive")


def test_inversion_satisfies_the_logit_identity(small_data, small_model, additive_small) -> None:
    m = additive_small
    assert bool(m.additive_amenities)
    for year in m.year.values:
        y = m.sel(year=year)
        residents = y.employment.sum("industry").transpose("occupation", "city").values
        real = (y.consumption / y.price_index).transpose("occupation", "city").values
        A = y.amenity_additive.transpose("occupation", "city").values
        nu_add = y.nu_additive.transpose("occupation").values[:, None]
        # ν_add[k] = ν / C̄[k], C̄[k] the employment-weighted mean real consumption of k.
        mean = (real * residents).sum(axis=1, keepdims=True) / residents.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(nu_add, float(y.nu) / mean, rtol=1e-14)
        # L[k,n]/L[k] = exp(ν_add (A + C)) / sum_n' exp(ν_add (A + C)).
        utility = nu_add * (A + real)
        shares = np.exp(utility - utility.max(axis=1, keepdims=True))
        shares /= shares.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(
            shares, residents / residents.sum(axis=1, keepdims=True), rtol=1e-12
        )
        # Normalization: the employment-weighted mean of A over cities is 0 per occupation.
        mean = (A * residents).sum(axis=1) / residents.sum(axis=1)
        assert np.abs(mean).max() < 1e-12 * real.mean()
        # v[k] = (log sum exp(ν_add (A + C)) + γ_E) / ν_add.
        v = np.array([math.log(np.exp(u).sum()) for u in utility]) + np.euler_gamma
        np.testing.assert_allclose(y.welfare.transpose("occupation").values, v / nu_add[:, 0])
    # Everything else is the multiplicative inversion.
    for name in ("productivity", "amenity", "wage", "consumption", "price_index", "land"):
        xr.testing.assert_identical(m[name], small_model[name])
    assert float(spatialocc.check_equilibrium(m).to_array().max()) < 1e-9


def test_nu_additive_given_and_errors(small_data) -> None:
    data = small_data.sel(year=[2015])
    m = spatialocc.invert(data, amenities="additive", nu_additive=1e-4)
    np.testing.assert_array_equal(m.nu_additive, 1e-4)
    assert float(spatialocc.check_equilibrium(m).to_array().max()) < 1e-9
    with pytest.raises(ValueError, match="amenities='additive'"):
        spatialocc.invert(data, nu_additive=1e-4)
    with pytest.raises(ValueError, match="amenities must be one of"):
        spatialocc.invert(data, amenities="gumbel")
    with pytest.raises(ValueError, match="finite and positive"):
        spatialocc.invert(data, amenities="additive", nu_additive=-1.0)
    # one scale per occupation, as a DataArray
    by_occupation = xr.DataArray([1e-4, 3e-4], coords={"occupation": data.occupation.values})
    m = spatialocc.invert(data, amenities="additive", nu_additive=by_occupation)
    xr.testing.assert_allclose(m.nu_additive.isel(year=0, drop=True), by_occupation)
    assert float(spatialocc.check_equilibrium(m).to_array().max()) < 1e-9


def test_additive_model_survives_netcdf(tmp_path, additive_small) -> None:
    path = spatialocc.to_netcdf(additive_small, tmp_path / "additive.nc")
    back = spatialocc.open_dataset(path, kind="model")
    assert back.additive_amenities.dtype == bool and bool(back.additive_amenities)
    for name in ("amenity_additive", "nu_additive", "welfare"):
        xr.testing.assert_allclose(back[name], additive_small[name], rtol=1e-15)
    assert back.nu_additive.attrs["units"] == "1/(dollars deflated by the price index)"
    # the residuals use the logit equations only if the form was read back
    assert float(spatialocc.check_equilibrium(back).to_array().max()) < 1e-9


def test_chunked_inversion_builds_a_graph_only(small_data, additive_small) -> None:
    with raise_if_dask_computes():
        lazy = spatialocc.invert(small_data.chunk({"year": 1}), amenities="additive")
    assert lazy.amenity_additive.chunks is not None
    xr.testing.assert_allclose(lazy.compute().amenity_additive, additive_small.amenity_additive)


# -- equilibrium ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_cities", "n_industries", "n_occupations", "seed", "tau"),
    [(12, 5, 2, 0, None), (25, 8, 2, 1, CUE), (15, 5, 3, 2, {"tau_share": 0.4, "tau_size": 0.1})],
)
def test_round_trip(n_cities, n_industries, n_occupations, seed, tau) -> None:
    data = spatialocc.datasets.synthetic(
        n_cities=n_cities, n_industries=n_industries, n_occupations=n_occupations, seed=seed
    )
    model = spatialocc.invert(data, amenities="additive")
    if tau is not None:
        model = spatialocc.with_externalities(model, **tau)
    solution = spatialocc.solve_equilibrium(model, initial=perturbed_start(model, seed))
    assert bool(solution.converged.all())
    assert bool(solution.additive_amenities)
    assert relative_error(solution.wage, model.wage) < 1e-8
    assert relative_error(solution.employment, model.employment) < 1e-8
    assert relative_error(solution.welfare, model.welfare) < 1e-8
    assert max_residual(solution) < 1e-8
    empty = model.employment == 0
    assert (solution.employment.where(empty, 0.0) == 0).all()


def test_residuals_detect_the_wrong_amenity_form(additive_small, small_model) -> None:
    """The location and welfare conditions use the form the model records."""
    wrong = additive_small.assign(additive_amenities=xr.DataArray(False))
    residuals = spatialocc.check_equilibrium(wrong)
    assert float(residuals.residual_welfare.max()) > 1e-3
    moved = additive_small.assign(amenity_additive=additive_small.amenity_additive * 1.01)
    assert float(spatialocc.check_equilibrium(moved).residual_location.max()) > 1e-6


def closed_form_economy(nu_additive: float, theta: float = 4.0) -> xr.Dataset:
    """Two cities, one tradable good with no trade costs, real estate with no land share, one
    occupation, no inputs, no externalities; additive amenities 0 and 0.2 (real consumption
    is about 1)."""
    cities, industries = ["A", "B"], ["Goods", "Real Estate"]
    return xr.Dataset(
        {
            "wage": (("occupation", "city"), [[1.0, 1.0]]),
            "employment": (("occupation", "industry", "city"), [[[35.0, 35.0], [15.0, 15.0]]]),
            "productivity": (("occupation", "industry", "city"), [[[1.0, 1.3], [1.0, 0.8]]]),
            "amenity": (("occupation", "city"), [[1.0, 1.0]]),
            "amenity_additive": (("occupation", "city"), [[0.0, 0.2]]),
            "nu_additive": nu_additive,
            "additive_amenities": True,
            "land": ("city", [1.0, 1.0]),
            "distance": (("city", "origin"), [[20.0, 500.0], [500.0, 20.0]]),
            "trade_cost_elasticity": ("industry", [0.0, np.nan]),
            "consumption_share": ("industry", [0.7, 0.3]),
            "value_added_share": ("industry", [1.0, 1.0]),
            "input_share": (("input", "industry"), np.zeros((2, 2))),
            "land_share": ("industry", [0.0, 0.0]),
            "theta": theta,
            "nu": 2.02,
            "epsilon": 2.0,
        },
        coords={
            "occupation": ["all"],
            "industry": industries,
            "input": industries,
            "city": cities,
            "origin": cities,
            "tradable": ("industry", [True, False]),
        },
    )


def closed_form_solution(model: xr.Dataset) -> dict[str, np.ndarray]:
    """With s = L_A / L: goods clearing w_n L_n = E π_n gives (w_A/w_B)^(1+θ) =
    (λ_G,A/λ_G,B)^θ (1-s)/s, the numeraire sum w L = E the levels, and real consumption
    C_n = w_n / P_n with P_n = (P_G/α_G)^α_G (w_n/(λ_RE,n α_RE))^α_RE in closed form; the
    logit log(s/(1-s)) = ν (A_A + C_A - A_B - C_B) is then one equation in s, increasing in s."""
    theta, nu = float(model.theta), float(model.nu_additive)
    a_re = float(model.consumption_share.sel(industry="Real Estate"))
    a_g = 1 - a_re
    lam_g = model.productivity.sel(occupation="all", industry="Goods").values
    lam_re = model.productivity.sel(occupation="all", industry="Real Estate").values
    A = model.amenity_additive.sel(occupation="all").values
    L = float(model.employment.sum())
    E = float((model.wage * model.employment).sum())

    def allocation(s: float):
        rho = ((lam_g[0] / lam_g[1]) ** theta * (1 - s) / s) ** (1 / (1 + theta))
        w_b = E / L / (rho * s + 1 - s)
        w = np.array([rho * w_b, w_b])
        x = w / lam_g
        price_goods = (x**-theta).sum() ** (-1 / theta)
        P = (price_goods / a_g) ** a_g * (w / lam_re / a_re) ** a_re
        return w, x, price_goods, w / P

    def gap(s: float) -> float:
        _, _, _, C = allocation(s)
        return math.log(s / (1 - s)) - nu * (A[0] + C[0] - A[1] - C[1])

    s = brentq(gap, 1e-15, 1 - 1e-15, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    w, x, price_goods, C = allocation(s)
    residents = L * np.array([s, 1 - s])
    pi = x**-theta / (x**-theta).sum()
    return {
        "wage": w,
        "residents": residents,
        "goods_workers": pi * a_g * E / w,
        "re_workers": a_re * residents,
        "price_goods": price_goods,
        "welfare": (math.log(np.exp(nu * (A + C)).sum()) + np.euler_gamma) / nu,
    }


@pytest.mark.parametrize("nu_additive", [2.0, 5.0, 20.0])
def test_two_city_closed_form(nu_additive) -> None:
    model = closed_form_economy(nu_additive)
    solution = spatialocc.solve_equilibrium(model)
    expected = closed_form_solution(model)
    assert bool(solution.converged)
    assert max_residual(solution) < 1e-8
    np.testing.assert_allclose(solution.wage.sel(occupation="all"), expected["wage"], rtol=1e-9)
    emp = solution.employment.sel(occupation="all")
    np.testing.assert_allclose(emp.sum("industry"), expected["residents"], rtol=1e-9)
    np.testing.assert_allclose(emp.sel(industry="Goods"), expected["goods_workers"], rtol=1e-9)
    np.testing.assert_allclose(emp.sel(industry="Real Estate"), expected["re_workers"], rtol=1e-9)
    np.testing.assert_allclose(
        solution.price.sel(industry="Goods"), expected["price_goods"], rtol=1e-9
    )
    np.testing.assert_allclose(solution.welfare, expected["welfare"], rtol=1e-9)


def test_workers_go_to_the_best_city_as_nu_grows() -> None:
    """With a nearly homogeneous good (θ = 40) wages barely respond to size, so as ν_add grows
    workers concentrate in the city where A + C is highest (B), and v tends to its A + C."""
    shares = []
    for nu_additive in (2.0, 8.0, 32.0, 128.0):
        model = closed_form_economy(nu_additive, theta=40.0)
        solution = spatialocc.solve_equilibrium(model, max_iter=20_000)
        assert bool(solution.converged)
        residents = solution.employment.sum("industry").sel(occupation="all")
        shares.append(float(residents.sel(city="B") / residents.sum()))
        np.testing.assert_allclose(residents, closed_form_solution(model)["residents"], rtol=1e-8)
    assert all(b > a for a, b in itertools.pairwise(shares))
    assert shares[-1] > 0.99
    best = float((model.amenity_additive + solution.real_consumption).max())
    assert float(solution.welfare.squeeze()) == pytest.approx(best, rel=0.02)


# -- the optimum ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model() -> xr.Dataset:
    data = spatialocc.datasets.synthetic(n_cities=10, n_industries=5, years=(2015,), seed=4)
    return spatialocc.with_externalities(spatialocc.invert(data, amenities="additive"), **CUE).isel(
        year=0
    )


@pytest.fixture(scope="module")
def optimum(model) -> xr.Dataset:
    return spatialocc.solve_optimal(model)


def test_optimum_conditions(model, optimum) -> None:
    assert bool(optimum.converged)
    assert bool(optimum.additive_amenities)
    residents = optimum.employment.sum("industry")
    gdp = float((optimum.wage * residents).sum() + (optimum.rent_rate * optimum.land).sum())
    assert abs(float((optimum.transfer * residents).sum())) < 1e-10 * gdp
    # Equal absolute gains, and welfare_gain = 1 + gain / C̄_ref equal across occupations.
    base = float(mean_real_consumption(model))
    gains = (optimum.welfare - model.welfare).values
    assert np.ptp(gains) < 1e-10 * base
    assert np.ptp(optimum.welfare_gain.values) < 1e-10
    np.testing.assert_allclose(optimum.welfare_gain, 1 + gains / base, rtol=1e-14)
    assert (optimum.welfare >= model.welfare).all()
    assert float(optimum.welfare_gain.min()) > 1
    np.testing.assert_array_equal(optimum.labor_tax, 0.0)
    assert max_residual(optimum) < 1e-8
    np.testing.assert_allclose(optimum.pareto_weight.sum(), 1.0)


def test_consumption_follows_equation_11(model, optimum) -> None:
    """e = w + Δ - P/ν_add + χ + R, with Δ recomputed here from its definition."""
    delta = wedge_by_definition(model, optimum)
    xr.testing.assert_allclose(optimum.wedge, delta, rtol=1e-10)
    rule = (
        optimum.wage
        + delta
        - optimum.price_index / optimum.nu_additive
        + optimum.land_income_per_worker
        + optimum.lump_sum
    )
    xr.testing.assert_allclose(optimum.consumption, rule.transpose(*optimum.consumption.dims))


def test_without_externalities_the_transfer_is_the_cost_of_living_tax(model) -> None:
    """τ = 0: Δ = 0 and e = w + χ - P/ν_add + R, i.e. T = -P/ν_add + R."""
    optimum = spatialocc.solve_optimal(cf.no_externalities(model))
    assert bool(optimum.converged)
    assert float(np.abs(optimum.wedge).max()) == 0.0
    expected = -optimum.price_index / optimum.nu_additive + optimum.lump_sum
    xr.testing.assert_allclose(optimum.transfer, expected.transpose(*optimum.transfer.dims))
    assert (optimum.welfare_gain >= 1 - 1e-12).all()


def test_amenity_form_argument(tiny) -> None:
    """``amenities="additive"`` re-inverts a multiplicative model; ``"multiplicative"`` switches
    an additive model back; mismatched references and given weights are refused."""
    model, optimum = tiny
    multiplicative = model.drop_vars(list(FLAGS)).assign(welfare=model.welfare * np.nan)
    again = spatialocc.solve_optimal(multiplicative, amenities="additive")
    xr.testing.assert_allclose(again.welfare, optimum.welfare, rtol=1e-9)
    xr.testing.assert_allclose(again.employment, optimum.employment, rtol=1e-8, atol=1e-6)
    back = spatialocc.solve_optimal(model, amenities="multiplicative")
    np.testing.assert_allclose(back.labor_tax, 1 / (1 + float(model.nu)))
    assert not bool(back.additive_amenities)
    with pytest.raises(ValueError, match="different amenity forms"):
        spatialocc.solve_optimal(model, reference=back)
    with pytest.raises(ValueError, match="not supported with additive amenities"):
        spatialocc.solve_optimal(model, weights={"CNR": 1.0, "nonCNR": 1.0})
    with pytest.raises(ValueError, match="amenities must be"):
        spatialocc.solve_optimal(model, amenities="gumbel")


def test_policy_summary_uses_the_additive_gain(model, optimum) -> None:
    summary = spatialocc.policy_summary(model, optimum)
    np.testing.assert_allclose(summary.welfare_gain, optimum.welfare_gain - 1, rtol=1e-12)


def _kernel_setup(model: xr.Dataset, allocation: xr.Dataset):
    arrays = {
        name: da.transpose(*[d for d in eq.ECONOMY_INPUTS[name] if d in da.dims]).values
        for name, da in eq.economy_inputs(model).items()
    }
    eco = eq._economy(arrays, model.tradable.values)
    emp = allocation.employment.transpose("occupation", "industry", "city").values
    wage = allocation.wage.transpose("occupation", "city").values
    residents = emp.sum(axis=1)
    start = eq.initial_guess(eco, wage, residents, emp)
    return eco, (wage, residents, *start)


def _solve(eco, start, rule):
    st, _, converged = eq.solve_arrays(eco, *start, policy=rule, tol=1e-12, max_iter=20_000)
    assert converged
    return st


@pytest.fixture(scope="module")
def tiny() -> tuple[xr.Dataset, xr.Dataset]:
    data = spatialocc.datasets.synthetic(n_cities=6, n_industries=3, years=(2015,), seed=1)
    model = spatialocc.invert(data, amenities="additive")
    model = spatialocc.with_externalities(model, tau_share=0.6, tau_size=0.1).isel(year=0)
    return model, spatialocc.solve_optimal(model)


def test_no_feasible_perturbation_raises_welfare(tiny) -> None:
    """Optimality without the first-order conditions: perturb the consumption schedule across
    cities (moving workers), keep the budget balanced and the other occupation's welfare at
    its optimal level, and the first occupation's welfare does not rise. The same check at the
    decentralized equilibrium finds an improving direction, so the test has power."""
    model, optimum = tiny
    eco, start = _kernel_setup(model, optimum)
    assert eco.additive
    v_opt = optimum.welfare.values
    scale = float(optimum.consumption.mean())
    base = float(mean_real_consumption(model))
    rng = np.random.default_rng(0)
    derivative_at_optimum, derivative_at_equilibrium = [], []
    for _ in range(3):
        direction = rng.standard_normal((2, 6)) * 0.01 * scale
        results = {}
        for strength, label in ((1.0, "optimum"), (0.0, "equilibrium")):
            base_v = v_opt if label == "optimum" else model.welfare.values
            values = {}
            for eps in (-1.0, 0.0, 1.0) if label == "optimum" else (-1.0, 1.0):
                rule = op.OptimalRule(
                    nu=eco.nu_additive,
                    additive=True,
                    reference_welfare=base_v,
                    goal="fixed",
                    fixed={1: float(base_v[1])},
                    extra=eps * direction,
                    scale=scale,
                    strength=strength,
                )
                st = _solve(eco, start, rule)
                v = eco.welfare(st.consumption / st.price_index)
                assert abs(v[1] - base_v[1]) < 1e-9 * base
                values[eps] = v[0]
            results[label] = values
        opt = results["optimum"]
        assert opt[1.0] <= opt[0.0] + 1e-9 * base
        assert opt[-1.0] <= opt[0.0] + 1e-9 * base
        derivative_at_optimum.append(abs(opt[1.0] - opt[-1.0]) / 2)
        eqm = results["equilibrium"]
        derivative_at_equilibrium.append(abs(eqm[1.0] - eqm[-1.0]) / 2)
    assert max(derivative_at_optimum) < 0.05 * max(derivative_at_equilibrium)


def test_implied_pareto_weights_make_the_lump_sums_optimal(tiny) -> None:
    """Moving lump sums between occupations (budget balanced, the rest of the schedule held)
    leaves sum φ[k] L[k] v[k] unchanged to first order at the implied φ, but not at other φ."""
    model, optimum = tiny
    eco, start = _kernel_setup(model, optimum)
    L_k = optimum.employment.sum(["industry", "city"]).values
    implied = optimum.pareto_weight.values
    tilted = np.array([0.6, 0.4])
    scale = float(optimum.consumption.mean())
    shift = np.zeros((2, 6))
    shift[0] = 0.01 * scale
    welfare = {}
    for eps in (-1.0, 1.0):
        rule = op.OptimalRule(
            nu=eco.nu_additive,
            additive=True,
            reference_welfare=optimum.welfare.values,
            goal="fixed",
            extra=eps * shift,
            scale=scale,
            start=optimum.lump_sum.values,
        )
        st = _solve(eco, start, rule)
        welfare[eps] = eco.welfare(st.consumption / st.price_index)

    def slope(phi: np.ndarray) -> float:
        return float((phi * L_k * (welfare[1.0] - welfare[-1.0])).sum() / 2)

    assert abs(slope(implied)) < 0.01 * abs(slope(tilted))


# -- counterfactual and scenarios ----------------------------------------------------------------


def test_counterfactual_is_registered_and_stacks(small_model, additive_small) -> None:
    assert cf.TRANSFORMATIONS["additive_amenities"] is cf.additive_amenities
    reinverted = cf.additive_amenities(small_model)
    xr.testing.assert_allclose(reinverted.amenity_additive, additive_small.amenity_additive)
    xr.testing.assert_allclose(reinverted.nu_additive, additive_small.nu_additive)
    model = small_model.sel(year=2015)
    stacked = cf.scenarios(
        model,
        {
            "baseline": None,
            "additive": cf.additive_amenities,
            "additive_no_trade_costs": lambda m: cf.no_trade_costs(cf.additive_amenities(m)),
        },
    )
    spatialocc.validate(stacked, kind="model")
    assert stacked.additive_amenities.values.tolist() == [False, True, True]
    solution = spatialocc.solve_equilibrium(stacked)
    assert bool(solution.converged.all())
    assert max_residual(solution) < 1e-8
    # Each scenario is solved under its own form: the first two reproduce the data.
    for name in ("baseline", "additive"):
        assert relative_error(solution.employment.sel(scenario=name), model.employment) < 1e-8
    xr.testing.assert_allclose(
        solution.welfare.sel(scenario="baseline", drop=True), model.welfare, rtol=1e-9
    )
    xr.testing.assert_allclose(
        solution.welfare.sel(scenario="additive", drop=True),
        additive_small.welfare.sel(year=2015),
        rtol=1e-9,
    )
    alone = spatialocc.solve_equilibrium(cf.no_trade_costs(cf.additive_amenities(model)))
    xr.testing.assert_allclose(
        solution.employment.sel(scenario="additive_no_trade_costs", drop=True),
        alone.employment,
        rtol=1e-8,
        atol=1e-6,
    )
