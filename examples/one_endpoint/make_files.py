"""Write the curve and risk-table files of the one-endpoint example (run once).

The Rossi et al. (1980) experiment is a randomised trial whose patient-level data
lifelines ships (``lifelines.datasets.load_rossi``): 432 prisoners released from Maryland
state prisons, randomised to financial aid or none, followed 52 weeks for re-arrest. This
script computes each arm's Kaplan-Meier curve and a risk table every 8 weeks from those
patients, in weeks, standing in for the coordinates a digitiser would read off a
published figure. The numbers are real (computed, not read off a figure); the example is
labelled so wherever it is used.
"""

from __future__ import annotations

import csv
from pathlib import Path

from lifelines import KaplanMeierFitter
from lifelines.datasets import load_rossi

HERE = Path(__file__).parent
RISK_WEEKS = [0, 8, 16, 24, 32, 40, 48]


def main() -> None:
    """Write curve_<arm>.csv and risk_<arm>.csv for both arms."""
    data = load_rossi()
    for arm, fin in (("aid", 1), ("no_aid", 0)):
        d = data[data["fin"] == fin]
        sf = KaplanMeierFitter().fit(d["week"], d["arrest"]).survival_function_
        weeks, surv = sf.index.to_list(), sf.iloc[:, 0].to_list()
        with open(HERE / f"curve_{arm}.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["time", "survival"])
            previous = 1.0
            for t, s in zip(weeks, surv, strict=True):  # the corners of each step
                if t > 0:
                    w.writerow([t, round(previous, 5)])
                w.writerow([t, round(s, 5)])
                previous = s
        with open(HERE / f"risk_{arm}.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["time", "n_risk"])
            for t in RISK_WEEKS:
                w.writerow([t, int((d["week"] >= t).sum())])
        print(arm, len(d), "patients,", int(d["arrest"].sum()), "arrests")


if __name__ == "__main__":
    main()
