"""The hostile-input corpus: trial files, specifications and command lines that must fail.

Every case is something a user (or a script) can hand the command line: a trial file with
one thing wrong, a specification with one thing wrong, or a command line with a bad
option. ``tests/test_cli_hostile.py`` runs each one and checks that it is refused with
exit status 2, one line on standard error, no traceback and an untouched output
location, before any model is built.

Trial files are the documented template (``bayes_scot/data/template.toml``, simulated
numbers) with one change; specifications are a small valid specification with one
change. ``{dir}`` in a case stands for the folder the test runs in.
"""

from __future__ import annotations

from dataclasses import dataclass

from bayes_scot.data import TEMPLATE_FILE

TEMPLATE = TEMPLATE_FILE.read_text(encoding="utf-8")

#: A digitised curve CSV and a risk table that reconstruct cleanly (simulated).
CURVE_CSV = "time,survival\n0,1.0\n6,0.9\n12,0.85\n24,0.82\n36,0.8\n48,0.78\n"
RISK_CSV = "time,n_risk\n0,40\n12,34\n24,32\n36,31\n48,30\n"

#: Depth of the nested tables and arrays (Python's recursion limit is 1000).
DEEP = 3000


@dataclass(frozen=True)
class Case:
    """One hostile input: an id, its group, and the text (or the special path) to use."""

    id: str
    group: str
    text: str | None = None
    special: str | None = None


def _replace(old: str, new: str) -> str:
    assert old in TEMPLATE, f"the template lost {old!r}"
    return TEMPLATE.replace(old, new, 1)


def _entry(case_id: str, old: str, new: str, group: str = "entry") -> Case:
    return Case(case_id, group, _replace(old, new))


_CURVE = """times = [0, 6, 12, 24, 36, 48]
survival = [1.0, 0.90, 0.85, 0.82, 0.80, 0.78]
risk_times = [0, 12, 24, 36, 48]
n_risk = [40, 34, 32, 31, 30]"""

_CURVE_FILES = """curve_file = "{curve}"
risk_file = "{risk}\""""


def _curve(case_id: str, old: str, new: str) -> Case:
    return Case(case_id, "digitised curve", _replace(_CURVE, _CURVE.replace(old, new, 1)))


def _curve_files(case_id: str, curve: str, risk: str = "risk.csv") -> Case:
    return Case(
        case_id, "curve file", _replace(_CURVE, _CURVE_FILES.format(curve=curve, risk=risk))
    )


