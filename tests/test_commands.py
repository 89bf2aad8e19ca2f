"""Commands and consent: a question is never a yes, a forged button is refused, an unanswered question is kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import App
from bot.nlu import consent
from bot.nlu.commands import Affirm, Answer, SetSlots
from bot.nlu.reader import CommandReader
from bot.nlu.reading_context import ReadingContext
from bot.settings import PROJECT_ROOT
from bot.storage.models import Conversation, QuoteRow, UnansweredQuestion
from tests.conftest import ChatHarness

OFFER = "sell my galaxy s22 128gb, unlocked, mint condition, google account removed"
# Messages that are not a yes to the offer on screen: questions, hedges, conditions, counteroffers.
NOT_YES_STARTS = ["ok,", "ok but", "yes if", "sure, but", "maybe", "hmm", "yeah?", "deal?", "fine, what if",
                  "probably yes,", "ok and", "is that", "can you do", "would you", "alright, how about"]
NOT_YES_ENDS = ["what if your inspector finds a dent?", "can you do $200?", "i need to ask my wife first",
                "is that the best you can do?", "does that include shipping?", "if you pay 300", "let me think",
                "what happens if it's worse?", "how fast do i get paid?", "not sure yet"]


_APPS: dict[str, App] = {}


def _at_offer(app: App) -> ChatHarness:
    chat = ChatHarness(app, user=f"consent-{uuid.uuid4().hex[:8]}")
    assert chat.say(OFFER).quote is not None
    return chat


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.sampled_from(NOT_YES_STARTS), end=st.sampled_from(NOT_YES_ENDS))
def test_no_message_that_is_not_a_yes_moves_past_the_offer(make_app: Callable[..., App], sqlite_url: str,
                                                           start: str, end: str) -> None:
    app = _APPS.get(sqlite_url) or _APPS.setdefault(sqlite_url, make_app(sqlite_url))  # one bot for every example
    chat = _at_offer(app)
    outcome = chat.say(f"{start} {end}")
    assert "Affirm" not in outcome.commands
    with app.sessions() as session:
        assert session.execute(select(QuoteRow).where(QuoteRow.status == "accepted")).first() is None
        state = session.execute(select(Conversation.state).where(Conversation.key.endswith(chat.user))).scalar_one()
    assert state.get("step") == "decide", "a question or a hedge moved past the offer"


@pytest.mark.parametrize("text", ["yes", "Yes please!", "deal", "ok let's do it", "sure, i accept",
                                  "that's it? fine, yes", "ok forget it, i'll take it as is. yes", "lol ok bet. accept"])
def test_an_unmistakable_yes_is_a_yes(text: str) -> None:
    assert consent.is_yes(text)


@pytest.mark.parametrize("text", ["ok, and what if your inspector finds a dent?", "yes if you can do 300",
                                  "probably yes, just gotta check with my wife first", "sure but can you do more",
                                  "ok?", "is that the best you can do"])
def test_a_question_or_a_hedge_is_never_a_yes(text: str) -> None:
    assert not consent.is_yes(text)


def test_a_device_named_in_a_side_question_is_context_not_a_slot(chat: ChatHarness) -> None:
    reader = CommandReader(chat.app.engine.dialogue.p.understander)
    device = chat.app.shop.catalog.by_name("iPhone 14")
    ctx = ReadingContext(flow_intent="trade_in", awaited="condition", flow_slots=frozenset({"device_model", "condition"}),
                         slots={"device_model": "iPhone 14"}, device=device)
    commands = reader.read("btw does a refurb galaxy s23 come unlocked? might get one", ctx)
    assert [type(c) for c in commands] == [Answer]
    assert commands[0].context["device_model"] == "Galaxy S23"  # type: ignore[union-attr]
    corrected = reader.read("actually it's an iphone 14 pro", ctx)
    assert isinstance(corrected[0], SetSlots) and corrected[0].slots["device_model"] == "iPhone 14 Pro"


def test_a_reply_sets_every_slot_it_states(chat: ChatHarness) -> None:
    reader = CommandReader(chat.app.engine.dialogue.p.understander)
    ctx = ReadingContext(flow_intent="trade_in", awaited="carrier",
                         flow_slots=frozenset({"device_model", "carrier", "condition", "account_locked"}),
                         slots={"device_model": "Pixel 8"}, device=chat.app.shop.catalog.by_name("Pixel 8"))
    (command,) = reader.read("verizon, and it's in good shape, google account already removed", ctx)
    assert isinstance(command, SetSlots)
    assert dict(command.slots) == {"carrier": "verizon", "condition": "good", "account_locked": False}
    assert reader.read("yes", ReadingContext(flow_intent="trade_in", awaited="accept", awaited_is_yes_no=True)) == (
        Affirm(),)


@pytest.mark.parametrize("payload", ["s:condition=mint", "s:battery_health_pct=-50", "s:storage_gb=99999999999",
                                     "s:carrier=bitcoin", "s:storage_gb=1.5"])
def test_forged_button_values_are_refused_and_not_stored(chat: ChatHarness, payload: str) -> None:
    chat.say("sell my iphone 12 pro")
    before = chat.say("128gb").slots
    outcome = chat.press(payload)
    assert outcome.replies[0].response in ("invalid_value", "stale_button")  # a value no question on screen took
    slot = payload[2:].split("=")[0]
    assert outcome.slots.get(slot) == before.get(slot)


def test_a_forged_payout_method_at_the_payout_step_is_refused(chat: ChatHarness) -> None:
    chat.say(OFFER)
    chat.say("yes")
    chat.say("me@example.com")
    outcome = chat.press("s:payout_method=bitcoin")
    assert outcome.replies[0].response == "invalid_value" and "payout_method" not in outcome.slots
    with chat.app.sessions() as session:
        assert session.execute(select(QuoteRow).where(QuoteRow.status == "accepted")).first() is None


def test_an_unanswered_question_is_declined_recorded_and_listed(chat: ChatHarness, sqlite_url: str) -> None:
    outcome = chat.say("do you offer gift wrapping?")
    assert [r.response for r in outcome.replies] == ["no_reliable_answer"]
    assert outcome.handoff is None and "Talk to a person" in ChatHarness.labels(outcome)
    with chat.app.sessions() as session:
        row = session.execute(select(UnansweredQuestion)).scalar_one()
        conversation = session.get(Conversation, row.conversation_id)
    assert row.text == "do you offer gift wrapping?" and conversation is not None
    env = {**os.environ, "DATABASE_URL": sqlite_url, "LOG_LEVEL": "WARNING"}
    listed = subprocess.run([sys.executable, "run_bot.py", "unanswered", "--json"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(listed.stdout)[0]["question"] == "do you offer gift wrapping?"


def test_an_unanswered_question_is_kept_without_personal_data(chat: ChatHarness) -> None:
    chat.say("do you offer gift wrapping? mail me at jo@example.com or call 555-123-4567")
    with chat.app.sessions() as session:
        text = session.execute(select(UnansweredQuestion.text)).scalar_one()
    assert "jo@example.com" not in text and "555-123-4567" not in text and "[email]" in text and "[phone]" in text


def test_the_understand_command_prints_commands() -> None:
    env = {**os.environ, "LOG_LEVEL": "WARNING", "INDEX_DIR": str(PROJECT_ROOT / "var" / "test-index")}
    done = subprocess.run([sys.executable, "run_bot.py", "understand", "--json", "am I talking to a machine?"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout)["commands"] == ["SmallTalk(kind=identity)"]


def test_a_fact_given_after_the_offer_supersedes_it_and_its_accept_books_nothing(chat: ChatHarness) -> None:
    first = chat.say(OFFER).quote
    assert first is not None and first.condition == "flawless"
    accept_first = next(b.payload for r in chat.last.replies for b in r.buttons if b.label == "Accept")  # type: ignore[union-attr]
    second = chat.say("oh, the rear glass is actually broken").quote
    assert second is not None and second.quote_id != first.quote_id and second.condition == "broken"
    assert second.offer_usd < first.offer_usd
    stale = chat.press(accept_first)
    assert [r.response for r in stale.replies][:2] == ["offer_replaced", "offer"]
    assert "email" not in ChatHarness.text_of(stale).casefold()
    with chat.app.sessions() as session:
        statuses = dict(session.execute(select(QuoteRow.id, QuoteRow.status)).all())
    assert statuses == {first.quote_id: "superseded", second.quote_id: "offered"}


@pytest.mark.parametrize(("link", "reply"), [
    ("d:quote-iphone-13", "how much storage does your iphone 13 have"),
    ("d:compare-pixel-8", "pixel 8 (128 gb, our most common configuration): refurbished vs new"),
    ("d:compare-galaxy-s23-ultra", "galaxy s23 ultra (256 gb, our most common configuration)"),
    ("d:quote-nokia-3310", "i'm the loop market assistant"),
    ("d:garbage", "i'm the loop market assistant"),
])
def test_a_deep_link_starts_its_task_with_the_device_or_greets(chat: ChatHarness, link: str, reply: str) -> None:
    assert reply in ChatHarness.text_of(chat.press(link)).casefold()


def test_a_device_named_alone_starts_its_quote_with_compare_a_tap_away(chat: ChatHarness) -> None:
    first = chat.say("iphone 14 plus")
    assert first.flow == "trade_in" and first.commands == ("WhichTask",)
    assert [b.label for b in first.replies[0].buttons] == ["Compare the iPhone 14 Plus refurbished vs new"]
    assert "How much storage does your iPhone 14 Plus have" in ChatHarness.text_of(first)
    facts = chat.say("256gb at&t, its pretty beat up, scratches everywhere and a small dent but no cracks")
    assert facts.flow == "trade_in"
    assert {k: facts.slots.get(k) for k in ("device_model", "storage_gb", "carrier", "condition")} == {
        "device_model": "iPhone 14 Plus", "storage_gb": 256, "carrier": "att", "condition": "fair"}


@pytest.mark.parametrize(("correction", "slot", "value"), [
    ("wait its not an s22, its the s22 ultra my bad", "device_model", "Galaxy S22 Ultra"),
    ("sorry its on boost mobile actually, not unlocked", "carrier", "other"),
    ("hold on, its the 256 not 128, just checked settings", "storage_gb", 256),
])
def test_a_correction_that_denies_the_old_value_takes_the_new_one(chat: ChatHarness, correction: str, slot: str,
                                                                  value: object) -> None:
    first = chat.say(OFFER)
    assert first.quote is not None
    chat.press("s:accept=true@" + first.quote.quote_id)  # at the email step now
    corrected = chat.say(correction)
    assert corrected.slots[slot] == value and "email" not in corrected.slots
    assert corrected.quote is not None and corrected.quote.quote_id != first.quote.quote_id, "a new offer"
    with chat.app.sessions() as session:
        assert session.get(QuoteRow, first.quote.quote_id).status == "superseded"  # type: ignore[union-attr]


def test_a_battery_reading_after_the_offer_re_quotes(chat: ChatHarness) -> None:
    first = chat.say("sell my iphone 13 128gb unlocked flawless, find my is off")
    assert first.quote is not None and "battery health of at least 80%" in ChatHarness.text_of(first)
    again = chat.say("76%")
    assert again.quote is not None and again.quote.offer_usd < first.quote.offer_usd
    assert again.slots["battery_health_pct"] == 76


def test_a_plain_yes_in_a_sentence_accepts_but_books_nothing_yet(chat: ChatHarness) -> None:
    chat.say(OFFER)
    outcome = chat.say("sure, sounds fair. send me the label")
    assert outcome.commands == ("Affirm",) and "email address" in ChatHarness.text_of(outcome)
    with chat.app.sessions() as session:
        assert session.execute(select(QuoteRow.status)).scalar_one() == "offered"


def test_follow_up_questions_are_about_the_device_just_shown(chat: ChatHarness) -> None:
    shown = chat.say("new iphone 16 or refurb one, whats the diff in price")
    assert shown.slots["device_model"] == "iPhone 16" and "$" in ChatHarness.text_of(shown)
    battery = ChatHarness.text_of(chat.say("would the refurb have a good battery"))
    assert "80%" in battery and "smartphone" in battery  # the phone's minimum, not the laptop's
    co2 = chat.say("and the co2 difference?")
    assert "iPhone 16" in ChatHarness.text_of(co2) and "kg" in ChatHarness.text_of(co2)
    again = chat.say("ok and how much cheaper is it")
    assert again.commands == ("StartFlow",) and "save $" in ChatHarness.text_of(again)
    other = chat.say("do you price match best buy?")  # not about the result: the shop's answer
    assert "price-match" in ChatHarness.text_of(other)


def test_after_the_upgrade_math_buying_new_instead_shows_the_numbers(chat: ChatHarness) -> None:
    chat.say("thinking of upgrading from my pixel 6 to a pixel 8, how much would it cost me")
    chat.say("the 6 is 128, fair, tmobile, google acct removed")
    outcome = chat.say("vs just buying the 8 new?")
    text = ChatHarness.text_of(outcome)
    assert "Pixel 8" in text and "$699 new" in text and "accept this offer" in text, text


@pytest.mark.parametrize(("first", "follow_up", "fact"), [
    ("whats the difference between premium and excellent", "and fair?", "Fair device has visible scratches"),
    ("will the battery be trash on a refurb iphone", "what about a macbook", "85%"),
])
def test_a_short_follow_up_is_read_with_the_answer_before_it(chat: ChatHarness, first: str, follow_up: str,
                                                             fact: str) -> None:
    assert chat.say(first).sources
    outcome = chat.say(follow_up)
    assert fact in ChatHarness.text_of(outcome) and outcome.flow is None, "answered, not a task started"


def test_back_to_the_quote_after_a_side_comparison_keeps_the_device_being_quoted(chat: ChatHarness) -> None:
    chat.say("pixel 8 pro 512 verizon")
    side = chat.say("btw is a refurb s24 ultra worth it vs new?")
    assert side.slots["device_model"] == "Galaxy S24 Ultra" and "$" in ChatHarness.text_of(side)
    back = chat.say("ok back to my pixel. flawless, google acct removed")
    assert back.quote is not None and back.quote.device_model == "Pixel 8 Pro" and back.quote.storage_gb == 512


def test_after_the_upgrade_math_the_offer_for_the_old_device_is_asked_to_be_accepted(chat: ChatHarness) -> None:
    outcome = chat.say("i got an iphone 11 64gb good at&t, find my off. how much to get a refurb iphone 13 if i trade it")
    assert outcome.quote is not None and (outcome.quote.device_model, outcome.quote.storage_gb) == ("iPhone 11", 64)
    text = ChatHarness.text_of(outcome)
    assert "Upgrade math" in text and text.endswith("Would you like to accept this offer?"), text
    assert "email address" in ChatHarness.text_of(chat.press("s:accept=true"))


def test_two_devices_to_sell_start_with_the_first_and_keep_the_shared_facts(chat: ChatHarness) -> None:
    first = chat.say("want to sell my iphone 13 and my galaxy s21, both 128, good, unlocked")
    assert first.flow == "trade_in" and "one at a time" in ChatHarness.text_of(first)
    assert {k: first.slots.get(k) for k in ("device_model", "storage_gb", "condition", "carrier")} == {
        "device_model": "iPhone 13", "storage_gb": 128, "condition": "good", "carrier": "unlocked"}


def test_found_it_in_settings_is_the_model_not_a_found_phone(chat: ChatHarness) -> None:
    chat.say("what would u give me for my old samsung")
    outcome = chat.say("found it in settings, s22 ultra 256gb")
    assert outcome.commands != ("Refuse",) and outcome.slots.get("device_model") == "Galaxy S22 Ultra"
    assert chat.say("i found an iphone on the bus, can i sell it").commands == ("Refuse",)


def test_accept_answers_only_an_offer_never_the_lock_question(chat: ChatHarness) -> None:
    chat.say("iphone 15 plus 256 good unlocked")  # the lock question is on screen
    outcome = chat.say("accept")
    assert "account_locked" not in outcome.slots and outcome.quote is None


@pytest.mark.parametrize(("line", "slot", "value"), [
    ("scratch that its unlocked, paid it off and verizon unlocked it last year", "carrier", "unlocked"),
    ("nvm just checked, 128 was right. sorry lol", "storage_gb", 128),
    ("nope thats my daughters phone lol. mine is the galaxy s22 ultra", "device_model", "Galaxy S22 Ultra"),
])
def test_a_correction_that_sounds_like_cancel_or_a_question_is_a_correction(chat: ChatHarness, line: str, slot: str,
                                                                           value: object) -> None:
    chat.say("galaxy s22 256gb verizon good condition, google account removed")
    outcome = chat.say(line)
    assert outcome.flow == "trade_in" and outcome.slots[slot] == value and outcome.quote is not None


def test_a_polite_request_starts_the_task(chat: ChatHarness) -> None:
    outcome = chat.say("hi can i get a trade in quote")
    assert outcome.flow == "trade_in" and "Which device" in ChatHarness.text_of(outcome)


@pytest.mark.parametrize("text", ["i would like to accept it for 250", "i accept for $200", "ok i accept 200",
                                  "i'd accept it at 275", "ok, my email is sam@example.com"])
def test_an_accept_that_names_its_own_price_or_only_gives_an_email_is_not_a_yes(text: str) -> None:
    assert not consent.is_yes(text) and not consent.wants_offer(text)
