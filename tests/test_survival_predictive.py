"""The survival model's published counts and their replicates, as ArviZ reads them.

The draws stand in for a posterior: forward draws of the prior of SCOT's ITT model (no
MCMC). Replicates of a landmark count are counts among the same patients.
"""

from __future__ import annotations

import arviz as az
import matplotlib
import numpy as np
import pytest

from bayes_scot import _compat
from bayes_scot.builders.survival import SurvivalModel
from bayes_scot.data import load_trial
from bayes_scot.fitting.arviz_groups import add_arviz_groups
from bayes_scot.fitting.prior import PriorSampler
from bayes_scot.spec import load_spec

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def fit():
    options = load_spec("scot_itt").family("survival").options_object()
    builder = SurvivalModel(load_trial("scot", population="itt"), options=options)
    draws = PriorSampler(builder.model).sample(
        builder.prior_data(builder.prior_grid()["reference"]), chains=2, draws=100, seed=2)
    return builder, _compat.inference_data(posterior=draws)


def test_published_counts_and_replicates_for_az_plot_ppc(fit):
    builder, idata = fit

    class Compiled:  # what add_arviz_groups reads of a compiled model
        model = builder.model

    add_arviz_groups(Compiled(), idata, seed=3, builder=builder)
    observed = _compat.get_group(idata, "observed_data")
    replicates = _compat.get_group(idata, "posterior_predictive")
    # NEJM Table 2, ITT: EFS events by 48 months 10 (HSCT) and 20 (CYC) of 36 and 39.
    counts = observed["itt_efs_events_48"]
    assert counts.sel(itt_efs_events_48_arm="hsct").item() == 10
    assert counts.sel(itt_efs_events_48_arm="cyc").item() == 20
    drawn = replicates["itt_efs_events_48"]
    assert drawn.dims == ("chain", "draw", "itt_efs_events_48_arm")
    assert drawn.sel(itt_efs_events_48_arm="hsct").max() <= 36
    assert np.all(drawn.to_numpy() == np.round(drawn.to_numpy()))  # counts, not rates
    assert set(observed.data_vars) == set(replicates.data_vars)
    az.plot_ppc(idata, var_names=["itt_efs_events_48"], kind="scatter")


def test_the_one_endpoint_model_gives_its_counts_and_replicates():
    # Rossi et al. (1980), reduced to landmark counts as a paper would publish them.
    import _published as published

    from bayes_scot.builders.survival import survival_model

    builder = survival_model(published.landmark_counts(published.rossi(), [3.0, 6.0, 11.9]))
    draws = PriorSampler(builder.model).sample(
        builder.prior_data(builder.prior_grid()["reference"]), chains=2, draws=50, seed=4)
    observed, replicates = builder.predictive(_compat.inference_data(posterior=draws), seed=1)
    assert observed.data_vars
    assert set(observed.data_vars) == set(replicates.data_vars)
    for name in observed.data_vars:
        assert replicates[name].dims[:2] == ("chain", "draw")
        assert replicates[name].shape[2:] == observed[name].shape
