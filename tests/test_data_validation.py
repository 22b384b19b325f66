"""Bad trial files are rejected with one EvidenceError naming the file, entry and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bayes_scot.data import load_trial, read_trial_file
from bayes_scot.errors import EvidenceError

HEADER = """\
[trial]
name = "mini"
title = "Minimal trial (simulated)"
citation = "SIMULATED"

[arms.hsct]
label = "HSCT"
role = "experimental"

[arms.cyc]
label = "CYC"
role = "control"

[sources.main]
citation = "SIMULATED publication"

[populations.itt]
label = "Intention to treat"
n = { hsct = 36, cyc = 39 }
"""

EVENTS = """
[[landmark_events]]
id = "efs_54"
endpoint = "efs"
population = "itt"
time_months = 54
events = { hsct = 10, cyc = 20 }
n = { hsct = 36, cyc = 39 }
source = { ref = "main", locator = "Table 2", tag = "reported" }
"""

SOURCE = 'source = { ref = "main", locator = "Table 2", tag = "reported" }'


def write(directory: Path, text: str | bytes, name: str = "trial.toml") -> Path:
    path = directory / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def rejects(path: Path, *, field: str | None = None, entry: str | None = None,
            match: str | None = None) -> EvidenceError:
    with pytest.raises(EvidenceError) as info:
        read_trial_file(path)
    err = info.value
    assert err.file == str(path)
    assert str(path) in str(err)
    assert "\n" not in str(err)  # one line, for the command line
    if field is not None:
        assert err.field == field, str(err)
        assert f"field '{field}'" in str(err)
    if entry is not None:
        assert err.entry == entry, str(err)
    if match is not None:
        assert re.search(match, str(err)), str(err)
    return err


def test_minimal_file_is_valid(tmp_path):
    trial = read_trial_file(write(tmp_path, HEADER + EVENTS))
    assert [e.id for e in trial.entries] == ["efs_54"]


# -- malformed files --------------------------------------------------------------------------
def test_missing_file(tmp_path):
    rejects(tmp_path / "absent.toml", match="file not found")


def test_folder_is_not_a_file(tmp_path):
    rejects(tmp_path, match="folder")


def test_empty_file(tmp_path):
    rejects(write(tmp_path, ""), match="empty")


def test_whitespace_only_file_is_empty(tmp_path):
    rejects(write(tmp_path, "  \n\n\t\n"), match="empty")


def test_comments_only_file(tmp_path):
    rejects(write(tmp_path, "# nothing here\n"), match="only comments")


def test_binary_file(tmp_path):
    rejects(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), match="binary")


def test_non_utf8_file(tmp_path):
    rejects(write(tmp_path, b"name = \"caf\xe9\"\n"), match="UTF-8")


def test_bad_syntax_names_the_line(tmp_path):
    text = HEADER + EVENTS.replace("time_months = 54", "time_months = = 54")
    line = (HEADER + EVENTS).splitlines().index("time_months = 54") + 1
    rejects(write(tmp_path, text), match=rf"invalid TOML: .*line {line}")


@pytest.mark.parametrize("table", ["trial", "arms", "populations"])
def test_missing_required_table(tmp_path, table):
    text = re.sub(rf"\[{table}[^\n]*\](.|\n)*?(?=\n\[|\Z)", "", HEADER)
    rejects(write(tmp_path, text), field=table)


def test_unknown_top_level_table_with_suggestion(tmp_path):
    text = HEADER + EVENTS.replace("[[landmark_events]]", "[[landmark_event]]")
    rejects(write(tmp_path, text), field="landmark_event", match="did you mean 'landmark_events'")


def test_entries_must_be_an_array_of_tables(tmp_path):
    text = HEADER + EVENTS.replace("[[landmark_events]]", "[landmark_events]")
    rejects(write(tmp_path, text), field="landmark_events", match=r"\[\[landmark_events\]\]")


# -- fixed tables -----------------------------------------------------------------------------
def test_unknown_key_in_trial_table(tmp_path):
    text = HEADER.replace('citation = "SIMULATED"', 'citation = "SIMULATED"\ncitaton = "x"')
    rejects(write(tmp_path, text), field="trial.citaton", match="did you mean 'citation'")


def test_trial_name_must_be_a_string(tmp_path):
    rejects(write(tmp_path, HEADER.replace('name = "mini"', "name = 3") + EVENTS),
            field="trial.name", match="string")


def test_arm_role_is_checked(tmp_path):
    text = HEADER.replace('role = "control"', 'role = "comparator"')
    rejects(write(tmp_path, text + EVENTS), field="arms.cyc.role")


def test_exactly_one_experimental_arm(tmp_path):
    text = HEADER.replace('role = "control"', 'role = "experimental"')
    rejects(write(tmp_path, text + EVENTS), field="arms")


def test_population_with_unknown_arm(tmp_path):
    text = HEADER.replace("n = { hsct = 36, cyc = 39 }", "n = { hsct = 36, cyx = 39 }")
    rejects(write(tmp_path, text + EVENTS), field="populations.itt.n.cyx")


def test_population_size_below_one(tmp_path):
    text = HEADER.replace("n = { hsct = 36, cyc = 39 }", "n = { hsct = 0, cyc = 39 }")
    rejects(write(tmp_path, text + EVENTS), field="populations.itt.n.hsct", match="at least 1")


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("[arms.cyc]", "[arms.pooled]", "arms.pooled"),
        ("[populations.itt]", "[populations.all]", "populations.all"),
        ('label = "Intention to treat"', 'label = "ITT"\nsize = 75', "populations.itt.size"),
        ('citation = "SIMULATED publication"', 'citation = "x"\nyear = 2018', "sources.main.year"),
        ('label = "CYC"', 'label = "CYC"\nregimen = 12', "arms.cyc.regimen"),
    ],
)
def test_fixed_table_errors(tmp_path, old, new, field):
    rejects(write(tmp_path, HEADER.replace(old, new) + EVENTS), field=field)


def test_declared_endpoint_is_checked(tmp_path):
    text = HEADER + '\n[endpoints.walk]\nlabel = "Walk"\nkind = "continuous"\nbetter = "up"\n'
    rejects(write(tmp_path, text + EVENTS), field="endpoints.walk.better")


# -- entries: structure -----------------------------------------------------------------------
def test_unknown_key_in_entry_with_suggestion(tmp_path):
    text = HEADER + EVENTS.replace("time_months = 54", "time_month = 54")
    rejects(write(tmp_path, text), entry="efs_54", field="time_month",
            match="did you mean 'time_months'")


def test_missing_required_field(tmp_path):
    text = HEADER + EVENTS.replace("time_months = 54\n", "")
    rejects(write(tmp_path, text), entry="efs_54", field="time_months", match="missing")


def test_entry_without_id_is_named_by_table_and_index(tmp_path):
    text = HEADER + EVENTS + EVENTS.replace('id = "efs_54"\n', "")
    rejects(write(tmp_path, text), entry="landmark_events[1]", field="id")


def test_wrong_type(tmp_path):
    text = HEADER + EVENTS.replace("time_months = 54", 'time_months = "54"')
    rejects(write(tmp_path, text), entry="efs_54", field="time_months", match="number")


def test_wrong_type_in_arm_table(tmp_path):
    text = HEADER + EVENTS.replace("cyc = 20 }", 'cyc = "20" }')
    rejects(write(tmp_path, text), entry="efs_54", field="events.cyc", match="number")


def test_boolean_is_not_a_number(tmp_path):
    text = HEADER + EVENTS.replace("cyc = 20 }", "cyc = true }")
    rejects(write(tmp_path, text), entry="efs_54", field="events.cyc")


def test_arm_values_must_be_a_table(tmp_path):
    text = HEADER + EVENTS.replace("events = { hsct = 10, cyc = 20 }", "events = 30")
    rejects(write(tmp_path, text), entry="efs_54", field="events", match="table")


def test_missing_source(tmp_path):
    text = HEADER + EVENTS.replace(SOURCE + "\n", "")
    rejects(write(tmp_path, text), entry="efs_54", field="source")


@pytest.mark.parametrize(
    ("source", "field"),
    [
        ('{ ref = "nejm", locator = "Table 2", tag = "reported" }', "source.ref"),
        ('{ ref = "main", tag = "reported" }', "source.locator"),
        ('{ ref = "main", locator = "Table 2" }', "source.tag"),
        ('{ ref = "main", locator = "Table 2", tag = "guessed" }', "source.tag"),
        ('{ ref = "main", locator = "Table 2", tag = "derived" }', "source.note"),
        ('{ ref = "main", locator = "Table 2", tag = "default", note = "x" }', "source.tag"),
        ('{ ref = "main", locator = "", tag = "reported" }', "source.locator"),
        ('{ locator = "Table 2", tag = "reported" }', "source.ref"),
        ('{ ref = "main", locator = "Table 2", tag = "reported", page = 3 }', "source.page"),
        ('"main"', "source"),
    ],
)
def test_bad_source(tmp_path, source, field):
    text = HEADER + EVENTS.replace(SOURCE, f"source = {source}")
    rejects(write(tmp_path, text), entry="efs_54", field=field)


def test_inline_citation_is_accepted(tmp_path):
    text = HEADER + EVENTS.replace(
        SOURCE, 'source = { citation = "Someone 2020", locator = "Table 1", tag = "reported" }'
    )
    (entry,) = read_trial_file(write(tmp_path, text)).entries
    assert entry.source.label() == "Someone 2020, Table 1"


# -- entries: the evidence rules --------------------------------------------------------------
def test_negative_count(tmp_path):
    text = HEADER + EVENTS.replace("hsct = 10", "hsct = -1")
    rejects(write(tmp_path, text), entry="efs_54", field="events.hsct", match="at least 0")


def test_events_exceed_n(tmp_path):
    text = HEADER + EVENTS.replace("hsct = 10", "hsct = 37")
    rejects(write(tmp_path, text), entry="efs_54", field="events.hsct", match="exceed")


def test_n_exceeds_the_population(tmp_path):
    text = HEADER + EVENTS.replace("n = { hsct = 36, cyc = 39 }", "n = { hsct = 40, cyc = 39 }")
    rejects(write(tmp_path, text), entry="efs_54", field="n.hsct", match="itt population")


def test_n_below_one(tmp_path):
    text = HEADER + EVENTS.replace("n = { hsct = 36, cyc = 39 }", "n = { hsct = 0, cyc = 39 }")
    rejects(write(tmp_path, text), entry="efs_54", field="n.hsct")


@pytest.mark.parametrize(
    ("replacement", "field"),
    [
        ('population = "mitt"', "population"),
        ('endpoint = "pfs"', "endpoint"),
    ],
)
def test_unknown_population_or_endpoint(tmp_path, replacement, field):
    text = HEADER + re.sub(rf'{field} = "[a-z]+"', replacement, EVENTS, count=1)
    rejects(write(tmp_path, text), entry="efs_54", field=field, match="unknown")


def test_unknown_arm(tmp_path):
    text = HEADER + EVENTS.replace("events = { hsct = 10, cyc = 20 }",
                                   "events = { hsct = 10, cyx = 20 }").replace(
        "n = { hsct = 36, cyc = 39 }", "n = { hsct = 36, cyx = 39 }")
    rejects(write(tmp_path, text), entry="efs_54", field="arm", match="unknown arm 'cyx'")


def test_duplicate_id(tmp_path):
    second = EVENTS.replace("time_months = 54", "time_months = 60")
    rejects(write(tmp_path, HEADER + EVENTS + second), entry="efs_54", field="id",
            match="duplicated")


def test_duplicate_entry_under_another_id(tmp_path):
    second = EVENTS.replace('id = "efs_54"', 'id = "efs_54_again"')
    rejects(write(tmp_path, HEADER + EVENTS + second), entry="efs_54_again", field="id",
            match="duplicates entry 'efs_54'")


def test_falling_cumulative_events(tmp_path):
    later = EVENTS.replace('id = "efs_54"', 'id = "efs_60"').replace(
        "time_months = 54", "time_months = 60").replace("hsct = 10", "hsct = 9")
    rejects(write(tmp_path, HEADER + EVENTS + later), entry="efs_60", field="events.hsct",
            match="fall")


def survival_block(entry_id: str, time: float, hsct: float, cyc: float, extra: str = "") -> str:
    return f"""
