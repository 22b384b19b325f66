"""Kaplan-Meier estimation, cleaning of digitised curves, and interval summaries.

* :func:`kaplan_meier`: the product-limit estimator from patient-level data (NumPy).
* :func:`clean_curve`: make a curve read off a figure by a digitiser usable: proportions
  instead of percentages, sorted and de-duplicated times, a start at (0, 1), small
  non-monotone noise removed. Every change is recorded; a curve that needs more than a
  safe change is rejected with :class:`~bayes_scot.errors.EvidenceError`.
* :func:`km_interval_summary`: events and censorings between published Kaplan-Meier
  values with numbers at risk (Williamson et al. 2002; Parmar et al. 1998).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from bayes_scot.errors import EvidenceError

__all__ = [
    "CleanedCurve",
    "KaplanMeier",
    "clean_curve",
    "event_interval",
    "event_shares",
    "isotonic_decreasing",
    "kaplan_meier",
    "km_interval_summary",
]


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier estimate at the distinct observed times.

    Attributes
    ----------
    times : numpy.ndarray
        Distinct times at which an event or a censoring happened, increasing.
    survival : numpy.ndarray
        Estimated survival just after each time (right-continuous).
    n_risk : numpy.ndarray
        Number at risk just before each time.
    events : numpy.ndarray
        Events at each time.
    censored : numpy.ndarray
        Censorings at each time (counted after the events at that time).
    """

    times: np.ndarray
    survival: np.ndarray
    n_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray

    def at(self, t: ArrayLike) -> np.ndarray:
        """Evaluate the (right-continuous) survival step function at times ``t``."""
        t = np.asarray(t, dtype=float)
        idx = np.searchsorted(self.times, t, side="right") - 1
        values = np.where(idx >= 0, self.survival[np.maximum(idx, 0)], 1.0)
        return values

    def number_at_risk(self, t: ArrayLike) -> np.ndarray:
        """Return the number at risk just before times ``t`` (as in a risk table)."""
        t = np.asarray(t, dtype=float)
        idx = np.searchsorted(self.times, t, side="left")
        total = self.n_risk[0] if self.n_risk.size else 0
        leaving = np.concatenate([[0], np.cumsum(self.events + self.censored)])
        return (total - leaving[idx]).astype(int)

    def median(self) -> float:
        """Return the median survival time: the first time with survival <= 0.5 (NaN if none)."""
        below = np.nonzero(self.survival <= 0.5)[0]
        return float(self.times[below[0]]) if below.size else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """Return columns ``time, n_risk, events, censored, survival``."""
        return pd.DataFrame({"time": self.times, "n_risk": self.n_risk, "events": self.events,
                             "censored": self.censored, "survival": self.survival})


