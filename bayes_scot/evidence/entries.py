"""The kinds of evidence a published trial reports, as frozen, validated records.

Each record describes one reported row of a paper (usually both arms of one table row)
and carries its :class:`~bayes_scot.evidence.source.Source`. Values that differ by arm are
mappings from the arm's name (``"hsct"``, ``"cyc"``; ``"pooled"`` for both arms together)
to the number. Every record checks its own numbers on construction and raises
:class:`~bayes_scot.errors.EvidenceError` naming the entry and the field; rules that span
several records (survival that rises over time, duplicated entries) are checked by
:func:`bayes_scot.evidence.validate_entries`.

No record knows about a model: how each kind enters a likelihood is documented where the
likelihood is written (:mod:`bayes_scot.likelihood`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, ClassVar, Literal

from bayes_scot.errors import EvidenceError
from bayes_scot.evidence.source import Source

__all__ = [
    "ENTRY_KINDS",
    "MAX_TIME_MONTHS",
    "POOLED",
    "DigitisedCurve",
    "EffectEstimate",
    "Entry",
    "LandmarkEvents",
    "Mcid",
    "PairwiseSummary",
    "PopulationSpread",
    "Proportion",
    "ReportedRatio",
    "SlopeSummary",
    "SurvivalEstimate",
    "VisitSummary",
    "entry_fields",
]

POOLED = "pooled"
"""Pseudo-arm name for a value reported for both arms together (e.g. a pooled baseline)."""

ArmMap = Mapping[str, float]

MAX_TIME_MONTHS: float = 1200.0
"""Latest time an entry may report, in months (100 years): a larger time is a typing or
unit error, and would put a model's time grid beyond any follow-up."""


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _freeze(mapping: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if mapping is None:
        return None
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, kw_only=True)
class Entry:
    """Fields every kind of evidence shares.

    Parameters
    ----------
    id : str
        Identifier unique within a trial file, e.g. ``"itt_efs_54"``.
    endpoint : str
        Endpoint name (see :data:`bayes_scot.evidence.ENDPOINTS`).
    population : str
        Analysis population, e.g. ``"itt"`` or ``"pp"``.
    source : Source
        Where the numbers were read.
    assumption : str, optional
        An assumption the analysis makes about this entry that the paper does not state
        (e.g. "population not stated; taken as per-protocol"). Reports show it.
    """

    kind: ClassVar[str] = "entry"
    id: str
    endpoint: str
    population: str
    source: Source
    assumption: str = ""

    # -- validation helpers -------------------------------------------------------------
    def _fail(self, field_name: str, message: str) -> EvidenceError:
        return EvidenceError(message, entry=self.id, field=field_name)

    def _check_common(self) -> None:
        for name in ("id", "endpoint", "population"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise self._fail(name, f"{name} must be a non-empty string")
        if not isinstance(self.source, Source):
            raise self._fail("source", "every entry needs a source")

    def _check_arm_map(
        self,
        name: str,
        *,
        integer: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
        positive: bool = False,
        optional: bool = False,
    ) -> None:
        mapping = getattr(self, name)
        if mapping is None:
            if optional:
                return
            raise self._fail(name, "is required")
        if not isinstance(mapping, Mapping) or not mapping:
            raise self._fail(name, "must map arm names to numbers, e.g. {hsct = 1, cyc = 2}")
        for arm, value in mapping.items():
            where = f"{name}.{arm}"
            if not _is_number(value):
                raise self._fail(where, f"must be a finite number, not {value!r}")
            if integer and float(value) != int(value):
                raise self._fail(where, f"must be a whole number, not {value!r}")
            if positive and value <= 0:
                raise self._fail(where, f"must be positive, not {value!r}")
            if minimum is not None and value < minimum:
                raise self._fail(where, f"must be at least {minimum:g}, not {value!r}")
            if maximum is not None and value > maximum:
                raise self._fail(where, f"must be at most {maximum:g}, not {value!r}")

    def _check_same_arms(self, *names: str) -> None:
        present = [n for n in names if getattr(self, n) is not None]
        if not present:
            return
        reference = set(getattr(self, present[0]))
        for name in present[1:]:
            arms = set(getattr(self, name))
            if arms != reference:
                raise self._fail(
                    name,
                    f"names arms {sorted(arms)} but {present[0]} names {sorted(reference)}",
                )

    def _check_probability(self, name: str, value: float | None) -> None:
        if value is None:
            return
        if not _is_number(value) or not 0.0 <= value <= 1.0:
            raise self._fail(name, f"must be a probability in [0, 1], not {value!r}")

    def _check_time(self, name: str, value: float | None, *, optional: bool = False) -> None:
        if value is None:
            if optional:
                return
            raise self._fail(name, "is required")
        if not _is_number(value) or value < 0:
            raise self._fail(name, f"must be a non-negative number of months, not {value!r}")
        self._check_time_range(name, (value,), indexed=False)

    def _check_time_range(self, name: str, values: tuple[float, ...], *,
                          indexed: bool = True) -> None:
        for i, value in enumerate(values):
            if value > MAX_TIME_MONTHS:
                where = f"{name}[{i}]" if indexed else name
                raise self._fail(
                    where, f"{value:g} months is beyond {MAX_TIME_MONTHS:g} months (100 "
                    "years); times are in months"
                )

    def _check_level(self) -> None:
        level = getattr(self, "level", 0.95)
        if not _is_number(level) or not 0.5 <= level < 1.0:
            raise self._fail(
                "level", f"must be a confidence level in [0.5, 1), not {level!r}"
            )

    def _check_interval(self, lower: float | None, upper: float | None, point: float | None,
                        where: str) -> None:
        if lower is None and upper is None:
            return
        if lower is None or upper is None:
            raise self._fail(where, "needs both lower and upper limits")
        if not (_is_number(lower) and _is_number(upper)):
            raise self._fail(where, "limits must be finite numbers")
        if lower > upper:
            raise self._fail(where, f"lower limit {lower!r} exceeds upper limit {upper!r}")
        if point is not None and not lower <= point <= upper:
            raise self._fail(
                where, f"interval [{lower!r}, {upper!r}] does not contain the estimate {point!r}"
            )

    # -- shared interface ---------------------------------------------------------------
    @property
    def arms(self) -> tuple[str, ...]:
        """The arms this entry reports on, in the order given."""
        return ()

    @property
    def time(self) -> float | None:
        """The time in months the entry refers to, when it has one."""
        return getattr(self, "time_months", None)

    def _row(self, arm: str | None, statistic: str, value: float, **extra: Any) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "endpoint": self.endpoint,
            "population": self.population,
            "arm": arm,
            "time_months": self.time,
            "statistic": statistic,
            "value": float(value),
            "source": self.source.label(),
            "tag": self.source.tag,
            "note": self.source.note,
            "assumption": self.assumption,
            **extra,
        }

    def _arm_rows(self, statistic: str, mapping: ArmMap | None) -> Iterator[dict[str, Any]]:
        if mapping is None:
            return
        for arm, value in mapping.items():
            yield self._row(arm, statistic, value)

    def rows(self) -> Iterator[dict[str, Any]]:
        """Yield one tidy row per reported value (see :meth:`Trial.to_frame`)."""
        yield from ()

    def _per_arm_rows(self, *names: str) -> Iterator[dict[str, Any]]:
        """Rows for the per-arm mappings ``names`` (in order), then the p-value if any."""
        for name in names:
            yield from self._arm_rows(name, getattr(self, name))
        p_value = getattr(self, "p_value", None)
        if p_value is not None:
            yield self._row(None, "p_value", p_value)

    def _check_counts_among_n(self, name: str, counts: ArmMap, n: ArmMap) -> None:
        """Check the per-arm ``counts`` (field ``name``) against the per-arm ``n``."""
        self._check_arm_map(name, integer=True, minimum=0)
        self._check_arm_map("n", integer=True, minimum=1)
        self._check_same_arms(name, "n")
        for arm, count in counts.items():
            if count > n[arm]:
                raise self._fail(
                    f"{name}.{arm}",
                    f"{name} ({count:g}) exceed the number at risk n ({n[arm]:g})",
                )

    def _counts_text(self, counts: ArmMap, n: ArmMap) -> str:
        return " vs ".join(f"{counts[a]:g}/{n[a]:g}" for a in self.arms)

    def describe(self) -> str:
        """One-line human description of what the entry reports."""
        return f"{self.kind} {self.endpoint} ({self.population})"


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
        object.__setattr__(self, "events", _freeze(self.events))
        object.__setattr__(self, "n", _freeze(self.n))
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
        for name in ("survival", "lower", "upper", "n_risk", "n"):
            object.__setattr__(self, name, _freeze(getattr(self, name)))
        self._check_common()
        self._check_time("time_months", self.time_months)
        self._check_arm_map("survival", minimum=0.0, maximum=1.0)
        self._check_arm_map("lower", minimum=0.0, maximum=1.0, optional=True)
        self._check_arm_map("upper", minimum=0.0, maximum=1.0, optional=True)
        self._check_arm_map("n_risk", integer=True, minimum=0, optional=True)
        self._check_arm_map("n", integer=True, minimum=1, optional=True)
        self._check_same_arms("survival", "lower", "upper", "n_risk", "n")
        self._check_level()
        if (self.lower is None) != (self.upper is None):
            raise self._fail("upper" if self.upper is None else "lower",
                             "give both lower and upper confidence limits, or neither")
        if self.lower is not None and self.upper is not None:
            for arm in self.arms:
                self._check_interval(self.lower[arm], self.upper[arm], self.survival[arm],
                                     f"lower.{arm}")
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
        if self.window_months is not None:
            window = tuple(self.window_months)
            if len(window) != 2 or not all(_is_number(w) for w in window):
                raise self._fail("window_months", "must be [start, end] in months")
            if not 0 <= window[0] < window[1]:
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
            values = getattr(self, name)
            if isinstance(values, str | bytes) or not hasattr(values, "__len__"):
                raise self._fail(name, "must be a list of numbers")
            values = tuple(values)
            if not values:
                raise self._fail(name, "must not be empty")
            for i, v in enumerate(values):
                if not _is_number(v):
                    raise self._fail(f"{name}[{i}]", f"must be a finite number, not {v!r}")
            object.__setattr__(self, name, values)
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


