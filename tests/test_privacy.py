"""The shopper's data: /mydata shows it, /forget deletes it after an explicit yes, the CLI, retention, log masking."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App, open_database
from bot.domain import IncomingMessage, Outcome
from bot.engine.privacy import explicit_yes, keeps
from bot.log_masking import MaskPersonal, install_log_masking
from bot.settings import PROJECT_ROOT, load_settings
from bot.storage import repo
from bot.storage.models import Message, ProcessedEvent, QuoteRow, Ticket, User
from bot.storage.privacy import purge_expired
from tests.conftest import ChatHarness
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import polling

NAME, EMAIL = "Jane Doe", "jane.doe@example.com"
PHONE, IMEI = "(415) 555-0134", "356938035643809"
BOOKING = ("sell my iphone 13 128gb unlocked flawless, find my is off", "90%", "yes", EMAIL, "paypal")


class Shopper(ChatHarness):
    """The chat harness with a display name, as Telegram gives one."""

    def _send(self, *, text: str | None = None, payload: str | None = None, message_id: str | None = None) -> Outcome:
        self.counter += 1
        msg = IncomingMessage(channel=self.channel, user_id=self.user, chat_id=self.user,
                              message_id=message_id or f"{self.user}-{self.counter}-{uuid.uuid4().hex[:6]}",
                              text=text, button_payload=payload, display_name=NAME)
        self.last = self.app.engine.handle_sync(msg)
        return self.last


@pytest.fixture
def booked(make_app: Callable[..., App], sqlite_url: str) -> Shopper:
    """A shopper who booked a trade-in and gave their email."""
    shopper = Shopper(make_app(sqlite_url))
    for line in BOOKING:
        outcome = shopper.say(line)
    assert outcome.replies[0].response == "booked_unsent", ChatHarness.text_of(outcome)
    return shopper


def _count(app: App, model: type, *where: Any) -> int:
    with app.sessions() as session:
        return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def test_mydata_lists_the_name_email_and_quote(booked: Shopper) -> None:
    quote_id = booked.last.quote.quote_id if booked.last and booked.last.quote else ""
    kept = _count(booked.app, Message)
    shown = ChatHarness.text_of(booked.say("/mydata"))
    assert NAME in shown and EMAIL in shown
    assert quote_id and quote_id in shown and "iPhone 13 (128 GB)" in shown and "booked" in shown
    assert f"Messages kept: {kept + 1}" in shown  # both sides of the booking, and this /mydata


def test_mydata_midway_picks_the_question_up_again(make_app: Callable[..., App], sqlite_url: str) -> None:
    shopper = Shopper(make_app(sqlite_url))
    shopper.say("I want to sell my phone")
    shopper.say("galaxy s22 ultra")
    outcome = shopper.say("/mydata")
    assert "Device: Galaxy S22 Ultra" in ChatHarness.text_of(outcome)
    assert outcome.replies[-1].response == "resume_prefix" and "256 GB" in ChatHarness.labels(outcome)
    assert shopper.press("s:storage_gb=256").slots["storage_gb"] == 256  # the flow went on as before


def test_forget_asks_a_question_is_no_yes_and_yes_deletes(booked: Shopper) -> None:
    app = booked.app
    quote = booked.last.quote if booked.last else None
    assert quote is not None
    asked = booked.say("/forget")
    assert asked.replies[0].response == "forget_confirm"
    assert ChatHarness.labels(asked) == ["Yes, delete my data", "No, keep it"]
    explained = booked.say("wait, what does that delete?")
    assert explained.replies[0].response == "forget_explain"
    assert EMAIL in ChatHarness.text_of(booked.say("/mydata"))  # nothing deleted yet
    assert booked.say("ok").replies[0].response == "forget_explain"  # a mere ok does not delete either

    done = booked.say("yes")
    assert done.replies[0].response == "forget_done" and done.slots == {} and done.flow is None
    shown = ChatHarness.text_of(booked.say("/mydata"))
    assert NAME not in shown and EMAIL not in shown and quote.quote_id not in shown and "iPhone" not in shown

    with app.sessions() as session:
        user = session.execute(select(User)).scalar_one()
        texts = " ".join(session.execute(select(Message.text)).scalars())
        row = session.get(QuoteRow, quote.quote_id)
        outcomes = json.dumps(list(session.execute(select(ProcessedEvent.outcome)).scalars()))
    assert user.display_name is None
    assert EMAIL not in texts and "iphone 13" not in texts.casefold() and "90%" not in texts
    assert row is not None and row.conversation_id is None and row.email is None
    assert row.offer_usd == quote.offer_usd and row.status == "accepted"  # the figures stay for the books
    assert EMAIL not in outcomes and "iPhone 13" not in outcomes  # the keys stay, their replies and slots do not


def test_forget_by_button_closes_open_tickets_and_no_keeps_everything(make_app: Callable[..., App],
                                                                       sqlite_url: str) -> None:
    shopper = Shopper(make_app(sqlite_url))
    shopper.say("how much for my pixel 8 pro 256gb")
    ticket = shopper.say("i want to talk to a human").handoff
    assert ticket is not None
    shopper.say("/forget")
    assert shopper.press("p:forget=no").replies[0].response == "forget_kept"
    assert shopper.say("yes").replies[0].response != "forget_done"  # the question was answered: no yes pending
    assert _count(shopper.app, Message) > 0

    shopper.say("/forget")  # a person owns the conversation, and the shopper's data is still theirs to delete
    assert shopper.press("p:forget=yes").replies[0].response == "forget_done"
    with shopper.app.sessions() as session:
        row = session.get(Ticket, ticket.ticket_id)
    assert row is not None and (row.status, row.reason, row.summary, row.slots) == ("closed", "forgotten", "", {})
    assert "Pixel" not in ChatHarness.text_of(shopper.say("/mydata"))
    assert shopper.say("sell my iphone 13").flow == "trade_in"  # a fresh conversation with the bot


@pytest.mark.parametrize(("text", "deletes", "keeps_it"), [
    ("yes", True, False), ("Yes, delete my data", True, False), ("confirm", True, False),
    ("ok", False, False), ("sure", False, False), ("yes?", False, False), ("yes do not delete", False, False),
    ("yes but what about my quote", False, False), ("wait, what does that delete?", False, False),
    ("no", False, True), ("no, don't delete it", False, True), ("not now", False, True),
])
def test_only_an_explicit_yes_deletes(text: str, deletes: bool, keeps_it: bool) -> None:
    assert (explicit_yes(text), keeps(text)) == (deletes, keeps_it)


def _cli(sqlite_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": sqlite_url, "LOG_LEVEL": "WARNING", **env}
    return subprocess.run([sys.executable, "run_bot.py", "privacy", *args], cwd=PROJECT_ROOT, env=environment,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_privacy_cli_exports_and_forgets(booked: Shopper, sqlite_url: str) -> None:
    user = f"{booked.channel}:{booked.user}"
    kept = _count(booked.app, Message)
    exported = _cli(sqlite_url, "export", "--user", user, "--json")
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert (data["display_name"], data["email"]) == (NAME, EMAIL)
    assert {q["device_model"] for q in data["quotes"]} == {"iPhone 13"} and data["messages"] == kept
    assert "accepted" in [q["status"] for q in data["quotes"]]
    assert NAME in _cli(sqlite_url, "export", "--user", user).stdout  # the text support reads

    refused = _cli(sqlite_url, "forget", "--user", user)  # no terminal to ask on, no --yes: nothing deleted
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert _count(booked.app, Message) == kept
    forgot = _cli(sqlite_url, "forget", "--user", user, "--yes")
    assert forgot.returncode == 0, forgot.stderr
    assert f"{kept} messages deleted" in forgot.stdout
    after = json.loads(_cli(sqlite_url, "export", "--user", user, "--json").stdout)
    assert (after["display_name"], after["email"], after["quotes"], after["slots"]) == (None, None, [], {})
    assert _count(booked.app, QuoteRow, QuoteRow.conversation_id.is_(None)) == len(data["quotes"])
    unknown = _cli(sqlite_url, "export", "--user", "telegram:404")
    assert unknown.returncode == 2 and "no shopper telegram:404" in unknown.stderr


def test_purge_deletes_only_rows_past_their_retention(sqlite_url: str) -> None:
    now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    db, sessions = open_database(load_settings(database_url=sqlite_url))
    with sessions() as session, session.begin():
        conversation = repo.lock_conversation(session, key="test:u1", channel="test", chat_id="u1")
        for days, text in ((400, "old"), (366, "just past"), (364, "kept"), (1, "new")):
            session.add(Message(conversation_id=conversation.id, direction="in", text=text,
                                created_at=now - timedelta(days=days)))
        for days, event in ((31, "old"), (29, "kept")):
            session.add(ProcessedEvent(channel="test", event_id=event, conversation_id=conversation.id, outcome={},
                                       created_at=now - timedelta(days=days)))
    with sessions() as session, session.begin():
        purged = purge_expired(session, now, 365, 30)
    with sessions() as session:
        texts = sorted(session.execute(select(Message.text)).scalars())
        events = list(session.execute(select(ProcessedEvent.event_id)).scalars())
    db.dispose()
    assert (purged.messages, purged.processed_events) == (2, 1)
    assert texts == ["kept", "new"] and events == ["kept"]
    cli = _cli(sqlite_url, "purge", "--json", RETENTION_DAYS="1")  # real clock: every message is older than a day
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["messages"] == 2


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    """Every record at DEBUG into a file, through the masking filter as installed at start-up."""
    root = logging.getLogger()
    path = tmp_path / "bot.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    mask = install_log_masking(root)
    try:
        yield path
    finally:
        for holder in (root, *root.handlers):
            holder.removeFilter(mask)
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def test_no_email_phone_or_imei_reaches_the_log(make_app: Callable[..., App], sqlite_url: str,
                                                 debug_log: Path) -> None:
    shopper = Shopper(make_app(sqlite_url))
    said = [*BOOKING[:3], f"you can call me at {PHONE}, the imei is {IMEI}", *BOOKING[3:]]
    for line in said:
        shopper.say(line)
        # a careless debug line with the shopper's words: the filter still masks it
        logging.getLogger("bot.engine.engine").debug("shopper wrote %r", line)
    try:
        raise ValueError(f"cannot reach {EMAIL}")
    except ValueError:
        logging.getLogger("bot.delivery").exception("failed")
    shopper.say("/mydata")
    log = debug_log.read_text(encoding="utf-8")
    digits = "".join(ch for ch in log if ch.isdigit())
    assert "[email]" in log and "[phone]" in log and "[imei]" in log  # the lines were written, masked
    assert EMAIL not in log and "jane.doe" not in log and PHONE not in log and "555-0134" not in log
    assert IMEI not in digits and "4155550134" not in digits


def test_the_filter_masks_formatted_messages_and_args() -> None:
    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "to %s at %s", (EMAIL, PHONE), None)
    assert MaskPersonal().filter(record)
    assert record.getMessage() == "to [email] at [phone]"


async def test_mydata_and_forget_on_telegram(make_app: Callable[..., App], sqlite_url: str,
                                             fake: FakeTelegram) -> None:
    shopper = 555077
    async with polling(make_app(sqlite_url), fake) as _channel:
        menu = [params for method, params in fake.calls if method == "setMyCommands"]
        assert any("mydata" in json.dumps(p) and "forget" in json.dumps(p) for p in menu)
        fake.user_says(shopper, "sell my iphone 13 128gb unlocked flawless", first_name="Jane")
        await fake.wait_for(shopper, "Find My")
        fake.user_says(shopper, "/mydata", first_name="Jane")
        await fake.wait_for(shopper, "Name: Jane")
        fake.user_says(shopper, "/forget", first_name="Jane")
        await fake.wait_for(shopper, "Delete your data?")
        fake.user_presses(shopper, "p:forget=yes")
        await fake.wait_for(shopper, "I've deleted our messages")