def kaplan_meier(time: ArrayLike, event: ArrayLike) -> KaplanMeier:
    r"""Estimate the survival function by the Kaplan-Meier product-limit estimator.

    Parameters
    ----------
    time : array_like
        Follow-up time per patient (non-negative, finite).
    event : array_like
        1 (or True) for an event, 0 for a censoring.

    Returns
    -------
    KaplanMeier

    Notes
    -----
    :math:`\hat S(t) = \prod_{t_j \le t} (1 - d_j / n_j)`, with :math:`d_j` events among
    :math:`n_j` at risk at distinct time :math:`t_j`; patients censored at :math:`t_j`
    count as at risk at :math:`t_j` (the usual convention).

    References
    ----------
    .. [1] Kaplan EL, Meier P. Nonparametric estimation from incomplete observations.
       J Am Stat Assoc 1958;53:457-81. doi:10.1080/01621459.1958.10501452
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event)
    if t.ndim != 1 or e.shape != t.shape:
        raise EvidenceError("time and event must be 1-d arrays of the same length",
                            field="event")
    if t.size == 0:
        raise EvidenceError("no patients", field="time")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise EvidenceError("times must be finite and non-negative", field="time")
    if not np.all(np.isin(e, (0, 1))):
        raise EvidenceError("event must be 0 (censored) or 1 (event)", field="event")
    e = e.astype(int)
    times, inverse = np.unique(t, return_inverse=True)
    events = np.bincount(inverse, weights=e, minlength=times.size).astype(int)
    total = np.bincount(inverse, minlength=times.size)
    censored = total - events
    n_risk = t.size - np.concatenate([[0], np.cumsum(total)[:-1]])
    survival = np.cumprod(1.0 - events / n_risk)
    return KaplanMeier(times=times, survival=survival, n_risk=n_risk.astype(int),
                       events=events, censored=censored.astype(int))


def isotonic_decreasing(y: ArrayLike) -> np.ndarray:
    """Fit the least-squares non-increasing sequence to ``y`` (pool adjacent violators).

    Parameters
    ----------
    y : array_like
        Values in order.

    Returns
    -------
    numpy.ndarray
        The closest non-increasing sequence in the least-squares sense.
    """
    values = list(-np.asarray(y, dtype=float))  # fit non-decreasing to -y
    blocks: list[list[float]] = []  # [sum, count]
    for v in values:
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    fitted = np.concatenate([np.full(int(c), s / c) for s, c in blocks])
    return -fitted


@dataclass(frozen=True)
class CleanedCurve:
    """A digitised survival curve made usable, with a record of what was changed.

    Attributes
    ----------
    times : numpy.ndarray
        Strictly increasing times, starting at 0.
    survival : numpy.ndarray
        Non-increasing survival proportions, starting at 1.
    actions : tuple of str
        What was cleaned, in order, in words; empty when the curve was used as given.
    """

    times: np.ndarray
    survival: np.ndarray
    actions: tuple[str, ...]

    @property
    def changed(self) -> bool:
        """Whether anything was cleaned."""
        return bool(self.actions)


def clean_curve(
    times: ArrayLike,
    survival: ArrayLike,
    *,
    scale: str = "auto",
    noise_tolerance: float = 0.03,
    time_tolerance: float = 0.005,
) -> CleanedCurve:
    """Clean a digitised Kaplan-Meier curve, recording each change; reject unsafe ones.

    Parameters
    ----------
    times : array_like
        Digitised x coordinates (time).
    survival : array_like
        Digitised y coordinates, as proportions or percentages.
    scale : {"auto", "proportion", "percent"}, default "auto"
        Scale of ``survival``; ``auto`` treats the curve as percentages when its largest
        value exceeds ``1 + noise_tolerance``.
    noise_tolerance : float, default 0.03
        Largest change (on the proportion scale) treated as digitisation noise: survival
        slightly above 1 or below 0, a start slightly below 1, a rise within the curve.
        Times slightly below 0 (by at most ``noise_tolerance`` times the largest time) are
        set to 0.
    time_tolerance : float, default 0.005
        Two consecutive points closer in time than this fraction of the largest time, the
        later one higher, are the two ends of a vertical drop read in the wrong order:
        their survival values are swapped.

    Returns
    -------
    CleanedCurve

    Raises
    ------
    EvidenceError
        Too few points; non-finite values; survival outside the scale; a rise larger than
        ``noise_tolerance``; a curve starting below ``1 - noise_tolerance`` at time 0;
        times clearly negative.

    Notes
    -----
    In order: convert percentages; clip values within the tolerance into [0, 1] and times
    into [0, inf); sort by time; collapse points that share a time to the lowest survival
    (a vertical drop of the step function, whose value at that time is the lower one);
    swap the survival values of the two ends of a vertical drop read in the wrong order
    (closer than ``time_tolerance``); set a start at time 0 to 1, or add the point (0, 1);
    replace non-monotone stretches by the least-squares non-increasing fit (isotonic
    regression), which spreads a digitiser's error over the violating points instead of
    carrying one low reading forward.
    """
    t, s, tol = _checked_points(times, survival, noise_tolerance)
    actions: list[str] = []
    s = _to_proportions(t, s, scale, tol, actions)
    t = _clip_negative_times(t, tol, actions)
    t, s = _sort_and_collapse(t, s, actions)
    s = _swap_vertical_drops(t, s, time_tolerance, actions)
    t, s = _start_at_one(t, s, tol, actions)
    s = _make_non_increasing(t, s, tol, actions)
    return CleanedCurve(times=t, survival=s, actions=tuple(actions))


# -- the steps of clean_curve, in order; each appends what it changed to ``actions`` ------
def _checked_points(
    times: ArrayLike, survival: ArrayLike, noise_tolerance: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Return the points as flat arrays and the tolerance, or raise on unusable input."""
    t = np.asarray(times, dtype=float).ravel()
    s = np.asarray(survival, dtype=float).ravel()
    if t.size != s.size:
        raise EvidenceError(f"{t.size} times but {s.size} survival values",
                            field="survival")
    if t.size < 2:
        raise EvidenceError("a curve needs at least 2 points", field="times")
    for name, values in (("times", t), ("survival", s)):
        bad = np.nonzero(~np.isfinite(values))[0]
        if bad.size:
            raise EvidenceError(f"value {bad[0]} is not a finite number", field=name)
    tol = float(noise_tolerance)
    if not 0 <= tol < 0.5:
        raise EvidenceError("must be in [0, 0.5)", field="noise_tolerance")
    return t, s, tol


