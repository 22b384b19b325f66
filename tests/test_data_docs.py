"""The trial-file format documentation covers every kind and every field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bayes_scot.evidence import ENTRY_KINDS
from bayes_scot.evidence.entries import entry_fields

DOC = Path(__file__).resolve().parents[1] / "docs" / "trial-file-format.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", sorted(ENTRY_KINDS))
def test_every_kind_and_field_is_documented(doc, kind):
    assert f"[[{kind}]]" in doc
    documented = set(re.findall(r"`([a-z_]+)", doc))
    missing = set(entry_fields(ENTRY_KINDS[kind])) - documented
    assert not missing, f"{kind}: fields not documented: {sorted(missing)}"


def test_documented_api_names_exist(doc):
    import bayes_scot.data as data

    for name in re.findall(r"`bayes_scot\.data\.([a-z_]+)\(", doc):
        assert hasattr(data, name), name


def test_what_the_models_analyse_is_stated_with_the_route_for_binary_endpoints(doc):
    section = doc.split("## What the models analyse", 1)[1].split("\n## ", 1)[0]
    # Every kind of entry the file format holds is placed: read by a family, or said
    # to enter no model.
    for kind in ENTRY_KINDS:
        assert f"[[{kind}]]" in section, kind
    assert "No family analyses a binary endpoint" in section
    assert "bayes-scot effect --rr" in section
    assert "reanalyse_effect" in section
    assert "used by every model" not in doc
