"""reanalyse() orchestration with a stand-in model family (fast: no PyMC compilation).

The stand-in builder follows the builder interface (model, effect_parameters,
prior_data, estimands, reproduce) and its "posterior" is simulated from the prior
hyperparameters with the fit's seed, so these tests check what the runner does with
specifications, priors, seeds, MCIDs and progress, not any statistics.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import pytest

from bayes_scot.errors import SpecError
from bayes_scot.fitting import Diagnostics
from bayes_scot.reanalysis import reanalyse
from bayes_scot.stats.estimands import EstimandDraws


@dataclasses.dataclass(frozen=True, kw_only=True)
class StandInOptions:
    population: str = "itt"
    shift: float = 0.0


class StandInModel:
    """Simulated posterior: effect ~ N(prior mean + shift, 0.1), 2 chains x 200 draws."""

    effect_parameters = ("effect",)
    built = 0

    def __init__(self, trial: Any, *, options: StandInOptions) -> None:
        self.trial = trial
        self.options = options
        self.model = types.SimpleNamespace(free_RVs=[])
        self.structure_key = ("stand-in",)
        StandInModel.built += 1

    def prior_data(self, prior: Mapping[str, Any]) -> dict[str, np.ndarray]:
        p = prior["effect"]
        return {"effect_prior_mean": np.asarray(p.mean), "effect_prior_sd": np.asarray(p.sd)}

    def estimands(self, idata: Any) -> list[EstimandDraws]:
        effect = idata.posterior["effect"].to_numpy()
        return [
            EstimandDraws(endpoint="efs", estimand="difference_54", label="EFS difference",
                          draws=effect, null=0.0, superior="higher", mcid=0.1,
                          mcid_source="stand-in"),
            EstimandDraws(endpoint="efs", estimand="survival_hsct_54", label="EFS, HSCT",
                          draws=0.7 + effect, null=float("nan"), superior="higher"),
        ]

    def reproduce(self, idata: Any) -> pd.DataFrame:
        return pd.DataFrame([{
            "trial": self.trial.name, "entry": "e1", "endpoint": "efs", "population": "itt",
            "arm": "hsct", "time_months": 54.0, "statistic": "events", "published": 10.0,
            "median": 10.0, "lower": 5.0, "upper": 15.0, "outside": False}])

    def prior_grid(self) -> dict[str, Any]:
        from bayes_scot.stats.priors import prior_grid

        return prior_grid(design_effect=0.2, benefit="higher", reference_sd=0.5)


class StandInCompiled:
    def sample(self, data: Mapping[str, np.ndarray], *, settings: Any, seed: int,
               log_likelihood: bool = False) -> Any:
        rng = np.random.default_rng(seed)
        mean = float(data["effect_prior_mean"])
        draws = rng.normal(mean + 0.05, 0.1, size=(settings.chains, settings.draws))
        return az.from_dict(posterior={"effect": draws})


#: What ``diagnose`` reports for every stand-in fit: converged.
CONVERGED = Diagnostics(rhat_max=1.0, ess_bulk_min=1000.0, divergences=0)


@pytest.fixture
def stand_in(install_stand_in_families: Any) -> None:
    install_stand_in_families({"survival": StandInModel}, StandInOptions, StandInCompiled(),
                              CONVERGED)


SPEC = """\
[analysis]
name = "stand_in"
title = "Stand-in"
seed = 5

[[trials]]
name = "scot"

[sampler]
draws = 200
chains = 2

[priors]
grid = ["reference", "skeptical_strong", "optimistic_strong"]

[joint]
estimands = ["efs:difference_54"]

