"""Build and open the knowledge index: Chroma (cosine, content-hash ids, incremental) plus BM25 data."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import KnowledgeError
from bot.knowledge.card_model import CARD_MODEL, fit_card_model, save_card_model
from bot.knowledge.cards import CARDS_DIR, Card, load_cards
from bot.knowledge.documents import Chunk, chunk_document, load_documents, split_sentences
from bot.knowledge.embeddings import MODEL_ID, Embedder
from bot.shop import Shop, read_yaml

log = logging.getLogger(__name__)
COLLECTION = "refurbot_knowledge"
CHROMA_DIR = "chroma"  # in INDEX_DIR: the embedded store
MANIFEST = "manifest.json"
SENTENCE_VECTORS = "sentences.npy"
HEADING_VECTORS = "headings.npy"
SCOPE_VECTORS = "scope.npy"
SCOPE_FILE = "scope_examples.yaml"
QUESTION_VECTORS = "questions.npy"
CARD_VECTORS = "cards.npy"  # one row per card question, then one per card answer
BUILD_LOCK = ".build.lock"


@dataclass(frozen=True)
class IndexSummary:
    """What an index run did."""

    documents: int
    chunks: int
    new: int
    unchanged: int
    removed: int
    seconds: float

    def line(self) -> str:
        """The one-line summary printed after indexing."""
        return (f"indexed {self.documents} documents, {self.chunks} chunks: {self.new} new, "
                f"{self.unchanged} unchanged, {self.removed} removed in {self.seconds:.2f} s")


@dataclass(frozen=True)
class Content:
    """Everything an index is built from: chunks, and scope exemplars (in and out of scope)."""

    chunks: list[Chunk]
    in_scope: list[str]
    out_of_scope: list[str]
    questions: list[tuple[str, str]]  # (document id, question)
    model_id: str = MODEL_ID
    cards: list[Card] = field(default_factory=list)

    def fingerprint(self) -> str:
        """Identifies the content and embedding model of an index."""
        digest = hashlib.sha256(self.model_id.encode())
        for chunk in sorted(self.chunks, key=lambda c: c.id):
            digest.update(chunk.id.encode())
        digest.update(json.dumps([self.in_scope, self.out_of_scope, self.questions]).encode())
        digest.update(json.dumps([asdict(c) for c in self.cards]).encode())
        return digest.hexdigest()

    def card_texts(self) -> tuple[list[str], list[int]]:
        """The texts embedded for card matching (every question, then every answer) and their card."""
        texts = [q for card in self.cards for q in card.questions] + [card.answer for card in self.cards]
        owners = [n for n, card in enumerate(self.cards) for _ in card.questions] + list(range(len(self.cards)))
        return texts, owners


def current_content(shop: Shop, knowledge_dir: Path, model_id: str = MODEL_ID) -> Content:
    """What the knowledge folder and catalog hold now, to be embedded by the model `model_id`."""
    docs = load_documents(knowledge_dir / "docs", shop.policy, shop.catalog)
    scope = read_yaml(knowledge_dir / SCOPE_FILE)
    try:
        in_scope, out_of_scope = [str(x) for x in scope["in_scope"]], [str(x) for x in scope["out_of_scope"]]
    except (KeyError, TypeError):
        raise KnowledgeError(f"{knowledge_dir / SCOPE_FILE}: needs 'in_scope' and 'out_of_scope' lists") from None
    questions = [(doc.id, q) for doc in docs for q in doc.questions]
    cards = load_cards(knowledge_dir / CARDS_DIR, shop.policy)
    return Content([chunk for doc in docs for chunk in chunk_document(doc)], in_scope, out_of_scope, questions,
                   model_id, cards)


def is_stale(index_dir: Path, content: Content) -> bool:
    """True when the index is missing or was built from other content."""
    manifest = index_dir / MANIFEST
    wanted = (MANIFEST, SCOPE_VECTORS, CARD_VECTORS) + ((CARD_MODEL,) if content.cards else ())
    if not all((index_dir / name).exists() for name in wanted):
        return True
    try:
        return bool(json.loads(manifest.read_text())["fingerprint"] != content.fingerprint())
    except (ValueError, KeyError):
        return True


def collection_name(model_id: str) -> str:
    """One collection per embedding model: vectors of two models (and their dimensions) never mix."""
    if model_id == MODEL_ID:
        return COLLECTION
    return f"{COLLECTION}_{hashlib.sha256(model_id.encode()).hexdigest()[:12]}"


def open_collection(index_dir: Path, chroma_url: str | None = None, model_id: str = MODEL_ID) -> Any:
    """The Chroma collection (cosine space): embedded in index_dir, or on a Chroma server when a URL is given."""
    from urllib.parse import urlparse

    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        url = urlparse(chroma_url)
        try:
            client = chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                         ssl=url.scheme == "https", settings=settings)
        except Exception as err:
            raise KnowledgeError(f"CHROMA_URL {chroma_url} cannot be reached ({type(err).__name__})") from None
    else:
        try:
            client = chromadb.PersistentClient(path=str(index_dir / CHROMA_DIR), settings=settings)
        except Exception as err:  # a corrupt store: chromadb raises InternalError, sqlite and file errors alike
            _forget_client(index_dir)
            raise KnowledgeError(f"the knowledge index in {index_dir / CHROMA_DIR} cannot be opened "
                                 f"({type(err).__name__}): run `python run_bot.py index --rebuild`") from err
    return client.get_or_create_collection(collection_name(model_id), metadata={"hnsw:space": "cosine"},
                                           embedding_function=None)


def store_problem(index_dir: Path, model_id: str = MODEL_ID) -> str | None:
    """Why the embedded Chroma store in index_dir cannot answer a query, or None when it can (or is not there)."""
    if not (index_dir / CHROMA_DIR).exists():
        return None
    try:
        collection = open_collection(index_dir, None, model_id)
        sample = collection.get(limit=1, include=["embeddings"])
        if sample["ids"]:
            collection.query(query_embeddings=[sample["embeddings"][0]], n_results=1, include=["distances"])
    except Exception as err:  # whatever chromadb raises on a damaged store, the store cannot be used
        _forget_client(index_dir)
        cause = err.__cause__ if isinstance(err, KnowledgeError) and err.__cause__ else err
        return f"{type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else 'unreadable'}"[:200]
    return None


def discard_broken_store(index_dir: Path, model_id: str = MODEL_ID) -> bool:
    """Remove an embedded store that cannot answer, with one warning line; True when it did (rebuild it then)."""
    problem = store_problem(index_dir, model_id)
    if problem is None:
        return False
    log.warning("the knowledge index in %s is damaged (%s): rebuilding it", index_dir / CHROMA_DIR, problem)
    shutil.rmtree(index_dir / CHROMA_DIR, ignore_errors=True)
    return True


def _forget_client(index_dir: Path) -> None:
    """Drop chromadb's cached client of this store, so the next open reads the files afresh."""
    from chromadb.api.shared_system_client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.pop(str(index_dir / CHROMA_DIR), None)
    if system is not None:
        try:
            system.stop()
        except Exception:  # a half-started system may not stop cleanly: it is dropped either way
            log.debug("stopping a damaged Chroma client failed", exc_info=True)


