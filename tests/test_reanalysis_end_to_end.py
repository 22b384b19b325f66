"""The default reanalysis end to end, at reduced draws (slow: compiles and samples).

Budget: about 3 minutes on 2 cores. One compilation per model family is shared by every
test through the fitting layer's compile cache; the draws are far too few for the
diagnostics gate (flagged rows are expected), which is what these tests do not check.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import QUICK_REANALYSIS

from bayes_scot.cli import main
from bayes_scot.reanalysis import MODEL_BASED_EVIDENCE, Reanalysis, reanalyse
from bayes_scot.report import REPORT_FILES
from bayes_scot.results import TABLE_COLUMNS

pytestmark = pytest.mark.slow

#: Reduced settings: enough draws for quantiles to exist, few enough to run in CI.
QUICK = QUICK_REANALYSIS


@pytest.fixture(scope="module")
def result(quick_reanalysis: Reanalysis) -> Reanalysis:
    return quick_reanalysis  # fitted once per session at QUICK, shared with the docs' tests


def test_every_family_and_prior_is_in_the_table(result: Reanalysis) -> None:
    table = result.table()
    assert tuple(table.columns) == TABLE_COLUMNS
    assert set(table["family"]) == {f.family for f in result.spec.families}
    assert list(dict.fromkeys(table["prior"])) == ["reference", "skeptical_strong"]
    model_based = table["evidence"] == MODEL_BASED_EVIDENCE
    counts = table[~model_based].groupby("prior").size()
    assert counts["reference"] == counts["skeptical_strong"]
    # the model-based GRCS: from the reference fits only
    assert set(table.loc[model_based, "prior"]) == {"reference"}
    assert set(table.loc[model_based, "family"]) == {"composite"}
    assert table["p_superior"].between(0, 1).all()
    keys = set(zip(table["endpoint"], table["estimand"], strict=True))
    assert ("efs", "survival_difference_54") in keys
    assert ("grcs", "net_benefit_54") in keys
    assert ("grcs", "model_net_benefit_54") in keys
    # The model-based rows show their prior (the same simulation on both fits' prior
    # draws) and what drove them (both fits' likelihood terms at the paired draws).
    rows = table[model_based]
    assert rows["prior_p_superior"].between(0, 1).all()
    assert rows["prior_median"].notna().all()
    assert rows["drivers"].str.len().gt(0).all()
    assert not rows["drivers"].str.contains("borrowing").any()


def test_fits_are_listed_in_the_specification_order(result: Reanalysis) -> None:
    # The survival batch is started and read last (runner._Runner.start_order); the
    # fits, and so every table, keep the specification's order of families.
    families = list(dict.fromkeys(f.family for f in result.fits if not f.route))
    assert families == [f.family for f in result.spec.families]
    assert families[0] == "survival"
    assert list(result.provenance["seconds"])[:len(families)] == families


def test_composite_direct_route_is_exact_and_longitudinal_rows_say_what_drove_them(
    result: Reanalysis,
) -> None:
    from scipy.stats import norm

    from bayes_scot.builders.composite import CompositeModel

    table = result.table().set_index(["endpoint", "estimand", "prior"])
    model = CompositeModel(result.trials["scot"])
    for prior in ("reference", "skeptical_strong"):
        exact = model.closed_form(model.prior_grid()[prior])
        row = table.loc[("grcs", "net_benefit_54", prior)]
        # 2 x 150 quantiles of the exact posterior: P within 1/300 of Phi(m1 / s1).
        assert row["p_superior"] == pytest.approx(norm.cdf(exact.mean / exact.sd),
                                                  abs=1 / 300)
        assert row["median"] == pytest.approx(exact.mean, abs=0.01 * exact.sd)
    assert table.loc[("sf36_mcs", "change_difference_54", "reference"),
                     "evidence"] == "prior only"
    haq = table.loc[("haq_di", "change_difference_54", "reference"), "evidence"]
    assert "at 12 months, weight 0.5; carried to 54 months" in haq


def test_spec_selection_keeps_contrasts_only(result: Reanalysis) -> None:
    survival = result.table().query("family == 'survival'")
    assert not survival["estimand"].str.startswith("survival_hsct").any()


def test_joint_probabilities_label_independence(result: Reanalysis) -> None:
    joint = result.joint_probabilities()
    assert set(joint["event"]) == {"any", "at_least", "all"}
    assert joint["basis"].str.contains("taken as independent").all()
    assert joint["basis"].str.contains("share the patients of scot").all()
    assert (joint["lower_bound"] <= joint["upper_bound"]).all()
    all_rows = joint[joint["event"] == "all"].set_index("prior")["probability"]
    any_rows = joint[joint["event"] == "any"].set_index("prior")["probability"]
    assert (all_rows <= any_rows).all()


def test_prior_beside_posterior_attribution_priors_and_tipping_points(
    result: Reanalysis,
) -> None:
    table = result.table()
    fitted = table[table["evidence"] != MODEL_BASED_EVIDENCE]
    assert fitted["prior_p_superior"].between(0, 1).all()
    # A row whose data widen its posterior beyond its prior has no shares, and says so.
    defined = fitted["share_prior"].notna()
    assert defined.any()
    assert fitted.loc[defined, "share_prior"].between(0, 1).all()
    # (An extrapolated one says first that it rests on the extrapolation.)
    assert fitted.loc[~defined, "drivers"].str.contains("shares not defined").all()
    split = fitted.dropna(subset=["share_trial"])
    shares = split[["share_trial", "share_external", "share_borrowing", "share_prior"]]
    assert shares.sum(axis=1).to_numpy() == pytest.approx(1.0)
    assert (split["drivers"] != "").all()
    for family in ("survival", "longitudinal", "composite"):
        assert "prior" in result.posterior(family).groups()
    priors = result.priors_table()
    assert set(priors["prior"]) == {"reference", "skeptical_strong"}
    assert priors["statement"].str.len().gt(0).all()
    # The statement "5% probability of a benefit beyond the MCID" holds on the estimand
    # it is made on to the quantile grid's 1/(2n), n the fit's number of draws.
    stated = priors[(priors["role"] == "stated") & (priors["prior"] == "skeptical_strong")]
    assert set(stated["family"]) >= {"survival", "longitudinal"}
    sizes = result.posterior("survival").posterior.sizes
    n = sizes["chain"] * sizes["draw"]
    with_mcid = stated.dropna(subset=["prior_p_mcid"])
    assert with_mcid["prior_p_mcid"].to_numpy() == pytest.approx(0.05, abs=0.5 / n)
    assert stated["prior_p_superior"].to_numpy() == pytest.approx(0.5, abs=0.5 / n)
    tipping = result.tipping_points()
    assert len(tipping) == 2 * len(result.spec.joint.estimands)
    assert (tipping["skeptical_sd"].notna() | tipping["note"].ne("")).all()


def test_baseline_means_inform_no_row_of_their_endpoint(result: Reanalysis) -> None:
    # SCOT reports mRSS only at baseline: those terms enter the longitudinal fit but
    # speak to no treatment effect, so the mRSS rows' trial share is exactly zero.
    fit = next(f for f in result.fits if f.family == "longitudinal" and not f.route)
    baseline = [t for t in fit.likelihood_terms
                if t.endpoints == frozenset({"mrss"}) and t.source == "trial"]
    assert baseline
    assert not any(t.informs_effect for t in baseline)
    table = result.table()
    mrss = table[(table["endpoint"] == "mrss") & table["share_trial"].notna()]
    assert len(mrss)
    assert (mrss["share_trial"] == 0.0).all()


def test_os_and_efs_under_each_effect_structure(result: Reanalysis) -> None:
    table = result.structure_sensitivity()
    assert list(dict.fromkeys(table["structure"])) == ["common", "per_transition",
                                                      "independent"]
    assert set(table.loc[table["shipped"], "structure"]) == {"per_transition"}
    keys = set(zip(table["endpoint"], table["estimand"], strict=True))
    assert {("os", "survival_difference_54"), ("efs", "survival_difference_54"),
            ("efs", "hazard_ratio_common")} <= keys
    assert table["p_superior"].between(0, 1).all()
    assert table["prior_p_superior"].between(0, 1).all()
    # The common structure ties OS to EFS's one effect: its prior P(superior) is the
    # named prior's 0.5 on every estimand (reference prior centred on no effect).
    common = table[table["structure"] == "common"]
    assert common["prior_p_superior"].to_numpy() == pytest.approx(0.5, abs=0.06)


def test_model_based_grcs_on_its_thread_equals_one_computed_after_the_fits(
        result: Reanalysis) -> None:
    """The run computes the model-based GRCS on a worker thread while it processes the
    other fits; its draws come from the analysis's seed alone, so computing it again here,
    after every fit, gives the same draws to the bit."""
    import numpy as np

    from bayes_scot.reanalysis.runner import MODEL_BASED_ROUTE, _Runner

    shipped = next(f for f in result.fits if f.route == MODEL_BASED_ROUTE)
    again = _Runner(result.spec, None).model_based_grcs(result.builders, result.fits,
                                                        result.trials)
    assert again is not None
    assert [(e.endpoint, e.estimand) for e in again.estimands] == [
        (e.endpoint, e.estimand) for e in shipped.estimands]
    for a, b in zip(again.estimands, shipped.estimands, strict=True):
        np.testing.assert_array_equal(a.draws, b.draws)
    for a, b in zip(again.prior_estimands, shipped.prior_estimands, strict=True):
        np.testing.assert_array_equal(a.draws, b.draws)


def test_reproduce_and_diagnostics(result: Reanalysis) -> None:
    reproduced = result.reproduce()
    assert {"survival", "composite"} <= set(reproduced["family"])
    assert (reproduced["statistic"] == "percent_favourable_model_based").sum() == 2
    assert reproduced["outside"].dtype == bool
    diagnostics = result.diagnostics()
    assert len(diagnostics) == len(result.fits)
    assert result.provenance["seed"] == result.spec.seed
    assert len(result.provenance["data"]["scot"]["data_hash"]) == 64


def test_curves_and_posterior(result: Reanalysis) -> None:
    curves = result.curves("survival")
    assert set(curves["endpoint"]) == {"efs", "os"}
    assert set(curves["arm"]) == {"hsct", "cyc"}
    assert "log_hr" in result.posterior("survival", "skeptical_strong").posterior


def test_same_spec_and_seed_give_an_identical_table(result: Reanalysis) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*BLAS.*")
        again = reanalyse(progress=False, **QUICK)
    pd.testing.assert_frame_equal(result.table(), again.table())


def test_report_has_the_four_artefacts(result: Reanalysis, tmp_path: Path) -> None:
    out = result.write_report(tmp_path / "report")
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)
    names = {p.stem for p in (out / "figures").glob("*.png")}
    assert {"superiority", "prior_sensitivity", "survival"} <= names
    doc = json.loads((out / "summary.json").read_text())
    assert doc["spec"]["name"] == "scot_itt"
    assert any("72-month" in a for a in doc["assumptions"])
    assert {r["structure"] for r in doc["structure_sensitivity"]} == {
        "common", "per_transition", "independent"}
    assert "Effect structure of the survival model" in (out / "report.md").read_text()
    assert 'id="structure-table"' in (out / "index.html").read_text()
    # Every number each family considered, used or left out and why, in all three files.
    log = {(r["family"], r["entry"]): r for r in doc["evidence_log"]}
    assert log[("survival", "itt_efs_events_48")]["used"]
    left_out = log[("survival", "itt_trd_events_48")]
    assert not left_out["used"]
    assert "same treatment-related deaths" in left_out["note"]
    assert "## Evidence used and left out" in (out / "report.md").read_text()
    # How each family was sampled, as it ran: the composite's posterior is closed-form.
    ran = {r["family"]: r["text"] for r in doc["samplers"]}
    assert ran["survival"].startswith("blackjax, 2 chains")
    assert ran["composite"].startswith("closed-form posterior, no MCMC")
    assert 'id="evidence-table"' in (out / "index.html").read_text()


def test_the_evidence_log_has_one_row_per_entry_and_use(result: Reanalysis) -> None:
    log = result.evidence_log()
    assert list(log.columns) == ["family", "trial", "entry", "used", "term", "note"]
    assert not log.duplicated().any()
    assert set(log["family"]) == {"survival", "longitudinal", "composite"}
    assert log["used"].dtype == bool
    # The per-protocol FVC slopes enter the ITT analysis's longitudinal family.
    fvc = log[(log["family"] == "longitudinal") & (log["entry"] == "pp_fvc_slope")]
    assert fvc["used"].all()


def test_the_slowest_figures_are_drawn_first(result: Reanalysis,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Every name in SLOW_FIGURES is a figure of the default report (a renamed figure
    would quietly lose its place), and they reach the renderer first, in that order."""
    import bayes_scot.report.parallel as parallel
    from bayes_scot.report.figures import SLOW_FIGURES, draw_figures

    seen: dict[str, list[int]] = {}

    def record(draws: list, *, first: list[int] = ()) -> list:
        seen["first"] = list(first)
        return [b"" for _ in draws]

    monkeypatch.setattr(parallel, "render_all", record)
    figures, _ = draw_figures(result)
    names = [f.name for f in figures]
    assert [names[i] for i in seen["first"]] == list(SLOW_FIGURES)


