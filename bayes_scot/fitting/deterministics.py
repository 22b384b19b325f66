"""Deterministic quantities of a posterior, computed for all draws at once.

A sampler needs only the log density and its gradient. Quantities a model records with
``pm.Deterministic`` (hazards, survival curves, trajectories) are functions of the free
variables, so rather than compiling them into the sampler they are evaluated after it,
on every draw at once: the model's graph of deterministics is vectorised over a leading
draw dimension (:func:`pytensor.graph.replace.vectorize_graph`, node by node, with shapes
kept unbatched) and run as a chain of NumPy operations (PyTensor's Python linker, no
graph rewrites). That takes well under a second for thousands of draws and compiles
nothing, which matters because compiling these quantities into nutpie's numba callback
costs seconds per model structure.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from bayes_scot import _compat
from bayes_scot.fitting.numpy_graph import numpy_batched

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

__all__ = ["DeterministicsFunction", "model_deterministics"]

_SAMPLE_DIMS = ("chain", "draw")


class DeterministicsFunction:
    """Evaluate a model's deterministics on posterior draws of its free variables.

    Parameters
    ----------
    model : pymc.Model
        The model. Its data containers are read when the function is called, so set
        them to the values of the fit first.
    variables : sequence of TensorVariable, optional
        Named model variables to evaluate instead of the deterministics, e.g. the
        model's potentials (its log-likelihood terms when it has no observed variables).
    inputs : sequence of TensorVariable, optional
        The variables whose draws the function is given, by name; default the model's
        free variables. A sampler that works on the unconstrained scale passes the
        model's value variables and asks for the free variables (their back-transforms).

    Notes
    -----
    Built once per compiled model (building takes a few hundredths of a second) and
    called once per fit.
    """

    def __init__(
        self,
        model: pm.Model,
        variables: Sequence[Any] | None = None,
        *,
        inputs: Sequence[Any] | None = None,
    ) -> None:
        self.model = model
        targets = list(model.deterministics if variables is None else variables)
        self.names = tuple(v.name for v in targets)
        given = list(model.free_RVs if inputs is None else inputs)
        self._free = tuple(v.name for v in given)
        if not self.names:
            self._fn = None
            return
        batched = batched_inputs(given)
        self._fn = compile_batched(
            batched, lambda: _vectorise(targets, dict(zip(given, batched, strict=True))))

    def add_to(self, posterior: xr.Dataset) -> xr.Dataset:
        """Add the quantities to ``posterior`` in place and return it."""
        posterior.update(self(posterior))  # one merge, not one per variable
        return posterior

    def __call__(self, posterior: xr.Dataset) -> xr.Dataset:
        """Return the deterministics for every draw of ``posterior``.

        Parameters
        ----------
        posterior : xarray.Dataset
            Draws of the input variables (default the free variables), with dims
            ``(chain, draw, ...)``.

        Returns
        -------
        xarray.Dataset
            One variable per deterministic, with the model's named dims and coords.
        """
        if self._fn is None:
            return xr.Dataset()
        values = self._fn(*flat_draws(posterior, self._free))
        return sample_dataset(self.model, self.names, values, posterior)


def batched_inputs(variables: Sequence[Any]) -> list[Any]:
    """One input per variable, with a leading draw axis before the variable's own."""
    import pytensor.tensor as pt

    return [pt.tensor(name=f"{v.name}_draws", dtype=v.dtype, shape=(None,) * (v.ndim + 1))
            for v in variables]


def compile_batched(inputs: Sequence[Any], build: Callable[[], Sequence[Any]]) -> Any:
    """Build a graph vectorised over draws and compile it to run as whole-array NumPy calls.

    Parameters
    ----------
    inputs : sequence of TensorVariable
        The compiled function's inputs.
    build : callable
        Returns the outputs (e.g. by :func:`_vectorise`); called here, because building
        the graph is most of the cost and PyTensor would record a stack trace on every
        node it creates, for error messages only.

    Returns
    -------
    pytensor.compile.function.types.Function
        The graph rebuilt by :func:`~bayes_scot.fitting.numpy_graph.numpy_batched`, for
        PyTensor's Python linker without rewrites: each node runs as one NumPy call on
        the whole batch, where rewrites would fuse nodes into n-ary scalar loops, slow in
        Python.
    """
    import pytensor
    from pytensor.compile.mode import Mode

    with pytensor.config.change_flags(traceback__limit=0):
        return pytensor.function(
            list(inputs), numpy_batched(inputs, build()),
            mode=Mode(linker="py", optimizer="None"), on_unused_input="ignore",
        )


def flat_draws(posterior: xr.Dataset, names: Sequence[str]) -> list[np.ndarray]:
    """Return the draws of ``names`` with chains and draws flattened into one axis."""
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    return [np.asarray(posterior[name].values).reshape(chains * draws,
                                                       *posterior[name].shape[2:])
            for name in names]


