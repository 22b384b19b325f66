"""Direct route: the published GRCS summary as a normal likelihood on the net benefit."""

from __future__ import annotations

import dataclasses
import math

import arviz as az
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bayes_scot.builders.composite import CompositeModel, CompositeOptions
from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.data import load_trial
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import Endpoint, PairwiseSummary, Source
from bayes_scot.fitting import SamplerSettings, diagnose
from bayes_scot.stats.priors import EffectPrior
from bayes_scot.stats.win import (
    direct_estimands,
    hanley_mcneil_se,
    null_win_probability_se,
    pairwise_effect,
    pairwise_posterior,
    win_statistics_draws,
)

SEED = 20180104
REPRODUCE_COLUMNS = [
    "trial", "entry", "endpoint", "population", "arm", "time_months", "statistic",
    "published", "median", "lower", "upper", "outside",
]


@pytest.fixture(scope="module")
def scot():
    return load_trial("scot")


@pytest.fixture(scope="module")
def itt54(scot):
    return next(e for e in scot.evidence("pairwise", population="itt") if e.time_months == 54)


def _summary(percent_e: float, percent_c: float, p: float | None, n=(36, 39)) -> PairwiseSummary:
    return PairwiseSummary(
        id="simulated", endpoint="grcs", population="itt", time_months=54,
        percent_favourable={"hsct": percent_e, "cyc": percent_c},
        n={"hsct": n[0], "cyc": n[1]}, p_value=p,
        source=Source(citation="simulated", locator="test", tag="reported"),
    )


# -- standard errors ---------------------------------------------------------------------


def test_se_from_the_published_p_value(itt54) -> None:
    # 66.6% vs 33.4%, P = 0.01: NB = 0.332, z = Phi^-1(0.995) = 2.5758.
    effect = pairwise_effect(itt54, experimental="hsct", control="cyc")
    assert effect.estimate == pytest.approx(0.332)
    assert effect.se == pytest.approx(0.332 / stats.norm.isf(0.005))
    assert effect.p_tie == pytest.approx(0.0)
    assert effect.z == pytest.approx(stats.norm.isf(0.005))
    log_scale = pairwise_effect(itt54, experimental="hsct", control="cyc", scale="log_win_odds")
    assert log_scale.estimate == pytest.approx(math.log(0.666 / 0.334))
    assert log_scale.se == pytest.approx(log_scale.estimate / stats.norm.isf(0.005))


def test_ties_are_split_between_the_arms() -> None:
    effect = pairwise_effect(_summary(60.0, 30.0, 0.02), experimental="hsct", control="cyc")
    assert effect.p_tie == pytest.approx(0.10)
    assert effect.win_probability == pytest.approx(0.65)
    assert effect.estimate == pytest.approx(0.30)


def test_hanley_mcneil_at_no_effect_is_near_the_null_variance() -> None:
    # At A = 1/2, Q1 = 1/3 and Q2 = 1/3, so Var = (1/4 + (n + m - 2)/12) / (n m), which is
    # the exact rank-sum null variance (n + m + 1) / (12 n m).
    assert hanley_mcneil_se(0.5, 36, 39) == pytest.approx(null_win_probability_se(36, 39))


def test_published_p_value_is_consistent_with_a_rank_test(itt54) -> None:
    # The rank-sum test's null SE with A = 0.666 gives P = 0.013, which prints as 0.01.
    z = (0.666 - 0.5) / null_win_probability_se(36, 39)
    assert round(2 * stats.norm.sf(z), 2) == itt54.p_value


