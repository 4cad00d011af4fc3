"""Small statistics for the bench: nearest-rank percentiles, medians, ratios."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `pct` % of values <= it.

    Always one of the measured values (no interpolation), so p99 of 100 calls is the
    99th-fastest call, not an average of two.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 < pct <= 100:  # noqa: PLR2004 - percent bounds
        raise ValueError(f"percentile must be in (0, 100], got {pct}")
    ordered = sorted(values)
    rank = math.ceil(pct / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def median(values: Sequence[float]) -> float:
    """The middle value (mean of the two middle ones for an even count)."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def ratio(value: float | None, floor: float | None) -> float | None:
    """value / floor, or None when either is unknown or the floor is zero."""
    if value is None or not floor:
        return None
    return value / floor
