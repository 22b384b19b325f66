"""Evidence on a continuous endpoint: summaries at a visit and slopes over follow-up."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from bayes_scot.evidence.entries.base import ArmMap, Entry, _is_number

__all__ = ["SlopeSummary", "VisitSummary"]


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
        self._freeze_arm_maps("mean", "sd", "se", "lower", "upper", "n")
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
        self._check_arm_intervals(self.mean)
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
        self._freeze_arm_maps("slope_per_year", "se", "n")
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
