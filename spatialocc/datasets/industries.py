"""The paper's 22 industries, in one place: labels, tradability, default trade costs and the
crosswalks to NAICS, BEA and ACS codes (``INDUSTRIES.md`` documents them).

The synthetic economies take their labels, tradability and trade costs from here, and the US
build its crosswalks; a dataset with other industries needs none of this (the solvers read
the industries from the data).

Examples
--------
>>> from spatialocc.datasets import industries
>>> len(industries.LABELS), industries.LABELS[-1]
(22, 'Real Estate')
>>> industries.trade_cost("Machinery"), industries.trade_cost("Health")
(0.12, 0.06)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from spatialocc.dims.schema import REAL_ESTATE

COMPOSITE = "Retail, Construction, and Utilities"
GOODS_TRADE_COST = 0.12  # theta * t = 1.2, the distance elasticity of goods trade [choice]
SERVICES_TRADE_COST = 0.06  # theta * t = 0.6 for tradable services [choice]
TRADE_COST_SOURCE = (
    "spatialocc default [choice]: distance elasticity of trade flows theta*t of about 1.2 for "
    "goods and 0.6 for tradable services (INDUSTRIES.md); replace with estimates"
)


@dataclass(frozen=True)
class Crosswalk:
    """How one of the paper's 22 industries maps onto NAICS, BEA and ACS codes.

    ``naics`` are NAICS 2017 prefixes as County Business Patterns reports them (a prefix absent
    from the file is replaced by its children one digit longer, e.g. ``44`` by ``441``-``454``);
    ``bea`` are BEA summary industry and commodity codes; ``acs`` are industry labels of ACS
    table B24050 (lowest level of its hierarchy).
    """

    label: str
    naics: tuple[str, ...]
    bea: tuple[str, ...]
    acs: tuple[str, ...]


_MANUFACTURING = ("Manufacturing",)
CROSSWALK: tuple[Crosswalk, ...] = (
    Crosswalk("Food and Beverage", ("311", "312"), ("311FT",), _MANUFACTURING),
    Crosswalk("Textiles", ("313", "314", "315", "316"), ("313TT", "315AL"), _MANUFACTURING),
    Crosswalk("Wood, Paper, Print", ("321", "322", "323"), ("321", "322", "323"), _MANUFACTURING),
    Crosswalk(
        "Oil, Chemicals, and Nonmetallic Minerals",
        ("324", "325", "326", "327"),
        ("324", "325", "326", "327"),
        _MANUFACTURING,
    ),
    Crosswalk("Metals", ("331", "332"), ("331", "332"), _MANUFACTURING),
    Crosswalk("Machinery", ("333",), ("333",), _MANUFACTURING),
    Crosswalk("Computer and Electronic", ("334",), ("334",), _MANUFACTURING),
    Crosswalk("Electrical Equipment", ("335",), ("335",), _MANUFACTURING),
    Crosswalk("Motor Vehicles", ("336",), ("3361MV", "3364OT"), _MANUFACTURING),
    Crosswalk("Furniture and Fixtures", ("337",), ("337",), _MANUFACTURING),
    Crosswalk("Misc. Manufacturing", ("339",), ("339",), _MANUFACTURING),
    Crosswalk("Wholesale", ("42",), ("42",), ("Wholesale trade",)),
    Crosswalk(
        "Transport",
        ("48", "49"),
        ("481", "482", "483", "484", "485", "486", "487OS", "493"),
        ("Transportation and warehousing",),
    ),
    Crosswalk("Communication", ("51",), ("511", "512", "513", "514"), ("Information",)),
    Crosswalk(
        "Finance and Insurance",
        ("52",),
        ("521CI", "523", "524", "525"),
        ("Finance and insurance",),
    ),
    Crosswalk(
        "Professional Services",
        ("54", "55", "56"),
        ("5411", "5415", "5412OP", "55", "561", "562"),
        (
            "Professional, scientific, and technical services",
            "Management of companies and enterprises",
            "Administrative and support and waste management services",
        ),
    ),
    Crosswalk("Education", ("61",), ("61",), ("Educational services",)),
    Crosswalk(
        "Health", ("62",), ("621", "622", "623", "624"), ("Health care and social assistance",)
    ),
    Crosswalk("Accommodation", ("72",), ("721", "722"), ("Accommodation and food services",)),
    Crosswalk(
        "Other",
        ("11", "21", "532", "533", "71", "81"),
        ("111CA", "113FF", "211", "212", "213", "532RL", "711AS", "713", "81"),
        (
            "Agriculture, forestry, fishing and hunting",
            "Mining, quarrying, and oil and gas extraction",
            "Arts, entertainment, and recreation",
            "Other services, except public administration",
        ),
    ),
    Crosswalk(
        COMPOSITE,
        ("22", "23", "44", "45"),
        ("22", "23", "441", "445", "452", "4A0"),
        ("Construction", "Retail trade", "Utilities"),
    ),
    Crosswalk(REAL_ESTATE, ("531",), ("HS", "ORE"), ("Real estate and rental and leasing",)),
)
#: The 22 labels, in the paper's order (Figure 15, then the two non-tradables).
LABELS: tuple[str, ...] = tuple(c.label for c in CROSSWALK)
#: The non-tradable industries: the retail-construction-utilities composite and real estate.
NON_TRADABLE: tuple[str, ...] = (COMPOSITE, REAL_ESTATE)
#: The manufacturing industries (goods), the rest of the tradables being services.
MANUFACTURING: tuple[str, ...] = tuple(c.label for c in CROSSWALK if c.acs == _MANUFACTURING)


def tradable(label: str) -> bool:
    """Whether the industry ``label`` (one of :data:`LABELS`) is traded between cities."""
    _check(label)
    return label not in NON_TRADABLE


def trade_cost(label: str) -> float:
    """The default distance elasticity t[j] of trade costs of ``label`` **[choice]**: goods
    :data:`GOODS_TRADE_COST`, tradable services :data:`SERVICES_TRADE_COST`, NaN for the
    non-tradables (:data:`TRADE_COST_SOURCE`)."""
    if not tradable(label):
        return math.nan
    return GOODS_TRADE_COST if label in MANUFACTURING else SERVICES_TRADE_COST


def _check(label: str) -> None:
    if label not in LABELS:
        raise ValueError(f"{label!r} is not one of the paper's 22 industries {list(LABELS)}")
