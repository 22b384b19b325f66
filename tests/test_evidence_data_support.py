"""Evidence-layer features the trial files rely on."""

from __future__ import annotations

import pytest

from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import (
    Arm,
    Mcid,
    PairwiseSummary,
    Population,
    Source,
    Trial,
    validate_entries,
)

SOURCE = Source(citation="SIMULATED", locator="Table 1", tag="reported")


def test_pairwise_summary_with_medians_only():
    entry = PairwiseSummary(id="g", endpoint="grcs", population="itt", source=SOURCE,
                            time_months=60, n={"hsct": 26, "cyc": 23},
                            median={"hsct": 9, "cyc": -19}, p_value=0.018)
    assert entry.arms == ("hsct", "cyc")
    assert entry.n_pairs == 26 * 23
    assert entry.describe() == "grcs at 60 months, median score: 9 vs -19"
    assert {r["statistic"] for r in entry.rows()} == {"n", "median", "p_value"}


def test_pairwise_summary_needs_percentages_or_medians():
    with pytest.raises(EvidenceError, match="median") as info:
        PairwiseSummary(id="g", endpoint="grcs", population="itt", source=SOURCE,
                        time_months=60, n={"hsct": 26, "cyc": 23})
    assert info.value.field == "percent_favourable"


def test_pairwise_summary_arms_must_agree():
    with pytest.raises(EvidenceError) as info:
        PairwiseSummary(id="g", endpoint="grcs", population="itt", source=SOURCE,
                        time_months=60, n={"hsct": 26, "cyc": 23},
                        percent_favourable={"hsct": 60.0, "cyx": 40.0})
    assert info.value.field == "percent_favourable"


def test_default_source_tag_needs_a_note():
    with pytest.raises(EvidenceError) as info:
        Source(citation="package", locator="default", tag="default")
    assert info.value.field == "source.note"
    assert Source(citation="package", locator="default", tag="default", note="why").tag == (
        "default")


def _mcid(entry_id: str, direction: str) -> Mcid:
    return Mcid(id=entry_id, endpoint="fvc", population="ssc", source=SOURCE, value=3.3,
                low=3.0, high=5.3, direction=direction)


def test_mcids_for_two_directions_are_not_duplicates():
    populations = {"ssc": Population(name="ssc", label="SSc", n={})}
    validate_entries([_mcid("a", "improvement"), _mcid("b", "worsening")], arms=["hsct"],
                     populations=populations)
    with pytest.raises(EvidenceError, match="duplicates entry 'a'"):
        validate_entries([_mcid("a", "improvement"), _mcid("b", "improvement")],
                         arms=["hsct"], populations=populations)


def test_trial_repr_shows_pooled_population_sizes():
    trial = Trial(
        name="t", title="t", citation="c",
        arms=(Arm(name="hsct", label="h", role="experimental"),
              Arm(name="cyc", label="c", role="control")),
        populations={"interim": Population(name="interim", label="i", n={"pooled": 61})},
        entries=(),
    )
    assert "interim 61" in repr(trial)
