"""Figures of the estimates' sampling error (:func:`spatialocc.propagate`): the welfare gain's
distribution over draws, Figure 10's transfers with a 90% band per city (a ranked interval
plot of the largest metros) and the probability, by city, that an occupation's workers are net
payers at the optimum (a map).

Each takes the draws that :func:`spatialocc.propagate` returns with the ``optimum`` output;
draws whose solve did not converge are left out and counted in the title.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from spatialocc.dims.errors import MissingVariableError
from spatialocc.plot.blocks import _new_figure, us_map
from spatialocc.plot.borders import NaturalEarth
from spatialocc.plot.region import Extent


def _optimum(draws: xr.Dataset, figure: str) -> tuple[xr.Dataset, int]:
    from spatialocc.solvers.uncertainty import output

    if "optimum.transfer" not in draws:
        raise MissingVariableError(
            f"{figure} needs the draws of the optimum: spatialocc.propagate(..., "
            f"outputs=['optimum', ...])"
        )
    optimum = output(draws, "optimum")
    converged = optimum["converged"].astype(bool)
    return optimum.where(converged, drop=True), int((~converged).sum())


def _note(n: int, left_out: int) -> str:
    return f"{n} draws" + (f", {left_out} unconverged left out" if left_out else "")


def welfare_gain_distribution(draws: xr.Dataset, *, bins: int = 30):
    """Histogram over draws of the optimum's welfare gain v/v_ref - 1 (in percent; equal for
    every occupation under equal gains), with its 5%, 50% and 95% quantiles marked.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from spatialocc.plot.uncertainty import welfare_gain_distribution
    >>> gain = np.linspace(1.01, 1.03, 20)[:, None] * np.ones(2)
    >>> draws = xr.Dataset(
    ...     {
    ...         "optimum.welfare_gain": (("draw", "occupation"), gain),
    ...         "optimum.transfer": (("draw", "occupation", "city"), np.zeros((20, 2, 3))),
    ...         "optimum.converged": ("draw", np.ones(20, bool)),
    ...     },
    ...     coords={"occupation": ["CNR", "nonCNR"]},
    ... )
    >>> welfare_gain_distribution(draws).axes[0].get_xlabel()
    'welfare gain of the optimal policy (%)'
    """
    optimum, left_out = _optimum(draws, "welfare_gain_distribution")
    gain = 100 * (optimum["welfare_gain"].isel(occupation=0) - 1)
    values = np.asarray(gain.values, float)
    fig, ax = _new_figure()
    ax.hist(values, bins=bins, color="C0", alpha=0.75)
    for q, style in ((0.05, ":"), (0.5, "-"), (0.95, ":")):
        ax.axvline(np.quantile(values, q), color="k", linestyle=style, linewidth=1)
    q05, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95])
    ax.set_xlabel("welfare gain of the optimal policy (%)")
    ax.set_ylabel("draws")
    ax.set_title(
        f"Welfare gain over draws of tau: median {q50:.2f}%, 90% interval "
        f"[{q05:.2f}%, {q95:.2f}%]\n({_note(values.size, left_out)})",
        fontsize=9,
    )
    return fig


def transfer_intervals(
    draws: xr.Dataset,
    *,
    occupation: str = "CNR",
    size: xr.DataArray | None = None,
    n_cities: int = 40,
):
    """Figure 10 with its sampling error: the optimal net transfer per ``occupation`` worker
    T[k,n] in the ``n_cities`` largest cities, ranked by the median over draws, each with
    its 90% band (5% to 95% quantile over draws).

    ``size`` ranks cities by size (default: the optimum's mean employment over draws).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from spatialocc.plot.uncertainty import transfer_intervals
    >>> rng = np.random.default_rng(0)
    >>> draws = xr.Dataset(
    ...     {
    ...         "optimum.transfer": (("draw", "occupation", "city"), rng.normal(size=(9, 2, 5))),
    ...         "optimum.employment": (
    ...             ("draw", "occupation", "industry", "city"), np.ones((9, 2, 1, 5))
    ...         ),
    ...         "optimum.converged": ("draw", np.ones(9, bool)),
    ...     },
    ...     coords={"occupation": ["CNR", "nonCNR"], "city": list("abcde")},
    ... )
    >>> len(transfer_intervals(draws, n_cities=3).axes[0].get_yticks())
    3
    """
    optimum, left_out = _optimum(draws, "transfer_intervals")
    transfer = optimum["transfer"].sel(occupation=occupation, drop=True)
    if size is None:
        size = optimum["employment"].sum(["occupation", "industry"]).mean("draw")
    largest = size.sortby(size, ascending=False).isel(city=slice(0, n_cities))["city"].values
    t = transfer.sel(city=largest)
    median = t.median("draw")
    low, high = t.quantile(0.05, "draw"), t.quantile(0.95, "draw")
    order = np.argsort(median.values)
    names = t["city_name"].values if "city_name" in t.coords else t["city"].values
    fig, ax = _new_figure()
    y = np.arange(len(order))
    ax.hlines(y, low.values[order], high.values[order], color="C0", linewidth=2, alpha=0.6)
    ax.plot(median.values[order], y, "o", color="C0", markersize=3)
    ax.axvline(0, color="0.5", linewidth=0.8)
    ax.set_yticks(y, [str(names[i])[:28] for i in order], fontsize=5)
    ax.set_xlabel(f"net transfer per {occupation} worker (dollars): median and 90% band")
    ax.set_title(
        f"Figure 10 with sampling error: {occupation} transfers in the {len(order)} largest "
        f"cities ({_note(t.sizes['draw'], left_out)})",
        fontsize=9,
    )
    return fig


def net_payer_probability(draws: xr.Dataset, *, occupation: str = "CNR") -> xr.DataArray:
    """The share of (converged) draws in which ``occupation`` workers of each city are net
    payers at the optimum, T[k,n] < 0."""
    optimum, _ = _optimum(draws, "net_payer_probability")
    payer = optimum["transfer"].sel(occupation=occupation, drop=True) < 0
    return payer.mean("draw").assign_attrs(
        long_name=f"probability that {occupation} workers are net payers", units="1"
    )


def net_payer_map(
    draws: xr.Dataset,
    *,
    occupation: str = "CNR",
    size: xr.DataArray | None = None,
    natural_earth: NaturalEarth = None,
    extent: Extent | None = None,
):
    """Map of :func:`net_payer_probability`, markers sized by ``size`` (default: the
    optimum's mean employment over draws); needs the city coordinates ``lat`` and ``lon``."""
    optimum, left_out = _optimum(draws, "net_payer_map")
    probability = net_payer_probability(draws, occupation=occupation)
    if size is None:
        size = optimum["employment"].sum(["occupation", "industry"]).mean("draw")
    return us_map(
        probability,
        size=size,
        title=f"Probability that {occupation} workers are net payers at the optimum "
        f"({_note(optimum.sizes['draw'], left_out)})",
        label=f"share of draws with T[{occupation},n] < 0",
        cmap="RdBu_r",
        center=0.5,
        natural_earth=natural_earth,
        extent=extent,
    )


def draw_uncertainty(
    draws: xr.Dataset,
    folder,
    *,
    occupation: str = "CNR",
    natural_earth: NaturalEarth = None,
) -> list:
    """Write the three figures as PNG files into ``folder``; returns their paths."""
    from pathlib import Path

    from spatialocc.plot.blocks import save

    folder = Path(folder)
    figures = {
        "welfare_gain.png": lambda: welfare_gain_distribution(draws),
        "transfer_intervals.png": lambda: transfer_intervals(draws, occupation=occupation),
        "net_payer_probability.png": lambda: net_payer_map(
            draws, occupation=occupation, natural_earth=natural_earth
        ),
    }
    return [save(make(), folder / name) for name, make in figures.items()]