[[survival_estimates]]
id = "{entry_id}"
endpoint = "os"
population = "itt"
time_months = {time}
survival = {{ hsct = {hsct}, cyc = {cyc} }}
{extra}{SOURCE}
"""


def test_survival_given_in_percent_is_named(tmp_path):
    text = HEADER + survival_block("os_72", 72, 86, 0.51)
    err = rejects(write(tmp_path, text), entry="os_72", field="survival.hsct")
    assert "write 86% as 0.86" in str(err)


def test_rising_survival(tmp_path):
    text = HEADER + survival_block("os_54", 54, 0.80, 0.7) + survival_block("os_72", 72, 0.85,
                                                                            0.6)
    rejects(write(tmp_path, text), entry="os_72", field="survival.hsct", match="rises")


def test_ci_not_containing_the_estimate(tmp_path):
    extra = "lower = { hsct = 0.85, cyc = 0.6 }\nupper = { hsct = 0.95, cyc = 0.8 }\n"
    text = HEADER + survival_block("os_54", 54, 0.80, 0.7, extra)
    rejects(write(tmp_path, text), entry="os_54", field="lower.hsct",
            match="does not contain")


def test_ratio_ci_not_containing_the_estimate(tmp_path):
    text = HEADER + f"""
[[ratios]]
id = "hr"
endpoint = "efs"
population = "itt"
measure = "HR"
estimate = 0.5
lower = 0.6
upper = 0.9
{SOURCE}
"""
    rejects(write(tmp_path, text), entry="hr", field="lower", match="does not contain")


def visit_block(sd: float, n: int = 30) -> str:
    return f"""
