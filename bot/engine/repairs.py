"""The repair patterns' actions: drop or restart the interrupted task, open a ticket for a person."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.engine.state import Frame
from bot.engine.turn import Turn
from bot.flows.executor import ActionResult
from bot.shop import Shop
from bot.support.handoff import ticket_summary
from bot.support.hours import describe_opening, next_opening


class RepairActions:
    """Registered actions of flows/patterns.yaml."""

    def __init__(self, shop: Shop, *, staffed: bool = True) -> None:
        self.shop = shop
        self.staffed = staffed  # False: no support desk is connected, so a handoff cannot reach a person

    def drop_interrupted(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """Forget the task the pattern interrupted (cancel, a refusal by policy)."""
        if turn.state.stack:
            turn.state.stack[-1] = Frame(None, None, {})
        return ActionResult()

    def restart_interrupted(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """Start the interrupted task over from its first question."""
        if turn.state.stack:
            frame = turn.state.stack[-1]
            turn.state.stack[-1] = Frame(frame.flow, None, {})
        return ActionResult()

    def open_ticket(self, turn: Turn, slots: Mapping[str, Any]) -> ActionResult:
        """Open (or reuse) the conversation's ticket with the reason, the facts so far and the last quote."""
        state = turn.state
        if not self.staffed:  # nobody would see a ticket: say how to reach the team instead
            state.fallbacks = 0
            return ActionResult(outcome="unstaffed")
        facts = state.interrupted.slots if state.interrupted is not None else {}
        known = {k: v for k, v in facts.items() if v is not None}
        quote_line = None
        if state.last_quote_id:
            stored = turn.store.load_quote(state.last_quote_id)
            if stored is not None:
                q, status = stored
                quote_line = f"{q.quote_id} {q.device_model} {q.storage_gb} GB {q.condition} ${q.offer_usd} ({status})"
        summary = ticket_summary(known, quote_line, turn.store.transcript())
        reason = slots.get("reason") or slots.get("rule")  # a Handoff's reason, or the policy rule that refused
        info = turn.store.open_ticket(reason=str(reason or ""), summary=summary, slots=known,
                                      quote_id=state.last_quote_id)
        turn.handoff = info
        turn.owner = "pending_human"
        state.fallbacks = 0
        support = self.shop.policy["support"]
        opening = next_opening(turn.now, timezone=support["timezone"], days=list(support["days"]),
                               opens=str(support["opens"]), closes=str(support["closes"]))
        if opening is None:
            return ActionResult(slots={"ticket_id": info.ticket_id}, outcome="open")
        return ActionResult(slots={"ticket_id": info.ticket_id, "opening": describe_opening(opening)}, outcome="queued")
