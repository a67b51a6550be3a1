"""Forecast benchmark: speed and backtest accuracy per model, plus held-out accuracy and coverage.

(a) the study-sized data (10 creators x 50 days, total views), and ``viewcast demo`` end to end;
(b) 1,000 creators x 730 days forecast per creator (one global LSTM over all creators);
(c) long real-looking daily series (300-550 days, both input formats) with the last 30 days held
    out: does the chosen model beat seasonal naive, and do 95% intervals hold ~95% of the days?

Writes ``benchmarks/results/forecast.json`` (or ``--out FILE``). Usage: ``python
benchmarks/forecast_bench.py [--skip-large] [--holdout N] [--out FILE]``. Timings depend on what
else runs on the machine: run it alone.
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

import numpy as np

warnings.filterwarnings("ignore")
os.environ.setdefault("VIEWCAST_PROGRESS", "0")

import viewcast  # noqa: E402
from viewcast.forecasting.config import ForecastConfig  # noqa: E402
from viewcast.forecasting.data import load_views  # noqa: E402
from viewcast.forecasting.evaluation.metrics import seasonal_scale  # noqa: E402
from viewcast.forecasting.models import MODEL_NAMES, model_class  # noqa: E402
from viewcast.forecasting.panel import aggregate  # noqa: E402
from viewcast.io.jsonable import dumps  # noqa: E402
from viewcast.io.outputs import write_file  # noqa: E402
from viewcast.synth.influencers import write_influencers  # noqa: E402
from viewcast.synth.series import demand_series, to_long  # noqa: E402

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "forecast.json"


def per_model_fit_seconds(panel, horizon: int) -> dict[str, float]:
    """Fit + forecast seconds of every model of the pool on the whole panel (no backtest)."""
    out = {}
    config = ForecastConfig(progress=False)
    for name in MODEL_NAMES:
        model = model_class(name).from_config(config)
        started = time.perf_counter()
        model.fit(panel).predict(panel, horizon)
        out[name] = round(time.perf_counter() - started, 3)
    return out


def summarise(result) -> dict:
    models = result.backtest["models"]
    return {
        "chosen_model": result.chosen,
        "chosen_mase": models[result.chosen]["mase"],
        "seasonal_naive_mase": models["seasonal_naive"]["mase"],
        "chosen_not_worse_than_seasonal_naive": models[result.chosen]["mase"] <= models["seasonal_naive"]["mase"],
        "backtest": {name: {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()} for name, m in models.items()},
        "backtest_windows": result.backtest["windows"],
        "backtest_window_days": result.backtest["window_days"],
        "series_backtested": result.backtest["series_backtested"],
        "timings_seconds": {k: round(v, 2) for k, v in result.timings.items()},
        "lstm_training": result.lstm_history.get("note") if result.lstm_history else None,
    }


def study_sized(tmp: Path) -> dict:
    path = tmp / "study.csv"
    write_influencers(path, creators=10, days=50, seed=0)
    result = viewcast.forecast(path, horizon=30, progress=False)
    out = summarise(result)
    out["fit_forecast_seconds"] = per_model_fit_seconds(aggregate(load_views(path), "total"), 30)
    command = Path(sys.executable).with_name("viewcast")
    started = time.perf_counter()
    subprocess.run([str(command), "demo", "--out", str(tmp / "demo")], check=True, capture_output=True)
    out["demo_end_to_end_seconds"] = round(time.perf_counter() - started, 2)
    return out


def large(tmp: Path) -> dict:
    path = tmp / "large.csv"
    write_influencers(path, creators=1000, days=730, seed=1)
    started = time.perf_counter()
    result = viewcast.forecast(path, horizon=30, by="creator", progress=False)
    out = summarise(result)
    out["end_to_end_seconds"] = round(time.perf_counter() - started, 1)
    out["under_10_minutes"] = out["end_to_end_seconds"] < 600
    return out


def holdout(count: int, tmp: Path) -> dict:
    rows = []
    for seed in range(count):
        days = 300 + 50 * (seed % 6)
        y = demand_series(days, seed=seed)
        train, test = y[:-30], y[-30:]
        if seed % 2:  # study format with day numbers
            path = tmp / f"h{seed}.csv"
            lines = ["Day,TikTokerID,Category,Views"] + [f'{d + 1},1,Web,"{int(v):,}"' for d, v in enumerate(train)]
            path.write_text("\n".join(lines) + "\n")
            source = path
        else:  # long format with ISO dates
            source = to_long({"page": train})
        result = viewcast.forecast(source, horizon=30, progress=False)
        fc = result.forecast
        scale = seasonal_scale(train)
        snaive = np.tile(train[-7:], 5)[:30]
        rows.append(
            {
                "seed": seed,
                "days": days,
                "format": "study" if seed % 2 else "long",
                "chosen": result.chosen,
                "mase": float(np.mean(np.abs(test - fc["point"])) / scale),
                "seasonal_naive_mase": float(np.mean(np.abs(test - snaive)) / scale),
                "coverage80": float(np.mean((test >= fc["lo80"]) & (test <= fc["hi80"]))),
                "coverage95": float(np.mean((test >= fc["lo95"]) & (test <= fc["hi95"]))),
                "seconds": round(result.timings["total"], 1),
            }
        )
        print(rows[-1], flush=True)
    mase = np.array([r["mase"] for r in rows])
    naive = np.array([r["seasonal_naive_mase"] for r in rows])
    return {
        "series": rows,
        "mean_mase": float(mase.mean()),
        "mean_seasonal_naive_mase": float(naive.mean()),
        "share_beating_seasonal_naive": float(np.mean(mase < naive)),
        "mean_coverage80": float(np.mean([r["coverage80"] for r in rows])),
        "mean_coverage95": float(np.mean([r["coverage95"] for r in rows])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-large", action="store_true", help="skip the 1,000 x 730 run")
    parser.add_argument("--holdout", type=int, default=12, help="number of held-out long series")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the results (JSON)")
    args = parser.parse_args()
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "torch_threads": 1}}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        results["study_sized_10x50"] = study_sized(tmp)
        print(json.dumps(results["study_sized_10x50"], indent=1), flush=True)
        results["holdout_long_series"] = holdout(args.holdout, tmp)
        print(json.dumps({k: v for k, v in results["holdout_long_series"].items() if k != "series"}, indent=1), flush=True)
        if not args.skip_large:
            results["creators_1000x730"] = large(tmp)
            print(json.dumps(results["creators_1000x730"], indent=1), flush=True)
    if args.out.exists() and args.skip_large:
        previous = json.loads(args.out.read_text())
        if "creators_1000x730" in previous:
            results["creators_1000x730"] = previous["creators_1000x730"]
    write_file(args.out, dumps(results) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
