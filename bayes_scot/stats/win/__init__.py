"""Win statistics: pairwise comparisons down a hierarchy, and published pairwise summaries.

* :mod:`~bayes_scot.stats.win.pairs`: every experimental patient compared with every
  control down a hierarchy of outcomes (:func:`win_statistics`,
  :func:`win_statistics_draws`, :class:`WinStatistics`), counted by the compiled kernel
  of :mod:`~bayes_scot.stats.win.kernel`;
* :mod:`~bayes_scot.stats.win.published`: a published "% of pairs favouring each arm"
  as an effect estimate with a standard error (:func:`pairwise_effect`);
* :mod:`~bayes_scot.stats.win.posterior`: the direct route's normal posterior of that
  effect and every estimand derived from it (:func:`pairwise_posterior`).
"""

from bayes_scot.stats.win.pairs import (
    HierarchyLevel,
    WinStatistics,
    win_statistics,
    win_statistics_draws,
)
from bayes_scot.stats.win.posterior import (
    DIRECT_ESTIMANDS,
    PairwisePosterior,
    direct_estimands,
    pairwise_posterior,
)
from bayes_scot.stats.win.published import (
    SCALES,
    PairwiseEffect,
    hanley_mcneil_se,
    null_win_probability_se,
    pairwise_effect,
)

__all__ = [
    "DIRECT_ESTIMANDS",
    "SCALES",
    "HierarchyLevel",
    "PairwiseEffect",
    "PairwisePosterior",
    "WinStatistics",
    "direct_estimands",
    "hanley_mcneil_se",
    "null_win_probability_se",
    "pairwise_effect",
    "pairwise_posterior",
    "win_statistics",
    "win_statistics_draws",
]
