"""Summary-statistic conversions against closed forms and published constants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from bayes_scot.errors import EvidenceError
from bayes_scot.stats.conversions import (
    log_hr_from_logrank,
    mean_sd_from_median_iqr,
    mean_sd_from_median_range,
    mean_sd_from_median_range_iqr,
    normal_quantile,
    sd_from_se,
    se_from_ci,
    se_from_one_limit,
    se_from_p,
    se_from_sd,
    se_of_change,
)

Z95 = 1.959963984540054


def test_normal_quantile():
    assert normal_quantile(0.95) == pytest.approx(Z95, rel=1e-12)
    assert normal_quantile(0.90) == pytest.approx(1.6448536269514722, rel=1e-12)
    for bad in (0.0, 1.0, 1.5, float("nan")):
        with pytest.raises(EvidenceError):
            normal_quantile(bad)


def test_se_from_ci_closed_form_astis():
    # ASTIS EFS HR 0.34 (0.16-0.74): SE = (ln 0.74 - ln 0.16) / (2 * 1.96)
    se = se_from_ci(0.16, 0.74, log=True)
    assert se == pytest.approx((math.log(0.74) - math.log(0.16)) / (2 * Z95), rel=1e-12)
    assert se == pytest.approx(0.3907, abs=5e-5)
    assert se_from_ci(-1.0, 3.0, level=0.9) == pytest.approx(4 / (2 * 1.6448536269514722))


def test_se_from_one_limit_matches_symmetric_interval():
    est, lo, hi = 0.5, 0.25, 1.0  # symmetric on the log scale around 0.5
    both = se_from_ci(lo, hi, log=True)
    assert se_from_one_limit(est, lo, log=True) == pytest.approx(both, rel=1e-12)
    assert se_from_one_limit(est, hi, log=True) == pytest.approx(both, rel=1e-12)


def test_se_from_p_inverts_the_wald_test():
    se = se_from_p(0.7, 0.04, log=True)
    z = abs(math.log(0.7)) / se
    assert 2 * stats.norm.sf(z) == pytest.approx(0.04, rel=1e-10)
    se_md = se_from_p(-3.0, 0.2)
    assert 2 * stats.norm.sf(3.0 / se_md) == pytest.approx(0.2, rel=1e-10)


def test_sd_se_round_trip():
    assert se_from_sd(10.0, 25) == pytest.approx(2.0)
    assert sd_from_se(2.0, 25) == pytest.approx(10.0)


def test_logrank_tierney_closed_form():
    # Tierney 2007: V = O/4, O - E = -sqrt(V) z, ln HR = (O - E)/V, SE = 1/sqrt(V)
    log_hr, se = log_hr_from_logrank(0.01, 100, favours="experimental")
    v = 25.0
    z = stats.norm.isf(0.005)
    assert log_hr == pytest.approx(-math.sqrt(v) * z / v, rel=1e-12)
    assert se == pytest.approx(0.2, rel=1e-12)
    # the Wald test on the result recovers the p-value
    assert 2 * stats.norm.sf(abs(log_hr) / se) == pytest.approx(0.01, rel=1e-10)
    mirrored, _ = log_hr_from_logrank(0.01, 100, favours="control")
    assert mirrored == pytest.approx(-log_hr)


def expected_normal_range(n: int) -> float:
    """E[max - min] of n standard normal draws, by numerical integration (the d2 constant)."""

    def integrand(x):
        return 1 - stats.norm.cdf(x) ** n - stats.norm.sf(x) ** n

    return integrate.quad(integrand, -12, 12, limit=200)[0]


def test_wan_xi_against_control_chart_constants():
    # Wan 2014 replaces the expected range d2(n) by xi(n) = 2 Phi^-1((n - .375)/(n + .25)).
    # d2 from quality-control tables: 3.078 (n = 10), 3.931 (25), 4.498 (50); Wan reports
    # the approximation within about 1% of d2 for n >= 10, so 1% is the tolerance here.
    for n, d2 in ((10, 3.078), (25, 3.931), (50, 4.498)):
        assert expected_normal_range(n) == pytest.approx(d2, abs=5e-4)
        _, sd = mean_sd_from_median_range(0.0, -d2 / 2, d2 / 2, n)
        assert sd == pytest.approx(1.0, rel=0.01)


def test_wan_closed_forms():
    mean, sd = mean_sd_from_median_range(8.0, 5.0, 12.0, 10)
    assert mean == pytest.approx((5 + 16 + 12) / 4)
    assert sd == pytest.approx(7 / (2 * stats.norm.ppf((10 - 0.375) / 10.25)))
    mean, sd = mean_sd_from_median_iqr(3.0, 2.0, 5.0, 40)
    assert mean == pytest.approx(10 / 3)
    assert sd == pytest.approx(3 / (2 * stats.norm.ppf((30 - 0.125) / 40.25)))
    # large n: eta(n) -> 2 * 0.6745 = 1.349, the normal IQR in SDs
    _, sd = mean_sd_from_median_iqr(0.0, -0.6744897501960817, 0.6744897501960817, 1e7)
    assert sd == pytest.approx(1.0, rel=1e-6)
    mean, sd = mean_sd_from_median_range_iqr(3.0, 0.0, 2.0, 5.0, 9.0, 30)
    assert mean == pytest.approx((0 + 4 + 6 + 10 + 9) / 8)
    xi = 2 * stats.norm.ppf((30 - 0.375) / 30.25)
    eta = 2 * stats.norm.ppf((22.5 - 0.125) / 30.25)
    assert sd == pytest.approx(9 / (2 * xi) + 3 / (2 * eta))


def test_wan_estimators_recover_normal_samples():
    # Simulated normal samples (seeded). Wan's estimators target the population mean and
    # SD; averaged over 400 samples of n = 60 the Monte Carlo error of the mean SD estimate
    # is about 0.1 / sqrt(400) * 10 = 0.05, so a 3% tolerance on SD 10 is ~6 MC SEs.
    rng = np.random.default_rng(2014)
    n, reps = 60, 400
    est_iqr, est_range, est_both = [], [], []
    for _ in range(reps):
        x = rng.normal(50.0, 10.0, n)
        q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])
        est_iqr.append(mean_sd_from_median_iqr(med, q1, q3, n))
        est_range.append(mean_sd_from_median_range(med, x.min(), x.max(), n))
        est_both.append(mean_sd_from_median_range_iqr(med, x.min(), q1, q3, x.max(), n))
    for est in (est_iqr, est_range, est_both):
        means, sds = np.array(est).T
        assert means.mean() == pytest.approx(50.0, abs=0.3)
        assert sds.mean() == pytest.approx(10.0, rel=0.03)


def test_se_of_change():
    assert se_of_change(3.0, 4.0, 0.0) == pytest.approx(5.0)
    assert se_of_change(3.0, 4.0, 0.5) == pytest.approx(math.sqrt(9 + 16 - 12))
    assert se_of_change(3.0, 4.0, 1.0) == pytest.approx(1.0)
    with pytest.raises(EvidenceError, match="no uncertainty"):
        se_of_change(2.0, 2.0, 1.0)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: se_from_ci(0.74, 0.16, log=True), "lower"),
        (lambda: se_from_ci(-0.1, 0.5, log=True), "lower"),
        (lambda: se_from_ci(1.0, 1.0), "upper"),
        (lambda: se_from_ci(0.1, 0.5, level=95), "level"),
        (lambda: se_from_one_limit(0.5, 0.5), "limit"),
        (lambda: se_from_p(0.7, 0.0, log=True), "p_value"),
        (lambda: se_from_p(0.7, 1.2, log=True), "p_value"),
        (lambda: se_from_p(0.7, -0.01, log=True), "p_value"),
        (lambda: se_from_p(1.0, 0.3, log=True), "p_value"),
        (lambda: se_from_p(0.2, 1.0), "p_value"),
        (lambda: se_from_sd(-1.0, 10), "sd"),
        (lambda: se_from_sd(1.0, 0), "n"),
        (lambda: sd_from_se(-0.5, 10), "se"),
        (lambda: sd_from_se(0.5, 0.5), "n"),
        (lambda: log_hr_from_logrank(1.5, 40, favours="experimental"), "p_value"),
        (lambda: log_hr_from_logrank(0.05, 0, favours="experimental"), "events"),
        (lambda: log_hr_from_logrank(0.05, 40, favours="hsct"), "favours"),
        (lambda: mean_sd_from_median_iqr(3.0, 4.0, 2.0, 10), "q1"),
        (lambda: mean_sd_from_median_iqr(3.0, 3.0, 3.0, 10), "q3"),
        (lambda: mean_sd_from_median_iqr(3.0, 2.0, 4.0, 0), "n"),
        (lambda: mean_sd_from_median_range(9.0, 1.0, 5.0, 10), "median"),
        (lambda: mean_sd_from_median_range(3.0, 1.0, 5.0, 1), "n"),
        (lambda: mean_sd_from_median_range_iqr(3.0, 1.0, 4.0, 2.0, 5.0, 10), "q1"),
        (lambda: se_of_change(1.0, 1.0, 1.5), "rho"),
        (lambda: se_of_change(-1.0, 1.0, 0.5), "se_baseline"),
        (lambda: se_from_sd(float("inf"), 10), "sd"),
        (lambda: se_from_sd("ten", 10), "sd"),
    ],
)
def test_impossible_input_raises(call, field):
    with pytest.raises(EvidenceError) as info:
        call()
    assert info.value.field == field


@given(
    estimate=st.floats(0.05, 20),
    spread=st.floats(0.01, 2),
    level=st.floats(0.5, 0.999),
)
def test_ci_and_p_agree(estimate, spread, level):
    # A Wald interval built from an SE gives that SE back; so does its p-value.
    log_est = math.log(estimate)
    z = stats.norm.ppf(0.5 + level / 2)
    lo, hi = math.exp(log_est - z * spread), math.exp(log_est + z * spread)
    assert se_from_ci(lo, hi, level=level, log=True) == pytest.approx(spread, rel=1e-6)
    p = 2 * stats.norm.sf(abs(log_est) / spread)
    if 1e-300 < p < 1 - 1e-9 and abs(log_est) > 1e-6:
        assert se_from_p(estimate, p, log=True) == pytest.approx(spread, rel=1e-5)
