"""Consent: an unmistakable yes or no, and taking a declined offer back. A question is never a yes.

Patterns over normalised text (bot.nlu.question_shape.normalize); precision first: a yes must be unmistakable.
"""

from __future__ import annotations

import re

from bot.nlu.question_shape import last_clause, normalize, without_polite_tag, without_preamble

# --- consent ---------------------------------------------------------------------------------------------
# A yes is only these phrases and filler, nothing else: "ok, and what if they find a dent?" is not a yes.
_YES_PHRASES = (
    "yes please", "yes", "aight", "aite", "ight", "yessir", "yass", "yas", "yeah", "yep", "yup", "ya", "yea", "y", "sure thing", "sure", "ok", "okay", "k", "kk",
    "alright", "all right", "deal", "accept", "accepted", "i accept", "agreed", "i agree", "absolutely",
    "definitely", "of course", "please do", "do it", "lets do it", "let s do it", "lets do this", "go ahead",
    "sounds good", "sounds great", "perfect", "great", "i ll take it", "ill take it", "i will take it",
    "take it", "lets go", "let s go", "book it", "i want it", "that works", "works for me", "fine", "cool",
    "yes i accept", "i accept the offer", "accept the offer", "i ll take the offer", "take the offer",
    "i want the offer", "go for it", "im in", "i m in", "count me in", "lock it in", "confirm", "confirmed",
    "please", "thanks", "thank you", "ty", "awesome", "nice", "good", "yes sir", "for sure", "bet", "ok bet",
    "lol", "haha", "then", "alright then", "ok then", "okay then", "fine then", "i guess so", "works", "yeah sure",
    "sure why not", "why not", "lets", "let s", "do it", "i ll do it", "ill do it", "its a deal", "it s a deal",
    "sounds fair", "that s fair", "thats fair", "fair enough", "send me the label", "send the label",
    "send me the shipping label", "send the shipping label", "send me a label", "i m happy with that",
    "im happy with that", "happy with that", "i m good with that", "im good with that", "good with me", "sold",
    "lets book it", "let s book it", "book it please", "i ll ship it", "ill ship it", "accept it", "go ahead accept it",
    "yes accept", "ok accept", "accept please", "please accept", "ok book it", "fine book it", "ok fine book it",
)
# Yes to an offer, never an answer to a question about the device ("accept" at "have you removed Find My?").
_ACCEPT_ONLY = frozenset({"accept", "accepted", "i accept", "deal", "book it", "take it", "i ll take it", "ill take it",
                          "i will take it", "accept it", "accept the offer", "i accept the offer", "take the offer",
                          "i ll take the offer", "i want the offer", "lock it in", "its a deal", "it s a deal",
                          "yes accept", "ok accept", "accept please", "please accept", "ok book it", "fine book it",
                          "ok fine book it", "book it please", "lets book it", "let s book it", "no deal"})
# A yes in the shopper's own words: every word from these two sets, at least one of them a yes
# ("Yes, I'd be happy to go ahead with that, thank you", "I would like to accept.", "ok sure, sign me up").
_YES_WORDS = frozenset({
    "yes", "yeah", "yep", "yup", "ya", "yea", "yess", "yesss", "sure", "ok", "okay", "okey", "k", "kk", "alright",
    "accept", "accepted", "accepting", "agree", "agreed", "deal", "absolutely", "definitely", "proceed", "book",
    "confirm", "confirmed", "sold", "ahead", "sounds", "works", "happy", "glad", "perfect", "great", "fine", "cool",
})
_YES_FILLERS = frozenset({
    "i", "d", "ll", "m", "s", "ve", "re", "id", "ill", "im", "we", "would", "like", "love", "to", "want", "will", "be",
    "that", "this", "it", "its", "the", "your", "ur", "offer", "quote", "price", "trade", "in", "with", "please", "pls",
    "plz", "thanks", "thank", "you", "ty", "and", "for", "me", "up", "lets", "let", "us", "just", "then", "so", "well",
    "oh", "a", "an", "now", "sell", "selling", "all", "right", "of", "course", "go", "do", "take", "good", "is",
    "sign", "send", "label", "thats", "sounds", "shipping", "very", "much", "really", "yes", "sir", "totally", "ready", "on", "board",
    "am", "ahead", "gladly", "happily", "fair", "enough", "great", "nice", "awesome", "here", "there",
})
MAX_YES_WORDS = 16  # longer messages say more than a yes
# An accept said outright inside a longer statement: "That seems perfectly reasonable to me, so please go right
# ahead and book it", "Alright, you have a deal", "On reflection I would like to accept the offer after all".
_OUTRIGHT_ACCEPT = re.compile(
    r"\b(?:i ll|ill|i will|i d like to|i would like to|i want to|i m happy to|im happy to|happy to|let s|lets|please|"
    r"go (?:right )?ahead and|so)\s(?:go ahead and\s)?(?:accept|book|take)\b(?: it| the offer| that| this| the quote| your offer)?"
    r"|\byou (?:have|ve got|got) (?:a|yourself a) deal\b|\b(?:it s|its) a deal\b|\bplease go (?:right )?ahead\b")
