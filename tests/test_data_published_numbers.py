"""The shipped trial files reproduce every table of the published numbers exactly.

Expected values are written out literally, as printed in the sources (SCOT: Sullivan KM
et al. N Engl J Med 2018;378:35-47; ASTIS: van Laar JM et al. JAMA 2014;311:2490-2498;
ASSIST: Burt RK et al. Lancet 2011;378:498-506), so a changed number in a trial file
fails here.
"""

from __future__ import annotations

import pytest

from bayes_scot.data import load_external, load_trial, mcid
from bayes_scot.evidence import Trial


@pytest.fixture(scope="module")
def scot() -> Trial:
    return load_trial("scot", population="all")


@pytest.fixture(scope="module")
def astis() -> Trial:
    return load_trial("astis", population="all")


@pytest.fixture(scope="module")
def assist() -> Trial:
    return load_trial("assist", population="all")


def entry(trial: Trial, entry_id: str):
    (found,) = [e for e in trial.entries if e.id == entry_id]
    return found


# -- SCOT ---------------------------------------------------------------------------------
def test_scot_design_and_populations(scot):
    assert scot.arm_names == ("hsct", "cyc")
    assert scot.experimental == "hsct"
    assert scot.control == "cyc"
    assert scot.registration == "NCT00114530"
    assert dict(scot.populations["itt"].n) == {"hsct": 36, "cyc": 39}
    assert dict(scot.populations["pp"].n) == {"hsct": 33, "cyc": 34}
    assert scot.populations["pp"].source.locator == "Table 2"


# Section 1.1: events, NEJM Table 2 (identical by 48 and 54 months; P at 54 months).
SCOT_EVENTS = [
    # population, endpoint, hsct events, hsct n, cyc events, cyc n, P (54 mo)
    ("itt", "efs", 10, 36, 20, 39, 0.06),
    ("itt", "os", 6, 36, 11, 39, 0.28),
    ("itt", "trd", 1, 36, 0, 39, 0.48),
    ("pp", "efs", 7, 33, 17, 34, 0.02),
    ("pp", "os", 3, 33, 8, 34, 0.19),
    ("pp", "trd", 1, 33, 0, 34, 0.49),
]


@pytest.mark.parametrize(("population", "endpoint", "eh", "nh", "ec", "nc", "p"), SCOT_EVENTS)
def test_scot_table_1_1_events(scot, population, endpoint, eh, nh, ec, nc, p):
    for time in (48, 54):
        e = entry(scot, f"{population}_{endpoint}_events_{time}")
        assert e.kind == "landmark_events"
        assert e.population == population
        assert e.time_months == time
        assert dict(e.events) == {"hsct": eh, "cyc": ec}
        assert dict(e.n) == {"hsct": nh, "cyc": nc}
        assert e.source.locator == "Table 2"
        assert e.source.tag == "reported"
        assert e.p_value == (p if time == 54 else None)
    assert entry(scot, f"{population}_{endpoint}_events_48").endpoint == {
        "efs": "efs", "os": "os", "trd": "treatment_related_death"
    }[endpoint]


def test_scot_table_1_1_derived_organ_failure_counts_follow(scot):
    # D: alive with organ failure by 54 months = EFS events minus deaths (4 vs 9 in both).
    for population in ("itt", "pp"):
        efs = entry(scot, f"{population}_efs_events_54").events
        os_ = entry(scot, f"{population}_os_events_54").events
        assert {a: efs[a] - os_[a] for a in efs} == {"hsct": 4, "cyc": 9}


# Section 1.2: survival estimates.
PP_ASSUMED = "Population not stated in the abstract; taken as per-protocol."
SCOT_SURVIVAL = [
    # id, endpoint, months, hsct, cyc, P, locator, tag, what the assumption says
    ("pp_efs_54", "efs", 54, 0.79, 0.50, 0.02, "Abstract", "reported", "1 - 7/33"),
    ("pp_efs_72", "efs", 72, 0.74, 0.47, 0.03, "Abstract", "reported", PP_ASSUMED),
    ("pp_os_72", "os", 72, 0.86, 0.51, 0.02, "Abstract", "reported", PP_ASSUMED),
    ("pp_os_54", "os", 54, 0.91, 0.77, None, "54-month overall survival", "reported",
     "taken as per-protocol"),
    ("pp_trd_free_54", "treatment_related_death", 54, 0.97, 1.0, None, "Abstract",
     "derived", PP_ASSUMED),
    ("pp_trd_free_72", "treatment_related_death", 72, 0.94, 1.0, None, "Abstract",
     "derived", PP_ASSUMED),
    ("telephone_os_132", "os", 132, 0.88, 0.53, None, "Abstract 1820", "reported",
     "43 of the 75"),
]


