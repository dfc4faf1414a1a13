"""2015 employment by industry and city: County Business Patterns 2019 summed over each
industry's NAICS codes (read through :mod:`.read_cbp_acs`) and scaled to 2015 by each CBSA's
population growth.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from spatialocc.datasets.build_us.crosswalks import INDUSTRIES
from spatialocc.datasets.build_us.raw_files import RawDataFormatError
from spatialocc.datasets.build_us.read_cbp_acs import _read_cbp
from spatialocc.datasets.industries import CROSSWALK


def naics_codes_used(cbp: pd.DataFrame) -> dict[str, list[str]]:
    """The NAICS codes of the CBP file summed into each industry.

    A crosswalk prefix present in the file is used as is; one absent from it (the file has no
    ``31-33``, ``44-45`` or ``48-49`` sector rows) is replaced by its children one digit
    longer, recursively.

    Parameters
    ----------
    cbp
        County Business Patterns rows with a ``naics_code`` column (as read from the raw
        ``cbp_cbsa_naics_emp.rda``).

    Returns
    -------
    dict
        Industry label -> list of NAICS codes, in ``CROSSWALK`` order.

    Raises
    ------
    ValueError
        A crosswalk prefix has neither a row nor children in the file.
    """
    present = set(cbp["naics_code"].unique())

    def expand(prefix: str) -> list[str]:
        if prefix in present:
            return [prefix]
        children = sorted(c for c in present if len(c) == len(prefix) + 1 and c.startswith(prefix))
        if not children:
            raise RawDataFormatError(f"NAICS {prefix} is not in the County Business Patterns file")
        return [x for child in children for x in expand(child)]

    return {cw.label: [x for p in cw.naics for x in expand(p)] for cw in CROSSWALK}


def _cbp_by_industry(cbp: pd.DataFrame, codes: Sequence[str]) -> np.ndarray:
    """CBP employment of each of the 22 industries (rows) in each CBSA (columns)."""
    used = naics_codes_used(cbp)
    rows = []
    for industry in INDUSTRIES:
        sel = cbp[cbp["naics_code"].isin(used[industry])]
        rows.append(sel.groupby("cbsa_code")["EMP"].sum().reindex(codes).fillna(0.0))
    return np.array(rows)


def employment_scale_2015(population: pd.DataFrame) -> pd.Series:
    """Factor taking CBP 2019 employment to 2015: ``(pop2015 / pop2017) ** 2``.

    The supplied population estimates end in 2017, so each CBSA's 2015-2017 growth rate is
    extended log-linearly to 2019 **[choice]**.

    Parameters
    ----------
    population
        Population estimates by CBSA (rows) with integer year columns 2015 and 2017.

    Returns
    -------
    pandas.Series
        The factor by CBSA.
    """
    return (population[2015] / population[2017]) ** 2


def _employment_2015(raw: Path, cities: pd.DataFrame, codes: Sequence[str]) -> np.ndarray:
    """Employment by industry (rows) and city (columns): CBP 2019 scaled to 2015 by
    population growth."""
    cbp = _read_cbp(raw)
    cbp_jn = _cbp_by_industry(cbp, codes)
    scale = employment_scale_2015(cities).to_numpy()
    return cbp_jn * scale[None, :]
