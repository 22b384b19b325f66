r"""Composite endpoint (SCOT's global rank composite score) as win statistics: two routes.

SCOT's primary endpoint compared every HSCT patient with every CYC patient down a
hierarchy: death, then an EFS event (respiratory, renal or cardiac failure), then FVC,
HAQ-DI and mRSS at 54 months (Sullivan et al. 2018). Two routes lead to a posterior.

Direct route, :class:`CompositeModel`
    The published summary (66.6% of 1404 pairs favoured HSCT, P = 0.01) enters as one
    normal observation of the net benefit (or log win odds) with its SE derived from the
    p-value (:func:`bayes_scot.stats.win.pairwise_effect`); a normal prior from the named
    grid gives a normal posterior, in closed form (:meth:`CompositeModel.closed_form`).
    A reanalysis reports it exactly, without MCMC (:class:`ClosedFormSampler`); the PyMC
    model (one compilation for the whole grid; prior hyperparameters are ``pm.Data``)
    agrees with it and serves posterior-predictive checks.

Model-based route, :func:`model_based_grcs` and :func:`grcs_from_posteriors`
    Posterior draws of the illness-death transition hazards (survival model) and of the
    arm means at 54 months (longitudinal model) generate patients per arm and draw; all
    pairs are compared through the hierarchy (:func:`bayes_scot.stats.win.win_statistics_draws`).
    At the trial's size (36 vs 39) this is the posterior predictive of the published
    66.6%; with many patients per arm it is the population estimand.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr
from scipy.special import ndtri
from scipy.stats import norm

from bayes_scot.builders.base import EvidenceUse, evidence_log_frame
from bayes_scot.conventions import CREDIBLE_LEVEL, DEFAULT_SEED
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import PairwiseSummary, Trial, get_endpoint
from bayes_scot.evidence.trial import ALL_POPULATIONS
from bayes_scot.likelihood.composite import pairwise_summary
from bayes_scot.stats.estimands import EstimandDraws
from bayes_scot.stats.illness_death import TRANSITIONS, simulate_paths
from bayes_scot.stats.normal_normal import normal_posterior
from bayes_scot.stats.priors import EffectPrior, prior_grid
from bayes_scot.stats.win import (
    SCALES,
    HierarchyLevel,
    PairwiseEffect,
    PairwisePosterior,
    WinStatistics,
    direct_estimands,
    pairwise_effect,
    pairwise_posterior,
    win_statistics_draws,
)

__all__ = [
    "CONTINUOUS_LEVELS",
    "GRCS_LEVELS",
    "ClosedFormSampler",
    "CompositeModel",
    "CompositeOptions",
    "GrcsPrediction",
    "GrcsSimulationOptions",
    "grcs_from_posteriors",
    "grcs_hierarchy",
    "model_based_grcs",
    "simulate_grcs_arm",
]

ENDPOINT = "grcs"
"""Endpoint name of every estimand of this module."""

_LABELS: Mapping[str, str] = {
    "net_benefit": "net benefit (P(win) - P(loss))",
    "win_probability": "win probability (ties split)",
    "win_odds": "win odds",
    "win_ratio": "win ratio",
    "p_win": "proportion of pairs won",
    "p_loss": "proportion of pairs lost",
}

_NULLS: Mapping[str, tuple[float, Literal["higher", "lower"]]] = {
    "net_benefit": (0.0, "higher"),
    "win_probability": (0.5, "higher"),
    "win_odds": (1.0, "higher"),
    "win_ratio": (1.0, "higher"),
    "p_win": (0.5, "higher"),
    "p_loss": (0.5, "lower"),
}


# =======================================================================================
# Direct route
# =======================================================================================


@dataclass(frozen=True, kw_only=True)
class CompositeOptions:
    """Options of the direct route (one field per key of the analysis spec).

    Parameters
    ----------
    time_months : float, default 54
        Which published summary to use (SCOT reports 54 and 48 months).
    scale : {"net_benefit", "log_win_odds"}, default "net_benefit"
        Scale of the effect parameter, its prior and the likelihood. The SE derived from
        the p-value matches the U-statistic's sampling SD within 3% on the net-benefit
        scale and is about 7% too small on the log-win-odds scale
        (:func:`bayes_scot.stats.win.pairwise_effect`).
    se_method : {"p_value", "hanley_mcneil"}, default "p_value"
        Source of the standard error.
    design_effect : float, optional
        Centre of the optimistic priors on the effect scale. Default: a win odds of 1.5,
        i.e. a net benefit of 0.2 (``1.5 = 1.2 / 0.8``), or ``log(1.5)`` on the
        log-win-odds scale. A package default, not a SCOT design parameter: review it.
    reference_sd : float, optional
        SD of the weakly informative reference prior: default 0.5 on the net-benefit
        scale (95% of its mass in (-0.98, 0.98), nearly the whole range) and 1.0 on the
        log-win-odds scale (the same local spread: d NB / d log WO = 1/2 at no effect).
    """

    time_months: float = 54.0
    scale: Literal["net_benefit", "log_win_odds"] = "net_benefit"
    se_method: Literal["p_value", "hanley_mcneil"] = "p_value"
    design_effect: float | None = None
    reference_sd: float | None = None

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise EvidenceError(
                f"scale must be one of {', '.join(SCALES)}, not {self.scale!r}", field="scale"
            )
        if self.se_method not in ("p_value", "hanley_mcneil"):
            raise EvidenceError(
                f"se_method must be 'p_value' or 'hanley_mcneil', not {self.se_method!r}",
                field="se_method",
            )

    @property
    def effect_design(self) -> float:
        """The design effect on the effect scale (default: win odds 1.5)."""
        if self.design_effect is not None:
            return float(self.design_effect)
        return 0.2 if self.scale == "net_benefit" else math.log(1.5)

    @property
    def effect_reference_sd(self) -> float:
        """The reference prior's SD on the effect scale."""
        if self.reference_sd is not None:
            return float(self.reference_sd)
        return 0.5 if self.scale == "net_benefit" else 1.0