@pytest.mark.parametrize(
    ("entry_id", "endpoint", "months", "hsct", "cyc", "p", "locator", "tag", "assumption"),
    SCOT_SURVIVAL,
)
def test_scot_table_1_2_survival(scot, entry_id, endpoint, months, hsct, cyc, p, locator, tag,
                                 assumption):
    e = entry(scot, entry_id)
    assert e.kind == "survival_estimates"
    assert e.endpoint == endpoint
    assert e.time_months == months
    assert dict(e.survival) == {"hsct": hsct, "cyc": cyc}
    assert e.p_value == p
    assert e.source.locator == locator
    assert e.source.tag == tag
    assert assumption in e.assumption


def test_scot_table_1_2_54_month_efs_equals_per_protocol_counts(scot):
    # 79% and 50% are 1 - 7/33 and 1 - 17/34 to the printed precision.
    e = entry(scot, "pp_efs_54")
    assert e.survival["hsct"] == pytest.approx(1 - 7 / 33, abs=0.005)
    assert e.survival["cyc"] == pytest.approx(1 - 17 / 34, abs=0.005)
    assert e.method == "crude"


def test_scot_table_1_2_sources(scot):
    assert "ACR/ARHP Annual Meeting 2016" in entry(scot, "pp_os_54").source.citation
    assert "abstract 1820" in entry(scot, "telephone_os_132").source.citation
    assert entry(scot, "telephone_os_132").population == "telephone_followup"
    assert dict(scot.populations["telephone_followup"].n) == {"pooled": 43}
    assert "Weak datum" in entry(scot, "telephone_os_132").assumption
    assert "1 - 0.06 = 0.94" in entry(scot, "pp_trd_free_72").source.note


def test_scot_table_1_2_treatment_related_mortality_by_12_months(scot):
    for population, n in (("itt", {"hsct": 36, "cyc": 39}), ("pp", {"hsct": 33, "cyc": 34})):
        e = entry(scot, f"{population}_trd_events_12")
        assert e.time_months == 12
        assert dict(e.events) == {"hsct": 1, "cyc": 0}
        assert dict(e.n) == n
        assert "1 (3%)" in e.source.note


# Section 1.3: GRCS, NEJM Table 2.
SCOT_GRCS = [
    # id, months, hsct median, hsct range, cyc median, cyc range, % hsct, % cyc, P
    ("itt_grcs_54", 54, 17.0, (-58, 52), -6.0, (-58, 52), 66.6, 33.4, 0.01),
    ("itt_grcs_48", 48, 20.0, (-58, 55), -8.0, (-58, 55), 67.6, 32.4, 0.008),
    ("pp_grcs_54", 54, 16.0, (-56, 46), -11.0, (-56, 46), 70.1, 29.9, 0.004),
    ("pp_grcs_48", 48, 17, (-56, 49), -13.0, (-56, 49), 71.3, 28.7, 0.003),
]


@pytest.mark.parametrize(
    ("entry_id", "months", "mh", "rh", "mc", "rc", "fav_h", "fav_c", "p"), SCOT_GRCS
)
def test_scot_table_1_3_grcs(scot, entry_id, months, mh, rh, mc, rc, fav_h, fav_c, p):
    e = entry(scot, entry_id)
    assert e.kind == "pairwise"
    assert e.endpoint == "grcs"
    assert e.time_months == months
    assert dict(e.median) == {"hsct": mh, "cyc": mc}
    assert (e.minimum["hsct"], e.maximum["hsct"]) == rh
    assert (e.minimum["cyc"], e.maximum["cyc"]) == rc
    assert dict(e.percent_favourable) == {"hsct": fav_h, "cyc": fav_c}
    assert e.p_value == p
    assert e.source.locator == "Table 2"


