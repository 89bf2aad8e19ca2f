"""Server-sent events: open a stream with the security headers, write events, keep it alive."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.channels.web.headers import headers_for


async def open_stream(request: web.Request, chat_frame_ancestors: str) -> web.StreamResponse:
    """Start an event stream (no caching, no proxy buffering)."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no",
                                           **headers_for(request.path, chat_frame_ancestors)})
    await response.prepare(request)
    return response


async def send_event(response: web.StreamResponse, event: str, data: Any) -> None:
    """One event: its name and JSON data."""
    await response.write(f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode())


async def keep_alive(response: web.StreamResponse) -> None:
    """A comment line, so proxies and browsers keep an idle stream open."""
    await response.write(b": keep-alive\n\n")
