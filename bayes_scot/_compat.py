"""Version seam: every call that differs between PyMC 5 / ArviZ 0.x and PyMC 6 / ArviZ 1.x.

The rest of the package calls these functions instead of the libraries directly wherever
the two generations (or two PyTensor releases) disagree:

* ArviZ 0.x returns :class:`arviz.InferenceData`; ArviZ 1.x returns an
  :class:`xarray.DataTree`. Groups are read with :func:`get_group` and added with
  :func:`add_group`, and containers made with :func:`inference_data`, so callers never
  touch either container's own API.
* Pareto-smoothed importance weights and power-scaling sensitivity live in ``arviz``
  (0.x) or ``arviz_stats`` (1.x): :func:`psislw` and :func:`psens`. (R-hat and bulk ESS
  are the package's own vectorised copies of ArviZ's estimators,
  :mod:`bayes_scot.stats.convergence`.)
* Data containers are changed with :func:`set_data` and listed with :func:`data_names`.
* Posterior predictive sampling and PyMC's own NUTS are called through
  :func:`sample_posterior_predictive` and :func:`pymc_sample`.
* PyTensor's graph traversal moved module in 2.32: :func:`graph_inputs`,
  :func:`graph_ancestors`.
* JAX's ``shard_map`` became public (and renamed its replication check) in 0.7, and
  serialising an exported program needs the optional ``flatbuffers`` package:
  :func:`jax_shard_map`, :func:`jax_serialise`, :func:`jax_deserialise`.

It imports nothing from the package and no PyMC, PyTensor or ArviZ at import time, so
every layer may import it (like :mod:`bayes_scot.errors`). Compilation machinery (the
numba cache, JAX set-up) lives in :mod:`bayes_scot.fitting`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

__all__ = [
    "ARVIZ_MAJOR",
    "PYMC_MAJOR",
    "InferenceDataLike",
    "add_group",
    "data_names",
    "data_values",
    "get_group",
    "graph_ancestors",
    "graph_inputs",
    "group_names",
    "has_group",
    "inference_data",
    "jax_deserialise",
    "jax_serialise",
    "jax_shard_map",
    "psens",
    "psislw",
    "pymc_sample",
    "quiet_pymc",
    "sample_posterior_predictive",
    "set_data",
]


def _major(version: str) -> int:
    return int(version.split(".", 1)[0])


def _arviz_major() -> int:
    from importlib.metadata import version

    return _major(version("arviz"))


def _pymc_major() -> int:
    from importlib.metadata import version

    return _major(version("pymc"))


ARVIZ_MAJOR: int = _arviz_major()
"""Major version of the installed ArviZ."""

PYMC_MAJOR: int = _pymc_major()
"""Major version of the installed PyMC."""

InferenceDataLike = Any
"""``arviz.InferenceData`` (ArviZ 0.x) or ``xarray.DataTree`` (ArviZ 1.x)."""


# -- posterior containers -----------------------------------------------------------------
def group_names(idata: InferenceDataLike) -> list[str]:
    """Names of the groups held by ``idata`` (``posterior``, ``sample_stats``, ...)."""
    if hasattr(idata, "groups") and callable(idata.groups):
        return list(idata.groups())
    if not hasattr(idata, "children") and isinstance(idata, Mapping):  # name -> dataset
        return [str(name) for name in idata]
    return [str(name).lstrip("/") for name in getattr(idata, "children", {})]


def has_group(idata: InferenceDataLike, name: str) -> bool:
    """Whether ``idata`` holds the group ``name``."""
    return name in group_names(idata)


def get_group(idata: InferenceDataLike, name: str) -> xr.Dataset:
    """Return group ``name`` of ``idata`` as an :class:`xarray.Dataset`.

    Raises
    ------
    KeyError
        If the group is missing.
    """
    if not has_group(idata, name):
        held = getattr(idata, name, None)  # an object holding its groups as attributes
        if isinstance(held, xr.Dataset):
            return held
        raise KeyError(f"the posterior has no {name!r} group; it has {group_names(idata)}")
    group = idata[name]
    if isinstance(group, xr.Dataset):
        return group
    return group.to_dataset()  # DataTree node (ArviZ 1.x)


def add_group(idata: InferenceDataLike, name: str, dataset: xr.Dataset) -> None:
    """Add (or replace) group ``name`` of ``idata`` in place."""
    if ARVIZ_MAJOR < 1:
        if has_group(idata, name):
            setattr(idata, name, dataset)
        else:
            idata.add_groups({name: dataset})
        return
    idata[name] = dataset  # pragma: no cover - ArviZ 1.x


def inference_data(**groups: xr.Dataset) -> InferenceDataLike:
    """Return a new posterior container holding ``groups`` (name -> dataset)."""
    if ARVIZ_MAJOR < 1:
        import arviz as az

        return az.InferenceData(**groups)  # type: ignore[arg-type]
    return xr.DataTree.from_dict(groups)  # pragma: no cover - ArviZ 1.x


# -- importance weights and sensitivity --------------------------------------------------
def psislw(log_ratios: np.ndarray, reff: float = 1.0) -> tuple[np.ndarray, float]:
    """Pareto-smoothed log importance weights of a flat vector and the shape estimate k-hat.

    References
    ----------
    .. [1] Vehtari A, Simpson D, Gelman A, Yao Y, Gabry J. Pareto smoothed importance
       sampling. JMLR 2024;25(72):1-58.
    """
    if ARVIZ_MAJOR < 1:
        import arviz as az

        lw, khat = az.psislw(np.asarray(log_ratios), reff=reff)
        return np.asarray(lw), float(khat)
    from arviz_stats.base import array_stats  # pragma: no cover - ArviZ 1.x

    lw, khat = array_stats.psislw(np.asarray(log_ratios), r_eff=reff)  # pragma: no cover
    return np.asarray(lw), float(khat)  # pragma: no cover


def psens(idata: InferenceDataLike, *, component: str, delta: float) -> xr.Dataset:
    """Power-scaling sensitivity of every posterior variable to ``component``.

    Parameters
    ----------
    idata : InferenceDataLike
        With ``posterior``, ``log_prior`` and (for the likelihood) ``log_likelihood``.
    component : {"prior", "likelihood"}
    delta : float
        Power-scaling perturbation: the powers are ``1 - delta`` and ``1 + delta``.

    References
    ----------
    .. [1] Kallioinen N, Paananen T, Bürkner P-C, Vehtari A. Detecting and diagnosing
       prior and likelihood sensitivity with power-scaling. Statistics and Computing
       2024;34:57. doi:10.1007/s11222-023-10366-5
    """
    if ARVIZ_MAJOR < 1:
        import arviz as az

        return az.psens(idata, component=component, delta=delta)
    from arviz_stats import psense  # pragma: no cover - ArviZ 1.x

    return psense(idata, group=component, alphas=(1 - delta, 1 + delta))  # pragma: no cover


# -- PyMC models ----------------------------------------------------------------------------
def data_names(model: pm.Model) -> list[str]:
    """Names of the model's data containers (``pm.Data`` / shared variables)."""
    from pytensor.compile.sharedvalue import SharedVariable

    names = [v.name for v in getattr(model, "data_vars", ())]
    if names:
        return names
    return [  # pragma: no cover - PyMC without ``Model.data_vars``
        name for name, var in model.named_vars.items() if isinstance(var, SharedVariable)
    ]


