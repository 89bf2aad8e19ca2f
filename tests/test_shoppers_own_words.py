"""Readings found wrong with new shoppers' words: who may sell stays refused, facts told in a question carry into
the task it offers, an idiom that agrees, a "no" that corrects something else, and a contrast that is no confession."""

from __future__ import annotations

from bot.nlu import people
from bot.nlu import task_talk as talk
from bot.nlu.consent import is_no, is_yes
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
    restarted = chat.say("start over")
    assert restarted.commands == ("Restart",) and restarted.flow is None
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


def test_what_was_my_offer_again_shows_it_and_the_question_stays(chat: ChatHarness) -> None:
    chat.say("iphone 11 64gb unlocked, heavy scratches no cracks, find my off")
    out = chat.say("sry was afk, what was my offer again?")
    text = chat.text_of(out)
    assert "Our offer for your iPhone 11 (64 GB, unlocked, fair): $65" in text
    assert "Would you like to accept this offer?" in text and out.quote is None
    valid = chat.say("n how long is it good for")
    assert "21 days" in chat.text_of(valid)


def test_no_offer_on_the_table_says_so(chat: ChatHarness) -> None:
    out = chat.say("what was my offer again?")
    assert "no offer on the table" in chat.text_of(out)


def test_a_pause_keeps_the_question_and_invents_nothing(chat: ChatHarness) -> None:
    chat.say("what can you give me for my galaxy s22")
    out = chat.say("Hmm good question, hang on, I have to figure out where that is in the settings 😅")
    assert "take your time" in chat.text_of(out).casefold() and "storage_gb" not in out.slots
    found = chat.say("Found it! Under Storage it says 256 GB. Who knew!")
    assert found.slots.get("storage_gb") == 256 and found.flow == "trade_in"


def test_a_model_corrected_inside_the_message_and_the_phone_upgraded_to(chat: ChatHarness) -> None:
    out = chat.say("wanna sell my iphone 13 wait no its the 13 pro, 128gb")
    assert out.slots.get("device_model") == "iPhone 13 Pro" and out.flow == "trade_in"
    story = chat.say("my daughter talked me into upgrading to a Galaxy S24 and now my old phone sits in a drawer, "
                     "i want to sell it. it's on Verizon, 128 gigs, light scratches, it's an iPhone 13 by the way")
    assert story.slots.get("device_model") == "iPhone 13"


def test_two_questions_joined_by_n_and_a_decline_in_a_sentence(chat: ChatHarness) -> None:
    out = chat.say("whats the warranty on refurb stuff n can i return it if i hate it")
    assert "12-month" in chat.text_of(out) and "30 days" in chat.text_of(out)
    assert is_no("Hmm, I think I'll pass for now, thank you though.")
    assert not is_no("i'll pass if it's under 100")


def test_the_price_of_a_phone_to_buy_mid_sale_keeps_the_sale(chat: ChatHarness) -> None:
    chat.say("I'm finally getting rid of my old Pixel 6, it's on AT&T")
    out = chat.say("Before I forget, what do you guys charge for a refurbished Pixel 8?")
    assert "$" in chat.text_of(out) and out.slots.get("device_model") == "Pixel 6"
    assert "How much storage does your Pixel 6 have?" in chat.text_of(out)


def test_the_operator_is_the_carrier_not_a_person(chat: ChatHarness) -> None:
    out = chat.say("Good day. I wish to sell my Samsung Galaxy S22 with 256 GB of memory. The operator is T-Mobile.")
    assert out.handoff is None and out.slots.get("carrier") == "tmobile" and out.flow == "trade_in"
    refused = chat.say("Kindly note that the device is not fully paid yet; I still pay monthly installments for it "
                       "to the operator.")
    assert refused.handoff is None and refused.flow is None and "financing balance" in chat.text_of(refused)


def test_a_correction_inside_a_long_message_leaves_one_device(chat: ChatHarness) -> None:
    out = chat.say("hi so I want to trade in my iPhone 13, oh hang on, no, it's the 13 Pro, the one with three "
                   "cameras, my sister has the regular 13 and I always mix them up, anyway mine's 128GB")
    assert out.flow == "trade_in" and out.slots.get("device_model") == "iPhone 13 Pro"
    assert out.slots.get("storage_gb") == 128


def test_follow_ups_about_the_devices_in_view(chat: ChatHarness) -> None:
    chat.say("refurb iphon 14 vs new, how much do i save")
    chat.say("n warranty?")
    carrier = chat.say("will it work on verizon tho")
    assert "unlocked for any US carrier" in chat.text_of(carrier)


def test_a_side_by_side_then_a_fact_about_both(chat: ChatHarness) -> None:
    chat.say("I'm torn between a refurbished Galaxy S23 and a refurbished Pixel 8. Could you show them side by side?")
    both = chat.say("how do they compare on carbon footprint?")
    assert "Galaxy S23 emits about" in chat.text_of(both) and "Pixel 8 about" in chat.text_of(both)


def test_abroad_by_city_and_country_and_a_price_asked_politely_mid_sale(chat: ChatHarness) -> None:
    assert people.refusal("My e-mail is r.okafor@example.com. I reside in Lagos, Nigeria.") == "outside_us"
    chat.say("I want to sell Pixel 6.")
    out = chat.say("Sorry, first please tell me the price of refurbished Pixel 8. I want to buy it after.")
    assert "Pixel 8 (128 GB), refurbished" in chat.text_of(out) and out.slots.get("device_model") == "Pixel 6"


def test_recalling_the_offer_in_other_words_and_a_price_difference_is_no_recall() -> None:
    assert talk.recalls_offer("sorry, the toddler dumped cereal everywhere 🙃 I scrolled away, what was the offer you "
                              "gave me again?")
    assert talk.recalls_offer("Excuse me, could you please repeat the amount of the offer?")
    assert not talk.recalls_offer("Could you compare a refurbished iPhone 13 with a new one? What is the price "
                                  "difference?")
    assert not talk.recalls_offer("what was the offer based on?")


def test_another_business_or_country_is_answered_only_by_a_card_about_it(chat: ChatHarness) -> None:
    declined = chat.say("does amazon renewed let you return stuff for free too")
    assert declined.sources == () and "30 days" not in chat.text_of(declined)
    assert "Amazon Renewed" in chat.text_of(chat.say("how does your warranty compare to amazon renewed"))
    assert "outside the US" in chat.text_of(chat.say("do you ship to canada"))
    assert "don't price-match" in chat.text_of(chat.say("saw the same iphone 13 for $40 less on swappa, can you match it?"))
    laptop = chat.say("how much is a refurbished dell xps 13")
    assert "isn't in our catalog" in chat.text_of(laptop)
