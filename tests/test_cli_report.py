"""``bayes-scot report``: help, bad input (exit 2, one line, nothing written)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bayes_scot.cli import main


def test_help_is_complete(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("SPEC", "--out", "--draws", "--chains", "--tune", "--seed", "--priors",
                   "--backend", "--quiet", "--no-figures", "exit status", "examples"):
        assert option in text, option


def test_report_is_listed_in_top_level_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "report" in capsys.readouterr().out


def test_bad_spec_exits_2_with_one_line(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text('[analysis]\nname = "x"\n\n[sampler]\ndraws = "many"\n')
    out = tmp_path / "report"
    code = main(["report", str(spec), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("bayes-scot report: error: ")
    assert str(spec) in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [spec]


def test_missing_spec_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", str(tmp_path / "absent.toml"), "--out", str(tmp_path / "r")])
    assert code == 2
    assert "not found" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_unknown_prior_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", "--priors", "reference,hopeful", "--out", str(tmp_path / "r")])
    assert code == 2
    assert "hopeful" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_output_folder_with_other_content_exits_2_before_fitting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "thesis.tex").write_text("mine")
    code = main(["report", "--out", str(tmp_path), "--quiet"])
    assert code == 2
    assert "not a bayes-scot report folder" in capsys.readouterr().err
    assert (tmp_path / "thesis.tex").read_text() == "mine"


@pytest.mark.parametrize("argv", [["report"], ["report", "--draws", "0", "--out", "x"],
                                  ["report", "--seed", "abc", "--out", "x"]])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


def test_console_script_bad_spec_has_no_traceback(tmp_path: Path) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text("[analysis\n")
    result = subprocess.run(
        [sys.executable, "-m", "bayes_scot.cli", "report", str(spec), "--out",
         str(tmp_path / "r")],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
