"""Sphinx extension of the bayes_scot documentation.

It does three things, all at build time so the site can never drift from the package:

* ``provenance`` directive: a table of every number in a shipped trial file (or in the
  external evidence), with its source, read through :mod:`bayes_scot.data`.
* ``prior-grid`` directive: the named prior grid for given design effect, MCID and
  reference SD, with the statement that defines each prior.
* API pages: one page per layer of the package, written to ``api/generated/`` from the
  modules that exist and their ``__all__``; each public object is documented once, at the
  shortest import path that exports it, and a reference to any other path that exports
  it (``bayes_scot.Trial``) resolves there.
* Notebook pages: every ``examples/*.ipynb`` is rendered as a MyST page in
  ``examples/`` (code cells and markdown cells; the notebook is not executed).

``optional-toctree`` is a ``toctree`` that lists only the pages that exist, so a page
that is still to be written never breaks the build. Absolute values written ``|x|`` in
docstrings are escaped so that reST does not take them for substitutions.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.directives.other import TocTree
from sphinx.util import docname_join, logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

PACKAGE = "bayes_scot"

#: Order of the API pages: the package's layers, top to bottom (ARCHITECTURE.md).
LAYER_ORDER: tuple[str, ...] = (
    "errors",
    "conventions",
    "evidence",
    "data",
    "stats",
    "likelihood",
    "builders",
    "fitting",
    "results",
    "reanalysis",
    "spec",
    "plots",
    "report",
    "cli",
    "calibration",
)

#: Titles of the provenance tables, per entry kind.
KIND_TITLES: dict[str, str] = {
    "landmark_events": "Events by a landmark",
    "survival_estimates": "Survival estimates",
    "ratios": "Reported ratios",
    "km_curves": "Digitised Kaplan-Meier curves",
    "visit_summaries": "Visit summaries",
    "slopes": "Slopes",
    "pairwise": "Pairwise comparisons (GRCS)",
    "proportions": "Proportions",
    "effect_estimates": "Effect estimates",
    "population_spread": "Between-patient spread",
    "mcids": "Minimal clinically important differences",
}


# -- optional toctree -------------------------------------------------------------------------
class OptionalTocTree(TocTree):
    """A ``toctree`` whose entries that name no existing document are left out."""

    def run(self) -> list[nodes.Node]:
        _optional_toctree_docs(self.env).add(self.env.docname)
        kept = StringList()
        content: StringList = self.content
        for line, (source, offset) in zip(content, content.items, strict=True):
            entry = line.strip()
            target = entry.rsplit("<", 1)[-1].rstrip(">") if entry.endswith(">") else entry
            if entry and docname_join(self.env.docname, target) not in self.env.found_docs:
                logger.info("optional-toctree: %s does not exist yet; left out", target)
                continue
            kept.append(line, source, offset)
        self.content = kept
        return super().run()


def _optional_toctree_docs(env: Any) -> set[str]:
    if not hasattr(env, "bayes_scot_optional_toctrees"):
        env.bayes_scot_optional_toctrees = set()
    return env.bayes_scot_optional_toctrees


def _reread_when_pages_appear(app: Sphinx, env: Any, added: set[str], changed: set[str],
                              removed: set[str]) -> list[str]:
    """Re-read pages with an optional toctree when a page appears or goes away."""
    if not (added or removed):
        return []
    return sorted(_optional_toctree_docs(env))


def _purge(app: Sphinx, env: Any, docname: str) -> None:
    _optional_toctree_docs(env).discard(docname)


def _merge(app: Sphinx, env: Any, docnames: Iterable[str], other: Any) -> None:
    _optional_toctree_docs(env).update(_optional_toctree_docs(other))


# -- provenance tables --------------------------------------------------------------------------
class ProvenanceDirective(SphinxDirective):
    """Tabulate every number of a shipped trial file with its source.

    Usage (MyST)::

        ```{provenance} scot
        ```

    The argument is a shipped trial name or ``external``. One table per kind of entry;
    each row is one entry: what it reports, every value it holds, its source (citation
    and locator), whether the numbers are reported or derived, and its notes.
    """

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {"population": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        data = importlib.import_module(f"{PACKAGE}.data")
        trial = data.load_external() if name == "external" else data.load_trial(
            name, population=self.options.get("population", "all"))
        if trial.path:
            self.env.note_dependency(str(trial.path))
        entries = data.provenance_table(trial, per="entry")
        values = data.provenance_table(trial, per="value")
        result: list[nodes.Node] = [self._populations(trial)]
        for kind, group in entries.groupby("kind", sort=False):
            section = nodes.rubric(text=KIND_TITLES.get(kind, kind.replace("_", " ")))
            rows = []
            for record in group.to_dict("records"):
                numbers = values[values["id"] == record["id"]]
                rows.append([
                    _literal(record["id"]),
                    record["population"],
                    record["reports"],
                    _values_text(numbers),
                    f"{record['citation']}, {record['locator']}",
                    record["tag"],
                    _join(record["note"], record["assumption"]),
                ])
            header = ["entry", "population", "reports", "values", "source", "tag", "note"]
            result += [section, _table(header, rows, widths=[14, 8, 22, 20, 18, 7, 24])]
        return result

    def _populations(self, trial: Any) -> nodes.Node:
        rows = []
        for population in trial.populations.values():
            counts = ", ".join(f"{arm} {n}" for arm, n in population.n.items())
            source = population.source.label() if population.source else ""
            rows.append([_literal(population.name), population.label, counts,
                         population.definition, source])
        return _table(["population", "label", "participants", "definition", "source"],
                      rows, widths=[12, 18, 14, 30, 26])


def _values_text(frame: Any) -> str:
    """``events: hsct 10, cyc 20; n: hsct 36, cyc 39; p_value 0.06``."""
    by_statistic: dict[str, list[str]] = {}
    for record in frame.to_dict("records"):
        arm, value = record["arm"], f"{record['value']:g}"
        by_statistic.setdefault(record["statistic"], []).append(
            f"{arm} {value}" if isinstance(arm, str) and arm else value)
    return "; ".join(f"{statistic}: {', '.join(values)}"
                     for statistic, values in by_statistic.items())


def _join(*texts: Any) -> str:
    return " ".join(str(t).strip() for t in texts if isinstance(t, str) and t.strip())


def _literal(text: str) -> nodes.Node:
    return nodes.literal(text=text)


def _table(header: list[str], rows: list[list[Any]], *, widths: list[int]) -> nodes.table:
    table = nodes.table(classes=["provenance-table"])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row(header)
    body = nodes.tbody()
    group += body
    for row in rows:
        body += _row(row)
    return table


def _row(cells: Iterable[Any]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        if isinstance(cell, nodes.Node):
            entry += nodes.paragraph("", "", cell)
        else:
            entry += nodes.paragraph(text="" if cell is None else str(cell))
        row += entry
    return row


# -- prior grids ----------------------------------------------------------------------------
class PriorGridDirective(SphinxDirective):
    """Tabulate the named prior grid of :func:`bayes_scot.stats.priors.prior_grid`.

    Usage (MyST), for a log hazard ratio with a hoped-for HR of 0.5 and a clinically
    important HR of 0.8 (a ratio measure takes its effects on the ratio scale)::

        ```{prior-grid}
        :measure: HR
        :design-effect: 0.5
        :mcid: 0.8
        :reference-sd: 1.0
        :benefit: lower
        ```

    One row per prior: its mean and SD on the parameter's scale, for a ratio measure the
    median ratio and central 95% range, and the clinical statement that defines it.
    """

    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {
        "measure": directives.unchanged,
        "design-effect": float,
        "mcid": float,
        "reference-sd": float,
        "benefit": lambda value: directives.choice(value, ("lower", "higher")),
    }

    def run(self) -> list[nodes.Node]:
        import math
        from statistics import NormalDist

        priors_module = importlib.import_module(f"{PACKAGE}.stats.priors")
        measure = self.options.get("measure", "")
        to_scale = math.log if measure else float
        mcid = self.options.get("mcid")
        grid = priors_module.prior_grid(
            design_effect=to_scale(self.options["design-effect"]),
            benefit=self.options.get("benefit", "lower" if measure else "higher"),
            reference_sd=self.options["reference-sd"],
            mcid=None if mcid is None else to_scale(mcid),
            measure=measure or None,
        )
        frame = priors_module.priors_to_frame(grid)
        z = NormalDist().inv_cdf(0.975)
        header = ["prior", "mean", "SD"]
        if measure:
            header += [f"median {measure}", "95% range"]
        header.append("statement")
        rows = []
        for record in frame.to_dict("records"):
            mean, sd = record["mean"], record["sd"]
            row: list[Any] = [_literal(record["prior"]), f"{mean:+.3f}", f"{sd:.3f}"]
            if measure:
                lo, hi = math.exp(mean - z * sd), math.exp(mean + z * sd)
                row += [f"{math.exp(mean):.2f}", f"{lo:.2g} to {hi:.2g}"]
            row.append(record["statement"])
            rows.append(row)
        widths = [16, 8, 8, 10, 14, 44] if measure else [18, 10, 10, 62]
        return [_table(header, rows, widths=widths)]


# -- API pages ---------------------------------------------------------------------------------
def write_api_pages(srcdir: Path) -> None:
    """Write one reStructuredText page per layer of the package to ``api/generated/``."""
    out = srcdir / "api" / "generated"
    out.mkdir(parents=True, exist_ok=True)
    package = importlib.import_module(PACKAGE)
    parts = _parts(package)
    documented: dict[tuple[str, int], str] = {}
    pages: dict[str, str] = {}
    for part in parts:
        pages[part] = _part_page(f"{PACKAGE}.{part}", documented)
    keep = {f"{part}.rst" for part in parts} | {"contents.txt"}
    for part, text in pages.items():
        _write_if_changed(out / f"{part}.rst", text)
    _write_if_changed(out / "contents.txt", _contents(package, parts, documented))
    for stale in out.iterdir():
        if stale.name not in keep:
            stale.unlink()
    _CANONICAL.clear()
    for target in documented.values():
        obj = _lookup(target)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            _CANONICAL[id(obj)] = target


#: Where each public class and function is documented, by object identity.
_CANONICAL: dict[int, str] = {}


def _lookup(dotted: str) -> Any:
    """Import ``bayes_scot.x.y`` as a module prefix plus attributes; None if impossible."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except Exception:
            continue
        for attribute in parts[i:]:
            obj = getattr(obj, attribute, None)
            if obj is None:
                return None
        return obj
    return None


