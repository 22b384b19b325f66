"""What the report's figures and text say must be what they show and what ran.

Every draw, table and trial here is SIMULATED (made-up numbers of the right shape); no
number below is trial data. The Agg backend is forced so the tests run headless.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import matplotlib

matplotlib.use("Agg")

import arviz as az
import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from bayes_scot import plots
from bayes_scot.plots._style import ARM_COLOURS, DECISION_THRESHOLDS, probability_text
from bayes_scot.reanalysis import Reanalysis
from bayes_scot.report import headline, numbers
from bayes_scot.report.figures import _benefit_jobs, _headline_jobs, _prior_posterior_jobs
from bayes_scot.report.render import context, render_html, render_markdown, samplers
from bayes_scot.results import PriorFit
from bayes_scot.results.tipping import THRESHOLDS
from bayes_scot.spec import AnalysisSpec, FamilySpec, JointSpec, PriorScale, TrialSpec
from bayes_scot.stats.estimands import PARAMETER_TRANSFORM, EstimandDraws


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


@dataclass(frozen=True)
class _Diag:
    rhat_max: float = 1.002
    ess_bulk_min: float = 1500.0
    divergences: int = 0


# -- 1. no probability rounded onto or across a decision threshold -----------------------

#: SIMULATED probabilities just below (or at) the report's thresholds.
NEAR = [0.9455, 0.9465, 0.9496, 0.949999, 0.8996, 0.95, 0.9504, 0.90]


def _on_its_side(text: str, p: float) -> bool:
    shown = float(text.rstrip(" †"))
    return all((shown < t) == (p < t) for t in DECISION_THRESHOLDS)


def test_the_figures_and_the_report_share_their_thresholds() -> None:
    assert DECISION_THRESHOLDS == numbers.DECISION_THRESHOLDS == THRESHOLDS
    assert headline.THRESHOLDS == numbers.DECISION_THRESHOLDS


@pytest.mark.parametrize("p", NEAR)
def test_a_figure_never_rounds_a_probability_onto_a_threshold(p: float) -> None:
    text = probability_text(p)
    assert _on_its_side(text, p), text
    assert len(text.split(".")[1]) <= 4


@pytest.mark.parametrize(("p", "text"), [(0.9455, "0.946"), (0.9496, "0.9496"),
                                         (0.8996, "0.8996"), (0.93, "0.93"), (0.9504, "0.95")])
def test_only_a_probability_near_a_threshold_gets_more_decimals(p: float, text: str) -> None:
    assert probability_text(p) == text


@pytest.mark.parametrize("p", NEAR)
def test_a_table_never_rounds_a_probability_onto_a_threshold(p: float) -> None:
    assert _on_its_side(numbers.probability(p), p)


def test_tables_keep_three_decimals_away_from_a_threshold() -> None:
    assert numbers.probability(0.9496) == "0.9496"
    assert numbers.probability(0.9455) == "0.946"
    assert numbers.probability(0.953) == "0.953"


def _near_threshold_table() -> pd.DataFrame:
    priors = [f"prior_{i}" for i in range(len(NEAR))]
    return pd.DataFrame({
        "endpoint": "efs", "estimand": "survival_difference_54", "prior": priors,
        "label": "SIMULATED difference", "median": 0.2, "lower": 0.1, "upper": 0.3,
        "p_superior": NEAR})


@pytest.mark.parametrize("draw", [plots.plot_superiority, plots.plot_prior_sensitivity])
def test_forest_and_heat_map_write_each_probability_on_its_side(draw: Any) -> None:
    texts = _texts(draw(_near_threshold_table()))
    for p in NEAR:
        assert probability_text(p) in texts
    assert texts.count("0.95") == 2  # 0.95 itself and 0.9504; never 0.9455 or 0.9465
    assert texts.count("0.90") == 1  # 0.90 itself; never 0.8996


# -- 2. headline titles wrapped, never cut ------------------------------------------------

LONG_LABEL = ("SIMULATED event-free survival (death or respiratory, renal or cardiac "
              "failure) at 54 months, HSCT minus CYC")


def _headline_table(label: str, *, mcid: float = float("nan")) -> pd.DataFrame:
    return pd.DataFrame({
        "endpoint": "efs", "estimand": "survival_difference_54",
        "prior": ["reference", "skeptical_moderate"], "label": label, "median": 0.2,
        "lower": 0.05, "upper": 0.35, "p_superior": [0.97, 0.93], "p_mcid": np.nan,
        "null": 0.0, "superior": "higher", "mcid": mcid, "unit": "probability"})


def test_headline_titles_keep_the_whole_label() -> None:
    fig = plots.plot_headline(_headline_table(LONG_LABEL),
                              estimands=[("efs", "survival_difference_54")])
    title = fig.axes[0].get_title(loc="left")
    assert " ".join(title.split()) == LONG_LABEL
    assert "…" not in title
    assert "..." not in title
    assert title.endswith("HSCT minus CYC")


def test_headline_legend_names_the_mcid_only_when_a_panel_draws_it() -> None:
    def labels(table: pd.DataFrame) -> list[str]:
        fig = plots.plot_headline(table, estimands=[("efs", "survival_difference_54")])
        return [t.get_text() for t in fig.legends[0].get_texts()]

    assert "MCID" not in labels(_headline_table("SIMULATED"))
    assert "MCID" in labels(_headline_table("SIMULATED", mcid=0.1))


# -- 3. legends match the markers drawn ----------------------------------------------------


def _curves() -> pd.DataFrame:
    times = np.linspace(0.0, 72.0, 13)
    rows = []
    for arm, rate in (("hsct", 0.006), ("cyc", 0.010)):
        s = np.exp(-rate * times)
        rows += [{"arm": arm, "endpoint": "efs", "time_months": t, "median": v,
                  "lower": v**1.3, "upper": v**0.8} for t, v in zip(times, s, strict=True)]
    return pd.DataFrame(rows)


def _landmarks() -> pd.DataFrame:
    return pd.DataFrame([
        {"kind": "landmark_events", "id": "e54", "endpoint": "efs", "arm": arm,
         "time_months": 54.0, "statistic": statistic, "value": value, "population": "itt",
         "source": "simulated", "tag": "reported"}
        for arm, (events, n) in (("hsct", (9, 36)), ("cyc", (18, 40)))
        for statistic, value in (("events", events), ("n", n))])


def _marker_colours(artist: Any, marker: str) -> list[str]:
    return [to_hex(line.get_markerfacecolor()) for line in artist.findobj(Line2D)
            if line.get_marker() == marker and len(line.get_xdata())]


def test_survival_legend_shows_the_squares_in_the_arms_colours() -> None:
    fig = plots.plot_survival(_curves(), published=_landmarks())
    drawn = sorted(set(_marker_colours(fig.axes[0], "s")))
    assert drawn == sorted([ARM_COLOURS["hsct"], ARM_COLOURS["cyc"]])
    legend = fig.legends[0]
    assert "published 1 − events/n" in [t.get_text() for t in legend.get_texts()]
    assert sorted(_marker_colours(legend, "s")) == drawn  # no grey square


def test_trajectories_legend_shows_the_diamonds_in_the_arms_colours() -> None:
    times = [0.0, 12.0, 24.0]
    curves = pd.DataFrame([
        {"arm": arm, "endpoint": "haq_di", "time_months": t, "median": 1.0 - shift * t,
         "lower": 0.8 - shift * t, "upper": 1.2 - shift * t}
        for arm, shift in (("hsct", 0.02), ("cyc", 0.01)) for t in times])
    published = pd.DataFrame([
        {"kind": "visit_summaries", "id": "v12", "endpoint": "haq_di", "arm": arm,
         "time_months": 12.0, "statistic": "mean", "value": value, "population": "itt",
         "source": "simulated", "tag": "reported"}
        for arm, value in (("hsct", 0.8), ("cyc", 0.9))])
    fig = plots.plot_trajectories(curves, published=published)
    drawn = sorted(set(_marker_colours(fig.axes[0], "D")))
    assert drawn == sorted([ARM_COLOURS["hsct"], ARM_COLOURS["cyc"]])
    assert sorted(_marker_colours(fig.legends[0], "D")) == drawn


# -- 4. captions say only what is drawn ----------------------------------------------------


def _stand_in(table: pd.DataFrame, joint: tuple[str, ...]) -> SimpleNamespace:
    curve = pd.DataFrame({"prior": "reference", "threshold": [-0.1, 0.0, 0.1],
                          "probability": [0.99, 0.97, 0.6]})
    return SimpleNamespace(
        priors=("reference",), reference_prior="reference", fits=(),
        spec=SimpleNamespace(joint=SimpleNamespace(estimands=joint)),
        benefit_curve=lambda key, priors: curve)


def _grcs_row(mcid: float) -> pd.DataFrame:
    return pd.DataFrame([{
        "endpoint": "grcs", "estimand": "net_benefit_54", "prior": "reference",
        "label": "SIMULATED net benefit", "median": 0.3, "lower": 0.05, "upper": 0.55,
        "p_superior": 0.98, "p_mcid": np.nan if np.isnan(mcid) else 0.7, "null": 0.0,
        "superior": "higher", "mcid": mcid, "unit": ""}])


def test_benefit_caption_names_the_mcid_only_when_the_figure_draws_it() -> None:
    for mcid, named in ((float("nan"), False), (0.1, True)):
        table = _grcs_row(mcid)
        (_name, _title, caption, draw), = _benefit_jobs(
            _stand_in(table, ()), plots, table, [("grcs", "net_benefit_54")],
            experimental="A", control="B")
        assert ("MCID" in caption) is named
        lines = [line for line in draw().axes[0].get_lines() if line.get_linestyle() == ":"]
        assert bool(lines) is named


def test_headline_caption_names_the_mcid_only_when_a_panel_draws_it() -> None:
    table = _grcs_row(float("nan"))
    jobs = list(_headline_jobs(_stand_in(table, ("grcs:net_benefit_54",)), plots, table,
                               ("A", "B")))
    (caption,) = [caption for name, _t, caption, _d in jobs if name == "headline"]
    assert "MCID" not in caption


# -- 5. the sampler as it ran ---------------------------------------------------------------


def _sampled_reanalysis() -> Reanalysis:
    """A survival family sampled by BlackJAX and a composite computed in closed form."""
    rng = np.random.default_rng(5)
    effect = PriorScale(design_effect=-0.69, benefit="lower", reference_sd=1.0).grid()
    fits = []
    for family, backend in (("survival", "blackjax"), ("composite", "closed_form")):
        idata = az.from_dict(posterior={"log_hr": rng.normal(-0.5, 0.3, size=(4, 200))})
        idata.posterior.attrs["sampler_backend"] = backend
        estimand = EstimandDraws(endpoint="efs", estimand=f"{family}_ratio",
                                 label=f"SIMULATED {family} ratio",
                                 draws=rng.lognormal(-0.5, 0.3, size=(4, 200)), null=1.0,
                                 superior="lower")
        reproduce = pd.DataFrame([
            {"trial": "sim", "entry": "e48", "endpoint": "efs", "population": "itt",
             "arm": "hsct", "time_months": 48.0, "statistic": "events", "published": 10.0,
             "median": 10.0, "lower": 3.98, "upper": 18.0, "outside": False, "used": True,
             "note": ""},
            {"trial": "sim", "entry": "b0", "endpoint": "mrss", "population": "itt",
             "arm": "cyc", "time_months": 0.0, "statistic": "mean", "published": 30.4,
             "median": 28.52, "lower": 24.23, "upper": 32.84, "outside": False,
             "used": True, "note": ""},
        ]) if family == "survival" else None
        fits.append(PriorFit(family=family, prior="reference", estimands=(estimand,),
                             diagnostics=_Diag(), effect_priors={"log_hr": effect["reference"]},
                             idata=idata, seconds=1.0, reproduce=reproduce))
    spec = AnalysisSpec(
        name="simulated", title="SIMULATED", trials=(TrialSpec(name="sim"),),
        families=(FamilySpec(family="survival", sampler={
                      "backend": "blackjax", "tune": 500, "target_accept": 0.97,
                      "max_treedepth": 5}),
                  FamilySpec(family="composite")),
        priors=("reference",), joint=JointSpec(estimands=()), text="")
    provenance = {"created": "2026-01-01T00:00:00+00:00", "packages": {}, "data": {},
                  "seed": spec.seed}
    return Reanalysis(spec=spec, fits=fits, provenance=provenance)


@pytest.fixture(scope="module")
def sampled() -> Reanalysis:
    return _sampled_reanalysis()


@pytest.fixture(scope="module")
def pages(sampled: Reanalysis) -> dict[str, str]:
    ctx = context(sampled)
    return {"md": render_markdown(ctx), "html": render_html(ctx)}


def test_provenance_states_each_familys_sampler_as_it_ran(sampled, pages) -> None:
    assert samplers(sampled) == [
        {"family": "survival",
         "text": "blackjax, 4 chains × 1000 draws after 500 tuning steps, target "
                 "acceptance 0.97, tree depth at most 5"},
        {"family": "composite",
         "text": "closed-form posterior, no MCMC (4 × 1000 quantiles of the exact "
                 "posterior)"},
    ]
    line = next(x for x in pages["md"].splitlines() if x.startswith("- Sampler:"))
    assert line.startswith("- Sampler: survival: blackjax, 4 chains")
    assert "composite: closed-form posterior, no MCMC" in line
    for page in pages.values():
        # The specification's default (nutpie, 1000 tuning steps, depth 10) ran nowhere.
        assert "nutpie" not in page
        assert "at most 10" not in page
        assert "after 1000 tuning" not in page


# -- 6. counts written as whole numbers ----------------------------------------------------


def test_count_intervals_are_the_whole_numbers_inside_them() -> None:
    assert numbers.count_interval(10.0, 3.98, 18.0) == ["10", "4", "18"]
    assert numbers.count_interval(7.5, 4.02, 11.97) == ["8", "5", "11"]
    assert numbers.count_interval(3.0, 3.0000000001, 9.0) == ["3", "3", "9"]


def test_reproduce_table_writes_counts_whole_and_means_with_decimals(pages) -> None:
    rows = [x for x in pages["md"].splitlines() if x.startswith("| sim |")]
    events = next(x for x in rows if "| events |" in x)
    mean = next(x for x in rows if "| mean |" in x)
    assert events.endswith("| 10 | 10 | 4 to 18 |")
    assert mean.endswith("| 30.40 | 28.52 | 24.23 to 32.84 |")


# -- 7. the prior-and-posterior figure named by what it shows -----------------------------


def _borrowing_reanalysis() -> Reanalysis:
    """A model that borrows: the priors are on the trials' mean log hazard ratio."""
    rng = np.random.default_rng(7)
    mu = rng.normal(-0.4, 0.3, size=(4, 300))
    own = mu + rng.normal(0.0, 0.1, size=(4, 300))
    estimands = (
        EstimandDraws(endpoint="efs", estimand="hazard_ratio_common",
                      label="SIMULATED EFS hazard ratio, event-weighted average over "
                            "follow-up, A vs B",
                      draws=np.exp(own), null=1.0, superior="lower", unit="ratio",
                      attrs={"target_effect_of": "log_hr"}),
        EstimandDraws(endpoint="efs", estimand="hazard_ratio_mean",
                      label="SIMULATED EFS hazard ratio, the trials' mean effect, A vs B",
                      draws=np.exp(mu), null=1.0, superior="lower", unit="ratio",
                      attrs={"parameter": "log_hr", PARAMETER_TRANSFORM: ("exp", 1.0),
                             "across_trials": True}),
    )
    effect = PriorScale(design_effect=-0.69, benefit="lower", reference_sd=1.0).grid()
    fit = PriorFit(family="survival", prior="reference", estimands=estimands,
                   diagnostics=_Diag(), effect_priors={"log_hr": effect["reference"]},
                   idata=az.from_dict(posterior={"log_hr": mu}), seconds=1.0)
    spec = AnalysisSpec(name="simulated", title="SIMULATED", trials=(TrialSpec(name="sim"),),
                        families=(FamilySpec(family="survival"),), priors=("reference",),
                        joint=JointSpec(estimands=()), text="")
    return Reanalysis(spec=spec, fits=[fit], provenance={})


