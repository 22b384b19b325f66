"""Sampler backends: one compiled log density per model structure, sampled many times.

Each backend compiles a model once (the expensive step: graph rewriting and code
generation) and then samples it for any values of the model's data containers. This is
what lets a 13-prior grid, or a set of recovery fits on simulated data, share one
compilation. :class:`NutpieBackend` (numba-compiled log density driven by nutpie's Rust
NUTS) is the default; :class:`~bayes_scot.fitting.blackjax_backend.BlackjaxBackend`
compiles the whole sampler with JAX and runs many fits (a prior grid) as one vectorised
batch; :class:`PymcBackend` (PyMC's own NUTS with a C-compiled log density) is the
fallback. The choice is made by :class:`~bayes_scot.fitting.SamplerSettings` and
measured in ``benchmarks/bench_survival.py``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from bayes_scot import _compat
from bayes_scot.fitting.deterministics import DeterministicsFunction
from bayes_scot.fitting.diagnostics import Diagnostics
from bayes_scot.fitting.settings import BACKENDS, SamplerSettings

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

__all__ = ["Backend", "BatchDraws", "DataPack", "NutpieBackend", "PymcBackend", "make_backend"]


@dataclass(frozen=True)
class BatchDraws:
    """Draws and diagnostics of a batch of fits, as arrays (simulation mode).

    Attributes
    ----------
    draws : dict of str to numpy.ndarray
        Per variable, shape ``(fit, chain, draw, ...)``.
    rhat_max, ess_bulk_min : numpy.ndarray, shape (fit,)
        Worst rank-normalised R-hat and bulk ESS over every free variable's elements.
    divergences : numpy.ndarray of int, shape (fit,)
        Divergent transitions after tuning, summed over chains.
    """

    draws: dict[str, np.ndarray]
    rhat_max: np.ndarray
    ess_bulk_min: np.ndarray
    divergences: np.ndarray

    @property
    def passed(self) -> np.ndarray:
        """Per fit, the gate of :class:`bayes_scot.fitting.Diagnostics`."""
        return (
            (self.rhat_max <= Diagnostics.RHAT_LIMIT)
            & (self.ess_bulk_min >= Diagnostics.ESS_BULK_LIMIT)
            & (self.divergences == 0)
        )


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
    batches: bool = False
    """Whether :meth:`sample_batch` runs all its fits together (the first posterior is
    yielded when all are done)."""

    def __init__(self, template: pm.Model) -> None:
        self.template = template

    @cached_property
    def potential_terms(self) -> DeterministicsFunction:
        """The model's potentials (its likelihood terms) evaluated on posterior draws."""
        return DeterministicsFunction(self.template, variables=self.template.potentials)

    def sample(
        self, values: Mapping[str, np.ndarray], settings: SamplerSettings, seed: int
    ) -> Any:
        """Sample with the data containers set to ``values``; return the posterior.

        The template's data containers must already hold ``values``.
        """
        raise NotImplementedError

    def sample_batch(
        self, datasets: Sequence[Mapping[str, np.ndarray]], settings: SamplerSettings, seed: int
    ) -> Iterator[Any]:
        """Sample once per set of data values, each with ``seed``; yield the posteriors.

        One fit after another (each is yielded when done), unless the backend runs them
        together (:attr:`batches`).
        """
        for values in datasets:
            _compat.set_data(self.template, values)
            yield self.sample(values, settings, seed)


@dataclass(frozen=True)
class _Slot:
    """Where one data container lives in the packed data vector."""

    name: str
    start: int
    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def stop(self) -> int:
        return self.start + math.prod(self.shape)


