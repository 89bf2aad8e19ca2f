"""Settings: defaults in config/settings.yaml, overridden by .env and the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from bot.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = PROJECT_ROOT / "config" / "settings.yaml"
DEFAULT_RETENTION_DAYS = 365  # a year of messages: long enough for a trade-in's inspection, payout and disputes
DEFAULT_PROCESSED_RETENTION_DAYS = 30  # Telegram redelivers for at most a day; a month of keys is ample


class Settings(BaseSettings):
    """Every knob of the bot; see .env.example for the meaning of each."""

    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env", extra="ignore", yaml_file=SETTINGS_FILE, frozen=True
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
    redelivery_grace_s: float = Field(10.0, ge=0)
    retention_days: int = Field(DEFAULT_RETENTION_DAYS, ge=1)  # messages older than this are purged
    processed_retention_days: int = Field(DEFAULT_PROCESSED_RETENTION_DAYS, ge=1)  # processed-update keys

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        if not (value.startswith("sqlite:///") or value.startswith("postgresql+psycopg://")):
            raise ValueError("use sqlite:///path/to/file.db or postgresql://user@host:port/dbname")
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
