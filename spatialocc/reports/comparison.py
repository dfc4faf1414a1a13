"""The run beside the paper: every number of the paper's main text that a run computes, the
paper's value (from :data:`spatialocc.paper.REPORTED`, with its section or table), this run's
value, and the difference (:func:`paper_comparison`); and the productivity differences between
the city pairs of section 4.7 (:func:`city_pair_productivity`).

A number whose input the run did not produce (no decomposition, a city not in the data) is
kept with an empty value and a note saying why, so that what does not replicate is visible.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from spatialocc import paper
from spatialocc.dims.errors import MissingVariableError

#: What :func:`paper_comparison` reads: ``model`` (one economy, with ``tau_share`` and
#: ``tau_size``), ``estimates`` (``ExternalityEstimates.to_dataset()``), ``summary``
#: (:func:`~spatialocc.reports.policy_summary`), ``optimum``, ``decomposition`` (what
#: :func:`~spatialocc.decompose` returns), each optional.
INPUTS = ("model", "estimates", "summary", "optimum", "decomposition")


def _city(ds: xr.Dataset, name: str) -> object:
    """The ``city`` label of the city called ``name`` (``city_name`` coordinate, else the
    label itself)."""
    labels = ds["city_name"].values if "city_name" in ds.coords else ds["city"].values
    hits = np.flatnonzero(labels == name)
    if hits.size != 1:
        raise LookupError(f"city {name!r} is not in the data")
    return ds["city"].values[hits[0]]


def city_pair_productivity(
    model: xr.Dataset, origin: str, destination: str, *, channel: str
) -> xr.DataArray:
    """Percent change of each occupation's productivity λ[k] when moving from the city
    ``origin`` to ``destination`` (names as in ``city_name``), all else equal, by equation (6)
    with the model's τ: ``channel="composition"`` changes only the occupation's share,
    ``100 (exp(τR[k] Δ log(L[k,n]/L[n])) - 1)``; ``channel="size"`` changes only city size,
    ``100 (exp(τL[k] Δ log L[n]) - 1)`` (section 4.7's statements) **[choice]**: the text
    does not say which allocation it reads the shares from; this uses the model's (data)
    employment."""
    if channel not in ("composition", "size"):
        raise ValueError(f"channel must be 'composition' or 'size', got {channel!r}")
    missing = [v for v in ("employment", "tau_share", "tau_size") if v not in model]
    if missing:
        raise MissingVariableError(
            f"city_pair_productivity needs {missing}; pass a model with externalities "
            f"(spatialocc.with_externalities)"
        )
    residents = model["employment"].sum("industry")
    total = residents.sum("occupation")
    a, b = _city(model, origin), _city(model, destination)
    if channel == "composition":
        share = residents / total
        change = model["tau_share"] * (np.log(share.sel(city=b)) - np.log(share.sel(city=a)))
    else:
        change = model["tau_size"] * (np.log(total.sel(city=b)) - np.log(total.sel(city=a)))
    return 100 * np.expm1(change)


def _table3(results: Mapping[str, object]) -> pd.DataFrame:
    from spatialocc.reports.decomposition import decomposition_table

    return decomposition_table(results["decomposition"])


def _value(statistic: str, who: str | None, results: Mapping[str, object], cache: dict) -> float:
    kind, _, rest = statistic.partition(":")
    if kind == "table1":
        from spatialocc.reports.tables import table1

        if "table1" not in cache:
            cache["table1"] = table1(results["model"])
        dependent, regressor = rest.split(":")
        return float(cache["table1"].loc[dependent, (regressor, "estimate")])
    if kind == "table2":
        ds = results["estimates"]
        parts = rest.split(":")
        if parts[0] == "kp_f":
            return float(ds["kleibergen_paap_f"].sel(occupation=who))
        if parts[0].startswith("sw_f_"):
            sw = ds["sanderson_windmeijer_f"]
            return float(sw.sel(occupation=who, coefficient=parts[0].removeprefix("sw_f_")))
        name = "std_error" if parts[-1] == "se" else "estimate"
        return float(ds[name].sel(estimator=parts[0], occupation=who, coefficient=parts[1]))
    if kind == "table3":
        if "table3" not in cache:
            cache["table3"] = _table3(results)
        table = cache["table3"]
        what, _, row = rest.partition(":")
        if what == "baseline_ratio":
            label = {"full": "Full model", "no_externalities": "Model without externalities"}
            return float(table.attrs["baseline_ratio"][label[row]])
        line = table[table.index.get_level_values("row") == int(row)]
        if len(line) != 1:
            raise LookupError(f"Table 3 of this run has no row {row}")
        return float(line["ratio" if what == "ratio" else who].iloc[0])
    if kind == "city_pair":
        origin, destination, _ = paper.CITY_PAIRS[rest]
        pct = city_pair_productivity(results["model"], origin, destination, channel=rest)
        return float(pct.sel(occupation=who))
    if statistic in ("city_share", "optimum_city_share"):
        ds = results["model" if statistic == "city_share" else "optimum"]
        residents = ds["employment"].sum("industry").sel(city=_city(ds, who))
        return float(residents.sel(occupation="CNR") / residents.sum("occupation"))
    summary = results["summary"]
    if statistic == "gini_change":
        return float(summary["industrial_gini_change"].sel(city=_city(results["model"], who)))
    if statistic == "social_private_ratio":
        statistic = "social_private_ratio_reference"
    da = summary[statistic]
    return float(da.sel(occupation=who) if "occupation" in da.dims else da)


def paper_comparison(results: Mapping[str, object]) -> pd.DataFrame:
    """Every number of :data:`spatialocc.paper.REPORTED` beside this run's value.

    ``results`` maps the names of :data:`INPUTS` to what the run produced. Returns a
    DataFrame with one row per number: ``source`` (section or table), ``statistic``,
    ``occupation`` (or city), ``description``, ``paper``, ``this_run``, ``difference``
    (this run minus the paper), ``relative_difference`` and ``note`` (why a value is
    missing). Dollar amounts are in the data's dollars of the solved year (the paper's:
    2011-15 dollars).

    Examples
    --------
    >>> import spatialocc
    >>> from spatialocc.reports import paper_comparison
    >>> data = spatialocc.datasets.synthetic(n_cities=8, n_industries=4, years=(2015,))
    >>> model = spatialocc.with_externalities(spatialocc.invert(data), **spatialocc.paper.TAU)
    >>> table = paper_comparison({"model": model.isel(year=0)})
    >>> table.loc[table["statistic"].str.startswith("table1"), "this_run"].notna().all()
    np.True_
    >>> table.loc[table["statistic"] == "mean_transfer", "note"].iloc[0]
    'not computed in this run (no summary)'
    """
    unknown = set(results) - {*INPUTS}
    if unknown:
        raise ValueError(f"paper_comparison takes {list(INPUTS)}, got also {sorted(unknown)}")
    cache: dict[str, object] = {}
    rows = []
    for entry in paper.REPORTED:
        value, note = np.nan, ""
        try:
            value = _value(entry.statistic, entry.occupation, results, cache)
        except KeyError as err:
            name = err.args[0] if err.args else ""
            if isinstance(name, str) and name in INPUTS:
                note = f"not computed in this run (no {name})"
            else:
                note = f"not available: {err}"
        except (LookupError, MissingVariableError, ValueError) as err:
            note = f"not available: {err}"
        rows.append(
            {
                "source": entry.source,
                "statistic": entry.statistic,
                "occupation": entry.occupation or "",
                "description": entry.description,
                "paper": entry.value,
                "this_run": value,
                "note": note,
            }
        )
    table = pd.DataFrame(rows)
    table["difference"] = table["this_run"] - table["paper"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["relative_difference"] = table["difference"] / table["paper"].abs()
    return table[
        [
            "source",
            "statistic",
            "occupation",
            "description",
            "paper",
            "this_run",
            "difference",
            "relative_difference",
            "note",
        ]
    ]
