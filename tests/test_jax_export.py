"""Tests of the store of exported JAX samplers (bayes_scot.fitting.exported).

A toy model (a normal mean and scale, 20 simulated observations, not trial data) is
sampled with a few tuning steps and draws: enough to run the whole sampler program,
which is what is stored. The tests that trace and compile it are marked slow. Every test
stores into a temporary folder, never the user's cache.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

from bayes_scot.fitting import SamplerSettings, exported
from bayes_scot.fitting.backends.blackjax import BlackjaxBackend

SETTINGS = SamplerSettings(draws=10, tune=20, chains=2, backend="blackjax")

# Simulated observations (not trial data).
Y = np.random.default_rng(18).normal(1.5, 2.0, size=20)


def _model(weights: np.ndarray | None = None) -> pm.Model:
    """y_i ~ N(mu, (sd * w_i)^2) with constant weights w folded into the graph."""
    w = np.ones(len(Y)) if weights is None else weights
    with pm.Model() as model:
        m0 = pm.Data("prior_mean", 0.0)
        y = pm.Data("y", Y)
        mu = pm.Normal("mu", m0, 5.0)
        sd = pm.HalfNormal("sd", 3.0)
        pm.Normal("obs", mu, sd * w, observed=y)
    return model


DATA = [{"prior_mean": 0.0, "y": Y}, {"prior_mean": 1.0, "y": Y}]


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A private, empty store."""
    monkeypatch.delenv(exported.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setattr(exported, "folder", lambda: tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A private store holding the toy model's sampler, and the draws it gave."""
    folder = tmp_path_factory.mktemp("store")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(exported.ENVIRONMENT_VARIABLE, raising=False)
        patch.setattr(exported, "folder", lambda: folder)
        draws = _draws(BlackjaxBackend(_model()))
    return folder, draws


def _draws(backend: BlackjaxBackend, settings: SamplerSettings = SETTINGS) -> list[np.ndarray]:
    positions, _, _ = backend._run(DATA, settings, seed=5)
    return positions


def _key(backend: BlackjaxBackend, settings: SamplerSettings = SETTINGS, rows: int = 4) -> str:
    import jax

    shapes = [jax.ShapeDtypeStruct((rows, backend._pack.size), np.float64)]
    return backend._program_key(settings, 2, shapes)


def test_key_changes_with_constants_settings_and_shapes():
    """Same model, same key; another folded constant, setting or shape, another key."""
    weights = np.ones(len(Y))
    base = _key(BlackjaxBackend(_model(weights)))
    assert _key(BlackjaxBackend(_model(weights.copy()))) == base
    changed = weights.copy()
    changed[7] = 1.0 + 1e-12  # one element of a constant array, in the last digits
    assert _key(BlackjaxBackend(_model(changed))) != base
    backend = BlackjaxBackend(_model(weights))
    assert _key(backend, SamplerSettings(draws=11, tune=20, chains=2)) != base
    assert _key(backend, SamplerSettings(draws=10, tune=20, chains=2,
                                         max_treedepth=5)) != base
    assert _key(backend, rows=6) != base


def test_key_changes_with_the_sampler_source(tmp_path):
    """The source files of the modules that build the sampler enter the key."""
    import types

    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_text("x = 1\n")
    second.write_text("x = 2\n")
    modules = [types.ModuleType("m"), types.ModuleType("m")]
    modules[0].__file__, modules[1].__file__ = str(first), str(second)
    keys = {exported.program_key("digest", {"draws": 1}, [], [m]) for m in modules}
    assert len(keys) == 2


def _graph(weights: np.ndarray, op: str = "exp", shared: bool = False):
    """A small PyTensor graph of one input and constant weights (not a model)."""
    import pytensor
    import pytensor.tensor as pt

    x = pt.tensor("x", dtype="float64", shape=(len(weights),))
    w = pytensor.shared(weights) if shared else pt.constant(weights)
    return [x], [getattr(pt, op)(x * w).sum()]


def test_graph_digest_names_operations_wiring_and_constants():
    """Same graph, same digest; another constant, operation or leaf, another (or none)."""
    weights = np.linspace(0.5, 1.5, 7)
    base = exported.graph_digest(*_graph(weights))
    assert base is not None
    assert len(base) == 64
    assert exported.graph_digest(*_graph(weights.copy())) == base
    changed = weights.copy()
    changed[3] += 1e-12  # one element of a constant, in its last digits
    assert exported.graph_digest(*_graph(changed)) != base
    assert exported.graph_digest(*_graph(weights, op="log")) != base
    assert exported.graph_digest(*_graph(weights.astype(np.float32))) != base
    # A shared variable's value can change after the digest: no digest at all.
    assert exported.graph_digest(*_graph(weights, shared=True)) is None


def test_graph_digest_is_the_same_in_another_process():
    """No memory address or other per-process text enters the digest (the store's premise)."""
    import subprocess
    import sys

    code = (
        "import numpy as np; from tests.test_jax_export import _graph;"
        "from bayes_scot.fitting import exported;"
        "print(exported.graph_digest(*_graph(np.linspace(0.5, 1.5, 7))))"
    )
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, check=True).stdout.split()[-1]
    assert out == exported.graph_digest(*_graph(np.linspace(0.5, 1.5, 7)))


def test_model_log_density_digest_is_the_same_in_another_process():
    """The toy model's packed log density has a digest, the same in a fresh process."""
    import subprocess
    import sys
    from pathlib import Path

    digest = BlackjaxBackend(_model())._graph_digest
    assert digest is not None
    code = ("from tests.test_jax_export import _model, BlackjaxBackend;"
            "print(BlackjaxBackend(_model())._graph_digest)")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, check=True).stdout.split()[-1]
    assert out == digest


