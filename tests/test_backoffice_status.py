"""The back office reports a booking's progress over HTTP; the shopper hears of each step and answers a counteroffer.

The real engine books a trade-in through the chat; the status route runs on a real aiohttp server on 127.0.0.1; what
the shopper would see is read from the outbox rows the Telegram sender delivers (and, end to end, from a fake Bot API).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import App
from bot.channels.backoffice import add_backoffice_routes
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.limits import TelegramLimits
from bot.delivery.replies import reply_of
from bot.pricing.quote import format_usd
from bot.settings import load_settings
from bot.storage.models import OutboxRow, QuoteRow
from bot.support.desk import SupportDesk
from tests.conftest import ChatHarness
from tests.fake_telegram import FakeTelegram

TOKEN = "backoffice-token-0123456789abcdef"
SECRET = "a-long-random-shared-secret-0123456789"
SHOPPER_CHAT = "555001"
TELEGRAM_SHOPPER = 555001
HOOK_SECRET = "telegram-hook-secret"
SHOPPER_EMAIL = "jane.doe@example.com"
HTTP_OK, HTTP_BAD, HTTP_UNAUTHORIZED, HTTP_NOT_FOUND, HTTP_CONFLICT = 200, 400, 401, 404, 409
Answer = tuple[int, dict[str, Any]]


class BackOffice:
    """The status route on a real local server, and the booking it reports on."""

    def __init__(self, app: App, chat: ChatHarness, base_url: str, http: aiohttp.ClientSession) -> None:
        self.app, self.chat, self.base_url, self.http = app, chat, base_url, http

    async def post(self, booking_id: str, body: Any, *, token: str | None = TOKEN) -> Answer:
        """POST a status report; returns the HTTP status and the JSON answer."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with self.http.post(f"{self.base_url}/api/bookings/{booking_id}/status", data=data,
                                  headers={"Content-Type": "application/json", **headers}) as response:
            return response.status, await response.json()

    def booking(self) -> QuoteRow:
        """The booked quote as stored now."""
        with self.app.sessions() as session:
            return session.execute(select(QuoteRow).where(QuoteRow.booking_id.is_not(None))).scalar_one()

    def last_row_id(self) -> int:
        """The newest outbox row's id (rows after it are what a step queued)."""
        with self.app.sessions() as session:
            return int(session.execute(select(func.coalesce(func.max(OutboxRow.id), 0))).scalar_one())

    def rows_after(self, row_id: int) -> list[OutboxRow]:
        """Outbox rows queued after `row_id`, oldest first."""
        with self.app.sessions() as session:
            return list(session.execute(select(OutboxRow).where(OutboxRow.id > row_id).order_by(OutboxRow.id))
                        .scalars())

    async def report(self, booking_id: str, body: dict[str, Any]) -> tuple[Answer, list[OutboxRow]]:
        """POST a report; the answer and the outbox rows it queued."""
        before = self.last_row_id()
        answer = await self.post(booking_id, body)
        return answer, self.rows_after(before)


def book(chat: ChatHarness) -> None:
    """A whole trade-in through the real engine, to the booking."""
    chat.say("i want to sell my iphone 13 128gb unlocked, good condition, find my is off")
    chat.say("yes i accept")
    chat.say(SHOPPER_EMAIL)
    assert "is booked for" in chat.text_of(chat.say("paypal"))


@pytest.fixture
async def office(make_app: Callable[..., App], database_url: str) -> AsyncIterator[BackOffice]:
    app = make_app(database_url, booking_webhook_url="http://127.0.0.1:9/hook", booking_webhook_secret=SECRET)
    chat = ChatHarness(app, user=SHOPPER_CHAT, channel="telegram")
    book(chat)
    server = web.Application()
    add_backoffice_routes(server, token=SecretStr(TOKEN), sessions=app.sessions, responses=app.engine.say)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with aiohttp.ClientSession() as http:
            yield BackOffice(app, chat, f"http://{host}:{port}", http)
    finally:
        await runner.cleanup()


def shopper_message(rows: list[OutboxRow]) -> tuple[str, list[tuple[str, str]]]:
    """The one message to the shopper's chat among `rows`: its text and its buttons (label, payload)."""
    [row] = rows
    payload = json.loads(row.payload)
    assert (row.kind, row.lane, payload["chat_id"]) == ("telegram.message", f"telegram:{SHOPPER_CHAT}", SHOPPER_CHAT)
    reply = reply_of(payload)
    return reply.text, [(b.label, b.payload) for b in reply.buttons]


