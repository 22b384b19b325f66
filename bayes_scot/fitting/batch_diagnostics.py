"""R-hat and bulk ESS of many fits at once: :mod:`bayes_scot.stats.convergence`.

The estimators are pure NumPy and live in the statistics layer, so that summaries of
estimand draws use them too; this module names them for the sampler backends.
"""

from __future__ import annotations

from bayes_scot.stats.convergence import batch_ess_bulk, batch_rhat, split_chains

__all__ = ["batch_ess_bulk", "batch_rhat", "split_chains"]
