"""When a failed delivery is tried again: exponential backoff with full jitter (AWS's "full jitter")."""

from __future__ import annotations

import random


def retry_delay_s(attempts: int, *, base_s: float, cap_s: float, rng: random.Random,
                  retry_after_s: float | None = None) -> float:
    """Seconds to wait after the `attempts`-th failure; a receiver's own retry_after wins (Telegram's 429)."""
    if retry_after_s is not None:
        return max(0.0, retry_after_s)
    # Full jitter: anywhere in [0, ceiling], so workers that failed together do not retry together.
    ceiling = min(cap_s, base_s * 2 ** max(0, attempts - 1))
    return rng.uniform(0, ceiling)
