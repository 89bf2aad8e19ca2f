"""The support desk: tickets' threads in the support group, claim, release, agent replies, close, timeouts.

Ownership is single and by id: a claimed ticket belongs to one agent (never to a display name, which
anyone can change); others may not answer or close it unless they are an admin, who may take it over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.storage import repo
from bot.storage.models import Conversation, SupportMessage, Ticket, utcnow


@dataclass(frozen=True)
class Agent:
    """A person acting at the desk: known by a stable id, shown by name."""

    id: str  # "<channel>:<user id>"
    name: str
    is_admin: bool = False


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
    claimed_by_name: str | None = None


@dataclass(frozen=True)
class DeskResult:
    """The outcome of an agent action: whether it happened, and the response that tells the agent."""

    ok: bool
    note: str  # a response name in config/responses.yaml
    values: Mapping[str, Any] = field(default_factory=dict)
    ticket: TicketView | None = None


Effect = Callable[[Session, "TicketView"], None]  # runs in the action's transaction when it succeeds (queue messages)


def _view(ticket: Ticket, conversation: Conversation) -> TicketView:
    return TicketView(ticket.id, ticket.status, ticket.reason, ticket.summary, conversation.key,
                      conversation.channel, conversation.chat_id, ticket.support_thread_id, ticket.claimed_by,
                      ticket.claimed_by_name)


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

    def remember_message(self, ticket_id: str, chat_id: str, message_id: str, *, thread_id: str | None = None,
                         relayed_to: tuple[str, str] | None = None) -> None:
        """Map a support-group message (and the ticket's thread, and an agent reply's copy) to the ticket."""
        with self.sessions() as session, session.begin():
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                return
            if thread_id and not ticket.support_thread_id:
                ticket.support_thread_id = thread_id
            exists = session.execute(select(SupportMessage).where(
                SupportMessage.chat_id == chat_id, SupportMessage.message_id == message_id)).scalar_one_or_none()
            if exists is None:
                exists = SupportMessage(chat_id=chat_id, message_id=message_id, ticket_id=ticket_id,
                                        created_at=utcnow())
                session.add(exists)
            if relayed_to is not None:
                exists.relayed_chat_id, exists.relayed_message_id = relayed_to

    def relayed_copy(self, chat_id: str, message_id: str) -> tuple[str, str] | None:
        """Where the shopper's copy of an agent's support-group message went: (chat id, message id)."""
        with self.sessions() as session:
            row = session.execute(select(SupportMessage).where(
                SupportMessage.chat_id == chat_id, SupportMessage.message_id == message_id)).scalar_one_or_none()
            if row is None or row.relayed_chat_id is None or row.relayed_message_id is None:
                return None
            return row.relayed_chat_id, row.relayed_message_id

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

    def claim(self, ticket_id: str, agent: Agent, then: Effect | None = None) -> DeskResult:
        """An agent takes the ticket (an admin may take it over from another): a person owns the chat now."""
        with self.sessions() as session, session.begin():
            found = self._lock_open(session, ticket_id)
            if isinstance(found, DeskResult):
                return found
            ticket, conversation = found
            if ticket.status == "claimed" and ticket.claimed_by == agent.id:
                return DeskResult(False, "desk_already_yours", {"ticket_id": ticket_id})
            if refused := self._not_theirs(ticket, agent):
                return refused
            previous = ticket.claimed_by_name if ticket.status == "claimed" else None
            self._take(ticket, conversation, agent)
            if then is not None:
                then(session, _view(ticket, conversation))
            if previous is not None:
                return DeskResult(True, "desk_reassigned", {"ticket_id": ticket_id, "agent": agent.name,
                                                            "previous": previous}, _view(ticket, conversation))
            return DeskResult(True, "desk_claimed", {"ticket_id": ticket_id, "agent": agent.name},
                              _view(ticket, conversation))

    def release(self, ticket_id: str, agent: Agent, then: Effect | None = None) -> DeskResult:
        """The owner (or an admin) gives the ticket back to the queue; it waits for a person again."""
        with self.sessions() as session, session.begin():
            found = self._lock_open(session, ticket_id)
            if isinstance(found, DeskResult):
                return found
            ticket, conversation = found
            if ticket.status != "claimed":
                return DeskResult(False, "desk_not_claimed", {"ticket_id": ticket_id})
            if refused := self._not_theirs(ticket, agent):
                return refused
            now = utcnow()
            ticket.status, ticket.claimed_by, ticket.claimed_by_name = "open", None, None
            ticket.handed_off_at, ticket.updated_at, ticket.returned_to_bot = now, now, False
            conversation.owner = "pending_human"
            if then is not None:
                then(session, _view(ticket, conversation))
            return DeskResult(True, "desk_released", {"ticket_id": ticket_id, "agent": agent.name},
                              _view(ticket, conversation))

    def agent_message(self, ticket_id: str, agent: Agent, text: str, then: Effect | None = None) -> DeskResult:
        """Record an agent's reply (claiming the ticket if nobody has); returns where to deliver it."""
        with self.sessions() as session, session.begin():
            found = self._lock_open(session, ticket_id)
            if isinstance(found, DeskResult):
                return found
            ticket, conversation = found
            if ticket.status == "claimed" and ticket.claimed_by != agent.id:
                return DeskResult(False, "desk_not_yours", {"ticket_id": ticket_id,
                                                            "owner": ticket.claimed_by_name or ""})
            if ticket.status == "open":
                self._take(ticket, conversation, agent)
            repo.add_message(session, conversation_id=conversation.id, direction="agent", text=text)
            if then is not None:
                then(session, _view(ticket, conversation))
            return DeskResult(True, "desk_delivered", {"ticket_id": ticket_id}, _view(ticket, conversation))

    def close(self, ticket_id: str, agent: Agent, then: Effect | None = None) -> DeskResult:
        """Close the ticket and hand the conversation back to the bot."""
        with self.sessions() as session, session.begin():
            found = self._lock_open(session, ticket_id)
            if isinstance(found, DeskResult):
                return found
            ticket, conversation = found
            if refused := self._not_theirs(ticket, agent):
                return refused
            now = utcnow()
            ticket.status, ticket.closed_at, ticket.updated_at = "closed", now, now
            if ticket.claimed_by is None:
                ticket.claimed_by, ticket.claimed_by_name = agent.id, agent.name
            conversation.owner = "bot"
            if then is not None:
                then(session, _view(ticket, conversation))
            return DeskResult(True, "desk_closed", {"ticket_id": ticket_id, "agent": agent.name},
                              _view(ticket, conversation))

    @staticmethod
    def _not_theirs(ticket: Ticket, agent: Agent) -> DeskResult | None:
        """Why this agent may not act on another agent's claimed ticket (admins may)."""
        if ticket.status == "claimed" and ticket.claimed_by != agent.id and not agent.is_admin:
            return DeskResult(False, "desk_not_yours", {"ticket_id": ticket.id, "owner": ticket.claimed_by_name or ""})
        return None

    @staticmethod
    def _take(ticket: Ticket, conversation: Conversation, agent: Agent) -> None:
        ticket.status, ticket.claimed_by, ticket.claimed_by_name = "claimed", agent.id, agent.name
        ticket.updated_at = utcnow()
        conversation.owner = "human"

    def return_unclaimed(self, now: datetime, minutes: int) -> list[TicketView]:
        """Hand conversations whose latest handoff nobody claimed in time back to the bot (tickets stay open)."""
        cutoff = now - timedelta(minutes=minutes)
        returned: list[TicketView] = []
        with self.sessions() as session, session.begin():
            waiting_since = func.coalesce(Ticket.handed_off_at, Ticket.created_at)
            stmt = select(Ticket).where(Ticket.status == "open", Ticket.returned_to_bot.is_(False),
                                        waiting_since <= cutoff)
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
            return DeskResult(False, "desk_no_ticket", {"ticket_id": ticket_id})
        if ticket.status == "closed":
            return DeskResult(False, "desk_already_closed", {"ticket_id": ticket_id})
        conversation = session.execute(select(Conversation).where(
            Conversation.id == ticket.conversation_id).with_for_update()).scalar_one()
        return ticket, conversation
