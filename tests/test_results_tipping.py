"""Tipping points and Fréchet bounds against their closed forms.

The tipping points come from importance reweighting of posterior draws; in a
normal-normal model the sceptical SD and the external weight at which P(superior)
reaches a threshold solve closed-form equations, which the tests solve with scipy.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np
import pytest
import xarray as xr
from scipy import optimize, stats

from bayes_scot import _compat
from bayes_scot.results import (
    LikelihoodTerm,
    PriorFit,
    frechet_bounds,
    joint_probabilities,
    shared_patients,
    tipping_points,
)
from bayes_scot.stats.estimands import EstimandDraws
from bayes_scot.stats.priors import EffectPrior

DRAWS = (4, 10_000)
REFERENCE_SD = 1.0


@dataclass(frozen=True)
class Diag:
    rhat_max: float = 1.0
    ess_bulk_min: float = 4000.0
    divergences: int = 0


def p_superior(sources: list[tuple[float, float]], prior_sd: float) -> float:
    """Exact P(theta > 0) under N(0, prior_sd^2) and normal observations (y, se)."""
    precision = prior_sd**-2 + sum(se**-2 for _, se in sources)
    mean = sum(y * se**-2 for y, se in sources) / precision
    return float(stats.norm.cdf(mean * np.sqrt(precision)))


def fit(sources: list[tuple[float, float]], external: tuple[float, float, float] | None = None,
        draws: tuple[int, int] = DRAWS) -> PriorFit:
    """Reference fit of the normal-normal model: exact posterior draws of theta."""
    weighted = list(sources)
    if external is not None:
        y, se, a0 = external
        weighted.append((y, se / np.sqrt(a0)))  # a power prior inflates the SE
    precision = REFERENCE_SD**-2 + sum(se**-2 for _, se in weighted)
    mean = sum(y * se**-2 for y, se in weighted) / precision
    theta = np.random.default_rng(7).normal(mean, precision**-0.5, draws)
    posterior = xr.Dataset({"theta": (("chain", "draw"), theta)},
                           coords={"chain": np.arange(draws[0]), "draw": np.arange(draws[1])})
    terms = ()
    if external is not None:
        y, se, a0 = external
        terms = (LikelihoodTerm(name="external", source="external",
                                endpoints=frozenset({"x"}), weight=a0,
                                draws=a0 * stats.norm.logpdf(y, theta, se)),)
    return PriorFit(
        family="toy", prior="reference", diagnostics=Diag(),
        estimands=(EstimandDraws(endpoint="x", estimand="theta", label="theta", draws=theta,
                                 null=0.0, superior="higher"),),
        effect_priors={"theta": EffectPrior(name="reference", family="reference",
                                            strength="", mean=0.0, sd=REFERENCE_SD,
                                            statement="vague")},
        idata=_compat.inference_data(posterior=posterior), likelihood_terms=terms,
    )


# Tolerance: the draws are independent, so P(superior) from 40 000 reweighted draws has a
# Monte Carlo SE of about 0.0015 at P = 0.95 (importance weights cost under half the
# sample here). Near the tipping points dP/dsd is 0.55 (threshold 0.95) and 1.4 (0.90),
# and dP/da is 0.12, so 0.01 in the SD and 0.04 in the weight are over three SEs.
def test_sceptical_sd_matches_the_closed_form() -> None:
    data = [(0.5, 0.2)]
    table = tipping_points([fit(data)], ["x:theta"], reference_prior="reference")
    assert list(table.threshold) == [0.95, 0.90]
    for row in table.itertuples():
        exact = optimize.brentq(lambda s, t=row.threshold: p_superior(data, s) - t, 0.01, 1.0)
        assert row.skeptical_sd == pytest.approx(exact, abs=0.01)
    assert np.isnan(table.external_weight).all()
    assert table.note.str.contains("no external evidence").all()


def test_external_weight_matches_the_closed_form() -> None:
    data, (y, se, a0) = [(0.3, 0.25)], (0.4, 0.2, 0.5)
    table = tipping_points([fit(data, (y, se, a0))], ["x:theta"],
                           reference_prior="reference", thresholds=(0.95,))
    row = table.iloc[0]

    def p(a: float) -> float:
        return p_superior([*data, (y, se / np.sqrt(a))], REFERENCE_SD) if a > 0 else (
            p_superior(data, REFERENCE_SD))

    assert p(a0) > 0.95 > p(0.0)  # the crossing is inside (0, a0)
    exact = optimize.brentq(lambda a: p(a) - 0.95, 1e-6, a0)
    assert row.external_weight == pytest.approx(exact, abs=0.04)
    assert row.current_weight == a0


def test_a_probability_already_below_the_threshold_says_so() -> None:
    table = tipping_points([fit([(0.1, 0.3)])], ["x:theta"], reference_prior="reference")
    assert np.isnan(table.skeptical_sd).all()
    assert table.note.str.contains("already below").all()


def test_a_crossing_the_draws_cannot_place_is_not_reported() -> None:
    # A precise trial (SE 0.05) needs a sceptical SD near 0.06 to pull P(superior) below
    # 0.95; reweighting 4000 draws of N(0.5, 0.05) to that prior leaves under 100
    # effective draws (k-hat stays low: the weights are bounded), so no value is given.
    table = tipping_points([fit([(0.5, 0.05)], draws=(4, 1000))], ["x:theta"],
                           reference_prior="reference")
    assert np.isnan(table.skeptical_sd).all()
    assert table.note.str.contains("effective draws < 100").all()


def test_an_imprecise_crossing_gives_its_monte_carlo_range() -> None:
    # With 4000 draws P(superior) changes slowly with the SD near both thresholds: the
    # crossing is given with the range over which P +/- 2 SE crosses, and the exact
    # crossing lies inside it.
    data = [(0.25, 0.13)]
    table = tipping_points([fit(data, draws=(4, 1000))], ["x:theta"],
                           reference_prior="reference")
    for row in table.itertuples():
        exact = optimize.brentq(lambda s, t=row.threshold: p_superior(data, s) - t, 0.01, 1.0)
        found = re.search(r"anywhere from ([0-9.]+) to ([0-9.]+)", row.note)
        assert found, row.note
        lower, upper = map(float, found.groups())
        assert lower < row.skeptical_sd < upper
        assert lower < exact < upper
        # The same range as columns, for a reader that does not parse the note.
        assert (row.skeptical_sd_lower, row.skeptical_sd_upper) == pytest.approx(
            (lower, upper), rel=5e-3)
    # With ten times the draws the same crossings are precise: no range in the note.
    precise = tipping_points([fit(data)], ["x:theta"], reference_prior="reference")
    assert not precise.note.str.contains("imprecise").any()
    assert precise.skeptical_sd_lower.isna().all()


@pytest.mark.parametrize("p", [(0.9, 0.8, 0.95), (0.3, 0.6), (0.5, 0.5, 0.5, 0.99)])
def test_frechet_bounds_are_attained_by_extreme_dependence(p: tuple[float, ...]) -> None:
    n = len(p)
    for k in range(1, n + 1):
        lower, upper = frechet_bounds(p, k)
        assert 0.0 <= lower <= upper <= 1.0
        if k == n:
            assert (lower, upper) == pytest.approx((max(0.0, sum(p) - (n - 1)), min(p)))
        if k == 1:
            assert (lower, upper) == pytest.approx((max(p), min(1.0, sum(p))))
        # Independence lies inside the bounds.
        indep = sum(
            np.prod([pi if s else 1 - pi for pi, s in zip(p, subset, strict=True)])
            for subset in itertools.product([0, 1], repeat=n) if sum(subset) >= k
        )
        assert lower - 1e-12 <= indep <= upper + 1e-12


def test_joint_rows_across_fits_carry_bounds_and_shared_patients() -> None:
    rng = np.random.default_rng(3)

    def one(family: str, endpoint: str) -> PriorFit:
        return PriorFit(family=family, prior="reference", diagnostics=Diag(), estimands=(
            EstimandDraws(endpoint=endpoint, estimand="d", label=endpoint, null=0.0,
                          superior="higher", draws=rng.normal(1.0, 1.0, (2, 5000))),))

    trials = {"survival": ["scot (itt)"], "composite": ["scot (itt)"],
              "longitudinal": ["scot (pp)"]}
    assert shared_patients(trials, ["survival", "composite"]) == (
        "survival and composite share the patients of scot (itt)")
    assert shared_patients(trials, ["survival", "longitudinal"]) == ""
    table = joint_probabilities([one("survival", "a"), one("composite", "b")],
                                ["a:d", "b:d"], trials=trials)
    marginals = [0.8413, 0.8413]  # P(N(1, 1) > 0)
    all_row = table[table.event == "all"].iloc[0]
    # Fréchet: [2 p - 1, p]; 10 000 draws per marginal, SE 0.004, so 0.015 is 3.7 SEs.
    assert all_row.lower_bound == pytest.approx(2 * marginals[0] - 1, abs=0.015)
    assert all_row.upper_bound == pytest.approx(marginals[0], abs=0.015)
    assert all_row.basis == ("product of the survival, composite fits (taken as "
                             "independent); not independent: survival and composite share "
                             "the patients of scot (itt)")
    within = joint_probabilities([one("survival", "a")], ["a:d"])
    assert within.lower_bound.isna().all()


def test_an_effect_prior_on_one_element_reads_that_element() -> None:
    # The longitudinal model puts each endpoint's named prior on one element of
    # "standardised_effect", named "standardised_effect[<endpoint>]".
    from types import SimpleNamespace

    from bayes_scot.results.sensitivity import effect_log_prior, effect_values

    rng = np.random.default_rng(8)
    theta = rng.normal(size=(2, 30, 2))
    posterior = xr.Dataset(
        {"standardised_effect": (("chain", "draw", "endpoint"), theta)},
        coords={"endpoint": ["fvc", "haq_di"]})
    fit = SimpleNamespace(
        family="longitudinal", idata=_compat.inference_data(posterior=posterior),
        effect_priors={"standardised_effect[fvc]": SimpleNamespace(mean=0.0, sd=0.5),
                       "standardised_effect[haq_di]": SimpleNamespace(mean=0.2, sd=1.0)})
    expected = (stats.norm.logpdf(theta[..., 0], 0.0, 0.5)
                + stats.norm.logpdf(theta[..., 1], 0.2, 1.0))
    np.testing.assert_allclose(effect_log_prior(fit).to_numpy(), expected, rtol=1e-12)
    np.testing.assert_array_equal(
        effect_values(posterior, "standardised_effect[haq_di]", "x").to_numpy(), theta[..., 1])
    with pytest.raises(ValueError, match=r"standardised_effect\[dlco\]"):
        effect_values(posterior, "standardised_effect[dlco]", "longitudinal")
