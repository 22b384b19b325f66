"""Reduce public patient-level trial data to what a paper publishes (test helper).

The patient-level data are copies of the randomised trials lifelines ships, stored in
``tests/data`` (no download at run time; ``tests/data/README.md`` gives their sources):
GBSG-2 (Schumacher et al. 1994; hormonal therapy yes/no, 686 women, times in days)
and the Rossi et al. (1980) recidivism experiment (financial aid yes/no, 432 released
prisoners followed 52 weeks, times in weeks). Each function returns a :class:`Trial`
holding one route of evidence, as a paper would print it, in months; the reference
answers come from the same patients: the Cox model of ``survival_reference`` (Efron
ties, checked against lifelines' estimates) and the package's Kaplan-Meier estimator
(checked against lifelines' in ``test_stats_kaplan_meier``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from survival_reference import cox_information, cox_log_hr, load

from bayes_scot.evidence import (
    Arm,
    DigitisedCurve,
    LandmarkEvents,
    Population,
    ReportedRatio,
    Source,
    SurvivalEstimate,
    Trial,
)
from bayes_scot.evidence.endpoints import Endpoint
from bayes_scot.stats.kaplan_meier import KaplanMeier, kaplan_meier

DAYS_PER_MONTH = 365.25 / 12.0
SOURCE = Source(citation="lifelines.datasets (public patient-level data)",
                locator="tests/_published.py", tag="derived",
                note="computed from the patient-level data by the function that made the entry")


@dataclass(frozen=True)
class PatientData:
    """Patient-level data of a two-arm trial, times in months."""

    name: str
    endpoint: Endpoint
    arms: tuple[str, str]  # experimental, control
    frame: pd.DataFrame  # columns time (months), event (0/1), arm

    def arm(self, arm: str) -> pd.DataFrame:
        return self.frame[self.frame["arm"] == arm]

    @property
    def n(self) -> dict[str, int]:
        return {a: len(self.arm(a)) for a in self.arms}

    def cox(self) -> tuple[float, float]:
        """Patient-level Cox log hazard ratio (experimental vs control) and its SE."""
        time, event = self.frame["time"], self.frame["event"]
        x = (self.frame["arm"] == self.arms[0]).astype(float)
        beta = cox_log_hr(time, event, x)
        return beta, 1.0 / math.sqrt(cox_information(beta, time, event, x))

    def km(self, arm: str) -> KaplanMeier:
        d = self.arm(arm)
        return kaplan_meier(d["time"], d["event"])

    def kaplan_meier(self, arm: str, times) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """KM survival, its 95% CI half-width on the probability scale, numbers at risk."""
        d = self.arm(arm)
        km = self.km(arm)
        times = np.asarray(times, dtype=float)
        s = km.at(times)
        # Greenwood SE on the probability scale.
        at = km.times
        n_at, d_at = km.n_risk.astype(float), km.events.astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            inc = np.where(n_at > d_at, d_at / (n_at * (n_at - d_at)), 0.0)
        green = np.array([inc[at <= t].sum() for t in times])
        se = s * np.sqrt(green)
        risk = np.array([(d["time"] >= t).sum() for t in times])
        return s, se, risk

    def trial(self, entries) -> Trial:
        e, c = self.arms
        return Trial(
            name=self.name, title=f"{self.name} (reduced from patient-level data)",
            citation=SOURCE.citation,
            arms=(Arm(name=e, label=e, role="experimental"),
                  Arm(name=c, label=c, role="control")),
            populations={"itt": Population(name="itt", label="randomised", n=self.n)},
            entries=tuple(entries), population="itt",
            endpoints={self.endpoint.name: self.endpoint},
        )


def gbsg2() -> PatientData:
    df = load("gbsg2")
    frame = pd.DataFrame({"time": df["time"] / DAYS_PER_MONTH, "event": df["cens"],
                          "arm": np.where(df["horTh"] == "yes", "tamoxifen", "no_tamoxifen")})
    endpoint = Endpoint(name="recurrence_free", label="Recurrence-free survival",
                        kind="time_to_event", better="higher")
    return PatientData("gbsg2", endpoint, ("tamoxifen", "no_tamoxifen"), frame)


def rossi() -> PatientData:
    df = load("rossi")
    frame = pd.DataFrame({"time": df["week"] * 7.0 / DAYS_PER_MONTH, "event": df["arrest"],
                          "arm": np.where(df["fin"] == 1, "aid", "no_aid")})
    endpoint = Endpoint(name="arrest_free", label="Arrest-free survival",
                        kind="time_to_event", better="higher")
    return PatientData("rossi", endpoint, ("aid", "no_aid"), frame)


def landmark_counts(data: PatientData, times) -> Trial:
    """Cumulative events by each landmark among n (valid without earlier censoring)."""
    entries = []
    for t in times:
        events = {a: int(((data.arm(a)["time"] <= t) & (data.arm(a)["event"] == 1)).sum())
                  for a in data.arms}
        entries.append(LandmarkEvents(id=f"events_{t:g}", endpoint=data.endpoint.name,
                                      population="itt", source=SOURCE, time_months=float(t),
                                      events=events, n=data.n))
    return data.trial(entries)


def km_estimates(data: PatientData, times, *, with_ci: bool = False) -> Trial:
    """Kaplan-Meier estimates at ``times`` with numbers at risk (or 95% CIs)."""
    per_arm = {a: data.kaplan_meier(a, times) for a in data.arms}
    entries = []
    for j, t in enumerate(times):
        s = {a: float(per_arm[a][0][j]) for a in data.arms}
        extra = {}
        if with_ci:
            extra["lower"] = {a: s[a] - 1.96 * float(per_arm[a][1][j]) for a in data.arms}
            extra["upper"] = {a: s[a] + 1.96 * float(per_arm[a][1][j]) for a in data.arms}
        else:
            extra["n_risk"] = {a: int(per_arm[a][2][j]) for a in data.arms}
        entries.append(SurvivalEstimate(id=f"km_{t:g}", endpoint=data.endpoint.name,
                                        population="itt", source=SOURCE,
                                        time_months=float(t), survival=s, **extra))
    return data.trial(entries)


def digitised_curves(data: PatientData, risk_times) -> Trial:
    """Each arm's KM step curve (its corners) with the risk table and total events."""
    entries = []
    for a in data.arms:
        d = data.arm(a)
        km = data.km(a)
        # The step curve from (0, 1), as a published figure draws it.
        t = np.concatenate([[0.0], km.times[km.times > 0]])
        s = np.concatenate([[1.0], km.survival[km.times > 0]])
        # The corners a digitiser clicks: the level before and after each drop.
        times = np.repeat(t, 2)[1:]
        surv = np.repeat(s, 2)[:-1]
        risk = [int((d["time"] >= rt).sum()) for rt in risk_times]
        entries.append(DigitisedCurve(
            id=f"curve_{a}", endpoint=data.endpoint.name, population="itt", source=SOURCE,
            arm=a, times=tuple(times.tolist()), survival=tuple(surv.tolist()),
            risk_times=tuple(float(x) for x in risk_times), n_risk=tuple(risk),
            total_events=int(d["event"].sum()),
        ))
    return data.trial(entries)


def reported_hr(data: PatientData) -> Trial:
    """The patient-level Cox hazard ratio with its 95% CI, as an abstract prints it."""
    b, se = data.cox()
    entry = ReportedRatio(id="cox_hr", endpoint=data.endpoint.name, population="itt",
                          source=SOURCE, measure="HR", estimate=math.exp(b),
                          lower=math.exp(b - 1.959964 * se), upper=math.exp(b + 1.959964 * se))
    return data.trial([entry])
