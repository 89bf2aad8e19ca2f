"""Faults: the database away for a few seconds; nothing is lost once it is back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.storage.models import ProcessedEvent
from tests.conftest import ChatHarness, _postgres_url
from tests.tcp_proxy import TcpProxy


@pytest.fixture
def pg_behind_proxy() -> Iterator[tuple[str, TcpProxy]]:
    gen = _postgres_url()
    url = next(gen)
    if url is None:
        pytest.skip("PostgreSQL not reachable")
    with TcpProxy(5432).running() as proxy:
        yield url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"), proxy
    next(gen, None)


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
