"""Layer 7: results tables from posterior draws.

Everything here works on :class:`~bayes_scot.stats.estimands.EstimandDraws` and sampler
diagnostics, never on a PyMC model, so the tables can be built and tested from stored or
simulated draws:

* :func:`superiority_table`: one row per endpoint, estimand and prior, with the
  diagnostics gate (:mod:`~bayes_scot.results.fits`);
* :func:`joint_probabilities`: P(superior on all, at least k, any of a set of estimands);
* :func:`reproduce_table`: published numbers beside their posterior predictive;
* :func:`sensitivity_grid` and :func:`power_scaling_sensitivity`: prior sensitivity;
* :func:`survival_curves` and :func:`trajectories`: posterior curves for figures.
"""

from bayes_scot.results.curves import (
    CURVE_COLUMNS,
    summarise_curve,
    survival_curves,
    trajectories,
)
from bayes_scot.results.fits import ESS_BULK_MIN, RHAT_MAX, DiagnosticsLike, PriorFit, flag_reasons
from bayes_scot.results.joint import (
    JOINT_COLUMNS,
    count_distribution,
    joint_probabilities,
    parse_estimand_key,
)
from bayes_scot.results.reproduce import (
    BUILDER_REPRODUCE_COLUMNS,
    REPRODUCE_COLUMNS,
    reproduce_table,
)
from bayes_scot.results.sensitivity import (
    PSENS_COLUMNS,
    PSENS_THRESHOLD,
    effect_log_prior,
    power_scaling_sensitivity,
    sensitivity_grid,
)
from bayes_scot.results.table import TABLE_COLUMNS, superiority_table

__all__ = [
    "BUILDER_REPRODUCE_COLUMNS",
    "CURVE_COLUMNS",
    "ESS_BULK_MIN",
    "JOINT_COLUMNS",
    "PSENS_COLUMNS",
    "PSENS_THRESHOLD",
    "REPRODUCE_COLUMNS",
    "RHAT_MAX",
    "TABLE_COLUMNS",
    "DiagnosticsLike",
    "PriorFit",
    "count_distribution",
    "effect_log_prior",
    "flag_reasons",
    "joint_probabilities",
    "parse_estimand_key",
    "power_scaling_sensitivity",
    "reproduce_table",
    "sensitivity_grid",
    "summarise_curve",
    "superiority_table",
    "survival_curves",
    "trajectories",
]
