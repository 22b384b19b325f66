"""Tests of the BlackJAX backend: its log density, closed-form posteriors, batches, seeds.

The models are small: a normal mean with a data-valued conjugate prior (whose posterior is
known in closed form) and a model with a constrained (positive) scale and a named vector
dimension. Each compiles in a few seconds; all are marked slow.
"""

from __future__ import annotations

import math

import numpy as np
import pymc as pm
import pytest

from bayes_scot import _compat
from bayes_scot.fitting import SamplerSettings, cache_info, compile_model, diagnose
from bayes_scot.fitting.backends.blackjax import BlackjaxBackend

pytestmark = pytest.mark.slow

SETTINGS = SamplerSettings(draws=1000, tune=500, chains=4, backend="blackjax")

# Simulated observations (not trial data): 20 draws from N(1.5, 2^2), sigma known.
Y = np.random.default_rng(20181).normal(1.5, 2.0, size=20)
SIGMA = 2.0


def _normal_mean_model() -> pm.Model:
    """y_i ~ N(mu, SIGMA^2), mu ~ N(m0, s0^2) with (m0, s0) as data."""
    with pm.Model() as model:
        m0 = pm.Data("prior_mean", 0.0)
        s0 = pm.Data("prior_sd", 10.0)
        y = pm.Data("y", Y)
        mu = pm.Normal("mu", m0, s0)
        pm.Normal("obs", mu, SIGMA, observed=y)
    return model


def _exact(m0: float, s0: float) -> tuple[float, float]:
    """Conjugate normal posterior of mu: mean and SD."""
    precision = 1 / s0**2 + len(Y) / SIGMA**2
    mean = (m0 / s0**2 + Y.sum() / SIGMA**2) / precision
    return mean, math.sqrt(1 / precision)


PRIORS = {"flat": (0.0, 10.0), "sceptical": (0.0, 0.3), "enthusiastic": (3.0, 0.5)}


@pytest.fixture(scope="module")
def normal_compiled():
    return compile_model(_normal_mean_model(), backend="blackjax",
                         key=("tests", "blackjax-normal-mean"))


@pytest.fixture(scope="module")
def normal_fits(normal_compiled):
    data = {name: {"prior_mean": m0, "prior_sd": s0} for name, (m0, s0) in PRIORS.items()}
    return normal_compiled.sample_many(data, settings=SETTINGS, seed=3)


def test_log_density_equals_pytensor_for_any_data():
    """The JAX log density equals PyMC's at random points, for two sets of data.

    Tolerance 1e-12 relative: the same float64 formulas, summed in another order.
    """
    model = _normal_mean_model()
    backend = BlackjaxBackend(model)
    reference = model.compile_logp()
    rng = np.random.default_rng(0)
    for data in ({"prior_mean": 0.0, "prior_sd": 10.0, "y": Y},
                 {"prior_mean": 2.0, "prior_sd": 0.5, "y": Y[::-1] + 1.0}):
        _compat.set_data(model, data)
        packed = backend._pack.pack(data)
        for mu in rng.normal(0, 3, size=5):
            expected = reference({"mu": mu})
            got = float(backend._logp(np.asarray(mu), packed)[0])
            assert got == pytest.approx(float(expected), rel=1e-12)


def test_batch_of_priors_matches_the_conjugate_posteriors(normal_fits):
    """Each prior of one batch reproduces its closed-form posterior mean and SD.

    The exact posterior means are 1.20, 0.37 and 2.00 (SDs 0.45, 0.25, 0.33). With a
    bulk ESS of at least 400 the Monte Carlo SE of a mean is at most 0.05 posterior SDs,
    so 4 MCSEs (under 0.1 on this scale) fail any fit that mixed up two priors' data. The
    SD of 4000 draws is within 5% of the exact one unless the sampler is biased (its own
    Monte Carlo error is about 2% at this ESS).
    """
    for name, (m0, s0) in PRIORS.items():
        idata = normal_fits[name]
        draws = _compat.get_group(idata, "posterior")["mu"].values
        checks = diagnose(idata)
        assert checks.passed, (name, checks)
        mean, sd = _exact(m0, s0)
        mcse = draws.std() / math.sqrt(checks.ess_bulk_min)
        assert abs(draws.mean() - mean) < 4 * mcse, name
        assert draws.std() == pytest.approx(sd, rel=0.05), name


