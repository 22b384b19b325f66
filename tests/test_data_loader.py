"""Loading trials by name or path, population views, tidy frames and provenance tables."""

from __future__ import annotations

import hashlib
import shutil

import pandas as pd
import pytest

from bayes_scot.data import (
    EXTERNAL_FILE,
    PROVENANCE_COLUMNS,
    TEMPLATE_FILE,
    TRIALS_DIR,
    list_trials,
    load_external,
    load_trial,
    provenance_table,
    read_trial_file,
)
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import ENTRY_KINDS, FRAME_COLUMNS


def test_list_trials():
    assert list_trials() == ("scot", "astis", "assist")


@pytest.mark.parametrize("name", ["scot", "SCOT", " astis ", "assist"])
def test_load_by_name_defaults_to_itt(name):
    trial = load_trial(name)
    assert trial.population == "itt"
    assert trial.name == name.strip().lower()
    assert {e.population for e in trial.entries} == {"itt"}


def test_load_by_path_and_pathlike():
    path = TRIALS_DIR / "scot.toml"
    assert load_trial(path).data_hash == load_trial(str(path)).data_hash == load_trial(
        "scot").data_hash


def test_population_views():
    everything = load_trial("scot", population="all")
    pp = load_trial("scot", population="pp")
    assert everything.population == "all"
    assert len(everything.entries) > len(pp.entries) > 0
    assert pp.n("hsct") == 33
    assert everything.with_population("pp").entries == pp.entries
    assert {e.population for e in everything.entries} == set(everything.populations)


@pytest.mark.parametrize("other", ["pp", "all"])
def test_a_one_population_view_refuses_to_switch(other):
    """An ITT view holds no per-protocol entries: switching would give an empty or
    mislabelled trial, so it names the populations and says how to load them."""
    itt = load_trial("scot")
    assert itt.with_population("itt").entries == itt.entries
    with pytest.raises(EvidenceError, match="loaded for population 'itt'") as info:
        itt.with_population(other)
    message = str(info.value)
    assert info.value.field == "population"
    assert info.value.file.endswith("scot.toml")
    assert ", ".join(itt.populations) in message
    assert "population='all'" in message
    assert "\n" not in message
    # loaded with every population, the same switch works
    assert load_trial("scot", population="all").with_population(other).population == other


def test_unknown_population_is_an_evidence_error():
    with pytest.raises(EvidenceError, match="unknown population 'mitt'") as info:
        load_trial("scot", population="mitt")
    assert info.value.field == "population"
    assert info.value.file.endswith("scot.toml")


@pytest.mark.parametrize("bad", ["scott", "nope.toml", 3, "bad\x00name.toml", "x" * 5000])
def test_unknown_trial_name_or_type(bad):
    with pytest.raises(EvidenceError):
        load_trial(bad)


def test_content_hash_is_sha256_of_the_bytes():
    trial = load_trial("astis")
    expected = hashlib.sha256((TRIALS_DIR / "astis.toml").read_bytes()).hexdigest()
    assert trial.content_hash == expected
    assert trial.path == str(TRIALS_DIR / "astis.toml")


def test_to_frame_columns_and_values():
    frame = load_trial("scot").to_frame()
    assert tuple(frame.columns) == FRAME_COLUMNS
    for column in ("kind", "endpoint", "population", "arm", "time_months", "statistic",
                   "value", "source", "tag"):
        assert column in frame.columns
    row = frame[(frame.id == "itt_efs_events_54") & (frame.arm == "cyc")
                & (frame.statistic == "events")]
    assert row.value.tolist() == [20.0]
    assert row.source.tolist() == ["Sullivan KM et al. N Engl J Med 2018;378:35-47, Table 2"]
    p_value = frame[(frame.id == "itt_efs_events_54") & (frame.statistic == "p_value")]
    assert p_value.arm.isna().all()
    assert p_value.value.tolist() == [0.06]


def test_evidence_filters():
    scot = load_trial("scot", population="all")
    assert [e.id for e in scot.evidence("landmark_events", endpoint="os", population="pp")] == [
        "pp_os_events_48", "pp_os_events_54"]
    assert all("pooled" in e.arms for e in scot.evidence(arm="pooled"))
    assert scot.endpoint("haq_di").better == "lower"


def test_file_declared_endpoints():
    astis = load_trial("astis")
    assert astis.endpoint("efs_event_death").kind == "binary"
    assert load_trial("assist").endpoint("progression").better == "lower"


def test_html_repr_lists_every_entry():
    scot = load_trial("scot", population="all")
    html = scot._repr_html_()
    assert all(e.id in html for e in scot.entries)
    assert "interim_cohort 61" in repr(scot)


def test_shipped_trials_hold_no_simulated_numbers():
    for name in list_trials():
        text = (TRIALS_DIR / f"{name}.toml").read_text()
        assert "simulated" not in text.lower()


def test_template_shows_every_kind_with_simulated_numbers():
    template = read_trial_file(TEMPLATE_FILE)
    assert {e.kind for e in template.entries} == set(ENTRY_KINDS)
    assert all("SIMULATED" in e.source.note for e in template.entries)
    assert "SIMULATED" in template.title


