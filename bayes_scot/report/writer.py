"""Write a report folder atomically: all of it, or nothing.

The folder is assembled in a temporary directory beside the target and renamed into place
at the end, so a reader never sees half a report: an interruption or an error leaves the
previous report (if any) untouched and no temporary directory behind.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from bayes_scot.errors import EvidenceError
from bayes_scot.files import check_output_folder, read_input
from bayes_scot.report.figures import draw_figures
from bayes_scot.report.render import context, render_html, render_markdown
from bayes_scot.report.summary import summary

__all__ = ["REPORT_FILES", "check_target", "clean_leftovers", "write_report"]

REPORT_FILES: tuple[str, ...] = ("index.html", "report.md", "summary.json", "figures")
"""What a report folder holds: the HTML page, the Markdown, the JSON summary and the
folder of PNG figures."""


def check_target(out: Path) -> None:
    """Check that ``out`` can receive a report: absent, empty, or an earlier report.

    Parameters
    ----------
    out : pathlib.Path

    Raises
    ------
    EvidenceError
        If ``out`` is a file, device or FIFO, lies under a file, sits in a folder that is
        not writable (:func:`~bayes_scot.files.check_output_folder`), or is a folder
        holding anything but an earlier report.
    """
    check_output_folder(out, what="report folder")
    if not out.exists():
        return
    entries = {p.name for p in out.iterdir()}
    if not entries:
        return
    previous = out / "summary.json"
    try:
        is_report = "schema_version" in json.loads(read_input(previous, what="summary"))
    except (ValueError, TypeError):  # EvidenceError is a ValueError
        is_report = False
    if not is_report or not entries <= set(REPORT_FILES):
        raise EvidenceError(
            "exists and is not a bayes-scot report folder; choose a new or empty folder",
            file=str(out),
        )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def write_report(reanalysis: Any, out_dir: str | os.PathLike[str], *,
                 figures: bool = True) -> Path:
    """Write a reanalysis's report to ``out_dir``, atomically.

    Parameters
    ----------
    reanalysis : Reanalysis
        The results to report.
    out_dir : str or path-like
        The report folder. It is created (with its parents); an earlier bayes-scot
        report there is replaced; any other existing content is refused.
    figures : bool, default True
        Draw the figures (:mod:`bayes_scot.plots`).

    Returns
    -------
    pathlib.Path
        The report folder, holding :data:`REPORT_FILES`: ``index.html`` (self-contained,
        figures embedded as base64 PNG, every user-supplied text escaped),
        ``report.md``, ``summary.json`` (schema in ``docs/report-schema.md``) and
        ``figures/*.png``.

    Raises
    ------
    EvidenceError
        If ``out_dir`` is a file, or a folder that is not an earlier report.

    Notes
    -----
    Everything is written into a temporary folder next to ``out_dir`` and renamed into
    place at the end. On any error the temporary folder is removed and ``out_dir`` is
    left as it was. A run killed outright (SIGKILL, power loss) cannot clean up: the next
    run to the same folder removes what it left (:func:`clean_leftovers`).
    """
    out = Path(out_dir).expanduser().absolute()
    check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(out)
    staging = Path(tempfile.mkdtemp(prefix=f"{_hidden_prefix(out)}{os.getpid()}.",
                                    suffix=".partial", dir=out.parent))
    try:
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a report is not
        drawn, notes = draw_figures(reanalysis) if figures else ([], ["figures not drawn"])
        figure_dir = staging / "figures"
        figure_dir.mkdir()
        for figure in drawn:
            (staging / figure.file).write_bytes(figure.png)
        ctx = context(reanalysis, figures=drawn, notes=notes)
        document = summary(
            reanalysis,
            figures=[{"name": f.name, "file": f.file, "title": f.title} for f in drawn],
            notes=notes,
        )
        _write(staging / "summary.json",
               json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
        _write(staging / "report.md", render_markdown(ctx))
        _write(staging / "index.html", render_html(ctx))
        _replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _hidden_prefix(out: Path) -> str:
    return f".{out.name}."


def _owner_alive(name: str, prefix: str) -> bool:
    """Whether the process whose id follows ``prefix`` in ``name`` is still running."""
    pid_text = name[len(prefix):].split(".", 1)[0]
    if not pid_text.isdigit():
        return False  # not written by this version: no owner to wait for
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or an id beyond the system's): leave it
    return True


def clean_leftovers(out: Path) -> list[Path]:
    """Remove what killed runs left beside ``out``; restore a report caught mid-replace.

    A report is assembled in ``.<name>.<pid>.<random>.partial`` and an earlier report is
    moved to ``.<name>.<pid>.<random>.old`` for the instant of the swap. A process killed
    with SIGKILL leaves these behind. Folders whose process no longer runs are removed;
    when ``out`` itself is missing, the newest ``.old`` of such a run is the previous
    report and is renamed back first.

    Parameters
    ----------
    out : pathlib.Path
        The report folder (absolute).

    Returns
    -------
    list of pathlib.Path
        The folders removed.
    """
    prefix = _hidden_prefix(out)
    stale = sorted(
        (p for p in out.parent.glob(f"{glob.escape(prefix)}*")
         if p.suffix in (".partial", ".old") and p.is_dir() and not p.is_symlink()
         and not _owner_alive(p.name, prefix)),
        key=lambda p: p.stat().st_mtime,
    )
    retired = [p for p in stale if p.suffix == ".old"]
    if retired and not out.exists():
        retired[-1].rename(out)
        stale.remove(retired[-1])
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return stale


def _replace(staging: Path, out: Path) -> None:
    """Move ``staging`` to ``out``, replacing an earlier report in one rename each."""
    if not out.exists():
        staging.rename(out)
        return
    retired = out.parent / f"{_hidden_prefix(out)}{os.getpid()}.{uuid.uuid4().hex[:8]}.old"
    out.rename(retired)
    try:
        staging.rename(out)
    except BaseException:
        retired.rename(out)
        raise
    shutil.rmtree(retired, ignore_errors=True)
