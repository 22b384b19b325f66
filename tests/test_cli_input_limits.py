"""``reconstruct`` and ``effect``: inputs out of range are refused in one line, exit 2."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from bayes_scot.cli import main

CURVE = "time,survival\n0,1\n6,0.9\n12,0.85\n24,0.82\n36,0.8\n48,0.78\n"
RISK = "time,n_risk\n0,40\n12,34\n24,32\n36,31\n48,30\n"


def _one_error_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the command with warnings as errors; return its one error line (exit 2)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            code = main(argv)
        except SystemExit as exit_info:
            code = exit_info.code
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


@pytest.fixture
def curve_and_risk(tmp_path: Path) -> tuple[Path, Path]:
    curve, risk = tmp_path / "curve.csv", tmp_path / "risk.csv"
    curve.write_text(CURVE, encoding="utf-8")
    risk.write_text(RISK, encoding="utf-8")
    return curve, risk


@pytest.mark.parametrize(("which", "named"), [(0, "curve"), (1, "risk table")])
def test_reconstruct_refuses_to_write_over_an_input(
    which: int, named: str, curve_and_risk: tuple[Path, Path], tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    curve, risk = curve_and_risk
    target = curve_and_risk[which]
    before = target.read_bytes()
    # the same file under another spelling of its path
    line = _one_error_line(["reconstruct", str(curve), str(risk), "--out",
                            f"./{target.name}"], capsys)
    assert "'out'" in line
    assert f"the {named} file" in line
    assert target.read_bytes() == before


def test_reconstruct_refuses_an_output_linked_to_an_input(
    curve_and_risk: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    curve, risk = curve_and_risk
    link = tmp_path / "link.csv"
    link.symlink_to(curve)
    _one_error_line(["reconstruct", str(curve), str(risk), "--out", str(link)], capsys)
    assert curve.read_text(encoding="utf-8") == CURVE


@pytest.mark.parametrize("n_risk", ["1e300", "10000001", "-1e300"])
def test_reconstruct_refuses_numbers_at_risk_out_of_range(
    n_risk: str, curve_and_risk: tuple[Path, Path], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    curve, risk = curve_and_risk
    risk.write_text(f"time,n_risk\n0,{n_risk}\n12,34\n", encoding="utf-8")
    out = tmp_path / "ipd.csv"
    line = _one_error_line(["reconstruct", str(curve), str(risk), "--out", str(out)],
                           capsys)
    assert "'n_risk'" in line
    assert "10,000,000" in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (["--se", "1e200"], "'se'"),
        (["--se", "1e300"], "'se'"),
        (["--se", "1e-7"], "'se'"),
        (["--se", "1", "--prior", "a=0,1e-300"], "'priors.a'"),
        (["--se", "1", "--prior", "a=1e300,1"], "'priors.a'"),
        (["--se", "1", "--prior", "a=0,1e6"], "'priors.a'"),
        (["--lower", "0.34", "--upper", "0.3400000001"], "'lower'"),
    ],
)
def test_effect_refuses_numbers_outside_the_working_range(
    options: list[str], field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _one_error_line(["effect", "--hr", "0.34", *options], capsys)
    assert field in line
    assert "log scale" in line


def test_effect_refuses_mean_differences_outside_the_working_range(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = _one_error_line(["effect", "--md", "1", "--se", "1e7", "--benefit", "lower",
                            "--mcid", "1"], capsys)
    assert "'se'" in line
    assert "natural scale" in line


def test_effect_at_the_edges_of_the_working_range_is_finite(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["effect", "--hr", "0.34", "--se", "100", "--prior", "a=100,100",
                     "--prior", "b=-100,1e-6", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "inf" not in out
    assert "nan" not in out.lower()
