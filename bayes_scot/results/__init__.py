"""Layer 7: results tables from posterior draws.

Everything here works on :class:`~bayes_scot.stats.estimands.EstimandDraws` and sampler
diagnostics, never on a PyMC model, so the tables can be built and tested from stored or
simulated draws:

* :func:`superiority_table`: one row per endpoint, estimand and prior, with the
  diagnostics gate (:mod:`~bayes_scot.results.fits`);
* :func:`joint_probabilities`: P(superior on all, at least k, any of a set of estimands);
* :func:`reproduce_table`: published numbers beside their posterior predictive;
* :func:`sensitivity_grid` and :func:`power_scaling_sensitivity`: prior sensitivity;
  :func:`constant_sensitivity`: sensitivity to the prior scales a model fixes;
* :func:`attribute`: each row's shares of trial, external evidence, borrowing and prior;
* :func:`priors_table`: every prior with its implied prior probabilities on the
  headline estimands; :func:`tipping_points`: the sceptical prior and external weight at
  which P(superior) falls below 0.95 and 0.90;
* :func:`structure_sensitivity`: EFS and OS under each effect structure of the
  illness-death model;
* :func:`survival_curves` and :func:`trajectories`: posterior curves for figures;
* estimands that read two families' posteriors: the model-based GRCS
  (:mod:`~bayes_scot.results.grcs`) and the while-alive composite
  (:func:`while_alive_net_benefit`).
"""

from bayes_scot.results.attribution import (
    SHARE_COLUMNS,
    Attribution,
    LikelihoodTerm,
    attribute,
)
from bayes_scot.results.borrowing import borrowing_table
from bayes_scot.results.curves import (
    CURVE_COLUMNS,
    summarise_curve,
    survival_curves,
    trajectories,
)
from bayes_scot.results.fits import ESS_BULK_MIN, RHAT_MAX, DiagnosticsLike, PriorFit, flag_reasons
from bayes_scot.results.grcs import (
    GrcsPrediction,
    GrcsSimulationOptions,
    grcs_from_posteriors,
    model_based_grcs,
)
from bayes_scot.results.joint import (
    JOINT_COLUMNS,
    count_distribution,
    frechet_bounds,
    joint_probabilities,
    parse_estimand_key,
    shared_patients,
)
from bayes_scot.results.priors import PRIORS_COLUMNS, priors_table
from bayes_scot.results.reproduce import (
    BUILDER_REPRODUCE_COLUMNS,
    REPRODUCE_COLUMNS,
    reproduce_table,
)
from bayes_scot.results.sensitivity import (
    CONSTANT_COLUMNS,
    PSENS_COLUMNS,
    PSENS_THRESHOLD,
    constant_sensitivity,
    effect_log_prior,
    power_scaling_sensitivity,
    sensitivity_grid,
)
from bayes_scot.results.structure import (
    STRUCTURE_COLUMNS,
    STRUCTURE_MEANINGS,
    StructureFit,
    structure_sensitivity,
)
from bayes_scot.results.table import TABLE_COLUMNS, superiority_table
from bayes_scot.results.tipping import KHAT_MAX, THRESHOLDS, TIPPING_COLUMNS, tipping_points
from bayes_scot.results.while_alive import while_alive_net_benefit

__all__ = [
    "BUILDER_REPRODUCE_COLUMNS",
    "CONSTANT_COLUMNS",
    "CURVE_COLUMNS",
    "ESS_BULK_MIN",
    "JOINT_COLUMNS",
    "KHAT_MAX",
    "PRIORS_COLUMNS",
    "PSENS_COLUMNS",
    "PSENS_THRESHOLD",
    "REPRODUCE_COLUMNS",
    "RHAT_MAX",
    "SHARE_COLUMNS",
    "STRUCTURE_COLUMNS",
    "STRUCTURE_MEANINGS",
    "TABLE_COLUMNS",
    "THRESHOLDS",
    "TIPPING_COLUMNS",
    "Attribution",
    "DiagnosticsLike",
    "GrcsPrediction",
    "GrcsSimulationOptions",
    "LikelihoodTerm",
    "PriorFit",
    "StructureFit",
    "attribute",
    "borrowing_table",
    "constant_sensitivity",
    "count_distribution",
    "effect_log_prior",
    "flag_reasons",
    "frechet_bounds",
    "grcs_from_posteriors",
    "joint_probabilities",
    "model_based_grcs",
    "parse_estimand_key",
    "power_scaling_sensitivity",
    "priors_table",
    "reproduce_table",
    "sensitivity_grid",
    "shared_patients",
    "structure_sensitivity",
    "summarise_curve",
    "superiority_table",
    "survival_curves",
    "tipping_points",
    "trajectories",
    "while_alive_net_benefit",
]
