"""What the paper reports, in one place: the source of every default taken from it.

Rossi-Hansberg, Sarte and Schwartzman, *Cognitive Hubs and Spatial Redistribution*. The
values are typed from the paper's main text (``Table 2``); nothing in the solvers depends on
this module, only the defaults of the pipeline, the examples and the benchmarks.

Examples
--------
>>> from spatialocc import paper
>>> paper.TAU["tau_share"]["CNR"]
1.304
>>> paper.TABLE2["2sls"]["tau_share"]["nonCNR"]
(0.263, 0.51)
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

#: The two occupations of the paper: cognitive non-routine (CNR) and the rest.
OCCUPATIONS: Final[tuple[str, str]] = ("CNR", "nonCNR")

#: Table 2 ("Instrumental Variables Estimate"): by estimator, coefficient and occupation, the
#: estimate and its standard error (two-way clustered by city and industry), 7,460
#: observations. ``tau_share`` is the coefficient of ln(L[k,n]/L[n]), ``tau_size`` that of
#: ln L[n].
TABLE2: Final = MappingProxyType(
    {
        "ols": {
            "tau_share": {"CNR": (0.889, 0.12), "nonCNR": (0.702, 0.22)},
            "tau_size": {"CNR": (0.386, 0.05), "nonCNR": (0.322, 0.04)},
        },
        "2sls": {
            "tau_share": {"CNR": (1.177, 0.38), "nonCNR": (0.263, 0.51)},
            "tau_size": {"CNR": (0.334, 0.06), "nonCNR": (0.284, 0.05)},
        },
        "cue": {
            "tau_share": {"CNR": (1.304, 0.38), "nonCNR": (0.835, 0.51)},
            "tau_size": {"CNR": (0.349, 0.06), "nonCNR": (0.357, 0.04)},
        },
    }
)

#: Table 2's first-stage statistics of the IV columns (the same for 2SLS and CUE): the
#: Kleibergen-Paap F and the Sanderson-Windmeijer F of each endogenous regressor.
TABLE2_FIRST_STAGE: Final = MappingProxyType(
    {
        "kp_f": {"CNR": 3.912, "nonCNR": 5.425},
        "sw_f_tau_share": {"CNR": 5.975, "nonCNR": 8.369},
        "sw_f_tau_size": {"CNR": 5.997, "nonCNR": 8.587},
    }
)


def tau(estimator: str = "cue") -> dict[str, dict[str, float]]:
    """The paper's point estimates of one Table 2 column, as ``with_externalities`` takes them.

    Examples
    --------
    >>> from spatialocc import paper
    >>> paper.tau("ols")["tau_size"]
    {'CNR': 0.386, 'nonCNR': 0.322}
    """
    if estimator not in TABLE2:
        raise ValueError(f"the paper's Table 2 has the columns {list(TABLE2)}, not {estimator!r}")
    return {
        coefficient: {k: value for k, (value, _se) in by_occupation.items()}
        for coefficient, by_occupation in TABLE2[estimator].items()
    }


#: The paper's benchmark externalities: the GMM-CUE column of Table 2 ("We adopt the GMM-CUE
#: coefficients in the last column of Table 2 as our benchmark"), the default of the solves.
TAU: Final[dict[str, dict[str, float]]] = tau("cue")


# -- every number of the main text that a run computes ----------------------------------------


@dataclass(frozen=True)
class Reported:
    """One number the paper reports: what it is (``statistic``, the name under which
    :func:`spatialocc.reports.paper_comparison` computes it), for which ``occupation``
    (None: the economy), the ``value`` as printed, and where it is printed (``source``)."""

    statistic: str
    occupation: str | None
    value: float
    source: str
    description: str


def _table1() -> list[Reported]:
    rows = {  # Table 1: dependent variable -> (regressor -> estimate)
        "log w[CNR]": (0.059, 0.338, 1.499),
        "log w[nonCNR]": (0.050, 0.223, 0.993),
        "log(w[CNR]/w[nonCNR])": (0.022, 0.115, 0.506),
    }
    regressors = ("log L[n]", "log(L[CNR,n]/L[nonCNR,n])", "L[CNR,n]/L[n]")
    return [
        Reported(
            f"table1:{dependent}:{regressor}",
            None,
            value,
            "Table 1",
            f"{dependent} on {regressor} (univariate OLS slope)",
        )
        for dependent, values in rows.items()
        for regressor, value in zip(regressors, values, strict=True)
    ]


def _table2() -> list[Reported]:
    out = []
    for estimator, coefficients in TABLE2.items():
        for coefficient, by_occupation in coefficients.items():
            for k, (value, se) in by_occupation.items():
                out.append(Reported(f"table2:{estimator}:{coefficient}", k, value, "Table 2", ""))
                out.append(
                    Reported(f"table2:{estimator}:{coefficient}:se", k, se, "Table 2", "s.e.")
                )
    for statistic, by_occupation in TABLE2_FIRST_STAGE.items():
        for k, value in by_occupation.items():
            out.append(Reported(f"table2:{statistic}", k, value, "Table 2", "first stage"))
    return out


#: Table 3 ("Welfare Comparison, Relative to Baseline"): row -> (CNR, nonCNR, ratio).
TABLE3: Final = MappingProxyType(
    {
        1: (0.558, 0.765, 0.730),
        2: (0.708, 0.824, 0.859),
        3: (0.927, 1.081, 0.857),
        4: (1.000, 1.000, 1.000),
        5: (1.045, 1.058, 0.987),
        6: (1.066, 1.079, 0.988),
        7: (1.042, 1.060, 0.983),
        8: (1.039, 1.061, 0.980),
        9: (1.045, 1.067, 0.980),
        10: (1.054, 1.070, 0.985),
        11: (1.064, 1.081, 0.985),
        12: (0.488, 0.643, 0.759),
        13: (0.790, 0.893, 0.885),
        14: (0.936, 1.057, 0.885),
        15: (1.000, 1.000, 1.000),
        16: (0.858, 1.110, 0.773),
        17: (0.852, 1.116, 0.763),
        18: (0.860, 1.129, 0.762),
        19: (0.861, 1.129, 0.762),
        20: (0.863, 1.132, 0.762),
        21: (0.846, 1.109, 0.763),
        22: (0.849, 1.112, 0.763),
    }
)
#: Table 3's "ratio of CNR to non-CNR welfare in Baseline", by panel.
TABLE3_BASELINE_RATIO: Final = MappingProxyType({"full": 1.911, "no_externalities": 3.767})


def _table3() -> list[Reported]:
    out = []
    for row, values in TABLE3.items():
        for who, value in zip(("CNR", "nonCNR", None), values, strict=True):
            name = "ratio" if who is None else "welfare"
            out.append(Reported(f"table3:{name}:{row}", who, value, f"Table 3, row {row}", ""))
    for panel, value in TABLE3_BASELINE_RATIO.items():
        out.append(Reported(f"table3:baseline_ratio:{panel}", None, value, "Table 3", "CNR/nonCNR"))
    return out


#: Section 4.7: the city pairs whose productivity differences the text states (percent
#: change of λ for each occupation, "all else equal"), by the cities' names in the data.
CITY_PAIRS: Final = MappingProxyType(
    {
        "composition": ("Winston-Salem, NC", "Austin-Round Rock, TX", {"CNR": 6.0, "nonCNR": -3.0}),
        "size": ("Trenton, NJ", "Rochester, NY", {"CNR": 11.0, "nonCNR": 11.0}),
    }
)


def _text() -> list[Reported]:
    s52, s62 = "Section 5.2", "Section 6.2"
    out = [
        Reported("social_private_ratio", "CNR", 1.79, "Introduction", "social/private value"),
        Reported("mean_wedge_difference", None, 63_135.0, s52, "mean Δ[CNR] - Δ[nonCNR], $"),
        Reported("corr_wedge_difference_share", None, 0.48, s52, "corr with CNR share"),
        Reported("corr_wedge_difference_log_size", None, 0.62, s52, "corr with log size"),
        Reported("corr_wedge_difference_share_weighted", None, 0.67, s52, "weighted by size"),
        Reported("corr_wedge_difference_log_size_weighted", None, 0.76, s52, "weighted"),
        Reported("share_cities_net_payer", "CNR", 0.92, s62, "share of cities where CNR pay"),
        Reported("mean_transfer", "CNR", -3_316.0, s62, "mean net transfer, $"),
        Reported("mean_transfer", "nonCNR", 2_020.0, s62, "mean net transfer, $"),
        # "net payments from CNR workers range from $309 (10th percentile city) to $4,422
        # (90th)": payments are negative transfers, so the 90th percentile of the transfer
        # is -309 and the 10th -4,422
        Reported("transfer_p10", "CNR", -4_422.0, s62, "10th percentile across cities, $"),
        Reported("transfer_p90", "CNR", -309.0, s62, "90th percentile across cities, $"),
        Reported("transfer_p10", "nonCNR", 1_819.0, s62, "10th percentile across cities, $"),
        Reported("transfer_p90", "nonCNR", 10_518.0, s62, "90th percentile across cities, $"),
        Reported("transfer_p10_weighted", "CNR", -10_000.0, "Footnote 28", "by population"),
        Reported("transfer_p90_weighted", "CNR", -113.0, "Footnote 28", "by population"),
        Reported("transfer_median_weighted", "CNR", -2_475.0, "Footnote 28", "by population"),
        Reported("transfer_p10_weighted", "nonCNR", -6_599.0, "Footnote 29", "by population"),
        Reported("transfer_p90_weighted", "nonCNR", 9_356.0, "Footnote 29", "by population"),
        Reported("transfer_median_weighted", "nonCNR", 3_460.0, "Footnote 29", "by population"),
        Reported("welfare_gain", "CNR", 0.0059, s62, "optimal policy, v/v_ref - 1"),
        Reported("welfare_gain", "nonCNR", 0.0059, s62, "optimal policy, v/v_ref - 1"),
        Reported("city_share", "San Jose-Sunnyvale-Santa Clara, CA", 0.514, "Section 6.1", ""),
        Reported(
            "optimum_city_share", "San Jose-Sunnyvale-Santa Clara, CA", 0.907, "Section 6.1", ""
        ),
        Reported("city_share", "Harrisonburg, VA", 0.270, "Section 6.1", "1 - 73.0% nonCNR"),
        Reported("optimum_city_share", "Harrisonburg, VA", 0.170, "Section 6.1", "1 - 83.0%"),
        Reported("gini_change", "San Jose-Sunnyvale-Santa Clara, CA", 0.11, "Section 6.1", ""),
        Reported("gini_change", "Harrisonburg, VA", 0.04, "Section 6.1", ""),
        Reported(
            "gini_change", "Scranton--Wilkes-Barre--Hazleton, PA", -0.05, "Section 6.1", "around"
        ),
    ]
    for pair, (origin, destination, values) in CITY_PAIRS.items():
        for k, value in values.items():
            out.append(
                Reported(
                    f"city_pair:{pair}",
                    k,
                    value,
                    "Section 4.7",
                    f"percent change of productivity from {origin} to {destination}",
                )
            )
    return out


#: Every number of the main text that ``spatialocc run`` computes, with its source; the
#: side-by-side report (:func:`spatialocc.reports.paper_comparison`) reads them from here.
#: In the city statistics of section 6.1 ``occupation`` holds the city's name.
REPORTED: Final[tuple[Reported, ...]] = (*_table1(), *_table2(), *_table3(), *_text())

#: Section 7.4: real-estate (shelter) consumption shares α[k,RE] by occupation, from the 2013
#: Consumer Expenditure Survey bins of average CNR and non-CNR incomes ($61,765, $31,727).
HOUSING_SHARES: Final = MappingProxyType({"CNR": 0.192, "nonCNR": 0.208})

#: Section 7.4: the widest spread across the survey's income bins (18.5% above $70,000,
#: 26.0% below $5,000).
HOUSING_SHARES_WIDE: Final = MappingProxyType({"CNR": 0.185, "nonCNR": 0.260})
