"""Tokenising transcripts and turning them into sparse TF-IDF n-gram rows, fast and without pickles.

One tokeniser serves both models: lower case, ASCII punctuation removed (as Keras'
``TextVectorization`` does, so ``friends'`` becomes ``friends``), split on white space. The TF-IDF
vectoriser is written here rather than taken from scikit-learn so that a saved model is just a JSON
vocabulary plus an ``idf`` array, and so that a batch is transformed with a few whole-array
operations (one split of the joined batch, hash look-ups of distinct tokens, integer n-gram keys)
instead of a Python loop per transcript, which keeps prediction above 100,000 rows/s.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

_DELETED = string.punctuation.encode("ascii")
_ROW_BREAK = "\x01"  # not white space, survives lower() and the punctuation table; removed from inputs


def _as_strings(texts: Iterable[str]) -> list[str]:
    """Plain strings (missing -> empty), with any stray row-break character blanked."""
    values = texts.tolist() if isinstance(texts, (pd.Series, np.ndarray)) else list(texts)
    return [v.replace(_ROW_BREAK, " ") if isinstance(v, str) else "" for v in values]


def _joined(texts: Iterable[str]) -> tuple[str, int]:
    """The batch joined by row breaks, and its number of rows (fast path when it is already clean)."""
    values = texts.tolist() if isinstance(texts, (pd.Series, np.ndarray)) else list(texts)
    separator = f" {_ROW_BREAK} "
    try:
        joined = separator.join(values)
    except TypeError:  # a missing value among the strings
        joined = None
    if joined is None or joined.count(_ROW_BREAK) != max(len(values) - 1, 0):
        joined = separator.join(_as_strings(values))
    return joined, len(values)


def clean(text: str) -> str:
    """Lower case, ASCII punctuation removed, as Keras' ``lower_and_strip_punctuation`` does.

    Works on the UTF-8 bytes: ASCII bytes never occur inside a multi-byte character, and
    ``bytes.translate`` is some 30 times faster than ``str.translate`` with deletions.
    """
    return text.lower().encode("utf-8").translate(None, _DELETED).decode("utf-8")


def normalise(texts: Iterable[str]) -> pd.Series:
    """:func:`clean` applied to each text."""
    return pd.Series([clean(t) for t in _as_strings(texts)], dtype=object)


def tokenize(texts: Iterable[str]) -> list[list[str]]:
    """Token lists, one per text."""
    return [t.split() for t in normalise(texts)]


@dataclass
class TokenTable:
    """All tokens of a batch flattened: ``tokens[i]`` sits at position ``position[i]`` of row ``row[i]``."""

    row: np.ndarray
    position: np.ndarray
    n_rows: int
    codes: np.ndarray  # tokens == distinct[codes]: look-ups hash each distinct token once
    distinct: np.ndarray

    @property
    def tokens(self) -> np.ndarray:
        """The tokens as an object array of str (built on demand: prediction never needs it)."""
        return self.distinct[self.codes]

    def skip(self, leading: int) -> TokenTable:
        """The same table without each row's first ``leading`` tokens."""
        if leading == 0:
            return self
        keep = self.position >= leading
        return TokenTable(self.row[keep], self.position[keep] - leading, self.n_rows, self.codes[keep], self.distinct)

    def lookup(self, index: pd.Index) -> np.ndarray:
        """Position of each token in ``index`` (-1 where absent)."""
        return index.get_indexer(self.distinct)[self.codes] if len(self.codes) else np.empty(0, dtype=np.int64)


def token_table(texts: Iterable[str], skip_leading: int = 0) -> TokenTable:
    """Tokenise a whole batch with one ``lower``/``translate``/``split`` over the joined text.

    Rows are joined with a break token that the split keeps, which gives each token its row
    without a Python loop per document (the batch-speed target depends on it).
    """
    joined, n_rows = _joined(texts)
    joined = clean(joined)
    codes, distinct = pd.factorize(np.array(joined.split(), dtype=object))
    hits = np.flatnonzero(distinct == _ROW_BREAK)
    is_break = codes == (hits[0] if len(hits) else -1)
    row = np.cumsum(is_break)[~is_break]
    per_row = np.bincount(row, minlength=n_rows)
    first = (np.cumsum(per_row) - per_row)[row]
    codes = codes[~is_break].astype(np.int64)
    distinct = np.asarray(distinct, dtype=object)
    position = np.arange(len(codes), dtype=np.int64) - first
    table = TokenTable(row.astype(np.int64), position, n_rows, codes, distinct)
    return table.skip(skip_leading)