def _to_proportions(t: np.ndarray, s: np.ndarray, scale: str, tol: float,
                    actions: list[str]) -> np.ndarray:
    """Convert percentages; clip values within ``tol`` of [0, 1] into it."""
    if scale not in ("auto", "proportion", "percent"):
        raise EvidenceError(f"must be auto, proportion or percent, not {scale!r}",
                            field="scale")
    if scale == "percent" or (scale == "auto" and s.max() > 1.0 + tol):
        if s.max() > 100.0 * (1.0 + tol):
            raise EvidenceError(f"survival {s.max():g} exceeds 100%", field="survival")
        s = s / 100.0
        actions.append("converted survival from percentages to proportions")
    low = s < -tol
    high = s > 1.0 + tol
    if low.any() or high.any():
        i = int(np.nonzero(low | high)[0][0])
        raise EvidenceError(f"survival {s[i]:g} at time {t[i]:g} is outside [0, 1]",
                            field="survival")
    clipped = int(np.sum((s < 0) | (s > 1)))
    if clipped:
        s = np.clip(s, 0.0, 1.0)
        actions.append(f"clipped {clipped} survival value(s) within {tol:g} of [0, 1] "
                       "into [0, 1]")
    return s


def _clip_negative_times(t: np.ndarray, tol: float, actions: list[str]) -> np.ndarray:
    """Set times slightly below 0 (by at most ``tol`` of the largest time) to 0."""
    t_tol = tol * max(float(t.max()), 0.0)
    if np.any(t < -t_tol) or (t_tol == 0 and np.any(t < 0)):
        raise EvidenceError(f"time {t.min():g} is negative", field="times")
    if np.any(t < 0):
        actions.append(f"set {int(np.sum(t < 0))} slightly negative time(s) to 0")
        t = np.maximum(t, 0.0)
    return t


