"""Render a report's figures in this process and one helper process at once.

Rendering is almost all Python (text layout and glyphs), so threads cannot share it; a
second process can. The helper is a fresh interpreter (``python -c``, never a fork of
this process and never an import of the user's main module) that imports the plotting
modules while this process draws the first figures. Both take the next figure from one
queue, one at a time, until none is left; the slowest figures can be put first, so that
the last figures drawn are short ones and the two processes finish together (longest
first, Graham 1969). Each figure is drawn exactly once and the results come back in the
list's order.

The helper gets this process's ``sys.path`` and matplotlib settings, so it draws with the
same code and style, and its PNG bytes are those this process would write. A figure whose
drawing cannot be pickled is drawn here. If the helper cannot start, dies, or fails on a
figure in any other way than a figure's own :class:`ValueError` or :class:`KeyError`,
this process draws what it left, so that the report, or the error, is the one of a
serial run.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import pickle
import struct
import subprocess
import sys
import threading
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from typing import IO, Any

from bayes_scot.report.png import Outcome, render

__all__ = ["HELPER_MIN_FIGURES", "prestart_helper", "render_all", "serve"]

HELPER_MIN_FIGURES = 6
"""Fewest figures worth starting a helper for (it takes a second or two to import)."""

_PRESTARTED: list[subprocess.Popen[bytes]] = []
"""A helper started by :func:`prestart_helper` and not yet used (at most one)."""

_BOOT = ("import pickle, struct, sys; "
         "size, = struct.unpack('>Q', sys.stdin.buffer.read(8)); "
         "sys.path[:] = pickle.loads(sys.stdin.buffer.read(size)); "
         "from bayes_scot.report.parallel import serve; serve()")


def prestart_helper() -> None:
    """Start the helper process now, for the figures a report will draw later.

    The helper spends a second or two importing the plotting modules before it can draw;
    started while this process is still fitting (the command line starts it once the
    specification is read), that import runs on a core the fits leave idle, and the
    next :func:`render_all` that uses a helper takes this one. It gets this process's
    ``sys.path`` and matplotlib settings as they are now. Nothing happens on one core or
    when a helper is already waiting. A helper no report uses is ended when a
    :func:`render_all` draws without one, or at exit.
    """
    if _PRESTARTED or _cores() < 2:
        return
    process = _spawn()
    if process is None:
        return
    if not _greet(process):
        _end(process)
        return
    _PRESTARTED.append(process)


@atexit.register
def _end_prestarted() -> None:
    """End a prestarted helper that no report used (at exit, or when none is wanted)."""
    while _PRESTARTED:
        _end(_PRESTARTED.pop(), timeout=5)


def _spawn() -> subprocess.Popen[bytes] | None:
    """Start a helper interpreter, or return ``None`` when it cannot start."""
    try:
        return subprocess.Popen([sys.executable, "-c", _BOOT], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return None


def _greet(process: subprocess.Popen[bytes]) -> bool:
    """Send a new helper this process's ``sys.path`` and matplotlib settings."""
    import matplotlib as mpl

    if process.stdin is None:
        return False
    try:
        _send(process.stdin, pickle.dumps(list(sys.path)))
        _send(process.stdin, pickle.dumps(_settings(mpl.rcParams)))
    except OSError:
        return False
    return True


def _take_prestarted() -> subprocess.Popen[bytes] | None:
    """Return the helper :func:`prestart_helper` started, if it is still running."""
    while _PRESTARTED:
        process = _PRESTARTED.pop()
        if process.poll() is None:
            return process
        _end(process)
    return None


