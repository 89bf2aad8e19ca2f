"""The shoppers' web chat: /chat (page and transcript), /chat/messages (POST), /chat/events (SSE), /chat/embed.js.

A shopper's conversation is `web:<chat id>`, the chat id random (144 bits) and kept only in a signed
HttpOnly cookie: nothing in a URL names it, and a cookie we did not sign is refused, so nobody can read or
write another shopper's conversation. Every POST carries the chat's CSRF token. Replies are outbox rows of
kind web.message (written with the turn); the worker pushes them to the chat's event streams, and a page that
reconnects is sent what it missed from the outbox rows themselves.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.channels.web import sse
from bot.channels.web.deps import WebDeps, deps_of
from bot.channels.web.hub import DESK, chat_topic
from bot.channels.web.outbound import CHANNEL, event_of, last_message_id, messages_after
from bot.channels.web.refusals import Refused
from bot.domain import IncomingMessage
from bot.storage import repo
from bot.storage.models import Message
from bot.support.inbox import WHO

log = logging.getLogger(__name__)
COOKIE = "refurbot_chat"
PURPOSE = "chat"  # what the cookie's signature is for (a console session's signature cannot stand in)
MAX_TEXT_CHARS = 2000
HTTP_BAD_REQUEST, HTTP_FORBIDDEN, HTTP_TOO_LARGE = 400, 403, 413
TRANSCRIPT_SHOWN = 200
_NONCE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
BUTTON_PREFIX = "[button] "  # how the engine stores a press in the transcript
STATIC_DIR = Path(__file__).resolve().parent / "static"


def chat_id_of(request: web.Request) -> str | None:
    """The chat id of the signed cookie, or None (no cookie, or one we did not sign)."""
    return deps_of(request).signer.unsign(PURPOSE, request.cookies.get(COOKIE))


def _set_cookie(response: web.StreamResponse, deps: WebDeps, request: web.Request, chat_id: str) -> None:
    secure = deps.secure(request)
    framed_elsewhere = deps.settings.web_chat_frame_ancestors.strip() not in ("'self'", "'none'")
    # In a frame on the shop's own site (another origin) a Lax cookie is not sent; None needs Secure (TLS).
    samesite = "None" if secure and framed_elsewhere else "Lax"
    response.set_cookie(COOKIE, deps.signer.sign(PURPOSE, chat_id), httponly=True, secure=secure, samesite=samesite,
                        max_age=int(timedelta(days=deps.settings.web_chat_cookie_days).total_seconds()), path="/")


def _transcript(deps: WebDeps, chat_id: str) -> tuple[list[dict[str, str]], int, list[dict[str, str]]]:
    """The conversation so far, the newest message row's id, and the buttons still on offer."""
    with deps.engine.sessions() as session:
        conversation = repo.get_conversation(session, f"{CHANNEL}:{chat_id}")
        lines: list[dict[str, str]] = []
        if conversation is not None:
            rows = repo.recent_messages(session, conversation_id=conversation.id, limit=TRANSCRIPT_SHOWN)
            lines = [_line(m) for m in rows]
        after, last = last_message_id(session, chat_id)
    buttons = event_of(last)["buttons"] if last is not None else []
    return lines, after, buttons


def _line(message: Message) -> dict[str, str]:
    text = message.text
    if text.startswith(BUTTON_PREFIX):  # a press: show what was chosen, not the payload's syntax
        text = text[len(BUTTON_PREFIX):].rsplit("=", 1)[-1].rsplit(":", 1)[-1].replace("_", " ")
    return {"who": WHO.get(message.direction, "bot"), "text": text}


async def chat_page(request: web.Request) -> web.StreamResponse:
    """The chat page, with the transcript so far (a new chat gets its cookie here)."""
    deps = deps_of(request)
    chat_id = chat_id_of(request)
    fresh = chat_id is None
    if chat_id is None:
        chat_id = secrets.token_urlsafe(18)
    lines, after, buttons = await asyncio.to_thread(_transcript, deps, chat_id)
    response = aiohttp_jinja2.render_template("chat.html", request, {
        "lines": lines, "after": after, "buttons": buttons, "csrf": deps.signer.csrf(f"{PURPOSE}:{chat_id}"),
        "greeting": deps.engine.say.reply("greet") if not lines else None,
    })
    response.headers["Cache-Control"] = "no-store"
    if fresh:
        _set_cookie(response, deps, request, chat_id)
    return response


