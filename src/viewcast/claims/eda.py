"""Exploratory analysis of a claims table, with the leakage audit, as PNGs + ``report.html``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from viewcast.atomic import save_figure, write_json
from viewcast.claims.audit import Finding, audit_leakage, findings_as_dicts
from viewcast.claims.schema import CLASSES, COUNTS, DURATION, LABEL, TEXT, load_claims
from viewcast.claims.text import ngram_table, token_table
from viewcast.io.tables import read_table

COLORS = {"claim": "#d9480f", "opinion": "#2f6fde"}


@dataclass
class EdaResult:
    n_rows: int
    class_counts: dict[str, int]
    missing: dict[str, int]
    dropped_unlabelled: int
    telling_terms: dict[str, list[tuple[str, float, int]]]
    findings: list[Finding]
    frame: pd.DataFrame

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.n_rows,
            "class_counts": self.class_counts,
            "missing": self.missing,
            "dropped_unlabelled": self.dropped_unlabelled,
            "telling_terms": {
                k: [{"term": t, "log_odds": s, "count": c} for t, s, c in v] for k, v in self.telling_terms.items()
            },
            "leakage_audit": findings_as_dicts(self.findings),
        }

    def save(self, directory: str | os.PathLike[str]) -> Path:
        from viewcast.report.html import embed_png, write_report

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        plots = {"balance": save_figure(out / "class_balance.png", _balance_figure(self.class_counts))}
        if DURATION in self.frame.columns and self.frame[DURATION].notna().any():
            plots["duration"] = save_figure(out / "duration_by_class.png", _duration_figure(self.frame))
        plots["pairs"] = save_figure(out / "counts_pairplot.png", _pair_figure(self.frame), dpi=80)
        write_json(out / "eda.json", self.as_dict())
        write_report(
            out / "report.html", "claims_eda.html", eda=self.as_dict(), plots={k: embed_png(v) for k, v in plots.items()}
        )
        return out


def run_eda(frame: pd.DataFrame, missing: dict[str, int]) -> EdaResult:
    """Summaries, telling terms and the leakage audit for a loaded claims table."""
    counts = frame[LABEL].value_counts()
    return EdaResult(
        n_rows=len(frame),
        class_counts={c: int(counts.get(c, 0)) for c in CLASSES},
        missing=missing,
        dropped_unlabelled=int(frame.attrs.get("dropped_unlabelled", 0)),
        telling_terms=telling_terms(frame),
        findings=audit_leakage(frame),
        frame=frame,
    )


def eda_file(path: str | os.PathLike[str]) -> EdaResult:
    """EDA of a claims file; missing cells are counted on the file as read, before any row is dropped."""
    raw = read_table(path, "claims data")
    return run_eda(load_claims(path), {column: int(n) for column, n in raw.isna().sum().items()})


def telling_terms(frame: pd.DataFrame, k: int = 15, min_count: int = 20) -> dict[str, list[tuple[str, float, int]]]:
    """Words and word pairs most over-represented in each class (smoothed log-odds ratio)."""
    table = token_table(frame[TEXT])
    is_opinion = frame[LABEL].to_numpy() == "opinion"
    rows: list[pd.DataFrame] = []
    for n in (1, 2):
        grams, row = ngram_table(table, n)
        rows.append(pd.DataFrame({"gram": grams, "opinion": is_opinion[row]}))
    grams = pd.concat(rows)
    tally = pd.crosstab(grams["gram"], grams["opinion"]).reindex(columns=[False, True], fill_value=0)
    tally = tally[tally.sum(axis=1) >= min_count]
    claim, opinion = tally[False].to_numpy(float) + 0.5, tally[True].to_numpy(float) + 0.5
    score = np.log(opinion / opinion.sum()) - np.log(claim / claim.sum())
    order = np.argsort(score)
    terms = tally.index.to_numpy()
    total = tally.sum(axis=1).to_numpy()
    return {
        "claim": [(str(terms[i]), float(-score[i]), int(total[i])) for i in order[:k]],
        "opinion": [(str(terms[i]), float(score[i]), int(total[i])) for i in order[::-1][:k]],
    }


def _balance_figure(counts: dict[str, int]):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(list(counts), list(counts.values()), color=[COLORS[c] for c in counts])
    for i, v in enumerate(counts.values()):
        ax.text(i, v, f"{v:,}", ha="center", va="bottom")
    ax.set_ylabel("videos")
    ax.set_title("class balance")
    return fig


def _duration_figure(frame: pd.DataFrame):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    bins = np.histogram_bin_edges(frame[DURATION].dropna(), bins=30)
    for c in CLASSES:
        ax.hist(frame.loc[frame[LABEL] == c, DURATION].dropna(), bins=bins, alpha=0.55, label=c, color=COLORS[c])
    ax.set_xlabel(DURATION)
    ax.set_ylabel("videos")
    ax.set_title("video duration by class")
    ax.legend()
    return fig


def _pair_figure(frame: pd.DataFrame, max_points: int = 3000, seed: int = 0):
    """Pair plot of log10(1 + count) for the five counts, coloured by class."""
    import matplotlib.pyplot as plt

    sample = frame.sample(min(len(frame), max_points), random_state=seed)
    logs = np.log10(1 + sample[list(COUNTS)].to_numpy(float))
    k = len(COUNTS)
    fig, axes = plt.subplots(k, k, figsize=(12, 12))
    for i in range(k):
        for j in range(k):
            ax = axes[i, j]
            for c in CLASSES:
                mask = sample[LABEL].to_numpy() == c
                if i == j:
                    ax.hist(logs[mask, i], bins=30, alpha=0.55, color=COLORS[c], label=c)
                else:
                    ax.scatter(logs[mask, j], logs[mask, i], s=2, alpha=0.35, color=COLORS[c])
            if i == k - 1:
                ax.set_xlabel(COUNTS[j].replace("video_", "").replace("_count", ""))
            if j == 0:
                ax.set_ylabel(COUNTS[i].replace("video_", "").replace("_count", ""))
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("log10(1 + count) by class")
    return fig