TRIAL_FILES: list[Case] = [
    # -- the file itself ------------------------------------------------------------------
    Case("empty", "file", ""),
    Case("whitespace", "file", " \n\t\n"),
    Case("comments_only", "file", "# nothing here\n"),
    Case("nul_bytes", "file", "[trial]\x00name = 'x'\n"),
    Case("png_header", "file", "\x89PNG\r\n\x1a\n"),
    Case("invalid_utf8", "file", "[trial]\nname = '\udcff'\n"),
    Case("invalid_toml", "file", "[trial\nname = 'x'\n"),
    Case(
        "duplicate_key",
        "file",
        TEMPLATE.replace('name = "example"', 'name = "example"\nname = "again"', 1),
    ),
    Case("deep_inline_tables", "file", "x = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n"),
    Case("deep_arrays", "file", "x = " + "[" * DEEP + "]" * DEEP + "\n"),
    Case("top_level_value", "file", "trial = 1\narms = 2\npopulations = 3\n"),
    Case("only_trial", "file", '[trial]\nname = "x"\ntitle = "x"\ncitation = "x"\n'),
    Case("oversized", "file", special="oversized"),
    Case("fifo", "file", special="fifo"),
    Case("dev_zero", "file", special="/dev/zero"),
    Case("dev_urandom", "file", special="/dev/urandom"),
    Case("dev_null", "file", special="/dev/null"),
    Case("folder", "file", special="folder"),
    Case("missing", "file", special="missing"),
    Case("link_to_dev_zero", "file", special="link:/dev/zero"),
    Case("name_with_newline", "file", special="name:bad\nvalid.toml"),
    Case("name_with_ansi", "file", special="name:\x1b[31mred\x1b[0m.toml"),
    Case("name_with_nul", "file", special="nul"),
    # -- fixed tables ---------------------------------------------------------------------
    Case("no_trial_table", "tables", _replace("[trial]\n", "[trail]\n")),
    Case("trial_name_number", "tables", _replace('name = "example"', "name = 7")),
    Case(
        "trial_title_empty",
        "tables",
        _replace('title = "SIMULATED example trial (template; not real data)"', 'title = ""'),
    ),
    Case("trial_unknown_key", "tables", _replace('registration = "none"', 'registraton = "none"')),
    Case("arm_role_invalid", "tables", _replace('role = "control"', 'role = "placebo"')),
    Case("two_experimental_arms", "tables", _replace('role = "control"', 'role = "experimental"')),
    Case("arm_named_pooled", "tables", _replace("[arms.cyc]", "[arms.pooled]")),
    Case(
        "arms_not_a_table",
        "tables",
        _replace(
            '[arms.hsct]\nlabel = "Autologous HSCT (simulated)"',
            'arms = [1]\n[xarms.hsct]\nlabel = "x"',
        ),
    ),
    Case("population_named_all", "tables", _replace("[populations.pp]", "[populations.all]")),
    Case(
        "population_n_zero",
        "tables",
        _replace(
            "n = { hsct = 40, cyc = 40 }\ndefinition", "n = { hsct = 0, cyc = 40 }\ndefinition"
        ),
    ),
    Case(
        "population_n_fraction",
        "tables",
        _replace(
            "n = { hsct = 40, cyc = 40 }\ndefinition", "n = { hsct = 40.5, cyc = 40 }\ndefinition"
        ),
    ),
    Case(
        "population_n_nan",
        "tables",
        _replace(
            "n = { hsct = 40, cyc = 40 }\ndefinition", "n = { hsct = nan, cyc = 40 }\ndefinition"
        ),
    ),
    Case(
        "population_n_unknown_arm",
        "tables",
        _replace(
            "n = { hsct = 40, cyc = 40 }\ndefinition", "n = { hsct = 40, rtx = 40 }\ndefinition"
        ),
    ),
    Case(
        "population_n_array",
        "tables",
        _replace("n = { hsct = 40, cyc = 40 }\ndefinition", "n = [40, 40]\ndefinition"),
    ),
    Case(
        "source_without_citation",
        "tables",
        _replace('citation = "SIMULATED example main publication (not real)"', 'cite = "x"'),
    ),
    Case(
        "endpoint_redeclared_binary",
        "tables",
        _replace(
            "[endpoints.six_minute_walk]",
            '[endpoints.efs]\nlabel = "EFS"\nkind = "binary"\n'
            'better = "higher"\n\n[endpoints.six_minute_walk]',
        ),
    ),
    Case(
        "endpoint_redeclared_direction",
        "tables",
        _replace(
            "[endpoints.six_minute_walk]",
            '[endpoints.os]\nlabel = "OS"\nkind = "time_to_event"\n'
            'better = "lower"\n\n[endpoints.six_minute_walk]',
        ),
    ),
    Case("endpoint_kind_unknown", "tables", _replace('kind = "continuous"', 'kind = "ordinal"')),
    Case(
        "endpoint_better_invalid",
        "tables",
        _replace('better = "higher"\nunit = "m"', 'better = "up"\nunit = "m"'),
    ),
    Case("unknown_top_level_table", "tables", TEMPLATE + "\n[extras]\nx = 1\n"),
    Case("entries_as_table", "tables", TEMPLATE + "\n[proportion]\nx = 1\n"),
    Case(
        "entries_not_array_of_tables",
        "tables",
        TEMPLATE.replace("[[proportions]]", "proportions = [1, 2]\n[[xproportions]]", 1),
    ),
    # -- entries --------------------------------------------------------------------------
    _entry(
        "events_exceed_n", "events = { hsct = 9, cyc = 17 }", "events = { hsct = 49, cyc = 17 }"
    ),
    _entry(
        "events_negative", "events = { hsct = 9, cyc = 17 }", "events = { hsct = -1, cyc = 17 }"
    ),
    _entry("events_nan", "events = { hsct = 9, cyc = 17 }", "events = { hsct = nan, cyc = 17 }"),
    _entry("events_inf", "events = { hsct = 9, cyc = 17 }", "events = { hsct = inf, cyc = 17 }"),
    _entry(
        "events_string", "events = { hsct = 9, cyc = 17 }", 'events = { hsct = "9", cyc = 17 }'
    ),
    _entry(
        "events_fraction", "events = { hsct = 9, cyc = 17 }", "events = { hsct = 9.5, cyc = 17 }"
    ),
    _entry("time_absurd", "time_months = 48\nevents", "time_months = 1e308\nevents"),
    _entry("time_negative", "time_months = 48\nevents", "time_months = -1\nevents"),
    _entry("time_nan", "time_months = 48\nevents", "time_months = nan\nevents"),
    _entry("time_string", "time_months = 48\nevents", 'time_months = "48"\nevents'),
    _entry("p_value_above_one", "p_value = 0.04", "p_value = 1.5"),
    _entry(
        "survival_just_above_one",
        "survival = { hsct = 0.85, cyc = 0.70 }",
        "survival = { hsct = 1.0001, cyc = 0.70 }",
    ),
    _entry(
        "survival_percent",
        "survival = { hsct = 0.85, cyc = 0.70 }",
        "survival = { hsct = 85, cyc = 70 }",
    ),
    _entry(
        "survival_nan",
        "survival = { hsct = 0.85, cyc = 0.70 }",
        "survival = { hsct = nan, cyc = 0.70 }",
    ),
    _entry(
        "survival_ci_reversed",
        "lower = { hsct = 0.74, cyc = 0.56 }",
        "lower = { hsct = 0.97, cyc = 0.56 }",
    ),
    _entry(
        "survival_arms_differ",
        "n_risk = { hsct = 30, cyc = 25 }",
        "n_risk = { hsct = 30, rtx = 25 }",
    ),
    _entry("ratio_negative", "estimate = 0.55", "estimate = -0.55"),
    _entry("ratio_outside_ci", "estimate = 0.55", "estimate = 1.55"),
    _entry("ratio_measure_unknown", 'measure = "HR"', 'measure = "XR"'),
    _entry("ratio_without_ci_or_p", "lower = 0.30\nupper = 0.99\n", ""),
    _entry("ratio_window_reversed", "window_months = [0, 72]", "window_months = [72, 0]"),
    _entry("ratio_window_absurd", "window_months = [0, 72]", "window_months = [0, 1e308]"),
    _entry("ratio_window_three", "window_months = [0, 72]", "window_months = [0, 12, 72]"),
    _entry("ratio_estimand_unknown", 'estimand = "cumulative"', 'estimand = "marginal"'),
    _entry("id_with_newline", 'id = "sim_efs_hr"', 'id = "sim_efs_hr\\nvalid"\nlevel = 2'),
    _entry("id_with_ansi", 'id = "sim_efs_hr"', 'id = "\\u001b[2J\\u001b[31mhr"\nlevel = 2'),
    _entry("id_duplicated", 'id = "sim_efs_hr"', 'id = "sim_efs_events_48"'),
    _entry("unknown_population", 'population = "itt"\nmeasure', 'population = "mitt"\nmeasure'),
    _entry(
        "unknown_endpoint",
        'endpoint = "efs"\npopulation = "itt"\nmeasure',
        'endpoint = "pfs"\npopulation = "itt"\nmeasure',
    ),
    _entry(
        "unknown_source_ref",
        'source = { ref = "main", locator = "Results"',
        'source = { ref = "mian", locator = "Results"',
    ),
    _entry(
        "source_tag_default",
        'locator = "Results", tag = "reported"',
        'locator = "Results", tag = "default"',
    ),
    _entry(
        "source_tag_invalid",
        'locator = "Results", tag = "reported"',
        'locator = "Results", tag = "guessed"',
    ),
    _entry(
        "source_not_a_table",
        'source = { ref = "main", locator = "Results", tag = "reported", note = "SIMULATED." }',
        'source = "main"',
    ),
    _entry("entry_unknown_key", 'estimand = "cumulative"', 'estimand = "cumulative"\nestimnd = 1'),
    _entry("entry_missing_field", 'measure = "HR"\n', ""),
    _entry(
        "visit_sd_negative",
        "sd = { hsct = 0.72, cyc = 0.70 }",
        "sd = { hsct = -0.72, cyc = 0.70 }",
    ),
    _entry("visit_statistic_unknown", 'statistic = "change"', 'statistic = "median"'),
    _entry(
        "visit_n_exceeds_population",
        "n = { hsct = 37, cyc = 36 }\np_value = 0.20",
        "n = { hsct = 97, cyc = 36 }\np_value = 0.20",
    ),
    _entry("visit_se_zero", "se = { pooled = 12 }", "se = { pooled = 0 }"),
    _entry("slope_se_zero", "se = { hsct = 0.9, cyc = 0.9 }", "se = { hsct = 0, cyc = 0.9 }"),
    _entry("slope_window_reversed", "window_months = [0, 48]", "window_months = [48, 0]"),
    _entry(
        "pairwise_percent_above_100",
        "percent_favourable = { hsct = 64.0, cyc = 36.0 }",
        "percent_favourable = { hsct = 164.0, cyc = 36.0 }",
    ),
    _entry(
        "proportion_count_exceeds_n",
        "count = { hsct = 0, cyc = 2 }",
        "count = { hsct = 0, cyc = 99 }",
    ),
    _entry("effect_estimate_nan", "estimate = 6.0", "estimate = nan"),
    _entry("spread_sd_zero", "sd = 0.7\n", "sd = 0.0\n"),
    _entry("mcid_negative", "value = 0.2", "value = -0.2"),
    _entry("mcid_direction_invalid", 'direction = "improvement"', 'direction = "sideways"'),
    _entry("entry_as_array", "[[mcids]]\nid", "mcids = [[1]]\n[[xmcids]]\nid"),
    # -- digitised curves, as the survival model reads them --------------------------------
    _curve(
        "curve_rises",
        "survival = [1.0, 0.90, 0.85, 0.82, 0.80, 0.78]",
        "survival = [1.0, 0.5, 0.9, 0.95, 0.80, 0.78]",
    ),
    _curve(
        "risk_table_not_at_zero",
        "risk_times = [0, 12, 24, 36, 48]",
        "risk_times = [1, 12, 24, 36, 48]",
    ),
    _curve(
        "risk_table_increases", "n_risk = [40, 34, 32, 31, 30]", "n_risk = [40, 34, 36, 31, 30]"
    ),
    _curve("risk_fraction", "n_risk = [40, 34, 32, 31, 30]", "n_risk = [40, 34.5, 32, 31, 30]"),
    _curve("curve_lengths_differ", "times = [0, 6, 12, 24, 36, 48]", "times = [0, 6, 12, 24, 36]"),
    _curve(
        "curve_time_absurd", "times = [0, 6, 12, 24, 36, 48]", "times = [0, 6, 12, 24, 36, 1e308]"
    ),
    _curve(
        "curve_percent",
        "survival = [1.0, 0.90, 0.85, 0.82, 0.80, 0.78]",
        "survival = [100, 90, 85, 82, 80, 78]",
    ),
    _curve("curve_empty", "times = [0, 6, 12, 24, 36, 48]", "times = []"),
    _curve("risk_contradicts_curve", "n_risk = [40, 34, 32, 31, 30]", "n_risk = [40, 4, 3, 2, 1]"),
    _curve_files("curve_file_missing", "nope.csv"),
    _curve_files("curve_file_folder", "."),
    _curve_files("curve_file_fifo", "fifo.csv"),
    _curve_files("curve_file_dev_zero", "/dev/zero"),
    _curve_files("curve_file_extra_column", "extra.csv"),
    _curve_files("curve_file_text", "text.csv"),
    _curve_files("risk_file_not_at_zero", "curve.csv", "late.csv"),
    _curve_files("curve_file_and_inline", 'curve.csv"\ntimes = [0, 1]\n#'),
]


