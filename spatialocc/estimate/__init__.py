"""Fixed-effect IV estimation of the externalities (MODEL.md section 3b) and the Figure 2
prediction. Table 1 is in :mod:`spatialocc.reports` (``spatialocc.estimate.table1`` still
resolves to it).

pyfixest (fixed-effect absorption) is imported only when an estimate is computed; install
it with ``pip install "spatialocc[estimate]"``.
"""

from spatialocc._aliases import lazy_aliases
from spatialocc.estimate.externalities import (
    DEFAULT_INSTRUMENTS,
    MODEL_IMPLIED,
    EstimationError,
    EstimationWarning,
    ExternalityEstimates,
    externalities,
)
from spatialocc.estimate.feiv import feiv
from spatialocc.estimate.iv import ESTIMATORS
from spatialocc.estimate.results import FEIVResults
from spatialocc.estimate.tables import figure2_prediction

# Table 1 moved to spatialocc.reports (reports import the estimators, so it resolves lazily).
__getattr__, __dir__ = lazy_aliases(__name__, "spatialocc.reports", ("table1",))

__all__ = [
    "DEFAULT_INSTRUMENTS",
    "ESTIMATORS",
    "MODEL_IMPLIED",
    "EstimationError",
    "EstimationWarning",
    "ExternalityEstimates",
    "FEIVResults",
    "externalities",
    "feiv",
    "figure2_prediction",
    "table1",
]
