"""Formatting and escaping helpers of the report, and JSON conversion."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from bayes_scot.report.render import _code, _md, _number, _probability, environment
from bayes_scot.report.summary import jsonable, records


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a | b", "a \\| b"), ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"), ("two\nlines", "two lines"),
     ("*bold*", "\\*bold\\*"), ("survival_difference_54", "survival_difference_54"),
     (None, "")],
)
def test_markdown_escaping(text: str | None, expected: str) -> None:
    assert _md(text) == expected


def test_code_span_text() -> None:
    assert _code("a`b\nc") == "a'b c"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.123456, "0.123"), (12345.6, "12,346"), (float("nan"), "–"), (None, "–"), (3, "3"),
     (True, "yes"), (0.0, "0"), (-0.0002021, "0.000"), (5.42e-05, "0.000"), (2.345, "2.35"),
     (45.0, "45")],
)
def test_numbers(value: object, expected: str) -> None:
    assert _number(value) == expected


def test_probabilities_keep_three_decimals() -> None:
    assert _probability(0.9999) == "> 0.999"
    assert _probability(0.95) == "0.950"
    assert _probability(float("nan")) == "–"


def test_html_templates_autoescape_and_markdown_does_not() -> None:
    env = environment()
    assert env.get_template("index.html").environment.autoescape("index.html")
    assert not env.autoescape("report.md")  # type: ignore[operator]


def test_jsonable_turns_nan_into_null_and_numpy_into_python() -> None:
    value = {"a": np.float64("nan"), "b": np.int64(3), "c": (1.0, math.inf), "d": np.bool_(True)}
    assert jsonable(value) == {"a": None, "b": 3, "c": [1.0, None], "d": True}
    frame = pd.DataFrame({"x": [1.0, float("nan")], "y": ["a", None]})
    text = json.dumps(records(frame), allow_nan=False)
    assert json.loads(text) == [{"x": 1.0, "y": "a"}, {"x": None, "y": None}]
