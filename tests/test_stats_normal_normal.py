"""Closed-form normal-normal reanalysis of reported effects."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import Source
from bayes_scot.evidence.entries import EffectEstimate, ReportedRatio
from bayes_scot.stats.normal_normal import (
    DEFAULT_RATIO_REFERENCE_SD,
    default_ratio_grid,
    normal_posterior,
    reanalyse_effect,
    reanalyse_entry,
    reported_likelihood,
)
from bayes_scot.stats.priors import DEFAULT_GRID_NAMES, ratio_prior

# ASTIS (van Laar JM et al., JAMA 2014;311:2490-8, Figure 2 legend), HSCT vs CYC,
# Cox regression over 3-10 years of follow-up.
ASTIS_EFS = (0.34, 0.16, 0.74)
ASTIS_OS = (0.29, 0.13, 0.64)
ASTIS_SOURCE = Source(citation="van Laar JM et al. JAMA 2014;311:2490-8",
                      locator="Figure 2 legend", tag="reported")
COLUMNS = ["prior", "label", "median", "lower", "upper", "p_benefit", "prior_p_benefit",
           "p_mcid", "prior_p_mcid", "p_harm", "prior_mean", "prior_sd", "posterior_mean",
           "posterior_sd", "statement"]


def test_normal_posterior_closed_form():
    m1, s1 = normal_posterior(0.0, 1.0, 2.0, 1.0)
    assert float(m1) == pytest.approx(1.0)
    assert float(s1) == pytest.approx(math.sqrt(0.5))
    # a flat prior returns the likelihood; a point-mass-like prior returns the prior
    m1, s1 = normal_posterior([0.0, 0.3], [1e6, 1e-6], -1.2, 0.4)
    assert m1 == pytest.approx([-1.2, 0.3], abs=1e-9)
    assert s1 == pytest.approx([0.4, 1e-6], rel=1e-9)
    with pytest.raises(EvidenceError):
        normal_posterior(0.0, 0.0, 1.0, 1.0)


def test_astis_efs_under_the_default_grid():
    hr, lo, hi = ASTIS_EFS
    table = reanalyse_effect(hr, lo, hi, mcid=0.8)
    assert list(table.columns) == COLUMNS
    assert list(table["prior"]) == list(DEFAULT_GRID_NAMES)
    assert not table.drop(columns="statement").isna().to_numpy().any()
    theta, se = math.log(hr), (math.log(hi) - math.log(lo)) / (2 * stats.norm.ppf(0.975))
    assert table.attrs["estimate"] == pytest.approx(theta)
    assert table.attrs["se"] == pytest.approx(se)
    assert table.attrs["credible_level"] == CREDIBLE_LEVEL
    # every row: closed forms from the prior and the likelihood
    z = stats.norm.ppf(0.5 + CREDIBLE_LEVEL / 2)
    for row in table.itertuples():
        prec = 1 / row.prior_sd**2 + 1 / se**2
        m1 = (row.prior_mean / row.prior_sd**2 + theta / se**2) / prec
        s1 = prec**-0.5
        assert row.posterior_mean == pytest.approx(m1)
        assert row.posterior_sd == pytest.approx(s1)
        assert row.median == pytest.approx(math.exp(m1))
        assert row.lower == pytest.approx(math.exp(m1 - z * s1))
        assert row.upper == pytest.approx(math.exp(m1 + z * s1))
        assert row.p_benefit == pytest.approx(stats.norm.cdf(-m1 / s1))
        assert row.p_mcid == pytest.approx(stats.norm.cdf((math.log(0.8) - m1) / s1))
        assert row.p_harm == pytest.approx(1 - row.p_benefit)
        assert row.p_mcid <= row.p_benefit
    # The practically flat reference prior reproduces the published estimate and interval
    # width (shrinkage SE^2 / (SE^2 + 10^2) = 0.15%). The published limits are rounded to
    # two decimals and not exactly symmetric around 0.34 on the log scale (midpoint HR
    # 0.344), so the limits themselves agree to 2%, not better.
    reference = table.set_index("prior").loc["reference"]
    assert reference["median"] == pytest.approx(hr, rel=0.005)
    assert reference["upper"] / reference["lower"] == pytest.approx(hi / lo, rel=0.005)
    assert reference["lower"] == pytest.approx(lo, rel=0.02)
    assert reference["upper"] == pytest.approx(hi, rel=0.02)
    # skeptical priors pull towards 1 in order of strength
    medians = table.set_index("prior")["median"]
    assert medians["skeptical_strong"] > medians["skeptical_moderate"] > medians[
        "skeptical_weak"] > medians["reference"]


def test_astis_os_default_prior_sds():
    table = reanalyse_effect(*ASTIS_OS).set_index("prior")
    assert table.loc["reference", "prior_sd"] == DEFAULT_RATIO_REFERENCE_SD
    # Zampieri's strong and moderate neutral priors, SD 0.205 and 0.355 after rounding
    assert round(table.loc["neutral_strong", "prior_sd"] / 0.005) * 0.005 == pytest.approx(0.205)
    assert round(table.loc["neutral_moderate", "prior_sd"] / 0.005) * 0.005 == pytest.approx(
        0.355)
    assert table["p_mcid"].isna().all()  # no MCID given


def test_p_value_instead_of_interval():
    # a p-value consistent with the interval gives the same SE
    hr, lo, hi = ASTIS_EFS
    se = reported_likelihood(hr, lo, hi).se
    p = 2 * stats.norm.sf(abs(math.log(hr)) / se)
    from_ci = reanalyse_effect(hr, lo, hi)
    from_p = reanalyse_effect(hr, p_value=p)
    assert from_p.attrs["se_source"] == "p_value"
    np.testing.assert_allclose(from_p["posterior_sd"], from_ci["posterior_sd"], rtol=1e-10)
    np.testing.assert_allclose(from_p["median"], from_ci["median"], rtol=1e-10)


def test_user_priors_as_pairs_and_effect_priors():
    hr, lo, hi = ASTIS_EFS
    priors = {"flat": (0.0, 100.0), "elicited": ratio_prior(threshold=0.5, probability=0.05)}
    table = reanalyse_effect(hr, lo, hi, priors=priors)
    assert list(table["prior"]) == ["flat", "elicited"]
    assert table.loc[1, "prior_sd"] == pytest.approx(priors["elicited"].sd)
    assert table.loc[0, "median"] == pytest.approx(hr, rel=1e-4)


def test_mean_difference_with_direction():
    # HAQ-DI (lower is better): simulated difference -0.5 with SE 0.2, MCID 0.14
    table = reanalyse_effect(-0.5, se=0.2, measure="MD", benefit="lower", mcid=0.14,
                             priors={"flat": (0.0, 1e4)})
    row = table.iloc[0]
    assert row["median"] == pytest.approx(-0.5, abs=1e-6)
    assert row["p_benefit"] == pytest.approx(stats.norm.cdf(0.5 / 0.2), rel=1e-6)
    assert row["p_mcid"] == pytest.approx(stats.norm.cdf((0.5 - 0.14) / 0.2), rel=1e-6)
    higher = reanalyse_effect(0.5, se=0.2, measure="MD", benefit="higher", mcid=0.14,
                              priors={"flat": (0.0, 1e4)})
    assert higher.loc[0, "p_mcid"] == pytest.approx(row["p_mcid"])
    grid = reanalyse_effect(-0.5, se=0.2, measure="MD", benefit="lower", mcid=0.14)
    assert len(grid) == 13
    assert grid.set_index("prior").loc["optimistic_strong", "prior_mean"] == pytest.approx(-0.14)
    with pytest.raises(EvidenceError, match="direction"):
        reanalyse_effect(-0.5, se=0.2, measure="MD")
    with pytest.raises(EvidenceError, match="design_effect or mcid"):
        reanalyse_effect(-0.5, se=0.2, measure="MD", benefit="lower")


def test_entries():
    hr, lo, hi = ASTIS_EFS
    entry = ReportedRatio(id="astis_efs_hr_10y", endpoint="efs", population="itt",
                          source=ASTIS_SOURCE, measure="HR", estimate=hr, lower=lo, upper=hi,
                          window_months=(0.0, 120.0))
    table = reanalyse_entry(entry, mcid=0.8)
    assert table.attrs["entry"] == "astis_efs_hr_10y"
    np.testing.assert_allclose(table["median"], reanalyse_effect(hr, lo, hi, mcid=0.8)["median"])
    simulated = Source(citation="simulated", locator="test", tag="reported")
    md = EffectEstimate(id="md", endpoint="haq_di", population="itt", source=simulated,
                        statistic="change_difference", estimate=-0.57, se=0.13)
    assert len(reanalyse_entry(md, benefit="lower", mcid=0.14)) == 13
    with pytest.raises(EvidenceError) as info:
        reanalyse_entry(md)
    assert info.value.entry == "md"


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        ((0.34, 0.74, 0.16), {}, "lower"),
        ((0.34, 0.4, 0.74), {}, "lower"),  # interval without the estimate
        ((-0.34, 0.16, 0.74), {}, "estimate"),
        ((0.34, 0.16, None), {}, "upper"),
        ((0.34,), {}, "lower"),
        ((0.34,), {"p_value": 1.5}, "p_value"),
        ((0.34,), {"se": -0.1}, "se"),
        ((0.34, 0.16, 0.74), {"measure": "HRR"}, "measure"),
        ((0.34, 0.16, 0.74), {"mcid": 1.25}, "mcid"),
        ((0.34, 0.16, 0.74), {"benefit": "down"}, "benefit"),
        ((0.34, 0.16, 0.74), {"priors": {"x": (0.0, -1.0)}}, "priors.x"),
        ((0.34, 0.16, 0.74), {"priors": {"x": "wide"}}, "priors.x"),
        ((0.34, 0.16, 0.74), {"priors": {}}, "priors"),
        ((0.34, 0.16, 0.74), {"design_effect": 1.5}, "design"),
        ((float("nan"), 0.16, 0.74), {}, "estimate"),
    ],
)
def test_bad_input_raises_evidence_error(args, kwargs, field):
    with pytest.raises(EvidenceError) as info:
        reanalyse_effect(*args, **kwargs)
    assert info.value.field == field


def test_benefit_higher_for_ratios():
    # a ratio of a good outcome (response): RR above 1 favours the experimental arm
    table = reanalyse_effect(1.8, 1.1, 2.9, measure="RR", benefit="higher", mcid=1.25)
    ref = table.set_index("prior").loc["reference"]
    assert ref["p_benefit"] > 0.98
    assert ref["p_mcid"] < ref["p_benefit"]
    grid = default_ratio_grid(benefit="higher", design=1.5, measure="RR")
    assert grid["optimistic_strong"].mean == pytest.approx(math.log(1.5))


@given(
    estimate=st.floats(0.05, 20.0),
    se=st.floats(0.02, 3.0),
    prior_mean=st.floats(-2.0, 2.0),
    prior_sd=st.floats(0.01, 20.0),
)
def test_posterior_lies_between_prior_and_data(estimate, se, prior_mean, prior_sd):
    table = reanalyse_effect(estimate, se=se, priors={"p": (prior_mean, prior_sd)})
    m1 = table.loc[0, "posterior_mean"]
    lo, hi = sorted((prior_mean, math.log(estimate)))
    assert lo - 1e-9 <= m1 <= hi + 1e-9
    assert table.loc[0, "posterior_sd"] <= min(se, prior_sd) + 1e-12
    assert 0.0 <= table.loc[0, "p_benefit"] <= 1.0


@pytest.mark.slow
def test_closed_form_matches_mcmc_fit_of_the_same_model():
    """An MCMC fit of theta ~ N(m0, s0), log HR_hat ~ N(theta, SE) agrees with the closed form."""
    pm = pytest.importorskip("pymc")
    hr, lo, hi = ASTIS_EFS
    closed = reanalyse_effect(hr, lo, hi, mcid=0.8).set_index("prior")
    like = reported_likelihood(hr, lo, hi)
    with pm.Model() as model:
        m0 = pm.Data("prior_mean", 0.0)
        s0 = pm.Data("prior_sd", 1.0)
        theta = pm.Normal("theta", m0, s0)
        pm.Normal("log_hr_hat", theta, like.se, observed=like.estimate)
    for name in ("reference", "skeptical_strong", "optimistic_moderate"):
        row = closed.loc[name]
        with model:
            pm.set_data({"prior_mean": row["prior_mean"], "prior_sd": row["prior_sd"]})
            idata = pm.sample(draws=2000, tune=500, chains=2, cores=1, random_seed=2014,
                              progressbar=False, compute_convergence_checks=False)
        draws = idata.posterior["theta"].to_numpy().ravel()
        # 4000 draws with ESS >~ 1500 (NUTS on a 1-d normal is close to independent):
        # Monte Carlo SE of the mean is <= s1 / sqrt(1500) = 0.026 s1, of a tail
        # probability <= 0.5 / sqrt(1500) = 0.013. Tolerances are 4 MC SEs.
        s1 = row["posterior_sd"]
        assert draws.mean() == pytest.approx(row["posterior_mean"], abs=0.1 * s1)
        assert draws.std() == pytest.approx(s1, rel=0.08)
        assert np.mean(draws < 0) == pytest.approx(row["p_benefit"], abs=0.05)
        assert np.mean(draws < math.log(0.8)) == pytest.approx(row["p_mcid"], abs=0.05)


def test_every_shipped_astis_hazard_ratio():
    # The ten landmark hazard ratios of the shipped ASTIS file (JAMA 2014, Figure 2).
    from bayes_scot.data import load_trial

    ratios = load_trial("astis").evidence("ratios")
    assert len(ratios) == 10
    for entry in ratios:
        table = reanalyse_entry(entry, mcid=0.8).set_index("prior")
        assert len(table) == 13
        assert not table.drop(columns="statement").isna().to_numpy().any()
        # the practically flat reference reproduces the estimate: shrinkage SE^2 / (SE^2 +
        # 10^2) is below 0.4% for these SEs (at most 0.59 on the log scale)
        assert table.loc["reference", "median"] == pytest.approx(entry.estimate, rel=0.01)
        end = entry.window_months[1]
        if end <= 6:  # early follow-up: treatment-related deaths, harm more likely
            assert table.loc["reference", "p_harm"] > table.loc["reference", "p_benefit"]
        if end >= 24:  # from two years on: benefit under every prior but the strong pessimist
            assert (table.drop(index="pessimistic_strong")["p_benefit"] > 0.8).all()


def test_an_se_that_disagrees_with_the_interval_is_refused():
    """Both given: they must agree within SE_AGREEMENT, and the interval is used."""
    hr, lo, hi = 0.34, 0.16, 0.74
    from_ci = reported_likelihood(hr, lo, hi).se
    with pytest.raises(EvidenceError, match="disagrees with the SE") as info:
        reanalyse_effect(hr, lo, hi, se=from_ci * 1.5)
    assert info.value.field == "se"
    # Within rounding of the limits: accepted, and the interval's SE is the one used.
    table = reanalyse_effect(hr, lo, hi, se=round(from_ci, 2))
    assert table.attrs["se_source"] == "ci"
    assert table.attrs["se"] == pytest.approx(from_ci)


def test_a_p_value_that_contradicts_the_interval_is_refused():
    """HR 0.62 (0.40-0.97) implies P = 0.034 (Wald); P = 0.5 or "P<0.001" contradict it."""
    hr, lo, hi = 0.62, 0.40, 0.97
    for p in (0.5, 0.9, 0.001, 0.005):
        with pytest.raises(EvidenceError, match="contradicts the interval") as info:
            reanalyse_effect(hr, lo, hi, p_value=p)
        assert info.value.field == "p_value"
        assert "P = 0.034" in str(info.value)
        assert "\n" not in str(info.value)
    for p in (-0.1, 0.0, 1.5, math.nan, "0.03"):
        with pytest.raises(EvidenceError, match="p-value must be in") as info:
            reanalyse_effect(hr, lo, hi, p_value=p)
        assert info.value.field == "p_value"


@pytest.mark.parametrize(
    ("effect", "p"),
    [
        ((0.62, 0.40, 0.97), 0.03),   # P = 0.034 printed to one digit
        ((0.62, 0.40, 0.97), 0.04),   # a log-rank P beside the Cox interval
        ((0.34, 0.16, 0.74), 0.006),  # ASTIS EFS, P = 0.0058
        ((0.30, 0.20, 0.45), 0.001),  # "P<0.001", P = 6e-9 from the interval
        ((0.98, 0.80, 1.20), 0.82),   # near no effect: HR 0.98 stands for 0.975-0.985
        ((0.90, 0.70, 1.16), 0.5),    # P = 0.41: large p-values pin the SE down loosely
    ],
)
def test_a_p_value_that_agrees_with_the_interval_up_to_rounding_is_accepted(effect, p):
    table = reanalyse_effect(*effect, p_value=p)
    assert table.attrs["se_source"] == "ci"
    assert table.attrs["se"] == pytest.approx(reported_likelihood(*effect).se)


def test_each_posterior_probability_has_its_prior_probability_beside_it():
    """The prior columns are the same tails under the prior alone, in closed form.

    ASTIS EFS HR with an MCID of 0.8: the skeptical priors' statements ("5%/15%
    probability that the HR is below 0.8") are exactly their P(HR < 0.8) under the prior;
    a prior centred on no effect has P(benefit) exactly 1/2.
    """
    table = reanalyse_effect(0.34, 0.16, 0.74, measure="HR", mcid=0.8).set_index("prior")
    assert table.loc["skeptical_strong", "prior_p_mcid"] == pytest.approx(0.05, abs=1e-12)
    assert table.loc["skeptical_moderate", "prior_p_mcid"] == pytest.approx(0.15, abs=1e-12)
    assert table.loc["reference", "prior_p_benefit"] == pytest.approx(0.5, abs=1e-12)
    expected = stats.norm.cdf((math.log(0.8) - table["prior_mean"]) / table["prior_sd"])
    assert table["prior_p_mcid"].to_numpy() == pytest.approx(np.asarray(expected), abs=1e-12)
    higher = reanalyse_effect(1.35, 1.08, 1.70, measure="RR", benefit="higher")
    assert higher["prior_p_mcid"].isna().all()
    assert (higher.set_index("prior").loc["optimistic_strong", "prior_p_benefit"]
            > 0.9)


# SIMULATED effects (not from any paper): HR 0.62 with log-scale SE 0.2 gives z = 2.39,
# P = 0.017; a mean difference of -4.2 with SE 1.9 gives z = 2.21, P = 0.027.
SIMULATED_HR_SE = (0.62, 0.2)
SIMULATED_MD_SE = (-4.2, 1.9)


@pytest.mark.parametrize(
    ("estimate", "se", "measure", "p"),
    [
        (*SIMULATED_HR_SE, "HR", 0.02),   # P = 0.017 printed to one digit
        (*SIMULATED_MD_SE, "MD", 0.03),   # P = 0.027 printed to one digit
        (0.30, 0.2, "HR", 0.001),         # "P<0.001" beside P = 2e-9 is a bound it meets
    ],
)
def test_a_p_value_that_agrees_with_the_se_up_to_rounding_is_accepted(estimate, se, measure,
                                                                      p):
    """SE and p-value without an interval: the p-value is a check, and the SE is used.

    The tolerance is the interval's (SE_AGREEMENT over the range of SEs that the printed
    p-value and estimate stand for), so these rounded p-values agree with the SE.
    """
    table = reanalyse_effect(estimate, measure=measure, se=se, p_value=p, benefit="lower",
                             mcid=1.0 if measure == "MD" else None)
    assert table.attrs["se_source"] == "se"
    assert table.attrs["se"] == se


@pytest.mark.parametrize(
    ("estimate", "se", "measure", "p", "implied"),
    [
        (*SIMULATED_HR_SE, "HR", 0.5, "P = 0.017"),
        (*SIMULATED_MD_SE, "MD", 0.3, "P = 0.027"),
    ],
)
def test_a_p_value_that_contradicts_the_se_is_refused(estimate, se, measure, p, implied):
    """Without an interval the SE was used and a contradicting p-value silently ignored.

    P = 0.5 implies an SE above 0.6 for HR 0.62 (three times 0.2), and P = 0.3 one above
    3.9 for MD -4.2 (twice 1.9): far beyond the rounding the check allows for.
    """
    with pytest.raises(EvidenceError, match=r"contradicts the .*SE") as info:
        reanalyse_effect(estimate, measure=measure, se=se, p_value=p, benefit="lower",
                         mcid=1.0 if measure == "MD" else None)
    assert info.value.field == "p_value"
    assert implied in str(info.value)
    assert "give the SE or the p-value" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_p_value_beside_an_se_must_be_a_p_value():
    """An impossible p-value beside an SE is refused, as beside an interval."""
    for p in (0.0, 1.5, math.nan):
        with pytest.raises(EvidenceError, match="p-value must be in") as info:
            reanalyse_effect(SIMULATED_HR_SE[0], se=SIMULATED_HR_SE[1], p_value=p)
        assert info.value.field == "p_value"
