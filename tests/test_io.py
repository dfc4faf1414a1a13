"""NetCDF exchange: ``spatialocc.to_netcdf`` and ``spatialocc.open_dataset``.

The round-trip tests compare with :func:`spatialocc.dims.io.prepare` (what is written: the
input plus schema attributes and the package version) using ``assert_identical`` and, because
``assert_identical`` compares values with ``==`` (``True == 1``, ``int8 == bool`` arrays), a
stricter check of dtypes and attribute types on top.
"""

from __future__ import annotations

import errno
import numbers
import os
import re
import stat
import unicodedata
from pathlib import Path

import dask.array as dsa
import netCDF4
import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import spatialocc
from spatialocc.dims import errors, io
from spatialocc.dims.schema import COORDINATES, DIMENSIONS, VARIABLES
from spatialocc.dims.validation import validate

# -- helpers -----------------------------------------------------------------------------------


def _attr_kind(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "float"
    if isinstance(value, str):
        return "str"
    return type(value).__name__


def _assert_attrs_strict(got: dict, expected: dict, owner: str) -> None:
    assert set(got) == set(expected), (owner, got, expected)
    for key, want in expected.items():
        have = got[key]
        assert _attr_kind(have) == _attr_kind(want), (owner, key, have, want)
        if _attr_kind(want) == "float":
            # repr distinguishes -0.0 from 0.0 and compares inf exactly
            assert repr(float(have)) == repr(float(want)), (owner, key, have, want)
        else:
            assert have == want, (owner, key, have, want)


def _assert_dtype_strict(got: np.dtype, expected: np.dtype, name: str, values) -> None:
    if expected.kind in "USO":
        assert got.kind in "US" or (
            got.kind == "O" and all(isinstance(x, str) for x in np.ravel(values))
        ), (name, got, expected)
    else:
        assert got == expected, (name, got, expected)


def assert_roundtrip(back: xr.Dataset, expected: xr.Dataset) -> None:
    """``assert_identical`` plus exact dtypes and attribute types."""
    xr.testing.assert_identical(back, expected)
    assert set(back.coords) == set(expected.coords)
    assert dict(back.sizes) == dict(expected.sizes)
    for name, var in expected.variables.items():
        got = back.variables[name]
        assert got.dims == var.dims, name
        _assert_dtype_strict(got.dtype, var.dtype, str(name), got.values)
        _assert_attrs_strict(got.attrs, var.attrs, str(name))
    _assert_attrs_strict(back.attrs, expected.attrs, "<dataset>")


def roundtrip(ds: xr.Dataset, path) -> xr.Dataset:
    spatialocc.to_netcdf(ds, path)
    return spatialocc.open_dataset(path)


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _can_open_for_append(path) -> bool:
    """HDF5 refuses to reopen a file for writing while this process still has it open."""
    try:
        nc = netCDF4.Dataset(path, "a")
    except OSError:
        return False
    nc.close()
    return True


@pytest.fixture(scope="module")
def economy() -> xr.Dataset:
    return spatialocc.datasets.synthetic(n_cities=6, n_industries=4, years=(1980, 2015))


@pytest.fixture(scope="module")
def model() -> xr.Dataset:
    # 8 cities (seed 0) has empty tradable city-industries, hence x = +inf in unit_cost;
    # the 6-city economy has none.
    data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(1980, 2015))
    return spatialocc.invert(data)


# -- 1. lossless round trip --------------------------------------------------------------------


def test_roundtrip_synthetic_economy(tmp_path, economy):
    path = tmp_path / "economy.nc"
    back = roundtrip(economy, path)
    assert_roundtrip(back, io.prepare(economy))
    assert leftovers(tmp_path) == ["economy.nc"]


def test_roundtrip_inversion_of_the_six_city_economy(tmp_path, economy):
    inverted = spatialocc.invert(economy)
    back = roundtrip(inverted, tmp_path / "inverted.nc")
    assert_roundtrip(back, io.prepare(inverted))


