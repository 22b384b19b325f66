"""Posterior summaries of estimand draws: tail probabilities, intervals, directions."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.stats.estimands import EstimandDraws, summarise_draws, summarise_many


def _draws(values: np.ndarray, **kwargs: object) -> EstimandDraws:
    defaults: dict[str, object] = {
        "endpoint": "efs",
        "estimand": "survival_difference_54",
        "label": "EFS at 54 months, HSCT minus CYC",
        "null": 0.0,
        "superior": "higher",
    }
    defaults.update(kwargs)
    return EstimandDraws(draws=values, **defaults)  # type: ignore[arg-type]


def test_tail_probabilities_are_exact_counts() -> None:
    values = np.array([[-0.2, -0.05, 0.0, 0.05, 0.12, 0.3]])
    est = _draws(values, mcid=0.10)
    # Strict inequalities: a draw exactly at the null is neither superior nor harmful.
    assert est.p_superior() == pytest.approx(3 / 6)
    assert est.p_harm() == pytest.approx(2 / 6)
    assert est.p_mcid() == pytest.approx(2 / 6)


def test_lower_is_superior_for_ratios() -> None:
    values = np.array([[0.5, 0.7, 0.9, 1.1]])
    est = _draws(values, estimand="hazard_ratio", null=1.0, superior="lower", mcid=0.8)
    assert est.p_superior() == pytest.approx(0.75)
    assert est.p_mcid() == pytest.approx(0.5)
    assert est.p_harm() == pytest.approx(0.25)


def test_no_mcid_gives_nan() -> None:
    assert np.isnan(_draws(np.zeros((1, 3))).p_mcid())


def test_one_dimensional_draws_become_one_chain() -> None:
    assert _draws(np.arange(5.0)).draws.shape == (1, 5)


def test_bad_direction_is_rejected() -> None:
    with pytest.raises(ValueError, match="superior"):
        _draws(np.zeros((1, 3)), superior="better")


def test_summary_matches_normal_quantiles() -> None:
    # 4 chains x 20000 iid normal draws: the Monte Carlo SE of a 2.5% quantile of N(0, 1)
    # is about sqrt(q(1-q)/n)/phi(z) = sqrt(.025*.975/80000)/0.058 = 0.0095, so 0.03 is
    # three standard errors; the median's SE is 0.0044.
    rng = np.random.default_rng(20180104)
    est = _draws(rng.normal(0.1, 1.0, size=(4, 20000)))
    summary = summarise_draws(est)
    z = 1.959963984540054
    assert CREDIBLE_LEVEL == 0.95
    assert summary.median == pytest.approx(0.1, abs=0.015)
    assert summary.lower == pytest.approx(0.1 - z, abs=0.03)
    assert summary.upper == pytest.approx(0.1 + z, abs=0.03)
    assert summary.p_superior == pytest.approx(0.5398, abs=0.01)
    # iid chains mix perfectly: R-hat at 1 and bulk ESS near the number of draws.
    assert summary.rhat == pytest.approx(1.0, abs=0.005)
    assert summary.ess_bulk > 60000


def test_summary_flags_chains_that_disagree() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(size=(4, 500)) + np.array([[0.0], [0.0], [0.0], [3.0]])
    assert summarise_draws(_draws(values)).rhat > 1.1


def test_many_summaries_equal_one_at_a_time_and_arviz() -> None:
    # Quantiles and tail probabilities are the same NumPy calls on the same draws, so
    # equal to the bit; R-hat and ESS are ArviZ's estimators vectorised, equal to
    # rounding (1e-12 and 1e-9, the tolerances of tests/test_stats_convergence.py).
    rng = np.random.default_rng(7)
    mixing = 0.1 * np.cumsum(rng.normal(size=(6, 4, 300)), axis=-1)
    mixing[0, 0] += 1.0
    with_nan = rng.normal(size=(4, 300))
    with_nan[1, 3] = np.nan
    ests = [_draws(d, mcid=0.1) for d in mixing + rng.normal(size=(6, 4, 300))]
    ests += [_draws(np.ones((4, 300))), _draws(rng.normal(size=(1, 200))),
             _draws(with_nan), _draws(rng.normal(size=(2, 3)))]
    summaries = summarise_many(ests)
    alpha = (1.0 - CREDIBLE_LEVEL) / 2.0
    for est, s in zip(ests, summaries, strict=True):
        if not np.isnan(est.draws).any():
            assert [s.lower, s.median, s.upper] == list(
                np.quantile(est.draws, [alpha, 0.5, 1.0 - alpha]))
        assert s.p_superior == est.p_superior()
        assert s.p_mcid == est.p_mcid() or np.isnan(est.p_mcid())
    for est, s in zip(ests[:6], summaries, strict=False):
        assert s.rhat == pytest.approx(float(az.rhat(est.draws)), rel=1e-12)
        assert s.ess_bulk == pytest.approx(float(az.ess(est.draws, method="bulk")), rel=1e-9)
    assert summaries[0].rhat > 1.05
    constant, one_chain, nan, short = summaries[6:]
    assert np.isnan([constant.rhat, constant.ess_bulk]).all()
    assert np.isnan(one_chain.rhat)
    assert one_chain.ess_bulk == pytest.approx(
        float(az.ess(ests[7].draws, method="bulk")), rel=1e-9)
    assert np.isnan([nan.rhat, nan.ess_bulk, short.rhat, short.ess_bulk]).all()
    assert summarise_draws(ests[0]) == summaries[0]



def test_an_infinite_tail_gives_an_infinite_limit_not_nan() -> None:
    """A ratio at its limit (infinity) in 4% of draws: its 97.5% quantile is infinite.

    Linear interpolation between two infinite draws is NaN; the interval must say inf.
    """
    draws = np.concatenate([np.linspace(1.0, 5.0, 960), np.full(40, np.inf)]).reshape(2, 500)
    e = EstimandDraws(endpoint="x", estimand="win_odds", label="win odds", draws=draws,
                      null=1.0, superior="higher")
    s = summarise_many([e])[0]
    assert s.upper == np.inf
    assert 1.0 < s.lower < s.median < 5.0
