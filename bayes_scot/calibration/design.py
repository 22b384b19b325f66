r"""The design a study simulates: the trial's own, or other arm sizes and follow-up.

By default a calibration or operating-characteristics study simulates trials at the design
of the spec's trial: its arm sizes, and the times of its landmarks, estimates and visits.
:class:`Design` overrides two of them:

* ``n_per_arm``: participants per arm (experimental first). Every count of the trial's
  evidence (events, deaths, numbers at risk, participants) is rescaled by the arm's ratio
  of new to old size and rounded, so the model is built with the same evidence layout at
  the new size (rounding keeps every count within its ``n`` and cumulative counts in
  order). Only the layout matters: a study replaces every evidence value by a simulated
  one.
* ``follow_up_months`` (survival family): every time of the trial's evidence (landmark
  counts, estimates and proportions, a digitised curve's coordinates and risk table, a
  ratio's window) is multiplied by one factor, so that the last time the survival
  model's evidence reaches (``trial_follow_up_months``, set by
  :func:`~bayes_scot.calibration.operating_characteristics` from the model built at the
  trial's design) moves to the new follow-up; their spacing stays proportional. A digitised
  curve's numbers at risk and total events are rescaled with ``n_per_arm`` as the other
  counts are.

For the composite family's closed form the design enters through the standard error of
the published summary, which scales as :math:`\sqrt{1/n_1 + 1/n_0}` (the variance of a
Mann-Whitney type statistic at a fixed effect; Hanley & McNeil 1982).

References
----------
.. [1] Hanley JA, McNeil BJ. The meaning and use of the area under a receiver operating
   characteristic (ROC) curve. Radiology 1982;143:29-36.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bayes_scot.errors import SpecError
from bayes_scot.evidence import Trial

__all__ = ["MAX_ARM_SIZE", "Design", "check_design", "design_trial", "se_at_design"]

MAX_ARM_SIZE = 5000
"""Largest arm size a design may ask for: the survival model's interval terms hold a
table of ``n + 1`` path counts per arm, and a study simulates every patient."""

_COUNT_FIELDS = ("events", "n", "count", "n_risk")
_TIME_FIELDS = ("time_months",)
_TIME_SEQUENCE_FIELDS = ("times", "risk_times", "window_months")
"""Times held as sequences: a digitised curve's coordinates and risk table, a window."""

_FOLLOW_UP_FAMILIES = ("survival",)


@dataclass(frozen=True)
class Design:
    """Arm sizes and follow-up of the simulated trials (``None``: the trial's own).

    Attributes
    ----------
    n_per_arm : tuple of int, optional
        Participants per arm, experimental first.
    follow_up_months : float, optional
        Time of the last landmark (survival family).
    trial_follow_up_months : float, optional
        The trial's time that moves to ``follow_up_months``: the last time its survival
        evidence reaches. Default the largest ``time_months`` of the trial's entries (else
        the largest time of a curve or window), which may belong to another endpoint.
    """

    n_per_arm: tuple[int, int] | None = None
    follow_up_months: float | None = None
    trial_follow_up_months: float | None = None

    @property
    def is_trial(self) -> bool:
        """The trial's own design (nothing overridden)."""
        return self.n_per_arm is None and self.follow_up_months is None

    def describe(self) -> dict[str, Any]:
        """JSON-ready fields that are set."""
        return {k: (list(v) if isinstance(v, tuple) else v)
                for k, v in dataclasses.asdict(self).items() if v is not None}


def check_design(
    family: str, n_per_arm: Sequence[int] | None, follow_up_months: float | None
) -> Design:
    """Return the checked design of a request (one-line errors, before any work).

    Parameters
    ----------
    family : str
    n_per_arm : sequence of int, optional
        Two positive whole numbers, experimental arm first.
    follow_up_months : float, optional
        Positive; survival family only.

    Returns
    -------
    Design

    Raises
    ------
    SpecError
        Naming the field.
    """
    sizes = None
    if n_per_arm is not None:
        values = list(n_per_arm)
        if len(values) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) and 2 <= v <= MAX_ARM_SIZE
            for v in values
        ):
            raise SpecError(f"must be two whole numbers from 2 to {MAX_ARM_SIZE:,} "
                            f"(experimental, control), not {values!r}", field="n_per_arm")
        sizes = (values[0], values[1])
    if follow_up_months is not None:
        if family not in _FOLLOW_UP_FAMILIES:
            raise SpecError(f"applies to the survival family, not {family}",
                            field="follow_up_months")
        if not (isinstance(follow_up_months, int | float)
                and math.isfinite(follow_up_months) and follow_up_months > 0):
            raise SpecError(f"must be a positive number of months, not {follow_up_months!r}",
                            field="follow_up_months")
    return Design(sizes, None if follow_up_months is None else float(follow_up_months))


