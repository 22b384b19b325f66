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
* :func:`read_curve_csv`, :func:`read_risk_table_csv`: read a digitiser's CSV export
  (from :mod:`bayes_scot.stats.digitised_csv`).

The algorithm's steps (the risk table's checks, the per-interval fit of the censorings)
are in :mod:`bayes_scot.stats.guyot`.

Every failure (an inconsistent risk table, a risk set that empties while the curve still
falls, a curve that is not a survival curve) raises
:class:`~bayes_scot.errors.EvidenceError`; the reconstruction never returns NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import Trial
from bayes_scot.evidence.entries import DigitisedCurve
from bayes_scot.stats.digitised_csv import read_curve_csv, read_risk_table_csv
from bayes_scot.stats.guyot import align_to_risk_table, guyot_counts, validate_risk_table
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

POOR_MAX_ABS_DS = 0.05
"""Largest |dS| between the reconstructed and the digitised curve accepted without a
warning: above the digitisation noise the cleaning tolerates by default (0.03), a sign
that the curve and its risk table disagree (a wrong arm, a mistyped risk-table row)."""


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
        risk-table times, the curve extended flat to risk-table times after its end with
        patients at risk, and risk-table rows after its end with no one at risk dropped.
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
        risk-table time and, where that cannot reach it, where censorings fell in
        earlier intervals.
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
    patients left at the end are censored at the last point. When the last interval
    cannot reach ``total_events``, censorings of earlier intervals are moved toward their
    end or start (latest interval first, every published number at risk kept, the curve
    fitted no worse, no more censorings moved than events changed), each move listed in
    ``adjustments``.

    A curve that ends before risk-table times with patients still at risk (drawn or read
    only to its last event) is extended flat to the last of them: patients at risk at a
    time were followed up to it, and are not censored at the curve's end.

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
    curve_times, curve_surv = _vector(curve_times, "curve_times"), _vector(curve_surv,
                                                                            "curve_surv")
    risk_times, n_risk = _vector(risk_times, "risk_times"), _vector(n_risk, "n_risk")
    curve = clean_curve(curve_times, curve_surv, scale=scale, noise_tolerance=noise_tolerance,
                        time_tolerance=time_tolerance)
    rt, nr = validate_risk_table(risk_times, n_risk)
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
    t_s, s, rt_used, nr_used, notes = align_to_risk_table(curve, rt, nr)
    d, cen, adjustments = guyot_counts(t_s, s, rt_used, nr_used, total_events,
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


def _vector(value: Any, name: str) -> np.ndarray:
    """Return one argument as a 1-D float array, or raise naming it."""
    if value is None or isinstance(value, str | bytes | Mapping):
        raise EvidenceError(f"must be a list or array of numbers, not "
                            f"{type(value).__name__}", field=name)
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise EvidenceError("must be a list or array of numbers", field=name) from None
    if array.ndim != 1:
        raise EvidenceError(f"must be one-dimensional, not of shape {array.shape}",
                            field=name)
    return array


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
    built, so a curve that does not start at survival 1, rises by more than digitisation
    noise, or has a risk table that does not start at time 0 or contradicts its curve, is
    refused by the same rules as in the survival model, naming the file and the entry;
    the report calls it again for the quality warnings. The reconstructions of the last
    64 curves are kept, by the entry's value, so a curve is reconstructed once however
    often its trial is checked.

    Parameters
    ----------
    trial : Trial
        A loaded trial (any population).

    Returns
    -------
    dict of str to Reconstruction
        By entry id; :attr:`Reconstruction.quality_warning` says which reproduce their
        curve poorly. Each call returns its own copies of the data frames.

    Raises
    ------
    EvidenceError
        As :func:`reconstruct_entry`, naming the trial file and the entry.
    """
    checked = {}
    for entry in trial.entries:
        if isinstance(entry, DigitisedCurve):
            try:
                result = _reconstructed(entry)
            except EvidenceError as err:
                raise err.located(file=trial.path or trial.name) from None
            checked[entry.id] = replace(result, ipd=result.ipd.copy(),
                                        risk_table=result.risk_table.copy())
    return checked


@lru_cache(maxsize=64)
def _reconstructed(entry: DigitisedCurve) -> Reconstruction:
    """Reconstruct one curve entry with the default options (kept by the entry's value)."""
    return reconstruct_entry(entry)


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
