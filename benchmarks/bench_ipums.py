"""Time and peak memory of ``from_ipums`` on a synthetic IPUMS USA extract of the size of the
2011-2015 ACS 5-year sample (about 15.6 million person records).

    python benchmarks/bench_ipums.py                 # 15.6 million records
    python benchmarks/bench_ipums.py --records 2e6   # smaller

The extract (a DDI codebook and a gzipped fixed-width file, as tests/ipums_fixture.py writes
them) is generated once into --folder; the aggregation runs in a child process whose peak
resident memory is read from the OS.
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ipums_fixture import LAYOUT, codebook  # noqa: E402


def write_large(folder: Path, n: int, seed: int = 0, block: int = 1_000_000, cities=None) -> Path:
    """A codebook and ``n`` fixed-width records in ``cities`` (CBSA codes; default 380 random
    codes), written in blocks."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = "usa_large"
    names = [name for name in LAYOUT if name not in ("METAREAD", "METAREA")]  # an ACS extract
    (folder / f"{stem}.xml").write_text(codebook(stem, names))
    rng = np.random.default_rng(seed)
    if cities is None:
        cities = np.sort(rng.choice(np.arange(10_000, 50_000), 380, replace=False))
    cities = np.asarray(cities)
    soc = np.array(["113031", "151131", "291141", "412031", "472061", "533032"])
    # one code of every range of the crosswalk (all 22 industries), and public administration
    from spatialocc.datasets.ipums import industry_crosswalk

    industries = np.array([*industry_crosswalk()["first"], 900])
    with gzip.open(folder / f"{stem}.dat.gz", "wt", compresslevel=1) as f:
        for first in range(0, n, block):
            m = min(block, n - first)
            columns = {
                "YEAR": rng.integers(2011, 2016, m),
                "SAMPLE": np.full(m, 201503),
                "SERIAL": np.arange(first + 1, first + m + 1),
                "PERWT": rng.integers(100, 90_000, m),  # hundredths
                "MET2013": np.where(rng.random(m) < 0.1, 0, rng.choice(cities, m)),
                "EMPSTAT": rng.choice([1, 2, 3], m, p=[0.6, 0.05, 0.35]),
                "OCCSOC": soc[rng.integers(0, len(soc), m)],
                "OCC2010": rng.integers(10, 9_800, m),
                "IND1990": industries[rng.integers(0, len(industries), m)],
                "INCWAGE": rng.integers(0, 300_000, m),
                "UHRSWORK": rng.integers(0, 80, m),
                "WKSWORK2": rng.integers(0, 7, m),
            }
            parts = []
            for name in names:
                width, _dcml, numeric = LAYOUT[name]
                values = columns[name].astype(str)
                parts.append(np.char.zfill(values, width) if numeric else values)
            lines = parts[0]
            for part in parts[1:]:
                lines = np.char.add(lines, part)
            f.write("\n".join(lines.tolist()) + "\n")
    return folder / f"{stem}.xml"


CHILD = """
import resource, sys, time, warnings
warnings.simplefilter("ignore")
import spatialocc
from spatialocc.datasets.ipums import from_ipums
base = spatialocc.datasets.synthetic(n_cities=5, n_industries=22, seed=0)
start = time.perf_counter()
try:
    from_ipums(sys.argv[1], base=base)
except Exception as exc:  # the synthetic metros are not the base's: aggregation is what counts
    if "no city of the extracts" not in str(exc):
        raise
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{elapsed:.1f} {peak:.0f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=float, default=15.6e6)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/spatialocc-ipums-bench"))
    args = parser.parse_args()
    n = int(args.records)
    codebook = args.folder / "usa_large.xml"
    marker = args.folder / f"records-{n}"
    if not marker.exists():
        start = time.perf_counter()
        write_large(args.folder, n)
        marker.write_text("")
        print(f"wrote {n:,} records in {time.perf_counter() - start:.0f} s")
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(codebook)], capture_output=True, text=True, check=True
    )
    seconds, peak = result.stdout.split()
    size = (args.folder / "usa_large.dat.gz").stat().st_size / 2**20
    print(
        f"from_ipums: {n:,} records ({size:.0f} MiB gzipped) in {float(seconds):.0f} s "
        f"({n / float(seconds) / 1e6:.2f} million records/s), peak memory {peak} MiB"
    )


if __name__ == "__main__":
    main()
