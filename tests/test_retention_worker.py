"""The outbox worker's retention purge: messages past RETENTION_DAYS and processed-update keys past 30 days go."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import func, select

from bot.app import App, drain_outbox
from bot.settings import load_settings
from bot.storage.models import Message, ProcessedEvent
from tests.conftest import ChatHarness, Clock


def counts(app: App) -> tuple[int, int]:
    with app.sessions() as session:
        return (int(session.execute(select(func.count()).select_from(Message)).scalar_one()),
                int(session.execute(select(func.count()).select_from(ProcessedEvent)).scalar_one()))


def test_the_worker_purges_old_messages_and_update_keys(make_app: Callable[..., App], sqlite_url: str,
                                                       clock: Clock) -> None:
    app = make_app(sqlite_url)
    chat = ChatHarness(app)
    chat.say("hi")
    chat.say("what does refurbished mean")
    messages, keys = counts(app)
    assert messages > 0 and keys == 2
    settings = load_settings(database_url=str(app.settings.database_url), index_dir=app.settings.index_dir)
    clock.advance(days=40)  # past the keys' 30 days, well within the messages' 365
    asyncio.run(drain_outbox(settings, clock=clock))
    assert counts(app) == (messages, 0)
    clock.advance(days=400)
    asyncio.run(drain_outbox(settings, clock=clock))
    assert counts(app) == (0, 0)
