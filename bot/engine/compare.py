"""Compare and upgrade actions: the side-by-side message and the upgrade math with a real stored quote."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bot.catalog import Device, storage_label
from bot.domain import Button, Reply
from bot.engine.trade_in import TradeInActions
from bot.engine.turn import Turn
from bot.errors import PricingError
from bot.flows.executor import ActionResult
from bot.pricing.compare import Comparison, compare, upgrade_math
from bot.pricing.quote import format_usd
from bot.shop import Shop

FOLLOW_UPS = (
    Button("What do the grades mean?", "q:what do the refurbished grades mean"),
    Button("Trade in my old phone", "i:trade_in"),
    Button("Talk to a person", "i:handoff"),
)


class CompareActions:
    """The compare and upgrade flows' registered actions."""

    def __init__(self, shop: Shop, trade_in: TradeInActions) -> None:
        self.shop = shop
        self.trade_in = trade_in

    def comparison(self, device: Device, storage_gb: int | None) -> Comparison:
        """The figures for one device (base storage unless told otherwise)."""
        warranty = (f"{self.shop.policy['refurbished']['warranty_months']} months + "
                    f"{self.shop.policy['refurbished']['return_days']}-day free returns")
        return compare(device, storage_gb or device.base_storage, self.shop.compare, shop_name=self.shop.name,
                       shop_warranty=warranty, table_version=self.shop.table_version, as_of=self.shop.catalog.as_of)

    def show_comparison(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """The compact side-by-side message."""
        device = self.shop.catalog.by_name(str(slots.get("device_model")))
        if device is None:
            return ActionResult((Reply("Sorry, I don't have that device in my catalog."),), goto="end")
        try:
            figures = self.comparison(device, slots.get("storage_gb"))
        except PricingError as err:
            return ActionResult((Reply(f"Sorry: {err}."),), goto="end")
        return ActionResult((Reply(self.render(figures), FOLLOW_UPS),))

    def show_upgrade(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """Trade-in estimate for the old device + the new one refurbished vs new."""
        target = self.shop.catalog.by_name(str(slots.get("target_model")))
        if target is None:
            return ActionResult((Reply("Sorry, I don't have that device in my catalog."),), goto="end")
        try:
            quote = self.trade_in.quote_for(turn, {**slots, "carrier": slots.get("carrier") or "unlocked"})
            figures = self.comparison(target, None)
        except PricingError as err:
            return ActionResult((Reply(f"Sorry: {err}."),), goto="end")
        turn.quote = quote
        turn.state.last_quote_id = quote.quote_id
        grade = self.shop.compare.upgrade_grade
        math = upgrade_math(quote, figures, grade)
        refurbished = figures.grade(grade)
        lines = [
            f"Upgrade math: {quote.device_model} → {figures.device} ({storage_label(figures.storage_gb)})",
            f"Your {quote.device_model} ({storage_label(quote.storage_gb)}, {quote.condition}): we'd pay "
            f"{format_usd(quote.offer_usd)} (quote {quote.quote_id}, valid until {quote.valid_until:%b %d}; "
            "assumes it's unlocked and signed out of its account)",
            f"New {figures.device}: {format_usd(figures.new_price_usd)} → {format_usd(math.net_new_usd)} after trade-in",
            f"Refurbished ({grade.capitalize()}): {format_usd(refurbished.price_usd)} → "
            f"{format_usd(math.net_refurbished_usd)} after trade-in",
            f"Going refurbished saves you {format_usd(math.saving_usd)} and avoids about "
            f"{_kg_range(figures.co2e_avoided_kg)} CO2e.",
            f"Prices as of {figures.as_of}; the trade-in is confirmed after inspection.",
        ]
        buttons = (Button("Book this trade-in", "i:trade_in"), Button("See all grades", f"c:{figures.device}"),
                   Button("Talk to a person", "i:handoff"))
        return ActionResult((Reply("\n".join(lines), buttons),))

    def render(self, c: Comparison) -> str:
        """Short lines that read well on a phone screen."""
        new_note = "" if c.sold_new else " (launch price; no longer sold new, last known price)"
        lines = [f"{c.device} ({storage_label(c.storage_gb)}): refurbished vs new",
                 f"New: {format_usd(c.new_price_usd)}{new_note}", "Refurbished:"]
        lines += [f"• {g.grade.capitalize()}: {format_usd(g.price_usd)} (save {format_usd(g.saving_usd)}, "
                  f"{g.saving_pct}%)" for g in c.grades]
        lines.append("Warranty:")
        lines += [f"• {who}: {text}" for who, text in c.warranties]
        battery = self.shop.policy["refurbished"]
        lines.append(f"Battery: at least {battery['battery_min_pct_smartphone']}% of original capacity on phones "
                     f"({battery['battery_min_pct_premium_smartphone']}% for Premium), "
                     f"{battery['battery_min_pct_other']}% on other devices.")
        impact = self.shop.compare
        lines.append(f"Impact: making a new one emits about {_kg_range(c.co2e_new_kg)} CO2e ({c.co2e_source}). "
                     f"Refurbished avoids roughly {_kg_range(c.co2e_avoided_kg)}: {impact.impact_source}. "
                     f"{impact.company_claim}.")
        lines.append(f"Prices as of {c.as_of} (table {c.price_table_version}); estimates until you order.")
        return "\n".join(lines)


def _kg_range(values: tuple[Decimal, Decimal]) -> str:
    low, high = values
    return f"{low:.0f} kg" if low == high else f"{low:.0f}-{high:.0f} kg"
