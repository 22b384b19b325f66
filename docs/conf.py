"""Sphinx configuration of the bayes_scot documentation.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (CI runs
exactly this; warnings are errors). Pages generated at build time (the API reference,
the rendered example notebook) are written by ``_ext/bayes_scot_docs.py`` and are not
committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import bayes_scot

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

# -- project ---------------------------------------------------------------------------------
project = "bayes_scot"
author = "bayes_scot developers"
copyright = "2026, bayes_scot developers"
release = bayes_scot.__version__
version = ".".join(release.split(".")[:2])

# -- extensions -----------------------------------------------------------------------------
extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "bayes_scot_docs",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

# MyST: $...$ and $$...$$ maths, ::: fences, definition lists, anchors for ## headings.
myst_enable_extensions = ["amsmath", "colon_fence", "deflist", "dollarmath", "fieldlist"]
myst_heading_anchors = 3

# autodoc and numpydoc: docstrings carry the types, so signatures stay short.
autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- HTML -------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"bayes_scot {release}"
html_static_path = ["_static"]
html_css_files = ["bayes_scot.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False

# numpydoc's References sections list the works behind a function without citing each one
# inline (the numpydoc convention); docutils would report every such entry as
# "not referenced". Format templates show TOML with placeholders (``<name>``, ``...``)
# that Pygments cannot lex strictly; they are still shown, highlighted in relaxed mode.
suppress_warnings = ["ref.citation", "misc.highlighting_failure"]
