"""The support console: /console (the inbox, live), a ticket's page, and claim, release, close, reply, note.

Actions go through the same SupportDesk as the Telegram support group, so ownership stays single and an
action in one shows in the other: the shopper hears of a claim or a reply on their own channel, and the
ticket's thread in the group is told what happened here (both through the outbox, in the action's
transaction). A close hands the conversation back to the bot exactly as /close in the group does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from bot.channels.web import sse
from bot.channels.web.auth import csrf_of, current_account, require_account
from bot.channels.web.deps import WebDeps, deps_of
from bot.channels.web.hub import DESK
from bot.channels.web.outbound import queue_to_shopper, queue_to_support_group
from bot.channels.web.refusals import Refused
from bot.domain import Reply
from bot.support.accounts import Account, list_accounts
from bot.support.desk import Agent, DeskResult, Effect, TicketView
from bot.support.inbox import BUCKETS, add_note, desk_version, inbox, ticket_detail

TICKET = "/console/tickets/{ticket_id:T-[0-9A-Z]{8}}"
MAX_TEXT_CHARS = 4000
HTTP_BAD_REQUEST, HTTP_NOT_FOUND, HTTP_CONFLICT, HTTP_TOO_LARGE = 400, 404, 409, 413
AGENT_PREFIX = "web:"  # console agents' ids in the desk (Telegram agents are telegram:<user id>)


def agent_of(account: Account) -> Agent:
    """The desk's view of a console account."""
    return Agent(AGENT_PREFIX + str(account.id), account.name, is_admin=account.is_admin)


def _read(deps: WebDeps, call: Callable[[Session], Any]) -> Any:
    with deps.engine.sessions() as session:
        return call(session)


async def inbox_page(request: web.Request) -> web.StreamResponse:
    """Tickets by state, with waiting time and reason; the page updates itself."""
    account = await require_account(request)
    deps = deps_of(request)
    buckets = await asyncio.to_thread(_read, deps, lambda s: inbox(s, agent_of(account).id))
    return aiohttp_jinja2.render_template("inbox.html", request, {
        "account": account, "buckets": buckets, "order": BUCKETS, "csrf": csrf_of(request)})


async def inbox_rows(request: web.Request) -> web.StreamResponse:
    """The inbox's tables alone (the live page swaps them in)."""
    account = await require_account(request)
    deps = deps_of(request)
    buckets = await asyncio.to_thread(_read, deps, lambda s: inbox(s, agent_of(account).id))
    return aiohttp_jinja2.render_template("inbox_rows.html", request, {"buckets": buckets, "order": BUCKETS})


async def desk_events(request: web.Request) -> web.StreamResponse:
    """`changed` whenever a ticket, a transcript or a note changes, here or in another process."""
    await require_account(request)
    deps = deps_of(request)
    queue = deps.hub.subscribe(DESK)
    try:
        response = await sse.open_stream(request, "'none'")
        seen = await asyncio.to_thread(_read, deps, desk_version)
        await sse.send_event(response, "ready", {})
        idle = 0.0
        while True:
            try:
                async with asyncio.timeout(deps.settings.web_inbox_poll_s):  # not wait_for: see delivery/worker.py
                    await queue.get()
            except TimeoutError:
                idle += deps.settings.web_inbox_poll_s
            now = await asyncio.to_thread(_read, deps, desk_version)
            if now != seen:
                seen, idle = now, 0.0
                await sse.send_event(response, "changed", {})
            elif idle >= deps.settings.web_events_heartbeat_s:
                idle = 0.0
                if await current_account(request) is None:  # logged out (or expired) meanwhile: stop telling
                    return response
                await sse.keep_alive(response)
    finally:
        deps.hub.unsubscribe(DESK, queue)


async def _ticket_context(request: web.Request, account: Account, note: str | None = None,
                          values: dict[str, Any] | None = None) -> dict[str, Any]:
    deps = deps_of(request)
    ticket_id = request.match_info["ticket_id"]
    detail = await asyncio.to_thread(_read, deps, lambda s: ticket_detail(s, ticket_id, agent_of(account).id))
    if detail is None:
        raise Refused(HTTP_NOT_FOUND, "no_ticket")
    note = note or request.query.get("note")
    shown = None
    if note and note in deps.engine.say and note.startswith("desk_"):
        shown = deps.engine.say.text(note, **{"ticket_id": ticket_id, "agent": account.name,
                                              "owner": detail.row.claimed_by_name or "", **(values or {})})
    return {"account": account, "t": detail, "csrf": csrf_of(request), "canned": deps.canned, "note": shown,
            "mine": detail.claimed_by == agent_of(account).id}


