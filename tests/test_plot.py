"""Figures: PNG output, map geometry, fitted lines, Natural Earth handling, the registry.

No test touches the network: an autouse fixture points the maps to the Natural Earth GeoJSON
copies in ``../shared/data/raw/natural_earth`` (relative to the repository root), and the
offline path is exercised by making cartopy's download raise.
"""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.error
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

pytest.importorskip("matplotlib", reason='plotting needs matplotlib: pip install ".[plot]"')
pytest.importorskip("cartopy", reason='maps need cartopy: pip install ".[plot]"')

import cartopy.crs as ccrs
import cartopy.feature
import cartopy.io.shapereader
from matplotlib.image import imread

import spatialocc
from spatialocc import plot
from spatialocc.dims.errors import DimensionError, MissingVariableError
from spatialocc.solvers import counterfactuals as cf

NATURAL_EARTH = Path(__file__).resolve().parents[2] / "shared/data/raw/natural_earth"
needs_natural_earth = pytest.mark.skipif(
    not NATURAL_EARTH.is_dir(),
    reason=f"the Natural Earth GeoJSON folder {NATURAL_EARTH} (../shared/data/raw/natural_earth "
    "relative to the repository root) is absent",
)
CUE = {
    "tau_share": {"CNR": 1.304, "nonCNR": 0.835},
    "tau_size": {"CNR": 0.349, "nonCNR": 0.357},
}
PIXELS = (550, 800)  # rows, columns of a standard figure saved at the default dpi
MAPS = {"figure05", "figure06", "figure07", "figure10", "figure11", "figure16"}


def _offline(*args, **kwargs):
    raise urllib.error.URLError("no network in tests")


@pytest.fixture(autouse=True)
def _natural_earth(monkeypatch):
    """Maps read the local GeoJSON copies; cartopy can never download anything."""
    monkeypatch.setattr(cartopy.io.shapereader, "natural_earth", _offline)
    if NATURAL_EARTH.is_dir():
        monkeypatch.setenv(plot.NATURAL_EARTH_ENV, str(NATURAL_EARTH))
    else:
        monkeypatch.delenv(plot.NATURAL_EARTH_ENV, raising=False)


@pytest.fixture(scope="module")
def inputs(small_model) -> dict[str, xr.Dataset | xr.DataArray]:
    """Every input of draw_all for the 12-city, 6-industry economy of conftest."""
    model = spatialocc.with_externalities(small_model.sel(year=2015), **CUE)
    out: dict[str, xr.Dataset | xr.DataArray] = {
        "model": model,
        "no_externalities": spatialocc.solve_equilibrium(cf.no_externalities(model)),
        "optimum": spatialocc.solve_optimal(model),
    }
    for name, transform in (
        ("no_trade_costs", cf.no_trade_costs),
        ("homogeneous_linkages", cf.homogeneous_linkages),
    ):
        variant = transform(model)
        out[f"equilibrium_{name}"] = spatialocc.solve_equilibrium(variant)
        out[f"optimum_{name}"] = spatialocc.solve_optimal(variant)
    # Figure 17 accepts any optimum Dataset as the variant.
    out["optimum_additive_amenities"] = out["optimum_no_trade_costs"]
    both_years = spatialocc.with_externalities(small_model, **CUE)
    out["technology_change"] = spatialocc.reports.technology_change(both_years)
    out["population_share"] = plot.cnr_share_distribution(
        {
            "Baseline 1980": small_model.sel(year=1980),
            "2015 data": model,
            "2015 optimum": out["optimum"],
        }
    )
    return out


def assert_png(path: Path, shape: tuple[int, int] = PIXELS) -> None:
    image = imread(path)
    assert image.shape[:2] == shape
    assert float(image.std()) > 0
    rgba = np.ascontiguousarray(np.round(255 * image).astype(np.uint8))
    colors = np.unique(rgba.view(np.uint32)) if rgba.shape[-1] == 4 else np.unique(rgba)
    assert colors.size > 2


def fit_line(ax):
    (line,) = [line for line in ax.get_lines() if line.get_gid() == "fit"]
    return line


def line_slope(line) -> float:
    x, y = line.get_xdata(), line.get_ydata()
    return float((y[-1] - y[0]) / (x[-1] - x[0]))


def city_markers(ax):
    (markers,) = [c for c in ax.collections if c.get_gid() == "cities"]
    return markers


def border_layers(ax) -> set[str]:
    return {
        str(a.get_gid()).removeprefix("natural_earth:")
        for a in ax.get_children()
        if str(a.get_gid()).startswith("natural_earth:")
    }


# -- building blocks -------------------------------------------------------------------------


