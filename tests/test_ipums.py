"""IPUMS USA extracts to a dataset: every aggregate recomputed here with pandas from the
records written into the extract, the fixed-width and CSV routes, chunking, and bad input.
The extracts are synthetic (tests/ipums_fixture.py writes a DDI 2.5 codebook and its
fixed-width data in IPUMS's layout); ipumspy reads them as it reads real ones."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import spatialocc
from spatialocc.datasets.industries import LABELS
from spatialocc.datasets.ipums import IpumsExtractError, from_ipums, industry_crosswalk
from spatialocc.dims.errors import MissingVariableError
from tests.conftest import RAW
from tests.ipums_fixture import records, write_extract

pytest.importorskip("ipumspy")

#: The industries of the IND1990 codes the fixture draws, from the 1990 census industry
#: titles (written here, not read from the crosswalk file); 900 (public administration) has
#: none.
INDUSTRY = {
    60: "Retail, Construction, and Utilities",
    100: "Food and Beverage",
    322: "Computer and Electronic",
    500: "Wholesale",
    641: "Accommodation",
    712: "Real Estate",
    831: "Health",
    850: "Education",
}


def base_dataset() -> xr.Dataset:
    """A synthetic economy of the paper's 22 industries on three of the fixture's metros and
    two others."""
    data = spatialocc.datasets.synthetic(n_cities=5, n_industries=22, seed=0)
    cities = ["10180", "10420", "12060", "99991", "99992"]
    return data.assign_coords(city=cities, origin=cities)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return records()


@pytest.fixture(scope="module")
def extract(tmp_path_factory, frame) -> Path:
    return write_extract(tmp_path_factory.mktemp("ipums"), frame)


@pytest.fixture(scope="module")
def base():
    return base_dataset()


def quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return from_ipums(*args, **kwargs)


def by_hand(frame: pd.DataFrame, *, full_time: bool = False) -> tuple[pd.Series, pd.Series]:
    employed = frame[(frame.EMPSTAT == 1) & frame.IND1990.isin(INDUSTRY) & (frame.MET2013 > 0)]
    employed = employed.assign(
        industry=employed.IND1990.map(INDUSTRY),
        occupation=np.where(employed.OCCSOC.str[:2].astype(int) <= 29, "CNR", "nonCNR"),
        city=employed.MET2013.map(lambda c: f"{c:05d}"),
    )
    employment = employed.groupby(["occupation", "industry", "city"]).PERWT.sum()
    earners = employed[(employed.INCWAGE > 0) & (employed.INCWAGE < 999_998)]
    if full_time:
        earners = earners[(earners.UHRSWORK >= 35) & (earners.WKSWORK2 == 6)]
    total = (earners.INCWAGE * earners.PERWT).groupby([earners.occupation, earners.city]).sum()
    wage = total / earners.groupby(["occupation", "city"]).PERWT.sum()
    return employment, wage


def test_employment_and_mean_wages_by_hand(extract, frame, base):
    ds = quiet(extract, base=base)
    employment, wage = by_hand(frame)
    got = ds["employment"].sel(year=2015)
    for (k, j, n), value in employment.items():
        assert float(got.sel(occupation=k, industry=j, city=n)) == pytest.approx(value, rel=1e-12)
    assert float(got.sum()) == pytest.approx(employment.sum(), rel=1e-12)
    for (k, n), value in wage.items():
        assert float(ds["wage"].sel(year=2015, occupation=k, city=n)) == pytest.approx(
            value, rel=1e-12
        )
    # the base's other year and other variables are kept; its cities outside the extract go
    assert list(ds["city"].values) == ["10180", "10420", "12060"]
    np.testing.assert_array_equal(
        ds["wage"].sel(year=1980).values, base["wage"].sel(year=1980, city=ds.city.values).values
    )
    np.testing.assert_array_equal(
        ds["distance"].values,
        base["distance"].sel(city=ds.city.values, origin=ds.city.values).values,
    )
    assert ds.attrs["ipums_citation"] == "Test citation: IPUMS USA test extract."
    spatialocc.validate(ds, kind="data")


def test_record_counts_and_flags(extract, frame, base):
    ds = quiet(extract, base=base, min_records=100)
    employed = frame[(frame.EMPSTAT == 1) & frame.IND1990.isin(INDUSTRY) & (frame.MET2013 > 0)]
    cnr = employed.OCCSOC.str[:2].astype(int) <= 29
    n = employed[cnr & (employed.MET2013 == 10180) & (employed.IND1990 == 322)]
    assert int(
        ds["records_employment"].sel(
            year=2015, occupation="CNR", city="10180", industry="Computer and Electronic"
        )
    ) == len(n)
    earners = employed[(employed.INCWAGE > 0) & (employed.INCWAGE < 999_998)]
    count = earners[(earners.OCCSOC.str[:2].astype(int) > 29) & (earners.MET2013 == 12060)]
    flag = ds["few_records"].sel(year=2015, occupation="nonCNR", city="12060")
    assert int(ds["records_wage"].sel(year=2015, occupation="nonCNR", city="12060")) == len(count)
    assert bool(flag) == (len(count) < 100)
    assert not bool(ds["few_records"].sel(year=1980).any())  # not from the extracts


def test_csv_extract_and_chunking_give_the_same_dataset(extract, frame, base, tmp_path):
    fixed = quiet(extract, base=base)
    csv = tmp_path / "usa_00002.csv.gz"
    frame.to_csv(csv, index=False)
    from_csv = quiet(csv, base=base, chunksize=333)
    small = quiet(extract, base=base, chunksize=257)
    for other in (from_csv, small):
        for name in ("employment", "wage", "records_employment", "records_wage"):
            np.testing.assert_allclose(other[name].values, fixed[name].values, rtol=1e-12)


def test_full_time_and_median_wages(tmp_path, base):
    frame = records(n=3_001, seed=4).assign(PERWT=10.0)  # equal weights: the median is plain
    path = write_extract(tmp_path, frame)
    _, wage = by_hand(frame, full_time=True)
    ds = quiet(path, base=base, full_time=True)
    for (k, n), value in wage.items():
        assert float(ds["wage"].sel(year=2015, occupation=k, city=n)) == pytest.approx(value)
    median = quiet(path, base=base, wage="median")
    employed = frame[(frame.EMPSTAT == 1) & frame.IND1990.isin(INDUSTRY) & (frame.MET2013 > 0)]
    earners = employed[(employed.INCWAGE > 0) & (employed.INCWAGE < 999_998)]
    group = earners[(earners.OCCSOC.str[:2].astype(int) <= 29) & (earners.MET2013 == 10420)]
    expected = np.quantile(group.INCWAGE, 0.5, method="hazen")
    got = float(median["wage"].sel(year=2015, occupation="CNR", city="10420"))
    assert got == pytest.approx(expected, rel=1e-6)


def test_occ2010_when_occsoc_is_absent(tmp_path, frame, base, extract):
    path = write_extract(tmp_path, frame.drop(columns="OCCSOC"))
    np.testing.assert_allclose(
        quiet(path, base=base)["employment"].values,
        quiet(extract, base=base)["employment"].values,
        rtol=1e-12,
    )


def test_cities_on_one_side_are_reported(extract, base):
    with pytest.warns(UserWarning, match="2 cities of the base are not in the extracts"):
        from_ipums(extract, base=base)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda f: f.drop(columns="EMPSTAT"), MissingVariableError, r"\['EMPSTAT'\]"),
        (lambda f: f.drop(columns=["OCCSOC", "OCC2010"]), MissingVariableError, "OCCSOC"),
        (lambda f: f.drop(columns="MET2013"), MissingVariableError, "MET2013"),
        (lambda f: f.assign(SAMPLE=199001), IpumsExtractError, r"years \[1990\]"),
        (lambda f: f.assign(MET2013=77777), IpumsExtractError, "no city of the extracts"),
    ],
)
def test_bad_extracts_are_refused(tmp_path, frame, base, change, error, match):
    path = write_extract(tmp_path, change(frame))
    with pytest.raises(error, match=match):
        quiet(path, base=base)


def test_missing_files_and_options(tmp_path, extract, base):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        from_ipums(tmp_path / "usa_09999.xml", base=base)
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "usa_00001.xml").write_text(extract.read_text())
    with pytest.raises(FileNotFoundError, match=r"neither usa_00001.dat.gz nor usa_00001.dat"):
        from_ipums(lone / "usa_00001.xml", base=base)
    with pytest.raises(ValueError, match="wage must be"):
        from_ipums(extract, base=base, wage="mode")
    with pytest.raises(ValueError, match="at least one extract"):
        from_ipums(base=base)


def test_the_crosswalk_covers_each_code_once():
    table = industry_crosswalk()
    covered = np.concatenate([np.arange(a, b + 1) for a, b in table[["first", "last"]].values])
    assert len(covered) == len(set(covered))
    assert set(table["industry"]) == set(LABELS)
    for code, industry in INDUSTRY.items():
        row = table[(table["first"] <= code) & (table["last"] >= code)]
        assert row["industry"].tolist() == [industry]
    assert not ((table["first"] <= 900) & (table["last"] >= 900)).any()


def test_command_line(tmp_path, extract, base, capsys, monkeypatch):
    from spatialocc.__main__ import main

    monkeypatch.setattr(spatialocc.datasets.loaders, "load", lambda name, **_: base)
    out = tmp_path / "data.nc"
    assert main(["build-ipums", str(extract), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert f"spatialocc run {out}" in printed and "NOTE: 0 metros of the extracts" in printed
    data = spatialocc.open_dataset(out, kind="data")
    assert int(data.sizes["city"]) == 3
    assert main(["build-ipums", str(tmp_path / "none.xml"), "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_fast_decoder_reads_what_ipumspy_reads(extract):
    """The numpy decoder of fixed-width files against ipumspy's own reader (pandas'
    read_fwf), every variable, across chunk boundaries."""
    from ipumspy import readers

    from spatialocc.datasets.ipums import fixed_width_chunks, open_extract

    opened = open_extract(extract)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = readers.read_microdata(opened.ddi, opened.data_file)
    ours = pd.concat(
        fixed_width_chunks(opened.ddi, opened.data_file, list(theirs.columns), 777),
        ignore_index=True,
    )
    assert len(ours) == len(theirs)
    for name in theirs.columns:
        a, b = ours[name], theirs[name]
        if pd.api.types.is_numeric_dtype(b):
            np.testing.assert_array_equal(a.to_numpy(float), b.to_numpy(float), err_msg=name)
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), name


def test_a_nontradable_without_records_keeps_the_base_employment(tmp_path, frame, base):
    """No record of real estate in one metro: the model needs local producers of
    non-tradables, so that cell keeps the base's employment (and says so)."""
    thin = frame[~((frame.IND1990 == 712) & (frame.MET2013 == 10420))]
    ds = quiet(write_extract(tmp_path, thin), base=base)
    cell = {"year": 2015, "industry": "Real Estate", "city": "10420"}
    np.testing.assert_array_equal(ds["employment"].sel(cell).values, base["employment"].sel(cell))
    assert int(ds["records_employment"].sel(cell).sum()) == 0
    assert ds.attrs["ipums_nontradable_from_base"].startswith("1 ")
    other = {"year": 2015, "industry": "Real Estate", "city": "10180"}
    assert float(ds["employment"].sel(other).sum()) == pytest.approx(
        thin[(thin.IND1990 == 712) & (thin.MET2013 == 10180) & (thin.EMPSTAT == 1)].PERWT.sum()
    )


