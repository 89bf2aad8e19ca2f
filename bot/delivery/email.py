"""Booking confirmation email: SMTP_URL, the message from config/emails templates, and its outbox handler."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import smtplib
import ssl
import string
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import yaml
from pydantic import SecretStr

from bot.catalog import storage_label
from bot.delivery.booking_events import BookingEvent
from bot.errors import ConfigError, PermanentDelivery, RetryableDelivery
from bot.knowledge.documents import render_policy
from bot.pricing.quote import format_usd

log = logging.getLogger(__name__)

Handler = Callable[[Mapping[str, Any]], Awaitable[None]]
Security = Literal["plain", "starttls", "tls"]

KIND = "booking.email"  # the outbox row kind this handler delivers
TEMPLATE = "booking_confirmation"
DEFAULT_TIMEOUT_S = 20.0
SMTP_PORT, SUBMISSION_PORT, SMTPS_PORT = 25, 587, 465
MAX_PORT = 65_535
SMTP_PERMANENT_MIN = 500  # RFC 5321: 5yz is a permanent negative reply, 4yz a transient one
DATE_FORMAT = "%b %d, %Y"  # as the chat shows the ship-by date
URL_FORMS = "smtp://host:25, smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465"
PAYLOAD_KEYS = ("to", "booking_id", "quote_id", "device_model", "storage_gb", "condition", "offer_usd",
                "currency", "payout_method", "ship_by")
FIELDS = frozenset({"booking_id", "quote_id", "device", "device_model", "storage_gb", "condition", "offer",
                    "ship_by", "payout", "email"})
_FRONT_MATTER = re.compile(r"^---\n(.*?)\n---\n(.*)$", re.S)
_MSGID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_HTML_COMMENT = re.compile(r"<!--(?!\[if).*?-->\n?", re.S)  # the operator's notes; Outlook's [if mso] stay


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to send: host, port, TLS mode and optional login (the password never in repr)."""

    host: str
    port: int
    security: Security
    username: str | None = None
    password: SecretStr | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        """Parse an SMTP URL; a problem is a ValueError that never repeats the URL (it may hold a password)."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise ValueError(f"the port is not a number from 1 to {MAX_PORT}; use {URL_FORMS}") from None
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"the scheme must be smtp:// or smtps://; use {URL_FORMS}")
        if not parts.hostname:
            raise ValueError(f"no host; use {URL_FORMS}")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError(f"nothing may follow host:port; use {URL_FORMS}")
        if (parts.username is None) != (parts.password is None) or parts.username == "":
            raise ValueError("give both a user and a password, or neither (percent-encode @ : / in them)")
        login = parts.username is not None
        # smtp:// with a login always upgrades with STARTTLS: a password is never sent in the clear.
        security: Security = "tls" if parts.scheme == "smtps" else "starttls" if login else "plain"
        default_port = {"tls": SMTPS_PORT, "starttls": SUBMISSION_PORT, "plain": SMTP_PORT}[security]
        if port == 0:
            raise ValueError(f"the port is not a number from 1 to {MAX_PORT}; use {URL_FORMS}")
        return cls(
            host=parts.hostname,
            port=port or default_port,
            security=security,
            username=unquote(parts.username) if parts.username is not None else None,
            password=SecretStr(unquote(parts.password)) if parts.password is not None else None,
        )


def parse_smtp_url(url: str | SecretStr) -> SmtpTarget:
    """SMTP_URL as a target; a bad one is a ConfigError naming the setting, never showing the password."""
    raw = url.get_secret_value() if isinstance(url, SecretStr) else url
    try:
        return SmtpTarget.from_url(raw)
    except ValueError as err:
        raise ConfigError(f"setting SMTP_URL is invalid: {err}") from None


def sender_problem(sender: str) -> str | None:
    """Why SMTP_FROM is not a usable From address, or None ('Shop <a@b.example>' and 'a@b.example' are)."""
    _, address = parseaddr(sender)
    if "\n" in sender or "\r" in sender or "@" not in address or address.startswith("@") or address.endswith("@"):
        return "use an address such as 'Loop Market <trade-in@loopmarket.example>'"
    return None


@dataclass(frozen=True)
class ConfirmationTemplates:
    """The confirmation's subject, text and HTML templates, policy values already filled and checked."""

    subject: string.Template
    text: string.Template
    html: string.Template
    payout: Mapping[str, str]  # the payout line per payout method (plain text)


