"""Optional LLM (langchain-openai): grounded phrasing, understanding fallback and commands, never prices.

Off unless LLM_PROVIDER=openai (an OPENAI_API_KEY kept for embeddings does not switch it on). Every call
has a timeout, at most one retry, a cap on its length and a circuit breaker; any failure returns None and
the caller keeps its deterministic answer. Inside `deferred(book)` no call reaches the network: answers
come from the book, and what was wanted is noted there, so the engine can call outside its lock.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.knowledge.embeddings import ServiceEmbeddings
from bot.nlu.text import mask_personal
from bot.settings import Settings

log = logging.getLogger(__name__)
FAILURES_TO_OPEN = 3
OPEN_FOR_S = 60.0
MAX_COMPLETION_TOKENS = 300  # a 3-sentence answer or a small JSON object; the server stops there


@dataclass(frozen=True)
class Prompts:
    """Operator-editable prompt templates (config/prompts/)."""

    answer: str
    extract: str
    commands: str


def load_prompts(folder: Path) -> Prompts:
    """Read the prompt files; a missing one is a ConfigError naming it."""
    try:
        return Prompts(*((folder / f"{name}.txt").read_text(encoding="utf-8")
                         for name in ("answer", "extract", "commands")))
    except OSError as err:
        raise ConfigError(f"prompt file missing: {err.filename}") from None


class CircuitBreaker:
    """Opens after repeated failures, so a dead server costs nothing for a while."""

    def __init__(self, failures_to_open: int = FAILURES_TO_OPEN, open_for_s: float = OPEN_FOR_S) -> None:
        self.failures_to_open, self.open_for_s = failures_to_open, open_for_s
        self.failures = 0
        self.opened_at: float | None = None
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Whether a call may be tried now."""
        with self._lock:
            if self.opened_at is None:
                return True
            if time.monotonic() - self.opened_at >= self.open_for_s:
                self.opened_at = None  # half-open: one trial call
                self.failures = self.failures_to_open - 1
                return True
            return False

    def record(self, ok: bool) -> None:
        """Count a success or a failure."""
        with self._lock:
            if ok:
                self.failures, self.opened_at = 0, None
                return
            self.failures += 1
            if self.failures >= self.failures_to_open:
                self.opened_at = time.monotonic()
                log.warning("LLM circuit open for %.0f s after %d failures", self.open_for_s, self.failures)


Call = tuple[str, str]  # (system prompt, user message): the whole input of one completion


@dataclass
class CallBook:
    """The completions one turn may use: noted while deferred, fetched outside any lock, then replayed."""

    answers: dict[Call, str | None] = field(default_factory=dict)
    wanted: dict[Call, Callable[[str, str], str | None]] = field(default_factory=dict)
    closed: bool = False  # no more fetching: what is not in `answers` gets the deterministic answer

    def fetch_next(self) -> bool:
        """Make the first wanted call now (the later ones may depend on its answer); False when none was wanted."""
        if not self.wanted:
            return False
        call, complete = next(iter(self.wanted.items()))
        self.wanted.clear()
        self.answers[call] = complete(*call)
        return True

    def close(self, *, forget: bool = False) -> None:
        """Stop noting wanted calls; `forget` also drops the answers fetched so far."""
        self.closed = True
        self.wanted.clear()
        if forget:
            self.answers.clear()


_BOOK: ContextVar[CallBook | None] = ContextVar("llm_call_book", default=None)


@contextmanager
def deferred(book: CallBook) -> Iterator[CallBook]:
    """Within this block the LLM answers from `book` and notes the calls it would have made."""
    token = _BOOK.set(book)
    try:
        yield book
    finally:
        _BOOK.reset(token)


