"""Trade-in actions: make the quote, accept it (re-quoting if expired), decline it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.catalog import storage_label
from bot.domain import Button, Quote, Reply
from bot.engine.turn import Turn
from bot.errors import PricingError
from bot.flows.executor import ActionResult
from bot.pricing.quote import CARRIER_NAMES, format_usd, quote_trade_in
from bot.shop import Shop
from bot.storage.repo import new_id


class TradeInActions:
    """The trade-in flow's registered actions."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    def make_quote(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """Price the device (reusing the current quote when nothing changed) and show the offer."""
        try:
            quote = self._current_or_new(turn, slots)
        except PricingError as err:
            return ActionResult((Reply(f"Sorry, I can't price that: {err}."),), goto="end")
        turn.quote = quote
        turn.state.last_quote_id = quote.quote_id
        return ActionResult((self.offer_reply(quote, locked=bool(slots.get("account_locked"))),))

    def accept_quote(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """Book the trade-in, unless the quote expired (then re-quote and ask again)."""
        stored = turn.store.load_quote(turn.state.last_quote_id or "")
        if stored is None:
            return self.make_quote(turn, slots)
        quote, _status = stored
        if turn.now > quote.valid_until:
            turn.store.decide_quote(quote.quote_id, "expired")
            fresh = self._new_quote(turn, slots)
            turn.quote, turn.state.last_quote_id = fresh, fresh.quote_id
            note = Reply(f"Your quote {quote.quote_id} expired on {quote.valid_until:%b %d, %Y}, so I've priced "
                         "your device again at today's prices.")
            return ActionResult((note, self.offer_reply(fresh, locked=False)),
                                slots={"email": None, "payout_method": None}, goto="decide")
        turn.store.decide_quote(quote.quote_id, "accepted", email=str(slots.get("email")),
                                payout_method=str(slots.get("payout_method")))
        turn.quote = quote
        return ActionResult((self._confirmation(quote, slots, turn),),
                            slots={"accept": None})

    def decline_quote(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """Record the decline and offer the other paths."""
        if turn.state.last_quote_id:
            turn.store.decide_quote(turn.state.last_quote_id, "declined")
        reply = Reply(
            "No problem, I've noted that you declined. Your quote stays on file until it expires if you change "
            "your mind. Want to see what a refurbished upgrade would cost instead, or talk to a person?",
            (Button("Compare refurbished vs new", "i:compare"), Button("Talk to a person", "i:handoff")),
        )
        return ActionResult((reply,), slots={"accept": None})

    def offer_reply(self, quote: Quote, *, locked: bool) -> Reply:
        """The offer with its breakdown, validity and id."""
        lines = [f"Our offer for your {quote.device_model} ({storage_label(quote.storage_gb)}, "
                 f"{_carrier_text(quote.carrier)}, {quote.condition}): {format_usd(quote.offer_usd)}"]
        lines += [f"• {b.label}: {format_usd(b.amount_usd)}" for b in quote.breakdown]
        lines.append(f"Quote {quote.quote_id}, valid if you ship by {quote.valid_until:%b %d, %Y} "
                     f"(price table {quote.price_table_version}). The final amount is confirmed when we inspect it.")
        if locked:
            lines.append("⚠️ The device is still locked to an account, so this offer can't be accepted yet.")
        return Reply("\n".join(lines))

    def quote_for(self, turn: Turn, slots: Mapping[str, Any]) -> Quote:
        """A stored quote for these slots: the current one when nothing changed, else a new one."""
        return self._current_or_new(turn, slots)

    def _current_or_new(self, turn: Turn, slots: Mapping[str, Any]) -> Quote:
        stored = turn.store.load_quote(turn.state.last_quote_id or "")
        if stored is not None:
            quote, status = stored
            same = (quote.device_model, quote.storage_gb, quote.condition, quote.carrier,
                    quote.battery_health_pct) == (slots.get("device_model"), slots.get("storage_gb"),
                                                  slots.get("condition"), slots.get("carrier"),
                                                  slots.get("battery_health_pct"))
            if same and status == "offered" and turn.now <= quote.valid_until:
                return quote
        return self._new_quote(turn, slots)

    def _new_quote(self, turn: Turn, slots: Mapping[str, Any]) -> Quote:
        device = self.shop.catalog.by_name(str(slots.get("device_model")))
        if device is None:
            raise PricingError(f"{slots.get('device_model')} is not in our catalog")
        quote = quote_trade_in(
            device, storage_gb=int(slots["storage_gb"]), condition=str(slots["condition"]),
            carrier=str(slots.get("carrier") or "unlocked"), battery_health_pct=slots.get("battery_health_pct"),
            rules=self.shop.rules, quote_id=new_id("Q"), now=turn.now, table_version=self.shop.table_version,
        )
        turn.store.save_quote(quote, created_at=turn.now)
        return quote

    def _confirmation(self, quote: Quote, slots: Mapping[str, Any], turn: Turn) -> Reply:
        t = self.shop.policy["trade_in"]
        payout = ("PayPal, within {d} business days of passing inspection".format(d=t["payout_paypal_business_days"])
                  if slots.get("payout_method") == "paypal" else
                  "bank transfer (ACH), within {d} business days of passing inspection".format(
                      d=t["payout_ach_business_days"]))
        ship_by = min(quote.valid_until, turn.now + timedelta(days=int(t["quote_valid_days"])))
        return Reply(
            f"Done! Trade-in {quote.quote_id} is booked for {format_usd(quote.offer_usd)}.\n"
            f"Next steps:\n"
            f"1. We'll email a free prepaid shipping label to {slots.get('email')}.\n"
            f"2. Back up and erase the device (iPhone: {t['erase_iphone']}; Android: {t['erase_android']}) "
            f"and remove any account lock.\n"
            f"3. Ship it by {ship_by:%b %d, %Y}.\n"
            f"4. We inspect it within {t['inspection_business_days']} business days of arrival. If it's in a "
            f"different condition, we send a counteroffer: accept it, or decline and get the device back free "
            f"within {t['counteroffer_return_business_days']} business days.\n"
            f"5. Payout: {payout}.",
            (Button("Talk to a person", "i:handoff"),),
        )


def _carrier_text(carrier: str) -> str:
    """'unlocked', or the carrier's own name ('AT&T', 'T-Mobile')."""
    return "unlocked" if carrier == "unlocked" else f"on {CARRIER_NAMES[carrier]}"
