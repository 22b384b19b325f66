"""The survival family's margins on a binary endpoint read ``better`` on the survival scale.

A binary endpoint's ``better`` speaks of the proportion with the event; the survival
family reads the probability of being still free of it. The trial numbers are SIMULATED.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bayes_scot.errors import SpecError
from bayes_scot.spec import load_spec

TRIAL = """\
# SIMULATED trial (not real data)
[trial]
name = "simbinary"
title = "SIMULATED binary endpoint as landmark counts"
citation = "SIMULATED"
[arms.new]
label = "New"
role = "experimental"
[arms.old]
label = "Old"
role = "control"
[endpoints.response]
label = "Response"
kind = "binary"
better = "higher"
[populations.itt]
label = "ITT"
n = { new = 200, old = 100 }
[[landmark_events]]
id = "crisis_12"
endpoint = "renal_crisis"
population = "itt"
time_months = 12
events = { new = 20, old = 20 }
n = { new = 200, old = 100 }
source = { citation = "SIMULATED", locator = "Table 2", tag = "reported" }
[[landmark_events]]
id = "response_12"
endpoint = "response"
population = "itt"
time_months = 12
events = { new = 120, old = 40 }
n = { new = 200, old = 100 }
source = { citation = "SIMULATED", locator = "Table 2", tag = "reported" }
"""


def _spec(tmp_path: Path, endpoint: str, options: str = "", mcids: str = "") -> Path:
    (tmp_path / "trial.toml").write_text(TRIAL)
    spec = tmp_path / "spec.toml"
    spec.write_text(f'[analysis]\nname = "sim"\nseed = 1\n[[trials]]\npath = "trial.toml"\n'
                    f'[survival]\n[survival.options]\nendpoint = "{endpoint}"\n{options}'
                    f"{mcids}")
    return spec


@pytest.mark.parametrize(("endpoint", "harm_side"), [("renal_crisis", 1.25), ("response", 0.8)])
def test_a_margin_on_the_harm_side_of_a_binary_endpoint_is_refused(tmp_path, endpoint,
                                                                   harm_side):
    # Renal crisis harms (better = "lower": fewer with it), so an HR above 1 is harm;
    # response is wanted (better = "higher"), so an HR below 1 is.
    load_spec(_spec(tmp_path, endpoint, f"hazard_ratio_margin = {1 / harm_side:g}\n"))
    with pytest.raises(SpecError, match="hazard_ratio_margin"):
        load_spec(_spec(tmp_path, endpoint, f"hazard_ratio_margin = {harm_side:g}\n"))


def test_an_mcid_on_a_wanted_binary_event_is_read_on_its_benefit_side(tmp_path):
    # Response is wanted: a lower probability of being still without it is the benefit,
    # so the survival difference's MCID must be negative.
    mcids = ('[mcids."response:survival_difference_12"]\nvalue = {}\n'
             'source = "SIMULATED consensus"\n')
    load_spec(_spec(tmp_path, "response", mcids=mcids.format(-0.1)))
    with pytest.raises(SpecError, match="survival_difference_12"):
        load_spec(_spec(tmp_path, "response", mcids=mcids.format(0.1)))
