"""The imputed parts of 1980 (the [choices] of :mod:`.parameters`): the national wage levels,
and the targets of the national industry factors that keep the 1980 allocation consistent
with the 1997 input-output stand-in (each industry's share of the national wage bill moves
from 2015 like its share of BEA compensation from 2011-2015 to 1997).
"""

from __future__ import annotations

import numpy as np

from spatialocc.datasets.build_us.input_output import InputOutput
from spatialocc.datasets.build_us.parameters import AWI_1980, AWI_2015, PREMIUM_RATIO_1980
from spatialocc.datasets.build_us.wages import WageFit


def _share_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a / a.sum()) / (b / b.sum())


def _national_wage_1980(national_wage: dict[str, float]) -> dict[str, float]:
    """1980 national wage levels: nonCNR = the 2015 level times the SSA average wage index
    ratio 1980/2015; CNR = nonCNR times the 2015 premium to the power
    ``PREMIUM_RATIO_1980``."""
    premium15 = national_wage["CNR"] / national_wage["nonCNR"]
    noncnr80 = national_wage["nonCNR"] * AWI_1980 / AWI_2015
    return {"nonCNR": noncnr80, "CNR": noncnr80 * premium15**PREMIUM_RATIO_1980}


def _bill_target_1980(
    wages15: WageFit, L15: np.ndarray, io15: InputOutput, io80: InputOutput
) -> np.ndarray:
    """Each industry's target share of the 1980 wage bill: its 2015 share, moved like its
    share of BEA compensation from 2011-2015 to 1997."""
    bill15 = np.einsum("kn,kjn->j", np.exp(wages15.log_wage), L15)
    return bill15 / bill15.sum() * _share_ratio(io80.compensation, io15.compensation)
