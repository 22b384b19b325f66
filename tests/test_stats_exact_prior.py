"""Exact prior draws of the estimand a named prior is stated on.

:func:`bayes_scot.stats.estimands.exact_parameter_priors` replaces the forward draws of
a parameter-carrying estimand by the named normal prior's quantiles pushed through the
estimand's map; every prior column read from them is the closed form's to 1/(2n).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bayes_scot.stats.estimands import PARAMETER_TRANSFORM, EstimandDraws, exact_parameter_priors
from bayes_scot.stats.priors import EffectPrior

SHAPE = (4, 1000)
N = SHAPE[0] * SHAPE[1]


def _prior(mean: float, sd: float) -> EffectPrior:
    return EffectPrior(name="p", family="neutral", strength="strong", mean=mean, sd=sd,
                       statement="")


def _draws(estimand: str, *, transform: object, superior: str = "lower",
           null: float = 1.0, mcid: float | None = 0.8) -> EstimandDraws:
    attrs: dict[str, object] = {"parameter": "theta"}
    if transform is not None:
        attrs[PARAMETER_TRANSFORM] = transform
    noise = np.random.default_rng(0).normal(size=SHAPE)
    return EstimandDraws(endpoint="efs", estimand=estimand, label=estimand, draws=noise,
                         null=null, superior=superior, mcid=mcid, attrs=attrs)


def test_a_ratio_prior_holds_its_statement_to_the_quantile_grid() -> None:
    # Sceptical prior with 5% probability that the HR is below 0.8.
    sd = -math.log(0.8) / stats.norm.ppf(0.95)
    (hr,) = exact_parameter_priors([_draws("hr", transform=("exp", 1.0))],
                                   {"theta": _prior(0.0, sd)})
    assert hr.draws.shape == SHAPE
    # Midpoint quantiles: every tail probability is the closed form's to 1/(2n).
    assert hr.p_mcid() == pytest.approx(0.05, abs=0.5 / N)
    assert hr.p_superior() == pytest.approx(0.5, abs=0.5 / N)
    assert float(np.median(hr.draws)) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("factor", [0.7, -0.7])
def test_a_linear_map_scales_and_orients_the_prior(factor: float) -> None:
    # A lower-is-better score (factor < 0 maps a benefit theta > 0 to a negative change).
    superior = "higher" if factor > 0 else "lower"
    mcid = 0.14 if factor > 0 else -0.14
    (diff,) = exact_parameter_priors(
        [_draws("d", transform=("linear", factor), superior=superior, null=0.0, mcid=mcid)],
        {"theta": _prior(0.3, 0.5)})
    # P(theta > 0) and P(theta > 0.2) under N(0.3, 0.5).
    assert diff.p_superior() == pytest.approx(stats.norm.sf(-0.6), abs=0.5 / N)
    assert diff.p_mcid() == pytest.approx(stats.norm.sf((0.2 - 0.3) / 0.5), abs=0.5 / N)
    assert float(np.median(diff.draws)) == pytest.approx(factor * 0.3, abs=1e-3)


def test_other_estimands_and_unmatched_parameters_keep_their_draws() -> None:
    plain = _draws("plain", transform=None)
    carrier = _draws("hr", transform=("exp", 1.0))
    out = exact_parameter_priors([plain, carrier], {"other": _prior(0.0, 1.0)})
    assert out[0] is plain
    assert out[1] is carrier


def test_an_unknown_map_is_refused_naming_the_estimand() -> None:
    with pytest.raises(ValueError, match="efs:hr: unknown parameter transform 'log'"):
        exact_parameter_priors([_draws("hr", transform=("log", 1.0))],
                               {"theta": _prior(0.0, 1.0)})
