"""Calibration studies end to end on the shipped SCOT spec (small: CI time matters).

The composite model (one effect, one normal summary) is the quick family: its studies
check the machinery (ranks, gate, store, resume, Dask). The survival model's run checks
that its simulator and the batch work together, at a size too small to judge uniformity.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayes_scot.calibration import calibrate, operating_characteristics
from bayes_scot.calibration import distributed as dist
from bayes_scot.cli import main

pytestmark = pytest.mark.slow

SMALL = {"family": "composite", "draws": 250, "tune": 250, "chunk_size": 20}


@pytest.fixture(scope="module")
def composite_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("sbc") / "composite"
    return out, calibrate(simulations=60, out=out, workers=0, **SMALL)


def test_composite_sbc_is_calibrated(composite_study) -> None:
    _, result = composite_study
    table = result.table()
    assert table["quantity"].tolist() == ["net_benefit"]
    # Exact seed: with a correct sampler the p-value is a uniform draw; this one is not
    # in the 5% rejection region.
    assert table["verdict"].tolist() == ["calibrated"]
    rows = result.rows
    assert len(rows) == 60
    assert rows["simulation"].tolist() == list(range(60))
    assert rows["net_benefit_rank"].between(0, 99).all()
    # Failing fits are counted, never dropped: every simulation has a rank.
    assert result.gate["fits"] == 60
    assert result.gate["failed_gate"] == int((~rows["passed"]).sum())


def test_report_folder(composite_study) -> None:
    out, result = composite_study
    result.write_report(out)
    names = {p.name for p in out.iterdir()}
    assert {"index.html", "report.md", "summary.json", "figures", "chunks",
            "study.json"} <= names
    assert not (out / ".report.partial").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "calibration"
    assert summary["quantities"][0]["verdict"] == "calibrated"
    assert (out / "figures" / "sbc_ecdf.png").stat().st_size > 0
    assert "simulated" in (out / "report.md").read_text()


def test_resume_after_a_kill_loses_no_finished_chunk(
    composite_study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, full = composite_study
    out = tmp_path / "killed"

    def kill_after_first_chunk(line: str) -> None:
        if "stored" in line:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        calibrate(simulations=60, out=out, workers=0, progress=kill_after_first_chunk,
                  **SMALL)
    first = pd.read_parquet(out / "chunks" / "chunk-000000.parquet")
    ran: list[int] = []
    original = dist.run_chunk

    def counting(plan, index):
        ran.append(index)
        return original(plan, index)

    monkeypatch.setattr(dist, "run_chunk", counting)
    resumed = calibrate(simulations=60, out=out, workers=0, resume=True, **SMALL)
    assert ran == [1, 2]  # the finished chunk is not redone
    timing = ["sampling_seconds", "postprocessing_seconds"]
    pd.testing.assert_frame_equal(resumed.rows.iloc[:20].drop(columns=timing),
                                  first.drop(columns=timing))
    # The interrupted and resumed study has the numbers of the uninterrupted one.
    pd.testing.assert_frame_equal(resumed.rows.drop(columns=timing),
                                  full.rows.drop(columns=timing))


def test_two_dask_workers_give_the_numbers_of_one_process(composite_study,
                                                           tmp_path: Path) -> None:
    _, local = composite_study
    distributed = calibrate(simulations=60, out=tmp_path / "dask", workers=2, **SMALL)
    timing = ["sampling_seconds", "postprocessing_seconds"]
    pd.testing.assert_frame_equal(distributed.rows.drop(columns=timing),
                                  local.rows.drop(columns=timing))


def test_survival_calibration_and_operating_characteristics(tmp_path: Path) -> None:
    # Tiny: 6 trials in chunks of 3, and 1 trial per hazard ratio under 3 priors; both
    # batches have 12 rows (trials x chains), so they share one compiled program.
    args = ["--draws", "100", "--tune", "100", "--workers", "0", "--quiet"]
    assert main(["calibrate", "--simulations", "6", "--chunk-size", "3", *args,
                 "--out", str(tmp_path / "sbc")]) == 0
    summary = json.loads((tmp_path / "sbc" / "summary.json").read_text())
    quantities = {q["quantity"] for q in summary["quantities"]}
    assert {"log_hr", "efs_difference_54", "os_difference_54"} <= quantities
    assert summary["gate"]["fits"] == 6
    result = operating_characteristics(
        effects=(1.0, 0.5), priors=("reference", "skeptical_moderate", "optimistic_moderate"),
        simulations=1, draws=100, tune=100, workers=0, out=tmp_path / "oc",
    )
    table = result.table()
    assert len(table) == 6
    assert set(table["hazard_ratio"]) == {1.0, 0.5}
    assert table["expected_p_superior"].between(0, 1).all()
    # The simulated trial at HR 0.5 favours HSCT more than the one at HR 1, whatever the
    # prior (one trial each: a loose, qualitative check).
    by = table.set_index(["prior", "hazard_ratio"])["expected_p_superior"]
    assert np.mean([by[(p, 0.5)] > by[(p, 1.0)] for p in result.plan.priors]) >= 2 / 3
    result.write_report(tmp_path / "oc")
    assert (tmp_path / "oc" / "figures" / "power.png").exists()
