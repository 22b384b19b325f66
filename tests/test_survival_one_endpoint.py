"""The one-endpoint survival model: which model runs, evidence routes, grids, labels.

No MCMC: posterior-shaped inputs are prior draws of the model's own variables
(``pm.draw`` with Python implementations). The trials are public patient-level data
reduced to published summaries (tests/_published.py).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import _published as published
import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytest

from bayes_scot.builders.piecewise_exponential import (
    PiecewiseExponentialModel,
    default_times,
)
from bayes_scot.builders.piecewise_exponential.exposure import (
    restricted_mean,
    sufficient_statistics,
)
from bayes_scot.builders.survival import SurvivalModel, SurvivalOptions, survival_model
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import ReportedRatio, SurvivalEstimate

PYTHON_MODE = "FAST_COMPILE"


@pytest.fixture(scope="module")
def rossi():
    return published.rossi()


@pytest.fixture(scope="module")
def gbsg2():
    return published.gbsg2()


def _prior_idata(model: PiecewiseExponentialModel):
    names = ["hazard", "log_hr", "log_hazard_ratio", "survival"]
    draws = pm.draw([model.model[n] for n in names], draws=100, random_seed=3,
                    mode=PYTHON_MODE)
    posterior = {n: d.reshape(2, 50, *d.shape[1:]) for n, d in zip(names, draws, strict=True)}
    dims = {n: list(model.model.named_vars_to_dims.get(n, ())) for n in names}
    coords = {k: list(v) for k, v in model.model.coords.items()}
    return az.from_dict(posterior=posterior, dims=dims, coords=coords)


def test_efs_and_os_keep_the_illness_death_model(scot_all):
    model = survival_model(scot_all)
    assert isinstance(model, SurvivalModel)
    assert model.assumptions()[0].startswith("Model: illness-death model")


def test_one_declared_endpoint_gets_the_one_endpoint_model(rossi):
    model = survival_model(published.landmark_counts(rossi, [3.0, 6.0, 9.0, 11.9]))
    assert isinstance(model, PiecewiseExponentialModel)
    assert model.endpoint == "arrest_free"
    assert "piecewise-exponential" in model.assumptions()[0]
    estimands = model.estimands(_prior_idata(model))
    assert {e.endpoint for e in estimands} == {"arrest_free"}
    headline = next(e for e in estimands if e.estimand == "hazard_ratio_common")
    # Labels come from the trial: the declared endpoint's label and the arms as written.
    assert headline.label.startswith("Arrest-free survival hazard ratio")
    assert "aid vs no_aid" in headline.label
    assert not any("EFS" in e.label or "HSCT" in e.label for e in estimands)


def test_a_single_endpoint_of_scot_uses_the_one_endpoint_model(scot_all):
    only_os = dataclasses.replace(
        scot_all, entries=tuple(e for e in scot_all.entries if e.endpoint != "efs")
    )
    model = survival_model(only_os)
    assert isinstance(model, PiecewiseExponentialModel)
    assert model.endpoint == "os"
    assert {e.endpoint for e in model.estimands(_prior_idata(model))} == {"os"}


def test_no_survival_evidence_is_a_one_line_error(rossi):
    trial = published.landmark_counts(rossi, [6.0])
    empty = dataclasses.replace(trial, entries=())
    with pytest.raises(EvidenceError, match="no time-to-event evidence") as err:
        survival_model(empty)
    assert "\n" not in str(err.value)


def test_a_family_without_usable_evidence_is_an_error(rossi):
    trial = published.landmark_counts(rossi, [6.0])
    odds = ReportedRatio(id="or", endpoint="arrest_free", population="itt",
                         source=published.SOURCE, measure="OR", estimate=0.7, lower=0.5,
                         upper=0.98)
    with pytest.raises(EvidenceError, match="no usable evidence") as err:
        PiecewiseExponentialModel(dataclasses.replace(trial, entries=(odds,)))
    assert "\n" not in str(err.value)


def test_landmark_series_enter_as_conditional_counts(rossi):
    model = survival_model(published.landmark_counts(rossi, [3.0, 6.0, 11.9]))
    terms = model.likelihood_terms
    assert [t[3]["times"] for t in terms] == [(0.0, 3.0), (3.0, 6.0), (6.0, 11.9)]
    # The second term's at-risk count is n minus the events by 3 months.
    events3 = terms[0][2]["events"]
    np.testing.assert_array_equal(terms[1][2]["n"], model.n - events3)
    assert model.evidence_log["used"].all()


def test_every_km_estimate_of_a_series_enters(gbsg2):
    model = survival_model(published.km_estimates(gbsg2, [12.0, 24.0, 36.0, 48.0, 60.0]))
    log = model.evidence_log
    assert log["used"].all()
    assert set(log["term"]) == {"survival_estimates"}
    sizes = np.array([t[2]["effective_n"] for t in model.likelihood_terms])
    # Conditional terms: each later estimate carries only the information it adds, which
    # is less than the patients still at risk (and never more than n).
    assert np.all(sizes > 0)
    assert np.all(sizes <= model.n)
    assert np.all(np.diff(sizes[:, 1]) < 0)


def test_a_single_km_estimate_of_one_endpoint_builds(gbsg2):
    trial = published.km_estimates(gbsg2, [36.0], with_ci=True)
    model = survival_model(trial)
    assert model.estimand_times == (36.0,)
    assert model.last_datum == 36.0


def test_grids_come_from_the_follow_up(gbsg2):
    model = survival_model(published.digitised_curves(gbsg2, [0, 12, 24, 36, 48, 60, 72]))
    assert model.edges[0] == 0.0
    assert model.edges[-1] == pytest.approx(87.4)
    assert len(model.edges) == 7  # six intervals with about equal numbers of events
    assert model.weights == pytest.approx(np.full(6, 1 / 6), abs=0.02)
    assert model.estimand_times == (24.0, 48.0, 72.0)
    assert max(model.estimand_times) <= model.last_datum
    assert model.rmst_horizons == (72.0,)
    assert default_times(11.9) == (3.0, 6.0, 9.0)
    assert default_times(0.5) == (0.5,)


def test_estimands_beyond_the_last_datum_are_labelled_extrapolation(rossi):
    trial = published.landmark_counts(rossi, [6.0, 11.9])
    options = SurvivalOptions(estimand_times_months=(6.0, 24.0))
    model = survival_model(trial, options=options)
    rows = {e.estimand: e for e in model.estimands(_prior_idata(model))}
    assert rows["survival_difference_24"].attrs["extrapolated"] is True
    assert "extrapolated" in rows["survival_difference_24"].label
    assert rows["survival_difference_6"].attrs["extrapolated"] is False
    assert rows["survival_difference_6"].evidence == "trial"


def test_an_interval_straddling_the_last_datum_is_labelled_extrapolation(rossi):
    """A grid the specification sets may end after the data: 6-18 months with data to 11.9."""
    trial = published.landmark_counts(rossi, [6.0, 11.9])
    options = SurvivalOptions(interval_boundaries_months=(0.0, 6.0, 18.0))
    model = survival_model(trial, options=options)
    rows = {e.estimand: e for e in model.estimands(_prior_idata(model))}
    assert rows["hazard_ratio_6_18"].attrs["extrapolated"] is True
    assert "extrapolated beyond the last datum at 11.9 months" in rows[
        "hazard_ratio_6_18"].label
    assert rows["hazard_ratio_0_6"].attrs["extrapolated"] is False


def test_scot_rows_beyond_its_itt_data_are_extrapolation(scot_all, scot_survival):
    model = SurvivalModel(scot_all, options=scot_survival["itt"])
    assert model.last_datum == 54.0
    names = ["hazard", "trial_log_hr", "survival_efs", "survival_os"]
    draws = pm.draw([model.model[n] for n in names], draws=40, random_seed=1,
                    mode=PYTHON_MODE)
    posterior = {n: d.reshape(2, 20, *d.shape[1:]) for n, d in zip(names, draws, strict=True)}
    idata = az.from_dict(posterior=posterior,
                         dims={n: list(model.model.named_vars_to_dims[n]) for n in names},
                         coords={k: list(v) for k, v in model.model.coords.items()})
    rows = {(e.endpoint, e.estimand): e for e in model.estimands(idata)}
    assert rows[("os", "survival_difference_72")].attrs["extrapolated"] is True
    assert rows[("efs", "hazard_ratio_54_72")].attrs["extrapolated"] is True
    assert rows[("efs", "survival_difference_54")].attrs["extrapolated"] is False
    assert rows[("efs", "hazard_ratio_common")].evidence == "trial"


def test_headline_is_the_event_weighted_mean_of_interval_effects(gbsg2):
    model = survival_model(published.km_estimates(gbsg2, [12.0, 24.0, 36.0, 48.0, 60.0]))
    posterior = _prior_idata(model).posterior
    beta = posterior["log_hazard_ratio"].to_numpy()
    mu = posterior["log_hr"].to_numpy()
    np.testing.assert_allclose(beta @ model.weights, mu, atol=1e-10)


def test_common_structure_has_proportional_hazards(gbsg2):
    trial = published.km_estimates(gbsg2, [12.0, 24.0, 36.0])
    model = survival_model(trial, options=SurvivalOptions(effect_structure="common"))
    assert "interval_effect_z" not in model.model.named_vars
    beta = _prior_idata(model).posterior["log_hazard_ratio"].to_numpy()
    np.testing.assert_allclose(beta, beta[..., :1] * np.ones(beta.shape[-1]))


def test_baseline_prior_is_scaled_from_the_trial(rossi, gbsg2):
    fast = survival_model(published.landmark_counts(rossi, [11.9]))
    pooled = 1.0 - sum(fast.likelihood_terms[0][2]["events"]) / sum(fast.n)
    assert fast.baseline_mean == pytest.approx(math.log(-math.log(pooled) / 11.9))
    slow = survival_model(published.km_estimates(gbsg2, [60.0]))
    assert slow.baseline_mean < fast.baseline_mean  # GBSG-2's hazard is lower


def test_events_on_interval_boundaries_give_the_exact_likelihood_statistics():
    """Events tied with a boundary count where their time at risk ends.

    Four patients per arm, events at exactly 1 and 2 months (two each), boundaries
    0, 1, 2: everyone is at risk for 1 month in the first interval (4 months in all) and
    the two later ones for 1 month in the second (2 months). The piecewise-exponential
    maximum-likelihood hazards are then d_k / E_k = 2/4 and 2/2; counting an event on a
    boundary in the next interval would give 0 and 2 (no events where all the exposure
    is). Exact arithmetic, so exact equality.
    """
    frame = pd.DataFrame({"time": [1.0, 1.0, 2.0, 2.0], "event": [1, 1, 1, 1]})
    events, exposure = sufficient_statistics([frame, frame], np.array([0.0, 1.0, 2.0]))
    assert events.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    assert exposure.tolist() == [[4.0, 2.0], [4.0, 2.0]]
    assert (events / exposure)[0].tolist() == [0.5, 1.0]


def test_rmst_closed_form():
    hazards = np.array([[0.1, 0.2]])
    edges = np.array([0.0, 2.0, 5.0])
    # Constant hazard 0.1 to 2, then 0.2: integrate S numerically.
    grid = np.linspace(0.0, 4.0, 400_001)
    s = np.exp(-np.where(grid < 2, 0.1 * grid, 0.2 + 0.2 * (grid - 2)))
    expected = np.trapezoid(s, grid)
    assert restricted_mean(hazards, edges, 4.0)[0] == pytest.approx(expected, rel=1e-8)


def test_reported_ratio_alone_gives_only_the_hazard_ratio(gbsg2):
    model = survival_model(published.reported_hr(gbsg2))
    rows = model.estimands(_prior_idata(model))
    assert [e.estimand for e in rows] == ["hazard_ratio_common"]


def test_reproduce_predicts_every_published_summary(gbsg2):
    trial = published.km_estimates(gbsg2, [12.0, 36.0])
    model = survival_model(trial)
    table = model.reproduce(_prior_idata(model))
    assert len(table) == 4
    assert set(table["statistic"]) == {"survival"}
    assert table["used"].all()
    assert not any(isinstance(e, SurvivalEstimate) and e.endpoint != "recurrence_free"
                   for e in trial.entries)


EXAMPLE = Path(__file__).parent.parent / "examples" / "one_endpoint"


def test_example_trial_file_converts_weeks_to_months():
    from bayes_scot.data import load_trial

    trial = load_trial(EXAMPLE / "rossi_1980.toml", population="itt")
    assert trial.name == "rossi"
    assert trial.time_unit == "weeks"
    ratio = next(e for e in trial.entries if e.id == "cox_hr")
    assert ratio.window_months == pytest.approx((0.0, 52 * 7 * 12 / 365.25))
    curve = next(e for e in trial.entries if e.id == "curve_aid")
    assert curve.risk_times[1] == pytest.approx(8 * 7 * 12 / 365.25)
    model = survival_model(trial)
    assert model.last_datum == pytest.approx(12.0)
    assert any("in weeks, converted to months" in a for a in model.assumptions())
    log = model.evidence_log.set_index("entry")
    assert log.loc["curve_aid", "used"]
    assert log.loc["curve_no_aid", "used"]
    assert not log.loc["cox_hr", "used"]  # the curves hold the same patients


def test_a_trial_without_survival_evidence_exits_2(tmp_path, capsys):
    from bayes_scot.cli import main

    text = (EXAMPLE / "rossi_1980.toml").read_text()
    text = text[: text.index("[[km_curves]]")]
    (tmp_path / "empty.toml").write_text(text)
    spec = (EXAMPLE / "one_endpoint.toml").read_text().replace("rossi_1980.toml",
                                                               "empty.toml")
    (tmp_path / "spec.toml").write_text(spec)
    code = main(["report", str(tmp_path / "spec.toml"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert "no time-to-event evidence" in err[0]


def test_every_named_prior_holds_on_the_headline_hazard_ratio(gbsg2):
    """Prior predictive of hazard_ratio_common under each named prior, from the model.

    20,000 prior draws per prior: the Monte Carlo SE of a tail probability is at most
    0.0035, so 0.015 (about 4 SE) separates error from a prior that misses its estimand.
    """
    model = survival_model(published.km_estimates(gbsg2, [12.0, 24.0, 36.0, 48.0, 60.0]))
    thresholds = np.log([0.5, 0.8, 1.0, 1.25])
    tails = {}
    for name, prior in model.prior_grid().items():
        with model.model:
            pm.set_data(model.prior_data(prior))
            log_hr = pm.draw(model.model["log_hr"], draws=20_000, random_seed=11,
                             mode=PYTHON_MODE)
        for q in thresholds:
            assert np.mean(log_hr < q) == pytest.approx(prior.prob_below(q), abs=0.015)
        tails[name] = np.mean(log_hr < math.log(0.8))
    # Strengths differ as their statements do: 5%, 15% and 30% below the margin.
    assert tails["skeptical_strong"] == pytest.approx(0.05, abs=0.015)
    assert tails["skeptical_moderate"] == pytest.approx(0.15, abs=0.015)
    assert tails["skeptical_weak"] > tails["skeptical_moderate"] + 0.05


def _wanted_event(data: published.PatientData) -> published.PatientData:
    """The same numbers read as an event the experimental arm should bring sooner."""
    return dataclasses.replace(data, endpoint=dataclasses.replace(data.endpoint,
                                                                  better="lower"))


def test_a_wanted_event_turns_the_prior_grid_and_the_margins(gbsg2):
    """With ``better = "lower"`` a hazard ratio above 1 is the benefit, priors included.

    Prior predictive of the reported hazard_ratio_common, 20,000 draws per prior (Monte
    Carlo SE at most 0.0035; tolerance 0.015 as above): the skeptical statements hold on
    the margin's side above 1, the optimistic priors favour the experimental arm, and the
    defaults are the reciprocals of a harmful event's (2 and 1.25).
    """
    model = survival_model(published.km_estimates(_wanted_event(gbsg2), [12.0, 24.0, 36.0]))
    assert model.options.benefit_hazard_ratios("lower") == (2.0, 1.25)
    grid = model.prior_grid()
    assert grid["optimistic_moderate"].mean == pytest.approx(math.log(2.0))
    assert grid["pessimistic_moderate"].mean < 0.0
    assert "1.25" in grid["skeptical_strong"].statement
    tails = {}
    for name in ("skeptical_strong", "skeptical_moderate", "optimistic_moderate",
                 "pessimistic_moderate"):
        with model.model:
            pm.set_data(model.prior_data(grid[name]))
            log_hr = pm.draw(model.model["log_hr"], draws=20_000, random_seed=11,
                             mode=PYTHON_MODE)
        tails[name] = np.mean(log_hr > math.log(1.25))
        superior = np.mean(log_hr > 0.0)
        if name.startswith("optimistic"):
            assert superior > 0.5
        if name.startswith("pessimistic"):
            assert superior < 0.5
    assert tails["skeptical_strong"] == pytest.approx(0.05, abs=0.015)
    assert tails["skeptical_moderate"] == pytest.approx(0.15, abs=0.015)
    found = {e.estimand: e for e in model.estimands(_prior_idata(model))}
    common = found["hazard_ratio_common"]
    assert (common.superior, common.mcid) == ("higher", pytest.approx(1.25))
    # S(t) of a wanted event is the probability of still waiting for it: said so.
    assert found["survival_difference_12"].label.endswith(
        "(probability still free of the event)")
    assert "restricted mean time free of the event" in found["rmst_difference_36"].label


def test_a_wanted_event_refuses_a_design_hazard_ratio_below_1(gbsg2):
    trial = published.km_estimates(_wanted_event(gbsg2), [12.0, 24.0])
    with pytest.raises(EvidenceError, match="above 1 favours the experimental arm") as err:
        PiecewiseExponentialModel(trial, options=SurvivalOptions(design_hazard_ratio=0.5))
    assert err.value.field == "design_hazard_ratio"
    model = PiecewiseExponentialModel(trial, options=SurvivalOptions(
        design_hazard_ratio=1.5, hazard_ratio_margin=1.1))
    assert model.prior_grid()["optimistic_moderate"].mean == pytest.approx(math.log(1.5))


def test_a_margin_on_the_harm_side_names_the_spec_option(tmp_path, capsys):
    import shutil

    from bayes_scot.cli import main

    shutil.copytree(EXAMPLE, tmp_path, dirs_exist_ok=True)
    trial = tmp_path / "rossi_1980.toml"
    trial.write_text(trial.read_text().replace('better = "higher"', 'better = "lower"'))
    (tmp_path / "spec.toml").write_text((EXAMPLE / "one_endpoint.toml").read_text())
    code = main(["report", str(tmp_path / "spec.toml"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert "spec.toml" in err[0]
    assert "survival.options.hazard_ratio_margin" in err[0]
    assert "above 1 favours the experimental arm" in err[0]
    assert not (tmp_path / "out").exists()


def test_illness_death_common_effect_structure(scot_all):
    model = SurvivalModel(scot_all, options=SurvivalOptions(effect_structure="common"))
    assert "transition_effect_z" not in model.model.named_vars
    names = ["trial_log_hr", "log_hazard_ratio"]
    common, beta = pm.draw([model.model[n] for n in names], draws=20, random_seed=2,
                           mode=PYTHON_MODE)
    np.testing.assert_allclose(beta, np.broadcast_to(common[:, :, None, None], beta.shape))
    assert model.structure_key != SurvivalModel(scot_all).structure_key