def sample_dataset(
    model: pm.Model, names: Sequence[str], values: Sequence[Any], posterior: xr.Dataset
) -> xr.Dataset:
    """Return values computed for every draw of ``posterior`` as a dataset.

    Parameters
    ----------
    model : pymc.Model
        Gives each variable's named dims and their coords.
    names : sequence of str
        The variables' names.
    values : sequence of array_like
        One array per name, with one leading axis of ``chain x draw`` elements.
    posterior : xarray.Dataset
        The draws the values were computed from (its ``chain`` and ``draw`` coords).

    Returns
    -------
    xarray.Dataset
        Dims ``(chain, draw, ...)``; a variable whose dims the model does not name gets
        ``<name>_dim_<i>``.
    """
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    shaped = {name: np.asarray(value).reshape(chains, draws, *np.shape(value)[1:])
              for name, value in zip(names, values, strict=True)}
    return named_dataset(model, shaped, sample_dims=_SAMPLE_DIMS, coords={
        "chain": posterior["chain"].values, "draw": posterior["draw"].values})


def named_dataset(
    model: pm.Model,
    values: Mapping[str, np.ndarray],
    *,
    sample_dims: tuple[str, ...] = (),
    coords: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Return ``values`` as a dataset with ``model``'s named dims and the coords it uses.

    Parameters
    ----------
    model : pymc.Model
    values : mapping of str to numpy.ndarray
        Each variable's values; its leading axes are ``sample_dims``.
    sample_dims : tuple of str, default ()
        Leading dims every variable has before its own (``("chain", "draw")`` for draws).
    coords : mapping, optional
        Coords of ``sample_dims``.

    Returns
    -------
    xarray.Dataset
    """
    dims = model.named_vars_to_dims
    known = {k: np.asarray(v) for k, v in model.coords.items() if v is not None}
    variables: dict[str, Any] = {}
    for name, value in values.items():
        own = value.ndim - len(sample_dims)
        var_dims = dims.get(name)
        if var_dims is None or len(var_dims) != own:
            var_dims = tuple(f"{name}_dim_{i}" for i in range(own))
        variables[name] = xr.DataArray(value, dims=(*sample_dims, *var_dims))
    used = {d for v in variables.values() for d in v.dims}
    return xr.Dataset(
        variables, coords={**{k: v for k, v in known.items() if k in used}, **(coords or {})}
    )


def _vectorise(outputs: Sequence[Any], replace: dict[Any, Any]) -> list[Any]:
    """:func:`pytensor.graph.replace.vectorize_graph`, node by node, shapes kept unbatched.

    Every node computed from a replaced variable is vectorised as ``vectorize_graph``
    does it, except :class:`~pytensor.tensor.shape.Shape`: the draws of a batch share
    their core shape, so it is sliced off the batched input's shape instead of being
    broadcast to every draw. That broadcast is an ``Alloc``, which infers its static
    shape by importing the whole graph above it into a function graph; on the survival
    model's likelihood terms it took most of the time of vectorising. The operations
    that use the shape then see it unbatched, and compute the same values.

    Parameters
    ----------
    outputs : sequence of TensorVariable
    replace : dict
        Each variable to replace -> its batched version (one leading draw axis).

    Returns
    -------
    list of TensorVariable
        The batched ``outputs``.
    """
    from pytensor.graph.replace import vectorize_graph
    from pytensor.tensor.shape import Shape

    batched = dict(replace)
    for node in _compat.graph_apply_nodes(list(replace), list(outputs)):
        inputs = [batched.get(v, v) for v in node.inputs]
        if all(new is old for new, old in zip(inputs, node.inputs, strict=True)):
            continue  # computed from none of the replaced variables
        if isinstance(node.op, Shape):
            [old], [new] = node.inputs, inputs
            new_outputs = [new.shape[new.type.ndim - old.type.ndim:]]
        else:
            # The node is vectorised detached from the graph above it: each replaced
            # input becomes a placeholder of the same type, so that vectorize_graph does
            # not search the whole graph above every node for dependencies among inputs.
            stand_ins = [old.type() if new is not old else old
                         for old, new in zip(node.inputs, inputs, strict=True)]
            detached = node.clone_with_new_inputs(stand_ins)
            new_outputs = vectorize_graph(list(detached.outputs), replace={
                stand_in: new for stand_in, new, old in zip(
                    stand_ins, inputs, node.inputs, strict=True) if new is not old})
        for old_output, new_output in zip(node.outputs, new_outputs, strict=True):
            batched.setdefault(old_output, new_output)
    return [batched.get(v, v) for v in outputs]


_BY_MODEL: weakref.WeakKeyDictionary[Any, DeterministicsFunction] = weakref.WeakKeyDictionary()


def model_deterministics(model: pm.Model) -> DeterministicsFunction:
    """Return the evaluator of ``model``'s deterministics, built once while the model lives.

    The sampler backend (on posterior draws) and the prior sampler (on prior draws) of
    one model share it: it holds no state of a fit, and reads the model's data containers
    when called.
    """
    found = _BY_MODEL.get(model)
    if found is None:
        found = _BY_MODEL[model] = DeterministicsFunction(model)
    return found
