"""The longitudinal model's Stan port (``benchmarks/stan/longitudinal.stan``): data and parameters.

The Stan program is the model of
:class:`bayes_scot.builders.longitudinal.LongitudinalModel`. This module turns a built
package model into the Stan program's data (the values of the package model's data
containers, its options and the linear maps of its evidence plan from the state vector
to each published number) and maps the package's parameter values onto the Stan
program's, so that a test can compare the two log densities at the same points and a
benchmark can sample both on the same evidence. The Stan parameters carry the package's
names; one that the package's model leaves out (``rho`` without visit vectors, the
pooling weight without a hierarchy) is an array of size zero.

PyStan 3 (``import stan``) is an optional benchmark extra (``pip install .[bench]``),
never a dependency of the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import stan_port

from bayes_scot.builders.longitudinal.plan import matrix, overlap

STAN_PROGRAM = Path(__file__).with_name("stan") / "longitudinal.stan"
PARAMETERS = ("control_slope", "control_slope_innovation", "control_level_innovation",
              "endpoint_effect_innovation", "endpoint_correlation",
              "common_effect_innovation", "effect_visit_innovation", "baseline", "rho")
"""The Stan program's parameters, named as the package's free variables."""


def free_parameters(builder: Any) -> list[str]:
    """The Stan program's parameters that ``builder``'s model has (the others are empty)."""
    names = {rv.name for rv in builder.model.free_RVs}
    return [p for p in PARAMETERS if p in names]


def _effect_data(builder: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """The effect's prior, hierarchy and shape over time."""
    o = builder.options
    endpoints = list(o.endpoints)
    post = np.asarray(o.visits_months, dtype=float)[1:]
    ref = int(np.flatnonzero(post == o.reference_visit_months)[0])
    shapes = [builder.effect_shapes[e] for e in endpoints]
    walking = [e for e, shape in zip(endpoints, shapes, strict=True) if shape == "random_walk"]
    pooled = bool(builder.pooled_endpoints)
    return {
        "effect_prior_mean": values["standardised_effect_prior_mean"],
        "effect_prior_sd": values["standardised_effect_prior_sd"],
        "pooled": int(pooled),
        "in_pool": np.array([e in builder.pooled_endpoints for e in endpoints], dtype=float),
        "pooling_a": float(values.get("endpoint_correlation_prior_a", 1.0)),
        "pooling_b": float(values.get("endpoint_correlation_prior_b", 1.0)),
        "effect_profile": np.array([post / post[ref] if shape == "linear" else np.ones_like(post)
                             for shape in shapes]),
        "ref": ref + 1,
        "W": len(walking),
        "walk_select": np.array([[float(e == w) for w in walking] for e in endpoints]
                                ).reshape(len(endpoints), len(walking)),
        "visit_pooling_sd": float(values.get("visit_pooling_sd",
                                            o.smoothing_sds()["visit_pooling_sd"])),
    }


