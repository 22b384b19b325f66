"""What every reanalysis records about how it was run: versions, seed, inputs, timings.

:func:`provenance` gives the ``provenance`` mapping of a
:class:`~bayes_scot.reanalysis.Reanalysis` (the report's ``summary.json`` keeps it).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import platform
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from bayes_scot.evidence import Trial
from bayes_scot.spec import AnalysisSpec

__all__ = ["PROVENANCE_PACKAGES", "provenance"]

PROVENANCE_PACKAGES: tuple[str, ...] = (
    "bayes_scot",
    "pymc",
    "pytensor",
    "arviz",
    "nutpie",
    "jax",
    "blackjax",
    "numpy",
    "pandas",
    "scipy",
    "xarray",
)
"""Packages whose versions every reanalysis records."""

def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def provenance(
    spec: AnalysisSpec, trials: Mapping[str, Trial], seconds: Mapping[str, float]
) -> dict[str, Any]:
    """Record how a reanalysis was run.

    Parameters
    ----------
    spec : AnalysisSpec
        The specification run (with any overrides applied).
    trials : mapping of str to Trial
        The trials loaded, by name.
    seconds : mapping of str to float
        Wall-clock seconds per family (from building its model to its last fit
        processed; families overlap, since every batch starts before the first is
        read) and in total.

    Returns
    -------
    dict
        ``created``, ``python``, ``platform``, ``packages`` (the versions of
        :data:`PROVENANCE_PACKAGES`), ``seed``, ``spec`` (name, path, SHA-256), ``data``
        (per trial: population, data hash, file hash, path), ``sampler``,
        ``family_samplers`` and ``seconds``; the ``provenance`` section of the report's
        ``summary.json`` (docs/report-schema.md).
    """
    return {
        "created": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "packages": {p: _version(p) for p in PROVENANCE_PACKAGES},
        "seed": spec.seed,
        "spec": {"name": spec.name, "path": spec.path, "sha256": spec.sha256},
        "data": {
            name: {
                "population": t.population,
                "data_hash": t.data_hash,
                "file_sha256": t.content_hash or "",
                "path": t.path or "",
            }
            for name, t in trials.items()
        },
        "sampler": dataclasses.asdict(spec.sampler),
        "family_samplers": {
            f.family: dataclasses.asdict(f.sampler_settings(spec.sampler))
            for f in spec.families if f.sampler
        },
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
    }
