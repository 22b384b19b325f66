"""The ``bayes-scot`` command line.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds its
parser and sets ``func`` to a callable taking the parsed arguments and returning an exit
code. Every :class:`~bayes_scot.errors.EvidenceError` becomes one line on standard error
and exit code 2; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

from bayes_scot import __version__
from bayes_scot.errors import EvidenceError

__all__ = ["EXIT_BAD_INPUT", "Subparsers", "build_parser", "console", "main",
           "redeliver_interrupts"]

Subparsers = argparse._SubParsersAction
"""The object each subcommand module's ``register(subparsers)`` receives: the result of
:meth:`argparse.ArgumentParser.add_subparsers`. ``register`` adds the subcommand's parser,
sets ``func`` on it and returns it."""

EXIT_BAD_INPUT = 2
"""Exit code for bad input (an invalid trial file, spec or curve), as for usage errors."""

#: Subcommand modules, in the order ``--help`` lists them.
SUBCOMMANDS: tuple[str, ...] = (
    "report", "validate", "effect", "reconstruct", "calibrate", "oc",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available subcommand."""
    from bayes_scot.cli.arguments import OneLineParser

    parser = OneLineParser(
        prog="bayes-scot",
        description=(
            "Bayesian reanalysis of randomised trials from published arm-level data. "
            "Run 'bayes-scot report' for the default SCOT reanalysis."
        ),
    )
    parser.add_argument("--version", action="version", version=f"bayes-scot {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"bayes_scot.cli.{name}")
        except ModuleNotFoundError as err:  # a subcommand whose module is not installed
            if err.name != f"bayes_scot.cli.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


REDELIVERY_DELAY = 0.05
"""Seconds after a lost Ctrl-C at which :func:`redeliver_interrupts` raises it again."""


@contextlib.contextmanager
def redeliver_interrupts() -> Iterator[None]:
    """Deliver again a Ctrl-C that Python would lose, while the block runs.

    A :class:`KeyboardInterrupt` raised while a finaliser runs (a ``__del__`` method, a
    weak-reference callback: the libraries a report uses run many) cannot propagate:
    Python reports it as "unraisable" and goes on, so the command would finish and
    write its report as if never interrupted. While the block runs, such an interrupt
    is raised again in the main thread (:func:`_thread.interrupt_main`, from another
    thread :data:`REDELIVERY_DELAY` seconds later, once the finaliser has returned), where
    the command stops as after any Ctrl-C: exit status 130, nothing half-written. One
    still pending when the block ends is raised there.
    """
    import _thread
    import threading

    previous = sys.unraisablehook
    timers: list[threading.Timer] = []

    def hook(unraisable: Any) -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type,
                                                          KeyboardInterrupt):
            timer = threading.Timer(REDELIVERY_DELAY, _thread.interrupt_main)
            timer.daemon = True
            timers.append(timer)
            timer.start()
            return
        previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous
        pending = [t for t in timers if t.is_alive()]
        for timer in pending:
            timer.cancel()
        if pending:
            raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on bad input or usage (also a file the system refuses to read or
        write, such as a full disk), 1 on an unexpected failure (a bug: one line, or the
        traceback when the environment variable ``BAYES_SCOT_TRACEBACK`` is set).
    """
    from bayes_scot.cli.arguments import print_error, terminate_cleanly

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        with terminate_cleanly(), redeliver_interrupts():
            return int(args.func(args))
    except EvidenceError as err:
        print_error(args.command, err)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader closed the pipe (e.g. `bayes-scot effect ... | head`): stop quietly,
        # and point stdout at devnull so the interpreter's final flush does not complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as err:
        where = f" ({err.filename!r})" if err.filename else ""
        print_error(args.command, f"{err.strerror or err}{where}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"bayes-scot {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug: still one line unless the traceback is asked for
        if os.environ.get("BAYES_SCOT_TRACEBACK"):
            raise
        print_error(args.command, f"internal error, please report it: "
                                  f"{type(err).__name__}: {err}")
        return 1


def console() -> NoReturn:
    """Run the command line and end the process with its exit code: ``bayes-scot``.

    The same as ``sys.exit(main())``, except that whatever the command left in memory is
    first frozen out of the cyclic garbage collector (:func:`gc.freeze`). The
    interpreter's last collections would otherwise traverse every object a report leaves
    (hundreds of thousands: models, graphs, draws), which took more than a second of the
    command's time after its last line; the memory goes back to the system with the
    process either way. Output files are closed before :func:`main` returns, and the
    standard streams are flushed by the interpreter as usual.
    """
    status = main()
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":  # pragma: no cover
    console()
