"""Simulation-based calibration and operating characteristics of the decision rule.

Beside the reanalysis: every simulated trial is one more data set of the same compiled
model, so a calibration study is a large batch of fits.

* :mod:`~bayes_scot.calibration.sbc`: rank statistics, simultaneous ECDF bands and a
  uniformity verdict per quantity (pure NumPy).
* :mod:`~bayes_scot.calibration.conjugate`: the normal-normal reanalysis of a reported
  effect, whose calibration and operating characteristics are closed forms.
* :mod:`~bayes_scot.calibration.figures`: ECDF-difference and power-curve figures.
* :func:`calibrate` and :func:`operating_characteristics`: studies of a spec's models
  (:mod:`~bayes_scot.calibration.simulate` simulates trials at the design,
  :mod:`~bayes_scot.calibration.study` fits chunks of them as one BlackJAX batch each,
  :mod:`~bayes_scot.calibration.distributed` runs the chunks on Dask and
  :mod:`~bayes_scot.calibration.store` keeps every finished chunk in Parquet).
"""

from bayes_scot.calibration.api import (
    Calibration,
    OperatingCharacteristics,
    calibrate,
    operating_characteristics,
)
from bayes_scot.calibration.conjugate import (
    hazard_ratio_se,
    normal_normal_oc,
    normal_normal_sbc,
    simulate_normal_normal_oc,
)
from bayes_scot.calibration.sbc import (
    RankUniformity,
    ecdf_band,
    rank_statistics,
    thin_draws,
    uniformity,
    uniformity_table,
)

__all__ = [
    "Calibration",
    "OperatingCharacteristics",
    "RankUniformity",
    "calibrate",
    "ecdf_band",
    "hazard_ratio_se",
    "normal_normal_oc",
    "normal_normal_sbc",
    "operating_characteristics",
    "rank_statistics",
    "simulate_normal_normal_oc",
    "thin_draws",
    "uniformity",
    "uniformity_table",
]
