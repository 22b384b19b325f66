"""What every kind of evidence shares: the :class:`Entry` record and its checks.

An entry's values that differ by arm are mappings from the arm's name to the number
(:data:`ArmMap`); every check raises :class:`~bayes_scot.errors.EvidenceError` naming the
entry and the field. The kinds of evidence are in the sibling modules of
:mod:`bayes_scot.evidence.entries`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from bayes_scot.errors import EvidenceError
from bayes_scot.evidence.source import Source

__all__ = ["MAX_TIME_MONTHS", "POOLED", "Entry"]

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
            if integer and not (isinstance(value, int) or float(value).is_integer()):
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
                    "years)"
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

    def _check_standard_error_source(self, estimate: float, null: float) -> None:
        """Check that the interval or the p-value gives a standard error of the estimate.

        For an effect whose standard error the models derive from its confidence limits
        or, without them, from its p-value and its distance from ``null`` (on the log
        scale for a ratio): limits must differ, and a p-value alone must lie strictly
        between 0 and 1 with an estimate away from the null.
        """
        lower, upper = getattr(self, "lower", None), getattr(self, "upper", None)
        if lower is not None and upper is not None and not lower < upper:
            raise self._fail("lower", f"the limits [{lower!r}, {upper!r}] have no width, so "
                             "no standard error follows from them")
        p_value = getattr(self, "p_value", None)
        if lower is None and getattr(self, "se", None) is None and p_value is not None:
            if not 0 < p_value < 1:
                raise self._fail("p_value", f"a p-value of {p_value!r} gives no standard "
                                 "error: give a confidence interval")
            if estimate == null:
                raise self._fail("p_value", f"an estimate at the null ({null:g}) with only a "
                                 "p-value gives no standard error: give a confidence interval")

    def _check_arm_intervals(self, point: ArmMap) -> None:
        """Check the per-arm ``lower`` and ``upper`` limits (both or neither) of ``point``."""
        lower, upper = getattr(self, "lower", None), getattr(self, "upper", None)
        if (lower is None) != (upper is None):
            raise self._fail("upper" if upper is None else "lower",
                             "give both lower and upper confidence limits, or neither")
        if lower is not None and upper is not None:
            for arm in self.arms:
                self._check_interval(lower[arm], upper[arm], point[arm], f"lower.{arm}")

    def _freeze_arm_maps(self, *names: str) -> None:
        """Replace the per-arm mappings ``names`` by read-only copies."""
        for name in names:
            object.__setattr__(self, name, _freeze(getattr(self, name)))

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