def test_derived_se_matches_the_u_statistic_sampling_distribution(itt54) -> None:
    # Many trials of 36 vs 39 patients with normal scores shifted so that P(win) = 0.666,
    # compared through the same kernel as any hierarchy; SD of the net benefit across
    # trials against the SEs derived from the published p-value.
    n_trials = 20000
    rng = np.random.default_rng(SEED)
    shift = math.sqrt(2) * stats.norm.ppf(0.666)
    x = rng.normal(shift, 1.0, size=(n_trials, 36, 1))
    y = rng.normal(0.0, 1.0, size=(n_trials, 39, 1))
    result = win_statistics_draws(x, y, [("score", "higher", 0.0)])
    sd_nb = float(np.std(result.net_benefit, ddof=1))
    assert float(np.mean(result.win_probability)) == pytest.approx(0.666, abs=0.002)
    # Tolerance: P = 0.01 is printed to one significant figure, so the true p-value lies in
    # [0.005, 0.015) and the SE it implies in [0.118, 0.137]. The Monte Carlo SE of an SD
    # from 20000 trials is 0.5% of it (about 0.0006), far inside that range.
    se_bounds = [0.332 / stats.norm.isf(p / 2) for p in (0.005, 0.015)]
    assert se_bounds[0] < sd_nb < se_bounds[1]
    derived = pairwise_effect(itt54, experimental="hsct", control="cyc").se
    assert abs(derived - sd_nb) / sd_nb < 0.05
    # The U-statistic variance formula (Hanley-McNeil) agrees to 2%: its Q1, Q2 are exact
    # for exponential scores, an approximation for normal ones.
    hanley = pairwise_effect(itt54, experimental="hsct", control="cyc", se_method="hanley_mcneil")
    assert abs(hanley.se - sd_nb) / sd_nb < 0.02
    # On the log win odds scale the p-value route understates the spread (documented).
    log_wo = np.log(np.asarray(result.win_odds))
    derived_log = pairwise_effect(itt54, experimental="hsct", control="cyc",
                                  scale="log_win_odds").se
    assert derived_log < float(np.std(log_wo, ddof=1)) < 1.12 * derived_log


def test_pairwise_effect_rejects_what_it_cannot_use() -> None:
    with pytest.raises(EvidenceError, match="p-value is needed"):
        pairwise_effect(_summary(66.6, 33.4, None), experimental="hsct", control="cyc")
    with pytest.raises(EvidenceError, match="no percentage"):
        pairwise_effect(_summary(66.6, 33.4, 0.01), experimental="asct", control="cyc")
    with pytest.raises(EvidenceError, match="no standard error"):
        pairwise_effect(_summary(50.0, 50.0, 0.9), experimental="hsct", control="cyc")
    with pytest.raises(EvidenceError, match="one arm"):
        pairwise_effect(_summary(100.0, 0.0, 0.001), experimental="hsct", control="cyc")
    with pytest.raises(EvidenceError, match="scale"):
        pairwise_effect(_summary(66.6, 33.4, 0.01), experimental="hsct", control="cyc",
                        scale="odds")  # type: ignore[arg-type]


# -- closed form -------------------------------------------------------------------------


def test_estimand_transforms_are_consistent() -> None:
    theta = np.array([-0.5, 0.0, 0.332])
    nb = direct_estimands(theta, scale="net_benefit")
    np.testing.assert_allclose(nb["win_probability"], (1 + theta) / 2)
    np.testing.assert_allclose(nb["win_odds"], (1 + theta) / (1 - theta))
    np.testing.assert_allclose(nb["win_ratio"], nb["win_odds"])  # no ties
    log = direct_estimands(np.log(nb["win_odds"]), scale="log_win_odds")
    np.testing.assert_allclose(log["net_benefit"], theta)
    tied = direct_estimands(np.array([0.2]), scale="net_benefit", p_tie=0.2)
    # A = 0.6, T = 0.2: P(win) = 0.5, P(loss) = 0.3.
    assert tied["win_ratio"][0] == pytest.approx(0.5 / 0.3)
    assert tied["win_odds"][0] == pytest.approx(0.6 / 0.4)
    outside = direct_estimands(np.array([1.2]), scale="net_benefit")
    assert np.isnan(outside["win_odds"][0])


def test_closed_form_is_the_conjugate_update(scot) -> None:
    model = CompositeModel(scot)
    prior = EffectPrior(name="test", family="elicited", strength="", mean=0.1, sd=0.2,
                        statement="test")
    posterior = model.closed_form(prior)
    se = model.observation.se
    precision = 1 / 0.2**2 + 1 / se**2
    assert posterior.sd == pytest.approx(precision**-0.5)
    assert posterior.mean == pytest.approx((0.1 / 0.2**2 + 0.332 / se**2) / precision)
    assert posterior.p_superior() == pytest.approx(stats.norm.cdf(posterior.mean / posterior.sd))
    summary = posterior.summary()
    z = stats.norm.ppf(0.5 + CREDIBLE_LEVEL / 2)
    assert summary.loc["net_benefit", "lower"] == pytest.approx(posterior.mean - z * posterior.sd)
    assert summary.loc["win_probability", "median"] == pytest.approx((1 + posterior.mean) / 2)


