"""The batched sampler's draws stage sees its rows sorted by cost and returns them in place.

:func:`bayes_scot.fitting.backends.blackjax._by_cost` sits between the adaptation and the
draws of a batch split over devices. Here both stages are stand-ins that record what they
were given, so the routing is checked without sampling.
"""

from __future__ import annotations

import numpy as np

from bayes_scot.fitting.backends.blackjax import _by_cost
from bayes_scot.fitting.jax_runtime import jax_runtime


def test_rows_are_drawn_in_order_of_cost_and_returned_in_their_own_order():
    jax = jax_runtime()
    jnp = jax.numpy
    rows = 6
    data = np.arange(rows, dtype=float)[:, None] * np.ones((rows, 3))
    keys = np.arange(2 * rows, dtype=np.uint32).reshape(rows, 2)
    positions = [np.arange(rows, dtype=float)[:, None] * 10.0]
    cost = np.array([31.0, 15.0, 63.0, 15.0, 7.0, 31.0])  # ties keep their order
    seen = {}

    def warmup(data, keys, positions):
        warmed = (positions[0] + 1.0, keys, jnp.asarray(cost))
        return warmed, jnp.asarray(cost)

    def draws(data, warmed):
        state, chain_keys, row_cost = warmed
        seen["cost"] = row_cost
        seen["data"] = data[:, 0]
        return {"position": state * 2.0, "key": chain_keys}, data[:, 0]

    trace, row = _by_cost(jax, warmup, draws, data, keys, positions)  # eagerly: the
    # stand-ins see concrete arrays

    order = [4, 1, 3, 0, 5, 2]
    np.testing.assert_array_equal(seen["cost"], cost[order])
    np.testing.assert_array_equal(seen["data"], np.asarray(order, dtype=float))
    # Every output row is the one computed from that row's own inputs.
    np.testing.assert_array_equal(row, np.arange(rows, dtype=float))
    np.testing.assert_array_equal(trace["position"], (positions[0] + 1.0) * 2.0)
    np.testing.assert_array_equal(trace["key"], keys)
