"""Trade-in pricing: table cases, calibration against reference values, and properties."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Device
from bot.pricing.quote import quote_trade_in
from bot.pricing.rules import CARRIERS, CONDITIONS
from bot.settings import PROJECT_ROOT
from bot.shop import Shop, load_shop

SHOP: Shop = load_shop(PROJECT_ROOT / "config", PROJECT_ROOT / "knowledge")
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
# Apple Trade In "up to" values (facts.md): a flawless, base-storage, unlocked quote is within ±30%.
REFERENCE = {"iPhone 16 Pro Max": 670, "iPhone 16 Pro": 550, "iPhone 16 Plus": 450, "iPhone 16": 420,
             "iPhone 15 Pro Max": 470, "iPhone 15 Pro": 400, "iPhone 15": 310, "iPhone 14 Pro Max": 370,
             "iPhone 14": 220, "iPhone 13 Pro Max": 300, "iPhone 13": 180, "iPhone 12": 130, "iPhone 11": 100,
             "iPhone SE (3rd generation)": 80, "iPad (10th generation)": 175}


def _quote(device: Device, storage: int, condition: str = "flawless", carrier: str = "unlocked",
           battery: int | None = None) -> Decimal:
    return quote_trade_in(device, storage_gb=storage, condition=condition, carrier=carrier,
                          battery_health_pct=battery, rules=SHOP.rules, quote_id="Q-TEST", now=NOW,
                          table_version=SHOP.table_version).offer_usd


def _device(name: str) -> Device:
    device = SHOP.catalog.by_name(name)
    assert device is not None
    return device


@pytest.mark.parametrize(("name", "reference"), sorted(REFERENCE.items()))
def test_calibrated_within_30_percent_of_reference(name: str, reference: int) -> None:
    device = _device(name)
    offer = _quote(device, device.base_storage)
    assert abs(offer - reference) <= Decimal(reference) * Decimal("0.30"), offer


def test_breakdown_adds_up_and_shows_each_deduction() -> None:
    quote = quote_trade_in(_device("iPhone 12 Pro"), storage_gb=128, condition="good", carrier="verizon",
                           battery_health_pct=76, rules=SHOP.rules, quote_id="Q-1", now=NOW,
                           table_version=SHOP.table_version)
    assert sum(line.amount_usd for line in quote.breakdown) == quote.offer_usd
    labels = " ".join(line.label for line in quote.breakdown)
    assert "Condition: good" in labels and "Verizon" in labels and "Battery health 76%" in labels
    assert (quote.valid_until - NOW).days == 21


def test_battery_only_matters_for_iphones() -> None:
    pixel = _device("Pixel 8")
    assert _quote(pixel, 128, battery=60) == _quote(pixel, 128)
    iphone = _device("iPhone 13")
    assert _quote(iphone, 128, battery=60) < _quote(iphone, 128, battery=90)


def test_newer_never_pays_less_than_older_in_the_same_tier() -> None:
    for tier in (["iPhone 11", "iPhone 12", "iPhone 13", "iPhone 14", "iPhone 15", "iPhone 16"],
                 ["iPhone 11 Pro", "iPhone 12 Pro", "iPhone 13 Pro", "iPhone 14 Pro", "iPhone 15 Pro", "iPhone 16 Pro"],
                 ["Galaxy S21 Ultra", "Galaxy S22 Ultra", "Galaxy S23 Ultra", "Galaxy S24 Ultra"],
                 ["Pixel 6", "Pixel 7", "Pixel 8", "Pixel 9"]):
        offers = [_quote(_device(n), _device(n).base_storage) for n in tier]
        assert offers == sorted(offers), tier


devices = st.sampled_from(SHOP.catalog.devices)


@settings(max_examples=200, deadline=None)
@given(device=devices, data=st.data())
def test_properties_of_every_quote(device: Device, data: st.DataObject) -> None:
    storage = data.draw(st.sampled_from(device.storage_gb))
    carrier = data.draw(st.sampled_from(CARRIERS))
    battery = data.draw(st.one_of(st.none(), st.integers(1, 100)))
    offers = [_quote(device, storage, c, carrier, battery) for c in CONDITIONS]
    assert offers == sorted(offers, reverse=True), "a better condition never pays less"
    assert all(o >= 0 for o in offers)
    assert _quote(device, storage, "good", "unlocked", battery) >= _quote(device, storage, "good", carrier, battery)
    bigger = [s for s in device.storage_gb if s > storage]
    if bigger:
        assert _quote(device, bigger[0], "good", carrier, battery) >= _quote(device, storage, "good", carrier, battery)
    assert _quote(device, storage, "fair", carrier, battery) == _quote(device, storage, "fair", carrier, battery)
