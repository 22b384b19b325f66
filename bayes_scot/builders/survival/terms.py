"""The log density of each planned term of the illness-death model.

The evidence plan (:mod:`~bayes_scot.builders.survival.plan`) turns entries into terms;
this module turns each term into its PyTensor log density, all read from one
closed-form table of state probabilities and transition matrices
(:func:`~bayes_scot.builders.survival.graph._pt_transition_table`). What each kind
approximates is in :mod:`bayes_scot.likelihood.survival`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pytensor.tensor as pt

from bayes_scot.builders.survival.graph import (
    _pt_boundary_states,
    _pt_step,
    _pt_transition_matrices,
    _pt_transition_table,
    _pt_weighted_log_hr,
    _survival_estimates_logp,
)
from bayes_scot.builders.survival.options import _EFS
from bayes_scot.builders.survival.plan import _Term
from bayes_scot.likelihood import survival as lik

__all__ = ["StateTable", "term_logp", "term_values"]


@dataclass(frozen=True)
class StateTable:
    """State probabilities from 0 to each time, and transition matrices over each span.

    Attributes
    ----------
    hazard : TensorVariable
        Hazards (trial, arm, interval, transition).
    edges : numpy.ndarray
        Interval boundaries in months.
    states : TensorVariable
        (trial, arm, time, 3): event-free, alive after organ failure, dead.
    spanned : TensorVariable
        (trial, arm, span, 3, 3): transition matrices from each span's start to its end.
    index, span_index : mapping
        Position of each time in ``states`` and of each span in ``spanned``.
    """

    hazard: pt.TensorVariable
    edges: np.ndarray
    states: pt.TensorVariable
    spanned: pt.TensorVariable
    index: Mapping[float, int]
    span_index: Mapping[tuple[float, ...], int]

    @classmethod
    def build(cls, hazard: pt.TensorVariable, edges: np.ndarray,
              terms: Sequence[_Term]) -> StateTable:
        """Return the table of every time and span that ``terms`` read (one graph)."""
        times = np.array(sorted({0.0}.union(*(term.times for term in terms))))
        spans = sorted({term.times for term in terms
                        if term.kind in ("interval_states", "survival_estimates")})
        pairs = [(0.0, float(t)) for t in times] + [(float(a), float(b)) for a, b in spans]
        p00, p01, p11 = _pt_transition_table(hazard, edges, pairs)
        n_times = len(times)
        stay, fail = p00[..., :n_times], p01[..., :n_times]
        states = pt.stack([stay, fail, 1.0 - stay - fail], axis=-1)  # (trial, arm, T, 3)
        spanned = _pt_transition_matrices(
            p00[..., n_times:], p01[..., n_times:], p11[..., n_times:]
        )  # (trial, arm, span, 3, 3)
        return cls(hazard, edges, states, spanned,
                   {t: i for i, t in enumerate(times)},
                   {span: i for i, span in enumerate(spans)})

    def at(self, trial: int, time: float) -> pt.TensorVariable:
        """State probabilities (arm, 3) of one trial at one time."""
        return self.states[trial, :, self.index[time], :]

    def over(self, trial: int, span: tuple[float, ...]) -> pt.TensorVariable:
        """Transition matrices (arm, 3, 3) of one trial over one span."""
        return self.spanned[trial, :, self.span_index[span]]


def term_values(term: _Term, max_count: int) -> dict[str, np.ndarray]:
    """Return the values of a term's data containers, with its precomputed coefficients.

    The path counts of the interval likelihoods depend on the data only, so they are
    computed once here (:mod:`bayes_scot.likelihood.survival`).
    """
    values = dict(term.data)
    if term.kind == "interval_states":
        values["log_coefficients"] = lik.interval_states_log_coefficients(
            values["start"], values["end"], max_count=max_count
        )
    elif term.kind == "deaths_by_time":
        values["log_coefficients"] = lik.deaths_by_time_log_coefficients(
            values["deaths"], values["at_least"], max_count=max_count
        )
    return values


_Data = Mapping[str, pt.TensorVariable]


def _landmark_states(term: _Term, data: _Data, table: StateTable, max_count: int):
    return lik.landmark_states(data["counts"], table.at(term.trial, term.times[0]))


def _landmark_events(term: _Term, data: _Data, table: StateTable, max_count: int):
    p = table.at(term.trial, term.times[0])
    surv = p[:, 0] if term.extra["endpoint"] == _EFS else p[:, 0] + p[:, 1]
    counts = data["counts"]
    return lik.landmark_events(counts[:, 1], counts[:, 0], surv)


def _interval_states(term: _Term, data: _Data, table: StateTable, max_count: int):
    return lik.interval_states(
        data["start"], data["end"], table.over(term.trial, term.times),
        max_count=max_count, log_coefficients=data["log_coefficients"],
    )


def _interval_events(term: _Term, data: _Data, table: StateTable, max_count: int):
    p0 = table.at(term.trial, term.times[0])
    p1 = table.at(term.trial, term.times[1])
    if term.extra["endpoint"] == _EFS:
        cond = p1[:, 0] / p0[:, 0]
    else:
        cond = (p1[:, 0] + p1[:, 1]) / (p0[:, 0] + p0[:, 1])
    return lik.interval_events(data["at_risk"], data["events"], cond)


def _survival_estimates(term: _Term, data: _Data, table: StateTable, max_count: int):
    return _survival_estimates_logp(
        data["start"], data["observed"], data["effective_n"],
        table.over(term.trial, term.times), term.extra["aggregation"],
    )


def _deaths_by_time(term: _Term, data: _Data, table: StateTable, max_count: int):
    dead_t = table.at(term.trial, term.times[0])[:, 2]
    dead_landmark = table.at(term.trial, term.times[1])[:, 2]
    return lik.deaths_by_time(
        data["deaths"], data["at_least"], dead_t / dead_landmark,
        max_count=max_count, log_coefficients=data["log_coefficients"],
    )


def _pseudo_patients(term: _Term, data: _Data, table: StateTable, max_count: int):
    h = table.hazard[term.trial, term.extra["arm"]]  # (K, 3)
    start0, start1 = _pt_boundary_states(h, table.edges)
    k = data["interval"]
    hk = h[k]
    q0, q1 = _pt_step(start0[k], start1[k], hk, data["offset"])
    if term.extra["endpoint"] == _EFS:
        log_s = pt.log(pt.clip(q0, 1e-300, 1.0))
        log_f = pt.log(hk[:, 0] + hk[:, 1]) + log_s
    else:
        log_s = pt.log(pt.clip(q0 + q1, 1e-300, 1.0))
        log_f = pt.log(pt.clip(hk[:, 1] * q0 + hk[:, 2] * q1, 1e-300, np.inf))
    return lik.pseudo_patients(data["events"], log_f, log_s)


def _reported_ratio(term: _Term, data: _Data, table: StateTable, max_count: int):
    surv = pt.stack(  # (arm, cut, 3); basic indexing keeps the gradient simple
        [table.at(term.trial, c) for c in term.times], axis=1
    )
    model_log_hr = _pt_weighted_log_hr(surv, data["n"], term.extra["endpoint"])
    return lik.reported_ratio(data["log_estimate"], data["se"], model_log_hr)


_LOGP: Mapping[str, Callable[[_Term, _Data, StateTable, int], pt.TensorVariable]] = {
    "landmark_states": _landmark_states,
    "landmark_events": _landmark_events,
    "interval_states": _interval_states,
    "interval_events": _interval_events,
    "survival_estimates": _survival_estimates,
    "deaths_by_time": _deaths_by_time,
    "pseudo_patients": _pseudo_patients,
    "reported_ratio": _reported_ratio,
}
"""The log density of each kind of term the planner makes."""


def term_logp(term: _Term, data: _Data, table: StateTable, *,
              max_count: int) -> pt.TensorVariable:
    """Return the log density of one planned term.

    Parameters
    ----------
    term : _Term
        A term of the evidence plan.
    data : mapping of str to TensorVariable
        Its data containers (from :func:`term_values`).
    table : StateTable
        The model's state probabilities and transition matrices.
    max_count : int
        Largest arm size, bounding the path counts of the interval likelihoods.
    """
    return _LOGP[term.kind](term, data, table, max_count)
