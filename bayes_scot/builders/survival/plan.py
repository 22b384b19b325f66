"""The evidence plan of the illness-death model: which entry enters as which term.

How each kind of evidence enters, and why no patient counts twice, is in
:mod:`bayes_scot.likelihood.survival`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from bayes_scot.builders.base import EvidenceUse
from bayes_scot.builders.survival.graph import _aggregation, _start_at_zero
from bayes_scot.builders.survival.options import (
    _EFS,
    _OS,
    _TRD,
    DEFAULT_BOUNDARIES,
    SurvivalOptions,
)
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import (
    ALL_POPULATIONS,
    DigitisedCurve,
    Entry,
    LandmarkEvents,
    Proportion,
    ReportedRatio,
    SurvivalEstimate,
    Trial,
)
from bayes_scot.likelihood import survival as lik
from bayes_scot.stats.kaplan_meier import event_interval

__all__ = [
    "EvidencePlanner",
    "select_trials",
]


def _pooled_survival(trial: Trial) -> list[tuple[float, float]]:
    """Pooled (both arms) EFS points ``(t, S(t))`` of a trial, or OS points without EFS."""
    points: dict[str, dict[float, float]] = {_EFS: {}, _OS: {}}
    for e in trial.entries:
        if e.endpoint not in points:
            continue
        if isinstance(e, LandmarkEvents):
            points[e.endpoint][float(e.time_months)] = 1.0 - sum(e.events.values()) / sum(
                e.n.values()
            )
        elif isinstance(e, SurvivalEstimate):
            points[e.endpoint][float(e.time_months)] = float(np.mean(list(e.survival.values())))
    chosen = points[_EFS] or points[_OS]
    return sorted(chosen.items())


@dataclass
class _Term:
    """One likelihood term of one trial: what it reads, and the data it holds."""

    kind: str
    trial: int
    entries: tuple[str, ...]
    data: dict[str, np.ndarray]
    times: tuple[float, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def endpoints(self) -> frozenset[str]:
        """Endpoints whose evidence the term holds: EFS, OS or both.

        State counts (landmark or interval) and the timing of treatment-related deaths
        describe both; a single endpoint's counts, survival estimates, hazard ratio or
        reconstructed patients describe that endpoint only.
        """
        if "endpoints" in self.extra:
            return frozenset(self.extra["endpoints"])
        endpoint = self.extra.get("endpoint")
        return frozenset({endpoint}) if endpoint in (_EFS, _OS) else frozenset({_EFS, _OS})


_Series = dict[float, dict[str, LandmarkEvents]]
"""Landmark counts of one trial by time and endpoint, from :func:`_landmark_series`."""


def _landmark_series(
    entries: Iterable[Entry], arms: Sequence[str]
) -> dict[float, dict[str, LandmarkEvents]]:
    series: dict[float, dict[str, LandmarkEvents]] = defaultdict(dict)
    for e in entries:
        if (
            isinstance(e, LandmarkEvents)
            and e.endpoint in (_EFS, _OS)
            and all(a in e.events for a in arms)
        ):
            series[float(e.time_months)][e.endpoint] = e
    return dict(sorted(series.items()))


def _states(efs: LandmarkEvents, os_: LandmarkEvents, arms: Sequence[str]) -> np.ndarray:
    rows = []
    for arm in arms:
        n = efs.n[arm]
        if os_.n[arm] != n:
            raise EvidenceError(
                f"EFS and OS counts by {efs.time_months:g} months refer to different n "
                f"({n:g} vs {os_.n[arm]:g}) in arm {arm!r}",
                entry=os_.id,
                field=f"n.{arm}",
            )
        d_efs, d_os = efs.events[arm], os_.events[arm]
        if d_os > d_efs:
            raise EvidenceError(
                f"deaths ({d_os:g}) exceed EFS events ({d_efs:g}) in arm {arm!r}: every "
                "death is an EFS event",
                entry=os_.id,
                field=f"events.{arm}",
            )
        rows.append([n - d_efs, d_efs - d_os, d_os])
    return np.asarray(rows, dtype=float)


def _effective_size(e: SurvivalEstimate, arm: str, n: float | None) -> tuple[float, str]:
    """Return one arm's effective sample size and the rule that gave it.

    See :func:`bayes_scot.likelihood.survival.effective_sample_size`.
    """
    return lik.effective_sample_size(
        e.survival[arm],
        lower=None if e.lower is None else e.lower[arm],
        upper=None if e.upper is None else e.upper[arm],
        level=e.level,
        n_risk=None if e.n_risk is None else e.n_risk[arm],
        n=n,
    )


def _log_ratio_se(r: ReportedRatio) -> float:
    """Return the standard error of a reported ratio's log, from its CI or else its p-value.

    See :func:`bayes_scot.stats.conversions.se_from_ci` and
    :func:`~bayes_scot.stats.conversions.se_from_p`.
    """
    from bayes_scot.stats.conversions import se_from_ci, se_from_p

    if r.lower is not None and r.upper is not None:
        return float(se_from_ci(math.log(r.lower), math.log(r.upper), level=r.level))
    return float(se_from_p(math.log(r.estimate), float(cast(float, r.p_value))))


def _observed_survival(
    group: Mapping[str, SurvivalEstimate], arms: Sequence[str], n: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return the observed survival of one time's estimates, as the likelihood reads it.

    Returns ``(S_EFS, S_OS, NaN)`` per arm (NaN where not reported), the effective sample
    sizes (the smaller of the endpoints') and the rules that gave them.
    """
    observed = np.zeros((2, 3))
    n_eff = np.zeros(2)
    rules = []
    for i, arm in enumerate(arms):
        sizes = []
        for e in group.values():
            size, rule = _effective_size(e, arm, (e.n or {}).get(arm, n[i]))
            sizes.append(size)
            rules.append(rule)
        n_eff[i] = min(sizes)
        # An endpoint the group does not report takes the other's value: the likelihood
        # of a one-endpoint group reads only its own column (``_aggregation``), and a
        # data container cannot hold NaN.
        s_efs = group[_EFS].survival[arm] if _EFS in group else group[_OS].survival[arm]
        s_os = group[_OS].survival[arm] if _OS in group else s_efs
        observed[i] = [s_efs, s_os, np.nan]
    return observed, n_eff, rules


