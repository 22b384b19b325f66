"""``python -m bayes_scot.cli``."""

from bayes_scot.cli import console

console()
