"""Every family's model is built before the first compilation (no MCMC)."""

from __future__ import annotations

import pytest

import bayes_scot.reanalysis.runner as runner
from bayes_scot.errors import EvidenceError
from bayes_scot.reanalysis import reanalyse


def test_an_evidence_error_in_a_later_family_comes_before_any_fit(monkeypatch):
    built: list[str] = []
    original = runner._Runner.build

    def build(self, family, trials):
        built.append(family.family)
        if family.family == "composite":
            raise EvidenceError("simulated problem in the last family's evidence")
        return original(self, family, trials)

    def fit(*args, **kwargs):
        raise AssertionError("a family was fitted before every model was built")

    monkeypatch.setattr(runner._Runner, "build", build)
    monkeypatch.setattr(runner._Runner, "run_family", fit)
    with pytest.raises(EvidenceError, match="simulated problem"):
        reanalyse(progress=False)
    assert built == ["survival", "longitudinal", "composite"]
