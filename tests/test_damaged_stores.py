"""Damaged storage on disk: a corrupt knowledge index is rebuilt at start, a vanished SQLite file stops the bot."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.errors import ConfigError
from bot.settings import load_settings
from tests.conftest import ChatHarness, Clock

GARBAGE = b"\x8f this is not an SQLite file \x00" * 4096


def test_a_corrupt_knowledge_index_is_rebuilt_at_start_with_one_warning(
        test_index: Path, tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(test_index, index_dir)
    (index_dir / "chroma" / "chroma.sqlite3").write_bytes(GARBAGE)
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'bot.db'}", index_dir=index_dir)
    with caplog.at_level(logging.WARNING):
        app = build_app(settings, clock=clock)
    try:
        outcome = ChatHarness(app).say("how long is the warranty?")
    finally:
        app.close()
    assert outcome.intent == "faq" and outcome.sources, ChatHarness.text_of(outcome)
    assert "12-month" in ChatHarness.text_of(outcome)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and "knowledge index" in r.getMessage()]
    assert len(warnings) == 1 and "rebuilding" in warnings[0].getMessage()
    assert "\n" not in warnings[0].getMessage() and warnings[0].exc_info is None


def test_a_sqlite_file_deleted_while_running_stops_the_bot_with_one_line(
        make_app: Callable[..., App], tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    chat = ChatHarness(make_app(f"sqlite:///{database}"))
    assert chat.say("sell my iphone 13 128gb").stored
    for path in tmp_path.glob("bot.db*"):
        path.unlink()
    with pytest.raises(ConfigError) as raised:
        chat.say("verizon")
    message = str(raised.value)
    assert str(database) in message and "deleted" in message and "\n" not in message
    assert not database.exists()  # nothing was quietly recreated either
