"""The database engine factory: SQLite (WAL, write-locking transactions) or PostgreSQL."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import DatabaseReadOnly, DatabaseUnavailable, StorageError


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite files get WAL and transactions that take the write lock."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        _check_sqlite_file(path)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_on_connect)
        # BEGIN IMMEDIATE serialises writers across processes: one turn at a time holds the lock.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


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
