"""How external evidence enters the longitudinal model, discounted, and why some does not.

External sources (the package's external evidence file, other trials' subcohorts) give
published effect estimates and other populations' changes from baseline. Each number is
read on the model's scale (a single arm's change, or a between-arm difference), placed on
the trajectories at its time (one shortly after the last grid visit at that visit; one
between grid visits read from the straight line between them, and warned of), and
discounted by a power prior or a robust mixture with the options' weight
(:func:`bayes_scot.likelihood.longitudinal.add_discounted_estimates`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from bayes_scot.builders.longitudinal.layout import StateLayout
from bayes_scot.builders.longitudinal.options import LongitudinalOptions, external_sources
from bayes_scot.builders.longitudinal.plan import EvidenceTerm, PlanRow, interpolation_note
from bayes_scot.evidence.entries import EffectEstimate, VisitSummary
from bayes_scot.evidence.trial import Trial
from bayes_scot.likelihood.longitudinal import effect_estimate_se, visit_summary_se

__all__ = ["plan_external", "study_of"]


def study_of(entry: Any) -> str:
    """Name an external number's study by its citation's first author."""
    citation = entry.source.citation
    return citation.split(".")[0].split(",")[0].strip() or citation


def _external_entries(external: Any) -> list[tuple[Any, str, str, str]]:
    """External entries with their source's experimental and control arms and its design."""
    entries: list[tuple[Any, str, str, str]] = []
    for source in external_sources(external):
        for kind in ("effect_estimates", "visit_summaries"):
            entries.extend((e, source.experimental, source.control, _design_of(source, e))
                           for e in source.evidence(kind))
    return entries


_DESIGNS: Mapping[str, str] = MappingProxyType({
    "observational": "non-randomised cohort",
    "single_arm": "single-arm cohort",
    "randomised": "randomised comparison",
})


def _design_of(source: Trial, entry: Any) -> str:
    """Describe in words what kind of study an external number comes from."""
    if isinstance(entry, EffectEstimate):
        return _DESIGNS.get(entry.design, entry.design)
    population = source.populations.get(entry.population)
    label = entry.population if population is None else population.label
    return f"{source.name.upper()} {label}"


@dataclass(frozen=True)
class _ExternalNumber:
    """What an external entry says on the model's scale, before it is placed on a visit."""

    arm: str | None  # None for a between-arm contrast
    statistic: str
    value: float
    se: float | None
    kind_note: str


