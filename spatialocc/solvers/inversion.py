"""The model inversion of Lemma 1 (MODEL.md section 3): a numpy kernel and its xarray wrapper."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import xarray as xr

from spatialocc.dims.currency import PRICE_LEVEL, in_dollars_of
from spatialocc.dims.errors import (
    DimensionError,
    InconsistentDataError,
    MissingVariableError,
    format_labels,
)
from spatialocc.dims.schema import (
    REAL_ESTATE,
    VARIABLES,
    annotate,
    double_precision,
    kernel_dims,
)
from spatialocc.dims.validation import check_core_chunks, check_structure, checked_values
from spatialocc.solvers.model import (
    EQUILIBRIUM_VARIABLES,
    consumer_price_index,
    land_income_per_worker,
)
from spatialocc.solvers.preferences import (  # noqa: F401 (additive_welfare's former home)
    Frechet,
    Gumbel,
    additive_amenity_arrays,
    additive_welfare,
    calibrated_nu_additive,
)
from spatialocc.solvers.trade import invert_trade, market_access, trade_kernel


class ConvergenceWarning(RuntimeWarning):
    """An iterative solver stopped before reaching its tolerance."""


class CalibrationWarning(UserWarning):
    """An input value that the calibration replaces (it is not used)."""


#: Tolerance on the identities the inversion checks rather than imposes.
IDENTITY_TOL = 1e-9

#: Variables added by :func:`invert`, in kernel output order, with their core dimensions.
OUTPUTS: dict[str, tuple[str, ...]] = {
    name: kernel_dims(name)
    for name in (
        "consumption_share",
        "value_added_share",
        "input_share",
        "land_share",
        "productivity",
        "amenity",
        "land",
        *EQUILIBRIUM_VARIABLES,
        "iterations",
        "converged",
    )
}
TRADE_SHARE_DIMS = ("industry", "city", "origin")


@dataclass(frozen=True)
class Labels:
    """Coordinate labels, so that kernel errors can name cities and industries."""

    occupation: Sequence[object]
    industry: Sequence[object]
    city: Sequence[object]

    def cities(self, mask: np.ndarray) -> str:
        return format_labels(np.asarray(self.city, dtype=object)[mask])

    def industries(self, mask: np.ndarray) -> str:
        return format_labels(np.asarray(self.industry, dtype=object)[mask])


def invert_arrays(
    w: np.ndarray,
    L: np.ndarray,
    P_obs: np.ndarray,
    d: np.ndarray,
    theta: float,
    nu: float,
    eps: float,
    t: np.ndarray,
    gamma: np.ndarray,
    gamma_io: np.ndarray,
    alpha_in: np.ndarray,
    *,
    tradable: np.ndarray,
    real_estate: int,
    labels: Labels,
    tol: float = 1e-12,
    max_iter: int = 20_000,
    trade_shares: bool = False,
    land_units: str = "rent_index",
) -> tuple[np.ndarray, ...]:
    """Invert one economy. Axes: w[k,n], L[k,j,n], P_obs[j,n], d[n,n'], t[j], gamma[j,n],
    gamma_io[j',j,n], alpha_in[j]. Returns the arrays of ``OUTPUTS`` in order (plus the trade
    shares pi[j,n,n'] when asked)."""
    theta, nu, eps = float(theta), float(nu), float(eps)
    J, N = L.shape[1:]
    T = np.asarray(tradable, dtype=bool)
    NT = ~T
    RE = real_estate
    if T[RE]:
        raise InconsistentDataError(
            f"industry {labels.industry[RE]!r} is the real-estate industry and must be "
            f"non-tradable (its tradable flag is True)."
        )
    if not T.any():
        raise InconsistentDataError(
            f"the model needs at least one tradable industry, but every industry "
            f"({labels.industries(NT)}) is marked non-tradable: with only local goods, all "
            f"spending stays in its city and national land income is not determined "
            f"(MODEL.md section 3, step 3; the tradables' consumption shares close the "
            f"national market). Mark the traded industries (manufacturing, for instance): "
            f"ds.assign_coords(tradable=('industry', [True, ..., False])), with their "
            f"price_nontradable NaN and a trade_cost_elasticity."
        )
    composite = NT.copy()
    composite[RE] = False

    # Step 1: employment aggregates and labor compensation.
    L_kn = L.sum(axis=1)
    L_k = L_kn.sum(axis=1)
    LC = np.einsum("kn,kjn->jn", w, L)
    wage_bill_k = (w * L_kn).sum(axis=1)
    b = wage_bill_k / wage_bill_k.sum()
    if np.any(L_k <= 0):
        raise InconsistentDataError(
            f"occupations {format_labels(np.asarray(labels.occupation)[L_k <= 0])} have no "
            f"employment anywhere; drop them from the Dataset."
        )
    if np.any(L_kn.sum(axis=0) <= 0):
        raise InconsistentDataError(
            f"cities {labels.cities(L_kn.sum(axis=0) <= 0)} have no employment; drop them."
        )
    missing_nt = NT[:, None] & (LC <= 0)
    if missing_nt.any():
        j, n = np.nonzero(missing_nt)
        raise InconsistentDataError(
            f"non-tradable industries must employ workers in every city, but "
            f"{labels.industries(np.isin(np.arange(J), j))} have no employment in "
            f"{labels.cities(np.isin(np.arange(N), n))}. Non-tradables serve local demand, "
            f"which is positive everywhere; impute small employment or merge the cities."
        )
    dead = T & (LC.sum(axis=1) <= 0)
    if dead.any():
        raise InconsistentDataError(
            f"tradable industries {labels.industries(dead)} have no employment in any city; "
            f"drop them from the Dataset."
        )

    # Step 2: tradables' gross output.
    Y = np.zeros((J, N))
    Y[T] = LC[T] / gamma[T]

    # Step 3: non-tradables' output, jointly with land income Pi (affine in Pi).
    input_total = gamma_io.sum(axis=0)  # (J, N): 1 - value added share in the input data
    if np.any(input_total[composite] <= 0):
        raise InconsistentDataError(
            f"non-tradables {labels.industries(composite & (input_total <= 0).any(axis=1))} "
            f"buy no inputs, so their value-added share cannot adjust to local demand "
            f"(MODEL.md section 3, step 3); give them national input shares."
        )
    nt = np.flatnonzero(NT)
    # Input coefficients per unit of the non-tradables' output (composites per unit of their
    # intermediate use, Y - LC, so that their input composition stays the national one).
    M = np.zeros((N, nt.size, nt.size))
    offset = np.zeros((nt.size, N))
    for b_, j in enumerate(nt):
        if j == RE:
            M[:, :, b_] = gamma_io[nt, j, :].T
        else:
            coef = gamma_io[nt, j, :] / input_total[j]
            M[:, :, b_] = coef.T
            offset -= coef * LC[j]
    tradable_inputs = np.einsum("ijn,jn->in", gamma_io[np.ix_(nt, T)], Y[T])
    # Consumption shares by occupation (rows identical when they are national).
    by_occupation = np.ndim(alpha_in) == 2
    A_in = np.asarray(alpha_in, dtype=float) if by_occupation else np.tile(alpha_in, (len(w), 1))
    base = tradable_inputs + offset + np.einsum("ki,kn->in", A_in[:, nt], w * L_kn)
    slope = np.einsum("ki,kn->in", A_in[:, nt], (b / L_k)[:, None] * L_kn)
    lhs = np.eye(nt.size)[None] - M
    Y0 = np.linalg.solve(lhs, base.T[..., None])[..., 0].T
    Y1 = np.linalg.solve(lhs, slope.T[..., None])[..., 0].T
    re_row = int(np.flatnonzero(nt == RE)[0])
    g_re = gamma[RE]
    denominator = 1.0 - (g_re * Y1[re_row]).sum()
    Pi = ((g_re * Y0[re_row]).sum() - LC[RE].sum()) / denominator
    if not (denominator > 0 and Pi > 0):
        raise InconsistentDataError(
            "real-estate value added does not exceed its wage bill nationally, so land income "
            "would be negative: raise the real-estate consumption share or its value-added "
            "share, or check real-estate employment and wages."
        )
    Y[nt] = Y0 + Pi * Y1

    beta = np.zeros((J, N))
    beta[RE] = 1.0 - LC[RE] / (g_re * Y[RE])
    gamma_out = gamma.copy()
    gamma_io_out = gamma_io.copy()
    gamma_out[composite] = LC[composite] / Y[composite]
    gamma_io_out[:, composite] = (
        gamma_io[:, composite] / input_total[composite] * (1.0 - gamma_out[composite])
    )
    bad_beta = (beta[RE] < -IDENTITY_TOL) | (beta[RE] >= 1)
    if bad_beta.any():
        raise InconsistentDataError(
            f"the real-estate land share β[RE,n] = 1 - wage bill / value added falls outside "
            f"[0, 1) in cities {labels.cities(bad_beta)} (values "
            f"{format_labels(np.round(beta[RE][bad_beta], 4))}): real-estate wages there exceed "
            f"local real-estate value added. Check real-estate employment and wages there."
        )
    beta[RE] = np.clip(beta[RE], 0.0, None)
    bad_gamma = composite[:, None] & ((gamma_out <= 0) | (gamma_out > 1 + IDENTITY_TOL))
    if bad_gamma.any():
        raise InconsistentDataError(
            f"the value-added share of non-tradables "
            f"{labels.industries(bad_gamma.any(axis=1))} falls outside (0, 1] in cities "
            f"{labels.cities(bad_gamma.any(axis=0))}: their wage bill exceeds local demand. "
            f"Check their employment and wages there, or their consumption share."
        )
    rent_income = g_re * Y[RE] * beta[RE]
    if land_units == "rent_index":
        # Land in units whose rent is the observed rent index: H = land income / P[RE,n].
        has_land = rent_income > 0
        land = np.where(has_land, rent_income / np.where(has_land, P_obs[RE], 1.0), 1.0)
    else:
        land = np.ones(N)
    rent = rent_income / land

    # Incomes and tradable consumption shares (national demand = national supply).
    chi = land_income_per_worker(w, L_kn, Pi, L_k)
    e = w + chi[:, None]
    input_demand = np.einsum("ijn,jn->in", gamma_io_out, Y)
    # Tradables: alpha[k,j] = (1 - sum of k's non-tradable shares) * a[j], with the common
    # composition a[j] set so that national final demand equals national supply [choice for
    # occupation-specific shares; with national shares this is alpha[j] = final demand / income].
    spending_k = (e * L_kn).sum(axis=1)
    tradable_budget = 1.0 - A_in[:, NT].sum(axis=1)
    final_demand = Y[T].sum(axis=1) - input_demand[T].sum(axis=1)
    composition = final_demand / (tradable_budget * spending_k).sum()
    A_out = A_in.copy()
    A_out[:, T] = tradable_budget[:, None] * composition[None, :]
    bad_alpha = T.copy()
    bad_alpha[T] = (A_out[:, T] <= 0).any(axis=0) | (A_out[:, T] >= 1).any(axis=0)
    if bad_alpha.any():
        shown = A_out[:, bad_alpha].min(axis=0)
        raise InconsistentDataError(
            f"the calibrated consumption shares of tradables {labels.industries(bad_alpha)} "
            f"fall outside (0, 1) ({format_labels(np.round(shown, 5))}): national "
            f"output is smaller than national intermediate demand. Check the input-output "
            f"shares against the industries' employment."
        )
    walras = float(np.max(np.abs(A_out.sum(axis=1) - 1.0)))
    if walras > 1e-8:
        raise InconsistentDataError(
            f"consumption shares sum to {A_out.sum(axis=1)}, not one (Walras' law fails): "
            f"the value-added and input shares do not add up to one."
        )
    _warn_discarded_shares(A_in, A_out, T, labels)
    alpha = A_out if by_occupation else A_out[0]
    X = np.einsum("kj,kn->jn", A_out, e * L_kn) + input_demand

    # Step 4: tradable unit costs (Eaton-Kortum inversion) and prices.
    K = trade_kernel(d, theta, t[T])
    result = invert_trade(K, X[T], Y[T], tol=tol, max_iter=max_iter)
    if not result.converged:
        warnings.warn(
            f"the trade inversion stopped after {result.iterations} iterations with a "
            f"relative sales error of {result.max_error:.3g} (tolerance {tol:g}); raise "
            f"max_iter or loosen tol",
            ConvergenceWarning,
            stacklevel=3,
        )
    phi = result.phi
    support = Y[T] > 0
    weights = np.where(support, L.sum(axis=0)[T], 0.0)
    with np.errstate(divide="ignore"):
        log_x = np.where(support, -np.log(np.where(support, phi, 1.0)) / theta, np.inf)
    shift = (np.where(support, log_x, 0.0) * weights).sum(axis=1) / weights.sum(axis=1)
    log_x = log_x - shift[:, None]
    phi = np.where(support, np.exp(-theta * np.where(support, log_x, 0.0)), 0.0)
    x = np.empty((J, N))
    P = np.empty((J, N))
    x[T] = np.exp(log_x)
    Phi = market_access(K, phi)
    P[T] = Phi ** (-1.0 / theta)
    # Step 5: non-tradable prices are data.
    P[NT] = P_obs[NT]
    x[NT] = P_obs[NT]

    # Step 6: productivity.
    producing = np.isfinite(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_r_term = np.where(beta > 0, gamma_out * beta * np.log(rent)[None, :], 0.0)
        log_inputs = np.einsum("ijn,in->jn", gamma_io_out, np.log(P))
        log_W = (np.log(np.where(producing, x, 1.0)) - log_r_term - log_inputs) / (
            (1.0 - beta) * gamma_out
        )
        share = np.where(LC > 0, w[:, None, :] * L / np.where(LC > 0, LC, 1.0), 0.0)
        positive = L > 0
        log_lam = (
            np.log(w)[:, None, :]
            - log_W[None]
            - np.log(np.where(positive, share, 1.0)) / (1.0 - eps)
        )
    lam = np.where(positive & producing[None], np.exp(np.where(positive, log_lam, 0.0)), 0.0)

    # Step 7: amenities and welfare.
    price_index_k = consumer_price_index(A_out, P)  # P[k,n]
    price_index = price_index_k if by_occupation else price_index_k[0]
    C = e / price_index_k
    A, v = Frechet(nu=nu).invert_amenities(L_kn, C)

    outputs = (
        alpha,
        gamma_out,
        gamma_io_out,
        beta,
        lam,
        A,
        land,
        rent,
        x,
        P,
        price_index,
        Y,
        X,
        chi,
        e,
        C,
        v,
        np.asarray(result.iterations),
        np.asarray(result.converged),
    )
    if trade_shares:
        pi = np.zeros((J, N, N))
        pi[NT] = np.eye(N)[None]
        pi[T] = K.dense() * phi[:, None, :] / Phi[:, :, None]
        outputs = (*outputs, pi)
    return outputs


def _warn_discarded_shares(
    given: np.ndarray, calibrated: np.ndarray, tradable: np.ndarray, labels: Labels
) -> None:
    """Warn when consumption shares given for tradables (not NaN) are replaced by the
    calibrated ones. Axes: [k, j], identical rows for national shares."""
    replaced = tradable & np.isfinite(given).any(axis=0)
    if not replaced.any():
        return
    rows = given.shape[0] if np.ptp(given[:, replaced], axis=0).any() else 1

    def values(a: np.ndarray) -> str:
        return "; ".join(format_labels(np.round(row, 4).tolist()) for row in a[:rows, replaced])

    warnings.warn(
        f"'consumption_share' (α[j]) is given for the tradable industries "
        f"{labels.industries(replaced)} ({values(given)}), but invert calibrates the shares of "
        f"tradables so that national demand equals national supply (MODEL.md section 3, step "
        f"3): the given values are discarded and the calibrated ones used "
        f"({values(calibrated)}). Set them to NaN to calibrate without this warning: "
        f"data['consumption_share'].where(~data['tradable'])",
        CalibrationWarning,
        stacklevel=3,
    )


# -- additive (Gumbel) amenities, section 7.3 ------------------------------------------------


def additive_inversion(
    model: xr.Dataset, *, nu_additive: float | xr.DataArray | None = None
) -> xr.Dataset:
    """Amenities of the additive (Gumbel) preferences of section 7.3 that rationalize the
    model's own allocation.

    From the residents L[k,n] (``employment`` summed over industries) and real consumption
    ``C[k,n] = consumption / price_index`` of ``model``, sets ``amenity_additive``
    ``A[k,n] = log(L[k,n]) / ν_add[k] - C[k,n]`` plus a constant per occupation that makes its
    employment-weighted mean over cities 0 **[choice]** (0 where nobody lives), ``nu_additive``
    ν_add[k], ``additive_amenities = True`` and the additive ``welfare``. The multiplicative
    ``amenity`` is kept: it defines where each occupation can live.

    ``nu_additive`` None uses the model's own ``nu_additive`` when it has one, and otherwise
    calibrates ``ν_add[k] = ν / C̄[k]`` (C̄[k] the employment-weighted mean real consumption of
    occupation k), which gives the logit the Fréchet model's average elasticity of L[k,n] with
    respect to C[k,n] for every occupation **[choice]**: a per-dollar ν equal to the paper's
    2.02 would make the choice degenerate. A number or a DataArray (on ``occupation`` and/or
    batch dimensions) is used as given.
    """
    residents = model["employment"].sum("industry")
    real = model["consumption"] / model["price_index"]
    if nu_additive is None:
        given = model["nu_additive"] if "nu_additive" in model else xr.DataArray(np.nan)
    else:
        given = (
            nu_additive
            if isinstance(nu_additive, xr.DataArray)
            else xr.DataArray(float(nu_additive))
        )
        if given.chunks is None and not bool((np.isfinite(given) & (given > 0)).all()):
            raise ValueError(
                f"nu_additive must be finite and positive (per dollar of real consumption), "
                f"got {given.values}"
            )
    given = given.broadcast_like(model["occupation"])

    def kernel(L: np.ndarray, C: np.ndarray, nu: np.ndarray, nu_add: np.ndarray):
        nu_add = np.asarray(nu_add, dtype=float)
        if not np.all(np.isfinite(nu_add)):
            nu_add = calibrated_nu_additive(float(nu), L, C)
        A, v = Gumbel(nu_additive=nu_add).invert_amenities(L, C)
        return A, v, nu_add

    A, v, nu_add = xr.apply_ufunc(
        kernel,
        residents,
        real,
        model["nu"],
        given,
        input_core_dims=[["occupation", "city"], ["occupation", "city"], [], ["occupation"]],
        output_core_dims=[["occupation", "city"], ["occupation"], ["occupation"]],
        vectorize=True,
        dask="parallelized",
        output_dtypes=[float, float, float],
        keep_attrs="drop",
    )
    out = model.assign(
        amenity_additive=A.transpose(..., "occupation", "city"),
        nu_additive=nu_add.transpose(..., "occupation"),
        welfare=v.transpose(..., "occupation"),
        additive_amenities=xr.DataArray(True),
    )
    for name in ("amenity_additive", "nu_additive", "welfare", "additive_amenities"):
        out[name].attrs = {}
    return annotate(out)


INPUTS: tuple[str, ...] = (
    "wage",
    "employment",
    "price_nontradable",
    "distance",
    "theta",
    "nu",
    "epsilon",
    "trade_cost_elasticity",
    "value_added_share",
    "input_share",
    "consumption_share",
)


LandUnits = Literal["rent_index", "one"]
AmenityForm = Literal["multiplicative", "additive"]
AMENITY_FORMS: tuple[str, ...] = ("multiplicative", "additive")


def invert(
    data: xr.Dataset,
    *,
    real_estate: str = REAL_ESTATE,
    land_units: LandUnits = "rent_index",
    amenities: AmenityForm = "multiplicative",
    nu_additive: float | xr.DataArray | None = None,
    trade_shares: bool = False,
    tol: float = 1e-12,
    max_iter: int = 20_000,
    dollars_of: int | None = None,
) -> xr.Dataset:
    """Invert the model at the data (Lemma 1, MODEL.md section 3).

    Given wages w[k,n] (``wage``), employment L[k,j,n] (``employment``), non-tradable prices
    (``price_nontradable``), distances d[n,n'] (``distance``) and the parameters θ, ν, ε, t[j],
    national value-added shares γ[j], input shares γ[j',j] and the consumption shares α[j] of
    the non-tradables, return a model Dataset: the data, the calibrated shares and every
    equilibrium variable of section 2 at the data allocation.

    Calibrated shares: ``consumption_share`` α[j] of tradables (national demand equals national
    supply; ``sum_j α[j] = 1`` is checked, not imposed); values given for tradables are
    replaced, with a :class:`CalibrationWarning` (give them as NaN). With shares by occupation,
    ``consumption_share`` on (occupation, industry) as in section 7.4 (e.g. real estate 19.2% for
    CNR and 20.8% for the others), each occupation's tradable shares are its remaining budget
    times a common composition set by national clearing **[choice]**, and ``price_index``
    becomes P[k,n]; ``land_share`` β[RE,n] of real estate
    (local real-estate output equals local spending), and a city-specific
    ``value_added_share`` γ[j,n] of every other non-tradable (its ``input_share`` scaled so that
    its input composition stays the national one) **[choice]**.

    Normalizations **[choices]**: land ``H[n]`` is measured in units whose rent equals the
    observed real-estate price index, ``r[n] = P[RE,n]`` and ``H[n] = land income[n] / P[RE,n]``
    (``land_units="rent_index"``, default), or ``H[n] = 1`` (``land_units="one"``, MODEL.md's
    choice; then ``r[n]`` is land income in dollars and, with land shares near one,
    real-estate productivity λ[k,RE,n] ∝ r^(-β/(1-β)) over- or underflows: a land share of
    0.99 raises r to the power 99). The unit of land changes no allocation, only the level of
    real-estate productivity; tradable unit costs ``x[j,n]`` have an
    employment-weighted geometric mean of 1 across producing cities in each industry;
    amenities ``A[k,n]`` have an employment-weighted geometric mean of 1 for each occupation.
    ``productivity`` λ[k,j,n] and ``amenity`` are 0 where nobody works; ``unit_cost`` is +inf
    for tradable city-industries that do not produce.

    Currency (MODEL.md section 5): prices are normalized within each year, so the dollars
    of the wages set the level of productivity, land, consumption and welfare. When the data
    carry a ``price_level`` P̄[t] on a ``year`` dimension (the bundled US data: the CPI-U),
    every year's nominal data (each variable in dollars, :mod:`spatialocc.dims.currency`) are
    first converted to the dollars of one year, ``dollars_of`` (default: the latest), by the
    ratio P̄[dollars_of] / P̄[t]; the model's ``price_level`` is then P̄[dollars_of] in every
    year and its attribute ``dollars_of`` names the year. The years of the model are then
    comparable in real terms (what :func:`spatialocc.decompose` needs), and the latest year's
    model is the one inverted from its own nominal data. Without ``price_level`` each year
    stays in its own dollars.

    Additive amenities (section 7.3, ``amenities="additive"``): utility ``a[n] + A[k,n] +
    C[k,n]`` with Gumbel draws a[n] of scale 1/ν_add, so that
    ``L[k,n]/L[k] = exp(ν_add (A + C)) / sum_n' exp(ν_add (A + C))``. The model then also
    carries ``amenity_additive`` ``A[k,n] = log(L[k,n]) / ν_add - C[k,n]`` + a constant per
    occupation, normalized so that its employment-weighted mean over cities is 0
    **[choice]** (in units of real consumption; 0 where nobody lives), ``nu_additive``
    ν_add and ``additive_amenities = True``, which the solvers read to use the logit
    equations; ``welfare`` is ``v[k] = (log sum_n exp(ν_add (A + C)) + γ_E) / ν_add``
    (γ_E Euler's constant, so that v is the expected utility; it is in units of real
    consumption and its level depends on the normalization of A, its changes do not).
    ``amenity`` keeps the multiplicative inversion (it marks where each occupation lives).
    ν in the logit multiplies dollars, so the paper's ν = 2.02 cannot be used as it is:
    by default ``ν_add[k] = ν / C̄[k]``, C̄[k] the employment-weighted mean real consumption
    of occupation k (in each batch element), which gives the logit elasticity of L[k,n] with
    respect to log C[k,n], ``ν_add[k] C[k,n] (1 - L[k,n]/L[k])``, the Fréchet elasticity
    ``ν (1 - L[k,n]/L[k])`` on average for every occupation **[choice]**. One national scale
    ``ν / C̄`` (pass it as ``nu_additive``) would make the better-paid occupation more mobile
    than in the benchmark (its elasticity ν C/C̄ exceeds ν), which with the paper's
    externalities also makes the optimal allocation unstable under the solver's iteration.

    Parameters
    ----------
    data
        A Dataset of kind ``"data"`` (see :func:`spatialocc.validate`). Any dimension other
        than the core ones (``year``, ``scenario``, ...) is a batch dimension: each slice is
        inverted independently, in parallel when the Dataset is dask-chunked along it.
    real_estate
        Label of the land-using non-tradable industry.
    land_units
        ``"rent_index"`` or ``"one"``; see the normalizations above.
    amenities
        ``"multiplicative"`` (Fréchet, default) or ``"additive"`` (Gumbel, section 7.3).
    nu_additive
        ν_add[k] per unit of real consumption, a number or a DataArray on ``occupation``
        and/or batch dimensions; ``None`` calibrates ``ν / C̄[k]``. Only with
        ``amenities="additive"``.
    trade_shares
        Also return ``trade_share`` π[j,n,n'] (N²J values per batch element).
    tol, max_iter
        Tolerance (largest relative sales error) and iteration limit of the trade inversion.
        Not converging gives ``converged = False`` and a :class:`ConvergenceWarning`.
    dollars_of
        The year whose dollars every year's nominal data are converted to (needs
        ``price_level`` and a ``year`` dimension); ``None``: the latest year when the data
        have both, no conversion otherwise.

    Returns
    -------
    xarray.Dataset
        The input variables (with calibrated shares replacing the inputs) plus
        ``productivity``, ``amenity``, ``land``, ``land_share``, ``rent_rate``, ``unit_cost``,
        ``price``, ``price_index``, ``gross_output``, ``expenditure``,
        ``land_income_per_worker``, ``consumption``, ``real_consumption``, ``welfare``,
        ``iterations`` and ``converged``; with additive amenities also ``amenity_additive``,
        ``nu_additive`` and ``additive_amenities``.

    Raises
    ------
    SchemaError
        Input that does not follow the schema (see :func:`spatialocc.validate`); for
        dask-backed data the values are checked when the result is computed, with the same
        errors.
    DimensionError
        Fewer than two cities.
    InconsistentDataError
        Input the model cannot rationalize: no tradable industry, β outside [0, 1), γ outside
        (0, 1], α outside (0, 1), land income not positive, missing non-tradable employment;
        the message names the cities and industries at fault.

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=10, n_industries=5, years=(2015,))
    >>> model = spatialocc.invert(data)
    >>> round(float(model["consumption_share"].sum("industry").squeeze()), 12)
    1.0
    >>> additive = spatialocc.invert(data, amenities="additive")
    >>> bool(additive["additive_amenities"])
    True
    """
    if amenities not in AMENITY_FORMS:
        raise ValueError(f"amenities must be one of {AMENITY_FORMS}, got {amenities!r}")
    if nu_additive is not None and amenities != "additive":
        raise ValueError(
            "nu_additive is the scale of the additive (Gumbel) preferences; pass it together "
            "with amenities='additive'"
        )
    check_structure(data, "data")
    if data.sizes["city"] < 2:
        raise DimensionError(
            f"invert needs at least two cities, but the data have one "
            f"({format_labels(data.indexes['city'])}): the model describes where workers live "
            f"and what cities trade, and amenities and unit costs are measured relative to "
            f"other cities; a lone city would have to consume exactly its own net output of "
            f"every tradable. Keep two or more cities: data.sel(city=labels, origin=labels)."
        )
    data = checked_values(double_precision(data), "data")
    if dollars_of is not None or (PRICE_LEVEL in data and "year" in data.dims):
        data = in_dollars_of(data, dollars_of)
    industries = data.indexes["industry"]
    if real_estate not in industries:
        raise MissingVariableError(
            f"no industry labeled {real_estate!r}; industries present: "
            f"{format_labels(industries.tolist())}. Pass real_estate=<label>."
        )
    re_index = industries.get_loc(real_estate)
    # The tradable flags travel into the kernel as an array, so that a dask-backed coordinate
    # is never computed while the graph is built.
    tradable = data["tradable"].reset_coords(drop=True).astype(bool)
    check_core_chunks({name: data[name] for name in INPUTS}, needed_by="the inversion")
    inputs = [data[name] for name in INPUTS]
    # Shares may be national (no city axis): broadcast them to the kernel's full layout.
    inputs[8] = inputs[8].broadcast_like(data["distance"].isel(origin=0, drop=True))
    inputs[9] = inputs[9].broadcast_like(data["distance"].isel(origin=0, drop=True))
    core_in = [
        [d for d in VARIABLES[name].dims if d in da.dims]
        for name, da in zip(INPUTS, inputs, strict=True)
    ]
    outputs = dict(OUTPUTS)
    if "occupation" in data["consumption_share"].dims:  # section 7.4
        outputs["consumption_share"] = ("occupation", "industry")
        outputs["price_index"] = ("occupation", "city")
    if trade_shares:
        outputs["trade_share"] = TRADE_SHARE_DIMS
    labels = Labels(
        occupation=data.indexes["occupation"].tolist(),
        industry=industries.tolist(),
        city=data.indexes["city"].tolist(),
    )

    if land_units not in ("rent_index", "one"):
        raise ValueError(f"land_units must be 'rent_index' or 'one', got {land_units!r}")

    def kernel(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
        *model_arrays, tradable_flags = arrays
        return invert_arrays(
            *model_arrays,
            land_units=land_units,
            tradable=tradable_flags,
            real_estate=re_index,
            labels=labels,
            tol=tol,
            max_iter=max_iter,
            trade_shares=trade_shares,
        )

    results = xr.apply_ufunc(
        kernel,
        *inputs,
        tradable,
        input_core_dims=[*core_in, ["industry"]],
        output_core_dims=list(outputs.values()),
        vectorize=True,
        dask="parallelized",
        output_dtypes=[
            bool if n == "converged" else int if n == "iterations" else float for n in outputs
        ],
        keep_attrs="drop",
    )
    model = data.copy()
    for name, array in zip(outputs, results, strict=True):
        model[name] = array.transpose(..., *outputs[name])
    model = annotate(model)
    model.attrs = {
        **data.attrs,
        "inversion": "spatialocc.invert (MODEL.md section 3)",
        "inversion_tolerance": tol,
        "real_estate": real_estate,
    }
    if amenities == "additive":
        model = additive_inversion(model, nu_additive=nu_additive)
    return model
