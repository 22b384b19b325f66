"""Vectorised diagnostics of a batch of fits against ArviZ, and the study's bookkeeping."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pytest

from bayes_scot.calibration.store import ChunkStore
from bayes_scot.calibration.study import StudyPlan, chunk_sizes, eta
from bayes_scot.errors import SpecError
from bayes_scot.fitting.batch_diagnostics import batch_ess_bulk, batch_rhat


def _chains(seed: int) -> np.ndarray:
    """Autocorrelated chains, some with a shifted chain (R-hat well above 1)."""
    rng = np.random.default_rng(seed)
    x = 0.1 * np.cumsum(rng.normal(size=(12, 4, 250)), axis=-1) + rng.normal(size=(12, 4, 250))
    x[:4, 0] += 1.0
    return x


def test_rhat_equals_arviz() -> None:
    x = _chains(0)
    expected = [float(az.rhat(x[i])) for i in range(len(x))]
    np.testing.assert_allclose(batch_rhat(x), expected, rtol=1e-12)
    assert batch_rhat(x)[:4].min() > 1.05  # the shifted chains are detected


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ess_bulk_equals_arviz(seed: int) -> None:
    # The same estimator, truncation and last-lag rule as ArviZ; only the FFT length
    # differs, so the two agree to rounding.
    rng = np.random.default_rng(seed)
    x = np.concatenate([
        _chains(seed),
        rng.normal(size=(3, 4, 250)),                                  # no autocorrelation
        np.cumsum(rng.normal(size=(3, 4, 250)), axis=-1),              # strong
        np.repeat(rng.normal(size=(3, 4, 125)), 2, axis=-1),           # lag-1 pairs
        -np.cumprod(np.full((3, 4, 250), -1.0), axis=-1) + rng.normal(0, 0.1, (3, 4, 250)),
    ])
    expected = np.array([float(az.ess(x[i], method="bulk")) for i in range(len(x))])
    np.testing.assert_allclose(batch_ess_bulk(x), expected, rtol=1e-9)


def test_constant_draws_have_no_diagnostics() -> None:
    x = np.ones((2, 4, 100))
    assert np.isnan(batch_ess_bulk(x)).all()


def _plan(**changes: object) -> StudyPlan:
    fields: dict[str, object] = {
        "spec": "scot_itt", "family": "composite", "mode": "sbc", "simulations": 7,
        "chunk_size": 3, "seed": 1, "settings": {"draws": 10},
    }
    return StudyPlan(**(fields | changes))  # type: ignore[arg-type]


def test_chunks_cover_every_simulation_once() -> None:
    assert chunk_sizes(7, 3) == [3, 3, 1]
    assert [c[2] for c in _plan().chunks] == [3, 3, 1]
    oc = _plan(mode="oc", effects=(1.0, 0.5))
    assert [(c[1], c[2]) for c in oc.chunks] == [(0, 3), (0, 3), (0, 1), (1, 3), (1, 3),
                                                  (1, 1)]
    with pytest.raises(SpecError, match="positive"):
        chunk_sizes(0, 3)


def test_eta_extrapolates_the_mean_chunk_time() -> None:
    assert eta(2, 6, 30.0) == "2/6 chunks, 0:30 elapsed, ETA 1:00"
    assert eta(0, 6, 0.0).endswith("ETA unknown")


def test_store_keeps_finished_chunks_and_refuses_another_study(tmp_path) -> None:
    store = ChunkStore(tmp_path / "study")
    store.open(_plan().describe(), resume=False)
    store.write(1, pd.DataFrame({"chunk": [1, 1], "x": [0.5, 1.5]}))
    store.write(0, pd.DataFrame({"chunk": [0], "x": [2.5]}))
    assert store.finished() == [0, 1]
    assert store.read()["x"].tolist() == [2.5, 0.5, 1.5]
    assert not list(store.chunks.glob(".*"))  # no temporary file left behind
    with pytest.raises(SpecError, match="--resume"):
        ChunkStore(tmp_path / "study").open(_plan().describe(), resume=False)
    with pytest.raises(SpecError, match="different study"):
        ChunkStore(tmp_path / "study").open(_plan(seed=2).describe(), resume=True)
    ChunkStore(tmp_path / "study").open(_plan().describe(), resume=True)


@pytest.mark.slow
def test_simulation_mode_has_the_draws_and_gate_of_inference_data() -> None:
    """sample_arrays and sample_many run the same batch: same draws, same diagnostics."""
    from bayes_scot.fitting import SamplerSettings, compile_model, diagnose
    from bayes_scot.reanalysis import build_family
    from bayes_scot.spec import load_spec

    builder, _ = build_family(load_spec("scot_itt"), "composite")
    compiled = compile_model(builder.model, backend="blackjax", key=builder.structure_key)
    # The settings and batch size of the composite studies of test_calibration_study,
    # so that the process compiles one batch program for both.
    settings = SamplerSettings(draws=250, tune=250, chains=4, backend="blackjax",
                               target_accept=0.95)
    datasets = [{"grcs_estimate": np.asarray(v)} for v in np.linspace(-0.3, 0.5, 20)]
    batch = compiled.sample_arrays(datasets, settings=settings, seed=5,
                                   var_names=["net_benefit", "win_probability"])
    fits = compiled.sample_many({str(i): d for i, d in enumerate(datasets)},
                                settings=settings, seed=5)
    for i, idata in enumerate(fits.values()):
        posterior = idata.posterior
        np.testing.assert_allclose(batch.draws["net_benefit"][i],
                                   posterior["net_benefit"].values, rtol=1e-12)
        np.testing.assert_allclose(batch.draws["win_probability"][i],
                                   posterior["win_probability"].values, rtol=1e-12)
        gate = diagnose(idata, var_names=["net_benefit"])
        assert batch.rhat_max[i] == pytest.approx(gate.rhat_max, rel=1e-9)
        assert batch.ess_bulk_min[i] == pytest.approx(gate.ess_bulk_min, rel=0.02)
        assert batch.divergences[i] == gate.divergences


def test_diagnose_equals_arviz_over_every_element() -> None:
    # diagnose() runs the batch estimators over every element of every variable; the
    # worst R-hat and ESS must be ArviZ's, with constant elements skipped.
    from bayes_scot.fitting import diagnose

    rng = np.random.default_rng(4)
    chains = _chains(5)
    curve = np.stack([np.ones((4, 250)), *chains[4:7]], axis=-1)  # element 0 constant
    posterior = {
        "mu": chains[0],
        "beta": np.moveaxis(chains[7:10], 0, -1),
        "curve": curve,
        "flat": np.full((4, 250), 2.0),
        "noise": rng.normal(size=(4, 250, 2, 3)),
    }
    idata = az.from_dict(posterior=posterior,
                         sample_stats={"diverging": np.zeros((4, 250), dtype=bool)})
    varying = idata.posterior[["mu", "beta", "curve", "noise"]]
    with np.errstate(divide="ignore", invalid="ignore"):
        rhat, ess = az.rhat(varying), az.ess(varying, method="bulk")
    rhat_values = np.concatenate([np.ravel(rhat[v].values) for v in varying.data_vars])
    ess_values = np.concatenate([np.ravel(ess[v].values) for v in varying.data_vars])
    found = diagnose(idata)
    assert found.rhat_max == pytest.approx(np.nanmax(rhat_values[np.isfinite(rhat_values)]),
                                           rel=1e-12)
    assert found.rhat_max > 1.05  # the shifted chain of mu
    finite = np.isfinite(ess_values) & (ess_values < 4 * 250)  # ArviZ gives n for constants
    assert found.ess_bulk_min == pytest.approx(ess_values[finite].min(), rel=1e-9)
    assert found.divergences == 0
