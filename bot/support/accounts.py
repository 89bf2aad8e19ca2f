"""Console accounts: agents and admins with argon2 hashes, logins locked after repeated failures, sessions.

A login is refused without looking at the password while its account, or the client address it comes from,
has had too many failures within the window (LoginPolicy). Unknown names cost a hash check like known ones,
so timing does not tell which names exist. Addresses are stored as a keyed digest, never as typed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import AccountError
from bot.storage.models import AgentAccount, LoginFailure, WebSession, utcnow

ROLES = ("agent", "admin")
MIN_PASSWORD_CHARS = 10
MAX_NAME_CHARS = 64
_HASHER = PasswordHasher()  # argon2id with the library's recommended parameters
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))  # checked against for unknown names


@dataclass(frozen=True)
class Account:
    """A console account as the web app sees it (never the hash)."""

    id: int
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        """Admins may take over, release and close other agents' tickets and see the accounts."""
        return self.role == "admin"


@dataclass(frozen=True)
class LoginPolicy:
    """How many failures lock a login, and for how long (the WEB_LOGIN_* settings)."""

    max_failures: int = 5
    max_failures_per_address: int = 20
    window_s: float = 900.0
    session_hours: float = 12.0


@dataclass(frozen=True)
class LoginResult:
    """A login attempt: the account when it succeeded; locked when it was refused unchecked."""

    account: Account | None
    locked: bool = False


def name_key(name: str) -> str:
    """The form names are matched in (case and surrounding spaces do not make another account)."""
    return name.strip().casefold()


def add_account(sessions: sessionmaker[Session], name: str, role: str, password: str) -> Account:
    """Create an account; AccountError names what is wrong (a taken name, a role, a short password)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS or any(ch.isspace() or not ch.isprintable() for ch in name):
        raise AccountError(f"use a name of 1 to {MAX_NAME_CHARS} characters without spaces")
    if role not in ROLES:
        raise AccountError(f"the role is one of: {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"use a password of at least {MIN_PASSWORD_CHARS} characters")
    with sessions() as session, session.begin():
        if session.execute(select(AgentAccount.id).where(AgentAccount.name_key == name_key(name))).first():
            raise AccountError(f"an account named {name!r} exists already")
        row = AgentAccount(name=name, name_key=name_key(name), role=role, password_hash=_HASHER.hash(password),
                           created_at=utcnow())
        session.add(row)
        session.flush()
        return Account(row.id, row.name, row.role)


def list_accounts(sessions: sessionmaker[Session]) -> list[Account]:
    """Every enabled account, by name."""
    with sessions() as session:
        rows = session.execute(select(AgentAccount).where(AgentAccount.disabled_at.is_(None))
                               .order_by(AgentAccount.name_key)).scalars()
        return [Account(r.id, r.name, r.role) for r in rows]


class Accounts:
    """Logins and sessions over the database (blocking calls: run them in a thread)."""

    def __init__(self, sessions: sessionmaker[Session], policy: LoginPolicy, secret: bytes) -> None:
        self.sessions, self.policy, self._secret = sessions, policy, secret

    def address_key(self, address: str) -> str:
        """A client address as stored: a keyed digest, so the table holds no address."""
        return "address:" + hmac.new(self._secret, address.encode(), hashlib.sha256).hexdigest()[:40]

    def login(self, name: str, password: str, address: str, now: datetime | None = None) -> LoginResult:
        """Check a name and password, unless the account or the address is locked; failures are counted."""
        now = now or utcnow()
        keys = ("account:" + name_key(name)[:MAX_NAME_CHARS], self.address_key(address))
        since = now - timedelta(seconds=self.policy.window_s)
        with self.sessions() as session, session.begin():
            if self._locked(session, keys, since):
                return LoginResult(None, locked=True)
            row = session.execute(select(AgentAccount).where(AgentAccount.name_key == name_key(name),
                                                             AgentAccount.disabled_at.is_(None))).scalar_one_or_none()
            if _verified(row.password_hash if row else _DUMMY_HASH, password) and row is not None:
                session.execute(delete(LoginFailure).where(LoginFailure.key == keys[0]))
                if _HASHER.check_needs_rehash(row.password_hash):
                    row.password_hash = _HASHER.hash(password)
                return LoginResult(Account(row.id, row.name, row.role))
            session.add_all([LoginFailure(key=key, failed_at=now) for key in keys])
            session.execute(delete(LoginFailure).where(LoginFailure.failed_at < since))  # old ones count no more
            return LoginResult(None, locked=self._locked(session, keys, since))

    def _locked(self, session: Session, keys: tuple[str, str], since: datetime) -> bool:
        limits = (self.policy.max_failures, self.policy.max_failures_per_address)
        for key, limit in zip(keys, limits, strict=True):
            count = session.execute(select(func.count()).select_from(LoginFailure).where(
                LoginFailure.key == key, LoginFailure.failed_at >= since)).scalar_one()
            if count >= limit:
                return True
        return False

    def open_session(self, account: Account, now: datetime | None = None) -> str:
        """A new session for the account; returns the token for the cookie (only its digest is stored)."""
        now = now or utcnow()
        token = secrets.token_urlsafe(32)
        with self.sessions() as session, session.begin():
            session.add(WebSession(id=_digest(token), account_id=account.id, created_at=now,
                                   expires_at=now + timedelta(hours=self.policy.session_hours)))
            session.execute(delete(WebSession).where(WebSession.expires_at < now))
        return token

    def account_of(self, token: str, now: datetime | None = None) -> Account | None:
        """The account a session token belongs to, if the session is current and the account enabled."""
        now = now or utcnow()
        with self.sessions() as session:
            row = session.execute(
                select(AgentAccount).join(WebSession, WebSession.account_id == AgentAccount.id)
                .where(WebSession.id == _digest(token), WebSession.expires_at > now,
                       AgentAccount.disabled_at.is_(None))).scalar_one_or_none()
            if row is None or row.role not in ROLES:
                return None
            return Account(row.id, row.name, row.role)

    def close_session(self, token: str) -> None:
        """Log out: the token is worth nothing from now on."""
        with self.sessions() as session, session.begin():
            session.execute(delete(WebSession).where(WebSession.id == _digest(token)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _verified(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