def test_roundtrip_inverted_model(tmp_path, model):
    assert np.isposinf(model["unit_cost"]).any()
    assert model["converged"].dtype == bool
    assert model["iterations"].dtype.kind == "i"
    back = roundtrip(model, tmp_path / "model.nc")
    assert_roundtrip(back, io.prepare(model))
    assert np.array_equal(np.isposinf(back["unit_cost"]), np.isposinf(model["unit_cost"]))


def test_roundtrip_with_batch_dimensions(tmp_path, economy):
    scenarios = xr.DataArray(["low", "mid", "high"], dims="scenario", name="scenario")
    batched = xr.concat([economy.copy() for _ in range(3)], dim=scenarios, coords="minimal")
    batched = batched.assign(
        employment=batched["employment"] * xr.DataArray([0.5, 1.0, 2.0], dims="scenario")
    )
    batched = batched.expand_dims(draw=[0.25, 0.5]).assign_coords(
        best=("draw", [True, False]), seed=("draw", [7, 8])
    )
    batched.attrs = dict(economy.attrs, replicated=True, n_draws=2)
    back = roundtrip(batched, tmp_path / "batched.nc")
    assert_roundtrip(back, io.prepare(batched))
    assert set(back["employment"].dims) >= {"scenario", "draw"}


def test_input_is_not_modified(tmp_path, model):
    ds = model.assign_attrs(flag=True)
    ds["bare"] = ds["wage"].copy(data=ds["wage"].values).assign_attrs(tag=True)
    ds["wage"].attrs = {"checked": False}
    before = ds.copy(deep=True)
    spatialocc.to_netcdf(ds, tmp_path / "m.nc")
    assert_roundtrip(ds, before)
    assert ds["wage"].attrs == {"checked": False}
    assert io.VERSION_ATTR not in ds.attrs
    assert io.BOOL_ATTRS not in ds.attrs


def test_user_attributes_win_over_schema(tmp_path, economy):
    ds = economy.copy()
    ds["wage"] = ds["wage"].assign_attrs(units="thousands of 2015 dollars")
    back = roundtrip(ds, tmp_path / "u.nc")
    assert back["wage"].attrs["units"] == "thousands of 2015 dollars"
    assert back["wage"].attrs["symbol"] == VARIABLES["wage"].symbol


@pytest.mark.parametrize(
    ("var_name", "attrs"),
    [
        ("plain", {"a;b": True, "c": False}),
        ("plain", {"a:b": True, "a": False}),
        ("v:w", {"flag": True}),
        ("__dataset__", {"flag": True}),
        ("a;b", {"x:y;z": False}),
    ],
)
def test_bool_attributes_with_awkward_names(tmp_path, var_name, attrs):
    ds = xr.Dataset({var_name: ("scenario", [1.0, 2.0], attrs)}, attrs={"flag": False})
    back = roundtrip(ds, tmp_path / "awkward.nc")
    assert_roundtrip(back, io.prepare(ds))


def test_names_not_in_nfc_come_back_normalized(tmp_path):
    """NetCDF-C stores names in Unicode NFC; the bool bookkeeping must follow suit."""
    angstrom, a_ring = "\u212b", "\u00c5"  # ANGSTROM SIGN normalizes to A WITH RING ABOVE
    ds = xr.Dataset(
        {f"v{angstrom}": ("scenario", [1.0], {f"fl{angstrom}g": True})}, attrs={angstrom: False}
    )
    back = roundtrip(ds, tmp_path / "nfc.nc")
    expected = xr.Dataset(
        {f"v{a_ring}": ("scenario", [1.0], {f"fl{a_ring}g": True})}, attrs={a_ring: False}
    )
    assert_roundtrip(back, io.prepare(expected))


def test_reserved_bool_attribute_name_in_input(tmp_path):
    """A Dataset that already carries the bookkeeping attribute (e.g. a file read with plain
    xarray) is written with fresh bookkeeping instead of a corrupt one."""
    ds = xr.Dataset({"v": ("scenario", [1.0], {"ok": True})}, attrs={io.BOOL_ATTRS: "junk"})
    back = roundtrip(ds, tmp_path / "reserved.nc")
    assert_roundtrip(back, io.prepare(ds))
    assert io.BOOL_ATTRS not in back.attrs
    assert back["v"].attrs["ok"] is True