def _log_variance(group: Mapping[str, SurvivalEstimate], arms: Sequence[str],
                  n: np.ndarray) -> dict[str, np.ndarray]:
    r"""Return :math:`\operatorname{Var}(\log \hat S)` of each endpoint's estimate, per arm.

    The binomial variance with the estimate's effective sample size
    (:func:`bayes_scot.likelihood.survival.effective_sample_size`),
    :math:`(1 - \hat S) / (n_{eff} \hat S)`; Greenwood's (and Peto's) variance of the
    log of a Kaplan-Meier estimate grows over time by what each interval adds.
    """
    out = {}
    for endpoint, e in group.items():
        values = []
        for i, arm in enumerate(arms):
            size, _ = _effective_size(e, arm, (e.n or {}).get(arm, n[i]))
            s = min(max(float(e.survival[arm]), 1e-9), 1.0)
            values.append((1.0 - s) / (size * s))
        out[endpoint] = np.asarray(values)
    return out


def _observed_states(group: Mapping[str, SurvivalEstimate], arms: Sequence[str]) -> np.ndarray:
    """State distribution (arm, 3) that a group's estimates give, for the next group.

    With both endpoints: (S_EFS, S_OS - S_EFS, 1 - S_OS). With EFS only: (S_EFS,
    1 - S_EFS, 0), exact for a later EFS estimate, which no split of the rest changes.
    """
    rows = []
    for arm in arms:
        s_efs = float(group[_EFS].survival[arm])
        s_os = float(group[_OS].survival[arm]) if _OS in group else 1.0
        rows.append([s_efs, max(s_os - s_efs, 0.0), 1.0 - max(s_os, s_efs)])
    return np.asarray(rows)


