r"""One time-to-event endpoint: a two-state piecewise-exponential model.

:class:`PiecewiseExponentialModel` is the survival model of a trial that reports one
time-to-event endpoint (overall survival, progression-free survival, time to arrest, any
endpoint a trial file declares with ``kind = "time_to_event"``). Every parameter can be
informed by such data, which is not true of the illness-death model of
:mod:`bayes_scot.builders.survival`: one endpoint cannot separate the transitions out of
the event-free state.

Model (interval :math:`k = 1..K`, control arm hazards :math:`h^{(0)}`, experimental arm
hazards :math:`h^{(1)}`, per month):

.. math::

    \log h^{(0)}_k &= m + s_0 z_0 + \sum_{l=2}^{k} \sigma_{rw} w_l
        && \text{(random walk across intervals)} \\
    \log h^{(1)}_k &= \log h^{(0)}_k + \beta_k, \qquad
        \beta_k = \mu + \delta_k \\
    \delta_k &= \tau \Big(u_k - \sum_l \omega_l u_l\Big), \quad u_l \sim N(0, 1),
        \quad \tau = s_\tau |v|,\ v \sim N(0, 1) \\
    \mu &\sim N(\mu_0, s^2)
        && \text{(the prior grid)}

The interval deviations :math:`\delta_k` sum to zero with weights :math:`\omega_k`, the
expected share of the trial's events in interval :math:`k` (from the evidence itself,
pooled over arms), so :math:`\mu = \sum_k \omega_k \beta_k` *is* the event-weighted
average log hazard ratio over follow-up: the quantity a Cox model estimates, the headline
``hazard_ratio_common`` estimand, and the parameter on which every named prior is stated.
:math:`\tau` (half-normal, scale ``effect_pooling_scale``) lets the effect vary over time
when the data say so; ``effect_structure = "common"`` removes it (proportional hazards).

The control arm's prior mean log hazard :math:`m` is the trial's own pooled crude hazard,
:math:`-\log \bar S(T) / T` at its last datum :math:`T` (pooled over arms); :math:`s_0`
(``baseline_log_hazard_sd``) and :math:`\sigma_{rw}` (``baseline_smoothing_sd``) are
options. Every value the data fix is a data container, so the prior grid reuses one
compilation.

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

import dataclasses
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from bayes_scot.builders._graph import running_sum
from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import (
    DigitisedCurve,
    Entry,
    LandmarkEvents,
    ReportedRatio,
    SurvivalEstimate,
    Trial,
)
from bayes_scot.likelihood import survival as lik
from bayes_scot.stats.estimands import EstimandDraws
from bayes_scot.stats.kaplan_meier import event_shares
from bayes_scot.stats.priors import EffectPrior

__all__ = ["PiecewiseExponentialModel", "default_times", "survival_endpoints"]

_REPRODUCE_COLUMNS = (
    "trial", "entry", "endpoint", "population", "arm", "time_months", "statistic",
    "published", "median", "lower", "upper", "outside", "used", "note",
)  # fmt: skip
_SURVIVAL_KINDS = (LandmarkEvents, SurvivalEstimate, ReportedRatio, DigitisedCurve)


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

    terms: list[tuple[str, tuple[str, ...], dict[str, np.ndarray], dict[str, Any]]] = field(
        default_factory=list
    )
    times: set[float] = field(default_factory=set)  # times the evidence speaks of
    pooled: list[tuple[float, float]] = field(default_factory=list)  # (t, pooled S(t))
    last: float = 0.0
    ipd: list[pd.DataFrame] = field(default_factory=list)  # reconstructed, per arm


class PiecewiseExponentialModel:
    """One time-to-event endpoint of one trial, two arms, piecewise-constant hazards.

    Parameters
    ----------
    trial : Trial
        The trial (one population view, or ``"all"``; ``options.population`` is used).
    options : SurvivalOptions, optional
        Shared with :class:`~bayes_scot.builders.survival.SurvivalModel`; ``endpoint``
        names the endpoint when the trial reports several. Interval boundaries, estimand
        times and RMST horizons left unset come from the trial's follow-up.

    Attributes
    ----------
    endpoint : str
    model : pymc.Model
        Dims ``arm`` (experimental first), ``interval``, ``month``; deterministics
        ``hazard`` (arm, interval), ``log_hazard_ratio`` (interval) and ``survival``
        (arm, month).
    last_datum : float
        The last time (months) at which the trial reports data of the endpoint.
    evidence_log : pandas.DataFrame

    Raises
    ------
    EvidenceError
        When the trial reports no usable evidence of the endpoint (one line, naming the
        trial's file).
    """

    effect_parameters: tuple[str, ...] = ("log_hr",)
    model_name = "two-state piecewise-exponential model (one endpoint)"

    recommended_target_accept: float = 0.95

    def __init__(self, trial: Trial, *, options: Any = None, endpoint: str | None = None
                 ) -> None:
        from bayes_scot.builders.survival.options import SurvivalOptions

        self.options = options or SurvivalOptions()
        if self.options.effect_structure == "independent":
            raise EvidenceError(
                "'independent' separates the transitions of the illness-death model; the "
                "one-endpoint model has one: use 'per_transition' or 'common'",
                file=trial.path, field="effect_structure",
            )
        population = self.options.population
        self.target = trial.with_population(population) if trial.population != population \
            else trial
        self._all = trial
        self.trials = (self.target,)
        found = survival_endpoints(self.target)
        chosen = endpoint or self.options.endpoint or (found[0] if len(found) == 1 else None)
        if chosen is None:
            raise EvidenceError(
                f"trial {trial.name!r} reports {len(found)} time-to-event endpoints "
                f"({', '.join(found) or 'none'}) in population {population!r}; name one "
                "with the survival option 'endpoint'" if found else
                f"trial {trial.name!r} reports no time-to-event evidence in population "
                f"{population!r}", file=trial.path, field="survival",
            )
        self.endpoint = chosen
        self.curve_variables = {chosen: "survival"}
        self.endpoint_info = self.target.endpoint(chosen)
        self.arms = (self.target.experimental, self.target.control)
        self.n = np.array([self.target.n(a) for a in self.arms], dtype=float)
        self._uses: list[dict[str, Any]] = []
        plan = self._plan()
        if not plan.terms:
            raise EvidenceError(
                f"trial {trial.name!r} has no usable evidence of endpoint {chosen!r} in "
                f"population {population!r}", file=trial.path, field="survival",
            )
        self._planned = plan
        self.last_datum = plan.last
        self.edges = self._edges(plan)
        o = self.options
        self.estimand_times = tuple(o.estimand_times_months or (
            (tuple(sorted(plan.times)) or default_times(plan.last)) if plan.pooled else ()))
        self.rmst_horizons = tuple(o.rmst_horizons_months or self.estimand_times[-1:])
        self.weights = self._event_weights(plan)
        self.baseline_mean = self._baseline_mean(plan)
        top = max([self.edges[-1], *self.estimand_times, *self.rmst_horizons])
        step = _nice_step(top, 100) / (12.0 if top <= 24 else 1.0)
        self.curve_months = np.unique(np.concatenate([
            np.arange(0.0, top + 1e-9, step), self.edges, self.estimand_times,
        ]))
        self.model = self._build()
        self.structure_key = self._structure_key()

    # -- evidence ---------------------------------------------------------------------------
    @property
    def likelihood_terms(self) -> tuple[tuple[str, tuple[str, ...], dict[str, Any],
                                              dict[str, Any]], ...]:
        """The likelihood terms in the order that numbers their data containers (read only).

        Each is ``(kind, entries, data, extra)``.
        """
        return tuple(self._planned.terms)

    @property
    def horizon(self) -> float:
        """Last boundary of the interval grid, in months."""
        return float(self.edges[-1])

    @property
    def interval_labels(self) -> tuple[str, ...]:
        """Interval names such as ``"0-3"`` (months)."""
        return tuple(f"{a:g}-{b:g}" for a, b in zip(self.edges[:-1], self.edges[1:],
                                                   strict=True))

    @property
    def evidence_log(self) -> pd.DataFrame:
        """Which evidence entered the likelihood, as which term, and why (or why not)."""
        return pd.DataFrame(self._uses, columns=["trial", "entry", "used", "term", "note"])

    def _log(self, entry: Entry | str, used: bool, term: str, note: str) -> None:
        entry_id = entry if isinstance(entry, str) else entry.id
        self._uses.append({"trial": self.target.name, "entry": entry_id, "used": used,
                           "term": term, "note": note})

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

    def _plan(self) -> _Plan:
        plan = _Plan()
        self._plan_landmarks(plan)
        self._plan_estimates(plan)
        if not plan.terms:
            self._plan_curves(plan)
        self._plan_ratios(plan)
        logged = {u["entry"] for u in self._uses}
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
            last = plan.terms[-1][2]
            total_events = sum(term[2]["events"] for term in plan.terms)
            s_prev = 1.0 - total_events / self.n
            del last
            v_prev = (1.0 - s_prev) / (self.n * s_prev)
        t_prev = start
        for e in used:
            t = float(e.time_months)
            s = np.array([e.survival[a] for a in self.arms], dtype=float)
            n_eff = np.empty(2)
            rules = set()
            for i, arm in enumerate(self.arms):
                n_eff[i], rule = lik.effective_sample_size(
                    float(s[i]),
                    lower=None if e.lower is None else e.lower[arm],
                    upper=None if e.upper is None else e.upper[arm],
                    level=e.level,
                    n_risk=None if e.n_risk is None else e.n_risk[arm],
                    n=(e.n or {}).get(arm, self.n[i]),
                )
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
        from bayes_scot.stats.conversions import se_from_ci, se_from_p

        log_hr = math.log(keep.estimate)
        if keep.lower is not None and keep.upper is not None:
            se = float(se_from_ci(math.log(keep.lower), math.log(keep.upper), level=keep.level))
        else:
            se = float(se_from_p(log_hr, float(cast(float, keep.p_value))))
        end = (keep.window_months or (0.0, 0.0))[1]
        plan.terms.append(("ratio", (keep.id,), {"log_estimate": np.array(log_hr),
                                                 "se": np.array(se)}, {"end": end}))
        self._log(keep, True, "reported_ratio", "normal on the log scale; model counterpart: "
                  "the event-weighted mean log hazard ratio")
        if end > 0 and not plan.last:
            plan.last = end

    def _edges(self, plan: _Plan) -> np.ndarray:
        o = self.options
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

    def _event_weights(self, plan: _Plan) -> np.ndarray:
        """Return the expected share of the trial's events per interval, pooled over arms."""
        edges = self.edges
        if plan.ipd:
            pooled = pd.concat(plan.ipd)
            t = pooled.loc[pooled["event"] > 0, "time"].to_numpy(dtype=float)
            k = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, len(edges) - 2)
            counts = np.bincount(k, minlength=len(edges) - 1).astype(float)
        else:
            return event_shares(edges, plan.pooled)
        if counts.sum() <= 0:
            counts = np.ones(len(edges) - 1)
        return counts / counts.sum()

    def _baseline_mean(self, plan: _Plan) -> float:
        """Prior mean of the control arm's log hazard per month: the pooled crude hazard."""
        if plan.pooled:
            t, s = plan.pooled[-1]
            return math.log(-math.log(min(max(s, 1e-3), 1.0 - 1e-3)) / t)
        return math.log(math.log(2.0) / self.horizon)  # median survival at the horizon

    # -- the model -------------------------------------------------------------------------
    def _build(self) -> pm.Model:
        from bayes_scot.builders.survival.options import hazard_ratio_prior_grid

        o = self.options
        n_int = len(self.edges) - 1
        coords = {"arm": list(self.arms), "interval": list(self.interval_labels),
                  "step": list(self.interval_labels[1:]), "month": self.curve_months.tolist()}
        reference = hazard_ratio_prior_grid(o)["reference"]
        with pm.Model(coords=coords) as model:
            prior_mean = pm.Data("log_hr_prior_mean", reference.mean)
            prior_sd = pm.Data("log_hr_prior_sd", reference.sd)
            base_mean = pm.Data("baseline_prior_mean", self.baseline_mean)
            base_sd = pm.Data("baseline_prior_sd", o.baseline_log_hazard_sd)
            level_z = pm.Normal("baseline_level_z", 0.0, 1.0)
            log_h0 = base_mean + base_sd * level_z + pt.zeros(n_int)
            if n_int > 1:
                smooth_sd = pm.Data("baseline_smoothing_sd", o.baseline_smoothing_sd)
                walk_z = pm.Normal("baseline_walk_z", 0.0, 1.0, dims="step")
                log_h0 = log_h0 + running_sum(smooth_sd * walk_z)
            log_hr = pm.Normal("log_hr", prior_mean, prior_sd)
            beta = log_hr + pt.zeros(n_int)
            if n_int > 1 and o.effect_structure != "common":
                pool_scale = pm.Data("effect_pooling_scale", o.effect_pooling_scale)
                weights = pm.Data("interval_event_share", self.weights, dims="interval")
                pool_raw = pm.HalfNormal("effect_pooling_raw", 1.0)
                tau = pm.Deterministic("effect_pooling_sd", pool_raw * pool_scale)
                u = pm.Normal("interval_effect_z", 0.0, 1.0, dims="interval")
                beta = beta + tau * (u - pt.sum(weights * u))
            beta = pm.Deterministic("log_hazard_ratio", beta, dims="interval")
            log_h = pt.stack([log_h0 + beta, log_h0])  # (arm, interval)
            hazard = pm.Deterministic("hazard", pt.exp(log_h), dims=("arm", "interval"))
            exposure = pt.as_tensor_variable(_exposure_matrix(self.edges, self.curve_months))
            pm.Deterministic("survival", pt.exp(-pt.dot(hazard, exposure)),
                             dims=("arm", "month"))
            self._add_likelihood(hazard, log_h, beta)
        return model

    def _add_likelihood(self, hazard, log_h, beta) -> None:
        name = self.target.name
        for number, (kind, _ids, values, extra) in enumerate(self._planned.terms):
            prefix = f"{name}_{number}_{kind}"
            data = {k: pm.Data(f"{prefix}_{k}", v) for k, v in values.items()}
            if kind in ("landmark", "estimate"):
                t0, t1 = extra["times"]
                span = _exposure_matrix(self.edges, np.array([t1]))[:, 0]
                span = span - _exposure_matrix(self.edges, np.array([t0]))[:, 0]
                cond = pt.exp(-pt.dot(hazard, pt.as_tensor_variable(span)))  # (arm,)
                if kind == "landmark":
                    logp = lik.landmark_events(data["events"], data["n"], cond)
                else:
                    logp = lik.survival_estimate(data["conditional"], data["effective_n"], cond)
            elif kind == "patients":
                events, exposure = self._sufficient_statistics()
                d = pm.Data(f"{prefix}_events", events, dims=("arm", "interval"))
                x = pm.Data(f"{prefix}_exposure", exposure, dims=("arm", "interval"))
                logp = lik.piecewise_exponential(d, x, log_h)
            else:  # reported ratio
                w = pt.as_tensor_variable(self._ratio_weights(extra["end"]))
                logp = lik.reported_ratio(data["log_estimate"], data["se"],
                                          pt.sum(w * beta))
            pm.Potential(prefix, logp)

    def _sufficient_statistics(self) -> tuple[np.ndarray, np.ndarray]:
        """Events and months of exposure per arm and interval of the reconstructed patients."""
        k_int = len(self.edges) - 1
        events = np.zeros((2, k_int))
        exposure = np.zeros((2, k_int))
        for a, frame in enumerate(self._planned.ipd):
            t = frame["time"].to_numpy(dtype=float)
            d = frame["event"].to_numpy(dtype=float)
            exposure[a] = _exposure_matrix(self.edges, t).sum(axis=1)
            k = np.clip(np.searchsorted(self.edges, t, side="right") - 1, 0, k_int - 1)
            np.add.at(events[a], k, d)
        return events, exposure

    def _ratio_weights(self, end: float) -> np.ndarray:
        """Event weights of a reported ratio's window: the model's own event shares."""
        if end <= 0 or end >= self.horizon:
            return self.weights
        inside = np.clip((end - self.edges[:-1]) / np.diff(self.edges), 0.0, 1.0)
        w = self.weights * inside
        return w / w.sum() if w.sum() > 0 else self.weights

    def _structure_key(self) -> tuple[str, str]:
        layout = tuple(
            (kind, tuple(sorted((k, np.shape(v)) for k, v in values.items())),
             tuple(sorted((k, str(v)) for k, v in extra.items())))
            for kind, _ids, values, extra in self._planned.terms
        )
        structure = ("PiecewiseExponentialModel", self.target.name, self.arms,
                     tuple(self.edges), tuple(self.curve_months), layout,
                     self.options.effect_structure == "common")
        return ("PiecewiseExponentialModel",
                hashlib.sha256(repr(structure).encode()).hexdigest()[:16])

    # -- priors -----------------------------------------------------------------------------
    def prior_grid(self) -> dict[str, EffectPrior]:
        r"""Return the named grid of 13 priors on the endpoint-level log hazard ratio."""
        from bayes_scot.builders.survival.options import hazard_ratio_prior_grid

        return hazard_ratio_prior_grid(self.options)

    def prior_data(self, prior: EffectPrior | Mapping[str, EffectPrior]
                   ) -> dict[str, np.ndarray]:
        """Values of the prior's data containers (see ``SurvivalModel.prior_data``)."""
        from bayes_scot.builders.survival.options import hazard_ratio_prior_data

        return hazard_ratio_prior_data(prior, self.effect_parameters)

    # -- outputs ----------------------------------------------------------------------------
    def _hazards(self, idata: Any) -> np.ndarray:
        from bayes_scot import _compat

        hazard = _compat.get_group(idata, "posterior")["hazard"]
        return hazard.transpose("chain", "draw", "arm", "interval").to_numpy()

    def estimands(self, idata: Any) -> list[EstimandDraws]:
        r"""Posterior estimands of the endpoint.

        Returns
        -------
        list of EstimandDraws
            Survival per arm (descriptive) and the experimental-minus-control difference
            at each estimand time; RMST differences to each horizon; the hazard ratio of
            each interval (when there are several); and ``hazard_ratio_common``,
            :math:`e^\mu`, the event-weighted average hazard ratio that carries the prior
            grid. Directions follow the endpoint's ``better``. Rows beyond the last datum
            (only when the options ask for them) have ``attrs["extrapolated"]`` True and
            say so in their label and evidence.
        """
        from bayes_scot import _compat

        o = self.options
        exp_arm, ctl_arm = self.arms
        label = self.endpoint_info.label
        higher = self.endpoint_info.better == "higher"
        better_s: Any = "higher" if higher else "lower"
        better_hr: Any = "lower" if higher else "higher"
        hazards = self._hazards(idata)
        base = {"trial": self.target.name, "population": o.population,
                "assumptions": self.assumptions(), "borrowing": "none (one trial)",
                "model": self.model_name}
        out: list[EstimandDraws] = []
        has_curve = bool(self._planned.pooled)

        def add(estimand: str, text: str, draws: np.ndarray, time: float | None, **kw: Any
                ) -> None:
            beyond = bool(time is not None and time > self.last_datum + 1e-9)
            evidence = "trial"
            if beyond:
                text += f" (extrapolated beyond the last datum at {self.last_datum:g} months)"
                evidence = f"trial, extrapolated beyond {self.last_datum:g} months"
            attrs = {**base, "extrapolated": beyond, **kw.pop("attrs", {})}
            out.append(_estimand(endpoint=self.endpoint, estimand=estimand, label=text,
                                 draws=draws, evidence=evidence, attrs=attrs,
                                 extrapolated=beyond, **kw))

        if has_curve:
            times = np.asarray(self.estimand_times, dtype=float)
            surv = np.exp(-np.einsum("cdak,kt->cdat", hazards,
                                     _exposure_matrix(self.edges, times)))
            for j, t in enumerate(times):
                for a, arm in enumerate(self.arms):
                    add(f"survival_{arm}_{t:g}", f"{label} at {t:g} months, {arm}",
                        surv[:, :, a, j], t, null=float("nan"), superior=better_s,
                        unit="probability", attrs={"arm": arm, "contrast": False,
                                                   "time_months": t})
                add(f"survival_difference_{t:g}",
                    f"{label} at {t:g} months, {exp_arm} minus {ctl_arm}",
                    surv[:, :, 0, j] - surv[:, :, 1, j], t, null=0.0, superior=better_s,
                    mcid=o.survival_margin if higher else -o.survival_margin,
                    mcid_source=o.margin_source, unit="probability",
                    attrs={"contrast": True, "time_months": t})
            for tau in self.rmst_horizons:
                rmst = _rmst(hazards, self.edges, tau)
                add(f"rmst_difference_{tau:g}",
                    f"{label} restricted mean survival to {tau:g} months, {exp_arm} minus "
                    f"{ctl_arm}", rmst[:, :, 0] - rmst[:, :, 1], tau, null=0.0,
                    superior=better_s, unit="months",
                    attrs={"contrast": True, "time_months": tau})
        margin = o.hazard_ratio_margin if higher else 1.0 / o.hazard_ratio_margin
        if len(self.edges) > 2 and has_curve:
            ratio = hazards[:, :, 0, :] / hazards[:, :, 1, :]
            for k, text in enumerate(self.interval_labels):
                add(f"hazard_ratio_{text.replace('-', '_')}",
                    f"{label} hazard ratio, months {text}, {exp_arm} vs {ctl_arm}",
                    ratio[..., k], float(self.edges[k + 1]) if self.edges[k] >=
                    self.last_datum else None, null=1.0, superior=better_hr, mcid=margin,
                    mcid_source=o.margin_source, unit="ratio",
                    attrs={"contrast": True, "interval": text})
        log_hr = _compat.get_group(idata, "posterior")["log_hr"].to_numpy()
        add("hazard_ratio_common",
            f"{label} hazard ratio (event-weighted average over follow-up), {exp_arm} vs "
            f"{ctl_arm}", np.exp(log_hr), None, null=1.0, superior=better_hr, mcid=margin,
            mcid_source=o.margin_source, unit="ratio",
            attrs={"contrast": True, "parameter": "log_hr"})
        return out

    def assumptions(self) -> tuple[str, ...]:
        """Return the model that ran and the assumptions of the evidence it uses."""
        notes = [
            f"Model: {self.model_name} of {self.endpoint} ({self.endpoint_info.label}); "
            f"intervals {', '.join(self.interval_labels)} months; the headline hazard ratio "
            "is the event-weighted average over these intervals.",
        ]
        from bayes_scot.builders.survival.options import time_unit_notes

        notes += time_unit_notes(self.trials)
        if any(kind == "landmark" for kind, *_ in self._planned.terms):
            notes.append("Landmark counts among those randomised assume no censoring before "
                         "the landmark.")
        used = set(self.evidence_log.query("used")["entry"])
        notes += [f"{self.target.name}:{e.id}: {e.assumption}" for e in self.target.entries
                  if e.id in used and e.assumption]
        return tuple(notes)

    def reproduce(self, idata: Any, *, seed: int = 0) -> pd.DataFrame:
        """Posterior predictive of the endpoint's published summaries, beside the number.

        Returns
        -------
        pandas.DataFrame
            The columns of ``SurvivalModel.reproduce``. Landmark counts are predicted as
            counts among the same ``n``, survival estimates as proportions with their
            effective sample size, hazard ratios as the model's event-weighted log hazard
            ratio plus the reported standard error.
        """
        rng = np.random.default_rng(seed)
        hazards = self._hazards(idata)
        flat = hazards.reshape(-1, *hazards.shape[2:])  # (draws, arm, K)
        alpha = (1.0 - CREDIBLE_LEVEL) / 2.0
        used = {u["entry"]: u for u in self._uses}
        rows = []
        for e in self.target.entries:
            if e.endpoint != self.endpoint or not isinstance(
                e, LandmarkEvents | SurvivalEstimate | ReportedRatio
            ):
                continue
            for draws, published, arm, statistic in self._predict(e, flat, rng):
                lo, med, hi = np.quantile(draws, [alpha, 0.5, 1.0 - alpha])
                use = used.get(e.id, {})
                rows.append({
                    "trial": self.target.name, "entry": e.id, "endpoint": e.endpoint,
                    "population": e.population, "arm": arm, "time_months": e.time,
                    "statistic": statistic, "published": published, "median": med,
                    "lower": lo, "upper": hi, "outside": bool(published < lo or published > hi),
                    "used": bool(use.get("used", False)), "note": use.get("note", ""),
                })  # fmt: skip
        return pd.DataFrame(rows, columns=list(_REPRODUCE_COLUMNS))

    def predictive(self, idata: Any, *, seed: int = 0) -> tuple[Any, Any]:
        """Return the published summaries that entered the fit, and replicates of each.

        ArviZ's ``observed_data`` and ``posterior_predictive`` groups (``az.plot_ppc``),
        drawn as :meth:`reproduce` draws them; see
        :func:`bayes_scot.builders.base.replicate_groups`.
        """
        from bayes_scot import _compat
        from bayes_scot.builders.base import replicate_groups

        rng = np.random.default_rng(seed)
        posterior = _compat.get_group(idata, "posterior")
        hazards = self._hazards(idata)
        flat = hazards.reshape(-1, *hazards.shape[2:])
        used = {u["entry"] for u in self._uses if u.get("used")}
        entries = [e for e in self.target.entries if e.id in used
                   and isinstance(e, LandmarkEvents | SurvivalEstimate | ReportedRatio)]
        return replicate_groups(
            ((e.id, [r[:3] for r in self._predict(e, flat, rng)]) for e in entries),
            posterior["chain"].to_numpy().tolist(), posterior["draw"].to_numpy().tolist(),
        )

    def _predict(self, e: Any, flat: np.ndarray, rng: np.random.Generator):
        if isinstance(e, ReportedRatio):
            if e.measure != "HR" or e.lower is None or e.upper is None:
                return
            from bayes_scot.stats.conversions import se_from_ci

            end = (e.window_months or (0.0, 0.0))[1]
            log_hr = np.log(flat[:, 0] / flat[:, 1]) @ self._ratio_weights(end)
            se = float(se_from_ci(math.log(e.lower), math.log(e.upper), level=e.level))
            yield np.exp(log_hr + se * rng.standard_normal(log_hr.shape)), e.estimate, None, "hr"
            return
        surv = np.exp(-flat @ _exposure_matrix(self.edges, np.array([e.time_months])))[..., 0]
        for a, arm in enumerate(self.arms):
            if isinstance(e, LandmarkEvents) and arm in e.events:
                n = int(e.n[arm])
                yield (rng.binomial(n, 1.0 - surv[:, a]).astype(float), float(e.events[arm]),
                       arm, "events")
            elif isinstance(e, SurvivalEstimate) and arm in e.survival:
                size, _ = lik.effective_sample_size(
                    e.survival[arm], lower=None if e.lower is None else e.lower[arm],
                    upper=None if e.upper is None else e.upper[arm], level=e.level,
                    n_risk=None if e.n_risk is None else e.n_risk[arm],
                    n=(e.n or {}).get(arm, self.n[a]))
                m = max(round(size), 1)
                yield rng.binomial(m, surv[:, a]) / m, float(e.survival[arm]), arm, "survival"


