"""The shopper's answer to a counteroffer (a button, or typed): recorded, told to the back office, confirmed."""

from __future__ import annotations

import logging
from decimal import Decimal

from bot.delivery.booking_events import EventType
from bot.domain import Button, Reply
from bot.engine.booking_status import (
    COUNTEROFFER,
    COUNTEROFFER_ACCEPTED,
    COUNTEROFFER_DECLINED,
    booking_values,
    ship_by_of,
)
from bot.engine.bookings import BookingNotices, queue_event, row_event
from bot.engine.responses import Responses
from bot.engine.turn import Turn
from bot.nlu.buttons import CounterofferAnswer, counteroffer_answer
from bot.nlu.consent import is_yes
from bot.nlu.decisive import asks, decisive_no, decisive_yes
from bot.pricing.quote import format_usd
from bot.storage import repo

log = logging.getLogger(__name__)
CLARIFY = "counteroffer_clarify"  # a bare "ok" to a counteroffer: asked again, with its buttons


class CounterofferAnswers:
    """The shopper's Accept / Decline on a counteroffer: recorded, told to the back office, confirmed in the chat."""

    def __init__(self, responses: Responses, notices: BookingNotices | None = None) -> None:
        self.say = responses
        self.notices = notices or BookingNotices()

    def handle(self, turn: Turn, text: str, payload: str | None) -> list[Reply] | None:
        """The replies to a counteroffer button or typed answer; None when the message is neither."""
        if payload is not None:
            answer = counteroffer_answer(payload)
            return None if answer is None else self.answer(turn, answer)
        return self.typed(turn, text)

    def typed(self, turn: Turn, text: str) -> list[Reply] | None:
        """"yes I accept" / "no" while a counteroffer waits and no task is asking its own question.

        A question ("why is it lower?", "ok but what about the scratch?") is never an answer: the dialogue answers
        it and the counteroffer keeps waiting. A bare "ok" is asked again, with the buttons.
        """
        if turn.state.flow is not None or turn.state.confirming is not None or not text.strip():
            return None
        row = repo.open_counteroffer(turn.store.session, conversation_id=turn.store.conversation_id)
        if row is None or row.booking_id is None:
            return None
        if decisive_yes(text) or decisive_no(text):
            return self.answer(turn, CounterofferAnswer(row.booking_id, accepted=decisive_yes(text)))
        if not asks(text) and is_yes(text):  # "ok", "sure": about a lower amount, only a clear yes counts
            turn.intent = "counteroffer"
            buttons = tuple(Button(b.label, b.payload.format(booking_id=row.booking_id))
                            for b in self.say.buttons(CLARIFY))
            values = {**booking_values(row), "amount": format_usd(Decimal(row.counteroffer_usd or 0))}
            return [self.say.reply(CLARIFY, buttons, **values)]
        return None

    def answer(self, turn: Turn, answer: CounterofferAnswer) -> list[Reply]:
        """Record the shopper's answer to the counteroffer on one booking (pressed or typed)."""
        turn.intent = "counteroffer"
        session = turn.store.session
        row = repo.lock_booking(session, answer.booking_id)
        if row is None or row.conversation_id != turn.store.conversation_id:  # not this shopper's booking
            return [self.say.reply("stale_button")]
        if row.booking_status != COUNTEROFFER or row.counteroffer_usd is None:
            return [self.say.reply("counteroffer_closed", **booking_values(row))]
        row.booking_status = COUNTEROFFER_ACCEPTED if answer.accepted else COUNTEROFFER_DECLINED
        kind: EventType = "counteroffer.accepted" if answer.accepted else "counteroffer.declined"
        # offer_usd is the counteroffer's amount; an erased shopper's booking keeps no email: no event can carry it
        event = row_event(kind, row, channel=turn.store.channel, now=turn.now, ship_by=ship_by_of(row),
                          offer=row.counteroffer_usd)
        if self.notices.webhook and event is not None:
            queue_event(session, event)
        log.info("booking %s: %s", row.booking_id, row.booking_status)
        values = {**booking_values(row), "amount": format_usd(Decimal(row.counteroffer_usd))}
        return [self.say.reply(row.booking_status, **values)]
