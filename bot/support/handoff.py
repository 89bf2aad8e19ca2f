"""Handoff to a person: the ticket summary and what the shopper is told. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.support.hours import describe_opening, next_opening


def ticket_summary(slots: dict[str, Any], quote_line: str | None, transcript: list[tuple[str, str]]) -> str:
    """What an agent reads first: the known facts, the last quote, the last messages."""
    facts = ", ".join(f"{k}={v}" for k, v in slots.items() if v is not None) or "none yet"
    lines = [f"Known: {facts}"]
    if quote_line:
        lines.append(f"Last quote: {quote_line}")
    lines.append("Last messages:")
    lines += [f"  {'shopper' if d == 'in' else 'bot' if d == 'out' else 'agent'}: {t[:300]}"
              for d, t in transcript]
    return "\n".join(lines)


def handoff_notice(ticket_id: str, now: datetime, support: dict[str, Any]) -> str:
    """Tell the shopper a person is coming, and when, given support hours."""
    opening = next_opening(now, timezone=support["timezone"], days=list(support["days"]),
                           opens=str(support["opens"]), closes=str(support["closes"]))
    if opening is None:
        when = "A support agent will reply right here shortly."
    else:
        when = (f"Our team is offline right now ({support['hours_text']}), so a person will reply here "
                f"from {describe_opening(opening)}.")
    return (f"I've passed your conversation to our support team (ticket {ticket_id}), with everything "
            f"you've told me so far. {when} Type /cancel if you'd rather carry on with me.")
