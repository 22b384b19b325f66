"""What every sampler backend shares: the :class:`Backend` interface and the data pack.

A backend compiles a model once and samples it for any values of the model's data
containers (:class:`Backend`). :class:`DataPack` turns all of a model's containers into
slices of one vector, which the nutpie and BlackJAX backends compile against.
:class:`BatchDraws` holds the arrays of a batch sampled in simulation mode.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from bayes_scot import _compat
from bayes_scot.fitting.deterministics import DeterministicsFunction
from bayes_scot.fitting.diagnostics import Diagnostics
from bayes_scot.fitting.predictive import PredictiveFunction
from bayes_scot.fitting.settings import SamplerSettings

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

__all__ = ["Backend", "BatchDraws", "DataPack"]


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

    @cached_property
    def observed_terms(self) -> DeterministicsFunction:
        """The pointwise log-likelihood of the model's observed variables, per draw.

        The same quantities as :func:`pymc.compute_log_likelihood` (each observed
        variable's elementwise log density, named and dimensioned like it), evaluated for
        all draws at once instead of one compiled call per draw.
        """
        import pymc as pm

        terms = []
        for rv in self.template.observed_RVs:
            logp = pm.logp(rv, self.template.rvs_to_values[rv])
            logp.name = rv.name
            terms.append(logp)
        return DeterministicsFunction(self.template, variables=terms)

    @cached_property
    def predictive(self) -> PredictiveFunction:
        """Replicates of the model's observed variables, drawn for all draws at once."""
        return PredictiveFunction(self.template)

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
