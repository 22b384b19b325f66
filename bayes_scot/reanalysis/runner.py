"""Run an analysis specification: every model family under the whole prior grid.

:func:`reanalyse` reads a specification (the default one when none is given), loads the
trials, builds each family's model once through the family registry
(:data:`bayes_scot.builders.base.FAMILIES`), compiles it once, and samples it once per
named prior by changing only the prior hyperparameters. Every family's batch, and the
refits under other effect structures, are started before the first is read, so that the
sampling (on JAX's devices) overlaps compiling the next model and processing earlier fits;
the fits, their order and their draws are those of one family after another.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bayes_scot import _compat
from bayes_scot.builders.base import FAMILIES, ExactPosterior, ModelBuilder, named_grids
from bayes_scot.errors import EvidenceError, SpecError
from bayes_scot.evidence import Trial
from bayes_scot.fitting.prior import prior_draws, prior_group
from bayes_scot.fitting.settings import SamplerSettings
from bayes_scot.fitting.terms import likelihood_terms
from bayes_scot.reanalysis.provenance import provenance
from bayes_scot.reanalysis.result import Reanalysis
from bayes_scot.results import LikelihoodTerm, PriorFit, StructureFit
from bayes_scot.spec import AnalysisSpec, FamilySpec, load_spec
from bayes_scot.spec.records import external_parts
from bayes_scot.stats.estimands import EstimandDraws, exact_parameter_priors, mcid_problem

__all__ = ["MODEL_BASED_EVIDENCE", "MODEL_BASED_ROUTE", "build_family", "reanalyse"]

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
        callable receives the lines instead; ``False`` (or ``None``) is silent.
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
    TypeError
        For a ``spec`` or ``progress`` of the wrong type.
    SpecError
        For a bad specification or override (one line naming the file and key).
    EvidenceError
        For a bad trial file.

    Warns
    -----
    UserWarning
        For each digitised curve its risk table reproduces poorly (naming the file and
        entry; :func:`~bayes_scot.stats.reconstruction.curve_warnings`), before any model
        is built. The curve is used; the report lists the warning too.

    Notes
    -----
    Each family's model is built and compiled once; the priors of the grid differ only
    in data (the prior hyperparameters), so the compiled model is reused. Every fit uses
    the specification's seed, so the same specification and seed give the same table.
    The reference fit also records the pointwise log-likelihood, used for power-scaling
    sensitivity, and the reproduce-the-paper frame. The diagnostics gate of a fit checks
    its free parameters; the table checks every estimand's own draws as well.
    """
    if not (progress is None or isinstance(progress, bool) or callable(progress)):
        raise TypeError(f"progress must be True, False or a callable taking one line, not "
                        f"{type(progress).__name__}")
    if not (spec is None or isinstance(spec, AnalysisSpec | str | os.PathLike)):
        raise TypeError(f"spec must be an AnalysisSpec, a shipped specification's name or "
                        f"the path of a TOML file, not {type(spec).__name__}")
    if not isinstance(spec, AnalysisSpec):
        spec = load_spec(spec)
    spec = spec.with_overrides(**overrides)
    report: Progress | None
    if progress is True:
        report = _stderr
    elif progress is False or progress is None:
        report = None
    else:
        report = progress
    try:
        return _Runner(spec, report).run()
    except BaseException:  # an error or an interrupt: compile nothing more for this run
        from bayes_scot.fitting.launcher import cancel_pending

        cancel_pending()
        raise


def build_family(
    spec: AnalysisSpec, family: str, *, design: Callable[[Trial], Trial] | None = None
) -> tuple[Any, SamplerSettings]:
    """Build one family's model as :func:`reanalyse` does, with its sampler settings.

    Parameters
    ----------
    spec : AnalysisSpec
    family : str
        ``"survival"``, ``"longitudinal"`` or ``"composite"``; must be in the spec.
    design : callable, optional
        Applied to each loaded trial first (a calibration study's design: other arm
        sizes or follow-up).

    Returns
    -------
    builder : object
        The family's model builder.
    settings : SamplerSettings
    """
    runner = _Runner(spec, None)
    chosen = spec.family(family)
    trials = {t.name: (design or (lambda x: x))(runner.load_trial(i))
              for i, t in enumerate(spec.trials) if t.name in chosen.trials}
    return runner.build(chosen, trials), runner.sampler_settings(chosen)



