"""The superiority table: one row per endpoint, estimand and prior.

Every number a reader sees about an effect comes from this table: the posterior median
and central credible interval, the probabilities that the experimental arm is superior,
superior by at least the MCID, or inferior, the convergence diagnostics, what drove the
estimate, and whether the result fails the diagnostics gate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.results.attribution import SHARE_COLUMNS, attribute
from bayes_scot.results.fits import PriorFit, flag_reasons
from bayes_scot.stats.estimands import EstimandDraws, summarise_many

__all__ = ["TABLE_COLUMNS", "superiority_table"]

TABLE_COLUMNS: tuple[str, ...] = (
    "family",
    "endpoint",
    "estimand",
    "label",
    "prior",
    "median",
    "lower",
    "upper",
    "p_superior",
    "p_mcid",
    "p_harm",
    "prior_median",
    "prior_p_superior",
    "prior_p_mcid",
    "null",
    "superior",
    "mcid",
    "mcid_source",
    "unit",
    "rhat",
    "ess_bulk",
    "divergences",
    "evidence",
    "extrapolated",
    *SHARE_COLUMNS,
    "flagged",
    "flag_reason",
)
"""Columns of :func:`superiority_table`, in order (documented in ``docs/report-schema.md``)."""


def _followed_prior_share(fit: PriorFit, e: EstimandDraws,
                          memo: dict[tuple[int, object], float]) -> float | None:
    """Return the prior share of the effect estimand ``e`` follows, or ``None``.

    A row naming ``attrs["attribute_through"]`` (``(endpoint, estimand)`` of the same
    fit) takes that estimand's prior share (:mod:`bayes_scot.results.attribution`);
    ``memo`` keeps each fit's shares once computed.
    """
    key = e.attrs.get("attribute_through")
    if not isinstance(key, tuple) or len(key) != 2:
        return None
    if (id(fit), key) not in memo:
        followed = next((x for x in fit.estimands
                         if (x.endpoint, x.estimand) == key), None)
        memo[(id(fit), key)] = math.nan if followed is None else attribute(
            followed, fit.prior_estimand(*key), fit.likelihood_terms).share_prior
    share = memo[(id(fit), key)]
    return None if math.isnan(share) else share


def superiority_table(
    fits: Iterable[PriorFit],
    *,
    priors: Sequence[str] | None = None,
    level: float = CREDIBLE_LEVEL,
) -> pd.DataFrame:
    """Summarise every estimand of every fit, one row per (endpoint, estimand, prior).

    Parameters
    ----------
    fits : iterable of PriorFit
        One entry per (model family, prior).
    priors : sequence of str, optional
        Order of the priors in the table (default: the order they first appear).
    level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`
        Mass of the central credible interval ``[lower, upper]``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TABLE_COLUMNS`. Rows are ordered by family and estimand as the
        fits report them, then by prior. ``p_superior`` is the posterior probability
        that the experimental arm is superior (beyond ``null`` on the ``superior``
        side), ``p_mcid`` that it is superior by at least ``mcid`` (NaN without one),
        ``p_harm`` that it is inferior; all three are NaN for a descriptive quantity
        (a per-arm survival, whose ``null`` is NaN). ``rhat`` and ``ess_bulk`` are the
        estimand's own; ``divergences`` the fit's. ``flagged`` is True when the
        estimand or its fit fails the diagnostics gate
        (:func:`~bayes_scot.results.fits.flag_reasons`), with the reasons in
        ``flag_reason``. ``prior_median``, ``prior_p_superior`` and ``prior_p_mcid``
        are the same summaries of the estimand's prior draws (NaN when the fit drew
        none); ``share_trial``, ``share_external``, ``share_borrowing`` and
        ``share_prior`` split the posterior among its sources and sum to one, with
        ``drivers`` in words (:func:`~bayes_scot.results.attribution.attribute`).
        ``extrapolated`` is True when the estimand lies outside the span of its
        endpoint's data (:attr:`~bayes_scot.stats.estimands.EstimandDraws.extrapolated`):
        the model, not the data, gives it.

    Notes
    -----
    A flagged row is kept, never dropped: the reader sees the number and the reason not
    to trust it.
    """
    fits = list(fits)
    order = list(priors) if priors is not None else list(dict.fromkeys(f.prior for f in fits))
    rank = {name: i for i, name in enumerate(order)}
    unknown = sorted({f.prior for f in fits} - set(rank))
    for name in unknown:
        rank[name] = len(rank)
    families = list(dict.fromkeys(f.family for f in fits))
    estimand_rank: dict[tuple[str, str, str], int] = {}
    for f in fits:
        for e in f.estimands:
            estimand_rank.setdefault((f.family, e.endpoint, e.estimand), len(estimand_rank))

    summaries = iter(summarise_many([e for f in fits for e in f.estimands], level=level))
    followed: dict[tuple[int, object], float] = {}
    rows = []
    for f in fits:
        diag = f.diagnostics
        divergences = int(diag.divergences)
        for e in f.estimands:
            s = next(summaries)
            reasons = flag_reasons(
                rhat=s.rhat,
                ess_bulk=s.ess_bulk,
                divergences=divergences,
                fit_rhat_max=float(diag.rhat_max),
                fit_ess_bulk_min=float(diag.ess_bulk_min),
            )
            descriptive = math.isnan(e.null)
            nan = float("nan")
            prior = f.prior_estimand(e.endpoint, e.estimand)
            shares = attribute(e, prior, f.likelihood_terms,
                               share_prior=_followed_prior_share(f, e, followed))
            rows.append(
                {
                    "family": f.family,
                    "endpoint": e.endpoint,
                    "estimand": e.estimand,
                    "label": e.label,
                    "prior": f.prior,
                    "median": s.median,
                    "lower": s.lower,
                    "upper": s.upper,
                    "p_superior": nan if descriptive else s.p_superior,
                    "p_mcid": nan if descriptive else s.p_mcid,
                    "p_harm": nan if descriptive else s.p_harm,
                    "prior_median": nan if prior is None else float(np.nanmedian(prior.draws)),
                    "prior_p_superior": nan if descriptive or prior is None
                    else prior.p_superior(),
                    "prior_p_mcid": nan if descriptive or prior is None else prior.p_mcid(),
                    "null": float(e.null),
                    "superior": e.superior,
                    "mcid": float("nan") if e.mcid is None else float(e.mcid),
                    "mcid_source": e.mcid_source,
                    "unit": e.unit,
                    "rhat": s.rhat,
                    "ess_bulk": s.ess_bulk,
                    "divergences": divergences,
                    "evidence": e.evidence,
                    "extrapolated": bool(e.extrapolated),
                    "share_trial": shares.share_trial,
                    "share_external": shares.share_external,
                    "share_borrowing": shares.share_borrowing,
                    "share_prior": shares.share_prior,
                    "drivers": shares.drivers,
                    "flagged": bool(reasons),
                    "flag_reason": "; ".join(reasons),
                    "_order": (
                        families.index(f.family),
                        estimand_rank[(f.family, e.endpoint, e.estimand)],
                        rank[f.prior],
                    ),
                }
            )
    if not rows:
        return pd.DataFrame(columns=list(TABLE_COLUMNS))
    df = pd.DataFrame(rows).sort_values("_order", kind="stable")
    return df.drop(columns="_order").reset_index(drop=True)[list(TABLE_COLUMNS)]
