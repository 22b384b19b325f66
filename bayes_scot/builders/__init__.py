"""Layer 5: model builders.

One class per model family, each building its PyMC model once per structure, with prior
hyperparameters and evidence values entering as data so that a prior grid reuses one
compiled model: :mod:`bayes_scot.builders.survival`,
:mod:`bayes_scot.builders.longitudinal`, :mod:`bayes_scot.builders.composite`.
"""