def test_prior_posterior_figure_is_titled_by_the_estimand_it_shows() -> None:
    (_name, title, _caption, draw), = _prior_posterior_jobs(_borrowing_reanalysis(), plots)
    assert "the trials' mean effect" in title
    assert "event-weighted" not in title
    xlabel = " ".join(draw().axes[0].get_xlabel().split())
    assert xlabel == ("SIMULATED EFS hazard ratio, the trials' mean effect, A vs B "
                      "(log scale)")


# -- 8. predictive-check rows that say whose number each is --------------------------------


def _two_trials() -> pd.DataFrame:
    row = {"endpoint": "efs", "arm": "hsct", "time_months": 12.0, "statistic": "events",
           "published": 5.0, "median": 5.0, "lower": 2.0, "upper": 9.0, "outside": False,
           "population": "itt"}
    return pd.DataFrame([
        {**row, "trial": "scot"}, {**row, "trial": "astis"},
        {**row, "trial": "astis", "arm": None, "statistic": "hr", "published": 0.6,
         "median": 0.7, "lower": 0.4, "upper": 1.1},
    ])


def test_predictive_check_labels_name_the_trial_and_have_single_spaces() -> None:
    fig = plots.plot_predictive_check(_two_trials())
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(set(labels)) == len(labels) == 3
    assert "scot: efs hsct 12 mo events" in labels
    assert "astis: efs hsct 12 mo events" in labels
    assert "astis: efs 12 mo hr" in labels
    assert not [label for label in labels if re.search(r"\s{2}", label)]


