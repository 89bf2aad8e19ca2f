"""Guard an LLM's wording: every amount, percentage and period must come from the given context. Pure."""

from __future__ import annotations

import re

MAX_ANSWER_CHARS = 700  # the longest authored card answer is about 550 characters: a reply past this is not an answer
MAX_ANSWER_SENTENCES = 3  # what config/prompts/answer.txt asks for

_MONEY = re.compile(r"\$\s?\d[\d,]*(?:\.\d+)?")
_PERCENT = re.compile(r"\d+(?:\.\d+)?\s?(?:%|percent)")
_PERIOD = re.compile(r"\b(\d+|one|two|three|four|five|six|seven|ten|twelve|thirty)[\s-]+(?:business[\s-]+)?"
                     r"(day|week|month|year)s?\b", re.I)
_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "ten": "10",
          "twelve": "12", "thirty": "30"}

_SENTENCE_END = re.compile(r"[.!?]+(?:\s+|$)")
_LINK = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+|\bwww\.\S+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
                   r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|us|info|biz|me|app|shop|store|xyz|link"
                   r"|click|online|site|top|ly|gg|tk|ru|cn)\b(?:/\S*)?", re.I)
_CURRENCY = {"usd": "USD", "dollar": "USD", "dollars": "USD", "buck": "USD", "bucks": "USD", "cent": "cent",
             "cents": "cent", "eur": "EUR", "euro": "EUR", "euros": "EUR", "gbp": "GBP", "pound": "GBP",
             "pounds": "GBP", "quid": "GBP", "cad": "CAD", "aud": "AUD", "jpy": "JPY", "yen": "JPY", "btc": "BTC",
             "bitcoin": "BTC", "usdt": "USDT", "€": "EUR", "£": "GBP", "¥": "JPY"}
