r"""Likelihood of a published pairwise-comparison summary (a global rank composite score).

A paper that analyses a hierarchical composite by comparing every experimental patient
with every control patient reports the percentage of pairs favouring each arm and a
p-value (SCOT: 66.6% of 1404 pairs favoured HSCT, P = 0.01). This module adds that summary
to a PyMC model as one normal observation of the effect on the net-benefit or log-win-odds
scale:

.. math:: \hat\theta \sim N(\theta, \mathrm{SE}^2),

with :math:`\hat\theta` and SE from :func:`bayes_scot.stats.win.pairwise_effect`.

Approximations, stated once here:

* **One observation, not 1404.** The pairs share patients (75 of them in SCOT), so they
  are not independent Bernoulli trials; the SE comes from the published p-value, which
  already accounts for the dependence (checked against the U-statistic's sampling
  distribution in the tests).
* **Normal sampling distribution** of the estimate on the chosen scale. At SCOT's size
  the simulated skewness of the net benefit is about -0.12 (log win odds +0.17).
* **Ties held fixed.** The summary informs the win probability with ties split
  (:math:`A`); quantities that separate wins from ties (the win ratio) hold the published
  tie proportion fixed.
"""

from __future__ import annotations

from typing import Any

import pymc as pm

__all__ = ["pairwise_summary"]


def pairwise_summary(name: str, effect: Any, *, estimate: Any, se: Any) -> Any:
    """Add the observed pairwise summary as a normal likelihood term.

    Parameters
    ----------
    name : str
        Name of the observed variable, e.g. ``"grcs_observed"``.
    effect : pytensor.tensor.TensorVariable
        The effect parameter (net benefit or log win odds) of the model.
    estimate : float or pytensor.tensor.TensorVariable
        The published estimate on the same scale; pass a ``pm.Data`` container so that
        another summary (per protocol, 48 months) reuses the compiled model.
    se : float or pytensor.tensor.TensorVariable
        Its standard error (a ``pm.Data`` container for the same reason).

    Returns
    -------
    pytensor.tensor.TensorVariable
        The observed variable.

    Notes
    -----
    Must be called inside a :class:`pymc.Model` context.
    """
    return pm.Normal(name, mu=effect, sigma=se, observed=estimate)