def _conditional_size(
    earlier: Mapping[str, SurvivalEstimate], later: Mapping[str, SurvivalEstimate],
    arms: Sequence[str], n: np.ndarray, n_eff: np.ndarray,
) -> np.ndarray:
    r"""Effective size of a later estimate's term started from an earlier estimate's states.

    The term is a multinomial of the states at :math:`t_2` with probabilities
    :math:`\hat\pi(t_1) P(t_1 \to t_2)` (the earlier estimates' states carried on by the
    model). For one endpoint with :math:`c = S_2 / S_1`, a binomial of :math:`S_2` with
    size :math:`m` then has the variance of :math:`\hat S_2` given :math:`\hat S_1`,
    :math:`S_1^2 c (1 - c) / r`, when

    .. math:: m = \frac{1 - S_2}{S_2\, g}, \qquad
        g = \operatorname{Var}\log \hat S_2 - \operatorname{Var}\log \hat S_1
        = \frac{1 - c}{r\, c},

    :math:`r` being the effective number at risk at :math:`t_1` that the increase of the
    variance implies (the conditional binomial of Parmar et al. 1998 and of the
    one-endpoint model). :math:`r` is capped at the earlier survivors of the arm's
    :math:`n`; with no usable increase (:math:`g \le 0`) the later estimate's own
    effective size is kept, which understates what the interval adds (never overstates
    it). Of two endpoints the smaller size is used.
    """
    v1, v2 = _log_variance(earlier, arms, n), _log_variance(later, arms, n)
    sizes = []
    for endpoint in later:
        s1 = np.array([float(earlier[endpoint].survival[a]) for a in arms])
        s2 = np.array([float(later[endpoint].survival[a]) for a in arms])
        s2c = np.clip(s2, 1e-9, 1.0)
        gain = v2[endpoint] - v1[endpoint]
        with np.errstate(divide="ignore", invalid="ignore"):
            size = np.where(gain > 0, (1.0 - s2c) / (s2c * gain), n_eff)
            drop = np.clip(s1 - s2, 0.0, None)
            cap = np.where(drop > 0, n * s1 * (1.0 - s2c) / drop, np.inf)  # r <= n S_1
        sizes.append(np.maximum(np.minimum(size, cap), n_eff))
    return np.min(sizes, axis=0)


def _log_use(
    uses: list[EvidenceUse], trial: Trial, entry: Entry | str, used: bool, term: str, note: str
) -> None:
    entry_id = entry if isinstance(entry, str) else entry.id
    uses.append(EvidenceUse(trial=trial.name, entry=entry_id, used=used, term=term,
                            note=note))


def select_trials(
    trials: Sequence[Trial], population: str, uses: list[EvidenceUse]
) -> tuple[Trial, ...]:
    """Return each trial's view of ``population``.

    Later trials without survival evidence in it are left out (and logged in ``uses``).

    Raises
    ------
    EvidenceError
        When a trial was loaded for another population or has no such population.
    """
    selected = []
    for i, trial in enumerate(trials):
        if trial.population not in (ALL_POPULATIONS, population):
            raise EvidenceError(
                f"the trial was loaded for population {trial.population!r} but the "
                f"model is for {population!r}; load it with population='all' or "
                f"{population!r}",
                file=trial.path,
                field="population",
            )
        if population not in trial.populations:
            raise EvidenceError(
                f"trial {trial.name!r} has no population {population!r}",
                file=trial.path,
                field="population",
            )
        view = trial.with_population(population)
        has_survival = any(
            isinstance(e, LandmarkEvents | SurvivalEstimate | ReportedRatio | DigitisedCurve)
            and e.endpoint in (_EFS, _OS)
            for e in view.entries
        )
        if i > 0 and not has_survival:
            for e in view.entries:
                _log_use(uses, trial, e, False, "", "the trial reports no survival evidence "
                         "for this population; it is left out of the model")
            continue
        selected.append(view)
    return tuple(selected)


