"""Views forecast beside statsforecast on held-out daily panels (issue 8), in one run.

For every panel the last 30 days are held out. In the same process, one after the other:

* the four peers, statsforecast's ``SeasonalNaive(7)``, ``AutoETS``, ``AutoTheta`` and
  ``AutoARIMA`` (season 7, defaults, ``n_jobs=1``), with their own level-95 intervals, fitted on
  the series and, separately, on the panel's total;
* viewcast, ``viewcast.forecast(train, horizon=30, by="creator")`` as a user runs it (ISO dates,
  default options): the series and the total of one run.

Measures, per method and panel (for the series, and for the total as one series):

* ``rel_mase``: geometric mean over series of MAE / MAE of the weekly seasonal naive (the last
  7 training days repeated) on the held-out days; below 1 beats seasonal naive;
* ``above`` / ``below``: share of held-out series-days above the 95% upper / below the 95% lower bound;
* ``provisioning``: sum(hi95) / sum(actual): what planning on the upper bound buys;
* ``seconds``: wall time (peers: series and total; viewcast: the whole run).

Panels: the real series in ``$VIEWCAST_DATA_DIR/daily_series`` (default ``../shared/data``):
21 Chicago 'L' stations x 760 days at six cut-offs, one-year Chicago panels at three, slices of
bitcoin, births and deaths series (760 and 365 days), and generated count panels
(:func:`viewcast.synth.series.count_panel`): two of independent creators and one of 56 creators
whose platform triples in a year (the issue's panel D: one year, every series growing). Ragged
panels (``*_ragged``): three of the Chicago cut-offs, the assorted slices and a generated panel
where every series ends on the same day but starts 365 to 760 days before it, as creators join a
platform at different times (the summed total then jumps where a series enters).

Timing: a 20 x 760 panel, viewcast and the four peers back to back (ratio of wall times), and
1,000 creators x 730 days through the command line (``viewcast forecast FILE --by creator``),
end to end.

``--fresh`` runs the same comparison on 13 other cut-offs of the same real series, which no
development run saw (every method choice above was made on the default panels), and writes
``benchmarks/results/forecast_fresh.json``; otherwise ``benchmarks/results/forecast_panels.json``.

``--file`` runs it on your own panels instead: any views table ``viewcast forecast`` reads (the
long format ``unique_id, ds, y`` or the study's), one panel per file and ``--cutoffs`` date (the
file's last day without it), each series' last 30 days up to the cut-off held out. Series that do
not reach the cut-off, or have under :data:`MIN_TRAIN_DAYS` days before the held-out month, are
left out with a note. Results go to ``benchmarks/results/forecast_files.json`` (not committed).
Usage::

    python benchmarks/forecast_panels.py [--panels chi760,syn] [--fresh] [--skip-timing] [--skip-large] [--out FILE]
    python benchmarks/forecast_panels.py --file views.csv [--file more.csv] [--cutoffs 2024-03-31,2024-06-30] [--days 760]

Times depend on what else runs on the machine (``load`` is recorded with each figure).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("VIEWCAST_PROGRESS", "0")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import viewcast  # noqa: E402
from viewcast.errors import DataValidationError  # noqa: E402
from viewcast.forecasting.data import load_views  # noqa: E402
from viewcast.io.jsonable import dumps  # noqa: E402
from viewcast.io.outputs import write_file  # noqa: E402
from viewcast.synth.series import count_panel  # noqa: E402

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "forecast_panels.json"
FRESH_RESULTS = ROOT / "results" / "forecast_fresh.json"
FILE_RESULTS = ROOT / "results" / "forecast_files.json"
HOLDOUT = 30
#: Fewest days a series of a ``--file`` panel needs before its held-out month (eight weeks: the
#: peers' weekly seasonal models and viewcast's backtest both need a few weeks).
MIN_TRAIN_DAYS = 56
#: Where day numbers (a file without dates) start: a Monday, as viewcast counts them.
DAY_NUMBER_ORIGIN = pd.Timestamp("2001-01-01")
TOTAL = "__total__"
#: Column of a ``--file`` panel: False where the file had no row and the loader filled the value in.
OBSERVED = "observed"
PEERS = ("SeasonalNaive", "AutoETS", "AutoTheta", "AutoARIMA")
CHICAGO_760 = ("2005-06-20", "2008-01-06", "2010-07-25", "2012-11-30", "2014-01-03", "2016-08-28")
CHICAGO_365 = ("2009-12-30", "2013-05-31", "2015-09-10")
ASSORTED_760 = [
    *(("bitcoin_tx", e) for e in ("2014-06-30", "2015-12-31", "2017-03-31", "2018-08-31", "2019-12-31", "2021-07-19")),
    *(("us_births", e) for e in ("2003-01-10", "2005-07-31", "2008-04-30", "2010-12-31", "2013-06-30", "2014-12-31")),
    *(("pr_deaths", e) for e in ("2017-02-28", "2018-04-15")),
]
ASSORTED_365 = [
    *(("bitcoin_tx", e) for e in ("2013-06-30", "2014-09-30", "2016-01-05", "2017-06-30", "2018-12-31", "2020-05-31")),
    *(("us_births", e) for e in ("2001-12-28", "2004-07-04", "2007-03-31", "2009-11-26", "2012-09-03", "2014-12-31")),
    *(("pr_deaths", e) for e in ("2016-01-03", "2016-09-30", "2017-09-30", "2018-04-15")),
]

# Cut-offs never used while the method was chosen (added at stop 23): a check of the development figures.
FRESH_CHICAGO_760 = ("2004-09-12", "2007-04-22", "2009-09-06", "2011-12-18", "2015-06-14")
FRESH_CHICAGO_365 = ("2003-11-30", "2006-02-15", "2008-07-04", "2011-03-20", "2014-10-31", "2016-05-30")
FRESH_ASSORTED_760 = [
    *(("bitcoin_tx", e) for e in ("2013-03-31", "2016-06-30", "2017-11-30", "2019-05-31", "2020-09-30", "2021-05-31")),
    *(("us_births", e) for e in ("2002-06-30", "2004-10-31", "2006-12-31", "2009-08-31", "2012-03-31", "2013-11-30")),
    *(("pr_deaths", e) for e in ("2017-06-30", "2017-12-31")),
]
FRESH_ASSORTED_365 = [
    *(("bitcoin_tx", e) for e in ("2012-03-31", "2015-05-31", "2016-08-31", "2018-04-30", "2019-08-31", "2021-01-31")),
    *(("us_births", e) for e in ("2002-09-30", "2005-12-31", "2008-08-31", "2010-05-31", "2011-10-31", "2013-12-31")),
    *(("pr_deaths", e) for e in ("2016-02-29", "2016-06-30", "2017-04-30", "2018-01-31")),
]


def load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0]) if Path("/proc/loadavg").exists() else float("nan")


# --- panels ---------------------------------------------------------------------------------------
def data_dir() -> Path:
    return Path(os.environ.get("VIEWCAST_DATA_DIR", ROOT.parent.parent / "shared" / "data")) / "daily_series"


def _window(frame: pd.DataFrame, days: int, end: str) -> pd.DataFrame:
    last = pd.Timestamp(end)
    return frame[(frame["ds"] > last - pd.Timedelta(days=days)) & (frame["ds"] <= last)]


def chicago(days: int, end: str) -> pd.DataFrame:
    frame = pd.read_csv(data_dir() / "chicago_rail_entries.csv", parse_dates=["ds"])
    return _window(frame, days, end)[["unique_id", "ds", "y"]]


def assorted(days: int, slices: list[tuple[str, str]]) -> pd.DataFrame:
    """Slices of the assorted series at different end dates, each its own series on a common calendar."""
    frame = pd.read_csv(data_dir() / "assorted_daily.csv", parse_dates=["ds"])
    common_end = pd.Timestamp("2030-01-01")
    parts = []
    for uid, end in slices:
        piece = _window(frame[frame["unique_id"] == uid], days, end).copy()
        assert len(piece) == days, (uid, end, len(piece))
        piece["ds"] = piece["ds"] + (common_end - pd.Timestamp(end))  # align the slices' last days
        piece["unique_id"] = f"{uid}@{end}"
        parts.append(piece)
    return pd.concat(parts, ignore_index=True)[["unique_id", "ds", "y"]]


def generated(series: int, days: int, seed: int, common_growth: float = 1.0) -> pd.DataFrame:
    dates = pd.date_range("2020-01-01", periods=days, freq="D")
    return pd.concat(
        [
            pd.DataFrame({"unique_id": uid, "ds": dates, "y": y})
            for uid, y in count_panel(series, days, seed, common_growth).items()
        ],
        ignore_index=True,
    )


def _build(builders: dict, which: list[str] | None) -> dict[str, pd.DataFrame]:
    """The panels whose names start with one of ``which`` (all without it), built."""
    return {name: build() for name, build in builders.items() if not which or any(name.startswith(w) for w in which)}


def fresh_panels(which: list[str] | None) -> dict[str, pd.DataFrame]:
    """Panels at cut-offs that no development run saw (``--fresh``)."""
    builders = {
        **{f"chi760_{end}": (lambda end=end: chicago(760, end)) for end in FRESH_CHICAGO_760},
        **{f"chi365_{end}": (lambda end=end: chicago(365, end)) for end in FRESH_CHICAGO_365},
        "assorted760_fresh": lambda: assorted(760, FRESH_ASSORTED_760),
        "assorted365_fresh": lambda: assorted(365, FRESH_ASSORTED_365),
    }
    return _build(builders, which)


def panels(which: list[str] | None) -> dict[str, pd.DataFrame]:
    builders = {
        **{f"chi760_{end}": (lambda end=end: chicago(760, end)) for end in CHICAGO_760},
        **{f"chi365_{end}": (lambda end=end: chicago(365, end)) for end in CHICAGO_365},
        "assorted760": lambda: assorted(760, ASSORTED_760),
        "assorted365": lambda: assorted(365, ASSORTED_365),
        "syn760": lambda: generated(20, 760, seed=1),
        "syn365": lambda: generated(20, 365, seed=2),
        "grow365": lambda: generated(56, 365, seed=3, common_growth=3.0),
        **{
            f"chi760_{end}_ragged": (lambda end=end, seed=seed: ragged(chicago(760, end), seed))
            for seed, end in enumerate(("2010-07-25", "2014-01-03", "2016-08-28"), start=1)
        },
        "assorted760_ragged": lambda: ragged(assorted(760, ASSORTED_760), seed=4),
        "syn760_ragged": lambda: ragged(generated(20, 760, seed=5), seed=5),
    }
    return _build(builders, which)


def file_panels(paths: list[Path], cutoffs: list[str], days: int | None) -> dict[str, pd.DataFrame]:
    """Panels from views files (``--file``): one per file and cut-off, named ``<stem>_<cut-off>``.

    Raises :class:`DataValidationError` for a file viewcast would refuse, a cut-off that is not a
    date, or a panel with no series left to score."""
    stamps = []
    for text in cutoffs:
        try:
            stamps.append(pd.Timestamp(text))
        except ValueError:
            raise DataValidationError(f"cut-off {text!r} is not a date (YYYY-MM-DD)") from None
    built: dict[str, pd.DataFrame] = {}
    for path in paths:
        data = load_views(path)
        t = data.frame["t"].to_numpy()
        dates = data.axis.label(t) if data.axis.kind == "date" else DAY_NUMBER_ORIGIN + pd.to_timedelta(t, unit="D")
        frame = pd.DataFrame(
            {
                "unique_id": data.frame["creator"].to_numpy(),
                "ds": pd.DatetimeIndex(dates),
                "y": data.frame["views"].to_numpy(float),
                OBSERVED: ~data.frame["filled"].to_numpy(bool),
            }
        )
        for end in stamps or [frame["ds"].max()]:
            name = f"{Path(path).stem}_{end:%Y-%m-%d}"
            built[name] = _panel_up_to(frame, end, days, name)
    return built


def _panel_up_to(frame: pd.DataFrame, end: pd.Timestamp, days: int | None, name: str) -> pd.DataFrame:
    """``frame``'s days up to ``end`` (the last ``days`` of them), without the series that cannot be scored."""
    piece = frame[(frame["ds"] <= end) & ((frame["ds"] > end - pd.Timedelta(days=days)) if days else True)]
    spans = piece.groupby("unique_id")["ds"].agg(["max", "size"])
    stale = spans.index[spans["max"] < end]
    short = spans.index[(spans["max"] == end) & (spans["size"] < MIN_TRAIN_DAYS + HOLDOUT)]
    if len(stale) or len(short):
        print(
            f"{name}: left out {len(stale)} series ending before {end:%Y-%m-%d} and {len(short)} with under "
            f"{MIN_TRAIN_DAYS} days before the held-out {HOLDOUT}",
            flush=True,
        )
    piece = piece[~piece["unique_id"].isin([*stale, *short])]
    if piece.empty:
        raise DataValidationError(
            f"{name}: no series reaches {end:%Y-%m-%d} with {MIN_TRAIN_DAYS + HOLDOUT} days or more to score"
        )
    return piece.reset_index(drop=True)