def test_reference_prior_result_for_scot(scot) -> None:
    table = CompositeModel(scot).closed_form_table()
    assert table["prior"].iloc[0] == "reference"
    assert len(table) == 13 * 4
    ref = table.query("prior == 'reference' and estimand == 'net_benefit'").iloc[0]
    # Reference N(0, 0.5^2) with estimate 0.332 (SE 0.1289): posterior mean 0.311, SD 0.1248.
    assert ref["median"] == pytest.approx(0.3113, abs=1e-3)
    assert ref["p_superior"] == pytest.approx(stats.norm.cdf(0.3113 / 0.1248), abs=1e-3)
    # Every prior in the grid leaves HSCT more likely to win than to lose.
    assert (table["p_superior"] > 0.5).all()


def test_per_protocol_and_48_months_entries(scot) -> None:
    pp = CompositeModel(load_trial("scot", population="pp"))
    assert pp.entry.id == "pp_grcs_54"
    assert pp.observation.estimate == pytest.approx(0.402)
    month48 = CompositeModel(scot, options=CompositeOptions(time_months=48))
    assert month48.entry.id == "itt_grcs_48"
    with pytest.raises(EvidenceError, match="no GRCS pairwise summary at 60 months"):
        CompositeModel(scot, options=CompositeOptions(time_months=60))


def test_a_declared_composite_endpoint_is_analysed_by_name(scot) -> None:
    # SCOT's GRCS summaries under another name, as a trial file declaring its own
    # composite endpoint would give them: the same numbers, its own name and label.
    from dataclasses import replace

    from bayes_scot.evidence import Endpoint, PairwiseSummary

    renamed = replace(scot, entries=tuple(
        replace(e, endpoint="hier") if isinstance(e, PairwiseSummary) else e
        for e in scot.entries), endpoints={"hier": Endpoint(
            name="hier", label="Hierarchical composite", kind="composite", better="higher")})
    with pytest.raises(EvidenceError, match="other pairwise summaries are of 'hier': name "
                                            "one with the composite option 'endpoint'"):
        CompositeModel(renamed)
    model = CompositeModel(renamed, options=CompositeOptions(endpoint="hier"))
    grcs = CompositeModel(scot)
    assert model.observation == grcs.observation
    prior = model.prior_grid()["reference"]
    assert model.closed_form(prior).p_superior() == grcs.closed_form(prior).p_superior()
    rows = model.estimands(_fake_posterior(model, prior))
    assert {e.endpoint for e in rows} == {"hier"}
    assert rows[0].label.startswith("Hierarchical composite at 54 months")


def test_population_and_labels_come_from_the_trial() -> None:
    scot = load_trial("scot", population="all")
    # A view of all populations analyses the first population (in the file's order)
    # that reports the summary: with the interim cohort (no summaries) listed first,
    # still the ITT summary; with per protocol first, the per-protocol one.
    order = ("interim_cohort", "pp", "itt")
    reordered = dataclasses.replace(scot, populations={p: scot.populations[p] for p in order})
    assert CompositeModel(reordered).entry.id == "pp_grcs_54"
    without_pp = dataclasses.replace(
        scot, populations={p: scot.populations[p] for p in ("interim_cohort", "itt")})
    assert CompositeModel(without_pp).entry.id == "itt_grcs_54"
    # The endpoint's label is the trial's (a file may declare its own), the arms' names
    # are the trial's arms.
    renamed = dataclasses.replace(scot, endpoints={"grcs": Endpoint(
        name="grcs", label="Composite rank score", kind="composite", better="higher")})
    model = CompositeModel(renamed)
    labels = [e.label for e in model.estimands(_fake_posterior(model, model.prior_grid()[
        "reference"]))]
    assert all(label.startswith("Composite rank score at 54 months") for label in labels)
    assert all("HSCT vs CYC" in label for label in labels)


