"""``bayes-scot effect``: reanalyse a reported effect under the named prior grid.

Examples
--------
ASTIS event-free survival, HR 0.34 (95% CI 0.16-0.74), MCID HR 0.8::

    bayes-scot effect --hr 0.34 --lower 0.16 --upper 0.74 --mcid 0.8

A mean difference of a score where lower is better, with its standard error::

    bayes-scot effect --md -0.57 --se 0.13 --benefit lower --mcid 0.14 --format csv
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

import pandas as pd

from bayes_scot.cli import Subparsers
from bayes_scot.cli.arguments import finite_number, positive_number
from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.errors import EvidenceError
from bayes_scot.stats.normal_normal import reanalyse_effect

__all__ = ["format_table", "parse_prior", "register", "run"]

_SHOWN = ["prior", "median", "lower", "upper", "p_benefit", "prior_p_benefit", "p_mcid",
          "prior_p_mcid", "p_harm"]


def parse_prior(text: str) -> tuple[str, tuple[float, float]]:
    """Parse ``NAME=MEAN,SD`` (working scale: log for ratios) into ``(name, (mean, sd))``.

    Parameters
    ----------
    text : str
        E.g. ``"skeptical=0,0.2"``.

    Returns
    -------
    tuple

    Raises
    ------
    argparse.ArgumentTypeError
        When ``text`` is not of that form (argparse prints it as a usage error).
    """
    name, sep, values = text.partition("=")
    parts = values.split(",")
    if not sep or not name.strip() or len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected NAME=MEAN,SD, not {text!r}")
    if not name.isprintable() or len(name.strip()) > 60:
        raise argparse.ArgumentTypeError(
            f"NAME must be one line of at most 60 characters, not {name[:60]!r}")
    try:
        mean, sd = finite_number(parts[0]), positive_number(parts[1])
    except argparse.ArgumentTypeError as err:
        raise argparse.ArgumentTypeError(
            f"{text!r}: MEAN must be a finite number and SD a positive one ({err})"
        ) from None
    return name.strip(), (mean, sd)


def register(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``effect`` subcommand (see :data:`bayes_scot.cli.Subparsers`)."""
    parser = subparsers.add_parser(
        "effect",
        help="reanalyse a reported HR, RR, OR or mean difference under named priors",
        description=(
            "Bayesian reanalysis of one reported effect: a normal likelihood on the log "
            "ratio (or the mean difference) from its confidence interval, standard error "
            "or p-value, updated in closed form under each prior of the named grid "
            "(reference, neutral, skeptical, optimistic, pessimistic; strong, moderate, "
            f"weak). Posterior medians and {100 * CREDIBLE_LEVEL:g}% credible intervals "
            "are on the ratio scale for ratios."
        ),
    )
    measure = parser.add_mutually_exclusive_group(required=True)
    measure.add_argument("--hr", type=positive_number, metavar="HR", help="reported hazard ratio")
    measure.add_argument("--rr", type=positive_number, metavar="RR", help="reported risk ratio")
    measure.add_argument("--or", dest="odds_ratio", type=positive_number, metavar="OR",
                         help="reported odds ratio")
    measure.add_argument("--md", type=finite_number, metavar="MD",
                         help="reported mean difference, experimental minus control")
    parser.add_argument("--lower", type=finite_number, help="lower confidence limit")
    parser.add_argument("--upper", type=finite_number, help="upper confidence limit")
    parser.add_argument("--level", type=finite_number, default=None,
                        help="confidence level of the interval (default 0.95); only with "
                             "--lower and --upper")
    parser.add_argument("--p-value", type=finite_number, dest="p_value",
                        help="two-sided p-value, used when neither an interval nor --se is "
                             "given; beside either, a check that must agree with it")
    parser.add_argument("--se", type=positive_number,
                        help="standard error on the log scale (ratios) or natural scale "
                             "(MD), used when no interval is given; beside an interval, a "
                             "check that must agree with it")
    parser.add_argument("--mcid", type=positive_number,
                        help="minimal clinically important effect: a ratio such as 0.8, or "
                             "a positive magnitude for MD")
    parser.add_argument("--benefit", choices=("lower", "higher"),
                        help="which direction favours the experimental arm (default for "
                             "ratios: lower; required for MD)")
    parser.add_argument("--design", type=finite_number, dest="design_effect",
                        help="hoped-for effect that centres the optimistic priors (ratio "
                             "default 2/3; MD default: the MCID)")
    parser.add_argument("--prior", action="append", type=parse_prior, default=None,
                        metavar="NAME=MEAN,SD",
                        help="a normal prior on the working scale instead of the grid "
                             "(repeatable)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="output format (default table)")
    parser.set_defaults(func=run)
    return parser


def _measure(args: argparse.Namespace) -> tuple[str, float]:
    for name, value in (("HR", args.hr), ("RR", args.rr), ("OR", args.odds_ratio),
                        ("MD", args.md)):
        if value is not None:
            return name, value
    raise EvidenceError("give one of --hr, --rr, --or or --md", field="measure")


def format_table(table: pd.DataFrame) -> str:
    """Render the reanalysis as a plain-text table with a header line.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~bayes_scot.stats.normal_normal.reanalyse_effect`.

    Returns
    -------
    str
    """
    attrs = table.attrs
    measure = attrs["measure"]
    scale = f"log {measure}" if attrs["scale"] == "log" else measure
    level = attrs.get("ci_level")
    source = {"ci": f"{100 * level:g}% confidence interval" if level else "confidence interval",
              "p_value": "p-value", "se": "standard error"}
    null = "1" if attrs["scale"] == "log" else "0"
    sign = "<" if attrs["benefit"] == "lower" else ">"
    name = measure if attrs["scale"] == "log" else "difference"
    mcid = f"; MCID {attrs['mcid']:g}" if attrs["mcid"] is not None else ""
    header = (
        f"{measure}: {scale} {attrs['estimate']:.4g}, SE {attrs['se']:.4g} (from the "
        f"{source[attrs['se_source']]}); {name} {sign} {null} favours the experimental arm"
        f"{mcid}; {100 * attrs['credible_level']:g}% credible intervals"
    )
    shown = table[_SHOWN].copy()
    # Each prior's distribution on the likelihood's scale: this command's named grid is
    # built from its own design effect and bounds, not a report family's.
    shown.insert(1, "distribution", [f"N({m:.3g}, {sd:.3g})" for m, sd in
                                     zip(table["prior_mean"], table["prior_sd"], strict=True)])
    if attrs["mcid"] is None:
        shown = shown.drop(columns=["p_mcid", "prior_p_mcid"])
    body = shown.to_string(index=False, float_format=lambda x: f"{x:.3f}")
    return (f"{header}\n{body}\nPriors: normal on the {scale} (mean, SD); their statements "
            "are in --json and docs/user-guide/reported-effects.md")


def _json(table: pd.DataFrame) -> str:
    def clean(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value

    rows = [{k: clean(v) for k, v in row.items()} for row in table.to_dict(orient="records")]
    likelihood = {k: table.attrs[k] for k in ("measure", "scale", "estimate", "se",
                                              "se_source", "ci_level", "benefit",
                                              "mcid", "credible_level")}
    return json.dumps({"likelihood": likelihood, "priors": rows}, indent=2)


def run(args: argparse.Namespace) -> int:
    """Reanalyse the effect given on the command line and print the table; return 0."""
    measure, estimate = _measure(args)
    if args.level is not None and args.lower is None and args.upper is None:
        raise EvidenceError("is the level of a confidence interval: give it with --lower "
                            "and --upper, or leave it out", field="level")
    names = [name for name, _ in args.prior or ()]
    repeated = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if repeated is not None:
        raise EvidenceError(f"names the prior {repeated!r} twice", field="prior")
    priors = dict(args.prior) if args.prior else None
    table = reanalyse_effect(
        estimate, args.lower, args.upper, measure=measure,
        level=0.95 if args.level is None else args.level, priors=priors,
        p_value=args.p_value, mcid=args.mcid, se=args.se, benefit=args.benefit,
        design_effect=args.design_effect,
    )
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(_json(table))
    else:
        print(format_table(table))
    return 0
