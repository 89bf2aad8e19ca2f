"""Text clean-up shared by the NLU: lower-case, spacing, control characters."""

from __future__ import annotations

import re
import unicodedata

MAX_INPUT_CHARS = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f]")
_SPACES = re.compile(r"\s+")
# Texting shorthand that the rules would otherwise read as a number or a letter
_TEXTING_FOR = re.compile(r"\b(how much|whats|what s|offer|pay|give|price|quote|cash|anything) 4 (?=[a-z])")
_TEXTING_WITH = re.compile(r"(?<=[a-z]{3}) w (?=(?:a |the |my |its |it s )?[a-z]{3,})")


# Texting spellings of the words the rules read ("wat wud u give", "wipe it b4 sending"); only whole words that
# are never a model name or a size
_SHORTHAND = {"wat": "what", "wut": "what", "wht": "what", "wud": "would", "wuld": "would", "cud": "could",
              "shud": "should", "b4": "before", "bfore": "before", "tho": "though", "pls": "please",
              "plz": "please", "gonna": "going to", "kinda": "kind of", "abt": "about"}
_SHORTHAND_WORD = re.compile(r"\b(" + "|".join(_SHORTHAND) + r")\b")


def clean_input(text: str) -> str:
    """Strip control characters and surrounding space; keep at most MAX_INPUT_CHARS."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()[:MAX_INPUT_CHARS]


def normalize(text: str) -> str:
    """Lower-case, straighten quotes and separate words for matching."""
    text = text.casefold().replace("’", "'").replace("‘", "'")
    text = text.replace("&", " and ").replace("at and t", "att")
    text = re.sub(r"[^\w+%@.'$ -]", " ", text)
    text = re.sub(r"(?<=\w)[.,!?;:]+(?=\s|$)", " ", text)
    text = _TEXTING_FOR.sub(r"\1 for ", text)  # "how much 4 ipad air m1"
    text = _TEXTING_WITH.sub(" with ", text)  # "comes w charger or nah"
    text = _SHORTHAND_WORD.sub(lambda m: _SHORTHAND[m.group(1)], text)
    return _SPACES.sub(" ", text).strip()


def squash(text: str) -> str:
    """Remove everything but letters, digits and '+', for spacing-insensitive matching."""
    return re.sub(r"[^a-z0-9+]", "", text.casefold())


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IMEI = re.compile(r"\b\d{15}\b")
_PHONE = re.compile(r"(?<!\w)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\w)")


def mask_personal(text: str) -> str:
    """The text with emails, IMEIs and phone numbers masked, for what is kept for reading (unanswered questions)."""
    return _PHONE.sub("[phone]", _IMEI.sub("[imei]", _EMAIL.sub("[email]", text)))
