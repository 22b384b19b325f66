"""LongitudinalModel structure, evidence attribution, options and outputs (no MCMC).

Trials built here from evidence records are SIMULATED numbers, labelled as such; the
shipped SCOT and external files are loaded as they are.
"""

from dataclasses import replace

import numpy as np
import pytest
import xarray as xr
from scipy.special import ndtr

from bayes_scot.builders.longitudinal import (
    EVIDENCE_LABELS,
    NO_DATA,
    LongitudinalModel,
    LongitudinalOptions,
)
from bayes_scot.data import load_external, load_trial
from bayes_scot.errors import EvidenceError, SpecError
from bayes_scot.evidence import Source, VisitSummary
from bayes_scot.results.while_alive import while_alive_net_benefit
from bayes_scot.stats.priors import EffectPrior

SIMULATED = Source(citation="Simulated numbers for tests", locator="tests", tag="reported")


@pytest.fixture(scope="module")
def scot():
    return load_trial("scot", population="all")


@pytest.fixture(scope="module")
def external():
    return [load_external(), load_trial("astis", population="french_subcohort")]


@pytest.fixture(scope="module")
def shipped(scot, external):
    return LongitudinalModel(scot, external=external)


def simulated_haq_visits(population="pp"):
    """Per-visit HAQ-DI changes from baseline as a user would add them (simulated)."""
    return tuple(
        VisitSummary(
            id=f"sim_haq_di_change_{t}", endpoint="haq_di", population=population,
            source=SIMULATED, time_months=t, statistic="change",
            mean={"hsct": h, "cyc": c}, sd={"hsct": 0.6, "cyc": 0.6},
            n={"hsct": nh, "cyc": nc},
        )
        for t, h, c, nh, nc in [(12, -0.5, -0.1, 32, 33), (24, -0.6, -0.1, 31, 30),
                                (54, -0.7, -0.2, 29, 25)]
    )


def fake_posterior(model, effect_value=0.0, *, chains=2, draws=50, seed=0):
    """A posterior-shaped Dataset with the model's coords (no sampling)."""
    rng = np.random.default_rng(seed)
    coords = {k: list(v) for k, v in model.model.coords.items()}
    n_e, n_a, n_v = (len(coords[d]) for d in ("endpoint", "arm", "visit"))
    change = rng.normal(size=(chains, draws, n_e, n_a, n_v)) * 0.01
    change[..., 0, :] += effect_value  # the experimental arm
    change[..., 0] = 0.0
    effect = change[:, :, :, 0, :] - change[:, :, :, 1, :]
    visits = np.asarray(coords["visit"], dtype=float)
    w = visits / 12 - (visits / 12).mean()
    w /= (w**2).sum()
    base = {"chain": np.arange(chains), "draw": np.arange(draws)}
    return xr.Dataset(
        {
            "change": (("chain", "draw", "endpoint", "arm", "visit"), change),
            "effect": (("chain", "draw", "endpoint", "visit"), effect),
            "baseline": (("chain", "draw", "endpoint"), np.zeros((chains, draws, n_e))),
            "slope_difference": (("chain", "draw", "endpoint"), effect @ w),
            "endpoint_correlation": (("chain", "draw"), np.full((chains, draws), 0.5)),
        },
        coords={**base, "endpoint": coords["endpoint"], "arm": coords["arm"],
                "visit": coords["visit"]},
    )


class _Idata:
    def __init__(self, posterior):
        self.posterior = posterior


# -- attribution -------------------------------------------------------------------------------
def test_shipped_scot_attribution_says_what_drove_each_endpoint(shipped):
    assert shipped.attribution == {
        "haq_di": "external",  # Maltez 2021 at 12 months (discounted)
        "sf36_pcs": "external",  # Maltez 2021 at 12 months (discounted)
        "sf36_mcs": "prior only",  # nothing usable on MCS
        "mrss": "external",  # French ASTIS sub-cohort at 60 months
        "fvc": "trial",  # SCOT per-protocol FVC slopes
        "dlco": "prior only",  # only baselines: no treatment-effect evidence
    }
    assert set(shipped.attribution.values()) <= set(EVIDENCE_LABELS)


