"""The longitudinal model on trials it was not built around, as an outside user writes them.

Every trial here is SIMULATED: patient-level data drawn with NumPy from a fixed seed
(:func:`simulated_spine_trial`), reduced to what a paper prints, and written as a trial
file in a temporary folder. The endpoint is a disability index on which lower is better,
with arms of unequal size and visits at 3 and 6 months only; its values are nothing
like SCOT's.

Two regressions are guarded:

* a paper that prints only the randomised between-arm mean difference at a visit, with
  its confidence interval (an ``effect_estimates`` entry of the trial itself with
  ``design = "randomised"``), informs the treatment effect as the trial's own data; it
  used to be dropped without a word, so the endpoint was shown as "prior only";
* the between-patient SD that standardises an endpoint whose baseline SD is printed per
  arm pools the arms, instead of taking whichever arm the file lists first.

The fast tests build models only; the MCMC test (``slow``) compares a reanalysis with
the closed-form normal-normal posterior.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy.special import ndtr, ndtri

from bayes_scot.builders.longitudinal import LongitudinalModel, LongitudinalOptions
from bayes_scot.data import load_trial

SEED = 20260101
Z = float(ndtri(0.975))
MCID = 10.0  # points of the SIMULATED disability index


def simulated_spine_trial(seed: int = SEED) -> dict[str, float]:
    """Simulate a two-arm trial of a disability index (lower is better) and analyse it.

    SIMULATED: 70 surgery and 50 rehabilitation patients, baseline N(45, 15^2), change
    at 6 months -8 points under rehabilitation and a further -12 under surgery, within
    patient correlation 0.6. Returns the ANCOVA estimate of the 6-month difference
    (surgery minus rehabilitation) with its 95% confidence limits, and the pooled
    baseline mean and SD, as the paper would print them.
    """
    rng = np.random.default_rng(seed)
    n = {"surgery": 70, "rehab": 50}
    base, follow, group = [], [], []
    for arm, size in n.items():
        y0 = rng.normal(45.0, 15.0, size)
        effect = -12.0 if arm == "surgery" else 0.0
        y6 = 45.0 - 8.0 + effect + 0.6 * (y0 - 45.0) + rng.normal(0.0, 12.0, size)
        base.append(y0)
        follow.append(y6)
        group.append(np.full(size, 1.0 if arm == "surgery" else 0.0))
    y0, y6, g = (np.concatenate(x) for x in (base, follow, group))
    design = np.column_stack([np.ones_like(g), g, y0])
    beta, residual, *_ = np.linalg.lstsq(design, y6, rcond=None)
    sigma2 = float(residual[0]) / (y6.size - design.shape[1])
    se = math.sqrt(sigma2 * np.linalg.inv(design.T @ design)[1, 1])
    md = round(float(beta[1]), 2)
    return {"md": md, "lower": round(md - Z * se, 2), "upper": round(md + Z * se, 2),
            "baseline_mean": round(float(y0.mean()), 2),
            "baseline_sd": round(float(y0.std(ddof=1)), 2), "n": float(y0.size)}


HEADER = """\
# SIMULATED trial for tests: not real data.
[trial]
name = "spine"
title = "SIMULATED spine trial"
citation = "SIMULATED data for tests"

[arms.surgery]
label = "Surgery (SIMULATED)"
role = "experimental"

[arms.rehab]
label = "Rehabilitation (SIMULATED)"
role = "control"

[populations.itt]
label = "Intention to treat"
n = {{ surgery = 70, rehab = 50 }}

[endpoints.odi]
label = "Disability index"
kind = "continuous"
better = "lower"
unit = "points"

