"""Canaries of the private internals the numba cache reads, and the scope of its changes.

:mod:`bayes_scot.fitting.internals` is the one module that reads private names of nutpie,
PyTensor and numba. The canaries fail, naming what changed, as soon as a release changes
them; ``pyproject.toml`` caps those libraries at the checked releases. The other tests
show that the package's compilation settings (a graph rewrite, numba's optimisation
level, nutpie's patched function) never reach a user's own models in the same process.
"""

from __future__ import annotations

import re
import threading
import tomllib
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import pytest
from pytensor.compile.mode import get_mode
from pytensor.graph import FunctionGraph
from pytensor.tensor import TensorConstant

from bayes_scot.fitting import internals
from bayes_scot.fitting.internals import InternalsChanged
from bayes_scot.fitting.numba_cache import (
    compile_nutpie_numba,
    numba_mode,
    numba_optimisation,
)

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _series(text: str) -> tuple[int, int]:
    major, minor = text.split(".")[:2]
    return int(major), int(minor)


def _caps() -> dict[str, tuple[int, int]]:
    """Upper bound (``<X.Y``) of each capped library in the project's dependencies."""
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    caps = {}
    for requirement in dependencies:
        name = re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0)
        cap = re.search(r"<\s*(\d+\.\d+)", requirement)
        if name in internals.TESTED and cap:
            caps[name] = _series(cap.group(1))
    return caps


def _non_contiguous_constants(fgraph) -> list[TensorConstant]:
    return [
        v for v in fgraph.variables
        if isinstance(v, TensorConstant) and v.data.ndim > 0
        and not (v.data.flags.c_contiguous or v.data.flags.f_contiguous)
    ]


# -- canaries -----------------------------------------------------------------------------
def test_canary_private_internals_have_the_tested_form():
    """Fails with a message naming each changed private name and what to update."""
    internals.check()


def test_canary_names_what_changed(monkeypatch):
    import nutpie.compile_pymc

    monkeypatch.delattr(nutpie.compile_pymc, "_make_functions")
    with pytest.raises(InternalsChanged, match=r"nutpie\.compile_pymc\._make_functions is "
                       r"gone.*bayes_scot/fitting/internals\.py.*pyproject\.toml"):
        internals.check()


def test_every_library_whose_internals_are_read_is_capped_at_a_checked_release():
    caps = _caps()
    assert set(caps) == set(internals.TESTED)
    for name, tested in internals.TESTED.items():
        assert _series(tested) < caps[name], f"{name}: checked {tested}, capped {caps[name]}"
        assert _series(version(name)) < caps[name], f"{name} {version(name)} is above its cap"


def test_patched_make_functions_wraps_results_of_the_checked_form_only(monkeypatch):
    import nutpie.compile_pymc as nutpie_pymc

    seen = {}

    def fake(*args, **kwargs):
        seen["mode"] = kwargs["mode"]
        return (2, 3, "logp", "expand", "initial", "shapes")

    monkeypatch.setattr(nutpie_pymc, "_make_functions", fake)
    mode = object()
    with internals.make_functions_patched(lambda fn, n_dim: (fn, n_dim), mode):
        result = nutpie_pymc._make_functions(None, mode="NUMBA")
    assert seen["mode"] is mode
    assert result == (2, 3, ("logp", 2), "expand", "initial", "shapes")
    assert nutpie_pymc._make_functions is fake  # restored

    monkeypatch.setattr(nutpie_pymc, "_make_functions", lambda *a, **k: (1, 2, 3))
    with internals.make_functions_patched(lambda fn, n_dim: "wrapped", mode):
        assert nutpie_pymc._make_functions(mode="NUMBA") == (1, 2, 3)  # another form: as is


def test_patched_make_functions_is_restored_after_an_error():
    import nutpie.compile_pymc as nutpie_pymc

    original = nutpie_pymc._make_functions
    inside = []

    def compile_that_fails():
        with internals.make_functions_patched(lambda fn, n_dim: fn, None):
            inside.append(nutpie_pymc._make_functions)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        compile_that_fails()
    assert inside[0] is not original
    assert nutpie_pymc._make_functions is original


