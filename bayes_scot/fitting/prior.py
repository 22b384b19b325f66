"""Draws from a model's prior: the free variables forward-sampled, then its deterministics.

A posterior probability means little without the prior probability of the same event.
:class:`PriorSampler` draws every free variable of a model from its prior, with the
model's data containers set to the values of one fit (so the prior hyperparameters of
that fit's named prior apply), and evaluates the model's deterministics on those draws
exactly as a sampler's draws are evaluated
(:class:`~bayes_scot.fitting.deterministics.DeterministicsFunction`). The result has the
layout of a posterior, so a builder's own ``estimands(idata)`` turns it into prior draws
of every estimand.

The forward-sampling function is compiled once per model and reused for every prior of
a grid (only the data containers change), like the sampler itself.

The draws of every normal or half-normal free variable that is independent of the others
in the prior (no free variable among its parents or its children: the effect parameter,
the standardised innovations of the hierarchies) are stratified, a Latin hypercube sample
(McKay et al. 1979): each element's draws are replaced by its distribution's quantiles at
:math:`(r + 1/2)/n`, :math:`r` the rank of the original draw. Each marginal is then the
distribution's to its quantile grid, the pairing between variables stays random, and the
variance of any mean (a prior probability) is never more than :math:`n/(n-1)` times that
of independent draws, and much less when the quantity moves with one variable (Stein
1987; Owen 1997). On SCOT's survival model the prior P(superior) of the EFS survival
difference at 54 months varied with the seed with an SD of 0.0066 from independent
draws and 0.0018 from stratified ones (12 seeds of 4000 draws). Simulation-based
calibration, which needs independent draws, does not use these draws.

References
----------
.. [1] McKay MD, Beckman RJ, Conover WJ. A comparison of three methods for selecting
   values of input variables in the analysis of output from a computer code.
   Technometrics 1979;21:239-245.
.. [2] Stein M. Large sample properties of simulations using Latin hypercube sampling.
   Technometrics 1987;29:143-151.
.. [3] Owen AB. Monte Carlo variance of scrambled net quadrature. SIAM J Numer Anal
   1997;34:1884-1910.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pytensor.tensor as pt
import xarray as xr
from scipy.special import ndtri

from bayes_scot import _compat
from bayes_scot.fitting.deterministics import model_deterministics, named_dataset

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

__all__ = ["PriorSampler", "add_prior_group", "estimand_names", "prior_draws", "prior_group"]

_SAMPLERS: weakref.WeakKeyDictionary[Any, PriorSampler] = weakref.WeakKeyDictionary()

_QUANTILES: dict[str, Any] = {
    "normal": lambda loc, scale, u: loc + scale * ndtri(u),
    "halfnormal": lambda loc, scale, u: loc + scale * ndtri(0.5 * (1.0 + u)),
}
"""Quantile functions of the distributions whose draws are stratified, by PyTensor op name;
``(loc, scale)`` are the op's last two inputs."""


