"""Replay: JSONL in, JSONL out, one output line per input line (the stable contract in DESIGN.md)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

from bot.domain import IncomingMessage
from bot.engine.engine import Engine, storable
from bot.engine.serialize import outcome_to_json

CHANNEL = "replay"
EMPTY: dict[str, Any] = {"intent": None, "flow": None, "slots": {}, "replies": [], "quote": None, "sources": [], "handoff": None,
                         "commands": []}


def parse_line(line: str, number: int) -> tuple[dict[str, Any] | None, str | None]:
    """The input object, or a description of what is wrong with the line."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as err:
        return None, f"line {number}: not valid JSON ({err.msg})"
    if not isinstance(data, dict):
        return None, f"line {number}: expected a JSON object"
    if not isinstance(data.get("user"), str | int) or str(data.get("user")).strip() == "":
        return None, f"line {number}: missing \"user\""
    if not isinstance(data.get("text"), str) and not isinstance(data.get("button"), str):
        return None, f"line {number}: needs \"text\" or \"button\" (a string)"
    return data, None


async def replay(engine: Engine, lines: Iterable[str]) -> AsyncIterator[dict[str, Any]]:
    """Run every line through the engine, yielding one result per line; never stops on a bad line."""
    run = uuid.uuid4().hex[:8]
    for number, raw in enumerate(lines, start=1):
        data, problem = parse_line(raw, number)
        if data is None:
            yield {"user": None, "input": raw.rstrip("\n"), **EMPTY, "latency_ms": 0.0, "error": problem}
            continue
        user = str(data["user"])
        text, button = data.get("text"), data.get("button")
        msg = IncomingMessage(channel=CHANNEL, user_id=user, chat_id=user, message_id=f"{run}:{number}",
                              text=text if isinstance(text, str) else None,
                              button_payload=button if isinstance(button, str) else None)
        started = time.perf_counter()
        outcome = await engine.handle(msg)
        latency = (time.perf_counter() - started) * 1000
        echoed = text if isinstance(text, str) else button  # as stored: lone surrogates cannot be written as UTF-8
        yield {"user": storable(user), "input": storable(echoed) if isinstance(echoed, str) else echoed,
               **outcome_to_json(outcome), "latency_ms": round(latency, 2)}
