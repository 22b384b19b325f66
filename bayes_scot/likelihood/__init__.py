"""Layer 4: likelihood pieces.

Small functions that add the observed terms for one kind of evidence to a PyMC model,
given model quantities (state probabilities, hazards, arm means). Each documents the
approximation it makes. Import them from their modules:
:mod:`bayes_scot.likelihood.survival`, :mod:`bayes_scot.likelihood.longitudinal`,
:mod:`bayes_scot.likelihood.composite`.
"""
