"""Sensitivity to the prior scales a model fixes, by power-scaling the variables they scale.

Every draw here is SIMULATED: a standard-normal innovation whose posterior is its prior
(nothing informs it), a level the data pin down, and estimands built from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import arviz as az
import numpy as np
import pytest
from test_report_writer import simulated_reanalysis

from bayes_scot.reanalysis import Reanalysis
from bayes_scot.report import write_report
from bayes_scot.results import CONSTANT_COLUMNS, PSENS_THRESHOLD, PriorFit, constant_sensitivity
from bayes_scot.spec import JointSpec
from bayes_scot.stats.estimands import EstimandDraws
from bayes_scot.stats.priors import FixedScale


@dataclass(frozen=True)
class Diag:
    rhat_max: float = 1.0
    ess_bulk_min: float = 4000.0
    divergences: int = 0
    passed: bool = True


def _fit() -> PriorFit:
    rng = np.random.default_rng(3)
    walk = rng.normal(0.0, 1.0, (4, 1000, 3))  # posterior = its N(0, 1) prior
    level = rng.normal(0.5, 0.05, (4, 1000))  # the data's, far narrower than N(0, 1)

    def estimand(name: str, draws: np.ndarray) -> EstimandDraws:
        return EstimandDraws(endpoint="x", estimand=name, label=name, draws=draws, null=0.0,
                             superior="higher")

    return PriorFit(
        family="survival", prior="reference", diagnostics=Diag(),
        estimands=(estimand("walked", 0.4 * walk.sum(-1)),
                   estimand("unrelated", rng.normal(1.0, 0.1, (4, 1000))),
                   estimand("level", level)),
        idata=az.from_dict(posterior={"walk_z": walk, "level": level}),
        fixed_scales=(FixedScale("baseline_smoothing_sd", 0.4, ("walk_z",)),
                      FixedScale("level_sd", 1.0, ("level",)),
                      FixedScale("absent_sd", 1.0, ("not_sampled",))),
    )


def test_a_result_the_scale_shapes_is_informative_and_the_others_are_not() -> None:
    # Power-scaling N(0, 1)^alpha is N(0, 1/alpha): an estimand made of the unidentified
    # innovations moves with the scale (sensitivity about 0.08 at these seeds); one the
    # data pin down, or one unrelated, stays below the 0.05 threshold by an order of
    # magnitude (about 0.005), so the threshold separates them with room to spare.
    table = constant_sensitivity(_fit())
    assert tuple(table.columns) == CONSTANT_COLUMNS
    by = table.set_index(["option", "estimand"])
    assert by.loc[("baseline_smoothing_sd", "walked"), "sensitivity"] >= PSENS_THRESHOLD
    assert by.loc[("baseline_smoothing_sd", "walked"), "informative"]
    for key in [("baseline_smoothing_sd", "unrelated"), ("level_sd", "level"),
                ("level_sd", "walked")]:
        assert by.loc[key, "sensitivity"] < PSENS_THRESHOLD / 5, key
    assert "absent_sd" not in set(table["option"])  # a variable the fit lacks
    assert by.loc[("baseline_smoothing_sd", "walked"), "value"] == 0.4


def test_a_result_resting_on_a_beta_hyperprior_is_informative() -> None:
    """A correlation left to its Beta(7, 3) prior shapes an estimand built from it.

    SIMULATED: ``rho`` is drawn from its prior (visit means do not inform it) and an
    estimand adjusts a baseline imbalance by ``rho`` (as a change from baseline does).
    Power-scaling Beta(7, 3) concentrates it around its mode, which moves that estimand
    (sensitivity about 0.1 at this seed, twice the 0.05 threshold) and leaves the
    unrelated one an order of magnitude below the threshold.
    """
    rng = np.random.default_rng(5)
    rho = rng.beta(7.0, 3.0, (4, 1000))
    adjusted = 30.0 - 25.0 * rho + rng.normal(0.0, 1.0, (4, 1000))

    def estimand(name: str, draws: np.ndarray) -> EstimandDraws:
        return EstimandDraws(endpoint="x", estimand=name, label=name, draws=draws, null=0.0,
                             superior="higher")

    fit = PriorFit(
        family="longitudinal", prior="reference", diagnostics=Diag(),
        estimands=(estimand("adjusted", adjusted),
                   estimand("unrelated", rng.normal(1.0, 0.1, (4, 1000)))),
        idata=az.from_dict(posterior={"rho": rho}),
        fixed_scales=(FixedScale("rho_prior", 0.7, ("rho",), beta=(7.0, 3.0)),),
    )
    by = constant_sensitivity(fit).set_index("estimand")
    assert by.loc["adjusted", "sensitivity"] >= PSENS_THRESHOLD
    assert by.loc["unrelated", "sensitivity"] < PSENS_THRESHOLD / 5
    assert by.loc["adjusted", "value"] == 0.7


def test_a_fit_without_fixed_scales_has_no_rows() -> None:
    assert constant_sensitivity(replace(_fit(), fixed_scales=())).empty
    assert constant_sensitivity(replace(_fit(), idata=None)).empty


def test_the_report_lists_each_fixed_scale_with_its_most_sensitive_result(
    tmp_path: Path,
) -> None:
    base = simulated_reanalysis()
    fits = [replace(_fit(), prior=f.prior) for f in base.fits]
    spec = replace(base.spec, joint=JointSpec())  # the simulated estimands are others
    reanalysis = Reanalysis(spec=spec, fits=fits, provenance=base.provenance)
    out = write_report(reanalysis, tmp_path / "r", figures=False)
    doc = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {r["option"] for r in doc["constant_sensitivity"]} == {
        "baseline_smoothing_sd", "level_sd"}
    html = (out / "index.html").read_text(encoding="utf-8")
    section = html[html.index('id="fixed-scales"'):]
    assert "baseline_smoothing_sd" in section
    assert "x: walked" in section
    assert "1 of 3 estimands" in section
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "### Fixed prior scales and hyperpriors" in markdown


@pytest.mark.parametrize("structure", ["per_transition", "common"])
def test_the_survival_model_names_its_fixed_scales(scot_all, structure) -> None:
    from bayes_scot.builders.survival import SurvivalModel, SurvivalOptions

    model = SurvivalModel(scot_all, options=SurvivalOptions(effect_structure=structure))
    options = {s.option for s in model.fixed_scales()}
    assert {"baseline_log_hazard_sd", "baseline_smoothing_sd"} <= options
    assert ("effect_pooling_scale" in options) == (structure == "per_transition")
    assert "heterogeneity_scale" not in options  # one trial: no between-trial SD
    free = {rv.name for rv in model.model.free_RVs}
    assert all(set(s.variables) <= free for s in model.fixed_scales())


def test_results_resting_on_external_evidence_are_sensitive_to_its_weight() -> None:
    """SIMULATED conjugate model: an effect informed only by discounted external evidence.

    Prior N(0, 1), one external estimate y = 0.6 with SE 0.2 at weight a0 = 0.5 (an
    effective SE of 0.283): the posterior of the effect is drawn exactly, and the external
    term's weighted log-likelihood is evaluated at the draws. Scaling the term's power
    is scaling the weight, which moves the effect (it rests on the external estimate:
    sensitivity well above the 0.05 threshold) and leaves an unrelated estimand an
    order of magnitude below it.
    """
    from scipy import stats

    from bayes_scot.results import LikelihoodTerm

    rng = np.random.default_rng(5)
    y, se, a0 = 0.6, 0.2, 0.5
    precision = 1.0 + a0 / se**2
    effect = rng.normal(a0 / se**2 * y / precision, precision**-0.5, (4, 1000))
    base = _fit()
    fit = replace(
        base,
        estimands=(EstimandDraws(endpoint="x", estimand="effect", label="effect",
                                 draws=effect, null=0.0, superior="higher"),
                   base.estimands[1]),
        likelihood_terms=(LikelihoodTerm(
            name="external_evidence[0]", source="external", endpoints=frozenset({"x"}),
            weight=a0, draws=a0 * stats.norm.logpdf(y, effect, se)),),
    )
    by = constant_sensitivity(fit).set_index(["option", "estimand"])
    assert by.loc[("external_weight", "effect"), "value"] == a0
    assert by.loc[("external_weight", "effect"), "informative"]
    assert by.loc[("external_weight", "unrelated"), "sensitivity"] < PSENS_THRESHOLD / 5
