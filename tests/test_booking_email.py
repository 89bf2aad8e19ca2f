"""Booking confirmation email: SMTP_URL, the templates, and the handler against a real local SMTP server."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bot.delivery.booking_events import booking_event
from bot.delivery.email import (
    SmtpTarget,
    confirmation_payload,
    email_handler,
    load_confirmation_templates,
    parse_smtp_url,
)
from bot.errors import ConfigError, PermanentDelivery, RetryableDelivery
from bot.settings import PROJECT_ROOT, load_settings
from bot.shop import read_yaml

TEMPLATES = PROJECT_ROOT / "config" / "emails"
POLICY = read_yaml(PROJECT_ROOT / "config" / "policy.yaml")
SENDER = "Loop Market <trade-in@loopmarket.example>"
SHOPPER = "sam.shopper@example.com"
PASSWORD = "hunter2-Secret"
TIMEOUT_S = 5.0


def _payload(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "booking_id": "bk_testbooking0001", "quote_id": "Q-7F3K9A2C", "device_model": "Pixel 8 <Pro> & Co",
        "storage_gb": 256, "condition": "good", "carrier": "unlocked", "offer": Decimal("412"), "currency": "USD",
        "payout_method": "paypal", "email": SHOPPER, "channel": "telegram", "ship_by": date(2026, 12, 15),
        "occurred_at": datetime(2026, 11, 24, 15, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return confirmation_payload(booking_event("booking.accepted", **values))


@dataclass
class Mailbox:
    """What the local SMTP server received, and how it answers RCPT."""

    port: int = 0
    rcpt_reply: str | None = None  # e.g. '550 5.1.1 mailbox unavailable'; None accepts
    envelopes: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"

    def received(self) -> EmailMessage:
        [(_, _, raw)] = self.envelopes
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message


def _free_port() -> int:
    # aiosmtpd 1.4 cannot listen on port 0 (its start-up check connects to the port given), so pick one first.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(port=_free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def _handler(url: str) -> Any:
    return email_handler(url, SENDER, templates_dir=TEMPLATES, policy=POLICY, timeout_s=TIMEOUT_S)


async def test_confirmation_is_received_with_both_parts(mailbox: Mailbox) -> None:
    await _handler(f"smtp://127.0.0.1:{mailbox.port}")(_payload())
    [(mail_from, rcpt_tos, _)] = mailbox.envelopes
    assert mail_from == "trade-in@loopmarket.example" and rcpt_tos == [SHOPPER]

    message = mailbox.received()
    assert message["To"] == SHOPPER
    assert message["From"] == SENDER
    assert "bk_testbooking0001" in message["Subject"]
    assert message["Message-ID"] == "<booking_confirmation.bk_testbooking0001@loopmarket.example>"
    assert message.get_content_type() == "multipart/alternative"
    text_part, html_part = message.get_body(("plain",)), message.get_body(("html",))
    assert isinstance(text_part, EmailMessage) and isinstance(html_part, EmailMessage)
    text, html = text_part.get_content(), html_part.get_content()
    for part in (text, html):
        assert "Q-7F3K9A2C" in part and "bk_testbooking0001" in part
        assert "$412" in part
        assert "Dec 15, 2026" in part
    # Next steps from config/policy.yaml, not from code.
    trade_in = POLICY["trade_in"]
    assert f"within {trade_in['inspection_business_days']} business days of arrival" in text
    assert f"PayPal, within {trade_in['payout_paypal_business_days']} business days" in text
    assert trade_in["shipping_label"] in text
    # Escaped in HTML, as typed in the text part.
    assert "Pixel 8 <Pro> & Co 256 GB" in text
    assert "Pixel 8 &lt;Pro&gt; &amp; Co 256 GB" in html and "<Pro>" not in html
    assert "Settings &gt; General" in html  # policy values are escaped too
    assert "booking_confirmation.txt" not in html  # the operator's notes stay in the file


async def test_ach_payout_line(mailbox: Mailbox) -> None:
    await _handler(f"smtp://127.0.0.1:{mailbox.port}")(_payload(payout_method="ach"))
    text = mailbox.received().get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"bank transfer (ACH), within {POLICY['trade_in']['payout_ach_business_days']} business days" in text


async def test_a_refused_recipient_is_permanent_with_the_servers_reason(mailbox: Mailbox) -> None:
    mailbox.rcpt_reply = f"550 5.1.1 <{SHOPPER}>: mailbox unavailable"
    with pytest.raises(PermanentDelivery, match="550") as err:
        await _handler(f"smtp://127.0.0.1:{mailbox.port}")(_payload())
    assert "mailbox unavailable" in str(err.value)
    assert SHOPPER not in str(err.value)  # the reason is stored and logged: no personal data in it
    assert mailbox.envelopes == []


async def test_a_4xx_recipient_reply_is_retryable(mailbox: Mailbox) -> None:
    mailbox.rcpt_reply = "451 4.7.1 greylisted, try again later"
    with pytest.raises(RetryableDelivery, match="451"):
        await _handler(f"smtp://127.0.0.1:{mailbox.port}")(_payload())


async def test_nothing_listening_is_retryable() -> None:
    with pytest.raises(RetryableDelivery, match="unreachable"):
        await _handler(f"smtp://127.0.0.1:{_free_port()}")(_payload())


async def test_a_login_is_never_sent_without_starttls(mailbox: Mailbox) -> None:
    # The local server offers no STARTTLS: smtp://user:pass@ must refuse to log in rather than send it in clear.
    with pytest.raises(RetryableDelivery, match="STARTTLS"):
        await _handler(f"smtp://shop:{PASSWORD}@127.0.0.1:{mailbox.port}")(_payload())
    assert mailbox.envelopes == []


async def test_a_malformed_payload_is_permanent() -> None:
    handler = _handler("smtp://127.0.0.1:25")
    for payload in ({}, {**_payload(), "ship_by": "soon"}, {**_payload(), "payout_method": "cheque"},
                    {**_payload(), "to": "not-an-address"}, {**_payload(), "to": "a@b.example\r\nBcc: x@y.example"}):
        with pytest.raises(PermanentDelivery, match="malformed"):
            await handler(payload)


# --- SMTP_URL -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "target"), [
    ("smtp://mail.internal:25", SmtpTarget("mail.internal", 25, "plain")),
    ("smtp://mail.internal", SmtpTarget("mail.internal", 25, "plain")),
    ("smtp://shop:pw@smtp.example:587", SmtpTarget("smtp.example", 587, "starttls", "shop")),
    ("smtp://shop:pw@smtp.example", SmtpTarget("smtp.example", 587, "starttls", "shop")),
    ("smtps://shop:pw@smtp.example:465", SmtpTarget("smtp.example", 465, "tls", "shop")),
    ("smtps://smtp.example", SmtpTarget("smtp.example", 465, "tls")),
])
def test_smtp_url_forms(url: str, target: SmtpTarget) -> None:
    parsed = parse_smtp_url(url)
    assert (parsed.host, parsed.port, parsed.security, parsed.username) == (
        target.host, target.port, target.security, target.username)


def test_password_is_percent_decoded_and_hidden_from_repr() -> None:
    parsed = parse_smtp_url("smtp://shop%40loop:p%40ss%3Aword@smtp.example:587")
    assert parsed.username == "shop@loop"
    assert parsed.password is not None and parsed.password.get_secret_value() == "p@ss:word"
    assert "p@ss" not in repr(parsed)


@pytest.mark.parametrize("url", [
    f"smtp://shop:{PASSWORD}@",
    f"smtp://shop:{PASSWORD}@smtp.example:notaport",
    f"smtp://shop:{PASSWORD}@smtp.example:70000",
    f"http://shop:{PASSWORD}@smtp.example:587",
    f"smtp://shop:{PASSWORD}@smtp.example:587/inbox",
    f"smtp://:{PASSWORD}@smtp.example:587",
    f"smtp{PASSWORD}",
])
def test_a_malformed_smtp_url_names_the_setting_and_never_the_password(url: str) -> None:
    with pytest.raises(ConfigError, match="SMTP_URL") as err:
        parse_smtp_url(url)
    assert PASSWORD not in str(err.value)
    with pytest.raises(ConfigError, match="SMTP_URL") as err:
        load_settings(smtp_url=url, smtp_from=SENDER)
    assert PASSWORD not in str(err.value)


def test_smtp_settings() -> None:
    settings = load_settings(smtp_url=f"smtps://shop:{PASSWORD}@smtp.example:465", smtp_from=SENDER)
    assert settings.smtp_url is not None and PASSWORD not in repr(settings)
    assert settings.smtp_from == SENDER
    assert load_settings().smtp_url is None
    with pytest.raises(ConfigError, match="SMTP_FROM"):
        load_settings(smtp_url="smtp://127.0.0.1:25")
    with pytest.raises(ConfigError, match="SMTP_FROM"):
        load_settings(smtp_url="smtp://127.0.0.1:25", smtp_from="nobody")


# --- templates ----------------------------------------------------------------------------------------------


def _copy_templates(tmp_path: Path) -> Path:
    folder = tmp_path / "emails"
    shutil.copytree(TEMPLATES, folder)
    return folder


def test_an_unknown_placeholder_stops_start_up_naming_the_file(tmp_path: Path) -> None:
    folder = _copy_templates(tmp_path)
    html = folder / "booking_confirmation.html"
    html.write_text(html.read_text().replace("${offer}", "${offer_in_euros}"))
    with pytest.raises(ConfigError, match=r"booking_confirmation\.html.*offer_in_euros"):
        load_confirmation_templates(folder, POLICY)


def test_an_unknown_policy_value_stops_start_up_naming_the_file(tmp_path: Path) -> None:
    folder = _copy_templates(tmp_path)
    text = folder / "booking_confirmation.txt"
    text.write_text(text.read_text() + "\n{{ policy.trade_in.no_such_thing }}\n")
    with pytest.raises(ConfigError, match=r"booking_confirmation\.txt.*no_such_thing"):
        load_confirmation_templates(folder, POLICY)


def test_a_dollar_sign_in_a_policy_value_is_just_text() -> None:
    policy_with_dollars = {**POLICY, "trade_in": {**POLICY["trade_in"], "cancel_booking": "no $5 fee, ever"}}
    templates = load_confirmation_templates(TEMPLATES, policy_with_dollars)
    assert "no $5 fee, ever" in templates.text.substitute({k: "" for k in templates.text.get_identifiers()})


def test_missing_templates_are_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing"):
        email_handler("smtp://127.0.0.1:25", SENDER, templates_dir=tmp_path, policy=POLICY)