@dataclass(frozen=True, kw_only=True)
class VisitSummary(Entry):
    """Summary of a continuous endpoint at one visit, per arm.

    Parameters
    ----------
    time_months : float
        The visit (0 for baseline).
    statistic : {"mean", "change"}
        ``mean``: the level at the visit; ``change``: change from baseline.
    mean : mapping of str to float
        The mean level or mean change, per arm (``"pooled"`` for both arms together).
    sd, se : mapping of str to float, optional
        Standard deviation or standard error of ``mean``, per arm.
    lower, upper : mapping of str to float, optional
        Confidence limits of ``mean`` at ``level``, per arm.
    level : float, default 0.95
    n : mapping of str to int, optional
        Participants measured at the visit, per arm.
    p_value : float, optional
        Between-arm p-value for the difference at this visit.
    """

    kind: ClassVar[str] = "visit_summaries"
    time_months: float
    statistic: Literal["mean", "change"]
    mean: ArmMap
    sd: ArmMap | None = None
    se: ArmMap | None = None
    lower: ArmMap | None = None
    upper: ArmMap | None = None
    level: float = 0.95
    n: ArmMap | None = None
    p_value: float | None = None

    def __post_init__(self) -> None:
        for name in ("mean", "sd", "se", "lower", "upper", "n"):
            object.__setattr__(self, name, _freeze(getattr(self, name)))
        self._check_common()
        self._check_time("time_months", self.time_months)
        if self.statistic not in ("mean", "change"):
            raise self._fail("statistic", f"must be 'mean' or 'change', not {self.statistic!r}")
        self._check_arm_map("mean")
        self._check_arm_map("sd", positive=True, optional=True)
        self._check_arm_map("se", positive=True, optional=True)
        self._check_arm_map("lower", optional=True)
        self._check_arm_map("upper", optional=True)
        self._check_arm_map("n", integer=True, minimum=1, optional=True)
        self._check_same_arms("mean", "sd", "se", "lower", "upper", "n")
        self._check_level()
        if (self.lower is None) != (self.upper is None):
            raise self._fail("upper" if self.upper is None else "lower",
                             "give both lower and upper confidence limits, or neither")
        if self.lower is not None and self.upper is not None:
            for arm in self.arms:
                self._check_interval(self.lower[arm], self.upper[arm], self.mean[arm],
                                     f"lower.{arm}")
        self._check_probability("p_value", self.p_value)

    @property
    def arms(self) -> tuple[str, ...]:  # noqa: D102
        return tuple(self.mean)

    def rows(self) -> Iterator[dict[str, Any]]:  # noqa: D102
        yield from self._arm_rows(self.statistic, self.mean)
        yield from self._per_arm_rows("sd", "se", "lower", "upper", "n")

    def describe(self) -> str:  # noqa: D102
        values = " vs ".join(f"{self.mean[a]:g}" for a in self.arms)
        return f"{self.endpoint} {self.statistic} at {self.time_months:g} months: {values}"


