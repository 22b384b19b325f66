"""``bayes-scot reconstruct``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayes_scot.cli import main
from bayes_scot.stats.kaplan_meier import kaplan_meier

# A simulated arm (seeded): 60 patients, exponential event times, uniform censoring.
RNG = np.random.default_rng(7)
EVENT = RNG.exponential(30.0, 60)
CENSOR = RNG.uniform(12.0, 60.0, 60)
TIME = np.minimum(EVENT, CENSOR)
EVENTS = (EVENT <= CENSOR).astype(int)


@pytest.fixture
def inputs(tmp_path):
    km = kaplan_meier(TIME, EVENTS)
    steps = km.events > 0
    curve = pd.DataFrame({"x": np.r_[0.0, km.times[steps]],
                          "y": 100 * np.r_[1.0, km.survival[steps]]})  # in percent
    curve = curve.sample(frac=1.0, random_state=1)  # unsorted, as digitisers export
    risk_times = np.arange(0.0, 60.0, 12.0)
    risk = pd.DataFrame({"time": risk_times, "n": km.number_at_risk(risk_times)})
    curve_path, risk_path = tmp_path / "curve.csv", tmp_path / "risk.csv"
    curve.to_csv(curve_path, index=False)
    risk.to_csv(risk_path, index=False)
    return curve_path, risk_path, tmp_path


def test_writes_ipd_and_prints_accuracy(capsys, inputs):
    curve, risk, folder = inputs
    out = folder / "ipd.csv"
    code = main(["reconstruct", str(curve), str(risk), "--total-events",
                 str(int(EVENTS.sum())), "--out", str(out)])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{out}: 60 patients, events ")
    assert "max |dS| = " in lines[0]
    ipd = pd.read_csv(out)
    assert list(ipd.columns) == ["time", "event"]
    assert len(ipd) == 60
    assert abs(ipd["event"].sum() - EVENTS.sum()) <= 1
    assert not list(folder.glob(".ipd.csv.*"))  # no temporary file left behind


def test_verbose_lists_cleaning(capsys, inputs):
    curve, risk, folder = inputs
    assert main(["reconstruct", str(curve), str(risk), "--out", str(folder / "o.csv"),
                 "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "percentages" in out
    assert "sorted" in out


def test_inconsistent_risk_table_names_the_file(capsys, inputs):
    curve, _, folder = inputs
    bad = folder / "bad_risk.csv"
    bad.write_text("time,n\n0,60\n12,70\n")
    out = folder / "never.csv"
    assert main(["reconstruct", str(curve), str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err
    assert "never increases" in err
    assert not out.exists()


def test_existing_output_survives_a_failed_run(capsys, inputs):
    _, _, folder = inputs
    out = folder / "keep.csv"
    out.write_text("time,event\n1,1\n")
    bad = folder / "bad_curve.csv"
    bad.write_text("0,1\n1,0.5\n2,0.9\n")
    risk = folder / "r.csv"
    risk.write_text("0,10\n")
    assert main(["reconstruct", str(bad), str(risk), "--out", str(out)]) == 2
    assert "rises" in capsys.readouterr().err
    assert out.read_text() == "time,event\n1,1\n"


def test_missing_output_directory_is_created(capsys, inputs):
    curve, risk, folder = inputs
    out = folder / "new" / "ipd.csv"
    assert main(["reconstruct", str(curve), str(risk), "--out", str(out)]) == 0
    assert out.read_text().startswith("time,event")
