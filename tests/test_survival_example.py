"""The one-endpoint example, from digitised curves to a report (one short MCMC run).

examples/one_endpoint/ holds a trial file (times in weeks, a declared endpoint, curves
and risk tables computed from the Rossi et al. 1980 patient-level data that lifelines
ships) and a specification. Two priors at 4 chains x 500 draws: enough for the gate
(bulk ESS >= 400) on this well-identified model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import bayes_scot as bs

pytestmark = pytest.mark.slow

SPEC = Path(__file__).parent.parent / "examples" / "one_endpoint" / "one_endpoint.toml"


def test_example_runs_from_curves_to_a_report(tmp_path):
    result = bs.reanalyse(SPEC, progress=False, draws=500, tune=500,
                          priors=["reference", "skeptical_strong"])
    assert result.diagnostics()["passed"].all()
    table = result.table()
    assert set(table["endpoint"]) == {"arrest_free"}
    headline = table.query("estimand == 'hazard_ratio_common' and prior == 'reference'")
    row = headline.iloc[0]
    # Patient-level Cox: HR 0.691 (0.477 to 1.003); see the validation tests' tolerances.
    assert 0.60 < row["median"] < 0.78
    assert "aid vs no_aid" in row["label"]
    skeptical = table.query("estimand == 'hazard_ratio_common' and prior == 'skeptical_strong'")
    assert skeptical.iloc[0]["p_superior"] < row["p_superior"]
    assert not result.curves("survival").empty
    out = result.write_report(tmp_path / "report")
    summary = json.loads((out / "summary.json").read_text())
    text = json.dumps(summary)
    assert "piecewise-exponential" in text
    assert "converted to months" in text
    assert "EFS" not in (out / "report.md").read_text()
