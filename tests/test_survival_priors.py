"""The named priors of the illness-death model hold on the estimands the report shows.

Every named prior is stated on the EFS hazard ratio ("5% probability that the HR is below
0.8"). The model puts it on the event-weighted average log hazard ratio of leaving the
event-free state, with interval deviations that sum to zero under those weights, so the
statement holds on the reported ``efs:hazard_ratio_common`` exactly; these tests check it
by forward-sampling the compiled model's prior (no MCMC), under every named prior and
every effect structure.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bayes_scot import _compat
from bayes_scot.builders.survival import SurvivalModel, SurvivalOptions
from bayes_scot.data import load_trial
from bayes_scot.errors import EvidenceError
from bayes_scot.fitting.prior import PriorSampler
from bayes_scot.spec import load_spec

# 4 x 1000 prior draws: a probability p has a Monte Carlo SE of at most
# sqrt(p (1 - p) / 4000) <= 0.0079 (the stratified draws' is smaller); 0.03 is almost
# four SEs.
CHAINS, DRAWS, TOLERANCE = 4, 1000, 0.03
STRUCTURES = ("per_transition", "common", "independent")


def _builder(structure: str) -> SurvivalModel:
    options = load_spec("scot_itt").family("survival").options_object()
    import dataclasses

    options = dataclasses.replace(options, effect_structure=structure)
    return SurvivalModel(load_trial("scot", population="itt"), options=options)


@pytest.fixture(scope="module", params=STRUCTURES)
def prior_model(request):
    builder = _builder(request.param)
    return builder, PriorSampler(builder.model)


def _prior_draws(builder, sampler, name, seed=5):
    prior = builder.prior_grid()[name]
    draws = sampler.sample(builder.prior_data(prior), chains=CHAINS, draws=DRAWS, seed=seed)
    return prior, draws


@pytest.mark.slow  # 39 forward samplings: no MCMC, but about a minute in all
@pytest.mark.parametrize("name", [
    "reference", "neutral_strong", "neutral_moderate", "neutral_weak",
    "skeptical_strong", "skeptical_moderate", "skeptical_weak",
    "optimistic_strong", "optimistic_moderate", "optimistic_weak",
    "pessimistic_strong", "pessimistic_moderate", "pessimistic_weak",
])  # fmt: skip
def test_every_named_prior_holds_on_the_reported_efs_hazard_ratio(prior_model, name):
    builder, sampler = prior_model
    prior, draws = _prior_draws(builder, sampler, name)
    estimands = {(e.endpoint, e.estimand): e
                 for e in builder.estimands(_compat.inference_data(posterior=draws))}
    common = estimands["efs", "hazard_ratio_common"]
    _, margin = builder.options.benefit_hazard_ratios()
    # The statement's probabilities are closed forms of the normal prior on the log HR.
    assert common.p_mcid() == pytest.approx(
        stats.norm.cdf((math.log(margin) - prior.mean) / prior.sd), abs=TOLERANCE)
    assert common.p_superior() == pytest.approx(
        stats.norm.cdf(-prior.mean / prior.sd), abs=TOLERANCE)


def test_strengths_differ_as_their_statements_do(prior_model):
    builder, sampler = prior_model
    p_mcid = {}
    for name in ("skeptical_strong", "skeptical_moderate", "skeptical_weak"):
        _, draws = _prior_draws(builder, sampler, name)
        common = next(e for e in builder.estimands(_compat.inference_data(posterior=draws))
                      if e.estimand == "hazard_ratio_common")
        p_mcid[name] = common.p_mcid()
    # The statements: 5%, 15% and 30% probability that the HR is below 0.8 (priors.md).
    assert p_mcid["skeptical_strong"] == pytest.approx(0.05, abs=TOLERANCE)
    assert p_mcid["skeptical_moderate"] == pytest.approx(0.15, abs=TOLERANCE)
    assert p_mcid["skeptical_weak"] == pytest.approx(0.30, abs=TOLERANCE)


@pytest.mark.parametrize("structure", ["per_transition", "independent"])
def test_efs_interval_hazard_ratios_average_to_the_grid_parameter(structure):
    # An identity, not a statistical check: sum_k w_k exp(beta_k) = exp(theta) per draw.
    builder = _builder(structure)
    _, draws = _prior_draws(builder, PriorSampler(builder.model), "reference")
    hazard = draws["hazard"].sel(trial="scot")  # (chain, draw, arm, interval, transition)
    exit_rate = hazard.sel(transition=list(hazard["transition"].values[:2])).sum("transition")
    ratio = (exit_rate.isel(arm=0) / exit_rate.isel(arm=1)).to_numpy()
    average = (ratio * builder.event_weights).sum(axis=-1)
    theta = draws["trial_log_hr"].sel(trial="scot").to_numpy()
    np.testing.assert_allclose(np.log(average), theta, atol=1e-8)
    assert builder.event_weights.sum() == pytest.approx(1.0)
    # SCOT reports no EFS event after 48 months: nothing is expected from 54 to 72.
    assert builder.event_weights[-1] == pytest.approx(0.0)


@pytest.mark.parametrize("name", ["skeptical_strong", "neutral_moderate", "reference"])
def test_a_prior_centred_on_no_effect_is_centred_on_the_survival_differences(name):
    # With the deviations centred on the hazard-ratio scale, the EFS (and so the OS)
    # survival difference at 54 months is positive about when the grid parameter is
    # negative: its prior P(superior) is one half, not tilted towards harm by
    # Jensen's inequality (0.38 under skeptical_strong with log-scale centring).
    builder = _builder("per_transition")
    _, draws = _prior_draws(builder, PriorSampler(builder.model), name)
    rows = {(e.endpoint, e.estimand): e
            for e in builder.estimands(_compat.inference_data(posterior=draws))}
    for endpoint in ("efs", "os"):
        assert rows[endpoint, "survival_difference_54"].p_superior() == pytest.approx(
            0.5, abs=TOLERANCE), endpoint


def test_effect_structures_differ_in_their_parameters():
    names = {s: {v.name for v in _builder(s).model.free_RVs} for s in STRUCTURES}
    assert "transition_effect_raw" in names["per_transition"]  # an estimated SD, not fixed
    assert "effect_pooling_raw" in names["per_transition"]
    assert not {"transition_effect_raw", "interval_effect_z"} & names["common"]
    assert "log_hr_after_failure" in names["independent"]
    assert "transition_effect_raw" not in names["independent"]
    independent = _builder("independent")
    assert independent.effect_parameters == ("log_hr", "log_hr_after_failure")
    prior = independent.prior_grid()["skeptical_strong"]
    data = independent.prior_data(prior)
    assert data["log_hr_after_failure_prior_sd"] == pytest.approx(prior.sd)
    keys = {_builder(s).structure_key for s in STRUCTURES}
    assert len(keys) == 3


def test_an_unknown_effect_structure_is_one_line():
    with pytest.raises(EvidenceError, match="effect_structure"):
        SurvivalOptions(effect_structure="exchangeable")  # type: ignore[arg-type]


def test_independent_structure_needs_the_illness_death_model():
    from bayes_scot.builders.piecewise_exponential import PiecewiseExponentialModel

    with pytest.raises(EvidenceError, match="illness-death"):
        PiecewiseExponentialModel(load_trial("scot", population="itt"), endpoint="efs",
                                  options=SurvivalOptions(effect_structure="independent"))


def test_interval_rows_say_when_no_datum_bounds_them():
    # SCOT ITT reports events at 12 (treatment-related deaths), 48 and 54 months; the
    # shipped grid's intervals 0-3, 3-12, 12-24 and 24-54 each lack a datum at one end.
    builder = _builder("per_transition")
    draws = PriorSampler(builder.model).sample(
        builder.prior_data(builder.prior_grid()["reference"]), chains=2, draws=50, seed=1)
    rows = {(e.endpoint, e.estimand): e
            for e in builder.estimands(_compat.inference_data(posterior=draws))}
    for label in ("0_3", "3_12", "12_24", "24_54"):
        row = rows["efs", f"hazard_ratio_{label}"]
        assert "not reported separately" in row.evidence
        assert row.attrs["identified"] is False
    assert rows["efs", "hazard_ratio_54_72"].extrapolated
    assert "not reported separately" not in rows["efs", "survival_difference_54"].evidence
