"""Layer 1: what a paper reports, as frozen, validated records with provenance.

Nothing here knows about PyMC or any model. See :mod:`bayes_scot.evidence.entries` for the
kinds of evidence, :mod:`~bayes_scot.evidence.endpoints` for the endpoint registry and
:mod:`~bayes_scot.evidence.trial` for the :class:`Trial` container.
"""

from bayes_scot.errors import EvidenceError
from bayes_scot.evidence.endpoints import ENDPOINTS, Endpoint, get_endpoint
from bayes_scot.evidence.entries import (
    ENTRY_KINDS,
    POOLED,
    DigitisedCurve,
    EffectEstimate,
    Entry,
    LandmarkEvents,
    Mcid,
    PairwiseSummary,
    PopulationSpread,
    Proportion,
    ReportedRatio,
    SlopeSummary,
    SurvivalEstimate,
    VisitSummary,
)
from bayes_scot.evidence.source import SOURCE_TAGS, Source
from bayes_scot.evidence.trial import (
    ALL_POPULATIONS,
    FRAME_COLUMNS,
    Arm,
    Population,
    Trial,
    validate_entries,
)

__all__ = [
    "ALL_POPULATIONS",
    "ENDPOINTS",
    "ENTRY_KINDS",
    "FRAME_COLUMNS",
    "POOLED",
    "SOURCE_TAGS",
    "Arm",
    "DigitisedCurve",
    "EffectEstimate",
    "Endpoint",
    "Entry",
    "EvidenceError",
    "LandmarkEvents",
    "Mcid",
    "PairwiseSummary",
    "Population",
    "PopulationSpread",
    "Proportion",
    "ReportedRatio",
    "SlopeSummary",
    "Source",
    "SurvivalEstimate",
    "Trial",
    "VisitSummary",
    "get_endpoint",
    "validate_entries",
]
