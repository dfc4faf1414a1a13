"""Bundled and synthetic datasets."""

from spatialocc.datasets.loaders import REGISTRY, load, register
from spatialocc.datasets.synthetic import PAPER_INDUSTRIES, synthetic

__all__ = ["PAPER_INDUSTRIES", "REGISTRY", "load", "register", "synthetic"]