@dataclass(frozen=True, kw_only=True)
class SlopeSummary(Entry):
    """Rate of change of a continuous endpoint, per arm and/or as a between-arm contrast.

    Parameters
    ----------
    slope_per_year : mapping of str to float, optional
        Slope per arm, in the endpoint's unit per year.
    se : mapping of str to float, optional
        Standard error of each arm's slope.
    n : mapping of str to int, optional
        Participants per arm.
    difference : float, optional
        Experimental minus control slope, when reported as a contrast.
    difference_se : float, optional
        Its standard error.
    p_value : float, optional
        Two-sided p-value of the between-arm difference in slopes.
    window_months : tuple of float, optional
        Follow-up over which the slopes were estimated.
    """

    kind: ClassVar[str] = "slopes"
    slope_per_year: ArmMap | None = None
    se: ArmMap | None = None
    n: ArmMap | None = None
    difference: float | None = None
    difference_se: float | None = None
    p_value: float | None = None
    window_months: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        for name in ("slope_per_year", "se", "n"):
            object.__setattr__(self, name, _freeze(getattr(self, name)))
        self._check_common()
        self._check_arm_map("slope_per_year", optional=True)
        self._check_arm_map("se", positive=True, optional=True)
        self._check_arm_map("n", integer=True, minimum=1, optional=True)
        self._check_same_arms("slope_per_year", "se", "n")
        if self.slope_per_year is None and self.difference is None:
            raise self._fail("slope_per_year", "give per-arm slopes or a difference")
        if self.difference is not None and not _is_number(self.difference):
            raise self._fail("difference", "must be a finite number")
        if self.difference_se is not None and (
            not _is_number(self.difference_se) or self.difference_se <= 0
        ):
            raise self._fail("difference_se", "must be a positive number")
        self._check_probability("p_value", self.p_value)
        if self.window_months is not None:
            window = tuple(self.window_months)
            if (
                len(window) != 2
                or not all(_is_number(w) for w in window)
                or window[0] >= window[1]
            ):
                raise self._fail("window_months", "must be [start, end] in months, start < end")
            self._check_time_range("window_months", window)
            object.__setattr__(self, "window_months", (float(window[0]), float(window[1])))

    @property
    def arms(self) -> tuple[str, ...]:  # noqa: D102
        return tuple(self.slope_per_year or ())

    @property
    def time(self) -> float | None:  # noqa: D102
        return None if self.window_months is None else self.window_months[1]

    def rows(self) -> Iterator[dict[str, Any]]:  # noqa: D102
        yield from self._arm_rows("slope_per_year", self.slope_per_year)
        yield from self._arm_rows("se", self.se)
        yield from self._arm_rows("n", self.n)
        if self.difference is not None:
            yield self._row(None, "slope_difference", self.difference)
        if self.difference_se is not None:
            yield self._row(None, "slope_difference_se", self.difference_se)
        if self.p_value is not None:
            yield self._row(None, "p_value", self.p_value)

    def describe(self) -> str:  # noqa: D102
        if self.slope_per_year:
            values = " vs ".join(f"{self.slope_per_year[a]:+g}" for a in self.arms)
        else:
            values = f"difference {self.difference:+g}"
        return f"{self.endpoint} slope per year: {values}"


