"""Bundled and synthetic datasets, and datasets from IPUMS USA extracts (:func:`from_ipums`,
which needs ipumspy: ``pip install "spatialocc[ipums]"``)."""

from spatialocc.datasets.ipums import from_ipums
from spatialocc.datasets.loaders import REGISTRY, load, register
from spatialocc.datasets.synthetic import PAPER_INDUSTRIES, synthetic

__all__ = ["PAPER_INDUSTRIES", "REGISTRY", "from_ipums", "load", "register", "synthetic"]
