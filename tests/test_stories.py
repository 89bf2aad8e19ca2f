"""Conversation stories (tests/stories/*.yaml) run against the real engine on SQLite.

Each step is `user: text` or `button: payload`, then checks on the outcome:
intent, flow (null = no active flow), slots (subset), slots_absent, reply_contains,
reply_not_contains, buttons_include (labels), quote (true/false), handoff (true/false),
response (a name from config/responses.yaml, or a list: each must be among the replies),
commands (the understood command types, in order), booked (a quote of this conversation is accepted),
advance_days (move the clock before the step).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from bot.storage.models import QuoteRow
from tests.conftest import ChatHarness, Clock

STORIES = Path(__file__).parent / "stories"


def _load() -> list[Any]:
    cases = []
    for path in sorted(STORIES.glob("*.yaml")):
        for story in yaml.safe_load(path.read_text()):
            cases.append(pytest.param(story, id=f"{path.stem}: {story['story']}"))
    return cases


def _text(value: Any) -> str:
    """YAML reads `yes` as True and `64` as 64: the shopper typed text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _booked(chat: ChatHarness) -> bool:
    """Whether any quote of the shopper's conversation was accepted."""
    with chat.app.sessions() as session:
        return session.execute(select(QuoteRow).where(QuoteRow.status == "accepted")).first() is not None


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize("story", _load())
def test_story(story: dict[str, Any], chat: ChatHarness, clock: Clock) -> None:
    for number, step in enumerate(story["steps"], start=1):
        where = f"step {number} ({step.get('user') or step.get('button')!r})"
        if "advance_days" in step:
            clock.advance(days=step["advance_days"])
        outcome = chat.press(step["button"]) if "button" in step else chat.say(_text(step["user"]))
        text = chat.text_of(outcome).casefold()
        if "intent" in step:
            assert outcome.intent == step["intent"], f"{where}: intent {outcome.intent}"
        if "flow" in step:
            assert outcome.flow == step["flow"], f"{where}: flow {outcome.flow}"
        for slot, value in (step.get("slots") or {}).items():
            assert outcome.slots.get(slot) == value, f"{where}: slot {slot}={outcome.slots.get(slot)!r}"
        for slot in step.get("slots_absent") or []:
            assert slot not in outcome.slots, f"{where}: slot {slot} should be absent"
        for needle in _as_list(step.get("reply_contains") or []):
            assert needle.casefold() in text, f"{where}: reply lacks {needle!r}:\n{text}"
        for needle in _as_list(step.get("reply_not_contains") or []):
            assert needle.casefold() not in text, f"{where}: reply has {needle!r}:\n{text}"
        for label in step.get("buttons_include") or []:
            assert label in chat.labels(outcome), f"{where}: no button {label!r} in {chat.labels(outcome)}"
        if "quote" in step:
            assert (outcome.quote is not None) == step["quote"], f"{where}: quote {outcome.quote}"
        if "handoff" in step:
            assert (outcome.handoff is not None) == step["handoff"], f"{where}: handoff {outcome.handoff}"
        for name in _as_list(step.get("response") or []):
            assert name in [r.response for r in outcome.replies], f"{where}: no response {name!r}: " \
                f"{[r.response for r in outcome.replies]}"
        if "commands" in step:
            assert list(outcome.commands) == step["commands"], f"{where}: commands {outcome.commands}"
        if "booked" in step:
            assert _booked(chat) == step["booked"], f"{where}: booked is {_booked(chat)}"
        if "sources" in step:
            assert bool(outcome.sources) == step["sources"], f"{where}: sources {outcome.sources}"
