"""What the survival models report when the evidence identifies only part of it.

Every trial here is SIMULATED (invented numbers, labelled so in its title).

- Hazard ratios identify hazard ratios, not survival levels: with only EFS and OS
  hazard ratios the illness-death model's per-arm survival, survival differences and
  RMST would be set by the baseline-hazard prior, so it reports hazard ratios only and
  says so, as the one-endpoint model does; estimand times and RMST horizons that the
  options ask for are named as not estimated.
- An OS hazard ratio reported beside an EFS one and left out is named in the warnings,
  and in the OS rows where any are reported (predicted from EFS, not "no OS data"): with
  no survival level and no borrowing, none are, as they would follow the prior.
- A binary endpoint's landmark counts read ``better`` as the proportion with the event:
  ``better = "lower"`` (fewer events) is the usual time-to-event direction, ``"higher"``
  a wanted event.

Fast: prior draws stand in for a posterior (only shapes, labels and directions are
checked).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from simulated_trial_files import RATIO, trial_header

from bayes_scot import _compat
from bayes_scot.builders.piecewise_exponential import PiecewiseExponentialModel
from bayes_scot.builders.survival import SurvivalModel, SurvivalOptions, survival_model
from bayes_scot.data import load_trial
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import Endpoint
from bayes_scot.fitting.prior import PriorSampler

TITLE = "SIMULATED trial for the survival tests (not real data)"

LANDMARK = """
[[landmark_events]]
id = "{endpoint}_12"
endpoint = "{endpoint}"
population = "itt"
time_months = 12
events = {{ drug = {events[0]}, control = {events[1]} }}
n = {{ drug = 120, control = 118 }}
source = {{ ref = "paper", locator = "Table 2", tag = "reported", note = "SIMULATED." }}
"""

TIMES = {"estimand_times_months": (12.0, 24.0), "rmst_horizons_months": (24.0,)}


def _load(tmp_path: Path, name: str, body: str):
    path = tmp_path / f"{name}.toml"
    path.write_text(trial_header(name, title=TITLE) + body)
    return load_trial(path)


def _prior_idata(model, draws: int = 40):
    """Prior draws in a posterior's layout: the estimands' shapes without MCMC."""
    data = model.prior_data(model.prior_grid()["reference"])
    sample = PriorSampler(model.model).sample(data, chains=2, draws=draws // 2, seed=5)
    return _compat.inference_data(posterior=sample)


def _efs_os_ratios(tmp_path: Path):
    """SIMULATED: EFS HR 0.70 (0.55-0.89) and OS HR 0.80 (0.60-1.07) over 48 months."""
    body = (RATIO.format(endpoint="efs", estimate=0.70, lower=0.55, upper=0.89)
            + RATIO.format(endpoint="os", estimate=0.80, lower=0.60, upper=1.07))
    return _load(tmp_path, "sim_two_ratios", body)


# -- hazard ratios alone -----------------------------------------------------------------
def test_hazard_ratios_alone_give_no_survival_level_in_the_illness_death_model(tmp_path):
    model = survival_model(_efs_os_ratios(tmp_path))
    assert isinstance(model, SurvivalModel)
    rows = model.estimands(_prior_idata(model))
    assert {e.estimand for e in rows} == {"hazard_ratio_0_48", "hazard_ratio_common"}
    assert model.curve_variables == {}  # no prior-set curve is drawn either
    assert any("gives only hazard ratios, which identify no survival level" in w
               for w in model.warnings())
    assert not any("not estimated" in w for w in model.warnings())  # nothing was asked


def test_an_unused_os_ratio_gives_no_os_row_when_nothing_identifies_one(tmp_path):
    """Predicted from EFS with no survival level, an OS hazard ratio would follow the prior.

    Without a survival level, the OS hazard ratio implied by the EFS one runs through the
    baseline hazards (the death rate after an organ failure above all), which only their
    prior sets; without borrowing, nothing else informs it, so no OS row is reported and
    the warning says why, naming the OS entry left out.
    """
    model = survival_model(_efs_os_ratios(tmp_path))
    assert not [e for e in model.estimands(_prior_idata(model)) if e.endpoint == "os"]
    assert any(w.startswith("survival: sim_two_ratios reports OS but the fit does not use "
                            "it (os_hr: EFS and OS ratios describe the same patients")
               and w.endswith("no OS row is reported: predicted from EFS with no survival "
                              "level, it would follow the baseline-hazard prior")
               for w in model.warnings())


def test_an_endpoint_left_out_is_named_in_its_rows():
    """A row of an endpoint whose entries were left out says so, and what it rests on."""
    import numpy as np

    from bayes_scot.builders.survival.estimands import Coverage, mark_without_data
    from bayes_scot.stats.estimands import EstimandDraws

    row = EstimandDraws(endpoint="os", estimand="hazard_ratio_0_48", label="OS HR",
                        draws=np.ones((2, 3)), null=1.0, superior="lower",
                        evidence="trial + astis")
    coverage = Coverage(trial="sim", effect=frozenset({"efs"}), level=frozenset(),
                        unused={"os": "os_hr: why"})
    marked = mark_without_data(row, coverage)
    assert marked.attrs["no_data"]
    assert marked.evidence == ("OS reported by sim but not used (os_hr: why): predicted "
                               "through the model from EFS and astis")


def test_a_ratio_only_endpoint_beside_the_other_endpoints_counts_has_no_level(tmp_path):
    """EFS counts set the survival level; OS, given only as a hazard ratio, has none."""
    body = (LANDMARK.format(endpoint="efs", events=(30, 45))
            + RATIO.format(endpoint="os", estimate=0.80, lower=0.60, upper=1.07))
    model = survival_model(_load(tmp_path, "sim_counts_and_ratio", body))
    assert isinstance(model, SurvivalModel)
    rows = model.estimands(_prior_idata(model))
    levels = [e for e in rows if "time_months" in e.attrs]
    assert {e.endpoint for e in levels} == {"efs", "os"}
    for e in levels:
        if e.endpoint == "efs":
            assert not e.attrs.get("no_data")
            assert e.evidence.startswith("trial")
        else:
            assert e.attrs["no_data"]
            assert e.evidence.startswith("OS of sim_counts_and_ratio only as a hazard ratio: "
                                         "its survival level is predicted through the model "
                                         "from EFS"), e.evidence
    # The OS hazard ratio itself is the trial's evidence.
    assert not any(e.attrs.get("no_data") for e in rows if "time_months" not in e.attrs)
    assert model.curve_variables  # the EFS level is identified: curves are drawn


@pytest.mark.parametrize("two_endpoints", [True, False])
def test_requested_times_of_a_ratio_only_trial_are_named_as_not_estimated(tmp_path,
                                                                          two_endpoints):
    trial = (_efs_os_ratios(tmp_path) if two_endpoints else _load(
        tmp_path, "sim_os_ratio", RATIO.format(endpoint="os", estimate=0.8, lower=0.6,
                                               upper=1.07)))
    model = survival_model(trial, options=SurvivalOptions(**TIMES))
    assert isinstance(model, SurvivalModel if two_endpoints else PiecewiseExponentialModel)
    assert not any(e.estimand.startswith(("survival_", "rmst_"))
                   for e in model.estimands(_prior_idata(model)))
    assert model.curve_variables == {}
    (line,) = [w for w in model.warnings() if "not estimated" in w]
    assert line.startswith("survival: estimand_times_months [12.0, 24.0] and "
                           "rmst_horizons_months [24.0] not estimated: "), line


# -- binary endpoints --------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "better", "wanted"), [
    ("time_to_event", "higher", False), ("time_to_event", "lower", True),
    ("binary", "lower", False), ("binary", "higher", True),
])
def test_event_wanted_reads_better_on_the_endpoints_own_scale(kind, better, wanted):
    endpoint = Endpoint(name="x", label="X", kind=kind, better=better)
    assert endpoint.event_wanted is wanted


def test_a_continuous_endpoint_has_no_event():
    with pytest.raises(EvidenceError, match="counts no event"):
        _ = Endpoint(name="x", label="X", kind="continuous", better="lower").event_wanted


DECLARED = """
[endpoints.infection]
label = "Infection"
kind = "binary"
better = "{better}"
"""


@pytest.mark.parametrize(("endpoint", "better", "survival_side", "ratio_side", "margin"), [
    # Built-in, fewer with the event is better: event-free higher, HR below 1 favours.
    ("renal_crisis", None, "higher", "lower", 0.8),
    # Declared in the file, fewer infections are better: the same.
    ("infection", "lower", "higher", "lower", 0.8),
    # Declared, more with the event is better: the event is wanted, reversed.
    ("infection", "higher", "lower", "higher", 1.25),
])
def test_binary_landmark_counts_follow_the_endpoints_direction(
        tmp_path, endpoint, better, survival_side, ratio_side, margin):
    """SIMULATED: 20 of 120 vs 40 of 118 with the event by 12 months."""
    body = (DECLARED.format(better=better) if better else "") + LANDMARK.format(
        endpoint=endpoint, events=(20, 40))
    trial = _load(tmp_path, "sim_binary", body)
    model = survival_model(trial, options=SurvivalOptions(endpoint=endpoint))
    assert isinstance(model, PiecewiseExponentialModel)
    assert model.better == survival_side
    rows = {e.estimand: e for e in model.estimands(_prior_idata(model))}
    assert rows["survival_difference_12"].superior == survival_side
    assert rows["rmst_difference_12"].superior == survival_side
    assert rows["hazard_ratio_common"].superior == ratio_side
    assert rows["hazard_ratio_common"].mcid == pytest.approx(margin)
    # A binary endpoint's label names the event: the curve is the probability free of it.
    assert rows["survival_drug_12"].label.endswith("(probability still free of the event)")
    # The named priors are stated on the benefit side of the endpoint's direction.
    optimistic = model.prior_grid()["optimistic_strong"]
    assert (optimistic.mean < 0) == (ratio_side == "lower")


def test_a_continuous_endpoint_named_for_the_survival_model_is_refused(tmp_path):
    body = LANDMARK.format(endpoint="efs", events=(30, 45))
    trial = _load(tmp_path, "sim_efs_counts", body)
    with pytest.raises(EvidenceError, match="'haq_di' is continuous: it counts no event"):
        PiecewiseExponentialModel(trial, options=SurvivalOptions(endpoint="haq_di"))
