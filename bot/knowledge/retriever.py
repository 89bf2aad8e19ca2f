"""Hybrid retrieval: BM25 and vector search fused by reciprocal rank fusion, with metadata filters."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

from bot.errors import KnowledgeError
from bot.knowledge.documents import Chunk
from bot.knowledge.embeddings import Embedder
from bot.knowledge.index import (
    HEADING_VECTORS,
    MANIFEST,
    QUESTION_VECTORS,
    SCOPE_VECTORS,
    SENTENCE_VECTORS,
    open_collection,
)

RRF_K = 60
CANDIDATES = 20
# Four ranked lists are fused: BM25, the chunk's vector (Chroma), its heading's vector, its best sentence.
# Weights chosen on the tuning split of tests/data/retrieval_eval.yaml (the held-out split stays unseen).
WEIGHTS = {"bm25": 0.1, "vector": 0.25, "heading": 0.0, "question": 3.0}
DEVICE_PAGE_WEIGHT = 0.3
DOC_SUPPORT = 0.0  # generated device pages answer "what is X", rarely policy questions
_STOP = frozenset(
    "a an the is are was were be been am i me my we our you your u ur it its of to in on for with and or but "
    "do does did can could will would should how what whats when where which who why this that there if at by "
    "from as so any about get got have has had just pls please hi hey".split())


def tokenize(text: str) -> list[str]:
    """Lower-case word stems for BM25 (crude suffix stripping is enough for this corpus)."""
    words = re.findall(r"[a-z0-9]+", text.casefold())
    return [_stem(w) for w in words if w not in _STOP]


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True)
class Hit:
    """A ranked chunk with its fused score and the cosine similarity of its vector."""

    chunk: Chunk
    score: float
    similarity: float
    bm25_rank: int | None
    vector_rank: int | None


class HybridRetriever:
    """Opens an index built by `run_bot.py index` and searches it."""

    def __init__(self, index_dir: Path, embedder: Embedder, synonyms: dict[str, str] | None = None,
                 chroma_url: str | None = None) -> None:
        manifest_path = index_dir / MANIFEST
        if not manifest_path.exists():
            raise KnowledgeError(f"no knowledge index in {index_dir}: run `python run_bot.py index`")
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("model") != embedder.model_id:
            raise KnowledgeError(f"the index in {index_dir} was built with {manifest.get('model')}, not "
                                 f"{embedder.model_id}: run `python run_bot.py index`")
        self.chunks = [Chunk(**c) for c in manifest["chunks"]]
        self._by_id = {c.id: i for i, c in enumerate(self.chunks)}
        self.sentences: list[str] = manifest["sentences"]
        self.sentence_chunk = np.array(manifest["sentence_chunk"], dtype=np.int64)
        self.sentence_vectors = np.load(index_dir / SENTENCE_VECTORS)
        self.heading_vectors = np.load(index_dir / HEADING_VECTORS)
        self.question_vectors = np.load(index_dir / QUESTION_VECTORS)
        self.question_chunk = np.array(manifest["question_chunk"], dtype=np.int64)
        scope = np.load(index_dir / SCOPE_VECTORS)
        self.in_scope_vectors, self.out_of_scope_vectors = scope[: manifest["in_scope"]], scope[manifest["in_scope"]:]
        self.embedder = embedder
        self.index_dir = index_dir
        self.collection = open_collection(index_dir, chroma_url, embedder.model_id)
        self.bm25 = BM25Okapi([tokenize(c.indexed_text) for c in self.chunks])
        self.vocabulary = sorted({w for c in self.chunks for w in re.findall(r"[a-z]+", c.indexed_text.casefold())})
        self._vocab_set = frozenset(self.vocabulary)
        self._synonyms = {k.casefold(): v for k, v in (synonyms or {}).items()}
        self._synonym_pattern = re.compile(
            r"\b(" + "|".join(re.escape(k) for k in sorted(self._synonyms, key=len, reverse=True)) + r")\b"
        ) if self._synonyms else None
        # Words the embedding model knows whole are real words, never typos: "steals" must not become "seals".
        self._lexicon: frozenset[str] = frozenset(getattr(embedder, "whole_words", frozenset)())
        self._by_shape: dict[tuple[str, int], list[str]] = {}  # (first letter, length): typo candidates
        for word in self.vocabulary:
            self._by_shape.setdefault((word[0], len(word)), []).append(word)

    def learn_words(self, texts: list[str]) -> None:
        """Add the words of more texts (the answer cards) to the vocabulary typos are corrected against."""
        new = sorted({w for t in texts for w in re.findall(r"[a-z]+", t.casefold())} - self._vocab_set)
        self.vocabulary = sorted([*self.vocabulary, *new])
        self._vocab_set = frozenset(self.vocabulary)
        for word in new:
            self._by_shape.setdefault((word[0], len(word)), []).append(word)

    def knows_any_word(self, prepared: str) -> bool:
        """Whether a prepared query shares at least one meaningful word with the knowledge base."""
        words = re.findall(r"[a-z]+", prepared.casefold())
        return any(w in self._vocab_set for w in words if w not in _STOP and len(w) > 2)

    def prepare(self, query: str) -> str:
        """The query as it is searched: typos fixed against the corpus ('warenty' -> 'warranty'), slang glossed."""
        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            lower = word.casefold()
            if len(lower) < 4 or lower in self._vocab_set or lower in _STOP or lower in self._lexicon:
                return word
            # A typo keeps its length give or take a letter: "warenty" -> "warranty", never "planet" -> "plan".
            near = [w for n in (-1, 0, 1) for w in self._by_shape.get((lower[0], len(lower) + n), [])]
            close = difflib.get_close_matches(lower, near, n=1, cutoff=0.8)
            return close[0] if close else word
        fixed = re.sub(r"[A-Za-z]+", fix, query)
        if self._synonym_pattern is None:
            return fixed
        return self._synonym_pattern.sub(lambda m: f"{m.group(0)} {self._synonyms[m.group(0).casefold()]}",
                                         fixed.casefold())

    def embed(self, query: str) -> np.ndarray:
        """The query vector."""
        vector: np.ndarray = self.embedder.embed([query])[0]
        return vector

    def search(self, query: str, *, k: int = 5, kind: str | None = None, device: str | None = None,
               mode: str = "hybrid", vector: np.ndarray | None = None, prepared: bool = False) -> list[Hit]:
        """Top-k chunks for the query; mode is 'hybrid', 'bm25' or 'vector'; `prepared`: already through prepare()."""
        if not prepared:
            query = self.prepare(query)
        allowed = [i for i, c in enumerate(self.chunks)
                   if (kind is None or c.kind == kind) and (device is None or c.device == device)]
        bm25_ranked: list[int] = []
        if mode in ("hybrid", "bm25"):
            scores = self.bm25.get_scores(tokenize(query))
            bm25_ranked = [i for i in sorted(allowed, key=lambda i: -scores[i])[:CANDIDATES] if scores[i] > 0]
        similarity: dict[int, float] = {}
        lists: dict[str, list[int]] = {"bm25": bm25_ranked}
        if mode in ("hybrid", "vector"):
            vector = self.embed(query) if vector is None else vector
            result = self.collection.query(query_embeddings=[vector], n_results=min(CANDIDATES, len(allowed) or 1),
                                           where=_where(kind, device), include=["distances"])
            vector_ranked = []
            for chunk_id, distance in zip(result["ids"][0], result["distances"][0], strict=True):
                index = self._by_id.get(chunk_id)
                if index is not None:
                    vector_ranked.append(index)
                    similarity[index] = 1.0 - float(distance)
            lists["vector"] = vector_ranked
        if mode == "hybrid" and vector is not None:
            mask = np.zeros(len(self.chunks), dtype=bool)
            mask[allowed] = True
            headings = np.where(mask, self.heading_vectors @ vector, -2.0)
            lists["heading"] = [int(i) for i in np.argsort(-headings)[:CANDIDATES]]
            if len(self.question_vectors):
                asked = np.full(len(self.chunks), -2.0)
                np.maximum.at(asked, self.question_chunk, self.question_vectors @ vector)
                asked = np.where(mask, asked, -2.0)
                lists["question"] = [int(i) for i in np.argsort(-asked)[:CANDIDATES] if asked[i] > -2.0]
        fused: dict[int, float] = {}
        for name, ranked in lists.items():
            if not WEIGHTS.get(name):
                continue
            for rank, index in enumerate(ranked):
                page = DEVICE_PAGE_WEIGHT if self.chunks[index].kind == "device" and device is None else 1.0
                fused[index] = fused.get(index, 0.0) + WEIGHTS[name] * page / (RRF_K + rank + 1)
        if DOC_SUPPORT and mode == "hybrid":  # a document with several matching sections is more likely the one that answers
            per_doc: dict[str, list[float]] = {}
            for index, value in fused.items():
                per_doc.setdefault(self.chunks[index].doc_id, []).append(value)
            support = {doc: sum(sorted(values, reverse=True)[1:3]) for doc, values in per_doc.items()}
            fused = {i: v + DOC_SUPPORT * support[self.chunks[i].doc_id] for i, v in fused.items()}
        bm25_ranked, vector_ranked = lists.get("bm25", []), lists.get("vector", [])
        order = sorted(fused, key=lambda i: -fused[i])[:k]
        return [Hit(self.chunks[i], fused[i], similarity.get(i, 0.0),
                    bm25_ranked.index(i) + 1 if i in bm25_ranked else None,
                    vector_ranked.index(i) + 1 if i in vector_ranked else None) for i in order]


def _where(kind: str | None, device: str | None) -> dict[str, object] | None:
    clauses: list[dict[str, object]] = []
    if kind:
        clauses.append({"kind": kind})
    if device:
        clauses.append({"device": device})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
