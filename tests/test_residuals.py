"""Every residual reacts: each condition of MODEL.md sections 2 and 4, violated alone.

For each equilibrium condition (as grouped in ``CONDITIONS``) an allocation is built from an
equilibrium that violates that condition and, by construction, no other: a perturbation of
the one variable that appears only in that condition, or of the smallest set of variables,
with the others moved so that every other condition still holds exactly. The residual of the
violated condition must then have the size the perturbation implies, worked out by hand from
the equations (below, next to each perturbation), and every other residual must stay at
solver precision. The same is done for the conditions of the optimum (budget balance, equal
welfare gains, the consumption rule of Proposition 1) with ``spatialocc.check_optimum``,
whose residuals are also recomputed here with plain numpy from MODEL.md section 4.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import xarray as xr

import spatialocc
from spatialocc.solvers.equilibrium import CONDITIONS
from tests.conftest import wedge_by_definition

CUE = {
    "tau_share": {"CNR": 1.304, "nonCNR": 0.835},
    "tau_size": {"CNR": 0.349, "nonCNR": 0.357},
}
RESIDUALS = [f"residual_{c}" for c in CONDITIONS]
OPTIMUM_RESIDUALS = ["residual_budget", "residual_equal_gains", "residual_rule"]

C = 1.01  # a 1% perturbation
SHIFT = (C - 1) / C  # |a - C a| / max(|a|, |C a|): the relative residual of a 1% change
# Solver tolerance 1e-10 on log changes: every relative residual of a converged solve (and of
# an inversion) is below 1e-9; MODEL.md section 6 asks for 1e-8.
PRECISION = 1e-8
# The residual of the violated condition is ~1e-2..1e-3 and the base allocation's own residual
# (< 1e-9) can shift it by at most that much in absolute terms: a relative 1e-6 is safe.
RTOL = 1e-6

# Kernel axis order of every variable that the perturbations touch.
DIMS = {
    "wage": ("occupation", "city"),
    "employment": ("occupation", "industry", "city"),
    "productivity": ("occupation", "industry", "city"),
    "productivity_exogenous": ("occupation", "industry", "city"),
    "unit_cost": ("industry", "city"),
    "price": ("industry", "city"),
    "gross_output": ("industry", "city"),
    "expenditure": ("industry", "city"),
    "rent_rate": ("city",),
    "land": ("city",),
    "consumption": ("occupation", "city"),
    "land_income_per_worker": ("occupation",),
    "price_index": ("city",),
    "welfare": ("occupation",),
    "amenity": ("occupation", "city"),
    "input_share": ("input", "industry", "city"),
    "value_added_share": ("industry", "city"),
    "land_share": ("industry", "city"),
    "distance": ("city", "origin"),
    "lump_sum": ("occupation",),
}


def get(ds: xr.Dataset, name: str) -> np.ndarray:
    """A writable numpy copy of ``ds[name]`` in kernel axis order."""
    return np.array(ds[name].transpose(*DIMS[name]).values, dtype=float)


def put(ds: xr.Dataset, **arrays: np.ndarray) -> xr.Dataset:
    """A copy of ``ds`` with the given variables replaced (kernel axis order, same coords)."""
    out = ds.copy()
    for name, values in arrays.items():
        dims = DIMS[name]
        template = ds.get(name)
        if template is not None and set(template.dims) == set(dims):
            out[name] = template.transpose(*dims).copy(data=values)
        else:  # a national array made city-specific (input shares)
            coords = {d: ds[d] for d in dims}
            out[name] = xr.DataArray(values, dims=dims, coords=coords)
    return out


def residents(ds: xr.Dataset) -> np.ndarray:
    return get(ds, "employment").sum(axis=1)


def externality_factor(ds: xr.Dataset, L_kn: np.ndarray) -> np.ndarray:
    """(L[k,n]/L[n])^τR[k] L[n]^τL[k] (MODEL.md section 2, item 1)."""
    L_n = L_kn.sum(axis=0)
    tau_r = ds["tau_share"].transpose("occupation").values[:, None]
    tau_l = ds["tau_size"].transpose("occupation").values[:, None]
    return (L_kn / L_n) ** tau_r * L_n**tau_l


# -- the economies -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inverted(small_model: xr.Dataset) -> xr.Dataset:
    """The 12-city, 6-industry synthetic economy, inverted, with the paper's externalities."""
    return spatialocc.with_externalities(small_model.sel(year=2015), **CUE)


