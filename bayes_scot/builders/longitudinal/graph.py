"""The PyMC graph of the longitudinal model: trajectories, effects and likelihood terms.

:func:`build_model` builds the model of a
:class:`~bayes_scot.builders.longitudinal.LongitudinalModel` from its options, state
layout and evidence plan: the control arm's change from baseline (smooth over visits),
the standardised treatment effects (each with its named prior as its marginal, sharing
a factor across endpoints, shaped over time), and one likelihood term per group of
planned evidence. Evidence values and prior
hyperparameters are data containers, so a prior grid reuses one compiled model.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayes_scot.builders._graph import prepend_zero, running_sum
from bayes_scot.builders.longitudinal.plan import EvidencePlan, matrix
from bayes_scot.likelihood.longitudinal import (
    add_discounted_estimates,
    add_normal_summaries,
    add_visit_means,
)

if TYPE_CHECKING:
    from bayes_scot.builders.longitudinal.layout import StateLayout
    from bayes_scot.builders.longitudinal.options import LongitudinalOptions
    from bayes_scot.evidence.endpoints import Endpoint

__all__ = ["EFFECT", "build_model"]

EFFECT = "standardised_effect"
"""Name of the effect parameter the named priors are placed on."""


def build_model(
    opts: LongitudinalOptions,
    layout: StateLayout,
    plan: EvidencePlan,
    *,
    endpoints: Mapping[str, Endpoint],
    arms: tuple[str, str],
    scales: Mapping[str, float],
    effect_shapes: Mapping[str, str],
    pooled_endpoints: Sequence[str],
) -> pm.Model:
    """Build the PyMC model of a :class:`~bayes_scot.builders.longitudinal.LongitudinalModel`.

    Parameters
    ----------
    opts : LongitudinalOptions
    layout : StateLayout
    plan : EvidencePlan
        The evidence used, as rows on the state vector.
    endpoints : mapping of str to Endpoint
        The modelled endpoints (their directions align the effect).
    arms : tuple of str
        ``(experimental, control)``.
    scales : mapping of str to float
        Each endpoint's standardising SD.
    effect_shapes : mapping of str to str
        Each endpoint's resolved effect shape.
    pooled_endpoints : sequence of str
        Endpoints in the hierarchy of effects.

    Returns
    -------
    pymc.Model
        Deterministics ``effect``, ``change``, ``level``, ``slope`` and
        ``slope_difference`` with named dims; see the model class.s docstring.
    """
    names = list(opts.endpoints)
    visits = np.asarray(opts.grid, dtype=float)
    dt = np.diff(visits) / 12.0
    post = visits[1:]
    ref = int(np.flatnonzero(post == opts.reference_visit_months)[0])
    sign = np.array([endpoints[e].sign for e in names], dtype=float)
    coords: dict[str, Any] = {
        "endpoint": names,
        "arm": list(arms),
        "visit": visits.tolist(),
        "interval": [f"{a:g}-{b:g}" for a, b in zip(visits, post, strict=False)],
        "visit_step": [f"{a:g}-{b:g}" for a, b in itertools.pairwise(post)],
    }
    with pm.Model(coords=coords) as model:
        scale = pm.Data("scale", np.array([scales[e] for e in names]), dims="endpoint")
        slope_w = layout.slope_weights((0.0, opts.reference_visit_months))
        control_std = _control_trajectory(opts, visits, dt, slope_w)
        theta = _effect_at_reference(opts, pooled_endpoints)
        effect_std = prepend_zero(_effect_over_time(opts, effect_shapes, theta, post, ref, dt))
        units = scale[:, None]
        effect = pm.Deterministic(
            "effect", (sign[:, None] * units) * effect_std, dims=("endpoint", "visit")
        )
        control_change = units * control_std
        change = pm.Deterministic(
            "change",
            pt.stack([control_change + effect, control_change], axis=1),
            dims=("endpoint", "arm", "visit"),
        )
        baseline = pm.Normal("baseline", 0.0, opts.baseline_prior_sd * scale,
                             dims="endpoint")
        pm.Deterministic("level", baseline[:, None, None] + change,
                         dims=("endpoint", "arm", "visit"))
        slope = pm.Deterministic(
            "slope", pt.tensordot(change, slope_w, axes=[[2], [0]]), dims=("endpoint", "arm")
        )
        pm.Deterministic("slope_difference", slope[:, 0] - slope[:, 1], dims="endpoint")

        state = pt.concatenate([change.flatten(), baseline])
        data = plan.values()
        _add_trial_summaries(model, plan, state, data)
        _add_visit_vectors(opts, plan, state, data)
        _add_external(model, opts, plan, state, data, scale)
    return model


def _control_trajectory(opts: LongitudinalOptions, visits: np.ndarray, dt: np.ndarray,
                        slope_w: np.ndarray) -> pt.TensorVariable:
    """Return the control arm's change from baseline, in endpoint SDs, smooth over visits."""
    years = visits / 12.0
    sds = opts.smoothing_sds()
    spread = pm.Data("trajectory_sd", sds["trajectory_sd"])
    if opts.trajectory == "piecewise_linear":
        # The least-squares slope over the reference window is a parameter of its
        # own (slope summaries inform it directly); smooth deviations from that
        # line follow a random walk on the slopes and are detrended.
        trend = pm.Normal("control_slope", 0.0, sds["control_slope_sd"], dims="endpoint")
        z = pm.Normal("control_slope_innovation", 0.0, 1.0,
                      dims=("endpoint", "interval"))
        slopes = pt.cumsum(spread * np.sqrt(dt) * z, axis=1)
        shape = running_sum(slopes * dt)
        return trend[:, None] * years + shape - pt.dot(shape, slope_w)[:, None] * years
    z = pm.Normal("control_level_innovation", 0.0, 1.0, dims=("endpoint", "interval"))
    return running_sum(spread * np.sqrt(dt) * z)