class CompositeModel:
    r"""Direct route: the published pairwise summary under a normal prior on the effect.

    Parameters
    ----------
    trial : Trial, or a sequence holding one Trial
        A trial with a :class:`~bayes_scot.evidence.PairwiseSummary` entry for endpoint
        ``"grcs"`` at ``options.time_months`` in the trial's population (``"itt"`` when
        the view holds all populations).
    options : CompositeOptions, optional
    prior : EffectPrior, optional
        Prior whose values the model's prior data containers start with (default: the
        grid's reference prior). Other priors are passed at sampling time through
        :meth:`prior_data`, without rebuilding or recompiling.

    Attributes
    ----------
    model : pymc.Model
        :math:`\theta \sim N(\mu_0, \sigma_0^2)`, :math:`\hat\theta \sim N(\theta,
        \mathrm{SE}^2)`, with data containers ``<effect>_prior_mean``,
        ``<effect>_prior_sd``, ``grcs_estimate`` and ``grcs_se``, and deterministics
        ``win_probability`` and ``win_odds``.
    effect_parameters : tuple of str
        ``("net_benefit",)`` or ``("log_win_odds",)``.
    entry : PairwiseSummary
        The published summary used.
    observation : PairwiseEffect
        Its estimate and standard error on the effect scale.
    structure_key : tuple
        Models with equal keys share one compilation.

    Examples
    --------
    >>> from bayes_scot import load_trial
    >>> model = CompositeModel(load_trial("scot"))
    >>> round(model.observation.estimate, 3), round(model.observation.se, 3)
    (0.332, 0.129)
    >>> posterior = model.closed_form(model.prior_grid()["reference"])
    >>> round(posterior.p_superior(), 3)
    0.994
    """

    def __init__(
        self,
        trial: Trial | Sequence[Trial],
        *,
        options: CompositeOptions | None = None,
        prior: EffectPrior | None = None,
    ) -> None:
        if not isinstance(trial, Trial):
            trials = list(trial)
            if len(trials) != 1 or not isinstance(trials[0], Trial):
                raise EvidenceError(
                    "the direct route analyses one trial's published summary; "
                    f"got {len(trials)} trials",
                    field="trials",
                )
            trial = trials[0]
        self.trial = trial
        self.options = options or CompositeOptions()
        self.population = (
            trial.population if trial.population != ALL_POPULATIONS else "itt"
        )
        self.entry = _grcs_entry(trial, self.options.time_months, self.population)
        self.arms = (trial.experimental, trial.control)
        self.observation: PairwiseEffect = pairwise_effect(
            self.entry,
            experimental=trial.experimental,
            control=trial.control,
            scale=self.options.scale,
            se_method=self.options.se_method,
        )
        self.effect_parameters: tuple[str, ...] = (self.options.scale,)
        self.structure_key: tuple[str, ...] = ("composite_direct", self.options.scale)
        start = prior or self.prior_grid()["reference"]
        self.model = self._build(start)

    def __repr__(self) -> str:
        obs = self.observation
        return (
            f"<CompositeModel {self.trial.name} {self.entry.id}: {self.options.scale} "
            f"{obs.estimate:.3f} (SE {obs.se:.3f}, from {obs.se_method})>"
        )

    # -- model ------------------------------------------------------------------------
    def _build(self, prior: EffectPrior) -> pm.Model:
        name = self.options.scale
        obs = self.observation
        with pm.Model() as model:
            prior_mean = pm.Data(f"{name}_prior_mean", np.asarray(prior.mean))
            prior_sd = pm.Data(f"{name}_prior_sd", np.asarray(prior.sd))
            estimate = pm.Data("grcs_estimate", np.asarray(obs.estimate))
            se = pm.Data("grcs_se", np.asarray(obs.se))
            effect = pm.Normal(name, mu=prior_mean, sigma=prior_sd)
            if name == "net_benefit":
                win_probability = (1.0 + effect) / 2.0
            else:
                win_probability = pm.math.sigmoid(effect)
            pm.Deterministic("win_probability", win_probability)
            pm.Deterministic("win_odds", win_probability / (1.0 - win_probability))
            pairwise_summary("grcs_observed", effect, estimate=estimate, se=se)
        return model

    def prior_grid(self) -> dict[str, EffectPrior]:
        """Return the package's named grid of 13 priors on the effect parameter.

        Returns
        -------
        dict of str to EffectPrior
            :func:`bayes_scot.stats.priors.prior_grid` with ``benefit="higher"``, the
            options' design effect and reference SD; on the log-win-odds scale the
            statements are written on the win-odds scale.
        """
        return prior_grid(
            design_effect=self.options.effect_design,
            benefit="higher",
            reference_sd=self.options.effect_reference_sd,
            measure="WO" if self.options.scale == "log_win_odds" else None,
        )

    def default_priors(self) -> dict[str, EffectPrior]:
        """Return :meth:`prior_grid` (this method's former name)."""
        return self.prior_grid()

    @property
    def evidence_log(self) -> pd.DataFrame:
        """Every pairwise summary of the composite endpoint, and whether it is used.

        Returns
        -------
        pandas.DataFrame
            :func:`~bayes_scot.builders.base.evidence_log_frame` of one
            :class:`~bayes_scot.builders.base.EvidenceUse` per entry.
        """
        uses = []
        for e in self.trial.evidence(PairwiseSummary, endpoint=ENDPOINT):
            if e.id == self.entry.id:
                uses.append(EvidenceUse(
                    trial=self.trial.name, entry=e.id, used=True, term="grcs_observed",
                    note=f"{self.options.scale} {self.observation.estimate:.3f} "
                         f"(SE {self.observation.se:.3f}, from {self.observation.se_method})",
                ))
                continue
            why = (f"population {e.population!r}" if e.population != self.population
                   else f"{e.time_months:g} months, not the analysed {self.options.time_months:g}")
            uses.append(EvidenceUse(trial=self.trial.name, entry=e.id, used=False,
                                    note=f"not analysed: {why}"))
        return evidence_log_frame(uses)

    def prior_data(self, prior: EffectPrior | Mapping[str, EffectPrior]) -> dict[str, np.ndarray]:
        """Values of the model's prior data containers for ``prior``.

        Parameters
        ----------
        prior : EffectPrior or mapping of str to EffectPrior
            One prior, or a mapping from the effect parameter's name to its prior.

        Returns
        -------
        dict of str to numpy.ndarray
            ``{"<effect>_prior_mean": ..., "<effect>_prior_sd": ...}`` for
            :meth:`bayes_scot.fitting.CompiledModel.sample`.
        """
        name = self.options.scale
        if isinstance(prior, Mapping):
            if name not in prior:
                raise EvidenceError(
                    f"no prior for the effect parameter {name!r}; given: {', '.join(prior)}",
                    field="priors",
                )
            prior = prior[name]
        if not isinstance(prior, EffectPrior):
            raise EvidenceError(
                f"expected an EffectPrior, not {type(prior).__name__}", field="priors"
            )
        return {
            f"{name}_prior_mean": np.asarray(prior.mean, dtype=float),
            f"{name}_prior_sd": np.asarray(prior.sd, dtype=float),
        }

    # -- closed form ------------------------------------------------------------------
    def closed_form(self, prior: EffectPrior) -> PairwisePosterior:
        """Exact posterior under ``prior`` (normal-normal conjugate update).

        Parameters
        ----------
        prior : EffectPrior

        Returns
        -------
        PairwisePosterior
        """
        return pairwise_posterior(self.observation, prior.mean, prior.sd, prior=prior.name)

    def closed_form_table(
        self, priors: Mapping[str, EffectPrior] | None = None, *, level: float = CREDIBLE_LEVEL
    ) -> pd.DataFrame:
        """Closed-form summaries of every estimand under every prior.

        Parameters
        ----------
        priors : mapping of str to EffectPrior, optional
            Default :meth:`prior_grid`.
        level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`

        Returns
        -------
        pandas.DataFrame
            Columns ``prior, estimand, median, lower, upper, p_superior``; ``p_superior``
            is the posterior probability that HSCT wins more often than it loses.
        """
        priors = priors or self.prior_grid()
        frames = [self.closed_form(p).summary(level) for p in priors.values()]
        return pd.concat(frames).reset_index()[
            ["prior", "estimand", "median", "lower", "upper", "p_superior"]
        ]

    def exact_sampler(self) -> ClosedFormSampler:
        """Return the exact posterior of every prior, with a compiled model's interface.

        Returns
        -------
        ClosedFormSampler
            Used by :func:`bayes_scot.reanalyse` in place of MCMC.
        """
        return ClosedFormSampler(self)

    # -- posterior --------------------------------------------------------------------
    def _effect_draws(self, idata: Any) -> np.ndarray:
        posterior = idata.posterior if hasattr(idata, "posterior") else idata["posterior"]
        name = self.options.scale
        if name not in posterior:
            raise EvidenceError(
                f"the posterior has no variable {name!r}: was it sampled from this model?",
                field="idata",
            )
        return np.asarray(posterior[name].transpose("chain", "draw").values, dtype=float)

    def estimands(self, idata: Any) -> list[EstimandDraws]:
        """Posterior draws of net benefit, win probability, win odds and win ratio.

        Parameters
        ----------
        idata : arviz.InferenceData
            Posterior sampled from :attr:`model`.

        Returns
        -------
        list of EstimandDraws
            Endpoint ``"grcs"``; estimands ``net_benefit_<t>``, ``win_probability_<t>``,
            ``win_odds_<t>`` and ``win_ratio_<t>`` (``<t>`` the months), all with
            ``superior="higher"``; null 0 for the net benefit, 0.5 for the win
            probability, 1 for the ratios. The ``p_superior`` of the net benefit is
            P(HSCT wins more often than it loses).
        """
        theta = self._effect_draws(idata)
        values = direct_estimands(theta, scale=self.options.scale, p_tie=self.observation.p_tie)
        t = self.options.time_months
        arms = f"{self.arms[0].upper()} vs {self.arms[1].upper()}"
        out = []
        for name, draws in values.items():
            null, superior = _NULLS[name]
            out.append(
                EstimandDraws(
                    endpoint=ENDPOINT,
                    estimand=f"{name}_{t:g}",
                    label=f"GRCS at {t:g} months, {_LABELS[name]}, {arms} (published summary)",
                    draws=draws,
                    null=null,
                    superior=superior,
                    evidence="trial",
                    attrs={"route": "direct", "entry": self.entry.id,
                           "population": self.population, "scale": self.options.scale,
                           **_closed_form_attrs(idata)},
                )
            )
        return out

    def reproduce(self, idata: Any, *, seed: int = DEFAULT_SEED) -> pd.DataFrame:
        r"""Set the published percentages beside their posterior predictive distribution.

        Parameters
        ----------
        idata : arviz.InferenceData
            Posterior sampled from :attr:`model`. When it holds a posterior predictive
            group with ``grcs_observed``, that is used; otherwise replicates are drawn
            here, :math:`\hat\theta^{rep} \sim N(\theta, \mathrm{SE}^2)`.
        seed : int, default :data:`~bayes_scot.conventions.DEFAULT_SEED`
            Seed of the replicate draws.

        Returns
        -------
        pandas.DataFrame
            One row per arm: ``statistic`` ``"percent_favourable"``, ``published`` (e.g.
            66.6 and 33.4), the predictive ``median``, ``lower``, ``upper`` at
            :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`, and ``outside``.
        """
        replicate = None
        predictive = getattr(idata, "posterior_predictive", None)
        if predictive is not None and "grcs_observed" in predictive:
            replicate = np.asarray(predictive["grcs_observed"].values, dtype=float)
        if replicate is None:
            theta = self._effect_draws(idata)
            rng = np.random.default_rng(seed)
            replicate = theta + self.observation.se * rng.standard_normal(theta.shape)
        a = direct_estimands(replicate, scale=self.options.scale)["win_probability"]
        tie = self.observation.p_tie
        percent = {
            self.arms[0]: 100.0 * (a - tie / 2.0),
            self.arms[1]: 100.0 * (1.0 - a - tie / 2.0),
        }
        return _reproduce_rows(self.trial.name, self.entry, percent)


