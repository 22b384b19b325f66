"""Analysis specifications: the shipped ones, overrides, and every bad-spec case."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Literal

import pytest

import bayes_scot.spec.records as spec_module
from bayes_scot.errors import EvidenceError, SpecError
from bayes_scot.spec import AnalysisSpec, list_specs, load_spec, spec_path
from bayes_scot.stats.priors import DEFAULT_GRID_NAMES

REPO = Path(__file__).resolve().parents[1]

MINIMAL = """\
[analysis]
name = "mini"
title = "Minimal"

[[trials]]
name = "scot"

[survival.priors]
design_effect = -0.69
benefit = "lower"
reference_sd = 1.5
"""


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- shipped specifications --------------------------------------------------------------
@pytest.mark.parametrize("name", ["scot_itt", "scot_pp", "scot_borrowing", "scot_design"])
def test_shipped_spec_is_the_models_file(name: str) -> None:
    """The spec installed with the package is byte-identical to models/<name>.toml."""
    shipped = spec_path(name)
    assert shipped.read_bytes() == (REPO / "models" / f"{name}.toml").read_bytes()


@pytest.mark.parametrize("name", ["scot_itt", "scot_pp", "scot_borrowing"])
def test_shipped_specs_load(name: str) -> None:
    spec = load_spec(name)
    assert spec.name == name
    assert spec.trials[0].name == "scot"
    assert spec.priors == DEFAULT_GRID_NAMES
    assert spec.sampler.draws == 1000
    assert spec.sampler.chains == 4


def test_default_is_scot_itt_from_any_directory(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = load_spec()
    assert spec.name == "scot_itt"
    assert spec.trials[0].population == "itt"
    assert list_specs()[0] == "scot_itt"


def test_per_protocol_spec_states_the_72_month_assumption() -> None:
    spec = load_spec("scot_pp")
    assert spec.trials[0].population == "pp"
    assert any("72-month" in a for a in spec.assumptions)


def test_borrowing_spec_names_three_trials() -> None:
    spec = load_spec("scot_borrowing")
    assert [t.name for t in spec.trials] == ["scot", "astis", "assist"]
    assert spec.family("survival").trials == ("scot", "astis", "assist")


def test_spec_hash_is_of_its_text(tmp_path: Path) -> None:
    a = load_spec(write(tmp_path, MINIMAL, "a.toml"))
    b = load_spec(write(tmp_path, MINIMAL + "\n# a comment\n", "b.toml"))
    assert a.sha256 != b.sha256
    assert len(a.sha256) == 64


def test_model_based_grcs_is_on_by_default_and_switchable(tmp_path: Path) -> None:
    assert load_spec().family("composite").model_based is True
    off = load_spec(write(tmp_path, MINIMAL + "\n[composite]\nmodel_based = false\n"))
    assert off.family("composite").model_based is False


def test_minimal_spec_defaults(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, MINIMAL))
    assert spec.seed == 20180104
    assert spec.reference_prior == "reference"
    assert spec.trials[0].population == "itt"
    assert spec.family("survival").trials == ("scot",)
    sets = spec.family("survival").prior_sets(("log_hr",), spec.priors)
    assert list(sets) == list(DEFAULT_GRID_NAMES)
    assert sets["reference"]["log_hr"].sd == 1.5


# -- overrides ---------------------------------------------------------------------------
def test_overrides(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, MINIMAL))
    changed = spec.with_overrides(draws=200, chains=2, tune=300, seed=7, backend="pymc",
                                  priors=["skeptical_strong", "reference"], population="pp")
    assert (changed.sampler.draws, changed.sampler.chains, changed.sampler.tune) == (200, 2, 300)
    assert changed.sampler.backend == "pymc"
    assert changed.seed == 7
    assert changed.priors == ("skeptical_strong", "reference")
    assert changed.reference_prior == "reference"
    assert changed.trials[0].population == "pp"
    assert spec.sampler.draws == 1000  # the original is untouched (frozen)


def test_override_with_explicit_priors(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, MINIMAL)).with_overrides(
        priors={"sceptic": (0.0, 0.2), "enthusiast": (-0.5, 0.3)})
    assert spec.priors == ("sceptic", "enthusiast")
    assert spec.reference_prior == "sceptic"
    sets = spec.family("survival").prior_sets(("log_hr",), spec.priors)
    assert (sets["enthusiast"]["log_hr"].mean, sets["enthusiast"]["log_hr"].sd) == (-0.5, 0.3)


def test_comma_separated_priors_override(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, MINIMAL)).with_overrides(priors="reference,neutral_weak")
    assert spec.priors == ("reference", "neutral_weak")


@pytest.mark.parametrize(
    ("overrides", "key"),
    [({"colour": "blue"}, "colour"), ({"draws": 0}, "sampler.draws"),
     ({"draws": "many"}, "sampler.draws"), ({"backend": "stan"}, "sampler.backend"),
     ({"priors": ["nonsense"]}, "priors"), ({"priors": {"x": (0.0, -1.0)}}, "priors.x"),
     ({"seed": -1}, "seed"), ({"families": ["composite"]}, "families")],
)
def test_bad_overrides(tmp_path: Path, overrides: dict, key: str) -> None:
    spec = load_spec(write(tmp_path, MINIMAL))
    with pytest.raises(SpecError) as err:
        spec.with_overrides(**overrides)
    assert f"field '{key}'" in str(err.value)


# -- bad specifications: each names the file and the key, in one line -------------------
BAD = [
    ("unknown top-level", MINIMAL + "\n[extra]\nx = 1\n", "extra"),
    ("empty analysis name", MINIMAL.replace('name = "mini"', 'name = "  "'), "analysis.name"),
    ("unknown analysis key", MINIMAL.replace('title = "Minimal"', 'title = "M"\ncolour = 1'),
     "analysis.colour"),
    ("missing analysis", MINIMAL.replace('[analysis]\nname = "mini"\ntitle = "Minimal"\n', ""),
     "analysis"),
    ("name of wrong type", MINIMAL.replace('name = "mini"', "name = 3"), "analysis.name"),
    ("seed not an integer", MINIMAL.replace('title = "Minimal"', 'title = "M"\nseed = 1.5'),
     "analysis.seed"),
    ("missing trials", MINIMAL.replace('[[trials]]\nname = "scot"\n', ""), "trials"),
    ("unknown trial", MINIMAL.replace('name = "scot"', 'name = "nope"'), "trials[0].name"),
    ("missing trial file", MINIMAL.replace('name = "scot"', 'path = "missing.toml"'),
     "trials[0].path"),
    ("unknown trial key", MINIMAL.replace('name = "scot"', 'name = "scot"\narm = "x"'),
     "trials[0].arm"),
    ("sampler draws wrong type", MINIMAL + '\n[sampler]\ndraws = "1000"\n', "sampler.draws"),
    ("sampler chains zero", MINIMAL + "\n[sampler]\nchains = 0\n", "sampler.chains"),
    ("sampler bool draws", MINIMAL + "\n[sampler]\ndraws = true\n", "sampler.draws"),
    ("unknown sampler key", MINIMAL + "\n[sampler]\nwarmup = 10\n", "sampler.warmup"),
    ("bad backend", MINIMAL + '\n[sampler]\nbackend = "stan"\n', "sampler.backend"),
    ("target_accept out of range", MINIMAL + "\n[sampler]\ntarget_accept = 1.5\n",
     "sampler.target_accept"),
    ("unknown prior name", MINIMAL + '\n[priors]\ngrid = ["reference", "hopeful"]\n',
     "priors.grid"),
    ("reference not in grid", MINIMAL + '\n[priors]\ngrid = ["reference"]\n'
     'reference = "neutral_weak"\n', "priors.reference"),
    ("empty grid", MINIMAL + "\n[priors]\ngrid = []\n", "priors.grid"),
    ("grid not strings", MINIMAL + "\n[priors]\ngrid = [1, 2]\n", "priors.grid[0]"),
    ("missing design effect", MINIMAL.replace("design_effect = -0.69\n", ""),
     "survival.priors.design_effect"),
    ("design effect on harm side",
     MINIMAL.replace("design_effect = -0.69", "design_effect = 0.69"),
     "survival.priors.design_effect"),
    ("benefit not a direction", MINIMAL.replace('benefit = "lower"', 'benefit = "down"'),
     "survival.priors.benefit"),
    ("unknown prior scale key", MINIMAL + "mean = 0\n", "survival.priors.mean"),
    ("unknown family key", MINIMAL.replace("[survival.priors]", "[survival]\nlikelihood = 1\n"
                                           "[survival.priors]"), "survival.likelihood"),
    ("family trial not declared", MINIMAL.replace("[survival.priors]",
                                                  '[survival]\ntrials = ["astis"]\n'
                                                  "[survival.priors]"), "survival.trials[0]"),
    ("custom prior without sd", MINIMAL + "\n[survival.custom_priors.mine]\nmean = 0\n",
     "survival.custom_priors.mine.sd"),
    ("custom prior negative sd", MINIMAL + "\n[survival.custom_priors.mine]\nmean = 0\nsd = -1\n",
     "survival.custom_priors.mine.sd"),
    ("mcid key not endpoint:estimand", MINIMAL + '\n[mcids.efs]\nvalue = 0.1\nsource = "x"\n',
     "mcids.efs"),
    ("mcid without source", MINIMAL + '\n[mcids."efs:d"]\nvalue = 0.1\n', "mcids.efs:d.source"),
    ("joint key malformed", MINIMAL + '\n[joint]\nestimands = ["efs"]\n', "joint.estimands[0]"),
    ("joint threshold", MINIMAL + '\n[joint]\nthreshold = "big"\n', "joint.threshold"),
    ("model_based not a boolean", MINIMAL + '\n[composite]\nmodel_based = "yes"\n',
     "composite.model_based"),
    ("model_based outside composite", MINIMAL.replace("[survival.priors]",
                                                      "[survival]\nmodel_based = true\n"
                                                      "[survival.priors]"),
     "survival.model_based"),
    ("no family", MINIMAL.split("[survival.priors]")[0], None),
    ("invalid toml", "[analysis\nname = 1", None),
]


@pytest.mark.parametrize(("case", "text", "key"), BAD, ids=[b[0] for b in BAD])
def test_bad_spec_names_file_and_key(tmp_path: Path, case: str, text: str,
                                     key: str | None) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    message = str(err.value)
    assert "\n" not in message, case
    assert message.startswith(str(path)), message
    if key is not None:
        assert f"field '{key}'" in message, message
    assert isinstance(err.value, EvidenceError)


def test_missing_file_and_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not found"):
        load_spec(tmp_path / "absent.toml")
    with pytest.raises(SpecError, match="no such specification; shipped: scot_itt"):
        load_spec("scot_unknown")


def test_binary_and_empty_files(tmp_path: Path) -> None:
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(SpecError, match="UTF-8"):
        load_spec(binary)
    with pytest.raises(SpecError, match="empty"):
        load_spec(write(tmp_path, "", "empty.toml"))


def test_trial_path_is_relative_to_the_spec(tmp_path: Path) -> None:
    template = REPO / "bayes_scot" / "data" / "template.toml"
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mine.toml").write_bytes(template.read_bytes())
    spec = load_spec(write(tmp_path, MINIMAL.replace('name = "scot"', 'path = "data/mine.toml"')))
    assert spec.trials[0].name == "example"  # the file's [trial] name, not its stem
    assert Path(spec.trials[0].path).is_file()


# -- model options map one-to-one onto the family's options dataclass ----------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class FakeOptions:
    interval_boundaries_months: tuple[float, ...] = (3.0, 12.0)
    pooling: Literal["partial", "none"] = "partial"
    heterogeneity_sd: float = 0.5
    chains_hint: int = 1
    weights: dict[str, float] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.heterogeneity_sd <= 0:
            raise EvidenceError("must be positive", field="heterogeneity_sd")


@pytest.fixture
def fake_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spec_module, "options_class", lambda family: FakeOptions)


def with_options(body: str) -> str:
    return MINIMAL + "\n[survival.options]\n" + body


def test_options_are_converted(tmp_path: Path, fake_options: None) -> None:
    spec = load_spec(write(tmp_path, with_options(
        'interval_boundaries_months = [3, 12, 24]\npooling = "none"\nheterogeneity_sd = 1\n'
        "weights = { astis = 0.5 }\n")))
    options = spec.family("survival").options_object()
    assert options.interval_boundaries_months == (3.0, 12.0, 24.0)
    assert options.pooling == "none"
    assert options.heterogeneity_sd == 1.0
    assert isinstance(options.heterogeneity_sd, float)
    assert options.weights == {"astis": 0.5}


@pytest.mark.parametrize(
    ("body", "key"),
    [("interval_width = 3\n", "survival.options.interval_width"),
     ('interval_boundaries_months = "3, 12"\n', "survival.options.interval_boundaries_months"),
     ('interval_boundaries_months = [3, "x"]\n', "survival.options.interval_boundaries_months[1]"),
     ('pooling = "full"\n', "survival.options.pooling"),
     ("chains_hint = 1.5\n", "survival.options.chains_hint"),
     ("heterogeneity_sd = -1\n", "survival.options.heterogeneity_sd"),
     ('weights = { astis = "half" }\n', "survival.options.weights.astis")],
)
def test_bad_options(tmp_path: Path, fake_options: None, body: str, key: str) -> None:
    path = write(tmp_path, with_options(body))
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert f"field '{key}'" in str(err.value)
    assert str(err.value).startswith(str(path))


def test_spec_objects_are_frozen(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, MINIMAL))
    assert isinstance(spec, AnalysisSpec)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.seed = 1  # type: ignore[misc]
    assert not math.isnan(spec.family("survival").priors.reference_sd)


def test_family_sampler_replaces_analysis_settings(tmp_path: Path) -> None:
    text = MINIMAL + "\n[sampler]\ntune = 800\ndraws = 900\n\n[survival.sampler]\ntune = 500\n"
    spec = load_spec(write(tmp_path, text))
    survival = spec.family("survival").sampler_settings(spec.sampler)
    assert (survival.tune, survival.draws) == (500, 900)  # draws from [sampler]
    assert spec.sampler.tune == 800


def test_explicit_override_beats_family_sampler(tmp_path: Path) -> None:
    text = MINIMAL + "\n[survival.sampler]\ntune = 500\ntarget_accept = 0.95\n"
    spec = load_spec(write(tmp_path, text)).with_overrides(tune=100)
    survival = spec.family("survival").sampler_settings(spec.sampler)
    assert (survival.tune, survival.target_accept) == (100, 0.95)


@pytest.mark.parametrize(
    ("table", "field"),
    [("tune = -1", "survival.sampler.tune"), ("target_accept = 1.5",
                                              "survival.sampler.target_accept"),
     ("warmup = 10", "survival.sampler"),
     ("max_treedepth = 0", "survival.sampler.max_treedepth"),
     ("max_treedepth = 21", "survival.sampler.max_treedepth"),
     ('backend = "numpyro"', "survival.sampler.backend")],
)
def test_bad_family_sampler_names_its_key(tmp_path: Path, table: str, field: str) -> None:
    with pytest.raises(SpecError) as err:
        load_spec(write(tmp_path, MINIMAL + f"\n[survival.sampler]\n{table}\n"))
    assert err.value.field.startswith(field)


@pytest.mark.parametrize("name", ["scot_itt", "scot_pp"])
def test_shipped_survival_and_longitudinal_grids_run_as_blackjax_batches(name: str) -> None:
    spec = load_spec(name)
    survival = spec.family("survival").sampler_settings(spec.sampler)
    assert (survival.backend, survival.tune, survival.target_accept,
            survival.max_treedepth) == ("blackjax", 500, 0.97, 5)
    longitudinal = spec.family("longitudinal").sampler_settings(spec.sampler)
    assert (longitudinal.backend, longitudinal.tune, longitudinal.max_treedepth,
            longitudinal.draws) == ("blackjax", 500, 6, 1000)
    assert spec.sampler.backend == "nutpie"  # the package default, for other specs


def test_backend_override_keeps_the_family_tree_depth(tmp_path: Path) -> None:
    text = MINIMAL + '\n[survival.sampler]\nbackend = "blackjax"\nmax_treedepth = 6\n'
    spec = load_spec(write(tmp_path, text)).with_overrides(backend="nutpie")
    survival = spec.family("survival").sampler_settings(spec.sampler)
    assert (survival.backend, survival.max_treedepth) == ("nutpie", 6)


def test_family_subset_drops_joint_estimands_of_other_families() -> None:
    spec = load_spec("scot_itt").with_overrides(families=["survival"])
    assert [f.family for f in spec.families] == ["survival"]
    assert spec.joint.estimands == ("efs:survival_difference_54", "os:survival_difference_54")


def test_calibration_table_of_the_design_spec() -> None:
    c = load_spec("scot_design").calibration
    assert c.hazard_ratios == (1.0, 0.8, 0.6, 0.5)
    assert c.priors == ("reference", "skeptical_moderate", "optimistic_moderate")
    assert c.threshold == 0.95
    assert load_spec("scot_itt").calibration.scheduler == ""


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ('hazard_ratios = [1.0, -0.5]', "calibration.hazard_ratios[1]"),
        ('priors = ["nonsense"]', "calibration.priors[0]"),
        ("threshold = 1.5", "calibration.threshold"),
        ("workers = -1", "calibration.workers"),
        ('unknown = 1', "calibration"),
    ],
)
def test_bad_calibration_table_names_the_field(tmp_path: Path, table: str,
                                               field: str) -> None:
    text = (REPO / "models" / "scot_design.toml").read_text(encoding="utf-8")
    head, _, rest = text.partition("[calibration]\n")
    text = f"{head}[calibration]\n{table}\n\n{rest[rest.index('[survival]'):]}"
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert field in str(info.value)


# -- the trial files a specification names are read with it ------------------------------
def _template_copy(tmp_path: Path, extra: str = "") -> Path:
    """The documented template (simulated numbers) under another file name."""
    from bayes_scot.data import TEMPLATE_FILE

    path = tmp_path / "my_trial.toml"
    path.write_text(TEMPLATE_FILE.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def _with_trial_file(population: str = "itt", family_population: str = "") -> str:
    head = MINIMAL.replace('name = "scot"\n', f'path = "my_trial.toml"\npopulation = '
                           f'"{population}"\n', 1)
    return head + (f'\n[survival]\npopulation = "{family_population}"\n'
                   if family_population else "")


def test_trial_named_by_path_takes_its_name_from_the_file(tmp_path: Path) -> None:
    from bayes_scot.data import read_trial_file

    trial_file = _template_copy(tmp_path)
    spec = load_spec(write(tmp_path, _with_trial_file()))
    assert spec.trials[0].name == read_trial_file(trial_file).name == "example"
    assert spec.trials[0].name != trial_file.stem
    assert spec.family("survival").trials == ("example",)


@pytest.mark.parametrize(
    ("population", "family_population", "field"),
    [("mitt", "", "trials[0].population"), ("itt", "mitt", "survival.population")],
)
def test_population_the_trial_file_lacks_is_one_line_with_the_choices(
    tmp_path: Path, population: str, family_population: str, field: str
) -> None:
    _template_copy(tmp_path)
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, _with_trial_file(population, family_population)))
    message = str(info.value)
    assert f"field '{field}'" in message
    assert "unknown population 'mitt'; the trial file declares 'itt', 'pp'" in message
    assert "'all'" in message
    assert "\n" not in message


def test_bad_trial_file_is_refused_when_the_spec_is_read(tmp_path: Path) -> None:
    path = _template_copy(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace('role = "control"',
                                                             'role = "placebo"', 1))
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, _with_trial_file()))
    assert "field 'trials[0].path'" in str(info.value)
    assert "my_trial.toml: field 'arms.cyc.role'" in str(info.value)


DECLARED_ENDPOINT = """
[endpoints.walk]
label = "Six-minute walk distance (simulated)"
kind = "continuous"
better = "higher"
unit = "m"
"""


@pytest.mark.parametrize(("value", "accepted"), [(30.0, True), (-30.0, False)])
def test_mcid_side_of_an_endpoint_declared_in_the_trial_file(
    tmp_path: Path, value: float, accepted: bool
) -> None:
    """A change in a file-declared endpoint where higher is better needs a positive MCID."""
    text = _template_copy(tmp_path).read_text(encoding="utf-8")
    head, sep, rest = text.partition("\n[[")
    (tmp_path / "my_trial.toml").write_text(head + DECLARED_ENDPOINT + sep + rest,
                                            encoding="utf-8")
    spec_text = _with_trial_file() + (
        f'\n[mcids."walk:change_difference_*"]\nvalue = {value}\nsource = "simulated"\n'
    )
    if accepted:
        assert load_spec(write(tmp_path, spec_text)).mcids[0].value == value
    else:
        with pytest.raises(SpecError, match="walk:change_difference_"):
            load_spec(write(tmp_path, spec_text))


@pytest.mark.parametrize(("path", "match"), [(".", "is a folder, not a trial file"),
                                             ("/dev/null", "is not a regular file"),
                                             ("missing.toml", "not found")])
def test_a_trial_path_that_is_no_file_says_what_it_is(tmp_path: Path, path: str,
                                                      match: str) -> None:
    text = MINIMAL.replace('name = "scot"', f'path = "{path}"')
    with pytest.raises(SpecError, match=match) as err:
        load_spec(write(tmp_path, text))
    assert err.value.field == "trials[0].path"


def test_a_misspelt_family_endpoint_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    text = MINIMAL + '\n[longitudinal]\nendpoints = ["haq_di", "dlcoo"]\n'
    with pytest.raises(SpecError, match="did you mean 'dlco'") as err:
        load_spec(write(tmp_path, text))
    assert err.value.field == "longitudinal.endpoints[1]"


# -- external evidence named by a specification ------------------------------------------
EXTERNAL_FILE_TEXT = """\
[trial]
name = "my_cohort"
title = "SIMULATED external cohort for the specification tests (not real data)"
citation = "SIMULATED"

