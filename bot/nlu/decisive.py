"""A decisive yes or no to a decision about money already on the table (a counteroffer, cancelling a booking).

Stricter than consent.is_yes: the yes must say yes (or accept, confirm) in so many words, so a bare "ok" or "sure"
is asked again; a question or a hedge is never a yes nor a no ("ok but what about the scratch?").
"""

from __future__ import annotations

from bot.nlu.consent import accepts_outright, is_no, is_yes
from bot.nlu.question_shape import is_question, normalize

YES_WORDS = frozenset({"yes", "yeah", "yep", "yup", "accept", "accepted", "agree", "agreed", "deal", "confirm",
                       "confirmed"})
NO_PHRASES = frozenset({"decline", "i decline", "declined", "reject", "i reject", "no send it back", "send it back",
                        "no thanks", "no thank you", "keep it", "no keep it", "don t cancel", "dont cancel",
                        "do not cancel", "no don t cancel", "no dont cancel", "no do not cancel", "no don t",
                        "no dont", "never mind", "nevermind"})
# Words that restate what is being decided around the yes or no: "yes, cancel it", "yes I accept the new offer".
RESTATING = frozenset({"it", "my", "the", "new", "offer", "trade", "in", "trade-in", "tradein", "booking", "please",
                       "this", "that"})


def _core(text: str, also: frozenset[str] = frozenset()) -> str:
    return " ".join(w for w in normalize(text).split() if w not in RESTATING and w not in also)


def asks(text: str) -> bool:
    """A question (a question mark, or a question's words): never an answer to the decision."""
    return "?" in text or is_question(text)


def decisive_yes(text: str, restating: frozenset[str] = frozenset()) -> bool:
    """An unmistakable yes in so many words ("yes", "yes I accept"; with restating={"cancel"}: "yes, cancel it")."""
    if asks(text):
        return False
    core = _core(text, restating)
    return (is_yes(core) or accepts_outright(text) or core in YES_WORDS) and bool(YES_WORDS & set(core.split()))


def decisive_no(text: str) -> bool:
    """An unmistakable no ("no", "no thanks", "decline", "no, keep it")."""
    if asks(text):
        return False
    core = _core(text)
    return is_no(text) or is_no(core) or normalize(text).strip(" .!") in NO_PHRASES or core in NO_PHRASES
