"""Run an analysis specification: every model family under the whole prior grid.

:func:`reanalyse` is the package's front door. It reads a specification (the default one
when none is given), loads the trials, builds each model family once, compiles it once,
and samples it once per named prior by changing only the prior hyperparameters. The
result is a :class:`Reanalysis`: the superiority table, joint probabilities, the
reproduce-the-paper table, diagnostics, prior sensitivity, the posteriors for ArviZ users,
a rich notebook display, and :meth:`Reanalysis.write_report`.

:mod:`~bayes_scot.reanalysis.runner` runs a specification (:func:`reanalyse`,
:func:`build_family`), :mod:`~bayes_scot.reanalysis.result` holds :class:`Reanalysis`,
and :mod:`~bayes_scot.reanalysis.provenance` records versions, seed, inputs and timings.

Examples
--------
>>> import bayes_scot as bs
>>> result = bs.reanalyse(draws=500, priors=["reference", "skeptical_moderate"])  # doctest: +SKIP
>>> result.table().query("estimand == 'survival_difference_54'")  # doctest: +SKIP
"""

from bayes_scot.reanalysis.provenance import PROVENANCE_PACKAGES
from bayes_scot.reanalysis.result import Reanalysis
from bayes_scot.reanalysis.runner import (
    MODEL_BASED_EVIDENCE,
    MODEL_BASED_ROUTE,
    build_family,
    reanalyse,
)

__all__ = ["MODEL_BASED_EVIDENCE", "MODEL_BASED_ROUTE", "PROVENANCE_PACKAGES", "Reanalysis",
           "build_family", "reanalyse"]