def ngram_table(table: TokenTable, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(n-gram strings, their rows): consecutive tokens of the same row joined by spaces."""
    if n == 1:
        return table.tokens, table.row
    size = len(table.tokens) - n + 1
    if size <= 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    same_row = table.row[n - 1 :] == table.row[:size]
    grams = table.tokens[:size].copy()
    for k in range(1, n):
        grams = grams + " " + table.tokens[k : k + size]
    return grams[same_row], table.row[:size][same_row]


def _count_cells(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ``row * width + column`` keys and how often each occurs.

    The keys arrive grouped by row, so a stable sort (timsort over short runs) is cheap; hashing
    millions of distinct keys was several times slower.
    """
    ordered = np.sort(keys, kind="stable")
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(ordered) else np.empty(0, dtype=np.int64)
    return ordered[starts], np.diff(np.r_[starts, len(ordered)])


class TfidfNgrams:
    """Word n-gram TF-IDF (sublinear tf, smoothed idf, L2-normalised rows), scikit-learn's formulas.

    ``skip_leading`` drops each transcript's first words before counting: on the study's data the
    opening two words give the label away, so a model that never sees them must learn the stance
    phrasing that follows. At prediction time n-grams are never built as strings: each token gets
    an integer id and an n-gram is looked up by the integer key of its ids.
    """

    def __init__(self, ngram_max: int = 2, min_df: int = 2, max_features: int | None = 50_000, skip_leading: int = 0):
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.skip_leading = skip_leading

    def fit(self, texts: Sequence[str]) -> TfidfNgrams:
        table = token_table(texts, self.skip_leading)
        parts = [ngram_table(table, n) for n in range(1, self.ngram_max + 1)]
        frame = pd.DataFrame({"gram": np.concatenate([p[0] for p in parts]), "row": np.concatenate([p[1] for p in parts])})
        df = frame.drop_duplicates()["gram"].value_counts()
        df = df[df >= self.min_df].sort_values(ascending=False, kind="stable")
        if self.max_features is not None:
            df = df.iloc[: self.max_features]
        df = df.sort_index()
        self.vocabulary_: list[str] = [str(g) for g in df.index]
        self.idf_ = (np.log((1 + table.n_rows) / (1 + df.to_numpy(dtype=np.float64))) + 1.0).astype(np.float64)
        self._build_lookup()
        return self

    @classmethod
    def from_arrays(cls, config: dict, vocabulary: list[str], idf: np.ndarray) -> TfidfNgrams:
        self = cls(**config)
        self.vocabulary_ = list(vocabulary)
        self.idf_ = np.asarray(idf, dtype=np.float64)
        self._build_lookup()
        return self

    def get_config(self) -> dict:
        return {
            "ngram_max": self.ngram_max,
            "min_df": self.min_df,
            "max_features": self.max_features,
            "skip_leading": self.skip_leading,
        }

    def _build_lookup(self) -> None:
        """Token ids, and per n an index from the n-gram's integer key to its feature column."""
        grams = [g.split(" ") for g in self.vocabulary_]
        if any(len(g) > self.ngram_max or not all(g) for g in grams):
            raise ValueError("vocabulary entries must be 1..ngram_max words separated by single spaces")
        self._tokens = pd.Index(sorted({t for g in grams for t in g}))
        self._base = max(len(self._tokens), 1)
        # unigrams map by array (token id -> column, -1 for none; index -1 = unknown token -> -1)
        self._unigram_column = np.full(len(self._tokens) + 1, -1, dtype=np.int64)
        unigrams = [i for i, g in enumerate(grams) if len(g) == 1]
        self._unigram_column[self._tokens.get_indexer([grams[i][0] for i in unigrams])] = unigrams
        self._lookups: dict[int, tuple[pd.Index, np.ndarray]] = {}
        for n in range(2, self.ngram_max + 1):
            columns = np.array([i for i, g in enumerate(grams) if len(g) == n], dtype=np.int64)
            ids = np.array([self._tokens.get_indexer(grams[i]) for i in columns], dtype=np.int64).reshape(len(columns), n)
            self._lookups[n] = (pd.Index(self._keys(ids)), columns)

    def _keys(self, ids: np.ndarray) -> np.ndarray:
        key = np.zeros(ids.shape[0], dtype=np.int64)
        for k in range(ids.shape[1]):
            key = key * self._base + ids[:, k]
        return key

    def entries(self, table: TokenTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, column, value) of the batch's non-zero TF-IDF entries, rows L2-normalised."""
        table = table.skip(self.skip_leading)
        token_ids = table.lookup(self._tokens)
        width = max(len(self.vocabulary_), 1)
        unigram = self._unigram_column[token_ids] if len(token_ids) else np.empty(0, dtype=np.int64)
        blocks = [_count_cells(table.row[unigram >= 0] * width + unigram[unigram >= 0])]
        for n, (index, columns) in self._lookups.items():
            size = len(token_ids) - n + 1
            if size <= 0 or not len(columns):
                continue
            key = token_ids[:size].copy()
            valid = (table.row[n - 1 :] == table.row[:size]) & (key >= 0)
            for k in range(1, n):
                part = token_ids[k : k + size]
                valid &= part >= 0
                key = key * self._base + part
            found = index.get_indexer(key[valid])
            hit = found >= 0
            blocks.append(_count_cells(table.row[:size][valid][hit] * width + columns[found[hit]]))
        cells = np.concatenate([b[0] for b in blocks])
        count = np.concatenate([b[1] for b in blocks]).astype(np.float64)
        row, col = cells // width, cells % width
        value = (1.0 + np.log(count)) * self.idf_[col]
        norms = np.sqrt(np.bincount(row, weights=value**2, minlength=table.n_rows))
        return row, col, value / norms[row]  # rows with entries have a positive norm

    def transform(self, texts: Iterable[str] | TokenTable) -> sparse.csr_matrix:
        table = texts if isinstance(texts, TokenTable) else token_table(texts)
        row, col, value = self.entries(table)
        return sparse.csr_matrix((value, (row, col)), shape=(table.n_rows, len(self.vocabulary_)))

    def dot(self, table: TokenTable, weights: np.ndarray) -> np.ndarray:
        """Each row's TF-IDF vector times ``weights`` (a linear model's text score), no matrix built."""
        row, col, value = self.entries(table)
        return np.bincount(row, weights=value * weights[col], minlength=table.n_rows)


def telling_terms(
    texts: Iterable[str], is_positive: np.ndarray, labels: tuple[str, str], k: int = 15, min_count: int = 20
) -> dict[str, list[tuple[str, float, int]]]:
    """Words and word pairs most over-represented in each class (smoothed log-odds ratio).

    ``is_positive`` marks the rows of ``labels[1]``; each class gets its ``k`` terms (seen at
    least ``min_count`` times) as (term, log-odds towards that class, occurrences).
    """
    table = token_table(texts)
    is_positive = np.asarray(is_positive, dtype=bool)
    rows: list[pd.DataFrame] = []
    for n in (1, 2):
        grams, row = ngram_table(table, n)
        rows.append(pd.DataFrame({"gram": grams, "positive": is_positive[row]}))
    grams = pd.concat(rows)
    tally = pd.crosstab(grams["gram"], grams["positive"]).reindex(columns=[False, True], fill_value=0)
    tally = tally[tally.sum(axis=1) >= min_count]
    negative, positive = tally[False].to_numpy(float) + 0.5, tally[True].to_numpy(float) + 0.5
    score = np.log(positive / positive.sum()) - np.log(negative / negative.sum())
    order = np.argsort(score)
    terms = tally.index.to_numpy()
    total = tally.sum(axis=1).to_numpy()
    return {
        labels[0]: [(str(terms[i]), float(-score[i]), int(total[i])) for i in order[:k]],
        labels[1]: [(str(terms[i]), float(score[i]), int(total[i])) for i in order[::-1][:k]],
    }
