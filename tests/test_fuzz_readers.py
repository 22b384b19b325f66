"""Fuzzing the trial-file and specification readers with generated TOML (hypothesis).

Each example takes a valid document (the documented template trial file, or a small
valid specification) and changes it at random: a value replaced by any TOML value (huge
integers, NaN, infinities, strings with control characters, nested arrays and tables), a
key removed, or a key added. The readers may accept the result or refuse it, but only
with :class:`~bayes_scot.errors.EvidenceError` (trial files) or
:class:`~bayes_scot.errors.SpecError` (specifications), in one line. The trial-file
reader turns any unexpected exception into an ``EvidenceError`` saying "could not read
the trial file (<exception>)"; that message is a bug here too.

The examples are derandomised (hypothesis's fixed seed), so the test is deterministic;
``FUZZ_EXAMPLES=2000 pytest tests/test_fuzz_readers.py`` runs that many random examples
instead, to hunt for new failures.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hostile_corpus as corpus
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bayes_scot.data.loader import read_trial_file
from bayes_scot.errors import EvidenceError, SpecError
from bayes_scot.spec import load_spec

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")), deadline=None,
                derandomize=not os.environ.get("FUZZ_EXAMPLES"),
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

#: Keys the readers know, so that added keys sometimes land on a real rule.
KEYS = ["id", "name", "path", "population", "endpoint", "arm", "n", "events", "value",
        "time_months", "survival", "lower", "upper", "seed", "draws", "chains", "grid",
        "estimands", "source", "tag", "kind", "better", "curve_file", "options", "x"]

leaves = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.booleans(),
    st.sampled_from(["scot", "itt", "efs", "hsct", "reference", "reported", "HR", ""]),
)
toml_values = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children,
                      max_size=4),
    max_leaves=12,
)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def to_toml(document: dict[str, Any]) -> str:
    """Write a document as TOML: one ``key = value`` line per top-level key, inline below."""
    return "".join(f"{json.dumps(k)} = {_toml_value(v)}\n" for k, v in document.items())


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            paths += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            paths += _paths(child, (*prefix, i))
    return paths


@st.composite
def mutated(draw: st.DrawFn, document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with one to three random changes."""
    doc = tomllib.loads(to_toml(document))  # a deep copy
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        change = draw(st.sampled_from(["replace", "remove", "add"]))
        if change == "replace":
            parent[path[-1]] = draw(toml_values)
        elif change == "remove":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = draw(toml_values)
        else:
            parent.append(draw(toml_values))
    return doc


TEMPLATE = tomllib.loads(corpus.TEMPLATE)
SPEC = tomllib.loads(corpus.SPEC)


def test_serialiser_round_trips() -> None:
    assert tomllib.loads(to_toml(TEMPLATE)) == TEMPLATE
    assert tomllib.loads(to_toml(SPEC)) == SPEC


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz")
    (path / "curve.csv").write_text(corpus.CURVE_CSV)
    (path / "risk.csv").write_text(corpus.RISK_CSV)
    # Reading a specification imports the model families once, and PyTensor raises the
    # recursion limit on import: do it before hypothesis watches the limit.
    (path / "base.toml").write_text(corpus.SPEC)
    load_spec(path / "base.toml")
    return path


def refusal(read: Callable[[Path], object], path: Path, error: type[Exception]) -> str:
    """Read ``path``; return the refusal's message ("" when accepted)."""
    try:
        read(path)
    except error as err:
        return str(err)
    return ""


def assert_plain_refusal(message: str) -> None:
    assert "\n" not in message
    assert "could not read the trial file (" not in message, message


@FUZZ
@given(document=mutated(TEMPLATE))
def test_trial_reader_raises_only_evidence_errors(document: dict[str, Any],
                                                  folder: Path) -> None:
    path = folder / "trial.toml"
    path.write_text(to_toml(document), encoding="utf-8")
    assert_plain_refusal(refusal(read_trial_file, path, EvidenceError))


@FUZZ
@given(document=mutated(SPEC))
def test_spec_reader_raises_only_spec_errors(document: dict[str, Any], folder: Path) -> None:
    path = folder / "spec.toml"
    path.write_text(to_toml(document), encoding="utf-8")
    assert_plain_refusal(refusal(load_spec, path, SpecError))


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list('[]{}="., \n#abc1\x00\x1b\\')), max_size=60))
def test_readers_on_arbitrary_text(text: str, folder: Path) -> None:
    """Text that is barely TOML: both readers refuse it in one line (or accept it)."""
    path = folder / "any.toml"
    path.write_text(text, encoding="utf-8")
    assert_plain_refusal(refusal(read_trial_file, path, EvidenceError))
    assert_plain_refusal(refusal(load_spec, path, SpecError))
