"""Shared fixtures: settings on a temporary database, the test index, the app, and a chat harness."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.app import App, build_app, ensure_index
from bot.domain import IncomingMessage, Outcome
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.shop import load_shop
from tests.fake_openai import FakeOpenAI
from tests.fake_telegram import FakeTelegram

TEST_INDEX = PROJECT_ROOT / "var" / "test-index"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class Clock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday, 10 am Eastern

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def test_index() -> Path:
    """The knowledge index for tests, built once and kept current incrementally."""
    settings = load_settings(index_dir=TEST_INDEX)
    ensure_index(settings, load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir)))
    return TEST_INDEX


def _postgres_url() -> Iterator[str | None]:
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as err:
        if os.environ.get("REFURBOT_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here but not reachable: {err}")
        warnings.warn("PostgreSQL not reachable on 127.0.0.1:5432: SKIPPING the PostgreSQL leg", stacklevel=1)
        yield None
        return
    name = f"refurbot_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}"
        return
    gen = _postgres_url()
    url = next(gen)
    if url is None:
        pytest.skip("PostgreSQL not reachable")
    yield url
    next(gen, None)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database (for tests that are about behaviour, not the backend)."""
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """A local fake Telegram Bot API server on 127.0.0.1."""
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_app(test_index: Path, clock: Clock) -> Iterator[Callable[..., App]]:
    """Build apps on a given database; all are closed at the end."""
    apps: list[App] = []

    def factory(database_url: str, *, staffed: bool = True, **overrides: Any) -> App:
        settings: Settings = load_settings(database_url=database_url, index_dir=test_index, **overrides)
        app = build_app(settings, clock=clock, auto_index=False, staffed=staffed)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.close()


class ChatHarness:
    """Say a line, press a button, read the outcome: conversations as tests."""

    def __init__(self, app: App, user: str = "shopper-1", channel: str = "test") -> None:
        self.app, self.user, self.channel = app, user, channel
        self.counter = 0
        self.last: Outcome | None = None

    def _send(self, *, text: str | None = None, payload: str | None = None, message_id: str | None = None) -> Outcome:
        self.counter += 1
        msg = IncomingMessage(channel=self.channel, user_id=self.user, chat_id=self.user,
                              message_id=message_id or f"{self.user}-{self.counter}-{uuid.uuid4().hex[:6]}",
                              text=text, button_payload=payload)
        self.last = self.app.engine.handle_sync(msg)
        return self.last

    def say(self, text: str, *, message_id: str | None = None) -> Outcome:
        return self._send(text=text, message_id=message_id)

    def press(self, payload: str) -> Outcome:
        return self._send(payload=payload)

    @staticmethod
    def text_of(outcome: Outcome) -> str:
        return "\n".join(r.text for r in outcome.replies)

    @staticmethod
    def labels(outcome: Outcome) -> list[str]:
        return [b.label for r in outcome.replies for b in r.buttons]


@pytest.fixture
def chat(make_app: Callable[..., App], sqlite_url: str) -> ChatHarness:
    """A chat with a bot on a fresh SQLite database."""
    return ChatHarness(make_app(sqlite_url))


@pytest.fixture
def stub() -> Iterator[FakeOpenAI]:
    """A local OpenAI-compatible server; its gate is opened at the end so no request hangs."""
    with FakeOpenAI().running() as server:
        yield server
        server.gate.set()


@pytest.fixture
def llm_app(make_app: Callable[..., App], sqlite_url: str, stub: FakeOpenAI) -> App:
    """A bot whose optional LLM is the local stub."""
    return make_app(sqlite_url, llm_provider="openai", openai_base_url=stub.base_url, llm_timeout_s=1.0)
