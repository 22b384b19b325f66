"""The direct route's PyMC model, sampled: it agrees with the closed form on the prior grid.

One compilation serves every prior (the prior hyperparameters are data). Slow: compiles
the model once for the module (about 15 s with nutpie) and samples three priors (well
under a second each).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bayes_scot.builders.composite import CompositeModel
from bayes_scot.data import load_trial
from bayes_scot.fitting import SamplerSettings, cache_info, compile_model, diagnose

pytestmark = pytest.mark.slow

SEED = 20180104
PRIORS = ("reference", "skeptical_strong", "pessimistic_strong")
SETTINGS = SamplerSettings(draws=1000, tune=1000, chains=4)


@pytest.fixture(scope="module")
def fits():
    builder = CompositeModel(load_trial("scot"))
    compiled = compile_model(builder.model, key=builder.structure_key)
    compilations = cache_info().compilations
    grid = builder.prior_grid()
    idatas = {
        name: compiled.sample(builder.prior_data(grid[name]), settings=SETTINGS, seed=SEED)
        for name in PRIORS
    }
    assert cache_info().compilations == compilations, "a new prior must not recompile"
    return builder, compiled, grid, idatas


@pytest.mark.parametrize("prior", PRIORS)
def test_sampled_posterior_matches_the_closed_form(fits, prior) -> None:
    builder, _, grid, idatas = fits
    idata = idatas[prior]
    diagnostics = diagnose(idata)
    assert diagnostics.passed
    exact = builder.closed_form(grid[prior])
    draws = idata.posterior["net_benefit"].values.ravel()
    ess = diagnostics.ess_bulk_min
    # Monte Carlo SEs from the bulk ESS: sd / sqrt(ESS) for the mean, about
    # sd / sqrt(2 ESS) for the SD; four of them.
    assert np.mean(draws) == pytest.approx(exact.mean, abs=4 * exact.sd / math.sqrt(ess))
    assert np.std(draws) == pytest.approx(exact.sd, abs=4 * exact.sd / math.sqrt(2 * ess))
    estimands = {e.estimand: e for e in builder.estimands(idata)}
    p = exact.p_superior()
    assert estimands["net_benefit_54"].p_superior() == pytest.approx(
        p, abs=4 * math.sqrt(p * (1 - p) / ess) + 1e-3
    )


def test_deterministic_win_probability_matches_the_transform(fits) -> None:
    _, _, _, idatas = fits
    posterior = idatas["reference"].posterior
    np.testing.assert_allclose(
        posterior["win_probability"].values, (1 + posterior["net_benefit"].values) / 2
    )


def test_same_seed_gives_the_same_draws(fits) -> None:
    builder, compiled, grid, idatas = fits
    again = compiled.sample(builder.prior_data(grid["reference"]), settings=SETTINGS, seed=SEED)
    np.testing.assert_array_equal(
        again.posterior["net_benefit"].values, idatas["reference"].posterior["net_benefit"].values
    )


def test_reproduce_uses_the_models_posterior_predictive(fits) -> None:
    builder, compiled, _, idatas = fits
    predictive = compiled.posterior_predictive(idatas["reference"], seed=SEED)
    table = builder.reproduce(predictive)
    assert list(table["published"]) == [66.6, 33.4]
    assert not table["outside"].any()
    # The replicate's spread: SD of the estimate's predictive is sqrt(sd1^2 + SE^2) on the
    # net-benefit scale, i.e. 50 sqrt(...) percentage points on the percentage scale.
    exact = builder.closed_form(builder.prior_grid()["reference"])
    half_width = 50 * 1.96 * math.sqrt(exact.sd**2 + builder.observation.se**2)
    observed = (table.loc[0, "upper"] - table.loc[0, "lower"]) / 2
    assert observed == pytest.approx(half_width, rel=0.05)
