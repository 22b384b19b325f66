"""``bayes-scot calibrate``: simulation-based calibration of one family of a spec."""

from __future__ import annotations

import argparse
import sys
import warnings

from bayes_scot.cli import Subparsers
from bayes_scot.cli.arguments import add_spec_run_options, whole_number

_positive_int = whole_number(1)

__all__ = ["add_study_options", "register", "run", "study_arguments"]

_DESCRIPTION = """\
Simulate trials at the design of the specification's trial, with parameters drawn from a
named prior and data from the model; fit each with the same compiled model (BlackJAX,
chunks of simulations as one batch each) and check that the ranks of the true values
among the posterior draws are uniform. Writes a report folder (index.html, report.md,
summary.json, figures/) beside the study's Parquet store (study.json, chunks/); a
killed study continues with --resume. All data in the report are simulated."""

_EPILOG = """\
examples:
  bayes-scot calibrate --family composite --simulations 200 --out sbc-composite
  bayes-scot calibrate scot_itt --simulations 1000 --workers 2 --out sbc-survival
  bayes-scot calibrate --simulations 1000 --scheduler tcp://10.0.0.5:8786 --out sbc
  bayes-scot calibrate --simulations 1000 --out sbc --resume

exit status: 0 on success, 2 for a bad specification or output folder (one line on
standard error), 1 for an unexpected failure."""


def add_study_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``calibrate`` and ``oc``: size, sampler, Dask, store."""
    add_spec_run_options(parser, out_help="study folder: Parquet store and report")
    parser.add_argument("--family", default="survival",
                        choices=("survival", "longitudinal", "composite"),
                        help="model family (default: survival)")
    parser.add_argument("--simulations", type=_positive_int, metavar="N",
                        help="simulated trials (default: the spec's [calibration], else 100)")
    parser.add_argument("--chunk-size", type=_positive_int, metavar="N",
                        help="simulated trials per batch and Dask task (default: up to 50)")
    parser.add_argument("--workers", type=whole_number(0), default=None, metavar="N",
                        help="LocalCluster worker processes (default: the spec's, else 1; "
                             "0 runs in this process)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="address of a running Dask scheduler, e.g. tcp://host:8786 "
                             "(default: the spec's [calibration] scheduler)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the study in DIR without redoing finished chunks")


def study_arguments(args: argparse.Namespace) -> dict[str, object]:
    """Keyword arguments of the study functions from the shared options."""
    warnings.filterwarnings("ignore", message=".*could not link to a BLAS.*",
                            category=UserWarning)
    return {
        "family": args.family, "simulations": args.simulations,
        "chunk_size": args.chunk_size, "seed": args.seed, "draws": args.draws,
        "tune": args.tune, "out": args.out,
        "workers": args.workers,
        "scheduler": args.scheduler, "resume": args.resume, "progress": not args.quiet,
    }


def register(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``calibrate`` subcommand (see :data:`bayes_scot.cli.Subparsers`)."""
    parser = subparsers.add_parser(
        "calibrate",
        help="simulation-based calibration of a model family (report folder)",
        description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_study_options(parser)
    parser.add_argument("--prior", default="reference", metavar="NAME",
                        help="prior the parameters are drawn from and fitted under "
                             "(default: reference)")
    parser.add_argument("--rank-draws", type=_positive_int, default=99, metavar="N",
                        help="thinned posterior draws each rank is computed among "
                             "(default: 99)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the ``calibrate`` subcommand; return the exit code."""
    from bayes_scot.calibration import calibrate

    result = calibrate(args.spec, prior=args.prior, rank_draws=args.rank_draws,
                       **study_arguments(args))  # type: ignore[arg-type]
    out = result.write_report(args.out)
    if not args.quiet:
        table = result.table()
        for row in table.itertuples():
            print(f"bayes-scot calibrate: {row.quantity}: {row.verdict} "
                  f"(p = {row.p_value:.3f})", file=sys.stderr)
        gate = result.gate
        print(f"bayes-scot calibrate: {gate['failed_gate']} of {gate['fits']} fits failed "
              f"the diagnostics gate; wrote {out}", file=sys.stderr)
    return 0
