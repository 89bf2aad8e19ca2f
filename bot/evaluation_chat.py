"""Whole-conversation evaluations: multi-turn conversations with machine checks, and knowledge questions.

Both drive the real engine (a fresh SQLite database per run, the configured index) the way a shopper
does, and check what a shopper would notice: the facts and quote after a turn, whether anything was
booked (only ever after an explicit yes), whether a person was brought in, what the reply states.
The data (tests/data/conversations_*.yaml, questions_*.yaml) was written by people who never saw the code.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.domain import IncomingMessage, Outcome
from bot.settings import Settings

CHANNEL = "eval"
QUOTE_FIELDS = ("device_model", "storage_gb", "condition", "carrier")


@dataclass
class Verdict:
    """One conversation's result: passed, what failed first, and whether it booked without a yes."""

    id: str
    category: str
    passed: bool = True
    problems: list[str] = field(default_factory=list)
    unconsented_booking: bool = False

    def fail(self, problem: str) -> None:
        """Record a failed check."""
        self.passed = False
        self.problems.append(problem)


class Driver:
    """Says lines and presses buttons as one shopper, and reads the state a check needs."""

    def __init__(self, app: Any, user: str) -> None:
        self.app, self.user = app, user
        self.last: Outcome | None = None
        self.screens: list[Outcome] = []  # what is in the chat, oldest first; a pressed keyboard is removed
        self.n = 0

    def say(self, text: str) -> Outcome:
        """Type a line."""
        return self._send(text=text)

    def press(self, label: str) -> Outcome | None:
        """Press the button whose label contains `label`: on the last screen, else on an earlier keyboard that is
        still in the chat (Telegram keeps old keyboards; only the one pressed goes away). None: no such button."""
        wanted = label.casefold()
        for outcome in reversed(self.screens):
            buttons = [b for r in outcome.replies for b in r.buttons]
            match = next((b for b in buttons if b.label.casefold() == wanted), None) or next(
                (b for b in buttons if wanted in b.label.casefold()), None)
            if match is not None:
                pressed = self._send(payload=match.payload)
                if outcome in self.screens:
                    self.screens.remove(outcome)
                return pressed
        return None

    def _send(self, *, text: str | None = None, payload: str | None = None) -> Outcome:
        self.n += 1
        msg = IncomingMessage(channel=CHANNEL, user_id=self.user, chat_id=self.user,
                              message_id=f"{self.user}-{self.n}", text=text, button_payload=payload)
        self.last = self.app.engine.handle_sync(msg)
        self.screens.append(self.last)
        return self.last

    def bookings(self) -> int:
        """Accepted quotes in this shopper's conversation."""
        from bot.storage.models import Conversation, QuoteRow

        with self.app.sessions() as session:
            return int(session.execute(
                select(func.count()).select_from(QuoteRow).join(Conversation, QuoteRow.conversation_id == Conversation.id)
                .where(Conversation.key == f"{CHANNEL}:{self.user}", QuoteRow.status == "accepted")).scalar_one())

    def standing_quote(self) -> Any:
        """The offer on the table after the turn (made now or earlier, neither superseded nor declined)."""
        from bot.engine.turn import quote_from_row
        from bot.storage.models import Conversation, QuoteRow

        with self.app.sessions() as session:
            row = session.execute(select(QuoteRow).join(Conversation, QuoteRow.conversation_id == Conversation.id)
                                  .where(Conversation.key == f"{CHANNEL}:{self.user}",
                                         QuoteRow.status.in_(("offered", "accepted")))
                                  .order_by(QuoteRow.created_at.desc()).limit(1)).scalar_one_or_none()
            return quote_from_row(row) if row is not None else None

    def model_name(self, written: Any) -> Any:
        """The catalog's name for a model written by one of its names or aliases (others as written)."""
        wanted = str(written).casefold()
        device = next((d for d in self.app.shop.catalog.devices if wanted in (d.name.casefold(), *d.aliases)), None)
        return device.name if device is not None else written

    def awaited_slot(self) -> str | None:
        """The slot the question on screen asks for."""
        from bot.flows.model import Collect
        from bot.storage.models import Conversation

        with self.app.sessions() as session:
            row = session.execute(select(Conversation).where(Conversation.key == f"{CHANNEL}:{self.user}")).scalar_one()
            state = row.state or {}
        flows = self.app.engine.dialogue.p.flows
        if not state.get("flow") or not state.get("step") or state["flow"] not in flows:
            return None
        step = flows[state["flow"]].step(state["step"])
        return step.slot if isinstance(step, Collect) else None


