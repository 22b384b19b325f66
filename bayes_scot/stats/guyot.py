"""The Guyot et al. (2012) algorithm: events and censorings per point of a digitised curve.

The steps of the reconstruction that :mod:`bayes_scot.stats.reconstruction` runs on a
cleaned curve:

* :func:`validate_risk_table`: check the risk table (starts at 0, increasing times, whole
  numbers at risk that never rise).
* :func:`align_to_risk_table`: drop risk-table rows beyond the curve and add curve points
  at risk-table times.
* :func:`guyot_counts`: walk the curve interval by interval; in each interval, fit the
  number censored to the next number at risk (the last interval: to the reported total of
  events), and return the events and censorings at each curve point.

Every inconsistency the algorithm cannot absorb raises
:class:`~bayes_scot.errors.EvidenceError` naming the field; the disagreements it absorbs
are returned as one line each.

References
----------
.. [1] Guyot P, Ades AE, Ouwens MJNM, Welton NJ. Enhanced secondary analysis of survival
   data: reconstructing the data from published Kaplan-Meier survival curves. BMC Med Res
   Methodol 2012;12:9. doi:10.1186/1471-2288-12-9
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
from numpy.typing import ArrayLike

from bayes_scot.errors import EvidenceError
from bayes_scot.stats.kaplan_meier import CleanedCurve

__all__ = [
    "MAX_ITERATIONS",
    "align_to_risk_table",
    "guyot_counts",
    "validate_risk_table",
]

MAX_ITERATIONS = 1000
"""Upper bound on the censoring adjustments per interval (convergence takes a handful)."""


def _risk_tolerance(n_start: int) -> float:
    """Patients by which the curve may disagree with the risk table before it is an error.

    Digitisation error in a steep stretch of a curve can shift one or two events across a
    risk-table time; more than two patients, or 5% of those at risk, is an inconsistency.
    """
    return max(2.0, 0.05 * n_start)


def validate_risk_table(
    risk_times: ArrayLike, n_risk: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Check a risk table and return it as arrays.

    Parameters
    ----------
    risk_times : array_like
        Risk-table times, strictly increasing from 0.
    n_risk : array_like
        Numbers at risk at ``risk_times``: whole numbers, non-increasing, the first at
        least 1.

    Returns
    -------
    risk_times : numpy.ndarray
        As floats.
    n_risk : numpy.ndarray
        As integers.

    Raises
    ------
    EvidenceError
        Naming the field (``risk_times`` or ``n_risk``) and what is wrong with it.
    """
    rt = np.asarray(risk_times, dtype=float).ravel()
    nr_raw = np.asarray(n_risk, dtype=float).ravel()
    if rt.size == 0:
        raise EvidenceError("the risk table is empty", field="risk_times")
    if rt.size != nr_raw.size:
        raise EvidenceError(f"{rt.size} risk-table times but {nr_raw.size} numbers at risk",
                            field="n_risk")
    if not np.all(np.isfinite(rt)):
        raise EvidenceError("risk-table times must be finite numbers", field="risk_times")
    if not np.all(np.isfinite(nr_raw)) or np.any(nr_raw != np.round(nr_raw)) or np.any(
            nr_raw < 0):
        raise EvidenceError("numbers at risk must be whole numbers >= 0", field="n_risk")
    if rt[0] != 0:
        raise EvidenceError(
            f"the risk table must start at time 0 (the number randomised), not {rt[0]:g}",
            field="risk_times")
    if np.any(np.diff(rt) <= 0):
        raise EvidenceError("risk-table times must be strictly increasing",
                            field="risk_times")
    nr = nr_raw.astype(int)
    if nr[0] < 1:
        raise EvidenceError("no patients at risk at time 0", field="n_risk")
    rises = np.nonzero(np.diff(nr) > 0)[0]
    if rises.size:
        i = int(rises[0])
        raise EvidenceError(
            f"numbers at risk rise from {nr[i]} at time {rt[i]:g} to {nr[i + 1]} at "
            f"time {rt[i + 1]:g}: a risk table never increases", field="n_risk")
    return rt, nr


