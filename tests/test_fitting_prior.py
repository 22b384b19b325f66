"""Prior draws of a compiled model's estimands match the prior's closed form.

The forward sampler draws the free variables from the prior with the fit's prior
hyperparameters; the builder's own estimand function turns them into prior draws of
every estimand. Where an estimand is a monotone function of the parameter carrying the
named prior, its prior probabilities are closed forms of that normal prior.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bayes_scot import _compat
from bayes_scot.data import load_trial
from bayes_scot.fitting.prior import PriorSampler, add_prior_group

# 4 x 2000 independent prior draws: a probability near 0.05 has a Monte Carlo SE of
# 0.0024, near 0.5 of 0.0056; 0.015 and 0.025 are over four SEs.
CHAINS, DRAWS = 4, 2000


@pytest.mark.slow
def test_survival_prior_of_the_common_hazard_ratio_holds_its_statement() -> None:
    from bayes_scot.builders.survival import SurvivalModel
    from bayes_scot.spec import load_spec

    options = load_spec("scot_itt").family("survival").options_object()
    builder = SurvivalModel(load_trial("scot", population="itt"), options=options)
    sampler = PriorSampler(builder.model)
    prior = builder.prior_grid()["skeptical_strong"]
    draws = sampler.sample(builder.prior_data(prior), chains=CHAINS, draws=DRAWS, seed=3)
    estimands = {e.estimand: e for e in builder.estimands(
        _compat.inference_data(posterior=draws)) if e.endpoint == "efs"}
    common = estimands["hazard_ratio_common"]
    # P(HR < 0.8) under N(mean, sd) on the log HR: the statement's 5%.
    exact = stats.norm.cdf((math.log(0.8) - prior.mean) / prior.sd)
    assert exact == pytest.approx(0.05, abs=1e-3)
    assert common.p_mcid() == pytest.approx(exact, abs=0.015)
    assert common.p_superior() == pytest.approx(0.5, abs=0.025)
    assert draws.sizes["chain"] == CHAINS
    assert draws.sizes["draw"] == DRAWS


@pytest.mark.slow
def test_composite_prior_group_and_estimands_follow_the_prior() -> None:
    from bayes_scot.builders.composite import CompositeModel

    builder = CompositeModel(load_trial("scot", population="itt"))
    prior = builder.prior_grid()["optimistic_moderate"]
    posterior = _compat.get_group(
        _compat.inference_data(posterior=PriorSampler(builder.model).sample(
            builder.prior_data(prior), chains=CHAINS, draws=DRAWS, seed=1)), "posterior")
    # A stand-in fit: its posterior gives the sample shape, its constant data the prior.
    fit = _compat.inference_data(
        posterior=posterior,
        constant_data=posterior.isel(chain=0, draw=0, drop=True)[[]].assign(
            **{k: ((), np.asarray(v)) for k, v in builder.prior_data(prior).items()}),
    )
    prior_fit = add_prior_group(PriorSampler(builder.model), fit, seed=2)
    assert _compat.has_group(fit, "prior")
    net = next(e for e in builder.estimands(prior_fit) if e.estimand.startswith("net_benefit"))
    # The net benefit's P(> 0) is P(effect > 0) under N(mean, sd).
    exact = 1.0 - stats.norm.cdf(-prior.mean / prior.sd)
    assert net.p_superior() == pytest.approx(exact, abs=0.025)


@pytest.mark.slow
def test_batched_draws_keep_a_child_tied_to_its_parent() -> None:
    import pymc as pm

    with pm.Model(coords={"k": [0, 1]}) as model:
        sd = pm.Data("sd", 2.0)
        mu = pm.Normal("mu", 0.0, sd)
        scale = pm.HalfNormal("scale", 1.0)
        pm.Normal("x", mu, 0.1, dims="k")
        pm.Deterministic("total", mu + scale)
    draws = PriorSampler(model).sample({"sd": 3.0}, chains=2, draws=5000, seed=4)
    x, mu = draws["x"].to_numpy(), draws["mu"].to_numpy()
    assert x.shape == (2, 5000, 2)
    # x - mu ~ N(0, 0.1) for every draw: the child follows its own parent's draw;
    # mu ~ N(0, 3) under the data value given. 10 000 draws: SE of an SD about 0.7%.
    assert np.std(x[..., 0] - mu) == pytest.approx(0.1, rel=0.03)
    assert np.std(mu) == pytest.approx(3.0, rel=0.03)
    assert np.allclose(draws["total"], mu + draws["scale"])


def test_sampler_backend_and_prior_share_one_deterministics_evaluator() -> None:
    # Both evaluate the same model's deterministics; it is built once per model, and a
    # prior set on the shared containers after it was built is still what it reads.
    import pymc as pm

    from bayes_scot.fitting.backends.blackjax import BlackjaxBackend
    from bayes_scot.fitting.deterministics import model_deterministics

    with pm.Model() as model:
        shift = pm.Data("shift", 1.0)
        mu = pm.Normal("mu", 0.0, 1.0)
        pm.Deterministic("moved", mu + shift)
    with pm.Model() as other:
        pm.Deterministic("twice", 2 * pm.Normal("nu", 0.0, 1.0))
    prior = PriorSampler(model)
    assert prior._deterministics is model_deterministics(model)
    assert BlackjaxBackend(model)._deterministics is prior._deterministics
    assert model_deterministics(other) is not prior._deterministics
    draws = prior.sample({"shift": 5.0}, chains=1, draws=10, seed=0)
    np.testing.assert_allclose(draws["moved"], draws["mu"] + 5.0)


@pytest.mark.slow
@pytest.mark.parametrize("family", ["survival", "composite"])
def test_draws_equal_those_of_the_default_compilation(family: str, monkeypatch) -> None:
    # The forward sampler is compiled for the Python linker with few rewrites; the draws
    # must be PyMC's default compilation's to the bit (same ops, same generators).
    from bayes_scot.fitting import prior as prior_module
    from bayes_scot.reanalysis.runner import build_family
    from bayes_scot.spec import load_spec

    builder, _ = build_family(load_spec("scot_itt"), family)
    data = builder.prior_data(builder.prior_grid()["skeptical_moderate"])
    fast = PriorSampler(builder.model).sample(data, chains=2, draws=300, seed=5)
    monkeypatch.setattr(prior_module, "_compile_mode", lambda: None)
    default = PriorSampler(builder.model).sample(data, chains=2, draws=300, seed=5)
    assert set(fast.data_vars) == set(default.data_vars)
    for name in fast.data_vars:
        np.testing.assert_array_equal(fast[name].values, default[name].values, err_msg=name)



def _forward_and_exact(builder, prior_name: str, seed: int):
    """Forward prior draws of every estimand, and the same with exact carriers."""
    from bayes_scot.stats.estimands import exact_parameter_priors

    priors = {p: builder.prior_grid()[prior_name] for p in builder.effect_parameters}
    draws = PriorSampler(builder.model).sample(builder.prior_data(priors), chains=CHAINS,
                                               draws=DRAWS, seed=seed)
    forward = builder.estimands(_compat.inference_data(posterior=draws))
    return forward, exact_parameter_priors(forward, priors)


def _builder(case: str):
    """A builder of each kind that carries a named prior on one of its estimands."""
    from bayes_scot.reanalysis.runner import build_family
    from bayes_scot.spec import load_spec

    if case == "piecewise_exponential":
        from bayes_scot.builders.piecewise_exponential import PiecewiseExponentialModel

        return PiecewiseExponentialModel(load_trial("scot", population="itt"), endpoint="os")
    spec_name, family = case.split(":")
    return build_family(load_spec(spec_name), family)[0]


@pytest.mark.slow
@pytest.mark.parametrize(("case", "prior_name"), [
    ("scot_itt:survival", "skeptical_strong"),
    ("scot_itt:longitudinal", "optimistic_moderate"),
    ("scot_borrowing:survival", "pessimistic_strong"),
    ("piecewise_exponential", "optimistic_weak"),
])
def test_exact_prior_of_each_carrier_matches_its_forward_draws(
        case: str, prior_name: str) -> None:
    # The map a builder declares from the parameter to the estimand that carries it
    # (PARAMETER_TRANSFORM) must be the map its estimand function applies: the exact
    # quantiles and the forward draws are two samples of one distribution. With 8000
    # forward draws the Monte Carlo SE of a tail probability is at most 0.0056, so
    # 0.02 is over three SEs; the quantile grid itself is exact to 1/16000.
    builder = _builder(case)
    forward, exact = _forward_and_exact(builder, prior_name, seed=11)
    carriers = [(f, e) for f, e in zip(forward, exact, strict=True) if f is not e]
    assert carriers, "no estimand carries the named prior"
    for f, e in carriers:
        assert e.attrs["parameter"] in builder.effect_parameters
        assert e.p_superior() == pytest.approx(f.p_superior(), abs=0.02), e.estimand
        assert e.p_mcid() == pytest.approx(f.p_mcid(), abs=0.02, nan_ok=True), e.estimand
        for q in (0.1, 0.5, 0.9):
            spread = float(np.quantile(f.draws, 0.9) - np.quantile(f.draws, 0.1))
            assert np.quantile(e.draws, q) == pytest.approx(
                np.quantile(f.draws, q), abs=0.05 * spread), (e.estimand, q)


@pytest.mark.slow
def test_borrowing_states_its_priors_on_the_trials_mean_not_the_target_trial() -> None:
    # Trials that borrow: theta_j = mu + tau eta_j. The named prior is on mu, so the
    # sceptical statement (5% probability that the HR is below 0.8) holds on
    # hazard_ratio_mean; the target trial's own hazard ratio has a wider prior
    # (about 0.26 below 0.8 at this spec's heterogeneity scale), and does not carry it.
    builder = _builder("scot_borrowing:survival")
    forward, exact = _forward_and_exact(builder, "skeptical_strong", seed=12)
    by_name = {e.estimand: e for e in exact if e.endpoint == "efs"}
    mean, target = by_name["hazard_ratio_mean"], by_name["hazard_ratio_common"]
    assert mean.attrs["parameter"] == "log_hr"
    assert "parameter" not in target.attrs
    assert mean.p_mcid() == pytest.approx(0.05, abs=1 / 16000)
    forward_mean = next(f for f in forward if f.estimand == "hazard_ratio_mean")
    assert forward_mean.p_mcid() == pytest.approx(0.05, abs=0.015)
    assert target.p_mcid() > 0.15


def test_independent_normal_draws_are_stratified_and_related_ones_are_not() -> None:
    # Latin hypercube: a normal or half-normal variable with no free parent or child
    # gets its distribution's quantiles at (r + 1/2)/n, in a random order; a parent
    # and its child keep their joint draws, and a Beta variable its own.
    import pymc as pm
    from scipy.special import ndtri

    with pm.Model() as model:
        loc = pm.Data("loc", 1.0)
        pm.Normal("effect", loc, 2.0)
        pm.HalfNormal("scale", 3.0)
        mu = pm.Normal("mu", 0.0, 1.0)
        pm.Normal("child", mu, 0.1)
        pm.Beta("weight", 2.0, 2.0)
        pm.Deterministic("shifted", model["effect"] + 1.0)
    n = 4 * 500
    u = (np.arange(n) + 0.5) / n
    draws = PriorSampler(model).sample({"loc": 5.0}, chains=4, draws=500, seed=2)
    effect = draws["effect"].to_numpy().ravel()
    np.testing.assert_allclose(np.sort(effect), 5.0 + 2.0 * ndtri(u))
    np.testing.assert_allclose(np.sort(draws["scale"].to_numpy().ravel()),
                               3.0 * ndtri(0.5 * (1.0 + u)))
    # The order is the independent draws' (not sorted), and deterministics follow it.
    assert not np.all(np.diff(effect) > 0)
    np.testing.assert_allclose(draws["shifted"].to_numpy().ravel(), effect + 1.0)
    for name in ("mu", "child", "weight"):
        values = np.sort(draws[name].to_numpy().ravel())
        grid = {"mu": ndtri(u), "child": ndtri(u), "weight": None}[name]
        assert grid is None or not np.allclose(values, grid), name
    # The child still follows its own parent's draw: child - mu ~ N(0, 0.1).
    assert np.std(draws["child"].to_numpy() - draws["mu"].to_numpy()) == pytest.approx(
        0.1, rel=0.05)


@pytest.mark.slow
def test_stratified_prior_draws_steady_the_prior_columns(monkeypatch) -> None:
    # The prior P(superior) of SCOT's EFS survival difference at 54 months over 8
    # seeds: independent draws vary with an SD of about 0.007 (binomial, 4000 draws),
    # stratified ones about 0.002 (the difference moves mostly with the log HR). With
    # 8 seeds an SD is known to about 25%, so a ratio below 0.6 is far from chance.
    from bayes_scot.fitting import prior as prior_module

    builder = _builder("scot_itt:survival")
    reference = builder.prior_grid()["reference"]
    data = builder.prior_data({"log_hr": reference})

    def spread() -> float:
        sampler = PriorSampler(builder.model)
        values = []
        for seed in range(8):
            draws = sampler.sample(data, chains=4, draws=1000, seed=seed)
            rows = {(e.endpoint, e.estimand): e for e in builder.estimands(
                _compat.inference_data(posterior=draws))}
            values.append(rows["efs", "survival_difference_54"].p_superior())
        return float(np.std(values))

    stratified = spread()
    monkeypatch.setattr(prior_module, "_QUANTILES", {})
    independent = spread()
    assert stratified < 0.6 * independent
