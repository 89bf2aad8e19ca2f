"""Comparison figures agree with the catalog and with `quote`; the CLI prints the chat's figures."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

from bot.engine.compare import CompareActions
from bot.engine.responses import load_responses
from bot.engine.trade_in import TradeInActions
from bot.settings import PROJECT_ROOT
from bot.shop import load_shop
from tests.conftest import ChatHarness

SHOP = load_shop(PROJECT_ROOT / "config", PROJECT_ROOT / "knowledge")
RESPONSES = load_responses(PROJECT_ROOT / "config" / "responses.yaml", SHOP.policy)
ACTIONS = CompareActions(SHOP, TradeInActions(SHOP, RESPONSES), RESPONSES)


def test_every_device_compares_consistently_with_the_catalog() -> None:
    for device in SHOP.catalog.devices:
        for storage in device.storage_gb:
            c = ACTIONS.comparison(device, storage)
            assert c.new_price_usd == device.new_price_usd[storage]
            for grade in c.grades:
                assert grade.price_usd == device.refurbished_usd[storage][grade.grade]
                assert grade.saving_usd == c.new_price_usd - grade.price_usd
                assert grade.saving_usd > 0, f"{device.name} {storage}: refurbished must be cheaper than new"
            assert c.co2e_avoided_kg[0] <= c.co2e_avoided_kg[1] < c.co2e_new_kg[1]


def test_upgrade_math_uses_the_same_figure_as_the_trade_in_path(chat: ChatHarness) -> None:
    chat.say("i have an iphone 13 128gb, unlocked, thinking about an iphone 16 pro")
    math = chat.say("flawless")
    assert math.quote is None, "no offer before the account lock is known to be off"
    cli = subprocess.run([sys.executable, "run_bot.py", "quote", "iPhone 13", "--storage", "128", "--condition",
                          "flawless", "--json"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
                         timeout=60, env={"PATH": "/usr/bin:/bin"})
    offer = Decimal(str(json.loads(cli.stdout)["offer_usd"]))
    text = ChatHarness.text_of(math)
    target = SHOP.catalog.by_name("iPhone 16 Pro")
    assert target is not None
    new = target.new_price_usd[target.base_storage]
    assert f"about ${offer:,.0f}" in text and f"${new - offer:,.0f} after trade-in" in text
    offered = chat.press("s:account_locked=false")
    assert offered.quote is not None and offered.quote.offer_usd == offer


def test_compare_cli_prints_the_chat_figures(chat: ChatHarness) -> None:
    chat.say("refurbished galaxy s23 vs new")
    text = ChatHarness.text_of(chat.press("s:storage_gb=256"))
    cli = subprocess.run([sys.executable, "run_bot.py", "compare", "galaxy s23", "--storage", "256", "--json"],
                         cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin"})
    figures = json.loads(cli.stdout)
    assert figures["device_model"] == "Galaxy S23" and figures["storage_gb"] == 256
    for grade in figures["refurbished"]:
        assert f"{grade['grade'].capitalize()}: ${grade['price_usd']:,.0f}" in text
    assert f"New: ${figures['new_price_usd']:,.0f}" in text


def test_a_device_not_yet_sold_refurbished_is_said_honestly() -> None:
    from dataclasses import replace

    from bot.domain import Reply
    from bot.engine.turn import Turn

    device = SHOP.catalog.by_name("iPhone 16 Pro Max")
    assert device is not None
    too_new = replace(device, refurbished_usd={})
    catalog = replace(SHOP.catalog, devices=(too_new,))
    actions = CompareActions(replace(SHOP, catalog=catalog), TradeInActions(SHOP, RESPONSES), RESPONSES)
    result = actions.show_comparison(Turn(store=None, now=None, state=None),  # type: ignore[arg-type]
                                     {"device_model": "iPhone 16 Pro Max"})
    assert result.outcome == "failed"
    assert result.replies == (Reply("Sorry: we don't sell the iPhone 16 Pro Max refurbished yet.",
                                    response="compare_problem"),)
