"""Shared PyTorch plumbing: seeding, thread control and one training loop for every model."""

from viewcast.nn.training import TrainConfig, TrainHistory, configure_torch, fit

__all__ = ["TrainConfig", "TrainHistory", "configure_torch", "fit"]
