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
    monkeypatch.setattr(runner._Runner, "start_family", fit)
    with pytest.raises(EvidenceError, match="simulated problem"):
        reanalyse(progress=False)
    assert built == ["survival", "longitudinal", "composite"]


@pytest.mark.slow  # builds the three SCOT models and their prior samplers (no MCMC)
def test_a_joint_estimand_no_model_reports_is_refused_before_any_fit(monkeypatch, tmp_path):
    from pathlib import Path

    from bayes_scot.errors import SpecError

    shipped = Path(runner.__file__).parents[1] / "specs" / "scot_itt.toml"
    text = shipped.read_text(encoding="utf-8")
    assert '"efs:survival_difference_54"' in text
    # Matches the survival family's filter (survival_difference_*) but no model time.
    spec = tmp_path / "joint.toml"
    spec.write_text(text.replace('"efs:survival_difference_54"',
                                 '"efs:survival_difference_99"'), encoding="utf-8")

    def fit(*args, **kwargs):
        raise AssertionError("a family was fitted before the joint estimands were checked")

    monkeypatch.setattr(runner._Runner, "start_family", fit)
    with pytest.raises(SpecError, match=r"survival_difference_99.*not an estimand the models"):
        reanalyse(spec, progress=False)


def test_draws_that_would_not_fit_in_memory_are_refused_before_any_fit(monkeypatch):
    import bayes_scot.fitting.settings as settings
    from bayes_scot.errors import SpecError

    def fit(*args, **kwargs):
        raise AssertionError("a family was fitted before the memory estimate was checked")

    monkeypatch.setattr(runner._Runner, "start_family", fit)
    monkeypatch.setattr(settings, "MEMORY_FRACTION", 1e-9)  # a machine with no room
    with pytest.raises(SpecError, match=r"survival\.sampler\.draws.*GiB"):
        reanalyse(progress=False)


def test_memory_estimate_counts_every_stored_value():
    import pymc as pm

    from bayes_scot.fitting.settings import memory_problem, stored_values

    with pm.Model(coords={"arm": ["a", "b"], "month": range(10)}) as model:
        x = pm.Normal("x", 0.0, 1.0, dims="arm")
        pm.Deterministic("curve", x[:, None] * pm.math.ones((2, 10)), dims=("arm", "month"))
        pm.HalfNormal("s", 1.0)
    assert stored_values(model) == 2 + 20 + 1
    # 8 bytes x 23 values x 1000 draws x 4 chains x 13 fits = 9,568,000 bytes.
    assert memory_problem(23, 1000, 4, 13, available=2 * 9_568_000) is None
    problem = memory_problem(23, 1000, 4, 13, available=2 * 9_568_000 - 2)
    assert problem is not None
    assert "13 fits x 4 chains x 1,000 draws x 23 values" in problem


def test_the_survival_batch_is_started_last_and_read_last(monkeypatch):
    # runner._Runner.start_order: the illness-death family's fits, the slowest to
    # process, are read while its effect-structure refits sample and the model-based
    # GRCS runs, so its batch is started after the other families' and read after them.
    started: list[str] = []

    class Stop(Exception):
        pass

    def start(self, family, builder, settings):
        started.append(family.family)
        return family.family

    def refits(self, builder, settings):
        raise Stop

    monkeypatch.setattr(runner._Runner, "start_family", start)
    monkeypatch.setattr(runner._Runner, "start_structure_fits", refits)
    with pytest.raises(Stop):
        reanalyse(progress=False)
    assert started == ["longitudinal", "composite", "survival"]
