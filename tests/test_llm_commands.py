"""The optional LLM command generator (issue 13, item 8): schema-checked, merged, never in charge of consent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from bot import evaluation
from bot.app import App, load_shop_responses
from bot.llm import load_prompts
from bot.nlu.commands import (
    Affirm,
    Answer,
    Cancel,
    CannotHandle,
    Deny,
    GoBack,
    Handoff,
    Refuse,
    SetSlots,
    SmallTalk,
    StartFlow,
)
from bot.nlu.devices import DeviceMatcher
from bot.nlu.llm_commands import SMALL_TALK_KINDS, VOCABULARY, merge, parse_commands, reading_for
from bot.nlu.people import REFUSAL_RULES
from bot.nlu.reading_context import ReadingContext
from bot.settings import load_settings
from bot.shop import load_shop
from bot.storage.models import QuoteRow, Ticket
from tests.conftest import ChatHarness
from tests.fake_openai import FakeOpenAI

COMMANDS_PROMPT = "Reply with ONE JSON array of commands"  # a line of config/prompts/commands.txt
OPENING = "i want to sell my iphone 12 pro 128gb"
# Condition and carrier in words the rules do not read ("seen better days", "big red"): checked below.
RAMBLING = "so honestly it's seen better days, and my plan is with big red, been with them forever"
OFFER = "sell my galaxy s22 128gb, unlocked, mint condition, google account removed"
EMAIL = "jane.doe@example.com"
TRADE_IN = ReadingContext(flow_intent="trade_in", awaited="carrier",
                          flow_slots=frozenset({"device_model", "storage_gb", "condition", "carrier", "email"}),
                          slots={"device_model": "iPhone 12 Pro", "storage_gb": 128})


def _json(*commands: dict[str, Any]) -> tuple[str, str]:
    return ("text", json.dumps(list(commands)))


@pytest.fixture(scope="module")
def devices() -> DeviceMatcher:
    settings = load_settings()
    return DeviceMatcher(load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir)).catalog)


def _command_requests(stub: FakeOpenAI) -> list[dict[str, Any]]:
    return [r for r in stub.requests if COMMANDS_PROMPT in r["messages"][0]["content"]]


def _accepted(app: App) -> int:
    with app.sessions() as session:
        return len(session.execute(select(QuoteRow).where(QuoteRow.status == "accepted")).all())


# --- parsing: strict, against the schema, the catalog and the vocabulary ---------------------------------

def test_only_known_commands_slots_and_values_survive(devices: DeviceMatcher) -> None:
    slots = json.dumps([
        {"command": "set_slots", "slots": {"condition": "fair", "carrier": "verizon", "offer_usd": 900,
                                           "accept": True, "email": EMAIL, "storage_gb": 999}},
        {"command": "set_slots", "slots": {"condition": "pristine-ish", "carrier": "big red", "storage_gb": "256"}},
        {"command": "book_quote"}, {"command": "start_flow", "purpose": "buy_everything"},
        {"command": "start_flow", "purpose": "compare", "slots": {"device_model": "Nokia 3310"}},
        {"command": "start_flow", "purpose": "compare", "slots": {"device_model": "galaxy s23", "storage_gb": 64}},
    ])
    assert parse_commands(slots, TRADE_IN, devices, RAMBLING) == (
        SetSlots({"condition": "fair", "carrier": "verizon"}),
        StartFlow("compare", {}), StartFlow("compare", {"device_model": "Galaxy S23"}),
    )
    others = json.dumps([{"command": "small_talk", "kind": "insult"}, {"command": "refuse", "rule": "too_cheap"},
                         {"command": "affirm", "really": True}, {"command": "answer", "question": 42}, "affirm",
                         {"command": "go_back"}])
    unhashable = json.dumps([{"command": "start_flow", "purpose": ["trade_in"]}, {"command": ["go_back"]},
                             {"command": "small_talk", "kind": {"a": 1}}, {"command": "set_slots", "slots": [1]}])
    assert parse_commands(unhashable, TRADE_IN, devices, RAMBLING) == ()
    assert parse_commands(others, TRADE_IN, devices, RAMBLING) == (GoBack(),)
    kept = json.dumps([{"command": "small_talk", "kind": "thanks"}, {"command": "refuse", "rule": "financed"},
                       {"command": "handoff", "reason": "asked"}, {"command": "deny"}])
    assert parse_commands(kept, TRADE_IN, devices, RAMBLING) == (SmallTalk("thanks"), Refuse("financed"),
                                                                 Handoff("asked"), Deny())
    assert parse_commands(json.dumps([{"command": "go_back"}] * 20), TRADE_IN, devices, "x") == (GoBack(),) * 6


def test_the_task_in_progress_gets_facts_and_a_wrong_storage_is_dropped(devices: DeviceMatcher) -> None:
    reply = json.dumps([{"command": "start_flow", "purpose": "trade_in",
                         "slots": {"storage_gb": 2048, "condition": "broken", "battery_health_pct": 101}}])
    assert parse_commands(reply, TRADE_IN, devices, RAMBLING) == (SetSlots({"condition": "broken"}),)


@pytest.mark.parametrize("reply", [None, "", "I don't know", "{", "[1, 2]", '{"intent": "trade_in"}',
                                   '[{"command": "set_slots", "slots": {"device_model": "Nokia 3310"}}]',
                                   '[{"command": "unknown"}]', "```json\n[{\"command\": \"teleport\"}]\n```"])
def test_a_reply_that_is_not_valid_commands_gives_none(devices: DeviceMatcher, reply: str | None) -> None:
    assert parse_commands(reply, TRADE_IN, devices, RAMBLING) == ()


def test_a_fenced_reply_or_one_object_is_read(devices: DeviceMatcher) -> None:
    one = '{"command": "answer", "question": "does a dent lower the offer?"}'
    assert parse_commands(f"```json\n[{one}]\n```", TRADE_IN, devices, "x") == (Answer("does a dent lower the offer?"),)
    assert parse_commands(one, TRADE_IN, devices, "x") == (Answer("does a dent lower the offer?"),)
    assert parse_commands('{"commands": [{"command": "answer"}]}', TRADE_IN, devices, "x?") == (Answer("x?"),)


def test_the_vocabulary_is_what_the_dialogue_knows() -> None:
    settings = load_settings()
    shop = load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir))
    names = load_shop_responses(settings, shop).names
    assert set(SMALL_TALK_KINDS) <= names, "pattern_small_talk says the response named by the kind"
    assert {f"refuse_{rule}" for rule in REFUSAL_RULES} <= names, "pattern_refuse says refuse_{rule}"
    system = load_prompts(settings.path(settings.config_dir) / "prompts").commands.format(**VOCABULARY)
    assert COMMANDS_PROMPT in system and '"verizon"' in system and '"trade_in"' in system


def test_no_email_or_id_is_sent_in_the_reading() -> None:
    ctx = ReadingContext(flow_intent="trade_in", awaited="condition",
                         slots={"device_model": "iPhone 12 Pro", "email": EMAIL, "quote_id": "q-123",
                                "reason": f"mail {EMAIL}", "storage_gb": 128})
    reading = json.loads(reading_for(f"it's fine, write to {EMAIL} or call 415-555-0134", ctx))
    assert EMAIL not in json.dumps(reading) and "415-555-0134" not in json.dumps(reading)
    assert reading["filled_slots"] == {"device_model": "iPhone 12 Pro", "reason": "mail [email]", "storage_gb": 128}
    assert reading["awaited_slot"] == "condition" and "[email]" in reading["message"]


# --- the merge rule -----------------------------------------------------------------------------------

def test_the_models_consent_cancel_and_handoff_are_dropped() -> None:
    guessed = (Answer(RAMBLING),)
    for command in (Affirm(), Deny(), Cancel(), Handoff("asked for a person"), Refuse("financed")):
        assert merge(guessed, (command,), text=RAMBLING) == guessed
        assert merge((CannotHandle(),), (command,), text="hmm") == (CannotHandle(),)


def test_a_question_is_never_a_yes() -> None:
    text = "ok, and what if your inspector finds a dent"
    asked = Answer("what if your inspector finds a dent?")
    assert merge((Affirm(),), (asked,), text=text) == (asked,)
    assert merge((Affirm(),), (SetSlots({"condition": "fair"}),), text=text) == (Affirm(),), "facts don't ride a yes"


def test_where_the_rules_are_unsure_the_model_is_used_but_only_for_new_facts() -> None:
    facts = SetSlots({"condition": "fair", "carrier": "verizon", "device_model": "iPhone 15"})
    assert merge((Answer(RAMBLING),), (facts,), text=RAMBLING, filled={"device_model"}) == (
        SetSlots({"condition": "fair", "carrier": "verizon"}),)
    assert merge((CannotHandle(),), (Answer("is it worth it?"),), text="meh") == (Answer("is it worth it?"),)
    guessed = Answer(RAMBLING, context={"device_model": "iPhone 12 Pro"})
    assert merge((guessed,), (Answer("?"),), text=RAMBLING) == (guessed,), "the rules' Answer keeps its context"
    assert merge((guessed,), (), text=RAMBLING) == (guessed,)


def test_a_sure_reading_stands_and_the_model_only_fills_what_it_left() -> None:
    rules = (SetSlots({"carrier": "att"}),)
    model = (SetSlots({"carrier": "verizon", "condition": "good"}), StartFlow("compare"), Answer("why?"))
    assert merge(rules, model, text="att, and it's in ok shape") == (SetSlots({"condition": "good", "carrier": "att"}),)
    question = (Answer("how long is the warranty?"),)
    assert merge(question, (SmallTalk("thanks"),), text="how long is the warranty?") == question
    assert merge((GoBack(),), (SetSlots({"condition": "good"}),), text="back") == (GoBack(),)


# --- through the engine, against the local OpenAI-compatible stub -----------------------------------------

def test_a_rambling_message_mid_trade_in_is_read_by_the_model(llm_app: App, stub: FakeOpenAI) -> None:
    stub.route(COMMANDS_PROMPT, ("status", 500), ("status", 500))  # the first shopper: the LLM is down
    rules_only = ChatHarness(llm_app, user="rules-only")
    assert rules_only.say(OPENING).flow == "trade_in"
    missed = rules_only.say(RAMBLING)
    assert "condition" not in missed.slots and "carrier" not in missed.slots, "the rules really miss both"
    assert "SetSlots" not in missed.commands and missed.flow == "trade_in"

    stub.route(COMMANDS_PROMPT, _json({"command": "set_slots", "slots": {"condition": "fair", "carrier": "verizon"}}))
    chat = ChatHarness(llm_app, user="rambler")
    chat.say(OPENING)
    outcome = chat.say(RAMBLING)
    assert outcome.slots["condition"] == "fair" and outcome.slots["carrier"] == "verizon"
    assert outcome.commands == ("SetSlots",) and outcome.slots["device_model"] == "iPhone 12 Pro"
    assert "Find My" in ChatHarness.text_of(outcome), "the flow moved on to the next question"
    reading = json.loads(_command_requests(stub)[-1]["messages"][1]["content"])
    assert reading["flow"] == "trade_in" and reading["awaited_slot"] == "carrier"
    assert reading["filled_slots"]["device_model"] == "iPhone 12 Pro" and reading["message"] == RAMBLING
    assert "iPhone 12 Pro unlocked" in reading["last_bot_question"], "the model reads the question on screen"


def test_an_llm_yes_never_books_and_an_llm_question_undoes_a_yes(llm_app: App, stub: FakeOpenAI) -> None:
    chat = ChatHarness(llm_app, user="consent")
    assert chat.say(OFFER).quote is not None
    stub.route(COMMANDS_PROMPT, _json({"command": "affirm"}), _json({"command": "handoff", "reason": "wants it"}),
               _json({"command": "answer", "question": "what if your inspector finds a dent?"}),
               _json({"command": "affirm"}))
    hedged = chat.say("sounds about right to me honestly")
    assert len(_command_requests(stub)) == 1, "the rules were unsure, so the model was asked"
    assert "Affirm" not in hedged.commands and _accepted(llm_app) == 0
    handed = chat.say("my brother thinks that number looks alright i suppose")
    assert handed.handoff is None and "Handoff" not in handed.commands
    with llm_app.sessions() as session:
        assert session.execute(select(Ticket)).first() is None, "the model's handoff opened no ticket"
    downgraded = chat.say("yes")
    assert "Affirm" not in downgraded.commands and "Answer" in downgraded.commands and _accepted(llm_app) == 0
    booked = chat.say("yes")
    assert "Affirm" in booked.commands, "a plain yes the model agrees with is still a yes"
    assert "email" in ChatHarness.text_of(booked).casefold()


def test_invalid_commands_are_dropped_and_the_rules_reading_stands(llm_app: App, stub: FakeOpenAI) -> None:
    stub.route(COMMANDS_PROMPT, _json({"command": "set_slots", "slots": {"device_model": "Nokia 3310",
                                                                         "condition": "pristine-ish"}},
                                      {"command": "book_quote", "offer_usd": 5000}),
               ("text", "Sure! Here are the commands: set condition to fair."))
    chat = ChatHarness(llm_app, user="invalid")
    chat.say(OPENING)
    for _ in range(2):
        outcome = chat.say(RAMBLING)
        assert outcome.flow == "trade_in" and outcome.slots["device_model"] == "iPhone 12 Pro"
        assert "condition" not in outcome.slots and outcome.commands == ("Answer",)
    assert len(_command_requests(stub)) == 2
    assert chat.say("verizon").slots["carrier"] == "verizon", "the conversation goes on"


def test_a_slow_llm_leaves_the_deterministic_reading(llm_app: App, stub: FakeOpenAI) -> None:
    stub.route(COMMANDS_PROMPT, ("hang", 5), ("hang", 5))  # 1 s timeout, one retry
    chat = ChatHarness(llm_app, user="slow")
    chat.say(OPENING)
    outcome = chat.say(RAMBLING)
    assert outcome.flow == "trade_in" and "carrier" not in outcome.slots and outcome.commands == ("Answer",)
    assert chat.say("verizon").slots["carrier"] == "verizon"
    assert chat.say("fair").slots["condition"] == "fair"


def test_no_email_reaches_the_model(llm_app: App, stub: FakeOpenAI) -> None:
    stub.route(COMMANDS_PROMPT, _json({"command": "cannot_handle"}))
    ChatHarness(llm_app, user="mailer").say(f"write me at {EMAIL}, my old thing sits in a drawer")
    assert _command_requests(stub), "the rules were unsure of the opening, so the model was asked"
    assert len(stub.requests) > len(_command_requests(stub)), "and the intent extractor too"
    body = json.dumps(stub.requests)
    assert EMAIL not in body and "[email]" in body


def test_eval_conversations_with_llm_reports_both_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                       test_index: Path, stub: FakeOpenAI) -> None:
    rambling = {"id": "llm-1", "category": "trade_in", "turns": [
        {"user": OPENING, "expect": {"slots": {"device_model": "iPhone 12 Pro", "storage_gb": 128}}},
        {"user": RAMBLING, "expect": {"slots": {"condition": "fair", "carrier": "verizon"}, "booked": False}}]}
    (tmp_path / "mini.yaml").write_text(yaml.safe_dump([rambling]), encoding="utf-8")
    monkeypatch.setattr(evaluation, "DATA", tmp_path)
    monkeypatch.setitem(evaluation.CHAT_SETS, "conversations", {"mini": "mini.yaml"})
    stub.route(COMMANDS_PROMPT, _json({"command": "set_slots", "slots": {"condition": "fair", "carrier": "verizon"}}))
    settings = load_settings(llm_provider="openai", openai_base_url=stub.base_url, llm_timeout_s=1.0,
                             index_dir=test_index)
    report = evaluation.run_eval(settings, "conversations", with_llm=True)
    assert "== LLM off ==" in report.text and "== LLM on ==" in report.text
    assert report.data["LLM off"]["mini"]["pass^1"] == 0.0, "the rules alone miss condition and carrier"
    assert report.data["LLM on"]["mini"]["pass^1"] == 1.0
    assert report.data["LLM on"]["mini"]["unconsented_bookings"] == 0
