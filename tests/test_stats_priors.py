"""Named priors: every prior reproduces the clinical statement that defines it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from bayes_scot.errors import EvidenceError
from bayes_scot.stats.priors import (
    DEFAULT_GRID_NAMES,
    STRENGTHS,
    TAIL_PROBABILITIES,
    EffectPrior,
    prior_from_interval,
    prior_from_statement,
    prior_grid,
    priors_to_frame,
    ratio_prior,
    ratio_prior_from_interval,
    ratio_prior_with_harm,
    sd_from_tail,
)

LOG_HALF = math.log(0.5)
LOG_MCID = math.log(0.8)


def round_to(x: float, step: float) -> float:
    return round(x / step) * step


@pytest.fixture(scope="module")
def hr_grid() -> dict[str, EffectPrior]:
    return prior_grid(design_effect=LOG_HALF, benefit="lower", reference_sd=2.0,
                      mcid=LOG_MCID, measure="HR")


@pytest.fixture(scope="module")
def score_grid() -> dict[str, EffectPrior]:
    # a quality-of-life score, higher is better, design effect +5 points, MCID +3
    return prior_grid(design_effect=5.0, benefit="higher", reference_sd=20.0, mcid=3.0)


def test_grid_names_and_order(hr_grid):
    assert tuple(hr_grid) == DEFAULT_GRID_NAMES
    assert len(DEFAULT_GRID_NAMES) == 13
    assert DEFAULT_GRID_NAMES[0] == "reference"
    assert DEFAULT_GRID_NAMES[1:4] == ("neutral_strong", "neutral_moderate", "neutral_weak")
    for name, prior in hr_grid.items():
        assert prior.name == name
        assert prior.label
        assert prior.statement


def test_zampieri_neutral_sds_reproduced():
    # Zampieri et al. 2021 publish the neutral SDs rounded to 0.005: 0.205 and 0.355.
    strong = sd_from_tail(0.0, math.log(1 / 1.5), 0.025)
    moderate = sd_from_tail(0.0, math.log(0.5), 0.025)
    assert round_to(strong, 0.005) == pytest.approx(0.205)
    assert round_to(moderate, 0.005) == pytest.approx(0.355)
    grid = prior_grid(
        design_effect=LOG_HALF, benefit="lower", reference_sd=10.0,
        neutral_limits={"strong": math.log(1.5), "moderate": math.log(2.0), "weak": 1.96 * 5},
    )
    assert round_to(grid["neutral_strong"].sd, 0.005) == pytest.approx(0.205)
    assert round_to(grid["neutral_moderate"].sd, 0.005) == pytest.approx(0.355)
    assert grid["neutral_weak"].sd == pytest.approx(5.0, abs=1e-3)
    # the default ladder gives Zampieri's moderate prior for a design HR of 0.5
    default = prior_grid(design_effect=LOG_HALF, benefit="lower", reference_sd=10.0)
    assert round_to(default["neutral_moderate"].sd, 0.005) == pytest.approx(0.355)


def test_neutral_priors_hold_95_percent_within_limits(hr_grid):
    for s, multiple in zip(STRENGTHS, (0.5, 1.0, 2.0), strict=True):
        prior = hr_grid[f"neutral_{s}"]
        h = multiple * abs(LOG_HALF)
        assert prior.mean == 0.0
        assert prior.prob_below(h) - prior.prob_below(-h) == pytest.approx(0.95, abs=1e-12)


@pytest.mark.parametrize("grid_name", ["hr_grid", "score_grid"])
def test_every_grid_member_reproduces_its_statement(request, grid_name):
    grid = request.getfixturevalue(grid_name)
    if grid_name == "hr_grid":
        benefit, design, mcid = "lower", LOG_HALF, LOG_MCID
    else:
        benefit, design, mcid = "higher", 5.0, 3.0

    def p_beyond(prior, threshold, side):
        return prior.prob_below(threshold) if side == "lower" else prior.prob_above(threshold)

    harm = "higher" if benefit == "lower" else "lower"
    for s in STRENGTHS:
        pi = TAIL_PROBABILITIES[s]
        skeptical = grid[f"skeptical_{s}"]
        assert skeptical.mean == 0.0
        assert p_beyond(skeptical, mcid, benefit) == pytest.approx(pi, abs=1e-12)
        optimistic = grid[f"optimistic_{s}"]
        assert optimistic.mean == pytest.approx(design)
        assert p_beyond(optimistic, 0.0, harm) == pytest.approx(pi, abs=1e-12)
        pessimistic = grid[f"pessimistic_{s}"]
        assert pessimistic.mean == pytest.approx(-design)
        assert p_beyond(pessimistic, 0.0, benefit) == pytest.approx(pi, abs=1e-12)
        assert pessimistic.sd == pytest.approx(optimistic.sd)
    # strength orders the SDs within every family
    for family in ("neutral", "skeptical", "optimistic", "pessimistic"):
        sds = [grid[f"{family}_{s}"].sd for s in STRENGTHS]
        assert sds == sorted(sds)
    assert grid["reference"].sd == (2.0 if grid_name == "hr_grid" else 20.0)


def test_statements_are_on_the_ratio_scale(hr_grid):
    assert hr_grid["skeptical_strong"].statement == (
        "centred on no effect; 5% probability of a benefit beyond the MCID (HR < 0.8)"
    )
    assert hr_grid["optimistic_moderate"].statement == (
        "centred on HR 0.5; 15% probability of harm (HR > 1)"
    )
    assert "HR between 0.5 and 2" in hr_grid["neutral_moderate"].statement
    assert hr_grid["pessimistic_weak"].label == "Pessimistic (weak)"


def test_skeptical_falls_back_to_design_effect():
    grid = prior_grid(design_effect=LOG_HALF, benefit="lower", reference_sd=2.0)
    assert grid["skeptical_strong"].prob_below(LOG_HALF) == pytest.approx(0.05)
    assert "design effect" in grid["skeptical_strong"].statement


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"design_effect": 0.3, "benefit": "lower"}, "design_effect"),
        ({"design_effect": -0.3, "benefit": "higher"}, "design_effect"),
        ({"design_effect": 0.0, "benefit": "higher"}, "design_effect"),
        ({"design_effect": -0.3, "benefit": "down"}, "benefit"),
        ({"design_effect": -0.3, "benefit": "lower", "reference_sd": 0.0}, "reference_sd"),
        ({"design_effect": -0.3, "benefit": "lower", "mcid": 0.2}, "mcid"),
        ({"design_effect": float("nan"), "benefit": "lower"}, "design_effect"),
        ({"design_effect": -0.3, "benefit": "lower", "neutral_limits": {"strong": 0.1}},
         "neutral_limits"),
    ],
)
def test_grid_rejects_bad_input(kwargs, field):
    kwargs = {"reference_sd": 1.0, **kwargs}
    with pytest.raises(EvidenceError) as info:
        prior_grid(**kwargs)
    assert info.value.field.startswith(field)


def test_sd_from_tail_closed_form():
    sd = sd_from_tail(0.1, -0.5, 0.05)
    assert stats.norm(0.1, sd).cdf(-0.5) == pytest.approx(0.05, rel=1e-12)
    sd = sd_from_tail(0.1, 0.9, 0.8)
    assert stats.norm(0.1, sd).cdf(0.9) == pytest.approx(0.8, rel=1e-12)


@pytest.mark.parametrize(
    ("mean", "threshold", "probability"),
    [(0.0, -1.0, 0.6), (0.0, 1.0, 0.2), (0.0, 0.0, 0.1), (0.0, 1.0, 0.5), (0.0, 1.0, 1.0),
     (0.0, 1.0, 0.0), (0.0, 1.0, -0.1)],
)
def test_sd_from_tail_rejects_impossible_statements(mean, threshold, probability):
    with pytest.raises(EvidenceError):
        sd_from_tail(mean, threshold, probability)


@given(
    mean=st.floats(-3, 3),
    gap=st.floats(0.01, 3),
    probability=st.floats(0.001, 0.499),
)
def test_sd_from_tail_round_trip(mean, gap, probability):
    prior = prior_from_statement(mean=mean, threshold=mean - gap, probability=probability)
    assert prior.sd > 0
    assert prior.prob_below(mean - gap) == pytest.approx(probability, rel=1e-9)


def test_ratio_helpers_reproduce_statements():
    p = ratio_prior(threshold=0.5, probability=0.05)
    assert p.mean == 0.0
    assert p.prob_below(math.log(0.5)) == pytest.approx(0.05)
    assert p.statement == "HR centred on 1; P(HR < 0.5) = 5%"

    above = ratio_prior(threshold=1.25, probability=0.1, centre=0.9, side="above", measure="OR")
    assert above.prob_above(math.log(1.25)) == pytest.approx(0.1)
    assert above.mean == pytest.approx(math.log(0.9))

    harm = ratio_prior_with_harm(0.8, 0.15)
    assert harm.mean == pytest.approx(LOG_MCID)
    assert harm.prob_above(0.0) == pytest.approx(0.15)
    assert "P(HR > 1) = 15%" in harm.statement

    pessimistic = ratio_prior_with_harm(1.25, 0.85)
    assert pessimistic.prob_above(0.0) == pytest.approx(0.85)

    interval = ratio_prior_from_interval(0.5, 2.0)
    assert interval.mean == pytest.approx(0.0, abs=1e-15)
    lo, hi = interval.interval(0.95)
    assert math.exp(lo) == pytest.approx(0.5)
    assert math.exp(hi) == pytest.approx(2.0)


def test_prior_from_interval_closed_form():
    p = prior_from_interval(-1.0, 3.0, mass=0.9)
    assert p.mean == 1.0
    assert p.prob_below(3.0) - p.prob_below(-1.0) == pytest.approx(0.9)
    with pytest.raises(EvidenceError, match="below upper"):
        prior_from_interval(2.0, 1.0)
    with pytest.raises(EvidenceError):
        ratio_prior_from_interval(-0.5, 2.0)
    with pytest.raises(EvidenceError):
        ratio_prior_with_harm(1.0, 0.2)
    with pytest.raises(EvidenceError):
        ratio_prior_with_harm(0.8, 0.7)  # centred on benefit, yet harm more likely


def test_effect_prior_validates_and_tabulates(hr_grid):
    with pytest.raises(EvidenceError, match="sd must be positive"):
        EffectPrior(name="x", family="neutral", strength="", mean=0.0, sd=-1.0, statement="")
    with pytest.raises(EvidenceError):
        EffectPrior(name="x", family="neutral", strength="", mean=np.inf, sd=1.0, statement="")
    assert EffectPrior(name="x", family="skeptical", strength="weak", mean=0, sd=1,
                       statement="s").label == "Skeptical (weak)"
    frame = priors_to_frame(hr_grid)
    assert list(frame["prior"]) == list(DEFAULT_GRID_NAMES)
    assert set(frame.columns) >= {"prior", "label", "family", "strength", "mean", "sd"}
    renamed = hr_grid["reference"].renamed("flat")
    assert renamed.name == "flat"
    assert renamed.as_tuple() == hr_grid["reference"].as_tuple()
