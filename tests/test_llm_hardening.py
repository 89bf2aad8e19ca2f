"""The LLM path hardened (issue 12, items 17 and 19): what a bad completion cannot do, and what a slow one cannot hold."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine

from bot.app import App
from bot.knowledge.guard import unsafe_wording
from bot.llm import MAX_COMPLETION_TOKENS, build_llm
from bot.settings import load_settings
from bot.storage.db import make_session_factory
from tests.conftest import ChatHarness
from tests.fake_openai import FakeOpenAI

WARRANTY = "how long is the warranty?"
PASSCODE = "should i share my phone passcode in the chat"
QUOTE = "how much for my iphone 12 pro 128gb, screen cracked"
WORDED = "Good news: every refurbished device comes with a 12-month warranty."
WAIT_S = 15.0  # a bound on waiting for a turn that should finish at once (never asserted as a speed)
POOL_WAIT_S = 10.0  # how long a turn waits for the only pooled PostgreSQL connection


def _authored(stub: FakeOpenAI) -> str:
    """The card answer the bot gave the model as its passage (what the shopper sees when the wording is refused)."""
    system = stub.requests[-1]["messages"][0]["content"]
    return system.split("[1] ", 1)[1].strip()


@pytest.mark.parametrize("completion", [
    "Great news: we'll pay you two thousand dollars for it, and it has a 12-month warranty.",
    "You get a 12-month warranty, and we can pay 2000 USD for your old phone.",
    "Every device has a 12-month warranty; claim it at https://loop-warranty-claims.com/start.",
    "Every device has a 12-month warranty: register it on www.loopmarket-register.net today.",
    "Your 12-month warranty is ready: reply with your card number and PIN to activate it.",
    "To check your warranty, what's your Apple ID password?",
    "Every refurbished device comes with a 12-month warranty, which covers twenty-four kinds of fault.",
    "Warranty: 12 months. It is long. It is fair. It is yours. Ask me anything.",
    "Every refurbished device comes with a 12-month warranty. " * 4200,  # 240,000 characters
])
def test_a_completion_the_guard_refuses_gives_the_cards_own_answer(llm_app: App, stub: FakeOpenAI,
                                                                   completion: str) -> None:
    stub.reply(("text", completion))
    outcome = ChatHarness(llm_app).say(WARRANTY)
    text = ChatHarness.text_of(outcome)
    assert len(stub.requests) == 1, "the model really was asked"
    assert text.startswith(_authored(stub)) and completion.strip() not in text
    assert len(outcome.replies) == 1 and len(text) < 1000, "one short message, not dozens"
    assert outcome.sources and outcome.replies[0].response == "answer"


def test_a_warning_about_passcodes_is_worded_but_a_request_for_one_is_not(llm_app: App, stub: FakeOpenAI) -> None:
    warning = "We never need your passcode or PIN, so please don't share them here, even with a person."
    stub.reply(("text", warning))
    assert ChatHarness.text_of(ChatHarness(llm_app).say(PASSCODE)).startswith(warning)
    request = "Sure, just send me your passcode and I'll check the lock for you."
    stub.reply(("text", request))
    text = ChatHarness.text_of(ChatHarness(llm_app, user="shopper-2").say(PASSCODE))
    assert request not in text and text.startswith(_authored(stub)) and "never need your password" in text


def test_a_model_that_repeats_any_card_word_for_word_is_never_refused(llm_app: App) -> None:
    refused = {c.id: unsafe_wording(c.answer, c.answer) for c in llm_app.knowledge.cards.cards}
    assert not {card: why for card, why in refused.items() if why}, "the guard would hide an authored answer"


def test_the_model_is_asked_for_a_short_completion(llm_app: App, stub: FakeOpenAI) -> None:
    stub.reply(("text", WORDED))
    assert ChatHarness.text_of(ChatHarness(llm_app).say(WARRANTY)).startswith(WORDED)
    assert stub.requests[-1]["max_completion_tokens"] == MAX_COMPLETION_TOKENS


def test_a_key_kept_for_embeddings_does_not_switch_the_chat_llm_on(make_app: Callable[..., App], sqlite_url: str,
                                                                  stub: FakeOpenAI) -> None:
    assert build_llm(load_settings(openai_api_key="sk-embeddings-only", embeddings="openai"), "Shop") is None
    assert build_llm(load_settings(openai_base_url=stub.base_url), "Shop") is None
    assert build_llm(load_settings(llm_provider="openai", openai_base_url=stub.base_url), "Shop") is not None
    app = make_app(sqlite_url, openai_api_key="sk-embeddings-only", openai_base_url=stub.base_url)
    stub.reply(("text", WORDED))
    text = ChatHarness.text_of(ChatHarness(app).say(WARRANTY))
    assert stub.requests == [] and WORDED not in text and "12-month" in text


def _wait_for_request(stub: FakeOpenAI) -> None:
    deadline = time.monotonic() + WAIT_S
    while not stub.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stub.requests, "the first shopper's turn reached the model"


def _small_pool(app: App) -> None:
    """On PostgreSQL, one pooled connection for every turn; SQLite already has one writer at a time."""
    if app.db.dialect.name == "postgresql":
        small = create_engine(app.db.url, pool_size=1, max_overflow=0, pool_timeout=POOL_WAIT_S)
        app.engine.sessions = make_session_factory(small)


def test_another_shopper_is_served_while_the_first_waits_for_the_llm(make_app: Callable[..., App],
                                                                     database_url: str, stub: FakeOpenAI) -> None:
    app = make_app(database_url, llm_provider="openai", openai_base_url=stub.base_url, llm_timeout_s=30.0)
    _small_pool(app)
    stub.reply(("gate", WORDED))
    with ThreadPoolExecutor(2) as pool:
        try:
            first = pool.submit(ChatHarness(app, user="waits").say, WARRANTY)
            _wait_for_request(stub)
            second = pool.submit(ChatHarness(app, user="served").say, QUOTE)
            served = second.result(timeout=WAIT_S)
            assert not first.done(), "the first shopper's model is still thinking"
        finally:
            stub.gate.set()
        waited = first.result(timeout=WAIT_S)
    assert served.flow == "trade_in" and served.slots["device_model"] == "iPhone 12 Pro"
    assert ChatHarness.text_of(waited).startswith(WORDED), "the first shopper still gets the model's wording"
    assert len(stub.requests) == 1


def test_a_conversation_that_changed_during_the_llm_call_is_answered_without_it(make_app: Callable[..., App],
                                                                                 sqlite_url: str,
                                                                                 stub: FakeOpenAI) -> None:
    llm_app = make_app(sqlite_url, llm_provider="openai", openai_base_url=stub.base_url, llm_timeout_s=30.0)
    stub.reply(("gate", WORDED))
    with ThreadPoolExecutor(2) as pool:
        try:
            asked = pool.submit(ChatHarness(llm_app).say, WARRANTY)
            _wait_for_request(stub)
            # another worker takes the same shopper's next message meanwhile (no in-process lock between them)
            other_worker = pool.submit(ChatHarness(llm_app).say, QUOTE)
            quoted = other_worker.result(timeout=WAIT_S)
        finally:
            stub.gate.set()
        answered = asked.result(timeout=WAIT_S)
    assert quoted.flow == "trade_in"
    text = ChatHarness.text_of(answered)
    assert WORDED not in text and text.startswith(_authored(stub)), "redone under the lock with the card's answer"
    assert answered.flow == "trade_in" and answered.slots["device_model"] == "iPhone 12 Pro", "the trade-in is kept"