def test_attribution_without_external_evidence_or_borrowing(scot):
    alone = LongitudinalModel(scot, options=LongitudinalOptions(borrow_across_endpoints=False))
    assert alone.attribution["fvc"] == "trial"
    assert alone.attribution["haq_di"] == "prior only"
    pooled = LongitudinalModel(scot)
    assert pooled.attribution["haq_di"] == "prior only"  # no borrowing into no-data endpoints
    assert pooled.pooled_endpoints == ()  # FVC alone has no other endpoint to borrow from
    borrowing = LongitudinalModel(
        scot, options=LongitudinalOptions(borrow_into_endpoints_without_data=True))
    assert borrowing.attribution["haq_di"] == NO_DATA
    assert set(borrowing.pooled_endpoints) == set(borrowing.options.endpoints)


def test_endpoints_without_data_stay_out_of_the_hierarchy_by_default(shipped, scot, external):
    assert shipped.pooled_endpoints == ("haq_di", "sf36_pcs", "mrss", "fvc")
    rows = {(e.endpoint, e.estimand): e
            for e in shipped.estimands(_Idata(fake_posterior(shipped)))}
    for endpoint in ("sf36_mcs", "dlco"):
        row = rows[(endpoint, "change_difference_54")]
        assert row.evidence == "prior only"
        assert row.attrs["no_data"]
        assert row.extrapolated
        # The label says there is no datum, not a last datum it does not have.
        assert row.label.endswith("(no data: its prior)")
    assert not rows[("fvc", "change_difference_54")].attrs["no_data"]
    # Asked for, the no-data endpoints borrow, and their rows say they are predictions.
    borrowing = LongitudinalModel(scot, external=external, options=LongitudinalOptions(
        borrow_into_endpoints_without_data=True))
    assert set(borrowing.pooled_endpoints) == set(borrowing.options.endpoints)
    assert borrowing.structure_key != shipped.structure_key
    predicted = {(e.endpoint, e.estimand): e
                 for e in borrowing.estimands(_Idata(fake_posterior(borrowing)))}
    dlco = predicted[("dlco", "change_difference_54")]
    assert dlco.evidence == NO_DATA
    assert dlco.attrs["no_data"]


def test_user_added_visit_numbers_are_used_and_relabel_with_no_code_change(scot, external):
    added = replace(scot, entries=scot.entries + simulated_haq_visits())
    model = LongitudinalModel(added, external=external)
    assert model.attribution["haq_di"] == "trial + external"
    table = model.evidence_table()
    rows = table[table["entry"].str.startswith("sim_haq_di")]
    assert len(rows) == 6
    assert rows["used"].all()
    assert set(rows["group"]) == {"visits_haq_di_hsct_change", "visits_haq_di_cyc_change"}
    assert "visits_haq_di_hsct_change" in model.model.named_vars
    assert "rho" in model.model.named_vars  # a correlation now matters
    # The new numbers enter with SE = SD / sqrt(n).
    first = rows[(rows["arm"] == "hsct") & (rows["time_months"] == 12)].iloc[0]
    assert first["se"] == pytest.approx(0.6 / np.sqrt(32))


def test_follow_up_from_two_populations_is_refused(scot):
    twice = replace(scot, entries=scot.entries + simulated_haq_visits("itt"))
    with pytest.raises(EvidenceError, match="several populations"):
        LongitudinalModel(twice)


