"""IPUMS USA extracts to a ``data`` Dataset: :func:`from_ipums`.

The paper's data come from census and ACS microdata (the 2011-2015 ACS 5-year sample and the
1980 5% census). :func:`from_ipums` reads one or more IPUMS USA extracts with the reader
IPUMS maintains (ipumspy: the DDI 2.5 codebook ``.xml`` beside its fixed-width ``.dat`` or
``.dat.gz``; IPUMS CSV extracts too), in chunks with bounded memory, and aggregates them:

* ``employment[occupation, industry, city]``: persons employed (``EMPSTAT`` = 1) with an
  industry, weighted by ``PERWT``; occupation ``CNR`` for SOC major groups 11-29 (the first two
  digits of ``OCCSOC``; for samples without it, ``OCC2010`` codes 10-3540, the 2010 census's
  "management, business, science, and arts occupations", the same groups) and ``nonCNR``
  otherwise; industry one of the paper's 22 from ``IND1990`` through the crosswalk
  ``data/ind1990_industries.csv`` (ranges of the 1990 census industry classification,
  assigned by the NAICS codes of ``INDUSTRIES.md`` **[choice]**; public administration (900-932),
  the military (940-960) and the unemployed (992) have no industry of the paper and are
  dropped and counted);
* ``wage[occupation, city]``: the ``PERWT``-weighted mean (or median) ``INCWAGE`` of the
  employed with positive wage income (the N/A codes 999999 and 999998 excluded), optionally of
  full-time full-year workers only (``UHRSWORK`` >= 35 and ``WKSWORK2`` = 6, 50-52 weeks);
* ``city``: the CBSA code from ``MET2013`` (0, not identified, is excluded and counted); for
  the 1980 census, whose metros are 1980 SMSAs (``METAREAD``, or its 3-digit ``METAREA``),
  through ``data/metarea1980_cbsa.csv`` (each SMSA to the 2013 CBSA with the largest share of
  its 1980 employment, NHGIS county table; approximate where delineations changed: the share
  is in the file) **[choice]**;
* ``year``: ``SAMPLE // 100``, so that the 2011-2015 5-year sample (SAMPLE 201503) is 2015;
* ``records_employment`` and ``records_wage``: the unweighted number of records behind each
  cell, and ``few_records`` where it is below ``min_records``;
* everything microdata do not carry (input-output shares, rents, distances, instruments,
  price levels) from ``base`` for the cities of both; a city on one side only is reported;
  a non-tradable industry without any record in a city (the model needs local producers of
  non-tradables everywhere) keeps the base's employment there, counted in the attributes.
"""

from __future__ import annotations

import dataclasses
import gzip
import importlib.resources
import itertools
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from spatialocc.dims.errors import MissingVariableError

#: The two occupations.
OCCUPATIONS = ("CNR", "nonCNR")
#: INCWAGE's N/A codes.
INCWAGE_MISSING = (999_999, 999_998)
#: Variables every extract needs, and the occupation and city variables (one of each).
NEEDED = ("YEAR", "SAMPLE", "PERWT", "EMPSTAT", "IND1990", "INCWAGE")
OCCUPATION_VARIABLES = ("OCCSOC", "OCC2010")
CITY_VARIABLES = ("MET2013", "METAREAD", "METAREA")
FULL_TIME_VARIABLES = ("UHRSWORK", "WKSWORK2")
#: IPUMS's citation when a codebook carries none (CSV extracts).
IPUMS_CITATION = (
    "Steven Ruggles, Sarah Flood, Matthew Sobek, et al. IPUMS USA. Minneapolis, MN: IPUMS. "
    "https://doi.org/10.18128/D010 (cite the version of your extract)"
)

Wage = Literal["mean", "median"]


class IpumsExtractError(ValueError):
    """An extract that cannot be read into a dataset (the message says how to fix it)."""


def industry_crosswalk() -> pd.DataFrame:
    """The ``IND1990`` ranges (``first``, ``last``) of each of the paper's industries, with
    the IPUMS titles they cover (``data/ind1990_industries.csv``)."""
    with (
        importlib.resources.files("spatialocc.datasets")
        .joinpath("data/ind1990_industries.csv")
        .open() as f
    ):
        return pd.read_csv(f)


