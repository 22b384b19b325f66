"""Simulators of the calibration studies: what they read from a built model, and the data
they simulate at a design (all simulated; no fit here)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import bayes_scot.calibration as calibration
from bayes_scot.builders.survival import SurvivalModel
from bayes_scot.data import load_trial

PACKAGE = Path(calibration.__file__).parent


def test_calibration_reads_no_private_attribute_of_another_object() -> None:
    # The simulators use the builders' public API only (for instance
    # SurvivalModel.likelihood_terms), so a builder may change its internals freely.
    offending = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id == "self")
            ):
                offending.append(f"{path.name}:{node.lineno}: .{node.attr}")
    assert offending == []


@pytest.fixture(scope="module")
def scot_survival() -> SurvivalModel:
    return SurvivalModel(load_trial("scot", population="itt"))


def test_likelihood_terms_are_the_evidence_plan(scot_survival: SurvivalModel) -> None:
    terms = scot_survival.likelihood_terms
    assert isinstance(terms, tuple)
    # SCOT's ITT counts by 48 months, the 48-54 month interval, deaths by 12 months.
    assert [t.kind for t in terms] == ["landmark_states", "interval_states", "deaths_by_time"]
    names = {v.name for v in scot_survival.model.data_vars}
    for number, term in enumerate(terms):
        for key in term.data:
            assert f"scot_{number}_{term.kind}_{key}" in names
    assert np.array_equal(terms[0].data["counts"].sum(axis=1), [36, 39])
