"""Counts of events contained in another endpoint's cannot exceed them, at load time.

Every death is an EFS event and every treatment-related death a death: a trial file
whose counts say otherwise is refused by ``load_trial`` (so by ``bayes-scot validate``),
naming the file, the entry and the field, before any model is built. A model's own rule
about an entry names the trial file too. All trial numbers are SIMULATED.
"""

from __future__ import annotations

import pytest

from bayes_scot.cli import main
from bayes_scot.data import load_trial
from bayes_scot.errors import EvidenceError

HEADER = """
[trial]
name = "sim_nested"
title = "SIMULATED trial"
citation = "SIMULATED"
[arms.x]
label = "X"
role = "experimental"
[arms.y]
label = "Y"
role = "control"
[populations.itt]
label = "ITT"
n = { x = 100, y = 100 }
"""


def _counts(entry: str, endpoint: str, time: float, x: int, n_x: int = 100) -> str:
    return f"""
[[landmark_events]]
id = "{entry}"
endpoint = "{endpoint}"
population = "itt"
time_months = {time}
events = {{ x = {x}, y = 20 }}
n = {{ x = {n_x}, y = 100 }}
source = {{ citation = "SIMULATED", locator = "Table 2", tag = "reported" }}
"""


def _write(tmp_path, *entries: str):
    path = tmp_path / "trial.toml"
    path.write_text(HEADER + "".join(entries), encoding="utf-8")
    return path


def test_deaths_above_efs_events_by_the_same_landmark_are_refused(tmp_path, capsys):
    path = _write(tmp_path, _counts("efs24", "efs", 24, 20), _counts("os24", "os", 24, 25))
    with pytest.raises(EvidenceError) as caught:
        load_trial(path, population="all")
    assert caught.value.entry == "os24"
    assert caught.value.field == "events.x"
    assert str(caught.value).startswith(str(path))
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (f"bayes-scot validate: error: {path}: entry 'os24': field 'events.x': "
                   "deaths (25) by 24 months exceed EFS events (20) in arm 'x' (entry "
                   "'efs24'): every death is an EFS event\n")


def test_treatment_related_deaths_above_later_deaths_are_refused(tmp_path):
    path = _write(tmp_path, _counts("trd12", "treatment_related_death", 12, 9),
                  _counts("os24", "os", 24, 8))
    with pytest.raises(EvidenceError, match=r"treatment-related deaths \(9\) by 12 months "
                       r"exceed deaths \(8\) by 24 months in arm 'x'"):
        load_trial(path, population="all")


@pytest.mark.parametrize("entries", [
    # Consistent: deaths within EFS events, and a later EFS count is not compared
    # with earlier deaths the wrong way round.
    (_counts("efs24", "efs", 24, 20), _counts("os24", "os", 24, 20)),
    (_counts("os12", "os", 12, 25), _counts("efs6", "efs", 6, 10)),
    # Different n: different patients, not compared.
    (_counts("efs24", "efs", 24, 20), _counts("os24", "os", 24, 25, n_x=99)),
])
def test_consistent_or_incomparable_counts_load(tmp_path, entries):
    load_trial(_write(tmp_path, *entries), population="all")


def test_a_models_rule_about_an_entry_names_the_trial_file(tmp_path):
    from bayes_scot.reanalysis import reanalyse

    # EFS and OS counts by one landmark among different n: the illness-death model
    # cannot read them as one table of states.
    trial = _write(tmp_path, _counts("efs24", "efs", 24, 20),
                   _counts("os24", "os", 24, 15, n_x=99))
    spec = tmp_path / "spec.toml"
    spec.write_text(f"""
[analysis]
name = "sim_nested"
[[trials]]
path = "{trial.as_posix()}"
[priors]
grid = ["reference"]
[survival]
""", encoding="utf-8")
    with pytest.raises(EvidenceError) as caught:
        reanalyse(spec, progress=False)
    assert str(caught.value).startswith(f"{trial}: entry 'os24': field 'n.x': ")