@pytest.fixture(scope="module", params=["inverted", "solved"])
def base(request, inverted: xr.Dataset) -> tuple[xr.Dataset, xr.Dataset]:
    """(allocation, model it solves): the inverted data, or the equilibrium of the economy with
    the amenities of one city raised by 20% (a solver output, away from the data)."""
    if request.param == "inverted":
        return inverted, inverted
    model = inverted.copy()
    model["amenity"] = inverted.amenity * xr.where(inverted.city == inverted.city[2], 1.2, 1.0)
    solution = spatialocc.solve_equilibrium(model)
    assert bool(solution.converged)
    return solution, model


CITY = 4  # the city whose cells are perturbed (every occupation and industry is present)
K = 0  # the occupation perturbed (CNR)


# -- one violation per condition -----------------------------------------------------------------


def break_externalities(ds: xr.Dataset) -> tuple[xr.Dataset, float]:
    """λ̂[k,j,n] x C in one cell: λ̂ appears in condition 1 only; λ = λ̂ f is then off by C."""
    lam_hat = get(ds, "productivity_exogenous")
    lam_hat[K, 1, CITY] *= C
    return put(ds, productivity_exogenous=lam_hat), SHIFT


def break_unit_cost(ds: xr.Dataset) -> tuple[xr.Dataset, float]:
    """λ and λ̂ of every occupation in real estate of one city x C: the externalities still
    hold (both sides scale), the CES shares s[k,j,n] (labor demand) are unchanged, and the labor
    cost W[j,n] falls by 1/C, so x_rhs = (r^β W^(1-β))^γ prod P^γ' falls by C^(-γ(1-β))."""
    j = int(np.flatnonzero(get(ds, "land_share")[:, CITY] > 0)[0])  # real estate: β > 0
    lam, lam_hat = get(ds, "productivity"), get(ds, "productivity_exogenous")
    lam[:, j, CITY] *= C
    lam_hat[:, j, CITY] *= C
    gamma = get(ds, "value_added_share")[j, CITY]
    beta = get(ds, "land_share")[j, CITY]
    return put(ds, productivity=lam, productivity_exogenous=lam_hat), 1 - C ** (-gamma * (1 - beta))


DISTANCE_FACTOR = 1.1


def break_price(ds: xr.Dataset) -> tuple[xr.Dataset, float]:
    """Every distance x F: κ[j] = d^t[j] rises by F^t[j] for every pair, so the CES price of a
    tradable, (sum (κ x)^-θ)^(-1/θ), rises by F^t[j]; trade shares (goods market) are unchanged,
    as the common factor cancels. Distance appears in no other condition."""
    t = ds["trade_cost_elasticity"].transpose("industry").values
    t = t[np.isfinite(t) & (t > 0)]
    distance = get(ds, "distance") * DISTANCE_FACTOR
    return put(ds, distance=distance), float(np.max(1 - DISTANCE_FACTOR ** (-t)))


def break_land_income(ds: xr.Dataset) -> tuple[xr.Dataset, float]:
    """H[n] x C in one city and H[m] lowered in another so that total land income
    Π = sum r H (hence χ, the consumption rule) is unchanged: land appears elsewhere only in
    Π (the numeraire uses sum β γ Y, its target comes from the model). r[n] H[n] = sum_j β γ Y
    then fails by (C-1)/C in n and by the cut / (r H) in m."""
    land, rent = get(ds, "land"), get(ds, "rent_rate")
    m = CITY + 1
    moved = (C - 1) * rent[CITY] * land[CITY]  # land income added in n, taken from m
    land[CITY] *= C
    land[m] -= moved / rent[m]
    return put(ds, land=land), max(SHIFT, moved / (rent[m] * land[m] + moved))


