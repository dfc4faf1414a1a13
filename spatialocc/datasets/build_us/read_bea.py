"""Readers of the BEA files (``bea/`` under the raw folder).

The summary Use tables before redefinitions at producers' prices, 1997-2016 (an Excel
workbook, read with ``openpyxl``), the Regional Price Parities by MSA (MARPP), 2008-2024,
and the county wages and salaries of CAINC4 (line 50), 1969-2023.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from spatialocc.datasets.build_us.raw_files import _raw_path, _reader


@_reader("use_tables")
def _read_use_table(raw: Path, year: int) -> pd.DataFrame:
    import openpyxl

    book = openpyxl.load_workbook(_raw_path(raw, "use_tables"), read_only=True, data_only=True)
    try:
        rows = list(book[str(year)].iter_rows(values_only=True))
    finally:
        book.close()

    def clean(x: object) -> str:
        return "" if x is None else str(x).replace("\xa0", "").strip()

    codes = [clean(x) for x in rows[5]]
    names = [clean(x) for x in rows[6]]
    columns = [c or n for c, n in zip(codes, names, strict=True)][2:]
    body = [r for r in rows[7:] if r[1] is not None]
    index = [clean(r[0]) or clean(r[1]) for r in body]
    # "..." marks cells without transactions; they are zero.
    values = [
        [float(x) if isinstance(x, int | float) else 0.0 for x in r[2 : 2 + len(columns)]]
        for r in body
    ]
    return pd.DataFrame(values, index=index, columns=columns)


@_reader("rpp")
def _read_rpp(raw: Path) -> pd.DataFrame:
    text = _raw_path(raw, "rpp").read_text(encoding="latin-1")
    lines = [ln for ln in text.splitlines() if ln.startswith(("GeoFIPS", ' "'))]
    rpp = pd.read_csv(io.StringIO("\n".join(lines)), dtype=str)
    rpp.columns = [c.strip() for c in rpp.columns]
    rpp["GeoFIPS"] = rpp["GeoFIPS"].str.strip().str.strip('"')
    rpp["LineCode"] = rpp["LineCode"].str.strip()
    return rpp


@_reader("bea_county_wages")
def _read_county_wages(raw: Path, year: str) -> pd.DataFrame:
    """Wages and salaries by place of work (CAINC4 line 50), dollars of ``year``, by BEA
    county unit: columns ``name`` and ``wages`` (NaN where BEA reports "(NA)" or "(D)")."""
    table = pd.read_csv(_raw_path(raw, "bea_county_wages"), dtype=str, encoding="latin-1")
    table.columns = [c.strip() for c in table.columns]
    table = table[table["LineCode"].str.strip() == "50"]
    if table.empty:
        raise ValueError("no line 50 (wages and salaries) rows")
    fips = table["GeoFIPS"].str.strip().str.strip('"')
    wages = pd.to_numeric(table[year].str.strip(), errors="coerce") * 1000.0  # thousands
    return pd.DataFrame(
        {"name": table["GeoName"].str.strip().to_numpy(), "wages": wages.to_numpy()},
        index=pd.Index(fips.to_numpy(), name="unit"),
    )
