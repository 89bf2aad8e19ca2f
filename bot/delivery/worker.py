"""The outbox worker: claim due lane heads, run each kind's handler, record done, retry or dead.

Delivery is at least once. A worker that dies mid-delivery leaves its rows leased; after OUTBOX_LEASE_S
another worker delivers them again. Handlers whose receiver takes an idempotency key make that harmless;
Telegram takes none, so a reply that reached Telegram in the instant before the worker died (after the
request, before the row was marked done) is sent a second time once the lease expires. The lease is short
to bound how long a crash delays replies; the window for a double is the few milliseconds between
Telegram's answer and the commit of "done".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.backoff import retry_delay_s
from bot.delivery.claim import Claimed, claim_due, mark_dead, mark_done, schedule_retry
from bot.delivery.periodic import Periodic, PeriodicJobs
from bot.delivery.registry import Handler, Registry
from bot.delivery.roles import Roles
from bot.errors import PermanentDelivery, RetryableDelivery
from bot.settings import Settings
from bot.storage.db import translate_errors
from bot.storage.models import utcnow

log = logging.getLogger(__name__)
FINISH_RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0)  # recording an outcome survives a database blip
STOP_GRACE_S = 5.0  # deliveries in flight may finish this long after stop() (then their leases expire instead)


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard and how often the worker tries (the OUTBOX_* settings)."""

    max_attempts: int = 8
    backoff_base_s: float = 2.0
    backoff_cap_s: float = 600.0
    lease_s: float = 30.0
    poll_s: float = 1.0
    batch: int = 50

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        """The policy the settings describe."""
        return cls(settings.outbox_max_attempts, settings.outbox_backoff_base_s, settings.outbox_backoff_cap_s,
                   settings.outbox_lease_s, settings.outbox_poll_s, settings.outbox_batch)


@dataclass(frozen=True)
class Result:
    """How one delivery ended: done, retry at a time, or dead, with the reason (never payload text)."""

    state: str  # done | retry | dead
    reason: str | None = None
    retry_at: datetime | None = None


