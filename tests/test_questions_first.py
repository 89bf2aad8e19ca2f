"""A question is answered, even when it names a device or a person; only a request starts a task or a ticket."""

from __future__ import annotations

import pytest

from tests.conftest import ChatHarness


@pytest.mark.parametrize(("question", "fact"), [
    ("my iphone 12 battery health says 76% does that lower my trade in price", "80%"),
    ("how do u pay me for my trade in", "PayPal"),
    ("I'm on Verizon right now but I'm thinking about switching to T-Mobile soon. If I buy a refurbished iPhone 14 "
     "from you, will it work on both?", "unlocked"),
])
def test_a_question_naming_a_device_is_answered_before_any_task(chat: ChatHarness, question: str, fact: str) -> None:
    outcome = chat.say(question)
    text = ChatHarness.text_of(outcome)
    assert fact in text and outcome.flow is None and outcome.quote is None, text
    assert "How much storage" not in text and "$" not in text, "no quote or comparison pushed on the question"


def test_a_question_after_a_story_about_a_quote_starts_no_task(chat: ChatHarness) -> None:
    outcome = chat.say("I got a trade-in offer for my Pixel 7 Pro last week but I want to keep using the phone for a "
                       "while. Will the price still be the same if I send it in later?")
    assert outcome.flow is None and outcome.quote is None
    assert "How much storage" not in ChatHarness.text_of(outcome)


def test_the_device_in_a_trade_in_question_is_offered_as_a_quote_to_start(chat: ChatHarness) -> None:
    outcome = chat.say("my iphone 12 battery health says 76% does that lower my trade in price")
    assert any("iPhone 12" in label or "quote" in label.casefold() for label in ChatHarness.labels(outcome)), \
        ChatHarness.labels(outcome)


def test_a_shopper_financing_a_purchase_is_not_refused_a_trade_in(chat: ChatHarness) -> None:
    outcome = chat.say("I'm deciding between buying a new Pixel 8 on a payment plan or a refurbished one from you. "
                       "What warranty would I get with the refurbished one?")
    text = ChatHarness.text_of(outcome)
    assert "12" in text and "financing balance" not in text, text


def test_a_question_about_asking_for_a_person_is_answered_not_a_ticket(chat: ChatHarness) -> None:
    outcome = chat.say("If I ask for a person at midnight, what happens to my request?")
    assert outcome.handoff is None and "Eastern" in ChatHarness.text_of(outcome)


def test_customer_service_experience_in_an_off_topic_request_is_not_a_ticket(chat: ChatHarness) -> None:
    outcome = chat.say("Could you write me a cover letter? I have two years of customer service experience.")
    assert outcome.handoff is None


@pytest.mark.parametrize("problem", [
    "it's been nine business days since my trade-in passed inspection with nothing in my account. "
    "Can someone look into this?",
    "you guys sent back my phone saying its blacklisted but i bought it new from apple, this has to be a mistake",
])
def test_a_problem_only_a_person_can_solve_opens_a_ticket(chat: ChatHarness, problem: str) -> None:
    outcome = chat.say(problem)
    assert outcome.handoff is not None and outcome.quote is None


@pytest.mark.parametrize("question", [
    "return window?? got a pixel 7 last wk n kinda regret it",
    "got a quote for my ipad air last wk, how long til it expires",
    "How much less is a carrier-locked iPhone worth than an unlocked one?",
    "face id broke on my iphone 13 otherwise fine, which condition do i pick",
])
def test_a_question_with_context_after_it_starts_no_task(chat: ChatHarness, question: str) -> None:
    outcome = chat.say(question)
    assert outcome.flow is None and outcome.quote is None, ChatHarness.text_of(outcome)


def test_a_hypothetical_theft_question_asks_the_rule_and_is_not_refused(chat: ChatHarness) -> None:
    outcome = chat.say("Does the warranty cover my phone if it gets stolen?")
    assert "theft" in ChatHarness.text_of(outcome) and outcome.commands == ("Answer",)


def test_the_devices_kept_are_not_the_one_for_sale(chat: ChatHarness) -> None:
    outcome = chat.say("I'm keeping my iPhone 14 and my iPad Air, but the MacBook Air M2 from 2022 has to go since "
                       "work gave me a laptop. It's the 512 GB version.")
    assert outcome.flow == "trade_in" and outcome.slots["device_model"] == "MacBook Air (M2, 2022)"
    assert outcome.slots["storage_gb"] == 512 and "Which best describes it" in ChatHarness.text_of(outcome)


def test_an_email_address_names_no_carrier(chat: ChatHarness) -> None:
    chat.say("sell my ipad 10th gen 64gb, good, find my is off")
    chat.press("s:accept=true")
    outcome = chat.say("Please use linda.farrow@att.net for the label. Thank you so much.")
    assert outcome.slots["email"] == "linda.farrow@att.net" and "carrier" not in outcome.slots
    assert "How would you like to be paid" in ChatHarness.text_of(outcome)
