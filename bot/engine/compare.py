"""Compare and upgrade actions: refurbished vs new (one device, two side by side, what a budget buys) and the
upgrade math, a range at once and then an exact stored quote."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.catalog import Device, storage_label
from bot.domain import Button, Reply
from bot.engine.responses import Responses
from bot.engine.trade_in import TradeInActions
from bot.engine.turn import Turn
from bot.errors import PricingError
from bot.flows.executor import ActionResult
from bot.pricing.compare import Comparison, compare, upgrade_math
from bot.pricing.quote import format_usd, quote_trade_in
from bot.shop import Shop

BUDGET_OPTIONS = 3  # "a good refurb phone for about $250": up to three options
BUDGET_SLACK = Decimal("1.10")  # "about $250" still shows a $269 phone
BUDGET_GRADE = "good"  # the grade a budget question is priced at: the usual choice
ESTIMATE_CONDITIONS = ("flawless", "good")  # the upgrade math's range before the condition is known
ESTIMATE_CARRIER = "unlocked"


class CompareActions:
    """The compare and upgrade flows' registered actions."""

    def __init__(self, shop: Shop, trade_in: TradeInActions, responses: Responses) -> None:
        self.shop = shop
        self.trade_in = trade_in
        self.say = responses

    def comparison(self, device: Device, storage_gb: int | None) -> Comparison:
        """The figures for one device (base storage unless told otherwise)."""
        return compare(device, storage_gb or device.base_storage, self.shop.compare, shop_name=self.shop.name,
                       shop_warranty=self.say.text("shop_warranty"), table_version=self.shop.table_version,
                       as_of=self.shop.catalog.as_of)

    def show_comparison(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """The compact side-by-side message; the most common configuration when no storage was given."""
        device = self.shop.catalog.by_name(str(slots.get("device_model")))
        if device is None:
            return ActionResult((self.say.reply("device_unknown_for_compare"),), outcome="failed")
        try:
            figures = self.comparison(device, slots.get("storage_gb"))
        except PricingError as err:
            return ActionResult((self.say.reply("compare_problem", problem=str(err)),), outcome="failed")
        return ActionResult((self.render(figures, assumed=slots.get("storage_gb") is None),))

    def show_side_by_side(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """Two devices: refurbished and new prices of each, base storage."""
        devices = [self.shop.catalog.by_name(str(slots.get(k))) for k in ("device_model", "compare_with")]
        if any(d is None for d in devices):
            return ActionResult((self.say.reply("device_unknown_for_compare"),), outcome="failed")
        rows = []
        for device in devices:
            assert device is not None
            figures = self.comparison(device, None)
            rows.append(self.say.text("side_by_side_row", device_model=device.name,
                                      storage=storage_label(figures.storage_gb),
                                      refurbished=format_usd(min(g.price_usd for g in figures.grades)),
                                      new_price=format_usd(figures.new_price_usd)))
        buttons = tuple(Button(d.name, f"c:{d.name}") for d in devices if d is not None)
        return ActionResult((self.say.reply("side_by_side", buttons, first=devices[0].name,  # type: ignore[union-attr]
                                            second=devices[1].name, rows="\n".join(rows),  # type: ignore[union-attr]
                                            as_of=self.shop.catalog.as_of),))

    def show_budget_options(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """Up to three catalog options at or near the budget, priced at the usual grade."""
        budget = Decimal(int(slots.get("budget_usd") or 0))
        kind = str(slots.get("budget_kind") or "phone")
        priced = sorted(((d.refurbished_usd[d.base_storage][BUDGET_GRADE], d) for d in self.shop.catalog.devices
                         if d.base_storage in d.refurbished_usd and _is_kind(d, kind)),
                        key=lambda pair: (-pair[0], pair[1].name))
        if not priced:
            return ActionResult((self.say.reply("device_unknown_for_compare"),), outcome="failed")
        within = [(price, d) for price, d in priced if price <= budget]
        slack = 1 if slots.get("budget_ceiling") else BUDGET_SLACK  # "under 700" means at most 700
        near = sorted(((p, d) for p, d in priced if budget < p <= budget * slack), key=lambda pair: pair[0])
        fitting = (within + near)[:BUDGET_OPTIONS]
        if not fitting:
            price, cheapest = priced[-1]
            return ActionResult((self.say.reply("budget_none", budget=format_usd(budget), device_model=cheapest.name,
                                                storage=storage_label(cheapest.base_storage),
                                                price=format_usd(price)),))
        rows = [self.say.text("budget_row", device_model=d.name, storage=storage_label(d.base_storage),
                              price=format_usd(price), new_price=format_usd(d.new_price_usd[d.base_storage]))
                for price, d in fitting]
        buttons = tuple(Button(d.name, f"c:{d.name}") for _, d in fitting)
        name = "budget_options_under" if slots.get("budget_ceiling") else "budget_options"
        return ActionResult((self.say.reply(name, buttons, budget=format_usd(budget),
                                            grade=BUDGET_GRADE.capitalize(), rows="\n".join(rows),
                                            as_of=self.shop.catalog.as_of),))

    def show_upgrade_estimate(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """Before the condition is known: what the old device fetches at best and in good condition."""
        device = self.shop.catalog.by_name(str(slots.get("device_model")))
        target = self.shop.catalog.by_name(str(slots.get("target_model")))
        if device is None or target is None:
            return ActionResult((self.say.reply("device_unknown_for_compare"),), outcome="failed")
        storage = int(slots.get("storage_gb") or device.base_storage)
        high, good = (self._estimate(device, storage, condition, turn.now) for condition in ESTIMATE_CONDITIONS)
        figures = self.comparison(target, None)
        grade = self.shop.compare.upgrade_grade
        refurbished = figures.grade(grade).price_usd
        return ActionResult((self.say.reply(
            "upgrade_estimate", device_model=device.name, target=target.name,
            target_storage=storage_label(figures.storage_gb), offer_high=format_usd(high), offer_good=format_usd(good),
            storage=storage_label(storage), new_price=format_usd(figures.new_price_usd),
            net_new=format_usd(max(figures.new_price_usd - high, Decimal(0))), grade=grade.capitalize(),
            refurbished_price=format_usd(refurbished), net_refurbished=format_usd(max(refurbished - high, Decimal(0))),
            saving=format_usd(figures.new_price_usd - refurbished), co2e_avoided=kg_range(figures.co2e_avoided_kg),
            as_of=figures.as_of),))

    def _estimate(self, device: Device, storage: int, condition: str, now: datetime) -> Decimal:
        """An unstored trade-in figure (an estimate, not an offer)."""
        return quote_trade_in(device, storage_gb=storage, condition=condition, carrier=ESTIMATE_CARRIER,
                              battery_health_pct=None, rules=self.shop.rules, quote_id="estimate", now=now,
                              table_version=self.shop.table_version).offer_usd

    def show_upgrade(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """Trade-in quote for the old device + the new one refurbished vs new."""
        target = self.shop.catalog.by_name(str(slots.get("target_model")))
        if target is None:
            return ActionResult((self.say.reply("device_unknown_for_compare"),), outcome="failed")
        # an offer only once the account lock is known to be off (as in the trade-in); until then the same figure,
        # unstored, and the trade-in asks about the lock and makes the offer
        offer_now = slots.get("account_locked") is False
        priced = {**slots, "carrier": slots.get("carrier") or ESTIMATE_CARRIER}
        try:
            quote = self.trade_in.quote_for(turn, priced) if offer_now else self.trade_in.figure_for(turn, priced)
            figures = self.comparison(target, None)
        except PricingError as err:
            return ActionResult((self.say.reply("compare_problem", problem=str(err)),), outcome="failed")
        if offer_now:
            turn.quote = quote
            turn.state.last_quote_id = quote.quote_id
        grade = self.shop.compare.upgrade_grade
        math = upgrade_math(quote, figures, grade)
        buttons = (*self.say.buttons("upgrade"), Button(self.say.text("see_all_grades"), f"c:{figures.device}"))
        return ActionResult((self.say.reply(
            "upgrade" if offer_now else "upgrade_before_offer", buttons, device_model=quote.device_model, target=figures.device,
            target_storage=storage_label(figures.storage_gb), storage=storage_label(quote.storage_gb),
            condition=quote.condition, offer=format_usd(quote.offer_usd), quote_id=quote.quote_id,
            valid_until=f"{quote.valid_until:%b %d}", new_price=format_usd(figures.new_price_usd),
            assumption="" if slots.get("carrier") else self.say.text("upgrade_assumed_unlocked"),
            net_new=format_usd(math.net_new_usd), grade=grade.capitalize(),
            refurbished_price=format_usd(figures.grade(grade).price_usd),
            net_refurbished=format_usd(math.net_refurbished_usd), saving=format_usd(math.saving_usd),
            co2e_avoided=kg_range(figures.co2e_avoided_kg), as_of=figures.as_of),))

    def render(self, c: Comparison, *, assumed: bool = False) -> Reply:
        """Short lines that read well on a phone screen."""
        header = self.say.text("comparison_assumed" if assumed else "comparison_header", device_model=c.device,
                               storage=storage_label(c.storage_gb))
        grades = "\n".join(self.say.text("comparison_grade", grade=g.grade.capitalize(), price=format_usd(g.price_usd),
                                         saving=format_usd(g.saving_usd), saving_pct=g.saving_pct) for g in c.grades)
        warranties = "\n".join(self.say.text("comparison_warranty", who=who, text=text) for who, text in c.warranties)
        impact = self.shop.compare
        return self.say.reply(
            "comparison", header=header, new_price=format_usd(c.new_price_usd),
            new_note="" if c.sold_new else self.say.text("comparison_not_sold_new"), grades=grades,
            warranties=warranties, co2e_new=kg_range(c.co2e_new_kg), co2e_source=c.co2e_source,
            co2e_avoided=kg_range(c.co2e_avoided_kg), impact_source=impact.impact_source,
            company_claim=impact.company_claim, as_of=c.as_of, price_table_version=c.price_table_version)


def _is_kind(device: Device, kind: str) -> bool:
    """Whether a device is of the kind a budget question names (any phone when it names none)."""
    if kind in ("laptop", "tablet"):
        return device.category == kind
    if kind == "iphone":
        return device.family == "iPhone"
    if kind == "android":
        return device.category == "smartphone" and device.brand != "Apple"
    return device.category == "smartphone"


def kg_range(values: tuple[Decimal, Decimal]) -> str:
    low, high = values
    return f"{low:.0f} kg" if low == high else f"{low:.0f}-{high:.0f} kg"
