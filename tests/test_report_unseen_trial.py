"""Reports of a trial the package was not built around: its own arms, endpoints and words.

Every number here is SIMULATED: a two-arm trial of a drug against placebo with one
time-to-event endpoint and one continuous endpoint, each declared by the trial file, so
that nothing in the report can come from SCOT's arms (HSCT, CYC), its endpoints or its
disease. The fast tests use a reanalysis assembled from simulated draws (no sampling);
the slow one fits the trial and writes its report through the command line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import arviz as az
import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import bayes_scot as bs
from bayes_scot import plots
from bayes_scot.evidence.trial import Trial
from bayes_scot.reanalysis import Reanalysis
from bayes_scot.report import write_report
from bayes_scot.report.figures import (
    _prior_posterior_jobs,
    declared_endpoints,
    draw_figures,
    mark_without_data,
)
from bayes_scot.report.render import context, render_html, render_markdown, summary_html
from bayes_scot.results import PriorFit
from bayes_scot.spec import AnalysisSpec, FamilySpec, JointSpec, PriorScale, TrialSpec
from bayes_scot.stats.estimands import EstimandDraws

TRIAL_TOML = """\
# SIMULATED trial for the report tests: every number is simulated, not a real trial.
[trial]
name = "simdrug"
title = "SIMULATED Drug versus Placebo trial (test; not real data)"
citation = "SIMULATED test trial; not a publication"

[arms.drug]
label = "Drug Z 10 mg daily (SIMULATED)"
role = "experimental"

[arms.placebo]
label = "Matching placebo (SIMULATED)"
role = "control"

[sources.main]
citation = "SIMULATED main publication (not real)"

[endpoints.pfs]
label = "Progression-free survival"
kind = "time_to_event"
better = "higher"

[endpoints.walk]
label = "Six-minute walk distance"
kind = "continuous"
better = "higher"
unit = "m"

[populations.itt]
label = "Intention to treat"
n = { drug = 60, placebo = 60 }

[[landmark_events]]
id = "sim_pfs_events_6"
endpoint = "pfs"
population = "itt"
time_months = 6
events = { drug = 8, placebo = 15 }
n = { drug = 60, placebo = 60 }
source = { ref = "main", locator = "Table 2", tag = "reported", note = "SIMULATED." }

[[landmark_events]]
id = "sim_pfs_events_12"
endpoint = "pfs"
population = "itt"
time_months = 12
events = { drug = 15, placebo = 26 }
n = { drug = 60, placebo = 60 }
source = { ref = "main", locator = "Table 2", tag = "reported", note = "SIMULATED." }

[[visit_summaries]]
id = "sim_walk_0"
endpoint = "walk"
population = "itt"
time_months = 0
statistic = "mean"
mean = { drug = 352.0, placebo = 348.0 }
sd = { drug = 80.0, placebo = 78.0 }
n = { drug = 60, placebo = 60 }
source = { ref = "main", locator = "Table 1", tag = "reported", note = "SIMULATED." }

