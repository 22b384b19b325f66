"""The survival model's Stan port (``benchmarks/stan/survival.stan``): data and parameters.

The Stan program is the illness-death model of
:class:`bayes_scot.builders.survival.SurvivalModel` for one trial. This module turns a
built package model into the Stan program's data (the evidence terms the package planned,
with the path-count coefficients the package computes) and maps the package's parameter
values onto the Stan program's, so that a test can compare the two log densities at the
same points and a benchmark can sample both on the same evidence.

PyStan 3 (``import stan``) is an optional benchmark extra (``pip install .[bench]``),
never a dependency of the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import stan_port

from bayes_scot.likelihood import survival as lik

STAN_PROGRAM = Path(__file__).with_name("stan") / "survival.stan"
PARAMETERS = ("baseline_level_z", "baseline_walk_z", "log_hr", "sigma_interval",
              "interval_effect_z", "sigma_transition", "transition_effect_z")
"""The Stan program's parameters."""
KINDS = ("landmark_states", "interval_states", "deaths_by_time")
"""Evidence terms the port implements (those of SCOT's intention-to-treat model)."""


def free_parameters(builder: Any) -> list[str]:
    """The Stan program's parameters (the same for every model the port covers)."""
    return list(PARAMETERS)


def stan_data(builder: Any, prior: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the Stan program's data for a built one-trial survival model.

    Parameters
    ----------
    builder : SurvivalModel
        A built model of one trial whose evidence terms are among :data:`KINDS`.
    prior : mapping, optional
        ``builder.prior_data(...)`` of the prior to sample under (the mean and SD of the
        normal prior on the log hazard ratio); the model's own values when omitted.

    Returns
    -------
    dict
    """
    o = builder.options
    terms = builder.likelihood_terms
    if len(builder.trials) != 1:
        raise ValueError("the Stan port covers one trial")
    unknown = sorted({t.kind for t in terms} - set(KINDS))
    if unknown:
        raise ValueError(f"the Stan port has no evidence term of kind {', '.join(unknown)}")
    if o.effect_structure != "per_transition":
        raise ValueError("the Stan port has the 'per_transition' effect structure only")
    values = stan_port.container_values(builder.model, prior)
    edges = np.asarray(o.interval_boundaries_months, dtype=float)
    u = builder.max_count + 1
    data: dict[str, Any] = {
        "K": len(edges) - 1,
        "edges": edges,
        "baseline_mean": np.asarray(o.baseline_log_hazard_mean, dtype=float),
        "baseline_sd": float(o.baseline_log_hazard_sd),
        "smoothing_sd": float(o.baseline_smoothing_sd),
        "log_hr_prior_mean": float(values["log_hr_prior_mean"]),
        "log_hr_prior_sd": float(values["log_hr_prior_sd"]),
        "transition_sd_scale": float(o.transition_effect_scale),
        "interval_sd_scale": float(o.effect_pooling_scale),
        "interval_weights": np.asarray(builder.event_weights, dtype=float),
        "U": u,
    }
    landmark = [t for t in terms if t.kind == "landmark_states"]
    data.update(
        n_landmark=len(landmark),
        landmark_time=[float(t.times[0]) for t in landmark],
        landmark_counts=np.array([t.data["counts"] for t in landmark]).reshape(-1, 2, 3),
    )
    interval = [t for t in terms if t.kind == "interval_states"]
    coef = np.array([lik.interval_states_log_coefficients(t.data["start"], t.data["end"],
                                                          max_count=builder.max_count)
                     for t in interval]).reshape(-1, 2, u)
    data.update(
        n_interval=len(interval),
        interval_times=np.array([t.times for t in interval], dtype=float).reshape(-1, 2),
        interval_start=np.array([t.data["start"] for t in interval]).reshape(-1, 2, 3),
        interval_end=np.array([t.data["end"] for t in interval]).reshape(-1, 2, 3),
        interval_coef=np.where(np.isfinite(coef), coef, 0.0),
        interval_valid=np.isfinite(coef).astype(int),
    )
    deaths = [t for t in terms if t.kind == "deaths_by_time"]
    coef = np.array([lik.deaths_by_time_log_coefficients(t.data["deaths"], t.data["at_least"],
                                                         max_count=builder.max_count)
                     for t in deaths]).reshape(-1, 2, u)
    data.update(
        n_deaths=len(deaths),
        deaths_times=np.array([t.times for t in deaths], dtype=float).reshape(-1, 2),
        deaths=np.array([t.data["deaths"] for t in deaths], dtype=float).reshape(-1, 2),
        deaths_at_least=np.array([t.data["at_least"] for t in deaths],
                                 dtype=float).reshape(-1, 2),
        deaths_coef=np.where(np.isfinite(coef), coef, 0.0),
        deaths_valid=np.isfinite(coef).astype(int),
    )
    return stan_port.as_stan_data(data)


def stan_parameters(point: dict[str, np.ndarray], data: dict[str, Any]) -> dict[str, Any]:
    """Map the package's constrained parameter values onto the Stan program's.

    Parameters
    ----------
    point : dict
        Values of the package model's free variables (constrained), by name.
    data : dict
        :func:`stan_data` of the same model.

    Returns
    -------
    dict
        Values by the Stan program's parameter names, for ``unconstrain_pars``.
    """
    return {
        "baseline_level_z": np.asarray(point["baseline_level_z"]).reshape(3).tolist(),
        "baseline_walk_z": np.asarray(point["baseline_walk_z"]).reshape(3, -1).tolist(),
        "log_hr": float(np.asarray(point["log_hr"]).reshape(())),
        # the package scales unit half-normals; Stan's SDs are half-normal at that scale
        "sigma_interval": float(point["effect_pooling_raw"]) * data["interval_sd_scale"],
        "interval_effect_z": np.asarray(point["interval_effect_z"]).reshape(2, -1).tolist(),
        "sigma_transition": (float(point["transition_effect_raw"])
                             * data["transition_sd_scale"]),
        "transition_effect_z": np.asarray(point["transition_effect_z"]).reshape(2).tolist(),
    }
