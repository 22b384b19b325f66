"""Report writing from a Reanalysis assembled from simulated draws (no sampling)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import arviz as az
import numpy as np
import pytest

import bayes_scot.report.writer as writer
from bayes_scot.errors import EvidenceError
from bayes_scot.reanalysis import Reanalysis
from bayes_scot.report import REPORT_FILES, SCHEMA_VERSION, write_report
from bayes_scot.results import PriorFit
from bayes_scot.spec import AnalysisSpec, FamilySpec, JointSpec, PriorScale, TrialSpec
from bayes_scot.stats.estimands import EstimandDraws

HOSTILE = "<script>alert('x')</script> & \"quotes\""


@dataclass(frozen=True)
class Diag:
    rhat_max: float
    ess_bulk_min: float
    divergences: int


def simulated_reanalysis(
    title: str = "Simulated reanalysis", *, diverging: bool = False
) -> Reanalysis:
    """Two priors, two estimands of one simulated fit; every number here is simulated."""
    rng = np.random.default_rng(11)
    fits = []
    for prior, shift in (("reference", 0.0), ("skeptical_strong", -0.05)):
        log_hr = rng.normal(-0.6 + shift, 0.3, size=(4, 500))
        diff = rng.normal(0.2 + shift, 0.1, size=(4, 500))
        estimands = (
            EstimandDraws(endpoint="efs", estimand="survival_difference_54",
                          label=f"EFS difference at 54 months {HOSTILE}", draws=diff, null=0.0,
                          superior="higher", mcid=0.1, mcid_source="simulated", unit="proportion"),
            EstimandDraws(endpoint="os", estimand="hazard_ratio", label="OS hazard ratio",
                          draws=np.exp(log_hr), null=1.0, superior="lower", mcid=0.8),
        )
        idata = az.from_dict(posterior={"log_hr": log_hr})
        effect = PriorScale(design_effect=-0.69, benefit="lower", reference_sd=2.0).grid()[prior]
        fits.append(PriorFit(
            family="survival", prior=prior, estimands=estimands,
            diagnostics=Diag(1.002, 1500.0, 2 if diverging and prior == "reference" else 0),
            effect_priors={"log_hr": effect}, idata=idata, seconds=1.0,
        ))
    spec = AnalysisSpec(
        name="simulated",
        title=title,
        description="Simulated draws for testing the report.",
        trials=(TrialSpec(name="scot", assumptions=(f"assumption {HOSTILE}",)),),
        families=(FamilySpec(family="survival"),),
        priors=("reference", "skeptical_strong"),
        joint=JointSpec(estimands=("efs:survival_difference_54", "os:hazard_ratio")),
        text=f"[analysis]\ntitle = \"{title}\"\n",
    )
    provenance = {"created": "2026-01-01T00:00:00+00:00", "packages": {"bayes_scot": "0.1.0"},
                  "data": {"scot": {"population": "itt", "data_hash": "abc", "file_sha256": ""}},
                  "seed": spec.seed}
    return Reanalysis(spec=spec, fits=fits, provenance=provenance)


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports") / "report"
    return write_report(simulated_reanalysis(HOSTILE, diverging=True), out)


def test_writes_every_artefact(report_dir: Path) -> None:
    assert sorted(p.name for p in report_dir.iterdir()) == sorted(REPORT_FILES)
    pngs = list((report_dir / "figures").glob("*.png"))
    assert pngs, "the forest plot and heat map need only the table"
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)


def test_html_escapes_user_text_and_embeds_figures(report_dir: Path) -> None:
    page = (report_dir / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert page.count("<script") == 1  # the report's own table filter, nothing else
    assert "&lt;script&gt;alert(" in page
    assert "data:image/png;base64," in page
    assert 'src="figures/' not in page  # self-contained: no link to a file


def test_markdown_escapes_html(report_dir: Path) -> None:
    text = (report_dir / "report.md").read_text(encoding="utf-8")
    assert "<script>" not in text
    assert "](figures/superiority.png)" in text


def test_markdown_provenance_keeps_one_item_per_line(tmp_path: Path) -> None:
    """The sampler item states the family's own settings and ends; the next starts anew."""
    base = simulated_reanalysis()
    family = FamilySpec(family="survival", sampler={"backend": "blackjax", "max_treedepth": 5})
    spec = dataclasses.replace(base.spec, families=(family,))
    out = write_report(Reanalysis(spec=spec, fits=base.fits, provenance=base.provenance),
                       tmp_path / "report")
    lines = (out / "report.md").read_text(encoding="utf-8").splitlines()
    sampler = next(line for line in lines if line.startswith("- Sampler:"))
    # The specification's default (nutpie, tree depth 10) ran nowhere: it is not quoted.
    assert sampler == ("- Sampler: survival: blackjax, 4 chains × 1000 draws after 1000 "
                       "tuning steps, target acceptance 0.9, tree depth at most 5.")
    assert any(line.startswith("- Input data scot:") for line in lines)