[survival]
estimands = ["difference_*"]
"""


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(SPEC)
    return path


def test_one_build_many_priors(stand_in: None, spec_file: Path) -> None:
    StandInModel.built = 0
    result = reanalyse(spec_file, progress=False)
    assert StandInModel.built == 1
    table = result.table()
    assert list(table["prior"]) == ["reference", "skeptical_strong", "optimistic_strong"]
    assert set(table["estimand"]) == {"difference_54"}  # the spec's selection
    # optimistic priors are centred on the design effect (0.2): the posterior follows
    assert table.set_index("prior").loc["optimistic_strong", "median"] == pytest.approx(0.25,
                                                                                        abs=0.02)
    assert len(result.reproduce()) == 1  # reference fit only
    assert result.provenance["spec"]["sha256"] == result.spec.sha256


def test_same_seed_same_table_other_seed_other_table(stand_in: None, spec_file: Path) -> None:
    a = reanalyse(spec_file, progress=False).table()
    b = reanalyse(spec_file, progress=False).table()
    c = reanalyse(spec_file, progress=False, seed=6).table()
    pd.testing.assert_frame_equal(a, b)
    assert not a["median"].equals(c["median"])


def test_progress_lines_and_silence(stand_in: None, spec_file: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    lines: list[str] = []
    reanalyse(spec_file, progress=lines.append, priors=["reference"])
    assert lines[0].startswith("bayes-scot: survival: model compiled")
    assert lines[1].startswith("bayes-scot: survival [1/1] reference:")
    assert lines[-1].startswith("bayes-scot: stand_in: 1 fits")
    reanalyse(spec_file, progress=False, priors=["reference"])
    reanalyse(spec_file, priors=["reference"])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 3  # only the run with progress on


def test_mcid_override(stand_in: None, spec_file: Path) -> None:
    spec_file.write_text(SPEC + '\n[mcids."efs:difference_*"]\nvalue = 0.3\n'
                         'source = "test override"\n')
    row = reanalyse(spec_file, progress=False, priors=["reference"]).table().iloc[0]
    assert row.mcid == 0.3
    assert row.mcid_source == "test override"


def test_population_option_follows_the_trial(stand_in: None, spec_file: Path) -> None:
    result = reanalyse(spec_file, progress=False, priors=["reference"], population="pp")
    assert result.trials["scot"].population == "pp"
    assert result.builders["survival"].options.population == "pp"


def test_population_option_conflict(stand_in: None, spec_file: Path) -> None:
    spec_file.write_text(SPEC + '\n[survival.options]\npopulation = "pp"\n')
    with pytest.raises(SpecError, match=r"survival\.options\.population"):
        reanalyse(spec_file, progress=False, priors=["reference"])


def test_unknown_joint_estimand(stand_in: None, spec_file: Path) -> None:
    spec_file.write_text(SPEC.replace("efs:difference_54", "efs:difference_99"))
    with pytest.raises(SpecError, match=r"joint.estimands\[0\]"):
        reanalyse(spec_file, progress=False, priors=["reference"])


def test_unknown_population(stand_in: None, spec_file: Path) -> None:
    with pytest.raises(SpecError, match=r"trials\[0\].population"):
        reanalyse(spec_file, progress=False, priors=["reference"], population="mars")


def test_sampler_settings_the_backend_refuses_name_the_family(
    stand_in: None, spec_file: Path
) -> None:
    """BlackJAX needs tuning steps: tune = 0 fails before any model is built."""
    StandInModel.built = 0
    spec_file.write_text(SPEC + '\n[survival.sampler]\nbackend = "blackjax"\ntune = 0\n')
    with pytest.raises(SpecError, match=r"survival\.sampler.*tune must be at least 1"):
        reanalyse(spec_file, progress=False)
    assert StandInModel.built == 0


def test_explicit_prior_override(stand_in: None, spec_file: Path) -> None:
    result = reanalyse(spec_file, progress=False, priors={"sceptic": (0.0, 0.05)})
    assert result.priors == ("sceptic",)
    assert result.reference_prior == "sceptic"
    assert result.fit("survival").effect_priors["effect"].sd == 0.05


def test_html_repr_and_accessors(stand_in: None, spec_file: Path) -> None:
    result = reanalyse(spec_file, progress=False)
    assert "Stand-in" in result._repr_html_()
    assert "stand_in" in repr(result)
    assert result.posterior("survival", "skeptical_strong") is not None
    assert result.sensitivity().shape == (1, 3)
    assert len(result.joint_probabilities()) == 3
    with pytest.raises(KeyError, match="no longitudinal fit"):
        result.fit("longitudinal")


def test_cli_happy_path_with_the_stand_in(stand_in: None, spec_file: Path,
                                          tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from bayes_scot.cli import main
    from bayes_scot.report import REPORT_FILES

    out = tmp_path / "report"
    code = main(["report", str(spec_file), "--out", str(out), "--seed", "9",
                 "--priors", "reference,skeptical_strong"])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)
    err = capsys.readouterr().err
    assert "bayes-scot: survival [2/2] skeptical_strong" in err
    assert f"bayes-scot report: wrote {out}" in err
    assert '"seed": 9' in (out / "summary.json").read_text()


class _RecordingBatch:
    """A stand-in compiled model that samples its grid as one batch and records when."""

    batches = True

    def __init__(self, family: str, events: list[str]) -> None:
        self.family, self.events = family, events

    def iter_samples(self, datasets: Mapping[str, Any], *, settings: Any, seed: int,
                     log_likelihood: Any = False) -> Any:
        self.events.append(f"start {self.family}")  # a batch backend starts on the call

        def read() -> Any:
            self.events.append(f"read {self.family}")
            for name, data in datasets.items():
                yield name, StandInCompiled().sample(data, settings=settings, seed=seed)

        return read()


def test_every_batch_starts_before_the_first_is_read(
    install_stand_in_families: Any, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch samples while the runner compiles the next family or reads earlier fits,
    and the fits, their order and their numbers are those of one family after another."""
    import bayes_scot.fitting

    class OtherStandIn(StandInModel):
        def estimands(self, idata: Any) -> list[EstimandDraws]:
            return [dataclasses.replace(e, endpoint="os") for e in super().estimands(idata)]

    install_stand_in_families({"survival": StandInModel, "longitudinal": OtherStandIn},
                              StandInOptions, StandInCompiled(), CONVERGED)
    events: list[str] = []
    families = iter(["survival", "longitudinal"])
    monkeypatch.setattr(bayes_scot.fitting, "compile_model",
                        lambda model, backend, key: _RecordingBatch(next(families), events))
    spec_file.write_text(SPEC + '\n[longitudinal]\nestimands = ["difference_*"]\n')
    lines: list[str] = []
    result = reanalyse(spec_file, progress=lines.append)
    assert events == ["start survival", "start longitudinal", "read survival",
                      "read longitudinal"]
    assert [(f.family, f.prior) for f in result.fits] == [
        (family, prior) for family in ("survival", "longitudinal")
        for prior in ("reference", "skeptical_strong", "optimistic_strong")]
    started = [line for line in lines if "batch started in" in line]
    assert [line.split(":")[1].strip() for line in started] == ["survival", "longitudinal"]
    assert lines.index(started[1]) < lines.index(next(line for line in lines if "[1/3]" in line))
    sampled = [line for line in lines if "priors sampled in" in line]
    assert [line.split(":")[1].strip() for line in sampled] == ["survival", "longitudinal"]
    table = result.table().set_index(["endpoint", "prior"])
    # The same seed and prior in both families: the same simulated draws, whatever the order.
    assert table.loc[("efs", "reference"), "median"] == table.loc[("os", "reference"), "median"]