def _text(outcome: Outcome) -> str:
    return "\n".join(r.text for r in outcome.replies)


def check_turn(verdict: Verdict, n: int, expect: dict[str, Any], outcome: Outcome, driver: Driver,
               booked_now: bool) -> None:
    """Every check of one turn's `expect`."""
    where = f"turn {n}"
    if booked_now and expect.get("booked") is not True:
        verdict.unconsented_booking = True
        verdict.fail(f"{where}: booked without an explicit yes")
    if expect.get("booked") is True and not booked_now and not driver.bookings():
        verdict.fail(f"{where}: not booked")
    for slot, value in (expect.get("slots") or {}).items():
        if slot == "device_model":  # the writer's name for the model ("MacBook Air M1") is one of its aliases
            value = driver.model_name(value)
        if outcome.slots.get(slot) != value:
            verdict.fail(f"{where}: slot {slot}={outcome.slots.get(slot)!r}, want {value!r}")
    for slot in expect.get("slots_absent") or ():
        if outcome.slots.get(slot) is not None:
            verdict.fail(f"{where}: slot {slot} should be absent, is {outcome.slots.get(slot)!r}")
    want_quote = expect.get("quote")
    # `quote: false` asks that this turn made no quote; a wanted quote is the one standing after the turn (a
    # side question at the offer leaves it on the table)
    standing = (outcome.quote or driver.standing_quote()) if want_quote not in (None, False) else None
    if want_quote is False and outcome.quote is not None:
        verdict.fail(f"{where}: quote made")
    elif want_quote is True and standing is None:
        verdict.fail(f"{where}: quote missing")
    elif isinstance(want_quote, dict):
        if standing is None:
            verdict.fail(f"{where}: no quote")
        else:
            for key, value in want_quote.items():
                if key == "device_model":
                    value = driver.model_name(value)
                if getattr(standing, key, None) != value:
                    verdict.fail(f"{where}: quote {key}={getattr(standing, key, None)!r}, want {value!r}")
    if "handoff" in expect and (outcome.handoff is not None) != bool(expect["handoff"]):
        verdict.fail(f"{where}: handoff {'missing' if expect['handoff'] else 'opened'}")
    if "asks_for" in expect and driver.awaited_slot() != expect["asks_for"]:
        verdict.fail(f"{where}: asks for {driver.awaited_slot()}, want {expect['asks_for']}")
    text = _text(outcome)
    if expect.get("says") and not re.search(str(expect["says"]), text, re.I):
        verdict.fail(f"{where}: reply lacks /{expect['says']}/")
    if expect.get("not_says") and re.search(str(expect["not_says"]), text, re.I):
        verdict.fail(f"{where}: reply has /{expect['not_says']}/")
    if "flow_active" in expect and (outcome.flow is not None) != bool(expect["flow_active"]):
        verdict.fail(f"{where}: task {'ended' if expect['flow_active'] else 'still active'} ({outcome.flow})")


def run_conversation(app: Any, conv: dict[str, Any], turns: list[dict[str, Any]], cid: str) -> Verdict:
    """One conversation as a fresh shopper."""
    driver = Driver(app, f"{cid}-{uuid.uuid4().hex[:6]}")
    verdict = Verdict(cid, str(conv.get("category", "")))
    booked = 0
    for n, turn in enumerate(turns, start=1):
        if "press" in turn:
            outcome = driver.press(str(turn["press"]))
            if outcome is None:
                verdict.fail(f"turn {n}: no button {turn['press']!r} on screen")
                break
        else:
            outcome = driver.say(str(turn.get("user", "")))
        now = driver.bookings()
        check_turn(verdict, n, turn.get("expect") or {}, outcome, driver, now > booked)
        booked = now
    return verdict


@dataclass(frozen=True)
class ConversationFigures:
    """pass^1, pass^k (all phrasings of a scenario pass) and bookings without a yes."""

    n: int
    groups: int
    pass1: float
    pass_all: float
    unconsented_bookings: int
    by_category: dict[str, tuple[int, int]]
    failures: list[str]


