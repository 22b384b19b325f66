"""Posterior predictive draws of a model's observed variables, for all draws at once.

:func:`pymc.sample_posterior_predictive` compiles a forward-sampling function and calls it
once per posterior draw: 4,000 Python calls for a fit of 4 chains x 1,000 draws (about
4 s for the longitudinal model's visit summaries). The observed variables are random
variables whose parameters are functions of the free variables, so, as for the
deterministics (:mod:`bayes_scot.fitting.deterministics`), the graph is vectorised over a
leading draw dimension and run once as NumPy calls: each random-number generator of the
graph becomes an input, and each observed variable is drawn for every posterior draw in
one call of its distribution's NumPy sampler. Each draw of a replicate is a draw from the
same conditional distribution as PyMC's, from another stream of random numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from bayes_scot import _compat
from bayes_scot.fitting.deterministics import (
    _vectorise,
    batched_inputs,
    compile_batched,
    flat_draws,
    named_dataset,
    sample_dataset,
)

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

__all__ = ["PredictiveFunction"]


class PredictiveFunction:
    """Draw a model's observed variables given posterior draws of its free variables.

    Parameters
    ----------
    model : pymc.Model
        The model. Its data containers are read when the function is called, so set them
        to the values of the fit first.
    var_names : sequence of str, optional
        Observed variables to draw; default every observed variable of the model.

    Raises
    ------
    ValueError
        When a name is not an observed variable of ``model``.
    NotImplementedError
        When a variable is not drawn by a PyTensor random variable (a ``CustomDist`` with
        its own sampler) or is computed from another observed variable;
        :func:`pymc.sample_posterior_predictive` can still draw such a model, one draw at
        a time.

    Notes
    -----
    Built once per compiled model and called once per fit.
    """

    def __init__(self, model: pm.Model, var_names: Sequence[str] | None = None) -> None:
        import pytensor.tensor as pt

        self.model = model
        observed = {rv.name: rv for rv in model.observed_RVs}
        names = list(observed) if var_names is None else list(var_names)
        unknown = [name for name in names if name not in observed]
        if unknown:
            raise ValueError(f"{unknown} are not observed variables of the model; "
                             f"choose from {sorted(observed)}")
        self.names = tuple(names)
        self._observed = {name: observed[name] for name in names}
        free = list(model.free_RVs)
        self._free = tuple(v.name for v in free)
        params = [_drawable_params(rv, free) for rv in self._observed.values()]
        batched = batched_inputs(free)
        draws = pt.lscalar("draws")
        streams = [pt.random.type.random_generator_type() for _ in params]

        def build() -> list[Any]:
            # Every parameter in one pass, so nodes the variables share are vectorised once.
            flat = iter(_vectorise([p for own in params for p in own],
                                   dict(zip(free, batched, strict=True))))
            return [_draws_of(rv, [next(flat) for _ in own], stream, draws)
                    for rv, own, stream in zip(self._observed.values(), params, streams,
                                               strict=True)]

        self._fn = compile_batched([draws, *batched, *streams], build)

    def __call__(self, posterior: xr.Dataset, *, seed: int) -> xr.Dataset:
        """Return one replicate of each observed variable per draw of ``posterior``.

        Parameters
        ----------
        posterior : xarray.Dataset
            Draws of the free variables, with dims ``(chain, draw, ...)``.
        seed : int
            Seed of the replicates: the same seed and draws give the same replicates.

        Returns
        -------
        xarray.Dataset
            One variable per observed variable, with the model's named dims and coords.
        """
        generators = [np.random.default_rng(s)
                      for s in np.random.SeedSequence(seed).spawn(len(self.names))]
        n = posterior.sizes["chain"] * posterior.sizes["draw"]
        values = self._fn(n, *flat_draws(posterior, self._free), *generators)
        return sample_dataset(self.model, self.names, values, posterior)

    def observed_data(self) -> xr.Dataset:
        """Return the observed values of the variables, with the model's dims and coords."""
        values = {name: np.asarray(self.model.rvs_to_values[rv].eval())
                  for name, rv in self._observed.items()}
        return named_dataset(self.model, values)


def _draws_of(rv: Any, params: Sequence[Any], stream: Any, draws: Any) -> Any:
    """One draw of the observed variable ``rv`` per posterior draw, from ``stream``.

    ``params`` are its distribution's parameters, vectorised over a leading draw axis
    where they depend on the free variables. PyTensor's own vectorisation of a random
    variable reads the batch dims off its first parameter only (the Binomial's ``n``,
    data, has none), so the node is rebuilt here: each parameter gets the leading axis
    (of length 1 when it does not depend on the draws) and the size is the number of
    draws followed by the variable's own batch shape (its size, when it has one).
    """
    import pytensor.tensor as pt
    from pytensor.tensor.type_other import NoneTypeT

    node = rv.owner
    op = node.op
    old_params = op.dist_params(node)
    params = [new if new is not old else pt.shape_padleft(old)
              for new, old in zip(params, old_params, strict=True)]
    size = op.size_param(node)
    if isinstance(size.type, NoneTypeT):
        batch = pt.broadcast_shape(
            *(tuple(p.shape)[: p.type.ndim - nd]
              for p, nd in zip(params, op.ndims_params, strict=True)),
            arrays_are_shapes=True,
        )
        size = pt.stack([draws, *batch[1:]])
    else:
        size = pt.concatenate([pt.shape_padleft(draws), size])
    return op.make_node(stream, size, *params).outputs[1]


def _drawable_params(rv: Any, free: Sequence[Any]) -> list[Any]:
    """Return the distribution parameters of an observed variable drawn on its own.

    Raises :class:`NotImplementedError` for a variable this module cannot draw, which
    :func:`pymc.sample_posterior_predictive` draws one draw at a time: one whose sampler
    is not a PyTensor random variable (a ``CustomDist`` with its own sampler), or one
    computed from another observed variable (``y2 ~ N(y1, 1)``), which has to be drawn
    jointly with it. Given the free variables, the parameters must be functions of them
    and of data only.
    """
    from pytensor.tensor.random.op import RandomVariable
    from pytensor.tensor.random.type import RandomType

    node = rv.owner
    if not isinstance(node.op, RandomVariable):
        raise NotImplementedError(f"{rv.name!r} is drawn by {type(node.op).__name__}, "
                                  "which is not vectorised over draws")
    params = list(node.op.dist_params(node))
    for apply in _compat.graph_apply_nodes(list(free), params):
        if any(isinstance(i.type, RandomType) for i in apply.inputs):
            raise NotImplementedError(
                f"{rv.name!r} depends on another random draw ({apply.op}); it is drawn "
                "jointly with it one draw at a time")
    return params
