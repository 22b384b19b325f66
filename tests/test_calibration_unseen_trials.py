"""Calibration tools on trials the package was not built around (not SCOT).

Every trial here is SIMULATED: the package's template trial (``template.toml``, every
number invented) and a SIMULATED wound-healing trial whose event is wanted
(``better = "lower"``). The operating characteristics are checked against formulas and
posteriors computed here independently of the package.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln
from scipy.stats import norm

import bayes_scot.calibration.api as api
from bayes_scot.calibration import operating_characteristics
from bayes_scot.calibration.design import Design, design_trial
from bayes_scot.calibration.simulate import make_simulator
from bayes_scot.calibration.study import StudyPlan, build_design
from bayes_scot.cli import main
from bayes_scot.errors import SpecError

TEMPLATE = Path(api.__file__).parents[1] / "data" / "template.toml"
EXAMPLES = Path(__file__).parents[1] / "examples" / "one_endpoint"

HEAL_TRIAL = """\
# SIMULATED trial for the calibration tests: every number is invented (not real data).
[trial]
name = "simheal"
title = "SIMULATED wound-healing trial (not real data)"
citation = "SIMULATED; not a publication"
design = "SIMULATED two-arm trial, time to complete healing (a wanted event)."

[arms.dressing]
label = "New dressing (SIMULATED)"
role = "experimental"

[arms.standard]
label = "Standard care (SIMULATED)"
role = "control"

[sources.main]
citation = "SIMULATED publication"

[endpoints.healing]
label = "Complete wound healing"
kind = "time_to_event"
better = "lower"

[populations.itt]
label = "Randomised"
n = { dressing = 50, standard = 45 }
source = { ref = "main", locator = "Table 1", tag = "reported", note = "SIMULATED." }

[[landmark_events]]
id = "healed_3"
endpoint = "healing"
population = "itt"
time_months = 3
events = { dressing = 20, standard = 12 }
n = { dressing = 50, standard = 45 }
source = { ref = "main", locator = "Table 2", tag = "reported", note = "SIMULATED." }

[[landmark_events]]
id = "healed_6"
endpoint = "healing"
population = "itt"
time_months = 6
events = { dressing = 32, standard = 22 }
n = { dressing = 50, standard = 45 }
source = { ref = "main", locator = "Table 2", tag = "reported", note = "SIMULATED." }
"""

HEAL_SPEC = """\
# SIMULATED: one-endpoint survival calibration test (a wanted event)
[analysis]
name = "sim_heal"
seed = 11

[[trials]]
path = "heal_trial.toml"
population = "itt"

[sampler]
draws = 300
tune = 300
chains = 4
backend = "blackjax"

[priors]
grid = ["reference", "skeptical_moderate", "optimistic_moderate"]

[survival]
endpoints = ["healing"]

[survival.options]
hazard_ratio_margin = 1.25
effect_structure = "common"
"""

COMPOSITE_SPEC = """\
# SIMULATED: composite operating characteristics on the template trial
[analysis]
name = "sim_composite"
seed = 7

[[trials]]
path = "template.toml"
population = "itt"

[priors]
grid = ["reference", "skeptical_moderate", "optimistic_moderate", "neutral_strong",
        "pessimistic_weak"]

[composite]
endpoints = ["grcs"]
model_based = false

[composite.options]
time_months = 48.0
"""

EFS_SPEC = """\
# SIMULATED: one-endpoint EFS model of the template trial (whose OS runs to 60 months)
[analysis]
name = "sim_efs"
seed = 3

[[trials]]
path = "template.toml"
population = "itt"

[priors]
grid = ["reference", "skeptical_moderate", "optimistic_moderate"]

[survival]
endpoints = ["efs"]

