r"""Longitudinal model of quality of life and function from arm-level summaries.

:class:`LongitudinalModel` builds one PyMC model for several continuous endpoints (by
default HAQ-DI, SF-36 PCS and MCS, mRSS, FVC and DLCO) of a two-arm trial, from whatever
the trial file reports about them (visit means, changes from baseline, slopes, baselines)
plus external evidence that enters only as an explicitly discounted source.
:class:`LongitudinalOptions` holds every modelling choice, with documented defaults.

The model, in brief (the user guide gives the equations)
---------------------------------------------------------
For endpoint :math:`e`, arm :math:`a` and visit :math:`t_v` (months, baseline first):

* baseline level :math:`\beta_e`, common to both arms (randomisation);
* control-arm change from baseline :math:`c_{e}(t_v)`, smooth over visits: piecewise
  linear with slopes following a random walk, or a random walk on the levels;
* treatment effect :math:`\delta_e(t_v) = s_e\,\sigma_e\,d_e(t_v)`, with :math:`s_e = +1`
  when higher is better and :math:`-1` when lower is better, :math:`\sigma_e` the
  endpoint's between-patient SD, and :math:`d_e` the standardised, direction-aligned
  effect (positive favours the experimental arm). :math:`d_e(0) = 0`; after baseline its
  shape over time follows the evidence (``LongitudinalOptions.effect_shape``): linear,
  :math:`d_e(t_v) = \theta_e t_v / t_r`, for an endpoint whose only data are slopes;
  otherwise :math:`d_e(t_v) = \theta_e + \omega_e(t_v)`, where :math:`\omega_e` is a
  random walk over visits pinned to zero at the reference visit :math:`t_r` (54 months):
  visits are partially pooled towards :math:`\theta_e`;
* across the endpoints with evidence of their own, :math:`\theta_e \sim N(\bar\theta,
  \tau^2)`, :math:`\bar\theta` carrying the named prior
  (:meth:`LongitudinalModel.prior_data`); :math:`\tau` measures how much the endpoints
  borrow from each other (:meth:`LongitudinalModel.endpoint_pooling`). An endpoint without
  evidence of its own takes the named prior directly, so its posterior is its prior;
* HSCT (experimental) change :math:`= c_e + \delta_e`; CYC (control) change :math:`= c_e`.

The estimand is a survivor average: reported means are means among patients alive and
measured at each visit, and so are the model's. :func:`while_alive_net_benefit` gives the
while-alive composite (death ranked worst) as a sensitivity estimand.

Evidence attribution
--------------------
Every estimand says what drove it (``EstimandDraws.evidence``): ``"trial"``,
``"external"``, ``"trial + external"``, ``"prior only"`` (no evidence of its own on the
treatment effect) or, when such an endpoint is asked to borrow,
``"predicted from other endpoints (no data)"``; external evidence is named with its
design, time and weight, and a row at a time the evidence does not reach says "carried
to ..." and is flagged ``extrapolated``. The labels are computed from the evidence
actually used, so adding per-visit numbers to a trial file changes them with no code
change.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from bayes_scot.builders._graph import prepend_zero, running_sum
from bayes_scot.builders.base import EvidenceUse, evidence_log_frame
from bayes_scot.conventions import CREDIBLE_LEVEL, DEFAULT_SEED
from bayes_scot.errors import EvidenceError, SpecError
from bayes_scot.evidence.entries import (
    POOLED,
    EffectEstimate,
    PopulationSpread,
    SlopeSummary,
    VisitSummary,
)
from bayes_scot.evidence.trial import ALL_POPULATIONS, Trial
from bayes_scot.likelihood.longitudinal import (
    DISCOUNT_METHODS,
    add_discounted_estimates,
    add_normal_summaries,
    add_visit_means,
    effect_estimate_se,
    slope_observations,
    visit_summary_se,
)
from bayes_scot.stats.estimands import EstimandDraws
from bayes_scot.stats.gls import least_squares_slope_weights, overlap_fraction
from bayes_scot.stats.priors import EffectPrior, prior_grid

__all__ = [
    "DEFAULT_ENDPOINTS",
    "EVIDENCE_LABELS",
    "EvidenceTerm",
    "LongitudinalModel",
    "LongitudinalOptions",
]

DEFAULT_ENDPOINTS: tuple[str, ...] = ("haq_di", "sf36_pcs", "sf36_mcs", "mrss", "fvc", "dlco")
"""The six quality-of-life and function endpoints of SCOT's secondary analyses."""

EVIDENCE_LABELS: tuple[str, ...] = (
    "trial",
    "external",
    "trial + external",
    "predicted from other endpoints (no data)",
    "prior only",
)
"""What drives an endpoint's effect (``LongitudinalModel.attribution``): the category
each ``EstimandDraws.evidence`` text of this model family starts with."""

EFFECT_SHAPES: tuple[str, ...] = ("auto", "linear", "step", "random_walk")
"""Values of ``LongitudinalOptions.effect_shape``."""

NO_DATA = "predicted from other endpoints (no data)"
"""Evidence of an endpoint that has no data of its own but borrows from the others."""

SURVIVOR_AVERAGE = (
    "survivor average: mean among patients alive and measured at the visit, as reported"
)

_EFFECT = "standardised_effect"


