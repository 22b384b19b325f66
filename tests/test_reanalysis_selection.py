"""What the runner keeps of a family's estimands: its selection, checked before any fit,
and the source of each row's MCID.

The trial is SIMULATED: one overall-survival hazard ratio, so the one-endpoint model
reports only ``os:hazard_ratio_common``.
"""

from __future__ import annotations

import numpy as np
import pytest
from simulated_trial_files import RATIO, trial_header

import bayes_scot.reanalysis.runner as runner
from bayes_scot.builders.survival import PACKAGE_DEFAULT
from bayes_scot.errors import SpecError
from bayes_scot.reanalysis import reanalyse
from bayes_scot.spec import AnalysisSpec, FamilySpec, McidOverride
from bayes_scot.stats.estimands import EstimandDraws

NAMES = {("os", "hazard_ratio_common")}


@pytest.mark.parametrize(("family", "field", "words"), [
    (FamilySpec(family="survival", estimands=("survival_difference_*",)),
     "survival.estimands[0]", "'survival_difference_*' matches no estimand"),
    (FamilySpec(family="survival", estimands=("hazard_ratio_comon",)),
     "survival.estimands[0]", "'hazard_ratio_comon' matches no estimand"),
    (FamilySpec(family="survival", endpoints=("efs",)),
     "survival.endpoints[0]", "'efs' is not an endpoint the survival model reports"),
    (FamilySpec(family="survival", endpoints=("os", "efs"), estimands=("hazard_ratio_*",)),
     "survival.endpoints[1]", "'efs' is not an endpoint"),
])
def test_a_selection_of_nothing_names_its_entry_and_the_known_estimands(family, field,
                                                                       words):
    problem = family.selection_problem(NAMES)
    assert problem is not None
    assert problem[0] == field
    assert words in problem[1]
    assert problem[1].endswith("known: os:hazard_ratio_common")


def test_an_endpoint_whose_estimands_the_patterns_all_leave_out_is_refused():
    names = NAMES | {("efs", "hazard_ratio_common"), ("efs", "survival_difference_12")}
    family = FamilySpec(family="survival", endpoints=("efs", "os"),
                        estimands=("survival_difference_*",))
    assert family.selection_problem(names) == (
        "survival.endpoints[1]",
        "'os' has no estimand matching survival.estimands; known: "
        "efs:hazard_ratio_common, efs:survival_difference_12, os:hazard_ratio_common",
    )


@pytest.mark.parametrize("family", [
    FamilySpec(family="survival"),
    FamilySpec(family="survival", endpoints=("os",)),
    FamilySpec(family="survival", estimands=("hazard_ratio_*",)),
])
def test_a_selection_of_something_passes(family):
    assert family.selection_problem(NAMES) is None


def test_the_runner_refuses_it_after_building_and_before_any_fit(monkeypatch, tmp_path):
    trial = tmp_path / "trial.toml"
    trial.write_text(
        trial_header("sim_os", title="SIMULATED OS-only trial")
        + RATIO.format(endpoint="os", estimate=0.75, lower=0.60, upper=0.94),
        encoding="utf-8")
    spec = tmp_path / "spec.toml"
    spec.write_text(f"""
[analysis]
name = "sim_selection"
[[trials]]
path = "{trial.as_posix()}"
[priors]
grid = ["reference"]
[survival]
estimands = ["survival_difference_*"]
""", encoding="utf-8")

    def fit(*args, **kwargs):
        raise AssertionError("a family was fitted before its selection was checked")

    monkeypatch.setattr(runner._Runner, "start_family", fit)
    with pytest.raises(SpecError) as caught:
        reanalyse(spec, progress=False)
    assert caught.value.field == "survival.estimands[0]"
    assert "known: os:hazard_ratio_common" in str(caught.value)
    assert "spec.toml" in str(caught.value)


def _row(estimand: str, mcid: float) -> EstimandDraws:
    return EstimandDraws(endpoint="os", estimand=estimand, label=estimand,
                         draws=np.zeros((1, 4)), null=1.0 if "ratio" in estimand else 0.0,
                         superior="lower" if "ratio" in estimand else "higher", mcid=mcid,
                         mcid_source=PACKAGE_DEFAULT)