def test_predictive_check_labels_name_the_population_when_there_are_several() -> None:
    rows = _two_trials().assign(trial="scot", population=["itt", "pp", "itt"])
    labels = plots.predictive.row_labels(rows)
    assert labels == ["itt: efs hsct 12 mo events", "pp: efs hsct 12 mo events",
                      "itt: efs 12 mo hr"]
    one = plots.predictive.row_labels(rows.iloc[[0]])
    assert one == ["efs hsct 12 mo events"]


def test_rows_resting_on_external_evidence_only_are_marked_in_the_figures() -> None:
    # SIMULATED rows: one on the trial's data, one on a discounted external estimate
    # only; the figures' labels must not present the second as the trial's evidence.
    from types import SimpleNamespace

    from bayes_scot.report.figures import mark_without_data

    table = pd.DataFrame({
        "endpoint": ["fvc", "haq_di"], "estimand": ["change_difference_54"] * 2,
        "label": ["FVC at 54 months", "HAQ-DI at 54 months"],
        "evidence": ["trial", "external: Maltez N et al, at 12 months, weight 0.5"],
    })
    marked = mark_without_data(SimpleNamespace(fits=[]), table)
    # A label that already says it is marked is not marked twice.
    again = mark_without_data(SimpleNamespace(fits=[]), marked)
    assert list(again["label"]) == list(marked["label"])
    assert list(marked["label"]) == [
        "FVC at 54 months", "HAQ-DI at 54 months (external evidence only)"]
