"""nutpie's numba compilation with the log density kept in PyTensor's on-disk cache.

nutpie 0.16 wraps PyTensor's numba-compiled log density in a C callback that numba
cannot cache ("dynamic globals"), and building that callback re-generates machine code
for the whole log density in every process: about 20 s for the survival model, even
when PyTensor's on-disk cache holds every kernel. :func:`compile_nutpie_numba` first
wraps the log density in a small C callback of its own, which PyTensor's cache locator
stores on disk under the log density's cache key; nutpie's callback then calls it through
a function pointer, so only a few lines are compiled per process.

Everything else in the process is left as it was: the rewrite that makes constants
contiguous is part of this package's compilation mode only (:func:`numba_mode`), and the
lower LLVM optimisation level holds only while this package compiles
(:func:`numba_optimisation`). The private names of nutpie, PyTensor and numba this relies
on are read in :mod:`bayes_scot.fitting.internals`; when they differ from the tested
releases, the model is compiled through nutpie's public path instead.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from bayes_scot.fitting import internals

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

__all__ = ["compile_nutpie_numba", "numba_mode", "numba_optimisation"]

_LOG = logging.getLogger(__name__)
_NUTPIE_LOCK = threading.Lock()

OPTIMISATION_LEVEL = 1
"""LLVM optimisation level of this package's numba compilations (numba's default is 3)."""


def _cached_logp_callback(logp_fn_pt: Any, n_dim: int) -> Any | None:
    """Return a thin numba function computing ``(logp, grad)`` through a cached C callback.

    Returns ``None`` (nutpie then uses PyTensor's own compiled function) when the log
    density has no numba entry point or cache key, or reads other than exactly one
    shared variable.
    """
    import numba
    from numba import types

    jit_fn = internals.numba_entry_point(logp_fn_pt)
    key = internals.source_cache_key(jit_fn)
    shared = logp_fn_pt.get_shared()
    if jit_fn is None or key is None or len(shared) != 1:
        return None
    size = int(np.asarray(shared[0].get_value()).size)
    name = "bayes_scot_logp_callback"
    source = (
        f"def {name}(x_ptr, data_ptr, grad_ptr):\n"
        f"    x = carray(x_ptr, ({n_dim},), float64)\n"
        f"    data = carray(data_ptr, ({size},), float64)\n"
        f"    grad = carray(grad_ptr, ({n_dim},), float64)\n"
        f"    logp, dlogp = log_density(x, data)\n"
        f"    grad[:] = dlogp\n"
        f"    return logp[()]\n"
    )
    function = internals.compile_cached_source(
        source,
        name,
        global_env={
            "__name__": __name__,  # the module numba records for the cached environment
            "carray": numba.carray,
            "float64": np.float64,
            "log_density": jit_fn,
        },
        cache_key=f"{name}_{n_dim}_{size}_{key}",
    )
    callback = numba.cfunc(types.float64(types.voidptr, types.voidptr, types.voidptr),
                           cache=True)(function)
    as_pointer = internals.address_to_pointer()

    @numba.njit
    def logp_and_gradient(x: np.ndarray, data: np.ndarray) -> tuple[float, np.ndarray]:
        grad = np.empty(n_dim)
        value = callback(
            as_pointer(x.ctypes.data), as_pointer(data.ctypes.data), as_pointer(grad.ctypes.data)
        )
        return value, grad

    return logp_and_gradient


def _with_cached_callback(logp_fn_pt: Any, n_dim: int) -> Any:
    """Return the log density as nutpie sees it, calling the cached callback if there is one."""
    thin = _cached_logp_callback(logp_fn_pt, n_dim)
    return logp_fn_pt if thin is None else internals.with_numba_entry_point(logp_fn_pt, thin)


@contextmanager
def numba_optimisation(level: int = OPTIMISATION_LEVEL) -> Iterator[None]:
    """Compile with LLVM optimisation ``level`` (unless ``NUMBA_OPT`` is set), then restore.

    The kernels of these log densities are short loops over small arrays: at -O1 numba
    compiles them in a little more than half the time of its default -O3, and the
    sampler runs as fast (``benchmarks/README.md``). Numba compilations in other threads
    wait until the block ends, so they keep numba's own level; a ``NUMBA_OPT``
    environment variable is respected.
    """
    with internals.optimisation_level(level):
        yield


@lru_cache(maxsize=1)
def numba_mode() -> Any:
    """PyTensor's ``NUMBA`` mode with every constant of the graph made C-contiguous.

    Numba embeds contiguous constant arrays in the machine code but refers to any other
    (a reversed view, say, which PyTensor's constant folding makes from the gradient of
    a cumulative sum) by its address in this process. Code holding such an address
    cannot be cached on disk, so one reversed constant would make every process compile
    the whole log density again. The rewrite belongs to this mode only: PyTensor's own
    ``NUMBA`` mode, which other models in the process use, is unchanged.

    Returns
    -------
    pytensor.compile.mode.Mode
    """
    from pytensor.compile.mode import get_mode
    from pytensor.graph.rewriting.basic import GraphRewriter
    from pytensor.tensor import TensorConstant

    class ContiguousConstants(GraphRewriter):
        def apply(self, fgraph: Any) -> None:
            for var in list(fgraph.variables):
                if not isinstance(var, TensorConstant) or var.data.ndim == 0:
                    continue
                if var.data.flags.c_contiguous or var.data.flags.f_contiguous:
                    continue
                fgraph.replace(
                    var,
                    TensorConstant(var.type, np.ascontiguousarray(var.data), name=var.name),
                    reason="contiguous_constants",
                )

    return get_mode("NUMBA").register((ContiguousConstants(), 100))


@lru_cache(maxsize=1)
def _internals_usable() -> bool:
    found = internals.problems()
    if found:
        _LOG.warning("compiling through nutpie's own path (slower to start): %s",
                     "; ".join(found))
    return not found


def compile_nutpie_numba(model: pm.Model, *, var_names: Sequence[str]) -> Any:
    """``nutpie.compile_pymc_model(model, backend="numba")`` with a cached log density.

    Parameters
    ----------
    model : pymc.Model
        The model to compile.
    var_names : sequence of str
        Variables nutpie stores for each draw.

    Returns
    -------
    nutpie.compiled_pyfunc.CompiledPyMCModel
        As nutpie returns it; its log-density callback calls the disk-cached one.
    """
    import nutpie

    # PyTensor's numba backend adds its warning filters when it is first imported. It is
    # imported here, not inside the block below, which restores the filters it found
    # and so would drop them: a user's own models would then warn where they do not.
    import pytensor.link.numba.dispatch  # noqa: F401
    from numba.core.errors import NumbaPerformanceWarning

    def compile_model() -> Any:
        return nutpie.compile_pymc_model(model, backend="numba", var_names=list(var_names))

    if not _internals_usable():
        return compile_model()
    patched = internals.make_functions_patched(_with_cached_callback, numba_mode())
    with _NUTPIE_LOCK, numba_optimisation(), patched, warnings.catch_warnings():
        # Numba notes that np.dot on a transposed view of a few numbers could be faster
        # on a contiguous copy; at these sizes it makes no difference worth a message.
        warnings.filterwarnings("ignore", category=NumbaPerformanceWarning)
        return compile_model()