def load_confirmation_templates(templates_dir: Path, policy: Mapping[str, Any]) -> ConfirmationTemplates:
    """Read config/emails/booking_confirmation.{txt,html}; a problem is one ConfigError naming the file."""
    text_path, html_path = templates_dir / f"{TEMPLATE}.txt", templates_dir / f"{TEMPLATE}.html"
    raw_text, raw_html = _read(text_path), _HTML_COMMENT.sub("", _read(html_path))
    match = _FRONT_MATTER.match(raw_text)
    if not match:
        raise ConfigError(f"{text_path}: missing front matter (a '---' block with subject and payout)")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        raise ConfigError(f"{text_path}: front matter is not valid YAML") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("subject"), str):
        raise ConfigError(f"{text_path}: front matter needs a 'subject'")
    payout = meta.get("payout")
    if not isinstance(payout, dict) or not payout or not all(isinstance(v, str) for v in payout.values()):
        raise ConfigError(f"{text_path}: front matter needs 'payout' with a line per payout method (paypal, ach)")
    plain, escaped = _dollar_safe(dict(policy), escape=False), _dollar_safe(dict(policy), escape=True)
    payout_lines = {str(method): render_policy(line, dict(policy), f"{text_path.name}, payout.{method}")
                    for method, line in payout.items()}
    return ConfirmationTemplates(
        subject=_template(render_policy(meta["subject"], plain, f"{text_path.name}, subject"), text_path),
        text=_template(render_policy(match.group(2), plain, text_path.name), text_path),
        html=_template(render_policy(raw_html, escaped, html_path.name), html_path),
        payout=payout_lines,
    )


def confirmation_payload(event: BookingEvent) -> dict[str, Any]:
    """What the outbox stores for the confirmation email of an accepted booking (JSON-safe values)."""
    if event.type != "booking.accepted":
        raise ValueError(f"a confirmation email is for booking.accepted, not {event.type}")
    body = event.to_json()
    return {"to": event.email, **{key: body[key] for key in PAYLOAD_KEYS if key != "to"}}


def confirmation_message(templates: ConfirmationTemplates, payload: Mapping[str, Any], sender: str) -> EmailMessage:
    """The multipart confirmation (text and HTML alternatives); a payload that cannot make one is a ValueError."""
    missing = [key for key in PAYLOAD_KEYS if key not in payload]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    recipient = str(payload["to"])
    if sender_problem(recipient) is not None or "," in recipient:
        raise ValueError("the recipient is not one email address")
    method = str(payload["payout_method"])
    if method not in templates.payout:
        raise ValueError(f"no payout line for method {method!r} in the template's front matter")
    try:
        amount = Decimal(str(payload["offer_usd"]))
        ship_by = date.fromisoformat(str(payload["ship_by"]))
        storage_gb = int(payload["storage_gb"])
    except (InvalidOperation, ValueError, TypeError):
        raise ValueError("offer_usd, ship_by or storage_gb is not readable") from None
    currency = str(payload["currency"])
    offer = format_usd(amount) if currency == "USD" else f"{amount:.2f} {currency}"
    values = {
        "booking_id": str(payload["booking_id"]),
        "quote_id": str(payload["quote_id"]),
        "device": f"{payload['device_model']} {storage_label(storage_gb)}",
        "device_model": str(payload["device_model"]),
        "storage_gb": str(storage_gb),
        "condition": str(payload["condition"]),
        "offer": offer,
        "ship_by": f"{ship_by:{DATE_FORMAT}}",
        "payout": templates.payout[method],
        "email": recipient,
    }
    message = EmailMessage()
    # Header values never carry a line break (no header injection from a device name or a booking id).
    message["Subject"] = " ".join(templates.subject.substitute(values).split())
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(usegmt=True)
    # Stable across retries, so a receiving system can drop a second copy after a lost "250 OK".
    domain = parseaddr(sender)[1].rpartition("@")[2]
    message["Message-ID"] = f"<{TEMPLATE}.{_MSGID_UNSAFE.sub('', values['booking_id'])}@{domain}>"
    message.set_content(templates.text.substitute(values))
    message.add_alternative(templates.html.substitute({k: html.escape(v) for k, v in values.items()}), subtype="html")
    return message


