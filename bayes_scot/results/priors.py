"""Every prior of a reanalysis, and what it implies on the estimands the report shows.

A named prior is stated on a model parameter ("5% probability that the hazard ratio is
below 0.8" on the log of the survival model's EFS average hazard ratio, reported as
``efs:hazard_ratio_common``), and the report also shows estimands that are functions of
many parameters. :func:`priors_table` puts each prior's statement first beside the prior
P(superior) and P(superior by the MCID) of the estimand it is stated on (``role``
``"stated"``: the named prior's closed form, which the runner gives that estimand's prior
draws, :func:`~bayes_scot.stats.estimands.exact_parameter_priors`), then beside what it
implies on each headline estimand (``role`` ``"implied"``), from the prior draws of the
same model (:attr:`~bayes_scot.results.PriorFit.prior_estimands`), so a reader sees both
that the statement holds and what it means for what is reported.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd

from bayes_scot.results.fits import PriorFit
from bayes_scot.results.joint import parse_estimand_key

__all__ = ["PRIORS_COLUMNS", "priors_table"]

PRIORS_COLUMNS: tuple[str, ...] = (
    "family",
    "prior",
    "statement",
    "distribution",
    "parameter",
    "role",
    "endpoint",
    "estimand",
    "prior_p_superior",
    "prior_p_mcid",
)
"""Columns of :func:`priors_table`, in order (documented in ``docs/report-schema.md``)."""


def priors_table(
    fits: Iterable[PriorFit], headline: Sequence[str | Sequence[str]] = ()
) -> pd.DataFrame:
    """One row per family, prior, effect parameter and estimand shown under it.

    Parameters
    ----------
    fits : iterable of PriorFit
        Fits with ``effect_priors`` (fits without, such as a model-based route, are
        skipped).
    headline : sequence of str or pairs, optional
        ``"endpoint:estimand"`` keys.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PRIORS_COLUMNS`, per family, prior and parameter: first the
        estimands that carry the parameter (``attrs["parameter"]``; ``role``
        ``"stated"``: the statement is made on it), then the family's headline estimands
        (``role`` ``"implied"``); one row with NaN probabilities when there is neither.
        ``distribution`` is e.g. ``"Normal(0, 0.205)"`` on ``parameter``;
        ``prior_p_superior`` and ``prior_p_mcid`` are the share of the estimand's prior
        draws beyond its null and its MCID (NaN without prior draws or an MCID).
    """
    keys = [parse_estimand_key(k) for k in headline]
    rows = []
    for fit in fits:
        if fit.route or not fit.effect_priors:
            continue
        own = [(a, b) for a, b in keys
               if any((e.endpoint, e.estimand) == (a, b) for e in fit.estimands)]
        for parameter, prior in fit.effect_priors.items():
            stated = [(e.endpoint, e.estimand) for e in fit.estimands
                      if e.attrs.get("parameter") == parameter]
            shown = [(key, "stated") for key in stated]
            shown += [(key, "implied") for key in own if key not in stated]
            base = {
                "family": fit.family,
                "prior": fit.prior,
                "statement": str(getattr(prior, "statement", "")),
                "distribution": f"Normal({float(prior.mean):.4g}, {float(prior.sd):.4g})",
                "parameter": parameter,
            }
            for (endpoint, estimand), role in shown or [(("", ""), "")]:
                draws = fit.prior_estimand(endpoint, estimand) if endpoint else None
                p_superior = p_mcid = float("nan")
                if draws is not None and not math.isnan(draws.null):
                    p_superior, p_mcid = draws.p_superior(), draws.p_mcid()
                rows.append({
                    **base, "role": role, "endpoint": endpoint, "estimand": estimand,
                    "prior_p_superior": p_superior, "prior_p_mcid": p_mcid,
                })
    return pd.DataFrame(rows, columns=list(PRIORS_COLUMNS))