@dataclass(frozen=True, kw_only=True)
class PairwiseSummary(Entry):
    """Summary of all between-arm pairwise comparisons (e.g. a global rank composite).

    Parameters
    ----------
    time_months : float
        Time at which patients were compared.
    percent_favourable : mapping of str to float, optional
        Percentage of pairs favouring each arm (ties excluded or absent), per arm.
    n : mapping of str to int
        Patients per arm (pairs = product).
    p_value : float, optional
        Two-sided p-value of the comparison.
    median, minimum, maximum : mapping of str to float, optional
        Median and range of each arm's score.

    Notes
    -----
    Some reports give only each arm's median score and a p-value (no percentages of
    pairs); such an entry gives ``median`` and leaves ``percent_favourable`` out. At least
    one of the two is required.
    """

    kind: ClassVar[str] = "pairwise"
    time_months: float
    n: ArmMap
    percent_favourable: ArmMap | None = None
    p_value: float | None = None
    median: ArmMap | None = None
    minimum: ArmMap | None = None
    maximum: ArmMap | None = None

    def __post_init__(self) -> None:
        for name in ("percent_favourable", "n", "median", "minimum", "maximum"):
            object.__setattr__(self, name, _freeze(getattr(self, name)))
        self._check_common()
        self._check_time("time_months", self.time_months)
        if self.percent_favourable is None and self.median is None:
            raise self._fail(
                "percent_favourable", "give the percentages of pairs favouring each arm "
                "or each arm's median score"
            )
        self._check_arm_map("percent_favourable", minimum=0.0, maximum=100.0, optional=True)
        self._check_arm_map("n", integer=True, minimum=1)
        for name in ("median", "minimum", "maximum"):
            self._check_arm_map(name, optional=True)
        self._check_same_arms("n", "percent_favourable", "median", "minimum", "maximum")
        if self.percent_favourable is not None:
            total = sum(self.percent_favourable.values())
            if total > 100.0 + 0.15:
                raise self._fail("percent_favourable", f"percentages add up to {total:g} > 100")
        if self.median is not None and self.minimum is not None and self.maximum is not None:
            for arm in self.arms:
                if not self.minimum[arm] <= self.median[arm] <= self.maximum[arm]:
                    raise self._fail(f"median.{arm}", "median lies outside the range")
        self._check_probability("p_value", self.p_value)

    @property
    def arms(self) -> tuple[str, ...]:  # noqa: D102
        return tuple(self.n)

    @property
    def n_pairs(self) -> int:
        """Number of between-arm pairs compared."""
        return int(math.prod(int(v) for v in self.n.values()))

    def rows(self) -> Iterator[dict[str, Any]]:  # noqa: D102
        yield from self._arm_rows("percent_favourable", self.percent_favourable)
        yield from self._arm_rows("n", self.n)
        for name in ("median", "minimum", "maximum"):
            yield from self._arm_rows(name, getattr(self, name))
        if self.p_value is not None:
            yield self._row(None, "p_value", self.p_value)

    def describe(self) -> str:  # noqa: D102
        if self.percent_favourable is None:
            medians = " vs ".join(f"{self.median[a]:g}" for a in self.arms)  # type: ignore[index]
            return f"{self.endpoint} at {self.time_months:g} months, median score: {medians}"
        values = " vs ".join(f"{self.percent_favourable[a]:g}%" for a in self.arms)
        return f"{self.endpoint} at {self.time_months:g} months, pairs favouring: {values}"


