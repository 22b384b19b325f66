"""Simulators of the survival models: patients from the drawn hazards, summarised as published.

:class:`SurvivalSimulator` serves the illness-death model and
:class:`PiecewiseExponentialSimulator` the one-endpoint model; both simulate patients
from hazards (drawn from the prior, or set at a true hazard ratio) and summarise them as
each likelihood term reads its evidence (:mod:`bayes_scot.calibration.simulate`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from bayes_scot import _compat
from bayes_scot.calibration.simulator_base import Quantity, Simulator
from bayes_scot.errors import SpecError
from bayes_scot.stats.kaplan_meier import event_interval

__all__ = ["PiecewiseExponentialSimulator", "SurvivalSimulator", "rate_ratio",
           "span_transition"]

_SURVIVAL_KINDS = {"landmark_states", "landmark_events", "interval_states",
                   "interval_events", "deaths_by_time", "survival_estimates",
                   "reported_ratio", "pseudo_patients"}


class SurvivalSimulator(Simulator):
    """The illness-death model: patients simulated from the drawn transition hazards."""

    def __init__(self, builder: Any, family: str) -> None:
        terms = builder.likelihood_terms  # what each likelihood term reads
        unknown = sorted({t.kind for t in terms} - _SURVIVAL_KINDS)
        if unknown:
            raise SpecError(
                f"calibration cannot simulate the evidence kinds {unknown} yet; "
                f"it simulates {sorted(_SURVIVAL_KINDS)}",
                field=f"{family}.trials",
            )
        if len(builder.trials) > 1:
            raise SpecError("calibration simulates one trial at a time; this family "
                            "borrows from several", field=f"{family}.trials")
        self.terms = terms
        super().__init__(builder, family)

    def _effect(self) -> dict[str, Any]:
        return {"variable": "log_hr", "benefit": "lower",
                "mcid": float(np.log(self.builder.options.benefit_hazard_ratios()[1]))}

    def _derived(self) -> tuple[Quantity, ...]:
        # The survival differences at the last estimand time the evidence reaches.
        months = list(self.builder.curve_months)
        last = self._evidence_end()
        times = [t for t in self.builder.options.estimand_times_months
                 if t in months and t <= last]
        if not times:
            return ()
        j = months.index(max(times))
        out = []
        for endpoint in ("efs", "os"):
            var = f"survival_{endpoint}"

            def difference(a: Mapping[str, np.ndarray], var: str = var) -> np.ndarray:
                curve = np.asarray(a[var])[..., 0, :, j]  # target trial; (..., arm)
                return curve[..., 0] - curve[..., 1]

            out.append(Quantity(f"{endpoint}_difference_{max(times):g}", (var,), difference))
        return tuple(out)

    def simulate(
        self, prior_data: Mapping[str, np.ndarray], n: int, seed: int
    ) -> tuple[dict[str, np.ndarray], list[dict[str, np.ndarray]]]:
        """Simulate ``n`` trials under the prior (:meth:`Simulator.simulate`)."""
        draws = self.prior_draws(prior_data, n, seed, ("hazard",))
        truth = {q.name: q.compute(draws).reshape(n) for q in self.quantities}
        hazards = np.asarray(draws["hazard"])[:, 0]  # (n, arm, interval, transition)
        rng = np.random.default_rng([seed, 1])
        return truth, self.datasets_from_hazards(hazards, prior_data, rng)

    def datasets_at_effect(
        self, hazard_ratio: float, n: int, rng: np.random.Generator,
        design: Mapping[str, Any] | None = None,
    ) -> list[dict[str, np.ndarray]]:
        """Trials simulated with a true hazard ratio on every transition.

        The control arm's hazards are the model's baseline hazards (the prior means of
        its log hazards per transition, constant over time) unless ``design`` gives
        ``baseline_hazards`` (per month, one per transition); the experimental arm's are
        those times ``hazard_ratio``. Arm sizes and landmarks are the trial's.

        Parameters
        ----------
        hazard_ratio : float
        n : int
        rng : numpy.random.Generator
        design : mapping, optional

        Returns
        -------
        list of dict
            Evidence data values only (no prior hyperparameters).
        """
        o = self.builder.options
        base = (design or {}).get("baseline_hazards")
        h0 = np.exp(np.asarray(o.baseline_log_hazard_mean, dtype=float)) if base is None \
            else np.asarray(base, dtype=float)
        k = len(o.interval_boundaries_months) - 1
        control = np.broadcast_to(h0, (k, 3))
        hazards = np.broadcast_to(np.stack([control * hazard_ratio, control]), (n, 2, k, 3))
        return self.datasets_from_hazards(np.array(hazards), {}, rng)

    def datasets_from_hazards(
        self, hazards: np.ndarray, prior_data: Mapping[str, np.ndarray],
        rng: np.random.Generator,
    ) -> list[dict[str, np.ndarray]]:
        """Simulate the target trial's evidence for each set of hazards.

        Parameters
        ----------
        hazards : numpy.ndarray, shape (n, arm, interval, transition)
            Hazards per month, arms in the model's order.
        prior_data : mapping
        rng : numpy.random.Generator

        Returns
        -------
        list of dict
        """
        from bayes_scot.stats.illness_death import simulate_paths

        b = self.builder
        edges = np.asarray(b.options.interval_boundaries_months, dtype=float)
        trial = b.trials[0]
        sizes = [trial.n(arm) for arm in b.arms]
        horizon = self._evidence_end() + 1.0
        paths = [simulate_paths(hazards[:, a], edges, n_arm, rng, horizon)
                 for a, n_arm in enumerate(sizes)]

        def counts(t: float) -> np.ndarray:
            """State counts (event-free, alive after failure, dead), shape (n, arm, 3)."""
            out = []
            for p in paths:
                exited = p["efs_event"] & (p["efs_months"] <= t)
                dead = np.nan_to_num(p["death_months"], nan=np.inf) <= t
                out.append(np.stack([(~exited).sum(-1), (exited & ~dead).sum(-1),
                                     dead.sum(-1)], axis=-1))
            return np.stack(out, axis=1).astype(float)

        values: dict[str, np.ndarray] = {}
        for number, term in enumerate(self.terms):
            prefix = f"{trial.name}_{number}_{term.kind}"
            if term.kind == "survival_estimates":
                start = counts(term.times[0]) / np.asarray(sizes, dtype=float)[:, None]
                values.update(self._estimates(prefix, term, start, hazards, edges, rng))
            elif term.kind == "pseudo_patients":
                values.update(self._pseudo_patients(prefix, term, hazards, edges, rng))
            elif term.kind == "reported_ratio":
                key = "efs" if term.extra["endpoint"] == "efs" else "os"
                values.update(rate_ratio(prefix, [p[f"{key}_months"] for p in paths],
                                         [p[f"{key}_event"] for p in paths], term.times[-1]))
            else:
                values.update(self._counted(prefix, term, counts))
        n = hazards.shape[0]
        return [{**prior_data, **{k: v[i] for k, v in values.items()}} for i in range(n)]

    def _counted(self, prefix: str, term: Any,
                 counts: Callable[[float], np.ndarray]) -> dict[str, np.ndarray]:
        """Return the data of a term on counts of patients, from the state counts."""
        from bayes_scot.likelihood import survival as lik

        max_count = self.builder.max_count
        if term.kind == "landmark_states":
            return {f"{prefix}_counts": counts(term.times[0])}
        if term.kind == "landmark_events":
            c = counts(term.times[0])
            events = c[..., 1] + c[..., 2] if term.extra["endpoint"] == "efs" else c[..., 2]
            return {f"{prefix}_counts": np.stack([c.sum(-1), events], axis=-1)}
        if term.kind == "interval_states":
            start, end = counts(term.times[0]), counts(term.times[1])
            return {f"{prefix}_start": start, f"{prefix}_end": end,
                    f"{prefix}_log_coefficients": lik.interval_states_log_coefficients(
                        start, end, max_count=max_count)}
        if term.kind == "interval_events":
            c0, c1 = counts(term.times[0]), counts(term.times[1])
            if term.extra["endpoint"] == "efs":
                at_risk, events = c0[..., 0], c0[..., 0] - c1[..., 0]
            else:
                at_risk, events = c0[..., 0] + c0[..., 1], c1[..., 2] - c0[..., 2]
            return {f"{prefix}_at_risk": at_risk, f"{prefix}_events": events}
        # deaths_by_time: deaths by the landmark, those by the earlier time
        deaths, by_t = counts(term.times[1])[..., 2], counts(term.times[0])[..., 2]
        return {f"{prefix}_deaths": deaths, f"{prefix}_at_least": by_t,
                f"{prefix}_log_coefficients": lik.deaths_by_time_log_coefficients(
                    deaths, by_t, max_count=max_count)}

    def _estimates(self, prefix: str, term: Any, start: np.ndarray, hazards: np.ndarray,
                   edges: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Kaplan-Meier estimates at a landmark, drawn as the likelihood reads them.

        The simulated patients' state split at the term's start time, carried to its
        landmark by the drawn hazards, gives the multinomial probabilities; the counts
        are drawn with the term's effective sample size (rounded), since an estimate's
        precision comes from its censoring, which the design does not give. Estimates
        the trial does not report stay missing.
        """
        published = _compat.data_values(self.builder.model)
        size = np.maximum(np.round(published[f"{prefix}_effective_n"]), 1.0).astype(int)
        missing = np.isnan(published[f"{prefix}_observed"])
        step = span_transition(hazards, edges, *term.times)  # (n, arm, 3, 3)
        q = np.einsum("nai,naij->naj", start, step) @ term.extra["aggregation"]
        q = np.clip(q, 0.0, None)
        q /= q.sum(axis=-1, keepdims=True)
        drawn = np.stack([rng.multinomial(size[a], q[:, a]) for a in range(q.shape[1])],
                         axis=1) / size[None, :, None]
        if drawn.shape[-1] == 3:  # (event-free, alive after failure, dead)
            observed = np.stack([drawn[..., 0], drawn[..., 0] + drawn[..., 1]], axis=-1)
        else:  # one endpoint: its survival, the other estimate not reported
            observed = np.repeat(drawn[..., :1], 2, axis=-1)
        return {f"{prefix}_start": start,
                f"{prefix}_observed": np.where(missing[None], np.nan, observed)}


    def _evidence_end(self) -> float:
        """Return the last time, in months, that the target trial's evidence reaches."""
        published = _compat.data_values(self.builder.model)
        edges = np.asarray(self.builder.options.interval_boundaries_months, dtype=float)
        ends = []
        for number, term in enumerate(self.terms):
            if term.times:
                ends.append(max(term.times))
            else:  # reconstructed patients: the curve's last time
                prefix = f"{self.builder.trials[0].name}_{number}_{term.kind}"
                interval = np.asarray(published[f"{prefix}_interval"], dtype=int)
                ends.append(float(np.max(edges[interval] + published[f"{prefix}_offset"])))
        return float(max(ends))

    def _pseudo_patients(self, prefix: str, term: Any, hazards: np.ndarray,
                         edges: np.ndarray, rng: np.random.Generator
                         ) -> dict[str, np.ndarray]:
        """One arm's patients of a digitised curve, as reconstructed patients enter.

        As many patients as the reconstruction gave, simulated from the drawn hazards
        of the curve's arm and followed without censoring to the curve's last time;
        each enters with the interval and offset of its event or censoring time.
        """
        from bayes_scot.stats.illness_death import simulate_paths

        published = _compat.data_values(self.builder.model)
        events = np.asarray(published[f"{prefix}_events"])
        interval = np.asarray(published[f"{prefix}_interval"], dtype=int)
        last = float(np.max(edges[interval] + published[f"{prefix}_offset"]))
        paths = simulate_paths(hazards[:, term.extra["arm"]], edges, events.size, rng, last)
        key = "efs" if term.extra["endpoint"] == "efs" else "os"
        times, event = paths[f"{key}_months"], paths[f"{key}_event"]
        k = event_interval(edges, times)
        return {f"{prefix}_events": event.astype(float),
                f"{prefix}_interval": k.astype(interval.dtype),
                f"{prefix}_offset": times - edges[k]}


