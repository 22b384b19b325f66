"""The ``summary.json`` document of a report: a stable, documented, machine-readable record.

The schema is versioned by :data:`SCHEMA_VERSION` and documented key by key in
``docs/report-schema.md``. Adding keys is a minor version change; renaming or removing
one, or changing its meaning, is a major one.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bayes_scot import _compat
from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.results import ESS_BULK_MIN, RHAT_MAX

__all__ = ["SCHEMA_VERSION", "data_warnings", "jsonable", "records", "samplers", "summary"]

SCHEMA_VERSION = "1.10"
"""Version of the ``summary.json`` schema (``major.minor``)."""


def jsonable(value: Any) -> Any:
    """Convert a value to plain JSON types: NaN and infinities become ``null``.

    Parameters
    ----------
    value : object
        Numbers (Python or NumPy), strings, booleans, None, mappings, sequences,
        dataclasses.

    Returns
    -------
    object
        Built only of dict, list, str, int, float, bool and None.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return records(value)
    if isinstance(value, Sequence | np.ndarray | set | frozenset):
        return [jsonable(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a DataFrame as JSON-ready dictionaries (NaN as ``null``)."""
    return [jsonable(row) for row in frame.to_dict(orient="records")]


def _spec(reanalysis: Any) -> dict[str, Any]:
    spec = reanalysis.spec
    return {
        "name": spec.name,
        "title": spec.title,
        "description": spec.description,
        "path": spec.path,
        "sha256": spec.sha256,
        "seed": spec.seed,
        "priors": list(spec.priors),
        "reference_prior": spec.reference_prior,
        "trials": [jsonable(t) for t in spec.trials],
        "families": [
            {
                "family": f.family,
                "trials": list(f.trials),
                "endpoints": list(f.endpoints),
                "estimands": list(f.estimands),
                "options": jsonable(dict(f.options)),
                "sampler": jsonable(f.sampler_settings(spec.sampler)),
            }
            for f in spec.families
        ],
        "mcids": [jsonable(m) for m in spec.mcids],
        "joint": jsonable(spec.joint),
        "sampler": jsonable(spec.sampler),
        "text": spec.text,
    }


def _optional(reanalysis: Any, method: str) -> list[dict[str, Any]]:
    """Return the records of a table method, empty when a stand-in reanalysis lacks it."""
    table = getattr(reanalysis, method, None)
    return records(table()) if callable(table) else []


def summary(reanalysis: Any, *, figures: Sequence[Mapping[str, str]] = (),
            notes: Sequence[str] = ()) -> dict[str, Any]:
    """Build the ``summary.json`` document of a reanalysis.

    Parameters
    ----------
    reanalysis : Reanalysis
        The results (anything with the same methods: ``spec``, ``provenance``,
        ``table()``, ``joint_probabilities()``, ``diagnostics()``, ``reproduce()``,
        ``power_scaling()``, ``assumptions``).
    figures : sequence of mapping, optional
        ``{"name", "file", "title"}`` of each figure written.
    notes : sequence of str, optional
        Anything the reader must know about the report itself (e.g. a figure that could
        not be drawn and why).

    Returns
    -------
    dict
        JSON-ready; keys documented in ``docs/report-schema.md``.
    """
    provenance = dict(reanalysis.provenance)
    table = reanalysis.table()
    diagnostics = reanalysis.diagnostics()
    return {
        "schema_version": SCHEMA_VERSION,
        "created": provenance.get("created"),
        "spec": _spec(reanalysis),
        "seed": reanalysis.spec.seed,
        "packages": jsonable(provenance.get("packages", {})),
        "python": provenance.get("python"),
        "input_data": jsonable(provenance.get("data", {})),
        "credible_level": CREDIBLE_LEVEL,
        "gate": {
            "rhat_max": RHAT_MAX,
            "ess_bulk_min": ESS_BULK_MIN,
            "divergences_max": 0,
            "flagged_rows": int(table["flagged"].sum()) if len(table) else 0,
        },
        "assumptions": list(reanalysis.assumptions),
        "warnings": data_warnings(reanalysis),
        "samplers": samplers(reanalysis),
        "table": records(table),
        "joint_probabilities": records(reanalysis.joint_probabilities()),
        "diagnostics": records(diagnostics.drop(columns="seconds", errors="ignore")),
        "reproduce": records(reanalysis.reproduce()),
        "evidence_log": _optional(reanalysis, "evidence_log"),
        "power_scaling": records(reanalysis.power_scaling()),
        "constant_sensitivity": _optional(reanalysis, "constant_sensitivity"),
        "priors": _optional(reanalysis, "priors_table"),
        "tipping_points": _optional(reanalysis, "tipping_points"),
        "structure_sensitivity": _optional(reanalysis, "structure_sensitivity"),
        "timings_seconds": _timings(provenance, diagnostics),
        "figures": [dict(f) for f in figures],
        "notes": list(notes),
    }


def _backend(fit: Any) -> str:
    """Return the sampler backend a fit records, or "" when it records none."""
    idata = getattr(fit, "idata", None)
    if idata is None:
        return ""
    try:
        posterior = _compat.get_group(idata, "posterior")
    except (AttributeError, KeyError):
        return ""
    return str(getattr(posterior, "attrs", {}).get("sampler_backend", ""))


def samplers(reanalysis: Any) -> list[dict[str, str]]:
    """Say how each fitted family was sampled, with the settings it actually ran with.

    Each family's settings are the specification's ``[sampler]`` table with the family's
    own replacements (``FamilySpec.sampler_settings``); the backend is the one its fits
    record (``sampler_backend`` in the posterior's attributes). A family whose posterior
    has a closed form (the composite's direct route) ran no MCMC, and its line says so
    instead of quoting tuning and tree depth it never used. No line quotes the
    specification's default settings for a family that replaced them.

    Returns
    -------
    list of dict
        ``family`` and ``text``, one per fitted family, in specification order.
    """
    spec = reanalysis.spec
    fitted = set(reanalysis.families)
    out = []
    for family in spec.families:
        if family.family not in fitted:
            continue
        settings = family.sampler_settings(spec.sampler)
        used = {_backend(f) for f in reanalysis.fits
                if f.family == family.family and not getattr(f, "route", "")}
        used.discard("")
        backend = ", ".join(sorted(used)) or str(settings.backend)
        if used == {"closed_form"}:
            text = (f"closed-form posterior, no MCMC ({settings.chains} × {settings.draws} "
                    "quantiles of the exact posterior)")
        else:
            text = (f"{backend}, {settings.chains} chains × {settings.draws} draws after "
                    f"{settings.tune} tuning steps, target acceptance "
                    f"{settings.target_accept:g}, tree depth at most "
                    f"{settings.max_treedepth}")
        out.append({"family": family.family, "text": text})
    return out


def data_warnings(reanalysis: Any) -> list[str]:
    """Warnings about the evidence the results rest on, one line each.

    A digitised Kaplan-Meier curve whose risk table the reconstruction cannot reconcile
    with it (:func:`~bayes_scot.stats.reconstruction.curve_warnings`: max |dS| above
    :data:`~bayes_scot.stats.reconstruction.POOR_MAX_ABS_DS`) is named with its file and
    entry; such a curve still enters the model, and a reader should know. So are the
    models' own warnings (a builder's ``warnings()``: a longitudinal reference visit
    beyond the data) and every family whose reference fit leaves published numbers it
    used outside their posterior predictive intervals (:func:`predictive_warnings`).

    Parameters
    ----------
    reanalysis : Reanalysis
        Its ``trials`` (none for a reanalysis assembled without them) are checked.

    Returns
    -------
    list of str
    """
    from bayes_scot.stats.reconstruction import curve_warnings

    found = [w for trial in dict(getattr(reanalysis, "trials", {}) or {}).values()
             for w in curve_warnings(trial)]
    for builder in dict(getattr(reanalysis, "builders", {}) or {}).values():
        own = getattr(builder, "warnings", None)
        if callable(own):
            found += list(own())
    reproduce = getattr(reanalysis, "reproduce", None)
    if callable(reproduce):
        found += predictive_warnings(reproduce())
    found += unmatched_mcids(reanalysis)
    return list(dict.fromkeys(found))


def unmatched_mcids(reanalysis: Any) -> list[str]:
    """One warning per ``[mcids]`` pattern that no reported estimand matched.

    A wildcard pattern is checked against the estimands only once they exist; one that
    matched none (a misspelt estimand, an endpoint no family reports) changed nothing.
    """
    spec = getattr(reanalysis, "spec", None)
    keys = {(e.endpoint, e.estimand) for fit in getattr(reanalysis, "fits", ())
            for e in fit.estimands}
    return [f"[mcids] pattern {m.pattern!r} matched no reported estimand; its MCID "
            f"({m.value:g}) was not used" for m in getattr(spec, "mcids", ())
            if not any(m.matches(endpoint, estimand) for endpoint, estimand in keys)]


def predictive_warnings(reproduce: pd.DataFrame) -> list[str]:
    """One warning per family whose fit misses published numbers it used.

    A posterior predictive check of the reproduce-the-paper table
    (:meth:`~bayes_scot.Reanalysis.reproduce`, reference fits): the published numbers
    that entered the likelihood (``used``, when the table says) and lie outside their
    central :data:`~bayes_scot.conventions.CREDIBLE_LEVEL` predictive interval, beside
    how many that many numbers would leave outside by chance alone. A model that cannot
    reproduce its own data (too tight a prior on a nuisance parameter, a structure the
    data contradict) gives estimates that may not hold either.

    Parameters
    ----------
    reproduce : pandas.DataFrame
        Columns ``family``, ``entry``, ``arm``, ``outside`` and optionally ``used``.

    Returns
    -------
    list of str
    """
    if reproduce.empty:
        return []
    used = reproduce[reproduce["used"].astype(bool)] if "used" in reproduce else reproduce
    out = []
    for family, rows in used.groupby("family", sort=False):
        missed = rows[rows["outside"].astype(bool)]
        if missed.empty:
            continue
        names = ", ".join(dict.fromkeys(
            f"{r.entry} ({r.arm})" if isinstance(r.arm, str) and r.arm else str(r.entry)
            for r in missed.itertuples()))
        chance = (1.0 - CREDIBLE_LEVEL) * len(rows)
        out.append(
            f"{family}: {len(missed)} of {len(rows)} published numbers the model used lie "
            f"outside their {CREDIBLE_LEVEL:.0%} posterior predictive intervals under the "
            f"reference prior ({names}; {chance:.1f} expected by chance): the model does "
            "not reproduce its own data there, and its estimates may not hold either "
            "(see 'Reproduce the paper')")
    return out


def _timings(provenance: Mapping[str, Any], diagnostics: Any) -> dict[str, Any]:
    """Every wall time of the run in one group: per family, in total, and per fit.

    Two reports of one specification and seed differ only here and in ``created``.
    """
    timings = dict(jsonable(provenance.get("seconds", {})))
    if "seconds" in diagnostics:
        timings["fits"] = records(diagnostics[["family", "prior", "seconds"]])
    return timings
