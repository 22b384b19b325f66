"""The while-alive composite of a continuous endpoint: death ranked worst.

The longitudinal model's estimands are survivor averages (means among patients alive and
measured); :func:`while_alive_net_benefit` combines them with overall survival from the
survival model, as the GRCS does. It reads two families' posteriors, so it lives among
the results.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.special import ndtr

from bayes_scot.errors import EvidenceError
from bayes_scot.stats.estimands import EstimandDraws

__all__ = ["while_alive_net_benefit"]


def while_alive_net_benefit(
    model: Any,
    idata: Any,
    survival: Mapping[str, np.ndarray],
    *,
    endpoint: str,
    visit_months: float,
    sd: float | None = None,
) -> EstimandDraws:
    r"""While-alive composite at a visit, death ranked worst: the experimental arm's net benefit.

    Parameters
    ----------
    model : bayes_scot.builders.longitudinal.LongitudinalModel
    idata : arviz.InferenceData
        Posterior of ``model``.
    survival : mapping of str to numpy.ndarray
        Overall survival probability at ``visit_months`` per arm (the model's arm names),
        each of shape ``(chain, draw)`` matching ``idata`` (from the survival model's
        posterior). Fits are independent, so pairing draws by index samples their joint.
    endpoint : str
    visit_months : float
        A time within the visit grid.
    sd : float, optional
        Between-patient SD of the endpoint's change among survivors (default: the
        model's standardising SD for the endpoint).

    Returns
    -------
    EstimandDraws
        ``while_alive_net_benefit_<t>``: :math:`P(\text{win}) - P(\text{loss})` for a random
        patient of the experimental arm against a random patient of the control arm;
        null 0, superior ``"higher"``.

    Notes
    -----
    A pair is compared on death first (alive beats dead; two deaths tie), then, both
    alive, on the endpoint's change from baseline. With survival :math:`S_E, S_C` and
    survivors' changes normal with means :math:`m_E, m_C` (the model's survivor averages)
    and common SD :math:`\sigma`, :math:`q = \Phi(s (m_E - m_C) / (\sigma\sqrt{2}))` is the
    probability that a survivor of the experimental arm does better (``s`` = +1 when
    higher is better) and

    .. math::
        P(\text{win}) &= S_E (1 - S_C) + S_E S_C q, \\
        P(\text{loss}) &= (1 - S_E) S_C + S_E S_C (1 - q).

    Assumptions: survivors' changes are normal with a common SD, survival and the
    endpoint are independent within an arm beyond the death ranking, and patients alive
    but not measured resemble those measured. The survivor-average estimands of
    :meth:`LongitudinalModel.estimands` drop the deaths; this one counts them, as the
    GRCS does.

    References
    ----------
    .. [1] Buyse M. Generalized pairwise comparisons of prioritized outcomes in the
       two-group case. Stat Med 2010;29:3245-3257. doi:10.1002/sim.3923
    .. [2] Finkelstein DM, Schoenfeld DA. Combining mortality and longitudinal measures in
       clinical trials. Stat Med 1999;18:1341-1354.
    """
    experimental, control = model.arms
    missing = {experimental, control} - set(survival)
    if missing:
        raise EvidenceError(f"survival draws missing for arms {sorted(missing)}",
                            field="survival")
    t = float(visit_months)
    m = model.change_at(idata, endpoint, t)  # (chain, draw, arm)
    s_e = np.asarray(survival[experimental], dtype=float)
    s_c = np.asarray(survival[control], dtype=float)
    if s_e.shape != m.shape[:2] or s_c.shape != m.shape[:2]:
        raise EvidenceError(
            f"survival draws have shape {s_e.shape}/{s_c.shape}; the longitudinal posterior "
            f"has {m.shape[:2]} (chain, draw)", field="survival",
        )
    if np.any((s_e < 0) | (s_e > 1) | (s_c < 0) | (s_c > 1)):
        raise EvidenceError("survival probabilities must lie in [0, 1]", field="survival")
    spread = model.scales[endpoint] if sd is None else float(sd)
    better = model.endpoints[endpoint]
    q = ndtr(better.sign * (m[..., 0] - m[..., 1]) / (spread * math.sqrt(2.0)))
    win = s_e * (1 - s_c) + s_e * s_c * q
    loss = (1 - s_e) * s_c + s_e * s_c * (1 - q)
    return EstimandDraws(
        endpoint=endpoint,
        estimand=f"while_alive_net_benefit_{t:g}",
        label=(f"{better.label} at {t:g} months, while alive (death ranked worst): net "
               "benefit of {} over {}, P(win) - P(loss)".format(*model.trial.arm_labels)),
        draws=win - loss,
        null=0.0,
        superior="higher",
        evidence=model.attribution[endpoint] + " + survival model",
        attrs={"estimand_population": "all randomised, death ranked worst",
               "sd": spread, "evidence_detail": model.evidence_detail(endpoint)},
    )