def test_batch_records_each_fits_data_and_provenance(normal_fits):
    for name, (m0, s0) in PRIORS.items():
        idata = normal_fits[name]
        constants = _compat.get_group(idata, "constant_data")
        assert float(constants["prior_mean"]) == m0
        assert float(constants["prior_sd"]) == s0
        assert _compat.get_group(idata, "posterior").attrs["sampler_backend"] == "blackjax"
        stats = _compat.get_group(idata, "sample_stats")
        assert {"diverging", "lp", "n_steps", "tree_depth", "acceptance_rate", "energy",
                "step_size"} <= set(stats.data_vars)
        assert stats["diverging"].dtype == bool
        assert stats.sizes == {"chain": 4, "draw": 1000}


def test_same_seed_same_draws_and_no_recompilation(normal_compiled, normal_fits):
    before = cache_info().compilations
    data = {"prior_mean": 0.0, "prior_sd": 10.0}
    again = normal_compiled.sample_many({"flat": data}, settings=SETTINGS, seed=3)["flat"]
    other = normal_compiled.sample(data, settings=SETTINGS, seed=4)
    a = _compat.get_group(again, "posterior")["mu"].values
    assert np.array_equal(
        a, _compat.get_group(normal_compiled.sample(data, settings=SETTINGS, seed=3),
                             "posterior")["mu"].values
    )
    assert not np.array_equal(a, _compat.get_group(other, "posterior")["mu"].values)
    assert cache_info().compilations == before


def test_tree_depth_cap_is_respected(normal_compiled):
    capped = SamplerSettings(draws=200, tune=200, chains=2, backend="blackjax",
                             max_treedepth=1)
    idata = normal_compiled.sample({"prior_mean": 0.0, "prior_sd": 10.0}, settings=capped,
                                   seed=1)
    stats = _compat.get_group(idata, "sample_stats")
    assert int(stats["tree_depth"].max()) <= 1
    assert int(stats["n_steps"].max()) <= 1


@pytest.mark.parametrize(
    ("chains", "cores"),
    [(2, 1),   # one device: the program is jit-compiled, not split over devices
     (3, None)],  # three rows over the machine's devices: padded to a multiple of them
)
def test_device_layouts_give_the_same_posterior(normal_compiled, chains, cores):
    """Every layout of rows over devices returns each chain's draws in place.

    The flat prior's exact posterior is N(1.20, 0.45^2); 500 draws per chain have a
    Monte Carlo SE of the mean of about 0.02-0.03, so 0.15 is a loose bound that still
    fails if chains were mixed up with padding rows or another data set.
    """
    settings = SamplerSettings(draws=500, tune=300, chains=chains, cores=cores,
                               backend="blackjax")
    idata = normal_compiled.sample({"prior_mean": 0.0, "prior_sd": 10.0}, settings=settings,
                                   seed=5)
    draws = _compat.get_group(idata, "posterior")["mu"]
    assert draws.sizes == {"chain": chains, "draw": 500}
    mean, _ = _exact(0.0, 10.0)
    for chain in range(chains):
        assert abs(float(draws.isel(chain=chain).mean()) - mean) < 0.15, chain
    assert len(np.unique(draws.values[:, -1])) == chains  # no chain is a copy of another


def test_one_device_or_several_give_identical_draws(normal_compiled):
    """Each chain's key and starting point are fixed before the rows are split over
    devices, so a fit's draws do not depend on its layout beyond rounding: XLA vectorises
    the arithmetic over a different number of rows, which moves the last bits (about
    1e-11 here). The tolerance, 1e-8, is far below any Monte Carlo error and far above
    that rounding; a chain mixed up with another or with a padding row differs by O(1)."""
    draws = []
    for cores in (1, 2):
        settings = SamplerSettings(draws=200, tune=200, chains=4, cores=cores,
                                   backend="blackjax")
        idata = normal_compiled.sample({"prior_mean": 0.0, "prior_sd": 10.0},
                                       settings=settings, seed=11)
        draws.append(_compat.get_group(idata, "posterior")["mu"].to_numpy())
    np.testing.assert_allclose(draws[0], draws[1], rtol=1e-8, atol=1e-8)


