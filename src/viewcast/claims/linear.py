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

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy import sparse

from viewcast.claims.cues import cue_counts
from viewcast.claims.schema import CLASSES, COUNTS, TEXT, counts_matrix
from viewcast.claims.text import TfidfNgrams, TokenTable, token_table
from viewcast.errors import ModelLoadError

KIND = "claims-linear"


class LinearConfig(BaseModel):
    """Hyper-parameters of a linear candidate (validated; saved with the model)."""

    model_config = ConfigDict(extra="forbid")

    use_text: bool = True
    ngram_max: int = Field(2, ge=1, le=4)
    min_df: int = Field(2, ge=1)
    max_features: int = Field(50_000, ge=1)
    skip_leading: int = Field(0, ge=0, description="transcript words ignored at the start")
    use_cues: bool = False
    cue_weight: float = Field(1.0, gt=0)
    use_counts: bool = True
    count_weight: float = Field(1.0, gt=0)
    C: float = Field(10.0, gt=0, description="inverse L2 strength of the logistic regression")
    bare_content: float = Field(
        0.0, ge=0, description="weight of extra rows: each transcript's content after 'that', once per label"
    )
    bare_claim_share: float = Field(0.5, ge=0, le=1, description="share of that weight on the claim copy")


class LinearClaimsModel:
    """Logistic regression over [TF-IDF | cue counts | standardised log counts]."""

    def __init__(self, config: LinearConfig | None = None, name: str = "linear"):
        self.config = config or LinearConfig()
        self.name = name

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
        if not (cfg.use_text or cfg.use_cues or cfg.use_counts):
            raise ValueError("a linear model needs at least one feature block")
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

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(CLASSES, dtype=object)[(self.predict_proba(frame) >= 0.5).astype(int)]

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
    def to_saved(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        config = {"name": self.name, "linear": self.config.model_dump()}
        tensors = {
            "coef": self.coef_,
            "intercept": np.array([self.intercept_]),
            "count_mean": self.count_mean_,
            "count_scale": self.count_scale_,
        }
        if self.config.use_text:
            config["tfidf"] = self.tfidf_.get_config()
            config["vocabulary"] = self.tfidf_.vocabulary_
            tensors["idf"] = self.tfidf_.idf_
        return config, tensors

    @classmethod
    def from_saved(cls, config: dict[str, Any], tensors: dict[str, np.ndarray], source: str) -> LinearClaimsModel:
        try:
            model = cls(LinearConfig(**config["linear"]), name=str(config.get("name", "linear")))
            if model.config.use_text:
                vocabulary = config["vocabulary"]
                if not isinstance(vocabulary, list) or not all(isinstance(v, str) for v in vocabulary):
                    raise ValueError("vocabulary must be a list of strings")
                model.tfidf_ = TfidfNgrams.from_arrays(config["tfidf"], vocabulary, tensors["idf"])
            model.coef_ = np.asarray(tensors["coef"], dtype=np.float64)
            model.intercept_ = float(np.asarray(tensors["intercept"]).ravel()[0])
            model.count_mean_ = np.asarray(tensors["count_mean"], dtype=np.float64)
            model.count_scale_ = np.asarray(tensors["count_scale"], dtype=np.float64)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ModelLoadError(f"{source}: linear model files are inconsistent ({exc})") from None
        expected = (
            (len(model.tfidf_.vocabulary_) if model.config.use_text else 0)
            + (2 if model.config.use_cues else 0)
            + (len(COUNTS) if model.config.use_counts else 0)
        )
        if model.coef_.shape != (expected,) or (
            model.config.use_text and model.tfidf_.idf_.shape != (len(model.tfidf_.vocabulary_),)
        ):
            raise ModelLoadError(f"{source}: coefficient or idf shapes do not match the vocabulary")
        if model.count_mean_.shape != (len(COUNTS),) or model.count_scale_.shape != (len(COUNTS),):
            raise ModelLoadError(f"{source}: count scaler has the wrong shape")
        return model
