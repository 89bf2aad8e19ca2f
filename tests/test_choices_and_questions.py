"""The choice that books, questions that name a device, and facts that belong to one device only."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.domain import Outcome
from bot.nlu.payout import payout_choice
from bot.nlu.slots import extract_carrier, extract_condition
from bot.storage.models import QuoteRow
from tests.conftest import ChatHarness


def _at_payout(chat: ChatHarness) -> Outcome:
    chat.say("iphone 11 64 unlocked fair find my off")
    chat.press("s:accept=true")
    out = chat.say("kev_o@gmail.com")
    assert "How would you like to be paid" in chat.text_of(out)
    return out


def _accepted(chat: ChatHarness) -> int:
    with chat.app.sessions() as session:
        return int(session.execute(select(func.count()).select_from(QuoteRow)
                                   .where(QuoteRow.status == "accepted")).scalar_one())


def test_a_hedged_or_questioned_payout_books_nothing_and_a_clear_one_books(chat: ChatHarness) -> None:
    _at_payout(chat)
    for hedge in ("idk paypal maybe? or bank",
                  "Hmm, I don't have a PayPal account and I'm not sure about giving out bank details. "
                  "Could you mail me a check instead?"):
        out = chat.say(hedge)
        assert _accepted(chat) == 0, f"booked on {hedge!r}"
        assert "payout_method" not in out.slots and "PayPal" in chat.labels(out), "the payout question stays"
    chat.say("Alright, bank transfer then.")
    assert _accepted(chat) == 1


def test_a_payout_choice_is_one_method_said_plainly_or_corrected() -> None:
    assert payout_choice("ach. wait no, make it paypal", as_answer=True) == "paypal"
    assert payout_choice("i don't have paypal so bank", as_answer=True) == "ach"
    assert payout_choice("actually bank transfer instead of paypal", as_answer=True) == "ach"
    assert payout_choice("paypal or bank, whichever", as_answer=True) is None


def test_the_upgrade_math_shows_its_figure_but_offers_only_once_the_lock_is_off(chat: ChatHarness) -> None:
    math = chat.say("should i upgrade my s21 128gb to an s24? mine is in good shape, unlocked")
    assert math.quote is None and "about $" in chat.text_of(math) and "after trade-in" in chat.text_of(math)
    assert "Yes, it's removed" in chat.labels(math)
    offer = chat.press("s:account_locked=false")
    assert offer.quote is not None and "Would you like to accept this offer?" in chat.text_of(offer)


def test_another_device_named_for_a_new_task_brings_none_of_the_last_ones_facts(chat: ChatHarness) -> None:
    chat.say("wanna trade in my iphone 12 and get a refurb 15, how does that work")
    chat.say("128gb")
    out = chat.say("selling my pixel 7")
    assert out.slots.get("device_model") == "Pixel 7" and "storage_gb" not in out.slots
    assert "256 GB" in chat.labels(out), "the Pixel's own storage is asked"


def test_a_device_we_do_not_buy_keeps_its_facts_to_itself(chat: ChatHarness) -> None:
    chat.say("I found my old iPhone XR in the junk drawer. 128 GB, unlocked, good shape, Find My is off. Worth anything?")
    out = chat.say("Oh. What about my iPad then? It's an iPad (9th generation).")
    assert out.slots.get("device_model") == "iPad (9th generation)" and "storage_gb" not in out.slots
    assert "How much storage does your iPad (9th generation) have?" in chat.text_of(out)


def test_a_short_model_number_mid_task_and_a_typed_pick_among_candidates(chat: ChatHarness) -> None:
    chat.say("wanna trade in my iphone 12 and get a refurb 15, how does that work")
    out = chat.say("how much is a refurb 15 in excellent btw")
    assert "iPhone 15" in chat.text_of(out) and "Excellent $509" in chat.text_of(out)
    assert out.slots["device_model"] == "iPhone 12"
    chat.say("start over")
    chat.say("wanna sell my ipad")
    picked = chat.say("10th gen")
    assert picked.slots.get("device_model") == "iPad (10th generation)"


def test_questions_that_name_a_device_are_answered_not_started(chat: ChatHarness) -> None:
    locked = chat.say("quote says $220 for my iphone 14, btw its locked to tmobile does that change anything")
    assert locked.flow is None and "lower offer" in chat.text_of(locked)
    apple = chat.say("what does apple give for an iphone 15 pro trade in")
    assert apple.flow is None and "15 Pro $400" in chat.text_of(apple)
    box = chat.say("I'm buying a refurbished MacBook Air M2 for my nephew. Will it come with a charger in the box?")
    assert box.flow is None and "charging cable" in chat.text_of(box)
    battery = chat.say("What battery capacity is guaranteed on it?")
    assert "85%" in chat.text_of(battery), "the laptop's battery minimum, not the phone's"


def test_another_stores_order_is_not_ours_to_look_up(chat: ChatHarness) -> None:
    out = chat.say("where is my order from best buy, it was supposed to be here tuesday")
    assert out.handoff is None and "another store" in chat.text_of(out)
    ours = chat.say("where is my order? it was supposed to be here tuesday")
    assert ours.handoff is not None


def test_readings_of_locks_and_conditions() -> None:
    said = "I got this phone through AT&T and I don't think they ever unlocked it, so it's probably AT&T-locked."
    assert extract_carrier(said) == "att"
    assert extract_carrier("bought it at verizon, unlocked now") == "unlocked"
    assert extract_condition("It's good. Barely used, a couple of faint marks.", bare_word=True) == "good"
    assert extract_condition("good, but the screen is cracked", bare_word=True) == "broken"


def test_after_a_comparison_a_question_about_the_item_is_answered(chat: ChatHarness) -> None:
    chat.say("pixel8 refurb vs new")
    unlocked = chat.say("unlocked?")
    assert "unlocked for any US carrier" in chat.text_of(unlocked) and "refurbished vs new" not in chat.text_of(unlocked)


def test_another_model_named_under_the_upgrade_math_redoes_it(chat: ChatHarness) -> None:
    chat.say("Could you compare trading in my Pixel 6 and buying a refurbished Pixel 9, versus buying a new Pixel 9?")
    swapped = chat.say("How would the numbers look with a Pixel 9 Pro?")
    assert swapped.slots.get("target_model") == "Pixel 9 Pro" and "Pixel 6 → Pixel 9 Pro" in chat.text_of(swapped)
    assert swapped.slots.get("device_model") == "Pixel 6"


def test_another_model_named_at_the_offer_after_the_upgrade_math_makes_the_math_again(chat: ChatHarness) -> None:
    chat.say("switching to iphone. got a pixel 7 pro 128 unlocked good. want the iphone 16. trade in + refurb vs new?")
    chat.press("s:account_locked=false")
    again = chat.say("and if i went with the 16 plus instead")
    assert "Pixel 7 Pro → iPhone 16 Plus" in chat.text_of(again) and again.slots.get("target_model") == "iPhone 16 Plus"
    assert "Accept" in chat.labels(again), "the offer is on screen again"
    priced = chat.say("I'm swapping my ipad 9th gen for an ipad air 5th gen, what would it cost if i trade in")
    assert "iPad (9th generation) → iPad Air (5th generation)" in chat.text_of(priced)


def test_whether_a_described_device_sells_as_a_condition_is_answered_by_definition(chat: ChatHarness) -> None:
    out = chat.say("my ipads charging port is busted, can i sell it as good")
    assert out.flow is None and "that's Broken" in chat.text_of(out)
    rule = chat.say("how much less is a carrier locked iphone worth usually")
    assert rule.flow is None and "less than unlocked" in chat.text_of(rule)
