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
EMAIL_SLOT = "email"  # "yes, I accept. send the label to me@example.com": the next question is answered too
_PAYOUT_CLAUSE = re.compile(
    r"[,.;!]?\s*(?:and\s+)?(?:please\s+)?(?:(?:pay|paid|send|payout|transfer)(?: me| it| the money)?\s+)?"
    r"(?:(?:by|via|through|thru|with|to|on|into)\s+)?(?:my\s+)?(?:paypal|bank transfer|ach|direct deposit)\b.*$", re.I)
_OUTRIGHT_YES = re.compile(r"\b(?:yes|yeah|yep|yup|accept|accepted|deal|absolutely|definitely|book it|do it|"
                           r"take it|go ahead)\b", re.I)
_EMAIL_CLAUSE = re.compile(
    r"[,.;!]?\s*(?:and\s+)?(?:please\s+)?(?:(?:send|email|mail)\s+(?:the\s+|my\s+)?(?:label|it|everything)?\s*)?"
    r"(?:(?:to|at)\s+)?(?:(?:my\s+)?(?:email|e-mail|address)(?:\s+is|:)?\s*)?[\w.+-]+@[\w-]+(?:\.[\w-]+)+[.!]?", re.I)


def read_decision(text: str, ctx: ReadingContext, devices: DeviceMatcher) -> tuple[Command, ...] | None:
    """"Changed my mind, I'll take the offer" (not a cancel); "ok accept, pay me through paypal"; "yes, send the
    label to me@example.com"; None: neither."""
    rest = _EMAIL_CLAUSE.sub("", _PAYOUT_CLAUSE.sub("", text)).strip()
    emailed = rest != _PAYOUT_CLAUSE.sub("", text).strip()
    # an address typed with a bare "ok" is not a yes to the offer: with an email, the yes must be said outright
    said_yes = consent.wants_offer(rest) or (consent.is_yes(rest) and (not emailed or bool(_OUTRIGHT_YES.search(rest))))
    if rest and rest != text.strip() and said_yes:
        found: dict[str, object] = {}
        for slot in (EMAIL_SLOT, PAYOUT_SLOT):
            parsed = parse_answer(slot, text, devices=devices, device=ctx.device)
            if parsed.ok and parsed.value:
                found[slot] = parsed.value
        if found:
            return (Affirm(), SetSlots(found))
    return (Affirm(),) if consent.wants_offer(text) else None