def metarea_crosswalk() -> pd.Series:
    """2013 CBSA code of each 1980 SMSA (4-digit METAREAD code), from
    ``data/metarea1980_cbsa.csv`` (built by ``datasets/build_metarea_crosswalk.py`` from the
    NHGIS 1980 county table: each SMSA goes to the CBSA with the largest share of its 1980
    employment; the share is in the file)."""
    with (
        importlib.resources.files("spatialocc.datasets")
        .joinpath("data/metarea1980_cbsa.csv")
        .open() as f
    ):
        table = pd.read_csv(f, dtype={"metarea": str, "cbsa": str})
    return pd.Series(table["cbsa"].astype(int).to_numpy(), index=table["metarea"].astype(int))


def cbsa_of(codes: np.ndarray, variable: str) -> np.ndarray:
    """The 2013 CBSA code of each record's metro (0 where none): MET2013 as it is; METAREAD
    (1980 SMSAs, 4 digits) through :func:`metarea_crosswalk`; METAREA (IPUMS's 3-digit general
    version) as the METAREAD of the area's main code, ``10 x METAREA``."""
    codes = pd.to_numeric(pd.Series(codes), errors="coerce").fillna(0).astype(np.int64)
    if variable == "MET2013":
        return codes.to_numpy()
    if variable == "METAREA":
        codes = codes * 10
    return codes.map(metarea_crosswalk()).fillna(0).astype(np.int64).to_numpy()


def industry_of(ind1990: np.ndarray) -> np.ndarray:
    """The paper's industry of each ``IND1990`` code, ``""`` where there is none."""
    table = industry_crosswalk()
    codes = np.asarray(ind1990, dtype=np.int64)
    out = np.full(codes.shape, "", dtype=object)
    for first, last, industry in table[["first", "last", "industry"]].itertuples(index=False):
        out[(codes >= first) & (codes <= last)] = industry
    return out


def is_cnr(occupation: pd.Series, variable: str) -> np.ndarray:
    """Whether each record's occupation is CNR: SOC major group 11-29 (``OCCSOC``, a string
    whose first two characters are the major group) or ``OCC2010`` 10-3540."""
    if variable == "OCCSOC":
        major = pd.to_numeric(occupation.astype(str).str.strip().str[:2], errors="coerce")
        return ((major >= 11) & (major <= 29)).to_numpy()
    codes = pd.to_numeric(occupation, errors="coerce")
    return ((codes >= 10) & (codes <= 3540)).to_numpy()


# -- reading ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Extract:
    """One extract: its data file, its codebook (None for CSV), the variables it has."""

    path: Path
    data_file: Path
    ddi: object | None
    variables: tuple[str, ...]

    @property
    def citation(self) -> str:
        return str(getattr(self.ddi, "ipums_citation", "") or IPUMS_CITATION)