def test_scatter_fit_is_weighted_least_squares() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=40)
    y = 0.7 * x + rng.normal(scale=0.5, size=40)
    weights = rng.uniform(1e3, 1e6, size=40)
    y[3] = np.nan  # left out of the markers and the fit
    da = {k: xr.DataArray(v, dims="city") for k, v in {"x": x, "y": y, "w": weights}.items()}
    fig = plot.scatter(da["x"], da["y"], size=da["w"], xlabel="x (units)", ylabel="y (units)")
    ax = fig.axes[0]
    keep = np.isfinite(y)
    expected = np.polyfit(x[keep], y[keep], 1, w=np.sqrt(weights[keep]))
    line = fit_line(ax)
    assert line_slope(line) == pytest.approx(expected[0], rel=1e-10)
    assert np.polyval(expected, line.get_xdata()) == pytest.approx(line.get_ydata(), rel=1e-10)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"weighted linear fit, slope = {expected[0]:.3g}"]
    assert len(ax.collections[0].get_offsets()) == keep.sum()
    # marker areas are proportional to the weights
    areas = ax.collections[0].get_sizes()
    assert areas.max() / areas.min() == pytest.approx(weights[keep].max() / weights[keep].min())


def test_scatter_cubic_fit_diagonal_and_labels() -> None:
    rng = np.random.default_rng(1)
    x = np.linspace(0.1, 0.6, 30)
    y = x**3 - x + rng.normal(scale=0.01, size=30)
    weights = rng.uniform(1, 10, size=30)
    names = [f"City {i}" for i in range(30)]
    coords = {"city": [f"{i:05d}" for i in range(30)], "city_name": ("city", names)}
    da = {k: xr.DataArray(v, dims="city", coords=coords) for k, v in {"x": x, "y": y}.items()}
    size = xr.DataArray(weights, dims="city", coords=coords)
    fig = plot.scatter(da["x"], da["y"], size=size, fit=3, diagonal=True, labels=2)
    ax = fig.axes[0]
    line = fit_line(ax)
    expected = np.polyfit(x, y, 3, w=np.sqrt(weights))
    assert line.get_ydata() == pytest.approx(np.polyval(expected, line.get_xdata()), abs=1e-10)
    (diagonal,) = [line for line in ax.get_lines() if line.get_gid() == "diagonal"]
    assert np.array_equal(diagonal.get_xdata(), diagonal.get_ydata())
    largest = [names[i] for i in np.argsort(-weights)[:2]]
    assert sorted(t.get_text() for t in ax.texts) == sorted(largest)
    assert "45-degree line" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_save_writes_png_of_the_standard_size(tmp_path) -> None:
    fig = plot.scatter(xr.DataArray([1.0, 2.0, 4.0]), xr.DataArray([2.0, 1.0, 3.0]))
    assert tuple(fig.get_size_inches()) == plot.FIGSIZE and fig.dpi == plot.DPI
    path = plot.save(fig, tmp_path / "sub" / "scatter.png")
    assert path == tmp_path / "sub" / "scatter.png"
    assert_png(path)
    assert [p.name for p in path.parent.iterdir()] == ["scatter.png"]
    big = plot.save(plot.histogram(_shares()), tmp_path / "big.png", dpi=50)
    assert_png(big, (275, 400))


def test_save_is_atomic(tmp_path, monkeypatch) -> None:
    target = tmp_path / "figure.png"
    target.write_bytes(b"previous figure")
    fig = plot.scatter(xr.DataArray([1.0, 2.0, 4.0]), xr.DataArray([2.0, 1.0, 3.0]))

    def broken(handle, **kwargs):
        handle.write(b"half a PNG")
        raise OSError("disk full")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        plot.save(fig, target)
    assert [p.name for p in tmp_path.iterdir()] == ["figure.png"]
    assert target.read_bytes() == b"previous figure"


def test_drawing_never_imports_pyplot(tmp_path) -> None:
    code = (
        "import sys, xarray as xr\n"
        "import spatialocc.plot as p\n"
        "fig = p.scatter(xr.DataArray([1.0, 2.0, 3.0]), xr.DataArray([1.0, 3.0, 2.0]))\n"
        f"p.save(fig, {str(tmp_path / 'x.png')!r})\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def _shares() -> xr.DataArray:
    return xr.DataArray(
        [[0.1, 0.7, 0.2], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4]],
        dims=("distribution", "bin"),
        coords={
            "distribution": ["Baseline 1980", "2015 data", "2015 optimum"],
            "bin": [-5.0, 0.0, 5.0],
            "bin_lower": ("bin", [-7.5, -2.5, 2.5]),
            "bin_upper": ("bin", [-2.5, 2.5, 7.5]),
        },
        name="population_share",
    )


def test_histogram_groups_bars_by_distribution() -> None:
    fig = plot.histogram(_shares())
    ax = fig.axes[0]
    assert len(ax.patches) == 9
    heights = sorted(round(p.get_height(), 9) for p in ax.patches)
    assert heights == sorted(round(100 * v, 9) for v in _shares().values.ravel())
    widths = {round(p.get_width(), 9) for p in ax.patches}
    assert widths == {round(0.9 * 5.0 / 3, 9)}
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Baseline 1980", "2015 data", "2015 optimum"]
    assert "percent" in ax.get_ylabel() and "percentage points" in ax.get_xlabel()
    with pytest.raises(DimensionError, match=r"\('distribution', 'bin'\)"):
        plot.histogram(_shares().rename(bin="edge"))


