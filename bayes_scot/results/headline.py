"""The headline estimands of a reanalysis, of which its report speaks first.

The priors table and the tipping points cover them too.

- :func:`without_data`: the estimands that no data speak to, never a headline result;
- :func:`headline_keys`: the specification's ``[joint]`` estimands, or without them one
  comparative estimand of each endpoint (at most :data:`HEADLINE_MAX`).

Both read fits and the superiority table only, so that the reanalysis (its priors table
and tipping points) and the report choose the same estimands.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from bayes_scot.results.fits import PriorFit
from bayes_scot.results.joint import EstimandKey, parse_estimand_key

__all__ = ["HEADLINE_MAX", "headline_keys", "without_data"]

HEADLINE_MAX = 4
"""Most estimands in the headline when the specification names no ``[joint]`` set."""


def without_data(fits: Iterable[PriorFit]) -> dict[EstimandKey, str]:
    """Return the estimands that no data speak to, each with what its posterior is.

    An estimand has no data when its builder sets ``attrs["no_data"]`` (an endpoint
    without evidence of its own on the treatment effect). Its posterior is ``"its
    prior"`` when nothing reaches it either (``attrs["prior_only"]``, the flag the
    attribution of :mod:`bayes_scot.results.attribution` reads too), else ``"predicted
    from the other endpoints"``.

    Parameters
    ----------
    fits : iterable of PriorFit

    Returns
    -------
    dict of (endpoint, estimand) to str
    """
    out = {}
    for fit in fits:
        for e in fit.estimands:
            prior_only = bool(e.attrs.get("prior_only", False))
            if prior_only or e.attrs.get("no_data", False):
                out[(e.endpoint, e.estimand)] = ("its prior" if prior_only
                                                 else "predicted from the other endpoints")
    return out


def headline_keys(fits: Sequence[PriorFit], table: pd.DataFrame,
                  joint: Sequence[str | Sequence[str]] = ()) -> list[EstimandKey]:
    """Return the headline estimands as ``(endpoint, estimand)`` pairs.

    The ``joint`` estimands that the table holds as comparisons (rows with a
    P(superior)); without them, one comparative estimand of each endpoint, at most
    :data:`HEADLINE_MAX`: the one on which the named priors are stated (its builder's
    ``attrs["parameter"]``: the hazard ratio, the difference at the reference visit, the
    net benefit), so that the priors' statements hold on the prior probabilities shown
    beside them, else the endpoint's first. An estimand that no data speak to
    (:func:`without_data`) is never a headline result, and the trials' mean effect of a
    model that borrows (``attrs["across_trials"]``) is one only when ``joint`` names it:
    the headline is the target trial's own version of it (``attrs["target_effect_of"]``).

    Parameters
    ----------
    fits : sequence of PriorFit
        The reanalysis's fits.
    table : pandas.DataFrame
        Their superiority table (:func:`~bayes_scot.results.superiority_table`).
    joint : sequence of str or pairs, optional
        The specification's ``[joint]`` estimands, ``"endpoint:estimand"`` keys.

    Returns
    -------
    list of (str, str)
        Empty when the table holds no comparison.
    """
    if table.empty:
        return []
    no_data = without_data(fits)
    comparative = table[table["p_superior"].notna()]
    present = [key for key in zip(comparative["endpoint"], comparative["estimand"],
                                  strict=True) if key not in no_data]
    available = set(present)
    chosen = [key for key in map(parse_estimand_key, joint) if key in available]
    if chosen:
        return chosen
    carriers = {(e.endpoint, e.estimand) for fit in fits for e in fit.estimands
                if (e.attrs.get("parameter") and not e.attrs.get("across_trials"))
                or e.attrs.get("target_effect_of")}
    first: dict[str, EstimandKey] = {}
    for endpoint, estimand in sorted(present, key=lambda key: key not in carriers):
        first.setdefault(endpoint, (endpoint, estimand))
    order = list(dict.fromkeys(endpoint for endpoint, _ in present))
    return [first[endpoint] for endpoint in order][:HEADLINE_MAX]
