"""Bundled and synthetic datasets."""

from spatialocc.datasets.synthetic import PAPER_INDUSTRIES, synthetic

__all__ = ["PAPER_INDUSTRIES", "synthetic"]