# Nothing may deny or hedge it; "if it still stands" is not a condition on the price
_NOT_OUTRIGHT = re.compile(
    r"\b(?:no|not|never|don t|dont|won t|wont|can t|cant|wouldn t|wouldnt|shouldn t|nah|nope|decline|cancel|"
    r"instead|rather|unless|but|maybe|perhaps|think|later|wait|higher|more|better|counter|negotiat)\b")
_STILL_STANDS = re.compile(r"\bif (?:it|the offer|that|the quote|it s|its) (?:still )?(?:stands|is still valid|still valid|"
                           r"is still good|still good|still available)\b")
MAX_OUTRIGHT_WORDS = 30
# "i would like to accept it for 250": an amount named with the accept is a counteroffer, never a yes
_MONEY = re.compile(r"\$\s?\d|\b\d[\d,.]* ?(?:dollars|bucks|usd)\b", re.I)  # an amount of money, in any sentence


def names_amount(text: str) -> bool:
    """The message names an amount of money of its own ("apply a price of $999 and book it")."""
    return bool(_MONEY.search(text))
_AMOUNT = re.compile(r"\$\s?\d|\b\d{2,5}\b(?! ?(?:gb|tb|%|percent))")


def accepts_outright(text: str) -> bool:
    """An accept said outright in a longer statement, with nothing that denies, hedges or asks."""
    if "?" in text:
        return False
    norm = _STILL_STANDS.sub(" ", normalize(text))
    return (len(norm.split()) <= MAX_OUTRIGHT_WORDS and bool(_OUTRIGHT_ACCEPT.search(norm))
            and not _NOT_OUTRIGHT.search(norm) and not _HEDGE.search(norm) and not _AMOUNT.search(norm))


def _yes_in_words(norm: str) -> bool:
    """Nothing but yes-words and filler, with at least one yes-word."""
    words = norm.split()
    return (0 < len(words) <= MAX_YES_WORDS and all(w in _YES_WORDS or w in _YES_FILLERS for w in words)
            and any(w in _YES_WORDS for w in words))


_NO_PHRASES = (
    "no thanks", "no thank you", "no", "nope", "nah", "decline", "declined", "i decline", "pass", "i ll pass",
    "ill pass", "not now", "not interested", "no deal", "not really", "i don t want it", "dont want it",
    "i dont want it", "no way", "too low", "that s too low", "thats too low", "not for that", "please", "thanks",
    "maybe later", "not today",
)
_HEDGE = re.compile(
    r"\b(?:maybe|perhaps|not sure|unsure|hmm+|let me think|think about it|depends|but|if|unless|wait|hold on|"
    r"idk|dunno|probably|i guess|kinda|kind of|sort of|could you|can you|would you|what about|how about|"
    r"best you can|do better|any higher|more than that|negotiat|counter)\b")
# Wanting the declined offer back: "changed my mind, I'll take the offer".
_WANT_OFFER = re.compile(
    r"\b(?:i|we) accept\b|\baccept(?:ed)?(?: it| that| this)?$|"  # "ugh ok fine i accept": the hedges are checked apart
    r"\b(?:i ll|ill|i will) take it\b|\b(?:take|want|accept|i ll take|go with|do|grab|reconsider)\b.{0,20}\b(?:the |your |that |this |ur )?"
    r"(?:offer|deal|quote)\b|\bchanged? my mind\b.{0,30}\b(?:offer|accept|take|sell|yes|do it|deal)\b|"
    r"^(?:actually )?(?:i ll|ill|i will|let s|lets) (?:take|do) it\b|\baccept (?:it |that |this )?after all(?: then| now)?$|"
    # "i would like to accept it after all", never "i'd accept it for $250" (a counteroffer, not a yes)
    r"\b(?:i d like to|id like to|i would like to|i ll|i will) accept (?:it|that|this|the offer)"
    r"(?: after all| now| then| please| thanks| thank you)*$|\bon second thought\b.{0,30}\b(?:yes|take|accept|sell)\b")


