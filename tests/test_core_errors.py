"""EvidenceError names the file, the entry and the field in one line."""

from __future__ import annotations

import pytest

import bayes_scot
from bayes_scot.errors import EvidenceError, SpecError


def test_message_names_every_known_part() -> None:
    err = EvidenceError("events (40) exceed n (36)", file="scot.toml", entry="itt_efs_54",
                        field="events.hsct")
    assert str(err) == (
        "scot.toml: entry 'itt_efs_54': field 'events.hsct': events (40) exceed n (36)"
    )
    assert "\n" not in str(err)


def test_unknown_parts_are_left_out() -> None:
    assert str(EvidenceError("empty file", file="x.toml")) == "x.toml: empty file"


def test_located_fills_only_missing_parts() -> None:
    inner = EvidenceError("must be positive", entry="e1", field="sd.hsct")
    outer = inner.located(file="trial.toml", entry="ignored", field="ignored")
    assert (outer.file, outer.entry, outer.field) == ("trial.toml", "e1", "sd.hsct")
    assert isinstance(outer, EvidenceError)


def test_hierarchy_is_public_and_a_value_error() -> None:
    assert bayes_scot.EvidenceError is EvidenceError
    assert issubclass(EvidenceError, ValueError)
    assert issubclass(SpecError, EvidenceError)
    with pytest.raises(ValueError, match="key 'draws'"):
        raise SpecError("must be a positive integer", file="spec.toml", field="key 'draws'")


def test_unknown_public_name() -> None:
    with pytest.raises(AttributeError, match="no attribute"):
        bayes_scot.not_a_name  # noqa: B018
