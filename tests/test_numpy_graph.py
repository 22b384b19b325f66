"""Whole-array NumPy replacements of a vectorised graph compute the same numbers."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.compile.mode import Mode
from pytensor.graph.replace import vectorize_graph
from pytensor.scalar import basic as ps_basic
from pytensor.scalar import math as ps_math
from pytensor.tensor.blockwise import Blockwise
from pytensor.tensor.elemwise import Elemwise

from bayes_scot import _compat
from bayes_scot.fitting import numpy_graph
from bayes_scot.fitting.numpy_graph import numpy_batched

_PY = Mode(linker="py", optimizer=None)

# Values on both sides of every branch point of the scalar formulas, and the specials.
_EDGES = np.array([-np.inf, -800.0, -37.5, -37.0, -36.9, -5.0, np.log(0.5) - 1e-12,
                   np.log(0.5), np.log(0.5) + 1e-12, -1e-300, -0.0, 0.0, 1e-300, 1.0,
                   17.9, 18.0, 18.1, 33.2, 33.3, 33.4, 700.0, np.inf, np.nan])


@pytest.mark.parametrize(("scalar_op", "kernel"), [
    (ps_math.softplus, numpy_graph._softplus),
    (ps_math.log1mexp, numpy_graph._log1mexp),
])
def test_unary_kernels_equal_the_scalar_formula_bit_for_bit(scalar_op, kernel):
    x = np.concatenate([_EDGES, np.random.default_rng(0).normal(0, 30, 500)])
    with np.errstate(all="ignore"):
        expected = np.array([scalar_op.impl(v) for v in x], dtype=float)
        got = kernel(x)
    np.testing.assert_array_equal(got, expected)


def test_clip_kernel_keeps_nan_and_bounds():
    x = np.array([-2.0, 0.5, 3.0, np.nan, -np.inf, np.inf])
    low, high = np.zeros(6), np.ones(6)
    expected = [ps_basic.clip.impl(a, b, c) for a, b, c in zip(x, low, high, strict=True)]
    np.testing.assert_array_equal(numpy_graph._clip(x, low, high), expected)


def _slow_nodes(outputs):
    """Nodes the Python linker would run per element or per batch element."""
    found = []
    for node in _compat.graph_apply_nodes([], outputs):
        op = node.op
        if isinstance(op, Blockwise) and getattr(op.core_op, "gufunc_spec", None) is None:
            found.append(str(op))
        if (isinstance(op, Elemwise) and getattr(op.scalar_op, "nfunc_spec", None) is None
                and not isinstance(op.scalar_op, ps_basic.Composite)):
            found.append(str(op))
        if isinstance(op, Elemwise) and len(node.inputs) > op.scalar_op.nin > 0:
            found.append(str(op))
        if (isinstance(op, Elemwise) and getattr(op.scalar_op, "nfunc_spec", None)
                and len(node.inputs) != op.scalar_op.nfunc_spec[1]):
            found.append(str(op))
    return found


def _core_graph():
    """A small model-like graph using each replaced operation."""
    a = pt.vector("a", shape=(6,))
    b = pt.scalar("b")
    sp = pt.softplus(a)
    lm = pt.log1mexp(-pt.abs(a) - 0.1)
    clipped = pt.clip(a * b, -1.0, 2.0)
    counts = pt.cast(pt.floor(pt.abs(pt.switch(pt.isnan(a), 0.0, a)) * 3), "int64")
    filled = pt.second(a, b)
    grid = pt.reshape(sp + lm, (2, 3))
    flat = pt.reshape(grid * b, (a.shape[0],))
    identity = pt.as_tensor(flat).copy()
    three = pt.add(a, sp, b) * 1.0
    product = pt.mul(a, lm, b, sp)
    return [a, b], [sp, lm, clipped, counts, filled, grid, flat, identity, three, product]


def test_rebuilt_graph_runs_whole_array_and_gives_identical_values():
    (a, b), core = _core_graph()
    a_draws = pt.matrix("a_draws")
    b_draws = pt.vector("b_draws")
    vectorised = vectorize_graph(core, replace={a: a_draws, b: b_draws})
    rebuilt = numpy_batched([a_draws, b_draws], vectorised)
    assert _slow_nodes(vectorised), "the test graph should contain per-element nodes"
    assert _slow_nodes(rebuilt) == []
    rng = np.random.default_rng(1)
    av = rng.normal(0, 20, (50, 6))
    av[0, 0] = np.nan
    bv = rng.normal(size=50)
    before = pytensor.function([a_draws, b_draws], vectorised, mode=_PY)(av, bv)
    after = pytensor.function([a_draws, b_draws], rebuilt, mode=_PY)(av, bv)
    for x, y, var in zip(before, after, rebuilt, strict=True):
        assert y.dtype == x.dtype == var.dtype
        np.testing.assert_array_equal(y, x)


def test_original_graph_is_left_untouched():
    (a, b), core = _core_graph()
    a_draws, b_draws = pt.matrix("a_draws"), pt.vector("b_draws")
    vectorised = vectorize_graph(core, replace={a: a_draws, b: b_draws})
    before = [str(n.op) for n in _compat.graph_apply_nodes([], vectorised)]
    numpy_batched([a_draws, b_draws], vectorised)
    assert [str(n.op) for n in _compat.graph_apply_nodes([], vectorised)] == before


def test_blockwise_reshape_broadcasts_and_rejects_differing_target_shapes():
    x = np.arange(24.0).reshape(2, 12)
    same = numpy_graph._blockwise_reshape(1, x, np.array([[6, 2], [6, 2]]))
    np.testing.assert_array_equal(same, x.reshape(2, 6, 2))
    broadcast = numpy_graph._blockwise_reshape(1, x[:1], np.array([[3, 4], [3, 4]]))
    np.testing.assert_array_equal(broadcast, np.stack([x[0].reshape(3, 4)] * 2))
    with pytest.raises(ValueError, match="different shapes"):
        numpy_graph._blockwise_reshape(1, x, np.array([[3, 4], [4, 3]]))


def test_kernel_ops_are_equal_only_with_the_same_kernel():
    from functools import partial

    one = numpy_graph._numpy_op(numpy_graph._softplus, "softplus")
    assert one == numpy_graph._numpy_op(numpy_graph._softplus, "softplus")
    reshape = "batched Reshape{2}"
    assert (numpy_graph._numpy_op(partial(numpy_graph._blockwise_reshape, 1), reshape)
            != numpy_graph._numpy_op(partial(numpy_graph._blockwise_reshape, 2), reshape))


def test_vectorised_shapes_stay_unbatched_with_the_same_values():
    # A shape taken from a batched value is the same for every draw: the node-by-node
    # vectorisation slices it off the batched shape instead of broadcasting it (an
    # Alloc) to every draw; the values are vectorize_graph's, to the bit.
    from pytensor.tensor.basic import Alloc

    from bayes_scot.fitting.deterministics import _vectorise

    x = pt.vector("x")
    y = pt.exp(x) * 2.0
    z = pt.alloc(0.5, y.shape[0], 3) + y[:, None]
    outputs = [z, z.reshape((y.shape[0] * 3,)), y.sum(), pt.constant(2.0) * 3.0]
    batch = pt.matrix("batch")
    expected = vectorize_graph(outputs, replace={x: batch})
    got = _vectorise(outputs, {x: batch})
    value = np.random.default_rng(2).normal(size=(5, 4))
    for want, have in zip(pytensor.function([batch], expected, mode=_PY)(value),
                          pytensor.function([batch], got, mode=_PY)(value), strict=True):
        np.testing.assert_array_equal(have, want)

    def allocs(graph):
        return sum(isinstance(n.op, Alloc) for n in _compat.graph_apply_nodes([batch], graph))

    assert allocs(got) < allocs(expected)
    assert got[3] is outputs[3]  # a node computed from no replaced variable is kept


@pytest.mark.slow
def test_survival_terms_vectorised_node_by_node_equal_vectorize_graph():
    # The survival model's likelihood terms take shapes of batched values (the graphs
    # where broadcasting them cost most): the values must be vectorize_graph's to the bit.
    from bayes_scot.fitting.deterministics import _vectorise
    from bayes_scot.fitting.prior import PriorSampler
    from bayes_scot.reanalysis.runner import build_family
    from bayes_scot.spec import load_spec

    model = build_family(load_spec("scot_itt"), "survival")[0].model
    outputs = [*model.potentials, *model.deterministics]
    given = list(model.free_RVs)
    batched = [pt.tensor(dtype=v.dtype, shape=(None,) * (v.ndim + 1)) for v in given]
    draws = PriorSampler(model).sample({}, chains=1, draws=200, seed=8)
    values = [draws[v.name].values[0] for v in given]
    with np.errstate(all="ignore"):
        expected = pytensor.function(batched, vectorize_graph(
            outputs, replace=dict(zip(given, batched, strict=True))), mode=_PY)(*values)
        got = pytensor.function(batched, _vectorise(
            outputs, dict(zip(given, batched, strict=True))), mode=_PY)(*values)
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_array_equal(have, want)
