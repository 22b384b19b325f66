"""Closed-form and win-statistics tools checked by hand on inputs that are not SCOT's.

Every number here is either an invented reported effect (described as such) or SIMULATED
patient data; none is a published result. The reference values are computed in the
tests themselves, from the formulas of the methods notes, independently of the package's
code paths: the normal-normal update on the log scale (or the identity scale for a mean
difference), the tail statements that define the named priors, a brute-force double loop
over pairs, the Hanley-McNeil variance, and the conjugate normal posterior of a
published pairwise summary.

Tolerances: where the package and the hand calculation evaluate the same closed form,
they differ only by floating-point rounding, so ``1e-12`` (absolute, on quantities of
order 1) is used; counts of pairs are integers and must be equal; Monte Carlo checks
state their own tolerance beside the assertion.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import bayes_scot as bs
from bayes_scot.builders.composite import CompositeModel, CompositeOptions
from bayes_scot.cli import main
from bayes_scot.stats.normal_normal import reanalyse_effect
from bayes_scot.stats.priors import DEFAULT_GRID_NAMES
from bayes_scot.stats.win import (
    direct_estimands,
    hanley_mcneil_se,
    win_statistics_draws,
)

EXACT = 1e-12
"""Same closed form, different code: rounding only."""

STRENGTH_TAIL = {"strong": 0.05, "moderate": 0.15, "weak": 0.30}
NEUTRAL_HALF_WIDTH = {"strong": math.log(1.5), "moderate": math.log(2.0),
                      "weak": math.log(4.0)}


# -- hand calculations ---------------------------------------------------------------------


def _hand_grid(design: float, threshold: float, reference_sd: float,
               neutral: dict[str, float]) -> dict[str, tuple[float, float]]:
    """The named grid from its statements, on the working scale (signed design, threshold)."""
    z975 = norm.ppf(0.975)
    grid = {"reference": (0.0, reference_sd)}
    for s, p in STRENGTH_TAIL.items():
        grid[f"neutral_{s}"] = (0.0, neutral[s] / z975)
        grid[f"skeptical_{s}"] = (0.0, abs(threshold) / norm.ppf(1 - p))
        grid[f"optimistic_{s}"] = (design, abs(design) / norm.ppf(1 - p))
        grid[f"pessimistic_{s}"] = (-design, abs(design) / norm.ppf(1 - p))
    return grid


def _hand_posterior(theta: float, se: float, m0: float, s0: float, *, benefit: str,
                    threshold: float | None, ratio: bool) -> dict[str, float]:
    precision = 1 / s0**2 + 1 / se**2
    s1 = precision**-0.5
    m1 = (m0 / s0**2 + theta / se**2) / precision
    z = norm.ppf(0.975)
    back = math.exp if ratio else (lambda x: x)
    low = norm.cdf(-m1 / s1)  # P(theta < 0)
    p_benefit = low if benefit == "lower" else 1 - low
    if threshold is None:
        p_mcid = math.nan
    elif benefit == "lower":
        p_mcid = norm.cdf((threshold - m1) / s1)
    else:
        p_mcid = norm.sf((threshold - m1) / s1)
    return {"median": back(m1), "lower": back(m1 - z * s1), "upper": back(m1 + z * s1),
            "p_benefit": p_benefit, "p_mcid": p_mcid, "p_harm": 1 - p_benefit,
            "posterior_mean": m1, "posterior_sd": s1, "prior_mean": m0, "prior_sd": s0}


def _assert_table(table: pd.DataFrame, theta: float, se: float,
                  grid: dict[str, tuple[float, float]], *, benefit: str,
                  threshold: float | None, ratio: bool) -> None:
    assert list(table["prior"]) == list(DEFAULT_GRID_NAMES)
    assert table.attrs["estimate"] == pytest.approx(theta, abs=EXACT)
    assert table.attrs["se"] == pytest.approx(se, rel=EXACT)
    for _, row in table.iterrows():
        m0, s0 = grid[row["prior"]]
        expected = _hand_posterior(theta, se, m0, s0, benefit=benefit,
                                   threshold=threshold, ratio=ratio)
        for column, value in expected.items():
            if math.isnan(value):
                assert math.isnan(row[column]), (row["prior"], column)
            else:
                assert row[column] == pytest.approx(value, abs=EXACT, rel=EXACT), (
                    row["prior"], column)


# -- reanalyse_effect ----------------------------------------------------------------------


def test_hazard_ratio_with_a_ci_under_the_whole_grid() -> None:
    # An invented HR 0.72 (95% CI 0.55 to 0.94), MCID 0.85; HR < 1 is benefit.
    table = reanalyse_effect(0.72, 0.55, 0.94, measure="HR", mcid=0.85)
    se = (math.log(0.94) - math.log(0.55)) / (2 * norm.ppf(0.975))
    grid = _hand_grid(math.log(2 / 3), math.log(0.85), 10.0, NEUTRAL_HALF_WIDTH)
    _assert_table(table, math.log(0.72), se, grid, benefit="lower",
                  threshold=math.log(0.85), ratio=True)


def test_ratio_where_higher_is_better_and_a_90_percent_interval() -> None:
    # An invented response-rate ratio 1.35 (90% CI 1.08 to 1.70): RR > 1 is benefit. The
    # default design effect is then 1.5 (the reciprocal of 2/3); the MCID 1.2.
    table = reanalyse_effect(1.35, 1.08, 1.70, measure="RR", level=0.90, benefit="higher",
                             mcid=1.2)
    se = (math.log(1.70) - math.log(1.08)) / (2 * norm.ppf(0.95))
    grid = _hand_grid(math.log(1.5), math.log(1.2), 10.0, NEUTRAL_HALF_WIDTH)
    _assert_table(table, math.log(1.35), se, grid, benefit="higher",
                  threshold=math.log(1.2), ratio=True)
    # The posterior intervals stay at the package's credible level, not the CI's.
    assert table.attrs["credible_level"] == 0.95


def test_asymmetric_interval_takes_its_width_and_the_estimate_as_centre() -> None:
    # OR 2.2 (1.1 to 5.8): the interval's geometric centre is 2.53, not 2.2.
    table = reanalyse_effect(2.2, 1.1, 5.8, measure="OR", benefit="higher", mcid=1.5)
    se = (math.log(5.8) - math.log(1.1)) / (2 * norm.ppf(0.975))
    grid = _hand_grid(math.log(1.5), math.log(1.5), 10.0, NEUTRAL_HALF_WIDTH)
    _assert_table(table, math.log(2.2), se, grid, benefit="higher",
                  threshold=math.log(1.5), ratio=True)


def test_mean_difference_where_lower_is_better_from_a_p_value() -> None:
    # An invented MD -4.2 (P = 0.031), lower better, MCID 2.5, design effect 5: the grid
    # is on the identity scale, design -5, reference SD 10 x 5, neutral 2.5, 5, 10.
    table = reanalyse_effect(-4.2, measure="MD", p_value=0.031, benefit="lower", mcid=2.5,
                             design_effect=5.0)
    se = 4.2 / norm.ppf(1 - 0.031 / 2)
    grid = _hand_grid(-5.0, -2.5, 50.0, {"strong": 2.5, "moderate": 5.0, "weak": 10.0})
    _assert_table(table, -4.2, se, grid, benefit="lower", threshold=-2.5, ratio=False)
    assert table.attrs["se_source"] == "p_value"


def test_se_from_the_interval_and_from_the_p_value_agree_on_a_wald_result() -> None:
    # A Wald result built exactly: log HR -0.4, SE 0.15; its 95% CI and its p-value.
    theta, se = -0.4, 0.15
    z = norm.ppf(0.975)
    lower, upper = math.exp(theta - z * se), math.exp(theta + z * se)
    p = 2 * norm.sf(abs(theta) / se)
    from_ci = reanalyse_effect(math.exp(theta), lower, upper, mcid=0.8)
    from_p = reanalyse_effect(math.exp(theta), p_value=p, mcid=0.8)
    assert from_ci.attrs["se"] == pytest.approx(se, rel=EXACT)
    assert from_p.attrs["se"] == pytest.approx(se, rel=1e-9)  # through ndtri and back
    for column in ("median", "lower", "upper", "p_benefit", "p_mcid"):
        np.testing.assert_allclose(from_p[column], from_ci[column], rtol=1e-8)


@pytest.mark.parametrize(("benefit", "mcid", "design"), [("lower", 0.85, 2 / 3),
                                                         ("higher", 1.25, 1.5)])
def test_every_named_prior_reproduces_its_statement(benefit, mcid, design) -> None:
    table = reanalyse_effect(1.0, 0.8, 1.25, measure="OR", benefit=benefit, mcid=mcid)
    beyond = (lambda m, s, c: norm.cdf((c - m) / s)) if benefit == "lower" else (
        lambda m, s, c: norm.sf((c - m) / s))
    # P(harm): theta on the other side of 0 from the benefit.
    wrong = (lambda m, s: norm.cdf(m / s)) if benefit == "lower" else (
        lambda m, s: norm.sf(m / s))
    for _, row in table.iterrows():
        m, s = row["prior_mean"], row["prior_sd"]
        family, _, strength = row["prior"].partition("_")
        if family == "neutral":
            h = NEUTRAL_HALF_WIDTH[strength]
            assert norm.cdf(h / s) - norm.cdf(-h / s) == pytest.approx(0.95, abs=EXACT)
            assert f"between {math.exp(-h):.3g} and {math.exp(h):.3g}" in row["statement"]
        elif family == "skeptical":
            assert m == 0.0
            tail = beyond(m, s, math.log(mcid))
            assert tail == pytest.approx(STRENGTH_TAIL[strength], abs=EXACT)
            assert f"OR {'<' if benefit == 'lower' else '>'} {mcid:.3g}" in row["statement"]
        elif family == "optimistic":
            assert m == pytest.approx(math.log(design), abs=EXACT)
            assert wrong(m, s) == pytest.approx(STRENGTH_TAIL[strength], abs=EXACT)
        elif family == "pessimistic":
            assert m == pytest.approx(-math.log(design), abs=EXACT)
            assert 1 - wrong(m, s) == pytest.approx(STRENGTH_TAIL[strength], abs=EXACT)
        if family in ("skeptical", "optimistic", "pessimistic"):
            assert f"{100 * STRENGTH_TAIL[strength]:.3g}% probability" in row["statement"]


def test_extreme_but_valid_inputs_stay_finite() -> None:
    # HR 1e-30 (log -69) and an OR of 50 with a narrow interval: every number finite.
    tiny = reanalyse_effect(1e-30, 1e-31, 1e-29, measure="HR")
    large = reanalyse_effect(50.0, 40.0, 60.0, measure="OR", benefit="higher", mcid=1.1)
    for table in (tiny, large):
        values = table[["median", "lower", "upper", "p_benefit", "p_harm"]].to_numpy()
        assert np.isfinite(values).all()
        assert (values[:, 0] > 0).all()


def test_cli_json_and_csv_carry_the_hand_numbers(capsys) -> None:
    argv = ["effect", "--rr", "1.35", "--lower", "1.08", "--upper", "1.70", "--level", "0.9",
            "--benefit", "higher", "--mcid", "1.2"]
    assert main([*argv, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    se = (math.log(1.70) - math.log(1.08)) / (2 * norm.ppf(0.95))
    assert payload["likelihood"]["se"] == pytest.approx(se, rel=EXACT)
    assert payload["likelihood"]["benefit"] == "higher"
    grid = _hand_grid(math.log(1.5), math.log(1.2), 10.0, NEUTRAL_HALF_WIDTH)
    for row in payload["priors"]:
        expected = _hand_posterior(math.log(1.35), se, *grid[row["prior"]], benefit="higher",
                                   threshold=math.log(1.2), ratio=True)
        for column in ("median", "lower", "upper", "p_benefit", "p_mcid", "p_harm"):
            assert row[column] == pytest.approx(expected[column], abs=EXACT, rel=EXACT)
    assert main([*argv, "--format", "csv"]) == 0
    csv = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(csv["prior"]) == [row["prior"] for row in payload["priors"]]
    np.testing.assert_allclose(csv["p_mcid"], [row["p_mcid"] for row in payload["priors"]],
                               rtol=1e-12)  # CSV writes repr-precision floats


# -- win statistics against a brute-force double loop --------------------------------------


def _brute_force(x: np.ndarray, y: np.ndarray, hierarchy) -> tuple[np.ndarray, np.ndarray]:
    wins = np.zeros(len(hierarchy))
    losses = np.zeros(len(hierarchy))
    for a in x:
        for b in y:
            for k, (_, better, margin) in enumerate(hierarchy):
                d = a[k] - b[k] if better == "higher" else b[k] - a[k]
                if d > margin:  # NaN compares False both ways: a tie at this level
                    wins[k] += 1
                    break
                if -d > margin:
                    losses[k] += 1
                    break
    return wins, losses


def test_win_statistics_equal_a_brute_force_loop_on_simulated_hierarchies() -> None:
    # SIMULATED arms of unequal sizes, 1 to 4 levels of three kinds (few categories:
    # many ties; one-decimal normals with margins; event times capped at a horizon),
    # 15% missing values, either direction.
    rng = np.random.default_rng(20240601)
    for _ in range(25):
        n_e, n_c = rng.integers(1, 30, size=2)
        n_levels = int(rng.integers(1, 5))
        hierarchy, x_cols, y_cols = [], [], []
        for k in range(n_levels):
            kind = rng.integers(0, 3)
            better = "higher" if rng.random() < 0.5 else "lower"
            margin = float(rng.choice([0.0, 0.1, 0.3, 1.0]))
            hierarchy.append((f"l{k}", better, margin))
            for n, shift, cols in ((n_e, 0.3, x_cols), (n_c, 0.0, y_cols)):
                if kind == 0:
                    v = rng.integers(0, 4, n).astype(float)
                elif kind == 1:
                    v = np.round(rng.normal(shift, 1.0, n), 1)
                else:
                    v = np.minimum(np.round(rng.exponential(30 + 10 * shift, n)), 24.0)
                v[rng.random(n) < 0.15] = np.nan
                cols.append(v)
        x, y = np.column_stack(x_cols), np.column_stack(y_cols)
        names = [h[0] for h in hierarchy]
        result = bs.win_statistics(pd.DataFrame(x, columns=names),
                                   pd.DataFrame(y, columns=names), hierarchy)
        wins, losses = _brute_force(x, y, hierarchy)
        np.testing.assert_array_equal(result.wins, wins)
        np.testing.assert_array_equal(result.losses, losses)
        pairs = n_e * n_c
        p_w, p_l = wins.sum() / pairs, losses.sum() / pairs
        p_t = 1 - p_w - p_l
        assert result.p_tie == pytest.approx(p_t, abs=EXACT)
        assert result.net_benefit == pytest.approx(p_w - p_l, abs=EXACT)
        assert result.win_probability == pytest.approx(p_w + p_t / 2, abs=EXACT)
        if p_l + p_t / 2 > 0:
            assert result.win_odds == pytest.approx((p_w + p_t / 2) / (p_l + p_t / 2),
                                                    rel=EXACT)
        if p_l > 0:
            assert result.win_ratio == pytest.approx(p_w / p_l, rel=EXACT)


def test_hanley_mcneil_pairs_each_q_with_the_right_arm() -> None:
    # SIMULATED exponential scores, for which Hanley and McNeil's Q1 = A/(2-A) and
    # Q2 = 2A^2/(1+A) are exact, so their variance is the U-statistic's exact variance.
    # Very unequal arms tell Q1 (pairs sharing a control, n_E - 1 of them) from Q2: with
    # the arms' counts swapped the SE is 16-20% off. Tolerance 5%: the SD of 6000
    # simulated win probabilities has a Monte Carlo relative SE of about 1-1.5% here
    # (1/sqrt(2 x 6000) = 0.9% for normal draws, more for these skewed ones).
    rng = np.random.default_rng(7)
    for n_e, n_c, a in ((8, 40, 0.7), (40, 8, 0.7)):
        rate = a / (1 - a)  # P(Exp(1) > Exp(rate)) = rate / (1 + rate) = a
        x = rng.exponential(1.0, (6000, n_e, 1))
        y = rng.exponential(1.0 / rate, (6000, n_c, 1))
        simulated = np.std(win_statistics_draws(x, y, [("s", "higher", 0.0)]).win_probability,
                           ddof=1)
        assert hanley_mcneil_se(a, n_e, n_c) == pytest.approx(simulated, rel=0.05)
        q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
        swapped = math.sqrt((a * (1 - a) + (n_c - 1) * (q1 - a * a) + (n_e - 1) * (q2 - a * a))
                            / (n_e * n_c))
        assert abs(swapped / simulated - 1) > 0.10


# -- the composite family's direct route on a declared composite endpoint ------------------

_TRIAL = """
# SIMULATED trial for tests: every number is invented, none is published.
[trial]
name = "{name}"
title = "SIMULATED trial with a hierarchical composite (tests; not real data)"
citation = "SIMULATED; not a publication"
registration = "none"
design = "SIMULATED two-arm trial."

