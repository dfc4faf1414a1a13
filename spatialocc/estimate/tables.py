"""The paper's descriptive evidence: the Figure 2 prediction (section 2).

Table 1 moved to :mod:`spatialocc.reports.tables` (reports import the estimators, so its old
names here resolve lazily).
"""

from __future__ import annotations

import xarray as xr

from spatialocc._aliases import lazy_aliases
from spatialocc.dims.errors import MissingVariableError

__getattr__, __dir__ = lazy_aliases(
    __name__,
    "spatialocc.reports.tables",
    ("Table1Weights", "Table1Covariance", "_univariate", "table1"),
)


def figure2_prediction(model: xr.Dataset) -> xr.Dataset:
    """Figure 2: each occupation's wage-bill share predicted by industrial composition alone.

    ``predicted_wage_bill_share[k,n] = sum_j δ[k,j] σ[j,n]`` with δ[k,j] the national
    wage-bill share of occupation k in industry j and σ[j,n] the wage bill of industry j as
    a share of city n's wage bill; ``wage_bill_share[k,n]`` is the observed one, and
    ``slope[k]`` the (unweighted, across cities) OLS slope of observed on predicted (above 1
    in the paper: shares rise more than one-for-one). Batch dimensions pass through.

    Examples
    --------
    >>> import spatialocc
    >>> data = spatialocc.datasets.synthetic(n_cities=20, n_industries=5, years=(2015,))
    >>> fig2 = spatialocc.estimate.figure2_prediction(data)
    >>> sorted(fig2.data_vars)  # doctest: +NORMALIZE_WHITESPACE
    ['industry_wage_bill_share', 'national_wage_bill_share', 'predicted_wage_bill_share',
     'slope', 'wage_bill_share']
    >>> bool(abs(fig2.predicted_wage_bill_share.sum("occupation") - 1).max() < 1e-12)
    True
    """
    for name in ("wage", "employment"):
        if name not in model:
            raise MissingVariableError(f"figure2_prediction needs {name!r}")
    bill = model["wage"] * model["employment"]
    by_industry = bill.sum("city")
    delta = (by_industry / by_industry.sum("occupation")).fillna(0.0)
    city_industry = bill.sum("occupation")
    sigma = city_industry / city_industry.sum("industry")
    predicted = (delta * sigma).sum("industry")
    actual = bill.sum("industry") / bill.sum(["industry", "occupation"])
    slope = xr.cov(actual, predicted, dim="city") / predicted.var("city", ddof=1)
    return xr.Dataset(
        {
            "wage_bill_share": actual.assign_attrs(
                long_name="observed wage-bill share of the occupation", units="1"
            ),
            "predicted_wage_bill_share": predicted.assign_attrs(
                long_name="wage-bill share predicted by industrial composition", units="1"
            ),
            "national_wage_bill_share": delta.assign_attrs(
                long_name="national wage-bill share of the occupation in the industry",
                symbol="δ[k,j]",
                units="1",
            ),
            "industry_wage_bill_share": sigma.assign_attrs(
                long_name="industry's share of the city's wage bill", symbol="σ[j,n]", units="1"
            ),
            "slope": slope.assign_attrs(
                long_name="OLS slope of observed on predicted wage-bill share across cities"
            ),
        }
    )
