"""How much each endpoint of the longitudinal model borrows from the others.

:func:`endpoint_pooling` tabulates, per endpoint, the standard error of its own evidence
and the shrinkage factor of the shared-factor hierarchy
(:meth:`bayes_scot.builders.longitudinal.LongitudinalModel.endpoint_pooling`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from bayes_scot import _compat
from bayes_scot.builders.longitudinal.graph import EFFECT
from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.stats.priors import EffectPrior

__all__ = ["direct_se", "endpoint_pooling"]


def endpoint_pooling(model: Any, idata: Any,
                     prior: EffectPrior | Mapping[str, EffectPrior] | None = None,
                     ) -> pd.DataFrame:
    r"""Tabulate how much each endpoint's effect borrows from the other endpoints.

    Borrowing here is across the endpoints of one trial (the shared factor of the
    standardised effects), not across trials as in
    :func:`bayes_scot.results.borrowing_table`.

    Parameters
    ----------
    model : LongitudinalModel
    idata : arviz.InferenceData
    prior : EffectPrior or mapping, optional
        The prior the fit used (as for
        :meth:`~bayes_scot.builders.longitudinal.LongitudinalModel.prior_data`); default
        the reference.

    Returns
    -------
    pandas.DataFrame
        One row per endpoint: ``evidence`` (attribution), ``effect_shape``,
        ``in_hierarchy`` (whether the endpoint is in the model's ``pooled_endpoints``),
        ``direct_se`` (the standardised standard error of the endpoint's own
        evidence on its effect, ``inf`` when it has none), ``correlation_median``
        (of :math:`\omega`), ``shrinkage_median``, ``shrinkage_lower``,
        ``shrinkage_upper``.

    Notes
    -----
    Given the shared factor, endpoint :math:`e`'s effect has the conditional prior
    :math:`N(m_e + k_e \sqrt{\omega} z_0,\ k_e^2 (1 - \omega))`, so the shrinkage
    factor of a normal hierarchical model,
    :math:`B_e = d_e^2 / (d_e^2 + k_e^2 (1 - \omega))`, is the weight that the
    hierarchy (the other endpoints and the prior) gets in the endpoint's estimate: 0
    means the endpoint stands on its own evidence, 1 means it is predicted from the
    others. :math:`d_e` is approximated from the endpoint's own evidence as if every
    term spoke directly to :math:`\theta_e`: a contrast at visit :math:`t` or a
    slope contrast times the window's length, in endpoint SDs, with external terms'
    variances divided by their weights; the posterior of :math:`\omega` gives the
    interval. Without borrowing, every shrinkage is 0, and so is that of an
    endpoint left out of the hierarchy (:attr:`pooled_endpoints`).
    """
    posterior = _compat.get_group(idata, "posterior")
    alpha = (1.0 - CREDIBLE_LEVEL) / 2.0
    if model.pooled_endpoints:
        omega = posterior["endpoint_correlation"].to_numpy().ravel()
    else:
        omega = np.zeros(1)
    prior_sd = model.prior_data(prior or model.prior_grid()["reference"])[
        f"{EFFECT}_prior_sd"]
    records = []
    for i, e in enumerate(model.options.endpoints):
        d = direct_se(model, e)
        spread = prior_sd[i] ** 2 * (1.0 - omega)
        shrink = d**2 / (d**2 + spread) if np.isfinite(d) else np.ones_like(omega)
        if e not in model.pooled_endpoints:
            shrink = np.zeros_like(omega)
        lo, med, hi = np.quantile(shrink, [alpha, 0.5, 1 - alpha])
        records.append({
            "endpoint": e, "evidence": model.attribution[e],
            "effect_shape": model.effect_shapes[e],
            "in_hierarchy": e in model.pooled_endpoints, "direct_se": d,
            "correlation_median": float(np.median(omega)) if model.pooled_endpoints
            else float("nan"),
            "shrinkage_median": med, "shrinkage_lower": lo, "shrinkage_upper": hi,
        })
    return pd.DataFrame.from_records(records)

def direct_se(model: Any, endpoint: str) -> float:
    """Return the standardised SE of an endpoint's own evidence on its effect (inf: none)."""
    scale = model.scales[endpoint]
    precision = 0.0
    rows = [*model._plan.independent, *model._plan.external]
    for row in rows:
        t = row.term
        if t.endpoint != endpoint or not t.used or t.arm is not None or t.se is None:
            continue
        if t.statistic == "slope_difference":
            length = (t.time_months or 0.0) / 12.0
            se = t.se * max(length, 1e-9) / scale
        else:
            se = t.se / scale
        weight = 1.0 if t.weight is None else t.weight
        precision += weight / se**2
    # Arm-level pairs (slopes or visit means of both arms) speak to the contrast too.
    pairs: dict[tuple[str, float | None, str], dict[str, float]] = defaultdict(dict)
    for row in [*model._plan.independent, *(r for g in model._plan.vectors.values() for r in g)]:
        t = row.term
        if t.endpoint == endpoint and t.used and t.arm in model.arms and t.se is not None \
                and (t.time_months or 0) > 0:
            pairs[(t.entry if t.statistic == "slope_per_year" else "",
                   t.time_months, t.statistic)][t.arm] = t.se
    for (_entry, time, statistic), ses in pairs.items():
        if len(ses) == 2:
            se = math.hypot(*ses.values()) / scale
            if statistic == "slope_per_year":
                se *= (time or 0.0) / 12.0
            precision += 1.0 / se**2
    return math.inf if precision == 0 else 1.0 / math.sqrt(precision)
