"""Records of an analysis specification: frozen dataclasses, no reading.

:func:`bayes_scot.spec.load_spec` builds them from a TOML file
(:mod:`bayes_scot.spec.reader`); :meth:`AnalysisSpec.with_overrides` returns modified
copies (:mod:`bayes_scot.spec.overrides`).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from bayes_scot.builders.base import FAMILIES
from bayes_scot.conventions import DEFAULT_SEED
from bayes_scot.errors import SpecError
from bayes_scot.fitting.settings import BackendName, SamplerSettings
from bayes_scot.stats.priors import DEFAULT_GRID_NAMES, EffectPrior, prior_grid

__all__ = [
    "DEFAULT_SPEC",
    "FAMILIES",
    "AnalysisSpec",
    "CalibrationSpec",
    "CustomPrior",
    "FamilySpec",
    "JointSpec",
    "McidOverride",
    "PriorScale",
    "SamplerSpec",
    "TrialSpec",
    "external_parts",
]

DEFAULT_SPEC = "scot_itt"
"""Name of the specification run when none is given (SCOT, intention to treat)."""

def options_class(family: str) -> type:
    """Return the options dataclass of a model family (imported on first use)."""
    return FAMILIES[family].options_class()



@dataclass(frozen=True, kw_only=True)
class TrialSpec:
    """One trial of the analysis.

    Parameters
    ----------
    name : str
        The trial's short name (``"scot"``); a shipped trial when ``path`` is empty.
    path : str, optional
        A trial file in the documented format, resolved relative to the specification.
    population : str, default "itt"
        Analysis population of the trial's evidence that the models use.
    assumptions : tuple of str
        Assumptions the analysis makes about this trial's evidence that the paper does
        not state (e.g. about the population of a Kaplan-Meier estimate). Reports show
        them.
    """

    name: str
    path: str = ""
    population: str = "itt"
    assumptions: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SamplerSpec:
    """Sampler settings (see :class:`bayes_scot.fitting.SamplerSettings`)."""

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    target_accept: float = 0.9
    backend: BackendName = "nutpie"
    max_treedepth: int = 10

    def to_settings(self, **changes: Any) -> SamplerSettings:
        """Return these settings as :class:`~bayes_scot.fitting.SamplerSettings`.

        Parameters
        ----------
        **changes
            Fields to replace, e.g. ``backend="nutpie"`` or ``progressbar=True``.
        """
        return SamplerSettings(**{**dataclasses.asdict(self), **changes})


@dataclass(frozen=True, kw_only=True)
class CustomPrior:
    """An explicit normal prior ``N(mean, sd)`` on a family's effect parameter(s)."""

    mean: float
    sd: float
    statement: str = ""
    label: str = ""


@dataclass(frozen=True, kw_only=True)
class PriorScale:
    """How the named grid is scaled for one treatment-effect parameter.

    The fields are the arguments of :func:`bayes_scot.stats.priors.prior_grid`, on the
    parameter's own scale (a log hazard ratio, a mean difference in points).

    Parameters
    ----------
    design_effect : float
        The hoped-for effect (optimistic priors are centred on it).
    benefit : {"lower", "higher"}
        Which direction of the parameter favours the experimental arm.
    reference_sd : float
        SD of the weakly informative reference prior.
    mcid : float, optional
        Minimal clinically important effect; skeptical priors are defined from it.
    measure : str, optional
        ``"HR"`` (or another ratio) when the parameter is a log ratio.
    neutral_limits : mapping of str to float, optional
        Half-widths of the neutral priors' 95% ranges by strength.
    """

    design_effect: float
    benefit: Literal["lower", "higher"]
    reference_sd: float
    mcid: float | None = None
    measure: str = ""
    neutral_limits: Mapping[str, float] | None = None

    def grid(self) -> dict[str, EffectPrior]:
        """Return the 13 named priors for this parameter (:func:`prior_grid`)."""
        return prior_grid(
            design_effect=self.design_effect,
            benefit=self.benefit,
            reference_sd=self.reference_sd,
            mcid=self.mcid,
            neutral_limits=None if self.neutral_limits is None else dict(self.neutral_limits),
            measure=self.measure or None,
        )


