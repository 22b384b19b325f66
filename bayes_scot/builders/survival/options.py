"""Options, design constants and prior grid of the survival models.

The model itself is described in :mod:`bayes_scot.builders.survival.model`.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import (
    DigitisedCurve,
    LandmarkEvents,
    ReportedRatio,
    SurvivalEstimate,
    Trial,
)
from bayes_scot.evidence.entries import MAX_TIME_MONTHS
from bayes_scot.stats.illness_death import (
    TRANSITIONS,
)
from bayes_scot.stats.priors import EffectPrior, prior_grid

__all__ = [
    "BASELINE_HAZARDS",
    "DEFAULT_BOUNDARIES",
    "DESIGN_HAZARD_RATIO",
    "HAZARD_RATIO_MARGIN",
    "MARGIN_OPTIONS",
    "MARGIN_SOURCES",
    "MAX_ESTIMAND_TIMES",
    "MAX_INTERVALS",
    "MAX_LOG_HAZARD",
    "PACKAGE_DEFAULT",
    "SurvivalOptions",
    "baseline_fixed_scales",
    "check_months",
    "follow_up",
    "hazard_ratio_prior_data",
    "hazard_ratio_prior_grid",
    "ratio_only_warnings",
    "time_unit_notes",
]

DEFAULT_BOUNDARIES: tuple[float, ...] = (0.0, 3.0, 12.0, 24.0, 54.0, 72.0)
"""SCOT's interval grid in months (set by the shipped specs): the transplant period, the
first year, the second year, to SCOT's primary landmark, to the end of SCOT's follow-up."""

PACKAGE_DEFAULT = "package default; review"
"""Source label of margins and design values that no publication fixes."""

DESIGN_HAZARD_RATIO = 0.5
"""Design hazard ratio of an endpoint whose event is harmful, when the options set none."""

HAZARD_RATIO_MARGIN = 0.8
"""Clinically important hazard ratio of an endpoint whose event is harmful, when unset."""

_BY_DIRECTION = {"design_hazard_ratio": DESIGN_HAZARD_RATIO,
                 "hazard_ratio_margin": HAZARD_RATIO_MARGIN}
"""The options on an endpoint's benefit side of 1, and their values for a harmful event."""

MARGIN_OPTIONS: dict[str, str] = {"hazard_ratio_": "hazard_ratio_margin",
                                  "survival_difference_": "survival_margin"}
"""The option whose value is an estimand's MCID, by the start of the estimand's name."""

MARGIN_SOURCES: dict[str, str] = {"hazard_ratio_margin": "hazard_ratio_margin_source",
                                  "survival_margin": "survival_margin_source"}
"""Each margin's own source option (unset: ``margin_source``)."""

MAX_INTERVALS = 50
"""Most intervals of a grid (51 boundaries): the model's graph grows with the intervals, and
arm-level evidence cannot inform more (SCOT's grid has five)."""

MAX_ESTIMAND_TIMES = 200
"""Most estimand times, and most RMST horizons: every time adds estimands to every fit."""

MAX_LOG_HAZARD = 20.0
"""Largest magnitude of a prior mean log hazard per month: ``exp(-20)`` is one event in
about 40,000 centuries, ``exp(20)`` about 500 million a month; beyond either the value is a
unit or typing error."""

_TRD = "treatment_related_death"
_EFS, _OS = "efs", "os"


