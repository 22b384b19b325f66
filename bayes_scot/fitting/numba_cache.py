"""nutpie's numba compilation with the log density kept in PyTensor's on-disk cache.

nutpie 0.16 wraps PyTensor's numba-compiled log density in a C callback that numba
cannot cache ("dynamic globals"), and building that callback re-generates machine code
for the whole log density in every process: about 20 s for the survival model, even
when PyTensor's on-disk cache holds every kernel. :func:`compile_nutpie_numba` first
wraps the log density in a small C callback of its own, which PyTensor's cache locator
stores on disk under the log density's cache key; nutpie's callback then calls it through
a function pointer, so only a few lines are compiled per process. It relies on nutpie
0.16 and PyTensor 2.3x internals, and falls back to nutpie's own path when they do not
apply.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

__all__ = ["compile_nutpie_numba", "numba_optimisation"]

_NUTPIE_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _as_pointer() -> Any:
    """Return a numba intrinsic that turns an integer address into a ``void*``."""
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def as_pointer(typingctx: Any, address: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return builder.inttoptr(args[0], cgutils.voidptr_t)

        return types.voidptr(address), codegen

    return as_pointer


def _cached_logp_callback(logp_fn_pt: Any, n_dim: int) -> Any:
    """Return a thin numba function computing ``(logp, grad)`` through a cached C callback.

    Falls back to PyTensor's own compiled function when it has no cache key, reads other
    than exactly one shared variable, or PyTensor lacks the cache internals used here.
    """
    import numba
    from numba import types

    jit_fn = logp_fn_pt.vm.jit_fn
    try:
        from pytensor.link.numba.cache import (
            CACHED_SRC_FUNCTIONS,
            compile_numba_function_src,
        )
    except ImportError:  # pragma: no cover - other PyTensor versions
        return jit_fn
    py_func = getattr(jit_fn, "py_func", None)
    key = CACHED_SRC_FUNCTIONS.get(py_func) if py_func is not None else None
    shared = logp_fn_pt.get_shared()
    if key is None or len(shared) != 1:
        return jit_fn
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
    function = compile_numba_function_src(
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
    as_pointer = _as_pointer()

    @numba.njit
    def logp_and_gradient(x: np.ndarray, data: np.ndarray) -> tuple[float, np.ndarray]:
        grad = np.empty(n_dim)
        value = callback(
            as_pointer(x.ctypes.data), as_pointer(data.ctypes.data), as_pointer(grad.ctypes.data)
        )
        return value, grad

    return logp_and_gradient


class _LogpFunction:
    """A compiled PyTensor function whose numba entry point is replaced."""

    def __init__(self, original: Any, jit_fn: Any) -> None:
        self._original = original
        self.vm = SimpleNamespace(jit_fn=jit_fn)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


@contextmanager
def numba_optimisation(level: int = 1) -> Iterator[None]:
    """Compile with LLVM optimisation ``level`` (unless ``NUMBA_OPT`` is set), then restore.

    The kernels of these log densities are short loops over small arrays: at -O1 numba
    compiles them in a little more than half the time of its default -O3, and the
    sampler runs as fast (``benchmarks/README.md``). A ``NUMBA_OPT`` environment
    variable is respected.
    """
    from numba.core import config

    if "NUMBA_OPT" in os.environ:
        yield
        return
    previous = config.OPT
    config.OPT = type(previous)(level)
    try:
        yield
    finally:
        config.OPT = previous


@lru_cache(maxsize=1)
def _register_contiguous_constants() -> None:
    """Make every constant of a numba-compiled graph C-contiguous (registered once).

    Numba embeds contiguous constant arrays in the machine code but refers to any other
    (a reversed view, say, which PyTensor's constant folding makes from the gradient of
    a cumulative sum) by its address in this process. Code holding such an address
    cannot be cached on disk, so one reversed constant would make every process compile
    the whole log density again.
    """
    from pytensor.compile import optdb
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

    optdb.register("bayes_scot_contiguous_constants", ContiguousConstants(), "numba",
                   position=100)


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
    import nutpie.compile_pymc as nutpie_pymc

    _register_contiguous_constants()
    original = nutpie_pymc._make_functions

    def make_functions(*args: Any, **kwargs: Any) -> Any:
        n_dim, n_expanded, logp_fn_pt, *rest = original(*args, **kwargs)
        thin = _LogpFunction(logp_fn_pt, _cached_logp_callback(logp_fn_pt, n_dim))
        return (n_dim, n_expanded, thin, *rest)

    from numba.core.errors import NumbaPerformanceWarning

    with _NUTPIE_LOCK, numba_optimisation(), warnings.catch_warnings():
        # Numba notes that np.dot on a transposed view of a few numbers could be faster
        # on a contiguous copy; at these sizes it makes no difference worth a message.
        warnings.filterwarnings("ignore", category=NumbaPerformanceWarning)
        nutpie_pymc._make_functions = make_functions
        try:
            return nutpie.compile_pymc_model(model, backend="numba", var_names=list(var_names))
        finally:
            nutpie_pymc._make_functions = original