def test_cnr_share_distribution_matches_numpy(small_data) -> None:
    data = small_data.sel(year=2015)
    share = plot.cnr_share_distribution({"2015": data}, bins=[-50, -5, 0, 5, 50])
    residents = data["employment"].sum("industry").values
    size = residents.sum(0)
    cnr = residents[0] / size
    deviation = 100 * (cnr - np.average(cnr, weights=size))
    expected, _ = np.histogram(deviation, bins=[-50, -5, 0, 5, 50], weights=size)
    assert share.sel(distribution="2015").values == pytest.approx(expected / size.sum())
    assert share["bin"].values.tolist() == [-27.5, -2.5, 2.5, 27.5]
    assert share["bin_lower"].values.tolist() == [-np.inf, -5, 0, 5]
    assert share["bin_upper"].values.tolist() == [-5, 0, 5, np.inf]
    wide = share.assign_attrs(units="1").to_dataset()  # open outer bins, given as a Dataset
    widths = {round(p.get_width(), 9) for p in plot.histogram(wide).axes[0].patches}
    assert widths == {round(0.9 * 5.0, 9)}
    with pytest.raises(DimensionError, match=r"\.sel\(year="):
        plot.cnr_share_distribution({"both years": small_data})


# -- maps ------------------------------------------------------------------------------------


def _city_values(model: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray]:
    values = model["wage"].sel(occupation="CNR")
    size = model["employment"].sum(["occupation", "industry"])
    return values, size


def assert_markers_on_the_map(fig, lon, lat) -> None:
    fig.canvas.draw()
    ax = fig.axes[0]
    markers = city_markers(ax)
    offsets = np.asarray(markers.get_offsets())
    assert sorted(map(tuple, offsets)) == sorted(zip(lon, lat, strict=True))
    projected = ax.projection.transform_points(ccrs.PlateCarree(), offsets[:, 0], offsets[:, 1])
    x0, x1, y0, y1 = ax.get_extent(crs=ax.projection)
    assert np.all((projected[:, 0] > x0) & (projected[:, 0] < x1))
    assert np.all((projected[:, 1] > y0) & (projected[:, 1] < y1))
    display = markers.get_offset_transform().transform(offsets)
    assert all(ax.bbox.contains(px, py) for px, py in display)


@needs_natural_earth
def test_us_map_markers_colorbar_and_borders(small_model, tmp_path) -> None:
    model = small_model.sel(year=2015)
    values, size = _city_values(model)
    fig = plot.us_map(values, size=size, title="CNR wage")
    assert_markers_on_the_map(fig, model["lon"].values, model["lat"].values)
    ax, colorbar = fig.axes
    assert colorbar.get_ylabel() == "annual wage per worker (dollars)"
    assert city_markers(ax).colorbar is not None
    assert border_layers(ax) == {
        "land",
        "lakes",
        "admin_1_states_provinces_lines",
        "admin_0_boundary_lines_land",
        "coastline",
    }
    assert [t.get_text() for t in ax.get_legend().get_texts()]  # marker-size key
    assert_png(plot.save(fig, tmp_path / "map.png"))


@needs_natural_earth
def test_us_map_drops_cities_outside_the_continental_us(small_model) -> None:
    model = small_model.sel(year=2015)
    lon, lat = model["lon"].values.copy(), model["lat"].values.copy()
    lon[:3], lat[:3] = [-157.86, -149.90, -66.10], [21.31, 61.22, 18.47]  # HI, AK, PR
    values, size = _city_values(model.assign_coords(lon=("city", lon), lat=("city", lat)))
    fig = plot.us_map(values, size=size, center=float(values.mean()))
    assert_markers_on_the_map(fig, lon[3:], lat[3:])
    norm = city_markers(fig.axes[0]).norm
    assert (norm.vmin + norm.vmax) / 2 == pytest.approx(float(values.mean()))


def test_us_map_argument_errors(small_model) -> None:
    values, size = _city_values(small_model.sel(year=2015))
    with pytest.raises(MissingVariableError, match="'lat' and 'lon'"):
        plot.us_map(values.drop_vars(["lat", "lon"]), size=size.drop_vars(["lat", "lon"]))
    with pytest.raises(DimensionError, match=r"values\.sel\(year="):
        plot.us_map(small_model["wage"].sel(occupation="CNR"), size=size)
    with pytest.raises(TypeError, match="GeoAxes"):
        from matplotlib.figure import Figure

        plot.us_map(values, size=size, ax=Figure().add_subplot(), natural_earth=False)


# -- Natural Earth -----------------------------------------------------------------------------


