"""`run_bot.py web` as one server: the Telegram webhook, the back-office API, /healthz, the web chat and the
console on one port, with the outbox worker in the process (the real python-telegram-bot against the fake Bot
API); and `run_bot.py agents add`."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from sqlalchemy.exc import OperationalError

from bot.app import App
from bot.channels.web.server import serve
from bot.cli import main
from bot.storage import repo
from bot.support.accounts import Accounts, LoginPolicy, add_account
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import FAST_OUTBOX, SUPPORT
from tests.web_harness import PASSWORD, WEB_SETTINGS, serving

HOOK_SECRET = "web-hook-secret-0123456789"
BACKOFFICE = "backoffice-token-0123456789abcdef"
SHOPPER = 555001
HTTP_OK, HTTP_UNAUTHORIZED, HTTP_FORBIDDEN, HTTP_UNAVAILABLE = 200, 401, 403, 503


def _update(update_id: int, text: str) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "text": text,
                                                "chat": {"id": SHOPPER, "type": "private"},
                                                "from": {"id": SHOPPER, "is_bot": False, "first_name": "Sam"}}}


async def _until_up(http: aiohttp.ClientSession, base: str) -> None:
    for _ in range(200):
        try:
            async with http.get(f"{base}/healthz") as response:
                if response.status == HTTP_OK:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the web server did not come up")


async def test_one_server_hosts_the_webhook_the_backoffice_api_health_chat_and_console(
        make_app: Callable[..., App], sqlite_url: str, fake: FakeTelegram, unused_tcp_port: int) -> None:
    fake.admins = [777]
    app = make_app(sqlite_url, telegram_bot_token=fake.token, telegram_api_base_url=fake.base_url,
                   telegram_webhook_secret=HOOK_SECRET, backoffice_token=BACKOFFICE, support_chat_id=SUPPORT,
                   **FAST_OUTBOX, **WEB_SETTINGS)
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, "127.0.0.1", unused_tcp_port, stop=stop,
                                       webhook_url="https://bot.example/hooks/tg-7f3k"))
    base = f"http://127.0.0.1:{unused_tcp_port}"
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await _until_up(http, base)
            assert fake.webhook["url"] == "https://bot.example/hooks/tg-7f3k", "registered with Telegram"
            assert fake.webhook["secret_token"] == HOOK_SECRET
            hook = {"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET, "Content-Type": "application/json"}
            async with http.post(f"{base}/tg-7f3k", data=json.dumps(_update(1, "hi")), headers=hook) as response:
                assert response.status == HTTP_OK
            greeting = await fake.wait_for(SHOPPER, "assistant")
            assert "trade-in" in greeting, "the turn ran and the worker in this process sent the reply"
            wrong = {**hook, "X-Telegram-Bot-Api-Secret-Token": "not-the-secret"}
            async with http.post(f"{base}/tg-7f3k", data=json.dumps(_update(2, "hi")), headers=wrong) as response:
                assert response.status == HTTP_FORBIDDEN
            async with http.post(f"{base}/api/bookings/B-NONE0000/status", json={}) as response:
                assert response.status == HTTP_UNAUTHORIZED, "the back office's route, with its own token check"
            async with http.get(f"{base}/chat") as response:
                assert response.status == HTTP_OK and "Chat with us" in await response.text()
            async with http.get(f"{base}/console", allow_redirects=False) as response:
                assert response.headers["Location"] == "/login?next=/console"

            async with http.post(f"{base}/tg-7f3k", data=json.dumps(_update(3, "talk to a human")),
                                 headers=hook) as response:
                assert response.status == HTTP_OK
            await fake.wait_for(SHOPPER, "support team")
            ticket_id = _tickets(app)[0]
            add_account(app.sessions, "alice", "agent", PASSWORD)
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as agent:
                await _login(agent, base, "alice")
                page = await (await agent.get(f"{base}/console/tickets/{ticket_id}")).text()
                csrf = page.split('name="csrf" value="')[1].split('"')[0]
                async with agent.post(f"{base}/console/tickets/{ticket_id}/reply",
                                      data={"csrf": csrf, "text": "Hi Sam, Alice here."}) as response:
                    assert response.status == HTTP_OK
            reply = await fake.wait_for(SHOPPER, "Alice here")
            assert "alice" in reply and "Hi Sam, Alice here." in reply, "the console's reply reached Telegram"
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)


def _tickets(app: App) -> list[str]:
    with app.sessions() as session:
        return [t.id for t in repo.list_tickets(session)]


async def _login(http: aiohttp.ClientSession, base: str, name: str) -> None:
    page = await (await http.get(f"{base}/login")).text()
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    async with http.post(f"{base}/login", data={"csrf": csrf, "name": name, "password": PASSWORD},
                         allow_redirects=False) as response:
        assert response.status == 303


async def test_healthz_touches_the_database(make_app: Callable[..., App], sqlite_url: str) -> None:
    app = make_app(sqlite_url, **WEB_SETTINGS)
    async with serving(app) as web:
        browser = await web.client()
        ok = await browser.http.get("/healthz")
        assert ok.status == HTTP_OK and await ok.text() == "ok"
        root = await browser.http.get("/", allow_redirects=False)
        assert root.status == 302 and root.headers["Location"] == "/chat", "the bare address opens the chat"
        healthy = app.engine.sessions

        def broken() -> Any:
            raise OperationalError("SELECT 1", {}, Exception("database is gone"))

        app.engine.sessions = broken  # type: ignore[assignment]
        try:
            down = await browser.http.get("/healthz")
        finally:
            app.engine.sessions = healthy
        assert down.status == HTTP_UNAVAILABLE


def test_agents_add_reads_the_password_from_stdin(sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str], make_app: Callable[..., App]) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["agents", "add", "alice", "--role", "admin", "--password-stdin"]) == 0
    assert "account alice (admin) created" in capsys.readouterr().out
    app = make_app(sqlite_url)
    accounts = Accounts(app.sessions, LoginPolicy(), b"k" * 32)
    result = accounts.login("Alice", PASSWORD, "127.0.0.1")
    assert result.account is not None and result.account.is_admin, "the name matches whatever its case"
    assert accounts.login("alice", PASSWORD + "x", "127.0.0.1").account is None

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["agents", "add", "ALICE", "--password-stdin"]) == 2, "the name is taken"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["agents", "add", "bob", "--password-stdin"]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    assert main(["agents", "list"]) == 0
    assert capsys.readouterr().out.split() == ["alice", "admin"]
