"""The package's layers never import upward, the lower layers never import PyMC, no cycles.

The rule (ARCHITECTURE.md): each layer imports only the layers above it. The check reads
every module's import statements with :mod:`ast`, in every form (``import bayes_scot.x``,
``from bayes_scot import x``, ``from bayes_scot.x import y``, relative imports, and imports
inside functions), so it fails the moment a module reaches down the stack, whether or not
that import path is exercised by another test. The same import graph must have no cycles.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bayes_scot"

#: Rank of each top-level part of the package; a module may import ranks <= its own.
#: ``bayes_scot`` itself is the package's ``__init__`` (its version and the errors it
#: re-exports); its public names are resolved to the modules that define them.
LAYER_RANK: dict[str, int] = {
    "bayes_scot": 0,
    "errors": 0,
    "conventions": 0,
    "files": 0,
    "schema": 0,
    "_compat": 0,
    "evidence": 1,
    "data": 2,
    "stats": 3,
    "likelihood": 4,
    "builders": 5,
    "fitting": 6,
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


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = sorted(PACKAGE.rglob("*.py"))
NAMES = {_module_name(p): p for p in MODULES}


def _is_package(name: str) -> bool:
    return NAMES[name].name == "__init__.py"


@cache
def _lazy_names() -> dict[str, str]:
    """``bayes_scot.__init__``'s lazily exported names -> the module defining each."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and node.target.id == "_LAZY" and node.value is not None):
            return dict(ast.literal_eval(node.value))
    return {}


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The package modules one import statement loads, as dotted names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module if _is_package(module) else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    found = []
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        if submodule in NAMES:
            found.append(submodule)
        elif base == "bayes_scot" and alias.name in _lazy_names():
            found.append(_lazy_names()[alias.name])
        else:
            found.append(base)
    return found


def _imports(path: Path) -> list[str]:
    """Every module imported by the file at ``path`` (package modules and others)."""
    module = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.extend(_targets(module, node))
    return names


def _internal(name: str) -> str | None:
    """The package module ``name`` refers to (its nearest existing parent), or None."""
    if name != "bayes_scot" and not name.startswith("bayes_scot."):
        return None
    while name not in NAMES:
        name = name.rpartition(".")[0]
    return name


def _part(name: str) -> str:
    return name.split(".")[1] if "." in name else "bayes_scot"


def _graph() -> dict[str, set[str]]:
    """Package module -> the package modules it imports (itself excluded)."""
    graph: dict[str, set[str]] = {}
    for name, path in NAMES.items():
        targets = {_internal(t) for t in _imports(path)}
        graph[name] = {t for t in targets if t is not None and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (``[a, b, ..., a]``) per strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_through(graph, sorted(group)) for group in groups]


def _path_through(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """A closed import path from the group's first module back to itself."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        node = frontier.pop(0)
        for target in sorted(graph[node] & members):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                frontier.append(target)
    return group  # pragma: no cover - a strongly connected group always closes


# -- the checker itself -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import bayes_scot.results.fits", ["bayes_scot.results.fits"]),
        ("from bayes_scot import plots", ["bayes_scot.plots"]),
        ("from bayes_scot import load_trial", ["bayes_scot.data"]),
        ("from bayes_scot import __version__", ["bayes_scot"]),
        ("from bayes_scot.stats.priors import EffectPrior", ["bayes_scot.stats.priors"]),
        ("from bayes_scot.fitting import settings", ["bayes_scot.fitting.settings"]),
        ("from . import settings", ["bayes_scot.fitting.settings"]),
        ("from .settings import SamplerSettings", ["bayes_scot.fitting.settings"]),
        ("from ..stats import priors", ["bayes_scot.stats.priors"]),
        ("from .. import errors", ["bayes_scot.errors"]),
    ],
)
def test_every_import_form_is_resolved(code, expected):
    node = ast.parse(code).body[0]
    assert isinstance(node, ast.Import | ast.ImportFrom)
    assert _targets("bayes_scot.fitting.compiled", node) == expected


def test_cycle_finder_reports_a_closed_path():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


# -- the package --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "module", [n for n in NAMES if n != "bayes_scot"], ids=lambda n: n.removeprefix("bayes_scot.")
)
def test_module_imports_only_lower_layers(module: str) -> None:
    part = _part(module)
    assert part in LAYER_RANK, f"{part} has no layer in LAYER_RANK: add it to ARCHITECTURE.md"
    own = LAYER_RANK[part]
    for name in _imports(NAMES[module]):
        target = _internal(name)
        if target is None:
            continue
        assert _part(target) in LAYER_RANK, f"unknown part {_part(target)}"
        rank = LAYER_RANK[_part(target)]
        assert rank <= own, (
            f"{module} (layer {own}) imports {target} (layer {rank}): layers must not "
            "import upward"
        )


@pytest.mark.parametrize(
    "module",
    [n for n in NAMES if _part(n) in PYMC_FREE and n != "bayes_scot"],
    ids=lambda n: n.removeprefix("bayes_scot."),
)
def test_lower_layers_do_not_import_pymc(module: str) -> None:
    for name in _imports(NAMES[module]):
        assert name.split(".")[0] not in PYMC_MODULES, (
            f"{module} imports {name}; this layer must stay PyMC-free"
        )


#: Cycles through function-level imports, left to the restructuring of issue #17 (a spec
#: method delegating to the overrides that build specs). No other cycle may appear.
KNOWN_CYCLES = {
    frozenset({"bayes_scot.spec.records", "bayes_scot.spec.overrides"}),
}


def test_modules_import_each_other_without_cycles() -> None:
    cycles = [c for c in _cycles(_graph()) if frozenset(c) not in KNOWN_CYCLES]
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_import_is_light() -> None:
    """``import bayes_scot`` (and the version seam every layer may use) pulls in no PyMC."""
    import subprocess
    import sys

    code = (
        "import sys, bayes_scot, bayes_scot._compat; "
        "bad = [m for m in ('pymc', 'pytensor', 'nutpie') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_months_are_singular_only_for_one() -> None:
    from bayes_scot.conventions import months

    assert [months(t) for t in (1.0, 1, 0.5, 6.0, 54)] == [
        "1 month", "1 month", "0.5 months", "6 months", "54 months"]
    # A time converted from weeks (13 weeks) is written to two decimals.
    assert months(13 * 7 * 12 / 365.25) == "2.99 months"
    assert months(0.999) == "1 month"