def ragged(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The same series, each keeping a random 365 days or more of its history (its last days)."""
    rng = np.random.default_rng(seed)
    kept = [g.iloc[-int(rng.integers(365, len(g) + 1)) :] for _, g in frame.sort_values("ds").groupby("unique_id")]
    return pd.concat(kept, ignore_index=True)


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = frame.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    last = frame.groupby("unique_id")["ds"].transform("max")
    held = frame["ds"] > last - pd.Timedelta(days=HOLDOUT)
    return frame[~held].reset_index(drop=True), frame[held].reset_index(drop=True)


# --- scoring --------------------------------------------------------------------------------------
def matrix(frame: pd.DataFrame, ids: list[str], column: str) -> np.ndarray:
    """``(series, days)`` values, series that start later padded with NaN in front (ragged panels)."""
    groups = {uid: g.sort_values("ds")[column].to_numpy(float) for uid, g in frame.groupby("unique_id")}
    days = max(len(v) for v in groups.values())
    return np.stack([np.concatenate([np.full(days - len(groups[uid]), np.nan), groups[uid]]) for uid in ids])


def observed_actuals(test: pd.DataFrame, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The held-out ``(series, days)`` views and their total, NaN where a value was filled in, not
    observed (a file's gaps): no method is scored against an interpolation. The total is scored
    on the days every series was observed."""
    actual = matrix(test, ids, "y")
    observed = matrix(test.assign(**{OBSERVED: test[OBSERVED].astype(float)}), ids, OBSERVED) == 1.0
    total = np.where(observed.all(axis=0), actual.sum(axis=0), np.nan)[None]
    return np.where(observed, actual, np.nan), total


def relative_mae(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray) -> np.ndarray:
    """Each row's MAE over its scored (finite) days, over the weekly seasonal naive's on the same days."""
    naive = np.stack([np.resize(h[-7:], actual.shape[1]) for h in history])
    denominator = np.nanmean(np.abs(actual - naive), axis=1)
    return np.nanmean(np.abs(actual - forecast), axis=1) / np.where(denominator > 0, denominator, np.nan)


def geometric_mean(values: np.ndarray) -> float:
    values = values[np.isfinite(values) & (values > 0)]
    return float(np.exp(np.log(values).mean()))


def score(history: np.ndarray, actual: np.ndarray, point: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> dict[str, float]:
    """The issue's measures for ``(series, days)`` arrays (one row for a total), on the days
    ``actual`` scores (finite)."""
    scored = np.isfinite(actual)
    return {
        "rel_mase": geometric_mean(relative_mae(actual, point, history)),
        "above": float(np.mean((actual > hi + 1e-9)[scored])),
        "below": float(np.mean((actual < lo - 1e-9)[scored])),
        "provisioning": float(hi[scored].sum() / actual[scored].sum()),
    }


def run_peers(train: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """The four peers on the series and on the total (integer days), their forecasts and seconds."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

    days = {d: i for i, d in enumerate(sorted(train["ds"].unique()))}
    frame = train.assign(ds=train["ds"].map(days).astype(int))
    total = frame.groupby("ds", as_index=False)["y"].sum().assign(unique_id=TOTAL)
    started = time.perf_counter()
    out = []
    for part in (frame, total):
        models = [SeasonalNaive(7), AutoETS(season_length=7), AutoTheta(season_length=7), AutoARIMA(season_length=7)]
        fc = StatsForecast(models=models, freq=1, n_jobs=1).forecast(df=part[["unique_id", "ds", "y"]], h=HOLDOUT, level=[95])
        out.append(fc.reset_index() if "unique_id" not in fc.columns else fc)
    return pd.concat(out, ignore_index=True), time.perf_counter() - started


def run_viewcast(train: pd.DataFrame) -> tuple[pd.DataFrame, float, dict]:
    """viewcast's forecast of the series and its total (under TOTAL), seconds, and what it said."""
    started = time.perf_counter()
    rows = train[train[OBSERVED]] if OBSERVED in train else train  # the file's own rows: viewcast fills its gaps
    result = viewcast.forecast(
        rows[["unique_id", "ds", "y"]].assign(ds=rows["ds"].dt.strftime("%Y-%m-%d")),
        horizon=HOLDOUT,
        by="creator",
        progress=False,
    )
    seconds = time.perf_counter() - started
    series = result.forecast.rename(columns={"series": "unique_id", "date": "ds"})
    total = result.total.assign(unique_id=TOTAL).rename(columns={"date": "ds"})
    info = {
        "members": list(result.backtest.get("members", {})),
        "leaders": result.backtest.get("leaders"),
        "backtest_combination": result.backtest.get("combination"),
        "timings": {k: round(v, 2) for k, v in result.timings.items()},
    }
    return pd.concat([series, total], ignore_index=True), seconds, info


def evaluate(name: str, frame: pd.DataFrame) -> dict:
    train, test = split(frame if OBSERVED in frame else frame.assign(**{OBSERVED: True}))
    ids = sorted(train["unique_id"].unique())
    history = matrix(train, ids, "y")
    actual, total_actual = observed_actuals(test, ids)
    total_history = history.sum(axis=0)[None]
    row = {
        "panel": name,
        "series": len(ids),
        "train_days": int(history.shape[1]),
        "shortest_train_days": int(np.isfinite(history).sum(axis=1).min()),
        "load_before": load(),
    }
    peers, peer_seconds = run_peers(train)
    row["peers_seconds"] = peer_seconds
    for peer in PEERS:
        cols = (peer, f"{peer}-lo-95", f"{peer}-hi-95")
        point, lo, hi = (matrix(peers, [*ids, TOTAL], c) for c in cols)
        row[peer] = {
            "series": score(history, actual, point[:-1], lo[:-1], hi[:-1]),
            "total": score(total_history, total_actual, point[-1:], lo[-1:], hi[-1:]),
        }
    forecast, seconds, info = run_viewcast(train)
    point, lo, hi = (matrix(forecast, [*ids, TOTAL], c) for c in ("point", "lo95", "hi95"))
    row["viewcast"] = {
        "series": score(history, actual, point[:-1], lo[:-1], hi[:-1]),
        "total": score(total_history, total_actual, point[-1:], lo[-1:], hi[-1:]),
        **info,
    }
    row["viewcast_seconds"] = seconds
    row["load_after"] = load()
    for part in ("series", "total"):
        best = min(PEERS, key=lambda p: row[p][part]["rel_mase"])
        row[f"best_peer_{part}"] = best
        row[f"ratio_to_best_peer_{part}"] = row["viewcast"][part]["rel_mase"] / row[best][part]["rel_mase"]
        row[f"provisioning_vs_best_peer_{part}"] = row["viewcast"][part]["provisioning"] / row[best][part]["provisioning"]
    return row


def print_row(row: dict) -> None:
    print(f"\n{row['panel']}: {row['series']} series x {row['train_days']} days (load {row['load_before']:.1f})")
    print(
        f"  {'method':14s} {'relMASE':>8s} {'>hi95':>6s} {'<lo95':>6s} {'prov':>6s} | {'total':>6s} {'>hi95':>6s} {'<lo95':>6s} {'prov':>6s}"
    )
    for method in (*PEERS, "viewcast"):
        s, t = row[method]["series"], row[method]["total"]
        print(
            f"  {method:14s} {s['rel_mase']:8.3f} {s['above']:6.1%} {s['below']:6.1%} {s['provisioning']:6.3f} | "
            f"{t['rel_mase']:6.3f} {t['above']:6.1%} {t['below']:6.1%} {t['provisioning']:6.3f}"
        )
    print(f"  seconds: peers {row['peers_seconds']:.1f}, viewcast {row['viewcast_seconds']:.1f}", flush=True)


# --- timing ---------------------------------------------------------------------------------------
def timing_20x760(repeats: int) -> dict:
    """viewcast and the four peers back to back on 20 stations x 760 days (the issue's ratio)."""
    frame = chicago(760, "2016-08-28")
    frame = frame[frame["unique_id"].isin(sorted(frame["unique_id"].unique())[:20])]
    train, _ = split(frame)
    runs = []
    for _ in range(repeats):
        before = load()
        _, peers = run_peers(train)
        _, ours, _ = run_viewcast(train)
        runs.append({"peers_seconds": peers, "viewcast_seconds": ours, "ratio": ours / peers, "load": before})
        print(f"20 x 760: viewcast {ours:.1f} s, peers {peers:.1f} s, ratio {ours / peers:.2f} (load {before:.1f})", flush=True)
    return {"runs": runs, "median_ratio": float(np.median([r["ratio"] for r in runs])), "target": 1.5}


def timing_large(creators: int, days: int) -> dict:
    """``viewcast forecast`` on creators x days through the command line, end to end."""
    command = Path(sys.executable).with_name("viewcast")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "creators.csv"
        subprocess.run(
            [str(command), "data", "synth", "influencers", "--creators", str(creators), "--days", str(days), "--out", str(data)],
            check=True,
            capture_output=True,
        )
        before = load()
        started = time.perf_counter()
        done = subprocess.run(
            [str(command), "forecast", str(data), "--by", "creator", "--out", str(Path(tmp) / "out")],
            capture_output=True,
            text=True,
            env={**os.environ, "VIEWCAST_PROGRESS": "0"},
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        metrics = json.loads((Path(tmp) / "out" / "metrics.json").read_text())
    result = {
        "creators": creators,
        "days": days,
        "seconds": seconds,
        "target_seconds": 180,
        "load_before": before,
        "load_after": load(),
        "members": list(metrics["backtest"]["members"]),
        "timings": metrics["timings_seconds"],
    }
    print(f"{creators} x {days} through the CLI: {seconds:.1f} s (load {before:.1f} -> {result['load_after']:.1f})", flush=True)
    return result


def summarise(rows: list[dict]) -> dict:
    out = {}
    for part in ("series", "total"):
        ratios = np.array([r[f"ratio_to_best_peer_{part}"] for r in rows])
        out[part] = {
            "panels_at_or_below_best_peer": int(np.sum(ratios <= 1.0 + 1e-12)),
            "panels": len(rows),
            "geometric_mean_ratio_to_best_peer": geometric_mean(ratios),
            "worst_ratio_to_best_peer": float(ratios.max()),
            "worst_above_hi95": max(r["viewcast"][part]["above"] for r in rows),
            "worst_below_lo95": max(r["viewcast"][part]["below"] for r in rows),
            "panels_provisioning_at_or_below_best_peer": int(
                sum(r[f"provisioning_vs_best_peer_{part}"] <= 1.0 + 1e-12 for r in rows)
            ),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", default="", help="comma-separated panel name prefixes (default: all)")
    parser.add_argument("--skip-timing", action="store_true", help="skip the 20 x 760 ratio and the 1,000 x 730 run")
    parser.add_argument("--skip-large", action="store_true", help="skip the 1,000 x 730 run")
    parser.add_argument("--repeats", type=int, default=2, help="repeats of the 20 x 760 timing")
    parser.add_argument("--fresh", action="store_true", help="the cut-offs never used in development (no timing)")
    parser.add_argument("--file", type=Path, action="append", default=[], help="your own views table (repeatable)")
    parser.add_argument("--cutoffs", default="", help="with --file: comma-separated last days (default: each file's last)")
    parser.add_argument("--days", type=int, default=None, help="with --file: days of history up to each cut-off (default: all)")
    parser.add_argument("--out", type=Path, default=None, help="where to write the results (JSON)")
    args = parser.parse_args()
    if (args.cutoffs or args.days is not None) and not args.file:
        parser.error("--cutoffs and --days go with --file")
    if args.file and (args.fresh or args.panels):
        parser.error("--fresh and --panels choose the bundled panels; --file brings your own")
    if args.days is not None and args.days < MIN_TRAIN_DAYS + HOLDOUT:
        parser.error(f"--days must be at least {MIN_TRAIN_DAYS + HOLDOUT}")
    if args.file:
        try:
            chosen = file_panels(args.file, [c.strip() for c in args.cutoffs.split(",") if c.strip()], args.days)
        except DataValidationError as error:
            parser.exit(2, f"forecast_panels.py: error: {error}\n")
        args.out = args.out or FILE_RESULTS
    else:
        build = fresh_panels if args.fresh else panels
        chosen = build([p for p in args.panels.split(",") if p])
        args.out = args.out or (FRESH_RESULTS if args.fresh else RESULTS)
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_at_start": load()},
        "holdout_days": HOLDOUT,
        "peers": "statsforecast "
        + __import__("statsforecast").__version__
        + ": "
        + ", ".join(PEERS)
        + " (season 7, level 95, n_jobs=1)",
        "panels": [],
    }
    for name, frame in chosen.items():
        row = evaluate(name, frame)
        print_row(row)
        results["panels"].append(row)
        results["summary"] = summarise(results["panels"])
        write_file(args.out, dumps(results) + "\n")
    if not (args.skip_timing or args.fresh or args.file):
        results["timing_20x760"] = timing_20x760(args.repeats)
        write_file(args.out, dumps(results) + "\n")
        if not args.skip_large:
            results["timing_1000x730"] = timing_large(1000, 730)
    write_file(args.out, dumps(results) + "\n")
    print(json.dumps(results.get("summary", {}), indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
