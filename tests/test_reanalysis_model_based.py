"""The model-based GRCS in reanalyse() with stand-in model families (fast: no PyMC).

Stand-in survival, longitudinal and composite builders follow the builder interface; their
"posteriors" are simulated from the prior hyperparameters with the fit's seed. The
survival stand-in gives transition hazards and the longitudinal one a ``level`` by
endpoint, arm and visit, which is all the model-based route reads. These tests check the
wiring (rows, labels, evidence attribution, the switch, skipping), not the statistics,
which the composite builder's own tests check.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import arviz as az
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from bayes_scot.data import load_external, load_trial
from bayes_scot.errors import SpecError
from bayes_scot.fitting import Diagnostics
from bayes_scot.reanalysis import MODEL_BASED_EVIDENCE, reanalyse
from bayes_scot.stats.estimands import EstimandDraws
from bayes_scot.stats.illness_death import TRANSITIONS

LEVELS = ("fvc", "haq_di", "mrss")


@dataclasses.dataclass(frozen=True, kw_only=True)
class StandInOptions:
    population: str = "itt"
    time_months: float = 54.0


class StandIn:
    """Simulated posterior: effect ~ N(prior mean + 0.05, 0.1)."""

    effect_parameters = ("effect",)
    endpoint: ClassVar[str] = ""

    def __init__(self, trial: Any, *, options: StandInOptions, **_: Any) -> None:
        self.trial = trial
        self.options = options
        self.model = types.SimpleNamespace(free_RVs=[])
        self.structure_key = (type(self).__name__,)

    def prior_data(self, prior: Mapping[str, Any]) -> dict[str, np.ndarray]:
        p = prior["effect"]
        return {"effect_prior_mean": np.asarray(p.mean), "effect_prior_sd": np.asarray(p.sd)}

    def estimands(self, idata: Any) -> list[EstimandDraws]:
        return [EstimandDraws(endpoint=self.endpoint, estimand="difference_54",
                              label=f"{self.endpoint} difference",
                              draws=idata.posterior["effect"].to_numpy(), null=0.0,
                              superior="higher")]

    def reproduce(self, idata: Any) -> pd.DataFrame | None:
        return None

    def prior_grid(self) -> dict[str, Any]:
        from bayes_scot.stats.priors import prior_grid

        return prior_grid(design_effect=0.2, benefit="higher", reference_sd=0.5)


class SurvivalStandIn(StandIn):
    endpoint = "efs"

    def transition_hazards(self, idata: Any) -> xr.DataArray:
        effect = idata.posterior["effect"]
        # Monthly hazards of a few percent a year; HSCT's scaled by exp(-effect).
        base = xr.DataArray(np.full((2, 3, 2), 0.004), dims=("arm", "transition", "interval"),
                            coords={"arm": ["hsct", "cyc"], "transition": list(TRANSITIONS)})
        scale = xr.DataArray([1.0, 0.0], dims="arm", coords={"arm": ["hsct", "cyc"]})
        out = base * np.exp(-effect * scale)
        out.attrs = {"boundaries_months": (0.0, 24.0, 72.0)}
        return out.transpose("chain", "draw", "arm", "transition", "interval")


class LongitudinalStandIn(StandIn):
    endpoint = "fvc"


class CompositeStandIn(StandIn):
    endpoint = "grcs"


class StandInCompiled:
    def sample(self, data: Mapping[str, np.ndarray], *, settings: Any, seed: int,
               log_likelihood: bool = False) -> Any:
        rng = np.random.default_rng(seed)
        shape = (settings.chains, settings.draws)
        effect = rng.normal(float(data["effect_prior_mean"]) + 0.05, 0.1, size=shape)
        # Levels at 0 and 54 months: FVC 75, HAQ-DI 1.4, mRSS 30, HSCT better by the effect.
        centre = np.array([75.0, 1.4, 30.0])
        sign = np.array([1.0, -1.0, -1.0])
        level = np.broadcast_to(centre[:, None, None], (3, 2, 2)).copy()
        level = level + np.zeros((*shape, 1, 1, 1))
        level[..., 0, 1] += sign * 10.0 * effect[..., None]
        return az.from_dict(
            posterior={"effect": effect, "level": level},
            coords={"endpoint": list(LEVELS), "arm": ["hsct", "cyc"], "visit": [0.0, 54.0]},
            dims={"level": ["endpoint", "arm", "visit"]},
        )


#: What ``diagnose`` reports for every stand-in fit: converged.
CONVERGED = Diagnostics(rhat_max=1.0, ess_bulk_min=1000.0, divergences=0)


@pytest.fixture
def stand_in(install_stand_in_families: Any) -> None:
    families = {"survival": SurvivalStandIn, "longitudinal": LongitudinalStandIn,
                "composite": CompositeStandIn}
    install_stand_in_families(families, StandInOptions, StandInCompiled(), CONVERGED)


SPEC = """\
[analysis]
name = "stand_in"
title = "Stand-in"
seed = 5

[[trials]]
name = "scot"

[sampler]
draws = 50
chains = 2

[priors]
grid = ["reference", "skeptical_strong"]

[survival]

[longitudinal]

