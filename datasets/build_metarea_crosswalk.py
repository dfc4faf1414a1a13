"""Build spatialocc/datasets/data/metarea1980_cbsa.csv: the 1980 SMSAs (the metro areas of
IPUMS USA's METAREAD in the 1980 census samples, 4-digit codes) assigned to 2013-delineation
metropolitan CBSAs (July 2015 list), the codes ``from_ipums`` reads.

    python datasets/build_metarea_crosswalk.py --raw ../shared/data/raw

Each 1980 SMSA is the set of counties with that ``smsaa`` code in the NHGIS 1980 county table
(NHGIS ds107; cite: Minnesota Population Center, NHGIS Version 11.0, 2016,
doi 10.18128/D050.V11.0). Its 1980 employed persons (the sum of the 15 industry groups) are
split by the 2015 metro CBSA of each county (renamed counties mapped to their successors);
the SMSA goes to the CBSA holding the largest share, and that share is written beside it
(``share``: 1.0 where the SMSA lies inside one CBSA; lower where delineations changed, an
approximation). SMSAs whose largest part is outside every metro CBSA get no CBSA.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "spatialocc" / "datasets" / "data" / "metarea1980_cbsa.csv"


def build(raw: Path) -> pd.DataFrame:
    from spatialocc.datasets.build_us.read_cbsa import _read_delineation
    from spatialocc.datasets.build_us.read_nhgis import (
        INDUSTRY_GROUPS_1980,
        _read_nhgis_1980,
        _read_nhgis_1980_smsa,
    )

    employed = _read_nhgis_1980(raw)[list(INDUSTRY_GROUPS_1980)].sum(axis=1)
    smsa = _read_nhgis_1980_smsa(raw)
    counties = pd.DataFrame({"smsaa": smsa, "employed": employed.reindex(smsa.index)})
    delineation = _read_delineation(raw)
    metro = delineation[delineation["metro"] & (delineation["state"] != "72")]
    cbsa_of = metro.set_index("county")["cbsa"]
    counties = counties.assign(cbsa=counties.index.map(cbsa_of).fillna("none"))
    by = counties.groupby(["smsaa", "cbsa"])["employed"].sum().rename("employed").reset_index()
    total = by.groupby("smsaa")["employed"].transform("sum")
    by = by.assign(share=by["employed"] / total)
    best = by.sort_values(["smsaa", "share"], ascending=[True, False]).groupby("smsaa").head(1)
    best = best.assign(metarea=best["smsaa"])
    best = best[best["cbsa"] != "none"]
    return best[["metarea", "cbsa", "share"]].sort_values("metarea").reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=ROOT.parent / "shared" / "data" / "raw")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    table = build(args.raw)
    table.to_csv(args.out, index=False, float_format="%.6f", lineterminator="\n")
    print(
        f"wrote {args.out}: {len(table)} 1980 SMSAs -> {table['cbsa'].nunique()} CBSAs; "
        f"{(table['share'] < 1).sum()} straddle CBSAs (smallest share {table['share'].min():.3f})"
    )


if __name__ == "__main__":
    main()