@dataclass(frozen=True, kw_only=True)
class SurvivalOptions:
    r"""Structure and prior hyperparameters of :class:`SurvivalModel`.

    Parameters
    ----------
    interval_boundaries_months : tuple of float, optional
        Interval grid, starting at 0; hazards are constant within an interval and the last
        interval's hazards continue beyond its end. Unset: taken from the trial's
        follow-up (:meth:`with_follow_up`; for the one-endpoint model,
        :class:`~bayes_scot.builders.piecewise_exponential.PiecewiseExponentialModel`).
        At most :data:`MAX_INTERVALS` (50) intervals, each boundary finite and at most
        1,200 months (the bound of a trial file's times).
    population : str, default "itt"
        The analysis population. One fit uses one population; summaries of another
        population (per-protocol beside intention-to-treat) never enter it.
    baseline_log_hazard_mean : tuple of float, optional
        Prior means of the control arm's log hazards per month in the first interval, per
        transition (organ failure, death while event-free, death after organ failure).
        Unset: :data:`BASELINE_HAZARDS` (0.5%, 0.3% and 2% per month) scaled by the
        trial's own pooled crude EFS hazard over their sum (:func:`follow_up`). Each
        finite and within :data:`MAX_LOG_HAZARD` (20) of 0: ``exp(+-20)`` per month is
        beyond any hazard, so a larger value is a unit or typing error.
    baseline_log_hazard_sd : float, default 1.5
        Prior SD around those means (a factor of about 20 either way at 95%).
    baseline_smoothing_sd : float, default 0.4
        SD of the random-walk step of the baseline log hazards from one interval to the
        next (a factor of about 2.2 either way at 95%). It is fixed, not estimated: five
        intervals of arm-level counts cannot inform a random-walk SD, and a hierarchical
        SD left a funnel that the sampler explored poorly.
    effect_pooling_scale : float, default 0.5
        Half-normal scale of :math:`\\tau_t`, the SD of the interval deviations of the log
        hazard ratio: the shrinkage towards proportional hazards.
    transition_effect_scale : float, default 0.5
        Half-normal scale of :math:`\\sigma_\\nu`, the SD of the transition deviations of
        the illness-death model (which event ends event-free survival, and the death
        hazard after organ failure) from the EFS effect; its 95th percentile, 0.98, is a
        factor of 2.7 on the hazard ratio.
    borrowing : {"exchangeable", "regimen", "none"}, default "exchangeable"
        With several trials: exchangeable trial effects around the common one;
        ``"regimen"`` adds a term for trials whose experimental regimen differs from the
        first trial's (myeloablative vs non-myeloablative); ``"none"`` gives every trial
        its own effect with the grid prior (no borrowing). Ignored for one trial.
    heterogeneity_scale : float, default 0.5
        Half-normal scale of the between-trial SD :math:`\\tau` on the log hazard ratio
        scale (Turner et al.; Röver et al.).
    regimen_effect_sd : float, default 0.5
        SD of the regimen term :math:`\\gamma`.
    design_hazard_ratio : float, optional
        Hoped-for hazard ratio (experimental over control) that defines the optimistic
        and pessimistic priors, on the endpoint's benefit side: below 1 when its event is
        harmful (``better = "higher"``: death, organ failure, progression), above 1 when
        the event is wanted (``better = "lower"``: healing, response). Unset:
        :data:`DESIGN_HAZARD_RATIO`, or its reciprocal when the event is wanted (package
        default; review). See :meth:`benefit_hazard_ratios`.
    reference_sd : float, default 1.0
        SD of the weakly informative reference prior on the log of the EFS average hazard ratio.
    hazard_ratio_margin : float, optional
        Hazard ratio beyond which a benefit is clinically important, on the same side of
        1 as the benefit. Unset: :data:`HAZARD_RATIO_MARGIN`, or its reciprocal when the
        event is wanted (package default; review).
    survival_margin : float, default 0.10
        Survival difference above which a benefit is clinically important (package
        default; review); strictly between 0 and 1.
    margin_source : str
        Where the margins come from: the source of each margin whose own source option
        below is unset.
    hazard_ratio_margin_source : str, optional
        Where ``hazard_ratio_margin`` comes from. Unset: ``margin_source``.
    survival_margin_source : str, optional
        Where ``survival_margin`` comes from. Unset: ``margin_source``.
    estimand_times_months : tuple of float, optional
        Unset: the times the trial reports data at (round times up to the last datum
        for digitised curves of one endpoint). Times beyond the last datum are reported
        as extrapolation.
    rmst_horizons_months : tuple of float, optional
        Unset: the last estimand time. Estimand times and RMST horizons are positive,
        finite, at most 1,200 months, and at most :data:`MAX_ESTIMAND_TIMES` (200) of each.
    reported_ratios : {"when_no_counts", "none"}, default "when_no_counts"
        A reported cumulative hazard ratio enters only for a trial that reports no
        landmark counts of that endpoint in the population (the counts already hold those
        patients); ``"none"`` leaves every ratio out.
    model : {"auto", "illness_death", "piecewise_exponential"}, default "auto"
        Which survival model runs: ``"auto"`` chooses from the evidence (EFS and OS of the
        same patients: the illness-death model; one time-to-event endpoint: the
        one-endpoint piecewise-exponential model), see :func:`survival_model`.
    endpoint : str, optional
        The endpoint of the one-endpoint model, when the trial reports several.
    effect_structure : {"per_transition", "common", "independent"}, default "per_transition"
        How the log hazard ratio varies: partially pooled deviations by transition and
        interval (illness-death) or by interval (one endpoint) around the endpoint's
        event-weighted average (default); ``"common"``: one log hazard ratio for every
        transition and interval (proportional hazards); ``"independent"`` (illness-death
        only): no pooling between transitions, death after organ failure with its own
        log hazard ratio under the same named prior.
    structure_sensitivity : tuple of str, default all three structures
        Effect structures under which a reanalysis also fits the illness-death model with
        the reference prior, for the report's sensitivity table of EFS and OS
        (:func:`bayes_scot.results.structure_sensitivity`); ``()`` fits none.
    """

    interval_boundaries_months: tuple[float, ...] | None = None
    population: str = "itt"
    baseline_log_hazard_mean: tuple[float, float, float] | None = None
    baseline_log_hazard_sd: float = 1.5
    baseline_smoothing_sd: float = 0.4
    effect_pooling_scale: float = 0.5
    transition_effect_scale: float = 0.5
    borrowing: Literal["exchangeable", "regimen", "none"] = "exchangeable"
    heterogeneity_scale: float = 0.5
    regimen_effect_sd: float = 0.5
    design_hazard_ratio: float | None = None
    reference_sd: float = 1.0
    hazard_ratio_margin: float | None = None
    survival_margin: float = 0.10
    margin_source: str = PACKAGE_DEFAULT
    hazard_ratio_margin_source: str | None = None
    survival_margin_source: str | None = None
    estimand_times_months: tuple[float, ...] | None = None
    rmst_horizons_months: tuple[float, ...] | None = None
    reported_ratios: Literal["when_no_counts", "none"] = "when_no_counts"
    model: Literal["auto", "illness_death", "piecewise_exponential"] = "auto"
    endpoint: str | None = None
    effect_structure: Literal["per_transition", "common", "independent"] = "per_transition"
    structure_sensitivity: tuple[str, ...] = ("common", "per_transition", "independent")

    def __post_init__(self) -> None:
        self._check_grid()
        self._check_choices()
        self._check_scales()
        self._check_times()
        self._check_sources()

    def _check_grid(self) -> None:
        """Check the interval grid: finite months from 0, increasing, few intervals."""
        if self.interval_boundaries_months is not None:
            edges = check_months(self.interval_boundaries_months, "interval_boundaries_months",
                                 most=MAX_INTERVALS + 1, noun="boundaries")
            if len(edges) < 2 or edges[0] != 0.0 or any(
                b <= a for a, b in itertools.pairwise(edges)
            ):
                raise EvidenceError(
                    f"must start at 0 and increase, got {list(edges)}",
                    field="interval_boundaries_months",
                )
            object.__setattr__(self, "interval_boundaries_months", edges)

    def _check_choices(self) -> None:
        """Check the options that name one of a few choices."""
        for name, allowed in (
            ("model", ("auto", "illness_death", "piecewise_exponential")),
            ("effect_structure", ("per_transition", "common", "independent")),
        ):
            if getattr(self, name) not in allowed:
                raise EvidenceError(
                    f"must be one of {', '.join(map(repr, allowed))}, not "
                    f"{getattr(self, name)!r}", field=name,
                )
        unknown = set(self.structure_sensitivity) - {"per_transition", "common", "independent"}
        if unknown:
            raise EvidenceError(
                f"{sorted(unknown)} are not effect structures; use 'per_transition', "
                "'common' or 'independent'", field="structure_sensitivity",
            )
        object.__setattr__(self, "structure_sensitivity", tuple(self.structure_sensitivity))
        if self.borrowing not in ("exchangeable", "regimen", "none"):
            raise EvidenceError(
                f"must be 'exchangeable', 'regimen' or 'none', not {self.borrowing!r}",
                field="borrowing",
            )
        if self.reported_ratios not in ("when_no_counts", "none"):
            raise EvidenceError("must be 'when_no_counts' or 'none'", field="reported_ratios")

    def _check_scales(self) -> None:
        """Check the baseline means, positive scales, hazard ratios and survival margin."""
        self._check_baseline_means()
        for name in (
            "baseline_log_hazard_sd", "baseline_smoothing_sd", "effect_pooling_scale",
            "transition_effect_scale", "heterogeneity_scale", "regimen_effect_sd",
            "reference_sd", "design_hazard_ratio", "hazard_ratio_margin",
        ):  # fmt: skip
            value = getattr(self, name)
            if value is None and name in _BY_DIRECTION:
                continue
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise EvidenceError(f"must be a positive number, not {value!r}", field=name)
            if name in _BY_DIRECTION and value == 1:
                raise EvidenceError("a hazard ratio of 1 is no benefit", field=name)
        margin = self.survival_margin
        if not (isinstance(margin, int | float) and 0.0 < margin < 1.0):
            raise EvidenceError(
                f"a survival difference must lie strictly between 0 and 1, not {margin!r}",
                field="survival_margin",
            )

    def _check_sources(self) -> None:
        """Check the margins' sources: each given one is a line of text."""
        for name in ("margin_source", *MARGIN_SOURCES.values()):
            value = getattr(self, name)
            if value is None and name != "margin_source":
                continue
            if not (isinstance(value, str) and value.strip() and "\n" not in value):
                raise EvidenceError(f"must be one line of text, not {value!r}", field=name)

    def margin_source_of(self, estimand: str) -> str | None:
        """Return the source of the margin that is an estimand's MCID.

        Parameters
        ----------
        estimand : str
            The estimand's name (``"hazard_ratio_common"``, ``"hazard_ratio_0_3"``,
            ``"survival_difference_12"``).

        Returns
        -------
        str or None
            ``hazard_ratio_margin_source`` for a hazard ratio, ``survival_margin_source``
            for a survival difference, each ``margin_source`` when unset; ``None`` for an
            estimand whose MCID no margin sets.
        """
        for prefix, margin in MARGIN_OPTIONS.items():
            if estimand.startswith(prefix):
                own: str | None = getattr(self, MARGIN_SOURCES[margin])
                return self.margin_source if own is None else own
        return None

    def _check_baseline_means(self) -> None:
        """Check the baseline log hazard means: one per transition, near 0 (finite)."""
        means = self.baseline_log_hazard_mean
        if means is None:
            return
        if len(means) != len(TRANSITIONS):
            raise EvidenceError("needs one value per transition", field="baseline_log_hazard_mean")
        for value in means:
            if not (isinstance(value, int | float) and abs(value) <= MAX_LOG_HAZARD):
                raise EvidenceError(
                    f"log hazards per month must be finite, within {MAX_LOG_HAZARD:g} of 0 "
                    f"(log 0.5% per month is -5.3), not {value!r}",
                    field="baseline_log_hazard_mean",
                )

    def benefit_hazard_ratios(
        self, better: Literal["higher", "lower"] = "higher"
    ) -> tuple[float, float]:
        """Return the design hazard ratio and the margin on an endpoint's benefit side.

        Parameters
        ----------
        better : {"higher", "lower"}, default "higher"
            The endpoint's direction on the survival scale (the probability of being
            still free of the event; :attr:`~bayes_scot.evidence.Endpoint.event_wanted`):
            ``"higher"`` when its event is harmful, so that a hazard ratio below 1
            favours the experimental arm; ``"lower"`` when the event is wanted, so that
            a hazard ratio above 1 does.

        Returns
        -------
        design_hazard_ratio, hazard_ratio_margin : float
            The options' values, or for those unset :data:`DESIGN_HAZARD_RATIO` and
            :data:`HAZARD_RATIO_MARGIN` (their reciprocals when the event is wanted).

        Raises
        ------
        EvidenceError
            When a value set is on the harm side of 1 for this direction.
        """
        wanted = better == "lower"
        resolved = []
        for name, default in _BY_DIRECTION.items():
            value = getattr(self, name)
            if value is None:
                value = 1.0 / default if wanted else default
            elif (value > 1) != wanted:
                side, event = ("above", "wanted") if wanted else ("below", "harmful")
                raise EvidenceError(
                    f"a hazard ratio {side} 1 favours the experimental arm on an endpoint "
                    f"whose event is {event}, not {value:g}", field=name)
            resolved.append(float(value))
        return resolved[0], resolved[1]

    def _check_times(self) -> None:
        """Check the estimand times and RMST horizons: few, positive, finite months."""
        for name in ("estimand_times_months", "rmst_horizons_months"):
            if getattr(self, name) is None:
                continue
            values = check_months(getattr(self, name), name, most=MAX_ESTIMAND_TIMES)
            if any(t <= 0 for t in values):
                raise EvidenceError("times must be positive", field=name)
            object.__setattr__(self, name, values)

    @property
    def interval_labels(self) -> tuple[str, ...]:
        """Interval names such as ``"0-3"``, ``"54-72"`` (months)."""
        edges = self.interval_boundaries_months or DEFAULT_BOUNDARIES
        return tuple(f"{a:g}-{b:g}" for a, b in itertools.pairwise(edges))

    def with_follow_up(self, trial: Trial) -> SurvivalOptions:
        """Return these options with every unset grid and baseline taken from the trial.

        Parameters
        ----------
        trial : Trial
            The target trial in the analysis population.

        Returns
        -------
        SurvivalOptions
            Unset intervals: 0 and the times at which the trial reports EFS or OS;
            estimand times: those times; RMST horizon: the last of them; baseline log
            hazards: :data:`BASELINE_HAZARDS` scaled to the trial's pooled crude EFS
            hazard (see :func:`follow_up`).
        """
        times, efs = follow_up(trial)
        baseline = self.baseline_log_hazard_mean
        if baseline is None:
            scale = 1.0
            if efs is not None:
                t, s = efs
                crude = -math.log(min(max(s, 1e-3), 1.0 - 1e-3)) / t
                scale = crude / (BASELINE_HAZARDS[0] + BASELINE_HAZARDS[1])
            baseline = tuple(math.log(h * scale) for h in BASELINE_HAZARDS)  # type: ignore[assignment]
        return dataclasses.replace(
            self,
            interval_boundaries_months=self.interval_boundaries_months or (0.0, *times),
            estimand_times_months=self.estimand_times_months or times,
            rmst_horizons_months=self.rmst_horizons_months or times[-1:],
            baseline_log_hazard_mean=baseline,
        )