def test_graph_without_digest_is_keyed_by_its_translation(monkeypatch):
    """Where the graph has no digest, the key comes from the StableHLO of its translation."""
    keyed = _key(BlackjaxBackend(_model()))
    monkeypatch.setattr(exported, "graph_digest", lambda inputs, outputs: None)
    backend = BlackjaxBackend(_model())
    assert backend._logp_function is None  # nothing translated yet
    fallback = _key(backend)
    assert backend._logp_function is not None
    assert fallback != keyed
    assert _key(BlackjaxBackend(_model())) == fallback


@pytest.mark.slow
def test_stored_program_gives_the_same_draws_without_tracing(stored, monkeypatch):
    """A fresh backend reads the stored programs, translates and exports nothing, and
    draws the same."""
    pytest.importorskip("flatbuffers")
    folder, reference = stored
    # The sampler and the log density that checks the starting points.
    assert len(list(folder.glob("*.jaxexport"))) == 2
    monkeypatch.delenv(exported.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setattr(exported, "folder", lambda: folder)

    import jax.export

    from bayes_scot.fitting.backends import blackjax

    def no_export(*args, **kwargs):
        raise AssertionError("the stored program should have been used")

    monkeypatch.setattr(jax.export, "export", no_export)
    monkeypatch.setattr(blackjax, "jax_function", no_export)
    again = _draws(BlackjaxBackend(_model()))
    for a, b in zip(reference, again, strict=True):
        np.testing.assert_array_equal(a, b)  # the same program, seed and data: bit-identical


@pytest.mark.slow
def test_store_switched_off_traces_and_draws_the_same(stored, monkeypatch):
    """With the environment variable at 0 nothing is stored and the draws are the same."""
    folder, reference = stored
    monkeypatch.setenv(exported.ENVIRONMENT_VARIABLE, "0")
    assert exported.folder() is None
    before = sorted(folder.iterdir())
    traced = _draws(BlackjaxBackend(_model()))
    assert sorted(folder.iterdir()) == before
    for a, b in zip(reference, traced, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_the_sampler_runs_the_translated_log_density_once(store):
    """Every use of the log density in the sampler (adaptation and draws, value and
    gradient, on every device) reuses one trace of its JAX translation: the translation's
    Python runs once for the sampler and once for the starting-point check, however many
    times the sampler evaluates it."""
    backend = BlackjaxBackend(_model())
    translated = backend._logp
    calls = []

    def counted(*args):
        calls.append(len(args))
        return translated(*args)

    backend._logp_function = counted
    _draws(backend)
    assert len(calls) == 2


@pytest.mark.slow
def test_corrupt_entry_is_traced_again_and_replaced(stored, store):
    """An unreadable entry warns, falls back to tracing, and is overwritten."""
    pytest.importorskip("flatbuffers")
    folder, reference = stored
    # The larger entry is the sampler; the other is the log density of starting points.
    entry = max(folder.glob("*.jaxexport"), key=lambda path: path.stat().st_size)
    path = store / entry.name
    path.write_bytes(b"not a serialised program")
    with pytest.warns(RuntimeWarning, match="unusable stored JAX program"):
        again = _draws(BlackjaxBackend(_model()))
    for a, b in zip(reference, again, strict=True):
        np.testing.assert_array_equal(a, b)
    import jax.export

    replaced = jax.export.deserialize(bytearray(path.read_bytes()))
    assert replaced.in_avals == jax.export.deserialize(bytearray(entry.read_bytes())).in_avals
    assert not list(store.glob(".*.tmp"))  # the rewrite left no temporary file


def test_a_batch_starts_when_it_is_asked_for_not_when_it_is_read(monkeypatch):
    """``sample_batch`` starts the program at once; reading the first posterior waits."""
    backend = BlackjaxBackend(_model())
    events = []

    def start(datasets, settings, seed):
        events.append("started")

        def fetch():
            events.append("fetched")
            raise RuntimeError("stop here")  # the draws themselves are not this test's

        return fetch

    monkeypatch.setattr(backend, "_start", start)
    posteriors = backend.sample_batch(DATA, SETTINGS, seed=5)
    assert events == ["started"]
    with pytest.raises(RuntimeError, match="stop here"):
        next(posteriors)
    assert events == ["started", "fetched"]


def _fixed_starts(backend: BlackjaxBackend):
    """Starting points without the log-density check (the model's initial point)."""
    return lambda data, chains, seed: [np.repeat(x[None], data.shape[0], axis=0)
                                       for x in backend._initial]


@pytest.mark.slow
def test_a_batch_is_read_or_traced_and_started_on_a_launcher_thread(store, monkeypatch):
    """``_start`` returns while the sampler is still being made; the draws wait for it.

    Were the program made on the calling thread, ``_start`` would not return before the
    stand-in gave up (60 s) and the test would fail there.
    """
    import threading

    backend = BlackjaxBackend(_model())
    release = threading.Event()
    threads: list[str] = []
    made = backend._program

    def held_program(*args):
        threads.append(threading.current_thread().name)
        assert release.wait(60), "the program was made on the calling thread"
        return made(*args)

    checked = backend._starting_points

    def starting_points(*args):
        threads.append(threading.current_thread().name)
        return checked(*args)

    monkeypatch.setattr(backend, "_program", held_program)
    monkeypatch.setattr(backend, "_starting_points", starting_points)
    fetch = backend._start(DATA, SETTINGS, seed=5)
    release.set()
    positions, _, _ = fetch()
    assert len(threads) == 2  # the starting points checked, then the sampler made
    assert all(name.startswith("bayes-scot-batch") for name in threads)
    assert positions[0].shape[:3] == (len(DATA), SETTINGS.chains, SETTINGS.draws)


def test_an_error_of_the_launch_is_raised_when_the_draws_are_read(store, monkeypatch):
    backend = BlackjaxBackend(_model())

    def broken(*args):
        raise RuntimeError("cannot compile")

    monkeypatch.setattr(backend, "_starting_points", _fixed_starts(backend))
    monkeypatch.setattr(backend, "_prepare", lambda *args: None)
    monkeypatch.setattr(backend, "_program", broken)
    fetch = backend._start(DATA, SETTINGS, seed=5)  # the launch fails on its own thread
    with pytest.raises(RuntimeError, match="cannot compile"):
        fetch()


def test_stored_says_whether_the_store_holds_a_key(store, monkeypatch):
    (store / "present.jaxexport").write_bytes(b"x")
    assert exported.stored(lambda: "present")
    assert not exported.stored(lambda: "absent")
    monkeypatch.setattr(exported, "folder", lambda: None)  # the store switched off
    assert not exported.stored(lambda: "present")


def test_prune_removes_the_programs_used_longest_ago(tmp_path):
    """Past the limit, the oldest entries go first; other files are never touched."""
    import os

    sizes = {"a": 400, "b": 300, "c": 200, "d": 100}
    for age, (name, size) in enumerate(sizes.items()):
        path = tmp_path / f"{name}.jaxexport"
        path.write_bytes(b"x" * size)
        os.utime(path, (1_000_000 + age, 1_000_000 + age))  # "a" used longest ago
    (tmp_path / "notes.txt").write_bytes(b"y" * 5000)
    assert exported.prune(tmp_path, max_bytes=1000) == []
    removed = exported.prune(tmp_path, max_bytes=350)
    assert [p.name for p in removed] == ["a.jaxexport", "b.jaxexport"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jaxexport", "d.jaxexport",
                                                          "notes.txt"]


@pytest.mark.slow
def test_reading_a_program_marks_it_used(stored, monkeypatch):
    """A read sets the entry's time of last use, which pruning goes by."""
    import os

    pytest.importorskip("flatbuffers")
    folder, _ = stored
    monkeypatch.delenv(exported.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setattr(exported, "folder", lambda: folder)
    for entry in folder.glob("*.jaxexport"):
        os.utime(entry, (1_000_000, 1_000_000))
    _draws(BlackjaxBackend(_model()))
    assert all(entry.stat().st_mtime > 1_000_000 for entry in folder.glob("*.jaxexport"))

