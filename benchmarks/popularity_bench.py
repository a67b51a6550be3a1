"""Popularity benchmark (issue 12): the request stream replayed through caches, the learned cache against
the best non-learning policy, replay speed per policy, and training memory at scale.

(a) Quality. Logs of three kinds, each run with several model seeds (mean ± sd):
    * ``generated``: viewcast's generator shaped like the issue's held-out log (1,883 movies, 100,000
      ratings over two years: about 960 requests a week), generator seeds 0, 1, 2;
    * ``ml-latest-small``: the real MovieLens ratings (``$VIEWCAST_DATA_DIR``), as they are;
    * ``flash``: a stress log unlike MovieLens (half the requests in ~12-hour flash crowds,
      ``flash_crowd_ratings``), generator seeds 0, 1, 2, with daily slots (weekly ones cannot see a crowd).
    Weekly slots (daily for ``flash``), default settings otherwise: ``viewcast.popularity`` trains the network, replays the
    validation (warm-up) and test (measured) requests through LRU, LFU, ARC, S3-FIFO, W-TinyLFU, SIEVE,
    libCacheSim's Belady and Belady with bypass (the ceiling), the learned cache and the same cache
    driven by decayed counts (the non-learned ablation), at 0.1, 0.5, 1, 5 and 10 % of the catalogue.
    Verdict per log and size: the learned cache's test hit ratio (mean over model seeds) against the
    best of the six non-learning policies on the same requests.
(b) Replay speed: requests/s of each policy on one generated stream of a million requests (the
    issue's shape over 22 years), libCacheSim's (C, ``process_trace``) and ours (Python loops: the
    learned cache with one setting, and Belady with bypass), in the same run.
(c) Memory: ``viewcast popularity train`` (one short epoch, no replay) at daily slots on generated
    ratings, in its own process under ``/usr/bin/time -v`` (peak resident memory, wall time).

Writes ``benchmarks/results/popularity.json``. Usage: ``python benchmarks/popularity_bench.py
[--seeds 3] [--logs 3] [--kinds flash] [--memory-rows 5000000] [--skip-quality] [--skip-memory]`` (a skipped part or kind
keeps the previous run's figures). Timings depend on what else runs on the machine.
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
from typing import Any

os.environ.setdefault("VIEWCAST_PROGRESS", "0")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd

import viewcast
from viewcast.io.jsonable import dumps
from viewcast.io.outputs import write_file
from viewcast.popularity.config import CACHE_SIZES
from viewcast.popularity.learned_policy import NON_LEARNING, LearnedReplay, Setting, against_best, expected_totals
from viewcast.popularity.replay import RequestStream, Trace, replay_policies
from viewcast.synth.ratings import flash_crowd_ratings, generate_ratings, write_movielens

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "popularity.json"
CACHE = Path("/tmp/viewcast-bench")
VIEWCAST = Path(sys.executable).with_name("viewcast")
YEAR = 365 * 86_400
ISSUE_SHAPE = {"movies": 1_883, "rows": 100_000, "start": 1_420_070_400, "end": 1_420_070_400 + 2 * YEAR}  # 2015-2016
SLOTS = {"generated": "weekly", "ml-latest-small": "weekly", "flash": "daily"}
ORDER = ["lru", "lfu", "arc", "s3fifo", "wtinylfu", "sieve", "decayed_score", "learned", "belady", "belady_bypass"]


def generated_log(seed: int) -> pd.DataFrame:
    shape = ISSUE_SHAPE
    return generate_ratings(shape["rows"], shape["movies"], seed, start=shape["start"], end=shape["end"]).ratings


def quality_runs(logs: dict[str, Any], seeds: int) -> list[dict[str, Any]]:
    """Every log x model seed: the replay rows of one ``viewcast.popularity`` run."""
    runs = []
    for name, data in logs.items():
        for seed in range(seeds):
            started = time.perf_counter()
            result = viewcast.popularity(data, slot=SLOTS[name.split("#")[0]], seed=seed, progress=False)
            for row in result.replay["rows"]:
                runs.append({"log": name, "kind": name.split("#")[0], "seed": seed, **row})
            print(f"{name} seed {seed}: {time.perf_counter() - started:.0f} s", flush=True)
    return runs


def quality(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per kind mean ± sd, and the verdict per log."""
    frame = pd.DataFrame(runs)
    return {"slots": SLOTS, "tables": tables(frame), "verdict": verdict(frame), "runs": runs}