# -- options -------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class LongitudinalOptions:
    r"""Every modelling choice of :class:`LongitudinalModel`, with its default.

    Parameters
    ----------
    endpoints : tuple of str
        Endpoints modelled jointly. Default: HAQ-DI, SF-36 PCS, SF-36 MCS, mRSS, FVC and
        DLCO (:data:`DEFAULT_ENDPOINTS`).
    visits_months : tuple of float
        The visit grid in months, starting at 0 (baseline). Trajectories are linear
        between grid visits, so a summary at a time between two visits is used by linear
        interpolation; a summary after the last visit is not used (extend the grid).
        Default ``(0, 6, 12, 24, 36, 48, 54)``.
    reference_visit_months : float, default 54
        Visit at which the endpoint effects :math:`\theta_e` (and the named priors) are
        defined: SCOT's primary 54-month horizon. Must be a grid visit after baseline.
    trajectory : {"piecewise_linear", "random_walk"}, default "piecewise_linear"
        Control-arm change from baseline: ``piecewise_linear`` lets the slope change at
        each visit by a random walk (smooth; a straight line is the limit);
        ``random_walk`` lets the level move by a random walk (a flat line is the limit).
    control_slope_sd : float, default 0.5
        Prior SD of the control arm's least-squares slope from baseline to the reference
        visit, in endpoint SDs per year (``piecewise_linear`` only; the trajectory is that
        line plus smooth deviations from it).
    trajectory_sd : float, default 0.25
        SD of the control trajectory's innovations, in endpoint SDs per year per
        square-root year (``piecewise_linear``: changes of slope) or per square-root year
        (``random_walk``: changes of level). Fixed, not learned: a few visit summaries
        cannot identify it; vary it with :meth:`LongitudinalModel.smoothing_data`.
    visit_pooling_sd : float, default 0.25
        SD with which the treatment effect varies between visits around its value at the
        reference visit, in endpoint SDs per square-root year (a random walk). Smaller
        values pool visits more. Fixed like ``trajectory_sd`` and varied the same way.
        Used by endpoints whose effect shape is ``random_walk``.
    effect_shape : str or mapping of str to str, default "auto"
        How the treatment effect moves over time, for every endpoint or per endpoint
        (endpoints not named take ``"auto"``): ``linear`` (zero at baseline, growing
        in proportion to time, :math:`\theta_e` at the reference visit: a difference
        in slopes); ``step`` (:math:`\theta_e` at every follow-up visit);
        ``random_walk`` (:math:`\theta_e` plus a random walk over visits pinned to zero
        at the reference visit); ``auto`` chooses ``linear`` for an endpoint whose
        only evidence on the treatment effect is slopes (SCOT's FVC) and
        ``random_walk`` otherwise.
    correlation : {"ar1", "cs"}, default "ar1"
        Within-patient correlation of visit means: AR(1) per year or compound symmetry.
    rho_prior : tuple of float, default (7, 3)
        Beta(a, b) prior on the correlation (mean 0.7, 90% of the mass in about
        0.44-0.89). Visit means identify it weakly, hence an informative prior.
    rho_sensitivity : tuple of float, default (0.3, 0.5, 0.7, 0.9)
        Fixed correlations for the sensitivity analysis (:meth:`LongitudinalModel.rho_data`).
    external_method : {"power", "mixture"}, default "power"
        How external evidence is discounted: a power prior, or a robust mixture with a
        vague component.
    external_weight : float, default 0.5
        The power-prior weight :math:`a_0` (or the mixture's informative weight
        :math:`w`) of every external source, in [0, 1]; 0 ignores external evidence.
    external_weights : mapping of str to float
        Per-entry overrides of ``external_weight``, keyed by the external entry's id.
    external_vague_sd : float, default 2.0
        SD of the mixture's vague component, in endpoint SDs.
    external_time_tolerance_months : float, default 6
        An external estimate up to this much after the last grid visit is attributed to
        the last visit (stated in the evidence table); later ones are not used.
    borrow_across_endpoints : bool, default True
        Partially pool the endpoint effects on the standardised scale. When False, each
        endpoint's effect gets the named prior on its own.
    borrow_into_endpoints_without_data : bool, default False
        Whether endpoints with no evidence of their own on the treatment effect (neither
        trial nor external; SCOT's SF-36 MCS and DLCO) join the endpoint hierarchy.
        When False, such an endpoint's effect gets the named prior on its own, so its
        posterior is its prior (evidence ``"prior only"``). When True, its rows are
        predictions from the other endpoints (evidence ``"predicted from other
        endpoints (no data)"``), never evidence about the endpoint itself.
    endpoint_pooling_sd : float, default 0.5
        Half-normal prior scale of :math:`\tau`, the between-endpoint SD of standardised
        effects (a data container: changeable without recompiling).
    reference_prior_sd : float, default 1.0
        SD of the reference prior on the standardised effect (endpoint SDs). The model is
        built with this prior; :meth:`LongitudinalModel.prior_data` swaps in others.
    baseline_prior_sd : float, default 100
        Prior SD of each baseline level, centred on 0, in endpoint SDs (vague).
    scales : mapping of str to float
        Between-patient SDs used to standardise each endpoint, overriding the defaults
        (the trial's reported baseline SD, else the population SD of the external
        evidence).
    mcids : mapping of str to float
        Minimal clinically important differences (positive, endpoint units), overriding
        :func:`bayes_scot.data.mcid`.
    """

    endpoints: tuple[str, ...] = DEFAULT_ENDPOINTS
    visits_months: tuple[float, ...] = (0.0, 6.0, 12.0, 24.0, 36.0, 48.0, 54.0)
    reference_visit_months: float = 54.0
    trajectory: Literal["piecewise_linear", "random_walk"] = "piecewise_linear"
    control_slope_sd: float = 0.5
    trajectory_sd: float = 0.25
    visit_pooling_sd: float = 0.25
    effect_shape: str | Mapping[str, str] = "auto"
    correlation: Literal["ar1", "cs"] = "ar1"
    rho_prior: tuple[float, float] = (7.0, 3.0)
    rho_sensitivity: tuple[float, ...] = (0.3, 0.5, 0.7, 0.9)
    external_method: Literal["power", "mixture"] = "power"
    external_weight: float = 0.5
    external_weights: Mapping[str, float] = field(default_factory=dict)
    external_vague_sd: float = 2.0
    external_time_tolerance_months: float = 6.0
    borrow_across_endpoints: bool = True
    borrow_into_endpoints_without_data: bool = False
    endpoint_pooling_sd: float = 0.5
    reference_prior_sd: float = 1.0
    baseline_prior_sd: float = 100.0
    scales: Mapping[str, float] = field(default_factory=dict)
    mcids: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        endpoints = tuple(self.endpoints)
        if not endpoints or len(set(endpoints)) != len(endpoints):
            raise SpecError("list each endpoint once, at least one", field="endpoints")
        object.__setattr__(self, "endpoints", endpoints)
        visits = tuple(float(v) for v in self.visits_months)
        if len(visits) < 2 or visits[0] != 0.0 or any(
            b <= a for a, b in itertools.pairwise(visits)
        ):
            raise SpecError(
                "visits must start at 0 (baseline) and increase, with at least one "
                "follow-up visit",
                field="visits_months",
            )
        object.__setattr__(self, "visits_months", visits)
        if float(self.reference_visit_months) not in visits[1:]:
            raise SpecError(
                f"must be one of the follow-up visits {list(visits[1:])}",
                field="reference_visit_months",
            )
        choices = {
            "trajectory": ("piecewise_linear", "random_walk"),
            "correlation": ("ar1", "cs"),
            "external_method": DISCOUNT_METHODS,
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise SpecError(f"must be one of {list(allowed)}", field=name)
        shapes = self.effect_shape
        if isinstance(shapes, str):
            shapes = dict.fromkeys(endpoints, shapes)
        elif isinstance(shapes, Mapping):
            unknown = sorted(set(shapes) - set(endpoints))
            if unknown:
                raise SpecError(f"{unknown} are not modelled endpoints {list(endpoints)}",
                                field="effect_shape")
            shapes = {e: shapes.get(e, "auto") for e in endpoints}
        else:
            raise SpecError("give one shape or a table of shapes by endpoint",
                            field="effect_shape")
        for e, shape in shapes.items():
            if shape not in EFFECT_SHAPES:
                raise SpecError(f"must be one of {list(EFFECT_SHAPES)}, not {shape!r}",
                                field=f"effect_shape.{e}")
        object.__setattr__(self, "effect_shape", MappingProxyType(shapes))
        for name in (
            "control_slope_sd", "trajectory_sd", "visit_pooling_sd", "external_vague_sd",
            "endpoint_pooling_sd", "reference_prior_sd", "baseline_prior_sd",
        ):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise SpecError(f"must be a positive number, not {value!r}", field=name)
        a, b = (float(x) for x in self.rho_prior)
        if a <= 0 or b <= 0:
            raise SpecError("Beta parameters must be positive", field="rho_prior")
        object.__setattr__(self, "rho_prior", (a, b))
        rhos = tuple(float(r) for r in self.rho_sensitivity)
        if any(not 0.0 < r < 1.0 for r in rhos):
            raise SpecError("fixed correlations must lie in (0, 1)", field="rho_sensitivity")
        object.__setattr__(self, "rho_sensitivity", rhos)
        _check_weight(self.external_weight, "external_weight")
        for key, w in self.external_weights.items():
            _check_weight(w, f"external_weights.{key}")
        if self.external_time_tolerance_months < 0:
            raise SpecError("must be non-negative", field="external_time_tolerance_months")
        for mapping_name in ("scales", "mcids"):
            mapping = getattr(self, mapping_name)
            for key, value in mapping.items():
                if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                    raise SpecError(
                        f"must be a positive number, not {value!r}", field=f"{mapping_name}.{key}"
                    )
            object.__setattr__(self, mapping_name, MappingProxyType(dict(mapping)))
        object.__setattr__(
            self, "external_weights", MappingProxyType(dict(self.external_weights))
        )

    def weight_for(self, entry_id: str) -> float:
        """External weight applied to the external entry ``entry_id``."""
        return float(self.external_weights.get(entry_id, self.external_weight))

    def structure(self) -> tuple[Any, ...]:
        """Return the options that fix the model's structure (others enter as data)."""
        return tuple(
            (f.name, _hashable(getattr(self, f.name)))
            for f in fields(self)
            if f.name
            not in {"external_weight", "external_weights", "endpoint_pooling_sd",
                    "reference_prior_sd", "scales", "mcids", "rho_sensitivity"}
        )


def _check_weight(value: object, name: str) -> None:
    if not (isinstance(value, int | float) and 0.0 <= float(value) <= 1.0):
        raise SpecError(f"a weight must lie in [0, 1], not {value!r}", field=name)


def _hashable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted(value.items()))
    return value


# -- evidence terms ------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class EvidenceTerm:
    """One published number and the role it plays in the model.

    Attributes
    ----------
    source : {"trial", "external"}
        Data of the trial being reanalysed, or external evidence (discounted).
    study : str
        The trial's name, or the external source's citation.
    entry : str
        The entry's id.
    endpoint, population : str
    arm : str or None
        ``None`` for a between-arm contrast.
    time_months : float or None
        Visit, or the end of a slope's window.
    statistic : str
        ``mean``, ``change``, ``slope_per_year``, ``slope_difference``,
        ``mean_difference``, ``change_difference``.
    published : float
        The reported (or derived) value.
    se : float or None
        Its standard error as used.
    used : bool
        Whether the number enters the likelihood.
    group : str
        The model term it enters (empty when unused).
    weight : float or None
        External weight (power-prior :math:`a_0` or mixture :math:`w`).
    informs_effect : bool
        Whether it speaks to a between-arm difference (directly, or as one arm of a pair).
    note : str
        How it enters, or why it does not.
    design : str
        External evidence: what kind of study it is (e.g. "non-randomised cohort").
    model_time_months : float or None
        The visit the number is attributed to in the model (an external estimate
        shortly after the last visit is attributed to the last visit).
    window_months : tuple of float or None
        A slope's window (start, end) in months.
    """

    source: Literal["trial", "external"]
    study: str
    entry: str
    endpoint: str
    population: str
    arm: str | None
    time_months: float | None
    statistic: str
    published: float
    se: float | None
    used: bool
    group: str = ""
    weight: float | None = None
    informs_effect: bool = False
    note: str = ""
    design: str = ""
    model_time_months: float | None = None
    window_months: tuple[float, float] | None = None

    def use(self) -> EvidenceUse:
        """Return the term as an evidence-log record (``group`` is its ``term``)."""
        detail = {f.name: getattr(self, f.name) for f in fields(self)
                  if f.name not in ("study", "entry", "used", "group", "note")}
        return EvidenceUse(trial=self.study, entry=self.entry, used=self.used,
                           term=self.group, note=self.note, detail=detail)

    @property
    def span(self) -> tuple[float, float] | None:
        """Months of the effect over which the number speaks (a slope's window, or a visit)."""
        if self.window_months is not None:
            return self.window_months
        t = self.time_months if self.model_time_months is None else self.model_time_months
        return None if t is None else (float(t), float(t))


@dataclass
class _Row:
    term: EvidenceTerm
    coefficients: np.ndarray  # linear map from the model's state vector
    n: float | None = None


@dataclass
class _Plan:
    """The evidence a model uses, laid out as linear terms on the model's state vector."""

    independent: list[_Row]
    vectors: dict[str, list[_Row]]
    vector_meta: dict[str, tuple[str, str]]  # group -> (endpoint, arm)
    external: list[_Row]
    unused: list[EvidenceTerm]

    def terms(self) -> list[EvidenceTerm]:
        rows = [*self.independent, *(r for g in self.vectors.values() for r in g),
                *self.external]
        return [r.term for r in rows] + list(self.unused)

    def structure(self) -> tuple[Any, ...]:
        def digest(rows: list[_Row]) -> str:
            h = hashlib.sha256()
            for r in rows:
                h.update(r.coefficients.tobytes())
                h.update(repr((r.term.time_months, r.n is None)).encode())
            return h.hexdigest()

        return (
            ("independent", len(self.independent), digest(self.independent)),
            tuple((g, len(rows), digest(rows)) for g, rows in sorted(self.vectors.items())),
            ("external", len(self.external), digest(self.external)),
        )


