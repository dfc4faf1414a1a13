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


#: Section 7.4: real-estate (shelter) consumption shares α[k,RE] by occupation, from the 2013
#: Consumer Expenditure Survey bins of average CNR and non-CNR incomes ($61,765, $31,727).
HOUSING_SHARES: Final = MappingProxyType({"CNR": 0.192, "nonCNR": 0.208})

#: Section 7.4: the widest spread across the survey's income bins (18.5% above $70,000,
#: 26.0% below $5,000).
HOUSING_SHARES_WIDE: Final = MappingProxyType({"CNR": 0.185, "nonCNR": 0.260})
