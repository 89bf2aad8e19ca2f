"""Write an outbox row in the caller's transaction; the same idempotency key twice is one row."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.storage.models import OutboxRow, utcnow

PENDING, DONE, DEAD = "pending", "done", "dead"


def enqueue(session: Session, kind: str, idempotency_key: str, lane: str, payload: Mapping[str, Any], *,
            now: datetime | None = None) -> None:
    """Add a row to deliver, due at `now` (the caller's clock; no commit: it goes out only if the caller's
    transaction commits)."""
    now = now or utcnow()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(OutboxRow).values(
        kind=kind, idempotency_key=idempotency_key, lane=lane, payload=json.dumps(payload, ensure_ascii=False),
        state=PENDING, attempts=0, next_attempt_at=now, created_at=now,
    ).on_conflict_do_nothing(index_elements=["idempotency_key"]))