def test_scot_table_1_3_itt_pairs(scot):
    assert entry(scot, "itt_grcs_54").n_pairs == 1404  # 36 x 39, as in the abstract


# Section 1.4: disease progression by 54 months, PP, NEJM Table 2.
SCOT_PROGRESSION = [
    ("dmard_initiation", 3, 15, 0.001),
    ("arrhythmia", 6, 4, 0.46),
    ("heart_failure", 0, 4, 0.04),
    ("pericardial_effusion", 2, 0, 0.15),
    ("pulmonary_hypertension", 0, 5, 0.02),
    ("renal_crisis", 0, 1, 0.32),
    ("myositis", 1, 0, 0.31),
]


@pytest.mark.parametrize(("endpoint", "hsct", "cyc", "p"), SCOT_PROGRESSION)
def test_scot_table_1_4_progression(scot, endpoint, hsct, cyc, p):
    (e,) = scot.evidence("proportions", endpoint=endpoint)
    assert e.population == "pp"
    assert e.time_months == 54
    assert dict(e.count) == {"hsct": hsct, "cyc": cyc}
    assert dict(e.n) == {"hsct": 33, "cyc": 34}
    assert e.p_value == p
    assert e.source.locator == "Table 2"


def test_scot_table_1_4_is_complete(scot):
    assert len(scot.evidence("proportions")) == len(SCOT_PROGRESSION)


# Section 1.5: function and quality of life.
def test_scot_section_1_5_fvc_slope(scot):
    (e,) = scot.evidence("slopes")
    assert e.endpoint == "fvc"
    assert e.population == "pp"
    assert dict(e.slope_per_year) == {"hsct": 0.77, "cyc": -3.70}
    assert dict(e.n) == {"hsct": 33, "cyc": 34}
    assert e.p_value == 0.004
    assert "Keyes-Elstein L" in e.source.citation
    assert "Arthritis Care Res 2023;75:307-316" in e.source.citation


INTERIM_BASELINE = [
    # endpoint, mean, sd
    ("sf36_pcs", 27.4, None),
    ("haq_di", 1.4, None),
    ("fvc", 74.6, 16.2),
    ("dlco", 50.5, 8.2),
    ("mrss", 30.9, 9.5),
]


@pytest.mark.parametrize(("endpoint", "mean", "sd"), INTERIM_BASELINE)
def test_scot_section_1_5_interim_baseline(scot, endpoint, mean, sd):
    (e,) = scot.evidence("visit_summaries", endpoint=endpoint, population="interim_cohort")
    assert e.time_months == 0
    assert e.statistic == "mean"
    assert dict(e.mean) == {"pooled": mean}
    assert (None if e.sd is None else dict(e.sd)) == (None if sd is None else {"pooled": sd})
    assert dict(e.n) == {"pooled": 61}
    assert dict(scot.populations["interim_cohort"].n) == {"pooled": 61}


GENE_EXPRESSION_BASELINE = [
    # endpoint, cyc mean (sd), hsct mean (sd): Franks 2020 Table 1, CYC n = 33, HSCT n = 30
    ("mrss", (30.4, 10.7), (27.5, 7.7)),
    ("fvc", (73.6, 17.9), (76.2, 13.4)),
    ("dlco", (51.8, 7.9), (54.1, 6.7)),
]


@pytest.mark.parametrize(("endpoint", "cyc", "hsct"), GENE_EXPRESSION_BASELINE)
def test_scot_section_1_5_gene_expression_baseline(scot, endpoint, cyc, hsct):
    (e,) = scot.evidence("visit_summaries", endpoint=endpoint,
                         population="gene_expression_pp")
    assert e.time_months == 0
    assert dict(e.mean) == {"hsct": hsct[0], "cyc": cyc[0]}
    assert dict(e.sd) == {"hsct": hsct[1], "cyc": cyc[1]}
    assert dict(e.n) == {"hsct": 30, "cyc": 33}
    assert e.source.locator == "Table 1"
    assert "Franks JM" in e.source.citation


def test_scot_holds_no_follow_up_visit_numbers(scot):
    # Per-arm HAQ-DI, SF-36, mRSS, FVC or DLCO at follow-up visits are not available.
    assert all(e.time_months == 0 for e in scot.evidence("visit_summaries"))


