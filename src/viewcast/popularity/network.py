"""The recurrent scorer (LSTM, GRU, plain RNN or CNN+LSTM body) and the losses it trains with.

One network scores one candidate from its window of per-slot features plus its static features;
candidates of a slot are scored together so that a loss can rank them within the slot. Inputs are
raw counts and relative shares, log-compressed inside the network (``log1p``) so that a saved model
takes the same raw features as :mod:`viewcast.popularity.features` produces.

Losses: ``mse``, ``rmse``, ``mae`` and ``huber`` regress each candidate's log relative share
(``log1p(share x number of candidates)``) pointwise: raw shares span five orders of magnitude and a
single burst (one user rating 300 movies in a week) dominated the squared error on the raw scale, so
the network learned to predict a flat uniform share; ``cross_entropy`` is a softmax over the slot's candidates against
the slot's observed shares (listwise: it learns the ranking a cache needs). Padding targets are
negative and ignored.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from viewcast.popularity.config import CELLS, LOSSES, Cell, Loss
from viewcast.popularity.features import DECAYED_LFU_HALF_LIFE, SEQ_CHANNELS, STATIC_CHANNELS, distinct_rows

START_CHANNEL = f"relative_decayed_count_{DECAYED_LFU_HALF_LIFE}"
_RECURRENT = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class PopularityNet(nn.Module):
    """Sequence body (the chosen cell) -> concat static features -> MLP head -> one score."""

    def __init__(self, cell: Cell = "lstm", hidden: int = 32, layers: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}")
        self.cell = cell
        n_seq, n_static = len(SEQ_CHANNELS), len(STATIC_CHANNELS)
        inner_dropout = dropout if layers > 1 else 0.0
        if cell == "cnn_lstm":
            self.conv = nn.Conv1d(n_seq, hidden, kernel_size=3, padding=1)
            self.recurrent = nn.LSTM(hidden, hidden, layers, batch_first=True, dropout=inner_dropout)
        else:
            self.conv = None
            self.recurrent = _RECURRENT[cell](n_seq, hidden, layers, batch_first=True, dropout=inner_dropout)
        self.head = nn.Sequential(nn.Linear(hidden + n_static, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 1))
        # Wide part: a linear score of the static features, starting as the ranking of decayed LFU
        # (weight 1 on the log relative decayed count, half-life 16 slots) while the deep part
        # starts at zero. On thin logs the network then only has to learn corrections to a strong
        # caching policy instead of rediscovering it.
        self.wide = nn.Linear(n_static, 1)
        with torch.no_grad():
            self.wide.weight.zero_()
            self.wide.weight[0, STATIC_CHANNELS.index(START_CHANNEL)] = 1.0
            self.wide.bias.zero_()
            self.head[-1].weight.zero_()
            self.head[-1].bias.zero_()

    def forward(self, seq: torch.Tensor, static: torch.Tensor) -> torch.Tensor:
        """``seq`` (..., window, 3) and ``static`` (..., 3) raw features -> scores (...).

        Most candidates of a slot share one input window (no requests lately: all zeros), so the
        sequence body runs once per distinct window and its state is gathered back per candidate;
        this makes scoring every candidate of every slot an order of magnitude cheaper.
        """
        lead = seq.shape[:-2]
        flat = seq.reshape(-1, seq.shape[-2], seq.shape[-1])
        first, inverse = distinct_rows(flat.detach().numpy())  # inputs are data: no gradient is lost
        return self.score(flat[torch.from_numpy(first)], torch.from_numpy(inverse), static).reshape(lead)

    def score(self, windows: torch.Tensor, window_of: torch.Tensor, static: torch.Tensor) -> torch.Tensor:
        """Scores of candidates whose window is ``windows[window_of]`` (distinct windows given once)."""
        return self._head(self.encode(windows)[window_of], static.reshape(-1, static.shape[-1]))

    @torch.no_grad()
    def score_all(
        self, windows: torch.Tensor, window_of: torch.Tensor, static: torch.Tensor, chunk: int = 1 << 13
    ) -> torch.Tensor:
        """:meth:`score` for inference over many candidates, ``chunk`` windows and candidates at a
        time, so that activations (hidden x steps x windows, hidden x candidates) never all sit in
        memory at once."""
        self.eval()
        hidden = torch.cat([self.encode(windows[start : start + chunk]) for start in range(0, windows.shape[0], chunk)])
        out = torch.empty(window_of.shape[0])
        for start in range(0, window_of.shape[0], chunk):
            part = slice(start, start + chunk)
            out[part] = self._head(hidden[window_of[part]], static[part])
        return out

    def _head(self, hidden: torch.Tensor, static: torch.Tensor) -> torch.Tensor:
        s = torch.log1p(static.clamp_min(0))
        return (self.head(torch.cat([hidden, s], dim=1)) + self.wide(s)).squeeze(1)

    def encode(self, seq: torch.Tensor) -> torch.Tensor:
        """(N, window, 3) raw windows -> (N, hidden) final state of the sequence body."""
        x = torch.log1p(seq.clamp_min(0))
        if self.conv is not None:
            x = torch.relu(self.conv(x.transpose(1, 2))).transpose(1, 2)
        out, _ = self.recurrent(x)
        return out[:, -1]


def loss_function(name: Loss) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The named loss over (groups, candidates) scores.

    Targets are (groups, candidates, 3): the relative share (negative = padding), the log rate at
    which the candidate was sampled into its group (used by the listwise loss only), and the
    slot's weight (its requests, mean 1), because hit ratios weigh busy slots more.
    """
    if name == "cross_entropy":
        return _slot_cross_entropy
    elementwise = {
        "mse": lambda p, y: (p - y) ** 2,
        "rmse": lambda p, y: (p - y) ** 2,
        "mae": lambda p, y: (p - y).abs(),
        "huber": lambda p, y: F.huber_loss(p, y, delta=1.0, reduction="none"),
    }
    if name not in elementwise:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    inner = elementwise[name]

    def weighted(scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        share, weight = target[..., 0], target[..., 2]
        valid = share >= 0
        errors = inner(scores[valid], torch.log1p(share[valid]))
        mean = (errors * weight[valid]).sum() / weight[valid].sum().clamp_min(1e-12)
        return torch.sqrt(mean + 1e-12) if name == "rmse" else mean

    return weighted


def _slot_cross_entropy(scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Sampled softmax over a slot's candidates against its observed shares (logQ-corrected)."""
    share, log_rate, weight = target[..., 0], target[..., 1], target[..., 0, 2]
    valid = share >= 0
    weights = share.clamp_min(0)
    mass = weights.sum(dim=-1, keepdim=True)
    has_requests = mass.squeeze(-1) > 0
    log_p = torch.log_softmax((scores - log_rate).masked_fill(~valid, float("-inf")), dim=-1)
    per_slot = -(weights / mass.clamp_min(1e-12) * log_p.masked_fill(~valid, 0.0)).sum(dim=-1)
    if not has_requests.any():
        return scores.sum() * 0.0
    return (per_slot * weight)[has_requests].sum() / weight[has_requests].sum()
