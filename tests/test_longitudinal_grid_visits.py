"""Every visit of the trial is a node of the longitudinal trajectories, or the reader is told.

The trials here are SIMULATED (numbers typed for the tests, not from any paper): a
quality-of-life score, higher is better, 120 and 60 patients randomised, follow-up visits
off SCOT's grid (3 and 9 months, or 26 and 52 weeks). Guarded regressions:

* with the default grid (0, 6, 12, 24, 36, 48, 54), a 3-month number was read from the
  straight line between baseline (effect zero) and 6 months, so the 6-month effect was
  twice the 3-month one the data show, with no warning; an unset grid now holds the
  trial's own visit times, and a grid the specification sets warns of each such number;
* a 52-week visit (11.96 months) made the 12-month reference visit "beyond the last datum";
* with an unset grid, a trial in weeks had nodes and rows at both 5.98 and 6 months and at
  both 11.96 and 12: a default visit within DATUM_TOLERANCE_MONTHS of the trial's own
  now gives way to it, except baseline, the reference visit and 54 months.

The tests build models only (no sampling), so they are fast.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from simulated_trial_files import qol_trial_header

from bayes_scot.builders.longitudinal import LongitudinalModel, LongitudinalOptions
from bayes_scot.builders.longitudinal.options import DEFAULT_VISITS_MONTHS
from bayes_scot.data import load_trial
from bayes_scot.errors import SpecError
from bayes_scot.fitting.prior import estimand_names

VISIT = """
[[visit_summaries]]
id = "qol_{index}"
endpoint = "qol"
population = "itt"
time_months = {time}
statistic = "mean"
mean = {{ drug = {drug}, placebo = {placebo} }}
sd = {{ drug = 10.0, placebo = 10.0 }}
n = {{ drug = {n_drug}, placebo = {n_placebo} }}
source = {{ citation = "SIMULATED", locator = "Table {index}", tag = "reported" }}
"""

# (time, drug mean, placebo mean, n drug, n placebo): the difference in change from
# baseline is 4.5 at the first follow-up visit and 5.5 at the second (SIMULATED).
VISITS = ((0, 50.0, 50.5, 120, 60), (1, 55.0, 51.0, 110, 52), (2, 57.0, 52.0, 100, 45))


def trial_file(tmp_path: Path, times: tuple[float, float, float], unit: str = "months") -> Path:
    """Write the SIMULATED trial with its visits at ``times`` (in ``unit``)."""
    text = qol_trial_header(time_unit=unit) + "".join(
        VISIT.format(index=i, time=t, drug=drug, placebo=placebo, n_drug=nd, n_placebo=np_)
        for (i, drug, placebo, nd, np_), t in zip(VISITS, times, strict=True)
    )
    path = tmp_path / "qolsim.toml"
    path.write_text(textwrap.dedent(text))
    return path


def build(path: Path, **options: object) -> LongitudinalModel:
    """Build the longitudinal model of ``qol`` (no sampling)."""
    trial = load_trial(path, population="itt")
    return LongitudinalModel(trial, options=LongitudinalOptions(endpoints=("qol",),
                                                                **options))  # type: ignore[arg-type]


def change_weights(model: LongitudinalModel, entry: str) -> dict[float, float]:
    """Grid visits and the weights with which the drug arm's number of ``entry`` reads them."""
    table = model.evidence_table()
    used = table[(table["entry"] == entry) & (table["arm"] == "drug") & table["used"]]
    assert len(used) == 1
    rows = [r for g in model._plan.vectors.values() for r in g] + model._plan.independent
    row = next(r for r in rows if r.term.entry == entry and r.term.arm == "drug")
    layout = model._layout
    block = row.coefficients[: layout.n_e * layout.n_a * layout.n_v].reshape(
        layout.n_e, layout.n_a, layout.n_v)[0, layout.arms.index("drug")]
    return {float(v): float(w) for v, w in zip(layout.visits, block, strict=True) if w}


def test_unset_grid_holds_the_trial_visits(tmp_path: Path) -> None:
    model = build(trial_file(tmp_path, (0, 3, 9)))
    assert model.options.visits_months == (0.0, 3.0, 6.0, 9.0, 12.0, 24.0, 36.0, 48.0, 54.0)
    # Each number reads its own node (exactly 1, nothing else): before, the 3-month
    # number read 0.5 x the 6-month node, so the 4.5 seen at 3 months meant 9 at 6.
    assert change_weights(model, "qol_1") == {3.0: 1.0}
    assert change_weights(model, "qol_2") == {9.0: 1.0}
    assert not [w for w in model.warnings() if "between the grid visits" in w]
    assert "interpolated" not in " ".join(model.evidence_table()["note"])


