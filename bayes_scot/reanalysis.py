"""Run an analysis specification: every model family under the whole prior grid.

:func:`reanalyse` is the package's front door. It reads a specification (the default one
when none is given), loads the trials, builds each model family once, compiles it once,
and samples it once per named prior by changing only the prior hyperparameters. The
result is a :class:`Reanalysis`: the superiority table, joint probabilities, the
reproduce-the-paper table, diagnostics, prior sensitivity, the posteriors for ArviZ users,
a rich notebook display, and :meth:`Reanalysis.write_report`.

Examples
--------
>>> import bayes_scot as bs
>>> result = bs.reanalyse(draws=500, priors=["reference", "skeptical_moderate"])  # doctest: +SKIP
>>> result.table().query("estimand == 'survival_difference_54'")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import platform
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import pandas as pd

from bayes_scot import _compat
from bayes_scot.builders.base import FAMILIES, ExactPosterior, ModelBuilder
from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.errors import EvidenceError, SpecError
from bayes_scot.evidence import Trial
from bayes_scot.fitting.prior import prior_draws
from bayes_scot.fitting.settings import SamplerSettings
from bayes_scot.fitting.terms import likelihood_terms
from bayes_scot.results import (
    LikelihoodTerm,
    PriorFit,
    joint_probabilities,
    power_scaling_sensitivity,
    priors_table,
    reproduce_table,
    sensitivity_grid,
    superiority_table,
    survival_curves,
    tipping_points,
    trajectories,
)
from bayes_scot.spec import AnalysisSpec, FamilySpec, load_spec
from bayes_scot.stats.estimands import EstimandDraws, mcid_problem

__all__ = ["MODEL_BASED_EVIDENCE", "MODEL_BASED_ROUTE", "PROVENANCE_PACKAGES", "Reanalysis",
           "build_family", "reanalyse"]

PROVENANCE_PACKAGES: tuple[str, ...] = (
    "bayes_scot",
    "pymc",
    "pytensor",
    "arviz",
    "nutpie",
    "jax",
    "blackjax",
    "numpy",
    "pandas",
    "scipy",
    "xarray",
)
"""Packages whose versions every reanalysis records."""

Progress = Callable[[str], None]

MODEL_BASED_EVIDENCE = "model-based (survival + longitudinal)"
"""Evidence attribution of the model-based GRCS estimands."""

MODEL_BASED_ROUTE = "model-based"
"""``PriorFit.route`` of the model-based GRCS fit."""

_PAIRING_NOTE = (
    "the model-based GRCS pairs the survival and longitudinal reference draws by index, "
    "treating the two separately fitted posteriors as independent; it is computed from "
    "them, so it is not independent of their own estimands"
)

#: Posterior deterministics of the survival builder holding S(t) by arm, per endpoint.
_SURVIVAL_CURVES: Mapping[str, str] = MappingProxyType(
    {"efs": "survival_efs", "os": "survival_os"}
)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def reanalyse(
    spec: AnalysisSpec | str | Path | None = None,
    *,
    progress: bool | Progress = True,
    **overrides: Any,
) -> Reanalysis:
    """Run an analysis specification and return its results.

    Parameters
    ----------
    spec : AnalysisSpec, str or path-like, optional
        A specification object, a shipped specification's name (``"scot_pp"``), a path to
        a TOML file, or ``None`` for the default (SCOT intention to treat).
    progress : bool or callable, default True
        Print one line per compiled model and per fitted prior on standard error; a
        callable receives the lines instead; ``False`` is silent.
    **overrides
        Changes to the specification for this run (see
        :meth:`bayes_scot.spec.AnalysisSpec.with_overrides`): ``draws``, ``tune``,
        ``chains``, ``target_accept``, ``backend``, ``seed``, ``priors`` (names, or a
        mapping of names to explicit ``(mean, sd)`` priors), ``population``,
        ``families``.

    Returns
    -------
    Reanalysis

    Raises
    ------
    SpecError
        For a bad specification or override (one line naming the file and key).
    EvidenceError
        For a bad trial file.

    Notes
    -----
    Each family's model is built and compiled once; the priors of the grid differ only
    in data (the prior hyperparameters), so the compiled model is reused. Every fit uses
    the specification's seed, so the same specification and seed give the same table.
    The reference fit also records the pointwise log-likelihood, used for power-scaling
    sensitivity, and the reproduce-the-paper frame. The diagnostics gate of a fit checks
    its free parameters; the table checks every estimand's own draws as well.
    """
    if not isinstance(spec, AnalysisSpec):
        spec = load_spec(spec)
    spec = spec.with_overrides(**overrides)
    report: Progress | None
    if progress is True:
        report = _stderr
    elif progress is False:
        report = None
    else:
        report = progress
    return _Runner(spec, report).run()


def build_family(spec: AnalysisSpec, family: str) -> tuple[Any, SamplerSettings]:
    """Build one family's model as :func:`reanalyse` does, with its sampler settings.

    Parameters
    ----------
    spec : AnalysisSpec
    family : str
        ``"survival"``, ``"longitudinal"`` or ``"composite"``; must be in the spec.

    Returns
    -------
    builder : object
        The family's model builder.
    settings : SamplerSettings
    """
    runner = _Runner(spec, None)
    chosen = spec.family(family)
    trials = {t.name: runner.load_trial(i) for i, t in enumerate(spec.trials)
              if t.name in chosen.trials}
    return runner.build(chosen, trials), runner.sampler_settings(chosen)


class _Runner:
    """Fits every family of a specification under every prior of its grid."""

    def __init__(self, spec: AnalysisSpec, progress: Progress | None) -> None:
        self.spec = spec
        self.progress = progress

    def say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    def run(self) -> Reanalysis:
        spec = self.spec
        started = time.perf_counter()
        trials = {t.name: self.load_trial(i) for i, t in enumerate(spec.trials)}
        fits: list[PriorFit] = []
        builders: dict[str, Any] = {}
        timings: dict[str, float] = {}
        # Every family's settings are checked before the first model is built.
        settings_by_family = {f.family: self.sampler_settings(f) for f in spec.families}
        for family in spec.families:
            settings = settings_by_family[family.family]
            builder, fam_fits, seconds = self.run_family(family, trials, settings)
            builders[family.family] = builder
            timings[family.family] = seconds
            fits.extend(fam_fits)
        model_based = self.model_based_grcs(builders, fits, trials)
        if model_based is not None:
            fits.append(model_based)
        self.check_joint(fits)
        total = time.perf_counter() - started
        self.say(f"bayes-scot: {spec.name}: {len(fits)} fits in {total:.1f} s")
        return Reanalysis(
            spec=spec,
            fits=fits,
            trials=trials,
            builders=builders,
            provenance=_provenance(spec, trials, timings | {"total": total}),
        )

    def check_joint(self, fits: Sequence[PriorFit]) -> None:
        """Check that every ``[joint]`` estimand was reported under every prior."""
        by_prior: dict[str, set[str]] = {}
        for f in fits:
            by_prior.setdefault(f.prior, set()).update(
                f"{e.endpoint}:{e.estimand}" for e in f.estimands
            )
        known = set.intersection(*by_prior.values()) if by_prior else set()
        for i, key in enumerate(self.spec.joint.estimands):
            if key not in known:
                raise SpecError(
                    f"{key!r} is not an estimand of every fitted prior; known: "
                    + ", ".join(sorted(known)),
                    file=self.spec.path or self.spec.name, field=f"joint.estimands[{i}]",
                )

    def sampler_settings(self, family: FamilySpec) -> SamplerSettings:
        """Return the family's sampler settings.

        Raises
        ------
        SpecError
            For a combination the sampler refuses, naming the family's sampler table.
        """
        try:
            return family.sampler_settings(self.spec.sampler).to_settings()
        except ValueError as err:
            raise SpecError(str(err), file=self.spec.path or self.spec.name,
                            field=f"{family.family}.sampler") from None

    def load_trial(self, index: int) -> Trial:
        from bayes_scot.data import load_trial
        from bayes_scot.stats.reconstruction import check_curves

        t = self.spec.trials[index]
        try:
            trial = load_trial(t.path or t.name, population=t.population)
            check_curves(trial)  # the survival model's rules, before any model is built
            return trial
        except SpecError:
            raise
        except EvidenceError as err:
            if err.field == "population":
                raise SpecError(err.message, file=self.spec.path or self.spec.name,
                                field=f"trials[{index}].population") from None
            raise

    def run_family(
        self, family: FamilySpec, trials: Mapping[str, Trial], settings: Any
    ) -> tuple[Any, list[PriorFit], float]:
        from bayes_scot.fitting import compile_model, diagnose

        spec = self.spec
        started = time.perf_counter()
        builder = self.build(family, trials)
        # A family with an exact posterior (the composite's direct route) needs no MCMC.
        compiled = builder.exact_sampler() if isinstance(builder, ExactPosterior) else (
            compile_model(builder.model, backend=settings.backend, key=builder.structure_key)
        )
        self.say(f"bayes-scot: {family.family}: model built and compiled in "
                 f"{time.perf_counter() - started:.1f} s")
        prior_sets = family.prior_sets(
            tuple(builder.effect_parameters), spec.priors, defaults=builder.prior_grid()
        )
        # The fit's gate checks the free parameters; every reported estimand (a function
        # of them) is checked on its own draws by the table.
        free = sorted(rv.name for rv in builder.model.free_RVs) or None
        if compiled.batches and len(prior_sets) > 1:
            self.say(f"bayes-scot: {family.family}: sampling {len(prior_sets)} priors as one "
                     f"batch ({settings.backend})")
        posteriors = compiled.iter_samples(
            {name: builder.prior_data(priors) for name, priors in prior_sets.items()},
            settings=settings, seed=spec.seed, log_likelihood=[spec.reference_prior],
        )
        fits = []
        t0 = time.perf_counter()
        batch_share = None
        for i, (name, idata) in enumerate(posteriors, start=1):
            if compiled.batches and batch_share is None:
                # The batch sampled every prior at once: each prior's time is its share.
                batch_share = (time.perf_counter() - t0) / len(prior_sets)
                t0 = time.perf_counter()
            priors = prior_sets[name]
            reference = name == spec.reference_prior
            with warnings.catch_warnings():
                # R-hat of an element that never varies (S(0) = 1) divides 0 by 0;
                # diagnose() skips those elements, so the warning carries no news.
                warnings.filterwarnings("ignore", "invalid value encountered",
                                        RuntimeWarning)
                diagnostics = diagnose(idata, var_names=free)
            def chosen(draws: Sequence[EstimandDraws]) -> tuple[EstimandDraws, ...]:
                return tuple(self.with_mcid(e) for e in draws
                             if family.selects(e.endpoint, e.estimand))

            estimands = chosen(builder.estimands(idata))
            prior_estimands = chosen(prior_draws(builder, idata, seed=spec.seed))
            terms = tuple(LikelihoodTerm(**t) for t in likelihood_terms(builder, idata))
            reproduce = builder.reproduce(idata) if reference else None
            seconds = (batch_share or 0.0) + time.perf_counter() - t0
            t0 = time.perf_counter()
            fits.append(PriorFit(
                family=family.family, prior=name, estimands=estimands,
                diagnostics=diagnostics, effect_priors=priors, idata=idata,
                reproduce=reproduce, seconds=seconds, prior_estimands=prior_estimands,
                likelihood_terms=terms,
            ))
            verdict = "ok" if diagnostics.passed else "FLAGGED"
            self.say(
                f"bayes-scot: {family.family} [{i}/{len(prior_sets)}] {name}: {seconds:.1f} s, "
                f"R-hat {diagnostics.rhat_max:.3f}, ESS {diagnostics.ess_bulk_min:.0f}, "
                f"{diagnostics.divergences} divergences: {verdict}"
            )
        return builder, fits, time.perf_counter() - started

    def build(self, family: FamilySpec, trials: Mapping[str, Trial]) -> ModelBuilder:
        """Build one family's model on its trials and external evidence."""
        factory = FAMILIES[family.family].factory()
        selected = [self.family_trial(trials[name], family) for name in family.trials]
        kwargs: dict[str, Any] = {"options": self.options(family, selected[0])}
        if family.external:
            sources = [self.external_source(name) for name in family.external]
            kwargs["external"] = sources[0] if len(sources) == 1 else sources
        return factory(selected[0] if len(selected) == 1 else selected, **kwargs)

    def model_based_grcs(
        self, builders: Mapping[str, Any], fits: Sequence[PriorFit], trials: Mapping[str, Trial]
    ) -> PriorFit | None:
        """Compute the model-based GRCS from the survival and longitudinal reference fits.

        Returns ``None`` when the composite family turns it off or the analysis does not
        run all of the survival, longitudinal and composite families.
        """
        from bayes_scot.builders.composite import GrcsSimulationOptions, grcs_from_posteriors
        from bayes_scot.fitting import Diagnostics

        spec = self.spec
        if not {"survival", "longitudinal", "composite"} <= {f.family for f in spec.families}:
            return None
        family = spec.family("composite")
        if not family.model_based:
            return None
        where = {"file": spec.path or spec.name, "field": "composite.model_based"}
        started = time.perf_counter()
        reference = spec.reference_prior
        survival, longitudinal = (
            next(f for f in fits if f.family == name and f.prior == reference and not f.route)
            for name in ("survival", "longitudinal")
        )
        if survival.idata is None or longitudinal.idata is None:
            return None
        trial = trials[family.trials[0]]
        horizon = float(builders["composite"].options.time_months)
        options = GrcsSimulationOptions(horizon_months=horizon, seed=spec.seed)
        sds, sources = self.outcome_sds(trial)
        try:
            means = _compat.get_group(longitudinal.idata, "posterior")["level"].sel(
                visit=horizon
            )
        except KeyError:
            raise SpecError(
                f"the longitudinal posterior has no level at {horizon:g} months, the "
                "composite horizon: add the visit or set model_based = false", **where,
            ) from None
        try:
            prediction = grcs_from_posteriors(
                builders["survival"].transition_hazards(survival.idata), means, sds,
                trial=trial, options=options, evidence=MODEL_BASED_EVIDENCE,
            )
        except EvidenceError as err:
            raise SpecError(f"model-based GRCS: {err.message}", **where) from None
        attrs = {"pairing": _PAIRING_NOTE, "outcome_sds": dict(sds),
                 "outcome_sd_sources": dict(sources), "prior": reference}
        estimands = tuple(
            self.with_mcid(dataclasses.replace(
                e,
                label=f"{e.label}; survival and longitudinal draws paired, taken as independent",
                evidence=MODEL_BASED_EVIDENCE,
                attrs={**e.attrs, **attrs},
            ))
            for e in prediction.estimands()
            if family.selects(e.endpoint, e.estimand)
        )
        reproduce = prediction.reproduce().assign(statistic="percent_favourable_model_based")
        a, b = survival.diagnostics, longitudinal.diagnostics
        diagnostics = Diagnostics(
            rhat_max=max(float(a.rhat_max), float(b.rhat_max)),
            ess_bulk_min=min(float(a.ess_bulk_min), float(b.ess_bulk_min)),
            divergences=int(a.divergences) + int(b.divergences),
        )
        seconds = time.perf_counter() - started
        self.say(f"bayes-scot: composite ({MODEL_BASED_ROUTE}) {reference}: {seconds:.1f} s "
                 "from the survival and longitudinal reference fits")
        return PriorFit(
            family="composite", prior=reference, estimands=estimands, diagnostics=diagnostics,
            reproduce=reproduce, seconds=seconds, route=MODEL_BASED_ROUTE,
            notes=(_PAIRING_NOTE,),
        )

    def outcome_sds(self, trial: Trial) -> tuple[dict[str, float], dict[str, str]]:
        """Between-patient SDs of the GRCS's continuous levels, and where each comes from.

        A pooled baseline SD reported by the trial (any population) comes first; the
        external evidence's between-patient SD (``population_spread``) otherwise.
        """
        from bayes_scot.builders.composite import CONTINUOUS_LEVELS
        from bayes_scot.data import load_external, load_trial
        from bayes_scot.evidence import PopulationSpread, VisitSummary

        source = self.spec.trial(trial.name)
        everything = load_trial(source.path or source.name, population="all")
        external = load_external()
        sds: dict[str, float] = {}
        sources: dict[str, str] = {}
        for endpoint in CONTINUOUS_LEVELS:
            pooled = [
                e for e in everything.evidence(VisitSummary, endpoint=endpoint)
                if e.time_months == 0 and e.statistic == "mean" and e.sd and "pooled" in e.sd
            ]
            spread = external.evidence(PopulationSpread, endpoint=endpoint)
            if pooled:
                sds[endpoint] = float(pooled[0].sd["pooled"])
                sources[endpoint] = (f"{trial.name} entry '{pooled[0].id}' (pooled baseline SD, "
                                     f"{pooled[0].population})")
            elif spread:
                sds[endpoint] = float(spread[0].sd)
                sources[endpoint] = (f"external entry '{spread[0].id}' (between-patient SD, "
                                     f"{spread[0].population})")
            else:
                raise SpecError(
                    f"no between-patient SD of {endpoint} in the trial's pooled baselines or "
                    "the external evidence: set model_based = false",
                    file=self.spec.path or self.spec.name, field="composite.model_based",
                )
        return sds, sources

    def family_trial(self, trial: Trial, family: FamilySpec) -> Trial:
        """Return the trial in the family's population (reloaded when it names another)."""
        if not family.population or family.population == trial.population:
            return trial
        from bayes_scot.data import load_trial

        source = self.spec.trial(trial.name)
        try:
            return load_trial(source.path or source.name, population=family.population)
        except EvidenceError as err:
            raise SpecError(err.message, file=self.spec.path or self.spec.name,
                            field=f"{family.family}.population") from None

    def external_source(self, name: str) -> Any:
        """Load one external-evidence source named in a family's ``external`` list."""
        from bayes_scot.data import load_external, load_trial

        if name == "external":
            return load_external()
        trial, _, population = name.partition(":")
        return load_trial(trial, population=population)

    def options(self, family: FamilySpec, primary: Trial) -> Any:
        """Build a family's options; a ``population`` option follows the primary trial's."""
        options: Any = family.options_object()
        if not hasattr(options, "population"):
            return options
        if "population" not in family.options:
            return dataclasses.replace(options, population=primary.population)
        if options.population != primary.population:
            raise SpecError(
                f"{options.population!r} differs from the population of trial "
                f"{primary.name!r} ({primary.population!r})",
                file=self.spec.path or self.spec.name,
                field=f"{family.family}.options.population",
            )
        return options

    def with_mcid(self, e: EstimandDraws) -> EstimandDraws:
        override = self.spec.mcid_for(e.endpoint, e.estimand)
        if override is None:
            return e
        problem = mcid_problem(override.value, null=e.null, superior=e.superior)
        if problem:
            raise SpecError(f"for {e.endpoint}:{e.estimand}: {problem}",
                            file=self.spec.path or self.spec.name,
                            field=f"mcids.{override.pattern}.value")
        return dataclasses.replace(e, mcid=override.value, mcid_source=override.source)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _provenance(
    spec: AnalysisSpec, trials: Mapping[str, Trial], seconds: Mapping[str, float]
) -> dict[str, Any]:
    return {
        "created": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "packages": {p: _version(p) for p in PROVENANCE_PACKAGES},
        "seed": spec.seed,
        "spec": {"name": spec.name, "path": spec.path, "sha256": spec.sha256},
        "data": {
            name: {
                "population": t.population,
                "data_hash": t.data_hash,
                "file_sha256": t.content_hash or "",
                "path": t.path or "",
            }
            for name, t in trials.items()
        },
        "sampler": dataclasses.asdict(spec.sampler),
        "family_samplers": {
            f.family: dataclasses.asdict(f.sampler_settings(spec.sampler))
            for f in spec.families if f.sampler
        },
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
    }


