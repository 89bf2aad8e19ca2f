"""Agents' login and logout, and the checks every console route makes (a current session, the role, CSRF).

The login form's CSRF token is bound to a random value in its own signed cookie (there is no session yet);
after login, tokens are bound to the session. Session cookies are HttpOnly, SameSite=Lax, Secure over TLS.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import timedelta

import aiohttp_jinja2
from aiohttp import web

from bot.channels.web.deps import WebDeps, deps_of
from bot.channels.web.refusals import Refused
from bot.support.accounts import Account

log = logging.getLogger(__name__)
SESSION_COOKIE = "refurbot_session"
LOGIN_COOKIE = "refurbot_login"
LOGIN_PURPOSE = "login"
HOME = "/console"
HTTP_UNAUTHORIZED, HTTP_FORBIDDEN, HTTP_TOO_MANY = 401, 403, 429


def session_token(request: web.Request) -> str | None:
    """The session token of the request's cookie, if any."""
    return request.cookies.get(SESSION_COOKIE) or None


def csrf_of(request: web.Request) -> str:
    """The CSRF token the logged-in agent's forms carry."""
    token = session_token(request) or ""
    return deps_of(request).signer.csrf(f"session:{token}")


async def current_account(request: web.Request) -> Account | None:
    """The logged-in account of the request, if its session is current."""
    token = session_token(request)
    if token is None:
        return None
    return await asyncio.to_thread(deps_of(request).accounts.account_of, token)


async def require_account(request: web.Request, *, admin: bool = False) -> Account:
    """The logged-in account, or: a page asks for a login (redirect), anything else is refused (401/403)."""
    account = await current_account(request)
    if account is None:
        if request.method == "GET" and "text/event-stream" not in request.headers.get("Accept", ""):
            raise web.HTTPSeeOther(f"/login?next={request.rel_url.path}")
        raise Refused(HTTP_UNAUTHORIZED, "login_first")
    if admin and not account.is_admin:
        raise Refused(HTTP_FORBIDDEN, "admins_only")
    if request.method == "POST":
        form = await request.post()
        token = request.headers.get("X-CSRF-Token") or str(form.get("csrf") or "")
        if not deps_of(request).signer.csrf_ok(f"session:{session_token(request)}", token):
            raise Refused(HTTP_FORBIDDEN, "csrf")
    return account


def _next(request: web.Request, value: object) -> str:
    """Where to go after login: a console path only (never another site)."""
    target = str(value or "")
    return target if target.startswith(HOME) and "//" not in target and "\\" not in target else HOME


async def login_page(request: web.Request) -> web.StreamResponse:
    """The login form."""
    if await current_account(request) is not None:
        raise web.HTTPSeeOther(HOME)
    return _form(request, deps_of(request), status=200, error=None, name="")


def _form(request: web.Request, deps: WebDeps, *, status: int, error: str | None, name: str) -> web.StreamResponse:
    nonce = deps.signer.unsign(LOGIN_PURPOSE, request.cookies.get(LOGIN_COOKIE)) or secrets.token_urlsafe(16)
    response = aiohttp_jinja2.render_template("login.html", request, {
        "csrf": deps.signer.csrf(f"login:{nonce}"), "error": error, "name": name,
        "next": _next(request, request.query.get("next")),
    }, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(LOGIN_COOKIE, deps.signer.sign(LOGIN_PURPOSE, nonce), httponly=True,
                        secure=deps.secure(request), samesite="Strict", path="/login")
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """Check the name and password (unless locked out); a session cookie on success."""
    deps = deps_of(request)
    form = await request.post()
    nonce = deps.signer.unsign(LOGIN_PURPOSE, request.cookies.get(LOGIN_COOKIE))
    if nonce is None or not deps.signer.csrf_ok(f"login:{nonce}", str(form.get("csrf") or "")):
        raise Refused(HTTP_FORBIDDEN, "login_csrf")
    name, password = str(form.get("name") or ""), str(form.get("password") or "")
    address = request.remote or "unknown"
    result = await asyncio.to_thread(deps.accounts.login, name, password, address)
    if result.account is None:
        log.info("console login refused%s", " (locked)" if result.locked else "")
        return _form(request, deps, status=HTTP_TOO_MANY if result.locked else HTTP_UNAUTHORIZED,
                     error="locked" if result.locked else "wrong", name=name)
    token = await asyncio.to_thread(deps.accounts.open_session, result.account)
    log.info("console login: account %s", result.account.id)
    response = web.HTTPSeeOther(_next(request, form.get("next")))
    response.set_cookie(SESSION_COOKIE, token, httponly=True, secure=deps.secure(request), samesite="Lax", path="/",
                        max_age=int(timedelta(hours=deps.settings.web_session_hours).total_seconds()))
    response.del_cookie(LOGIN_COOKIE, path="/login")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    """End the session (its token is worth nothing afterwards)."""
    await require_account(request)
    token = session_token(request)
    if token is not None:
        await asyncio.to_thread(deps_of(request).accounts.close_session, token)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


def add_auth_routes(app: web.Application) -> None:
    """Mount /login and /logout."""
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