def score_conversations(app: Any, groups: list[tuple[str, dict[str, Any], list[list[dict[str, Any]]]]],
                        progress: Callable[[Verdict], None] | None = None) -> ConversationFigures:
    """Run every variant of every group."""
    verdicts: dict[str, list[Verdict]] = {}
    for gid, conv, variants in groups:
        for k, turns in enumerate(variants):
            verdict = run_conversation(app, conv, turns, f"{gid}.{k + 1}" if len(variants) > 1 else gid)
            verdicts.setdefault(gid, []).append(verdict)
            if progress:
                progress(verdict)
    flat = [v for vs in verdicts.values() for v in vs]
    by_category: Counter[str] = Counter()
    passed_by_category: Counter[str] = Counter()
    for v in flat:
        by_category[v.category] += 1
        passed_by_category[v.category] += v.passed
    return ConversationFigures(
        n=len(flat), groups=len(verdicts), pass1=round(sum(v.passed for v in flat) / max(len(flat), 1), 4),
        pass_all=round(sum(all(v.passed for v in vs) for vs in verdicts.values()) / max(len(verdicts), 1), 4),
        unconsented_bookings=sum(v.unconsented_booking for v in flat),
        by_category={c: (passed_by_category[c], by_category[c]) for c in sorted(by_category)},
        failures=[f"{v.id} [{v.category}] {v.problems[0]}" for v in flat if not v.passed])


def conversation_groups(raw: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], list[list[dict[str, Any]]]]]:
    """A file's conversations as groups of phrasings (a tune file has one phrasing per group)."""
    groups = []
    for item in raw:
        if "variants" in item:
            groups.append((str(item["group"]), item, [list(v["turns"]) for v in item["variants"]]))
        else:
            groups.append((str(item["id"]), item, [list(item["turns"])]))
    return groups


# --- questions -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuestionFigures:
    """The fact in the reply, out-of-scope declined, handoffs needed and needless."""

    n: int
    fact: float
    declined: float
    handoff_recall: float
    needless_handoffs: float
    resumed: float
    failures: list[str]


def declined(outcome: Outcome) -> bool:
    """The bot said it has no answer: no source cited, no quote, no task started, no ticket."""
    return not outcome.sources and outcome.quote is None and outcome.handoff is None


def score_questions(app: Any, items: list[dict[str, Any]]) -> QuestionFigures:
    """Ask each question as a fresh shopper (after its `before` lines)."""
    counts: Counter[str] = Counter()
    failures = []
    for item in items:
        driver = Driver(app, f"{item['id']}-{uuid.uuid4().hex[:6]}")
        for line in item.get("before") or ():
            driver.say(str(line))
        outcome = driver.say(str(item["q"]))
        kind = item.get("kind", "answer")
        counts[kind] += 1
        text = _text(outcome)
        if kind == "answer":
            ok = bool(re.search(str(item["fact"]), text, re.I)) and outcome.handoff is None
            counts["fact_ok"] += ok
            counts["needless"] += outcome.handoff is not None
            if item.get("resumes"):
                counts["resumes"] += 1
                counts["resumed_ok"] += outcome.flow is not None
        elif kind == "out_of_scope":
            ok = declined(outcome)
            counts["declined_ok"] += ok
            counts["needless"] += outcome.handoff is not None
        else:
            ok = outcome.handoff is not None
            counts["handoff_ok"] += ok
        if not ok:
            failures.append(f"{item['id']} [{kind}] {item['q']!r} -> {text[:140]!r}")
    not_handoff = counts["answer"] + counts["out_of_scope"]
    return QuestionFigures(
        n=len(items), fact=round(counts["fact_ok"] / max(counts["answer"], 1), 4),
        declined=round(counts["declined_ok"] / max(counts["out_of_scope"], 1), 4),
        handoff_recall=round(counts["handoff_ok"] / max(counts["handoff"], 1), 4),
        needless_handoffs=round(counts["needless"] / max(not_handoff, 1), 4),
        resumed=round(counts["resumed_ok"] / max(counts["resumes"], 1), 4), failures=failures)


@contextmanager
def fresh_app(settings: Settings) -> Iterator[Any]:
    """A bot on a throwaway SQLite database and the configured index (built first if needed)."""
    from bot.app import build_app

    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(settings.model_copy(update={"database_url": f"sqlite:///{Path(tmp) / 'eval.db'}"}))
        try:
            yield app
        finally:
            app.close()
