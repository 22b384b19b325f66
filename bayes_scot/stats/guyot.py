"""The Guyot et al. (2012) algorithm: events and censorings per point of a digitised curve.

The steps of the reconstruction that :mod:`bayes_scot.stats.reconstruction` runs on a
cleaned curve:

* :func:`validate_risk_table`: check the risk table (starts at 0, increasing times, whole
  numbers at risk that never rise).
* :func:`align_to_risk_table`: extend the curve flat to risk-table times after its end
  with patients still at risk, drop later rows with no one at risk, and add curve points
  at risk-table times.
* :func:`guyot_counts`: walk the curve interval by interval; in each interval, fit the
  number censored to the next number at risk (the last interval: to the reported total of
  events; when it cannot reach it, censorings moved within earlier intervals), and return
  the events and censorings at each curve point.

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
    """Align a curve and its risk table: extend the curve to the risk table, add points.

    Parameters
    ----------
    curve : CleanedCurve
        The cleaned digitised curve.
    risk_times, n_risk : numpy.ndarray
        A risk table checked by :func:`validate_risk_table`.

    Returns
    -------
    times, survival : numpy.ndarray
        The curve with a point at every risk-table time (read as a step function), and,
        when the risk table has patients at risk after the curve's last point, extended
        flat to the last such time.
    risk_times, n_risk : numpy.ndarray
        The risk table without the rows after the curve's last point at which no one is
        at risk.
    notes : list of str
        What was changed, in words.

    Notes
    -----
    A patient at risk at a risk-table time was, by definition, followed up to it. A curve
    that ends (often at its last event) before a risk-table time with patients still at
    risk is therefore flat up to that time: a Kaplan-Meier curve only falls at an event,
    and an event after the curve's end would have been drawn. Cutting the risk table at
    the curve's end instead would censor those patients at the curve's end and lose
    their follow-up after it, which biases hazards upward. Rows after the curve's end
    with no one at risk say only that everyone had left before them; they are dropped,
    and the patients still at risk at the last time with patients at risk are censored
    there (the follow-up the table proves).
    """
    notes: list[str] = []
    t, s = curve.times, curve.survival
    beyond = risk_times > t[-1]
    if beyond.any():
        positive = np.nonzero(n_risk > 0)[0]
        last_at_risk = risk_times[positive[-1]] if positive.size else 0.0
        extend = beyond & (risk_times <= last_at_risk)
        drop = beyond & ~extend
        if extend.any():
            notes.append(
                f"extended the curve flat from its last point (t = {t[-1]:g}) to "
                f"t = {last_at_risk:g}, the last risk-table time with patients at risk "
                f"({int(n_risk[positive[-1]])}): they were followed at least to it")
            t = np.concatenate([t, risk_times[extend]])
            s = np.concatenate([s, np.full(int(extend.sum()), s[-1])])
        if drop.any():
            notes.append(
                f"dropped {int(drop.sum())} risk-table time(s) after the curve's last point "
                f"with no one at risk; patients still followed are censored at "
                f"t = {t[-1]:g}")
        risk_times, n_risk = risk_times[~drop], n_risk[~drop]
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
    curve implies more events than the risk table allows; ``published`` keeps the
    table's), ``last_i[i]``, the last point with an event before it, and the placement of
    its censorings: ``spread[i]`` spread evenly over it (Guyot et al.), ``at_start[i]``
    and ``at_end[i]`` in its first and last step (moved there only to reach a reported
    total of events, see :meth:`shift_interval`).
    """

    def __init__(self, t_s: np.ndarray, s: np.ndarray, risk_times: np.ndarray,
                 n_risk: np.ndarray, noise_tolerance: float) -> None:
        n_t, n_int = t_s.size, risk_times.size
        self.t, self.s, self.risk_times = t_s, s, risk_times
        self.noise_tolerance = noise_tolerance
        self.published = n_risk.astype(int).copy()
        self.n_risk = self.published.copy()
        self.lower = np.searchsorted(t_s, risk_times, side="left")
        self.upper = np.concatenate([self.lower[1:] - 1, [n_t - 1]])
        self.d = np.zeros(n_t, dtype=int)
        self.cen = np.zeros(n_t, dtype=int)
        self.n_hat = np.full(n_t + 1, self.n_risk[0] + 1, dtype=int)
        self.km_hat = np.ones(n_t)
        self.last_i = np.zeros(n_int, dtype=int)
        self.empty_drop = np.zeros(n_t, dtype=bool)
        self.spread = np.zeros(n_int, dtype=int)
        self.at_start = np.zeros(n_int, dtype=int)
        self.at_end = np.zeros(n_int, dtype=int)
        self.matched = np.zeros(n_int, dtype=bool)  # n at the interval's end reproduced
        self.zeroed_last = False  # the last interval left without events (Guyot, step 7)
        self.fit_notes: dict[int, str] = {}
        self.shift_notes: dict[int, str] = {}
        self.last_notes: list[str] = []

    @property
    def notes(self) -> list[str]:
        """What could not be matched exactly, or was moved, in interval order."""
        lines = [note for i in sorted(self.fit_notes | self.shift_notes)
                 for note in (self.fit_notes.get(i), self.shift_notes.get(i)) if note]
        return lines + self.last_notes

    def where(self, i: int) -> str:
        """Interval ``i`` in words."""
        if i == self.risk_times.size - 1:
            return f"after time {self.risk_times[i]:g}"
        return f"between times {self.risk_times[i]:g} and {self.risk_times[i + 1]:g}"

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

    def events_in(self, i: int) -> int:
        """Events reconstructed in interval ``i``."""
        return int(self.d[self.lower[i]:self.upper[i] + 1].sum())

    # -- intervals before the last: censoring fitted to the next number at risk ----------
    def run_interval(self, i: int, n_censor: int) -> int:
        """Place ``n_censor`` censorings in interval ``i``, walk it; return the mismatch.

        The ``n_censor`` are spread evenly (Guyot et al.); ``at_start[i]`` and
        ``at_end[i]`` more are placed in the interval's first step (after the events at
        its start) and its last step (after its last event).
        """
        lo, hi, nxt = self.lower[i], self.upper[i], self.lower[i + 1]
        self.cen[lo:hi + 1] = _spread_censoring(n_censor, self.t[lo:nxt + 1], self.t[nxt])
        self.cen[lo] += self.at_start[i]
        self.cen[hi] += self.at_end[i]
        self.last_i[i + 1] = self.walk(i, clamp=False)
        return int(self.n_hat[nxt] - self.n_risk[i + 1])

    def fit_interval(self, i: int) -> None:
        """Fit the censorings of interval ``i`` to the number at risk at its end."""
        s, n_risk, risk_times = self.s, self.n_risk, self.risk_times
        lo, nxt = self.lower[i], self.lower[i + 1]
        n_risk[i + 1] = self.published[i + 1]
        self.fit_notes.pop(i, None)
        self.check_zero(i)
        guess = round(n_risk[i] * s[nxt] / s[lo] - n_risk[i + 1]) if s[lo] > 0 else 0
        guess -= int(self.at_start[i] + self.at_end[i])
        where = self.where(i)
        n_censor, mismatch, cycled = _search_censoring(partial(self.run_interval, i), guess,
                                                       where, int(n_risk[i]))
        self.spread[i] = n_censor
        self.matched[i] = mismatch == 0
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
            self.fit_notes[i] = (
                f"{where} the curve implies {shortfall} more event(s) than the risk table "
                f"allows; {self.n_hat[nxt]} taken as at risk at {risk_times[i + 1]:g} "
                f"instead of {n_risk[i + 1]}")
            n_risk[i + 1] = self.n_hat[nxt]
        elif mismatch > 0:
            self.fit_notes[i] = (f"{where} rounding left {mismatch} more patient(s) at risk "
                                 "than published")
        elif cycled:
            self.fit_notes[i] = f"{where} the censoring adjustment cycled; kept the best count"

    # -- the total of events: censorings moved within earlier intervals ------------------
    def deviation(self, lo: int, hi: int) -> float:
        """Largest |reconstructed - digitised survival| over points ``lo..hi``."""
        if hi < lo:
            return 0.0
        return float(np.max(np.abs(self.km_hat[lo:hi + 1] - self.s[lo:hi + 1])))

    def valid(self, i: int, fit_bound: float) -> bool:
        """Whether interval ``i``'s walk is an admissible placement of its censorings.

        It must reproduce the number at risk at the interval's end, keep the risk set
        non-negative, and follow the curve as closely as the even spread does anywhere
        (|reconstructed - digitised| within ``fit_bound``): the curve is the primary
        evidence, the total of events never buys a worse fit.
        """
        lo, hi, nxt = self.lower[i], self.upper[i], self.lower[i + 1]
        return bool(self.n_hat[nxt] == self.n_risk[i + 1]
                    and self.n_hat[lo:nxt + 1].min() >= 0
                    and not self.empty_drop[lo:hi + 1].any()
                    and self.deviation(lo, hi) <= fit_bound)

    def shift_interval(self, i: int, need: int, fit_bound: float) -> int:
        """Move interval ``i``'s censorings to change its events by ``need``, if it can.

        The risk table fixes the events plus censorings of an interval; how they divide
        depends on when the censorings fell, which the table does not say. Guyot et al.
        spread them evenly. Censorings that fell later leave more patients at risk at the
        interval's falls, hence more events and fewer censorings (``need > 0``); earlier,
        fewer events (``need < 0``). Later: fewer spread evenly and, in the last step
        (after the interval's last event), as many as keep the next number at risk;
        earlier: some in the first step, the even spread refitted.

        A placement is admissible when it reproduces the number at risk at the interval's
        end, follows the curve within ``fit_bound`` and moves no more censorings to the
        interval's ends than the events it changes: only where the split between events
        and censorings is sensitive to when censorings fell (a steep fall late in the
        interval) does the total say where they fell; elsewhere a difference of an event
        or two is rounding, and absorbing it would distort the follow-up of many
        patients. Of the admissible placements, the one whose change is nearest ``need``,
        then closest to the even spread, is kept.

        Returns
        -------
        int
            The change of events made (0: nothing moved).
        """
        base = (int(self.spread[i]), int(self.at_start[i]), int(self.at_end[i]))
        base_events = self.events_in(i)
        run = partial(self.run_interval, i)
        best, best_gain = base, 0

        def consider(placement: tuple[int, int, int]) -> int:
            nonlocal best, best_gain
            gain = self.events_in(i) - base_events
            moved = abs(placement[1] - base[1]) + abs(placement[2] - base[2])
            if moved <= abs(gain) and abs(need - gain) < abs(need - best_gain):
                best, best_gain = placement, gain
            return gain

        if need > 0:
            # events + censorings are fixed, so a gain of g with e censorings at the end
            # takes g + e fewer spread evenly, and e <= g: at most 2 * need fewer
            for spread in range(base[0] - 1, max(base[0] - 2 * need, 0) - 1, -1):
                self.at_end[i] = base[2]
                left_over = run(spread)
                if left_over < 0:
                    continue
                self.at_end[i] = base[2] + left_over
                run(spread)
                if self.valid(i, fit_bound) and consider(
                        (spread, base[1], base[2] + left_over)) >= need:
                    break
        else:
            for moved in range(1, min(-need, int(self.n_risk[i] - self.n_risk[i + 1])) + 1):
                self.at_start[i], self.at_end[i] = base[1] + moved, base[2]
                spread, mismatch, _ = _search_censoring(
                    run, base[0] - moved, self.where(i), int(self.n_risk[i]))
                if mismatch < 0 and spread == 0:
                    break  # censoring earlier still leaves too few at the interval's end
                if (mismatch == 0 and self.valid(i, fit_bound)
                        and consider((spread, base[1] + moved, base[2])) <= need):
                    break
        self.spread[i], self.at_start[i], self.at_end[i] = best
        run(int(self.spread[i]))
        if best_gain:
            side = "end" if best_gain > 0 else "start"
            self.shift_notes[i] = (
                f"{self.where(i)} censorings moved toward the {side} of the interval "
                f"({best[1]} in its first step, {best[0]} spread evenly, {best[2]} in its "
                f"last step): {best_gain:+d} event(s), to match the reported total")
        return best_gain

    def absorb_total(self, total_events: int) -> None:
        """Reach the reported total of events by moving censorings in earlier intervals.

        Guyot et al. use the total only in the last interval. When that interval cannot
        reach it (too few at risk after the last risk-table time, or the total reached
        before it), the difference says that censorings fell elsewhere than evenly in an
        earlier interval: the intervals are revisited from the latest, each by
        :meth:`shift_interval`, those after it refitted, until the total is met or no
        interval can move. Every published number at risk stays reproduced, and no
        interval follows the curve less closely than the even spread does at its worst
        point before the last interval.
        """
        last = self.risk_times.size - 1
        if int(self.d.sum()) == total_events or last == 0:
            return
        # the even spread's worst |reconstructed - digitised| before the last interval
        fit_bound = self.deviation(0, self.upper[last - 1]) + 1e-12
        for i in range(last - 1, -1, -1):
            mismatch = int(self.d.sum()) - total_events
            if mismatch == 0:
                return
            if not self.matched[i]:
                continue
            if self.shift_interval(i, -mismatch, fit_bound):
                for j in range(i + 1, last):
                    self.fit_interval(j)
                self.fit_last_interval(total_events)

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
        self.zeroed_last = False
        guess = self.last_guess()
        run = partial(self.run_last, total_events)
        run(guess)
        if total_events is not None:
            lo = self.lower[i]
            events_before = int(self.d[:lo].sum()) if i > 0 else 0
            if i > 0 and events_before >= total_events:
                self.no_events_after()
            else:
                _search_censoring(run, guess, self.where(i), int(self.n_risk[i]))

    def check_total(self, total_events: int) -> None:
        """Raise when the total of events cannot be met; else note any difference left."""
        i = self.risk_times.size - 1
        lo = self.lower[i]
        reconstructed = int(self.d.sum())
        mismatch = reconstructed - total_events
        self.last_notes = []
        if self.zeroed_last:
            events_before = int(self.d[:lo].sum())
            if mismatch > _risk_tolerance(total_events):
                raise EvidenceError(
                    f"the curve implies {events_before} events before time "
                    f"{self.risk_times[i]:g}, more than the {total_events} reported in total",
                    field="total_events",
                )
            if self.s[lo:self.upper[i] + 1].min() < self.s[lo]:  # the curve falls after it
                self.last_notes.append(
                    f"the reported {total_events} events are reached before the last "
                    f"risk-table time ({events_before} reconstructed); no events after "
                    f"{self.risk_times[i]:g}")
        elif abs(mismatch) > _risk_tolerance(total_events):
            bound = "at least" if mismatch > 0 else "at most"
            raise EvidenceError(
                f"whatever the censoring {self.where(i)} and where it falls before, the "
                f"curve implies {bound} {reconstructed} events, but {total_events} are "
                "reported in total", field="total_events")
        if mismatch != 0:
            self.last_notes.append(f"the reconstruction has {mismatch:+d} event(s) relative "
                                   "to the reported total")

    def no_events_after(self) -> None:
        """Leave the last interval without events: the total is reached before it."""
        i = self.risk_times.size - 1
        lo, hi = self.lower[i], self.upper[i]
        self.d[lo:hi + 1] = 0
        self.cen[lo:hi + 1] = 0
        self.empty_drop[lo:hi + 1] = False
        self.n_hat[lo + 1:hi + 2] = self.n_risk[i]
        self.zeroed_last = True


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
        The reported total of events, which fixes the censoring in the last interval and,
        when that interval cannot reach it, where censorings fell in earlier ones.
    noise_tolerance : float
        Fall of the curve, on the survival scale, tolerated while the reconstructed risk
        set is empty.

    Returns
    -------
    events, censored : numpy.ndarray
        Per curve point; the censorings at point ``k`` fall between it and the next.
    adjustments : list of str
        Where the reconstruction could not match the inputs exactly, or moved censorings
        to match the total of events.

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
    earlier ones, adjusted to the reported total of events when given. When the last
    interval cannot reach the total, the censorings of earlier intervals are moved
    toward their end (more events) or start (fewer), latest interval first, keeping every
    published number at risk, each move kept only when it moves no more censorings than
    the events it changes. See
    :func:`bayes_scot.stats.reconstruction.reconstruct_curve` for the formulas.
    """
    walk = _GuyotWalk(times, survival, risk_times, n_risk, noise_tolerance)
    for i in range(risk_times.size - 1):
        walk.fit_interval(i)
    walk.fit_last_interval(total_events)
    if total_events is not None:
        walk.absorb_total(total_events)
        walk.check_total(total_events)
    walk.check_empty(risk_times.size - 1)
    return walk.d, walk.cen, walk.notes