def break_consumption(ds: xr.Dataset) -> tuple[xr.Dataset, float]:
    """e[CNR,n] x C and e[nonCNR,n] lowered so that city n's total spending sum_k e L is
    unchanged (national α: spending depends on it only); amenities A[k,n] divided by the same
    factors so that A C, hence location and welfare, are unchanged. e = w + χ then fails
    by (C-1)/C for CNR and by the cut / e for nonCNR."""
    e, A, L = get(ds, "consumption"), get(ds, "amenity"), residents(ds)
    assert ds["consumption_share"].dims == ("industry",)  # national shares
    transfer = (C - 1) * e[0, CITY] * L[0, CITY]
    new = e.copy()
    new[0, CITY] += transfer / L[0, CITY]
    new[1, CITY] -= transfer / L[1, CITY]
    A[:, CITY] *= e[:, CITY] / new[:, CITY]
    expected = max(SHIFT, transfer / L[1, CITY] / e[1, CITY])
    return put(ds, consumption=new, amenity=A), expected


def _shift_input_share(ds: xr.Dataset, i: int) -> tuple[dict[str, np.ndarray], float]:
    """Raise γ[i,j',n] (input i bought by industry j' in city n) so that spending on i rises by
    1% of X[i,n], and raise λ, λ̂ of every occupation in (j', n) by P[i,n]^(dγ/(γ(1-β))) so
    that the unit cost x[j',n] is unchanged (externalities and shares unchanged, as above).
    Returns the arrays and the added spending dγ Y[j',n]."""
    Y, X, P = get(ds, "gross_output"), get(ds, "expenditure"), get(ds, "price")
    gamma_io = get(ds, "input_share") if "city" in ds["input_share"].dims else None
    if gamma_io is None:
        national = ds["input_share"].transpose("input", "industry").values
        gamma_io = np.repeat(national[:, :, None], ds.sizes["city"], axis=2)
    j = int(np.argmax(Y[:, CITY]))  # the largest buyer
    d_gamma = (C - 1) * X[i, CITY] / Y[j, CITY]
    gamma_io[i, j, CITY] += d_gamma
    gamma = get(ds, "value_added_share")[j, CITY]
    beta = get(ds, "land_share")[j, CITY]
    factor = P[i, CITY] ** (d_gamma / (gamma * (1 - beta)))
    lam, lam_hat = get(ds, "productivity"), get(ds, "productivity_exogenous")
    lam[:, j, CITY] *= factor
    lam_hat[:, j, CITY] *= factor
    arrays = {"input_share": gamma_io, "productivity": lam, "productivity_exogenous": lam_hat}
    return arrays, d_gamma * Y[j, CITY]


def break_spending(ds: xr.Dataset) -> tuple[xr.Dataset, float]:
    """X_rhs[i,n] = α[i] sum_k e L + sum_j' γ[i,j',n] Y[j',n] rises by 1% through an input
    share, with unit costs compensated: X = X_rhs fails by (C-1)/C, nothing else moves."""
    arrays, _ = _shift_input_share(ds, i=0)
    return put(ds, **arrays), SHIFT


def break_goods_market(ds: xr.Dataset) -> tuple[xr.Dataset, float]:
    """Spending on tradable i in city n rises by ΔX on both sides of condition 10 (the input
    share change of break_spending plus X itself), so spending still holds and the sales of
    every origin m rise by π[i,n,m] ΔX, π recomputed here from its definition (item 6)."""
    i = 0
    arrays, added = _shift_input_share(ds, i=i)
    X, Y, x = get(ds, "expenditure"), get(ds, "gross_output"), get(ds, "unit_cost")
    X[i, CITY] += added
    theta = float(ds["theta"])
    t = float(ds["trade_cost_elasticity"].isel(industry=i))
    kappa_x = get(ds, "distance")[CITY] ** t * x[i]  # κ[i,n,m] x[i,m] over origins m
    weight = np.where(np.isfinite(kappa_x), kappa_x ** (-theta), 0.0)
    pi = weight / weight.sum()
    sales = pi * added  # extra sales of each origin
    producing = Y[i] > 0
    expected = float(np.max(sales[producing] / (Y[i, producing] + sales[producing])))
    return put(ds, expenditure=X, **arrays), expected


def break_labor_demand(ds: xr.Dataset) -> tuple[xr.Dataset, float]:
    """1% of CNR workers of industry 1 in city n move to industry 0 of the same city: every
    condition sees employment only through L[k,n] = sum_j L[k,j,n] except labor demand,
    w L[k,j,n] = s (1-β) γ Y, which fails by 1% in industry 1 and by δ/(L+δ) in industry 0."""
    L = get(ds, "employment")
    assert L[K, 0, CITY] > 0 and L[K, 1, CITY] > 0
    moved = (C - 1) * L[K, 1, CITY]
    expected = max(C - 1, moved / (L[K, 0, CITY] + moved))
    L[K, 1, CITY] -= moved
    L[K, 0, CITY] += moved
    return put(ds, employment=L), expected