def test_offline_without_folder_warns_once_and_still_draws(
    small_model, monkeypatch, tmp_path
) -> None:
    monkeypatch.delenv(plot.NATURAL_EARTH_ENV, raising=False)
    monkeypatch.setattr(plot, "_BORDERS", plot._BorderState())
    monkeypatch.setattr(cartopy.feature, "_NATURAL_EARTH_GEOM_CACHE", {})
    calls = []

    def offline(*args, **kwargs):
        calls.append(kwargs.get("name"))
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(cartopy.io.shapereader, "natural_earth", offline)
    values, size = _city_values(small_model.sel(year=2015))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = plot.us_map(values, size=size)
        second = plot.us_map(values, size=size)
    said = [w for w in caught if issubclass(w.category, plot.NaturalEarthWarning)]
    assert len(said) == 1
    assert issubclass(said[0].category, UserWarning)
    message = str(said[0].message)
    assert "without state borders" in message and plot.NATURAL_EARTH_ENV in message
    assert "URLError" in message
    assert len(calls) == 1  # one failed download per process, not one per map
    for fig in (first, second):
        assert border_layers(fig.axes[0]) == set()
        assert len(city_markers(fig.axes[0]).get_offsets()) == values.sizes["city"]
    assert_png(plot.save(first, tmp_path / "borderless.png"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plot.us_map(values, size=size, natural_earth=False)
    assert not caught


def test_bad_natural_earth_folder_is_a_clear_error(small_model, tmp_path, monkeypatch) -> None:
    values, size = _city_values(small_model.sel(year=2015))
    missing = tmp_path / "natural_earth_missing"
    with pytest.raises(plot.NaturalEarthError, match=r"natural_earth_missing.*does not exist") as e:
        plot.us_map(values, size=size, natural_earth=missing)
    assert "ne_110m_admin_1_states_provinces_lines.json" in str(e.value)
    assert isinstance(e.value, ValueError) and isinstance(e.value, FileNotFoundError)

    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(plot.NATURAL_EARTH_ENV, str(empty))
    with pytest.raises(plot.NaturalEarthError, match="SPATIALOCC_NATURAL_EARTH") as e:
        plot.us_map(values, size=size)
    assert "holds no GeoJSON files" in str(e.value) and "ne_110m_coastline.json" in str(e.value)

    broken = tmp_path / "broken"
    broken.mkdir()
    for name in plot.NATURAL_EARTH_FILES:
        (broken / name).write_text("<html>not json</html>")
    with pytest.raises(plot.NaturalEarthError, match="cannot read the Natural Earth file"):
        plot.us_map(values, size=size, natural_earth=broken)


@needs_natural_earth
def test_border_geometries_from_the_folder() -> None:
    layers = plot.border_geometries(NATURAL_EARTH)
    assert set(plot.NATURAL_EARTH_FILES) <= {f"ne_110m_{name}.json" for name in layers}
    states = layers["admin_1_states_provinces_lines"]
    assert len(states) > 40 and all(g.geom_type.endswith("LineString") for g in states)
    assert plot.border_geometries(NATURAL_EARTH)["coastline"] is layers["coastline"]  # cached


# -- the paper's figures -----------------------------------------------------------------------


def test_figure1_slope_against_numpy(inputs) -> None:
    model = inputs["model"]
    residents = model["employment"].sum("industry").transpose("occupation", "city").values
    wage = model["wage"].transpose("occupation", "city").values
    size = residents.sum(0)
    share = residents[0] / size
    premium = np.log(wage[0] / wage[1])
    expected = np.polyfit(share, premium, 1, w=np.sqrt(size))[0]
    ax = plot.figure1(model).axes[0]
    assert line_slope(fit_line(ax)) == pytest.approx(expected, rel=1e-9)
    assert f"slope = {expected:.3g}" in ax.get_legend().get_texts()[0].get_text()
    # the premium is a deviation from its employment-weighted mean
    deviation = premium - np.average(premium, weights=size)
    offsets = np.asarray(ax.collections[0].get_offsets())
    assert sorted(offsets[:, 1]) == pytest.approx(sorted(deviation), abs=1e-12)


def test_figure2_slope_against_numpy(inputs) -> None:
    model = inputs["model"]
    bill = (model["wage"] * model["employment"]).transpose("occupation", "industry", "city")
    bill = bill.values
    delta = bill.sum(2)[0] / bill.sum(2).sum(0)  # national CNR share of each industry's bill
    sigma = bill.sum(0) / bill.sum((0, 1))  # industry shares of each city's bill
    predicted = (delta[:, None] * sigma).sum(0)
    actual = bill[0].sum(0) / bill.sum((0, 1))
    size = model["employment"].sum(["occupation", "industry"]).values
    expected = np.polyfit(predicted, actual, 1, w=np.sqrt(size))[0]
    ax = plot.figure2(model).axes[0]
    assert line_slope(fit_line(ax)) == pytest.approx(expected, rel=1e-9)
    assert {line.get_gid() for line in ax.get_lines()} == {"fit", "diagonal"}


def test_figure3_overlays_the_equilibrium(inputs) -> None:
    ax = plot.figure3(inputs["no_externalities"], reference=inputs["model"]).axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0] == "equilibrium" and texts[2] == "no externalities"
    assert "slope" in texts[1] and "slope" in texts[3]
    assert len(ax.collections) == 2


def test_maps_have_units_colorbars_and_markers_on_the_us(inputs) -> None:
    if not NATURAL_EARTH.is_dir():
        pytest.skip(f"the Natural Earth GeoJSON folder {NATURAL_EARTH} is absent")
    model = inputs["model"]
    units = {
        "figure05": "dollars per worker",
        "figure06": "percent",
        "figure07": "percent",
        "figure10": "dollars per CNR worker",
        "figure11": "dollars per nonCNR worker",
        "figure16": "percent",
    }
    for name in MAPS:
        fig = plot.FIGURES[name].draw(inputs)
        ax, colorbar = fig.axes
        assert units[name] in colorbar.get_ylabel(), name
        assert ax.get_title().startswith(f"Figure {int(name[-2:])}:")
        assert_markers_on_the_map(fig, model["lon"].values, model["lat"].values)


def test_figure6_values_are_percentage_changes(inputs) -> None:
    model, optimum = inputs["model"], inputs["optimum"]
    fig = plot.figure6(model, optimum, natural_earth=False)
    markers = city_markers(fig.axes[0])
    before = model["employment"].sel(occupation="CNR").sum("industry").values
    after = optimum["employment"].sel(occupation="CNR").sum("industry").values
    assert sorted(markers.get_array()) == pytest.approx(sorted(100 * (after / before - 1)))
    assert markers.norm.vmin == pytest.approx(-markers.norm.vmax)  # centered at zero


def test_figure10_shows_deviation_from_the_weighted_mean(inputs) -> None:
    optimum = inputs["optimum"]
    fig = plot.figure10(optimum, reference=inputs["model"], natural_earth=False)
    transfer = optimum["transfer"].sel(occupation="CNR").values
    workers = optimum["employment"].sel(occupation="CNR").sum("industry").values
    mean = np.average(transfer, weights=workers)
    values = city_markers(fig.axes[0]).get_array()
    assert sorted(values) == pytest.approx(sorted(transfer - mean))
    assert f"US$ {mean:,.0f}" in fig.axes[1].get_ylabel()


def test_figure9_and_comparisons(inputs) -> None:
    fig = plot.figure9(inputs["model"], inputs["optimum"], x="log_size")
    assert fig.axes[0].get_xlabel() == "log employment (equilibrium)"
    with pytest.raises(ValueError, match="cnr_share"):
        plot.figure9(inputs["model"], inputs["optimum"], x="size")
    fig = plot.figure13(
        inputs["model"],
        inputs["optimum"],
        inputs["optimum_homogeneous_linkages"],
        variant_reference=inputs["equilibrium_homogeneous_linkages"],
    )
    assert len(fig.axes) == 4
    assert all(len(ax.collections) == 2 for ax in fig.axes)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:2] == ["baseline", "homogeneous linkages"]
    two = plot.figure12(
        inputs["model"], inputs["optimum"], variant_optimum=inputs["optimum_homogeneous_linkages"]
    )
    assert [ax.get_title() for ax in two.axes] == ["baseline", "homogeneous linkages"]


