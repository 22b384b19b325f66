"""``bayes-scot report``: run an analysis specification and write its report."""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

from bayes_scot.cli import Subparsers
from bayes_scot.cli.arguments import add_spec_run_options, chains, names
from bayes_scot.errors import SpecError
from bayes_scot.fitting.settings import BACKENDS

__all__ = ["register", "run"]

_DESCRIPTION = """\
Run an analysis specification over its whole prior grid and write a report folder:
index.html (self-contained, figures embedded), report.md, summary.json (stable schema)
and figures/*.png. The folder appears whole or not at all.

SPEC is a shipped specification's name (scot_itt, the default; scot_pp; scot_borrowing;
scot_design) or a path to a TOML file in the format of docs/spec-format.md. Options override the
specification for this run only."""

_EPILOG = """\
examples:
  bayes-scot report --out scot-report
  bayes-scot report scot_pp --out pp-report --priors reference,skeptical_moderate
  bayes-scot report my_analysis.toml --out quick --draws 300 --chains 2 --quiet

limits: --seed 0 to 4294967295 (2**32 - 1); --chains at most 64; --draws and --tune at
most 100,000 per chain; chains x draws at most 100,000 (what fits in memory).

exit status: 0 on success, 2 for a bad specification, trial file, option or output folder
(one line on standard error, before any model is built), 1 for an unexpected failure."""


def _explicit_prior(text: str) -> tuple[str, str, str]:
    from bayes_scot.spec.overrides import parse_cli_prior

    try:
        ((family, priors),) = parse_cli_prior([text]).items()
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    ((name, prior),) = priors.items()
    return family, name, prior


def register(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand (see :data:`bayes_scot.cli.Subparsers`)."""
    parser = subparsers.add_parser(
        "report",
        help="run an analysis specification and write its report (HTML, Markdown, JSON)",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_spec_run_options(
        parser, out_help="report folder to create (an earlier report there is replaced)"
    )
    parser.add_argument("--chains", type=chains, metavar="N",
                        help="number of chains (default: the specification's)")
    parser.add_argument("--priors", type=names, metavar="A,B",
                        help="comma-separated prior names to run, e.g. "
                             "reference,skeptical_moderate (default: the whole grid)")
    parser.add_argument("--prior", action="append", type=_explicit_prior, default=[],
                        metavar="FAMILY.NAME=PRIOR",
                        help="run under an explicit prior instead of the grid (repeat for "
                             "each family and prior): 'MEAN,SD' on the family's scale or "
                             "a ratio statement, e.g. survival.hopeful='HR 0.8 with 5%% "
                             "below 0.5'")
    parser.add_argument("--backend", choices=BACKENDS,
                        help="sampler backend (default: the specification's)")
    parser.add_argument("--no-figures", action="store_true",
                        help="write the report without figures")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the ``report`` subcommand; return the exit code.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments of :func:`register`'s parser.

    Returns
    -------
    int
        0 on success. Bad input raises :class:`~bayes_scot.errors.EvidenceError`, which
        the dispatcher turns into one line and exit code 2.
    """
    # PyTensor warns once when it finds no BLAS to link against: speed, not results.
    warnings.filterwarnings("ignore", message=".*could not link to a BLAS.*",
                            category=UserWarning)
    from bayes_scot.reanalysis import reanalyse
    from bayes_scot.report.writer import check_target
    from bayes_scot.spec import load_spec

    priors: Any = args.priors
    if args.prior:
        if args.priors:
            raise SpecError("give --priors (grid names) or --prior (explicit priors), not "
                            "both", file="command line", field="priors")
        priors = {}
        for family, name, prior in args.prior:
            priors.setdefault(family, {})[name] = prior
    spec = load_spec(args.spec).with_overrides(
        draws=args.draws, tune=args.tune, chains=args.chains, seed=args.seed,
        priors=priors, backend=args.backend,
    )
    check_target(args.out.expanduser().absolute())
    if not args.no_figures:
        # The figure helper imports the plotting code on a core the fits leave idle.
        from bayes_scot.report.parallel import prestart_helper

        prestart_helper()
    result = reanalyse(spec, progress=not args.quiet)
    out = result.write_report(args.out, figures=not args.no_figures)
    if not args.quiet:
        flagged = int(result.table()["flagged"].sum())
        note = f"; {flagged} result(s) failed the diagnostics gate" if flagged else ""
        print(f"bayes-scot report: wrote {out}{note}", file=sys.stderr)
    return 0