[[visit_summaries]]
id = "haq_12"
endpoint = "haq_di"
population = "itt"
time_months = 12
statistic = "mean"
mean = {{ hsct = 1.1, cyc = 1.3 }}
sd = {{ hsct = {sd}, cyc = 0.7 }}
n = {{ hsct = {n}, cyc = 30 }}
{SOURCE}
"""


@pytest.mark.parametrize("sd", [0, -0.5])
def test_sd_not_positive(tmp_path, sd):
    rejects(write(tmp_path, HEADER + visit_block(sd)), entry="haq_12", field="sd.hsct",
            match="positive")


def test_visit_n_below_one(tmp_path):
    rejects(write(tmp_path, HEADER + visit_block(0.7, n=0)), entry="haq_12", field="n.hsct")


def test_window_of_wrong_shape(tmp_path):
    text = HEADER + f"""
[[ratios]]
id = "hr"
endpoint = "efs"
population = "itt"
measure = "HR"
estimate = 0.5
p_value = 0.04
window_months = 12
{SOURCE}
"""
    rejects(write(tmp_path, text), entry="hr", field="window_months", match="array")


@pytest.mark.parametrize(("window", "match"), [
    ("[-6, 36]", r"start must be at least 0 \(the start of follow-up\), got \[-6.0, 36.0\]"),
    ("[36, 0]", r"start must be below end, got \[36.0, 0.0\]"),
])
def test_window_start_outside_follow_up(tmp_path, window, match):
    text = HEADER + f"""
