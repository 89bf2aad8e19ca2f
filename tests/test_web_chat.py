"""The web chat over HTTP: a shopper gets a real trade-in quote, sees replies live and again after a reload, and
nobody can read or write another shopper's conversation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import select

from bot.app import App
from bot.channels.web.chat import COOKIE
from bot.channels.web.signing import Signer
from bot.storage.models import QuoteRow
from tests.web_harness import PASSWORD, WEB_SETTINGS, next_event, serving

HTTP_OK, HTTP_FORBIDDEN = 200, 403


async def test_a_shopper_gets_a_trade_in_quote_live_with_buttons_as_buttons(
        make_app: Callable[..., App], sqlite_url: str) -> None:
    app = make_app(sqlite_url, **WEB_SETTINGS)
    async with serving(app) as web:
        shopper = await web.client()
        page = await shopper.open_chat()
        assert "Sell / trade in my device" in page, "the greeting's buttons are on the first page"
        events = await shopper.http.get(f"/chat/events?after={shopper.after}")
        assert events.status == HTTP_OK and events.headers["Content-Type"].startswith("text/event-stream")

        await shopper.say("how much for my iphone 12 pro 128gb")
        _, asked = await next_event(events)
        assert asked["who"] == "bot" and "iPhone 12 Pro" in asked["text"] and "carrier" in asked["text"]
        assert [b["label"] for b in asked["buttons"]][:3] == ["Unlocked", "AT&T", "Verizon"]

        await shopper.say(button="s:carrier=unlocked")
        _, condition = await next_event(events)
        assert condition["text"].startswith("Which best describes it?"), condition
        assert [b["label"] for b in condition["buttons"]] == ["Flawless", "Good", "Fair", "Broken"]

        good = next(b for b in condition["buttons"] if "good" in b["payload"])
        await shopper.say(button=good["payload"])
        _, locked = await next_event(events)
        assert "Find My" in locked["text"], "asked whether the account lock is removed"
        await shopper.say(button="s:account_locked=False")
        _, offer = await next_event(events)
        _, decide = await next_event(events)
        events.close()
    with app.sessions() as session:
        quote = session.execute(select(QuoteRow)).scalar_one()
    assert (quote.device_model, quote.storage_gb, quote.condition, quote.carrier) == (
        "iPhone 12 Pro", 128, "good", "unlocked")
    assert f"{quote.offer_usd:,.0f}" in offer["text"] and quote.device_model in offer["text"]
    assert f"Quote {quote.id}" in offer["text"], "the stored quote is the one shown"
    assert decide["text"] == "Would you like to accept this offer?"
    assert [b["label"] for b in decide["buttons"]] == ["Accept", "Decline"], "the decision as buttons"


async def test_the_transcript_is_there_after_a_reload_and_missed_replies_are_replayed(
        make_app: Callable[..., App], sqlite_url: str) -> None:
    app = make_app(sqlite_url, **WEB_SETTINGS)
    async with serving(app) as web:
        shopper = await web.client()
        await shopper.open_chat()
        await shopper.say("how much for my iphone 12 pro 128gb")  # no page listening: delivered to nobody
        page = await shopper.open_chat()  # a reload
        assert "how much for my iphone 12 pro 128gb" in page and "unlocked, or tied to a carrier" in page
        assert 'value="s:carrier=unlocked"' in page, "the question's buttons are offered again"
        replay = await shopper.http.get("/chat/events?after=0")  # a page that saw nothing reconnects
        _, missed = await next_event(replay)
        replay.close()
        assert "carrier" in missed["text"]


async def test_a_retried_send_is_one_turn(make_app: Callable[..., App], sqlite_url: str) -> None:
    app = make_app(sqlite_url, **WEB_SETTINGS)
    async with serving(app) as web:
        shopper = await web.client()
        await shopper.open_chat()
        for _ in range(2):  # the page sent it, the answer got lost, the page sends it again
            assert (await shopper.post_chat(text="hi", nonce="n-1")).status == HTTP_OK
        assert len(web.rows(kind="web.message")) == 1


async def test_the_cookie_is_signed_httponly_and_the_page_has_strict_headers(
        make_app: Callable[..., App], sqlite_url: str) -> None:
    app = make_app(sqlite_url, **{**WEB_SETTINGS, "web_chat_frame_ancestors": "'self' https://shop.example"})
    async with serving(app) as web:
        shopper = await web.client()
        response = await shopper.http.get("/chat")
        cookie = response.cookies[COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"], "plain http: not Secure"
        chat_id = Signer(WEB_SECRET_BYTES).unsign("chat", cookie.value)
        assert chat_id is not None and len(chat_id) >= 24, "an unguessable id, signed"
        assert chat_id not in str(response.url) and chat_id not in await response.text(), "the id is only in the cookie"
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'self' https://shop.example" in csp, "the shop's site may frame the chat"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "<script>" not in await response.text(), "no inline script"
        embed = await shopper.http.get("/chat/embed.js")
        assert embed.status == HTTP_OK and "javascript" in embed.headers["Content-Type"]
        assert "/chat" in await embed.text() and "iframe" in await embed.text()
        static = await shopper.http.get("/static/chat.js")
        assert static.status == HTTP_OK and "EventSource" in await static.text()


WEB_SECRET_BYTES = WEB_SETTINGS["web_secret_key"].encode()  # type: ignore[attr-defined]


async def test_posts_without_the_chats_csrf_token_are_refused(make_app: Callable[..., App], sqlite_url: str) -> None:
    app = make_app(sqlite_url, **WEB_SETTINGS)
    async with serving(app) as web:
        alice, bob = await web.client(), await web.client()
        await alice.open_chat()
        await bob.open_chat()
        refused = await alice.post_chat(text="hi", csrf="")
        assert refused.status == HTTP_FORBIDDEN and (await refused.json())["error"] == "csrf", "no token"
        assert (await alice.post_chat(text="hi", csrf="forged")).status == HTTP_FORBIDDEN, "a wrong token"
        assert (await alice.post_chat(text="hi", csrf=bob.csrf)).status == HTTP_FORBIDDEN, "another chat's token"
        stranger = await web.client()  # never opened /chat: no cookie
        assert (await stranger.post_chat(text="hi", csrf=alice.csrf)).status == HTTP_FORBIDDEN
        assert (await stranger.http.get("/chat/events")).status == HTTP_FORBIDDEN
        assert web.rows() == [], "nothing was processed"


async def test_nobody_reads_or_writes_another_shoppers_conversation(
        make_app: Callable[..., App], sqlite_url: str) -> None:
    app = make_app(sqlite_url, **WEB_SETTINGS)
    async with serving(app) as web:
        alice, mallory = await web.client(), await web.client()
        await alice.open_chat()
        await alice.say("my iphone 12 pro 128gb, how much?")
        alice_id = Signer(WEB_SECRET_BYTES).unsign("chat", alice.cookie(COOKIE))
        assert alice_id is not None

        mallory.http.session.cookie_jar.update_cookies({COOKIE: f"{alice_id}.forged-signature"})
        refused = await mallory.http.get("/chat/events?after=0")
        assert refused.status == HTTP_FORBIDDEN, "a cookie we did not sign names no conversation"
        assert (await mallory.post_chat(text="hi", csrf=alice.csrf)).status == HTTP_FORBIDDEN
        mallory.http.session.cookie_jar.update_cookies({COOKIE: alice_id})  # the bare id, unsigned
        assert (await mallory.http.get("/chat/events?after=0")).status == HTTP_FORBIDDEN
        page = await mallory.open_chat()  # gets a conversation of her own instead
        assert "iphone 12 pro" not in page.casefold()
        assert mallory.cookie(COOKIE) != alice.cookie(COOKIE)
        stream = await mallory.http.get("/chat/events?after=0")
        with_nothing = asyncio.create_task(next_event(stream, timeout=0.5))
        try:
            await with_nothing
            raise AssertionError("mallory's stream carried a message")
        except TimeoutError:
            pass
        stream.close()


async def test_behind_a_tls_proxy_cookies_are_secure_and_a_framed_chat_keeps_its_cookie(
        make_app: Callable[..., App], sqlite_url: str) -> None:
    app = make_app(sqlite_url, **{**WEB_SETTINGS, "web_tls_proxy": True,
                                  "web_chat_frame_ancestors": "https://shop.example"})
    async with serving(app) as web:
        shopper = await web.client()
        cookie = (await shopper.http.get("/chat")).cookies[COOKIE]
        assert cookie["secure"] and cookie["httponly"]
        assert cookie["samesite"] == "None", "a frame on the shop's site is another site: Lax would not be sent"
        web.agent("alice")
        agent = await web.client()
        form = await agent.http.get("/login")  # over plain http the jar keeps no Secure cookie: send it by hand
        nonce, page = form.cookies["refurbot_login"].value, await form.text()
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        logged_in = await agent.http.post("/login", data={"csrf": csrf, "name": "alice", "password": PASSWORD},
                                          headers={"Cookie": f"refurbot_login={nonce}"}, allow_redirects=False)
        session = logged_in.cookies["refurbot_session"]
        assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
