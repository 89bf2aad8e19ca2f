"""The shopper cancels a booked trade-in in the chat ("cancel my trade-in"), after a yes to a confirmation.

Asked first, with Yes / No buttons; a typed yes must say yes in so many words, and a question ("what happens if
I cancel?", "can I cancel later?") is never one: it is explained and asked again. Cancelling records the status
`cancelled` and sends booking.cancelled to the back office (once per booking: its idempotency key).
"""

from __future__ import annotations

import logging
import re

from bot.domain import Button, Reply
from bot.engine.booking_status import ACTIVE, CANCELLED, booking_values, ship_by_of
from bot.engine.bookings import BookingNotices, queue_event, row_event
from bot.engine.responses import Responses
from bot.engine.turn import Turn
from bot.nlu.decisive import asks, decisive_no, decisive_yes
from bot.nlu.question_shape import normalize
from bot.nlu.speech_acts import polite_request
from bot.storage import repo
from bot.storage.models import QuoteRow

log = logging.getLogger(__name__)
CONFIRMING = "cancel_booking:"  # ConversationState.confirming while the yes is awaited: cancel_booking:<booking id>
YES, NO = "b:cancel=yes:", "b:cancel=no:"  # the confirmation's buttons: b:cancel=yes:<booking id>
KEY = "{booking_id}:booking.cancelled"  # one booking.cancelled per booking, whatever happens
CANCEL_WORDS = frozenset({"cancel", "cancelled", "canceled", "cancelling", "canceling"})  # "yes, cancel it"
# "cancel my trade-in", "please cancel the booking", "I want to cancel my trade in": a request, when not a question
_REQUEST = re.compile(r"\bcancel+(?:l?ing)? (?:my|the|this|our) (?:\w+ )?(?:trade ?-?in|booking|shipment|sale)\b")
_ABOUT_CANCELLING = re.compile(r"\b(?:cancel\w*|charged?|fees?|cost|costs|penalty|happens?|later|undo|again)\b")
_CAN_YOU = re.compile(r"^(?:(?:hi|hey|ok|so|please)\s)*(?:can|could|would|will) (?:you|u) (?:please )?cancel\b")


def asks_to_cancel(text: str) -> bool:
    """A request to cancel a booking ("can you cancel my trade-in?" asks for it too; "how do I cancel...?" doesn't)."""
    norm = normalize(text)
    if not _REQUEST.search(norm):
        return False
    return not asks(text) or polite_request(text) or bool(_CAN_YOU.search(norm))


class BookingCancels:
    """Cancelling a booking, inside the engine's turn (one transaction with it)."""

    def __init__(self, responses: Responses, notices: BookingNotices | None = None) -> None:
        self.say = responses
        self.notices = notices or BookingNotices()

    def handle(self, turn: Turn, text: str, payload: str | None) -> list[Reply] | None:
        """The replies when the message is about cancelling a booking; None to let the dialogue have it."""
        state = turn.state
        confirming = state.confirming or ""
        waiting = confirming[len(CONFIRMING):] if confirming.startswith(CONFIRMING) else None
        if payload is not None:
            if payload.startswith(YES):  # an old button pressed after moving on is asked again, never a yes
                booking_id = payload[len(YES):]
                return self._cancel(turn, booking_id) if waiting == booking_id else self._ask_again(turn, booking_id)
            if payload.startswith(NO):
                return self._keep(turn) if waiting is not None else [self.say.reply("cancel_booking_kept")]
            return None
        if waiting is not None:
            if decisive_yes(text, CANCEL_WORDS):
                return self._cancel(turn, waiting)
            if decisive_no(text):
                return self._keep(turn)
            if asks_to_cancel(text) or (asks(text) and _ABOUT_CANCELLING.search(normalize(text))):
                turn.intent = "faq" if asks(text) else "cancel"  # "what happens if I cancel?": explained, asked again
                return self._ask_again(turn, waiting, response="cancel_booking_explain")
            state.confirming = None  # anything else (another question too): the shopper moved on, the dialogue takes it
            return None
        if not asks_to_cancel(text):
            return None
        bookings = repo.active_bookings(turn.store.session, conversation_id=turn.store.conversation_id,
                                        statuses=ACTIVE)
        if not bookings:
            return None  # nothing booked to cancel: the dialogue answers as before
        return self._ask_again(turn, str(bookings[0].booking_id))

    def _ask_again(self, turn: Turn, booking_id: str, *, response: str = "cancel_booking_confirm") -> list[Reply]:
        row = repo.lock_booking(turn.store.session, booking_id)
        if row is None or row.conversation_id != turn.store.conversation_id:
            turn.state.confirming = None
            return [self.say.reply("stale_button")]
        turn.intent = turn.intent or "cancel"
        turn.state.confirming = CONFIRMING + booking_id
        buttons = tuple(Button(b.label, b.payload.format(booking_id=booking_id)) for b in self.say.buttons(response))
        return [self.say.reply(response, buttons, **booking_values(row))]

    def _keep(self, turn: Turn) -> list[Reply]:
        turn.state.confirming = None
        turn.intent = "cancel"
        return [self.say.reply("cancel_booking_kept")]

    def _cancel(self, turn: Turn, booking_id: str) -> list[Reply]:
        turn.state.confirming = None
        turn.intent = "cancel"
        row = repo.lock_booking(turn.store.session, booking_id)
        if row is None or row.conversation_id != turn.store.conversation_id:
            return [self.say.reply("stale_button")]
        if row.booking_status not in ACTIVE:  # received, cancelled or lapsed meanwhile: nothing to cancel
            return [self.say.reply("cancel_booking_too_late", **booking_values(row))]
        row.booking_status = CANCELLED
        self._announce(turn, row)
        log.info("booking %s cancelled by the shopper", booking_id)
        return [self.say.reply("booking_cancelled", **booking_values(row))]

    def _announce(self, turn: Turn, row: QuoteRow) -> None:
        event = row_event("booking.cancelled", row, channel=turn.store.channel, now=turn.now, ship_by=ship_by_of(row))
        if self.notices.webhook and event is not None:
            queue_event(turn.store.session, event, key=KEY.format(booking_id=row.booking_id))
