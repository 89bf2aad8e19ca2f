"""Reading a message at the offer's yes-or-no: taking the offer, and how to be paid when said in the same breath."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.nlu import consent
from bot.nlu.answers import parse_answer
from bot.nlu.commands import Affirm, Command, SetSlots
from bot.nlu.devices import DeviceMatcher

if TYPE_CHECKING:
    from bot.nlu.reading_context import ReadingContext

PAYOUT_SLOT = "payout_method"  # said with a yes to the offer, it is kept for the step after the email
_PAYOUT_CLAUSE = re.compile(
    r"[,.;!]?\s*(?:and\s+)?(?:please\s+)?(?:(?:pay|paid|send|payout|transfer)(?: me| it| the money)?\s+)?"
    r"(?:(?:by|via|through|thru|with|to|on|into)\s+)?(?:my\s+)?(?:paypal|bank transfer|ach|direct deposit)\b.*$", re.I)


def read_decision(text: str, ctx: ReadingContext, devices: DeviceMatcher) -> tuple[Command, ...] | None:
    """"Changed my mind, I'll take the offer" (not a cancel); "ok accept, pay me through paypal"; None: neither."""
    rest = _PAYOUT_CLAUSE.sub("", text).strip()
    if rest and rest != text.strip() and (consent.wants_offer(rest) or consent.is_yes(rest)):
        payout = parse_answer(PAYOUT_SLOT, text, devices=devices, device=ctx.device)
        if payout.ok and payout.value:
            return (Affirm(), SetSlots({PAYOUT_SLOT: payout.value}))
    return (Affirm(),) if consent.wants_offer(text) else None
