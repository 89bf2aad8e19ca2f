"""A PostgreSQL server that goes silent (a partition, not a refused connection) costs seconds, not a hang."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from bot.app import App
from bot.domain import Outcome
from tests.conftest import ChatHarness
from tests.tcp_proxy import TcpProxy, postgres_behind

HANG_S = 40.0  # without the timeouts the turn waits as long as TCP does (many minutes): this long means hung
ANSWER_BOUND_S = 15.0  # with them: one bounded wait, one bounded reconnect, the apology (about 5 s here)


class SilentProxy(TcpProxy):
    """A TcpProxy that can also go silent: connections stay open and nothing is forwarded, as in a partition."""

    def __init__(self, target_port: int) -> None:
        super().__init__(target_port)
        self.flowing = threading.Event()
        self.flowing.set()

    def silence(self) -> None:
        """Stop forwarding without closing anything."""
        self.flowing.clear()

    def restore(self) -> None:
        """Forward again, what was held first."""
        super().restore()
        self.flowing.set()

    async def _held(self) -> None:
        while not self.flowing.is_set():
            await asyncio.sleep(0.05)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                await self._held()
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._held()  # a new connection is accepted, then nothing: the connect timeout must fire
        await super()._client(reader, writer)


@pytest.fixture
def pg_behind_silent_proxy() -> Iterator[tuple[str, SilentProxy]]:
    with postgres_behind(SilentProxy(5432)) as (url, proxy):
        yield url, proxy
        proxy.restore()


@pytest.mark.postgres
def test_a_silent_database_gets_the_apology_within_seconds_then_the_turn_goes_through(
        make_app: Callable[..., App], pg_behind_silent_proxy: tuple[str, SilentProxy]) -> None:
    url, proxy = pg_behind_silent_proxy
    chat = ChatHarness(make_app(url, db_connect_timeout_s=2, db_statement_timeout_ms=1000))
    chat.say("sell my iphone 13 128gb")
    proxy.silence()
    result: dict[str, Outcome] = {}
    worker = threading.Thread(target=lambda: result.update(outcome=chat.say("verizon", message_id="update-9")),
                              daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(HANG_S)
    waited = time.monotonic() - started
    proxy.restore()  # lets a hung turn finish, so the test ends either way
    worker.join(HANG_S)
    assert waited < ANSWER_BOUND_S, f"the turn hung for {waited:.0f} s on a silent database"
    apology = result["outcome"]
    assert not apology.stored and "can't save" in ChatHarness.text_of(apology)
    again = chat.say("verizon", message_id="update-9")  # redelivered once the network is back
    assert again.stored and again.slots["carrier"] == "verizon"