def tables(frame: pd.DataFrame) -> dict[str, Any]:
    """Per kind: hit ratio per policy and size, mean ± sd over every (log, model seed) run."""
    out = {}
    for kind, part in frame.groupby("kind", sort=False):
        stats = part.groupby(["policy", "size_fraction"])["hit_ratio"].agg(["mean", "std", "count"]).reset_index()
        table = {}
        for policy in [p for p in ORDER if p in set(stats["policy"])]:
            rows = stats[stats["policy"] == policy]
            table[policy] = {
                f"{fraction * 100:g}%": None if pd.isna(m) else f"{m:.4f} ± {0.0 if pd.isna(s) else s:.4f}"
                for fraction, m, s in zip(rows["size_fraction"], rows["mean"], rows["std"])
            }
        out[kind] = {"runs": int(part.groupby(["log", "seed"]).ngroups), "hit_ratio_mean_sd": table}
    return out


def verdict(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Per log: the learned cache (mean over model seeds) against the best non-learning policy, per size."""
    out = []
    for log, part in frame.groupby("log", sort=False):
        mean = part.groupby(["policy", "size_fraction"], as_index=False)["hit_ratio"].mean()
        rows = mean.to_dict("records")
        sd = part[part["policy"] == "learned"].groupby("size_fraction")["hit_ratio"].std().fillna(0.0)
        for policy in ("learned", "decayed_score"):
            sizes = against_best(rows, policy)
            out.append(
                {
                    "log": log,
                    "policy": policy,
                    "sizes_at_or_above_best": f"{sum(s['at_or_above'] for s in sizes)}/{len(sizes)}",
                    "per_size": [
                        {
                            "size": f"{s['size_fraction'] * 100:g}%",
                            "best": s["best_policy"],
                            "best_hit_ratio": round(s["best_hit_ratio"], 4),
                            "hit_ratio": round(s["hit_ratio"], 4),
                            "model_seed_sd": round(float(sd.get(s["size_fraction"], 0.0)), 4) if policy == "learned" else None,
                            "margin": round(s["margin"], 4),
                        }
                        for s in sizes
                    ],
                }
            )
    return out


def speed(rows: int = 1_000_000, fraction: float = 0.05) -> dict[str, Any]:
    """Requests/s per policy on one generated stream (warm-up 70 %, the rest measured), one size."""
    ratings = generate_ratings(rows, ISSUE_SHAPE["movies"], 0).ratings.sort_values("timestamp", kind="stable")
    item, _ = pd.factorize(ratings["movieId"])
    week = ((ratings["timestamp"].to_numpy() // 86_400 + 3) // 7).astype(np.int64)
    slot = week - week[0]
    stream = RequestStream(item=item.astype(np.int64), slot=slot, warmup=int(0.7 * rows))
    catalogue = int(item.max()) + 1
    out: dict[str, Any] = {"requests": rows, "catalogue": catalogue, "cache_fraction": fraction, "policies": {}}
    with Trace(stream) as trace:
        for row in replay_policies(trace, [*NON_LEARNING, "belady", "belady_bypass"], [fraction], catalogue):
            out["policies"][row["policy"]] = {
                "implementation": "ours (Python)" if row["policy"] == "belady_bypass" else "libCacheSim (C, process_trace)",
                "requests_per_second": row["requests_per_second"],
                "hit_ratio": round(row["hit_ratio"], 4),
            }
    counts = np.zeros((int(slot[-1]) + 1, catalogue))
    np.add.at(counts, (slot, item), 1.0)
    a = 0.5 ** (1 / 16)
    rate = np.zeros_like(counts)  # decayed counts before each slot, as requests per slot: a stand-in for predictions
    for t in range(1, counts.shape[0]):
        rate[t] = a * rate[t - 1] + (1 - a) * counts[t - 1]
    replay = LearnedReplay(stream, [fraction], catalogue, betas=[1.0], windows=[0.1], scores=["learned"])
    scale = expected_totals(counts.sum(axis=1))
    started = time.perf_counter()
    for t in np.unique(slot):
        replay.slot(int(t), {"learned": rate[t] / max(rate[t].sum(), 1e-9) * scale[t]})
    (row,) = replay.rows()
    seconds = time.perf_counter() - started
    out["policies"]["learned"] = {
        "implementation": "ours (Python; keys rebuilt at each of the weekly slot boundaries)",
        "requests_per_second": round(rows / seconds),
        "hit_ratio": round(row["hit_ratio"], 4),
        "setting": str(Setting(1.0, 0.1)),
    }
    return out


def timed(command: list[str]) -> dict[str, Any]:
    """Run a command under ``/usr/bin/time -v``: wall seconds and peak resident memory."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{proc.stderr[-2000:]}")
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return {"seconds": round(wall, 1), "load_average_before": round(load, 2), "peak_memory_gb": round(peak_kb / 1024**2, 3)}


