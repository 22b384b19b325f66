"""The results of a reanalysis: tables, probabilities, curves, the report.

:class:`Reanalysis` holds every fit of an analysis specification and answers the
questions a reader asks of them; :func:`bayes_scot.reanalyse` builds one.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from numbers import Real
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import pandas as pd

from bayes_scot import _compat
from bayes_scot.builders.base import EVIDENCE_LOG_COLUMNS
from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.evidence import Trial
from bayes_scot.results import (
    PriorFit,
    StructureFit,
    joint_probabilities,
    parse_estimand_key,
    power_scaling_sensitivity,
    priors_table,
    reproduce_table,
    sensitivity_grid,
    structure_sensitivity,
    superiority_table,
    survival_curves,
    tipping_points,
    trajectories,
)
from bayes_scot.results.headline import headline_keys
from bayes_scot.spec import AnalysisSpec

__all__ = ["Reanalysis"]

#: Posterior deterministics of the survival builder holding S(t) by arm, per endpoint.
_SURVIVAL_CURVES: Mapping[str, str] = MappingProxyType(
    {"efs": "survival_efs", "os": "survival_os"}
)


def _check_level(level: Any) -> float:
    """Return a credible level, refusing anything but a number strictly between 0 and 1."""
    if isinstance(level, bool) or not isinstance(level, Real):
        raise TypeError(f"level must be a number between 0 and 1 (0.95 for 95%), not "
                        f"{type(level).__name__}")
    value = float(level)
    if not (math.isfinite(value) and 0.0 < value < 1.0):
        raise ValueError(f"level must lie strictly between 0 and 1 (0.95 for 95%), not "
                         f"{level!r}")
    return value


def _check_threshold(value: Any, name: str) -> float | None:
    """Return a threshold of :meth:`Reanalysis.probability` (``None`` when not given)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number on the estimand's scale, not "
                        f"{type(value).__name__}")
    if math.isnan(value):
        raise ValueError(f"{name} must be a number on the estimand's scale, not NaN")
    return float(value)


