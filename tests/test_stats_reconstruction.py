"""Guyot reconstruction of patient-level data, validated on real data with known truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from survival_reference import cox_log_hr as reference_cox_log_hr
from survival_reference import load

from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import Source
from bayes_scot.evidence.entries import DigitisedCurve
from bayes_scot.stats.kaplan_meier import kaplan_meier
from bayes_scot.stats.reconstruction import (
    Reconstruction,
    read_curve_csv,
    read_risk_table_csv,
    reconstruct_curve,
    reconstruct_entry,
    reconstruct_ipd,
)

# Targets (Guyot et al. 2012 report this accuracy with numbers at risk and total events)
MAX_ABS_DS = 0.02
EVENTS_REL = 0.01
LOG_HR_ABS = 0.05

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "one_endpoint"


def digitise(time, event, *, step, noise=0.0, seed=0):
    """Turn patient data into what a reader of the paper has: curve points + risk table.

    One point per step of the Kaplan-Meier curve (its lower corner) plus the end of
    follow-up, as a careful digitiser records them; the risk table every ``step`` time
    units; the total number of events. With ``noise``, Gaussian reading error (SD
    ``noise`` on survival, ``noise`` x 10% of the time range on time) is added and the
    points shuffled, as a digitiser exports them.
    """
    km = kaplan_meier(time, event)
    steps = km.events > 0
    t = np.r_[0.0, km.times[steps], km.times[-1]]
    s = np.r_[1.0, km.survival[steps], km.survival[-1]]
    if noise:
        rng = np.random.default_rng(seed)
        s = np.clip(s + rng.normal(0.0, noise, s.size), 0.0, 1.0)
        t = np.abs(t + rng.normal(0.0, noise * 0.1 * t.max(), t.size))
        order = rng.permutation(t.size)
        t, s = t[order], s[order]
    risk_times = np.arange(0.0, np.max(time) + 1e-9, step)
    return t, s, risk_times, km.number_at_risk(risk_times), int(np.sum(event))


def reconstruct_trial(data, time, event, group, *, step, noise=0.0, **options):
    """Reconstruct each arm; return the per-arm results, the truth and the pseudo data."""
    results, frames = {}, []
    for seed, (arm, sub) in enumerate(data.groupby(group)):
        t, s, rt, nr, total = digitise(sub[time].to_numpy(float), sub[event].to_numpy(int),
                                       step=step, noise=noise, seed=seed)
        result = reconstruct_curve(t, s, rt, nr, total, **options)
        results[arm] = result
        frames.append(result.ipd.assign(arm=arm))
    truth = pd.DataFrame({"time": data[time], "event": data[event], "arm": data[group]})
    return results, truth, pd.concat(frames, ignore_index=True)


def cox_log_hr(frame, experimental):
    return reference_cox_log_hr(frame["time"], frame["event"],
                                (frame["arm"] == experimental).astype(float))


def check_targets(results, truth, pseudo, experimental, *, events_rel=EVENTS_REL,
                  max_abs_ds=MAX_ABS_DS):
    for arm, result in results.items():
        assert result.max_abs_ds < max_abs_ds, arm
        n_true = int(truth.loc[truth["arm"] == arm, "event"].sum())
        assert result.events_reported == n_true
        # Events are whole patients: below 100 events, 1% is less than one patient, so the
        # finest attainable accuracy is one event.
        assert abs(result.events_reconstructed - n_true) <= max(1, events_rel * n_true), arm
        assert len(result.ipd) == int((truth["arm"] == arm).sum())
    assert abs(cox_log_hr(pseudo, experimental) - cox_log_hr(truth, experimental)) < LOG_HR_ABS


@pytest.fixture(scope="module")
def gbsg2():
    data = load("gbsg2")
    data["years"] = data["time"] / 365.25
    return data


def test_gbsg2_yearly_risk_table_meets_targets(gbsg2):
    # GBSG2 (686 breast-cancer patients, hormonal therapy yes/no, 299 events, heavy
    # censoring); risk table every year, as published trials report it.
    results, truth, pseudo = reconstruct_trial(gbsg2, "years", "cens", "horTh", step=1.0)
    check_targets(results, truth, pseudo, "yes")
    for result in results.values():
        # every published number at risk before the last interval is reproduced exactly
        table = result.risk_table.iloc[:-1]
        assert (table["n_risk_reconstructed"] == table["n_risk_published"]).all()


def test_gbsg2_noisy_shuffled_digitisation_meets_targets(gbsg2):
    # Simulated reading error on the real curve (SD 0.003 in survival), shuffled points:
    # the cleaning must sort and smooth them and the targets must still hold.
    results, truth, pseudo = reconstruct_trial(gbsg2, "years", "cens", "horTh", step=1.0,
                                               noise=0.003)
    # max |dS| is measured against the noisy points; in the tail of the "no" arm (18 at
    # risk near year 6, survival 0.34) one patient moves the curve by 0.019, so a noisy
    # point there can differ by one patient's step plus noise: tolerance 0.03.
    check_targets(results, truth, pseudo, "yes", max_abs_ds=0.03)
    for result in results.values():
        assert any("sorted" in c for c in result.cleaning)
        assert any("isotonic" in c for c in result.cleaning)


def test_rossi_quarterly_risk_table_is_exact():
    # Rossi recidivism (432 released prisoners, financial aid yes/no, 114 arrests within
    # 52 weeks, censoring only at week 52): no censoring inside the curve, so the
    # reconstruction must be exact.
    results, truth, pseudo = reconstruct_trial(load("rossi"), "week", "arrest", "fin",
                                               step=13.0)
    check_targets(results, truth, pseudo, 1)
    for result in results.values():
        assert result.max_abs_ds < 1e-12
        km_true = kaplan_meier(result.ipd["time"], result.ipd["event"])
        assert km_true.events.sum() == result.events_reported


@pytest.mark.parametrize(("arm", "fin"), [("aid", 1), ("no_aid", 0)])
def test_shipped_example_curves_reconstruct_the_rossi_patients(arm, fin):
    # examples/one_endpoint/ ships each arm's Kaplan-Meier curve and an 8-weekly risk table
    # computed from the Rossi patient data (make_files.py), as a digitiser would read
    # them. All censoring in Rossi is at week 52, so the reconstruction must return the
    # arm's patients exactly: the same arrest weeks, everyone else censored at 52. The
    # curve is written to 5 decimals, so max |dS| is rounding (< 1e-5), not error.
    curve_t, curve_s = read_curve_csv(EXAMPLE / f"curve_{arm}.csv")
    risk_t, n_risk = read_risk_table_csv(EXAMPLE / f"risk_{arm}.csv")
    result = reconstruct_curve(curve_t, curve_s, risk_t, n_risk)
    patients = load("rossi").query("fin == @fin")
    arrests = np.sort(patients.loc[patients["arrest"] == 1, "week"].to_numpy(float))
    ipd = result.ipd
    np.testing.assert_array_equal(ipd.loc[ipd["event"] == 1, "time"], arrests)
    assert len(ipd) == len(patients)
    assert set(ipd.loc[ipd["event"] == 0, "time"]) == {52.0}
    assert result.max_abs_ds < 1e-5
    assert result.adjustments == ()


def test_waltons_reconstruction():
    # Waltons (163 flies, two groups); risk table every 10 days. In the control arm 57 of
    # 122 deaths and 5 censorings fall in one 10-day interval, so where the censorings sit
    # inside it is not identified: the events target is relaxed to 5% here (Guyot et al.
    # report events errors of this size when censoring is concentrated); max |dS| and the
    # hazard ratio meet the usual targets.
    results, truth, pseudo = reconstruct_trial(load("waltons"), "T", "E", "group", step=10.0)
    check_targets(results, truth, pseudo, "miR-137", events_rel=0.05)
    control = results["control"]
    assert control.adjustments  # the shortfall is reported, not hidden


def test_simulated_round_trip():
    # Simulated trial (exponential event times, uniform censoring), seeded.
    rng = np.random.default_rng(2012)
    n = 300
    arms = np.repeat(["a", "b"], n)
    rate = np.where(arms == "a", 0.10, 0.06)
    event_time = rng.exponential(1 / rate)
    censor_time = rng.uniform(2, 20, 2 * n)
    data = pd.DataFrame({"time": np.minimum(event_time, censor_time),
                         "event": (event_time <= censor_time).astype(int), "arm": arms})
    results, truth, pseudo = reconstruct_trial(data, "time", "event", "arm", step=2.0)
    check_targets(results, truth, pseudo, "b")


def test_hand_example_without_censoring():
    ipd = reconstruct_ipd([0, 1, 2, 3, 4, 5, 6], [1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.5],
                          [0, 6], [10, 5], total_events=5)
    assert list(ipd.columns) == ["time", "event"]
    np.testing.assert_array_equal(ipd["time"], [1, 2, 3, 4, 5, 6, 6, 6, 6, 6])
    np.testing.assert_array_equal(ipd["event"], [1] * 5 + [0] * 5)
    accuracy = ipd.attrs["accuracy"]
    assert accuracy["events_reconstructed"] == accuracy["events_reported"] == 5
    assert accuracy["max_abs_ds"] < 1e-12


def test_percentages_and_risk_times_beyond_the_curve():
    result = reconstruct_curve([0, 2, 4, 6], [100, 80, 60, 60], [0, 3, 6, 9], [10, 8, 6, 0])
    assert any("percentages" in c for c in result.cleaning)
    assert any("dropped 1 risk-table time" in c for c in result.cleaning)
    assert result.events_reconstructed == 4
    assert result.events_reported is None
    assert "10 patients, events 4" in result.summary()
    assert result.events_error is None


def test_total_events_fixes_late_censoring():
    # 20 patients, 12 at risk at time 5 (8 events before it, none censored); from 0.6 at
    # 4 the curve falls to 0.4 by 7: 4 more events among 12 without censoring. A reported
    # total of 11 means one of them was censored instead.
    t = [0, 1, 2, 3, 4, 5, 6, 7, 8]
    s = [1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.4]
    free = reconstruct_curve(t, s, [0, 5], [20, 12])
    assert free.events_reconstructed == 12  # no censoring before the last point
    few = reconstruct_curve(t, s, [0, 5], [20, 12], total_events=11)
    assert few.events_reconstructed == 11  # one patient censored instead
    assert not few.adjustments
    # with about 10 at risk after time 5, one patient is a step of 0.05 in survival
    assert few.max_abs_ds <= 0.05


@pytest.mark.parametrize(
    ("args", "match", "field"),
    [
        # the curve halves while only 5 of 100 leave the risk set
        (([0, 1, 2], [1, 0.5, 0.5], [0, 2], [100, 95]), "inconsistent", "n_risk"),
        # everyone has left by time 5, yet the curve keeps falling
        (([0, 2, 4, 6, 8], [1, 0.8, 0.7, 0.5, 0.3], [0, 5], [10, 0]), "empty", "n_risk"),
        (([0, 1, 2], [1, 0.9, 0.8], [0, 1], [10, 12]), "never increases", "n_risk"),
        (([0, 1, 2], [1, 0.9, 0.8], [1, 2], [10, 9]), "start at time 0", "risk_times"),
        (([0, 1, 2], [1, 0.9, 0.8], [0, 0], [10, 9]), "strictly increasing", "risk_times"),
        (([0, 1, 2], [1, 0.9, 0.8], [0, 1], [10]), "numbers at risk", "n_risk"),
        (([0, 1, 2], [1, 0.9, 0.8], [0, 1], [10, 9.5]), "whole numbers", "n_risk"),
        (([0, 1, 2], [1, 0.9, 0.8], [0, 1], [0, 0]), "no patients", "n_risk"),
        (([0, 1, 2], [1, 0.9, 0.8], [], []), "empty", "risk_times"),
        (([0, 1, 2], [1, 0.9, 0.8], [0, 1], [10, 9], 11), "impossible", "total_events"),
        (([0, 1, 2], [1, 0.9, 0.8], [0, 1], [10, 9], 2.5), "whole number", "total_events"),
        # 60 events implied by time 3 but only 10 reported in total
        (([0, 1, 2, 3, 4], [1, .8, .6, .4, .4], [0, 3], [100, 40], 10), "more than",
         "total_events"),
        # the curve reaches 0 at time 2, yet 3 patients are at risk at time 3
        (([0, 1, 2, 3], [1, 0.5, 0.0, 0.0], [0, 3], [10, 3]), "inconsistent", "n_risk"),
        # a single risk-table row: the curve's 50 events cannot be censored away
        (([0, 1, 2, 3], [1, 0.8, 0.6, 0.5], [0], [100], 10), "whatever the censoring",
         "total_events"),
        (([0, 1, 2], [1, 0.5, 0.9], [0, 1], [10, 5]), "rises", "survival"),
    ],
)
def test_bad_inputs_raise_clear_errors(args, match, field):
    with pytest.raises(EvidenceError, match=match) as info:
        reconstruct_curve(*args)
    assert info.value.field == field


curves = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=25).map(
    lambda xs: np.r_[1.0, np.sort(np.asarray(xs))[::-1]])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    surv=curves,
    jitter=st.lists(st.floats(-0.05, 0.05), min_size=26, max_size=26),
    n0=st.integers(1, 300),
    drops=st.lists(st.floats(0.0, 1.0), min_size=0, max_size=6),
    total=st.one_of(st.none(), st.floats(0.0, 1.0)),
)
def test_random_curves_never_yield_nan(surv, jitter, n0, drops, total):
    # Random (possibly inconsistent, noisy) curves and risk tables: the result is either
    # a clear EvidenceError or complete patient data with finite accuracy, never NaN.
    s = np.clip(surv + np.asarray(jitter[: surv.size]) * (np.arange(surv.size) > 0), -0.01, 1)
    t = np.arange(surv.size, dtype=float)
    fractions = np.sort(np.asarray(drops))[::-1]
    n_risk = np.r_[n0, np.floor(n0 * fractions)].astype(int)
    risk_times = np.linspace(0, t[-1] + 1, n_risk.size) if n_risk.size > 1 else np.array([0.0])
    total_events = None if total is None else int(total * n0)
    try:
        result = reconstruct_curve(t, s, risk_times, n_risk, total_events)
    except EvidenceError as err:
        message = str(err)
        result = None
    if result is None:
        assert message  # a clear, non-empty one-line reason
        assert "\n" not in message
        return
    ipd = result.ipd
    assert len(ipd) == n0
    assert np.all(np.isfinite(ipd["time"]))
    assert set(np.unique(ipd["event"])) <= {0, 1}
    assert np.isfinite(result.max_abs_ds)
    assert 0 <= result.events_reconstructed <= n0
    assert not ipd.isna().to_numpy().any()


def test_reconstruct_entry():
    source = Source(citation="simulated curve for tests", locator="test", tag="reported")
    entry = DigitisedCurve(
        id="sim_efs_hsct", endpoint="efs", population="itt", source=source, arm="hsct",
        times=(0.0, 6.0, 12.0, 24.0, 36.0), survival=(1.0, 0.9, 0.85, 0.8, 0.8),
        risk_times=(0.0, 12.0, 24.0), n_risk=(20, 17, 12), total_events=4,
    )
    result = reconstruct_entry(entry)
    assert isinstance(result, Reconstruction)
    assert set(result.ipd["arm"]) == {"hsct"}
    assert result.ipd.attrs["entry"] == "sim_efs_hsct"
    assert result.events_reconstructed == 4
    bad = DigitisedCurve(
        id="sim_bad", endpoint="efs", population="itt", source=source, arm="cyc",
        times=(0.0, 6.0, 12.0), survival=(1.0, 0.5, 0.4), risk_times=(0.0, 12.0),
        n_risk=(20, 19),
    )
    with pytest.raises(EvidenceError) as info:
        reconstruct_entry(bad)
    assert info.value.entry == "sim_bad"
    with pytest.raises(EvidenceError, match="unknown option"):
        reconstruct_entry(entry, method="guyot")


def test_read_csv_formats(tmp_path):
    plain = tmp_path / "curve.csv"
    plain.write_text("x,y\n0,100\n1.5,92.3\n3,80\n")
    t, s = read_curve_csv(plain)
    np.testing.assert_allclose(t, [0, 1.5, 3])
    np.testing.assert_allclose(s, [100, 92.3, 80])
    european = tmp_path / "curve_eu.csv"
    european.write_text("# exported by a digitiser\n0;1\n1,5;0,923\n3;0,8\n")
    t, s = read_curve_csv(european)
    np.testing.assert_allclose(s, [1, 0.923, 0.8])
    tabbed = tmp_path / "risk.tsv"
    tabbed.write_text("time\tn\n0\t36\n12\t30\n")
    _, nr = read_risk_table_csv(tabbed)
    np.testing.assert_array_equal(nr, [36, 30])
    assert nr.dtype.kind == "i"


@pytest.mark.parametrize(
    ("content", "match"),
    [("", "empty"), ("x,y\n", "no rows"), ("0\n1\n", "expected 2"),
     ("0,1\n1,abc\n", "not numbers"), ("0,1\n1,nan\n", "non-finite")],
)
def test_read_csv_errors_name_the_file(tmp_path, content, match):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(EvidenceError, match=match) as info:
        read_curve_csv(path)
    assert info.value.file == str(path)


def test_read_csv_missing_file_and_fractional_risk(tmp_path):
    with pytest.raises(EvidenceError, match="not found"):
        read_curve_csv(tmp_path / "missing.csv")
    path = tmp_path / "risk.csv"
    path.write_text("0,10\n1,9.5\n")
    with pytest.raises(EvidenceError, match="whole numbers"):
        read_risk_table_csv(path)


def test_events_at_the_last_risk_time_are_reported_not_looped_over():
    # The drop at time 24 happens at the start of the last interval, before any censoring
    # can be placed, so no censored count reaches the reported 12 events: the search must
    # stop at its bound and report the difference.
    t = [0, 1, 3, 6, 12, 18, 24, 30]
    s = [1, 0.97, 0.9, 0.78, 0.7, 0.66, 0.6, 0.6]
    result = reconstruct_curve(t, s, [0, 12, 24], [36, 24, 15], total_events=12)
    assert result.events_reconstructed == 13
    assert any("+1 event" in a for a in result.adjustments)


def test_curve_reaching_zero_at_a_risk_table_time():
    # 4 patients dying at times 1-4: the last one is at risk at time 4 and dies there
    result = reconstruct_curve([0, 1, 2, 3, 4], [1, 0.75, 0.5, 0.25, 0.0], [0, 2, 4],
                               [4, 3, 1])
    np.testing.assert_array_equal(result.ipd["time"], [1, 2, 3, 4])
    assert result.ipd["event"].sum() == 4
    assert result.max_abs_ds < 1e-12