BASELINE_HAZARDS: tuple[float, float, float] = (0.005, 0.003, 0.02)
"""Relative sizes of the three control-arm hazards per month (organ failure, death while
event-free, death after organ failure), from SCOT's design; an unset baseline prior keeps
their proportions and takes its level from the trial's own EFS data."""


def check_months(values: Iterable[float], field: str, *, most: int, noun: str = "times",
                 error: type[EvidenceError] = EvidenceError) -> tuple[float, ...]:
    """Return times in months as floats, refusing what no follow-up holds.

    Parameters
    ----------
    values : iterable of float
        The option's times, in months.
    field : str
        The option, named by the error.
    most : int
        How many times the option may hold.
    noun : str, default "times"
        What the times are, for the error ("boundaries", "visits").
    error : type of EvidenceError, default EvidenceError
        The error raised (the caller's, e.g. :class:`~bayes_scot.errors.SpecError`).

    Returns
    -------
    tuple of float

    Raises
    ------
    EvidenceError
        (``error``) When there are more than ``most`` values, or one is not a finite
        number of at most :data:`~bayes_scot.evidence.entries.MAX_TIME_MONTHS` months (the
        bound of a trial file's times).
    """
    try:
        times = tuple(float(t) for t in values)
    except (TypeError, ValueError):
        raise error(f"must be a list of months, not {values!r}", field=field) from None
    if len(times) > most:
        raise error(f"{len(times):,} {noun}; at most {most:,}", field=field)
    for t in times:
        if not math.isfinite(t):
            raise error(f"{noun} must be finite months, not {t!r}", field=field)
        if t > MAX_TIME_MONTHS:
            raise error(
                f"{t:g} months is beyond {MAX_TIME_MONTHS:g} months (100 years); "
                "times are in months", field=field,
            )
    return times