# -- evidence table ----------------------------------------------------------------------------
def test_evidence_table_shows_weights_derivations_and_unused_numbers(shipped):
    table = shipped.evidence_table().set_index(["entry", "arm"], drop=False)
    slope = table.loc[("pp_fvc_slope", "hsct")]
    assert slope["used"]
    assert "p-value" in slope["note"]
    assert np.hypot(slope["se"], table.loc[("pp_fvc_slope", "cyc")]["se"]) == pytest.approx(
        4.47 / 2.8782, rel=1e-4)  # z(0.998) = 2.8782
    maltez = table[table["entry"] == "maltez_haq_di_12"].iloc[0]
    assert maltez["used"]
    assert maltez["weight"] == 0.5
    assert "power" in maltez["note"]
    late = table[table["entry"] == "maltez_haq_di_84"].iloc[0]
    assert not late["used"]
    assert "extend visits_months" in late["note"]
    french = table[table["entry"] == "french_mrss_change_60"].iloc[0]
    assert french["used"]
    assert "attributed to the 54-month visit" in french["note"]
    nash = table[table["entry"] == "nash_mrss_change"].iloc[0]
    assert not nash["used"]
    pooled_fvc = table[table["entry"] == "interim_fvc_baseline"].iloc[0]
    assert not pooled_fvc["used"]
    assert "per-arm" in pooled_fvc["note"]


def test_external_weight_option_reaches_the_data(scot, external):
    model = LongitudinalModel(
        scot, external=external,
        options=LongitudinalOptions(external_weight=0.2,
                                    external_weights={"maltez_haq_di_12": 0.8}),
    )
    weights = dict(zip(model.model.coords["external_estimate"],
                       model.model["external_weight"].get_value(), strict=True))
    assert weights == {"maltez_sf36_pcs_12": 0.2, "maltez_haq_di_12": 0.8,
                       "french_mrss_change_60": 0.2}
    assert model.weight_data(0.0)["external_weight"].tolist() == [0.0, 0.0, 0.0]


# -- options and data ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"visits_months": (6, 12)}, "visits_months"),
        ({"reference_visit_months": 60}, "reference_visit_months"),
        ({"external_weight": 1.5}, "external_weight"),
        ({"rho_sensitivity": (0.5, 1.0)}, "rho_sensitivity"),
        ({"correlation": "unstructured"}, "correlation"),
        ({"scales": {"fvc": -1}}, "scales.fvc"),
    ],
)
def test_bad_options_name_the_field(changes, field):
    with pytest.raises(SpecError) as err:
        LongitudinalOptions(**changes)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("visits", "message"),
    [
        ((0.0, float("nan"), 54.0), "finite"),
        ((0.0, 6.0, float("inf")), "finite"),
        ((0.0, 54.0, 1e4), "beyond 1200 months"),
        (tuple(range(101)), "101 visits; at most 100"),
    ],
)
def test_visits_must_be_few_finite_months(visits, message):
    with pytest.raises(SpecError, match=message) as err:
        LongitudinalOptions(visits_months=visits)
    assert err.value.field == "visits_months"
    bounded = tuple(range(100))
    assert len(LongitudinalOptions(visits_months=bounded,
                                   reference_visit_months=54).visits_months) == 100


def test_prior_data_gives_every_endpoint_its_own_prior(scot):
    prior = EffectPrior(name="skeptical", family="skeptical", strength="strong", mean=0.0,
                        sd=0.2, statement="simulated")
    pooled = LongitudinalModel(scot)
    # One prior: every endpoint's effect has it as its marginal prior.
    np.testing.assert_array_equal(pooled.prior_data(prior)["standardised_effect_prior_sd"],
                                  np.full(6, 0.2))
    with pytest.raises(SpecError, match="unknown prior targets"):
        pooled.prior_data({"fev1": prior})
    for key in ("fvc", "standardised_effect[fvc]"):
        data = pooled.prior_data({key: prior})
        sds = dict(zip(pooled.options.endpoints, data["standardised_effect_prior_sd"],
                       strict=True))
        assert sds["fvc"] == 0.2
        assert sds["haq_di"] == 1.0  # not named: the reference prior
    assert len(pooled.prior_grid()) == 13