def _end(process: subprocess.Popen[bytes], timeout: float | None = 10) -> None:
    """Close a helper's pipes and wait ``timeout`` seconds for it, then kill it."""
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):  # a broken pipe to a helper that is gone
                stream.close()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def render_all(draws: Sequence[Callable[[], Any]], *, helper: bool | None = None,
               first: Sequence[int] = ()) -> list[Outcome]:
    """Render every figure, sharing them with a helper process when it is worth it.

    Parameters
    ----------
    draws : sequence of callable
        Each returns a :class:`matplotlib.figure.Figure`.
    helper : bool, optional
        Use a helper process; default: when this process may run on more than one core
        and at least :data:`HELPER_MIN_FIGURES` figures can be sent to it.
    first : sequence of int, optional
        Indices of figures to start before the others, in this order: the slowest, so
        that neither process is left drawing a long figure after the other has finished.

    Returns
    -------
    list of bytes or ValueError or KeyError
        One :func:`~bayes_scot.report.png.render` outcome per figure, in the order of
        ``draws``.

    References
    ----------
    .. [1] Graham RL. Bounds on multiprocessing timing anomalies. SIAM J Appl Math
       1969;17:416-29.
    """
    payloads: dict[int, bytes] = {}
    for index, draw in enumerate(draws):
        try:
            payloads[index] = pickle.dumps(draw, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # anything unpicklable is drawn here
            continue
    if helper is None:
        helper = _cores() > 1 and len(payloads) >= HELPER_MIN_FIGURES
    if not (helper and payloads):
        _end_prestarted()  # a prestarted helper would wait, unused, until exit
    outcomes: dict[int, Outcome] = {}
    ahead = list(dict.fromkeys(i for i in first if 0 <= i < len(draws)))
    rest = sorted(set(range(len(draws))).difference(ahead))
    pending = deque(ahead + rest)
    lock = threading.Lock()
    shared = _Helper(payloads, pending, lock, outcomes) if helper and payloads else None
    try:
        while True:
            with lock:
                if not pending:
                    break
                index = pending.popleft()
            outcomes[index] = render(draws[index])
    except BaseException:
        if shared is not None:
            shared.stop()
        raise
    if shared is not None:
        for index in shared.finish():  # what the helper took and did not bring back
            outcomes[index] = render(draws[index])
    return [outcomes[i] for i in range(len(draws))]


class _Helper:
    """The helper process and the thread that hands it the next figure it can draw."""

    def __init__(self, payloads: dict[int, bytes], pending: deque[int],
                 lock: threading.Lock, outcomes: dict[int, Outcome]) -> None:
        self.payloads, self.pending, self.lock, self.outcomes = payloads, pending, lock, outcomes
        self.taken: set[int] = set()
        self.process = _take_prestarted()
        self.greeted = self.process is not None  # a prestarted helper has its settings
        if self.process is None:
            self.process = _spawn()
        if self.process is None:
            return
        self.thread = threading.Thread(target=self._run, name="bayes-scot-figures",
                                       daemon=True)
        self.thread.start()

    def _run(self) -> None:
        process = self.process
        if process is None or process.stdin is None or process.stdout is None:
            return
        try:
            if not self.greeted and not _greet(process):
                return
            while True:
                message = _receive(process.stdout)  # None: ready; else (index, outcome)
                if message is not None:
                    index, ok, outcome = message
                    if ok:
                        self.outcomes[index] = outcome
                        self.taken.discard(index)
                with self.lock:
                    index = next((i for i in self.pending if i in self.payloads), None)
                    if index is not None:
                        self.pending.remove(index)
                        self.taken.add(index)
                if index is None:
                    _send(process.stdin, b"")
                    return
                _send(process.stdin, pickle.dumps(index) + self.payloads[index])
        except Exception:  # a dead or confused helper: its figures are drawn here
            return

    def finish(self) -> list[int]:
        """Wait for the helper; return the figures it took and did not render."""
        if self.process is None:
            return []
        self.thread.join()
        self._close(timeout=10)
        return sorted(self.taken)

    def stop(self) -> None:
        """End the helper now (this process is raising an error)."""
        if self.process is None:
            return
        self.process.kill()
        self.thread.join()
        self._close(timeout=None)

    def _close(self, timeout: float | None) -> None:
        if self.process is not None:
            _end(self.process, timeout)


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _settings(params: Any) -> dict[str, Any]:
    """Matplotlib settings to repeat in the helper (not the backend: it renders to PNG)."""
    return {k: v for k, v in params.items() if not k.startswith("backend")}


def _send(stream: IO[bytes], data: bytes) -> None:
    stream.write(struct.pack(">Q", len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError("the figure helper stopped")
    size, = struct.unpack(">Q", header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the figure helper stopped")
    return pickle.loads(data) if data else None


def serve() -> None:
    """Render each figure this helper is sent and send the outcome back.

    Reads from standard input and writes to a copy of standard output; anything else
    printed goes to standard error, so that it cannot corrupt the messages.
    """
    reader = sys.stdin.buffer
    writer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    import matplotlib as mpl

    mpl.use("Agg")
    size, = struct.unpack(">Q", reader.read(8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mpl.rcParams.update(pickle.loads(reader.read(size)))
    import bayes_scot.plots  # noqa: F401 - imported before asking for the first figure

    _send(writer, b"")
    while True:
        header = reader.read(8)
        if len(header) < 8:
            return
        size, = struct.unpack(">Q", header)
        if size == 0:
            return
        message = io.BytesIO(reader.read(size))
        index = pickle.load(message)
        try:
            data = pickle.dumps((index, True, render(pickle.load(message))),
                                protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # the caller draws it again and sees the error
            data = pickle.dumps((index, False, None))
        _send(writer, data)
