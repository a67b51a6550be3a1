"""The linear claim/opinion models: TF-IDF n-grams, stance cues and log-scaled counts into a logistic regression.

One class covers every linear candidate the benchmark compares (text only, numbers only, text +
counts, skipping the opening words, with or without the cue lexicon); the ``default`` model is one
setting of it. Fitting uses scikit-learn; the fitted state is plain arrays (vocabulary in JSON, idf,
scalers and coefficients in safetensors) and prediction is re-implemented here with numpy/scipy,
so a saved model loads without pickles and scores a batch with one sparse product.

``count_weight`` scales the standardised log counts before the L2-penalised fit: a small weight
makes a count coefficient expensive, so counts only decide when the text is uninformative. That is
what keeps claims with few views and opinions with many views correctly labelled. ``bare_content``
adds training rows that make "no stance words" neutral (see :meth:`_with_bare_content`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import sparse

from viewcast.claims.cues import cue_counts
from viewcast.claims.data import CLASSES, COUNTS, TEXT, counts_matrix
from viewcast.claims.models.base import ClaimsModel, saved_settings
from viewcast.claims.text import TfidfNgrams, TokenTable, token_table
from viewcast.errors import ModelLoadError
from viewcast.io.persist import require, require_finite, require_shape


class LinearConfig(BaseModel):
    """Hyper-parameters of a linear candidate (validated; saved with the model)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    use_text: bool = True
    ngram_max: int = Field(2, ge=1, le=4)
    min_df: int = Field(2, ge=1)
    max_features: int = Field(50_000, ge=1, le=10_000_000)
    skip_leading: int = Field(0, ge=0, le=1000, description="transcript words ignored at the start")
    use_cues: bool = False
    cue_weight: float = Field(1.0, gt=0)
    use_counts: bool = True
    count_weight: float = Field(1.0, gt=0)
    C: float = Field(10.0, gt=0, description="inverse L2 strength of the logistic regression")
    bare_content: float = Field(
        0.0, ge=0, description="weight of extra rows: each transcript's content after 'that', once per label"
    )
    bare_claim_share: float = Field(0.5, ge=0, le=1, description="share of that weight on the claim copy")

    @model_validator(mode="after")
    def _some_features(self) -> LinearConfig:
        if not (self.use_text or self.use_cues or self.use_counts):
            raise ValueError("a linear model needs at least one of use_text, use_cues, use_counts")
        return self