def structure_settings(settings: SamplerSettings) -> SamplerSettings:
    """Sampler settings of a refit under another effect structure.

    The analysis's own survival settings: at them, the ``"common"`` and ``"independent"``
    refits of SCOT (intention to treat, four seeds, and per protocol) and of the
    three-trial borrowing analysis had no divergent transitions, and a bulk ESS of about
    3,000 (SCOT) and 1,900 (borrowing) from 4,000 draws (benchmarks/README.md); a deeper
    tree at target acceptance 0.99, which takes shorter steps, gave SCOT's refits 1,650
    to 2,100.

    With the BlackJAX backend, a refit's chains run on one core (``cores=1``): the refits
    sample while the prior grids occupy every core, and a small model's leapfrog step
    costs about as much for four vectorised chains as for two, so splitting four chains
    over two devices would nearly double the refit's processor time without shortening
    the report. The draws are the same either way up to rounding: each chain's key and
    starting point do not depend on the device. Other backends run one chain per core, so
    their refits keep the analysis's cores.
    """
    if settings.backend != "blackjax":
        return settings
    return dataclasses.replace(settings, cores=1)


def _diagnose(idata: Any, builder: Any) -> Any:
    """Diagnostics of a fit's free parameters (every estimand is checked on its own draws)."""
    from bayes_scot.fitting import diagnose

    free = sorted(rv.name for rv in builder.model.free_RVs) or None
    with warnings.catch_warnings():
        # R-hat of an element that never varies (S(0) = 1) divides 0 by 0; diagnose()
        # skips those elements, so the warning carries no news.
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        return diagnose(idata, var_names=free)


@dataclasses.dataclass(frozen=True)
class _StartedFamily:
    """A family whose model is compiled and whose sampling has started."""

    family: FamilySpec
    builder: Any
    compiled: Any
    prior_sets: Mapping[str, Any]
    posteriors: Iterator[tuple[str, Any]]
    started: float
    """When its compilation started (``time.perf_counter``)."""
    batch_started: float | None
    """When its batch started; ``None`` for a backend that samples one prior at a time."""


@dataclasses.dataclass(frozen=True)
class _StartedRefit:
    """A refit under another effect structure (``builder`` ``None``: the analysis's own)."""

    structure: str
    builder: Any
    posteriors: Iterator[tuple[str, Any]] | None
    started: float
    priors: Mapping[str, Any] | None = None


PRIOR_GRCS_THINNING = 2
"""The model-based GRCS's prior columns simulate every second prior draw (2000 of a
report's 4000): the simulation is the slowest step the GRCS adds to a report, and a
prior probability near 0.5 keeps a Monte Carlo SE of about 0.011."""


def _paired_terms(survival: PriorFit, longitudinal: PriorFit,
                  estimands: Sequence[EstimandDraws]) -> tuple[LikelihoodTerm, ...]:
    """Both fits' likelihood terms at the paired draws of the model-based GRCS.

    Draw ``(c, d)`` of the GRCS comes from draw ``(c, d)`` of each fit (a longer
    longitudinal fit thinned to evenly spaced draws, as :func:`~bayes_scot.results.grcs.
    grcs_from_posteriors` pairs them), so the two fits' terms are one joint posterior's,
    and each is evidence on the composite of its endpoints (``endpoints`` ``None``).
    Empty when the shapes cannot be paired.
    """
    if not estimands:
        return ()
    chains, draws = estimands[0].draws.shape
    out = []
    for term in (*survival.likelihood_terms, *longitudinal.likelihood_terms):
        values = np.asarray(term.draws)
        if values.shape[0] != chains or values.shape[1] < draws:
            return ()
        if values.shape[1] > draws:
            values = values[:, np.linspace(0, values.shape[1] - 1, draws).round().astype(int)]
        out.append(dataclasses.replace(term, endpoints=None, draws=values))
    return tuple(out)


