"""Prior sensitivity: the whole named grid, and power-scaling of the reference fit.

Two complementary views. The grid refits the model under every named prior (reference,
skeptical, optimistic, pessimistic at three strengths) and shows how a result moves:
:func:`sensitivity_grid`. Power-scaling (Kallioinen et al. 2024) asks, from the reference
fit alone, how much the posterior would change if the treatment-effect prior or the
likelihood were raised to a power near 1, using Pareto-smoothed importance sampling:
:func:`power_scaling_sensitivity`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from bayes_scot import _compat
from bayes_scot.results.fits import PriorFit
from bayes_scot.stats.priors import FixedScale

__all__ = [
    "CONSTANT_COLUMNS",
    "PSENS_COLUMNS",
    "PSENS_THRESHOLD",
    "constant_sensitivity",
    "effect_log_prior",
    "effect_values",
    "power_scaling_sensitivity",
    "sensitivity_grid",
]

PSENS_THRESHOLD: float = 0.05
"""Sensitivity at or above which the prior (or likelihood) is called informative
(Kallioinen et al. 2024)."""

PSENS_COLUMNS: tuple[str, ...] = (
    "endpoint",
    "estimand",
    "prior_sensitivity",
    "likelihood_sensitivity",
    "diagnosis",
)
"""Columns of :func:`power_scaling_sensitivity`, in order."""

CONSTANT_COLUMNS: tuple[str, ...] = (
    "option",
    "value",
    "endpoint",
    "estimand",
    "sensitivity",
    "informative",
)
"""Columns of :func:`constant_sensitivity`, in order."""


def sensitivity_grid(table: pd.DataFrame, value: str = "p_superior") -> pd.DataFrame:
    """One column per prior, one row per estimand, of one column of the superiority table.

    Parameters
    ----------
    table : pandas.DataFrame
        A superiority table (:func:`~bayes_scot.results.superiority_table`).
    value : str, default "p_superior"
        The column to spread (``"p_superior"``, ``"p_mcid"``, ``"median"``, ...).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(endpoint, estimand)`` in table order, columns the priors in table
        order.
    """
    if table.empty:
        return pd.DataFrame()
    keys = list(dict.fromkeys(zip(table["endpoint"], table["estimand"], strict=True)))
    priors = list(dict.fromkeys(table["prior"]))
    grid = table.pivot_table(
        index=["endpoint", "estimand"], columns="prior", values=value, aggfunc="first",
        sort=False,
    )
    grid = grid.reindex(index=pd.MultiIndex.from_tuples(keys, names=["endpoint", "estimand"]),
                        columns=priors)
    grid.columns.name = "prior"
    return grid


def effect_log_prior(fit: PriorFit) -> xr.DataArray:
    """Log density of the treatment-effect prior at each posterior draw.

    Parameters
    ----------
    fit : PriorFit
        A fit with ``idata`` and ``effect_priors`` (parameter name -> prior with ``mean``
        and ``sd``).

    Returns
    -------
    xarray.DataArray
        Dims ``(chain, draw)``: the sum over effect parameters, and over each parameter's
        elements, of the normal log density.

    Raises
    ------
    ValueError
        If the fit has no posterior, no effect priors, or lacks an effect parameter.

    Notes
    -----
    Each element of an effect parameter is taken to carry the named normal prior
    ``N(mean, sd)`` itself, as the builders place it. Only this part of the joint prior
    is power-scaled: the named grid varies this part alone, and selective power-scaling
    of one prior component is what the method recommends for asking "does *this* prior
    drive the result?" (Kallioinen et al. 2024, section 3.3).
    """
    if fit.idata is None or not fit.effect_priors:
        raise ValueError(f"the {fit.family} fit has no posterior or no effect priors")
    posterior = _compat.get_group(fit.idata, "posterior")
    total: xr.DataArray | None = None
    for name, prior in fit.effect_priors.items():
        values = effect_values(posterior, name, fit.family)
        logp = xr.apply_ufunc(stats.norm.logpdf, values, float(prior.mean), float(prior.sd))
        extra = [d for d in logp.dims if d not in ("chain", "draw")]
        logp = logp.sum(extra) if extra else logp
        total = logp if total is None else total + logp
    assert total is not None
    return total


def effect_values(posterior: Any, name: str, family: str) -> xr.DataArray:
    """Return an effect parameter's draws: a variable, or one element ``"name[label]"``.

    Parameters
    ----------
    posterior : xarray.Dataset
        A fit's posterior group.
    name : str
        A variable of the posterior, or ``"<variable>[<label>]"`` for the element of a
        variable with one dimension besides chain and draw (the longitudinal model's
        ``"standardised_effect[fvc]"``).
    family : str
        For the error message.

    Returns
    -------
    xarray.DataArray

    Raises
    ------
    ValueError
        If the posterior has no such variable or element.
    """
    base, _, label = name.partition("[")
    if name in posterior:
        return posterior[name]
    if label.endswith("]") and base in posterior:
        values = posterior[base]
        extra = [d for d in values.dims if d not in ("chain", "draw")]
        if len(extra) == 1 and label[:-1] in values[extra[0]].to_numpy():
            return values.sel({extra[0]: label[:-1]})
    raise ValueError(f"effect parameter {name!r} is not in the {family} posterior")


def power_scaling_sensitivity(fit: PriorFit, *, delta: float = 0.01) -> pd.DataFrame:
    """Power-scaling sensitivity of every estimand of one fit (ArviZ ``psens``).

    Parameters
    ----------
    fit : PriorFit
        Usually the reference fit. Needs ``idata`` with the effect parameters in its
        posterior and ``effect_priors``; the likelihood column needs a ``log_likelihood``
        group in ``idata``.
    delta : float, default 0.01
        Finite-difference step of the power ``alpha`` (ArviZ default).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PSENS_COLUMNS`: the sensitivity (cumulative Jensen-Shannon
        distance derivative) of each estimand's posterior to power-scaling the
        treatment-effect prior and the likelihood (NaN when the fit has no pointwise
        log-likelihood), and a diagnosis: ``"prior-data conflict"`` when both are at
        least :data:`PSENS_THRESHOLD`, ``"strong prior / weak likelihood"`` when only the
        prior is, ``"weak likelihood"`` when only the likelihood is not, ``""``
        otherwise.

    Notes
    -----
    A prior sensitivity of at least 0.05 means the prior is informative for that
    estimand: the data do not overwhelm it. Pareto-smoothed importance sampling may warn
    that the weights are unreliable; those warnings are recorded in the diagnosis rather
    than raised.

    References
    ----------
    .. [1] Kallioinen N, Paananen T, Bürkner P-C, Vehtari A. Detecting and diagnosing
       prior and likelihood sensitivity with power-scaling. Statistics and Computing
       2024;34:57. doi:10.1007/s11222-023-10366-5
    """
    log_prior = effect_log_prior(fit)
    names, posterior = _estimand_draws(fit, log_prior)
    groups: dict[str, Any] = {
        "posterior": posterior,
        "log_prior": xr.Dataset({"effect_prior": log_prior}),
    }
    has_likelihood = _compat.has_group(fit.idata, "log_likelihood")
    if has_likelihood:
        groups["log_likelihood"] = _compat.get_group(fit.idata, "log_likelihood")
    data = _compat.inference_data(**groups)
    notes: list[str] = []
    prior_sens = _psens(data, "prior", delta, notes)
    like_sens = (
        _psens(data, "likelihood", delta, notes) if has_likelihood else {}
    )
    rows = []
    for key, e in names.items():
        p = prior_sens.get(key, math.nan)
        lik = like_sens.get(key, math.nan)
        rows.append(
            {
                "endpoint": e.endpoint,
                "estimand": e.estimand,
                "prior_sensitivity": p,
                "likelihood_sensitivity": lik,
                "diagnosis": _diagnose(p, lik, notes),
            }
        )
    return pd.DataFrame(rows, columns=list(PSENS_COLUMNS))


def constant_sensitivity(fit: PriorFit, *, delta: float = 0.01) -> pd.DataFrame:
    r"""How much each estimand depends on each prior scale the model fixes.

    A fixed scale (:class:`~bayes_scot.stats.priors.FixedScale`: a smoothing SD, the
    scale of a half-normal hyperprior) multiplies variables whose prior is a normal (or
    half-normal) kernel centred at zero. Raising that kernel to a power :math:`\alpha`
    is the same as dividing the scale by :math:`\sqrt{\alpha}`, so power-scaling this
    component of the prior alone (Kallioinen et al. 2024, section 3.3) measures the
    sensitivity of every estimand to the option's value, from the fit's own draws and
    with no refit. A sensitivity of at least :data:`PSENS_THRESHOLD` means that the
    option shapes that result: a reader should see it varied (the option is documented
    with the model's other options).

    External evidence enters as a power prior, its log-likelihood times a fixed weight
    :math:`a_0` (the option ``external_weight``, or ``external_weights`` per entry).
    Raising that term to a power :math:`\alpha` is the same as giving it the weight
    :math:`\alpha a_0`, so power-scaling all external terms together gives the row
    ``external_weight`` (its ``value`` the largest weight in the fit): how much each
    result depends on the weights.

    Parameters
    ----------
    fit : PriorFit
        Usually the reference fit, with ``idata`` and ``fixed_scales``.
    delta : float, default 0.01
        Finite-difference step of the power.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CONSTANT_COLUMNS`, one row per fixed scale and estimand; empty
        when the fit has no posterior or no fixed scale.

    References
    ----------
    .. [1] Kallioinen N, Paananen T, Bürkner P-C, Vehtari A. Detecting and diagnosing
       prior and likelihood sensitivity with power-scaling. Statistics and Computing
       2024;34:57. doi:10.1007/s11222-023-10366-5
    """
    if fit.idata is None or not fit.fixed_scales:
        return pd.DataFrame(columns=list(CONSTANT_COLUMNS))
    draws = _compat.get_group(fit.idata, "posterior")
    rows = []
    for scale in fit.fixed_scales:
        if not all(name in draws for name in scale.variables):
            continue
        kernel = xr.concat([_summed(_log_kernel(scale, draws[name]))
                            for name in scale.variables], dim="variable").sum("variable")
        rows += _constant_rows(fit, scale.option, scale.value, kernel, delta)
    external = [t for t in fit.likelihood_terms if t.source == "external"]
    weights = [t.weight for t in external if not math.isnan(t.weight)]
    if external and weights:
        like = draws[next(iter(draws.data_vars))]
        kernel = xr.DataArray(np.sum([np.asarray(t.draws, dtype=float) for t in external],
                                     axis=0).reshape(like.sizes["chain"], like.sizes["draw"]),
                              dims=("chain", "draw"),
                              coords={"chain": like["chain"], "draw": like["draw"]})
        rows += _constant_rows(fit, "external_weight", max(weights), kernel, delta)
    return pd.DataFrame(rows, columns=list(CONSTANT_COLUMNS))


def _constant_rows(fit: PriorFit, option: str, value: float, kernel: xr.DataArray,
                   delta: float) -> list[dict[str, Any]]:
    """One row per estimand: its sensitivity to power-scaling the log density ``kernel``."""
    names, posterior = _estimand_draws(fit, kernel)
    data = _compat.inference_data(posterior=posterior,
                                  log_prior=xr.Dataset({option: kernel}))
    sensitivity = _psens(data, "prior", delta, [])
    return [{"option": option, "value": value, "endpoint": e.endpoint,
             "estimand": e.estimand, "sensitivity": sensitivity.get(key, math.nan),
             "informative": bool(sensitivity.get(key, 0.0) >= PSENS_THRESHOLD)}
            for key, e in names.items()]


def _log_kernel(scale: FixedScale, values: xr.DataArray) -> xr.DataArray:
    """Log prior density of a fixed scale's (or hyperprior's) variables at the draws."""
    if scale.beta is not None:
        return xr.apply_ufunc(stats.beta.logpdf, values, *scale.beta)
    return xr.apply_ufunc(stats.norm.logpdf, values, 0.0, scale.kernel_sd)


def _summed(values: xr.DataArray) -> xr.DataArray:
    """Sum a per-draw array over every dim but ``chain`` and ``draw``."""
    extra = [d for d in values.dims if d not in ("chain", "draw")]
    return values.sum(extra) if extra else values


def _estimand_draws(fit: PriorFit, like: xr.DataArray) -> tuple[dict[str, Any], xr.Dataset]:
    """Return the fit's estimands by ``"endpoint:estimand"`` and their draws.

    ``like`` (dims ``chain``, ``draw``) gives the shape and coords.
    """
    chains, draws = like.sizes["chain"], like.sizes["draw"]
    names = {f"{e.endpoint}:{e.estimand}": e for e in fit.estimands}
    posterior = xr.Dataset(
        {key: (("chain", "draw"), np.asarray(e.draws, dtype=float).reshape(chains, draws))
         for key, e in names.items()},
        coords={"chain": like["chain"].to_numpy(), "draw": like["draw"].to_numpy()},
    )
    return names, posterior


def _psens(
    data: Any, component: str, delta: float, notes: list[str]
) -> Mapping[str, float]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _compat.psens(data, component=component, delta=delta)
    for w in caught:
        message = str(w.message).split("\n")[0]
        if message not in notes:
            notes.append(message)
    return {str(k): float(result[k].to_numpy()) for k in result.data_vars}


def _diagnose(prior: float, likelihood: float, notes: list[str]) -> str:
    text = ""
    if not math.isnan(prior) and prior >= PSENS_THRESHOLD:
        if not math.isnan(likelihood) and likelihood >= PSENS_THRESHOLD:
            text = "prior-data conflict"
        else:
            text = "strong prior / weak likelihood"
    elif not math.isnan(likelihood) and likelihood < PSENS_THRESHOLD:
        text = "weak likelihood"
    if notes:
        text = "; ".join([t for t in (text, *notes) if t])
    return text