def test_rewrite_of_file_read_with_plain_xarray_keeps_bool_attributes(tmp_path, model):
    ds = model.assign_attrs(flag=True)
    ds["wage"] = ds["wage"].assign_attrs(checked=False)
    spatialocc.to_netcdf(ds, tmp_path / "first.nc")
    with xr.open_dataset(tmp_path / "first.nc") as plain:
        assert type(plain.attrs["flag"]) is np.int8  # what NetCDF can store
        again = roundtrip(plain.load(), tmp_path / "again.nc")
    assert_roundtrip(again, io.prepare(ds))
    assert again.attrs["flag"] is True
    assert again["wage"].attrs["checked"] is False


def test_reads_bool_attributes_of_version_0_1_0(tmp_path):
    path = tmp_path / "old.nc"
    xr.Dataset(
        {"v": ("scenario", [1.0], {"ok": np.int8(1)})},
        attrs={"flag": np.int8(0), io.BOOL_ATTRS: "__dataset__:flag;v:ok"},
    ).to_netcdf(path)
    back = spatialocc.open_dataset(path)
    assert back.attrs["flag"] is False
    assert back["v"].attrs["ok"] is True
    assert io.BOOL_ATTRS not in back.attrs


# -- hypothesis strategy -----------------------------------------------------------------------

#: Names that xarray's CF encoding/decoding or netCDF4 treat specially.
CF_RESERVED = {
    "_FillValue",
    "missing_value",
    "scale_factor",
    "add_offset",
    "units",
    "calendar",
    "coordinates",
    "dtype",
    "compress",
    "bounds",
    "grid_mapping",
    "cell_measures",
    "ancillary_variables",
    "formula_terms",
    "flag_values",
    "flag_meanings",
    "valid_range",
    "valid_min",
    "valid_max",
    "_Unsigned",
    "_Encoding",
    "contiguous",
    "chunksizes",
    "zlib",
    "shuffle",
    "endian",
    "least_significant_digit",
}
SCHEMA_NAMES = set(VARIABLES) | set(COORDINATES) | set(DIMENSIONS)
RESERVED = CF_RESERVED | SCHEMA_NAMES | {io.VERSION_ATTR, io.BOOL_ATTRS}
BATCH_DIMS = ("scenario", "draw", "step")

names = st.from_regex(r"[a-z][a-z0-9_]{0,9}", fullmatch=True).filter(
    lambda n: n not in RESERVED and not n.startswith("residual_")
)
# any unicode text except NUL (C strings) and lone surrogates (not encodable as UTF-8)
texts = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
attr_values = st.one_of(
    texts,
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.booleans(),
    st.booleans().map(np.bool_),
)
attr_dicts = st.dictionaries(names, attr_values, max_size=4)

_label_elements = {
    "str": texts,
    "int": st.integers(-(2**63), 2**63 - 1),
    "float": st.floats(allow_nan=True),
    "bool": st.booleans(),
}


def _unique_labels(kind: str, min_size: int = 0, max_size: int = 3):
    return st.lists(
        _label_elements[kind],
        min_size=min_size,
        max_size=max_size,
        unique_by=lambda x: (type(x), repr(x)),
    ).filter(lambda xs: kind != "float" or len({float(x) for x in xs}) == len(xs))


@st.composite
def user_arrays(draw, shape: tuple[int, ...]):
    kind = draw(st.sampled_from(["float64", "float32", "int64", "int32", "bool", "str"]))
    if kind == "str":
        return draw(hnp.arrays(object, shape, elements=texts)).astype(str)
    dtype = np.dtype(kind)
    elements = None
    if dtype.kind == "f":
        elements = st.floats(allow_nan=True, allow_infinity=True, width=dtype.itemsize * 8)
    return draw(hnp.arrays(dtype, shape, elements=elements))


