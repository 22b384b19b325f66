"""Every hostile input gets one line and exit status 2, before any expensive work.

The corpus (``tests/hostile_corpus.py``) holds trial files, specifications and command
lines that must be refused. Each case runs the command line in this process
(:func:`bayes_scot.cli.main`) and checks:

* exit status 2 (1 would mean a bug);
* nothing on standard output and exactly one line on standard error, with no traceback
  and no raw control character (a newline or a terminal escape in a name is shown
  escaped);
* the output location untouched: no report folder, no temporary folder beside it, an
  existing file or device as it was;
* no model built: the runner's model step is replaced by one that fails the test.

A few cases run as real subprocesses of the installed entry point, to check the same
from outside.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import hostile_corpus as corpus
import pytest

from bayes_scot.cli import main

#: A C0/C1 control character other than the final newline: a forged line or an escape.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


pytestmark = pytest.mark.usefixtures("no_model_is_built")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The files the cases name: valid CSVs, a FIFO, a plain file, a non-report folder."""
    (tmp_path / "curve.csv").write_text(corpus.CURVE_CSV)
    (tmp_path / "risk.csv").write_text(corpus.RISK_CSV)
    (tmp_path / "extra.csv").write_text("time,survival,arm\n0,1.0,a\n12,0.8,a\n")
    (tmp_path / "text.csv").write_text("time,survival\nzero,one\n")
    (tmp_path / "late.csv").write_text("time,n_risk\n1,40\n12,34\n")
    (tmp_path / "rises.csv").write_text("time,survival\n0,1.0\n6,0.5\n12,0.9\n24,0.95\n")
    (tmp_path / "afile.txt").write_text("notes\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("not a report\n")
    for name in ("fifo", "fifo.csv", "fifo.toml"):
        os.mkfifo(tmp_path / name)
    return tmp_path


def _snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    return {
        str(p.relative_to(folder)): (p.lstat().st_mode, p.lstat().st_size,
                                     p.lstat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``bayes-scot argv`` in this process; return (exit status, stdout, stderr)."""
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code: int, out: str, err: str) -> None:
    """Exit 2, nothing on stdout, one escaped line on stderr, no traceback."""
    assert code == 2, err
    assert out == ""
    assert err.endswith("\n"), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert not RAW_CONTROL.search(err.rstrip("\n")), repr(err)
    assert "error:" in err


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", "surrogateescape"))


def _place(case: corpus.Case, folder: Path, name: str) -> str:
    """Write a case's file (or make its special path) in ``folder``; return the path."""
    special = case.special
    path = folder / name
    if special is None:
        _write(path, case.text or "")
    elif special == "oversized":
        with open(path, "wb") as handle:
            handle.truncate(16 * 1024 * 1024 + 1)
    elif special == "fifo":
        path = folder / "fifo"
    elif special == "folder":
        path = folder / "other"
    elif special == "missing":
        path = folder / "missing.toml"
    elif special == "nul":
        return f"{folder}/bad\x00name.toml"
    elif special.startswith("link:"):
        path.symlink_to(special.removeprefix("link:"))
    elif special.startswith("name:"):
        name = special.removeprefix("name:")
        if name.endswith(".toml"):
            path = folder / name
            _write(path, "[trial]\nname = 1\n")
        else:
            return name
    else:
        return special
    return str(path)


def _ids(cases: list[corpus.Case]) -> list[str]:
    return [f"{c.group}-{c.id}" for c in cases]


# -- trial files ----------------------------------------------------------------------------
@pytest.mark.parametrize("case", corpus.TRIAL_FILES, ids=_ids(corpus.TRIAL_FILES))
def test_trial_file_is_refused(case: corpus.Case, folder: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    path = _place(case, folder, "trial.toml")
    before = _snapshot(folder)
    code, out, err = run_cli(["validate", path], capsys)
    assert_refused(code, out, err)
    assert _snapshot(folder) == before


def test_trial_file_corpus_size() -> None:
    assert len(corpus.TRIAL_FILES) >= 99
    assert len({c.id for c in corpus.TRIAL_FILES}) == len(corpus.TRIAL_FILES)


# -- specifications -------------------------------------------------------------------------
@pytest.mark.parametrize("case", corpus.SPECS, ids=_ids(corpus.SPECS))
def test_spec_is_refused_before_any_model(case: corpus.Case, folder: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    if case.group == "trial file":  # the hostile trial file beside the specification
        name = re.findall(r'path = "(\w+)\.toml"', case.text or "")[0]
        trial = next(c for c in corpus.TRIAL_FILES if c.id == name)
        _write(folder / f"{name}.toml", trial.text or "")
    spec = _place(case, folder, "spec.toml")
    before = _snapshot(folder)
    out_dir = folder / "report"
    code, out, err = run_cli(["report", spec, "--out", str(out_dir), "--quiet"], capsys)
    assert_refused(code, out, err)
    assert _snapshot(folder) == before  # no report, no temporary folder beside it


def test_spec_corpus_size() -> None:
    assert len(corpus.SPECS) >= 66
    assert len({c.id for c in corpus.SPECS}) == len(corpus.SPECS)


# -- command lines --------------------------------------------------------------------------
def _argv(template: list[str], folder: Path) -> list[str]:
    return [arg.replace("{dir}", str(folder)) for arg in template]


@pytest.mark.parametrize(
    "argv", [c[2] for c in corpus.COMMANDS], ids=[f"{c[0]}-{c[1]}" for c in corpus.COMMANDS]
)
def test_command_line_is_refused(argv: list[str], folder: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(folder)
    full_before = os.stat("/dev/full").st_mode if os.path.exists("/dev/full") else None
    code, out, err = run_cli(_argv(argv, folder), capsys)
    assert_refused(code, out, err)
    assert _snapshot(folder) == before
    if full_before is not None:
        assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_command_corpus_size() -> None:
    assert len(corpus.COMMANDS) >= 86
    assert len({(c[0], c[1]) for c in corpus.COMMANDS}) == len(corpus.COMMANDS)


# -- what the messages say ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("case_id", "expected"),
    [
        ("events_nan", "NaN (not a number)"),
        ("survival_just_above_one", "is 1.0001, but survival is a proportion in [0, 1]"),
        ("survival_percent", "write 85% as 0.85"),
        ("curve_file_folder", "is a folder, not a CSV file"),
        ("population_n_array", "not an array"),
        ("id_with_newline", "entry 'sim_efs_hr\\nvalid'"),
        ("id_with_ansi", "\\x1b[2J\\x1b[31mhr"),
        ("curve_rises", "entry 'sim_efs_curve_hsct'"),
        ("risk_table_not_at_zero", "must start at time 0"),
        ("time_absurd", "beyond 1200 months"),
        ("endpoint_redeclared_binary", "cannot be redeclared"),
        ("fifo", "is a FIFO (named pipe), not a trial file"),
        ("dev_zero", "is a device, not a trial file"),
        ("oversized", "may have at most 16,777,216"),
        ("deep_inline_tables", "nested too deeply"),
    ],
)
def test_trial_messages_in_plain_words(case_id: str, expected: str, folder: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    case = next(c for c in corpus.TRIAL_FILES if c.id == case_id)
    path = _place(case, folder, "trial.toml")
    code, _, err = run_cli(["validate", path], capsys)
    assert code == 2
    assert expected in err, err
    assert "not a number, not" not in err
    assert "a array" not in err


@pytest.mark.parametrize(
    ("case_id", "expected"),
    [
        ("seed_huge", "must be at most 4294967295"),
        ("chains_million", "must be at most 64"),
        ("draws_too_many_in_total", "at most 100,000 fit in memory"),
        ("spec_deep_inline_tables", "nested too deeply"),
        ("joint_unknown_estimand", "'efs:survival_diference_54' is not reported by any family"),
        ("mcid_negative", "not beyond the null"),
        ("mcid_hazard_ratio_above_one", "lies below 1"),
        ("trial_curve_rises", "curve_rises.toml: entry 'sim_efs_curve_hsct'"),
        ("key_with_newline", "bad\\nvalid"),
    ],
)
def test_spec_messages_in_plain_words(case_id: str, expected: str, folder: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    case = next(c for c in corpus.SPECS if c.id == case_id)
    if case.group == "trial file":
        trial = next(c for c in corpus.TRIAL_FILES if c.id == "curve_rises")
        _write(folder / "curve_rises.toml", trial.text or "")
    spec = _place(case, folder, "spec.toml")
    code, _, err = run_cli(["report", spec, "--out", str(folder / "r")], capsys)
    assert code == 2
    assert expected in err, err


def test_poor_reconstruction_is_warned_with_its_figure(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A risk table that fits its curve badly is valid, with a warning naming max |dS|."""
    # Five patients cannot make a curve that falls by 0.10, then 0.05 (simulated).
    (folder / "flat_risk.csv").write_text("time,n_risk\n0,5\n12,4\n24,4\n36,4\n48,4\n")
    code, _, err = run_cli(["reconstruct", str(folder / "curve.csv"),
                              str(folder / "flat_risk.csv"), "--out",
                              str(folder / "ipd.csv")], capsys)
    assert code == 0, err
    assert "warning:" in err
    shown = re.search(r"max \|dS\| = ([0-9.]+)", err)
    assert shown is not None, err
    assert float(shown.group(1)) > 0.05


# -- real processes -------------------------------------------------------------------------
def _subprocess_cases() -> Iterator[tuple[str, list[str]]]:
    yield "validate_fifo", ["validate", "{dir}/fifo"]
    yield "validate_dev_zero", ["validate", "/dev/zero"]
    yield "validate_forged_line", ["validate", "bad\nbayes-scot validate: valid"]
    yield "report_seed", ["report", "--seed", str(2**80), "--out", "{dir}/r"]
    yield "reconstruct_dev_full", ["reconstruct", "{dir}/curve.csv", "{dir}/risk.csv",
                                   "--out", "/dev/full"]


@pytest.mark.parametrize(("name", "argv"), list(_subprocess_cases()),
                         ids=[c[0] for c in _subprocess_cases()])
def test_real_process_prints_one_line(name: str, argv: list[str], folder: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("BAYES_SCOT_TRACEBACK", None)
    proc = subprocess.run([sys.executable, "-m", "bayes_scot.cli", *_argv(argv, folder)],
                          capture_output=True, text=True, timeout=120, env=env, check=False)
    assert_refused(proc.returncode, proc.stdout, proc.stderr)
