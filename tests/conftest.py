"""Fixtures shared by several test modules."""

from __future__ import annotations

import pytest

from bayes_scot.data import load_trial
from bayes_scot.evidence import Trial


@pytest.fixture(scope="session")
def scot_all() -> Trial:
    """SCOT with every population's evidence (the survival builder selects one)."""
    return load_trial("scot", population="all")
