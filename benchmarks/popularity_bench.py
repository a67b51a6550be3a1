"""Popularity benchmark: preparation speed and memory at scale, and model quality on real data.

(a) ``viewcast popularity prepare`` on 1 M, 5 M and 26 M generated MovieLens ratings (CSV files,
    daily slots, window 10, records windows), each run in its own process under
    ``/usr/bin/time -v`` for wall time and peak memory (targets: 26 M in <= 30 s, <= 3 GB).
    Generated files are cached under ``/tmp/viewcast-bench/`` (never in the repository).
(b) ml-latest-small (``$VIEWCAST_DATA_DIR``), weekly slots: a sweep over the four cells with the
    listwise loss; the best run by *validation* hit@50 is compared on the test slots with every
    baseline (target: hit@50 >= each baseline's, RMSE < moving average's) and the oracle.

Writes ``benchmarks/results/popularity.json``. Usage: ``python benchmarks/popularity_bench.py
[--sizes 1000000 5000000 26000000] [--skip-real] [--skip-preparation]`` (a skipped part keeps the
figures of the previous run). Timings depend on what else runs: run it alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("VIEWCAST_PROGRESS", "0")

from viewcast.atomic import write_json
from viewcast.popularity.evaluate import REQUIRED_BASELINES
from viewcast.synth.ratings import generate_ratings, write_movielens

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "popularity.json"
CACHE = Path("/tmp/viewcast-bench")
VIEWCAST = Path(sys.executable).with_name("viewcast")
MOVIES_PER_RATING = 45_000 / 26_000_000  # the full MovieLens: ~45k rated movies for 26 M ratings


def generated(rows: int, seed: int = 0) -> tuple[Path, float | None]:
    """A cached MovieLens-format folder with ``rows`` ratings (and the seconds to make it, if made now)."""
    folder = CACHE / f"ratings-{rows}-seed{seed}"
    if (folder / "ratings.csv").is_file() and (folder / "movies.csv").is_file():
        return folder, None
    started = time.perf_counter()
    write_movielens(generate_ratings(rows, max(2_000, int(rows * MOVIES_PER_RATING)), seed), folder)
    return folder, round(time.perf_counter() - started, 1)


def timed(command: list[str]) -> dict:
    """Run a command under ``/usr/bin/time -v``: wall seconds and peak resident memory."""
    load = os.getloadavg()[0]  # other work on the machine slows every figure down
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{proc.stderr[-2000:]}")
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([\d.]+)", proc.stderr).group(1)) for kind in ("User", "System"))
    return {
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),  # wall time on an idle 2-core machine is about this / 2 at best
        "load_average_before": round(load, 2),
        "peak_memory_gb": round(peak_kb / 1024**2, 3),
        "stdout": " ".join(proc.stdout.split()),
    }


def preparation(sizes: list[int]) -> dict:
    out = {}
    for rows in sizes:
        folder, gen_seconds = generated(rows)
        with tempfile.TemporaryDirectory(prefix="viewcast-prep-") as tmp:
            run = timed([str(VIEWCAST), "popularity", "prepare", "--data", str(folder), "--slot", "daily",
                         "--window", "10", "--windows", "records", "--out", tmp])  # fmt: skip
            written = {p.name: round(p.stat().st_size / 1024**2, 1) for p in Path(tmp).iterdir()}
        run.update(
            ratings=rows,
            csv_mb=round((folder / "ratings.csv").stat().st_size / 1024**2, 1),
            generation_seconds=gen_seconds,
            ratings_per_second=round(rows / run["seconds"]),
            output_mb=written,
        )
        out[str(rows)] = run
        print(
            f"prepare {rows:>11,} ratings: {run['seconds']:6.1f} s (cpu {run['cpu_seconds']:.1f} s, load "
            f"{run['load_average_before']:.1f}), peak {run['peak_memory_gb']:.2f} GB",
            flush=True,
        )
    return out


SWEEP = """
prepared = "{prepared}"
[fixed]
window = 10
windows = "slots"
hidden = 32
max_epochs = 15
patience = 4
seed = 0
[grid]
cell = ["lstm", "gru", "rnn", "cnn_lstm"]
loss = ["cross_entropy", "mse"]
"""


def real_data(data_dir: Path) -> dict:
    import pandas as pd

    folder = data_dir / "movielens" / "ml-latest-small"
    with tempfile.TemporaryDirectory(prefix="viewcast-ml-") as tmp:
        tmp = Path(tmp)
        prep = timed([str(VIEWCAST), "popularity", "prepare", "--data", str(folder), "--slot", "weekly", "--out", str(tmp / "p")])
        (tmp / "sweep.toml").write_text(SWEEP.format(prepared=tmp / "p"))
        sweep = timed([str(VIEWCAST), "popularity", "sweep", str(tmp / "sweep.toml"), "--out", str(tmp / "s")])
        metrics = json.loads((tmp / "s" / "best" / "metrics.json").read_text())
        runs = pd.read_csv(tmp / "s" / "results.csv").round(5).to_dict("records")
    model, baselines = metrics["model"], metrics["baselines"]
    return {
        "data": "ml-latest-small, weekly slots, window 10, slots windows; 4 cells x (cross_entropy, mse)",
        "prepare_seconds": prep["seconds"],
        "sweep_seconds": sweep["seconds"],
        "best_run": metrics["config"],
        "split": metrics["split"],
        "test": {"model": model, "baselines": baselines, "oracle": metrics["oracle"]},
        "validation": metrics["validation"],
        "runs": runs,
        "targets": {
            "hit@50_at_least_every_baseline": all(model["hit@50"] >= baselines[b]["hit@50"] for b in REQUIRED_BASELINES),
            "rmse_below_moving_average": model["rmse"] < baselines["moving_average"]["rmse"],
            "hit@50_at_least_decayed_lfu (extra baseline)": model["hit@50"] >= baselines["lfu_decayed"]["hit@50"],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000, 26_000_000])
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--skip-preparation", action="store_true", help="keep the preparation figures of the last run")
    args = parser.parse_args()
    result: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    previous = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    if args.skip_preparation and "preparation_daily_window10_records" in previous:
        result["preparation_daily_window10_records"] = previous["preparation_daily_window10_records"]
    else:
        result["preparation_daily_window10_records"] = preparation(args.sizes)
    big = result["preparation_daily_window10_records"].get("26000000")
    if big:
        result["targets_26m"] = {"seconds_le_30": big["seconds"] <= 30, "peak_memory_le_3gb": big["peak_memory_gb"] <= 3}
    data_dir = os.environ.get("VIEWCAST_DATA_DIR")
    if not args.skip_real and data_dir and Path(data_dir).is_dir():
        result["ml_latest_small_weekly"] = real_data(Path(data_dir))
        print("ml-latest-small weekly:", result["ml_latest_small_weekly"]["test"], flush=True)
    elif "ml_latest_small_weekly" in previous:
        result["ml_latest_small_weekly"] = previous["ml_latest_small_weekly"]
    write_json(RESULTS, result)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