def test_one_trial_only(scot) -> None:
    assert CompositeModel([scot]).entry.id == "itt_grcs_54"
    with pytest.raises(EvidenceError, match="one trial"):
        CompositeModel([scot, scot])


def test_options_are_validated() -> None:
    with pytest.raises(EvidenceError, match="scale"):
        CompositeOptions(scale="odds")  # type: ignore[arg-type]
    with pytest.raises(EvidenceError, match="se_method"):
        CompositeOptions(se_method="bootstrap")  # type: ignore[arg-type]
    log = CompositeOptions(scale="log_win_odds")
    assert log.effect_design == pytest.approx(math.log(1.5))
    assert log.effect_reference_sd == 1.0
    # The default design effect is the same statement on both scales: win odds 1.5.
    nb = CompositeOptions().effect_design
    assert (1 + nb) / (1 - nb) == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"design_effect": 5.0}, "design_effect", "between -1 and 1"),
        ({"design_effect": -1.0}, "design_effect", "between -1 and 1"),
        ({"design_effect": 0.0}, "design_effect", "nonzero"),
        ({"design_effect": float("nan")}, "design_effect", "finite"),
        ({"design_effect": float("inf"), "scale": "log_win_odds"}, "design_effect", "finite"),
        ({"design_effect": 0.0, "scale": "log_win_odds"}, "design_effect", "nonzero"),
        ({"reference_sd": 0.0}, "reference_sd", "positive"),
        ({"reference_sd": -0.5}, "reference_sd", "positive"),
        ({"reference_sd": float("nan")}, "reference_sd", "positive"),
        ({"reference_sd": float("inf")}, "reference_sd", "positive"),
    ],
)
def test_design_effect_and_reference_sd_are_checked(kwargs, field, message) -> None:
    with pytest.raises(EvidenceError, match=message) as err:
        CompositeOptions(**kwargs)
    assert err.value.field == field


def test_a_large_design_effect_is_a_log_win_odds() -> None:
    assert CompositeOptions(design_effect=5.0, scale="log_win_odds").effect_design == 5.0


# -- builder interface without sampling -------------------------------------------------


def _fake_posterior(model: CompositeModel, prior: EffectPrior, n=(4, 5000)) -> az.InferenceData:
    """Exact posterior draws (closed form) in the shape of a sampled posterior."""
    post = model.closed_form(prior)
    rng = np.random.default_rng(SEED)
    draws = rng.normal(post.mean, post.sd, size=n)
    return az.from_dict(posterior={model.effect_parameters[0]: draws})


def test_prior_data_names_match_the_model(scot) -> None:
    model = CompositeModel(scot)
    prior = model.prior_grid()["skeptical_strong"]
    data = model.prior_data(prior)
    assert set(data) == {"net_benefit_prior_mean", "net_benefit_prior_sd"}
    assert data["net_benefit_prior_sd"] == pytest.approx(prior.sd)
    assert model.prior_data({"net_benefit": prior}) == data
    names = {v.name for v in model.model.data_vars}
    assert set(data) <= names
    assert {"grcs_estimate", "grcs_se"} <= names
    with pytest.raises(EvidenceError, match="no prior for the effect parameter"):
        model.prior_data({"log_win_odds": prior})
    with pytest.raises(EvidenceError, match="EffectPrior"):
        model.prior_data((0.0, 1.0))  # type: ignore[arg-type]


@pytest.mark.slow
def test_model_log_density_is_finite(scot) -> None:
    # A structural check without compiling a sampler: log density and gradient finite.
    model = CompositeModel(scot).model
    point = model.initial_point()
    assert np.isfinite(model.compile_logp()(point))
    assert np.all(np.isfinite(model.compile_dlogp()(point)))


