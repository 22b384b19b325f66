"""A trial's own longitudinal numbers are used, or the reader is told why not.

Every trial here is SIMULATED (numbers typed for the tests, not from any paper): a
quality-of-life score on which higher is better, or a disability index on which lower is
better, with 120 and 60 patients randomised. Three regressions are guarded:

* visit summaries with ``sd`` but no ``n`` used to be dropped without a warning, so every
  row was the prior; their SEs now take the number randomised, and say so;
* a follow-up visit after the last grid visit, and a between-arm difference left at the
  default ``design = "observational"``, used to be dropped with no warning;
* the named priors' statements on a lower-is-better endpoint used to read in the
  direction-aligned sign ("centred on +0.5") on an estimand whose prior median is below 0.

The tests build models only (no sampling), so they are fast.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from scipy.special import ndtr
from simulated_trial_files import qol_trial_header

from bayes_scot.builders.longitudinal import LongitudinalModel, LongitudinalOptions
from bayes_scot.data import load_trial

VISIT = """
[[visit_summaries]]
id = "qol_{time}"
endpoint = "qol"
population = "itt"
time_months = {time}
statistic = "mean"
mean = {{ drug = {drug}, placebo = {placebo} }}
sd = {{ drug = 10.0, placebo = 10.0 }}
{n}source = {{ citation = "SIMULATED", locator = "Table 2", tag = "reported" }}
"""

POOLED_BASELINE = """
[[visit_summaries]]
id = "qol_pooled_0"
endpoint = "qol"
population = "itt"
time_months = 0
statistic = "mean"
mean = { pooled = 50.0 }
sd = { pooled = 10.0 }
source = { citation = "SIMULATED", locator = "Table 1", tag = "reported" }
"""

DIFFERENCE = """
[[effect_estimates]]
id = "qol_md_6"
endpoint = "qol"
population = "itt"
time_months = 6
statistic = "change_difference"
estimate = 4.0
lower = 1.0
upper = 7.0
{design}source = {{ citation = "SIMULATED", locator = "Table 2", tag = "reported" }}
"""

# SIMULATED means at baseline, 6 and 12 months (drug, placebo).
MEANS = {0: (50.0, 50.5), 6: (55.0, 51.0), 12: (57.0, 52.0)}


def write(folder: Path, body: str, better: str = "higher") -> Path:
    path = folder / "qolsim.toml"
    path.write_text(qol_trial_header(better=better) + body)
    return path


def visits(times: tuple[int, ...] = (0, 6, 12), *, with_n: bool) -> str:
    """SIMULATED visit summaries; ``with_n`` gives n equal to the numbers randomised."""
    n = "n = { drug = 120, placebo = 60 }\n" if with_n else ""
    return "".join(VISIT.format(time=t, drug=MEANS[t][0], placebo=MEANS[t][1], n=n)
                   for t in times)


def model(path: Path, **options: object) -> LongitudinalModel:
    settings: dict[str, object] = {"endpoints": ("qol",), "visits_months": (0.0, 6.0, 12.0),
                                   "reference_visit_months": 12.0, "mcids": {"qol": 4.0}}
    settings.update(options)
    return LongitudinalModel(load_trial(path),
                             options=LongitudinalOptions(**settings))  # type: ignore[arg-type]


def test_an_sd_without_n_takes_the_number_randomised_and_says_so(tmp_path):
    without = model(write(tmp_path, visits(with_n=False)))
    log = without.evidence_table()
    assert log["used"].all()  # nothing dropped
    # SE = SD / sqrt(n randomised): 10 / sqrt(120) and 10 / sqrt(60), exactly.
    for arm, n in (("drug", 120), ("placebo", 60)):
        rows = log[log["arm"] == arm]
        assert rows["se"].tolist() == pytest.approx([10.0 / math.sqrt(n)] * 3, rel=1e-12)
        assert rows["note"].str.contains(f"n = {n} randomised").all()
        assert rows["note"].str.contains("precision overstated").all()
    # With n equal to the numbers randomised the same SEs enter: the same likelihood.
    with_n = model(write(tmp_path, visits(with_n=True)))
    assert with_n.evidence_table()["se"].tolist() == pytest.approx(log["se"].tolist(),
                                                                   rel=1e-12)
    assert with_n.warnings() == []
    assert without.attribution["qol"] == "trial"
    [line] = without.warnings()
    assert "'qol_0', 'qol_6', 'qol_12'" in line
    assert "sd without n" in line
    assert "drug 120, placebo 60" in line
    assert "overstates their precision" in line


def test_a_pooled_baseline_sd_without_n_takes_both_arms_randomised(tmp_path):
    m = model(write(tmp_path, POOLED_BASELINE + visits((6, 12), with_n=True)))
    log = m.evidence_table()
    row = log[log["entry"] == "qol_pooled_0"].iloc[0]
    assert row["used"]
    assert row["se"] == pytest.approx(10.0 / math.sqrt(180), rel=1e-12)
    assert any("'qol_pooled_0' gives sd without n" in w and "pooled 180" in w
               for w in m.warnings())


def test_a_visit_after_the_grid_is_named_in_the_warnings(tmp_path):
    m = model(write(tmp_path, visits(with_n=True)), visits_months=(0.0, 6.0),
              reference_visit_months=6.0)
    log = m.evidence_table()
    assert not log[log["entry"] == "qol_12"]["used"].any()  # the log is unchanged
    [line] = m.warnings()
    assert "entry 'qol_12' (qol) is not used" in line
    assert "extend visits_months to use it" in line


@pytest.mark.parametrize("design", ["", 'design = "observational"\n'],
                         ids=["default", "observational"])
def test_the_trials_own_difference_not_marked_randomised_is_named(tmp_path, design):
    m = model(write(tmp_path, POOLED_BASELINE + DIFFERENCE.format(design=design)))
    assert m.attribution["qol"] == "prior only"
    assert any("entry 'qol_md_6' (qol) is not used: an observational estimate" in w
               and 'give design = "randomised"' in w for w in m.warnings())
    randomised = model(write(tmp_path, POOLED_BASELINE + DIFFERENCE.format(
        design='design = "randomised"\n')))
    assert randomised.attribution["qol"] == "trial"
    assert not any("qol_md_6" in w for w in randomised.warnings())


def test_numbers_set_aside_for_the_same_patients_are_not_warned_about(tmp_path):
    # Per-arm values at 6 months describe the same patients as the difference there.
    m = model(write(tmp_path, visits(with_n=True) + DIFFERENCE.format(
        design='design = "randomised"\n')))
    log = m.evidence_table()
    assert not log[log["entry"] == "qol_md_6"]["used"].any()
    assert m.warnings() == []


@pytest.mark.parametrize("better", ["higher", "lower"])
def test_prior_statements_hold_on_the_change_difference_they_name(tmp_path, better):
    m = model(write(tmp_path, visits(with_n=True), better=better))
    sd, sign = m.scales["qol"], (1.0 if better == "higher" else -1.0)
    grid = m.effect_prior_grids()["standardised_effect[qol]"]
    where = (f"effect: the QoL score change difference at 12 months, Drug minus placebo, "
             f"in points ({better} is better)")
    for prior in grid.values():
        assert where in prior.statement
        assert f"in SDs of {sd:.3g} points" in prior.statement
    # The difference is sign * sd * effect; the statements' numbers are its own.
    optimistic, skeptical = grid["optimistic_strong"], grid["skeptical_strong"]
    centre = sign * sd * optimistic.mean
    assert optimistic.statement.startswith(f"centred on {centre:+.4g};")
    harm = "effect < 0" if better == "higher" else "effect > 0"
    assert f"5% probability of harm ({harm})" in optimistic.statement
    # P(harm) on the difference: P(sign * sd * theta on the harm side of 0) = P(theta < 0).
    assert float(ndtr(-optimistic.mean / optimistic.sd)) == pytest.approx(0.05, abs=1e-12)
    mcid = "effect > +4" if better == "higher" else "effect < -4"
    assert f"beyond the MCID ({mcid})" in skeptical.statement
    # P(difference beyond the MCID) = P(theta > 4 / sd) = 0.05, the statement's number.
    assert float(ndtr(-(4.0 / sd) / skeptical.sd)) == pytest.approx(0.05, abs=1e-12)
    mapping = "is this difference" if better == "higher" else "is minus this difference"
    assert mapping in optimistic.statement