def test_summary_schema(report_dir: Path) -> None:
    doc = json.loads((report_dir / "summary.json").read_text(encoding="utf-8"))
    assert doc["schema_version"] == SCHEMA_VERSION
    for key in ("spec", "seed", "packages", "input_data", "table", "joint_probabilities",
                "diagnostics", "reproduce", "assumptions", "gate", "credible_level",
                "power_scaling", "figures", "notes"):
        assert key in doc, key
    assert doc["spec"]["title"] == HOSTILE  # JSON keeps the text verbatim
    assert len(doc["table"]) == 4
    row = doc["table"][0]
    for column in ("endpoint", "estimand", "prior", "median", "lower", "upper", "p_superior",
                   "p_mcid", "p_harm", "rhat", "ess_bulk", "divergences", "evidence",
                   "label", "mcid", "unit", "flagged"):
        assert column in row, column
    assert doc["gate"]["flagged_rows"] == 2  # both estimands of the diverging reference fit
    assert [j["event"] for j in doc["joint_probabilities"]][:2] == ["any", "all"]
    assert any("assumption" in a for a in doc["assumptions"])
    assert {p["estimand"] for p in doc["power_scaling"]} == {"survival_difference_54",
                                                              "hazard_ratio"}


def test_flagged_results_are_shown(report_dir: Path) -> None:
    page = (report_dir / "index.html").read_text(encoding="utf-8")
    assert "failed the" in page
    assert "2 divergent transitions" in page


def test_failure_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_ctx: object) -> str:
        raise RuntimeError("injected failure while rendering HTML")

    monkeypatch.setattr(writer, "render_html", broken)
    out = tmp_path / "report"
    with pytest.raises(RuntimeError, match="injected"):
        write_report(simulated_reanalysis(), out, figures=False)
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_previous_report(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    out = write_report(simulated_reanalysis("first"), tmp_path / "report", figures=False)
    before = (out / "summary.json").read_text(encoding="utf-8")
    monkeypatch.setattr(writer, "render_markdown",
                        lambda _ctx: (_ for _ in ()).throw(RuntimeError("injected")))
    with pytest.raises(RuntimeError):
        write_report(simulated_reanalysis("second"), out, figures=False)
    assert (out / "summary.json").read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_replaces_an_earlier_report(tmp_path: Path) -> None:
    out = write_report(simulated_reanalysis("first"), tmp_path / "r", figures=False)
    write_report(simulated_reanalysis("second"), out, figures=False)
    assert json.loads((out / "summary.json").read_text())["spec"]["title"] == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_refuses_to_replace_other_content(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(EvidenceError, match="not a bayes-scot report"):
        write_report(simulated_reanalysis(), tmp_path, figures=False)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_repr_html_escapes() -> None:
    html = simulated_reanalysis(HOSTILE)._repr_html_()
    assert "<script>" not in html
    assert "P(superior)" in html


@pytest.mark.parametrize(("method", "function"), [
    ("joint_probabilities", "joint_probabilities"), ("priors_table", "priors_table"),
    ("tipping_points", "tipping_points"), ("reproduce", "reproduce_table"),
    ("structure_sensitivity", "structure_sensitivity"),
])
def test_tables_are_computed_once_and_returned_as_copies(
        method: str, function: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The report reads each table several times: computed once, and a caller's edits to
    the frame it got never reach the cache."""
    import bayes_scot.reanalysis.result as result

    calls = []
    original = getattr(result, function)

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(function)
        return original(*args, **kwargs)

    monkeypatch.setattr(result, function, counted)
    reanalysis = simulated_reanalysis()
    first = getattr(reanalysis, method)()
    second = getattr(reanalysis, method)()
    assert len(calls) == 1
    assert second is not first
    assert second.equals(first)
    if len(first.columns):
        first[first.columns[0]] = "edited"
        assert getattr(reanalysis, method)().equals(second)


def test_cached_joint_probabilities_equal_explicit_arguments() -> None:
    """The cached default is the table of the specification's set and threshold."""
    reanalysis = simulated_reanalysis()
    explicit = reanalysis.joint_probabilities(list(reanalysis.spec.joint.estimands),
                                              threshold=reanalysis.spec.joint.threshold)
    assert len(explicit)
    assert reanalysis.joint_probabilities().equals(explicit)
