"""Refusals by name: a handler raises Refused(status, code); the page saying why is templates/refused.html."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

CODES = frozenset({"csrf", "login_csrf", "no_chat", "empty", "too_long", "login_first", "admins_only", "no_ticket",
                   "bad_request"})


class Refused(Exception):
    """A request the web app will not serve: the HTTP status and the name of the reason."""

    def __init__(self, status: int, code: str) -> None:
        assert code in CODES, code
        super().__init__(f"{status} {code}")
        self.status, self.code = status, code


@web.middleware
async def refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn a Refused into its page (JSON for the chat's script, which shows its own line)."""
    try:
        return await handler(request)
    except Refused as refused:
        if request.headers.get("X-Requested-With") == "fetch":
            return web.json_response({"ok": False, "error": refused.code}, status=refused.status)
        response = aiohttp_jinja2.render_template("refused.html", request, {"code": refused.code},
                                                  status=refused.status)
        response.headers["Cache-Control"] = "no-store"
        return response