def test_cli_report_writes_the_four_artefacts(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli-report"
    code = main(["report", "--out", str(out), "--draws", "100", "--chains", "2",
                 "--tune", "100", "--priors", "reference", "--no-figures"])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)
    err = capsys.readouterr().err
    assert "bayes-scot: survival [1/1] reference" in err
    assert f"wrote {out}" in err


def test_power_scaling_covers_every_family_likelihood(result: Reanalysis) -> None:
    """Every family's reference fit has a likelihood column, survival term by term."""
    sensitivity = result.power_scaling()
    for family in ("survival", "longitudinal"):
        rows = sensitivity[sensitivity["family"] == family]
        assert len(rows) > 0
        assert rows["likelihood_sensitivity"].notna().all(), family


def test_every_fixed_prior_scale_has_a_sensitivity_row(result: Reanalysis) -> None:
    """The smoothing SDs and hyperprior scales each family fixes, with their values."""
    table = result.constant_sensitivity()
    options = set(zip(table["family"], table["option"], strict=True))
    assert {("survival", "baseline_smoothing_sd"), ("survival", "effect_pooling_scale"),
            ("longitudinal", "trajectory_sd"), ("longitudinal", "control_slope_sd")} <= options
    assert table["sensitivity"].between(0, 1).all()
    values = table.set_index(["family", "option"])["value"]
    assert values.loc[("longitudinal", "trajectory_sd")].iloc[0] == 0.25  # SCOT: 54 months
