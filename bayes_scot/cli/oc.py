"""``bayes-scot oc``: operating characteristics of the decision rule at a trial's design."""

from __future__ import annotations

import argparse
import sys

from bayes_scot.cli import Subparsers
from bayes_scot.cli.arguments import finite_number, names, positive_number, whole_number
from bayes_scot.cli.calibrate import add_study_options, study_arguments
from bayes_scot.errors import SpecError

__all__ = ["register", "run"]

_DESCRIPTION = """\
Operating characteristics of the decision rule 'P(superior) > threshold' under each named
prior: the type I error at no effect, the power at the other true effects, the expected
posterior probabilities, and the same for 'superior by the MCID'.

  survival      true hazard ratio on every transition; trials simulated patient by
                patient at the design (arm sizes, landmarks) and fitted (BlackJAX batch)
  longitudinal  true standardised effect (endpoint SDs) on every endpoint; trials
                simulated from the model at that effect and fitted
  composite     true net benefit (or log win odds) of the published summary; the model
                is normal-normal, so the probabilities are closed forms (no simulation)

The design is the trial's unless --n-per-arm or --follow-up say otherwise. All data in
the report are simulated."""

_EPILOG = """\
examples:
  bayes-scot oc --out scot-oc
  bayes-scot oc --n-per-arm 40,40 --hr 1.0,0.8,0.6 --follow-up 54 --threshold 0.95 \\
      --out scot-oc-40
  bayes-scot oc --hazard-ratios 1,0.8,0.6,0.5 --priors reference,skeptical_moderate \\
      --threshold 0.95 --simulations 500 --workers 2 --out scot-oc
  bayes-scot oc --family composite --effects 0,0.1,0.2,0.3 --n-per-arm 60,60 --out grcs-oc
  bayes-scot oc --family longitudinal --effects 0,0.5 --simulations 50 --out qol-oc

exit status: 0 on success, 2 for a bad option, specification or output folder (one line
on standard error, before any model is built), 1 for an unexpected failure."""


def _ratios(text: str) -> list[float]:
    return [positive_number(v) for v in names(text)]


def _effects(text: str) -> list[float]:
    return [finite_number(v) for v in names(text)]


def _arm_sizes(text: str) -> tuple[int, int]:
    parse = whole_number(2)  # the upper bound is the study's (calibration.design)
    sizes = [parse(v) for v in names(text)]
    if len(sizes) != 2:
        raise argparse.ArgumentTypeError(
            f"give two arm sizes, experimental first (e.g. 40,40), not {text!r}")
    return sizes[0], sizes[1]


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
    parser.add_argument("--hazard-ratios", "--hr", type=_ratios, metavar="A,B",
                        help="survival: true hazard ratios (default: the spec's "
                             "[calibration], else 1,0.8,0.6,0.5, or their reciprocals "
                             "for an endpoint whose event is wanted)")
    parser.add_argument("--effects", type=_effects, metavar="A,B",
                        help="true effects on the family's scale: hazard ratios, "
                             "standardised effects (default 0,0.25,0.5,0.8) or net "
                             "benefits (default 0,0.1,0.2,0.3)")
    parser.add_argument("--n-per-arm", type=_arm_sizes, metavar="N,M",
                        help="participants per arm, experimental first (default: the "
                             "trial's); the trial's counts are rescaled to it")
    parser.add_argument("--follow-up", type=positive_number, metavar="MONTHS",
                        help="survival: time of the last landmark; earlier landmarks move "
                             "in proportion (default: the trial's)")
    parser.add_argument("--baseline-hazards", type=_ratios, metavar="H1,H2,H3",
                        dest="baseline_hazards",
                        help="survival: control-arm hazards per month of the simulated "
                             "trials (the illness-death model's three transitions, or the "
                             "one-endpoint model's event: one value); default: the model's "
                             "baseline at the trial's design")
    parser.add_argument("--mcid", type=finite_number, metavar="X",
                        help="MCID of the rule on the effect's scale (default: the "
                             "family's: HR margin, the endpoint's standardised MCID, "
                             "spec's [mcids])")
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

    if args.hazard_ratios is not None and args.effects is not None:
        raise SpecError("give --hazard-ratios (--hr) or --effects, not both", field="effects")
    if args.hazard_ratios is not None and args.family != "survival":
        raise SpecError(f"--hazard-ratios (--hr) is for the survival family; use --effects "
                        f"for the {args.family} family", field="hazard_ratios")
    result = operating_characteristics(
        args.spec, effects=args.hazard_ratios or args.effects, priors=args.priors,
        threshold=args.threshold, n_per_arm=args.n_per_arm,
        follow_up_months=args.follow_up, mcid=args.mcid,
        baseline_hazards=args.baseline_hazards,
        **study_arguments(args),  # type: ignore[arg-type]
    )
    out = result.write_report(args.out)
    if not args.quiet:
        print(f"bayes-scot oc: wrote {out}", file=sys.stderr)
    return 0