def span_transition(hazards: np.ndarray, edges: np.ndarray, start: float,
                    end: float) -> np.ndarray:
    """Illness-death transition matrices from ``start`` to ``end`` months.

    Parameters
    ----------
    hazards : numpy.ndarray, shape (..., K, 3)
        Piecewise-constant hazards per month on the grid ``edges`` (the last interval's
        hazards apply beyond it).
    edges : numpy.ndarray, shape (K + 1,)
    start, end : float

    Returns
    -------
    numpy.ndarray, shape (..., 3, 3)
        The product of :func:`~bayes_scot.stats.illness_death.transition_matrix` over the
        pieces of the grid between the two times.
    """
    from bayes_scot.stats.illness_death import transition_matrix

    cuts = np.unique(np.concatenate([[start], edges[(edges > start) & (edges < end)], [end]]))
    out = np.broadcast_to(np.eye(3), (*hazards.shape[:-2], 3, 3)).copy()
    for a, b in itertools.pairwise(cuts):
        k = min(int(np.searchsorted(edges, a, side="right")) - 1, len(edges) - 2)
        out = out @ transition_matrix(hazards[..., k, :], b - a)
    return out


def rate_ratio(prefix: str, times: list[np.ndarray], events: list[np.ndarray],
               end: float) -> dict[str, np.ndarray]:
    r"""Return a reported hazard ratio as simulated patients give it: their rate ratio.

    :math:`\log\{(D_1/E_1)/(D_0/E_0)\}` over ``[0, end]`` with standard error
    :math:`\sqrt{1/D_1 + 1/D_0}` (half an event added to an arm without events).

    Parameters
    ----------
    prefix : str
        The likelihood term's data-container prefix.
    times, events : list of numpy.ndarray
        Per arm (experimental first): event or censoring times, shape (n, patients), and
        whether the event occurred.
    end : float
        End of the ratio's window in months.

    Returns
    -------
    dict of str to numpy.ndarray
        ``<prefix>_log_estimate`` and ``<prefix>_se``, shape (n,).
    """
    d = [np.maximum((e & (t <= end)).sum(-1), 0.5)
         for t, e in zip(times, events, strict=True)]
    x = [np.minimum(t, end).sum(-1) for t in times]
    log_rate = [np.log(di / xi) for di, xi in zip(d, x, strict=True)]
    return {f"{prefix}_log_estimate": log_rate[0] - log_rate[1],
            f"{prefix}_se": np.sqrt(1.0 / d[0] + 1.0 / d[1])}