[composite]
"""


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(SPEC)
    return path


def model_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["estimand"].str.startswith("model_")]


def test_model_based_rows_under_the_reference_prior(stand_in: None, spec_file: Path) -> None:
    result = reanalyse(spec_file, progress=False)
    rows = model_rows(result.table())
    assert set(rows["estimand"]) == {f"model_{s}_54" for s in (
        "p_win", "p_loss", "net_benefit", "win_ratio", "win_odds", "win_probability")}
    assert set(rows["family"]) == {"composite"}
    assert set(rows["prior"]) == {"reference"}  # the reference fits only
    assert set(rows["evidence"]) == {MODEL_BASED_EVIDENCE}
    assert rows["label"].str.contains("paired, taken as independent").all()
    # the direct route keeps its own rows under every prior
    direct = result.table().query("family == 'composite' and estimand == 'difference_54'")
    assert list(direct["prior"]) == ["reference", "skeptical_strong"]

    reproduce = result.reproduce()
    model = reproduce[reproduce["statistic"] == "percent_favourable_model_based"]
    assert list(model["arm"]) == ["hsct", "cyc"]
    assert set(model["family"]) == {"composite"}
    assert set(model["prior"]) == {"reference"}
    published = load_trial("scot").evidence("pairwise", endpoint="grcs")[0]
    assert model["published"].tolist() == [published.percent_favourable["hsct"],
                                           published.percent_favourable["cyc"]]
    assert (model["lower"] <= model["upper"]).all()

    diagnostics = result.diagnostics()
    assert "composite (model-based)" in set(diagnostics["family"])


def test_outcome_sds_come_from_the_evidence(stand_in: None, spec_file: Path) -> None:
    result = reanalyse(spec_file, progress=False, priors=["reference"])
    fit = next(f for f in result.fits if f.route)
    attrs = fit.estimand("grcs", "model_net_benefit_54").attrs
    everything = load_trial("scot", population="all")
    baselines = {
        e.endpoint: e for e in everything.evidence("visit_summaries")
        if e.time_months == 0 and e.sd and "pooled" in e.sd
    }
    spread = load_external().evidence("population_spread", endpoint="haq_di")[0]
    assert attrs["outcome_sds"] == {"fvc": baselines["fvc"].sd["pooled"],
                                    "haq_di": spread.sd,
                                    "mrss": baselines["mrss"].sd["pooled"]}
    sources = attrs["outcome_sd_sources"]
    assert baselines["fvc"].id in sources["fvc"]
    assert baselines["mrss"].id in sources["mrss"]
    assert spread.id in sources["haq_di"]
    assert "external" in sources["haq_di"]
    assert any("paired" in a or "pairs" in a for a in result.assumptions)
    assert any(spread.id in a for a in result.assumptions)


def test_the_pair_counting_kernel_is_compiled_while_the_batches_sample(
    stand_in: None, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The GRCS comes last, but its kernel is compiled before the first fit is read."""
    from bayes_scot.reanalysis import runner
    from bayes_scot.stats.win import kernel

    events: list[str] = []
    monkeypatch.setattr(kernel, "compile_kernel", lambda: events.append("compile kernel"))
    finish = runner._Runner.finish_family

    def finish_family(self: Any, started: Any, **kwargs: Any) -> Any:
        events.append(f"read {started.family.family}")
        return finish(self, started, **kwargs)

    monkeypatch.setattr(runner._Runner, "finish_family", finish_family)
    reanalyse(spec_file, progress=False, priors=["reference"])
    assert events == ["compile kernel",
                      *(f"read {f}" for f in ("survival", "longitudinal", "composite"))]


def test_switched_off(stand_in: None, spec_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bayes_scot.stats.win import kernel

    monkeypatch.setattr(kernel, "compile_kernel", lambda: pytest.fail("compiled for nothing"))
    spec_file.write_text(SPEC + "model_based = false\n")
    result = reanalyse(spec_file, progress=False, priors=["reference"])
    assert model_rows(result.table()).empty
    assert not (result.reproduce()["statistic"] == "percent_favourable_model_based").any()
    assert not any(f.route for f in result.fits)


def test_skipped_without_a_family_it_needs(stand_in: None, spec_file: Path) -> None:
    result = reanalyse(spec_file, progress=False, priors=["reference"],
                       families=["survival", "composite"])
    assert model_rows(result.table()).empty
    assert result.families == ("survival", "composite")


def test_joint_probabilities_say_the_fits_are_paired(stand_in: None, spec_file: Path) -> None:
    spec_file.write_text(SPEC.replace(
        "[survival]\n",
        '[joint]\nestimands = ["efs:difference_54", "grcs:difference_54", '
        '"grcs:model_net_benefit_54"]\n\n[survival]\n'))
    joint = reanalyse(spec_file, progress=False, priors=["reference"]).joint_probabilities()
    basis = joint["basis"].iloc[0]
    assert "composite (model-based)" in basis  # a group of its own, not the direct fit's
    assert "treating the two separately fitted posteriors as independent" in basis
    # Model-based draws exist under the reference prior only: not a joint estimand then.
    with pytest.raises(SpecError, match=r"joint.estimands\[2\]"):
        reanalyse(spec_file, progress=False)


def test_progress_line(stand_in: None, spec_file: Path) -> None:
    lines: list[str] = []
    reanalyse(spec_file, progress=lines.append, priors=["reference"])
    assert any(line.startswith("bayes-scot: composite (model-based) reference:")
               for line in lines)