class EvidencePlanner:
    """Plan the likelihood terms of the trials' evidence, one planner per evidence kind.

    Parameters
    ----------
    options : SurvivalOptions
        The model's options, with the follow-up grid set.
    uses : list of EvidenceUse
        The evidence log, appended to in the order the entries are judged.
    """

    def __init__(self, options: SurvivalOptions, uses: list[EvidenceUse]) -> None:
        self.options = options
        self.uses = uses
        self.boundaries = options.interval_boundaries_months or DEFAULT_BOUNDARIES
        self.horizon = float(self.boundaries[-1])

    def _log(self, trial: Trial, entry: Entry | str, used: bool, term: str, note: str) -> None:
        _log_use(self.uses, trial, entry, used, term, note)

    def plan(self, trials: Sequence[Trial]) -> list[_Term]:
        """Return the likelihood terms of all trials, in the order that numbers them."""
        terms: list[_Term] = []
        for s, trial in enumerate(trials):
            terms.extend(self.plan_trial(s, trial))
        return terms

    def plan_trial(self, s: int, trial: Trial) -> list[_Term]:
        """Return the terms of trial number ``s``; every entry is logged once."""
        arms = (trial.experimental, trial.control)
        n = np.array([trial.n(a) for a in arms], dtype=float)
        handled: set[str] = set()
        series = _landmark_series(trial.entries, arms)
        terms, previous = self._plan_landmarks(s, trial, arms, series, handled)
        terms += self._plan_estimates(s, trial, arms, n, series, previous, handled)
        terms += self._plan_deaths(s, trial, arms, series)
        terms += self._plan_ratios(s, trial, n, series,
                                   held={ep for t in terms for ep in t.endpoints})
        terms.extend(self._plan_curves(s, trial, arms, has_other=bool(terms)))
        logged = {u.entry for u in self.uses if u.trial == trial.name}
        for e in trial.entries:
            if e.id not in logged and e.id not in handled:
                self._log(trial, e, False, "", f"{e.kind} of {e.endpoint}: not survival "
                          "evidence")
        return terms

    def _plan_landmarks(
        self,
        s: int,
        trial: Trial,
        arms: Sequence[str],
        series: _Series,
        handled: set[str],
    ) -> tuple[list[_Term], tuple[float, str, np.ndarray] | None]:
        """Plan landmark counts: the first alone, each later one given the one before.

        Returns the terms and the last landmark's ``(time, form, values)`` (or None).
        """
        terms: list[_Term] = []
        previous: tuple[float, str, np.ndarray] | None = None  # (time, form, values)
        previous_ids: tuple[str, ...] = ()
        for time, group in series.items():
            form = "states" if len(group) == 2 else next(iter(group))
            ids = tuple(e.id for e in group.values())
            handled.update(ids)
            if form == "states":
                values = _states(group[_EFS], group[_OS], arms)
            else:
                entry = group[form]
                values = np.array([[entry.n[a], entry.events[a]] for a in arms], dtype=float)
            if previous is None:
                if form == "states":
                    terms.append(_Term("landmark_states", s, ids, {"counts": values}, (time,)))
                    note = ("EFS and OS counts of the same patients: one multinomial over "
                            "(event-free, alive after organ failure, dead); assumes no "
                            "censoring before the landmark")
                else:
                    terms.append(_Term("landmark_events", s, ids, {"counts": values}, (time,),
                                       {"endpoint": form}))
                    note = "binomial among n; assumes no censoring before the landmark"
                for e in group.values():
                    self._log(trial, e, True, terms[-1].kind, note)
            else:
                t0, form0, values0 = previous
                term = self._conditional(s, form0, values0, form, values, (t0, time), ids)
                if term is None:
                    # A sequence the model cannot condition exactly: keep the later,
                    # cumulative landmark alone so that no patient counts twice.
                    terms = [x for x in terms if not set(x.entries) & set(previous_ids)]
                    for e_id in previous_ids:
                        self._log(trial, e_id, False, "", f"superseded by the cumulative "
                                  f"counts by {time:g} months of the same patients")
                    kind = "landmark_states" if form == "states" else "landmark_events"
                    term = _Term(kind, s, ids, {"counts": values}, (time,), {"endpoint": form})
                    note = "cumulative counts; the earlier landmark of the same patients "
                    note += "was left out"
                else:
                    note = (f"only what happened between {t0:g} and {time:g} months is new: "
                            "conditional on the earlier landmark of the same patients")
                    if np.array_equal(values, values0):
                        note += " (no new events: evidence of low hazards in that interval)"
                terms.append(term)
                for e in group.values():
                    self._log(trial, e, True, term.kind, note)
            previous = (time, form, values)
            previous_ids = ids
        return terms, previous

    def _plan_estimates(
        self,
        s: int,
        trial: Trial,
        arms: Sequence[str],
        n: np.ndarray,
        series: _Series,
        previous: tuple[float, str, np.ndarray] | None,
        handled: set[str],
    ) -> list[_Term]:
        """Plan the Kaplan-Meier (or crude) survival estimates after the landmark counts."""
        last_time = previous[0] if previous else 0.0
        start = (
            previous[2] / n[:, None] if previous is not None and previous[1] == "states"
            else None
        )
        km = self._estimates_by_time(trial, arms, series, last_time)
        start_time = last_time if previous is not None else 0.0
        if previous is not None and start is None:
            # After an EFS-only or OS-only landmark the state split is unknown.
            for group in km.values():
                for e in group.values():
                    self._log(trial, e, False, "", "follows counts of a single endpoint; "
                              "the state split it would be conditioned on is unknown")
            km = {}
        terms = []
        earlier: Mapping[str, SurvivalEstimate] | None = None  # the last group used
        for time, reported in sorted(km.items()):
            # Each later group is conditioned on the last group used. After EFS and OS
            # estimates the state split is known; after EFS alone only a later EFS
            # estimate can be conditioned (no split changes it); after OS alone none can.
            allowed = ({_EFS, _OS} if earlier is None or set(earlier) == {_EFS, _OS}
                       else {_EFS} & set(earlier))
            group = {k: e for k, e in reported.items() if k in allowed}
            for k, e in reported.items():
                if k not in allowed:
                    self._log(trial, e, False, "", f"follows estimates at {start_time:g} "
                              "months of the same patients that do not give the state split "
                              "it would be conditioned on; predicted in reproduce()")
            if not group:
                continue
            observed, n_eff, rules = _observed_survival(group, arms, n)
            endpoints = tuple(sorted(group))
            if earlier is not None:
                start = _observed_states(earlier, arms)
                n_eff = _conditional_size(earlier, group, arms, n, n_eff)
            terms.append(
                _Term(
                    "survival_estimates", s, tuple(e.id for e in group.values()),
                    {"observed": observed[:, :2], "effective_n": n_eff,
                     "start": (start if start is not None else _start_at_zero(len(arms)))},
                    (start_time, time),
                    {"endpoints": endpoints, "aggregation": _aggregation(endpoints)},
                )
            )
            if earlier is not None:
                cond = (f"conditional on the estimates at {start_time:g} months (the same "
                        "patients; effective size from the increase of the variance); ")
            elif start is not None:
                cond = f"conditional on the state counts at {start_time:g} months; "
            else:
                cond = ""
            for e in group.values():
                handled.add(e.id)
                self._log(trial, e, True, "survival_estimates",
                          f"{cond}binomial/multinomial with effective sample size from "
                          f"{sorted(set(rules))[0]}")
            earlier, start_time = group, time
        return terms

    def _estimates_by_time(
        self, trial: Trial, arms: Sequence[str], series: _Series, last_time: float
    ) -> dict[float, dict[str, SurvivalEstimate]]:
        """Group the EFS and OS estimates of both arms after the landmark counts by time.

        Estimates of one arm, or of patients the landmark counts already hold, are
        logged as unused.
        """
        km: dict[float, dict[str, SurvivalEstimate]] = defaultdict(dict)
        for e in trial.entries:
            if isinstance(e, SurvivalEstimate) and e.endpoint in (_EFS, _OS):
                if not all(a in e.survival for a in arms):
                    self._log(trial, e, False, "", "does not report both arms")
                    continue
                if float(e.time_months) in series or e.time_months < last_time:
                    self._log(trial, e, False, "", "the same patients are already in the "
                              f"landmark counts by {last_time:g} months")
                    continue
                km[float(e.time_months)][e.endpoint] = e
        return km

    def _plan_deaths(
        self, s: int, trial: Trial, arms: Sequence[str], series: _Series
    ) -> list[_Term]:
        """Plan treatment-related deaths: only their timing adds information."""
        death_landmarks = [
            (t, g) for t, g in series.items() if _OS in g
        ]
        terms = []
        timing_used = False
        trd_entries = sorted(
            (e for e in trial.entries if e.endpoint == _TRD),
            key=lambda e: np.inf if e.time is None else e.time,
        )
        for e in trd_entries:
            if timing_used:
                self._log(trial, e, False, "", "the same treatment-related deaths as an "
                          "earlier report, which carries their timing")
                continue
            count = getattr(e, "events", None) or getattr(e, "count", None)
            time = e.time
            if not isinstance(e, LandmarkEvents | Proportion) or count is None or time is None:
                self._log(trial, e, False, "", "a treatment-related death is already among "
                          "the deaths; without a time it adds no information")
                continue
            later = [(t, g) for t, g in death_landmarks if t > time]
            if not later:
                self._log(trial, e, False, "", "a subset of the deaths already counted by "
                          "the same landmark; adds no information")
                continue
            t_death, g = later[0]
            deaths = np.array([g[_OS].events[a] for a in arms], dtype=float)
            at_least = np.array([count.get(a, 0) for a in arms], dtype=float)
            if np.any(at_least > deaths):
                raise EvidenceError(
                    f"more treatment-related deaths by {time:g} months than deaths by "
                    f"{t_death:g} months",
                    entry=e.id,
                    field="events",
                )
            timing_used = True
            terms.append(_Term("deaths_by_time", s, (e.id,),
                               {"deaths": deaths, "at_least": at_least}, (time, t_death)))
            self._log(trial, e, True, "deaths_by_time",
                      f"timing only: at least this many of the deaths by {t_death:g} months "
                      f"happened by {time:g} months; never counted as extra deaths")
        return terms

    def _plan_ratios(self, s: int, trial: Trial, n: np.ndarray, series: _Series, *,
                     held: set[str]) -> list[_Term]:
        """Plan the reported hazard ratios of endpoints that no landmark counts hold.

        ``held`` are the endpoints the trial's other terms already speak to. An OS ratio
        used beside EFS evidence shares the deaths that were first events with it; the
        evidence log says that they then count twice (an approximation: no published
        number splits them).
        """
        counted = {g_end for g in series.values() for g_end in g}
        ratios: dict[str, list[ReportedRatio]] = defaultdict(list)
        for e in trial.entries:
            if isinstance(e, ReportedRatio):
                if e.measure != "HR" or e.endpoint not in (_EFS, _OS):
                    self._log(trial, e, False, "", "only hazard ratios of EFS or OS are used")
                elif self.options.reported_ratios == "none":
                    self._log(trial, e, False, "", "reported ratios left out by the options")
                elif e.endpoint in counted:
                    self._log(trial, e, False, "", "the trial's landmark counts of this "
                              "endpoint already hold these patients; predicted in reproduce()")
                else:
                    ratios[e.endpoint].append(e)
        terms = []
        chosen_endpoint = _EFS if _EFS in ratios else (_OS if _OS in ratios else None)
        for endpoint, items in ratios.items():
            items.sort(key=lambda r: (r.window_months or (0.0, np.inf))[1])
            keep = items[-1] if endpoint == chosen_endpoint else None
            for r in items:
                if r is keep:
                    continue
                why = ("overlaps the longer-follow-up estimate of the same patients"
                       if endpoint == chosen_endpoint else
                       "EFS and OS ratios describe the same patients (every death is an EFS "
                       "event) and their estimates' correlation is not reported; the EFS "
                       "one is used")
                self._log(trial, r, False, "", why)
            if keep is not None:
                terms.append(self._ratio_term(s, keep, trial, n))
                overlap = ("; the deaths that were first events are also in the trial's EFS "
                           "evidence and count twice (an approximation)"
                           if endpoint == _OS and _EFS in held else "")
                self._log(trial, keep, True, "reported_ratio",
                          "normal on the log scale; model counterpart: event-weighted mean "
                          "of the interval log hazard ratios over its window" + overlap)
        return terms

    def _plan_curves(
        self, s: int, trial: Trial, arms: Sequence[str], *, has_other: bool
    ) -> list[_Term]:
        """Pseudo patients from digitised curves, when nothing else holds those patients."""
        curves = [e for e in trial.entries
                  if isinstance(e, DigitisedCurve) and e.endpoint in (_EFS, _OS)]
        if not curves:
            return []
        if has_other:
            for e in curves:
                self._log(trial, e, False, "", "the trial's summaries already hold these "
                          "patients; a curve could only replace them")
            return []
        endpoint = _EFS if any(e.endpoint == _EFS for e in curves) else _OS
        from bayes_scot.stats.reconstruction import reconstruct_entry

        edges = np.asarray(self.options.interval_boundaries_months)
        terms = []
        for e in curves:
            if e.endpoint != endpoint or e.arm not in arms:
                self._log(trial, e, False, "", "EFS and OS curves show the same patients; "
                          "the EFS curves are used")
                continue
            ipd = reconstruct_entry(e).ipd
            times = ipd["time"].to_numpy(dtype=float)
            k = event_interval(edges, times)
            terms.append(_Term(
                "pseudo_patients", s, (e.id,),
                {"events": ipd["event"].to_numpy(dtype=float),
                 "interval": k.astype(np.int64), "offset": times - edges[k]},
                (), {"endpoint": endpoint, "arm": arms.index(e.arm)},
            ))  # fmt: skip
            self._log(trial, e, True, "pseudo_patients",
                      f"{len(ipd)} reconstructed patients (Guyot et al. 2012), exact "
                      "piecewise-exponential likelihood")
        return terms

    def _conditional(self, s, form0, values0, form, values, times, ids) -> _Term | None:
        if form0 == "states" and form == "states":
            return _Term("interval_states", s, ids, {"start": values0, "end": values}, times)
        if form == _EFS and form0 in ("states", _EFS):
            at_risk = values0[:, 0] if form0 == "states" else values0[:, 0] - values0[:, 1]
            before = values[:, 0] - at_risk  # EFS events by the earlier landmark
            new = values[:, 1] - before
            if np.any(new < 0):
                raise EvidenceError("cumulative EFS events fall between landmarks",
                                    entry=ids[0], field="events")
            return _Term("interval_events", s, ids,
                         {"at_risk": at_risk, "events": new}, times, {"endpoint": _EFS})
        if form == _OS and form0 == _OS:
            at_risk = values0[:, 0] - values0[:, 1]
            new = values[:, 1] - values0[:, 1]
            return _Term("interval_events", s, ids,
                         {"at_risk": at_risk, "events": new}, times, {"endpoint": _OS})
        return None

    def _ratio_term(self, s: int, r: ReportedRatio, trial: Trial, n: np.ndarray) -> _Term:
        end = min((r.window_months or (0.0, self.horizon))[1], self.horizon)
        if (r.window_months or (0.0, 0.0))[1] > self.horizon:
            self._log(trial, r, True, "reported_ratio",
                      f"window truncated at the model's horizon of {self.horizon:g} months")
        log_hr = math.log(r.estimate)
        se = _log_ratio_se(r)
        cuts = np.unique(np.concatenate(
            [[0.0], [b for b in self.boundaries if 0 < b < end], [end]]
        ))
        return _Term("reported_ratio", s, (r.id,),
                     {"log_estimate": np.array(log_hr), "se": np.array(se), "n": n},
                     tuple(float(c) for c in cuts), {"endpoint": r.endpoint})
