"""Follower-drivers benchmark (issue 13): known log-scale effects, an aliased play-time column.

Run: ``.venv/bin/python benchmarks/followers_bench.py [--seeds 60]``. Prints a table and writes
``benchmarks/results/followers.json``.

Each seed generates 194 videos (the study's size) with ``viewcast.synth.videos`` and analyses
them three ways on the same rows:

* ``viewcast`` — the defaults (log scale by CV, aliases dropped, Breusch–Pagan, Holm);
* ``statsmodels log1p OLS`` — the issue's peer: plain OLS on log1p counts (every column kept),
  drivers at raw p < 0.05, the 95% prediction interval from ``get_prediction``;
* ``study recipe`` — ``STUDY_RECIPE`` (raw counts, no correction, training part only).

Measured: how often each true driver is found with its sign, how often a null term is called a
driver (per data set: "any false driver", and per null term), whether the alias is reported,
the coverage of the 95% prediction interval on 2,000 new videos per seed, and seconds per fit.

Targets (issue 13): every true driver found with the right sign at p < 0.05, no false driver
(family-wise rate near the nominal 5%), the alias reported, prediction-interval coverage near 95%.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from viewcast.followers import STUDY_RECIPE, FollowersConfig, run
from viewcast.followers.config import DEFAULT_LOG_COLUMNS
from viewcast.followers.data import clean_table
from viewcast.io.jsonable import dumps
from viewcast.io.outputs import write_file
from viewcast.synth.videos import RARE_CATEGORIES, RARE_SUBJECTS, generate_videos

RESULTS = Path(__file__).parent / "results" / "followers.json"
SCENARIOS = {
    "log truth, play time = views x watch time": {"effects": "log", "play_time": "product"},
    "log truth, play time = 30 x views": {"effects": "log", "play_time": "copy"},
    "study truth (raw scale)": {"effects": "study", "play_time": "product"},
}


def new_videos(seed: int, effects: str, play_time: str, rows: int = 2000) -> pd.DataFrame:
    fresh = generate_videos(rows, seed, effects, play_time).complete
    rare = fresh["category"].isin(list(RARE_CATEGORIES)) | fresh["subject"].isin(list(RARE_SUBJECTS))
    return fresh[~rare].reset_index(drop=True)


def peer_design(values: pd.DataFrame, levels: pd.DataFrame, numeric: list[str], baselines: dict[str, str]) -> pd.DataFrame:
    """log1p of the counts, other columns raw, dummies against the same baselines."""
    design = pd.DataFrame(
        {c: np.log1p(values[c]) if c in DEFAULT_LOG_COLUMNS else values[c] for c in numeric}, index=values.index
    ).astype(float)
    for column, baseline in baselines.items():
        for level in sorted(set(levels[column]) - {baseline}):
            design[f"{column}_{level}"] = (levels[column] == level).astype(float)
    return design.assign(const=1.0)


def peer(frame: pd.DataFrame, fresh: pd.DataFrame, baselines: dict[str, str]) -> dict:
    """The issue's statsmodels check: OLS on log1p counts with every column, fitted on all rows."""
    import statsmodels.api as sm

    started = time.perf_counter()
    table = clean_table(frame, FollowersConfig())
    values = table.values.fillna(table.values.mean())  # watchedFullVideo zeros filled with the mean
    X = peer_design(values, table.levels, table.numeric, baselines)
    fit = sm.OLS(np.log1p(values[table.target]), X).fit()
    seconds = time.perf_counter() - started
    columns = list(X.columns)
    new_X = peer_design(fresh, fresh, table.numeric, baselines).reindex(columns=columns, fill_value=0.0)
    interval = fit.get_prediction(new_X).summary_frame(alpha=0.05)
    actual = fresh["newFollowers"].to_numpy(float)
    inside = (np.expm1(interval["obs_ci_lower"]) <= actual) & (actual <= np.expm1(interval["obs_ci_upper"]))
    significant = fit.pvalues.drop("const") < 0.05
    return {
        "found": {t: int(np.sign(fit.params[t])) for t in significant.index[significant]},
        "aliases": [],
        "coverage": float(inside.mean()),
        "seconds": seconds,
    }


