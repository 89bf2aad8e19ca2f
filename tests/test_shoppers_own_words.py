"""Readings found wrong with new shoppers' words: who may sell stays refused, facts told in a question carry into
the task it offers, an idiom that agrees, a "no" that corrects something else, and a contrast that is no confession."""

from __future__ import annotations

from bot.nlu import people
from bot.nlu.consent import is_yes
from bot.nlu.devices import other_product
from bot.nlu.payout import payout_choice
from bot.nlu.question_shape import is_question
from bot.nlu.slots import extract_condition
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


def test_conditions_read_from_lists_of_denied_damage_and_parts_that_quit() -> None:
    assert extract_condition("a few light marks on the lid but no dents or cracks, everything works") == "good"
    assert extract_condition("no scratches or cracks") == "flawless"
    assert extract_condition("no dents and a cracked screen") == "broken"
    assert extract_condition("face id quit on my 13 pro, everything else is perfect") == "broken"


def test_which_condition_fits_a_part_that_quit(chat: ChatHarness) -> None:
    out = chat.say("face id quit on my 13 pro, everything else is perfect. which condition do i pick")
    assert "that's Broken" in chat.text_of(out) and out.flow is None


def test_products_we_do_not_handle_are_named_back(chat: ChatHarness) -> None:
    out = chat.say("do u buy cameras? got a canon rebel t7 w the kit lens, good shape")
    assert "camera isn't in our catalog" in chat.text_of(out) and out.flow is None
    assert other_product("does the iphone come with airpods") is None


def test_another_programs_value_is_answered_even_for_a_model_we_do_not_carry(chat: ChatHarness) -> None:
    out = chat.say("apple trade in value for an ipad pro?")
    assert "$695" in chat.text_of(out) and "isn't in our catalog" not in chat.text_of(out)
    assert out.flow is None


def test_two_devices_in_a_question_of_which_is_cheaper_get_the_side_by_side(chat: ChatHarness) -> None:
    out = chat.say("She says a refurbished Galaxy S23 is the better deal, I say a refurbished Pixel 8. "
                   "Which one is cheaper with you guys?")
    assert "Galaxy S23 vs Pixel 8" in chat.text_of(out) and out.quote is None


def test_whether_an_upgrade_plan_is_doable_is_answered_with_its_math(chat: ChatHarness) -> None:
    out = chat.say("galaxy s21 128gb verizon, heavy scratches no cracks. want a refurb s23, got like $300 extra. "
                   "doable?")
    assert "Upgrade math: Galaxy S21 → Galaxy S23" in chat.text_of(out) and out.quote is None


def test_a_chip_said_anywhere_picks_the_macbook(chat: ChatHarness) -> None:
    out = chat.say("Dear support, I want to sell a MacBook Air with the M1 chip.")
    assert out.slots.get("device_model") == "MacBook Air (M1, 2020)"


def test_which_one_is_asked_again_until_one_is_picked(chat: ChatHarness) -> None:
    chat.say("i want to sell my macbook air")
    again = chat.say("It has 256 GB SSD.")
    assert "Which one do you have?" in chat.text_of(again) and "Which device would you like" not in chat.text_of(again)
    assert again.slots.get("storage_gb") == 256
    picked = chat.say("the m2")
    assert picked.slots.get("device_model") == "MacBook Air (M2, 2022)" and picked.slots.get("storage_gb") == 256


def test_a_stranger_using_my_email_goes_to_a_person_and_a_battery_question_is_answered(chat: ChatHarness) -> None:
    assert people.complaint("someone used my email to book a trade-in i never made, can you help me") == \
        "identity or payment problem"
    assert people.complaint("i never made a quote before, how does it work?") is None
    out = chat.say("my friends iphone 12 is at 76% battery health, would u still buy it")
    assert out.flow is None and "below 80%" in chat.text_of(out)


def test_two_devices_footprints_side_by_side(chat: ChatHarness) -> None:
    out = chat.say("is a pixel 7 pro worse for the planet than a regular pixel 7")
    text = chat.text_of(out)
    assert "Pixel 7 Pro emits about 85 kg" in text and "Pixel 7 about 70 kg" in text and out.flow is None
    laptops = chat.say("macbook air m1 vs m2 co2, which one was greener to make")
    assert "161 kg" in chat.text_of(laptops) and "147 kg" in chat.text_of(laptops)