def test_set_grid_warns_of_each_interpolated_number(tmp_path: Path) -> None:
    model = build(trial_file(tmp_path, (0, 3, 9)), visits_months=(0.0, 6.0, 12.0),
                  reference_visit_months=12.0)
    # The change from baseline at baseline is zero, so the 3-month number reads half
    # the 6-month change: a difference of 4.5 at 3 months means 9 at 6.
    assert change_weights(model, "qol_1") == {0.0: 0.5, 6.0: 0.5}
    assert change_weights(model, "qol_2") == {6.0: 0.5, 12.0: 0.5}
    lines = [w for w in model.warnings() if "between the grid visits" in w]
    assert len(lines) == 2  # one per entry, not one per arm
    first, second = lines
    assert "'qol_1'" in first
    assert "at 3 months" in first
    assert "between the grid visits at 0 and 6 months" in first
    assert "0.5 x the 0-month value + 0.5 x the 6-month value" in first
    assert "2 times as large at 6 months" in first
    assert "add 3 to visits_months" in first
    assert "'qol_2'" in second
    assert "between the grid visits at 6 and 12 months" in second
    assert "times as large" not in second  # not next to baseline


def test_a_set_grid_is_kept_as_set(tmp_path: Path) -> None:
    """SCOT's specifications set the grid: it must not change with the trial's times."""
    model = build(trial_file(tmp_path, (0, 3, 9)), visits_months=DEFAULT_VISITS_MONTHS)
    assert model.options.visits_months == DEFAULT_VISITS_MONTHS
    assert list(model.model.coords["visit"]) == list(DEFAULT_VISITS_MONTHS)


def test_times_after_the_default_grid_stay_unused(tmp_path: Path) -> None:
    model = build(trial_file(tmp_path, (0, 6, 60)))
    assert model.options.visits_months == DEFAULT_VISITS_MONTHS
    assert any("'qol_2'" in w and "after the last grid visit" in w for w in model.warnings())


def test_reference_visit_may_be_a_trial_visit_when_the_grid_is_unset(tmp_path: Path) -> None:
    path = trial_file(tmp_path, (0, 3, 9))
    model = build(path, reference_visit_months=9.0)
    assert 9.0 in model.options.visits_months
    assert not [w for w in model.warnings() if "beyond the last datum" in w]
    with pytest.raises(SpecError) as err:
        build(path, reference_visit_months=10.0)
    assert err.value.field == "reference_visit_months"


def test_weeks_visit_reaches_the_month_grid_visit(tmp_path: Path) -> None:
    """52 weeks are 11.96 months: the 12-month reference visit is not an extrapolation."""
    model = build(trial_file(tmp_path, (0, 26, 52), unit="weeks"),
                  visits_months=(0.0, 6.0, 12.0), reference_visit_months=12.0)
    last = 52 * 7 / 30.4375
    assert np.isclose(max(model.options.visits_months[1:]), 12.0)
    # Neither the label nor a warning of interpolation: 26 and 52 weeks are the 6- and
    # 12-month visits, within DATUM_TOLERANCE_MONTHS (0.25) of them.
    assert not [w for w in model.warnings()
                if "beyond the last datum" in w or "between the grid visits" in w]
    assert model._extrapolated("qol", (12.0, 12.0)) is False
    # The tolerance is a label's, not a licence: 12.3 months is beyond 11.96 by more.
    assert model._extrapolated("qol", (last + 0.3, last + 0.3)) is True


def test_a_default_visit_gives_way_to_the_trial_visit_it_stands_for(tmp_path: Path) -> None:
    """26 and 52 weeks (5.98 and 11.96 months) replace the default 6 and 12, not join them."""
    path = trial_file(tmp_path, (0, 26, 52), unit="weeks")
    model = build(path)
    six, twelve = 26 * 7 / 30.4375, 52 * 7 / 30.4375
    # Before: (0, 5.98, 6, 11.96, 12, 24, 36, 48, 54).
    assert model.options.visits_months == (0.0, six, twelve, 24.0, 36.0, 48.0, 54.0)
    assert change_weights(model, "qol_2") == {twelve: 1.0}
    names = estimand_names(model, model.prior_data(model.prior_grid()["reference"]))
    assert names is not None
    rows = sorted(k for _e, k in names if k.startswith("change_difference_"))
    # Rows are named by the trial's own times; the reference row keeps its name.
    assert rows == ["change_difference_11.9589", "change_difference_24",
                    "change_difference_36", "change_difference_48",
                    "change_difference_5.97947", "change_difference_54"]


def test_baseline_and_the_reference_visit_never_give_way(tmp_path: Path) -> None:
    """The reference visit stays beside a trial visit within the tolerance of it."""
    model = build(trial_file(tmp_path, (0, 26, 52), unit="weeks"),
                  reference_visit_months=12.0)
    six, twelve = 26 * 7 / 30.4375, 52 * 7 / 30.4375
    assert model.options.visits_months == (0.0, six, twelve, 12.0, 24.0, 36.0, 48.0, 54.0)
    # 234 weeks (53.77 months) is within 0.25 months of 54, the default grid's last
    # visit (the model-based GRCS's default horizon), reference visit or not: 54 stays.
    # A visit at 0.1 months lies within the tolerance of baseline: 0 stays.
    path = trial_file(tmp_path, (0, 0.1 * 30.4375 / 7, 234), unit="weeks")
    for reference in (54.0, 12.0):
        late = build(path, reference_visit_months=reference)
        assert late.options.visits_months == (0.0, 0.1, 6.0, 12.0, 24.0, 36.0, 48.0,
                                              234 * 7 / 30.4375, 54.0)
