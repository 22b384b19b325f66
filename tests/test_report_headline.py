"""The report leads with the answer: headline figure, sentences, priors, then details."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from figure_checks import overlapping_texts
from matplotlib.text import Text
from test_report_writer import simulated_reanalysis

from bayes_scot import plots
from bayes_scot.reanalysis import Reanalysis
from bayes_scot.report import write_report
from bayes_scot.report.headline import compact_joint, headline_keys


class WithPriorColumns(Reanalysis):
    """The simulated reanalysis with the optional prior, attribution and tipping columns."""

    def table(self, **kwargs):  # type: ignore[override]
        table = super().table(**kwargs)
        table["prior_median"] = np.where(table["null"] == 1.0, 1.0, 0.0)
        table["prior_p_superior"] = 0.5
        table["prior_p_mcid"] = 0.3
        table["drivers"] = "trial 71%, prior 29%"
        table["extrapolated"] = table["estimand"] == "hazard_ratio"
        return table

    def tipping_points(self) -> pd.DataFrame:
        return pd.DataFrame({"family": ["survival"], "endpoint": ["efs"],
                             "estimand": ["survival_difference_54"], "threshold": [0.95],
                             "external_weight": [np.nan], "skeptical_sd": [0.25]})


def _with_prior_columns() -> WithPriorColumns:
    base = simulated_reanalysis()
    return WithPriorColumns(spec=base.spec, fits=base.fits, provenance=base.provenance)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(simulated_reanalysis(), tmp_path_factory.mktemp("plain") / "r")


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(_with_prior_columns(), tmp_path_factory.mktemp("ext") / "r")


def _positions(text: str, *marks: str) -> list[int]:
    return [text.index(m) for m in marks]


def test_html_leads_with_the_answer(plain: Path) -> None:
    page = (plain / "index.html").read_text(encoding="utf-8")
    order = _positions(page, 'id="headline"', 'id="prior-table"', 'id="headline-text"',
                       'id="details"', 'id="reference-table"', 'id="full-results-table"')
    assert order == sorted(order)
    # long tables fold away and can be filtered
    assert '<details id="full-table">' in page
    assert 'data-filter="full-results-table"' in page


def test_markdown_keeps_the_same_order(plain: Path) -> None:
    text = (plain / "report.md").read_text(encoding="utf-8")
    order = _positions(text, "](figures/headline.png)", "**OS hazard ratio.**",
                       "## The priors", "## Details", "### Results under the reference prior",
                       "### Every estimand under every prior")
    assert order == sorted(order)


def test_each_headline_estimand_has_a_paragraph_in_words(plain: Path) -> None:
    text = (plain / "report.md").read_text(encoding="utf-8")
    paragraph = next(line for line in text.splitlines() if line.startswith("**OS hazard"))
    assert "posterior median is 0.55" in paragraph
    assert "probability that the experimental arm is superior is 0.976" in paragraph
    assert "Across the 2 priors" in paragraph
    survival = next(line for line in text.splitlines() if line.startswith("**EFS difference"))
    assert "+20.4 pp" in survival  # percentage points, not a proportion
    assert "falls below 0.95 under 1 of 2 priors (skeptical_strong)" in survival


def test_priors_are_stated_near_the_top(plain: Path) -> None:
    text = (plain / "report.md").read_text(encoding="utf-8")
    top = text[: text.index("## Details")]
    assert "| skeptical_strong | centred on no effect; 5% probability" in top


def test_joint_probabilities_are_one_row_per_prior(plain: Path) -> None:
    text = (plain / "report.md").read_text(encoding="utf-8")
    section = text[text.index("### Joint probabilities"):text.index("### Every prior")]
    assert "| Prior | any of 2 | all 2 |" in section
    assert section.count("joint posterior draws") == 1  # the basis once, not per row


def test_compact_joint_table_lookup() -> None:
    joint = pd.DataFrame({"prior": ["a", "a", "b", "b"], "threshold": "null",
                          "event": ["any", "all"] * 2, "k": [1, 2, 1, 2], "n": 2,
                          "probability": [0.99, 0.9, 0.98, 0.8], "basis": "same",
                          "estimands": "x, y"})
    compact = compact_joint(joint)
    assert compact["columns"] == ["any of 2", "all 2"]
    assert compact["rows"][1] == {"prior": "b", "values": ["0.980", "0.800"]}
    assert compact["bases"] == ["same"]


def test_headline_falls_back_to_one_estimand_per_endpoint() -> None:
    base = simulated_reanalysis()
    spec = base.spec.__class__(**{**base.spec.__dict__,
                                  "joint": base.spec.joint.__class__(estimands=())})
    r = Reanalysis(spec=spec, fits=base.fits)
    assert headline_keys(r, r.table()) == [("efs", "survival_difference_54"),
                                           ("os", "hazard_ratio")]


def test_prior_columns_attribution_and_tipping_points_are_shown(extended: Path) -> None:
    page = (extended / "index.html").read_text(encoding="utf-8")
    assert "P(superior) under the prior alone" in page
    assert "Prior median" in page
    assert "trial 71%, prior 29%" in page
    assert 'id="tipping-table"' in page
    assert "extrapolated" in page
    text = (extended / "report.md").read_text(encoding="utf-8")
    assert "The reference prior alone gives P(superior) 0.500; the data move it to" in text
    assert "a sceptical prior of SD 0.25 on the log hazard ratio" in text
    assert "| Prior | What it says | Prior P(sup.) EFS | Prior P(sup.) OS |" in text
    # The sceptical SD's unit: the effect parameter's scale, never the endpoint's points.
    for written in (page, text):
        assert "Sceptical SD (effect parameter)" in written
        assert "for a continuous endpoint, SDs of the endpoint, not points" in written


def test_plain_report_has_no_prior_columns(plain: Path) -> None:
    # The simulated fits hold no prior draws; their reference posterior can still be
    # reweighted, so tipping points are shown.
    page = (plain / "index.html").read_text(encoding="utf-8")
    assert "Prior median" not in page
    assert simulated_reanalysis().table()["prior_median"].isna().all()
    assert ('id="tipping-table"' in page) == (not simulated_reanalysis().tipping_points().empty)


def test_headline_figure_has_no_overprinted_text() -> None:
    table = _with_prior_columns().table()
    fig = plots.plot_headline(table, estimands=[("efs", "survival_difference_54"),
                                                ("os", "hazard_ratio")],
                              experimental="HSCT", control="CYC")
    assert overlapping_texts(fig) == []
    texts = {t.get_text() for t in fig.findobj(Text)}
    assert {"← favours CYC", "favours HSCT →", "← favours HSCT", "favours CYC →"} <= texts
    assert "hazard ratio (log scale)" in texts
    assert "difference (percentage points)" in texts
    assert "MCID" in texts
    ratio_axis = next(a for a in fig.axes if a.get_xlabel() == "hazard ratio (log scale)")
    assert ratio_axis.get_xscale() == "log"


def test_headline_figure_rejects_missing_estimands() -> None:
    table = simulated_reanalysis().table()
    with pytest.raises(ValueError, match="no rows for efs:nothing"):
        plots.plot_headline(table, estimands=[("efs", "nothing")])
    with pytest.raises(ValueError, match="no headline estimands"):
        plots.plot_headline(table, estimands=[])


def test_result_objects_have_short_reprs_and_html_views() -> None:
    fit = simulated_reanalysis().fit("survival")
    text = repr(fit)
    assert text.startswith("<PriorFit survival under 'reference': 2 estimands")
    assert "array" not in text
    assert len(text) < 200
    page = fit._repr_html_()
    assert "&lt;script&gt;" in page
    assert "<script>" not in page
    assert "<table>" in page
    e = fit.estimands[1]
    assert repr(e).startswith("<EstimandDraws os:hazard_ratio (OS hazard ratio): 4 chains")
    assert "P(superior)" in e._repr_html_()


def test_arms_are_named_by_the_trial_files_short_labels():
    import dataclasses
    from types import SimpleNamespace

    from bayes_scot.data import load_trial
    from bayes_scot.report.headline import arm_labels, arm_names

    scot = load_trial("scot")
    stand_in = SimpleNamespace(trials={"scot": scot})
    assert arm_labels(stand_in) == ("HSCT", "CYC")
    assert arm_names(stand_in) == {"hsct": "HSCT", "cyc": "CYC"}
    plain = dataclasses.replace(scot, arms=tuple(
        dataclasses.replace(a, short_label="") for a in scot.arms))
    assert arm_labels(SimpleNamespace(trials={"scot": plain})) == ("hsct", "cyc")
    assert arm_labels(SimpleNamespace(trials={})) == ("the experimental arm",
                                                      "the control arm")


def test_without_a_joint_set_the_headline_is_where_the_priors_are_stated() -> None:
    """The fallback headline and the priors table use the estimand carrying the prior.

    A longitudinal trial's first visit comes before its reference visit, where the
    named priors are stated; showing the first visit's prior probability beside the
    statement would contradict it. SIMULATED draws: the prior on the reference-visit
    difference is the pessimistic one, 5% above zero; the earlier visit's prior is wider.
    """
    import dataclasses

    from test_report_writer import Diag

    from bayes_scot.results import PriorFit, priors_table
    from bayes_scot.spec import PriorScale
    from bayes_scot.stats.estimands import EstimandDraws

    rng = np.random.default_rng(3)
    effect = PriorScale(design_effect=0.5, benefit="higher", reference_sd=1.0).grid()[
        "pessimistic_strong"]
    parameter = "standardised_effect[walk]"

    def draws(estimand: str, values: np.ndarray, **attrs: object) -> EstimandDraws:
        return EstimandDraws(endpoint="walk", estimand=estimand, label=estimand,
                             draws=values, null=0.0, superior="higher", attrs=attrs)

    prior_3 = rng.normal(effect.mean, 1.6 * effect.sd, size=(1, 20000))
    prior_12 = rng.normal(effect.mean, effect.sd, size=(1, 20000))
    fit = PriorFit(
        family="longitudinal", prior="pessimistic_strong", diagnostics=Diag(1.0, 900, 0),
        estimands=(draws("change_difference_3", rng.normal(0.2, 0.1, (2, 400))),
                   draws("change_difference_12", rng.normal(0.4, 0.1, (2, 400)),
                         parameter=parameter)),
        prior_estimands=(draws("change_difference_3", prior_3),
                         draws("change_difference_12", prior_12, parameter=parameter)),
        effect_priors={parameter: effect},
    )
    base = simulated_reanalysis()
    spec = dataclasses.replace(base.spec, joint=dataclasses.replace(base.spec.joint,
                                                                    estimands=()))
    r = Reanalysis(spec=spec, fits=[fit])
    assert headline_keys(r, r.table()) == [("walk", "change_difference_12")]
    table = priors_table([fit])
    assert list(table.estimand) == ["change_difference_12"]
    # "5% probability of benefit": 20,000 prior draws, Monte Carlo SE 0.0015.
    assert table.prior_p_superior.iloc[0] == pytest.approx(0.05, abs=0.006)


def test_a_borrowing_headline_is_the_target_trials_and_its_priors_are_stated_on_the_mean(
) -> None:
    """Trials that borrow: the priors are stated on the trials' mean effect.

    SIMULATED draws. Without a ``[joint]`` set the headline is the target trial's hazard
    ratio (``target_effect_of``), never the trials' mean (``across_trials``), while the
    priors table states each prior on the mean, where it holds.
    """
    import dataclasses

    from test_report_writer import Diag

    from bayes_scot.results import PriorFit, priors_table
    from bayes_scot.stats.estimands import EstimandDraws

    rng = np.random.default_rng(4)
    effect = next(iter(simulated_reanalysis().fits[0].effect_priors.values()))

    def draws(estimand: str, values: np.ndarray, **attrs: object) -> EstimandDraws:
        return EstimandDraws(endpoint="efs", estimand=estimand, label=estimand,
                             draws=values, null=1.0, superior="lower", mcid=0.8,
                             attrs=attrs)

    rows = {
        "hazard_ratio_common": {"target_effect_of": "log_hr"},
        "hazard_ratio_mean": {"parameter": "log_hr", "across_trials": True},
    }
    fit = PriorFit(
        family="survival", prior="reference", diagnostics=Diag(1.0, 900, 0),
        estimands=tuple(draws(k, np.exp(rng.normal(-0.5, 0.3, (2, 400))), **a)
                        for k, a in rows.items()),
        prior_estimands=tuple(draws(k, np.exp(rng.normal(0.0, 1.0, (1, 4000))), **a)
                              for k, a in rows.items()),
        effect_priors={"log_hr": effect},
    )
    base = simulated_reanalysis()
    spec = dataclasses.replace(base.spec, joint=dataclasses.replace(base.spec.joint,
                                                                    estimands=()))
    r = Reanalysis(spec=spec, fits=[fit])
    assert headline_keys(r, r.table()) == [("efs", "hazard_ratio_common")]
    table = priors_table([fit])
    assert table[["estimand", "role"]].to_numpy().tolist() == [["hazard_ratio_mean", "stated"]]


def test_an_imprecise_tipping_point_gives_its_monte_carlo_range_in_the_paragraph() -> None:
    from bayes_scot.report.headline import _tipping

    class Imprecise(WithPriorColumns):
        def tipping_points(self) -> pd.DataFrame:
            return pd.DataFrame({
                "family": ["survival"], "endpoint": ["efs"],
                "estimand": ["survival_difference_54"], "threshold": [0.95],
                "external_weight": [np.nan], "skeptical_sd": [0.45],
                "note": ["sceptical SD: imprecise: within two Monte Carlo SEs P(superior) "
                         "crosses 0.95 anywhere from 0.369 to 0.537; no external evidence"],
                "skeptical_sd_lower": [0.369], "skeptical_sd_upper": [0.537]})

    base = simulated_reanalysis()
    text = _tipping(Imprecise(spec=base.spec, fits=base.fits, provenance=base.provenance),
                    "efs", "survival_difference_54")
    assert "SD 0.45" in text
    assert "(within Monte Carlo error anywhere from 0.369 to 0.537)" in text
