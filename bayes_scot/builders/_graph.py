"""Small PyTensor idioms shared by the model builders."""

from __future__ import annotations

import pytensor.tensor as pt
from pytensor.tensor import TensorVariable

__all__ = ["prepend_zero", "running_sum"]


def prepend_zero(x: TensorVariable) -> TensorVariable:
    """``x`` with a zero before its first element along the last axis.

    The zero is built from ``x`` itself (not a constant of fixed shape), so the graph
    stays vectorisable over leading batch dimensions, e.g. posterior draws
    (:class:`~bayes_scot.fitting.deterministics.DeterministicsFunction`).
    """
    return pt.concatenate([pt.zeros_like(x[..., :1]), x], axis=-1)


def running_sum(steps: TensorVariable) -> TensorVariable:
    """Return the walk from zero ``0, s1, s1 + s2, ...`` along the last axis."""
    return prepend_zero(pt.cumsum(steps, axis=-1))
