"""The back office's HTTP API on the bot's web server: POST /api/bookings/{booking_id}/status.

A thin wrapper over bot/engine/booking_status.py: a bearer token (BACKOFFICE_TOKEN, compared in constant time),
the JSON body read, the status applied in one transaction with the shopper's message queued, the outbox woken.
Answers: 200 {"booking_id", "status"}, 400 {"error", "field"}, 401, 404, 409 {"error", "current"}, 503.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from bot.engine.booking_status import (
    InvalidReport,
    StatusConflict,
    StatusRefused,
    StatusResult,
    apply_report,
    parse_report,
)
from bot.engine.responses import Responses
from bot.errors import StorageError
from bot.storage.db import translate_errors

log = logging.getLogger(__name__)
STATUS_ROUTE = "/api/bookings/{booking_id}/status"
BEARER = "Bearer "
MAX_BODY_BYTES = 16 * 1024  # a status report is a few fields: anything bigger is not one
HTTP_UNAUTHORIZED, HTTP_UNAVAILABLE, HTTP_TOO_LARGE = 401, 503, 413


def add_backoffice_routes(app: web.Application, *, token: SecretStr, sessions: sessionmaker[Session],
                          responses: Responses, on_queued: Callable[[], None] | None = None) -> None:
    """Add the status route to `app` (call it only when BACKOFFICE_TOKEN is set); `on_queued` wakes the outbox."""
    expected = token.get_secret_value().encode("utf-8")

    def apply(booking_id: str, body: Any) -> StatusResult:
        with translate_errors(), sessions() as session, session.begin():
            return apply_report(session, booking_id, parse_report(body), say=responses)

    async def status(request: web.Request) -> web.Response:
        """One status report from the back office."""
        header = request.headers.get("Authorization", "")
        given = header[len(BEARER):] if header.startswith(BEARER) else ""
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected):
            return web.json_response({"error": "missing or wrong bearer token"}, status=HTTP_UNAUTHORIZED,
                                     headers={"WWW-Authenticate": "Bearer"})
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return web.json_response({"error": "body too large", "field": "body"}, status=HTTP_TOO_LARGE)
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return web.json_response({"error": "body: not JSON", "field": "body"}, status=InvalidReport.http_status)
        booking_id = request.match_info["booking_id"]
        try:
            result = await asyncio.to_thread(apply, booking_id, body)
        except InvalidReport as err:
            return web.json_response({"error": str(err), "field": err.field}, status=err.http_status)
        except StatusConflict as err:
            return web.json_response({"error": str(err), "current": err.current}, status=err.http_status)
        except StatusRefused as err:
            return web.json_response({"error": str(err)}, status=err.http_status)
        except StorageError:
            log.exception("booking status not stored")
            return web.json_response({"error": "try again later"}, status=HTTP_UNAVAILABLE)
        if on_queued is not None:
            on_queued()
        return web.json_response(result.to_json())

    app.router.add_post(STATUS_ROUTE, status)
