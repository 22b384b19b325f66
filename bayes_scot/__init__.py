"""bayes_scot: Bayesian reanalysis of randomised trials from published arm-level data.

The public names are imported lazily, so ``import bayes_scot`` is quick and loading a
trial file does not pull in PyMC.

Examples
--------
>>> import bayes_scot as bs
>>> scot = bs.load_trial("scot")
>>> scot.experimental, scot.control
('hsct', 'cyc')
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bayes_scot.errors import EvidenceError, SpecError

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "load_trial": "bayes_scot.data",
    "list_trials": "bayes_scot.data",
    "load_external": "bayes_scot.data",
    "Trial": "bayes_scot.evidence",
    "Source": "bayes_scot.evidence",
    "reconstruct_ipd": "bayes_scot.stats.reconstruction",
    "reanalyse_effect": "bayes_scot.stats.normal_normal",
    "win_statistics": "bayes_scot.stats.win",
    "reanalyse": "bayes_scot.reanalysis",
    "calibrate": "bayes_scot.calibration",
    "operating_characteristics": "bayes_scot.calibration",
    "Reanalysis": "bayes_scot.reanalysis",
}

__all__ = [
    "EvidenceError",
    "Reanalysis",
    "Source",
    "SpecError",
    "Trial",
    "__version__",
    "calibrate",
    "list_trials",
    "load_external",
    "load_trial",
    "operating_characteristics",
    "reanalyse",
    "reanalyse_effect",
    "reconstruct_ipd",
    "win_statistics",
]

if TYPE_CHECKING:  # pragma: no cover
    from bayes_scot.calibration import calibrate, operating_characteristics
    from bayes_scot.data import list_trials, load_external, load_trial
    from bayes_scot.evidence import Source, Trial
    from bayes_scot.reanalysis import Reanalysis, reanalyse
    from bayes_scot.stats.normal_normal import reanalyse_effect
    from bayes_scot.stats.reconstruction import reconstruct_ipd
    from bayes_scot.stats.win import win_statistics


def __getattr__(name: str) -> Any:
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'bayes_scot' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