class ClosedFormSampler:
    r"""The direct route's exact posterior, returned like a sampled one (no MCMC).

    The prior :math:`N(m_0, s_0^2)` and the observation :math:`\hat\theta \sim
    N(\theta, \mathrm{SE}^2)` give the posterior :math:`N(m_1, s_1^2)` with
    :math:`s_1^{-2} = s_0^{-2} + \mathrm{SE}^{-2}` and :math:`m_1 = s_1^2 (m_0 / s_0^2 +
    \hat\theta / \mathrm{SE}^2)`. Its "draws" are the posterior's quantiles at the
    probabilities :math:`(i + 1/2)/N`, :math:`i = 0, \dots, N - 1`, in an order shuffled by
    the seed: every summary computed from them is exact up to the grid's resolution
    (a tail probability within :math:`1/N`, e.g. 0.00025 for 4 x 1000 draws), and the
    exact values are kept in the posterior's attributes and each estimand's ``attrs``
    (``exact_mean``, ``exact_sd``, ``exact_p_superior``).

    Parameters
    ----------
    builder : CompositeModel

    Notes
    -----
    Has the interface of :class:`bayes_scot.fitting.CompiledModel` that a reanalysis
    uses (:meth:`sample`, :meth:`sample_many`, :meth:`iter_samples`, :attr:`batches`,
    :attr:`backend`). Each fit holds the groups ``posterior`` (the effect, win
    probability and win odds), ``prior`` (the prior's quantiles, built the same way),
    ``sample_stats`` (no divergences), ``constant_data`` (the prior and the
    observation), ``observed_data`` and, when asked, ``log_likelihood``.
    """

    backend = "closed_form"
    batches = False

    def __init__(self, builder: CompositeModel) -> None:
        self.builder = builder

    def sample(self, data: Mapping[str, Any] | None = None, *, settings: Any = None,
               seed: int, log_likelihood: bool = False) -> Any:
        """Return the exact posterior for one set of data values (see the class)."""
        return self.sample_many({"fit": data or {}}, settings=settings, seed=seed,
                                log_likelihood=log_likelihood)["fit"]

    def sample_many(self, datasets: Mapping[str, Mapping[str, Any]], *, settings: Any = None,
                    seed: int, log_likelihood: bool | str | Sequence[str] = False,
                    ) -> dict[str, Any]:
        """Return the exact posterior for every named set of data values."""
        return dict(self.iter_samples(datasets, settings=settings, seed=seed,
                                      log_likelihood=log_likelihood))

    def iter_samples(self, datasets: Mapping[str, Mapping[str, Any]], *, settings: Any = None,
                     seed: int, log_likelihood: bool | str | Sequence[str] = False,
                     ) -> Iterator[tuple[str, Any]]:
        """Yield ``(name, posterior)`` per set of data values, as a compiled model does.

        Parameters
        ----------
        datasets : mapping of str to mapping
            Data values by container name (:meth:`CompositeModel.prior_data`); the
            containers not named keep the built model's values.
        settings : SamplerSettings, optional
            Its ``chains`` and ``draws`` set the number of quantiles (default 4 x 1000).
        seed : int
            Seeds the order of the quantiles.
        log_likelihood : bool, str or sequence of str
            Fits (all, or by name) that get the ``log_likelihood`` group.
        """
        chains = getattr(settings, "chains", 4)
        draws = getattr(settings, "draws", 1000)
        wanted = {log_likelihood} if isinstance(log_likelihood, str) else (
            set(datasets) if log_likelihood is True else set(log_likelihood or ()))
        built = {v.name: np.asarray(v.get_value()) for v in self.builder.model.data_vars}
        for name, data in datasets.items():
            unknown = set(data) - set(built)
            if unknown:
                raise KeyError(f"{sorted(unknown)} are not data containers of the model; "
                               f"known: {sorted(built)}")
            values = {**built, **{k: np.asarray(v, dtype=float) for k, v in data.items()}}
            yield name, self._fit(values, chains, draws, seed, name in wanted)

    def posterior_predictive(self, idata: Any, *, seed: int,
                             var_names: Sequence[str] | None = None) -> Any:
        r"""Add replicates of the published summary to ``idata``.

        :math:`\hat\theta^{rep} \sim N(\theta, \mathrm{SE}^2)` per posterior draw.

        Parameters
        ----------
        idata : arviz.InferenceData
            A fit from :meth:`sample`.
        seed : int
        var_names : sequence of str, optional
            Only ``"grcs_observed"`` exists.

        Returns
        -------
        arviz.InferenceData
            ``idata`` with a ``posterior_predictive`` group.
        """
        from bayes_scot import _compat

        unknown = set(var_names or ()) - {"grcs_observed"}
        if unknown:
            raise KeyError(f"{sorted(unknown)}: the only observed variable is 'grcs_observed'")
        theta = _compat.get_group(idata, "posterior")[self.builder.options.scale]
        se = float(_compat.get_group(idata, "constant_data")["grcs_se"])
        noise = np.random.default_rng(seed).standard_normal(theta.shape)
        replicate = xr.Dataset({"grcs_observed": theta.copy(data=theta.to_numpy() + se * noise)})
        _compat.add_group(idata, "posterior_predictive", replicate)
        return idata

    def _fit(self, values: Mapping[str, np.ndarray], chains: int, draws: int, seed: int,
             log_likelihood: bool) -> Any:
        from bayes_scot import _compat

        scale = self.builder.options.scale
        m0 = float(values[f"{scale}_prior_mean"])
        s0 = float(values[f"{scale}_prior_sd"])
        estimate, se = float(values["grcs_estimate"]), float(values["grcs_se"])
        mean, sd = normal_posterior(m0, s0, estimate, se)
        m1, s1 = float(mean), float(sd)
        rng = np.random.default_rng(seed)
        posterior = self._dataset(_normal_quantiles(m1, s1, chains, draws, rng))
        posterior.attrs.update(sampler_backend=self.backend, seed=int(seed),
                               exact_mean=m1, exact_sd=s1,
                               exact_p_superior=float(norm.cdf(m1 / s1)))
        prior = self._dataset(_normal_quantiles(m0, s0, chains, draws, rng))
        prior.attrs.update(exact_mean=m0, exact_sd=s0,
                           exact_p_superior=float(norm.cdf(m0 / s0)))
        groups = {
            "posterior": posterior,
            "prior": prior,
            "sample_stats": xr.Dataset({"diverging": (("chain", "draw"),
                                                      np.zeros((chains, draws), bool))}),
            "constant_data": xr.Dataset({k: ((), np.asarray(v)) for k, v in values.items()}),
            "observed_data": xr.Dataset({"grcs_observed": ((), np.asarray(estimate))}),
        }
        if log_likelihood:
            theta = posterior[scale].to_numpy()
            groups["log_likelihood"] = xr.Dataset({"grcs_observed": (
                ("chain", "draw"), norm.logpdf(estimate, loc=theta, scale=se))})
        return _compat.inference_data(**groups)

    def _dataset(self, theta: np.ndarray) -> xr.Dataset:
        a = direct_estimands(theta, scale=self.builder.options.scale)["win_probability"]
        chains, draws = theta.shape
        return xr.Dataset(
            {self.builder.options.scale: (("chain", "draw"), theta),
             "win_probability": (("chain", "draw"), a),
             "win_odds": (("chain", "draw"), a / (1.0 - a))},
            coords={"chain": np.arange(chains), "draw": np.arange(draws)},
        )


