"""Settings: defaults in config/settings.yaml, overridden by .env and the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from bot.delivery.email import SmtpTarget, sender_problem
from bot.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = PROJECT_ROOT / "config" / "settings.yaml"
MIN_WEBHOOK_SECRET_CHARS = 16  # an HMAC key shorter than this can be guessed; `openssl rand -hex 32` makes one
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")  # the only hosts a webhook may reach over plain http
DEFAULT_RETENTION_DAYS = 365  # a year of messages: long enough for a trade-in's inspection, payout and disputes
DEFAULT_PROCESSED_RETENTION_DAYS = 30  # Telegram redelivers for at most a day; a month of keys is ample
DEFAULT_REMINDER_SCAN_S = 300.0  # bookings are looked at every five minutes: a reminder is due by the day
DEFAULT_RETENTION_PURGE_S = 3600.0  # the purge deletes by the day; once an hour keeps it current


class Settings(BaseSettings):
    """Every knob of the bot; see .env.example for the meaning of each."""

    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env", extra="ignore", yaml_file=SETTINGS_FILE, frozen=True,
        hide_input_in_errors=True,  # a rejected SMTP_URL or secret is never echoed back in an error
    )

    database_url: str = "sqlite:///var/refurbot.db"
    index_dir: Path = Path("var/index")
    config_dir: Path = Path("config")
    flows_dir: Path = Path("flows")
    knowledge_dir: Path = Path("knowledge")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # PostgreSQL only: a server that stops answering (a partition) costs seconds, not TCP's many minutes.
    db_connect_timeout_s: int = Field(5, ge=2, le=120)  # libpq counts whole seconds, at least 2
    db_statement_timeout_ms: int = Field(5000, ge=100, le=600_000)  # the server cancels a longer statement
    db_keepalives_idle_s: int = Field(10, ge=1)  # a quiet connection is probed after this long ...
    db_keepalives_interval_s: int = Field(3, ge=1)  # ... every this many seconds ...
    db_keepalives_count: int = Field(3, ge=1)  # ... and dropped after this many unanswered probes

    retrieval_min_score: float | None = None  # None: the calibrated default (bot/knowledge/answer.py)
    chroma_url: str | None = None  # a Chroma server (http://host:8000); None: the embedded store in INDEX_DIR

    llm_provider: Literal["none", "openai"] = "none"
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    llm_timeout_s: float = Field(8.0, gt=0, le=120)
    embeddings: Literal["minilm", "openai"] = "minilm"  # openai: OPENAI_EMBEDDING_MODEL via OPENAI_* (re-index)
    openai_embedding_model: str = "text-embedding-3-small"

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_secret: SecretStr | None = None
    support_chat_id: int | None = None
    support_agent_ids: list[int] = Field(default_factory=list)
    handoff_unclaimed_minutes: int = Field(30, ge=1)

    # The outbox (bot/delivery/): retries with exponential backoff and full jitter, then the row goes dead.
    outbox_max_attempts: int = Field(8, ge=1)
    outbox_backoff_base_s: float = Field(2.0, gt=0)  # the first retry waits up to this long ...
    outbox_backoff_cap_s: float = Field(600.0, gt=0)  # ... doubling per attempt, never more than this
    outbox_lease_s: float = Field(30.0, gt=0)  # a claimed row is another worker's again after this long
    outbox_poll_s: float = Field(1.0, gt=0)  # how often an idle worker looks for due rows
    outbox_batch: int = Field(50, ge=1)  # rows (lane heads) claimed at once
    outbox_role_check_s: float = Field(10.0, gt=0)  # PostgreSQL: how often a worker tries for the Telegram role

    # Booking events to the back office (bot/delivery/webhook.py) and the confirmation email (bot/delivery/email.py).
    booking_webhook_url: str | None = None  # None: no booking events are sent
    booking_webhook_secret: SecretStr | None = Field(None, validate_default=True)  # required with the URL
    webhook_timeout_s: float = Field(10.0, gt=0, le=120)
    smtp_url: SecretStr | None = None  # it may hold the SMTP password; None: no confirmation email
    smtp_from: str | None = Field(None, validate_default=True)  # required with SMTP_URL
    smtp_timeout_s: float = Field(20.0, gt=0, le=300)
    # The back office reports a booking's progress to POST /api/bookings/{id}/status (bot/channels/backoffice.py).
    backoffice_token: SecretStr | None = None  # the bearer token it sends; None: the route does not exist
    # The web server (`run_bot.py web`, bot/channels/web/): web chat, support console, webhook, back-office API.
    web_secret_key: SecretStr | None = None  # signs cookies and CSRF tokens; None: var/web_secret.key, made once
    web_chat_frame_ancestors: str = "'self'"  # who may frame /chat (CSP frame-ancestors), e.g. https://shop.example
    web_tls_proxy: bool = False  # served over TLS by a proxy in front: cookies are Secure even on plain http here
    web_session_hours: float = Field(12.0, gt=0, le=24 * 30)  # an agent's login lasts this long
    web_chat_cookie_days: int = Field(30, ge=1)  # a shopper's web chat is theirs for this long
    web_login_max_failures: int = Field(5, ge=1)  # wrong passwords for one account before it is locked ...
    web_login_max_failures_per_address: int = Field(20, ge=1)  # ... and from one client address
    web_login_window_s: float = Field(900.0, gt=0)  # failures count this long, and a lock lasts this long
    web_events_heartbeat_s: float = Field(15.0, gt=0)  # a comment line keeps idle event streams open
    web_inbox_poll_s: float = Field(2.0, gt=0)  # the console inbox also looks for changes made elsewhere this often
    retention_days: int = Field(DEFAULT_RETENTION_DAYS, ge=1)  # messages older than this are purged
    processed_retention_days: int = Field(DEFAULT_PROCESSED_RETENTION_DAYS, ge=1)  # processed-update keys
    # Periodic jobs inside the outbox worker (bot/delivery/periodic.py); `run_bot.py outbox --drain` runs each once.
    reminder_scan_s: float = Field(DEFAULT_REMINDER_SCAN_S, gt=0)  # ship-by reminders and lapsed bookings
    retention_purge_s: float = Field(DEFAULT_RETENTION_PURGE_S, gt=0)  # the retention purge

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        if not (value.startswith("sqlite:///") or value.startswith("postgresql+psycopg://")):
            raise ValueError("use sqlite:///path/to/file.db or postgresql://user@host:port/dbname")
        return value

    @field_validator("booking_webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("use https://host/path (the back office's endpoint)")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            # The body carries the shopper's email: plain http only to this machine.
            raise ValueError("use https:// (plain http:// only for 127.0.0.1 or localhost)")
        return value

    @field_validator("booking_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            value = None
        if value is None:
            if info.data.get("booking_webhook_url"):
                raise ValueError("required when BOOKING_WEBHOOK_URL is set (a long random string shared with the receiver)")
            return None
        if len(value.get_secret_value()) < MIN_WEBHOOK_SECRET_CHARS:
            raise ValueError(f"use at least {MIN_WEBHOOK_SECRET_CHARS} random characters (openssl rand -hex 32)")
        return value

    @field_validator("backoffice_token")
    @classmethod
    def _backoffice_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None  # empty means unset: the route stays absent
        if len(value.get_secret_value()) < MIN_WEBHOOK_SECRET_CHARS:
            raise ValueError(f"use at least {MIN_WEBHOOK_SECRET_CHARS} random characters (openssl rand -hex 32)")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        SmtpTarget.from_url(value.get_secret_value())  # its ValueError never repeats the URL
        return value

    @field_validator("smtp_from")
    @classmethod
    def _smtp_from(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            if info.data.get("smtp_url") is not None:
                raise ValueError("required when SMTP_URL is set (the From address of the shop's emails)")
            return None
        problem = sender_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order of precedence: arguments, environment, .env, config/settings.yaml."""
        return (init_settings, env_settings, dotenv_settings, YamlConfigSettingsSource(settings_cls))

    def path(self, value: Path) -> Path:
        """Resolve a configured path against the project root."""
        return value if value.is_absolute() else PROJECT_ROOT / value

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, when the database is SQLite."""
        if not self.database_url.startswith("sqlite:///"):
            return None
        return self.path(Path(self.database_url.removeprefix("sqlite:///")))

    @property
    def resolved_database_url(self) -> str:
        """The database URL with a relative SQLite path made absolute."""
        sqlite = self.sqlite_path
        return f"sqlite:///{sqlite}" if sqlite is not None else self.database_url


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning any invalid value into one clear ConfigError line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        first = err.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(
            f"setting {name.upper()} is invalid: {first['msg']} "
            f"(fix it in the environment, .env or {SETTINGS_FILE.relative_to(PROJECT_ROOT)})"
        ) from None
    except Exception as err:  # a malformed settings.yaml surfaces as a YAML error
        raise ConfigError(f"{SETTINGS_FILE.relative_to(PROJECT_ROOT)} cannot be read: {err}") from None
