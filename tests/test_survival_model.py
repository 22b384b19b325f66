"""Structure of the survival model: evidence rules, kernels, outputs (no MCMC).

Posterior-shaped inputs for the output methods are prior draws of the model's own
variables (``pm.draw`` with the Python backend), so these tests compile nothing.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import arviz as az
import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest

from bayes_scot.builders.survival import SurvivalModel, SurvivalOptions
from bayes_scot.data import load_trial
from bayes_scot.errors import EvidenceError
from bayes_scot.stats.illness_death import state_probabilities

PYTHON_MODE = "FAST_COMPILE"  # Python implementations: no C or numba compilation


@pytest.fixture(scope="module")
def itt(scot_all, scot_survival):
    return SurvivalModel(scot_all, options=scot_survival["itt"])


@pytest.fixture(scope="module")
def pp(scot_all, scot_survival):
    return SurvivalModel(scot_all, options=scot_survival["pp"])


@pytest.fixture(scope="module")
def prior_idata(itt):
    """200 prior draws of the ITT model shaped like a posterior (2 chains x 100)."""
    model = itt.model
    names = ["hazard", "trial_log_hr", "survival_efs", "survival_os"]
    draws = pm.draw([model[n] for n in names], draws=200, random_seed=5, mode=PYTHON_MODE)
    posterior = {n: d.reshape(2, 100, *d.shape[1:]) for n, d in zip(names, draws, strict=True)}
    dims = {n: list(model.named_vars_to_dims[n]) for n in names}
    coords = {k: list(v) for k, v in model.coords.items()}
    return az.from_dict(posterior=posterior, dims=dims, coords=coords)


def _uses(model):
    log = model.evidence_log
    return dict(zip(log["entry"], zip(log["used"], log["term"], strict=True), strict=True))


def test_itt_counts_enter_once(itt):
    uses = _uses(itt)
    assert uses["itt_efs_events_48"] == (True, "landmark_states")
    assert uses["itt_os_events_48"] == (True, "landmark_states")
    # identical 54-month counts: an interval with no new events, not a second copy
    assert uses["itt_efs_events_54"] == (True, "interval_states")
    assert uses["itt_os_events_54"] == (True, "interval_states")
    # treatment-related deaths: timing only, from the earliest report
    assert uses["itt_trd_events_12"] == (True, "deaths_by_time")
    assert uses["itt_trd_events_48"][0] is False
    assert uses["itt_trd_events_54"][0] is False
    # per-protocol summaries never enter the ITT fit
    assert not any(entry.startswith("pp_") for entry in uses)


def test_itt_counts_are_the_published_states(itt):
    term = next(t for t in itt.likelihood_terms if t.kind == "landmark_states")
    # SCOT ITT (NEJM Table 2): HSCT 26 event-free, 4 alive after failure, 6 dead; CYC 19/9/11
    assert term.data["counts"].tolist() == [[26, 4, 6], [19, 9, 11]]


def test_pp_uses_72_month_estimates_conditionally(pp):
    uses = _uses(pp)
    assert uses["pp_efs_72"] == (True, "survival_estimates")
    assert uses["pp_os_72"] == (True, "survival_estimates")
    # the 54-month percentages are the same patients as the 54-month counts
    assert uses["pp_efs_54"][0] is False
    assert uses["pp_os_54"][0] is False
    term = next(t for t in pp.likelihood_terms if t.kind == "survival_estimates")
    assert term.times == (54.0, 72.0)
    assert term.data["start"] * np.array([[33], [34]]) == pytest.approx(
        np.array([[26, 4, 3], [17, 9, 8]])
    )
    assert any("per-protocol" in a for a in pp.assumptions())


def test_population_mismatch_is_refused(scot_all):
    itt_only = load_trial("scot", population="itt")
    with pytest.raises(EvidenceError, match="loaded for population 'itt'"):
        SurvivalModel(itt_only, options=SurvivalOptions(population="pp"))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"interval_boundaries_months": (1.0, 12.0)}, "interval_boundaries_months"),
        ({"heterogeneity_scale": -1.0}, "heterogeneity_scale"),
        ({"borrowing": "partial"}, "borrowing"),
        ({"design_hazard_ratio": 1.0}, "design_hazard_ratio"),
        ({"hazard_ratio_margin": -0.8}, "hazard_ratio_margin"),
    ],
)
def test_bad_options_name_the_field(kwargs, field):
    with pytest.raises(EvidenceError) as err:
        SurvivalOptions(**kwargs)
    assert err.value.field == field


_NAN, _INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"baseline_log_hazard_mean": (_NAN, -5.8, -3.9)}, "baseline_log_hazard_mean",
         "finite"),
        ({"baseline_log_hazard_mean": (1e300, -5.8, -3.9)}, "baseline_log_hazard_mean",
         "within 20 of 0"),
        ({"interval_boundaries_months": (0.0, _NAN, 12.0)}, "interval_boundaries_months",
         "finite"),
        ({"interval_boundaries_months": (0.0, 12.0, _INF)}, "interval_boundaries_months",
         "finite"),
        ({"interval_boundaries_months": (0.0, 12.0, 1e4)}, "interval_boundaries_months",
         "beyond 1200 months"),
        ({"interval_boundaries_months": tuple(range(52))}, "interval_boundaries_months",
         "52 boundaries; at most 51"),
        ({"survival_margin": _NAN}, "survival_margin", "between 0 and 1"),
        ({"survival_margin": -0.1}, "survival_margin", "between 0 and 1"),
        ({"survival_margin": 0.0}, "survival_margin", "between 0 and 1"),
        ({"survival_margin": _INF}, "survival_margin", "between 0 and 1"),
        ({"survival_margin": 1.5}, "survival_margin", "between 0 and 1"),
        ({"estimand_times_months": (12.0, _NAN)}, "estimand_times_months", "finite"),
        ({"estimand_times_months": (12.0, _INF)}, "estimand_times_months", "finite"),
        ({"estimand_times_months": (12.0, 1e12)}, "estimand_times_months", "beyond"),
        ({"estimand_times_months": tuple(range(1, 202))}, "estimand_times_months",
         "201 times; at most 200"),
        ({"rmst_horizons_months": (_NAN,)}, "rmst_horizons_months", "finite"),
        ({"rmst_horizons_months": (54.0, _INF)}, "rmst_horizons_months", "finite"),
        ({"rmst_horizons_months": (1e12,)}, "rmst_horizons_months", "beyond"),
    ],
)
def test_non_finite_or_unbounded_options_are_refused(kwargs, field, message):
    with pytest.raises(EvidenceError, match=message) as err:
        SurvivalOptions(**kwargs)
    assert err.value.field == field


def test_option_bounds_admit_their_limits():
    options = SurvivalOptions(
        interval_boundaries_months=tuple(float(b) for b in range(51)),
        baseline_log_hazard_mean=(-20.0, 20.0, -5.0), survival_margin=0.99,
        estimand_times_months=tuple(range(1, 201)), rmst_horizons_months=(1200.0,),
    )
    assert len(options.interval_labels) == 50
    assert options.estimand_times_months is not None
    assert options.estimand_times_months[-1] == 200.0


@pytest.mark.parametrize("field", ["design_hazard_ratio", "hazard_ratio_margin"])
def test_a_hazard_ratio_on_the_harm_side_is_refused(scot_all, field):
    # EFS and OS count harmful events: a benefit is a hazard ratio below 1.
    with pytest.raises(EvidenceError, match="below 1 favours the experimental arm") as err:
        SurvivalModel(scot_all, options=SurvivalOptions(**{field: 1.5}))
    assert err.value.field == field


def test_named_dims(itt):
    dims = itt.model.named_vars_to_dims
    assert dims["hazard"] == ("trial", "arm", "interval", "transition")
    assert dims["survival_efs"] == ("trial", "arm", "month")
    assert dims["log_hazard_ratio"] == ("trial", "transition", "interval")
    assert list(itt.model.coords["arm"]) == ["hsct", "cyc"]
    assert list(itt.model.coords["interval"]) == ["0-3", "3-12", "12-24", "24-54", "54-72"]


def test_log_density_and_gradient_finite_at_initial_point(itt, pp):
    for model in (itt.model, pp.model):
        point = model.initial_point()
        assert np.isfinite(model.compile_logp(mode=PYTHON_MODE)(point))
        assert np.all(np.isfinite(model.compile_dlogp(mode=PYTHON_MODE)(point)))


def test_prior_hyperparameters_are_data(itt):
    grid = itt.prior_grid()
    assert len(grid) == 13
    data = itt.prior_data(grid["skeptical_strong"])
    assert set(data) == {"log_hr_prior_mean", "log_hr_prior_sd"}
    assert set(data) <= {v.name for v in itt.model.data_vars}
    assert itt.prior_data({"log_hr": grid["reference"]})["log_hr_prior_sd"] == 1.0
    with pytest.raises(EvidenceError, match="no effect parameter"):
        itt.prior_data({"log_hr_efs": grid["reference"]})


def test_structure_key_ignores_data_but_not_layout(scot_all, scot_survival, itt, pp):
    assert SurvivalModel(scot_all, options=scot_survival["itt"]).structure_key == \
        itt.structure_key
    assert pp.structure_key != itt.structure_key


def test_model_curves_match_numpy_closed_form(prior_idata, itt):
    posterior = prior_idata.posterior
    # (chain, draw, arm, transition, interval) -> (chain, draw, arm, interval, transition)
    hazards = np.moveaxis(itt.transition_hazards(prior_idata).to_numpy(), 3, 4)
    months = posterior["month"].values
    expected = state_probabilities(hazards, itt.options.interval_boundaries_months, months)
    efs = posterior["survival_efs"].sel(trial="scot").values
    os_ = posterior["survival_os"].sel(trial="scot").values
    np.testing.assert_allclose(efs, expected[..., 0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(os_, 1 - expected[..., 2], rtol=1e-9, atol=1e-12)
    assert np.all(os_ >= efs)  # OS >= EFS structurally, in every prior draw


def test_transition_hazards_for_simulation(prior_idata, itt):
    hazards = itt.transition_hazards(prior_idata)
    assert hazards.dims == ("chain", "draw", "arm", "transition", "interval")
    assert hazards.attrs["boundaries_months"] == (0.0, 3.0, 12.0, 24.0, 54.0, 72.0)
    assert list(hazards["transition"].values) == [
        "organ_failure", "death_event_free", "death_after_failure",
    ]


def test_estimands_have_explicit_directions(prior_idata, itt):
    estimands = {(e.endpoint, e.estimand): e for e in itt.estimands(prior_idata)}
    diff = estimands[("efs", "survival_difference_54")]
    assert (diff.superior, diff.null, diff.mcid) == ("higher", 0.0, 0.10)
    assert diff.mcid_source == "package default; review"
    assert diff.draws.shape == (2, 100)
    hr = estimands[("efs", "hazard_ratio_0_3")]
    assert (hr.superior, hr.null, hr.mcid) == ("lower", 1.0, 0.8)
    assert ("os", "rmst_difference_72") in estimands
    arm = estimands[("os", "survival_hsct_72")]
    assert arm.attrs["contrast"] is False
    assert math.isnan(arm.null)
    common = estimands[("efs", "hazard_ratio_common")]
    np.testing.assert_allclose(
        common.draws, np.exp(prior_idata.posterior["trial_log_hr"].sel(trial="scot").values)
    )


def test_reproduce_lists_every_published_survival_number(prior_idata, itt):
    table = itt.reproduce(prior_idata, seed=1)
    assert list(table.columns[:12]) == [
        "trial", "entry", "endpoint", "population", "arm", "time_months", "statistic",
        "published", "median", "lower", "upper", "outside",
    ]
    row = table.query("entry == 'itt_efs_events_54' and arm == 'cyc'").iloc[0]
    assert row["published"] == 20
    assert row["used"]
    pp_rows = table.query("population == 'pp'")
    assert not pp_rows["used"].any()
    assert pp_rows["note"].str.contains("comparison, not evidence").all()


@pytest.fixture(scope="module")
def scot_astis(scot_all, scot_survival):
    astis = load_trial("astis", population="all")
    assist = load_trial("assist", population="all")
    return SurvivalModel([scot_all, astis, assist],
                         options=dataclasses.replace(scot_survival["itt"], borrowing="regimen"))


def test_borrowing_model_uses_astis_counts_not_its_ratios(scot_astis):
    assert [t.name for t in scot_astis.trials] == ["scot", "astis"]  # ASSIST: no survival data
    # The report warns that a trial the family names borrows nothing.
    (warning,) = scot_astis.warnings()
    assert warning.startswith("survival: assist is among the family's trials but "
                              "contributes no evidence")
    log = scot_astis.evidence_log.set_index(["trial", "entry"])
    assert log.loc[("astis", "itt_efs_events_12"), "term"] == "landmark_states"
    assert log.loc[("astis", "itt_efs_events_24"), "term"] == "interval_events"
    # the Cox ratios describe patients the counts already hold: predictions, not evidence
    ratio_rows = log.loc["astis"].filter(like="_hr_", axis=0)
    assert len(ratio_rows) == 10
    assert not ratio_rows["used"].any()
    # 8 treatment-related deaths by 12 months are among the 11 deaths by 12 months
    assert not log.loc[("astis", "itt_trd_events_12"), "used"]
    assert not log.loc["assist", "used"].any()


def test_borrowing_model_structure(scot_astis):
    model = scot_astis.model
    assert list(model.coords["trial"]) == ["scot", "astis"]
    # ASTIS's regimen is non-myeloablative, SCOT's myeloablative
    assert model["regimen_indicator"].get_value().tolist() == [0.0, 1.0]
    point = model.initial_point()
    assert np.isfinite(model.compile_logp(mode=PYTHON_MODE)(point))


def _prior_idata(model, seed):
    names = ["hazard", "trial_log_hr", "log_hr"]
    draws = pm.draw([model.model[n] for n in names], draws=100, random_seed=seed,
                    mode=PYTHON_MODE)
    posterior = {n: d.reshape(2, 50, *d.shape[1:]) for n, d in zip(names, draws, strict=True)}
    dims = {n: list(model.model.named_vars_to_dims.get(n, ())) for n in names}
    coords = {k: list(v) for k, v in model.model.coords.items()}
    return az.from_dict(posterior=posterior, dims=dims, coords=coords)


def test_borrowing_table_compares_the_target_trial(itt, scot_astis):
    from bayes_scot.results import borrowing_table

    table = borrowing_table(itt, _prior_idata(itt, 1), scot_astis, _prior_idata(scot_astis, 2))
    row = table.set_index(["endpoint", "estimand"]).loc[("efs", "survival_difference_54")]
    assert row["alone_lower"] <= row["alone_median"] <= row["alone_upper"]
    assert row["width_ratio"] > 0
    assert not table["estimand"].str.startswith("survival_hsct").any()  # contrasts only


def _simulated_curve_trial():
    """A simulated two-arm trial reported only as digitised EFS curves (not real data)."""
    from bayes_scot.evidence import Arm, DigitisedCurve, Population, Source, Trial
    from bayes_scot.stats.illness_death import simulate_illness_death
    from bayes_scot.stats.kaplan_meier import kaplan_meier

    source = Source(citation="Simulated for tests", locator="tests", tag="derived",
                    note="simulated illness-death patients; not trial data")
    edges = [0.0, 3.0, 12.0, 24.0, 54.0, 72.0]
    rng = np.random.default_rng(11)
    entries = []
    for arm, scale in (("hsct", 0.5), ("cyc", 1.0)):
        hazards = np.tile([0.008, 0.005, 0.02], (5, 1)) * scale
        sim = simulate_illness_death(hazards, edges, 60, rng, horizon=72.0)
        km = kaplan_meier(sim["efs_months"], sim["efs_event"])
        risk_times = (0.0, 12.0, 24.0, 36.0, 48.0, 60.0)
        n_risk = tuple(int((sim["efs_months"] >= t).sum()) for t in risk_times)
        entries.append(DigitisedCurve(
            id=f"efs_curve_{arm}", endpoint="efs", population="itt", source=source, arm=arm,
            times=(0.0, *km.times.tolist()),
            survival=(1.0, *km.survival.tolist()),
            risk_times=risk_times, n_risk=n_risk,
            total_events=int(sim["efs_event"].sum()),
        ))
    return Trial(
        name="simulated", title="Simulated curves", citation="Simulated for tests",
        arms=(Arm(name="hsct", label="HSCT", role="experimental"),
              Arm(name="cyc", label="CYC", role="control")),
        populations={"itt": Population(name="itt", label="ITT", n={"hsct": 60, "cyc": 60})},
        entries=tuple(entries),
    )


CURVE_OPTIONS = SurvivalOptions(interval_boundaries_months=(0.0, 3.0, 12.0, 24.0, 54.0, 72.0))


def test_digitised_curves_enter_as_pseudo_patients():
    model = SurvivalModel(_simulated_curve_trial(), options=CURVE_OPTIONS)
    uses = _uses(model)
    assert uses["efs_curve_hsct"] == (True, "pseudo_patients")
    assert uses["efs_curve_cyc"] == (True, "pseudo_patients")
    term = next(t for t in model.likelihood_terms if t.kind == "pseudo_patients")
    assert term.data["events"].size == 60  # one row per reconstructed patient
    point = model.model.initial_point()
    assert np.isfinite(model.model.compile_logp(mode=PYTHON_MODE)(point))
    assert np.all(np.isfinite(model.model.compile_dlogp(mode=PYTHON_MODE)(point)))


def test_a_pseudo_patient_on_a_boundary_ends_the_interval_before_it():
    """A reconstructed event at a boundary takes the hazard of the interval ending there.

    Its (interval, offset) is (k - 1, length of interval k - 1), not (k, 0): the patient
    was at risk up to the boundary, and its density is the left limit of the hazard.
    """
    model = SurvivalModel(_simulated_curve_trial(), options=CURVE_OPTIONS)
    edges = np.asarray(CURVE_OPTIONS.interval_boundaries_months)
    for term in (t for t in model.likelihood_terms if t.kind == "pseudo_patients"):
        interval, offset = term.data["interval"], term.data["offset"]
        times = edges[interval] + offset
        assert np.all((offset > 0) | (times == 0.0))
        assert np.all(times <= edges[np.minimum(interval + 1, edges.size - 1)])


def test_pseudo_patient_likelihood_matches_numpy(itt):
    """The EFS pseudo-patient term equals sum(d log h + log S) from the NumPy closed form."""
    model = SurvivalModel(_simulated_curve_trial(), options=CURVE_OPTIONS)
    point = model.model.initial_point()
    outputs = model.model.replace_rvs_by_values(
        [model.model["hazard"], model.model["simulated_0_pseudo_patients"]]
    )
    fn = pytensor.function(model.model.value_vars, outputs, mode=PYTHON_MODE,
                           on_unused_input="ignore")
    hazard, logp = fn(*[point[v.name] for v in model.model.value_vars])
    term = model.likelihood_terms[0]
    h = hazard[0, term.extra["arm"]]
    edges = np.asarray(model.options.interval_boundaries_months)
    times = edges[term.data["interval"]] + term.data["offset"]
    surv = state_probabilities(h, edges, times)[:, 0]
    rate = h[term.data["interval"], 0] + h[term.data["interval"], 1]
    expected = np.sum(term.data["events"] * np.log(rate) + np.log(surv))
    assert float(logp) == pytest.approx(expected, rel=1e-10)


# -- the closed-form transition table -----------------------------------------------------
@pytest.mark.parametrize("equal_rates", [False, True])
def test_transition_table_is_the_product_of_interval_matrices(equal_rates):
    """Every pair's entries equal the product of per-piece matrices (numpy closed form).

    The pieces are cut at the interval boundaries and at the pair's ends; ``equal_rates``
    makes the death rate after failure equal the leaving rate in one interval, the case
    the (1 - exp(-x)) / x form exists for. Tolerance 1e-12: both are exact formulas in
    double precision.
    """
    from bayes_scot.builders.survival.graph import _pt_transition_table
    from bayes_scot.stats.illness_death import transition_matrix

    edges = np.array([0.0, 3.0, 12.0, 24.0, 54.0])
    rng = np.random.default_rng(3)
    hazards = rng.uniform(0.002, 0.05, size=(2, 4, 3))  # (arm, interval, transition)
    if equal_rates:
        hazards[0, 1, 2] = hazards[0, 1, 0] + hazards[0, 1, 1]
    pairs = [(0.0, 12.0), (0.0, 54.0), (0.0, 60.0), (5.0, 5.0), (4.5, 30.0), (48.0, 54.0)]
    table = pytensor.function(
        [], list(_pt_transition_table(pt.as_tensor(hazards), edges, pairs)), mode="FAST_COMPILE"
    )()
    for arm in range(2):
        for p, (t0, t1) in enumerate(pairs):
            cuts = np.unique(np.concatenate([[t0], edges[(edges > t0) & (edges < t1)], [t1]]))
            product = np.eye(3)
            for lo, hi in itertools.pairwise(cuts):
                k = min(np.searchsorted(edges, lo, side="right") - 1, len(edges) - 2)
                product = product @ transition_matrix(hazards[arm, k], hi - lo)
            expected = (product[0, 0], product[0, 1], product[1, 1])
            got = tuple(entry[arm, p] for entry in table)
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_default_grid_comes_from_the_follow_up(scot_all):
    """Unset, the grid, estimand times and baseline come from SCOT's own ITT data."""
    model = SurvivalModel(scot_all)
    assert model.options.interval_boundaries_months == (0.0, 48.0, 54.0)
    assert model.options.estimand_times_months == (48.0, 54.0)
    assert model.options.rmst_horizons_months == (54.0,)
    # EFS events by 54 months: 10 of 36 and 20 of 39 randomised (NEJM Table 2).
    crude = -math.log(1.0 - (10 + 20) / 75) / 54.0
    expected = np.log(np.asarray((0.005, 0.003, 0.02)) * crude / 0.008)
    np.testing.assert_allclose(model.options.baseline_log_hazard_mean, expected)


def test_a_single_interval_builds():
    model = SurvivalModel(_simulated_curve_trial())
    assert len(model.options.interval_boundaries_months) == 2
    point = model.model.initial_point()
    assert np.isfinite(model.model.compile_logp(mode=PYTHON_MODE)(point))