def test_each_endpoints_skeptical_priors_rest_on_its_own_mcid(shipped):
    grids = shipped.effect_prior_grids()
    assert tuple(grids) == shipped.effect_parameters
    for e in shipped.options.endpoints:
        prior = grids[f"standardised_effect[{e}]"]["skeptical_strong"]
        mcid = shipped.mcids.get(e)
        threshold = 0.5 if mcid is None else abs(mcid) / shipped.scales[e]
        # The closed form of the statement: 5% of the prior beyond the endpoint's MCID.
        assert prior.prob_above(threshold) == pytest.approx(0.05, abs=1e-9)
        # Priors not defined from the MCID are the same on every endpoint.
        optimistic = grids[f"standardised_effect[{e}]"]["optimistic_strong"]
        same = shipped.prior_grid()["optimistic_strong"]
        assert (optimistic.mean, optimistic.sd) == (same.mean, same.sd)
        assert f"in SDs of {shipped.scales[e]:.3g}" in optimistic.statement


def test_endpoint_correlation_prior_is_checked_and_swappable(scot, shipped):
    with pytest.raises(SpecError, match="endpoint_correlation_prior"):
        LongitudinalOptions(endpoint_correlation_prior=(0.0, 1.0))
    with pytest.raises(SpecError, match="endpoint_correlation_prior"):
        LongitudinalOptions(endpoint_correlation_prior="wide")  # type: ignore[arg-type]
    data = shipped.pooling_data((4.0, 1.0))
    assert float(data["endpoint_correlation_prior_a"]) == 4.0
    alone = LongitudinalModel(scot, options=LongitudinalOptions(borrow_across_endpoints=False))
    assert alone.pooling_data((4.0, 1.0)) == {}


def test_rho_sensitivity_data(scot, shipped):
    assert shipped.rho_data(0.5) == {}  # no visit vectors in SCOT as shipped
    model = LongitudinalModel(replace(scot, entries=scot.entries + simulated_haq_visits()))
    assert model.rho_data(0.3)["rho_fixed_value"] == 0.3
    with pytest.raises(SpecError):
        model.rho_data(1.0)


def test_evidence_data_refits_the_same_layout_only(scot):
    added = replace(scot, entries=scot.entries + simulated_haq_visits())
    model = LongitudinalModel(added)
    same = model.evidence_data(added)
    np.testing.assert_allclose(same["visits_haq_di_hsct_change_observed"], [-0.5, -0.6, -0.7])
    overlap = same["visits_haq_di_cyc_change_overlap"]
    assert overlap[0, 2] == pytest.approx(25 / np.sqrt(33 * 25))  # min(n_j, n_k)
    with pytest.raises(EvidenceError, match="different layout"):
        model.evidence_data(scot)


def test_model_dims(shipped):
    dims = shipped.model.named_vars_to_dims
    assert dims["change"] == ("endpoint", "arm", "visit")
    assert dims["effect"] == ("endpoint", "visit")
    assert list(shipped.model.coords["arm"]) == ["hsct", "cyc"]
    assert shipped.effect_parameters == tuple(
        f"standardised_effect[{e}]" for e in shipped.options.endpoints)


