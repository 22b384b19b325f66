"""Every modelling choice of the longitudinal model, and what it resolves from the evidence.

:class:`LongitudinalOptions` holds the choices (one field per key of a specification's
``[longitudinal.options]`` table); :func:`resolve_scales` and :func:`resolve_mcids` give
each endpoint's standardising SD and MCID, saying where each comes from.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, Literal

from bayes_scot.builders.survival.options import check_months
from bayes_scot.errors import EvidenceError, SpecError
from bayes_scot.evidence.entries import POOLED, PopulationSpread, VisitSummary
from bayes_scot.evidence.trial import ALL_POPULATIONS, Trial
from bayes_scot.likelihood.longitudinal import DISCOUNT_METHODS

__all__ = [
    "DATUM_TOLERANCE_MONTHS",
    "DEFAULT_ENDPOINTS",
    "DEFAULT_VISITS_MONTHS",
    "EFFECT_SHAPES",
    "MAX_VISITS",
    "SMOOTHING_HORIZON_MONTHS",
    "SMOOTHING_SDS",
    "LongitudinalOptions",
    "baseline_sd",
    "check_single_population",
    "check_weight",
    "external_sources",
    "resolve_mcids",
    "resolve_scales",
    "trial_visit_times",
]

DEFAULT_ENDPOINTS: tuple[str, ...] = ("haq_di", "sf36_pcs", "sf36_mcs", "mrss", "fvc", "dlco")
"""The six quality-of-life and function endpoints of SCOT's secondary analyses."""

DEFAULT_VISITS_MONTHS: tuple[float, ...] = (0.0, 6.0, 12.0, 24.0, 36.0, 48.0, 54.0)
"""SCOT's visit grid (months), to which an unset ``visits_months`` adds the trial's own
visit times (:meth:`LongitudinalOptions.with_trial_visits`)."""

DATUM_TOLERANCE_MONTHS = 0.25
"""Months (about a week) within which two times are taken as the same visit: a row's
time may lie this far outside an endpoint's data and is still labelled as within them,
not extrapolated, a number this close to a follow-up grid visit is not warned of as
read between grid visits (the fit still reads it at its own time), and a default grid
visit this close to one of the trial's visits gives way to it when ``visits_months`` is
unset (:meth:`LongitudinalOptions.with_trial_visits`). Times stated in weeks
or days are converted at 30.4375 days a month, so a visit at a whole number of years
falls short of the month grid: 52 weeks are 11.96 months, and six years of 52 weeks are
0.25 months short of 72; a week is also the resolution of a schedule stated in weeks."""

EFFECT_SHAPES: tuple[str, ...] = ("auto", "linear", "step", "random_walk")
"""Values of ``LongitudinalOptions.effect_shape``."""

MAX_VISITS = 100
"""Most visits of the grid (monthly for over eight years): every visit adds a state per
endpoint and arm, and a few published visit summaries cannot inform more."""

SMOOTHING_HORIZON_MONTHS = 54.0
"""Reference visit at which :data:`SMOOTHING_SDS` are stated (SCOT's primary horizon)."""

SMOOTHING_SDS: dict[str, float] = {"control_slope_sd": 0.5, "trajectory_sd": 0.25,
                                   "visit_pooling_sd": 0.25}
"""Default smoothing SDs at a reference visit of :data:`SMOOTHING_HORIZON_MONTHS`
(package defaults; review), rescaled to other reference visits by
:meth:`LongitudinalOptions.smoothing_sds`."""


