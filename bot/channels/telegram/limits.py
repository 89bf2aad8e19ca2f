"""Telegram's limits in this process: per-chat, group and global token buckets, and 429 pauses of one chat.

The outbox worker makes one attempt per claimed row (`attempt`: Telegram's refusals become RetryableDelivery
or PermanentDelivery, the row decides); calls outside the outbox (edits, topics, the database-down apology)
retry here (`call`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import httpx
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.errors import PermanentDelivery, RetryableDelivery

log = logging.getLogger(__name__)
T = TypeVar("T")
BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0)
GROUP_RATE = 20 / 60  # Telegram: at most 20 messages a minute to one group
GROUP_BURST = 3
IDLE_BUCKET_S = 600.0  # a chat quiet this long loses its bucket and lock (a full bucket is the default anyway)
SWEEPS_PER_IDLE = 10  # how often idle chats are looked for, per IDLE_BUCKET_S
# Timeouts after which the request surely never reached Telegram: safe to send again.
NOT_SENT = (httpx.ConnectTimeout, httpx.PoolTimeout)


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


def surely_not_sent(err: TimedOut) -> bool:
    """A timeout before the request left (no connection, no pool slot); any other may have been delivered."""
    return isinstance(err.__cause__, NOT_SENT)


def is_group(chat_id: str) -> bool:
    """Groups and supergroups have negative ids."""
    return chat_id.startswith("-")


class TelegramLimits:
    """Every outbound Bot API call goes through here, within Telegram's limits."""

    def __init__(self, *, per_chat_rate: float = 1.0, per_chat_burst: int = 3, global_rate: float = 30.0,
                 max_attempts: int = 12, group_rate: float = GROUP_RATE, group_burst: int = GROUP_BURST) -> None:
        self.global_bucket = TokenBucket(global_rate, int(global_rate))
        self.per_chat_rate, self.per_chat_burst = per_chat_rate, per_chat_burst
        self.group_rate, self.group_burst = min(group_rate, per_chat_rate), min(group_burst, per_chat_burst)
        self.max_attempts = max_attempts
        self._chat_buckets: dict[str, TokenBucket] = {}
        self._chat_locks: dict[str, asyncio.Lock] = {}
        self._paused_until: dict[str, float] = {}  # a 429 names one chat: only that chat waits
        self._last_used: dict[str, float] = {}
        self._next_sweep = 0.0
        self.retries = 0
        self.unconfirmed = 0  # sends that timed out after leaving: maybe delivered, so never repeated

    def _bucket(self, key: str) -> TokenBucket:
        bucket = self._chat_buckets.get(key)
        if bucket is None:
            rate, burst = ((self.group_rate, self.group_burst) if is_group(key)
                           else (self.per_chat_rate, self.per_chat_burst))
            bucket = self._chat_buckets[key] = TokenBucket(rate, burst)
        return bucket

    def _forget_idle(self, now: float) -> None:
        """Drop the state of chats idle for a while (their buckets would be full again anyway)."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + IDLE_BUCKET_S / SWEEPS_PER_IDLE
        for key, used in list(self._last_used.items()):
            lock = self._chat_locks.get(key)
            if now - used > IDLE_BUCKET_S and (lock is None or not lock.locked()):
                self._chat_buckets.pop(key, None)
                self._chat_locks.pop(key, None)
                self._last_used.pop(key, None)
                self._paused_until.pop(key, None)

    @property
    def tracked_chats(self) -> int:
        """How many chats have delivery state in memory."""
        return len(self._chat_buckets)

    async def call(self, chat_id: int | str, send: Callable[[], Awaitable[T]], *,
                   idempotent: bool = False) -> T | None:
        """Run one API call for a chat in order, within limits, retrying 429s and network errors.

        A call that timed out after it left may have reached Telegram; unless it is idempotent (an edit,
        a read) it is not sent again: a message twice is worse than a warning in the log.
        """
        key = str(chat_id)
        now = time.monotonic()
        self._forget_idle(now)
        self._last_used[key] = now
        lock = self._chat_locks.setdefault(key, asyncio.Lock())
        bucket = self._bucket(key)
        async with lock:
            network_failures = 0
            for attempt in range(1, self.max_attempts + 1):
                await self._wait_turn(key, bucket)
                try:
                    return await send()
                except RetryAfter as err:
                    wait = seconds(err.retry_after)
                    self._paused_until[key] = max(self._paused_until.get(key, 0.0), time.monotonic() + wait)
                    log.warning("429 from Telegram for chat %s: waiting %.1f s (attempt %d)", key, wait, attempt)
                except (Forbidden, BadRequest) as err:
                    log.error("Telegram refused a message to chat %s: %s", key, err)
                    return None  # blocked by the user or malformed: retrying cannot help
                except TimedOut as err:
                    if not idempotent and not surely_not_sent(err):
                        self.unconfirmed += 1
                        log.warning("a call to chat %s timed out after it was sent; not repeated (it may have "
                                    "arrived)", key)
                        return None
                    network_failures = await self._back_off(key, err, network_failures)
                except NetworkError as err:
                    network_failures = await self._back_off(key, err, network_failures)
                self.retries += 1
                self._last_used[key] = time.monotonic()
            log.error("gave up delivering to chat %s after %d attempts", key, self.max_attempts)
            return None

    async def _wait_turn(self, key: str, bucket: TokenBucket) -> None:
        """Wait for the chat's token, the bot's token and any 429 pause of this chat."""
        await bucket.take()
        await self.global_bucket.take()
        pause = self._paused_until.get(key, 0.0) - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)

    async def attempt(self, chat_id: int | str, send: Callable[[], Awaitable[T]], *,
                      maybe_sent_is_done: bool = True) -> T | None:
        """One call for an outbox row, within limits; Telegram's refusals become the row's retry or death.

        A timeout after the request left may have reached Telegram: with `maybe_sent_is_done` the row counts
        as delivered (None), since a message twice is worse than a warning; otherwise it is retried.
        """
        key = str(chat_id)
        now = time.monotonic()
        self._forget_idle(now)
        self._last_used[key] = now
        async with self._chat_locks.setdefault(key, asyncio.Lock()):
            await self._wait_turn(key, self._bucket(key))
            try:
                return await send()
            except RetryAfter as err:
                wait = seconds(err.retry_after)
                self._paused_until[key] = max(self._paused_until.get(key, 0.0), time.monotonic() + wait)
                raise RetryableDelivery(f"429 from Telegram: retry after {wait:.0f} s", retry_after_s=wait) from err
            except (Forbidden, BadRequest, ChatMigrated) as err:  # blocked, malformed, moved: retrying cannot help
                raise PermanentDelivery(f"{type(err).__name__}: {err.message}") from err
            except TimedOut as err:
                if surely_not_sent(err):
                    raise RetryableDelivery("timed out before the request left") from err
                if not maybe_sent_is_done:
                    raise RetryableDelivery("timed out after the request left (it may have arrived)") from err
                self.unconfirmed += 1
                log.warning("a call to chat %s timed out after it was sent; not repeated (it may have arrived)", key)
                return None
            except (NetworkError, TelegramError) as err:  # 5xx, connection errors, an unexpected answer
                raise RetryableDelivery(f"{type(err).__name__}: {err.message}") from err

    @staticmethod
    async def _back_off(key: str, err: Exception, failures: int) -> int:
        delay = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
        log.warning("network error to chat %s (%s): retry in %.1f s", key, type(err).__name__, delay)
        await asyncio.sleep(delay)
        return failures + 1