def break_labor_market(ds: xr.Dataset) -> tuple[xr.Dataset, float]:
    """C times as many CNR workers everywhere, each paid 1/C as much (w, λ, e and welfare of
    CNR / C; λ̂ of every occupation recomputed for the new city sizes): wage bills, CES shares,
    labor costs, spending e L, location shares (homogeneous in C) are unchanged, but national
    CNR employment is C times the model's. The consumption rule moves too, and must: χ[k] =
    b[k] Π / L[k] is land income per worker of the given national employment L[k] (item 8),
    which does not grow with the workforce, so e/C = (w + χ)/C misses w/C + χ."""
    L, w, lam = get(ds, "employment"), get(ds, "wage"), get(ds, "productivity")
    e, v = get(ds, "consumption"), get(ds, "welfare")
    L[K] *= C
    w[K] /= C
    lam[K] /= C
    e[K] /= C
    v[K] /= C
    factor = externality_factor(ds, L.sum(axis=1))
    lam_hat = np.where(lam > 0, lam / factor[:, None, :], 0.0)
    changed = {"employment": L, "wage": w, "productivity": lam, "consumption": e, "welfare": v}
    return put(ds, productivity_exogenous=lam_hat, **changed), SHIFT


def break_location(ds: xr.Dataset) -> tuple[xr.Dataset, float]:
    """A[CNR,n] x C in one city, welfare set to its new value: (A C)^ν of city n rises by C^ν,
    so with s = L[k,n]/L[k] the choice probabilities become s C^ν/D there and s'/D elsewhere,
    D = 1 + s (C^ν - 1), and v = Γ(.) (sum (A C)^ν)^(1/ν) rises by D^(1/ν). The observed shares
    are then off by 1 - D/C^ν in city n and by 1 - 1/D elsewhere."""
    A, v, L = get(ds, "amenity"), get(ds, "welfare"), residents(ds)
    nu = float(ds["nu"])
    s = L[K, CITY] / L[K].sum()
    D = 1 + s * (C**nu - 1)
    A[K, CITY] *= C
    v[K] *= D ** (1 / nu)
    return put(ds, amenity=A, welfare=v), max(1 - D / C**nu, 1 - 1 / D)


def break_welfare(ds: xr.Dataset) -> tuple[xr.Dataset, float]:
    """v[CNR] x C: welfare appears in condition 14 only."""
    v = get(ds, "welfare")
    v[K] *= C
    return put(ds, welfare=v), SHIFT


NOMINAL = [
    "wage",
    "rent_rate",
    "unit_cost",
    "price",
    "price_index",
    "gross_output",
    "expenditure",
    "consumption",
    "land_income_per_worker",
]


def break_numeraire(ds: xr.Dataset) -> tuple[xr.Dataset, float]:
    """Every nominal variable x C: the model is homogeneous of degree one in them (unit costs
    because γ + sum γ' = 1), so only total nominal income, C times the model's, moves."""
    gamma_total = get(ds, "value_added_share") + get(ds, "input_share").sum(axis=0)
    np.testing.assert_allclose(gamma_total, 1.0, rtol=1e-12)  # constant returns: exact shares
    return put(ds, **{name: get(ds, name) * C for name in NOMINAL}), SHIFT


def direct_price(ds: xr.Dataset) -> tuple[xr.Dataset, float]:
    """P[j,n] x C alone (tradable j, one city): the price condition fails by (C-1)/C, and P
    also enters the unit costs of the industries that buy j in n (P^γ') and the consumer price
    index (P[n] = prod (P/α)^α, checked in the location residual)."""
    P = get(ds, "price")
    P[0, CITY] *= C
    return put(ds, price=P), SHIFT


def direct_spending(ds: xr.Dataset) -> tuple[xr.Dataset, float]:
    """X[j,n] x C alone (a non-tradable other than real estate): spending fails by (C-1)/C and
    so does the goods market, where a non-tradable's output must equal local spending."""
    tradable = ds["tradable"].values
    j = int(np.flatnonzero(~tradable)[0])
    X = get(ds, "expenditure")
    X[j, CITY] *= C
    return put(ds, expenditure=X), SHIFT


