"""Argument types and the parser shared by every subcommand.

Each function here is an argparse ``type``: it turns the text of one option into a
checked value or raises :class:`argparse.ArgumentTypeError`, which the parser prints as
one line before exiting with code 2. Options that name a file or folder to write are
checked here too (:mod:`bayes_scot.files`), so a bad ``--out`` stops the command before
any input is read or any model is built.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

from bayes_scot.conventions import MAX_SEED
from bayes_scot.errors import EvidenceError, one_line
from bayes_scot.files import check_output_file, check_output_folder
from bayes_scot.fitting.settings import MAX_CHAINS, MAX_ITERATIONS

__all__ = [
    "OneLineParser",
    "add_spec_run_options",
    "chains",
    "finite_number",
    "iterations",
    "names",
    "output_file",
    "output_folder",
    "positive_number",
    "print_error",
    "print_warning",
    "seed",
    "terminate_cleanly",
    "whole_number",
]


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on standard error, exit 2.

    argparse prints the usage summary and the error on two lines; a script reading the
    error line, or a terminal shown a value with control characters in it, gets one
    escaped line instead (``--help`` still prints the usage).
    """

    def error(self, message: str) -> NoReturn:  # noqa: D102
        self.exit(2, one_line(f"{self.prog}: error: {message} (see --help)") + "\n")


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """Return an argparse ``type`` accepting whole numbers in ``[minimum, maximum]``.

    Parameters
    ----------
    minimum : int
    maximum : int, optional

    Returns
    -------
    callable
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        if maximum is not None and value > maximum:
            shown = text if len(text) <= 30 else f"a number of {len(text)} digits"
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,}, not {shown}")
        return value

    return parse


seed = whole_number(0, MAX_SEED)
"""A seed in ``[0, 2**32 - 1]`` (:data:`~bayes_scot.conventions.MAX_SEED`)."""

chains = whole_number(1, MAX_CHAINS)
"""A number of chains in ``[1, MAX_CHAINS]``."""

iterations = whole_number(1, MAX_ITERATIONS)
"""Draws or tuning iterations per chain in ``[1, MAX_ITERATIONS]``."""


def names(text: str) -> list[str]:
    """Parse comma-separated names (``reference,skeptical_moderate``); at least one."""
    parsed = [n.strip() for n in text.split(",") if n.strip()]
    if not parsed:
        raise argparse.ArgumentTypeError("give at least one name, separated by commas")
    return parsed


def finite_number(text: str) -> float:
    """Parse a finite number (``nan`` and ``inf`` are refused in plain words)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(
            f"must be a finite number, not {text!r}" if not math.isnan(value) else
            f"{text!r} is not a number (NaN); give a finite number"
        )
    return value


def positive_number(text: str) -> float:
    """Parse a finite number above 0."""
    value = finite_number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text!r}")
    return value


def _checked(check: Callable[..., Path]) -> Callable[[str], Path]:
    def parse(text: str) -> Path:
        try:
            check(text)
        except EvidenceError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        return Path(text)

    return parse


output_file = _checked(check_output_file)
"""A file to write: a regular file or a new path in a writable folder."""

output_folder = _checked(check_output_folder)
"""A folder to write: a folder or a new path under a writable folder."""


def add_spec_run_options(parser: argparse.ArgumentParser, *, out_help: str) -> None:
    """Add the options of every command that runs a specification into a folder.

    ``SPEC`` (positional, optional), ``--out``, ``--draws``, ``--tune``, ``--seed`` and
    ``--quiet``: ``report``, ``calibrate`` and ``oc`` read them alike.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    out_help : str
        What the command writes into ``--out``.
    """
    parser.add_argument("spec", nargs="?", default=None, metavar="SPEC",
                        help="specification name or TOML path (default: scot_itt)")
    parser.add_argument("--out", "-o", required=True, type=output_folder, metavar="DIR",
                        help=out_help)
    parser.add_argument("--draws", type=iterations, metavar="N",
                        help="posterior draws per chain (default: the specification's)")
    parser.add_argument("--tune", type=iterations, metavar="N",
                        help="tuning iterations per chain (default: the specification's)")
    parser.add_argument("--seed", type=seed, metavar="N",
                        help="random seed (default: the specification's)")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="print nothing but errors")


def print_error(command: str | None, message: object) -> None:
    """Print ``bayes-scot <command>: error: <message>`` as one escaped line."""
    prefix = f"bayes-scot {command}" if command else "bayes-scot"
    print(one_line(f"{prefix}: error: {message}"), file=sys.stderr)


def print_warning(command: str, message: object) -> None:
    """Print ``bayes-scot <command>: warning: <message>`` as one escaped line."""
    print(one_line(f"bayes-scot {command}: warning: {message}"), file=sys.stderr)


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def terminate_cleanly() -> Iterator[None]:
    """Turn SIGTERM into :class:`SystemExit` while the block runs, then restore it.

    Python's default SIGTERM action ends the process at once, skipping the clean-up of a
    report folder being written; as an exception, the writer removes its temporary folder
    and leaves the previous report as it was. (SIGKILL cannot be caught: the next run to
    the same folder removes what it leaves, see
    :func:`bayes_scot.report.writer.clean_leftovers`.)
    """
    try:
        previous = signal.signal(signal.SIGTERM, _terminated)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
