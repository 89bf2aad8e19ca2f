"""A local fake of the Telegram Bot API (aiohttp on 127.0.0.1) for testing the real python-telegram-bot.

It keeps chats' messages, queues updates for getUpdates, and can inject faults per method:
429 with retry_after, 500, or a hang. Only loopback is ever used.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# How long a test waits for a message: generous, since the outbox worker sends it and CI machines are loaded
# (a passing test never waits this long).
WAIT_S = 30.0


@dataclass
class Sent:
    """A message the bot sent (or edited)."""

    method: str
    chat_id: int
    text: str
    message_id: int
    reply_markup: dict[str, Any] | None
    thread_id: int | None
    reply_to: int | None


@dataclass
class FakeTelegram:
    """The server's state and its controls."""

    token: str = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
    support_is_forum: bool = True
    pending: list[dict[str, Any]] = field(default_factory=list)  # kept until acknowledged, as Telegram does
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    sent: list[Sent] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    faults: dict[str, list[tuple[str, float]]] = field(default_factory=lambda: defaultdict(list))
    callback_answers: list[dict[str, Any]] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    admins: list[int] = field(default_factory=list)  # the support group's administrators
    profile: dict[str, Any] = field(default_factory=dict)  # descriptions and command menus by scope
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _topics: itertools.count[int] = field(default_factory=lambda: itertools.count(500))
    runner: web.AppRunner | None = None
    port: int = 0

    # controls ----------------------------------------------------------------------------------

    def fail(self, method: str, kind: str, times: int = 1, value: float = 1) -> None:
        """Make the next `times` calls of `method` fail: kind is '429', '400', '403', '500' or 'hang'."""
        self.faults[method] += [(kind, value)] * times

    def fail_chat(self, method: str, chat_id: int, kind: str, times: int = 1, value: float = 1) -> None:
        """As fail(), for calls of `method` to one chat only (the support group, say)."""
        self.faults[f"{method}:{chat_id}"] += [(kind, value)] * times

    def user_says(self, chat_id: int, text: str, *, user_id: int | None = None, first_name: str = "Sam",
                  thread_id: int | None = None, reply_to: int | None = None, update_id: int | None = None,
                  chat_type: str = "private") -> dict[str, Any]:
        """Queue a text message update."""
        message: dict[str, Any] = {
            "message_id": next(self._ids), "date": int(time.time()), "text": text,
            "chat": {"id": chat_id, "type": chat_type, **({"is_forum": True} if chat_type == "supergroup" and
                                                         self.support_is_forum else {})},
            "from": {"id": user_id or chat_id, "is_bot": False, "first_name": first_name},
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if reply_to is not None:
            message["reply_to_message"] = {"message_id": reply_to, "date": int(time.time()),
                                           "chat": message["chat"], "text": "..."}
        return self._queue({"update_id": update_id or next(self._update_ids), "message": message})

    def user_edits(self, chat_id: int, message_id: int, text: str, *, user_id: int | None = None,
                   first_name: str = "Sam", chat_type: str = "private", thread_id: int | None = None) -> dict[str, Any]:
        """Queue an edited_message update: the user changed an earlier message."""
        message: dict[str, Any] = {
            "message_id": message_id, "date": int(time.time()), "edit_date": int(time.time()), "text": text,
            "chat": {"id": chat_id, "type": chat_type},
            "from": {"id": user_id or chat_id, "is_bot": False, "first_name": first_name},
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        return self._queue({"update_id": next(self._update_ids), "edited_message": message})

    def user_presses(self, chat_id: int, data: str, *, user_id: int | None = None, message_id: int = 1,
                     chat_type: str = "private", thread_id: int | None = None) -> dict[str, Any]:
        """Queue a callback query (a button press)."""
        message: dict[str, Any] = {"message_id": message_id, "date": int(time.time()),
                                   "chat": {"id": chat_id, "type": chat_type}, "text": "...",
                                   "from": {"id": 42, "is_bot": True, "first_name": "Refurbot"}}
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        return self._queue({"update_id": next(self._update_ids), "callback_query": {
            "id": str(next(self._ids)), "chat_instance": "ci", "data": data, "message": message,
            "from": {"id": user_id or chat_id, "is_bot": False, "first_name": "Sam"}}})

    def _queue(self, update: dict[str, Any]) -> dict[str, Any]:
        self.pending.append(update)
        self.arrived.set()
        return update

    def texts_to(self, chat_id: int) -> list[str]:
        """Texts the bot sent to one chat, in order."""
        return [s.text for s in self.sent if s.chat_id == chat_id and s.method == "sendMessage"]

    async def wait_for(self, chat_id: int, needle: str, timeout: float = WAIT_S) -> str:
        """Wait until a message containing `needle` reaches the chat."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for text in self.texts_to(chat_id):
                if needle.casefold() in text.casefold():
                    return text
            await asyncio.sleep(0.02)
        raise AssertionError(f"no message with {needle!r} to {chat_id}; got {self.texts_to(chat_id)}")

    # server --------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            try:
                params[key] = json.loads(str(value))
            except ValueError:
                params[key] = str(value)
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params = await self._params(request)
        self.calls.append((method, params))
        faults = self.faults.get(f"{method}:{params.get('chat_id')}") or self.faults.get(method)
        if faults:
            kind, value = faults.pop(0)
            if kind == "429":
                return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests",
                                          "parameters": {"retry_after": int(value)}}, status=429)
            if kind == "400":
                return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request: refused"},
                                         status=400)
            if kind == "403":
                return web.json_response({"ok": False, "error_code": 403,
                                          "description": "Forbidden: bot was blocked by the user"}, status=403)
            if kind == "500":
                return web.json_response({"ok": False, "error_code": 500, "description": "Internal"}, status=500)
            await asyncio.sleep(value)  # a hang: the client's timeout fires first
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": f"no {method}"}, status=404)
        result = await handler(params)
        return web.json_response({"ok": True, "result": result})

    async def _m_getMe(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"id": 42, "is_bot": True, "first_name": "Refurbot", "username": "refurbot_test_bot"}

    async def _m_getUpdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(p.get("offset") or 0)
        self.pending = [u for u in self.pending if u["update_id"] >= offset]  # acknowledged ones are gone
        if not self.pending:
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), timeout=max(float(p.get("timeout") or 0), 0.05))
            except TimeoutError:
                return []
        return self.pending[:100]

    async def _m_setWebhook(self, p: dict[str, Any]) -> bool:
        self.webhook = p
        return True

    async def _m_deleteWebhook(self, p: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    async def _m_setMyCommands(self, p: dict[str, Any]) -> bool:
        scope = p.get("scope") or {"type": "default"}
        key = scope["type"] + (f":{scope['chat_id']}" if "chat_id" in scope else "")
        self.profile[f"commands:{key}"] = [c["command"] for c in p["commands"]]
        return True

    async def _m_setMyDescription(self, p: dict[str, Any]) -> bool:
        self.profile["description"] = p.get("description", "")
        return True

    async def _m_setMyShortDescription(self, p: dict[str, Any]) -> bool:
        self.profile["short_description"] = p.get("short_description", "")
        return True

    async def _m_getChatAdministrators(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"status": "administrator", "user": {"id": uid, "is_bot": False, "first_name": f"Admin{uid}"},
                 "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                 "can_delete_messages": True, "can_manage_video_chats": True, "can_restrict_members": True,
                 "can_promote_members": False, "can_change_info": True, "can_invite_users": True,
                 "can_post_stories": False, "can_edit_stories": False, "can_delete_stories": False}
                for uid in self.admins]

    async def _m_getChat(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(p["chat_id"])
        kind = "supergroup" if chat_id < 0 else "private"
        gifts = {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                 "premium_subscription": False, "gifts_from_channels": False}
        return {"id": chat_id, "type": kind, "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": gifts, **({"is_forum": self.support_is_forum} if chat_id < 0 else {})}

    async def _m_sendMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        message_id = next(self._ids)
        thread = p.get("message_thread_id")
        reply = p.get("reply_parameters") or {}
        self.sent.append(Sent("sendMessage", int(p["chat_id"]), str(p["text"]), message_id, p.get("reply_markup"),
                              int(thread) if thread else None, reply.get("message_id") if reply else None))
        chat_id = int(p["chat_id"])
        return {"message_id": message_id, "date": int(time.time()), "text": p["text"],
                "chat": {"id": chat_id, "type": "supergroup" if chat_id < 0 else "private"},
                **({"message_thread_id": int(thread), "is_topic_message": True} if thread else {})}

    async def _m_editMessageText(self, p: dict[str, Any]) -> dict[str, Any]:
        self.sent.append(Sent("editMessageText", int(p["chat_id"]), str(p["text"]), int(p["message_id"]),
                              p.get("reply_markup"), None, None))
        return {"message_id": int(p["message_id"]), "date": int(time.time()), "text": p["text"],
                "chat": {"id": int(p["chat_id"]), "type": "private"}}

    async def _m_editMessageReplyMarkup(self, p: dict[str, Any]) -> dict[str, Any]:
        self.sent.append(Sent("editMessageReplyMarkup", int(p["chat_id"]), "", int(p["message_id"]),
                              p.get("reply_markup"), None, None))
        return {"message_id": int(p["message_id"]), "date": int(time.time()),
                "chat": {"id": int(p["chat_id"]), "type": "private"}}

    async def _m_answerCallbackQuery(self, p: dict[str, Any]) -> bool:
        self.callback_answers.append(p)
        return True

    async def _m_createForumTopic(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"message_thread_id": next(self._topics), "name": p["name"], "icon_color": 7322096}
