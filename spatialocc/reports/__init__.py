"""Reports: everything that turns solver results into tables and report statistics.

- :mod:`spatialocc.reports.policy`: the statistics of the optimal policy (sections 5-6),
  :func:`policy_summary` and its printable :func:`policy_table`, and the
  :func:`industrial_gini` of Figure 9;
- :mod:`spatialocc.reports.decomposition`: Table 3 (:func:`decomposition_table`) and the
  Figure 18 histogram (:func:`cnr_share_distribution`, :func:`share_distribution`);
- :mod:`spatialocc.reports.technology`: exogenous technology by sector and its change between
  two calibrations (Figures 14, 19-20: :func:`sector_technology`, :func:`technology_change`)
  and the occupation intensity of each industry's suppliers (Figure 15,
  :func:`supplier_intensity`);
- :mod:`spatialocc.reports.reallocation`: how a policy or counterfactual moves workers and
  changes welfare (:func:`reallocation_summary`, :func:`reallocation_table`; the pandemic
  payments of section 6 and the variants of section 7);
- :mod:`spatialocc.reports.tables`: Table 1 (:func:`table1`) and :func:`write_table`, which
  writes a table as CSV and Markdown;
- :mod:`spatialocc.reports.comparison`: the run beside the paper (:func:`paper_comparison`)
  and section 4.7's city pairs (:func:`city_pair_productivity`).

Reports read what the solvers and estimators return; the solvers never import them. The
former homes (``spatialocc.solvers.optimal.policy_summary``,
``spatialocc.solvers.decomposition.decomposition_table``, ``spatialocc.estimate.table1``, ...)
still resolve to these very functions.
"""

from spatialocc.reports.comparison import city_pair_productivity, paper_comparison
from spatialocc.reports.decomposition import (
    cnr_share_distribution,
    decomposition_table,
    share_distribution,
)
from spatialocc.reports.policy import industrial_gini, policy_summary, policy_table
from spatialocc.reports.reallocation import reallocation_summary, reallocation_table
from spatialocc.reports.tables import table1, write_table
from spatialocc.reports.technology import (
    sector_technology,
    supplier_intensity,
    technology_change,
)

__all__ = [
    "city_pair_productivity",
    "cnr_share_distribution",
    "decomposition_table",
    "industrial_gini",
    "paper_comparison",
    "policy_summary",
    "policy_table",
    "reallocation_summary",
    "reallocation_table",
    "sector_technology",
    "share_distribution",
    "supplier_intensity",
    "table1",
    "technology_change",
    "write_table",
]
