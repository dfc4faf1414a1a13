"""Invert a synthetic US-like economy and look at what the inversion recovers.

    python examples/invert_synthetic.py

From Python, ``main(data)`` does the same for any dataset of kind "data" with the year 2015
(default: the 382-city synthetic economy), e.g.
``main(spatialocc.datasets.synthetic(n_cities=12, years=(2015,)))``.
"""

import numpy as np
import xarray as xr

import spatialocc


def main(data: xr.Dataset | None = None) -> float:
    if data is None:
        data = spatialocc.datasets.synthetic(n_cities=382, years=(2015,), seed=0)
    model = spatialocc.invert(data.sel(year=[2015])).sel(year=2015)

    # Productivity of CNR workers relative to nonCNR workers, by city size (employment-weighted).
    size = model["employment"].sum(["occupation", "industry"])
    lam = model["productivity"]
    weights = model["employment"].sum("occupation")
    log_ratio = np.log(lam.sel(occupation="CNR") / lam.sel(occupation="nonCNR"))
    city_ratio = log_ratio.where(weights > 0).weighted(weights).mean("industry")
    slope = np.polyfit(np.log(size), city_ratio, 1)[0]
    print(f"elasticity of relative CNR productivity to city size: {slope:.3f}")
    print(model["consumption_share"].to_series().round(4).to_string())
    return float(slope)


if __name__ == "__main__":
    main()
