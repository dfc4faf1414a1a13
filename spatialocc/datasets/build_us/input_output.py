"""National shares from the BEA summary Use tables (read through :mod:`.read_bea`), with the
paper's conventions: input, value-added and compensation shares by industry, and the
non-tradables' consumption shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spatialocc.datasets.build_us.crosswalks import INDUSTRIES, RE
from spatialocc.datasets.build_us.parameters import ALPHA_REAL_ESTATE
from spatialocc.datasets.build_us.raw_files import RawDataFormatError
from spatialocc.datasets.build_us.read_bea import _read_use_table
from spatialocc.datasets.industries import COMPOSITE, CROSSWALK


@dataclass(frozen=True)
class InputOutput:
    """National shares of one year from a BEA Use table (paper's conventions)."""

    value_added: np.ndarray  # gamma[j]
    inputs: np.ndarray  # gamma[j', j]
    compensation: np.ndarray  # compensation of employees by industry (millions)
    pce_share: np.ndarray  # share of domestic personal consumption by industry


def _input_output(table: pd.DataFrame) -> InputOutput:
    """Shares of one Use table.

    Imports are netted out (each commodity's imports are spread over its domestic uses
    other than exports in proportion; purchases of imports leave inputs and gross output);
    government industries and commodities, scrap and noncomparable imports are dropped;
    taxes on production less subsidies are left out (the model has no government); the gross
    operating surplus of every industry other than real estate becomes a purchase from real
    estate and is added to real estate's surplus (paper, section 4.3).
    """
    code_to_j = {code: j for j, cw in enumerate(CROSSWALK) for code in cw.bea}
    used = [c for c in table.index if c in code_to_j]
    cols = [c for c in table.columns if c in code_to_j]
    if len(used) != len(code_to_j) or len(cols) != len(code_to_j):
        raise RawDataFormatError(
            f"the Use table has {len(used)} commodity rows and {len(cols)} industry columns of "
            f"the crosswalk's {len(code_to_j)} BEA codes"
        )
    final = [c for c in table.columns if c.startswith("F") and c not in ("F040", "F050")]
    imports = -table.loc[used, "F050"]
    domestic_use = table.loc[used, "Total Intermediate"] + table.loc[used, final].sum(axis=1)
    import_share = (imports / domestic_use).clip(0.0, 1.0)
    J = len(CROSSWALK)
    agg_rows = np.zeros((J, len(used)))
    agg_rows[[code_to_j[c] for c in used], np.arange(len(used))] = 1.0
    agg_cols = np.zeros((len(cols), J))
    agg_cols[np.arange(len(cols)), [code_to_j[c] for c in cols]] = 1.0
    domestic = table.loc[used, cols].to_numpy() * (1.0 - import_share.to_numpy())[:, None]
    flows = agg_rows @ domestic @ agg_cols
    compensation = table.loc["V001", cols].to_numpy() @ agg_cols
    surplus = table.loc["V003", cols].to_numpy() @ agg_cols
    pce = agg_rows @ (table.loc[used, "F010"].to_numpy() * (1.0 - import_share.to_numpy()))
    # GOS of every non-real-estate industry becomes a purchase from real estate
    flows[RE] += np.where(np.arange(J) == RE, 0.0, surplus)
    value_added = compensation.copy()
    value_added[RE] += surplus.sum()
    output = flows.sum(axis=0) + value_added
    return InputOutput(
        value_added=value_added / output,
        inputs=flows / output[None, :],
        compensation=compensation,
        pce_share=pce / pce.sum(),
    )


def _input_output_average(raw: Path, years: Sequence[int]) -> InputOutput:
    """Average of the yearly shares (each year's shares use that year's gross output)."""
    parts = [_input_output(_read_use_table(raw, y)) for y in years]
    return InputOutput(
        *(np.mean([getattr(p, f) for p in parts], axis=0) for f in InputOutput.__annotations__)
    )


def _consumption_shares(io80: InputOutput, io15: InputOutput) -> np.ndarray:
    """Consumption shares by year (1980, 2015) and industry: the paper's share for Real
    Estate, the composite's share of domestic personal consumption; NaN for tradables."""
    J = len(INDUSTRIES)
    alpha = np.full((2, J), np.nan)
    composite = INDUSTRIES.index(COMPOSITE)
    for y, io_y in enumerate((io80, io15)):
        alpha[y, RE] = ALPHA_REAL_ESTATE
        alpha[y, composite] = io_y.pce_share[composite]
    return alpha
