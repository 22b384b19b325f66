"""What every model builder offers, the record of the evidence it used, and the families.

A reanalysis treats every model family alike: it builds the family's model once from the
trials and the family's options (:data:`FAMILIES`), compiles :attr:`ModelBuilder.model`
under :attr:`ModelBuilder.structure_key`, samples it once per named prior
(:meth:`ModelBuilder.prior_grid`, :meth:`ModelBuilder.prior_data`), and reads the
estimands and the reproduce-the-paper rows off each posterior. :class:`ModelBuilder` is
that interface; :class:`ExactPosterior` is the one optional capability the runner uses
(a closed-form posterior instead of MCMC).

Every family logs which published numbers entered its likelihood, as which term, and why
others did not, as :class:`EvidenceUse` records (:func:`evidence_log_frame`).

This module imports no PyMC, so the specification reader can name the families and
their options classes without building a model.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

import pandas as pd

if TYPE_CHECKING:
    import numpy as np

    from bayes_scot.stats.estimands import EstimandDraws
    from bayes_scot.stats.priors import EffectPrior, FixedScale

__all__ = [
    "EVIDENCE_LOG_COLUMNS",
    "FAMILIES",
    "EvidenceUse",
    "ExactPosterior",
    "Family",
    "ModelBuilder",
    "evidence_log_frame",
    "fixed_scales",
    "named_grids",
    "replicate_groups",
]

EVIDENCE_LOG_COLUMNS: tuple[str, ...] = ("trial", "entry", "used", "term", "note")
"""The columns every family's evidence log starts with (:class:`EvidenceUse`)."""


@dataclass(frozen=True, kw_only=True)
class EvidenceUse:
    """One published number (or entry) considered by a model, and what became of it.

    Attributes
    ----------
    trial : str
        The trial's name, or the external source's citation.
    entry : str
        The entry's id.
    used : bool
        Whether it enters the likelihood.
    term : str
        The likelihood term it enters (empty when unused).
    note : str
        How it enters, or why it does not.
    detail : mapping of str to object
        What a family records beyond these (the longitudinal model's arm, visit,
        standard error, external weight, ...); each key becomes a column of the log.
    """

    trial: str
    entry: str
    used: bool
    term: str = ""
    note: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "detail", MappingProxyType(dict(self.detail)))

    def row(self) -> dict[str, Any]:
        """Return the record as one row of :func:`evidence_log_frame`."""
        return {"trial": self.trial, "entry": self.entry, "used": self.used,
                "term": self.term, "note": self.note, **self.detail}


def named_grids(builder: Any) -> dict[str, Mapping[str, EffectPrior]]:
    """Return a builder's named grid for each of its effect parameters.

    A builder whose parameters need grids of their own (the longitudinal model: each
    endpoint's skeptical priors rest on its own MCID) has ``effect_prior_grids()``;
    every other builder's :meth:`ModelBuilder.prior_grid` serves all its parameters.

    Parameters
    ----------
    builder : ModelBuilder
        Any object with the protocol's ``prior_grid`` and ``effect_parameters``.

    Returns
    -------
    dict of str to mapping of str to EffectPrior
        ``effect parameter -> prior name -> EffectPrior``.
    """
    own = getattr(builder, "effect_prior_grids", None)
    if callable(own):
        return dict(own())
    grid = builder.prior_grid()
    return dict.fromkeys(builder.effect_parameters, grid)


def evidence_log_frame(uses: Iterable[EvidenceUse]) -> pd.DataFrame:
    """Tabulate evidence-use records, one row each.

    Parameters
    ----------
    uses : iterable of EvidenceUse

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EVIDENCE_LOG_COLUMNS`, then the ``detail`` keys in the order they
        first appear.
    """
    rows = [u.row() for u in uses]
    extra = dict.fromkeys(k for r in rows for k in r if k not in EVIDENCE_LOG_COLUMNS)
    return pd.DataFrame(rows, columns=[*EVIDENCE_LOG_COLUMNS, *extra])


@runtime_checkable
class ModelBuilder(Protocol):
    """The interface of a model family's builder, as a reanalysis uses it.

    Attributes
    ----------
    model : pymc.Model
        Built once per structure; evidence values and prior hyperparameters are data.
    structure_key : hashable
        Models with equal keys share one compilation.
    effect_parameters : tuple of str
        The parameters that the named priors are placed on.
    """

    model: Any
    structure_key: Hashable
    effect_parameters: tuple[str, ...]

    @property
    def evidence_log(self) -> pd.DataFrame:
        """Which evidence entered the likelihood, as which term, and why (or why not)."""
        ...

    def prior_grid(self) -> Mapping[str, EffectPrior]:
        """Return the family's own named priors on its effect parameter."""
        ...

    def prior_data(
        self, prior: EffectPrior | Mapping[str, EffectPrior]
    ) -> Mapping[str, np.ndarray]:
        """Values of the model's prior data containers for one prior."""
        ...

    def estimands(self, idata: Any) -> Sequence[EstimandDraws]:
        """Draws of every estimand the family reports, from one posterior."""
        ...

    def reproduce(self, idata: Any, *, seed: int = ...) -> pd.DataFrame:
        """Every published number the model used beside its posterior predictive."""
        ...


