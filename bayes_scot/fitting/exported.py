"""Traced JAX programs kept on disk, so that a new process does not trace them again.

JAX's persistent compilation cache keeps XLA's compiled output, but every process traces
its Python functions again before it can look them up; for the BlackJAX sampler
(:mod:`bayes_scot.fitting.backends.blackjax`) that tracing takes seconds per program.
:func:`program` exports a traced program once (:func:`jax.export.export`: StableHLO at
fixed input shapes and shardings), writes it beside JAX's cache, and in a later process
reads it back and compiles it, which JAX's persistent cache then answers.

A program is stored under a key (:func:`program_key`) that changes with everything that
could change the program: the StableHLO text of the model's log density at the input
shapes (constant data folded into the graph included), the sampler's settings, the
shapes of the batch and the devices, the versions of JAX, jaxlib, BlackJAX, PyTensor,
PyMC and this package, and the source of the modules that build the sampler. An
unreadable or corrupt entry is traced again and replaced, with a warning. Files are
written to a temporary name and renamed, so a reader never sees half of one.

The store is the folder ``jax-exported`` under PyTensor's ``base_compiledir`` (beside
JAX's own cache, :func:`bayes_scot.fitting.jax_runtime.jax_runtime`). Setting the
environment variable ``BAYES_SCOT_JAX_EXPORT=0`` switches it off: every process then
traces its programs, as JAX alone does. Without the ``flatbuffers`` package (JAX's
serialisation format) programs are exported and called but not stored.

References
----------
.. [1] JAX documentation. Exporting and serializing staged-out computations.
   https://docs.jax.dev/en/latest/export/export.html
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from bayes_scot import _compat
from bayes_scot.fitting.jax_runtime import jax_runtime

__all__ = ["ENVIRONMENT_VARIABLE", "folder", "log_density_digest", "program", "program_key"]

ENVIRONMENT_VARIABLE = "BAYES_SCOT_JAX_EXPORT"
"""Set to ``0`` (or ``false``, ``no``, ``off``) to neither read nor write stored programs."""

_VERSIONED = ("jax", "jaxlib", "blackjax", "pytensor", "pymc", "bayes_scot")
"""Distributions whose versions enter every key."""

_SUFFIX = ".jaxexport"


def folder() -> Path | None:
    """Return the folder of stored programs, or ``None`` when storing is switched off."""
    if os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower() in {"0", "false", "no", "off"}:
        return None
    import pytensor

    return Path(pytensor.config.base_compiledir) / "jax-exported"


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def log_density_digest(logp: Callable[..., Any], shapes: Sequence[Any]) -> str:
    """SHA-256 of the StableHLO text of ``logp`` lowered at ``shapes``.

    The text holds every constant folded into the graph, in full, so two models that
    differ only in constant data have different digests.

    Parameters
    ----------
    logp : callable
        Traceable function of arrays.
    shapes : sequence of jax.ShapeDtypeStruct
        Its arguments' shapes and dtypes.

    Returns
    -------
    str
    """
    jax = jax_runtime()
    text = jax.jit(logp).lower(*shapes).as_text(debug_info=False)
    return hashlib.sha256(text.encode()).hexdigest()


def program_key(
    log_density: str, settings: Mapping[str, Any], shapes: Sequence[Any],
    sources: Sequence[ModuleType],
) -> str:
    """Key of a stored program: a SHA-256 over everything it was built from.

    Parameters
    ----------
    log_density : str
        :func:`log_density_digest` of the model's log density.
    settings : mapping
        Everything else the program was traced with (sampler settings, devices).
    shapes : sequence of jax.ShapeDtypeStruct
        The program's input shapes and dtypes.
    sources : sequence of module
        Modules whose source builds the program; their files' bytes enter the key.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    jax = jax_runtime()
    digest = hashlib.sha256()
    parts = [
        log_density,
        repr(sorted(settings.items())),
        repr([(tuple(s.shape), str(s.dtype)) for s in shapes]),
        repr([(name, _version(name)) for name in _VERSIONED]),
        repr((jax.default_backend(), jax.config.jax_default_prng_impl,
              jax.config.jax_enable_x64)),
    ]
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    for module in sources:
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()


def _compile(exported: Any, shapes: Sequence[Any], sharding: Any) -> Any:
    """Compile an exported program for ``shapes`` (JAX's persistent cache applies)."""
    jax = jax_runtime()
    if [(tuple(a.shape), a.dtype) for a in exported.in_avals] != [
        (tuple(s.shape), s.dtype) for s in jax.tree_util.tree_leaves(shapes)
    ]:
        raise ValueError("stored program has other input shapes")
    if sharding is None:
        call = jax.jit(exported.call)
    else:
        call = jax.jit(exported.call, in_shardings=sharding, out_shardings=sharding)
    return call.lower(*shapes).compile()


def _read(path: Path, shapes: Sequence[Any], sharding: Any) -> Any | None:
    """Compile the stored program at ``path``; ``None`` if there is none or it is unusable."""
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        warnings.warn(f"cannot read stored JAX program {path} ({error}); tracing it again",
                      RuntimeWarning, stacklevel=3)
        return None
    try:
        return _compile(_compat.jax_deserialise(blob), shapes, sharding)
    except ImportError:  # no flatbuffers: nothing can be read
        return None
    except Exception as error:  # any unusable entry is traced again
        warnings.warn(
            f"ignored unusable stored JAX program {path} ({type(error).__name__}: "
            f"{str(error)[:200]}); tracing it again", RuntimeWarning, stacklevel=3,
        )
        return None


def _write(path: Path, blob: bytes) -> None:
    """Write ``blob`` to ``path`` atomically; a store that cannot be written is skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(blob)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        warnings.warn(f"cannot store JAX program in {path.parent} ({error})",
                      RuntimeWarning, stacklevel=3)


def program(
    traced: Any, shapes: Sequence[Any], sharding: Any, key: Callable[[], str],
) -> Callable[..., Any]:
    """Return a compiled program, read from the store or traced, exported and stored.

    Parameters
    ----------
    traced : jax.stages.Wrapped
        The program, :func:`jax.jit` of a traceable function (with its shardings).
    shapes : sequence of jax.ShapeDtypeStruct
        The arguments' shapes and dtypes; the program is compiled for these only.
    sharding : jax.sharding.Sharding or None
        The sharding of every argument and output (``None``: one device).
    key : callable
        Returns the program's key (:func:`program_key`); called only when the store is on.

    Returns
    -------
    callable
        ``traced`` itself when the store is switched off; otherwise the compiled
        program, which takes arguments of ``shapes`` only.
    """
    store = folder()
    if store is None:
        return traced
    path = store / f"{key()}{_SUFFIX}"
    compiled = _read(path, shapes, sharding)
    if compiled is not None:
        return compiled
    jax_runtime()
    from jax import export

    exported = export.export(traced)(*shapes)
    blob = _compat.jax_serialise(exported)
    if blob is not None:
        _write(path, blob)
    return _compile(exported, shapes, sharding)
