"""A report killed while it is written leaves nothing half-written.

A child process writes a report of simulated draws (no sampling) and stops inside the
writer, after its temporary folder exists; the test kills it there. SIGTERM becomes an
exception (the command line's :func:`~bayes_scot.cli.arguments.terminate_cleanly`), so
the writer removes its temporary folder itself. SIGKILL cannot be caught: the temporary
folder stays, and the next run to the same folder removes it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bayes_scot.report import write_report
from bayes_scot.report.writer import clean_leftovers

TESTS = Path(__file__).resolve().parent

#: The child: a report whose figures take a minute to draw, under terminate_cleanly.
CHILD = """
import sys, time
sys.path.insert(0, {tests!r})
import bayes_scot.report.writer as writer
from bayes_scot.cli.arguments import terminate_cleanly
from test_report_writer import simulated_reanalysis

def slow_figures(reanalysis):
    print("staging", flush=True)
    time.sleep(60)
    return [], []

writer.draw_figures = slow_figures
with terminate_cleanly():
    writer.write_report(simulated_reanalysis(), {out!r})
"""


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _kill_while_writing(out: Path, signum: int) -> int:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with subprocess.Popen(
        [sys.executable, "-c", CHILD.format(tests=str(TESTS), out=str(out))],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "staging"
            assert any(p.suffix == ".partial" for p in out.parent.iterdir())
            child.send_signal(signum)
            return child.wait(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()


@pytest.fixture
def previous_report(tmp_path: Path) -> Path:
    from test_report_writer import simulated_reanalysis

    return write_report(simulated_reanalysis("previous"), tmp_path / "report", figures=False)


def _title(report: Path) -> str:
    return json.loads((report / "summary.json").read_text())["spec"]["title"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_writer_keeps_the_previous_report(previous_report: Path, signum: int) -> None:
    from test_report_writer import simulated_reanalysis

    assert _kill_while_writing(previous_report, signum) != 0
    assert _title(previous_report) == "previous"
    if signum == signal.SIGTERM:
        assert _leftovers(previous_report.parent) == []
        return
    assert [n for n in _leftovers(previous_report.parent) if n.endswith(".partial")]
    write_report(simulated_reanalysis("next"), previous_report, figures=False)
    assert _leftovers(previous_report.parent) == []  # the next run cleaned up
    assert _title(previous_report) == "next"


def test_a_running_writer_is_left_alone(tmp_path: Path) -> None:
    """A temporary folder whose process still runs (this one) is not removed."""
    out = tmp_path / "report"
    mine = tmp_path / f".report.{os.getpid()}.abc.partial"
    mine.mkdir()
    assert clean_leftovers(out) == []
    assert mine.is_dir()


def test_a_report_caught_mid_replace_is_restored(tmp_path: Path) -> None:
    """Killed between moving the old report aside and moving the new one in."""
    from test_report_writer import simulated_reanalysis

    out = write_report(simulated_reanalysis("previous"), tmp_path / "report", figures=False)
    dead = _dead_pid()
    out.rename(tmp_path / f".report.{dead}.0123abcd.old")
    (tmp_path / f".report.{dead}.x.partial").mkdir()
    clean_leftovers(out)
    assert _title(out) == "previous"
    assert _leftovers(tmp_path) == []


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