# -- the package's settings stay its own ----------------------------------------------------
def test_contiguous_constants_rewrite_is_in_the_package_mode_only():
    x = pt.vector("x", shape=(5,))
    out = x * pt.constant(np.arange(5.0)[::-1])  # a reversed view: not contiguous
    for mode, kept in ((numba_mode(), 0), (get_mode("NUMBA"), 1)):
        fgraph = FunctionGraph([x], [out], clone=True)
        mode.optimizer.rewrite(fgraph)
        assert len(_non_contiguous_constants(fgraph)) == kept


def test_numba_optimisation_level_is_invisible_to_other_threads(monkeypatch):
    from numba.core import config
    from numba.core.compiler_lock import global_compiler_lock

    monkeypatch.delenv("NUMBA_OPT", raising=False)
    before = int(config.OPT)
    seen = []

    def other_compilation():
        with global_compiler_lock:  # as every numba compilation does
            seen.append(int(config.OPT))

    thread = threading.Thread(target=other_compilation)
    with numba_optimisation(1):
        assert int(config.OPT) == 1
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive()  # waits until the package's compilation is done
    thread.join(timeout=10)
    assert seen == [before]


@pytest.mark.slow
def test_cached_callback_is_used_and_a_users_model_is_unaffected(monkeypatch):
    """Our compilation takes the cached path; a user's model compiled after it does not.

    The user's model multiplies by a reversed (non-contiguous) constant: PyTensor's own
    NUMBA mode keeps it as it is, as it would in a process that never imported us.
    """
    import nutpie.compile_pymc as nutpie_pymc
    from numba.core import config

    from bayes_scot.fitting import numba_cache

    monkeypatch.delenv("NUMBA_OPT", raising=False)
    original, level = nutpie_pymc._make_functions, int(config.OPT)
    thin = []
    cached = numba_cache._cached_logp_callback

    def spy(logp_fn, n_dim):
        thin.append(cached(logp_fn, n_dim))
        return thin[-1]

    monkeypatch.setattr(numba_cache, "_cached_logp_callback", spy)
    with pm.Model() as ours:
        y = pm.Data("y", np.array([0.2, -0.4, 1.1]))
        mu = pm.Normal("mu")
        pm.Normal("obs", mu, 1.0, observed=y)
    compiled = compile_nutpie_numba(ours, var_names=["mu"])
    assert compiled.n_dim == 1
    assert len(thin) == 1
    assert thin[0] is not None, "the cached log density was not used"
    assert nutpie_pymc._make_functions is original
    assert int(config.OPT) == level

    with pm.Model() as users:
        mu = pm.Normal("mu")
        pm.Normal("obs", mu * np.arange(1.0, 6.0)[::-1], 1.0, observed=np.ones(5))
    logp = users.compile_logp(mode="NUMBA")
    assert len(_non_contiguous_constants(logp.f.maker.fgraph)) == 1
    assert np.isfinite(logp({"mu": 0.3}))


def test_compiling_keeps_the_warning_filters_pytensor_adds_on_import():
    """PyTensor's numba backend adds warning filters when first imported; the package's
    compilation, which suppresses a warning of its own within a block, keeps them. Were
    they dropped, a user's model with a reversed constant would warn that numba cannot
    cache it.

    A fresh process, so that the compilation is the first import of PyTensor's backend.
    """
    import subprocess
    import sys

    code = (
        "import warnings\n"
        "import numpy as np\n"
        "import pymc as pm\n"
        "from bayes_scot.fitting.numba_cache import compile_nutpie_numba\n"
        "with pm.Model() as ours:\n"
        "    mu = pm.Normal('mu')\n"
        "    pm.Normal('obs', mu, 1.0, observed=np.array([0.2, -0.4, 1.1]))\n"
        "compile_nutpie_numba(ours, var_names=['mu'])\n"
        "print(any('numba_funcified_fgraph' in getattr(f[1], 'pattern', '')\n"
        "          for f in warnings.filters))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300)
    assert out.stdout.split()[-1] == "True"
