"""How a message asks: whether it is a question, and which part of it asks (the rest is its story or lead-in).

Patterns over normalised text (bot.nlu.text.normalize with apostrophes as spaces). Used by the speech acts,
consent and the knowledge lookup alike, so a question reads the same everywhere.
"""

from __future__ import annotations

import re

from bot.nlu.text import normalize as _normalize

TAIL_WORDS = 2  # words after the last "?" that make the message's end a statement of its own...

ECHO_WORDS = 3  # ...when what comes before it only echoes the question ("find my?")

_QUESTION_START = re.compile(
    # "ok so whats the m2 gonna cost me": a question after its lead-in ("ok what about my s21" points, it asks not)
    r"^(?:(?:ok|okay|so|and|n|but|hmm+|alright|well) )*(?!(?:what|how|wat) (?:about|abt)\b)(?:how|what|whats|which|is|are|do|does|did|can|could|will|would|should|why|when|where|who|any|may|"
    r"wat|wut|hw|whn|wher|whens|wheres|hows|whys|whos)\b|^(?:r|y|u) |\b(?:can i|can u|can you|do (?:u|you|yall)|"
    r"(?:do|will|would|can|could|should) (?:i|we) (?:still )?(?:get|need|have|keep|lose|be)|"
    r"what if|what happens|how (?:many|long|does|do|much|soon|late|fast|quick|quickly|often|come)|"
    r"(?:when|where) do i|wondering|i wonder|curious|is that (?:normal|ok|okay|fine|bad)|"
    r"(?:does|do|will|would|could|can) (?:that|it|this|those|these) (?:matter|count|affect|change|lower|hurt|reduce|"
    r"impact|make a difference))\b|^(?:if|so if|and if|but if|what about|and what about) |"
    # ("... and did a factory reset": "did" and an object is a deed told, not a question asked)
    r"(?:^|[,;] ?|\b(?:and|but|so|also|btw|quick question) )(?!did (?:a|an|the|my|your|this|that)\b)(?:what|how|why|when|where|which|who|is|are|do|does|did|can|"
    r"could|will|would|should)(?: s)? (?:is|are|does|do|did|can|it|they|you|u|i|the|a|an|my|your|this|that|there|"
    r"happens|mean|means|long|much|many|soon|fast)\b|\bwhich (?:condition|grade|one|option) (?:do|does|should|would|is)\b")

_LEAD_IN_QUESTION = re.compile(r"(?:for|about|re|regarding|on|with) (?:\w+ ){1,3}(?:what|whats|how|which|do you|does)\b")

_TAG_QUESTION = re.compile(r"\b(?:or nah|or no|or not|or what|yes or no|is that right|(?<!\bis )(?<!\bs )(?<!\bnot )right)$")  # "comes w charger or nah"
# "... if that's all right", "... if that's ok": politeness, not a question

_POLITE_TAG = re.compile(r"\s*\b(?:if (?:that s|that is|thats|it s|its) (?:all right|alright|ok|okay|fine)|if possible|"
                         r"if you don t mind|if you dont mind)\W*$")
# a question opening a clause after a comma (normalize() drops the comma that marks it)

_CLAUSE_QUESTION = re.compile(r"[,;:]\s*(?:so |and |but )?(?:what|how|why|when|where|who)(?:'s| s| is| are| do| does| did|"
                              r" would| will| can| should| about| long| much| many| soon| condition| grade)\b|"
                              r"[,;:]\s*(?:so |and |but )?which (?:one|of them|is|was|would|should)\b|"
                              # "i work nights, will there be a person around": whether something is, asked
                              r"[,;:]\s*(?:so |and |but )?(?:will there be|would there be|is there|are there)\b|"
                              # "... a tiny crack but works perfect, is that good or fair"
                              # "is that still flawless", "is that gonna lower what you pay me"
                              r"[,;:]\s*(?:so |and |but |or )?(?:is|would|will|does|did|could|can) (?:that|this|it|mine)\b|"
                              # "... is at 76% battery health, would u still buy it"
                              r"[,;:]\s*(?:so |and |but )?(?:would|will|do|does|can|could) (?:you|u|yall|ya)(?: guys)? "
                              r"(?:still )?(?:buy|take|accept|pay|give|want)\b")

_WH_FIRST = re.compile(r"(?:what|whats|how|why|when|where|which|who)\b")
# "... battery says 76%. will that hurt the offer": an auxiliary and its subject opening the last sentence
_AUX_FIRST = re.compile(r"(?:is|are|do|does|did|can|could|will|would|should) (?:i|you|u|it|that|this|they|we|my|the|there)\b")


def normalize(text: str) -> str:
    """The shared normalisation with apostrophes as spaces: "it's" -> "it s", "don't" -> "don t"."""
    return _normalize(text).replace("'", " ").replace("  ", " ")

