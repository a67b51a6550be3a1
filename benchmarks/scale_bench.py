"""Per-creator forecast of a large synthetic panel: this machine's local run against a Dask LocalCluster.

The panel is ``--series`` synthetic creators x ``--days`` days (``viewcast.synth.series.count_panel``,
seed 0), forecast 30 days ahead with ``by="creator"`` and the default ``auto`` pool, twice:

* ``local``: the statistical fits in this machine's worker processes (``VIEWCAST_JOBS``, two here);
* ``dask``: the same fits on a ``distributed.LocalCluster`` of ``--workers`` processes (one thread
  each), started by the run itself (its start-up is inside the measured seconds).

Each mode runs in a fresh Python process, so that neither inherits the other's memory; a sampler
thread there adds up the resident memory of the process and every process below it (the local
pool's workers, the cluster's nanny and worker processes) every 0.2 s and keeps the peak, and the
CPU seconds of the whole process tree are recorded: on a shared machine they, not the wall
seconds, are what extrapolates to a cluster. The two
runs' forecasts are compared (largest absolute difference of any point or bound). Results go to
``benchmarks/results/scale.json``; the seconds per series they give are the basis of the
million-creator plan in docs/scale.md.

Usage: ``python benchmarks/scale_bench.py [--series 10000] [--days 365] [--workers 2] [--out FILE]``.
The machine is shared: the load average before and after each run is recorded with it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("VIEWCAST_PROGRESS", "0")

ROOT = Path(__file__).resolve().parent
HORIZON = 30


class PeakMemory:
    """Peak resident memory of this process and all its descendants, sampled in a thread."""

    def __init__(self, every: float = 0.2) -> None:
        import psutil

        self.root = psutil.Process()
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _rss(self) -> int:
        import psutil

        total = 0
        for process in [self.root, *self.root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):  # a process that ended between listing and reading
                total += process.memory_info().rss
        return total

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def cpu_seconds() -> tuple[float, float]:
    """CPU time of this process (the client), and of every process it started and waited for
    (pool and cluster workers end inside the run, so their time is in ``children_*`` by then)."""
    import psutil

    times = psutil.Process().cpu_times()
    return times.user + times.system, times.children_user + times.children_system


def run_mode(mode: str, series: int, days: int, workers: int, out: Path) -> None:
    """One forecast in this process; its figures to ``out``.json and its forecast to ``out``.parquet."""
    import viewcast
    from viewcast.synth.series import count_panel, to_long

    frame = to_long(count_panel(series=series, days=days, seed=0))
    options = {"backend": mode, "workers": workers} if mode == "dask" else {}
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds()
    with PeakMemory() as memory:
        started = time.perf_counter()
        result = viewcast.forecast(frame, by="creator", horizon=HORIZON, progress=False, **options)
        seconds = time.perf_counter() - started
    client, workers = (after - before for after, before in zip(cpu_seconds(), cpu_before))
    result.forecast.to_parquet(out.with_suffix(".parquet"))
    figures = {
        "seconds": round(seconds, 1),
        "seconds_per_series": seconds / series,
        "cpu_seconds": round(client + workers, 1),
        "cpu_seconds_per_series": (client + workers) / series,
        "client_cpu_seconds": round(client, 1),
        "worker_cpu_seconds_per_series": workers / series,
        "peak_memory_gb": round(memory.peak / 1e9, 2),
        "timings": {k: round(v, 1) for k, v in result.timings.items()},
        "members": list(result.backtest["members"]),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }
    out.with_suffix(".json").write_text(json.dumps(figures))


def largest_difference(a: Path, b: Path) -> float:
    import numpy as np
    import pandas as pd

    left, right = pd.read_parquet(a), pd.read_parquet(b)
    assert left.shape == right.shape and list(left.columns) == list(right.columns)
    numeric = left.select_dtypes("number").columns
    assert (left.drop(columns=numeric) == right.drop(columns=numeric)).all().all()
    return float(np.max(np.abs(left[numeric].to_numpy(float) - right[numeric].to_numpy(float))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--modes", default="local,dask")
    parser.add_argument(
        "--together",
        action="store_true",
        help="run the modes at the same time (half the benchmark's wall time; each mode's seconds then include the "
        "other's load, its CPU seconds and memory do not)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "scale.json")
    parser.add_argument("--mode", help=argparse.SUPPRESS)  # one run, in a child process
    parser.add_argument("--to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        run_mode(args.mode, args.series, args.days, args.workers, args.to)
        return
    modes = args.modes.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        children = []
        for mode in modes:
            command = [sys.executable, __file__, "--mode", mode, "--to", str(Path(tmp) / mode)]
            command += ["--series", str(args.series), "--days", str(args.days), "--workers", str(args.workers)]
            children.append(subprocess.Popen(command))
            if not args.together:
                children[-1].wait()
        if any(child.wait() for child in children):
            sys.exit("a benchmark run failed")
        report = build_report([Path(tmp) / mode for mode in modes], args.series, args.days, args.workers, args.together)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


def build_report(targets: list[Path], series: int, days: int, workers: int, together: bool) -> dict:
    """The runs' figures (``target``.json) and the largest difference of their forecasts (``target``.parquet)."""
    runs = {target.name: json.loads(target.with_suffix(".json").read_text()) for target in targets}
    parquet = [target.with_suffix(".parquet") for target in targets]
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "shared": "with other engineers' jobs"},
        "panel": {"series": series, "days": days, "horizon": HORIZON, "by": "creator", "model": "auto"},
        "dask": {"cluster": "distributed.LocalCluster", "workers": workers, "threads_per_worker": 1},
        "modes_ran_together": together,
        "runs": runs,
        "largest_forecast_difference": largest_difference(*parquet) if len(parquet) == 2 else None,
        "peak_memory": "resident memory of the run's process and every process below it (pool / cluster workers)",
    }


if __name__ == "__main__":
    main()