def _offsets(ax, i: int = 0) -> np.ndarray:
    return np.asarray(ax.collections[i].get_offsets())


def _weighted_slope(x, y, w) -> float:
    keep = np.isfinite(x) & np.isfinite(y)
    return float(np.polyfit(x[keep], y[keep], 1, w=np.sqrt(w[keep]))[0])


def test_figure6_and_16_scatterplots_against_numpy(inputs) -> None:
    for name, reference, optimum in (
        ("figure06_scatter", inputs["model"], inputs["optimum"]),
        (
            "figure16_scatter",
            inputs["equilibrium_no_trade_costs"],
            inputs["optimum_no_trade_costs"],
        ),
    ):
        fig = plot.FIGURES[name].draw(inputs)
        assert len(fig.axes) == 2, name
        cnr = reference["employment"].sel(occupation="CNR").sum("industry").values
        size = reference["employment"].sum(["occupation", "industry"]).values
        after = optimum["employment"].sel(occupation="CNR").sum("industry").values
        change = 100 * (after / cnr - 1)
        for ax, x in zip(fig.axes, (np.log(size), cnr / size), strict=True):
            offsets = _offsets(ax)
            assert len(offsets) == size.size
            assert sorted(offsets[:, 1]) == pytest.approx(sorted(change), rel=1e-12)
            assert sorted(offsets[:, 0]) == pytest.approx(sorted(x), rel=1e-12)
            assert line_slope(fit_line(ax)) == pytest.approx(
                _weighted_slope(x, change, size), rel=1e-9
            )


def test_appendix_scatters(inputs) -> None:
    fig = plot.FIGURES["figureA08"].draw(inputs)
    (ax,) = fig.axes
    assert len(ax.collections) == 2
    n = inputs["model"].sizes["city"]
    assert [len(_offsets(ax, i)) for i in range(2)] == [n, n]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0] == "baseline" and texts[2] == "no trade costs"
    # the variant's markers are its own changes, from its own equilibrium
    reference = inputs["equilibrium_no_trade_costs"]
    before = reference["employment"].sel(occupation="CNR").sum("industry").values
    after = inputs["optimum_no_trade_costs"]["employment"].sel(occupation="CNR").sum("industry")
    assert sorted(_offsets(ax, 1)[:, 1]) == pytest.approx(sorted(100 * (after.values / before - 1)))
    fig = plot.FIGURES["figureA22"].draw(inputs)
    assert fig.axes[0].get_xlabel() == "log employment (equilibrium)"
    assert fig.axes[0].get_title().startswith("Figure A22:")