def build_index(shop: Shop, knowledge_dir: Path, index_dir: Path, embedder: Embedder, *,
                rebuild: bool = False, progress: Callable[[int, int], None] | None = None,
                chroma_url: str | None = None) -> IndexSummary:
    """Upsert new chunks, delete removed ones, keep unchanged ones; write the manifest last.

    One build at a time per index directory (two processes that both find the index stale wait in turn)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / BUILD_LOCK).open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_index(shop, knowledge_dir, index_dir, embedder, rebuild=rebuild, progress=progress,
                            chroma_url=chroma_url)


def _build_index(shop: Shop, knowledge_dir: Path, index_dir: Path, embedder: Embedder, *, rebuild: bool,
                 progress: Callable[[int, int], None] | None, chroma_url: str | None) -> IndexSummary:
    started = time.perf_counter()
    content = current_content(shop, knowledge_dir, embedder.model_id)
    chunks = content.chunks
    if chroma_url is None:
        discard_broken_store(index_dir, embedder.model_id)
    collection = open_collection(index_dir, chroma_url, embedder.model_id)
    if rebuild and collection.count():
        collection.delete(ids=collection.get(include=[])["ids"])
    existing = set(collection.get(include=[])["ids"])
    card_ids = {_card_key(card): card for card in content.cards}
    wanted = {c.id for c in chunks} | set(card_ids)
    new = [c for c in chunks if c.id not in existing]
    removed = sorted(existing - wanted)
    if removed:
        collection.delete(ids=removed)
    for start in range(0, len(new), 64):
        batch = new[start:start + 64]
        vectors = embedder.embed([c.indexed_text for c in batch])
        collection.upsert(ids=[c.id for c in batch], embeddings=vectors,
                          documents=[c.indexed_text for c in batch], metadatas=[_metadata(c) for c in batch])
        if progress:
            progress(min(start + 64, len(new)), len(new))
    new_cards = [card for key, card in card_ids.items() if key not in existing]
    for start in range(0, len(new_cards), 64):  # cards live in the collection too, for a Chroma server's users
        cards = new_cards[start:start + 64]
        collection.upsert(ids=[_card_key(c) for c in cards], embeddings=embedder.embed([c.answer for c in cards]),
                          documents=[c.answer for c in cards],
                          metadatas=[{"doc_id": f"card:{c.id}", "kind": "card", "title": c.title} for c in cards])
    _write_vectors(index_dir, content, embedder, reuse=not rebuild)
    documents = len({c.doc_id for c in chunks})
    return IndexSummary(documents, len(chunks), len(new), len(chunks) - len(new), len(removed),
                        time.perf_counter() - started)


def _card_key(card: Card) -> str:
    """A content-hash id: an edited card replaces its old vector."""
    digest = hashlib.sha256(json.dumps(asdict(card), sort_keys=True).encode()).hexdigest()[:12]
    return f"card:{card.id}:{digest}"


def _metadata(chunk: Chunk) -> dict[str, str]:
    meta = {"doc_id": chunk.doc_id, "kind": chunk.kind, "title": chunk.title}
    if chunk.device:
        meta["device"] = chunk.device
    return meta


VECTOR_FILES = (SENTENCE_VECTORS, HEADING_VECTORS, SCOPE_VECTORS, QUESTION_VECTORS, CARD_VECTORS)  # cache_keys' order


def _stored_vectors(index_dir: Path, model_id: str) -> dict[str, np.ndarray]:
    """The vectors of the last build by text, when its files and its manifest belong together (else none).

    The vector files are written before the manifest: a build that stopped in between (or ran beside
    another) leaves files the manifest's keys do not describe, and reusing them would give texts the vectors
    of other texts for every later build."""
    try:
        previous = json.loads((index_dir / MANIFEST).read_text())
        files = [np.load(index_dir / name) for name in VECTOR_FILES]
    except (ValueError, KeyError, OSError):
        return {}
    keys = previous.get("cache_keys") or []
    rows = previous.get("cache_rows")
    if previous.get("model") != model_id or rows != [len(f) for f in files] or sum(rows) != len(keys):
        return {}
    return dict(zip(keys, np.vstack(files), strict=True))


def _write_vectors(index_dir: Path, content: Content, embedder: Embedder, *, reuse: bool) -> None:
    """Sentence, heading and scope-exemplar vectors; texts embedded before reuse their stored vectors."""
    chunks = content.chunks
    manifest_path, vectors_path = index_dir / MANIFEST, index_dir / SENTENCE_VECTORS
    old = _stored_vectors(index_dir, embedder.model_id) if reuse else {}
    sentences: list[str] = []
    owners: list[int] = []
    for n, chunk in enumerate(chunks):
        for sentence in split_sentences(chunk.text):
            sentences.append(sentence)
            owners.append(n)
    headings = [heading_text(c) for c in chunks]
    scope = content.in_scope + content.out_of_scope
    questions = [q for _, q in content.questions]
    card_texts, card_owners = content.card_texts()
    missing = [s for s in dict.fromkeys(sentences + headings + scope + questions + card_texts) if s not in old]
    fresh = dict(zip(missing, embedder.embed(missing), strict=True)) if missing else {}
    vectors = {**old, **fresh}
    dimension = len(next(iter(vectors.values()))) if vectors else 0

    def stacked(texts: list[str]) -> np.ndarray:
        return np.array([vectors[t] for t in texts], dtype=np.float32).reshape(-1, dimension)

    sentence_vectors, question_vectors = stacked(sentences), stacked(questions)
    np.save(vectors_path, sentence_vectors)
    np.save(index_dir / HEADING_VECTORS, stacked(headings))
    np.save(index_dir / SCOPE_VECTORS, stacked(scope))
    np.save(index_dir / QUESTION_VECTORS, question_vectors)
    card_vectors = stacked(card_texts)
    np.save(index_dir / CARD_VECTORS, card_vectors)
    if content.cards:
        save_card_model(index_dir / CARD_MODEL, fit_card_model(card_vectors, np.array(card_owners), len(content.cards)))
    question_chunk = _nearest_chunk_of_document(content, question_vectors, sentence_vectors, owners)
    manifest = {"fingerprint": content.fingerprint(), "model": embedder.model_id,
                "chunks": [asdict(c) for c in chunks], "sentences": sentences, "sentence_chunk": owners,
                "in_scope": len(content.in_scope), "question_chunk": question_chunk,
                "cards": [asdict(c) for c in content.cards], "card_rows": card_owners,
                "cache_keys": sentences + headings + scope + questions + card_texts,
                "cache_rows": [len(sentences), len(headings), len(scope), len(questions), len(card_texts)]}
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest))
    tmp.replace(manifest_path)


def _nearest_chunk_of_document(content: Content, questions: np.ndarray, sentences: np.ndarray,
                               owners: list[int]) -> list[int]:
    """Point each question at the section of its document whose best sentence is closest to it."""
    result: list[int] = []
    owner = np.array(owners)
    for (doc_id, _), vector in zip(content.questions, questions, strict=True):
        rows = [i for i, c in enumerate(owners) if content.chunks[c].doc_id == doc_id]
        if not rows:
            result.append(next(i for i, c in enumerate(content.chunks) if c.doc_id == doc_id))
            continue
        best = rows[int(np.argmax(sentences[rows] @ vector))]
        result.append(int(owner[best]))
    return result


def heading_text(chunk: Chunk) -> str:
    """What a section is about, in a few words: its title and heading."""
    return f"{chunk.title}. {chunk.heading}"


def terminal_progress(done: int, total: int) -> None:
    """A one-line progress bar on a terminal (silent when output is not a terminal)."""
    if not sys.stderr.isatty() or total == 0:
        return
    width = 30
    filled = int(width * done / total)
    sys.stderr.write(f"\rembedding [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()
