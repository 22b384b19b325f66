"""The package's layers never import upward, and the lower layers never import PyMC.

The rule (ARCHITECTURE.md): each layer imports only the layers above it. The check reads
every module's import statements with :mod:`ast`, so it fails the moment a module reaches
down the stack, whether or not that import path is exercised by another test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bayes_scot"

#: Rank of each top-level part of the package; a module may import ranks <= its own.
LAYER_RANK: dict[str, int] = {
    "errors": 0,
    "conventions": 0,
    "files": 0,
    "schema": 0,
    "evidence": 1,
    "data": 2,
    "stats": 3,
    "likelihood": 4,
    "builders": 5,
    "fitting": 6,
    "_compat": 6,
    "results": 7,
    "spec": 8,
    "prior_overrides": 8,
    "plots": 8,
    "report": 8,
    "reanalysis": 8,
    "cli": 8,
    "calibration": 8,
}

#: Layers that must stay importable without PyMC/PyTensor/nutpie.
PYMC_FREE = {"errors", "conventions", "files", "schema", "evidence", "data", "stats", "results"}
PYMC_MODULES = {"pymc", "pytensor", "nutpie"}


def _part(module_path: Path) -> str:
    relative = module_path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def _imports(module_path: Path) -> list[str]:
    tree = ast.parse(module_path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


MODULES = sorted(
    p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE
)


@pytest.mark.parametrize("module_path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_lower_layers(module_path: Path) -> None:
    part = _part(module_path)
    assert part in LAYER_RANK, f"{part} has no layer in LAYER_RANK: add it to ARCHITECTURE.md"
    own = LAYER_RANK[part]
    for name in _imports(module_path):
        if not name.startswith("bayes_scot."):
            continue
        target = name.split(".")[1]
        assert target in LAYER_RANK, f"unknown part {target}"
        assert LAYER_RANK[target] <= own, (
            f"{module_path.relative_to(PACKAGE)} (layer {own}) imports {name} "
            f"(layer {LAYER_RANK[target]}): layers must not import upward"
        )


@pytest.mark.parametrize(
    "module_path",
    [p for p in MODULES if _part(p) in PYMC_FREE],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_lower_layers_do_not_import_pymc(module_path: Path) -> None:
    for name in _imports(module_path):
        assert name.split(".")[0] not in PYMC_MODULES, (
            f"{module_path.relative_to(PACKAGE)} imports {name}; this layer must stay "
            "PyMC-free"
        )


def test_import_is_light() -> None:
    """``import bayes_scot`` must not pull in PyMC (notebook start-up, CLI help)."""
    import subprocess
    import sys

    code = (
        "import sys, bayes_scot; "
        "bad = [m for m in ('pymc', 'pytensor', 'nutpie') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