def memory(rows: int) -> dict[str, Any]:
    """Prepare (daily slots) and train one short epoch without replay on ``rows`` generated ratings."""
    folder = CACHE / f"ratings-{rows}-seed0"
    if not (folder / "ratings.csv").is_file():
        write_movielens(generate_ratings(rows, max(2_000, int(rows * 45_000 / 26_000_000)), 0), folder)
    with tempfile.TemporaryDirectory(prefix="viewcast-bench-") as tmp:
        prepare = timed([str(VIEWCAST), "popularity", "prepare", "--data", str(folder), "--slot", "daily", "--out", f"{tmp}/p"])
        train = timed(
            [str(VIEWCAST), "popularity", "train", "--prepared", f"{tmp}/p", "--out", f"{tmp}/t", "--max-epochs", "1",
             "--max-batches-per-epoch", "100", "--no-replay"]
        )  # fmt: skip
    return {"ratings": rows, "slot": "daily", "prepare": prepare, "train_one_epoch_no_replay": train}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="model seeds per log")
    parser.add_argument("--logs", type=int, default=3, help="generated logs (generator seeds)")
    parser.add_argument("--memory-rows", type=int, default=5_000_000)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--kinds", nargs="+", default=list(SLOTS), help="log kinds for the quality part")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    previous = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average": os.getloadavg()[0]},
        "cache_sizes": list(CACHE_SIZES),
    }
    if args.skip_quality and "quality" in previous:
        result["quality"] = previous["quality"]
    elif not args.skip_quality:
        logs: dict[str, Any] = {f"generated#{seed}": generated_log(seed) for seed in range(args.logs)}
        logs.update({f"flash#{seed}": flash_crowd_ratings(seed=seed) for seed in range(args.logs)})
        data_dir = os.environ.get("VIEWCAST_DATA_DIR")
        if data_dir and (Path(data_dir) / "movielens" / "ml-latest-small").is_dir():
            logs["ml-latest-small"] = Path(data_dir) / "movielens" / "ml-latest-small"
        logs = {name: data for name, data in logs.items() if name.split("#")[0] in args.kinds}
        kept = [run for run in previous.get("quality", {}).get("runs", []) if run["kind"] not in args.kinds]
        result["quality"] = quality(kept + quality_runs(logs, args.seeds))
        for row in result["quality"]["verdict"]:
            print(row["log"], row["policy"], row["sizes_at_or_above_best"], [s["margin"] for s in row["per_size"]], flush=True)
    result["replay_speed"] = speed()
    print(json.dumps(result["replay_speed"], indent=1), flush=True)
    if args.skip_memory and "memory" in previous:
        result["memory"] = previous["memory"]
    elif not args.skip_memory:
        result["memory"] = memory(args.memory_rows)
        print(result["memory"], flush=True)
    write_file(RESULTS, dumps(result, indent=1) + "\n", param=None)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
