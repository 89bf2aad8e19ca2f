"""Trade-in actions: make the quote (superseding the last), accept it (re-quoting if expired), decline it,
take a decline back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.catalog import storage_label
from bot.domain import Quote, Reply
from bot.engine.bookings import BookingNotices, announce_accepted
from bot.engine.responses import Responses
from bot.engine.turn import Turn
from bot.errors import PricingError
from bot.flows.executor import ActionResult
from bot.pricing.quote import CARRIER_NAMES, format_usd, quote_trade_in
from bot.shop import Shop
from bot.storage.repo import new_id

OFFERED, SUPERSEDED, ACCEPTED, DECLINED, EXPIRED = "offered", "superseded", "accepted", "declined", "expired"
DATE = "%b %d, %Y"
UNSTORED_QUOTE_ID = "estimate"  # a figure shown before an offer can be made (never stored, never accepted)


class TradeInActions:
    """The trade-in flow's registered actions."""

    def __init__(self, shop: Shop, responses: Responses, notices: BookingNotices | None = None) -> None:
        self.shop = shop
        self.say = responses
        self.notices = notices or BookingNotices()

    def make_quote(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """Price the device (reusing the current quote when nothing changed) and show the offer."""
        try:
            quote = self._current_or_new(turn, slots)
        except PricingError as err:
            return ActionResult((self.say.reply("cannot_price", problem=str(err)),), outcome="failed")
        shown = turn.quote is not None and turn.quote.quote_id == quote.quote_id  # the upgrade math just showed it
        turn.quote = quote
        turn.state.last_quote_id = quote.quote_id
        replies = () if shown else (self.offer_reply(quote, locked=bool(slots.get("account_locked"))),)
        return ActionResult(replies, slots={"quote_id": quote.quote_id})

    def accept_quote(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """Book the trade-in, unless the quote expired (then re-quote and ask again)."""
        stored = turn.store.load_quote(str(slots.get("quote_id") or turn.state.last_quote_id or ""))
        if stored is None:
            return ActionResult(outcome="missing")
        quote, _status = stored
        if turn.now > quote.valid_until:
            turn.store.decide_quote(quote.quote_id, EXPIRED)
            fresh = self._new_quote(turn, slots)
            turn.quote, turn.state.last_quote_id = fresh, fresh.quote_id
            note = self.say.reply("quote_expired", quote_id=quote.quote_id, expired_on=f"{quote.valid_until:{DATE}}")
            return ActionResult((note, self.offer_reply(fresh, locked=False)),
                                slots={"email": None, "payout_method": None, "quote_id": fresh.quote_id},
                                outcome="expired")
        ship_by = self._ship_by(quote, turn)
        booking_id = announce_accepted(self.notices, turn.store, quote, shopper_email=str(slots.get("email")),
                                       payout_method=slots.get("payout_method"), ship_by=ship_by.date(), now=turn.now)
        turn.store.decide_quote(quote.quote_id, ACCEPTED, email=str(slots.get("email")),
                                payout_method=str(slots.get("payout_method")), booking_id=booking_id,
                                ship_by=ship_by.date())
        turn.quote = quote
        return ActionResult((self._confirmation(quote, slots, ship_by),), slots={"accept": None}, outcome="booked")

    def decline_quote(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """Record the decline (the flow then offers to take it back)."""
        if slots.get("quote_id"):
            turn.store.decide_quote(str(slots["quote_id"]), DECLINED)
        return ActionResult(slots={"accept": None})

    def show_offer(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """The offer on the table again ("what was my offer again?"): outcome `none` when there is none."""
        stored = turn.store.load_quote(str(slots.get("quote_id") or turn.state.last_quote_id or ""))
        if stored is None or stored[1] not in (OFFERED, ACCEPTED) or turn.now > stored[0].valid_until:
            return ActionResult(outcome="none")
        return ActionResult((self.offer_reply(stored[0], locked=False),), outcome="shown")

    def reopen_quote(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """A decline taken back: the same quote is on offer again while it is valid."""
        stored = turn.store.load_quote(str(slots.get("quote_id") or ""))
        if stored is None or turn.now > stored[0].valid_until:
            return ActionResult(slots={"reconsider": None}, outcome="expired")
        quote = stored[0]
        turn.store.decide_quote(quote.quote_id, OFFERED)
        turn.quote = quote
        return ActionResult((self.say.reply("decline_taken_back"), self.offer_reply(quote, locked=False)),
                            slots={"reconsider": None})

    def offer_reply(self, quote: Quote, *, locked: bool) -> Reply:
        """The offer with its breakdown, validity and id."""
        carrier = (self.say.text("carrier_unlocked") if quote.carrier == "unlocked"
                   else self.say.text("carrier_on", carrier_name=CARRIER_NAMES[quote.carrier]))
        breakdown = "\n".join(self.say.text("offer_line", label=b.label, amount=format_usd(b.amount_usd))
                              for b in quote.breakdown)
        text = self.say.text("offer", device_model=quote.device_model, storage=storage_label(quote.storage_gb),
                             carrier=carrier, condition=quote.condition, offer=format_usd(quote.offer_usd),
                             breakdown=breakdown, quote_id=quote.quote_id, valid_until=f"{quote.valid_until:{DATE}}",
                             price_table_version=quote.price_table_version)
        if self._battery_matters(quote):  # answer first: ask nothing more, say what would change the offer
            rules = self.shop.rules
            text += "\n" + self.say.text("offer_battery_note", threshold=rules.battery_threshold_pct,
                                          deduction=f"{rules.battery_deduction_pct:g}")
        if locked:
            text += "\n" + self.say.text("offer_locked_note")
        return Reply(text, response="offer")

    def _battery_matters(self, quote: Quote) -> bool:
        """Whether this device's battery health would change the offer and the shopper has not said it."""
        device = self.shop.catalog.by_name(quote.device_model)
        return (quote.battery_health_pct is None and device is not None
                and device.family in self.shop.rules.battery_families)

    def quote_for(self, turn: Turn, slots: Mapping[str, Any]) -> Quote:
        """A stored quote for these slots: the current one when nothing changed, else a new one."""
        return self._current_or_new(turn, slots)

    def _current_or_new(self, turn: Turn, slots: Mapping[str, Any]) -> Quote:
        stored = turn.store.load_quote(turn.state.last_quote_id or "")
        if stored is not None:
            quote, status = stored
            same = (quote.device_model, quote.storage_gb, quote.condition, quote.carrier,
                    quote.battery_health_pct) == (slots.get("device_model"), slots.get("storage_gb"),
                                                  slots.get("condition"), slots.get("carrier") or "unlocked",
                                                  slots.get("battery_health_pct"))
            if same and status == OFFERED and turn.now <= quote.valid_until:
                return quote
            if status == OFFERED:  # a new fact about the device: the old offer no longer stands
                turn.store.decide_quote(quote.quote_id, SUPERSEDED)
        return self._new_quote(turn, slots)

    def figure_for(self, turn: Turn, slots: Mapping[str, Any]) -> Quote:
        """What these slots would be offered, not stored and not an offer (no account lock checked yet)."""
        return self._priced(turn, slots, UNSTORED_QUOTE_ID)

    def _new_quote(self, turn: Turn, slots: Mapping[str, Any]) -> Quote:
        quote = self._priced(turn, slots, new_id("Q"))
        turn.store.save_quote(quote, created_at=turn.now)
        return quote

    def _priced(self, turn: Turn, slots: Mapping[str, Any], quote_id: str) -> Quote:
        device = self.shop.catalog.by_name(str(slots.get("device_model")))
        if device is None:
            raise PricingError(f"{slots.get('device_model')} is not in our catalog")
        return quote_trade_in(
            device, storage_gb=int(slots["storage_gb"]), condition=str(slots["condition"]),
            carrier=str(slots.get("carrier") or "unlocked"), battery_health_pct=slots.get("battery_health_pct"),
            rules=self.shop.rules, quote_id=quote_id, now=turn.now, table_version=self.shop.table_version,
        )

    def _ship_by(self, quote: Quote, turn: Turn) -> datetime:
        valid_days = int(self.shop.policy["trade_in"]["quote_valid_days"])
        return min(quote.valid_until, turn.now + timedelta(days=valid_days))

    def _confirmation(self, quote: Quote, slots: Mapping[str, Any], ship_by: datetime) -> Reply:
        """The booking's next steps; an email is promised only when something will send one."""
        payout = self.say.text("payout_paypal" if slots.get("payout_method") == "paypal" else "payout_ach")
        return self.say.reply("booked" if self.notices.any else "booked_unsent", quote_id=quote.quote_id,
                              offer=format_usd(quote.offer_usd), email=slots.get("email"), ship_by=f"{ship_by:{DATE}}",
                              payout=payout)
