"""Closed-form multivariate-normal helpers (bayes_scot.stats.gls), checked against
independent NumPy/SciPy computations."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from bayes_scot.stats.gls import (
    ar1_correlation,
    compound_symmetry_correlation,
    conjugate_normal_update,
    gls_fit,
    least_squares_slope_weights,
    mvn_logpdf,
    overlap_fraction,
    visit_covariance,
)

TIMES = np.array([0.0, 0.5, 1.0, 2.0, 3.0, 4.5])


def _example_cov(rho=0.7):
    n = np.array([34.0, 33, 31, 30, 28, 25])  # monotone dropout
    sd = np.array([16.0, 15.5, 15.0, 15.5, 16.0, 17.0])
    return visit_covariance(sd / np.sqrt(n), ar1_correlation(TIMES, rho), overlap_fraction(n))


def test_ar1_correlation_is_rho_to_the_time_distance():
    corr = ar1_correlation([0.0, 0.5, 2.0], 0.8)
    assert corr[0, 1] == pytest.approx(0.8**0.5)
    assert corr[0, 2] == pytest.approx(0.8**2)
    assert corr[1, 2] == pytest.approx(0.8**1.5)
    np.testing.assert_allclose(np.diag(corr), 1.0)


def test_compound_symmetry_has_constant_off_diagonal():
    corr = compound_symmetry_correlation(4, 0.3)
    assert corr[0, 3] == corr[1, 2] == 0.3
    np.testing.assert_allclose(np.diag(corr), 1.0)


def test_correlation_outside_unit_interval_is_rejected():
    with pytest.raises(ValueError, match="correlation"):
        ar1_correlation(TIMES, 1.0)


def test_dropout_covariance_matches_the_patient_level_formula():
    # Cov(ybar_j, ybar_k) = rho_jk SD_j SD_k n_jk / (n_j n_k) with n_jk = min(n_j, n_k).
    n = np.array([30.0, 20.0])
    sd = np.array([10.0, 12.0])
    cov = visit_covariance(sd / np.sqrt(n), compound_symmetry_correlation(2, 0.6),
                           overlap_fraction(n))
    assert cov[0, 1] == pytest.approx(0.6 * 10 * 12 * 20 / (30 * 20))
    assert cov[0, 0] == pytest.approx(100 / 30)


def test_overlap_cannot_exceed_the_patients_measured():
    with pytest.raises(ValueError, match="cannot exceed"):
        overlap_fraction([10, 8], n_shared=[[10, 9], [9, 8]])


def test_slope_weights_recover_a_straight_line_and_ignore_shifts():
    w = least_squares_slope_weights(TIMES)
    assert w @ (3.0 + 2.5 * TIMES) == pytest.approx(2.5)
    assert w.sum() == pytest.approx(0.0, abs=1e-12)


def test_gls_matches_direct_normal_equations():
    rng = np.random.default_rng(3)
    cov = _example_cov()
    design = np.column_stack([np.ones_like(TIMES), TIMES])
    y = design @ np.array([75.0, -3.7]) + rng.multivariate_normal(np.zeros(TIMES.size), cov)
    fit = gls_fit(y, design, cov)
    v_inv = np.linalg.inv(cov)
    expected_cov = np.linalg.inv(design.T @ v_inv @ design)
    expected = expected_cov @ design.T @ v_inv @ y
    # Two algebraically identical routes (Cholesky whitening vs explicit inverse):
    # agreement to floating-point precision.
    np.testing.assert_allclose(fit.estimate, expected, rtol=1e-10)
    np.testing.assert_allclose(fit.covariance, expected_cov, rtol=1e-10)
    np.testing.assert_allclose(fit.se, np.sqrt(np.diag(expected_cov)), rtol=1e-10)


def test_gls_differs_from_ols_when_visits_are_correlated():
    # A check that could fail: if the covariance were ignored, GLS would equal OLS.
    cov = _example_cov(rho=0.9)
    design = np.column_stack([np.ones_like(TIMES), TIMES])
    y = np.array([74.0, 76.0, 73.0, 70.0, 69.0, 60.0])
    ols = np.linalg.lstsq(design, y, rcond=None)[0]
    assert abs(gls_fit(y, design, cov).estimate[1] - ols[1]) > 0.1


def test_conjugate_update_tends_to_gls_under_a_flat_prior():
    cov = _example_cov()
    design = np.column_stack([np.ones_like(TIMES), TIMES])
    y = np.array([74.0, 76.0, 73.0, 70.0, 69.0, 60.0])
    flat = conjugate_normal_update([0.0, 0.0], np.eye(2) * 1e12, y, design, cov)
    fit = gls_fit(y, design, cov)
    # Prior precision 1e-12 against data precision ~1e-1: relative error ~1e-10.
    np.testing.assert_allclose(flat.estimate, fit.estimate, rtol=1e-8)
    np.testing.assert_allclose(flat.covariance, fit.covariance, rtol=1e-8)
    tight = conjugate_normal_update([0.0, 0.0], np.eye(2) * 1e-6, y, design, cov)
    np.testing.assert_allclose(tight.estimate, 0.0, atol=1e-3)


def test_mvn_logpdf_matches_scipy():
    cov = _example_cov()
    y = np.linspace(70, 76, TIMES.size)
    mean = np.full(TIMES.size, 73.0)
    assert mvn_logpdf(y, mean, cov) == pytest.approx(
        multivariate_normal(mean, cov).logpdf(y), rel=1e-12
    )
