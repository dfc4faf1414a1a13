"""Readers of the employment and occupation files (``employment/`` and ``occupation/`` under
the raw folder).

County Business Patterns 2019, employment by CBSA and NAICS (an R data file, read with
``pyreadr``), and the one-row ACS 2015 tables B24050 (industry by occupation) and B24011
(median earnings by occupation), each with its legend of variable labels.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spatialocc.datasets.build_us.raw_files import _raw_path, _reader


@_reader("cbp")
def _read_cbp(raw: Path) -> pd.DataFrame:
    import pyreadr

    frames = pyreadr.read_r(str(_raw_path(raw, "cbp")))
    cbp = next(iter(frames.values()))
    cbp = cbp[["cbsa_code", "naics_code", "EMP"]].copy()
    cbp["cbsa_code"] = cbp["cbsa_code"].astype(str)
    cbp["naics_code"] = cbp["naics_code"].astype(str)
    return cbp


def _acs_table(raw: Path, data_key: str, legend_key: str) -> dict[str, float]:
    """One-row ACS table as ``{label path without 'Estimate!!Total': value}``."""

    @_reader(legend_key)
    def read_legend(raw: Path) -> pd.DataFrame:
        legend = pd.read_csv(_raw_path(raw, legend_key))
        return legend[legend["VARIABLE"].str.match(r"^B\d+_\d+E$")]

    @_reader(data_key)
    def read(raw: Path, legend: pd.DataFrame) -> dict[str, float]:
        data = pd.read_csv(_raw_path(raw, data_key))
        out = {}
        for variable, label in zip(legend["VARIABLE"], legend["LABEL"], strict=True):
            key = label.replace("Estimate!!Total", "").lstrip("!")
            out[key] = float(data[variable].iloc[0])
        return out

    return read(raw, read_legend(raw))
