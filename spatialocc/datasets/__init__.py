"""Bundled and synthetic datasets."""

from spatialocc.datasets.loaders import load
from spatialocc.datasets.synthetic import PAPER_INDUSTRIES, synthetic

__all__ = ["PAPER_INDUSTRIES", "load", "synthetic"]