def data_values(model: pm.Model) -> dict[str, np.ndarray]:
    """Return the current values of the model's data containers, by name."""
    return {name: np.asarray(model[name].get_value()) for name in data_names(model)}


def set_data(model: pm.Model, values: Mapping[str, Any]) -> None:
    """Set data containers of ``model`` to ``values``, keeping each container's dtype.

    Raises
    ------
    KeyError
        If a name is not a data container of the model.
    """
    known = set(data_names(model))
    for name, value in values.items():
        if name not in known:
            raise KeyError(
                f"{name!r} is not a data container of the model; known: {sorted(known)}"
            )
        var = model[name]
        var.set_value(np.asarray(value, dtype=var.dtype))


@contextmanager
def quiet_pymc(quiet: bool = True) -> Iterator[None]:
    """Silence PyMC's informational log lines ("Sampling: [...]") inside the block."""
    logger = logging.getLogger("pymc")
    level = logger.level
    if quiet:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def sample_posterior_predictive(
    idata: InferenceDataLike,
    model: pm.Model,
    *,
    var_names: Sequence[str] | None,
    seed: int,
    progressbar: bool = False,
) -> InferenceDataLike:
    """Posterior predictive draws of ``var_names`` (default: observed variables)."""
    import pymc as pm

    with quiet_pymc(not progressbar):
        return pm.sample_posterior_predictive(
            idata,
            model=model,
            var_names=list(var_names) if var_names is not None else None,
            random_seed=seed,
            progressbar=progressbar,
            extend_inferencedata=False,
        )


