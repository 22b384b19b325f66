"""Model-based route: patients simulated from posterior draws, compared through the GRCS.

Inputs here are simulated arrays standing in for survival and longitudinal posteriors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from bayes_scot.data import load_trial
from bayes_scot.errors import EvidenceError
from bayes_scot.results.grcs import (
    CONTINUOUS_LEVELS,
    GRCS_LEVELS,
    GrcsSimulationOptions,
    grcs_from_posteriors,
    grcs_hierarchy,
    model_based_grcs,
)
from bayes_scot.stats.illness_death import TRANSITIONS

BOUNDARIES = np.array([0.0, 3.0, 12.0, 24.0, 54.0, 72.0])
HORIZON = 54.0
NO_TIES_BEYOND = 1e9  # a margin no simulated difference reaches: the level always ties
NEGLIGIBLE = 1e-12  # a hazard per month whose events by 54 months have probability 5e-11
ARMS = ("hsct", "cyc")  # SCOT's arms, (experimental, control)


def _hazards(shape, exp_rates, ctl_rates) -> np.ndarray:
    """Constant hazards (organ failure, death event-free, death after failure) per arm.

    Hazards of "no event" are NEGLIGIBLE rather than 0: the illness-death simulator warns
    on an exactly zero hazard in its open-ended last interval.
    """
    h = np.full((*shape, 2, len(BOUNDARIES) - 1, 3), NEGLIGIBLE)
    h[..., 0, :, :] = np.maximum(exp_rates, NEGLIGIBLE)
    h[..., 1, :, :] = np.maximum(ctl_rates, NEGLIGIBLE)
    return h


def _u_bound(p: float, n: int, draws: int) -> float:
    """Upper bound on the SE of a mean over draws of a 0/1-kernel U-statistic, n vs n."""
    return math.sqrt(p * (1 - p) * (2 / n) / draws)


@pytest.fixture(scope="module")
def scot():
    return load_trial("scot")


@pytest.fixture(scope="module")
def realistic():
    """A posterior-like input: hazards and means vary over 2 x 80 draws."""
    rng = np.random.default_rng(7)
    shape = (2, 80)
    h = _hazards(shape, [0.003, 0.003, 0.01], [0.008, 0.005, 0.02])
    h *= rng.lognormal(0.0, 0.2, size=h.shape)
    means = np.array([[78.0, 1.0, 15.0], [72.0, 1.3, 20.0]]) + rng.normal(
        0.0, [2.0, 0.1, 1.5], size=(*shape, 2, 3)
    )
    sds = np.array([[15.0, 0.7, 9.5], [15.0, 0.7, 9.5]])
    return h, means, sds


# -- hierarchy ---------------------------------------------------------------------------


def test_hierarchy_follows_the_grcs_order_and_endpoint_directions() -> None:
    levels = grcs_hierarchy()
    assert [name for name, _, _ in levels] == list(GRCS_LEVELS)
    assert [better for _, better, _ in levels] == ["higher", "higher", "higher", "lower", "lower"]
    assert [margin for _, _, margin in levels] == [0.0, 0.0, 3.0, 0.10, 5.0]


# -- closed forms ------------------------------------------------------------------------


def test_event_free_patients_follow_the_hierarchical_normal_closed_form() -> None:
    # No events: every pair reaches FVC. Independent normal outcomes (correlation 0):
    # P(win) = w1 + t1 (w2 + t2 w3), w_k = Phi((D_k - d_k)/(s_k sqrt 2)),
    # l_k = Phi((-D_k - d_k)/(s_k sqrt 2)), t_k = 1 - w_k - l_k, D_k oriented so that a
    # positive difference favours the experimental arm.
    options = GrcsSimulationOptions(correlation=0.0, correlation_sensitivity=(),
                                    n_population=1500, fvc_margin=5.0, haq_di_margin=0.2,
                                    mrss_margin=4.0)
    means = np.array([[76.0, 1.1, 18.0], [72.0, 1.3, 20.0]])
    sds = np.array([[15.0, 0.7, 9.5], [15.0, 0.7, 9.5]])
    shape = (1, 4)
    result = model_based_grcs(_hazards(shape, 0.0, 0.0), BOUNDARIES, means, sds,
                              n_trial=(36, 39), arms=ARMS, options=options)
    oriented = np.array([4.0, 0.2, 2.0])  # FVC higher better; HAQ-DI, mRSS lower better
    margins = np.array([5.0, 0.2, 4.0])
    scale = np.array([15.0, 0.7, 9.5]) * math.sqrt(2)
    w = stats.norm.cdf((oriented - margins) / scale)
    lo = stats.norm.cdf((-oriented - margins) / scale)
    t = 1 - w - lo
    p_win = w[0] + t[0] * (w[1] + t[1] * w[2])
    p_loss = lo[0] + t[0] * (lo[1] + t[1] * lo[2])
    # Tolerance: 4 SEs of the mean over 4 draws of a 1500 vs 1500 U-statistic.
    population = result.population
    assert np.mean(population.p_win) == pytest.approx(p_win, abs=4 * _u_bound(p_win, 1500, 4))
    assert np.mean(population.p_loss) == pytest.approx(p_loss, abs=4 * _u_bound(p_loss, 1500, 4))
    p_tie = t[0] * t[1] * t[2]
    assert np.mean(population.p_tie) == pytest.approx(p_tie, abs=4 * _u_bound(p_tie, 1500, 4))


@pytest.mark.parametrize("transition", [1, 0], ids=["death", "organ_failure"])
def test_time_to_event_levels_follow_the_exponential_closed_form(transition) -> None:
    # One constant hazard per arm, on death (transition 1) or on organ failure
    # (transition 0, no later deaths). Event-free pairs tie at every later level (margins
    # no difference reaches). With S(t) = exp(-h t):
    # P(win) = S_e(tau)(1 - S_c(tau)) + P(T_c < T_e <= tau),
    # P(T_c < T_e <= tau) = h_c (1 - exp(-(h_e + h_c) tau))/(h_e + h_c)
    #                       - exp(-h_e tau)(1 - exp(-h_c tau)).
    h_e, h_c = 0.004, 0.012
    rates_e, rates_c = np.zeros(3), np.zeros(3)
    rates_e[transition], rates_c[transition] = h_e, h_c
    options = GrcsSimulationOptions(n_population=1500, correlation_sensitivity=(),
                                    fvc_margin=NO_TIES_BEYOND, haq_di_margin=NO_TIES_BEYOND,
                                    mrss_margin=NO_TIES_BEYOND)
    means = np.array([[75.0, 1.0, 15.0], [75.0, 1.0, 15.0]])
    sds = np.ones((2, 3))
    result = model_based_grcs(_hazards((1, 4), rates_e, rates_c), BOUNDARIES, means, sds,
                              n_trial=(36, 39), arms=ARMS, options=options)
    s_e, s_c = math.exp(-h_e * HORIZON), math.exp(-h_c * HORIZON)
    later = h_c * (1 - math.exp(-(h_e + h_c) * HORIZON)) / (h_e + h_c) - s_e * (1 - s_c)
    earlier = h_e * (1 - math.exp(-(h_e + h_c) * HORIZON)) / (h_e + h_c) - s_c * (1 - s_e)
    p_win = s_e * (1 - s_c) + later
    p_loss = s_c * (1 - s_e) + earlier
    # Tolerance: 4 SEs of the mean over 4 draws of a 1500 vs 1500 U-statistic.
    population = result.population
    assert np.mean(population.p_win) == pytest.approx(p_win, abs=4 * _u_bound(p_win, 1500, 4))
    assert np.mean(population.p_loss) == pytest.approx(p_loss, abs=4 * _u_bound(p_loss, 1500, 4))
    decided_at = result.population.by_level()
    level = "death" if transition == 1 else "efs_event"
    other = "efs_event" if transition == 1 else "death"
    assert decided_at.loc[other, "p_win"] == 0.0
    assert decided_at.loc[level, "p_win"] > 0.0


# -- the posterior predictive and the population estimand --------------------------------


@pytest.fixture(scope="module")
def prediction(scot, realistic):
    h, means, sds = realistic
    entry = next(e for e in scot.evidence("pairwise") if e.time_months == 54)
    return model_based_grcs(h, BOUNDARIES, means, sds, n_trial=(36, 39), arms=ARMS, entry=entry,
                            trial_name="scot")


def test_shapes_and_estimands(prediction) -> None:
    assert prediction.shape == (2, 80)
    assert (prediction.trial.n_experimental, prediction.trial.n_control) == (36, 39)
    assert prediction.population.n_experimental == prediction.options.n_population
    estimands = {e.estimand: e for e in prediction.estimands()}
    assert set(estimands) == {
        "model_p_win_54", "model_p_loss_54", "model_net_benefit_54", "model_win_ratio_54",
        "model_win_odds_54", "model_win_probability_54",
    }
    for e in estimands.values():
        assert e.endpoint == "grcs"
        assert e.draws.shape == (2, 80)
    assert estimands["model_p_loss_54"].superior == "lower"
    assert estimands["model_win_odds_54"].null == 1.0
    np.testing.assert_allclose(
        estimands["model_net_benefit_54"].draws,
        estimands["model_p_win_54"].draws - estimands["model_p_loss_54"].draws,
    )


def test_trial_size_predictive_is_centred_on_the_population_estimand(prediction) -> None:
    # A U-statistic is unbiased at any sample size: averaged over 160 draws, the
    # trial-size proportions match the population ones. The trial-size SD (about 0.06
    # per draw) gives an SE of the mean of 0.005; 0.02 is four of those.
    trial, population = prediction.trial, prediction.population
    assert np.mean(trial.p_win) == pytest.approx(np.mean(population.p_win), abs=0.02)
    # Sampling noise of 36 vs 39 patients widens the predictive.
    assert np.std(trial.net_benefit) > 1.5 * np.std(population.net_benefit)


def test_reproduce_row_sets_the_published_percentages_against_the_predictive(prediction) -> None:
    table = prediction.reproduce()
    assert list(table["arm"]) == ["hsct", "cyc"]
    assert list(table["published"]) == [66.6, 33.4]
    assert (table["statistic"] == "percent_favourable").all()
    assert (table["lower"] < table["median"]).all()
    assert (table["median"] < table["upper"]).all()
    assert table.loc[0, "median"] + table.loc[1, "median"] == pytest.approx(100.0, abs=1.0)
    assert table["outside"].dtype == bool


def test_correlation_sensitivity_shares_the_event_times(prediction) -> None:
    assert list(prediction.sensitivity) == [0.3, 0.0, 0.6]
    by_level = {rho: r.by_level() for rho, r in prediction.sensitivity.items()}
    # Common random numbers: the death and EFS levels are identical across correlations,
    # and so is FVC, the first row of the Cholesky factor; HAQ-DI and mRSS change.
    for rho in (0.0, 0.6):
        unchanged = ["death", "efs_event", "fvc"]
        np.testing.assert_array_equal(by_level[rho].loc[unchanged], by_level[0.3].loc[unchanged])
        assert not np.array_equal(by_level[rho].loc["haq_di"], by_level[0.3].loc["haq_di"])
    summary = prediction.summary()
    assert set(summary["correlation"]) == {0.0, 0.3, 0.6}
    assert set(summary["statistic"]) >= {"p_win", "p_loss", "p_tie", "net_benefit"}


def test_notebook_display(prediction) -> None:
    assert repr(prediction).startswith("<GrcsPrediction hsct vs cyc at 54 months: 160 draws")
    assert "<table" in prediction._repr_html_()


def test_same_seed_same_numbers(realistic) -> None:
    h, means, sds = realistic
    options = GrcsSimulationOptions(n_population=50, correlation_sensitivity=())
    first = model_based_grcs(h[:, :10], BOUNDARIES, means[:, :10], sds, n_trial=(36, 39),
                             arms=ARMS, options=options)
    again = model_based_grcs(h[:, :10], BOUNDARIES, means[:, :10], sds, n_trial=(36, 39),
                             arms=ARMS, options=options)
    other = model_based_grcs(h[:, :10], BOUNDARIES, means[:, :10], sds, n_trial=(36, 39),
                             arms=ARMS, options=GrcsSimulationOptions(n_population=50, seed=1,
                                                           correlation_sensitivity=()))
    np.testing.assert_array_equal(first.population.wins, again.population.wins)
    assert not np.array_equal(first.population.wins, other.population.wins)


# -- adapter from labelled posteriors ----------------------------------------------------


def test_adapter_reads_labelled_draws_in_any_dim_order(scot, realistic) -> None:
    h, means, sds = realistic
    h, means = h[:, :20], means[:, :20]
    hazards = xr.DataArray(
        h.transpose(0, 1, 2, 4, 3),
        dims=("chain", "draw", "arm", "transition", "interval"),
        coords={"arm": ["hsct", "cyc"], "transition": list(TRANSITIONS)},
        attrs={"boundaries_months": tuple(BOUNDARIES)},  # as the survival model labels it
    ).transpose("transition", "chain", "interval", "arm", "draw")
    # Arms given control first: the adapter selects by label, not by position.
    arm_means = xr.DataArray(
        means, dims=("chain", "draw", "arm", "endpoint"),
        coords={"arm": ["hsct", "cyc"], "endpoint": list(CONTINUOUS_LEVELS)},
    ).sel(arm=["cyc", "hsct"])
    options = GrcsSimulationOptions(n_population=60, correlation_sensitivity=())
    labelled = grcs_from_posteriors(
        hazards, arm_means, {"fvc": 15.0, "haq_di": 0.7, "mrss": 9.5}, trial=scot,
        options=options,
    )
    direct = model_based_grcs(h, BOUNDARIES, means, sds, n_trial=(36, 39), arms=ARMS,
                              options=options)
    np.testing.assert_array_equal(labelled.population.wins, direct.population.wins)
    np.testing.assert_array_equal(labelled.trial.losses, direct.trial.losses)
    assert labelled.entry is not None
    assert labelled.entry.id == "itt_grcs_54"
    assert labelled.trial_name == "scot"
    # Outcome draws from a longer posterior (40 draws per chain against the hazards' 20)
    # are thinned to 20 evenly spaced draws of each chain, paired with the hazards by index.
    longer = np.concatenate([means, means[:, ::-1] + 0.5], axis=1)
    keep = np.linspace(0, 39, 20).round().astype(int)
    thinned = grcs_from_posteriors(
        hazards, xr.DataArray(longer, dims=("chain", "draw", "arm", "endpoint"),
                              coords={"arm": ["hsct", "cyc"],
                                      "endpoint": list(CONTINUOUS_LEVELS)}),
        {"fvc": 15.0, "haq_di": 0.7, "mrss": 9.5}, trial=scot, options=options,
    )
    expected = model_based_grcs(h, BOUNDARIES, longer[:, keep], sds, n_trial=(36, 39), arms=ARMS,
                                options=options)
    np.testing.assert_array_equal(thinned.population.wins, expected.population.wins)


def test_adapter_reports_missing_pieces(scot, realistic) -> None:
    h, means, _ = realistic
    hazards = xr.DataArray(
        h[:, :5], dims=("chain", "draw", "arm", "interval", "transition"),
        coords={"arm": ["hsct", "cyc"], "transition": list(TRANSITIONS)},
    )
    arm_means = xr.DataArray(
        means[:, :5], dims=("chain", "draw", "arm", "endpoint"),
        coords={"arm": ["hsct", "cyc"], "endpoint": list(CONTINUOUS_LEVELS)},
    )
    with pytest.raises(EvidenceError, match="boundaries"):
        grcs_from_posteriors(hazards, arm_means, {"fvc": 1, "haq_di": 1, "mrss": 1}, trial=scot)
    hazards.attrs["boundaries"] = BOUNDARIES.tolist()
    with pytest.raises(EvidenceError, match="no SD for mrss"):
        grcs_from_posteriors(hazards, arm_means, {"fvc": 1, "haq_di": 1}, trial=scot)
    with pytest.raises(EvidenceError, match="thin both posteriors"):
        grcs_from_posteriors(hazards, arm_means.isel(draw=slice(0, 3)),
                             {"fvc": 1, "haq_di": 1, "mrss": 1}, trial=scot)
    with pytest.raises(EvidenceError, match="missing label"):
        grcs_from_posteriors(hazards, arm_means.sel(endpoint=["fvc", "haq_di"]),
                             {"fvc": 1, "haq_di": 1, "mrss": 1}, trial=scot)
    with pytest.raises(EvidenceError, match="needs the dims"):
        grcs_from_posteriors(hazards.isel(chain=0), arm_means,
                             {"fvc": 1, "haq_di": 1, "mrss": 1}, trial=scot)


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [-0.5, 1.0, 1.5])
def test_correlation_must_give_a_valid_matrix(rho) -> None:
    with pytest.raises(EvidenceError, match="correlation"):
        GrcsSimulationOptions(correlation=rho)
    with pytest.raises(EvidenceError, match="correlation"):
        GrcsSimulationOptions(correlation_sensitivity=(0.0, rho))


def test_options_reject_bad_margins_and_sizes() -> None:
    with pytest.raises(EvidenceError, match="fvc_margin"):
        GrcsSimulationOptions(fvc_margin=-1.0)
    with pytest.raises(EvidenceError, match="n_population"):
        GrcsSimulationOptions(n_population=0)
    with pytest.raises(EvidenceError, match="horizon_months"):
        GrcsSimulationOptions(horizon_months=0.0)


def test_shapes_are_checked(realistic) -> None:
    h, means, sds = realistic
    with pytest.raises(EvidenceError, match="hazards must have shape"):
        model_based_grcs(h[0], BOUNDARIES, means, sds, n_trial=(36, 39), arms=ARMS)
    with pytest.raises(EvidenceError, match="means must have shape"):
        model_based_grcs(h, BOUNDARIES, means[:, :3], sds, n_trial=(36, 39), arms=ARMS)
    with pytest.raises(EvidenceError, match="positive"):
        model_based_grcs(h, BOUNDARIES, means, -sds, n_trial=(36, 39), arms=ARMS)
    prediction = model_based_grcs(h[:, :2], BOUNDARIES, means[:, :2], sds, n_trial=(5, 5),
                                  arms=ARMS, options=GrcsSimulationOptions(n_population=5,
                                                                correlation_sensitivity=()))
    with pytest.raises(EvidenceError, match="no published pairwise summary"):
        prediction.reproduce()


def test_the_evidence_log_says_how_the_se_moves_with_the_p_values_rounding() -> None:
    # SCOT prints P = 0.01 for the GRCS at 54 months: 0.005 to 0.015, SEs of
    # 0.332 / z(0.9975) = 0.118 and 0.332 / z(0.9925) = 0.136 on the net-benefit scale.
    from bayes_scot.builders.composite import CompositeModel
    from bayes_scot.data import load_trial

    log = CompositeModel(load_trial("scot", population="itt")).evidence_log
    note = log.loc[log["used"], "note"].iloc[0]
    assert "P = 0.01 as printed stands for 0.005 to 0.015" in note
    assert note.endswith("which gives SE 0.118 to 0.136)")