# -- 1980: SMSAs (METAREAD / METAREA) to 2013 CBSAs ---------------------------------------------

#: The CSV copy of the NHGIS 1980 county table, read here independently of the builder.
NHGIS_1980_CSV = "census_county/nhgis0012_ds107_1980_county.csv"
#: 1980 SMSA codes of three metros of the fixture and their 2013 CBSAs (Abilene, Akron, Atlanta)
SMSA = {10180: 40, 10420: 80, 12060: 520}


def test_1980_extracts_map_smsas_to_cbsas(tmp_path, frame, base):
    census = frame.assign(SAMPLE=198001, YEAR=1980)
    detailed = census.assign(METAREAD=census.MET2013.map(SMSA).fillna(0).astype(int))
    path = write_extract(tmp_path, detailed.drop(columns="MET2013"), stem="usa_00010")
    ds = quiet(path, base=base)
    ref = quiet(write_extract(tmp_path, census, stem="usa_00011"), base=base)
    np.testing.assert_allclose(
        ds["employment"].sel(year=1980).values, ref["employment"].sel(year=1980).values
    )
    # the 3-digit general METAREA codes are the detailed ones without their last digit
    general = census.assign(METAREA=(detailed.METAREAD // 10)).drop(columns="MET2013")
    ds3 = quiet(write_extract(tmp_path, general, stem="usa_00012"), base=base)
    np.testing.assert_allclose(ds3["employment"].values, ds["employment"].values)
    assert "METAREAD = 0 or not a CBSA" in ds.attrs["ipums_dropped_persons"]


@pytest.mark.skipif(not RAW.is_dir(), reason=f"raw data folder {RAW} is absent (../shared/data)")
def test_the_smsa_crosswalk_is_rebuilt_from_the_raw_files():
    """The shipped crosswalk is what datasets/build_metarea_crosswalk.py makes of the NHGIS
    1980 county table; and one SMSA by hand: Albany-Schenectady-Troy (0160) has 1980
    employment outside CBSA 10580 (Montgomery County went to Amsterdam's micro area)."""
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "datasets" / "build_metarea_crosswalk.py"
    spec = importlib.util.spec_from_file_location("build_metarea_crosswalk", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rebuilt = module.build(RAW)
    shipped = pd.read_csv(module.OUT, dtype={"metarea": str, "cbsa": str})
    pd.testing.assert_frame_equal(
        rebuilt.reset_index(drop=True), shipped, check_exact=False, rtol=1e-6
    )
    nhgis = pd.read_csv(RAW / NHGIS_1980_CSV, dtype={"fips": str, "smsaa": str})
    albany = nhgis[nhgis.smsaa == "0160"]
    employed = albany[[f"dia{i:03d}" for i in range(1, 16)]].sum(axis=1)
    inside = albany.fips.isin(["36001", "36083", "36091", "36093", "36095"])  # CBSA 10580
    share = float(employed[inside].sum() / employed.sum())
    row = shipped[shipped.metarea == "0160"].iloc[0]
    assert row.cbsa == "10580" and row.share == pytest.approx(share, abs=1e-6)


# -- what cannot be read --------------------------------------------------------------------------

PUBLISHED = Path(__file__).parent / "data" / "ipumspy" / "usa_00172.xml"


def test_ipumspys_published_extract_is_read_and_its_missing_variables_named(base):
    """ipumspy's own IPUMS USA test extract (2012 PRCS, YEAR..AGE) opens; it lacks what a
    dataset needs, and the error names each missing variable."""
    from spatialocc.datasets.ipums import open_extract

    extract = open_extract(PUBLISHED)
    assert extract.variables[:3] == ("YEAR", "SAMPLE", "SERIAL")
    assert extract.data_file.name == "usa_00172.dat.gz"
    with pytest.raises(MissingVariableError) as info:
        from_ipums(PUBLISHED, base=base)
    for name in ("EMPSTAT", "IND1990", "INCWAGE", "OCCSOC", "MET2013"):
        assert name in str(info.value)
    assert "add them to the extract" in str(info.value)


def test_a_data_file_shorter_than_its_codebook(tmp_path, frame, base):
    path = write_extract(tmp_path, frame)
    short = write_extract(tmp_path / "..", frame.drop(columns=["WKSWORK2"]), stem="usa_00099")
    (tmp_path / "usa_00001.dat.gz").write_bytes((short.parent / "usa_00099.dat.gz").read_bytes())
    with pytest.raises(IpumsExtractError, match="does not match its codebook"):
        quiet(path, base=base)


def test_a_non_usa_collection_is_refused(tmp_path, frame, base):
    path = write_extract(tmp_path, frame)
    path.write_text(path.read_text().replace('abbr="usa"', 'abbr="cps"'))
    with pytest.raises(IpumsExtractError, match="IPUMS CPS extract"):
        quiet(path, base=base)


def test_a_sample_without_metro_identifiers_is_refused(tmp_path, frame, base):
    path = write_extract(tmp_path, frame.assign(MET2013=0))
    with pytest.raises(IpumsExtractError, match="no metro identifiers"):
        quiet(path, base=base)


def test_the_whole_study_runs_on_a_dataset_from_an_extract(tmp_path):
    """An extract drawn from a synthetic economy's employment and wages (records of its
    metros, industries and occupations, 2011-2015 ACS 5-year sample), aggregated by
    from_ipums on that economy as the base, and `spatialocc run` on the result."""
    from spatialocc.__main__ import main
    from spatialocc.datasets.ipums import industry_crosswalk
    from tests.test_cli import NATURAL_EARTH

    economy = spatialocc.datasets.synthetic(n_cities=16, n_industries=22, seed=5)
    codes = [f"{10180 + 40 * i:05d}" for i in range(economy.sizes["city"])]
    economy = economy.assign_coords(city=codes, origin=codes)
    emp = economy["employment"].sel(year=2015).transpose("occupation", "industry", "city")
    rng = np.random.default_rng(0)
    n = 60_000
    k, j, c = np.unravel_index(
        rng.choice(emp.size, n, p=(emp / emp.sum()).values.ravel()), emp.shape
    )
    first_code = industry_crosswalk().groupby("industry")["first"].first()
    wage = economy["wage"].sel(year=2015).transpose("occupation", "city").values
    extract = pd.DataFrame(
        {
            "YEAR": 2015,
            "SAMPLE": 201503,
            "SERIAL": np.arange(1, n + 1),
            "PERWT": round(float(emp.sum()) / n, 2),
            "MET2013": np.array(codes).astype(int)[c],
            "EMPSTAT": 1,
            "OCCSOC": np.where(k == 0, "151131", "412031"),
            "IND1990": first_code.reindex(emp["industry"].values).to_numpy()[j],
            "INCWAGE": np.round(wage[k, c] * rng.lognormal(-0.02, 0.2, n)).astype(int),
        }
    )
    data = quiet(write_extract(tmp_path, extract), base=economy)
    path = spatialocc.to_netcdf(data, tmp_path / "data.nc")
    out = tmp_path / "results"
    argv = ["run", str(path), "--out", str(out), "--quiet", "--variants", ""]
    argv += ["--fixed-effects", "industry"]  # 16 cities: division x industry absorbs too much
    if NATURAL_EARTH.is_dir():
        argv += ["--natural-earth", str(NATURAL_EARTH)]
    assert main(argv) == 0
    optimum = spatialocc.open_dataset(out / "optimum.nc")
    assert bool(optimum["converged"].all())
    assert (out / "paper_comparison.csv").exists() and (out / "table3.csv").exists()
