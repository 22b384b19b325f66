"""The named priors of the longitudinal model hold on the change differences it reports.

Each endpoint's standardised effect at the reference visit has its named prior as its
marginal prior: endpoints borrow from each other through a shared factor whose weight
leaves every marginal unchanged, and each endpoint's skeptical priors rest on its own
MCID. These tests forward-sample the compiled model's prior (no MCMC) and read the
``change_difference_54`` rows the report shows.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import stats

from bayes_scot import _compat
from bayes_scot.builders.base import named_grids
from bayes_scot.builders.longitudinal import LongitudinalModel
from bayes_scot.fitting.prior import PriorSampler
from bayes_scot.reanalysis.runner import build_family
from bayes_scot.spec import load_spec
from bayes_scot.stats.priors import DEFAULT_GRID_NAMES

# 4 x 1000 independent prior draws: a probability p has a Monte Carlo SE of
# sqrt(p (1 - p) / 4000), at most 0.0079; 0.03 is almost four SEs.
CHAINS, DRAWS, TOLERANCE = 4, 1000, 0.03
BORROWING = ("shipped", "into_endpoints_without_data", "none")


def _builder(borrowing: str) -> LongitudinalModel:
    shipped, _ = build_family(load_spec("scot_itt"), "longitudinal")
    if borrowing == "shipped":
        return shipped
    options = dataclasses.replace(
        shipped.options, borrow_across_endpoints=borrowing != "none",
        borrow_into_endpoints_without_data=borrowing != "none")
    return LongitudinalModel(shipped.trial, options=options, external=shipped.external)


@pytest.fixture(scope="module", params=BORROWING)
def prior_model(request):
    builder = _builder(request.param)
    return builder, PriorSampler(builder.model)


def _rows(builder, sampler, name, seed=5):
    priors = {p: grid[name] for p, grid in named_grids(builder).items()}
    draws = sampler.sample(builder.prior_data(priors), chains=CHAINS, draws=DRAWS, seed=seed)
    rows = {(e.endpoint, e.estimand): e
            for e in builder.estimands(_compat.inference_data(posterior=draws))}
    return priors, draws, rows


@pytest.mark.slow  # 39 forward samplings: no MCMC, but about a minute in all
@pytest.mark.parametrize("name", DEFAULT_GRID_NAMES)
def test_every_named_prior_holds_on_every_reported_change_difference(prior_model, name):
    builder, sampler = prior_model
    priors, _, rows = _rows(builder, sampler, name)
    for e in builder.options.endpoints:
        prior = priors[f"standardised_effect[{e}]"]
        row = rows[e, "change_difference_54"]
        # The statement's probabilities are closed forms of the normal prior on the
        # standardised, direction-aligned effect; the row is that effect in points.
        assert row.p_superior() == pytest.approx(prior.prob_above(0.0), abs=TOLERANCE), e
        if builder.mcids.get(e) is not None:
            threshold = abs(builder.mcids[e]) / builder.scales[e]
            assert row.p_mcid() == pytest.approx(prior.prob_above(threshold),
                                                 abs=TOLERANCE), e


def test_strengths_differ_as_their_statements_do():
    builder = _builder("shipped")
    sampler = PriorSampler(builder.model)
    for name, statement in (("skeptical_strong", 0.05), ("skeptical_moderate", 0.15),
                            ("skeptical_weak", 0.30)):
        _, _, rows = _rows(builder, sampler, name)
        for e in ("haq_di", "sf36_pcs", "mrss", "fvc"):  # the endpoints with an MCID
            # "x% probability of a benefit beyond the MCID", on each endpoint's own MCID.
            assert rows[e, "change_difference_54"].p_mcid() == pytest.approx(
                statement, abs=TOLERANCE), (name, e)


def test_endpoints_in_the_hierarchy_share_a_factor_and_the_others_do_not():
    builder = _builder("shipped")
    _, draws, _ = _rows(builder, PriorSampler(builder.model), "reference")
    theta = draws["standardised_effect"].to_numpy().reshape(-1, len(builder.options.endpoints))
    index = {e: i for i, e in enumerate(builder.options.endpoints)}
    corr = np.corrcoef(theta, rowvar=False)
    # The prior correlation of two pooled effects is E[omega] = a / (a + b) = 0.5 under
    # Beta(2, 2); its Monte Carlo SE with 4000 draws is about 0.012, so 0.05 is four SEs.
    a, b = builder.options.endpoint_correlation_prior
    assert corr[index["fvc"], index["haq_di"]] == pytest.approx(a / (a + b), abs=0.05)
    # SF-36 MCS has no evidence: outside the hierarchy, independent of the others.
    assert abs(corr[index["fvc"], index["sf36_mcs"]]) < 0.05
    # Whatever the correlation, each marginal is the named prior: N(0, 1) here.
    assert stats.kstest(theta[:, index["fvc"]], "norm").pvalue > 0.01