@st.composite
def datasets(draw) -> xr.Dataset:
    coords: dict[str, object] = {}
    city_group = draw(st.sampled_from(["none", "city", "city+origin"]))
    if city_group != "none":
        labels = draw(_unique_labels("str", 0, 3))
        coords["city"] = ("city", np.array(labels, dtype=str), draw(attr_dicts))
        if city_group == "city+origin":
            coords["origin"] = ("origin", np.array(labels, dtype=str), draw(attr_dicts))
        n = len(labels)
        if draw(st.booleans()):
            coords["city_name"] = ("city", draw(hnp.arrays(object, n, elements=texts)).astype(str))
        if draw(st.booleans()):
            lat = draw(hnp.arrays(float, n, elements=st.floats(-90, 90)))
            coords["lat"] = ("city", lat, draw(attr_dicts))
        if draw(st.booleans()):
            coords["division"] = ("city", draw(hnp.arrays(np.int64, n, elements=st.integers(1, 9))))
    industry_group = draw(st.sampled_from(["none", "industry", "industry+input"]))
    if industry_group != "none":
        labels = draw(_unique_labels("str", 0, 3))
        coords["industry"] = ("industry", np.array(labels, dtype=str))
        if industry_group == "industry+input":
            coords["input"] = ("input", np.array(labels, dtype=str))
        if draw(st.booleans()):
            coords["tradable"] = ("industry", draw(hnp.arrays(bool, len(labels))))
    if draw(st.booleans()):
        coords["occupation"] = np.array(draw(_unique_labels("str", 1, 2)), dtype=str)
    if draw(st.booleans()):
        years = draw(st.lists(st.integers(1900, 2100), min_size=1, max_size=3, unique=True))
        coords["year"] = ("year", np.array(years, dtype=np.int64), draw(attr_dicts))

    sizes = {d: len(np.asarray(c[1] if isinstance(c, tuple) else c)) for d, c in coords.items()}
    sizes = {d: n for d, n in sizes.items() if d in DIMENSIONS}
    for dim in draw(st.lists(st.sampled_from(BATCH_DIMS), unique=True, max_size=2)):
        kind = draw(st.sampled_from(["str", "int", "float", "bool", "none"]))
        if kind == "none":
            sizes[dim] = draw(st.integers(0, 3))
            continue
        labels = draw(_unique_labels(kind, 0, 2 if kind == "bool" else 3))
        dtype = {"str": str, "int": np.int64, "float": np.float64, "bool": bool}[kind]
        coords[dim] = (dim, np.array(labels, dtype=dtype), draw(attr_dicts))
        sizes[dim] = len(labels)

    all_dims = list(sizes)
    data_vars: dict[str, tuple] = {}
    extra_coords: dict[str, tuple] = {}
    for name in draw(st.lists(names, unique=True, max_size=4)):
        dims = tuple(draw(st.permutations(all_dims))[: draw(st.integers(0, len(all_dims)))])
        values = draw(user_arrays(tuple(sizes[d] for d in dims)))
        target = extra_coords if draw(st.integers(0, 3)) == 0 else data_vars
        target[name] = (dims, values, draw(attr_dicts))
    ds = xr.Dataset(data_vars, coords={**coords, **extra_coords}, attrs=draw(attr_dicts))
    for dim, size in sizes.items():  # dimensions without a coordinate and without variables
        if dim not in ds.dims:
            ds = ds.expand_dims({dim: size}) if size else ds
    return validate(ds)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ds=datasets())
def test_roundtrip_hypothesis(tmp_path, ds):
    path = tmp_path / "random.nc"
    back = roundtrip(ds, path)
    assert_roundtrip(back, io.prepare(ds))
    assert leftovers(tmp_path) == ["random.nc"]


#: NetCDF-4 names: no "/", no control characters, no leading/trailing space, NFC (see
#: test_names_not_in_nfc_come_back_normalized); the leading "v" keeps the first character legal.
netcdf_names = (
    st.text(st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="/"), max_size=8)
    .map(lambda n: "v" + n)
    .filter(lambda n: n == n.rstrip() and n == unicodedata.normalize("NFC", n))
    .filter(lambda n: n not in RESERVED)
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    var=netcdf_names,
    var_attrs=st.dictionaries(netcdf_names, attr_values, max_size=4),
    global_attrs=st.dictionaries(netcdf_names, attr_values, max_size=4),
)
def test_roundtrip_unicode_names_hypothesis(tmp_path, var, var_attrs, global_attrs):
    ds = xr.Dataset(
        {var: ("scenario", [1.5, np.nan], var_attrs)},
        coords={"scenario": ("scenario", [True, False], var_attrs)},
        attrs=global_attrs,
    )
    back = roundtrip(ds, tmp_path / "names.nc")
    assert_roundtrip(back, io.prepare(ds))


