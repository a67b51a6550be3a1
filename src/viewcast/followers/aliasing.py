"""Aliased predictors: find them, drop one of each group, and say which (as R's ``lm`` reports).

A term is aliased when it is (almost) a linear combination of the other terms: its variance
inflation factor ``1 / (1 - R²)`` exceeds a stated limit. Then the data cannot tell the terms'
effects apart, and their separate coefficients become meaningless (a linear copy of views gave
±197 with a warning and nothing else). The check repeats until no term exceeds the limit: the
term with the largest VIF and the terms that carry its regression (its *partners*) form a group,
and of that group the term that comes last in the model's order is dropped (the study's column
order, then the file's), as R's ``lm`` drops the later of two aliased terms. The choice never
looks at the target, so it cannot make a term look more significant than it is.

Multiplicative identities are aliases on the log scale: play time = views × average watch time
makes ``log(play time) = log(views) + log(watch time)``. So when a log-scale term is checked,
the positive raw-scale columns enter its regression as their logs (*probes*, never model terms):
play time is then found to carry nothing that views and watch time do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: R² from which an alias counts as exact: a copy up to rounding, or up to the +1 of log1p
#: (log1p(30·views) and log1p(views) differ by a near-constant when views are in the tens or more).
EXACT_R2 = 1.0 - 1e-6
#: Partners are regressors whose standardised weight is at least this share of the largest.
PARTNER_SHARE = 0.2
MAX_PARTNERS = 4
#: Prefix of a probe's name among the regressors (``log:avgWatchTime``).
PROBE = "log:"


@dataclass
class Alias:
    """One dropped term, the columns it is aliased with, and how tight the alias is."""

    term: str
    partners: list[str]  # columns (not terms) that together reproduce it
    kept: list[str]  # other group members, left in the model
    r2: float
    vif: float
    exact: bool
    via_log: bool  # found through the log-scale probes (a product or ratio of columns)

    def to_dict(self) -> dict:
        return {
            "term": self.term,
            "aliased_with": self.partners,
            "kept": self.kept,
            "r2": self.r2,
            "vif": self.vif if np.isfinite(self.vif) else None,
            "exact": self.exact,
            "via_log": self.via_log,
        }


def _regress(target: np.ndarray, others: np.ndarray) -> tuple[float, np.ndarray]:
    """R² of ``target`` on ``others`` (with a constant) and the standardised weights."""
    centred = others - others.mean(axis=0)
    sd = centred.std(axis=0)
    usable = sd > 0
    z = centred[:, usable] / sd[usable]
    t = target - target.mean()
    total = float(t @ t)
    if total == 0.0 or z.shape[1] == 0:
        return 0.0, np.zeros(others.shape[1])
    coef, *_ = np.linalg.lstsq(z, t, rcond=None)
    residual = t - z @ coef
    r2 = max(0.0, 1.0 - float(residual @ residual) / total)
    weights = np.zeros(others.shape[1])
    weights[usable] = coef / np.sqrt(total / len(t))
    return min(r2, 1.0), weights


def _vif(r2: float) -> float:
    return np.inf if r2 >= EXACT_R2 else 1.0 / (1.0 - r2)


def find_aliases(
    terms: pd.DataFrame,
    limit: float,
    columns: dict[str, str],
    log_terms: set[str],
    probes: dict[str, pd.Series],
) -> tuple[list[str], list[Alias]]:
    """The terms to keep (in order) and the aliases dropped, on the rows given.

    ``columns`` maps each term to its table column; ``probes`` holds the logs of positive
    raw-scale columns, by column: a log-scale term is regressed on them in place of those
    columns. A column that has left the model leaves with its probe.
    """
    kept = list(terms.columns)
    arrays = {t: terms[t].to_numpy(float) for t in kept}
    logs = {c: np.asarray(values, float) for c, values in probes.items()}
    aliases: list[Alias] = []
    while len(kept) > 1:
        checked = {term: _check(term, kept, arrays, columns, log_terms, logs) for term in kept}
        worst = max(kept, key=lambda t: (checked[t][0], kept.index(t)))
        r2, regressors, weights = checked[worst]
        vif = _vif(r2)
        if vif <= limit:
            break
        strong = np.abs(weights) >= PARTNER_SHARE * np.abs(weights).max()
        order = np.argsort(-np.abs(weights))
        partners = [regressors[i] for i in order if strong[i]][:MAX_PARTNERS]
        members = [p.removeprefix(PROBE) if p.startswith(PROBE) else p for p in partners]
        group = [worst, *[m for m in members if m in kept]]
        drop = max(group, key=kept.index)
        named = [p.removeprefix(PROBE) if p.startswith(PROBE) else columns[p] for p in [worst, *partners]]
        aliases.append(
            Alias(
                term=drop,
                partners=[c for c in dict.fromkeys(named) if c != columns[drop]],
                kept=[t for t in group if t != drop],
                r2=r2,
                vif=vif,
                exact=r2 >= EXACT_R2,
                via_log=any(p.startswith(PROBE) for p in partners),
            )
        )
        kept.remove(drop)
    return kept, aliases


def _check(
    term: str,
    kept: list[str],
    arrays: dict[str, np.ndarray],
    columns: dict[str, str],
    log_terms: set[str],
    probes: dict[str, np.ndarray],
) -> tuple[float, list[str], np.ndarray]:
    """R², regressor names and weights of one term on the other kept terms (and probes)."""
    names = []
    data = []
    for other in kept:
        if other == term:
            continue
        probe = term in log_terms and columns[other] in probes and other not in log_terms
        names.append(PROBE + columns[other] if probe else other)
        data.append(probes[columns[other]] if probe else arrays[other])
    r2, weights = _regress(arrays[term], np.column_stack(data))
    return r2, names, weights
