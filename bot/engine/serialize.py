"""Outcome <-> JSON: the replay contract's shape, also stored to answer redeliveries identically."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.domain import Button, HandoffInfo, Outcome, Quote, QuoteLine, Reply, Source


def outcome_to_json(outcome: Outcome) -> dict[str, Any]:
    """Every replay-contract field except user, input and latency_ms."""
    return {
        "intent": outcome.intent,
        "flow": outcome.flow,
        "slots": dict(outcome.slots),
        "replies": [{"text": r.text, "buttons": [{"label": b.label, "payload": b.payload} for b in r.buttons],
                     "response": r.response} for r in outcome.replies],
        "commands": list(outcome.commands),
        "quote": outcome.quote.to_json() if outcome.quote else None,
        "sources": [{"id": s.id, "title": s.title, "kind": s.kind} for s in outcome.sources],
        "handoff": {"ticket_id": outcome.handoff.ticket_id, "status": outcome.handoff.status}
        if outcome.handoff else None,
    }


def outcome_from_json(raw: dict[str, Any], *, duplicate: bool = False) -> Outcome:
    """Rebuild an Outcome stored by outcome_to_json."""
    quote = raw.get("quote")
    handoff = raw.get("handoff")
    return Outcome(
        replies=tuple(Reply(r["text"], tuple(Button(b["label"], b["payload"]) for b in r["buttons"]), r.get("response"))
                      for r in raw.get("replies", [])),
        commands=tuple(raw.get("commands") or ()),
        intent=raw.get("intent"), flow=raw.get("flow"), slots=dict(raw.get("slots") or {}),
        quote=_quote_from_json(quote) if quote else None,
        sources=tuple(Source(s["id"], s["title"], s["kind"]) for s in raw.get("sources", [])),
        handoff=HandoffInfo(handoff["ticket_id"], handoff["status"]) if handoff else None,
        duplicate=duplicate,
    )


def _quote_from_json(raw: dict[str, Any]) -> Quote:
    return Quote(
        quote_id=raw["quote_id"], device_model=raw["device_model"], storage_gb=raw["storage_gb"],
        condition=raw["condition"], carrier=raw["carrier"], offer_usd=Decimal(str(raw["offer_usd"])),
        valid_until=datetime.fromisoformat(raw["valid_until"]), price_table_version=raw["price_table_version"],
        breakdown=tuple(QuoteLine(b["label"], Decimal(str(b["amount_usd"]))) for b in raw["breakdown"]),
        currency=raw.get("currency", "USD"),
    )
