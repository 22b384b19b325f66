"""Vectorised graphs that PyTensor's Python linker runs as whole-array NumPy calls.

:class:`~bayes_scot.fitting.deterministics.DeterministicsFunction` evaluates a model's
quantities on thousands of draws at once with PyTensor's Python linker and no graph
rewrites (rewrites would fuse nodes into scalar loops, slow in Python; compiling them
costs seconds). Most nodes of such a graph then run as one NumPy call on the whole batch,
but not all:

* an elementwise node whose scalar operation has no NumPy ufunc (softplus, log1mexp,
  clip, cast, identity, second), or a sum or product of more than two terms, is run by
  :func:`numpy.frompyfunc`, one Python call per element;
* a node that :func:`~pytensor.graph.replace.vectorize_graph` could only batch as a
  :class:`~pytensor.tensor.blockwise.Blockwise` without a gufunc (reshape, the identity
  of ``pm.Deterministic``) loops over the draws in Python.

:func:`numpy_batched` rebuilds such a graph with those nodes replaced by whole-array
equivalents, computing the same numbers: each NumPy replacement evaluates the scalar
operation's own formula, branch for branch, so the values are identical to the bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache, partial, reduce
from typing import Any

import numpy as np

from bayes_scot import _compat

__all__ = ["numpy_batched"]


def _softplus(x: np.ndarray) -> np.ndarray:
    """``log(1 + exp(x))`` with the branches of :class:`pytensor.scalar.math.Softplus`."""
    return np.where(
        x < -37.0, np.exp(x),
        np.where(x < 18.0, np.log1p(np.exp(x)), np.where(x < 33.3, x + np.exp(-x), x)),
    )


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """``log(1 - exp(x))`` with the branches of :class:`pytensor.scalar.math.Log1mexp`."""
    return np.where(x < np.log(0.5), np.log1p(-np.exp(x)), np.log(-np.expm1(x)))


def _clip(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """:class:`pytensor.scalar.basic.Clip`: ``low`` below, ``high`` above, NaN kept."""
    return np.where(x < low, low, np.where(x > high, high, x))


def _second(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """:class:`pytensor.scalar.basic.Second`: ``y`` broadcast to the shape of both."""
    return np.broadcast_to(y, np.broadcast_shapes(np.shape(x), np.shape(y)))


def _same(x: np.ndarray) -> np.ndarray:
    """:class:`~pytensor.scalar.basic.Cast` and :class:`~pytensor.scalar.basic.Identity`.

    The node's output dtype is applied to the value (a copy) on return.
    """
    return x


def _blockwise_reshape(batch: int, x: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Reshape the core dimensions of ``x`` to a target shape that carries batch dims.

    The target shapes come from the core shapes, so they agree across the batch, and the
    whole batch is reshaped at once. Shapes that differ cannot form one output array
    (a :class:`~pytensor.tensor.blockwise.Blockwise` would fail too).
    """
    shape = np.asarray(shape, dtype=np.int64)
    batch_shape = np.broadcast_shapes(x.shape[:batch], shape.shape[:-1])
    targets = shape.reshape(-1, shape.shape[-1])
    if not (targets == targets[0]).all():
        raise ValueError("the batch elements are reshaped to different shapes")
    x = np.broadcast_to(x, batch_shape + x.shape[batch:])
    return x.reshape(batch_shape + tuple(int(n) for n in targets[0]))


def _sum(*terms: np.ndarray) -> np.ndarray:
    """:class:`~pytensor.scalar.basic.Add` of three or more terms: ``sum(terms)``, in order."""
    start: Any = 0  # as Python's sum, so that -0.0 + -0.0 gives 0.0 as before
    return reduce(np.add, terms, start)


def _product(*factors: np.ndarray) -> np.ndarray:
    """:class:`~pytensor.scalar.basic.Mul` of three or more factors, in order."""
    return reduce(np.multiply, factors)


def _elementwise_kernels() -> dict[type, Callable[..., np.ndarray]]:
    import pytensor.scalar.basic as basic
    import pytensor.scalar.math as scalar_math

    return {
        scalar_math.Softplus: _softplus,
        scalar_math.Log1mexp: _log1mexp,
        basic.Clip: _clip,
        basic.Second: _second,
        basic.Cast: _same,
        basic.Identity: _same,
    }


