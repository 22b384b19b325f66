"""Kaplan-Meier estimator, curve cleaning and interval summaries."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from survival_reference import cox_log_hr, load

from bayes_scot.errors import EvidenceError
from bayes_scot.stats.kaplan_meier import (
    clean_curve,
    event_interval,
    isotonic_decreasing,
    kaplan_meier,
    km_interval_summary,
)


def test_kaplan_meier_matches_lifelines_on_gbsg2():
    # lifelines' KaplanMeierFitter is the reference; its event table and survival on GBSG2
    # (686 patients, ties and censoring) are stored in tests/data
    data = load("gbsg2")
    ref = load("gbsg2_kaplan_meier_lifelines").set_index("time")
    km = kaplan_meier(data["time"], data["cens"])
    np.testing.assert_array_equal(km.times, ref.index.to_numpy(dtype=float))
    np.testing.assert_allclose(km.survival, ref["survival"].to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(km.n_risk, ref["at_risk"].to_numpy())
    np.testing.assert_array_equal(km.events, ref["observed"].to_numpy())
    np.testing.assert_array_equal(km.censored, ref["censored"].to_numpy())
    assert km.median() == pytest.approx(1807.0)  # lifelines' median_survival_time_
    grid = np.array([0.0, 365.25, 730.5, 1500.0, 3000.0])
    np.testing.assert_allclose(
        km.at(grid), [1.0, 0.9155581042858468, 0.7462306262700644, 0.5513612845190439,
                      0.34275848992946983], rtol=1e-12)


@pytest.mark.parametrize(
    ("name", "time", "event", "group", "experimental", "lifelines_log_hr"),
    [("gbsg2", "time", "cens", "horTh", "yes", -0.36400922103888034),
     ("rossi", "week", "arrest", "fin", 1, -0.36906912021486304),
     ("waltons", "T", "E", "group", "miR-137", 2.0525352098615732)],
)
def test_reference_cox_model_matches_lifelines(name, time, event, group, experimental,
                                               lifelines_log_hr):
    # the tests' Cox model (Efron ties) against lifelines' CoxPHFitter estimates
    data = load(name)
    x = (data[group] == experimental).astype(float)
    assert cox_log_hr(data[time], data[event], x) == pytest.approx(lifelines_log_hr, abs=1e-6)


def test_kaplan_meier_hand_example():
    # 5 patients: events at 1 and 3, censored at 2, 3 (after the event) and 4
    km = kaplan_meier([1, 2, 3, 3, 4], [1, 0, 1, 0, 0])
    np.testing.assert_array_equal(km.times, [1, 2, 3, 4])
    np.testing.assert_allclose(km.survival, [0.8, 0.8, 0.8 * 2 / 3, 0.8 * 2 / 3])
    np.testing.assert_array_equal(km.n_risk, [5, 4, 3, 1])
    np.testing.assert_array_equal(km.number_at_risk([0, 1, 1.5, 3, 5]), [5, 5, 4, 3, 0])
    assert np.isnan(km.median())
    assert list(km.to_frame().columns) == ["time", "n_risk", "events", "censored", "survival"]


@pytest.mark.parametrize(
    ("time", "event"),
    [([1, 2], [1]), ([], []), ([1, -1], [1, 0]), ([1, np.nan], [1, 0]), ([1, 2], [1, 2])],
)
def test_kaplan_meier_rejects_bad_data(time, event):
    with pytest.raises(EvidenceError):
        kaplan_meier(time, event)


def test_isotonic_regression():
    np.testing.assert_allclose(isotonic_decreasing([1.0, 0.8, 0.82, 0.7]),
                               [1.0, 0.81, 0.81, 0.7])
    y = np.array([3.0, 2.0, 1.0])
    np.testing.assert_array_equal(isotonic_decreasing(y), y)


def test_clean_curve_leaves_a_clean_curve_alone():
    cleaned = clean_curve([0, 1, 2, 3], [1.0, 0.9, 0.75, 0.75])
    assert not cleaned.changed
    np.testing.assert_array_equal(cleaned.survival, [1.0, 0.9, 0.75, 0.75])


def test_clean_curve_records_each_safe_fix():
    # percentages, unsorted, a duplicated time (a vertical drop), a start after 0,
    # one point slightly above 100% and a small rise from digitisation noise
    times = [5, 1, 3, 3, 4, 2]
    surv = [60, 100.8, 80, 70, 71, 90]
    cleaned = clean_curve(times, surv)
    text = " | ".join(cleaned.actions)
    assert "percentages" in text
    assert "clipped 1" in text
    assert "sorted" in text
    assert "collapsed 1" in text
    assert "(0, 1)" in text
    assert "isotonic" in text
    np.testing.assert_array_equal(cleaned.times, [0, 1, 2, 3, 4, 5])
    np.testing.assert_allclose(cleaned.survival, [1.0, 1.0, 0.9, 0.705, 0.705, 0.6])
    assert np.all(np.diff(cleaned.survival) <= 0)


def test_clean_curve_start_slightly_below_one_and_negative_time():
    cleaned = clean_curve([-0.05, 1, 2], [0.99, 0.9, 0.8])
    assert cleaned.times[0] == 0.0
    assert cleaned.survival[0] == 1.0
    assert any("negative" in a for a in cleaned.actions)


@pytest.mark.parametrize(
    ("times", "surv", "match"),
    [
        ([0, 1, 2], [1.0, 0.6, 0.8], "rises"),
        ([0, 1, 2], [1.0, 0.9, -0.2], "outside"),
        ([0, 1, 2], [100, 90, 150], "exceeds 100%"),
        ([0, 1], [1.0], "survival values"),
        ([0], [1.0], "at least 2"),
        ([0, np.nan], [1.0, 0.5], "finite"),
        ([0, 1, 2], [0.8, 0.7, 0.6], "starts at survival"),
        ([-5, 1, 2], [1.0, 0.7, 0.6], "negative"),
    ],
)
def test_clean_curve_rejects_unsafe_curves(times, surv, match):
    with pytest.raises(EvidenceError, match=match):
        clean_curve(times, surv)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.floats(-10, 100), st.sampled_from([np.nan, np.inf])),
                          st.one_of(st.floats(-50, 150), st.sampled_from([np.nan, -np.inf]))),
                min_size=0, max_size=30))
def test_clean_curve_never_returns_nan(points):
    times = [p[0] for p in points]
    surv = [p[1] for p in points]
    try:
        cleaned = clean_curve(times, surv)
    except EvidenceError:
        return
    assert np.all(np.isfinite(cleaned.times))
    assert np.all(np.isfinite(cleaned.survival))
    assert cleaned.times[0] == 0
    assert cleaned.survival[0] == 1
    assert np.all(np.diff(cleaned.times) > 0)
    assert np.all(np.diff(cleaned.survival) <= 1e-12)
    assert np.all((cleaned.survival >= 0) & (cleaned.survival <= 1))


def test_km_interval_summary_closed_form():
    table = km_interval_summary([0, 12, 24], [1.0, 0.8, 0.6], [100, 75, 50])
    p = 0.8
    d = (100 + 75) * (1 - p) / (1 + p)
    assert table.loc[0, "events"] == pytest.approx(d)
    assert table.loc[0, "censored"] == pytest.approx(100 - 75 - d)
    assert table.loc[0, "effective_n"] == pytest.approx(100 - (100 - 75 - d) / 2)
    assert table.loc[0, "exposure"] == pytest.approx(12 * 175 / 2)
    assert table.loc[1, "conditional_survival"] == pytest.approx(0.75)


def test_km_interval_summary_matches_true_events_on_gbsg2():
    # With yearly values from the real GBSG2 curve, the Williamson/Parmar formula
    # recovers each year's events to within a few patients (it assumes censoring spread
    # evenly over the year): tolerance 10% of the year's events or 3, whichever is larger.
    data = load("gbsg2")
    km = kaplan_meier(data["time"], data["cens"])
    years = np.arange(0, 6) * 365.25
    table = km_interval_summary(years, km.at(years), km.number_at_risk(years))
    for row in table.itertuples():
        inside = (km.times > row.start) & (km.times <= row.end)
        true_events = km.events[inside].sum()
        assert row.events == pytest.approx(true_events, abs=max(3, 0.1 * true_events))


def test_km_interval_summary_rejects_inconsistent_inputs():
    # survival halves while only 5 of 100 leave the risk set
    with pytest.raises(EvidenceError, match="inconsistent"):
        km_interval_summary([0, 12], [1.0, 0.5], [100, 95])
    with pytest.raises(EvidenceError, match="non-increasing"):
        km_interval_summary([0, 12], [0.8, 0.9], [100, 95])
    with pytest.raises(EvidenceError, match="n_risk"):
        km_interval_summary([0, 12], [1.0, 0.9], [100, 120])
    with pytest.raises(EvidenceError, match="reaches 0"):
        km_interval_summary([0, 12, 24], [1.0, 0.0, 0.0], [10, 0, 0])


def test_clean_curve_swaps_a_vertical_drop_read_in_the_wrong_order():
    # The bottom of the drop at time 3 was clicked a hair before its top.
    cleaned = clean_curve([0, 3.0, 3.01, 6], [1.0, 0.7, 0.9, 0.6])
    np.testing.assert_allclose(cleaned.survival, [1.0, 0.9, 0.7, 0.6])
    assert any("swapped the survival of 1 pair" in a for a in cleaned.actions)
    with pytest.raises(EvidenceError, match="rises"):
        clean_curve([0, 3.0, 3.01, 6], [1.0, 0.7, 0.9, 0.6], time_tolerance=0.0)


def test_an_event_on_a_boundary_belongs_to_the_interval_that_ends_there():
    """Intervals are (t_{k-1}, t_k]: time at risk ends at the event, so must its interval."""
    edges = np.array([0.0, 6.0, 12.0])
    times = np.array([0.0, 3.0, 6.0, 6.0 + 1e-9, 12.0, 30.0])
    assert event_interval(edges, times).tolist() == [0, 0, 0, 1, 1, 1]
