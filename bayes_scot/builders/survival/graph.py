"""PyTensor kernels of the illness-death model (and the NumPy twin of one).

Closed-form state and transition probabilities of piecewise-constant hazards, used
by :class:`~bayes_scot.builders.survival.model.SurvivalModel`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytensor.tensor as pt

from bayes_scot.builders.survival.options import _EFS, _OS
from bayes_scot.likelihood import survival as lik


def _pt_arm_log_hazards(log_h0, beta_efs, split, beta_after):
    r"""Log hazards (trial, arm, transition, interval), experimental arm first.

    The experimental arm's hazard of leaving the event-free state is the control arm's
    times :math:`e^{\beta}`, shared between organ failure and death with log odds shifted
    by ``split``; the hazard of death after organ failure is the control arm's times
    :math:`e^{\beta_{12}}`. With ``split = 0`` and equal log HRs this is proportional
    hazards on every transition.
    """
    lh01, lh02, lh12 = log_h0[:, 0], log_h0[:, 1], log_h0[:, 2]  # (trial, interval)
    log_exit = pt.logaddexp(lh01, lh02) + beta_efs
    logit_death = lh02 - lh01 + split
    experimental = pt.stack(
        [log_exit - pt.softplus(logit_death), log_exit - pt.softplus(-logit_death),
         lh12 + beta_after], axis=1,
    )  # fmt: skip
    return pt.stack([experimental, log_h0], axis=1)


def _pt_g(x: pt.TensorVariable) -> pt.TensorVariable:
    """``(1 - exp(-x)) / x`` with its series near 0 (safe gradients)."""
    small = pt.lt(pt.abs(x), 1e-5)
    safe = pt.switch(small, 1.0, x)
    return pt.switch(small, 1.0 - x / 2.0 + x * x / 6.0, -pt.expm1(-safe) / safe)


def _pt_step(p0, p1, h, d):
    """Propagate (event-free, after failure) probabilities over ``d`` months."""
    h1, h2, h3 = h[..., 0], h[..., 1], h[..., 2]
    a = h1 + h2
    low = pt.minimum(a, h3)
    gap = pt.abs(h3 - a)
    exp_diff = pt.exp(-low * d) * d * _pt_g(gap * d)
    return p0 * pt.exp(-a * d), p1 * pt.exp(-h3 * d) + p0 * h1 * exp_diff


def _pt_boundary_states(hazard, edges: np.ndarray):
    """(event-free, after failure) probabilities at the K interval starts: (..., K) each."""
    p0 = pt.ones_like(hazard[..., 0, 0])
    p1 = pt.zeros_like(p0)
    at0, at1 = [p0], [p1]
    for k in range(len(edges) - 2):
        p0, p1 = _pt_step(p0, p1, hazard[..., k, :], float(edges[k + 1] - edges[k]))
        at0.append(p0)
        at1.append(p1)
    return pt.stack(at0, axis=-1), pt.stack(at1, axis=-1)


def _segments(edges: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the grid of :func:`_pt_transition_table`: boundaries and times up to the last.

    Returns the grid points, the interval of each segment between consecutive points and
    the segments' lengths. Times beyond the last boundary fall in the last interval.
    """
    n_int = len(edges) - 1
    top = max(float(np.max(times)), float(edges[1]))  # at least one segment
    grid = np.unique(np.concatenate([edges[edges <= top], times, [0.0]]))
    interval = np.clip(np.searchsorted(edges, grid[:-1], side="right") - 1, 0, n_int - 1)
    return grid, interval, np.diff(grid)