def test_scot_every_entry_is_reported_or_derived_with_arithmetic(scot):
    for e in scot.entries:
        assert e.source.tag in ("reported", "derived")
        if e.source.tag == "derived":
            assert "=" in e.source.note, e.id


# -- ASTIS (section 2) ----------------------------------------------------------------------
def test_astis_populations(astis):
    assert dict(astis.populations["itt"].n) == {"hsct": 79, "cyc": 77}
    assert dict(astis.populations["french_subcohort"].n) == {"hsct": 26, "cyc": 23}


ASTIS_LANDMARKS = [
    ("itt_efs_events_12", "efs", 12, 13, 8),
    ("itt_efs_events_24", "efs", 24, 14, 14),
    ("itt_os_events_12", "os", 12, 11, 7),
    ("itt_trd_events_12", "treatment_related_death", 12, 8, 0),
]


@pytest.mark.parametrize(("entry_id", "endpoint", "months", "hsct", "cyc"), ASTIS_LANDMARKS)
def test_astis_table_events(astis, entry_id, endpoint, months, hsct, cyc):
    e = entry(astis, entry_id)
    assert e.endpoint == endpoint
    assert e.time_months == months
    assert dict(e.events) == {"hsct": hsct, "cyc": cyc}
    assert dict(e.n) == {"hsct": 79, "cyc": 77}


def test_astis_table_treatment_related_mortality(astis):
    e = entry(astis, "itt_trd_events_12")
    assert "10.1%" in e.source.note
    assert round(100 * e.events["hsct"] / e.n["hsct"], 1) == 10.1
    assert "8 treatment-related deaths" in entry(astis, "itt_efs_events_12").source.note


ASTIS_FOLLOWUP = [
    ("itt_efs_events_followup", "efs", 22, 31),
    ("itt_efs_event_deaths_followup", "efs_event_death", 19, 23),
    ("itt_efs_event_organ_failures_followup", "efs_event_organ_failure", 3, 8),
]


@pytest.mark.parametrize(("entry_id", "endpoint", "hsct", "cyc"), ASTIS_FOLLOWUP)
def test_astis_table_events_over_follow_up(astis, entry_id, endpoint, hsct, cyc):
    e = entry(astis, entry_id)
    assert e.kind == "proportions"
    assert e.endpoint == endpoint
    assert e.time_months is None
    assert dict(e.count) == {"hsct": hsct, "cyc": cyc}
    assert "5.8 years" in e.assumption


def test_astis_follow_up_events_add_up(astis):
    total = entry(astis, "itt_efs_events_followup").count
    deaths = entry(astis, "itt_efs_event_deaths_followup").count
    failures = entry(astis, "itt_efs_event_organ_failures_followup").count
    assert {a: deaths[a] + failures[a] for a in total} == dict(total)


ASTIS_HRS = [
    # endpoint, window end (months), HR, lower, upper
    ("efs", 3, 2.01, 0.74, 5.49),
    ("efs", 6, 1.35, 0.62, 2.96),
    ("efs", 12, 0.52, 0.28, 0.96),
    ("efs", 24, 0.35, 0.16, 0.74),
    ("efs", 120, 0.34, 0.16, 0.74),
    ("os", 3, 2.40, 0.75, 7.67),
    ("os", 6, 1.50, 0.61, 3.68),
    ("os", 12, 0.48, 0.25, 0.91),
    ("os", 24, 0.29, 0.13, 0.65),
    ("os", 120, 0.29, 0.13, 0.64),
]


@pytest.mark.parametrize(("endpoint", "end", "hr", "lower", "upper"), ASTIS_HRS)
def test_astis_table_hazard_ratios(astis, endpoint, end, hr, lower, upper):
    (e,) = [r for r in astis.evidence("ratios", endpoint=endpoint)
            if r.window_months == (0.0, float(end))]
    assert e.measure == "HR"
    assert (e.estimate, e.lower, e.upper) == (hr, lower, upper)
    assert e.estimand == "cumulative"
    assert e.source.locator == "Figure 2 legend"
    assert bool(e.assumption) == (end == 120)  # "3-10 years" recorded at 10 years


