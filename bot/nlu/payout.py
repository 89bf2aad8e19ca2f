"""Which payout method a message picks: the choice that books a trade-in, so only one said plainly counts."""

from __future__ import annotations

import re

from bot.nlu.question_shape import is_question, normalize
from bot.nlu.speech_acts import HYPOTHETICAL

_PAYPAL = ("paypal", re.compile(r"\bpay ?pal\b"))
_PAYOUT_NAMED = (_PAYPAL, ("ach", re.compile(r"\bach\b|\bbank (?:transfer|deposit|account)\b|\bdirect deposit\b|\bwire\b")))
# as the answer to "how would you like to be paid?", shorter words name the bank transfer too
_PAYOUT_ANSWER = (_PAYPAL, ("ach", re.compile(r"\bach\b|\bbank\b|\bdirect deposit\b|\btransfer\b|\bchecking\b|\baccount\b")))
# "maybe paypal? or bank", "either is fine": no choice made (the choice books the trade-in)
_PAYOUT_HEDGE = re.compile(r"\b(?:maybe|idk|dunno|not sure|unsure|either|whichever|or)\b")
_PAYOUT_CHANGE = re.compile(r"\b(?:wait|actually|make it|make that|rather|instead|scratch that|changed my mind)\b")
_PAYOUT_DENIED = (r"\b(?:no |(?:not|don t have|dont have|do not have|without|never|rather not|hate|instead of) "
                  r"(?:(?:a|an|my|the|any|a real|to use) )?|"
                  # "i never figured out paypal", "we don't really use paypal": a few words between
                  # (words that are not another method, nor "so" / "but" that turn to one: "don't have paypal so bank")
                  r"(?:never|don t|dont|do not|can t|cant|hate) "
                  r"(?:(?!(?:so|but|and|then|pay ?pal|bank|ach|transfer|deposit)\b)[a-z]+ ){1,3}?)")


def payout_choice(text: str, *, as_answer: bool = False) -> str | None:
    """The one payout method the text picks: named, not denied ("i don't have a paypal"), not hedged, not both."""
    norm = normalize(text)
    if _PAYOUT_HEDGE.search(norm):
        return None
    patterns = _PAYOUT_ANSWER if as_answer else _PAYOUT_NAMED
    last = {method: max(m.end() for m in pattern.finditer(norm)) for method, pattern in patterns
            if pattern.search(norm) and not re.search(_PAYOUT_DENIED + f"(?:{pattern.pattern})", norm)}
    if len(last) == 2 and _PAYOUT_CHANGE.search(norm):
        return max(last, key=lambda method: last[method])  # "ach. wait no, make it paypal": the one said last
    return next(iter(last)) if len(last) == 1 else None


def payout_named(text: str) -> str | None:
    """A payout method named outright in a statement ("bank transfer, btw ..."), not in a question."""
    if is_question(text) or HYPOTHETICAL.search(normalize(text)):
        return None
    return payout_choice(text)
