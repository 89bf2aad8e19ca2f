"""The shopper cancels a booked trade-in in the chat: asked first (Yes / No), a question is never a yes, and the back
office receives booking.cancelled once."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.app import App
from bot.storage.models import OutboxRow, QuoteRow
from tests.conftest import ChatHarness

SECRET = "cancel-test-secret-0123456789"
CONFIRM = "Cancel trade-in"
DONE = "is cancelled"


@pytest.fixture
def booked(make_app: Callable[..., App], database_url: str) -> ChatHarness:
    app = make_app(database_url, booking_webhook_url="http://127.0.0.1:9/hook", booking_webhook_secret=SECRET)
    chat = ChatHarness(app, user="777001", channel="telegram")
    chat.say("i want to sell my iphone 13 128gb unlocked, good condition, find my is off")
    chat.say("yes i accept")
    chat.say("cal.canceller@example.com")
    assert "is booked for" in chat.text_of(chat.say("paypal"))
    return chat


def status(chat: ChatHarness) -> str | None:
    with chat.app.sessions() as session:
        return session.execute(select(QuoteRow.booking_status).where(QuoteRow.booking_id.is_not(None))).scalar_one()


def events(chat: ChatHarness) -> list[str]:
    with chat.app.sessions() as session:
        rows = session.execute(select(OutboxRow).where(OutboxRow.kind == "booking.webhook").order_by(OutboxRow.id))
        return [json.loads(json.loads(r.payload)["body"])["type"] for r in rows.scalars()]


def test_cancel_is_asked_first_then_yes_cancels_and_tells_the_back_office(booked: ChatHarness) -> None:
    asked = booked.say("cancel my trade-in")
    assert CONFIRM in booked.text_of(asked) and booked.labels(asked) == ["Yes, cancel it", "No, keep it"]
    assert status(booked) == "booked" and events(booked) == ["booking.accepted"]
    assert DONE in booked.text_of(booked.say("yes, cancel it"))
    assert status(booked) == "cancelled" and events(booked) == ["booking.accepted", "booking.cancelled"]
    assert "Cancel trade-in" not in booked.text_of(booked.say("cancel my trade-in"))  # nothing left to cancel
    assert events(booked) == ["booking.accepted", "booking.cancelled"]


def test_the_yes_button_cancels_and_no_keeps_it(booked: ChatHarness) -> None:
    asked = booked.say("please cancel my booking")
    no = next(b.payload for r in asked.replies for b in r.buttons if b.label == "No, keep it")
    assert "stays booked" in booked.text_of(booked.press(no)) and status(booked) == "booked"
    asked = booked.say("I want to cancel my trade in")
    yes = next(b.payload for r in asked.replies for b in r.buttons if b.label == "Yes, cancel it")
    assert DONE in booked.text_of(booked.press(yes)) and status(booked) == "cancelled"


@pytest.mark.parametrize("question", ["what happens if I cancel?", "yes?", "ok but can I still sell it later?",
                                      "wait, will I be charged"])
def test_a_question_at_the_confirmation_is_never_a_yes(booked: ChatHarness, question: str) -> None:
    booked.say("cancel my trade-in")
    booked.say(question)
    assert status(booked) == "booked" and events(booked) == ["booking.accepted"]


def test_a_cancel_asked_as_a_question_does_not_cancel(booked: ChatHarness) -> None:
    reply = booked.text_of(booked.say("how do I cancel my trade-in?"))
    assert DONE not in reply and status(booked) == "booked"
    booked.say("yes")  # a yes to nothing asked cancels nothing
    assert status(booked) == "booked" and events(booked) == ["booking.accepted"]


def test_an_old_yes_button_after_moving_on_asks_again(booked: ChatHarness) -> None:
    asked = booked.say("cancel my trade-in")
    yes = next(b.payload for r in asked.replies for b in r.buttons if b.label == "Yes, cancel it")
    booked.say("what does refurbished mean")  # moved on
    assert CONFIRM in booked.text_of(booked.press(yes)) and status(booked) == "booked"
