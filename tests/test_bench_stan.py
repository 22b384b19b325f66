"""The Stan ports of the package's models (benchmarks/) have the package's log densities.

Trials built here add SIMULATED per-visit numbers (``simulated_haq_visits``), labelled
as such, so that the port's visit-vector likelihood is checked too.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

stan = pytest.importorskip("stan")

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import stan_longitudinal  # noqa: E402
import stan_port  # noqa: E402
import stan_survival  # noqa: E402

from bayes_scot.builders.longitudinal import LongitudinalModel, LongitudinalOptions  # noqa: E402
from bayes_scot.data import load_external, load_trial  # noqa: E402
from bayes_scot.reanalysis import build_family  # noqa: E402
from bayes_scot.spec import load_spec  # noqa: E402
from tests.test_longitudinal_model import simulated_haq_visits  # noqa: E402

SEED = 20180104

# Stan drops the normalising constants of `~` statements (and the survival port
# parameterises its deviation SDs as sigma rather than a unit half-normal times its scale,
# a constant shift of the unconstrained coordinate), so the two log densities may differ
# by one constant: the tests compare their differences from the first point. Both are
# double precision; the computations run in a different order (the survival model's
# transition probabilities are a closed-form table in the package and segment by segment
# in Stan), hence a tolerance of 1e-8 relative on log densities of order 100 rather than
# exact equality.
pytestmark = [
    pytest.mark.slow,
    # httpstan's web application sets plain string keys, which aiohttp warns about, and
    # finds its compiler through a deprecated importlib.resources call.
    pytest.mark.filterwarnings("ignore:It is recommended to use web.AppKey"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def _assert_same_up_to_a_constant(model: Any, port: Any, data: dict[str, Any]) -> None:
    posterior = stan_port.build(port, data, random_seed=1)
    ours, theirs = stan_port.log_density_pairs(model, port, data, posterior, seed=SEED)
    assert np.ptp(ours) > 1.0  # the points differ enough to test anything
    np.testing.assert_allclose(theirs - theirs[0], ours - ours[0], rtol=1e-8, atol=1e-6)
    assert stan_port.same_up_to_a_constant(ours, theirs)
    # ... and the check the benchmark relies on tells a different model apart
    assert not stan_port.same_up_to_a_constant(ours, theirs + 1e-3 * ours)


def test_survival_port_log_density_equals_the_package_up_to_a_constant() -> None:
    builder, _ = build_family(load_spec("scot_itt"), "survival")
    _assert_same_up_to_a_constant(builder.model, stan_survival,
                                  stan_survival.stan_data(builder))


def test_longitudinal_port_log_density_equals_the_package_as_shipped() -> None:
    builder, _ = build_family(load_spec("scot_itt"), "longitudinal")
    _assert_same_up_to_a_constant(builder.model, stan_longitudinal,
                                  stan_longitudinal.stan_data(builder))


@pytest.fixture(scope="module")
def scot_with_visits():
    scot = load_trial("scot", population="all")
    return replace(scot, entries=scot.entries + simulated_haq_visits())


@pytest.mark.parametrize(
    ("options", "data"),
    [
        ({"trajectory": "random_walk"}, None),
        ({"external_method": "mixture"}, None),
        ({"borrow_across_endpoints": False}, None),
        ({}, None),  # AR(1) visit vectors, rho a parameter
        ({"correlation": "cs"}, None),
        ({}, "rho_fixed"),
        ({}, "skeptical_prior"),
    ],
)
def test_longitudinal_port_follows_each_option_and_data_container(
    scot_with_visits, options: dict[str, Any], data: str | None
) -> None:
    external = [load_external(), load_trial("astis", population="french_subcohort")]
    builder = LongitudinalModel(scot_with_visits, external=external,
                                options=LongitudinalOptions(**options))
    assert builder._plan.vectors  # the simulated visits enter as vectors
    values: dict[str, np.ndarray] = {}
    if data == "rho_fixed":
        values = builder.rho_data(0.7)
    elif data == "skeptical_prior":
        grid = builder.prior_grid()
        values = builder.prior_data(next(p for n, p in grid.items() if "skeptical" in n))
    for name, value in values.items():
        builder.model[name].set_value(value)
    _assert_same_up_to_a_constant(builder.model, stan_longitudinal,
                                  stan_longitudinal.stan_data(builder, values))
