"""Text of SIMULATED drug-versus-control trial files, for tests that write their own.

Tests of trials unlike SCOT write trial files from text: the header (trial, arms,
source, population) and a hazard-ratio entry are the parts they share; each test
appends its own entries.
"""

from __future__ import annotations

__all__ = ["RATIO", "qol_trial_header", "trial_header"]


def trial_header(name: str, *, title: str, n: tuple[int, int] = (120, 118)) -> str:
    """Return the ``[trial]``, ``[arms]``, ``[sources]`` and ``[populations]`` tables.

    Parameters
    ----------
    name : str
        The trial's name.
    title : str
        Its title; it should say the trial is SIMULATED.
    n : tuple of int, default (120, 118)
        Patients randomised to the ``drug`` and ``control`` arms (population ``itt``,
        source ``paper``).
    """
    return f"""
[trial]
name = "{name}"
title = "{title}"
citation = "SIMULATED; not a publication"

[arms.drug]
label = "Drug (SIMULATED)"
role = "experimental"

[arms.control]
label = "Control (SIMULATED)"
role = "control"

[sources.paper]
citation = "SIMULATED paper"

[populations.itt]
label = "Randomised"
n = {{ drug = {n[0]}, control = {n[1]} }}
source = {{ ref = "paper", locator = "Table 1", tag = "reported" }}
"""


#: A hazard ratio over 0-48 months in population ``itt``, to ``.format(endpoint=...,
#: estimate=..., lower=..., upper=...)``.
RATIO = """
[[ratios]]
id = "{endpoint}_hr"
endpoint = "{endpoint}"
population = "itt"
measure = "HR"
estimate = {estimate}
lower = {lower}
upper = {upper}
window_months = [0, 48]
source = {{ ref = "paper", locator = "Abstract", tag = "reported", note = "SIMULATED." }}
"""


def qol_trial_header(*, better: str = "higher", time_unit: str = "months") -> str:
    """Return the tables of a SIMULATED quality-of-life trial, drug 120 against placebo 60.

    Parameters
    ----------
    better : {"higher", "lower"}, default "higher"
        The direction of its one continuous endpoint, ``qol`` (points).
    time_unit : str, default "months"
        The unit of the file's times.
    """
    return f"""\
# SIMULATED trial for tests: not real data.
[trial]
name = "qolsim"
title = "SIMULATED quality-of-life trial"
citation = "SIMULATED data for tests"
time_unit = "{time_unit}"

[arms.drug]
label = "Drug (SIMULATED)"
role = "experimental"
short_label = "Drug"

[arms.placebo]
label = "Placebo (SIMULATED)"
role = "control"

[endpoints.qol]
label = "QoL score"
kind = "continuous"
better = "{better}"
unit = "points"

[populations.itt]
label = "ITT"
n = {{ drug = 120, placebo = 60 }}
"""