# -- outputs from posterior-shaped draws ----------------------------------------------------------
def test_estimand_directions_follow_the_endpoint(shipped):
    # HSCT lower than CYC by 0.3 on every endpoint: good for HAQ-DI and mRSS (lower is
    # better), bad for FVC (higher is better).
    idata = _Idata(fake_posterior(shipped, effect_value=-0.3))
    found = {(e.endpoint, e.estimand): e for e in shipped.estimands(idata)}
    haq = found[("haq_di", "change_difference_54")]
    assert haq.superior == "lower"
    assert haq.p_superior() > 0.99
    assert haq.mcid == pytest.approx(-0.14)  # the MCID on the superior side
    assert haq.p_mcid() > 0.99
    fvc = found[("fvc", "change_difference_54")]
    assert fvc.superior == "higher"
    assert fvc.p_superior() < 0.01
    assert fvc.evidence == "trial (per protocol population)"
    # The reference visit's difference carries each endpoint's named prior; no other.
    carriers = {k: e.attrs["parameter"] for k, e in found.items() if "parameter" in e.attrs}
    assert carriers == {(name, "change_difference_54"): f"standardised_effect[{name}]"
                        for name in shipped.options.endpoints}
    assert "survivor average" in haq.label
    assert "maltez_haq_di_12 weight 0.5" in haq.attrs[
        "evidence_detail"]
    assert ("fvc", "slope_difference_0_54") in found
    assert found[("dlco", "change_difference_54")].mcid is None
    # DLCO has no data and stays out of the endpoint hierarchy: nothing reaches it.
    assert found[("dlco", "change_difference_54")].attrs["prior_only"]
    assert not found[("haq_di", "change_difference_54")].attrs["prior_only"]


def test_external_rows_state_weight_and_time_and_are_flagged_when_carried(shipped):
    rows = {(e.endpoint, e.estimand): e
            for e in shipped.estimands(_Idata(fake_posterior(shipped)))}
    at_12 = rows[("haq_di", "change_difference_12")]
    assert at_12.evidence == (
        "external: Maltez N et al, non-randomised cohort, at 12 months, weight 0.5")
    assert not at_12.extrapolated
    at_54 = rows[("haq_di", "change_difference_54")]
    assert at_54.evidence == at_12.evidence + "; carried to 54 months"
    assert at_54.extrapolated
    assert at_54.label.endswith("(extrapolated beyond the last datum at 12 months)")
    assert "extrapolated" not in at_12.label
    assert rows[("haq_di", "slope_difference_0_54")].evidence.endswith(
        "; carried over 0-54 months")
    # The French ASTIS mRSS change at 60 months is taken at the 54-month visit and
    # carried back to earlier visits.
    mrss_54 = rows[("mrss", "change_difference_54")]
    assert "at 60 months (taken at 54), weight 0.5" in mrss_54.evidence
    assert not mrss_54.extrapolated
    assert rows[("mrss", "change_difference_12")].extrapolated
    # SCOT's FVC slopes span 0-54 months: nothing is extrapolated.
    assert not any(rows[("fvc", e)].extrapolated for e in ("change_difference_6",
                                                            "change_difference_54",
                                                            "slope_difference_0_54"))
    assert rows[("fvc", "change_difference_54")].evidence == "trial (per protocol population)"


def test_effect_shape_follows_the_evidence(shipped, scot, external):
    # SCOT's only FVC data are slopes: a linear effect; the rest a random walk.
    assert shipped.effect_shapes == {"haq_di": "random_walk", "sf36_pcs": "random_walk",
                                     "sf36_mcs": "random_walk", "mrss": "random_walk",
                                     "fvc": "linear", "dlco": "random_walk"}
    assert "fvc" not in shipped.model.coords["walk_endpoint"]
    step = LongitudinalModel(scot, external=external,
                             options=LongitudinalOptions(effect_shape="step"))
    assert set(step.effect_shapes.values()) == {"step"}
    assert "effect_visit_innovation" not in step.model.named_vars
    walk = LongitudinalModel(scot, external=external,
                             options=LongitudinalOptions(effect_shape={"fvc": "random_walk"}))
    assert walk.effect_shapes["fvc"] == "random_walk"
    assert walk.structure_key != shipped.structure_key
    for shapes, field in (({"fvc": "quadratic"}, "effect_shape.fvc"),
                          ({"fev1": "linear"}, "effect_shape"), (3, "effect_shape")):
        with pytest.raises(SpecError) as err:
            LongitudinalOptions(effect_shape=shapes)
        assert err.value.field == field


