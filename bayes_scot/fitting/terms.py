"""Each likelihood term of a fit at every posterior draw, labelled with its source.

Attribution (:mod:`bayes_scot.results.attribution`) and tipping points
(:mod:`bayes_scot.results.tipping`) reweight a posterior by leaving out, or power-scaling,
one source of evidence. They need each term's log-likelihood per draw and where the term
comes from: the target trial, another trial of a hierarchical model, or discounted
external evidence, and which endpoints it speaks to. :func:`likelihood_terms` evaluates
every potential and observed variable of a model on the posterior draws (compiled once
per model, like the deterministics) and labels each from the builder:

* a builder with ``likelihood_sources()`` returns ``{variable: (source, endpoints)}``
  itself;
* otherwise terms named after a trial of ``builder.trials`` (``"<trial>_<n>_<kind>"``,
  the survival model) belong to the target trial (the first) or to another trial;
  variables whose name contains ``external`` are external evidence; a builder with an
  ``evidence_table()`` (the longitudinal model) gives each element's endpoint from the
  entry it comes from, or each variable's from its evidence group; anything else is the
  target trial's evidence on every endpoint.

A variable that sums terms of several endpoints into one value (the longitudinal model's
discounted external estimates) is labelled with all of them, so for each of those
endpoints it counts whole as that endpoint's external evidence.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from bayes_scot import _compat
from bayes_scot.fitting.deterministics import DeterministicsFunction

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

__all__ = ["LOG_PRIOR", "likelihood_terms"]

# One term: {"name", "source", "endpoints", "draws", "weight"}, the fields of
# bayes_scot.results.attribution.LikelihoodTerm.
TermRecord = dict[str, Any]

_EVALUATORS: weakref.WeakKeyDictionary[Any, DeterministicsFunction] = (
    weakref.WeakKeyDictionary()
)


LOG_PRIOR = "log_prior"
"""Name of the record holding the joint log prior density of the free variables."""


def _evaluator(model: pm.Model) -> DeterministicsFunction:
    found = _EVALUATORS.get(model)
    if found is None:
        import pymc as pm
        import pytensor.tensor as pt

        variables = list(model.potentials)
        for rv in model.observed_RVs:
            logp = pm.logp(rv, model.rvs_to_values[rv])
            logp.name = rv.name
            variables.append(logp)
        # The joint prior density of the free variables, on their own scale, evaluated
        # at the draws themselves: what power-scaling the prior scales.
        log_prior = pt.add(*(pm.logp(rv, rv).sum() for rv in model.free_RVs))
        log_prior.name = LOG_PRIOR
        variables.append(log_prior)
        found = _EVALUATORS[model] = DeterministicsFunction(model, variables=variables)
    return found


def _evidence_rows(builder: Any) -> list[Mapping[str, Any]]:
    table = getattr(builder, "evidence_table", None)
    if not callable(table):
        return []
    frame = table()
    if "used" in frame:
        frame = frame[frame["used"].astype(bool)]
    return list(frame.to_dict(orient="records"))


def _label(builder: Any, name: str, rows: list[Mapping[str, Any]]) -> tuple[str, Any, float]:
    """Return ``(source, endpoints, weight)`` of a whole variable."""
    sources = getattr(builder, "likelihood_sources", None)
    if callable(sources):
        source, endpoints = sources()[name]
        return source, None if endpoints is None else frozenset(endpoints), float("nan")
    trials = [getattr(t, "name", str(t)) for t in getattr(builder, "trials", ()) or ()]
    owner = next((t for t in trials if name.startswith(f"{t}_")), None)
    if owner is not None:
        return ("trial" if owner == trials[0] else "other_trial"), None, float("nan")
    if "external" in name:
        external = [r for r in rows if r.get("source") == "external"]
        endpoints = frozenset(str(r["endpoint"]) for r in external) or None
        weights = {float(r["weight"]) for r in external if r.get("weight") is not None}
        return "external", endpoints, max(weights) if weights else float("nan")
    group = [r for r in rows if r.get("group") == name]
    if group:
        return "trial", frozenset(str(r["endpoint"]) for r in group), float("nan")
    return "trial", None, float("nan")


def likelihood_terms(builder: Any, idata: Any) -> list[TermRecord]:
    """Evaluate and label every likelihood term of one fit at its posterior draws.

    Parameters
    ----------
    builder : object
        The model builder (``model``, and optionally ``trials``, ``evidence_table()`` or
        ``likelihood_sources()``).
    idata : arviz.InferenceData
        The fit; its ``constant_data`` sets the model's data containers first.

    Returns
    -------
    list of dict
        One record per term, with the fields of
        :class:`bayes_scot.results.attribution.LikelihoodTerm` (per element where the
        element's own entry, and so its endpoint, is known), and a last record
        ``"log_prior"`` (source ``"prior"``): the joint prior density of the free
        variables at each draw; empty for a builder without a PyMC model.
    """
    import pymc as pm

    model = getattr(builder, "model", None)
    if not isinstance(model, pm.Model) or idata is None:
        return []
    if _compat.has_group(idata, "constant_data"):
        constants = _compat.get_group(idata, "constant_data")
        known = set(_compat.data_names(model))
        _compat.set_data(model, {k: constants[k].values for k in constants.data_vars
                                 if k in known})
    evaluator = _evaluator(model)
    posterior = _compat.get_group(idata, "posterior")
    values = evaluator(posterior)
    rows = _evidence_rows(builder)
    endpoint_of = {str(r["entry"]): str(r["endpoint"]) for r in rows if "entry" in r}
    # An entry informs the treatment effect unless every one of its rows says it does not
    # (a baseline mean, which sets the level both arms share).
    informs_of: dict[str, bool] = {}
    for r in rows:
        if "entry" in r:
            entry = str(r["entry"])
            informs_of[entry] = informs_of.get(entry, False) or bool(
                r.get("informs_effect", True) or r.get("source") == "external")
    records: list[TermRecord] = []
    for name in values.data_vars:
        array = values[name]
        extra = [d for d in array.dims if d not in ("chain", "draw")]
        if name == LOG_PRIOR:
            records.append({"name": LOG_PRIOR, "source": "prior", "endpoints": None,
                            "weight": float("nan"),
                            "draws": np.asarray(array.values, dtype=float)})
            continue
        source, endpoints, weight = _label(builder, str(name), rows)
        labels = (
            [str(v).split(":", 1)[0] for v in array[extra[0]].values]
            if len(extra) == 1 and extra[0] in array.coords else []
        )
        if labels and all(label in endpoint_of for label in labels):
            for i, label in enumerate(labels):
                records.append({
                    "name": f"{name}[{i}]", "source": source,
                    "endpoints": frozenset({endpoint_of[label]}), "weight": weight,
                    "draws": np.asarray(array.isel({extra[0]: i}).values, dtype=float),
                    "informs_effect": informs_of.get(label, True),
                })
            continue
        draws = np.asarray(array.sum(extra).values if extra else array.values, dtype=float)
        records.append({"name": str(name), "source": source, "endpoints": endpoints,
                        "weight": weight, "draws": draws})
    return records