class _Layout:
    """Index arithmetic for the state vector ``x = [change (E, A, V) flattened, baseline (E)]``."""

    def __init__(self, endpoints: Sequence[str], arms: Sequence[str], visits: Sequence[float]):
        self.endpoints = tuple(endpoints)
        self.arms = tuple(arms)
        self.visits = np.asarray(visits, dtype=float)
        self.n_e, self.n_a, self.n_v = len(self.endpoints), len(self.arms), self.visits.size
        self.size = self.n_e * self.n_a * self.n_v + self.n_e

    def interpolation(self, t: float) -> np.ndarray:
        """Weights over visits giving the linearly interpolated trajectory at ``t``."""
        w = np.zeros(self.n_v)
        v = self.visits
        if t < v[0] or t > v[-1]:
            raise ValueError(f"time {t} outside the visit grid")
        j = int(np.searchsorted(v, t, side="left"))
        if v[j] == t:
            w[j] = 1.0
            return w
        frac = (t - v[j - 1]) / (v[j] - v[j - 1])
        w[j - 1], w[j] = 1.0 - frac, frac
        return w

    def _change_block(self, e: str, a: str, weights: np.ndarray) -> np.ndarray:
        row = np.zeros(self.size)
        start = (self.endpoints.index(e) * self.n_a + self.arms.index(a)) * self.n_v
        row[start : start + self.n_v] = weights
        return row

    def baseline(self, e: str) -> np.ndarray:
        row = np.zeros(self.size)
        row[self.n_e * self.n_a * self.n_v + self.endpoints.index(e)] = 1.0
        return row

    def change(self, e: str, a: str, t: float) -> np.ndarray:
        return self._change_block(e, a, self.interpolation(t))

    def level(self, e: str, a: str, t: float) -> np.ndarray:
        return self.baseline(e) + self.change(e, a, t)

    def slope_weights(self, window: tuple[float, float]) -> np.ndarray:
        inside = (self.visits >= window[0] - 1e-9) & (self.visits <= window[1] + 1e-9)
        if inside.sum() < 2:
            raise ValueError("fewer than two grid visits inside the slope's window")
        w = np.zeros(self.n_v)
        w[inside] = least_squares_slope_weights(self.visits[inside] / 12.0)
        return w

    def slope(self, e: str, a: str, window: tuple[float, float]) -> np.ndarray:
        return self._change_block(e, a, self.slope_weights(window))


def _arm_weights(trial: Trial, population: str, arms: Sequence[str]) -> dict[str, float]:
    """Randomised numbers per arm: the entry's population's if it has both, else the view's."""
    own = trial.populations.get(population)
    if own is not None and all(a in own.n for a in arms):
        return {a: float(own.n[a]) for a in arms}
    return {a: float(trial.n(a)) for a in arms}


def _study_of(entry: Any) -> str:
    citation = entry.source.citation
    return citation.split(".")[0].split(",")[0].strip() or citation


def _window(entry: SlopeSummary, options: LongitudinalOptions) -> tuple[float, float]:
    if entry.window_months is not None:
        return (float(entry.window_months[0]), float(entry.window_months[1]))
    return (0.0, float(options.reference_visit_months))


def _plan_trial(trial: Trial, options: LongitudinalOptions, layout: _Layout) -> _Plan:
    experimental, control = trial.experimental, trial.control
    last = layout.visits[-1]
    independent: list[_Row] = []
    vectors: dict[str, list[_Row]] = {}
    meta: dict[str, tuple[str, str]] = {}
    unused: list[EvidenceTerm] = []
    arms = (experimental, control)

    def term(entry: Any, arm: str | None, statistic: str, value: float, se: float | None,
             *, used: bool, note: str, group: str = "", time: float | None = None,
             informs: bool = False,
             window: tuple[float, float] | None = None) -> EvidenceTerm:
        return EvidenceTerm(
            source="trial", study=trial.name, entry=entry.id, endpoint=entry.endpoint,
            population=entry.population, arm=arm,
            time_months=entry.time if time is None else time, statistic=statistic,
            published=float(value), se=se, used=used, group=group, note=note,
            informs_effect=informs, window_months=window,
        )

    for endpoint in options.endpoints:
        visits: list[VisitSummary] = list(trial.evidence("visit_summaries", endpoint=endpoint))
        per_arm: dict[tuple[str, str], list[tuple[VisitSummary, float | None]]] = defaultdict(list)
        pooled: list[VisitSummary] = []
        for entry in visits:
            for arm in entry.arms:
                if arm == POOLED:
                    pooled.append(entry)
                elif arm in arms:
                    per_arm[(arm, entry.statistic)].append((entry, visit_summary_se(entry, arm)))
        arm_times = {
            (stat, e.time_months) for (_a, stat), items in per_arm.items() for e, _s in items
        }
        followed = {
            arm: any(e.time_months > 0 for e, _s in per_arm.get((arm, "change"), []))
            for arm in arms
        }
        with_follow_up = {
            arm: any(e.time_months > 0 for stat in ("mean", "change")
                     for e, _s in per_arm.get((arm, stat), []))
            for arm in arms
        }
        both_followed = all(with_follow_up.values())
        for (arm, statistic), items in sorted(per_arm.items()):
            rows: list[_Row] = []
            for entry, se in sorted(items, key=lambda item: item[0].time_months):
                t = entry.time_months
                value = entry.mean[arm]
                n = None if entry.n is None else float(entry.n[arm])
                if se is None:
                    unused.append(term(entry, arm, statistic, value, None, used=False,
                                       note="no SE, SD with n, or confidence interval"))
                    continue
                if t > last:
                    unused.append(term(entry, arm, statistic, value, se, used=False,
                                       note=f"after the last grid visit ({last:g} months); "
                                            "extend visits_months to use it"))
                    continue
                if statistic == "mean" and t > 0 and followed[arm]:
                    unused.append(term(entry, arm, statistic, value, se, used=False,
                                       note="the same patients' changes from baseline are "
                                            "used instead"))
                    continue
                if statistic == "change" and t == 0:
                    unused.append(term(entry, arm, statistic, value, se, used=False,
                                       note="a change from baseline at baseline is zero"))
                    continue
                coefficients = (layout.level if statistic == "mean" else layout.change)(
                    endpoint, arm, t
                )
                informs = both_followed and t > 0
                note = f"{statistic} at {t:g} months"
                if t not in layout.visits:
                    note += " (trajectory interpolated between grid visits)"
                rows.append(_Row(term(entry, arm, statistic, value, se, used=True,
                                      note=note, informs=informs), coefficients, n))
            if len(rows) >= 2:
                group = f"visits_{endpoint}_{arm}_{statistic}"
                ns = [r.n for r in rows]
                overlap_note = (
                    "; patients measured at both of two visits taken as min(n_j, n_k)"
                    if all(n is not None for n in ns)
                    else "; numbers measured unknown: the same patients assumed at every visit"
                )
                vectors[group] = [
                    _Row(replace(r.term, group=group, note=r.term.note + overlap_note),
                         r.coefficients, r.n)
                    for r in rows
                ]
                meta[group] = (endpoint, arm)
            else:
                independent.extend(
                    _Row(replace(r.term, group="trial_summaries"), r.coefficients, r.n)
                    for r in rows
                )
        for entry in pooled:
            se = visit_summary_se(entry, POOLED)
            value = entry.mean[POOLED]
            t = entry.time_months
            if (entry.statistic, t) in arm_times:
                unused.append(term(entry, POOLED, entry.statistic, value, se, used=False,
                                   note="per-arm values at this visit are used instead"))
                continue
            if se is None:
                unused.append(term(entry, POOLED, entry.statistic, value, None, used=False,
                                   note="no SE, SD with n, or confidence interval"))
                continue
            if t > last or (entry.statistic == "change" and t == 0):
                unused.append(term(entry, POOLED, entry.statistic, value, se, used=False,
                                   note="outside the visit grid"))
                continue
            maker = layout.level if entry.statistic == "mean" else layout.change
            weights = _arm_weights(trial, entry.population, arms)
            total = sum(weights.values())
            coefficients = sum(
                (weights[a] / total * maker(endpoint, a, t) for a in arms),
                np.zeros(layout.size),
            )
            note = (
                f"both arms together at {t:g} months; arms weighted by their randomised "
                f"numbers ({', '.join(f'{a} {weights[a]:g}' for a in arms)})"
            )
            independent.append(_Row(
                term(entry, POOLED, entry.statistic, value, se, used=True,
                     group="trial_summaries", note=note),
                np.asarray(coefficients), None,
            ))
        for entry in trial.evidence("slopes", endpoint=endpoint):
            window = _window(entry, options)
            observed = slope_observations(entry, experimental=experimental, control=control)
            published = math.nan if entry.difference is None else entry.difference
            if entry.difference is None and entry.slope_per_year is not None:
                published = entry.slope_per_year.get(experimental, math.nan) - \
                    entry.slope_per_year.get(control, math.nan)
            if observed is None:
                unused.append(term(entry, None, "slope_difference", published,
                                   None, used=False, time=window[1],
                                   note="no standard error, p-value or per-arm SEs"))
                continue
            try:
                layout.slope_weights(window)
                if window[1] > last:
                    raise ValueError("window ends after the last visit")
            except ValueError as err:
                unused.append(term(entry, None, "slope_difference", published,
                                   observed.difference_se, used=False, time=window[1],
                                   note=f"slope window {window}: {err}"))
                continue
            note = f"slope over {window[0]:g}-{window[1]:g} months; {observed.note}"
            if observed.arms:
                for arm, value, se in zip(observed.arms, observed.values, observed.se,
                                          strict=True):
                    independent.append(_Row(
                        term(entry, arm, "slope_per_year", value, se, used=True,
                             group="trial_summaries", time=window[1], note=note, informs=True,
                             window=window),
                        layout.slope(endpoint, arm, window),
                    ))
            elif observed.difference is not None:
                coefficients = layout.slope(endpoint, experimental, window) - layout.slope(
                    endpoint, control, window
                )
                independent.append(_Row(
                    term(entry, None, "slope_difference", observed.difference,
                         observed.difference_se, used=True, group="trial_summaries",
                         time=window[1], note=note, informs=True, window=window),
                    coefficients,
                ))
    return _Plan(independent, vectors, meta, [], unused)