@dataclass(frozen=True, kw_only=True)
class FamilySpec:
    """One model family of the analysis.

    Parameters
    ----------
    family : {"survival", "longitudinal", "composite"}
    trials : tuple of str
        Names of the analysis's trials this family is fitted to (default: all).
    endpoints : tuple of str
        Endpoints whose estimands are reported (default: all the family reports).
    estimands : tuple of str
        Glob patterns on estimand identifiers (``"survival_difference_*"``) selecting the
        estimands reported (default: all).
    options : mapping
        Fields of the family's options dataclass, checked against it on loading.
    priors : PriorScale, optional
        Scale of the named grid on every effect parameter of the family.
    effect_priors : mapping of str to PriorScale
        Per-parameter scales that replace ``priors`` for the named effect parameters.
    custom_priors : mapping of str to CustomPrior
        Explicit priors added to the family's grid under their names.
    population : str, optional
        Population of the trials' evidence for this family, when it differs from the
        ``[[trials]]`` one (``"all"`` lets the builder take baselines from any population
        and follow-up from one). Empty: each trial's own.
    external : tuple of str
        External evidence given to the family's builder, which uses it only as explicitly
        discounted evidence, never as trial data: ``"external"`` for the shipped external
        evidence (:func:`bayes_scot.data.load_external`), ``"<trial>:<population>"`` for
        a population of a shipped trial (e.g. ``"astis:french_subcohort"``).
    assumptions : tuple of str
        Assumptions of this family's analysis that the papers do not state.
    model_based : bool, default True
        Composite family only: also compute the model-based GRCS from the reference fits
        of the survival and longitudinal families (skipped when either is not run).
    sampler : mapping
        Sampler settings (``[<family>.sampler]``) that replace the analysis-wide
        ``[sampler]`` ones for this family's fits; see :meth:`sampler_settings`.
    """

    family: str
    trials: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()
    estimands: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    priors: PriorScale | None = None
    effect_priors: Mapping[str, PriorScale] = field(default_factory=dict)
    custom_priors: Mapping[str, CustomPrior] = field(default_factory=dict)
    population: str = ""
    external: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    model_based: bool = True
    sampler: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("options", "effect_priors", "custom_priors", "sampler"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def sampler_settings(self, base: SamplerSpec) -> SamplerSpec:
        """Return the analysis-wide sampler settings with this family's replacements.

        Parameters
        ----------
        base : SamplerSpec
            The ``[sampler]`` table of the analysis.

        Returns
        -------
        SamplerSpec
        """
        return dataclasses.replace(base, **self.sampler) if self.sampler else base

    def options_object(self) -> Any:
        """Build the family's options dataclass from :attr:`options`.

        Returns
        -------
        object
            An instance of the family's options class (e.g. ``SurvivalOptions``).
        """
        return options_class(self.family)(**self.options)

    def selects(self, endpoint: str, estimand: str) -> bool:
        """Whether an estimand is reported under :attr:`endpoints` and :attr:`estimands`."""
        if self.endpoints and endpoint not in self.endpoints:
            return False
        if self.estimands:
            return any(fnmatch.fnmatchcase(estimand, p) for p in self.estimands)
        return True

    def selection_problem(
        self, names: Collection[tuple[str, str]]
    ) -> tuple[str, str] | None:
        """Say which entry of :attr:`endpoints` or :attr:`estimands` selects nothing.

        An entry that matches no estimand the family's model reports would leave a table
        without the rows it asks for (or without any row), so it is refused before any fit.

        Parameters
        ----------
        names : collection of (str, str)
            The ``(endpoint, estimand)`` pairs the family's built model reports
            (:func:`bayes_scot.fitting.prior.estimand_names`).

        Returns
        -------
        tuple of (str, str) or None
            The field (``"survival.estimands[0]"``) and a one-line reason naming the
            estimands the model reports, or ``None`` when every entry selects something.
        """
        known = ", ".join(sorted(f"{e}:{k}" for e, k in names)) or "none"
        reported = {e for e, _ in names}
        for i, endpoint in enumerate(self.endpoints):
            if endpoint not in reported:
                return (f"{self.family}.endpoints[{i}]",
                        f"{endpoint!r} is not an endpoint the {self.family} model reports "
                        f"for these trials; known: {known}")
        for i, pattern in enumerate(self.estimands):
            if not any(fnmatch.fnmatchcase(k, pattern) for e, k in names
                       if not self.endpoints or e in self.endpoints):
                return (f"{self.family}.estimands[{i}]",
                        f"{pattern!r} matches no estimand the {self.family} model reports "
                        f"for the selected endpoints; known: {known}")
        for i, endpoint in enumerate(self.endpoints):
            if not any(self.selects(e, k) for e, k in names if e == endpoint):
                return (f"{self.family}.endpoints[{i}]",
                        f"{endpoint!r} has no estimand matching {self.family}.estimands; "
                        f"known: {known}")
        return None

    def prior_sets(
        self,
        effect_parameters: Sequence[str],
        names: Sequence[str],
        defaults: Mapping[str, EffectPrior] | Mapping[str, Mapping[str, EffectPrior]]
        | None = None,
    ) -> dict[str, dict[str, EffectPrior]]:
        """Return the priors of every named grid entry, for every effect parameter.

        Parameters
        ----------
        effect_parameters : sequence of str
            The builder's ``effect_parameters``.
        names : sequence of str
            Prior names, in order: grid names and this family's custom priors.
        defaults : mapping, optional
            The builder's own named grid (e.g. ``CompositeModel.default_priors()``), used
            for every effect parameter that the specification gives no scale; or one
            such grid per effect parameter, keyed by parameter
            (:func:`bayes_scot.builders.base.named_grids`).

        Returns
        -------
        dict
            ``prior name -> {effect parameter -> EffectPrior}``, in the order of
            ``names``.

        Raises
        ------
        SpecError
            If a parameter has no prior scale or a name is neither a grid name nor a
            custom prior of this family.
        """
        grids: dict[str, dict[str, EffectPrior]] = {}
        for parameter in effect_parameters:
            scale = self.effect_priors.get(parameter, self.priors)
            if scale is not None:
                grids[parameter] = scale.grid()
            elif defaults is not None:
                grids[parameter] = _default_grid(defaults, parameter)
            elif any(n not in self.custom_priors for n in names):
                raise SpecError(
                    f"no prior scale for effect parameter {parameter!r}: add "
                    f"[{self.family}.priors] or [{self.family}.effect_priors.{parameter}]",
                    field=f"{self.family}.priors",
                )
        result: dict[str, dict[str, EffectPrior]] = {}
        for name in names:
            if name in self.custom_priors:
                c = self.custom_priors[name]
                prior = EffectPrior(
                    name=name, family="custom", strength="", mean=c.mean, sd=c.sd,
                    statement=c.statement or f"specified: N({c.mean:g}, {c.sd:g}^2)",
                    label=c.label or name,
                )
                result[name] = dict.fromkeys(effect_parameters, prior)
            elif name in DEFAULT_GRID_NAMES and all(name in grids[p] for p in effect_parameters):
                result[name] = {p: grids[p][name] for p in effect_parameters}
            else:
                raise SpecError(
                    f"prior {name!r} is neither a grid prior ({', '.join(DEFAULT_GRID_NAMES)}) "
                    f"nor a custom prior of the {self.family} family",
                    field="priors.grid",
                )
        return result


@dataclass(frozen=True, kw_only=True)
class McidOverride:
    """An MCID that replaces the model's for the estimands matching ``pattern``.

    Parameters
    ----------
    pattern : str
        ``"endpoint:estimand"`` with glob wildcards, e.g. ``"efs:survival_difference_*"``.
    value : float
        Threshold on the estimand's own scale.
    source : str
        Where the value comes from.
    """

    pattern: str
    value: float
    source: str

    def matches(self, endpoint: str, estimand: str) -> bool:
        """Whether the override applies to ``endpoint:estimand``."""
        return fnmatch.fnmatchcase(f"{endpoint}:{estimand}", self.pattern)


@dataclass(frozen=True, kw_only=True)
class JointSpec:
    """Estimands whose joint probability of superiority the report gives.

    Parameters
    ----------
    estimands : tuple of str
        ``"endpoint:estimand"`` keys.
    threshold : {"null", "mcid"}, default "null"
        Superiority beyond the null value or beyond each estimand's MCID.
    """

    estimands: tuple[str, ...] = ()
    threshold: Literal["null", "mcid"] = "null"


@dataclass(frozen=True, kw_only=True)
class CalibrationSpec:
    """Defaults of ``bayes-scot calibrate`` and ``bayes-scot oc`` for this analysis.

    Parameters
    ----------
    scheduler : str, default ""
        Address of a Dask scheduler (``tcp://host:8786``); empty for a LocalCluster.
    workers : int, optional
        LocalCluster worker processes.
    simulations : int, optional
        Simulated trials (per true effect for operating characteristics).
    hazard_ratios : tuple of float
        True hazard ratios of the operating characteristics.
    priors : tuple of str
        Priors the operating characteristics are computed under.
    threshold : float, optional
        Superiority is declared when the posterior probability exceeds it.
    """

    scheduler: str = ""
    workers: int | None = None
    simulations: int | None = None
    hazard_ratios: tuple[float, ...] = ()
    priors: tuple[str, ...] = ()
    threshold: float | None = None


@dataclass(frozen=True, kw_only=True)
class AnalysisSpec:
    """A complete analysis specification (see ``docs/spec-format.md``).

    Parameters
    ----------
    name : str
        Identifier, e.g. ``"scot_itt"``.
    title : str
        Title shown in reports.
    description : str
        What the analysis is, in a few sentences.
    seed : int
        Seed of every fit.
    trials : tuple of TrialSpec
        The trials, the primary one first.
    families : tuple of FamilySpec
        Model families run, in report order.
    priors : tuple of str
        Names of the priors every family is fitted under, in order.
    reference_prior : str
        The prior of the reference fit (power-scaling sensitivity, reproduce-the-paper).
    mcids : tuple of McidOverride
        MCID overrides, the first match winning.
    joint : JointSpec
        Estimands of the joint probabilities.
    sampler : SamplerSpec
        Draws, tuning, chains, target acceptance, backend.
    path : str
        The file the specification was read from (empty for one built in code).
    text : str
        The file's text, as read.
    """

    name: str
    title: str
    description: str = ""
    seed: int = DEFAULT_SEED
    trials: tuple[TrialSpec, ...]
    families: tuple[FamilySpec, ...]
    priors: tuple[str, ...] = DEFAULT_GRID_NAMES
    reference_prior: str = "reference"
    mcids: tuple[McidOverride, ...] = ()
    joint: JointSpec = JointSpec()
    sampler: SamplerSpec = SamplerSpec()
    calibration: CalibrationSpec = CalibrationSpec()
    path: str = ""
    text: str = ""

    @property
    def sha256(self) -> str:
        """SHA-256 of the specification's text (of its repr when built in code)."""
        return hashlib.sha256((self.text or repr(self)).encode("utf-8")).hexdigest()

    @property
    def assumptions(self) -> tuple[str, ...]:
        """Every stated assumption, prefixed with its trial's or family's name."""
        return tuple(
            [f"{t.name}: {a}" for t in self.trials for a in t.assumptions]
            + [f"{f.family}: {a}" for f in self.families for a in f.assumptions]
        )

    def family(self, name: str) -> FamilySpec:
        """Return the :class:`FamilySpec` called ``name``.

        Raises
        ------
        KeyError
            If the analysis does not run that family.
        """
        for f in self.families:
            if f.family == name:
                return f
        raise KeyError(f"the analysis {self.name!r} does not run the {name} family")

    def trial(self, name: str) -> TrialSpec:
        """Return the :class:`TrialSpec` called ``name``."""
        for t in self.trials:
            if t.name == name:
                return t
        raise KeyError(f"the analysis {self.name!r} has no trial {name!r}")

    def family_options(self, family: FamilySpec, primary: Any = None) -> Any:
        """Return a family's options object, with the MCIDs that ``[mcids]`` sets.

        The skeptical priors are stated on an MCID ("5% probability of a benefit beyond
        the MCID"): a longitudinal endpoint's at the reference visit, the survival
        family's hazard-ratio margin on ``hazard_ratio_common``. An ``[mcids]`` override
        of that estimand is therefore also the MCID the priors are built from;
        otherwise a statement would name one threshold and the row's P(> MCID) use
        another.

        The survival options also name each margin's source, so that every row whose
        MCID a margin sets names what set it (:meth:`SurvivalOptions.margin_source_of
        <bayes_scot.builders.survival.SurvivalOptions.margin_source_of>`): that
        ``[mcids]`` entry's ``source`` for the hazard-ratio margin it sets (the MCID of
        every hazard ratio, each interval's included); else the margin's own source
        option, or ``margin_source``, when the specification gives one; else
        ``"analysis specification (survival.options.<margin>)"`` when it sets the margin;
        else the package default's label.

        Parameters
        ----------
        family : FamilySpec
        primary : Trial, optional
            The family's first trial, whose evidence says which endpoint's hazard ratio
            the survival priors are stated on (EFS when it reports EFS and OS, else its
            one time-to-event endpoint); without it, EFS.

        Raises
        ------
        SpecError
            When an option of the family gives that MCID another value, or that
            margin's source another text.
        """
        options = family.options_object()
        if family.family == "longitudinal" and hasattr(options, "reference_visit_months"):
            return self._longitudinal_mcids(family, options)
        if family.family == "survival" and hasattr(options, "hazard_ratio_margin"):
            return self._survival_margins(family, options, primary)
        return options

    def _longitudinal_mcids(self, family: FamilySpec, options: Any) -> Any:
        reference = f"change_difference_{options.reference_visit_months:g}"
        mcids = dict(options.mcids)
        for endpoint in options.endpoints:
            override = self.mcid_for(endpoint, reference)
            if override is not None:
                mcids[endpoint] = self._agreed(family, f"mcids.{endpoint}",
                                               abs(float(override.value)),
                                               f"{endpoint}:{reference}")
        return dataclasses.replace(options, mcids=mcids) if mcids != options.mcids else options

    def _survival_margins(self, family: FamilySpec, options: Any, primary: Any) -> Any:
        """Return the survival options with the ``[mcids]`` margin and each margin's source."""
        from bayes_scot.builders.survival.options import MARGIN_SOURCES

        given = family.options
        changes: dict[str, Any] = {
            source: f"analysis specification ({family.family}.options.{margin})"
            for margin, source in MARGIN_SOURCES.items()
            if margin in given and source not in given and "margin_source" not in given
        }
        endpoint = _carrier_endpoint(options, primary)
        override = None if endpoint is None else self.mcid_for(endpoint, "hazard_ratio_common")
        if override is not None:
            where = f"{endpoint}:hazard_ratio_common"
            changes["hazard_ratio_margin"] = self._agreed(
                family, "hazard_ratio_margin", float(override.value), where)
            source = MARGIN_SOURCES["hazard_ratio_margin"]
            if given.get(source, override.source) != override.source:
                raise SpecError(
                    f"{given[source]!r} differs from the [mcids] source {override.source!r} "
                    f"of {where}; give the MCID's source once",
                    file=self.path or self.name, field=f"{family.family}.options.{source}")
            changes[source] = override.source
        return dataclasses.replace(options, **changes) if changes else options

    def _agreed(self, family: FamilySpec, option: str, value: float, estimand: str) -> float:
        """Return ``value``, or refuse a family option that sets it otherwise."""
        name, _, key = option.partition(".")
        given = family.options.get(name)
        if key:
            given = dict(given or {}).get(key)
        if given is not None and abs(float(given) - value) > 1e-12 * abs(value):
            raise SpecError(
                f"{float(given):g} differs from the [mcids] value {value:g} of {estimand}; "
                "give the MCID once", file=self.path or self.name,
                field=f"{family.family}.options.{option}")
        return value

    def mcid_for(self, endpoint: str, estimand: str) -> McidOverride | None:
        """Return the first MCID override matching an estimand, if any."""
        return next((m for m in self.mcids if m.matches(endpoint, estimand)), None)

    def with_overrides(self, **overrides: Any) -> AnalysisSpec:
        """Return a copy with some settings replaced.

        Parameters
        ----------
        **overrides
            ``draws``, ``tune``, ``chains``, ``target_accept``, ``backend``,
            ``max_treedepth`` (sampler, for
            every family: they also replace the families' own ``[<family>.sampler]``);
            ``seed``; ``priors`` (a sequence of names, or explicit priors: a mapping of
            family names to mappings of new names to priors, or of new names to priors
            when one family runs; a prior is ``(mean, sd)`` on the family's scale or a
            ratio statement such as ``"HR 0.8 with 5% below 0.5"``; see
            :mod:`bayes_scot.spec.overrides`); ``population``
            (of the primary trial, and of every family whose options name one);
            ``families`` (a subset of family names, in order; the ``[joint]`` estimands
            of endpoints no kept family reports are dropped);
            ``title``. ``None`` values are ignored.

        Returns
        -------
        AnalysisSpec

        Raises
        ------
        SpecError
            For an unknown override or a bad value, naming it.
        """
        from bayes_scot.spec.overrides import apply_overrides

        return apply_overrides(self, overrides)


def _default_grid(
    defaults: Mapping[str, EffectPrior] | Mapping[str, Mapping[str, EffectPrior]],
    parameter: str,
) -> dict[str, EffectPrior]:
    """Return a builder's default grid for one parameter (one grid, or one per parameter)."""
    if all(isinstance(v, EffectPrior) for v in defaults.values()):
        return dict(defaults)  # type: ignore[arg-type]
    per_parameter: Any = defaults
    return dict(per_parameter.get(parameter, {}))


def external_parts(source: str) -> tuple[str, str]:
    """Split a source of a family's ``external`` list into its trial and population.

    Parameters
    ----------
    source : str
        ``"<trial>:<population>"`` (a shipped trial), ``"<file>.toml"`` or
        ``"<file>.toml:<population>"``.

    Returns
    -------
    trial : str
        The shipped trial's name or the file's path.
    population : str
        The population, or ``""`` for every population of a file.
    """
    head, sep, population = source.rpartition(":")
    if sep and (head.endswith(".toml") or not source.endswith(".toml")):
        return head, population
    return source, ""


def _carrier_endpoint(options: Any, primary: Any) -> str | None:
    """Return the endpoint whose ``hazard_ratio_common`` carries the survival priors.

    The ``endpoint`` option's; else, from the primary trial's evidence, EFS when it
    reports EFS and OS (the illness-death model) or its one time-to-event endpoint (the
    one-endpoint model); EFS without a trial; None when the evidence leaves it open.
    """
    if options.endpoint:
        return str(options.endpoint)
    if primary is None:
        return "efs"
    reported = {e.endpoint for e in primary.entries
                if getattr(primary.endpoint(e.endpoint), "kind", "") == "time_to_event"}
    if {"efs", "os"} <= reported or options.model == "illness_death":
        return "efs"
    return next(iter(reported)) if len(reported) == 1 else None