# -- 2. what the file carries ------------------------------------------------------------------


def test_file_carries_schema_attributes_and_canonical_names(tmp_path, model):
    model = model.copy()
    for var in model.variables.values():  # the attributes must come from to_netcdf
        var.attrs = {}
    path = spatialocc.to_netcdf(model, tmp_path / "model.nc")
    with netCDF4.Dataset(path) as nc:
        assert nc.getncattr("spatialocc_version") == spatialocc.__version__
        assert set(nc.dimensions) == {"year", "occupation", "city", "origin", "industry", "input"}
        assert {name: len(dim) for name, dim in nc.dimensions.items()} == dict(model.sizes)
        for name in model.data_vars:
            assert name in nc.variables, name
            var = nc.variables[name]
            assert var.dimensions == model[name].dims, name
            if name in VARIABLES:
                entry = VARIABLES[name]
                assert var.getncattr("long_name") == entry.long_name, name
                assert var.getncattr("units") == entry.units, name
                assert var.getncattr("symbol") == entry.symbol, name
        for name in ("city", "origin", "industry", "input", "occupation", "year"):
            assert nc.variables[name].getncattr("long_name") == DIMENSIONS[name].long_name
        for name in ("lat", "lon", "division", "tradable", "city_name"):
            assert nc.variables[name].getncattr("units") == COORDINATES[name].units
        cities = [str(c) for c in nc.variables["city"][:]]
        assert cities == [str(c) for c in model["city"].values]
        assert np.allclose(
            nc.variables["wage"][:], model["wage"].transpose(*nc.variables["wage"].dimensions)
        )


def test_schema_attributes_are_read_back(tmp_path, economy):
    back = roundtrip(economy, tmp_path / "e.nc")
    for name in economy.data_vars:
        if name in VARIABLES:
            assert back[name].attrs["symbol"] == VARIABLES[name].symbol
    assert back.attrs[io.VERSION_ATTR] == spatialocc.__version__


# -- 3. atomic writes --------------------------------------------------------------------------


class Boom(RuntimeError):
    pass


def _failing_to_netcdf(exc_type, calls):
    def fake(self, path=None, *args, **kwargs):
        calls.append(os.fspath(path))
        with open(path, "wb") as fh:
            fh.write(b"\x89HDF\r\n\x1a\n partial")
        raise exc_type("interrupted mid-write")

    return fake


@pytest.mark.parametrize("exc_type", [Boom, KeyboardInterrupt])
@pytest.mark.parametrize("existing", [False, True])
def test_error_mid_write_leaves_nothing_behind(tmp_path, monkeypatch, economy, exc_type, existing):
    path = tmp_path / "economy.nc"
    if existing:
        spatialocc.to_netcdf(economy, path)
        before = path.read_bytes()
    calls: list[str] = []
    monkeypatch.setattr(xr.Dataset, "to_netcdf", _failing_to_netcdf(exc_type, calls))
    with pytest.raises(exc_type):
        spatialocc.to_netcdf(economy, path)
    assert len(calls) == 1
    assert os.path.dirname(calls[0]) == str(tmp_path)  # written beside the target...
    assert calls[0] != str(path)  # ...under another name
    if existing:
        assert path.read_bytes() == before
        assert leftovers(tmp_path) == ["economy.nc"]
    else:
        assert not path.exists()
        assert leftovers(tmp_path) == []


DISK_FULL_ERRORS = {
    "ENOSPC": OSError(errno.ENOSPC, "No space left on device"),
    "HDF error on a full disk": RuntimeError("NetCDF: HDF error"),
}


