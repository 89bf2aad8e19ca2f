"""Jobs the outbox worker runs every so often besides delivering (reminder scans, the retention purge)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

log = logging.getLogger(__name__)

JobRun = Callable[[datetime], int]  # blocking (it runs in a thread); returns how many things it did


@dataclass(frozen=True)
class Periodic:
    """One job: its name (for logs), how often it runs, and what it runs (given the worker's clock's now)."""

    name: str
    every_s: float
    run: JobRun


class PeriodicJobs:
    """When each job last ran (monotonic time, this process); a job that fails is tried again next interval."""

    def __init__(self, jobs: Sequence[Periodic], *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.jobs = tuple(jobs)
        self._monotonic = monotonic
        self._last: dict[str, float] = {}

    async def run_due(self, now: datetime, *, all_now: bool = False) -> int:
        """Run the jobs whose interval has passed (every job with all_now); returns the total they did."""
        total = 0
        for job in self.jobs:
            started = self._monotonic()
            last = self._last.get(job.name)
            if not all_now and last is not None and started - last < job.every_s:
                continue
            self._last[job.name] = started
            try:
                done = await asyncio.to_thread(job.run, now)
            except Exception as err:  # the database is away, or a bug: the next interval tries again
                log.warning("periodic job %s failed: %s", job.name, type(err).__name__)
                continue
            if done:
                log.info("periodic job %s: %d done", job.name, done)
            total += done
        return total
