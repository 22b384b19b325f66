"""Sampler backends: one compiled log density per model structure, sampled many times.

Each backend compiles a model once (the expensive step: graph rewriting and code
generation) and then samples it for any values of the model's data containers. This is
what lets a 13-prior grid, or a set of recovery fits on simulated data, share one
compilation.

* :class:`~bayes_scot.fitting.backends.nutpie.NutpieBackend` (numba-compiled log density
  driven by nutpie's Rust NUTS) is the default;
* :class:`~bayes_scot.fitting.backends.blackjax.BlackjaxBackend` compiles the whole
  sampler with JAX and runs many fits (a prior grid) as one vectorised batch;
* :class:`~bayes_scot.fitting.backends.pymc.PymcBackend` (PyMC's own NUTS with a
  C-compiled log density) is the fallback.

The interface and the data pack they share are in :mod:`bayes_scot.fitting.backends.base`.
The choice is made by :class:`~bayes_scot.fitting.SamplerSettings` and measured in
``benchmarks/bench_survival.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayes_scot.fitting.backends.base import Backend, BatchDraws, DataPack
from bayes_scot.fitting.backends.blackjax import BlackjaxBackend
from bayes_scot.fitting.backends.nutpie import NutpieBackend
from bayes_scot.fitting.backends.pymc import PymcBackend
from bayes_scot.fitting.settings import BACKENDS

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

__all__ = [
    "Backend",
    "BatchDraws",
    "BlackjaxBackend",
    "DataPack",
    "NutpieBackend",
    "PymcBackend",
    "make_backend",
]

_BACKENDS: dict[str, type[Backend]] = {
    "nutpie": NutpieBackend,
    "blackjax": BlackjaxBackend,
    "pymc": PymcBackend,
}


def make_backend(name: str, template: pm.Model) -> Backend:
    """Compile ``template`` for the backend called ``name``.

    Raises
    ------
    ValueError
        If ``name`` is not one of :data:`~bayes_scot.fitting.BACKENDS`.
    """
    if name not in _BACKENDS:
        raise ValueError(f"unknown sampler backend {name!r}; choose one of {BACKENDS}")
    return _BACKENDS[name](template)