async def test_a_wrong_or_missing_token_is_401_and_changes_nothing(office: BackOffice) -> None:
    booking_id = str(office.booking().booking_id)
    before = office.last_row_id()
    for token in (None, "wrong-token", TOKEN + "x", "tökén"):
        status, body = await office.post(booking_id, {"status": "label_sent"}, token=token)
        assert status == HTTP_UNAUTHORIZED and "token" in body["error"]
    assert office.booking().booking_status == "booked" and office.rows_after(before) == []


async def test_an_unknown_booking_is_404(office: BackOffice) -> None:
    status, body = await office.post("bk_doesnotexist", {"status": "label_sent"})
    assert status == HTTP_NOT_FOUND and "bk_doesnotexist" in body["error"]


@pytest.mark.parametrize(("body", "field"), [
    (b"{not json", "body"),
    ([], "body"),
    ({}, "status"),
    ({"status": "shipped"}, "status"),
    ({"status": "counteroffer", "reason": "cracked back glass"}, "amount_usd"),
    ({"status": "counteroffer", "amount_usd": 120, "reason": "cracked back glass"}, "amount_usd"),
    ({"status": "counteroffer", "amount_usd": "12.345", "reason": "cracked back glass"}, "amount_usd"),
    ({"status": "counteroffer", "amount_usd": "-5.00", "reason": "cracked back glass"}, "amount_usd"),
    ({"status": "counteroffer", "amount_usd": "123.45"}, "reason"),
    ({"status": "label_sent", "amount_usd": "123.45"}, "amount_usd"),
    ({"status": "label_sent", "note": 7}, "note"),
])
async def test_a_malformed_body_is_400_naming_the_field(office: BackOffice, body: Any, field: str) -> None:
    status, answer = await office.post(str(office.booking().booking_id), body)
    assert status == HTTP_BAD and answer["field"] == field and field in answer["error"]
    assert office.booking().booking_status == "booked"


async def test_a_status_that_does_not_follow_is_409_and_nothing_changes(office: BackOffice) -> None:
    booking_id = str(office.booking().booking_id)
    (status, body), rows = await office.report(booking_id, {"status": "paid"})
    assert status == HTTP_CONFLICT and body["current"] == "booked" and rows == []
    assert office.booking().booking_status == "booked"
    (status, _), _rows = await office.report(booking_id, {"status": "label_sent"})
    (status, body), rows = await office.report(booking_id, {"status": "label_sent"})  # the same one again
    assert status == HTTP_CONFLICT and body["current"] == "label_sent" and rows == []


async def test_each_status_tells_the_shopper_once_in_their_chat(office: BackOffice) -> None:
    booking = office.booking()
    booking_id = str(booking.booking_id)
    offer = format_usd(booking.offer_usd)
    expected = {"label_sent": "shipping label", "received": "We've received your iPhone 13",
                "inspected": "passed inspection", "paid": f"Your payout for trade-in {booking.id} has been sent: {offer}"}
    for step, words in expected.items():
        (status, body), rows = await office.report(booking_id, {"status": step})
        assert (status, body) == (HTTP_OK, {"booking_id": booking_id, "status": step})
        text, buttons = shopper_message(rows)
        assert words in text and booking.id in text and buttons == []
    assert office.booking().booking_status == "paid"


async def test_a_note_follows_the_status_message(office: BackOffice) -> None:
    (status, _), rows = await office.report(str(office.booking().booking_id),
                                            {"status": "label_sent", "note": "Use the box we mailed you."})
    assert status == HTTP_OK and len(rows) == 2
    assert "Note from our team: Use the box we mailed you." in reply_of(json.loads(rows[1].payload)).text


async def counteroffer(office: BackOffice) -> tuple[str, list[tuple[str, str]]]:
    """Take the booking to a counteroffer of $123.45; returns the shopper's message."""
    booking_id = str(office.booking().booking_id)
    for step in ("label_sent", "received", "inspected"):
        assert (await office.post(booking_id, {"status": step}))[0] == HTTP_OK
    (status, _), rows = await office.report(booking_id, {"status": "counteroffer", "amount_usd": "123.45",
                                                         "reason": "the back glass is cracked"})
    assert status == HTTP_OK
    return shopper_message(rows)


