"""Time-to-event evidence, per arm or as a between-arm ratio.

Events by a landmark, survival estimates, reported ratios (HR, RR, OR) and digitised
Kaplan-Meier curves with their risk tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from bayes_scot.evidence.entries.base import ArmMap, Entry, _is_number

__all__ = ["DigitisedCurve", "LandmarkEvents", "ReportedRatio", "SurvivalEstimate"]


@dataclass(frozen=True, kw_only=True)
class LandmarkEvents(Entry):
    """Cumulative number of participants with an event by a landmark time, among ``n``.

    Parameters
    ----------
    time_months : float
        The landmark.
    events : mapping of str to int
        Participants with the event by ``time_months``, per arm.
    n : mapping of str to int
        Participants the count refers to (usually those randomised), per arm.
    p_value : float, optional
        Reported between-arm p-value.
    """

    kind: ClassVar[str] = "landmark_events"
    time_months: float
    events: ArmMap
    n: ArmMap
    p_value: float | None = None

    def __post_init__(self) -> None:
        self._freeze_arm_maps("events", "n")
        self._check_common()
        self._check_time("time_months", self.time_months)
        self._check_counts_among_n("events", self.events, self.n)
        self._check_probability("p_value", self.p_value)

    @property
    def arms(self) -> tuple[str, ...]:  # noqa: D102
        return tuple(self.events)

    def rows(self) -> Iterator[dict[str, Any]]:  # noqa: D102
        yield from self._per_arm_rows("events", "n")

    def describe(self) -> str:  # noqa: D102
        counts = self._counts_text(self.events, self.n)
        return f"{self.endpoint} events by {self.time_months:g} months: {counts}"


@dataclass(frozen=True, kw_only=True)
class SurvivalEstimate(Entry):
    """A survival probability at a time point (usually Kaplan-Meier), per arm.

    Parameters
    ----------
    time_months : float
        Time of the estimate.
    survival : mapping of str to float
        Survival probability per arm, as a proportion in [0, 1].
    lower, upper : mapping of str to float, optional
        Confidence limits per arm at ``level``.
    level : float, default 0.95
        Confidence level of ``lower`` and ``upper``.
    n_risk : mapping of str to int, optional
        Numbers at risk at ``time_months``.
    n : mapping of str to int, optional
        Participants the estimate refers to at time zero.
    p_value : float, optional
        Reported between-arm p-value.
    method : {"kaplan_meier", "crude"}, default "kaplan_meier"
        ``crude`` means ``1 - events / n`` with no censoring correction.
    """

    kind: ClassVar[str] = "survival_estimates"
    time_months: float
    survival: ArmMap
    lower: ArmMap | None = None
    upper: ArmMap | None = None
    level: float = 0.95
    n_risk: ArmMap | None = None
    n: ArmMap | None = None
    p_value: float | None = None
    method: Literal["kaplan_meier", "crude"] = "kaplan_meier"

    def __post_init__(self) -> None:
        self._freeze_arm_maps("survival", "lower", "upper", "n_risk", "n")
        self._check_common()
        self._check_time("time_months", self.time_months)
        self._check_arm_map("survival", minimum=0.0, maximum=1.0)
        self._check_arm_map("lower", minimum=0.0, maximum=1.0, optional=True)
        self._check_arm_map("upper", minimum=0.0, maximum=1.0, optional=True)
        self._check_arm_map("n_risk", integer=True, minimum=0, optional=True)
        self._check_arm_map("n", integer=True, minimum=1, optional=True)
        self._check_same_arms("survival", "lower", "upper", "n_risk", "n")
        self._check_level()
        self._check_arm_intervals(self.survival)
        if self.n_risk is not None and self.n is not None:
            for arm in self.arms:
                if self.n_risk[arm] > self.n[arm]:
                    raise self._fail(f"n_risk.{arm}", "numbers at risk exceed n")
        self._check_probability("p_value", self.p_value)
        if self.method not in ("kaplan_meier", "crude"):
            raise self._fail("method", f"must be 'kaplan_meier' or 'crude', not {self.method!r}")

    @property
    def arms(self) -> tuple[str, ...]:  # noqa: D102
        return tuple(self.survival)

    def rows(self) -> Iterator[dict[str, Any]]:  # noqa: D102
        yield from self._per_arm_rows("survival", "lower", "upper", "n_risk", "n")

    def describe(self) -> str:  # noqa: D102
        values = " vs ".join(f"{100 * self.survival[a]:.0f}%" for a in self.arms)
        return f"{self.endpoint} at {self.time_months:g} months: {values}"


@dataclass(frozen=True, kw_only=True)
class ReportedRatio(Entry):
    """A reported ratio (hazard, risk or odds ratio), experimental arm versus control.

    Ratios below 1 favour the experimental arm for harmful events.

    Parameters
    ----------
    measure : {"HR", "RR", "OR"}
        The ratio measure.
    estimate : float
        Point estimate (> 0).
    lower, upper : float, optional
        Confidence limits at ``level``.
    level : float, default 0.95
    p_value : float, optional
        Two-sided p-value; used for the standard error when no interval is given.
    window_months : tuple of float, optional
        ``(start, end)`` of follow-up the ratio describes; ``None`` for all follow-up.
    estimand : {"cumulative", "interval"}, default "cumulative"
        ``cumulative`` when the ratio was estimated on all follow-up up to ``end``
        (a landmark Cox fit), ``interval`` when it describes only ``(start, end]``.
    """

    kind: ClassVar[str] = "ratios"
    measure: Literal["HR", "RR", "OR"]
    estimate: float
    lower: float | None = None
    upper: float | None = None
    level: float = 0.95
    p_value: float | None = None
    window_months: tuple[float, float] | None = None
    estimand: Literal["cumulative", "interval"] = "cumulative"

    def __post_init__(self) -> None:
        self._check_common()
        if self.measure not in ("HR", "RR", "OR"):
            raise self._fail("measure", f"must be HR, RR or OR, not {self.measure!r}")
        if not _is_number(self.estimate) or self.estimate <= 0:
            raise self._fail("estimate", f"a ratio must be positive, not {self.estimate!r}")
        self._check_level()
        self._check_interval(self.lower, self.upper, self.estimate, "lower")
        if self.lower is not None and self.lower <= 0:
            raise self._fail("lower", "ratio confidence limits must be positive")
        self._check_probability("p_value", self.p_value)
        if self.lower is None and self.p_value is None:
            raise self._fail("lower", "a ratio needs a confidence interval or a p-value")
        self._check_standard_error_source(self.estimate, 1.0)
        if self.window_months is not None:
            window = tuple(self.window_months)
            if len(window) != 2 or not all(_is_number(w) for w in window):
                raise self._fail("window_months", "must be [start, end] in months")
            if window[0] < 0:
                raise self._fail("window_months", f"start must be at least 0 (the start of "
                                 f"follow-up), got {list(window)}")
            if window[0] >= window[1]:
                raise self._fail("window_months", f"start must be below end, got {list(window)}")
            self._check_time_range("window_months", window)
            object.__setattr__(self, "window_months", (float(window[0]), float(window[1])))
        if self.estimand not in ("cumulative", "interval"):
            raise self._fail("estimand", "must be 'cumulative' or 'interval'")

    @property
    def time(self) -> float | None:  # noqa: D102
        return None if self.window_months is None else self.window_months[1]

    def rows(self) -> Iterator[dict[str, Any]]:  # noqa: D102
        yield self._row(None, self.measure.lower(), self.estimate)
        if self.lower is not None and self.upper is not None:
            yield self._row(None, "lower", self.lower)
            yield self._row(None, "upper", self.upper)
        if self.p_value is not None:
            yield self._row(None, "p_value", self.p_value)

    def describe(self) -> str:  # noqa: D102
        ci = "" if self.lower is None else f" ({self.lower:g}-{self.upper:g})"
        window = "" if self.window_months is None else f" to {self.window_months[1]:g} months"
        return f"{self.endpoint} {self.measure} {self.estimate:g}{ci}{window}"


@dataclass(frozen=True, kw_only=True)
class DigitisedCurve(Entry):
    """A Kaplan-Meier curve read off a figure, with its risk table, for one arm.

    Parameters
    ----------
    arm : str
        The arm the curve belongs to.
    times : tuple of float
        Digitised time coordinates in months.
    survival : tuple of float
        Digitised survival as proportions in [0, 1]. Small non-monotone noise is allowed
        here; :func:`bayes_scot.reconstruct_ipd` cleans it and says what it cleaned.
    risk_times : tuple of float
        Times of the risk table, starting at 0.
    n_risk : tuple of int
        Numbers at risk at ``risk_times`` (non-increasing).
    total_events : int, optional
        Total events in the arm, when reported.
    """

    kind: ClassVar[str] = "km_curves"
    arm: str
    times: tuple[float, ...]
    survival: tuple[float, ...]
    risk_times: tuple[float, ...]
    n_risk: tuple[int, ...]
    total_events: int | None = None

    def __post_init__(self) -> None:
        self._check_common()
        for name in ("times", "survival", "risk_times", "n_risk"):
            object.__setattr__(self, name, self._number_tuple(name))
        self._check_points()
        self._check_risk_table()

    def _number_tuple(self, name: str) -> tuple[float, ...]:
        """Return the field ``name`` as a tuple of finite numbers, or raise naming the bad one."""
        values = getattr(self, name)
        if isinstance(values, str | bytes) or not hasattr(values, "__len__"):
            raise self._fail(name, "must be a list of numbers")
        values = tuple(values)
        if not values:
            raise self._fail(name, "must not be empty")
        for i, v in enumerate(values):
            if not _is_number(v):
                raise self._fail(f"{name}[{i}]", f"must be a finite number, not {v!r}")
        return values

    def _check_points(self) -> None:
        """Check the lengths, the times and the survival proportions."""
        if len(self.times) != len(self.survival):
            raise self._fail("survival", "times and survival must have the same length")
        if len(self.risk_times) != len(self.n_risk):
            raise self._fail("n_risk", "risk_times and n_risk must have the same length")
        if min(self.times) < 0:
            raise self._fail("times", "times must be non-negative")
        self._check_time_range("times", self.times)
        self._check_time_range("risk_times", self.risk_times)
        for i, s in enumerate(self.survival):
            if not 0.0 <= s <= 1.0:
                raise self._fail(f"survival[{i}]", f"must be in [0, 1], not {s!r}")

    def _check_risk_table(self) -> None:
        """Check the risk table (increasing times, whole non-increasing numbers) and events."""
        if any(b <= a for a, b in zip(self.risk_times, self.risk_times[1:], strict=False)):
            raise self._fail("risk_times", "must be strictly increasing")
        for i, n in enumerate(self.n_risk):
            if n < 0 or float(n) != int(n):
                raise self._fail(f"n_risk[{i}]", f"must be a whole number >= 0, not {n!r}")
        if any(b > a for a, b in zip(self.n_risk, self.n_risk[1:], strict=False)):
            raise self._fail("n_risk", "numbers at risk must not increase over time")
        if self.total_events is not None and (
            not _is_number(self.total_events)
            or self.total_events < 0
            or self.total_events > self.n_risk[0]
        ):
            raise self._fail("total_events", "must be a whole number between 0 and n_risk[0]")

    @property
    def arms(self) -> tuple[str, ...]:  # noqa: D102
        return (self.arm,)

    @property
    def time(self) -> float | None:  # noqa: D102
        return None

    def rows(self) -> Iterator[dict[str, Any]]:  # noqa: D102
        for t, s in zip(self.times, self.survival, strict=True):
            row = self._row(self.arm, "survival", s)
            row["time_months"] = float(t)
            yield row
        for t, n in zip(self.risk_times, self.n_risk, strict=True):
            row = self._row(self.arm, "n_risk", n)
            row["time_months"] = float(t)
            yield row
        if self.total_events is not None:
            yield self._row(self.arm, "total_events", self.total_events)

    def describe(self) -> str:  # noqa: D102
        return (
            f"{self.endpoint} Kaplan-Meier curve, {self.arm}: {len(self.times)} points, "
            f"risk table at {len(self.risk_times)} times"
        )
