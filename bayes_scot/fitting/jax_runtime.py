"""JAX for PyMC models on the CPU: configured once per process, graphs translated to JAX.

The BlackJAX backend (:mod:`bayes_scot.fitting.backends.blackjax`) compiles its whole
sampler with XLA. :func:`jax_runtime` imports JAX configured for that work (64-bit
floats, one device per core, an on-disk compilation cache), and :func:`jax_function`
turns a PyTensor graph (a model's log density) into a traceable JAX function.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["jax_function", "jax_runtime", "sampling_devices"]

_JAX_LOCK = threading.Lock()
_CONFIGURED: list[bool] = []
"""Holds ``True`` once JAX has been configured in this process."""
_SPARE: list[int] = []
"""Holds ``1`` when :func:`jax_runtime` added a device beyond the samplers' (one per core)."""


def jax_runtime() -> ModuleType:
    """Import JAX, configured once per process for PyMC models on the CPU.

    * 64-bit floats (``jax_enable_x64``): PyTensor graphs are float64.
    * One CPU device per core for the samplers (:func:`sampling_devices`), so that
      independent chains can run in parallel, and one more (``jax_num_cpu_devices`` is
      cores + 1). With one device per core, a short program (the log density that
      checks a batch's starting points) waits until a batch running on every device
      has finished; with a spare device it runs at once. The devices are set only
      before JAX's first computation in the process; afterwards JAX keeps them.
    * An on-disk compilation cache under PyTensor's ``base_compiledir`` (unless one is
      configured already), so that a later process loads compiled samplers instead of
      compiling them again. It keeps every program, not only those that took JAX's
      default of at least a second to compile: the log density that checks a batch's
      starting points compiles in about half a second and loads in a fiftieth, and a
      report compiles one for each of its batches.

    Returns
    -------
    module
        The ``jax`` module.
    """
    import jax

    with _JAX_LOCK:
        if _CONFIGURED:
            return jax
        jax.config.update("jax_enable_x64", True)
        config: Any = jax.config
        try:
            if config.jax_num_cpu_devices in (-1, None):
                config.update("jax_num_cpu_devices", (os.cpu_count() or 1) + 1)
                _SPARE.append(1)
        except (AttributeError, RuntimeError):  # older JAX, or computations already ran
            pass
        if not config.jax_compilation_cache_dir:
            import pytensor

            cache = Path(pytensor.config.base_compiledir) / "jax"
            jax.config.update("jax_compilation_cache_dir", str(cache))
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        _CONFIGURED.append(True)
    return jax


def sampling_devices() -> int:
    """Return how many JAX devices a sampler's batch may be split over.

    One per core when :func:`jax_runtime` set the devices up (it adds one more, for short
    programs); otherwise every device JAX has (a process that configured JAX itself).

    Returns
    -------
    int
        At least 1.
    """
    jax = jax_runtime()
    return max(1, jax.local_device_count() - sum(_SPARE))


def jax_function(inputs: Sequence[Any], outputs: Sequence[Any]) -> Any:
    """Compile a PyTensor graph into a (traceable) JAX function.

    The graph is rewritten with PyTensor's JAX rewrites and translated by its JAX
    dispatcher. Inputs should have static shapes, so that every shape in the graph is a
    constant: JAX cannot trace shapes that depend on values.

    Parameters
    ----------
    inputs, outputs : sequence of TensorVariable
        The graph's inputs (no shared variables may remain among its leaves) and outputs.

    Returns
    -------
    callable
        ``f(*inputs) -> tuple of outputs``, to be traced by :func:`jax.jit`.
    """
    import pytensor
    from pytensor.compile.mode import JAX
    from pytensor.graph import FunctionGraph
    from pytensor.link.jax.dispatch import jax_funcify

    jax_runtime()
    fgraph = FunctionGraph(inputs=list(inputs), outputs=list(outputs), clone=True)
    # With static input shapes, PyTensor 2.38's local_subtensor_of_expand_dims proposes a
    # replacement of the wrong static shape; the rewriter rejects it and logs a traceback.
    # The rewrites create thousands of nodes; PyTensor would record a stack trace on each,
    # for its error messages only (a fifth of the rewriting time).
    with pytensor.config.change_flags(traceback__limit=0):
        JAX.excluding("local_subtensor_of_expand_dims").optimizer.rewrite(fgraph)
    with warnings.catch_warnings():
        # Parameter checks (sigma > 0) are dropped under tracing: the sampler works on the
        # unconstrained scale, where they hold by construction.
        warnings.filterwarnings("ignore", message="Skipping .* Op", category=UserWarning)
        return jax_funcify(fgraph)
