"""Every ```python block of README.md and docs/**/*.md runs, as a reader would run it.

The blocks of one page run in order in one namespace (a later block may use what an earlier
one made), in a temporary folder holding the files the pages name: ``my_analysis.toml``
and ``my-plan.toml`` (copies of the shipped ``scot_itt`` plan), ``my-scot.toml`` (a copy
of the shipped SCOT trial file), ``curve.csv`` and ``risk.csv`` (the Kaplan-Meier curve of
GBSG2's hormone-therapy arm and its yearly risk table, as the reconstruction page
describes), and ``scot-report/`` (a report of the shared fit, for the pages that read one).

A block that cannot run says so in the page, on the line before its fence, with a
reason: ``<!-- docs-test: skip: needs a Dask cluster at its address -->``. A block that
is slow for another reason than a reanalysis says ``<!-- docs-test: slow -->``.

Pages that call ``reanalyse()`` share one fitted reanalysis (the slow session fixture
``quick_reanalysis``, reduced draws): ``bayes_scot.reanalyse`` is replaced for the page by
a function that reads and checks the specification and overrides exactly as
``reanalyse()`` does before any model is built (:func:`bayes_scot.spec.load_spec`,
:meth:`~bayes_scot.spec.AnalysisSpec.with_overrides`), then returns the shared fit. So
every documented call is checked for its names and arguments, and the results the pages
then use are those of a real reanalysis.
"""

from __future__ import annotations

import re
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]

#: The fence of a Python block, and the marker a page may put on the line before it.
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
MARKER = re.compile(r"<!--\s*docs-test:\s*(skip|slow)\s*(?::\s*(.*?))?\s*-->\s*$")

#: What makes a page need the shared reanalysis (its later blocks use the fit it makes).
NEEDS_FIT = re.compile(r"\breanalyse\(|scot-report/")


@dataclass(frozen=True)
class Block:
    """One ```python block of a page."""

    page: str
    line: int
    source: str
    skip: str | None  # the reason, when the page marks the block to skip
    slow: bool


def _pages() -> list[Path]:
    docs = [p for p in sorted((ROOT / "docs").rglob("*.md"))
            if not {"_build", "generated"} & set(p.relative_to(ROOT).parts)]
    return [ROOT / "README.md", *docs]


def _blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.search(before)
        kind, reason = (marker.group(1), marker.group(2)) if marker else (None, None)
        if kind == "skip" and not reason:
            raise AssertionError(f"{page.name}: a docs-test skip marker needs a reason")
        source = match.group(1)
        blocks.append(Block(
            page=str(page.relative_to(ROOT)), line=text.count("\n", 0, match.start()) + 1,
            source=source, skip=reason if kind == "skip" else None,
            slow=kind == "slow" or bool(NEEDS_FIT.search(source)),
        ))
    return blocks


PAGES = {str(p.relative_to(ROOT)): _blocks(p) for p in _pages()}
PAGES = {name: blocks for name, blocks in PAGES.items() if blocks}


def _params() -> Iterator[Any]:
    for name, blocks in PAGES.items():
        runs = [b for b in blocks if b.skip is None]
        marks = [pytest.mark.slow] if any(b.slow for b in runs) else []
        if not runs:
            reasons = "; ".join(sorted({b.skip or "" for b in blocks}))
            marks.append(pytest.mark.skip(reason=f"the page marks every block: {reasons}"))
        yield pytest.param(name, id=name, marks=marks)


@pytest.fixture
def reader_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with the files the pages name."""
    from bayes_scot.data import TRIALS_DIR

    shutil.copy(ROOT / "models" / "scot_itt.toml", tmp_path / "my_analysis.toml")
    shutil.copy(ROOT / "models" / "scot_itt.toml", tmp_path / "my-plan.toml")
    shutil.copy(Path(TRIALS_DIR) / "scot.toml", tmp_path / "my-scot.toml")
    _digitised_gbsg2(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _digitised_gbsg2(folder: Path) -> None:
    """Write the curve and yearly risk table of GBSG2's hormone-therapy arm (94 events)."""
    from survival_reference import load
    from test_stats_reconstruction import digitise

    arm = load("gbsg2").query("horTh == 'yes'")
    times, survival, risk_times, n_risk, events = digitise(
        arm["time"].to_numpy(float) / 365.25, arm["cens"].to_numpy(int), step=1.0)
    assert events == 94  # the total the page passes
    (folder / "curve.csv").write_text("time,survival\n" + "".join(
        f"{t:.6f},{s:.6f}\n" for t, s in zip(times, survival, strict=True)))
    (folder / "risk.csv").write_text("time,n_risk\n" + "".join(
        f"{t:g},{n:d}\n" for t, n in zip(risk_times, n_risk, strict=True)))


def _shared_fit(page: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                folder: Path) -> None:
    """Make ``bs.reanalyse`` check its arguments, then return the shared fit."""
    import bayes_scot
    from bayes_scot.spec import AnalysisSpec, load_spec

    fit = request.getfixturevalue("quick_reanalysis")

    def reanalyse(spec: Any = None, *, progress: Any = True, **overrides: Any) -> Any:
        resolved = spec if isinstance(spec, AnalysisSpec) else load_spec(spec)
        resolved.with_overrides(**overrides)
        return fit

    monkeypatch.setattr(bayes_scot, "reanalyse", reanalyse)
    if any("scot-report/" in b.source for b in PAGES[page]):
        fit.write_report(folder / "scot-report")


@pytest.mark.parametrize("page", list(_params()))
def test_page_examples_run(page: str, reader_folder: Path, request: pytest.FixtureRequest,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = PAGES[page]
    if any(b.slow and b.skip is None for b in blocks):
        _shared_fit(page, request, monkeypatch, reader_folder)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    ran = 0
    for block in blocks:
        if block.skip is not None:
            continue
        code = compile(block.source, f"{page}:{block.line}", "exec")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(code, namespace)  # a failing block names its page and line
        ran += 1
    assert ran == sum(b.skip is None for b in blocks)


def test_every_page_with_python_is_found_and_markers_are_understood() -> None:
    assert "README.md" in PAGES
    assert "docs/user-guide/reanalysis.md" in PAGES
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        for comment in re.findall(r"<!--\s*docs-test[^>]*-->", text):
            assert MARKER.search(comment), f"{page.name}: unreadable marker {comment!r}"
    skipped = [b for blocks in PAGES.values() for b in blocks if b.skip is not None]
    total = sum(len(blocks) for blocks in PAGES.values())
    # Most examples run; a skipped one says why in the page itself.
    assert len(skipped) <= total // 4, [(b.page, b.line, b.skip) for b in skipped]
    assert all(len(b.skip or "") > 10 for b in skipped)


def test_the_readme_notebook_snippet_is_one_of_the_executed_blocks() -> None:
    (block,) = PAGES["README.md"]
    assert block.skip is None
    assert block.slow
    assert "bs.reanalyse()" in block.source
    assert "fit.write_report" in block.source