[[ratios]]
id = "hr"
endpoint = "efs"
population = "itt"
measure = "HR"
estimate = 0.5
p_value = 0.04
window_months = {window}
{SOURCE}
"""
    rejects(write(tmp_path, text), entry="hr", field="window_months", match=match)


# -- digitised curves from CSV files ----------------------------------------------------------
def curve_block(extra: str) -> str:
    return f"""
[[km_curves]]
id = "curve"
endpoint = "efs"
population = "itt"
arm = "hsct"
{extra}
{SOURCE}
"""


def test_curve_files_are_read_relative_to_the_trial_file(tmp_path):
    (tmp_path / "curves").mkdir()
    write(tmp_path, "time,survival\n0,1.0\n12,0.9\n24,0.8\n", "curves/efs_hsct.csv")
    write(tmp_path, "time,n_risk\n0,36\n12,30\n24,25\n", "curves/efs_hsct_risk.csv")
    extra = 'curve_file = "curves/efs_hsct.csv"\nrisk_file = "curves/efs_hsct_risk.csv"'
    (curve,) = read_trial_file(write(tmp_path, HEADER + curve_block(extra))).entries
    assert curve.times == (0.0, 12.0, 24.0)
    assert curve.survival == (1.0, 0.9, 0.8)
    assert curve.n_risk == (36, 30, 25)


def test_missing_curve_file(tmp_path):
    extra = 'curve_file = "nope.csv"\nrisk_times = [0]\nn_risk = [36]'
    rejects(write(tmp_path, HEADER + curve_block(extra)), entry="curve", field="curve_file",
            match="not found")


def test_curve_file_with_text_in_a_number_column(tmp_path):
    write(tmp_path, "time,survival\n0,1.0\n12,high\n", "c.csv")
    extra = 'curve_file = "c.csv"\nrisk_times = [0]\nn_risk = [36]'
    rejects(write(tmp_path, HEADER + curve_block(extra)), entry="curve", field="curve_file",
            match="line 3")


def test_curve_given_twice(tmp_path):
    write(tmp_path, "time,survival\n0,1.0\n", "c.csv")
    extra = 'curve_file = "c.csv"\ntimes = [0]\nrisk_times = [0]\nn_risk = [36]'
    rejects(write(tmp_path, HEADER + curve_block(extra)), entry="curve", field="times")


def test_curve_in_percent(tmp_path):
    extra = "times = [0, 12]\nsurvival = [100, 90]\nrisk_times = [0]\nn_risk = [36]"
    rejects(write(tmp_path, HEADER + curve_block(extra)), entry="curve", field="survival[0]",
            match="as 1")


@pytest.mark.parametrize(
    ("survival", "match"),
    [("[0.2, 0.2, 0.2]", "starts at survival 0.2 at time 0"),
     ("[1.0, 0.7, 0.9]", "rises from 0.7 to 0.9 at time 24")],
    ids=["starts_low", "rises"],
)
def test_a_curve_the_survival_model_cannot_use_is_refused_before_any_model(
        tmp_path, survival, match):
    """The curve rules of the survival model: refused by check_curves, naming the entry.

    ``load_trial`` reads the numbers (layer 2); ``check_curves`` (layer 3), which
    ``bayes-scot validate`` and ``reanalyse`` run before any model is built, refuses them.
    """
    from bayes_scot.stats.reconstruction import check_curves

    extra = f"times = [0, 12, 24]\nsurvival = {survival}\nrisk_times = [0, 12, 24]\n" \
            "n_risk = [36, 30, 25]"
    path = write(tmp_path, HEADER + curve_block(extra))
    trial = load_trial(path, population="all")
    with pytest.raises(EvidenceError, match=match) as info:
        check_curves(trial)
    assert info.value.file == str(path)
    assert info.value.entry == "curve"


def test_a_curve_is_reconstructed_once_however_often_it_is_checked(tmp_path, monkeypatch):
    """validate, reanalyse and the report each check a trial's curves: one reconstruction."""
    from bayes_scot.stats import reconstruction

    calls = []

    def counted(entry):
        calls.append(entry.id)
        return reconstruct_entry(entry)

    reconstruct_entry = reconstruction.reconstruct_entry
    monkeypatch.setattr(reconstruction, "reconstruct_entry", counted)
    reconstruction._reconstructed.cache_clear()
    extra = ("times = [0, 6, 12, 24]\nsurvival = [1.0, 0.93, 0.87, 0.79]\n"
             "risk_times = [0, 12, 24]\nn_risk = [36, 31, 27]")
    trial = load_trial(write(tmp_path, HEADER + curve_block(extra)), population="all")
    first = reconstruction.check_curves(trial)["curve"]
    assert reconstruction.curve_warnings(trial) == ()
    events = int(first.ipd["event"].sum())
    assert events > 0
    first.ipd["event"] = 0  # each call has its own frames: the kept one is unchanged
    assert int(reconstruction.check_curves(trial)["curve"].ipd["event"].sum()) == events
    assert calls == ["curve"]