@pytest.mark.parametrize("error", sorted(DISK_FULL_ERRORS))
@pytest.mark.parametrize("existing", [False, True])
def test_full_disk_says_so(tmp_path, monkeypatch, economy, error, existing):
    """A full disk gave "NetCDF: HDF error": it is an OSError ENOSPC naming the file, and the
    write still leaves nothing behind."""
    path = tmp_path / "economy.nc"
    if existing:
        spatialocc.to_netcdf(economy, path)
        before = path.read_bytes()
    raised = DISK_FULL_ERRORS[error]
    monkeypatch.setattr(xr.Dataset, "to_netcdf", _failing_to_netcdf(lambda _: raised, []))
    monkeypatch.setattr(io, "_free_space", lambda folder: 0)
    expected = re.escape(f"no space left on device while writing {path}")
    with pytest.raises(OSError, match=expected) as info:
        spatialocc.to_netcdf(economy, path)
    assert info.value.errno == errno.ENOSPC and info.value.__cause__ is raised
    assert str(raised) in str(info.value)
    if existing:
        assert path.read_bytes() == before
        assert leftovers(tmp_path) == ["economy.nc"]
    else:
        assert leftovers(tmp_path) == []


def test_full_disk_is_reported_for_tables_and_figures_too(tmp_path):
    target = tmp_path / "table.md"
    expected = re.escape(f"no space left on device while writing {target}")
    with pytest.raises(OSError, match=expected), io.atomic_path(target) as tmp:
        tmp.write_text("| a")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert leftovers(tmp_path) == []


def test_hdf_error_with_free_space_is_not_called_a_full_disk(tmp_path, monkeypatch, economy):
    raised = RuntimeError("NetCDF: HDF error")
    monkeypatch.setattr(xr.Dataset, "to_netcdf", _failing_to_netcdf(lambda _: raised, []))
    with pytest.raises(RuntimeError) as info:
        spatialocc.to_netcdf(economy, tmp_path / "economy.nc")
    assert info.value is raised


@pytest.mark.parametrize("existing", [False, True])
def test_error_while_computing_dask_variable(tmp_path, economy, existing):
    path = tmp_path / "lazy.nc"
    if existing:
        spatialocc.to_netcdf(economy, path)
        before = path.read_bytes()

    def explode(block):
        raise Boom("failed while computing a chunk")

    lazy = dsa.ones((4, 3), chunks=(2, 3)).map_blocks(explode, dtype=float)
    ds = economy.assign(bad=(("scenario", "step"), lazy))
    with pytest.raises(Boom):
        spatialocc.to_netcdf(ds, path)
    if existing:
        assert path.read_bytes() == before
        assert leftovers(tmp_path) == ["lazy.nc"]
    else:
        assert leftovers(tmp_path) == []


def test_missing_folder(tmp_path, economy):
    path = tmp_path / "missing" / "economy.nc"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        spatialocc.to_netcdf(economy, path)
    assert leftovers(tmp_path) == []


def test_failed_replace_cleans_up(tmp_path, economy):
    target = tmp_path / "is_a_folder.nc"
    target.mkdir()
    with pytest.raises(OSError):
        spatialocc.to_netcdf(economy, target)
    assert leftovers(tmp_path) == ["is_a_folder.nc"]
    assert list(target.iterdir()) == []


def test_file_permissions_follow_umask(tmp_path, economy):
    """The temporary file must not leave the result readable only by its owner."""
    reference = tmp_path / "reference.txt"
    reference.write_text("x")
    path = spatialocc.to_netcdf(economy, tmp_path / "economy.nc")
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(reference.stat().st_mode)


def test_every_file_type_gets_the_same_permissions(tmp_path, economy):
    """Tables and figures go through the same atomic write as NetCDF: before, they were
    written with tempfile.mkstemp and kept its owner-only mode 0o600."""
    pytest.importorskip("matplotlib")
    from spatialocc import pipeline, plot

    reference = tmp_path / "reference.txt"
    reference.write_text("x")
    expected = stat.S_IMODE(reference.stat().st_mode)
    written = [
        spatialocc.to_netcdf(economy, tmp_path / "economy.nc"),
        pipeline.write_text(tmp_path / "table.md", "| a |\n"),
        plot.save(
            plot.scatter(xr.DataArray([1.0, 2.0]), xr.DataArray([2.0, 1.0])),
            tmp_path / "figure.png",
        ),
    ]
    assert [stat.S_IMODE(p.stat().st_mode) for p in written] == [expected] * 3
    assert (tmp_path / "table.md").read_text() == "| a |\n"