[[visit_summaries]]
id = "sim_walk_change_12"
endpoint = "walk"
population = "itt"
time_months = 12
statistic = "change"
mean = { drug = 24.0, placebo = -3.0 }
sd = { drug = 50.0, placebo = 48.0 }
n = { drug = 50, placebo = 46 }
source = { ref = "main", locator = "Figure 3", tag = "reported", note = "SIMULATED." }
"""

#: Words of SCOT (its arms, disease, publication and trials) that a report of another
#: trial must never show. Matched as whole words, case-insensitively.
SCOT_WORDS = ("HSCT", "CYC", "SCOT", "systemic sclerosis", "scleroderma", "Sullivan",
              "ASTIS", "ASSIST", "HAQ-DI", "SF-36", "Rodnan")


def scot_words(text: str) -> list[str]:
    """Return the SCOT words in ``text`` (package and module names such as bayes_scot
    are not words of the trial)."""
    text = text.replace("bayes_scot", "").replace("bayes-scot", "")
    return [w for w in SCOT_WORDS if re.search(rf"\b{re.escape(w)}\b", text, re.IGNORECASE)]


@pytest.fixture(scope="module")
def trial_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("simdrug") / "simdrug.toml"
    path.write_text(TRIAL_TOML, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trial(trial_file: Path) -> Trial:
    return bs.load_trial(trial_file)


class _Diag:
    rhat_max = 1.002
    ess_bulk_min = 1500.0
    divergences = 0


class SimulatedDrugTrial(Reanalysis):
    """A reanalysis of the SIMULATED trial from simulated draws, with the optional tables."""

    def table(self, **kwargs):  # type: ignore[override]
        table = super().table(**kwargs)
        table["prior_median"] = np.where(table["null"] == 1.0, 1.0, 0.0)
        table["prior_p_superior"] = 0.5
        table["prior_p_mcid"] = np.where(table["mcid"].notna(), 0.123, np.nan)
        return table

    def tipping_points(self) -> pd.DataFrame:
        return pd.DataFrame({
            "family": "survival", "endpoint": "pfs", "estimand": "survival_difference_12",
            "threshold": [0.95, 0.90], "external_weight": np.nan,
            "skeptical_sd": [1.5, 0.4321], "p_superior": 0.99, "current_weight": np.nan,
            "note": "no external evidence"})

    def structure_sensitivity(self) -> pd.DataFrame:
        return pd.DataFrame({
            "structure": "common", "meaning": "one hazard ratio", "shipped": False,
            "endpoint": "pfs", "estimand": ["survival_difference_12", "hazard_ratio_common"],
            "label": ["PFS difference", "PFS hazard ratio"], "median": [0.1971, 0.5432],
            "lower": [0.0123, 0.3101], "upper": [0.3842, 0.9512], "p_superior": 0.98,
            "p_mcid": 0.8, "prior_p_superior": 0.5, "prior_p_mcid": 0.3, "passed": True})


def simulated_reanalysis(trial: Trial) -> SimulatedDrugTrial:
    """Two priors, two families; every draw is SIMULATED."""
    rng = np.random.default_rng(2024)
    fits = []
    for prior, shift in (("reference", 0.0), ("skeptical_moderate", -0.05)):
        log_hr = rng.normal(-0.6 + shift, 0.3, size=(2, 400))
        survival = (
            EstimandDraws(endpoint="pfs", estimand="survival_difference_12",
                          label="Progression-free survival at 12 months, drug minus placebo",
                          draws=rng.normal(0.15 + shift, 0.07, size=(2, 400)), null=0.0,
                          superior="higher", mcid=0.1, unit="probability"),
            EstimandDraws(endpoint="pfs", estimand="hazard_ratio_common",
                          label="Progression-free survival hazard ratio, drug vs placebo",
                          draws=np.exp(log_hr), null=1.0, superior="lower", mcid=0.8,
                          unit="ratio"),
        )
        effect = PriorScale(design_effect=-0.69, benefit="lower", reference_sd=1.0,
                            measure="HR").grid()[prior]
        fits.append(PriorFit(family="survival", prior=prior, estimands=survival,
                             diagnostics=_Diag(), effect_priors={"log_hr": effect},
                             idata=az.from_dict(posterior={"log_hr": log_hr}), seconds=1.0))
        longitudinal = (
            EstimandDraws(endpoint="walk", estimand="change_difference_12",
                          label="Six-minute walk distance at 12 months: drug minus placebo",
                          draws=rng.normal(26.0, 9.0, size=(2, 400)), null=0.0,
                          superior="higher", mcid=30.0, unit="m"),
            EstimandDraws(endpoint="grip", estimand="change_difference_12",
                          label="Grip strength at 12 months: drug minus placebo",
                          draws=rng.normal(0.0, 5.0, size=(2, 400)), null=0.0,
                          superior="higher", unit="kg", evidence="prior only",
                          attrs={"no_data": True, "prior_only": True}, extrapolated=True),
        )
        fits.append(PriorFit(family="longitudinal", prior=prior, estimands=longitudinal,
                             diagnostics=_Diag(), effect_priors={}, seconds=1.0))
    spec = AnalysisSpec(
        name="simdrug_test",
        title="SIMULATED: Drug Z versus placebo",
        description="SIMULATED draws of a drug-versus-placebo trial.",
        trials=(TrialSpec(name="simdrug"),),
        families=(FamilySpec(family="survival"), FamilySpec(family="longitudinal")),
        priors=("reference", "skeptical_moderate"),
        joint=JointSpec(estimands=("pfs:survival_difference_12",
                                   "walk:change_difference_12")),
        text="[analysis]\nname = \"simdrug_test\"\n",
    )
    provenance = {"created": "2026-01-01T00:00:00+00:00", "packages": {"bayes_scot": "0.1.0"},
                  "data": {"simdrug": {"population": "itt", "data_hash": "abc",
                                       "file_sha256": "def"}},
                  "seed": spec.seed}
    return SimulatedDrugTrial(spec=spec, fits=fits, trials={"simdrug": trial},
                              provenance=provenance)


@pytest.fixture(scope="module")
def reanalysis(trial: Trial) -> SimulatedDrugTrial:
    return simulated_reanalysis(trial)


@pytest.fixture(scope="module")
def pages(reanalysis: SimulatedDrugTrial) -> dict[str, str]:
    ctx = context(reanalysis)
    return {"md": render_markdown(ctx), "html": render_html(ctx),
            "notebook": summary_html(reanalysis)}


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


# -- the trial's own words --------------------------------------------------------------


def test_reports_name_this_trials_arms_and_nothing_of_scot(pages: dict[str, str]) -> None:
    for name, page in pages.items():
        assert scot_words(page) == [], name
    assert "P(drug superior)" in pages["md"]
    assert "the probability that drug is superior" in pages["md"]


def test_declared_endpoints_come_from_the_trial_file(reanalysis: SimulatedDrugTrial) -> None:
    declared = declared_endpoints(reanalysis)
    assert declared["pfs"].label == "Progression-free survival"
    assert declared["walk"].unit == "m"


def test_panels_of_declared_endpoints_carry_label_unit_and_direction(trial: Trial) -> None:
    months = [0.0, 6.0, 12.0]
    trajectories = pd.DataFrame({
        "endpoint": "walk", "arm": ["drug"] * 3 + ["placebo"] * 3, "time_months": months * 2,
        "median": [0.0, 15.0, 24.0, 0.0, 1.0, -3.0], "lower": [0.0, 5.0, 9.0, 0.0, -9.0, -15.0],
        "upper": [0.0, 25.0, 38.0, 0.0, 11.0, 9.0], "statistic": "change"})
    fig = plots.plot_trajectories(trajectories, declared_endpoints=trial.endpoints)
    ax = fig.axes[0]
    assert ax.get_title(loc="left").replace("\n", " ") == \
        "Six-minute walk distance (higher is better ↑)"
    assert ax.get_ylabel() == "change from baseline (m)"
    # without the declaration the panel falls back to the name, as before
    assert plots.plot_trajectories(trajectories).axes[0].get_title(loc="left") == "walk"

    curves = pd.DataFrame({
        "endpoint": "pfs", "arm": ["drug"] * 3 + ["placebo"] * 3, "time_months": months * 2,
        "median": [1.0, 0.87, 0.75, 1.0, 0.75, 0.57], "lower": [1.0, 0.8, 0.65, 1.0, 0.65, 0.45],
        "upper": [1.0, 0.93, 0.84, 1.0, 0.84, 0.68]})
    fig = plots.plot_survival(curves, declared_endpoints=trial.endpoints)
    assert fig.axes[0].get_title(loc="left") == "Progression-free survival"
    assert {"drug", "placebo"} <= set(_texts(fig))

    table = pd.DataFrame({
        "endpoint": "pfs", "estimand": ["hazard_ratio_0_6", "hazard_ratio_6_12"],
        "prior": "reference", "median": [0.55, 0.56], "lower": [0.3, 0.29],
        "upper": [0.98, 1.08], "mcid": 0.8})
    fig = plots.plot_hazard_ratio_over_time(table, experimental="drug", control="placebo",
                                            declared_endpoints=trial.endpoints)
    assert fig.axes[0].get_title(loc="left") == "Progression-free survival"
    assert fig.axes[0].get_ylabel() == "hazard ratio, drug vs placebo (log scale)"


# -- every number beside its prior, in the trial's units --------------------------------


def test_every_posterior_probability_sits_beside_its_prior_probability(
        pages: dict[str, str]) -> None:
    md = pages["md"]
    assert ("| P(superior) | Prior P(sup.) | P(> MCID) | Prior P(> MCID) | P(harm) |"
            in md)
    assert "P(&gt; MCID) moves from 0.123 under the prior alone to" in md
    html = pages["html"]
    # the reference table, the full table and the table of every prior
    assert html.count("Prior P(&gt; MCID)</th>") == 3
    notebook = pages["notebook"]
    assert "Prior P(sup.)" in notebook
    assert "Prior P(&gt; MCID)" in notebook


def test_the_notebook_summary_writes_each_quantity_in_its_unit(
        pages: dict[str, str], reanalysis: SimulatedDrugTrial) -> None:
    row = reanalysis.table().query(
        "prior == 'reference' and estimand == 'survival_difference_12'").iloc[0]
    assert f"{100 * row['median']:+.1f}</td>" in pages["notebook"]  # pp, not a proportion
    assert f"<td>{row['median']:.3f}</td>" not in pages["notebook"]


def test_tipping_points_write_the_sd_as_a_number_and_say_why_a_value_is_missing(
        pages: dict[str, str]) -> None:
    md = pages["md"]
    assert ("| survival | pfs | survival_difference_12 | 0.950 | – | 1.50 | "
            "no external evidence |") in md
    assert "| 0.900 | – | 0.432 | no external evidence |" in md
    assert "no external evidence</td>" in pages["html"]


def test_structure_rows_use_the_units_of_the_main_table(pages: dict[str, str]) -> None:
    md = pages["md"]
    section = md[md.index("### Effect structure"):md.index("### Every prior on every")]
    assert "| common | PFS difference | +19.7 | +1.2 to +38.4 pp |" in section
    assert "| common | PFS hazard ratio | 0.54 | 0.31 to 0.95 |" in section
    assert "0.197" not in section  # never the proportion beside the main table's pp
    assert '<td class="n">+19.7</td>' in pages["html"]


def test_rows_without_data_are_marked_in_the_figures_that_show_them(
        reanalysis: SimulatedDrugTrial) -> None:
    marked = mark_without_data(reanalysis, reanalysis.table())
    labels = dict(zip(marked["endpoint"], marked["label"], strict=False))
    assert labels["grip"].endswith("(no data: its prior)")
    assert "no data" not in labels["walk"]
    assert "no data" not in labels["pfs"]
    fig = plots.plot_prior_sensitivity(marked)
    assert any("(no data: its prior)" in t.get_text().replace("\n", " ")
               for t in fig.axes[0].get_yticklabels())


def test_prior_posterior_figure_names_the_parameter_its_prior_is_on(
        reanalysis: SimulatedDrugTrial) -> None:
    (name, title, caption, _draw), = _prior_posterior_jobs(reanalysis, plots)
    assert name == "prior_posterior_survival_log_hr"
    assert "event-weighted average hazard ratio" in title
    assert "all transitions" not in title  # one endpoint: there are no transitions
    assert "on the log scale" in caption
    assert "the its" not in caption


@pytest.mark.parametrize(("p", "text"), [(0.997, ">0.99"), (1.0, ">0.99"), (0.994, "0.99"),
                                         (0.5, "0.50"), (0.004, "<0.01"), (0.0, "<0.01")])
def test_figures_never_write_a_probability_below_one_as_one(p: float, text: str) -> None:
    from bayes_scot.plots._style import probability_text

    assert probability_text(p) == text


def test_forest_and_heat_map_write_near_certain_probabilities_as_above_0_99() -> None:
    table = pd.DataFrame({
        "endpoint": "pfs", "estimand": "survival_difference_12", "prior": ["a", "b"],
        "label": "SIMULATED", "median": 0.2, "lower": 0.1, "upper": 0.3,
        "p_superior": [0.997, 0.96]})
    for fig in (plots.plot_superiority(table), plots.plot_prior_sensitivity(table)):
        texts = _texts(fig)
        assert ">0.99" in texts
        assert "0.96" in texts
        assert "1.00" not in texts


# -- the written folder -----------------------------------------------------------------


def test_written_report_has_no_scot_text_and_its_json_keeps_the_table(
        reanalysis: SimulatedDrugTrial, tmp_path: Path) -> None:
    out = write_report(reanalysis, tmp_path / "report", figures=False)
    for name in ("index.html", "report.md", "summary.json"):
        assert scot_words((out / name).read_text(encoding="utf-8")) == [], name
    doc = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    table = pd.DataFrame(doc["table"])
    expected = reanalysis.table()
    assert list(table.columns) == list(expected.columns)
    np.testing.assert_allclose(table["p_superior"].astype(float),
                               expected["p_superior"].astype(float))
    assert doc["input_data"]["simdrug"]["data_hash"] == "abc"


def test_figure_titles_and_captions_name_this_trials_arms(
        reanalysis: SimulatedDrugTrial) -> None:
    figures, _notes = draw_figures(reanalysis)
    assert figures
    for f in figures:
        assert scot_words(f.title + " " + f.caption) == [], f.name
    titles = {f.name: f.title for f in figures}
    assert titles["headline"] == "P(drug superior) under every prior"


# -- a fitted SIMULATED trial, end to end ------------------------------------------------


SPEC_TOML = """\
# SIMULATED analysis of the SIMULATED drug-versus-placebo trial (not real data).
[analysis]
name = "simdrug_e2e"
title = "SIMULATED: Drug Z versus placebo"
seed = 7

