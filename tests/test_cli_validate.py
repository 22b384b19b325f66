"""``bayes-scot validate``: exit 0 with one summary line, or 2 with one error line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bayes_scot.cli import main
from bayes_scot.data import TEMPLATE_FILE, TRIALS_DIR


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("scot", "scot: valid: trial 'scot' (hsct vs cyc), 41 entries, 5 populations: "
                 "itt 36/39, pp 33/34, interim_cohort 61, gene_expression_pp 30/33, "
                 "telephone_followup 43"),
        ("astis", "astis: valid: trial 'astis' (hsct vs cyc), 20 entries, 2 populations: "
                  "itt 79/77, french_subcohort 26/23"),
        ("assist", "assist: valid: trial 'assist' (hsct vs cyc), 3 entries, 1 population: "
                   "itt 10/9"),
    ],
)
def test_valid_shipped_trials(capsys, target, expected):
    assert main(["validate", target]) == 0
    out, err = capsys.readouterr()
    assert out == expected + "\n"
    assert err == ""


def test_valid_file_path(capsys):
    assert main(["validate", str(TEMPLATE_FILE)]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith(f"{TEMPLATE_FILE}: valid: trial 'example'")
    assert out.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01\x02binary", "binary"),
        (b"[trial\nname = 1", "invalid TOML"),
    ],
)
def test_invalid_file_prints_one_line_and_exits_2(tmp_path, capsys, content, message):
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"bayes-scot validate: error: {path}: ")
    assert message in err


def test_misspelt_key_names_file_entry_and_field(tmp_path, capsys):
    text = (TRIALS_DIR / "assist.toml").read_text().replace("count = { cyc = 8 }",
                                                            "cout = { cyc = 8 }")
    path = tmp_path / "assist.toml"
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    _, err = capsys.readouterr()
    assert (f"{path}: entry 'itt_progression_12': field 'cout': unknown key in "
            "[[proportions]]; did you mean 'count'?") in err


def test_missing_file_and_unknown_name(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "absent.toml")]) == 2
    assert main(["validate", "scott"]) == 2
    _, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 2
    assert "file not found" in lines[0]
    assert "unknown trial 'scott'" in lines[1]


def test_subprocess_never_shows_a_traceback(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    result = subprocess.run(
        [sys.executable, "-m", "bayes_scot.cli", "validate", str(path)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "is a binary file" in result.stderr