def test_estimands_from_draws_match_the_closed_form(scot) -> None:
    model = CompositeModel(scot)
    prior = model.prior_grid()["reference"]
    estimands = {e.estimand: e for e in model.estimands(_fake_posterior(model, prior))}
    assert set(estimands) == {
        "net_benefit_54", "win_probability_54", "win_odds_54", "win_ratio_54"
    }
    closed = model.closed_form(prior)
    nb = estimands["net_benefit_54"]
    assert {k for k, e in estimands.items() if "parameter" in e.attrs} == {"net_benefit_54"}
    assert nb.attrs["parameter"] == "net_benefit"
    assert nb.endpoint == "grcs"
    assert nb.null == 0.0
    assert nb.superior == "higher"
    # 20000 exact draws: the Monte Carlo SE of a tail probability near 0.994 is
    # sqrt(.994 * .006 / 20000) = 0.0005; three SEs.
    assert nb.p_superior() == pytest.approx(closed.p_superior(), abs=0.0016)
    assert estimands["win_odds_54"].p_superior() == nb.p_superior()
    assert estimands["win_odds_54"].null == 1.0
    assert estimands["win_probability_54"].null == 0.5
    # Median of 20000 normal draws: SE 1.2533 sd / sqrt(n) = 0.0011; four SEs.
    assert np.median(nb.draws) == pytest.approx(closed.mean, abs=0.0045)


def test_reproduce_sets_the_published_percentages_against_the_predictive(scot) -> None:
    model = CompositeModel(scot)
    idata = _fake_posterior(model, model.prior_grid()["reference"])
    table = model.reproduce(idata)
    assert list(table.columns) == REPRODUCE_COLUMNS
    assert list(table["arm"]) == ["hsct", "cyc"]
    assert list(table["published"]) == [66.6, 33.4]
    assert not table["outside"].any()
    # The two arms' predictive percentages mirror each other (no ties).
    hsct, cyc = table.iloc[0], table.iloc[1]
    assert hsct["median"] + cyc["median"] == pytest.approx(100.0)
    # Same posterior and seed, same table.
    pd.testing.assert_frame_equal(table, model.reproduce(idata))


def test_repr_names_the_entry(scot) -> None:
    assert "itt_grcs_54" in repr(CompositeModel(scot))


def test_closed_form_posterior_helper_matches_builder(itt54, scot) -> None:
    effect = pairwise_effect(itt54, experimental="hsct", control="cyc")
    direct = pairwise_posterior(effect, 0.0, 0.5, prior="reference")
    built = CompositeModel(scot).closed_form(CompositeModel(scot).prior_grid()["reference"])
    assert direct.mean == pytest.approx(built.mean)
    assert direct.sd == pytest.approx(built.sd)


# -- exact posterior without MCMC ----------------------------------------------------------


@pytest.mark.parametrize("name", ["reference", "skeptical_strong", "pessimistic_strong",
                                  "optimistic_weak"])
def test_exact_sampler_is_the_conjugate_formula(scot, name) -> None:
    """The direct route's reported posterior is N(m1, s1^2) of the normal-normal update."""
    model = CompositeModel(scot)
    prior = model.prior_grid()[name]
    settings = SamplerSettings(chains=4, draws=1000)
    idata = model.exact_sampler().sample(model.prior_data(prior), settings=settings,
                                         seed=SEED, log_likelihood=True)
    y, se = model.observation.estimate, model.observation.se
    precision = 1 / prior.sd**2 + 1 / se**2
    m1, s1 = (prior.mean / prior.sd**2 + y / se**2) / precision, precision**-0.5
    posterior = idata.posterior
    assert posterior.attrs["exact_mean"] == pytest.approx(m1, rel=1e-12)
    assert posterior.attrs["exact_sd"] == pytest.approx(s1, rel=1e-12)
    assert posterior.attrs["sampler_backend"] == "closed_form"
    draws = posterior["net_benefit"].to_numpy()
    assert draws.shape == (4, 1000)
    # The draws are the posterior's quantiles at (i + 1/2)/4000: a tail probability is
    # exact within 1/4000, and a quantile q within one grid spacing,
    # s1 / (4000 phi(z_q)) (0.0043 s1 at 2.5%, 0.0006 s1 at the median).
    p = stats.norm.cdf(m1 / s1)
    estimands = {e.estimand: e for e in model.estimands(idata)}
    nb = estimands["net_benefit_54"]
    assert nb.p_superior() == pytest.approx(p, abs=1 / 4000)
    assert nb.attrs["exact_p_superior"] == pytest.approx(p, rel=1e-12)
    alpha = (1 - CREDIBLE_LEVEL) / 2
    for q in (alpha, 0.5, 1 - alpha):
        z = stats.norm.ppf(q)
        assert np.quantile(draws, q) == pytest.approx(m1 + s1 * z,
                                                      abs=s1 / (4000 * stats.norm.pdf(z)))
    odds = estimands["win_odds_54"].draws
    assert np.median(odds) == pytest.approx((1 + m1) / (1 - m1), rel=1e-3)
    # The prior group holds the prior's quantiles; the log-likelihood is the normal's.
    assert np.mean(idata.prior["net_benefit"].to_numpy()) == pytest.approx(prior.mean,
                                                                           abs=1e-9)
    np.testing.assert_allclose(idata.log_likelihood["grcs_observed"].to_numpy(),
                               stats.norm.logpdf(y, loc=draws, scale=se), rtol=1e-12)
    checks = diagnose(idata)
    assert checks.passed
    assert checks.divergences == 0


