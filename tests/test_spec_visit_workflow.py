"""The documented visit-summary workflow, end to end, with simulated visit numbers.

docs/trial-file-format.md tells a statistician who holds SCOT's per-visit numbers to
append ``[[visit_summaries]]`` blocks to a copy of ``scot.toml``, validate it, and name
the file in a specification. The numbers here are simulated (tests/data/
simulated_visits.toml says so); the test follows the steps and checks that the
specification names the trial from its file, that a population the file lacks is one
line with the choices, that the longitudinal model reads the added visits, and that they
reach ``published("longitudinal")`` and the trajectory figure. The model is built, not
compiled or sampled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.lines import Line2D

from bayes_scot.cli import main
from bayes_scot.data import TRIALS_DIR
from bayes_scot.errors import SpecError
from bayes_scot.plots import plot_trajectories
from bayes_scot.reanalysis import Reanalysis
from bayes_scot.reanalysis.runner import build_family
from bayes_scot.spec import load_spec

DATA = Path(__file__).resolve().parent / "data"
ADDED = ("itt_haq_di_12", "itt_haq_di_24")

SPEC = """\
[analysis]
name = "scot_with_visits"

[[trials]]
path = "my-scot.toml"          # no name: the file's [trial] name is used
population = "{population}"

[priors]
grid = ["reference"]

[longitudinal]
population = "all"             # baselines from any population, follow-up from one
external = ["external"]

[longitudinal.options]
endpoints = ["haq_di"]         # the endpoint of the added visits
visits_months = [0.0, 12.0, 24.0]
reference_visit_months = 24.0
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Steps 1-2: a copy of scot.toml with the (simulated) visit blocks appended."""
    text = (TRIALS_DIR / "scot.toml").read_text(encoding="utf-8")
    added = (DATA / "simulated_visits.toml").read_text(encoding="utf-8")
    (tmp_path / "my-scot.toml").write_text(text + "\n" + added, encoding="utf-8")
    return tmp_path


def _spec(folder: Path, population: str = "itt") -> Path:
    path = folder / "spec.toml"
    path.write_text(SPEC.format(population=population), encoding="utf-8")
    return path


def test_validate_accepts_the_copy(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Step 3: ``bayes-scot validate my-scot.toml``."""
    assert main(["validate", str(folder / "my-scot.toml")]) == 0
    assert "valid: trial 'scot'" in capsys.readouterr().out


def test_spec_names_the_trial_from_its_file(folder: Path) -> None:
    spec = load_spec(_spec(folder))
    assert spec.trials[0].name == "scot"
    assert spec.family("longitudinal").trials == ("scot",)


def test_population_the_file_lacks_is_one_line(folder: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(_spec(folder, population="intention_to_treat"))
    message = str(info.value)
    assert "field 'trials[0].population'" in message
    assert "'itt', 'pp'" in message
    assert "\n" not in message


@pytest.mark.slow  # builds the longitudinal PyMC model (not compiled)
def test_added_visits_reach_the_model_published_and_the_figure(folder: Path) -> None:
    spec = load_spec(_spec(folder))
    builder, _settings = build_family(spec, "longitudinal")
    log = builder.evidence_log
    used = log[log["entry"].isin(ADDED)]
    assert set(used["entry"]) == set(ADDED)
    assert used["used"].all()

    trial = builder.trial
    result = Reanalysis(spec=spec, fits=[], trials={"scot": trial.with_population("itt")},
                        builders={"longitudinal": builder})
    published = result.published("longitudinal")
    assert set(ADDED) <= set(published["id"])
    # The family reads baselines from every population: the pooled HAQ-DI baseline too.
    assert "interim_haq_di_baseline" in set(published["id"])

    # Simulated posterior trajectories (changes from baseline) for the figure.
    trajectories = pd.DataFrame([
        {"endpoint": "haq_di", "arm": arm, "time_months": t, "statistic": "change",
         "median": -0.2, "lower": -0.6, "upper": 0.2}
        for arm in ("hsct", "cyc") for t in (0.0, 12.0, 24.0)
    ])
    figure = plot_trajectories(trajectories, published=published)
    diamonds = [line for ax in figure.axes for line in ax.get_lines()
                if isinstance(line, Line2D) and line.get_marker() == "D"
                and len(line.get_xdata())]
    drawn = sorted((float(x), round(float(y), 6)) for line in diamonds
                   for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True))
    # Reported means minus the pooled baseline mean of 1.40 (interim cohort).
    expected = sorted((t, round(m - 1.40, 6)) for t, m in
                      ((12.0, 1.10), (12.0, 1.30), (24.0, 0.95), (24.0, 1.25)))
    assert np.allclose(drawn, expected)