# -- property-based: the numeric rules hold for any numbers -----------------------------------
@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hypothesis")


PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY_SETTINGS
@given(events=st.integers(-50, 80), n=st.integers(1, 36))
def test_property_landmark_counts(scratch, events, n):
    text = HEADER + EVENTS.replace("events = { hsct = 10", f"events = {{ hsct = {events}").replace(
        "n = { hsct = 36", f"n = {{ hsct = {n}")
    path = write(scratch, text)
    if 0 <= events <= n:
        (entry,) = read_trial_file(path).entries
        assert entry.events["hsct"] == events
    else:
        rejects(path, entry="efs_54", field="events.hsct")


@PROPERTY_SETTINGS
@given(
    s54=st.floats(0, 1, allow_nan=False),
    s72=st.floats(0, 1, allow_nan=False),
)
def test_property_survival_never_rises(scratch, s54, s72):
    text = HEADER + survival_block("os_54", 54, s54, 0.5) + survival_block("os_72", 72, s72, 0.5)
    path = write(scratch, text)
    # The evidence layer forgives rises below 1e-9: floating-point noise, not data.
    if s72 <= s54 + 1e-9:
        assert len(read_trial_file(path).entries) == 2
    else:
        rejects(path, entry="os_72", field="survival.hsct")


