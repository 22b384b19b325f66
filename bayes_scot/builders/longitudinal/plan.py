"""Which evidence the longitudinal model uses, how, and why the rest is left out.

The plan lays every published number out as a linear term on the model's state vector
(:mod:`~bayes_scot.builders.longitudinal.layout`): one planner per kind of evidence, the
trial's per-arm visit summaries, visit summaries of both arms together, its own randomised
between-arm differences and slopes (:func:`plan_trial`), and discounted external evidence
(:func:`bayes_scot.builders.longitudinal.external.plan_external`). Numbers
that cannot be used are kept as unused terms with their reason, so the evidence log
lists every number considered. :func:`attribution` and :func:`effect_shapes` read the
plan: what drives each endpoint's effect, and the effect's shape over time.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

import numpy as np

from bayes_scot.builders.base import EvidenceUse
from bayes_scot.builders.longitudinal.layout import StateLayout
from bayes_scot.builders.longitudinal.options import (
    DATUM_TOLERANCE_MONTHS,
    DEFAULT_VISITS_MONTHS,
    LongitudinalOptions,
)
from bayes_scot.evidence.entries import POOLED, EffectEstimate, SlopeSummary, VisitSummary
from bayes_scot.evidence.trial import Trial
from bayes_scot.likelihood.longitudinal import (
    effect_estimate_se,
    slope_observations,
    visit_summary_se,
)
from bayes_scot.stats.conversions import se_from_sd
from bayes_scot.stats.gls import overlap_fraction
from bayes_scot.stats.normal_normal import SE_AGREEMENT

__all__ = [
    "EVIDENCE_LABELS",
    "NO_DATA",
    "EvidencePlan",
    "EvidenceTerm",
    "PlanRow",
    "attribution",
    "effect_shapes",
    "interpolation_note",
    "plan_trial",
]

EVIDENCE_LABELS: tuple[str, ...] = (
    "trial",
    "external",
    "trial + external",
    "predicted from other endpoints (no data)",
    "prior only",
)
"""What drives an endpoint's effect (``LongitudinalModel.attribution``): the category
each ``EstimandDraws.evidence`` text of this model family starts with."""

NO_DATA = "predicted from other endpoints (no data)"
"""Evidence of an endpoint that has no data of its own but borrows from the others."""

NO_SE = "no SE, SD or confidence interval; give se, sd or lower and upper to use it"
"""Why a visit summary without any measure of its precision is unused."""


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
class PlanRow:
    """One used number: its term and its linear map from the state vector."""

    term: EvidenceTerm
    coefficients: np.ndarray  # linear map from the model's state vector
    n: float | None = None


@dataclass
class EvidencePlan:
    """The evidence a model uses, laid out as linear terms on the model's state vector."""

    independent: list[PlanRow]
    vectors: dict[str, list[PlanRow]]
    vector_meta: dict[str, tuple[str, str]]  # group -> (endpoint, arm)
    external: list[PlanRow]
    unused: list[EvidenceTerm]
    warnings: list[str] = field(default_factory=list)
    """What a reader must know about the evidence, one line each: the trial's numbers
    that could speak to the effect but are not used, SEs resting on an assumed n, and
    numbers of the trial or of external evidence read between grid visits."""

    def terms(self) -> list[EvidenceTerm]:
        """Every term considered: used rows (trial, vectors, external), then unused."""
        rows = [*self.independent, *(r for g in self.vectors.values() for r in g),
                *self.external]
        return [r.term for r in rows] + list(self.unused)

    def values(self) -> dict[str, np.ndarray]:
        """Return the values of the model's evidence data containers."""
        values: dict[str, np.ndarray] = {}
        if self.independent:
            values["trial_summaries_observed"] = column(self.independent, "published")
            values["trial_summaries_se"] = column(self.independent, "se")
        for group, rows in self.vectors.items():
            values[f"{group}_observed"] = column(rows, "published")
            values[f"{group}_se"] = column(rows, "se")
            values[f"{group}_overlap"] = overlap(rows)
        if self.external:
            values["external_observed"] = column(self.external, "published")
            values["external_se"] = column(self.external, "se")
            values["external_weight"] = column(self.external, "weight")
        return values

    def structure(self) -> tuple[Any, ...]:
        """Return what fixes the model's structure: row counts and coefficient digests."""
        def digest(rows: list[PlanRow]) -> str:
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


