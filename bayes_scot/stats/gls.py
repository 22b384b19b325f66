"""Closed-form multivariate-normal helpers for summaries of repeated measurements.

Arm-level summaries of a continuous endpoint measured at several visits (visit means, or
mean changes from baseline) are correlated because the same patients are measured again.
This module builds their covariance matrix from standard errors, a within-patient
correlation structure and the numbers of patients measured, and gives the closed-form
generalised-least-squares (GLS) fit and the conjugate normal update that a Bayesian
longitudinal model reduces to when its variance parameters are known. The model builder
(:mod:`bayes_scot.builders.longitudinal`) uses the same formulas symbolically; the tests
use these functions as the reference.

NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "GlsFit",
    "ar1_correlation",
    "compound_symmetry_correlation",
    "conjugate_normal_update",
    "gls_fit",
    "least_squares_slope_weights",
    "mvn_logpdf",
    "overlap_fraction",
    "visit_covariance",
]


def ar1_correlation(times_years: ArrayLike, rho: float) -> np.ndarray:
    """First-order autoregressive correlation of visits at irregular times.

    Parameters
    ----------
    times_years : array_like, shape (k,)
        Visit times in years.
    rho : float
        Correlation of two measurements one year apart, in [0, 1).

    Returns
    -------
    numpy.ndarray, shape (k, k)
        ``rho ** |t_j - t_k|``.

    Notes
    -----
    The continuous-time AR(1) (Ornstein-Uhlenbeck) correlation, so irregularly spaced
    visits are handled exactly; ``rho`` is per year whatever the visit spacing.
    """
    t = np.asarray(times_years, dtype=float)
    _check_rho(rho)
    return np.power(float(rho), np.abs(t[:, None] - t[None, :]))


def compound_symmetry_correlation(k: int, rho: float) -> np.ndarray:
    """Exchangeable (compound-symmetry) correlation of ``k`` visits.

    Parameters
    ----------
    k : int
        Number of visits.
    rho : float
        Correlation of any two visits, in [0, 1).

    Returns
    -------
    numpy.ndarray, shape (k, k)
        Ones on the diagonal, ``rho`` elsewhere.
    """
    _check_rho(rho)
    corr = np.full((k, k), float(rho))
    np.fill_diagonal(corr, 1.0)
    return corr


def _check_rho(rho: float) -> None:
    if not 0.0 <= float(rho) < 1.0:
        raise ValueError(f"a within-patient correlation must lie in [0, 1), not {rho!r}")


def overlap_fraction(n: ArrayLike, n_shared: ArrayLike | None = None) -> np.ndarray:
    """Fraction of patients two visit means share, ``n_jk / sqrt(n_j n_k)``.

    Parameters
    ----------
    n : array_like, shape (k,)
        Patients measured at each visit.
    n_shared : array_like, shape (k, k), optional
        Patients measured at both visits ``j`` and ``k``. When unknown (the usual case
        with published summaries), ``min(n_j, n_k)`` is used: every patient measured at
        the later, smaller visit is assumed to have been measured at the earlier one too
        (monotone dropout, e.g. by death).

    Returns
    -------
    numpy.ndarray, shape (k, k)
        Ones on the diagonal.
    """
    n = np.asarray(n, dtype=float)
    if np.any(n <= 0):
        raise ValueError("numbers measured must be positive")
    shared = np.minimum(n[:, None], n[None, :]) if n_shared is None else np.asarray(
        n_shared, dtype=float
    )
    if shared.shape != (n.size, n.size):
        raise ValueError(f"n_shared must have shape {(n.size, n.size)}, not {shared.shape}")
    if np.any(shared > np.minimum(n[:, None], n[None, :]) + 1e-9):
        raise ValueError("n_shared cannot exceed the patients measured at either visit")
    return shared / np.sqrt(n[:, None] * n[None, :])


def visit_covariance(
    se: ArrayLike, corr: ArrayLike, overlap: ArrayLike | None = None
) -> np.ndarray:
    """Covariance of one arm's vector of visit means.

    Parameters
    ----------
    se : array_like, shape (k,)
        Standard error of each visit mean.
    corr : array_like, shape (k, k)
        Within-patient correlation between visits (:func:`ar1_correlation`,
        :func:`compound_symmetry_correlation`).
    overlap : array_like, shape (k, k), optional
        :func:`overlap_fraction`; all ones (the same patients at every visit) when omitted.

    Returns
    -------
    numpy.ndarray, shape (k, k)
        ``Sigma_jk = corr_jk SE_j SE_k overlap_jk``.

    Notes
    -----
    With ``SE_j = SD_j / sqrt(n_j)`` and ``n_jk`` patients measured at both visits,
    ``Cov(ybar_j, ybar_k) = rho_jk SD_j SD_k n_jk / (n_j n_k)``, which is the formula
    above with ``overlap_jk = n_jk / sqrt(n_j n_k)``.
    """
    se = np.asarray(se, dtype=float)
    corr = np.asarray(corr, dtype=float)
    cov = corr * se[:, None] * se[None, :]
    if overlap is not None:
        cov = cov * np.asarray(overlap, dtype=float)
    return cov


def least_squares_slope_weights(times: ArrayLike) -> np.ndarray:
    """Weights ``w`` such that ``w @ y`` is the least-squares slope of ``y`` on ``times``.

    Parameters
    ----------
    times : array_like, shape (k,)
        At least two distinct times.

    Returns
    -------
    numpy.ndarray, shape (k,)
        ``(t - mean(t)) / sum((t - mean(t))**2)``; the weights sum to zero, so a constant
        shift of ``y`` leaves the slope unchanged.
    """
    t = np.asarray(times, dtype=float)
    centred = t - t.mean()
    denom = float(np.sum(centred**2))
    if t.size < 2 or denom == 0.0:
        raise ValueError("a slope needs at least two distinct times")
    return centred / denom


@dataclass(frozen=True)
class GlsFit:
    """Generalised-least-squares estimate of ``beta`` in ``y ~ N(X beta, V)``.

    Attributes
    ----------
    estimate : numpy.ndarray, shape (p,)
        ``(X' V^-1 X)^-1 X' V^-1 y``.
    covariance : numpy.ndarray, shape (p, p)
        ``(X' V^-1 X)^-1``.
    """

    estimate: np.ndarray
    covariance: np.ndarray

    @property
    def se(self) -> np.ndarray:
        """Standard errors of the estimate."""
        return np.sqrt(np.diag(self.covariance))


def gls_fit(y: ArrayLike, design: ArrayLike, cov: ArrayLike) -> GlsFit:
    """Fit ``y ~ N(X beta, V)`` with ``V`` known, by generalised least squares.

    Parameters
    ----------
    y : array_like, shape (k,)
        Observed summaries (e.g. one arm's visit means).
    design : array_like, shape (k, p)
        Design matrix ``X`` of full column rank.
    cov : array_like, shape (k, k)
        Known covariance ``V`` of ``y`` (:func:`visit_covariance`).

    Returns
    -------
    GlsFit

    Notes
    -----
    With a flat prior on ``beta`` and ``V`` known, the posterior of ``beta`` is normal
    with exactly this mean and covariance (Aitken's estimator). The computation whitens
    with the Cholesky factor of ``V`` and solves the least-squares problem.

    References
    ----------
    .. [1] Aitken AC. On least squares and linear combination of observations.
       Proc R Soc Edinb 1936;55:42-48. doi:10.1017/S0370164600014346
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(design, dtype=float)
    if x.ndim != 2 or x.shape[0] != y.size:
        raise ValueError(f"design must have shape ({y.size}, p), not {x.shape}")
    chol = np.linalg.cholesky(np.asarray(cov, dtype=float))
    xw = np.linalg.solve(chol, x)
    yw = np.linalg.solve(chol, y)
    precision = xw.T @ xw
    covariance = np.linalg.inv(precision)
    estimate = covariance @ (xw.T @ yw)
    return GlsFit(estimate=estimate, covariance=covariance)


def conjugate_normal_update(
    prior_mean: ArrayLike,
    prior_cov: ArrayLike,
    y: ArrayLike,
    design: ArrayLike,
    cov: ArrayLike,
) -> GlsFit:
    """Exact posterior of ``beta ~ N(m0, S0)`` given ``y ~ N(X beta, V)`` with ``V`` known.

    Parameters
    ----------
    prior_mean : array_like, shape (p,)
    prior_cov : array_like, shape (p, p)
    y : array_like, shape (k,)
    design : array_like, shape (k, p)
    cov : array_like, shape (k, k)

    Returns
    -------
    GlsFit
        Posterior mean ``S1 (S0^-1 m0 + X' V^-1 y)`` and covariance
        ``S1 = (S0^-1 + X' V^-1 X)^-1``; tends to :func:`gls_fit` as ``S0`` grows.
    """
    m0 = np.asarray(prior_mean, dtype=float)
    s0_inv = np.linalg.inv(np.asarray(prior_cov, dtype=float))
    x = np.asarray(design, dtype=float)
    v_inv = np.linalg.inv(np.asarray(cov, dtype=float))
    precision = s0_inv + x.T @ v_inv @ x
    covariance = np.linalg.inv(precision)
    mean = covariance @ (s0_inv @ m0 + x.T @ v_inv @ np.asarray(y, dtype=float))
    return GlsFit(estimate=mean, covariance=covariance)


def mvn_logpdf(y: ArrayLike, mean: ArrayLike, cov: ArrayLike) -> float:
    """Log density of a multivariate normal, via the Cholesky factor.

    Parameters
    ----------
    y, mean : array_like, shape (k,)
    cov : array_like, shape (k, k)

    Returns
    -------
    float
    """
    resid = np.asarray(y, dtype=float) - np.asarray(mean, dtype=float)
    chol = np.linalg.cholesky(np.asarray(cov, dtype=float))
    z = np.linalg.solve(chol, resid)
    log_det = 2.0 * float(np.sum(np.log(np.diag(chol))))
    return float(-0.5 * (resid.size * np.log(2.0 * np.pi) + log_det + z @ z))
