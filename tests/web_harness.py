"""The web server under test: the real aiohttp app on a loopback TestServer, clients with their own cookies."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import App
from bot.channels.web.hub import Hub
from bot.channels.web.outbound import WebSender
from bot.channels.web.server import build_web_app, make_deps
from bot.delivery.registry import Registry
from bot.delivery.worker import DeliveryPolicy, OutboxWorker
from bot.storage.models import OutboxRow
from bot.support.accounts import add_account

WEB_SECRET = "test-web-secret-0123456789abcdef0123456789"
WEB_SETTINGS = {"web_secret_key": WEB_SECRET, "web_login_max_failures": 3, "web_login_max_failures_per_address": 6,
                "web_inbox_poll_s": 0.2, "web_events_heartbeat_s": 1.0}
PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_DATA_CSRF = re.compile(r'data-csrf="([^"]+)"')
_AFTER = re.compile(r'data-after="(\d+)"')


class WebTest:
    """One server; `client()` makes a browser of its own (cookies); the outbox is drained by hand."""

    def __init__(self, app: App, server: TestServer, worker: OutboxWorker) -> None:
        self.app, self.server, self.worker = app, server, worker
        self._clients: list[TestClient[Any, Any]] = []

    async def client(self) -> Browser:
        """A new browser (its own cookie jar) on the server."""
        client: TestClient[Any, Any] = TestClient(self.server)
        await client.start_server()
        self._clients.append(client)
        return Browser(self, client)

    async def close(self) -> None:
        """Close every browser."""
        for client in self._clients:
            await client.close()

    async def deliver(self) -> int:
        """Run the outbox worker over every due row (web.message rows reach the open pages)."""
        return await self.worker.drain()

    def rows(self, *, kind: str | None = None, lane: str | None = None) -> list[dict[str, Any]]:
        """Outbox rows (oldest first) as kind, lane, state and payload."""
        with self.app.sessions() as session:
            stmt = select(OutboxRow).order_by(OutboxRow.id)
            if kind is not None:
                stmt = stmt.where(OutboxRow.kind == kind)
            if lane is not None:
                stmt = stmt.where(OutboxRow.lane == lane)
            return [{"kind": r.kind, "lane": r.lane, "state": r.state, **json.loads(r.payload)}
                    for r in session.execute(stmt).scalars()]

    def agent(self, name: str, role: str = "agent") -> str:
        """Create a console account; returns its name."""
        add_account(self.app.sessions, name, role, PASSWORD)
        return name


class Browser:
    """A shopper's or an agent's browser."""

    def __init__(self, web: WebTest, client: TestClient[Any, Any]) -> None:
        self.web, self.http = web, client
        self.csrf = ""
        self.after = "0"

    def cookie(self, name: str) -> str | None:
        """A cookie's value in this browser's jar."""
        for cookie in self.http.session.cookie_jar:
            if cookie.key == name:
                return cookie.value
        return None

    # shoppers ---------------------------------------------------------------------------------------------

    async def open_chat(self) -> str:
        """GET /chat; remembers the page's CSRF token and event position; returns the page."""
        response = await self.http.get("/chat")
        assert response.status == 200, response.status
        page = await response.text()
        self.csrf = _DATA_CSRF.search(page).group(1)  # type: ignore[union-attr]
        self.after = _AFTER.search(page).group(1)  # type: ignore[union-attr]
        return page

    async def post_chat(self, *, text: str | None = None, button: str | None = None, csrf: str | None = None,
                        nonce: str | None = None) -> ClientResponse:
        """POST /chat/messages as the page's script does."""
        data = {"text": text or "", "button": button or ""}
        if nonce:
            data["nonce"] = nonce
        headers = {"X-Requested-With": "fetch", "X-CSRF-Token": self.csrf if csrf is None else csrf}
        return await self.http.post("/chat/messages", data=data, headers=headers)

    async def say(self, text: str | None = None, *, button: str | None = None) -> None:
        """Send a message (or press), then let the outbox deliver the replies."""
        response = await self.post_chat(text=text, button=button)
        assert response.status == 200, (response.status, await response.text())
        await self.web.deliver()

    # agents -----------------------------------------------------------------------------------------------

    async def login(self, name: str, password: str = "", *, csrf: str | None = None) -> ClientResponse:
        """The login form filled in and sent (no redirect followed)."""
        page = await (await self.http.get("/login")).text()
        token = _CSRF.search(page).group(1) if csrf is None else csrf  # type: ignore[union-attr]
        return await self.http.post("/login", data={"name": name, "password": password or PASSWORD,
                                                    "csrf": token, "next": "/console"}, allow_redirects=False)

    async def page(self, path: str) -> tuple[int, str]:
        """GET a page (no redirect followed); keeps its CSRF token."""
        response = await self.http.get(path, allow_redirects=False)
        text = await response.text()
        found = _CSRF.search(text)
        if found:
            self.csrf = found.group(1)
        return response.status, text

    async def act(self, ticket_id: str, action: str, text: str = "", *, csrf: str | None = None) -> tuple[int, str]:
        """A console action on a ticket, as its form posts it; returns the status and the page shown after."""
        if not self.csrf:
            await self.page(f"/console/tickets/{ticket_id}")
        response = await self.http.post(f"/console/tickets/{ticket_id}/{action}", allow_redirects=False,
                                        data={"csrf": self.csrf if csrf is None else csrf, "text": text})
        await self.web.deliver()
        body = await response.text()
        if response.status == 303:  # done: the browser follows to the ticket page, which says so
            return await self.page(response.headers["Location"])
        return response.status, body


async def next_event(response: ClientResponse, timeout: float = 10.0) -> tuple[str, Any]:
    """The next server-sent event of a stream (keep-alive comments skipped): its name and data."""
    name, data = "message", ""
    async def read() -> tuple[str, Any]:
        nonlocal name, data
        while True:
            line = (await response.content.readline()).decode().rstrip("\n")
            if line.startswith(":"):
                continue
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
            elif line == "" and data:
                return name, json.loads(data)
    return await asyncio.wait_for(read(), timeout)


@asynccontextmanager
async def serving(app: App) -> AsyncIterator[WebTest]:
    """The web app of `run_bot.py web` over `app`, with web.message delivered by a worker drained by hand."""
    hub, registry = Hub(), Registry()
    WebSender(hub).register(registry)
    worker = OutboxWorker(app.sessions, registry, DeliveryPolicy(backoff_base_s=0.01, poll_s=0.05))
    server = TestServer(build_web_app(make_deps(app, hub, worker.wake)))
    await server.start_server()
    web = WebTest(app, server, worker)
    try:
        yield web
    finally:
        await web.close()
        await server.close()