def test_reproduce_lists_every_used_number(shipped):
    table = shipped.reproduce(_Idata(fake_posterior(shipped)))
    used = shipped.evidence_table().query("used")
    assert len(table) == len(used) + 1  # and the FVC slopes' published contrast
    contrast = table[table["statistic"] == "slope_difference"].iloc[0]
    assert contrast["published"] == pytest.approx(4.47)
    assert contrast["entry"] == "pp_fvc_slope"
    assert {"trial", "entry", "published", "median", "lower", "upper", "outside"} <= set(
        table.columns)
    slope = table[(table["entry"] == "pp_fvc_slope") & (table["arm"] == "hsct")].iloc[0]
    assert slope["published"] == 0.77
    assert slope["statistic"] == "slope_per_year"
    # A model predicting no change cannot reproduce a 0.77/year slope with SE ~1.1 as an
    # outlier, but baseline levels of 76 against a predicted 0 are outside.
    assert not slope["outside"]
    assert table[table["entry"] == "gene_expression_fvc_baseline"]["outside"].all()


def test_endpoint_pooling_table_shows_shrinkage(shipped):
    posterior = _Idata(fake_posterior(shipped))
    table = shipped.endpoint_pooling(posterior).set_index("endpoint")
    # The former name answers with the same table.
    assert shipped.borrowing(posterior).set_index("endpoint").equals(table)
    assert np.isinf(table.loc["dlco", "direct_se"])
    assert table.loc["dlco", "shrinkage_median"] == 0.0  # outside the hierarchy
    assert not table.loc["dlco", "in_hierarchy"]
    assert table.loc["fvc", "in_hierarchy"]
    assert table.loc["fvc", "effect_shape"] == "linear"
    assert 0 < table.loc["fvc", "shrinkage_median"] < 1


def test_while_alive_net_benefit_closed_form(shipped):
    posterior = fake_posterior(shipped, effect_value=-2.0, chains=1, draws=20)
    s_e, s_c = np.full((1, 20), 0.9), np.full((1, 20), 0.77)
    result = while_alive_net_benefit(shipped, _Idata(posterior), {"hsct": s_e, "cyc": s_c},
                                     endpoint="mrss", visit_months=54)
    m = posterior["change"].sel(endpoint="mrss", visit=54.0).to_numpy()
    q = ndtr(-(m[..., 0] - m[..., 1]) / (9.5 * np.sqrt(2)))  # mRSS: lower is better
    expected = 0.9 * 0.23 + 0.9 * 0.77 * q - (0.1 * 0.77 + 0.9 * 0.77 * (1 - q))
    np.testing.assert_allclose(result.draws, expected, rtol=1e-12)
    assert result.superior == "higher"
    assert result.p_superior() == 1.0
    with pytest.raises(EvidenceError, match="shape"):
        while_alive_net_benefit(shipped, _Idata(posterior), {"hsct": s_e[:, :5], "cyc": s_c},
                                endpoint="mrss", visit_months=54)


@pytest.mark.parametrize(
    ("changes", "present"),
    [
        ({"trajectory": "random_walk"}, "control_level_innovation"),
        ({"trajectory": "piecewise_linear"}, "control_slope_innovation"),
        ({"external_method": "mixture"}, "external_evidence"),
        ({"borrow_across_endpoints": False}, "standardised_effect"),
    ],
)
def test_structural_options_build(scot, external, changes, present):
    model = LongitudinalModel(scot, external=external, options=LongitudinalOptions(**changes))
    assert present in model.model.named_vars
    assert ("endpoint_correlation" in model.model.named_vars) == \
        model.options.borrow_across_endpoints


def test_pooled_baseline_is_used_when_no_arm_baseline_describes_the_visit(scot):
    without_arms = replace(scot, entries=tuple(
        e for e in scot.entries if not e.id.startswith("gene_expression")))
    table = LongitudinalModel(without_arms).evidence_table()
    fvc = table[table["entry"] == "interim_fvc_baseline"].iloc[0]
    assert fvc["used"]
    assert fvc["se"] == pytest.approx(16.2 / np.sqrt(61))
    # The ITT sizes weight the arms.
    assert "hsct 36" in fvc["note"]
    assert "cyc 39" in fvc["note"]


