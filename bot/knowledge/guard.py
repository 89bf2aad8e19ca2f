"""Guard an LLM's wording: every amount, percentage and period must come from the given context. Pure."""

from __future__ import annotations

import re

_MONEY = re.compile(r"\$\s?\d[\d,]*(?:\.\d+)?")
_PERCENT = re.compile(r"\d+(?:\.\d+)?\s?(?:%|percent)")
_PERIOD = re.compile(r"\b(\d+|one|two|three|four|five|six|seven|ten|twelve|thirty)[\s-]+(?:business[\s-]+)?"
                     r"(day|week|month|year)s?\b", re.I)
_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "ten": "10",
          "twelve": "12", "thirty": "30"}


def _money(text: str) -> set[str]:
    return {re.sub(r"[\s$,]", "", m).removesuffix(".00") for m in _MONEY.findall(text)}


def _percents(text: str) -> set[str]:
    return {re.sub(r"\s|percent|%", "", m) for m in _PERCENT.findall(text)}


def _periods(text: str) -> set[tuple[str, str]]:
    return {(_WORDS.get(n.casefold(), n), unit.casefold()) for n, unit in _PERIOD.findall(text)}


def ungrounded_figures(answer: str, context: str) -> list[str]:
    """Dollar amounts, percentages and periods in the answer that the context does not contain."""
    missing = [f"${m}" for m in _money(answer) - _money(context)]
    missing += [f"{p}%" for p in _percents(answer) - _percents(context)]
    missing += [f"{n} {u}" for n, u in _periods(answer) - _periods(context)]
    return missing


def says_unknown(answer: str) -> bool:
    """The model declined ('I don't know')."""
    return bool(re.search(r"\bi (?:do not|don't|dont) know\b", answer.casefold()))