def test_a_batch_sorted_over_devices_gives_each_fit_its_one_device_draws(normal_compiled):
    """On several devices the rows are sorted by their adapted trajectory length before
    the draws (``_by_cost``) and put back after; on one device they are not moved. The
    three priors' twelve chains differ in cost, so the sort moves them, and every fit's
    draws must still be its own: same tolerance and reasoning as the test above."""
    data = {name: {"prior_mean": m0, "prior_sd": s0} for name, (m0, s0) in PRIORS.items()}
    draws = []
    for cores in (1, 2):
        settings = SamplerSettings(draws=200, tune=200, chains=4, cores=cores,
                                   backend="blackjax")
        fits = normal_compiled.sample_many(data, settings=settings, seed=13)
        draws.append(np.stack([_compat.get_group(fits[name], "posterior")["mu"].to_numpy()
                               for name in PRIORS]))
    np.testing.assert_allclose(draws[0], draws[1], rtol=1e-8, atol=1e-8)


def test_batches_use_one_device_per_core_and_leave_one_for_short_programs():
    """JAX gets a device per core for the samplers plus one, whose thread runs the
    starting-point checks of a batch while another batch holds every core.

    A fresh process, because JAX fixes its devices at its first computation.
    """
    import os
    import subprocess
    import sys

    code = (
        "from bayes_scot.fitting.jax_runtime import jax_runtime, sampling_devices\n"
        "jax = jax_runtime()\n"
        "print(jax.local_device_count(), sampling_devices())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    cores = os.cpu_count() or 1
    assert out.stdout.split() == [str(cores + 1), str(cores)]


def _sampler_selects(model: pm.Model) -> int:
    """Select operations in the traced sampler of ``model`` (4 rows, one device)."""
    backend = BlackjaxBackend(model)
    settings = SamplerSettings(draws=5, tune=5, chains=2, backend="blackjax")
    program = backend._build_program(settings, 1, 4)
    return str(program.trace(*backend._shapes(4)).jaxpr).count("select_n")


def test_the_sampler_moves_one_vector_whatever_the_number_of_variables(monkeypatch):
    """The sampler's state is one flat vector, so three scalar variables cost the
    sampler's steps what one variable of three elements costs: the same number of
    select operations (with a list of arrays, BlackJAX selects each array separately
    and the three-variable sampler had twice as many)."""
    from bayes_scot.fitting import exported

    monkeypatch.setenv(exported.ENVIRONMENT_VARIABLE, "0")  # trace, do not read
    with pm.Model() as vector:
        pm.Normal("abc", 0.0, 1.0, shape=3)
    with pm.Model() as scalars:
        for name in "abc":
            pm.Normal(name, 0.0, 1.0)
    assert _sampler_selects(scalars) == _sampler_selects(vector)


@pytest.mark.slow
def test_each_variable_gets_its_own_draws_from_the_flat_vector():
    """Variables of several shapes go into the sampler's vector and come back in place.

    A prior-only model with separated exact answers: ``a`` ~ N(10, 1), ``b`` (2 x 3)
    ~ N(m, 0.1) with means -5 to 5 in steps of 2, ``c`` ~ N(-20, 2). With 4 x 500 draws the
    Monte Carlo error of each mean is under 0.1 SD, so 0.5 SD is generous, while a
    variable given another's elements (or the transposed means) misses by at least 10 SD.
    """
    means = np.arange(-5.0, 6.0, 2.0).reshape(2, 3)
    with pm.Model() as model:
        pm.Normal("a", 10.0, 1.0)
        pm.Normal("b", means, 0.1, shape=(2, 3))
        pm.Normal("c", -20.0, 2.0)
    settings = SamplerSettings(draws=500, tune=300, chains=4, backend="blackjax")
    posterior = _compat.get_group(
        compile_model(model, backend="blackjax").sample(settings=settings, seed=5),
        "posterior")
    assert posterior["b"].shape == (4, 500, 2, 3)
    assert float(posterior["a"].mean()) == pytest.approx(10.0, abs=0.5)
    np.testing.assert_allclose(posterior["b"].mean(("chain", "draw")).values, means, atol=0.05)
    assert float(posterior["c"].mean()) == pytest.approx(-20.0, abs=1.0)
    assert float(posterior["b"].std(("chain", "draw")).mean()) == pytest.approx(0.1, rel=0.2)


def test_tuning_is_required(normal_compiled):
    with pytest.raises(ValueError, match="tune must be at least 1"):
        normal_compiled.sample(settings=SamplerSettings(tune=0, backend="blackjax"), seed=1)


def test_constrained_variables_dims_and_deterministics():
    """A positive scale is back-transformed, and named dims and deterministics are kept.

    Simulated data (not trial data): 3 groups of 30 observations, N(group mean, 1.5^2).
    The posterior of the shared SD is near 1.5: with 87 degrees of freedom its posterior
    SD is about 0.12, so 1.5 +- 0.4 is generous yet fails a log-scale mix-up (e^1.5).
    """
    rng = np.random.default_rng(7)
    groups = np.repeat(np.arange(3), 30)
    y = rng.normal(np.array([-1.0, 0.0, 2.0])[groups], 1.5)
    with pm.Model(coords={"group": ["a", "b", "c"]}) as model:
        y_data = pm.Data("y", y)
        sd = pm.HalfNormal("sd", 5.0)
        mean = pm.Normal("mean", 0.0, 5.0, dims="group")
        pm.Deterministic("spread", mean.max() - mean.min())
        pm.Normal("obs", mean[groups], sd, observed=y_data)
    idata = compile_model(model, backend="blackjax").sample(settings=SETTINGS, seed=2)
    posterior = _compat.get_group(idata, "posterior")
    assert set(posterior.data_vars) == {"sd", "mean", "spread"}
    assert posterior["mean"].dims == ("chain", "draw", "group")
    assert list(posterior["group"].values) == ["a", "b", "c"]
    assert float(posterior["sd"].min()) > 0
    assert float(posterior["sd"].mean()) == pytest.approx(1.5, abs=0.4)
    np.testing.assert_allclose(
        posterior["spread"].values,
        posterior["mean"].max("group").values - posterior["mean"].min("group").values,
        rtol=1e-12,
    )
    assert diagnose(idata).passed


def test_log_likelihood_only_for_the_fits_named(normal_compiled):
    """The pointwise log-likelihood is added to the named fit only, and is the normal
    log density of each observation at each draw.

    Tolerance 1e-8 absolute: PyMC's normalising constant of the normal density differs
    from SciPy's by 2e-9; a wrong draw, observation or scale changes the value by far more.
    """
    from scipy import stats

    settings = SamplerSettings(draws=100, tune=100, chains=2, backend="blackjax")
    data = {name: {"prior_mean": m0, "prior_sd": s0} for name, (m0, s0) in PRIORS.items()}
    fits = normal_compiled.sample_many(data, settings=settings, seed=9,
                                       log_likelihood="sceptical")
    assert [_compat.has_group(idata, "log_likelihood") for idata in fits.values()] == [
        False, True, False
    ]
    terms = _compat.get_group(fits["sceptical"], "log_likelihood")["obs"].values
    mu = _compat.get_group(fits["sceptical"], "posterior")["mu"].values
    assert terms.shape == (2, 100, len(Y))
    for chain, draw in [(0, 0), (1, 57)]:
        np.testing.assert_allclose(
            terms[chain, draw], stats.norm.logpdf(Y, mu[chain, draw], SIGMA), rtol=0, atol=1e-8
        )


def test_the_compilation_cache_keeps_programs_that_compile_fast(tmp_path):
    """A program compiled in well under JAX's default threshold of one second (a scalar
    function) is written to the on-disk cache that :func:`jax_runtime` configures, so
    that the next process loads it instead of compiling it again.

    A fresh process, because JAX reads its cache settings at its first compilation.
    """
    import os
    import subprocess
    import sys

    code = (
        "from bayes_scot.fitting.jax_runtime import jax_runtime\n"
        "jax = jax_runtime()\n"
        "print(float(jax.jit(lambda x: x * 2.0 + 1.0)(3.0)))\n"
    )
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={tmp_path}"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120, env=env)
    assert out.stdout.split() == ["7.0"]
    assert any(path.name.startswith("jit_") for path in (tmp_path / "jax").iterdir())
