"""Apply the Alembic migrations programmatically (on start, in tests, from the CLI)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

from bot.storage.db import unbounded

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The one advisory lock key of migrations ("Refurbot" in ASCII): workers starting together upgrade one at a time.
MIGRATION_LOCK_KEY = 0x5265667572626F74


def alembic_config() -> Config:
    """An Alembic config pointing at our migrations folder."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def lock_migrations(connection: Connection) -> None:
    """On PostgreSQL, wait for the migration lock; it is held until this transaction ends (nothing on SQLite)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def upgrade_to_head(engine: Engine) -> None:
    """Bring the database schema up to the newest migration, one process at a time."""
    config = alembic_config()
    with engine.connect() as connection, connection.begin(), unbounded(connection):
        lock_migrations(connection)  # the next worker finds the schema current once it gets the lock
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
