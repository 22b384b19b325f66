"""Source and documentation files hold printable text only.

A backslash escape written into a non-raw string (``"\\alpha"`` in a docstring) becomes
a control character (BEL) that renders as nothing, silently garbling the formula.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FILES = sorted(
    p for pattern in ("bayes_scot/**/*.py", "bayes_scot/**/*.toml", "bayes_scot/**/*.md",
                      "bayes_scot/**/*.html", "tests/*.py", "benchmarks/*.py",
                      "docs/**/*.md", "models/*.toml", "*.md")
    for p in ROOT.glob(pattern) if "_build" not in p.parts
)


def test_no_control_characters() -> None:
    assert len(FILES) > 100  # the scan finds the tree
    offenders = []
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        found = CONTROL.search(text)
        if found:
            line = text.count("\n", 0, found.start()) + 1
            offenders.append(f"{path.relative_to(ROOT)}:{line}: {found.group()!r}")
    assert not offenders, "control characters: " + "; ".join(offenders)
