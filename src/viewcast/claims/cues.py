"""Stance cue words: a small hand-written lexicon of how people report claims and voice opinions.

Why a lexicon: the study's transcripts come from about 300 templates, so a model learns exactly
those words ("read in the media", "my family's view is") and nothing about phrasings it never saw
("according to a study", "personally I reckon"). Two features count a transcript's reporting cues
(sources, reporting verbs) and its opinion cues (belief verbs, hedges, first-person stance); their
weights are learned from the data, where many cues do occur, and carry over to cue words that the
training vocabulary lacks. The lists are deliberately generic English, not the data set's templates.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from viewcast.claims.text import TokenTable, token_table

CLAIM_CUES = frozenset(
    [
        "according",
        "reportedly",
        "report",
        "reports",
        "reported",
        "reporting",
        "reporter",
        "study",
        "studies",
        "research",
        "researchers",
        "researcher",
        "scientists",
        "scientist",
        "science",
        "experts",
        "expert",
        "news",
        "media",
        "article",
        "articles",
        "journal",
        "paper",
        "published",
        "publication",
        "claim",
        "claims",
        "claimed",
        "claiming",
        "revealed",
        "reveals",
        "discovered",
        "discovery",
        "found",
        "finds",
        "learned",
        "learnt",
        "read",
        "heard",
        "told",
        "announced",
        "announcement",
        "survey",
        "data",
        "statistics",
        "evidence",
        "confirmed",
        "confirms",
        "documentary",
        "source",
        "sources",
        "official",
        "officials",
        "website",
        "forum",
        "online",
        "internet",
        "podcast",
        "tv",
        "radio",
        "newspaper",
        "magazine",
        "press",
        "encyclopedia",
        "textbook",
        "fact",
        "facts",
        "proven",
        "proved",
        "shows",
        "showed",
        "demonstrated",
        "mentioned",
        "stated",
        "states",
        "analysis",
        "poll",
        "census",
        "records",
        "historians",
        "engineers",
        "doctors",
        "nasa",
        "government",
        "university",
        "lab",
        "laboratory",
        "estimated",
        "measured",
        "recorded",
        "observed",
        "documented",
        "cited",
        "quoted",
        "apparently",
        "allegedly",
        "suggests",
        "warns",
        "warn",
        "explains",
        "memo",
        "leaked",
        "says",
    ]
)
OPINION_CUES = frozenset(
    [
        "think",
        "thinks",
        "thought",
        "believe",
        "believes",
        "believed",
        "belief",
        "beliefs",
        "feel",
        "feels",
        "feeling",
        "opinion",
        "opinions",
        "view",
        "views",
        "reckon",
        "reckons",
        "personally",
        "guess",
        "suppose",
        "supposes",
        "seems",
        "seem",
        "seemed",
        "impression",
        "hypothesis",
        "sentiment",
        "convinced",
        "wager",
        "bet",
        "suspect",
        "imagine",
        "assume",
        "honestly",
        "probably",
        "maybe",
        "perhaps",
        "doubt",
        "understanding",
        "position",
        "reasoning",
        "thinking",
        "argue",
        "prefer",
        "preference",
        "favorite",
        "favourite",
        "overrated",
        "underrated",
        "love",
        "hate",
        "consider",
        "considers",
        "gut",
        "hunch",
        "sense",
        "tend",
        "wonder",
        "wondering",
        "might",
        "possibly",
        "likely",
        "surely",
        "certainly",
        "bet",
        "im",
        "ive",
        "id",
        "best",
        "worst",
        "greatest",
        "amazing",
        "awesome",
        "terrible",
        "awful",
        "beautiful",
        "ugly",
        "boring",
        "delicious",
        "disgusting",
        "annoying",
        "brilliant",
        "perfect",
        "cute",
        "lovely",
        "hilarious",
    ]
)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
FUZZY_MIN_LENGTH = 6


def _edits(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return deletes | swaps | replaces | inserts


def _with_typos(words: frozenset[str], others: frozenset[str]) -> frozenset[str]:
    """The cue words plus one-typo variants of the long ones (short words would match real words)."""
    variants = set(words)
    for word in words:
        if len(word) >= FUZZY_MIN_LENGTH:
            variants |= {v for v in _edits(word) if len(v) >= FUZZY_MIN_LENGTH - 1}
    return frozenset(variants - others)


_AMBIGUOUS = _with_typos(CLAIM_CUES, OPINION_CUES) & _with_typos(OPINION_CUES, CLAIM_CUES)
_CLAIM_MATCH = _with_typos(CLAIM_CUES, OPINION_CUES) - _AMBIGUOUS
_OPINION_MATCH = _with_typos(OPINION_CUES, CLAIM_CUES) - _AMBIGUOUS
# one hash index over both lists (built once: converting a set per call would dominate prediction time)
_LOOKUP = pd.Index(sorted(_CLAIM_MATCH) + sorted(_OPINION_MATCH))
_COLUMN = np.r_[np.zeros(len(_CLAIM_MATCH), dtype=np.int64), np.ones(len(_OPINION_MATCH), dtype=np.int64)]


def cue_counts(texts: Iterable[str] | TokenTable, skip_leading: int = 0) -> np.ndarray:
    """(rows, 2) log1p counts of claim cues and opinion cues per transcript (one typo tolerated)."""
    table = (texts if isinstance(texts, TokenTable) else token_table(texts)).skip(skip_leading)
    ids = table.lookup(_LOOKUP)
    hit = ids >= 0
    cells = table.row[hit] * 2 + _COLUMN[ids[hit]]
    return np.log1p(np.bincount(cells, minlength=2 * table.n_rows).reshape(table.n_rows, 2).astype(np.float64))
