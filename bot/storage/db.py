"""The database engine factory: SQLite (WAL, write-locking transactions) or PostgreSQL."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg.abc import PQGen
from psycopg.errors import _WaitTimeout  # what psycopg raises when a bounded wait expires
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import ConfigError, DatabaseReadOnly, DatabaseUnavailable, StorageError

RV = TypeVar("RV")
POSTGRES = "postgresql+psycopg://"
ANSWER_GRACE_S = 2.0  # beyond the statement timeout: a server that has not answered by then is gone
WAIT_INTERVAL_S = 0.1  # psycopg's own polling interval while it waits for the server


@dataclass(frozen=True)
class PgTimeouts:
    """How long PostgreSQL may keep us waiting (the defaults of the DB_* settings)."""

    connect_s: int = 5
    statement_ms: int = 5000
    keepalives_idle_s: int = 10
    keepalives_interval_s: int = 3
    keepalives_count: int = 3

    @property
    def answer_s(self) -> float:
        """The longest wait for any answer of the server: the statement timeout plus a grace."""
        return self.statement_ms / 1000 + ANSWER_GRACE_S

    def connect_args(self) -> dict[str, Any]:
        """libpq parameters: connect timeout, server-side statement timeout, TCP keepalives and user timeout."""
        return {"connect_timeout": self.connect_s, "options": f"-c statement_timeout={self.statement_ms}",
                "keepalives": 1, "keepalives_idle": self.keepalives_idle_s,
                "keepalives_interval": self.keepalives_interval_s, "keepalives_count": self.keepalives_count,
                "tcp_user_timeout": int(self.answer_s * 1000)}


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection that stops waiting for a server that stopped answering (a black hole, a partition)."""

    answer_s: float | None = None

    def wait(self, gen: PQGen[RV], interval: float = WAIT_INTERVAL_S, timeout: float | None = None) -> RV:
        """Wait for the server at most answer_s; then close, so the pool drops the connection, and fail."""
        try:
            return super().wait(gen, interval, self.answer_s if timeout is None else timeout)
        except _WaitTimeout as err:
            self.close()
            raise psycopg.OperationalError(f"no answer from the database server within {self.answer_s} s") from err


def make_engine(url: str, timeouts: PgTimeouts | None = None) -> Engine:
    """Create an engine; SQLite files get WAL and write-locking transactions, PostgreSQL bounded waits."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        _check_sqlite_file(path)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "connect", lambda _conn, record: record.info.update(inode=_inode(path)))
        event.listen(engine, "begin", lambda conn: _begin_immediate(conn, path))
        return engine
    if not url.startswith(POSTGRES):
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    bounds = timeouts or PgTimeouts()
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=bounds.connect_args())

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> BoundedConnection:
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.answer_s = bounds.answer_s
        return connection

    return engine


@contextmanager
def unbounded(connection: Connection) -> Iterator[None]:
    """Lift the statement timeout and the answer bound for this transaction (migrations may legitimately take long)."""
    dbapi = connection.connection.dbapi_connection
    if not isinstance(dbapi, BoundedConnection):
        yield
        return
    connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
    bound, dbapi.answer_s = dbapi.answer_s, None
    try:
        yield
    finally:
        dbapi.answer_s = bound


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def _begin_immediate(conn: Connection, path: Path) -> None:
    """BEGIN IMMEDIATE serialises writers across processes; first make sure the file is still the one we opened."""
    if _inode(path) != conn.info.get("inode"):
        # SQLite would go on writing into the deleted (or replaced) file: everything said from now on would be lost.
        raise ConfigError(f"the database file {path} was deleted or replaced while the bot was running: "
                          "restore it and restart (a restart without it starts an empty database)")
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _check_sqlite_file(path: Path) -> None:
    """Refuse a read-only database file up front rather than failing mid-conversation."""
    if path.exists():
        if not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            raise DatabaseReadOnly(f"database file {path} is read-only: make it writable (chmod u+w {path})")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if not os.access(path.parent, os.W_OK):
        raise DatabaseReadOnly(f"cannot create database file {path}: its folder is not writable")


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # let the "begin" listener issue BEGIN IMMEDIATE itself
    cursor = dbapi_conn.cursor()
    for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn driver errors into our StorageError tree."""
    try:
        yield
    except OperationalError as err:
        text = str(err.orig).lower()
        if "readonly" in text or "read-only" in text or "read only" in text:
            raise DatabaseReadOnly("the database refuses writes (read-only)") from err
        if "locked" in text:
            raise StorageError("the database stayed locked for too long") from err
        raise DatabaseUnavailable(f"the database cannot be reached: {type(err.orig).__name__}") from err