def _pt_transition_table(hazard, edges: np.ndarray, pairs: Sequence[tuple[float, float]]):
    r"""Transition probabilities between the transient states for pairs of times.

    Parameters
    ----------
    hazard : TensorVariable, shape (..., K, 3)
        Piecewise-constant transition hazards.
    edges : numpy.ndarray
        Interval boundaries, starting at 0.
    pairs : sequence of (float, float)
        Static ``(t0, t1)`` with ``t0 <= t1``.

    Returns
    -------
    (p00, p01, p11) : TensorVariable, each (..., P)
        Staying event-free, moving from event-free to "alive after failure", and staying
        alive after failure, between ``t0`` and ``t1``.

    Notes
    -----
    On the grid of :func:`_segments`, with :math:`A_m = (h_1 + h_2) d_m` and
    :math:`C_m = h_3 d_m` in segment :math:`m` (length :math:`d_m`) and their cumulative
    sums :math:`\bar A, \bar C`, the product of the segments' upper-triangular transition
    matrices from grid point :math:`i` to :math:`j` has the closed form

    .. math::

        P_{00} = e^{\bar A_i - \bar A_j}, \quad P_{11} = e^{\bar C_i - \bar C_j}, \quad
        P_{01} = \sum_{m=i}^{j-1} e^{\bar A_i - \bar A_m} B_m e^{\bar C_{m+1} - \bar C_j},

    where :math:`B_m = h_1 (e^{-A_m} - e^{-C_m}) / (h_3 - h_1 - h_2)` is the one-segment
    probability of organ failure followed by survival, written with
    :math:`(1 - e^{-x}) / x` so that it stays exact when the two rates are close. Every
    exponent is non-positive. All pairs are computed together in a few vectorised
    operations (the sums of rate x time are products with fixed matrices), which keeps
    the compiled log density and its gradient small.
    """
    t0 = np.array([p[0] for p in pairs], dtype=float)
    t1 = np.array([p[1] for p in pairs], dtype=float)
    grid, interval, length = _segments(edges, np.concatenate([t0, t1]))
    i, j = np.searchsorted(grid, t0), np.searchsorted(grid, t1)
    n_pairs, n_seg = len(pairs), len(length)
    m = np.arange(n_seg)
    within = (m[None, :] >= i[:, None]) & (m[None, :] < j[:, None])  # (P, M)
    # Segment l before segment m within the span, and segment l after m within the span.
    before = within[:, :, None] & (m >= i[:, None, None]) & (m[None, None, :] < m[None, :, None])
    after = within[:, :, None] & (m[None, None, :] > m[None, :, None]) & (m < j[:, None, None])
    # Months of segment m spent in interval k: every sum of rate x time below is a
    # product of the interval rates with a fixed matrix, so gathers and cumulative sums
    # become matrix products (cheap to compile and to differentiate).
    onehot = (interval[None, :] == np.arange(len(edges) - 1)[:, None]).astype(float)  # (K, M)
    exposure = onehot * length
    span = exposure @ within.T  # (K, P)
    exposure_before = (exposure @ before.reshape(-1, n_seg).T.astype(float))  # (K, P*M)
    exposure_after = (exposure @ after.reshape(-1, n_seg).T.astype(float))
    rates = pt.moveaxis(hazard, -1, -2)  # (..., 3, K)
    leave = rates[..., 0, :] + rates[..., 1, :]
    die = rates[..., 2, :]
    p00 = pt.exp(-pt.dot(leave, span))
    p11 = pt.exp(-pt.dot(die, span))
    exponent = -(pt.dot(leave, exposure_before) + pt.dot(die, exposure_after))
    exponent = exponent.reshape((*[leave.shape[d] for d in range(leave.ndim - 1)], n_pairs, n_seg))
    seg = pt.dot(rates, onehot)  # (..., 3, M)
    seg_leave = seg[..., 0, :] + seg[..., 1, :]
    seg_die = seg[..., 2, :]
    b = (
        seg[..., 0, :] * pt.exp(-pt.minimum(seg_leave, seg_die) * length) * length
        * _pt_g(pt.abs(seg_die - seg_leave) * length)
    )  # (..., M)
    p01 = pt.sum(within * pt.exp(exponent) * b[..., None, :], axis=-1)
    return p00, p01, p11