class PriorSampler:
    """Forward-sample a model's free variables from their prior, compiled once.

    Parameters
    ----------
    model : pymc.Model
        The model. Its potentials (likelihood terms, discounted external evidence) and
        observed variables are not part of the prior: only the distributions of the free
        variables are.

    Notes
    -----
    One call of the compiled function draws every sample of every free variable at once
    (each variable batched over a leading sample dimension, parents before children);
    thousands of draws take milliseconds. It is compiled for PyTensor's Python linker,
    which takes a fraction of a second per model.
    """

    def __init__(self, model: pm.Model) -> None:
        self.model = model
        self._names = tuple(rv.name for rv in model.free_RVs)
        self._fn: Any = None
        self._batched = True
        self._deterministics = model_deterministics(model)
        self._strata: tuple[tuple[int, str], ...] = ()
        self._strata_fn: Any = None

    def _stratified(self) -> tuple[tuple[int, str], ...]:
        """Index and quantile function of every free variable whose draws are stratified.

        A normal or half-normal free variable with no free variable among its ancestors
        or its descendants: replacing its draws changes no other variable's distribution.
        Its location and scale (data containers or constants) are compiled once.
        """
        if self._strata_fn is None:
            import pytensor

            free = list(self.model.free_RVs)
            ancestors = {rv: _compat.graph_ancestors([rv]) - {rv} for rv in free}
            strata = []
            for i, rv in enumerate(free):
                kind = getattr(rv.owner.op, "name", "")
                related = any(o in ancestors[rv] or rv in ancestors[o]
                              for o in free if o is not rv)
                if kind in _QUANTILES and not related:
                    strata.append((i, kind))
            self._strata = tuple(strata)
            outputs = [x for i, _ in strata for x in free[i].owner.inputs[-2:]]
            self._strata_fn = pytensor.function([], outputs, mode=_compile_mode(),
                                                on_unused_input="ignore")
        return self._strata

    def _function(self) -> Any:
        """Compile the draws of every free variable for ``n`` samples at once.

        Each free variable gets a leading sample dimension: a variable whose parameters
        depend on no other free variable is resized (:func:`pymc.distributions.
        shape_utils.change_dist_size`); one that does is vectorised over its batched
        parents (:func:`pytensor.graph.replace.vectorize_graph`), so joint draws keep
        their dependence. A model whose graph cannot be batched is sampled one draw
        per call instead.
        """
        if self._fn is None:
            from pymc.distributions.shape_utils import change_dist_size
            from pymc.pytensorf import compile as compile_pymc
            from pytensor.graph.replace import vectorize_graph

            mode = _compile_mode()

            n = pt.iscalar("n")
            batched: dict[Any, Any] = {}
            try:
                for rv in self.model.free_RVs:
                    above = _compat.graph_ancestors([rv])
                    parents = {p: b for p, b in batched.items() if p in above}
                    batched[rv] = (vectorize_graph(rv, replace=parents) if parents
                                   else change_dist_size(rv, (n,), expand=True))
                self._fn = compile_pymc(inputs=[n], outputs=list(batched.values()),
                                        random_seed=0, mode=mode)
                self._batched = True
            except (NotImplementedError, ValueError, TypeError):  # pragma: no cover
                self._fn = compile_pymc(inputs=[], outputs=list(self.model.free_RVs),
                                        random_seed=0, mode=mode)
                self._batched = False
        return self._fn

    def sample(
        self, data: Mapping[str, Any], *, chains: int, draws: int, seed: int
    ) -> xr.Dataset:
        """Return ``chains x draws`` prior draws of the free variables and deterministics.

        Parameters
        ----------
        data : mapping of str to array_like
            Values of the model's data containers for this fit (e.g. a posterior's
            ``constant_data``); containers not named keep their current values.
        chains, draws : int
            Shape of the sample dims, matching the posterior's.
        seed : int
            Seed of the random generators; the same seed and data give the same draws.

        Returns
        -------
        xarray.Dataset
            Dims ``(chain, draw, ...)`` with the model's named dims and coords.
        """
        from pymc.pytensorf import reseed_rngs
        from pytensor.tensor.random.type import RandomType

        known = set(_compat.data_names(self.model))
        _compat.set_data(self.model, {k: v for k, v in data.items() if k in known})
        fn = self._function()
        rngs = [v for v in fn.get_shared() if isinstance(v.type, RandomType)]
        reseed_rngs(rngs, int(seed))
        n = int(chains) * int(draws)
        columns: list[Any]
        if self._batched:
            columns = list(fn(n))
        else:  # pragma: no cover - a model whose graph could not be batched
            columns = [np.stack(c) for c in zip(*(fn() for _ in range(n)), strict=True)]
        columns = self._stratify(columns, n)
        shaped = {name: np.asarray(values).reshape(chains, draws, *np.shape(values)[1:])
                  for name, values in zip(self._names, columns, strict=True)}
        dataset = named_dataset(self.model, shaped, sample_dims=("chain", "draw"), coords={
            "chain": np.arange(chains), "draw": np.arange(draws)})
        with warnings.catch_warnings():
            # Prior draws reach far tails (exp of a wide normal): overflow to inf or a
            # 0/0 in a derived quantity is a property of the prior, not an error.
            warnings.simplefilter("ignore", RuntimeWarning)
            return self._deterministics.add_to(dataset)


    def _stratify(self, columns: list[Any], n: int) -> list[Any]:
        """Replace each stratified variable's draws by its quantiles at the draws' ranks."""
        strata = self._stratified()
        if not strata:
            return columns
        params = iter(self._strata_fn())
        out = list(columns)
        for i, kind in strata:
            loc, scale = next(params), next(params)
            values = np.asarray(out[i])
            ranks = values.argsort(axis=0, kind="stable").argsort(axis=0, kind="stable")
            quantiles = _QUANTILES[kind](np.asarray(loc), np.asarray(scale), (ranks + 0.5) / n)
            out[i] = quantiles.astype(values.dtype, copy=False)
        return out


