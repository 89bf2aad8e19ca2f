"""Faults: the database away for a few seconds; nothing is lost once it is back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.storage.models import ProcessedEvent
from tests.conftest import ChatHarness
from tests.tcp_proxy import TcpProxy, postgres_behind


@pytest.fixture
def pg_behind_proxy() -> Iterator[tuple[str, TcpProxy]]:
    with postgres_behind(TcpProxy(5432)) as reached:
        yield reached


@pytest.mark.postgres
def test_short_outage_is_retried_transparently(make_app: Callable[..., App],
                                               pg_behind_proxy: tuple[str, TcpProxy]) -> None:
    url, proxy = pg_behind_proxy
    chat = ChatHarness(make_app(url))
    chat.say("sell my iphone 13 128gb")
    proxy.cut()
    threading.Timer(1.0, proxy.restore).start()
    started = time.perf_counter()
    outcome = chat.say("unlocked")
    assert outcome.stored and outcome.slots["carrier"] == "unlocked"
    assert time.perf_counter() - started >= 0.9


@pytest.mark.postgres
def test_long_outage_gets_an_apology_and_the_message_is_processed_when_back(
        make_app: Callable[..., App], pg_behind_proxy: tuple[str, TcpProxy]) -> None:
    url, proxy = pg_behind_proxy
    app = make_app(url)
    chat = ChatHarness(app)
    chat.say("sell my iphone 13 128gb")
    proxy.cut()
    apology = chat.say("verizon", message_id="update-7")
    assert not apology.stored and "can't save" in ChatHarness.text_of(apology)
    proxy.restore()
    again = chat.say("verizon", message_id="update-7")  # Telegram redelivers what was not acknowledged
    assert again.stored and not again.duplicate and again.slots["carrier"] == "verizon"
    with app.sessions() as session:
        count = session.execute(select(func.count()).select_from(ProcessedEvent)
                                .where(ProcessedEvent.event_id == "update-7")).scalar_one()
    assert count == 1


@pytest.mark.postgres
async def test_polling_bot_retries_an_update_the_database_missed(
        make_app: Callable[..., App], pg_behind_proxy: tuple[str, TcpProxy], fake: Any) -> None:
    from bot.channels.telegram.channel import TelegramChannel
    from bot.channels.telegram.limits import TelegramLimits
    from bot.settings import load_settings
    from bot.support.desk import SupportDesk

    url, proxy = pg_behind_proxy
    app = make_app(url)
    settings = load_settings(database_url=url, index_dir=app.settings.index_dir, telegram_bot_token=fake.token,
                             telegram_api_base_url=fake.base_url)
    channel = TelegramChannel(settings, app.engine, SupportDesk(app.sessions), limits=TelegramLimits(per_chat_rate=50))
    channel.retry_delay_s = 0.5
    await channel.start_polling()
    try:
        proxy.cut()
        fake.user_says(4242, "hi")
        await fake.wait_for(4242, "can't save", timeout=15)
        proxy.restore()
        await fake.wait_for(4242, "I'm the Loop Market assistant", timeout=15)
        assert sum("assistant" in t for t in fake.texts_to(4242)) == 1
    finally:
        await channel.stop()