def _external_sources(external: Any) -> list[Any]:
    if external is None:
        return []
    if isinstance(external, Sequence) and not isinstance(external, str):
        return list(external)
    return [external]


def _external_entries(external: Any) -> list[tuple[Any, str, str, str]]:
    """External entries with their source's experimental and control arms and its design."""
    entries: list[tuple[Any, str, str, str]] = []
    for source in _external_sources(external):
        experimental = getattr(source, "experimental", "hsct")
        control = getattr(source, "control", "control")
        for kind in ("effect_estimates", "visit_summaries"):
            entries.extend((e, experimental, control, _design_of(source, e))
                           for e in source.evidence(kind))
    return entries


_DESIGNS: Mapping[str, str] = MappingProxyType({
    "observational": "non-randomised cohort",
    "single_arm": "single-arm cohort",
    "randomised": "randomised comparison",
})


def _design_of(source: Any, entry: Any) -> str:
    """Describe in words what kind of study an external number comes from."""
    if isinstance(entry, EffectEstimate):
        return _DESIGNS.get(entry.design, entry.design)
    populations = getattr(source, "populations", {})
    population = populations.get(entry.population)
    label = getattr(population, "label", entry.population)
    return f"{getattr(source, 'name', 'external').upper()} {label}"


def _plan_external(
    external: Any, trial: Trial, options: LongitudinalOptions, layout: _Layout
) -> tuple[list[_Row], list[EvidenceTerm]]:
    experimental, control = trial.experimental, trial.control
    last = float(layout.visits[-1])
    rows: list[_Row] = []
    unused: list[EvidenceTerm] = []
    for entry, source_experimental, source_control, design in _external_entries(external):
        if entry.endpoint not in options.endpoints:
            continue
        weight = options.weight_for(entry.id)
        arm: str | None = None
        statistic: str
        if isinstance(entry, EffectEstimate):
            statistic, value, se = entry.statistic, entry.estimate, effect_estimate_se(entry)
            if entry.design == "single_arm":
                arm = experimental
                statistic = "change"
                kind_note = f"single-arm change under {experimental} (no comparator)"
            else:
                kind_note = (f"{entry.design} comparison with "
                             f"{entry.comparator or 'a comparator'}")
        elif isinstance(entry, VisitSummary):
            statistic = entry.statistic
            if entry.statistic != "change":
                unused.append(_external_term(entry, None, "mean", math.nan, None, weight,
                                             used=False, note="levels from another population "
                                             "are not comparable; only changes are used"))
                continue
            arms = set(entry.arms)
            if {source_experimental, source_control} <= arms:
                value = entry.mean[source_experimental] - entry.mean[source_control]
                se_e, se_c = (visit_summary_se(entry, a)
                              for a in (source_experimental, source_control))
                if se_e is not None and se_c is not None:
                    se = math.hypot(se_e, se_c)
                    how = "SE from the two arms' SEs"
                elif entry.p_value is not None and value != 0:
                    se = effect_estimate_se(EffectEstimate(
                        id=entry.id, endpoint=entry.endpoint, population=entry.population,
                        source=entry.source, statistic="change_difference", estimate=value,
                        p_value=entry.p_value,
                    ))
                    how = f"SE from the two-sided p-value {entry.p_value:g}"
                else:
                    se, how = None, ""
                statistic = "change_difference"
                kind_note = f"between-arm difference in change ({how})"
            elif arms == {source_experimental}:
                arm = experimental
                value = entry.mean[source_experimental]
                se = visit_summary_se(entry, source_experimental)
                kind_note = f"single-arm change under {experimental}"
            else:
                unused.append(_external_term(entry, None, statistic, math.nan, None, weight,
                                             used=False, note=f"arms {sorted(arms)}: neither "
                                             "a two-arm contrast nor an experimental arm"))
                continue
        else:  # pragma: no cover - _external_entries selects the two kinds above
            continue
        t = entry.time_months
        if se is None:
            unused.append(_external_term(entry, arm, statistic, value, None, weight,
                                         used=False, note="no standard error can be derived"))
            continue
        if t is None:
            unused.append(_external_term(entry, arm, statistic, value, se, weight,
                                         used=False, note="no time point"))
            continue
        note = f"{kind_note}; discounted ({options.external_method}, weight {weight:g})"
        if t > last:
            if t - last <= options.external_time_tolerance_months:
                note += f"; reported at {t:g} months, attributed to the {last:g}-month visit"
                t_model = last
            else:
                unused.append(_external_term(entry, arm, statistic, value, se, weight,
                                             used=False, note=f"at {t:g} months, after the "
                                             f"last grid visit ({last:g}); extend "
                                             "visits_months to use it"))
                continue
        else:
            t_model = float(t)
        if arm is None:
            coefficients = layout.change(entry.endpoint, experimental, t_model) - layout.change(
                entry.endpoint, control, t_model
            )
        else:
            coefficients = layout.change(entry.endpoint, arm, t_model)
        rows.append(_Row(
            replace(_external_term(entry, arm, statistic, value, se, weight, used=True,
                                   group="external_evidence", note=note,
                                   informs=arm is None),
                    design=design, model_time_months=t_model),
            coefficients,
        ))
    return rows, unused


def _external_term(entry: Any, arm: str | None, statistic: str, value: float,
                   se: float | None, weight: float, *, used: bool, note: str,
                   group: str = "", informs: bool = False) -> EvidenceTerm:
    return EvidenceTerm(
        source="external", study=_study_of(entry), entry=entry.id, endpoint=entry.endpoint,
        population=entry.population, arm=arm, time_months=entry.time, statistic=statistic,
        published=float(value), se=se, used=used, group=group, weight=weight,
        informs_effect=informs, note=note,
    )


def _effect_shapes(plan: _Plan, options: LongitudinalOptions) -> dict[str, str]:
    """Resolve ``auto`` effect shapes: ``linear`` where the only effect evidence is slopes."""
    statistics: dict[str, set[str]] = defaultdict(set)
    for term in plan.terms():
        if term.used and (term.informs_effect or term.source == "external"):
            statistics[term.endpoint].add(term.statistic)
    slopes = {"slope_per_year", "slope_difference"}
    shapes = {}
    for e, shape in options.effect_shape.items():  # type: ignore[union-attr]
        if shape == "auto":
            only_slopes = bool(statistics[e]) and statistics[e] <= slopes
            shape = "linear" if only_slopes else "random_walk"
        shapes[e] = shape
    return shapes


def _attribution(plan: _Plan, endpoints: Sequence[str], experimental: str, control: str,
                 borrowing: bool) -> dict[str, str]:
    """Label what drives each endpoint's treatment effect (see EVIDENCE_LABELS)."""
    direct: dict[str, set[str]] = {e: set() for e in endpoints}
    arm_sources: dict[tuple[str, str], set[str]] = defaultdict(set)
    for term in plan.terms():
        if not term.used:
            continue
        if term.informs_effect:
            direct[term.endpoint].add(term.source)
        if term.arm in (experimental, control) and (term.time_months or 0) > 0:
            arm_sources[(term.endpoint, term.arm)].add(term.source)
    for e in endpoints:
        exp_src, ctrl_src = arm_sources[(e, experimental)], arm_sources[(e, control)]
        if exp_src and ctrl_src:
            direct[e] |= exp_src | ctrl_src
    labels = {}
    for e in endpoints:
        sources = direct[e]
        if sources == {"trial", "external"}:
            labels[e] = "trial + external"
        elif sources:
            labels[e] = next(iter(sources))
        elif borrowing and any(direct[o] for o in endpoints if o != e):
            labels[e] = NO_DATA
        else:
            labels[e] = "prior only"
    return labels