def _estimand(*, extrapolated: bool, **kwargs: Any) -> EstimandDraws:
    """Return an EstimandDraws, with its ``extrapolated`` flag where the class has one."""
    names = {f.name for f in dataclasses.fields(EstimandDraws)}
    if "extrapolated" in names:
        kwargs["extrapolated"] = extrapolated
    return EstimandDraws(**kwargs)


def _exposure_matrix(edges: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Months spent in each interval (K, T) by each time; the last interval is open."""
    lower = edges[:-1, None]
    upper = np.concatenate([edges[1:-1], [np.inf]])[:, None]
    return np.clip(np.minimum(np.asarray(times, dtype=float)[None, :], upper) - lower, 0.0,
                   None)


def _rmst(hazards: np.ndarray, edges: np.ndarray, tau: float) -> np.ndarray:
    """Restricted mean survival to ``tau`` of piecewise-constant hazards (..., K)."""
    cuts = np.unique(np.concatenate([edges[edges < tau], [tau]]))
    start = _exposure_matrix(edges, cuts[:-1])  # (K, P)
    h = hazards @ (np.diff(_exposure_matrix(edges, cuts), axis=1) > 0).astype(float)
    s0 = np.exp(-hazards @ start)  # survival at the start of each piece
    length = np.diff(cuts)
    with np.errstate(invalid="ignore", divide="ignore"):
        piece = np.where(h * length > 1e-10, s0 * -np.expm1(-h * length) / h, s0 * length)
    return piece.sum(axis=-1)