async def post_message(request: web.Request) -> web.StreamResponse:
    """One message or button press from the shopper; the replies follow on the event stream."""
    deps = deps_of(request)
    chat_id = chat_id_of(request)
    if chat_id is None:
        raise Refused(HTTP_FORBIDDEN, "no_chat")
    form = await request.post()
    token = request.headers.get("X-CSRF-Token") or str(form.get("csrf") or "")
    if not deps.signer.csrf_ok(f"{PURPOSE}:{chat_id}", token):
        raise Refused(HTTP_FORBIDDEN, "csrf")
    text, button = str(form.get("text") or ""), str(form.get("button") or "")
    if len(text) > MAX_TEXT_CHARS:
        raise Refused(HTTP_TOO_LARGE, "too_long")
    if not text.strip() and not button:
        raise Refused(HTTP_BAD_REQUEST, "empty")
    nonce = str(form.get("nonce") or "")
    nonce = nonce if _NONCE.match(nonce) else uuid.uuid4().hex  # the page's id for this send: a retry is one turn
    msg = IncomingMessage(channel=CHANNEL, user_id=chat_id, chat_id=chat_id, message_id=f"{chat_id}:{nonce}",
                          text=None if button else text, button_payload=button or None)
    outcome = await deps.engine.handle(msg)
    if not outcome.stored:  # nothing was queued: tell the page now, the shopper may send it again
        return web.json_response({"ok": False, "replies": [event_of({"text": r.text, "buttons": []})
                                                           for r in outcome.replies]}, status=503)
    deps.wake()
    if outcome.owner != "bot" or outcome.handoff is not None:
        deps.hub.publish(DESK, {"ticket": outcome.handoff.ticket_id if outcome.handoff else None})
    if request.headers.get("X-Requested-With") == "fetch":
        return web.json_response({"ok": True})
    raise web.HTTPSeeOther("/chat")  # a plain form post (no JavaScript): show the page again


async def events(request: web.Request) -> web.StreamResponse:
    """The chat's messages as they are delivered; first those after `after` (a row id) that the page lacks."""
    deps = deps_of(request)
    chat_id = chat_id_of(request)
    if chat_id is None:
        raise Refused(HTTP_FORBIDDEN, "no_chat")
    try:
        after = max(0, int(request.query.get("after", "0")))
    except ValueError:
        raise Refused(HTTP_BAD_REQUEST, "bad_request") from None
    topic = chat_topic(chat_id)
    queue = deps.hub.subscribe(topic)  # before reading the rows: nothing falls between the two
    try:
        response = await sse.open_stream(request, deps.settings.web_chat_frame_ancestors)
        sent: set[str] = set()
        for _, payload in await asyncio.to_thread(_missed, deps, chat_id, after):
            await _send(response, payload, sent)
        while True:
            try:
                async with asyncio.timeout(deps.settings.web_events_heartbeat_s):  # not wait_for: see delivery/worker.py
                    event = await queue.get()
            except TimeoutError:
                await sse.keep_alive(response)
                continue
            await _send(response, event, sent)
    finally:
        deps.hub.unsubscribe(topic, queue)


def _missed(deps: WebDeps, chat_id: str, after: int) -> list[tuple[int, dict[str, Any]]]:
    with deps.engine.sessions() as session:
        return messages_after(session, chat_id, after)


async def _send(response: web.StreamResponse, payload: dict[str, Any], sent: set[str]) -> None:
    event = event_of(payload)
    if event["key"] and event["key"] in sent:
        return
    sent.add(event["key"])
    await sse.send_event(response, "message", event)


async def embed_js(request: web.Request) -> web.StreamResponse:
    """The snippet a shop puts on its site: a floating button that opens /chat in a frame."""
    return web.FileResponse(STATIC_DIR / "embed.js", headers={"Content-Type": "application/javascript",
                                                              "Cache-Control": "public, max-age=3600"})


def add_chat_routes(app: web.Application) -> None:
    """Mount the web chat."""
    app.router.add_get("/chat", chat_page)
    app.router.add_post("/chat/messages", post_message)
    app.router.add_get("/chat/events", events)
    app.router.add_get("/chat/embed.js", embed_js)