@pytest.mark.parametrize("existing", [False, True])
def test_failed_figure_or_table_write_leaves_nothing_behind(tmp_path, monkeypatch, existing):
    pytest.importorskip("matplotlib")
    import matplotlib.figure

    from spatialocc import pipeline, plot

    if existing:
        (tmp_path / "figure.png").write_bytes(b"old png")
        (tmp_path / "table.md").write_text("old table")

    def savefig(self, handle, *args, **kwargs):
        handle.write(b"\x89PNG partial")
        raise Boom("interrupted mid-write")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    with pytest.raises(Boom):
        plot.save(
            plot.scatter(xr.DataArray([1.0, 2.0]), xr.DataArray([2.0, 1.0])),
            tmp_path / "figure.png",
        )
    monkeypatch.setattr(Path, "write_text", lambda self, *a, **k: (_ for _ in ()).throw(Boom()))
    with pytest.raises(Boom):
        pipeline.write_text(tmp_path / "table.md", "new")
    monkeypatch.undo()
    if existing:
        assert (tmp_path / "figure.png").read_bytes() == b"old png"
        assert (tmp_path / "table.md").read_text() == "old table"
        assert leftovers(tmp_path) == ["figure.png", "table.md"]
    else:
        assert leftovers(tmp_path) == []


def test_dask_backed_input_is_written(tmp_path, economy):
    back = roundtrip(economy.chunk({"year": 1}), tmp_path / "chunked.nc")
    assert_roundtrip(back, io.prepare(economy))


# -- 4. reading --------------------------------------------------------------------------------


def test_read_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file"):
        spatialocc.open_dataset(tmp_path / "nothing.nc")


@pytest.mark.parametrize(
    "content",
    [
        b"city,wage\n10000,50000\n",
        np.random.default_rng(0).bytes(4096),
        b"",
        b"\x89HDF\r\n\x1a\n" + bytes(100),
    ],
    ids=["text", "random", "empty", "truncated-hdf5"],
)
def test_read_not_netcdf(tmp_path, content):
    path = tmp_path / "fake.nc"
    path.write_bytes(content)
    with pytest.raises(errors.FileFormatError, match="could not be read as NetCDF") as info:
        spatialocc.open_dataset(path)
    assert isinstance(info.value, ValueError)
    assert not isinstance(info.value, errors.SchemaError)
    assert str(path) in str(info.value)


def _negative_employment(ds):
    return ds.assign(employment=ds["employment"].where(ds["city"] != ds["city"][0], -5.0))


def _duplicate_cities(ds):
    labels = ds["city"].values.copy()
    labels[1] = labels[0]
    return ds.assign_coords(city=labels, origin=labels)


def _misnamed_dimension(ds):
    return ds.rename(industry="industries")


def _origin_mismatch(ds):
    return ds.assign_coords(origin=[f"x{i}" for i in range(ds.sizes["origin"])])


def _asymmetric_distance(ds):
    d = ds["distance"].copy()
    d[0, 1] = d[0, 1] * 2
    return ds.assign(distance=d)


def _nan_wage(ds):
    w = ds["wage"].copy()
    w[0, 0, 0] = np.nan
    return ds.assign(wage=w)


def _share_as_percent(ds):
    return ds.assign(value_added_share=ds["value_added_share"] * 100)


def _float_years(ds):
    return ds.assign_coords(year=ds["year"].astype(float))


BAD = {
    "negative employment": (_negative_employment, errors.NegativeValueError),
    "duplicate cities": (_duplicate_cities, errors.DuplicateLabelError),
    "misnamed dimension": (_misnamed_dimension, errors.DimensionError),
    "origin mismatch": (_origin_mismatch, errors.CoordinateMismatchError),
    "asymmetric distance": (_asymmetric_distance, errors.DistanceMatrixError),
    "nan wage": (_nan_wage, errors.NonFiniteValueError),
    "percent share": (_share_as_percent, errors.ShareError),
    "float years": (_float_years, errors.DimensionError),
}


