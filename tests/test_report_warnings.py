"""The report states what a reader must know about the evidence and the figures' inputs.

A digitised curve whose risk table the reconstruction cannot reconcile with it is named in
the "Assumptions and warnings" section of both reports and in ``summary.json``; the
survival figure's caption says where its numbers at risk come from. Every trial file here
is the package's SIMULATED template, every draw simulated; no number is trial data.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import pytest
from test_reanalysis_runner import CONVERGED, SPEC, StandInCompiled, StandInModel, StandInOptions
from test_report_writer import simulated_reanalysis

from bayes_scot.data import TEMPLATE_FILE, load_trial
from bayes_scot.evidence import Trial
from bayes_scot.reanalysis import Reanalysis, reanalyse
from bayes_scot.report import write_report
from bayes_scot.results import PriorFit
from bayes_scot.spec import FamilySpec

#: The template's HSCT risk table (40 patients) replaced by one of 5: five patients cannot
#: make a curve that falls by 0.10 in six months, so the reconstruction misses it by 0.10.
BAD_RISK_TABLE = ("n_risk = [40, 34, 32, 31, 30]\ntotal_events = 9", "n_risk = [5, 4, 4, 4, 4]")


@pytest.fixture(scope="module")
def bad_trial_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = Path(TEMPLATE_FILE).read_text(encoding="utf-8")
    assert BAD_RISK_TABLE[0] in text  # the template still holds the table replaced here
    path = tmp_path_factory.mktemp("trial") / "bad_risk.toml"
    path.write_text(text.replace(*BAD_RISK_TABLE), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bad_trial(bad_trial_file: Path) -> Trial:
    return load_trial(str(bad_trial_file), population="all")


class NeverBuilt(StandInModel):
    """A stand-in family whose model must not be reached."""

    def __init__(self, trial: Any, *, options: StandInOptions) -> None:
        raise RuntimeError("the model was built")


def test_reanalyse_warns_of_a_poor_reconstruction_before_any_model(
    bad_trial_file: Path, tmp_path: Path, install_stand_in_families: Any
) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.replace('name = "scot"', f'name = "example"\npath = "{bad_trial_file}"'
                                 '\npopulation = "itt"'), encoding="utf-8")
    expected = r"bad_risk\.toml: entry 'sim_efs_curve_hsct': the reconstruction reproduces"
    install_stand_in_families({"survival": NeverBuilt}, StandInOptions, StandInCompiled(),
                              CONVERGED)
    with pytest.warns(UserWarning, match=expected), \
            pytest.raises(RuntimeError, match="the model was built"):
        reanalyse(spec, progress=False)  # warned first, then the model is built
    install_stand_in_families({"survival": StandInModel}, StandInOptions, StandInCompiled(),
                              CONVERGED)
    with pytest.warns(UserWarning, match=expected) as caught:
        result = reanalyse(spec, progress=False)
    assert len([w for w in caught if "reproduces the curve poorly" in str(w.message)]) == 1
    assert len(result.table()) == 3  # the curve's warning does not stop the reanalysis


def _with_trials(trials: dict[str, Trial], fits: tuple[PriorFit, ...] | None = None
                 ) -> Reanalysis:
    base = simulated_reanalysis()
    return Reanalysis(spec=base.spec, fits=fits or base.fits, trials=trials,
                      provenance=base.provenance)


def test_a_poor_reconstruction_is_warned_in_every_report_file(
    bad_trial: Trial, tmp_path: Path
) -> None:
    out = write_report(_with_trials({"sim": bad_trial}), tmp_path / "r", figures=False)
    warnings = json.loads((out / "summary.json").read_text(encoding="utf-8"))["warnings"]
    assert len(warnings) == 1
    (warning,) = warnings
    assert warning.startswith(f"{bad_trial.path}: entry 'sim_efs_curve_hsct': ")
    assert "reproduces the curve poorly: max |dS| = 0.100, above 0.05" in warning
    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'id="evidence-warning"' in html  # the header points to the section
    section = html[html.index('<h2 id="assumptions">Assumptions and warnings</h2>'):]
    assert "max |dS| = 0.100" in section[:section.index("<h2", 10)]
    markdown = (out / "report.md").read_text(encoding="utf-8")
    section = markdown[markdown.index("## Assumptions and warnings"):]
    assert "- **Warning:** " in section[:section.index("\n## ")]
    assert "max \\|dS\\| = 0.100" in section  # the Markdown escapes the bars


def test_a_curve_reproduced_well_gives_no_warning(tmp_path: Path) -> None:
    good = load_trial(str(TEMPLATE_FILE), population="all")  # max |dS| 0.012
    out = write_report(_with_trials({"sim": good}), tmp_path / "r", figures=False)
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["warnings"] == []
    assert "evidence-warning" not in (out / "index.html").read_text(encoding="utf-8")
    assert "### Warnings" not in (out / "report.md").read_text(encoding="utf-8")


def _survival_fits() -> tuple[PriorFit, ...]:
    """The simulated fits, with SIMULATED posterior EFS curves exp(-rate t) by arm."""
    rng = np.random.default_rng(3)
    months = np.arange(0.0, 73.0, 3.0)
    rates = rng.normal([0.006, 0.011], 0.001, size=(4, 500, 2))  # (chain, draw, arm)
    curves = np.exp(-rates[..., None] * months)
    fits = []
    for fit in simulated_reanalysis().fits:
        idata = az.from_dict(
            posterior={"log_hr": np.asarray(fit.idata.posterior["log_hr"]),
                       "survival_efs": curves},
            coords={"arm": ["hsct", "cyc"], "month": months},
            dims={"survival_efs": ["arm", "month"]})
        fits.append(PriorFit(family=fit.family, prior=fit.prior, estimands=fit.estimands,
                             diagnostics=fit.diagnostics, effect_priors=fit.effect_priors,
                             idata=idata, seconds=fit.seconds))
    return tuple(fits)


def test_the_survival_caption_says_the_numbers_at_risk_are_model_implied(
    tmp_path: Path
) -> None:
    scot = load_trial("scot")  # ITT: 36 and 39 randomised; no published risk table
    base = _with_trials({"scot": scot}, _survival_fits())
    spec = dataclasses.replace(  # the survival family reads SCOT's landmark counts
        base.spec, families=(FamilySpec(family="survival", trials=("scot",)),))
    out = write_report(Reanalysis(spec=spec, fits=base.fits, trials=base.trials,
                                  provenance=base.provenance), tmp_path / "r")
    doc = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert "survival" in [f["name"] for f in doc["figures"]], doc["notes"]
    html = (out / "index.html").read_text(encoding="utf-8")
    caption = html[html.index("Posterior median survival by arm"):]
    caption = caption[:caption.index("</")]
    assert "model-implied expected numbers at risk, n × S(t)" in caption
    assert "no published risk table" in caption


def test_a_poor_reconstruction_is_drawn_beside_its_warning(bad_trial: Trial) -> None:
    from bayes_scot import plots
    from bayes_scot.report.figures import _reconstruction_jobs
    from bayes_scot.stats.reconstruction import check_curves

    jobs = list(_reconstruction_jobs(_with_trials({"sim": bad_trial}), plots))
    assert [job[0] for job in jobs] == ["reconstruction"]
    figure = jobs[0][3]()
    poor = [e for e, r in check_curves(bad_trial).items() if r.quality_warning]
    assert len(figure.axes) == len(poor) == 1
    assert "max |dS| = 0.100" in figure.axes[0].get_title(loc="left")
    good = load_trial(str(TEMPLATE_FILE), population="all")
    assert list(_reconstruction_jobs(_with_trials({"sim": good}), plots)) == []


def test_published_numbers_the_model_misses_are_warned() -> None:
    # A SIMULATED reproduce table: two of four numbers the longitudinal fit used fall
    # outside their intervals; an unused number outside and a family that fits are silent.
    from bayes_scot.report.summary import predictive_warnings

    table = pd.DataFrame({
        "family": ["longitudinal"] * 5 + ["survival"],
        "entry": ["pain_3", "pain_3", "pain_6", "pain_6", "ratio", "efs_12"],
        "arm": ["new", "std", "new", "std", None, "new"],
        "outside": [False, True, False, True, True, False],
        "used": [True, True, True, True, False, True],
    })
    (warning,) = predictive_warnings(table)
    assert warning.startswith("longitudinal: 2 of 4 published numbers the model used lie "
                              "outside their 95% posterior predictive intervals")
    assert "(pain_3 (std), pain_6 (std); 0.2 expected by chance)" in warning
    assert predictive_warnings(table.assign(outside=False)) == []


def test_an_mcids_pattern_that_matched_nothing_is_warned() -> None:
    """A wildcard [mcids] pattern is checked against the estimands once they exist."""
    from bayes_scot.report.summary import data_warnings
    from bayes_scot.spec import McidOverride

    base = simulated_reanalysis()
    used = McidOverride(pattern="efs:survival_difference_*", value=0.1, source="SIMULATED")
    typo = McidOverride(pattern="efs:survival_diference_*", value=0.1, source="SIMULATED")
    spec = dataclasses.replace(base.spec, mcids=(used, typo))
    warnings = data_warnings(Reanalysis(spec=spec, fits=base.fits))
    assert warnings == ["[mcids] pattern 'efs:survival_diference_*' matched no reported "
                        "estimand; its MCID (0.1) was not used"]
