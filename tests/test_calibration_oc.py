"""Operating characteristics of the normal-normal reanalysis against their closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from bayes_scot.calibration import hazard_ratio_se, normal_normal_oc, simulate_normal_normal_oc

EFFECTS = np.log([1.0, 0.8, 0.6, 0.5])


def test_flat_prior_gives_the_frequentist_one_sided_test() -> None:
    # With a practically flat prior, P(HR < 1 | data) > 0.975 is the one-sided 2.5% test:
    # type I error 0.025 and power Phi(-theta/SE - 1.96).
    se = hazard_ratio_se(100)
    oc = normal_normal_oc(0.0, 1e4, se, EFFECTS, threshold=0.975)
    expected = norm.cdf(-EFFECTS / se - norm.ppf(0.975))
    np.testing.assert_allclose(oc["p_declare_superior"], expected, atol=1e-6)
    assert oc["p_declare_superior"].iloc[0] == pytest.approx(0.025, abs=1e-6)


def test_skeptical_prior_lowers_type_one_error_and_power() -> None:
    se = hazard_ratio_se(60)
    flat = normal_normal_oc(0.0, 10.0, se, EFFECTS, threshold=0.95)
    skeptical = normal_normal_oc(0.0, 0.205, se, EFFECTS, threshold=0.95)
    assert np.all(skeptical["p_declare_superior"] < flat["p_declare_superior"])


@pytest.mark.parametrize("benefit", ["lower", "higher"])
def test_closed_form_matches_simulation(benefit: str) -> None:
    # 20,000 trials per effect: Monte Carlo SD of a probability at most 0.0035, so a
    # tolerance of 0.015 is over four SDs.
    se = hazard_ratio_se(60)
    sign = 1.0 if benefit == "lower" else -1.0
    effects = sign * EFFECTS
    kwargs = {"threshold": 0.9, "benefit": benefit, "margin": sign * math.log(0.8)}
    exact = normal_normal_oc(sign * 0.1, 0.355, se, effects, **kwargs)
    simulated = simulate_normal_normal_oc(
        sign * 0.1, 0.355, se, effects, simulations=20_000, seed=11, **kwargs
    )
    for column in ("p_declare_superior", "expected_p_superior", "p_declare_mcid",
                   "expected_p_mcid"):
        np.testing.assert_allclose(exact[column], simulated[column], atol=0.015)
    np.testing.assert_allclose(exact["true_effect"], effects)


def test_hazard_ratio_se_follows_tierney() -> None:
    assert hazard_ratio_se(100) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="events"):
        hazard_ratio_se(0)