#: A small valid specification: SCOT, survival only, three priors.
SPEC = """\
[analysis]
name = "hostile_base"
title = "SCOT, survival only"
seed = 1

[[trials]]
name = "scot"
population = "itt"

[sampler]
draws = 500
chains = 2

[priors]
grid = ["reference", "skeptical_moderate", "optimistic_moderate"]

[joint]
estimands = ["efs:survival_difference_54", "os:survival_difference_54"]

[mcids]
"efs:survival_difference_*" = { value = 0.1, source = "simulated threshold" }

[survival]
endpoints = ["efs", "os"]
estimands = ["survival_difference_*", "hazard_ratio_common"]

[survival.options]
population = "itt"
hazard_ratio_margin = 0.75
"""


def _spec(case_id: str, old: str, new: str, group: str = "values") -> Case:
    assert old in SPEC, f"the base specification lost {old!r}"
    return Case(case_id, group, SPEC.replace(old, new, 1))


def _trial_for_spec(case_id: str, trial_case: str) -> Case:
    """A valid specification whose trial file (written beside it) is hostile."""
    return Case(
        case_id, "trial file", SPEC.replace('name = "scot"', f'path = "{trial_case}.toml"', 1)
    )


SPECS: list[Case] = [
    # -- the file ---------------------------------------------------------------------------
    Case("spec_empty", "file", ""),
    Case("spec_comments_only", "file", "# nothing\n"),
    Case("spec_binary", "file", "\x00\x01\x02"),
    Case("spec_invalid_utf8", "file", "[analysis]\nname = '\udcff'\n"),
    Case("spec_invalid_toml", "file", "[analysis\n"),
    Case("spec_deep_inline_tables", "file", "x = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n"),
    Case("spec_deep_arrays", "file", "x = " + "[" * DEEP + "]" * DEEP + "\n"),
    Case(
        "spec_deep_tables_in_analysis",
        "file",
        SPEC.replace("seed = 1", "seed = " + "{a = " * DEEP + "1" + "}" * DEEP, 1),
    ),
    Case("spec_oversized", "file", special="oversized"),
    Case("spec_fifo", "file", special="fifo"),
    Case("spec_dev_zero", "file", special="/dev/zero"),
    Case("spec_folder", "file", special="folder"),
    Case("spec_missing", "file", special="missing"),
    Case("spec_unknown_name", "file", special="name:no_such_spec"),
    # -- structure --------------------------------------------------------------------------
    _spec("unknown_top_level_key", "[sampler]", "[samplr]", "structure"),
    _spec("no_analysis_table", "[analysis]", "[analyses]", "structure"),
    _spec("analysis_name_missing", 'name = "hostile_base"\n', "", "structure"),
    _spec("analysis_name_number", 'name = "hostile_base"', "name = 1", "structure"),
    _spec("analysis_title_array", 'title = "SCOT, survival only"', "title = []", "structure"),
    _spec(
        "analysis_description_table", "seed = 1", "seed = 1\ndescription = { a = 1 }", "structure"
    ),
    _spec("no_trials", '[[trials]]\nname = "scot"\npopulation = "itt"\n', "", "structure"),
    _spec("trials_not_array", '[[trials]]\nname = "scot"', '[trials]\nname = "scot"', "structure"),
    _spec("trial_unknown_name", 'name = "scot"', 'name = "scotch"', "structure"),
    _spec("trial_path_missing", 'name = "scot"', 'path = "nowhere.toml"', "structure"),
    _spec("trial_path_folder", 'name = "scot"', 'path = "."', "structure"),
    _spec("trial_path_fifo", 'name = "scot"', 'path = "fifo.toml"', "structure"),
    _spec("trial_path_dev_zero", 'name = "scot"', 'path = "/dev/zero"', "structure"),
    _spec(
        "trial_population_unknown",
        'population = "itt"\n\n[sampler]',
        'population = "mitt"\n\n[sampler]',
        "structure",
    ),
    _spec(
        "trial_twice",
        '[[trials]]\nname = "scot"',
        '[[trials]]\nname = "scot"\n[[trials]]\nname = "scot"',
        "structure",
    ),
    _spec("no_family", "[survival]\n", "[survivals]\n", "structure"),
    _spec(
        "family_unknown_key",
        'endpoints = ["efs", "os"]',
        'endpoints = ["efs", "os"]\nendpoint = "efs"',
        "structure",
    ),
    _spec(
        "family_endpoints_not_list", 'endpoints = ["efs", "os"]', 'endpoints = "efs"', "structure"
    ),
    _spec(
        "options_unknown", "hazard_ratio_margin = 0.75", "hazard_ratio_margn = 0.75", "structure"
    ),
    _spec(
        "options_wrong_type",
        "hazard_ratio_margin = 0.75",
        'hazard_ratio_margin = "0.75"',
        "structure",
    ),
    _spec("options_not_table", "[survival.options]", "[survival.optionz]", "structure"),
    # -- values -----------------------------------------------------------------------------
    _spec("seed_huge", "seed = 1", "seed = 1208925819614629174706176"),
    _spec("seed_2_32", "seed = 1", "seed = 4294967296"),
    _spec("seed_negative", "seed = 1", "seed = -1"),
    _spec("seed_fraction", "seed = 1", "seed = 1.5"),
    _spec("seed_string", "seed = 1", 'seed = "1"'),
    _spec("seed_boolean", "seed = 1", "seed = true"),
    _spec("chains_million", "chains = 2", "chains = 1000000"),
    _spec("chains_zero", "chains = 2", "chains = 0"),
    _spec("draws_trillion", "draws = 500", "draws = 1000000000000"),
    _spec("draws_too_many_in_total", "draws = 500\nchains = 2", "draws = 90000\nchains = 64"),
    _spec("tune_huge", "draws = 500", "draws = 500\ntune = 10000000"),
    _spec("target_accept_above_one", "chains = 2", "chains = 2\ntarget_accept = 1.5"),
    _spec("target_accept_nan", "chains = 2", "chains = 2\ntarget_accept = nan"),
    _spec("backend_unknown", "chains = 2", 'chains = 2\nbackend = "stan"'),
    _spec("treedepth_huge", "chains = 2", "chains = 2\nmax_treedepth = 50"),
    _spec(
        "family_sampler_chains",
        "[survival.options]",
        "[survival.sampler]\nchains = 100000\n\n[survival.options]",
    ),
    _spec(
        "grid_empty",
        'grid = ["reference", "skeptical_moderate", "optimistic_moderate"]',
        "grid = []",
    ),
    _spec(
        "grid_duplicate",
        'grid = ["reference", "skeptical_moderate", "optimistic_moderate"]',
        'grid = ["reference", "reference"]',
    ),
    _spec("grid_unknown_prior", '"optimistic_moderate"]', '"optimistic_modrate"]'),
    _spec(
        "reference_not_in_grid",
        'grid = ["reference",',
        'reference = "neutral_weak"\ngrid = ["reference",',
    ),
    _spec(
        "joint_malformed", '"efs:survival_difference_54", "os', '"efs_survival_difference_54", "os'
    ),
    _spec(
        "joint_unknown_estimand",
        '"efs:survival_difference_54", "os',
        '"efs:survival_diference_54", "os',
    ),
    _spec(
        "joint_unknown_endpoint", '"os:survival_difference_54"]', '"pfs:survival_difference_54"]'
    ),
    _spec(
        "joint_threshold_unknown",
        '"os:survival_difference_54"]',
        '"os:survival_difference_54"]\nthreshold = "half"',
    ),
    _spec("mcid_negative", "value = 0.1", "value = -0.1"),
    _spec("mcid_nan", "value = 0.1", "value = nan"),
    _spec(
        "mcid_hazard_ratio_above_one",
        '"efs:survival_difference_*" = {',
        '"efs:hazard_ratio_*" = { value = 1.25, source = "x" }\n"efs:survival_difference_*" = {',
    ),
    _spec("mcid_key_malformed", '"efs:survival_difference_*" = {', '"efs" = {'),
    _spec("mcid_source_missing", ', source = "simulated threshold" }', " }"),
    _spec(
        "custom_prior_sd_zero",
        "[survival.options]",
        "[survival.custom_priors.mine]\nmean = 0\nsd = 0\n\n[survival.options]",
    ),
    _spec(
        "scale_benefit_unknown",
        "[survival.options]",
        '[survival.priors]\ndesign_effect = -0.7\nbenefit = "down"\nreference_sd = 1\n\n'
        "[survival.options]",
    ),
    _spec(
        "scale_reference_sd_string",
        "[survival.options]",
        '[survival.priors]\ndesign_effect = -0.7\nbenefit = "lower"\nreference_sd = "1"\n\n'
        "[survival.options]",
    ),
    _spec(
        "external_malformed",
        'endpoints = ["efs", "os"]',
        'endpoints = ["efs", "os"]\nexternal = ["astis"]',
    ),
    _spec("key_with_newline", "seed = 1", 'seed = 1\n"bad\\nvalid" = 1'),
    _spec("key_with_ansi", "seed = 1", 'seed = 1\n"\\u001b[2J\\u001b[31mred" = 1'),
    # -- a valid specification whose trial file is hostile ------------------------------------
    _trial_for_spec("trial_curve_rises", "curve_rises"),
    _trial_for_spec("trial_risk_not_at_zero", "risk_table_not_at_zero"),
    _trial_for_spec("trial_endpoint_redeclared", "endpoint_redeclared_binary"),
    _trial_for_spec("trial_time_absurd", "time_absurd"),
]