[arms.drug]
label = "Drug (simulated)"
role = "experimental"

[arms.placebo]
label = "Placebo (simulated)"
role = "control"

[sources.main]
citation = "SIMULATED main publication (not real)"

[endpoints.hf_composite]
label = "Death, HF hospitalisation, KCCQ (hierarchical composite)"
kind = "composite"
better = "higher"

[populations.itt]
label = "Intention to treat"
n = {{ drug = {n_e}, placebo = {n_c} }}
definition = "All randomised (SIMULATED)."
source = {{ ref = "main", locator = "Table 1", tag = "reported" }}

[[pairwise]]
id = "sim_composite_12"
endpoint = "hf_composite"
population = "itt"
time_months = 12
percent_favourable = {{ drug = {p_e}, placebo = {p_c} }}
n = {{ drug = {n_e}, placebo = {n_c} }}
p_value = {p}
source = {{ ref = "main", locator = "Table 2", tag = "reported", note = "SIMULATED." }}
"""


def _composite(tmp_path: Path, name: str, *, n_e: int, n_c: int, p_e: float, p_c: float,
               p: float, **options) -> CompositeModel:
    path = tmp_path / f"{name}.toml"
    path.write_text(_TRIAL.format(name=name, n_e=n_e, n_c=n_c, p_e=p_e, p_c=p_c, p=p))
    trial = bs.load_trial(path, population="itt")
    return CompositeModel(trial, options=CompositeOptions(time_months=12,
                                                          endpoint="hf_composite", **options))


@pytest.mark.parametrize("scale", ["net_benefit", "log_win_odds"])
@pytest.mark.parametrize("se_method", ["p_value", "hanley_mcneil"])
def test_direct_route_is_the_conjugate_normal_answer(tmp_path, scale, se_method) -> None:
    # 44% of pairs favour the drug, 35% placebo, 21% tied; 150 vs 140; P = 0.17.
    model = _composite(tmp_path, "sim_hf", n_e=150, n_c=140, p_e=44.0, p_c=35.0, p=0.17,
                       scale=scale, se_method=se_method)
    tie = 0.21
    a = 0.44 + tie / 2
    theta = 2 * a - 1 if scale == "net_benefit" else math.log(a / (1 - a))
    if se_method == "p_value":
        se = abs(theta) / norm.isf(0.17 / 2)
    else:
        q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
        se_a = math.sqrt((a * (1 - a) + 149 * (q1 - a * a) + 139 * (q2 - a * a)) / (150 * 140))
        se = 2 * se_a if scale == "net_benefit" else se_a / (a * (1 - a))
    assert model.observation.estimate == pytest.approx(theta, abs=EXACT)
    assert model.observation.se == pytest.approx(se, rel=EXACT)
    assert model.observation.p_tie == pytest.approx(tie, abs=EXACT)

    design = 0.2 if scale == "net_benefit" else math.log(1.5)
    reference = 0.5 if scale == "net_benefit" else 1.0
    grid = _hand_grid(design, design, reference,
                      {"strong": design / 2, "moderate": design, "weak": 2 * design})
    priors = model.prior_grid()
    table = model.closed_form_table()
    for name, prior in priors.items():
        m0, s0 = grid[name]
        assert (prior.mean, prior.sd) == pytest.approx((m0, s0), abs=EXACT)
        precision = 1 / s0**2 + 1 / se**2
        m1 = (m0 / s0**2 + theta / se**2) / precision
        s1 = precision**-0.5
        q = norm.ppf([0.5, 0.025, 0.975], m1, s1)
        win_p = (1 + q) / 2 if scale == "net_benefit" else 1 / (1 + np.exp(-q))
        expected = {"net_benefit": 2 * win_p - 1, "win_probability": win_p,
                    "win_odds": win_p / (1 - win_p),
                    "win_ratio": (win_p - tie / 2) / (1 - win_p - tie / 2)}
        rows = table[table["prior"] == name].set_index("estimand")
        for estimand, values in expected.items():
            got = rows.loc[estimand, ["median", "lower", "upper"]].to_numpy(dtype=float)
            np.testing.assert_allclose(got, values, rtol=1e-10, atol=EXACT)
            assert rows.loc[estimand, "p_superior"] == pytest.approx(norm.cdf(m1 / s1),
                                                                    abs=EXACT)


def test_ratios_keep_the_probability_of_superiority_beyond_the_net_benefit_range(
        tmp_path) -> None:
    # Regression: a small SIMULATED trial with a large effect (85% vs 10%, 20 vs 20,
    # P = 0.0001) puts 2.7% of the reference posterior of the net benefit beyond 1. The
    # win odds and win ratio were NaN there, so their posterior medians were NaN and
    # P(win odds > 1) was 0.973 against P(net benefit > 0) = 0.99975 for the same event.
    model = _composite(tmp_path, "sim_big", n_e=20, n_c=20, p_e=85.0, p_c=10.0, p=0.0001)
    reference = model.prior_grid()["reference"]
    posterior = model.closed_form(reference)
    assert norm.sf((1 - posterior.mean) / posterior.sd) > 0.025  # the upper limit is beyond
    rows = model.closed_form_table({"reference": reference}).set_index("estimand")
    assert rows.loc["win_odds", "upper"] == math.inf
    assert rows.loc["win_ratio", "upper"] == math.inf
    assert np.isfinite(rows.loc["win_odds", ["median", "lower"]].to_numpy(dtype=float)).all()

    idata = model.exact_sampler().sample(model.prior_data(reference), seed=3)
    estimands = {e.estimand.rsplit("_", 1)[0]: e for e in model.estimands(idata)}
    p_nb = estimands["net_benefit"].p_superior()
    # The draws are quantiles at (i + 1/2)/N: P(theta > 0) within 1/N = 0.00025.
    assert p_nb == pytest.approx(posterior.p_superior(), abs=1 / 4000)
    for name in ("win_probability", "win_odds", "win_ratio"):
        assert estimands[name].p_superior() == p_nb
        assert estimands[name].p_harm() == estimands["net_benefit"].p_harm()
        assert np.isfinite(np.median(estimands[name].draws))


def test_prior_draws_give_the_same_prior_probability_on_every_scale(tmp_path) -> None:
    # The reference prior N(0, 0.5^2) on the net benefit has 4.6% of its mass beyond +-1;
    # P(win odds > 1) must still equal P(net benefit > 0) among the prior's draws.
    model = _composite(tmp_path, "sim_hf2", n_e=150, n_c=140, p_e=44.0, p_c=35.0, p=0.17)
    rng = np.random.default_rng(11)
    theta = rng.normal(0.0, 0.5, size=(4, 1000))
    values = direct_estimands(theta, scale="net_benefit", p_tie=model.observation.p_tie,
                              beyond="limit")
    above = theta > 0
    np.testing.assert_array_equal(values["win_odds"] > 1, above)
    np.testing.assert_array_equal(values["win_ratio"] > 1, above)
    assert not np.isnan(values["win_odds"]).any()
    assert not np.isnan(values["win_ratio"]).any()


@pytest.mark.parametrize("scale", ["net_benefit", "log_win_odds"])
def test_limit_transforms_are_non_decreasing_on_the_whole_line(scale) -> None:
    theta = np.linspace(-4.0, 4.0, 2001) if scale == "net_benefit" else np.linspace(
        -60.0, 60.0, 2001)
    values = direct_estimands(theta, scale=scale, p_tie=0.3, beyond="limit")
    for name, v in values.items():
        assert not np.isnan(v).any(), name
        assert (v[1:] >= v[:-1]).all(), name  # no np.diff: inf - inf is NaN
    # The default keeps NaN where a ratio has no meaning (documented behaviour).
    assert np.isnan(direct_estimands(np.array([1.2]), scale="net_benefit")["win_odds"][0])