def follow_up(trial: Trial) -> tuple[tuple[float, ...], tuple[float, float] | None]:
    """Return the times a trial reports EFS or OS at, and its pooled EFS at the last one.

    Parameters
    ----------
    trial : Trial
        One population view.

    Returns
    -------
    times : tuple of float
        Sorted times (months) of landmark counts, survival estimates, hazard-ratio
        windows and digitised curves' last points of EFS or OS.
    efs : (float, float) or None
        ``(t, S)``: the pooled EFS (both arms, from the last landmark count or the mean of
        the last survival estimate), the scale of the baseline hazards; ``None`` without
        EFS counts or estimates.

    Raises
    ------
    EvidenceError
        When the trial reports no EFS or OS at any time.
    """
    times: set[float] = set()
    efs: tuple[float, float] | None = None
    for e in sorted(trial.entries, key=lambda x: x.time or 0.0):
        if e.endpoint not in (_EFS, _OS):
            continue
        if isinstance(e, LandmarkEvents | SurvivalEstimate):
            times.add(float(e.time_months))
            if e.endpoint == _EFS and isinstance(e, LandmarkEvents):
                efs = (float(e.time_months), 1.0 - sum(e.events.values()) / sum(e.n.values()))
            elif e.endpoint == _EFS and isinstance(e, SurvivalEstimate):
                efs = (float(e.time_months), float(np.mean(list(e.survival.values()))))
        elif isinstance(e, ReportedRatio) and e.window_months is not None:
            times.add(float(e.window_months[1]))
        elif isinstance(e, DigitisedCurve):
            times.add(float(max(e.times)))
    if not times:
        raise EvidenceError(
            f"trial {trial.name!r} reports EFS and OS at no time; set the survival "
            "options interval_boundaries_months and estimand_times_months",
            file=trial.path, field="survival",
        )
    return tuple(sorted(times)), efs


