"""The documentation builds with warnings as errors, as CI builds it.

The build runs in a separate process (as ``python -m sphinx`` does in CI) into a temporary
folder; the generated pages it writes into ``docs/`` are git-ignored.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import bayes_scot
from bayes_scot.data import list_trials, load_external, load_trial

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html")
    doctrees = tmp_path_factory.mktemp("doctrees")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(doctrees), str(DOCS), str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return out


def _text(page: Path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))


@pytest.mark.slow
def test_site_has_the_front_pages(site: Path) -> None:
    for page in ("index.html", "getting-started.html", "provenance.html", "api/index.html",
                 "user-guide/index.html", "examples/scot_reanalysis.html"):
        assert (site / page).is_file(), page


@pytest.mark.slow
def test_getting_started_gives_the_readme_commands(site: Path) -> None:
    text = _text(site / "getting-started.html")
    assert "pip install . &amp;&amp; bayes-scot report --out scot-report" in text
    assert 'pip install -e ".[test,docs]" &amp;&amp; pytest' in text.replace("&quot;", '"')


@pytest.mark.slow
@pytest.mark.parametrize("name", [*list_trials(), "external"])
def test_provenance_lists_every_entry_of_every_shipped_trial(site: Path, name: str) -> None:
    text = _text(site / "provenance.html")
    trial = load_external() if name == "external" else load_trial(name, population="all")
    missing = [e.id for e in trial.entries if e.id not in text]
    assert not missing
    for entry in trial.entries:
        assert entry.source.citation.split(",")[0] in text


@pytest.mark.slow
def test_api_reference_documents_every_public_name(site: Path) -> None:
    index = _text(site / "api" / "index.html")
    for name in bayes_scot.__all__:
        if name.startswith("__"):
            continue
        assert f"bayes_scot.{name}" in index, name
    # A reference to a top-level name links to where the object is documented.
    front = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r'href="api/generated/[a-z]+\.html#bayes_scot\.[\w.]*reanalyse_effect"',
                     front)
    plots_page = _text(site / "api" / "generated" / "plots.html")
    for name in ("plot_superiority", "plot_prior_sensitivity", "plot_survival",
                 "plot_trajectories", "plot_prior_posterior", "plot_win_statistics"):
        assert name in plots_page
