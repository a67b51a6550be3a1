"""The shared training loop: seeding, early stopping and best-epoch restore."""

from __future__ import annotations

import torch
from torch import nn

from viewcast.nn import TrainConfig, fit


def _data(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(256, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
    return x, y


def test_same_seed_same_weights():
    x, y = _data()
    cfg = TrainConfig(max_epochs=3, batch_size=16, seed=7, progress=False)
    models = []
    for _ in range(2):
        torch.manual_seed(123)
        model = nn.Linear(3, 1)
        fit(model, (x, y), (x[:32], y[:32]), nn.functional.mse_loss, cfg)
        models.append(model)
    assert torch.equal(models[0].weight, models[1].weight)


def test_restores_best_epoch_and_stops_early():
    x, y = _data()
    model = nn.Linear(3, 1)
    scores = iter([0.5, 0.9, 0.7, 0.6, 0.4, 0.3, 0.2])
    snapshots: list[torch.Tensor] = []

    def metric(m: nn.Module) -> float:
        snapshots.append(m.weight.detach().clone())
        return next(scores)

    cfg = TrainConfig(max_epochs=7, batch_size=32, patience=3, monitor="val_metric", mode="max", progress=False)
    history = fit(model, (x, y), None, nn.functional.mse_loss, cfg, val_metric=metric)
    assert history.best_epoch == 1
    assert history.stopped_early and len(history.train_loss) == 5
    assert torch.equal(model.weight, snapshots[1])


def test_learns_linear_map():
    x, y = _data()
    model = nn.Linear(3, 1)
    cfg = TrainConfig(max_epochs=60, batch_size=16, learning_rate=0.05, progress=False)
    history = fit(model, (x, y), (x, y), nn.functional.mse_loss, cfg)
    assert history.val_loss[history.best_epoch] < 1e-3
