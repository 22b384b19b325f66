"""``bayes-scot calibrate`` and ``bayes-scot oc``: bad requests fail before any fitting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bayes_scot.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["calibrate", "--prior", "nonsense"], "no prior named ['nonsense']"),
        (["oc", "--priors", "reference,nonsense"], "no prior named ['nonsense']"),
        (["calibrate", "missing.toml"], "missing.toml"),
    ],
)
def test_bad_requests_exit_2_with_one_line(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv", [["oc", "--hazard-ratios", "1,-0.5"],
                                  ["oc", "--threshold", "1.5"],
                                  ["calibrate", "--simulations", "0"]])
def test_usage_errors_exit_2(argv: list[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2


def test_subcommands_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "calibrate" in out
    assert "oc" in out


def test_where_chunks_run_comes_from_arguments_then_the_spec() -> None:
    import dataclasses

    from bayes_scot.calibration.api import _cluster
    from bayes_scot.spec import load_spec

    spec = load_spec("scot_design")
    assert _cluster(spec, None, None) == {"workers": 1, "scheduler": None}
    assert _cluster(spec, 0, None) == {"workers": 0, "scheduler": None}
    on_cluster = dataclasses.replace(
        spec, calibration=dataclasses.replace(spec.calibration, scheduler="tcp://h:8786"))
    assert _cluster(on_cluster, None, None) == {"workers": None, "scheduler": "tcp://h:8786"}
    assert _cluster(on_cluster, None, "tcp://other:1")["scheduler"] == "tcp://other:1"
