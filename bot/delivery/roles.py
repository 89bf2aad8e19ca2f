"""Roles only one process may hold at a time, such as sending over Telegram.

Telegram's limits (about 30 messages a second overall, 1 a second per chat, 20 a minute per group) are
for the bot as a whole, and the token buckets that keep them live in one process's memory. So with several
worker processes on PostgreSQL, only the process holding the role's session-level advisory lock
(`pg_try_advisory_lock`, on a connection kept open for the purpose) delivers that role's kinds; the others
deliver only the other kinds and try for the role again every OUTBOX_ROLE_CHECK_S, so a successor takes
over within seconds when the holder dies (its connection closes and PostgreSQL releases the lock). On
SQLite there is one process, which always holds every role.
"""

from __future__ import annotations

import hashlib
import logging
import time

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)
KEY_BYTES = 8  # advisory lock keys are signed 64-bit integers


def role_key(name: str) -> int:
    """The advisory lock key of a role (stable across processes and releases)."""
    digest = hashlib.sha256(f"refurbot:role:{name}".encode()).digest()
    return int.from_bytes(digest[:KEY_BYTES], "big", signed=True)


class Roles:
    """The roles this process holds; asks PostgreSQL at most every `check_s` (calls block: run them in a thread)."""

    def __init__(self, db: Engine, *, check_s: float) -> None:
        self.db = db
        self.check_s = check_s
        self.shared = db.dialect.name == "postgresql"  # several processes can share the database
        self._held: dict[str, Connection] = {}
        self._checked: dict[str, float] = {}

    def holds(self, name: str) -> bool:
        """Whether this process may deliver the kinds of role `name` now."""
        if not self.shared:
            return True
        now = time.monotonic()
        if now - self._checked.get(name, float("-inf")) < self.check_s:
            return name in self._held
        self._checked[name] = now
        held = self._held.get(name)
        if held is not None:
            try:  # still ours while the connection that took the lock lives
                held.execute(text("SELECT 1"))
                held.commit()
                return True
            except Exception as err:
                log.warning("lost the %s role (its connection failed: %s)", name, type(err).__name__)
                self._drop(name)
        return self._try(name)

    def _try(self, name: str) -> bool:
        try:
            connection = self.db.connect()
        except Exception as err:
            log.warning("could not try for the %s role: %s", name, type(err).__name__)
            return False
        try:
            got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                          {"key": role_key(name)}).scalar())
            connection.commit()  # end the transaction; the session-level lock stays with the connection
        except Exception as err:
            log.warning("could not try for the %s role: %s", name, type(err).__name__)
            connection.close()
            return False
        if not got:
            connection.close()
            return False
        log.info("this process holds the %s role", name)
        self._held[name] = connection
        return True

    def _drop(self, name: str) -> None:
        connection = self._held.pop(name, None)
        if connection is not None:
            try:
                connection.invalidate()  # never back to the pool with a lock (or a broken socket) on it
            except Exception as err:
                log.debug("closing a role connection failed: %s", type(err).__name__)

    def release(self) -> None:
        """Give every role up (on a clean stop, so a successor need not wait for our connection to die)."""
        for name, connection in list(self._held.items()):
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": role_key(name)})
                connection.commit()
            except Exception as err:
                log.debug("releasing the %s role failed: %s", name, type(err).__name__)
            self._drop(name)
