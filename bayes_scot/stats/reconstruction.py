"""Reconstruct patient-level data from a digitised Kaplan-Meier curve (Guyot et al. 2012).

A published Kaplan-Meier figure holds most of the information of the patient-level data
behind it: the curve gives the conditional survival between any two times, the risk table
under it gives how many patients were still followed, and the total number of events pins
down censoring after the last risk-table time. The algorithm of Guyot, Ades, Ouwens and
Welton (2012) inverts the Kaplan-Meier estimator on each interval of the risk table and
returns pseudo individual patient data (one row per patient: time, event) whose
Kaplan-Meier curve reproduces the digitised one.

* :func:`reconstruct_ipd`: the public entry point, returning a DataFrame ``time, event``
  with the accuracy in ``attrs["accuracy"]``.
* :func:`reconstruct_curve`: the same, returning a :class:`Reconstruction` with the
  accuracy (max |dS|, events reconstructed against reported), the cleaning record and the
  reconstructed numbers at risk.
* :func:`reconstruct_entry`: for a :class:`~bayes_scot.evidence.DigitisedCurve` entry of
  a trial file.
* :func:`read_curve_csv`, :func:`read_risk_table_csv`: read a digitiser's CSV export.

Every failure (an inconsistent risk table, a risk set that empties while the curve still
falls, a curve that is not a survival curve) raises
:class:`~bayes_scot.errors.EvidenceError`; the reconstruction never returns NaN.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import Trial
from bayes_scot.evidence.entries import DigitisedCurve
from bayes_scot.files import read_input
from bayes_scot.stats.kaplan_meier import CleanedCurve, clean_curve, kaplan_meier

__all__ = [
    "POOR_MAX_ABS_DS",
    "Reconstruction",
    "check_curves",
    "curve_warnings",
    "read_curve_csv",
    "read_risk_table_csv",
    "reconstruct_curve",
    "reconstruct_entry",
    "reconstruct_ipd",
]

MAX_ITERATIONS = 1000
"""Upper bound on the censoring adjustments per interval (convergence takes a handful)."""


POOR_MAX_ABS_DS = 0.05
"""Largest |dS| between the reconstructed and the digitised curve accepted without a
warning: above the digitisation noise the cleaning tolerates by default (0.03), a sign
that the curve and its risk table disagree (a wrong arm, a mistyped risk-table row)."""


def _risk_tolerance(n_start: int) -> float:
    """Patients by which the curve may disagree with the risk table before it is an error.

    Digitisation error in a steep stretch of a curve can shift one or two events across a
    risk-table time; more than two patients, or 5% of those at risk, is an inconsistency.
    """
    return max(2.0, 0.05 * n_start)


@dataclass(frozen=True)
class Reconstruction:
    """Pseudo patient-level data reconstructed from a digitised curve, with its accuracy.

    Attributes
    ----------
    ipd : pandas.DataFrame
        One row per patient, columns ``time`` and ``event`` (1 event, 0 censored), sorted
        by time.
    max_abs_ds : float
        Largest absolute difference between the Kaplan-Meier curve of ``ipd`` and the
        (cleaned) digitised curve, over the digitised points.
    events_reconstructed : int
        Events in ``ipd``.
    events_reported : int or None
        The reported total, when given.
    cleaning : tuple of str
        What was done to the digitised curve before reconstruction (see
        :func:`~bayes_scot.stats.kaplan_meier.clean_curve`), plus points added at
        risk-table times and risk-table rows dropped beyond the curve.
    adjustments : tuple of str
        Where the reconstruction could not match the inputs exactly (e.g. the curve
        implies one more event in an interval than the risk table allows).
    risk_table : pandas.DataFrame
        Columns ``time, n_risk_published, n_risk_reconstructed``.
    curve : CleanedCurve
        The curve the reconstruction used.
    """

    ipd: pd.DataFrame
    max_abs_ds: float
    events_reconstructed: int
    events_reported: int | None
    cleaning: tuple[str, ...]
    adjustments: tuple[str, ...]
    risk_table: pd.DataFrame
    curve: CleanedCurve = field(repr=False)

    @property
    def events_error(self) -> float | None:
        """Relative difference of reconstructed from reported events (None without them)."""
        if self.events_reported is None:
            return None
        if self.events_reported == 0:
            return 0.0 if self.events_reconstructed == 0 else math.inf
        return (self.events_reconstructed - self.events_reported) / self.events_reported

    @property
    def accuracy(self) -> dict[str, Any]:
        """Accuracy measures as a plain dictionary (also stored in ``ipd.attrs``)."""
        return {
            "max_abs_ds": self.max_abs_ds,
            "events_reconstructed": self.events_reconstructed,
            "events_reported": self.events_reported,
            "n_patients": len(self.ipd),
            "cleaning": list(self.cleaning),
            "adjustments": list(self.adjustments),
        }

    @property
    def quality_warning(self) -> str | None:
        """A one-line warning when the reconstruction reproduces the curve poorly.

        Returns
        -------
        str or None
            E.g. ``"the reconstruction reproduces the curve poorly: max |dS| = 0.115,
            above 0.05; check the risk table and the arm"``, or ``None`` when
            ``max_abs_ds`` is at most :data:`POOR_MAX_ABS_DS`.
        """
        if self.max_abs_ds <= POOR_MAX_ABS_DS:
            return None
        return (f"the reconstruction reproduces the curve poorly: max |dS| = "
                f"{self.max_abs_ds:.3f}, above {POOR_MAX_ABS_DS:g}; check that the risk "
                "table belongs to this curve and arm")

    def summary(self) -> str:
        """Describe the accuracy in one line."""
        events = f"events {self.events_reconstructed}"
        if self.events_reported is not None:
            events += f" (reported {self.events_reported})"
        extra = []
        if self.cleaning:
            extra.append(f"{len(self.cleaning)} cleaning step(s)")
        if self.adjustments:
            extra.append(f"{len(self.adjustments)} adjustment(s)")
        tail = f"; {', '.join(extra)}" if extra else ""
        return (f"{len(self.ipd)} patients, {events}, max |dS| = {self.max_abs_ds:.4f}"
                f"{tail}")


def _validate_risk_table(
    risk_times: ArrayLike, n_risk: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
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


def _prepare(
    curve: CleanedCurve, risk_times: np.ndarray, n_risk: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Align curve and risk table: drop risk rows beyond the curve, add points at risk times."""
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


