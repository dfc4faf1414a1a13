"""The model inversion (MODEL.md section 3), checked against hand calculations and against
the equilibrium conditions of section 2 recomputed independently here."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import spatialocc
from spatialocc.dims.errors import DimensionError, InconsistentDataError, MissingVariableError
from tests.conftest import raise_if_dask_computes

RE = "Real Estate"


@pytest.mark.parametrize("units", ["rent_index", "one"])
def test_two_city_economy_by_hand(two_city: xr.Dataset, units: str) -> None:
    """Every step of Lemma 1 on an economy small enough to do with pencil and paper."""
    m = spatialocc.invert(two_city, land_units=units)
    c = lambda da, **sel: float(da.sel(**sel))  # noqa: E731

    # Labor compensation: Goods A = 2*10 + 1*40 = 60, B = 3*20 + 1.5*20 = 90; real estate
    # A = 2*1 + 1*2 = 4, B = 3*1 + 1.5*2 = 6. Wage bills: CNR 85, nonCNR 75, total 160.
    b = {"CNR": 85 / 160, "nonCNR": 75 / 160}
    L_k = {"CNR": 32.0, "nonCNR": 64.0}
    L_kn = {("CNR", "A"): 11, ("CNR", "B"): 21, ("nonCNR", "A"): 42, ("nonCNR", "B"): 22}
    # No inputs and gamma = 1: Y_goods = LC; Y_RE = 0.25 * income. Land income solves
    # Pi = 0.25 * (160 + Pi) - 10, so Pi = 40, total income 200, alpha_goods = 150/200.
    Pi = 40.0
    assert c(m.consumption_share, industry="Goods") == pytest.approx(0.75, rel=1e-12)
    omega = {n: sum(b[k] * L_kn[k, n] / L_k[k] for k in b) for n in "AB"}
    income = {"A": 64 + Pi * omega["A"], "B": 96 + Pi * omega["B"]}
    assert income["A"] + income["B"] == pytest.approx(200.0)
    for n in "AB":
        y_re = 0.25 * income[n]
        assert c(m.gross_output, industry=RE, city=n) == pytest.approx(y_re, rel=1e-12)
        assert c(m.expenditure, industry=RE, city=n) == pytest.approx(y_re, rel=1e-12)
        lc_re = {"A": 4.0, "B": 6.0}[n]
        assert c(m.land_share, industry=RE, city=n) == pytest.approx(1 - lc_re / y_re, rel=1e-12)
        land_income = y_re - lc_re
        rent = land_income if units == "one" else {"A": 1.2, "B": 0.9}[n]
        assert c(m.rent_rate, city=n) == pytest.approx(rent, rel=1e-12)
        assert c(m.land, city=n) == pytest.approx(land_income / rent, rel=1e-12)
        assert c(m.expenditure, industry="Goods", city=n) == pytest.approx(0.75 * income[n])
    for k in b:
        assert c(m.land_income_per_worker, occupation=k) == pytest.approx(b[k] * Pi / L_k[k])

    # Trade: rho = phi_B / phi_A solves Y_A = X_A / (1 + k rho) + k X_B / (k + rho), with
    # k = (100/20)^(-theta t) = 1/25; a quadratic with one positive root.
    k = (100 / 20) ** (-4 * 0.5)
    Y_A, Y_B = 60.0, 90.0
    X_A, X_B = 0.75 * income["A"], 0.75 * income["B"]
    qa, qb, qc = Y_A * k, Y_A * (1 + k**2) - X_A - k**2 * X_B, -k * Y_B
    rho = (-qb + math.sqrt(qb**2 - 4 * qa * qc)) / (2 * qa)
    log_ratio = -math.log(rho) / 4  # log(x_B / x_A)
    # Employment-weighted geometric mean one: 50 log x_A + 40 log x_B = 0.
    x_A, x_B = math.exp(-40 / 90 * log_ratio), math.exp(50 / 90 * log_ratio)
    assert c(m.unit_cost, industry="Goods", city="A") == pytest.approx(x_A, rel=1e-10)
    assert c(m.unit_cost, industry="Goods", city="B") == pytest.approx(x_B, rel=1e-10)
    phi_A, phi_B = x_A**-4, x_B**-4
    P_goods = {
        "A": (phi_A / 400 + phi_B / 1e4) ** (-1 / 4),
        "B": (phi_A / 1e4 + phi_B / 400) ** (-1 / 4),
    }
    P_re = {"A": 1.2, "B": 0.9}
    for n in "AB":
        assert c(m.price, industry="Goods", city=n) == pytest.approx(P_goods[n], rel=1e-10)
        assert c(m.price, industry=RE, city=n) == P_re[n]

    # Productivity with epsilon = 2: lambda = w * s / W, W_goods = x, and for real estate
    # P_RE = r^beta W^(1 - beta).
    wage = {("CNR", "A"): 2.0, ("CNR", "B"): 3.0, ("nonCNR", "A"): 1.0, ("nonCNR", "B"): 1.5}
    emp = two_city["employment"]
    for n, x_n in zip("AB", (x_A, x_B), strict=True):
        lc_goods = {"A": 60.0, "B": 90.0}[n]
        lc_re = {"A": 4.0, "B": 6.0}[n]
        y_re = 0.25 * income[n]
        beta = 1 - lc_re / y_re
        rent = y_re - lc_re if units == "one" else P_re[n]
        W_re = (P_re[n] / rent**beta) ** (1 / (1 - beta))
        for occ in b:
            s_goods = wage[occ, n] * c(emp, occupation=occ, industry="Goods", city=n) / lc_goods
            s_re = wage[occ, n] * c(emp, occupation=occ, industry=RE, city=n) / lc_re
            lam = m.productivity.sel(occupation=occ, city=n)
            assert float(lam.sel(industry="Goods")) == pytest.approx(
                wage[occ, n] * s_goods / x_n, rel=1e-10
            )
            assert float(lam.sel(industry=RE)) == pytest.approx(
                wage[occ, n] * s_re / W_re, rel=1e-10
            )

    # Amenities: A ∝ L^(1/nu) / C, C = (w + chi) / P, P = (P_g/0.75)^0.75 (P_re/0.25)^0.25.
    P_n = {n: (P_goods[n] / 0.75) ** 0.75 * (P_re[n] / 0.25) ** 0.25 for n in "AB"}
    for n in "AB":
        assert c(m.price_index, city=n) == pytest.approx(P_n[n], rel=1e-10)
    welfare_sum = {}
    for occ in b:
        chi = b[occ] * Pi / L_k[occ]
        C = {n: (wage[occ, n] + chi) / P_n[n] for n in "AB"}
        raw = {n: math.sqrt(L_kn[occ, n]) / C[n] for n in "AB"}
        log_mean = sum(L_kn[occ, n] * math.log(raw[n]) for n in "AB") / L_k[occ]
        for n in "AB":
            A = raw[n] / math.exp(log_mean)
            assert c(m.amenity, occupation=occ, city=n) == pytest.approx(A, rel=1e-10)
            assert c(m.real_consumption, occupation=occ, city=n) == pytest.approx(C[n])
        welfare_sum[occ] = sum((raw[n] / math.exp(log_mean) * C[n]) ** 2 for n in "AB")
        assert c(m.welfare, occupation=occ) == pytest.approx(
            math.gamma(0.5) * math.sqrt(welfare_sum[occ]), rel=1e-10
        )


# -- equilibrium conditions of MODEL.md section 2, recomputed independently ------------------


def _arrays(m: xr.Dataset) -> dict[str, np.ndarray]:
    order = {
        "wage": ("occupation", "city"),
        "employment": ("occupation", "industry", "city"),
        "productivity": ("occupation", "industry", "city"),
        "gross_output": ("industry", "city"),
        "expenditure": ("industry", "city"),
        "unit_cost": ("industry", "city"),
        "price": ("industry", "city"),
        "value_added_share": ("industry", "city"),
        "land_share": ("industry", "city"),
        "input_share": ("input", "industry", "city"),
        "consumption_share": ("industry",),
        "consumption": ("occupation", "city"),
        "real_consumption": ("occupation", "city"),
        "amenity": ("occupation", "city"),
        "price_index": ("city",),
        "rent_rate": ("city",),
        "land": ("city",),
        "land_income_per_worker": ("occupation",),
        "welfare": ("occupation",),
        "distance": ("city", "origin"),
        "trade_cost_elasticity": ("industry",),
    }
    return {name: m[name].transpose(*dims).values for name, dims in order.items()}


def check_equilibrium_at_data(m: xr.Dataset, rtol: float = 1e-9) -> None:
    """Every condition of MODEL.md section 2 (with tau = 0) at an inverted model."""
    a = _arrays(m)
    theta, nu, eps = float(m.theta), float(m.nu), float(m.epsilon)
    tradable = m.tradable.values
    w, L, lam = a["wage"], a["employment"], a["productivity"]
    Y, X, x, P = a["gross_output"], a["expenditure"], a["unit_cost"], a["price"]
    gam, beta, io, alpha = (
        a["value_added_share"],
        a["land_share"],
        a["input_share"],
        a["consumption_share"],
    )
    J, N = Y.shape
    L_kn = L.sum(axis=1)
    # (3) unit cost from productivity, wages, rents and prices, where output is positive.
    for j in range(J):
        for n in range(N):
            if Y[j, n] <= 0:
                assert np.isposinf(x[j, n]) and np.all(lam[:, j, n] == 0)
                continue
            pos = L[:, j, n] > 0
            W = np.sum((w[pos, n] / lam[pos, j, n]) ** (1 - eps)) ** (1 / (1 - eps))
            r_term = a["rent_rate"][n] ** beta[j, n] if beta[j, n] > 0 else 1.0
            x_jn = (r_term * W ** (1 - beta[j, n])) ** gam[j, n] * np.prod(P[:, n] ** io[:, j, n])
            assert x_jn == pytest.approx(x[j, n], rel=rtol)
            # (12) labor demand: w L = s (1 - beta) gamma Y with CES shares.
            s = (w[:, n] / np.where(pos, lam[:, j, n], np.inf)) ** (1 - eps) / W ** (1 - eps)
            np.testing.assert_allclose(
                w[:, n] * L[:, j, n], s * (1 - beta[j, n]) * gam[j, n] * Y[j, n], rtol=rtol
            )
    # (4-6) prices and trade shares; (11) goods markets clear city by city.
    d, t = a["distance"], a["trade_cost_elasticity"]
    for j in np.flatnonzero(tradable):
        kappa = d ** t[j]
        with np.errstate(divide="ignore"):
            terms = (kappa * x[j][None, :]) ** (-theta)  # [destination, origin]
        P_j = terms.sum(axis=1) ** (-1 / theta)
        np.testing.assert_allclose(P_j, P[j], rtol=rtol)
        pi = terms / terms.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(pi.T @ X[j], Y[j], rtol=rtol, atol=rtol * Y[j].max())
        if "trade_share" in m:
            np.testing.assert_allclose(
                m.trade_share.transpose("industry", "city", "origin").values[j], pi, rtol=1e-9
            )
    for j in np.flatnonzero(~tradable):  # non-tradables clear locally
        np.testing.assert_allclose(Y[j], X[j], rtol=rtol)
        np.testing.assert_allclose(P[j], x[j], rtol=rtol)
    # (8) land income and portfolio returns.
    land_income = (beta * gam * Y).sum(axis=0)
    np.testing.assert_allclose(a["rent_rate"] * a["land"], land_income, rtol=rtol)
    wage_bill = (w * L_kn).sum(axis=1)
    chi = wage_bill / wage_bill.sum() * land_income.sum() / L_kn.sum(axis=1)
    np.testing.assert_allclose(a["land_income_per_worker"], chi, rtol=rtol)
    # (9-10) consumption and spending.
    e = w + chi[:, None]
    np.testing.assert_allclose(a["consumption"], e, rtol=rtol)
    spending = alpha[:, None] * (e * L_kn).sum(axis=0)[None] + np.einsum("ijn,jn->in", io, Y)
    np.testing.assert_allclose(X, spending, rtol=rtol)
    # (7) price index; (13) location choice; (14) welfare.
    P_n = np.prod((P / alpha[:, None]) ** alpha[:, None], axis=0)
    np.testing.assert_allclose(a["price_index"], P_n, rtol=rtol)
    C = e / P_n
    np.testing.assert_allclose(a["real_consumption"], C, rtol=rtol)
    AC = (a["amenity"] * C) ** nu
    np.testing.assert_allclose(
        L_kn / L_kn.sum(axis=1, keepdims=True), AC / AC.sum(axis=1, keepdims=True), rtol=rtol
    )
    v = math.gamma((nu - 1) / nu) * AC.sum(axis=1) ** (1 / nu)
    np.testing.assert_allclose(a["welfare"], v, rtol=rtol)


def test_equilibrium_conditions_hold_at_the_data(medium_model: xr.Dataset) -> None:
    check_equilibrium_at_data(medium_model.isel(year=0))


def test_equilibrium_conditions_hold_both_years(small_model: xr.Dataset) -> None:
    for year in small_model.year.values:
        check_equilibrium_at_data(small_model.sel(year=year))


def test_national_and_local_balance(medium_model: xr.Dataset) -> None:
    m = medium_model.isel(year=0)
    Y, X = m.gross_output, m.expenditure
    trad = m.tradable
    np.testing.assert_allclose(
        Y.where(trad).sum("city").dropna("industry"),
        X.where(trad).sum("city").dropna("industry"),
        rtol=1e-10,
    )
    np.testing.assert_allclose(Y.where(~trad), X.where(~trad), rtol=1e-10)


def test_consumption_shares_sum_to_one(small_model: xr.Dataset) -> None:
    total = small_model.consumption_share.sum("industry")
    np.testing.assert_allclose(total, 1.0, rtol=0, atol=1e-12)
    assert (small_model.consumption_share > 0).all()


def test_land_share_only_in_real_estate(medium_model: xr.Dataset) -> None:
    beta = medium_model.land_share
    assert ((beta.sel(industry=RE) >= 0) & (beta.sel(industry=RE) < 1)).all()
    assert (beta.drop_sel(industry=RE) == 0).all()


def test_composite_keeps_national_input_mix(medium_data, medium_model) -> None:
    comp = "Retail, Construction, and Utilities"
    given = medium_data.input_share.sel(industry=comp)
    calibrated = medium_model.input_share.sel(industry=comp)
    np.testing.assert_allclose(
        calibrated / calibrated.sum("input"),
        (given / given.sum("input")).broadcast_like(calibrated),
    )
    # Its value-added share is its wage bill over local output.
    lc = (medium_model.wage * medium_model.employment.sel(industry=comp)).sum("occupation")
    np.testing.assert_allclose(
        medium_model.value_added_share.sel(industry=comp),
        lc / medium_model.gross_output.sel(industry=comp),
        rtol=1e-12,
    )


def test_zero_cells_stay_zero(medium_data, medium_model) -> None:
    empty = medium_data.employment.sum("occupation") == 0
    assert int(empty.sum()) > 0, "the fixture should have empty city-industries"
    lam = medium_model.productivity
    assert (lam.where(empty.broadcast_like(lam), 0.0) == 0).all()
    assert np.isposinf(medium_model.unit_cost.where(empty)).sum() == int(empty.sum())
    assert (medium_model.gross_output.where(empty, 0.0) == 0).all()
    assert (medium_model.trade_share.where(empty.rename(city="origin"), 0.0) == 0).all()


# -- invariances -------------------------------------------------------------------------------


@pytest.mark.parametrize("units", ["rent_index", "one"])
def test_scaling_wages(small_data: xr.Dataset, units: str) -> None:
    """Scaling every wage by c: shares unchanged. Tradable unit costs are normalized and the
    observed prices are held, so productivity scales by c, except in real estate with land in
    fixed units (H = 1), where rents scale by c while the rent index does not and productivity
    scales by c^(1/(1-beta)). With land in rent-index units, land scales by c instead."""
    c = 1.7
    small_model = spatialocc.invert(small_data, land_units=units)
    scaled = spatialocc.invert(small_data.assign(wage=small_data.wage * c), land_units=units)
    for name in ("consumption_share", "value_added_share", "input_share", "land_share"):
        xr.testing.assert_allclose(scaled[name], small_model[name], rtol=1e-10)
    beta = small_model.land_share
    factor = c ** (1 / (1 - beta)) if units == "one" else c
    xr.testing.assert_allclose(scaled.productivity, small_model.productivity * factor, rtol=1e-9)
    xr.testing.assert_allclose(scaled.amenity, small_model.amenity, rtol=1e-9)
    rent_factor, land_factor = (c, 1.0) if units == "one" else (1.0, c)
    xr.testing.assert_allclose(scaled.rent_rate, small_model.rent_rate * rent_factor, rtol=1e-10)
    xr.testing.assert_allclose(scaled.land, small_model.land * land_factor, rtol=1e-10)
    xr.testing.assert_allclose(scaled.unit_cost, small_model.unit_cost, rtol=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_permuting_labels_permutes_outputs(small_data, small_model, seed) -> None:
    rng = np.random.default_rng(seed)
    perm_city = rng.permutation(small_data.sizes["city"])
    perm_ind = rng.permutation(small_data.sizes["industry"])
    perm_occ = rng.permutation(small_data.sizes["occupation"])
    shuffled = small_data.isel(
        city=perm_city,
        origin=perm_city,
        industry=perm_ind,
        input=perm_ind,
        occupation=perm_occ,
    )
    out = spatialocc.invert(shuffled)
    aligned = out.sel(
        city=small_model.city,
        origin=small_model.origin,
        industry=small_model.industry,
        input=small_model.input,
        occupation=small_model.occupation,
    )
    for name in small_model.data_vars:
        if name == "iterations":
            continue
        xr.testing.assert_allclose(
            aligned[name].transpose(*small_model[name].dims), small_model[name], rtol=1e-8
        )


# -- batch dimensions and dask -----------------------------------------------------------------


def test_years_are_inverted_independently(small_data, small_model) -> None:
    for year in small_data.year.values:
        alone = spatialocc.invert(small_data.sel(year=[year]))
        xr.testing.assert_allclose(alone.squeeze("year"), small_model.sel(year=year), rtol=1e-12)


def test_each_year_uses_its_own_shares(small_data, small_model) -> None:
    """The 1980 calibration uses 1980 input-output shares, 2015 its own."""
    data = small_data.copy()
    shares = small_data["input_share"]
    uniform = shares.sum("input") / shares.sizes["input"]  # same column sums, flat mix
    weight = xr.DataArray([0.5, 0.0], coords={"year": [1980, 2015]})
    data["input_share"] = (1 - weight) * shares + weight * uniform
    model = spatialocc.invert(data)
    tradable = data["tradable"].values
    for year in data.year.values:
        used = model["input_share"].sel(year=year).isel(industry=tradable)
        given = data["input_share"].sel(year=year).isel(industry=tradable)
        np.testing.assert_allclose(used, given.broadcast_like(used), rtol=1e-12)
    # the 2015 calibration is untouched, the 1980 one is a different economy
    xr.testing.assert_allclose(model.sel(year=2015), small_model.sel(year=2015), rtol=1e-12)
    assert not np.allclose(
        model["productivity"].sel(year=1980), small_model["productivity"].sel(year=1980)
    )


def test_user_batch_dimension_passes_through(small_data) -> None:
    one = small_data.sel(year=2015)
    stacked = xr.concat([one, one.assign(nu=3.0)], dim="scenario").assign_coords(
        scenario=["base", "high_nu"]
    )
    out = spatialocc.invert(stacked)
    assert out.amenity.dims == ("scenario", "occupation", "city")
    base = spatialocc.invert(one)
    xr.testing.assert_allclose(out.sel(scenario="base").drop_vars("scenario"), base, rtol=1e-12)


def test_dask_matches_numpy_and_builds_lazily(small_data, small_model) -> None:
    chunked = small_data.chunk({"year": 1})
    with raise_if_dask_computes():
        lazy = spatialocc.invert(chunked)
    assert lazy.productivity.chunks is not None
    xr.testing.assert_allclose(lazy.compute(), small_model, rtol=1e-12)


def test_chunked_core_dimension_is_refused(small_data) -> None:
    with pytest.raises(DimensionError, match=r"ds\.chunk\(\{'city': -1\}\)"):
        spatialocc.invert(small_data.chunk({"city": 5}))


# -- inconsistent inputs -----------------------------------------------------------------------


def test_missing_real_estate_label(two_city) -> None:
    with pytest.raises(MissingVariableError, match=r"no industry labeled 'Housing'.*Real Estate"):
        spatialocc.invert(two_city, real_estate="Housing")


def test_real_estate_must_be_nontradable(two_city) -> None:
    with pytest.raises(InconsistentDataError, match="must be non-tradable"):
        spatialocc.invert(two_city, real_estate="Goods")


def test_negative_land_share_names_the_city(two_city) -> None:
    heavy = two_city.copy(deep=True)
    heavy["employment"].loc[{"occupation": "CNR", "industry": RE, "city": "B"}] = 12.0
    with pytest.raises(InconsistentDataError, match=r"β\[RE,n\].*'B'"):
        spatialocc.invert(heavy)


def test_nontradable_without_workers(two_city) -> None:
    empty = two_city.copy(deep=True)
    empty["employment"].loc[{"industry": RE, "city": "A"}] = 0.0
    with pytest.raises(InconsistentDataError, match=r"'Real Estate'.*'A'"):
        spatialocc.invert(empty)


def test_tradable_consumption_share_must_be_positive(medium_data) -> None:
    """An industry whose national output is below what other industries buy from it."""
    emp = medium_data.employment.copy(deep=True)
    emp.loc[{"industry": "Metals"}] = emp.sel(industry="Metals") * 0.01
    with pytest.raises(InconsistentDataError, match="consumption shares of tradables 'Metals'"):
        spatialocc.invert(medium_data.assign(employment=emp))


def _housing_shares(data: xr.Dataset, cnr: float, non_cnr: float) -> xr.DataArray:
    alpha = data.consumption_share.expand_dims(occupation=data.occupation).copy()
    alpha.loc[{"industry": RE}] = xr.DataArray(
        [cnr, non_cnr], coords={"occupation": ["CNR", "nonCNR"]}
    )
    return alpha.transpose("occupation", "industry")


def test_equal_occupation_shares_reproduce_the_national_inversion(small_data, small_model) -> None:
    alpha = small_data.consumption_share.expand_dims(occupation=small_data.occupation)
    out = spatialocc.invert(small_data.assign(consumption_share=alpha.copy()))
    assert out.price_index.dims == ("year", "occupation", "city")
    for name in ("productivity", "amenity", "unit_cost", "gross_output", "welfare"):
        xr.testing.assert_allclose(out[name], small_model[name], rtol=1e-10)
    xr.testing.assert_allclose(
        out.price_index.sel(occupation="CNR", drop=True), small_model.price_index, rtol=1e-12
    )


@pytest.mark.parametrize(("cnr", "non_cnr"), [(0.192, 0.208), (0.185, 0.260)])
def test_occupation_specific_housing_shares(small_data, cnr, non_cnr) -> None:
    """Section 7.4: real-estate consumption shares by occupation make price indices
    occupation-specific; every equilibrium condition still holds at the data, and the
    solver recovers the data from a perturbed start."""
    data = small_data.assign(consumption_share=_housing_shares(small_data, cnr, non_cnr))
    model = spatialocc.invert(data)
    np.testing.assert_allclose(model.consumption_share.sum("industry"), 1.0, atol=1e-12)
    np.testing.assert_allclose(
        model.consumption_share.sel(industry=RE).sel(year=2015), [cnr, non_cnr]
    )
    residuals = spatialocc.check_equilibrium(model)
    assert float(residuals.to_array().max()) < 1e-9
    # CNR workers spend less on housing, so where rents are above the rest of the basket
    # their price index is lower relative to nonCNR workers'.
    relative = model.price_index.sel(occupation="CNR") / model.price_index.sel(occupation="nonCNR")
    rent = model.price.sel(industry=RE)
    assert float(xr.corr(np.log(relative), np.log(rent), dim="city").min()) < 0
    rng = np.random.default_rng(0)
    start = xr.Dataset({"wage": model.wage * np.exp(rng.uniform(-0.2, 0.2, model.wage.shape))})
    solution = spatialocc.solve_equilibrium(model, initial=start)
    assert bool(solution.converged.all())
    xr.testing.assert_allclose(solution.wage, model.wage, rtol=1e-8)
    xr.testing.assert_allclose(solution.price_index, model.price_index, rtol=1e-8)


def test_no_warnings_on_zero_cells(medium_data) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spatialocc.invert(medium_data)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_cities=st.integers(2, 30),
    n_industries=st.integers(3, 10),
    n_occupations=st.integers(1, 4),
)
def test_synthetic_economies_always_invert(seed, n_cities, n_industries, n_occupations) -> None:
    data = spatialocc.datasets.synthetic(
        n_cities=n_cities,
        n_industries=n_industries,
        n_occupations=n_occupations,
        years=(1980, 2015),
        seed=seed,
    )
    spatialocc.validate(data, kind="data")
    model = spatialocc.invert(data)
    spatialocc.validate(model, kind="model")
    assert bool(model.converged.all())
