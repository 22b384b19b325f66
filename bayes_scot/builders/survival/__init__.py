"""Joint model of event-free and overall survival on arm-level evidence.

The model, its equations and its outputs are described in
:mod:`bayes_scot.builders.survival.model`; its options and prior grid are in
:mod:`~bayes_scot.builders.survival.options`, the evidence plan (which entry enters as
which likelihood term) in :mod:`~bayes_scot.builders.survival.plan`, the closed-form
PyTensor kernels in :mod:`~bayes_scot.builders.survival.graph`, each term's log density
in :mod:`~bayes_scot.builders.survival.terms`, the posterior estimands in
:mod:`~bayes_scot.builders.survival.estimands` and the posterior predictive of published
summaries in :mod:`~bayes_scot.builders.survival.predictive`.
"""

from __future__ import annotations

from bayes_scot.builders.survival.model import (
    SurvivalModel,
    survival_model,
)
from bayes_scot.builders.survival.options import (
    BASELINE_HAZARDS,
    DEFAULT_BOUNDARIES,
    PACKAGE_DEFAULT,
    SurvivalOptions,
    follow_up,
    hazard_ratio_prior_data,
    hazard_ratio_prior_grid,
    time_unit_notes,
)

__all__ = [
    "BASELINE_HAZARDS",
    "DEFAULT_BOUNDARIES",
    "PACKAGE_DEFAULT",
    "SurvivalModel",
    "SurvivalOptions",
    "follow_up",
    "hazard_ratio_prior_data",
    "hazard_ratio_prior_grid",
    "survival_model",
    "time_unit_notes",
]
