"""Hostile inputs to recently added features get one line, exit status 2, no report.

Trial files (``short_label``, endpoint declarations), analysis specifications
(``external`` sources, ``[mcids]`` overrides and the options they set) and the ``effect``
command line. Each case runs ``bayes-scot`` in this process; building a model fails the
test, so every refusal comes before any expensive work.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bayes_scot.cli import main
from bayes_scot.data import TEMPLATE_FILE

TEMPLATE = TEMPLATE_FILE.read_text(encoding="utf-8")
WANTED = TEMPLATE.replace(
    "[endpoints.six_minute_walk]",
    "[endpoints.walk]\nlabel = 'Walking again'\nkind = 'time_to_event'\nbetter = 'lower'\n\n"
    "[endpoints.six_minute_walk]", 1)

HEAD = """[analysis]
name = "hostile"
[[trials]]
path = "trial.toml"
population = "itt"
[sampler]
draws = 10
tune = 10
chains = 1
[priors]
grid = ["reference", "skeptical_moderate"]
"""
LONGITUDINAL = HEAD + """[longitudinal]
population = "all"
external = {external}
[longitudinal.options]
endpoints = ["haq_di"]
"""
SURVIVAL = HEAD + """[survival]
[survival.options]
{options}
"""


pytestmark = pytest.mark.usefixtures("no_model_is_built")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.err


def refused(argv: list[str], field: str, capsys: pytest.CaptureFixture[str],
            tmp_path: Path) -> str:
    code, err = run(argv, capsys)
    assert code == 2, err
    assert err.count("\n") == 1, err
    assert err.endswith("\n"), err
    assert "internal error" not in err
    assert "Traceback" not in err
    assert f"field '{field}'" in err, err
    assert not (tmp_path / "out").exists()
    return err


# -- trial files ------------------------------------------------------------------------
@pytest.mark.parametrize(("old", "new", "field", "message"), [
    ('short_label = "CYC"', 'short_label = "HSCT"', "arms.hsct.short_label",
     "how results name the arm"),
    ('short_label = "CYC"', 'short_label = " hsct"', "arms.hsct.short_label",
     "how results name the arm"),
    ('short_label = "HSCT"', 'short_label = "Pooled"', "arms.hsct.short_label",
     "both arms together"),
    ("[endpoints.six_minute_walk]", '[endpoints."a:b"]', "endpoints.a:b",
     "letters, digits and underscores"),
    ("[endpoints.six_minute_walk]", '[endpoints."walk*"]', "endpoints.walk*",
     "letters, digits and underscores"),
    ('label = "Six-minute walk distance"', 'label = "Six-minute\\nwalk"',
     "endpoints.six_minute_walk.label", "one line"),
    ('label = "Six-minute walk distance"', f'label = "{"x" * 300}"',
     "endpoints.six_minute_walk.label", "at most 200"),
])
def test_bad_arm_or_endpoint_names_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, field: str,
    message: str,
) -> None:
    assert old in TEMPLATE
    path = tmp_path / "trial.toml"
    path.write_text(TEMPLATE.replace(old, new, 1), encoding="utf-8")
    err = refused(["validate", str(path)], field, capsys, tmp_path)
    assert message in err


# -- specifications ---------------------------------------------------------------------
@pytest.mark.parametrize(("external", "field", "message"), [
    ('["trial.toml:"]', "longitudinal.external[0]", "names no population"),
    ('["astis:"]', "longitudinal.external[0]", "names no population"),
    ('["external", "external"]', "longitudinal.external[1]", "overlaps external[0]"),
    ('["trial.toml", "./trial.toml"]', "longitudinal.external[1]", "overlaps external[0]"),
    ('["trial.toml", "trial.toml:itt"]', "longitudinal.external[1]", "overlaps external[0]"),
    (f'["{"a" * 5000}.toml"]', "longitudinal.external[0]", "not a usable path"),
])
def test_bad_external_sources_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], external: str, field: str,
    message: str,
) -> None:
    (tmp_path / "trial.toml").write_text(TEMPLATE, encoding="utf-8")
    spec = tmp_path / "spec.toml"
    spec.write_text(LONGITUDINAL.replace("{external}", external), encoding="utf-8")
    err = refused(["report", str(spec), "--out", str(tmp_path / "out")], field, capsys,
                  tmp_path)
    assert message in err


_MCID = '[mcids."{key}"]\nvalue = {value}\nsource = {source}\n'


def _mcid(key: str, value: str, source: str = '"SIMULATED"') -> str:
    return _MCID.format(key=key, value=value, source=source)


@pytest.mark.parametrize(("body", "trial", "field", "message"), [
    # wildcards are checked against every endpoint and estimand form they match
    (LONGITUDINAL.replace("{external}", "[]") + _mcid("*:*", "0.2"), TEMPLATE,
     "mcids.*:*.value", "haq_di:change_difference"),
    (LONGITUDINAL.replace("{external}", "[]") + _mcid("*:change_difference_54", "0.2"),
     TEMPLATE, "mcids.*:change_difference_54.value", "lies below 0"),
    (LONGITUDINAL.replace("{external}", "[]") + _mcid("haq_di:[c]hange_difference_54",
                                                      "0.2"),
     TEMPLATE, "mcids.haq_di:[c]hange_difference_54.value", "lies below 0"),
    (SURVIVAL.replace("{options}", "") + _mcid("*:*", "1.3"), TEMPLATE,
     "mcids.*:*.value", "strictly between -1 and 1"),
    # values impossible on the estimand's scale
    (SURVIVAL.replace("{options}", "") + _mcid("efs:hazard_ratio_common", "-0.8"),
     TEMPLATE, "mcids.efs:hazard_ratio_common.value", "must be positive"),
    (SURVIVAL.replace("{options}", "") + _mcid("efs:survival_difference_*", "1.5"),
     TEMPLATE, "mcids.efs:survival_difference_*.value", "strictly between -1 and 1"),
    (LONGITUDINAL.replace("{external}", "[]") + _mcid("haq_di:change_difference_54",
                                                      "-1e308"),
     TEMPLATE, "mcids.haq_di:change_difference_54.value", "beyond 1e+06"),
    # the side of a hazard ratio follows the endpoint's direction
    (SURVIVAL.replace("{options}", 'endpoint = "walk"')
     + _mcid("walk:hazard_ratio_common", "0.8"), WANTED,
     "mcids.walk:hazard_ratio_common.value", "lies above 1"),
    (SURVIVAL.replace("{options}", 'endpoint = "walk"\nhazard_ratio_margin = 0.8'),
     WANTED, "survival.options.hazard_ratio_margin", "event is wanted"),
    (SURVIVAL.replace("{options}", "hazard_ratio_margin = 1.2"), TEMPLATE,
     "survival.options.hazard_ratio_margin", "event is harmful"),
    # keys and sources
    (LONGITUDINAL.replace("{external}", "[]") + _mcid("haq_di:change\\u001b_54", "-0.2"),
     TEMPLATE, "mcids.haq_di:change\\x1b_54", "control characters"),
    (LONGITUDINAL.replace("{external}", "[]") + _mcid("haq_di:change_difference_54",
                                                      "-0.2", '""'),
     TEMPLATE, "mcids.haq_di:change_difference_54.source", "where the value comes from"),
    # a later exact pattern that an earlier one shadows
    (LONGITUDINAL.replace("{external}", "[]") + _mcid("haq_di:change_difference_*", "-0.2")
     + _mcid("haq_di:change_difference_54", "-0.3"), TEMPLATE,
     "mcids.haq_di:change_difference_54", "never applies"),
    # an option keyed by an endpoint that does not exist
    (LONGITUDINAL.replace("{external}", "[]").replace(
        'endpoints = ["haq_di"]', 'endpoints = ["haq_di"]\nmcids = { haq_dj = 0.3 }'),
     TEMPLATE, "longitudinal.options.mcids.haq_dj", "did you mean 'haq_di'"),
])
def test_bad_mcids_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, trial: str, field: str,
    message: str,
) -> None:
    (tmp_path / "trial.toml").write_text(trial, encoding="utf-8")
    spec = tmp_path / "spec.toml"
    spec.write_text(body, encoding="utf-8")
    err = refused(["report", str(spec), "--out", str(tmp_path / "out")], field, capsys,
                  tmp_path)
    assert message in err


@pytest.mark.parametrize(("body", "trial"), [
    (SURVIVAL.replace("{options}", 'endpoint = "walk"')
     + _mcid("walk:hazard_ratio_common", "1.25"), WANTED),
    (SURVIVAL.replace("{options}", 'endpoint = "walk"\nhazard_ratio_margin = 1.25'), WANTED),
    (LONGITUDINAL.replace("{external}", '["external", "trial.toml:pp"]')
     + _mcid("haq_di:change_difference_*", "-0.2"), TEMPLATE),
])
def test_mcids_on_the_benefit_side_are_accepted(tmp_path: Path, body: str,
                                                trial: str) -> None:
    from bayes_scot.spec import load_spec

    (tmp_path / "trial.toml").write_text(trial, encoding="utf-8")
    spec = tmp_path / "spec.toml"
    spec.write_text(body, encoding="utf-8")
    loaded = load_spec(spec)
    for family in loaded.families:
        loaded.family_options(family)


# -- the effect command -----------------------------------------------------------------
@pytest.mark.parametrize(("argv", "field"), [
    (["--hr", "0.5", "--se", "0.2", "--level", "0.9"], "level"),
    (["--hr", "0.5", "--p-value", "0.03", "--level", "0.9"], "level"),
    (["--hr", "0.5", "--se", "0.2", "--prior", "a=0,1", "--prior", "a=0,2"], "prior"),
])
def test_effect_refuses_ignored_or_repeated_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], field: str,
) -> None:
    refused(["effect", *argv], field, capsys, tmp_path)


def test_effect_refuses_a_prior_name_with_a_control_character(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = run(["effect", "--hr", "0.5", "--se", "0.2", "--prior", "a\x1bb=0,1"], capsys)
    assert code == 2
    assert err.count("\n") == 1
    assert "argument --prior" in err
    assert "\x1b" not in err