def test_figure14_panels_are_sector_technology(inputs) -> None:
    model = inputs["model"]
    technology = spatialocc.reports.sector_technology(model)
    fig = plot.figure14(model)
    industries = [j for j in model["industry"].values if j != "Real Estate"]
    assert [ax.get_title() for ax in fig.axes] == industries  # no paper label: the first six
    size = model["employment"].sum(["occupation", "industry"]).values
    for ax, industry in zip(fig.axes, industries, strict=True):
        y = technology.sel(industry=industry).values
        offsets = _offsets(ax)
        assert len(offsets) == np.isfinite(y).sum()
        assert sorted(offsets[:, 1]) == pytest.approx(sorted(y[np.isfinite(y)]), rel=1e-12)
        assert line_slope(fit_line(ax)) == pytest.approx(
            _weighted_slope(np.log(size), y, size), rel=1e-9
        )
    # the paper's sectors are chosen by their labels
    paper = ["Health", "Education", "Communication", "Finance and Insurance", "Accommodation"]
    labels = [*paper, "Real Estate"]
    named = model.assign_coords(industry=labels, input=labels)
    fig = plot.figure14(named)
    assert [ax.get_title() for ax in fig.axes] == [
        j for j in plot.FIGURE14_INDUSTRIES if j in labels
    ]
    assert len(plot.figure14(model, industries=industries[:2]).axes) == 2
    with pytest.raises(KeyError, match=r"industries must be one or more labels.*'Health'"):
        plot.figure14(model, industries=["Health"])
    with pytest.raises(KeyError, match="got none"):
        plot.figure14(model, industries=[])


def test_figure15_points_are_tradable_industries(inputs) -> None:
    model = inputs["model"]
    intensity = spatialocc.reports.supplier_intensity(model)
    ax = plot.figure15(model).axes[0]
    tradable = model["tradable"].values
    offsets = _offsets(ax)
    assert len(offsets) == tradable.sum()
    assert sorted(offsets[:, 0]) == pytest.approx(
        sorted(intensity["wage_bill_share"].values[tradable])
    )
    assert sorted(offsets[:, 1]) == pytest.approx(
        sorted(intensity["supplier_share"].values[tradable])
    )
    assert {t.get_text() for t in ax.texts} == set(model["industry"].values[tradable])
    every = plot.figure15(model, tradable_only=False).axes[0]
    assert len(_offsets(every)) == model.sizes["industry"]


def test_figures_19_and_20_against_the_technology_change(inputs) -> None:
    change = inputs["technology_change"]
    share = (
        change["employment"].sel(occupation="CNR").sum("industry")
        / change["employment"].sum(["occupation", "industry"])
    ).values
    for name, variable in (("figure19", "non_real_estate"), ("figure20", "real_estate")):
        fig = plot.FIGURES[name].draw(inputs)
        assert len(fig.axes) == 2, name
        assert fig.get_suptitle().startswith(f"Figure {name[-2:]}:")
        y = change[variable].values
        for ax in fig.axes:
            offsets = _offsets(ax)
            assert len(offsets) == np.isfinite(y).sum() == change.sizes["city"]
            assert sorted(offsets[:, 1]) == pytest.approx(sorted(y), rel=1e-12)
        assert sorted(_offsets(fig.axes[0])[:, 0]) == pytest.approx(sorted(share))
        assert fig.axes[0].get_xlabel() == "CNR share of city employment (1980)"
    with pytest.raises(MissingVariableError, match="technology_change"):
        plot.figure19(inputs["model"])


def test_figures_need_one_economy(small_model, inputs) -> None:
    with pytest.raises(DimensionError, match=r"allocation\.sel\(year=2015\)"):
        plot.figure1(small_model)
    with pytest.raises(MissingVariableError, match="with_externalities"):
        plot.figure5(inputs["model"].drop_vars(["tau_share", "tau_size"]), natural_earth=False)
    with pytest.raises(MissingVariableError, match="'transfer'"):
        plot.figure10(inputs["model"], natural_earth=False)


def test_registry() -> None:
    assert list(plot.FIGURES) == sorted(plot.FIGURES)
    assert {name for name, spec in plot.FIGURES.items() if spec.is_map} == MAPS
    for name, spec in plot.FIGURES.items():
        assert re.fullmatch(r"figure(\d\d|A\d\d)(_scatter)?", name), name
        assert spec.name == name
        assert spec.title.startswith("Figure ")
        assert set(spec.inputs) | set(spec.optional.values()) <= set(plot.INPUTS)


def test_draw_all_writes_every_figure(inputs, tmp_path) -> None:
    folder = NATURAL_EARTH if NATURAL_EARTH.is_dir() else False
    paths = plot.draw_all(inputs, tmp_path, natural_earth=folder)
    assert [p.name for p in paths] == [f"{name}.png" for name in plot.FIGURES]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)
    for path in paths:
        assert_png(path)
    partial = plot.draw_all({"model": inputs["model"]}, tmp_path / "partial", natural_earth=False)
    assert [p.name for p in partial] == [
        "figure01.png",
        "figure02.png",
        "figure05.png",
        "figure14.png",
        "figure15.png",
    ]
    with pytest.warns(UserWarning, match="unknown inputs 'optimal'"):
        plot.draw_all({"optimal": inputs["optimum"]}, tmp_path / "none")


