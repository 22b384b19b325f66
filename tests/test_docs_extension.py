"""The documentation's Sphinx extension: docstring escaping, notebook pages, provenance text.

Fast tests of the pure functions of ``docs/_ext/bayes_scot_docs.py``; the full build is
tested in ``test_docs_build.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))

import bayes_scot_docs as ext


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("max |dS| between curves", r"max \|dS\| between curves"),
        ("the bound |a - b|.", r"the bound \|a - b\|."),
        (":math:`|x|` stays maths", ":math:`|x|` stays maths"),
        ("a ``|x|`` literal, and |y|", r"a ``|x|`` literal, and \|y\|"),
        ("| a | b |", "| a | b |"),  # a line block or table row is left alone
        ("x || y", "x || y"),
        ("see |ref|_ here", "see |ref|_ here"),  # a substitution reference with a link
    ],
)
def test_absolute_values_in_docstrings_are_escaped(line: str, expected: str) -> None:
    lines = [line]
    ext._escape_absolute_values(None, "function", "f", None, None, lines)  # type: ignore[arg-type]
    assert lines == [expected]


def test_notebook_page_keeps_markdown_and_code_in_order(tmp_path: Path) -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Title\n", "Intro."]},
            {"cell_type": "code", "source": ["x = 1\n", "x"], "outputs": []},
            {"cell_type": "code", "source": [], "outputs": []},
            {"cell_type": "markdown", "source": "## Next"},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    examples = tmp_path / "examples"
    examples.mkdir()
    path = examples / "demo.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    page = ext._notebook_markdown(path, tmp_path / "docs" / "examples")
    assert page.startswith("# Title\nIntro.\n")
    note = page.index("{note}")
    code = page.index("```ipython3\nx = 1\nx\n```")
    assert note < code < page.index("## Next")
    assert page.count("```ipython3") == 1  # the empty cell is left out
    assert "{download}`demo.ipynb <../../examples/demo.ipynb>`" in page


def test_provenance_values_are_grouped_by_statistic() -> None:
    frame = pd.DataFrame({
        "statistic": ["events", "events", "n", "n", "p_value"],
        "arm": ["hsct", "cyc", "hsct", "cyc", None],
        "value": [10.0, 20.0, 36.0, 39.0, 0.06],
    })
    assert ext._values_text(frame) == "events: hsct 10, cyc 20; n: hsct 36, cyc 39; p_value: 0.06"


def test_api_parts_follow_the_layers() -> None:
    import bayes_scot

    parts = ext._parts(bayes_scot)
    assert parts[:4] == ["errors", "conventions", "evidence", "data"]
    assert parts.index("stats") < parts.index("plots") < parts.index("cli")