# -- the model -----------------------------------------------------------------------------
class LongitudinalModel:
    """Joint Bayesian model of continuous endpoints over visits, from arm-level summaries.

    Parameters
    ----------
    trial : Trial
        The trial to reanalyse, restricted to one population
        (``load_trial("scot", population="pp")``).
    options : LongitudinalOptions, optional
        Modelling choices; the defaults are documented there.
    external : Trial-like, optional
        External evidence with the :meth:`Trial.evidence` API
        (:func:`bayes_scot.data.load_external`): its ``effect_estimates`` and ``change``
        ``visit_summaries`` enter as discounted evidence (power prior or robust mixture
        with the weights of ``options``); its ``population_spread`` entries standardise
        endpoints without a reported baseline SD. ``None``: no external evidence on
        effects (the shipped population SDs of :func:`bayes_scot.data.load_external` still
        standardise endpoints that need them).

    Attributes
    ----------
    model : pymc.Model
        Built once. Dims ``endpoint``, ``arm`` (experimental first), ``visit`` (months).
    effect_parameters : tuple of str
        ``("standardised_effect",)``: the named prior applies to the pooled standardised
        effect at the reference visit when endpoints borrow from each other, else to each
        endpoint's standardised effect.
    scales : dict of str to float
        The SD that standardises each endpoint; ``scale_sources`` says where each came from.
    mcids : dict of str to float or None
    attribution : dict of str to str
        What drives each endpoint's treatment effect (:data:`EVIDENCE_LABELS`).
    effect_shapes : dict of str to str
        Each endpoint's effect shape over time (``linear``, ``step`` or ``random_walk``),
        ``options.effect_shape`` with ``auto`` resolved from the evidence.
    pooled_endpoints : tuple of str
        Endpoints whose effects are partially pooled (empty without borrowing). An
        endpoint without evidence of its own is left out unless
        ``options.borrow_into_endpoints_without_data``.
    structure_key : tuple
        Identifies the model's structure for :func:`bayes_scot.fitting.compile_model`.

    Notes
    -----
    Evidence values, standard errors, external weights, prior hyperparameters, the
    standardising SDs and the correlation switch are all ``pm.Data`` containers, so a
    prior grid, a weight sensitivity analysis, a correlation sensitivity analysis and
    refits to new numbers of the same layout (:meth:`evidence_data`) all reuse one
    compiled model.

    References
    ----------
    .. [1] Pedder H, Dias S, Bennetts M, Boucher M, Welton NJ. Modelling time-course
       relationships with multiple treatments: model-based network meta-analysis for
       continuous summary outcomes. Res Synth Methods 2019;10:267-286.
       doi:10.1002/jrsm.1351
    .. [2] Ibrahim JG, Chen M-H. Power prior distributions for regression models. Stat Sci
       2000;15:46-60. doi:10.1214/ss/1009212673
    .. [3] Schmidli H et al. Robust meta-analytic-predictive priors in clinical trials with
       historical control information. Biometrics 2014;70:1023-1032.
       doi:10.1111/biom.12242
    .. [4] Keyes-Elstein L et al. Arthritis Care Res 2023;75:307-316 (SCOT FVC slopes).
    """

    effect_parameters: tuple[str, ...] = (_EFFECT,)

    def __init__(
        self,
        trial: Trial,
        *,
        options: LongitudinalOptions | None = None,
        external: Any = None,
    ) -> None:
        self.options = options or LongitudinalOptions()
        self.trial = trial
        self.external = external
        self.arms = (trial.experimental, trial.control)
        self.endpoints = {e: trial.endpoint(e) for e in self.options.endpoints}
        for name, endpoint in self.endpoints.items():
            if endpoint.kind != "continuous":
                raise SpecError(f"{name!r} is a {endpoint.kind} endpoint, not continuous",
                                field="endpoints")
        _check_single_population(trial, self.options.endpoints)
        self.scales, self.scale_sources = _resolve_scales(trial, external, self.options)
        self.mcids, self.mcid_sources = _resolve_mcids(self.options)
        self._layout = _Layout(self.options.endpoints, self.arms, self.options.visits_months)
        self._plan = self._make_plan(trial)
        self.attribution = _attribution(
            self._plan, self.options.endpoints, *self.arms,
            borrowing=(self.options.borrow_across_endpoints
                       and self.options.borrow_into_endpoints_without_data),
        )
        self.effect_shapes = _effect_shapes(self._plan, self.options)
        self.pooled_endpoints: tuple[str, ...] = tuple(
            e for e in self.options.endpoints
            if self.options.borrow_across_endpoints and self.attribution[e] != "prior only"
        )
        self.structure_key: tuple[Any, ...] = (
            "longitudinal", self.options.structure(), self.arms, self._plan.structure(),
            tuple(self.effect_shapes.items()), self.pooled_endpoints,
        )
        self.model = self._build()

    @property
    def diagnostic_var_names(self) -> tuple[str, ...]:
        """Posterior variables whose R-hat and ESS judge a fit.

        The free parameters and the effect summaries; ``change``, ``level`` and
        ``effect`` are left out because their baseline elements are zero by definition.
        """
        free = tuple(rv.name for rv in self.model.free_RVs)
        return (*free, "slope", "slope_difference")

    # -- evidence ------------------------------------------------------------------------
    def _make_plan(self, trial: Trial) -> _Plan:
        plan = _plan_trial(trial, self.options, self._layout)
        external_rows, external_unused = _plan_external(
            self.external, trial, self.options, self._layout
        )
        plan.external = external_rows
        plan.unused.extend(external_unused)
        return plan

    @property
    def evidence_log(self) -> pd.DataFrame:
        """Every published number considered, whether it is used, how, and with what weight.

        Returns
        -------
        pandas.DataFrame
            One row per number, trial rows first:
            :func:`~bayes_scot.builders.base.evidence_log_frame` of
            :meth:`EvidenceTerm.use`.
        """
        return evidence_log_frame(term.use() for term in self._plan.terms())

    def evidence_table(self) -> pd.DataFrame:
        """Return :attr:`evidence_log` with the :class:`EvidenceTerm` field names.

        Returns
        -------
        pandas.DataFrame
            One row per number (:class:`EvidenceTerm` fields), trial rows first.
        """
        rows = [term.__dict__ for term in self._plan.terms()]
        columns = [f.name for f in fields(EvidenceTerm)]
        return pd.DataFrame(rows, columns=columns)

    def evidence_data(self, trial: Trial) -> dict[str, np.ndarray]:
        """Data-container values for another trial with the same evidence layout.

        Parameters
        ----------
        trial : Trial
            Evidence of the same kinds, endpoints, arms and visits as the model's trial
            (for example a simulated replicate); only the numbers differ.

        Returns
        -------
        dict of str to numpy.ndarray
            For :meth:`bayes_scot.fitting.CompiledModel.sample` (``data=``).

        Raises
        ------
        EvidenceError
            If the layout differs (a new structure needs a new model).
        """
        _check_single_population(trial, self.options.endpoints)
        plan = _plan_trial(trial, self.options, self._layout)
        plan.external = self._plan.external
        if plan.structure() != self._plan.structure():
            raise EvidenceError(
                "this trial's evidence has a different layout (entries, visits or arms) "
                "from the model's; build a new LongitudinalModel for it",
                file=trial.path,
            )
        return self._evidence_values(plan)

    def _evidence_values(self, plan: _Plan) -> dict[str, np.ndarray]:
        values: dict[str, np.ndarray] = {}
        if plan.independent:
            values["trial_summaries_observed"] = _column(plan.independent, "published")
            values["trial_summaries_se"] = _column(plan.independent, "se")
        for group, rows in plan.vectors.items():
            values[f"{group}_observed"] = _column(rows, "published")
            values[f"{group}_se"] = _column(rows, "se")
            values[f"{group}_overlap"] = _overlap(rows)
        if plan.external:
            values["external_observed"] = _column(plan.external, "published")
            values["external_se"] = _column(plan.external, "se")
            values["external_weight"] = _column(plan.external, "weight")
        return values

    # -- building ------------------------------------------------------------------------
    def _build(self) -> pm.Model:
        opts, layout, plan = self.options, self._layout, self._plan
        endpoints = list(opts.endpoints)
        visits = np.asarray(opts.visits_months, dtype=float)
        n_e = len(endpoints)
        dt = np.diff(visits) / 12.0
        post = visits[1:]
        ref = int(np.flatnonzero(post == opts.reference_visit_months)[0])
        sign = np.array([self.endpoints[e].sign for e in endpoints], dtype=float)
        coords: dict[str, Any] = {
            "endpoint": endpoints,
            "arm": list(self.arms),
            "visit": visits.tolist(),
            "interval": [f"{a:g}-{b:g}" for a, b in zip(visits, post, strict=False)],
            "visit_step": [f"{a:g}-{b:g}" for a, b in itertools.pairwise(post)],
        }
        data = self._evidence_values(plan)
        with pm.Model(coords=coords) as model:
            scale = pm.Data("scale", np.array([self.scales[e] for e in endpoints]),
                            dims="endpoint")

            # Control-arm change from baseline, in endpoint SDs, smooth over visits.
            slope_w = layout.slope_weights((0.0, opts.reference_visit_months))
            years = visits / 12.0
            spread = pm.Data("trajectory_sd", opts.trajectory_sd)
            if opts.trajectory == "piecewise_linear":
                # The least-squares slope over the reference window is a parameter of its
                # own (slope summaries inform it directly); smooth deviations from that
                # line follow a random walk on the slopes and are detrended.
                trend = pm.Normal("control_slope", 0.0, opts.control_slope_sd, dims="endpoint")
                z = pm.Normal("control_slope_innovation", 0.0, 1.0,
                              dims=("endpoint", "interval"))
                slopes = pt.cumsum(spread * np.sqrt(dt) * z, axis=1)
                shape = running_sum(slopes * dt)
                control_std = (trend[:, None] * years + shape
                               - pt.dot(shape, slope_w)[:, None] * years)
            else:
                z = pm.Normal("control_level_innovation", 0.0, 1.0,
                              dims=("endpoint", "interval"))
                control_std = running_sum(spread * np.sqrt(dt) * z)

            theta = self._effect_at_reference(n_e)
            effect_std = prepend_zero(self._effect_over_time(theta, post, ref, dt))
            units = scale[:, None]
            effect = pm.Deterministic(
                "effect", (sign[:, None] * units) * effect_std, dims=("endpoint", "visit")
            )
            control_change = units * control_std
            change = pm.Deterministic(
                "change",
                pt.stack([control_change + effect, control_change], axis=1),
                dims=("endpoint", "arm", "visit"),
            )
            baseline = pm.Normal("baseline", 0.0, opts.baseline_prior_sd * scale,
                                 dims="endpoint")
            pm.Deterministic("level", baseline[:, None, None] + change,
                             dims=("endpoint", "arm", "visit"))
            slope = pm.Deterministic(
                "slope", pt.tensordot(change, slope_w, axes=[[2], [0]]), dims=("endpoint", "arm")
            )
            pm.Deterministic("slope_difference", slope[:, 0] - slope[:, 1], dims="endpoint")

            state = pt.concatenate([change.flatten(), baseline])

            if plan.independent:
                model.add_coord("trial_summary", [
                    f"{r.term.entry}:{r.term.arm or 'contrast'}:{r.term.statistic}"
                    for r in plan.independent
                ])
                add_normal_summaries(
                    "trial_summaries",
                    pt.dot(_matrix(plan.independent), state),
                    pm.Data("trial_summaries_observed", data["trial_summaries_observed"],
                            dims="trial_summary"),
                    pm.Data("trial_summaries_se", data["trial_summaries_se"],
                            dims="trial_summary"),
                    dims="trial_summary",
                )
            if plan.vectors:
                a, b = opts.rho_prior
                rho = pm.Beta("rho", alpha=a, beta=b, dims="endpoint")
                fixed = pm.Data("rho_fixed", 0.0)
                fixed_value = pm.Data("rho_fixed_value", 0.5)
                rho_used = pm.Deterministic(
                    "rho_used", fixed * fixed_value + (1.0 - fixed) * rho, dims="endpoint"
                )
                for group, rows in plan.vectors.items():
                    endpoint, _arm = plan.vector_meta[group]
                    add_visit_means(
                        group,
                        pt.dot(_matrix(rows), state),
                        pm.Data(f"{group}_observed", data[f"{group}_observed"]),
                        pm.Data(f"{group}_se", data[f"{group}_se"]),
                        times_years=np.array([r.term.time_months for r in rows]) / 12.0,
                        rho=rho_used[endpoints.index(endpoint)],
                        correlation=opts.correlation,
                        overlap=pm.Data(f"{group}_overlap", data[f"{group}_overlap"]),
                    )
            if plan.external:
                model.add_coord("external_estimate", [r.term.entry for r in plan.external])
                which = np.array([endpoints.index(r.term.endpoint) for r in plan.external])
                add_discounted_estimates(
                    "external_evidence",
                    pt.dot(_matrix(plan.external), state),
                    pm.Data("external_observed", data["external_observed"],
                            dims="external_estimate"),
                    pm.Data("external_se", data["external_se"], dims="external_estimate"),
                    pm.Data("external_weight", data["external_weight"],
                            dims="external_estimate"),
                    method=opts.external_method,
                    vague_se=opts.external_vague_sd * scale[which],
                )
        return model

    def _effect_at_reference(self, n_e: int) -> pt.TensorVariable:
        """Standardised, direction-aligned treatment effect at the reference visit."""
        opts = self.options
        if not opts.borrow_across_endpoints:
            prior_mean = pm.Data(f"{_EFFECT}_prior_mean", np.zeros(n_e), dims="endpoint")
            prior_sd = pm.Data(f"{_EFFECT}_prior_sd",
                               np.full(n_e, opts.reference_prior_sd), dims="endpoint")
            return pm.Normal(_EFFECT, prior_mean, prior_sd, dims="endpoint")
        prior_mean = pm.Data(f"{_EFFECT}_prior_mean", 0.0)
        prior_sd = pm.Data(f"{_EFFECT}_prior_sd", opts.reference_prior_sd)
        pooling_scale = pm.Data("endpoint_pooling_prior_sd", opts.endpoint_pooling_sd)
        pooled = pm.Normal("pooled_effect", prior_mean, prior_sd)
        tau = pm.HalfNormal("endpoint_pooling_sd", sigma=pooling_scale)
        raw = pm.Normal("endpoint_effect_deviation", 0.0, 1.0, dims="endpoint")
        # Endpoints outside the hierarchy (no evidence of their own) take the named
        # prior on their own: theta_e = m0 + s0 * raw_e, so their posterior is the prior.
        in_pool = np.array([e in self.pooled_endpoints for e in opts.endpoints], dtype=float)
        own = prior_mean + prior_sd * raw
        return pm.Deterministic(
            _EFFECT, in_pool * (pooled + tau * raw) + (1.0 - in_pool) * own, dims="endpoint"
        )

    def _effect_over_time(self, theta: pt.TensorVariable, post: np.ndarray, ref: int,
                          dt: np.ndarray) -> pt.TensorVariable:
        """Return the standardised effect at each follow-up visit, in each endpoint's shape."""
        endpoints = self.options.endpoints
        shapes = [self.effect_shapes[e] for e in endpoints]
        # linear: theta_e t / t_ref; step and random walk: theta_e at every visit.
        profile = np.array([post / post[ref] if shape == "linear" else np.ones_like(post)
                            for shape in shapes])
        effect = theta[:, None] * profile
        walking = [e for e, shape in zip(endpoints, shapes, strict=True)
                   if shape == "random_walk"]
        if post.size < 2 or not walking:
            return effect
        # A random walk over the follow-up visits, pinned to zero at the reference visit.
        model = pm.modelcontext(None)
        model.add_coord("walk_endpoint", walking)
        visit_sd = pm.Data("visit_pooling_sd", self.options.visit_pooling_sd)
        zv = pm.Normal("effect_visit_innovation", 0.0, 1.0,
                       dims=("walk_endpoint", "visit_step"))
        walk = running_sum(visit_sd * np.sqrt(dt[1:]) * zv)
        deviation = walk - walk[:, ref][:, None]
        select = np.array([[1.0 if e == w else 0.0 for w in walking] for e in endpoints])
        return effect + pt.dot(select, deviation)

    # -- data for one compiled model -------------------------------------------------------
    def prior_data(self, prior: EffectPrior | Mapping[str, EffectPrior]) -> dict[str, np.ndarray]:
        r"""Return the prior's data-container values, for ``CompiledModel.sample(data=...)``.

        Parameters
        ----------
        prior : EffectPrior or mapping of str to EffectPrior
            A prior on the standardised, direction-aligned effect at the reference visit
            (endpoint SDs; positive favours the experimental arm). With borrowing across
            endpoints it applies to the pooled effect :math:`\bar\theta`; without, to
            each endpoint's :math:`\theta_e`. A mapping is keyed by
            ``"standardised_effect"`` or, without borrowing, by endpoint names (endpoints
            not named keep the reference prior).

        Returns
        -------
        dict of str to numpy.ndarray
        """
        opts = self.options
        if isinstance(prior, EffectPrior):
            prior = {_EFFECT: prior}
        unknown = set(prior) - {_EFFECT} - (
            set() if opts.borrow_across_endpoints else set(opts.endpoints)
        )
        if unknown:
            raise SpecError(
                f"unknown prior targets {sorted(unknown)}; use {_EFFECT!r}"
                + ("" if opts.borrow_across_endpoints else " or endpoint names"),
                field="priors",
            )
        if opts.borrow_across_endpoints:
            pooled = prior[_EFFECT]
            return {f"{_EFFECT}_prior_mean": np.asarray(pooled.mean),
                    f"{_EFFECT}_prior_sd": np.asarray(pooled.sd)}
        n_e = len(opts.endpoints)
        mean, sd = np.zeros(n_e), np.full(n_e, opts.reference_prior_sd)
        for i, e in enumerate(opts.endpoints):
            own = prior.get(e) or prior.get(_EFFECT)
            if own is not None:
                mean[i], sd[i] = own.mean, own.sd
        return {f"{_EFFECT}_prior_mean": mean, f"{_EFFECT}_prior_sd": sd}

    def prior_grid(self, *, design_effect: float = 0.5,
                   mcid: float | None = None) -> dict[str, EffectPrior]:
        """Return the package's 13 named priors on the standardised effect.

        Parameters
        ----------
        design_effect : float, default 0.5
            Hoped-for standardised effect (endpoint SDs; 0.5 is a "medium" effect).
        mcid : float, optional
            Standardised MCID for the skeptical priors (default: the design effect).

        Returns
        -------
        dict of str to EffectPrior
        """
        return prior_grid(design_effect=design_effect, benefit="higher",
                          reference_sd=self.options.reference_prior_sd, mcid=mcid)

    def weight_data(self, weight: float | Mapping[str, float]) -> dict[str, np.ndarray]:
        """External-evidence weights for ``CompiledModel.sample(data=...)``.

        Parameters
        ----------
        weight : float or mapping of str to float
            One weight for every external entry, or weights by entry id (others keep
            theirs).

        Returns
        -------
        dict of str to numpy.ndarray
            Empty when the model uses no external evidence.
        """
        if not self._plan.external:
            return {}
        current = _column(self._plan.external, "weight")
        for i, row in enumerate(self._plan.external):
            w = weight if not isinstance(weight, Mapping) else weight.get(
                row.term.entry, current[i])
            _check_weight(w, f"external_weights.{row.term.entry}")
            current[i] = float(w)
        return {"external_weight": current}

    def rho_data(self, rho: float | None) -> dict[str, np.ndarray]:
        """Fix the within-patient correlation (sensitivity analysis), or free it (``None``).

        Parameters
        ----------
        rho : float or None
            A value in (0, 1), e.g. one of ``options.rho_sensitivity``.

        Returns
        -------
        dict of str to numpy.ndarray
            Empty when no visit vectors enter the model (the correlation then plays no
            part: slopes, baselines and external estimates are single numbers).
        """
        if not self._plan.vectors:
            return {}
        if rho is None:
            return {"rho_fixed": np.asarray(0.0), "rho_fixed_value": np.asarray(0.5)}
        if not 0.0 < float(rho) < 1.0:
            raise SpecError(f"a fixed correlation must lie in (0, 1), not {rho!r}",
                            field="rho_sensitivity")
        return {"rho_fixed": np.asarray(1.0), "rho_fixed_value": np.asarray(float(rho))}

    def smoothing_data(
        self, *, trajectory_sd: float | None = None, visit_pooling_sd: float | None = None
    ) -> dict[str, np.ndarray]:
        """Return smoothing SDs for a sensitivity analysis (see the options).

        Parameters
        ----------
        trajectory_sd, visit_pooling_sd : float, optional
            New values; those not given are left out (keep the model's).

        Returns
        -------
        dict of str to numpy.ndarray
        """
        out: dict[str, np.ndarray] = {}
        names = _data_names(self.model)
        for name, value in (("trajectory_sd", trajectory_sd),
                            ("visit_pooling_sd", visit_pooling_sd)):
            if value is None or name not in names:
                continue
            if not value > 0:
                raise SpecError("must be positive", field=name)
            out[name] = np.asarray(float(value))
        return out

    def pooling_data(self, endpoint_pooling_sd: float) -> dict[str, np.ndarray]:
        """Return the half-normal scale of the between-endpoint SD, for a sensitivity analysis."""
        if not self.options.borrow_across_endpoints:
            return {}
        if not endpoint_pooling_sd > 0:
            raise SpecError("must be positive", field="endpoint_pooling_sd")
        return {"endpoint_pooling_prior_sd": np.asarray(float(endpoint_pooling_sd))}

    # -- outputs ---------------------------------------------------------------------------
    def _evidence_label(self, endpoint: str) -> str:
        return self.attribution[endpoint]

    def evidence_detail(self, endpoint: str) -> str:
        """Say in words which evidence drives an endpoint's treatment effect."""
        used = [t for t in self._plan.terms() if t.used and t.endpoint == endpoint]
        parts = []
        trial_ids = sorted({t.entry for t in used if t.source == "trial"})
        external = sorted({(t.entry, t.weight) for t in used if t.source == "external"})
        if trial_ids:
            parts.append(f"{self.trial.name.upper()} data: {', '.join(trial_ids)}")
        if external:
            parts.append("external evidence (discounted, " + self.options.external_method
                         + "): " + ", ".join(f"{i} weight {w:g}" for i, w in external))
        label = self.attribution[endpoint]
        if label in (NO_DATA, "prior only"):
            parts.append(f"no {self.trial.name.upper()} or external evidence on this "
                         "endpoint's treatment effect")
        if endpoint in self.pooled_endpoints:
            donors = [e for e in self.pooled_endpoints
                      if e != endpoint and self.attribution[e] != NO_DATA]
            if donors:
                parts.append("borrows through the endpoint hierarchy from " + ", ".join(
                    f"{d} ({self.attribution[d]})" for d in donors))
        return "; ".join(parts) if parts else "prior only"

    def change_at(self, idata: Any, endpoint: str, visit_months: float) -> np.ndarray:
        """Posterior draws of each arm's mean change from baseline at a time.

        Parameters
        ----------
        idata : arviz.InferenceData
            Posterior of :attr:`model`.
        endpoint : str
            One of :attr:`endpoints`.
        visit_months : float
            A time within the visit grid (after baseline); between grid visits the
            trajectory is interpolated as the likelihood interpolates it.

        Returns
        -------
        numpy.ndarray
            Shape ``(chain, draw, arm)``, arms in the order of :attr:`arms`.

        Raises
        ------
        SpecError
            For an endpoint that is not modelled or a time outside the grid.
        """
        if endpoint not in self.endpoints:
            raise SpecError(f"{endpoint!r} is not modelled", field="endpoint")
        t = float(visit_months)
        if not 0 < t <= self._layout.visits[-1]:
            raise SpecError(f"{t:g} months is outside the visit grid", field="visit_months")
        change = _posterior(idata)["change"].sel(endpoint=endpoint, arm=list(self.arms))
        return np.tensordot(change.transpose("chain", "draw", "arm", "visit").values,
                            self._layout.interpolation(t), axes=([3], [0]))

    def estimands(self, idata: Any) -> list[EstimandDraws]:
        """HSCT-minus-CYC differences in change from baseline at every visit, and slopes.

        Parameters
        ----------
        idata : arviz.InferenceData
            A posterior of :attr:`model`.

        Returns
        -------
        list of EstimandDraws
            Per endpoint: ``change_difference_<t>`` for every follow-up visit (including
            the reference visit, 54 months by default), then
            ``slope_difference_0_<ref>`` (least-squares slope of the difference over the
            visits up to the reference visit, per year). ``superior`` is the endpoint's
            better direction; ``mcid`` is the MCID on that side (e.g. -0.14 for HAQ-DI);
            ``evidence`` says what drove the estimate (:data:`EVIDENCE_LABELS`); ``attrs``
            carries the estimand population (survivor average), the evidence detail and
            the external weights.
        """
        posterior = _posterior(idata)
        effect = posterior["effect"]
        slope_diff = posterior["slope_difference"]
        ref = self.options.reference_visit_months
        weights = {t.entry: t.weight for t in self._plan.terms()
                   if t.source == "external" and t.used}
        out: list[EstimandDraws] = []
        for name, endpoint in self.endpoints.items():
            better = endpoint.better
            mcid = self.mcids.get(name)
            threshold = None if mcid is None else endpoint.sign * mcid
            attrs = {
                "estimand_population": SURVIVOR_AVERAGE,
                "evidence_detail": self.evidence_detail(name),
                "external_weights": {k: v for k, v in weights.items()
                                     if k in self._external_ids(name)},
                "external_method": self.options.external_method,
                "scale": self.scales[name],
                "effect_shape": self.effect_shapes[name],
                "no_data": self.attribution[name] in (NO_DATA, "prior only"),
            }
            for t in self.options.visits_months[1:]:
                beyond = self._extrapolated(name, (t, t))
                out.append(EstimandDraws(
                    estimand=f"change_difference_{t:g}",
                    label=(f"{endpoint.label} at {t:g} months: HSCT minus CYC difference "
                           "in change from baseline (survivor average)"),
                    draws=effect.sel(endpoint=name, visit=t).values,
                    mcid=threshold, mcid_source=self.mcid_sources.get(name, ""),
                    endpoint=name, null=0.0, superior=better, unit=endpoint.unit,
                    evidence=self._evidence_text(name, f"to {t:g} months", beyond),
                    attrs=dict(attrs), extrapolated=beyond,
                ))
            beyond = self._extrapolated(name, (0.0, ref))
            out.append(EstimandDraws(
                estimand=f"slope_difference_0_{ref:g}",
                label=(f"{endpoint.label}: HSCT minus CYC difference in slope over 0-{ref:g} "
                       "months, per year (survivor average)"),
                draws=slope_diff.sel(endpoint=name).values,
                unit=f"{endpoint.unit} per year".strip(),
                endpoint=name, null=0.0, superior=better,
                evidence=self._evidence_text(name, f"over 0-{ref:g} months", beyond),
                attrs=dict(attrs), extrapolated=beyond,
            ))
        return out

    def _effect_terms(self, endpoint: str) -> list[EvidenceTerm]:
        """Return the used numbers of ``endpoint`` that speak to its treatment effect."""
        return [t for t in self._plan.terms() if t.used and t.endpoint == endpoint
                and (t.informs_effect or t.source == "external")]

    def _extrapolated(self, endpoint: str, times: tuple[float, float]) -> bool:
        """Whether the months ``times`` reach outside the endpoint's effect evidence.

        The evidence spans from its earliest to its latest time (a slope's window counts
        whole); baseline, where the effect is zero by definition, is covered. An
        endpoint without evidence of its own is extrapolated everywhere.
        """
        spans = [span for term in self._effect_terms(endpoint)
                 if (span := term.span) is not None]
        if not spans:
            return True
        first = min(lo for lo, _hi in spans)
        last = max(hi for _lo, hi in spans)
        return any(t > 0 and not first - 1e-9 <= t <= last + 1e-9 for t in times)

    def _evidence_text(self, endpoint: str, where: str, extrapolated: bool) -> str:
        """Describe what drove one estimand: evidence category, external weights and times.

        E.g. "external: Maltez N et al, non-randomised cohort, at 12 months, weight 0.5;
        carried to 54 months".
        """
        label = self.attribution[endpoint]
        external = [t for t in self._effect_terms(endpoint) if t.source == "external"]
        parts = []
        for term in external:
            when = f"at {term.time_months:g} months"
            if term.model_time_months is not None and term.model_time_months != term.time_months:
                when += f" (taken at {term.model_time_months:g})"
            parts.append(f"{term.study}, {term.design}, {when}, weight {term.weight:g}")
        text = label + (": " + "; ".join(parts) if parts else "")
        if extrapolated and label not in (NO_DATA, "prior only"):
            text += f"; carried {where}"
        return text

    def _external_ids(self, endpoint: str) -> set[str]:
        return {r.term.entry for r in self._plan.external if r.term.endpoint == endpoint}

    def reproduce(self, idata: Any, *, seed: int = DEFAULT_SEED) -> pd.DataFrame:
        """Reproduce the published numbers the model used, by posterior prediction.

        Parameters
        ----------
        idata : arviz.InferenceData
        seed : int, optional
            Seed of the sampling noise added to the model's means.

        Returns
        -------
        pandas.DataFrame
            One row per used number: ``trial, entry, endpoint, population, arm,
            time_months, statistic, published, median, lower, upper, outside`` (central
            :data:`~bayes_scot.conventions.CREDIBLE_LEVEL` predictive interval; ``outside``
            when the published number falls outside it), plus ``source`` and ``weight``.
            Arm slopes that entered as a pair are followed by their published contrast
            (``statistic`` ``"slope_difference"``, ``arm`` empty), predicted as the
            difference of the two arms' predictions.

        Notes
        -----
        The prediction of a published number is the model's value of the same quantity
        plus normal noise with the number's standard error (its sampling error). For
        external estimates this shows conflict between the source and the model, not a
        failure: they describe other patients.
        """
        rows = [*self._plan.independent,
                *(r for g in self._plan.vectors.values() for r in g),
                *self._plan.external]
        if not rows:
            return pd.DataFrame(columns=_REPRODUCE_COLUMNS)
        state = self._state_draws(idata)
        matrix = _matrix(rows)
        means = state @ matrix.T  # (samples, rows)
        se = _column(rows, "se")
        rng = np.random.default_rng(seed)
        predictive = means + rng.normal(size=means.shape) * se
        alpha = (1.0 - CREDIBLE_LEVEL) / 2.0
        terms = [r.term for r in rows]
        for i, j in _slope_pairs(terms, self.arms):
            predictive = np.column_stack([predictive, predictive[:, i] - predictive[:, j]])
            terms.append(replace(terms[i], arm=None, statistic="slope_difference",
                                 published=terms[i].published - terms[j].published))
        lower, median, upper = np.quantile(predictive, [alpha, 0.5, 1.0 - alpha], axis=0)
        records = []
        for i, t in enumerate(terms):
            records.append({
                "trial": t.study, "entry": t.entry, "endpoint": t.endpoint,
                "population": t.population, "arm": t.arm, "time_months": t.time_months,
                "statistic": t.statistic, "published": t.published,
                "median": median[i], "lower": lower[i], "upper": upper[i],
                "outside": bool(t.published < lower[i] or t.published > upper[i]),
                "source": t.source, "weight": t.weight,
            })
        return pd.DataFrame.from_records(records, columns=_REPRODUCE_COLUMNS)

    def _state_draws(self, idata: Any) -> np.ndarray:
        posterior = _posterior(idata)
        change = posterior["change"].transpose("chain", "draw", "endpoint", "arm", "visit")
        baseline = posterior["baseline"].transpose("chain", "draw", "endpoint")
        c = change.to_numpy().reshape(-1, self._layout.size - self._layout.n_e)
        b = baseline.to_numpy().reshape(-1, self._layout.n_e)
        return np.concatenate([c, b], axis=1)

    def borrowing(self, idata: Any) -> pd.DataFrame:
        """Return :meth:`endpoint_pooling` (this method's former name)."""
        return self.endpoint_pooling(idata)

    def endpoint_pooling(self, idata: Any) -> pd.DataFrame:
        r"""Tabulate how much each endpoint's effect borrows from the other endpoints.

        Borrowing here is across the endpoints of one trial (the hierarchy on the
        standardised effect), not across trials as in
        :func:`bayes_scot.builders.survival.borrowing_table`.

        Parameters
        ----------
        idata : arviz.InferenceData

        Returns
        -------
        pandas.DataFrame
            One row per endpoint: ``evidence`` (attribution), ``effect_shape``,
            ``in_hierarchy`` (whether the endpoint is in :attr:`pooled_endpoints`),
            ``direct_se`` (the standardised standard error of the endpoint's own
            evidence on its effect, ``inf`` when it has none), ``tau_median`` (the
            between-endpoint SD), ``shrinkage_median``, ``shrinkage_lower``,
            ``shrinkage_upper``.

        Notes
        -----
        The shrinkage factor of a normal hierarchical model,
        :math:`B_e = s_e^2 / (s_e^2 + \tau^2)`, is the weight the pooled effect gets in the
        endpoint's estimate: 0 means the endpoint stands on its own evidence, 1 means it
        is the pooled effect (complete borrowing). :math:`s_e` is approximated from the
        endpoint's own evidence as if every term spoke directly to :math:`\theta_e`: a
        contrast at visit :math:`t` or a slope contrast times the window's length, in
        endpoint SDs, with external terms' variances divided by their weights; the
        posterior of :math:`\tau` gives the interval. Without borrowing, every
        shrinkage is 0, and so is that of an endpoint left out of the hierarchy
        (:attr:`pooled_endpoints`).
        """
        posterior = _posterior(idata)
        alpha = (1.0 - CREDIBLE_LEVEL) / 2.0
        if self.options.borrow_across_endpoints:
            tau = posterior["endpoint_pooling_sd"].to_numpy().ravel()
        else:
            tau = np.full(1, np.inf)
        records = []
        for e in self.options.endpoints:
            s = self._direct_se(e)
            shrink = s**2 / (s**2 + tau**2) if np.isfinite(s) else np.ones_like(tau)
            if e not in self.pooled_endpoints:
                shrink = np.zeros_like(tau)
            lo, med, hi = np.quantile(shrink, [alpha, 0.5, 1 - alpha])
            records.append({
                "endpoint": e, "evidence": self.attribution[e],
                "effect_shape": self.effect_shapes[e],
                "in_hierarchy": e in self.pooled_endpoints, "direct_se": s,
                "tau_median": float(np.median(tau)), "shrinkage_median": med,
                "shrinkage_lower": lo, "shrinkage_upper": hi,
            })
        return pd.DataFrame.from_records(records)

    def _direct_se(self, endpoint: str) -> float:
        scale = self.scales[endpoint]
        precision = 0.0
        rows = [*self._plan.independent, *self._plan.external]
        for row in rows:
            t = row.term
            if t.endpoint != endpoint or not t.used or t.arm is not None or t.se is None:
                continue
            if t.statistic == "slope_difference":
                length = (t.time_months or 0.0) / 12.0
                se = t.se * max(length, 1e-9) / scale
            else:
                se = t.se / scale
            weight = 1.0 if t.weight is None else t.weight
            precision += weight / se**2
        # Arm-level pairs (slopes or visit means of both arms) speak to the contrast too.
        pairs: dict[tuple[str, float | None, str], dict[str, float]] = defaultdict(dict)
        for row in [*self._plan.independent, *(r for g in self._plan.vectors.values() for r in g)]:
            t = row.term
            if t.endpoint == endpoint and t.used and t.arm in self.arms and t.se is not None \
                    and (t.time_months or 0) > 0:
                pairs[(t.entry if t.statistic == "slope_per_year" else "",
                       t.time_months, t.statistic)][t.arm] = t.se
        for (_entry, time, statistic), ses in pairs.items():
            if len(ses) == 2:
                se = math.hypot(*ses.values()) / scale
                if statistic == "slope_per_year":
                    se *= (time or 0.0) / 12.0
                precision += 1.0 / se**2
        return math.inf if precision == 0 else 1.0 / math.sqrt(precision)

    def __repr__(self) -> str:
        labels = ", ".join(f"{e}: {self.attribution[e]}" for e in self.options.endpoints)
        return f"<LongitudinalModel {self.trial.name!r} ({self.trial.population}); {labels}>"


