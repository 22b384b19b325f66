r"""The evidence plan of the one-endpoint model: which entry enters as which term.

Evidence (one route per set of patients, in this order; the evidence log says which):

- landmark counts: the first binomial among ``n``, each later one binomial among those
  still event-free at the one before (assumes no censoring before the landmark);
- Kaplan-Meier estimates (after the last landmark): successive estimates of the same
  patients as conditional terms :math:`\hat S(t_j) / \hat S(t_{j-1})`, each binomial with
  the effective sample size implied by the increase of :math:`\mathrm{Var}\log\hat S`
  (from its confidence interval, numbers at risk (Peto) or ``n``);
- digitised curves with risk tables, when no summary holds those patients: the patients
  reconstructed by the Guyot et al. (2012) algorithm enter the exact piecewise-exponential
  likelihood through their events and exposure per interval and arm;
- a reported hazard ratio, when nothing else holds those patients: normal on the log
  scale around the model's event-weighted mean log hazard ratio over its window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bayes_scot.builders.base import EvidenceUse
from bayes_scot.builders.survival.options import SurvivalOptions
from bayes_scot.builders.survival.plan import _effective_size, _log_ratio_se, _log_use
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import (
    DigitisedCurve,
    Entry,
    LandmarkEvents,
    ReportedRatio,
    SurvivalEstimate,
    Trial,
)
from bayes_scot.stats.kaplan_meier import event_interval, event_shares

__all__ = [
    "OneEndpointPlanner",
    "baseline_mean",
    "default_times",
    "event_weights",
    "interval_edges",
    "survival_endpoints",
]

_SURVIVAL_KINDS = (LandmarkEvents, SurvivalEstimate, ReportedRatio, DigitisedCurve)

Term = tuple[str, tuple[str, ...], dict[str, np.ndarray], dict[str, Any]]
"""One likelihood term: ``(kind, entry ids, data, extra)``."""


def survival_endpoints(trial: Trial) -> tuple[str, ...]:
    """Time-to-event endpoints with survival evidence in the trial, in file order.

    Parameters
    ----------
    trial : Trial
        A trial (any population view).

    Returns
    -------
    tuple of str
        Endpoint names whose kind is ``time_to_event`` (built-in or declared in the
        file's ``[endpoints]`` table) and that have landmark counts, survival estimates,
        hazard ratios or digitised curves.
    """
    names: dict[str, None] = {}
    for e in trial.entries:
        if isinstance(e, _SURVIVAL_KINDS) and trial.endpoint(e.endpoint).kind == "time_to_event":
            names[e.endpoint] = None
    return tuple(names)


def _nice_step(span: float, most: int) -> float:
    """Return the smallest of 1, 3, 6, 12, 24, 60 months giving at most ``most`` steps."""
    for step in (1.0, 3.0, 6.0, 12.0, 24.0, 60.0):
        if span / step <= most:
            return step
    return span / most


def default_times(last: float) -> tuple[float, ...]:
    """Estimand times from a trial's follow-up: round times up to its last datum.

    Parameters
    ----------
    last : float
        The last time (months) at which the trial reports data.

    Returns
    -------
    tuple of float
        Multiples of a round step (1, 3, 6, 12, 24 or 60 months; at most 6 of them) up to
        ``last``; ``(last,)`` when no multiple fits.
    """
    step = _nice_step(last, 6)
    times = tuple(float(t) for t in np.arange(step, last + 1e-9, step))
    return times or (float(last),)


@dataclass
class _Plan:
    """The likelihood terms of one endpoint and what the grid is built from."""

    terms: list[Term] = field(default_factory=list)
    times: set[float] = field(default_factory=set)  # times the evidence speaks of
    pooled: list[tuple[float, float]] = field(default_factory=list)  # (t, pooled S(t))
    last: float = 0.0
    ipd: list[pd.DataFrame] = field(default_factory=list)  # reconstructed, per arm


class OneEndpointPlanner:
    """Plan the likelihood terms of one endpoint of one trial, one planner per kind.

    Parameters
    ----------
    target : Trial
        The trial's view of the analysed population.
    endpoint : str
        The endpoint analysed.
    uses : list of EvidenceUse
        The evidence log, appended to in the order the entries are judged.
    """

    def __init__(self, target: Trial, endpoint: str, uses: list[EvidenceUse]) -> None:
        self.target = target
        self.endpoint = endpoint
        self.uses = uses
        self.arms = (target.experimental, target.control)
        self.n = np.array([target.n(a) for a in self.arms], dtype=float)

    def _log(self, entry: Entry | str, used: bool, term: str, note: str) -> None:
        _log_use(self.uses, self.target, entry, used, term, note)

    def _entries(self, kind: type) -> list[Any]:
        out = []
        for e in self.target.entries:
            if not isinstance(e, kind) or e.endpoint != self.endpoint:
                continue
            arms = e.arm if isinstance(e, DigitisedCurve) else e.arms
            if isinstance(e, DigitisedCurve | ReportedRatio) or all(
                a in arms for a in self.arms
            ):
                out.append(e)
            else:
                self._log(e, False, "", "does not report both arms")
        return out

    def plan(self) -> _Plan:
        """Return the terms of the endpoint's evidence; every entry is logged once."""
        plan = _Plan()
        self._plan_landmarks(plan)
        self._plan_estimates(plan)
        if not plan.terms:
            self._plan_curves(plan)
        self._plan_ratios(plan)
        logged = {u.entry for u in self.uses}
        for e in self.target.entries:
            if e.id not in logged:
                why = (f"{e.kind} of {e.endpoint}: another endpoint"
                       if e.endpoint != self.endpoint else f"{e.kind}: not survival evidence")
                self._log(e, False, "", why)
        return plan

    def _plan_landmarks(self, plan: _Plan) -> None:
        previous: tuple[float, np.ndarray] | None = None
        for e in sorted(self._entries(LandmarkEvents), key=lambda x: x.time_months):
            t = float(e.time_months)
            events = np.array([e.events[a] for a in self.arms], dtype=float)
            n = np.array([e.n[a] for a in self.arms], dtype=float)
            if previous is None:
                plan.terms.append(("landmark", (e.id,), {"events": events, "n": n},
                                   {"times": (0.0, t)}))
                note = "binomial among n; assumes no censoring before the landmark"
            else:
                t0, (events0, n0) = previous[0], previous[1]
                if not np.array_equal(n, n0) or np.any(events < events0):
                    raise EvidenceError("cumulative counts of the same patients must share n "
                                        "and never fall", entry=e.id, field="events")
                plan.terms.append(("landmark", (e.id,), {"events": events - events0,
                                                         "n": n0 - events0},
                                   {"times": (t0, t)}))
                note = (f"binomial among those event-free at {t0:g} months: only what "
                        f"happened between {t0:g} and {t:g} months is new")
            self._log(e, True, "landmark_events", note)
            previous = (t, np.stack([events, n]))
            plan.times.add(t)
            plan.pooled.append((t, 1.0 - events.sum() / n.sum()))
            plan.last = max(plan.last, t)

    def _plan_estimates(self, plan: _Plan) -> None:
        start = plan.last
        entries = sorted(self._entries(SurvivalEstimate), key=lambda x: x.time_months)
        used = []
        for e in entries:
            if e.time_months <= start:
                self._log(e, False, "", "the same patients are already in the landmark "
                          f"counts by {start:g} months; predicted in reproduce()")
            else:
                used.append(e)
        if not used:
            return
        # Var(log S) of each estimate, per arm; the landmark counts (if any) start it.
        s_prev = np.ones(2)
        v_prev = np.zeros(2)
        if plan.pooled and start > 0:
            total_events = sum(term[2]["events"] for term in plan.terms)
            s_prev = 1.0 - total_events / self.n
            v_prev = (1.0 - s_prev) / (self.n * s_prev)
        t_prev = start
        for e in used:
            t = float(e.time_months)
            s = np.array([e.survival[a] for a in self.arms], dtype=float)
            n_eff = np.empty(2)
            rules = set()
            for i, arm in enumerate(self.arms):
                n_eff[i], rule = _effective_size(e, arm, (e.n or {}).get(arm, self.n[i]))
                rules.add(rule)
            s_c = np.clip(s, 1e-9, 1.0)
            v = (1.0 - s_c) / (n_eff * s_c)
            cond = np.clip(s_c / s_prev, 1e-9, 1.0)
            gain = v - v_prev
            at_risk = n_eff * s_c  # about those followed to t, if the increase is unusable
            with np.errstate(divide="ignore", invalid="ignore"):
                size = np.where((cond < 1.0) & (gain > 0),
                                (1.0 - cond) / (cond * gain), at_risk)
            size = np.minimum(size, self.n)
            plan.terms.append(("estimate", (e.id,), {"conditional": cond, "effective_n": size},
                               {"times": (t_prev, t)}))
            note = ("binomial with effective sample size from " + sorted(rules)[0])
            if t_prev > 0:
                note = (f"conditional on survival to {t_prev:g} months (the earlier estimate "
                        f"of the same patients): {note}")
            self._log(e, True, "survival_estimates", note)
            s_prev, v_prev, t_prev = s_c, v, t
            plan.times.add(t)
            plan.pooled.append((t, float(np.mean(s))))
            plan.last = max(plan.last, t)

    def _plan_curves(self, plan: _Plan) -> None:
        from bayes_scot.stats.reconstruction import reconstruct_entry

        curves = {e.arm: e for e in self._entries(DigitisedCurve) if e.arm in self.arms}
        if set(curves) != set(self.arms):
            for e in curves.values():
                self._log(e, False, "", "a digitised curve of one arm only")
            return
        ipd = []
        for arm in self.arms:
            frame = reconstruct_entry(curves[arm]).ipd
            ipd.append(frame)
        plan.ipd = ipd
        times = np.concatenate([f["time"].to_numpy(dtype=float) for f in ipd])
        events = np.concatenate([f["event"].to_numpy(dtype=float) for f in ipd])
        plan.last = round(float(times.max()), 1)
        plan.terms.append(("patients", tuple(curves[a].id for a in self.arms), {}, {}))
        # The pooled crude hazard (events per month of follow-up), as survival at the end.
        rate = max(events.sum(), 1.0) / times.sum()
        plan.pooled.append((plan.last, math.exp(-rate * plan.last)))
        for arm in self.arms:
            self._log(curves[arm], True, "pseudo_patients",
                      f"{len(ipd[self.arms.index(arm)])} reconstructed patients (Guyot et al. "
                      "2012): exact piecewise-exponential likelihood by events and exposure "
                      "per interval")

    def _plan_ratios(self, plan: _Plan) -> None:
        ratios = list(self._entries(ReportedRatio))
        usable = [r for r in ratios if r.measure == "HR" and r.estimand == "cumulative"]
        for r in ratios:
            if r not in usable:
                self._log(r, False, "", "only cumulative hazard ratios are used")
        if not usable:
            return
        if plan.terms:
            for r in usable:
                self._log(r, False, "", "the trial's other summaries already hold these "
                          "patients; predicted in reproduce()")
            return
        usable.sort(key=lambda r: (r.window_months or (0.0, np.inf))[1])
        keep = usable[-1]
        for r in usable[:-1]:
            self._log(r, False, "", "overlaps the longer-follow-up estimate of the same "
                      "patients")
        log_hr = math.log(keep.estimate)
        se = _log_ratio_se(keep)
        end = (keep.window_months or (0.0, 0.0))[1]
        plan.terms.append(("ratio", (keep.id,), {"log_estimate": np.array(log_hr),
                                                 "se": np.array(se)}, {"end": end}))
        self._log(keep, True, "reported_ratio", "normal on the log scale; model counterpart: "
                  "the event-weighted mean log hazard ratio")
        if end > 0 and not plan.last:
            plan.last = end


def interval_edges(plan: _Plan, options: SurvivalOptions) -> np.ndarray:
    """Return the interval grid: the options', else one the evidence suggests.

    Reconstructed patients give up to six intervals of about equal numbers of events;
    summaries give their own times; a reported ratio alone gives one interval.
    """
    o = options
    if o.interval_boundaries_months is not None:
        return np.asarray(o.interval_boundaries_months, dtype=float)
    if plan.ipd:
        pooled = pd.concat(plan.ipd)
        event_times = pooled.loc[pooled["event"] > 0, "time"].to_numpy(dtype=float)
        # Six intervals holding about equal numbers of events (fewer for few events).
        parts = int(min(6, max(1, len(event_times) // 10)))
        cuts = np.round(np.quantile(event_times, np.arange(1, parts) / parts), 1)
        return np.unique(np.concatenate([[0.0], cuts[cuts < plan.last], [plan.last]]))
    if plan.times:
        return np.array([0.0, *sorted(plan.times)])
    return np.array([0.0, plan.last or 12.0])


def event_weights(plan: _Plan, edges: np.ndarray) -> np.ndarray:
    """Return the expected share of the trial's events per interval, pooled over arms."""
    if plan.ipd:
        pooled = pd.concat(plan.ipd)
        t = pooled.loc[pooled["event"] > 0, "time"].to_numpy(dtype=float)
        k = event_interval(edges, t)
        counts = np.bincount(k, minlength=len(edges) - 1).astype(float)
    else:
        return event_shares(edges, plan.pooled)
    if counts.sum() <= 0:
        counts = np.ones(len(edges) - 1)
    return counts / counts.sum()


def baseline_mean(plan: _Plan, horizon: float) -> float:
    """Prior mean of the control arm's log hazard per month: the pooled crude hazard."""
    if plan.pooled:
        t, s = plan.pooled[-1]
        return math.log(-math.log(min(max(s, 1e-3), 1.0 - 1e-3)) / t)
    return math.log(math.log(2.0) / horizon)  # median survival at the horizon