async def test_a_counteroffer_names_the_amount_and_reason_with_accept_and_decline(office: BackOffice) -> None:
    booking = office.booking()
    text, buttons = await counteroffer(office)
    assert format_usd(Decimal("123.45")) in text and "the back glass is cracked" in text and format_usd(booking.offer_usd) in text
    assert [payload for _, payload in buttons] == [f"o:accept:{booking.booking_id}", f"o:decline:{booking.booking_id}"]
    (status, body), _ = await office.report(str(booking.booking_id), {"status": "paid"})
    assert status == HTTP_CONFLICT and body["current"] == "counteroffer"  # the shopper answers first


async def test_an_accepted_counteroffer_reaches_the_back_office_and_then_paid_is_allowed(office: BackOffice) -> None:
    booking = office.booking()
    booking_id = str(booking.booking_id)
    _, buttons = await counteroffer(office)
    before = office.last_row_id()
    reply = office.chat.text_of(office.chat.press(buttons[0][1]))
    assert f"You accepted {format_usd(Decimal('123.45'))}" in reply
    rows = office.rows_after(before)
    [event_row] = [r for r in rows if r.kind == "booking.webhook"]
    event = json.loads(json.loads(event_row.payload)["body"])
    assert event_row.lane == f"booking:{booking_id}"
    assert (event["type"], event["booking_id"], event["quote_id"], event["offer_usd"]) == (
        "counteroffer.accepted", booking_id, booking.id, "123.45")
    with office.app.sessions() as session:  # after booking.accepted, in the same lane
        lane = [json.loads(json.loads(r.payload)["body"])["type"] for r in session.execute(
            select(OutboxRow).where(OutboxRow.lane == f"booking:{booking_id}").order_by(OutboxRow.id)).scalars()]
    assert lane == ["booking.accepted", "counteroffer.accepted"]

    again = office.chat.text_of(office.chat.press(buttons[1][1]))  # a second answer changes nothing
    assert "already been answered" in again and office.booking().booking_status == "counteroffer_accepted"
    (status, _), _ = await office.report(booking_id, {"status": "returned"})
    assert status == HTTP_CONFLICT
    (status, _), rows = await office.report(booking_id, {"status": "paid"})
    text, _ = shopper_message(rows)
    assert status == HTTP_OK and f"has been sent: {format_usd(Decimal('123.45'))}" in text


async def test_a_declined_counteroffer_allows_returned_not_paid(office: BackOffice) -> None:
    booking_id = str(office.booking().booking_id)
    _, buttons = await counteroffer(office)
    before = office.last_row_id()
    reply = office.chat.text_of(office.chat.press(buttons[1][1]))
    assert "declined the new offer" in reply
    [event_row] = [r for r in office.rows_after(before) if r.kind == "booking.webhook"]
    assert json.loads(json.loads(event_row.payload)["body"])["type"] == "counteroffer.declined"
    (status, _), _ = await office.report(booking_id, {"status": "paid"})
    assert status == HTTP_CONFLICT
    (status, _), rows = await office.report(booking_id, {"status": "returned"})
    text, _ = shopper_message(rows)
    assert status == HTTP_OK and "on its way back to you" in text


async def test_another_shoppers_counteroffer_button_is_refused(office: BackOffice) -> None:
    _, buttons = await counteroffer(office)
    stranger = ChatHarness(office.app, user="555002", channel="telegram")
    assert "belongs to an earlier question" in stranger.text_of(stranger.press(buttons[0][1]))
    assert office.booking().booking_status == "counteroffer"