@dataclass(frozen=True)
class Violation:
    """A perturbation that violates ``condition``; ``moves`` are the other residuals that the
    model forces to move with it (empty when the perturbation is built to keep them exact)."""

    condition: str
    perturb: Callable[[xr.Dataset], tuple[xr.Dataset, float]]
    moves: frozenset[str] = frozenset()


VIOLATIONS = {
    "externalities": Violation("externalities", break_externalities),
    "unit_cost": Violation("unit_cost", break_unit_cost),
    "price": Violation("price", break_price),
    "land_income": Violation("land_income", break_land_income),
    "consumption": Violation("consumption", break_consumption),
    "spending": Violation("spending", break_spending),
    "goods_market": Violation("goods_market", break_goods_market),
    "labor_demand": Violation("labor_demand", break_labor_demand),
    "labor_market": Violation("labor_market", break_labor_market, frozenset({"consumption"})),
    "location": Violation("location", break_location),
    "welfare": Violation("welfare", break_welfare),
    "numeraire": Violation("numeraire", break_numeraire),
    "price_alone": Violation("price", direct_price, frozenset({"unit_cost", "location"})),
    "spending_alone": Violation("spending", direct_spending, frozenset({"goods_market"})),
}


def test_every_condition_has_a_violation() -> None:
    assert {v.condition for v in VIOLATIONS.values()} == set(CONDITIONS)


def test_the_equilibria_are_at_precision(base) -> None:
    allocation, model = base
    residuals = spatialocc.check_equilibrium(allocation, reference=model)
    assert set(residuals.data_vars) == set(RESIDUALS)
    for name in RESIDUALS:
        assert float(residuals[name]) < PRECISION, name


@pytest.mark.parametrize("name", list(VIOLATIONS))
def test_each_residual_reacts_to_its_condition_alone(base, name: str) -> None:
    allocation, model = base
    violation = VIOLATIONS[name]
    perturbed, expected = violation.perturb(allocation)
    assert expected > 1e-4  # a visible violation, far above solver precision
    residuals = spatialocc.check_equilibrium(perturbed, reference=model)
    np.testing.assert_allclose(
        float(residuals[f"residual_{violation.condition}"]), expected, rtol=RTOL
    )
    for condition in CONDITIONS:
        if condition == violation.condition:
            continue
        value = float(residuals[f"residual_{condition}"])
        if condition in violation.moves:
            assert value > PRECISION, condition  # the model forces it to move
        else:
            assert value < PRECISION, condition


# -- the optimum (MODEL.md section 4) -------------------------------------------------------------


@pytest.fixture(scope="module")
def planner_model() -> xr.Dataset:
    data = spatialocc.datasets.synthetic(n_cities=10, n_industries=5, years=(2015,), seed=4)
    return spatialocc.with_externalities(spatialocc.invert(data), **CUE).isel(year=0)


@pytest.fixture(scope="module")
def reference(planner_model: xr.Dataset) -> xr.Dataset:
    return spatialocc.solve_equilibrium(planner_model)


@pytest.fixture(scope="module")
def optimum(planner_model: xr.Dataset, reference: xr.Dataset) -> xr.Dataset:
    solution = spatialocc.solve_optimal(planner_model, reference=reference)
    assert bool(solution.converged)
    return solution