def _evidence_data(builder: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """The evidence plan's linear maps, numbers, standard errors and weights."""
    o = builder.options
    plan, size = builder._plan, builder._layout.size
    def rows(rs: list[Any]) -> np.ndarray:
        return matrix(rs) if rs else np.zeros((0, size))

    groups = list(plan.vectors.items())
    flat = [r for _, g in groups for r in g]
    starts = np.cumsum([0] + [len(g) for _, g in groups])[:-1] + 1
    block = np.zeros((len(flat), len(flat)))
    for (_, g), start in zip(groups, starts, strict=True):
        block[start - 1:start - 1 + len(g), start - 1:start - 1 + len(g)] = overlap(g)
    endpoints = list(o.endpoints)
    which = [endpoints.index(r.term.endpoint) for r in plan.external]
    scale = values["scale"]
    return {
        "S": size,
        "n_summaries": len(plan.independent),
        "summary_map": rows(plan.independent),
        "summary_observed": values.get("trial_summaries_observed", np.zeros(0)),
        "summary_se": values.get("trial_summaries_se", np.zeros(0)),
        "n_groups": len(groups),
        "n_vector": len(flat),
        "group_start": starts.astype(int),
        "group_size": np.array([len(g) for _, g in groups], dtype=int),
        "group_endpoint": np.array([endpoints.index(plan.vector_meta[name][0]) + 1
                                    for name, _ in groups], dtype=int),
        "vector_map": rows(flat),
        "vector_observed": np.concatenate(
            [values[f"{name}_observed"] for name, _ in groups] or [np.zeros(0)]),
        "vector_se": np.concatenate([values[f"{name}_se"] for name, _ in groups]
                                    or [np.zeros(0)]),
        "vector_years": np.array([r.term.time_months / 12.0 for r in flat]),
        "vector_overlap": block,
        "compound_symmetry": int(o.correlation == "cs"),
        "rho_a": float(o.rho_prior[0]),
        "rho_b": float(o.rho_prior[1]),
        "rho_fixed": float(values.get("rho_fixed", 0.0)),
        "rho_fixed_value": float(values.get("rho_fixed_value", 0.5)),
        "n_external": len(plan.external),
        "external_map": rows(plan.external),
        "external_observed": values.get("external_observed", np.zeros(0)),
        "external_se": values.get("external_se", np.zeros(0)),
        "external_weight": values.get("external_weight", np.zeros(0)),
        "mixture": int(o.external_method == "mixture"),
        "external_vague_se": o.external_vague_sd * scale[which],
    }


def stan_data(builder: Any, prior: Mapping[str, np.ndarray] | None = None) -> dict[str, Any]:
    """Return the Stan program's data for a built longitudinal model.

    Parameters
    ----------
    builder : LongitudinalModel
    prior : mapping, optional
        ``builder.prior_data(...)`` of the prior to sample under; the reference prior
        the model was built with when omitted.

    Returns
    -------
    dict
        JSON-compatible values by the Stan program's data names.
    """
    o = builder.options
    values = stan_port.container_values(builder.model, prior)
    visits = np.asarray(o.visits_months, dtype=float)
    endpoints = list(o.endpoints)
    data: dict[str, Any] = {
        "E": len(endpoints),
        "V": visits.size,
        "years": visits / 12.0,
        "slope_weights": builder._layout.slope_weights((0.0, o.reference_visit_months)),
        "scale": values["scale"],
        "sign": np.array([builder.endpoints[e].sign for e in endpoints], dtype=float),
        "piecewise_linear": int(o.trajectory == "piecewise_linear"),
        "control_slope_sd": o.smoothing_sds()["control_slope_sd"],
        "trajectory_sd": float(values["trajectory_sd"]),
        "baseline_prior_sd": float(o.baseline_prior_sd),
        **_effect_data(builder, values),
        **_evidence_data(builder, values),
    }
    return stan_port.as_stan_data(data)


def stan_parameters(point: Mapping[str, np.ndarray], data: Mapping[str, Any]) -> dict[str, Any]:
    """The package's constrained values as the Stan program's parameters (same names).

    ``point`` holds the package model's free variables (constrained) by name; ``data``
    is :func:`stan_data` of the same model. The Stan program wraps a parameter that only
    some models have in an array of size 0 or 1: one the package's model leaves out is
    an empty list here, one it has is a list of its one value.
    """
    scalars = {"endpoint_correlation", "common_effect_innovation"}
    always = {"endpoint_effect_innovation", "baseline", "rho"}
    out: dict[str, Any] = {}
    for name in PARAMETERS:
        if name not in point:
            out[name] = []
        elif name in always:
            out[name] = np.asarray(point[name], dtype=float).tolist()
        elif name in scalars:
            out[name] = [float(np.asarray(point[name]).reshape(()))]
        else:  # an array of one vector or matrix
            out[name] = [np.asarray(point[name], dtype=float).tolist()]
    return out
