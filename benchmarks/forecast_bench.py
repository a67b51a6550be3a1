"""Quick forecast benchmark: the study-sized run and the demo, and single long series held out.

(a) the study-sized data (10 creators x 50 days, total views): the combination's backtest per
    member, and ``viewcast demo`` end to end (with the study's LSTM table);
(b) long real-looking daily series (300-550 days, both input formats) with the last 30 days held
    out, one run per series: does the forecast beat seasonal naive, and how often do the held-out
    days leave the 95% band on each side?

The comparison with statsforecast on real panels, and the large-panel timings, are in
``benchmarks/forecast_panels.py``. Writes ``benchmarks/results/forecast.json`` (or ``--out FILE``).
Usage: ``python benchmarks/forecast_bench.py [--holdout N] [--out FILE]``. Timings depend on what
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
from viewcast.forecasting.evaluation.metrics import seasonal_scale  # noqa: E402
from viewcast.io.jsonable import dumps  # noqa: E402
from viewcast.io.outputs import write_file  # noqa: E402
from viewcast.synth.influencers import write_influencers  # noqa: E402
from viewcast.synth.series import demand_series, to_long  # noqa: E402

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "forecast.json"


def summarise(result) -> dict:
    backtest = result.backtest
    return {
        "model": result.chosen,
        "members": {name: {k: v for k, v in m.items() if k != "description"} for name, m in backtest["members"].items()},
        "combination": backtest["combination"],
        "benchmark_seasonal_naive": backtest["benchmark"],
        "backtest_origins": backtest["origins"],
        "backtest_window_days": backtest["window_days"],
        "timings_seconds": {k: round(v, 2) for k, v in result.timings.items()},
    }


def study_sized(tmp: Path) -> dict:
    path = tmp / "study.csv"
    write_influencers(path, creators=10, days=50, seed=0)
    result = viewcast.forecast(path, horizon=30, progress=False)
    out = summarise(result)
    command = Path(sys.executable).with_name("viewcast")
    started = time.perf_counter()
    subprocess.run([str(command), "demo", "--out", str(tmp / "demo")], check=True, capture_output=True)
    out["demo_end_to_end_seconds"] = round(time.perf_counter() - started, 2)
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
                "leader": str(result.weights["leader"].iloc[0]),
                "mase": float(np.mean(np.abs(test - fc["point"])) / scale),
                "seasonal_naive_mase": float(np.mean(np.abs(test - snaive)) / scale),
                "above_hi95": float(np.mean(test > fc["hi95"])),
                "below_lo95": float(np.mean(test < fc["lo95"])),
                "coverage80": float(np.mean((test >= fc["lo80"]) & (test <= fc["hi80"]))),
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
        "share_above_hi95": float(np.mean([r["above_hi95"] for r in rows])),
        "share_below_lo95": float(np.mean([r["below_lo95"] for r in rows])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    write_file(args.out, dumps(results) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