_REPRODUCE_COLUMNS = [
    "trial", "entry", "endpoint", "population", "arm", "time_months", "statistic",
    "published", "median", "lower", "upper", "outside", "source", "weight",
]


def _slope_pairs(terms: Sequence[EvidenceTerm],
                 arms: tuple[str, str]) -> list[tuple[int, int]]:
    """Positions of (experimental, control) slopes of the same entry."""
    where = {(t.entry, t.arm): i for i, t in enumerate(terms)
             if t.statistic == "slope_per_year"}
    return [(where[(entry, arms[0])], where[(entry, arms[1])])
            for entry, arm in where if arm == arms[0] and (entry, arms[1]) in where]


def _column(rows: Sequence[_Row], name: str) -> np.ndarray:
    return np.array([getattr(r.term, name) for r in rows], dtype=float)


def _matrix(rows: Sequence[_Row]) -> np.ndarray:
    return np.vstack([r.coefficients for r in rows])


def _overlap(rows: Sequence[_Row]) -> np.ndarray:
    ns = [r.n for r in rows]
    if any(n is None for n in ns):
        return np.ones((len(rows), len(rows)))
    return overlap_fraction(np.asarray(ns, dtype=float))


def _data_names(model: pm.Model) -> set[str]:
    return {v.name for v in model.data_vars}