def _sort_and_collapse(t: np.ndarray, s: np.ndarray,
                       actions: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Sort by time; collapse points sharing a time to the lowest survival there."""
    if np.any(np.diff(t) < 0):
        order = np.lexsort((-s, t))  # by time, higher survival first within a time
        t, s = t[order], s[order]
        actions.append(f"sorted {t.size} points by time")
    unique_t, first = np.unique(t, return_index=True)
    if unique_t.size < t.size:
        lowest = np.minimum.reduceat(s, first)
        actions.append(f"collapsed {t.size - unique_t.size} point(s) sharing a time to the "
                       "lowest survival at that time")
        t, s = unique_t, lowest
    return t, s


def _swap_vertical_drops(t: np.ndarray, s: np.ndarray, time_tolerance: float,
                         actions: list[str]) -> np.ndarray:
    """Swap the survival of two points closer than ``time_tolerance`` that rise."""
    gap = float(time_tolerance) * float(t.max())
    if not 0 <= float(time_tolerance) < 0.5:
        raise EvidenceError("must be in [0, 0.5)", field="time_tolerance")
    swapped, i = 0, 0
    while i < t.size - 1:
        if t[i + 1] - t[i] <= gap and s[i + 1] > s[i]:
            if not swapped:
                s = s.copy()
            s[i], s[i + 1] = s[i + 1], s[i]
            swapped += 1
            i += 2
        else:
            i += 1
    if swapped:
        actions.append(f"swapped the survival of {swapped} pair(s) of points less than "
                       f"{gap:.3g} apart in time whose order made the curve rise (the two "
                       "ends of a vertical drop, or reading noise)")
    return s


def _start_at_one(t: np.ndarray, s: np.ndarray, tol: float,
                  actions: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Set a start at time 0 to survival 1 (within ``tol``), or add the point (0, 1)."""
    if t[0] == 0.0:
        if s[0] < 1.0 - tol:
            raise EvidenceError(
                f"the curve starts at survival {s[0]:g} at time 0; a Kaplan-Meier curve "
                "starts at 1", field="survival")
        if s[0] < 1.0:
            actions.append(f"set the survival at time 0 from {s[0]:g} to 1")
            s = s.copy()
            s[0] = 1.0
    else:
        t = np.concatenate([[0.0], t])
        s = np.concatenate([[1.0], s])
        actions.append("added the starting point (0, 1)")
    return t, s


def _make_non_increasing(t: np.ndarray, s: np.ndarray, tol: float,
                         actions: list[str]) -> np.ndarray:
    """Replace rises within ``tol`` by the isotonic fit; raise on a larger rise."""
    if not np.any(np.diff(s) > 0):
        return s
    fitted = isotonic_decreasing(s)
    change = np.abs(fitted - s)
    worst = int(np.argmax(change))
    if change[worst] > tol:
        rise = int(np.argmax(np.diff(s)))
        raise EvidenceError(
            f"survival rises from {s[rise]:g} to {s[rise + 1]:g} at time "
            f"{t[rise + 1]:g}: more than digitisation noise (tolerance {tol:g}); "
            "check the curve (two arms mixed up, or a misread point)",
            field="survival",
        )
    n_changed = int(np.sum(change > 1e-12))
    actions.append(
        f"made the curve non-increasing by isotonic regression: {n_changed} point(s) "
        f"moved, by at most {change[worst]:.3g}"
    )
    return fitted


def km_interval_summary(
    times: ArrayLike, survival: ArrayLike, n_risk: ArrayLike
) -> pd.DataFrame:
    """Derive events and censorings between published Kaplan-Meier values at risk times.

    Parameters
    ----------
    times : array_like
        Increasing times of the published values.
    survival : array_like
        Kaplan-Meier survival at ``times`` (proportions, non-increasing, positive except
        possibly the last).
    n_risk : array_like
        Numbers at risk at ``times``.

    Returns
    -------
    pandas.DataFrame
        One row per interval with columns ``start, end, n_start, n_end, conditional_survival,
        events, censored, effective_n, exposure``.

    Raises
    ------
    EvidenceError
        Inconsistent inputs: survival or numbers at risk that increase, or a negative
        implied number of censorings (more events implied than patients who left the risk
        set), beyond rounding (half a patient).

    Notes
    -----
    With :math:`p = S_{i+1}/S_i`, the events in :math:`(t_i, t_{i+1}]` are
    :math:`d = (n_i + n_{i+1})(1 - p)/(1 + p)` and the censorings
    :math:`c = n_i - n_{i+1} - d` (censoring spread evenly over the interval). The
    actuarial effective number at risk is :math:`n_i - c/2`; the exposure for a Poisson
    likelihood is :math:`(t_{i+1} - t_i)(n_i + n_{i+1})/2`.

    References
    ----------
    .. [1] Williamson PR, Smith CT, Hutton JL, Marson AG. Aggregate data meta-analysis with
       time-to-event outcomes. Stat Med 2002;21:3337-51. doi:10.1002/sim.1303
    .. [2] Parmar MKB, Torri V, Stewart L. Stat Med 1998;17:2815-34.
       doi:10.1002/(SICI)1097-0258(19981230)17:24<2815::AID-SIM110>3.0.CO;2-8
    """
    t = np.asarray(times, dtype=float)
    s = np.asarray(survival, dtype=float)
    n = np.asarray(n_risk, dtype=float)
    if not (t.shape == s.shape == n.shape) or t.ndim != 1 or t.size < 2:
        raise EvidenceError("times, survival and n_risk need equal lengths of at least 2",
                            field="times")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(s)) and np.all(np.isfinite(n))):
        raise EvidenceError("values must be finite", field="times")
    if np.any(np.diff(t) <= 0):
        raise EvidenceError("times must increase", field="times")
    if np.any((s < 0) | (s > 1)) or np.any(np.diff(s) > 0):
        raise EvidenceError("survival must be non-increasing proportions", field="survival")
    if np.any(n < 0) or np.any(np.diff(n) > 0):
        raise EvidenceError("numbers at risk must be non-negative and non-increasing",
                            field="n_risk")
    if np.any(s[:-1] <= 0):
        raise EvidenceError("survival reaches 0 before the last time", field="survival")
    p = s[1:] / s[:-1]
    d = (n[:-1] + n[1:]) * (1 - p) / (1 + p)
    c = n[:-1] - n[1:] - d
    bad = np.nonzero(c < -0.5)[0]
    if bad.size:
        i = int(bad[0])
        raise EvidenceError(
            f"between times {t[i]:g} and {t[i + 1]:g} survival falls from {s[i]:g} to "
            f"{s[i + 1]:g}, implying {d[i]:.1f} events, but only {n[i] - n[i + 1]:g} "
            "patients left the risk set: the summaries are inconsistent",
            field="n_risk",
        )
    c = np.maximum(c, 0.0)
    return pd.DataFrame({
        "start": t[:-1],
        "end": t[1:],
        "n_start": n[:-1],
        "n_end": n[1:],
        "conditional_survival": p,
        "events": d,
        "censored": c,
        "effective_n": n[:-1] - c / 2.0,
        "exposure": (t[1:] - t[:-1]) * (n[:-1] + n[1:]) / 2.0,
    })


