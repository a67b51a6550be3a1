"""A grid of runs over cells, hyper-parameters, optimizers and losses, ranked and reported.

The study tried LSTM, GRU and CNN+RNN models over hyper-parameters, optimizers and losses; this
runs that grid from a TOML file. The log is read once; runs that share data settings (window,
windows, sampling, split) share one sampling pass, and runs that share a split share the replay
of the standard cache policies. Runs are ranked by validation ``hit@50`` (the test slots stay
unseen by the choice).

File format::

    prepared = "prepared-weekly"      # folder from 'viewcast popularity prepare' (relative to this file)
    [fixed]                           # settings shared by every run
    max_epochs = 10
    [grid]                            # every combination of these lists is one run
    cell = ["lstm", "gru", "rnn", "cnn_lstm"]
    loss = ["cross_entropy", "mse"]
"""

from __future__ import annotations

import os
import time
import tomllib
from pathlib import Path
from typing import Any

from viewcast.errors import ConfigError, DataValidationError
from viewcast.popularity.config import PopularityConfig, SweepConfig
from viewcast.popularity.pipeline import Replay, judge, opened
from viewcast.popularity.result import SweepResult
from viewcast.popularity.training import fit_network, training_data
from viewcast.progress import progress_bar

MAX_RUNS = 1000


def load_sweep(path: str | os.PathLike[str]) -> tuple[SweepConfig, list[PopularityConfig]]:
    """Parse and validate the TOML file and every run it describes, before anything is trained.

    A relative ``prepared`` folder is taken relative to the file. Errors name the file and the
    setting (``grid.cell``).
    """
    path = Path(path)
    if not path.is_file():
        raise DataValidationError(f"{path}: sweep file {'is a folder' if path.is_dir() else 'not found'}", param="config_file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"{path}: not valid TOML ({exc})") from None
    try:
        sweep = SweepConfig.parse(raw)
        size = 1
        for values in sweep.grid.values():
            size *= len(values)
        if size > MAX_RUNS:
            raise ConfigError(f"describes {size:,} runs; at most {MAX_RUNS:,}", param="grid")
        runs = sweep.runs()
    except ConfigError as exc:
        raise DataValidationError(f"{path}: {exc.render()}") from None
    if sweep.prepared is not None and not Path(sweep.prepared).is_absolute():
        sweep = sweep.model_copy(update={"prepared": str((path.parent / sweep.prepared).resolve())})
    return sweep, runs


def varied_settings(runs: list[PopularityConfig]) -> list[str]:
    """The settings that differ between runs (the ranking table's columns)."""
    dumps = [run.model_dump() for run in runs]
    return [name for name in PopularityConfig.model_fields if len({repr(d[name]) for d in dumps}) > 1] or ["cell"]


def run_sweep(data: Any, runs: list[PopularityConfig]) -> SweepResult:
    """Train and judge every run on one log (see the module docstring)."""
    if not runs:
        raise ConfigError("the grid describes no runs", param="grid")
    for name in ("slot", "memory_limit", "threads", "progress"):
        if len({getattr(run, name) for run in runs}) > 1:
            raise ConfigError("must be the same for every run of a sweep (the log is read once)", param=f"grid.{name}")
    results = []
    with opened(data, runs[0]) as (source, log):
        datasets: dict[str, Any] = {}
        replays: dict[tuple[Any, ...], Replay] = {}
        try:
            with progress_bar("popularity sweep", total=len(runs), enabled=runs[0].progress) as advance:
                for config in runs:
                    started = time.perf_counter()
                    key = config.data_key()
                    if key not in datasets:
                        datasets[key] = training_data(log, config)
                    training = datasets[key]
                    replay = None
                    if config.replay:
                        split_key = (config.val_fraction, config.test_fraction, tuple(config.policies), tuple(config.cache_sizes))
                        if split_key not in replays:
                            replays[split_key] = Replay(source, log, training.split, config)
                        replay = replays[split_key]
                    fitted = fit_network(training, log, config, progress=False)
                    results.append(judge(source, log, config, training, fitted, replay, started))
                    advance()
        finally:
            for replay in replays.values():
                replay.close()
    return SweepResult(results, varied_settings(runs))
