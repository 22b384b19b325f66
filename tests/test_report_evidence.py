"""The report says only what the evidence supports: per-arm rows, estimands without data,
curves whose level the data do not fix, the trial's own arm names.

Every number and the trial file below are SIMULATED; nothing here is trial data.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from test_report_writer import simulated_reanalysis

from bayes_scot.data import load_trial
from bayes_scot.reanalysis import Reanalysis
from bayes_scot.report import numbers
from bayes_scot.report.figures import draw_figures
from bayes_scot.report.headline import headline_keys, paragraphs, without_data
from bayes_scot.report.render import environment
from bayes_scot.spec import FamilySpec, JointSpec, TrialSpec
from bayes_scot.stats.estimands import EstimandDraws

TRIAL = """\
# SIMULATED trial: progression-free survival as a hazard ratio only.
[trial]
name = "simhr"
title = "SIMULATED trial: regimen A versus regimen B (not real data)"
citation = "SIMULATED; not a publication"

[arms.rega]
label = "Regimen A (simulated)"
role = "experimental"

[arms.regb]
label = "Regimen B (simulated)"
role = "control"

[sources.sim]
citation = "SIMULATED source (not real)"

[endpoints.pfs]
label = "Progression-free survival"
kind = "time_to_event"
better = "higher"

[populations.itt]
label = "Randomised"
n = { rega = 120, regb = 118 }
source = { ref = "sim", locator = "Table 1", tag = "reported", note = "SIMULATED" }

[[ratios]]
id = "pfs_hr"
endpoint = "pfs"
population = "itt"
measure = "HR"
estimate = 0.75
lower = 0.56
upper = 1.01
window_months = [0, 24]
source = { ref = "sim", locator = "Abstract", tag = "reported", note = "SIMULATED" }
"""

KAPLAN_MEIER = """
[[survival_estimates]]
id = "pfs_12"
endpoint = "pfs"
population = "itt"
time_months = 12
survival = { rega = 0.80, regb = 0.70 }
source = { ref = "sim", locator = "Figure 2", tag = "reported", note = "SIMULATED" }
"""


class WithPriorP(Reanalysis):
    """A reanalysis whose table has P(superior) under the prior alone, and given curves."""

    survival_curves = pd.DataFrame()

    def table(self, **kwargs):  # type: ignore[override]
        table = super().table(**kwargs)
        table["prior_p_superior"] = np.where(table["p_superior"].notna(), 0.5, np.nan)
        return table

    def curves(self, family, prior=None):  # type: ignore[override]
        return self.survival_curves if family == "survival" else pd.DataFrame()


def _extra(draws: np.ndarray) -> tuple[EstimandDraws, ...]:
    """One arm's survival (descriptive) and an endpoint no data speak to."""
    return (
        EstimandDraws(endpoint="efs", estimand="survival_rega_54",
                      label="EFS at 54 months, rega", draws=np.clip(draws + 0.5, 0, 1),
                      null=float("nan"), superior="higher", unit="probability"),
        EstimandDraws(endpoint="haq_di", estimand="change_difference_6",
                      label="HAQ-DI at 6 months, rega minus regb", draws=draws, null=0.0,
                      superior="lower", evidence="prior only",
                      attrs={"no_data": True, "prior_only": True}),
        EstimandDraws(endpoint="dlco", estimand="change_difference_6",
                      label="DLCO at 6 months, rega minus regb", draws=draws, null=0.0,
                      superior="higher",
                      evidence="predicted from other endpoints (no data)",
                      attrs={"no_data": True}),
    )


def _reanalysis(trial_text: str, tmp_path: Path, *, joint: tuple[str, ...] = (),
                curves: pd.DataFrame | None = None,
                builders: dict[str, object] | None = None, extra: bool = True) -> WithPriorP:
    """The simulated reanalysis of a simulated trial, with the rows of :func:`_extra`."""
    base = simulated_reanalysis()
    fits = [dataclasses.replace(f, estimands=f.estimands + _extra(f.estimands[0].draws))
            for f in base.fits] if extra else base.fits
    path = tmp_path / "simhr.toml"
    path.write_text(trial_text, encoding="utf-8")
    spec = dataclasses.replace(
        base.spec, trials=(TrialSpec(name="simhr", population="itt"),),
        families=(FamilySpec(family="survival", trials=("simhr",)),),
        joint=JointSpec(estimands=joint))
    r = WithPriorP(spec=spec, fits=fits, trials={"simhr": load_trial(path)},
                   builders=builders, provenance=base.provenance)
    if curves is not None:
        r.survival_curves = curves
    return r