[[visit_summaries]]
id = "odi_baseline"
endpoint = "odi"
population = "itt"
time_months = 0
statistic = "mean"
mean = {{ pooled = {baseline_mean} }}
sd = {{ pooled = {baseline_sd} }}
n = {{ pooled = 120 }}
source = {{ citation = "SIMULATED", locator = "Table 1", tag = "reported" }}
"""

DIFFERENCE = """
[[effect_estimates]]
id = "odi_md_{time}"
endpoint = "odi"
population = "itt"
time_months = {time}
statistic = "mean_difference"
estimate = {md}
lower = {lower}
upper = {upper}
design = "{design}"
comparator = "rehabilitation"
source = {{ citation = "SIMULATED", locator = "Table 2 (ANCOVA)", tag = "reported" }}
"""

ARM_CHANGES = """
[[visit_summaries]]
id = "odi_change_6"
endpoint = "odi"
population = "itt"
time_months = 6
statistic = "change"
mean = { surgery = -22.6, rehab = -12.0 }
se = { surgery = 1.75, rehab = 1.9 }
n = { surgery = 60, rehab = 41 }
source = { citation = "SIMULATED", locator = "Table 2", tag = "reported" }
"""


def write_trial(folder: Path, *, time: float = 6, design: str = "randomised",
                extra: str = "") -> Path:
    """Write the SIMULATED spine trial with its between-arm difference at ``time``."""
    numbers = simulated_spine_trial()
    text = HEADER.format(**numbers) + DIFFERENCE.format(time=f"{time:g}", design=design,
                                                        **numbers) + extra
    path = folder / "spine.toml"
    path.write_text(text, encoding="utf-8")
    return path


def spine_options(**kwargs: object) -> LongitudinalOptions:
    settings: dict[str, object] = {"endpoints": ("odi",), "visits_months": (0.0, 3.0, 6.0),
                                   "reference_visit_months": 6.0, "mcids": {"odi": MCID}}
    settings.update(kwargs)
    return LongitudinalOptions(**settings)  # type: ignore[arg-type]


def test_the_trials_own_randomised_difference_is_trial_evidence(tmp_path):
    numbers = simulated_spine_trial()
    model = LongitudinalModel(load_trial(write_trial(tmp_path)), options=spine_options())
    assert model.attribution == {"odi": "trial"}
    row = model.evidence_table().set_index("entry").loc["odi_md_6"]
    assert bool(row["used"])
    assert bool(row["informs_effect"])
    assert row["group"] == "trial_summaries"
    assert row["statistic"] == "mean_difference"
    assert row["published"] == numbers["md"]
    # SE from the symmetric 95% interval, to the rounding of the printed limits.
    assert row["se"] == pytest.approx((numbers["upper"] - numbers["lower"]) / (2 * Z),
                                      rel=1e-12)
    # The contrast is surgery's change minus rehabilitation's at 6 months.
    plan = model._plan.independent
    (contrast,) = [r for r in plan if r.term.entry == "odi_md_6"]
    layout = model._layout
    expected = layout.change("odi", "surgery", 6.0) - layout.change("odi", "rehab", 6.0)
    np.testing.assert_array_equal(contrast.coefficients, expected)
    # Data at 6 months: the reference visit is not an extrapolation, 3 months is
    # interpolated towards baseline (labelled), and no warning about the grid.
    assert not model._extrapolated("odi", (6.0, 6.0))
    assert model._extrapolated("odi", (3.0, 3.0))
    assert model.warnings() == []


@pytest.mark.parametrize("design", ["observational", "single_arm"])
def test_a_non_randomised_estimate_in_the_trial_file_is_listed_unused_with_its_reason(
        tmp_path, design):
    model = LongitudinalModel(load_trial(write_trial(tmp_path, design=design)),
                              options=spine_options())
    row = model.evidence_table().set_index("entry").loc["odi_md_6"]
    assert not row["used"]
    assert "randomised" in row["note"]
    assert "external evidence" in row["note"]
    assert model.attribution == {"odi": "prior only"}


def test_a_difference_after_the_last_visit_is_not_used_and_says_why(tmp_path):
    model = LongitudinalModel(load_trial(write_trial(tmp_path, time=12)),
                              options=spine_options())
    row = model.evidence_table().set_index("entry").loc["odi_md_12"]
    assert not row["used"]
    assert "visits_months" in row["note"]
    assert model.attribution == {"odi": "prior only"}


def test_a_difference_beside_both_arms_changes_at_that_visit_is_not_counted_twice(tmp_path):
    model = LongitudinalModel(load_trial(write_trial(tmp_path, extra=ARM_CHANGES)),
                              options=spine_options())
    table = model.evidence_table().set_index(["entry", "arm"], drop=False)
    assert table.loc[("odi_change_6", "surgery"), "used"]
    assert table.loc[("odi_change_6", "rehab"), "used"]
    contrast = table[table["entry"] == "odi_md_6"].iloc[0]
    assert not contrast["used"]
    assert "same patients" in contrast["note"]


ARM_SD_TRIAL = """\
# SIMULATED trial for tests: not real data.
[trial]
name = "walk"
title = "SIMULATED walk trial"
citation = "SIMULATED data for tests"

[arms.drug]
label = "Drug (SIMULATED)"
role = "experimental"

[arms.placebo]
label = "Placebo (SIMULATED)"
role = "control"

[populations.itt]
label = "Intention to treat"
n = {{ drug = 90, placebo = 60 }}

[endpoints.walk6]
label = "Six-minute walk"
kind = "continuous"
better = "higher"
unit = "m"

