r"""Calibration and operating characteristics of the normal-normal reanalysis, in closed form.

A reported effect :math:`\hat\theta \sim N(\theta, SE^2)` under a normal prior
:math:`\theta \sim N(m_0, s_0^2)` has the normal posterior of
:func:`bayes_scot.stats.normal_normal.normal_posterior`. This conjugate model is the
reference for the calibration machinery:

* its simulation-based calibration needs no sampler (posterior draws are exact), so the
  rank machinery of :mod:`bayes_scot.calibration.sbc` can be shown to pass when the data
  are simulated under the prior fitted, and to fail when they are not;
* the operating characteristics of the decision rule "declare superiority when
  :math:`P(\theta < c \mid \hat\theta) > q`" are closed forms.

Operating characteristics (lower :math:`\theta` better; the other direction is the
mirror). With :math:`s_1^{-2} = s_0^{-2} + SE^{-2}`, the posterior mean is
:math:`m_1 = s_1^2 m_0 / s_0^2 + (s_1^2/SE^2)\,\hat\theta`, so

.. math::

    P(\theta < c \mid \hat\theta) > q \iff \hat\theta < t^* =
        SE^2 \left(\frac{c - s_1 z_q}{s_1^2} - \frac{m_0}{s_0^2}\right),
    \qquad \Pr(\text{declare} \mid \theta) = \Phi\!\left(\frac{t^* - \theta}{SE}\right),

with :math:`z_q = \Phi^{-1}(q)`; and the expected posterior probability is
:math:`E\,\Phi((c - m_1)/s_1) = \Phi\big((c - E m_1)/\sqrt{s_1^2 + \mathrm{Var}\,m_1}\big)`.
The same rule with :math:`c = 0` is "superior", with :math:`c` the MCID "superior by the
MCID". This is how RBesT's ``oc2S`` frames a two-arm decision (Weber et al. 2021).

References
----------
.. [1] Spiegelhalter DJ, Abrams KR, Myles JP. Bayesian approaches to clinical trials and
   health-care evaluation. Wiley; 2004. Chapter 6.
.. [2] Weber S, Li Y, Seaman JW, Kakizume T, Schmidli H. Applying meta-analytic-predictive
   priors with the R Bayesian evidence synthesis tools. J Stat Softw 2021;100(19).
   doi:10.18637/jss.v100.i19.
.. [3] Tierney JF, Stewart LA, Ghersi D, Burdett S, Sydes MR. Practical methods for
   incorporating summary time-to-event data into meta-analysis. Trials 2007;8:16.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import ndtr, ndtri

from bayes_scot.stats.normal_normal import normal_posterior

__all__ = [
    "hazard_ratio_se",
    "normal_normal_oc",
    "normal_normal_sbc",
    "simulate_normal_normal_oc",
]

Benefit = Literal["lower", "higher"]


def hazard_ratio_se(events: float, allocation: float = 0.5) -> float:
    r"""Return the standard error of a log hazard ratio estimated from ``events`` events.

    :math:`SE = 1/\sqrt{D\,p(1-p)}` for :math:`D` events and allocation fraction
    :math:`p` (Tierney et al. 2007: :math:`V = D/4` at 1:1).

    Parameters
    ----------
    events : float
        Total events expected (or observed) in both arms.
    allocation : float, default 0.5
        Fraction of patients in the experimental arm.

    Returns
    -------
    float
    """
    if not events > 0:
        raise ValueError(f"events must be positive, not {events!r}")
    if not 0.0 < allocation < 1.0:
        raise ValueError(f"allocation must be in (0, 1), not {allocation!r}")
    return 1.0 / math.sqrt(events * allocation * (1.0 - allocation))


def normal_normal_sbc(
    prior_mean: float,
    prior_sd: float,
    se: float,
    *,
    simulations: int,
    draws: int,
    seed: int,
    data_prior: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate, fit exactly, and return the true effects and their posterior draws.

    Parameters
    ----------
    prior_mean, prior_sd : float
        The prior fitted.
    se : float
        Standard error of each simulated estimate.
    simulations : int
        Simulated data sets.
    draws : int
        Exact posterior draws per fit.
    seed : int
    data_prior : (mean, sd), optional
        Prior the true effects are drawn from; default the prior fitted. A different one
        makes a deliberately miscalibrated study.

    Returns
    -------
    truth : numpy.ndarray, shape (simulations,)
    posterior_draws : numpy.ndarray, shape (simulations, draws)
    """
    rng = np.random.default_rng(seed)
    m, s = data_prior if data_prior is not None else (prior_mean, prior_sd)
    truth = rng.normal(m, s, simulations)
    estimates = rng.normal(truth, se)
    mean, sd = normal_posterior(prior_mean, prior_sd, 0.0, se)
    shift = float(sd) ** 2 / se**2  # the posterior mean is mean + shift * estimate
    post_mean = float(mean) + shift * estimates
    return truth, rng.normal(post_mean[:, None], float(sd), (simulations, draws))