def ours(frame: pd.DataFrame, fresh: pd.DataFrame, options: dict, seed: int) -> dict:
    started = time.perf_counter()
    result = run(frame, FollowersConfig.parse(options, seed=seed))
    seconds = time.perf_counter() - started
    table = result.coefficients
    answers = result.model.predict(fresh)
    actual = fresh["newFollowers"].to_numpy(float)
    return {
        "found": {t: int(np.sign(r["estimate"])) for t, r in table[table["driver"]].iterrows()},
        "aliases": [a["term"] for a in result.aliases],
        "coverage": float(((answers["lo95"] <= actual) & (actual <= answers["hi95"])).mean()),
        "seconds": seconds,
        "scale": result.metrics["scale"],
        "cov_type": result.metrics["cov_type"],
    }


def summarise(runs: list[dict], truths: list[dict[str, int]], nulls: list[set[str]]) -> dict:
    drivers = sorted(truths[0])
    hits = {d: float(np.mean([r["found"].get(d) == t[d] for r, t in zip(runs, truths)])) for d in drivers}
    false = [set(r["found"]) & n for r, n in zip(runs, nulls)]
    summary = {
        "all_drivers_found": float(np.mean([all(r["found"].get(d) == t[d] for d in t) for r, t in zip(runs, truths)])),
        "driver_found_rate": hits,
        "seeds_with_a_false_driver": float(np.mean([bool(f) for f in false])),
        "false_driver_rate_per_null_term": float(np.mean([len(f) / len(n) for f, n in zip(false, nulls)])),
        "play_time_alias_reported": float(np.mean(["totalPlayTime" in r["aliases"] for r in runs])),
        "pi95_coverage_new_videos": float(np.mean([r["coverage"] for r in runs])),
        "seconds_per_fit_median": float(np.median([r["seconds"] for r in runs])),
    }
    if "scale" in runs[0]:
        summary["log_scale_chosen"] = float(np.mean([r["scale"] == "log" for r in runs]))
        summary["hc3_chosen"] = float(np.mean([r["cov_type"] == "HC3" for r in runs]))
    return summary


def scenario(seeds: int, effects: str, play_time: str) -> dict:
    methods = {"viewcast": [], "statsmodels log1p OLS": [], "study recipe": []}
    truths, nulls = [], []
    for seed in range(seeds):
        synth = generate_videos(194, seed, effects, play_time)
        fresh = new_videos(10_000 + seed, effects, play_time)
        baselines = {"category": "Tech", "subject": "programming"}
        truth = synth.drivers(**{f"{c}_baseline": b for c, b in baselines.items()})
        terms = set(synth.true_coefficients(*baselines.values())) - {"const"}
        truths.append(truth)
        nulls.append(terms - set(truth))
        methods["viewcast"].append(ours(synth.frame, fresh, {}, seed))
        methods["statsmodels log1p OLS"].append(peer(synth.frame, fresh, baselines))
        methods["study recipe"].append(ours(synth.frame, fresh, STUDY_RECIPE, seed))
    return {name: summarise(runs, truths, nulls) for name, runs in methods.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=60)
    seeds = parser.parse_args().seeds
    report = {
        "rows_per_data_set": 194,
        "seeds": seeds,
        "new_videos_per_seed": "2,000 minus rare levels",
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
        "scenarios": {},
    }
    for name, settings in SCENARIOS.items():
        started = time.perf_counter()
        report["scenarios"][name] = scenario(seeds, **settings)
        print(f"\n{name} ({seeds} seeds, {time.perf_counter() - started:.0f} s)")
        for method, s in report["scenarios"][name].items():
            rates = ", ".join(f"{d} {v:.2f}" for d, v in s["driver_found_rate"].items())
            print(
                f"  {method:24s} all found {s['all_drivers_found']:.2f} ({rates}) · any false {s['seeds_with_a_false_driver']:.2f}"
                f" · per null {s['false_driver_rate_per_null_term']:.3f} · alias {s['play_time_alias_reported']:.2f}"
                f" · PI95 {s['pi95_coverage_new_videos']:.3f} · {s['seconds_per_fit_median']:.2f} s"
            )
    write_file(RESULTS, dumps(report) + "\n", param=None)
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