def _check_names(value: Any, name: str) -> list[Any]:
    """Return a list of names: one name (a string) or a list or tuple of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a name or a list of names, not "
                        f"{type(value).__name__}")
    return list(value)


def _entries_stated_by(builder: Any) -> set[tuple[str, str]]:
    """Return the ``(trial, entry)`` pairs whose assumptions a builder's own list states.

    A builder that keeps its own ``assumptions()`` (the survival models) states the
    assumption of every entry it used, as its ``evidence_log`` records; a builder without
    one states none.
    """
    if not callable(getattr(builder, "assumptions", None)):
        return set()
    log = getattr(builder, "evidence_log", None)
    if not isinstance(log, pd.DataFrame) or not {"trial", "entry", "used"} <= set(log.columns):
        return set()
    used = log[log["used"].astype(bool)]
    return set(zip(used["trial"].astype(str), used["entry"].astype(str), strict=True))


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
    structure_fits : sequence of StructureFit, optional
        The illness-death model under the reference prior with each effect structure
        (:meth:`structure_sensitivity`).

    Notes
    -----
    Tables are computed on first use and cached (each call returns a copy of the cached
    table at the default settings); the object is otherwise immutable.
    """

    def __init__(
        self,
        *,
        spec: AnalysisSpec,
        fits: Sequence[PriorFit],
        trials: Mapping[str, Trial] | None = None,
        builders: Mapping[str, Any] | None = None,
        provenance: Mapping[str, Any] | None = None,
        structure_fits: Sequence[StructureFit] = (),
    ) -> None:
        self.spec = spec
        self.structure_fits: tuple[StructureFit, ...] = tuple(structure_fits)
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
        level = _check_level(level)
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
        """P(experimental arm superior on all / at least k / any of a set of estimands), per prior.

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

        if estimands is not None:
            if isinstance(estimands, str):
                raise TypeError(f"estimands must be a list of 'endpoint:estimand' keys, not "
                                f"one string: give [{estimands!r}]")
            if isinstance(estimands, Mapping) or not isinstance(estimands, Sequence):
                raise TypeError("estimands must be a list of 'endpoint:estimand' keys, not "
                                f"{type(estimands).__name__}")
            for key in estimands:
                if not (isinstance(key, str) or (
                        isinstance(key, Sequence)
                        and all(isinstance(k, str) for k in key))):
                    raise TypeError("estimands must hold 'endpoint:estimand' keys (or lists "
                                    f"of them), not {key!r}")
        if threshold is not None and threshold not in ("null", "mcid"):
            raise ValueError(f"threshold must be 'null' or 'mcid', not {threshold!r}")
        if estimands is None and threshold is None:
            return self._joint.copy()
        keys = list(estimands) if estimands is not None else list(self.spec.joint.estimands)
        if not keys:
            return pd.DataFrame(columns=list(JOINT_COLUMNS))
        return joint_probabilities(
            self.fits, keys, threshold=threshold or self.spec.joint.threshold,
            trials=self._trials_by_family(),
        )

    @cached_property
    def _joint(self) -> pd.DataFrame:
        return self.joint_probabilities(list(self.spec.joint.estimands),
                                        threshold=self.spec.joint.threshold)

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

        above, below = _check_threshold(above, "above"), _check_threshold(below, "below")
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
            priors = _check_names(priors, "priors")
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

    def headline_keys(self) -> list[tuple[str, str]]:
        """Return the headline estimands: the report's, the priors table's, the tipping points'.

        Returns
        -------
        list of (str, str)
            ``(endpoint, estimand)`` pairs: the specification's ``[joint]`` set as given;
            without one, the report's choice
            (:func:`bayes_scot.results.headline.headline_keys`: one comparative
            estimand of each endpoint that data speak to, the one the named priors are
            stated on where there is one, at most four).
        """
        return list(self._headline)

    @cached_property
    def _headline(self) -> tuple[tuple[str, str], ...]:
        if self.spec.joint.estimands:
            return tuple(map(parse_estimand_key, self.spec.joint.estimands))
        return tuple(headline_keys(self.fits, self._table))

    def priors_table(self) -> pd.DataFrame:
        """Every prior: statement, distribution, parameter, implied prior probabilities.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`bayes_scot.results.PRIORS_COLUMNS`, one row per family,
            prior and headline estimand (:meth:`headline_keys`) of that family.
        """
        return self._priors_table.copy()

    @cached_property
    def _priors_table(self) -> pd.DataFrame:
        return priors_table(self.fits, self._headline)

    def tipping_points(self) -> pd.DataFrame:
        """Sceptical prior SD and external weight at which P(superior) falls below 0.95, 0.90.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`bayes_scot.results.TIPPING_COLUMNS`, per headline estimand
            (:meth:`headline_keys`) and threshold, from the reference fits.
        """
        return self._tipping_points.copy()

    @cached_property
    def _tipping_points(self) -> pd.DataFrame:
        return tipping_points(self.fits, self._headline,
                              reference_prior=self.reference_prior)

    def reproduce(self) -> pd.DataFrame:
        """Every published number beside its posterior predictive (reference fits).

        Returns
        -------
        pandas.DataFrame
            Columns :data:`bayes_scot.results.REPRODUCE_COLUMNS`; ``outside`` flags a
            published number outside the central interval.
        """
        return self._reproduce.copy()

    @cached_property
    def _reproduce(self) -> pd.DataFrame:
        return reproduce_table(self.fits)

    def evidence_log(self) -> pd.DataFrame:
        """Every published number each family considered, and what became of it.

        Returns
        -------
        pandas.DataFrame
            Columns ``family`` and :data:`EVIDENCE_LOG_COLUMNS` (``trial, entry, used,
            term, note``): one row per entry and way of use a family's builder
            considered (the builders' own logs, ``builder.evidence_log``, keep one row
            per number), whether it entered the likelihood, as which term, and how it
            entered or why it was left out (another population, a number the same
            patients already give, no evidence of the family's kind).
            Empty for a reanalysis assembled without its builders.
        """
        frames = []
        for family, builder in self.builders.items():
            log = getattr(builder, "evidence_log", None)
            if isinstance(log, pd.DataFrame) and len(log):
                frames.append(log[list(EVIDENCE_LOG_COLUMNS)].assign(family=family))
        columns = ["family", *EVIDENCE_LOG_COLUMNS]
        if not frames:
            return pd.DataFrame(columns=columns)
        out = pd.concat(frames, ignore_index=True)[columns]
        # The longitudinal log has a row per arm and statistic: one per entry and use here.
        out = out.assign(used=out["used"].astype(bool)).drop_duplicates()
        return out.reset_index(drop=True)

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

    def structure_sensitivity(self, *, level: float = CREDIBLE_LEVEL) -> pd.DataFrame:
        """EFS and OS under each effect structure of the illness-death model.

        Overall survival has no effect parameter of its own, so how much it borrows from
        event-free survival depends on how the transition effects are tied together
        (``SurvivalOptions.effect_structure``); this table shows the survival estimands of
        the ``[joint]`` list and the EFS hazard ratio under each structure, reference
        prior, posterior beside prior.

        Parameters
        ----------
        level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`

        Returns
        -------
        pandas.DataFrame
            Columns :data:`~bayes_scot.results.STRUCTURE_COLUMNS`; empty when the analysis
            has no illness-death model or fitted no other structure.
        """
        level = _check_level(level)
        if level == CREDIBLE_LEVEL:
            return self._structure.copy()
        return self._structure_sensitivity(level)

    @cached_property
    def _structure(self) -> pd.DataFrame:
        return self._structure_sensitivity(CREDIBLE_LEVEL)

    def _structure_sensitivity(self, level: float) -> pd.DataFrame:
        if not self.structure_fits:
            return structure_sensitivity((), (), level=level)
        endpoints = {e.endpoint for e in self.structure_fits[0].estimands}
        keys = [k for k in map(parse_estimand_key, self.spec.joint.estimands)
                if k[0] in endpoints]
        keys += [(e.endpoint, e.estimand) for e in self.structure_fits[0].estimands
                 if e.estimand == "hazard_ratio_common"]
        return structure_sensitivity(self.structure_fits, keys, level=level)

    def sensitivity(self, value: str = "p_superior") -> pd.DataFrame:
        """Spread one table column (default P(superior)) over the prior grid, one column per prior.

        Returns
        -------
        pandas.DataFrame
            See :func:`bayes_scot.results.sensitivity_grid`.
        """
        table = self._table
        if not isinstance(value, str):
            raise TypeError(f"value must be the name of a column of table(), not "
                            f"{type(value).__name__}")
        if len(table) and value not in table.columns:
            numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
            raise ValueError(f"value {value!r} is not a column of table(); numeric columns: "
                             f"{', '.join(numeric)}")
        return sensitivity_grid(table, value=value)

    def power_scaling(self) -> pd.DataFrame:
        """Power-scaling sensitivity of the reference fit of every family.

        Returns
        -------
        pandas.DataFrame
            Columns ``family`` and :data:`bayes_scot.results.PSENS_COLUMNS`. Families
            whose reference fit kept no posterior are left out.
        """
        return self._power_scaling.copy()

    def constant_sensitivity(self) -> pd.DataFrame:
        """Sensitivity of every estimand to each prior scale a model fixes (reference fits).

        Returns
        -------
        pandas.DataFrame
            Columns ``family`` and :data:`bayes_scot.results.CONSTANT_COLUMNS`
            (:func:`bayes_scot.results.constant_sensitivity`): for each smoothing SD or
            hyperprior scale that a model fixes rather than estimates, how much each
            result depends on its value.
        """
        return self._constant_sensitivity.copy()

    @cached_property
    def _constant_sensitivity(self) -> pd.DataFrame:
        from bayes_scot.results import CONSTANT_COLUMNS, constant_sensitivity

        return self._by_family(constant_sensitivity, CONSTANT_COLUMNS,
                               lambda fit: fit.idata is not None and bool(fit.fixed_scales))

    def _by_family(self, table: Callable[[PriorFit], pd.DataFrame], columns: Sequence[str],
                   applies: Callable[[PriorFit], bool]) -> pd.DataFrame:
        """Stack one table of every family's reference fit, with a ``family`` column."""
        frames = []
        for family in self.families:
            try:
                fit = self.fit(family)
            except KeyError:
                continue
            if applies(fit):
                frame = table(fit)
                frame.insert(0, "family", family)
                frames.append(frame)
        if not frames:
            return pd.DataFrame(columns=["family", *columns])
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def _power_scaling(self) -> pd.DataFrame:
        from bayes_scot.results import PSENS_COLUMNS

        return self._by_family(power_scaling_sensitivity, PSENS_COLUMNS,
                               lambda fit: fit.idata is not None and bool(fit.effect_priors))

    @property
    def assumptions(self) -> tuple[str, ...]:
        """Every assumption the results rest on, each prefixed with where it comes from.

        The specification's (per trial and per family), then each family's: the builder's
        own list when it keeps one (the evidence it used and the approximations it
        made), else the assumptions recorded in the entries of the family's trials. Each
        entry's assumption is stated once: a builder's own list already holds those of
        the entries it used (its ``evidence_log``), so no other family repeats them.
        """
        stated = list(self.spec.assumptions)
        covered = {pair for family in self.families
                   for pair in _entries_stated_by(self.builders.get(family))}
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
                    if getattr(e, "assumption", "") and (name, e.id) not in covered:
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
            ``trial`` column. For one family, the populations its model read (a family
            whose ``population`` is ``"all"`` reads baselines from every population).
        """
        names = list(self.trials)
        if family is not None:
            try:
                names = list(self.spec.family(family).trials)
            except KeyError:
                if family not in self.families:
                    raise KeyError(f"no {family!r} family; families: "
                                   f"{', '.join(self.families)}") from None
                names = []
        view = getattr(self.builders.get(family or ""), "trial", None)
        frames = []
        for name in names:
            trial = self.trials.get(name)
            if isinstance(view, Trial) and trial is not None and view.name == trial.name:
                trial = view
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
        fit = self.fit(family, prior)  # an unknown family or prior raises KeyError
        if fit.idata is None:
            return pd.DataFrame()
        idata = fit.idata
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

        if not isinstance(out_dir, str | os.PathLike):
            raise TypeError(f"out_dir must be a folder path (str or pathlib.Path), not "
                            f"{type(out_dir).__name__}")
        if not isinstance(out_dir, str) and not isinstance(os.fspath(out_dir), str):
            raise TypeError("out_dir must be a folder path (str or pathlib.Path), not bytes")
        if isinstance(out_dir, str) and not out_dir.strip():
            raise ValueError("out_dir must name a folder, not an empty string")
        if not isinstance(figures, bool):
            raise TypeError(f"figures must be True or False, not {type(figures).__name__}")
        return write_report(self, out_dir, figures=figures)

    def __repr__(self) -> str:
        flagged = int(self._table["flagged"].sum()) if len(self._table) else 0
        return (
            f"<Reanalysis {self.spec.name!r}: families {', '.join(self.families) or 'none'}; "
            f"{len(self.priors)} priors; {len(self._table)} rows, {flagged} flagged; "
            f"seed {self.spec.seed}>"
        )

    def _repr_html_(self) -> str:
        from bayes_scot.report.render import summary_html

        return summary_html(self)
