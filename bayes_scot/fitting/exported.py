"""Traced JAX programs kept on disk, so that a new process does not trace them again.

JAX's persistent compilation cache keeps XLA's compiled output, but every process traces
its Python functions again before it can look them up; for the BlackJAX sampler
(:mod:`bayes_scot.fitting.backends.blackjax`) that tracing takes seconds per program.
:func:`program` exports a traced program once (:func:`jax.export.export`: StableHLO at
fixed input shapes and shardings), writes it beside JAX's cache, and in a later process
reads it back and compiles it, which JAX's persistent cache then answers.

A program is stored under a key (:func:`program_key`) that changes with everything that
could change the program: the model's log density, the sampler's settings, the
shapes of the batch and the devices, the versions of JAX, jaxlib, BlackJAX, PyTensor,
PyMC and this package, and the source of the modules that build the sampler. The log
density enters as the digest of its PyTensor graph (:func:`graph_digest`: operations,
wiring, types and constant data), which is known before the graph is translated to JAX,
so a process that finds its programs in the store never translates the model; a graph
with a part that has no stable description enters instead as the StableHLO text of its
translation (:func:`log_density_digest`). An
unreadable or corrupt entry is traced again and replaced, with a warning. Files are
written to a temporary name and renamed, so a reader never sees half of one. The store
keeps at most :data:`MAX_STORE_BYTES`: after each write, the programs used longest ago
are removed (:func:`prune`).

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

import contextlib
import hashlib
import importlib.metadata
import os
import tempfile
import types
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from bayes_scot import _compat
from bayes_scot.fitting.jax_runtime import jax_runtime

__all__ = [
    "ENVIRONMENT_VARIABLE", "MAX_STORE_BYTES", "folder", "graph_digest", "log_density_digest",
    "program", "program_key", "prune", "stored",
]

ENVIRONMENT_VARIABLE = "BAYES_SCOT_JAX_EXPORT"
"""Set to ``0`` (or ``false``, ``no``, ``off``) to neither read nor write stored programs."""

_VERSIONED = ("jax", "jaxlib", "blackjax", "pytensor", "pymc", "bayes_scot")
"""Distributions whose versions enter every key."""

_SUFFIX = ".jaxexport"

MAX_STORE_BYTES = 256 * 2**20
"""Largest size of the store: past it, the programs used longest ago are removed."""


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


class _Unstable(Exception):
    """Raised for a part of a graph whose description could differ between processes."""


_PRIMITIVES = (type(None), bool, int, float, complex, str, bytes)


def _describe(value: Any, depth: int = 0) -> str:
    """Describe ``value`` by a text that is the same in every process.

    Operations are described by their class and parameters (``__props__``, which define
    an operation's equality in PyTensor, or else all their attributes); mappings by their
    items; functions and classes by their qualified names; arrays by dtype, shape and
    bytes. Anything else, such as a closure or an object whose text holds a memory
    address, raises :class:`_Unstable`.
    """
    import numpy as np

    if depth > 24:
        raise _Unstable("nested too deeply")
    if isinstance(value, _PRIMITIVES):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, (tuple, list)):
        return "(" + ",".join(_describe(v, depth + 1) for v in value) + ")"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_describe(k, depth + 1)}={_describe(v, depth + 1)}"
                              for k, v in sorted(value.items(), key=lambda kv: repr(kv[0]))) + "}"
    if isinstance(value, slice):
        return _describe(("slice", value.start, value.stop, value.step), depth + 1)
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        return (f"array:{array.dtype.str}:{array.shape}:"
                f"{hashlib.sha256(array.tobytes()).hexdigest()}")
    if isinstance(value, (np.generic, np.dtype)):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, (type, types.FunctionType, types.BuiltinFunctionType)):
        name = f"{getattr(value, '__module__', '?')}.{value.__qualname__}"
        if "<" in name:  # a lambda or a closure: what it computes is not in its name
            raise _Unstable(name)
        return name
    module = type(value).__module__.split(".")[0]
    if module not in {"pytensor", "pymc"}:
        raise _Unstable(type(value).__qualname__)
    props = getattr(type(value), "__props__", None)
    if props is not None:
        fields = {name: getattr(value, name) for name in props}
    else:
        fields = {k: v for k, v in vars(value).items() if not k.startswith("__")}
    return f"{_describe(type(value), depth + 1)}{_describe(fields, depth + 1)}"


def graph_digest(inputs: Sequence[Any], outputs: Sequence[Any]) -> str | None:
    """SHA-256 of a PyTensor graph: its operations, their wiring, its constants and types.

    Two graphs with the same digest compute the same function of their inputs, so the
    digest can key what is derived from a graph (its JAX translation, a sampler traced
    from it) before that work is done. Variable names and stack traces do not enter it.

    Parameters
    ----------
    inputs, outputs : sequence of TensorVariable
        The graph's inputs (in order) and outputs. Every other leaf must be a constant.

    Returns
    -------
    str or None
        64 hexadecimal digits; ``None`` if some operation, constant or leaf has no
        description that is certain to be the same in another process (the caller then
        keys on what the graph compiles to instead).
    """
    import pytensor
    from pytensor.graph.basic import Constant

    index: dict[Any, int] = {v: i for i, v in enumerate(inputs)}
    lines = [f"input {i} {v.type!r}" for i, v in enumerate(inputs)]
    lines += [f"config {name} {getattr(pytensor.config, name)!r}"
              for name in ("floatX", "optimizer_excluding", "optimizer_including")]

    def variable(v: Any) -> int:
        if v not in index:
            if not isinstance(v, Constant):
                raise _Unstable(f"leaf {v} is neither an input nor a constant")
            lines.append(f"constant {len(index)} {v.type!r} {_describe(v.data)}")
            index[v] = len(index)
        return index[v]

    try:
        for node in _compat.graph_apply_nodes(inputs, outputs):
            wiring = [variable(v) for v in node.inputs]
            lines.append(f"apply {_describe(node.op)} {wiring}")
            for out in node.outputs:
                lines.append(f"output {len(index)} {out.type!r}")
                index[out] = len(index)
        lines.append(f"result {[variable(v) for v in outputs]}")
    except _Unstable:
        return None
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


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
        compiled = _compile(_compat.jax_deserialise(blob), shapes, sharding)
    except ImportError:  # no flatbuffers: nothing can be read
        return None
    except Exception as error:  # any unusable entry is traced again
        warnings.warn(
            f"ignored unusable stored JAX program {path} ({type(error).__name__}: "
            f"{str(error)[:200]}); tracing it again", RuntimeWarning, stacklevel=3,
        )
        return None
    with contextlib.suppress(OSError):  # its time of last use, for pruning
        os.utime(path)
    return compiled


def prune(store: Path, max_bytes: int | None = None) -> list[Path]:
    """Remove the programs used longest ago until the store is at most ``max_bytes``.

    Every change of a key (a new version of a library, a new model or batch size) adds
    an entry, so without pruning the store would only grow. An entry's modification time
    is its last use (:func:`program` sets it on every read).

    Parameters
    ----------
    store : Path
        The store's folder.
    max_bytes : int, optional
        Default :data:`MAX_STORE_BYTES`.

    Returns
    -------
    list of Path
        The entries removed, oldest first.
    """
    limit = MAX_STORE_BYTES if max_bytes is None else max_bytes
    entries = []
    for path in store.glob(f"*{_SUFFIX}"):
        with contextlib.suppress(OSError):  # another process may remove it meanwhile
            info = path.stat()
            entries.append((info.st_mtime, info.st_size, path))
    total = sum(size for _, size, _ in entries)
    removed = []
    for _, size, path in sorted(entries):
        if total <= limit:
            break
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
        total -= size
    return removed


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


def stored(key: Callable[[], str]) -> bool:
    """Return whether the store holds the program of ``key`` (:func:`program_key`).

    ``False`` when the store is switched off: the program would be traced.
    """
    store = folder()
    return store is not None and (store / f"{key()}{_SUFFIX}").is_file()


def program(
    trace: Callable[[], Any], shapes: Sequence[Any], sharding: Any, key: Callable[[], str],
) -> Callable[..., Any]:
    """Return a compiled program, read from the store or traced, exported and stored.

    Parameters
    ----------
    trace : callable
        Returns the program, :func:`jax.jit` of a traceable function (with its
        shardings); called only when the program is not in the store, so that whatever
        the program needs only for tracing (a model's JAX translation) is not made.
    shapes : sequence of jax.ShapeDtypeStruct
        The arguments' shapes and dtypes; the program is compiled for these only.
    sharding : jax.sharding.Sharding or None
        The sharding of every argument and output (``None``: one device).
    key : callable
        Returns the program's key (:func:`program_key`); called only when the store is on.

    Returns
    -------
    callable
        The traced program itself when the store is switched off; otherwise the
        compiled program, which takes arguments of ``shapes`` only.
    """
    store = folder()
    if store is None:
        return trace()
    path = store / f"{key()}{_SUFFIX}"
    compiled = _read(path, shapes, sharding)
    if compiled is not None:
        return compiled
    traced = trace()
    jax_runtime()
    from jax import export

    exported = export.export(traced)(*shapes)
    blob = _compat.jax_serialise(exported)
    if blob is not None:
        _write(path, blob)
        prune(store)
    return _compile(exported, shapes, sharding)
