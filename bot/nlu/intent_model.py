"""A learned second opinion on intent: logistic regression over sentence vectors of operator examples.

The rules in intents.py are precise on what they were written for; shoppers phrase things in ways no
rule foresaw. When a rule is unsure, a small linear model trained on `knowledge/intent_examples.yaml`
(text + intent, editable like any other data) may overrule it. Training runs at index time and the
weights are stored next to the knowledge index, keyed by a fingerprint of the examples.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import yaml

from bot.errors import ConfigError
from bot.nlu.intents import INTENTS

FEATURES_VERSION = "minilm-text+ngrams4096-v5"  # bump when features or device masking change: retrains
TRAINER = "sklearn-lbfgs-v1"  # part of the fingerprint: a model fitted another way is retrained
L2 = 1e-4  # the objective: mean cross-entropy + L2 / 2 * |weights|^2 (bias not penalised)
MAX_ITERATIONS = 2000  # lbfgs converges in far fewer on the shipped examples; a bound, not a schedule
TOLERANCE = 1e-6
HASHED_NGRAMS = 4096
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: start-up reads every example


class Embeds(Protocol):
    """Turns texts into L2-normalised sentence vectors (the local MiniLM model).

    The shape of knowledge.embeddings.Embedder, restated so that nlu does not import its sibling knowledge.
    """

    model_id: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """An (n, dimension) float32 array."""
        ...


@dataclass(frozen=True)
class IntentExample:
    """One labelled opening message."""

    text: str
    intent: str


def load_examples(path: Path) -> tuple[IntentExample, ...]:
    """Read the examples file; a malformed item or an unknown intent is a ConfigError naming it."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: cannot be read as YAML ({type(err).__name__})") from None
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: expected a list of {{text, intent}} items")
    examples = []
    for n, item in enumerate(raw, 1):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not str(item["text"]).strip():
            raise ConfigError(f"{path}: item {n} needs a non-empty 'text'")
        if item.get("intent") not in INTENTS:
            raise ConfigError(f"{path}: item {n} has intent {item.get('intent')!r}, not one of {', '.join(INTENTS)}")
        examples.append(IntentExample(item["text"], item["intent"]))
    return tuple(examples)


def fingerprint(examples: tuple[IntentExample, ...], context: str) -> str:
    """Identifies the training data, the feature recipe and `context` (embedding model, catalog names, ...)."""
    payload = json.dumps([FEATURES_VERSION, TRAINER, context, [(e.text, e.intent) for e in examples]])
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True, eq=False)
class IntentModel:
    """Multinomial logistic regression weights over [vector(text), hashed n-grams(text with devices masked)]."""

    labels: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray
    fingerprint: str

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Class probabilities for each row of features."""
        logits = features @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        result: np.ndarray = odds / odds.sum(axis=1, keepdims=True)
        return result

    def save(self, path: Path) -> None:
        """Write the weights atomically."""
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, labels=np.array(self.labels), weights=self.weights, bias=self.bias,
                 fingerprint=np.array(self.fingerprint))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> IntentModel | None:
        """The stored model, or None when there is none or it cannot be read."""
        try:
            with np.load(path) as data:
                return cls(tuple(str(x) for x in data["labels"]), data["weights"], data["bias"],
                           str(data["fingerprint"]))
        except (OSError, KeyError, ValueError):
            return None


def ngrams(masked: str) -> np.ndarray:
    """Words, word pairs and character 3-5-grams hashed into a fixed vector: the wording, typos included."""
    words = masked.split()
    grams = [*words, *(f"{a}_{b}" for a, b in itertools.pairwise(words))]
    padded = f" {masked} "
    grams += [padded[i:i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1)]
    counts = np.zeros(HASHED_NGRAMS, dtype=np.float32)
    for gram in grams:
        counts[zlib.crc32(gram.encode()) % HASHED_NGRAMS] += 1.0
    scaled: np.ndarray = np.log1p(counts)
    return scaled / max(float(np.linalg.norm(scaled)), 1e-9)


def features(embedder: Embeds, texts: list[str], masked: list[str]) -> np.ndarray:
    """Each message as meaning (a sentence vector) and as wording (n-grams of the text without model names)."""
    vectors = embedder.embed(list(texts))  # a second vector of the masked text measured no better (CV)
    wording = np.array([ngrams(m) for m in masked], dtype=np.float32).reshape(len(masked), HASHED_NGRAMS)
    return np.hstack([vectors, wording]).astype(np.float32)


def train(examples: tuple[IntentExample, ...], views: list[tuple[str, str]], embedder: Embeds,
          context: str | None = None) -> IntentModel:
    """Fit on each example's (text, masked text) views with scikit-learn's lbfgs, to the optimum (deterministic)."""
    labels = tuple(sorted({e.intent for e in examples}))
    x = features(embedder, [text for text, _ in views], [masked for _, masked in views])
    y = np.array([labels.index(e.intent) for e in examples])
    weights, bias = fit_softmax(x, y, len(labels))
    return IntentModel(labels, weights, bias, fingerprint(examples, context or embedder.model_id))


def fit_softmax(x: np.ndarray, y: np.ndarray, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression weights (features x classes) and bias minimising the L2 objective."""
    # every class in range(classes) occurs in y: train() takes its labels from the examples
    weights = np.zeros((x.shape[1], classes), dtype=np.float32)
    bias = np.zeros(classes, dtype=np.float32)
    if classes < 2:  # one intent: it is always the answer
        return weights, bias
    from sklearn.linear_model import LogisticRegression  # imported here: only training needs it

    # scikit-learn minimises C * sum(cross-entropy) + |w|^2 / 2: the same objective when C = 1 / (n * L2).
    fitted = LogisticRegression(C=1.0 / (len(y) * L2), solver="lbfgs", max_iter=MAX_ITERATIONS, tol=TOLERANCE)
    fitted.fit(x, y)
    coef, intercept = fitted.coef_.astype(np.float32), fitted.intercept_.astype(np.float32)
    if classes == 2:  # one row w for P(class 1) = sigmoid(w.x + b), which is softmax over (0, w.x + b)
        weights[:, 1], bias[1] = coef[0], intercept[0]
        return weights, bias
    return np.ascontiguousarray(coef.T), intercept


class LearnedIntents:
    """The trained model together with the embedder whose vectors it was trained on."""

    def __init__(self, model: IntentModel, embedder: Embeds) -> None:
        self.model, self.embedder = model, embedder

    def probabilities(self, view: tuple[str, str]) -> dict[str, float]:
        """The probability of each intent for a (text, masked text) view."""
        row = self.model.probabilities(features(self.embedder, [view[0]], [view[1]]))[0]
        return {label: float(p) for label, p in zip(self.model.labels, row, strict=True)}