def arm_weights(trial: Trial, population: str, arms: Sequence[str]) -> dict[str, float]:
    """Randomised numbers per arm: the entry's population's if it has both, else the view's."""
    own = trial.populations.get(population)
    if own is not None and all(a in own.n for a in arms):
        return {a: float(own.n[a]) for a in arms}
    return {a: float(trial.n(a)) for a in arms}


def randomised_n(trial: Trial, population: str, arm: str, arms: Sequence[str]) -> float:
    """Participants randomised to ``arm`` (or both ``arms``, for ``"pooled"``) in a population.

    The entry's population's number when it declares one for ``arm``; else both arms'
    randomised numbers added (:func:`arm_weights`) for ``"pooled"``, the view's for an arm.
    """
    own = trial.populations.get(population)
    if own is not None and arm in own.n:
        return float(own.n[arm])
    if arm == POOLED:
        return sum(arm_weights(trial, population, arms).values())
    return float(trial.n(arm))


def slope_window(entry: SlopeSummary, options: LongitudinalOptions) -> tuple[float, float]:
    """Return a slope's window in months (baseline to the reference visit if unstated)."""
    if entry.window_months is not None:
        return (float(entry.window_months[0]), float(entry.window_months[1]))
    return (0.0, float(options.reference_visit_months))