_ANSWERS_ITSELF = re.compile(r"(?:y|ya|yes|yea|yeah|yep|yup|sure|ok|okay|fine|no|nope|nah|not yet|done|just|already|"
                             r"all|it s|its|it is|i|i ve|ive|i did|did it|turned|removed|signed)\b")


def last_clause(text: str) -> str:
    """What follows a short echo question ("find my? yeah just turned it off", "that's it? fine, yes")."""
    head, mark, tail = text.rpartition("?")
    if mark and len(tail.split()) >= TAIL_WORDS and len(head.split()) <= ECHO_WORDS and _ANSWERS_ITSELF.match(
            normalize(tail)):
        return tail.strip(" ,.!-")
    return text  # "return window?? got a pixel 7 last wk": a question, then its context


# "when i took the case off...", "after we reset it...": a time clause opening a statement (no auxiliary follows)
_SUBORDINATE = re.compile(r"^(?:when|while|after|before|once|since) (?:i|we|my|the|it|he|she|they)\b"
                          r"(?! (?:will|would|can|could|should|do|does|did|am|is|are|get|need|have to)\b)")


# "... my old galaxy s22 with 128gb is free. I think it's unlocked? It has light scratches ...": a fact said
# unsure, in the middle of a statement that goes on, asks nothing
_HEDGED_FACT = re.compile(r"(?:^|(?<=[.!,;]\s))(?:i think|i believe|i m pretty sure|i'm pretty sure|pretty sure|"
                          r"probably|i guess)\b[^.!?]{0,60}\?+(?=\s+\w)"
                          # "i think we turned off find my? not 100% sure": still unsure, so still a question
                          r"(?!\s+(?:not (?:100|sure|certain|positive)|no idea|idk|dunno))", re.I)


def is_question(text: str) -> bool:
    """A question mark, a question word first, or a question phrase ("can i", "what if", "do you").

    A message that asks and then answers itself ("find my? yeah just turned it off") is judged by its end.
    """
    clause = _HEDGED_FACT.sub(".", last_clause(text))
    norm = _POLITE_TAG.sub("", normalize(clause))
    opener = _SUBORDINATE.match(norm) if "?" not in clause else None
    if opener is not None:  # "when i took the case off i saw a crack": a clause that tells, not a question word
        norm = norm[opener.end():]
    if "?" in clause or _QUESTION_START.search(norm) or _LEAD_IN_QUESTION.match(norm) or _TAG_QUESTION.search(norm):
        return True
    if _CLAUSE_QUESTION.search(clause.casefold()):  # "... but everything works, what condition is that"
        return True
    sentences = [normalize(s) for s in re.split(r"[.!\n]+", clause) if s.strip()]
    # "works fine. what condition is that": a question word opening the first or last sentence
    return len(sentences) > 1 and (any(_WH_FIRST.match(s.strip()) for s in (sentences[0], sentences[-1]))
                                   or bool(_AUX_FIRST.match(sentences[-1].strip())))


def without_polite_tag(norm: str) -> str:
    """A normalised message without its closing politeness ("..., if that's all right"), which asks nothing."""
    return _POLITE_TAG.sub("", norm)

_POINTS_BACK = re.compile(r"\b(?:with|do|does|about|is|manage) (?:that|this|it)\b|\bthat possible\b|\bhow would (?:that|this|it)\b")

POINTING_WORDS = 8  # "could you help me with that?" points back; a longer question says what it asks


# "quote says $220 for my 14, btw it's locked to tmobile, does that change anything": a turn to what is asked
_ASIDE_TURN = re.compile(r"[,;]?\s*\b(?:btw|by the way|quick question|one more thing)\b[,:]?\s*", re.I)


def _sentences(text: str) -> list[str]:
    """The sentences of a message, each with its closing mark ("?" tells which ones ask)."""
    return [p.strip() for p in re.findall(r"[^.!?\n]+[.!?]*", text) if p.strip(" .!?")]


def asked_part(text: str) -> str:
    """The sentences that ask, when a message tells its story first ("I'm on Verizon and thinking of switching.
    ... will it work on T-Mobile?"): what the shopper wants is in the question, the rest is context."""
    sentences = [part for s in _sentences(text) for part in _ASIDE_TURN.split(s) if part.strip(" ,.!?")]
    asked = [p for p in sentences if p.endswith("?")]
    if not asked and len(sentences) > 1 and is_question(sentences[-1]):
        asked = sentences[-1:]  # a closing question without its mark ("... says 76%. will that hurt the offer")
    if len(sentences) < 2 or not asked:
        return text
    question = " ".join(asked)
    if asked == sentences[-1:] and _ASIDE_TURN.search(text):
        return question  # "..., btw it's locked to tmobile, does that change anything": "that" is in the question
    # "... she said I could sell it. Could you help me with that?": a question that points back at the story
    return text if _POINTS_BACK.search(normalize(question)) and len(question.split()) <= POINTING_WORDS else question