def fixed_scales(
    model: Any, scales: Iterable[tuple[str, float, tuple[str, ...]]], *, kernel_sd: float = 1.0,
    beta: tuple[float, float] | None = None,
) -> tuple[FixedScale, ...]:
    """Return a model's fixed prior scales whose variables it has.

    Parameters
    ----------
    model : pymc.Model
    scales : iterable of (option, value, variables)
        Every fixed scale a family's model can have, with the free variables it scales
        (each ``N(0, 1)`` or half-normal, multiplied by the option in the graph); those
        of a structure that the model does not have (no random walk over one interval,
        no between-trial SD for one trial) are left out.
    kernel_sd : float, default 1.0
        The SD of those variables' priors.
    beta : tuple of float, optional
        Instead, the variables' Beta(a, b) prior, a hyperprior the model fixes
        (:class:`~bayes_scot.stats.priors.FixedScale`); ``value`` is its mean.

    Returns
    -------
    tuple of FixedScale
        For :func:`bayes_scot.results.constant_sensitivity`.
    """
    from bayes_scot.stats.priors import FixedScale

    free = {rv.name for rv in model.free_RVs}
    return tuple(FixedScale(option, float(value), tuple(names), kernel_sd, beta)
                 for option, value, names in scales if names and set(names) <= free)


@runtime_checkable
class ExactPosterior(Protocol):
    """A builder whose posterior has a closed form, sampled without MCMC."""

    def exact_sampler(self) -> Any:
        """Return an object with the compiled model's sampling interface."""
        ...


class Family(NamedTuple):
    """Where a model family's builder and options live.

    Attributes
    ----------
    module : str
        The module holding both.
    builder : str
        The builder factory (a class or function) called as
        ``factory(trial_or_trials, options=..., external=...)``.
    options : str
        The options dataclass; a specification's ``[<family>.options]`` table maps
        one-to-one onto its fields.
    external : bool
        Whether the builder takes discounted external evidence (``external=``); the
        others borrow only from the trials they are fitted to.
    """

    module: str
    builder: str
    options: str
    external: bool = False

    def factory(self) -> Callable[..., ModelBuilder]:
        """Return the builder factory (imports the family's module)."""
        factory: Callable[..., ModelBuilder] = getattr(
            importlib.import_module(self.module), self.builder
        )
        return factory

    def options_class(self) -> type:
        """Return the options dataclass (imports the family's module)."""
        options: type = getattr(importlib.import_module(self.module), self.options)
        return options


FAMILIES: Mapping[str, Family] = MappingProxyType(
    {
        "survival": Family("bayes_scot.builders.survival", "survival_model", "SurvivalOptions"),
        "longitudinal": Family(
            "bayes_scot.builders.longitudinal", "LongitudinalModel", "LongitudinalOptions",
            external=True,
        ),
        "composite": Family(
            "bayes_scot.builders.composite", "CompositeModel", "CompositeOptions"
        ),
    }
)
"""Model families a specification can run, by name."""


def replicate_groups(
    replicates: Iterable[tuple[str, Sequence[tuple[Any, float, str | None]]]],
    chain: Sequence[int],
    draw: Sequence[int],
) -> tuple[Any, Any]:
    """Build ArviZ's ``observed_data`` and ``posterior_predictive`` from replicates.

    For a model whose evidence enters as likelihood terms (the survival models), the
    published summaries and their replicates stand in for observed variables.

    Parameters
    ----------
    replicates : iterable of (str, sequence of (draws, published, arm))
        Per evidence entry: one ``(draws, published value, arm)`` per arm, ``arm`` None
        for a value of both arms together; ``draws`` are flat over chains and draws.
    chain, draw : sequence of int
        The posterior's ``chain`` and ``draw`` coordinates.

    Returns
    -------
    observed, predictive : xarray.Dataset
        One variable per entry, with dims ``<entry>_arm`` where it has one value per arm;
        ``predictive`` adds ``chain`` and ``draw``.
    """
    import numpy as np
    import xarray as xr

    shape = (len(chain), len(draw))
    observed: dict[str, Any] = {}
    predicted: dict[str, Any] = {}
    coords: dict[str, Any] = {}
    for entry, rows in replicates:
        if not rows:
            continue
        if rows[0][2] is None:
            observed[entry] = ((), rows[0][1])
            predicted[entry] = (("chain", "draw"), np.reshape(rows[0][0], shape))
            continue
        dim = f"{entry}_arm"
        coords[dim] = [r[2] for r in rows]
        observed[entry] = ((dim,), [r[1] for r in rows])
        predicted[entry] = (("chain", "draw", dim),
                            np.stack([np.reshape(r[0], shape) for r in rows], axis=-1))
    return (xr.Dataset(observed, coords=coords),
            xr.Dataset(predicted, coords={**coords, "chain": list(chain), "draw": list(draw)}))