# -- the trial's own evidence ----------------------------------------------------------------
class _TrialPlanner:
    """Lays out one trial's evidence, one planner per evidence kind, endpoint by endpoint.

    Per-arm visit summaries (:meth:`arm_visits`), visit summaries of both arms together
    (:meth:`pooled_visit`), the trial's own between-arm differences at a visit
    (:meth:`contrast`) and slopes (:meth:`slope`) each become rows: linear maps from the
    model's state vector to the published number. Numbers that cannot be used are kept,
    with the reason, as unused terms; those that could have spoken to the treatment
    effect (follow-up of an arm, a between-arm difference, a slope) are also named in the
    plan's warnings, as is every visit whose SE rests on an assumed number measured.
    """

    def __init__(self, trial: Trial, options: LongitudinalOptions, layout: StateLayout):
        self.trial = trial
        self.options = options
        self.layout = layout
        self.arms = (trial.experimental, trial.control)
        self.last = layout.visits[-1]
        self.plan = EvidencePlan([], {}, {}, [], [])
        self.assumed_n: dict[str, dict[str, float]] = {}  # entry id -> arm -> n taken

    def term(self, entry: Any, arm: str | None, statistic: str, value: float,
             se: float | None, *, used: bool, note: str, group: str = "",
             time: float | None = None, informs: bool = False,
             window: tuple[float, float] | None = None) -> EvidenceTerm:
        """Return the term of one published number of the trial."""
        return EvidenceTerm(
            source="trial", study=self.trial.name, entry=entry.id, endpoint=entry.endpoint,
            population=entry.population, arm=arm,
            time_months=entry.time if time is None else time, statistic=statistic,
            published=float(value), se=se, used=used, group=group, note=note,
            informs_effect=informs, window_months=window,
        )

    def unused(self, entry: Any, arm: str | None, statistic: str, value: float,
               se: float | None, note: str, time: float | None = None, *,
               warn: bool = False) -> None:
        """Record a number that does not enter the likelihood, and why.

        ``warn`` marks a number that could speak to the treatment effect and is lost (no
        other number describes its patients): the plan's warnings name its entry once,
        with ``note``, which says how to use it.
        """
        self.plan.unused.append(
            self.term(entry, arm, statistic, value, se, used=False, note=note, time=time)
        )
        line = (f"longitudinal: trial {self.trial.name!r}, entry {entry.id!r} "
                f"({entry.endpoint}) is not used: {note}")
        if warn and line not in self.plan.warnings:
            self.plan.warnings.append(line)

    def visit_se(self, entry: VisitSummary, arm: str) -> float | None:
        """Return the SE of one arm's number at a visit (``"pooled"``: both arms together).

        :func:`~bayes_scot.likelihood.longitudinal.visit_summary_se`, except that an SD
        given without the number measured is taken over the number randomised in the
        entry's population (:func:`randomised_n`): the same patients at every visit, as
        for the covariance of an arm's visits. Recorded in :attr:`assumed_n`; it
        overstates the number's precision when patients were not measured.
        """
        se = visit_summary_se(entry, arm)
        if se is not None or entry.sd is None or arm not in entry.sd:
            return se
        n = randomised_n(self.trial, entry.population, arm, self.arms)
        self.assumed_n.setdefault(entry.id, {})[arm] = n
        return se_from_sd(entry.sd[arm], n)

    def se_note(self, entry: VisitSummary, arm: str) -> str:
        """Return how the SE of one arm's number was chosen, when a reader must see it.

        Two cases: an SE that rests on an assumed n (:meth:`visit_se`), and a reported SE
        from which the entry's own ``SD / sqrt(n)`` differs by more than
        :data:`~bayes_scot.stats.normal_normal.SE_AGREEMENT` (10%) of it. The reported SE is
        used (:func:`~bayes_scot.likelihood.longitudinal.visit_summary_se`): a
        model-based SE of an adjusted mean legitimately differs from the raw one; the
        note gives both, so that the choice can be checked. Rounding of the printed SE,
        SD and n moves them by a few percent, within that tolerance.

        Returns
        -------
        str
            ``""`` when neither applies; otherwise the note's suffix.
        """
        n = self.assumed_n.get(entry.id, {}).get(arm)
        if n is not None:
            return (f"; SE = SD/sqrt(n) with n = {n:g} randomised (the entry gives no n: "
                    "precision overstated if patients were not measured)")
        if not (entry.se and entry.sd and entry.n
                and arm in entry.se and arm in entry.sd and arm in entry.n):
            return ""
        se, sd, measured = float(entry.se[arm]), float(entry.sd[arm]), float(entry.n[arm])
        raw = se_from_sd(sd, measured)
        if abs(raw - se) <= SE_AGREEMENT * se:
            return ""
        return (f"; SE as reported ({se:.3g}); SD/sqrt(n) = {sd:g}/sqrt({measured:g}) "
                f"gives {raw:.3g}")

    def assumed_warnings(self) -> list[str]:
        """One line per endpoint whose visit SEs rest on the randomised numbers."""
        by_endpoint: dict[str, list[str]] = defaultdict(list)
        numbers: dict[str, dict[str, None]] = defaultdict(dict)
        for entry in self.trial.evidence("visit_summaries"):
            taken = self.assumed_n.get(entry.id)
            if taken:
                by_endpoint[entry.endpoint].append(repr(entry.id))
                numbers[entry.endpoint][", ".join(f"{a} {n:g}" for a, n in taken.items())] = None
        return [
            f"longitudinal: trial {self.trial.name!r}, {endpoint}: "
            f"{'entries' if len(ids) > 1 else 'entry'} {', '.join(ids)} "
            f"{'give' if len(ids) > 1 else 'gives'} sd without n; their standard errors "
            "take n as the number randomised "
            f"({'; '.join(numbers[endpoint])}), which overstates their precision when "
            "patients were not measured (dropout, death); add n to each entry"
            for endpoint, ids in by_endpoint.items()
        ]

    def run(self) -> EvidencePlan:
        """Plan every endpoint's visit summaries and slopes."""
        for endpoint in self.options.endpoints:
            per_arm, pooled = self.visit_summaries(endpoint)
            self.arm_visits(endpoint, per_arm)
            arm_times = {
                (stat, e.time_months) for (_a, stat), items in per_arm.items()
                for e, _s in items
            }
            for entry in pooled:
                self.pooled_visit(endpoint, entry, arm_times)
            for estimate in self.trial.evidence("effect_estimates", endpoint=endpoint):
                self.contrast(endpoint, estimate)
            for slope in self.trial.evidence("slopes", endpoint=endpoint):
                self.slope(endpoint, slope)
        self.plan.warnings.extend(self.assumed_warnings())
        return self.plan

    def visit_summaries(
        self, endpoint: str
    ) -> tuple[dict[tuple[str, str], list[tuple[VisitSummary, float | None]]],
               list[VisitSummary]]:
        """Split an endpoint's visit summaries into per-arm numbers (with SEs) and pooled ones."""
        per_arm: dict[tuple[str, str], list[tuple[VisitSummary, float | None]]] = (
            defaultdict(list)
        )
        pooled: list[VisitSummary] = []
        for entry in self.trial.evidence("visit_summaries", endpoint=endpoint):
            for arm in entry.arms:
                if arm == POOLED:
                    pooled.append(entry)
                elif arm in self.arms:
                    per_arm[(arm, entry.statistic)].append((entry, self.visit_se(entry, arm)))
        return per_arm, pooled

    # -- per-arm visit summaries --------------------------------------------------------
    def arm_visits(
        self, endpoint: str,
        per_arm: Mapping[tuple[str, str], list[tuple[VisitSummary, float | None]]],
    ) -> None:
        """Plan each arm's means or changes over visits, as one correlated vector or alone."""
        followed = {
            arm: any(e.time_months > 0 for e, _s in per_arm.get((arm, "change"), []))
            for arm in self.arms
        }
        with_follow_up = {
            arm: any(e.time_months > 0 for stat in ("mean", "change")
                     for e, _s in per_arm.get((arm, stat), []))
            for arm in self.arms
        }
        both_followed = all(with_follow_up.values())
        for (arm, statistic), items in sorted(per_arm.items()):
            rows = []
            for entry, se in sorted(items, key=lambda item: item[0].time_months):
                row = self.arm_visit(endpoint, arm, statistic, entry, se,
                                     changes_reported=followed[arm], informs=both_followed)
                if row is not None:
                    rows.append(row)
            self.group_visits(endpoint, arm, statistic, rows)

    def arm_visit(self, endpoint: str, arm: str, statistic: str, entry: VisitSummary,
                  se: float | None, *, changes_reported: bool,
                  informs: bool) -> PlanRow | None:
        """Return the row of one arm's number at one visit, or record why it is unused."""
        t = entry.time_months
        value = entry.mean[arm]
        if se is None:
            self.unused(entry, arm, statistic, value, None, NO_SE, warn=t > 0)
            return None
        if t > self.last:
            self.unused(entry, arm, statistic, value, se, self.after_grid(), warn=True)
            return None
        if statistic == "mean" and t > 0 and changes_reported:
            self.unused(entry, arm, statistic, value, se,
                        "the same patients' changes from baseline are used instead")
            return None
        if statistic == "change" and t == 0:
            self.unused(entry, arm, statistic, value, se,
                        "a change from baseline at baseline is zero")
            return None
        coefficients = (self.layout.level if statistic == "mean" else self.layout.change)(
            endpoint, arm, t
        )
        note = (f"{statistic} at {t:g} months{self.se_note(entry, arm)}"
                f"{self.interpolated(entry, t)}")
        n = None if entry.n is None else float(entry.n[arm])
        term = self.term(entry, arm, statistic, value, se, used=True, note=note,
                         informs=informs and t > 0)
        return PlanRow(term, coefficients, n)

    def group_visits(self, endpoint: str, arm: str, statistic: str,
                     rows: list[PlanRow]) -> None:
        """Enter two or more visits of one arm as one correlated vector, one visit alone."""
        if len(rows) < 2:
            self.plan.independent.extend(
                PlanRow(replace(r.term, group="trial_summaries"), r.coefficients, r.n)
                for r in rows
            )
            return
        group = f"visits_{endpoint}_{arm}_{statistic}"
        overlap_note = (
            "; patients measured at both of two visits taken as min(n_j, n_k)"
            if all(r.n is not None for r in rows)
            else "; numbers measured unknown: the same patients assumed at every visit"
        )
        self.plan.vectors[group] = [
            PlanRow(replace(r.term, group=group, note=r.term.note + overlap_note),
                    r.coefficients, r.n)
            for r in rows
        ]
        self.plan.vector_meta[group] = (endpoint, arm)

    # -- both arms together -------------------------------------------------------------
    def pooled_visit(self, endpoint: str, entry: VisitSummary,
                     arm_times: set[tuple[str, float]]) -> None:
        """Plan a number of both arms together: the arms' average by randomised numbers."""
        se = self.visit_se(entry, POOLED)
        value = entry.mean[POOLED]
        t = entry.time_months
        if (entry.statistic, t) in arm_times:
            self.unused(entry, POOLED, entry.statistic, value, se,
                        "per-arm values at this visit are used instead")
            return
        if se is None:
            self.unused(entry, POOLED, entry.statistic, value, None, NO_SE, warn=t > 0)
            return
        if t > self.last:
            self.unused(entry, POOLED, entry.statistic, value, se, self.after_grid(),
                        warn=True)
            return
        if entry.statistic == "change" and t == 0:
            self.unused(entry, POOLED, entry.statistic, value, se,
                        "a change from baseline at baseline is zero")
            return
        maker = self.layout.level if entry.statistic == "mean" else self.layout.change
        weights = arm_weights(self.trial, entry.population, self.arms)
        total = sum(weights.values())
        coefficients = sum(
            (weights[a] / total * maker(endpoint, a, t) for a in self.arms),
            np.zeros(self.layout.size),
        )
        note = (
            f"both arms together at {t:g} months; arms weighted by their randomised "
            f"numbers ({', '.join(f'{a} {weights[a]:g}' for a in self.arms)})"
            f"{self.se_note(entry, POOLED)}{self.interpolated(entry, t)}"
        )
        self.plan.independent.append(PlanRow(
            self.term(entry, POOLED, entry.statistic, value, se, used=True,
                      group="trial_summaries", note=note),
            np.asarray(coefficients), None,
        ))

    # -- the trial's own between-arm differences ----------------------------------------
    def contrast(self, endpoint: str, entry: EffectEstimate) -> None:
        """Plan the trial's own between-arm difference at one visit, or record why not.

        A paper often prints only the randomised comparison at a visit: a mean difference
        (unadjusted or baseline-adjusted, e.g. ANCOVA) or a difference in change from
        baseline, experimental minus control, with a confidence interval, standard error
        or p-value. An ``effect_estimates`` entry of the trial itself with
        ``design = "randomised"`` enters as that contrast of the two arms' changes at its
        time: the arms share one baseline level (randomisation), so a difference in
        levels and a difference in changes are the same quantity of the model.

        It is left out, with the reason, when its design is not randomised (a number from
        another comparison kept in the trial's file is not this trial's randomised
        contrast: name the file as external evidence to use it discounted), when it has
        no time or no standard error, lies at baseline or after the last grid visit, or
        when both arms' own numbers at that visit, or another contrast at it, already
        describe the same patients.
        """
        experimental, control = self.arms
        value, se = float(entry.estimate), effect_estimate_se(entry)
        t = math.nan if entry.time_months is None else float(entry.time_months)
        reason, lost = "", True
        if entry.design != "randomised":
            article = "an" if entry.design[:1] in "aeiou" else "a"
            reason = (f"{article} {entry.design} estimate is not this trial's randomised "
                      "comparison; give design = \"randomised\" if it is, or name the "
                      "file as external evidence to use it discounted")
        elif math.isnan(t):
            reason = "no time point; give time_months to use it"
        elif se is None:
            reason = ("no standard error, confidence interval or p-value; give one to "
                      "use it")
        elif t == 0:
            reason, lost = "at baseline the randomised difference is zero in the model", False
        elif t > self.last:
            reason = self.after_grid()
        elif t in self.compared_times(endpoint):
            reason, lost = ("both arms' own numbers, or another difference, at this visit "
                            "describe the same patients and are used instead"), False
        if reason:
            self.unused(entry, None, entry.statistic, value, se, reason, warn=lost)
            return
        coefficients = (self.layout.change(endpoint, experimental, t)
                        - self.layout.change(endpoint, control, t))
        note = (f"{entry.statistic} at {t:g} months, {experimental} minus {control} "
                f"(the trial's randomised comparison){self.interpolated(entry, t)}")
        self.plan.independent.append(PlanRow(
            self.term(entry, None, entry.statistic, value, se, used=True,
                      group="trial_summaries", note=note, informs=True),
            coefficients,
        ))

    def interpolated(self, entry: Any, t: float) -> str:
        """Return the note of a number used between grid visits, and warn of it once.

        :func:`interpolation_note`, with the trial named and the unset grid's rule as
        the second way to put the time on the grid.
        """
        return interpolation_note(
            self.layout, entry, t, subject=f"trial {self.trial.name!r}",
            hint=(f" (left unset, visits_months puts every visit of the trial up to "
                  f"{DEFAULT_VISITS_MONTHS[-1]:g} months on the grid)"),
            warnings=self.plan.warnings,
        )

    def after_grid(self) -> str:
        """Why a number after the last grid visit is unused, and how to use it."""
        return (f"after the last grid visit ({self.last:g} months); "
                "extend visits_months to use it")

    def compared_times(self, endpoint: str) -> set[float]:
        """Follow-up times at which the plan already compares the arms of ``endpoint``.

        Times with a used number of each arm, or a used between-arm difference at a visit.
        """
        rows = [*self.plan.independent, *(r for g in self.plan.vectors.values() for r in g)]
        visits = [(r.term.arm, float(r.term.time_months)) for r in rows
                  if r.term.endpoint == endpoint and r.term.window_months is None
                  and r.term.time_months]
        experimental, control = ({t for arm, t in visits if arm == a} for a in self.arms)
        return (experimental & control) | {t for arm, t in visits if arm is None}

    # -- slopes -------------------------------------------------------------------------
    def slope(self, endpoint: str, entry: SlopeSummary) -> None:
        """Plan a slope summary: per-arm slopes, or their difference, over its window."""
        experimental, control = self.arms
        window = slope_window(entry, self.options)
        observed = slope_observations(entry, experimental=experimental, control=control)
        published = math.nan if entry.difference is None else entry.difference
        if entry.difference is None and entry.slope_per_year is not None:
            published = entry.slope_per_year.get(experimental, math.nan) - \
                entry.slope_per_year.get(control, math.nan)
        if observed is None:
            self.unused(entry, None, "slope_difference", published, None,
                        "no standard error, p-value or per-arm SEs; give one to use it",
                        time=window[1], warn=True)
            return
        try:
            self.layout.slope_weights(window)
            if window[1] > self.last:
                raise ValueError("window ends after the last visit")
        except ValueError as err:
            self.unused(entry, None, "slope_difference", published, observed.difference_se,
                        f"slope window {window}: {err}; add grid visits (visits_months) "
                        "to use it", time=window[1], warn=True)
            return
        note = f"slope over {window[0]:g}-{window[1]:g} months; {observed.note}"
        if observed.arms:
            for arm, value, se in zip(observed.arms, observed.values, observed.se,
                                      strict=True):
                self.plan.independent.append(PlanRow(
                    self.term(entry, arm, "slope_per_year", value, se, used=True,
                              group="trial_summaries", time=window[1], note=note,
                              informs=True, window=window),
                    self.layout.slope(endpoint, arm, window),
                ))
        elif observed.difference is not None:
            coefficients = self.layout.slope(endpoint, experimental, window) - \
                self.layout.slope(endpoint, control, window)
            self.plan.independent.append(PlanRow(
                self.term(entry, None, "slope_difference", observed.difference,
                          observed.difference_se, used=True, group="trial_summaries",
                          time=window[1], note=note, informs=True, window=window),
                coefficients,
            ))


