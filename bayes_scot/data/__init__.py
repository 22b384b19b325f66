"""Layer 2: the shipped trial files and their loaders.

One human-readable TOML file per trial (SCOT, ASTIS, ASSIST) holds every published
arm-level number a model can use, each with its source and whether it was reported or
derived; ``external.toml`` holds evidence from other studies usable only as priors, and
``template.toml`` documents the format. See ``docs/trial-file-format.md``.

Examples
--------
>>> from bayes_scot.data import list_trials, load_trial
>>> list_trials()
('scot', 'astis', 'assist')
>>> scot = load_trial("scot")
>>> [e.id for e in scot.evidence("landmark_events", endpoint="os")]
['itt_os_events_48', 'itt_os_events_54']
"""

from bayes_scot.data.external import load_external, mcid
from bayes_scot.data.loader import (
    EXTERNAL_FILE,
    SHIPPED_TRIALS,
    TEMPLATE_FILE,
    TRIALS_DIR,
    list_trials,
    load_trial,
    read_trial_file,
    resolve_trial_path,
)
from bayes_scot.data.provenance import PROVENANCE_COLUMNS, provenance_table

__all__ = [
    "EXTERNAL_FILE",
    "PROVENANCE_COLUMNS",
    "SHIPPED_TRIALS",
    "TEMPLATE_FILE",
    "TRIALS_DIR",
    "list_trials",
    "load_external",
    "load_trial",
    "mcid",
    "provenance_table",
    "read_trial_file",
    "resolve_trial_path",
]
