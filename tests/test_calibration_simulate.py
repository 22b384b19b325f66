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


def test_evidence_the_illness_death_simulator_cannot_generate_is_named() -> None:
    from bayes_scot.calibration.design import Design
    from bayes_scot.calibration.simulate import make_simulator
    from bayes_scot.calibration.study import build_design
    from bayes_scot.errors import SpecError

    # SCOT's per-protocol analysis adds the 72-month Kaplan-Meier estimates.
    model = build_design("scot_pp", "survival", Design())
    with pytest.raises(SpecError, match=r"evidence kinds \['survival_estimates'\]"):
        make_simulator(model, "survival")
