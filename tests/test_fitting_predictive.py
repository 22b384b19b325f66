"""Posterior predictive replicates drawn for all draws at once (no MCMC: posteriors are given).

The replicates are checked against their closed form and against PyMC's own
:func:`pymc.sample_posterior_predictive` on the same draws: same names, dims, coords and
observed data, and the same distribution (not the same numbers: the random streams differ).
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pymc as pm
import pytensor.tensor as pt
import pytest
import xarray as xr

from bayes_scot import _compat
from bayes_scot.fitting import compile_model
from bayes_scot.fitting.predictive import PredictiveFunction

CHAINS, DRAWS = 4, 2000
SE = np.array([1.0, 2.0, 0.5])


def _normal_model() -> pm.Model:
    """Three summaries, each ~ N(mu + shift_k, SE_k), with data containers for the SEs."""
    with pm.Model(coords={"summary": ["a", "b", "c"]}) as model:
        se = pm.Data("se", SE, dims="summary")
        mu = pm.Normal("mu", 0.0, 10.0)
        shift = pm.Normal("shift", 0.0, 1.0, dims="summary")
        pm.Normal("y", mu + shift, se, observed=np.array([0.3, -1.0, 2.0]), dims="summary")
    return model


def _posterior(seed: int = 0) -> xr.Dataset:
    """Draws of mu ~ N(1, 0.5^2) and shift ~ N(0, 0.2^2) (given, not sampled)."""
    rng = np.random.default_rng(seed)
    return xr.Dataset(
        {"mu": (("chain", "draw"), 1.0 + 0.5 * rng.standard_normal((CHAINS, DRAWS))),
         "shift": (("chain", "draw", "summary"),
                   0.2 * rng.standard_normal((CHAINS, DRAWS, 3)))},
        coords={"chain": np.arange(CHAINS), "draw": np.arange(DRAWS),
                "summary": ["a", "b", "c"]},
    )


def test_replicates_follow_the_closed_form_and_keep_the_models_dims() -> None:
    """y_rep_k ~ N(1, 0.5^2 + 0.2^2 + SE_k^2). With 8,000 draws the Monte Carlo SE of the
    mean is sd/89 and of the SD about sd/126, so 5% of the SD (over 4 SEs) and 5% relative
    to the SD fail only when the distribution is wrong."""
    model = _normal_model()
    replicates = PredictiveFunction(model)(_posterior(), seed=1)["y"]
    assert replicates.dims == ("chain", "draw", "summary")
    assert list(replicates["summary"].values) == ["a", "b", "c"]
    sd = np.sqrt(0.5**2 + 0.2**2 + SE**2)
    np.testing.assert_allclose(replicates.mean(("chain", "draw")), 1.0, atol=0.05 * sd.min())
    np.testing.assert_allclose(replicates.std(("chain", "draw")), sd, rtol=0.05)


def test_the_data_containers_are_read_when_called() -> None:
    """A fit's data (here larger SEs) changes the replicates' spread without a rebuild."""
    model = _normal_model()
    predict = PredictiveFunction(model)
    with model:
        pm.set_data({"se": 10 * SE})
    spread = predict(_posterior(), seed=1)["y"].std(("chain", "draw"))
    np.testing.assert_allclose(spread, np.sqrt(0.29 + 100 * SE**2), rtol=0.05)


def test_same_seed_same_replicates_other_seed_other_replicates() -> None:
    predict = PredictiveFunction(_normal_model())
    first = predict(_posterior(), seed=7)["y"].values
    np.testing.assert_array_equal(first, predict(_posterior(), seed=7)["y"].values)
    assert not np.allclose(first, predict(_posterior(), seed=8)["y"].values)


def test_agrees_with_pymcs_posterior_predictive() -> None:
    """The same groups' names, dims, coords and observed data as PyMC's, and replicates
    whose means and SDs agree within Monte Carlo error (tolerances as above, doubled for
    the difference of two independent estimates)."""
    model = _normal_model()
    posterior = _posterior()
    ours = PredictiveFunction(model)
    pymc = _compat.sample_posterior_predictive(az.InferenceData(posterior=posterior), model,
                                               var_names=None, seed=3)
    theirs = _compat.get_group(pymc, "posterior_predictive")["y"]
    mine = ours(posterior, seed=3)["y"]
    assert mine.dims == theirs.dims
    assert mine.shape == theirs.shape
    xr.testing.assert_equal(ours.observed_data(), _compat.get_group(pymc, "observed_data"))
    sd = theirs.std(("chain", "draw"))
    np.testing.assert_allclose(mine.mean(("chain", "draw")), theirs.mean(("chain", "draw")),
                               atol=0.1 * float(sd.min()))
    np.testing.assert_allclose(mine.std(("chain", "draw")), sd, rtol=0.1)


def test_data_parameters_and_sizes_from_dims_keep_one_draw_per_posterior_draw() -> None:
    """A Binomial whose n is data (no draw axis) and whose p is drawn, and a Normal whose
    parameters are scalars but whose size comes from its dims: each replicate is drawn
    afresh for every posterior draw (E = n p; the Normal's SD is sqrt(0.5^2 + 1) = 1.118;
    8,000 draws give Monte Carlo SEs under 1% of these, so 5% fails only when wrong)."""
    with pm.Model(coords={"arm": ["hsct", "cyc"], "summary": ["a", "b", "c"]}) as model:
        n = pm.Data("n", np.array([36, 39]), dims="arm")
        mu = pm.Normal("mu", 0.0, 10.0)
        p = pm.math.invlogit(mu + np.array([1.0, 0.0]))
        pm.Binomial("events", n=n, p=p, observed=np.array([10, 20]), dims="arm")
        pm.Normal("z", mu, 1.0, observed=np.zeros(3), dims="summary")
    posterior = _posterior()[["mu"]]
    replicates = PredictiveFunction(model)(posterior, seed=4)
    assert replicates["events"].dims == ("chain", "draw", "arm")
    assert replicates["z"].dims == ("chain", "draw", "summary")
    mu_draws = posterior["mu"].values[..., None]
    shift = np.array([1.0, 0.0])
    expected = (np.array([36, 39]) / (1 + np.exp(-(mu_draws + shift)))).mean((0, 1))
    np.testing.assert_allclose(replicates["events"].mean(("chain", "draw")), expected,
                               rtol=0.05)
    np.testing.assert_allclose(replicates["z"].std(("chain", "draw")), np.sqrt(1.25),
                               rtol=0.05)
    assert len(np.unique(replicates["z"].values[..., 0])) == CHAINS * DRAWS


def test_only_observed_variables_are_drawn() -> None:
    with pytest.raises(ValueError, match=r"\['mu'\] are not observed variables"):
        PredictiveFunction(_normal_model(), var_names=["mu"])


def _custom_model() -> pm.Model:
    """An observed CustomDist whose sampler PyTensor cannot vectorise over draws."""
    def dist(mu: pt.TensorVariable, size: pt.TensorVariable) -> pt.TensorVariable:
        return pm.Normal.dist(mu, 1.0, size=size)

    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 10.0)
        pm.CustomDist("y", mu, dist=dist, observed=np.array([0.5, 1.5]))
    return model


def test_a_distribution_that_cannot_be_vectorised_says_so() -> None:
    with pytest.raises(NotImplementedError):
        PredictiveFunction(_custom_model())


def test_a_variable_drawn_from_another_observed_variable_says_so() -> None:
    """y2's mean is y1: their replicates must be drawn jointly, which PyMC's loop does."""
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 10.0)
        y1 = pm.Normal("y1", mu, 1.0, observed=np.array([0.5]))
        pm.Normal("y2", y1, 1.0, observed=np.array([1.0]))
    with pytest.raises(NotImplementedError, match="'y2' depends on another random draw"):
        PredictiveFunction(model)


@pytest.mark.slow  # compiles the model for the BlackJAX backend (no sampling)
@pytest.mark.parametrize("build", [_normal_model, _custom_model])
def test_compiled_models_draw_replicates_either_way(build) -> None:
    """A vectorisable model is drawn at once, one that is not by PyMC's loop: both give
    the groups ArviZ's checks read."""
    model = build()
    compiled = compile_model(model, backend="blackjax")
    rng = np.random.default_rng(0)
    posterior = xr.Dataset(
        {rv.name: (("chain", "draw", *(f"{rv.name}_dim_{i}" for i in range(rv.ndim))),
                   rng.standard_normal((2, 50, *rv.shape.eval())))
         for rv in model.free_RVs},
        coords={"chain": [0, 1], "draw": np.arange(50)},
    )
    predictive = compiled.posterior_predictive(az.InferenceData(posterior=posterior), seed=2)
    replicates = _compat.get_group(predictive, "posterior_predictive")["y"]
    assert replicates.sizes == {"chain": 2, "draw": 50, **{d: replicates.sizes[d]
                                                          for d in replicates.dims[2:]}}
    assert "y" in _compat.get_group(predictive, "observed_data")
