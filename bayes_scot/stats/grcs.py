"""The GRCS's published summary and the win statistics both GRCS routes report.

SCOT's primary endpoint, the global rank composite score, is reported as a pairwise
summary (:class:`~bayes_scot.evidence.PairwiseSummary`). The direct route
(:class:`bayes_scot.builders.composite.CompositeModel`) and the model-based route
(:func:`bayes_scot.results.grcs.model_based_grcs`) find that summary, name their
estimands and set the published percentages beside their predictions in the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import PairwiseSummary, Trial
from bayes_scot.evidence.trial import ALL_POPULATIONS

__all__ = [
    "ENDPOINT",
    "WIN_LABELS",
    "WIN_NULLS",
    "analysed_population",
    "grcs_entry",
    "percent_favourable_rows",
]

ENDPOINT = "grcs"
"""Endpoint name of every estimand of this module."""

WIN_LABELS: Mapping[str, str] = {
    "net_benefit": "net benefit (P(win) - P(loss))",
    "win_probability": "win probability (ties split)",
    "win_odds": "win odds",
    "win_ratio": "win ratio",
    "p_win": "proportion of pairs won",
    "p_loss": "proportion of pairs lost",
}
"""Label of each win statistic, as the estimands name it."""

WIN_NULLS: Mapping[str, tuple[float, Literal["higher", "lower"]]] = {
    "net_benefit": (0.0, "higher"),
    "win_probability": (0.5, "higher"),
    "win_odds": (1.0, "higher"),
    "win_ratio": (1.0, "higher"),
    "p_win": (0.5, "higher"),
    "p_loss": (0.5, "lower"),
}
"""Null value and better direction of each win statistic."""


def analysed_population(trial: Trial, time_months: float, endpoint: str = ENDPOINT) -> str:
    """Return the population whose published pairwise summary an analysis uses.

    The trial's own population; for a view of all populations, the first population in
    the file's order that reports the summary of ``endpoint`` (default the GRCS) at
    ``time_months`` (else the file's first population, whose missing summary
    :func:`~bayes_scot.stats.grcs.grcs_entry` reports).
    """
    if trial.population != ALL_POPULATIONS:
        return trial.population
    reporting = {e.population for e in trial.evidence(PairwiseSummary, endpoint=endpoint)
                 if e.time_months == time_months}
    return next((p for p in trial.populations if p in reporting), next(iter(trial.populations)))


def grcs_entry(trial: Trial, time_months: float, population: str,
               endpoint: str = ENDPOINT) -> PairwiseSummary:
    """Return the trial's pairwise summary of a composite endpoint at a time in a population.

    Parameters
    ----------
    trial : Trial
    time_months : float
    population : str
    endpoint : str, default "grcs"
        The composite endpoint (SCOT's GRCS, or one a trial file declares with
        ``kind = "composite"``).

    Raises
    ------
    EvidenceError
        When there is none (one line naming the trial's file and the summaries it has).
    """
    entries = [
        e
        for e in trial.evidence(PairwiseSummary, endpoint=endpoint, population=population)
        if e.time_months == time_months
    ]
    if not entries:
        available = ", ".join(
            f"{e.id} ({e.population}, {e.time_months:g} months)"
            for e in trial.evidence(PairwiseSummary, endpoint=endpoint)
        ) or "none"
        others = sorted({e.endpoint for e in trial.evidence(PairwiseSummary)} - {endpoint})
        elsewhere = (f"; this file's other pairwise summaries are of "
                     f"{', '.join(map(repr, others))}: name one with the composite option "
                     "'endpoint'" if others else "")
        name = "GRCS" if endpoint == ENDPOINT else repr(endpoint)
        raise EvidenceError(
            f"no {name} pairwise summary at {time_months:g} months for population "
            f"{population!r}; available: {available}{elsewhere}",
            file=trial.path,
            field="pairwise",
        )
    return entries[0]


def percent_favourable_rows(
    trial_name: str, entry: PairwiseSummary, percent: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    """Set the published percentages favourable to each arm beside predictive draws of them.

    Parameters
    ----------
    trial_name : str
    entry : PairwiseSummary
        The published summary.
    percent : mapping of str to numpy.ndarray
        Draws of the percentage of pairs favourable to each arm.

    Returns
    -------
    pandas.DataFrame
        One row per arm: :data:`bayes_scot.results.BUILDER_REPRODUCE_COLUMNS`, with
        ``statistic`` ``"percent_favourable"``.
    """
    alpha = (1.0 - CREDIBLE_LEVEL) / 2.0
    favourable = dict(entry.percent_favourable or {})
    rows = []
    for arm, values in percent.items():
        lower, median, upper = np.nanquantile(values, [alpha, 0.5, 1.0 - alpha])
        published = float(favourable[arm])
        rows.append(
            {
                "trial": trial_name,
                "entry": entry.id,
                "endpoint": entry.endpoint,
                "population": entry.population,
                "arm": arm,
                "time_months": float(entry.time_months),
                "statistic": "percent_favourable",
                "published": published,
                "median": float(median),
                "lower": float(lower),
                "upper": float(upper),
                "outside": bool(published < lower or published > upper),
            }
        )
    return pd.DataFrame(rows)