@pytest.mark.parametrize("case", list(BAD))
def test_read_schema_violation(tmp_path, economy, case):
    make, expected = BAD[case]
    bad = make(economy)
    with pytest.raises(errors.SchemaError) as direct:
        spatialocc.validate(bad)
    assert type(direct.value) is expected
    path = tmp_path / "bad.nc"
    bad.to_netcdf(path)  # plain xarray: no validation
    with pytest.raises(errors.SchemaError) as info:
        spatialocc.open_dataset(path)
    assert type(info.value) is expected
    assert _can_open_for_append(path)


@pytest.mark.parametrize("case", ["duplicate cities", "misnamed dimension", "origin mismatch"])
def test_lazy_read_of_invalid_file_closes_it(tmp_path, economy, case):
    make, expected = BAD[case]
    path = tmp_path / "bad.nc"
    make(economy).to_netcdf(path)
    with pytest.raises(expected) as info:
        spatialocc.open_dataset(path, chunks={"year": 1})
    # the traceback (kept by `info`, or by an interactive session) references the Dataset
    assert info.value.__traceback__ is not None
    assert _can_open_for_append(path)


def test_read_kind_data_missing_variable(tmp_path, economy):
    path = tmp_path / "no_wage.nc"
    economy.drop_vars("wage").to_netcdf(path)
    spatialocc.open_dataset(path)  # fine without a kind
    with pytest.raises(errors.MissingVariableError, match="wage"):
        spatialocc.open_dataset(path, kind="data")
    spatialocc.to_netcdf(economy, path)
    assert "wage" in spatialocc.open_dataset(path, kind="data")


def test_read_kind_model(tmp_path, economy, model):
    path = spatialocc.to_netcdf(economy, tmp_path / "e.nc")
    with pytest.raises(errors.MissingVariableError):
        spatialocc.open_dataset(path, kind="model")
    path = spatialocc.to_netcdf(model, tmp_path / "m.nc")
    assert spatialocc.open_dataset(path, kind="model").sizes["city"] == 8


def test_read_chunked(tmp_path, economy):
    path = spatialocc.to_netcdf(economy, tmp_path / "e.nc")
    ds = spatialocc.open_dataset(path, chunks={"year": 1})
    try:
        for name, var in ds.data_vars.items():
            assert isinstance(var.data, dsa.Array) or var.ndim == 0, name
            if "year" in var.dims:
                assert var.chunks[var.dims.index("year")] == (1, 1), name
        assert not _can_open_for_append(path)  # lazy: still open, as documented
        assert_roundtrip(ds.compute(), io.prepare(economy))
    finally:
        ds.close()
    assert _can_open_for_append(path)


def test_read_closes_file(tmp_path, economy, model):
    path = spatialocc.to_netcdf(economy, tmp_path / "e.nc")
    first = spatialocc.open_dataset(path)
    assert not any(isinstance(v.data, dsa.Array) for v in first.variables.values())
    assert _can_open_for_append(path)
    spatialocc.to_netcdf(model, path)  # overwrite the file just read
    second = spatialocc.open_dataset(path)
    assert "productivity" in second and "productivity" not in first
    assert float(first["wage"].sum()) == float(economy["wage"].sum())


# -- 5. invalid input is not written -----------------------------------------------------------


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("existing", [False, True])
def test_refuses_invalid_dataset(tmp_path, economy, case, existing):
    make, expected = BAD[case]
    path = tmp_path / "out.nc"
    if existing:
        spatialocc.to_netcdf(economy, path)
        before = path.read_bytes()
    with pytest.raises(expected):
        spatialocc.to_netcdf(make(economy), path)
    if existing:
        assert path.read_bytes() == before
        assert leftovers(tmp_path) == ["out.nc"]
    else:
        assert leftovers(tmp_path) == []


def test_validate_schema_false_writes_but_reader_rejects(tmp_path, economy):
    path = spatialocc.to_netcdf(
        _negative_employment(economy), tmp_path / "neg.nc", validate_schema=False
    )
    with pytest.raises(errors.NegativeValueError):
        spatialocc.open_dataset(path)