def interpolation_note(layout: StateLayout, entry: Any, t: float, *, subject: str, hint: str,
                       warnings: list[str]) -> str:
    r"""Return the note of a number used between grid visits, and warn of it once.

    The trajectories are straight lines between grid visits, with the treatment
    effect zero at baseline, so a number at ``t`` between the grid visits
    :math:`v_{j-1} < t < v_j` is fitted by
    :math:`(1 - w)\, x(v_{j-1}) + w\, x(v_j)` with
    :math:`w = (t - v_{j-1}) / (v_j - v_{j-1})`: between baseline and the first
    visit, an effect seen at ``t`` implies an effect :math:`1 / w` times as large at
    :math:`v_j`. One line in ``warnings`` (unless already there) names the entry, its
    time, the two grid visits and the weights, and says how to put the time on the
    grid; a number within :data:`DATUM_TOLERANCE_MONTHS` of a follow-up grid visit (52
    weeks, 11.96 months, beside 12) is taken as that visit's and not warned of.

    Parameters
    ----------
    layout : StateLayout
    entry : Any
        The entry of the number (its ``id`` and ``endpoint`` are named).
    t : float
        The number's time in months.
    subject : str
        Whose number it is, as the warning names it ("trial 'scot'").
    hint : str
        Appended to the advice to add ``t`` to ``visits_months``.
    warnings : list of str
        The plan's warnings, to which the line is added.

    Returns
    -------
    str
        ``""`` for a number at a grid visit; otherwise the note's suffix.
    """
    weights = layout.interpolation(t)
    if weights.max() == 1.0:
        return ""
    lo, hi = (float(layout.visits[j]) for j in np.flatnonzero(weights))
    w = float(weights[layout.visits == hi][0])
    note = f" (trajectory interpolated between the grid visits at {lo:g} and {hi:g} months)"
    if hi - t <= DATUM_TOLERANCE_MONTHS or (lo > 0.0 and t - lo <= DATUM_TOLERANCE_MONTHS):
        return note  # the same visit as a follow-up grid visit (52 weeks, 12 months)
    baseline = (
        f" (the effect is zero at baseline, so an effect seen at {t:g} months implies "
        f"one {1.0 / w:.3g} times as large at {hi:g} months)" if lo == 0.0 else ""
    )
    line = (
        f"longitudinal: {subject}, entry {entry.id!r} ({entry.endpoint}) at {t:g} months "
        f"lies between the grid visits at {lo:g} and {hi:g} months, and trajectories are "
        f"straight lines between grid visits: it is fitted by {1.0 - w:.3g} x the "
        f"{lo:g}-month value + {w:.3g} x the {hi:g}-month value{baseline}; add {t:g} to "
        f"visits_months{hint}"
    )
    if line not in warnings:
        warnings.append(line)
    return note


