"""Read a digitiser's CSV export: a curve (time, survival) or a risk table (time, n at risk).

Digitisers (WebPlotDigitizer, Engauge, DigitizeIt) export two columns per curve with a
comma, semicolon (with decimal commas), tab or space between them, sometimes with a
header line. :func:`read_curve_csv` and :func:`read_risk_table_csv` read either, through
:func:`bayes_scot.files.read_input` (a bounded read of a regular file), and raise
:class:`~bayes_scot.errors.EvidenceError` naming the file and the line.
"""

from __future__ import annotations

import csv
import io
from os import PathLike

import numpy as np

from bayes_scot.errors import EvidenceError
from bayes_scot.files import read_input

__all__ = ["MAX_AT_RISK", "read_curve_csv", "read_risk_table_csv"]

MAX_AT_RISK = 10_000_000
"""Largest number at risk a risk table may give: above the size of any randomised trial
(the largest screening and vaccine trials randomised a few hundred thousand), and small
enough that the reconstruction, which makes one row per patient, ends in seconds (a
table of 100,000,000 takes more than half a minute). Checked before the numbers are
converted to integers, so an astronomic value is refused in words."""


def _rows(path: str | PathLike[str], what: str) -> tuple[list[list[str]], bool]:
    """Return the file's rows of cells (no comments or blank lines) and its decimal comma."""
    file = str(path)
    try:
        text = read_input(path, what=f"{what} file").decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EvidenceError(f"the {what} file is not UTF-8 text", file=file) from None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise EvidenceError(f"the {what} file is empty", file=file)
    sample = "\n".join(lines[:20])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t ").delimiter
    except csv.Error:
        delimiter = ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter,
                           skipinitialspace=True))
    decimal_comma = delimiter in ";\t" and any("," in c for r in rows for c in r)
    return rows, decimal_comma


def _read_two_columns(path: str | PathLike[str], what: str) -> np.ndarray:
    file = str(path)
    rows, decimal_comma = _rows(path, what)

    def parse(cell: str) -> float:
        cell = cell.strip()
        if decimal_comma:
            cell = cell.replace(",", ".")
        return float(cell)

    values = []
    for number, row in enumerate(rows, start=1):
        cells = [c for c in row if c.strip()]
        if len(cells) != 2:
            second = "survival" if what == "curve" else "number at risk"
            raise EvidenceError(f"line {number} has {len(cells)} column(s); expected 2 "
                                f"(time and {second})", file=file)
        try:
            values.append((parse(cells[0]), parse(cells[1])))
        except ValueError:
            if number == 1 and not values:
                continue  # a header row
            raise EvidenceError(f"line {number}: {cells[0]!r}, {cells[1]!r} are not numbers",
                                file=file) from None
    if not values:
        raise EvidenceError(f"the {what} file has a header but no rows", file=file)
    array = np.array(values, dtype=float)
    if not np.all(np.isfinite(array)):
        raise EvidenceError(f"the {what} file contains non-finite numbers", file=file)
    return array


def read_curve_csv(path: str | PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read a digitiser's CSV export of a curve: two columns, time and survival.

    Parameters
    ----------
    path : str or path-like
        A text file with one point per line, ``x, y``; comma, semicolon (with decimal
        commas), tab or space separated; an optional header line; lines starting with
        ``#`` are ignored. A line with more or fewer than two values is an error.

    Returns
    -------
    times, survival : numpy.ndarray
        As read (unsorted, percentages kept): cleaning happens in the reconstruction.
    """
    array = _read_two_columns(path, "curve")
    return array[:, 0], array[:, 1]


def read_risk_table_csv(path: str | PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read a risk table from CSV: two columns, time and number at risk.

    Parameters
    ----------
    path : str or path-like
        Same format as :func:`read_curve_csv`.

    Returns
    -------
    times, n_risk : numpy.ndarray
    """
    array = _read_two_columns(path, "risk table")
    n = array[:, 1]
    if np.any(n != np.round(n)):
        raise EvidenceError("numbers at risk must be whole numbers", file=str(path),
                            field="n_risk")
    outside = n[(n < 0) | (n > MAX_AT_RISK)]
    if outside.size:
        raise EvidenceError(f"numbers at risk must be from 0 to {MAX_AT_RISK:,}, not "
                            f"{outside[0]:g}", file=str(path), field="n_risk")
    return array[:, 0], n.astype(int)
