"""ArviZ's own checks run on a fit: ``az.loo`` without ``var_name`` and ``az.plot_ppc``.

The slow test fits a small simulated model (not trial data): two arms' event counts and a
normally distributed arm difference, both observed, with a data-valued prior.
"""

from __future__ import annotations

import warnings

import arviz as az
import matplotlib
import numpy as np
import pymc as pm
import pytest
import xarray as xr

from bayes_scot import _compat
from bayes_scot.fitting import SamplerSettings, compile_model
from bayes_scot.fitting.arviz_groups import COMBINED, add_arviz_groups, combine_log_likelihood

matplotlib.use("Agg")


def test_several_log_likelihood_arrays_become_one_with_the_same_total():
    rng = np.random.default_rng(1)
    idata = az.from_dict(
        posterior={"mu": rng.normal(size=(2, 50))},
        log_likelihood={"counts": -rng.gamma(2.0, size=(2, 50, 3)),
                        "ratio": -rng.gamma(2.0, size=(2, 50))},
    )
    before = _compat.get_group(idata, "log_likelihood")
    total = (before["counts"].sum("counts_dim_0") + before["ratio"]).to_numpy()
    combine_log_likelihood(idata)
    after = _compat.get_group(idata, "log_likelihood")
    assert list(after.data_vars) == [COMBINED]
    assert list(after["term"].values) == ["counts[0]", "counts[1]", "counts[2]", "ratio"]
    np.testing.assert_allclose(after[COMBINED].sum("term").to_numpy(), total, rtol=1e-12)


def test_one_log_likelihood_array_is_left_as_it_is():
    idata = az.from_dict(posterior={"mu": np.zeros((2, 5))},
                         log_likelihood={"obs": np.zeros((2, 5, 4))})
    combine_log_likelihood(idata)
    assert list(_compat.get_group(idata, "log_likelihood").data_vars) == ["obs"]


def _two_observations_model() -> pm.Model:
    """Events per arm (binomial) and a measured arm difference (normal), both observed."""
    with pm.Model(coords={"arm": ["hsct", "cyc"]}) as model:
        prior_sd = pm.Data("effect_prior_sd", 1.0)
        events = pm.Data("events", np.array([10, 20]), dims="arm")
        baseline = pm.Normal("baseline", 0.0, 1.5)
        effect = pm.Normal("effect", 0.0, prior_sd)
        p = pm.math.invlogit(baseline + effect * np.array([1.0, 0.0]))
        pm.Binomial("observed_events", n=np.array([36, 39]), p=p, observed=events, dims="arm")
        pm.Normal("observed_difference", effect, 0.4, observed=np.array(-0.6))
    return model


@pytest.mark.slow
def test_loo_without_var_name_and_plot_ppc_run_on_a_fit():
    import matplotlib.pyplot as plt

    compiled = compile_model(_two_observations_model(), backend="blackjax")
    settings = SamplerSettings(draws=300, tune=300, chains=2, backend="blackjax")
    idata = compiled.sample(settings=settings, seed=5, log_likelihood=True)
    named = _compat.get_group(idata, "log_likelihood")
    assert set(named.data_vars) == {"observed_events", "observed_difference"}
    total = (named["observed_events"].sum("arm") + named["observed_difference"]).to_numpy()
    add_arviz_groups(compiled, idata, seed=5)

    combined = _compat.get_group(idata, "log_likelihood")[COMBINED]
    assert combined.sizes["term"] == 3  # two arms' counts and one difference
    np.testing.assert_allclose(combined.sum("term").to_numpy(), total, rtol=1e-12)
    with warnings.catch_warnings():
        # Three observations, each an arm's whole data, are each highly influential: the
        # Pareto k-hat warning is expected; the point here is that loo runs by default.
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
        loo = az.loo(idata)
    assert np.isfinite(loo["elpd_loo"])
    assert loo["pareto_k"].sizes["term"] == 3
    observed = _compat.get_group(idata, "observed_data")
    assert observed["observed_events"].values.tolist() == [10, 20]
    replicates = _compat.get_group(idata, "posterior_predictive")["observed_events"]
    assert replicates.shape == (2, 300, 2)
    # Replicated counts centre on the observed ones (within 3 events: the predictive SD of
    # each arm's count is about 3-4 events).
    assert np.allclose(replicates.mean(("chain", "draw")).values, [10, 20], atol=3)
    with warnings.catch_warnings():
        # ArviZ 0.2x passes matplotlib 3.11 an alias mapping it deprecates; not ours.
        warnings.filterwarnings("ignore", category=matplotlib.MatplotlibDeprecationWarning)
        axes = az.plot_ppc(idata, kind="scatter", num_pp_samples=20, random_seed=1)
    assert np.size(axes) == 2
    plt.close("all")
    assert isinstance(observed, xr.Dataset)


def test_pointwise_log_likelihood_equals_pymc_for_every_draw():
    # The fitting layer evaluates every observed variable's elementwise log density for
    # all draws at once; PyMC's compute_log_likelihood does it draw by draw. Same model,
    # same draws: the same numbers to rounding, with the same names and dims.
    from bayes_scot.fitting.backends.base import Backend

    model = _two_observations_model()
    rng = np.random.default_rng(3)
    posterior = xr.Dataset(
        {"baseline": (("chain", "draw"), rng.normal(0, 1.5, (2, 40))),
         "effect": (("chain", "draw"), rng.normal(0, 1, (2, 40)))},
        coords={"chain": [0, 1], "draw": np.arange(40)},
    )
    ours = Backend(model).observed_terms(posterior)
    idata = _compat.inference_data(posterior=posterior)
    expected = pm.compute_log_likelihood(idata, model=model, extend_inferencedata=False,
                                         progressbar=False)
    if not isinstance(expected, xr.Dataset):  # a container of groups
        expected = _compat.get_group(expected, "log_likelihood")
    assert set(ours.data_vars) == set(expected.data_vars) == {"observed_events",
                                                               "observed_difference"}
    for name in expected.data_vars:
        assert ours[name].dims == expected[name].dims
        np.testing.assert_allclose(ours[name].values, expected[name].values, rtol=1e-12)
