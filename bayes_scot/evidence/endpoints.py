"""The endpoints the package knows: what they measure and which direction is better.

Directions are data. Every model reads ``better`` from here (or from a trial file's own
``[endpoints]`` table) instead of flipping signs in code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bayes_scot.errors import EvidenceError

__all__ = ["ENDPOINTS", "Endpoint", "check_redeclared", "get_endpoint"]

EndpointKind = Literal["time_to_event", "continuous", "binary", "composite"]


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """An outcome measure.

    Parameters
    ----------
    name : str
        Short identifier used in trial files and results (``"efs"``, ``"haq_di"``).
    label : str
        Human-readable name.
    kind : {"time_to_event", "continuous", "binary", "composite"}
        The scale of the outcome.
    better : {"lower", "higher"}
        Which direction favours a patient. For time-to-event endpoints this refers to
        survival (``"higher"``); for binary endpoints to the proportion with the event.
    unit : str, optional
        Unit of a continuous endpoint.
    """

    name: str
    label: str
    kind: EndpointKind
    better: Literal["lower", "higher"]
    unit: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("time_to_event", "continuous", "binary", "composite"):
            raise EvidenceError(f"unknown endpoint kind {self.kind!r}", field="kind")
        if self.better not in ("lower", "higher"):
            raise EvidenceError(
                f"better must be 'lower' or 'higher', not {self.better!r}", field="better"
            )

    @property
    def event_wanted(self) -> bool:
        """Whether the endpoint's event is wanted (healing, response), not harmful.

        ``better`` of a time-to-event endpoint refers to survival, the probability of
        being still free of the event: ``"lower"`` means the event is wanted. That of a
        binary endpoint refers to the proportion with the event: ``"higher"`` means the
        event is wanted, ``"lower"`` (renal crisis, infection) that it harms.

        Raises
        ------
        EvidenceError
            For a continuous or composite endpoint, which counts no event.
        """
        if self.kind == "time_to_event":
            return self.better == "lower"
        if self.kind == "binary":
            return self.better == "higher"
        raise EvidenceError(
            f"endpoint {self.name!r} is {self.kind}: it counts no event whose time a "
            "survival model could read", field="endpoint")

    @property
    def sign(self) -> int:
        """``+1`` when higher is better, ``-1`` when lower is better."""
        return 1 if self.better == "higher" else -1


def _endpoints(*items: Endpoint) -> dict[str, Endpoint]:
    return {e.name: e for e in items}


ENDPOINTS: dict[str, Endpoint] = _endpoints(
    Endpoint(
        name="efs",
        label="Event-free survival",
        kind="time_to_event",
        better="higher",
    ),
    Endpoint(name="os", label="Overall survival", kind="time_to_event", better="higher"),
    Endpoint(
        name="treatment_related_death",
        label="Treatment-related death",
        kind="binary",
        better="lower",
    ),
    Endpoint(
        name="grcs",
        label="Global rank composite score",
        kind="composite",
        better="higher",
    ),
    Endpoint(name="haq_di", label="HAQ-DI", kind="continuous", better="lower", unit="points"),
    Endpoint(
        name="sf36_pcs",
        label="SF-36 physical component summary",
        kind="continuous",
        better="higher",
        unit="points",
    ),
    Endpoint(
        name="sf36_mcs",
        label="SF-36 mental component summary",
        kind="continuous",
        better="higher",
        unit="points",
    ),
    Endpoint(
        name="mrss",
        label="Modified Rodnan skin score",
        kind="continuous",
        better="lower",
        unit="points",
    ),
    Endpoint(
        name="fvc",
        label="Forced vital capacity",
        kind="continuous",
        better="higher",
        unit="% predicted",
    ),
    Endpoint(
        name="dlco",
        label="Diffusing capacity for carbon monoxide",
        kind="continuous",
        better="higher",
        unit="% predicted",
    ),
    Endpoint(
        name="dmard_initiation",
        label="Initiated disease-modifying antirheumatic drugs",
        kind="binary",
        better="lower",
    ),
    Endpoint(
        name="arrhythmia", label="New or worsening arrhythmia", kind="binary", better="lower"
    ),
    Endpoint(
        name="heart_failure",
        label="Congestive heart failure needing treatment",
        kind="binary",
        better="lower",
    ),
    Endpoint(
        name="pericardial_effusion",
        label="Clinically significant pericardial effusion",
        kind="binary",
        better="lower",
    ),
    Endpoint(
        name="pulmonary_hypertension",
        label="Pulmonary arterial hypertension",
        kind="binary",
        better="lower",
    ),
    Endpoint(
        name="renal_crisis", label="Scleroderma renal crisis", kind="binary", better="lower"
    ),
    Endpoint(name="myositis", label="Myositis", kind="binary", better="lower"),
    Endpoint(
        name="improvement",
        label="Improvement (mRSS decrease >25% or FVC increase >10%)",
        kind="binary",
        better="higher",
    ),
)
"""Endpoints known to every trial file. A trial file may declare more in ``[endpoints]``."""


def get_endpoint(name: str, extra: dict[str, Endpoint] | None = None) -> Endpoint:
    """Look an endpoint up by name, first in ``extra`` then in :data:`ENDPOINTS`.

    Parameters
    ----------
    name : str
        The endpoint's identifier.
    extra : dict, optional
        Endpoints declared by a trial file.

    Returns
    -------
    Endpoint

    Raises
    ------
    EvidenceError
        If the name is unknown.
    """
    if extra and name in extra:
        return extra[name]
    try:
        return ENDPOINTS[name]
    except KeyError:
        known = ", ".join(sorted(set(ENDPOINTS) | set(extra or {})))
        raise EvidenceError(
            f"unknown endpoint {name!r}; known endpoints: {known} "
            "(declare a new one in the file's [endpoints] table)",
            field="endpoint",
        ) from None


def check_redeclared(endpoint: Endpoint) -> None:
    """Refuse a file's declaration that changes what a built-in endpoint is.

    A trial file may declare a built-in endpoint again (to give its own label or unit),
    but not with another kind or direction: every model and report reads ``efs`` as a
    time-to-event endpoint where higher survival is better.

    Parameters
    ----------
    endpoint : Endpoint
        The file's declaration.

    Raises
    ------
    EvidenceError
        If a built-in endpoint of that name has another ``kind`` or ``better``, naming the
        field.
    """
    builtin = ENDPOINTS.get(endpoint.name)
    if builtin is None:
        return
    for name in ("kind", "better"):
        if getattr(endpoint, name) != getattr(builtin, name):
            raise EvidenceError(
                f"{endpoint.name!r} is a built-in endpoint with {name} = "
                f"{getattr(builtin, name)!r}; it cannot be redeclared with "
                f"{name} = {getattr(endpoint, name)!r} (declare a new name instead)",
                field=name,
            )