def _declare_below(
    prior_mean: float, prior_sd: float, se: float, cut: float, threshold: float
) -> float:
    """Return the estimate below which P(theta < cut | estimate) exceeds ``threshold``."""
    s1 = 1.0 / math.sqrt(1.0 / prior_sd**2 + 1.0 / se**2)
    return se**2 * ((cut - s1 * float(ndtri(threshold))) / s1**2 - prior_mean / prior_sd**2)


def normal_normal_oc(
    prior_mean: float,
    prior_sd: float,
    se: float,
    effects: Iterable[float],
    *,
    threshold: float,
    benefit: Benefit = "lower",
    margin: float | None = None,
) -> pd.DataFrame:
    r"""Closed-form operating characteristics of the normal-normal decision rule.

    Parameters
    ----------
    prior_mean, prior_sd : float
        The analysis prior on the effect's working scale (log ratio, difference).
    se : float
        Standard error of the trial's estimate at the design.
    effects : iterable of float
        True effects (same scale) at which to evaluate the rule.
    threshold : float
        Superiority is declared when the posterior probability exceeds it.
    benefit : {"lower", "higher"}, default "lower"
        Which direction favours the experimental arm.
    margin : float, optional
        The MCID on the same scale (e.g. ``log(0.8)``); adds the columns for
        "superior by the MCID".

    Returns
    -------
    pandas.DataFrame
        One row per true effect: ``true_effect``, ``p_declare_superior`` (the rule's
        power; its type I error at no effect), ``expected_p_superior``, and with a
        margin ``p_declare_mcid`` and ``expected_p_mcid``.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), not {threshold!r}")
    sign = 1.0 if benefit == "lower" else -1.0
    # Mirror the "higher" direction onto "lower": theta -> -theta.
    m0 = sign * prior_mean
    theta = sign * np.asarray(list(effects), dtype=float)
    s1 = 1.0 / math.sqrt(1.0 / prior_sd**2 + 1.0 / se**2)
    shift = s1**2 / se**2
    mean_m1 = s1**2 * m0 / prior_sd**2 + shift * theta
    sd_m1 = shift * se
    cuts = {"superior": 0.0}
    if margin is not None:
        cuts["mcid"] = sign * margin
    out = {"true_effect": sign * theta}
    for name, cut in cuts.items():
        t_star = _declare_below(m0, prior_sd, se, cut, threshold)
        out[f"p_declare_{name}"] = ndtr((t_star - theta) / se)
        out[f"expected_p_{name}"] = ndtr((cut - mean_m1) / math.sqrt(s1**2 + sd_m1**2))
    return pd.DataFrame(out)


def simulate_normal_normal_oc(
    prior_mean: float,
    prior_sd: float,
    se: float,
    effects: ArrayLike,
    *,
    threshold: float,
    simulations: int,
    seed: int,
    benefit: Benefit = "lower",
    margin: float | None = None,
) -> pd.DataFrame:
    """Monte Carlo counterpart of :func:`normal_normal_oc` (same columns).

    Each simulated trial's estimate is drawn around the true effect and reanalysed with
    :func:`~bayes_scot.stats.normal_normal.normal_posterior`; the rule's probabilities
    are shares of simulated trials.

    Parameters
    ----------
    prior_mean, prior_sd, se, effects, threshold, benefit, margin
        As :func:`normal_normal_oc`.
    simulations : int
        Simulated trials per true effect.
    seed : int

    Returns
    -------
    pandas.DataFrame
    """
    rng = np.random.default_rng(seed)
    rows = []
    for theta in np.asarray(effects, dtype=float):
        estimates = rng.normal(theta, se, simulations)
        mean, sd = normal_posterior(prior_mean, prior_sd, 0.0, se)
        m1 = float(mean) + float(sd) ** 2 / se**2 * estimates
        row = {"true_effect": float(theta)}
        cuts = {"superior": 0.0, **({"mcid": margin} if margin is not None else {})}
        for name, cut in cuts.items():
            z = (cut - m1) / float(sd)
            p = ndtr(z if benefit == "lower" else -z)
            row[f"p_declare_{name}"] = float(np.mean(p > threshold))
            row[f"expected_p_{name}"] = float(np.mean(p))
        rows.append(row)
    return pd.DataFrame(rows)