class Reanalysis:
    """The results of an analysis specification run over its whole prior grid.

    Build one with :func:`bayes_scot.reanalyse`. It can also be assembled from fits made
    elsewhere (stored draws, simulations), which is how the tables are tested without
    sampling.

    Parameters
    ----------
    spec : AnalysisSpec
        The specification that was run (with any overrides applied).
    fits : sequence of PriorFit
        One per model family and prior.
    trials : mapping of str to Trial, optional
        The trials the fits used, by name.
    builders : mapping of str to object, optional
        The model builder of each family (for curves and posterior predictive checks).
    provenance : mapping, optional
        Versions, seed, input-data and specification hashes, timings.

    Notes
    -----
    Tables are computed on first use and cached; the object is otherwise immutable.
    """

    def __init__(
        self,
        *,
        spec: AnalysisSpec,
        fits: Sequence[PriorFit],
        trials: Mapping[str, Trial] | None = None,
        builders: Mapping[str, Any] | None = None,
        provenance: Mapping[str, Any] | None = None,
    ) -> None:
        self.spec = spec
        self.fits: tuple[PriorFit, ...] = tuple(fits)
        self.trials: Mapping[str, Trial] = MappingProxyType(dict(trials or {}))
        self.builders: Mapping[str, Any] = MappingProxyType(dict(builders or {}))
        self.provenance: Mapping[str, Any] = MappingProxyType(dict(provenance or {}))

    # -- access -------------------------------------------------------------------------
    @property
    def families(self) -> tuple[str, ...]:
        """Model families fitted, in specification order."""
        return tuple(dict.fromkeys(f.family for f in self.fits))

    @property
    def priors(self) -> tuple[str, ...]:
        """Priors fitted, in grid order."""
        order = [p for p in self.spec.priors if any(f.prior == p for f in self.fits)]
        extra = [f.prior for f in self.fits if f.prior not in order]
        return tuple(dict.fromkeys(order + extra))

    @property
    def reference_prior(self) -> str:
        """The prior of the reference fit."""
        return self.spec.reference_prior

    def fit(self, family: str, prior: str | None = None) -> PriorFit:
        """Return the fit of one family under one prior (default: the reference prior).

        Raises
        ------
        KeyError
            If there is no such fit.
        """
        prior = prior or self.reference_prior
        for f in self.fits:
            if f.family == family and f.prior == prior:
                return f
        raise KeyError(f"no {family} fit under prior {prior!r}; families: "
                       f"{', '.join(self.families)}; priors: {', '.join(self.priors)}")

    def posterior(self, family: str, prior: str | None = None) -> Any:
        """Return the posterior of one fit as ArviZ ``InferenceData``.

        Parameters
        ----------
        family : str
            ``"survival"``, ``"longitudinal"`` or ``"composite"``.
        prior : str, optional
            Default: the reference prior.

        Returns
        -------
        arviz.InferenceData

        Raises
        ------
        KeyError
            If there is no such fit or it kept no posterior.
        """
        idata = self.fit(family, prior).idata
        if idata is None:
            raise KeyError(f"the {family} fit under {prior or self.reference_prior!r} "
                           "kept no posterior")
        return idata

    # -- tables -------------------------------------------------------------------------
    def table(self, *, level: float = CREDIBLE_LEVEL) -> pd.DataFrame:
        """One row per endpoint, estimand and prior (see :func:`superiority_table`).

        Parameters
        ----------
        level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`

        Returns
        -------
        pandas.DataFrame
            Columns :data:`bayes_scot.results.TABLE_COLUMNS`, including ``p_superior``,
            ``p_mcid``, ``p_harm``, the diagnostics, ``evidence`` and ``flagged``.
        """
        if level == CREDIBLE_LEVEL:
            return self._table.copy()
        return superiority_table(self.fits, priors=self.priors, level=level)

    @cached_property
    def _table(self) -> pd.DataFrame:
        return superiority_table(self.fits, priors=self.priors)

    def joint_probabilities(
        self,
        estimands: Sequence[str | Sequence[str]] | None = None,
        *,
        threshold: Literal["null", "mcid"] | None = None,
    ) -> pd.DataFrame:
        """P(HSCT superior on all / at least k / any of a set of estimands), per prior.

        Parameters
        ----------
        estimands : sequence of str, optional
            ``"endpoint:estimand"`` keys; default the specification's ``[joint]`` set.
        threshold : {"null", "mcid"}, optional
            Default the specification's.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`bayes_scot.results.JOINT_COLUMNS`; empty when no set is
            chosen. ``basis`` names the independence assumption when the estimands come
            from fits that share no parameters, and the patients such fits share;
            ``lower_bound`` and ``upper_bound`` then hold whatever the dependence.
        """
        from bayes_scot.results import JOINT_COLUMNS

        keys = list(estimands) if estimands is not None else list(self.spec.joint.estimands)
        if not keys:
            return pd.DataFrame(columns=list(JOINT_COLUMNS))
        return joint_probabilities(
            self.fits, keys, threshold=threshold or self.spec.joint.threshold,
            trials=self._trials_by_family(),
        )

    def probability(self, estimand: str, *, above: float | None = None,
                    below: float | None = None, prior: str | None = None) -> float:
        """Posterior probability that an estimand lies above and/or below thresholds.

        Parameters
        ----------
        estimand : str
            ``"endpoint:estimand"`` (``"efs:hazard_ratio_24_54"``), or the estimand's
            name when one endpoint has it.
        above, below : float, optional
            Thresholds on the estimand's reported scale (a hazard ratio, a survival
            difference as a proportion); with both, the probability of the interval.
        prior : str, optional
            Default: the reference prior.

        Returns
        -------
        float

        Raises
        ------
        KeyError
            For an unknown or ambiguous estimand, or an unknown prior.
        ValueError
            Without a threshold, or with ``above >= below``.

        Examples
        --------
        >>> fit.probability("efs:hazard_ratio_24_54", below=0.7)  # doctest: +SKIP
        >>> fit.probability("os:survival_difference_54", above=0.0, below=0.1,
        ...                 prior="skeptical_moderate")  # doctest: +SKIP
        """
        from bayes_scot.results.probability import find_estimand, interval_probability

        draws = find_estimand(self.fits, estimand, prior or self.reference_prior)
        return interval_probability(draws.draws, above=above, below=below)

    def benefit_curve(self, estimand: str, *, priors: Sequence[str] | None = None,
                      ) -> pd.DataFrame:
        """P(benefit beyond x) for every threshold x, under each prior.

        Parameters
        ----------
        estimand : str
            As in :meth:`probability`.
        priors : sequence of str, optional
            Default: every prior of the run.

        Returns
        -------
        pandas.DataFrame
            Columns ``prior, threshold, probability``
            (:func:`bayes_scot.results.probability.benefit_curve`).
        """
        from bayes_scot.results.probability import benefit_curve, find_estimand

        if priors is not None:
            return benefit_curve({p: find_estimand(self.fits, estimand, p) for p in priors})
        draws = {}
        for p in self.priors:  # an estimand of the reference fit only is drawn alone
            try:
                draws[p] = find_estimand(self.fits, estimand, p)
            except KeyError:
                continue
        if not draws:
            find_estimand(self.fits, estimand, self.reference_prior)  # raises, saying why
        return benefit_curve(draws)

    def _trials_by_family(self) -> dict[str, list[str]]:
        """Each family's trials, labelled ``"scot (itt)"``, as the joint rows state them."""
        out: dict[str, list[str]] = {}
        for f in self.spec.families:
            if f.family in self.families:
                out[f.family] = [
                    f"{name} ({self.trials[name].population})" if name in self.trials
                    else name for name in f.trials
                ]
        return out

    def priors_table(self) -> pd.DataFrame:
        """Every prior: statement, distribution, parameter, implied prior probabilities.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`bayes_scot.results.PRIORS_COLUMNS`, one row per family,
            prior and headline estimand (the ``[joint]`` set) of that family.
        """
        return priors_table(self.fits, self.spec.joint.estimands)

    def tipping_points(self) -> pd.DataFrame:
        """Sceptical prior SD and external weight at which P(superior) falls below 0.95, 0.90.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`bayes_scot.results.TIPPING_COLUMNS`, per headline estimand
            (the ``[joint]`` set) and threshold, from the reference fits.
        """
        return tipping_points(self.fits, self.spec.joint.estimands,
                              reference_prior=self.reference_prior)

    def reproduce(self) -> pd.DataFrame:
        """Every published number beside its posterior predictive (reference fits).

        Returns
        -------
        pandas.DataFrame
            Columns :data:`bayes_scot.results.REPRODUCE_COLUMNS`; ``outside`` flags a
            published number outside the central interval.
        """
        return reproduce_table(self.fits)

    def diagnostics(self) -> pd.DataFrame:
        """Sampler diagnostics, one row per family and prior.

        Returns
        -------
        pandas.DataFrame
            Columns ``family, prior, rhat_max, ess_bulk_min, divergences, passed,
            seconds``.
        """
        return pd.DataFrame(
            [
                {
                    "family": f"{f.family} ({f.route})" if f.route else f.family,
                    "prior": f.prior,
                    "rhat_max": float(f.diagnostics.rhat_max),
                    "ess_bulk_min": float(f.diagnostics.ess_bulk_min),
                    "divergences": int(f.diagnostics.divergences),
                    "passed": f.passed,
                    "seconds": float(f.seconds),
                }
                for f in self.fits
            ],
            columns=["family", "prior", "rhat_max", "ess_bulk_min", "divergences", "passed",
                     "seconds"],
        )

    def sensitivity(self, value: str = "p_superior") -> pd.DataFrame:
        """Spread one table column (default P(superior)) over the prior grid, one column per prior.

        Returns
        -------
        pandas.DataFrame
            See :func:`bayes_scot.results.sensitivity_grid`.
        """
        return sensitivity_grid(self._table, value=value)

    def power_scaling(self) -> pd.DataFrame:
        """Power-scaling sensitivity of the reference fit of every family.

        Returns
        -------
        pandas.DataFrame
            Columns ``family`` and :data:`bayes_scot.results.PSENS_COLUMNS`. Families
            whose reference fit kept no posterior are left out.
        """
        return self._power_scaling.copy()

    @cached_property
    def _power_scaling(self) -> pd.DataFrame:
        from bayes_scot.results import PSENS_COLUMNS

        frames = []
        for family in self.families:
            try:
                fit = self.fit(family)
            except KeyError:
                continue
            if fit.idata is None or not fit.effect_priors:
                continue
            frame = power_scaling_sensitivity(fit)
            frame.insert(0, "family", family)
            frames.append(frame)
        if not frames:
            return pd.DataFrame(columns=["family", *PSENS_COLUMNS])
        return pd.concat(frames, ignore_index=True)

    @property
    def assumptions(self) -> tuple[str, ...]:
        """Every assumption the results rest on, each prefixed with where it comes from.

        The specification's (per trial and per family), then each family's: the builder's
        own list when it keeps one (the evidence it used and the approximations it
        made), else the assumptions recorded in the entries of the family's trials.
        """
        stated = list(self.spec.assumptions)
        for family in self.families:
            method = getattr(self.builders.get(family), "assumptions", None)
            if callable(method):
                stated.extend(f"{family}: {a}" for a in method())
                continue
            try:
                names = self.spec.family(family).trials
            except KeyError:
                names = tuple(self.trials)
            for name in names:
                trial = self.trials.get(name)
                for e in trial.entries if trial is not None else ():
                    if getattr(e, "assumption", ""):
                        stated.append(f"{name}: entry '{e.id}': {e.assumption}")
        for f in self.fits:
            if not f.route:
                continue
            stated.extend(f"{f.family} ({f.route}): {note}" for note in f.notes)
            sources = next((e.attrs.get("outcome_sd_sources") for e in f.estimands), None)
            if isinstance(sources, Mapping) and sources:
                stated.append(
                    f"{f.family} ({f.route}): between-patient SDs at the horizon from "
                    + "; ".join(f"{k} {e}" for k, e in sources.items())
                )
        return tuple(dict.fromkeys(stated))

    @property
    def flagged(self) -> pd.DataFrame:
        """Rows of the table that fail the diagnostics gate."""
        table = self._table
        return table[table["flagged"]].reset_index(drop=True)

    # -- curves for figures -------------------------------------------------------------
    def published(self, family: str | None = None) -> pd.DataFrame:
        """Return the published numbers of the trials used (by one family), as tidy rows.

        Returns
        -------
        pandas.DataFrame
            :meth:`bayes_scot.Trial.to_frame` rows of the populations analysed, with a
            ``trial`` column.
        """
        names = list(self.trials)
        if family is not None:
            try:
                names = list(self.spec.family(family).trials)
            except KeyError:
                names = []
        frames = []
        for name in names:
            trial = self.trials.get(name)
            if trial is None:
                continue
            frame = trial.to_frame()
            frame.insert(0, "trial", name)
            frames.append(frame)
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True)

    def curves(self, family: str, prior: str | None = None) -> pd.DataFrame:
        """Posterior curves of one fit, as a tidy frame for the figures.

        Survival fits give S(t) by arm for EFS and OS (the builder's ``survival_efs`` and
        ``survival_os`` deterministics); longitudinal fits give each arm's change from
        baseline over the visits (``change``). A builder with a ``curves(idata)`` method
        is asked instead.

        Parameters
        ----------
        family : str
        prior : str, optional
            Default: the reference prior.

        Returns
        -------
        pandas.DataFrame
            Columns ``endpoint, arm, time_months, median, lower, upper`` (and
            ``statistic`` for trajectories), at
            :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`; empty when the fit has no
            curves.
        """
        try:
            idata = self.posterior(family, prior)
        except KeyError:
            return pd.DataFrame()
        method = getattr(self.builders.get(family), "curves", None)
        if callable(method):
            return method(idata)
        if family == "survival":
            builder = self.builders.get(family)
            target = getattr(builder, "target", None)
            return survival_curves(_compat.get_group(idata, "posterior"),
                                   variables=getattr(builder, "curve_variables",
                                                     _SURVIVAL_CURVES),
                                   trial=target.name if target else self._primary_trial(family))
        if family == "longitudinal":
            return trajectories(_compat.get_group(idata, "posterior"))
        return pd.DataFrame()

    def _primary_trial(self, family: str) -> str | None:
        try:
            trials = self.spec.family(family).trials
        except KeyError:
            trials = ()
        return trials[0] if trials else (self.spec.trials[0].name if self.spec.trials else None)

    # -- output -------------------------------------------------------------------------
    def write_report(self, out_dir: str | Path, *, figures: bool = True) -> Path:
        """Write ``index.html``, ``report.md``, ``summary.json`` and figures to a folder.

        Parameters
        ----------
        out_dir : str or path-like
            The folder to create (replaced atomically if it exists).
        figures : bool, default True
            Draw the figures.

        Returns
        -------
        pathlib.Path
            The report folder.

        See Also
        --------
        bayes_scot.report.write_report
        """
        from bayes_scot.report import write_report

        return write_report(self, out_dir, figures=figures)

    def __repr__(self) -> str:
        flagged = int(self._table["flagged"].sum()) if len(self._table) else 0
        return (
            f"<Reanalysis {self.spec.name!r}: families {', '.join(self.families)}; "
            f"{len(self.priors)} priors; {len(self._table)} rows, {flagged} flagged; "
            f"seed {self.spec.seed}>"
        )

    def _repr_html_(self) -> str:
        from bayes_scot.report.render import summary_html

        return summary_html(self)
