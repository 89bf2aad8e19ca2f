"""What a message says about the task in hand rather than its facts: a pause, the offer asked for again, a step
back, a choice between two devices, whether a plan works out, a device to buy."""

from __future__ import annotations

import re

from bot.nlu.question_shape import asked_part, normalize

_GO_BACK = re.compile(
    r"^(?:(?:oops|wait|sorry|i m sorry|no|hmm+|umm?|ok|okay|please)\s)*"
    r"(?:(?:can|could|may) (?:we|you|i|u) (?:please |just )?)?(?:go back|back|previous|previous question|undo|back up|"
    r"go back (?:a|one) step|one step back|take me back|can we go back|last question|go back to the last question)"
    # "can we go back to the previous question please", "go back to the step before"
    r"(?:\s(?:please|pls|a step|one step|to the (?:last|previous|prior) (?:question|step)|to the step before|"
    r"a question|one question))*$")

# "hang on, I have to figure out where that is in the settings 😅", "one sec, checking": a pause, nothing else
_HOLD_ON = re.compile(r"^(?:(?:hmm+|um+|uh+|ok|okay|oh|good question|sure|yeah|ya)\s)*(?:hold on|hang on|one sec(?:ond)?|"
                      r"1 sec|just a (?:sec|second|minute|moment)|give me a (?:sec|second|minute|moment)|gimme a (?:sec|min)|"
                      r"wait a (?:sec|second|minute)|let me (?:check|look|see|find out)|lemme (?:check|look|see)|brb|"
                      r"i (?:ll|will|have to|need to|gotta) (?:check|look|find out|figure out))\b")
MAX_HOLD_WORDS = 24  # a pause is said briefly; a longer message says more


def holds_on(text: str) -> bool:
    """The shopper asks for a moment to look something up, and says nothing else that counts."""
    norm = normalize(text)
    return len(norm.split()) <= MAX_HOLD_WORDS and bool(_HOLD_ON.search(norm)) and not re.search(r"\d", norm)


_RECALL_OFFER = re.compile(
    r"\bwhat (?:was|is|s) (?:my|the|your|ur) (?:offer|quote)(?: again)?\b(?! (?:for|on|of|if|based)\b)|"
    r"\b(?:remind me|repeat|say again|show me|tell me again) (?:of |what )?(?:my|the|your|ur) (?:amount of the |amount of my )?"
    r"(?:offer|quote)\b|"
    r"\bhow much (?:was|is) (?:my|the|your|ur) (?:offer|quote)(?: again)?\b(?! (?:for|on|of|if)\b)|"
    r"\bhow much did (?:you|u) (?:offer|say|quote)\b")
MAX_RECALL_WORDS = 14  # "sry was afk, what was my offer again?": short; longer asks more than that


def recalls_offer(text: str) -> bool:
    """The shopper asks to see the offer made again ("what was my offer again?")."""
    last = re.split(r"(?<=[.!?])\s+", text.strip())[-1]  # "sorry, the toddler ... what was the offer again?"
    clauses = (normalize(last), normalize(last.rsplit(",", 1)[-1]))
    return any(len(c.split()) <= MAX_RECALL_WORDS and _RECALL_OFFER.search(c) for c in clauses)


def goes_back(text: str) -> bool:
    """"back", "go back", "previous question" (also as the last sentence: "oops wrong button. back")."""
    # "go back, please": the comma splits a request that is whole without it; "could we go back one step? my
    # thumb slipped": the request is a sentence of its own, first or last
    sentences = [s for s in re.split(r"[.!?]+", text) if s.strip()]
    if not sentences:
        return False
    clauses = [c for c in re.split(r"[,;]+", sentences[-1]) if c.strip()]
    candidates = {text, sentences[0], sentences[-1], *(clauses[-1:])}
    return any(_GO_BACK.match(normalize(c)) for c in candidates)

_TO_BUY = re.compile(r"\b(?:refurb\w*|to buy|buy it|buying|i want to buy|eyeing|replace it|instead)\b")


def asks_to_buy(text: str) -> bool:
    """The device asked about is one to buy ("a refurbished pixel 8", "i want to buy it after")."""
    return bool(_TO_BUY.search(normalize(text)))


# "a refurbished galaxy s23 or a pixel 8, which one is cheaper?": a choice between two devices asked about
_BETWEEN = re.compile(r"\bwhich (?:one|of (?:them|the two|these|those)|is|would|should|do)\b|\bcheaper\b|"
                      r"\bbetter (?:deal|buy|value|pick|choice|option)\b|\bbest (?:deal|value)\b|\bprice difference\b")


# "want a refurb s23, got like $300 extra. doable?": whether a plan works out, which its numbers answer
_FEASIBLE = re.compile(r"\b(?:doable|possible|realistic|feasible|afford|affordable|enough|worth it|make sense|makes sense|"
                       r"good idea|would that work|will that work|does that work|am i dreaming|can i swing|pencil out)\b")


def asks_if_feasible(text: str) -> bool:
    """The question asks whether the plan it describes works out ("doable?", "is that realistic?")."""
    return bool(_FEASIBLE.search(normalize(asked_part(text))))


_SIDE_BY_SIDE = re.compile(r"\bside by side\b|\btorn between\b|\b(?:deciding|choosing|picking) between\b|"
                           r"\bcan t decide between\b|\bcant decide between\b")


def wants_side_by_side(text: str) -> bool:
    """Two devices to weigh against each other ("i'm torn between a refurb s23 and a pixel 8")."""
    return bool(_SIDE_BY_SIDE.search(normalize(text)))


def asks_between(text: str) -> bool:
    """The question asks to choose between the devices it names ("which one is cheaper?")."""
    return bool(_BETWEEN.search(normalize(text)))
