"""Knowledge: cited answers, polite declines, rendering from config, incremental indexing."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.app import open_knowledge
from bot.errors import ConfigError, KnowledgeError
from bot.knowledge.documents import load_document
from bot.knowledge.embeddings import MiniLMEmbeddings
from bot.knowledge.index import CARD_VECTORS, HEADING_VECTORS, build_index
from bot.settings import PROJECT_ROOT, load_settings
from bot.shop import Shop, load_shop
from tests.conftest import TEST_INDEX

SHOP: Shop = load_shop(PROJECT_ROOT / "config", PROJECT_ROOT / "knowledge")


@pytest.fixture(scope="module")
def kb(test_index: Path):  # type: ignore[no-untyped-def]
    return open_knowledge(load_settings(index_dir=TEST_INDEX), SHOP, auto_index=False)


@pytest.mark.parametrize(("question", "doc", "needle"), [
    ("how long is the warranty", "warranty", "12-month"),
    ("can i send it back if i dont like it", "returns", "30 days"),
    ("does it come with a charger", "in-the-box|policy", "cable"),
    ("how do i erase my iphone before sending it", "prepare-iphone|data-privacy", "Erase All Content"),
    ("how soon am I paid for a trade-in", "payout", "6 business days"),
    ("do you charge sales tax", "policy", "state law"),
])
def test_an_answer_card_answers_with_the_fact_first(kb, question: str, doc: str, needle: str) -> None:  # type: ignore[no-untyped-def]
    answer = kb.answer(question)
    assert answer.confident and answer.card_id
    assert set(doc.split("|")) & {s.id for s in answer.sources}
    first = answer.text.split(". ")[0]
    assert needle in first or needle in answer.text.split(". ")[1], answer.text
    assert answer.text.count(". ") <= 3


def test_every_card_is_found_by_its_own_paraphrases(kb) -> None:  # type: ignore[no-untyped-def]
    cards = kb.cards.cards
    assert len(cards) >= 150
    found = 0
    for card in cards:
        question = card.questions[len(card.questions) // 2]
        match, _ = kb.match(question)
        found += match is not None and match.card.id == card.id
    assert found / len(cards) >= 0.9, f"only {found} of {len(cards)} cards are found by their own questions"


def test_a_card_with_an_unknown_placeholder_names_file_card_and_key(tmp_path: Path) -> None:
    from bot.knowledge.cards import load_cards

    (tmp_path / "a.yaml").write_text("- id: pay\n  topic: t\n  questions: [a, b, c]\n"
                                     "  answer: Within {{ policy.trade_in.nope }} days.\n  source: payout\n")
    with pytest.raises(ConfigError, match=r"a\.yaml, card 'pay'.*policy\.trade_in\.nope"):
        load_cards(tmp_path, SHOP.policy)


def test_duplicate_card_ids_and_dangling_follow_ups_are_refused(tmp_path: Path) -> None:
    from bot.knowledge.cards import load_cards

    card = "- id: same\n  topic: t\n  questions: [a, b, c]\n  answer: A.\n  source: s\n"
    (tmp_path / "a.yaml").write_text(card)
    (tmp_path / "b.yaml").write_text(card)
    with pytest.raises(ConfigError, match=r"b\.yaml, card 'same': id already used in a\.yaml"):
        load_cards(tmp_path, SHOP.policy)
    (tmp_path / "b.yaml").write_text(card.replace("same", "other") + "  follow_ups: [card:ghost]\n")
    with pytest.raises(ConfigError, match=r"follow-up to unknown card 'ghost'"):
        load_cards(tmp_path, SHOP.policy)


@pytest.mark.parametrize("question", ["whats the weather in chicago tomorrow", "write me a poem about cats",
                                      "how do i make banana bread", "who won the super bowl"])
def test_out_of_domain_questions_are_declined(kb, question: str) -> None:  # type: ignore[no-untyped-def]
    assert not kb.answer(question).confident


def test_policy_values_come_from_config(tmp_path: Path) -> None:
    doc = tmp_path / "w.md"
    doc.write_text("---\nid: w\nkind: policy\ntitle: W\nsource: config\nas_of: '2026-11-01'\n---\n"
                   "## Length\nIt lasts {{ policy.refurbished.warranty_months }} months.\n")
    assert "It lasts 12 months." in load_document(doc, SHOP.policy).body
    changed = dict(SHOP.policy, refurbished=dict(SHOP.policy["refurbished"], warranty_months=18))
    assert "It lasts 18 months." in load_document(doc, changed).body


def test_unknown_placeholder_and_broken_front_matter_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("---\nid: bad\nkind: policy\ntitle: B\nsource: s\nas_of: x\n---\n{{ policy.nope }}\n")
    with pytest.raises(ConfigError, match=r"bad\.md.*policy\.nope"):
        load_document(bad, SHOP.policy)
    broken = tmp_path / "broken.md"
    broken.write_text("---\nid: [unclosed\n---\nbody\n")
    with pytest.raises(KnowledgeError, match=r"broken\.md"):
        load_document(broken, SHOP.policy)


def _few_documents(tmp_path: Path, documents: int) -> Path:
    """A copy of the knowledge folder with every card but only the first few documents (a quicker index)."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge", knowledge)
    for extra in sorted((knowledge / "docs").glob("*.md"))[documents:]:
        extra.unlink()
    return knowledge