async def ticket_page(request: web.Request) -> web.StreamResponse:
    """One ticket: transcript, slots, quotes and bookings, notes, the reply box and the actions."""
    account = await require_account(request)
    return aiohttp_jinja2.render_template("ticket.html", request, await _ticket_context(request, account))


async def ticket_live(request: web.Request) -> web.StreamResponse:
    """The ticket's changing parts alone (the live page swaps them in)."""
    account = await require_account(request)
    return aiohttp_jinja2.render_template("ticket_live.html", request, await _ticket_context(request, account))


async def act(request: web.Request) -> web.StreamResponse:
    """Claim, release, close, reply or note; done: back to the ticket; refused: 409 with the reason."""
    account = await require_account(request)  # checks the CSRF token too
    deps = deps_of(request)
    ticket_id, action = request.match_info["ticket_id"], request.match_info["action"]
    form = await request.post()
    text = str(form.get("text") or "").strip()
    if action in ("reply", "note") and not text:
        raise Refused(HTTP_BAD_REQUEST, "empty")
    if len(text) > MAX_TEXT_CHARS:
        raise Refused(HTTP_TOO_LARGE, "too_long")
    agent = agent_of(account)
    if action == "note":
        added = await asyncio.to_thread(_note, deps, ticket_id, agent, text)
        if not added:
            raise Refused(HTTP_NOT_FOUND, "no_ticket")
        result = DeskResult(True, "desk_note_added", {"ticket_id": ticket_id})
    else:
        result = await asyncio.to_thread(_desk_action, deps, action, ticket_id, agent, text)
        if result.ok and action == "close" and result.ticket is not None:
            await asyncio.to_thread(deps.engine.handback, result.ticket.conversation_key,
                                    deps.engine.say.text("agent_closed"))
    deps.wake()
    deps.hub.publish(DESK, {"ticket": ticket_id})
    if not result.ok:
        context = await _ticket_context(request, account, result.note, dict(result.values))
        return aiohttp_jinja2.render_template("ticket.html", request, context, status=HTTP_CONFLICT)
    raise web.HTTPSeeOther(f"/console/tickets/{ticket_id}?note={result.note}")


def _note(deps: WebDeps, ticket_id: str, agent: Agent, text: str) -> bool:
    with deps.engine.sessions() as session, session.begin():
        return add_note(session, ticket_id=ticket_id, agent_id=agent.id, agent_name=agent.name, text=text)


def _desk_action(deps: WebDeps, action: str, ticket_id: str, agent: Agent, text: str) -> DeskResult:
    """The desk operation, with what the shopper and the support group are told queued in its transaction."""
    say, group = deps.engine.say, deps.settings.support_chat_id

    def tell(shopper: Reply | None, note: str, **values: Any) -> Effect:
        def effect(session: Session, ticket: TicketView) -> None:
            if shopper is not None:
                queue_to_shopper(session, ticket, shopper)
            queue_to_support_group(session, group, ticket, say.text(note, ticket_id=ticket.ticket_id,
                                                                    agent=agent.name, **values))
        return effect

    if action == "claim":
        return deps.desk.claim(ticket_id, agent, tell(say.reply("agent_joined", agent=agent.name), "desk_claimed"))
    if action == "release":
        return deps.desk.release(ticket_id, agent, tell(None, "desk_released"))
    if action == "close":
        return deps.desk.close(ticket_id, agent, tell(None, "desk_closed"))
    reply = say.reply("agent_says", agent=agent.name, text=text)
    return deps.desk.agent_message(ticket_id, agent, text, tell(reply, "desk_console_reply", text=text))


async def agents_page(request: web.Request) -> web.StreamResponse:
    """The console's accounts (admins only)."""
    account = await require_account(request, admin=True)
    accounts = await asyncio.to_thread(list_accounts, deps_of(request).engine.sessions)
    return aiohttp_jinja2.render_template("agents.html", request, {"account": account, "accounts": accounts,
                                                                   "csrf": csrf_of(request)})


def add_console_routes(app: web.Application) -> None:
    """Mount the console."""
    app.router.add_get("/console", inbox_page)
    app.router.add_get("/console/inbox", inbox_rows)
    app.router.add_get("/console/events", desk_events)
    app.router.add_get("/console/agents", agents_page)
    app.router.add_get(TICKET, ticket_page)
    app.router.add_get(TICKET + "/live", ticket_live)
    app.router.add_post(TICKET + "/{action:claim|release|close|reply|note}", act)