def pymc_sample(
    model: pm.Model,
    *,
    step: Any,
    draws: int,
    tune: int,
    chains: int,
    cores: int,
    seed: int,
    progressbar: bool,
) -> InferenceDataLike:
    """PyMC's own sampler with a prepared step method, returning the posterior container.

    Chains run in worker processes. Once JAX has started its threads in this process
    (the ``blackjax`` backend), forking would risk a deadlock, so the workers are then
    started by a fork server instead.
    """
    import pymc as pm

    mp_ctx = "forkserver" if "jax" in sys.modules and cores > 1 else None
    with quiet_pymc(not progressbar):
        return pm.sample(
            mp_ctx=mp_ctx,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            step=step,
            random_seed=seed,
            progressbar=progressbar,
            model=model,
            compute_convergence_checks=False,
            return_inferencedata=True,
            idata_kwargs={"log_likelihood": False},
        )


# -- PyTensor graphs ------------------------------------------------------------------------
def _traversal() -> ModuleType:
    import importlib

    try:
        return importlib.import_module("pytensor.graph.traversal")
    except ImportError:  # pragma: no cover - PyTensor before 2.32
        return importlib.import_module("pytensor.graph.basic")


def graph_inputs(outputs: Sequence[Any]) -> list[Any]:
    """Return the leaves (inputs, constants, shared variables) of the graph of ``outputs``."""
    return list(_traversal().graph_inputs(list(outputs)))


def graph_ancestors(outputs: Sequence[Any]) -> set[Any]:
    """Return every variable the graph of ``outputs`` is computed from (and themselves)."""
    return set(_traversal().ancestors(list(outputs)))




def graph_apply_nodes(inputs: Sequence[Any], outputs: Sequence[Any]) -> list[Any]:
    """Return the Apply nodes between ``inputs`` and ``outputs``, parents before children."""
    return list(_traversal().io_toposort(list(inputs), list(outputs)))


# -- JAX --------------------------------------------------------------------------------------
def jax_shard_map(fun: Any, mesh: Any, axis: str) -> Any:
    """Map ``fun`` over blocks of rows of every argument and output, one per device.

    Each device runs ``fun`` on its own block, with no communication, as :func:`jax.pmap`
    over a leading device axis does; unlike ``pmap``, the result can be exported
    (:func:`jax.export.export`). The replication check is off: ``fun`` has no
    collectives, and BlackJAX's ``lax.cond`` branches mix per-device and constant values.

    Parameters
    ----------
    fun : callable
        Function of arrays whose leading axis is the rows.
    mesh : jax.sharding.Mesh
        One-dimensional mesh of the devices.
    axis : str
        The mesh's axis name.

    Returns
    -------
    callable

    References
    ----------
    .. [1] JAX documentation. Manual parallelism with shard_map.
       https://docs.jax.dev/en/latest/notebooks/shard_map.html
    """
    import importlib
    import inspect

    import jax
    from jax.sharding import PartitionSpec

    spec = PartitionSpec(axis)
    shard_map: Any = getattr(jax, "shard_map", None)
    if shard_map is None:  # pragma: no cover - JAX before 0.7
        shard_map = importlib.import_module("jax.experimental.shard_map").shard_map
    check = ("check_vma" if "check_vma" in inspect.signature(shard_map).parameters
             else "check_rep")
    return shard_map(fun, mesh=mesh, in_specs=spec, out_specs=spec, **{check: False})


def jax_serialise(exported: Any) -> bytes | None:
    """Serialise a :class:`jax.export.Exported`; ``None`` without ``flatbuffers``.

    JAX's serialisation format needs the ``flatbuffers`` package, which JAX does not
    require; without it an exported program can still be called in its own process.
    """
    try:
        return bytes(exported.serialize())
    except ImportError:
        return None


def jax_deserialise(blob: bytes) -> Any:
    """Read a :class:`jax.export.Exported` written by :func:`jax_serialise`.

    Raises
    ------
    ImportError
        Without ``flatbuffers``.
    Exception
        Whatever JAX raises for bytes that are not a serialised program.
    """
    import jax.export

    return jax.export.deserialize(bytearray(blob))