def _posterior(idata: Any) -> Any:
    from bayes_scot import _compat

    return _compat.get_group(idata, "posterior")


def _check_single_population(trial: Trial, endpoints: Sequence[str]) -> None:
    """Follow-up evidence must come from one population; baselines may come from any."""
    if trial.population != ALL_POPULATIONS:
        return
    populations = {e.population for e in trial.evidence("slopes", endpoint=endpoints)}
    populations |= {
        e.population for e in trial.evidence("visit_summaries", endpoint=endpoints)
        if e.time_months > 0
    }
    if len(populations) > 1:
        raise EvidenceError(
            f"follow-up entries from several populations ({', '.join(sorted(populations))}) "
            "would describe the same patients twice; load one population, e.g. "
            "load_trial(name, population='pp')",
            file=trial.path, field="population",
        )


def _resolve_scales(trial: Trial, external: Any,
                    options: LongitudinalOptions) -> tuple[dict[str, float], dict[str, str]]:
    scales: dict[str, float] = {}
    sources: dict[str, str] = {}
    for e in options.endpoints:
        if e in options.scales:
            scales[e], sources[e] = float(options.scales[e]), "user option"
            continue
        for entry in trial.evidence("visit_summaries", endpoint=e):
            if entry.time_months == 0 and entry.sd is not None:
                arm = POOLED if POOLED in entry.sd else next(iter(entry.sd))
                scales[e] = float(entry.sd[arm])
                sources[e] = f"baseline SD ({arm}), {entry.source.label()}"
                break
    missing = [e for e in options.endpoints if e not in scales]
    if missing:
        spreads = _population_spreads(external)
        for e in missing:
            if e in spreads:
                scales[e], sources[e] = spreads[e]
    missing = [e for e in options.endpoints if e not in scales]
    if missing:
        raise SpecError(
            f"no between-patient SD to standardise {', '.join(missing)}: the trial reports "
            "no baseline SD and no population spread is known; give options.scales",
            field="scales",
        )
    return scales, sources


def _population_spreads(external: Any) -> dict[str, tuple[float, str]]:
    sources = _external_sources(external)
    if not any(source.evidence("population_spread") for source in sources):
        from bayes_scot.data import load_external

        sources = [load_external()]
    out: dict[str, tuple[float, str]] = {}
    for source in sources:
        for entry in source.evidence("population_spread"):
            if isinstance(entry, PopulationSpread) and entry.endpoint not in out:
                out[entry.endpoint] = (float(entry.sd),
                                       f"population SD, {entry.source.label()}")
    return out


def _resolve_mcids(options: LongitudinalOptions) -> tuple[dict[str, float | None],
                                                          dict[str, str]]:
    mcids: dict[str, float | None] = {}
    sources: dict[str, str] = {}
    for e in options.endpoints:
        if e in options.mcids:
            mcids[e], sources[e] = float(options.mcids[e]), "user option"
            continue
        from bayes_scot.data import mcid as lookup

        found = lookup(e, direction="improvement")
        if found is None:
            mcids[e], sources[e] = None, ""
        else:
            mcids[e] = float(found.value)
            review = "; package default, review it" if found.source.tag == "default" else ""
            sources[e] = found.source.label() + review
    return mcids, sources


# -- while-alive composite -------------------------------------------------------------------
