"""The kinds of evidence a published trial reports, as frozen, validated records.

Each record describes one reported row of a paper (usually both arms of one table row)
and carries its :class:`~bayes_scot.evidence.source.Source`. Values that differ by arm are
mappings from the arm's name (``"hsct"``, ``"cyc"``; ``"pooled"`` for both arms together)
to the number. Every record checks its own numbers on construction and raises
:class:`~bayes_scot.errors.EvidenceError` naming the entry and the field; rules that span
several records (survival that rises over time, duplicated entries) are checked by
:func:`bayes_scot.evidence.validate_entries`.

No record knows about a model: how each kind enters a likelihood is documented where the
likelihood is written (:mod:`bayes_scot.likelihood`).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from bayes_scot.evidence.entries.base import MAX_TIME_MONTHS, POOLED, Entry
from bayes_scot.evidence.entries.continuous import SlopeSummary, VisitSummary
from bayes_scot.evidence.entries.external import EffectEstimate, Mcid, PopulationSpread
from bayes_scot.evidence.entries.proportions import PairwiseSummary, Proportion
from bayes_scot.evidence.entries.time_to_event import (
    DigitisedCurve,
    LandmarkEvents,
    ReportedRatio,
    SurvivalEstimate,
)

__all__ = [
    "ENTRY_KINDS",
    "MAX_TIME_MONTHS",
    "POOLED",
    "DigitisedCurve",
    "EffectEstimate",
    "Entry",
    "LandmarkEvents",
    "Mcid",
    "PairwiseSummary",
    "PopulationSpread",
    "Proportion",
    "ReportedRatio",
    "SlopeSummary",
    "SurvivalEstimate",
    "VisitSummary",
    "entry_fields",
]

ENTRY_KINDS: dict[str, type[Entry]] = {
    cls.kind: cls
    for cls in (
        LandmarkEvents,
        SurvivalEstimate,
        ReportedRatio,
        DigitisedCurve,
        VisitSummary,
        SlopeSummary,
        PairwiseSummary,
        Proportion,
        EffectEstimate,
        PopulationSpread,
        Mcid,
    )
}
"""Map from a trial file's table name (``[[landmark_events]]``) to its record type."""


def entry_fields(kind: type[Entry]) -> dict[str, Any]:
    """Return the dataclass fields of an entry type keyed by name (for loaders and docs)."""
    return {f.name: f for f in fields(kind)}
