"""Shares of pairs and of participants, per arm.

Pairwise-comparison summaries (a global rank composite's percentages of pairs favouring
each arm) and proportions of participants with a binary outcome.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from bayes_scot.evidence.entries.base import ArmMap, Entry

__all__ = ["PairwiseSummary", "Proportion"]


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
        self._freeze_arm_maps("percent_favourable", "n", "median", "minimum", "maximum")
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
                if self.minimum[arm] > self.maximum[arm]:
                    raise self._fail(f"minimum.{arm}", f"minimum {self.minimum[arm]:g} exceeds "
                                     f"maximum {self.maximum[arm]:g}")
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
        self._freeze_arm_maps("count", "n")
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
