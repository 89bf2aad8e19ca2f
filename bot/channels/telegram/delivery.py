"""Outbound delivery: per-chat order, per-chat and global rate limits, 429 and network retries."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

log = logging.getLogger(__name__)
T = TypeVar("T")
BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0)


class TokenBucket:
    """At most `rate` per second on average, with bursts up to `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.updated = float(burst), time.monotonic()

    async def take(self) -> None:
        """Wait until a token is available, then use it."""
        while True:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            await asyncio.sleep((1 - self.tokens) / self.rate)


def seconds(value: float | timedelta) -> float:
    """RetryAfter.retry_after is an int in some versions and a timedelta in others."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Outbox:
    """Every outbound Bot API call goes through here, so no reply is lost or reordered."""

    def __init__(self, *, per_chat_rate: float = 1.0, per_chat_burst: int = 3, global_rate: float = 30.0,
                 max_attempts: int = 12) -> None:
        self.global_bucket = TokenBucket(global_rate, int(global_rate))
        self.per_chat_rate, self.per_chat_burst = per_chat_rate, per_chat_burst
        self.max_attempts = max_attempts
        self._chat_buckets: dict[str, TokenBucket] = {}
        self._chat_locks: dict[str, asyncio.Lock] = {}
        self._paused_until = 0.0  # a 429 pauses everything, as Telegram asks
        self.retries = 0

    async def call(self, chat_id: int | str, send: Callable[[], Awaitable[T]]) -> T | None:
        """Run one API call for a chat in order, within limits, retrying 429s and network errors."""
        key = str(chat_id)
        lock = self._chat_locks.setdefault(key, asyncio.Lock())
        bucket = self._chat_buckets.setdefault(key, TokenBucket(self.per_chat_rate, self.per_chat_burst))
        async with lock:
            network_failures = 0
            for attempt in range(1, self.max_attempts + 1):
                await bucket.take()
                await self.global_bucket.take()
                pause = self._paused_until - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                try:
                    return await send()
                except RetryAfter as err:
                    wait = seconds(err.retry_after)
                    self._paused_until = max(self._paused_until, time.monotonic() + wait)
                    log.warning("429 from Telegram for chat %s: waiting %.1f s (attempt %d)", key, wait, attempt)
                except (Forbidden, BadRequest) as err:
                    log.error("Telegram refused a message to chat %s: %s", key, err)
                    return None  # blocked by the user or malformed: retrying cannot help
                except (TimedOut, NetworkError) as err:
                    delay = BACKOFF_S[min(network_failures, len(BACKOFF_S) - 1)]
                    network_failures += 1
                    log.warning("network error to chat %s (%s): retry in %.1f s", key, type(err).__name__, delay)
                    await asyncio.sleep(delay)
                self.retries += 1
            log.error("gave up delivering to chat %s after %d attempts", key, self.max_attempts)
            return None