def _exposure(edges: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Return months spent in each interval by ``times``: shape ``times.shape + (K,)``."""
    t = np.asarray(times, dtype=float)[..., None]
    return np.clip(t - edges[:-1], 0.0, None) - np.clip(t - edges[1:], 0.0, None)


class PiecewiseExponentialSimulator(Simulator):
    r"""The one-endpoint model: patients simulated from the drawn piecewise hazards.

    Each simulated trial has the trial's arm sizes; its patients are followed without
    censoring to the evidence's last time and summarised as each term reads them:

    * landmark counts: events by the landmark among ``n`` (the first) or among those
      event-free at the earlier landmark;
    * Kaplan-Meier estimates: the conditional survival over the estimate's interval,
      drawn as the likelihood reads it (binomial with the term's effective sample size,
      rounded), since an estimate's precision comes from its censoring, which the design
      does not give;
    * digitised curves (reconstructed patients): events and months at risk per interval
      and arm, follow-up ending at the curve's last time;
    * a reported hazard ratio: the rate ratio of the simulated patients over the ratio's
      window, :math:`\log\{(D_1/E_1)/(D_0/E_0)\}`, with its standard error
      :math:`\sqrt{1/D_1 + 1/D_0}` (half an event added to an arm without events).
    """

    def _effect(self) -> dict[str, Any]:
        better = self.builder.better  # on the survival scale, as the model reads it
        _, margin = self.builder.options.benefit_hazard_ratios(better)
        return {"variable": "log_hr", "benefit": "lower" if better == "higher" else "higher",
                "mcid": float(np.log(margin))}

    def _derived(self) -> tuple[Quantity, ...]:
        b = self.builder
        months = list(b.curve_months)
        times = [t for t in b.estimand_times if t in months and t <= b.last_datum]
        if not times:
            return ()
        j = months.index(max(times))

        def difference(a: Mapping[str, np.ndarray]) -> np.ndarray:
            curve = np.asarray(a["survival"])[..., j]  # (..., arm)
            return curve[..., 0] - curve[..., 1]

        return (Quantity(f"survival_difference_{max(times):g}", ("survival",), difference),)

    def simulate(
        self, prior_data: Mapping[str, np.ndarray], n: int, seed: int
    ) -> tuple[dict[str, np.ndarray], list[dict[str, np.ndarray]]]:
        """Simulate ``n`` trials under the prior (:meth:`Simulator.simulate`)."""
        draws = self.prior_draws(prior_data, n, seed, ("hazard",))
        truth = {q.name: q.compute(draws).reshape(n) for q in self.quantities}
        rng = np.random.default_rng([seed, 1])
        return truth, self.datasets_from_hazards(np.asarray(draws["hazard"]), prior_data, rng)

    def datasets_at_effect(
        self, hazard_ratio: float, n: int, rng: np.random.Generator,
        design: Mapping[str, Any] | None = None,
    ) -> list[dict[str, np.ndarray]]:
        """Trials simulated with a true hazard ratio in every interval.

        The control arm's hazard is the model's prior mean (the trial's pooled crude
        hazard) unless ``design`` gives ``baseline_hazards`` (its first value, per month).
        """
        b = self.builder
        base = (design or {}).get("baseline_hazards")
        h0 = float(np.exp(b.baseline_mean)) if base is None else float(base[0])
        k = len(b.edges) - 1
        hazards = np.broadcast_to(np.array([[hazard_ratio * h0] * k, [h0] * k]), (n, 2, k))
        return self.datasets_from_hazards(np.array(hazards), {}, rng)

    def datasets_from_hazards(
        self, hazards: np.ndarray, prior_data: Mapping[str, np.ndarray],
        rng: np.random.Generator,
    ) -> list[dict[str, np.ndarray]]:
        """Simulate the trial's evidence for each set of hazards, shape (n, arm, interval)."""
        from bayes_scot.stats.illness_death import simulate_paths

        b = self.builder
        edges = np.asarray(b.edges, dtype=float)
        horizon = float(max(edges[-1], b.last_datum)) + 1.0
        zero = np.zeros_like(hazards[:, 0])
        times, events = [], []
        for a, size in enumerate(np.asarray(b.n, dtype=int)):
            # One endpoint: the exit from the event-free state is the event.
            paths = simulate_paths(np.stack([zero, hazards[:, a], zero], axis=-1), edges,
                                   int(size), rng, horizon)
            times.append(paths["efs_months"])
            events.append(paths["efs_event"])
        values: dict[str, np.ndarray] = {}
        for number, (kind, _ids, data, extra) in enumerate(b.likelihood_terms):
            prefix = f"{b.target.name}_{number}_{kind}"
            if kind == "landmark":
                t0, t1 = extra["times"]
                free = np.stack([(t > t0).sum(-1) for t in times], axis=-1)
                dead = np.stack([((t > t0) & (t <= t1) & e).sum(-1)
                                 for t, e in zip(times, events, strict=True)], axis=-1)
                values[f"{prefix}_events"], values[f"{prefix}_n"] = dead.astype(float), \
                    free.astype(float)
            elif kind == "estimate":
                t0, t1 = extra["times"]
                span = _exposure(edges, np.array(t1)) - _exposure(edges, np.array(t0))
                p = np.exp(-np.einsum("nak,k->na", hazards, span))
                size = np.maximum(np.round(np.asarray(data["effective_n"])), 1.0)
                values[f"{prefix}_conditional"] = rng.binomial(size.astype(int), p) / size
            elif kind == "patients":
                values.update(self._patients(prefix, times, events, edges, b.last_datum))
            else:  # reported ratio over its window
                end = extra["end"] if 0 < extra["end"] < horizon else edges[-1]
                values.update(rate_ratio(prefix, times, events, end))
        n = hazards.shape[0]
        return [{**prior_data, **{k: v[i] for k, v in values.items()}} for i in range(n)]

    @staticmethod
    def _patients(prefix: str, times: list[np.ndarray], events: list[np.ndarray],
                  edges: np.ndarray, last: float) -> dict[str, np.ndarray]:
        k = len(edges) - 1
        d, x = [], []
        for t, e in zip(times, events, strict=True):
            seen = np.minimum(t, last)
            x.append(_exposure(edges, seen).sum(axis=-2))
            interval = event_interval(edges, seen)
            hit = (e & (t <= last))[..., None] & (interval[..., None] == np.arange(k))
            d.append(hit.sum(axis=-2))
        return {f"{prefix}_events": np.stack(d, axis=1).astype(float),
                f"{prefix}_exposure": np.stack(x, axis=1)}
