"""Confidence intervals, vectorised over the rows of an aggregated result.

- rates: Wilson score interval (good near 0 and 1 and for small n);
- NPS: normal interval from the multinomial variance of (promoters − detractors);
- means here (historical CLV over many customers): normal interval, mean ± z·s/√n,
  null bounds for n < 2; survey score means (CSAT mean, CES) use Student's t instead
  (``cxlens.metrics.surveys.t_interval``), since one agent's month holds few answers.
"""

from __future__ import annotations

import numpy as np

Z95 = 1.959963984540054


def wilson(successes, trials, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson 95 % bounds for ``successes / trials``; NaN where there are no trials."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    empty = ~(n > 0)
    # with no successes (or no failures) the bound is exactly 0 (or 1); the
    # subtraction leaves a rounding residue such as 5.6e-17 instead
    low = np.where(empty, np.nan, np.where(k == 0, 0.0, np.clip(centre - half, 0, 1)))
    high = np.where(empty, np.nan, np.where(k == n, 1.0, np.clip(centre + half, 0, 1)))
    return low, high


def nps_interval(promoters, detractors, valid, z: float = Z95):
    """NPS points and its 95 % bounds (clipped to −100…100); NaN where nothing is valid."""
    n = np.asarray(valid, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share_pro = np.asarray(promoters, dtype=float) / n
        share_det = np.asarray(detractors, dtype=float) / n
        difference = share_pro - share_det
        variance = np.maximum(share_pro + share_det - difference**2, 0) / n
    half = z * 100 * np.sqrt(variance)
    score = np.where(n > 0, 100 * difference, np.nan)
    low = np.where(n > 0, np.clip(score - half, -100, 100), np.nan)
    high = np.where(n > 0, np.clip(score + half, -100, 100), np.nan)
    return score, low, high


def mean_interval(total, total_squares, count, z: float = Z95):
    """Mean and its normal 95 % bounds from a sum, a sum of squares and a count."""
    n = np.asarray(count, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.asarray(total, dtype=float) / n
        spread = np.asarray(total_squares, dtype=float) - n * mean**2
        sd = np.sqrt(np.maximum(spread, 0) / (n - 1))
        half = z * sd / np.sqrt(n)
    mean = np.where(n > 0, mean, np.nan)
    low = np.where(n > 1, mean - half, np.nan)
    high = np.where(n > 1, mean + half, np.nan)
    return mean, low, high
