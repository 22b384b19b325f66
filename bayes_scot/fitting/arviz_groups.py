"""The groups ArviZ's own checks look for: observations, their replicates, one log-likelihood.

A fit from :meth:`~bayes_scot.fitting.CompiledModel.sample` keeps one log-likelihood array
per likelihood term, named after it (power-scaling and attribution read them by name).
ArviZ's ``az.loo(idata)`` and ``az.plot_ppc(idata)`` need more: one log-likelihood array
when no ``var_name`` is given, and ``observed_data`` with matching
``posterior_predictive`` draws. :func:`add_arviz_groups` adds them to a fit:

* ``observed_data`` and ``posterior_predictive``: the model's observed variables (the
  arm-level summaries a model writes as observed, such as visit means or the composite's
  published summary) and one replicate of each per posterior draw. A model whose evidence
  enters only as likelihood terms (``pm.Potential``: the survival model's counts) has no
  observed variables; its builder's ``predictive()`` gives both groups instead (the
  illness-death model's published counts, estimates and ratios with their replicates).
* ``log_likelihood``: when it holds several arrays, they become one, ``evidence``, with
  one element per term element along ``term`` (labelled ``"<name>"`` or
  ``"<name>[i]"``). It is ``az.loo``'s default. For models written with likelihood terms,
  its elements are evidence terms (a published table, a landmark count), not exchangeable
  observations: leave-one-out then leaves out one published number at a time.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import xarray as xr

from bayes_scot import _compat

__all__ = ["COMBINED", "add_arviz_groups", "combine_log_likelihood"]

COMBINED = "evidence"
"""Name of the one log-likelihood array (and its dimension ``term``) of a combined group."""


def combine_log_likelihood(idata: Any) -> None:
    """Make ``idata``'s log-likelihood group one array over every term (in place).

    A group of one array, or no group, is left as it is. The combined array's total over
    ``term`` equals the sum of every original array over its own dimensions, draw by draw.
    """
    if not _compat.has_group(idata, "log_likelihood"):
        return
    group = _compat.get_group(idata, "log_likelihood")
    if len(group.data_vars) <= 1:
        return
    columns, labels = [], []
    for name in group.data_vars:
        array = group[name]
        extra = [d for d in array.dims if d not in ("chain", "draw")]
        values = array.transpose("chain", "draw", *extra).to_numpy()
        flat = values.reshape(*values.shape[:2], -1)
        columns.append(flat)
        labels.extend([str(name)] if not extra else
                      [f"{name}[{i}]" for i in range(flat.shape[-1])])
    combined = xr.Dataset(
        {COMBINED: (("chain", "draw", "term"), np.concatenate(columns, axis=-1))},
        coords={"chain": group["chain"].to_numpy(), "draw": group["draw"].to_numpy(),
                "term": labels},
        attrs=dict(group.attrs),
    )
    _compat.add_group(idata, "log_likelihood", combined)


def add_arviz_groups(compiled: Any, idata: Any, *, seed: int, builder: Any = None) -> None:
    """Add ``observed_data``, ``posterior_predictive`` and one log-likelihood to a fit.

    Parameters
    ----------
    compiled : CompiledModel or ClosedFormSampler
        What sampled ``idata``; its ``posterior_predictive(idata, seed=...)``, if it has
        one, draws the replicates.
    idata : arviz.InferenceData
        The fit, changed in place.
    seed : int
        Seed of the replicates.
    builder : object, optional
        The model's builder: one whose evidence enters as likelihood terms may offer
        ``predictive(idata, seed=...)`` returning ``(observed, replicates)`` datasets
        (the survival model's published counts), used when the model has no observed
        variables.
    """
    combine_log_likelihood(idata)
    if _compat.has_group(idata, "posterior_predictive"):
        return
    model = getattr(compiled, "model", None)
    own = getattr(builder, "predictive", None)
    if own is not None and model is not None and not getattr(model, "observed_RVs", ()):
        observed, replicates = own(idata, seed=seed)
        if observed.data_vars:
            _compat.add_group(idata, "observed_data", observed)
            _compat.add_group(idata, "posterior_predictive", replicates)
        return
    predict = getattr(compiled, "posterior_predictive", None)
    if predict is None or (model is not None and not getattr(model, "observed_RVs", ())):
        return  # no replicates to draw, or only likelihood terms: nothing to replicate
    with warnings.catch_warnings():
        # The replicates redraw observed variables only, each given a posterior draw that
        # already reflects every likelihood term (pm.Potential): PyMC's notice that
        # potentials do not act on forward draws does not apply.
        warnings.filterwarnings("ignore", message="The effect of Potentials",
                                category=UserWarning)
        predictive = predict(idata, seed=seed)
    for name in ("observed_data", "posterior_predictive"):
        if not _compat.has_group(idata, name) and _compat.has_group(predictive, name):
            _compat.add_group(idata, name, _compat.get_group(predictive, name))
