r"""Longitudinal model of quality of life and function from arm-level summaries.

:class:`LongitudinalModel` builds one PyMC model for several continuous endpoints (by
default HAQ-DI, SF-36 PCS and MCS, mRSS, FVC and DLCO) of a two-arm trial, from whatever
the trial file reports about them (visit means, changes from baseline, slopes, baselines)
plus external evidence that enters only as an explicitly discounted source.
:class:`LongitudinalOptions` holds every modelling choice, with documented defaults.

The model, in brief (the user guide gives the equations)
---------------------------------------------------------
For endpoint :math:`e`, arm :math:`a` and visit :math:`t_v` (months, baseline first):

* baseline level :math:`\beta_e`, common to both arms (randomisation);
* control-arm change from baseline :math:`c_{e}(t_v)`, smooth over visits: piecewise
  linear with slopes following a random walk, or a random walk on the levels;
* treatment effect :math:`\delta_e(t_v) = s_e\,\sigma_e\,d_e(t_v)`, with :math:`s_e = +1`
  when higher is better and :math:`-1` when lower is better, :math:`\sigma_e` the
  endpoint's between-patient SD, and :math:`d_e` the standardised, direction-aligned
  effect (positive favours the experimental arm). :math:`d_e(0) = 0`; after baseline its
  shape over time follows the evidence (``LongitudinalOptions.effect_shape``): linear,
  :math:`d_e(t_v) = \theta_e t_v / t_r`, for an endpoint whose only data are slopes;
  otherwise :math:`d_e(t_v) = \theta_e + \omega_e(t_v)`, where :math:`\omega_e` is a
  random walk over visits pinned to zero at the reference visit :math:`t_r` (54 months):
  visits are partially pooled towards :math:`\theta_e`;
* each endpoint's :math:`\theta_e` has its own named prior :math:`N(m_e, k_e^2)` as its
  marginal prior (:meth:`LongitudinalModel.effect_prior_grids`; skeptical priors rest
  on the endpoint's own MCID): :math:`\theta_e = m_e + k_e u_e`. Across the endpoints
  with evidence of their own, :math:`u_e = \sqrt{\omega} z_0 + \sqrt{1-\omega} z_e`, a
  shared factor with weight :math:`\omega \sim \mathrm{Beta}(a, b)` through which they
  borrow from each other (:meth:`LongitudinalModel.endpoint_pooling`); otherwise
  :math:`u_e = z_e`. An endpoint without evidence of its own takes the named prior
  directly, so its posterior is its prior;
* experimental arm's change :math:`= c_e + \delta_e`; control arm's change :math:`= c_e`.

The estimand is a survivor average: reported means are means among patients alive and
measured at each visit, and so are the model's. :func:`bayes_scot.results.while_alive_net_benefit`
gives the while-alive composite (death ranked worst) as a sensitivity estimand.

Evidence attribution
--------------------
Every estimand says what drove it (``EstimandDraws.evidence``): ``"trial"``,
``"external"``, ``"trial + external"``, ``"prior only"`` (no evidence of its own on the
treatment effect) or, when such an endpoint is asked to borrow,
``"predicted from other endpoints (no data)"``; external evidence is named with its
design, time and weight, and a row at a time the evidence does not reach says "carried
to ..." and is flagged ``extrapolated``. The labels are computed from the evidence
actually used, so adding per-visit numbers to a trial file changes them with no code
change.

Modules
-------
:mod:`~bayes_scot.builders.longitudinal.options` (every modelling choice, and the scales
and MCIDs resolved from the evidence), :mod:`~bayes_scot.builders.longitudinal.layout`
(the state vector every published number is a linear function of),
:mod:`~bayes_scot.builders.longitudinal.plan` (one planner per kind of the trial's
evidence, and the evidence attribution), :mod:`~bayes_scot.builders.longitudinal.external`
(external evidence, discounted), :mod:`~bayes_scot.builders.longitudinal.graph` (the PyMC
graph)
and :mod:`~bayes_scot.builders.longitudinal.model` (:class:`LongitudinalModel`).
"""

from bayes_scot.builders.longitudinal.model import SURVIVOR_AVERAGE, LongitudinalModel
from bayes_scot.builders.longitudinal.options import (
    DEFAULT_ENDPOINTS,
    EFFECT_SHAPES,
    LongitudinalOptions,
)
from bayes_scot.builders.longitudinal.plan import EVIDENCE_LABELS, NO_DATA, EvidenceTerm

__all__ = [
    "DEFAULT_ENDPOINTS",
    "EFFECT_SHAPES",
    "EVIDENCE_LABELS",
    "NO_DATA",
    "SURVIVOR_AVERAGE",
    "EvidenceTerm",
    "LongitudinalModel",
    "LongitudinalOptions",
]