def test_exact_sampler_is_deterministic_and_checks_its_data(scot) -> None:
    model = CompositeModel(scot)
    sampler = model.exact_sampler()
    grid = model.prior_grid()
    fits = sampler.sample_many({n: model.prior_data(grid[n]) for n in ("reference",
                                                                       "neutral_strong")},
                               seed=3)
    again = sampler.sample(model.prior_data(grid["reference"]), seed=3)
    np.testing.assert_array_equal(fits["reference"].posterior["net_benefit"].to_numpy(),
                                  again.posterior["net_benefit"].to_numpy())
    assert not sampler.batches
    assert float(fits["neutral_strong"].constant_data["net_benefit_prior_sd"]) == \
        grid["neutral_strong"].sd
    with pytest.raises(KeyError, match="not data containers"):
        sampler.sample({"net_benefit_prior_median": 0.0}, seed=3)
    # Replicates of the published summary feed the reproduce table like a sampler's.
    predicted = sampler.posterior_predictive(again, seed=4)
    replicate = predicted.posterior_predictive["grcs_observed"].to_numpy()
    residual = replicate - again.posterior["net_benefit"].to_numpy()
    # 4000 N(0, SE^2) residuals: their SD within 5% of the SE (about 4 Monte Carlo SEs).
    assert np.std(residual) == pytest.approx(model.observation.se, rel=0.05)
    assert list(model.reproduce(predicted)["published"]) == [66.6, 33.4]


def test_arm_labels_follow_the_trial_file() -> None:
    """Labels name the arms by their ``short_label``, else by the names the file uses."""
    scot = load_trial("scot")
    assert scot.arm_labels == ("HSCT", "CYC")
    plain = dataclasses.replace(scot, arms=tuple(
        dataclasses.replace(a, short_label="") for a in scot.arms))
    assert plain.arm_labels == ("hsct", "cyc")
    model = CompositeModel(plain)
    labels = [e.label for e in model.estimands(_fake_posterior(model, model.prior_grid()[
        "reference"]))]
    assert all("hsct vs cyc" in label for label in labels)


def test_the_prior_columns_of_the_exact_route_are_exact() -> None:
    """The closed-form fit's prior quantiles give its prior columns, not forward draws.

    Each named prior's statement then holds to the grid's resolution (1/4000 for
    4 x 1000 quantiles): reference and skeptical priors centred on no effect give
    exactly 1/2, the strong optimistic and pessimistic ones 95% and 5%.
    """
    import bayes_scot as bs

    table = bs.reanalyse("scot_itt", families=("composite",), progress=False).table()
    prior = table.set_index(["estimand", "prior"])["prior_p_superior"]
    for estimand in ("net_benefit_54", "win_odds_54"):
        assert prior[(estimand, "reference")] == pytest.approx(0.5, abs=1 / 4000)
        assert prior[(estimand, "skeptical_strong")] == pytest.approx(0.5, abs=1 / 4000)
        assert prior[(estimand, "optimistic_strong")] == pytest.approx(0.95, abs=1 / 4000)
        assert prior[(estimand, "pessimistic_strong")] == pytest.approx(0.05, abs=1 / 4000)
