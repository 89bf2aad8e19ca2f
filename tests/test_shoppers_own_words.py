"""Readings found wrong with new shoppers' words: who may sell stays refused, facts told in a question carry into
the task it offers, an idiom that agrees, a "no" that corrects something else, and a contrast that is no confession."""

from __future__ import annotations

from bot.nlu import people
from bot.nlu.consent import is_yes
from bot.nlu.payout import payout_choice
from bot.nlu.question_shape import is_question
from tests.conftest import ChatHarness


def test_a_seller_under_18_stays_refused_when_pressing_on_with_the_facts(chat: ChatHarness) -> None:
    first = chat.say("so i turned 16 last month and i want to sell my old pixel 7, 128gb. how does this work?")
    assert "18 or older" in chat.text_of(first) and first.flow is None
    again = chat.say("ok but my mom literally said it's fine. it's unlocked, good condition, google account off")
    assert again.quote is None and again.flow is None and "18 or older" in chat.text_of(again)
    restarted = chat.say("/start")
    assert restarted.flow is None
    still = chat.say("sell my pixel 7 128gb unlocked good, google account removed")
    assert still.quote is None and "18 or older" in chat.text_of(still), "starting over does not make one 18"


def test_a_seller_abroad_is_refused_by_province_and_by_a_relatives_address() -> None:
    assert people.refusal("Hi! I live up in Vancouver, BC, and I want to sell my iPhone 13 Pro") == "outside_us"
    assert people.refusal("Hello, I live in Monterrey, Mexico. I want to sell my iPhone") == "outside_us"
    assert people.refusal("i live in new york and want to sell my iphone") is None
    assert people.presses_refused("My brother lives in San Antonio. I can send the phone from his address, ok?")


def test_a_financed_phone_told_inside_a_question_is_refused_and_the_task_ends(chat: ChatHarness) -> None:
    chat.say("I want to sell my Galaxy S23, 256 GB, Verizon")
    out = chat.say("I must say the phone is not fully paid. I still pay monthly installments to Verizon for it. "
                   "Can you buy it?")
    assert out.flow is None and out.quote is None and "financing balance" in chat.text_of(out)


def test_facts_told_in_a_selling_question_carry_into_the_device_named_next(chat: ChatHarness) -> None:
    chat.say("its on tmobile n the back glass is cracked, can i still sell it")
    out = chat.say("galaxy s22")
    assert out.flow == "trade_in"
    assert out.slots.get("carrier") == "tmobile" and out.slots.get("condition") == "broken"
    assert "How much storage does your Galaxy S22 have?" in chat.text_of(out)


def test_the_facts_of_an_answered_question_last_one_turn_and_fit_only_their_device(chat: ChatHarness) -> None:
    chat.say("my galaxy s22 is on tmobile and the back is cracked, do you still buy those?")
    other = chat.say("pixel 7")
    assert other.slots.get("device_model") == "Pixel 7"
    assert "carrier" not in other.slots and "condition" not in other.slots, "another device: none of its facts"


def test_sure_why_not_agrees_at_the_offer_but_is_a_question_elsewhere(chat: ChatHarness) -> None:
    assert is_yes("Okay, that's reassuring. Sure, why not? Let's do it.")
    assert not is_yes("why not more?")
    chat.say("sell my iphone 13 128gb unlocked good, find my is off")
    out = chat.say("Sure, why not? Let's do it.")
    assert "What email address" in chat.text_of(out)


def test_a_no_that_corrects_the_storage_does_not_answer_the_carrier_question(chat: ChatHarness) -> None:
    chat.say("sell iphone 14 128")
    out = chat.say("wait no its 256 my bad")
    assert out.slots.get("storage_gb") == 256 and "carrier" not in out.slots
    assert "unlocked, or tied to a carrier" in chat.text_of(out)


def test_another_phone_not_mine_is_a_correction_not_a_found_phone(chat: ChatHarness) -> None:
    chat.say("trade in my Galaxy S24, 256GB, unlocked, good condition, accounts removed")
    out = chat.say("Ugh, sorry, I was looking at my husband's phone settings, not mine. Mine is actually the 128GB "
                   "and it's still on T-Mobile. Can you redo it?")
    assert out.quote is not None and (out.quote.storage_gb, out.quote.carrier) == (128, "tmobile")
    assert people.refusal("this phone isn't mine, i found it") == "lost_or_stolen"


def test_going_back_in_a_whole_sentence(chat: ChatHarness) -> None:
    chat.say("I'd like to sell my Pixel 8, 256GB")
    chat.press("s:carrier=verizon")
    out = chat.say("Oops, can we go back to the previous question? My thumb hit the wrong button.")
    assert "unlocked, or tied to a carrier" in chat.text_of(out)


def test_smaller_readings() -> None:
    assert payout_choice("Bank transfer please, I never figured out PayPal", as_answer=True) == "ach"
    assert not is_question("so my old Galaxy S22 with 128GB is free. I think it's unlocked? It has light scratches "
                           "but no cracks, everything works.")
    assert is_question("ok so i work nights and can only chat around 8pm, will there be an actual person around")
    assert not people.asks_for_person("i work nights, will there be an actual person around at 8pm?")
    assert people.complaint("got a quote 4 weeks ago and never shipped it, do i still get that price") is None
    assert people.complaint("my order never shipped and it's been two weeks") == "order status"