def _guyot(
    t_s: np.ndarray,
    s: np.ndarray,
    risk_times: np.ndarray,
    n_risk_in: np.ndarray,
    total_events: int | None,
    noise_tolerance: float,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Run the Guyot et al. (2012) algorithm; return events and censorings per curve point."""
    n_t = t_s.size
    n_int = risk_times.size
    n_risk = n_risk_in.astype(int).copy()
    lower = np.searchsorted(t_s, risk_times, side="left")
    upper = np.concatenate([lower[1:] - 1, [n_t - 1]])
    d = np.zeros(n_t, dtype=int)
    cen = np.zeros(n_t, dtype=int)
    n_hat = np.full(n_t + 1, n_risk[0] + 1, dtype=int)
    km_hat = np.ones(n_t)
    last_i = np.zeros(n_int, dtype=int)
    notes: list[str] = []
    last_event = [0]  # index of the last point with an event after the latest run
    empty_drop = np.zeros(n_t, dtype=bool)  # risk set empty while the curve still falls

    def check_empty(lo: int, hi: int) -> None:
        """Raise when the final run of an interval left an empty risk set under a drop."""
        bad = np.nonzero(empty_drop[lo:hi + 1])[0]
        if bad.size:
            k = lo + int(bad[0])
            raise EvidenceError(
                f"the risk set is empty at time {t_s[k]:g} but the curve still falls to "
                f"{s[k]:g}: the risk table and the curve are inconsistent", field="n_risk")

    def check_zero(i: int, lo: int) -> None:
        """Raise when the curve reached 0 before a risk-table time with patients at risk."""
        if lo > 0 and n_risk[i] > 0 and s[lo - 1] <= 0:
            raise EvidenceError(
                f"the curve is at 0 before time {risk_times[i]:g} but {n_risk[i]} patients "
                "are at risk there", field="n_risk")

    def step(k: int, last: int, first_point: bool) -> int:
        """Events at point k given the risk set; update the KM; return the new ``last``."""
        empty_drop[k] = False
        if first_point:
            d[k] = 0
            km_hat[k] = 1.0
        elif n_hat[k] <= 0 or km_hat[last] <= 0:
            empty_drop[k] = n_hat[k] <= 0 and s[k] < km_hat[last] - noise_tolerance
            d[k] = 0
            km_hat[k] = km_hat[last]
        else:
            events = round(n_hat[k] * (1.0 - s[k] / km_hat[last]))
            d[k] = min(max(events, 0), n_hat[k])
            km_hat[k] = km_hat[last] * (1.0 - d[k] / n_hat[k])
        return k if d[k] != 0 else last

    # intervals 1 .. n_int - 1: censoring fitted to the next number at risk
    for i in range(n_int - 1):
        lo, hi, nxt = lower[i], upper[i], lower[i + 1]
        check_zero(i, lo)

        def run_interval(nc: int, i: int = i, lo: int = lo, hi: int = hi, nxt: int = nxt
                         ) -> int:
            cen[lo:hi + 1] = _spread_censoring(nc, t_s[lo:nxt + 1], t_s[nxt])
            n_hat[lo] = n_risk[i]
            last = last_i[i]
            for k in range(lo, hi + 1):
                last = step(k, last, first_point=(i == 0 and k == lo))
                n_hat[k + 1] = n_hat[k] - d[k] - cen[k]
            last_event[0] = last
            return int(n_hat[nxt] - n_risk[i + 1])

        guess = round(n_risk[i] * s[nxt] / s[lo] - n_risk[i + 1]) if s[lo] > 0 else 0
        where = f"between times {risk_times[i]:g} and {risk_times[i + 1]:g}"
        _, mismatch, cycled = _search_censoring(run_interval, guess, where, int(n_risk[i]))
        check_empty(lo, hi)
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
            notes.append(f"{where} the curve implies {shortfall} more event(s) than the risk "
                         f"table allows; {n_hat[nxt]} taken as at risk at "
                         f"{risk_times[i + 1]:g} instead of {n_risk[i + 1]}")
            n_risk[i + 1] = n_hat[nxt]
        elif mismatch > 0:
            notes.append(f"{where} rounding left {mismatch} more patient(s) at risk than "
                         "published")
        elif cycled:
            notes.append(f"{where} the censoring adjustment cycled; kept the best count")
        last_i[i + 1] = last_event[0]

    # last interval: the average censoring rate of the earlier intervals
    i = n_int - 1
    lo, hi = lower[i], upper[i]
    check_zero(i, lo)
    if n_int > 1:
        span_before = t_s[upper[i - 1]] - t_s[lower[0]]
        censored_before = int(cen[:lo].sum())
        rate = censored_before / span_before if span_before > 0 else 0.0
        guess = min(round(rate * (t_s[hi] - t_s[lo])), int(n_risk[i]))
    else:
        guess = 0

    def run_last(nc: int) -> int:
        cen[lo:hi + 1] = 0
        cen[lo:hi] = _spread_censoring(nc, t_s[lo:hi + 1], t_s[hi])
        n_hat[lo] = n_risk[i]
        last = last_i[i]
        for k in range(lo, hi + 1):
            last = step(k, last, first_point=(i == 0 and k == lo))
            n_hat[k + 1] = n_hat[k] - d[k] - cen[k]
            if n_hat[k + 1] < 0:  # no more censorings than patients left
                n_hat[k + 1] = 0
                cen[k] = n_hat[k] - d[k]
        return int(d.sum() - total_events) if total_events is not None else 0

    run_last(guess)
    if total_events is not None:
        events_before = int(d[:lo].sum()) if n_int > 1 else 0
        if n_int > 1 and events_before >= total_events:
            excess = events_before - total_events
            if excess > _risk_tolerance(total_events):
                raise EvidenceError(
                    f"the curve implies {events_before} events before time "
                    f"{risk_times[i]:g}, more than the {total_events} reported in total",
                    field="total_events",
                )
            d[lo:hi + 1] = 0
            cen[lo:hi + 1] = 0
            empty_drop[lo:hi + 1] = False
            n_hat[lo + 1:hi + 2] = n_risk[i]
            notes.append(f"the reported {total_events} events are reached before the last "
                         f"risk-table time ({events_before} reconstructed); no events after "
                         f"{risk_times[i]:g}")
        else:
            _, mismatch, _ = _search_censoring(
                run_last, guess, f"after time {risk_times[i]:g}", int(n_risk[i]))
            if abs(mismatch) > _risk_tolerance(total_events):
                bound = "at least" if mismatch > 0 else "at most"
                raise EvidenceError(
                    f"whatever the censoring after time {risk_times[i]:g}, the curve implies "
                    f"{bound} {int(d.sum())} events, but {total_events} are reported in total",
                    field="total_events",
                )
            if mismatch != 0:
                notes.append(f"after time {risk_times[i]:g} the reconstruction has "
                             f"{mismatch:+d} event(s) relative to the reported total")
    check_empty(lo, hi)
    return d, cen, notes


def reconstruct_curve(
    curve_times: ArrayLike,
    curve_surv: ArrayLike,
    risk_times: ArrayLike,
    n_risk: ArrayLike,
    total_events: int | None = None,
    *,
    scale: str = "auto",
    noise_tolerance: float = 0.03,
    time_tolerance: float = 0.005,
) -> Reconstruction:
    r"""Reconstruct pseudo patient-level data from a digitised curve and its risk table.

    Parameters
    ----------
    curve_times, curve_surv : array_like
        Digitised curve coordinates; survival as proportions or percentages. Cleaned by
        :func:`~bayes_scot.stats.kaplan_meier.clean_curve` (sorting, duplicated times,
        small non-monotone noise), each change recorded.
    risk_times : array_like
        Risk-table times, strictly increasing from 0, in the curve's time unit.
    n_risk : array_like
        Numbers at risk at ``risk_times`` (whole numbers, non-increasing; the first is the
        number of patients).
    total_events : int, optional
        Total number of events, when reported; used to fix censoring after the last
        risk-table time.
    scale : {"auto", "proportion", "percent"}, default "auto"
        Scale of ``curve_surv``.
    noise_tolerance : float, default 0.03
        Digitisation noise tolerated on the survival scale (see ``clean_curve``).
    time_tolerance : float, default 0.005
        Fraction of the time axis within which two points are the ends of one vertical
        drop (see ``clean_curve``).

    Returns
    -------
    Reconstruction

    Raises
    ------
    EvidenceError
        Unusable curve, inconsistent risk table (numbers at risk that rise, a curve that
        falls by more than the risk set allows, a risk set that empties while the curve
        still falls), or a total of events that the curve contradicts.

    Notes
    -----
    For each risk-table interval :math:`[t_i, t_{i+1})` with :math:`n_i` at risk, the
    algorithm (Guyot et al. 2012):

    1. guesses the number censored,
       :math:`c_i = \mathrm{round}(n_i S(t_{i+1}) / S(t_i) - n_{i+1})`;
    2. spreads the :math:`c_i` censorings evenly over the interval;
    3. walks the curve's points :math:`k` in the interval, with :math:`\hat n_k` at risk
       and the reconstructed Kaplan-Meier value :math:`\hat S_{last}` at the last point
       with an event: :math:`d_k = \mathrm{round}(\hat n_k (1 - S_k / \hat S_{last}))`,
       :math:`\hat S_k = \hat S_{last}(1 - d_k/\hat n_k)`,
       :math:`\hat n_{k+1} = \hat n_k - d_k - c_k`;
    4. adds the difference between the implied and the published number at risk at
       :math:`t_{i+1}` to :math:`c_i` and repeats until they agree.

    In the last interval the censoring rate is the average of the earlier intervals, and
    the number censored is adjusted until the events match ``total_events`` when given.
    Events are placed at the curve's points and censorings midway between points; the
    patients left at the end are censored at the last point.

    Two guards make the algorithm total: the events at a point are kept within
    ``[0, n at risk]`` (a digitised point slightly above the reconstructed curve would
    otherwise give negative events), and the search for the censored count stops at zero
    censorings or, when rounding makes it cycle, at the count with the smallest mismatch.
    The average censoring rate uses the censorings actually placed in earlier intervals.
    Disagreements up to two patients (or 5% of those at risk) between the curve and the
    risk table are absorbed as in the published algorithm and listed in
    ``adjustments``; larger ones raise ``EvidenceError``.

    References
    ----------
    .. [1] Guyot P, Ades AE, Ouwens MJNM, Welton NJ. Enhanced secondary analysis of
       survival data: reconstructing the data from published Kaplan-Meier survival curves.
       BMC Med Res Methodol 2012;12:9. doi:10.1186/1471-2288-12-9
    .. [2] Liu N, Zhou Y, Lee JJ. IPDfromKM: reconstruct individual patient data from
       published Kaplan-Meier survival curves. BMC Med Res Methodol 2021;21:111.
       doi:10.1186/s12874-021-01308-8
    """
    curve = clean_curve(curve_times, curve_surv, scale=scale, noise_tolerance=noise_tolerance,
                        time_tolerance=time_tolerance)
    rt, nr = _validate_risk_table(risk_times, n_risk)
    n_patients = int(nr[0])
    if total_events is not None:
        if (isinstance(total_events, bool) or not isinstance(total_events, int | float | np.number)
                or not math.isfinite(float(total_events))
                or float(total_events) != round(float(total_events))):
            raise EvidenceError(f"must be a whole number, not {total_events!r}",
                                field="total_events")
        total_events = int(total_events)
        if not 0 <= total_events <= n_patients:
            raise EvidenceError(
                f"{total_events} events among {n_patients} patients is impossible",
                field="total_events")
    t_s, s, rt_used, nr_used, notes = _prepare(curve, rt, nr)
    d, cen, adjustments = _guyot(t_s, s, rt_used, nr_used, total_events,
                                 float(noise_tolerance))

    event_times = np.repeat(t_s, d)
    censor_times = np.repeat((t_s[:-1] + t_s[1:]) / 2.0, cen[:-1])
    remaining = n_patients - event_times.size - censor_times.size
    if remaining < 0:  # cannot happen: the risk set is never negative
        raise EvidenceError("the reconstruction placed more patients than were randomised",
                            field="n_risk")
    time = np.concatenate([event_times, censor_times, np.full(remaining, t_s[-1])])
    event = np.concatenate([np.ones(event_times.size, dtype=int),
                            np.zeros(censor_times.size + remaining, dtype=int)])
    order = np.lexsort((-event, time))
    ipd = pd.DataFrame({"time": time[order], "event": event[order]})

    km = kaplan_meier(ipd["time"].to_numpy(), ipd["event"].to_numpy())
    max_abs_ds = float(np.max(np.abs(km.at(curve.times) - curve.survival)))
    risk_table = pd.DataFrame({"time": rt, "n_risk_published": nr,
                               "n_risk_reconstructed": km.number_at_risk(rt)})
    result = Reconstruction(
        ipd=ipd,
        max_abs_ds=max_abs_ds,
        events_reconstructed=int(event.sum()),
        events_reported=total_events,
        cleaning=(*curve.actions, *notes),
        adjustments=tuple(adjustments),
        risk_table=risk_table,
        curve=curve,
    )
    ipd.attrs["accuracy"] = result.accuracy
    return result


def reconstruct_ipd(
    curve_times: ArrayLike,
    curve_surv: ArrayLike,
    risk_times: ArrayLike,
    n_risk: ArrayLike,
    total_events: int | None = None,
) -> pd.DataFrame:
    """Reconstruct pseudo patient-level data from a digitised Kaplan-Meier curve.

    Parameters
    ----------
    curve_times, curve_surv : array_like
        Digitised curve coordinates (survival as proportions or percentages).
    risk_times, n_risk : array_like
        The risk table: times from 0 and numbers at risk.
    total_events : int, optional
        Total number of events, when reported.

    Returns
    -------
    pandas.DataFrame
        Columns ``time`` and ``event`` (1 event, 0 censored), one row per patient.
        ``attrs["accuracy"]`` holds ``max_abs_ds`` (largest |dS| between the reconstructed
        and the digitised curve), ``events_reconstructed``, ``events_reported``,
        ``n_patients``, ``cleaning`` and ``adjustments``.

    See Also
    --------
    reconstruct_curve : the algorithm, its options and a richer result.

    Examples
    --------
    A simulated curve: 10 patients, one event at each of times 1-5, then 5 censored at 6.

    >>> ipd = reconstruct_ipd([0, 1, 2, 3, 4, 5, 6],
    ...                       [1, .9, .8, .7, .6, .5, .5], [0, 6], [10, 5], total_events=5)
    >>> int(ipd["event"].sum()), round(ipd.attrs["accuracy"]["max_abs_ds"], 6)
    (5, 0.0)
    """
    return reconstruct_curve(curve_times, curve_surv, risk_times, n_risk, total_events).ipd


def reconstruct_entry(entry: DigitisedCurve, **options: Any) -> Reconstruction:
    """Reconstruct the patients behind a trial file's digitised-curve entry.

    Parameters
    ----------
    entry : DigitisedCurve
        A ``km_curves`` entry (one arm: curve, risk table, optional total events).
    **options
        ``scale``, ``noise_tolerance`` and ``time_tolerance`` of :func:`reconstruct_curve`.

    Returns
    -------
    Reconstruction
        Its ``ipd`` has an extra column ``arm`` with the entry's arm.

    Raises
    ------
    EvidenceError
        As :func:`reconstruct_curve`, naming the entry.
    """
    if not isinstance(entry, DigitisedCurve):
        raise EvidenceError(f"expects a DigitisedCurve entry, not {type(entry).__name__}")
    unknown = set(options) - {"scale", "noise_tolerance", "time_tolerance"}
    if unknown:
        raise EvidenceError(f"unknown option(s) {sorted(unknown)}", entry=entry.id)
    try:
        result = reconstruct_curve(entry.times, entry.survival, entry.risk_times,
                                   entry.n_risk, entry.total_events, **options)
    except EvidenceError as err:
        raise err.located(entry=entry.id) from None
    result.ipd["arm"] = entry.arm
    result.ipd.attrs["entry"] = entry.id
    return result


def check_curves(trial: Trial) -> dict[str, Reconstruction]:
    """Reconstruct every digitised curve of a trial, as a model would, to check them.

    ``bayes-scot validate`` and :func:`bayes_scot.reanalyse` call this before any model is
    built, so a curve that rises by more than digitisation noise, or a risk table that
    does not start at time 0 or contradicts its curve, is refused by the same rules as in
    the survival model, naming the file and the entry.

    Parameters
    ----------
    trial : Trial
        A loaded trial (any population).

    Returns
    -------
    dict of str to Reconstruction
        By entry id; :attr:`Reconstruction.quality_warning` says which reproduce their
        curve poorly.

    Raises
    ------
    EvidenceError
        As :func:`reconstruct_entry`, naming the trial file and the entry.
    """
    checked = {}
    for entry in trial.entries:
        if isinstance(entry, DigitisedCurve):
            try:
                checked[entry.id] = reconstruct_entry(entry)
            except EvidenceError as err:
                raise err.located(file=trial.path or trial.name) from None
    return checked


def curve_warnings(trial: Trial) -> tuple[str, ...]:
    """One line for each digitised curve of a trial that its reconstruction fits poorly.

    Parameters
    ----------
    trial : Trial
        A loaded trial (any population).

    Returns
    -------
    tuple of str
        ``"<file>: entry '<id>': <quality warning>"`` for each curve whose
        :attr:`Reconstruction.quality_warning` is set (max |dS| above
        :data:`POOR_MAX_ABS_DS`), in file order; empty when every curve is reproduced.

    Raises
    ------
    EvidenceError
        As :func:`check_curves`.
    """
    where = trial.path or trial.name
    return tuple(f"{where}: entry '{entry}': {result.quality_warning}"
                 for entry, result in check_curves(trial).items() if result.quality_warning)


def _read_two_columns(path: str | PathLike[str], what: str) -> np.ndarray:
    file = str(path)
    try:
        text = read_input(path, what=f"{what} file").decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EvidenceError(f"the {what} file is not UTF-8 text", file=file) from None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise EvidenceError(f"the {what} file is empty", file=file)
    sample = "\n".join(lines[:20])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t ").delimiter
    except csv.Error:
        delimiter = ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter,
                           skipinitialspace=True))
    decimal_comma = delimiter in ";\t" and any("," in c for r in rows for c in r)

    def parse(cell: str) -> float:
        cell = cell.strip()
        if decimal_comma:
            cell = cell.replace(",", ".")
        return float(cell)

    values = []
    for number, row in enumerate(rows, start=1):
        cells = [c for c in row if c.strip()]
        if len(cells) != 2:
            second = "survival" if what == "curve" else "number at risk"
            raise EvidenceError(f"line {number} has {len(cells)} column(s); expected 2 "
                                f"(time and {second})", file=file)
        try:
            values.append((parse(cells[0]), parse(cells[1])))
        except ValueError:
            if number == 1 and not values:
                continue  # a header row
            raise EvidenceError(f"line {number}: {cells[0]!r}, {cells[1]!r} are not numbers",
                                file=file) from None
    if not values:
        raise EvidenceError(f"the {what} file has a header but no rows", file=file)
    array = np.array(values, dtype=float)
    if not np.all(np.isfinite(array)):
        raise EvidenceError(f"the {what} file contains non-finite numbers", file=file)
    return array


def read_curve_csv(path: str | PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read a digitiser's CSV export of a curve: two columns, time and survival.

    Parameters
    ----------
    path : str or path-like
        A text file with one point per line, ``x, y``; comma, semicolon (with decimal
        commas), tab or space separated; an optional header line; lines starting with
        ``#`` are ignored. A line with more or fewer than two values is an error.

    Returns
    -------
    times, survival : numpy.ndarray
        As read (unsorted, percentages kept): cleaning happens in the reconstruction.
    """
    array = _read_two_columns(path, "curve")
    return array[:, 0], array[:, 1]


def read_risk_table_csv(path: str | PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read a risk table from CSV: two columns, time and number at risk.

    Parameters
    ----------
    path : str or path-like
        Same format as :func:`read_curve_csv`.

    Returns
    -------
    times, n_risk : numpy.ndarray
    """
    array = _read_two_columns(path, "risk table")
    n = array[:, 1]
    if np.any(n != np.round(n)):
        raise EvidenceError("numbers at risk must be whole numbers", file=str(path),
                            field="n_risk")
    return array[:, 0], n.astype(int)