def email_handler(
    smtp_url: str | SecretStr,
    sender: str,
    *,
    templates_dir: Path,
    policy: Mapping[str, Any],
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Handler:
    """The outbox handler that sends the confirmation for a payload made by confirmation_payload."""
    target = parse_smtp_url(smtp_url)
    problem = sender_problem(sender)
    if problem is not None:
        raise ConfigError(f"setting SMTP_FROM is invalid: {problem}")
    templates = load_confirmation_templates(templates_dir, policy)  # a broken template stops start-up, not a send

    async def deliver(payload: Mapping[str, Any]) -> None:
        try:
            message = confirmation_message(templates, payload, sender)
        except ValueError as err:
            raise PermanentDelivery(f"malformed email payload: {err}") from None
        recipient = str(payload["to"])
        # smtplib blocks: a worker thread keeps the event loop (and the shoppers' turns) running.
        await asyncio.to_thread(_send, target, message, recipient, timeout_s)
        log.info("confirmation email for booking %s accepted by the SMTP server", payload["booking_id"])

    return deliver


def _send(target: SmtpTarget, message: EmailMessage, recipient: str, timeout_s: float) -> None:
    local_name = parseaddr(str(message["From"]))[1].rpartition("@")[2] or "localhost"  # no slow getfqdn() lookup
    context = ssl.create_default_context()
    try:
        smtp = (smtplib.SMTP_SSL(target.host, target.port, local_hostname=local_name, timeout=timeout_s, context=context)
                if target.security == "tls"
                else smtplib.SMTP(target.host, target.port, local_hostname=local_name, timeout=timeout_s))
        with smtp:
            if target.security == "starttls":
                smtp.starttls(context=context)
            if target.username is not None and target.password is not None:
                smtp.login(target.username, target.password.get_secret_value())
            smtp.send_message(message, to_addrs=[recipient])
    except smtplib.SMTPRecipientsRefused as err:
        code, reply = next(iter(err.recipients.values()), (0, b""))
        _raise_for_reply("recipient refused", code, reply, recipient)
    except (smtplib.SMTPConnectError, smtplib.SMTPHeloError) as err:  # the server, not this message: later
        raise RetryableDelivery(f"the SMTP server would not talk ({err.smtp_code})") from err
    except smtplib.SMTPNotSupportedError as err:
        # The login would go in the clear: never. Worth retrying once the operator fixes the server or SMTP_URL.
        raise RetryableDelivery("the SMTP server does not offer STARTTLS: check SMTP_URL (or use smtps://)") from err
    except smtplib.SMTPAuthenticationError as err:
        # Wrong credentials fail every email alike: retried (not dead) so nothing is lost while SMTP_URL is fixed.
        raise RetryableDelivery(f"the SMTP server refused the login ({err.smtp_code}): check SMTP_URL") from err
    except smtplib.SMTPSenderRefused as err:
        raise RetryableDelivery(f"the SMTP server refused the sender ({err.smtp_code}): check SMTP_FROM") from err
    except smtplib.SMTPResponseException as err:  # DATA refused and other replies
        _raise_for_reply("message refused", err.smtp_code, err.smtp_error, recipient)
    except (smtplib.SMTPException, OSError) as err:  # refused, reset, timed out, TLS failed, disconnected
        raise RetryableDelivery(f"SMTP server unreachable or timed out ({type(err).__name__})") from err


def _raise_for_reply(what: str, code: int, reply: bytes | str, recipient: str) -> None:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    # The server's reason is kept for the operator, the shopper's address in it is not (it ends up in logs).
    reason = f"{what}: {code} {' '.join(text.replace(recipient, '<recipient>').split())}".rstrip()
    if code >= SMTP_PERMANENT_MIN:
        raise PermanentDelivery(reason)
    raise RetryableDelivery(reason)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path} is missing (the booking confirmation email template)") from None


def _template(text: str, path: Path) -> string.Template:
    template = string.Template(text)
    if not template.is_valid():
        raise ConfigError(f"{path}: a '$' that is not a placeholder (write $$ for a dollar sign)")
    unknown = sorted(set(template.get_identifiers()) - FIELDS)
    if unknown:
        raise ConfigError(f"{path}: unknown placeholder ${unknown[0]} (known: {', '.join(sorted(FIELDS))})")
    return template


def _dollar_safe(node: Any, *, escape: bool) -> Any:
    """Policy values made safe to pass through string.Template (and HTML when asked)."""
    if isinstance(node, dict):
        return {key: _dollar_safe(value, escape=escape) for key, value in node.items()}
    if isinstance(node, list):
        return [_dollar_safe(value, escape=escape) for value in node]
    if isinstance(node, str):
        return (html.escape(node) if escape else node).replace("$", "$$")
    return node

