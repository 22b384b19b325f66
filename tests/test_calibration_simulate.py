"""Simulators of the calibration studies: what they read from a built model, and the data
they simulate at a design (all simulated; no fit here)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import bayes_scot.calibration as calibration
from bayes_scot.builders.survival import SurvivalModel
from bayes_scot.data import load_trial

PACKAGE = Path(calibration.__file__).parent


def test_calibration_reads_no_private_attribute_of_another_object() -> None:
    # The simulators use the builders' public API only (for instance
    # SurvivalModel.likelihood_terms), so a builder may change its internals freely.
    offending = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id == "self")
            ):
                offending.append(f"{path.name}:{node.lineno}: .{node.attr}")
    assert offending == []


@pytest.fixture(scope="module")
def scot_survival() -> SurvivalModel:
    return SurvivalModel(load_trial("scot", population="itt"))


def test_likelihood_terms_are_the_evidence_plan(scot_survival: SurvivalModel) -> None:
    terms = scot_survival.likelihood_terms
    assert isinstance(terms, tuple)
    # SCOT's ITT counts by 48 months, the 48-54 month interval, deaths by 12 months.
    assert [t.kind for t in terms] == ["landmark_states", "interval_states", "deaths_by_time"]
    names = {v.name for v in scot_survival.model.data_vars}
    for number, term in enumerate(terms):
        for key in term.data:
            assert f"scot_{number}_{term.kind}_{key}" in names
    assert np.array_equal(terms[0].data["counts"].sum(axis=1), [36, 39])


# -- the one-endpoint model: every evidence kind it can use ---------------------------------
def _one_endpoint(kind: str):
    import _published as published

    from bayes_scot.builders.survival import survival_model

    data = published.gbsg2()
    trial = {
        "landmarks": lambda: published.landmark_counts(data, [12.0, 36.0]),
        "km": lambda: published.km_estimates(data, [12.0, 36.0]),
        "curves": lambda: published.digitised_curves(data, [0, 12, 24, 36, 48, 60, 72]),
        "ratio": lambda: published.reported_hr(data),
    }[kind]()
    return survival_model(trial)


@pytest.mark.parametrize("kind", ["landmarks", "km", "curves", "ratio"])
def test_one_endpoint_trials_are_simulated_as_the_model_reads_them(kind: str) -> None:
    """Every data container of the evidence is simulated, at a known true hazard ratio.

    2000 simulated trials of GBSG2's size (686 patients) with a constant control hazard
    and HR 0.5: the simulated summaries recover the truth within a few Monte Carlo SEs.
    """
    from bayes_scot.calibration.simulate import make_simulator

    model = _one_endpoint(kind)
    simulator = make_simulator(model, "survival")
    assert simulator.headline.name == "log_hr"
    trials = simulator.datasets_at_effect(0.5, 2000, np.random.default_rng(4))
    names = {v.name for v in model.model.data_vars}
    # The effective sample size of a Kaplan-Meier estimate is the design's: kept.
    evidence = {
        n
        for n in names
        if n.startswith(f"{model.target.name}_") and not n.endswith("_effective_n")
    }
    assert set(trials[0]) == evidence
    h0 = float(np.exp(model.baseline_mean))
    stacked = {k: np.stack([t[k] for t in trials]) for k in trials[0]}
    if kind == "ratio":
        (estimate,) = (v for k, v in stacked.items() if k.endswith("_log_estimate"))
        (se,) = (v for k, v in stacked.items() if k.endswith("_se"))
        # The rate ratio of exponential patients: mean log HR within 0.01 of log 0.5 (its
        # Monte Carlo SE is about 0.14 / sqrt(2000) = 0.003), SD near the mean SE.
        assert estimate.mean() == pytest.approx(np.log(0.5), abs=0.01)
        assert estimate.std() == pytest.approx(se.mean(), rel=0.1)
    elif kind == "curves":
        (events,) = (v for k, v in stacked.items() if k.endswith("_events"))
        (exposure,) = (v for k, v in stacked.items() if k.endswith("_exposure"))
        rates = events.sum(axis=(0, 2)) / exposure.sum(axis=(0, 2))  # per arm
        np.testing.assert_allclose(rates, [0.5 * h0, h0], rtol=0.02)
    elif kind == "landmarks":
        first = next(k for k in stacked if k.endswith("_events"))
        n = stacked[first.replace("_events", "_n")]
        share = stacked[first].sum(axis=0) / n.sum(axis=0)
        t1 = model.likelihood_terms[0][3]["times"][1]
        np.testing.assert_allclose(share, 1 - np.exp(-np.array([0.5, 1.0]) * h0 * t1), rtol=0.02)
    else:
        first = next(k for k in stacked if k.endswith("_conditional"))
        t1 = model.likelihood_terms[0][3]["times"][1]
        np.testing.assert_allclose(
            stacked[first].mean(axis=0), np.exp(-np.array([0.5, 1.0]) * h0 * t1), rtol=0.02
        )


def test_prior_draws_give_truths_and_trials_for_calibration() -> None:
    from bayes_scot.calibration.simulate import make_simulator

    model = _one_endpoint("curves")
    simulator = make_simulator(model, "survival")
    prior = model.prior_data(model.prior_grid()["reference"])
    truth, trials = simulator.simulate(prior, 3, seed=5)
    assert set(truth) == {q.name for q in simulator.quantities}
    assert all(v.shape == (3,) for v in truth.values())
    assert len(trials) == 3
    assert set(prior) <= set(trials[0])


def test_scot_per_protocol_evidence_is_simulated_as_the_model_reads_it() -> None:
    from bayes_scot import _compat
    from bayes_scot.calibration.design import Design
    from bayes_scot.calibration.simulate import make_simulator
    from bayes_scot.calibration.study import build_design, prior_sets
    from bayes_scot.spec import load_spec

    # SCOT's per-protocol analysis adds Kaplan-Meier estimates at 72 months, given the
    # state counts at 54 months.
    model = build_design("scot_pp", "survival", Design())
    simulator = make_simulator(model, "survival")
    prior = model.prior_data(prior_sets(load_spec("scot_pp"), "survival", model)["reference"])
    _, trials = simulator.simulate(prior, n=4, seed=1)
    published = _compat.data_values(model.model)
    key = next(k for k in published if k.endswith("survival_estimates_observed"))
    start = key.replace("_observed", "_start")
    for trial in trials:
        assert trial[key].shape == published[key].shape
        efs, os_ = trial[key][:, 0], trial[key][:, 1]
        assert np.all((efs >= 0) & (efs <= os_) & (os_ <= 1))  # EFS never above OS
        np.testing.assert_allclose(trial[start].sum(axis=-1), 1.0)
        # Drawn with the published effective sample size: multiples of 1 / n_eff.
        n_eff = np.round(published[key.replace("_observed", "_effective_n")])
        np.testing.assert_allclose(efs * n_eff, np.round(efs * n_eff), atol=1e-9)


def test_span_transition_carries_the_state_probabilities() -> None:
    from bayes_scot.calibration.simulate import span_transition
    from bayes_scot.stats.illness_death import state_probabilities

    rng = np.random.default_rng(3)
    hazards = rng.uniform(0.001, 0.03, size=(5, 2, 4, 3))
    edges = np.array([0.0, 6.0, 18.0, 40.0, 60.0])
    # From time 0 (everyone event-free) the first row is the closed form of the states.
    np.testing.assert_allclose(span_transition(hazards, edges, 0.0, 72.0)[..., 0, :],
                               state_probabilities(hazards, edges, [72.0])[..., 0, :],
                               rtol=1e-12)
    # Chapman-Kolmogorov: 10 -> 50 months is 10 -> 30 then 30 -> 50.
    np.testing.assert_allclose(
        span_transition(hazards, edges, 10.0, 50.0),
        span_transition(hazards, edges, 10.0, 30.0) @ span_transition(hazards, edges, 30.0, 50.0),
        rtol=1e-12)


def test_a_reported_ratio_is_the_simulated_patients_rate_ratio() -> None:
    from bayes_scot.calibration.simulate import rate_ratio

    times = [np.array([[2.0, 5.0, 9.0, 12.0]]), np.array([[1.0, 3.0, 12.0, 12.0]])]
    events = [np.array([[True, False, True, False]]), np.array([[True, True, True, False]])]
    out = rate_ratio("r", times, events, end=10.0)
    # Experimental: 2 events in 2 + 5 + 9 + 10 = 26 months; control: 2 events by month 10
    # (the third is at 12) in 1 + 3 + 10 + 10 = 24 months.
    assert out["r_log_estimate"][0] == pytest.approx(np.log((2 / 26) / (2 / 24)))
    assert out["r_se"][0] == pytest.approx(np.sqrt(1 / 2 + 1 / 2))


def test_digitised_curves_are_simulated_as_reconstructed_patients() -> None:
    from test_survival_model import CURVE_OPTIONS, _simulated_curve_trial

    from bayes_scot import _compat
    from bayes_scot.builders.survival import SurvivalModel
    from bayes_scot.calibration.simulate import SurvivalSimulator

    model = SurvivalModel(_simulated_curve_trial(), options=CURVE_OPTIONS)
    simulator = SurvivalSimulator(model, "survival")
    published = _compat.data_values(model.model)
    edges = np.asarray(CURVE_OPTIONS.interval_boundaries_months)
    hazards = np.broadcast_to(np.array([0.01, 0.01, 0.02]), (2, 2, 5, 3)).copy()
    trials = simulator.datasets_from_hazards(hazards, {}, np.random.default_rng(2))
    for key in (k for k in published if k.endswith("pseudo_patients_events")):
        prefix = key.removesuffix("_events")
        last = np.max(edges[published[f"{prefix}_interval"]] + published[f"{prefix}_offset"])
        for trial in trials:
            # As many patients as the reconstruction, each at an interval and offset
            # that put its time inside the curve's follow-up.
            assert trial[key].shape == published[key].shape
            times = edges[trial[f"{prefix}_interval"]] + trial[f"{prefix}_offset"]
            assert np.all((times >= 0) & (times <= last + 1e-9))
            assert np.all(trial[f"{prefix}_offset"] >= 0)
            assert set(np.unique(trial[key])) <= {0.0, 1.0}
            assert not np.any(trial[key][times >= last])  # censored at the last time
    # The exit hazard 0.02 per month over 72 months: about 76% of patients have an event.
    share = np.mean([t[key].mean() for t in trials])
    assert 0.55 < share < 0.95


def test_evidence_the_illness_death_simulator_cannot_generate_is_named() -> None:
    from types import SimpleNamespace

    from bayes_scot.calibration.simulate import SurvivalSimulator
    from bayes_scot.errors import SpecError

    builder = SimpleNamespace(likelihood_terms=[SimpleNamespace(kind="mean_survival")])
    with pytest.raises(SpecError, match=r"evidence kinds \['mean_survival'\]"):
        SurvivalSimulator(builder, "survival")
