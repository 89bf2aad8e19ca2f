"""What operators see and do with the outbox (`run_bot.py outbox`): rows without their payloads, reviving the dead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from bot.delivery.enqueue import DEAD, PENDING
from bot.storage.models import OutboxRow, utcnow


@dataclass(frozen=True)
class RowSummary:
    """An outbox row as listed: never the payload (it holds what shoppers said and were told)."""

    id: int
    kind: str
    lane: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime


def list_rows(session: Session, *, state: str = PENDING, limit: int = 200) -> list[RowSummary]:
    """Rows in one state, oldest first."""
    rows = session.execute(select(OutboxRow).where(OutboxRow.state == state).order_by(OutboxRow.id).limit(limit))
    return [RowSummary(r.id, r.kind, r.lane, r.state, r.attempts, r.next_attempt_at, r.last_error, r.created_at)
            for r in rows.scalars()]


def revive(session: Session, row_id: int) -> bool:
    """Put a dead row back to pending, due now, with fresh attempts; False if there is no such dead row."""
    done = session.execute(update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.state == DEAD)
                           .values(state=PENDING, attempts=0, next_attempt_at=utcnow(), lease_until=None))
    return isinstance(done, CursorResult) and done.rowcount == 1
