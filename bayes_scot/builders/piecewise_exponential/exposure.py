r"""Months at risk under piecewise-constant hazards, and what follows from them.

NumPy kernels of the one-endpoint model
(:class:`~bayes_scot.builders.piecewise_exponential.PiecewiseExponentialModel`): with
hazards :math:`h_k` constant within intervals, survival to :math:`t` is
:math:`\exp(-\sum_k h_k x_k(t))`, where :math:`x_k(t)` is the time spent in interval
:math:`k` by :math:`t`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayes_scot.stats.kaplan_meier import event_interval

__all__ = ["exposure_matrix", "restricted_mean", "sufficient_statistics"]


def exposure_matrix(edges: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Months spent in each interval (K, T) by each time; the last interval is open."""
    lower = edges[:-1, None]
    upper = np.concatenate([edges[1:-1], [np.inf]])[:, None]
    return np.clip(np.minimum(np.asarray(times, dtype=float)[None, :], upper) - lower, 0.0,
                   None)


def restricted_mean(hazards: np.ndarray, edges: np.ndarray, tau: float) -> np.ndarray:
    """Restricted mean survival to ``tau`` of piecewise-constant hazards (..., K)."""
    cuts = np.unique(np.concatenate([edges[edges < tau], [tau]]))
    start = exposure_matrix(edges, cuts[:-1])  # (K, P)
    h = hazards @ (np.diff(exposure_matrix(edges, cuts), axis=1) > 0).astype(float)
    s0 = np.exp(-hazards @ start)  # survival at the start of each piece
    length = np.diff(cuts)
    with np.errstate(invalid="ignore", divide="ignore"):
        piece = np.where(h * length > 1e-10, s0 * -np.expm1(-h * length) / h, s0 * length)
    return piece.sum(axis=-1)


def sufficient_statistics(ipd: list[pd.DataFrame], edges: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Events and months of exposure per arm and interval of patient-level data.

    Parameters
    ----------
    ipd : list of pandas.DataFrame
        One frame per arm with columns ``time`` (months) and ``event`` (0 or 1).
    edges : numpy.ndarray
        Interval boundaries; the last interval is open.

    Returns
    -------
    events, exposure : numpy.ndarray
        Each (arm, interval): the exact piecewise-exponential likelihood's statistics. An
        event on a boundary counts in the interval that ends there
        (:func:`~bayes_scot.stats.kaplan_meier.event_interval`), where its time at risk is.
    """
    k_int = len(edges) - 1
    events = np.zeros((2, k_int))
    exposure = np.zeros((2, k_int))
    for a, frame in enumerate(ipd):
        t = frame["time"].to_numpy(dtype=float)
        d = frame["event"].to_numpy(dtype=float)
        exposure[a] = exposure_matrix(edges, t).sum(axis=1)
        k = event_interval(edges, t)
        np.add.at(events[a], k, d)
    return events, exposure
