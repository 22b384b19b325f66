"""``bayes-scot validate PATH``: check a trial file and summarise it in one line.

Exit code 0 when the file is valid; an invalid file raises
:class:`~bayes_scot.errors.EvidenceError`, which the dispatcher prints as one line before
exiting with code 2.
"""

from __future__ import annotations

import argparse

from bayes_scot.cli import Subparsers
from bayes_scot.cli.arguments import print_warning
from bayes_scot.data import SHIPPED_TRIALS, load_trial
from bayes_scot.errors import one_line
from bayes_scot.evidence import Trial

__all__ = ["register", "run", "summary_line"]


def register(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``validate`` subcommand (see :data:`bayes_scot.cli.Subparsers`)."""
    parser = subparsers.add_parser(
        "validate",
        help="check a trial file and print a one-line summary",
        description=(
            "Check a trial file (or a shipped trial: "
            f"{', '.join(SHIPPED_TRIALS)}). Prints one summary line and exits 0 when the "
            "file is valid; prints one error line naming the file, entry and field and "
            "exits 2 when it is not."
        ),
    )
    parser.add_argument("path", metavar="PATH", help="trial file (.toml) or shipped trial name")
    parser.set_defaults(func=run)
    return parser


def summary_line(trial: Trial, *, label: str) -> str:
    """Return the one-line summary printed for a valid trial file.

    Parameters
    ----------
    trial : Trial
        The loaded trial (all populations).
    label : str
        How the user named it (path or trial name).

    Returns
    -------
    str
        E.g. ``"scot.toml: valid: trial 'scot' (hsct vs cyc), 41 entries, 5 populations:
        itt 36/39, ..."``.
    """
    populations = ", ".join(
        f"{p.name} " + "/".join(str(v) for v in p.n.values()) if p.n else p.name
        for p in trial.populations.values()
    )
    return (
        f"{label}: valid: trial '{trial.name}' ({' vs '.join(trial.arm_names)}), "
        f"{len(trial.entries)} {'entry' if len(trial.entries) == 1 else 'entries'}, "
        f"{len(trial.populations)} population{'' if len(trial.populations) == 1 else 's'}: "
        f"{populations}"
    )


def run(args: argparse.Namespace) -> int:
    """Validate ``args.path`` and print the summary line; return the exit code 0.

    Loading reconstructs the digitised curves as the survival model would and refuses
    one it cannot use (:func:`~bayes_scot.stats.reconstruction.check_curves`); a curve
    whose reconstruction reproduces it poorly gets a warning line on standard error
    (read from the reconstructions loading kept, not reconstructed again).
    """
    from bayes_scot.stats.reconstruction import check_curves

    trial = load_trial(args.path, population="all")
    reconstructions = check_curves(trial)
    print(one_line(summary_line(trial, label=str(args.path))))
    for entry, result in reconstructions.items():
        if result.quality_warning:
            print_warning("validate", f"{args.path}: entry {entry!r}: {result.quality_warning}")
    return 0
