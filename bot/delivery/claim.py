"""Take due lane heads under a lease, and record how each delivery ended.

A lane's rows go out strictly in id order: a row is due only when no earlier row of its lane is still
pending (waiting, retrying or being delivered). Claiming is safe from several processes: on PostgreSQL the
candidates are locked with FOR UPDATE SKIP LOCKED (another worker skips them instead of waiting), and on
both backends the lease is taken by an UPDATE that only succeeds while the row is free (rowcount 1).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.delivery.enqueue import DEAD, DONE, PENDING
from bot.storage.models import OutboxRow

MAX_ERROR_CHARS = 500  # OutboxRow.last_error


@dataclass(frozen=True)
class Claimed:
    """A row this worker holds the lease of."""

    id: int
    kind: str
    lane: str
    payload: Mapping[str, Any]
    attempts: int  # including this one


def _free(now: datetime) -> Any:
    return or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now)


def claim_due(session: Session, *, kinds: Collection[str], now: datetime, lease_s: float,
              limit: int) -> list[Claimed]:
    """Lease up to `limit` due lane heads of these kinds (the caller commits)."""
    if not kinds:
        return []
    earlier = aliased(OutboxRow)
    waits = (select(earlier.id).where(earlier.lane == OutboxRow.lane, earlier.state == PENDING,
                                      earlier.id < OutboxRow.id).exists())
    stmt = (select(OutboxRow.id, OutboxRow.kind, OutboxRow.lane, OutboxRow.payload, OutboxRow.attempts)
            .where(OutboxRow.state == PENDING, OutboxRow.kind.in_(list(kinds)), OutboxRow.next_attempt_at <= now,
                   _free(now), ~waits)
            .order_by(OutboxRow.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=OutboxRow)
    lease = now + timedelta(seconds=lease_s)
    claimed: list[Claimed] = []
    for row_id, kind, lane, payload, attempts in session.execute(stmt).all():
        taken = session.execute(update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.state == PENDING, _free(now))
                                .values(lease_until=lease, attempts=OutboxRow.attempts + 1))
        if isinstance(taken, CursorResult) and taken.rowcount == 1:
            claimed.append(Claimed(int(row_id), str(kind), str(lane), json.loads(payload), int(attempts) + 1))
    return claimed


def mark_done(session: Session, row_id: int, now: datetime) -> None:
    """Delivered."""
    session.execute(update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.state == PENDING)
                    .values(state=DONE, delivered_at=now, lease_until=None, last_error=None))


def schedule_retry(session: Session, row_id: int, at: datetime, error: str) -> None:
    """Not delivered this time: try again at `at` (the lane waits meanwhile)."""
    session.execute(update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.state == PENDING)
                    .values(next_attempt_at=at, lease_until=None, last_error=error[:MAX_ERROR_CHARS]))


def mark_dead(session: Session, row_id: int, error: str) -> bool:
    """Never deliverable (or out of attempts); False if the row was not pending any more."""
    done = session.execute(update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.state == PENDING)
                           .values(state=DEAD, lease_until=None, last_error=error[:MAX_ERROR_CHARS]))
    return isinstance(done, CursorResult) and done.rowcount == 1