[survival.options]
model = "piecewise_exponential"
endpoint = "efs"
"""


@pytest.fixture
def heal(tmp_path: Path) -> Path:
    (tmp_path / "heal_trial.toml").write_text(HEAL_TRIAL)
    spec = tmp_path / "heal.toml"
    spec.write_text(HEAL_SPEC)
    return spec


@pytest.fixture
def template(tmp_path: Path) -> Path:
    shutil.copy(TEMPLATE, tmp_path / "template.toml")
    return tmp_path


# -- the composite: closed form against a formula written here -------------------------
def _mine(m0: float, s0: float, se: float, theta: float, q: float, cut: float):
    """P(declare) and E[P(net benefit > cut)] of the normal-normal rule, higher better."""
    v1 = 1.0 / (1.0 / s0**2 + 1.0 / se**2)
    # P(effect > cut | est) = Phi((m1 - cut) / s1) > q  <=>  m1 > cut + s1 z_q, with
    # m1 = v1 (m0 / s0^2 + est / se^2): a threshold on the estimate.
    t = se**2 * ((cut + math.sqrt(v1) * norm.ppf(q)) / v1 - m0 / s0**2)
    declare = norm.sf((t - theta) / se)
    mean_m1, sd_m1 = v1 * (m0 / s0**2 + theta / se**2), v1 / se
    expected = norm.cdf((mean_m1 - cut) / math.sqrt(v1 + sd_m1**2))
    return declare, expected


@pytest.mark.parametrize("threshold", [0.8, 0.95, 0.99])
@pytest.mark.parametrize("sizes", [None, (60, 55)])
def test_composite_oc_is_the_formula_for_another_trial(template: Path, threshold: float,
                                                       sizes) -> None:
    spec = template / "composite.toml"
    spec.write_text(COMPOSITE_SPEC)
    result = operating_characteristics(spec, family="composite", threshold=threshold,
                                       n_per_arm=sizes, mcid=0.1,
                                       effects=(-0.1, 0.0, 0.1, 0.25),
                                       priors=("reference", "skeptical_moderate",
                                               "optimistic_moderate", "neutral_strong",
                                               "pessimistic_weak"))
    table = result.table()
    # The template's GRCS: net benefit 0.28 with two-sided p = 0.03, so SE =
    # 0.28 / z(0.985); at 60 vs 55 it scales with sqrt(1/60 + 1/55) / sqrt(2/40).
    se = 0.28 / norm.ppf(1 - 0.03 / 2)
    if sizes:
        se *= math.sqrt((1 / 60 + 1 / 55) / (2 / 40))
    assert table.attrs["standard_error"] == pytest.approx(se, rel=1e-9)
    priors = table.attrs["priors"]
    assert priors["optimistic_moderate"]["mean"] > 0 > priors["pessimistic_weak"]["mean"]
    for row in table.itertuples():
        p = priors[row.prior]
        for cut, declare, expected in ((0.0, row.p_declare_superior, row.expected_p_superior),
                                       (0.1, row.p_declare_mcid, row.expected_p_mcid)):
            mine = _mine(p["mean"], p["sd"], se, row.net_benefit, threshold, cut)
            # Both are closed forms: they agree to rounding.
            assert declare == pytest.approx(mine[0], abs=1e-12)
            assert expected == pytest.approx(mine[1], abs=1e-12)
    # Monte Carlo of the rule itself (200,000 estimates, seed 1): within 5 binomial SEs
    # (at most 0.0011 each), so a wrong formula cannot pass by chance.
    rng = np.random.default_rng(1)
    for row in table[table.prior == "skeptical_moderate"].itertuples():
        p = priors[row.prior]
        v1 = 1.0 / (1.0 / p["sd"] ** 2 + 1.0 / se**2)
        est = rng.normal(row.net_benefit, se, 200_000)
        post = norm.sf((0.0 - v1 * (p["mean"] / p["sd"] ** 2 + est / se**2)) / math.sqrt(v1))
        assert np.mean(post > threshold) == pytest.approx(row.p_declare_superior, abs=0.0056)


def test_composite_report_states_the_standard_error(template: Path, tmp_path: Path) -> None:
    spec = template / "composite.toml"
    spec.write_text(COMPOSITE_SPEC)
    out = operating_characteristics(spec, family="composite").write_report(tmp_path / "oc")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["method"] == "closed_form"
    assert summary["standard_error"] == pytest.approx(0.28 / norm.ppf(0.985))
    assert set(summary["priors"]) == {"reference", "skeptical_moderate",
                                      "optimistic_moderate"}
    assert "standard error at this design is 0.129" in (out / "report.md").read_text()


# -- the survival design: the trial's control hazard and follow-up ----------------------
def _captured_plan(monkeypatch: pytest.MonkeyPatch, spec: Path, **kwargs) -> StudyPlan:
    """The plan operating_characteristics would run (no fit: the runner is replaced)."""
    seen: list[StudyPlan] = []

    def run(plan, out, **_):
        seen.append(plan)
        return pd.DataFrame()

    monkeypatch.setattr(api, "_run", run)
    operating_characteristics(spec, workers=0, **kwargs)
    return seen[0]


def test_longer_follow_up_keeps_the_trials_control_hazard(
    heal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _captured_plan(monkeypatch, heal, effects=(1.0, 2.0), follow_up_months=12.0,
                          n_per_arm=(80, 70))
    trial_model = build_design(str(heal), "survival", Design())
    # The SIMULATED trial's pooled crude hazard: 54 of 95 healed by 6 months.
    h0 = -math.log(1 - 54 / 95) / 6
    assert math.exp(trial_model.baseline_mean) == pytest.approx(h0)
    assert plan.extra["baseline_hazards"] == pytest.approx([h0])
    assert plan.extra["trial_follow_up_months"] == 6.0
    assert "above 1" in plan.extra["superior"]  # healing is wanted: HR > 1 is benefit
    model = build_design(str(heal), "survival", plan.design)
    assert model.last_datum == 12.0
    assert model.n.tolist() == [80, 70]
    # 4000 SIMULATED trials at HR 2: healed by 6 and 12 months at the trial's hazard, not
    # at the halved one that the moved landmarks' counts would give. Binomial SE of each
    # share is below sqrt(0.25 / (4000 * 70)) = 0.001; 0.01 is ten of them.
    trials = make_simulator(model, "survival").datasets_at_effect(
        2.0, 4000, np.random.default_rng(3), plan.extra)
    first = np.stack([t["simheal_0_landmark_events"] / t["simheal_0_landmark_n"]
                      for t in trials]).mean(axis=0)
    np.testing.assert_allclose(first, 1 - np.exp(-np.array([2.0, 1.0]) * h0 * 6), atol=0.01)


def test_follow_up_moves_the_models_last_time_not_another_endpoints(
    template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The template's EFS count is at 48 months; its OS estimate at 60 months is another
    # endpoint. --follow-up 24 puts the EFS landmark at 24, not at 48 x 24/60 = 19.2.
    spec = template / "efs.toml"
    spec.write_text(EFS_SPEC)
    plan = _captured_plan(monkeypatch, spec, effects=(1.0,), follow_up_months=24.0)
    assert plan.extra["trial_follow_up_months"] == 48.0
    model = build_design(str(spec), "survival", plan.design)
    assert model.last_datum == pytest.approx(24.0)
    assert [t[3]["times"] for t in model.likelihood_terms] == [(0.0, 24.0)]


def test_digitised_curves_follow_the_design(tmp_path: Path) -> None:
    # Rossi et al. (real data, used here only for its layout): curves and a ratio, no
    # time_months. Curve times, risk tables and the ratio's window move and rescale.
    from bayes_scot.data import load_trial

    rossi = load_trial(EXAMPLES / "rossi_1980.toml", population="itt")
    last = max(max(e.times) for e in rossi.entries if hasattr(e, "risk_times"))
    moved = design_trial(rossi, Design((100, 100), 24.0, last))
    for old, new in zip(rossi.entries, moved.entries, strict=True):
        if hasattr(old, "risk_times"):
            assert max(new.times) == pytest.approx(24.0)
            assert new.n_risk[0] == 100
            assert new.total_events <= 100
            assert new.total_events == round(old.total_events * 100 / 216)
        if getattr(old, "window_months", None):
            assert new.window_months[1] == pytest.approx(old.window_months[1] * 24 / last)


# -- bad requests ------------------------------------------------------------------------
def test_bad_api_requests_are_refused_before_any_work(heal: Path) -> None:
    with pytest.raises(SpecError, match="threshold"):
        operating_characteristics(heal, threshold=0.0)  # was silently 0.95
    with pytest.raises(SpecError, match="baseline_hazards"):
        operating_characteristics(heal, baseline_hazards=(-0.1,))
    with pytest.raises(SpecError, match="survival family"):
        operating_characteristics(heal, family="composite", baseline_hazards=(0.1,))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["oc", "--mcid", "0.8"], "above 1 as the endpoint's event is wanted"),
        (["oc", "--hr", "1,1"], "twice"),
        (["oc", "--family", "longitudinal"], "does not run the longitudinal family"),
        (["calibrate", "--draws", "20", "--rank-draws", "99"], "at most the posterior"),
    ],
)
def test_bad_requests_on_a_new_trial_exit_2_with_one_line(
    heal: Path, tmp_path: Path, argv: list[str], message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([argv[0], str(heal), *argv[1:], "--workers", "0",
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


# -- what the reports say -----------------------------------------------------------------
def _oc_rows() -> pd.DataFrame:
    """SIMULATED per-fit rows: 10 trials at each of two hazard ratios, one prior."""
    p = np.r_[np.linspace(0.05, 0.97, 10), np.linspace(0.5, 0.99, 10)]
    return pd.DataFrame({
        "chunk": np.repeat([0, 1], 10), "simulation": np.tile(np.arange(10), 2),
        "p_superior": p, "p_mcid": p / 2, "passed": [True] * 15 + [False] * 5,
        "rhat_max": 1.0, "ess_bulk_min": 500.0, "divergences": 0,
        "scenario": np.repeat([0, 1], 10), "effect": np.repeat([1.0, 0.5], 10),
        "prior": "reference", "sampling_seconds": 1.0, "postprocessing_seconds": 0.001,
    })


def _plan(**kwargs) -> StudyPlan:
    return StudyPlan(spec="simulated.toml", family="survival", mode="oc", simulations=10,
                     chunk_size=10, seed=1, settings={"chains": 4, "tune": 200, "draws": 200},
                     priors=("reference",), effects=(1.0, 0.5), threshold=0.95,
                     extra={"effect_column": "hazard_ratio", "mcid": math.log(0.8),
                            "mcid_hazard_ratio": 0.8}, **kwargs)


def test_oc_table_and_report_give_monte_carlo_standard_errors(tmp_path: Path) -> None:
    rows = _oc_rows()
    result = api.OperatingCharacteristics(_plan(), rows)
    table = result.table().set_index("hazard_ratio")
    for effect, group in rows.groupby("effect"):
        n = len(group)
        share = float(np.mean(group.p_superior > 0.95))
        assert table.loc[effect, "p_declare_superior"] == share
        assert table.loc[effect, "p_declare_superior_mcse"] == pytest.approx(
            math.sqrt(share * (1 - share) / n))
        assert table.loc[effect, "expected_p_superior_mcse"] == pytest.approx(
            group.p_superior.std(ddof=1) / math.sqrt(n))
        assert table.loc[effect, "expected_p_mcid_mcse"] == pytest.approx(
            group.p_mcid.std(ddof=1) / math.sqrt(n))
    assert table["failed_gate"].tolist() == [0, 5]  # counted, not dropped
    out = result.write_report(tmp_path / "oc")
    text = (out / "report.md").read_text()
    assert "All data in this report are simulated" in text
    assert "seed 1" in text
    assert "_mcse" in text
    assert "3/trials" in text
    assert "MCID 0.8" in text
    summary = json.loads((out / "summary.json").read_text())
    assert "p_declare_superior_mcse" in summary["operating_characteristics"][0]


def test_sbc_report_states_the_bands_level_and_its_power(tmp_path: Path) -> None:
    from bayes_scot.calibration.sbc import uniformity

    rng = np.random.default_rng(5)
    ranks = {q: rng.integers(0, 100, 20) for q in ("log_hr", "survival_difference_6")}
    rows = pd.DataFrame({"chunk": 0, "passed": [True] * 12 + [False] * 8, "rhat_max": 1.0,
                         "ess_bulk_min": 500.0, "divergences": 0, "sampling_seconds": 1.0,
                         "postprocessing_seconds": 0.001,
                         **{f"{q}_rank": r for q, r in ranks.items()}})
    results = [uniformity(r, 99, quantity=q) for q, r in ranks.items()]
    plan = StudyPlan(spec="simulated.toml", family="survival", mode="sbc", simulations=20,
                     chunk_size=20, seed=2, settings={"chains": 4, "tune": 200, "draws": 200})
    out = api.Calibration(plan, rows, results).write_report(tmp_path / "sbc")
    text = (out / "report.md").read_text()
    assert "simultaneous 95% band" in text
    assert "with 2 quantities up to 10%" in text  # 1 - 0.95^2
    assert "Only 20 ranks per quantity" in text
    assert "8 of 20 fits failed" in text
    assert "not dropped" in text
    assert "All data in this report are simulated" in text


# -- fits (MCMC) ----------------------------------------------------------------------------
def _grid_p_superior(trial: dict, model, prior_mean: float, prior_sd: float) -> float:
    """P(log HR > 0) of the common-effect one-endpoint model by quadrature (SIMULATED data).

    Parameters on the grid: the control log hazards of the two intervals and the log
    hazard ratio, with the model's priors (level N(m, 1.5), random-walk step N(0, 0.4)).
    The log HR grid is offset by half a step so that no point sits on 0.
    """
    m = float(model.baseline_mean)
    a = m + np.linspace(-2.5, 2.5, 101)
    b = m + np.linspace(-2.5, 2.5, 101)
    g = np.linspace(-2.5, 3.0, 221) + 0.0125
    A, B, G = np.meshgrid(a, b, g, indexing="ij")

    def binom(k, n, p):
        p = np.clip(p, 1e-300, 1 - 1e-16)
        return (gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
                + k * np.log(p) + (n - k) * np.log1p(-p))

    lp = (norm.logpdf(A, m, 1.5) + norm.logpdf(B - A, 0, 0.4)
          + norm.logpdf(G, prior_mean, prior_sd))
    for arm, shift in ((0, G), (1, 0.0)):
        lp = lp + binom(trial["simheal_0_landmark_events"][arm],
                        trial["simheal_0_landmark_n"][arm], 1 - np.exp(-np.exp(A + shift) * 3))
        lp = lp + binom(trial["simheal_1_landmark_events"][arm],
                        trial["simheal_1_landmark_n"][arm], 1 - np.exp(-np.exp(B + shift) * 3))
    w = np.exp(lp - lp.max())
    return float(w[G > 0].sum() / w.sum())


@pytest.mark.slow
def test_one_endpoint_oc_matches_an_independent_posterior(heal: Path, tmp_path: Path) -> None:
    """30 SIMULATED trials at HR 1 and 1.6, fitted under two priors (about 30 s)."""
    from bayes_scot.calibration.study import _chunk_seed, context

    result = operating_characteristics(heal, effects=(1.0, 1.6), simulations=30,
                                       priors=("reference", "skeptical_moderate"),
                                       draws=300, tune=300, workers=0, out=tmp_path / "oc")
    plan, rows = result.plan, result.rows
    ctx = context(plan)
    mine = []
    for index, scenario, size in plan.chunks:
        data = ctx.simulator.datasets_at_effect(
            plan.effects[scenario], size, np.random.default_rng(_chunk_seed(plan, index)),
            plan.extra)
        for prior in plan.priors:
            values = ctx.builder.prior_data(ctx.grid[prior])
            for s, trial in enumerate(data):
                mine.append({"chunk": index, "simulation": s, "prior": prior,
                             "mine": _grid_p_superior(trial, ctx.builder,
                                                      float(values["log_hr_prior_mean"]),
                                                      float(values["log_hr_prior_sd"]))})
    both = rows.merge(pd.DataFrame(mine), on=["chunk", "simulation", "prior"])
    assert len(both) == 120
    diff = both.p_superior - both.mine
    # 1200 draws per fit: the MCMC SE of one P is about sqrt(0.25 / ESS) <= 0.03 at an
    # ESS of 300; the mean over 120 fits has an SE below 0.003, so 0.01 allows for a
    # few fits with a poor ESS but not for a shifted posterior (a wrong direction, a
    # wrong hazard, or a likelihood read differently moves it by 0.1 or more).
    assert abs(diff.mean()) < 0.01
    assert diff.abs().max() < 0.1
    # Direction: healing is wanted, HR 1.6 is a benefit, so P(superior) rises with it.
    table = result.table().set_index(["prior", "hazard_ratio"])
    assert table.loc[("reference", 1.6), "expected_p_superior"] > 0.8
    # At HR 1 under the symmetric priors the mean P(superior) is near 0.5 (MCSE about
    # 0.05 with 30 trials; 4 MCSE allowed).
    for prior in plan.priors:
        row = table.loc[(prior, 1.0)]
        assert abs(row.expected_p_superior - 0.5) < 4 * row.expected_p_superior_mcse + 0.02


@pytest.mark.slow
@pytest.mark.parametrize("endpoints", [["efs"], ["efs", "os"]])
def test_sbc_runs_on_the_template_trial(template: Path, tmp_path: Path,
                                        endpoints: list[str]) -> None:
    """8 SIMULATED trials of the template (one-endpoint and illness-death models)."""
    from bayes_scot.calibration import calibrate

    spec = template / "sbc.toml"
    text = EFS_SPEC if endpoints == ["efs"] else EFS_SPEC.split("[survival]")[0] + (
        '[survival]\nendpoints = ["efs", "os"]\n\n[survival.sampler]\nmax_treedepth = 5\n')
    spec.write_text(text)
    result = calibrate(spec, simulations=8, draws=200, tune=200, workers=0,
                       out=tmp_path / "sbc")
    assert result.gate["fits"] == 8  # every fit counted, passed or not
    names = set(result.table()["quantity"])
    assert "log_hr" in names
    assert any(n.endswith("_difference_48") for n in names)
    assert (result.table()["n"] == 8).all()
    out = result.write_report(tmp_path / "sbc")
    assert "Only 8 ranks per quantity" in (out / "report.md").read_text()
