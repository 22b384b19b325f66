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
        # Control hazards that do not fit the model: refused before any simulation.
        (["oc", "--baseline-hazards", "0.01,0.02"], "give three hazards, one per "
         "transition of the illness-death model, or one for all, not 2"),
        (["oc", str(Path(__file__).parents[1] / "examples" / "one_endpoint"
                    / "one_endpoint.toml"), "--baseline-hazards", "0.01,0.02,0.03"],
         "give one hazard, of the one-endpoint model's event, not 3"),
        (["oc", "--family", "composite", "--baseline-hazards", "0.01"],
         "applies to the survival family"),
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
                                  ["oc", "--baseline-hazards", "0,0.1,0.1"],
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


# -- limits and checks of the study's request, all before anything is written ----------

_DESIGN = Path(__file__).resolve().parents[1] / "bayes_scot" / "specs" / "scot_design.toml"


def _spec_with(tmp_path: Path, **calibration: str) -> str:
    """Write the shipped ``scot_design`` spec with ``[calibration]`` keys replaced."""
    lines = _DESIGN.read_text(encoding="utf-8").splitlines()
    start = lines.index("[calibration]")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("["))
    table = ["[calibration]", *(f"{k} = {v}" for k, v in calibration.items()), ""]
    path = tmp_path / "spec.toml"
    path.write_text("\n".join([*lines[:start], *table, *lines[end:]]) + "\n",
                    encoding="utf-8")
    return str(path)


def _refused(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``argv`` into ``tmp_path/out``; check exit 2, one line and no store; return it."""
    try:
        code = main([*argv, "--out", str(tmp_path / "out")])
    except SystemExit as exit_info:
        code = exit_info.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out").exists()
    return err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["calibrate", "--scheduler", "notanaddress"], "'scheduler'"),
        (["oc", "--scheduler", "tcp://host"], "missing port number"),
        (["oc", "--scheduler", "tcp://:8786"], "no host"),
        (["calibrate", "--simulations", "99999999999"], "at most 100,000"),
        (["oc", "--simulations", "100001"], "at most 100,000"),
        (["calibrate", "--workers", "100000"], "'workers'"),
        (["oc", "--mcid", "0"], "below 1"),
        (["oc", "--mcid", "1.5"], "below 1"),
        (["oc", "--family", "longitudinal", "--mcid", "-0.5"], "strictly between 0 and 10"),
        (["oc", "--family", "composite", "--mcid", "1.5"], "strictly between 0 and 1"),
        (["oc", "--follow-up", "1e9"], "at most 1200 months"),
        (["oc", "--family", "longitudinal", "--effects", "1e9"], "between -10 and 10"),
        (["oc", "--hr", "1,1e300"], "between 0.01 and 100"),
        (["oc", "--hr", "1,1"], "names a true effect twice"),
        (["oc", "--priors", "reference,reference"], "names a prior twice"),
    ],
)
def test_requests_out_of_range_are_refused_before_the_store(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert message in _refused(argv, tmp_path, capsys)


@pytest.mark.parametrize(
    ("command", "calibration", "field"),
    [
        ("oc", {"scheduler": '"notanaddress"'}, "calibration.scheduler"),
        ("calibrate", {"scheduler": '"notanaddress"'}, "calibration.scheduler"),
        ("calibrate", {"simulations": "99999999999"}, "calibration.simulations"),
        ("oc", {"workers": "100000"}, "calibration.workers"),
        ("oc", {"hazard_ratios": "[]"}, "calibration.hazard_ratios"),
        ("oc", {"hazard_ratios": "[1.0, 1e300]"}, "calibration.hazard_ratios"),
        ("oc", {"hazard_ratios": "[1.0, 1.0]"}, "calibration.hazard_ratios"),
        ("oc", {"priors": "[]"}, "calibration.priors"),
        ("oc", {"priors": '["reference", "reference"]'}, "calibration.priors"),
    ],
)
def test_spec_calibration_values_out_of_range_are_refused(
    command: str, calibration: dict[str, str], field: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = _spec_with(tmp_path, **calibration)
    err = _refused([command, spec], tmp_path, capsys)
    assert f"field '{field}'" in err
    assert "spec.toml" in err


def test_an_unreachable_scheduler_leaves_no_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dask.distributed

    def refuse(address: str, **kwargs: object) -> None:
        raise OSError(f"Timed out trying to connect to {address}")

    monkeypatch.setattr(dask.distributed, "Client", refuse)
    err = _refused(["calibrate", "--scheduler", "tcp://127.0.0.1:1", "--simulations", "1"],
                   tmp_path, capsys)
    assert "could not connect to a Dask scheduler" in err


def test_a_survival_mcid_is_a_hazard_ratio_read_on_the_log_scale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import math

    import pandas as pd

    from bayes_scot.calibration import api

    monkeypatch.setattr(api, "_run", lambda plan, out, **kwargs: pd.DataFrame())
    result = api.operating_characteristics("scot_design", effects=(1.0, 0.7), mcid=0.7,
                                           simulations=1)
    assert result.plan.extra["mcid"] == pytest.approx(math.log(0.7))
    assert result.plan.extra["mcid_hazard_ratio"] == 0.7


def test_the_workers_limit_follows_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    from bayes_scot.calibration import api

    monkeypatch.setattr(api.os, "cpu_count", lambda: 2)
    assert api.max_workers() == 2 * api.MAX_WORKERS_PER_CPU
    monkeypatch.setattr(api.os, "cpu_count", lambda: None)
    assert api.max_workers() == api.MAX_WORKERS_PER_CPU