_CURRENCY_WORD = r"(?:\b(?:" + "|".join(w for w in _CURRENCY if w.isalpha()) + r")\b|[€£¥])"
_UNITS = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_TENS = {w: 10 * n for n, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
_NUMBER_WORD = "|".join([*_UNITS, *_TENS, *_SCALES])
_SPELLED = (rf"\b(?:a\s+(?=(?:{'|'.join(_SCALES)})\b))?(?:{_NUMBER_WORD})"
            rf"(?:(?:\s+and\s+|[\s-]+)(?:{_NUMBER_WORD}))*\b")
_DIGITS = r"\d[\d,]*(?:\.\d+)?"
_AMOUNT = re.compile(rf"(?P<n>{_DIGITS}|{_SPELLED})\s*{_CURRENCY_WORD}|{_CURRENCY_WORD}\s*(?P<n2>{_DIGITS})", re.I)
_SECRET = (r"(?:passwords?|pass\s?codes?|pins?(?:\s+(?:code|number)s?)?|cvv|cvc|security\s+codes?|card\s+numbers?"
           r"|card\s+details|account\s+numbers?|routing\s+numbers?|social\s+security(?:\s+numbers?)?|ssn"
           r"|one[\s-]time\s+(?:pass)?codes?|verification\s+codes?|2fa\s+codes?|otp|login\s+details|credentials"
           r"|seed\s+phrase|recovery\s+phrase)")
_SECRET_WORD = re.compile(rf"\b{_SECRET}\b", re.I)
_SECRET_REQUEST = re.compile(
    r"(?P<before>(?:\S+\s+){0,4}?)\b(?P<verb>send|share|tell|give|provide|enter|type|text|dm|message|email|reply"
    rf"|confirm|include|write|post|paste|read|what(?:'s|\s+is|\s+are))\b(?:\s+\S+){{0,5}}?\s+(?P<secret>{_SECRET})\b",
    re.I)
# "don't share your PIN", "you never have to give us your passcode": a warning, not a request
_NEGATED = re.compile(r"\b(?:don'?t|do\s+not|never|not|no\s+need\s+to|nobody|no\s+one)\s+(?:[a-z']+\s+){0,2}$", re.I)
_LONE_ONE = "1"  # "one" alone is mostly a pronoun ("the one you have"); as a period it is checked above


def _money(text: str) -> set[str]:
    return {re.sub(r"[\s$,]", "", m).removesuffix(".00") for m in _MONEY.findall(text)}


def _percents(text: str) -> set[str]:
    return {re.sub(r"\s|percent|%", "", m) for m in _PERCENT.findall(text)}


def _periods(text: str) -> set[tuple[str, str]]:
    return {(_WORDS.get(n.casefold(), n), unit.casefold()) for n, unit in _PERIOD.findall(text)}


def _spelled_value(phrase: str) -> str:
    """The value of 'two thousand and five', 'twenty-four', 'a hundred', as digits."""
    total = current = 0
    for word in re.findall(r"[a-z]+", phrase.casefold()):
        if word in _UNITS or word in _TENS:
            current += _UNITS.get(word, 0) + _TENS.get(word, 0)
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word in _SCALES:
            total, current = total + max(current, 1) * _SCALES[word], 0
    return str(total + current)


def _number(token: str) -> str:
    """A digit or spelled-out number as digits ('2,000' and 'two thousand' are both '2000')."""
    token = token.strip()
    if re.fullmatch(_DIGITS, token):
        return token.replace(",", "").removesuffix(".00")
    return _spelled_value(token)


def _numbers(text: str) -> set[str]:
    return {_number(m) for m in re.findall(_DIGITS, text)} | {_number(m) for m in re.findall(_SPELLED, text, re.I)}


def _currencies(text: str) -> set[str]:
    found = {_CURRENCY[m.casefold()] for m in re.findall(_CURRENCY_WORD, text, re.I)}
    return found | ({"USD"} if _MONEY.search(text) else set())


def _sentences(text: str) -> int:
    return len([s for s in _SENTENCE_END.split(text.strip()) if s.strip()])


def ungrounded_figures(answer: str, context: str) -> list[str]:
    """Dollar amounts, percentages and periods in the answer that the context does not contain."""
    missing = [f"${m}" for m in _money(answer) - _money(context)]
    missing += [f"{p}%" for p in _percents(answer) - _percents(context)]
    missing += [f"{n} {u}" for n, u in _periods(answer) - _periods(context)]
    return missing


def unsafe_wording(answer: str, context: str) -> list[str]:
    """Why the answer must not be shown (empty when it may): too long, links, money or secrets not in the context."""
    if len(answer) > MAX_ANSWER_CHARS:
        return [f"longer than {MAX_ANSWER_CHARS} characters"]
    problems = ungrounded_figures(answer, context)
    if _sentences(answer) > MAX_ANSWER_SENTENCES:
        problems.append(f"more than {MAX_ANSWER_SENTENCES} sentences")
    links = {m.group(0).rstrip(".,;:!?)") for m in _LINK.finditer(answer)}
    problems += ["a link" for link in links if link.casefold() not in context.casefold()][:1]
    problems += [f"currency {c}" for c in sorted(_currencies(answer) - _currencies(context))]
    money = _money(context)
    problems += [f"amount {m.group(0)}" for m in _AMOUNT.finditer(answer) if _number(m.group("n") or m.group("n2"))
                 not in money]
    known = _numbers(context) | {_LONE_ONE}
    problems += [f"number {m}" for m in re.findall(_SPELLED, answer, re.I) if _number(m) not in known]
    if _SECRET_WORD.search(answer) and not _SECRET_WORD.search(context):
        problems.append("mentions credentials")
    if _requests(answer) - _requests(context):  # "enter your passcode" is fine where the card itself says it
        problems.append("asks for credentials")
    return problems


def _requests(text: str) -> set[tuple[str, str]]:
    """(verb, secret) of each request for a secret that is not a warning against giving it."""
    return {(m.group("verb").casefold(), m.group("secret").casefold().split()[0][:4])
            for m in _SECRET_REQUEST.finditer(text) if not _NEGATED.search(m.group("before"))}


def says_unknown(answer: str) -> bool:
    """The model declined ('I don't know')."""
    return bool(re.search(r"\bi (?:do not|don't|dont) know\b", answer.casefold()))
