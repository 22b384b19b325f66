"""A visit summary's SE as used, beside what its SD and n give, when the two differ.

The trial is SIMULATED (numbers typed for the tests, not from any paper): a
quality-of-life score, 120 and 60 patients randomised, visits at baseline, 6 and 12
months, each with a reported SE and an SD with the number measured. The reported SE is
used (a model-based SE of an adjusted mean legitimately differs from SD/sqrt(n)); before,
the evidence log did not say that the SD and n give another SE, so a reader could not
see the choice.

The tests build models only (no sampling), so they are fast.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from simulated_trial_files import qol_trial_header

from bayes_scot.builders.longitudinal import LongitudinalModel, LongitudinalOptions
from bayes_scot.data import load_trial

VISIT = """
[[visit_summaries]]
id = "qol_{time}"
endpoint = "qol"
population = "itt"
time_months = {time}
statistic = "{statistic}"
mean = {{ {arms} }}
se = {{ {se} }}
sd = {{ {sd} }}
n = {{ {n} }}
source = {{ citation = "SIMULATED", locator = "Table 2", tag = "reported" }}
"""

SD = 10.0
"""SIMULATED SD of every arm at every visit: SD/sqrt(n) is 0.913 for 120, 1.29 for 60."""


def visit(time: int, se: dict[str, float], n: dict[str, int],
          means: dict[str, float], statistic: str = "mean") -> str:
    """Return one SIMULATED visit summary with SE, SD and n for each arm of ``means``."""
    def pairs(values: dict[str, float] | dict[str, int]) -> str:
        return ", ".join(f"{arm} = {value}" for arm, value in values.items())

    return VISIT.format(time=time, statistic=statistic, arms=pairs(means), se=pairs(se),
                        sd=pairs(dict.fromkeys(means, SD)), n=pairs(n))


def notes(tmp_path: Path, body: str) -> pd.DataFrame:
    """Build the model of the SIMULATED trial and return its evidence table."""
    path = tmp_path / "qolsim.toml"
    path.write_text(qol_trial_header() + body)
    model = LongitudinalModel(load_trial(path, population="itt"),
                              options=LongitudinalOptions(endpoints=("qol",)))
    return model.evidence_table()


def note(table: pd.DataFrame, entry: str, arm: str) -> str:
    row = table[(table["entry"] == entry) & (table["arm"] == arm)]
    assert len(row) == 1
    assert bool(row["used"].iloc[0])
    return str(row["note"].iloc[0])


def test_an_se_that_differs_from_sd_over_root_n_is_named_beside_it(tmp_path: Path) -> None:
    n = {"drug": 110, "placebo": 52}
    body = (visit(0, {"drug": 0.9, "placebo": 1.3}, {"drug": 120, "placebo": 60},
                  {"drug": 50.0, "placebo": 50.5})
            # 6 months: a model-based SE (1.1) a fifth above 10/sqrt(110) = 0.953.
            + visit(6, {"drug": 1.1, "placebo": 1.39}, n, {"drug": 55.0, "placebo": 51.0})
            # 12 months: the pooled arm's SE 0.5 is far below 10/sqrt(162) = 0.786.
            + visit(12, {"pooled": 0.5}, {"pooled": 162}, {"pooled": 54.0}))
    table = notes(tmp_path, body)
    raw = SD / math.sqrt(110)
    assert f"SE as reported (1.1); SD/sqrt(n) = 10/sqrt(110) gives {raw:.3g}" in note(
        table, "qol_6", "drug")
    assert "SE as reported (0.5); SD/sqrt(n) = 10/sqrt(162) gives 0.786" in note(
        table, "qol_12", "pooled")
    # The reported SE is the one used.
    used = table[(table["entry"] == "qol_6") & (table["arm"] == "drug")]["se"].iloc[0]
    assert used == 1.1


def test_an_se_within_rounding_of_sd_over_root_n_has_no_note(tmp_path: Path) -> None:
    """SE and SD/sqrt(n) within SE_AGREEMENT (10%) of each other: no note.

    0.9 against 10/sqrt(120) = 0.913 differs by 1.4%, and 1.39 against 10/sqrt(52) =
    1.387 by 0.2%: what printing to two or three digits does. 1.3 against 10/sqrt(60) =
    1.29 by 0.7%.
    """
    body = (visit(0, {"drug": 0.9, "placebo": 1.3}, {"drug": 120, "placebo": 60},
                  {"drug": 50.0, "placebo": 50.5})
            + visit(6, {"drug": 0.953, "placebo": 1.39}, {"drug": 110, "placebo": 52},
                    {"drug": 55.0, "placebo": 51.0}))
    table = notes(tmp_path, body)
    assert not table["note"].str.contains("SD/sqrt").any()
