"""Survival models on trials that are not SCOT, checked against independent calculations.

Every trial here is SIMULATED (invented numbers, labelled so in its title): the shapes a
paper gives (a hazard ratio alone, EFS and OS hazard ratios alone) rather than real data.

- The illness-death model on a trial that reports EFS and OS only as hazard ratios uses
  the EFS ratio (the OS ratio describes the same patients): OS then has no data of its
  own, and its rows must say so (``attrs["no_data"]``, the evidence text, the
  attribution's "borrowing from other endpoints") instead of presenting a prediction
  through the model as the trial's OS evidence. Fast: prior draws stand in for a
  posterior.
- A hazard ratio alone in the one-endpoint model is a conjugate normal-normal update of
  the log hazard ratio (one interval, the baseline hazard outside the likelihood): the
  fast test checks the log density's shape, the slow one the MCMC probabilities and the
  prior probabilities beside them against the closed form, for a harmful and for a
  wanted event (``better = "lower"``).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import norm
from simulated_trial_files import RATIO, trial_header

from bayes_scot import _compat
from bayes_scot.builders.piecewise_exponential import PiecewiseExponentialModel
from bayes_scot.builders.survival import SurvivalModel, survival_model
from bayes_scot.data import load_trial
from bayes_scot.fitting.prior import PriorSampler
from bayes_scot.results.attribution import LikelihoodTerm

TITLE = "SIMULATED trial for the survival tests (not real data)"


WANTED = """
[endpoints.healed]
label = "Not yet healed"
kind = "time_to_event"
better = "lower"
"""


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(trial_header(name, title=TITLE) + body)
    return path


def _prior_idata(model, draws: int = 40):
    """Prior draws in a posterior's layout: the estimands' shapes without MCMC."""
    data = model.prior_data(model.prior_grid()["reference"])
    sample = PriorSampler(model.model).sample(data, chains=2, draws=draws // 2, seed=5)
    return _compat.inference_data(posterior=sample)


@pytest.fixture
def efs_os_ratios(tmp_path):
    """SIMULATED: EFS HR 0.70 (0.52-0.94) and OS HR 0.95 (0.65-1.39) over 48 months."""
    body = (RATIO.format(endpoint="efs", estimate=0.70, lower=0.52, upper=0.94)
            + RATIO.format(endpoint="os", estimate=0.95, lower=0.65, upper=1.39))
    return load_trial(_write(tmp_path, "sim_efs_os_hr", body))


def test_os_without_data_of_its_own_is_marked_as_a_prediction(efs_os_ratios):
    model = survival_model(efs_os_ratios)
    assert isinstance(model, SurvivalModel)
    log = model.evidence_log.set_index("entry")
    assert log.loc["efs_hr", "used"]
    assert not log.loc["os_hr", "used"]
    # The one term holds EFS evidence only.
    sources = model.likelihood_sources()
    assert list(sources.values()) == [("trial", frozenset({"efs"}))]
    estimands = model.estimands(_prior_idata(model))
    for e in estimands:
        if e.endpoint == "os":
            assert e.attrs.get("no_data") is True, e.estimand
            assert e.evidence.startswith("OS reported by sim_efs_os_hr but not used "
                                         "(os_hr: "), e.evidence
            assert e.evidence.endswith("predicted through the model from EFS"), e.evidence
        else:
            assert not e.attrs.get("no_data"), e.estimand
            assert e.evidence == "trial"
    # No landmark counts enter, so their no-censoring assumption is not claimed.
    assert not any("Landmark counts" in a for a in model.assumptions())


def test_attribution_counts_an_efs_term_as_borrowing_for_os(efs_os_ratios):
    model = survival_model(efs_os_ratios)
    ((name, (source, endpoints)),) = model.likelihood_sources().items()
    term = LikelihoodTerm(name=name, source=source, endpoints=endpoints,
                          draws=np.zeros((1, 2)))
    assert term.role("efs") == "trial"
    assert term.role("os") == "other_endpoints"


def test_scot_state_counts_speak_to_both_endpoints(scot_all):
    model = survival_model(scot_all)
    assert isinstance(model, SurvivalModel)
    assert all(endpoints == frozenset({"efs", "os"}) and source == "trial"
               for source, endpoints in model.likelihood_sources().values())
    assert not any(e.attrs.get("no_data") for e in model.estimands(_prior_idata(model)))
    assert any("Landmark counts" in a for a in model.assumptions())


def _ratio_only(tmp_path, *, wanted: bool) -> PiecewiseExponentialModel:
    """SIMULATED: one endpoint reported only as HR 0.72 (0.55-0.94), or 1.39 (1.06-1.82)."""
    if wanted:
        body = WANTED + RATIO.format(endpoint="healed", estimate=1.39, lower=1.06, upper=1.82)
    else:
        body = RATIO.format(endpoint="os", estimate=0.72, lower=0.55, upper=0.94)
    model = survival_model(load_trial(_write(tmp_path, "sim_hr_only", body)))
    assert isinstance(model, PiecewiseExponentialModel)
    return model


@pytest.mark.parametrize("wanted", [False, True])
def test_a_ratio_alone_is_a_normal_likelihood_of_the_log_hazard_ratio(tmp_path, wanted):
    model = _ratio_only(tmp_path, wanted=wanted)
    ratio = next(iter(model.target.entries))
    theta = math.log(ratio.estimate)
    se = (math.log(ratio.upper) - math.log(ratio.lower)) / (2 * norm.ppf(0.975))
    assert len(model.edges) == 2  # one interval: no deviations, log_hr is the ratio
    (potential,) = model.model.potentials
    logp = model.model.compile_fn(potential, inputs=[model.model["log_hr"]],
                                  on_unused_input="ignore")
    xs = theta + np.array([-1.0, 0.0, 1.0]) * se
    values = np.array([float(logp({"log_hr": x})) for x in xs])
    # A normal log density: zero first difference about its mode, curvature 1 / SE^2.
    assert values[0] == pytest.approx(values[2], abs=1e-9)
    assert values[1] - values[0] == pytest.approx(0.5, abs=1e-9)
    estimands = model.estimands(_prior_idata(model))
    assert [e.estimand for e in estimands] == ["hazard_ratio_common"]
    assert estimands[0].superior == ("higher" if wanted else "lower")


@pytest.mark.slow
@pytest.mark.parametrize("wanted", [False, True])
def test_ratio_alone_matches_the_conjugate_posterior_under_each_prior(tmp_path, wanted):
    """MCMC against the closed form, for a harmful event and for a wanted one.

    Tolerances: posterior probabilities within 4 Monte Carlo SEs, sqrt(p (1 - p) / ESS)
    with the row's own bulk ESS (plus 0.002 for the ESS estimate's own noise); prior
    probabilities within 4 binomial SEs of the prior draws (4,000 iid forward draws).
    Fixed seed; about 20 s (one small compilation, four fits of one parameter).
    """
    import bayes_scot as bs

    model = _ratio_only(tmp_path, wanted=wanted)
    ratio = next(iter(model.target.entries))
    spec = tmp_path / "spec.toml"
    spec.write_text(textwrap.dedent(f"""
        [analysis]
        name = "sim_hr_only"
        title = "SIMULATED hazard ratio alone"
        seed = 20240611

        [[trials]]
        path = "{Path(model.target.path).name}"
        population = "itt"

        [sampler]
        draws = 1000
        chains = 4

        [priors]
        grid = ["reference", "skeptical_strong", "optimistic_moderate", "pessimistic_weak"]

        [survival]
        """))
    result = bs.reanalyse(str(spec))
    table = result.table().set_index("prior")
    grid = model.prior_grid()
    theta = math.log(ratio.estimate)
    se = (math.log(ratio.upper) - math.log(ratio.lower)) / (2 * norm.ppf(0.975))
    margin = math.log(1.25 if wanted else 0.8)
    sign = 1.0 if wanted else -1.0  # superior: log HR above 0 (wanted) or below (harmful)
    for name, row in table.iterrows():
        assert row["estimand"] == "hazard_ratio_common"
        m0, s0 = grid[name].mean, grid[name].sd
        precision = 1 / s0**2 + 1 / se**2
        s1 = precision**-0.5
        m1 = s1**2 * (m0 / s0**2 + theta / se**2)
        p_sup = norm.cdf(sign * m1 / s1)
        p_mcid = norm.cdf(sign * (m1 - margin) / s1)
        for got, want in ((row["p_superior"], p_sup), (row["p_mcid"], p_mcid)):
            tolerance = 4 * math.sqrt(want * (1 - want) / row["ess_bulk"]) + 0.002
            assert got == pytest.approx(want, abs=tolerance), name
        prior_sup = norm.cdf(sign * m0 / s0)
        prior_mcid = norm.cdf(sign * (m0 - margin) / s0)
        for got, want in ((row["prior_p_superior"], prior_sup),
                          (row["prior_p_mcid"], prior_mcid)):
            assert got == pytest.approx(want, abs=4 * math.sqrt(want * (1 - want) / 4000)
                                        + 0.001), name
        # The prior's share is the prior's precision over the posterior's (conjugate),
        # estimated as a ratio of two robust (IQR) variances of about 4,000 draws, each
        # with a relative SE of about 4%: 25% is 4 SEs of the ratio.
        assert row["share_prior"] == pytest.approx((1 / s0**2) / precision, rel=0.25), name
