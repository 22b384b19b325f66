"""The Stan port of the survival model (benchmarks/) has the package's log density."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

stan = pytest.importorskip("stan")

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
from stan_survival import build, stan_data, stan_parameters  # noqa: E402

from bayes_scot.reanalysis import build_family  # noqa: E402
from bayes_scot.spec import load_spec  # noqa: E402

SEED = 20180104


@pytest.mark.slow
# httpstan's web application sets plain string keys, which aiohttp warns about, and
# finds its compiler through a deprecated importlib.resources call.
@pytest.mark.filterwarnings("ignore:It is recommended to use web.AppKey")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_stan_port_log_density_equals_the_package_up_to_a_constant() -> None:
    # Stan drops the normalising constants of `~` statements and parameterises the
    # deviation SDs differently (sigma instead of a unit half-normal times its scale, a
    # constant shift of the unconstrained coordinate), so the two log densities may differ
    # by one constant: compare their differences from the first point. Both are double
    # precision; the transition probabilities are computed in a different order (a
    # closed-form table in the package, segment by segment in Stan), hence a tolerance of
    # 1e-8 relative on log densities of order 100 rather than exact equality.
    builder, _ = build_family(load_spec("scot_itt"), "survival")
    model = builder.model
    data = stan_data(builder)
    posterior = build(data, random_seed=1)
    logp = model.compile_logp(jacobian=True, mode="FAST_COMPILE")
    rng = np.random.default_rng(SEED)
    ours, theirs = [], []
    for _ in range(8):
        point = {}
        constrained = {}
        for rv, value in model.rvs_to_values.items():
            shape = tuple(model.initial_point()[value.name].shape)
            draw = rng.normal(0.0, 0.7, size=shape)
            if value.name.endswith("_log__"):
                draw = draw - 1.0
                constrained[rv.name] = np.exp(draw)
            else:
                constrained[rv.name] = draw
            point[value.name] = draw
        ours.append(float(logp(point)))
        unconstrained = posterior.unconstrain_pars(stan_parameters(constrained, data))
        theirs.append(float(posterior.log_prob(unconstrained, adjust_transform=True)))
    ours_, theirs_ = np.array(ours), np.array(theirs)
    assert np.ptp(ours_) > 1.0  # the points differ enough to test anything
    np.testing.assert_allclose(theirs_ - theirs_[0], ours_ - ours_[0], rtol=1e-8, atol=1e-6)
