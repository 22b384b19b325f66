"""The thread that starts sampler batches, and the cancelling of launches not yet begun.

A batch's launch (checking its starting points, reading or tracing and compiling its
program, starting it on JAX's devices) runs on one launcher thread, so that the caller
builds the next model meanwhile: XLA compiles without holding Python's global lock. One
thread, not one per core: the first batch asked for is compiled first, with the cores to
itself, and samples while the next compiles, instead of every batch finishing late
together.

An analysis that stops early (an error, or an interrupt) calls :func:`cancel_pending`,
so that the launches it queued are not compiled before the process can exit. A launch
already running cannot be stopped halfway through a trace or a compilation; it asks
:func:`check` between its steps, which raises :class:`Cancelled` instead of starting its
batch, so the process exits once that step is done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["THREAD_NAME", "Cancelled", "cancel_pending", "check", "submit", "wanted"]

THREAD_NAME = "bayes-scot-batch"
"""Name (prefix) of the launcher thread."""

T = TypeVar("T")

_EXECUTOR: list[ThreadPoolExecutor] = []
_PENDING: set[Future[Any]] = set()
_LOCK = threading.Lock()
_CANCELS = [0]
"""How many times :func:`cancel_pending` has been called in this process."""
_RUNNING = threading.local()
"""The number of cancels before the launch on this thread was queued (``cancels``)."""


class Cancelled(RuntimeError):
    """Raised by a launch that :func:`cancel_pending` cancelled while it was running."""


def wanted() -> bool:
    """Return whether the launch running on this thread is still wanted.

    ``False`` once :func:`cancel_pending` has been called after the launch was queued;
    ``True`` on any other thread.
    """
    return getattr(_RUNNING, "cancels", _CANCELS[0]) == _CANCELS[0]


def check() -> None:
    """Raise :class:`Cancelled` if the launch running on this thread is no longer wanted.

    A launch calls this between its steps, so that a cancelled one stops before the next.
    """
    if not wanted():
        raise Cancelled("the launch was cancelled before this step")


def submit(launch: Callable[[], T]) -> Future[T]:
    """Queue ``launch`` on the launcher thread, after the launches queued before it.

    Parameters
    ----------
    launch : callable
        Takes no argument.

    Returns
    -------
    concurrent.futures.Future
        Its result, or the exception it raised, once it has run.
    """
    def run() -> T:
        _RUNNING.cancels = cancels
        try:
            return launch()
        finally:
            del _RUNNING.cancels

    with _LOCK:
        if not _EXECUTOR:
            _EXECUTOR.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME))
        cancels = _CANCELS[0]
        future = _EXECUTOR[0].submit(run)
        _PENDING.add(future)
    future.add_done_callback(_forget)
    return future


def _forget(future: Future[Any]) -> None:
    with _LOCK:
        _PENDING.discard(future)


def cancel_pending() -> int:
    """Cancel every queued launch that has not begun.

    Returns
    -------
    int
        How many were cancelled before they began. A launch already running finishes
        its current step, then raises :class:`Cancelled` (:func:`check`).
    """
    with _LOCK:
        _CANCELS[0] += 1
        pending = list(_PENDING)
    return sum(future.cancel() for future in pending)
