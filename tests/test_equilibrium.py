"""The equilibrium solver (MODEL.md section 2) and the counterfactual transformations."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc.solvers import counterfactuals as cf
from spatialocc.solvers import equilibrium as eq
from spatialocc.solvers.equilibrium import CONDITIONS, POLICIES, PolicyInput
from tests.conftest import raise_if_dask_computes

CUE = {
    "tau_share": {"CNR": 1.304, "nonCNR": 0.835},
    "tau_size": {"CNR": 0.349, "nonCNR": 0.357},
}
RESIDUALS = [f"residual_{c}" for c in CONDITIONS]


def max_residual(solution: xr.Dataset) -> float:
    return max(float(solution[r].max()) for r in RESIDUALS)


def perturbed_start(model: xr.Dataset, seed: int) -> xr.Dataset:
    """Wages and employment shifted up or down by 10-30%."""
    rng = np.random.default_rng(seed)

    def shift(da: xr.DataArray) -> xr.DataArray:
        size = rng.uniform(0.1, 0.3, da.shape) * rng.choice([-1.0, 1.0], da.shape)
        return da * (1 + size)

    return xr.Dataset({"wage": shift(model.wage), "employment": shift(model.employment)})


def relative_error(a: xr.DataArray, b: xr.DataArray) -> float:
    scale = np.maximum(np.abs(a), np.abs(b))
    return float((np.abs(a - b) / scale.where(scale > 0)).max())


@pytest.mark.parametrize(
    ("n_cities", "n_industries", "n_occupations", "seed", "tau"),
    [
        (12, 5, 2, 0, None),
        (25, 8, 2, 1, CUE),
        (20, 6, 3, 2, {"tau_share": 0.4, "tau_size": 0.1}),
        (60, 22, 2, 3, CUE),
    ],
)
def test_round_trip(n_cities, n_industries, n_occupations, seed, tau) -> None:
    data = spatialocc.datasets.synthetic(
        n_cities=n_cities, n_industries=n_industries, n_occupations=n_occupations, seed=seed
    )
    model = spatialocc.invert(data)
    if tau is not None:
        model = spatialocc.with_externalities(model, **tau)
    solution = spatialocc.solve_equilibrium(model, initial=perturbed_start(model, seed))
    assert bool(solution.converged.all())
    assert relative_error(solution.wage, model.wage) < 1e-8
    assert relative_error(solution.employment, model.employment) < 1e-8
    assert max_residual(solution) < 1e-8
    # Zero cells stay exactly zero.
    empty = model.employment == 0
    assert (solution.employment.where(empty, 0.0) == 0).all()


def test_inverted_model_is_an_equilibrium(small_model) -> None:
    residuals = spatialocc.check_equilibrium(small_model)
    assert set(residuals.data_vars) == set(RESIDUALS)
    assert float(residuals.to_array().max()) < 1e-9


def test_check_equilibrium_detects_a_wrong_allocation(small_model) -> None:
    wrong = small_model.copy(deep=True)
    wrong["wage"] = wrong.wage * xr.where(wrong.city == wrong.city[0], 1.05, 1.0)
    residuals = spatialocc.check_equilibrium(wrong)
    assert float(residuals.residual_labor_demand.max()) > 0.01
    assert float(residuals.residual_unit_cost.max()) > 1e-3


# -- a two-city economy solved in closed form ---------------------------------------------------


def closed_form_economy(nu: float, theta: float = 4.0) -> xr.Dataset:
    """Two cities, one tradable good with no trade costs and a real-estate sector with no land
    share (β = 0), one occupation, no inputs, no externalities."""
    cities, industries = ["A", "B"], ["Goods", "Real Estate"]
    return xr.Dataset(
        {
            "wage": (("occupation", "city"), [[1.0, 1.0]]),
            "employment": (("occupation", "industry", "city"), [[[35.0, 35.0], [15.0, 15.0]]]),
            "productivity": (("occupation", "industry", "city"), [[[1.0, 1.3], [1.0, 0.8]]]),
            "amenity": (("occupation", "city"), [[1.0, 1.2]]),
            "land": ("city", [1.0, 1.0]),
            "distance": (("city", "origin"), [[20.0, 500.0], [500.0, 20.0]]),
            "trade_cost_elasticity": ("industry", [0.0, np.nan]),
            "consumption_share": ("industry", [0.7, 0.3]),
            "value_added_share": ("industry", [1.0, 1.0]),
            "input_share": (("input", "industry"), np.zeros((2, 2))),
            "land_share": ("industry", [0.0, 0.0]),
            "theta": theta,
            "nu": nu,
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
    """w_n L_n = E π_n and L_n ∝ (A_n λ_RE,n^α_RE w_n^α_G)^ν give
    w_n^(1 + θ + ν α_G) ∝ λ_G,n^θ (A_n λ_RE,n^α_RE)^(-ν)."""
    theta, nu = float(model.theta), float(model.nu)
    a_re = float(model.consumption_share.sel(industry="Real Estate"))
    a_g = 1 - a_re
    lam_g = model.productivity.sel(occupation="all", industry="Goods").values
    lam_re = model.productivity.sel(occupation="all", industry="Real Estate").values
    A = model.amenity.sel(occupation="all").values
    L = float(model.employment.sum())
    E = float((model.wage * model.employment).sum())
    R = A * lam_re**a_re
    log_w = (theta * np.log(lam_g) - nu * np.log(R)) / (1 + theta + nu * a_g)
    w_rel = np.exp(log_w - log_w[0])
    L_rel = (R / R[0]) ** nu * w_rel ** (nu * a_g)
    residents = L * L_rel / L_rel.sum()
    w = w_rel * E / (w_rel * residents).sum()
    x = w / lam_g
    pi = x**-theta / (x**-theta).sum()
    return {
        "wage": w,
        "residents": residents,
        "goods_workers": pi * a_g * E / w,
        "re_workers": a_re * residents,
        "price_goods": (x**-theta).sum() ** (-1 / theta),
    }


@pytest.mark.parametrize("nu", [2.0, 5.0, 20.0])
def test_two_city_closed_form(nu) -> None:
    model = closed_form_economy(nu)
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


def test_workers_concentrate_as_nu_grows() -> None:
    """With a nearly homogeneous good (θ = 40), the wage barely falls as a city grows, so as ν
    rises workers concentrate in the city whose amenity-adjusted consumption is highest."""
    shares = []
    for nu in (2.0, 8.0, 32.0, 128.0):
        model = closed_form_economy(nu, theta=40.0)
        solution = spatialocc.solve_equilibrium(model, max_iter=20_000)
        assert bool(solution.converged)
        residents = solution.employment.sum("industry").sel(occupation="all")
        shares.append(float(residents.sel(city="B") / residents.sum()))
        np.testing.assert_allclose(residents, closed_form_solution(model)["residents"], rtol=1e-8)
    assert all(b > a for a, b in itertools.pairwise(shares))
    assert shares[-1] > 0.99


# -- invariances -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cue_model() -> xr.Dataset:
    data = spatialocc.datasets.synthetic(n_cities=15, n_industries=6, years=(2015,), seed=5)
    return spatialocc.with_externalities(spatialocc.invert(data), **CUE).isel(year=0)


NOMINAL = (
    "wage",
    "rent_rate",
    "unit_cost",
    "price",
    "price_index",
    "gross_output",
    "expenditure",
    "land_income_per_worker",
    "consumption",
    "price_nontradable",
)


def test_homogeneity_in_nominal_values(cue_model) -> None:
    c = 3.0
    scaled = cue_model.assign({v: cue_model[v] * c for v in NOMINAL})
    base = spatialocc.solve_equilibrium(cf.no_trade_costs(cue_model))
    other = spatialocc.solve_equilibrium(cf.no_trade_costs(scaled))
    xr.testing.assert_allclose(other.wage, base.wage * c, rtol=1e-8)
    xr.testing.assert_allclose(other.employment, base.employment, rtol=1e-8, atol=1e-6)
    xr.testing.assert_allclose(other.real_consumption, base.real_consumption, rtol=1e-8)
    xr.testing.assert_allclose(other.welfare, base.welfare, rtol=1e-8)


def test_permutation_and_relabeling(cue_model) -> None:
    rng = np.random.default_rng(0)
    pc = rng.permutation(cue_model.sizes["city"])
    pj = rng.permutation(cue_model.sizes["industry"])
    po = rng.permutation(cue_model.sizes["occupation"])
    shuffled = cue_model.isel(city=pc, origin=pc, industry=pj, input=pj, occupation=po)
    new_cities = [f"X{i}" for i in range(cue_model.sizes["city"])]
    relabeled = shuffled.assign_coords(city=new_cities, origin=new_cities)
    base = spatialocc.solve_equilibrium(cf.no_externalities(cue_model))
    other = spatialocc.solve_equilibrium(cf.no_externalities(relabeled))
    back = other.assign_coords(city=shuffled.city.values, origin=shuffled.city.values).sel(
        city=base.city.values,
        origin=base.city.values,
        industry=base.industry.values,
        input=base.industry.values,
        occupation=base.occupation.values,
    )
    for name in ("wage", "employment", "price", "rent_rate", "welfare"):
        xr.testing.assert_allclose(
            back[name].transpose(*base[name].dims), base[name], rtol=1e-8, atol=1e-6
        )


def test_tau_zero_both_ways(cue_model) -> None:
    """τ = 0 with λ̂ held equals a model whose productivity is λ̂ and that has no τ at all."""
    one = spatialocc.solve_equilibrium(cf.no_externalities(cue_model))
    fundamentals = cue_model.drop_vars(["tau_share", "tau_size", "productivity_exogenous"])
    fundamentals["productivity"] = cue_model.productivity_exogenous
    two = spatialocc.solve_equilibrium(fundamentals)
    for name in ("wage", "employment", "price", "welfare"):
        xr.testing.assert_allclose(one[name], two[name], rtol=1e-8, atol=1e-6)


# -- counterfactuals, policies, batches ------------------------------------------------------


def test_transformations_do_not_mutate(cue_model) -> None:
    before = cue_model.copy(deep=True)
    for transform in cf.TRANSFORMATIONS.values():
        transform(cue_model)
    xr.testing.assert_identical(cue_model, before)


def test_homogeneous_linkages_shares(cue_model) -> None:
    out = cf.homogeneous_linkages(cue_model)
    total = out.value_added_share + out.input_share.sum("input")
    np.testing.assert_allclose(total, 1.0, atol=1e-12)
    others = out.value_added_share.drop_sel(industry="Real Estate")
    assert float(others.std("industry").max()) < 1e-12
    io = out.input_share.drop_sel(industry="Real Estate").drop_sel(input="Real Estate")
    assert float(io.std("input").max()) < 1e-12
    solution = spatialocc.solve_equilibrium(out)
    assert bool(solution.converged.all()) and max_residual(solution) < 1e-8


def test_scenarios_solve_like_separate_runs(cue_model) -> None:
    transforms = {
        "baseline": None,
        "no_externalities": cf.no_externalities,
        "no_trade_costs": cf.no_trade_costs,
        "model_implied_instruments": cf.model_implied_instruments,
    }
    stacked = cf.scenarios(cue_model, transforms)
    together = spatialocc.solve_equilibrium(stacked.chunk({"scenario": 1})).compute()
    assert bool(together.converged.all())
    assert float(together.to_array("v").sel(v=RESIDUALS).max()) < 1e-8
    for name, transform in transforms.items():
        alone = spatialocc.solve_equilibrium(transform(cue_model) if transform else cue_model)
        for var in ("wage", "employment", "welfare"):
            xr.testing.assert_allclose(
                together[var].sel(scenario=name, drop=True).transpose(*alone[var].dims),
                alone[var],
                rtol=1e-9,
                atol=1e-6,
            )


def test_no_trade_costs_keeps_zero_cells(medium_model) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solution = spatialocc.solve_equilibrium(cf.no_trade_costs(medium_model))
    empty = medium_model.employment.sum("occupation") == 0
    assert int(empty.sum()) > 0
    assert (solution.gross_output.where(empty, 0.0) == 0).all()
    assert np.isposinf(solution.unit_cost.where(empty)).sum() == int(empty.sum())
    assert max_residual(solution) < 1e-8


def test_dask_along_year_matches_and_is_lazy(small_model) -> None:
    model = spatialocc.with_externalities(small_model, tau_share=0.3, tau_size=0.05)
    target = cf.no_externalities(model)
    eager = spatialocc.solve_equilibrium(target)
    with raise_if_dask_computes():
        lazy = spatialocc.solve_equilibrium(target.chunk({"year": 1}))
    assert lazy.wage.chunks is not None
    xr.testing.assert_allclose(lazy.compute(), eager, rtol=1e-12)


def test_chunked_core_dimension_is_refused(small_model) -> None:
    with pytest.raises(spatialocc.DimensionError, match=r"chunk\(\{'city': -1\}\)"):
        spatialocc.solve_equilibrium(small_model.chunk({"city": 4}))


def test_non_convergence_is_reported(cue_model) -> None:
    start = perturbed_start(cue_model, 1)
    with pytest.warns(spatialocc.ConvergenceWarning, match="did not converge"):
        solution = spatialocc.solve_equilibrium(cue_model, initial=start, max_iter=3)
    assert not bool(solution.converged)
    assert int(solution.iterations) == 3


def test_a_small_step_with_a_large_residual_is_not_converged(small_model, monkeypatch) -> None:
    """Consumption shares summing to 1.2 (let past the input check here) end with a small
    step at an allocation that misses the labor market by 9%: not an equilibrium, so not
    converged, and the warning names the worst condition and its size."""
    model = small_model.sel(year=2015)
    model = model.assign(consumption_share=model.consumption_share * 1.2)
    monkeypatch.setattr(eq, "validated_model", lambda model: model)
    with pytest.warns(spatialocc.ConvergenceWarning) as record:
        solution = spatialocc.solve_equilibrium(model)
    assert not bool(solution.converged)
    worst = max(CONDITIONS, key=lambda c: float(solution[f"residual_{c}"]))
    size = float(solution[f"residual_{worst}"])
    assert size > 0.05
    messages = [str(w.message) for w in record]
    assert any(f"'{worst}'" in m and f"{size:.3g}" in m for m in messages), messages


def test_converged_means_every_residual_within_its_tolerance(cue_model) -> None:
    tol = 1e-9
    solution = spatialocc.solve_equilibrium(
        cue_model, initial=perturbed_start(cue_model, 2), tol=tol
    )
    assert bool(solution.converged)
    assert max_residual(solution) <= eq.residual_tolerance(tol) == 100 * tol
    assert solution.attrs["residual_tolerance"] == 100 * tol


def test_policy_with_transfers_balances_the_budget(cue_model) -> None:
    def payment(state: PolicyInput) -> np.ndarray:
        return state.wage + state.land_income_per_worker[:, None] + 1000.0

    solution = spatialocc.solve_equilibrium(cue_model, policy=payment)
    assert bool(solution.converged) and max_residual(solution) < 1e-8
    e, w, chi = solution.consumption, solution.wage, solution.land_income_per_worker
    residents = solution.employment.sum("industry")
    net = ((e - w - chi) * residents).sum()
    assert abs(float(net)) < 1e-8 * float((w * residents).sum())
    # The flat tax makes the transfer progressive: low-wage workers gain on net.
    transfer = e - w - chi
    low = w.where(w == w.min())
    assert float(transfer.where(low.notnull()).max()) > 0
    residuals = spatialocc.check_equilibrium(solution, policy=payment, reference=cue_model)
    assert float(residuals.to_array().max()) < 1e-8
    assert float(spatialocc.check_equilibrium(solution).residual_consumption) > 1e-6


def test_policy_registry(cue_model) -> None:
    assert "decentralized" in POLICIES
    named = spatialocc.solve_equilibrium(cue_model, policy="decentralized")
    default = spatialocc.solve_equilibrium(cue_model)
    xr.testing.assert_allclose(named.wage, default.wage)
    with pytest.raises(KeyError, match=r"unknown policy 'utopia'.*decentralized"):
        spatialocc.solve_equilibrium(cue_model, policy="utopia")


def test_missing_fundamentals(two_city) -> None:
    with pytest.raises(spatialocc.MissingVariableError, match="amenity"):
        spatialocc.solve_equilibrium(two_city)


def test_with_externalities_round_trip(small_model) -> None:
    model = spatialocc.with_externalities(small_model, **CUE)
    L = model.employment.sum("industry")
    factor = (L / L.sum("occupation")) ** model.tau_share * L.sum("occupation") ** model.tau_size
    recovered = (model.productivity_exogenous * factor).transpose(*model.productivity.dims)
    xr.testing.assert_allclose(recovered, model.productivity)
    with pytest.raises(KeyError, match="missing"):
        spatialocc.with_externalities(small_model, tau_share={"CNR": 1.0}, tau_size=0.0)


def test_welfare_formula(cue_model) -> None:
    solution = spatialocc.solve_equilibrium(cf.no_trade_costs(cue_model))
    nu = float(solution.nu)
    AC = (solution.amenity * solution.real_consumption) ** nu
    expected = math.gamma((nu - 1) / nu) * AC.sum("city") ** (1 / nu)
    xr.testing.assert_allclose(solution.welfare, expected, rtol=1e-10)


def test_initial_residents_and_plain_iteration_agree(cue_model) -> None:
    target = cf.no_trade_costs(cue_model)
    start = xr.Dataset({"employment": cue_model.employment.sum("industry") * 1.2})
    accelerated = spatialocc.solve_equilibrium(target, initial=start)
    plain = spatialocc.solve_equilibrium(target, method="fixed_point", max_iter=20_000)
    assert bool(accelerated.converged) and bool(plain.converged)
    assert int(plain.iterations) > int(accelerated.iterations)
    for name in ("wage", "employment", "welfare"):
        xr.testing.assert_allclose(accelerated[name], plain[name], rtol=1e-8, atol=1e-6)
