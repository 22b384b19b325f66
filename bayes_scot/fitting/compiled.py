"""Compile a PyMC model once per structure; sample it for any data and any prior.

:func:`compile_model` returns a :class:`CompiledModel`. Compilations are kept in a
process-level cache keyed by the backend and a *structure key*: two model objects built by
the same builder with the same options (say, the SCOT model in two test modules, or the
same model refitted to simulated data) share one compilation when they pass the same key.
Without a key, a compilation is shared only by the same model object.

A model's data containers (``pm.Data``), which hold both the evidence and the prior
hyperparameters, are set afresh before every fit; nothing is recompiled when they change.
Every fit sets all of them: a container the fit does not name takes the value the model
was built with (its value when first compiled), never the value of an earlier fit.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from bayes_scot import _compat
from bayes_scot.fitting.backends import Backend, BatchDraws, make_backend
from bayes_scot.fitting.deterministics import named_dataset
from bayes_scot.fitting.settings import BACKENDS, SamplerSettings

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm
    from numpy.typing import ArrayLike

__all__ = ["CacheInfo", "CompiledModel", "cache_info", "clear_cache", "compile_model"]

_DEFAULT_SETTINGS = SamplerSettings()


@dataclass(frozen=True)
class CacheInfo:
    """Counters of the compile cache.

    Attributes
    ----------
    compilations : int
        Models compiled in this process (one per structure key and backend).
    hits : int
        Calls of :func:`compile_model` answered from the cache.
    size : int
        Compilations currently held.
    """

    compilations: int
    hits: int
    size: int


class _Cache:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, Hashable], tuple[Backend, tuple[Any, ...]]] = {}
        self.compilations = 0
        self.hits = 0
        self.lock = threading.Lock()


_CACHE = _Cache()

_BUILT_DATA: weakref.WeakKeyDictionary[Any, dict[str, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)
"""Each bound model's data-container values as built, recorded when first compiled."""


def _built_data(model: pm.Model) -> dict[str, np.ndarray]:
    """Return the data values ``model`` was built with (recorded on first sight)."""
    with _CACHE.lock:
        values = _BUILT_DATA.get(model)
        if values is None:
            values = {k: v.copy() for k, v in _compat.data_values(model).items()}
            _BUILT_DATA[model] = values
    return values


def cache_info() -> CacheInfo:
    """Return the compile cache's counters (tests use them to prove nothing recompiled).

    Returns
    -------
    CacheInfo
    """
    return CacheInfo(_CACHE.compilations, _CACHE.hits, len(_CACHE.entries))


def clear_cache() -> None:
    """Forget every compilation held by this process (counters are kept)."""
    with _CACHE.lock:
        _CACHE.entries.clear()


def _signature(model: pm.Model) -> tuple[Any, ...]:
    """Return what must agree between two models that share a compilation."""
    free = tuple((rv.name, rv.type.ndim) for rv in model.free_RVs)
    data = tuple(
        (name, np.shape(value)) for name, value in sorted(_compat.data_values(model).items())
    )
    dets = tuple(d.name for d in model.deterministics)
    return free, data, dets


