"""Reanalysis.assumptions states each trial-file entry's assumption once."""

from __future__ import annotations

from dataclasses import dataclass

from bayes_scot.builders.survival import SurvivalModel
from bayes_scot.data import load_trial
from bayes_scot.reanalysis import Reanalysis
from bayes_scot.results import PriorFit
from bayes_scot.spec import AnalysisSpec, FamilySpec, TrialSpec

#: SCOT's one ITT entry with an assumption: the population of the 12-month count.
ENTRY = "itt_trd_events_12"


@dataclass(frozen=True)
class Diag:
    rhat_max: float = 1.0
    ess_bulk_min: float = 4000.0
    divergences: int = 0


def test_an_entry_assumption_is_stated_once_across_families() -> None:
    """The survival builder states the assumption of the count it uses; the composite
    family, without a list of its own, states its trial's entry assumptions, but not
    that one again."""
    everything = load_trial("scot", population="all")
    itt = everything.with_population("itt")
    text = next(e.assumption for e in itt.entries if e.id == ENTRY)
    spec = AnalysisSpec(
        name="scot_itt", title="SCOT (intention to treat)",
        trials=(TrialSpec(name="scot"),),
        families=(FamilySpec(family="survival", trials=("scot",)),
                  FamilySpec(family="composite", trials=("scot",))),
    )
    fits = [PriorFit(family=family, prior="reference", estimands=(), diagnostics=Diag())
            for family in ("survival", "composite")]
    survival = SurvivalModel(everything)
    assert ENTRY in set(survival.evidence_log.query("used")["entry"])
    result = Reanalysis(spec=spec, fits=fits, trials={"scot": itt},
                        builders={"survival": survival})

    stating = [a for a in result.assumptions if text in a]
    assert len(stating) == 1, stating
    assert stating[0].startswith("survival: ")
    # without the survival builder's list, the composite family still states it
    alone = Reanalysis(spec=spec, fits=fits, trials={"scot": itt})
    assert [a for a in alone.assumptions if text in a] == [f"scot: entry '{ENTRY}': {text}"]