def _variadic_kernels() -> dict[type, Callable[..., np.ndarray]]:
    """Kernels of scalar operations whose NumPy ufunc takes two inputs, for more."""
    import pytensor.scalar.basic as basic

    return {basic.Add: _sum, basic.Mul: _product}


@cache
def _kernel_op_class() -> type:
    """Define the Op class of :func:`_numpy_op` (once PyTensor is imported)."""
    from pytensor.graph.basic import Apply
    from pytensor.graph.op import Op

    class NumPyKernel(Op):
        """Runs a NumPy function on whole arrays; typed like the node it replaces."""

        # Two nodes are the same operation only with the same kernel (a reshape's kernel
        # carries its number of batch dims).
        __props__ = ("kernel", "name")

        def __init__(self, kernel: Callable[..., np.ndarray], name: str) -> None:
            self.kernel = kernel
            self.name = name

        def make_node(self, *inputs: Any) -> Apply:
            *args, out_type = inputs
            return Apply(self, list(args), [out_type()])

        def perform(self, node: Apply, inputs: Sequence[Any], output_storage: Any) -> None:
            with np.errstate(all="ignore"):  # as PyTensor's elementwise nodes
                value = self.kernel(*inputs)
            output_storage[0][0] = np.array(value, dtype=node.outputs[0].type.dtype)

    return NumPyKernel


def _numpy_op(kernel: Callable[..., np.ndarray], name: str) -> Any:
    """Return an Op that runs ``kernel`` on whole arrays."""
    return _kernel_op_class()(kernel, name)


def _replacement(
    node: Any, inputs: list[Any], kernels: dict[type, Any], variadic: dict[type, Any]
) -> list[Any] | None:
    """Whole-array outputs for ``node`` given its (rebuilt) inputs, or ``None`` to keep it."""
    from pytensor.compile.ops import ViewOp
    from pytensor.tensor.blockwise import Blockwise
    from pytensor.tensor.elemwise import Elemwise
    from pytensor.tensor.shape import Reshape

    op = node.op
    out_type = node.outputs[0].type
    if isinstance(op, Elemwise) and len(node.outputs) == 1:
        kernel = kernels.get(type(op.scalar_op))
        if kernel is None and len(inputs) > 2:
            kernel = variadic.get(type(op.scalar_op))
        if kernel is not None:
            return [_numpy_op(kernel, str(op.scalar_op))(*inputs, out_type)]
    if isinstance(op, Blockwise) and len(node.outputs) == 1:
        batch = op.batch_ndim(node)
        if isinstance(op.core_op, ViewOp) and inputs[0].type == out_type:
            return [inputs[0]]
        if isinstance(op.core_op, Reshape):
            kernel = partial(_blockwise_reshape, batch)
            return [_numpy_op(kernel, f"batched {op.core_op}")(*inputs, out_type)]
    return None


def numpy_batched(inputs: Sequence[Any], outputs: Sequence[Any]) -> list[Any]:
    """Rebuild a vectorised graph so that each node runs as whole-array NumPy calls.

    Parameters
    ----------
    inputs : sequence of TensorVariable
        The graph's inputs (kept as they are; so are shared variables and constants).
    outputs : sequence of TensorVariable
        Outputs of a graph batched over leading dimensions, e.g. by
        :func:`pytensor.graph.replace.vectorize_graph`.

    Returns
    -------
    list of TensorVariable
        The same quantities, with the nodes listed in the module docstring replaced;
        the original graph is not modified. Nodes of any other kind are kept.
    """
    kernels, variadic = _elementwise_kernels(), _variadic_kernels()
    rebuilt: dict[Any, Any] = {}
    for node in _compat.graph_apply_nodes(inputs, outputs):
        new_inputs = [rebuilt.get(i, i) for i in node.inputs]
        new_outputs = _replacement(node, new_inputs, kernels, variadic)
        if new_outputs is None:
            if all(a is b for a, b in zip(new_inputs, node.inputs, strict=True)):
                continue
            # Replacements keep their node's output type, so nodes downstream are copied
            # as they are (strict), not made again (which infers shapes, slowly).
            new_outputs = node.clone_with_new_inputs(new_inputs, strict=True).outputs
        for old, new in zip(node.outputs, new_outputs, strict=True):
            if old.name is not None and new.name is None:
                new.name = old.name
            rebuilt[old] = new
    return [rebuilt.get(o, o) for o in outputs]
