"""Reader of the 1900 census foreign-born population of the cities of 25,000 or more
(``immigration/1900-census-immigrant-pop-metro.csv`` under the raw folder, a transcription of
the 1900 census, Vol. 1, Population Part 1, Table 35)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spatialocc.datasets.build_us.raw_files import _raw_path, _reader


@_reader("foreign_born_1900_cities")
def _read_foreign_born_1900(raw: Path) -> pd.DataFrame:
    """Columns ``city``, ``state`` (full name) and ``foreign_born`` (persons), one row per
    city, as spelled in the transcription."""
    table = pd.read_csv(_raw_path(raw, "foreign_born_1900_cities"), dtype=str)
    out = pd.DataFrame(
        {
            "city": table["City"].str.strip(),
            "state": table["State"].str.strip(),
            "foreign_born": pd.to_numeric(
                table["Total foreign born"].str.replace(",", "", regex=False), errors="raise"
            ),
        }
    )
    if out.empty or out.duplicated(["city", "state"]).any():
        raise ValueError("expected one row per 1900 city")
    return out
