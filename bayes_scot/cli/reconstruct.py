"""``bayes-scot reconstruct``: patient-level data from a digitised Kaplan-Meier curve.

Reads the curve (a digitiser's CSV of time, survival) and the risk table (CSV of time,
number at risk), runs the Guyot et al. (2012) reconstruction, writes one row per patient
(``time,event``) and prints the accuracy on one line.

Examples
--------
::

    bayes-scot reconstruct curve.csv risk.csv --total-events 22 --out ipd.csv
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from bayes_scot.cli import Subparsers
from bayes_scot.cli.arguments import finite_number, output_file, print_warning, whole_number
from bayes_scot.errors import EvidenceError, one_line
from bayes_scot.files import check_output_file
from bayes_scot.stats.reconstruction import (
    read_curve_csv,
    read_risk_table_csv,
    reconstruct_curve,
)

__all__ = ["check_not_input", "register", "run", "tolerance", "write_atomically"]


def tolerance(text: str) -> float:
    """Parse a noise tolerance on the survival scale: a number in [0, 0.5)."""
    value = finite_number(text)
    if not 0.0 <= value < 0.5:
        raise argparse.ArgumentTypeError(
            f"must be in [0, 0.5) on the survival scale, not {text!r}"
        )
    return value


def register(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``reconstruct`` subcommand (see :data:`bayes_scot.cli.Subparsers`)."""
    parser = subparsers.add_parser(
        "reconstruct",
        help="reconstruct patient-level data from a digitised Kaplan-Meier curve",
        description=(
            "Reconstruct pseudo individual patient data (Guyot et al. 2012) from a "
            "digitised Kaplan-Meier curve and its risk table. CURVE is a CSV of time, "
            "survival (proportions or percentages; unsorted points, duplicated times and "
            "small non-monotone noise are cleaned and reported); RISK is a CSV of time, "
            "number at risk, starting at time 0. Writes OUT with columns time,event and "
            "prints the accuracy on one line."
        ),
    )
    parser.add_argument("curve", metavar="CURVE.csv", help="digitised curve: time, survival")
    parser.add_argument("risk", metavar="RISK.csv", help="risk table: time, number at risk")
    parser.add_argument("--total-events", type=whole_number(0), dest="total_events",
                        help="total number of events, when reported")
    parser.add_argument("--out", required=True, type=output_file, metavar="IPD.csv",
                        help="where to write the patient-level data")
    parser.add_argument("--scale", choices=("auto", "proportion", "percent"), default="auto",
                        help="scale of the survival column (default: auto-detect)")
    parser.add_argument("--noise-tolerance", type=tolerance, default=0.03,
                        dest="noise_tolerance",
                        help="largest digitisation error cleaned silently, on the survival "
                             "scale (default 0.03)")
    parser.add_argument("--verbose", action="store_true",
                        help="also list each cleaning step and adjustment")
    parser.set_defaults(func=run)
    return parser


def write_atomically(text: str, path: str | os.PathLike[str]) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new, never half.

    Parameters
    ----------
    text : str
        File contents.
    path : str or path-like
        Destination: a regular file (replaced) or a new path; missing folders above it
        are created.

    Raises
    ------
    EvidenceError
        If ``path`` is a folder, device or FIFO, or cannot be written
        (:func:`~bayes_scot.files.check_output_file`). A device node is never replaced.
    """
    target = check_output_file(path, what="patient-level data file")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        check_output_file(path, what="patient-level data file")  # still not a device
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file: the same inode when both exist, else one path."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return Path(a).resolve() == Path(b).resolve()


def check_not_input(out: str | os.PathLike[str], inputs: dict[str, str]) -> None:
    """Refuse an output file that is one of the inputs, before anything is read or written.

    Parameters
    ----------
    out : str or path-like
        The file to write.
    inputs : dict of str to str
        What each input is (``"curve"``) to its path.

    Raises
    ------
    EvidenceError
        Naming ``out`` and the input it would overwrite.
    """
    for what, path in inputs.items():
        if _same_file(out, path):
            raise EvidenceError(f"is the {what} file {path!r}; write the patient-level data "
                                "to another file so that the input is kept", field="out")


def run(args: argparse.Namespace) -> int:
    """Reconstruct, write ``args.out`` and print the accuracy line; return 0."""
    check_not_input(args.out, {"curve": args.curve, "risk table": args.risk})
    times, survival = read_curve_csv(args.curve)
    risk_times, n_risk = read_risk_table_csv(args.risk)
    try:
        result = reconstruct_curve(times, survival, risk_times, n_risk, args.total_events,
                                   scale=args.scale, noise_tolerance=args.noise_tolerance)
    except EvidenceError as err:
        if err.field in ("risk_times", "n_risk"):
            raise err.located(file=str(args.risk)) from None
        if err.field == "total_events":
            raise
        raise err.located(file=str(args.curve)) from None
    write_atomically(result.ipd.to_csv(index=False, lineterminator="\n"), args.out)
    print(one_line(f"{args.out}: {result.summary()}"))
    if result.quality_warning:
        print_warning("reconstruct", f"{args.curve}: {result.quality_warning}")
    if args.verbose:
        for line in (*result.cleaning, *result.adjustments):
            print(f"  {line}")
    return 0