def test_external_evidence_api():
    ext = load_external()
    assert ext.arm_names == ("hsct", "control")
    assert ext is load_external()  # read once per process
    kinds = {e.kind for e in ext.entries}
    assert kinds == {"effect_estimates", "population_spread", "mcids"}
    assert tuple(ext.to_frame().columns) == FRAME_COLUMNS
    assert [e.id for e in ext.evidence("effect_estimates", endpoint="haq_di")] == [
        "nash_haq_di_change", "maltez_haq_di_12", "maltez_haq_di_84"]


def test_default_tag_is_refused_outside_the_shipped_external_file(tmp_path):
    copy = tmp_path / "external.toml"
    shutil.copy(EXTERNAL_FILE, copy)
    with pytest.raises(EvidenceError, match="'default' tag") as info:
        load_trial(copy, population="all")
    assert info.value.entry == "mcid_sf36_pcs"
    assert info.value.field == "source.tag"
    assert load_trial(EXTERNAL_FILE, population="all").name == "external"


def test_provenance_table_per_entry():
    scot = load_trial("scot", population="all")
    table = provenance_table(scot)
    assert isinstance(table, pd.DataFrame)
    assert tuple(table.columns) == PROVENANCE_COLUMNS["entry"]
    assert len(table) == len(scot.entries)
    row = table.set_index("id").loc["pp_fvc_slope"]
    assert row.citation == "Keyes-Elstein L et al. Arthritis Care Res 2023;75:307-316"
    assert row.reports == "fvc slope per year: +0.77 vs -3.7"
    assert set(table.tag) == {"reported", "derived"}


def test_provenance_table_per_value():
    scot = load_trial("scot")
    table = provenance_table(scot, per="value")
    assert tuple(table.columns) == PROVENANCE_COLUMNS["value"]
    assert len(table) == len(scot.to_frame())
    assert (table.citation + ", " + table.locator).tolist() == scot.to_frame().source.tolist()
    assert set(provenance_table(load_external()).tag) == {"reported", "default"}
    with pytest.raises(EvidenceError, match="per must be"):
        provenance_table(scot, per="row")


def test_docstring_examples():
    import doctest

    import bayes_scot.data
    from bayes_scot.data import external, loader, provenance

    for module in (bayes_scot.data, loader, external, provenance):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0, module.__name__
        assert result.failed == 0, module.__name__


def test_short_label_is_optional_and_names_the_arm_in_results(tmp_path):
    text = TEMPLATE_FILE.read_text(encoding="utf-8")
    assert load_trial(TEMPLATE_FILE).arm_labels == ("HSCT", "CYC")
    bare = tmp_path / "bare.toml"
    bare.write_text(text.replace('short_label = "HSCT"\n', "").replace(
        'short_label = "CYC"\n', ""), encoding="utf-8")
    trial = load_trial(bare)
    assert trial.arm_labels == ("hsct", "cyc")
    assert trial.arm_display("pooled") == "pooled"
    empty = tmp_path / "empty.toml"
    empty.write_text(text.replace('short_label = "HSCT"', 'short_label = ""'),
                     encoding="utf-8")
    with pytest.raises(EvidenceError, match="short_label"):
        load_trial(empty)
    for bad in ("x" * 41, "two\\nlines"):
        long = tmp_path / "long.toml"
        long.write_text(text.replace('short_label = "HSCT"', f'short_label = "{bad}"'),
                        encoding="utf-8")
        with pytest.raises(EvidenceError,
                           match=r"arms\.hsct\.short_label.*one line of at most 40"):
            load_trial(long)


def test_times_in_days_are_bounded_in_months_after_conversion(tmp_path):
    """A time bound holds on months: 2,000 days (66 months) loads; 40,000 days does not.

    The bound (1,200 months) was once checked on the file's own numbers, which refused
    any trial written in days that followed patients beyond 1,200 days.
    """
    text = TEMPLATE_FILE.read_text(encoding="utf-8")
    days = text.replace('name = "example"', 'name = "example"\ntime_unit = "days"', 1)
    assert days != text
    ratio = ('\n[[ratios]]\nid = "late_hr"\nendpoint = "os"\npopulation = "itt"\n'
             'measure = "HR"\nestimate = 0.8\nlower = 0.6\nupper = 1.1\n'
             'window_months = [0, {end}]\n'
             'source = { ref = "main", locator = "SIMULATED", tag = "reported" }\n')
    path = tmp_path / "days.toml"
    path.write_text(days + ratio.replace("{end}", "2000"), encoding="utf-8")
    late = next(e for e in load_trial(path).entries if e.id == "late_hr")
    assert late.window_months[1] == pytest.approx(2000 * 12 / 365.25)
    path.write_text(days + ratio.replace("{end}", "40000"), encoding="utf-8")
    with pytest.raises(EvidenceError, match=r"late_hr.*window_months\[1\].*1314.*beyond "
                       r"1200 months.*time_unit = 'days'"):
        load_trial(path)


def test_event_free_survival_is_defined_by_each_trial_file():
    """The built-in EFS names no events; SCOT's and ASTIS's files say what theirs are."""
    from bayes_scot.evidence.endpoints import ENDPOINTS

    assert ENDPOINTS["efs"].label == "Event-free survival"
    assert load_trial("scot").endpoint("efs").label == (
        "Event-free survival (death or respiratory, renal or cardiac failure)")
    assert load_trial("astis").endpoint("efs").label == (
        "Event-free survival (death or persistent major organ failure)")
