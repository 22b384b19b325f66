"""Tests of the fitting layer: settings, compile cache, data swaps, determinism, diagnostics.

The slow tests compile one small binomial model (two arms, a treatment effect with a
data-valued normal prior) for each backend once per session.
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pymc as pm
import pytensor
import pytest
import xarray as xr

from bayes_scot import _compat
from bayes_scot.fitting import (
    CompiledModel,
    Diagnostics,
    SamplerSettings,
    cache_info,
    compile_model,
    diagnose,
)
from bayes_scot.fitting.backends import Backend, DataPack
from bayes_scot.fitting.compiled import CompiledModel as _Bound
from bayes_scot.fitting.deterministics import DeterministicsFunction
from bayes_scot.fitting.numba_cache import numba_optimisation

FAST = SamplerSettings(draws=300, tune=300, chains=2)


def _toy_model(events=(10, 20)) -> pm.Model:
    """Two arms; log-odds of an event with a treatment effect whose prior is data."""
    with pm.Model(coords={"arm": ["hsct", "cyc"]}) as model:
        prior_mean = pm.Data("effect_prior_mean", 0.0)
        prior_sd = pm.Data("effect_prior_sd", 1.0)
        events_data = pm.Data("events", np.asarray(events), dims="arm")
        n = pm.Data("n", np.array([36, 39]), dims="arm")
        baseline = pm.Normal("baseline", 0.0, 1.5)
        effect = pm.Normal("effect", prior_mean, prior_sd)
        p = pm.Deterministic(
            "p", pm.math.invlogit(baseline + effect * np.array([1.0, 0.0])), dims="arm"
        )
        pm.Binomial("observed_events", n=n, p=p, observed=events_data, dims="arm")
    return model


# -- fast ---------------------------------------------------------------------------------
def test_settings_defaults_match_the_documented_interface():
    s = SamplerSettings()
    assert (s.draws, s.tune, s.chains, s.target_accept, s.backend, s.max_treedepth,
            s.progressbar) == (1000, 1000, 4, 0.9, "nutpie", 10, False)
    assert 1 <= s.n_cores <= 4


@pytest.mark.parametrize(
    "kwargs",
    [{"draws": 0}, {"chains": -1}, {"target_accept": 1.0}, {"backend": "stan"}, {"cores": 0},
     {"max_treedepth": 0}, {"max_treedepth": 21}, {"max_treedepth": 5.0}],
)
def test_settings_reject_bad_values(kwargs):
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        SamplerSettings(**kwargs)


def test_diagnostics_thresholds():
    assert Diagnostics(1.01, 400.0, 0).passed
    assert not Diagnostics(1.011, 4000.0, 0).passed
    assert not Diagnostics(1.0, 399.0, 0).passed
    assert not Diagnostics(1.0, 4000.0, 1).passed
    assert "FAILED" in str(Diagnostics(1.2, 50.0, 3))


def test_diagnose_detects_unmixed_chains_and_divergences():
    rng = np.random.default_rng(3)
    good = rng.normal(size=(4, 500))
    bad = good + np.array([0.0, 0.0, 0.0, 3.0])[:, None]  # one chain stuck elsewhere
    diverging = np.zeros((4, 500), dtype=bool)
    diverging[1, 7] = True
    idata = az.from_dict(
        posterior={"good": good, "bad": bad, "constant": np.ones((4, 500))},
        sample_stats={"diverging": diverging},
    )
    assert diagnose(idata, var_names=["good"]).rhat_max < 1.01
    result = diagnose(idata)
    assert result.rhat_max > 1.1
    assert result.divergences == 1
    assert np.isfinite(result.ess_bulk_min)  # the constant variable is skipped, not NaN


def test_compat_groups_round_trip():
    idata = az.from_dict(posterior={"x": np.zeros((2, 3))})
    assert _compat.has_group(idata, "posterior")
    assert not _compat.has_group(idata, "constant_data")
    _compat.add_group(idata, "constant_data", _compat.get_group(idata, "posterior"))
    assert "x" in _compat.get_group(idata, "constant_data")
    with pytest.raises(KeyError, match="no 'prior' group"):
        _compat.get_group(idata, "prior")


def test_compat_set_data_keeps_dtype_and_rejects_unknown_names():
    model = _toy_model()
    dtype = model["events"].get_value().dtype
    _compat.set_data(model, {"events": [1.0, 2.0]})
    assert model["events"].get_value().dtype == dtype
    assert _compat.data_values(model)["events"].tolist() == [1, 2]
    with pytest.raises(KeyError, match="not a data container"):
        _compat.set_data(model, {"nope": 1.0})


def _logp_function(model: pm.Model):
    """The model's joint log density, called with values by name (Python linker)."""
    fn = pytensor.function(model.value_vars, model.logp(), mode="FAST_COMPILE")
    names = [v.name for v in model.value_vars]
    return lambda point: fn(*(point[name] for name in names))