_CORE_START = re.compile(
    r"(?:^|[,;:]\s*|\b(?:but|so|and|tell me|know|wondering|wonder|ask(?:ing)?|curious)\s+)"
    r"(?=(?:what|whats|what's|wat|how|hows|how's|which|when|whens|where|wheres|why|who|whether|if|is|are|do|does|"
    r"did|can|could|will|would|should)\b)", re.I)

_ASKS_TO_TELL = re.compile(r"(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?(?:tell|let|explain|help)\b", re.I)

MIN_CORE_WORDS = 4  # "do i just lose out?" alone says too little to look up


def question_core(text: str) -> str:
    """The question itself, without the lead-in ("Okay, that seems fair, but before I say yes, what happens if I
    can't ship for a month?" -> "what happens if I can't ship for a month?"); the asked part when none is found."""
    asked = asked_part(text)
    best = asked
    for match in _CORE_START.finditer(asked):
        core = asked[match.end():].strip()
        if _ASKS_TO_TELL.match(core):
            continue  # "could you tell me which ...": the question follows
        if match.end() == 0:
            return asked  # it opens with its question: all of it is asked ("what's x and can i y?")
        if len(core.split()) >= MIN_CORE_WORDS:
            return core  # the first question clause: what follows it belongs to it
    return best

_FOLLOWS_UP = re.compile(r"^(?:and|what about|how about|what abt|same (?:for|with)|says who|who says|sources?|"
                         r"according to (?:who|whom)|how come|why is that|is that true|really)\b")

FOLLOW_UP_MAX_WORDS = 6

_PREAMBLE = re.compile(r"^(?:\s*(?:ok(?:ay)?|so|and|n|an|hmm+|well|alright|sure|yeah|yes|right|oh|wait|btw|also|"
                       r"quick question|one more thing|hey|hi)\b[\s,.!:;-]*)+", re.I)


def without_preamble(text: str) -> str:
    """The question without the words that lead into it ("ok, and what if..." -> "what if...")."""
    stripped = _PREAMBLE.sub("", text).strip()
    return stripped if len(stripped.split()) >= MIN_QUESTION_WORDS else text

MIN_QUESTION_WORDS = 3  # "ok and fair?" keeps its words: too little would be left to look up

_SECOND_QUESTION = re.compile(
    r"\?\s+|\s(?:and|also|plus|n|an|&)\s+(?=(?:can|could|do|does|is|are|will|would|what|whats|how|when|where|which|who|if)\b)",
    re.I)

_ASKS_SOMETHING = re.compile(r"\b(?:what|whats|how|can|could|does|do you|is it|are they|will|when|where|which)\b")

MIN_PART_WORDS = 3  # "and can i return it?" is a question of its own; "and fair?" is a follow-up


def question_parts(text: str) -> tuple[str, ...]:
    """Two questions in one message ("what's the warranty and can i return it?"): each; else nothing."""
    parts = [p.strip(" ,.;") for p in _SECOND_QUESTION.split(text) if p and p.strip(" ,.;?")]
    if len(parts) != 2 or any(len(p.split()) < MIN_PART_WORDS for p in parts):
        return ()
    asks = [is_question(p) or p.endswith("?") or bool(_ASKS_SOMETHING.search(normalize(p))) for p in parts]
    return tuple(parts) if all(asks) else ()


def follows_up(text: str) -> bool:
    """A short line that only makes sense after the last answer: "and fair?", "what about a macbook", "says who"."""
    norm = normalize(text)
    return len(norm.split()) <= FOLLOW_UP_MAX_WORDS and bool(_FOLLOWS_UP.search(norm))


# ", do i have to pay to ship it?": a question clause after a comma, opened by an auxiliary or a question word
_CLAUSE_ASKS = re.compile(r",\s*(?:and |but |also |so )?(?=(?:do|does|did|is|are|can|could|will|would|should|how|what|"
                          r"when|where|which|who|why)\b)", re.I)
MIN_ASIDE_WORDS = 3  # "selling my 13, how much?" asks for the task itself; an aside says what it asks


def question_aside(text: str) -> str | None:
    """The question a statement is followed by ("I'm selling my iPhone 11, 256 GB. Do I pay for shipping?",
    "selling my 13 pro 256 unlocked, do i have to pay to ship it?"), when the message opens with a statement."""
    sentences = _sentences(text)
    if len(sentences) >= 2 and not is_question(sentences[0]):
        asked = [p for p in sentences[1:] if p.endswith("?")]
        if asked and len(" ".join(asked).split()) >= MIN_ASIDE_WORDS:
            return " ".join(asked)
    clauses = _CLAUSE_ASKS.split(text, maxsplit=1)
    if len(clauses) == 2 and not is_question(clauses[0]) and len(clauses[1].split()) >= MIN_ASIDE_WORDS:
        return clauses[1].strip()
    return None