def test_astis_french_subcohort(astis):
    grcs = entry(astis, "french_grcs_60")
    assert grcs.time_months == 60
    assert dict(grcs.median) == {"hsct": 9, "cyc": -19}
    assert grcs.percent_favourable is None
    assert grcs.p_value == 0.018
    mrss = entry(astis, "french_mrss_change_60")
    assert (mrss.statistic, dict(mrss.mean), mrss.p_value) == (
        "change", {"hsct": -16, "cyc": -9}, 0.02
    )
    haq = entry(astis, "french_haq_di_change_60")
    assert (haq.statistic, dict(haq.mean), haq.p_value) == (
        "change", {"hsct": -0.89, "cyc": -0.2}, None
    )
    assert "Bone Marrow Transplant 2021;56:2259-67" in haq.source.citation


# -- ASSIST (section 3) ---------------------------------------------------------------------
def test_assist(assist):
    assert dict(assist.populations["itt"].n) == {"hsct": 10, "cyc": 9}
    improved = entry(assist, "itt_improvement_12")
    assert (dict(improved.count), dict(improved.n)) == ({"hsct": 10}, {"hsct": 10})
    assert improved.source.tag == "derived"
    progressed = entry(assist, "itt_progression_12")
    assert (dict(progressed.count), dict(progressed.n)) == ({"cyc": 8}, {"cyc": 9})
    assert "7 of them" in progressed.source.note
    trd = entry(assist, "itt_trd")
    assert dict(trd.count) == {"hsct": 0, "cyc": 0}


# -- External evidence (sections 4 and 5) -----------------------------------------------------
@pytest.fixture(scope="module")
def external() -> Trial:
    return load_external()


def test_external_nash_single_arm_changes(external):
    changes = {e.endpoint: e for e in external.evidence("effect_estimates",
                                                         population="nash_2007")}
    assert changes["mrss"].estimate == -22.08
    assert changes["haq_di"].estimate == -1.03
    assert {e.design for e in changes.values()} == {"single_arm"}
    assert dict(external.populations["nash_2007"].n) == {"hsct": 34}


MALTEZ = [
    ("sf36_pcs", 12, 7.02, 1.94, "mean_difference"),
    ("sf36_pcs", 84, 14.40, 6.16, "mean_difference"),
    ("haq_di", 12, -0.57, 0.13, "change_difference"),
    ("haq_di", 84, -0.94, 0.49, "change_difference"),
]


@pytest.mark.parametrize(("endpoint", "months", "estimate", "se", "statistic"), MALTEZ)
def test_external_maltez(external, endpoint, months, estimate, se, statistic):
    (e,) = [x for x in external.evidence("effect_estimates", endpoint=endpoint,
                                         population="maltez_2021")
            if x.time_months == months]
    assert (e.estimate, e.se, e.statistic, e.design) == (estimate, se, statistic,
                                                         "observational")
    assert dict(external.populations["maltez_2021"].n) == {"hsct": 41, "control": 65}


def test_external_population_spread(external):
    sds = {e.endpoint: e.sd for e in external.evidence("population_spread")}
    assert sds == {"haq_di": 0.7, "sf36_pcs": 9, "sf36_mcs": 12}


@pytest.mark.parametrize(
    ("endpoint", "value", "low", "high", "tag"),
    [
        ("mrss", 5, 3.2, 5.3, "reported"),
        ("haq_di", 0.14, 0.10, 0.14, "reported"),
        ("fvc", 5.3, 3.0, 5.3, "reported"),
        ("sf36_pcs", 5, None, None, "default"),
        ("sf36_mcs", 5, None, None, "default"),
    ],
)
def test_section_5_mcids(endpoint, value, low, high, tag):
    m = mcid(endpoint)
    assert (m.value, m.low, m.high, m.source.tag) == (value, low, high, tag)
    if low is not None:
        assert low <= m.value <= high  # the default lies inside the sourced range
    else:
        assert "no source" in m.source.note
        assert "Review" in m.source.note


def test_section_5_fvc_worsening_and_missing_mcids():
    worse = mcid("fvc", direction="worsening")
    assert (worse.value, worse.low, worse.high) == (3.3, 3.0, 3.3)
    assert mcid("fvc", direction="improvement").direction == "improvement"
    assert mcid("sf36_pcs", direction="worsening").direction == "either"
    assert mcid("dlco") is None