@dataclass(frozen=True, kw_only=True)
class LongitudinalOptions:
    r"""Every modelling choice of :class:`LongitudinalModel`, with its default.

    Parameters
    ----------
    endpoints : tuple of str
        Endpoints modelled jointly. Default: HAQ-DI, SF-36 PCS, SF-36 MCS, mRSS, FVC and
        DLCO (:data:`DEFAULT_ENDPOINTS`).
    visits_months : tuple of float, optional
        The visit grid in months, starting at 0 (baseline). Trajectories are linear
        between grid visits, with the treatment effect zero at baseline, so a number at
        a time between two grid visits is read from the straight line between them: a
        3-month number on a grid with visits at 0 and 6 months speaks to half the 6-month
        effect. Such numbers are named in the model's warnings. A number after the last
        visit is not used (extend the grid). At most :data:`MAX_VISITS` (100) visits,
        each finite and at most 1,200 months (the bound of a trial file's times).
        Unset: :data:`DEFAULT_VISITS_MONTHS` ``(0, 6, 12, 24, 36, 48, 54)`` together
        with the trial's own follow-up times of the modelled endpoints up to its last
        visit (:meth:`with_trial_visits`), so that every visit of the trial is a grid
        visit and has rows of its own; a default visit within
        :data:`DATUM_TOLERANCE_MONTHS` of one of them (12 months beside 52 weeks) gives
        way to it, unless it is baseline, the reference visit or 54 months.
    reference_visit_months : float, default 54
        Visit at which the endpoint effects :math:`\theta_e` (and the named priors) are
        defined: SCOT's primary 54-month horizon. Must be a grid visit after baseline
        (with ``visits_months`` unset: a visit of the default grid or one of the
        trial's own visit times, checked by :meth:`with_trial_visits`).
    trajectory : {"piecewise_linear", "random_walk"}, default "piecewise_linear"
        Control-arm change from baseline: ``piecewise_linear`` lets the slope change at
        each visit by a random walk (smooth; a straight line is the limit);
        ``random_walk`` lets the level move by a random walk (a flat line is the limit).
    control_slope_sd : float, optional
        Prior SD of the control arm's least-squares slope from baseline to the reference
        visit, in endpoint SDs per year (``piecewise_linear`` only; the trajectory is that
        line plus smooth deviations from it). Unset: scaled to the reference visit
        (:meth:`smoothing_sds`), 0.5 at a 54-month one.
    trajectory_sd : float, optional
        SD of the control trajectory's innovations, in endpoint SDs per year per
        square-root year (``piecewise_linear``: changes of slope) or per square-root year
        (``random_walk``: changes of level). Fixed, not learned: a few visit summaries
        cannot identify it; vary it with :meth:`LongitudinalModel.smoothing_data`.
        Unset: scaled to the reference visit, 0.25 at a 54-month one.
    visit_pooling_sd : float, optional
        SD with which the treatment effect varies between visits around its value at the
        reference visit, in endpoint SDs per square-root year (a random walk). Smaller
        values pool visits more. Fixed like ``trajectory_sd`` and varied the same way.
        Used by endpoints whose effect shape is ``random_walk``. Unset: scaled to the
        reference visit, 0.25 at a 54-month one.
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
        Let the endpoint effects borrow from each other through a shared factor (see
        ``endpoint_correlation_prior``). Either way each endpoint's effect has the named
        prior as its marginal prior; when False the effects are independent.
    borrow_into_endpoints_without_data : bool, default False
        Whether endpoints with no evidence of their own on the treatment effect (neither
        trial nor external; SCOT's SF-36 MCS and DLCO) join the endpoint hierarchy.
        When False, such an endpoint's effect gets the named prior on its own, so its
        posterior is its prior (evidence ``"prior only"``). When True, its rows are
        predictions from the other endpoints (evidence ``"predicted from other
        endpoints (no data)"``), never evidence about the endpoint itself.
    endpoint_correlation_prior : tuple of float, default (2, 2)
        Beta(a, b) prior on :math:`\omega`, the prior correlation between the effects of
        two endpoints in the hierarchy (each in units of its own prior SD): mean 0.5,
        90% of the mass in about 0.14-0.86. The hyperparameters are data containers, so
        a sensitivity analysis changes them without recompiling
        (:meth:`LongitudinalModel.pooling_data`).
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
    visits_months: tuple[float, ...] | None = None
    reference_visit_months: float = 54.0
    trajectory: Literal["piecewise_linear", "random_walk"] = "piecewise_linear"
    control_slope_sd: float | None = None
    trajectory_sd: float | None = None
    visit_pooling_sd: float | None = None
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
    endpoint_correlation_prior: tuple[float, float] = (2.0, 2.0)
    reference_prior_sd: float = 1.0
    baseline_prior_sd: float = 100.0
    scales: Mapping[str, float] = field(default_factory=dict)
    mcids: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        endpoints = tuple(self.endpoints)
        if not endpoints or len(set(endpoints)) != len(endpoints):
            raise SpecError("list each endpoint once, at least one", field="endpoints")
        object.__setattr__(self, "endpoints", endpoints)
        self._check_visits()
        choices = {
            "trajectory": ("piecewise_linear", "random_walk"),
            "correlation": ("ar1", "cs"),
            "external_method": DISCOUNT_METHODS,
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise SpecError(f"must be one of {list(allowed)}", field=name)
        object.__setattr__(self, "effect_shape", MappingProxyType(self._effect_shapes()))
        for name in (
            "control_slope_sd", "trajectory_sd", "visit_pooling_sd", "external_vague_sd",
            "reference_prior_sd", "baseline_prior_sd",
        ):
            value = getattr(self, name)
            if value is None and name in SMOOTHING_SDS:
                continue
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise SpecError(f"must be a positive number, not {value!r}", field=name)
        self._check_correlations()
        self._check_external()
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

    def smoothing_sds(self) -> dict[str, float]:
        r"""Return the smoothing SDs of the model: those set, else scaled to the horizon.

        The defaults (:data:`SMOOTHING_SDS`) are stated at a reference visit of
        :data:`SMOOTHING_HORIZON_MONTHS` (SCOT's 54 months). At another reference visit
        :math:`t_r` they are rescaled, with :math:`r = 54 / t_r`, so that the priors say
        the same about the trajectory relative to its own horizon: the control slope's SD
        times :math:`r` (the same prior SD, 2.25 endpoint SDs, for the change from
        baseline to the reference visit), the piecewise-linear trajectory's SD of slope
        changes times :math:`r^{3/2}` and the random walks' SDs of level changes
        (``trajectory="random_walk"``, ``visit_pooling_sd``) times :math:`r^{1/2}`
        (the same prior on the curve's shape when time is measured in units of the
        horizon). A trial followed for six months thus allows changes over those six
        months as large as SCOT's priors allow over 54.

        Returns
        -------
        dict of str to float
            ``control_slope_sd``, ``trajectory_sd`` and ``visit_pooling_sd``, in the
            units of the options (endpoint SDs per year, per year per square-root year,
            per square-root year).
        """
        r = SMOOTHING_HORIZON_MONTHS / float(self.reference_visit_months)
        powers = {"control_slope_sd": 1.0,
                  "trajectory_sd": 1.5 if self.trajectory == "piecewise_linear" else 0.5,
                  "visit_pooling_sd": 0.5}
        out = {}
        for name, default in SMOOTHING_SDS.items():
            value = getattr(self, name)
            out[name] = float(default * r ** powers[name] if value is None else value)
        return out

    @property
    def grid(self) -> tuple[float, ...]:
        """The visit grid: ``visits_months`` when set, else :data:`DEFAULT_VISITS_MONTHS`.

        Before :meth:`with_trial_visits` an unset grid lacks the trial's own visit times.
        """
        return DEFAULT_VISITS_MONTHS if self.visits_months is None else self.visits_months

    def with_trial_visits(self, trial: Trial) -> LongitudinalOptions:
        """Return these options with an unset grid resolved for ``trial``.

        Parameters
        ----------
        trial : Trial
            The trial being reanalysed.

        Returns
        -------
        LongitudinalOptions
            Unchanged when ``visits_months`` is set. Otherwise ``visits_months`` is
            :data:`DEFAULT_VISITS_MONTHS` together with :func:`trial_visit_times` up to
            its last visit (54 months): each of the trial's visits is then a node of the
            trajectories, and no number is read from a straight line between grid visits
            (with the effect zero at baseline, a 3-month number between visits at 0 and 6
            months would be read as half the 6-month effect). Later numbers stay unused,
            as on any grid. A default visit within :data:`DATUM_TOLERANCE_MONTHS` of a
            trial's visit is the same visit and gives way to it (a trial in weeks has
            5.98 and 11.96 months, not also 6 and 12, and its rows are named by its own
            times, ``change_difference_11.9589``), except baseline, the reference visit
            and the default grid's last visit (54 months, the model-based GRCS's default
            horizon and the visit later external numbers are attributed to).

        Raises
        ------
        SpecError
            When the grid would have more than :data:`MAX_VISITS` visits.
        """
        if self.visits_months is not None:
            return self
        last = DEFAULT_VISITS_MONTHS[-1]
        times = [t for t in trial_visit_times(trial, self.endpoints) if t <= last]
        kept = {0.0, float(self.reference_visit_months), last}
        defaults = [v for v in DEFAULT_VISITS_MONTHS
                    if v in kept or all(abs(v - t) > DATUM_TOLERANCE_MONTHS for t in times)]
        visits = tuple(sorted({*defaults, *times}))
        if len(visits) > MAX_VISITS:
            raise SpecError(
                f"the default grid with trial {trial.name!r}'s {len(times)} visit times has "
                f"{len(visits)} visits, more than {MAX_VISITS}; set visits_months",
                field="visits_months",
            )
        return replace(self, visits_months=visits)

    def _check_visits(self) -> None:
        if self.visits_months is None:
            visits = DEFAULT_VISITS_MONTHS
        else:
            visits = check_months(self.visits_months, "visits_months", most=MAX_VISITS,
                                  noun="visits", error=SpecError)
        if len(visits) < 2 or visits[0] != 0.0 or any(
            b <= a for a, b in itertools.pairwise(visits)
        ):
            raise SpecError(
                "visits must start at 0 (baseline) and increase, with at least one "
                "follow-up visit",
                field="visits_months",
            )
        if self.visits_months is None:
            # The trial's visit times join the grid (with_trial_visits), which checks
            # the reference visit again.
            if not 0.0 < float(self.reference_visit_months) <= visits[-1]:
                raise SpecError(
                    f"must be a follow-up visit, at most {visits[-1]:g} months (the "
                    "last visit of the default grid); set visits_months to go further",
                    field="reference_visit_months",
                )
            return
        object.__setattr__(self, "visits_months", visits)
        if float(self.reference_visit_months) not in visits[1:]:
            raise SpecError(
                f"must be one of the follow-up visits {list(visits[1:])}",
                field="reference_visit_months",
            )

    def _effect_shapes(self) -> dict[str, str]:
        endpoints = self.endpoints
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
        return shapes

    def _check_correlations(self) -> None:
        for name in ("rho_prior", "endpoint_correlation_prior"):
            object.__setattr__(self, name, beta_parameters(getattr(self, name), name))
        rhos = tuple(float(r) for r in self.rho_sensitivity)
        if any(not 0.0 < r < 1.0 for r in rhos):
            raise SpecError("fixed correlations must lie in (0, 1)", field="rho_sensitivity")
        object.__setattr__(self, "rho_sensitivity", rhos)

    def _check_external(self) -> None:
        check_weight(self.external_weight, "external_weight")
        for key, w in self.external_weights.items():
            check_weight(w, f"external_weights.{key}")
        if self.external_time_tolerance_months < 0:
            raise SpecError("must be non-negative", field="external_time_tolerance_months")

    def weight_for(self, entry_id: str) -> float:
        """External weight applied to the external entry ``entry_id``."""
        return float(self.external_weights.get(entry_id, self.external_weight))

    def structure(self) -> tuple[Any, ...]:
        """Return the options that fix the model's structure (others enter as data)."""
        return tuple(
            (f.name, _hashable(getattr(self, f.name)))
            for f in fields(self)
            if f.name
            not in {"external_weight", "external_weights", "endpoint_correlation_prior",
                    "reference_prior_sd", "scales", "mcids", "rho_sensitivity"}
        )


