"""What the bot picks up from one message: the slots a shopper would expect, and none they did not state."""

from __future__ import annotations

from typing import Any

import pytest

from bot.nlu.understand import Understander
from bot.settings import load_settings
from bot.shop import load_shop

SETTINGS = load_settings()
UNDERSTANDER = Understander(load_shop(SETTINGS.path(SETTINGS.config_dir), SETTINGS.path(SETTINGS.knowledge_dir)).catalog)


@pytest.mark.parametrize(("text", "expected"), [
    ("do you buy pixel 9 pros", {"device_model": "Pixel 9 Pro"}),
    ("do you sell macbook air m3s", {"device_model": "MacBook Air (M3, 2024)"}),
    ("pixle 6 128 gb good condishun how much u give", {"device_model": "Pixel 6", "storage_gb": 128}),
    ("sell my iphne 13 pro", {"device_model": "iPhone 13 Pro"}),
    ("i have a 2020 iphone se just collecting dust. any value?", {"device_model": "iPhone SE (2nd generation)"}),
    ("how much for a 3rd gen iphone se", {"device_model": "iPhone SE (3rd generation)"}),
    ("my macbook air m3, 16gb ram 512 ssd. what would u pay", {"storage_gb": 512}),
    ("My husband's old S21, 128GB, AT&T. Battery health is at 79%. Worth selling?",
     {"device_model": "Galaxy S21", "carrier": "att", "battery_health_pct": 79}),
    ("ip15 512 unlockd, 88 bh, some light scuffs, how much",
     {"carrier": "unlocked", "battery_health_pct": 88, "condition": "good"}),
    ("zflip5 256 hinge snapped wat can i get", {"condition": "broken"}),
    ("my old pixel 6 has a green line down the screen, is it worth anything to you", {"condition": "broken"}),
    ("ngl my s24+ has been sitting in a drawer, 256 gigs, not a single scratch. what's it worth to you",
     {"condition": "flawless"}),
    ("12pm 128 unlocked good, offer?", {"device_model": "iPhone 12 Pro Max", "condition": "good"}),
    ("S23 256 unlocked. still signed into my samsung account tho, can i still get a quote", {"account_locked": True}),
    ("wanna sell pixel 8 pro, 128gb, google account already removed", {"account_locked": False}),
    ("how much would u give for my iphone 16 pro 512? it's still on my icloud", {"account_locked": True}),
    ("I have a Pixel 7 (128GB, unlocked, no visible scratches). How much can I get?",
     {"carrier": "unlocked", "condition": "flawless"}),
    ("sell my s22 128gb, it's on visible", {"carrier": "other"}),
    ("apple iphone 15 pro max titanium 256gb, bought at verizon but its unlocked now, 10/10",
     {"device_model": "iPhone 15 Pro Max", "carrier": "unlocked", "condition": "flawless"}),
    ("pixl 7 pro 256 hazel unlocked 9/10", {"device_model": "Pixel 7 Pro", "condition": "good"}),
    ("s22 ultra 256 unlocked no burn in, no cracks, light scuffs", {"condition": "good"}),
    ("galaxy s21 ultra 512 sprint, burn in on the screen from the keyboard", {"condition": "broken", "carrier": "other"}),
    ("13 pro 128, my case is cracked but the phone is perfect, tmobile", {"condition": "flawless"}),
    ("13pm 512 sierra blue tmobile bh 84 some dings on the corners", {"condition": "fair", "battery_health_pct": 84}),
    ("Pixel 8 256GB obsidian, T-Mobile, FRP is off, tiny scuff on the camera bar", {"account_locked": False}),
    ("fold5 256 verizon, samsung account still signed in", {"account_locked": True}),
    ("pixle 8 128gb google fi, still has my google account on it", {"carrier": "other", "account_locked": True}),
    ("galaxy s20 128 unlocked, heavy wear", {"storage_gb": 128, "condition": "fair"}),
    ("iphone 15 pro max, I think it's the 256 one, unlocked", {"storage_gb": 256}),
])
def test_slots_stated_are_picked_up(text: str, expected: dict[str, Any]) -> None:
    slots = UNDERSTANDER.understand(text, learned=False).slots
    assert {k: slots.get(k) for k in expected} == expected


@pytest.mark.parametrize(("text", "absent"), [
    ("can you carrier unlock my phone for me", "carrier"),
    ("where's the nearest t-mobile store", "carrier"),
    ("perfect, ty", "condition"),
    ("how much is an iphone 14 pro 256 in good condition to buy", "condition"),
    ("small scratch on the back barely visible, sell my iphone 13", "carrier"),
    ("does the warranty cover a cracked screen", "condition"),
    ("sell my ipad 9th gen wi fi 64gb", "carrier"),  # Wi-Fi is not Google Fi
    ("sell my iphone 13 with everything in the box", "condition"),  # a full box says nothing about wear
])
def test_nothing_is_read_into_a_message_that_does_not_say_it(text: str, absent: str) -> None:
    assert absent not in UNDERSTANDER.understand(text, learned=False).slots


@pytest.mark.parametrize(("text", "named_back"), [
    ("galaxy z fold 4 512 verizon, inner screen cracked", "Galaxy Z Fold 4"),  # not the Fold5 we carry
    ("ipad pro 12.9 2021 1tb wifi, flawless", "iPad Pro"),  # not the 2021 iPad we carry
])
def test_a_model_we_do_not_carry_is_named_back_not_swapped(text: str, named_back: str) -> None:
    understanding = UNDERSTANDER.understand(text, learned=False)
    assert "device_model" not in understanding.slots
    assert understanding.device is not None and understanding.device.unknown == named_back


def test_a_year_or_generation_narrows_a_vague_family() -> None:
    mention = UNDERSTANDER.understand("my 2021 iphone", learned=False).device
    assert mention is not None and mention.candidates
    assert {d.year for d in mention.candidates} == {2021}