class DataPack:
    """All data containers of a model as slices of one vector.

    nutpie compiles one accessor per shared variable of the log density, and each costs
    about half a second of numba compilation; a model with twenty data containers
    (evidence counts, prior hyperparameters, precomputed coefficients) would spend ten
    seconds on them. The pack replaces every container by a view of one float64 vector,
    so the compiled callback reads a single array, whatever the number of containers.

    Parameters
    ----------
    model : pymc.Model
        The model whose data containers are packed. It is not modified.

    Attributes
    ----------
    model : pymc.Model
        A copy of ``model`` whose containers are slices of :attr:`NAME`.
    shared : pytensor.compile.SharedVariable
        The packed vector, as read by :attr:`model`.
    """

    NAME = "packed_data"

    def __init__(self, model: pm.Model) -> None:
        import pytensor
        import pytensor.tensor as pt
        from pymc.model.fgraph import fgraph_from_model, model_from_fgraph

        names = set(_compat.data_names(model))
        fgraph, _ = fgraph_from_model(model)
        containers = [v for v in fgraph.inputs if getattr(v, "name", None) in names]
        slots, start = [], 0
        for var in containers:
            value = np.asarray(var.get_value())
            slots.append(_Slot(var.name, start, value.shape, value.dtype))
            start += value.size
        self.slots: tuple[_Slot, ...] = tuple(slots)
        self._size = start
        packed = pytensor.shared(self.pack(_compat.data_values(model)), name=self.NAME)
        self.shared = packed
        replacements = []
        for var, slot in zip(containers, self.slots, strict=True):
            view = packed[slot.start : slot.stop].reshape(slot.shape)
            if slot.dtype != np.float64:  # integer data (indices) are exact in float64
                view = pt.cast(view, slot.dtype)
            replacements.append((var, view))
        fgraph.replace_all(replacements, import_missing=True)
        self.model = model_from_fgraph(fgraph, mutate_fgraph=True)

    @property
    def size(self) -> int:
        """Length of the packed vector."""
        return self._size

    def pack(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """Concatenate the containers' ``values`` (by name) into the packed vector."""
        packed = np.empty(self._size)
        for slot in self.slots:
            packed[slot.start : slot.stop] = np.asarray(values[slot.name], dtype=float).ravel()
        return packed


class NutpieBackend(Backend):
    """nutpie's NUTS on a numba-compiled log density and gradient.

    The data containers are packed into one vector (:class:`DataPack`), which becomes
    nutpie's only "shared data": :meth:`sample` swaps its value with
    ``CompiledPyMCModel.with_data``, which copies arrays and never recompiles.

    Only the free variables are compiled into the sampler's callback; the model's
    deterministics are computed after sampling for all draws at once
    (:class:`~bayes_scot.fitting.deterministics.DeterministicsFunction`). Compiling them
    into the numba callback would cost seconds per model structure for no gain in
    sampling.

    References
    ----------
    .. [1] Seyboldt A et al. nutpie: a fast NUTS sampler for PyMC and Stan models.
       https://github.com/pymc-devs/nutpie
    """

    name = "nutpie"

    def __init__(self, template: pm.Model) -> None:
        super().__init__(template)
        self._pack = DataPack(template)
        packed = self._pack.model
        self._compiled = _compat.compile_nutpie_numba(
            packed, var_names=[rv.name for rv in packed.free_RVs]
        )
        self._deterministics = DeterministicsFunction(template)

    def sample(  # noqa: D102
        self, values: Mapping[str, np.ndarray], settings: SamplerSettings, seed: int
    ) -> Any:
        import nutpie

        compiled = self._compiled
        if DataPack.NAME in compiled.shared_data:
            compiled = compiled.with_data(**{DataPack.NAME: self._pack.pack(values)})
        idata = nutpie.sample(
            compiled,
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            cores=settings.n_cores,
            seed=int(seed),
            target_accept=settings.target_accept,
            maxdepth=settings.max_treedepth,
            progress_bar=settings.progressbar,
            save_warmup=False,
        )
        self._deterministics.add_to(_compat.get_group(idata, "posterior"))
        return idata


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
        self._steps: dict[tuple[float, int], Any] = {}
        default = SamplerSettings()
        self._step(default.target_accept, default.max_treedepth)

    def _step(self, target_accept: float, max_treedepth: int) -> Any:
        key = (target_accept, max_treedepth)
        if key not in self._steps:
            import pymc as pm

            with self.template:
                self._steps[key] = pm.NUTS(
                    target_accept=target_accept, max_treedepth=max_treedepth
                )
        return self._steps[key]

    def sample(  # noqa: D102
        self, values: Mapping[str, np.ndarray], settings: SamplerSettings, seed: int
    ) -> Any:
        step = self._step(settings.target_accept, settings.max_treedepth)
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
    if name == "blackjax":
        from bayes_scot.fitting.blackjax_backend import BlackjaxBackend

        return BlackjaxBackend(template)
    if name == "pymc":
        return PymcBackend(template)
    raise ValueError(f"unknown sampler backend {name!r}; choose one of {BACKENDS}")