def event_interval(edges: ArrayLike, times: ArrayLike) -> np.ndarray:
    r"""Return the index of the interval :math:`(t_{k-1}, t_k]` that holds each time.

    Parameters
    ----------
    edges : array_like
        Interval boundaries (months), starting at 0 and increasing; the last interval is
        open.
    times : array_like
        Event or censoring times (months), at least 0.

    Returns
    -------
    numpy.ndarray
        Integer index per time, from 0 to ``len(edges) - 2``.

    Notes
    -----
    Intervals are closed on the right, as the time at risk is counted: a patient whose
    event falls exactly on a boundary :math:`t_k` was at risk up to :math:`t_k` and not
    after, so the event belongs to the interval that ends there. Closing them on the left
    instead would put the event in the next interval, where that patient has no time at
    risk, and bias each interval's hazard towards the next one's. Such ties are common:
    reconstructed patients sit on digitised coordinates, and boundaries are often placed
    at event times or whole months. Time 0 belongs to the first interval.
    """
    edges = np.asarray(edges, dtype=float)
    k = np.searchsorted(edges, np.asarray(times, dtype=float), side="left") - 1
    return np.clip(k, 0, edges.size - 2)


def event_shares(
    edges: np.ndarray, survival_points: Sequence[tuple[float, float]]
) -> np.ndarray:
    r"""Return the expected share of a trial's events per interval, from pooled survival.

    Parameters
    ----------
    edges : numpy.ndarray
        Interval boundaries (months), starting at 0 and increasing.
    survival_points : sequence of (float, float)
        ``(t, S(t))`` pairs of the pooled (both arms) survival the trial reports.

    Returns
    -------
    numpy.ndarray
        :math:`\omega_k = (S(t_{k-1}) - S(t_k)) / (1 - S(t_K))` with :math:`S` interpolated
        log-linearly between the points (:math:`S(0) = 1`; constant hazard between
        reported times) and flat beyond the last one (no events are expected where nothing
        was observed); equal shares when the points imply no events at all. The weights
        sum to one; an event-weighted mean of interval log hazard ratios with these weights
        is what a Cox model's coefficient approximates under non-proportional hazards
        (Xu and O'Quigley 2000, doi:10.1093/biostatistics/1.4.423).
    """
    edges = np.asarray(edges, dtype=float)
    points = sorted((float(t), float(s)) for t, s in survival_points)
    counts = np.zeros(len(edges) - 1)
    if points:
        times = np.array([0.0] + [t for t, _ in points])
        log_s = np.log(np.clip([1.0] + [s for _, s in points], 1e-9, 1.0))
        at = np.exp(np.interp(edges, times, log_s))
        counts = -np.diff(at)
    if not counts.sum() > 0:
        counts = np.ones(len(edges) - 1)
    return counts / counts.sum()
