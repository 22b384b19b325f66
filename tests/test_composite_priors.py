"""The named priors of the composite's direct route hold on the rows it reports.

The grid prior sits on the net benefit itself, and the win probability, win odds and win
ratio are increasing functions of it, so every statement holds on every reported row.
These tests forward-sample the model's prior (no MCMC) and read the rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from bayes_scot import _compat
from bayes_scot.builders.base import named_grids
from bayes_scot.fitting.prior import PriorSampler
from bayes_scot.reanalysis.runner import build_family
from bayes_scot.spec import load_spec
from bayes_scot.stats.priors import DEFAULT_GRID_NAMES

# 4 x 1000 prior draws: a probability's Monte Carlo SE is at most 0.0079; 0.03 is almost
# four SEs.
TOLERANCE = 0.03


@pytest.fixture(scope="module")
def composite():
    builder, _ = build_family(load_spec("scot_itt"), "composite")
    return builder, PriorSampler(builder.model)


@pytest.mark.parametrize("name", DEFAULT_GRID_NAMES)
def test_every_named_prior_holds_on_every_reported_row(composite, name):
    builder, sampler = composite
    (parameter,) = builder.effect_parameters
    prior = named_grids(builder)[parameter][name]
    draws = sampler.sample(builder.prior_data({parameter: prior}), chains=4, draws=1000,
                           seed=5)
    rows = builder.estimands(_compat.inference_data(posterior=draws))
    assert {e.estimand for e in rows} >= {"net_benefit_54", "win_odds_54"}
    for row in rows:
        assert row.p_superior() == pytest.approx(prior.prob_above(0.0), abs=TOLERANCE), (
            row.estimand)
    net = next(e for e in rows if e.estimand == "net_benefit_54").draws.ravel()
    # The statement's tail, on the reported net benefit (design effect 0.2).
    assert np.mean(net > 0.2) == pytest.approx(prior.prob_above(0.2), abs=TOLERANCE)