[[trials]]
path = "simdrug.toml"

[sampler]
draws = 300
tune = 300
chains = 2
backend = "blackjax"

[priors]
grid = ["reference", "skeptical_moderate"]

[joint]
estimands = ["pfs:survival_difference_12", "walk:change_difference_12"]

[mcids."walk:*"]
value = 30.0
source = "SIMULATED threshold"

[survival]
endpoints = ["pfs"]

[survival.options]
estimand_times_months = [6.0, 12.0, 18.0]

[longitudinal]
endpoints = ["walk"]

[longitudinal.options]
endpoints = ["walk"]
visits_months = [0.0, 12.0]
reference_visit_months = 12.0
"""


@pytest.mark.slow
def test_fitted_unseen_trial_report(trial_file: Path, tmp_path: Path) -> None:
    from bayes_scot.cli import main

    spec = trial_file.parent / "simdrug_e2e.toml"
    spec.write_text(SPEC_TOML, encoding="utf-8")
    outs = [tmp_path / "one", tmp_path / "two"]
    for out in outs:
        assert main(["report", str(spec), "--out", str(out), "--quiet"]) == 0
    one, two = (json.loads((o / "summary.json").read_text(encoding="utf-8")) for o in outs)
    for key in one:
        if key not in ("created", "timings_seconds"):
            assert one[key] == two[key], key  # the same seed gives the same report
    for name in ("index.html", "report.md", "summary.json"):
        assert scot_words((outs[0] / name).read_text(encoding="utf-8")) == [], name
    md = (outs[0] / "report.md").read_text(encoding="utf-8")
    assert "P(drug superior)" in md
    assert "(extrapolated beyond the last datum at 12 months)" in md
    assert one["packages"]["bayes_scot"]
    assert one["seed"] == 7
    assert one["input_data"]["simdrug"]["data_hash"]
    names = {f["name"] for f in one["figures"]}
    assert {"headline", "survival", "trajectories", "hazard_ratio_over_time"} <= names