@PROPERTY_SETTINGS
@given(survival=st.floats(-5, 150, allow_nan=False))
def test_property_survival_is_a_proportion(scratch, survival):
    path = write(scratch, HEADER + survival_block("os_54", 54, survival, 0.5))
    if 0 <= survival <= 1:
        (entry,) = read_trial_file(path).entries
        assert entry.survival["hsct"] == survival
    else:
        rejects(path, entry="os_54", field="survival.hsct")


@PROPERTY_SETTINGS
@given(
    estimate=st.floats(0.01, 10),
    lower=st.floats(0.01, 10),
    width=st.floats(0, 10),
)
def test_property_interval_contains_estimate(scratch, estimate, lower, width):
    upper = lower + width
    text = HEADER + f"""
[[ratios]]
id = "hr"
endpoint = "efs"
population = "itt"
measure = "HR"
estimate = {estimate!r}
lower = {lower!r}
upper = {upper!r}
{SOURCE}
"""
    path = write(scratch, text)
    if lower <= estimate <= upper and lower < upper:
        (entry,) = read_trial_file(path).entries
        assert (entry.lower, entry.estimate, entry.upper) == (lower, estimate, upper)
    elif lower <= estimate <= upper:  # a zero-width interval gives no standard error
        rejects(path, entry="hr", field="lower", match="no width")
    else:
        rejects(path, entry="hr", field="lower", match="does not contain")


@PROPERTY_SETTINGS
@given(sd=st.floats(-10, 10, allow_nan=False), n=st.integers(-3, 30))
def test_property_sd_positive_and_n_at_least_one(scratch, sd, n):
    path = write(scratch, HEADER + visit_block(sd, n=n))
    if sd > 0 and n >= 1:
        (entry,) = read_trial_file(path).entries
        assert (entry.sd["hsct"], entry.n["hsct"]) == (sd, n)
    else:
        err = rejects(path, entry="haq_12")
        assert err.field in ("sd.hsct", "n.hsct")