def _normal_quantiles(mean: float, sd: float, chains: int, draws: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Quantiles of N(mean, sd^2) at (i + 1/2)/N, shuffled, shape (chains, draws)."""
    n = chains * draws
    u = (rng.permutation(n) + 0.5) / n
    return (mean + sd * ndtri(u)).reshape(chains, draws)


def _closed_form_attrs(idata: Any) -> dict[str, float]:
    """Return the exact posterior summaries a closed-form fit records, if any."""
    posterior = idata.posterior if hasattr(idata, "posterior") else idata["posterior"]
    attrs = getattr(posterior, "attrs", {})
    return {k: float(attrs[k]) for k in ("exact_mean", "exact_sd", "exact_p_superior")
            if k in attrs}


def _grcs_entry(trial: Trial, time_months: float, population: str) -> PairwiseSummary:
    entries = [
        e
        for e in trial.evidence(PairwiseSummary, endpoint=ENDPOINT, population=population)
        if e.time_months == time_months
    ]
    if not entries:
        available = ", ".join(
            f"{e.id} ({e.population}, {e.time_months:g} months)"
            for e in trial.evidence(PairwiseSummary, endpoint=ENDPOINT)
        ) or "none"
        raise EvidenceError(
            f"no GRCS pairwise summary at {time_months:g} months for population "
            f"{population!r}; available: {available}",
            file=trial.path,
            field="pairwise",
        )
    return entries[0]


def _reproduce_rows(
    trial_name: str, entry: PairwiseSummary, percent: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    alpha = (1.0 - CREDIBLE_LEVEL) / 2.0
    favourable = dict(entry.percent_favourable or {})
    rows = []
    for arm, values in percent.items():
        lower, median, upper = np.nanquantile(values, [alpha, 0.5, 1.0 - alpha])
        published = float(favourable[arm])
        rows.append(
            {
                "trial": trial_name,
                "entry": entry.id,
                "endpoint": entry.endpoint,
                "population": entry.population,
                "arm": arm,
                "time_months": float(entry.time_months),
                "statistic": "percent_favourable",
                "published": published,
                "median": float(median),
                "lower": float(lower),
                "upper": float(upper),
                "outside": bool(published < lower or published > upper),
            }
        )
    return pd.DataFrame(rows)


# =======================================================================================
# Model-based route
# =======================================================================================

GRCS_LEVELS: tuple[str, ...] = ("death", "efs_event", "fvc", "haq_di", "mrss")
"""Levels of SCOT's GRCS hierarchy, most important first (Sullivan et al. 2018)."""

CONTINUOUS_LEVELS: tuple[str, ...] = ("fvc", "haq_di", "mrss")
"""The continuous levels, compared among patients event-free at the horizon."""


@dataclass(frozen=True, kw_only=True)
class GrcsSimulationOptions:
    """Options of the model-based route (one field per key of the analysis spec).

    Parameters
    ----------
    horizon_months : float, default 54
        Time of the comparison (SCOT's primary analysis: 54 months).
    fvc_margin, haq_di_margin, mrss_margin : float
        Tie margins of the continuous levels: a difference of at most the margin ties
        and passes the pair to the next level. Defaults are minimal clinically important
        differences in systemic sclerosis (published-numbers section 5): FVC 3.0 %
        predicted (lower end of the 3.0-5.3 range), HAQ-DI 0.10 (lower end of
        0.10-0.14), mRSS 5 points (the value for diffuse disease). SCOT's own GRCS
        thresholds are not in our sources; these are package defaults to review.
    correlation : float, default 0.3
        Within-patient correlation of FVC, HAQ-DI and mRSS at the horizon, exchangeable,
        on the scale where higher is better for all three (a patient with a better FVC
        tends to have a better, i.e. lower, HAQ-DI). No SCOT estimate is available; 0.3
        is a moderate package default to review.
    correlation_sensitivity : tuple of float, default (0.0, 0.6)
        Further correlations for which the population estimand is also computed.
    n_population : int, default 400
        Patients per arm and draw for the population estimand. The Monte Carlo SD of a
        win proportion is at most ``sqrt(0.25 * 2 / n)`` = 0.035 at 400 per arm, small
        beside the posterior spread; raise it for smoother tails.
    seed : int, default :data:`~bayes_scot.conventions.DEFAULT_SEED`
    """

    horizon_months: float = 54.0
    fvc_margin: float = 3.0
    haq_di_margin: float = 0.10
    mrss_margin: float = 5.0
    correlation: float = 0.3
    correlation_sensitivity: tuple[float, ...] = (0.0, 0.6)
    n_population: int = 400
    seed: int = DEFAULT_SEED

    def __post_init__(self) -> None:
        object.__setattr__(self, "correlation_sensitivity", tuple(self.correlation_sensitivity))
        for rho in (self.correlation, *self.correlation_sensitivity):
            _check_correlation(rho)
        for name in ("fvc_margin", "haq_di_margin", "mrss_margin", "horizon_months"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise EvidenceError(f"must be a finite number >= 0, not {value!r}", field=name)
        if self.horizon_months <= 0:
            raise EvidenceError("must be positive", field="horizon_months")
        if int(self.n_population) < 1:
            raise EvidenceError("must be at least 1", field="n_population")

    @property
    def margins(self) -> dict[str, float]:
        """Tie margin per level of :data:`GRCS_LEVELS`."""
        return {
            "death": 0.0,
            "efs_event": 0.0,
            "fvc": self.fvc_margin,
            "haq_di": self.haq_di_margin,
            "mrss": self.mrss_margin,
        }


def _check_correlation(rho: float) -> None:
    # An exchangeable 3 x 3 correlation matrix is positive definite for -1/2 < rho < 1.
    if not (isinstance(rho, int | float) and -0.5 < rho < 1.0):
        raise EvidenceError(
            f"an exchangeable correlation of three outcomes must lie in (-0.5, 1), not {rho!r}",
            field="correlation",
        )


def grcs_hierarchy(options: GrcsSimulationOptions | None = None) -> list[HierarchyLevel]:
    """Return the GRCS hierarchy in the form :func:`~bayes_scot.stats.win.win_statistics` takes.

    Parameters
    ----------
    options : GrcsSimulationOptions, optional

    Returns
    -------
    list of (str, {"lower", "higher"}, float)
        Death time (later is better; alive at the horizon = the horizon), time of the
        first EFS event (later is better; event-free = the horizon), then FVC, HAQ-DI and
        mRSS with the directions of the endpoint registry and the options' margins.
    """
    options = options or GrcsSimulationOptions()
    margins = options.margins
    levels: list[HierarchyLevel] = [
        ("death", "higher", 0.0),
        ("efs_event", "higher", 0.0),
    ]
    for name in CONTINUOUS_LEVELS:
        levels.append((name, get_endpoint(name).better, margins[name]))
    return levels


def _orientation() -> np.ndarray:
    return np.array(
        [1.0 if get_endpoint(name).better == "higher" else -1.0 for name in CONTINUOUS_LEVELS]
    )


def simulate_grcs_arm(
    hazards: np.ndarray,
    boundaries: np.ndarray,
    standard_normals: np.ndarray,
    means: np.ndarray,
    sds: np.ndarray,
    *,
    correlation: float,
    horizon: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Simulate one arm's patients through the GRCS hierarchy, for every draw.

    Parameters
    ----------
    hazards : numpy.ndarray
        Shape ``(draw, interval, transition)``: piecewise-constant hazards per month in
        the order of :data:`bayes_scot.stats.illness_death.TRANSITIONS`.
    boundaries : numpy.ndarray
        Interval boundaries in months, starting at 0 (``interval + 1`` values).
    standard_normals : numpy.ndarray
        Shape ``(draw, patient, 3)``, independent standard normal draws; passing the
        same array for several correlations gives common random numbers.
    means, sds : numpy.ndarray
        Shape ``(draw, 3)``: mean and SD of FVC, HAQ-DI and mRSS at the horizon among
        patients event-free at the horizon.
    correlation : float
        Exchangeable within-patient correlation on the "higher is better" scale.
    horizon : float
        Months.
    rng : numpy.random.Generator
        Source of the event times.

    Returns
    -------
    numpy.ndarray
        Shape ``(draw, patient, 5)``, levels :data:`GRCS_LEVELS`: death time (the
        horizon if alive), first EFS event time (the horizon if event-free), then the
        three continuous values (NaN for patients with an EFS event by the horizon).
    """
    n_draws, n, _ = standard_normals.shape
    out = np.empty((n_draws, n, len(GRCS_LEVELS)))
    paths = simulate_paths(np.asarray(hazards, dtype=float), np.asarray(boundaries, dtype=float),
                           n, rng, float(horizon))
    out[:, :, 0] = np.where(paths["os_event"], paths["death_months"], horizon)
    out[:, :, 1] = paths["efs_months"]
    event_free = ~paths["efs_event"]
    k = len(CONTINUOUS_LEVELS)
    chol = np.linalg.cholesky(np.full((k, k), correlation) + (1.0 - correlation) * np.eye(k))
    oriented = standard_normals @ chol.T
    values = means[:, np.newaxis, :] + sds[:, np.newaxis, :] * _orientation() * oriented
    out[:, :, 2:] = np.where(event_free[:, :, np.newaxis], values, np.nan)
    return out


@dataclass(frozen=True, kw_only=True)
class GrcsPrediction:
    """Model-based win statistics of the GRCS, per posterior draw.

    Parameters
    ----------
    arms : tuple of str
        ``(experimental, control)``.
    shape : tuple of int
        ``(chain, draw)`` of the posterior the draws came from.
    population : WinStatistics
        Population estimand: ``options.n_population`` patients per arm and draw, at
        ``options.correlation``.
    trial : WinStatistics
        Posterior predictive at the trial's size (e.g. 36 vs 39).
    sensitivity : mapping of float to WinStatistics
        Population estimand at each correlation (including ``options.correlation``).
    options : GrcsSimulationOptions
    entry : PairwiseSummary, optional
        The published summary the trial-size prediction is set against.
    trial_name : str
        Name of the trial, for the reproduce table.
    evidence : str
        What drove the inputs (``"trial"``, ``"trial + external"``...).
    """

    arms: tuple[str, str]
    shape: tuple[int, int]
    population: WinStatistics
    trial: WinStatistics
    sensitivity: Mapping[float, WinStatistics]
    options: GrcsSimulationOptions
    entry: PairwiseSummary | None = None
    trial_name: str = ""
    evidence: str = "trial"
    attrs: dict[str, object] = field(default_factory=dict)

    def __repr__(self) -> str:
        nb = np.asarray(self.population.net_benefit)
        return (
            f"<GrcsPrediction {self.arms[0]} vs {self.arms[1]} at "
            f"{self.options.horizon_months:g} months: {nb.size} draws, net benefit median "
            f"{np.nanmedian(nb):.3f}, P(net benefit > 0) = {np.mean(nb > 0):.3f}; "
            f"correlations {', '.join(f'{r:g}' for r in self.sensitivity)}>"
        )

    def _repr_html_(self) -> str:
        return (
            f"<p><b>GRCS, model-based</b>: {self.arms[0]} vs {self.arms[1]} at "
            f"{self.options.horizon_months:g} months, {self.options.n_population} patients "
            "per arm and draw</p>" + self.summary().to_html(index=False, float_format="%.3f")
        )

    def _reshape(self, values: np.ndarray | float) -> np.ndarray:
        return np.asarray(values, dtype=float).reshape(self.shape)

    def estimands(self) -> list[EstimandDraws]:
        """Posterior draws of the population win statistics.

        Returns
        -------
        list of EstimandDraws
            Endpoint ``"grcs"``; estimands ``model_<name>_<t>`` for ``p_win``
            (null 0.5), ``p_loss`` (null 0.5, lower is superior), ``net_benefit`` (null
            0), ``win_ratio``, ``win_odds`` (null 1) and ``win_probability`` (null 0.5).
            The tie proportion has no direction of superiority and is reported by
            :meth:`summary` instead.
        """
        t = self.options.horizon_months
        arms = f"{self.arms[0].upper()} vs {self.arms[1].upper()}"
        out = []
        for name in ("p_win", "p_loss", "net_benefit", "win_ratio", "win_odds",
                     "win_probability"):
            null, superior = _NULLS[name]
            out.append(
                EstimandDraws(
                    endpoint=ENDPOINT,
                    estimand=f"model_{name}_{t:g}",
                    label=f"GRCS at {t:g} months, {_LABELS[name]}, {arms} (model-based)",
                    draws=self._reshape(getattr(self.population, name)),
                    null=null,
                    superior=superior,
                    evidence=self.evidence,
                    attrs={"route": "model", "correlation": self.options.correlation,
                           "n_population": self.options.n_population},
                )
            )
        return out

    def summary(self, level: float = CREDIBLE_LEVEL) -> pd.DataFrame:
        """Posterior median and interval of every win statistic, per correlation.

        Parameters
        ----------
        level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`

        Returns
        -------
        pandas.DataFrame
            Columns ``correlation, statistic, median, lower, upper, p_superior``
            (``p_superior`` is P(net benefit > 0), P(HSCT wins more often than it loses),
            repeated on every row of its correlation).
        """
        alpha = (1.0 - level) / 2.0
        rows = []
        for rho, result in self.sensitivity.items():
            p_sup = float(np.mean(np.asarray(result.net_benefit) > 0))
            for name in ("p_win", "p_loss", "p_tie", "net_benefit", "win_ratio", "win_odds",
                         "win_probability"):
                lower, median, upper = np.nanquantile(getattr(result, name),
                                                      [alpha, 0.5, 1 - alpha])
                rows.append({"correlation": rho, "statistic": name, "median": median,
                             "lower": lower, "upper": upper, "p_superior": p_sup})
        return pd.DataFrame(rows)

    def reproduce(self) -> pd.DataFrame:
        """Set the published percentages beside the trial-size posterior predictive.

        Returns
        -------
        pandas.DataFrame
            One row per arm, columns of the builders' reproduce frames. The predicted
            percentage favouring an arm counts ties as half a win for each arm (the
            Mann-Whitney convention; SCOT's percentages add up to 100).

        Raises
        ------
        EvidenceError
            If the prediction was made without a published entry.
        """
        if self.entry is None:
            raise EvidenceError("no published pairwise summary to compare with", field="entry")
        percent = {
            self.arms[0]: 100.0 * np.asarray(self.trial.p_win + self.trial.p_tie / 2.0),
            self.arms[1]: 100.0 * np.asarray(self.trial.p_loss + self.trial.p_tie / 2.0),
        }
        return _reproduce_rows(self.trial_name, self.entry, percent)


def model_based_grcs(
    hazards: np.ndarray,
    boundaries: Sequence[float] | np.ndarray,
    means: np.ndarray,
    sds: np.ndarray,
    *,
    n_trial: tuple[int, int],
    arms: tuple[str, str] = ("hsct", "cyc"),
    options: GrcsSimulationOptions | None = None,
    entry: PairwiseSummary | None = None,
    trial_name: str = "",
    evidence: str = "trial",
) -> GrcsPrediction:
    r"""Posterior win statistics of the GRCS from arrays of posterior draws.

    Parameters
    ----------
    hazards : numpy.ndarray
        Shape ``(chain, draw, arm, interval, transition)``: illness-death transition
        hazards per month, arms ``arms``, transitions in the order of
        :data:`bayes_scot.stats.illness_death.TRANSITIONS`.
    boundaries : sequence of float
        Interval boundaries in months, starting at 0.
    means : numpy.ndarray
        Shape ``(chain, draw, arm, 3)`` or ``(arm, 3)``: means of FVC, HAQ-DI and mRSS
        (:data:`CONTINUOUS_LEVELS`) at the horizon among patients event-free then.
    sds : numpy.ndarray
        Their SDs between patients, same shapes as ``means`` (or broadcastable).
    n_trial : tuple of int
        Patients per arm in the trial (SCOT ITT: 36, 39).
    arms : tuple of str, default ("hsct", "cyc")
    options : GrcsSimulationOptions, optional
    entry : PairwiseSummary, optional
        Published summary for :meth:`GrcsPrediction.reproduce`.
    trial_name : str, optional
    evidence : str, default "trial"
        Attribution carried into the estimands.

    Returns
    -------
    GrcsPrediction

    Raises
    ------
    EvidenceError
        If the shapes disagree.

    Notes
    -----
    For each posterior draw :math:`s`: simulate each arm's patients from the
    illness-death process with hazards :math:`h^{(s)}` (time of death, time of the first
    EFS event), give each patient event-free at the horizon correlated normal values of
    FVC, HAQ-DI and mRSS with means :math:`\mu^{(s)}` and SDs :math:`\sigma^{(s)}`,
    and compare all pairs through the hierarchy. The trial-size comparison (``n_trial``)
    carries the sampling noise of a trial of that size and is the posterior predictive
    of the published percentage; the population comparison (``options.n_population``
    per arm) estimates the win statistics of the two treatments themselves.

    Draws of the survival and longitudinal posteriors are paired by index: the two fits
    are independent, so this samples their joint posterior.
    """
    options = options or GrcsSimulationOptions()
    h = np.asarray(hazards, dtype=float)
    edges = np.asarray(boundaries, dtype=float)
    if h.ndim != 5 or h.shape[2] != 2 or h.shape[4] != len(TRANSITIONS):
        raise EvidenceError(
            "hazards must have shape (chain, draw, arm = 2, interval, transition = 3), "
            f"not {h.shape}",
            field="hazards",
        )
    shape = (h.shape[0], h.shape[1])
    n_samples = shape[0] * shape[1]
    h = h.reshape(n_samples, 2, h.shape[3], h.shape[4])
    mu = _per_sample(means, shape, "means")
    sigma = _per_sample(sds, shape, "sds")
    if np.any(sigma <= 0) or not np.all(np.isfinite(sigma)):
        raise EvidenceError("SDs must be positive and finite", field="sds")
    if not np.all(np.isfinite(mu)):
        raise EvidenceError("means must be finite", field="means")
    n_exp, n_ctl = (int(v) for v in n_trial)
    hierarchy = grcs_hierarchy(options)
    rng = np.random.default_rng(options.seed)
    tau = options.horizon_months

    def simulate(arm: int, normals: np.ndarray, rho: float) -> np.ndarray:
        return simulate_grcs_arm(h[:, arm], edges, normals, mu[:, arm], sigma[:, arm],
                                 correlation=rho, horizon=tau, rng=rng)

    # One simulated cohort per arm and draw serves both comparisons: its first n_trial
    # patients are a trial of the published size, its first n_population patients the
    # population sample (patients are independent within a draw). The continuous values
    # for every correlation come from the same standard normals (common random numbers),
    # so that the sensitivity analysis differs by the correlation alone.
    k = len(CONTINUOUS_LEVELS)
    n_pop = int(options.n_population)
    normals_x = rng.standard_normal((n_samples, max(n_pop, n_exp), k))
    normals_y = rng.standard_normal((n_samples, max(n_pop, n_ctl), k))
    cohort_x = simulate(0, normals_x, options.correlation)
    cohort_y = simulate(1, normals_y, options.correlation)
    trial_result = win_statistics_draws(cohort_x[:, :n_exp], cohort_y[:, :n_ctl], hierarchy)
    base_x, base_y = cohort_x[:, :n_pop], cohort_y[:, :n_pop]
    normals_x, normals_y = normals_x[:, :n_pop], normals_y[:, :n_pop]
    sensitivity: dict[float, WinStatistics] = {}
    for rho in dict.fromkeys((options.correlation, *options.correlation_sensitivity)):
        x, y = base_x.copy(), base_y.copy()
        if rho != options.correlation:
            for arm, array, normals in ((0, x, normals_x), (1, y, normals_y)):
                _recorrelate(array, normals, mu[:, arm], sigma[:, arm], rho)
        sensitivity[float(rho)] = win_statistics_draws(x, y, hierarchy)
    return GrcsPrediction(
        arms=(arms[0], arms[1]),
        shape=shape,
        population=sensitivity[float(options.correlation)],
        trial=trial_result,
        sensitivity=sensitivity,
        options=options,
        entry=entry,
        trial_name=trial_name,
        evidence=evidence,
    )


def _recorrelate(
    array: np.ndarray, normals: np.ndarray, mu: np.ndarray, sigma: np.ndarray, rho: float
) -> None:
    """Replace the continuous values of ``array`` in place for correlation ``rho``."""
    k = len(CONTINUOUS_LEVELS)
    chol = np.linalg.cholesky(np.full((k, k), rho) + (1.0 - rho) * np.eye(k))
    values = mu[:, np.newaxis, :] + sigma[:, np.newaxis, :] * _orientation() * (normals @ chol.T)
    event_free = ~np.isnan(array[:, :, 2])
    array[:, :, 2:] = np.where(event_free[:, :, np.newaxis], values, np.nan)


def _per_sample(values: np.ndarray, shape: tuple[int, int], name: str) -> np.ndarray:
    """Broadcast ``(arm, 3)`` or ``(chain, draw, arm, 3)`` to ``(sample, arm, 3)``."""
    array = np.asarray(values, dtype=float)
    k = len(CONTINUOUS_LEVELS)
    try:
        array = np.broadcast_to(array, (*shape, 2, k))
    except ValueError:
        raise EvidenceError(
            f"{name} must have shape (arm = 2, {k}) or (chain, draw, arm = 2, {k}) matching "
            f"the hazards' (chain, draw) = {shape}, not {np.shape(values)}",
            field=name,
        ) from None
    return array.reshape(shape[0] * shape[1], 2, k)


def grcs_from_posteriors(
    transition_hazards: xr.DataArray,
    outcome_means: xr.DataArray,
    outcome_sds: xr.DataArray | Mapping[str, float],
    *,
    trial: Trial,
    options: GrcsSimulationOptions | None = None,
    evidence: str = "trial",
) -> GrcsPrediction:
    """Model-based GRCS from labelled posterior draws: the survival and longitudinal fits.

    Parameters
    ----------
    transition_hazards : xarray.DataArray
        Dims ``chain, draw, arm, transition, interval`` (any order), transition labels
        :data:`bayes_scot.stats.illness_death.TRANSITIONS`, and the interval boundaries
        (months, from 0) in ``attrs["boundaries_months"]`` (or ``attrs["boundaries"]``),
        as returned by :meth:`bayes_scot.builders.survival.SurvivalModel.transition_hazards`.
    outcome_means : xarray.DataArray
        Dims ``arm, endpoint`` and optionally ``chain, draw`` (the hazards' chains and at
        least their draws per chain; more draws are thinned to evenly spaced ones), in
        any order: means at the horizon of the endpoints ``fvc``, ``haq_di`` and ``mrss``
        among patients event-free then, e.g. the longitudinal model's posterior
        ``level`` at the 54-month visit, ``idata.posterior["level"].sel(visit=54)``.
    outcome_sds : xarray.DataArray or mapping of str to float
        Between-patient SDs, labelled like ``outcome_means`` or one value per endpoint
        for both arms.
    trial : Trial
        Names the arms and holds the published GRCS summary at the horizon, which sets
        the trial-size comparison (its ``n``) and the reproduce row.
    options : GrcsSimulationOptions, optional
    evidence : str, default "trial"
        Attribution carried into the estimands.

    Returns
    -------
    GrcsPrediction

    Raises
    ------
    EvidenceError
        If a dimension, label or the boundaries are missing.
    """
    options = options or GrcsSimulationOptions()
    arms = [trial.experimental, trial.control]
    population = trial.population if trial.population != ALL_POPULATIONS else "itt"
    entry = _grcs_entry(trial, options.horizon_months, population)
    hazards = _labelled(transition_hazards, "transition_hazards",
                        ("chain", "draw", "arm", "interval", "transition"),
                        {"arm": arms, "transition": list(TRANSITIONS)})
    boundaries = next(
        (transition_hazards.attrs[k] for k in ("boundaries_months", "boundaries")
         if k in transition_hazards.attrs),
        None,
    )
    if boundaries is None:
        raise EvidenceError(
            "the hazards need their interval boundaries in attrs['boundaries_months']",
            field="transition_hazards",
        )
    shape = (hazards.sizes["chain"], hazards.sizes["draw"])
    means = _outcome_array(outcome_means, "outcome_means", arms, shape)
    if isinstance(outcome_sds, Mapping):
        missing = [k for k in CONTINUOUS_LEVELS if k not in outcome_sds]
        if missing:
            raise EvidenceError(f"no SD for {', '.join(missing)}", field="outcome_sds")
        sds = np.broadcast_to(np.array([float(outcome_sds[k]) for k in CONTINUOUS_LEVELS]),
                              (2, len(CONTINUOUS_LEVELS)))
    else:
        sds = _outcome_array(outcome_sds, "outcome_sds", arms, shape)
    return model_based_grcs(
        hazards.values,
        np.asarray(boundaries, dtype=float),
        means,
        sds,
        n_trial=(int(entry.n[arms[0]]), int(entry.n[arms[1]])),
        arms=(arms[0], arms[1]),
        options=options,
        entry=entry,
        trial_name=trial.name,
        evidence=evidence,
    )


def _labelled(
    array: xr.DataArray, name: str, dims: tuple[str, ...], labels: Mapping[str, list[str]]
) -> xr.DataArray:
    missing = [d for d in dims if d not in array.dims]
    if missing:
        raise EvidenceError(f"needs the dims {', '.join(dims)}; missing {', '.join(missing)}",
                            field=name)
    try:
        selected = array.sel(labels)
    except KeyError as err:
        raise EvidenceError(f"missing label {err}", field=name) from None
    return selected.transpose(*dims)


def _outcome_array(
    array: xr.DataArray, name: str, arms: list[str], shape: tuple[int, int]
) -> np.ndarray:
    if "chain" in array.dims or "draw" in array.dims:
        selected = _labelled(array, name, ("chain", "draw", "arm", "endpoint"),
                             {"arm": arms, "endpoint": list(CONTINUOUS_LEVELS)})
        chains, draws = selected.sizes["chain"], selected.sizes["draw"]
        if chains == shape[0] and draws > shape[1]:
            # A longer posterior (the longitudinal fit samples more draws per chain) is
            # thinned to evenly spaced draws of each chain, pairing them by index.
            keep = np.linspace(0, draws - 1, shape[1]).round().astype(int)
            selected = selected.isel(draw=keep)
        if (selected.sizes["chain"], selected.sizes["draw"]) != shape:
            raise EvidenceError(
                f"has (chain, draw) = ({selected.sizes['chain']}, {selected.sizes['draw']}) "
                f"but the hazards have {shape}; thin both posteriors to the same draws",
                field=name,
            )
        return np.asarray(selected.values, dtype=float)
    selected = _labelled(array, name, ("arm", "endpoint"),
                         {"arm": arms, "endpoint": list(CONTINUOUS_LEVELS)})
    return np.asarray(selected.values, dtype=float)
