"""Synthetic US-like economies for examples, tests and benchmarks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from spatialocc.datasets.geography import census_division, distance_matrix, sample_locations
from spatialocc.datasets.industries import (
    COMPOSITE,
    GOODS_TRADE_COST,
    LABELS,
    MANUFACTURING,
    SERVICES_TRADE_COST,
    TRADE_COST_SOURCE,
    trade_cost,
)
from spatialocc.datasets.price_levels import constant as constant_price_level
from spatialocc.dims.schema import REAL_ESTATE, annotate


@dataclass(frozen=True)
class IndustrySpec:
    """Calibration targets of one industry of a synthetic economy.

    ``cnr_share`` is the national share of cognitive non-routine workers in its employment,
    ``consumption`` its target share of final spending (2015), ``value_added`` its value-added
    share of gross output (labor compensation only outside real estate, MODEL.md section 3),
    ``trade_cost`` the distance elasticity t[j] of trade costs (NaN for non-tradables).
    """

    name: str
    tradable: bool
    cnr_share: float
    consumption: float
    value_added: float
    trade_cost: float
    manufacturing: bool = False


def _goods(name: str, cnr: float, alpha: float, gamma: float) -> IndustrySpec:
    return IndustrySpec(name, True, cnr, alpha, gamma, GOODS_TRADE_COST, manufacturing=True)


def _service(name: str, cnr: float, alpha: float, gamma: float) -> IndustrySpec:
    return IndustrySpec(name, True, cnr, alpha, gamma, SERVICES_TRADE_COST)


#: Plausible targets of the paper's 22 industries (:data:`industries.LABELS` order): national
#: CNR share, consumption share and value-added share.
_PAPER_TARGETS: dict[str, tuple[float, float, float]] = {
    "Food and Beverage": (0.17, 0.060, 0.13),
    "Textiles": (0.18, 0.015, 0.25),
    "Wood, Paper, Print": (0.18, 0.010, 0.25),
    "Oil, Chemicals, and Nonmetallic Minerals": (0.30, 0.030, 0.12),
    "Metals": (0.15, 0.005, 0.28),
    "Machinery": (0.27, 0.010, 0.27),
    "Computer and Electronic": (0.55, 0.015, 0.30),
    "Electrical Equipment": (0.28, 0.008, 0.25),
    "Motor Vehicles": (0.22, 0.030, 0.17),
    "Furniture and Fixtures": (0.15, 0.007, 0.30),
    "Misc. Manufacturing": (0.30, 0.010, 0.30),
    "Wholesale": (0.28, 0.040, 0.35),
    "Transport": (0.12, 0.025, 0.35),
    "Communication": (0.55, 0.030, 0.30),
    "Finance and Insurance": (0.60, 0.060, 0.30),
    "Professional Services": (0.55, 0.030, 0.50),
    "Education": (0.70, 0.025, 0.60),
    "Health": (0.50, 0.140, 0.50),
    "Accommodation": (0.10, 0.060, 0.35),
    "Other": (0.25, 0.030, 0.35),
    COMPOSITE: (0.18, 0.22, 0.40),
    REAL_ESTATE: (0.35, 0.20, 0.75),
}


def _paper_spec(label: str) -> IndustrySpec:
    cnr, alpha, gamma = _PAPER_TARGETS[label]
    cost = trade_cost(label)
    return IndustrySpec(label, not np.isnan(cost), cnr, alpha, gamma, cost, label in MANUFACTURING)


#: The paper's 22 industries (Figure 15 plus the two non-tradables) with plausible targets.
PAPER_INDUSTRIES: tuple[IndustrySpec, ...] = tuple(_paper_spec(label) for label in LABELS)

RE_INPUT_SHARE = 0.15  # purchases from real estate (reassigned gross operating surplus)
RE_OWN_INPUT_SHARE = 0.05
RE_LAND_SHARE_TARGET = 0.9  # national land share of real-estate value added
FULL_SIZE_CITIES = 382
LARGEST_CITY = 9.0e6
SMALLEST_CITY = 5.0e4


@dataclass(frozen=True)
class YearTargets:
    """Year-specific targets; intermediate years interpolate between 1980 and 2015."""

    growth: float  # log of total employment relative to 2015
    cnr_shift: float  # shift of the log-odds of CNR employment
    cnr_sorting: float  # loading of occupation mix on the city's cognitive index
    wage_noncnr: float  # mean nonCNR wage, constant dollars (price_level 1 in every year)
    cnr_premium: float  # CNR / nonCNR wage ratio at the mean CNR share
    premium_slope: float  # d log premium / d CNR share (Table 1: 0.506)
    share_slope: float  # d log nonCNR wage / d CNR share (Table 1: 0.993 univariate)
    rent_gradient: float  # elasticity of the rent index to city size
    manufacturing_weight: float  # relative weight of manufacturing in consumption


Y1980 = YearTargets(-0.45, -0.55, 0.12, 12_500.0, 1.55, 0.25, 0.4, 0.20, 1.8)
Y2015 = YearTargets(0.0, 0.0, 0.25, 38_000.0, 2.0, 0.5, 0.8, 0.30, 1.0)


def _targets(year: int) -> YearTargets:
    s = (year - 1980) / 35.0
    return YearTargets(
        *(a + s * (b - a) for a, b in zip(vars(Y1980).values(), vars(Y2015).values(), strict=True))
    )


def _industries(n: int, rng: np.random.Generator) -> tuple[IndustrySpec, ...]:
    if n == len(PAPER_INDUSTRIES):
        return PAPER_INDUSTRIES
    if n < 3:
        raise ValueError(
            f"n_industries must be at least 3 (one tradable plus the two non-tradables, real "
            f"estate and {COMPOSITE!r}), got {n}"
        )
    specs = []
    for i in range(n - 2):
        goods = i % 2 == 0
        maker = _goods if goods else _service
        specs.append(
            maker(
                f"Industry {i + 1:02d}",
                float(rng.uniform(0.12, 0.65)),
                float(rng.uniform(0.3, 1.0)),
                float(rng.uniform(0.2, 0.5) if goods else rng.uniform(0.3, 0.6)),
            )
        )
    scale = 0.58 / sum(s.consumption for s in specs)
    specs = [IndustrySpec(**{**vars(s), "consumption": s.consumption * scale}) for s in specs]
    return (*specs, *PAPER_INDUSTRIES[-2:])


def _input_output(specs: Sequence[IndustrySpec]) -> tuple[np.ndarray, np.ndarray]:
    """National value-added shares gamma[j] and input shares gamma[j', j] (columns j).

    Every industry buys ``RE_INPUT_SHARE`` of its output from real estate; the rest of its
    inputs come from the other industries with weights that fall with the distance between
    their CNR intensities, so CNR-intensive industries buy from CNR-intensive industries.
    """
    J = len(specs)
    gamma = np.array([s.value_added for s in specs])
    cnr = np.array([s.cnr_share for s in specs])
    re = J - 1
    affinity = 0.5 + np.exp(-np.abs(cnr[:, None] - cnr[None, :]) / 0.15) + 0.8 * np.eye(J)
    affinity[re, :] = 0.0
    weights = affinity / affinity.sum(axis=0, keepdims=True)
    re_row = np.full(J, RE_INPUT_SHARE)
    re_row[re] = RE_OWN_INPUT_SHARE
    io = weights * (1.0 - gamma - re_row)[None, :]
    io[re, :] = re_row
    return gamma, io


def _rake(m: np.ndarray, rows: np.ndarray, cols: np.ndarray, rounds: int = 30) -> np.ndarray:
    """Iterative proportional fitting of a nonnegative matrix to row and column totals."""
    for _ in range(rounds):
        m = m * (rows / np.maximum(m.sum(axis=1), 1e-300))[:, None]
        m = m * (cols / np.maximum(m.sum(axis=0), 1e-300))[None, :]
    return m


def synthetic(
    n_cities: int = FULL_SIZE_CITIES,
    n_industries: int = len(PAPER_INDUSTRIES),
    n_occupations: int = 2,
    years: Sequence[int] = (1980, 2015),
    seed: int = 0,
) -> xr.Dataset:
    """A synthetic US-like economy: observed data plus parameters, ready for ``invert``.

    What an economist would check is built in: city sizes follow Zipf's law (about 50
    thousand to 9 million workers at full size, 382 cities); cities lie inside the contiguous
    US with great-circle distances in miles (20 on the diagonal) and approximate census
    divisions; two non-tradable industries, ``"Real Estate"`` and ``"Retail, Construction,
    and Utilities"``; the CNR share of employment rises with log city size (correlation about
    0.55 in 2015; lower mean and dispersion in 1980) and the CNR wage premium rises with the CNR
    share; CNR-intensive industries buy inputs from CNR-intensive industries; small cities
    lack some manufacturing industries (zero city-industry cells); rents rise with city size;
    and the city-level instruments ``historical_population`` (1920), ``land_grant_college``
    and ``immigrant_enclave`` come with the ``division`` coordinate.

    Parameters
    ----------
    n_cities, n_industries, n_occupations
        Sizes. ``n_industries = 22`` gives the paper's industries (Figure 15); other values
        give ``Industry 01``, ... plus the two non-tradables. ``n_occupations = 2`` gives
        ``CNR`` and ``nonCNR``; other values ``occupation_1``, ... ordered from the most to the
        least cognitive.
    years
        Years of the ``year`` dimension (always present, even for one year); targets
        interpolate between 1980 and 2015.
    seed
        Seed of the random generator; the same arguments give the same Dataset.

    Returns
    -------
    xarray.Dataset
        A Dataset of kind ``"data"``: ``wage`` (constant dollars, so ``price_level`` is 1 in
        every year), ``employment``, ``price_nontradable``,
        ``distance``, ``theta`` (10), ``nu`` (2.02), ``epsilon`` (2),
        ``consumption_share`` (non-tradables only; tradables are calibrated by ``invert``),
        ``value_added_share`` and ``input_share`` (national, by year),
        ``trade_cost_elasticity`` and the instruments.

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=20, n_industries=6, seed=1)
    >>> dict(data.sizes)
    {'year': 2, 'occupation': 2, 'city': 20, 'industry': 6, 'origin': 20, 'input': 6}
    """
    if n_cities < 2:
        raise ValueError(f"n_cities must be at least 2, got {n_cities}")
    if n_occupations < 1:
        raise ValueError(f"n_occupations must be at least 1, got {n_occupations}")
    years = [int(y) for y in np.atleast_1d(years)]
    if len(set(years)) != len(years) or not years:
        raise ValueError(f"years must be distinct and non-empty, got {years}")
    rng = np.random.default_rng(seed)
    specs = _industries(n_industries, rng)
    J, N, K = len(specs), n_cities, n_occupations
    tradable = np.array([s.tradable for s in specs])
    cnr_j = np.array([s.cnr_share for s in specs])
    manufacturing = np.array([s.manufacturing for s in specs])
    skill = np.linspace(1.0, 0.0, K) if K > 1 else np.array([1.0])
    occupations = ["CNR", "nonCNR"] if K == 2 else [f"occupation_{k + 1}" for k in range(K)]

    # Cities: Zipf sizes (2015), locations, persistent traits.
    zeta = np.log(LARGEST_CITY / SMALLEST_CITY) / np.log(FULL_SIZE_CITIES)
    ranks = np.linspace(1.0, FULL_SIZE_CITIES, N)
    size = np.sort(LARGEST_CITY * ranks**-zeta * np.exp(0.1 * rng.standard_normal(N)))[::-1]
    log_size = np.log(size)
    std_size = (log_size - log_size.mean()) / log_size.std()
    cognitive = 0.6 * std_size + 0.8 * rng.standard_normal(N)
    # Keep cities at least 25 miles apart at the paper's size; closer when there are more.
    lat, lon = sample_locations(
        N, rng, min_separation=25.0 * min(1.0, np.sqrt(FULL_SIZE_CITIES / N))
    )
    pool = np.arange(10_000, 100_000, 20 if N <= 2_000 else 1)  # CBSA-style five-digit codes
    codes = np.sort(rng.choice(pool, N, replace=False)).astype(str)
    industry_noise = rng.standard_normal((J, N))
    mix_noise = rng.standard_normal((J, N))
    size_noise_1980 = rng.standard_normal(N)
    growth_noise = rng.standard_normal(N)

    # Zero cells: small cities lack some small tradable industries (same in every year).
    gamma, io = _input_output(specs)
    small = np.array([s.consumption < 0.02 for s in specs])
    p_zero = np.clip(0.4 - 0.2 * np.log(size / SMALLEST_CITY), 0.0, 0.5)
    absent = tradable[:, None] & (
        rng.uniform(size=(J, N)) < p_zero[None] * np.where(small, 1.0, 0.15)[:, None]
    )
    absent[:, : min(3, N)] = False  # the largest cities produce everything
    # Every city produces at least its most common tradable.
    absent[int(np.argmax(np.where(tradable, [s.consumption for s in specs], -1.0))), :] = False

    alpha_nt = np.array([s.consumption if not s.tradable else np.nan for s in specs])
    per_year: dict[str, list[np.ndarray]] = {
        k: [] for k in ("wage", "employment", "price", "io", "gamma")
    }
    for year in years:
        tg = _targets(year)
        # National targets: consumption shares by year, national output from Leontief.
        alpha = np.array([s.consumption for s in specs])
        alpha[tradable] *= np.where(manufacturing, tg.manufacturing_weight, 1.0)[tradable]
        alpha[tradable] *= (1 - alpha_nt[~tradable].sum()) / alpha[tradable].sum()
        output = np.linalg.solve(np.eye(J) - io, alpha)
        comp = gamma * output
        comp[-1] *= 1 - RE_LAND_SHARE_TARGET
        occ_logit = (
            np.log(cnr_j / (1 - cnr_j))[:, None]
            + tg.cnr_shift
            + tg.cnr_sorting * cognitive[None, :]
            + 0.25 * mix_noise
        )
        occ_weight = np.exp(skill[:, None, None] * occ_logit[None])
        occ_share = occ_weight / occ_weight.sum(axis=0, keepdims=True)
        mean_premium = np.log(tg.cnr_premium) * skill
        avg_wage_j = tg.wage_noncnr * (occ_share * np.exp(mean_premium)[:, None, None]).sum(
            axis=0
        ).mean(axis=1)
        emp_j = comp / avg_wage_j
        # City sizes of the year and the industry-by-city allocation.
        city_size = size * np.exp(
            tg.growth * (1 + 0.3 * growth_noise) + 0.1 * (1 - (year - 1980) / 35) * size_noise_1980
        )
        # Non-tradables follow local demand closely (a near-constant share of each city's
        # workers); tradables cluster by CNR intensity and share the rest.
        jn = np.zeros((J, N))
        nt_share = emp_j[~tradable] / emp_j.sum()
        jn[~tradable] = city_size * nt_share[:, None] * np.exp(0.08 * industry_noise[~tradable])
        rest = city_size - jn[~tradable].sum(axis=0)
        location = np.exp(
            0.5 * industry_noise[tradable]
            + (cnr_j[tradable] - cnr_j.mean())[:, None] * cognitive[None, :]
        )
        location = np.where(absent[tradable], 0.0, location * emp_j[tradable, None])
        jn[tradable] = _rake(location, emp_j[tradable] / emp_j[tradable].sum() * rest.sum(), rest)
        L = occ_share * jn[None]
        L_kn = L.sum(axis=1)
        cnr_city = L_kn[0] / L_kn.sum(axis=0)
        log_w = (
            np.log(tg.wage_noncnr)
            + skill[:, None]
            * (np.log(tg.cnr_premium) + tg.premium_slope * (cnr_city - cnr_city.mean()))[None, :]
            + tg.share_slope * (cnr_city - cnr_city.mean())[None, :]
            + 0.01 * (np.log(city_size) - np.log(city_size).mean())[None, :]
            + 0.04 * rng.standard_normal((K, N))
        )
        # Match national labor compensation by industry to the input-output targets exactly,
        # so that calibrated consumption shares stay near their targets at any size.
        bill = np.einsum("kn,kjn->j", np.exp(log_w), L)
        L = L * (comp / comp.sum() * bill.sum() / bill)[None, :, None]
        prices = np.full((J, N), np.nan)
        centered = np.log(city_size) - np.log(city_size).mean()
        prices[-1] = np.exp(tg.rent_gradient * centered + 0.1 * rng.standard_normal(N))
        prices[-2] = np.exp(0.06 * centered + 0.03 * rng.standard_normal(N))
        per_year["wage"].append(np.exp(log_w))
        per_year["employment"].append(L)
        per_year["price"].append(prices)
        per_year["io"].append(io)
        per_year["gamma"].append(gamma)

    # Instruments (city-level, time-invariant).
    east = (lon + 95.0) / 15.0
    historical = np.exp(0.8 * log_size + 0.5 * east + 0.5 * rng.standard_normal(N))
    historical *= 5.0e6 / historical.max()
    land_grant = rng.uniform(size=N) < 1 / (1 + np.exp(2.5 - 0.5 * std_size))
    land_grant[np.argmax(rng.uniform(size=N) * size)] = True
    enclave = 0.5 * cognitive + 0.4 * std_size + 0.6 * rng.standard_normal(N)
    enclave = (enclave - enclave.mean()) / enclave.std()

    names = [s.name for s in specs]
    coords = {
        "year": years,
        "occupation": occupations,
        "industry": names,
        "input": names,
        "city": codes,
        "origin": codes,
        "city_name": ("city", [f"Synthetic Metro {i + 1:03d}" for i in range(N)]),
        "lat": ("city", lat),
        "lon": ("city", lon),
        "division": ("city", census_division(lat, lon)),
        "tradable": ("industry", tradable),
    }
    t = np.array([s.trade_cost for s in specs])
    ds = xr.Dataset(
        {
            "wage": (("year", "occupation", "city"), np.stack(per_year["wage"])),
            "employment": (
                ("year", "occupation", "industry", "city"),
                np.stack(per_year["employment"]),
            ),
            "price_nontradable": (("year", "industry", "city"), np.stack(per_year["price"])),
            "price_level": constant_price_level(years),
            "distance": (("city", "origin"), distance_matrix(lat, lon)),
            "theta": 10.0,
            "nu": 2.02,
            "epsilon": 2.0,
            "consumption_share": ("industry", alpha_nt),
            "value_added_share": (("year", "industry"), np.stack(per_year["gamma"])),
            "input_share": (("year", "input", "industry"), np.stack(per_year["io"])),
            "trade_cost_elasticity": ("industry", t, {"source": TRADE_COST_SOURCE}),
            "historical_population": ("city", historical),
            "land_grant_college": ("city", land_grant),
            "immigrant_enclave": ("city", enclave),
        },
        coords=coords,
        attrs={
            "title": "spatialocc synthetic economy",
            "source": f"spatialocc.datasets.synthetic(n_cities={N}, n_industries={J}, "
            f"n_occupations={K}, years={tuple(years)}, seed={seed})",
        },
    )
    return annotate(ds)