def _compile_mode() -> Any:
    """PyTensor mode of the forward sampler.

    One call draws every sample, so the graph runs once per fit: PyTensor's Python
    linker with the few rewrites of FAST_COMPILE compiles in a tenth of the time of the
    default mode (C code, every rewrite) and runs the same random variable ops on the
    same generators, so the draws are the same.
    """
    from pytensor.compile.mode import Mode

    return Mode(linker="py", optimizer="fast_compile")


def prior_group(idata: Any) -> xr.Dataset | None:
    """Return the ``prior`` group of a posterior, or ``None`` when it has none."""
    if idata is None or not _compat.has_group(idata, "prior"):
        return None
    return _compat.get_group(idata, "prior")


def add_prior_group(sampler: PriorSampler, idata: Any, *, seed: int) -> Any:
    """Draw the prior of one fit, store it as the fit's ``prior`` group, and return it.

    Parameters
    ----------
    sampler : PriorSampler
        Of the model the fit was sampled from.
    idata : arviz.InferenceData
        The fit: its ``constant_data`` (the data and prior hyperparameters of the fit)
        sets the model's containers, and its ``posterior`` gives the number of chains
        and draws.
    seed : int

    Returns
    -------
    arviz.InferenceData
        A container whose ``posterior`` group holds the prior draws, so that a
        builder's ``estimands()`` computes the prior draws of every estimand.
    """
    posterior = _compat.get_group(idata, "posterior")
    data: dict[str, Any] = {}
    if _compat.has_group(idata, "constant_data"):
        constants = _compat.get_group(idata, "constant_data")
        data = {str(name): constants[name].values for name in constants.data_vars}
    draws = sampler.sample(data, chains=posterior.sizes["chain"],
                           draws=posterior.sizes["draw"], seed=seed)
    _compat.add_group(idata, "prior", draws)
    return _compat.inference_data(posterior=draws)


def _sampler(model: Any) -> PriorSampler:
    """Return the model's forward sampler, made on first use and kept while it lives."""
    sampler = _SAMPLERS.get(model)
    if sampler is None:
        sampler = _SAMPLERS[model] = PriorSampler(model)
    return sampler


def estimand_names(builder: Any, data: Mapping[str, Any]) -> set[tuple[str, str]] | None:
    """Return the ``(endpoint, estimand)`` pairs a builder reports, before any fit.

    Two forward draws of the prior (with the prior hyperparameters ``data``) go through
    the builder's own ``estimands()``; the sampler is the one :func:`prior_draws` reuses.

    Parameters
    ----------
    builder : object
        A model builder with ``model`` and ``estimands(idata)``.
    data : mapping of str to array_like
        Values of the model's prior data containers (``builder.prior_data(prior)``).

    Returns
    -------
    set of (str, str) or None
        ``None`` when the builder has no PyMC model to draw from.
    """
    import pymc as pm

    model = getattr(builder, "model", None)
    if not isinstance(model, pm.Model):
        return None
    draws = _sampler(model).sample(data, chains=1, draws=2, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # see PriorSampler.sample
        estimands = builder.estimands(_compat.inference_data(posterior=draws))
    return {(e.endpoint, e.estimand) for e in estimands}


def prior_draws(builder: Any, idata: Any, *, seed: int) -> list[Any]:
    """Prior draws of every estimand of one fit, by the builder's own ``estimands()``.

    The model's :class:`PriorSampler` is made on first use and kept while the model
    lives, so a prior grid compiles the forward sampler once. The draws are also stored as the
    fit's ``prior`` group.

    Parameters
    ----------
    builder : object
        A model builder with ``model`` (a :class:`pymc.Model`) and ``estimands(idata)``.
    idata : arviz.InferenceData
        The fit (see :func:`add_prior_group`).
    seed : int

    Returns
    -------
    list of EstimandDraws
        Empty when the builder has no PyMC model or the fit no posterior.

    Notes
    -----
    A fit that already holds a ``prior`` group keeps it: an exact (closed-form) fit
    writes its prior's quantiles there, whose tail probabilities are exact to the
    grid's resolution, where forward draws would only estimate them.
    """
    import pymc as pm

    model = getattr(builder, "model", None)
    if not isinstance(model, pm.Model) or idata is None or not _compat.has_group(
        idata, "posterior"
    ):
        return []
    if _compat.has_group(idata, "prior"):
        prior = _compat.inference_data(posterior=_compat.get_group(idata, "prior"))
    else:
        prior = add_prior_group(_sampler(model), idata, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # see PriorSampler.sample
        return list(builder.estimands(prior))