_WHY_NOT = re.compile(r"\bwhy not\s*\?+", re.I)


def rhetorical_yes(text: str) -> bool:
    """"Sure, why not? Let's do it.": a yes whose only question mark is the idiom's (at a yes-or-no question)."""
    return "?" in text and "?" not in _WHY_NOT.sub("", text) and is_yes(text)


def _only_phrases(norm: str, phrases: tuple[str, ...]) -> bool:
    """Whether the text is nothing but these phrases (and the words 'please', 'thanks')."""
    rest = f" {norm} "
    for phrase in sorted(phrases, key=len, reverse=True):
        rest = rest.replace(f" {phrase} ", " ").replace(f" {phrase} ", " ")
    return not rest.strip()


def is_yes(text: str) -> bool:
    """An unmistakable yes: yes-phrases only, no question, no hedge ("that's it? fine, yes" ends in one;
    "ok forget it, i'll take it as is. yes" ends in one sentence that is nothing but a yes)."""
    if _MONEY.search(text):
        return False  # "...has accepted a $2,000 offer. book it now": a yes to an amount of its own is not a yes
    text = _WHY_NOT.sub(" sure.", text)  # "sure, why not? let's do it": the idiom agrees, it asks nothing
    text = last_clause(text)
    if "?" in text:
        return False
    whole = normalize(text)
    if (_yes_in_words(whole) and not _HEDGE.search(whole)) or accepts_outright(text):
        return True  # "Yes, I'd be happy to go ahead with that, thank you": every sentence of it is yes or filler
    sentences = [s for s in re.split(r"[.!;,\n]+", text) if s.strip()]
    if len(sentences) > 1 and not any(_HEDGE.search(normalize(s)) for s in sentences[:-1]):
        text = sentences[-1]
    norm = normalize(text)
    if not norm or _HEDGE.search(norm):
        return False
    words = set(norm.split())
    return (_only_phrases(norm, _YES_PHRASES) or _yes_in_words(norm)) and not words <= {
        "please", "thanks", "thank", "you", "ty", "good", "lol", "haha", "then"}


def accepts_offer_only(text: str) -> bool:
    """Words that accept an offer and answer nothing else ("deal", "accept")."""
    return normalize(last_clause(text)) in _ACCEPT_ONLY


# A no said outright in a longer statement: "Hmm, I think I'll pass for now, thank you though."
_OUTRIGHT_NO = re.compile(r"^(?:(?:hmm+|um+|well|ok|okay|oh|honestly|actually|no|nah)\s)*(?:i think |i guess |think )?"
                          r"(?:i ll|ill|i will|i m gonna|im gonna|gonna|i d rather|id rather) (?:pass|hold off|skip it|keep it|"
                          r"say no|decline)\b(?: on (?:it|that|this|the offer))?(?: for now| for today| this time)?"
                          r"(?: thanks?| thank you)?(?: though| anyway| anyways)?$")


def is_no(text: str) -> bool:
    """An unmistakable no."""
    text = last_clause(text)
    norm = normalize(text)
    if not norm or "?" in text:
        return False
    if _OUTRIGHT_NO.match(norm):
        return True
    return _only_phrases(norm, _NO_PHRASES) and not set(norm.split()) <= {"please", "thanks"}


_LEAD_IN_FILLERS = re.compile(
    r"^(?:(?:hm+|um+|uh+|oh|actually|wait|ok|okay|so|well|alright|fine|whatever|yeah|yes|yep|sure)\b\s*)+")


def wants_offer(text: str) -> bool:
    """"Changed my mind, I'll take the offer": taking a decline back."""
    # "hmm ok actually fine, ill take it", "hm actually wait, i changed my mind": the hmm and the wait lead in
    norm = _STILL_STANDS.sub(" ", _LEAD_IN_FILLERS.sub("", without_polite_tag(normalize(without_preamble(text)))))
    return ("?" not in text and bool(_WANT_OFFER.search(norm)) and not _HEDGE.search(norm.replace("but ", ""))
            and not _AMOUNT.search(norm))  # "i accept for $200" names its own price
