"""Trade-in quotes: base value, condition, carrier and battery, floor and rounding. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from bot.catalog import Device, storage_label
from bot.domain import Quote, QuoteLine
from bot.errors import PricingError
from bot.pricing.rules import CARRIERS, CONDITIONS, PricingRules

CARRIER_NAMES = {"unlocked": "Unlocked", "att": "AT&T", "verizon": "Verizon", "tmobile": "T-Mobile",
                 "other": "Other carrier"}
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


def quote_trade_in(
    device: Device, *, storage_gb: int, condition: str, carrier: str, battery_health_pct: int | None,
    rules: PricingRules, quote_id: str, now: datetime, table_version: str,
) -> Quote:
    """The offer for one device, with its breakdown; same inputs, same quote."""
    if storage_gb not in device.trade_in_base_usd:
        raise PricingError(f"{device.name} does not come with {storage_gb} GB")
    if condition not in CONDITIONS:
        raise PricingError(f"unknown condition '{condition}'")
    if carrier not in CARRIERS:
        raise PricingError(f"unknown carrier '{carrier}'")
    base = device.trade_in_base_usd[storage_gb]
    lines = [QuoteLine(f"Base value ({device.name}, {storage_label(storage_gb)}, flawless, unlocked)", base)]
    after_condition = (base * rules.condition_multipliers[condition]).quantize(_CENT)
    if after_condition != base:
        pct = (_HUNDRED - rules.condition_multipliers[condition] * _HUNDRED).normalize()
        lines.append(QuoteLine(f"Condition: {condition} (-{pct:f}%)", after_condition - base))
    value = after_condition
    carrier_pct = rules.carrier_deduction_pct[carrier]
    if carrier_pct:
        cut = -(value * carrier_pct / _HUNDRED).quantize(_CENT)
        lines.append(QuoteLine(f"Carrier: locked to {CARRIER_NAMES[carrier]} (-{carrier_pct.normalize():f}%)", cut))
        value += cut
    if (battery_health_pct is not None and device.family in rules.battery_families
            and battery_health_pct < rules.battery_threshold_pct):
        cut = -(value * rules.battery_deduction_pct / _HUNDRED).quantize(_CENT)
        lines.append(QuoteLine(
            f"Battery health {battery_health_pct}% (below {rules.battery_threshold_pct}%: "
            f"-{rules.battery_deduction_pct.normalize():f}%)", cut))
        value += cut
    offer = max(rules.floor_usd, _round_down(value, rules.round_down_to_usd))
    if offer != value:
        label = "Minimum offer" if offer > value else f"Rounded down to a multiple of ${rules.round_down_to_usd.normalize():f}"
        lines.append(QuoteLine(label, offer - value))
    return Quote(
        quote_id=quote_id, device_model=device.name, storage_gb=storage_gb, condition=condition, carrier=carrier,
        offer_usd=offer.quantize(_CENT), valid_until=now + timedelta(days=rules.quote_valid_days),
        price_table_version=table_version, breakdown=tuple(lines), battery_health_pct=battery_health_pct,
    )


def _round_down(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def format_usd(amount: Decimal) -> str:
    """'$1,234' for whole dollars, '$12.50' otherwise; negatives as '-$45'."""
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return f"{sign}${text}"
