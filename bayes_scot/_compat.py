"""Version seam: every call that differs between PyMC 5 / ArviZ 0.x and PyMC 6 / ArviZ 1.x.

The rest of the package calls these functions instead of the libraries directly wherever
the two generations disagree:

* ArviZ 0.x returns :class:`arviz.InferenceData`; ArviZ 1.x returns an
  :class:`xarray.DataTree`. Groups are read with :func:`get_group` and added with
  :func:`add_group`, so callers never touch either container's private API.
* R-hat and bulk ESS live in ``arviz`` (0.x) or ``arviz_stats`` (1.x):
  :func:`rhat` and :func:`ess_bulk` take an :class:`xarray.Dataset` of posterior draws.
* Data containers are changed with :func:`set_data` and listed with :func:`data_names`.
* Posterior predictive sampling and PyMC's own NUTS are called through
  :func:`sample_posterior_predictive` and :func:`pymc_sample`.
* nutpie's numba compilation goes through :func:`compile_nutpie_numba`, which keeps the
  compiled log density in PyTensor's on-disk cache (it relies on nutpie 0.16 and
  PyTensor 2.3x internals, and falls back to nutpie's own path when they do not apply).
* JAX is configured once (:func:`jax_runtime`), PyTensor graphs become JAX functions
  through :func:`jax_function`, and BlackJAX's window adaptation and NUTS kernel are
  driven by :func:`blackjax_nuts_chain`.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from types import ModuleType, SimpleNamespace
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
    "blackjax_nuts_chain",
    "compile_nutpie_numba",
    "data_names",
    "data_values",
    "ess_bulk",
    "get_group",
    "graph_inputs",
    "group_names",
    "has_group",
    "inference_data",
    "jax_function",
    "jax_runtime",
    "pymc_sample",
    "quiet_pymc",
    "rhat",
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


# -- convergence diagnostics ----------------------------------------------------------------
def rhat(posterior: xr.Dataset) -> xr.Dataset:
    """Rank-normalised split R-hat of every variable (Vehtari et al. 2021)."""
    if ARVIZ_MAJOR < 1:
        import arviz as az

        return az.rhat(posterior, method="rank")
    from arviz_stats import rhat as _rhat  # pragma: no cover - ArviZ 1.x

    return _rhat(posterior, method="rank")  # pragma: no cover


def ess_bulk(posterior: xr.Dataset) -> xr.Dataset:
    """Bulk effective sample size of every variable (Vehtari et al. 2021)."""
    if ARVIZ_MAJOR < 1:
        import arviz as az

        return az.ess(posterior, method="bulk")
    from arviz_stats import ess as _ess  # pragma: no cover - ArviZ 1.x

    return _ess(posterior, method="bulk")  # pragma: no cover


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


# -- nutpie's numba backend ---------------------------------------------------------------
# nutpie 0.16 wraps PyTensor's numba-compiled log density in a C callback that numba
# cannot cache ("dynamic globals"), and building that callback re-generates machine code
# for the whole log density in every process: about 20 s for the survival model, even
# when PyTensor's on-disk cache holds every kernel. Here the log density is first wrapped
# in a small C callback of its own, which PyTensor's cache locator stores on disk under
# the log density's cache key; nutpie's callback then calls it through a function
# pointer, so only a few lines are compiled per process.

_NUTPIE_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _as_pointer() -> Any:
    """Return a numba intrinsic that turns an integer address into a ``void*``."""
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def as_pointer(typingctx: Any, address: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return builder.inttoptr(args[0], cgutils.voidptr_t)

        return types.voidptr(address), codegen

    return as_pointer


def _cached_logp_callback(logp_fn_pt: Any, n_dim: int) -> Any:
    """Return a thin numba function computing ``(logp, grad)`` through a cached C callback.

    Falls back to PyTensor's own compiled function when it has no cache key, reads other
    than exactly one shared variable, or PyTensor lacks the cache internals used here.
    """
    import numba
    from numba import types

    jit_fn = logp_fn_pt.vm.jit_fn
    try:
        from pytensor.link.numba.cache import (
            CACHED_SRC_FUNCTIONS,
            compile_numba_function_src,
        )
    except ImportError:  # pragma: no cover - other PyTensor versions
        return jit_fn
    py_func = getattr(jit_fn, "py_func", None)
    key = CACHED_SRC_FUNCTIONS.get(py_func) if py_func is not None else None
    shared = logp_fn_pt.get_shared()
    if key is None or len(shared) != 1:
        return jit_fn
    size = int(np.asarray(shared[0].get_value()).size)
    name = "bayes_scot_logp_callback"
    source = (
        f"def {name}(x_ptr, data_ptr, grad_ptr):\n"
        f"    x = carray(x_ptr, ({n_dim},), float64)\n"
        f"    data = carray(data_ptr, ({size},), float64)\n"
        f"    grad = carray(grad_ptr, ({n_dim},), float64)\n"
        f"    logp, dlogp = log_density(x, data)\n"
        f"    grad[:] = dlogp\n"
        f"    return logp[()]\n"
    )
    function = compile_numba_function_src(
        source,
        name,
        global_env={
            "__name__": __name__,  # the module numba records for the cached environment
            "carray": numba.carray,
            "float64": np.float64,
            "log_density": jit_fn,
        },
        cache_key=f"{name}_{n_dim}_{size}_{key}",
    )
    callback = numba.cfunc(types.float64(types.voidptr, types.voidptr, types.voidptr),
                           cache=True)(function)
    as_pointer = _as_pointer()

    @numba.njit
    def logp_and_gradient(x: np.ndarray, data: np.ndarray) -> tuple[float, np.ndarray]:
        grad = np.empty(n_dim)
        value = callback(
            as_pointer(x.ctypes.data), as_pointer(data.ctypes.data), as_pointer(grad.ctypes.data)
        )
        return value, grad

    return logp_and_gradient


class _LogpFunction:
    """A compiled PyTensor function whose numba entry point is replaced."""

    def __init__(self, original: Any, jit_fn: Any) -> None:
        self._original = original
        self.vm = SimpleNamespace(jit_fn=jit_fn)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


@contextmanager
def _numba_optimisation(level: int = 1) -> Iterator[None]:
    """Compile with LLVM optimisation ``level`` (unless ``NUMBA_OPT`` is set), then restore.

    The kernels of these log densities are short loops over small arrays: at -O1 numba
    compiles them in a little more than half the time of its default -O3, and the
    sampler runs as fast (``benchmarks/README.md``). A ``NUMBA_OPT`` environment
    variable is respected.
    """
    from numba.core import config

    if "NUMBA_OPT" in os.environ:
        yield
        return
    previous = config.OPT
    config.OPT = type(previous)(level)
    try:
        yield
    finally:
        config.OPT = previous


@lru_cache(maxsize=1)
def _register_contiguous_constants() -> None:
    """Make every constant of a numba-compiled graph C-contiguous (registered once).

    Numba embeds contiguous constant arrays in the machine code but refers to any other
    (a reversed view, say, which PyTensor's constant folding makes from the gradient of
    a cumulative sum) by its address in this process. Code holding such an address
    cannot be cached on disk, so one reversed constant would make every process compile
    the whole log density again.
    """
    from pytensor.compile import optdb
    from pytensor.graph.rewriting.basic import GraphRewriter
    from pytensor.tensor import TensorConstant

    class ContiguousConstants(GraphRewriter):
        def apply(self, fgraph: Any) -> None:
            for var in list(fgraph.variables):
                if not isinstance(var, TensorConstant) or var.data.ndim == 0:
                    continue
                if var.data.flags.c_contiguous or var.data.flags.f_contiguous:
                    continue
                fgraph.replace(
                    var,
                    TensorConstant(var.type, np.ascontiguousarray(var.data), name=var.name),
                    reason="contiguous_constants",
                )

    optdb.register("bayes_scot_contiguous_constants", ContiguousConstants(), "numba",
                   position=100)


def compile_nutpie_numba(model: pm.Model, *, var_names: Sequence[str]) -> Any:
    """``nutpie.compile_pymc_model(model, backend="numba")`` with a cached log density.

    Parameters
    ----------
    model : pymc.Model
        The model to compile.
    var_names : sequence of str
        Variables nutpie stores for each draw.

    Returns
    -------
    nutpie.compiled_pyfunc.CompiledPyMCModel
        As nutpie returns it; its log-density callback calls the disk-cached one.
    """
    import nutpie
    import nutpie.compile_pymc as nutpie_pymc

    _register_contiguous_constants()
    original = nutpie_pymc._make_functions

    def make_functions(*args: Any, **kwargs: Any) -> Any:
        n_dim, n_expanded, logp_fn_pt, *rest = original(*args, **kwargs)
        thin = _LogpFunction(logp_fn_pt, _cached_logp_callback(logp_fn_pt, n_dim))
        return (n_dim, n_expanded, thin, *rest)

    from numba.core.errors import NumbaPerformanceWarning

    with _NUTPIE_LOCK, _numba_optimisation(), warnings.catch_warnings():
        # Numba notes that np.dot on a transposed view of a few numbers could be faster
        # on a contiguous copy; at these sizes it makes no difference worth a message.
        warnings.filterwarnings("ignore", category=NumbaPerformanceWarning)
        nutpie_pymc._make_functions = make_functions
        try:
            return nutpie.compile_pymc_model(model, backend="numba", var_names=list(var_names))
        finally:
            nutpie_pymc._make_functions = original


# -- JAX and BlackJAX -----------------------------------------------------------------------
_JAX_LOCK = threading.Lock()


def jax_runtime() -> ModuleType:
    """Import JAX, configured once per process for PyMC models on the CPU.

    * 64-bit floats (``jax_enable_x64``): PyTensor graphs are float64.
    * One CPU device per core (``jax_num_cpu_devices``), so that independent chains can
      run in parallel. This is possible only before JAX's first computation in the
      process; afterwards JAX keeps the devices it has.
    * An on-disk compilation cache under PyTensor's ``base_compiledir`` (unless one is
      configured already), so that a later process loads compiled samplers instead of
      compiling them again.

    Returns
    -------
    module
        The ``jax`` module.
    """
    import jax

    with _JAX_LOCK:
        if getattr(jax_runtime, "_configured", False):
            return jax
        jax.config.update("jax_enable_x64", True)
        config: Any = jax.config
        try:
            if config.jax_num_cpu_devices in (-1, None):
                config.update("jax_num_cpu_devices", os.cpu_count() or 1)
        except (AttributeError, RuntimeError):  # older JAX, or computations already ran
            pass
        if not config.jax_compilation_cache_dir:
            import pytensor

            cache = Path(pytensor.config.base_compiledir) / "jax"
            jax.config.update("jax_compilation_cache_dir", str(cache))
        jax_runtime._configured = True  # type: ignore[attr-defined]
    return jax


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


def jax_function(inputs: Sequence[Any], outputs: Sequence[Any]) -> Any:
    """Compile a PyTensor graph into a (traceable) JAX function.

    The graph is rewritten with PyTensor's JAX rewrites and translated by its JAX
    dispatcher. Inputs should have static shapes, so that every shape in the graph is a
    constant: JAX cannot trace shapes that depend on values.

    Parameters
    ----------
    inputs, outputs : sequence of TensorVariable
        The graph's inputs (no shared variables may remain among its leaves) and outputs.

    Returns
    -------
    callable
        ``f(*inputs) -> tuple of outputs``, to be traced by :func:`jax.jit`.
    """
    from pytensor.compile.mode import JAX
    from pytensor.graph import FunctionGraph
    from pytensor.link.jax.dispatch import jax_funcify

    jax_runtime()
    fgraph = FunctionGraph(inputs=list(inputs), outputs=list(outputs), clone=True)
    # With static input shapes, PyTensor 2.38's local_subtensor_of_expand_dims proposes a
    # replacement of the wrong static shape; the rewriter rejects it and logs a traceback.
    JAX.excluding("local_subtensor_of_expand_dims").optimizer.rewrite(fgraph)
    with warnings.catch_warnings():
        # Parameter checks (sigma > 0) are dropped under tracing: the sampler works on the
        # unconstrained scale, where they hold by construction.
        warnings.filterwarnings("ignore", message="Skipping .* Op", category=UserWarning)
        return jax_funcify(fgraph)


def blackjax_nuts_chain(
    logdensity: Any,
    key: Any,
    position: Any,
    *,
    tune: int,
    draws: int,
    target_accept: float,
    max_treedepth: int,
) -> tuple[Any, Any]:
    """One NUTS chain with BlackJAX: Stan's window adaptation, then ``draws`` draws.

    Traceable: meant to be vectorised (:func:`jax.vmap`) over chains and compiled.

    Parameters
    ----------
    logdensity : callable
        Log density of the unconstrained position (a list of arrays).
    key : jax.Array
        PRNG key of the chain.
    position : list of jax.Array
        Initial position.
    tune, draws : int
        Adaptation steps (at least 1) and kept draws.
    target_accept : float
        Target mean acceptance probability of the step-size adaptation.
    max_treedepth : int
        Largest number of trajectory doublings.

    Returns
    -------
    trace : dict of str to jax.Array
        Per draw: ``position`` (list of arrays), ``lp``, ``diverging``, ``n_steps``,
        ``tree_depth``, ``acceptance_rate`` and ``energy``.
    step_size : jax.Array
        The adapted step size.

    References
    ----------
    .. [1] Cabezas A et al. BlackJAX: composable Bayesian inference in JAX. 2024.
       arXiv:2402.10797.
    .. [2] Stan Development Team. Stan Reference Manual: HMC algorithm parameters
       (windowed adaptation).
    """
    import blackjax

    jax = jax_runtime()
    warmup_key, sample_key = jax.random.split(key)
    adaptation = blackjax.window_adaptation(
        blackjax.nuts, logdensity, target_acceptance_rate=target_accept,
        max_num_doublings=max_treedepth,
    )
    (state, parameters), _ = adaptation.run(warmup_key, position, num_steps=tune)
    kernel = blackjax.nuts(logdensity, **parameters).step

    def one_draw(state: Any, draw_key: Any) -> tuple[Any, dict[str, Any]]:
        state, info = kernel(draw_key, state)
        return state, {
            "position": state.position,
            "lp": state.logdensity,
            "diverging": info.is_divergent,
            "n_steps": info.num_integration_steps,
            "tree_depth": info.num_trajectory_expansions,
            "acceptance_rate": info.acceptance_rate,
            "energy": info.energy,
        }

    _, trace = jax.lax.scan(one_draw, state, jax.random.split(sample_key, draws))
    return trace, parameters["step_size"]
