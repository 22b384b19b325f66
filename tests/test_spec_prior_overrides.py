"""Explicit priors for one run: per family, and on the ratio scale (Python and CLI)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bayes_scot.errors import SpecError
from bayes_scot.spec import load_spec
from bayes_scot.spec.overrides import parse_cli_prior
from bayes_scot.stats.priors import ratio_prior, sd_from_tail


@pytest.fixture(scope="module")
def scot():
    return load_spec(None)  # survival, longitudinal and composite


def test_an_unqualified_prior_is_refused_when_families_differ_in_scale(scot) -> None:
    with pytest.raises(SpecError) as caught:
        scot.with_overrides(priors={"hopeful": (math.log(0.7), 0.3)})
    message = str(caught.value)
    assert "\n" not in message
    assert "give them per family" in message
    assert "survival, longitudinal, composite" in message


def test_family_qualified_priors_reach_each_family(scot) -> None:
    spec = scot.with_overrides(priors={
        "survival": {"hopeful": "HR 0.8 with 5% below 0.5"},
        "longitudinal": {"hopeful": (0.3, 0.2)},
        "composite": {"hopeful": "0.1,0.1"},
    })
    assert spec.priors == ("hopeful",)
    assert spec.reference_prior == "hopeful"
    survival = spec.family("survival").custom_priors["hopeful"]
    # median HR 0.8 with P(HR < 0.5) = 0.05: mean log 0.8, sd from the normal tail
    assert survival.mean == pytest.approx(math.log(0.8))
    assert survival.sd == pytest.approx(sd_from_tail(math.log(0.8), math.log(0.5), 0.05))
    assert survival.sd == pytest.approx((math.log(0.8) - math.log(0.5)) / 1.6448536)
    assert "HR" in survival.statement
    assert (spec.family("longitudinal").custom_priors["hopeful"].mean,
            spec.family("longitudinal").custom_priors["hopeful"].sd) == (0.3, 0.2)
    assert spec.family("composite").custom_priors["hopeful"].sd == 0.1


def test_a_ratio_statement_is_refused_on_a_difference_scale(scot) -> None:
    with pytest.raises(SpecError, match=r"priors\.longitudinal\.hopeful.*not a log ratio"):
        scot.with_overrides(priors={"survival": {"hopeful": (0.0, 0.3)},
                                    "longitudinal": {"hopeful": "HR 0.8 with 5% below 0.5"},
                                    "composite": {"hopeful": (0.0, 0.1)}})


def test_every_family_needs_every_prior(scot) -> None:
    with pytest.raises(SpecError, match=r"the longitudinal family has no prior hopeful"):
        scot.with_overrides(priors={"survival": {"hopeful": (0.0, 0.3)}})


def test_family_names_and_prior_names_do_not_mix(scot) -> None:
    with pytest.raises(SpecError, match="do not mix"):
        scot.with_overrides(priors={"survival": {"a": (0.0, 1.0)}, "b": (0.0, 1.0)})


def test_one_family_takes_an_unqualified_prior(scot) -> None:
    spec = scot.with_overrides(families=["survival"]).with_overrides(
        priors={"hopeful": "HR 0.7 with 10% above 1"})
    prior = spec.family("survival").custom_priors["hopeful"]
    expected = ratio_prior(threshold=1.0, probability=0.10, centre=0.7, side="above")
    assert (prior.mean, prior.sd) == pytest.approx((expected.mean, expected.sd))


def test_a_prior_for_a_family_the_specification_does_not_run_says_so(scot) -> None:
    longitudinal_only = scot.with_overrides(families=["longitudinal"])
    with pytest.raises(SpecError, match=r"priors\.survival.*runs no survival family"):
        longitudinal_only.with_overrides(priors={"survival": {"x": "0,1"}})


def test_python_prior_objects_are_accepted(scot) -> None:
    elicited = ratio_prior(threshold=0.5, probability=0.05, centre=1.0)
    spec = scot.with_overrides(families=["survival"]).with_overrides(
        priors={"sceptic": elicited})
    assert spec.family("survival").custom_priors["sceptic"].sd == pytest.approx(elicited.sd)


@pytest.mark.parametrize(
    ("prior", "message"),
    [("HR 0.8 with 150% below 0.5", "probability"), ("lots", "neither 'mean,sd'"),
     ((0.0, -1.0), "positive sd"), ("HR 0 with 5% below 0.5", "ratio must be positive")],
)
def test_bad_priors_name_the_prior(scot, prior, message) -> None:
    survival_only = scot.with_overrides(families=["survival"])
    with pytest.raises(SpecError, match=rf"priors\.x.*{message}"):
        survival_only.with_overrides(priors={"x": prior})


def test_cli_items_become_the_per_family_mapping() -> None:
    assert parse_cli_prior(["survival.hopeful=HR 0.8 with 5% below 0.5",
                            "composite.hopeful=0.1,0.1"]) == {
        "survival": {"hopeful": "HR 0.8 with 5% below 0.5"},
        "composite": {"hopeful": "0.1,0.1"}}
    with pytest.raises(ValueError, match=r"expected FAMILY\.NAME=PRIOR"):
        parse_cli_prior(["hopeful=0,1"])


def test_cli_rejects_a_malformed_prior_in_one_line(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from bayes_scot.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["report", "--out", str(tmp_path / "r"), "--prior", "hopeful=0,1"])
    assert caught.value.code == 2
    assert "expected FAMILY.NAME=PRIOR" in capsys.readouterr().err


def test_cli_refuses_an_ambiguous_set_before_any_work(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from bayes_scot.cli import main

    code = main(["report", "--out", str(tmp_path / "r"),
                 "--prior", "survival.hopeful=HR 0.8 with 5% below 0.5"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "the longitudinal family has no prior hopeful" in err
    assert not (tmp_path / "r").exists()
