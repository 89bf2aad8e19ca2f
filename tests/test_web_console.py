"""The support console over HTTP: logins and refusals, the inbox live, claim / reply / release / close reaching a
web-chat shopper and a Telegram shopper through the outbox, and the same desk the Telegram support group uses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from bot.app import App
from bot.channels.web.auth import SESSION_COOKIE
from bot.channels.web.deps import DEPS
from bot.channels.web.unclaimed import return_unclaimed
from bot.storage import repo
from bot.storage.models import Ticket
from bot.support.desk import Agent, SupportDesk
from tests.conftest import ChatHarness
from tests.web_harness import WEB_SETTINGS, Browser, WebTest, next_event, serving

HTTP_OK, HTTP_SEE_OTHER, HTTP_UNAUTHORIZED, HTTP_FORBIDDEN, HTTP_CONFLICT, HTTP_TOO_MANY = 200, 303, 401, 403, 409, 429
TELEGRAM_SHOPPER = "555001"
SUPPORT = -1009990001


async def _agent(web: WebTest, name: str, role: str = "agent") -> Browser:
    web.agent(name, role)
    browser = await web.client()
    response = await browser.login(name)
    assert response.status == HTTP_SEE_OTHER and response.headers["Location"] == "/console"
    return browser


async def _web_ticket(web: WebTest) -> tuple[Browser, str]:
    """A web-chat shopper who asked for a person; returns them and the ticket id."""
    shopper = await web.client()
    await shopper.open_chat()
    await shopper.say("how much for my iphone 12 pro 128gb")
    await shopper.say("I want to talk to a person")
    with web.app.sessions() as session:
        ticket = repo.list_tickets(session)[0]
    return shopper, ticket.id


def _shopper_lane(shopper: Browser) -> str:
    from bot.channels.web.chat import COOKIE
    from bot.channels.web.signing import Signer

    chat_id = Signer(WEB_SETTINGS["web_secret_key"].encode()).unsign("chat", shopper.cookie(COOKIE))  # type: ignore[attr-defined]
    return f"web:{chat_id}"


async def test_every_console_route_needs_a_login(make_app: Callable[..., App], sqlite_url: str) -> None:
    app = make_app(sqlite_url, **WEB_SETTINGS)
    async with serving(app) as web:
        _, ticket_id = await _web_ticket(web)
        nobody = await web.client()
        for path in ("/console", "/console/inbox", f"/console/tickets/{ticket_id}", "/console/agents"):
            status, _ = await nobody.page(path)
            assert status == HTTP_SEE_OTHER, path
        response = await nobody.http.get("/console", allow_redirects=False)
        assert response.headers["Location"] == "/login?next=/console"
        events = await nobody.http.get("/console/events", headers={"Accept": "text/event-stream"})
        assert events.status == HTTP_UNAUTHORIZED
        status, _ = await nobody.act(ticket_id, "claim", csrf="anything")
        assert status == HTTP_UNAUTHORIZED
        assert (await nobody.http.post("/logout")).status == HTTP_UNAUTHORIZED
        with app.sessions() as session:
            assert repo.list_tickets(session)[0].status == "open", "nothing happened to the ticket"


async def test_login_wrong_password_csrf_and_lock_out(make_app: Callable[..., App], database_url: str) -> None:
    app = make_app(database_url, **WEB_SETTINGS)  # 3 failures lock an account, 6 an address
    async with serving(app) as web:
        web.agent("alice")
        browser = await web.client()
        assert (await browser.login("alice", csrf="forged")).status == HTTP_FORBIDDEN, "no valid CSRF token"
        wrong = await browser.login("alice", "not the password")
        assert wrong.status == HTTP_UNAUTHORIZED and "Wrong name or password" in await wrong.text()
        assert browser.cookie(SESSION_COOKIE) is None
        await browser.login("alice", "still wrong")
        locked = await browser.login("alice", "third time")
        assert locked.status == HTTP_TOO_MANY and "Too many failed attempts" in await locked.text()
        right_but_locked = await browser.login("alice")
        assert right_but_locked.status == HTTP_TOO_MANY, "a locked account is not checked, even with the password"
        assert browser.cookie(SESSION_COOKIE) is None

        web.agent("bob")  # from the same address, three more failures on other names lock the address
        for name in ("carol", "dave", "erin"):
            await browser.login(name, "guess")
        assert (await browser.login("bob")).status == HTTP_TOO_MANY, "the address is locked for every account"


async def test_a_session_cookie_logout_and_the_consoles_headers(make_app: Callable[..., App], sqlite_url: str) -> None:
    app = make_app(sqlite_url, **WEB_SETTINGS)
    async with serving(app) as web:
        web.agent("alice")
        browser = await web.client()
        response = await browser.login("alice")
        cookie = response.cookies[SESSION_COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Lax"
        status, page = await browser.page("/console")
        assert status == HTTP_OK and "Waiting for a person" in page and "alice" in page
        inbox = await browser.http.get("/console")
        assert "frame-ancestors 'none'" in inbox.headers["Content-Security-Policy"]
        assert inbox.headers["X-Frame-Options"] == "DENY"
        events = await browser.http.get("/console/events", headers={"Accept": "text/event-stream"})
        assert (await next_event(events))[0] == "ready"
        assert (await browser.http.post("/logout", data={"csrf": "forged"})).status == HTTP_FORBIDDEN
        out = await browser.http.post("/logout", data={"csrf": browser.csrf}, allow_redirects=False)
        assert out.status == HTTP_SEE_OTHER
        await asyncio.wait_for(events.content.read(), 10)  # the open stream ends: it tells nothing more
        stolen = await web.client()  # the old token is worth nothing now, even to someone who kept it
        stolen.http.session.cookie_jar.update_cookies({SESSION_COOKIE: cookie.value})
        assert (await stolen.page("/console"))[0] == HTTP_SEE_OTHER


async def test_only_admins_see_the_accounts(make_app: Callable[..., App], sqlite_url: str) -> None:
    app = make_app(sqlite_url, **WEB_SETTINGS)
    async with serving(app) as web:
        agent = await _agent(web, "alice")
        assert (await agent.page("/console/agents"))[0] == HTTP_FORBIDDEN
        admin = await _agent(web, "root", "admin")
        status, page = await admin.page("/console/agents")
        assert status == HTTP_OK and "alice" in page and "root" in page and "argon2" not in page


async def test_a_web_shoppers_ticket_claimed_answered_released_and_closed_from_the_console(
        make_app: Callable[..., App], database_url: str) -> None:
    app = make_app(database_url, **WEB_SETTINGS)
    async with serving(app) as web:
        alice = await _agent(web, "alice")
        inbox_events = await alice.http.get("/console/events", headers={"Accept": "text/event-stream"})
        assert (await next_event(inbox_events))[0] == "ready"
        shopper, ticket_id = await _web_ticket(web)
        assert (await next_event(inbox_events))[0] == "changed", "the inbox hears of the new ticket"
        inbox_events.close()
        status, rows = await alice.page("/console/inbox")
        pending = rows.split('id="bucket-pending"')[1].split('id="bucket-mine"')[0]
        with app.sessions() as session:
            reason = repo.list_tickets(session)[0].reason
        assert ticket_id in pending and f"<td>{reason}</td>" in pending, "waiting, with its reason"
        assert rows.split('id="bucket-mine"')[1].count("<tr class=\"ticket\"") == 0

        status, page = await alice.page(f"/console/tickets/{ticket_id}")
        assert status == HTTP_OK and "I want to talk to a person" in page, "the shopper's transcript"
        assert "iPhone 12 Pro" in page and "storage_gb" in page, "the slots the bot gathered"

        shopper_events = await shopper.http.get("/chat/events?after=0")
        while "ticket" not in (await next_event(shopper_events))[1]["text"]:
            pass  # the earlier replies
        status, page = await alice.act(ticket_id, "claim")
        assert status == HTTP_OK and "alice claimed ticket" in page
        joined = (await next_event(shopper_events))[1]
        assert joined["who"] == "agent" and "alice" in joined["text"] and "joined" in joined["text"]
        desk = SupportDesk(app.sessions)  # the Telegram support group's view of the same ticket
        ticket = desk.open_ticket_of(_shopper_lane(shopper))
        assert ticket is not None and ticket.status == "claimed" and ticket.claimed_by_name == "alice"

        status, page = await alice.act(ticket_id, "reply", "Hi! The offer stands for 7 days.")
        assert status == HTTP_OK
        reply = (await next_event(shopper_events))[1]
        assert reply["who"] == "agent" and "The offer stands for 7 days." in reply["text"]
        rows_to_shopper = web.rows(kind="web.message", lane=_shopper_lane(shopper))
        assert "The offer stands for 7 days." in rows_to_shopper[-1]["text"]
        assert "The offer stands for 7 days." in await shopper.open_chat(), "in the transcript after a reload"

        status, page = await alice.act(ticket_id, "note", "Customer sounds upset about the price")
        assert status == HTTP_OK and "Customer sounds upset about the price" in page
        assert "upset" not in await shopper.open_chat(), "notes never reach the shopper"
        assert all("upset" not in row["text"] for row in web.rows())

        status, page = await alice.act(ticket_id, "release")
        assert status == HTTP_OK and "released ticket" in page
        assert desk.open_ticket_of(_shopper_lane(shopper)).status == "open"  # type: ignore[union-attr]

        status, page = await alice.act(ticket_id, "close")
        assert status == HTTP_OK and "closed ticket" in page
        handback = (await next_event(shopper_events))[1]
        assert "back with the bot" in handback["text"]
        shopper_events.close()
        assert desk.open_ticket_of(_shopper_lane(shopper)) is None
        with app.sessions() as session:
            assert repo.get_conversation(session, _shopper_lane(shopper)).owner == "bot"  # type: ignore[union-attr]
        status, rows = await alice.page("/console/inbox")
        assert ticket_id in rows.split('id="bucket-closed"')[1]


async def test_a_telegram_shoppers_ticket_answered_from_the_console(
        make_app: Callable[..., App], sqlite_url: str) -> None:
    app = make_app(sqlite_url, **WEB_SETTINGS)
    telegram = ChatHarness(app, user=TELEGRAM_SHOPPER, channel="telegram")
    telegram.say("I need to talk to a human")
    ticket_id = telegram.last.handoff.ticket_id  # type: ignore[union-attr]
    async with serving(app) as web:
        alice = await _agent(web, "alice")
        status, page = await alice.page("/console")
        assert ticket_id in page and "telegram" in page
        status, _ = await alice.act(ticket_id, "reply", "Hello from the console")
        assert status == HTTP_OK
    rows = web.rows(kind="telegram.message", lane=f"telegram:{TELEGRAM_SHOPPER}")
    assert rows[-1]["chat_id"] == TELEGRAM_SHOPPER and "Hello from the console" in rows[-1]["text"]
    assert rows[-1]["state"] == "pending", "the Telegram sender delivers it (not registered in this test)"
    ticket = SupportDesk(app.sessions).open_ticket_of(f"telegram:{TELEGRAM_SHOPPER}")
    assert ticket is not None and ticket.status == "claimed" and ticket.claimed_by == "web:1", "replying claims it"


async def test_ownership_is_single_across_console_and_telegram(make_app: Callable[..., App], database_url: str) -> None:
    app = make_app(database_url, **WEB_SETTINGS)
    telegram = ChatHarness(app, user=TELEGRAM_SHOPPER, channel="telegram")
    telegram.say("I need to talk to a human")
    ticket_id = telegram.last.handoff.ticket_id  # type: ignore[union-attr]
    desk = SupportDesk(app.sessions)
    async with serving(app) as web:
        alice = await _agent(web, "alice")
        events = await alice.http.get("/console/events", headers={"Accept": "text/event-stream"})
        assert (await next_event(events))[0] == "ready"
        assert desk.claim(ticket_id, Agent("telegram:42", "Tess")).ok, "claimed in the Telegram support group"
        assert (await next_event(events))[0] == "changed", "the console notices a change it did not make"
        events.close()
        status, live = await alice.page(f"/console/tickets/{ticket_id}/live")
        assert status == HTTP_OK and "agent: Tess" in live and "Take over" in live and "<html" not in live
        _, rows = await alice.page("/console/inbox")
        others = rows.split('id="bucket-others"')[1].split('id="bucket-closed"')[0]
        assert ticket_id in others and "Tess" in others, "the group's claim shows in the console"
        status, page = await alice.act(ticket_id, "reply", "let me help")
        assert status == HTTP_CONFLICT and "claimed by Tess" in page
        status, _ = await alice.act(ticket_id, "close")
        assert status == HTTP_CONFLICT
        status, refused = await alice.act(ticket_id, "claim", csrf="forged")
        assert status == HTTP_FORBIDDEN and "This form has expired or did not come from our page" in refused
        assert (await alice.act(ticket_id, "claim", csrf=""))[0] == HTTP_FORBIDDEN, "a form without its token"
        assert (await alice.act(ticket_id, "note", ""))[0] == 400, "an empty note is not added"
        assert (await alice.page("/console/tickets/T-AAAAAAAA"))[0] == 404
        admin = await _agent(web, "root", "admin")
        status, page = await admin.act(ticket_id, "claim")
        assert status == HTTP_OK and "took over ticket" in page, "an admin may take it over"
    ticket = desk.open_ticket_of(f"telegram:{TELEGRAM_SHOPPER}")
    assert ticket is not None and ticket.claimed_by_name == "root"
    assert not desk.agent_message(ticket_id, Agent("telegram:42", "Tess"), "mine?").ok, "Tess may not answer now"


async def test_a_web_ticket_nobody_claims_goes_back_to_the_bot_and_stays_open(
        make_app: Callable[..., App], sqlite_url: str) -> None:
    app = make_app(sqlite_url, **{**WEB_SETTINGS, "handoff_unclaimed_minutes": 1})
    async with serving(app) as web:
        shopper, ticket_id = await _web_ticket(web)
        with app.sessions() as session:  # the handoff was two minutes ago
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            ticket.handed_off_at = ticket.handed_off_at - timedelta(minutes=2)  # type: ignore[operator]
            session.commit()
        deps = web.server.app[DEPS]
        assert return_unclaimed(deps) == 1 and return_unclaimed(deps) == 0, "once"
        await web.deliver()
        told = [row["text"] for row in web.rows(kind="web.message")][-2:]
        assert f"Your request {ticket_id} stays open" in told[0] and "Back to where we were" in told[1]
        with app.sessions() as session:
            assert repo.get_conversation(session, _shopper_lane(shopper)).owner == "bot"  # type: ignore[union-attr]
            assert session.get(Ticket, ticket_id).status == "open"  # type: ignore[union-attr]


async def test_the_support_groups_thread_is_told_what_the_console_did(
        make_app: Callable[..., App], sqlite_url: str) -> None:
    app = make_app(sqlite_url, support_chat_id=SUPPORT, **WEB_SETTINGS)
    telegram = ChatHarness(app, user=TELEGRAM_SHOPPER, channel="telegram")
    telegram.say("I need to talk to a human")
    ticket_id = telegram.last.handoff.ticket_id  # type: ignore[union-attr]
    SupportDesk(app.sessions).remember_message(ticket_id, str(SUPPORT), "900", thread_id="501")  # its card's topic
    async with serving(app) as web:
        alice = await _agent(web, "alice")
        await alice.act(ticket_id, "claim")
        await alice.act(ticket_id, "reply", "On it")
    group = web.rows(kind="telegram.message", lane=f"telegram:{SUPPORT}")
    assert [(row["thread_id"], row["text"]) for row in group] == [
        (501, f"alice claimed ticket {ticket_id}."), (501, "💬 alice answered in the web console: On it")]
    shopper = [row["text"] for row in web.rows(kind="telegram.message", lane=f"telegram:{TELEGRAM_SHOPPER}")]
    assert "alice from our support team has joined the chat." in shopper[-2] and "On it" in shopper[-1]