class _ExternalPlanner:
    """Lays out external evidence (effect estimates, other trials' visit changes)."""

    def __init__(self, trial: Trial, options: LongitudinalOptions, layout: StateLayout):
        self.experimental, self.control = trial.experimental, trial.control
        self.options = options
        self.layout = layout
        self.last = float(layout.visits[-1])
        self.rows: list[PlanRow] = []
        self.unused: list[EvidenceTerm] = []
        self.warnings: list[str] = []

    def add(self, entry: Any, source_experimental: str, source_control: str,
            design: str) -> None:
        """Plan one external entry."""
        weight = self.options.weight_for(entry.id)
        number: _ExternalNumber | None
        if isinstance(entry, EffectEstimate):
            number = self.effect_estimate(entry)
        else:
            number = self.visit_change(entry, source_experimental, source_control, weight)
        if number is not None:
            self.place(entry, number, weight, design)

    def effect_estimate(self, entry: EffectEstimate) -> _ExternalNumber:
        """Read a published effect estimate (a single-arm change, or a comparison)."""
        se = effect_estimate_se(entry)
        if entry.design == "single_arm":
            return _ExternalNumber(
                self.experimental, "change", entry.estimate, se,
                f"single-arm change under {self.experimental} (no comparator)",
            )
        note = f"{entry.design} comparison with {entry.comparator or 'a comparator'}"
        return _ExternalNumber(None, entry.statistic, entry.estimate, se, note)

    def visit_change(self, entry: VisitSummary, source_experimental: str,
                     source_control: str, weight: float) -> _ExternalNumber | None:
        """Read another source's changes: a between-arm difference or a single arm's change."""
        if entry.statistic != "change":
            self.unused.append(_external_term(
                entry, None, "mean", math.nan, None, weight, used=False,
                note="levels from another population are not comparable; only changes "
                "are used"))
            return None
        arms = set(entry.arms)
        if {source_experimental, source_control} <= arms:
            value = entry.mean[source_experimental] - entry.mean[source_control]
            se, how = _difference_se(entry, value, source_experimental, source_control)
            return _ExternalNumber(None, "change_difference", value, se,
                                   f"between-arm difference in change ({how})")
        if arms == {source_experimental}:
            return _ExternalNumber(
                self.experimental, entry.statistic, entry.mean[source_experimental],
                visit_summary_se(entry, source_experimental),
                f"single-arm change under {self.experimental}",
            )
        self.unused.append(_external_term(
            entry, None, entry.statistic, math.nan, None, weight, used=False,
            note=f"arms {sorted(arms)}: neither a two-arm contrast nor an experimental arm"))
        return None

    def place(self, entry: Any, number: _ExternalNumber, weight: float, design: str) -> None:
        """Attribute the number to a grid visit and add its row, or record why not."""
        arm, statistic, value, se = number.arm, number.statistic, number.value, number.se
        t = entry.time_months
        if se is None:
            self.unused.append(_external_term(entry, arm, statistic, value, None, weight,
                                              used=False,
                                              note="no standard error can be derived"))
            return
        if t is None:
            self.unused.append(_external_term(entry, arm, statistic, value, se, weight,
                                              used=False, note="no time point"))
            return
        note = (f"{number.kind_note}; discounted ({self.options.external_method}, "
                f"weight {weight:g})")
        if t > self.last:
            if t - self.last > self.options.external_time_tolerance_months:
                self.unused.append(_external_term(
                    entry, arm, statistic, value, se, weight, used=False,
                    note=f"at {t:g} months, after the last grid visit ({self.last:g}); "
                    "extend visits_months to use it"))
                return
            note += f"; reported at {t:g} months, attributed to the {self.last:g}-month visit"
            t_model = self.last
        else:
            t_model = float(t)
            note += interpolation_note(
                self.layout, entry, t_model, subject=f"external evidence {study_of(entry)!r}",
                hint=" (external times do not join a grid left unset)",
                warnings=self.warnings,
            )
        layout = self.layout
        if arm is None:
            coefficients = layout.change(entry.endpoint, self.experimental, t_model) - \
                layout.change(entry.endpoint, self.control, t_model)
        else:
            coefficients = layout.change(entry.endpoint, arm, t_model)
        self.rows.append(PlanRow(
            replace(_external_term(entry, arm, statistic, value, se, weight, used=True,
                                   group="external_evidence", note=note,
                                   informs=arm is None),
                    design=design, model_time_months=t_model),
            coefficients,
        ))


def _difference_se(entry: VisitSummary, value: float, experimental: str,
                   control: str) -> tuple[float | None, str]:
    """SE of a between-arm difference in change, and how it was derived."""
    se_e, se_c = (visit_summary_se(entry, a) for a in (experimental, control))
    if se_e is not None and se_c is not None:
        return math.hypot(se_e, se_c), "SE from the two arms' SEs"
    if entry.p_value is not None and value != 0:
        se = effect_estimate_se(EffectEstimate(
            id=entry.id, endpoint=entry.endpoint, population=entry.population,
            source=entry.source, statistic="change_difference", estimate=value,
            p_value=entry.p_value,
        ))
        return se, f"SE from the two-sided p-value {entry.p_value:g}"
    return None, ""


def _external_term(entry: Any, arm: str | None, statistic: str, value: float,
                   se: float | None, weight: float, *, used: bool, note: str,
                   group: str = "", informs: bool = False) -> EvidenceTerm:
    return EvidenceTerm(
        source="external", study=study_of(entry), entry=entry.id, endpoint=entry.endpoint,
        population=entry.population, arm=arm, time_months=entry.time, statistic=statistic,
        published=float(value), se=se, used=used, group=group, weight=weight,
        informs_effect=informs, note=note,
    )


def plan_external(
    external: Any, trial: Trial, options: LongitudinalOptions, layout: StateLayout
) -> tuple[list[PlanRow], list[EvidenceTerm], list[str]]:
    """Lay out the external evidence on the model's state vector.

    Parameters
    ----------
    external : Trial, sequence of Trial or None
        External sources (:func:`bayes_scot.data.load_external`, other trials).
    trial : Trial
        The trial analysed (its arms name the model's arms).
    options : LongitudinalOptions
    layout : StateLayout

    Returns
    -------
    rows : list of PlanRow
        The discounted rows, in the sources' order.
    unused : list of EvidenceTerm
        External numbers left out, each with its reason.
    warnings : list of str
        One line per external number read between two grid visits
        (:func:`~bayes_scot.builders.longitudinal.plan.interpolation_note`).
    """
    planner = _ExternalPlanner(trial, options, layout)
    for entry, source_experimental, source_control, design in _external_entries(external):
        if entry.endpoint in options.endpoints:
            planner.add(entry, source_experimental, source_control, design)
    return planner.rows, planner.unused, planner.warnings
