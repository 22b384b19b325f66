"""One time-to-event endpoint: a two-state piecewise-exponential model.

The model, its equations and its outputs are described in
:mod:`bayes_scot.builders.piecewise_exponential.model`; the evidence plan (which entry
enters as which likelihood term, and the interval grid the evidence suggests) in
:mod:`~bayes_scot.builders.piecewise_exponential.plan`, and the NumPy kernels of
piecewise-constant hazards (survival, restricted mean, events and exposure per interval)
in :mod:`~bayes_scot.builders.piecewise_exponential.exposure`. Options are shared with
the illness-death model (:class:`~bayes_scot.builders.survival.SurvivalOptions`).
"""

from __future__ import annotations

from bayes_scot.builders.piecewise_exponential.model import PiecewiseExponentialModel
from bayes_scot.builders.piecewise_exponential.plan import default_times, survival_endpoints

__all__ = ["PiecewiseExponentialModel", "default_times", "survival_endpoints"]