[[visit_summaries]]
id = "walk_0"
endpoint = "walk6"
population = "itt"
time_months = 0
statistic = "mean"
mean = {{ {means} }}
sd = {{ {sds} }}
n = {{ {ns} }}
source = {{ citation = "SIMULATED", locator = "Table 1", tag = "reported" }}
"""


@pytest.mark.parametrize("order", [("drug", "placebo"), ("placebo", "drug")])
def test_per_arm_baseline_sds_are_pooled_whatever_the_order_of_the_arms(tmp_path, order):
    """SIMULATED baseline: 391.7 m (SD 84.9, n 90) vs 360.0 m (SD 92.8, n 60)."""
    values = {"drug": (391.7, 84.9, 90), "placebo": (360.0, 92.8, 60)}
    text = ARM_SD_TRIAL.format(**{
        key: ", ".join(f"{arm} = {values[arm][i]}" for arm in order)
        for i, key in enumerate(("means", "sds", "ns"))
    })
    path = tmp_path / "walk.toml"
    path.write_text(text, encoding="utf-8")
    options = LongitudinalOptions(endpoints=("walk6",), visits_months=(0.0, 12.0),
                                  reference_visit_months=12.0)
    model = LongitudinalModel(load_trial(path), options=options)
    pooled = math.sqrt((89 * 84.9**2 + 59 * 92.8**2) / (89 + 59))
    assert model.scales["walk6"] == pytest.approx(pooled, rel=1e-12)
    assert "pooled over" in model.scale_sources["walk6"]


@pytest.mark.slow
def test_reanalysis_of_a_printed_difference_matches_the_normal_normal_posterior(tmp_path):
    """The whole user route (trial file, spec, ``reanalyse``, ``table()``) on one contrast.

    With one randomised difference y (SE s) at the reference visit and nothing else on
    the effect, the effect's posterior under a named prior N(m, k^2) on the standardised,
    direction-aligned effect is the closed-form normal-normal one (methods notes), read
    in points as -SD x effect (lower is better). Tolerances: medians within 0.15 SE of
    the posterior (Monte Carlo error of a median from about 1,000 effective draws is
    about 0.04 posterior SDs); probabilities within 0.03 (binomial SE at most 0.016 at
    that ESS); the prior columns come from 2,000 prior draws (SE at most 0.011), within
    0.03 of the prior's own probability.
    """
    import bayes_scot as bs
    from bayes_scot.stats.priors import prior_grid

    numbers = simulated_spine_trial()
    write_trial(tmp_path)
    spec = tmp_path / "spine_spec.toml"
    spec.write_text(textwrap.dedent("""\
        # SIMULATED trial analysis for tests
        [analysis]
        name = "spine_test"
        seed = 11

        [[trials]]
        path = "spine.toml"

        [sampler]
        draws = 1000
        tune = 500
        chains = 2
        backend = "blackjax"
        max_treedepth = 6

        [priors]
        grid = ["reference", "skeptical_strong", "pessimistic_strong"]

        [longitudinal]
        trials = ["spine"]
        estimands = ["change_difference_6"]

        [longitudinal.options]
        endpoints = ["odi"]
        visits_months = [0.0, 6.0]
        reference_visit_months = 6.0
        mcids = { odi = 10.0 }
        """), encoding="utf-8")
    table = bs.reanalyse(spec).table().set_index("prior")
    sd = numbers["baseline_sd"]
    y = -numbers["md"] / sd  # direction-aligned, standardised
    s = (numbers["upper"] - numbers["lower"]) / (2 * Z) / sd
    grid = prior_grid(design_effect=0.5, benefit="higher", reference_sd=1.0, mcid=MCID / sd)
    for name in ("reference", "skeptical_strong", "pessimistic_strong"):
        prior = grid[name]
        precision = 1 / prior.sd**2 + 1 / s**2
        mean = (prior.mean / prior.sd**2 + y / s**2) / precision
        post_sd = precision**-0.5
        row = table.loc[name]
        assert row["evidence"] == "trial"
        assert not row["extrapolated"]
        assert row["median"] == pytest.approx(-sd * mean, abs=0.15 * sd * post_sd)
        assert row["p_superior"] == pytest.approx(float(ndtr(mean / post_sd)), abs=0.03)
        assert row["p_mcid"] == pytest.approx(
            float(ndtr((mean - MCID / sd) / post_sd)), abs=0.03)
        assert row["prior_p_superior"] == pytest.approx(
            float(ndtr(prior.mean / prior.sd)), abs=0.03)
        assert row["prior_p_mcid"] == pytest.approx(
            float(ndtr((prior.mean - MCID / sd) / prior.sd)), abs=0.03)
