"""Reanalysis.probability and the P(benefit > x) curve, against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from test_report_writer import simulated_reanalysis

from bayes_scot import plots
from bayes_scot.results.probability import benefit_curve, interval_probability
from bayes_scot.stats.estimands import EstimandDraws


@pytest.fixture(scope="module")
def result():
    return simulated_reanalysis()


def test_probability_matches_the_share_of_draws(result) -> None:
    draws = result.fit("survival", "reference").estimands[1].draws  # os hazard ratio
    assert result.probability("os:hazard_ratio", below=0.7) == pytest.approx(
        np.mean(draws < 0.7))
    # a bare estimand name works when one endpoint has it
    assert result.probability("hazard_ratio", below=0.7) == result.probability(
        "os:hazard_ratio", below=0.7)


def test_probability_of_superiority_is_the_tables(result) -> None:
    table = result.table().set_index(["endpoint", "estimand", "prior"])
    for prior in result.priors:
        assert result.probability("os:hazard_ratio", below=1.0, prior=prior) == pytest.approx(
            table.loc[("os", "hazard_ratio", prior), "p_superior"])
        assert result.probability("efs:survival_difference_54", above=0.1,
                                  prior=prior) == pytest.approx(
            table.loc[("efs", "survival_difference_54", prior), "p_mcid"])


def test_interval_probability_is_the_difference_of_tails(result) -> None:
    both = result.probability("efs:survival_difference_54", above=0.0, below=0.1)
    above = result.probability("efs:survival_difference_54", above=0.0)
    beyond = result.probability("efs:survival_difference_54", above=0.1)
    assert both == pytest.approx(above - beyond)


def test_normal_draws_match_the_normal_cdf() -> None:
    # 200,000 draws: the Monte Carlo SD of a probability is at most 0.0011, so 0.005 is
    # more than four SDs
    x = np.random.default_rng(3).normal(0.2, 0.1, 200_000)
    assert interval_probability(x, above=0.1, below=0.35) == pytest.approx(
        stats.norm.cdf(0.35, 0.2, 0.1) - stats.norm.cdf(0.1, 0.2, 0.1), abs=0.005)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [({}, ValueError, "give above=, below= or both"),
     ({"above": 1.0, "below": 0.5}, ValueError, "must be less than"),
     ({"below": 1.0, "prior": "nope"}, KeyError, "no fit under prior 'nope'")],
)
def test_probability_rejects_bad_questions(result, kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        result.probability("os:hazard_ratio", **kwargs)


def test_unknown_estimand_lists_the_known_ones(result) -> None:
    with pytest.raises(KeyError, match="known: efs:survival_difference_54, os:hazard_ratio"):
        result.probability("os:rmst", above=0.0)


def test_benefit_curve_is_monotone_and_hits_p_superior(result) -> None:
    curve = result.benefit_curve("os:hazard_ratio")
    assert set(curve["prior"]) == set(result.priors)
    for _, rows in curve.groupby("prior"):
        # lower is better: P(HR < x) grows with x
        assert np.all(np.diff(rows["probability"].to_numpy()) >= 0)
    exact = benefit_curve({"r": result.fit("survival").estimands[1]}, thresholds=[1.0])
    assert exact["probability"].iloc[0] == pytest.approx(
        result.probability("os:hazard_ratio", below=1.0))


def test_benefit_curve_for_higher_is_better_falls() -> None:
    e = EstimandDraws(endpoint="x", estimand="d", label="d", draws=np.arange(100.0),
                      null=0.0, superior="higher")
    curve = benefit_curve({"p": e}, thresholds=[-1.0, 49.5, 99.0])
    assert curve["probability"].tolist() == [1.0, 0.5, 0.0]


def test_benefit_figure_draws_one_line_per_prior(result) -> None:
    table = result.table()
    row = table[table["estimand"] == "hazard_ratio"].iloc[0].to_dict()
    fig = plots.plot_benefit_curve(result.benefit_curve("os:hazard_ratio"), null=1.0,
                                   superior="lower", mcid=0.8, unit_row=row, label="OS HR",
                                   experimental="HSCT", control="CYC")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == len(result.priors) + 2  # + null and MCID lines
    assert ax.get_xscale() == "log"
    assert ax.get_ylabel() == "P(effect below x)"