# -- map regions and occupation labels come from the data ---------------------------------------


def _moved(ds: xr.Dataset, east: float = 110.0, north: float = 10.0) -> xr.Dataset:
    """The same economy with its cities moved (from the US to about Europe by default)."""
    return ds.assign_coords(lon=ds["lon"] + east, lat=ds["lat"] + north)


def test_us_data_keep_the_us_extent(small_model) -> None:
    from spatialocc.datasets.geography import LOWER_48

    model = small_model.sel(year=2015)
    assert plot.map_extent(model) == plot.US_EXTENT == (-125.0, -66.0, 24.0, 50.0)
    try:
        us = spatialocc.datasets.load("us")
    except FileNotFoundError:
        us = None  # a source tree where the bundled file was not built
    if us is not None:
        # 373 of the 382 CBSAs lie in the contiguous US; Alaska, Hawaii, ... are left off
        assert plot.map_extent(us) == plot.US_EXTENT
    values, size = _city_values(model)
    ax = plot.us_map(values, size=size, natural_earth=False).axes[0]
    assert ax.projection == plot.us_projection() == plot.map_projection(plot.US_EXTENT)
    # the frame is the contiguous US outline's box with a margin of 3 percent
    outline = ax.projection.transform_points(ccrs.PlateCarree(), LOWER_48[:, 0], LOWER_48[:, 1])
    x0, x1, y0, y1 = ax.get_extent(crs=ax.projection)
    margin = 0.03 * max(np.ptp(outline[:, 0]), np.ptp(outline[:, 1]))
    assert (x0, x1) == pytest.approx((outline[:, 0].min() - margin, outline[:, 0].max() + margin))
    assert (y0, y1) == pytest.approx((outline[:, 1].min() - margin, outline[:, 1].max() + margin))


def test_a_non_us_economy_gets_its_own_extent(small_model, inputs) -> None:
    model = _moved(small_model.sel(year=2015))
    lon, lat = model["lon"].values, model["lat"].values
    margin = 0.05 * max(np.ptp(lon), np.ptp(lat))
    expected = (lon.min() - margin, lon.max() + margin, lat.min() - margin, lat.max() + margin)
    assert plot.map_extent(model) == pytest.approx(expected)
    assert plot.map_extent(model) == plot.map_extent(model["wage"])  # a DataArray's coordinates
    values, size = _city_values(model)
    fig = plot.us_map(values, size=size)
    ax = fig.axes[0]
    params = ax.projection.proj4_params
    assert params["proj"] == "laea"
    assert params["lon_0"] == pytest.approx((expected[0] + expected[1]) / 2)
    assert params["lat_0"] == pytest.approx((expected[2] + expected[3]) / 2)
    assert_markers_on_the_map(fig, lon, lat)  # every city drawn, inside the frame
    if NATURAL_EARTH.is_dir():
        assert "coastline" in border_layers(ax)  # Europe's coasts, cut around the extent
        coasts = plot.border_geometries(NATURAL_EARTH, extent=plot.map_extent(model))
        west, south, east, north = np.array([g.bounds for g in coasts["coastline"]]).T
        assert west.min() >= expected[0] - 15 and east.max() <= expected[1] + 15
        assert south.min() >= expected[2] - 15 and north.max() <= expected[3] + 15
    # the paper's maps follow the cities too: every input moved, every map drawn there
    moved = {k: _moved(v) if isinstance(v, xr.Dataset) else v for k, v in inputs.items()}
    for name in sorted(MAPS):
        fig = plot.FIGURES[name].draw(moved, natural_earth=False)
        assert fig.axes[0].projection.proj4_params["proj"] == "laea", name
        assert_markers_on_the_map(fig, lon, lat)


def test_the_map_extent_attribute_and_argument_win(small_data, inputs, tmp_path) -> None:
    germany = [5.5, 15.5, 47.0, 55.5]
    data = _moved(small_data, east=105.0, north=15.0).assign_attrs(map_extent=germany)
    assert plot.map_extent(data) == tuple(germany)
    # the attribute survives a NetCDF file and the inversion, so spatialocc run follows it
    path = spatialocc.to_netcdf(data, tmp_path / "data.nc")
    model = spatialocc.invert(spatialocc.open_dataset(path)).sel(year=2015)
    assert plot.map_extent(model) == tuple(germany)
    model = spatialocc.with_externalities(model, **CUE)
    fig = plot.figure5(model, natural_earth=False)
    ax = fig.axes[0]
    lon, lat = model["lon"].values, model["lat"].values
    inside = (lon >= 5.5) & (lon <= 15.5) & (lat >= 47.0) & (lat <= 55.5)
    assert 0 < inside.sum() < lon.size  # the attribute cuts the map, not the cities
    assert len(city_markers(ax).get_offsets()) == inside.sum()
    box = ax.projection.transform_points(
        ccrs.PlateCarree(), np.array([5.5, 15.5, 10.5, 10.5]), np.array([51.25, 51.25, 47, 55.5])
    )
    x0, x1, y0, y1 = ax.get_extent(crs=ax.projection)
    assert x0 <= box[0, 0] < box[1, 0] <= x1 and y0 <= box[2, 1] < box[3, 1] <= y1
    # an explicit extent wins over the attribute; the US one gives the paper's projection
    fig = plot.figure6(
        inputs["model"].assign_attrs(map_extent=germany),
        inputs["optimum"],
        natural_earth=False,
        extent=plot.US_EXTENT,
    )
    assert fig.axes[0].projection == plot.us_projection()
    bad = model.assign_attrs(map_extent=[15.5, 5.5, 47.0, 55.5])
    with pytest.raises(ValueError, match=r"'map_extent' must be four numbers \[lon_min, lon_max"):
        plot.figure5(bad, natural_earth=False)
    values, size = _city_values(model)
    with pytest.raises(ValueError, match="extent must be four numbers"):
        plot.us_map(values, size=size, natural_earth=False, extent=(0, 1, 2))