def test_data_pack_leaves_the_log_density_unchanged():
    """Every container becomes a slice of one vector; integer containers stay integers."""
    model = _toy_model(events=(7, 21))
    pack = DataPack(model)
    assert {slot.name for slot in pack.slots} == set(_compat.data_names(model))
    assert {s.name: s.dtype.kind for s in pack.slots}["events"] == "i"
    original, packed = _logp_function(model), _logp_function(pack.model)
    rng = np.random.default_rng(5)
    for _ in range(3):
        point = dict(zip(("baseline", "effect"), rng.normal(size=2), strict=True))
        assert packed(point) == pytest.approx(original(point), rel=1e-14)


def test_data_pack_packs_values_by_name():
    model = _toy_model()
    pack = DataPack(model)
    values = dict(_compat.data_values(model), n=np.array([40, 41]), effect_prior_sd=2.5)
    vector = pack.pack(values)
    assert vector.shape == (sum(int(np.size(v)) for v in values.values()),)
    for slot in pack.slots:
        np.testing.assert_array_equal(
            vector[slot.start : slot.stop].reshape(slot.shape), values[slot.name]
        )


def test_deterministics_for_all_draws_equal_draw_by_draw_values():
    """The batched evaluation equals PyMC's own per-draw function, with dims and coords."""
    model = _toy_model()
    rng = np.random.default_rng(2)
    posterior = xr.Dataset(
        {"baseline": (("chain", "draw"), rng.normal(size=(2, 50))),
         "effect": (("chain", "draw"), rng.normal(size=(2, 50)))},
        coords={"chain": [0, 1], "draw": np.arange(50)},
    )
    derived = DeterministicsFunction(model)(posterior)
    assert derived["p"].dims == ("chain", "draw", "arm")
    assert derived["p"].coords["arm"].values.tolist() == ["hsct", "cyc"]
    per_draw = pytensor.function(model.free_RVs, model["p"], mode="FAST_COMPILE")
    for chain, draw in [(0, 0), (1, 17), (1, 49)]:
        expected = per_draw(posterior["baseline"].values[chain, draw],
                            posterior["effect"].values[chain, draw])
        np.testing.assert_allclose(derived["p"].values[chain, draw], expected, rtol=1e-14)


class _RecordingBackend(Backend):
    """Samples nothing: records the data each fit saw, returns one draw of zeros."""

    name = "nutpie"

    def __init__(self, template):
        super().__init__(template)
        self.seen = []

    def sample(self, values, settings, seed):
        self.seen.append({k: np.array(v) for k, v in _compat.data_values(self.template).items()})
        return az.from_dict(posterior={"baseline": np.zeros((1, 1)), "effect": np.zeros((1, 1))})


def test_a_fit_never_inherits_the_data_of_an_earlier_fit():
    """Containers a fit does not name take the built values, not the previous fit's."""
    model = _toy_model()
    bound = _Bound(model, _RecordingBackend(model))
    first = bound.sample({"effect_prior_sd": 0.0001, "events": [0, 0]}, seed=1)
    second = bound.sample(seed=1)  # names nothing: the model as built
    third = bound.sample({"effect_prior_mean": 2.0}, seed=1)
    seen = bound._core.seen
    assert seen[0]["effect_prior_sd"] == 0.0001
    assert seen[0]["events"].tolist() == [0, 0]
    for fit, values in ((second, seen[1]), (third, seen[2])):
        constants = _compat.get_group(fit, "constant_data")
        assert values["effect_prior_sd"] == 1.0
        assert constants["effect_prior_sd"] == 1.0
        assert values["events"].tolist() == [10, 20]
        assert constants["events"].values.tolist() == [10, 20]
    assert seen[2]["effect_prior_mean"] == 2.0
    assert _compat.get_group(first, "constant_data")["effect_prior_sd"] == 0.0001
    # The bound model shows the last fit's values, as pymc.set_data would.
    assert float(model["effect_prior_mean"].get_value()) == 2.0


# -- slow ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def toy_compiled() -> CompiledModel:
    return compile_model(_toy_model(), key=("tests", "toy-binomial"))


@pytest.fixture(scope="session")
def toy_fit(toy_compiled):
    return toy_compiled.sample(settings=FAST, seed=11)


@pytest.mark.slow
def test_posterior_keeps_named_dims_and_deterministics(toy_fit):
    posterior = _compat.get_group(toy_fit, "posterior")
    assert posterior["p"].dims == ("chain", "draw", "arm")
    assert list(posterior["arm"].values) == ["hsct", "cyc"]
    assert posterior.attrs["sampler_backend"] == "nutpie"
    constants = _compat.get_group(toy_fit, "constant_data")
    assert constants["events"].values.tolist() == [10, 20]
    # 600 draws of two correlated parameters: R-hat near 1 but ESS below the 400 of a
    # full fit, so only R-hat and divergences are checked here.
    checks = diagnose(toy_fit)
    assert checks.rhat_max < 1.05
    assert checks.divergences == 0