def beta_parameters(value: object, name: str) -> tuple[float, float]:
    """Return a Beta prior's ``(a, b)`` as floats, or raise naming the field."""
    try:
        a, b = (float(x) for x in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise SpecError(f"must be two Beta parameters [a, b], not {value!r}",
                        field=name) from None
    if not (math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0):
        raise SpecError("Beta parameters must be positive", field=name)
    return a, b


def check_weight(value: object, name: str) -> None:
    """Refuse an external weight outside [0, 1], naming the option."""
    if not (isinstance(value, int | float) and 0.0 <= float(value) <= 1.0):
        raise SpecError(f"a weight must lie in [0, 1], not {value!r}", field=name)


def _hashable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted(value.items()))
    return value


def external_sources(external: Any) -> list[Any]:
    """Return the external sources as a list (none, one, or a sequence of them)."""
    if external is None:
        return []
    if isinstance(external, Sequence) and not isinstance(external, str):
        return list(external)
    return [external]


def trial_visit_times(trial: Trial, endpoints: Sequence[str]) -> tuple[float, ...]:
    """Return the follow-up times (months) of the trial's own numbers at a visit.

    Parameters
    ----------
    trial : Trial
    endpoints : sequence of str
        The modelled endpoints.

    Returns
    -------
    tuple of float
        Sorted, distinct and after baseline: the times of the visit summaries of
        ``endpoints`` and of the trial's own randomised between-arm differences at a
        visit (the numbers the model reads at a time; slopes are read over a window).
    """
    times = {float(e.time_months) for e in trial.evidence("visit_summaries", endpoint=endpoints)}
    times |= {
        float(e.time_months) for e in trial.evidence("effect_estimates", endpoint=endpoints)
        if e.design == "randomised" and e.time_months is not None
    }
    return tuple(sorted(t for t in times if t > 0))