def ratio_only_warnings(options: SurvivalOptions, what: str) -> list[str]:
    """Return the warnings of a fit whose trial gives an endpoint only as hazard ratios.

    Hazard ratios identify no survival level: per-arm survival, survival differences and
    RMST would follow the baseline-hazard prior, so a model reports only hazard ratios
    then, and names the estimand times and RMST horizons the options asked for as not
    estimated.

    Parameters
    ----------
    options : SurvivalOptions
        The options as the specification gave them (before any follow-up fills them).
    what : str
        What the trial gives, e.g. ``"trial X gives only hazard ratios"``.

    Returns
    -------
    list of str
        One line each, prefixed ``"survival: "``.
    """
    lines = [f"survival: {what}, which identify no survival level (that would follow the "
             "baseline-hazard prior): only hazard ratios are reported, no survival, "
             "survival difference or RMST"]
    requested = [f"{name} {list(value)}"
                 for name in ("estimand_times_months", "rmst_horizons_months")
                 if (value := getattr(options, name))]
    if requested:
        lines.append(f"survival: {' and '.join(requested)} not estimated: {what}")
    return lines


def time_unit_notes(trials: Iterable[Trial]) -> list[str]:
    """Return one line per trial whose file gave its times in another unit than months."""
    from bayes_scot.data.loader import TIME_UNITS

    return [
        f"Times in {t.name}'s file are in {t.time_unit}, converted to months when it was "
        f"loaded (1 {t.time_unit.removesuffix('s')} = {TIME_UNITS[t.time_unit]:.4g} months)."
        for t in trials if t.time_unit != "months"
    ]


