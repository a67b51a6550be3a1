"""``run(data, config) -> PopularityResult``: prepare if needed, train, evaluate, replay through caches.

1. The request log: a MovieLens folder or a ratings DataFrame is prepared (DuckDB, in memory and
   spilled to a temporary folder), a prepared folder is read.
2. A chronological split by slot; training groups are sampled in one pass up to the test period.
3. One network is trained (early stopping on validation hit@50, streamed).
4. One pass from the validation period to the end of the log scores every candidate of every
   validation and test slot: metrics of the model, the baselines and the oracle; the test slots'
   predictions; the learned cache fed with each slot's predicted popularity (and the same cache
   fed with decayed counts, the non-learned ablation); and the feature state after the last slot,
   which the model keeps to serve the next one.
5. The validation and test requests, in time order, replay through libCacheSim's policies and
   the offline optimum (validation warms the caches up; test is measured).

Pure: nothing is printed and nothing is written except temporary files (DuckDB's spill folder,
the replay trace) that are removed before returning.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from viewcast.popularity.config import PopularityConfig
from viewcast.popularity.data import PreparedData, PreparedFolder, open_log
from viewcast.popularity.evaluation import SELECTION_METRIC, Evaluation, ScoredRows, prediction_rows, score_rows
from viewcast.popularity.features import DECAYED_LFU_HALF_LIFE, FeatureState, LogPass, SlotLog
from viewcast.popularity.learned_policy import LearnedReplay, decayed_rate, expected_totals
from viewcast.popularity.model import NetworkSettings, PopularityModel
from viewcast.popularity.network import PopularityNet
from viewcast.popularity.replay import RequestStream, Trace, replay_policies
from viewcast.popularity.result import PopularityResult
from viewcast.popularity.slots import slot_of
from viewcast.popularity.training import Fitted, Split, TrainingData, fit_network, training_data

Source = PreparedData | PreparedFolder


@contextmanager
def opened(data: Any, config: PopularityConfig) -> Iterator[tuple[Source, SlotLog]]:
    """The data source (closed afterwards) and its slot log."""
    source = open_log(data, config)
    try:
        yield source, source.slot_log()
    finally:
        source.close()


def run(data: Any, config: PopularityConfig) -> PopularityResult:
    """Train and judge one popularity model (see the module docstring)."""
    started = time.perf_counter()
    with opened(data, config) as (source, log):
        training = training_data(log, config)
        replay = Replay(source, log, training.split, config) if config.replay else None
        try:
            return judge(source, log, config, training, fit_network(training, log, config, config.progress), replay, started)
        finally:
            if replay is not None:
                replay.close()


class Replay:
    """The replay of one split's validation and test requests: the trace and the standard policies' table."""

    def __init__(self, source: Source, log: SlotLog, split: Split, config: PopularityConfig) -> None:
        self.stream = request_stream(source, log, split)
        self.catalogue = log.n_items
        self.trace = Trace(self.stream)
        try:
            self.standard = replay_policies(self.trace, config.policies, config.cache_sizes, self.catalogue)
        except BaseException:
            self.trace.close()
            raise

    def learned(self, config: PopularityConfig) -> LearnedReplay | None:
        if not config.learned_policy:
            return None
        return LearnedReplay(self.stream, config.cache_sizes, self.catalogue, config.learned_betas, config.learned_windows)

    def summary(self, learned: LearnedReplay | None) -> dict[str, Any]:
        return {
            "catalogue": self.catalogue,
            "warmup_requests": self.stream.warmup,
            "measured_requests": self.stream.measured,
            "rows": self.standard + (learned.rows() if learned is not None else []),
            "learned_choice": "beta and window per cache size on the second half of the validation period",
        }

    def close(self) -> None:
        self.trace.close()


def request_stream(source: Source, log: SlotLog, split: Split) -> RequestStream:
    """Validation and test requests in time order as item indices; validation ones warm caches up."""
    seconds, item_ids = source.requests(log.origin + split.validation_start)
    slots = slot_of(seconds, source.slot) - log.origin
    order = np.argsort(log.items, kind="stable")
    items = order[np.searchsorted(log.items, item_ids, sorter=order)].astype(np.int32)
    slots = slots.astype(np.int32)
    return RequestStream(item=items, slot=slots, warmup=int(np.searchsorted(slots, split.test_start, side="left")))


@dataclass
class Judged:
    """What the final pass over the validation and test slots found."""

    validation: dict[str, Any]
    test: dict[str, Any]
    predictions: pd.DataFrame
    state: FeatureState


def final_pass(
    net: PopularityNet, config: PopularityConfig, log: SlotLog, training: TrainingData, learned: LearnedReplay | None
) -> Judged:
    """Score every validation and test slot once; feed metrics, predictions and the learned cache; keep the end state."""
    split = training.split
    wanted = np.zeros(log.n_slots + 1, dtype=bool)
    wanted[split.validation] = wanted[split.test] = True
    validation, test = Evaluation(), Evaluation()
    predictions: list[dict[str, np.ndarray]] = []
    log_pass = LogPass(log, training.validation_state, log.n_slots)
    expected = expected_totals(log.totals)
    for block in log_pass:
        rows = np.flatnonzero(wanted[block.a : block.a + block.n_rows])
        if rows.size:
            scored = score_rows(net, config.loss, config.windows, block, rows)
            in_test = scored.slots >= split.test_start
            if (~in_test).any():
                validation.add(scored.subset(~in_test))
            if in_test.any():
                test.add(scored.subset(in_test))
                predictions.append(prediction_rows(scored.subset(in_test), log.items, log.origin))
            if learned is not None:
                feed_learned(learned, scored, expected, log.n_items)
    return Judged(validation.result(), test.result(), prediction_frame(predictions), log_pass.state)


def prediction_frame(parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """One frame of the blocks' prediction columns, a column at a time (each part freed once joined; no second copy)."""
    if not parts:
        return pd.DataFrame()
    return pd.DataFrame({k: np.concatenate([p.pop(k) for p in parts]) for k in list(parts[0])}, copy=False)


