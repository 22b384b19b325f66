"""Layer 3: pure numerics (NumPy and SciPy, numba for the win-statistics kernel; no PyMC).

Summary-statistic conversions, Kaplan-Meier helpers, reconstruction of patient data from
digitised curves, closed-form normal-normal updates, named priors, illness-death state
probabilities, win statistics, and posterior summaries of estimand draws.
"""