def baseline_fixed_scales(
    options: SurvivalOptions,
) -> tuple[tuple[str, float, tuple[str, ...]], ...]:
    """Return the fixed prior scales both survival models share, and what each scales.

    For :func:`bayes_scot.builders.base.fixed_scales`: the control arm's baseline level
    and its random walk over intervals, and the half-normal scale of the interval
    deviations of the hazard ratio.
    """
    return (
        ("baseline_log_hazard_sd", options.baseline_log_hazard_sd, ("baseline_level_z",)),
        ("baseline_smoothing_sd", options.baseline_smoothing_sd, ("baseline_walk_z",)),
        ("effect_pooling_scale", options.effect_pooling_scale, ("effect_pooling_raw",)),
    )


def hazard_ratio_prior_grid(
    options: SurvivalOptions, better: Literal["higher", "lower"] = "higher"
) -> dict[str, EffectPrior]:
    """Return the named grid of 13 priors on a log hazard ratio, from the design values.

    Parameters
    ----------
    options : SurvivalOptions
    better : {"higher", "lower"}, default "higher"
        The endpoint's direction: ``"higher"`` when its event is harmful (a lower log
        hazard ratio favours the experimental arm), ``"lower"`` when the event is
        wanted (a higher one does).

    Returns
    -------
    dict of str to EffectPrior
        From :func:`bayes_scot.stats.priors.prior_grid` with the options' design hazard
        ratio, margin (:meth:`SurvivalOptions.benefit_hazard_ratios`) and reference SD.
    """
    design, margin = options.benefit_hazard_ratios(better)
    return prior_grid(
        design_effect=math.log(design),
        benefit="lower" if better == "higher" else "higher",
        reference_sd=options.reference_sd,
        mcid=math.log(margin),
        measure="HR",
    )


def hazard_ratio_prior_data(
    prior: EffectPrior | Mapping[str, EffectPrior], effect_parameters: Sequence[str]
) -> dict[str, np.ndarray]:
    """Values of the data containers of a prior on the log hazard ratio ``log_hr``.

    Parameters
    ----------
    prior : EffectPrior or mapping of str to EffectPrior
        A prior on the log hazard ratio, or a mapping ``{"log_hr": prior}``.
    effect_parameters : sequence of str
        The model's effect parameters (to name them in the error).

    Returns
    -------
    dict of str to numpy.ndarray
        ``{"log_hr_prior_mean": ..., "log_hr_prior_sd": ...}``.
    """
    if isinstance(prior, Mapping):
        unknown = set(prior) - set(effect_parameters)
        if unknown:
            raise EvidenceError(
                f"no effect parameter named {sorted(unknown)}; this model has "
                f"{list(effect_parameters)}",
                field="prior",
            )
        prior = prior["log_hr"]
    return {
        "log_hr_prior_mean": np.asarray(prior.mean, dtype=float),
        "log_hr_prior_sd": np.asarray(prior.sd, dtype=float),
    }