def _relabelled(ds: xr.Dataset, labels: list[str]) -> xr.Dataset:
    return ds.assign_coords(occupation=labels)


def test_occupation_labels_come_from_the_data(inputs) -> None:
    model, optimum = inputs["model"], inputs["optimum"]
    # the paper's labels: today's texts
    assert plot.compared_occupations(model) == plot.OCCUPATIONS == ("CNR", "nonCNR")
    titles = {
        "figure05": r"Figure 5: $\Delta^{CNR}_n - \Delta^{nonCNR}_n$ (equilibrium values)",
        "figure06": r"Figure 6: $L^{CNR}_n$ (percentage change from data equilibrium)",
        "figure07": r"Figure 7: $L^{nonCNR}_n$ (percentage change from data equilibrium)",
        "figure10": "Figure 10: Optimal transfers to CNR workers (per CNR worker)",
        "figure11": "Figure 11: Optimal transfers to non-CNR workers (per non-CNR worker)",
        "figure16": r"Figure 16: Change in $L^{CNR}_n$ from no trade costs equilibrium to "
        "optimal allocation",
    }
    for name, title in titles.items():
        assert plot.FIGURES[name].draw(inputs, natural_earth=False).axes[0].get_title() == title
    # other labels: the same figures, named after them
    cognitive = {
        k: _relabelled(v, ["cognitive", "routine"]) if isinstance(v, xr.Dataset) else v
        for k, v in inputs.items()
    }
    assert plot.compared_occupations(cognitive["model"]) == ("cognitive", "routine")
    ax = plot.figure1(cognitive["model"]).axes[0]
    assert ax.get_xlabel() == "cognitive share of city employment"
    assert ax.get_ylabel().startswith("log cognitive wage premium")
    assert line_slope(fit_line(ax)) == pytest.approx(
        line_slope(fit_line(plot.figure1(model).axes[0]))
    )
    assert plot.figure2(cognitive["model"]).axes[0].get_ylabel() == "cognitive wage-bill share"
    fig = plot.figure6(cognitive["model"], cognitive["optimum"], natural_earth=False)
    assert fig.axes[0].get_title().startswith(r"Figure 6: $L^{cognitive}_n$")
    assert fig.axes[1].get_ylabel() == "change in cognitive employment (percent)"
    fig = plot.figure7(cognitive["model"], cognitive["optimum"], natural_earth=False)
    assert fig.axes[1].get_ylabel() == "change in routine employment (percent)"
    same = plot.figure7(model, optimum, natural_earth=False)
    assert (
        city_markers(fig.axes[0]).get_array().tolist()
        == city_markers(same.axes[0]).get_array().tolist()
    )
    fig = plot.figure11(cognitive["optimum"], natural_earth=False)
    assert fig.axes[0].get_title() == (
        "Figure 11: Optimal transfers to routine workers (per routine worker)"
    )
    assert fig.axes[1].get_ylabel().startswith("dollars per routine worker")
    assert plot.figure5(cognitive["model"], natural_earth=False).axes[0].get_title() == (
        r"Figure 5: $\Delta^{cognitive}_n - \Delta^{routine}_n$ (equilibrium values)"
    )
    assert plot.figure9(cognitive["model"], cognitive["optimum"]).axes[0].get_xlabel() == (
        "cognitive share of city employment (equilibrium)"
    )
    fig = plot.figure13(
        cognitive["model"], cognitive["optimum"], cognitive["optimum_homogeneous_linkages"]
    )
    assert [ax.get_ylabel() for ax in fig.axes[:2]] == [
        "change in cognitive\nemployment (percent)",
        "change in routine\nemployment (percent)",
    ]
    # labels mathtext cannot take are written out, and every figure still draws
    snake = {
        k: _relabelled(v, ["occupation_1", "occupation 2"]) if isinstance(v, xr.Dataset) else v
        for k, v in inputs.items()
    }
    fig = plot.figure5(snake["model"], natural_earth=False)
    assert fig.axes[0].get_title() == (
        "Figure 5: Δ[occupation_1,n] - Δ[occupation 2,n] (equilibrium values)"
    )
    for spec in plot.FIGURES.values():
        spec.draw(snake, natural_earth=False).canvas.draw()
    with pytest.raises(MissingVariableError, match="compares two occupations"):
        plot.figure1(model.isel(occupation=[0]))
