"""Figures of a reanalysis: superiority, prior sensitivity, survival, trajectories, priors, wins.

Every function takes tidy pandas DataFrames (or arrays) as its first argument and keyword
arguments after it, and returns a new :class:`matplotlib.figure.Figure`. The figures are
built with matplotlib's object-oriented API, never through :mod:`matplotlib.pyplot`: no
window is shown, no figure is registered with pyplot or closed behind your back, and every
backend works, including the non-interactive ``Agg`` used by reports and CI. In a Jupyter
notebook, run ``%matplotlib inline`` once and a returned figure displays itself; to save
one, call ``fig.savefig("forest.png", dpi=150)``.

Conventions shared by all figures:

- Arms are labelled by name and always drawn in the same colour (:data:`ARM_COLOURS`:
  HSCT blue, CYC vermilion, from the Okabe-Ito palette, which stays distinguishable with
  the common forms of colour blindness).
- Every interval and band is the central credible interval at
  :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`, the same level as every table of the
  package.
- What lies beyond the last datum of its endpoint, where the model extrapolates, is
  hatched (the hazard ratio over time, the survival bands).
- Bad input (a missing column, an empty selection, a non-finite draw) raises
  :class:`ValueError` (or :class:`TypeError` for the wrong kind of object) naming what is
  wrong, before any drawing starts.

One module per figure (:mod:`~bayes_scot.plots.forest`, :mod:`~bayes_scot.plots.headline`,
:mod:`~bayes_scot.plots.survival`, ...); every public name is importable from
``bayes_scot.plots`` itself.

Examples
--------
A prior and a posterior for a log hazard ratio, both normal:

>>> from bayes_scot import plots
>>> fig = plots.plot_prior_posterior((0.0, 0.355), (-0.9, 0.3), label="log hazard ratio")
>>> fig.savefig("prior-posterior.png", dpi=150)  # doctest: +SKIP
"""

from __future__ import annotations

from bayes_scot.plots._style import ARM_COLOURS, ARM_LABELS, PRIOR_FAMILY_COLOURS, arm_colour
from bayes_scot.plots.benefit import plot_benefit_curve
from bayes_scot.plots.forest import plot_superiority
from bayes_scot.plots.hazard_ratio import plot_hazard_ratio_over_time
from bayes_scot.plots.headline import plot_headline
from bayes_scot.plots.predictive import plot_predictive_check
from bayes_scot.plots.prior_posterior import plot_prior_posterior
from bayes_scot.plots.reconstruction import plot_reconstruction
from bayes_scot.plots.sensitivity import plot_prior_sensitivity
from bayes_scot.plots.survival import plot_survival
from bayes_scot.plots.trajectories import plot_trajectories
from bayes_scot.plots.win import plot_win_statistics

__all__ = [
    "ARM_COLOURS",
    "ARM_LABELS",
    "PRIOR_FAMILY_COLOURS",
    "arm_colour",
    "plot_benefit_curve",
    "plot_hazard_ratio_over_time",
    "plot_headline",
    "plot_predictive_check",
    "plot_prior_posterior",
    "plot_prior_sensitivity",
    "plot_reconstruction",
    "plot_superiority",
    "plot_survival",
    "plot_trajectories",
    "plot_win_statistics",
]
