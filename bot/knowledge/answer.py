"""Compose a short, cited answer from the best passages, or decline when nothing fits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from bot.domain import Answer, Source
from bot.errors import KnowledgeError
from bot.knowledge.guard import says_unknown, ungrounded_figures
from bot.knowledge.retriever import Hit, HybridRetriever

log = logging.getLogger(__name__)


class Phraser(Protocol):
    """Something that words an answer from passages (the optional LLM); None when it cannot."""

    def phrase_answer(self, question: str, passages: list[str]) -> str | None: ...

MAX_SENTENCES = 3
PASSAGES = 3
SENTENCE_MARGIN = 0.12  # keep sentences nearly as relevant as the best one
REDUNDANT = 0.85
TOP_PASSAGE_BONUS = 0.10
LEAD_SENTENCE_BONUS = 0.05
TERSE_CHARS, TERSE_PENALTY = 60, 0.08
SECOND_SENTENCE_MARGIN = 0.25  # a second sentence is usually worth having; a third only if nearly as good  # two sentences this similar say the same thing: keep one


@dataclass(frozen=True)
class Thresholds:
    """Calibrated on the tuning part of tests/data/retrieval_eval.yaml (see `run_bot.py eval retrieval`).

    A question is in scope when its best match in the knowledge base (a passage, a sentence, or an
    in-scope exemplar) is at least `min_similarity`, and not much closer to an out-of-scope exemplar
    than to that (`min_margin`): "how do I fix my cracked screen myself" is near the corpus, but nearer
    to the out-of-scope examples in knowledge/scope_examples.yaml.
    """

    min_similarity: float = 0.30
    min_margin: float = 0.08


class KnowledgeBase:
    """Answers questions from the index: the engine's `faq` path and `run_bot.py ask`."""

    def __init__(self, retriever: HybridRetriever, thresholds: Thresholds | None = None,
                 phraser: Phraser | None = None) -> None:
        self.retriever = retriever
        self.thresholds = thresholds or Thresholds()
        self.phraser = phraser

    def answer(self, question: str, context: Mapping[str, Any] | None = None) -> Answer:
        """The answer with its sources; `confident` is False when the question is out of scope."""
        prepared = self.retriever.prepare(question)  # once: the same text is embedded, searched and checked
        if not self.retriever.knows_any_word(prepared):  # keyboard mash, emoji, another language
            return Answer("", (), -1.0, confident=False, known_words=False)
        try:
            vector = self.retriever.embed(prepared)
        except KnowledgeError:  # the embedding service is down: no answer beats an unchecked one
            return Answer("", (), -1.0, confident=False)
        hits = self.retriever.search(prepared, k=5, vector=vector, prepared=True)
        best = self.scope_score(vector, hits)
        if not hits or best < 0:
            return Answer("", (), best, confident=False)
        sentences = self._best_sentences(hits[:PASSAGES], vector)
        titles = {c.doc_id: c for c in self.retriever.chunks}
        used = dict.fromkeys(chunk_id.split(":")[0] for _, chunk_id in sentences)  # in the order they are quoted
        sources = tuple(Source(d, titles[d].title, titles[d].kind) for d in used)
        text = " ".join(s for s, _ in sentences)
        if self.phraser is not None:
            # Only the best document's passages: a figure from another document (another shop's 90 days)
            # must not make a wrong sentence look grounded.
            passages = [h.chunk.text for h in hits if h.chunk.doc_id == hits[0].chunk.doc_id][:PASSAGES]
            worded = self._worded(question, passages, text)
            if worded is None:
                return Answer("", (), best, confident=False)  # the model says the passages don't answer it
            text = worded
            sources = (Source(hits[0].chunk.doc_id, hits[0].chunk.title, hits[0].chunk.kind),)
        return Answer(text, sources, best, confident=True)

    def _worded(self, question: str, passages: list[str], deterministic: str) -> str | None:
        """The LLM's wording when it is grounded; the deterministic text when not; None for 'I don't know'."""
        assert self.phraser is not None
        reply = self.phraser.phrase_answer(question, passages)
        if reply is None or not reply.strip():
            return deterministic
        if says_unknown(reply):
            return None
        invented = ungrounded_figures(reply, "\n".join(passages))
        if invented:
            log.warning("LLM answer replaced: figures not in the passages: %s", ", ".join(invented))
            return deterministic
        return reply.strip()

    def scope_score(self, vector: np.ndarray, hits: list[Hit]) -> float:
        """How far inside the scope the question is: negative means out of scope."""
        r = self.retriever
        inside = max(max((h.similarity for h in hits), default=0.0), float((r.sentence_vectors @ vector).max()),
                     float((r.in_scope_vectors @ vector).max()),
                     float((r.question_vectors @ vector).max()) if len(r.question_vectors) else 0.0)
        outside = float((r.out_of_scope_vectors @ vector).max())
        return min(inside - self.thresholds.min_similarity, inside - outside - self.thresholds.min_margin)

    def _best_sentences(self, hits: list[Hit], vector: np.ndarray) -> list[tuple[str, str]]:
        """Up to three sentences, from the best document first, none saying the same thing twice."""
        r = self.retriever
        top_doc = hits[0].chunk.doc_id
        # Every section of the best document may answer (retrieval ranks sections, the answer may sit in a
        # neighbouring one); the other top passages compete with a handicap.
        chunk_ids = {i for i, c in enumerate(r.chunks) if c.doc_id == top_doc} | {r.chunks.index(h.chunk) for h in hits}
        rows = [i for i, owner in enumerate(r.sentence_chunk) if int(owner) in chunk_ids]
        if not rows:
            return [(hits[0].chunk.text, hits[0].chunk.id)]
        raw = r.sentence_vectors[rows] @ vector
        scores = []
        for row, value in zip(rows, raw, strict=True):
            chunk = r.chunks[int(r.sentence_chunk[row])]
            lead = row == 0 or r.sentence_chunk[row - 1] != r.sentence_chunk[row]
            terse = len(r.sentences[row]) < TERSE_CHARS  # "The four grades are for buying." says little
            scores.append(float(value) + (TOP_PASSAGE_BONUS if chunk.doc_id == top_doc else 0.0)
                          + (LEAD_SENTENCE_BONUS if lead else 0.0) - (TERSE_PENALTY if terse else 0.0))
        # A terse sentence that merely restates the question ("The four grades are for buying.") never leads.
        ranked = sorted(zip(rows, scores, strict=True),
                        key=lambda pair: (len(r.sentences[pair[0]]) < TERSE_CHARS, -pair[1]))
        best = ranked[0][1]
        picked: list[int] = []
        for row, score in ranked:
            margin = SECOND_SENTENCE_MARGIN if len(picked) == 1 else SENTENCE_MARGIN
            if len(picked) == MAX_SENTENCES or score < best - margin:
                continue
            vec = r.sentence_vectors[row]
            if all(float(vec @ r.sentence_vectors[p]) < REDUNDANT for p in picked):
                picked.append(row)
        # Most relevant first: the opening sentence should answer the question.
        return [(r.sentences[row], r.chunks[int(r.sentence_chunk[row])].id) for row in picked]