def compile_model(
    model: pm.Model, *, backend: str = "nutpie", key: Hashable | None = None
) -> CompiledModel:
    """Compile ``model`` for ``backend``, or reuse a compilation of the same structure.

    Parameters
    ----------
    model : pymc.Model
        The model; its evidence and prior hyperparameters should be data containers
        (``pm.Data``) so that one compilation serves every fit.
    backend : {"nutpie", "blackjax", "pymc"}, default "nutpie"
        Sampler the model is compiled for.
    key : hashable, optional
        Structure key. Models passed with equal keys must have the same structure
        (variables, shapes, coordinates); they then share one compilation, and only their
        data differ. Builders provide one as their ``structure_key`` attribute. Without
        a key, the compilation is cached for this model object only.

    Returns
    -------
    CompiledModel
        Bound to ``model``: sampling uses the data values ``model`` was built with (its
        values when first compiled), overridden by any values passed to
        :meth:`CompiledModel.sample`.

    Raises
    ------
    ValueError
        If ``backend`` is unknown, or a model of a different structure was compiled
        under the same ``key``.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    cache_key: tuple[str, Hashable] = (
        backend,
        ("model-object", id(model)) if key is None else ("structure", key),
    )
    signature = _signature(model)
    _built_data(model)
    with _CACHE.lock:
        cached = _CACHE.entries.get(cache_key)
        if cached is not None:
            core, cached_signature = cached
            if cached_signature != signature:
                raise ValueError(
                    f"a model of a different structure was compiled under the key {key!r}; "
                    "structure keys must identify the model's variables and shapes"
                )
            if key is None and core.template is not model:  # id() reused by a new object
                cached = None
            else:
                _CACHE.hits += 1
        if cached is None:
            core = make_backend(backend, model)
            _CACHE.entries[cache_key] = (core, signature)
            _CACHE.compilations += 1
    return CompiledModel(model, core, key=key)


class CompiledModel:
    """A compiled model, bound to one :class:`pymc.Model` object, ready to sample.

    Parameters
    ----------
    model : pymc.Model
        The model whose data values are used by default.
    core : Backend
        The compilation (possibly shared with other models of the same structure).
    key : hashable, optional
        The structure key the compilation was cached under.

    Notes
    -----
    Create it with :func:`compile_model`, not directly.
    """

    def __init__(self, model: pm.Model, core: Backend, *, key: Hashable | None = None) -> None:
        self.model = model
        self._core = core
        self.key = key

    def __repr__(self) -> str:
        return (
            f"<CompiledModel backend={self.backend!r} key={self.key!r} "
            f"data={list(self.data_names)}>"
        )

    @property
    def backend(self) -> str:
        """The sampler backend this model is compiled for."""
        return self._core.name

    @property
    def batches(self) -> bool:
        """Whether this backend samples many data sets as one batch (``blackjax``)."""
        return self._core.batches

    @property
    def data_names(self) -> tuple[str, ...]:
        """Names of the data containers that :meth:`sample` can set."""
        return tuple(_compat.data_names(self.model))

    def _values(self, data: Mapping[str, ArrayLike] | None) -> dict[str, np.ndarray]:
        """All of a fit's data: the model's built values, overridden by ``data``."""
        values = {k: v.copy() for k, v in _built_data(self.model).items()}
        for name, value in (data or {}).items():
            if name not in values:
                raise KeyError(
                    f"{name!r} is not a data container of the model; known: {sorted(values)}"
                )
            array = np.asarray(value, dtype=values[name].dtype)
            if array.shape != values[name].shape:
                raise ValueError(
                    f"data {name!r} has shape {array.shape}; the compiled model expects "
                    f"{values[name].shape}"
                )
            values[name] = array
        return values

    def sample(
        self,
        data: Mapping[str, ArrayLike] | None = None,
        *,
        settings: SamplerSettings = _DEFAULT_SETTINGS,
        seed: int,
        log_likelihood: bool = False,
    ) -> Any:
        """Set data containers, sample the posterior, return it with named dims.

        Parameters
        ----------
        data : mapping of str to array_like, optional
            New values of data containers (evidence or prior hyperparameters), by name.
            Containers not named take the values the bound model was built with, never
            those of an earlier fit. The bound model's containers are updated to the
            values used, as :func:`pymc.set_data` would.
        settings : SamplerSettings, optional
            Draws, tuning, chains, target acceptance, backend, progress indicator. A
            backend other than this model's compiles (once) for that backend.
        seed : int
            Seed of the sampler; the same seed and data give the same draws.
        log_likelihood : bool, default False
            Also compute the pointwise log-likelihood group: per observation for models
            with observed variables (for LOO / WAIC), per likelihood term for models
            written with ``pm.Potential`` terms (for power-scaling sensitivity; the terms
            are not exchangeable observations, so not for LOO).

        Returns
        -------
        arviz.InferenceData
            Groups ``posterior`` (free variables and deterministics, with the model's
            named dims and coords), ``sample_stats`` (with ``diverging``),
            ``constant_data`` (every data container's value in this fit), and
            ``log_likelihood`` when asked. Attributes ``sampler_backend``, ``seed`` and
            ``structure_key`` record how it was made.
        """
        return self.sample_many(
            {"fit": data or {}}, settings=settings, seed=seed, log_likelihood=log_likelihood
        )["fit"]

    def sample_many(
        self,
        datasets: Mapping[str, Mapping[str, ArrayLike]],
        *,
        settings: SamplerSettings = _DEFAULT_SETTINGS,
        seed: int,
        log_likelihood: bool | str | Collection[str] = False,
    ) -> dict[str, Any]:
        """Sample once per named set of data values, on one compilation.

        Parameters
        ----------
        datasets : mapping of str to mapping
            E.g. prior name -> the prior's data values (``builder.prior_data(prior)``).
            Containers a set does not name take the values the bound model was built
            with.
        settings : SamplerSettings, optional
        seed : int
            Every fit uses this seed, so that the fits differ only by their data.
        log_likelihood : bool, str or collection of str, default False
            Compute the pointwise log-likelihood group (see :meth:`sample`) for every fit,
            or only for the fit(s) named.

        Returns
        -------
        dict of str to arviz.InferenceData
            In the order of ``datasets``, as :meth:`sample` returns them. The bound
            model's containers are left at the values of the last set.
        """
        return dict(
            self.iter_samples(datasets, settings=settings, seed=seed,
                              log_likelihood=log_likelihood)
        )

    def iter_samples(
        self,
        datasets: Mapping[str, Mapping[str, ArrayLike]],
        *,
        settings: SamplerSettings = _DEFAULT_SETTINGS,
        seed: int,
        log_likelihood: bool | str | Collection[str] = False,
    ) -> Iterator[tuple[str, Any]]:
        """Like :meth:`sample_many`, yielding ``(name, posterior)`` as each fit is ready.

        Backends that run the fits as one batch (:attr:`batches`) start the batch when
        this is called and yield the first posterior when all are sampled, so a caller
        can start the batches of several models before it reads any; the others sample
        each fit when the iterator asks for it and yield it when it is done, which lets
        a caller report progress.
        """
        if settings.backend != self.backend:
            other = compile_model(self.model, backend=settings.backend, key=self.key)
            return other.iter_samples(
                datasets, settings=settings, seed=seed, log_likelihood=log_likelihood
            )
        names = list(datasets)
        values = [self._values(datasets[name]) for name in names]
        if isinstance(log_likelihood, str):  # one name, not a collection of letters
            log_likelihood = [log_likelihood]
        wanted = set(names) if log_likelihood is True else set(log_likelihood or ())
        fits = self._core.sample_batch(values, settings, seed)

        def finished() -> Iterator[tuple[str, Any]]:
            for name, fit_values, idata in zip(names, values, fits, strict=True):
                self._finish(idata, fit_values, seed=seed, log_likelihood=name in wanted)
                yield name, idata

        return finished()

    def sample_arrays(
        self,
        datasets: Sequence[Mapping[str, ArrayLike]],
        *,
        settings: SamplerSettings,
        seed: int,
        var_names: Sequence[str],
    ) -> BatchDraws:
        """Sample many data sets as one batch and return arrays only (simulation mode).

        No ``InferenceData`` is built: the draws of ``var_names`` and each fit's R-hat,
        bulk ESS and divergences are computed vectorised over the batch
        (:mod:`bayes_scot.stats.convergence`), which is what a calibration study
        of thousands of fits needs.

        Parameters
        ----------
        datasets : sequence of mapping
            Data values per fit; containers a set does not name take the built values.
        settings : SamplerSettings
            Must select the ``blackjax`` backend (the one that batches).
        seed : int
        var_names : sequence of str
            Free variables and deterministics to return (deterministics must not depend
            on data that differ between the sets).

        Returns
        -------
        BatchDraws
        """
        if settings.backend != "blackjax":
            raise ValueError("simulation mode samples with the blackjax backend")
        if settings.backend != self.backend:
            other = compile_model(self.model, backend=settings.backend, key=self.key)
            return other.sample_arrays(datasets, settings=settings, seed=seed,
                                       var_names=var_names)
        values = [self._values(d) for d in datasets]
        return self._core.sample_arrays(values, settings, seed, var_names)  # type: ignore[attr-defined]

    def _finish(
        self, idata: Any, values: Mapping[str, np.ndarray], *, seed: int, log_likelihood: bool
    ) -> None:
        """Record the fit's data and provenance; add the log-likelihood group if asked.

        The backend has set the template's containers to ``values`` before yielding the
        fit; the bound model (which may be another object of the same structure) is set
        here.
        """
        template = self._core.template
        if template is not self.model:
            _compat.set_data(self.model, values)
        _compat.add_group(idata, "constant_data", self._constant_data(values))
        posterior = _compat.get_group(idata, "posterior")
        posterior.attrs.update(
            sampler_backend=self.backend, seed=int(seed), structure_key=repr(self.key)
        )
        if not log_likelihood:
            return
        if template.observed_RVs:
            _compat.add_group(idata, "log_likelihood", self._core.observed_terms(posterior))
        elif template.potentials:
            # Models written with likelihood terms (pm.Potential) record each term's
            # value per draw: one "observation" per evidence term.
            _compat.add_group(idata, "log_likelihood", self._core.potential_terms(posterior))

    def posterior_predictive(
        self, idata: Any, *, seed: int, var_names: Iterable[str] | None = None
    ) -> Any:
        """Draw from the posterior predictive distribution.

        The model's observed variables are drawn for all posterior draws at once
        (:class:`~bayes_scot.fitting.predictive.PredictiveFunction`); other variables, or
        a distribution PyTensor cannot vectorise over draws, are drawn by
        :func:`pymc.sample_posterior_predictive`, one draw at a time.

        Parameters
        ----------
        idata : arviz.InferenceData
            A posterior from :meth:`sample`; its ``constant_data`` (the data it was fitted
            to) is restored first when present.
        seed : int
        var_names : iterable of str, optional
            Variables to draw; default the model's observed variables.

        Returns
        -------
        arviz.InferenceData
            With ``posterior_predictive``, ``observed_data`` and ``constant_data`` groups.
        """
        template = self._core.template
        if _compat.has_group(idata, "constant_data"):
            constants = _compat.get_group(idata, "constant_data")
            known = set(_compat.data_names(template))
            _compat.set_data(
                template, {k: constants[k].values for k in constants.data_vars if k in known}
            )
        names = list(var_names) if var_names is not None else None
        observed = [rv.name for rv in template.observed_RVs]
        if names is None or names == observed:
            try:
                predict = self._core.predictive
            except NotImplementedError:
                pass  # a distribution without a vectorised sampler: PyMC's loop below
            else:
                posterior = _compat.get_group(idata, "posterior")
                return _compat.inference_data(
                    posterior_predictive=predict(posterior, seed=seed),
                    observed_data=predict.observed_data(),
                    constant_data=self._constant_data(_compat.data_values(template)),
                )
        return _compat.sample_posterior_predictive(idata, template, var_names=names, seed=seed)

    def _constant_data(self, values: Mapping[str, np.ndarray]) -> xr.Dataset:
        return named_dataset(self.model, values)