def _effect_at_reference(opts: LongitudinalOptions,
                         pooled_endpoints: Sequence[str]) -> pt.TensorVariable:
    r"""Return the standardised, direction-aligned treatment effect at the reference visit.

    Each endpoint's effect is :math:`\theta_e = m_e + k_e u_e` with :math:`(m_e, k_e)`
    the named prior of that endpoint (data containers). For endpoints in the hierarchy
    :math:`u_e = \sqrt{\omega}\, z_0 + \sqrt{1 - \omega}\, z_e`, otherwise
    :math:`u_e = z_e`, with :math:`z_0, z_e \sim N(0, 1)` and
    :math:`\omega \sim \mathrm{Beta}(a, b)`. Every :math:`u_e` is standard normal
    whatever :math:`\omega`, so the named prior is each endpoint's marginal prior
    exactly, while :math:`\omega` (the prior correlation of two endpoints' effects)
    lets evidence on one endpoint inform the others.
    """
    prior_mean = pm.Data(f"{EFFECT}_prior_mean", np.zeros(len(opts.endpoints)),
                         dims="endpoint")
    prior_sd = pm.Data(f"{EFFECT}_prior_sd",
                       np.full(len(opts.endpoints), opts.reference_prior_sd), dims="endpoint")
    own = pm.Normal("endpoint_effect_innovation", 0.0, 1.0, dims="endpoint")
    if not pooled_endpoints:
        return pm.Deterministic(EFFECT, prior_mean + prior_sd * own, dims="endpoint")
    a, b = opts.endpoint_correlation_prior
    omega = pm.Beta("endpoint_correlation",
                    alpha=pm.Data("endpoint_correlation_prior_a", a),
                    beta=pm.Data("endpoint_correlation_prior_b", b))
    common = pm.Normal("common_effect_innovation", 0.0, 1.0)
    # Endpoints outside the hierarchy (no evidence of their own) keep u_e = z_e, so
    # their posterior is their prior.
    in_pool = np.array([e in pooled_endpoints for e in opts.endpoints], dtype=float)
    shared = pt.sqrt(omega) * common + pt.sqrt(1.0 - omega) * own
    u = in_pool * shared + (1.0 - in_pool) * own
    return pm.Deterministic(EFFECT, prior_mean + prior_sd * u, dims="endpoint")