@dataclass(frozen=True, kw_only=True)
class Proportion(Entry):
    """Participants with a binary outcome among ``n``, per arm.

    Parameters
    ----------
    count : mapping of str to int
        Participants with the outcome.
    n : mapping of str to int
        Participants assessed.
    time_months : float, optional
        When the outcome was assessed (by this time).
    p_value : float, optional
        Reported between-arm p-value.
    """

    kind: ClassVar[str] = "proportions"
    count: ArmMap
    n: ArmMap
    time_months: float | None = None
    p_value: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "count", _freeze(self.count))
        object.__setattr__(self, "n", _freeze(self.n))
        self._check_common()
        self._check_time("time_months", self.time_months, optional=True)
        self._check_counts_among_n("count", self.count, self.n)
        self._check_probability("p_value", self.p_value)

    @property
    def arms(self) -> tuple[str, ...]:  # noqa: D102
        return tuple(self.count)

    def rows(self) -> Iterator[dict[str, Any]]:  # noqa: D102
        yield from self._per_arm_rows("count", "n")

    def describe(self) -> str:  # noqa: D102
        return f"{self.endpoint}: {self._counts_text(self.count, self.n)}"


@dataclass(frozen=True, kw_only=True)
class EffectEstimate(Entry):
    """An external between-group estimate on the endpoint's own scale (a mean difference).

    Used for evidence from other studies that enters an analysis only as a discounted
    prior, never as data of the trial being reanalysed.

    Parameters
    ----------
    time_months : float, optional
        Time point of the estimate.
    statistic : {"mean_difference", "change_difference"}
        What ``estimate`` is: a difference in levels or in changes from baseline,
        experimental minus comparator.
    estimate : float
        The difference.
    se : float, optional
        Its standard error.
    lower, upper : float, optional
        Confidence limits at ``level``.
    level : float, default 0.95
    design : {"randomised", "observational", "single_arm"}
        Study design, which a prior's discounting should reflect.
    comparator : str
        What the experimental arm was compared with.
    """

    kind: ClassVar[str] = "effect_estimates"
    statistic: Literal["mean_difference", "change_difference"]
    estimate: float
    time_months: float | None = None
    se: float | None = None
    lower: float | None = None
    upper: float | None = None
    level: float = 0.95
    p_value: float | None = None
    design: Literal["randomised", "observational", "single_arm"] = "observational"
    comparator: str = ""

    def __post_init__(self) -> None:
        self._check_common()
        self._check_time("time_months", self.time_months, optional=True)
        if self.statistic not in ("mean_difference", "change_difference"):
            raise self._fail("statistic", "must be 'mean_difference' or 'change_difference'")
        if not _is_number(self.estimate):
            raise self._fail("estimate", "must be a finite number")
        if self.se is not None and (not _is_number(self.se) or self.se <= 0):
            raise self._fail("se", f"must be positive, not {self.se!r}")
        self._check_level()
        self._check_interval(self.lower, self.upper, self.estimate, "lower")
        self._check_probability("p_value", self.p_value)
        if self.design not in ("randomised", "observational", "single_arm"):
            raise self._fail("design", "must be randomised, observational or single_arm")

    def rows(self) -> Iterator[dict[str, Any]]:  # noqa: D102
        yield self._row(None, self.statistic, self.estimate)
        for name in ("se", "lower", "upper", "p_value"):
            value = getattr(self, name)
            if value is not None:
                yield self._row(None, name, value)

    def describe(self) -> str:  # noqa: D102
        se = "" if self.se is None else f" ± {self.se:g}"
        return f"{self.endpoint} {self.statistic} {self.estimate:+g}{se} ({self.design})"