async def test_end_to_end_on_the_bots_web_server(make_app: Callable[..., App], sqlite_url: str, fake: FakeTelegram,
                                                unused_tcp_port: int) -> None:
    app = make_app(sqlite_url)
    chat = ChatHarness(app, user=str(TELEGRAM_SHOPPER), channel="telegram")
    book(chat)
    with app.sessions() as session:
        booking_id = str(session.execute(select(QuoteRow.booking_id).where(QuoteRow.booking_id.is_not(None)))
                         .scalar_one())
    settings = load_settings(database_url=str(app.settings.database_url), index_dir=app.settings.index_dir,
                             telegram_bot_token=fake.token, telegram_api_base_url=fake.base_url,
                             backoffice_token=TOKEN, outbox_poll_s=0.05)
    channel = TelegramChannel(settings, app.engine, SupportDesk(app.sessions),
                              limits=TelegramLimits(per_chat_rate=50, per_chat_burst=50, global_rate=200))
    await channel.start_webhook(listen="127.0.0.1", port=unused_tcp_port, url_path="hook",
                                webhook_url="https://example.invalid/hook", secret=HOOK_SECRET)
    base = f"http://127.0.0.1:{unused_tcp_port}"
    try:
        async with aiohttp.ClientSession() as http:
            office = BackOffice(app, chat, base, http)
            assert (await office.post(booking_id, {"status": "label_sent"}, token="nope"))[0] == HTTP_UNAUTHORIZED
            for step in ("label_sent", "received"):
                assert (await office.post(booking_id, {"status": step}))[0] == HTTP_OK
            await fake.wait_for(TELEGRAM_SHOPPER, "shipping label")
            body = {"status": "counteroffer", "amount_usd": "123.45", "reason": "the battery is swollen"}
            assert (await office.post(booking_id, body))[0] == HTTP_OK
            await fake.wait_for(TELEGRAM_SHOPPER, "the battery is swollen")
            sent = next(s for s in fake.sent if s.chat_id == TELEGRAM_SHOPPER and "swollen" in (s.text or ""))
            accept = sent.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
            press = fake.user_presses(TELEGRAM_SHOPPER, accept)
            fake.pending.remove(press)  # webhook mode: Telegram POSTs the update to us instead
            async with http.post(f"{base}/hook", json=press,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET}) as response:
                assert response.status == HTTP_OK
            await fake.wait_for(TELEGRAM_SHOPPER, "You accepted $123.45")
            assert (await office.post(booking_id, {"status": "paid"}))[0] == HTTP_OK
            await fake.wait_for(TELEGRAM_SHOPPER, "has been sent: $123.45")
    finally:
        await channel.stop()
    assert not channel.errors, channel.errors


async def test_without_a_token_the_route_is_absent(make_app: Callable[..., App], sqlite_url: str, fake: FakeTelegram,
                                                   unused_tcp_port: int) -> None:
    app = make_app(sqlite_url)
    settings = load_settings(database_url=str(app.settings.database_url), index_dir=app.settings.index_dir,
                             telegram_bot_token=fake.token, telegram_api_base_url=fake.base_url)
    channel = TelegramChannel(settings, app.engine, SupportDesk(app.sessions))
    await channel.start_webhook(listen="127.0.0.1", port=unused_tcp_port, url_path="hook",
                                webhook_url="https://example.invalid/hook", secret=HOOK_SECRET)
    try:
        async with aiohttp.ClientSession() as http, http.post(
                f"http://127.0.0.1:{unused_tcp_port}/api/bookings/bk_x/status", json={"status": "paid"},
                headers={"Authorization": f"Bearer {TOKEN}"}) as response:
            assert response.status == HTTP_NOT_FOUND
    finally:
        await channel.stop()


def _events_after(office: BackOffice, row_id: int) -> list[str]:
    """The types of the booking events queued after `row_id`."""
    return [json.loads(json.loads(r.payload)["body"])["type"] for r in office.rows_after(row_id)
            if r.kind == "booking.webhook"]


@pytest.mark.parametrize("question", ["why is it lower?", "ok but what about the scratch?",
                                      "ok but what about the scratch", "is that your final offer"])
async def test_a_question_about_the_counteroffer_is_never_an_answer(office: BackOffice, question: str) -> None:
    await counteroffer(office)
    before = office.last_row_id()
    reply = office.chat.text_of(office.chat.say(question))
    assert "You accepted" not in reply and "declined the new offer" not in reply
    assert office.booking().booking_status == "counteroffer" and _events_after(office, before) == []


async def test_a_typed_yes_i_accept_answers_the_counteroffer(office: BackOffice) -> None:
    await counteroffer(office)
    before = office.last_row_id()
    assert f"You accepted {format_usd(Decimal('123.45'))}" in office.chat.text_of(office.chat.say("yes I accept"))
    assert office.booking().booking_status == "counteroffer_accepted"
    assert _events_after(office, before) == ["counteroffer.accepted"]


async def test_a_typed_no_declines_and_a_bare_ok_is_asked_again(office: BackOffice) -> None:
    await counteroffer(office)
    before = office.last_row_id()
    asked = office.chat.say("ok")
    assert "Just to be sure" in office.chat.text_of(asked) and office.booking().booking_status == "counteroffer"
    assert office.chat.labels(asked) == ["Accept the new offer", "Decline, send it back"]
    assert "declined the new offer" in office.chat.text_of(office.chat.say("no"))
    assert office.booking().booking_status == "counteroffer_declined"
    assert _events_after(office, before) == ["counteroffer.declined"]
