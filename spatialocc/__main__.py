"""Command-line entry point: ``spatialocc run``.

For now the main job inverts a dataset (the bundled US dataset unless another is named) and
writes the calibrated model to NetCDF, printing a short summary.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import xarray as xr


def _load(dataset: str, seed: int) -> xr.Dataset:
    import spatialocc

    if dataset == "synthetic":
        return spatialocc.datasets.synthetic(seed=seed)
    if dataset in spatialocc.datasets.loaders.DATASETS:
        return spatialocc.datasets.load(dataset)
    return spatialocc.open_dataset(dataset, kind="data")


def summarize(model: xr.Dataset) -> str:
    """A few lines an economist would look at first."""
    lines = []
    sizes = ", ".join(f"{d}={n}" for d, n in model.sizes.items() if d not in ("origin", "input"))
    lines.append(f"model: {sizes}")
    years = model["year"].values if "year" in model.dims else [None]
    for year in years:
        m = model.sel(year=year) if year is not None else model
        size = m["employment"].sum(["industry", "occupation"])
        prefix = f"  {year}:" if year is not None else "  "
        lines.append(
            f"{prefix} {float(size.sum()) / 1e6:.1f}M workers in {m.sizes['city']} cities; "
            f"largest {float(size.max()) / 1e6:.2f}M, smallest {float(size.min()) / 1e3:.0f}k"
        )
        welfare = ", ".join(
            f"{k}={float(v):.4g}"
            for k, v in zip(m["occupation"].values, m["welfare"].values, strict=True)
        )
        beta = m["land_share"].sel(industry=m.attrs.get("real_estate", "Real Estate"))
        lines.append(
            f"{' ' * len(prefix)} welfare {welfare}; real-estate land share "
            f"{float(beta.min()):.3f}-{float(beta.max()):.3f}; trade inversion "
            f"{int(m['iterations'])} iterations, converged={bool(m['converged'])}"
        )
        shares = m["consumption_share"]
        top = shares.sortby(shares, ascending=False).isel(industry=slice(0, 3))
        lines.append(
            f"{' ' * len(prefix)} largest consumption shares: "
            + ", ".join(
                f"{i} {float(a):.3f}"
                for i, a in zip(top["industry"].values, top.values, strict=True)
            )
        )
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    import spatialocc

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    data = _load(args.dataset, args.seed)
    data_path = spatialocc.to_netcdf(data, out / "data.nc")
    model = spatialocc.invert(data)
    model_path = spatialocc.to_netcdf(model, out / "model.nc")
    elapsed = time.perf_counter() - start
    print(summarize(model))
    print(f"wrote {data_path} and {model_path} in {elapsed:.1f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spatialocc", description=__doc__)
    parser.add_argument("--traceback", action="store_true", help="show full tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="invert a dataset and write the calibrated model")
    run.add_argument(
        "dataset",
        nargs="?",
        default="us",
        help="a NetCDF file of kind 'data', or a bundled dataset: 'us' (default: 382 US "
        "metropolitan areas, 1980 and 2015) or 'synthetic' (a synthetic US-like economy)",
    )
    run.add_argument("--out", default="output", help="output folder (default: ./output)")
    run.add_argument("--seed", type=int, default=0, help="seed of the synthetic economy")
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, KeyError, FileNotFoundError, NotImplementedError) as exc:
        if args.traceback:
            raise
        print(f"spatialocc: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
