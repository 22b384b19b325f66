r"""Joint model of event-free and overall survival on arm-level evidence.

:class:`SurvivalModel` builds one PyMC model of an illness-death process (event-free ->
organ failure -> death, event-free -> death) with piecewise-constant transition hazards,
for one trial or several. Event-free survival is the probability of the event-free state
and overall survival the probability of being alive, so :math:`S_{OS}(t) \ge S_{EFS}(t)`
in every posterior draw.

Model (trial :math:`s`, transition :math:`j` = 01 organ failure, 02 death while
event-free, 12 death after organ failure, interval :math:`k`; control arm hazards
:math:`h^{(0)}`, experimental arm hazards :math:`h^{(1)}`):

.. math::

    \log h^{(0)}_{sjk} &= m_j + \sigma_0 z_{sj} + \sum_{l=1}^{k} \sigma_{rw} w_{sjl}
        && \text{(random walk across intervals)} \\
    h^{(1)}_{s,01,k} + h^{(1)}_{s,02,k} &= e^{\beta_{sk}}
        \bigl(h^{(0)}_{s,01,k} + h^{(0)}_{s,02,k}\bigr)
        && \text{(EFS: the hazard of leaving the event-free state)} \\
    \operatorname{logit} \pi^{(1)}_{sk} &= \operatorname{logit} \pi^{(0)}_{sk} + \psi,
        \quad \pi = \frac{h_{02}}{h_{01} + h_{02}}
        && \text{(which event ends event-free survival)} \\
    \beta_{sk} &= \theta_s + \tau_t \bigl(u_k - \textstyle\sum_l \omega_l u_l\bigr)
        && \text{(EFS log hazard ratio in interval } k) \\
    \log h^{(1)}_{s,12,k} &= \log h^{(0)}_{s,12,k} + \theta_s + \nu
        + \tau_t \bigl(v_k - \textstyle\sum_l \omega_l v_l\bigr)
        && \text{(death after organ failure)} \\
    \theta_s &= \mu + \gamma r_s + \tau \eta_s
        && \text{(trial effect; } r_s \text{ regimen indicator)} \\
    \mu &\sim N(\mu_0, s_0^2)
        && \text{(the prior grid)} \\
    \psi, \nu \sim N(0, \sigma_\nu^2),\ \sigma_\nu &\sim HN(s_\nu),\
        \tau_t \sim HN(s_t),\ \tau \sim HN(\cdot),\ z, w, u, v, \eta \sim N(0, 1),

with :math:`\sigma_0` and :math:`\sigma_{rw}` fixed (options) and :math:`\omega_k` the
expected share of the target trial's EFS events in interval :math:`k`
(:func:`bayes_scot.stats.kaplan_meier.event_shares`, from its pooled EFS).

The prior grid applies to :math:`\mu`, and because the interval deviations sum to zero
with the weights :math:`\omega`, :math:`\theta_s = \sum_k \omega_k \beta_{sk}` *is* the
event-weighted average log hazard ratio of event-free survival over follow-up: the
quantity a Cox model of EFS estimates, reported as the EFS ``hazard_ratio_common``. So a
named prior's statement ("5% probability that the hazard ratio is below 0.8") holds on
that reported estimand exactly, and a sceptical prior shrinks the overall EFS effect the
data see rather than a part the deviations can route around. The transition deviations
(:math:`\psi`: HSCT changes which event ends EFS; :math:`\nu`: HSCT changes the death
hazard after organ failure) have a hierarchical SD :math:`\sigma_\nu` (half-normal, scale
``transition_effect_scale``); the interval deviations one, :math:`\tau_t` (scale
``effect_pooling_scale``). ``effect_structure`` chooses between this partially pooled
structure (``"per_transition"``), proportional hazards with one effect for every
transition (``"common"``: :math:`\psi = \nu = \tau_t = 0`), and ``"independent"``
effects (:math:`\psi \sim N(0, s_0^{\mathrm{ref}\,2})` unpooled, and death after organ
failure its own log hazard ratio :math:`\lambda` with the named prior in place of
:math:`\theta_s + \nu`). Overall survival has no parameter of its own: its hazard ratio
and survival difference follow from all three transitions, and their prior
probabilities are shown beside the posterior ones.

Every parameterisation is non-centred; every prior hyperparameter and every evidence
value is a data container, so the whole prior grid and any refit on data of the same
shape reuse one compilation (:func:`bayes_scot.fitting.compile_model` with
:attr:`SurvivalModel.structure_key`).

How each kind of evidence enters, and why no patient counts twice, is in
:mod:`bayes_scot.likelihood.survival` and in the evidence log
(:attr:`SurvivalModel.evidence_log`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from bayes_scot.builders._graph import running_sum
from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import (
    ALL_POPULATIONS,
    DigitisedCurve,
    Entry,
    LandmarkEvents,
    Proportion,
    ReportedRatio,
    SurvivalEstimate,
    Trial,
)
from bayes_scot.likelihood import survival as lik
from bayes_scot.stats.estimands import EstimandDraws
from bayes_scot.stats.illness_death import (
    TRANSITIONS,
    restricted_mean_survival,
    state_probabilities,
)
from bayes_scot.stats.kaplan_meier import event_shares
from bayes_scot.stats.priors import EffectPrior, prior_grid

__all__ = [
    "BASELINE_HAZARDS",
    "DEFAULT_BOUNDARIES",
    "PACKAGE_DEFAULT",
    "SurvivalModel",
    "SurvivalOptions",
    "borrowing_table",
    "hazard_ratio_prior_data",
    "hazard_ratio_prior_grid",
    "survival_model",
]

DEFAULT_BOUNDARIES: tuple[float, ...] = (0.0, 3.0, 12.0, 24.0, 54.0, 72.0)
"""SCOT's interval grid in months (set by the shipped specs): the transplant period, the
first year, the second year, to SCOT's primary landmark, to the end of SCOT's follow-up."""

PACKAGE_DEFAULT = "package default; review"
"""Source label of margins and design values that no publication fixes."""

_TRD = "treatment_related_death"
_EFS, _OS = "efs", "os"
_REPRODUCE_COLUMNS = (
    "trial", "entry", "endpoint", "population", "arm", "time_months", "statistic",
    "published", "median", "lower", "upper", "outside", "used", "note",
)  # fmt: skip


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
    population : str, default "itt"
        The analysis population. One fit uses one population; summaries of another
        population (per-protocol beside intention-to-treat) never enter it.
    baseline_log_hazard_mean : tuple of float, optional
        Prior means of the control arm's log hazards per month in the first interval, per
        transition (organ failure, death while event-free, death after organ failure).
        Unset: :data:`BASELINE_HAZARDS` (0.5%, 0.3% and 2% per month) scaled by the
        trial's own pooled crude EFS hazard over their sum (:func:`follow_up`).
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
    design_hazard_ratio : float, default 0.5
        Hoped-for hazard ratio that defines the optimistic and pessimistic priors
        (package default; review).
    reference_sd : float, default 1.0
        SD of the weakly informative reference prior on the common log hazard ratio.
    hazard_ratio_margin : float, default 0.8
        Hazard ratio below which a benefit is clinically important (package default;
        review).
    survival_margin : float, default 0.10
        Survival difference above which a benefit is clinically important (package
        default; review).
    margin_source : str
        Where the margins come from.
    estimand_times_months : tuple of float, optional
        Unset: the times the trial reports data at (round times up to the last datum
        for digitised curves of one endpoint). Times beyond the last datum are reported
        as extrapolation.
    rmst_horizons_months : tuple of float, optional
        Unset: the last estimand time.
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
    design_hazard_ratio: float = 0.5
    reference_sd: float = 1.0
    hazard_ratio_margin: float = 0.8
    survival_margin: float = 0.10
    margin_source: str = PACKAGE_DEFAULT
    estimand_times_months: tuple[float, ...] | None = None
    rmst_horizons_months: tuple[float, ...] | None = None
    reported_ratios: Literal["when_no_counts", "none"] = "when_no_counts"
    model: Literal["auto", "illness_death", "piecewise_exponential"] = "auto"
    endpoint: str | None = None
    effect_structure: Literal["per_transition", "common", "independent"] = "per_transition"
    structure_sensitivity: tuple[str, ...] = ("common", "per_transition", "independent")

    def __post_init__(self) -> None:
        if self.interval_boundaries_months is not None:
            edges = tuple(float(b) for b in self.interval_boundaries_months)
            if len(edges) < 2 or edges[0] != 0.0 or any(
                b <= a for a, b in itertools.pairwise(edges)
            ):
                raise EvidenceError(
                    f"must start at 0 and increase, got {list(edges)}",
                    field="interval_boundaries_months",
                )
            object.__setattr__(self, "interval_boundaries_months", edges)
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
        if self.baseline_log_hazard_mean is not None and len(
            self.baseline_log_hazard_mean
        ) != len(TRANSITIONS):
            raise EvidenceError("needs one value per transition", field="baseline_log_hazard_mean")
        for name in (
            "baseline_log_hazard_sd", "baseline_smoothing_sd", "effect_pooling_scale",
            "transition_effect_scale", "heterogeneity_scale", "regimen_effect_sd",
            "reference_sd", "design_hazard_ratio", "hazard_ratio_margin",
        ):  # fmt: skip
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise EvidenceError(f"must be a positive number, not {value!r}", field=name)
        if not self.design_hazard_ratio < 1 or not self.hazard_ratio_margin < 1:
            raise EvidenceError(
                "a beneficial hazard ratio is below 1", field="design_hazard_ratio"
            )
        if self.borrowing not in ("exchangeable", "regimen", "none"):
            raise EvidenceError(
                f"must be 'exchangeable', 'regimen' or 'none', not {self.borrowing!r}",
                field="borrowing",
            )
        if self.reported_ratios not in ("when_no_counts", "none"):
            raise EvidenceError("must be 'when_no_counts' or 'none'", field="reported_ratios")
        for name in ("estimand_times_months", "rmst_horizons_months"):
            if getattr(self, name) is None:
                continue
            values = tuple(float(t) for t in getattr(self, name))
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


def time_unit_notes(trials: Iterable[Trial]) -> list[str]:
    """Return one line per trial whose file gave its times in another unit than months."""
    from bayes_scot.data.loader import TIME_UNITS

    return [
        f"Times in {t.name}'s file are in {t.time_unit}, converted to months when it was "
        f"loaded (1 {t.time_unit.removesuffix('s')} = {TIME_UNITS[t.time_unit]:.4g} months)."
        for t in trials if t.time_unit != "months"
    ]


def hazard_ratio_prior_grid(options: SurvivalOptions) -> dict[str, EffectPrior]:
    """Return the named grid of 13 priors on a log hazard ratio, from the design values.

    Parameters
    ----------
    options : SurvivalOptions

    Returns
    -------
    dict of str to EffectPrior
        From :func:`bayes_scot.stats.priors.prior_grid` with the options' design hazard
        ratio, margin and reference SD; a lower log hazard ratio favours the experimental
        arm.
    """
    return prior_grid(
        design_effect=math.log(options.design_hazard_ratio),
        benefit="lower",
        reference_sd=options.reference_sd,
        mcid=math.log(options.hazard_ratio_margin),
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


def survival_model(
    trials: Trial | Sequence[Trial], *, options: SurvivalOptions | None = None
) -> SurvivalModel | Any:
    """Build the survival model the evidence calls for.

    Parameters
    ----------
    trials : Trial or sequence of Trial
        The target trial first (see :class:`SurvivalModel`).
    options : SurvivalOptions, optional
        ``options.model`` may force a model; ``"auto"`` (default) decides from the
        target trial's time-to-event evidence in ``options.population``.

    Returns
    -------
    SurvivalModel or PiecewiseExponentialModel
        The illness-death model (:class:`SurvivalModel`) when the target trial reports
        both EFS and OS (the same patients' two endpoints); otherwise the one-endpoint
        model (:class:`~bayes_scot.builders.piecewise_exponential.PiecewiseExponentialModel`)
        of its single time-to-event endpoint (or ``options.endpoint``). The model's
        assumptions and evidence log name the model that ran.

    Raises
    ------
    EvidenceError
        When the trial reports no usable time-to-event evidence (one line), or the
        one-endpoint model is asked to borrow from other trials.
    """
    from bayes_scot.builders.piecewise_exponential import (
        PiecewiseExponentialModel,
        survival_endpoints,
    )

    options = options or SurvivalOptions()
    all_trials = (trials,) if isinstance(trials, Trial) else tuple(trials)
    if not all_trials:
        raise EvidenceError("a survival model needs at least one trial", field="trials")
    target = all_trials[0]
    view = (target if target.population == options.population
            or options.population not in target.populations
            else target.with_population(options.population))
    found = survival_endpoints(view)
    choice = options.model
    if choice == "auto":
        both = {_EFS, _OS} <= set(found) and options.endpoint is None
        choice = "illness_death" if both else "piecewise_exponential"
    if choice == "illness_death":
        return SurvivalModel(all_trials, options=options)
    if len(all_trials) > 1:
        raise EvidenceError(
            "the one-endpoint survival model fits one trial; borrowing from other trials "
            "needs EFS and OS (the illness-death model)", field="trials",
        )
    return PiecewiseExponentialModel(target, options=options)


def _pooled_survival(trial: Trial) -> list[tuple[float, float]]:
    """Pooled (both arms) EFS points ``(t, S(t))`` of a trial, or OS points without EFS."""
    points: dict[str, dict[float, float]] = {_EFS: {}, _OS: {}}
    for e in trial.entries:
        if e.endpoint not in points:
            continue
        if isinstance(e, LandmarkEvents):
            points[e.endpoint][float(e.time_months)] = 1.0 - sum(e.events.values()) / sum(
                e.n.values()
            )
        elif isinstance(e, SurvivalEstimate):
            points[e.endpoint][float(e.time_months)] = float(np.mean(list(e.survival.values())))
    chosen = points[_EFS] or points[_OS]
    return sorted(chosen.items())


# -- the evidence plan ----------------------------------------------------------------------
@dataclass
class _Term:
    """One likelihood term of one trial: what it reads, and the data it holds."""

    kind: str
    trial: int
    entries: tuple[str, ...]
    data: dict[str, np.ndarray]
    times: tuple[float, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Use:
    trial: str
    entry: str
    used: bool
    term: str
    note: str


def _landmark_series(
    entries: Iterable[Entry], arms: Sequence[str]
) -> dict[float, dict[str, LandmarkEvents]]:
    series: dict[float, dict[str, LandmarkEvents]] = defaultdict(dict)
    for e in entries:
        if (
            isinstance(e, LandmarkEvents)
            and e.endpoint in (_EFS, _OS)
            and all(a in e.events for a in arms)
        ):
            series[float(e.time_months)][e.endpoint] = e
    return dict(sorted(series.items()))


def _states(efs: LandmarkEvents, os_: LandmarkEvents, arms: Sequence[str]) -> np.ndarray:
    rows = []
    for arm in arms:
        n = efs.n[arm]
        if os_.n[arm] != n:
            raise EvidenceError(
                f"EFS and OS counts by {efs.time_months:g} months refer to different n "
                f"({n:g} vs {os_.n[arm]:g}) in arm {arm!r}",
                entry=os_.id,
                field=f"n.{arm}",
            )
        d_efs, d_os = efs.events[arm], os_.events[arm]
        if d_os > d_efs:
            raise EvidenceError(
                f"deaths ({d_os:g}) exceed EFS events ({d_efs:g}) in arm {arm!r}: every "
                "death is an EFS event",
                entry=os_.id,
                field=f"events.{arm}",
            )
        rows.append([n - d_efs, d_efs - d_os, d_os])
    return np.asarray(rows, dtype=float)


class SurvivalModel:
    """Joint EFS/OS illness-death model of one trial or several, built once.

    Parameters
    ----------
    trials : Trial or sequence of Trial
        The first trial is the target (e.g. SCOT): estimands refer to it. Further trials
        (ASTIS, ASSIST) share the common effect through ``options.borrowing``. A trial
        loaded with ``population="all"`` keeps its other populations' summaries for
        :meth:`reproduce`; only ``options.population`` enters the likelihood.
    options : SurvivalOptions, optional

    Attributes
    ----------
    model : pymc.Model
        Dims ``trial``, ``arm`` (experimental first), ``interval``, ``transition``,
        ``month``. Free parameters are the non-centred ones; deterministics include
        ``hazard`` (trial, arm, interval, transition), ``log_hazard_ratio`` (trial,
        transition, interval), ``survival_efs`` and ``survival_os`` (trial, arm, month).
    effect_parameters : tuple of str
        ``("log_hr",)``: the common log hazard ratio that carries the prior grid.
    structure_key : tuple
        Identifies the model's structure (not its data): pass it to
        :func:`bayes_scot.fitting.compile_model` so that models of the same structure
        share one compilation.
    evidence_log : pandas.DataFrame
        One row per evidence entry of the trials: whether it entered the likelihood, as
        which term, and why (or why not).

    Examples
    --------
    >>> from bayes_scot.data import load_trial
    >>> from bayes_scot.fitting import compile_model
    >>> scot = SurvivalModel(load_trial("scot"))
    >>> compiled = compile_model(scot.model, key=scot.structure_key)  # doctest: +SKIP
    >>> idata = compiled.sample(scot.prior_data(scot.prior_grid()["reference"]), seed=1)
    ... # doctest: +SKIP
    """

    effect_parameters: tuple[str, ...] = ("log_hr",)
    model_name = "illness-death model (event-free, alive after organ failure, dead)"
    curve_variables: Mapping[str, str] = {_EFS: "survival_efs", _OS: "survival_os"}
    """Endpoint -> posterior variable holding S(t) by arm (``Reanalysis.curves``)."""

    recommended_target_accept: float = 0.95
    """NUTS target acceptance for fits of this model. At the package default of 0.9 the
    SCOT fits showed a few divergent transitions where large random-walk steps of the
    baseline meet the zero-event interval from 48 to 54 months; at 0.95 there were none,
    and bulk ESS was about twice as high for about 1.5 times the time."""

    def __init__(
        self, trials: Trial | Sequence[Trial], *, options: SurvivalOptions | None = None
    ) -> None:
        self.options = options or SurvivalOptions()
        all_trials = (trials,) if isinstance(trials, Trial) else tuple(trials)
        if not all_trials:
            raise EvidenceError("a survival model needs at least one trial", field="trials")
        self._all_trials = all_trials
        self._uses: list[_Use] = []
        self.trials = self._select_trials(all_trials)
        self.options = self.options.with_follow_up(self.trials[0])
        self.target = self.trials[0]
        self.arms = (self.target.experimental, self.target.control)
        self._terms = self._plan()
        if not any(term.trial == 0 for term in self._terms):
            raise EvidenceError(
                f"trial {self.target.name!r} has no usable EFS or OS evidence in population "
                f"{self.options.population!r}", file=self.target.path, field="survival",
            )
        self.last_datum = max(
            (max(term.times) for term in self._terms if term.trial == 0 and term.times),
            default=self.horizon,
        )
        self.max_count = int(
            max(
                max(int(t.n(a, self.options.population)) for a in (t.experimental, t.control))
                for t in self.trials
            )
        )
        self.curve_months = np.unique(
            np.concatenate(
                [
                    np.arange(0.0, max(self.horizon, 1.0) + 1e-9, 1.0),
                    np.asarray(self.options.estimand_times_months),
                    np.asarray(self.options.interval_boundaries_months),
                ]
            )
        )
        self.event_weights = event_shares(
            np.asarray(self.options.interval_boundaries_months), _pooled_survival(self.target)
        )
        if self.options.effect_structure == "independent":
            self.effect_parameters = ("log_hr", "log_hr_after_failure")
        self.model = self._build()
        self.structure_key = self._structure_key()

    # -- evidence ---------------------------------------------------------------------------
    @property
    def likelihood_terms(self) -> tuple[_Term, ...]:
        """The likelihood terms in the order that numbers their data containers (read only).

        Each has ``kind``, ``trial``, ``entries``, ``data``, ``times`` and ``extra``.
        """
        return tuple(self._terms)

    @property
    def horizon(self) -> float:
        """Last boundary of the interval grid, in months."""
        return float(self.boundaries[-1])

    @property
    def boundaries(self) -> tuple[float, ...]:
        """The interval grid in months (the options' or :data:`DEFAULT_BOUNDARIES`)."""
        return self.options.interval_boundaries_months or DEFAULT_BOUNDARIES

    @property
    def evidence_log(self) -> pd.DataFrame:
        """Which evidence entered the likelihood, as which term, and why (or why not)."""
        return pd.DataFrame(
            [vars(u) for u in self._uses], columns=["trial", "entry", "used", "term", "note"]
        )

    def _log(self, trial: Trial, entry: Entry | str, used: bool, term: str, note: str) -> None:
        entry_id = entry if isinstance(entry, str) else entry.id
        self._uses.append(_Use(trial.name, entry_id, used, term, note))

    def _select_trials(self, trials: Sequence[Trial]) -> tuple[Trial, ...]:
        population = self.options.population
        selected = []
        for i, trial in enumerate(trials):
            if trial.population not in (ALL_POPULATIONS, population):
                raise EvidenceError(
                    f"the trial was loaded for population {trial.population!r} but the "
                    f"model is for {population!r}; load it with population='all' or "
                    f"{population!r}",
                    file=trial.path,
                    field="population",
                )
            if population not in trial.populations:
                raise EvidenceError(
                    f"trial {trial.name!r} has no population {population!r}",
                    file=trial.path,
                    field="population",
                )
            view = trial.with_population(population)
            has_survival = any(
                isinstance(e, LandmarkEvents | SurvivalEstimate | ReportedRatio | DigitisedCurve)
                and e.endpoint in (_EFS, _OS)
                for e in view.entries
            )
            if i > 0 and not has_survival:
                for e in view.entries:
                    self._log(trial, e, False, "", "the trial reports no survival evidence "
                              "for this population; it is left out of the model")
                continue
            selected.append(view)
        return tuple(selected)

    def _plan(self) -> list[_Term]:
        terms: list[_Term] = []
        for s, trial in enumerate(self.trials):
            terms.extend(self._plan_trial(s, trial))
        return terms

    def _plan_trial(self, s: int, trial: Trial) -> list[_Term]:
        arms = (trial.experimental, trial.control)
        n = np.array([trial.n(a) for a in arms], dtype=float)
        e: Any  # entries of several kinds pass through the same loop variables
        group: Any
        time: Any
        terms: list[_Term] = []
        handled: set[str] = set()
        series = _landmark_series(trial.entries, arms)
        # Landmark counts: the first unconditionally, each later one given the one before.
        previous: tuple[float, str, np.ndarray] | None = None  # (time, form, values)
        previous_ids: tuple[str, ...] = ()
        for time, group in series.items():
            form = "states" if len(group) == 2 else next(iter(group))
            ids = tuple(e.id for e in group.values())
            handled.update(ids)
            if form == "states":
                values = _states(group[_EFS], group[_OS], arms)
            else:
                entry = group[form]
                values = np.array([[entry.n[a], entry.events[a]] for a in arms], dtype=float)
            if previous is None:
                if form == "states":
                    terms.append(_Term("landmark_states", s, ids, {"counts": values}, (time,)))
                    note = ("EFS and OS counts of the same patients: one multinomial over "
                            "(event-free, alive after organ failure, dead); assumes no "
                            "censoring before the landmark")
                else:
                    terms.append(_Term("landmark_events", s, ids, {"counts": values}, (time,),
                                       {"endpoint": form}))
                    note = "binomial among n; assumes no censoring before the landmark"
                for e in group.values():
                    self._log(trial, e, True, terms[-1].kind, note)
            else:
                t0, form0, values0 = previous
                term = self._conditional(s, form0, values0, form, values, (t0, time), ids)
                if term is None:
                    # A sequence the model cannot condition exactly: keep the later,
                    # cumulative landmark alone so that no patient counts twice.
                    terms = [x for x in terms if not set(x.entries) & set(previous_ids)]
                    for e_id in previous_ids:
                        self._log(trial, e_id, False, "", f"superseded by the cumulative "
                                  f"counts by {time:g} months of the same patients")
                    kind = "landmark_states" if form == "states" else "landmark_events"
                    term = _Term(kind, s, ids, {"counts": values}, (time,), {"endpoint": form})
                    note = "cumulative counts; the earlier landmark of the same patients "
                    note += "was left out"
                else:
                    note = (f"only what happened between {t0:g} and {time:g} months is new: "
                            "conditional on the earlier landmark of the same patients")
                    if np.array_equal(values, values0):
                        note += " (no new events: evidence of low hazards in that interval)"
                terms.append(term)
                for e in group.values():
                    self._log(trial, e, True, term.kind, note)
            previous = (time, form, values)
            previous_ids = ids
        last_time = previous[0] if previous else 0.0
        last_states = (
            previous[2] / n[:, None] if previous is not None and previous[1] == "states"
            else None
        )
        # Kaplan-Meier (or crude) survival estimates.
        km: dict[float, dict[str, SurvivalEstimate]] = defaultdict(dict)
        for e in trial.entries:
            if isinstance(e, SurvivalEstimate) and e.endpoint in (_EFS, _OS):
                if not all(a in e.survival for a in arms):
                    self._log(trial, e, False, "", "does not report both arms")
                    continue
                if float(e.time_months) in series or e.time_months < last_time:
                    self._log(trial, e, False, "", "the same patients are already in the "
                              f"landmark counts by {last_time:g} months")
                    continue
                km[float(e.time_months)][e.endpoint] = e
        start_time = last_time if previous is not None else 0.0
        start = last_states
        if previous is not None and last_states is None:
            # After an EFS-only or OS-only landmark the state split is unknown.
            for group in km.values():
                for e in group.values():
                    self._log(trial, e, False, "", "follows counts of a single endpoint; "
                              "the state split it would be conditioned on is unknown")
            km = {}
        km_groups = sorted(km.items())
        for _, group in km_groups[1:]:
            # A second estimate would have to be conditioned on the first one's state
            # split, which a Kaplan-Meier estimate does not give.
            for e in group.values():
                self._log(trial, e, False, "", f"follows the estimates at {km_groups[0][0]:g} "
                          "months of the same patients; predicted in reproduce()")
        for time, group in km_groups[:1]:
            endpoints = tuple(sorted(group))
            observed = np.zeros((2, 3))
            n_eff = np.zeros(2)
            rules = []
            for i, arm in enumerate(arms):
                sizes = []
                for e in group.values():
                    size, rule = lik.effective_sample_size(
                        e.survival[arm],
                        lower=None if e.lower is None else e.lower[arm],
                        upper=None if e.upper is None else e.upper[arm],
                        level=e.level,
                        n_risk=None if e.n_risk is None else e.n_risk[arm],
                        n=(e.n or {}).get(arm, n[i]),
                    )
                    sizes.append(size)
                    rules.append(rule)
                n_eff[i] = min(sizes)
                s_efs = group[_EFS].survival[arm] if _EFS in group else np.nan
                s_os = group[_OS].survival[arm] if _OS in group else np.nan
                observed[i] = [s_efs, s_os, np.nan]
            aggregation = _aggregation(endpoints)
            terms.append(
                _Term(
                    "survival_estimates", s, tuple(e.id for e in group.values()),
                    {"observed": observed[:, :2], "effective_n": n_eff,
                     "start": (start if start is not None else _start_at_zero(len(arms)))},
                    (start_time, time), {"endpoints": endpoints, "aggregation": aggregation},
                )
            )
            cond = (f"conditional on the state counts at {start_time:g} months; "
                    if start is not None else "")
            for e in group.values():
                handled.add(e.id)
                self._log(trial, e, True, "survival_estimates",
                          f"{cond}binomial/multinomial with effective sample size from "
                          f"{sorted(set(rules))[0]}")
        # Treatment-related deaths: only their timing adds information.
        death_landmarks = [
            (t, g) for t, g in series.items() if _OS in g
        ]
        timing_used = False
        trd_entries = sorted(
            (e for e in trial.entries if e.endpoint == _TRD),
            key=lambda e: np.inf if e.time is None else e.time,
        )
        for e in trd_entries:
            if timing_used:
                self._log(trial, e, False, "", "the same treatment-related deaths as an "
                          "earlier report, which carries their timing")
                continue
            count = getattr(e, "events", None) or getattr(e, "count", None)
            time = e.time
            if not isinstance(e, LandmarkEvents | Proportion) or count is None or time is None:
                self._log(trial, e, False, "", "a treatment-related death is already among "
                          "the deaths; without a time it adds no information")
                continue
            later = [(t, g) for t, g in death_landmarks if t > time]
            if not later:
                self._log(trial, e, False, "", "a subset of the deaths already counted by "
                          "the same landmark; adds no information")
                continue
            t_death, g = later[0]
            deaths = np.array([g[_OS].events[a] for a in arms], dtype=float)
            at_least = np.array([count.get(a, 0) for a in arms], dtype=float)
            if np.any(at_least > deaths):
                raise EvidenceError(
                    f"more treatment-related deaths by {time:g} months than deaths by "
                    f"{t_death:g} months",
                    entry=e.id,
                    field="events",
                )
            timing_used = True
            terms.append(_Term("deaths_by_time", s, (e.id,),
                               {"deaths": deaths, "at_least": at_least}, (time, t_death)))
            self._log(trial, e, True, "deaths_by_time",
                      f"timing only: at least this many of the deaths by {t_death:g} months "
                      f"happened by {time:g} months; never counted as extra deaths")
        # Reported hazard ratios.
        counted = {g_end for g in series.values() for g_end in g}
        ratios: dict[str, list[ReportedRatio]] = defaultdict(list)
        for e in trial.entries:
            if isinstance(e, ReportedRatio):
                if e.measure != "HR" or e.endpoint not in (_EFS, _OS):
                    self._log(trial, e, False, "", "only hazard ratios of EFS or OS are used")
                elif self.options.reported_ratios == "none":
                    self._log(trial, e, False, "", "reported ratios left out by the options")
                elif e.endpoint in counted:
                    self._log(trial, e, False, "", "the trial's landmark counts of this "
                              "endpoint already hold these patients; predicted in reproduce()")
                else:
                    ratios[e.endpoint].append(e)
        chosen_endpoint = _EFS if _EFS in ratios else (_OS if _OS in ratios else None)
        for endpoint, items in ratios.items():
            items.sort(key=lambda r: (r.window_months or (0.0, np.inf))[1])
            keep = items[-1] if endpoint == chosen_endpoint else None
            for r in items:
                if r is keep:
                    continue
                why = ("overlaps the longer-follow-up estimate of the same patients"
                       if endpoint == chosen_endpoint else
                       "EFS and OS ratios describe the same patients; the EFS one is used")
                self._log(trial, r, False, "", why)
            if keep is not None:
                terms.append(self._ratio_term(s, keep, trial, n))
                self._log(trial, keep, True, "reported_ratio",
                          "normal on the log scale; model counterpart: event-weighted mean "
                          "of the interval log hazard ratios over its window")
        terms.extend(self._plan_curves(s, trial, arms, has_other=bool(terms)))
        logged = {u.entry for u in self._uses if u.trial == trial.name}
        for e in trial.entries:
            if e.id not in logged and e.id not in handled:
                self._log(trial, e, False, "", f"{e.kind} of {e.endpoint}: not survival "
                          "evidence")
        return terms

    def _plan_curves(
        self, s: int, trial: Trial, arms: Sequence[str], *, has_other: bool
    ) -> list[_Term]:
        """Pseudo patients from digitised curves, when nothing else holds those patients."""
        curves = [e for e in trial.entries
                  if isinstance(e, DigitisedCurve) and e.endpoint in (_EFS, _OS)]
        if not curves:
            return []
        if has_other:
            for e in curves:
                self._log(trial, e, False, "", "the trial's summaries already hold these "
                          "patients; a curve could only replace them")
            return []
        endpoint = _EFS if any(e.endpoint == _EFS for e in curves) else _OS
        from bayes_scot.stats.reconstruction import reconstruct_entry

        edges = np.asarray(self.options.interval_boundaries_months)
        terms = []
        for e in curves:
            if e.endpoint != endpoint or e.arm not in arms:
                self._log(trial, e, False, "", "EFS and OS curves show the same patients; "
                          "the EFS curves are used")
                continue
            ipd = reconstruct_entry(e).ipd
            times = ipd["time"].to_numpy(dtype=float)
            k = np.clip(np.searchsorted(edges, times, side="right") - 1, 0, len(edges) - 2)
            terms.append(_Term(
                "pseudo_patients", s, (e.id,),
                {"events": ipd["event"].to_numpy(dtype=float),
                 "interval": k.astype(np.int64), "offset": times - edges[k]},
                (), {"endpoint": endpoint, "arm": arms.index(e.arm)},
            ))  # fmt: skip
            self._log(trial, e, True, "pseudo_patients",
                      f"{len(ipd)} reconstructed patients (Guyot et al. 2012), exact "
                      "piecewise-exponential likelihood")
        return terms

    def _conditional(self, s, form0, values0, form, values, times, ids) -> _Term | None:
        if form0 == "states" and form == "states":
            return _Term("interval_states", s, ids, {"start": values0, "end": values}, times)
        if form == _EFS and form0 in ("states", _EFS):
            at_risk = values0[:, 0] if form0 == "states" else values0[:, 0] - values0[:, 1]
            before = values[:, 0] - at_risk  # EFS events by the earlier landmark
            new = values[:, 1] - before
            if np.any(new < 0):
                raise EvidenceError("cumulative EFS events fall between landmarks",
                                    entry=ids[0], field="events")
            return _Term("interval_events", s, ids,
                         {"at_risk": at_risk, "events": new}, times, {"endpoint": _EFS})
        if form == _OS and form0 == _OS:
            at_risk = values0[:, 0] - values0[:, 1]
            new = values[:, 1] - values0[:, 1]
            return _Term("interval_events", s, ids,
                         {"at_risk": at_risk, "events": new}, times, {"endpoint": _OS})
        return None

    def _ratio_term(self, s: int, r: ReportedRatio, trial: Trial, n: np.ndarray) -> _Term:
        from bayes_scot.stats.conversions import se_from_ci, se_from_p

        end = min((r.window_months or (0.0, self.horizon))[1], self.horizon)
        if (r.window_months or (0.0, 0.0))[1] > self.horizon:
            self._log(trial, r, True, "reported_ratio",
                      f"window truncated at the model's horizon of {self.horizon:g} months")
        log_hr = math.log(r.estimate)
        if r.lower is not None and r.upper is not None:
            se = float(se_from_ci(math.log(r.lower), math.log(r.upper), level=r.level))
        else:
            se = float(se_from_p(log_hr, float(cast(float, r.p_value))))
        cuts = np.unique(np.concatenate(
            [[0.0], [b for b in self.boundaries if 0 < b < end], [end]]
        ))
        return _Term("reported_ratio", s, (r.id,),
                     {"log_estimate": np.array(log_hr), "se": np.array(se), "n": n},
                     tuple(float(c) for c in cuts), {"endpoint": r.endpoint})

    # -- the model -------------------------------------------------------------------------
    def _needed_times(self) -> np.ndarray:
        times = {0.0}
        for term in self._terms:
            times.update(term.times)
        return np.array(sorted(times))

    def _build(self) -> pm.Model:
        o = self.options
        edges = np.asarray(o.interval_boundaries_months)
        n_int = len(edges) - 1
        coords = {
            "trial": [t.name for t in self.trials],
            "arm": list(self.arms),
            "interval": list(o.interval_labels),
            "transition": list(TRANSITIONS),
            "step": list(o.interval_labels[1:]),
            "month": self.curve_months.tolist(),
            "hazard_line": ["event_free_exit", "death_after_failure"],
            "deviation": ["event_split", "death_after_failure"],
        }
        reference = self.prior_grid()["reference"]
        with pm.Model(coords=coords) as model:
            prior_mean = pm.Data("log_hr_prior_mean", reference.mean)
            prior_sd = pm.Data("log_hr_prior_sd", reference.sd)
            base_mean = pm.Data(
                "baseline_prior_mean", np.asarray(o.baseline_log_hazard_mean), dims="transition"
            )
            base_sd = pm.Data("baseline_prior_sd", o.baseline_log_hazard_sd)
            smooth_sd = pm.Data("baseline_smoothing_sd", o.baseline_smoothing_sd)

            # Control-arm log hazards: a random walk over intervals, per trial and transition.
            level_z = pm.Normal("baseline_level_z", 0.0, 1.0, dims=("trial", "transition"))
            log_h0 = base_mean[None, :, None] + base_sd * level_z[:, :, None]
            if len(edges) > 2:  # one interval has no walk
                walk_z = pm.Normal("baseline_walk_z", 0.0, 1.0,
                                   dims=("trial", "transition", "step"))
                log_h0 = log_h0 + running_sum(smooth_sd * walk_z)
            else:
                log_h0 = pt.repeat(log_h0, 1, axis=2)

            # Treatment effects (module docstring): the EFS exit hazard's log HR around the
            # trial effect, which event ends EFS, and the death hazard after organ failure.
            log_hr, trial_effect = self._trial_effects(prior_mean, prior_sd)
            pm.Deterministic("trial_log_hr", trial_effect, dims="trial")
            if o.effect_structure == "common":
                beta = trial_effect[:, None, None] + pt.zeros((len(TRANSITIONS), n_int))[None]
                log_h = pt.stack([log_h0 + beta, log_h0], axis=1)
            else:
                beta_efs, split, beta_after = self._effect_deviations(log_hr, trial_effect)
                log_h = _pt_arm_log_hazards(log_h0, beta_efs, split, beta_after)
            pm.Deterministic("log_hazard_ratio", log_h[:, 0] - log_h[:, 1],
                             dims=("trial", "transition", "interval"))
            hazard_tk = pt.exp(log_h).transpose(0, 1, 3, 2)  # (trial, arm, interval, trans)
            hazard = pm.Deterministic(
                "hazard", hazard_tk, dims=("trial", "arm", "interval", "transition")
            )

            curves = _pt_state_probabilities(hazard, edges, self.curve_months)
            pm.Deterministic("survival_efs", curves[..., 0], dims=("trial", "arm", "month"))
            pm.Deterministic(
                "survival_os", curves[..., 0] + curves[..., 1], dims=("trial", "arm", "month")
            )
            self._add_likelihood(hazard, edges)
        return model

    def _trial_effects(
        self, prior_mean: pt.TensorVariable, prior_sd: pt.TensorVariable
    ) -> tuple[pt.TensorVariable, pt.TensorVariable]:
        r"""Return the grid parameter :math:`\mu` and the trial effects :math:`\theta_s`."""
        o = self.options
        n_trials = len(self.trials)
        if n_trials > 1 and o.borrowing == "none":
            log_hr = pm.Normal("log_hr", prior_mean, prior_sd, dims="trial")
            return log_hr, log_hr
        log_hr = pm.Normal("log_hr", prior_mean, prior_sd)
        trial_effect = pt.ones(n_trials) * log_hr
        if n_trials == 1:
            return log_hr, trial_effect
        het_scale = pm.Data("heterogeneity_scale", o.heterogeneity_scale)
        tau_raw = pm.HalfNormal("heterogeneity_raw", 1.0)
        tau = pm.Deterministic("heterogeneity_sd", tau_raw * het_scale)
        eta_z = pm.Normal("trial_effect_z", 0.0, 1.0, dims="trial")
        # The first (target) trial anchors nothing special: all are exchangeable.
        trial_effect = trial_effect + tau * eta_z
        if o.borrowing == "regimen":
            regimen = pm.Data("regimen_indicator", self._regimen_indicator(), dims="trial")
            regimen_sd = pm.Data("regimen_effect_sd", o.regimen_effect_sd)
            gamma_z = pm.Normal("regimen_effect_z", 0.0, 1.0)
            gamma = pm.Deterministic("regimen_effect", gamma_z * regimen_sd)
            trial_effect = trial_effect + gamma * regimen
        return log_hr, trial_effect

    def _effect_deviations(
        self, log_hr: pt.TensorVariable, trial_effect: pt.TensorVariable
    ) -> tuple[pt.TensorVariable, pt.TensorVariable, pt.TensorVariable]:
        """Return the effects of the illness-death model's deviations around the trial's.

        Returns the EFS log hazard ratios (trial, interval), the shift of the log odds
        that death ends event-free survival, and the log hazard ratios of death after
        organ failure (trial, interval).
        """
        o = self.options
        weights = pm.Data("interval_event_share", self.event_weights, dims="interval")
        pool_scale = pm.Data("effect_pooling_scale", o.effect_pooling_scale)
        pool_sd = pm.Deterministic(
            "effect_pooling_sd", pm.HalfNormal("effect_pooling_raw", 1.0) * pool_scale
        )
        u = pm.Normal("interval_effect_z", 0.0, 1.0, dims=("hazard_line", "interval"))
        deviation = pool_sd * (u - pt.sum(weights[None, :] * u, axis=1, keepdims=True))
        if o.effect_structure == "independent":
            split_sd = pm.Data("transition_split_sd", o.reference_sd)
            split = pm.Normal("transition_split_z", 0.0, 1.0) * split_sd
            several_none = len(self.trials) > 1 and o.borrowing == "none"
            after = pm.Normal(
                "log_hr_after_failure",
                pm.Data("log_hr_after_failure_prior_mean", 0.0),
                pm.Data("log_hr_after_failure_prior_sd", o.reference_sd),
                dims="trial" if several_none else None,
            )
            after_effect = after + (trial_effect - log_hr)  # the trial's deviation too
        else:
            scale = pm.Data("transition_effect_scale", o.transition_effect_scale)
            sigma = pm.Deterministic(
                "transition_effect_sd", pm.HalfNormal("transition_effect_raw", 1.0) * scale
            )
            z = pm.Normal("transition_effect_z", 0.0, 1.0, dims="deviation")
            split = sigma * z[0]
            after_effect = trial_effect + sigma * z[1]
        split = pm.Deterministic("transition_split", split)
        beta_efs = trial_effect[:, None] + deviation[0][None, :]
        beta_after = after_effect[:, None] + deviation[1][None, :]
        return beta_efs, split, beta_after

    def _regimen_indicator(self) -> np.ndarray:
        target_regimen = next(a.regimen for a in self.target.arms if a.role == "experimental")
        values = []
        for t in self.trials:
            regimen = next(a.regimen for a in t.arms if a.role == "experimental")
            values.append(0.0 if regimen == target_regimen else 1.0)
        return np.asarray(values)

    def _add_likelihood(self, hazard: pt.TensorVariable, edges: np.ndarray) -> None:
        times = self._needed_times()
        spans = sorted({term.times for term in self._terms
                        if term.kind in ("interval_states", "survival_estimates")})
        pairs = [(0.0, float(t)) for t in times] + [(float(a), float(b)) for a, b in spans]
        # One closed-form table serves every term: state probabilities at each time
        # (from 0) and transition matrices over each span, for all trials and arms.
        p00, p01, p11 = _pt_transition_table(hazard, edges, pairs)
        n_times = len(times)
        stay, fail = p00[..., :n_times], p01[..., :n_times]
        states = pt.stack([stay, fail, 1.0 - stay - fail], axis=-1)  # (trial, arm, T, 3)
        spanned = _pt_transition_matrices(
            p00[..., n_times:], p01[..., n_times:], p11[..., n_times:]
        )  # (trial, arm, span, 3, 3)
        index = {t: i for i, t in enumerate(times)}
        span_index = {span: i for i, span in enumerate(spans)}
        for number, term in enumerate(self._terms):
            name = f"{self.trials[term.trial].name}_{number}_{term.kind}"
            values = dict(term.data)
            if term.kind == "interval_states":
                values["log_coefficients"] = lik.interval_states_log_coefficients(
                    values["start"], values["end"], max_count=self.max_count
                )
            elif term.kind == "deaths_by_time":
                values["log_coefficients"] = lik.deaths_by_time_log_coefficients(
                    values["deaths"], values["at_least"], max_count=self.max_count
                )
            data = {key: pm.Data(f"{name}_{key}", value) for key, value in values.items()}
            s = term.trial
            if term.kind == "landmark_states":
                p = states[s, :, index[term.times[0]], :]
                logp = lik.landmark_states(data["counts"], p)
            elif term.kind == "landmark_events":
                p = states[s, :, index[term.times[0]], :]
                surv = p[:, 0] if term.extra["endpoint"] == _EFS else p[:, 0] + p[:, 1]
                counts = data["counts"]
                logp = lik.landmark_events(counts[:, 1], counts[:, 0], surv)
            elif term.kind == "interval_states":
                logp = lik.interval_states(
                    data["start"], data["end"], spanned[s, :, span_index[term.times]],
                    max_count=self.max_count, log_coefficients=data["log_coefficients"],
                )
            elif term.kind == "interval_events":
                p0 = states[s, :, index[term.times[0]], :]
                p1 = states[s, :, index[term.times[1]], :]
                if term.extra["endpoint"] == _EFS:
                    cond = p1[:, 0] / p0[:, 0]
                else:
                    cond = (p1[:, 0] + p1[:, 1]) / (p0[:, 0] + p0[:, 1])
                logp = lik.interval_events(data["at_risk"], data["events"], cond)
            elif term.kind == "survival_estimates":
                logp = _survival_estimates_logp(
                    data["start"], data["observed"], data["effective_n"],
                    spanned[s, :, span_index[term.times]], term.extra["aggregation"],
                )
            elif term.kind == "deaths_by_time":
                dead_t = states[s, :, index[term.times[0]], 2]
                dead_landmark = states[s, :, index[term.times[1]], 2]
                logp = lik.deaths_by_time(
                    data["deaths"], data["at_least"], dead_t / dead_landmark,
                    max_count=self.max_count, log_coefficients=data["log_coefficients"],
                )
            elif term.kind == "pseudo_patients":
                h = hazard[s, term.extra["arm"]]  # (K, 3)
                start0, start1 = _pt_boundary_states(h, edges)
                k = data["interval"]
                hk = h[k]
                q0, q1 = _pt_step(start0[k], start1[k], hk, data["offset"])
                if term.extra["endpoint"] == _EFS:
                    log_s = pt.log(pt.clip(q0, 1e-300, 1.0))
                    log_f = pt.log(hk[:, 0] + hk[:, 1]) + log_s
                else:
                    log_s = pt.log(pt.clip(q0 + q1, 1e-300, 1.0))
                    log_f = pt.log(pt.clip(hk[:, 1] * q0 + hk[:, 2] * q1, 1e-300, np.inf))
                logp = lik.pseudo_patients(data["events"], log_f, log_s)
            elif term.kind == "reported_ratio":
                surv = pt.stack(  # (arm, cut, 3); basic indexing keeps the gradient simple
                    [states[s, :, index[c], :] for c in term.times], axis=1
                )
                model_log_hr = _pt_weighted_log_hr(surv, data["n"], term.extra["endpoint"])
                logp = lik.reported_ratio(data["log_estimate"], data["se"], model_log_hr)
            else:  # pragma: no cover - the planner only makes the kinds above
                raise AssertionError(term.kind)
            pm.Potential(name, logp)

    def _structure_key(self) -> tuple[Any, ...]:
        layout = tuple(
            (t.kind, t.trial, t.times, tuple(sorted((k, np.shape(v)) for k, v in t.data.items())),
             tuple(sorted((k, str(v)) for k, v in t.extra.items())))
            for t in self._terms
        )
        o = self.options
        structure: tuple[Any, ...] = (
            "SurvivalModel", tuple(t.name for t in self.trials), self.arms,
            o.interval_boundaries_months, o.borrowing if len(self.trials) > 1 else "",
            self.max_count, tuple(self.curve_months), layout,
        )  # fmt: skip
        structure += (o.effect_structure,)
        digest = hashlib.sha256(repr(structure).encode()).hexdigest()[:16]
        return ("SurvivalModel", digest)

    # -- priors -----------------------------------------------------------------------------
    def prior_grid(self) -> dict[str, EffectPrior]:
        """Return the named grid of 13 priors on the common log hazard ratio.

        Returns
        -------
        dict of str to EffectPrior
            From :func:`bayes_scot.stats.priors.prior_grid` with the options' design
            hazard ratio, margin and reference SD; a lower log hazard ratio favours the
            experimental arm.
        """
        return hazard_ratio_prior_grid(self.options)

    def prior_data(
        self, prior: EffectPrior | Mapping[str, EffectPrior]
    ) -> dict[str, np.ndarray]:
        """Values of the prior's data containers, for :meth:`CompiledModel.sample`.

        Parameters
        ----------
        prior : EffectPrior or mapping of str to EffectPrior
            A prior on the common log hazard ratio, or a mapping ``{"log_hr": prior}``.

        Returns
        -------
        dict of str to numpy.ndarray
            ``{"log_hr_prior_mean": ..., "log_hr_prior_sd": ...}``, and with
            ``effect_structure = "independent"`` the same for ``log_hr_after_failure``
            (the prior of ``log_hr`` unless the mapping names one).
        """
        data = hazard_ratio_prior_data(prior, self.effect_parameters)
        if "log_hr_after_failure" in self.effect_parameters:
            after = prior
            if isinstance(prior, Mapping):
                after = prior.get("log_hr_after_failure", prior["log_hr"])
            after_data = hazard_ratio_prior_data(cast(EffectPrior, after), ("log_hr",))
            data.update({key.replace("log_hr", "log_hr_after_failure"): value
                         for key, value in after_data.items()})
        return data

    # -- outputs ----------------------------------------------------------------------------
    def transition_hazards(self, idata: Any, trial: str | None = None) -> xr.DataArray:
        """Posterior transition hazards per month of one trial.

        Parameters
        ----------
        idata : arviz.InferenceData
        trial : str, optional
            Default the target (first) trial.

        Returns
        -------
        xarray.DataArray
            Dims (chain, draw, arm, transition, interval); ``attrs["boundaries_months"]``
            holds the interval grid, ``attrs["transitions"]`` the transition names, ready
            for :func:`bayes_scot.stats.illness_death.simulate_illness_death`.
        """
        from bayes_scot import _compat

        posterior = _compat.get_group(idata, "posterior")
        hazard = posterior["hazard"].sel(trial=trial or self.target.name)
        out = hazard.transpose("chain", "draw", "arm", "transition", "interval")
        out = out.drop_vars("trial", errors="ignore")
        out.attrs = {
            "boundaries_months": tuple(self.boundaries),
            "transitions": TRANSITIONS,
            "units": "per month",
            "population": self.options.population,
        }
        return out

    def _hazard_array(self, idata: Any, trial: str | None = None) -> np.ndarray:
        """Hazards as (chain, draw, arm, interval, transition)."""
        h = self.transition_hazards(idata, trial)
        return np.moveaxis(h.values, 3, 4)

    def estimands(self, idata: Any) -> list[EstimandDraws]:
        r"""Posterior estimands of the target trial.

        Parameters
        ----------
        idata : arviz.InferenceData

        Returns
        -------
        list of EstimandDraws
            For EFS and OS: survival per arm and the HSCT-minus-CYC difference at each of
            ``options.estimand_times_months`` (superior: higher; margin
            ``survival_margin``); RMST differences to each of ``rmst_horizons_months``
            (months; superior: higher); hazard ratios per interval (EFS: ratio of the
            event-free exit hazards; OS: ratio of the average death hazards in the
            interval; superior: lower; margin ``hazard_ratio_margin``); and the common
            hazard ratio :math:`e^\mu` (superior: lower). Per-arm survival is descriptive:
            its ``null`` is NaN and ``attrs["contrast"]`` is False. ``attrs`` also
            record the trial, population, and the evidence assumptions the fit relies on.
        """
        from bayes_scot import _compat

        o = self.options
        exp_arm, ctl_arm = self.arms
        label_exp, label_ctl = exp_arm, ctl_arm
        hazards = self._hazard_array(idata)
        edges = np.asarray(o.interval_boundaries_months)
        evidence = "trial" if len(self.trials) == 1 else "trial + " + ", ".join(
            t.name for t in self.trials[1:]
        )
        base_attrs = {
            "trial": self.target.name,
            "population": o.population,
            "assumptions": self.assumptions(),
            "borrowing": o.borrowing if len(self.trials) > 1 else "none (one trial)",
        }
        out: list[EstimandDraws] = []
        times = np.asarray(o.estimand_times_months)
        probs = state_probabilities(hazards, edges, times)  # (c, d, arm, T, 3)
        curves: dict[Literal["efs", "os"], np.ndarray] = {
            "efs": probs[..., 0], "os": probs[..., 0] + probs[..., 1],
        }
        names = {_EFS: self.target.endpoint(_EFS).label, _OS: self.target.endpoint(_OS).label}
        for endpoint, surv in curves.items():
            for j, t in enumerate(times):
                for a, arm in enumerate(self.arms):
                    out.append(EstimandDraws(
                        endpoint=endpoint, estimand=f"survival_{arm}_{t:g}",
                        label=f"{names[endpoint]} at {t:g} months, {arm}",
                        draws=surv[:, :, a, j], null=float("nan"), superior="higher",
                        unit="probability", evidence=evidence,
                        attrs={**base_attrs, "arm": arm, "contrast": False, "time_months": t},
                    ))  # fmt: skip
                out.append(EstimandDraws(
                    endpoint=endpoint, estimand=f"survival_difference_{t:g}",
                    label=f"{names[endpoint]} at {t:g} months, {label_exp} minus {label_ctl}",
                    draws=surv[:, :, 0, j] - surv[:, :, 1, j], null=0.0, superior="higher",
                    mcid=o.survival_margin, mcid_source=o.margin_source, unit="probability",
                    evidence=evidence,
                    attrs={**base_attrs, "contrast": True, "time_months": t},
                ))  # fmt: skip
            for tau in o.rmst_horizons_months or ():
                rmst = restricted_mean_survival(hazards, edges, tau, endpoint=endpoint)
                out.append(EstimandDraws(
                    endpoint=endpoint, estimand=f"rmst_difference_{tau:g}",
                    label=(f"{names[endpoint]} restricted mean survival to {tau:g} months, "
                           f"{label_exp} minus {label_ctl}"),
                    draws=rmst[:, :, 0] - rmst[:, :, 1], null=0.0, superior="higher",
                    unit="months", evidence=evidence,
                    attrs={**base_attrs, "contrast": True, "time_months": tau},
                ))  # fmt: skip
        # Interval hazard ratios.
        efs_rate = hazards[..., 0] + hazards[..., 1]  # (c, d, arm, K)
        boundary_probs = state_probabilities(hazards, edges, edges)
        os_surv = boundary_probs[..., 0] + boundary_probs[..., 1]  # (c, d, arm, K+1)
        os_rate = -np.diff(np.log(os_surv), axis=-1)
        for hr_endpoint, rate in ((_EFS, efs_rate), (_OS, os_rate)):
            ratio = rate[:, :, 0, :] / rate[:, :, 1, :]
            for k, label in enumerate(o.interval_labels):
                out.append(EstimandDraws(
                    endpoint=hr_endpoint, estimand=f"hazard_ratio_{label.replace('-', '_')}",
                    label=f"{names[hr_endpoint]} hazard ratio, months {label}, "
                          f"{label_exp} vs {label_ctl}",
                    draws=ratio[..., k], null=1.0, superior="lower",
                    mcid=o.hazard_ratio_margin, mcid_source=o.margin_source, unit="ratio",
                    evidence=evidence,
                    attrs={**base_attrs, "contrast": True, "interval": label},
                ))  # fmt: skip
        posterior = _compat.get_group(idata, "posterior")
        common = posterior["trial_log_hr"].sel(trial=self.target.name).to_numpy()
        out.append(EstimandDraws(
            endpoint=_EFS, estimand="hazard_ratio_common",
            label=(f"{names[_EFS]} hazard ratio, event-weighted average over follow-up, "
                   f"{label_exp} vs {label_ctl}"),
            draws=np.exp(common), null=1.0, superior="lower", mcid=o.hazard_ratio_margin,
            mcid_source=o.margin_source, unit="ratio", evidence=evidence,
            attrs={**base_attrs, "contrast": True, "parameter": "log_hr"},
        ))  # fmt: skip
        return [self._mark_extrapolation(e) for e in out]

    def _mark_extrapolation(self, e: EstimandDraws) -> EstimandDraws:
        """Flag an estimand beyond the last datum, or an interval no datum bounds.

        An interval's hazard ratio is separately identified only when the target trial
        reports data at both of its ends (or it starts at 0); otherwise the data see it
        only together with its neighbours, and its posterior follows the average effect
        through the shrinkage towards proportional hazards. The row says so.
        """
        last = self.last_datum
        time = e.attrs.get("time_months")
        interval = e.attrs.get("interval")
        beyond = bool((time is not None and float(cast(float, time)) > last + 1e-9) or (
            interval is not None and float(str(interval).split("-")[0]) >= last
        ))
        from bayes_scot.builders.piecewise_exponential import _estimand

        fields = {f.name: getattr(e, f.name) for f in dataclasses.fields(e)}
        fields.pop("extrapolated", None)
        fields["attrs"] = {**e.attrs, "extrapolated": beyond}
        if beyond:
            fields["label"] = f"{e.label} (extrapolated beyond the last datum at {last:g} months)"
            fields["evidence"] = f"{e.evidence}, extrapolated beyond {last:g} months"
        elif interval is not None and not self._bounded_by_data(str(interval)):
            fields["attrs"]["identified"] = False
            fields["label"] = (f"{e.label} (months {interval} not reported separately: "
                               "follows the average effect through the model)")
            fields["evidence"] = f"{e.evidence}, months {interval} not reported separately"
        return _estimand(extrapolated=beyond, **fields)

    def _bounded_by_data(self, interval: str) -> bool:
        """Whether the target trial reports data at both ends of an interval ``"a-b"``."""
        times = {0.0} | {float(t) for term in self._terms if term.trial == 0
                         for t in term.times}
        start, end = (float(x) for x in interval.split("-"))
        return any(abs(start - t) < 1e-9 for t in times) and any(
            abs(end - t) < 1e-9 for t in times)

    def assumptions(self) -> tuple[str, ...]:
        """Assumptions of the evidence this fit uses (from the trial files and the model)."""
        notes = [
            f"Model: {self.model_name} of EFS and OS; intervals "
            f"{', '.join(self.options.interval_labels)} months.",
            "Landmark counts among those randomised assume no censoring before the landmark.",
            *time_unit_notes(self.trials),
        ]
        used = set(self.evidence_log.query("used")["entry"])
        for trial in self.trials:
            for e in trial.entries:
                if e.id in used and e.assumption:
                    notes.append(f"{trial.name}:{e.id}: {e.assumption}")
        return tuple(notes)

    def reproduce(self, idata: Any, *, seed: int = 0) -> pd.DataFrame:
        """Posterior predictive of every published survival summary, beside the number.

        Parameters
        ----------
        idata : arviz.InferenceData
        seed : int, default 0
            Seed of the predictive draws.

        Returns
        -------
        pandas.DataFrame
            Columns ``trial, entry, endpoint, population, arm, time_months, statistic,
            published, median, lower, upper, outside`` (published value outside the
            central :data:`~bayes_scot.conventions.CREDIBLE_LEVEL` predictive interval),
            ``used`` (whether the number entered the likelihood) and ``note``. Counts are
            predicted as counts among the same ``n``; survival estimates as binomial
            proportions with their effective sample size; hazard ratios as the model's
            event-weighted log hazard ratio plus the reported standard error. Summaries of
            another population than the fit's (loaded with ``population="all"``) are
            predicted by this population's model with the other population's ``n``, and
            say so: they are a comparison, not evidence.
        """
        rng = np.random.default_rng(seed)
        rows: list[dict[str, Any]] = []
        used = {(u.trial, u.entry): u for u in self._uses}
        alpha = (1.0 - CREDIBLE_LEVEL) / 2.0
        edges = np.asarray(self.options.interval_boundaries_months)
        for full in self._all_trials:
            if full.name not in [t.name for t in self.trials]:
                continue
            hazards = self._hazard_array(idata, full.name)
            flat = hazards.reshape(-1, *hazards.shape[2:])  # (draws, arm, K, 3)
            arms = (full.experimental, full.control)
            for e in full.entries:
                if e.endpoint not in (_EFS, _OS):
                    continue
                population = full.populations.get(e.population)
                if population is None or not all(a in population.n for a in arms):
                    continue  # a population without per-arm sizes cannot be predicted
                other = e.population != self.options.population
                note = ""
                if other:
                    note = (f"{e.population} summary predicted by the "
                            f"{self.options.population} model: a comparison, not evidence")
                use = used.get((full.name, e.id))
                if use is not None:
                    note = "; ".join(x for x in (use.note, note) if x)
                for arm_row in self._predict(e, flat, arms, full, edges, rng):
                    draws, published, arm, statistic = arm_row
                    lo, med, hi = np.quantile(draws, [alpha, 0.5, 1.0 - alpha])
                    rows.append({
                        "trial": full.name, "entry": e.id, "endpoint": e.endpoint,
                        "population": e.population, "arm": arm, "time_months": e.time,
                        "statistic": statistic, "published": published, "median": med,
                        "lower": lo, "upper": hi,
                        "outside": bool(published < lo or published > hi),
                        "used": bool(use is not None and use.used), "note": note,
                    })  # fmt: skip
        return pd.DataFrame(rows, columns=list(_REPRODUCE_COLUMNS))

    def _predict(self, e, flat, arms, trial, edges, rng):
        """Yield (predictive draws, published value, arm, statistic) for one entry."""
        if isinstance(e, LandmarkEvents):
            probs = state_probabilities(flat, edges, [e.time_months])[:, :, 0, :]
            for a, arm in enumerate(arms):
                if arm not in e.events:
                    continue
                p = probs[:, a, :]
                counts = rng.multinomial(int(e.n[arm]), p / p.sum(axis=-1, keepdims=True))
                draws = counts[:, 1] + counts[:, 2] if e.endpoint == _EFS else counts[:, 2]
                yield draws, float(e.events[arm]), arm, "events"
        elif isinstance(e, SurvivalEstimate):
            probs = state_probabilities(flat, edges, [e.time_months])[:, :, 0, :]
            surv = probs[..., 0] if e.endpoint == _EFS else probs[..., 0] + probs[..., 1]
            for a, arm in enumerate(arms):
                if arm not in e.survival:
                    continue
                n_arm = (e.n or {}).get(arm) or trial.n(arm, e.population)
                size, _ = lik.effective_sample_size(
                    e.survival[arm],
                    lower=None if e.lower is None else e.lower[arm],
                    upper=None if e.upper is None else e.upper[arm],
                    level=e.level,
                    n_risk=None if e.n_risk is None else e.n_risk[arm],
                    n=n_arm,
                )
                m = max(round(size), 1)
                draws = rng.binomial(m, np.clip(surv[:, a], 0.0, 1.0)) / m
                yield draws, float(e.survival[arm]), arm, "survival"
        elif isinstance(e, ReportedRatio) and e.measure == "HR":
            from bayes_scot.stats.conversions import se_from_ci, se_from_p

            end = min((e.window_months or (0.0, self.horizon))[1], self.horizon)
            cuts = np.unique(np.concatenate(
                [[0.0], [b for b in edges if 0 < b < end], [end]]
            ))
            probs = state_probabilities(flat, edges, cuts)  # (draws, arm, cut, 3)
            surv = probs[..., 0] if e.endpoint == _EFS else probs[..., 0] + probs[..., 1]
            n = np.array([trial.n(a, e.population) for a in arms], dtype=float)
            model = _np_weighted_log_hr(surv, n)
            if e.lower is not None and e.upper is not None:
                se = float(se_from_ci(math.log(e.lower), math.log(e.upper), level=e.level))
            else:
                se = float(se_from_p(math.log(e.estimate), float(cast(float, e.p_value))))
            yield np.exp(model + se * rng.standard_normal(model.shape)), e.estimate, None, "hr"


def borrowing_table(
    alone: SurvivalModel,
    alone_idata: Any,
    borrowed: SurvivalModel,
    borrowed_idata: Any,
    *,
    level: float = CREDIBLE_LEVEL,
) -> pd.DataFrame:
    """Compare the target trial's estimands fitted alone and with borrowing.

    Parameters
    ----------
    alone : SurvivalModel
        A model of the target trial only.
    alone_idata : arviz.InferenceData
        Its posterior.
    borrowed : SurvivalModel
        A model of the same target trial with further trials.
    borrowed_idata : arviz.InferenceData
        Its posterior.
    level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`

    Returns
    -------
    pandas.DataFrame
        One row per contrast estimand present in both fits: ``endpoint, estimand,
        label, alone_median, alone_lower, alone_upper, borrowed_median, borrowed_lower,
        borrowed_upper, width_ratio`` (borrowed over alone interval width: below 1 means
        the other trials sharpened the estimate) and ``shift`` (borrowed minus alone
        median).

    Raises
    ------
    EvidenceError
        If the two models have different target trials.
    """
    if alone.target.name != borrowed.target.name:
        raise EvidenceError(
            f"target trials differ: {alone.target.name!r} vs {borrowed.target.name!r}",
            field="trials",
        )
    alpha = (1.0 - level) / 2.0
    quantiles = [alpha, 0.5, 1.0 - alpha]

    def summaries(model: SurvivalModel, idata: Any) -> dict[tuple[str, str], Any]:
        return {
            (e.endpoint, e.estimand): (e.label, np.quantile(e.draws, quantiles))
            for e in model.estimands(idata)
            if e.attrs.get("contrast", True)
        }

    first, second = summaries(alone, alone_idata), summaries(borrowed, borrowed_idata)
    rows = []
    for key, (label, (lo_a, med_a, hi_a)) in first.items():
        if key not in second:
            continue
        _, (lo_b, med_b, hi_b) = second[key]
        rows.append({
            "endpoint": key[0], "estimand": key[1], "label": label,
            "alone_median": med_a, "alone_lower": lo_a, "alone_upper": hi_a,
            "borrowed_median": med_b, "borrowed_lower": lo_b, "borrowed_upper": hi_b,
            "width_ratio": (hi_b - lo_b) / (hi_a - lo_a) if hi_a > lo_a else np.nan,
            "shift": med_b - med_a,
        })  # fmt: skip
    return pd.DataFrame(rows)


# -- PyTensor kernels ---------------------------------------------------------------------
def _pt_arm_log_hazards(log_h0, beta_efs, split, beta_after):
    r"""Log hazards (trial, arm, transition, interval), experimental arm first.

    The experimental arm's hazard of leaving the event-free state is the control arm's
    times :math:`e^{\beta}`, shared between organ failure and death with log odds shifted
    by ``split``; the hazard of death after organ failure is the control arm's times
    :math:`e^{\beta_{12}}`. With ``split = 0`` and equal log HRs this is proportional
    hazards on every transition.
    """
    lh01, lh02, lh12 = log_h0[:, 0], log_h0[:, 1], log_h0[:, 2]  # (trial, interval)
    log_exit = pt.logaddexp(lh01, lh02) + beta_efs
    logit_death = lh02 - lh01 + split
    experimental = pt.stack(
        [log_exit - pt.softplus(logit_death), log_exit - pt.softplus(-logit_death),
         lh12 + beta_after], axis=1,
    )  # fmt: skip
    return pt.stack([experimental, log_h0], axis=1)


def _pt_g(x: pt.TensorVariable) -> pt.TensorVariable:
    """``(1 - exp(-x)) / x`` with its series near 0 (safe gradients)."""
    small = pt.lt(pt.abs(x), 1e-5)
    safe = pt.switch(small, 1.0, x)
    return pt.switch(small, 1.0 - x / 2.0 + x * x / 6.0, -pt.expm1(-safe) / safe)


def _pt_step(p0, p1, h, d):
    """Propagate (event-free, after failure) probabilities over ``d`` months."""
    h1, h2, h3 = h[..., 0], h[..., 1], h[..., 2]
    a = h1 + h2
    low = pt.minimum(a, h3)
    gap = pt.abs(h3 - a)
    exp_diff = pt.exp(-low * d) * d * _pt_g(gap * d)
    return p0 * pt.exp(-a * d), p1 * pt.exp(-h3 * d) + p0 * h1 * exp_diff


def _pt_boundary_states(hazard, edges: np.ndarray):
    """(event-free, after failure) probabilities at the K interval starts: (..., K) each."""
    p0 = pt.ones_like(hazard[..., 0, 0])
    p1 = pt.zeros_like(p0)
    at0, at1 = [p0], [p1]
    for k in range(len(edges) - 2):
        p0, p1 = _pt_step(p0, p1, hazard[..., k, :], float(edges[k + 1] - edges[k]))
        at0.append(p0)
        at1.append(p1)
    return pt.stack(at0, axis=-1), pt.stack(at1, axis=-1)


def _segments(edges: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the grid of :func:`_pt_transition_table`: boundaries and times up to the last.

    Returns the grid points, the interval of each segment between consecutive points and
    the segments' lengths. Times beyond the last boundary fall in the last interval.
    """
    n_int = len(edges) - 1
    top = max(float(np.max(times)), float(edges[1]))  # at least one segment
    grid = np.unique(np.concatenate([edges[edges <= top], times, [0.0]]))
    interval = np.clip(np.searchsorted(edges, grid[:-1], side="right") - 1, 0, n_int - 1)
    return grid, interval, np.diff(grid)


def _pt_transition_table(hazard, edges: np.ndarray, pairs: Sequence[tuple[float, float]]):
    r"""Transition probabilities between the transient states for pairs of times.

    Parameters
    ----------
    hazard : TensorVariable, shape (..., K, 3)
        Piecewise-constant transition hazards.
    edges : numpy.ndarray
        Interval boundaries, starting at 0.
    pairs : sequence of (float, float)
        Static ``(t0, t1)`` with ``t0 <= t1``.

    Returns
    -------
    (p00, p01, p11) : TensorVariable, each (..., P)
        Staying event-free, moving from event-free to "alive after failure", and staying
        alive after failure, between ``t0`` and ``t1``.

    Notes
    -----
    On the grid of :func:`_segments`, with :math:`A_m = (h_1 + h_2) d_m` and
    :math:`C_m = h_3 d_m` in segment :math:`m` (length :math:`d_m`) and their cumulative
    sums :math:`\bar A, \bar C`, the product of the segments' upper-triangular transition
    matrices from grid point :math:`i` to :math:`j` has the closed form

    .. math::

        P_{00} = e^{\bar A_i - \bar A_j}, \quad P_{11} = e^{\bar C_i - \bar C_j}, \quad
        P_{01} = \sum_{m=i}^{j-1} e^{\bar A_i - \bar A_m} B_m e^{\bar C_{m+1} - \bar C_j},

    where :math:`B_m = h_1 (e^{-A_m} - e^{-C_m}) / (h_3 - h_1 - h_2)` is the one-segment
    probability of organ failure followed by survival, written with
    :math:`(1 - e^{-x}) / x` so that it stays exact when the two rates are close. Every
    exponent is non-positive. All pairs are computed together in a few vectorised
    operations (the sums of rate x time are products with fixed matrices), which keeps
    the compiled log density and its gradient small.
    """
    t0 = np.array([p[0] for p in pairs], dtype=float)
    t1 = np.array([p[1] for p in pairs], dtype=float)
    grid, interval, length = _segments(edges, np.concatenate([t0, t1]))
    i, j = np.searchsorted(grid, t0), np.searchsorted(grid, t1)
    n_pairs, n_seg = len(pairs), len(length)
    m = np.arange(n_seg)
    within = (m[None, :] >= i[:, None]) & (m[None, :] < j[:, None])  # (P, M)
    # Segment l before segment m within the span, and segment l after m within the span.
    before = within[:, :, None] & (m >= i[:, None, None]) & (m[None, None, :] < m[None, :, None])
    after = within[:, :, None] & (m[None, None, :] > m[None, :, None]) & (m < j[:, None, None])
    # Months of segment m spent in interval k: every sum of rate x time below is a
    # product of the interval rates with a fixed matrix, so gathers and cumulative sums
    # become matrix products (cheap to compile and to differentiate).
    onehot = (interval[None, :] == np.arange(len(edges) - 1)[:, None]).astype(float)  # (K, M)
    exposure = onehot * length
    span = exposure @ within.T  # (K, P)
    exposure_before = (exposure @ before.reshape(-1, n_seg).T.astype(float))  # (K, P*M)
    exposure_after = (exposure @ after.reshape(-1, n_seg).T.astype(float))
    rates = pt.moveaxis(hazard, -1, -2)  # (..., 3, K)
    leave = rates[..., 0, :] + rates[..., 1, :]
    die = rates[..., 2, :]
    p00 = pt.exp(-pt.dot(leave, span))
    p11 = pt.exp(-pt.dot(die, span))
    exponent = -(pt.dot(leave, exposure_before) + pt.dot(die, exposure_after))
    exponent = exponent.reshape((*[leave.shape[d] for d in range(leave.ndim - 1)], n_pairs, n_seg))
    seg = pt.dot(rates, onehot)  # (..., 3, M)
    seg_leave = seg[..., 0, :] + seg[..., 1, :]
    seg_die = seg[..., 2, :]
    b = (
        seg[..., 0, :] * pt.exp(-pt.minimum(seg_leave, seg_die) * length) * length
        * _pt_g(pt.abs(seg_die - seg_leave) * length)
    )  # (..., M)
    p01 = pt.sum(within * pt.exp(exponent) * b[..., None, :], axis=-1)
    return p00, p01, p11


def _pt_state_probabilities(hazard, edges: np.ndarray, times: np.ndarray):
    """State probabilities at many ``times`` (static), hazards (..., K, 3) -> (..., T, 3).

    The states at the K + 1 boundaries come from K closed-form steps; every requested
    time then takes one vectorised step from the boundary before it. Memory grows with
    the number of times only (the survival curves ask for one per month), where
    :func:`_pt_transition_table` would grow with times x segments.
    """
    n_int = len(edges) - 1
    start0, start1 = _pt_boundary_states(hazard, edges)
    t = np.asarray(times, dtype=float)
    k_idx = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, n_int - 1)
    q0, q1 = _pt_step(
        start0[..., k_idx], start1[..., k_idx], hazard[..., k_idx, :], t - edges[k_idx]
    )
    return pt.stack([q0, q1, 1.0 - q0 - q1], axis=-1)


def _pt_transition_matrices(p00, p01, p11):
    """Full 3 x 3 transition matrices (..., P, 3, 3) from the table's three entries."""
    zeros, ones = pt.zeros_like(p00), pt.ones_like(p00)
    rows = [
        pt.stack([p00, p01, 1.0 - p00 - p01], axis=-1),
        pt.stack([zeros, p11, 1.0 - p11], axis=-1),
        pt.stack([zeros, zeros, ones], axis=-1),
    ]
    return pt.stack(rows, axis=-2)


def _aggregation(endpoints: tuple[str, ...]) -> np.ndarray:
    """Map the three states onto the observed categories of KM estimates."""
    if endpoints == (_EFS, _OS):
        return np.eye(3)
    if endpoints == (_EFS,):
        return np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    return np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])


def _start_at_zero(n_arms: int) -> np.ndarray:
    start = np.zeros((n_arms, 3))
    start[:, 0] = 1.0
    return start


def _survival_estimates_logp(start, observed, effective_n, transition, aggregation):
    """Kaplan-Meier estimates at t1 given the state distribution at t0 (moment-matched).

    ``observed`` holds (S_EFS, S_OS) per arm (NaN where not reported); the categories are
    those of ``aggregation``. The predicted distribution is ``start @ transition``; the
    estimates enter as a multinomial kernel with the effective sample size.
    """
    q = pt.sum(start[:, :, None] * transition, axis=1)  # (arm, 3)
    categories = aggregation.shape[1]
    q_obs = pt.dot(q, aggregation)  # (arm, C)
    s_efs, s_os = observed[:, 0], observed[:, 1]
    if categories == 3:
        p_hat = pt.stack([s_efs, s_os - s_efs, 1.0 - s_os], axis=-1)
    elif aggregation[1, 0] == 0.0:  # EFS only
        p_hat = pt.stack([s_efs, 1.0 - s_efs], axis=-1)
    else:  # OS only
        p_hat = pt.stack([s_os, 1.0 - s_os], axis=-1)
    counts = effective_n[:, None] * p_hat
    return lik.landmark_states(counts, q_obs)


def _pt_weighted_log_hr(surv, n, endpoint: str):
    """Event-weighted mean of piecewise log hazard ratios, surv: (arm, cut, 3)."""
    s = surv[..., 0] if endpoint == _EFS else surv[..., 0] + surv[..., 1]
    s = pt.clip(s, 1e-300, 1.0)
    log_s = pt.log(s)
    rate = -(log_s[:, 1:] - log_s[:, :-1])  # (arm, pieces), per piece (lengths cancel)
    log_hr = pt.log(pt.clip(rate[0], 1e-300, np.inf)) - pt.log(pt.clip(rate[1], 1e-300, np.inf))
    events = n[:, None] * (s[:, :-1] - s[:, 1:])
    weight = pt.sum(events, axis=0)
    return pt.sum(weight * log_hr) / pt.sum(weight)


def _np_weighted_log_hr(surv: np.ndarray, n: np.ndarray) -> np.ndarray:
    """NumPy twin of :func:`_pt_weighted_log_hr`; surv (draws, arm, cut) -> (draws,)."""
    s = np.clip(surv, 1e-300, 1.0)
    rate = -np.diff(np.log(s), axis=-1)
    with np.errstate(divide="ignore"):
        log_hr = np.log(rate[:, 0]) - np.log(rate[:, 1])
    weight = np.sum(n[None, :, None] * -np.diff(s, axis=-1), axis=1)
    return np.sum(weight * log_hr, axis=-1) / np.sum(weight, axis=-1)