@pytest.mark.parametrize(
    ("backend", "cores", "expected"),
    [("blackjax", None, 1),  # the refit's four chains on one core, beside the grids
     ("nutpie", None, None),  # one chain per core: the analysis's own choice stays
     ("pymc", 2, 2)],
)
def test_structure_refits_sample_as_the_analysis_on_one_core_with_blackjax(
    backend: str, cores: int | None, expected: int | None
) -> None:
    from bayes_scot.fitting import SamplerSettings
    from bayes_scot.reanalysis.runner import structure_settings

    shipped = SamplerSettings(target_accept=0.97, max_treedepth=5, backend=backend,
                              cores=cores)
    refit = structure_settings(shipped)
    assert refit.cores == expected
    assert dataclasses.replace(refit, cores=cores) == shipped


def test_a_trial_file_under_another_name_is_a_spec_error(tmp_path: Path) -> None:
    # The SIMULATED template names its trial "example"; the spec calls it "scot".
    from bayes_scot.data import TEMPLATE_FILE
    from bayes_scot.errors import SpecError

    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.replace('name = "scot"', f'name = "scot"\npath = "{TEMPLATE_FILE}"'),
                    encoding="utf-8")
    with pytest.raises(SpecError, match="names its trial 'example', not 'scot'") as err:
        reanalyse(spec, progress=False)
    assert err.value.field == "trials[0].name"
