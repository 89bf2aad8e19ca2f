"""Security headers on every response: a CSP without inline scripts, framing refused except for the web chat."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

CHAT_PREFIX = "/chat"  # the web chat may be framed by the shop's site (WEB_CHAT_FRAME_ANCESTORS)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}")


def security_headers(chat_frame_ancestors: str) -> Middleware:
    """The middleware; `chat_frame_ancestors` is who may frame /chat (everything else: nobody)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as err:  # redirects and refusals get the headers too
            _apply(err, request, chat_frame_ancestors)
            raise
        _apply(response, request, chat_frame_ancestors)
        return response

    return middleware


def _apply(response: web.StreamResponse, request: web.Request, chat_frame_ancestors: str) -> None:
    if response.prepared:  # an event stream sent its headers already (set in sse.open_stream)
        return
    for name, value in headers_for(request.path, chat_frame_ancestors).items():
        response.headers.setdefault(name, value)


def headers_for(path: str, chat_frame_ancestors: str) -> dict[str, str]:
    """The security headers of a path."""
    chat = path == CHAT_PREFIX or path.startswith(CHAT_PREFIX + "/")
    ancestors = chat_frame_ancestors if chat else "'none'"
    headers = {"Content-Security-Policy": CSP.format(ancestors=ancestors), "X-Content-Type-Options": "nosniff",
               "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin"}
    if not chat:
        headers["X-Frame-Options"] = "DENY"
    return headers