def test_smoothing_defaults_scale_with_the_reference_visit():
    # Stated at 54 months (SCOT's horizon, where they are the values themselves); at a
    # 6-month reference visit, r = 9: slope SD x r, slope-change SD x r^1.5, level
    # random walks x r^0.5. The prior SD of the control change over the horizon stays
    # 0.5 SD/year x 4.5 years = 2.25 SDs whatever the horizon.
    assert LongitudinalOptions().smoothing_sds() == {
        "control_slope_sd": 0.5, "trajectory_sd": 0.25, "visit_pooling_sd": 0.25}
    short = LongitudinalOptions(visits_months=(0.0, 3.0, 6.0), reference_visit_months=6.0)
    assert short.smoothing_sds() == pytest.approx(
        {"control_slope_sd": 4.5, "trajectory_sd": 6.75, "visit_pooling_sd": 0.75})
    for months in (6.0, 12.0, 54.0, 120.0):
        options = LongitudinalOptions(visits_months=(0.0, months),
                                      reference_visit_months=months)
        assert options.smoothing_sds()["control_slope_sd"] * months / 12 == pytest.approx(2.25)
    walk = replace(short, trajectory="random_walk")
    assert walk.smoothing_sds()["trajectory_sd"] == pytest.approx(0.75)
    chosen = replace(short, control_slope_sd=0.5, trajectory_sd=0.1)
    assert chosen.smoothing_sds() == pytest.approx(
        {"control_slope_sd": 0.5, "trajectory_sd": 0.1, "visit_pooling_sd": 0.75})


def test_a_short_horizon_model_uses_the_scaled_smoothing(scot):
    options = LongitudinalOptions(visits_months=(0.0, 6.0, 12.0), reference_visit_months=12.0)
    model = LongitudinalModel(scot, options=options).model
    assert float(model["trajectory_sd"].get_value()) == pytest.approx(0.25 * 4.5 ** 1.5)
    slope = model["control_slope"].owner.inputs[-1]  # the normal's scale
    assert np.unique(slope.eval()) == pytest.approx([0.5 * 4.5])


def test_default_endpoints_on_another_trial_name_the_option(scot):
    # A trial of another disease (simulated walk distances) left with SCOT's default
    # endpoints: the error names the option and the endpoints the trial reports.
    from bayes_scot.evidence import Endpoint

    walk = VisitSummary(
        id="sim_walk_0", endpoint="walk", population="all", source=SIMULATED,
        time_months=0.0, statistic="mean", mean={"hsct": 350.0, "cyc": 345.0},
        sd={"hsct": 80.0, "cyc": 82.0}, n={"hsct": 36, "cyc": 39})
    other = replace(scot, entries=(walk,), endpoints={"walk": Endpoint(
        name="walk", label="Six-minute walk", kind="continuous", better="higher")})
    with pytest.raises(SpecError, match=r"default to SCOT's six.*reports visit summaries "
                                        r"of walk") as err:
        LongitudinalModel(other)
    assert err.value.field == "endpoints"


def test_a_reference_visit_beyond_every_datum_is_warned(scot):
    # SIMULATED HAQ-DI visits to 54 months alone: a reference visit at 54 months is
    # covered; one at 72 months lies beyond every datum and is warned.
    visits = replace(scot, entries=simulated_haq_visits(population="all"))
    options = LongitudinalOptions(endpoints=("haq_di",), scales={"haq_di": 0.6},
                                  visits_months=(0.0, 12.0, 24.0, 54.0, 72.0),
                                  reference_visit_months=54.0)
    assert LongitudinalModel(visits, options=options).warnings() == []
    beyond = replace(options, reference_visit_months=72.0)
    (warning,) = LongitudinalModel(visits, options=beyond).warnings()
    assert "reference visit (72 months)" in warning
    assert "last datum of every endpoint (54 months)" in warning
