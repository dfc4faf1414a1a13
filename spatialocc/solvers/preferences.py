"""Location preferences: how workers choose a city and what they expect from the choice.

Two forms, each a small immutable object with the same methods (MODEL.md section 2, items 13
and 14, and the alternative preferences of section 7.3):

- :class:`Frechet`, the paper's benchmark: multiplicative amenities A[k,n] and Fréchet tastes of
  shape ν, ``L[k,n]/L[k] = (A C)^ν / sum_n' (A C)^ν`` and
  ``v[k] = Γ((ν-1)/ν) (sum_n (A C)^ν)^(1/ν)``;
- :class:`Gumbel`: additive amenities A[k,n] (in units of real consumption) and Gumbel tastes of
  scale 1/ν_add[k] per unit of real consumption,
  ``L[k,n]/L[k] = exp(ν_add (A + C)) / sum_n' exp(ν_add (A + C))`` and
  ``v[k] = (log sum_n exp(ν_add (A + C)) + γ_E) / ν_add`` (γ_E Euler's constant).

Notation: ``C`` is real consumption C[k,n] and ``lives`` marks the cities where each occupation
lives (the cells the choice runs over), both in kernel axis order (occupation, city). The methods:

- location choice: ``log_choice_weights`` (the log numerator of the choice, -inf where k does
  not live), ``welfare``, ``choice_and_welfare`` (employment shares and welfare, as the residual
  check evaluates them) and ``location_elasticity`` (the slope that sets the solver's step);
- inversion: ``invert_amenities`` (the amenities that rationalize residents and real
  consumption, and the welfare they imply);
- the planner (MODEL.md section 4): ``labor_tax`` t_L, ``consumption_rule`` (Proposition 1 or
  rule (11) before the lump sums), ``comparable_welfare`` (the units in which the planner
  equalizes gains), ``lump_sum_per_welfare``, ``implied_pareto_weights`` and ``welfare_gain``.

The planner's methods are arithmetic only, so they take labeled DataArrays as well as arrays
(the optimal-policy checks combine the two forms per batch element with one ``xr.where``).
:func:`preferences_from_arrays` is the one place that maps a model's amenity form to its object.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from scipy.special import gamma as gamma_function

from spatialocc.dims.errors import InconsistentDataError, format_labels

if TYPE_CHECKING:
    import xarray as xr

# -- the formulas on plain arrays --------------------------------------------------------------


def log_sum_exp(a: np.ndarray, *, keepdims: bool = False) -> np.ndarray:
    """``log sum_n exp(a[k,n])`` over the last axis, overflow-free; -inf for a row of -inf.
    (The same as scipy.special's, without its array-API dispatch, which costs more than the
    sum itself at the solvers' sizes, once per evaluation of the equations.)"""
    top = np.max(a, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.exp(a - top).sum(axis=-1, keepdims=True)) + top
    return out if keepdims else out[..., 0]


def location_shares(log_pull: np.ndarray, lives: np.ndarray) -> np.ndarray:
    """Shares ``exp(log_pull) / sum exp(log_pull)`` over cities, computed without overflow."""
    top = np.max(np.where(lives, log_pull, -np.inf), axis=1, keepdims=True)
    pull = np.where(lives, np.exp(np.where(lives, log_pull - top, 0.0)), 0.0)
    return pull / pull.sum(axis=1, keepdims=True)


def welfare_index(nu: float, log_pull: np.ndarray, lives: np.ndarray) -> np.ndarray:
    """v[k] = Γ((ν-1)/ν) (sum_n (A C)^ν)^(1/ν) from log pull = ν log(A C), overflow-free."""
    return math.gamma((nu - 1) / nu) * np.exp(log_sum_exp(np.where(lives, log_pull, -np.inf)) / nu)


def additive_welfare(nu_add: np.ndarray, utility: np.ndarray, lives: np.ndarray) -> np.ndarray:
    """v[k] = (log sum_n exp(ν_add[k] U[k,n]) + γ_E) / ν_add[k] with U = A + C: the expected
    maximum of U + a over cities when the a[n] are Gumbel with scale 1/ν_add[k] and location 0
    (γ_E is Euler's constant), over the cities where k lives; overflow-free."""
    nu_add = np.broadcast_to(np.asarray(nu_add, dtype=float), utility.shape[:1])
    pull = np.where(lives, nu_add[:, None] * np.where(lives, utility, 0.0), -np.inf)
    return (log_sum_exp(pull) + np.euler_gamma) / nu_add


def calibrated_nu_additive(
    nu: float, residents: np.ndarray, real_consumption: np.ndarray
) -> np.ndarray:
    """ν_add[k] = ν / C̄[k], with C̄[k] the employment-weighted mean real consumption of
    occupation k over cities: the logit elasticity of L[k,n] with respect to log C[k,n],
    ν_add[k] C[k,n] (1 - L[k,n]/L[k]), then averages (over k's workers) the Fréchet
    elasticity ν (1 - L[k,n]/L[k]) for every occupation **[choice]**. Axes: L[k,n], C[k,n]."""
    lives = residents > 0
    mean = (np.where(lives, real_consumption, 0.0) * residents).sum(axis=1) / residents.sum(axis=1)
    if not np.all(mean > 0):
        raise InconsistentDataError(
            f"the employment-weighted mean real consumption by occupation is "
            f"{format_labels(np.round(mean, 6))}, not positive everywhere, so ν_add = ν / C̄ is "
            f"undefined; pass nu_additive explicitly."
        )
    return float(nu) / mean


def additive_amenity_arrays(
    residents: np.ndarray, real_consumption: np.ndarray, nu_add: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Amenities A[k,n] = log(L[k,n]) / ν_add[k] - C[k,n] (MODEL.md section 3, step 7, additive
    variant), shifted so that their employment-weighted mean over cities is 0 for each
    occupation, and 0 where nobody lives; and the welfare v[k] they imply. Axes: L[k,n],
    C[k,n], ν_add[k]."""
    lives = residents > 0
    nu_add = np.broadcast_to(np.asarray(nu_add, dtype=float), residents.shape[:1])
    with np.errstate(divide="ignore"):
        log_L = np.log(np.where(lives, residents, 1.0))
    A = np.where(lives, log_L / nu_add[:, None] - real_consumption, 0.0)
    A = A - (A * residents).sum(axis=1, keepdims=True) / residents.sum(axis=1, keepdims=True)
    A = np.where(lives, A, 0.0)
    return A, additive_welfare(nu_add, A + real_consumption, lives)


def implied_pareto_weights(consumption: np.ndarray, residents: np.ndarray) -> np.ndarray:
    """φ[k] ∝ L[k]^2 / sum_n (L[k,n] / e[k,n]), normalized to sum to one: the weights of a
    planner maximizing sum_k φ[k] log v[k] for which the lump sums are optimal."""
    L_k = residents.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = np.where(residents > 0, residents / consumption, 0.0).sum(axis=1)
    phi = L_k**2 / inverse
    return phi / phi.sum()


def implied_pareto_weights_additive(price_index: np.ndarray, residents: np.ndarray) -> np.ndarray:
    """Additive amenities: φ[k] ∝ sum_n L[k,n] P[k,n] / L[k], normalized to sum to one, the
    weights of a utilitarian planner maximizing sum_k φ[k] L[k] v[k] (the paper's (9) with U
    linear) for which the lump sums are optimal. From the first-order condition for R[k] at
    rule (11), relocation included: φ[k] L[k] sum_n s[k,n]/P[k,n] = μ L[k] P̄[k] sum_n
    s[k,n]/P[k,n], with P̄[k] the employment-weighted mean price index of k."""
    price_index = np.broadcast_to(price_index, residents.shape)
    mean_price = (residents * price_index).sum(axis=1) / residents.sum(axis=1)
    return mean_price / mean_price.sum()


def _by_occupation(values: Any) -> Any:
    """A per-occupation parameter against [k, n] arrays: a column; a number or a labeled
    DataArray (which broadcasts by name) as it is."""
    if hasattr(values, "dims") or np.ndim(values) == 0:
        return values
    return np.reshape(values, (-1, 1))


# -- the two forms -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Frechet:
    """Multiplicative amenities with Fréchet tastes (the paper's benchmark, section 2).

    ``nu`` is the shape ν; ``amenity`` is A[k,n] (0 where nobody can live; not needed by the
    planner's methods nor by :meth:`invert_amenities`, which finds it).

    Examples
    --------
    >>> import numpy as np
    >>> prefs = Frechet(nu=2.0, amenity=np.array([[1.0, 1.0]]))
    >>> lives = np.array([[True, True]])
    >>> prefs.choice_and_welfare(np.array([[1.0, 3.0]]), lives)[0].round(2)
    array([[0.1, 0.9]])
    >>> round(prefs.labor_tax, 4)
    0.3333
    """

    nu: float | xr.DataArray
    amenity: np.ndarray | None = None

    #: The ``amenities=`` name of the form (:func:`spatialocc.invert`).
    form: ClassVar[str] = "multiplicative"
    #: A planner with given Pareto weights (criterion sum φ log v) is well defined.
    accepts_pareto_weights: ClassVar[bool] = True

    def log_choice_weights(self, real_consumption: np.ndarray, lives: np.ndarray) -> np.ndarray:
        """ν log(A C) where k lives, -inf elsewhere."""
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ac = np.log(np.where(lives, self.amenity * real_consumption, 1.0))
        return np.where(lives, self.nu * log_ac, -np.inf)

    def welfare(self, real_consumption: np.ndarray, lives: np.ndarray) -> np.ndarray:
        """v[k] = Γ((ν-1)/ν) (sum_n (A C)^ν)^(1/ν) (section 2, item 14)."""
        return welfare_index(self.nu, self.log_choice_weights(real_consumption, lives), lives)

    def choice_and_welfare(
        self, real_consumption: np.ndarray, lives: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Employment shares L[k,n]/L[k] of the location choice (item 13) and welfare v[k]."""
        log_pull = self.log_choice_weights(real_consumption, lives)
        return location_shares(log_pull, lives), welfare_index(self.nu, log_pull, lives)

    def location_elasticity(self, real_consumption: np.ndarray, lives: np.ndarray) -> float:
        """The elasticity of residents with respect to log consumption: ν."""
        return self.nu

    def invert_amenities(
        self, residents: np.ndarray, real_consumption: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """A[k,n] ∝ L[k,n]^(1/ν) / C[k,n] (MODEL.md section 3, step 7), normalized to an
        employment-weighted geometric mean of 1 over cities for each occupation **[choice]**
        and 0 where nobody lives, and the welfare v[k] at those amenities.

        The welfare is evaluated as the inversion always has (scipy's Γ, the sum shifted by
        the largest pull by hand), which can differ from :meth:`welfare` in the last bit:
        kept so that inverted models stay bit-identical."""
        nu = self.nu
        L_k = residents.sum(axis=1)
        lives = residents > 0
        C = real_consumption
        with np.errstate(divide="ignore"):
            log_A = np.where(lives, np.log(np.where(lives, residents, 1.0)) / nu - np.log(C), 0.0)
        log_A -= (log_A * residents).sum(axis=1, keepdims=True) / L_k[:, None]
        A = np.where(lives, np.exp(log_A), 0.0)
        log_pull = replace(self, amenity=A).log_choice_weights(C, lives)
        top = np.max(np.where(lives, log_pull, -np.inf), axis=1)
        pull = np.where(lives, np.exp(np.where(lives, log_pull - top[:, None], 0.0)), 0.0)
        v = gamma_function((nu - 1.0) / nu) * np.exp((np.log(pull.sum(axis=1)) + top) / nu)
        return A, v

    # -- the planner (Proposition 1) --

    @property
    def labor_tax(self) -> Any:
        """t_L = 1/(1+ν)."""
        return 1.0 / (1.0 + self.nu)

    def consumption_rule(
        self, wage: Any, wedge: Any, land_income: Any, price_index: Any, strength: float = 1.0
    ) -> Any:
        """e[k,n] - R[k] = (1 - t_L)(w + Δ) + χ under Proposition 1; ``strength`` s in [0, 1]
        scales the tax and the wedge, ``(1 - s t_L)(w + s Δ) + χ`` (0: decentralized).
        ``land_income`` is χ as a column (or labeled); the price index is not used."""
        return (1.0 - strength * self.labor_tax) * (wage + strength * wedge) + land_income

    def comparable_welfare(self, welfare: Any) -> Any:
        """log v: the planner equalizes proportional gains."""
        return np.log(welfare)

    def lump_sum_per_welfare(
        self, consumption: np.ndarray, price_index: np.ndarray, residents: np.ndarray
    ) -> np.ndarray:
        """Dollars of lump sum per unit of log v, to first order: mean consumption ē[k]."""
        return (consumption * residents).sum(axis=1) / residents.sum(axis=1)

    def implied_pareto_weights(
        self, consumption: np.ndarray, price_index: np.ndarray, residents: np.ndarray
    ) -> np.ndarray:
        """See :func:`implied_pareto_weights` (criterion sum φ log v)."""
        return implied_pareto_weights(consumption, residents)

    @staticmethod
    def welfare_gain(
        reference_welfare: Any, welfare: Any, reference_consumption: Any = None
    ) -> Any:
        """v / v_ref (``reference_consumption`` is not needed)."""
        return welfare / reference_welfare


@dataclass(frozen=True, eq=False)
class Gumbel:
    """Additive amenities with Gumbel tastes (section 7.3).

    ``nu_additive`` is ν_add[k], per unit of real consumption (one per occupation);
    ``amenity_additive`` is A[k,n] in units of real consumption (not needed by the planner's
    methods nor by :meth:`invert_amenities`); ``nu`` is the Fréchet ν of the model, which
    bounds the solver's location step only if real consumption is zero everywhere.

    Examples
    --------
    >>> import numpy as np
    >>> prefs = Gumbel(nu_additive=np.array([1.0]), amenity_additive=np.array([[0.0, 0.0]]))
    >>> lives = np.array([[True, True]])
    >>> shares, v = prefs.choice_and_welfare(np.array([[0.0, np.log(9.0)]]), lives)
    >>> shares.round(2)
    array([[0.1, 0.9]])
    >>> prefs.labor_tax
    0.0
    """

    nu_additive: np.ndarray | xr.DataArray
    amenity_additive: np.ndarray | None = None
    nu: float = math.nan

    #: The ``amenities=`` name of the form (:func:`spatialocc.invert`).
    form: ClassVar[str] = "additive"
    #: With utility linear in consumption, a planner with given weights picks a corner.
    accepts_pareto_weights: ClassVar[bool] = False
    #: Rule (11) has no labor tax.
    labor_tax: ClassVar[float] = 0.0

    def log_choice_weights(self, real_consumption: np.ndarray, lives: np.ndarray) -> np.ndarray:
        """ν_add (A + C) where k lives, -inf elsewhere."""
        utility = np.where(lives, self.amenity_additive + real_consumption, 0.0)
        return np.where(lives, self.nu_additive[:, None] * utility, -np.inf)

    def welfare(self, real_consumption: np.ndarray, lives: np.ndarray) -> np.ndarray:
        """v[k] = (log sum_n exp(ν_add (A + C)) + γ_E) / ν_add (see :func:`additive_welfare`)."""
        return additive_welfare(self.nu_additive, self.amenity_additive + real_consumption, lives)

    def choice_and_welfare(
        self, real_consumption: np.ndarray, lives: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Employment shares and welfare, with the sums shifted by each occupation's best
        utility (an evaluation in another order than :meth:`welfare`'s log-sum-exp; they can
        differ in the last bit, and the residual check has always used this one)."""
        nu_a = self.nu_additive[:, None]
        C = real_consumption
        utility = np.where(lives, self.amenity_additive + np.where(lives, C, 0.0), 0.0)
        top = np.max(np.where(lives, utility, -np.inf), axis=1, keepdims=True)
        pull = np.where(lives, np.exp(nu_a * np.where(lives, utility - top, 0.0)), 0.0)
        shares = pull / pull.sum(axis=1, keepdims=True)
        v = top[:, 0] + (np.log(pull.sum(axis=1)) + np.euler_gamma) / nu_a[:, 0]
        return shares, v

    def location_elasticity(self, real_consumption: np.ndarray, lives: np.ndarray) -> float:
        """The largest elasticity of residents with respect to log consumption, ν_add[k]
        C[k,n] over the cities where k lives (ν if that is 0)."""
        C = np.abs(np.where(lives, real_consumption, 0.0))
        return float((self.nu_additive[:, None] * C).max()) or self.nu

    def invert_amenities(
        self, residents: np.ndarray, real_consumption: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """See :func:`additive_amenity_arrays`."""
        return additive_amenity_arrays(residents, real_consumption, self.nu_additive)

    # -- the planner (rule (11)) --

    def consumption_rule(
        self, wage: Any, wedge: Any, land_income: Any, price_index: Any, strength: float = 1.0
    ) -> Any:
        """e[k,n] - R[k] = w + Δ - P[n]/ν_add[k] + χ under rule (11); ``strength`` s in [0, 1]
        scales the wedge and the price term, ``w + s (Δ - P/ν_add) + χ``."""
        column = _by_occupation(self.nu_additive)
        return wage + strength * (wedge - price_index / column) + land_income

    def comparable_welfare(self, welfare: Any) -> Any:
        """v itself: the planner equalizes absolute gains."""
        return welfare

    def lump_sum_per_welfare(
        self, consumption: np.ndarray, price_index: np.ndarray, residents: np.ndarray
    ) -> np.ndarray:
        """Dollars of lump sum per unit of v: 1 / (dv[k]/dR[k]) = L[k] / sum_n L[k,n]/P[k,n]."""
        return residents.sum(axis=1) / (residents / price_index).sum(axis=1)

    def implied_pareto_weights(
        self, consumption: np.ndarray, price_index: np.ndarray, residents: np.ndarray
    ) -> np.ndarray:
        """See :func:`implied_pareto_weights_additive` (criterion sum φ L v)."""
        return implied_pareto_weights_additive(price_index, residents)

    @staticmethod
    def welfare_gain(
        reference_welfare: Any, welfare: Any, reference_consumption: Any = None
    ) -> Any:
        """1 + (v - v_ref) / C̄_ref, with C̄_ref the reference's employment-weighted mean real
        consumption (welfare is in units of real consumption and defined up to a constant
        per occupation) **[choice]**."""
        return 1.0 + (welfare - reference_welfare) / reference_consumption


#: Either form of location preferences.
Preferences = Frechet | Gumbel


def preferences_from_arrays(arrays: Mapping[str, Any]) -> Preferences:
    """The preferences of one economy from its kernel arrays: :class:`Gumbel` when
    ``additive_amenities`` is true (with ``amenity_additive`` and a positive ``nu_additive``),
    :class:`Frechet` otherwise (with ``amenity``); ``nu`` in both."""
    nu = float(arrays["nu"])
    if not bool(arrays.get("additive_amenities", False)):
        return Frechet(nu=nu, amenity=arrays["amenity"])
    K = np.shape(arrays["amenity"])[0]
    nu_additive = np.broadcast_to(
        np.asarray(arrays.get("nu_additive", math.nan), dtype=float), (K,)
    )
    amenity_additive = arrays.get("amenity_additive")
    if not (np.all(nu_additive > 0) and amenity_additive is not None):
        raise ValueError("additive amenities need amenity_additive and a positive nu_additive")
    return Gumbel(nu_additive=nu_additive, amenity_additive=amenity_additive, nu=nu)
