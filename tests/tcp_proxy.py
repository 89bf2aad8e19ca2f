"""A loopback TCP proxy that can be cut and restored, to make a server unavailable for a while."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import pytest

from tests.conftest import _postgres_url


class TcpProxy:
    """Forwards 127.0.0.1:port to a target; `cut()` drops every connection and refuses new ones."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.up = True
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    def cut(self) -> None:
        """The server becomes unreachable."""
        def close_all() -> None:
            self.up = False
            for w in list(self._writers):
                w.close()
            self._writers.clear()
        self._loop.call_soon_threadsafe(close_all)

    def restore(self) -> None:
        """The server is back."""
        self._loop.call_soon_threadsafe(lambda: setattr(self, "up", True))

    @contextmanager
    def running(self) -> Iterator[TcpProxy]:
        ready = threading.Event()

        async def start() -> None:
            server = await asyncio.start_server(self._client, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()

        thread = threading.Thread(target=lambda: (self._loop.run_until_complete(start()), self._loop.run_forever()),
                                  daemon=True)
        thread.start()
        ready.wait(10)
        try:
            yield self
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            thread.join(5)


P = TypeVar("P", bound=TcpProxy)


@contextmanager
def postgres_behind(proxy: P) -> Iterator[tuple[str, P]]:
    """A fresh PostgreSQL database reached through `proxy` (skips the test when PostgreSQL is not there)."""
    databases = _postgres_url()
    url = next(databases)
    if url is None:
        pytest.skip("PostgreSQL not reachable")
    with proxy.running():
        yield url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"), proxy
    next(databases, None)
