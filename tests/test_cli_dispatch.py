"""The ``bayes-scot`` dispatcher: help, version, one-line errors, closed pipes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bayes_scot import __version__
from bayes_scot.cli import EXIT_BAD_INPUT, build_parser, main


def test_every_subcommand_is_registered() -> None:
    parser = build_parser()
    help_text = parser.format_help()
    for name in ("report", "validate", "effect", "reconstruct"):
        assert name in help_text


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == EXIT_BAD_INPUT
    assert "usage: bayes-scot" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_closed_pipe_is_quiet() -> None:
    # A reader that closes the pipe early (`bayes-scot effect ... | head -1`) makes the
    # next write raise BrokenPipeError; the command must stop quietly with 141 (128 +
    # SIGPIPE), not print a traceback. The subcommand is replaced by one that raises it.
    code = """
import argparse, sys
import bayes_scot.cli as cli

def broken(args):
    raise BrokenPipeError

parser = argparse.ArgumentParser(prog="bayes-scot")
sub = parser.add_subparsers(dest="command")
sub.add_parser("effect").set_defaults(func=broken)
cli.build_parser = lambda: parser
sys.exit(cli.main(["effect"]))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 141
    assert proc.stderr == ""


def test_console_exits_with_the_commands_code_after_freezing_its_objects(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``bayes-scot`` entry point ends with :func:`main`'s exit code, and has moved
    what the command left out of the cyclic collector's reach (so that the interpreter's
    final collections do not traverse it)."""
    import gc

    import bayes_scot.cli as cli

    monkeypatch.setattr(cli, "main", lambda: EXIT_BAD_INPUT)
    gc.unfreeze()
    try:
        with pytest.raises(SystemExit) as exit_info:
            cli.console()
        assert exit_info.value.code == EXIT_BAD_INPUT
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_module_entry_point_keeps_the_exit_code_and_output() -> None:
    proc = subprocess.run([sys.executable, "-m", "bayes_scot.cli", "validate", "no-such.toml"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == EXIT_BAD_INPUT
    assert proc.stderr.count("\n") == 1
    assert "no-such.toml" in proc.stderr