def test_reindex_is_incremental(tmp_path: Path) -> None:
    knowledge = _few_documents(tmp_path, 3)
    index = tmp_path / "index"
    embedder = MiniLMEmbeddings(threads=2)
    first = build_index(SHOP, knowledge, index, embedder)
    assert first.new == first.chunks and first.removed == 0
    same = build_index(SHOP, knowledge, index, embedder)
    assert (same.new, same.removed, same.unchanged) == (0, 0, first.chunks)
    doc = sorted((knowledge / "docs").glob("*.md"))[0]
    doc.write_text(doc.read_text() + "\n## Added section\nA brand new paragraph about refurbished tablets.\n")
    sorted((knowledge / "docs").glob("*.md"))[1].unlink()
    changed = build_index(SHOP, knowledge, index, embedder)
    assert changed.new == 1 and changed.removed > 0
    assert changed.chunks == first.chunks + 1 - changed.removed


def test_a_build_that_stopped_halfway_does_not_give_texts_other_texts_vectors(tmp_path: Path) -> None:
    knowledge = _few_documents(tmp_path, 2)
    index = tmp_path / "index"
    embedder = MiniLMEmbeddings(threads=2)
    build_index(SHOP, knowledge, index, embedder)
    cards = np.load(index / CARD_VECTORS)
    headings = np.load(index / HEADING_VECTORS)
    np.save(index / HEADING_VECTORS, headings[1:])  # a vector file of another build beside this manifest
    build_index(SHOP, knowledge, index, embedder)
    assert np.allclose(np.load(index / CARD_VECTORS), cards), "card questions got the vectors of other texts"
    assert np.allclose(np.load(index / HEADING_VECTORS), headings)


def test_retriever_works_against_a_chroma_server(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from bot.knowledge.retriever import HybridRetriever

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    chroma = Path(sys.executable).parent / "chroma"
    server = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        url = f"http://127.0.0.1:{port}"
        summary = build_index(SHOP, PROJECT_ROOT / "knowledge", tmp_path / "local", MiniLMEmbeddings(threads=2),
                              chroma_url=url)
        assert summary.new == summary.chunks > 0
        retriever = HybridRetriever(tmp_path / "local", MiniLMEmbeddings(), chroma_url=url)
        hits = retriever.search("how long is the warranty on refurbished phones", k=3, mode="vector")
        assert hits and hits[0].similarity > 0.4
        assert not (tmp_path / "local" / "chroma").exists(), "the vectors live on the server"
    finally:
        server.terminate()
        server.wait(10)