def align_to_risk_table(
    curve: CleanedCurve, risk_times: np.ndarray, n_risk: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Align a curve and its risk table: drop risk rows beyond the curve, add points.

    Parameters
    ----------
    curve : CleanedCurve
        The cleaned digitised curve.
    risk_times, n_risk : numpy.ndarray
        A risk table checked by :func:`validate_risk_table`.

    Returns
    -------
    times, survival : numpy.ndarray
        The curve with a point at every risk-table time (read as a step function).
    risk_times, n_risk : numpy.ndarray
        The risk table without the rows after the curve's last point.
    notes : list of str
        What was changed, in words.
    """
    notes: list[str] = []
    t, s = curve.times, curve.survival
    beyond = risk_times > t[-1]
    if beyond.any():
        notes.append(
            f"dropped {int(beyond.sum())} risk-table time(s) after the curve's last point "
            f"(t = {t[-1]:g}); patients still at risk there are censored at its end"
        )
        risk_times, n_risk = risk_times[~beyond], n_risk[~beyond]
    missing = risk_times[~np.isin(risk_times, t)]
    if missing.size:
        idx = np.searchsorted(t, missing, side="right") - 1
        t = np.concatenate([t, missing])
        s = np.concatenate([s, s[idx]])
        order = np.argsort(t, kind="stable")
        t, s = t[order], s[order]
        notes.append(f"added {missing.size} point(s) at risk-table times, reading the curve "
                     "there as a step function")
    return t, s, risk_times, n_risk, notes


def _spread_censoring(n_censor: int, breaks: np.ndarray, end: float) -> np.ndarray:
    """Spread ``n_censor`` censorings evenly in time; count them per curve step.

    Censoring times ``breaks[0] + j (end - breaks[0]) / (n + 1)``, ``j = 1..n``, are
    counted in the right-closed bins ``(breaks[k], breaks[k + 1]]`` (Guyot et al. 2012).
    """
    counts = np.zeros(breaks.size - 1, dtype=int)
    if n_censor <= 0 or counts.size == 0 or end <= breaks[0]:
        return counts
    j = np.arange(1, n_censor + 1)
    times = breaks[0] + j * (end - breaks[0]) / (n_censor + 1)
    bins = np.clip(np.searchsorted(breaks, times, side="left") - 1, 0, counts.size - 1)
    np.add.at(counts, bins, 1)
    return counts


def _search_censoring(
    run: Callable[[int], int], start: int, where: str, most: int
) -> tuple[int, int, bool]:
    """Adjust a censoring count until ``run`` reports no mismatch (Guyot's inner loop).

    ``run(n_censor)`` returns the mismatch: positive when more censoring is needed (too
    many at risk at the next risk-table time, or too many events). Stops at a zero
    mismatch, or when zero censorings still leave a negative one. The count stays within
    ``[0, most]`` (no more censorings than patients at risk). When rounding makes the
    adjustment cycle, or the bound stops it, the count with the smallest mismatch is kept.

    Returns
    -------
    n_censor, mismatch, cycled
    """
    tried: dict[int, int] = {}
    nc = min(max(int(start), 0), most)
    for _ in range(MAX_ITERATIONS):
        mismatch = run(nc)
        tried[nc] = mismatch
        if mismatch == 0 or (mismatch < 0 and nc == 0):
            return nc, mismatch, False
        nxt = min(max(nc + mismatch, 0), most)
        if nxt in tried:
            best = min(tried, key=lambda c: (abs(tried[c]), tried[c] > 0, c))
            return best, run(best), True
        nc = nxt
    raise EvidenceError(f"the censoring adjustment did not converge {where}",
                        field="n_risk")


class _GuyotWalk:
    """The reconstruction's state as it walks the curve, one risk-table interval at a time.

    Arrays per curve point ``k``: events ``d``, censorings ``cen``, the number at risk
    ``n_hat`` (one longer: the risk set after the last point), the reconstructed
    Kaplan-Meier curve ``km_hat`` and ``empty_drop`` (the risk set is empty while the
    curve still falls). Per interval ``i``: the curve points ``lower[i]..upper[i]``, the
    number at risk ``n_risk[i]`` at its start (replaced by the reconstructed one when the
    curve implies more events than the risk table allows) and ``last_i[i]``, the last
    point with an event before it.
    """

    def __init__(self, t_s: np.ndarray, s: np.ndarray, risk_times: np.ndarray,
                 n_risk: np.ndarray, noise_tolerance: float) -> None:
        n_t = t_s.size
        self.t, self.s, self.risk_times = t_s, s, risk_times
        self.noise_tolerance = noise_tolerance
        self.n_risk = n_risk.astype(int).copy()
        self.lower = np.searchsorted(t_s, risk_times, side="left")
        self.upper = np.concatenate([self.lower[1:] - 1, [n_t - 1]])
        self.d = np.zeros(n_t, dtype=int)
        self.cen = np.zeros(n_t, dtype=int)
        self.n_hat = np.full(n_t + 1, self.n_risk[0] + 1, dtype=int)
        self.km_hat = np.ones(n_t)
        self.last_i = np.zeros(risk_times.size, dtype=int)
        self.empty_drop = np.zeros(n_t, dtype=bool)
        self.notes: list[str] = []

    # -- checks --------------------------------------------------------------------------
    def check_empty(self, i: int) -> None:
        """Raise when the final run of an interval left an empty risk set under a drop."""
        lo, hi = self.lower[i], self.upper[i]
        bad = np.nonzero(self.empty_drop[lo:hi + 1])[0]
        if bad.size:
            k = lo + int(bad[0])
            raise EvidenceError(
                f"the risk set is empty at time {self.t[k]:g} but the curve still falls to "
                f"{self.s[k]:g}: the risk table and the curve are inconsistent",
                field="n_risk")

    def check_zero(self, i: int) -> None:
        """Raise when the curve reached 0 before a risk-table time with patients at risk."""
        lo = self.lower[i]
        if lo > 0 and self.n_risk[i] > 0 and self.s[lo - 1] <= 0:
            raise EvidenceError(
                f"the curve is at 0 before time {self.risk_times[i]:g} but "
                f"{self.n_risk[i]} patients are at risk there", field="n_risk")

    # -- the Kaplan-Meier update ---------------------------------------------------------
    def step(self, k: int, last: int, first_point: bool) -> int:
        """Events at point k given the risk set; update the KM; return the new ``last``."""
        d, km_hat, n_hat = self.d, self.km_hat, self.n_hat
        self.empty_drop[k] = False
        if first_point:
            d[k] = 0
            km_hat[k] = 1.0
        elif n_hat[k] <= 0 or km_hat[last] <= 0:
            self.empty_drop[k] = (n_hat[k] <= 0
                                  and self.s[k] < km_hat[last] - self.noise_tolerance)
            d[k] = 0
            km_hat[k] = km_hat[last]
        else:
            events = round(n_hat[k] * (1.0 - self.s[k] / km_hat[last]))
            d[k] = min(max(events, 0), n_hat[k])
            km_hat[k] = km_hat[last] * (1.0 - d[k] / n_hat[k])
        return k if d[k] != 0 else last

    def walk(self, i: int, *, clamp: bool) -> int:
        """Walk interval ``i`` with its censorings set; return the last point with an event.

        With ``clamp``, a step that would censor more patients than remain at risk censors
        only those left (the last interval, where the censoring count is not bounded by a
        next number at risk).
        """
        lo, hi = self.lower[i], self.upper[i]
        d, cen, n_hat = self.d, self.cen, self.n_hat
        n_hat[lo] = self.n_risk[i]
        last = int(self.last_i[i])
        for k in range(lo, hi + 1):
            last = self.step(k, last, first_point=(i == 0 and k == lo))
            n_hat[k + 1] = n_hat[k] - d[k] - cen[k]
            if clamp and n_hat[k + 1] < 0:  # no more censorings than patients left
                n_hat[k + 1] = 0
                cen[k] = n_hat[k] - d[k]
        return last

    # -- intervals before the last: censoring fitted to the next number at risk ----------
    def run_interval(self, i: int, n_censor: int) -> int:
        """Place ``n_censor`` censorings in interval ``i``, walk it; return the mismatch."""
        lo, hi, nxt = self.lower[i], self.upper[i], self.lower[i + 1]
        self.cen[lo:hi + 1] = _spread_censoring(n_censor, self.t[lo:nxt + 1], self.t[nxt])
        self.last_i[i + 1] = self.walk(i, clamp=False)
        return int(self.n_hat[nxt] - self.n_risk[i + 1])

    def fit_interval(self, i: int) -> None:
        """Fit the censorings of interval ``i`` to the number at risk at its end."""
        s, n_risk, risk_times = self.s, self.n_risk, self.risk_times
        lo, nxt = self.lower[i], self.lower[i + 1]
        self.check_zero(i)
        guess = round(n_risk[i] * s[nxt] / s[lo] - n_risk[i + 1]) if s[lo] > 0 else 0
        where = f"between times {risk_times[i]:g} and {risk_times[i + 1]:g}"
        _, mismatch, cycled = _search_censoring(partial(self.run_interval, i), guess, where,
                                                int(n_risk[i]))
        self.check_empty(i)
        if mismatch < 0:
            shortfall = -mismatch
            if shortfall > _risk_tolerance(n_risk[i]):
                raise EvidenceError(
                    f"{where} the curve falls from {s[lo]:g} to {s[nxt]:g}, implying more "
                    f"events than the {n_risk[i] - n_risk[i + 1]} patients who left the "
                    f"risk set ({n_risk[i]} -> {n_risk[i + 1]}): {shortfall} too many even "
                    "with no censoring; the risk table and the curve are inconsistent",
                    field="n_risk",
                )
            self.notes.append(
                f"{where} the curve implies {shortfall} more event(s) than the risk table "
                f"allows; {self.n_hat[nxt]} taken as at risk at {risk_times[i + 1]:g} "
                f"instead of {n_risk[i + 1]}")
            n_risk[i + 1] = self.n_hat[nxt]
        elif mismatch > 0:
            self.notes.append(f"{where} rounding left {mismatch} more patient(s) at risk "
                              "than published")
        elif cycled:
            self.notes.append(f"{where} the censoring adjustment cycled; kept the best count")

    # -- the last interval: censoring fitted to the reported total of events -------------
    def last_guess(self) -> int:
        """Censorings in the last interval at the average rate of the earlier intervals."""
        i = self.risk_times.size - 1
        if i == 0:
            return 0
        t, lo, hi = self.t, self.lower[i], self.upper[i]
        span_before = t[self.upper[i - 1]] - t[self.lower[0]]
        censored_before = int(self.cen[:lo].sum())
        rate = censored_before / span_before if span_before > 0 else 0.0
        return min(round(rate * (t[hi] - t[lo])), int(self.n_risk[i]))

    def run_last(self, total_events: int | None, n_censor: int) -> int:
        """Place ``n_censor`` censorings in the last interval, walk it; return the mismatch.

        The mismatch is the events reconstructed minus ``total_events`` (0 without it).
        """
        i = self.risk_times.size - 1
        lo, hi = self.lower[i], self.upper[i]
        self.cen[lo:hi + 1] = 0
        self.cen[lo:hi] = _spread_censoring(n_censor, self.t[lo:hi + 1], self.t[hi])
        self.walk(i, clamp=True)
        return int(self.d.sum() - total_events) if total_events is not None else 0

    def fit_last_interval(self, total_events: int | None) -> None:
        """Fit the last interval's censorings to ``total_events``, when given."""
        i = self.risk_times.size - 1
        self.check_zero(i)
        guess = self.last_guess()
        run = partial(self.run_last, total_events)
        run(guess)
        if total_events is not None:
            lo = self.lower[i]
            events_before = int(self.d[:lo].sum()) if i > 0 else 0
            if i > 0 and events_before >= total_events:
                self.no_events_after(events_before, total_events)
            else:
                where = f"after time {self.risk_times[i]:g}"
                _, mismatch, _ = _search_censoring(run, guess, where, int(self.n_risk[i]))
                if abs(mismatch) > _risk_tolerance(total_events):
                    bound = "at least" if mismatch > 0 else "at most"
                    raise EvidenceError(
                        f"whatever the censoring {where}, the curve implies {bound} "
                        f"{int(self.d.sum())} events, but {total_events} are reported in "
                        "total", field="total_events")
                if mismatch != 0:
                    self.notes.append(f"{where} the reconstruction has {mismatch:+d} "
                                      "event(s) relative to the reported total")
        self.check_empty(i)

    def no_events_after(self, events_before: int, total_events: int) -> None:
        """Leave the last interval without events: the total is reached before it."""
        i = self.risk_times.size - 1
        lo, hi = self.lower[i], self.upper[i]
        excess = events_before - total_events
        if excess > _risk_tolerance(total_events):
            raise EvidenceError(
                f"the curve implies {events_before} events before time "
                f"{self.risk_times[i]:g}, more than the {total_events} reported in total",
                field="total_events",
            )
        self.d[lo:hi + 1] = 0
        self.cen[lo:hi + 1] = 0
        self.empty_drop[lo:hi + 1] = False
        self.n_hat[lo + 1:hi + 2] = self.n_risk[i]
        self.notes.append(f"the reported {total_events} events are reached before the last "
                          f"risk-table time ({events_before} reconstructed); no events after "
                          f"{self.risk_times[i]:g}")


def guyot_counts(
    times: np.ndarray,
    survival: np.ndarray,
    risk_times: np.ndarray,
    n_risk: np.ndarray,
    total_events: int | None,
    noise_tolerance: float,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Run the Guyot et al. (2012) algorithm: events and censorings at each curve point.

    Parameters
    ----------
    times, survival : numpy.ndarray
        The curve, aligned by :func:`align_to_risk_table` (a point at every risk-table
        time).
    risk_times, n_risk : numpy.ndarray
        The aligned risk table.
    total_events : int or None
        The reported total of events, which fixes the censoring in the last interval.
    noise_tolerance : float
        Fall of the curve, on the survival scale, tolerated while the reconstructed risk
        set is empty.

    Returns
    -------
    events, censored : numpy.ndarray
        Per curve point; the censorings at point ``k`` fall between it and the next.
    adjustments : list of str
        Where the reconstruction could not match the inputs exactly.

    Raises
    ------
    EvidenceError
        A curve and risk table (or total of events) that disagree by more than two
        patients or 5% of those at risk, or a risk set that empties while the curve still
        falls.

    Notes
    -----
    Each interval but the last is fitted in turn: a first guess of the number censored,
    then Guyot's adjustment until the reconstructed number at risk at the interval's end
    matches the published one. The last interval takes the average censoring rate of the
    earlier ones, adjusted to the reported total of events when given. See
    :func:`bayes_scot.stats.reconstruction.reconstruct_curve` for the formulas.
    """
    walk = _GuyotWalk(times, survival, risk_times, n_risk, noise_tolerance)
    for i in range(risk_times.size - 1):
        walk.fit_interval(i)
    walk.fit_last_interval(total_events)
    return walk.d, walk.cen, walk.notes
