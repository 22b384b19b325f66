"""How the survival answers depend on the structure of the treatment effect.

In the illness-death model overall survival has no effect parameter of its own: its
hazard ratio and survival difference follow from the three transitions, so how much OS
borrows from event-free survival depends on how the transition effects are tied together
(``SurvivalOptions.effect_structure``). :func:`structure_sensitivity` puts the same
estimands side by side under each structure, with their prior probabilities and each
fit's diagnostics gate, so a reader sees whether a conclusion rests on that choice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.results.fits import DiagnosticsLike, flag_reasons
from bayes_scot.stats.estimands import EstimandDraws, summarise_draws

__all__ = ["STRUCTURE_COLUMNS", "STRUCTURE_MEANINGS", "StructureFit", "structure_sensitivity"]

STRUCTURE_COLUMNS: tuple[str, ...] = (
    "structure", "meaning", "shipped", "endpoint", "estimand", "label", "median", "lower",
    "upper", "p_superior", "p_mcid", "prior_p_superior", "prior_p_mcid", "passed",
)  # fmt: skip
"""Columns of :func:`structure_sensitivity`, in order (``docs/report-schema.md``)."""

STRUCTURE_MEANINGS: Mapping[str, str] = {
    "common": "one hazard ratio for every transition and interval (proportional hazards)",
    "per_transition": "transition and interval deviations, partially pooled (estimated SDs)",
    "independent": "no pooling between transitions; death after organ failure has its own "
    "hazard ratio under the same named prior",
}
"""One line per effect structure, as the report prints it."""


@dataclass(frozen=True)
class StructureFit:
    """One effect structure's fit under the reference prior.

    Parameters
    ----------
    structure : str
        ``"common"``, ``"per_transition"`` or ``"independent"``.
    estimands, prior_estimands : sequence of EstimandDraws
        Posterior and prior draws of the fit's estimands.
    diagnostics : DiagnosticsLike
        The fit's sampler diagnostics.
    shipped : bool
        Whether this is the structure of the analysis's own fits.
    """

    structure: str
    estimands: Sequence[EstimandDraws]
    prior_estimands: Sequence[EstimandDraws]
    diagnostics: DiagnosticsLike
    shipped: bool = False


def structure_sensitivity(
    fits: Sequence[StructureFit],
    keys: Sequence[tuple[str, str]],
    *,
    level: float = CREDIBLE_LEVEL,
) -> pd.DataFrame:
    """One row per effect structure and estimand: posterior beside prior, and the gate.

    Parameters
    ----------
    fits : sequence of StructureFit
    keys : sequence of (endpoint, estimand)
        The estimands to compare (those a fit lacks are skipped).
    level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`
        Mass of the central credible interval.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STRUCTURE_COLUMNS`. ``p_superior`` and ``p_mcid`` are posterior
        probabilities, ``prior_*`` the same from the prior draws (NaN without them);
        ``passed`` is the diagnostics gate of the estimand and its fit
        (:func:`~bayes_scot.results.fits.flag_reasons`).
    """
    rows = []
    for fit in fits:
        posterior = {(e.endpoint, e.estimand): e for e in fit.estimands}
        prior = {(e.endpoint, e.estimand): e for e in fit.prior_estimands}
        for key in keys:
            if key not in posterior:
                continue
            summary = summarise_draws(posterior[key], level)
            before = prior.get(key)
            reasons = flag_reasons(
                rhat=summary.rhat, ess_bulk=summary.ess_bulk,
                divergences=fit.diagnostics.divergences,
                fit_rhat_max=fit.diagnostics.rhat_max,
                fit_ess_bulk_min=fit.diagnostics.ess_bulk_min,
            )
            rows.append({
                "structure": fit.structure,
                "meaning": STRUCTURE_MEANINGS.get(fit.structure, ""),
                "shipped": fit.shipped,
                "endpoint": key[0],
                "estimand": key[1],
                "label": posterior[key].label,
                "median": summary.median,
                "lower": summary.lower,
                "upper": summary.upper,
                "p_superior": summary.p_superior,
                "p_mcid": summary.p_mcid,
                "prior_p_superior": before.p_superior() if before else math.nan,
                "prior_p_mcid": before.p_mcid() if before else math.nan,
                "passed": not reasons,
            })  # fmt: skip
    return pd.DataFrame(rows, columns=list(STRUCTURE_COLUMNS))