def _curves(end: float = 60.0) -> pd.DataFrame:
    """SIMULATED exponential S(t) of both arms of pfs."""
    times = np.linspace(0.0, end, 21)
    rows = []
    for arm, rate in (("rega", 0.01), ("regb", 0.015)):
        s = np.exp(-rate * times)
        rows += [{"endpoint": "pfs", "arm": arm, "time_months": t, "median": v,
                  "lower": v**1.2, "upper": v**0.85} for t, v in zip(times, s, strict=True)]
    return pd.DataFrame(rows)


# -- rows of one arm ---------------------------------------------------------------------
def test_p_superior_figures_keep_the_comparisons_beside_rows_of_one_arm(tmp_path):
    r = _reanalysis(TRIAL, tmp_path, joint=("efs:survival_difference_54",))
    assert r.table()["p_superior"].isna().any()
    figures, notes = draw_figures(r)
    names = {f.name for f in figures}
    assert {"headline", "prior_sensitivity", "superiority"} <= names
    assert not [n for n in notes if "p_superior" in n]


# -- estimands without data --------------------------------------------------------------
@pytest.mark.parametrize("joint", [(), ("haq_di:change_difference_6", "os:hazard_ratio")])
def test_estimands_without_data_are_never_headline_results(tmp_path, joint):
    r = _reanalysis(TRIAL, tmp_path, joint=joint)
    keys = headline_keys(r, r.table())
    assert ("haq_di", "change_difference_6") not in keys
    assert ("dlco", "change_difference_6") not in keys
    assert ("efs", "survival_rega_54") not in keys
    assert ("os", "hazard_ratio") in keys


def test_a_paragraph_on_an_estimand_without_data_says_its_posterior_is_its_prior(tmp_path):
    r = _reanalysis(TRIAL, tmp_path)
    assert without_data(r) == {("haq_di", "change_difference_6"): "its prior",
                               ("dlco", "change_difference_6"):
                                   "predicted from the other endpoints"}
    texts = {p["title"]: p["text"] for p in paragraphs(
        r, r.table(), [("haq_di", "change_difference_6"), ("dlco", "change_difference_6"),
                       ("os", "hazard_ratio")])}
    prior_only = texts["HAQ-DI at 6 months, rega minus regb"]
    assert prior_only.startswith("There are no data on this estimand: its posterior is its "
                                 "prior.")
    predicted = texts["DLCO at 6 months, rega minus regb"]
    assert "its posterior is predicted from the other endpoints" in predicted
    for text in (prior_only, predicted):
        assert "the data move it" not in text
    assert "the data move it" in texts["OS hazard ratio"]


# -- survival by arm ---------------------------------------------------------------------
def test_a_hazard_ratio_alone_draws_no_survival_curves(tmp_path):
    r = _reanalysis(TRIAL, tmp_path, curves=_curves())
    figures, notes = draw_figures(r)
    assert "survival" not in {f.name for f in figures}
    (note,) = [n for n in notes if n.startswith("figure 'survival'")]
    assert "pfs: the evidence has no Kaplan-Meier estimate" in note
    assert "from the prior alone" in note


def test_survival_caption_names_only_the_published_numbers_drawn(tmp_path):
    r = _reanalysis(TRIAL + KAPLAN_MEIER, tmp_path, curves=_curves(),
                    builders={"survival": SimpleNamespace(last_datum=12.0)})
    figures, _notes = draw_figures(r)
    caption = next(f.caption for f in figures if f.name == "survival")
    assert "the published Kaplan-Meier estimates (dots)" in caption
    assert "landmark" not in caption
    assert "hatched bands lie beyond the last datum" in caption
    assert "Not drawn" not in caption


# -- arm names ---------------------------------------------------------------------------
def test_figure_titles_name_the_trials_own_arms(tmp_path):
    r = _reanalysis(TRIAL, tmp_path, joint=("efs:survival_difference_54",), extra=False)
    figures, _notes = draw_figures(r)
    text = " ".join(f"{f.title} {f.caption}" for f in figures)
    assert "HSCT" not in text
    titles = {f.name: f.title for f in figures}
    assert titles["superiority"] == "Posterior estimates and P(rega superior) under every prior"
    assert titles["prior_sensitivity"] == "Prior sensitivity: P(rega superior) across the grid"


# -- counts ------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "text"), [(1, "1 prior"), (0, "0 priors"),
                                             (13, "13 priors"), (1502, "1,502 priors")])
def test_counts_take_the_plural_unless_one(value, text):
    assert numbers.counted(value, "prior") == text
    template = environment().from_string('{{ n|counted("prior") }}')
    assert template.render(n=value) == text
