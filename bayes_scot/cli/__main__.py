"""``python -m bayes_scot.cli``."""

import sys

from bayes_scot.cli import main

sys.exit(main())