def relative(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(|a|, |b|)."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a), np.abs(b))))


def optimum_conditions(model: xr.Dataset, opt: xr.Dataset, v_ref: np.ndarray) -> dict:
    """The three conditions of MODEL.md section 4, from their definitions, with plain numpy
    (multiplicative amenities): budget sum (e - w - χ) L = 0, v/v_ref equal across
    occupations, e = (1 - t_L)(w + Δ) + χ + R with t_L = 1/(1+ν) and Δ of Lemma 2."""
    L = residents(opt)
    w, e = get(opt, "wage"), get(opt, "consumption")
    bill = (w * L).sum(axis=1)
    land_income = float((get(opt, "rent_rate") * get(opt, "land")).sum())
    chi = (bill / bill.sum() * land_income / L.sum(axis=1))[:, None]  # item 8: χ = b Π / L[k]
    delta = wedge_by_definition(model, opt).transpose(*DIMS["wage"]).values
    t_l = 1 / (1 + float(model["nu"]))
    rule = (1 - t_l) * (w + delta) + chi + get(opt, "lump_sum")[:, None]
    gains = get(opt, "welfare") / v_ref
    lives = L > 0
    return {
        "residual_budget": relative((e * L).sum(), ((w + chi) * L).sum()),
        "residual_equal_gains": float(np.ptp(gains) / np.max(np.abs(gains))),
        "residual_rule": relative(e[lives], rule[lives]),
    }


def move_budget(opt: xr.Dataset, ref: xr.Dataset) -> tuple[xr.Dataset, xr.Dataset, float]:
    """e[CNR,n] + δ in every city and R[CNR] + δ: the rule still holds (e and R move together)
    and welfare is as reported, but spending sum e L exceeds income sum (w + χ) L (equal to
    the solved optimum's spending) by δ L[CNR]."""
    e, R, L = get(opt, "consumption"), get(opt, "lump_sum"), residents(opt)
    income = (e * L).sum()
    delta = (C - 1) * (e[K] * L[K]).sum() / L[K].sum()  # 1% of CNR's mean consumption
    e[K] += delta
    R[K] += delta
    extra = delta * L[K].sum()
    return put(opt, consumption=e, lump_sum=R), ref, extra / (income + extra)


def move_lump_sum(opt: xr.Dataset, ref: xr.Dataset) -> tuple[xr.Dataset, xr.Dataset, float]:
    """R[CNR] + δ alone: the rule's right-hand side rises by δ in every CNR city, so the rule
    fails by δ / (e + δ), largest where e is smallest; R enters no other condition."""
    e, R = get(opt, "consumption"), get(opt, "lump_sum")
    delta = (C - 1) * e[K].min()
    R[K] += delta
    return put(opt, lump_sum=R), ref, delta / (e[K].min() + delta)


def move_one_city(opt: xr.Dataset, ref: xr.Dataset) -> tuple[xr.Dataset, xr.Dataset, float]:
    """e[CNR,n] x C in one city, paid for by lower e[CNR,m] in another city (budget
    unchanged): the rule fails by (C-1)/C in n and by the cut / e in m."""
    e, L = get(opt, "consumption"), residents(opt)
    n, m = 1, 2
    paid = (C - 1) * e[K, n] * L[K, n]
    cut = paid / L[K, m]
    e[K, n] *= C
    e[K, m] -= cut
    return put(opt, consumption=e), ref, max(SHIFT, cut / (e[K, m] + cut))


def move_reference(opt: xr.Dataset, ref: xr.Dataset) -> tuple[xr.Dataset, xr.Dataset, float]:
    """v_ref[CNR] x C: CNR's gain v/v_ref falls by 1/C while the others' stay, so the
    spread over the largest gain is 1 - 1/C."""
    v = get(ref, "welfare")
    v[K] *= C
    return opt, put(ref, welfare=v), SHIFT


def move_welfare(opt: xr.Dataset, ref: xr.Dataset) -> tuple[xr.Dataset, xr.Dataset, float]:
    """v[CNR] x C at the optimum: CNR's gain rises by C, a spread of (C-1)/C of the largest."""
    v = get(opt, "welfare")
    v[K] *= C
    return put(opt, welfare=v), ref, SHIFT


OPTIMUM_VIOLATIONS = {
    "budget": ("residual_budget", move_budget),
    "rule_lump_sum": ("residual_rule", move_lump_sum),
    "rule_one_city": ("residual_rule", move_one_city),
    "equal_gains_reference": ("residual_equal_gains", move_reference),
    "equal_gains_welfare": ("residual_equal_gains", move_welfare),
}


def test_the_optimum_is_at_precision(planner_model, reference, optimum) -> None:
    residuals = spatialocc.check_optimum(planner_model, optimum, reference=reference)
    assert set(residuals.data_vars) == set(OPTIMUM_RESIDUALS)
    by_hand = optimum_conditions(planner_model, optimum, get(reference, "welfare"))
    for name in OPTIMUM_RESIDUALS:
        assert float(residuals[name]) < PRECISION, name
        assert by_hand[name] < PRECISION, name
    # the default reference is the decentralized equilibrium of the model, as in solve_optimal
    default = spatialocc.check_optimum(planner_model, optimum)
    for name in OPTIMUM_RESIDUALS:
        assert float(default[name]) < PRECISION, name


@pytest.mark.parametrize("name", list(OPTIMUM_VIOLATIONS))
def test_each_optimum_residual_reacts_to_its_condition_alone(
    planner_model, reference, optimum, name: str
) -> None:
    target, move = OPTIMUM_VIOLATIONS[name]
    opt, ref, expected = move(optimum, reference)
    residuals = spatialocc.check_optimum(planner_model, opt, reference=ref)
    by_hand = optimum_conditions(planner_model, opt, get(ref, "welfare"))
    np.testing.assert_allclose(float(residuals[target]), expected, rtol=RTOL)
    np.testing.assert_allclose(by_hand[target], expected, rtol=RTOL)
    for other in OPTIMUM_RESIDUALS:
        if other != target:
            assert float(residuals[other]) < PRECISION, other
            assert by_hand[other] < PRECISION, other


def test_additive_optimum_rule_and_gains(planner_model) -> None:
    """Rule (11), e = w + Δ - P[n]/ν_add[k] + χ + R, and equal absolute gains
    1 + (v - v_ref)/C̄_ref: at precision at the additive optimum; R[CNR] + δ moves the rule
    alone by δ/(e + δ); v_ref[CNR] + δ moves the gains alone by (δ/C̄_ref)/max gain."""
    model = spatialocc.counterfactuals.additive_amenities(planner_model)
    ref = spatialocc.solve_equilibrium(model)
    opt = spatialocc.solve_optimal(model, reference=ref)
    assert bool(opt.converged)
    residuals = spatialocc.check_optimum(planner_model, opt, reference=ref)
    for name in OPTIMUM_RESIDUALS:
        assert float(residuals[name]) < PRECISION, name
    # rule (11) by hand
    L, w, e = residents(opt), get(opt, "wage"), get(opt, "consumption")
    bill = (w * L).sum(axis=1)
    chi = bill / bill.sum() * float((get(opt, "rent_rate") * get(opt, "land")).sum()) / L.sum(1)
    delta = wedge_by_definition(planner_model, opt).transpose(*DIMS["wage"]).values
    nu_add = opt["nu_additive"].transpose("occupation").values[:, None]
    rule = w + delta - get(opt, "price_index")[None, :] / nu_add + chi[:, None]
    rule = rule + get(opt, "lump_sum")[:, None]
    assert relative(e, rule) < PRECISION
    # the lump sum moves the rule alone
    shift = (C - 1) * e[K].min()
    R = get(opt, "lump_sum")
    R[K] += shift
    moved = spatialocc.check_optimum(planner_model, put(opt, lump_sum=R), reference=ref)
    np.testing.assert_allclose(float(moved.residual_rule), shift / (e[K].min() + shift), rtol=RTOL)
    assert float(moved.residual_budget) < PRECISION
    assert float(moved.residual_equal_gains) < PRECISION
    # the reference welfare moves the (absolute) gains alone
    mean_real = float((get(ref, "consumption") / get(ref, "price_index") * residents(ref)).sum())
    mean_real /= residents(ref).sum()
    v_ref = get(ref, "welfare")
    v_ref[K] += (C - 1) * mean_real  # one percent of mean real consumption
    gains = 1 + (get(opt, "welfare") - v_ref) / mean_real
    moved = spatialocc.check_optimum(planner_model, opt, reference=put(ref, welfare=v_ref))
    np.testing.assert_allclose(
        float(moved.residual_equal_gains), np.ptp(gains) / np.max(gains), rtol=RTOL
    )
    np.testing.assert_allclose(np.ptp(gains) / np.max(gains), (C - 1) / np.max(gains), rtol=RTOL)
    assert float(moved.residual_rule) < PRECISION
    assert float(moved.residual_budget) < PRECISION


def test_check_optimum_needs_the_lump_sums(planner_model, reference, optimum) -> None:
    with pytest.raises(
        spatialocc.MissingVariableError, match=r"check_optimum needs \['lump_sum'\]"
    ):
        spatialocc.check_optimum(planner_model, optimum.drop_vars("lump_sum"), reference=reference)