class _ModelBasedGrcs:
    """The model-based GRCS, computed on a thread of its own while the fits are processed.

    It needs only the survival and longitudinal reference fits: once both are offered
    (:meth:`offer`), it starts on a worker thread, where its simulation (NumPy) and pair
    counting (a compiled kernel that releases Python's lock) run beside the processing of
    the other fits, instead of after it. Its numbers do not depend on where it runs (its
    random numbers come from the analysis's seed alone). Used as a context manager: the
    kernels (pair counting, event times) are compiled on entry (while the batches
    sample), and on exit the worker is given no more work.
    """

    def __init__(self, runner: _Runner, builders: Mapping[str, Any],
                 trials: Mapping[str, Trial]) -> None:
        self.runner, self.builders, self.trials = runner, builders, trials
        self.active = runner.runs_model_based_grcs()
        self.references: dict[str, PriorFit] = {}
        self.future: Future[PriorFit | None] | None = None
        self.pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> _ModelBasedGrcs:
        if self.active:
            from bayes_scot.stats import illness_death_kernel
            from bayes_scot.stats.win import kernel

            kernel.compile_kernel()
            illness_death_kernel.compile_kernel()
            self.pool = ThreadPoolExecutor(1, thread_name_prefix="bayes-scot-grcs")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=exc[0] is None, cancel_futures=True)

    def offer(self, fit: PriorFit) -> None:
        """Take note of a fit; start the GRCS once both reference fits are here."""
        if (self.pool is None or self.future is not None or fit.route
                or fit.prior != self.runner.spec.reference_prior
                or fit.family not in ("survival", "longitudinal")):
            return
        self.references[fit.family] = fit
        if len(self.references) == 2:
            self.future = self.pool.submit(self.runner.model_based_grcs, self.builders,
                                           list(self.references.values()), self.trials)

    def result(self, fits: Sequence[PriorFit]) -> PriorFit | None:
        """Return the model-based GRCS fit (computed here if not started), or ``None``."""
        if not self.active:
            return None
        fit = (self.future.result() if self.future is not None
               else self.runner.model_based_grcs(self.builders, fits, self.trials))
        if fit is not None:
            self.runner.say(f"bayes-scot: composite ({MODEL_BASED_ROUTE}) {fit.prior}: "
                            f"{fit.seconds:.1f} s from the survival and longitudinal "
                            "reference fits")
        return fit


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
        # Every family's model is built before the first compilation, so that a problem
        # with the evidence of any family is reported before minutes of sampling.
        build_seconds: dict[str, float] = {}
        for family in spec.families:
            t0 = time.perf_counter()
            builders[family.family] = self.build(family, trials)
            build_seconds[family.family] = time.perf_counter() - t0
        self.check_memory(builders, settings_by_family)
        self.check_names(builders)
        # Every batch is started before the first is read: a batch samples on JAX's
        # devices while this process compiles the next model or processes earlier fits.
        order = self.start_order(builders)
        started_families = [
            self.start_family(family, builders[family.family],
                              settings_by_family[family.family])
            for family in order
        ]
        refits = self.start_structure_fits(builders.get("survival"), settings_by_family)
        grcs = _ModelBasedGrcs(self, builders, trials)
        with grcs:
            by_family: dict[str, tuple[list[PriorFit], float]] = {}
            for family, started_family in zip(order, started_families, strict=True):
                by_family[family.family] = self.finish_family(started_family,
                                                              then=grcs.offer)
            for family in spec.families:  # the fits and timings in the spec's order
                family_fits, seconds = by_family[family.family]
                fits.extend(family_fits)
                timings[family.family] = seconds + build_seconds[family.family]
            structures = self.finish_structure_fits(refits, fits)
            model_based = grcs.result(fits)
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
            provenance=provenance(spec, trials, timings | {"total": total}),
            structure_fits=structures,
        )

    def start_order(self, builders: Mapping[str, Any]) -> list[FamilySpec]:
        """Return the families in the order their batches are started and their fits read.

        The specification's order, except that the illness-death survival family goes
        last. JAX runs the batches one after another, and each family's fits are
        processed once its batch is done, so the family read last sets how the analysis
        ends. The survival family's fits are the slowest to process (the illness-death
        model's deterministics, prior draws and likelihood terms), and its
        effect-structure refits (:meth:`start_structure_fits`) sample right after its
        batch: read last, its fits are processed while the refits sample and the
        model-based GRCS, which starts with the second of its two reference fits, runs on
        its thread, so that the cores stay busy to the end. Read first, they left the
        GRCS to start after the last batch and finish alone. The order changes no draw:
        each batch's draws depend only on its data and the seed.
        """
        from bayes_scot.builders.survival import SurvivalModel

        return sorted(self.spec.families,
                      key=lambda f: isinstance(builders[f.family], SurvivalModel))

    def start_structure_fits(
        self, builder: Any, settings: Mapping[str, Any]
    ) -> list[_StartedRefit]:
        """Start the illness-death model's refits under each other effect structure.

        Each structure of ``SurvivalOptions.structure_sensitivity`` other than the
        analysis's own is built, compiled and started under the reference prior (the
        analysis's own structure reuses its reference fit, :meth:`finish_structure_fits`).
        """
        from bayes_scot.builders.survival import SurvivalModel
        from bayes_scot.fitting import compile_model

        if not isinstance(builder, SurvivalModel) or not builder.options.structure_sensitivity:
            return []
        spec, family = self.spec, self.spec.family("survival")
        out = []
        for structure in builder.options.structure_sensitivity:
            started = time.perf_counter()
            if structure == builder.options.effect_structure:
                out.append(_StartedRefit(structure, None, None, started))
                continue
            other = SurvivalModel(builder.trials, options=dataclasses.replace(
                builder.options, effect_structure=structure))  # type: ignore[arg-type]
            compiled = compile_model(other.model, backend=settings["survival"].backend,
                                     key=other.structure_key)
            priors = family.prior_sets(tuple(other.effect_parameters), spec.priors,
                                       defaults=named_grids(other))[spec.reference_prior]
            posteriors = compiled.iter_samples(
                {spec.reference_prior: other.prior_data(priors)}, seed=spec.seed,
                settings=structure_settings(settings["survival"]),
            )
            out.append(_StartedRefit(structure, other, posteriors, started, priors))
            self.say(f"bayes-scot: survival: effect structure {structure!r}, "
                     f"{spec.reference_prior} prior: model built and sampler started in "
                     f"{time.perf_counter() - started:.1f} s")
        return out

    def finish_structure_fits(
        self, refits: Sequence[_StartedRefit], fits: Sequence[PriorFit]
    ) -> list[StructureFit]:
        """Collect the refits that :meth:`start_structure_fits` started, in its order."""
        spec = self.spec
        if not refits:
            return []
        family = spec.family("survival")
        shipped = next(f for f in fits
                       if f.family == "survival" and f.prior == spec.reference_prior)
        out = []
        for refit in refits:
            if refit.builder is None or refit.posteriors is None:
                out.append(StructureFit(refit.structure, shipped.estimands,
                                        shipped.prior_estimands, shipped.diagnostics,
                                        shipped=True))
                continue
            ((_, idata),) = list(refit.posteriors)
            other = refit.builder
            diagnostics = _diagnose(idata, other)
            out.append(StructureFit(
                refit.structure,
                self.chosen(family, other.estimands(idata), other.options),
                self.chosen(family, exact_parameter_priors(
                    prior_draws(other, idata, seed=spec.seed), refit.priors or {}),
                    other.options),
                diagnostics,
            ))
            self.say(f"bayes-scot: survival: effect structure {refit.structure!r}, "
                     f"{spec.reference_prior} prior: "
                     f"{time.perf_counter() - refit.started:.1f} s since it started, "
                     f"R-hat {diagnostics.rhat_max:.3f}, ESS {diagnostics.ess_bulk_min:.0f}, "
                     f"{diagnostics.divergences} divergences")
        return out

    def check_memory(
        self, builders: Mapping[str, Any], settings: Mapping[str, SamplerSettings]
    ) -> None:
        """Check, before any compilation, that each family's draws fit in memory."""
        import pymc as pm

        from bayes_scot.fitting.settings import memory_problem, stored_values

        for family in self.spec.families:
            model = getattr(builders[family.family], "model", None)
            if not isinstance(model, pm.Model):
                continue
            s = settings[family.family]
            problem = memory_problem(stored_values(model), s.draws, s.chains,
                                     len(self.spec.priors))
            if problem:
                raise SpecError(problem, file=self.spec.path or self.spec.name,
                                field=f"{family.family}.sampler.draws")

    def check_names(self, builders: Mapping[str, Any]) -> None:
        """Check each family's selection and every ``[joint]`` estimand before any fit.

        Each family's estimand names come from two forward draws of its prior
        (:func:`bayes_scot.fitting.prior.estimand_names`); an ``endpoints`` or
        ``estimands`` entry that selects none of them is refused
        (:meth:`bayes_scot.spec.FamilySpec.selection_problem`), as is a ``[joint]`` key
        that no selected estimand has. A family without a model to draw from, and the
        composite family when the model-based GRCS adds rows to it after the fits, leave
        the check of their selection to :meth:`check_joint`, which refuses one that kept
        no row.
        """
        from bayes_scot.fitting.prior import estimand_names

        file = self.spec.path or self.spec.name
        known: set[str] = set()
        complete = True
        for family in self.spec.families:
            builder = builders[family.family]
            sets = family.prior_sets(tuple(builder.effect_parameters), self.spec.priors,
                                     defaults=named_grids(builder))
            priors = sets.get(self.spec.reference_prior) or next(iter(sets.values()))
            names = estimand_names(builder, builder.prior_data(priors))
            if names is None:
                complete = False
                continue
            # The model-based GRCS adds composite rows only after the fits.
            later = family.family == "composite" and self.runs_model_based_grcs()
            problem = None if later else family.selection_problem(names)
            if problem is not None:
                raise SpecError(problem[1], file=file, field=problem[0])
            known |= {f"{e}:{k}" for e, k in names if family.selects(e, k)}
        if not complete:
            return
        for i, key in enumerate(self.spec.joint.estimands):
            if key not in known:
                raise SpecError(
                    f"{key!r} is not an estimand the models report; known: "
                    + ", ".join(sorted(known)),
                    file=file, field=f"joint.estimands[{i}]",
                )

    def check_joint(self, fits: Sequence[PriorFit]) -> None:
        """Check that every family reported a row and every ``[joint]`` estimand every prior.

        The families :meth:`check_names` could not check before the fits (no model to
        draw from) are checked here: one whose selection kept no row is refused.
        """
        for family in self.spec.families:
            if not any(f.estimands for f in fits if f.family == family.family):
                choice = "estimands" if family.estimands else "endpoints"
                raise SpecError(
                    f"selects no estimand the {family.family} model reports",
                    file=self.spec.path or self.spec.name, field=f"{family.family}.{choice}",
                )
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
        from bayes_scot.stats.reconstruction import curve_warnings

        t = self.spec.trials[index]
        try:
            trial = load_trial(t.path or t.name, population=t.population)
            if trial.name != t.name:
                raise SpecError(
                    f"the trial file {t.path!r} names its trial {trial.name!r}, not "
                    f"{t.name!r}: give the file's name", file=self.spec.path or self.spec.name,
                    field=f"trials[{index}].name")
            # The survival model's rules, before any model is built; a curve its risk
            # table reproduces poorly is used, with a warning the report repeats.
            for line in curve_warnings(trial):
                warnings.warn(line, UserWarning, stacklevel=4)
            return trial
        except SpecError:
            raise
        except EvidenceError as err:
            if err.field == "population":
                raise SpecError(err.message, file=self.spec.path or self.spec.name,
                                field=f"trials[{index}].population") from None
            raise

    def start_family(
        self, family: FamilySpec, builder: Any, settings: Any
    ) -> _StartedFamily:
        """Compile one family's model and start sampling its prior grid.

        A backend that samples the grid as one batch starts it now; the others sample
        each prior when :meth:`finish_family` reads it.
        """
        from bayes_scot.fitting import compile_model

        spec = self.spec
        started = time.perf_counter()
        # A family with an exact posterior (the composite's direct route) needs no MCMC.
        compiled = builder.exact_sampler() if isinstance(builder, ExactPosterior) else (
            compile_model(builder.model, backend=settings.backend, key=builder.structure_key)
        )
        self.say(f"bayes-scot: {family.family}: model compiled in "
                 f"{time.perf_counter() - started:.1f} s")
        prior_sets = family.prior_sets(
            tuple(builder.effect_parameters), spec.priors, defaults=named_grids(builder)
        )
        batch = bool(compiled.batches and len(prior_sets) > 1)
        if batch:
            self.say(f"bayes-scot: {family.family}: sampling {len(prior_sets)} priors as one "
                     f"batch ({settings.backend})")
        batch_started = time.perf_counter()
        posteriors = compiled.iter_samples(
            {name: builder.prior_data(priors) for name, priors in prior_sets.items()},
            settings=settings, seed=spec.seed, log_likelihood=[spec.reference_prior],
        )
        if batch:
            self.say(f"bayes-scot: {family.family}: batch started in "
                     f"{time.perf_counter() - batch_started:.1f} s")
        return _StartedFamily(family, builder, compiled, prior_sets, posteriors, started,
                              batch_started if compiled.batches else None)

    def finish_family(self, started: _StartedFamily,
                      then: Callable[[PriorFit], None] | None = None,
                      ) -> tuple[list[PriorFit], float]:
        """Read and process each posterior of a family that :meth:`start_family` started.

        ``then``, when given, is called with each fit as soon as it is made.
        """
        from bayes_scot.fitting.arviz_groups import add_arviz_groups

        spec = self.spec
        family, builder, prior_sets = started.family, started.builder, started.prior_sets
        fits = []
        t0 = time.perf_counter()
        batch_share = None
        for i, (name, idata) in enumerate(started.posteriors, start=1):
            if started.batch_started is not None and batch_share is None:
                # The batch sampled every prior at once: each prior's time is its share
                # of the time from its start (while other work went on) to its draws.
                batch_share = (time.perf_counter() - started.batch_started) / len(prior_sets)
                self.say(f"bayes-scot: {family.family}: {len(prior_sets)} priors sampled in "
                         f"{batch_share * len(prior_sets):.1f} s")
                t0 = time.perf_counter()
            priors = prior_sets[name]
            reference = name == spec.reference_prior
            diagnostics = _diagnose(idata, builder)
            options = getattr(builder, "options", None)
            estimands = self.chosen(family, builder.estimands(idata), options)
            prior_estimands = self.chosen(family, exact_parameter_priors(
                prior_draws(builder, idata, seed=spec.seed), priors), options)
            terms = tuple(LikelihoodTerm(**t) for t in likelihood_terms(builder, idata))
            reproduce = builder.reproduce(idata) if reference else None
            if reference:  # the fit with the log-likelihood: ArviZ's checks run on it
                add_arviz_groups(started.compiled, idata, seed=spec.seed, builder=builder)
            seconds = (batch_share or 0.0) + time.perf_counter() - t0
            t0 = time.perf_counter()
            scales = getattr(builder, "fixed_scales", None)
            fits.append(PriorFit(
                family=family.family, prior=name, estimands=estimands,
                diagnostics=diagnostics, effect_priors=priors, idata=idata,
                reproduce=reproduce, seconds=seconds, prior_estimands=prior_estimands,
                likelihood_terms=terms,
                fixed_scales=scales() if reference and callable(scales) else (),
            ))
            if then is not None:
                then(fits[-1])
            verdict = "ok" if diagnostics.passed else "FLAGGED"
            self.say(
                f"bayes-scot: {family.family} [{i}/{len(prior_sets)}] {name}: {seconds:.1f} s, "
                f"R-hat {diagnostics.rhat_max:.3f}, ESS {diagnostics.ess_bulk_min:.0f}, "
                f"{diagnostics.divergences} divergences: {verdict}"
            )
        return fits, time.perf_counter() - started.started

    def build(self, family: FamilySpec, trials: Mapping[str, Trial]) -> ModelBuilder:
        """Build one family's model on its trials and external evidence.

        Raises
        ------
        SpecError
            When the model refuses one of the family's options for these trials (a
            design hazard ratio on the harm side of the endpoint), naming the option in
            the specification.
        EvidenceError
            When the model refuses an entry of a trial, naming the trial's file.
        """
        factory = FAMILIES[family.family].factory()
        selected = [self.family_trial(trials[name], family) for name in family.trials]
        options = self.options(family, selected[0])
        kwargs: dict[str, Any] = {"options": options}
        if family.external:
            sources = [self.external_source(name) for name in family.external]
            kwargs["external"] = sources[0] if len(sources) == 1 else sources
        try:
            return factory(selected[0] if len(selected) == 1 else selected, **kwargs)
        except EvidenceError as err:
            if err.file is None and err.field and hasattr(options, err.field):
                raise SpecError(err.message, file=self.spec.path or self.spec.name,
                                field=f"{family.family}.options.{err.field}") from None
            if err.file is None and err.entry is not None:
                # A rule of the model about an entry: name the trial file that holds it.
                holder = next((t for t in selected
                               if any(e.id == err.entry for e in t.entries)), None)
                if holder is not None:
                    raise err.located(file=holder.path or holder.name) from None
            raise

    def runs_model_based_grcs(self) -> bool:
        """Return whether this analysis computes the model-based GRCS.

        It needs the survival, longitudinal and composite families, the composite
        family's ``model_based`` switch on, and its endpoint the GRCS (the score the
        model-based route simulates).
        """
        families = {f.family for f in self.spec.families}
        if not {"survival", "longitudinal", "composite"} <= families:
            return False
        composite = self.spec.family("composite")
        return bool(composite.model_based
                    and composite.options.get("endpoint", "grcs") == "grcs")

    def model_based_grcs(
        self, builders: Mapping[str, Any], fits: Sequence[PriorFit], trials: Mapping[str, Trial]
    ) -> PriorFit | None:
        """Compute the model-based GRCS from the survival and longitudinal reference fits.

        Returns ``None`` when the composite family turns it off or the analysis does not
        run all of the survival, longitudinal and composite families.
        """
        from bayes_scot.fitting import Diagnostics
        from bayes_scot.results.grcs import GrcsSimulationOptions, grcs_from_posteriors

        spec = self.spec
        if not self.runs_model_based_grcs():
            return None
        family = spec.family("composite")
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
            # The same simulation on the two fits' prior draws: the rows' prior columns.
            prior_survival, prior_longitudinal = (prior_group(f.idata)
                                                  for f in (survival, longitudinal))
            prior_prediction = None
            if prior_survival is not None and prior_longitudinal is not None:
                every = slice(None, None, PRIOR_GRCS_THINNING)
                prior_prediction = grcs_from_posteriors(
                    builders["survival"].transition_hazards(_compat.inference_data(
                        posterior=prior_survival.isel(draw=every))),
                    prior_longitudinal["level"].sel(visit=horizon).isel(draw=every), sds,
                    trial=trial, options=options, evidence=MODEL_BASED_EVIDENCE,
                )
        except EvidenceError as err:
            raise SpecError(f"model-based GRCS: {err.message}", **where) from None
        attrs = {"pairing": _PAIRING_NOTE, "outcome_sds": dict(sds),
                 "outcome_sd_sources": dict(sources), "prior": reference}

        def rows(made: Any) -> tuple[EstimandDraws, ...]:
            return tuple(
                self.with_mcid(dataclasses.replace(
                    e,
                    label=(f"{e.label}; survival and longitudinal draws paired, taken as "
                           "independent"),
                    evidence=MODEL_BASED_EVIDENCE,
                    attrs={**e.attrs, **attrs},
                ))
                for e in made.estimands()
                if family.selects(e.endpoint, e.estimand)
            )

        estimands = rows(prediction)
        reproduce = prediction.reproduce().assign(statistic="percent_favourable_model_based")
        a, b = survival.diagnostics, longitudinal.diagnostics
        diagnostics = Diagnostics(
            rhat_max=max(float(a.rhat_max), float(b.rhat_max)),
            ess_bulk_min=min(float(a.ess_bulk_min), float(b.ess_bulk_min)),
            divergences=int(a.divergences) + int(b.divergences),
        )
        seconds = time.perf_counter() - started
        return PriorFit(
            family="composite", prior=reference, estimands=estimands, diagnostics=diagnostics,
            reproduce=reproduce, seconds=seconds, route=MODEL_BASED_ROUTE,
            notes=(_PAIRING_NOTE,),
            prior_estimands=() if prior_prediction is None else rows(prior_prediction),
            likelihood_terms=_paired_terms(survival, longitudinal, estimands),
        )

    def outcome_sds(self, trial: Trial) -> tuple[dict[str, float], dict[str, str]]:
        """Between-patient SDs of the GRCS's continuous levels, and where each comes from.

        A pooled baseline SD reported by the trial (any population) comes first; the
        external evidence's between-patient SD (``population_spread``) otherwise.
        """
        from bayes_scot.data import load_external, load_trial
        from bayes_scot.evidence import PopulationSpread, VisitSummary
        from bayes_scot.results.grcs import CONTINUOUS_LEVELS

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

    @staticmethod
    def external_source(name: str) -> Any:
        """Load one external-evidence source named in a family's ``external`` list.

        ``"external"`` (the shipped file), ``"<trial>:<population>"``, or a file the
        specification names (its path made absolute by the reader), whole or
        ``"<path>:<population>"``.
        """
        from bayes_scot.data import load_external, load_trial, read_trial_file

        if name == "external":
            return load_external()
        head, population = external_parts(name)
        if not population:
            return read_trial_file(head)
        return load_trial(head, population=population)

    def options(self, family: FamilySpec, primary: Trial) -> Any:
        """Build a family's options; a ``population`` option follows the primary trial's.

        The longitudinal options also take the specification's ``[mcids]`` of each
        endpoint's difference at the reference visit
        (:meth:`~bayes_scot.spec.AnalysisSpec.family_options`).
        """
        options: Any = self.spec.family_options(family, primary)
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

    def chosen(
        self, family: FamilySpec, draws: Sequence[EstimandDraws], options: Any
    ) -> tuple[EstimandDraws, ...]:
        """Return the estimands the family reports, each with the specification's MCID.

        Parameters
        ----------
        family : FamilySpec
        draws : sequence of EstimandDraws
            The builder's estimands.
        options : object
            The builder's options: a survival row whose MCID is a margin of
            :class:`~bayes_scot.builders.survival.SurvivalOptions` is labelled with that
            margin's source
            (:meth:`~bayes_scot.builders.survival.SurvivalOptions.margin_source_of`, as
            :meth:`~bayes_scot.spec.AnalysisSpec.family_options` resolved it); an
            ``[mcids]`` entry matching the row replaces both value and source.
        """
        from bayes_scot.builders.survival.options import SurvivalOptions

        out = []
        for e in draws:
            if not family.selects(e.endpoint, e.estimand):
                continue
            source = (options.margin_source_of(e.estimand)
                      if isinstance(options, SurvivalOptions) and e.mcid is not None
                      else None)
            if source is not None:
                e = dataclasses.replace(e, mcid_source=source)
            out.append(self.with_mcid(e))
        return tuple(out)

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