def feed_learned(learned: LearnedReplay, scored: ScoredRows, expected: np.ndarray, n_items: int) -> None:
    """Each scored slot's expected requests per item: the model's shares x the expected slot total, and decayed counts."""
    decayed = scored.baselines["lfu_decayed"][0]
    m = scored.shares.shape[1]
    for row, slot in enumerate(scored.slots.tolist()):
        mu = {"learned": np.zeros(n_items), "decayed_score": np.zeros(n_items)}
        mu["learned"][:m] = scored.shares[row] * expected[slot]
        mu["decayed_score"][:m] = decayed_rate(decayed[row], DECAYED_LFU_HALF_LIFE)
        learned.slot(slot, mu)


def judge(
    source: Source,
    log: SlotLog,
    config: PopularityConfig,
    training: TrainingData,
    fitted: Fitted,
    replay: Replay | None,
    started: float,
) -> PopularityResult:
    """Evaluate a fitted network and wrap everything into the result (with the serving model)."""
    learned = replay.learned(config) if replay is not None else None
    judged = final_pass(fitted.net, config, log, training, learned)
    metrics = {
        **judged.test,
        "validation": judged.validation,
        "selection_metric": SELECTION_METRIC,
        f"initial_validation_{SELECTION_METRIC}": fitted.initial_score,
        "kept_initial_weights": fitted.kept_initial,
        "history": fitted.history.as_dict(),
        "split": training.split.sizes(),
    }
    settings = NetworkSettings.parse(config.model_dump(include=set(NetworkSettings.model_fields)))
    replayed = replay.summary(learned) if replay is not None else None
    cache = [  # how to run the learned cache with this model's predictions, per size (chosen on validation)
        {k: row[k] for k in ("size_fraction", "size_items", "beta", "window", "hit_ratio")}
        for row in (replayed or {}).get("rows", [])
        if row["policy"] == "learned"
    ]
    model = PopularityModel(
        fitted.net,
        settings,
        slot=source.slot,
        origin=log.origin,
        items=log.items,
        state=judged.state,
        training=config.model_dump(),
        metrics={"test": judged.test["model"], "validation": judged.validation["model"], "learned_cache": cache},
    )
    return PopularityResult(
        config=config,
        data={**source.meta, "items": log.n_items, "slots": log.n_slots},
        metrics=metrics,
        replay=replayed,
        predictions=judged.predictions,
        history=fitted.history,
        model=model,
        seconds=time.perf_counter() - started,
    )