def plan_trial(trial: Trial, options: LongitudinalOptions, layout: StateLayout) -> EvidencePlan:
    """Lay out the trial's own evidence on the model's state vector.

    Parameters
    ----------
    trial : Trial
    options : LongitudinalOptions
    layout : StateLayout

    Returns
    -------
    EvidencePlan
        Without external rows (:func:`plan_external` adds them).
    """
    return _TrialPlanner(trial, options, layout).run()


# -- reading the plan ----------------------------------------------------------------------
def effect_shapes(plan: EvidencePlan, options: LongitudinalOptions) -> dict[str, str]:
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


def attribution(plan: EvidencePlan, endpoints: Sequence[str], experimental: str, control: str,
                pool_into_empty: bool) -> dict[str, str]:
    """Label what drives each endpoint's treatment effect (see :data:`EVIDENCE_LABELS`).

    ``pool_into_empty`` says whether endpoints without evidence of their own join the
    endpoint hierarchy (their label is then :data:`NO_DATA`).
    """
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
    others_informed = {e: any(direct[o] for o in endpoints if o != e) for e in endpoints}
    return {e: _label(direct[e], pool_into_empty and others_informed[e]) for e in endpoints}


def _label(sources: set[str], predicted: bool) -> str:
    if sources == {"trial", "external"}:
        return "trial + external"
    if sources:
        return next(iter(sources))
    return NO_DATA if predicted else "prior only"


def slope_pairs(terms: Sequence[EvidenceTerm],
                 arms: tuple[str, str]) -> list[tuple[int, int]]:
    """Positions of (experimental, control) slopes of the same entry."""
    where = {(t.entry, t.arm): i for i, t in enumerate(terms)
             if t.statistic == "slope_per_year"}
    return [(where[(entry, arms[0])], where[(entry, arms[1])])
            for entry, arm in where if arm == arms[0] and (entry, arms[1]) in where]


def column(rows: Sequence[PlanRow], name: str) -> np.ndarray:
    return np.array([getattr(r.term, name) for r in rows], dtype=float)


def matrix(rows: Sequence[PlanRow]) -> np.ndarray:
    return np.vstack([r.coefficients for r in rows])


def overlap(rows: Sequence[PlanRow]) -> np.ndarray:
    ns = [r.n for r in rows]
    if any(n is None for n in ns):
        return np.ones((len(rows), len(rows)))
    return overlap_fraction(np.asarray(ns, dtype=float))