def _pt_state_probabilities(hazard, edges: np.ndarray, times: np.ndarray):
    """State probabilities at many ``times`` (static), hazards (..., K, 3) -> (..., T, 3).

    The states at the K + 1 boundaries come from K closed-form steps; every requested
    time then takes one vectorised step from the boundary before it. Memory grows with
    the number of times only (the survival curves ask for one per month), where
    :func:`_pt_transition_table` would grow with times x segments.
    """
    n_int = len(edges) - 1
    start0, start1 = _pt_boundary_states(hazard, edges)
    t = np.asarray(times, dtype=float)
    k_idx = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, n_int - 1)
    q0, q1 = _pt_step(
        start0[..., k_idx], start1[..., k_idx], hazard[..., k_idx, :], t - edges[k_idx]
    )
    return pt.stack([q0, q1, 1.0 - q0 - q1], axis=-1)


def _pt_transition_matrices(p00, p01, p11):
    """Full 3 x 3 transition matrices (..., P, 3, 3) from the table's three entries."""
    zeros, ones = pt.zeros_like(p00), pt.ones_like(p00)
    rows = [
        pt.stack([p00, p01, 1.0 - p00 - p01], axis=-1),
        pt.stack([zeros, p11, 1.0 - p11], axis=-1),
        pt.stack([zeros, zeros, ones], axis=-1),
    ]
    return pt.stack(rows, axis=-2)


def _aggregation(endpoints: tuple[str, ...]) -> np.ndarray:
    """Map the three states onto the observed categories of KM estimates."""
    if endpoints == (_EFS, _OS):
        return np.eye(3)
    if endpoints == (_EFS,):
        return np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    return np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])


def _start_at_zero(n_arms: int) -> np.ndarray:
    start = np.zeros((n_arms, 3))
    start[:, 0] = 1.0
    return start


def _survival_estimates_logp(start, observed, effective_n, transition, aggregation):
    """Kaplan-Meier estimates at t1 given the state distribution at t0 (moment-matched).

    ``observed`` holds (S_EFS, S_OS) per arm (NaN where not reported); the categories are
    those of ``aggregation``. The predicted distribution is ``start @ transition``; the
    estimates enter as a multinomial kernel with the effective sample size.
    """
    q = pt.sum(start[:, :, None] * transition, axis=1)  # (arm, 3)
    categories = aggregation.shape[1]
    q_obs = pt.dot(q, aggregation)  # (arm, C)
    s_efs, s_os = observed[:, 0], observed[:, 1]
    if categories == 3:
        p_hat = pt.stack([s_efs, s_os - s_efs, 1.0 - s_os], axis=-1)
    elif aggregation[1, 0] == 0.0:  # EFS only
        p_hat = pt.stack([s_efs, 1.0 - s_efs], axis=-1)
    else:  # OS only
        p_hat = pt.stack([s_os, 1.0 - s_os], axis=-1)
    counts = effective_n[:, None] * p_hat
    return lik.landmark_states(counts, q_obs)


def _pt_weighted_log_hr(surv, n, endpoint: str):
    """Event-weighted mean of piecewise log hazard ratios, surv: (arm, cut, 3)."""
    s = surv[..., 0] if endpoint == _EFS else surv[..., 0] + surv[..., 1]
    s = pt.clip(s, 1e-300, 1.0)
    log_s = pt.log(s)
    rate = -(log_s[:, 1:] - log_s[:, :-1])  # (arm, pieces), per piece (lengths cancel)
    log_hr = pt.log(pt.clip(rate[0], 1e-300, np.inf)) - pt.log(pt.clip(rate[1], 1e-300, np.inf))
    events = n[:, None] * (s[:, :-1] - s[:, 1:])
    weight = pt.sum(events, axis=0)
    return pt.sum(weight * log_hr) / pt.sum(weight)


def _np_weighted_log_hr(surv: np.ndarray, n: np.ndarray) -> np.ndarray:
    """NumPy twin of :func:`_pt_weighted_log_hr`; surv (draws, arm, cut) -> (draws,)."""
    s = np.clip(surv, 1e-300, 1.0)
    rate = -np.diff(np.log(s), axis=-1)
    with np.errstate(divide="ignore"):
        log_hr = np.log(rate[:, 0]) - np.log(rate[:, 1])
    weight = np.sum(n[None, :, None] * -np.diff(s, axis=-1), axis=1)
    return np.sum(weight * log_hr, axis=-1) / np.sum(weight, axis=-1)
