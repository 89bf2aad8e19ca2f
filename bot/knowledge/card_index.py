"""Find the answer card for a question: its paraphrases' vectors and BM25 over the cards, with context.

The question is matched against every card question and answer (MiniLM cosine), BM25 adds the words'
evidence, and the conversation's context nudges the choice: inside a trade-in a battery question is about
the trade-in rule; after a card about payouts, "and paypal?" stays with payouts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rank_bm25 import BM25Okapi

from bot.catalog import CATEGORY_WORDS
from bot.knowledge.card_model import CARD_MODEL, load_card_model
from bot.knowledge.cards import Card
from bot.knowledge.index import CARD_VECTORS, MANIFEST
from bot.knowledge.retriever import tokenize

# Chosen on the tuning part of the question sets (tests/data/questions_tune.yaml); see `run_bot.py eval answers`.
BM25_WEIGHT = 0.14  # a card's BM25 score, normalised by the best card's, adds up to this to its cosine
ANSWER_HANDICAP = 0.03  # the answer text is a weaker paraphrase of the question than a paraphrase is
JOURNEY_BOOST = 0.04  # inside a trade-in, selling cards; inside a compare, buying cards
KIND_BOOST = 0.04  # a question about a phone prefers the phone card over the laptop one (and so on)
KIND_MISMATCH = 0.12  # a card for other kinds, when only the conversation (not the question's words) names the kind
_KIND_WORDS = re.compile(r"\b(?:phones?|smartphones?|iphones?|androids?|galaxy|pixel|tablets?|ipads?|laptops?|macbooks?)\b")
FOLLOW_UP_BOOST = 0.06  # a short follow-up question ("and paypal?") stays near the last card
FOLLOW_UP_WORDS = 6
CLASSIFIER_WEIGHT = 0.2  # the card model's probability adds up to this (0.1 / 0.2 / 0.4 tried on tune + dev)


@dataclass(frozen=True)
class CardMatch:
    """A card and how well it matches: `similarity` is the cosine evidence, `score` adds the rest."""

    card: Card
    similarity: float
    score: float
    probability: float = 0.0  # the card model's: how sure it is that this card is the one asked
    nearest: float = 0.0  # the best similarity of any card: how far inside what the cards cover the question is


def _bm25_by_term(documents: list[list[str]]) -> dict[str, np.ndarray]:
    """Each term's BM25 contribution to every card, computed once: a query's scores are then one sum."""
    bm25 = BM25Okapi(documents)
    vocabulary = sorted({w for doc in documents for w in doc})
    return {term: np.asarray(bm25.get_scores([term]), dtype=np.float64) for term in vocabulary}


class CardIndex:
    """The cards of an index directory and their vectors."""

    def __init__(self, index_dir: Path) -> None:
        manifest = json.loads((index_dir / MANIFEST).read_text())
        self.cards = [Card(**{**c, "questions": tuple(c["questions"]), "follow_ups": tuple(c["follow_ups"]),
                              "kinds": tuple(c["kinds"])}) for c in manifest.get("cards", [])]
        self.by_id = {c.id: c for c in self.cards}
        self.rows = np.array(manifest.get("card_rows", []), dtype=np.int64)
        path = index_dir / CARD_VECTORS
        self.vectors = np.load(path) if path.exists() else np.zeros((0, 1), dtype=np.float32)
        answers = np.zeros(len(self.rows), dtype=bool)
        answers[len(self.rows) - len(self.cards):] = True  # the last rows are the answers
        self.handicap = np.where(answers, ANSWER_HANDICAP, 0.0).astype(np.float32)
        # Rows grouped by card, so that each card's best row is one reduceat (np.maximum.at is slow).
        self.order = np.argsort(self.rows, kind="stable")
        self.starts = np.searchsorted(self.rows[self.order], np.arange(len(self.cards))) if self.cards else self.rows
        self.journeys = np.array([c.journey for c in self.cards])
        self.kinds = [frozenset(c.kinds) for c in self.cards]
        self.term_scores = _bm25_by_term([tokenize(c.indexed_text) for c in self.cards]) if self.cards else {}
        self.model = load_card_model(index_dir / CARD_MODEL, len(self.cards))

    def best(self, vector: np.ndarray, prepared: str, context: Mapping[str, Any] | None = None,
             last_card: str | None = None) -> CardMatch | None:
        """The best card for the question, or None without cards."""
        ranked = self.ranked(vector, prepared, context, last_card, limit=1)
        return ranked[0] if ranked else None

    def ranked(self, vector: np.ndarray, prepared: str, context: Mapping[str, Any] | None = None,
               last_card: str | None = None, limit: int | None = None) -> list[CardMatch]:
        """The cards, best first (the first `limit` of them)."""
        if not self.cards or not len(self.vectors):
            return []
        cosine = self.vectors @ vector.astype(self.vectors.dtype, copy=False) - self.handicap
        similarity = np.maximum.reduceat(cosine[self.order], self.starts)
        score = similarity.astype(np.float64)
        known = [self.term_scores[w] for w in tokenize(prepared) if w in self.term_scores]
        if known:
            bm25 = np.sum(known, axis=0)
            if bm25.max() > 0:
                score += BM25_WEIGHT * bm25 / bm25.max()
        probability = self.model.probabilities(vector) if self.model is not None else np.zeros(len(self.cards))
        score += CLASSIFIER_WEIGHT * probability
        score += self._context_boost(context or {}, prepared, last_card)
        order = np.argsort(-score)[:limit]
        nearest = float(similarity.max())
        return [CardMatch(self.cards[i], float(similarity[i]), float(score[i]), float(probability[i]), nearest)
                for i in order]

    def _context_boost(self, context: Mapping[str, Any], prepared: str, last_card: str | None) -> np.ndarray:
        boost = np.zeros(len(self.cards))
        # the question's own words name the journey over the task's ("if i buy one of yours, can i send it back?"
        # while selling a phone is about buying)
        journey = _journey_named(prepared) or context.get("journey")
        if journey in ("buying", "selling"):
            boost += np.where(self.journeys == journey, JOURNEY_BOOST,
                              np.where(self.journeys == "both", 0.0, -JOURNEY_BOOST))
        kind = CATEGORY_WORDS.get(str(context.get("device_category") or ""))
        if kind is not None:
            # a card written for other kinds of device is wrong for this one: "what battery is guaranteed on it?"
            # about a MacBook is not the phone card, however phone-like the words (unless they name a phone)
            against = KIND_BOOST if _names_a_kind(prepared) else KIND_MISMATCH
            boost += np.array([0.0 if not kinds else KIND_BOOST if kind in kinds else -against
                               for kinds in self.kinds])
        previous = self.by_id.get(last_card or "")
        if previous is not None and len(prepared.split()) <= FOLLOW_UP_WORDS:
            related = {f.removeprefix("card:") for f in previous.follow_ups} | {previous.id}
            boost += np.array([FOLLOW_UP_BOOST if c.id in related or c.topic == previous.topic else 0.0
                               for c in self.cards])
        return boost


_BUYING_WORDS = re.compile(r"\b(?:buy|buying|bought|purchase|purchased|order|ordered|ordering)\b")
_SELLING_WORDS = re.compile(r"\b(?:sell|selling|sold|trade|trading|trade-in|payout)\b")
# who does it says which way: "do yall sell ..." is the shopper buying, "would you buy my ..." selling
_SHOP_SELLS = re.compile(r"\b(?:you|u|yall|ya|you guys)(?: still| also)? (?:sell|selling|carry|stock)\b")
_SHOP_BUYS = re.compile(r"\b(?:you|u|yall|ya|you guys)(?: still| also)? (?:buy|buying|take|accept)\b")
_STORE_NAMES = re.compile(r"\bbest ?buy\b")


def _journey_named(prepared: str) -> str | None:
    """The journey a question names by its own words, when it names only one."""
    text = _STORE_NAMES.sub(" ", prepared.casefold())
    shop_sells, shop_buys = bool(_SHOP_SELLS.search(text)), bool(_SHOP_BUYS.search(text))
    rest = _SHOP_BUYS.sub(" ", _SHOP_SELLS.sub(" ", text))
    buying = shop_sells or bool(_BUYING_WORDS.search(rest))
    selling = shop_buys or bool(_SELLING_WORDS.search(rest))
    return "buying" if buying and not selling else "selling" if selling and not buying else None


def _names_a_kind(prepared: str) -> bool:
    """Whether the question's own words name a kind of device (it then says which cards apply)."""
    return bool(_KIND_WORDS.search(prepared.casefold()))
