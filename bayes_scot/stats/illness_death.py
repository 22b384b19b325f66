r"""Illness-death process with piecewise-constant hazards: closed forms and simulation.

Three states: event-free (0), alive after organ failure (1), dead (2). Three transitions,
each with a hazard that is constant within the intervals of a time grid:

* transition 1, ``organ_failure``: event-free -> alive after organ failure, hazard
  :math:`h_1`;
* transition 2, ``death_event_free``: event-free -> dead, hazard :math:`h_2`;
* transition 3, ``death_after_failure``: alive after organ failure -> dead, hazard
  :math:`h_3`.

Event-free survival (SCOT's EFS: alive without respiratory, renal or cardiac failure) is
the probability of state 0; overall survival is the probability of states 0 or 1, so
:math:`S_{OS}(t) \ge S_{EFS}(t)` holds by construction.

Within an interval of length :math:`d` with exit rates :math:`a = h_1 + h_2` (from state
0) and :math:`b = h_3` (from state 1), starting from state probabilities
:math:`(p_0, p_1, p_2)`:

.. math::

    p_0(d) &= p_0 e^{-a d}, \\
    p_1(d) &= p_1 e^{-b d} + p_0 h_1 \, E(a, b, d), \qquad
    E(a, b, d) = \frac{e^{-a d} - e^{-b d}}{b - a}, \\
    p_2(d) &= 1 - p_0(d) - p_1(d).

:math:`E` is symmetric in :math:`a, b` and equals :math:`d e^{-a d}` when :math:`a = b`;
:func:`exp_difference_ratio` evaluates it as
:math:`e^{-\min(a,b) d} \, d \, g(|b - a| d)` with :math:`g(x) = (1 - e^{-x})/x` computed
by ``expm1`` (and its Taylor series near 0), which neither cancels nor overflows.

Time is in months throughout; hazards are per month. Beyond the last boundary the last
interval's hazards continue.

References
----------
.. [1] Andersen PK, Keiding N. Multi-state models for event history analysis. Stat Methods
   Med Res 2002;11:91-115. doi:10.1191/0962280202SM276ra
.. [2] Putter H, Fiocco M, Geskus RB. Tutorial in biostatistics: competing risks and
   multi-state models. Stat Med 2007;26:2389-2430. doi:10.1002/sim.2712
.. [3] Royston P, Parmar MKB. Restricted mean survival time: an alternative to the hazard
   ratio for the design and analysis of randomized trials with a time-to-event outcome.
   BMC Med Res Methodol 2013;13:152. doi:10.1186/1471-2288-13-152
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import gamma, gammainc

from bayes_scot.errors import EvidenceError

__all__ = [
    "STATES",
    "TRANSITIONS",
    "event_free_survival",
    "exp_difference_ratio",
    "one_minus_exp_ratio",
    "overall_survival",
    "restricted_mean_survival",
    "simulate_illness_death",
    "simulate_paths",
    "state_probabilities",
    "transition_matrix",
]

STATES: tuple[str, ...] = ("event_free", "alive_after_failure", "dead")
"""States of the illness-death process, in the order of every state axis."""

TRANSITIONS: tuple[str, ...] = ("organ_failure", "death_event_free", "death_after_failure")
"""Transitions 1 (event-free -> organ failure), 2 (event-free -> death) and 3 (organ
failure -> death), in the order of every transition axis."""

_SERIES_BELOW = 1e-5  # below this |x| the 3-term Taylor series of g(x) is exact to 1e-16


def one_minus_exp_ratio(x: ArrayLike) -> np.ndarray:
    """Evaluate :math:`g(x) = (1 - e^{-x}) / x`, with :math:`g(0) = 1`, without cancellation.

    Parameters
    ----------
    x : array_like
        Non-negative in the uses of this module; any real value is accepted.

    Returns
    -------
    numpy.ndarray
    """
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < _SERIES_BELOW
    if not small.any():  # the usual case: no series to evaluate
        return np.asarray(-np.expm1(-x) / x)
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 - x / 2.0 + x * x / 6.0, -np.expm1(-safe) / safe)


def exp_difference_ratio(a: ArrayLike, b: ArrayLike, t: ArrayLike) -> np.ndarray:
    r"""Evaluate :math:`(e^{-a t} - e^{-b t}) / (b - a)` stably, including :math:`a = b`.

    Parameters
    ----------
    a, b : array_like
        Non-negative rates (broadcast together).
    t : array_like
        Non-negative durations.

    Returns
    -------
    numpy.ndarray
        :math:`e^{-\min(a,b) t} \, t \, g(|b - a| t)`; equals :math:`t e^{-a t}` at
        :math:`a = b`.
    """
    a, b, t = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, t)))
    return _exp_difference_ratio(np.exp(-np.minimum(a, b) * t), a, b, t)


def _exp_difference_ratio(
    slower: np.ndarray, a: np.ndarray, b: np.ndarray, t: ArrayLike
) -> np.ndarray:
    r""":func:`exp_difference_ratio` given ``slower``, :math:`e^{-\min(a, b) t}`."""
    return slower * t * one_minus_exp_ratio(np.abs(b - a) * t)


def _check_grid(hazards: ArrayLike, boundaries: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    h = np.asarray(hazards, dtype=float)
    edges = np.asarray(boundaries, dtype=float)
    if edges.ndim != 1 or edges.size < 2:
        raise EvidenceError("interval boundaries need at least two values", field="boundaries")
    if edges[0] != 0.0 or np.any(np.diff(edges) <= 0):
        raise EvidenceError(
            f"interval boundaries must start at 0 and increase, got {edges.tolist()}",
            field="boundaries",
        )
    n_intervals = edges.size - 1
    if h.ndim < 2 or h.shape[-2:] != (n_intervals, 3):
        raise EvidenceError(
            f"hazards must have shape (..., {n_intervals} intervals, 3 transitions), "
            f"got {h.shape}",
            field="hazards",
        )
    if np.any(~np.isfinite(h)) or np.any(h < 0):
        raise EvidenceError("hazards must be finite and non-negative", field="hazards")
    return h, edges


def _step(p0, p1, h, d):
    """Propagate state probabilities over a duration ``d`` with constant hazards ``h``."""
    h1, h2, h3 = h[..., 0], h[..., 1], h[..., 2]
    a = h1 + h2
    stay0 = np.exp(-a * d)
    stay1 = np.exp(-h3 * d)
    # exp_difference_ratio(a, h3, d) from the same two exponentials: the slower decay is
    # e^{-min(a, h3) d}, bit for bit (NaN where either rate is NaN, as np.minimum).
    slower = np.where(h3 < a, stay1, stay0)
    new0 = p0 * stay0
    new1 = p1 * stay1 + p0 * h1 * _exp_difference_ratio(slower, a, h3, d)
    return new0, new1


def _boundary_states(h: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """State probabilities (event-free, after failure) at every boundary, shape (..., K+1)."""
    batch = h.shape[:-2]
    p0 = np.ones(batch)
    p1 = np.zeros(batch)
    out0, out1 = [p0], [p1]
    for k in range(edges.size - 1):
        p0, p1 = _step(p0, p1, h[..., k, :], edges[k + 1] - edges[k])
        out0.append(p0)
        out1.append(p1)
    return np.stack(out0, axis=-1), np.stack(out1, axis=-1)


def state_probabilities(
    hazards: ArrayLike, boundaries: ArrayLike, times: ArrayLike
) -> np.ndarray:
    """Probabilities of (event-free, alive after organ failure, dead) at ``times``.

    Every patient starts event-free at time 0.

    Parameters
    ----------
    hazards : array_like, shape (..., K, 3)
        Hazards per month of the three transitions (:data:`TRANSITIONS`) in each of the K
        intervals; leading axes (draws, arms) broadcast.
    boundaries : array_like, shape (K + 1,)
        Interval boundaries in months, starting at 0. Hazards of the last interval apply
        beyond its end.
    times : array_like, shape (T,)
        Non-negative times in months.

    Returns
    -------
    numpy.ndarray, shape (..., T, 3)
        State probabilities in the order of :data:`STATES`; each row sums to 1.

    Raises
    ------
    EvidenceError
        If the grid or the hazards are malformed.
    """
    h, edges = _check_grid(hazards, boundaries)
    t = np.atleast_1d(np.asarray(times, dtype=float))
    if np.any(t < 0) or t.ndim != 1:
        raise EvidenceError("times must be a 1-d array of non-negative months", field="times")
    start0, start1 = _boundary_states(h, edges)
    k = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, edges.size - 2)
    d = t - edges[k]
    p0, p1 = _step(start0[..., k], start1[..., k], h[..., k, :], d)
    p0 = np.clip(p0, 0.0, 1.0)
    p1 = np.clip(p1, 0.0, 1.0 - p0)
    return np.stack([p0, p1, 1.0 - p0 - p1], axis=-1)


def event_free_survival(hazards: ArrayLike, boundaries: ArrayLike, times: ArrayLike) -> np.ndarray:
    """Event-free survival :math:`S_{EFS}(t)`, the probability of the event-free state.

    Parameters
    ----------
    hazards, boundaries, times
        As in :func:`state_probabilities`.

    Returns
    -------
    numpy.ndarray, shape (..., T)
    """
    return state_probabilities(hazards, boundaries, times)[..., 0]


def overall_survival(hazards: ArrayLike, boundaries: ArrayLike, times: ArrayLike) -> np.ndarray:
    r"""Overall survival :math:`S_{OS}(t) = 1 - P(\text{dead})`.

    Parameters
    ----------
    hazards, boundaries, times
        As in :func:`state_probabilities`.

    Returns
    -------
    numpy.ndarray, shape (..., T)
    """
    return 1.0 - state_probabilities(hazards, boundaries, times)[..., 2]


def transition_matrix(hazards: ArrayLike, duration: float) -> np.ndarray:
    r"""Transition probability matrix over ``duration`` with constant hazards.

    Parameters
    ----------
    hazards : array_like, shape (..., 3)
    duration : float
        Months.

    Returns
    -------
    numpy.ndarray, shape (..., 3, 3)
        Row ``i`` holds the probabilities of being in each state after ``duration`` when
        starting in state ``i``; equals :math:`\exp(Q d)` for the generator
        :math:`Q = [[-(h_1+h_2), h_1, h_2], [0, -h_3, h_3], [0, 0, 0]]`.
    """
    h = np.asarray(hazards, dtype=float)
    one = np.ones(h.shape[:-1])
    zero = np.zeros(h.shape[:-1])
    ef0, ef1 = _step(one, zero, h, duration)
    of0, of1 = _step(zero, one, h, duration)
    rows = [
        np.stack([ef0, ef1, 1.0 - ef0 - ef1], axis=-1),
        np.stack([of0, of1, 1.0 - of0 - of1], axis=-1),
        np.stack([zero, zero, one], axis=-1),
    ]
    return np.stack(rows, axis=-2)


# (g(x) - g(y)) / (y - x) is evaluated directly when |y - x| is at least this fraction of
# max(1, min(x, y)), losing at most about 40 ulp to cancellation; closer to the diagonal,
# by its series about the midpoint in powers of the half-gap squared, of which
# _EXCHANGE_TERMS terms leave a relative error below 1e-16 (the half-gap is then below
# 0.025 max(1, midpoint), and term k is about (half-gap / max(1, midpoint))^(2k) / (2k+1)!).
_DIRECT_ABOVE = 0.05
_EXCHANGE_TERMS = 4
_SERIES_MOMENTS_BELOW = 1.0  # moments by their power series below this, else gammainc
_MOMENT_SERIES_TERMS = 19  # the series' terms are below 1 / 19! < 1e-16 of the first


def _odd_moments(u: np.ndarray, count: int) -> np.ndarray:
    r"""Moments :math:`J_n(u) = \int_0^1 t^n e^{-u t} dt` for :math:`n = 1, 3, 5, \ldots`.

    ``u`` is one-dimensional; returns shape ``(u.size, count)``: the power series
    :math:`\sum_j (-u)^j / (j! (n + j + 1))` where :math:`u < 1` (its terms shrink from
    the first), otherwise :math:`n! \, P(n + 1, u) / u^{n + 1}` with the regularised
    lower incomplete gamma function :math:`P`.
    """
    n = 2.0 * np.arange(count) + 1.0
    out = np.empty((u.size, count))
    small = u < _SERIES_MOMENTS_BELOW
    us = u[small][:, None]
    term = np.ones_like(us)
    total = term / (n + 1.0)
    for j in range(1, _MOMENT_SERIES_TERMS):
        term = term * (-us / j)
        total = total + term / (n + j + 1.0)
    out[small] = total
    ul = u[~small][:, None]
    out[~small] = gamma(n + 1.0) * gammainc(n + 1.0, ul) / ul ** (n + 1.0)
    return out


def _exchange_integral(x: np.ndarray, y: np.ndarray, gx: np.ndarray,
                       gy: np.ndarray) -> np.ndarray:
    r""":math:`F(x, y) = (g(x) - g(y)) / (y - x) = \int_0^1 (e^{-x t} - e^{-y t}) / (y - x) dt`.

    Given ``gx`` and ``gy``, :math:`g(x)` and :math:`g(y)`. Near the diagonal, with
    :math:`u = (x + y) / 2` and :math:`\delta = (y - x) / 2`, Taylor expansion of
    :math:`g` about :math:`u` (whose derivatives are :math:`g^{(k)} = (-1)^k J_k`) gives
    :math:`F = \sum_{k \ge 0} J_{2k+1}(u) \, \delta^{2k} / (2k+1)!`, so
    :math:`F(x, x) = J_1(x)`.
    """
    shape = np.shape(x)
    x, y, gx, gy = (np.atleast_1d(v) for v in (x, y, gx, gy))
    near = np.abs(y - x) < _DIRECT_ABOVE * np.maximum(1.0, np.minimum(x, y))
    out = (gx - gy) / np.where(near, 1.0, y - x)
    if near.any():
        u = (x[near] + y[near]) / 2.0
        half_gap_sq = ((y[near] - x[near]) / 2.0)[:, None] ** (2.0 * np.arange(_EXCHANGE_TERMS))
        factorial = gamma(2.0 * np.arange(_EXCHANGE_TERMS) + 2.0)
        out[near] = np.sum(_odd_moments(u, _EXCHANGE_TERMS) * half_gap_sq / factorial, axis=-1)
    return out.reshape(shape)


def _overall_survival_integral(p0: np.ndarray, p1: np.ndarray, hk: np.ndarray,
                               d: float) -> np.ndarray:
    r""":math:`\int_0^d (p_0(s) + p_1(s)) ds` over one piece with constant hazards ``hk``.

    :math:`p_0 d\, g(a d) + p_1 d\, g(b d) + p_0 h_1 d^2 F(a d, b d)`, integrating the
    three terms of :math:`p_0(s) + p_1(s)` (module docstring) in closed form.
    """
    x = (hk[..., 0] + hk[..., 1]) * d
    y = hk[..., 2] * d
    gx, gy = one_minus_exp_ratio(x), one_minus_exp_ratio(y)
    exchange = _exchange_integral(x, y, gx, gy)
    return d * (p0 * gx + p1 * gy) + p0 * hk[..., 0] * d * d * exchange


def restricted_mean_survival(
    hazards: ArrayLike,
    boundaries: ArrayLike,
    horizon: float | Sequence[float],
    *,
    endpoint: Literal["efs", "os"] = "efs",
) -> np.ndarray:
    r"""Restricted mean survival time :math:`\int_0^\tau S(t) \, dt` in months.

    Parameters
    ----------
    hazards, boundaries
        As in :func:`state_probabilities`.
    horizon : float or sequence of float
        :math:`\tau`, in months; several horizons are integrated in one pass.
    endpoint : {"efs", "os"}, default "efs"
        Event-free or overall survival.

    Returns
    -------
    numpy.ndarray, shape (...) or (..., H)
        RMST for every leading index of ``hazards`` (and every horizon, last, when
        ``horizon`` is a sequence).

    Notes
    -----
    Both are integrated in closed form on each piece between boundaries. EFS:
    :math:`\int_0^d p_0 e^{-a s} ds = p_0 d\, g(a d)`. OS adds
    :math:`\int_0^d p_1(s) ds = p_1 d\, g(b d) + p_0 h_1 d^2 F(a d, b d)`, with
    :math:`F(x, y) = (g(x) - g(y)) / (y - x)`, evaluated by its series near
    :math:`x = y` (where the quotient would cancel) through the moments
    :math:`\int_0^1 t^n e^{-m t} dt` (the incomplete gamma function); relative error about
    1e-14. The pieces are cut at the boundaries and at every horizon, and each horizon's
    RMST is the running sum of the pieces before it.
    """
    h, edges = _check_grid(hazards, boundaries)
    horizons = np.atleast_1d(np.asarray(horizon, dtype=float))
    if horizons.ndim != 1 or horizons.size == 0 or not np.all(np.isfinite(horizons)) or np.any(
        horizons <= 0
    ):
        raise EvidenceError(f"horizon must be positive, not {horizon!r}", field="horizon")
    if endpoint not in ("efs", "os"):
        raise EvidenceError(f"endpoint must be 'efs' or 'os', not {endpoint!r}", field="endpoint")
    last = horizons.max()
    cuts = np.unique(np.concatenate([[0.0], edges[edges < last], horizons]))
    start0, start1 = _boundary_states(h, edges)
    running = np.zeros(h.shape[:-2])
    at_cut = {0.0: running}
    for lo, hi in itertools.pairwise(cuts):
        k = min(int(np.searchsorted(edges, lo, side="right") - 1), edges.size - 2)
        hk = h[..., k, :]
        p0, p1 = _step(start0[..., k], start1[..., k], hk, lo - edges[k])
        d = hi - lo
        if endpoint == "efs":
            a = hk[..., 0] + hk[..., 1]
            running = running + p0 * d * one_minus_exp_ratio(a * d)
        else:
            running = running + _overall_survival_integral(p0, p1, hk, d)
        at_cut[float(hi)] = running
    out = np.stack([at_cut[float(t)] for t in horizons], axis=-1)
    return out if np.ndim(horizon) else out[..., 0]


def simulate_paths(
    hazards: np.ndarray, edges: np.ndarray, n: int, rng: np.random.Generator, horizon: float
) -> dict[str, np.ndarray]:
    """Simulate ``n`` patients for each of many hazard sets at once (vectorised).

    Parameters
    ----------
    hazards : numpy.ndarray, shape (D, K, 3)
        Hazards per month of one arm, for D parameter draws.
    edges : numpy.ndarray, shape (K + 1,)
        Interval boundaries in months, starting at 0.
    n : int
        Patients per draw.
    rng : numpy.random.Generator
        Source of randomness.
    horizon : float
        Administrative censoring time, months.

    Returns
    -------
    dict of str to numpy.ndarray
        Arrays of shape (D, n), as the columns of :func:`simulate_illness_death`.

    Notes
    -----
    The random numbers are drawn in the order exit times, exit types, death times after
    organ failure, each for all draws at once; with D = 1 this is the order of
    :func:`simulate_illness_death`, which calls this function. Each event time inverts
    the cumulative hazard in compiled code
    (:func:`~bayes_scot.stats.illness_death_kernel.invert_cumulative`).
    """
    from bayes_scot.stats.illness_death_kernel import invert_cumulative  # numba: when used

    n_draws, n_int = hazards.shape[:2]
    exit_rate = hazards[..., 0] + hazards[..., 1]  # (D, K)
    t_exit = invert_cumulative(
        exit_rate, edges, np.zeros((n_draws, n)), rng.exponential(size=(n_draws, n)),
    )
    k = np.clip(np.searchsorted(edges, t_exit, side="right") - 1, 0, n_int - 1)
    total = np.take_along_axis(exit_rate, k, axis=1)
    failure_rate = np.take_along_axis(hazards[..., 0], k, axis=1)
    p_failure = np.where(total > 0, failure_rate / np.where(total > 0, total, 1.0), 0.0)
    is_failure = rng.uniform(size=(n_draws, n)) < p_failure
    t_death_after = invert_cumulative(
        hazards[..., 2], edges,
        np.where(is_failure, t_exit, np.inf), rng.exponential(size=(n_draws, n)),
    )
    death_time = np.where(is_failure, t_death_after, t_exit)
    death_time = np.where(death_time <= horizon, death_time, np.nan)
    os_event = ~np.isnan(death_time)
    return {
        "organ_failure_months": np.where(is_failure & (t_exit <= horizon), t_exit, np.nan),
        "death_months": death_time,
        "efs_months": np.minimum(t_exit, horizon),
        "efs_event": t_exit <= horizon,
        "os_months": np.where(os_event, death_time, horizon),
        "os_event": os_event,
    }


def simulate_illness_death(
    hazards: ArrayLike,
    boundaries: ArrayLike,
    n: int,
    rng: np.random.Generator,
    *,
    horizon: float | None = None,
) -> pd.DataFrame:
    r"""Simulate event times of ``n`` patients who start event-free at time 0.

    Parameters
    ----------
    hazards : array_like, shape (K, 3)
        Hazards per month of one arm (:data:`TRANSITIONS` order).
    boundaries : array_like, shape (K + 1,)
        Interval boundaries in months, starting at 0.
    n : int
        Patients to simulate.
    rng : numpy.random.Generator
        Source of randomness (pass a seeded generator for reproducible draws).
    horizon : float, optional
        Administrative censoring time; default the last boundary.

    Returns
    -------
    pandas.DataFrame
        One row per patient with columns ``organ_failure_months`` (NaN when organ failure
        did not occur by the horizon or death came first), ``death_months`` (NaN when
        alive at the horizon), ``efs_months`` and ``efs_event`` (time to the first of
        organ failure or death, or the horizon with ``efs_event`` False), ``os_months``
        and ``os_event``.

    Notes
    -----
    Times are drawn by inversion of the piecewise-linear cumulative hazard: the time of
    leaving the event-free state solves :math:`\int_0^T (h_1 + h_2) = E` with
    :math:`E \sim \text{Exp}(1)`; the exit is organ failure with probability
    :math:`h_1 / (h_1 + h_2)` of the interval in which it happens; after organ failure at
    :math:`T`, death occurs when :math:`\int_T^{T'} h_3 = E'`.
    """
    h, edges = _check_grid(hazards, boundaries)
    if h.ndim != 2:
        raise EvidenceError("simulate one arm at a time: hazards of shape (K, 3)",
                            field="hazards")
    if not isinstance(n, int | np.integer) or n < 0:
        raise EvidenceError(f"n must be a non-negative whole number, not {n!r}", field="n")
    tau = float(edges[-1] if horizon is None else horizon)
    if tau <= 0:
        raise EvidenceError(f"horizon must be positive, not {horizon!r}", field="horizon")
    paths = simulate_paths(h[np.newaxis], edges, int(n), rng, tau)
    return pd.DataFrame({name: values[0] for name, values in paths.items()})

