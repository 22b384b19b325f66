"""The one module that reads private names of nutpie, PyTensor and numba, each guarded.

:mod:`bayes_scot.fitting.numba_cache` shortens nutpie's numba compilation with names no
library promises to keep. They are all read here, nowhere else:

* ``nutpie.compile_pymc._make_functions``, replaced for the duration of one compilation
  (:func:`make_functions_patched`); it must return nutpie 0.16's six values, the third a
  compiled PyTensor function;
* a compiled PyTensor function's numba entry point ``vm.jit_fn``
  (:func:`numba_entry_point`, :func:`with_numba_entry_point`);
* PyTensor's numba source cache, ``pytensor.link.numba.cache.CACHED_SRC_FUNCTIONS`` and
  ``compile_numba_function_src`` (:func:`source_cache_key`, :func:`compile_cached_source`);
* numba's optimisation level ``numba.core.config.OPT``, its compiler lock and
  ``numba.core.cgutils`` (:func:`optimisation_level`, :func:`address_to_pointer`).

:func:`problems` checks every one of them against what this package relies on and
:func:`check` raises :class:`InternalsChanged` naming each difference; the canary tests
call it, so a release that changes them fails the tests with that message instead of
misbehaving. At run time a difference is not an error: the caller compiles through
nutpie's public path instead (the same sampler, compiled again in every process).
``pyproject.toml`` caps nutpie, PyTensor and numba at the releases checked here
(:data:`TESTED`).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import import_module
from importlib.metadata import version
from types import SimpleNamespace
from typing import Any

__all__ = [
    "TESTED",
    "InternalsChanged",
    "address_to_pointer",
    "check",
    "compile_cached_source",
    "make_functions_patched",
    "numba_entry_point",
    "optimisation_level",
    "problems",
    "source_cache_key",
    "with_numba_entry_point",
]

TESTED: dict[str, str] = {"nutpie": "0.16", "pytensor": "2.38", "numba": "0.65"}
"""The release series whose internals this module was checked against (``pyproject.toml``
allows no later ones)."""

_MAKE_FUNCTIONS_PARAMETERS = (
    "model", "mode", "compute_grad", "join_expanded", "pymc_initial_point_fn", "var_names",
)
_MAKE_FUNCTIONS_VALUES = 6
"""``(n_dim, n_expanded, logp_fn, expand_fn, initial_point_fn, shape_info)``."""


class InternalsChanged(RuntimeError):
    """A private name this package reads is missing or no longer has the expected form."""


def _versions() -> str:
    return ", ".join(f"{name} {version(name)}" for name in TESTED)


def _attribute(module: str, name: str) -> Any:
    """Return ``module.name``, or raise :class:`InternalsChanged` saying it is gone."""
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise InternalsChanged(f"{module}.{name} is gone ({error})") from None


def _nutpie_problems() -> list[str]:
    make = _attribute("nutpie.compile_pymc", "_make_functions")
    parameters = tuple(inspect.signature(make).parameters)
    if parameters != _MAKE_FUNCTIONS_PARAMETERS:
        return [f"nutpie.compile_pymc._make_functions takes {parameters}, not "
                f"{_MAKE_FUNCTIONS_PARAMETERS}"]
    return []


def _pytensor_problems() -> list[str]:
    found = []
    cached = _attribute("pytensor.link.numba.cache", "CACHED_SRC_FUNCTIONS")
    if not callable(getattr(cached, "get", None)):
        found.append("pytensor.link.numba.cache.CACHED_SRC_FUNCTIONS is not a mapping")
    compile_src = _attribute("pytensor.link.numba.cache", "compile_numba_function_src")
    if not {"global_env", "cache_key"} <= set(inspect.signature(compile_src).parameters):
        found.append("pytensor.link.numba.cache.compile_numba_function_src takes no "
                     "global_env or cache_key")
    return found


def _numba_problems() -> list[str]:
    _attribute("numba.core.config", "OPT")
    _attribute("numba.core.cgutils", "voidptr_t")
    lock = _attribute("numba.core.compiler_lock", "global_compiler_lock")
    if not (hasattr(lock, "__enter__") and hasattr(lock, "__exit__")):
        return ["numba.core.compiler_lock.global_compiler_lock is not a lock"]
    return []


def problems() -> list[str]:
    """Describe every private name that is missing or has changed form (empty: all fine).

    Returns
    -------
    list of str
        One line per difference.
    """
    found: list[str] = []
    for library in (_nutpie_problems, _pytensor_problems, _numba_problems):
        try:
            found.extend(library())
        except InternalsChanged as error:
            found.append(str(error))
    return found


def check() -> None:
    """Raise if any private name this package reads has changed (the canary).

    Raises
    ------
    InternalsChanged
        Naming each difference, the installed versions and what to update.
    """
    found = problems()
    if found:
        raise InternalsChanged(
            f"internals of nutpie/PyTensor/numba changed ({_versions()}; checked against "
            f"{TESTED}): " + "; ".join(found) + ". Update bayes_scot/fitting/internals.py "
            "and the version caps in pyproject.toml."
        )


@contextmanager
def make_functions_patched(
    wrap: Callable[[Any, int], Any], mode: Any
) -> Iterator[None]:
    """Within the block, nutpie compiles with ``mode`` and passes its log density to ``wrap``.

    ``nutpie.compile_pymc._make_functions`` is replaced by a function that calls it with
    the compilation ``mode`` (a PyTensor ``Mode`` in place of nutpie's ``"NUMBA"``) and
    replaces the compiled log density ``logp_fn`` of its result by ``wrap(logp_fn,
    n_dim)``. A result of another form than nutpie 0.16's is passed on unchanged. The
    original is restored on leaving the block. Not thread-safe: the caller holds a lock.
    """
    import nutpie.compile_pymc as nutpie_pymc

    original = nutpie_pymc._make_functions

    def make_functions(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("mode") == "NUMBA":
            kwargs["mode"] = mode
        result = original(*args, **kwargs)
        if not isinstance(result, tuple) or len(result) != _MAKE_FUNCTIONS_VALUES:
            return result
        n_dim, n_expanded, logp_fn, *rest = result
        return (n_dim, n_expanded, wrap(logp_fn, int(n_dim)), *rest)

    nutpie_pymc._make_functions = make_functions
    try:
        yield
    finally:
        nutpie_pymc._make_functions = original


def numba_entry_point(compiled: Any) -> Any | None:
    """Return the numba function behind a PyTensor function compiled in numba mode, if any."""
    return getattr(getattr(compiled, "vm", None), "jit_fn", None)


class _WithEntryPoint:
    """A compiled PyTensor function whose numba entry point is replaced."""

    def __init__(self, original: Any, jit_fn: Any) -> None:
        self._original = original
        self.vm = SimpleNamespace(jit_fn=jit_fn)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def with_numba_entry_point(compiled: Any, jit_fn: Any) -> Any:
    """``compiled`` as nutpie sees it, with its numba entry point replaced by ``jit_fn``."""
    return _WithEntryPoint(compiled, jit_fn)


def source_cache_key(jit_fn: Any) -> str | None:
    """PyTensor's on-disk cache key of a numba function it generated, if it has one."""
    try:
        cached = _attribute("pytensor.link.numba.cache", "CACHED_SRC_FUNCTIONS")
        py_func = getattr(jit_fn, "py_func", None)
        return None if py_func is None else cached.get(py_func)
    except (InternalsChanged, AttributeError, TypeError):
        return None


def compile_cached_source(
    source: str, name: str, global_env: dict[str, Any], cache_key: str
) -> Callable[..., Any]:
    """Compile Python ``source`` defining ``name`` through PyTensor's numba source cache."""
    compile_src = _attribute("pytensor.link.numba.cache", "compile_numba_function_src")
    return compile_src(source, name, global_env=global_env, cache_key=cache_key)


@contextmanager
def optimisation_level(level: int) -> Iterator[None]:
    """Numba compiles at LLVM ``level`` within the block, and only this thread's code.

    numba reads its optimisation level from a process-wide setting. The block holds
    numba's (re-entrant) compiler lock, so a compilation in any other thread waits until
    the level is restored: code compiled elsewhere in the process never sees it. A
    ``NUMBA_OPT`` environment variable set by the user wins.
    """
    from numba.core import config
    from numba.core.compiler_lock import global_compiler_lock

    with global_compiler_lock:
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
def address_to_pointer() -> Any:
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
