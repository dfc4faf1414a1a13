"""Fixed-effect IV estimation of the externalities (MODEL.md section 3b), Table 1 and the
Figure 2 prediction.

pyfixest (fixed-effect absorption) is imported only when an estimate is computed; install
it with ``pip install "spatialocc[estimate]"``.
"""

from spatialocc.estimate.externalities import (
    DEFAULT_INSTRUMENTS,
    MODEL_IMPLIED,
    EstimationError,
    EstimationWarning,
    ExternalityEstimates,
    externalities,
)
from spatialocc.estimate.iv import ESTIMATORS
from spatialocc.estimate.tables import figure2_prediction, table1

__all__ = [
    "DEFAULT_INSTRUMENTS",
    "ESTIMATORS",
    "MODEL_IMPLIED",
    "EstimationError",
    "EstimationWarning",
    "ExternalityEstimates",
    "externalities",
    "figure2_prediction",
    "table1",
]