#: Command lines: ``{dir}`` is the test's folder, holding ``curve.csv``, ``risk.csv``,
#: ``afile.txt``, ``fifo`` and ``other/`` (a folder with a file that is not a report).
COMMANDS: list[tuple[str, str, list[str]]] = [
    # -- report -------------------------------------------------------------------------------
    ("report", "seed_2_70", ["report", "--seed", str(2**70), "--out", "{dir}/r"]),
    ("report", "seed_2_32", ["report", "--seed", str(2**32), "--out", "{dir}/r"]),
    ("report", "seed_negative", ["report", "--seed", "-1", "--out", "{dir}/r"]),
    ("report", "seed_text", ["report", "--seed", "one", "--out", "{dir}/r"]),
    ("report", "chains_million", ["report", "--chains", "1000000", "--out", "{dir}/r"]),
    ("report", "chains_zero", ["report", "--chains", "0", "--out", "{dir}/r"]),
    ("report", "draws_trillion", ["report", "--draws", str(10**12), "--out", "{dir}/r"]),
    ("report", "draws_zero", ["report", "--draws", "0", "--out", "{dir}/r"]),
    (
        "report",
        "draws_too_many_in_total",
        ["report", "--draws", "90000", "--chains", "64", "--out", "{dir}/r"],
    ),
    ("report", "tune_negative", ["report", "--tune", "-5", "--out", "{dir}/r"]),
    ("report", "tune_huge", ["report", "--tune", "10000000", "--out", "{dir}/r"]),
    ("report", "out_under_a_file", ["report", "--out", "{dir}/afile.txt/sub"]),
    ("report", "out_is_a_file", ["report", "--out", "{dir}/afile.txt"]),
    ("report", "out_dev_null", ["report", "--out", "/dev/null"]),
    ("report", "out_fifo", ["report", "--out", "{dir}/fifo"]),
    ("report", "out_other_content", ["report", "--out", "{dir}/other"]),
    ("report", "out_root", ["report", "--out", "/"]),
    ("report", "out_missing", ["report"]),
    ("report", "priors_empty", ["report", "--priors", ",", "--out", "{dir}/r"]),
    ("report", "priors_unknown", ["report", "--priors", "reference,bogus", "--out", "{dir}/r"]),
    ("report", "backend_unknown", ["report", "--backend", "stan", "--out", "{dir}/r"]),
    ("report", "spec_unknown", ["report", "no_such_spec", "--out", "{dir}/r"]),
    ("report", "spec_fifo", ["report", "{dir}/fifo", "--out", "{dir}/r"]),
    ("report", "spec_dev_zero", ["report", "/dev/zero", "--out", "{dir}/r"]),
    ("report", "spec_folder", ["report", "{dir}/other/", "--out", "{dir}/r"]),
    ("report", "spec_newline", ["report", "bad\nvalid", "--out", "{dir}/r"]),
    ("report", "spec_ansi", ["report", "\x1b[31mred", "--out", "{dir}/r"]),
    ("report", "unknown_option", ["report", "--sed", "1", "--out", "{dir}/r"]),
    (
        "report",
        "out_newline_unknown_prior",
        ["report", "--priors", "bogus", "--out", "{dir}/new\nline"],
    ),
    # -- validate -----------------------------------------------------------------------------
    ("validate", "fifo", ["validate", "{dir}/fifo"]),
    ("validate", "dev_zero", ["validate", "/dev/zero"]),
    ("validate", "dev_urandom", ["validate", "/dev/urandom"]),
    ("validate", "folder", ["validate", "{dir}/other"]),
    ("validate", "missing", ["validate", "{dir}/missing.toml"]),
    ("validate", "no_path", ["validate"]),
    ("validate", "two_paths", ["validate", "scot", "astis"]),
    ("validate", "unknown_trial", ["validate", "scotch"]),
    ("validate", "name_newline", ["validate", "bad\nvalid"]),
    ("validate", "name_ansi", ["validate", "\x1b[2J\x1b[31mred"]),
    ("validate", "name_nul", ["validate", "bad\x00name"]),
    ("validate", "csv_as_trial", ["validate", "{dir}/curve.csv"]),
    # -- effect -------------------------------------------------------------------------------
    ("effect", "hr_zero", ["effect", "--hr", "0", "--se", "0.1"]),
    ("effect", "hr_negative", ["effect", "--hr", "-1", "--se", "0.1"]),
    ("effect", "hr_nan", ["effect", "--hr", "nan", "--se", "0.1"]),
    ("effect", "hr_inf", ["effect", "--hr", "inf", "--se", "0.1"]),
    ("effect", "hr_text", ["effect", "--hr", "x", "--se", "0.1"]),
    ("effect", "se_tiny", ["effect", "--hr", "0.7", "--se", "1e-300"]),
    ("effect", "se_zero", ["effect", "--hr", "0.7", "--se", "0"]),
    ("effect", "se_negative", ["effect", "--hr", "0.7", "--se", "-0.1"]),
    (
        "effect",
        "se_with_ci",
        ["effect", "--hr", "0.7", "--lower", "0.5", "--upper", "0.9", "--se", "0.1"],
    ),
    (
        "effect",
        # Beside an interval a p-value is a check: one that contradicts it is refused.
        "p_against_ci",
        ["effect", "--hr", "0.7", "--lower", "0.5", "--upper", "0.9", "--p-value", "0.5"],
    ),
    ("effect", "se_with_p", ["effect", "--hr", "0.7", "--se", "0.1", "--p-value", "0.04"]),
    ("effect", "lower_only", ["effect", "--hr", "0.7", "--lower", "0.5"]),
    ("effect", "ci_reversed", ["effect", "--hr", "0.7", "--lower", "0.9", "--upper", "0.5"]),
    (
        "effect",
        "ci_without_estimate",
        ["effect", "--hr", "0.3", "--lower", "0.5", "--upper", "0.9"],
    ),
    (
        "effect",
        "level_above_one",
        ["effect", "--hr", "0.7", "--lower", "0.5", "--upper", "0.9", "--level", "1.5"],
    ),
    (
        "effect",
        "level_nan",
        ["effect", "--hr", "0.7", "--lower", "0.5", "--upper", "0.9", "--level", "nan"],
    ),
    ("effect", "mcid_negative", ["effect", "--hr", "0.7", "--se", "0.1", "--mcid", "-1"]),
    ("effect", "mcid_zero", ["effect", "--hr", "0.7", "--se", "0.1", "--mcid", "0"]),
    ("effect", "mcid_wrong_side", ["effect", "--hr", "0.7", "--se", "0.1", "--mcid", "1.2"]),
    ("effect", "mcid_nan", ["effect", "--hr", "0.7", "--se", "0.1", "--mcid", "nan"]),
    (
        "effect",
        "md_mcid_negative",
        ["effect", "--md", "-0.5", "--se", "0.1", "--benefit", "lower", "--mcid", "-0.2"],
    ),
    ("effect", "md_without_benefit", ["effect", "--md", "-0.5", "--se", "0.1", "--mcid", "0.2"]),
    ("effect", "prior_malformed", ["effect", "--hr", "0.7", "--se", "0.1", "--prior", "x"]),
    ("effect", "prior_sd_zero", ["effect", "--hr", "0.7", "--se", "0.1", "--prior", "a=0,0"]),
    ("effect", "prior_nan", ["effect", "--hr", "0.7", "--se", "0.1", "--prior", "a=nan,1"]),
    ("effect", "design_wrong_side", ["effect", "--hr", "0.7", "--se", "0.1", "--design", "1.5"]),
    ("effect", "no_measure", ["effect", "--se", "0.1"]),
    ("effect", "two_measures", ["effect", "--hr", "0.7", "--rr", "0.7", "--se", "0.1"]),
    ("effect", "format_unknown", ["effect", "--hr", "0.7", "--se", "0.1", "--format", "xml"]),
    ("effect", "p_value_zero", ["effect", "--hr", "0.7", "--p-value", "0"]),
    ("effect", "p_value_above_one", ["effect", "--hr", "0.7", "--p-value", "1.5"]),
    ("effect", "no_uncertainty", ["effect", "--hr", "0.7"]),
    # -- reconstruct --------------------------------------------------------------------------
    (
        "reconstruct",
        "out_dev_full",
        ["reconstruct", "{dir}/curve.csv", "{dir}/risk.csv", "--out", "/dev/full"],
    ),
    (
        "reconstruct",
        "out_folder",
        ["reconstruct", "{dir}/curve.csv", "{dir}/risk.csv", "--out", "{dir}/other"],
    ),
    (
        "reconstruct",
        "out_under_a_file",
        ["reconstruct", "{dir}/curve.csv", "{dir}/risk.csv", "--out", "{dir}/afile.txt/ipd.csv"],
    ),
    (
        "reconstruct",
        "out_fifo",
        ["reconstruct", "{dir}/curve.csv", "{dir}/risk.csv", "--out", "{dir}/fifo"],
    ),
    (
        "reconstruct",
        "curve_fifo",
        ["reconstruct", "{dir}/fifo", "{dir}/risk.csv", "--out", "{dir}/ipd.csv"],
    ),
    (
        "reconstruct",
        "curve_dev_zero",
        ["reconstruct", "/dev/zero", "{dir}/risk.csv", "--out", "{dir}/ipd.csv"],
    ),
    (
        "reconstruct",
        "curve_folder",
        ["reconstruct", "{dir}/other", "{dir}/risk.csv", "--out", "{dir}/ipd.csv"],
    ),
    (
        "reconstruct",
        "curve_missing",
        ["reconstruct", "{dir}/nope.csv", "{dir}/risk.csv", "--out", "{dir}/ipd.csv"],
    ),
    (
        "reconstruct",
        "curve_extra_column",
        ["reconstruct", "{dir}/extra.csv", "{dir}/risk.csv", "--out", "{dir}/ipd.csv"],
    ),
    (
        "reconstruct",
        "curve_text",
        ["reconstruct", "{dir}/text.csv", "{dir}/risk.csv", "--out", "{dir}/ipd.csv"],
    ),
    (
        "reconstruct",
        "curve_rises",
        ["reconstruct", "{dir}/rises.csv", "{dir}/risk.csv", "--out", "{dir}/ipd.csv"],
    ),
    (
        "reconstruct",
        "risk_not_at_zero",
        ["reconstruct", "{dir}/curve.csv", "{dir}/late.csv", "--out", "{dir}/ipd.csv"],
    ),
    (
        "reconstruct",
        "risk_dev_urandom",
        ["reconstruct", "{dir}/curve.csv", "/dev/urandom", "--out", "{dir}/ipd.csv"],
    ),
    (
        "reconstruct",
        "total_events_negative",
        [
            "reconstruct",
            "{dir}/curve.csv",
            "{dir}/risk.csv",
            "--out",
            "{dir}/ipd.csv",
            "--total-events",
            "-1",
        ],
    ),
    (
        "reconstruct",
        "total_events_fraction",
        [
            "reconstruct",
            "{dir}/curve.csv",
            "{dir}/risk.csv",
            "--out",
            "{dir}/ipd.csv",
            "--total-events",
            "1.5",
        ],
    ),
    (
        "reconstruct",
        "total_events_above_n",
        [
            "reconstruct",
            "{dir}/curve.csv",
            "{dir}/risk.csv",
            "--out",
            "{dir}/ipd.csv",
            "--total-events",
            "400",
        ],
    ),
    (
        "reconstruct",
        "noise_tolerance_nan",
        [
            "reconstruct",
            "{dir}/curve.csv",
            "{dir}/risk.csv",
            "--out",
            "{dir}/ipd.csv",
            "--noise-tolerance",
            "nan",
        ],
    ),
    (
        "reconstruct",
        "noise_tolerance_two",
        [
            "reconstruct",
            "{dir}/curve.csv",
            "{dir}/risk.csv",
            "--out",
            "{dir}/ipd.csv",
            "--noise-tolerance",
            "2",
        ],
    ),
    # -- no subcommand ------------------------------------------------------------------------
    ("top", "unknown_command", ["reanalyse"]),
    ("top", "unknown_option", ["--verbose"]),
]