[arms.hsct]
label = "HSCT (SIMULATED)"
role = "experimental"

[arms.cyc]
label = "CYC (SIMULATED)"
role = "control"

[sources.cohort]
citation = "SIMULATED cohort"

[populations.cohort]
label = "Cohort"
n = { hsct = 40, cyc = 40 }
source = { ref = "cohort", locator = "Table 1", tag = "reported" }

[[population_spread]]
id = "spread_haq"
endpoint = "haq_di"
population = "cohort"
sd = 0.7
source = { ref = "cohort", locator = "Table 2", tag = "reported", note = "SIMULATED." }
"""

LONGITUDINAL = MINIMAL + """
[longitudinal]
endpoints = ["haq_di"]
external = [{sources}]
"""


def test_a_family_may_name_its_own_file_of_external_evidence(tmp_path: Path) -> None:
    from bayes_scot.reanalysis.runner import _Runner

    (tmp_path / "evidence").mkdir()
    ext = write(tmp_path / "evidence", EXTERNAL_FILE_TEXT, "cohort.toml")
    sources = '"external", "astis:french_subcohort", "evidence/cohort.toml"'
    spec = load_spec(write(tmp_path, LONGITUDINAL.replace("{sources}", sources)))
    external = spec.family("longitudinal").external
    assert external == ("external", "astis:french_subcohort", str(ext.resolve()))
    loaded = [_Runner.external_source(name) for name in external]
    assert [t.name for t in loaded] == ["external", "astis", "my_cohort"]
    assert loaded[1].population == "french_subcohort"
    assert [e.id for e in loaded[2].evidence("population_spread")] == ["spread_haq"]
    one = load_spec(write(tmp_path, LONGITUDINAL.replace(
        "{sources}", '"evidence/cohort.toml:cohort"'), "one.toml"))
    (name,) = one.family("longitudinal").external
    assert name == f"{ext.resolve()}:cohort"
    assert _Runner.external_source(name).population == "cohort"
    # The whole file and one of its populations would count its numbers twice.
    both = write(tmp_path, LONGITUDINAL.replace(
        "{sources}", '"evidence/cohort.toml", "evidence/cohort.toml:cohort"'), "both.toml")
    with pytest.raises(SpecError, match="overlaps external\\[0\\]") as info:
        load_spec(both)
    assert info.value.field == "longitudinal.external[1]"


@pytest.mark.parametrize(("sources", "field", "message"), [
    ('"missing.toml"', "longitudinal.external[0]", "not found"),
    ('"external", "cohort.toml:nobody"', "longitudinal.external[1]",
     "unknown population 'nobody'"),
    ('"astis:nobody"', "longitudinal.external[0]", "unknown population 'nobody'"),
    ('"astis"', "longitudinal.external[0]", "neither 'external'"),
    ('"nowhere:itt"', "longitudinal.external[0]", "no shipped trial 'nowhere'"),
])
def test_a_bad_external_source_is_refused_on_loading(tmp_path: Path, sources: str,
                                                     field: str, message: str) -> None:
    write(tmp_path, EXTERNAL_FILE_TEXT, "cohort.toml")
    path = write(tmp_path, LONGITUDINAL.replace("{sources}", sources))
    with pytest.raises(SpecError, match=message) as info:
        load_spec(path)
    assert info.value.field == field


def test_external_evidence_only_for_a_family_that_takes_it(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + '\n[survival]\nexternal = ["external"]\n')
    with pytest.raises(SpecError, match=r"survival model takes no external evidence "
                                        r"\(only \[longitudinal\] does\)") as info:
        load_spec(path)
    assert info.value.field == "survival.external"


def test_an_mcids_override_of_the_reference_difference_builds_the_skeptical_priors(
    tmp_path: Path,
) -> None:
    """[mcids] of a longitudinal endpoint's reference-visit difference reaches its priors.

    The skeptical priors are stated on the MCID ("5% probability of a benefit beyond
    the MCID"); with the override only on the rows, the statement and the row's
    P(> MCID) would name different thresholds.
    """
    text = MINIMAL + """
[longitudinal]
endpoints = ["haq_di"]

[mcids."haq_di:change_difference_54"]
value = -0.3
source = "SIMULATED threshold for a test"
"""
    spec = load_spec(write(tmp_path, text))
    assert spec.family_options(spec.family("longitudinal")).mcids == {"haq_di": 0.3}
    clash = write(tmp_path, text.replace(
        '[longitudinal]\nendpoints = ["haq_di"]',
        '[longitudinal]\nendpoints = ["haq_di"]\n[longitudinal.options]\n'
        'mcids = { haq_di = 0.22 }'), "clash.toml")
    with pytest.raises(SpecError, match=r"differs from the \[mcids\] value 0\.3") as info:
        load_spec(clash)  # refused on loading, before any model is built
    assert info.value.field == "longitudinal.options.mcids.haq_di"


def test_an_mcids_override_of_the_common_hazard_ratio_is_the_priors_margin(
    tmp_path: Path,
) -> None:
    """[mcids] of hazard_ratio_common (where the survival priors are stated) sets the margin."""
    base = MINIMAL + '\n[mcids."efs:hazard_ratio_common"]\nvalue = 0.75\nsource = "SIMULATED"\n'
    spec = load_spec(write(tmp_path, base))
    assert spec.family_options(spec.family("survival")).hazard_ratio_margin == 0.75
    clash = base.replace("[survival.priors]", "[survival.options]\nhazard_ratio_margin = 0.8"
                         "\n\n[survival.priors]")
    with pytest.raises(SpecError, match=r"0\.8 differs from the \[mcids\] value 0\.75") as info:
        load_spec(write(tmp_path, clash, "clash.toml"))
    assert info.value.field == "survival.options.hazard_ratio_margin"
    # SCOT reports EFS and OS: the priors are stated on EFS's hazard ratio, so an OS
    # threshold (a row no illness-death fit has) leaves the margin alone.
    other = load_spec(write(tmp_path, MINIMAL + '\n[mcids."os:hazard_ratio_common"]\n'
                            'value = 0.7\nsource = "SIMULATED"\n', "other.toml"))
    from bayes_scot.data import load_trial

    scot = load_trial("scot")
    assert other.family_options(other.family("survival"), scot).hazard_ratio_margin is None
    plain = load_spec(write(tmp_path, MINIMAL, "plain.toml"))
    assert plain.family_options(plain.family("survival")).hazard_ratio_margin is None


def test_a_wildcard_mcid_of_another_endpoint_is_not_the_hazard_ratio_margin(
    tmp_path: Path,
) -> None:
    """ "walk:*" (a continuous endpoint's MCID of 30 m) must not become an HR margin."""
    text = (MINIMAL + '\n[mcids."walk:*"]\nvalue = 30\nsource = "SIMULATED"\n'
            '\n[mcids."efs:hazard_ratio_common"]\nvalue = 0.7\nsource = "SIMULATED"\n')
    spec = load_spec(write(tmp_path, text))
    assert spec.family_options(spec.family("survival")).hazard_ratio_margin == 0.7


def test_a_one_endpoint_trials_hazard_ratio_mcid_is_its_priors_margin(tmp_path: Path) -> None:
    """Rossi reports one time-to-event endpoint: its hazard_ratio_common carries the priors."""
    import shutil

    from bayes_scot.data import load_trial

    shutil.copytree(REPO / "examples" / "one_endpoint", tmp_path, dirs_exist_ok=True)
    spec_file = tmp_path / "one_endpoint.toml"
    text = spec_file.read_text(encoding="utf-8").replace(
        "hazard_ratio_margin = 0.8", "")
    spec_file.write_text(text + '\n[mcids."arrest_free:hazard_ratio_common"]\nvalue = 0.75\n'
                         'source = "SIMULATED threshold"\n', encoding="utf-8")
    spec = load_spec(spec_file)
    rossi = load_trial(tmp_path / "rossi_1980.toml")
    options = spec.family_options(spec.family("survival"), rossi)
    assert options.hazard_ratio_margin == 0.75


def test_each_survival_margin_takes_its_own_source_from_the_file(tmp_path: Path) -> None:
    """hazard_ratio_margin_source and survival_margin_source are read; margin_source fills
    the one left unset."""
    text = MINIMAL.replace("[survival.priors]", '[survival.options]\nsurvival_margin = 0.05\n'
                           'margin_source = "SIMULATED protocol"\n'
                           'survival_margin_source = "SIMULATED registry"\n\n[survival.priors]')
    spec = load_spec(write(tmp_path, text))
    options = spec.family_options(spec.family("survival"))
    assert options.margin_source_of("survival_difference_12") == "SIMULATED registry"
    assert options.margin_source_of("hazard_ratio_0_3") == "SIMULATED protocol"
    assert options.margin_source_of("rmst_difference_12") is None
