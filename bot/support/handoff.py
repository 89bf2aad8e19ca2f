"""Handoff to a person: the ticket summary and what the shopper is told. Pure."""

from __future__ import annotations

from typing import Any


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
