"""``bayes-scot oc``: operating characteristics of the decision rule at a trial's design."""

from __future__ import annotations

import argparse
import sys

from bayes_scot.cli import Subparsers
from bayes_scot.cli.arguments import finite_number, names, positive_number
from bayes_scot.cli.calibrate import add_study_options, study_arguments

__all__ = ["register", "run"]

_DESCRIPTION = """\
Simulate trials at the design of the specification's trial (its arm sizes and
landmarks) with a true hazard ratio on every transition, fit each under every named
prior, and report how often P(superior) (and P(superior by the MCID)) exceeds the
threshold: the type I error at hazard ratio 1, the power at the others, and the expected
posterior probabilities. All data in the report are simulated."""

_EPILOG = """\
examples:
  bayes-scot oc --out scot-oc
  bayes-scot oc --hazard-ratios 1,0.8,0.6,0.5 --priors reference,skeptical_moderate \\
      --threshold 0.95 --simulations 500 --workers 2 --out scot-oc

exit status: 0 on success, 2 for a bad specification or output folder (one line on
standard error), 1 for an unexpected failure."""


def _ratios(text: str) -> list[float]:
    return [positive_number(v) for v in names(text)]


def _probability(text: str) -> float:
    value = finite_number(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text!r}")
    return value


def register(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``oc`` subcommand (see :data:`bayes_scot.cli.Subparsers`)."""
    parser = subparsers.add_parser(
        "oc", help="operating characteristics of the decision rule (report folder)",
        description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_study_options(parser)
    parser.add_argument("--hazard-ratios", type=_ratios, metavar="A,B",
                        help="true hazard ratios (default: the spec's [calibration], "
                             "else 1,0.8,0.6,0.5)")
    parser.add_argument("--priors", type=names, metavar="A,B",
                        help="named priors each trial is fitted under (default: the "
                             "spec's, else reference,skeptical_moderate,optimistic_moderate)")
    parser.add_argument("--threshold", type=_probability, metavar="P",
                        help="declare superiority when P(superior) exceeds it (default: "
                             "the spec's, else 0.95)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the ``oc`` subcommand; return the exit code."""
    from bayes_scot.calibration import operating_characteristics

    result = operating_characteristics(
        args.spec, effects=args.hazard_ratios, priors=args.priors,
        threshold=args.threshold, **study_arguments(args),  # type: ignore[arg-type]
    )
    out = result.write_report(args.out)
    if not args.quiet:
        print(f"bayes-scot oc: wrote {out}", file=sys.stderr)
    return 0