@pytest.mark.slow
def test_same_seed_gives_identical_draws(toy_compiled, toy_fit):
    again = toy_compiled.sample(settings=FAST, seed=11)
    other = toy_compiled.sample(settings=FAST, seed=12)
    a = _compat.get_group(toy_fit, "posterior")["effect"].values
    assert np.array_equal(a, _compat.get_group(again, "posterior")["effect"].values)
    assert not np.array_equal(a, _compat.get_group(other, "posterior")["effect"].values)


@pytest.mark.slow
def test_changing_prior_and_data_does_not_recompile(toy_compiled, toy_fit):
    before = cache_info().compilations
    tight = toy_compiled.sample(
        {"effect_prior_mean": 2.0, "effect_prior_sd": 0.05}, settings=FAST, seed=11
    )
    effect = _compat.get_group(tight, "posterior")["effect"].values
    # a N(2, 0.05) prior dominates 75 patients: the posterior stays within ~4 prior SDs.
    assert abs(effect.mean() - 2.0) < 0.2
    # A second model object with other data but the same structure key shares the
    # compilation, and its own data are used.
    shifted = compile_model(_toy_model(events=(30, 5)), key=("tests", "toy-binomial"))
    fit = shifted.sample(settings=FAST, seed=11)
    p = _compat.get_group(fit, "posterior")["p"].mean(("chain", "draw")).values
    # 30/36 vs 5/39, shrunk towards each other by the N(0, 1) effect prior; with the
    # first model's data (10/36 vs 20/39) the order would be reversed.
    assert p[0] > 0.6
    assert p[1] < 0.3
    assert cache_info().compilations == before


@pytest.mark.slow
def test_a_fit_after_a_tight_prior_gets_the_built_prior(toy_compiled, toy_fit):
    """A fit naming no prior after one with N(2, 0.05) uses the model's own N(0, 1)."""
    toy_compiled.sample({"effect_prior_mean": 2.0, "effect_prior_sd": 0.05},
                        settings=FAST, seed=11)
    after = toy_compiled.sample(settings=FAST, seed=11)
    constants = _compat.get_group(after, "constant_data")
    assert float(constants["effect_prior_mean"]) == 0.0
    assert float(constants["effect_prior_sd"]) == 1.0
    # Same seed, same data as the first fit: the same draws, bit for bit.
    np.testing.assert_array_equal(_compat.get_group(after, "posterior")["effect"].values,
                                  _compat.get_group(toy_fit, "posterior")["effect"].values)


@pytest.mark.slow
def test_structure_key_collision_is_refused(toy_compiled):
    with pm.Model() as other:
        pm.Normal("z")
    with pytest.raises(ValueError, match="different structure"):
        compile_model(other, key=("tests", "toy-binomial"))


@pytest.mark.slow
def test_unknown_or_misshaped_data_are_refused(toy_compiled):
    with pytest.raises(KeyError, match="not a data container"):
        toy_compiled.sample({"effect_prior_median": 0.0}, settings=FAST, seed=1)
    with pytest.raises(ValueError, match="shape"):
        toy_compiled.sample({"events": [1, 2, 3]}, settings=FAST, seed=1)


@pytest.mark.slow
def test_posterior_predictive_uses_fitted_data(toy_compiled, toy_fit):
    pp = toy_compiled.posterior_predictive(toy_fit, seed=5)
    draws = _compat.get_group(pp, "posterior_predictive")["observed_events"]
    assert draws.dims == ("chain", "draw", "arm")
    # posterior predictive mean of events is near the observed 10/36 and 20/39
    # (within 3 events: the posterior predictive SD is about 3-4 events).
    assert np.allclose(draws.mean(("chain", "draw")).values, [10, 20], atol=3)


@pytest.mark.slow
def test_pymc_fallback_agrees_with_nutpie(toy_compiled, toy_fit):
    settings = SamplerSettings(draws=300, tune=300, chains=2, backend="pymc")
    fit = toy_compiled.sample(settings=settings, seed=11)
    again = toy_compiled.sample(settings=settings, seed=11)
    a = _compat.get_group(fit, "posterior")
    assert a["p"].dims == ("chain", "draw", "arm")
    repeat = _compat.get_group(again, "posterior")
    assert np.array_equal(a["effect"].values, repeat["effect"].values)
    b = _compat.get_group(toy_fit, "posterior")
    # Two samplers, 600 draws each: posterior means agree within ~4 Monte Carlo SEs
    # (posterior SD of the effect is about 0.5, ESS several hundred: MCSE about 0.03).
    assert abs(float(a["effect"].mean()) - float(b["effect"].mean())) < 0.15


def test_numba_optimisation_level_is_scoped_and_respects_the_environment(monkeypatch):
    from numba.core import config

    before = int(config.OPT)
    monkeypatch.delenv("NUMBA_OPT", raising=False)
    with numba_optimisation(1):
        assert int(config.OPT) == 1
    assert int(config.OPT) == before
    monkeypatch.setenv("NUMBA_OPT", "2")
    with numba_optimisation(1):
        assert int(config.OPT) == before  # an explicit NUMBA_OPT is left alone