def _resolve_public_alias(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve ``bayes_scot.Trial.to_frame`` to where ``Trial`` is documented."""
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith(f"{PACKAGE}."):
        return None
    parts = target.split(".")
    for i in range(len(parts), 1, -1):
        canonical = _CANONICAL.get(id(_lookup(".".join(parts[:i]))))
        if canonical and canonical != ".".join(parts[:i]):
            new_target = ".".join([canonical, *parts[i:]])
            return env.domains["py"].resolve_xref(env, node["refdoc"], app.builder,
                                                  node["reftype"], new_target, node, contnode)
    return None


def _parts(package: Any) -> list[str]:
    """Importable top-level parts of the package, in layer order."""
    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        try:
            importlib.import_module(f"{PACKAGE}.{info.name}")
        except Exception as err:  # a part that does not import yet is left out
            logger.info("api: %s.%s is not importable (%s); left out", PACKAGE, info.name, err)
            continue
        found.append(info.name)
    rank = {name: i for i, name in enumerate(LAYER_ORDER)}
    return sorted(found, key=lambda n: (rank.get(n, len(rank)), n))


def _public_names(module: Any) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        return []
    return [n for n in names if not n.startswith("_")]


def _part_page(modname: str, documented: dict[tuple[str, int], str]) -> str:
    module = importlib.import_module(modname)
    title = f"``{modname}``"
    lines = [title, "=" * len(title), ""]
    exported = _exported(module, documented, modname)
    lines += _automodule(modname, exported)
    if hasattr(module, "__path__"):
        for info in sorted(pkgutil.walk_packages(module.__path__, prefix=f"{modname}.",
                                                 onerror=lambda name: None),
                           key=lambda i: i.name):
            if any(part.startswith("_") for part in info.name.split(".")):
                continue
            try:
                sub = importlib.import_module(info.name)
            except Exception as err:
                logger.info("api: %s is not importable (%s); left out", info.name, err)
                continue
            names = _exported(sub, documented, info.name)
            heading = f"``{info.name}``"
            lines += [heading, "-" * len(heading), ""]
            # A package may export a function named like one of its submodules
            # (``report.summary``); the module then takes no index entry of its own.
            shadowed = info.name in documented.values()
            lines += _automodule(info.name, names, no_index=shadowed)
    return "\n".join(lines) + "\n"


def _exported(module: Any, documented: dict[tuple[str, int], str], modname: str,
              ) -> list[str]:
    """Public names of a module not documented yet; records where each one goes."""
    names = []
    for name in _public_names(module):
        try:
            obj = getattr(module, name)
        except AttributeError:
            continue
        key = (name, id(obj))
        if key not in documented:
            documented[key] = f"{modname}.{name}"
            names.append(name)
    return names


def _automodule(modname: str, names: list[str], *, no_index: bool = False) -> list[str]:
    lines = [f".. automodule:: {modname}"]
    if names:
        lines.append(f"   :members: {', '.join(names)}")
    if no_index:
        lines.append("   :no-index:")
    return [*lines, ""]


def _contents(package: Any, parts: list[str], documented: dict[tuple[str, int], str]) -> str:
    """The public names of the top-level package, linked to their documentation."""
    lines = ["```{list-table}", ":header-rows: 1", ":widths: 30 70", "",
             "* - name", "  - what it is"]
    for name in getattr(package, "__all__", []):
        if name.startswith("__"):
            continue
        try:
            obj = getattr(package, name)
        except Exception:
            continue
        target = documented.get((name, id(obj)))
        if target is None:
            continue
        summary = (inspect.getdoc(obj) or "").split("\n\n", 1)[0].replace("\n", " ")
        role = "class" if inspect.isclass(obj) else "func"
        lines += [f"* - {{py:{role}}}`bayes_scot.{name} <{target}>`", f"  - {summary}"]
    lines += ["```", "", "```{toctree}", ":maxdepth: 1", ""]
    lines += [f"generated/{part}" for part in parts]
    lines += ["```", ""]
    return "\n".join(lines)


# -- docstrings ----------------------------------------------------------------------------------
#: ``|x|`` outside backquotes: an absolute value in a docstring (reST would read it as a
#: substitution reference).
_ABSOLUTE = re.compile(r"(?<![\\\w|])\|(?=[^\s|])([^|`]*?[^\s|\\])\|(?![\w|])")
_BACKQUOTED = re.compile(r"``.+?``|(:\w+:)?`[^`]*`_{0,2}")


def _escape_absolute_values(app: Sphinx, what: str, name: str, obj: Any, options: Any,
                            lines: list[str]) -> None:
    """Let docstrings write absolute values as ``|dS|`` (outside literals and maths)."""
    for i, line in enumerate(lines):
        if "|" not in line or line.lstrip().startswith(("|", "+")):
            continue
        parts, last = [], 0
        for match in _BACKQUOTED.finditer(line):
            parts.append(_ABSOLUTE.sub(r"\\|\1\\|", line[last:match.start()]))
            parts.append(match.group(0))
            last = match.end()
        parts.append(_ABSOLUTE.sub(r"\\|\1\\|", line[last:]))
        lines[i] = "".join(parts)


# -- notebook pages ----------------------------------------------------------------------------
def write_notebook_pages(srcdir: Path, examples: Path) -> None:
    """Render every notebook of ``examples`` as a MyST page in ``examples/`` of the docs."""
    out = srcdir / "examples"
    out.mkdir(parents=True, exist_ok=True)
    for notebook in sorted(examples.glob("*.ipynb")):
        _write_if_changed(out / f"{notebook.stem}.md", _notebook_markdown(notebook, out))


def _notebook_markdown(notebook: Path, out: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    relative = Path("..", "..", notebook.relative_to(notebook.parents[1])).as_posix()
    download = (
        "```{note}\n"
        f"This page shows the notebook {{download}}`{notebook.name} <{relative}>` as "
        "committed, without running it. Download it and run it in Jupyter to see the "
        "tables and figures; CI executes it at reduced draws on every change.\n"
        "```\n"
    )
    blocks: list[str] = []
    for index, cell in enumerate(cells):
        source = "".join(cell.get("source", ""))
        if cell["cell_type"] == "markdown":
            blocks.append(source.strip() + "\n")
            if index == 0:
                blocks.append(download)
        elif cell["cell_type"] == "code" and source.strip():
            blocks.append(f"```ipython3\n{source.rstrip()}\n```\n")
    return "\n".join(blocks)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


# -- wiring -----------------------------------------------------------------------------------
def _generate(app: Sphinx, config: Config) -> None:
    srcdir = Path(app.srcdir)
    write_api_pages(srcdir)
    write_notebook_pages(srcdir, srcdir.parent / "examples")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives and the page generators."""
    app.add_directive("optional-toctree", OptionalTocTree)
    app.add_directive("provenance", ProvenanceDirective)
    app.add_directive("prior-grid", PriorGridDirective)
    app.connect("config-inited", _generate)
    app.connect("env-get-outdated", _reread_when_pages_appear)
    app.connect("autodoc-process-docstring", _escape_absolute_values)
    app.connect("missing-reference", _resolve_public_alias)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
