"""Operating characteristics at another design: the composite's closed form, the design's
trial (rescaled arm sizes and follow-up), and the command line's checks (no fit here)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayes_scot.builders.survival import SurvivalModel
from bayes_scot.calibration import normal_normal_oc, operating_characteristics
from bayes_scot.calibration.design import Design, check_design, design_trial, se_at_design
from bayes_scot.cli import main
from bayes_scot.data import load_trial
from bayes_scot.errors import SpecError


@pytest.fixture(scope="module")
def composite_oc():
    return operating_characteristics(
        "scot_itt",
        family="composite",
        effects=(0.0, 0.2, 0.3),
        priors=("reference", "skeptical_moderate"),
        mcid=0.1,
    )


def test_composite_oc_is_the_normal_normal_closed_form(composite_oc) -> None:
    from bayes_scot.builders.composite import CompositeModel

    model = CompositeModel(load_trial("scot", population="itt"))
    table = composite_oc.table()
    assert composite_oc.rows.empty  # nothing simulated or sampled
    assert list(table.columns) == [
        "prior",
        "net_benefit",
        "p_declare_superior",
        "expected_p_superior",
        "p_declare_mcid",
        "expected_p_mcid",
    ]
    for name, rows in table.groupby("prior", sort=False):
        prior = model.default_priors()[name]
        exact = normal_normal_oc(
            prior.mean,
            prior.sd,
            model.observation.se,
            (0.0, 0.2, 0.3),
            threshold=0.95,
            benefit="higher",
            margin=0.1,
        )
        np.testing.assert_allclose(
            rows["p_declare_superior"], exact["p_declare_superior"], rtol=1e-12
        )
        np.testing.assert_allclose(rows["expected_p_mcid"], exact["expected_p_mcid"], rtol=1e-12)
    # The reference prior is nearly flat next to SCOT's SE: the type I error is close to,
    # and below, the 5% of the one-sided z-test at 0.95.
    reference = table[table["prior"] == "reference"].set_index("net_benefit")
    assert 0.04 < reference.loc[0.0, "p_declare_superior"] < 0.05


def test_larger_arms_give_more_power_with_the_se_of_the_design() -> None:
    big = operating_characteristics(
        "scot_itt",
        family="composite",
        effects=(0.0, 0.2),
        priors=("reference",),
        n_per_arm=(72, 78),
    ).table()
    small = operating_characteristics(
        "scot_itt", family="composite", effects=(0.0, 0.2), priors=("reference",)
    ).table()
    assert big["p_declare_superior"].iloc[1] > small["p_declare_superior"].iloc[1]
    # Twice the patients in each arm: the SE shrinks by sqrt(2).
    assert se_at_design(1.0, (36, 39), Design((72, 78))) == pytest.approx(1 / math.sqrt(2))


def test_composite_report_says_closed_form(composite_oc, tmp_path: Path) -> None:
    import json

    composite_oc.write_report(tmp_path / "oc")
    summary = json.loads((tmp_path / "oc" / "summary.json").read_text())
    assert summary["method"] == "closed_form"
    assert len(summary["operating_characteristics"]) == 6
    assert "Closed form" in (tmp_path / "oc" / "report.md").read_text()


def test_design_trial_rescales_counts_and_moves_landmarks() -> None:
    scot = load_trial("scot", population="itt")
    bigger = design_trial(scot, Design((72, 78), 36.0))
    assert (bigger.n("hsct"), bigger.n("cyc")) == (72, 78)
    model = SurvivalModel(bigger)
    terms = model.likelihood_terms
    # The same evidence layout at twice the size: counts by 32 and 36 months (48 and 54
    # moved in proportion), deaths by 8 months.
    assert [t.kind for t in terms] == ["landmark_states", "interval_states", "deaths_by_time"]
    assert [t.times for t in terms] == [(32.0,), (32.0, 36.0), (8.0, 32.0)]
    assert np.array_equal(terms[0].data["counts"].sum(axis=1), [72, 78])
    assert model.max_count == 78
    original = SurvivalModel(scot).likelihood_terms[0].data["counts"]
    assert np.abs(terms[0].data["counts"] - 2 * original).max() <= 1  # rounding
    assert design_trial(scot, Design()) is scot


@pytest.mark.parametrize(
    ("family", "sizes", "follow_up", "field"),
    [
        ("survival", (40,), None, "n_per_arm"),
        ("survival", (1, 40), None, "n_per_arm"),
        ("survival", (40, 10**6), None, "n_per_arm"),
        ("composite", None, 54.0, "follow_up"),
        ("survival", None, math.inf, "follow_up"),
    ],
)
def test_bad_designs_are_refused(family, sizes, follow_up, field) -> None:
    with pytest.raises(SpecError, match=field):
        check_design(family, sizes, follow_up)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--n-per-arm", "40"], "give two arm sizes"),
        (["--n-per-arm", "40,x"], "whole number"),
        (["--n-per-arm", "40,9000"], "n_per_arm"),
        (["--hr", "1,0.8", "--family", "composite"], "survival family"),
        (["--hr", "1,0.8", "--effects", "1,0.8"], "not both"),
        (["--follow-up", "54", "--family", "longitudinal"], "follow_up_months"),
        (["--follow-up", "-1"], "must be positive"),
        (["--effects", "0,2", "--family", "composite"], "between -1 and 1"),
        (["--threshold", "1.2"], "between 0 and 1"),
        (["--mcid", "nan"], "NaN"),
    ],
)
def test_bad_design_options_exit_2_with_one_line(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(["oc", *argv, "--out", str(tmp_path / "out")])
    except SystemExit as exit_info:
        code = exit_info.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_composite_oc_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "oc"
    assert (
        main(
            [
                "oc",
                "--family",
                "composite",
                "--effects",
                "0,0.2",
                "--n-per-arm",
                "40,40",
                "--threshold",
                "0.9",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    rows = pd.read_json(out / "summary.json", typ="series")["operating_characteristics"]
    assert {r["net_benefit"] for r in rows} == {0.0, 0.2}
    assert (out / "figures" / "power.png").exists()


def test_default_scenarios_are_benefits_whatever_the_endpoints_direction(tmp_path: Path) -> None:
    # A wanted event (better = "lower": time to healing) is brought sooner by a benefit:
    # its default scenarios are the reciprocals of a harmful event's.
    import shutil

    from bayes_scot.calibration.api import DEFAULT_EFFECTS, _default_hazard_ratios, _load

    shutil.copytree(Path(__file__).parents[1] / "examples" / "one_endpoint", tmp_path,
                    dirs_exist_ok=True)
    spec = tmp_path / "one_endpoint.toml"
    assert _default_hazard_ratios(_load(spec)[1]) == DEFAULT_EFFECTS
    assert _default_hazard_ratios(_load("scot_itt")[1]) == DEFAULT_EFFECTS  # EFS and OS
    trial = tmp_path / "rossi_1980.toml"
    trial.write_text(trial.read_text().replace('better = "higher"', 'better = "lower"'))
    # The example's margin (HR 0.8) is a benefit only for a harmful event: turn it too.
    spec.write_text(spec.read_text().replace("hazard_ratio_margin = 0.8",
                                             "hazard_ratio_margin = 1.25"))
    assert _default_hazard_ratios(_load(spec)[1]) == pytest.approx(
        [1.0 / h for h in DEFAULT_EFFECTS])


def test_default_scenarios_of_a_binary_endpoint_follow_its_events_harm(tmp_path: Path) -> None:
    # A binary endpoint's ``better`` speaks of the proportion with the event: renal crisis
    # (``better = "lower"``) is a harmful event, so its scenarios are hazard ratios below
    # 1, not their reciprocals. Numbers SIMULATED.
    from bayes_scot.calibration.api import DEFAULT_EFFECTS, _default_hazard_ratios, _load

    (tmp_path / "trial.toml").write_text("""\
# SIMULATED trial (not real data)
[trial]
name = "simcrisis"
title = "SIMULATED binary endpoint as landmark counts"
citation = "SIMULATED"
[arms.new]
label = "New"
role = "experimental"
[arms.old]
label = "Old"
role = "control"
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
""")
    spec = tmp_path / "spec.toml"
    spec.write_text('[analysis]\nname = "simcrisis"\nseed = 3\n[[trials]]\npath = "trial.toml"\n'
                    '[survival]\n[survival.options]\nendpoint = "renal_crisis"\n')
    assert _default_hazard_ratios(_load(spec)[1]) == DEFAULT_EFFECTS
