"""Alembic environment: the connection handed over by bot.storage.migrate, or (the `alembic` CLI) the bot's settings."""

from alembic import context

from bot.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is not None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:  # `alembic current`, `alembic upgrade head` from the project root: DATABASE_URL as the bot reads it
    from bot.settings import load_settings
    from bot.storage.db import make_engine, unbounded
    from bot.storage.migrate import lock_migrations

    engine = make_engine(load_settings().resolved_database_url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction(), unbounded(connection):
            lock_migrations(connection)
            context.run_migrations()
    engine.dispose()