def _scaled(value: Mapping[str, float], ratio: Mapping[str, float]) -> dict[str, float]:
    return {arm: float(round(v * ratio.get(arm, 1.0))) for arm, v in value.items()}


def _scaled_curve(entry: Any, ratio: Mapping[str, float]) -> dict[str, Any]:
    """Return a digitised curve's numbers at risk and total events at the new size."""
    r = ratio.get(entry.arm, 1.0)
    n_risk = tuple(round(v * r) for v in entry.n_risk)
    out: dict[str, Any] = {"n_risk": n_risk}
    if entry.total_events is not None:
        out["total_events"] = min(round(entry.total_events * r), n_risk[0])
    return out


def design_trial(trial: Trial, design: Design) -> Trial:
    """Return ``trial`` at the design's arm sizes and follow-up (same evidence layout).

    Parameters
    ----------
    trial : Trial
    design : Design

    Returns
    -------
    Trial
        The trial itself when nothing is overridden.

    Raises
    ------
    SpecError
        When the follow-up is asked of a trial without timed evidence.
    """
    if design.is_trial:
        return trial
    ratio: dict[str, float] = {}
    populations = dict(trial.populations)
    if design.n_per_arm is not None:
        arms = (trial.experimental, trial.control)
        ratio = {a: n / trial.n(a) for a, n in zip(arms, design.n_per_arm, strict=True)}
        populations = {
            name: dataclasses.replace(p, n={a: round(v * ratio.get(a, 1.0))
                                             for a, v in p.n.items()})
            for name, p in populations.items()
        }
    factor = 1.0
    if design.follow_up_months is not None:
        times = [t for e in trial.entries for f in _TIME_FIELDS
                 if isinstance(t := getattr(e, f, None), int | float)] or [
            float(t) for e in trial.entries for f in _TIME_SEQUENCE_FIELDS
            if isinstance(v := getattr(e, f, None), tuple) for t in v]
        if not times:
            raise SpecError(f"trial {trial.name!r} has no timed evidence to move",
                            field="follow_up_months")
        reference = design.trial_follow_up_months or max(times)
        if not (math.isfinite(reference) and reference > 0):
            raise SpecError(f"trial {trial.name!r} has no positive time to move to "
                            f"{design.follow_up_months:g} months", field="follow_up_months")
        factor = design.follow_up_months / reference
    entries = []
    for e in trial.entries:
        changes: dict[str, Any] = {}
        for name in _COUNT_FIELDS:
            value = getattr(e, name, None)
            if ratio and isinstance(value, Mapping):
                changes[name] = _scaled(value, ratio)
        if ratio and isinstance(getattr(e, "n_risk", None), tuple):
            changes.update(_scaled_curve(e, ratio))
        for name in _TIME_FIELDS:
            value = getattr(e, name, None)
            if factor != 1.0 and isinstance(value, int | float):
                changes[name] = float(value) * factor
        for name in _TIME_SEQUENCE_FIELDS:
            value = getattr(e, name, None)
            if factor != 1.0 and isinstance(value, tuple):
                changes[name] = tuple(float(v) * factor for v in value)
        entries.append(dataclasses.replace(e, **changes) if changes else e)
    return dataclasses.replace(trial, populations=populations, entries=tuple(entries))


def se_at_design(se: float, trial_sizes: Sequence[float], design: Design) -> float:
    r"""Return the standard error of a between-arm summary at the design's arm sizes.

    Parameters
    ----------
    se : float
        The trial's standard error.
    trial_sizes : sequence of float
        The trial's arm sizes.
    design : Design

    Returns
    -------
    float
        ``se`` times :math:`\sqrt{(1/n_1' + 1/n_0') / (1/n_1 + 1/n_0)}`.
    """
    if design.n_per_arm is None:
        return float(se)
    old = sum(1.0 / n for n in trial_sizes)
    new = sum(1.0 / n for n in design.n_per_arm)
    return float(se) * math.sqrt(new / old)
