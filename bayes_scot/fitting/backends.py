"""Sampler backends: one compiled log density per model structure, sampled many times.

Each backend compiles a model once (the expensive step: graph rewriting and code
generation) and then samples it for any values of the model's data containers. This is
what lets a 13-prior grid, or a set of recovery fits on simulated data, share one
compilation. :class:`NutpieBackend` (numba-compiled log density driven by nutpie's Rust
NUTS) is the default; :class:`PymcBackend` (PyMC's own NUTS with a C-compiled log density)
is the fallback. The choice is made by :class:`~bayes_scot.fitting.SamplerSettings` and
measured in ``benchmarks/bench_survival.py``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from bayes_scot import _compat
from bayes_scot.fitting.settings import SamplerSettings

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

__all__ = ["Backend", "NutpieBackend", "PymcBackend", "make_backend"]


class Backend:
    """A model compiled for one sampler.

    Parameters
    ----------
    template : pymc.Model
        The model whose structure is compiled. Its data containers are set to the values
        of each fit before sampling, so that deterministic and predictive quantities
        computed from it later see the same data.
    """

    name: str = ""

    def __init__(self, template: pm.Model) -> None:
        self.template = template

    def sample(
        self, values: Mapping[str, np.ndarray], settings: SamplerSettings, seed: int
    ) -> Any:
        """Sample with the data containers set to ``values``; return the posterior."""
        raise NotImplementedError


class NutpieBackend(Backend):
    """nutpie's NUTS on a numba-compiled log density and gradient.

    Data containers become nutpie "shared data": :meth:`sample` swaps their values with
    ``CompiledPyMCModel.with_data``, which copies arrays and never recompiles.

    References
    ----------
    .. [1] Seyboldt A et al. nutpie: a fast NUTS sampler for PyMC and Stan models.
       https://github.com/pymc-devs/nutpie
    """

    name = "nutpie"

    def __init__(self, template: pm.Model) -> None:
        super().__init__(template)
        import nutpie

        self._compiled = nutpie.compile_pymc_model(template, backend="numba")

    @property
    def shared_names(self) -> frozenset[str]:
        """Data containers the compiled functions read."""
        return frozenset(self._compiled.shared_data)

    def sample(  # noqa: D102
        self, values: Mapping[str, np.ndarray], settings: SamplerSettings, seed: int
    ) -> Any:
        import nutpie

        updates = {k: v for k, v in values.items() if k in self._compiled.shared_data}
        compiled = self._compiled.with_data(**updates) if updates else self._compiled
        return nutpie.sample(
            compiled,
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            cores=settings.n_cores,
            seed=int(seed),
            target_accept=settings.target_accept,
            progress_bar=settings.progressbar,
            save_warmup=False,
        )


class PymcBackend(Backend):
    """PyMC's NUTS with one step method per target acceptance, built once and reused.

    The step method holds the compiled log density and gradient; its graph reads the
    template model's shared variables, so setting their values changes the data without
    recompiling. PyMC resets the step size and mass-matrix adaptation at the start of
    every run, so reusing a step method does not carry tuning from one fit to the next.
    """

    name = "pymc"

    def __init__(self, template: pm.Model) -> None:
        super().__init__(template)
        self._steps: dict[float, Any] = {}
        self._step(SamplerSettings().target_accept)

    def _step(self, target_accept: float) -> Any:
        if target_accept not in self._steps:
            import pymc as pm

            with self.template:
                self._steps[target_accept] = pm.NUTS(target_accept=target_accept)
        return self._steps[target_accept]

    def sample(  # noqa: D102
        self, values: Mapping[str, np.ndarray], settings: SamplerSettings, seed: int
    ) -> Any:
        _compat.set_data(self.template, values)
        step = self._step(settings.target_accept)
        with warnings.catch_warnings():
            # PyMC's own convergence checks are off (diagnose() does them); the remaining
            # notice about the number of chains is irrelevant to our settings.
            warnings.filterwarnings("ignore", message=".*chains.*", category=UserWarning)
            return _compat.pymc_sample(
                self.template,
                step=step,
                draws=settings.draws,
                tune=settings.tune,
                chains=settings.chains,
                cores=settings.n_cores,
                seed=int(seed),
                progressbar=settings.progressbar,
            )


def make_backend(name: str, template: pm.Model) -> Backend:
    """Compile ``template`` for the backend called ``name``."""
    if name == "nutpie":
        return NutpieBackend(template)
    if name == "pymc":
        return PymcBackend(template)
    raise ValueError(f"unknown sampler backend {name!r}; choose 'nutpie' or 'pymc'")
