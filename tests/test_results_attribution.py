"""Attribution shares, the priors table and prior columns: exact against closed forms.

Every test here draws from a conjugate normal model whose posterior is known exactly:
a prior N(0, s0^2) on an effect theta and two independent normal observations (a trial
estimate and an external estimate). The posterior precision is the sum of the prior's
and the sources' precisions, so the shares of the posterior are those precisions over
the total.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pytest

from bayes_scot.results import (
    LikelihoodTerm,
    PriorFit,
    attribute,
    priors_table,
    superiority_table,
)
from bayes_scot.results.attribution import EXTRAPOLATED, robust_variance
from bayes_scot.stats.estimands import EstimandDraws
from bayes_scot.stats.priors import EffectPrior

# Prior SD, then (estimate, SE) of the trial and of the external source.
S0, TRIAL, EXTERNAL = 1.0, (0.5, 0.4), (0.2, 0.6)
DRAWS = (4, 25_000)


@dataclass(frozen=True)
class Diag:
    rhat_max: float = 1.0
    ess_bulk_min: float = 4000.0
    divergences: int = 0


def _draws(mean: float, sd: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(mean, sd, DRAWS)


def est(draws: np.ndarray, endpoint: str = "x") -> EstimandDraws:
    return EstimandDraws(endpoint=endpoint, estimand="effect", label="effect", draws=draws,
                         null=0.0, superior="higher", mcid=0.3)


def conjugate(sources: list[tuple[str, tuple[float, float]]], endpoint: str = "x",
              ) -> tuple[EstimandDraws, EstimandDraws, list[LikelihoodTerm], dict[str, float]]:
    """Posterior, prior, likelihood terms and exact shares of the conjugate model."""
    precisions = {"prior": S0**-2} | {role: se**-2 for role, (_, se) in sources}
    total = sum(precisions.values())
    mean = sum(y * se**-2 for _, (y, se) in sources) / total
    post = _draws(mean, total**-0.5, seed=1)
    terms = [
        LikelihoodTerm(name=role, source="external" if role == "external" else "trial",
                       endpoints=frozenset({endpoint}) if role != "borrowing"
                       else frozenset({"other"}),
                       draws=-0.5 * ((y - post) / se) ** 2, weight=1.0)
        for role, (y, se) in sources
    ]
    exact = {role: p / total for role, p in precisions.items()}
    return est(post, endpoint), est(_draws(0.0, S0, seed=2), endpoint), terms, exact


# Tolerance: the robust variance of 100 000 normal draws has a relative SE of about
# 0.8% (IQR-based scale: 1.36 / sqrt(n) per SD, doubled for the variance), so the prior's
# share (a ratio of two) has a relative SE near 1.2%; the covariance estimates of the
# sources' precisions have relative SEs below 2%. 0.015 absolute is over three SEs of
# shares of size 0.1-0.6.
TOL = 0.015


def test_shares_are_exact_in_a_conjugate_normal_model_with_two_sources() -> None:
    post, prior, terms, exact = conjugate([("trial", TRIAL), ("external", EXTERNAL)])
    a = attribute(post, prior, terms)
    assert a.share_prior == pytest.approx(exact["prior"], abs=TOL)
    assert a.share_trial == pytest.approx(exact["trial"], abs=TOL)
    assert a.share_external == pytest.approx(exact["external"], abs=TOL)
    assert a.share_borrowing == 0.0
    assert a.share_trial + a.share_external + a.share_borrowing + a.share_prior == (
        pytest.approx(1.0, abs=1e-12))
    assert a.drivers.startswith("trial 6")
    assert "external" in a.drivers


def test_an_extrapolated_row_keeps_its_shares_and_says_it_rests_on_the_assumption() -> None:
    post, prior, terms, _ = conjugate([("trial", TRIAL)])
    observed = attribute(post, prior, terms)
    beyond = attribute(dataclasses.replace(post, extrapolated=True), prior, terms)
    assert (beyond.share_trial, beyond.share_prior) == (observed.share_trial,
                                                        observed.share_prior)
    assert beyond.drivers == f"{EXTRAPOLATED}; under it {observed.drivers}"
    assert beyond.drivers.startswith("extrapolated outside the data: rests on the "
                                     "model's assumption")
    # A row no evidence reaches is all prior, and says only that.
    nothing = dataclasses.replace(post, extrapolated=True, attrs={"prior_only": True})
    assert attribute(nothing, prior, terms).drivers == "mostly prior: prior 100%"


def test_a_term_on_another_endpoint_counts_as_borrowing() -> None:
    post, prior, terms, exact = conjugate([("trial", TRIAL), ("borrowing", EXTERNAL)])
    a = attribute(post, prior, terms)
    assert a.share_borrowing == pytest.approx(exact["borrowing"], abs=TOL)
    assert a.share_external == 0.0
    assert "borrowing from other endpoints" in a.drivers


def test_borrowing_from_other_trials_and_other_endpoints_are_named_apart() -> None:
    post, prior, terms, exact = conjugate([("trial", TRIAL), ("borrowing", EXTERNAL)])
    # The same precision, once as another trial's evidence on this endpoint.
    other_trial = LikelihoodTerm(name="other", source="other_trial",
                                 endpoints=frozenset({"x"}), draws=terms[1].draws)
    a = attribute(post, prior, [terms[0], other_trial])
    assert a.share_borrowing == pytest.approx(exact["borrowing"], abs=TOL)
    assert "borrowing from other trials" in a.drivers
    assert "other endpoints" not in a.drivers


def test_dropping_a_source_moves_the_shares_the_right_way() -> None:
    both = attribute(*conjugate([("trial", TRIAL), ("external", EXTERNAL)])[:3])
    trial_only = attribute(*conjugate([("trial", TRIAL)])[:3])
    assert trial_only.share_external == 0.0
    assert trial_only.share_trial > both.share_trial
    assert trial_only.share_prior > both.share_prior
    # One source takes the whole data share: 1 - prior share exactly.
    assert trial_only.share_trial == pytest.approx(1.0 - trial_only.share_prior, abs=1e-12)


def test_a_posterior_that_is_its_prior_says_so() -> None:
    prior = est(_draws(0.0, S0, seed=2))
    a = attribute(est(_draws(0.0, S0, seed=3)), prior, [])
    assert a.share_prior > 0.95
    assert a.drivers.startswith("mostly prior")


def test_an_estimand_no_evidence_reaches_is_all_prior() -> None:
    # Draws of the prior itself beside another endpoint's likelihood terms: by chance
    # the variance ratio is below 1 and the covariance with the terms is positive, which
    # would read as borrowing. The builder's flag settles it: nothing reaches the row.
    prior = est(_draws(0.0, S0, seed=2))
    draws = _draws(0.0, 0.98 * S0, seed=3)
    terms = [LikelihoodTerm(name="other", source="trial", endpoints=frozenset({"other"}),
                            draws=0.05 * draws)]
    assert attribute(est(draws), prior, terms).share_borrowing > 0.0
    flagged = dataclasses.replace(est(draws), attrs={"prior_only": True})
    a = attribute(flagged, prior, terms)
    assert (a.share_trial, a.share_external, a.share_borrowing, a.share_prior) == (
        0.0, 0.0, 0.0, 1.0)
    assert a.drivers == "mostly prior: prior 100%"


def test_without_prior_draws_nothing_is_claimed() -> None:
    a = attribute(est(_draws(0.0, 1.0, seed=1)), None, [])
    assert np.isnan(a.share_prior)
    assert a.drivers == ""


def test_a_dominant_source_is_still_attributed() -> None:
    # A trial far more informative than the prior and the external source: leaving it
    # out by importance sampling would fail (k-hat far above 0.7); power-scaling does not.
    post, prior, terms, exact = conjugate([("trial", (0.5, 0.05)), ("external", EXTERNAL)])
    a = attribute(post, prior, terms)
    assert a.share_trial == pytest.approx(exact["trial"], abs=TOL)
    assert a.share_external == pytest.approx(exact["external"], abs=TOL)


def test_ratios_are_attributed_on_the_log_scale() -> None:
    post, prior, terms, exact = conjugate([("trial", TRIAL), ("external", EXTERNAL)])
    ratio = [EstimandDraws(endpoint="x", estimand="hr", label="hr", null=1.0,
                           superior="lower", draws=np.exp(e.draws)) for e in (post, prior)]
    a = attribute(ratio[0], ratio[1], terms)
    assert a.share_prior == pytest.approx(exact["prior"], abs=TOL)
    assert a.share_trial == pytest.approx(exact["trial"], abs=TOL)


def test_robust_variance_is_the_variance_of_a_normal() -> None:
    assert robust_variance(_draws(0.0, 2.0, seed=4)) == pytest.approx(4.0, rel=0.03)


def _fit(prior_sd: float) -> PriorFit:
    post, _, terms, _ = conjugate([("trial", TRIAL)])
    prior = est(_draws(0.0, prior_sd, seed=5))
    statement = f"N(0, {prior_sd})"
    return PriorFit(
        family="toy", prior=f"sd{prior_sd}", estimands=(post,), diagnostics=Diag(),
        effect_priors={"theta": EffectPrior(name=f"sd{prior_sd}", family="neutral",
                                            strength="moderate", mean=0.0, sd=prior_sd,
                                            statement=statement)},
        prior_estimands=(prior,), likelihood_terms=tuple(terms),
    )


def test_table_prior_columns_are_the_prior_draws_summaries() -> None:
    table = superiority_table([_fit(0.5)])
    row = table.iloc[0]
    # Prior N(0, 0.5): P(> 0) = 1/2, P(> 0.3) = 1 - Phi(0.6) = 0.2743; with 100 000
    # draws the Monte Carlo SE is below 0.0016, so 0.01 is over six SEs.
    assert row.prior_p_superior == pytest.approx(0.5, abs=0.01)
    assert row.prior_p_mcid == pytest.approx(0.2743, abs=0.01)
    assert abs(row.prior_median) < 0.01
    shares = row[["share_trial", "share_external", "share_borrowing", "share_prior"]]
    assert float(shares.sum()) == pytest.approx(1.0)


def test_priors_table_states_each_prior_and_its_implied_probabilities() -> None:
    table = priors_table([_fit(0.5), _fit(2.0)], ["x:effect"])
    assert list(table.prior) == ["sd0.5", "sd2.0"]
    assert list(table.distribution) == ["Normal(0, 0.5)", "Normal(0, 2)"]
    assert set(table.parameter) == {"theta"}
    # P(> 0.3) under N(0, 2): 1 - Phi(0.15) = 0.4404.
    assert table.prior_p_mcid.tolist() == pytest.approx([0.2743, 0.4404], abs=0.01)
    assert table.statement.tolist() == ["N(0, 0.5)", "N(0, 2.0)"]


def test_a_posterior_wider_than_its_prior_takes_the_prior_share_from_power_scaling():
    # A contrast whose prior is narrower than its posterior: the variance ratio (4 here)
    # says nothing. Power-scaling a normal log density with precision l at draws of SD
    # s changes the posterior precision at the rate l exactly, so with the prior's
    # density at precision 0.25 and the trial's at 0.75 the prior's share is 0.25.
    post = _draws(0.0, 1.0, seed=3)
    prior = est(_draws(0.0, 0.5, seed=4))
    terms = [
        LikelihoodTerm(name="log_prior", source="prior", endpoints=None,
                       draws=-0.5 * 0.25 * post**2),
        LikelihoodTerm(name="trial", source="trial", endpoints=None,
                       draws=-0.5 * 0.75 * (post - 0.1) ** 2),
    ]
    shares = attribute(est(post), prior, terms)
    # Monte Carlo error of the covariance estimator with 100,000 draws is under 0.01.
    assert shares.share_prior == pytest.approx(0.25, abs=0.02)
    assert shares.share_trial == pytest.approx(0.75, abs=0.02)
    assert "mostly prior" not in shares.drivers
    # Without the prior's density no share can be given, and the row says why.
    alone = attribute(est(post), prior, terms[1:])
    assert np.isnan(alone.share_prior)
    assert alone.drivers.startswith("shares not defined: the data widen")
    # Nor when the data widen the row (a source whose power-scaling lowers precision).
    widening = [terms[0], LikelihoodTerm(name="trial", source="trial", endpoints=None,
                                         draws=+0.5 * 0.75 * post**2)]
    wider = attribute(est(post), prior, widening)
    assert np.isnan(wider.share_trial)
    assert "mostly prior" not in wider.drivers


def test_the_prior_term_is_the_joint_prior_density_of_the_free_variables():
    import pymc as pm
    from scipy import stats

    from bayes_scot import _compat
    from bayes_scot.fitting.terms import likelihood_terms

    with pm.Model() as model:
        sigma = pm.HalfNormal("sigma", 2.0)
        theta = pm.Normal("theta", 0.5, sigma)
        pm.Normal("y", theta, 1.0, observed=[0.3, 1.1])
    rng = np.random.default_rng(5)
    draws = {"sigma": rng.uniform(0.5, 2.0, (2, 50)), "theta": rng.normal(0, 1, (2, 50))}
    import xarray as xr

    idata = _compat.inference_data(posterior=xr.Dataset(
        {k: (("chain", "draw"), v) for k, v in draws.items()}))
    records = {r["name"]: r for r in likelihood_terms(type("B", (), {"model": model})(), idata)}
    prior = records["log_prior"]
    assert prior["source"] == "prior"
    expected = (stats.halfnorm.logpdf(draws["sigma"], scale=2.0)
                + stats.norm.logpdf(draws["theta"], 0.5, draws["sigma"]))
    # PyMC writes the normalising constants with fewer digits than SciPy (about 1e-9).
    np.testing.assert_allclose(prior["draws"], expected, rtol=1e-7)
    expected_y = stats.norm.logpdf([[0.3], [1.1]], draws["theta"].ravel(), 1.0).sum(0)
    np.testing.assert_allclose(records["y"]["draws"].ravel(), expected_y, rtol=1e-7)


def test_priors_table_shows_the_estimand_a_prior_is_stated_on_first() -> None:
    # A fit with two estimands: "effect" carries the parameter, "other" is a headline
    # estimand implied by it. The stated row comes first, then the implied one; a
    # headline key that is also the carrier is shown once, as stated.
    base = _fit(0.5)
    carrier = dataclasses.replace(base.estimands[0], attrs={"parameter": "theta"})
    other = dataclasses.replace(base.estimands[0], estimand="other")
    prior = dataclasses.replace(base.prior_estimands[0], attrs={"parameter": "theta"})
    fit = dataclasses.replace(base, estimands=(carrier, other),
                              prior_estimands=(prior, dataclasses.replace(
                                  prior, estimand="other", attrs={})))
    table = priors_table([fit], ["x:other", "x:effect"])
    assert table[["estimand", "role"]].to_numpy().tolist() == [["effect", "stated"],
                                                           ["other", "implied"]]
    # Without headline estimands only the stated row is shown.
    assert priors_table([fit]).role.tolist() == ["stated"]
    # A fit whose estimands carry no parameter and no headline: one row, no estimand.
    bare = priors_table([base])
    assert bare.role.tolist() == [""]
    assert np.isnan(bare.prior_p_superior.iloc[0])


def test_a_curve_functional_takes_the_prior_share_of_the_effect_it_follows() -> None:
    # SIMULATED. The effect theta is conjugate (trial and external sources, exact
    # shares). A survival-difference-like row g = theta * b follows it, with b a
    # nuisance whose prior is far wider than its posterior (the baseline), so the
    # row's own variance ratio measures b's prior, not theta's: a row naming
    # attribute_through takes theta's prior share, and splits its data share by its
    # own sources' precisions.
    post, prior, terms, exact = conjugate([("trial", TRIAL), ("external", EXTERNAL)])
    rng = np.random.default_rng(9)
    b_post, b_prior = rng.normal(0.3, 0.02, DRAWS), rng.uniform(0.0, 0.1, DRAWS)
    through = {"attribute_through": ("x", "effect")}
    row = dataclasses.replace(post, estimand="difference", draws=post.draws * b_post,
                              attrs=through)
    row_prior = dataclasses.replace(prior, estimand="difference",
                                    draws=prior.draws * b_prior, attrs=through)
    own = attribute(row, row_prior, terms)
    assert not abs(own.share_prior - exact["prior"]) < 0.1  # its own ratio misleads
    fit = PriorFit(family="toy", prior="p", estimands=(post, row), diagnostics=Diag(),
                   prior_estimands=(prior, row_prior), likelihood_terms=tuple(terms))
    table = superiority_table([fit]).set_index("estimand")
    assert table.loc["difference", "share_prior"] == pytest.approx(
        table.loc["effect", "share_prior"], abs=1e-12)
    assert table.loc["difference", "share_prior"] == pytest.approx(exact["prior"], abs=TOL)
    # The data's share is split by the row's own sources, here as theta's.
    ratio = table.loc["difference", "share_trial"] / table.loc["difference", "share_external"]
    assert ratio == pytest.approx(exact["trial"] / exact["external"], rel=0.05)


def test_evidence_that_informs_no_effect_enters_no_attribution() -> None:
    # A baseline mean sets the level both arms share: its term varies with the draws
    # (here SIMULATED noise correlated with the effect by chance), but it is not
    # evidence on the treatment effect, so the shares are those without it.
    post, prior, terms, exact = conjugate([("trial", TRIAL), ("external", EXTERNAL)])
    noise = np.random.default_rng(4).normal(size=DRAWS) + 0.3 * post.draws
    baseline = LikelihoodTerm(name="baseline", source="trial", endpoints=frozenset({"x"}),
                              draws=noise, informs_effect=False)
    with_baseline = attribute(post, prior, [*terms, baseline])
    without = attribute(post, prior, terms)
    assert with_baseline == without
    assert with_baseline.share_trial == pytest.approx(exact["trial"], abs=TOL)
