"""The equations of MODEL.md section 2 on plain arrays (axes: occupation, industry, city).

One economy is an :class:`Economy` (fundamentals, parameters and its location preferences,
:mod:`spatialocc.solvers.preferences`); an allocation and what it implies is a :class:`State`.
Notation as in the paper: w[k,n] wages, L[k,n] residents, λ[k,j,n] productivity, W[j,n] the
labor cost index, x[j,n] unit costs, P[j,n] prices, P[k,n] the consumer price index, r[n]
rents, χ[k] land income per worker, e[k,n] nominal consumption, X[j,n] spending, Y[j,n] gross
output. Trade enters through :mod:`spatialocc.solvers.trade` (market access and sales, never an
N x N matrix per industry beyond the kernel K).

Each function is one equation; :func:`evaluate` applies them all to an allocation (the
"right-hand sides" that the fixed point of :mod:`spatialocc.solvers.equilibrium` iterates on).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spatialocc.solvers.policies import PolicyInput, PolicyRule
from spatialocc.solvers.preferences import Preferences
from spatialocc.solvers.trade import TradeKernel, market_access, sales, trade_kernel

#: The endogenous variables of section 2 that both the inversion (at the data) and a solve
#: return, in the order of their kernels' outputs.
EQUILIBRIUM_VARIABLES: tuple[str, ...] = (
    "rent_rate",
    "unit_cost",
    "price",
    "price_index",
    "gross_output",
    "expenditure",
    "land_income_per_worker",
    "consumption",
    "real_consumption",
    "welfare",
)


@dataclass
class Economy:
    """Fundamentals and parameters of one economy in kernel axis order.

    lam_hat[k,j,n], tau_share[k], tau_size[k], amenity[k,n], land[n], distance[n,n'],
    trade_cost[j], alpha[j], gamma[j,n], gamma_io[j',j,n], beta[j,n], national[k] (national
    employment by occupation), income (total nominal income of the numeraire), tradable[j],
    and the location ``preferences`` (:class:`~spatialocc.solvers.preferences.Frechet` or
    :class:`~spatialocc.solvers.preferences.Gumbel`). ``amenity`` (the multiplicative A[k,n])
    marks where each occupation lives (``lives``) under either form.
    """

    lam_hat: np.ndarray
    tau_share: np.ndarray
    tau_size: np.ndarray
    amenity: np.ndarray
    land: np.ndarray
    distance: np.ndarray
    trade_cost: np.ndarray
    alpha: np.ndarray
    gamma: np.ndarray
    gamma_io: np.ndarray
    beta: np.ndarray
    national: np.ndarray
    income: float
    theta: float
    eps: float
    tradable: np.ndarray
    preferences: Preferences
    K_trade: TradeKernel = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.tradable = np.asarray(self.tradable, dtype=bool)
        # consumption shares by occupation, A[k,j] (identical rows when they are national)
        self.alpha = np.asarray(self.alpha, dtype=float)
        self.by_occupation = self.alpha.ndim == 2
        K = self.lam_hat.shape[0]
        self.alpha_k = self.alpha if self.by_occupation else np.tile(self.alpha, (K, 1))
        self.K_trade = trade_kernel(self.distance, self.theta, self.trade_cost[self.tradable])
        self.lives = self.amenity > 0

    def log_pull(self, real_consumption: np.ndarray) -> np.ndarray:
        """The log numerator of the location choice where k lives, -inf elsewhere."""
        return self.preferences.log_choice_weights(real_consumption, self.lives)

    def welfare(self, real_consumption: np.ndarray) -> np.ndarray:
        """Expected utility v[k] (section 2, item 14, or its additive variant)."""
        return self.preferences.welfare(real_consumption, self.lives)

    def location_elasticity(self, real_consumption: np.ndarray) -> float:
        """The largest elasticity of the location choice with respect to log consumption."""
        return self.preferences.location_elasticity(real_consumption, self.lives)

    # The former fields, now parts of ``preferences``.
    @property
    def nu(self) -> float:
        return self.preferences.nu

    @property
    def additive(self) -> bool:
        return self.preferences.form == "additive"

    @property
    def nu_additive(self) -> np.ndarray | float:
        return getattr(self.preferences, "nu_additive", np.nan)


@dataclass
class State:
    """An allocation and the prices and quantities it implies (kernel axis order)."""

    wage: np.ndarray  # w[k,n]
    residents: np.ndarray  # L[k,n]
    productivity: np.ndarray  # lam[k,j,n]
    labor_share: np.ndarray  # s[k,j,n]
    unit_cost: np.ndarray  # x[j,n]
    price: np.ndarray  # P[j,n]
    market_access: np.ndarray  # Phi[j,n] for tradables
    phi: np.ndarray  # x**-theta for tradables
    rent: np.ndarray  # r[n]
    land_income_per_worker: np.ndarray  # chi[k]
    consumption: np.ndarray  # e[k,n]
    price_index: np.ndarray  # P[k,n] (identical rows unless shares are by occupation)
    expenditure: np.ndarray  # X[j,n]
    gross_output: np.ndarray  # Y[j,n]
    #: The policy's unknowns solved jointly with the allocation (a
    #: :class:`~spatialocc.solvers.equilibrium.StatefulPolicy`'s lump sums), else None.
    unknowns: np.ndarray | None = None


def consumer_price_index(alpha_k: np.ndarray, price: np.ndarray) -> np.ndarray:
    """P[k,n] = prod_j (P[j,n] / α[k,j])^α[k,j] (equation 7, by occupation as in section 7.4)."""
    return np.exp(
        np.einsum("kj,kjn->kn", alpha_k, np.log(price)[None] - np.log(alpha_k)[:, :, None])
    )


def externalities(eco: Economy, residents: np.ndarray) -> np.ndarray:
    """λ[k,j,n] = λ̂[k,j,n] (L[k,n]/L[n])^τR[k] L[n]^τL[k] (equation 6)."""
    total = residents.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(residents > 0, residents / total, 1.0)
        factor = share ** eco.tau_share[:, None] * total[None, :] ** eco.tau_size[:, None]
    return np.where(eco.lam_hat > 0, eco.lam_hat * factor[:, None, :], 0.0)


def labor_cost(eco: Economy, wage: np.ndarray, lam: np.ndarray):
    """CES labor cost index W[j,n] (as log, -inf... handled by `producing`) and shares s."""
    with np.errstate(divide="ignore"):
        ratio = np.where(
            lam > 0, (wage[:, None, :] / np.where(lam > 0, lam, 1.0)) ** (1 - eco.eps), 0.0
        )
    total = ratio.sum(axis=0)
    producing = total > 0
    safe = np.where(producing, total, 1.0)
    log_W = np.log(safe) / (1 - eco.eps)
    share = ratio / safe
    return log_W, share, producing


def log_unit_cost(
    eco: Economy, log_rent: np.ndarray, log_W: np.ndarray, log_price: np.ndarray
) -> np.ndarray:
    """log x[j,n] = γ (β log r + (1-β) log W) + sum_j' γ[j',j,n] log P[j',n] (equation 5);
    ``log_rent`` is only used where β > 0."""
    beta, gamma = eco.beta, eco.gamma
    return (
        gamma * np.where(beta > 0, beta * log_rent[None, :], 0.0)
        + gamma * (1 - beta) * log_W
        + np.einsum("ijn,in->jn", eco.gamma_io, log_price)
    )


def tradable_prices(K: TradeKernel, theta: float, log_x: np.ndarray, producing: np.ndarray):
    """P[j,n] = (sum_n' K[j,n,n'] x[j,n']^-θ)^(-1/θ) for tradables (item 5), with
    phi = x^-θ (0 where nothing is produced) and the market access Phi[j,n] it gives."""
    # phi = x**-theta up to one scale per industry (cancels in trade shares), to avoid overflow
    log_phi = np.where(producing, -theta * np.where(producing, log_x, 0.0), -np.inf)
    shift = np.max(log_phi, axis=1, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    phi = np.where(producing, np.exp(np.where(producing, log_phi - shift, 0.0)), 0.0)
    Phi = market_access(K, phi)
    return np.exp(-(np.log(Phi) + shift) / theta), phi, Phi


def prices(eco: Economy, log_x: np.ndarray, producing: np.ndarray):
    """Final-good prices from unit costs: CES over origins for tradables, P = x otherwise."""
    T = eco.tradable
    P = np.exp(np.where(producing, log_x, 0.0))
    P[T], phi, Phi = tradable_prices(eco.K_trade, eco.theta, log_x[T], producing[T])
    return P, phi, Phi


def land_income(eco: Economy, output: np.ndarray) -> np.ndarray:
    """r[n] H[n] = sum_j β[j,n] γ[j,n] Y[j,n] (item 8)."""
    return (eco.beta * eco.gamma * output).sum(axis=0)


def labor_compensation(eco: Economy, output: np.ndarray) -> np.ndarray:
    """(1 - β[j,n]) γ[j,n] Y[j,n]: the value added paid to labor (item 12)."""
    return (1 - eco.beta) * eco.gamma * output


def land_income_per_worker(
    wage: np.ndarray, residents: np.ndarray, total_land_income: float, national: np.ndarray
) -> np.ndarray:
    """χ[k] = b[k] Π / L[k] with b[k] k's share of the wage bill (item 8)."""
    wage_bill = (wage * residents).sum(axis=1)
    return wage_bill / wage_bill.sum() * total_land_income / national


def portfolio_return(
    eco: Economy, wage: np.ndarray, residents: np.ndarray, rent: np.ndarray
) -> np.ndarray:
    """χ[k] given rents: Π = sum_n r[n] H[n]."""
    return land_income_per_worker(wage, residents, float((rent * eco.land).sum()), eco.national)


def closed_rule(
    rule: PolicyRule,
    eco: Economy,
    wage: np.ndarray,
    residents: np.ndarray,
    chi: np.ndarray,
    price_index: np.ndarray,
    productivity: np.ndarray,
) -> np.ndarray:
    """The policy's consumption with the budget closed by a flat tax on income (item 9)."""
    e_rule = rule(
        PolicyInput(wage, residents, chi, price_index, productivity, eco.tau_share, eco.tau_size)
    )
    base = (wage + chi[:, None]) * residents
    flat = ((e_rule - wage - chi[:, None]) * residents).sum() / base.sum()
    return e_rule - flat * (wage + chi[:, None])


def expenditure(
    eco: Economy, consumption: np.ndarray, residents: np.ndarray, output: np.ndarray
) -> np.ndarray:
    """X[j,n] = sum_k α[k,j] e[k,n] L[k,n] + sum_j' γ[j,j',n] Y[j',n] (item 10)."""
    return np.einsum("kj,kn->jn", eco.alpha_k, consumption * residents) + np.einsum(
        "ijn,jn->in", eco.gamma_io, output
    )


def goods_demand(
    eco: Economy, expenditure: np.ndarray, phi: np.ndarray, access: np.ndarray
) -> np.ndarray:
    """Sales of each city, sum_n' π[j,n',n] X[j,n'] (item 11): through trade for tradables,
    local spending for the others."""
    Y = expenditure.copy()
    T = eco.tradable
    Y[T] = sales(eco.K_trade, phi, expenditure[T], access=access)
    return Y


def evaluate(
    eco: Economy,
    wage: np.ndarray,
    residents: np.ndarray,
    rent: np.ndarray,
    price: np.ndarray,
    output: np.ndarray,
    policy: PolicyRule,
) -> State:
    """Every equation of section 2 given (w, L[k,n], r, P, Y): the 'right-hand sides'."""
    lam = externalities(eco, residents)
    log_W, share, producing = labor_cost(eco, wage, lam)
    log_r = np.log(np.where(rent > 0, rent, 1.0))  # only used where beta > 0
    log_x = log_unit_cost(eco, log_r, log_W, np.log(price))
    P_new, phi, Phi = prices(eco, log_x, producing)
    x = np.where(producing, np.exp(np.where(producing, log_x, 0.0)), np.inf)
    land_per_worker = portfolio_return(eco, wage, residents, rent)
    P_k = consumer_price_index(eco.alpha_k, P_new)
    e = closed_rule(policy, eco, wage, residents, land_per_worker, P_k, lam)
    # Spending given current output, then sales.
    X = expenditure(eco, e, residents, output)
    return State(
        wage=wage,
        residents=residents,
        productivity=lam,
        labor_share=share,
        unit_cost=x,
        price=P_new,
        market_access=Phi,
        phi=phi,
        rent=rent,
        land_income_per_worker=land_per_worker,
        consumption=e,
        price_index=P_k,
        expenditure=X,
        gross_output=goods_demand(eco, X, phi, Phi),
    )
