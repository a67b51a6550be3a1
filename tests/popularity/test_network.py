"""The scoring network: one architecture per cell, windows encoded once, and the losses as named."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from viewcast.popularity.config import CELLS
from viewcast.popularity.features import STATIC_CHANNELS
from viewcast.popularity.network import PopularityNet, loss_function


@pytest.mark.parametrize("cell, body", [("lstm", nn.LSTM), ("gru", nn.GRU), ("rnn", nn.RNN), ("cnn_lstm", nn.LSTM)])
def test_each_cell_builds_its_architecture(cell, body):
    net = PopularityNet(cell, hidden=8, layers=2, dropout=0.1)
    assert type(net.recurrent) is body and net.recurrent.num_layers == 2 and net.recurrent.hidden_size == 8
    assert (net.conv is not None) == (cell == "cnn_lstm")
    if cell == "cnn_lstm":
        assert net.conv.out_channels == 8 and net.recurrent.input_size == 8
    seq, static = torch.rand(4, 5, 6, 3), torch.rand(4, 5, len(STATIC_CHANNELS))
    assert net(seq, static).shape == (4, 5)
    assert set(CELLS) == {"lstm", "gru", "rnn", "cnn_lstm"}


def test_the_untrained_network_ranks_like_decayed_lfu():
    net = PopularityNet("lstm", hidden=4)
    static = torch.rand(50, len(STATIC_CHANNELS)) * 5
    scores = net(torch.rand(50, 3, 3), static)
    decayed = static[:, STATIC_CHANNELS.index("relative_decayed_count_16")]
    assert torch.equal(torch.argsort(scores), torch.argsort(decayed))


def test_shared_windows_are_encoded_once_without_changing_scores():
    torch.manual_seed(0)
    net = PopularityNet("gru", hidden=6)
    nn.init.normal_(net.head[-1].weight)
    seq = torch.zeros(50, 4, 3)
    seq[:5] = torch.rand(5, 4, 3)
    static = torch.rand(50, len(STATIC_CHANNELS))
    direct = net.head(torch.cat([net.encode(seq), torch.log1p(static)], 1)).squeeze(1) + net.wide(torch.log1p(static)).squeeze(1)
    assert torch.allclose(net(seq, static), direct, atol=1e-6)


def test_losses_are_wired_as_named():
    scores = torch.tensor([[1.0, 2.0, 0.5, 9.0]])
    # (relative share, log sampling rate, slot weight); the last candidate is padding
    target = torch.tensor([[[0.0, 0.0, 2.0], [3.0, 0.0, 2.0], [1.0, math.log(0.5), 2.0], [-1.0, 0.0, 2.0]]])
    valid_scores, valid_target = scores[0, :3], torch.log1p(torch.tensor([0.0, 3.0, 1.0]))  # log relative share
    assert torch.isclose(loss_function("mse")(scores, target), ((valid_scores - valid_target) ** 2).mean())
    assert torch.isclose(loss_function("rmse")(scores, target), ((valid_scores - valid_target) ** 2).mean().sqrt())
    assert torch.isclose(loss_function("mae")(scores, target), (valid_scores - valid_target).abs().mean())
    assert torch.isclose(loss_function("huber")(scores, target), nn.functional.huber_loss(valid_scores, valid_target))
    corrected = valid_scores - torch.tensor([0.0, 0.0, math.log(0.5)])
    expected = -(torch.tensor([0.0, 0.75, 0.25]) * torch.log_softmax(corrected, 0)).sum()
    assert torch.isclose(loss_function("cross_entropy")(scores, target), expected)
    with pytest.raises(ValueError, match="unknown loss"):
        loss_function("hinge")


def test_busy_slots_weigh_more_in_every_loss():
    """Hit ratios sum requests over slots, so a slot's loss is weighted by its requests."""
    scores = torch.tensor([[0.0, 1.0], [2.0, 0.0]])
    target = torch.zeros(2, 2, 3)
    target[0, :, 0], target[1, :, 0] = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    for name in ("mse", "mae", "huber", "cross_entropy"):
        fn = loss_function(name)
        per_slot = [fn(scores[i : i + 1], target[i : i + 1].clone().index_fill_(2, torch.tensor([2]), 1.0)) for i in (0, 1)]
        target[0, :, 2], target[1, :, 2] = 0.5, 1.5
        assert torch.isclose(fn(scores, target), 0.25 * per_slot[0] + 0.75 * per_slot[1]), name
