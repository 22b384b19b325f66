"""Posterior predictive of published survival summaries, beside the published numbers.

Used by both survival models' ``reproduce`` and ``predictive``
(:class:`~bayes_scot.builders.survival.model.SurvivalModel`,
:class:`~bayes_scot.builders.piecewise_exponential.PiecewiseExponentialModel`): counts
are predicted as counts among the same ``n``, survival estimates as binomial proportions
with their effective sample size, hazard ratios as the model's event-weighted log hazard
ratio plus the reported standard error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from bayes_scot.builders.base import EvidenceUse
from bayes_scot.builders.survival.graph import _np_weighted_log_hr
from bayes_scot.builders.survival.options import _EFS, _OS
from bayes_scot.builders.survival.plan import _effective_size, _log_ratio_se
from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.evidence import Entry, LandmarkEvents, ReportedRatio, SurvivalEstimate, Trial
from bayes_scot.stats.illness_death import state_probabilities

__all__ = ["REPRODUCE_COLUMNS", "predict_entry", "reproduce_row", "trial_rows"]

REPRODUCE_COLUMNS: tuple[str, ...] = (
    "trial", "entry", "endpoint", "population", "arm", "time_months", "statistic",
    "published", "median", "lower", "upper", "outside", "used", "note",
)  # fmt: skip
"""Columns of a survival model's ``reproduce`` frame."""

Prediction = tuple[np.ndarray, float, str | None, str]
"""Predictive draws, the published value, the arm (None for both) and the statistic."""


def reproduce_row(trial: str, e: Entry, prediction: Prediction, *, used: bool,
                  note: str) -> dict[str, Any]:
    """Return one row of :data:`REPRODUCE_COLUMNS`: a published value beside its prediction.

    ``outside`` says whether the published value lies outside the central
    :data:`~bayes_scot.conventions.CREDIBLE_LEVEL` predictive interval.
    """
    draws, published, arm, statistic = prediction
    alpha = (1.0 - CREDIBLE_LEVEL) / 2.0
    lo, med, hi = np.quantile(draws, [alpha, 0.5, 1.0 - alpha])
    return {
        "trial": trial, "entry": e.id, "endpoint": e.endpoint, "population": e.population,
        "arm": arm, "time_months": e.time, "statistic": statistic, "published": published,
        "median": med, "lower": lo, "upper": hi,
        "outside": bool(published < lo or published > hi), "used": used, "note": note,
    }  # fmt: skip


def predict_entry(e: Entry, flat: np.ndarray, arms: Sequence[str], trial: Trial,
                  edges: np.ndarray, horizon: float,
                  rng: np.random.Generator) -> Iterator[Prediction]:
    """Yield the predictions of one EFS or OS entry from the illness-death model.

    Parameters
    ----------
    e : Entry
        Landmark counts, a survival estimate or a reported hazard ratio.
    flat : numpy.ndarray
        Transition hazards (draws, arm, interval, transition).
    arms : sequence of str
        The arms of ``flat``, experimental first.
    trial : Trial
        The entry's trial (its arm sizes).
    edges : numpy.ndarray
        Interval boundaries in months.
    horizon : float
        The model's last boundary: a ratio's window is cut there.
    rng : numpy.random.Generator
    """
    if isinstance(e, LandmarkEvents):
        probs = state_probabilities(flat, edges, [e.time_months])[:, :, 0, :]
        for a, arm in enumerate(arms):
            if arm not in e.events:
                continue
            p = probs[:, a, :]
            counts = rng.multinomial(int(e.n[arm]), p / p.sum(axis=-1, keepdims=True))
            draws = counts[:, 1] + counts[:, 2] if e.endpoint == _EFS else counts[:, 2]
            yield draws, float(e.events[arm]), arm, "events"
    elif isinstance(e, SurvivalEstimate):
        probs = state_probabilities(flat, edges, [e.time_months])[:, :, 0, :]
        surv = probs[..., 0] if e.endpoint == _EFS else probs[..., 0] + probs[..., 1]
        for a, arm in enumerate(arms):
            if arm not in e.survival:
                continue
            n_arm = (e.n or {}).get(arm) or trial.n(arm, e.population)
            size, _ = _effective_size(e, arm, n_arm)
            m = max(round(size), 1)
            draws = rng.binomial(m, np.clip(surv[:, a], 0.0, 1.0)) / m
            yield draws, float(e.survival[arm]), arm, "survival"
    elif isinstance(e, ReportedRatio) and e.measure == "HR":
        end = min((e.window_months or (0.0, horizon))[1], horizon)
        cuts = np.unique(np.concatenate(
            [[0.0], [b for b in edges if 0 < b < end], [end]]
        ))
        probs = state_probabilities(flat, edges, cuts)  # (draws, arm, cut, 3)
        surv = probs[..., 0] if e.endpoint == _EFS else probs[..., 0] + probs[..., 1]
        n = np.array([trial.n(a, e.population) for a in arms], dtype=float)
        model = _np_weighted_log_hr(surv, n)
        se = _log_ratio_se(e)
        yield np.exp(model + se * rng.standard_normal(model.shape)), e.estimate, None, "hr"


def trial_rows(trial: Trial, flat: np.ndarray, edges: np.ndarray, horizon: float, *,
               population: str, uses: Mapping[tuple[str, str], EvidenceUse],
               rng: np.random.Generator) -> list[dict[str, Any]]:
    """Rows of :data:`REPRODUCE_COLUMNS` for every EFS and OS summary of one trial.

    Summaries of another population than the fit's are predicted by this population's
    model with the other population's ``n``, and say so: they are a comparison, not
    evidence. A population without per-arm sizes cannot be predicted and is left out.

    Parameters
    ----------
    trial : Trial
        The trial with all its populations.
    flat : numpy.ndarray
        Its transition hazards (draws, arm, interval, transition).
    edges : numpy.ndarray
    horizon : float
    population : str
        The fit's population.
    uses : mapping of (str, str) to EvidenceUse
        The evidence log by (trial, entry).
    rng : numpy.random.Generator
    """
    rows = []
    arms = (trial.experimental, trial.control)
    for e in trial.entries:
        if e.endpoint not in (_EFS, _OS):
            continue
        sizes = trial.populations.get(e.population)
        if sizes is None or not all(a in sizes.n for a in arms):
            continue
        note = ""
        if e.population != population:
            note = (f"{e.population} summary predicted by the "
                    f"{population} model: a comparison, not evidence")
        use = uses.get((trial.name, e.id))
        if use is not None:
            note = "; ".join(x for x in (use.note, note) if x)
        for prediction in predict_entry(e, flat, arms, trial, edges, horizon, rng):
            rows.append(reproduce_row(trial.name, e, prediction,
                                      used=bool(use is not None and use.used), note=note))
    return rows