class OutboxWorker:
    """Delivers the outbox's rows with the handlers of a registry."""

    def __init__(self, sessions: sessionmaker[Session], registry: Registry, policy: DeliveryPolicy, *,
                 roles: Roles | None = None, clock: Callable[[], datetime] = utcnow,
                 rng: random.Random | None = None, jobs: Sequence[Periodic] = ()) -> None:
        self.sessions, self.registry, self.policy = sessions, registry, policy
        self.periodic = PeriodicJobs(jobs)  # reminder scans, the retention purge: run between deliveries
        self._jobs_task: asyncio.Task[None] | None = None
        self.roles = roles
        self.clock = clock
        self.rng = rng or random.Random()
        self.retries = 0  # deliveries that failed and were scheduled again (for tests and metrics)
        self.dead = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._stopping = False

    # the loop ------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Run the loop in the background until stop()."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self.run(), name="outbox-worker")

    async def stop(self) -> None:
        """Stop claiming; let deliveries in flight finish for a few seconds, then cancel them."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        if not task.done():  # a task that died (or was killed) has nothing in flight to wait for
            try:
                await asyncio.wait_for(asyncio.shield(task), STOP_GRACE_S)
            except TimeoutError:  # a delivery still in flight keeps its lease: it is delivered again after it
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.roles is not None:  # always: a lane held by a dead task would otherwise wait for its lock to lapse
            await asyncio.to_thread(self.roles.release)

    def wake(self) -> None:
        """Look for due rows now (a turn just committed some)."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stopped, looking again when woken or every OUTBOX_POLL_S.

        Each claimed row is delivered in its own task, and the loop claims again as soon as one finishes:
        a slow chat (a 429, a hanging request) holds up only its own lane, never the others.
        """
        try:
            while not self._stopping:
                self._wake.clear()
                self._start_jobs()
                free = self.policy.batch - len(self._in_flight)
                claimed: list[Claimed] = []
                if free > 0:
                    try:
                        claimed = await asyncio.to_thread(self._claim, await asyncio.to_thread(self._kinds), free)
                    except Exception as err:  # the database is away: the rows wait in it, try again later
                        log.warning("outbox pass failed: %s", type(err).__name__)
                for row in claimed:
                    task = asyncio.create_task(self._deliver(row))
                    self._in_flight.add(task)
                    task.add_done_callback(self._delivered)
                if claimed or self._stopping:
                    continue
                # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a cancel that lands as the wake
                # event is set, and a killed worker would then go on claiming (seen as a hang in the kill test)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.policy.poll_s):
                        await self._wake.wait()
            if self._in_flight:  # stopping: what is in flight finishes (stop() bounds the wait)
                await asyncio.gather(*self._in_flight, return_exceptions=True)
        finally:  # killed or stopped: nothing of ours keeps sending (a cancelled row is delivered after its lease)
            for task in list(self._in_flight):
                task.cancel()
            if self._jobs_task is not None:
                self._jobs_task.cancel()

    def _start_jobs(self) -> None:
        """Run the periodic jobs that are due, beside the deliveries (a slow scan holds up no chat)."""
        if self.periodic.jobs and (self._jobs_task is None or self._jobs_task.done()):
            self._jobs_task = asyncio.create_task(self._run_jobs(), name="outbox-periodic")

    async def _run_jobs(self) -> None:
        if await self.periodic.run_due(self.clock()):
            self._wake.set()  # a job queued rows (a reminder): deliver them now

    def _delivered(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wake.set()  # its lane's next row may be due now

    async def drain(self) -> int:
        """Run every periodic job once, then deliver everything due, pass after pass; returns the rows handled."""
        await self.periodic.run_due(self.clock(), all_now=True)
        total = 0
        while busy := await self.drain_once():
            total += busy
        return total

    async def drain_once(self) -> int:
        """One pass: claim due lane heads (one per lane) and deliver them side by side; returns how many."""
        kinds = await asyncio.to_thread(self._kinds)
        claimed = await asyncio.to_thread(self._claim, kinds, self.policy.batch)
        if claimed:
            await asyncio.gather(*(self._deliver(row) for row in claimed))
        return len(claimed)

    # one row ---------------------------------------------------------------------------------------------

    def _kinds(self) -> list[str]:
        """The kinds this process may deliver now (a role's kinds only while it holds the role)."""
        return [kind for kind, handler in self.registry
                if handler.role is None or self.roles is None or self.roles.holds(handler.role)]

    def _claim(self, kinds: list[str], limit: int) -> list[Claimed]:
        with translate_errors(), self.sessions() as session, session.begin():
            return claim_due(session, kinds=kinds, now=self.clock(), lease_s=self.policy.lease_s, limit=limit)

    async def _deliver(self, row: Claimed) -> None:
        handler = self.registry.get(row.kind)
        assert handler is not None  # only registered kinds are claimed
        result = await self._attempt(handler, row)
        for delay in (*FINISH_RETRY_DELAYS_S, None):
            try:
                await asyncio.to_thread(self._finish, handler, row, result)
                return
            except Exception as err:
                if delay is None:  # the lease expires and the row is delivered again: at least once
                    log.error("outbox row %s: could not record %s (%s)", row.id, result.state, type(err).__name__)
                    return
                await asyncio.sleep(delay)

    async def _attempt(self, handler: Handler, row: Claimed) -> Result:
        try:
            await handler.deliver(row.payload)
        except RetryableDelivery as err:
            if row.attempts >= self.policy.max_attempts:
                return Result("dead", f"{err} (gave up after {row.attempts} attempts)")
            wait = retry_delay_s(row.attempts, base_s=self.policy.backoff_base_s, cap_s=self.policy.backoff_cap_s,
                                 rng=self.rng, retry_after_s=err.retry_after_s)
            return Result("retry", str(err), self.clock() + timedelta(seconds=wait))
        except PermanentDelivery as err:
            return Result("dead", str(err))
        except Exception as err:  # a handler bug must not lose the row: retried, then dead like any failure
            log.exception("outbox handler for %s failed unexpectedly on row %s", row.kind, row.id)
            if row.attempts >= self.policy.max_attempts:
                return Result("dead", f"unexpected {type(err).__name__}")
            wait = retry_delay_s(row.attempts, base_s=self.policy.backoff_base_s, cap_s=self.policy.backoff_cap_s,
                                 rng=self.rng)
            return Result("retry", f"unexpected {type(err).__name__}", self.clock() + timedelta(seconds=wait))
        return Result("done")

    def _finish(self, handler: Handler, row: Claimed, result: Result) -> None:
        with translate_errors(), self.sessions() as session, session.begin():
            if result.state == "done":
                mark_done(session, row.id, self.clock())
            elif result.state == "retry":
                assert result.retry_at is not None
                schedule_retry(session, row.id, result.retry_at, result.reason or "")
                self.retries += 1
                log.warning("outbox row %s (%s, lane %s) attempt %d failed: %s; next at %s", row.id, row.kind,
                            row.lane, row.attempts, result.reason, f"{result.retry_at:%H:%M:%S}")
            elif mark_dead(session, row.id, result.reason or ""):
                self.dead += 1
                log.error("outbox row %s (%s, lane %s) is dead after %d attempts: %s", row.id, row.kind, row.lane,
                          row.attempts, result.reason)
                if handler.on_dead is not None:
                    handler.on_dead(session, row.payload)
