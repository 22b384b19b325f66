"""Evidence from outside the trial, used for priors and margins.

Effect estimates of other studies, the between-patient spread of an endpoint and minimal
clinically important differences.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from bayes_scot.evidence.entries.base import Entry, _is_number

__all__ = ["EffectEstimate", "Mcid", "PopulationSpread"]


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
        self._check_standard_error_source(self.estimate, 0.0)
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
        The published range, which holds ``value``.
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
        if self.low is not None and self.high is not None and not (
                self.low <= self.value <= self.high):
            raise self._fail("value", f"{self.value:g} lies outside its published range "
                             f"{self.low:g}-{self.high:g}")
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
