"""BlackJAX's NUTS, compiled whole by JAX, running many fits as one vectorised batch.

nutpie compiles the log density with numba, one kernel per node of the graph, which costs
about a minute per model structure on a machine that has not compiled it before. Here the
log density is translated to JAX (PyTensor's JAX dispatcher) and the whole sampler, Stan's
windowed adaptation followed by the draws, is compiled by XLA as one program, in a few
seconds.

That program is vectorised over chains (:func:`jax.vmap`) and split over the CPU's cores
(one device per core, :func:`bayes_scot.fitting.jax_runtime.sampling_devices`; each device runs
its own block of rows, :func:`bayes_scot._compat.jax_shard_map`). It is traced once per
machine: a later process reads it, exported, from :mod:`bayes_scot.fitting.exported`.
The data containers are packed into one vector
(:class:`~bayes_scot.fitting.backends.base.DataPack`)
that enters the program as an argument, so one compiled program samples any data of the
model's shapes, and several data sets, such as the 13 priors of a grid, are sampled
together: every (data set, chain) pair is one row of the batch. Vectorised chains advance
in lockstep, each iteration lasting as long as the longest trajectory in the batch;
:attr:`~bayes_scot.fitting.SamplerSettings.max_treedepth` bounds that wait. On several
devices each device's block waits only for its own slowest chain, so after the
adaptation the rows are sorted by their trajectory length at the adapted settings and
the chains with long trajectories share a device (``_by_cost``).

The same seed gives the same draws for the same batch. A data set's draws depend only on
the seed and its data, not on the other data sets in the batch, up to floating-point
rounding of the vectorised arithmetic.

References
----------
.. [1] Cabezas A et al. BlackJAX: composable Bayesian inference in JAX. 2024.
   arXiv:2402.10797.
.. [2] Hoffman MD, Gelman A. The No-U-Turn sampler. J Mach Learn Res 2014;15:1593-623.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from bayes_scot import _compat
from bayes_scot.fitting import exported, launcher
from bayes_scot.fitting.backends.base import Backend, BatchDraws, DataPack
from bayes_scot.fitting.deterministics import DeterministicsFunction, model_deterministics
from bayes_scot.fitting.jax_runtime import jax_function, jax_runtime, sampling_devices
from bayes_scot.fitting.settings import SamplerSettings
from bayes_scot.stats.convergence import batch_rhat_ess

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

__all__ = ["COST_WINDOW", "BlackjaxBackend", "nuts_chain", "nuts_draws", "nuts_warmup"]

_JITTER = 1.0
"""Half-width of the uniform jitter added to the model's initial point (unconstrained
scale) to start each chain, as PyMC's ``jitter+adapt_diag`` does."""

_INIT_ATTEMPTS = 20
"""Jittered starting points tried per chain before giving up on a finite log density."""

COST_WINDOW = 50
"""Last adaptation steps whose mean trajectory length predicts a chain's cost per draw:
Stan's terminal window, in which the mass matrix is final and only the step size adapts."""


