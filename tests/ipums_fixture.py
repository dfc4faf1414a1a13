"""Synthetic IPUMS USA extracts for the tests: a DDI 2.5 codebook and its fixed-width data
file (or a CSV extract), written from a DataFrame of records, in the layout IPUMS uses
(``<var>`` with ``<location StartPos EndPos width>``, implied decimals in ``dcml``)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

#: name -> (width, implied decimals, numeric)
LAYOUT = {
    "YEAR": (4, 0, True),
    "SAMPLE": (6, 0, True),
    "SERIAL": (8, 0, True),
    "PERWT": (10, 2, True),
    "MET2013": (5, 0, True),
    "METAREAD": (4, 0, True),
    "METAREA": (3, 0, True),
    "EMPSTAT": (1, 0, True),
    "OCCSOC": (6, 0, False),
    "OCC2010": (4, 0, True),
    "IND1990": (3, 0, True),
    "INCWAGE": (6, 0, True),
    "UHRSWORK": (2, 0, True),
    "WKSWORK2": (1, 0, True),
}

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<codeBook version="2.5" xmlns="ddi:codebook:2_5">
  <stdyDscr>
    <citation><titlStmt><titl>User Extract {stem}.dat</titl></titlStmt>
      <serStmt><serName abbr="usa">IPUMS USA</serName><serInfo>DOI:test</serInfo></serStmt>
    </citation>
    <stdyInfo><sumDscr><timePrd date="2015" event="single">2015</timePrd></sumDscr>
      <notes><![CDATA[Additional notes on a sample that is part of this study:  2015 ACS 5yr
]]></notes></stdyInfo>
    <dataAccs><useStmt>
      <citReq><![CDATA[Test citation: IPUMS USA test extract.]]></citReq>
      <conditions><![CDATA[Test conditions.]]></conditions>
    </useStmt></dataAccs>
  </stdyDscr>
  <fileDscr ID="ExtractData">
    <fileTxt>
      <fileName>{stem}.dat</fileName>
      <fileCont>Microdata records</fileCont>
      <fileStrc type="rectangular"/>
      <fileType charset="ISO-8859-1">ISO-8859-1 data file</fileType>
      <format>fixed length fields</format>
      <filePlac>IPUMS, Minneapolis, MN</filePlac>
    </fileTxt>
  </fileDscr>
  <dataDscr>
"""

VAR = """    <var ID="{name}" dcml="{dcml}" files="ExtractData" intrvl="{intrvl}" name="{name}">
      <location EndPos="{end}" StartPos="{start}" width="{width}"/>
      <labl>{name}</labl>
      <txt>{name}</txt>
      <concept vocab="IPUMS">Test</concept>
      <varFormat schema="other" type="{kind}"/>
    </var>
"""


def records(n: int = 4_000, seed: int = 0, cities=(10180, 10420, 12060)) -> pd.DataFrame:
    """``n`` person records of the 2011-2015 ACS 5-year sample (SAMPLE 201503) in three
    metros and one unidentified (0), with every kind of record the reader must drop."""
    rng = np.random.default_rng(seed)
    soc = rng.choice(["113031", "151131", "291141", "412031", "472061", "533032"], n)
    frame = pd.DataFrame(
        {
            "YEAR": rng.integers(2011, 2016, n),
            "SAMPLE": np.full(n, 201503),
            "SERIAL": np.arange(1, n + 1),
            "PERWT": rng.integers(100, 9_000, n) / 100,
            "MET2013": rng.choice([*cities, 0], n, p=[0.35, 0.3, 0.25, 0.1]),
            "EMPSTAT": rng.choice([1, 2, 3], n, p=[0.8, 0.1, 0.1]),
            "OCCSOC": soc,
            "OCC2010": np.where(pd.Series(soc).str[:2].astype(int) <= 29, 1000, 5000),
            "IND1990": rng.choice([100, 322, 500, 641, 712, 831, 850, 900, 60], n),
            "INCWAGE": rng.integers(1, 150_000, n),
            "UHRSWORK": rng.choice([20, 40, 45], n),
            "WKSWORK2": rng.choice([3, 6], n),
        }
    )
    frame.loc[rng.random(n) < 0.05, "INCWAGE"] = 999_999
    frame.loc[rng.random(n) < 0.05, "INCWAGE"] = 0
    return frame


def codebook(stem: str, names: list[str]) -> str:
    """A DDI 2.5 codebook of the variables ``names`` (in :data:`LAYOUT`), laid out in order."""
    xml, start = [HEADER.format(stem=stem)], 1
    for name in names:
        width, dcml, numeric = LAYOUT[name]
        xml.append(
            VAR.format(
                name=name,
                dcml=dcml,
                intrvl="contin" if dcml else "discrete",
                start=start,
                end=start + width - 1,
                width=width,
                kind="numeric" if numeric else "character",
            )
        )
        start += width
    xml.append("  </dataDscr>\n</codeBook>\n")
    return "".join(xml)


def write_extract(folder: Path, frame: pd.DataFrame, stem: str = "usa_00001") -> Path:
    """The codebook (returned) and the gzipped fixed-width data file of ``frame``."""
    lines = []
    fields = [(name, *LAYOUT[name]) for name in frame.columns]
    for row in frame.itertuples(index=False):
        cells = []
        for (_name, width, dcml, numeric), value in zip(fields, row, strict=True):
            if numeric:
                cells.append(f"{round(float(value) * 10**dcml):0{width}d}")
            else:
                cells.append(f"{value!s:<{width}}"[:width])
        lines.append("".join(cells))
    (folder / f"{stem}.xml").write_text(codebook(stem, list(frame.columns)))
    with gzip.open(folder / f"{stem}.dat.gz", "wt") as f:
        f.write("\n".join(lines) + "\n")
    return folder / f"{stem}.xml"