@dataclass(frozen=True, kw_only=True)
class PopulationSpread(Entry):
    """A between-patient standard deviation of an endpoint in the disease population.

    Parameters
    ----------
    sd : float
        Standard deviation on the endpoint's scale.
    """

    kind: ClassVar[str] = "population_spread"
    sd: float

    def __post_init__(self) -> None:
        self._check_common()
        if not _is_number(self.sd) or self.sd <= 0:
            raise self._fail("sd", f"must be positive, not {self.sd!r}")

    def rows(self) -> Iterator[dict[str, Any]]:  # noqa: D102
        yield self._row(None, "sd", self.sd)

    def describe(self) -> str:  # noqa: D102
        return f"{self.endpoint} between-patient SD {self.sd:g}"


@dataclass(frozen=True, kw_only=True)
class Mcid(Entry):
    """A minimal clinically important difference, with its sourced range.

    Parameters
    ----------
    value : float
        The default margin used by the package (positive, in the endpoint's unit).
    low, high : float, optional
        The published range.
    direction : {"improvement", "worsening", "either"}, default "either"
        Which change the margin was established for.
    """

    kind: ClassVar[str] = "mcids"
    value: float
    low: float | None = None
    high: float | None = None
    direction: Literal["improvement", "worsening", "either"] = "either"

    def __post_init__(self) -> None:
        self._check_common()
        if not _is_number(self.value) or self.value <= 0:
            raise self._fail("value", f"an MCID must be positive, not {self.value!r}")
        self._check_interval(self.low, self.high, None, "low")
        if self.direction not in ("improvement", "worsening", "either"):
            raise self._fail("direction", "must be improvement, worsening or either")

    def rows(self) -> Iterator[dict[str, Any]]:  # noqa: D102
        yield self._row(None, "mcid", self.value)
        if self.low is not None and self.high is not None:
            yield self._row(None, "mcid_low", self.low)
            yield self._row(None, "mcid_high", self.high)

    def describe(self) -> str:  # noqa: D102
        rng = "" if self.low is None else f" (range {self.low:g}-{self.high:g})"
        return f"{self.endpoint} MCID {self.value:g}{rng}"


ENTRY_KINDS: dict[str, type[Entry]] = {
    cls.kind: cls
    for cls in (
        LandmarkEvents,
        SurvivalEstimate,
        ReportedRatio,
        DigitisedCurve,
        VisitSummary,
        SlopeSummary,
        PairwiseSummary,
        Proportion,
        EffectEstimate,
        PopulationSpread,
        Mcid,
    )
}
"""Map from a trial file's table name (``[[landmark_events]]``) to its record type."""


def entry_fields(kind: type[Entry]) -> dict[str, Any]:
    """Return the dataclass fields of an entry type keyed by name (for loaders and docs)."""
    return {f.name: f for f in fields(kind)}