def nuts_chain(
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

    Traceable: meant to be vectorised (:func:`jax.vmap`) over chains and compiled. It is
    :func:`nuts_warmup` followed by :func:`nuts_draws`, which a batch on several devices
    runs as two stages.

    Parameters
    ----------
    logdensity : callable
        Log density of the unconstrained position (structured as ``position``).
    key : jax.Array
        PRNG key of the chain.
    position : jax.Array or list of jax.Array
        Initial position: any pytree of arrays; the backend passes one flat vector
        (:func:`_flat_positions`).
    tune, draws : int
        Adaptation steps (at least 1) and kept draws.
    target_accept : float
        Target mean acceptance probability of the step-size adaptation.
    max_treedepth : int
        Largest number of trajectory doublings.

    Returns
    -------
    trace : dict of str to jax.Array
        Per draw: ``position`` (structured as the initial one), ``lp``, ``diverging``, ``n_steps``,
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
    warmed, _ = nuts_warmup(logdensity, key, position, tune=tune,
                            target_accept=target_accept, max_treedepth=max_treedepth)
    return nuts_draws(logdensity, warmed, draws=draws, max_treedepth=max_treedepth)


def nuts_warmup(
    logdensity: Any,
    key: Any,
    position: Any,
    *,
    tune: int,
    target_accept: float,
    max_treedepth: int,
) -> tuple[Any, Any]:
    """Stan's window adaptation of one chain, the first stage of :func:`nuts_chain`.

    Parameters
    ----------
    logdensity, key, position, tune, target_accept, max_treedepth
        As :func:`nuts_chain`.

    Returns
    -------
    warmed : tuple
        What :func:`nuts_draws` continues from: the chain's state, adapted step size and
        inverse mass matrix, and the key of its draws.
    cost : jax.Array
        The mean number of leapfrog steps per iteration over the last
        :data:`COST_WINDOW` adaptation steps, which use the final mass matrix: how long
        the chain's trajectories will be, and so how long the chains vectorised with it
        wait for it at each draw.
    """
    import blackjax

    jax = jax_runtime()
    warmup_key, sample_key = jax.random.split(key)
    adaptation = blackjax.window_adaptation(
        blackjax.nuts, logdensity, target_acceptance_rate=target_accept,
        max_num_doublings=max_treedepth,
    )
    (state, parameters), info = adaptation.run(warmup_key, position, num_steps=tune)
    cost = info.info.num_integration_steps[-min(COST_WINDOW, tune):].mean()
    return (state, parameters["step_size"], parameters["inverse_mass_matrix"],
            sample_key), cost


def nuts_draws(logdensity: Any, warmed: Any, *, draws: int, max_treedepth: int
               ) -> tuple[Any, Any]:
    """Draw from one adapted chain: the second stage of :func:`nuts_chain`.

    Parameters
    ----------
    logdensity : callable
        As :func:`nuts_chain`.
    warmed : tuple
        From :func:`nuts_warmup`.
    draws, max_treedepth : int
        As :func:`nuts_chain`.

    Returns
    -------
    trace, step_size
        As :func:`nuts_chain`.
    """
    import blackjax

    jax = jax_runtime()
    state, step_size, inverse_mass_matrix, sample_key = warmed
    kernel = blackjax.nuts(logdensity, step_size=step_size,
                           inverse_mass_matrix=inverse_mass_matrix,
                           max_num_doublings=max_treedepth).step

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
    return trace, step_size


def _by_cost(jax: Any, warmup: Any, draws: Any, data: Any, keys: Any, positions: Any) -> Any:
    """Adapt every row, then draw with rows of similar cost on the same device.

    Each device's block of rows advances in lockstep, every draw lasting as long as the
    block's longest trajectory, so a block is as slow as its slowest chain. After the
    adaptation the rows are sorted by their trajectory length at the adapted settings
    (:func:`nuts_warmup`), so that long chains share a device instead of holding up
    every device; the draws come back in the rows' own order. Each row's draws are
    those it would have on any device: the sort moves whole chains (state, adapted
    parameters, key, data) and nothing else.
    """
    jnp = jax.numpy
    warmed, cost = warmup(data, keys, positions)
    order = jnp.argsort(cost, stable=True)
    back = jnp.argsort(order, stable=True)

    def rows(tree: Any, index: Any) -> Any:
        return jax.tree_util.tree_map(lambda x: jnp.take(x, index, axis=0), tree)

    return rows(draws(*rows((data, warmed), order)), back)


def _flat_positions(initial: Sequence[np.ndarray]) -> tuple[Any, Any]:
    """Return the maps between a position (one array per free variable) and one vector.

    The sampler works on one flat vector rather than on a list of arrays: every step of
    BlackJAX's integrator and tree building (momentum, position, U-turn checks, the
    choice of proposal) acts on each array of the position separately, so each becomes
    one XLA operation instead of one per free variable. For the survival model's seven
    free variables, that is a sixth fewer kernels to compile and an eighth less
    processor time per draw. The values are the same, up to the order of floating-point
    sums across variables; the random numbers are the same, since BlackJAX draws the
    momentum of a list of arrays as one flat vector.

    Parameters
    ----------
    initial : sequence of numpy.ndarray
        One value per free variable (unconstrained), giving the shapes.

    Returns
    -------
    flat : callable
        A list of arrays of those shapes -> one vector.
    unflat : callable
        One vector -> the list of arrays.

    Notes
    -----
    Both are JAX's own :func:`jax.flatten_util.ravel_pytree`, the map BlackJAX applies
    to the momentum.
    """
    from jax.flatten_util import ravel_pytree

    _, unflat = ravel_pytree([np.zeros_like(x) for x in initial])

    def flat(position: Sequence[Any]) -> Any:
        return ravel_pytree(list(position))[0]

    return flat, unflat


def _unflat_draws(jax: Any, unflat: Any, result: tuple[Any, Any]) -> tuple[Any, Any]:
    """Return a chain's trace and step size, each draw's position as a list of arrays."""
    trace, step_size = result
    return {**trace, "position": jax.vmap(unflat)(trace["position"])}, step_size


class BlackjaxBackend(Backend):
    """BlackJAX NUTS on a JAX-compiled log density; a batch of fits is one XLA program.

    Parameters
    ----------
    template : pymc.Model
        The model compiled. Every data container becomes an argument of the compiled
        program; every other shared variable (dimension lengths) is a constant.

    Notes
    -----
    JAX compiles one program per combination of tuning steps, draws, target acceptance,
    tree depth and batch size; it keeps them for the process and, through its on-disk
    cache, for later processes, which also read the traced program from disk instead of
    tracing it (:mod:`bayes_scot.fitting.exported`).
    """

    name = "blackjax"
    batches = True

    def __init__(self, template: pm.Model) -> None:
        import pytensor.tensor as pt
        from pytensor.compile.sharedvalue import SharedVariable
        from pytensor.graph.replace import graph_replace

        super().__init__(template)
        self._pack = DataPack(template)
        packed = self._pack.model
        point = packed.initial_point()
        values = list(packed.value_vars)
        self._value_names = tuple(v.name for v in values)
        self._initial = tuple(np.asarray(point[v.name], dtype=v.dtype) for v in values)
        # Static shapes make every shape in the graph a constant, which JAX requires.
        static = [
            pt.tensor(name=v.name, dtype=v.dtype, shape=x.shape)
            for v, x in zip(values, self._initial, strict=True)
        ]
        data = pt.tensor(name=DataPack.NAME, dtype="float64", shape=(self._pack.size,))
        logp = packed.logp()
        replace: dict[Any, Any] = dict(zip(values, static, strict=True))
        for var in _compat.graph_inputs([logp]):
            if isinstance(var, SharedVariable):
                replace[var] = data if var is self._pack.shared else pt.constant(
                    var.get_value(), name=var.name
                )
        # The log density is translated to JAX only when a program must be traced: a
        # program stored under the graph's digest needs no translation.
        self._graph = ([*static, data], graph_replace([logp], replace))
        self._graph_digest = exported.graph_digest(*self._graph)
        self._logp_function: Any = None
        constrained = []
        for rv in packed.free_RVs:
            value = packed.rvs_to_values[rv]
            transform = packed.rvs_to_transforms.get(rv)
            if transform is not None:
                value = transform.backward(value, *rv.owner.inputs)
                value.name = rv.name
            constrained.append(value)
        self._constrain = DeterministicsFunction(packed, variables=constrained, inputs=values)
        self._deterministics = model_deterministics(template)
        self._programs: dict[tuple[Any, ...], Any] = {}
        self._programs_lock = threading.Lock()  # batches start on the launcher's thread
        self._logp_digest: str | None = None

    @property
    def _logp(self) -> Any:
        """The log density as a traceable JAX function, translated on first use."""
        if self._logp_function is None:
            self._logp_function = jax_function(*self._graph)
        return self._logp_function

    # -- compiled programs ------------------------------------------------------------------
    @staticmethod
    def _sampler_key(settings: SamplerSettings, devices: int, rows: int) -> tuple[Any, ...]:
        """Key of a sampler among this backend's programs in memory."""
        return (settings.tune, settings.draws, settings.target_accept,
                settings.max_treedepth, devices, rows)

    def _program(self, settings: SamplerSettings, devices: int, rows: int) -> Any:
        """Return the sampler for ``rows`` rows, split in equal blocks over ``devices`` devices."""
        key = self._sampler_key(settings, devices, rows)
        with self._programs_lock:
            if key not in self._programs:
                self._programs[key] = self._build_program(settings, devices, rows)
            return self._programs[key]

    def _prepare(self, settings: SamplerSettings, devices: int, rows: int, checked: int) -> None:
        """Do here, on the calling thread, what reading or tracing a batch needs of PyTensor.

        The keys of the sampler (``rows`` rows over ``devices`` devices) and of the log
        density that checks ``checked`` starting points are computed, and the log density
        translated to JAX when either program is neither in memory nor in the store, so
        that the launcher's thread only reads or traces and compiles: PyTensor's rewrites
        and settings are not made to run on two threads at once.
        """
        needed = []
        if self._sampler_key(settings, devices, rows) not in self._programs:
            needed.append(lambda: self._program_key(settings, devices, self._shapes(rows)))
        if ("log density", checked) not in self._programs:
            needed.append(lambda: self._stored_key({"program": "log density"},
                                                   self._log_density_shapes(checked)))
        if not all(exported.stored(key) for key in needed):
            self._logp  # noqa: B018 - translated now, before tracing on another thread

    def _shapes(self, rows: int) -> list[Any]:
        """Shapes of a sampler's arguments: packed data, chain keys, starting points."""
        jax = jax_runtime()
        prng_key = np.asarray(jax.random.PRNGKey(0))
        return [
            jax.ShapeDtypeStruct((rows, self._pack.size), np.float64),
            jax.ShapeDtypeStruct((rows, *prng_key.shape), prng_key.dtype),
            [jax.ShapeDtypeStruct((rows, *x.shape), np.float64) for x in self._initial],
        ]

    def _build_program(self, settings: SamplerSettings, devices: int, rows: int) -> Any:
        """Trace a sampler, or read it from the store (:mod:`~bayes_scot.fitting.exported`)."""
        jax = jax_runtime()
        sharding = mesh = None
        if devices > 1:
            from jax.sharding import Mesh, NamedSharding, PartitionSpec

            mesh = Mesh(np.array(jax.devices()[:devices]), ("rows",))
            sharding = NamedSharding(mesh, PartitionSpec("rows"))

        def trace() -> Any:
            # Translated before tracing starts. Under jit, the log density is traced
            # once and each of the sampler's calls of it (adaptation and draws, value and
            # gradient) reuses that trace instead of running the translation's Python
            # again: 40% less tracing, the same program after XLA inlines the calls.
            logp = jax.jit(self._logp)
            flat, unflat = _flat_positions(self._initial)

            def density(data: Any) -> Callable[[Any], Any]:
                return lambda position: logp(*unflat(position), data)[0]

            def chain(data: Any, chain_key: Any, position: Any) -> Any:
                return _unflat_draws(jax, unflat, nuts_chain(
                    density(data), chain_key, flat(position), tune=settings.tune,
                    draws=settings.draws, target_accept=settings.target_accept,
                    max_treedepth=settings.max_treedepth,
                ))

            if mesh is None:
                return jax.jit(jax.vmap(chain))

            def warmup(data: Any, chain_key: Any, position: Any) -> Any:
                return nuts_warmup(density(data), chain_key, flat(position),
                                   tune=settings.tune, target_accept=settings.target_accept,
                                   max_treedepth=settings.max_treedepth)

            def draws(data: Any, warmed: Any) -> Any:
                return _unflat_draws(jax, unflat, nuts_draws(
                    density(data), warmed, draws=settings.draws,
                    max_treedepth=settings.max_treedepth))

            stages = (_compat.jax_shard_map(jax.vmap(warmup), mesh, "rows"),
                      _compat.jax_shard_map(jax.vmap(draws), mesh, "rows"))
            return jax.jit(partial(_by_cost, jax, *stages),
                           in_shardings=sharding, out_shardings=sharding)

        shapes = self._shapes(rows)
        return exported.program(
            trace, shapes, sharding, lambda: self._program_key(settings, devices, shapes)
        )

    def _program_key(self, settings: SamplerSettings, devices: int, shapes: Any) -> str:
        """Key of a stored sampler (:func:`bayes_scot.fitting.exported.program_key`)."""
        return self._stored_key(
            {"tune": settings.tune, "draws": settings.draws,
             "target_accept": settings.target_accept,
             "max_treedepth": settings.max_treedepth, "devices": devices},
            shapes,
        )

    def _stored_key(self, settings: Mapping[str, Any], shapes: Any) -> str:
        """Key of a stored program of this model's log density.

        The log density enters as the digest of its PyTensor graph
        (:func:`~bayes_scot.fitting.exported.graph_digest`), known before any translation
        to JAX; a graph without one enters as the digest of its translation's StableHLO.
        """
        jax = jax_runtime()
        if self._logp_digest is None:
            if self._graph_digest is not None:
                self._logp_digest = f"pytensor graph {self._graph_digest}"
            else:
                logp = self._logp
                self._logp_digest = exported.log_density_digest(
                    lambda *args: logp(*args)[0],
                    [*(jax.ShapeDtypeStruct(x.shape, np.float64) for x in self._initial),
                     jax.ShapeDtypeStruct((self._pack.size,), np.float64)],
                )
        return exported.program_key(
            self._logp_digest, settings, jax.tree_util.tree_leaves(shapes),
            [sys.modules[__name__], exported, sys.modules[jax_runtime.__module__], _compat],
        )

    def _log_density_shapes(self, rows: int) -> list[Any]:
        """Shapes of the arguments of the log density of ``rows`` starting points."""
        jax = jax_runtime()
        return [jax.ShapeDtypeStruct((rows, self._pack.size), np.float64),
                [jax.ShapeDtypeStruct((rows, *x.shape), np.float64) for x in self._initial]]

    def _log_densities(self, data: np.ndarray, positions: Sequence[np.ndarray]) -> np.ndarray:
        """Log density of each row's starting point under that row's data."""
        rows = data.shape[0]
        key = ("log density", rows)
        with self._programs_lock:
            if key not in self._programs:
                jax = jax_runtime()

                def trace() -> Any:
                    logp = self._logp  # translated before tracing starts
                    return jax.jit(jax.vmap(lambda data, position: logp(*position, data)[0]))

                shapes = self._log_density_shapes(rows)
                self._programs[key] = exported.program(
                    trace, shapes, None,
                    lambda: self._stored_key({"program": "log density"}, shapes),
                )
            program = self._programs[key]
        return np.asarray(program(data, list(positions)))

    def _starting_points(self, data: np.ndarray, chains: int, seed: int) -> list[np.ndarray]:
        """Jittered initial points, one per row of ``data``, with finite log density.

        Rows of the same chain number share a starting point, so that a data set's chains
        start where they would if it were sampled alone.
        """
        rng = np.random.default_rng(seed)
        n_sets = data.shape[0] // chains
        points = [np.empty((data.shape[0], *x.shape)) for x in self._initial]
        pending = np.ones(data.shape[0], dtype=bool)
        for _ in range(_INIT_ATTEMPTS):
            jitter = [x + rng.uniform(-_JITTER, _JITTER, (chains, *x.shape))
                      for x in self._initial]
            for point, draw in zip(points, jitter, strict=True):
                tiled = np.tile(draw, (n_sets,) + (1,) * (draw.ndim - 1))
                point[pending] = tiled[pending]
            pending &= ~np.isfinite(self._log_densities(data, points))
            if not pending.any():
                return points
        raise RuntimeError(
            f"no finite log density at {_INIT_ATTEMPTS} jittered starting points for "
            f"{int(pending.sum())} chain(s); check the model's data and priors"
        )

    # -- sampling ---------------------------------------------------------------------------
    def sample(  # noqa: D102
        self, values: Mapping[str, np.ndarray], settings: SamplerSettings, seed: int
    ) -> Any:
        return next(iter(self.sample_batch([values], settings, seed)))

    def sample_batch(
        self, datasets: Sequence[Mapping[str, np.ndarray]], settings: SamplerSettings, seed: int
    ) -> Iterator[Any]:
        """Start the whole batch now; yield each posterior once the batch has sampled.

        Checking the starting points, reading (or tracing) and compiling the sampler and
        starting it happen on the launcher thread (:mod:`~bayes_scot.fitting.launcher`),
        and the program runs on JAX's devices while this process goes on, so a caller
        can start several batches (of other models) before it reads the first. An error
        of the launch (no finite starting point, say) is raised when the first posterior
        is read.
        """
        fetch = self._start(datasets, settings, seed)

        def posteriors() -> Iterator[Any]:
            positions_out, stats, step_sizes = fetch()
            for i, values in enumerate(datasets):
                _compat.set_data(self.template, values)
                self._pack.shared.set_value(self._pack.pack(values))
                yield self._inference_data(
                    [p[i] for p in positions_out], {k: v[i] for k, v in stats.items()},
                    step_sizes[i], settings,
                )

        return posteriors()

    def sample_arrays(
        self,
        datasets: Sequence[Mapping[str, np.ndarray]],
        settings: SamplerSettings,
        seed: int,
        var_names: Sequence[str],
    ) -> BatchDraws:
        """Sample a batch and return draws and diagnostics as arrays, without InferenceData.

        Parameters
        ----------
        datasets, settings, seed
            As :meth:`sample_batch`.
        var_names : sequence of str
            Free variables (constrained scale) and deterministics to return. The
            deterministics are computed for the whole batch at once with the first data
            set's values, so they must not depend on data that differ between the sets
            (true of prior hyperparameters shared by a calibration study).

        Returns
        -------
        BatchDraws
        """
        positions_out, stats, _ = self._run(datasets, settings, seed)
        n_sets, chains = len(datasets), settings.chains
        # Diagnostics of every free variable on the sampler's (unconstrained) scale:
        # rank-normalised R-hat and ESS are unchanged by monotone back-transforms.
        flat = np.concatenate(
            [p.reshape(n_sets, chains, settings.draws, -1) for p in positions_out], axis=-1
        )
        flat = np.moveaxis(flat, -1, 1)  # (set, element, chain, draw)
        with np.errstate(invalid="ignore", divide="ignore"):
            rhat, ess = batch_rhat_ess(flat)  # one ranking of the draws for both
        varying = np.isfinite(rhat)
        rhat_max = np.where(varying.any(axis=1),
                            np.nanmax(np.where(varying, rhat, -np.inf), axis=1), np.nan)
        ess_min = np.where(varying.any(axis=1),
                           np.nanmin(np.where(varying, ess, np.inf), axis=1), np.nan)
        divergences = stats["diverging"].reshape(n_sets, -1).sum(axis=1).astype(int)
        self._pack.shared.set_value(self._pack.pack(datasets[0]))
        _compat.set_data(self.template, datasets[0])
        draws = self._batch_variables(positions_out, var_names, n_sets * chains)
        return BatchDraws(
            draws={k: v.reshape(n_sets, chains, *v.shape[1:]) for k, v in draws.items()},
            rhat_max=rhat_max, ess_bulk_min=ess_min, divergences=divergences,
        )

    def _batch_variables(
        self, positions: Sequence[np.ndarray], var_names: Sequence[str], rows: int
    ) -> dict[str, np.ndarray]:
        """Constrained free variables and deterministics, (set x chain) folded into rows."""
        coords = {"chain": np.arange(rows)}
        unconstrained = xr.Dataset(
            {
                name: (("chain", "draw", *(f"{name}_dim_{k}" for k in range(p.ndim - 3))),
                       p.reshape(rows, *p.shape[2:]))
                for name, p in zip(self._value_names, positions, strict=True)
            },
            coords=coords,
        )
        free = self._constrain(unconstrained)
        wanted = [v for v in var_names if v not in free.data_vars]
        if wanted:
            free = self._deterministics.add_to(free)
        missing = [v for v in var_names if v not in free.data_vars]
        if missing:
            raise KeyError(f"{missing} are neither free variables nor deterministics")
        return {name: np.asarray(free[name].values) for name in var_names}

    def _run(
        self, datasets: Sequence[Mapping[str, np.ndarray]], settings: SamplerSettings, seed: int
    ) -> tuple[list[np.ndarray], dict[str, np.ndarray], np.ndarray]:
        """Run the batch; positions, sample stats and step sizes as (set, chain, ...)."""
        return self._start(datasets, settings, seed)()

    def _start(
        self, datasets: Sequence[Mapping[str, np.ndarray]], settings: SamplerSettings, seed: int
    ) -> Callable[[], tuple[list[np.ndarray], dict[str, np.ndarray], np.ndarray]]:
        """Start the batch from the launcher thread; return the call that waits for its draws."""
        jax = jax_runtime()
        chains, n_sets = settings.chains, len(datasets)
        rows = n_sets * chains
        data = np.repeat(np.stack([self._pack.pack(v) for v in datasets]), chains, axis=0)
        keys = np.tile(np.asarray(jax.random.split(jax.random.PRNGKey(seed), chains)),
                       (n_sets, 1))
        devices = max(1, min(sampling_devices(), settings.cores or rows, rows))
        padded = -(-rows // devices) * devices

        def pad(array: np.ndarray) -> np.ndarray:
            """Repeat the last row, so that every device gets the same number of rows."""
            return np.concatenate([array, np.repeat(array[-1:], padded - rows, axis=0)])

        self._prepare(settings, devices, padded, rows)

        def launch() -> tuple[Any, float]:
            """Check the starting points, read or trace and compile the sampler, start it."""
            positions = self._starting_points(data, chains, seed)
            launcher.check()
            program = self._program(settings, devices, padded)
            launcher.check()
            if settings.progressbar:
                print(f"blackjax: {n_sets} data set(s) x {chains} chains, {settings.tune} "
                      f"tuning + {settings.draws} draws, on {devices} device(s)...",
                      file=sys.stderr, flush=True)
            return program(pad(data), pad(keys), [pad(p) for p in positions]), \
                time.perf_counter()

        running: Future[tuple[Any, float]] = launcher.submit(launch)

        def per_set(array: Any) -> np.ndarray:
            array = np.asarray(array)[:rows]
            return array.reshape(n_sets, chains, *array.shape[1:])

        def fetch() -> tuple[list[np.ndarray], dict[str, np.ndarray], np.ndarray]:
            draws, started = running.result()  # re-raises what the launch raised
            trace, step_size = jax.device_get(draws)
            if settings.progressbar:
                print(f"blackjax: sampled in {time.perf_counter() - started:.1f} s",
                      file=sys.stderr, flush=True)
            positions_out = [per_set(p) for p in trace.pop("position")]
            stats = {name: per_set(value) for name, value in trace.items()}
            return positions_out, stats, per_set(step_size)

        return fetch

    def _inference_data(
        self,
        positions: Sequence[np.ndarray],
        stats: Mapping[str, np.ndarray],
        step_size: np.ndarray,
        settings: SamplerSettings,
    ) -> Any:
        """Posterior (constrained free variables and deterministics) and sample stats."""
        coords = {"chain": np.arange(settings.chains), "draw": np.arange(settings.draws)}
        unconstrained = xr.Dataset(
            {
                name: (("chain", "draw", *(f"{name}_dim_{k}" for k in range(p.ndim - 2))), p)
                for name, p in zip(self._value_names, positions, strict=True)
            },
            coords=coords,
        )
        posterior = self._deterministics.add_to(self._constrain(unconstrained))
        sample_stats = xr.Dataset(
            {
                **{name: (("chain", "draw"), value) for name, value in stats.items()},
                "step_size": (("chain", "draw"),
                              np.repeat(step_size[:, None], settings.draws, axis=1)),
            },
            coords=coords,
        )
        sample_stats["diverging"] = sample_stats["diverging"].astype(bool)
        return _compat.inference_data(posterior=posterior, sample_stats=sample_stats)
