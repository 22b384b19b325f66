"""The builder interface, the family registry and the evidence log every family keeps.

Builds the shipped SCOT families (no sampling): each is a ``ModelBuilder`` and its
evidence log starts with the shared columns.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from bayes_scot import spec as spec_module
from bayes_scot.builders.base import (
    EVIDENCE_LOG_COLUMNS,
    FAMILIES,
    EvidenceUse,
    ExactPosterior,
    ModelBuilder,
    evidence_log_frame,
)
from bayes_scot.reanalysis import build_family
from bayes_scot.spec import load_spec


@pytest.fixture(scope="module")
def builders():
    spec = load_spec("scot_itt")
    return {f.family: build_family(spec, f.family)[0] for f in spec.families}


def test_the_spec_reader_and_the_runner_share_one_registry():
    assert spec_module.FAMILIES is FAMILIES
    assert set(FAMILIES) == {"survival", "longitudinal", "composite"}
    for family in FAMILIES.values():
        assert callable(family.factory())
        assert dataclasses.is_dataclass(family.options_class())


def test_every_shipped_family_is_a_model_builder(builders):
    assert set(builders) == {"survival", "longitudinal", "composite"}
    for name, builder in builders.items():
        assert isinstance(builder, ModelBuilder), name
        grid = builder.prior_grid()
        assert "reference" in grid, name
        data = builder.prior_data(dict.fromkeys(builder.effect_parameters, grid["reference"]))
        assert data, name
        assert all(k in builder.model.named_vars for k in data), name
    # Only the composite's direct route has a closed-form posterior.
    assert [n for n, b in builders.items() if isinstance(b, ExactPosterior)] == ["composite"]


def test_every_family_logs_its_evidence_with_the_shared_columns(builders):
    for name, builder in builders.items():
        log = builder.evidence_log
        assert tuple(log.columns[: len(EVIDENCE_LOG_COLUMNS)]) == EVIDENCE_LOG_COLUMNS, name
        assert log["used"].any(), name
        assert (log.loc[log["used"], "term"] != "").all(), name
        assert set(log["trial"]) >= {"scot"}, name


def test_the_composite_log_names_the_summary_it_analyses_and_why_not_the_others(builders):
    log = builders["composite"].evidence_log.set_index("entry")
    assert log.loc["itt_grcs_54", "used"]
    assert log.loc["itt_grcs_54", "term"] == "grcs_observed"
    assert "48 months" in log.loc["itt_grcs_48", "note"]
    assert not log.loc["itt_grcs_48", "used"]


def test_the_longitudinal_log_keeps_every_field_of_its_terms(builders):
    model = builders["longitudinal"]
    log, old = model.evidence_log, model.evidence_table()
    assert len(log) == len(old)
    assert list(log["term"]) == list(old["group"])
    assert list(log["trial"]) == list(old["study"])
    assert {"arm", "endpoint", "se", "weight", "published"} <= set(log.columns)


def test_evidence_use_is_frozen_and_tabulates_its_details():
    use = EvidenceUse(trial="t", entry="e1", used=True, term="x", detail={"arm": "a"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        use.used = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        use.detail["arm"] = "b"  # type: ignore[index]
    frame = evidence_log_frame([use, EvidenceUse(trial="t", entry="e2", used=False,
                                                 detail={"se": 0.1})])
    assert list(frame.columns) == [*EVIDENCE_LOG_COLUMNS, "arm", "se"]
    assert frame["used"].tolist() == [True, False]
    assert pd.isna(frame.loc[1, "arm"])
    assert list(evidence_log_frame([]).columns) == list(EVIDENCE_LOG_COLUMNS)


def test_the_former_method_names_still_answer(builders):
    composite = builders["composite"]
    assert composite.default_priors() == composite.prior_grid()
