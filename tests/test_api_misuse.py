"""Misuse of the public API: one clear error, naming the argument, before any work.

Fast: the only fit is the composite family, whose posterior is exact (no MCMC).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayes_scot as bs
from bayes_scot.errors import EvidenceError, SpecError
from bayes_scot.spec import load_spec


@pytest.fixture(scope="module")
def fit() -> bs.Reanalysis:
    return bs.reanalyse("scot_itt", families=("composite",), progress=False)


@pytest.fixture(scope="module")
def spec():  # type: ignore[no-untyped-def]
    return load_spec("scot_itt")


# -- overrides ----------------------------------------------------------------------------
@pytest.mark.parametrize("value", [3, {"composite": 1}, 1.5])
def test_families_of_the_wrong_type_are_refused(spec, value) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError, match="families"):
        spec.with_overrides(families=value)


def test_families_named_twice_are_refused(spec) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError, match=r"families.*more than once"):
        spec.with_overrides(families=("composite", "composite"))


def test_families_as_a_comma_separated_string(spec) -> None:  # type: ignore[no-untyped-def]
    chosen = spec.with_overrides(families="composite")
    assert [f.family for f in chosen.families] == ["composite"]


@pytest.mark.parametrize("value", [3, {"reference"}, 1.5])
def test_priors_of_the_wrong_type_are_refused(spec, value) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError, match="priors"):
        spec.with_overrides(priors=value)


def test_priors_named_twice_are_refused(spec) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError, match=r"priors.*more than once"):
        spec.with_overrides(priors=("reference", "reference"))


def test_unknown_prior_and_family_are_refused(spec) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError, match=r"priors.*unknown prior 'nope'"):
        spec.with_overrides(priors=("nope",))
    with pytest.raises(SpecError, match="families"):
        spec.with_overrides(families=("nope",))


@pytest.mark.parametrize(("key", "value", "words"), [
    ("chains", 0, "sampler.chains"), ("draws", -1, "sampler.draws"),
    ("seed", -1, "seed"), ("seed", "1", "seed"), ("target_accept", 2, "target_accept"),
])
def test_out_of_range_overrides_are_refused(spec, key, value, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError, match=words):
        spec.with_overrides(**{key: value})


def test_numpy_integers_are_accepted(spec) -> None:  # type: ignore[no-untyped-def]
    changed = spec.with_overrides(seed=np.int64(7), draws=np.int32(300))
    assert changed.seed == 7
    assert type(changed.seed) is int
    assert changed.sampler.draws == 300


# -- reanalyse ----------------------------------------------------------------------------
@pytest.mark.parametrize("progress", ["yes", 1])
def test_progress_of_the_wrong_type_is_refused(progress) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match="progress"):
        bs.reanalyse("scot_itt", families=("composite",), progress=progress)


def test_spec_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(TypeError, match="spec must be"):
        bs.reanalyse({"name": "x"}, progress=False)  # type: ignore[arg-type]


def test_same_seed_same_numbers(fit) -> None:  # type: ignore[no-untyped-def]
    again = bs.reanalyse("scot_itt", families=("composite",), progress=False)
    pd.testing.assert_frame_equal(fit.table(), again.table())


# -- Reanalysis methods -------------------------------------------------------------------
@pytest.mark.parametrize(("level", "error"), [
    (2, ValueError), (95, ValueError), (0, ValueError), (float("nan"), ValueError),
    ("0.9", TypeError), (None, TypeError), (True, TypeError),
])
def test_table_level_is_checked(fit, level, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match="level"):
        fit.table(level=level)
    with pytest.raises(error, match="level"):
        fit.structure_sensitivity(level=level)


def test_table_at_another_level(fit) -> None:  # type: ignore[no-untyped-def]
    narrow, wide = fit.table(level=0.5), fit.table()
    assert ((narrow["upper"] - narrow["lower"]) < (wide["upper"] - wide["lower"])).all()


@pytest.mark.parametrize(("estimands", "words"), [
    ("grcs:net_benefit_54", "not one string"), (3, "estimands"), ([None], "estimands"),
])
def test_joint_probabilities_estimands_are_checked(fit, estimands, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match=words):
        fit.joint_probabilities(estimands)


def test_joint_probabilities_threshold_is_checked(fit) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="threshold"):
        fit.joint_probabilities(threshold="nope")


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"above": "0"}, TypeError, "above"), ({"below": float("nan")}, ValueError, "below"),
    ({"above": True}, TypeError, "above"),
])
def test_probability_thresholds_are_checked(fit, kwargs, error, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=words):
        fit.probability("grcs:net_benefit_54", **kwargs)


def test_benefit_curve_takes_one_prior_name(fit) -> None:  # type: ignore[no-untyped-def]
    curve = fit.benefit_curve("grcs:net_benefit_54", priors="reference")
    assert set(curve["prior"]) == {"reference"}
    with pytest.raises(TypeError, match="priors"):
        fit.benefit_curve("grcs:net_benefit_54", priors=3)  # type: ignore[arg-type]


def test_sensitivity_value_is_checked(fit) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="value 'nope' is not a column"):
        fit.sensitivity("nope")
    with pytest.raises(TypeError, match="value"):
        fit.sensitivity(3)  # type: ignore[arg-type]


def test_curves_and_published_refuse_unknown_names(fit) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KeyError, match="nope"):
        fit.curves("nope")
    with pytest.raises(KeyError, match="nope"):
        fit.curves("composite", "nope")
    with pytest.raises(KeyError, match="nope"):
        fit.published("nope")
    assert fit.curves("composite").empty  # a known family without curves


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"out_dir": None}, TypeError, "out_dir"), ({"out_dir": 3}, TypeError, "out_dir"),
    ({"out_dir": " "}, ValueError, "out_dir"),
    ({"out_dir": "x", "figures": "no"}, TypeError, "figures"),
])
def test_write_report_arguments_are_checked(fit, tmp_path, kwargs, error, words) -> None:  # type: ignore[no-untyped-def]
    if kwargs["out_dir"] == "x":
        kwargs["out_dir"] = tmp_path / "x"
    with pytest.raises(error, match=words):
        fit.write_report(**kwargs)
    assert not (tmp_path / "x").exists()


def test_write_report_onto_a_file_is_refused(fit, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "a-file"
    target.write_text("keep")
    with pytest.raises(EvidenceError, match="not a folder"):
        fit.write_report(target, figures=False)
    assert target.read_text() == "keep"


def test_repr_of_an_empty_reanalysis(spec) -> None:  # type: ignore[no-untyped-def]
    empty = bs.Reanalysis(spec=spec, fits=[])
    assert "families none" in repr(empty)
    assert isinstance(empty._repr_html_(), str)


# -- reconstruct_ipd ----------------------------------------------------------------------
@pytest.mark.parametrize(("args", "field"), [
    (("abc", [1, 0.9], [0], [10]), "curve_times"),
    (([0, 1], {"a": 1}, [0], [10]), "curve_surv"),
    (([[0, 1, 2]], [[1, 0.9, 0.8]], [0], [10]), "curve_times"),
    (([0, 1, 2], [1, 0.9, 0.8], None, [10]), "risk_times"),
    (([0, 1, 2], [1, 0.9, 0.8], [0], ["ten"]), "n_risk"),
])
def test_reconstruct_ipd_arguments_are_checked(args, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(EvidenceError, match=f"field '{field}'"):
        bs.reconstruct_ipd(*args)


# -- plots --------------------------------------------------------------------------------
def test_plot_selection_of_the_wrong_type_is_refused(fit) -> None:  # type: ignore[no-untyped-def]
    from bayes_scot import plots

    with pytest.raises(TypeError, match="priors must be a name or a list"):
        plots.plot_superiority(fit.table(), priors=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="endpoints must be a name or a list"):
        plots.plot_prior_sensitivity(fit.table(), endpoints={"grcs": 1})  # type: ignore[arg-type]


def test_an_estimate_given_as_text_and_an_unknown_kind_of_entry_are_refused() -> None:
    import bayes_scot as bs
    from bayes_scot.errors import EvidenceError

    with pytest.raises(EvidenceError, match=r"must be a number, not the text '0\.34'") as info:
        bs.reanalyse_effect("0.34", 0.16, 0.74)  # type: ignore[arg-type]
    assert info.value.field == "estimate"
    with pytest.raises(EvidenceError, match="did you mean 'landmark_events'") as info:
        bs.load_trial("scot").evidence("landmark_event")
    assert info.value.field == "kind"
