"""A linear classifier over the cards' paraphrase vectors: a second opinion on which card a question asks.

Max-cosine to the nearest paraphrase trusts one sentence; a linear model trained on all of a card's
paraphrases weighs what they share, which carries better to wordings no paraphrase foresaw (the best card's
answer holds the asked fact for 0.830 -> 0.849 of tune + dev questions, and 0.891 -> 0.916 of dev3's).
Fitted at index time (about a second), stored beside the card vectors as plain weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

CARD_MODEL = "card_model.npz"  # in INDEX_DIR, written with the card vectors
INVERSE_REGULARISATION = 16.0  # scikit-learn's C; chosen on tune + dev questions (1, 4, 16, 64 tried)
MAX_ITERATIONS = 500


@dataclass(frozen=True)
class CardModel:
    """Weights of a softmax over the cards: probabilities for one question vector."""

    weights: np.ndarray  # (cards, dimension)
    bias: np.ndarray  # (cards,)

    def probabilities(self, vector: np.ndarray) -> np.ndarray:
        """One probability per card, in the index's card order."""
        logits = self.weights @ vector.astype(self.weights.dtype, copy=False) + self.bias
        logits -= logits.max()
        exp = np.exp(logits)
        probabilities: np.ndarray = exp / exp.sum()
        return probabilities


def fit_card_model(vectors: np.ndarray, rows: np.ndarray, cards: int) -> CardModel:
    """Fit on every card row (its paraphrases and its answer); a card with no rows gets no probability."""
    from sklearn.linear_model import LogisticRegression  # imported here: only index builds need it

    fitted = LogisticRegression(C=INVERSE_REGULARISATION, max_iter=MAX_ITERATIONS).fit(vectors, rows)
    weights = np.zeros((cards, vectors.shape[1]), dtype=np.float32)
    bias = np.full(cards, -np.inf, dtype=np.float32)  # a card without rows is never chosen
    classes = fitted.classes_.astype(np.int64)
    if len(classes) == 2:  # scikit-learn keeps one row for two classes: the second class's logit
        weights[classes[1]], bias[classes[1]] = fitted.coef_[0], fitted.intercept_[0]
        bias[classes[0]] = 0.0
    else:
        weights[classes], bias[classes] = fitted.coef_, fitted.intercept_
    return CardModel(weights, bias)


def save_card_model(path: Path, model: CardModel) -> None:
    """Plain arrays: nothing pickled, nothing executed at load."""
    with path.open("wb") as out:
        np.savez(out, weights=model.weights, bias=model.bias)


def load_card_model(path: Path, cards: int) -> CardModel | None:
    """The stored model, or None when missing or not made for these cards."""
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as stored:
        weights, bias = stored["weights"], stored["bias"]
    if weights.shape[0] != cards or bias.shape != (cards,):
        return None
    return CardModel(weights, bias)