def test_unexpected_failure_is_still_one_line(tmp_path, monkeypatch):
    # Whatever goes wrong inside the reader surfaces as an EvidenceError naming the file.
    from bayes_scot.data import loader

    def explode(self, raw):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(loader._TrialReader, "_parse", explode)
    rejects(write(tmp_path, HEADER + EVENTS), match="RuntimeError: disk on fire")


RATIO = f"""
[[ratios]]
id = "efs_hr"
endpoint = "efs"
population = "itt"
measure = "HR"
estimate = 0.55
lower = 0.30
upper = 0.99
{SOURCE}
"""


@pytest.mark.parametrize(
    ("old", "new", "field", "match"),
    [
        ("lower = 0.30\nupper = 0.99", "lower = 0.55\nupper = 0.55", "lower", "no width"),
        ("lower = 0.30\nupper = 0.99", "p_value = 0.0", "p_value", "gives no standard error"),
        ("lower = 0.30\nupper = 0.99", "p_value = 1.0", "p_value", "gives no standard error"),
        ("estimate = 0.55\nlower = 0.30\nupper = 0.99", "estimate = 1.0\np_value = 0.04",
         "p_value", "at the null"),
    ],
)
def test_a_ratio_must_give_a_standard_error(tmp_path, old, new, field, match):
    # The models take a ratio's SE from its limits, or from its p-value and estimate.
    text = HEADER + EVENTS + RATIO.replace(old, new)
    rejects(write(tmp_path, text), entry="efs_hr", field=field, match=match)


def test_numbers_at_risk_cannot_exceed_the_population(tmp_path):
    estimate = f"""
[[survival_estimates]]
id = "os_60"
endpoint = "os"
population = "itt"
time_months = 60
survival = {{ hsct = 0.85, cyc = 0.70 }}
n_risk = {{ hsct = 300, cyc = 25 }}
{SOURCE}
"""
    rejects(write(tmp_path, HEADER + EVENTS + estimate), entry="os_60", field="n_risk.hsct",
            match="exceeds the itt population's 36")


def test_a_huge_count_is_refused_for_its_size_not_its_form(tmp_path):
    text = HEADER + EVENTS.replace("events = { hsct = 10", "events = { hsct = 9223372036854775807")
    rejects(write(tmp_path, text), entry="efs_54", field="events.hsct", match="exceed")


def test_a_pairwise_range_must_run_from_minimum_to_maximum(tmp_path):
    pairwise = f"""
[[pairwise]]
id = "grcs_48"
endpoint = "grcs"
population = "itt"
time_months = 48
n = {{ hsct = 36, cyc = 39 }}
median = {{ hsct = 12.0, cyc = -9.0 }}
minimum = {{ hsct = 60, cyc = -60 }}
maximum = {{ hsct = 50, cyc = 50 }}
{SOURCE}
"""
    rejects(write(tmp_path, HEADER + EVENTS + pairwise), entry="grcs_48",
            field="minimum.hsct", match="minimum 60 exceeds maximum 50")


def test_an_mcid_lies_within_its_published_range(tmp_path):
    mcid = f"""
[[mcids]]
id = "haq_mcid"
endpoint = "haq_di"
population = "itt"
value = 0.2
low = 0.25
high = 0.30
{SOURCE}
"""
    rejects(write(tmp_path, HEADER + EVENTS + mcid), entry="haq_mcid", field="value",
            match="outside its published range 0.25-0.3")


def test_an_entry_kind_must_fit_its_endpoint_kind(tmp_path):
    # Landmark counts or a ratio of a continuous endpoint would be read by no model
    # (EFS is time to event, HAQ-DI continuous): both are refused.
    text = HEADER + EVENTS.replace('endpoint = "efs"', 'endpoint = "haq_di"')
    rejects(write(tmp_path, text), entry="efs_54", field="endpoint",
            match="landmark_events entry cannot describe 'haq_di', a continuous endpoint")
    ratio = RATIO.replace('endpoint = "efs"', 'endpoint = "haq_di"')
    rejects(write(tmp_path, HEADER + EVENTS + ratio), entry="efs_hr", field="endpoint",
            match="describes time_to_event or binary endpoints")