@pytest.mark.parametrize(("options", "mcids", "sources"), [
    ({"hazard_ratio_margin": 0.85}, (),
     ["analysis specification (survival.options.hazard_ratio_margin)"] * 2
     + [PACKAGE_DEFAULT]),
    ({"survival_margin": 0.05}, (),
     [PACKAGE_DEFAULT] * 2 + ["analysis specification (survival.options.survival_margin)"]),
    ({"hazard_ratio_margin": 0.85, "margin_source": "SIMULATED protocol"}, (),
     ["SIMULATED protocol"] * 3),
    ({"hazard_ratio_margin": 0.85, "survival_margin": 0.05,
      "survival_margin_source": "SIMULATED registry"}, (),
     ["analysis specification (survival.options.hazard_ratio_margin)"] * 2
     + ["SIMULATED registry"]),
    ({"margin_source": "SIMULATED protocol",
      "hazard_ratio_margin_source": "SIMULATED meta-analysis"}, (),
     ["SIMULATED meta-analysis"] * 2 + ["SIMULATED protocol"]),
    # [mcids] of the common hazard ratio is the margin of every hazard ratio: the
    # interval's row names it too, not the package default.
    ({}, (McidOverride(pattern="efs:hazard_ratio_common", value=0.85,
                       source="SIMULATED consensus"),),
     ["SIMULATED consensus"] * 2 + [PACKAGE_DEFAULT]),
    ({}, (), [PACKAGE_DEFAULT] * 3),
])
def test_every_row_names_the_source_of_the_margin_that_is_its_mcid(options, mcids,
                                                                  sources):
    # The builder puts options.margin_source on every row; the runner names the source
    # of the margin that is the row's MCID, as the specification's options resolve it.
    family = FamilySpec(family="survival", options=options)
    spec = AnalysisSpec(name="sim", title="SIMULATED", trials=(), families=(family,),
                        mcids=mcids)
    resolved = spec.family_options(family)
    rows = runner._Runner(spec, None).chosen(
        family, [_row("hazard_ratio_common", 0.85), _row("hazard_ratio_0_3", 0.85),
                 _row("survival_difference_12", 0.1)], resolved)
    assert [r.mcid_source for r in rows] == sources


def test_a_margin_source_option_that_contradicts_the_mcids_entry_is_refused():
    family = FamilySpec(family="survival",
                        options={"hazard_ratio_margin_source": "SIMULATED protocol"})
    spec = AnalysisSpec(name="sim", title="SIMULATED", trials=(), families=(family,),
                        mcids=(McidOverride(pattern="efs:hazard_ratio_common", value=0.85,
                                            source="SIMULATED consensus"),))
    with pytest.raises(SpecError, match="give the MCID's source once") as caught:
        spec.family_options(family)
    assert caught.value.field == "survival.options.hazard_ratio_margin_source"


@pytest.mark.parametrize("bad", ["", "two\nlines", 3])
def test_a_margin_source_is_one_line_of_text(bad):
    from bayes_scot.builders.survival import SurvivalOptions
    from bayes_scot.errors import EvidenceError

    with pytest.raises(EvidenceError, match="one line of text") as caught:
        SurvivalOptions(survival_margin_source=bad)
    assert caught.value.field == "survival_margin_source"


def test_the_interval_hazard_ratios_name_the_mcids_entry_that_sets_their_margin():
    # The [mcids] entry of efs:hazard_ratio_common is the hazard-ratio margin, so the
    # builder gives every interval's hazard ratio (EFS and OS) its value: the rows must
    # name its source as well, not the package default.
    from bayes_scot.builders.survival.estimands import EstimandLabels, interval_hazard_ratios

    family = FamilySpec(family="survival",
                        options={"interval_boundaries_months": [0.0, 3.0, 12.0]})
    spec = AnalysisSpec(name="sim", title="SIMULATED", trials=(), families=(family,),
                        mcids=(McidOverride(pattern="efs:hazard_ratio_common", value=0.75,
                                            source="SIMULATED consensus"),))
    options = spec.family_options(family)
    labels = EstimandLabels(options=options, arms=("exp", "ctl"), shown=("Exp", "Ctl"),
                            names={"efs": "EFS", "os": "OS"}, evidence="trial", attrs={})
    hazards = np.full((1, 4, 2, 2, 3), 0.01)  # chain, draw, arm, interval, transition
    rows = runner._Runner(spec, None).chosen(
        family, interval_hazard_ratios(hazards, np.array([0.0, 3.0, 12.0]), labels), options)
    assert len(rows) == 4
    assert {(r.mcid, r.mcid_source) for r in rows} == {(0.75, "SIMULATED consensus")}
