"""Repairs a shopper makes in their own words: back, a corrected email, a decline taken back, a refusal pressed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.storage.models import QuoteRow
from tests.conftest import ChatHarness

IPAD_OFFER = "sell my ipad 9th gen 64gb, good condition, find my is off"


def _at_offer(chat: ChatHarness, line: str = IPAD_OFFER) -> str:
    outcome = chat.say(line)
    assert outcome.quote is not None and "accept this offer" in ChatHarness.text_of(outcome)
    return outcome.quote.quote_id


def test_an_email_corrected_at_the_payout_question_keeps_the_offer_and_the_question(chat: ChatHarness) -> None:
    _at_offer(chat)
    chat.press("s:accept=true")
    chat.say("marcus.lee@gmial.com")
    outcome = chat.say("oops typo its marcus.lee@gmail.com")
    text = ChatHarness.text_of(outcome)
    assert outcome.slots["email"] == "marcus.lee@gmail.com" and outcome.quote is None, "no new quote for an email"
    assert "How would you like to be paid" in text and "accept this offer" not in text
    with chat.app.sessions() as session:
        assert len(session.execute(select(QuoteRow)).scalars().all()) == 1


def test_a_yes_that_gives_the_label_email_takes_both_and_asks_the_payout(chat: ChatHarness) -> None:
    _at_offer(chat)
    outcome = chat.say("Yes, I accept. Please send the label to owen.gallagher@gmail.com")
    assert outcome.slots["email"] == "owen.gallagher@gmail.com"
    assert "How would you like to be paid" in ChatHarness.text_of(outcome)


def test_a_question_with_an_email_at_the_offer_is_not_a_yes(chat: ChatHarness) -> None:
    _at_offer(chat)
    outcome = chat.say("is that the best you can do? my email is owen@example.com")
    assert "email" not in outcome.slots and "accept this offer" in ChatHarness.text_of(outcome)


@pytest.mark.parametrize("take_back", ["ok actually yeah ill do it",
                                       "Well, having thought about it, I'll accept the offer after all if that's "
                                       "all right."])
def test_a_decline_is_taken_back_after_a_side_question(chat: ChatHarness, take_back: str) -> None:
    offered = _at_offer(chat)
    chat.press("s:accept=false")
    assert "21 days" in ChatHarness.text_of(chat.say("how long is that offer good for"))
    outcome = chat.say(take_back)
    assert "What email address" in ChatHarness.text_of(outcome)
    assert outcome.quote is not None and outcome.quote.quote_id == offered, "the same offer, reopened"


def test_a_maybe_after_a_decline_takes_nothing_back(chat: ChatHarness) -> None:
    _at_offer(chat)
    chat.press("s:accept=false")
    assert "What email address" not in ChatHarness.text_of(chat.say("yeah maybe ill do it later"))


def test_back_asked_as_a_question_re_asks_the_previous_question(chat: ChatHarness) -> None:
    chat.say("Galaxy S23+ with 512 GB.")
    chat.press("s:carrier=att")
    outcome = chat.say("I'm sorry, could we go back one step? My thumb slipped on the previous question.")
    assert "unlocked, or tied to a carrier" in ChatHarness.text_of(outcome)
    assert "T-Mobile" in ChatHarness.labels(outcome)


@pytest.mark.parametrize(("first", "pressed"), [
    ("found an iphone 13 on the bus can i sell it to u", "what if nobody claims it"),
    ("want to sell my galaxy s24, still paying it off, like 8 months left",
     "cant i just sell it n use the money to pay it off"),
])
def test_a_refused_request_pressed_again_is_still_refused(chat: ChatHarness, first: str, pressed: str) -> None:
    refused = ChatHarness.text_of(chat.say(first))
    assert "can't buy" in refused or "can't" in refused
    outcome = chat.say(pressed)
    assert "can't" in ChatHarness.text_of(outcome) and outcome.quote is None and outcome.flow is None


def test_after_a_refusal_another_device_is_a_new_request(chat: ChatHarness) -> None:
    chat.say("found an iphone 13 on the bus can i sell it to u")
    outcome = chat.say("ok what about my own pixel 7, what if i sell that")
    assert "can't buy" not in ChatHarness.text_of(outcome)


def test_a_blacklisted_phone_is_refused_and_a_person_looks_at_it(chat: ChatHarness) -> None:
    outcome = chat.say("bought a used pixel 8 pro off fb marketplace, carrier says imei is blacklisted. can i sell it")
    assert "can't buy a blacklisted phone" in ChatHarness.text_of(outcome) and outcome.quote is None
    assert outcome.handoff is not None, "the policy's always-human list names a blacklisted device"
    pressed = ChatHarness.text_of(chat.say("even for parts?"))
    assert "can't buy a blacklisted phone" in pressed and "still with our team" in pressed


def test_an_email_with_a_bare_ok_at_the_offer_is_not_a_yes(chat: ChatHarness) -> None:
    _at_offer(chat)
    outcome = chat.say("ok, my email is sam@example.com")
    assert "accept this offer" in ChatHarness.text_of(outcome) and "payout_method" not in outcome.slots
    with chat.app.sessions() as session:
        assert session.execute(select(QuoteRow.status)).scalar_one() == "offered"


@pytest.mark.parametrize(("question", "condition"), [
    ("My Galaxy S23 works perfectly, but there's a crack across the back glass. So would I choose Fair when I get "
     "my quote, or something else?", "Broken"),
    ("my pixel 7 has a few light scratches on the back, no cracks, which condition do i pick", "Good"),
])
def test_which_condition_is_answered_from_the_description(chat: ChatHarness, question: str, condition: str) -> None:
    outcome = chat.say(question)
    assert f"that's {condition}" in ChatHarness.text_of(outcome) and outcome.flow is None and outcome.quote is None
    assert any(label.startswith("Get a quote") for label in ChatHarness.labels(outcome))


def test_a_financing_balance_told_mid_quote_is_refused_and_stays_refused(chat: ChatHarness) -> None:
    chat.say("I'd like to sell my Galaxy S24, 256GB.")
    refused = chat.say("It's on AT&T. I still have about eight months left on the installment plan, is that okay?")
    assert "financing balance" in ChatHarness.text_of(refused) and refused.flow is None
    again = chat.say("So you really can't give me an offer for it right now?")
    assert "financing balance" in ChatHarness.text_of(again) and again.quote is None
