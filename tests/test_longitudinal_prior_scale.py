"""[longitudinal.priors] scales the direction-aligned standardised effect (SIMULATED files)."""

from __future__ import annotations

import pytest

from bayes_scot.errors import SpecError
from bayes_scot.spec import load_spec

TRIAL = """\
# SIMULATED trial for tests: not real data.
[trial]
name = "fatsim"
title = "SIMULATED fatigue trial"
citation = "SIMULATED data for tests"
[arms.app]
label = "App (SIMULATED)"
role = "experimental"
[arms.leaflet]
label = "Leaflet (SIMULATED)"
role = "control"
[endpoints.fatigue]
label = "Fatigue score"
kind = "continuous"
better = "lower"
unit = "points"
[populations.itt]
label = "ITT"
n = { app = 150, leaflet = 100 }
[[visit_summaries]]
id = "fat_0"
endpoint = "fatigue"
population = "itt"
time_months = 0
statistic = "mean"
mean = { pooled = 30.0 }
sd = { pooled = 8.0 }
n = { pooled = 250 }
source = { citation = "SIMULATED", locator = "Table 1", tag = "reported" }
"""

SPEC = """\
[analysis]
name = "fatsim"
[[trials]]
path = "fatsim.toml"
[longitudinal]
endpoints = ["fatigue"]
[longitudinal.options]
endpoints = ["fatigue"]
visits_months = [0.0, 6.0]
reference_visit_months = 6.0
[longitudinal.priors]
design_effect = {design}
benefit = "{benefit}"
reference_sd = 1.0
"""


@pytest.mark.parametrize(("benefit", "design", "field"), [
    ("lower", -0.5, "longitudinal.priors.benefit"),
    ("higher", -0.5, "longitudinal.priors.design_effect"),
])
def test_a_longitudinal_prior_scale_on_the_harm_side_is_refused(tmp_path, benefit, design,
                                                                 field):
    (tmp_path / "fatsim.toml").write_text(TRIAL)
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(design=design, benefit=benefit))
    with pytest.raises(SpecError, match=field.replace(".", r"\.")):
        load_spec(spec)
    (tmp_path / "ok.toml").write_text(SPEC.format(design=0.5, benefit="higher"))
    load_spec(tmp_path / "ok.toml")
