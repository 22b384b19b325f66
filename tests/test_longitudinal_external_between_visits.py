"""External evidence read between grid visits is warned of, as the trial's own numbers are.

The trial and the external cohort are SIMULATED (numbers typed for the tests, not from any
paper): a quality-of-life score, visits at baseline, 6 and 12 months, and a cohort's
difference in change of 4 points (SE 1.5) at 3 and at 6 months. The default grid
(0, 6, 12, 24, 36, 48, 54) with the trial's visits has no 3-month visit, and external
times do not join it, so the 3-month difference is read as half the 6-month one: a
difference of 4 at 3 months means 8 at 6. Before, the evidence log did not say so and
the builder's warnings were silent.

The tests build models only (no sampling), so they are fast.
"""

from __future__ import annotations

from pathlib import Path

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
mean = {{ drug = 50.0, placebo = 50.0 }}
sd = {{ drug = 10.0, placebo = 10.0 }}
n = {{ drug = 120, placebo = 60 }}
source = {{ citation = "SIMULATED", locator = "Table 2", tag = "reported" }}
"""

EXTERNAL = """
[[effect_estimates]]
id = "cohort_{time}"
endpoint = "qol"
population = "itt"
time_months = {time}
statistic = "change_difference"
estimate = 4.0
se = 1.5
design = "observational"
source = {{ citation = "SIMULATED Cohort 2020. Not a paper", locator = "T3", tag = "reported" }}
"""


def build(tmp_path: Path, **options: object) -> LongitudinalModel:
    """Build the SIMULATED trial's model with the SIMULATED cohort as external evidence."""
    trial = tmp_path / "qolsim.toml"
    trial.write_text(qol_trial_header() + "".join(VISIT.format(time=t) for t in (0, 6, 12)))
    cohort = tmp_path / "cohort.toml"
    cohort.write_text(qol_trial_header().replace('name = "qolsim"', 'name = "cohortsim"')
                      + "".join(EXTERNAL.format(time=t) for t in (3, 6)))
    return LongitudinalModel(
        load_trial(trial, population="itt"), external=load_trial(cohort),
        options=LongitudinalOptions(endpoints=("qol",), **options),  # type: ignore[arg-type]
    )


def between(model: LongitudinalModel) -> list[str]:
    return [w for w in model.warnings() if "between the grid visits" in w]


def test_an_external_number_between_grid_visits_is_warned_of(tmp_path: Path) -> None:
    model = build(tmp_path)
    assert 3.0 not in model.options.visits_months
    (line,) = between(model)  # the 6-month number is at a grid visit: no line
    assert line.startswith("longitudinal: external evidence 'SIMULATED Cohort 2020', "
                           "entry 'cohort_3' (qol) at 3 months")
    assert "0.5 x the 0-month value + 0.5 x the 6-month value" in line
    assert "2 times as large at 6 months" in line
    assert line.endswith("add 3 to visits_months (external times do not join a grid "
                         "left unset)")
    table = model.evidence_table()
    notes = dict(zip(table["entry"], table["note"], strict=True))
    assert "interpolated between the grid visits at 0 and 6 months" in notes["cohort_3"]
    assert "interpolated" not in notes["cohort_6"]


def test_an_external_number_on_the_grid_is_not_warned_of(tmp_path: Path) -> None:
    model = build(tmp_path, visits_months=(0.0, 3.0, 6.0, 12.0), reference_visit_months=12.0)
    assert between(model) == []
