"""Answer cards (knowledge/answers/*.yaml): one question shoppers ask, answered with the fact first.

Loaded and validated at index time and at start-up: a missing field, an unknown policy placeholder, a
duplicate id or a follow-up to a card that does not exist stops with one line naming file, card and key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigError
from bot.knowledge.documents import render_policy

CARDS_DIR = "answers"  # in KNOWLEDGE_DIR
JOURNEYS = ("buying", "selling", "both")
KINDS = ("phone", "tablet", "laptop")
MIN_QUESTIONS, MAX_QUESTIONS = 3, 30  # the brief asks 8-20; fewer than 3 cannot be matched reliably
FOLLOW_UPS = ("quote", "compare", "person")  # besides card:<id>
_REQUIRED = ("id", "topic", "questions", "answer", "source")


@dataclass(frozen=True)
class Card:
    """One answer card, its policy placeholders already filled."""

    id: str
    topic: str
    title: str
    questions: tuple[str, ...]
    answer: str
    source: str
    as_of: str
    follow_ups: tuple[str, ...]
    journey: str = "both"
    kinds: tuple[str, ...] = ()
    file: str = ""

    @property
    def indexed_text(self) -> str:
        """What BM25 reads: the questions and the answer."""
        return " ".join((*self.questions, self.answer))


def load_cards(folder: Path, policy: dict[str, Any]) -> list[Card]:
    """Every card of every *.yaml in the folder, validated as a set."""
    cards: list[Card] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        for card in _parse_file(path, policy):
            if card.id in seen:
                raise ConfigError(f"{path.name}, card '{card.id}': id already used in {seen[card.id]}")
            seen[card.id] = path.name
            cards.append(card)
    for card in cards:
        for follow in card.follow_ups:
            target = follow.removeprefix("card:")
            if follow.startswith("card:") and target not in seen:
                raise ConfigError(f"{card.file}, card '{card.id}': follow-up to unknown card '{target}'")
    return cards


def _parse_file(path: Path, policy: dict[str, Any]) -> list[Card]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path.name} is not valid YAML{where}: fix the file and index again") from None
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConfigError(f"{path.name}: expected a list of cards")
    return [_parse_card(path.name, item, policy) for item in raw]


def _parse_card(file: str, item: Any, policy: dict[str, Any]) -> Card:
    if not isinstance(item, dict):
        raise ConfigError(f"{file}: a card must be a mapping with {', '.join(_REQUIRED)}")
    card_id = str(item.get("id") or "?")
    where = f"{file}, card '{card_id}'"
    missing = [key for key in _REQUIRED if not item.get(key)]
    if missing:
        raise ConfigError(f"{where}: missing '{missing[0]}'")
    questions = item["questions"]
    if not isinstance(questions, list) or not MIN_QUESTIONS <= len(questions) <= MAX_QUESTIONS:
        raise ConfigError(f"{where}: 'questions' needs {MIN_QUESTIONS}-{MAX_QUESTIONS} paraphrases")
    journey = str(item.get("journey") or "both")
    if journey not in JOURNEYS:
        raise ConfigError(f"{where}: journey must be one of {', '.join(JOURNEYS)}")
    kinds = tuple(str(k) for k in item.get("kinds") or ())
    if any(k not in KINDS for k in kinds):
        raise ConfigError(f"{where}: kinds must be among {', '.join(KINDS)}")
    follow_ups = tuple(str(f) for f in item.get("follow_ups") or ())
    for follow in follow_ups:
        if follow not in FOLLOW_UPS and not follow.startswith("card:"):
            raise ConfigError(f"{where}: unknown follow-up '{follow}' (use quote, compare, person or card:<id>)")
    return Card(
        id=card_id, topic=str(item["topic"]), title=str(item.get("title") or item["topic"]),
        questions=tuple(render_policy(str(q), policy, where) for q in questions),
        answer=" ".join(render_policy(str(item["answer"]), policy, where).split()),
        source=str(item["source"]), as_of=str(item.get("as_of") or ""), follow_ups=follow_ups,
        journey=journey, kinds=kinds, file=file,
    )