def check_single_population(trial: Trial, endpoints: Sequence[str]) -> None:
    """Follow-up evidence must come from one population; baselines may come from any."""
    if trial.population != ALL_POPULATIONS:
        return
    populations = {e.population for e in trial.evidence("slopes", endpoint=endpoints)}
    populations |= {
        e.population for e in trial.evidence("visit_summaries", endpoint=endpoints)
        if e.time_months > 0
    }
    populations |= {
        e.population for e in trial.evidence("effect_estimates", endpoint=endpoints)
        if e.design == "randomised" and e.time_months
    }
    if len(populations) > 1:
        raise EvidenceError(
            f"follow-up entries from several populations ({', '.join(sorted(populations))}) "
            "would describe the same patients twice; load one population, e.g. "
            "load_trial(name, population='pp')",
            file=trial.path, field="population",
        )


def resolve_scales(trial: Trial, external: Any,
                    options: LongitudinalOptions) -> tuple[dict[str, float], dict[str, str]]:
    """Each endpoint's between-patient SD, and where it comes from.

    The options' ``scales`` first, then the trial's baseline SD (:func:`baseline_sd`:
    both arms' together if reported, else the arms' SDs pooled), then the external
    evidence's population spread.

    Raises
    ------
    SpecError
        When an endpoint has none of these.
    """
    scales: dict[str, float] = {}
    sources: dict[str, str] = {}
    for e in options.endpoints:
        if e in options.scales:
            scales[e], sources[e] = float(options.scales[e]), "user option"
            continue
        for entry in trial.evidence("visit_summaries", endpoint=e):
            if entry.time_months == 0 and entry.sd is not None:
                scales[e], how = baseline_sd(entry)
                sources[e] = f"{how}, {entry.source.label()}"
                break
    missing = [e for e in options.endpoints if e not in scales]
    if missing:
        spreads = population_spreads(external)
        for e in missing:
            if e in spreads:
                scales[e], sources[e] = spreads[e]
    missing = [e for e in options.endpoints if e not in scales]
    if missing:
        reported = sorted({entry.endpoint for entry in trial.evidence("visit_summaries")})
        if options.endpoints == DEFAULT_ENDPOINTS and set(reported) != set(DEFAULT_ENDPOINTS):
            raise SpecError(
                f"the endpoints default to SCOT's six ({', '.join(DEFAULT_ENDPOINTS)}); "
                f"trial {trial.name!r} reports visit summaries of "
                f"{', '.join(reported) or 'none'}: name the endpoints to model",
                field="endpoints",
            )
        raise SpecError(
            f"no between-patient SD to standardise {', '.join(missing)}: the trial reports "
            "no baseline SD and no population spread is known; give options.scales",
            field="scales",
        )
    return scales, sources