def open_extract(path: str | Path) -> Extract:
    """An extract from its codebook (``.xml``, the data file found beside it) or a CSV file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"IPUMS extract {str(path)!r} does not exist")
    if path.suffix.lower() == ".xml":
        from ipumspy import readers

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ipumspy's CitationWarning: cited in the attrs
            ddi = readers.read_ipums_ddi(path)
        collection = str(getattr(ddi, "ipums_collection", "usa") or "usa").lower()
        if collection != "usa":
            raise IpumsExtractError(
                f"{path.name} is an IPUMS {collection.upper()} extract; from_ipums reads IPUMS "
                f"USA extracts (census and ACS microdata)"
            )
        stem = Path(ddi.file_description.filename).stem
        candidates = [path.with_name(f"{stem}.dat.gz"), path.with_name(f"{stem}.dat")]
        data_file = next((c for c in candidates if c.exists()), None)
        if data_file is None:
            raise FileNotFoundError(
                f"the codebook {path.name} describes {stem}.dat, but neither "
                f"{candidates[0].name} nor {candidates[1].name} is beside it; download the data "
                f"file of the extract into {path.parent}"
            )
        names = tuple(v.name for v in ddi.data_description)
        return Extract(path, data_file, ddi, names)
    if path.name.lower().endswith((".csv", ".csv.gz")):
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rt") as f:
            header = f.readline().strip().split(",")
        return Extract(path, path, None, tuple(h.strip().strip('"').upper() for h in header))
    raise IpumsExtractError(
        f"{path.name}: expected an IPUMS codebook (.xml) or a CSV extract (.csv, .csv.gz)"
    )


def _needed(extract: Extract, *, full_time: bool) -> list[str]:
    have = set(extract.variables)
    needed = list(NEEDED)
    occupation = next((v for v in OCCUPATION_VARIABLES if v in have), None)
    city = next((v for v in CITY_VARIABLES if v in have), None)
    missing = [v for v in needed if v not in have]
    if occupation is None:
        missing.append("OCCSOC (or OCC2010)")
    if city is None:
        missing.append("MET2013 (ACS; METAREAD or METAREA for the 1980 census)")
    if full_time:
        missing += [v for v in FULL_TIME_VARIABLES if v not in have]
    if missing:
        raise MissingVariableError(
            f"{extract.path.name} lacks the IPUMS variables {missing}; add them to the extract "
            f"(IPUMS USA: Select data -> search each name) and download it again."
        )
    extra = [v for v in FULL_TIME_VARIABLES if full_time]
    return [*needed, occupation, city, *extra]


def _chunks(extract: Extract, columns: list[str], chunksize: int) -> Iterator[pd.DataFrame]:
    if extract.ddi is None:
        reader = pd.read_csv(extract.data_file, chunksize=chunksize, dtype={"OCCSOC": str})
        for chunk in reader:
            chunk.columns = [c.upper() for c in chunk.columns]
            yield chunk[columns]
        return
    if fixed_width_ok(extract.ddi):
        yield from fixed_width_chunks(extract.ddi, extract.data_file, columns, chunksize)
        return
    from ipumspy import readers

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield from readers.read_microdata_chunked(
            extract.ddi, extract.data_file, chunksize=chunksize, subset=columns
        )


def fixed_width_ok(ddi: object) -> bool:
    """Whether the fast decoder reads this extract: rectangular, one record type."""
    return getattr(ddi.file_description, "structure", "") == "rectangular"


def fixed_width_chunks(
    ddi: object, data_file: Path, columns: Sequence[str], chunksize: int
) -> Iterator[pd.DataFrame]:
    """The ``columns`` of a rectangular fixed-width IPUMS data file, ``chunksize`` records at
    a time, decoded with numpy from the positions of the codebook (read by ipumspy):
    numeric fields as integers (blank = 0) divided by ``10**dcml``, character fields as
    strings. About 30 times faster than the generic reader (pandas' ``read_fwf``), which
    the tests use to check this one."""
    variables = {v.name: v for v in ddi.data_description}
    opener = gzip.open if data_file.name.lower().endswith(".gz") else open
    with opener(data_file, "rb") as f:
        while True:
            lines = list(itertools.islice(f, chunksize))
            if not lines:
                return
            width = len(lines[0])
            needed = max(v.end for v in variables.values())
            record = len(lines[0].rstrip(b"\r\n"))
            if record < needed:
                raise IpumsExtractError(
                    f"{data_file.name} does not match its codebook: records have {record} "
                    f"characters, the codebook's variables end at column {needed}; download the "
                    f"data file and codebook of the same extract"
                )
            if any(len(line) != width for line in lines):
                lengths = sorted({len(line) for line in lines})
                raise IpumsExtractError(
                    f"{data_file.name}: records of different lengths {lengths[:5]}; expected a "
                    f"rectangular fixed-width file as the codebook describes"
                )
            raw = np.frombuffer(b"".join(lines), dtype=np.uint8).reshape(len(lines), width)
            yield pd.DataFrame({name: _field(raw, variables[name]) for name in columns})


def _field(raw: np.ndarray, var: object) -> np.ndarray:
    block = raw[:, var.start : var.end]  # ipumspy: 0-based start, exclusive end
    if var.vartype not in ("integer", "numeric", "float"):
        return np.char.strip(block.copy().view(f"S{block.shape[1]}")[:, 0].astype(str))
    digits = block.astype(np.int64) - 48
    blank = block == 32
    if np.any(((digits < 0) | (digits > 9)) & ~blank):
        raise IpumsExtractError(
            f"the numeric variable {var.name} holds characters other than digits; read this "
            f"extract as CSV"
        )
    digits[blank] = 0
    values = digits @ (10 ** np.arange(block.shape[1] - 1, -1, -1, dtype=np.int64))
    decimals = int(var.shift or 0)  # the codebook's implied decimals (dcml)
    return values / 10**decimals if decimals else values


# -- aggregating -----------------------------------------------------------------------------


@dataclasses.dataclass
class _Tally:
    """Running sums by (year, occupation, industry, city) and (year, occupation, city)."""

    employment: list[pd.Series] = dataclasses.field(default_factory=list)
    records: list[pd.Series] = dataclasses.field(default_factory=list)
    wage_sum: list[pd.Series] = dataclasses.field(default_factory=list)
    wage_weight: list[pd.Series] = dataclasses.field(default_factory=list)
    wage_records: list[pd.Series] = dataclasses.field(default_factory=list)
    wages: list[pd.DataFrame] = dataclasses.field(default_factory=list)
    dropped: dict[str, float] = dataclasses.field(default_factory=dict)
    rows: int = 0

    def drop(self, reason: str, weight: float) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0.0) + float(weight)

    def compact(self) -> None:
        """Sum the per-chunk partial sums so that memory stays bounded."""
        for name in ("employment", "records", "wage_sum", "wage_weight", "wage_records"):
            parts = getattr(self, name)
            if len(parts) > 1:
                levels = list(range(parts[0].index.nlevels))
                total = pd.concat(parts).groupby(level=levels, observed=True).sum()
                setattr(self, name, [total])


def _add(
    tally: _Tally, chunk: pd.DataFrame, occupation: str, city: str, *, wage: Wage, full_time: bool
) -> None:
    tally.rows += len(chunk)
    weight = chunk["PERWT"].to_numpy(dtype=float)
    employed = chunk["EMPSTAT"].to_numpy() == 1
    industry = industry_of(chunk["IND1990"].to_numpy())
    cbsa = cbsa_of(chunk[city].to_numpy(), city)
    tally.drop("not employed (EMPSTAT != 1)", weight[~employed].sum())
    no_industry = employed & (industry == "")
    tally.drop("employed without an industry of the paper (IND1990)", weight[no_industry].sum())
    no_city = employed & (industry != "") & (cbsa == 0)
    tally.drop(f"metro not identified ({city} = 0 or not a CBSA)", weight[no_city].sum())
    keep = employed & (industry != "") & (cbsa != 0)
    frame = pd.DataFrame(
        {
            "year": (chunk["SAMPLE"].to_numpy()[keep] // 100).astype(np.int64),
            "occupation": pd.Categorical(
                np.where(is_cnr(chunk[occupation], occupation)[keep], *OCCUPATIONS),
                categories=OCCUPATIONS,
            ),
            "industry": industry[keep],
            "city": cbsa[keep],
            "weight": weight[keep],
            "wage": chunk["INCWAGE"].to_numpy(dtype=float)[keep],
        }
    )
    cells = ["year", "occupation", "industry", "city"]
    grouped = frame.groupby(cells, observed=True)["weight"]
    tally.employment.append(grouped.sum())
    tally.records.append(grouped.size())
    valid = (frame["wage"] > 0) & ~frame["wage"].isin(INCWAGE_MISSING)
    if full_time:
        hours = chunk["UHRSWORK"].to_numpy()[keep] >= 35
        weeks = chunk["WKSWORK2"].to_numpy()[keep] == 6
        valid &= hours & weeks
    earners = frame[valid.to_numpy()]
    by = ["year", "occupation", "city"]
    weighted = earners["wage"] * earners["weight"]
    tally.wage_sum.append(weighted.groupby([earners[c] for c in by], observed=True).sum())
    tally.wage_weight.append(earners.groupby(by, observed=True)["weight"].sum())
    tally.wage_records.append(earners.groupby(by, observed=True)["weight"].size())
    if wage == "median":
        tally.wages.append(
            earners[[*by, "wage", "weight"]].astype({"wage": np.float32, "weight": np.float32})
        )


def _weighted_median(group: pd.DataFrame) -> float:
    order = np.argsort(group["wage"].to_numpy())
    values = group["wage"].to_numpy()[order]
    weights = group["weight"].to_numpy(dtype=float)[order]
    cum = np.cumsum(weights) - weights / 2
    return float(np.interp(0.5 * weights.sum(), cum, values))


def aggregate(
    extracts: Sequence[Extract],
    *,
    wage: Wage = "mean",
    full_time: bool = False,
    chunksize: int = 500_000,
    progress: Callable[[int], None] | None = None,
) -> tuple[xr.Dataset, dict[str, float], int]:
    """Employment, wages and record counts of the extracts (see the module docstring); also
    the persons dropped by reason (weighted) and the number of records read."""
    tally = _Tally()
    for extract in extracts:
        columns = _needed(extract, full_time=full_time)
        occupation, city = columns[len(NEEDED)], columns[len(NEEDED) + 1]
        for chunk in _chunks(extract, columns, chunksize):
            _add(tally, chunk, occupation, city, wage=wage, full_time=full_time)
            tally.compact()
            if progress is not None:
                progress(tally.rows)
    if not any(len(part) for part in tally.employment):
        unidentified = [k for k in tally.dropped if k.startswith("metro not identified")]
        if unidentified and tally.dropped[unidentified[0]] > 0:
            raise IpumsExtractError(
                "no record of the extracts is in an identified metro area: the sample has no "
                "metro identifiers (MET2013 is 0 in samples that identify none, e.g. some "
                "state samples); choose a sample with metro areas (ACS; 1980 5% metro sample)"
            )
        raise IpumsExtractError("the extracts hold no employed person with an industry and metro")
    employment = tally.employment[0].rename("employment").to_xarray().fillna(0.0)
    records = tally.records[0].rename("records_employment").to_xarray().fillna(0).astype(int)
    wage_weight = tally.wage_weight[0]
    if wage == "mean":
        wage_values = (tally.wage_sum[0] / wage_weight).rename("wage")
    else:
        wage_values = (
            pd.concat(tally.wages)
            .groupby(["year", "occupation", "city"], observed=True)[["wage", "weight"]]
            .apply(_weighted_median)
        ).rename("wage")
    wage_da = wage_values.to_xarray()
    wage_records = tally.wage_records[0].rename("records_wage").to_xarray().fillna(0).astype(int)
    out = xr.merge([employment, records, wage_da, wage_records], join="outer")
    out = out.assign_coords(
        city=[f"{int(c):05d}" for c in out["city"].values],
        occupation=[str(k) for k in out["occupation"].values],
    )
    out["employment"] = out["employment"].fillna(0.0)
    for name in ("records_employment", "records_wage"):
        out[name] = out[name].fillna(0).astype(int)
    return out, tally.dropped, tally.rows


# -- the dataset -----------------------------------------------------------------------------


def from_ipums(
    *paths: str | Path,
    base: str | xr.Dataset = "us",
    wage: Wage = "mean",
    full_time: bool = False,
    min_records: int = 30,
    chunksize: int = 500_000,
    progress: bool | Callable[[int], None] = False,
) -> xr.Dataset:
    """A ``data`` Dataset from IPUMS USA extracts (see the module docstring).

    Parameters
    ----------
    paths
        Codebooks (``usa_00001.xml``, the ``.dat.gz`` or ``.dat`` beside it) or CSV extracts.
        Each needs YEAR, SAMPLE, PERWT, EMPSTAT, IND1990, INCWAGE, OCCSOC (or OCC2010) and
        MET2013 (with ``full_time`` also UHRSWORK and WKSWORK2).
    base
        A registered dataset's name or a Dataset: every variable microdata do not carry
        (prices, shares, distances, instruments, price levels) and the years; its
        ``employment`` and ``wage`` are replaced for the years of the extracts.
    wage
        ``"mean"`` or ``"median"`` (weighted) annual wage income.
    full_time
        Wages of full-time full-year workers only.
    min_records
        Cells resting on fewer unweighted records are flagged (``few_records``).
    chunksize
        Records read at a time (memory is bounded by the chunk and the cell tables).
    progress
        True to print the records read so far to stderr, or a callable taking that count.

    Returns
    -------
    xarray.Dataset
        The ``base`` dataset on the cities of both, with measured ``employment`` and ``wage``,
        ``records_employment``, ``records_wage`` and ``few_records``, and the IPUMS citation
        in its attributes.
    """
    if not paths:
        raise ValueError("from_ipums needs at least one extract (a codebook .xml or a CSV)")
    if wage not in ("mean", "median"):
        raise ValueError(f"wage must be 'mean' or 'median', got {wage!r}")
    if progress is True:

        def report(rows: int) -> None:
            print(f"spatialocc: IPUMS: {rows:,} records read", file=sys.stderr)

        callback: Callable[[int], None] | None = report
    else:
        callback = progress or None
    extracts = [open_extract(p) for p in paths]
    micro, dropped, rows = aggregate(
        extracts, wage=wage, full_time=full_time, chunksize=chunksize, progress=callback
    )
    if isinstance(base, str):
        from spatialocc.datasets.loaders import load

        base = load(base)
    return _combine(
        base,
        micro,
        extracts,
        dropped,
        rows,
        min_records=min_records,
        wage=wage,
        full_time=full_time,
    )


def _combine(
    base: xr.Dataset,
    micro: xr.Dataset,
    extracts: Sequence[Extract],
    dropped: dict[str, float],
    rows: int,
    *,
    min_records: int,
    wage: Wage,
    full_time: bool,
) -> xr.Dataset:
    years = [int(y) for y in micro["year"].values]
    missing_years = [y for y in years if "year" not in base.dims or y not in base["year"].values]
    if missing_years:
        raise IpumsExtractError(
            f"the extracts are of the years {years}, but the base dataset has "
            f"{base['year'].values.tolist() if 'year' in base.dims else 'no year'}; choose a base "
            f"with those years (its prices, shares and instruments are used)"
        )
    base_cities = set(base["city"].values.tolist())
    micro_cities = set(micro["city"].values.tolist())
    only_micro = sorted(micro_cities - base_cities)
    only_base = sorted(base_cities - micro_cities)
    common = sorted(base_cities & micro_cities)
    if not common:
        raise IpumsExtractError(
            "no city of the extracts (MET2013 codes) is a city of the base dataset; check that "
            "the base uses 2013 CBSA codes"
        )
    if only_micro or only_base:
        warnings.warn(
            f"{len(only_micro)} metros of the extracts are not in the base dataset (dropped: "
            f"{only_micro[:5]}{' ...' if len(only_micro) > 5 else ''}) and {len(only_base)} "
            f"cities of the base are not in the extracts (dropped: {only_base[:5]}"
            f"{' ...' if len(only_base) > 5 else ''}); the dataset has the {len(common)} "
            f"cities of both",
            UserWarning,
            stacklevel=3,
        )
    out = base.sel(city=common)
    if "origin" in out.dims:
        out = out.sel(origin=common)
    micro = micro.sel(city=common).reindex(
        occupation=out["occupation"].values, industry=out["industry"].values, fill_value=0
    )
    nontradable = (
        ~out["tradable"].astype(bool)
        if "tradable" in out.coords
        else xr.zeros_like(out["industry"], dtype=bool)
    )
    kept_nontradable = 0
    for name in ("employment", "wage"):
        replaced = out[name].copy()
        for y in years:
            measured = micro[name].sel(year=y).transpose(*replaced.sel(year=y).dims)
            current = replaced.sel(year=y)
            if name == "wage":  # a cell without earners keeps the base's wage (few_records)
                values = measured.where(measured.notnull(), current)
            else:
                # a non-tradable industry serves local demand, so the model needs it in every
                # city: where the sample has no record of it in a city, keep the base's
                # employment there (records_employment = 0 marks those cells)
                absent = nontradable & (measured.sum("occupation") == 0)
                kept_nontradable += int(absent.sum())
                values = xr.where(absent, current, measured).transpose(*measured.dims)
            replaced.loc[{"year": y}] = values.values
        out[name] = replaced
    for name in ("records_employment", "records_wage"):
        out[name] = micro[name].reindex(year=out["year"].values, fill_value=0).astype(int)
        out[name].attrs = {"long_name": "unweighted IPUMS records behind the cell", "units": "1"}
    out["few_records"] = (out["records_wage"] < min_records).where(out["year"].isin(years), False)
    out["few_records"].attrs = {
        "long_name": f"the wage rests on fewer than {min_records} records (years of the extracts)"
    }
    out.attrs = {
        **base.attrs,
        "ipums_citation": extracts[0].citation,
        "ipums_extracts": ", ".join(e.path.name for e in extracts),
        "ipums_records_read": rows,
        "ipums_dropped_persons": "; ".join(f"{k}: {v:,.0f}" for k, v in dropped.items()),
        "ipums_wage": f"PERWT-weighted {wage} INCWAGE of the employed with positive wage income"
        + (", full-time full-year" if full_time else ""),
        "ipums_cities_dropped": f"{len(only_micro)} of the extracts, {len(only_base)} of the base",
        "ipums_nontradable_from_base": f"{kept_nontradable} (non-tradable industry, city) pairs "
        f"without a record keep the base's employment",
    }
    return out