class LinearClaimsModel(ClaimsModel):
    """Logistic regression over [TF-IDF | cue counts | standardised log counts]."""

    KIND: ClassVar[str] = "claims-linear"

    def __init__(self, config: LinearConfig | None = None, name: str = "linear"):
        self.config = config or LinearConfig()
        self.name = name
        self.training: dict[str, Any] = {}

    # -- features ---------------------------------------------------------------------------
    def _dense(self, frame: pd.DataFrame, table: TokenTable) -> np.ndarray:
        """The non-text columns: weighted cue counts and weighted standardised log counts."""
        cfg = self.config
        blocks = [np.empty((len(frame), 0))]
        if cfg.use_cues:
            blocks.append(cue_counts(table, cfg.skip_leading) * cfg.cue_weight)
        if cfg.use_counts:
            logs = np.log1p(counts_matrix(frame))
            blocks.append((logs - self.count_mean_) / self.count_scale_ * cfg.count_weight)
        return np.hstack(blocks)

    def _features(self, frame: pd.DataFrame) -> sparse.csr_matrix:
        """The full design matrix (used to fit; prediction takes the faster path below)."""
        table = token_table(frame[TEXT])
        blocks: list[Any] = [self.tfidf_.transform(table)] if self.config.use_text else []
        blocks.append(sparse.csr_matrix(self._dense(frame, table)))
        return sparse.hstack(blocks, format="csr")

    def fit(self, frame: pd.DataFrame, y: np.ndarray, seed: int = 0) -> LinearClaimsModel:
        from sklearn.linear_model import LogisticRegression

        cfg = self.config
        if cfg.use_text:
            self.tfidf_ = TfidfNgrams(cfg.ngram_max, cfg.min_df, cfg.max_features, cfg.skip_leading).fit(frame[TEXT])
        logs = np.log1p(counts_matrix(frame))
        self.count_mean_ = logs.mean(axis=0)
        self.count_scale_ = np.where(logs.std(axis=0) > 0, logs.std(axis=0), 1.0)
        frame, y, weight = self._with_bare_content(frame, y)
        regression = LogisticRegression(C=cfg.C, solver="liblinear", random_state=seed, max_iter=1000)
        regression.fit(self._features(frame), y, sample_weight=weight)
        self.coef_ = regression.coef_.ravel().astype(np.float64)
        self.intercept_ = float(regression.intercept_[0])
        return self

    def _with_bare_content(self, frame: pd.DataFrame, y: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """Add each transcript's reported content, without its framing, once as claim and once as opinion.

        Both classes frame a statement ("a friend read that X", "my family thinks that X"); X alone
        carries no stance. Without these rows a text with no stance words falls to the intercept,
        which the templates push to a confident "opinion"; with them the fact words and the
        intercept become neutral, so a bare assertion is decided by the counts, weakly, as a text
        that says nothing about its stance should be. Weight ``bare_content`` per copy.
        """
        weight = np.ones(len(frame))
        if self.config.bare_content == 0:
            return frame, y, weight
        content = frame[TEXT].str.extract(r"\bthat\s+(.+)$", expand=False)
        has = content.notna().to_numpy()
        extra = frame.loc[has].copy()
        extra[TEXT] = content[has].to_numpy()
        n, share = int(has.sum()), self.config.bare_claim_share
        return (
            pd.concat([frame, extra, extra], ignore_index=True),
            np.r_[y, np.zeros(n, dtype=y.dtype), np.ones(n, dtype=y.dtype)],
            np.r_[
                weight, np.full(n, 2 * share * self.config.bare_content), np.full(n, 2 * (1 - share) * self.config.bare_content)
            ],
        )

    # -- prediction -------------------------------------------------------------------------
    def decision_function(self, frame: pd.DataFrame) -> np.ndarray:
        """Logit of opinion: text score from the sparse entries plus the dense columns, no matrices built."""
        table = token_table(frame[TEXT])
        n_text = len(self.tfidf_.vocabulary_) if self.config.use_text else 0
        score = self._dense(frame, table) @ self.coef_[n_text:] + self.intercept_
        if self.config.use_text:
            score += self.tfidf_.dot(table, self.coef_[:n_text])
        return score

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of the positive class (opinion) per row."""
        return 1.0 / (1.0 + np.exp(-np.clip(self.decision_function(frame), -500, 500)))

    def top_terms(self, k: int = 15) -> dict[str, list[tuple[str, float]]]:
        """The k n-grams pushing hardest towards each class (for reports)."""
        if not self.config.use_text:
            return {c: [] for c in CLASSES}
        weights = self.coef_[: len(self.tfidf_.vocabulary_)]
        order = np.argsort(weights)
        vocab = self.tfidf_.vocabulary_
        return {
            CLASSES[0]: [(vocab[i], float(weights[i])) for i in order[:k]],
            CLASSES[1]: [(vocab[i], float(weights[i])) for i in order[::-1][:k]],
        }

    # -- persistence ------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        return {**self.config.model_dump(), "vocabulary_size": len(self.tfidf_.vocabulary_) if self.config.use_text else 0}

    def _tfidf_settings(self) -> dict[str, Any]:
        cfg = self.config
        return {
            "ngram_max": cfg.ngram_max,
            "min_df": cfg.min_df,
            "max_features": cfg.max_features,
            "skip_leading": cfg.skip_leading,
        }

    def n_features(self) -> int:
        """Length of the coefficient vector: text columns, then cue columns, then count columns."""
        cfg = self.config
        n_text = len(self.tfidf_.vocabulary_) if cfg.use_text else 0
        return n_text + (2 if cfg.use_cues else 0) + (len(COUNTS) if cfg.use_counts else 0)

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        config: dict[str, Any] = {"name": self.name, "linear": self.config.model_dump()}
        tensors = {
            "coef": self.coef_,
            "intercept": np.array([self.intercept_]),
            "count_mean": self.count_mean_,
            "count_scale": self.count_scale_,
        }
        if self.config.use_text:
            config["tfidf"] = self._tfidf_settings()
            config["vocabulary"] = self.tfidf_.vocabulary_
            tensors["idf"] = self.tfidf_.idf_
        return config, tensors

    @classmethod
    def from_state(cls, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> LinearClaimsModel:
        """Rebuild from a folder: settings validated, vocabulary vs idf and coefficients checked, values finite."""
        state = saved_settings(LinearState, config)
        model = cls(state.linear, name=state.name)
        model.training = state.training or {}
        expected = {"coef", "intercept", "count_mean", "count_scale"} | ({"idf"} if model.config.use_text else set())
        require(set(tensors) == expected, f"arrays {sorted(tensors)}, expected {sorted(expected)}")
        require_finite(tensors)
        if model.config.use_text:
            model.tfidf_ = model._restored_tfidf(state, tensors["idf"])
        else:
            require(state.vocabulary is None and state.tfidf is None, "a model without text has no vocabulary")
        model.coef_ = require_shape(tensors, "coef", (model.n_features(),)).astype(np.float64)
        model.intercept_ = float(require_shape(tensors, "intercept", (1,))[0])
        model.count_mean_ = require_shape(tensors, "count_mean", (len(COUNTS),)).astype(np.float64)
        model.count_scale_ = require_shape(tensors, "count_scale", (len(COUNTS),)).astype(np.float64)
        require(bool((model.count_scale_ > 0).all()), "count scales must be positive")
        return model

    def _restored_tfidf(self, state: LinearState, idf: np.ndarray) -> TfidfNgrams:
        """The vectoriser of a saved text model: one positive idf per distinct, well-formed n-gram."""
        vocabulary = state.vocabulary
        require(vocabulary is not None and state.tfidf is not None, "a text model needs 'vocabulary' and 'tfidf'")
        require(state.tfidf == self._tfidf_settings(), "'tfidf' settings differ from the model's 'linear' settings")
        require(len(vocabulary) <= self.config.max_features, f"{len(vocabulary):,} n-grams, more than max_features")
        require(len(set(vocabulary)) == len(vocabulary), "the vocabulary repeats an n-gram")
        require_shape({"idf": idf}, "idf", (len(vocabulary),))
        require(bool((idf > 0).all()), "idf values must be positive")
        try:
            return TfidfNgrams.from_arrays(state.tfidf, vocabulary, idf)
        except ValueError as exc:  # an entry that is not 1..ngram_max words
            raise ModelLoadError(f"model state does not fit: {exc}") from None


class LinearState(BaseModel):
    """``config.json`` of a linear model (format 1 also kept the training summary here)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    linear: LinearConfig
    tfidf: dict[str, Any] | None = None
    vocabulary: list[str] | None = None
    training: dict[str, Any] | None = None