class LLM:
    """A chat model behind a breaker; returns None whenever it cannot help."""

    def __init__(self, settings: Settings, prompts: Prompts, shop_name: str) -> None:
        from langchain_openai import ChatOpenAI

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
        self.model = ChatOpenAI(model=settings.openai_model, api_key=key,  # type: ignore[arg-type]
                                base_url=settings.openai_base_url, timeout=settings.llm_timeout_s, max_retries=1,
                                temperature=0, max_tokens=MAX_COMPLETION_TOKENS)  # type: ignore[call-arg]
        self.prompts = prompts
        self.shop_name = shop_name
        self.breaker = CircuitBreaker()

    def _complete(self, system: str, user: str) -> str | None:
        if not self.breaker.allow():
            return None
        user = mask_personal(user)  # emails, phone numbers and IMEIs never reach the model
        book = _BOOK.get()
        if book is None:
            return self._call(system, user)
        if (system, user) in book.answers:
            return book.answers[(system, user)]
        if not book.closed:
            book.wanted.setdefault((system, user), self._call)
        return None

    def _call(self, system: str, user: str) -> str | None:
        """One completion over the network."""
        try:
            message = self.model.invoke([("system", system), ("human", user)])
        except Exception as err:  # timeouts, 5xx, connection errors: the deterministic path answers
            log.warning("LLM call failed: %s", type(err).__name__)
            self.breaker.record(False)
            return None
        self.breaker.record(True)
        content = message.content
        return content if isinstance(content, str) else None

    def phrase_answer(self, question: str, passages: list[str]) -> str | None:
        """A short answer from the passages, or None (also when the model says it doesn't know)."""
        numbered = "\n".join(f"[{n}] {p}" for n, p in enumerate(passages, 1))
        system = self.prompts.answer.format(shop_name=self.shop_name, passages=numbered)
        return self._complete(system, f"Question: {question}")

    def extract(self, text: str, intents: tuple[str, ...]) -> dict[str, Any] | None:
        """Intent and slots as a dict, or None when the reply is not a JSON object."""
        system = self.prompts.extract.format(intents=", ".join(f'"{i}"' for i in intents))
        reply = self._complete(system, text)
        if reply is None:
            return None
        match = re.search(r"\{.*\}", reply, re.S)
        try:
            data = json.loads(match.group(0)) if match else None
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def propose_commands(self, vocabulary: Mapping[str, str], reading: str) -> str | None:
        """The model's reply to the command-generator prompt (JSON text, parsed by bot/nlu/llm_commands.py)."""
        try:
            system = self.prompts.commands.format(**vocabulary)
        except (KeyError, IndexError, ValueError) as err:  # an edited prompt with an unknown {placeholder}
            log.error("config/prompts/commands.txt cannot be filled in (%s): LLM commands are off", err)
            return None
        return self._complete(system, reading)


def build_embeddings(settings: Settings) -> ServiceEmbeddings:
    """OpenAI embeddings (langchain-openai) as a ServiceEmbeddings, for EMBEDDINGS=openai."""
    from langchain_openai import OpenAIEmbeddings

    _check_endpoint(settings, "EMBEDDINGS=openai")
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    # Raw text, not tiktoken ids: tiktoken downloads its encodings at first use, and local servers want text.
    model = OpenAIEmbeddings(model=settings.openai_embedding_model, api_key=key,  # type: ignore[arg-type]
                             base_url=settings.openai_base_url, timeout=settings.llm_timeout_s, max_retries=1,
                             check_embedding_ctx_length=False)
    return ServiceEmbeddings(model, f"openai:{settings.openai_embedding_model}")


def _check_endpoint(settings: Settings, what: str) -> None:
    if not settings.openai_api_key and not settings.openai_base_url:
        raise ConfigError(f"{what} needs OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local server)")
    if settings.openai_base_url and not settings.openai_base_url.startswith(("http://", "https://")):
        raise ConfigError("OPENAI_BASE_URL must start with http:// or https://")


def build_llm(settings: Settings, shop_name: str) -> LLM | None:
    """The LLM when LLM_PROVIDER=openai (OpenAI with a key, or a local OpenAI-compatible server), else None."""
    if settings.llm_provider != "openai":  # OPENAI_* may be set for embeddings alone
        return None
    _check_endpoint(settings, "LLM_PROVIDER=openai")
    return LLM(settings, load_prompts(settings.path(settings.config_dir) / "prompts"), shop_name)
