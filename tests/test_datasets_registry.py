"""The registry of named datasets: one call makes a dataset known to load, the pipeline and
the command line."""

import pytest

import spatialocc
from spatialocc import pipeline
from spatialocc.datasets import loaders


@pytest.fixture
def registry(monkeypatch):
    """A copy of the registry, restored after the test."""
    monkeypatch.setattr(loaders, "REGISTRY", dict(loaders.REGISTRY))
    return loaders.REGISTRY


def test_bundled_datasets_are_registered() -> None:
    assert list(loaders.REGISTRY)[:2] == ["us", "synthetic"]
    assert {n: d.description for n, d in loaders.REGISTRY.items()} == loaders.DATASETS
    assert loaders.REGISTRY["synthetic"].loader is spatialocc.datasets.synthetic


def test_a_registered_dataset_is_loaded_by_name_and_by_the_pipeline(registry) -> None:
    calls = []

    def tiny(n_cities: int = 4):
        calls.append(n_cities)
        return spatialocc.datasets.synthetic(n_cities=n_cities, n_industries=3, years=(2015,))

    spatialocc.datasets.register("tiny", tiny, "four cities")
    assert spatialocc.datasets.load("tiny", n_cities=5).sizes["city"] == 5
    # the loader takes no seed: the pipeline does not pass one
    assert pipeline.load_data("tiny", seed=7).sizes["city"] == 4
    assert calls == [5, 4]


def test_the_pipeline_passes_the_seed_to_loaders_that_take_one(registry) -> None:
    seeds = []

    def seeded(seed: int = 0):
        seeds.append(seed)
        return spatialocc.datasets.synthetic(n_cities=4, n_industries=3, years=(2015,), seed=seed)

    spatialocc.datasets.register("seeded", seeded, "seeded")
    pipeline.load_data("seeded", seed=7)
    assert seeds == [7]


def test_registration_errors(registry) -> None:
    with pytest.raises(ValueError, match="registered already; pass replace=True"):
        spatialocc.datasets.register("us", spatialocc.datasets.synthetic, "again")
    replaced = spatialocc.datasets.register(
        "us", spatialocc.datasets.synthetic, "again", replace=True
    )
    assert registry["us"] is replaced
    with pytest.raises(ValueError, match="it is not a file"):
        spatialocc.datasets.register("my.nc", spatialocc.datasets.synthetic, "a file name")
    with pytest.raises(TypeError, match="callable"):
        spatialocc.datasets.register("x", "not a function", "x")


def test_unknown_name_lists_the_registered_ones(registry) -> None:
    spatialocc.datasets.register("tiny", spatialocc.datasets.synthetic, "tiny")
    with pytest.raises(ValueError, match="available datasets: 'us', 'synthetic', 'tiny'"):
        spatialocc.datasets.load("atlantis")
    with pytest.raises(pipeline.PipelineError, match="bundled dataset \\(us, synthetic, tiny\\)"):
        pipeline.load_data("atlantis")


def test_the_pipeline_loads_the_bundled_us_data_without_a_seed() -> None:
    """load_us takes **kwargs for open_dataset: a catch-all must not count as taking a seed."""
    assert not loaders.REGISTRY["us"].accepts("seed")
    assert loaders.REGISTRY["synthetic"].accepts("seed")
    data = pipeline.load_data("us", seed=3)
    assert data.sizes["city"] == 382