def baseline_sd(entry: VisitSummary) -> tuple[float, str]:
    r"""Return the between-patient SD of a baseline visit summary, and how it was obtained.

    Parameters
    ----------
    entry : VisitSummary
        A summary at baseline with ``sd``.

    Returns
    -------
    sd : float
        The SD of both arms together (``pooled``) when reported; otherwise the arms' SDs
        pooled, :math:`\sqrt{\sum_a (n_a - 1) s_a^2 / \sum_a (n_a - 1)}`, with equal
        weights when an arm's ``n`` is not given. Never one arm's SD chosen by the order
        in which the file lists the arms.
    how : str
        Which SD it is, for reports.
    """
    sd = entry.sd
    if sd is None:
        raise ValueError(f"entry {entry.id!r} reports no SD")
    if POOLED in sd:
        return float(sd[POOLED]), f"baseline SD ({POOLED})"
    arms = list(sd)
    if len(arms) == 1:
        return float(sd[arms[0]]), f"baseline SD ({arms[0]})"
    n = entry.n or {}
    counted = all(a in n and n[a] > 1 for a in arms)
    weights = [float(n[a]) - 1.0 if counted else 1.0 for a in arms]
    variance = sum(w * float(sd[a]) ** 2 for w, a in zip(weights, arms, strict=True))
    pooled = math.sqrt(variance / sum(weights))
    how = "n - 1" if counted else "equal weights"
    return pooled, f"baseline SD pooled over {', '.join(arms)} ({how})"


def population_spreads(external: Any) -> dict[str, tuple[float, str]]:
    sources = external_sources(external)
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


def resolve_mcids(options: LongitudinalOptions) -> tuple[dict[str, float | None],
                                                          dict[str, str]]:
    """Each endpoint's MCID (improvement), and where it comes from (``None`` if unknown)."""
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
