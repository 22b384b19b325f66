"""Reports of a reanalysis: a self-contained HTML page, Markdown, a JSON summary, figures.

:func:`write_report` writes, atomically, a folder holding ``index.html`` (figures embedded,
every user-supplied text escaped), ``report.md``, ``summary.json`` (the stable schema of
:data:`SCHEMA_VERSION`, documented in ``docs/report-schema.md``) and the figures as PNG
files. :func:`summary` builds the JSON document without writing anything.
"""

from bayes_scot.report.summary import SCHEMA_VERSION, summary
from bayes_scot.report.writer import REPORT_FILES, write_report

__all__ = ["REPORT_FILES", "SCHEMA_VERSION", "summary", "write_report"]