def _effect_over_time(opts: LongitudinalOptions, effect_shapes: Mapping[str, str],
                      theta: pt.TensorVariable, post: np.ndarray, ref: int,
                      dt: np.ndarray) -> pt.TensorVariable:
    """Return the standardised effect at each follow-up visit, in each endpoint's shape."""
    endpoints = opts.endpoints
    shapes = [effect_shapes[e] for e in endpoints]
    # linear: theta_e t / t_ref; step and random walk: theta_e at every visit.
    profile = np.array([post / post[ref] if shape == "linear" else np.ones_like(post)
                        for shape in shapes])
    effect = theta[:, None] * profile
    walking = [e for e, shape in zip(endpoints, shapes, strict=True)
               if shape == "random_walk"]
    if post.size < 2 or not walking:
        return effect
    # A random walk over the follow-up visits, pinned to zero at the reference visit.
    model = pm.modelcontext(None)
    model.add_coord("walk_endpoint", walking)
    visit_sd = pm.Data("visit_pooling_sd", opts.smoothing_sds()["visit_pooling_sd"])
    zv = pm.Normal("effect_visit_innovation", 0.0, 1.0,
                   dims=("walk_endpoint", "visit_step"))
    walk = running_sum(visit_sd * np.sqrt(dt[1:]) * zv)
    deviation = walk - walk[:, ref][:, None]
    select = np.array([[1.0 if e == w else 0.0 for w in walking] for e in endpoints])
    return effect + pt.dot(select, deviation)


# -- likelihood terms, one per group of planned evidence --------------------------------------
def _add_trial_summaries(model: pm.Model, plan: EvidencePlan, state: pt.TensorVariable,
                         data: dict[str, np.ndarray]) -> None:
    """Add the trial's numbers that enter on their own (one visit, pooled arms, slopes)."""
    if not plan.independent:
        return
    model.add_coord("trial_summary", [
        f"{r.term.entry}:{r.term.arm or 'contrast'}:{r.term.statistic}"
        for r in plan.independent
    ])
    add_normal_summaries(
        "trial_summaries",
        pt.dot(matrix(plan.independent), state),
        pm.Data("trial_summaries_observed", data["trial_summaries_observed"],
                dims="trial_summary"),
        pm.Data("trial_summaries_se", data["trial_summaries_se"], dims="trial_summary"),
        dims="trial_summary",
    )


def _add_visit_vectors(opts: LongitudinalOptions, plan: EvidencePlan,
                       state: pt.TensorVariable, data: dict[str, np.ndarray]) -> None:
    """Add one arm's numbers at several visits: a correlated vector per arm and statistic."""
    if not plan.vectors:
        return
    endpoints = list(opts.endpoints)
    a, b = opts.rho_prior
    rho = pm.Beta("rho", alpha=a, beta=b, dims="endpoint")
    fixed = pm.Data("rho_fixed", 0.0)
    fixed_value = pm.Data("rho_fixed_value", 0.5)
    rho_used = pm.Deterministic(
        "rho_used", fixed * fixed_value + (1.0 - fixed) * rho, dims="endpoint"
    )
    for group, rows in plan.vectors.items():
        endpoint, _arm = plan.vector_meta[group]
        add_visit_means(
            group,
            pt.dot(matrix(rows), state),
            pm.Data(f"{group}_observed", data[f"{group}_observed"]),
            pm.Data(f"{group}_se", data[f"{group}_se"]),
            times_years=np.array([r.term.time_months for r in rows]) / 12.0,
            rho=rho_used[endpoints.index(endpoint)],
            correlation=opts.correlation,
            overlap=pm.Data(f"{group}_overlap", data[f"{group}_overlap"]),
        )


def _add_external(model: pm.Model, opts: LongitudinalOptions, plan: EvidencePlan,
                  state: pt.TensorVariable, data: dict[str, np.ndarray],
                  scale: pt.TensorVariable) -> None:
    """Add the external evidence, discounted by a power prior or a robust mixture."""
    if not plan.external:
        return
    endpoints = list(opts.endpoints)
    model.add_coord("external_estimate", [r.term.entry for r in plan.external])
    which = np.array([endpoints.index(r.term.endpoint) for r in plan.external])
    add_discounted_estimates(
        "external_evidence",
        pt.dot(matrix(plan.external), state),
        pm.Data("external_observed", data["external_observed"], dims="external_estimate"),
        pm.Data("external_se", data["external_se"], dims="external_estimate"),
        pm.Data("external_weight", data["external_weight"], dims="external_estimate"),
        method=opts.external_method,
        vague_se=opts.external_vague_sd * scale[which],
    )
