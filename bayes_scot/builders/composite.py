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

Model-based route, :mod:`bayes_scot.results.grcs`
    Win statistics from posterior-predictive patients of the survival and longitudinal
    fits; it reads two families' posteriors, so it lives among the results.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
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
from bayes_scot.evidence import PairwiseSummary, Trial
from bayes_scot.likelihood.composite import pairwise_summary
from bayes_scot.stats.estimands import EstimandDraws
from bayes_scot.stats.grcs import (
    ENDPOINT,
    WIN_LABELS,
    WIN_NULLS,
    analysed_population,
    grcs_entry,
    percent_favourable_rows,
)
from bayes_scot.stats.normal_normal import normal_posterior, printed_range
from bayes_scot.stats.priors import EffectPrior, prior_grid
from bayes_scot.stats.win import (
    SCALES,
    PairwiseEffect,
    PairwisePosterior,
    direct_estimands,
    pairwise_effect,
    pairwise_posterior,
)

__all__ = ["ClosedFormSampler", "CompositeModel", "CompositeOptions"]

_OBSERVED = f"{ENDPOINT}_observed"
"""Name of the observed variable: the published summary on the effect scale."""
_ESTIMATE, _SE = f"{ENDPOINT}_estimate", f"{ENDPOINT}_se"
"""Names of the data containers of the published estimate and its standard error."""


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
        Nonzero and finite; a net benefit lies strictly between -1 and 1.
    reference_sd : float, optional
        SD of the weakly informative reference prior: default 0.5 on the net-benefit
        scale (95% of its mass in (-0.98, 0.98), nearly the whole range) and 1.0 on the
        log-win-odds scale (the same local spread: d NB / d log WO = 1/2 at no effect).
        Positive and finite.
    endpoint : str, default "grcs"
        The composite endpoint whose published pairwise summary is analysed: SCOT's
        global rank composite score, or one a trial file declares (``kind =
        "composite"``). The model-based route exists for the GRCS only.
    """

    time_months: float = 54.0
    scale: Literal["net_benefit", "log_win_odds"] = "net_benefit"
    se_method: Literal["p_value", "hanley_mcneil"] = "p_value"
    design_effect: float | None = None
    reference_sd: float | None = None
    endpoint: str = ENDPOINT

    def __post_init__(self) -> None:
        if not isinstance(self.endpoint, str) or not self.endpoint:
            raise EvidenceError(f"must name an endpoint, not {self.endpoint!r}",
                                field="endpoint")
        if self.scale not in SCALES:
            raise EvidenceError(
                f"scale must be one of {', '.join(SCALES)}, not {self.scale!r}", field="scale"
            )
        if self.se_method not in ("p_value", "hanley_mcneil"):
            raise EvidenceError(
                f"se_method must be 'p_value' or 'hanley_mcneil', not {self.se_method!r}",
                field="se_method",
            )
        self._check_effect_scales()

    def _check_effect_scales(self) -> None:
        """Check the design effect (nonzero, a net benefit within (-1, 1)) and the SD."""
        design = self.design_effect
        if design is not None:
            if not (isinstance(design, int | float) and math.isfinite(design) and design != 0):
                raise EvidenceError(f"must be a nonzero finite number, not {design!r}",
                                    field="design_effect")
            if self.scale == "net_benefit" and not -1.0 < design < 1.0:
                raise EvidenceError(
                    f"a net benefit lies strictly between -1 and 1, not {design:g} (a win "
                    "odds of 1.5 is a net benefit of 0.2; or set scale = 'log_win_odds')",
                    field="design_effect",
                )
        sd = self.reference_sd
        if sd is not None and not (isinstance(sd, int | float) and math.isfinite(sd) and sd > 0):
            raise EvidenceError(f"must be a positive number, not {sd!r}", field="reference_sd")

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
        ``options.endpoint`` (``"grcs"``) at ``options.time_months`` in the trial's
        population (when the view
        holds all populations: the first of the file's populations that reports one at
        that time).
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
        self.endpoint = self.options.endpoint
        self.population = analysed_population(trial, self.options.time_months, self.endpoint)
        self.entry = grcs_entry(trial, self.options.time_months, self.population,
                                self.endpoint)
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
            estimate = pm.Data(_ESTIMATE, np.asarray(obs.estimate))
            se = pm.Data(_SE, np.asarray(obs.se))
            effect = pm.Normal(name, mu=prior_mean, sigma=prior_sd)
            if name == "net_benefit":
                win_probability = (1.0 + effect) / 2.0
            else:
                win_probability = pm.math.sigmoid(effect)
            pm.Deterministic("win_probability", win_probability)
            pm.Deterministic("win_odds", win_probability / (1.0 - win_probability))
            pairwise_summary(_OBSERVED, effect, estimate=estimate, se=se)
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
        for e in self.trial.evidence(PairwiseSummary, endpoint=self.endpoint):
            if e.id == self.entry.id:
                uses.append(EvidenceUse(
                    trial=self.trial.name, entry=e.id, used=True, term=_OBSERVED,
                    note=f"{self.options.scale} {self.observation.estimate:.3f} "
                         f"(SE {self.observation.se:.3f}, from {self.observation.se_method}"
                         f"{self._rounding_note(e)})",
                ))
                continue
            why = (f"population {e.population!r}" if e.population != self.population
                   else f"{e.time_months:g} months, not the analysed {self.options.time_months:g}")
            uses.append(EvidenceUse(trial=self.trial.name, entry=e.id, used=False,
                                    note=f"not analysed: {why}"))
        return evidence_log_frame(uses)

    def _rounding_note(self, entry: PairwiseSummary) -> str:
        """Say how the SE moves with the rounding of the p-value it comes from, or ``""``.

        A p-value printed as 0.01 stands for 0.005 to 0.015: the SE it gives,
        ``|estimate| / Phi^-1(1 - p/2)``, moves with it, and a reader should see by how
        much (:func:`~bayes_scot.stats.normal_normal.printed_range`).
        """
        p = getattr(entry, "p_value", None)
        if self.observation.se_method != "p_value" or p is None or not 0 < p < 1:
            return ""
        low, high = printed_range(float(p))
        if not 0 < low < high < 1:
            return ""
        estimate = abs(self.observation.estimate)
        se_low, se_high = (estimate / ndtri(1.0 - q / 2.0) for q in (low, high))
        return (f"; P = {p:g} as printed stands for {low:g} to {high:g}, which gives "
                f"SE {se_low:.3f} to {se_high:.3f}")

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
            is the posterior probability that the experimental arm wins more often than it
            loses.
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
        from bayes_scot import _compat

        posterior = _compat.get_group(idata, "posterior")
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
            Endpoint ``options.endpoint`` (``"grcs"``); estimands ``net_benefit_<t>``,
            ``win_probability_<t>``,
            ``win_odds_<t>`` and ``win_ratio_<t>`` (``<t>`` the months), all with
            ``superior="higher"``; null 0 for the net benefit, 0.5 for the win
            probability, 1 for the ratios. The ``p_superior`` of the net benefit is
            P(the experimental arm wins more often than it loses).
        """
        theta = self._effect_draws(idata)
        # Ratios at their limits (0, infinity) where theta leaves their range, so that
        # every estimand exceeds its null exactly when theta > 0 (prior draws included).
        values = direct_estimands(theta, scale=self.options.scale,
                                  p_tie=self.observation.p_tie, beyond="limit")
        t = self.options.time_months
        arms = "{} vs {}".format(*self.trial.arm_labels)
        endpoint = self.trial.endpoint(self.endpoint).label
        out = []
        for name, draws in values.items():
            null, superior = WIN_NULLS[name]
            out.append(
                EstimandDraws(
                    endpoint=self.endpoint,
                    estimand=f"{name}_{t:g}",
                    label=(f"{endpoint} at {t:g} months, {WIN_LABELS[name]}, {arms} "
                           "(published summary)"),
                    draws=draws,
                    null=null,
                    superior=superior,
                    evidence="trial",
                    attrs={"route": "direct", "entry": self.entry.id,
                           "population": self.population, "scale": self.options.scale,
                           **_closed_form_attrs(idata),
                           **_carried_parameter(name, self.options.scale)},
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
        if predictive is not None and _OBSERVED in predictive:
            replicate = np.asarray(predictive[_OBSERVED].values, dtype=float)
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
        return percent_favourable_rows(self.trial.name, self.entry, percent)


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

        unknown = set(var_names or ()) - {_OBSERVED}
        if unknown:
            raise KeyError(f"{sorted(unknown)}: the only observed variable is {_OBSERVED!r}")
        theta = _compat.get_group(idata, "posterior")[self.builder.options.scale]
        se = float(_compat.get_group(idata, "constant_data")[_SE])
        noise = np.random.default_rng(seed).standard_normal(theta.shape)
        replicate = xr.Dataset({_OBSERVED: theta.copy(data=theta.to_numpy() + se * noise)})
        _compat.add_group(idata, "posterior_predictive", replicate)
        return idata

    def _fit(self, values: Mapping[str, np.ndarray], chains: int, draws: int, seed: int,
             log_likelihood: bool) -> Any:
        from bayes_scot import _compat

        scale = self.builder.options.scale
        m0 = float(values[f"{scale}_prior_mean"])
        s0 = float(values[f"{scale}_prior_sd"])
        estimate, se = float(values[_ESTIMATE]), float(values[_SE])
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
            "observed_data": xr.Dataset({_OBSERVED: ((), np.asarray(estimate))}),
        }
        if log_likelihood:
            theta = posterior[scale].to_numpy()
            groups["log_likelihood"] = xr.Dataset({_OBSERVED: (
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
    from bayes_scot import _compat

    posterior = _compat.get_group(idata, "posterior")
    attrs = getattr(posterior, "attrs", {})
    return {k: float(attrs[k]) for k in ("exact_mean", "exact_sd", "exact_p_superior")
            if k in attrs}


def _carried_parameter(estimand: str, scale: str) -> dict[str, str]:
    """``{"parameter": scale}`` for the estimand that is the effect parameter itself.

    The named priors are stated on the parameter (the net benefit, or the log win odds
    whose exponential is the win odds), so that estimand is where their statements hold.
    """
    carried = {"net_benefit": "net_benefit", "log_win_odds": "win_odds"}.get(scale)
    return {"parameter": scale} if estimand == carried else {}
