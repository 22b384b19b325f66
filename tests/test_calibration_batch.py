"""A calibration study's bookkeeping: chunks, progress and the store of finished chunks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayes_scot.calibration.store import ChunkStore
from bayes_scot.calibration.study import StudyPlan, chunk_sizes, eta
from bayes_scot.errors import SpecError


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
