"""Tiny ``torch.nn.Module`` classes for the pytorch flavor tests.

A whole-module pickle names its class by module path, so the classes live here, importable by
Runstone and MLflow alike, and not in a test module.
"""

from __future__ import annotations

from typing import Any

import torch


class TinyRegressor(torch.nn.Module):
    """Two inputs, one output: a fixed linear layer, so predictions are reproducible."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)
        with torch.no_grad():
            self.linear.weight.copy_(torch.tensor([[0.5, -2.0]]))
            self.linear.bias.fill_(0.25)

    def forward(self, x: Any, scale: float = 1.0) -> Any:
        return self.linear(x) * scale


class DropoutNet(torch.nn.Module):
    """Random in training mode: a loaded model must be in eval mode to be deterministic."""

    def __init__(self) -> None:
        super().__init__()
        self.dropout = torch.nn.Dropout(p=0.5)

    def forward(self, x: Any) -> Any:
        return self.dropout(x)


class TupleOutput(torch.nn.Module):
    """Returns two tensors: not usable through python_function."""

    def forward(self, x: Any) -> Any:
        return x, x
