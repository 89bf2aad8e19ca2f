"""EMBEDDINGS=openai: the index and the chat embed through an OpenAI-compatible server (a local stub)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.app import build_app, ensure_index, make_embedder
from bot.errors import ConfigError, KnowledgeError
from bot.knowledge.embeddings import MiniLMEmbeddings
from bot.knowledge.index import current_content, is_stale
from bot.knowledge.retriever import HybridRetriever
from bot.settings import Settings, load_settings
from bot.shop import load_shop
from tests.conftest import ChatHarness
from tests.fake_openai import EMBEDDING_DIMENSION, FakeOpenAI


@pytest.fixture(scope="module")
def stub() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(default="Every refurbished device we sell comes with our warranty.").running() as server:
        yield server


@pytest.fixture(scope="module")
def openai_settings(stub: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("openai-index")
    settings = load_settings(embeddings="openai", openai_base_url=stub.base_url, llm_timeout_s=2.0,
                             index_dir=folder / "index", database_url=f"sqlite:///{folder / 'bot.db'}")
    ensure_index(settings, _shop(settings))
    return settings


def _shop(settings: Settings):  # type: ignore[no-untyped-def]
    return load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir))


def test_the_index_is_built_through_the_service(openai_settings: Settings, stub: FakeOpenAI) -> None:
    manifest = json.loads((openai_settings.index_dir / "manifest.json").read_text())
    assert manifest["model"] == "openai:text-embedding-3-small"
    sent = [text for body in stub.embedding_requests for text in body["input"]]
    assert all(isinstance(text, str) for text in sent), "raw text, not tiktoken ids (tiktoken would download)"
    assert any("warranty" in text.casefold() for text in sent)
    assert {body["model"] for body in stub.embedding_requests} == {"text-embedding-3-small"}
    requests_before = len(stub.embedding_requests)
    assert ensure_index(openai_settings, _shop(openai_settings)) is None, "a current index is not rebuilt"
    assert len(stub.embedding_requests) == requests_before


def test_the_chat_answers_from_an_index_of_service_vectors(openai_settings: Settings, stub: FakeOpenAI) -> None:
    app = build_app(openai_settings, auto_index=False)
    try:
        chat = ChatHarness(app)
        stub.embeddings_fail = False
        outcome = chat.say("how long is the warranty on a refurbished phone?")
        assert [s.id for s in outcome.sources][:1] == ["warranty"]
        assert "warranty" in ChatHarness.text_of(outcome).casefold()
        query = stub.embedding_requests[-1]["input"]
        assert any("warranty" in text.casefold() for text in query), "the question itself was embedded remotely"

        stub.embeddings_fail = True  # the service goes down: no unchecked answer, no crash, money paths unaffected
        outcome = ChatHarness(app, user="shopper-2").say("what is your return policy?")
        assert outcome.sources == ()
        assert "reliable answer" in ChatHarness.text_of(outcome)
        trade = ChatHarness(app, user="shopper-3").say("how much for my iphone 12 128gb unlocked, like new")
        assert trade.slots["storage_gb"] == 128 and "Find My" in ChatHarness.text_of(trade)
    finally:
        stub.embeddings_fail = False
        app.close()


def test_switching_models_needs_a_new_index(openai_settings: Settings) -> None:
    index_dir = Path(openai_settings.index_dir)
    shop = _shop(openai_settings)
    assert is_stale(index_dir, current_content(shop, openai_settings.path(openai_settings.knowledge_dir)))
    with pytest.raises(KnowledgeError, match="built with openai:text-embedding-3-small"):
        HybridRetriever(index_dir, MiniLMEmbeddings())
    vectors = np.load(index_dir / "sentences.npy")
    assert vectors.shape[1] == EMBEDDING_DIMENSION


def test_openai_embeddings_need_an_endpoint() -> None:
    with pytest.raises(ConfigError, match="EMBEDDINGS=openai needs OPENAI_API_KEY"):
        make_embedder(load_settings(embeddings="openai"))
