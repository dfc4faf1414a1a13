"""The measured parts of the bundled US dataset (issue 15), checked cell by cell against the
raw public files read here independently of the builder: 2015 occupation totals and wages by
metro (BLS OEWS May 2025), the raking of 2015 employment to its three margins, and the
per-cell provenance flags.

Tests that read the raw files skip, with the reason, when ``../shared/data/raw`` is absent.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import special

from spatialocc.datasets import build_us as bu
from spatialocc.datasets.loaders import load
from tests.conftest import RAW, needs_raw

OEWS = "occupation/oews_may2025_metro_nonmetro_by_occ.csv.gz"
#: Metros whose OEWS major-group cells are all released: Abilene, Austin, New York, San Jose,
#: Winston-Salem; and Dayton, whose 2015 code 19380 is 19430 in the 2023 delineation.
BY_HAND = {"10180": "10180", "12420": "12420", "35620": "35620", "41940": "41940",
           "49180": "49180", "19380": "19430"}  # fmt: skip


@pytest.fixture(scope="module")
def us() -> xr.Dataset:
    return load("us")


def _oews_by_hand() -> pd.DataFrame:
    """CNR (SOC 11-29) and nonCNR (31-53) employment and employment-weighted mean annual wage
    of the BY_HAND metros, from the major-group rows of the raw OEWS file."""
    table = pd.read_csv(RAW / OEWS, dtype=str)
    rows = []
    for cbsa, area in BY_HAND.items():
        major = table[(table["area_code"] == "00" + area) & table["occ_code"].str.endswith("-0000")]
        major = major[major["occ_code"] != "00-0000"]
        assert len(major) == 22, (cbsa, len(major))
        emp = major["tot_emp"].astype(float).to_numpy()
        wage = major["a_mean"].astype(float).to_numpy()
        cnr = major["occ_code"].str[:2].astype(int).between(11, 29).to_numpy()
        for occ, mask in (("CNR", cnr), ("nonCNR", ~cnr)):
            rows.append(
                {
                    "city": cbsa,
                    "occupation": occ,
                    "employment": emp[mask].sum(),
                    "wage": (emp[mask] * wage[mask]).sum() / emp[mask].sum(),
                }
            )
    return pd.DataFrame(rows).set_index(["city", "occupation"])


@needs_raw
def test_2015_city_cnr_shares_are_oews_moved_by_one_national_shift(us: xr.Dataset) -> None:
    """Each metro's 2015 CNR share is its OEWS share moved by one logit shift, the same for
    every metro (the national factor recorded in the attribute)."""
    hand = _oews_by_hand()["employment"].unstack("occupation")
    share = hand["CNR"] / hand.sum(axis=1)
    L = us["employment"].sel(year=2015).sum("industry")
    got = (L.sel(occupation="CNR") / L.sum("occupation")).to_series().loc[share.index]
    shift = json.loads(us["employment"].attrs["oews_logit_shift_2015"])
    np.testing.assert_allclose(special.logit(got) - special.logit(share), shift, atol=1e-10)
    assert abs(shift) < 0.2  # a national adjustment, not a reshuffle


@needs_raw
def test_2015_wages_are_oews_means_times_national_factors(us: xr.Dataset) -> None:
    hand = _oews_by_hand()["wage"]
    factor = json.loads(us["wage"].attrs["oews_wage_factor_2015"])
    wage = us["wage"].sel(year=2015)
    for (city, occ), mean in hand.items():
        got = float(wage.sel(city=city, occupation=occ))
        assert got == pytest.approx(mean * factor[occ], rel=1e-12), (city, occ)
    # the national factors bring May-2025 means to the ACS 2015 national level
    assert 0.4 < factor["CNR"] < 0.7 and 0.4 < factor["nonCNR"] < 0.7


@needs_raw
def test_2015_cells_keep_cbp_totals(us: xr.Dataset) -> None:
    """The raking keeps every city-industry total of CBP 2019 (scaled to 2015 by population)."""
    import pyreadr

    cbp = next(iter(pyreadr.read_r(str(RAW / "employment/cbp_cbsa_naics_emp.rda")).values()))
    codes = bu.naics_codes_used(cbp[cbp["cbsa_code"].isin(us["city"].values.tolist())])
    pep = pd.read_csv(
        RAW / "cbsa/PEP_2017_PEPANNRES_with_ann.csv",
        skiprows=[1],
        dtype={"GEO.id2": str},
        encoding="latin-1",
    ).set_index("GEO.id2")
    L = us["employment"].sel(year=2015).sum("occupation")
    for city in BY_HAND:
        scale = (float(pep.loc[city, "respop72015"]) / float(pep.loc[city, "respop72017"])) ** 2
        rows = cbp[cbp["cbsa_code"] == city]
        for industry in ("Health", "Computer and Electronic", "Real Estate"):
            expected = rows.loc[rows["naics_code"].isin(codes[industry]), "EMP"].sum() * scale
            got = float(L.sel(city=city, industry=industry))
            assert got == pytest.approx(expected, rel=1e-10), (city, industry)


def test_2015_occupation_split_is_the_raking_of_three_margins(us: xr.Dataset) -> None:
    """The raking from a constant seed gives CNR shares with no industry-city interaction:
    logit s[j,n] - logit s[j',n] is the same in every city (for positive cells)."""
    L = us["employment"].sel(year=2015)
    s = (L.sel(occupation="CNR") / L.sum("occupation")).transpose("industry", "city").values
    logit = special.logit(s)
    positive = np.isfinite(logit).all(axis=0)
    gaps = logit[:, positive] - logit[:1, positive]
    np.testing.assert_allclose(gaps, np.broadcast_to(gaps[:, :1], gaps.shape), atol=1e-10)
    assert float(s[np.isfinite(s)].max()) < 1 and float(s[np.isfinite(s)].min()) > 0


def test_measured_flags(us: xr.Dataset) -> None:
    """At least 90% of the 2015 occupation x city cells of employment and wages are measured;
    flags are constant across a city's occupations and industries; 1980 is imputed."""
    emp, wage = us["measured_employment"], us["measured_wage"]
    assert emp.dtype == bool and wage.dtype == bool
    cells = emp.sel(year=2015).any("industry")
    assert float(cells.mean()) >= 0.9 and float(wage.sel(year=2015).mean()) >= 0.9
    np.testing.assert_array_equal(cells.values, wage.sel(year=2015).values)
    assert bool((emp.sel(year=2015).all("industry") == cells).all())
    unmeasured = us["city"].values[~wage.sel(year=2015, occupation="CNR").values]
    assert "14100" in unmeasured and "41940" not in unmeasured  # Bloomsburg (no OEWS area)
    assert not bool(wage.sel(year=1980).any())


def test_oews_file_with_another_layout_is_named(tmp_path: Path) -> None:
    """An OEWS file without metro rows or with other columns stops the reader with an error
    naming the file and where to obtain it (no other raw file is read)."""
    from spatialocc.datasets.build_us.read_oews import _read_oews

    target = tmp_path / bu.RAW_FILES["oews"].path
    target.parent.mkdir(parents=True)
    for text, compress in (
        ("area_code,area_name,occ_code\n0010180,Abilene,00-0000\n", True),
        (
            "area_code,area_name,occ_code,occ_display_level,tot_emp,a_mean\n"
            "0100001,Northwest Alabama nonmetropolitan area,00-0000,0,67570,48440\n",
            True,
        ),
        ("area_code,area_name\n", False),
    ):
        target.write_bytes(gzip.compress(text.encode()) if compress else text.encode())
        with pytest.raises(bu.RawDataFormatError, match=r"oews_may2025") as info:
            _read_oews(tmp_path)
        assert "bls.gov" in str(info.value)


def _metro_counties(cbsa: str) -> list[str]:
    """County FIPS codes of a metropolitan CBSA in the July 2015 delineation (raw file)."""
    text = (RAW / "cbsa/jul_2015_cbsa.csv").read_bytes().decode("latin-1").replace("\r", "\n")
    table = pd.read_csv(io.StringIO(text), skiprows=2, dtype=str).dropna(
        subset=["FIPS County Code"]
    )
    rows = table[table["CBSA Code"] == cbsa]
    return (rows["FIPS State Code"].str.zfill(2) + rows["FIPS County Code"].str.zfill(3)).tolist()


@needs_raw
def test_immigrant_enclave_1970_share_by_hand(us: xr.Dataset) -> None:
    """CBSAs without a large 1900 city get the 1970 foreign-born share of their counties, here
    read from the NHGIS extract's CSV conversion (the build reads the fixed-width file)."""
    nhgis = pd.read_csv(
        RAW / "census_county/nhgis0008_ds98_1970_county.csv", dtype={"fips": str}
    ).set_index("fips")
    for cbsa in ("12420", "41940", "49180"):  # Austin, San Jose, Winston-Salem
        rows = nhgis.loc[_metro_counties(cbsa)]
        share = rows["c0z002"].sum() / (rows["c0z001"] + rows["c0z002"]).sum()
        assert float(us["immigrant_enclave"].sel(city=cbsa)) == pytest.approx(share, rel=1e-12)
        assert cbsa not in json.loads(us["immigrant_enclave"].attrs["cbsas_from_1900"])


@needs_raw
def test_immigrant_enclave_1900_share_by_hand(us: xr.Dataset) -> None:
    """Where 1900 cities of 25,000+ lie in the CBSA: their foreign born over the 1900
    population of the CBSA's 2015 counties."""
    born = pd.read_csv(RAW / "immigration/1900-census-immigrant-pop-metro.csv", thousands=",")
    born = born.set_index(["City", "State"])["Total foreign born"]
    cencounts = pd.read_csv(RAW / "historical/cencounts.csv", dtype=str)
    pop1900 = pd.to_numeric(cencounts.set_index("fips")["pop1900"], errors="coerce")
    cases = {
        "31080": [("Los Angeles", "California")],
        "41180": [("St. Louis", "Missouri"), ("East St. Louis", "Illinois")],
        "38300": [("Pittsburg", "Pennsylvania"), ("Allegheny", "Pennsylvania"),
                  ("McKeesport", "Pennsylvania")],
    }  # fmt: skip
    placed = json.loads(us["immigrant_enclave"].attrs["cbsas_from_1900"])
    for cbsa, cities in cases.items():
        population = sum(pop1900.get(str(int(c)), 0.0) for c in _metro_counties(cbsa))
        share = sum(born[c] for c in cities) / population
        assert float(us["immigrant_enclave"].sel(city=cbsa)) == pytest.approx(share, rel=1e-12)
        assert sorted(placed[cbsa]) == sorted(c for c, _ in cities)
    # 157 of the 161 cities lie in 2015 metros (Auburn NY, Butte, New Castle PA and Quincy IL
    # do not), in 106 CBSAs
    assert sum(len(v) for v in placed.values()) == 157 and len(placed) == 106


def test_nhgis_file_with_another_layout_is_named(tmp_path: Path) -> None:
    from spatialocc.datasets.build_us.read_nhgis import _read_nhgis_1970

    layout = tmp_path / bu.RAW_FILES["nhgis_1970_layout"].path
    layout.parent.mkdir(parents=True)
    layout.write_text(
        "variable,type,start,end,label\nstatea,string,1,2,State\ncountya,string,3,5,County\n"
    )
    (tmp_path / bu.RAW_FILES["nhgis_1970"].path).write_text("01001\n")
    with pytest.raises(bu.RawDataFormatError, match=r"nhgis0008_ds98_1970_county\.dat") as info:
        _read_nhgis_1970(tmp_path)
    assert "c0z001" in str(info.value) and "nhgis.org" in str(info.value)


@needs_raw
def test_1980_cnr_shares_are_anchored_on_college_shares(us: xr.Dataset) -> None:
    """1980 city CNR shares: logit S[n] = logit(college share of persons 25+) + kappa, one
    kappa for all cities (NHGIS 1980 dhm005 over dhm001-005, read here from the CSV)."""
    nhgis = pd.read_csv(
        RAW / "census_county/nhgis0012_ds107_1980_county.csv", dtype={"fips": str}
    ).set_index("fips")
    kappa = json.loads(us["employment"].attrs["calibration"])["kappa_1980"]
    L = us["employment"].sel(year=1980).sum("industry")
    share = (L.sel(occupation="CNR") / L.sum("occupation")).to_series()
    for cbsa in ("12420", "41940", "49180", "35620"):
        rows = nhgis.loc[[c for c in _metro_counties(cbsa) if c in nhgis.index]]
        education = rows[[f"dhm{i:03d}" for i in range(1, 6)]].to_numpy().sum(axis=0)
        college = education[-1] / education.sum()
        assert special.logit(share[cbsa]) - special.logit(college) == pytest.approx(
            kappa, abs=1e-10
        )
    national = float(L.sel(occupation="CNR").sum() / L.sum())
    assert national == pytest.approx(bu.CNR_SHARE_1980, rel=1e-10)


def test_naics_codes_have_a_1980_group() -> None:
    from spatialocc.datasets.build_us.crosswalks import group_1980

    assert group_1980("722") == 8 and group_1980("721") == 11  # eating places are retail
    assert group_1980("5415") == 14 and group_1980("561") == 10
    assert group_1980("336111") == 4 and group_1980("311") == 3
    with pytest.raises(KeyError):
        group_1980("92")  # public administration: not in the model


@needs_raw
def test_1980_wages_are_bea_wages_over_nhgis_employed(us: xr.Dataset) -> None:
    """1980 city average wage = BEA CAINC4 1980 wages and salaries (line 50) over NHGIS 1980
    employed civilians plus armed forces, times one national factor; the CNR premium is the
    same in every city. Charlottesville's BEA unit 51901 combines Albemarle County and
    Charlottesville city, both in the CBSA."""
    bea = pd.read_csv(RAW / "bea/CAINC4_counties_1969_2023.csv.gz", dtype=str, encoding="latin-1")
    bea = bea[bea["LineCode"].str.strip() == "50"]
    wages = pd.Series(
        pd.to_numeric(bea["1980"].str.strip(), errors="coerce").to_numpy() * 1000.0,
        index=bea["GeoFIPS"].str.strip().str.strip('"').to_numpy(),
    )
    nhgis = pd.read_csv(
        RAW / "census_county/nhgis0012_ds107_1980_county.csv", dtype={"fips": str}
    ).set_index("fips")
    columns = [f"dia{i:03d}" for i in range(1, 16)] + ["dhx001", "dhx005"]
    employed = nhgis[columns].sum(axis=1)
    units = {
        "12420": _metro_counties("12420"),
        "41940": _metro_counties("41940"),
        "16820": ["51901"] + [c for c in _metro_counties("16820") if c not in ("51003", "51540")],
    }
    factor = json.loads(us["wage"].attrs["bea_wage_factor_1980"])
    level = json.loads(us["wage"].attrs["national_level_1980"])
    wage = us["wage"].sel(year=1980)
    L = us["employment"].sel(year=1980).sum("industry")
    for cbsa, bea_units in units.items():
        persons = employed.loc[_metro_counties(cbsa)].sum()
        mean = wages.loc[bea_units].sum() / persons
        got = float((wage.sel(city=cbsa) * L.sel(city=cbsa)).sum() / L.sel(city=cbsa).sum())
        assert got == pytest.approx(factor * mean, rel=1e-10), cbsa
    premium = (wage.sel(occupation="CNR") / wage.sel(occupation="nonCNR")).values
    np.testing.assert_allclose(premium, level["CNR"] / level["nonCNR"], rtol=1e-12)


def test_bea_county_file_without_wage_lines_is_named(tmp_path: Path) -> None:
    from spatialocc.datasets.build_us.read_bea import _read_county_wages

    target = tmp_path / bu.RAW_FILES["bea_county_wages"].path
    target.parent.mkdir(parents=True)
    text = 'GeoFIPS,GeoName,LineCode,1980\n" 01001","Autauga, AL",10,1\n'
    target.write_bytes(gzip.compress(text.encode()))
    with pytest.raises(bu.RawDataFormatError, match=r"CAINC4_counties") as info:
        _read_county_wages(tmp_path, "1980")
    assert "bea.gov" in str(info.value) and "line 50" in str(info.value)


def test_1980_industry_cells_flagged_measured(us: xr.Dataset) -> None:
    """At least 90% of the 1980 industry x city cells are measured (all of 2015: CBP); the
    unmeasured ones are the non-tradable cells of the CBSAs whose local services the build
    repairs, and nothing else."""
    flag = us["measured_industry_employment"]
    assert flag.dtype == bool and bool(flag.sel(year=2015).all())
    assert float(flag.sel(year=1980).mean()) >= 0.9
    off = flag.sel(year=1980).where(~flag.sel(year=1980), drop=True)
    assert sorted(off["city"].values.tolist()) == sorted(bu.LOCAL_DEMAND_REPAIR_1980)
    assert set(off["industry"].values.tolist()) == set(us["industry"].values[~bu.TRADABLE])


@needs_raw
@pytest.mark.parametrize("cbsa", ["10180", "12420", "41940", "49180"])
def test_1980_single_group_industries_are_nhgis_counts(us: xr.Dataset, cbsa: str) -> None:
    """Where an NHGIS 1980 group is one industry (transportation, wholesale, health,
    education), the 1980 cell is the group's employed persons summed over the CBSA's counties
    (read here from the extract's CSV conversion; the build reads the fixed-width file) times
    the national factor and that industry's national factor, nothing city-specific."""
    nhgis = pd.read_csv(
        RAW / "census_county/nhgis0012_ds107_1980_county.csv", dtype={"fips": str}
    ).set_index("fips")
    employment = us["employment"]
    level = json.loads(employment.attrs["calibration"])["national_factor_1980"]
    factors = json.loads(employment.attrs["industry_factor_1980"])
    L = employment.sel(year=1980, city=cbsa).sum("occupation")
    counties = nhgis.loc[_metro_counties(cbsa)]
    for industry, column in [
        ("Transport", "dia005"),
        ("Wholesale", "dia007"),
        ("Health", "dia012"),
        ("Education", "dia013"),
    ]:
        expected = counties[column].sum() * level * factors[industry]
        assert float(L.sel(industry=industry)) == pytest.approx(expected, rel=1e-10), industry


@needs_raw
def test_1980_inversion_fails_without_the_local_demand_repair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The repair list is what the data need and no more: built without it, the 1980
    inversion fails in exactly the listed CBSAs (their local services exceed local demand)."""
    from spatialocc.datasets.build_us import measured_1980
    from spatialocc.dims import InconsistentDataError
    from spatialocc.solvers import invert

    monkeypatch.setattr(measured_1980, "LOCAL_DEMAND_REPAIR_1980", ())
    data = bu.build_us(RAW).sel(year=1980)
    with pytest.raises(InconsistentDataError, match="wage bill exceeds local demand") as err:
        invert(data)
    message = str(err.value)
    cities = message[message.index("in cities") : message.index(":", message.index("in cities"))]
    assert sorted(c.strip(" '") for c in cities[len("in cities") :].split(",")) == sorted(
        bu.LOCAL_DEMAND_REPAIR_1980
    )
