"""Likelihood terms for survival evidence against SciPy and brute-force enumeration."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytensor
import pytest
from scipy import stats

from bayes_scot.errors import EvidenceError
from bayes_scot.likelihood import survival as lik
from bayes_scot.stats.illness_death import transition_matrix


def _value(expr) -> float:
    # FAST_COMPILE runs the Python implementations: no C or numba compilation in fast tests
    return float(pytensor.function([], expr, mode="FAST_COMPILE")())


def test_landmark_events_is_binomial():
    events, n, surv = np.array([10.0, 20.0]), np.array([36.0, 39.0]), np.array([0.7, 0.5])
    expected = stats.binom.logpmf(events, n, 1 - surv).sum()
    assert _value(lik.landmark_events(events, n, surv)) == pytest.approx(expected, rel=1e-12)


def test_landmark_states_is_one_multinomial_for_scot_itt_54():
    # SCOT ITT at 54 months (derived from NEJM Table 2): HSCT 26/4/6, CYC 19/9/11
    counts = np.array([[26.0, 4.0, 6.0], [19.0, 9.0, 11.0]])
    probs = np.array([[0.7, 0.1, 0.2], [0.5, 0.2, 0.3]])
    expected = sum(
        stats.multinomial.logpmf(c, c.sum(), p) for c, p in zip(counts, probs, strict=True)
    )
    assert _value(lik.landmark_states(counts, probs)) == pytest.approx(expected, rel=1e-12)


def test_two_binomials_would_count_the_dead_twice():
    # The multinomial is not the sum of the EFS and OS binomials: those double count deaths.
    counts = np.array([26.0, 4.0, 6.0])
    probs = np.array([0.7, 0.1, 0.2])
    joint = _value(lik.landmark_states(counts, probs))
    separate = stats.binom.logpmf(10, 36, 0.3) + stats.binom.logpmf(6, 36, 0.2)
    assert joint != pytest.approx(separate, rel=1e-3)


def _brute_force_interval(start, end, transition):
    e1, f1, _ = start
    total = 0.0
    for e2, u in itertools.product(range(int(e1) + 1), repeat=2):
        v = e1 - e2 - u
        if v < 0:
            continue
        for w in range(int(f1) + 1):
            if (e2, u + w) == (end[0], end[1]):
                total += stats.multinomial.pmf([e2, u, v], e1, transition[0]) * stats.binom.pmf(
                    w, f1, transition[1, 1]
                )
    return np.log(total)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ((26, 4, 6), (26, 4, 6)),  # SCOT ITT HSCT, 48 -> 54 months: nothing happened
        ((19, 9, 11), (17, 9, 13)),
        ((10, 3, 2), (6, 5, 4)),
    ],
)
def test_interval_states_matches_enumeration(start, end):
    hazards = np.array([0.01, 0.004, 0.03])
    transition = transition_matrix(hazards, 6.0)
    value = _value(
        lik.interval_states(
            np.array([start], float), np.array([end], float), transition[None], max_count=40
        )
    )
    assert value == pytest.approx(_brute_force_interval(start, end, transition), rel=1e-10)


def test_interval_without_events_is_staying_probability():
    transition = transition_matrix(np.array([0.01, 0.004, 0.03]), 6.0)
    value = _value(
        lik.interval_states(
            np.array([[26.0, 4.0, 6.0]]), np.array([[26.0, 4.0, 6.0]]), transition[None],
            max_count=36,
        )
    )
    expected = 26 * np.log(transition[0, 0]) + 4 * np.log(transition[1, 1])
    assert value == pytest.approx(expected, rel=1e-12)


def test_interval_events_is_binomial_on_conditional_survival():
    value = _value(lik.interval_events(np.array([26.0]), np.array([2.0]), np.array([0.9])))
    assert value == pytest.approx(stats.binom.logpmf(2, 26, 0.1), rel=1e-12)


def test_survival_estimate_with_whole_effective_n_is_binomial():
    value = _value(lik.survival_estimate(np.array([0.75]), np.array([40.0]), np.array([0.7])))
    assert value == pytest.approx(stats.binom.logpmf(10, 40, 0.3), rel=1e-12)


def test_effective_sample_size_rules():
    # From a 95% CI: SE = (0.9 - 0.6) / (2 * 1.96); n_eff = S (1 - S) / SE^2
    size, rule = lik.effective_sample_size(0.75, lower=0.6, upper=0.9)
    se = 0.3 / (2 * stats.norm.ppf(0.975))
    assert size == pytest.approx(0.75 * 0.25 / se**2)
    assert rule == "confidence interval"
    size, rule = lik.effective_sample_size(0.8, n_risk=20, n=36)
    assert size == pytest.approx(25.0)  # Peto: n(t) / S
    assert "Peto" in rule
    size, rule = lik.effective_sample_size(0.74, n=33)
    assert size == 33
    assert "no censoring" in rule
    with pytest.raises(EvidenceError, match="needs a confidence interval"):
        lik.effective_sample_size(0.5)


@pytest.mark.parametrize(("deaths", "at_least", "q"), [(6, 1, 0.3), (11, 0, 0.2), (6, 2, 0.5)])
def test_deaths_by_time_is_binomial_tail(deaths, at_least, q):
    value = _value(
        lik.deaths_by_time(np.array([deaths], float), np.array([at_least], float),
                           np.array([q]), max_count=40)
    )
    expected = 0.0 if at_least == 0 else stats.binom.logsf(at_least - 1, deaths, q)
    assert value == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_reported_ratio_is_normal_on_log_scale():
    value = _value(lik.reported_ratio(np.log(0.52), 0.31, np.log(0.6)))
    assert value == pytest.approx(stats.norm.logpdf(np.log(0.52), np.log(0.6), 0.31))


def test_pseudo_patients_is_density_or_survival():
    events = np.array([1.0, 0.0, 1.0])
    log_f = np.log([0.01, 0.02, 0.03])
    log_s = np.log([0.9, 0.8, 0.7])
    assert _value(lik.pseudo_patients(events, log_f, log_s)) == pytest.approx(
        np.log(0.01) + np.log(0.8) + np.log(0.03)
    )


def test_path_coefficients_are_counted_once_per_split():
    """The coefficients are log multinomial x binomial counts, -inf where impossible."""
    from scipy.special import comb

    coefficients = lik.interval_states_log_coefficients([19, 9, 11], [17, 9, 13], max_count=39)
    assert coefficients.shape == (40,)
    # e1 = 19 -> e2 = 17, u to failure, 2 - u die; f1 = 9 -> 9 - u stay alive
    for u in range(3):
        expected = math.log(math.factorial(19) / (math.factorial(17) * math.factorial(u)
                                                  * math.factorial(2 - u)))
        expected += math.log(comb(9, 9 - u, exact=True))
        assert coefficients[u] == pytest.approx(expected, rel=1e-12)
    assert np.all(np.isneginf(coefficients[3:]))


def test_symbolic_counts_need_their_coefficients():
    start = pytensor.shared(np.array([[26.0, 4.0, 6.0]]), name="start")
    with pytest.raises(TypeError, match="log_coefficients"):
        lik.interval_states(start, start, np.eye(3)[None], max_count=36)
    deaths = pytensor.shared(np.array([6.0]), name="deaths")
    with pytest.raises(TypeError, match="log_coefficients"):
        lik.deaths_by_time(deaths, deaths, np.array([0.5]), max_count=36)


def test_death_coefficients_keep_the_unused_tail_finite():
    coefficients = lik.deaths_by_time_log_coefficients([6.0, 11.0], [2.0, 0.0], max_count=12)
    assert np.isfinite(coefficients[0, :2]).all()
    assert np.isneginf(coefficients[0, 2:]).all()
    assert coefficients[1, 0] == 0.0
    assert np.isneginf(coefficients[1, 1:]).all()
