"""The support desk: tickets' threads in the support group, claim, agent replies, close, timeouts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.storage import repo
from bot.storage.models import Conversation, SupportMessage, Ticket, utcnow


@dataclass(frozen=True)
class TicketView:
    """What a channel needs to know about a ticket."""

    ticket_id: str
    status: str
    reason: str
    summary: str
    conversation_key: str
    channel: str
    chat_id: str
    support_thread_id: str | None
    claimed_by: str | None


@dataclass(frozen=True)
class DeskResult:
    """The outcome of an agent action: whether it happened, and what to tell whom."""

    ok: bool
    note: str
    ticket: TicketView | None = None


def _view(ticket: Ticket, conversation: Conversation) -> TicketView:
    return TicketView(ticket.id, ticket.status, ticket.reason, ticket.summary, conversation.key,
                      conversation.channel, conversation.chat_id, ticket.support_thread_id, ticket.claimed_by)


class SupportDesk:
    """Ticket operations, each in its own transaction with the conversation row locked."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def open_ticket_of(self, conversation_key: str) -> TicketView | None:
        """The conversation's ticket that is not closed, if any."""
        with self.sessions() as session:
            conversation = repo.get_conversation(session, conversation_key)
            if conversation is None:
                return None
            stmt = (select(Ticket).where(Ticket.conversation_id == conversation.id, Ticket.status != "closed")
                    .order_by(Ticket.created_at.desc()))
            ticket = session.execute(stmt).scalars().first()
            return _view(ticket, conversation) if ticket else None

    def remember_message(self, ticket_id: str, chat_id: str, message_id: str, *, thread_id: str | None = None) -> None:
        """Map a support-group message (and the ticket's thread) to the ticket."""
        with self.sessions() as session, session.begin():
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                return
            if thread_id and not ticket.support_thread_id:
                ticket.support_thread_id = thread_id
            exists = session.execute(select(SupportMessage.id).where(
                SupportMessage.chat_id == chat_id, SupportMessage.message_id == message_id)).first()
            if exists is None:
                session.add(SupportMessage(chat_id=chat_id, message_id=message_id, ticket_id=ticket_id,
                                           created_at=utcnow()))

    def ticket_for(self, chat_id: str, *, message_id: str | None, thread_id: str | None) -> str | None:
        """The ticket a support-group message belongs to: by forum topic, else by the message replied to."""
        with self.sessions() as session:
            if thread_id:
                found = session.execute(select(Ticket.id).where(Ticket.support_thread_id == thread_id)
                                        .order_by(Ticket.created_at.desc())).scalars().first()
                if found:
                    return str(found)
            if message_id:
                found = session.execute(select(SupportMessage.ticket_id).where(
                    SupportMessage.chat_id == chat_id, SupportMessage.message_id == message_id)).scalars().first()
                if found:
                    return str(found)
        return None

    def claim(self, ticket_id: str, agent: str) -> DeskResult:
        """An agent takes the ticket: the conversation now belongs to a person."""
        with self.sessions() as session, session.begin():
            found = self._lock_open(session, ticket_id)
            if isinstance(found, DeskResult):
                return found
            ticket, conversation = found
            if ticket.status == "claimed" and ticket.claimed_by != agent:
                return DeskResult(False, f"Ticket {ticket_id} is already claimed by {ticket.claimed_by}.")
            self._take(ticket, conversation, agent)
            return DeskResult(True, f"{agent} claimed ticket {ticket_id}.", _view(ticket, conversation))

    def agent_message(self, ticket_id: str, agent: str, text: str) -> DeskResult:
        """Record an agent's reply (claiming the ticket if nobody has); returns where to deliver it."""
        with self.sessions() as session, session.begin():
            found = self._lock_open(session, ticket_id)
            if isinstance(found, DeskResult):
                return found
            ticket, conversation = found
            if ticket.status == "open":
                self._take(ticket, conversation, agent)
            repo.add_message(session, conversation_id=conversation.id, direction="agent", text=text)
            return DeskResult(True, "delivered", _view(ticket, conversation))

    def close(self, ticket_id: str, agent: str) -> DeskResult:
        """Close the ticket and hand the conversation back to the bot."""
        with self.sessions() as session, session.begin():
            found = self._lock_open(session, ticket_id)
            if isinstance(found, DeskResult):
                return found
            ticket, conversation = found
            now = utcnow()
            ticket.status, ticket.closed_at, ticket.updated_at = "closed", now, now
            ticket.claimed_by = ticket.claimed_by or agent
            conversation.owner = "bot"
            return DeskResult(True, f"{agent} closed ticket {ticket_id}.", _view(ticket, conversation))

    @staticmethod
    def _take(ticket: Ticket, conversation: Conversation, agent: str) -> None:
        ticket.status, ticket.claimed_by, ticket.updated_at = "claimed", agent, utcnow()
        conversation.owner = "human"

    def return_unclaimed(self, now: datetime, minutes: int) -> list[TicketView]:
        """Hand conversations whose ticket nobody claimed in time back to the bot (tickets stay open)."""
        cutoff = now - timedelta(minutes=minutes)
        returned: list[TicketView] = []
        with self.sessions() as session, session.begin():
            stmt = select(Ticket).where(Ticket.status == "open", Ticket.returned_to_bot.is_(False),
                                        Ticket.created_at <= cutoff)
            for ticket in session.execute(stmt).scalars().all():
                conversation = session.execute(select(Conversation).where(
                    Conversation.id == ticket.conversation_id).with_for_update()).scalar_one()
                if conversation.owner == "pending_human":
                    conversation.owner = "bot"
                ticket.returned_to_bot = True
                returned.append(_view(ticket, conversation))
        return returned

    @staticmethod
    def _lock_open(session: Session, ticket_id: str) -> tuple[Ticket, Conversation] | DeskResult:
        """The ticket and its conversation, both locked; or why an agent cannot act on it."""
        ticket = session.execute(select(Ticket).where(Ticket.id == ticket_id).with_for_update()).scalar_one_or_none()
        if ticket is None:
            return DeskResult(False, "No such ticket.")
        if ticket.status == "closed":
            return DeskResult(False, f"Ticket {ticket_id} is already closed.")
        conversation = session.execute(select(Conversation).where(
            Conversation.id == ticket.conversation_id).with_for_update()).scalar_one()
        return ticket, conversation
